"""The v1 attention-mass quantity S, its Eq. 9 and Eq. 10 conditions, and the v1 existence window.

- S^{(i)}(tau) = a (1 - a), a the attention mass on the relevant token set (v1);
- Eq. 9 (the clean samples' attention mass dominates): the authors plot
  min_k sum_{i in C_k} sum_{tau' <= tau} S^{(i)}(tau') over max_{i,t} sum_{tau' <= tau} s_{i,t}(1 - s_{i,t});
  its exact inequality is not known to us, so it is written with a named free constant C_eq9 [OPEN];
- Eq. 10 (class balance): the mean cumulative S of the clean samples of class +1 over that of
  class -1, divided by its tau = 0 value, stays within [1/C_eq10, C_eq10] [OPEN];
- the authors' reading of their label-noise study: generalisation holds while the clean/noisy
  ratio of cumulative S stays above C_mass (about 1 in their runs) [OPEN];
- the v1 existence statement: with W = I, p = mu_1 + mu_2 + lambda (sum over clean samples of the
  relevant token's noise + sum over noisy samples of the memorised, weakly relevant opposite
  token's noise) overfits benignly for lambda in a window; the window
  (1 - rho)||mu||^2/d <= lambda <= (1 - rho)||mu||^2/sqrt(n d) is our heuristic [HEURISTIC].

The measured quantities (``theory.symbols.SUPPLIED_SYMBOLS``) are supplied per evaluation,
e.g. from ``verify.reporting.attention_mass``.

Paper: arXiv 2409.17625 v1 (S, Eq. 9, Eq. 10, the existence construction) and the authors'
public code (the label-noise study).
"""

from __future__ import annotations

from theory import symbols as sym
from theory.bounds import EXISTENCE_SCALE_LOWER, EXISTENCE_SCALE_UPPER
from theory.records import Condition, Formula, Tag

__all__ = [
    "ATTENTION_MASS",
    "EQ9_CLEAN_DOMINATES",
    "EQ10_BALANCE_LOWER",
    "EQ10_BALANCE_UPPER",
    "MASS_RULE",
    "EXISTENCE_WINDOW_LOWER",
    "EXISTENCE_WINDOW_UPPER",
    "FORMULAS",
    "CONDITIONS",
]

_V1 = "arXiv 2409.17625 v1"

ATTENTION_MASS = Formula(
    name="attention_mass",
    expr=sym.relevant_mass * (1 - sym.relevant_mass),
    arguments=("relevant_mass",),
    reference=f"{_V1}: S = a(1 - a), a the attention on the relevant token set",
    tag=Tag.PAPER,
    description="attention-mass quantity S of one sample at one time",
    stable=lambda *, relevant_mass: relevant_mass * (1.0 - relevant_mass),
    domain={"relevant_mass": (0, 1)},
)

EQ9_CLEAN_DOMINATES = Condition(
    name="v1_eq9_clean_mass",
    lhs=sym.clean_mass_min,
    relation=">=",
    rhs=sym.C_eq9 * sym.token_mass_max,
    reference=f"{_V1} Eq. 9 as the authors plot it (left side over right side); exact inequality unknown",
    tag=Tag.OPEN,
    description="the clean samples' cumulative attention mass dominates every token's: min_k sum_{C_k} S >= "
    "C_eq9 max_{i,t} sum s(1-s)",
    constants=("C_eq9",),
    supplied=("clean_mass_min", "token_mass_max"),
)

_EQ10_REFERENCE = (
    f"{_V1} Eq. 10 (class balance of the cumulative attention mass, over its tau = 0 value); exact inequality unknown"
)

EQ10_BALANCE_LOWER = Condition(
    name="v1_eq10_balance_lower",
    lhs=sym.class_balance,
    relation=">=",
    rhs=1 / sym.C_eq10,
    reference=_EQ10_REFERENCE,
    tag=Tag.OPEN,
    description="class balance not too small: class_balance >= 1/C_eq10",
    constants=("C_eq10",),
    supplied=("class_balance",),
)

EQ10_BALANCE_UPPER = Condition(
    name="v1_eq10_balance_upper",
    lhs=sym.class_balance,
    relation="<=",
    rhs=sym.C_eq10,
    reference=_EQ10_REFERENCE,
    tag=Tag.OPEN,
    description="class balance not too large: class_balance <= C_eq10",
    constants=("C_eq10",),
    supplied=("class_balance",),
)

MASS_RULE = Condition(
    name="v1_mass_rule",
    lhs=sym.mass_ratio,
    relation=">=",
    rhs=sym.C_mass,
    reference="the authors' public code (p-only label-noise study): generalisation collapsed as the clean/noisy "
    "attention-mass ratio fell from 1.39 to 0.78; the threshold is their reading, about 1",
    tag=Tag.OPEN,
    description="clean attention mass of one label over the noisy samples' of the other stays >= C_mass",
    constants=("C_mass",),
    supplied=("mass_ratio",),
)

EXISTENCE_WINDOW_LOWER = Condition(
    name="v1_existence_lower",
    lhs=sym.existence_scale,
    relation=">=",
    rhs=EXISTENCE_SCALE_LOWER.expr,
    reference=(
        f"{_V1} existence construction (W = I, p = mu_1 + mu_2 + lambda x memorised noise); the window is "
        "our order-of-magnitude heuristic, not proven"
    ),
    tag=Tag.HEURISTIC,
    description="lambda large enough that the memorised noise fits the noisy labels: lambda >= (1-rho)||mu||^2/d",
    supplied=("existence_scale",),
)

EXISTENCE_WINDOW_UPPER = Condition(
    name="v1_existence_upper",
    lhs=sym.existence_scale,
    relation="<=",
    rhs=EXISTENCE_SCALE_UPPER.expr,
    reference=(
        f"{_V1} existence construction (W = I, p = mu_1 + mu_2 + lambda x memorised noise); the window is "
        "our order-of-magnitude heuristic, not proven"
    ),
    tag=Tag.HEURISTIC,
    description="lambda small enough that the memorised noise does not decide test inputs: "
    "lambda <= (1-rho)||mu||^2/sqrt(n d)",
    supplied=("existence_scale",),
)

FORMULAS: tuple[Formula, ...] = (ATTENTION_MASS,)
CONDITIONS: tuple[Condition, ...] = (
    EQ9_CLEAN_DOMINATES,
    EQ10_BALANCE_LOWER,
    EQ10_BALANCE_UPPER,
    MASS_RULE,
    EXISTENCE_WINDOW_LOWER,
    EXISTENCE_WINDOW_UPPER,
)
