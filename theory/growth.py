"""The growth function g(x) = 2x + 2 sinh(x - log K), its identities, and stable evaluations.

K is the number of *equal competitors*: with one token at logit gap x above K others of equal
logit (K + 1 tokens), s = e^x / (e^x + K) and 1 / (s (1 - s)) = g'(x) = 2 + 2 cosh(x - log K).
A gap driven as dx/dtau = c s (1 - s) therefore obeys g(x(tau)) - g(x(0)) = integral of c:
bounds on the drive become bounds on g that are linear in time, and reaching gap G from x0
takes (g(G) - g(x0)) / c, about e^G / (K c) for large G.

The token count. The paper writes g with log T (K = T, ``count="T"``). The model has T tokens,
i.e. K = T - 1 competitors (``count="T-1"``): only then is g' exactly 1/(s(1-s)) for the
model's attention weights (``derivations/growth.py`` proves both statements). Every function
here takes K explicitly (argument ``count``, a number); ``competitor_count(seq_len, count)``
maps the choice "T" / "T-1" to K.

The SymPy side (``growth_expr`` ...) states the formulas; the float side (``growth``,
``log_growth``, ``growth_inverse`` ...) evaluates them in float64 with the standard library,
in log space where the values themselves would overflow (gaps up to ~1e4 and beyond).

Paper: the growth function g of the paper's two-stage proof (with log T); the identities and the
count K = T - 1 are our derivation (``derivations/growth.py``).
"""

from __future__ import annotations

import math

import sympy
from sympy.codegen import numpy_nodes
from sympy.codegen.cfunctions import expm1, log1p

from theory import symbols as sym

__all__ = [
    "COUNTS",
    "competitor_count",
    "growth_expr",
    "growth_derivative_expr",
    "attention_at_gap_expr",
    "GrowthInverse",
    "logaddexp",
    "two_level_identity",
    "growth_difference_stable_expr",
    "log_growth_stable_expr",
    "log_growth_difference_stable_expr",
    "log_attention_error_stable_expr",
    "growth",
    "log_growth",
    "growth_difference",
    "log_growth_difference",
    "growth_inverse",
    "growth_inverse_log",
    "attention_error",
    "log_attention_error",
]


#: The two token counts for g: the paper's log T, and log(T - 1), exact for the model's T tokens.
COUNTS: tuple[str, ...] = ("T", "T-1")


def competitor_count(seq_len, count: str = "T"):
    """The number K of equal competitors entering g for inputs of ``seq_len`` tokens.

    ``count="T"`` is the paper's choice (K = T: exact for one token over T others, i.e. T + 1
    tokens); ``count="T-1"`` is exact for the model's T tokens (K = T - 1). Works on numbers
    and on SymPy expressions.

    Paper: g is written with log T; K = T - 1 is our derivation (``derivations/growth.py``).

    Raises
    ------
    ValueError
        When ``count`` is not one of ``COUNTS``.
    """
    if count == "T":
        return seq_len
    if count == "T-1":
        return seq_len - 1
    raise ValueError(f"count={count!r}: must be one of {COUNTS} (the paper's T, or T-1 for the model's T tokens)")


# ----------------------------------------------------------------------------- SymPy side


def growth_expr(x: sympy.Expr = sym.gap, count: sympy.Expr = sym.seq_len) -> sympy.Expr:
    """g(x) = 2x + 2 sinh(x - log K), K = ``count`` equal competitors (default T, the paper's).

    Paper: the growth function g of the proof (the paper writes K = T).
    """
    return 2 * x + 2 * sympy.sinh(x - sympy.log(count))


def growth_derivative_expr(x: sympy.Expr = sym.gap, count: sympy.Expr = sym.seq_len) -> sympy.Expr:
    """g'(x) = 2 + 2 cosh(x - log K), which equals 1 / (s (1 - s)) at s = e^x / (e^x + K).

    Paper: derivative of the paper's g; the identity is ``derivations/growth.py``.
    """
    return 2 + 2 * sympy.cosh(x - sympy.log(count))


def attention_at_gap_expr(x: sympy.Expr = sym.gap, count: sympy.Expr = sym.seq_len) -> sympy.Expr:
    """s = e^x / (e^x + K): the weight of one token whose logit exceeds K = ``count`` others' by x.

    Paper: softmax attention of the model (``derivations/growth.py``).
    """
    return sympy.exp(x) / (sympy.exp(x) + count)


def two_level_identity() -> tuple[sympy.Expr, sympy.Expr, dict[str, sympy.Symbol]]:
    """Both sides of s_a(gamma_a - f) - s_b(gamma_b - f) = T/(T-1) s(1-s)(gamma_a - gamma_bar).

    Token a has weight s; the other T - 1 tokens share 1 - s equally and all have score
    gamma_bar (so gamma_b = gamma_bar for the compared token b), and f = s gamma_a + (1-s) gamma_bar.

    Paper: our two-level identity (``derivations/growth.py``).

    Returns
    -------
    lhs, rhs : sympy.Expr
    symbols : dict
        The symbols used (``s``, ``gamma_a``, ``gamma_bar``, ``T``).
    """
    s = sympy.Symbol("s", positive=True)
    gamma_a, gamma_bar = sympy.symbols("gamma_a gamma_bar", real=True)
    count = sym.seq_len
    weight_b = (1 - s) / (count - 1)
    f = s * gamma_a + (1 - s) * gamma_bar
    lhs = s * (gamma_a - f) - weight_b * (gamma_bar - f)
    rhs = count / (count - 1) * s * (1 - s) * (gamma_a - gamma_bar)
    return lhs, rhs, {"s": s, "gamma_a": gamma_a, "gamma_bar": gamma_bar, "T": count}


def growth_difference_stable_expr(upper: sympy.Expr, lower: sympy.Expr, count: sympy.Expr = sym.seq_len) -> sympy.Expr:
    """g(G) - g(x0) = 4a + 4 cosh(b) sinh(a), a = (G - x0)/2, b = (G + x0)/2 - log K.

    Free of the cancellation of the textbook difference when G is close to x0; K = ``count``.

    Paper: ``derivations/growth.py`` (sinh A - sinh B = 2 cosh((A+B)/2) sinh((A-B)/2)).
    """
    a = (upper - lower) / 2
    b = (upper + lower) / 2 - sympy.log(count)
    return 4 * a + 4 * sympy.cosh(b) * sympy.sinh(a)


def _log_two_sinh(a: sympy.Expr) -> sympy.Expr:
    # log(2 sinh a) = a + log(1 - e^{-2a}) for a > 0; expm1 keeps small a accurate.
    return a + sympy.log(-expm1(-2 * a))


def _log_two_cosh(b: sympy.Expr) -> sympy.Expr:
    return sympy.Abs(b) + log1p(sympy.exp(-2 * sympy.Abs(b)))


def log_growth_stable_expr(x: sympy.Expr = sym.gap, count: sympy.Expr = sym.seq_len) -> sympy.Expr:
    """log g(x) = u + log1p(2x e^{-u} - e^{-2u}), u = x - log K; no overflow for large x.

    Paper: ``derivations/growth.py``; valid where g(x) > 0.
    """
    u = x - sympy.log(count)
    return u + log1p(2 * x * sympy.exp(-u) - sympy.exp(-2 * u))


def log_growth_difference_stable_expr(
    upper: sympy.Expr, lower: sympy.Expr, count: sympy.Expr = sym.seq_len
) -> sympy.Expr:
    """log(g(G) - g(x0)) = logaddexp(log 4a, log(2 cosh b) + log(2 sinh a)) for G > x0.

    Paper: ``derivations/growth.py``.
    """
    a = (upper - lower) / 2
    b = (upper + lower) / 2 - sympy.log(count)
    return numpy_nodes.logaddexp(sympy.log(4 * a), _log_two_cosh(b) + _log_two_sinh(a))


def log_attention_error_stable_expr(x: sympy.Expr = sym.gap, count: sympy.Expr = sym.seq_len) -> sympy.Expr:
    """log(1 - s) = -logaddexp(0, x - log K) at s = e^x / (e^x + K).

    Paper: ``derivations/growth.py``.
    """
    return -numpy_nodes.logaddexp(sympy.Integer(0), x - sympy.log(count))


class GrowthInverse(sympy.Function):
    """g^{-1}(y; K): the unique x with 2x + 2 sinh(x - log K) = y (g is strictly increasing).

    Numerical evaluation (``evalf``) runs Newton's method in SymPy floats from the float64
    estimate of ``growth_inverse_log`` / ``growth_inverse``.

    Paper: inverse of the growth function g (checked in ``derivations/growth.py``).
    """

    nargs = 2

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        """d g^{-1}(y)/dy = 1 / g'(g^{-1}(y)) (inverse-function rule); the derivative in K is not needed."""
        if argindex != 1:
            raise sympy.ArgumentIndexError(self, argindex)
        value, count = self.args
        return 1 / growth_derivative_expr(self, count)

    def _latex(self, printer) -> str:
        value, count = self.args
        return rf"g_{{{printer._print(count)}}}^{{-1}}\left({printer._print(value)}\right)"

    def _eval_evalf(self, prec: int) -> sympy.Float | None:
        value, count = (arg._evalf(prec + 20) for arg in self.args)
        if not (value.is_Number and count.is_Number):
            return None
        if count < 1:
            raise ValueError(f"GrowthInverse: count={count} must be >= 1")
        count_float = float(count)
        if value > 0:
            start = growth_inverse_log(float(sympy.log(value).evalf(30)), count_float)
        else:
            start = growth_inverse(float(value), count_float)
        x = sympy.Float(start, precision=prec + 20)
        log_count = sympy.log(count).evalf(prec + 20)
        tolerance = sympy.Float(2, precision=prec + 20) ** (-(prec + 10))
        for _ in range(100):
            u = x - log_count
            step = (2 * x + 2 * sympy.sinh(u).evalf(prec + 20) - value) / (2 + 2 * sympy.cosh(u).evalf(prec + 20))
            x = x - step
            if abs(step) <= tolerance * max(1, abs(x)):
                return sympy.Float(x, precision=prec)
        raise ArithmeticError(f"GrowthInverse({value}, {count}): Newton did not converge")


# ----------------------------------------------------------------------------- float side


def _check_count(count: float) -> float:
    # K >= 1 keeps the root of g at x >= 0 and g > 0 for all x > log K (used by the brackets).
    if not count >= 1 or not math.isfinite(count):
        raise ValueError(f"count={count!r}: the number of competitors in g must be a finite number >= 1")
    return float(count)


def growth(x: float, count: float) -> float:
    """g(x) = 2x + 2 sinh(x - log K), K = ``count``, in float64 (overflows only when g does).

    Paper: the growth function g (the paper's K = T; K = T - 1 is exact for T tokens).
    """
    count = _check_count(count)
    return 2.0 * x + 2.0 * math.sinh(x - math.log(count))


def log_growth(x: float, count: float) -> float:
    """log g(x), stable for large x (x ~ 1e4 and beyond); requires g(x) > 0.

    Paper: the growth function g, in log space (``derivations/growth.py``).

    Raises
    ------
    ValueError
        When g(x) <= 0 (x below the root of g, which lies in (0, log K) for K > 1).
    """
    count = _check_count(count)
    u = x - math.log(count)
    if u >= 0.0:
        return u + math.log1p(2.0 * x * math.exp(-u) - math.exp(-2.0 * u))
    value = 2.0 * x + 2.0 * math.sinh(u)
    if value <= 0.0:
        raise ValueError(f"log_growth: g({x!r}) = {value!r} <= 0 for count={count!r}; log g needs g > 0")
    return math.log(value)


def logaddexp(a, b, *, log1p=math.log1p, exp=math.exp):
    """log(e^a + e^b) without overflow, as max + log1p(e^{min - max}).

    Floats by default; other number types pass their own ``log1p`` and ``exp`` (mpmath's, for
    the mpmath compilation of formulas in ``numerics.compile``).

    Paper: none (numerical identity).
    """
    high, low = (a, b) if a >= b else (b, a)
    return high + log1p(exp(low - high))


def growth_difference(upper: float, lower: float, count: float) -> float:
    """g(G) - g(x0) without cancellation: 4a + 4 cosh(b) sinh(a) (K = ``count`` competitors).

    Paper: ``derivations/growth.py``.
    """
    count = _check_count(count)
    a = 0.5 * (upper - lower)
    b = 0.5 * (upper + lower) - math.log(count)
    return 4.0 * a + 4.0 * math.cosh(b) * math.sinh(a)


def log_growth_difference(upper: float, lower: float, count: float) -> float:
    """log(g(G) - g(x0)) for G > x0, stable for gaps far beyond float64's exponent range.

    Paper: ``derivations/growth.py``.
    """
    count = _check_count(count)
    if not upper > lower:
        raise ValueError(f"log_growth_difference: need upper > lower, got {upper!r} <= {lower!r}")
    a = 0.5 * (upper - lower)
    b = abs(0.5 * (upper + lower) - math.log(count))
    log_two_cosh = b + math.log1p(math.exp(-2.0 * b))
    log_two_sinh = a + math.log(-math.expm1(-2.0 * a))
    return logaddexp(math.log(4.0 * a), log_two_cosh + log_two_sinh)


def _solve_increasing(func, derivative, target: float, lo: float, hi: float) -> float:
    """Root of the increasing ``func(x) = target`` in [lo, hi]: Newton, bisection as safeguard."""
    x = 0.5 * (lo + hi)
    for _ in range(400):
        residual = func(x) - target
        if residual == 0.0:
            return x
        if residual > 0.0:
            hi = x
        else:
            lo = x
        slope = derivative(x)
        candidate = x - residual / slope if slope > 0.0 else math.nan
        # Newton leaving the bracket (or stalling) falls back to bisection.
        if not lo < candidate < hi:
            candidate = 0.5 * (lo + hi)
        if abs(candidate - x) <= 4.0 * math.ulp(max(abs(x), 1.0)) or hi - lo <= 4.0 * math.ulp(max(abs(x), 1.0)):
            return candidate
        x = candidate
    raise ArithmeticError(f"growth inverse did not converge for target {target!r}")


def _direct_limit(log_count: float) -> float:
    # Targets up to this value are solved on g directly, larger ones in log space.
    return max(2.0 * log_count, 1.0)


def growth_inverse(value: float, count: float) -> float:
    """g^{-1}(y) in float64 for any finite y (K = ``count``); large y is solved in log space.

    Paper: inverse of the growth function g.
    """
    count = _check_count(count)
    if not math.isfinite(value):
        raise ValueError(f"growth_inverse: y={value!r} must be finite")
    log_count = math.log(count)
    if value > _direct_limit(log_count):
        return growth_inverse_log(math.log(value), count)
    hi = log_count + 1.0  # g(log K + 1) = 2 log K + 2 + 2 sinh 1 > max(2 log K, 1) >= value
    lo = hi - 1.0
    while growth(lo, count) > value:
        lo = hi - 2.0 * (hi - lo)

    def derivative(x: float) -> float:
        return 2.0 + 2.0 * math.cosh(x - log_count)

    return _solve_increasing(lambda x: growth(x, count), derivative, value, lo, hi)


def growth_inverse_log(log_value: float, count: float) -> float:
    """g^{-1}(e^L) given L = log y: no overflow for L ~ 1e4 (gaps ~ 1e4) and beyond.

    Paper: inverse of the growth function g, in log space.
    """
    count = _check_count(count)
    if not math.isfinite(log_value):
        raise ValueError(f"growth_inverse_log: L={log_value!r} must be finite")
    log_count = math.log(count)
    # Up to max(g(log K), 1) = max(2 log K, 1) solve on g itself (y is moderate there; for K = 1
    # the bracket below would start at the root x = 0 of g, where log g is -inf).
    if log_value <= math.log(_direct_limit(log_count)):
        return growth_inverse(math.exp(log_value), count)
    # Here y > g(log K) = 2 log K, so the root has u = x - log K > 0, where
    # g(x) >= e^u - 1 + 2x > e^u - 1: x <= log K + log(1 + y).
    lo = log_count
    hi = log_count + logaddexp(0.0, log_value)

    def derivative(x: float) -> float:
        # d log g / dx = g'/g, written with e^{-u} so that it stays finite for large u.
        u = x - log_count
        e1, e2 = math.exp(-u), math.exp(-2.0 * u)
        return (1.0 + 2.0 * e1 + e2) / (1.0 + 2.0 * x * e1 - e2)

    return _solve_increasing(lambda x: log_growth(x, count), derivative, log_value, lo, hi)


def attention_error(x: float, count: float) -> float:
    """1 - s = K / (e^x + K) = 1 / (1 + e^{x - log K}), K = ``count``; underflows only for x > ~745.

    Exact for one token at gap x over K equal competitors (K = T - 1 for the model's T tokens).

    Paper: attention error at gap x (``derivations/growth.py``).
    """
    count = _check_count(count)
    u = x - math.log(count)
    if u > 0.0:
        e = math.exp(-u)
        return e / (1.0 + e)
    return 1.0 / (1.0 + math.exp(u))


def log_attention_error(x: float, count: float) -> float:
    """log(1 - s) = -log(1 + e^{x - log K}), K = ``count``, finite for any gap.

    Paper: ``derivations/growth.py``.
    """
    count = _check_count(count)
    return -logaddexp(0.0, x - math.log(count))
