"""Records passed out of the theory layer: ``Condition``, ``Margin``, ``Formula``, and the
whitelist parser for user-supplied numbers.

Values enter SymPy only as exact rationals: an ``int``, a finite ``float`` (its exact binary
value), a ``fractions.Fraction``, or text accepted by ``parse_number`` (decimal, scientific or
``p/q`` notation). No user text is ever passed to ``sympify``.

Paper: the records carry the conditions (the v1 A1/A2 order conditions as the authors' notebook
checks them, the regime map of arXiv 2409.17625 v3 Figure 1) and formulas; see
``theory.registry`` for the catalogue and each entry's source.
"""

from __future__ import annotations

import dataclasses
import enum
import fractions
import math
import numbers
import re
import types
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import sympy

from theory import symbols as sym
from theory.validation import InputError

__all__ = [
    "AssumptionWarning",
    "Tag",
    "Status",
    "Margin",
    "Condition",
    "Formula",
    "parse_number",
    "parse_assignment",
    "exact",
    "RELATIONS",
]

RELATIONS = ("<=", ">=")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_RATIO = re.compile(r"[+-]?\d+/\d+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class AssumptionWarning(UserWarning):
    """A computation runs outside a condition the result it relies on assumes.

    Paper: the v1 A1/A2 order conditions (as the authors' notebook checks them); the toolkit
    warns, never refuses.
    """


class Tag(enum.Enum):
    """Provenance of a formula or condition.

    - PAPER: stated by the paper (arXiv 2409.17625 v3 Figure 1, the v1 existence construction)
      or by the authors' public code and notebooks;
    - DERIVED: derived by us from the model and proven in ``derivations/`` (exact);
    - HEURISTIC: a rule of thumb or an approximation we use but have not proven for the model
      (e.g. the v1 existence lambda-window; the paper's token count T in g applied to T tokens);
    - OPEN: not known (an unknown constant the user must supply).

    Paper: provenance of each registry entry.
    """

    PAPER = "PAPER"
    DERIVED = "DERIVED"
    HEURISTIC = "HEURISTIC"
    OPEN = "OPEN"


class Status(enum.Enum):
    """Outcome of evaluating a condition.

    Paper: the conditions are inequalities; an unknown constant leaves them undecided.
    """

    HOLDS = "holds"
    FAILS = "fails"
    UNDETERMINED = "undetermined"


def parse_number(text: str) -> fractions.Fraction:
    """Parse a decimal, scientific or ``p/q`` number into an exact fraction (a whitelist parser).

    Paper: none (input handling); constants of the paper's conditions are supplied this way.

    Raises
    ------
    ValueError
        When ``text`` is not one of the accepted forms (names the text and the rule).
    """
    if not isinstance(text, str):
        raise TypeError(f"number text must be str, got {type(text).__name__}")
    stripped = text.strip()
    if _RATIO.fullmatch(stripped):
        numerator, denominator = stripped.split("/")
        if int(denominator) == 0:
            raise InputError(f"number {text!r}: denominator must be nonzero")
        return fractions.Fraction(int(numerator), int(denominator))
    if _NUMBER.fullmatch(stripped):
        return fractions.Fraction(stripped)
    raise InputError(f"number {text!r}: must be a decimal (1.5, 2e-3) or a ratio of integers (3/4)")


def parse_assignment(text: str) -> tuple[str, fractions.Fraction]:
    """Parse ``NAME=VALUE`` with ``parse_number`` for the value.

    Paper: none (command-line input of the paper's constants).

    Raises
    ------
    ValueError
        When there is no ``=``, the name is not an identifier, or the value is not a number.
    """
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep:
        raise InputError(f"assignment {text!r}: must have the form NAME=VALUE")
    if not _NAME.fullmatch(name):
        raise InputError(f"assignment {text!r}: name {name!r} must be an identifier")
    return name, parse_number(value)


def exact(value: Any, name: str = "value") -> sympy.Rational:
    """An exact SymPy rational for a number (int, finite float, Fraction, Rational or number text).

    Paper: none (constants reach SymPy and mpmath as exact rationals).
    """
    if isinstance(value, bool):
        raise TypeError(f"{name}={value!r}: must be a number, not a bool")
    if isinstance(value, str):
        value = parse_number(value)
    if isinstance(value, fractions.Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, sympy.Rational):
        return value
    if isinstance(value, numbers.Integral):
        return sympy.Integer(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        if not math.isfinite(value):
            raise InputError(f"{name}={value!r}: must be finite")
        return sympy.Rational(value)
    raise TypeError(f"{name}={value!r}: must be an int, float, Fraction or number text")


def _frozen_mapping(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return types.MappingProxyType(dict(mapping or {}))


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Margin:
    """The evaluation of one ``Condition`` at one parameter point.

    Paper: the margin by which an inequality of the paper holds (positive) or fails (negative).

    Parameters
    ----------
    condition : str
        Name of the condition.
    relation : {"<=", ">="}
    status : Status
    lhs, rhs : float or None
        Both sides; ``None`` when undetermined.
    margin : float or None
        ``rhs - lhs`` for ``<=`` and ``lhs - rhs`` for ``>=``: positive exactly when it holds.
    ratio : float or None
        ``lhs / rhs``.
    missing : tuple of str
        Constants that were needed and not given (non-empty exactly when undetermined).
    values : mapping
        The constants and named inputs used, by code name.
    """

    condition: str
    relation: str
    status: Status
    lhs: float | None
    rhs: float | None
    margin: float | None
    ratio: float | None
    missing: tuple[str, ...] = ()
    values: Mapping[str, float] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.relation not in RELATIONS:
            raise InputError(f"relation={self.relation!r}: must be one of {RELATIONS}")
        undetermined = self.status is Status.UNDETERMINED
        if undetermined != bool(self.missing):
            raise InputError(
                f"status={self.status.value!r} with missing={self.missing!r}: a margin is undetermined "
                "exactly when some constant is missing"
            )
        numbers = (self.lhs, self.rhs, self.margin, self.ratio)
        if undetermined and any(v is not None for v in numbers):
            raise InputError(f"{self.condition}: an undetermined margin carries no values")
        if not undetermined and any(v is None for v in numbers[:3]):
            raise InputError(f"{self.condition}: a decided margin needs lhs, rhs and margin")
        object.__setattr__(self, "values", _frozen_mapping(self.values))

    @property
    def holds(self) -> bool | None:
        """True, False, or None when undetermined."""
        return None if self.status is Status.UNDETERMINED else self.status is Status.HOLDS

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "condition": self.condition,
            "relation": self.relation,
            "status": self.status.value,
            "lhs": self.lhs,
            "rhs": self.rhs,
            "margin": self.margin,
            "ratio": self.ratio,
            "missing": list(self.missing),
            "values": dict(self.values),
        }


def _to_float(expr: sympy.Expr, what: str) -> float:
    value = sympy.N(expr, 30)
    if not value.is_real or not value.is_finite:
        raise InputError(f"{what} evaluates to {value}: not a finite real number")
    return float(value)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Condition:
    """An inequality ``lhs <relation> rhs`` between SymPy expressions of the problem parameters.

    Paper: one condition; ``reference`` names its source.

    Parameters
    ----------
    name : str
        Registry name.
    lhs, rhs : sympy.Expr
        Expressions in parameter symbols (``theory.symbols.PARAM_SYMBOLS``), free constants and
        named inputs only.
    relation : {"<=", ">="}
    reference : str
        Its source: arXiv 2409.17625 v3 Figure 1, the v1 existence construction, the authors'
        public code or notebook, or one of our derivations (``derivations/NAME.py``).
    tag : Tag
    description : str
    constants : tuple of str
        Free constants the user must supply; a missing one makes the margin undetermined.
    inputs : mapping of str to number
        Named inputs and their visible defaults (e.g. ``failure_prob`` = 1/100).
    assumption : bool
        True for a hypothesis a result relies on: a failing evaluation warns ``AssumptionWarning``.
    supplied : tuple of str
        Quantities given at each evaluation (``theory.symbols.SUPPLIED_SYMBOLS``: values read off a
        run, a chosen lambda); a missing one makes the margin undetermined.
    """

    name: str
    lhs: sympy.Expr
    relation: str
    rhs: sympy.Expr
    reference: str
    tag: Tag
    description: str
    constants: tuple[str, ...] = ()
    inputs: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    assumption: bool = False
    supplied: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.relation not in RELATIONS:
            raise InputError(f"{self.name}: relation={self.relation!r} must be one of {RELATIONS}")
        if not isinstance(self.tag, Tag):
            raise TypeError(f"{self.name}: tag={self.tag!r} must be a Tag")
        # strict=True converts numbers and SymPy objects only: text is never parsed here.
        object.__setattr__(self, "lhs", sympy.sympify(self.lhs, strict=True))
        object.__setattr__(self, "rhs", sympy.sympify(self.rhs, strict=True))
        object.__setattr__(
            self, "inputs", _frozen_mapping({key: exact(value, key) for key, value in self.inputs.items()})
        )
        for constant in self.constants:
            if constant not in sym.CONSTANT_SYMBOLS:
                raise InputError(f"{self.name}: constant {constant!r} is not one of {sorted(sym.CONSTANT_SYMBOLS)}")
        for key in self.inputs:
            if key not in sym.INPUT_SYMBOLS:
                raise InputError(f"{self.name}: input {key!r} is not one of {sorted(sym.INPUT_SYMBOLS)}")
        for key in self.supplied:
            if key not in sym.SUPPLIED_SYMBOLS:
                raise InputError(f"{self.name}: supplied quantity {key!r} is not one of {sorted(sym.SUPPLIED_SYMBOLS)}")
        allowed = set(sym.PARAM_SYMBOLS) | set(self.constants) | set(self.inputs) | set(self.supplied)
        used = {s.name for s in (self.lhs.free_symbols | self.rhs.free_symbols)}
        if not used <= allowed:
            raise InputError(
                f"{self.name}: symbols {sorted(used - allowed)} are neither parameters nor declared constants or inputs"
            )

    @property
    def inequality(self) -> sympy.Rel:
        """The condition as a SymPy relational."""
        return sympy.Le(self.lhs, self.rhs) if self.relation == "<=" else sympy.Ge(self.lhs, self.rhs)

    def evaluate(
        self,
        params: Any,
        constants: Mapping[str, Any] | None = None,
        *,
        inputs: Mapping[str, Any] | None = None,
        supplied: Mapping[str, Any] | None = None,
    ) -> Margin:
        """Evaluate at ``params`` (a ``ProblemParams``) with user constants and inputs.

        A constant absent from ``constants`` (or a quantity of ``self.supplied`` absent from
        ``supplied``) is never filled in: the margin is then undetermined and names it. Keys of
        ``constants`` not used here are ignored, so one mapping can serve every condition. Named
        inputs default to ``self.inputs``.

        Paper: the inequality ``self.reference`` states.
        """
        constants = constants or {}
        supplied = supplied or {}
        missing = tuple(c for c in self.constants if c not in constants) + tuple(
            q for q in self.supplied if supplied.get(q) is None
        )
        chosen = dict(self.inputs)
        for key, value in (inputs or {}).items():
            if key in chosen:
                chosen[key] = exact(value, key)
        used = {key: exact(constants[key], key) for key in self.constants if key in constants}
        used.update({key: exact(supplied[key], key) for key in self.supplied if supplied.get(key) is not None})
        used.update(chosen)
        shown = {key: float(value) for key, value in used.items()}
        if missing:
            return Margin(
                condition=self.name,
                relation=self.relation,
                status=Status.UNDETERMINED,
                lhs=None,
                rhs=None,
                margin=None,
                ratio=None,
                missing=missing,
                values=shown,
            )
        substitutions = {sym.by_name(key): value for key, value in used.items()}
        for symbol in self.lhs.free_symbols | self.rhs.free_symbols:
            if symbol.name in sym.PARAM_SYMBOLS:
                substitutions[symbol] = exact(getattr(params, symbol.name), symbol.name)
        lhs_exact = self.lhs.subs(substitutions)
        rhs_exact = self.rhs.subs(substitutions)
        lhs = _to_float(lhs_exact, f"{self.name}: left side")
        rhs = _to_float(rhs_exact, f"{self.name}: right side")
        # The sign of the margin is decided in exact arithmetic at 30 digits, not from floats.
        difference = sympy.N(rhs_exact - lhs_exact if self.relation == "<=" else lhs_exact - rhs_exact, 30)
        holds = bool(difference >= 0)
        result = Margin(
            condition=self.name,
            relation=self.relation,
            status=Status.HOLDS if holds else Status.FAILS,
            lhs=lhs,
            rhs=rhs,
            margin=float(difference),
            ratio=lhs / rhs if rhs != 0 else None,
            values=shown,
        )
        if self.assumption and not holds:
            warnings.warn(
                # The reference is a noun phrase ("v1 condition A1 as ... checks it, with constant 1
                # (...)"), so it is set off by commas and the sentence stays grammatical.
                f"{self.name} fails: {self.lhs} {self.relation} {self.rhs} is false ({lhs:.6g} vs {rhs:.6g}), "
                f"so results that assume {self.reference}, do not cover this setting",
                AssumptionWarning,
                stacklevel=2,
            )
        return result


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Formula:
    """A named SymPy expression with its provenance, a float64-safe form and its domain.

    Paper: one formula of the paper or of our derivations; ``reference`` names it.

    Parameters
    ----------
    name : str
    expr : sympy.Expr
        The textbook form, as the paper or the derivation writes it.
    arguments : tuple of str
        Code names of the symbols it depends on, in call order.
    reference : str
    tag : Tag
    description : str
    stable : callable
        A hand-written float implementation (standard library only) taking the arguments by
        keyword; accurate to ~1e-13 relative over ``domain``.
    domain : mapping of str to (lo, hi)
        Where the formula is meant to be evaluated: bounds per argument, as SymPy expressions
        that may use arguments listed earlier in ``arguments``.
    stable_expr : sympy.Expr or None
        A rewrite of ``expr`` for float64 (log1p, expm1, log-space), proven equal to ``expr``
        in ``derivations``; compiled code uses it when present.
    log_scale : bool
        The value is a logarithm: its absolute error is the relative error of the quantity.
    assumes : tuple of str
        Names of the conditions (in ``theory.registry``) under which it is claimed.
    count : {"T", "T-1"} or None
        For formulas built on the growth function g: the number of equal competitors whose
        log enters g (``theory.growth.COUNTS``); None for formulas that do not use g.
    """

    name: str
    expr: sympy.Expr
    arguments: tuple[str, ...]
    reference: str
    tag: Tag
    description: str
    stable: Callable[..., float]
    domain: Mapping[str, tuple[Any, Any]]
    stable_expr: sympy.Expr | None = None
    log_scale: bool = False
    assumes: tuple[str, ...] = ()
    count: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.tag, Tag):
            raise TypeError(f"{self.name}: tag={self.tag!r} must be a Tag")
        if self.count not in (None, "T", "T-1"):
            raise InputError(f"{self.name}: count={self.count!r} must be None, 'T' or 'T-1'")
        names = {s.name for s in self.expr.free_symbols}
        if names != set(self.arguments):
            raise InputError(
                f"{self.name}: arguments {self.arguments} must be exactly the free symbols {sorted(names)}"
            )
        if self.stable_expr is not None and {s.name for s in self.stable_expr.free_symbols} - names:
            raise InputError(f"{self.name}: stable_expr uses symbols that expr does not")
        if set(self.domain) != set(self.arguments):
            raise InputError(f"{self.name}: domain keys {sorted(self.domain)} must be the arguments {self.arguments}")
        domain = {
            key: (sympy.sympify(lo, strict=True), sympy.sympify(hi, strict=True))
            for key, (lo, hi) in self.domain.items()
        }
        for position, key in enumerate(self.arguments):
            earlier = set(self.arguments[:position])
            for bound in domain[key]:
                if not {s.name for s in bound.free_symbols} <= earlier:
                    raise InputError(
                        f"{self.name}: domain bound {bound} of {key} may use only earlier arguments {sorted(earlier)}"
                    )
        object.__setattr__(self, "domain", types.MappingProxyType(domain))

    @property
    def symbols(self) -> tuple[sympy.Symbol, ...]:
        """The argument symbols, in call order."""
        return tuple(sym.by_name(name) for name in self.arguments)

    @property
    def float_expr(self) -> sympy.Expr:
        """The expression compiled for float64: ``stable_expr`` if given, else ``expr``."""
        return self.expr if self.stable_expr is None else self.stable_expr

    def evaluate(self, values: Mapping[str, Any], *, digits: int = 30) -> float:
        """Evaluate the textbook form with exact rational arguments at ``digits`` digits.

        Paper: ``self.reference``.

        Raises
        ------
        ValueError
            Naming missing or unexpected arguments.
        """
        missing = set(self.arguments) - set(values)
        extra = set(values) - set(self.arguments)
        if missing or extra:
            raise InputError(
                f"{self.name}: missing arguments {sorted(missing)}, unexpected {sorted(extra)}; "
                f"expected {self.arguments}"
            )
        substitutions = {sym.by_name(k): exact(v, k) for k, v in values.items()}
        return _to_float(self.expr.subs(substitutions), self.name)
