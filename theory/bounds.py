"""Bounds, plateaus and time scales as ``Formula`` objects.

Each formula carries its textbook SymPy expression, a float64-safe rewrite (proven equal in
``derivations``), a hand-written standard-library implementation, and the domain over which
all three agree to ~1e-13.

Paper: SPEC sections 4.1-4.2 and 5 (our derivations from the paper's model and its growth
function g; the SNR of v3 Figure 1; the existence construction of v1).
"""

from __future__ import annotations

import math

import sympy
from sympy.codegen.numpy_nodes import logaddexp

from theory import growth as gr
from theory import symbols as sym
from theory.conditions import n_snr_squared_expr, snr_expr
from theory.records import Formula, Tag

__all__ = [
    "logistic_loss_expr",
    "LOGISTIC_LOSS",
    "PLATEAU_BENIGN",
    "PLATEAU_NOT_OVERFITTING",
    "CLEAN_TEST_LOSS_FLOOR",
    "SNR",
    "N_SNR_SQUARED",
    "EXISTENCE_SCALE_LOWER",
    "EXISTENCE_SCALE_UPPER",
    "GROWTH_G",
    "GROWTH_G_DERIVATIVE",
    "LOG_GROWTH_G",
    "ATTENTION_ERROR",
    "LOG_ATTENTION_ERROR",
    "TIME_TO_GAP",
    "LOG_TIME_TO_GAP",
    "GAP_LOWER_BOUND",
    "GAP_UPPER_BOUND",
    "ATTENTION_ERROR_BOUND",
    "FORMULAS",
]

_HALF_SQRT2 = 1 / sympy.sqrt(2)
_T, _x = sym.seq_len, sym.gap
_COUNT_DOMAIN = (3, 1000)


def logistic_loss_expr(margin: sympy.Expr) -> sympy.Expr:
    """l(z) = log(1 + e^{-z}).

    Paper: the logistic loss of the training objective (Section 3).
    """
    return sympy.log(1 + sympy.exp(-margin))


def _stable_loss(margin: sympy.Expr) -> sympy.Expr:
    return logaddexp(sympy.Integer(0), -margin)


def _loss(z: float) -> float:
    # log(1 + e^{-z}) = max(0, -z) + log1p(e^{-|z|}): no overflow for any z.
    return max(0.0, -z) + math.log1p(math.exp(-abs(z)))


_R2 = 1.0 / math.sqrt(2.0)

LOGISTIC_LOSS = Formula(
    name="logistic_loss",
    expr=logistic_loss_expr(sym.margin), stable_expr=_stable_loss(sym.margin),
    arguments=("margin",),
    reference="arXiv 2409.17625, Section 3 (training loss)", tag=Tag.PAPER,
    description="logistic loss l(z) = log(1 + e^{-z})",
    stable=lambda *, margin: _loss(margin),
    # Beyond z = 60 the textbook form needs more than 50 digits (1 + e^{-z} rounds e^{-z} away).
    domain={"margin": (-700, 60)},
)

PLATEAU_BENIGN = Formula(
    name="plateau_benign",
    expr=(1 - sym.label_noise) * logistic_loss_expr(_HALF_SQRT2) + sym.label_noise * logistic_loss_expr(sym.rho * _HALF_SQRT2),
    stable_expr=(1 - sym.label_noise) * _stable_loss(_HALF_SQRT2) + sym.label_noise * _stable_loss(sym.rho * _HALF_SQRT2),
    arguments=("label_noise", "rho"),
    reference="SPEC section 4.2 (|f| <= max_t |gamma_t|; noisy samples fitted by a weakly relevant token)",
    tag=Tag.DERIVED,
    description="training-loss plateau of benign overfitting: (1-eta) l(1/sqrt2) + eta l(rho/sqrt2)",
    stable=lambda *, label_noise, rho: (1 - label_noise) * _loss(_R2) + label_noise * _loss(rho * _R2),
    domain={"label_noise": (0, sympy.Rational(1, 2)), "rho": (sympy.Rational(1, 1000), sympy.Rational(999, 1000))},
)

PLATEAU_NOT_OVERFITTING = Formula(
    name="plateau_not_overfitting",
    expr=(1 - sym.label_noise) * logistic_loss_expr(_HALF_SQRT2) + sym.label_noise * logistic_loss_expr(-_HALF_SQRT2),
    stable_expr=(1 - sym.label_noise) * _stable_loss(_HALF_SQRT2) + sym.label_noise * _stable_loss(-_HALF_SQRT2),
    arguments=("label_noise",),
    reference="SPEC section 4.2 (noisy samples not fitted: relevant token of the true class)",
    tag=Tag.DERIVED,
    description="training-loss plateau without overfitting: (1-eta) l(1/sqrt2) + eta l(-1/sqrt2)",
    stable=lambda *, label_noise: (1 - label_noise) * _loss(_R2) + label_noise * _loss(-_R2),
    domain={"label_noise": (0, sympy.Rational(1, 2))},
)

CLEAN_TEST_LOSS_FLOOR = Formula(
    name="clean_test_loss_floor",
    expr=logistic_loss_expr(_HALF_SQRT2), stable_expr=_stable_loss(_HALF_SQRT2),
    arguments=(),
    reference="SPEC section 4.2 (clean test samples, relevant token selected)",
    tag=Tag.DERIVED,
    description="clean test-loss floor l(1/sqrt2)",
    stable=lambda: _loss(_R2),
    domain={},
)

SNR = Formula(
    name="snr",
    expr=snr_expr, arguments=("dim", "signal_norm"),
    reference="arXiv 2409.17625 v3, Figure 1 (SNR = ||mu|| / (sigma sqrt d), sigma = 1)",
    tag=Tag.PAPER,
    description="signal-to-noise ratio ||mu|| / sqrt(d)",
    stable=lambda *, dim, signal_norm: signal_norm / math.sqrt(dim),
    domain={"dim": (2, 10**6), "signal_norm": (sympy.Rational(1, 100), 1000)},
)

N_SNR_SQUARED = Formula(
    name="n_snr_squared",
    expr=n_snr_squared_expr, arguments=("dim", "n_train", "signal_norm"),
    reference="arXiv 2409.17625 v3, Figure 1 (benign | not-overfitting boundary SNR ~ n^(-1/2))",
    tag=Tag.PAPER,
    description="n SNR^2 = n ||mu||^2 / d",
    stable=lambda *, dim, n_train, signal_norm: n_train * signal_norm * signal_norm / dim,
    domain={"dim": (2, 10**6), "n_train": (2, 10**4), "signal_norm": (sympy.Rational(1, 100), 1000)},
)

_existence_lower = (1 - sym.rho) * sym.signal_norm**2 / sym.dim
EXISTENCE_SCALE_LOWER = Formula(
    name="existence_scale_lower",
    expr=_existence_lower, arguments=("dim", "rho", "signal_norm"),
    reference="arXiv 2409.17625 v1 existence construction; window is SPEC section 5 [DERIVED heuristic]",
    tag=Tag.DERIVED,
    description="lower end of the lambda window: noise memorised enough to fit noisy labels",
    stable=lambda *, dim, rho, signal_norm: (1 - rho) * signal_norm * signal_norm / dim,
    domain={"dim": (2, 10**6), "rho": (sympy.Rational(1, 1000), sympy.Rational(999, 1000)),
            "signal_norm": (sympy.Rational(1, 100), 1000)},
)

EXISTENCE_SCALE_UPPER = Formula(
    name="existence_scale_upper",
    expr=(1 - sym.rho) * sym.signal_norm**2 / sympy.sqrt(sym.n_train * sym.dim),
    arguments=("dim", "n_train", "rho", "signal_norm"),
    reference="arXiv 2409.17625 v1 existence construction; window is SPEC section 5 [DERIVED heuristic]",
    tag=Tag.DERIVED,
    description="upper end of the lambda window: noise memorisation not yet harmful on test data",
    stable=lambda *, dim, n_train, rho, signal_norm: (1 - rho) * signal_norm * signal_norm / math.sqrt(n_train * dim),
    domain={"dim": (2, 10**6), "n_train": (2, 10**4), "rho": (sympy.Rational(1, 1000), sympy.Rational(999, 1000)),
            "signal_norm": (sympy.Rational(1, 100), 1000)},
)

GROWTH_G = Formula(
    name="growth_g",
    expr=gr.growth_expr(_x, _T), arguments=("seq_len", "gap"),
    reference="arXiv 2409.17625, growth function g(x) = 2x + 2 sinh(x - log T)",
    tag=Tag.PAPER,
    description="growth function g of the gap dynamics",
    stable=lambda *, seq_len, gap: gr.growth(gap, seq_len),
    domain={"seq_len": _COUNT_DOMAIN, "gap": (sympy.log(_T), 700)},
)

GROWTH_G_DERIVATIVE = Formula(
    name="growth_g_derivative",
    expr=gr.growth_derivative_expr(_x, _T), arguments=("seq_len", "gap"),
    reference="SPEC section 4.1: g'(x) = 2 + 2 cosh(x - log T) = 1/(s(1-s))",
    tag=Tag.DERIVED,
    description="derivative of g; the inverse attention variance 1/(s(1-s)) at gap x",
    stable=lambda *, seq_len, gap: 2.0 + 2.0 * math.cosh(gap - math.log(seq_len)),
    domain={"seq_len": _COUNT_DOMAIN, "gap": (-600, 600)},
)

LOG_GROWTH_G = Formula(
    name="log_growth_g",
    expr=sympy.log(gr.growth_expr(_x, _T)), stable_expr=gr.log_growth_stable_expr(_x, _T),
    arguments=("seq_len", "gap"),
    reference="SPEC section 4.1: log g(x), ~ x - log T for large gaps",
    tag=Tag.DERIVED,
    description="log of the growth function, finite for gaps far beyond float64's exp range",
    stable=lambda *, seq_len, gap: gr.log_growth(gap, seq_len),
    domain={"seq_len": _COUNT_DOMAIN, "gap": (sympy.log(_T), 10**4)},
    log_scale=True,
)

_error_expr = _T / (sympy.exp(_x) + _T)
ATTENTION_ERROR = Formula(
    name="attention_error",
    expr=_error_expr, stable_expr=sympy.exp(gr.log_attention_error_stable_expr(_x, _T)),
    arguments=("seq_len", "gap"),
    reference="SPEC section 4.1: 1 - s = T/(e^x + T) for one token at gap x over T others",
    tag=Tag.DERIVED,
    description="attention error at a logit gap",
    stable=lambda *, seq_len, gap: gr.attention_error(gap, seq_len),
    domain={"seq_len": _COUNT_DOMAIN, "gap": (-700, 700)},
)

LOG_ATTENTION_ERROR = Formula(
    name="log_attention_error",
    expr=sympy.log(_error_expr), stable_expr=gr.log_attention_error_stable_expr(_x, _T),
    arguments=("seq_len", "gap"),
    reference="SPEC section 4.1: log(1 - s), ~ log T - x for large gaps",
    tag=Tag.DERIVED,
    description="log attention error at a logit gap",
    stable=lambda *, seq_len, gap: gr.log_attention_error(gap, seq_len),
    domain={"seq_len": _COUNT_DOMAIN, "gap": (-10**4, 10**4)},
    log_scale=True,
)

_gap_args = ("seq_len", "gap_initial", "gap_target", "drive")
_gap_domain = {"seq_len": _COUNT_DOMAIN, "gap_initial": (-20, 50),
               "drive": (sympy.Rational(1, 10**6), 1000)}
_growth_difference = gr.growth_expr(sym.gap_target, _T) - gr.growth_expr(sym.gap_initial, _T)

TIME_TO_GAP = Formula(
    name="time_to_gap",
    expr=_growth_difference / sym.drive,
    stable_expr=gr.growth_difference_stable_expr(sym.gap_target, sym.gap_initial, _T) / sym.drive,
    arguments=_gap_args,
    reference="SPEC section 4.1: g(Lambda(tau)) - g(Lambda(0)) = c tau for a constant drive c",
    tag=Tag.DERIVED,
    description="flow time for a gap to grow from Lambda_0 to K under drive c (about e^K/(T c))",
    stable=lambda *, seq_len, gap_initial, gap_target, drive: gr.growth_difference(gap_target, gap_initial, seq_len) / drive,
    domain={**_gap_domain, "gap_target": (sym.gap_initial + sympy.Rational(1, 100), 600)},
)

LOG_TIME_TO_GAP = Formula(
    name="log_time_to_gap",
    expr=sympy.log(_growth_difference / sym.drive),
    stable_expr=gr.log_growth_difference_stable_expr(sym.gap_target, sym.gap_initial, _T) - sympy.log(sym.drive),
    arguments=_gap_args,
    reference="SPEC section 4.1: time to reach a gap is exponential in the gap",
    tag=Tag.DERIVED,
    description="log of the flow time to reach gap K; finite for K ~ 1e4",
    stable=lambda *, seq_len, gap_initial, gap_target, drive: (
        gr.log_growth_difference(gap_target, gap_initial, seq_len) - math.log(drive)),
    domain={**_gap_domain, "gap_target": (sym.gap_initial + sympy.Rational(1, 100), 10**4)},
    log_scale=True,
)


def _gap_bound(drive_symbol: sympy.Symbol) -> sympy.Expr:
    return gr.GrowthInverse(gr.growth_expr(sym.gap_initial, _T) + drive_symbol * sym.time, _T)


_bound_domain = {"seq_len": _COUNT_DOMAIN, "gap_initial": (sympy.Rational(1, 2), 50), "time": (0, 10**6)}

GAP_LOWER_BOUND = Formula(
    name="gap_lower_bound",
    expr=_gap_bound(sym.drive_lower), arguments=("seq_len", "gap_initial", "drive_lower", "time"),
    reference="SPEC section 4.1: dLambda/dtau >= c_- s(1-s) gives g(Lambda(tau)) >= g(Lambda(0)) + c_- tau",
    tag=Tag.DERIVED,
    description="lower bound on a gap at time tau from a lower bound c_- on its drive",
    stable=lambda *, seq_len, gap_initial, drive_lower, time: gr.growth_inverse(
        gr.growth(gap_initial, seq_len) + drive_lower * time, seq_len),
    domain={**_bound_domain, "drive_lower": (sympy.Rational(1, 10**6), 1000)},
)

GAP_UPPER_BOUND = Formula(
    name="gap_upper_bound",
    expr=_gap_bound(sym.drive_upper), arguments=("seq_len", "gap_initial", "drive_upper", "time"),
    reference="SPEC section 4.1: dLambda/dtau <= c_+ s(1-s) gives g(Lambda(tau)) <= g(Lambda(0)) + c_+ tau",
    tag=Tag.DERIVED,
    description="upper bound on a gap at time tau from an upper bound c_+ on its drive",
    stable=lambda *, seq_len, gap_initial, drive_upper, time: gr.growth_inverse(
        gr.growth(gap_initial, seq_len) + drive_upper * time, seq_len),
    domain={**_bound_domain, "drive_upper": (sympy.Rational(1, 10**6), 1000)},
)

_lower_gap = _gap_bound(sym.drive_lower)
ATTENTION_ERROR_BOUND = Formula(
    name="attention_error_bound",
    expr=_T / (sympy.exp(_lower_gap) + _T),
    stable_expr=sympy.exp(gr.log_attention_error_stable_expr(_lower_gap, _T)),
    arguments=("seq_len", "gap_initial", "drive_lower", "time"),
    reference="SPEC section 4.1: attention error decays like 1/(c tau) once the gap is large",
    tag=Tag.DERIVED,
    description="upper bound on the attention error 1 - s at time tau, from the gap lower bound",
    stable=lambda *, seq_len, gap_initial, drive_lower, time: gr.attention_error(
        gr.growth_inverse(gr.growth(gap_initial, seq_len) + drive_lower * time, seq_len), seq_len),
    domain={**_bound_domain, "drive_lower": (sympy.Rational(1, 10**6), 1000)},
)

FORMULAS: tuple[Formula, ...] = (
    LOGISTIC_LOSS, PLATEAU_BENIGN, PLATEAU_NOT_OVERFITTING, CLEAN_TEST_LOSS_FLOOR, SNR, N_SNR_SQUARED,
    EXISTENCE_SCALE_LOWER, EXISTENCE_SCALE_UPPER, GROWTH_G, GROWTH_G_DERIVATIVE, LOG_GROWTH_G,
    ATTENTION_ERROR, LOG_ATTENTION_ERROR, TIME_TO_GAP, LOG_TIME_TO_GAP, GAP_LOWER_BOUND,
    GAP_UPPER_BOUND, ATTENTION_ERROR_BOUND,
)
