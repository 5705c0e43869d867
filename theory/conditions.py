"""Conditions on (n, d, ||mu||, T) as ``Condition`` objects.

- SNR = ||mu|| / sqrt(d) and n SNR^2 (arXiv 2409.17625 v3 Figure 1; unit input-noise scale);
- the v1 conditions A1 (two parts) and A2 as the authors' own notebook checks them: order
  conditions written with constant 1 (the constant is the authors' choice in that check, not a
  constant stated by the paper), with the failure probability delta a named input whose default
  0.01 is also theirs;
- the v3 regime boundaries, known only up to constants: each is an inequality with a named
  free constant (C_benign, C_clean, C_harm) that the user must supply.

Paper: the authors' notebook check of the v1 A1/A2 order conditions (constant 1); v3 Figure 1
(regime map).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sympy

from theory import symbols as sym
from theory.records import Condition, Tag, exact

__all__ = [
    "snr_expr",
    "n_snr_squared_expr",
    "DEFAULT_FAILURE_PROB",
    "V1_A1_SIGNAL",
    "V1_A1_DIMENSION",
    "V1_A2",
    "BENIGN_UPPER",
    "CLEAN_LOWER",
    "HARM_LOWER",
    "CONDITIONS",
    "boundary",
    "threshold",
]

#: The v1 failure probability delta used by the authors' own checks (a named input, not a constant).
DEFAULT_FAILURE_PROB = sympy.Rational(1, 100)

snr_expr: sympy.Expr = sym.signal_norm / sympy.sqrt(sym.dim)
n_snr_squared_expr: sympy.Expr = sym.n_train * snr_expr**2

_log_term = sympy.log(sym.seq_len * sym.n_train / sym.failure_prob)

V1_A1_SIGNAL = Condition(
    name="v1_A1_signal",
    lhs=sym.dim,
    relation=">=",
    rhs=sym.n_train * sym.signal_norm**2,
    reference=(
        "v1 condition A1 (first part, equivalent to n SNR^2 <= 1) as the authors' public notebook "
        "checks it, with constant 1 (their constant, not the paper's)"
    ),
    tag=Tag.PAPER,
    description=(
        "dimension dominates the total signal: d >= n ||mu||^2 (order condition, constant 1 from the authors' check)"
    ),
    assumption=True,
)

V1_A1_DIMENSION = Condition(
    name="v1_A1_dimension",
    lhs=sym.dim,
    relation=">=",
    rhs=sym.n_train**2 * _log_term**2,
    reference=(
        "v1 condition A1 (second part) as the authors' public notebook checks it, with constant 1 "
        "(their constant, not the paper's)"
    ),
    tag=Tag.PAPER,
    description=(
        "over-parameterisation: d >= n^2 log^2(T n / delta) (order condition, constant 1 from the authors' check)"
    ),
    inputs={"failure_prob": DEFAULT_FAILURE_PROB},
    assumption=True,
)

V1_A2 = Condition(
    name="v1_A2",
    lhs=sym.signal_norm,
    relation=">=",
    rhs=sym.dim ** sympy.Rational(1, 4) * sympy.sqrt(_log_term),
    reference=(
        "v1 condition A2 as the authors' public notebook checks it, with constant 1 (their constant, not the paper's)"
    ),
    tag=Tag.PAPER,
    description=(
        "signal not too small: ||mu|| >= d^(1/4) log^(1/2)(T n / delta) "
        "(order condition, constant 1 from the authors' check)"
    ),
    inputs={"failure_prob": DEFAULT_FAILURE_PROB},
    assumption=True,
)

BENIGN_UPPER = Condition(
    name="benign_upper",
    lhs=n_snr_squared_expr,
    relation="<=",
    rhs=sym.C_benign,
    reference="arXiv 2409.17625 v3, Figure 1: SNR = O(n^(-1/2)) side of benign overfitting; constant unknown",
    tag=Tag.OPEN,
    description="low enough SNR for overfitting: n SNR^2 <= C_benign",
    constants=("C_benign",),
)

CLEAN_LOWER = Condition(
    name="clean_lower",
    lhs=n_snr_squared_expr,
    relation=">=",
    rhs=sym.C_clean,
    reference="arXiv 2409.17625 v3, Figure 1: SNR = omega(n^(-1/2)) gives not overfitting; constant unknown",
    tag=Tag.OPEN,
    description="high SNR, noisy samples not fitted: n SNR^2 >= C_clean",
    constants=("C_clean",),
)

HARM_LOWER = Condition(
    name="harm_lower",
    lhs=snr_expr,
    relation=">=",
    rhs=sym.C_harm * sym.dim ** sympy.Rational(-1, 4),
    reference="arXiv 2409.17625 v3, Figure 1: SNR = o(d^(-1/4)) gives harmful overfitting; constant unknown",
    tag=Tag.OPEN,
    description="SNR above the harmful boundary: SNR >= C_harm d^(-1/4)",
    constants=("C_harm",),
)

CONDITIONS: tuple[Condition, ...] = (V1_A1_SIGNAL, V1_A1_DIMENSION, V1_A2, BENIGN_UPPER, CLEAN_LOWER, HARM_LOWER)

_BOUNDARIES: dict[tuple[str, str], sympy.Expr | None] = {}


def boundary(condition: Condition, variable: str = "signal_norm") -> sympy.Expr | None:
    """The positive solution of lhs = rhs for ``variable``, or None if it does not appear.

    For the regime conditions this is the boundary in the (d, ||mu||) phase diagram, e.g.
    ||mu|| = sqrt(C_benign d / n) for ``benign_upper``.

    Paper: the boundaries of v3 Figure 1 and of the v1 A1/A2 order conditions.
    """
    key = (condition.name, variable)
    if key not in _BOUNDARIES:
        symbol = sym.by_name(variable)
        equation = condition.lhs - condition.rhs
        if symbol not in equation.free_symbols:
            _BOUNDARIES[key] = None
        else:
            # simplify=False: the roots are already in closed form, and simplify would import
            # sympy.physics (about 0.2 s of every command that predicts).
            roots = [r for r in sympy.solve(equation, symbol, simplify=False) if r.is_positive is not False]
            if len(roots) != 1:
                raise ArithmeticError(f"{condition.name}: expected one positive root in {variable}, got {roots}")
            _BOUNDARIES[key] = roots[0]
    return _BOUNDARIES[key]


def threshold(
    condition: Condition,
    params: Any,
    constants: Mapping[str, Any] | None = None,
    *,
    variable: str = "signal_norm",
    inputs: Mapping[str, Any] | None = None,
) -> float | None:
    """The boundary value of ``variable`` at ``params`` (other parameters fixed).

    Returns None when ``variable`` does not appear or a needed constant is missing.

    Paper: the boundaries of v3 Figure 1 and of the v1 A1/A2 order conditions.
    """
    root = boundary(condition, variable)
    if root is None:
        return None
    constants = constants or {}
    values: dict[sympy.Symbol, sympy.Rational] = {}
    for name, default in condition.inputs.items():
        chosen = (inputs or {}).get(name, default)
        values[sym.by_name(name)] = exact(chosen, name)
    for symbol in root.free_symbols:
        if symbol.name in sym.PARAM_SYMBOLS:
            values[symbol] = exact(getattr(params, symbol.name), symbol.name)
        elif symbol.name in sym.CONSTANT_SYMBOLS:
            if symbol.name not in constants:
                return None
            values[symbol] = exact(constants[symbol.name], symbol.name)
    return float(sympy.N(root.subs(values), 30))
