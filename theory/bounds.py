"""Bounds, plateaus and time scales as ``Formula`` objects.

Each formula carries its textbook SymPy expression, a float64-safe rewrite (proven equal in
``derivations``), a hand-written standard-library implementation, and the domain over which
all three agree to ~1e-13.

Formulas built on the growth function g exist for both token counts (``GROWTH_FAMILIES``,
``growth_formula``): the paper's log T and log(T - 1), exact for the model's T tokens.

Paper: our derivations from the paper's model and its growth function g (``derivations/``);
the SNR of arXiv 2409.17625 v3 Figure 1; the v1 existence construction (v1 Figure 1 parameters).
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
    "baseline_output_mean_expr",
    "baseline_output_variance_expr",
    "baseline_test_accuracy_expr",
    "BASELINE_TEST_ACCURACY",
    "GROWTH_FAMILIES",
    "growth_formula",
    "GROWTH_G",
    "GROWTH_G_DERIVATIVE",
    "LOG_GROWTH_G",
    "ATTENTION_ERROR",
    "LOG_ATTENTION_ERROR",
    "TARGET_GAP",
    "TIME_TO_GAP",
    "LOG_TIME_TO_GAP",
    "GAP_LOWER_BOUND",
    "GAP_UPPER_BOUND",
    "ATTENTION_ERROR_BOUND",
    "GROWTH_G_T_MINUS_1",
    "GROWTH_G_DERIVATIVE_T_MINUS_1",
    "LOG_GROWTH_G_T_MINUS_1",
    "ATTENTION_ERROR_T_MINUS_1",
    "LOG_ATTENTION_ERROR_T_MINUS_1",
    "TARGET_GAP_T_MINUS_1",
    "TIME_TO_GAP_T_MINUS_1",
    "LOG_TIME_TO_GAP_T_MINUS_1",
    "GAP_LOWER_BOUND_T_MINUS_1",
    "GAP_UPPER_BOUND_T_MINUS_1",
    "ATTENTION_ERROR_BOUND_T_MINUS_1",
    "FORMULAS",
]

_HALF_SQRT2 = 1 / sympy.sqrt(2)
_T, _x = sym.seq_len, sym.gap
_COUNT_DOMAIN = (3, 1000)


def logistic_loss_expr(margin: sympy.Expr) -> sympy.Expr:
    """l(z) = log(1 + e^{-z}).

    Paper: the logistic loss of the training objective.
    """
    return sympy.log(1 + sympy.exp(-margin))


def _stable_loss(margin: sympy.Expr) -> sympy.Expr:
    return logaddexp(sympy.Integer(0), -margin)


def _loss(z: float) -> float:
    # log(1 + e^{-z}) = logaddexp(0, -z): no overflow for any z.
    return gr.logaddexp(0.0, -z)


_R2 = 1.0 / math.sqrt(2.0)

LOGISTIC_LOSS = Formula(
    name="logistic_loss",
    expr=logistic_loss_expr(sym.margin),
    stable_expr=_stable_loss(sym.margin),
    arguments=("margin",),
    reference="arXiv 2409.17625 (training loss); the authors' public code",
    tag=Tag.PAPER,
    description="logistic loss l(z) = log(1 + e^{-z})",
    stable=lambda *, margin: _loss(margin),
    # Beyond z = 60 the textbook form needs more than 50 digits (1 + e^{-z} rounds e^{-z} away).
    domain={"margin": (-700, 60)},
)

PLATEAU_BENIGN = Formula(
    name="plateau_benign",
    expr=(1 - sym.label_noise) * logistic_loss_expr(_HALF_SQRT2)
    + sym.label_noise * logistic_loss_expr(sym.rho * _HALF_SQRT2),
    stable_expr=(1 - sym.label_noise) * _stable_loss(_HALF_SQRT2)
    + sym.label_noise * _stable_loss(sym.rho * _HALF_SQRT2),
    arguments=("label_noise", "rho"),
    reference="derivations/plateaus.py (|f| <= max_t |gamma_t|; noisy samples fitted by a weakly relevant token)",
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
    reference="derivations/plateaus.py (noisy samples not fitted: relevant token of the true class)",
    tag=Tag.DERIVED,
    description="training-loss plateau without overfitting: (1-eta) l(1/sqrt2) + eta l(-1/sqrt2)",
    stable=lambda *, label_noise: (1 - label_noise) * _loss(_R2) + label_noise * _loss(-_R2),
    domain={"label_noise": (0, sympy.Rational(1, 2))},
)

CLEAN_TEST_LOSS_FLOOR = Formula(
    name="clean_test_loss_floor",
    expr=logistic_loss_expr(_HALF_SQRT2),
    stable_expr=_stable_loss(_HALF_SQRT2),
    arguments=(),
    reference="derivations/plateaus.py (clean test samples, relevant token selected)",
    tag=Tag.DERIVED,
    description="clean test-loss floor l(1/sqrt2)",
    stable=lambda: _loss(_R2),
    domain={},
)

SNR = Formula(
    name="snr",
    expr=snr_expr,
    arguments=("dim", "signal_norm"),
    reference="arXiv 2409.17625 v3, Figure 1 (SNR = ||mu|| / (sigma sqrt d), sigma = 1)",
    tag=Tag.PAPER,
    description="signal-to-noise ratio ||mu|| / sqrt(d)",
    stable=lambda *, dim, signal_norm: signal_norm / math.sqrt(dim),
    domain={"dim": (2, 10**6), "signal_norm": (sympy.Rational(1, 100), 1000)},
)

N_SNR_SQUARED = Formula(
    name="n_snr_squared",
    expr=n_snr_squared_expr,
    arguments=("dim", "n_train", "signal_norm"),
    reference="arXiv 2409.17625 v3, Figure 1 (benign | not-overfitting boundary SNR ~ n^(-1/2))",
    tag=Tag.PAPER,
    description="n SNR^2 = n ||mu||^2 / d",
    stable=lambda *, dim, n_train, signal_norm: n_train * signal_norm * signal_norm / dim,
    domain={"dim": (2, 10**6), "n_train": (2, 10**4), "signal_norm": (sympy.Rational(1, 100), 1000)},
)

_existence_lower = (1 - sym.rho) * sym.signal_norm**2 / sym.dim
EXISTENCE_SCALE_LOWER = Formula(
    name="existence_scale_lower",
    expr=_existence_lower,
    arguments=("dim", "rho", "signal_norm"),
    reference=(
        "arXiv 2409.17625 v1 existence construction (v1 Figure 1 parameters); the window is our "
        "order-of-magnitude heuristic, not proven"
    ),
    tag=Tag.HEURISTIC,
    description="lower end of the heuristic lambda window: noise memorised enough to fit noisy labels",
    stable=lambda *, dim, rho, signal_norm: (1 - rho) * signal_norm * signal_norm / dim,
    domain={
        "dim": (2, 10**6),
        "rho": (sympy.Rational(1, 1000), sympy.Rational(999, 1000)),
        "signal_norm": (sympy.Rational(1, 100), 1000),
    },
)

EXISTENCE_SCALE_UPPER = Formula(
    name="existence_scale_upper",
    expr=(1 - sym.rho) * sym.signal_norm**2 / sympy.sqrt(sym.n_train * sym.dim),
    arguments=("dim", "n_train", "rho", "signal_norm"),
    reference=(
        "arXiv 2409.17625 v1 existence construction (v1 Figure 1 parameters); the window is our "
        "order-of-magnitude heuristic, not proven"
    ),
    tag=Tag.HEURISTIC,
    description="upper end of the heuristic lambda window: noise memorisation not yet harmful on test data",
    stable=lambda *, dim, n_train, rho, signal_norm: (1 - rho) * signal_norm * signal_norm / math.sqrt(n_train * dim),
    domain={
        "dim": (2, 10**6),
        "n_train": (2, 10**4),
        "rho": (sympy.Rational(1, 1000), sympy.Rational(999, 1000)),
        "signal_norm": (sympy.Rational(1, 100), 1000),
    },
)

# ----------------------------------------------------------------------------- baseline at tau = 0
#
# With p = 0 the attention is uniform, so f = (1/T) sum_t gamma_t. With |R| relevant tokens,
# |W+| weakly relevant aligned and |W-| weakly relevant opposite ones, and nu^T xi ~ N(0, 1/||mu||^2)
# independently per token, y* f ~ N((|R| + rho |W+| - rho |W-|)/(T sqrt 2), 1/(T ||mu||^2))
# (``derivations/baseline.py``); the untrained model's clean test accuracy is P(y* f > 0).


def _normal_cdf(z: sympy.Expr) -> sympy.Expr:
    return sympy.erfc(-z / sympy.sqrt(2)) / 2


def baseline_output_mean_expr(
    relevant: sympy.Expr = 1, aligned: sympy.Expr = 1, opposite: sympy.Expr = 1
) -> sympy.Expr:
    """E[y* f] at p = 0: (|R| + rho |W+| - rho |W-|) / (T sqrt 2).

    Paper: our derivation (``derivations/baseline.py``) from the paper's data model.
    """
    return (relevant + sym.rho * aligned - sym.rho * opposite) / (_T * sympy.sqrt(2))


def baseline_output_variance_expr() -> sympy.Expr:
    """Var[f] at p = 0: 1 / (T ||mu||^2) (T independent tokens, nu^T xi ~ N(0, 1/||mu||^2)).

    Paper: our derivation (``derivations/baseline.py``).
    """
    return 1 / (_T * sym.signal_norm**2)


def baseline_test_accuracy_expr(
    relevant: sympy.Expr = 1, aligned: sympy.Expr = 1, opposite: sympy.Expr = 1
) -> sympy.Expr:
    """Phi(||mu|| (|R| + rho (|W+| - |W-|)) / sqrt(2T)): clean test accuracy of the model at p = 0.

    With one token per role the rho terms cancel: Phi(||mu|| / sqrt(2T)).

    Paper: our derivation (``derivations/baseline.py``).
    """
    ratio = baseline_output_mean_expr(relevant, aligned, opposite) / sympy.sqrt(baseline_output_variance_expr())
    # Numeric counts cancel by SymPy's automatic evaluation; simplify is needed only for symbolic
    # ones, and its first call costs about 0.3 s (it imports sympy.physics), which every import of
    # this module would pay for the default counts.
    if any(isinstance(count, sympy.Basic) and not count.is_number for count in (relevant, aligned, opposite)):
        ratio = sympy.simplify(ratio)
    return _normal_cdf(ratio)


BASELINE_TEST_ACCURACY = Formula(
    name="baseline_test_accuracy",
    expr=baseline_test_accuracy_expr(),
    arguments=("seq_len", "signal_norm"),
    reference="derivations/baseline.py (uniform attention at p = 0: f = (1/T) sum_t gamma_t)",
    tag=Tag.DERIVED,
    description=(
        "clean test accuracy of the untrained model (p = 0, uniform attention), one token per "
        "role: Phi(||mu|| / sqrt(2T)); the level generalization is judged against"
    ),
    stable=lambda *, seq_len, signal_norm: 0.5 * math.erfc(-signal_norm / math.sqrt(2.0 * seq_len) / math.sqrt(2.0)),
    domain={"seq_len": _COUNT_DOMAIN, "signal_norm": (sympy.Rational(1, 100), 1000)},
)


# ----------------------------------------------------------------------------- formulas built on g
#
# Each exists for both token counts (``theory.growth.COUNTS``): count "T" is the paper's g (log T,
# exact for one token over T competitors, i.e. T + 1 tokens); count "T-1" is exact for the
# model's T tokens. The paper's count keeps the plain name; the exact one adds "_t_minus_1".

_COUNT_WORDS = {
    "T": (
        "count T (the paper's log T): exact for one token over T equal competitors, i.e. T + 1 "
        "tokens; for the model's T tokens an approximation"
    ),
    "T-1": "count T - 1: exact for the model's T tokens (one token over T - 1 equal competitors)",
}
_SUFFIX = {"T": "", "T-1": "_t_minus_1"}
#: Tag of a formula that applies g to the model's attention: exact (DERIVED) only with T - 1.
_MODEL_TAG = {"T": Tag.HEURISTIC, "T-1": Tag.DERIVED}
_GROWTH_REFERENCE = "derivations/growth.py (g'(x) = 1/(s(1-s)) for one token over K equal competitors)"


def _growth_family(count: str) -> dict[str, Formula]:
    """The formulas built on g with the competitor count ``count`` ("T" or "T-1"), by base name."""
    K = gr.competitor_count(_T, count)
    words, suffix = _COUNT_WORDS[count], _SUFFIX[count]
    gap_domain = {"seq_len": _COUNT_DOMAIN, "gap_initial": (-20, 50), "drive": (sympy.Rational(1, 10**6), 1000)}
    bound_domain = {"seq_len": _COUNT_DOMAIN, "gap_initial": (sympy.Rational(1, 2), 50), "time": (0, 10**6)}
    gap_args = ("seq_len", "gap_initial", "gap_target", "drive")
    bound_args_lower = ("seq_len", "gap_initial", "drive_lower", "time")
    difference = gr.growth_expr(sym.gap_target, K) - gr.growth_expr(sym.gap_initial, K)
    error_expr = K / (sympy.exp(_x) + K)

    def number(seq_len):
        return gr.competitor_count(seq_len, count)

    def bound(drive_symbol):
        return gr.GrowthInverse(gr.growth_expr(sym.gap_initial, K) + drive_symbol * sym.time, K)

    def bound_stable(seq_len, gap_initial, drive, time):
        k = number(seq_len)
        return gr.growth_inverse(gr.growth(gap_initial, k) + drive * time, k)

    error = sym.target_attention_error
    family = [
        Formula(
            name="growth_g" + suffix,
            expr=gr.growth_expr(_x, K),
            arguments=("seq_len", "gap"),
            reference=(
                "arXiv 2409.17625, growth function g(x) = 2x + 2 sinh(x - log T)"
                if count == "T"
                else "derivations/growth.py: g with log(T - 1), matching the model's T tokens"
            ),
            tag=Tag.PAPER if count == "T" else Tag.DERIVED,
            description=f"growth function g of the gap dynamics; {words}",
            stable=lambda *, seq_len, gap: gr.growth(gap, number(seq_len)),
            domain={"seq_len": _COUNT_DOMAIN, "gap": (sympy.log(K), 700)},
            count=count,
        ),
        Formula(
            name="growth_g_derivative" + suffix,
            expr=gr.growth_derivative_expr(_x, K),
            arguments=("seq_len", "gap"),
            reference=_GROWTH_REFERENCE,
            tag=_MODEL_TAG[count],
            description=f"g'(x) = 2 + 2 cosh(x - log K) = 1/(s(1-s)) at gap x; {words}",
            stable=lambda *, seq_len, gap: 2.0 + 2.0 * math.cosh(gap - math.log(number(seq_len))),
            domain={"seq_len": _COUNT_DOMAIN, "gap": (-600, 600)},
            count=count,
        ),
        Formula(
            name="log_growth_g" + suffix,
            expr=sympy.log(gr.growth_expr(_x, K)),
            stable_expr=gr.log_growth_stable_expr(_x, K),
            arguments=("seq_len", "gap"),
            reference="derivations/growth.py: log g(x), about x - log K for large gaps",
            tag=Tag.DERIVED,
            description=f"log of the growth function, finite for gaps far beyond float64's exp range; {words}",
            stable=lambda *, seq_len, gap: gr.log_growth(gap, number(seq_len)),
            domain={"seq_len": _COUNT_DOMAIN, "gap": (sympy.log(K), 10**4)},
            log_scale=True,
            count=count,
        ),
        Formula(
            name="attention_error" + suffix,
            expr=error_expr,
            stable_expr=sympy.exp(gr.log_attention_error_stable_expr(_x, K)),
            arguments=("seq_len", "gap"),
            reference="derivations/growth.py: 1 - s = K/(e^x + K) for one token at gap x over K others",
            tag=_MODEL_TAG[count],
            description=f"attention error at a logit gap; {words}",
            stable=lambda *, seq_len, gap: gr.attention_error(gap, number(seq_len)),
            domain={"seq_len": _COUNT_DOMAIN, "gap": (-700, 700)},
            count=count,
        ),
        Formula(
            name="log_attention_error" + suffix,
            expr=sympy.log(error_expr),
            stable_expr=gr.log_attention_error_stable_expr(_x, K),
            arguments=("seq_len", "gap"),
            reference="derivations/growth.py: log(1 - s), about log K - x for large gaps",
            tag=_MODEL_TAG[count],
            description=f"log attention error at a logit gap; {words}",
            stable=lambda *, seq_len, gap: gr.log_attention_error(gap, number(seq_len)),
            domain={"seq_len": _COUNT_DOMAIN, "gap": (-(10**4), 10**4)},
            log_scale=True,
            count=count,
        ),
        Formula(
            name="target_gap" + suffix,
            expr=sympy.log(K * (1 - error) / error),
            arguments=("seq_len", "target_attention_error"),
            reference="derivations/growth.py: the gap at which 1 - s = K/(e^x + K) equals epsilon",
            tag=_MODEL_TAG[count],
            description=f"logit gap at which the attention error reaches epsilon: log K + log((1-eps)/eps); {words}",
            stable=lambda *, seq_len, target_attention_error: (
                math.log(number(seq_len)) + math.log1p(-target_attention_error) - math.log(target_attention_error)
            ),
            # A target is an attention error the tracked token reaches by winning: below 1/2 (the
            # gap at epsilon = K/(K + 1) is 0, where the formula is ill-conditioned in epsilon).
            domain={
                "seq_len": _COUNT_DOMAIN,
                "target_attention_error": (sympy.Rational(1, 10**6), sympy.Rational(1, 2)),
            },
            count=count,
        ),
        Formula(
            name="time_to_gap" + suffix,
            expr=difference / sym.drive,
            stable_expr=gr.growth_difference_stable_expr(sym.gap_target, sym.gap_initial, K) / sym.drive,
            arguments=gap_args,
            reference="derivations/growth.py: g(x(tau)) - g(x(0)) = c tau for a constant drive c",
            tag=_MODEL_TAG[count],
            description=f"flow time for a gap to grow from Lambda_0 to G under drive c (about e^G/(K c)); {words}",
            stable=lambda *, seq_len, gap_initial, gap_target, drive: (
                gr.growth_difference(gap_target, gap_initial, number(seq_len)) / drive
            ),
            domain={**gap_domain, "gap_target": (sym.gap_initial + sympy.Rational(1, 100), 600)},
            count=count,
        ),
        Formula(
            name="log_time_to_gap" + suffix,
            expr=sympy.log(difference / sym.drive),
            stable_expr=gr.log_growth_difference_stable_expr(sym.gap_target, sym.gap_initial, K) - sympy.log(sym.drive),
            arguments=gap_args,
            reference="derivations/growth.py: the time to reach a gap is exponential in the gap",
            tag=_MODEL_TAG[count],
            description=f"log of the flow time to reach gap G; finite for G ~ 1e4; {words}",
            stable=lambda *, seq_len, gap_initial, gap_target, drive: (
                gr.log_growth_difference(gap_target, gap_initial, number(seq_len)) - math.log(drive)
            ),
            domain={**gap_domain, "gap_target": (sym.gap_initial + sympy.Rational(1, 100), 10**4)},
            log_scale=True,
            count=count,
        ),
        Formula(
            name="gap_lower_bound" + suffix,
            expr=bound(sym.drive_lower),
            arguments=bound_args_lower,
            reference="derivations/growth.py: dx/dtau >= c_- s(1-s) gives g(x(tau)) >= g(x(0)) + c_- tau",
            tag=_MODEL_TAG[count],
            description=f"lower bound on a gap at time tau from a lower bound c_- on its drive; {words}",
            stable=lambda *, seq_len, gap_initial, drive_lower, time: bound_stable(
                seq_len, gap_initial, drive_lower, time
            ),
            domain={**bound_domain, "drive_lower": (sympy.Rational(1, 10**6), 1000)},
            count=count,
        ),
        Formula(
            name="gap_upper_bound" + suffix,
            expr=bound(sym.drive_upper),
            arguments=("seq_len", "gap_initial", "drive_upper", "time"),
            reference="derivations/growth.py: dx/dtau <= c_+ s(1-s) gives g(x(tau)) <= g(x(0)) + c_+ tau",
            tag=_MODEL_TAG[count],
            description=f"upper bound on a gap at time tau from an upper bound c_+ on its drive; {words}",
            stable=lambda *, seq_len, gap_initial, drive_upper, time: bound_stable(
                seq_len, gap_initial, drive_upper, time
            ),
            domain={**bound_domain, "drive_upper": (sympy.Rational(1, 10**6), 1000)},
            count=count,
        ),
        Formula(
            name="attention_error_bound" + suffix,
            expr=K / (sympy.exp(bound(sym.drive_lower)) + K),
            stable_expr=sympy.exp(gr.log_attention_error_stable_expr(bound(sym.drive_lower), K)),
            arguments=bound_args_lower,
            reference="derivations/growth.py: the attention error decays like 1/(c tau) once the gap is large",
            tag=_MODEL_TAG[count],
            description=f"upper bound on the attention error 1 - s at time tau, from the gap lower bound; {words}",
            stable=lambda *, seq_len, gap_initial, drive_lower, time: gr.attention_error(
                bound_stable(seq_len, gap_initial, drive_lower, time), number(seq_len)
            ),
            domain={**bound_domain, "drive_lower": (sympy.Rational(1, 10**6), 1000)},
            count=count,
        ),
    ]
    return {formula.name.removesuffix(suffix) if suffix else formula.name: formula for formula in family}


#: The formulas built on g, per token count: ``GROWTH_FAMILIES[count][base_name]``.
GROWTH_FAMILIES: dict[str, dict[str, Formula]] = {count: _growth_family(count) for count in gr.COUNTS}


def growth_formula(base_name: str, count: str = "T") -> Formula:
    """The formula ``base_name`` built on g (e.g. "time_to_gap") with token count ``count``.

    ``count="T"`` is the paper's g (log T); ``count="T-1"`` is exact for the model's T tokens.

    Paper: the growth function g; counts as in ``theory.growth.competitor_count``.

    Raises
    ------
    KeyError, ValueError
        For an unknown base name (listing the known ones) or count.
    """
    gr.competitor_count(3, count)
    family = GROWTH_FAMILIES[count]
    if base_name not in family:
        raise KeyError(f"unknown g-based formula {base_name!r}: known are {', '.join(family)}")
    return family[base_name]


_paper, _exact = GROWTH_FAMILIES["T"], GROWTH_FAMILIES["T-1"]
GROWTH_G, GROWTH_G_T_MINUS_1 = _paper["growth_g"], _exact["growth_g"]
GROWTH_G_DERIVATIVE, GROWTH_G_DERIVATIVE_T_MINUS_1 = _paper["growth_g_derivative"], _exact["growth_g_derivative"]
LOG_GROWTH_G, LOG_GROWTH_G_T_MINUS_1 = _paper["log_growth_g"], _exact["log_growth_g"]
ATTENTION_ERROR, ATTENTION_ERROR_T_MINUS_1 = _paper["attention_error"], _exact["attention_error"]
LOG_ATTENTION_ERROR, LOG_ATTENTION_ERROR_T_MINUS_1 = _paper["log_attention_error"], _exact["log_attention_error"]
TARGET_GAP, TARGET_GAP_T_MINUS_1 = _paper["target_gap"], _exact["target_gap"]
TIME_TO_GAP, TIME_TO_GAP_T_MINUS_1 = _paper["time_to_gap"], _exact["time_to_gap"]
LOG_TIME_TO_GAP, LOG_TIME_TO_GAP_T_MINUS_1 = _paper["log_time_to_gap"], _exact["log_time_to_gap"]
GAP_LOWER_BOUND, GAP_LOWER_BOUND_T_MINUS_1 = _paper["gap_lower_bound"], _exact["gap_lower_bound"]
GAP_UPPER_BOUND, GAP_UPPER_BOUND_T_MINUS_1 = _paper["gap_upper_bound"], _exact["gap_upper_bound"]
ATTENTION_ERROR_BOUND, ATTENTION_ERROR_BOUND_T_MINUS_1 = (
    _paper["attention_error_bound"],
    _exact["attention_error_bound"],
)

FORMULAS: tuple[Formula, ...] = (
    LOGISTIC_LOSS,
    PLATEAU_BENIGN,
    PLATEAU_NOT_OVERFITTING,
    CLEAN_TEST_LOSS_FLOOR,
    SNR,
    N_SNR_SQUARED,
    EXISTENCE_SCALE_LOWER,
    EXISTENCE_SCALE_UPPER,
    BASELINE_TEST_ACCURACY,
    *GROWTH_FAMILIES["T"].values(),
    *GROWTH_FAMILIES["T-1"].values(),
)
