"""Checks of one trajectory against what the theory predicts, each with the numbers behind it.

Every check returns a ``CheckResult``: what was predicted, what was observed, the tolerance, and
``passed`` True / False / None (None: the theory does not decide, e.g. a constant is missing or
the run never reached the stage the check is about). A check is a pure function of the
trajectory, and every check has a test with a trajectory that fails it.

Paper: arXiv 2409.17625 v3 Figure 1 (regimes), the two-stage proof with the growth function g
(Lambda and Gamma gaps), the delayed generalisation of the abstract, the v1 attention-mass
balance; our derivations (derivations/plateaus.py, derivations/growth.py).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from theory.conditions import V1_A1_DIMENSION, V1_A1_SIGNAL, V1_A2
from theory.growth import COUNTS, competitor_count, log_growth_difference
from theory.records import AssumptionWarning
from theory.regimes import predict
from theory.validation import InputError
from verify.reporting.attention_mass import attention_mass_summary
from verify.reporting.classify import Classification, OutcomeTolerances, classify
from verify.trajectory import Trajectory

__all__ = [
    "CheckResult",
    "GapDefinition",
    "GAP_KINDS",
    "GAP_COUNTS",
    "gap_series",
    "g_growth_series",
    "check_regime",
    "check_plateau",
    "check_g_growth",
    "check_delayed_generalization",
    "check_mass_balance",
    "v1_hypotheses",
    "run_checks",
]

GAP_KINDS = ("min", "mean", "soft")
GAP_COUNTS = COUNTS


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return float(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """One comparison of a trajectory with a prediction.

    Paper: ``reference`` names the statement being checked.

    Parameters
    ----------
    name : str
    reference : str
        Where the paper (or our derivations) states the prediction.
    predicted, observed, tolerance : JSON-ready values (numbers, strings, dicts) or None
    passed : bool or None
        None when the theory does not decide (missing constant, stage not reached).
    notes : str
        How the numbers were obtained and which choices were made.
    """

    name: str
    reference: str
    predicted: Any
    observed: Any
    tolerance: Any
    passed: bool | None
    notes: str = ""

    def __post_init__(self) -> None:
        if self.passed not in (True, False, None):
            raise ValueError(f"{self.name}: passed={self.passed!r} must be True, False or None")
        for name in ("predicted", "observed", "tolerance"):
            object.__setattr__(self, name, _jsonable(getattr(self, name)))
        object.__setattr__(self, "passed", None if self.passed is None else bool(self.passed))

    @property
    def outcome(self) -> str:
        """ "pass", "fail" or "undetermined"."""
        return {True: "pass", False: "fail", None: "undetermined"}[self.passed]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "reference": self.reference,
            "predicted": self.predicted,
            "observed": self.observed,
            "tolerance": self.tolerance,
            "passed": self.passed,
            "outcome": self.outcome,
            "notes": self.notes,
        }


# ----------------------------------------------------------------------------- gaps Lambda, Gamma


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class GapDefinition:
    """How the gaps Lambda (clean samples) and Gamma (noisy samples) are read off the logits.

    Paper: the proof tracks Lambda_{i,t} (clean) and Gamma_{i,u} (noisy); their exact
    definitions are not known to us [OPEN], so this is a visible choice.

    Parameters
    ----------
    kind : {"min", "mean", "soft"}
        Gap of the tracked token a over the other tokens: "min" = z_a - max_{t != a} z_t (the
        binding token), "mean" = z_a - mean_{t != a} z_t,
        "soft" = z_a - log(mean_{t != a} e^{z_t}) (the gap at which one token above T - 1
        equal others has exactly weight s_a).
    count : {"T", "T-1"}
        The count in g(x) = 2x + 2 sinh(x - log count): the paper's T, or T - 1 (one token
        above T - 1 others, exact for the two-level picture).
    clean_token, noisy_token : int
        Tracked token of clean samples (relevant, 0) and noisy samples (weakly relevant
        opposite, 2; our token indices are 0-based).
    """

    kind: str = "soft"
    count: str = "T"
    # The paper's layout (one token per role): token 0 relevant, token 2 weakly relevant opposite.
    clean_token: int = 0
    noisy_token: int = 2

    def __post_init__(self) -> None:
        if self.kind not in GAP_KINDS:
            raise InputError(f"gap kind {self.kind!r}: must be one of {', '.join(GAP_KINDS)}")
        if self.count not in GAP_COUNTS:
            raise InputError(f"gap count {self.count!r}: must be one of {', '.join(GAP_COUNTS)}")
        for name in ("clean_token", "noisy_token"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InputError(f"{name}={value!r}: must be a token index >= 0")

    def g_count(self, seq_len: int) -> float:
        """The count entering g for sequences of ``seq_len`` tokens."""
        return float(competitor_count(seq_len, self.count))

    def describe(self) -> str:
        formula = {
            "min": "z_a - max_{t!=a} z_t",
            "mean": "z_a - mean_{t!=a} z_t",
            "soft": "z_a - log mean_{t!=a} exp(z_t)",
        }[self.kind]
        return (
            f"gap = {formula}; a = token {self.clean_token} (clean, Lambda) / token "
            f"{self.noisy_token} (noisy, Gamma); g uses log({self.count})"
        )

    def mathtext(self) -> str:
        """The definition as matplotlib mathtext, for figure titles."""
        gap = {
            "min": r"z_a - \max_{t \neq a} z_t",
            "mean": r"z_a - \mathrm{mean}_{t \neq a}\, z_t",
            "soft": r"z_a - \log \mathrm{mean}_{t \neq a}\, e^{z_t}",
        }[self.kind]
        count = "T" if self.count == "T" else "(T-1)"
        return (
            f"{self.kind} gap $x = {gap}$ ($a$ = token {self.clean_token} for $\\Lambda$, "
            f"{self.noisy_token} for $\\Gamma$); $g(x) = 2x + 2\\sinh(x - \\log {count})$"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "count": self.count,
            "clean_token": self.clean_token,
            "noisy_token": self.noisy_token,
        }


def gap_series(logits: np.ndarray, token: int, kind: str) -> np.ndarray:
    """Gap of ``token`` over the other tokens, for logits of shape (..., T).

    Logits known only up to a per-sample constant (e.g. log-attention of an official run)
    give the same gaps.

    Paper: Lambda / Gamma of the proof under the chosen definition [OPEN].
    """
    logits = np.asarray(logits, dtype=np.float64)
    T = logits.shape[-1]
    if not 0 <= token < T:
        raise InputError(f"token {token}: must be < seq_len {T}")
    own = logits[..., token]
    others = np.delete(logits, token, axis=-1)
    if kind == "min":
        return own - others.max(axis=-1)
    if kind == "mean":
        return own - others.mean(axis=-1)
    if kind == "soft":
        top = others.max(axis=-1, keepdims=True)
        lse = top[..., 0] + np.log(np.exp(others - top).sum(axis=-1))
        return own - lse + math.log(T - 1)
    raise InputError(f"gap kind {kind!r}: must be one of {', '.join(GAP_KINDS)}")


def _group(trajectory: Trajectory, definition: GapDefinition, group: str) -> tuple[np.ndarray, int]:
    noisy = trajectory.noisy
    if group == "clean":
        return np.flatnonzero(~noisy), definition.clean_token
    if group == "noisy":
        return np.flatnonzero(noisy), definition.noisy_token
    raise InputError(f"group {group!r}: must be 'clean' or 'noisy'")


def _logits(trajectory: Trajectory) -> np.ndarray:
    a = trajectory.arrays
    if "logits_train" in a:
        return np.asarray(a["logits_train"], dtype=np.float64)
    # Gaps are differences of logits, which log-attention gives exactly (up to rounding).
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(a["attention_train"], dtype=np.float64))


def _recorded(trajectory: Trajectory) -> np.ndarray:
    """Checkpoints whose attention was recorded (an imported official run lacks its final one)."""
    attention = np.asarray(trajectory.arrays["attention_train"], dtype=np.float64)
    return np.any(np.isfinite(attention.reshape(len(attention), -1)), axis=1)


def _log_growth_increments(gap: np.ndarray, start: np.ndarray, count: float) -> np.ndarray:
    """log(g(gap) - g(start)) per entry; NaN where the gap has not grown or is not finite."""
    out = np.full(gap.shape, np.nan)
    for index in np.ndindex(gap.shape):
        x, x0 = float(gap[index]), float(start[index[1:]])
        if math.isfinite(x) and math.isfinite(x0) and x > x0:
            out[index] = log_growth_difference(x, x0, count)
    return out


def g_growth_series(
    trajectory: Trajectory, definition: GapDefinition, group: str, *, start_time: float = 0.0, saturation: float = 0.8
) -> dict[str, Any]:
    """g(gap(tau)) - g(gap(tau_s)) of each sample of ``group`` once it is in its final stage.

    A sample's stage starts at tau_s, the first checkpoint from which (a) tau >= ``start_time``
    and (b) the tracked token's attention stays >= ``saturation`` up to the end. Samples that
    never get there are left out.

    Paper: the growth function g of the paper's two-stage proof (once attention has saturated,
    bounds on the drive make g(Lambda) grow linearly in tau: the gap grows like log tau).

    Returns
    -------
    dict with ``time`` (K,), ``samples`` (the group's sample indices), ``gap`` (K, n_g),
    ``start`` (n_g,) index of tau_s or -1, ``log_growth`` (K, n_g) =
    log(g(gap(tau)) - g(gap(tau_s))) (NaN before tau_s or where g has not grown), and ``weight``
    (K, n_g), the tracked token's attention.
    """
    samples, token = _group(trajectory, definition, group)
    recorded = _recorded(trajectory)
    time = np.asarray(trajectory.arrays["time"], dtype=np.float64)[recorded]
    gap = gap_series(_logits(trajectory)[recorded][:, samples], token, definition.kind)
    weight = np.asarray(trajectory.arrays["attention_train"], dtype=np.float64)[recorded][:, samples, token]
    in_stage = (weight >= saturation) & (time >= start_time)[:, None]
    start = np.full(samples.size, -1)
    for j in range(samples.size):
        if in_stage[-1, j]:
            failing = np.flatnonzero(~in_stage[:, j])
            start[j] = 0 if failing.size == 0 else failing[-1] + 1
    reference = gap[np.where(start >= 0, start, 0), np.arange(samples.size)]
    log_growth = _log_growth_increments(gap, reference, definition.g_count(trajectory.params.seq_len))
    log_growth[np.arange(len(time))[:, None] <= start[None, :]] = np.nan
    log_growth[:, start < 0] = np.nan
    return {"time": time, "samples": samples, "gap": gap, "start": start, "log_growth": log_growth, "weight": weight}


def check_g_growth(
    trajectory: Trajectory,
    group: str,
    classification: Classification,
    *,
    definition: GapDefinition = GapDefinition(),
    saturation: float = 0.8,
    exponent_tol: float = 0.5,
    decades: float = 1.0,
    min_points: int = 5,
) -> CheckResult:
    """g(Lambda) (clean) or g(Gamma) (noisy) grows linearly in time in the final stage.

    Decided for runs that end in a regime (not undetermined). For each sample whose tracked
    token's attention has saturated (``g_growth_series``, with the stage starting no earlier
    than the time the run entered its final regime), fit the exponent k of
    g(gap(tau)) - g(gap(tau_s)) ~ (tau - tau_s)^k over the last ``decades`` decades of
    tau - tau_s. Predicted k = 1 (the gap grows like log tau). Passes when every sample has
    |k - 1| <= ``exponent_tol``; fails when one does not, or when a saturated gap stops
    growing. Undetermined when no sample has a stage spanning ``decades`` decades with
    ``min_points`` checkpoints in it, or the logits are not finite.

    Rejected, at any T: gaps that freeze (k = 0), grow like (1/3) log tau (k = 1/3),
    2 log tau (k = 2), sqrt(tau) or tau^2 (g grows exponentially), or random walks.

    Paper: the growth function g of the two-stage proof (g(x) = 2x + 2 sinh(x - log T); drive
    bounds give bounds on g(Lambda) linear in tau).
    """
    name = f"g_growth_{'lambda_clean' if group == 'clean' else 'gamma_noisy'}"
    reference = (
        "arXiv 2409.17625, two-stage proof: g("
        + ("Lambda" if group == "clean" else "Gamma")
        + ") grows linearly in tau once attention saturates (gap ~ log tau); gap definition open"
    )
    tolerance = {"exponent_tol": exponent_tol, "saturation": saturation, "decades": decades, "min_points": min_points}
    predicted = {"exponent": 1.0, "gap_definition": definition.to_dict()}
    result = functools.partial(CheckResult, name=name, reference=reference, predicted=predicted, tolerance=tolerance)
    changes = classification.timeline["changes"]
    start_time = changes[-1]["time"] if changes else 0.0
    logits = _logits(trajectory)[_recorded(trajectory)]
    if not np.all(np.isfinite(logits)) or len(logits) < 3:
        return result(
            observed=None,
            passed=None,
            notes="logits not finite or fewer than 3 checkpoints",
        )
    params = trajectory.params
    if (params.relevant_tokens, params.weak_tokens) != (1, 1):
        # A tracked token shares its role with others: its gap to them stays O(1) by design.
        return result(
            observed=None,
            passed=None,
            notes=f"not applicable: the proof tracks one token per role, this run has "
            f"{params.relevant_tokens} relevant and {params.weak_tokens} weakly relevant "
            "tokens per role",
        )
    if classification.regime == "undetermined":
        return result(
            observed=None,
            passed=None,
            notes="the run has not reached a final regime, so no final stage to measure",
        )
    series = g_growth_series(trajectory, definition, group, start_time=start_time, saturation=saturation)
    time = series["time"]
    exponents: list[float] = []
    stalled: list[int] = []
    unresolved: list[int] = []
    for j, sample in enumerate(series["samples"]):
        k0 = series["start"][j]
        if k0 < 0:
            continue
        elapsed = time - time[k0]
        window = (elapsed >= elapsed[-1] / 10**decades) & (elapsed > 0)
        if elapsed[-1] <= 0 or window.sum() < min_points:
            continue
        values = series["log_growth"][window, j]
        if not np.all(np.isfinite(values)):
            # With the tracked token's weight exactly 1 in float64 the gap is so large that its
            # predicted growth (of order e^-gap per unit time) is below float64's resolution.
            (unresolved if series["weight"][k0, j] == 1.0 else stalled).append(int(sample))
            continue
        exponents.append(float(np.polyfit(np.log(elapsed[window]), values, 1)[0]))
    saturated = int(np.sum(series["start"] >= 0))
    observed = {
        "samples": int(series["samples"].size),
        "saturated_samples": saturated,
        "measured_samples": len(exponents) + len(stalled),
        "stage_start_time": start_time,
        "exponent_range": [min(exponents), max(exponents)] if exponents else None,
        "exponent_median": float(np.median(exponents)) if exponents else None,
        "stalled_samples": stalled,
        "unresolved_samples": unresolved,
    }
    notes = definition.describe() + "."
    if not exponents and not stalled:
        return result(
            observed=observed,
            passed=None,
            notes=notes + f" No {group} sample stays saturated (>= {saturation}) over {decades:g} "
            f"decade(s) of time with {min_points} checkpoints after tau = {start_time:.4g}.",
        )
    off = [k for k in exponents if abs(k - 1.0) > exponent_tol]
    passed = not off and not stalled
    if stalled:
        notes += f" Gaps that stopped growing in their final stage: samples {stalled}."
    if unresolved:
        notes += (
            f" Samples {unresolved}: attention exactly 1 in float64, growth below float64 resolution (not measured)."
        )
    if off:
        notes += f" {len(off)} of {len(exponents)} exponents outside 1 +- {exponent_tol:g}."
    return result(
        observed=observed,
        passed=passed,
        notes=notes,
    )


# ----------------------------------------------------------------------------- regime and losses


def check_regime(
    trajectory: Trajectory, classification: Classification, *, constants: Mapping[str, Any] | None = None
) -> CheckResult:
    """Observed regime against ``theory.regimes.predict`` with the user's constants.

    Undetermined (passed None) when constants needed to decide are missing, or when the
    prediction is "boundary" or the observation is undetermined.

    Paper: v3 Figure 1 (harmful below SNR ~ d^(-1/4), not overfitting above SNR ~ n^(-1/2)).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        prediction = predict(trajectory.params, constants or {})
    observed = classification.regime
    decided = prediction.regime not in ("undetermined", "boundary") and observed != "undetermined"
    if prediction.regime == "undetermined":
        notes = f"constants missing to decide the regime: {', '.join(prediction.missing_constants)}"
    elif prediction.regime == "boundary":
        notes = f"the given constants place this point between regimes: {prediction.reason}"
    else:
        notes = f"constants used: {dict(prediction.constants)}"
    return CheckResult(
        name="regime",
        reference="arXiv 2409.17625 v3, Figure 1 (regime map)",
        predicted={"regime": prediction.regime, "snr": prediction.snr, "n_snr_squared": prediction.n_snr_squared},
        observed={"regime": observed},
        tolerance=None,
        passed=(prediction.regime == observed) if decided else None,
        notes=notes,
    )


def check_plateau(
    trajectory: Trajectory, classification: Classification, *, abs_tol: float = 0.02, settle_tol: float = 0.01
) -> CheckResult:
    """Final training loss against the plateau of the observed regime.

    Benign overfitting: (1-eta) l(1/sqrt2) + eta l(rho/sqrt2); not overfitting:
    (1-eta) l(1/sqrt2) + eta l(-1/sqrt2). Harmful and undetermined runs have no predicted level.
    ``abs_tol`` absorbs the nu^T xi fluctuation (variance 1/||mu||^2). Decided only when the
    loss has settled: it changed by at most ``settle_tol`` over the last fifth of the run's time.

    Paper: the loss floor |f| <= max_t |gamma_t| (derivations/plateaus.py).
    """
    reference = "derivations/plateaus.py: loss plateaus of benign overfitting and not overfitting"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        plateaus = predict(trajectory.params).plateaus
    time = np.asarray(trajectory.arrays["time"], dtype=np.float64)
    loss = np.asarray(trajectory.arrays["train_loss"], dtype=np.float64)
    level = {"benign": plateaus["plateau_benign"], "not_overfitting": plateaus["plateau_not_overfitting"]}.get(
        classification.regime
    )
    predicted = {
        "regime": classification.regime,
        "level": level,
        "plateau_benign": plateaus["plateau_benign"],
        "plateau_not_overfitting": plateaus["plateau_not_overfitting"],
    }
    tolerance = {"abs": abs_tol, "settle": settle_tol}
    last_fifth = loss[time >= 0.8 * time[-1]]
    if not np.all(np.isfinite(last_fifth)):
        return CheckResult(
            name="loss_plateau",
            reference=reference,
            predicted=predicted,
            observed={"final_train_loss": None},
            tolerance=tolerance,
            passed=None,
            notes="training loss not finite over the last fifth of the run",
        )
    observed = float(loss[-1])
    change = float(last_fifth.max() - last_fifth.min())
    settled = change <= settle_tol
    passed = None if level is None or not settled else abs(observed - level) <= abs_tol
    if trajectory.params.label_noise >= 0.5:
        notes = "not applicable: the plateaus are derived for label_noise < 1/2 (clean samples in the majority)"
    elif level is None:
        notes = f"no plateau is predicted for a {classification.regime} run"
    elif not settled:
        notes = f"loss still moving (changed {change:.3g} over the last fifth of the run): not on a plateau yet"
    else:
        notes = "level of the observed regime"
    return CheckResult(
        name="loss_plateau",
        reference=reference,
        predicted=predicted,
        observed={
            "final_train_loss": observed,
            "change_last_fifth": change,
            "difference": None if level is None else observed - level,
        },
        tolerance=tolerance,
        passed=passed,
        notes=notes,
    )


def check_delayed_generalization(
    trajectory: Trajectory, classification: Classification, *, min_ratio: float = 1.0
) -> CheckResult:
    """Generalisation comes after every label is fitted: tau_2 / tau_1 > ``min_ratio``.

    tau_1: from when every training label stays fitted; tau_2: from when the clean test error
    stays <= epsilon_err and the test loss within epsilon of its floor l(1/sqrt 2) (both from
    ``classification.timeline``; tolerances in ``classification.tolerances``). Decided for runs
    that end benign. Undetermined when tau_2 is not reached within the run (the run says
    nothing about when it would be), or tau_1 is the first checkpoint.

    Paper: arXiv 2409.17625, abstract (generalisation is delayed: it arrives after the
    training labels are fitted, grokking-like).
    """
    reference = "arXiv 2409.17625, abstract: delayed (grokking-like) generalisation in benign overfitting"
    timeline = classification.timeline
    t_fit, t_gen = timeline["time_all_fitted"], timeline["time_generalized"]
    tol = classification.tolerances
    observed: dict[str, Any] = {
        "time_all_fitted": t_fit,
        "time_generalized": t_gen,
        "final_test_loss": classification.outcome["test_loss"],
        "ratio": None,
    }
    predicted = {"ratio_greater_than": min_ratio, "test_loss_floor": classification.outcome["clean_test_loss_floor"]}
    tolerance = {"error_tolerance": tol.error_tolerance, "loss_tolerance": tol.loss_tolerance}
    passed = None
    if classification.regime != "benign":
        notes = f"a delay is predicted for benign runs; this one is {classification.regime}"
    elif t_fit is None or t_fit <= float(trajectory.arrays["time"][0]):
        notes = "labels fitted at the first checkpoint: no delay can be measured"
    elif t_gen is None:
        notes = (
            "the test loss does not reach its floor (within the tolerance) by the end of the run: "
            "when generalisation comes is not known"
        )
    else:
        observed["ratio"] = t_gen / t_fit
        passed = observed["ratio"] > min_ratio
        notes = f"generalised at tau = {t_gen:.4g}, {observed['ratio']:.3g} times the fitting time"
    return CheckResult(
        name="delayed_generalization",
        reference=reference,
        predicted=predicted,
        observed=observed,
        tolerance=tolerance,
        passed=passed,
        notes=notes,
    )


def v1_hypotheses(params, *, failure_prob: float = 0.01) -> dict[str, Any]:
    """Margins of the v1 assumptions A1 (both parts) and A2 at ``params``: reported, not checked.

    They come from the authors' own notebook check, with every constant set to 1: order
    conditions, so a violated margin says the setting is outside the stated hypotheses, not
    that a prediction failed (the paper's own default setting violates A1).

    Paper: arXiv 2409.17625 v1 assumptions, in the form of the authors' check (delta =
    ``failure_prob``).
    """
    margins = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        for condition in (V1_A1_SIGNAL, V1_A1_DIMENSION, V1_A2):
            margin = condition.evaluate(params, inputs={"failure_prob": failure_prob})
            margins[condition.name] = {
                "holds": margin.holds,
                "lhs": margin.lhs,
                "rhs": margin.rhs,
                "ratio": margin.ratio,
            }
    failing = [name for name, m in margins.items() if not m["holds"]]
    return {
        "source": "v1 assumptions as the authors check them, constants set to 1 (order conditions)",
        "failure_prob": failure_prob,
        "margins": margins,
        "summary": ("outside the v1 hypotheses: " + ", ".join(failing)) if failing else "all v1 hypotheses hold",
    }


def check_mass_balance(
    trajectory: Trajectory, classification: Classification, *, threshold: float = 1.0, collapse_drop: float = 0.1
) -> CheckResult:
    """The v1 attention-mass rule as a prediction about generalisation.

    The ratio is the smaller of ``ratio_clean_pos_over_noisy_neg`` and
    ``ratio_clean_neg_over_noisy_pos`` of ``verify.reporting.attention_mass`` (cumulative S = a(1 - a) of
    the clean samples of one observed label over the noisy samples of the other). The authors'
    rule: test accuracy collapses once the ratio falls below ``threshold`` (about 1), and holds
    above it. Observed: test accuracy collapsed if the final test accuracy is more than
    ``collapse_drop`` below the untrained model's (the first checkpoint at tau = 0, or the
    closed-form baseline when that was not measured).

    Decided only for p-only training (W fixed), the setting in which the authors stated and
    observed the rule (v1 prompt tuning, their label-noise study); reported and not decided for
    joint (W, p) training, and undetermined without noisy samples of both labels.

    Paper: arXiv 2409.17625 v1 and the authors' public code (attention-mass balance; collapse
    between ratios 1.39 and 0.78).
    """
    reference = "arXiv 2409.17625 v1 and the authors' code: attention-mass balance (p-only label-noise study)"
    summary = attention_mass_summary(trajectory)
    ratios = {key: summary.get(key) for key in ("ratio_clean_pos_over_noisy_neg", "ratio_clean_neg_over_noisy_pos")}
    defined = [value for value in ratios.values() if value is not None]
    tolerance = {"threshold": threshold, "collapse_drop": collapse_drop}
    if not defined:
        return CheckResult(
            name="mass_balance",
            reference=reference,
            predicted=None,
            observed=ratios,
            tolerance=tolerance,
            passed=None,
            notes="needs clean and noisy samples of opposite observed labels and finite recorded attention",
        )
    ratio = min(defined)
    a = trajectory.arrays
    start = float(a["test_acc"][0])
    if float(a["time"][0]) == 0.0 and math.isfinite(start):
        baseline, measured = start, "measured at tau = 0"
    else:
        baseline, measured = classification.outcome["baseline_test_accuracy"], "closed form (not measured at tau = 0)"
    final_acc = float(a["test_acc"][-1])
    collapsed = final_acc < baseline - collapse_drop
    predicted = {
        "test_accuracy": "collapses" if ratio < threshold else "holds",
        "rule": f"test accuracy collapses iff the clean/noisy ratio < {threshold:g}",
    }
    observed = {
        "ratio": ratio,
        **ratios,
        "test_acc": final_acc,
        "baseline_test_acc": baseline,
        "test_accuracy": "collapses" if collapsed else "holds",
        "exact": summary["exact"],
    }
    decided = trajectory.params.train == "p_only"
    if not decided:
        notes = (
            "the rule was stated and observed for p-only training (v1 prompt tuning); reported, not "
            "decided, for joint (W, p) training"
        )
    else:
        notes = (
            f"ratio = min of the two clean/noisy sums (not means); baseline test accuracy {measured}; "
            + summary["notes"]
        )
    return CheckResult(
        name="mass_balance",
        reference=reference,
        predicted=predicted,
        observed=observed,
        tolerance=tolerance,
        passed=(predicted["test_accuracy"] == observed["test_accuracy"]) if decided else None,
        notes=notes,
    )


def run_checks(
    trajectory: Trajectory,
    *,
    constants: Mapping[str, Any] | None = None,
    definition: GapDefinition = GapDefinition(),
    tolerances: OutcomeTolerances | None = None,
) -> tuple[Classification, list[CheckResult]]:
    """Classify the trajectory and run every check that reads it.

    Paper: see each check.
    """
    classification = classify(trajectory, tolerances=tolerances)
    checks = [
        check_regime(trajectory, classification, constants=constants),
        check_plateau(trajectory, classification),
        check_g_growth(trajectory, "clean", classification, definition=definition),
        check_g_growth(trajectory, "noisy", classification, definition=definition),
        check_delayed_generalization(trajectory, classification),
        check_mass_balance(trajectory, classification),
    ]
    return classification, checks
