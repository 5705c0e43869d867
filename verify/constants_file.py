"""A constants file: values of the paper's unknown constants, e.g. calibrated by ``regime-map``.

Format (JSON): ``{"constants": {"C_harm": 1.9, "C_benign": 0.7, "C_clean": 0.7}, ...}``; other
top-level keys (intervals, provenance) are kept for the reader and ignored here. Read by
``predict --constants FILE`` and ``verify --constants FILE``.

Paper: the v3 regime map's constants, which the paper leaves unknown (``theory.symbols``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path

from theory.symbols import CONSTANT_SYMBOLS

__all__ = ["MAX_CONSTANTS_FILE_BYTES", "load_constants", "merge_constants"]

#: A constants file is a few hundred bytes; anything far larger is not one.
MAX_CONSTANTS_FILE_BYTES = 1 << 20


def load_constants(path: str | Path) -> dict[str, str]:
    """The ``constants`` mapping of a constants file, as number text for the exact parser."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"--constants file {str(path)!r} does not exist or is not a regular file")
    if path.stat().st_size > MAX_CONSTANTS_FILE_BYTES:
        raise ValueError(f"--constants file {str(path)!r} is larger than {MAX_CONSTANTS_FILE_BYTES} bytes")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"--constants file {str(path)!r} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("constants"), dict):
        raise ValueError(f"--constants file {str(path)!r} must hold an object with a 'constants' object")
    constants = {}
    for name, value in data["constants"].items():
        if name not in CONSTANT_SYMBOLS:
            raise ValueError(f"--constants file {str(path)!r}: unknown constant {name!r}; "
                             f"expected some of {', '.join(sorted(CONSTANT_SYMBOLS))}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise ValueError(f"--constants file {str(path)!r}: {name}={value!r} must be a finite number > 0")
        constants[name] = repr(float(value))
    return constants


def merge_constants(from_file: Mapping[str, object], from_options: Mapping[str, object]) -> dict[str, object]:
    """File constants and ``--constant`` options together; a constant given both ways is refused."""
    both = sorted(set(from_file) & set(from_options))
    if both:
        raise ValueError(f"constant(s) {both} given both in --constants and as --constant")
    return {**from_file, **from_options}
