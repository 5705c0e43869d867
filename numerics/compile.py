"""Compile registered ``theory`` formulas into numpy and mpmath functions.

- ``to_numpy`` compiles the formula's float64-safe form (``Formula.float_expr``: log1p, expm1,
  logaddexp, log space) into a vectorised numpy function.
- ``to_mpmath`` compiles the textbook form (``Formula.expr``) into an mpmath function evaluated
  at a chosen number of digits; the formula's own constants (1/sqrt 2, rationals) are exact
  rationals in the generated code, and arguments given as ``Fraction`` or number text enter
  exactly.

Both take the formula's arguments by keyword (code names, ``Formula.arguments``).

Paper: evaluates the formulas of ``theory.registry`` (each names its source in ``reference``).
"""

from __future__ import annotations

import dataclasses
import fractions
import math
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import sympy

from theory.growth import GrowthInverse, growth_inverse, logaddexp
from theory.records import Formula, parse_number
from theory.registry import formula as registered

__all__ = ["CompiledFormula", "to_numpy", "to_mpmath", "mpmath_growth_inverse"]

_numpy_growth_inverse = np.vectorize(growth_inverse, otypes=[np.float64])
# numpy has no erfc; the standard library's is accurate to a few ulp (normal CDF of the baseline).
_numpy_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def mpmath_growth_inverse(value: Any, count: Any) -> mpmath.mpf:
    """g^{-1}(y; K) at the current mpmath precision (K = ``count``).

    ``GrowthInverse`` evaluated by SymPy at the working precision: one Newton solver on g serves
    both back ends. Its float64 start is taken in log space, so y may exceed the float range.

    Paper: inverse of the growth function g (``derivations/growth.py``).
    """
    prec = mpmath.mp.prec
    inverse = GrowthInverse(sympy.Float(value, precision=prec), sympy.Float(count, precision=prec))
    return mpmath.mpf(inverse.evalf(mpmath.mp.dps))


def _mpmath_logaddexp(a: Any, b: Any) -> mpmath.mpf:
    return logaddexp(a, b, log1p=mpmath.log1p, exp=mpmath.exp)


def _resolve(formula: Formula | str) -> Formula:
    return registered(formula) if isinstance(formula, str) else formula


def _mpf(value: Any, name: str) -> mpmath.mpf:
    if isinstance(value, str):
        value = parse_number(value)
    if isinstance(value, fractions.Fraction):
        return mpmath.mpf(value.numerator) / value.denominator
    if isinstance(value, bool):
        raise TypeError(f"{name}={value!r}: must be a number, not a bool")
    return mpmath.mpf(value)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class CompiledFormula:
    """A compiled formula: call it with the formula's arguments by keyword.

    Paper: see ``formula.reference``.

    Parameters
    ----------
    formula : Formula
    backend : {"numpy", "mpmath"}
    function : callable
        The generated function, positional in ``formula.arguments`` order.
    digits : int or None
        mpmath working precision in decimal digits (None for numpy).
    """

    formula: Formula
    backend: str
    function: Callable[..., Any]
    digits: int | None = None

    def __post_init__(self) -> None:
        if self.backend not in ("numpy", "mpmath"):
            raise ValueError(f"backend={self.backend!r}: must be 'numpy' or 'mpmath'")
        if (self.backend == "mpmath") != (self.digits is not None):
            raise ValueError(f"digits={self.digits!r}: required for mpmath, not allowed for numpy")
        if self.digits is not None and self.digits < 15:
            raise ValueError(f"digits={self.digits!r}: must be >= 15")

    def __call__(self, **values: Any) -> Any:
        missing = [a for a in self.formula.arguments if a not in values]
        extra = sorted(set(values) - set(self.formula.arguments))
        if missing or extra:
            raise TypeError(
                f"{self.formula.name}: missing arguments {missing}, unexpected {extra}; "
                f"expected {self.formula.arguments}"
            )
        if self.backend == "numpy":
            args = [np.asarray(values[a], dtype=np.float64) for a in self.formula.arguments]
            return self.function(*args)
        with mpmath.workdps(self.digits):
            args = [_mpf(values[a], a) for a in self.formula.arguments]
            return +self.function(*args)


def to_numpy(formula: Formula | str) -> CompiledFormula:
    """Compile the float64-safe form of ``formula`` (an object or a registered name) for numpy.

    Paper: see the formula's ``reference``.
    """
    formula = _resolve(formula)
    function = sympy.lambdify(
        formula.symbols,
        formula.float_expr,
        modules=[{"GrowthInverse": _numpy_growth_inverse, "erfc": _numpy_erfc}, "numpy"],
    )
    return CompiledFormula(formula=formula, backend="numpy", function=function)


def to_mpmath(formula: Formula | str, *, digits: int = 50) -> CompiledFormula:
    """Compile the textbook form of ``formula`` for mpmath at ``digits`` decimal digits.

    Paper: see the formula's ``reference``.
    """
    formula = _resolve(formula)
    function = sympy.lambdify(
        formula.symbols,
        formula.expr,
        modules=[{"GrowthInverse": mpmath_growth_inverse, "logaddexp": _mpmath_logaddexp}, "mpmath"],
    )
    return CompiledFormula(formula=formula, backend="mpmath", function=function, digits=digits)
