"""A constants file: values of the paper's unknown constants, e.g. calibrated by ``regime-map``.

Format (JSON): ``{"constants": {"C_harm": 1.9, "C_benign": 0.7, "C_clean": 0.7}, ...}``; other
top-level keys (intervals, provenance) are kept for the reader and ignored here. Read by
``predict --constants FILE`` and ``verify --constants FILE``.

Paper: the v3 regime map's constants, which the paper leaves unknown (``theory.symbols``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path

from theory.records import parse_assignment
from theory.symbols import CONSTANT_SYMBOLS
from theory.validation import InputError

__all__ = ["MAX_CONSTANTS_FILE_BYTES", "load_constants", "merge_constants", "parse_constant_options"]

#: A constants file is a few hundred bytes; anything far larger is not one.
MAX_CONSTANTS_FILE_BYTES = 1 << 20


def load_constants(path: str | Path) -> dict[str, str]:
    """The ``constants`` mapping of a constants file, as number text for the exact parser."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"--constants file {str(path)!r} does not exist or is not a regular file")
    if path.stat().st_size > MAX_CONSTANTS_FILE_BYTES:
        raise InputError(f"--constants file {str(path)!r} is larger than {MAX_CONSTANTS_FILE_BYTES} bytes")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"--constants file {str(path)!r} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("constants"), dict):
        raise InputError(f"--constants file {str(path)!r} must hold an object with a 'constants' object")
    constants = {}
    for name, value in data["constants"].items():
        if name not in CONSTANT_SYMBOLS:
            raise InputError(
                f"--constants file {str(path)!r}: unknown constant {name!r}; "
                f"expected some of {', '.join(sorted(CONSTANT_SYMBOLS))}"
            )
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise InputError(f"--constants file {str(path)!r}: {name}={value!r} must be a finite number > 0")
        constants[name] = repr(float(value))
    return constants


def merge_constants(from_file: Mapping[str, object], from_options: Mapping[str, object]) -> dict[str, object]:
    """File constants and ``--constant`` options together; a constant given both ways is refused."""
    both = sorted(set(from_file) & set(from_options))
    if both:
        raise InputError(f"constant(s) {both} given both in --constants and as --constant")
    return {**from_file, **from_options}


#: Decimal exponents beyond float64's range (about 1e-324 .. 1.8e308), with a margin; a longer
#: one would make the exact parser build a huge integer.
_EXPONENT = re.compile(r"[eE]([+-]?\d+)")
_MAX_EXPONENT = 400


def parse_constant_options(items: list[str]) -> dict[str, object]:
    """``NAME=VALUE`` options into a mapping of exact fractions (the theory's whitelist parser).

    A value must be representable in float64, where the checks use it: finite, and not a
    nonzero number that rounds to 0.
    """
    constants: dict[str, object] = {}
    for item in items:
        exponent = _EXPONENT.search(item.partition("=")[2])
        if exponent and abs(int(exponent.group(1)[:6])) > _MAX_EXPONENT:
            raise InputError(f"--constant {item[:60]!r}: the exponent is beyond float64's range")
        name, value = parse_assignment(item)
        if name not in CONSTANT_SYMBOLS:
            raise InputError(
                f"--constant {item[:60]!r}: unknown name {name!r}; expected one of "
                f"{', '.join(sorted(CONSTANT_SYMBOLS))}"
            )
        if name in constants:
            raise InputError(f"--constant {name} given twice")
        try:
            as_float = float(value)
        except OverflowError:
            as_float = math.inf
        if not math.isfinite(as_float) or (value != 0 and as_float == 0):
            raise InputError(
                f"--constant {item[:60]!r}: must be a number float64 can hold (about 1e-308 to 1e308 in size)"
            )
        constants[name] = value
    return constants
