"""The single catalogue of every ``Formula`` and ``Condition``, by name.

Tests, reports and documentation iterate over this registry; nothing else lists formulas.

Paper: every entry names its source (``reference``) and provenance tag (PAPER / DERIVED / HEURISTIC / OPEN).
"""

from __future__ import annotations

import types
from collections.abc import Mapping

from theory import attention_mass as _attention_mass
from theory.bounds import FORMULAS as _FORMULAS
from theory.conditions import CONDITIONS as _CONDITIONS
from theory.records import Condition, Formula

__all__ = ["FORMULAS", "CONDITIONS", "formula", "condition", "get", "names", "registry_markdown"]


def _index(entries, kind: str) -> Mapping:
    table = {}
    for entry in entries:
        if entry.name in table:
            raise ValueError(f"duplicate {kind} name {entry.name!r} in the registry")
        table[entry.name] = entry
    return types.MappingProxyType(table)


FORMULAS: Mapping[str, Formula] = _index((*_FORMULAS, *_attention_mass.FORMULAS), "formula")
CONDITIONS: Mapping[str, Condition] = _index((*_CONDITIONS, *_attention_mass.CONDITIONS), "condition")

if set(FORMULAS) & set(CONDITIONS):
    raise ValueError(f"names used by both a formula and a condition: {sorted(set(FORMULAS) & set(CONDITIONS))}")
for _formula in FORMULAS.values():
    for _name in _formula.assumes:
        if _name not in CONDITIONS:
            raise ValueError(f"formula {_formula.name!r} assumes unknown condition {_name!r}")


def formula(name: str) -> Formula:
    """The registered formula ``name``.

    Paper: see the formula's ``reference``.

    Raises
    ------
    KeyError
        Naming the unknown name and the registered formulas.
    """
    try:
        return FORMULAS[name]
    except KeyError:
        raise KeyError(f"unknown formula {name!r}: registered formulas are {', '.join(FORMULAS)}") from None


def condition(name: str) -> Condition:
    """The registered condition ``name``.

    Paper: see the condition's ``reference``.

    Raises
    ------
    KeyError
        Naming the unknown name and the registered conditions.
    """
    try:
        return CONDITIONS[name]
    except KeyError:
        raise KeyError(f"unknown condition {name!r}: registered conditions are {', '.join(CONDITIONS)}") from None


def get(name: str) -> Formula | Condition:
    """The formula or condition registered as ``name``.

    Paper: see the entry's ``reference``.
    """
    if name in FORMULAS:
        return FORMULAS[name]
    if name in CONDITIONS:
        return CONDITIONS[name]
    raise KeyError(f"unknown registry name {name!r}: known names are {', '.join(names())}")


def names() -> tuple[str, ...]:
    """All registered names: formulas first, then conditions, in registration order.

    Paper: the catalogue of formulas and conditions.
    """
    return tuple(FORMULAS) + tuple(CONDITIONS)


def registry_markdown() -> str:
    """A Markdown table of the registry (name, kind, tag, statement, reference).

    Paper: the catalogue of the paper's formulas and conditions used by the toolkit.
    """
    from theory.symbols import latex

    def cell(text: str) -> str:
        # A bare "|" would end the Markdown table cell.
        return text.replace("|", "\\|")

    lines = ["| name | kind | tag | statement | reference |", "|---|---|---|---|---|"]
    for entry in FORMULAS.values():
        lines.append(
            f"| `{entry.name}` | formula | {entry.tag.value} | ${cell(latex(entry.expr))}$ | {cell(entry.reference)} |"
        )
    for condition in CONDITIONS.values():
        inequality = cell(latex(condition.inequality))
        lines.append(
            f"| `{condition.name}` | condition | {condition.tag.value} | ${inequality}$ | {cell(condition.reference)} |"
        )
    return "\n".join(lines) + "\n"
