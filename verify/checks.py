"""Checks of one trajectory against what the theory predicts, each with the numbers behind it.

Every check returns a ``CheckResult``: what was predicted, what was observed, the tolerance, and
``passed`` True / False / None (None: the theory does not decide, e.g. a constant is missing or
the run never reached the stage the check is about). A check is a pure function of the
trajectory (and, for the existence construction, of freshly drawn data).

Paper: v3 Figure 1 (regimes), the two-stage proof with the growth function g (Lambda and Gamma
gaps), v1 Assumptions A1-A2, the v1 attention-mass balance and existence construction;
SPEC sections 4.1, 4.2 and 5.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from numerics.data import Data, RELEVANT, WEAK_OPPOSITE, make_data
from theory.bounds import EXISTENCE_SCALE_LOWER, EXISTENCE_SCALE_UPPER
from theory.conditions import V1_A1_DIMENSION, V1_A1_SIGNAL, V1_A2
from theory.growth import growth_difference
from theory.records import AssumptionWarning
from theory.regimes import predict
from verify.classify import Classification, classify
from verify.trajectory import Trajectory

__all__ = [
    "CheckResult",
    "GapDefinition",
    "GAP_KINDS",
    "GAP_COUNTS",
    "gap_series",
    "gap_bound_series",
    "existence_construction",
    "existence_window",
    "check_regime",
    "check_plateau",
    "check_gap_bound",
    "check_delayed_generalization",
    "check_v1_assumptions",
    "check_mass_balance",
    "check_existence",
    "run_checks",
]

GAP_KINDS = ("min", "mean", "soft")
GAP_COUNTS = ("T", "T-1")


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
        Where the paper (or SPEC, for our derivations) states the prediction.
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
        """"pass", "fail" or "undetermined"."""
        return {True: "pass", False: "fail", None: "undetermined"}[self.passed]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "reference": self.reference, "predicted": self.predicted,
                "observed": self.observed, "tolerance": self.tolerance, "passed": self.passed,
                "outcome": self.outcome, "notes": self.notes}


# ----------------------------------------------------------------------------- gaps Lambda, Gamma

@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class GapDefinition:
    """How the gaps Lambda (clean samples) and Gamma (noisy samples) are read off the logits.

    Paper: the proof tracks Lambda_{i,t} (clean) and Gamma_{i,u} (noisy); their exact
    definitions are [OPEN] (SPEC section 5), so this is a visible choice.

    Parameters
    ----------
    kind : {"min", "mean", "soft"}
        Gap of the tracked token a over the other tokens: "min" = z_a - max_{t != a} z_t (the
        binding token, SPEC's best guess taken over t), "mean" = z_a - mean_{t != a} z_t,
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
    clean_token: int = RELEVANT
    noisy_token: int = WEAK_OPPOSITE

    def __post_init__(self) -> None:
        if self.kind not in GAP_KINDS:
            raise ValueError(f"gap kind {self.kind!r}: must be one of {', '.join(GAP_KINDS)}")
        if self.count not in GAP_COUNTS:
            raise ValueError(f"gap count {self.count!r}: must be one of {', '.join(GAP_COUNTS)}")
        for name in ("clean_token", "noisy_token"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name}={value!r}: must be a token index >= 0")

    def g_count(self, seq_len: int) -> float:
        """The count entering g for sequences of ``seq_len`` tokens."""
        return float(seq_len if self.count == "T" else seq_len - 1)

    def describe(self) -> str:
        formula = {"min": "z_a - max_{t!=a} z_t", "mean": "z_a - mean_{t!=a} z_t",
                   "soft": "z_a - log mean_{t!=a} exp(z_t)"}[self.kind]
        return (f"gap = {formula}; a = token {self.clean_token} (clean, Lambda) / token "
                f"{self.noisy_token} (noisy, Gamma); g uses log({self.count})")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "count": self.count, "clean_token": self.clean_token,
                "noisy_token": self.noisy_token}


def gap_series(logits: np.ndarray, token: int, kind: str) -> np.ndarray:
    """Gap of ``token`` over the other tokens, for logits of shape (..., T).

    Logits known only up to a per-sample constant (e.g. log-attention of an official run)
    give the same gaps.

    Paper: Lambda / Gamma of the proof under the chosen definition (SPEC section 5 [OPEN]).
    """
    logits = np.asarray(logits, dtype=np.float64)
    T = logits.shape[-1]
    if not 0 <= token < T:
        raise ValueError(f"token {token}: must be < seq_len {T}")
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
    raise ValueError(f"gap kind {kind!r}: must be one of {', '.join(GAP_KINDS)}")


def _group(trajectory: Trajectory, definition: GapDefinition, group: str) -> tuple[np.ndarray, int]:
    noisy = trajectory.noisy
    if group == "clean":
        return np.flatnonzero(~noisy), definition.clean_token
    if group == "noisy":
        return np.flatnonzero(noisy), definition.noisy_token
    raise ValueError(f"group {group!r}: must be 'clean' or 'noisy'")


def _logits(trajectory: Trajectory) -> np.ndarray:
    a = trajectory.arrays
    if "logits_train" in a:
        return np.asarray(a["logits_train"], dtype=np.float64)
    # Gaps are differences of logits, which log-attention gives exactly (up to rounding).
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(a["attention_train"], dtype=np.float64))


def _growth_increments(gap: np.ndarray, reference: np.ndarray, count: float) -> np.ndarray:
    """g(gap) - g(reference) elementwise, NaN where it overflows float64 or a gap is not finite."""
    out = np.full(np.broadcast(gap, reference).shape, np.nan)
    for index, (x, x0) in enumerate(zip(*(a.ravel() for a in np.broadcast_arrays(gap, reference)))):
        if np.isfinite(x) and np.isfinite(x0):
            try:
                out.flat[index] = growth_difference(float(x), float(x0), count)
            except OverflowError:
                pass
    return out


def gap_bound_series(trajectory: Trajectory, definition: GapDefinition, group: str) -> dict[str, np.ndarray]:
    """g(gap(tau)) - g(gap(0)) per sample, and the band from the group's own drive.

    The drive of sample i is c_i = (dx_i/dtau) / (s_a (1 - s_a)), s_a the tracked token's actual
    weight and x_i its soft gap. Because s_a = e^x / (e^x + T - 1) exactly for the soft gap,
    c_i integrates exactly between checkpoints: the integral over an interval is the
    increment of g_{T-1}(x_i) (g with count T - 1). The band is the integral of the minimum and
    of the maximum over the group's samples of c_i. Under the chosen definition (gap kind and
    count) the theory predicts g(gap_i(tau)) - g(gap_i(0)) inside the band; it holds by
    construction only for the soft gap with count T - 1, and is a real test otherwise.

    Paper: the growth function g and SPEC section 4.1 (dLambda/dtau = c s(1-s) gives
    g(Lambda(tau)) - g(Lambda(0)) = integral of c).

    Returns
    -------
    dict with ``time`` (K,), ``samples`` (n_g,), ``gap`` (K, n_g), ``growth`` (K, n_g),
    ``drive`` (K-1, n_g) interval-mean drives, ``lower`` and ``upper`` (K,), ``weight`` (K, n_g) = s_a.
    """
    samples, token = _group(trajectory, definition, group)
    time = np.asarray(trajectory.arrays["time"], dtype=np.float64)
    logits = _logits(trajectory)[:, samples]
    seq_len = trajectory.params.seq_len
    gap = gap_series(logits, token, definition.kind)
    growth = _growth_increments(gap, gap[:1], definition.g_count(seq_len))
    soft = gap_series(logits, token, "soft")
    dt = np.diff(time)[:, None]
    drive = _growth_increments(soft[1:], soft[:-1], float(seq_len - 1)) / dt
    if samples.size:
        lower = np.r_[0.0, np.cumsum(np.min(drive, axis=1) * dt[:, 0])]
        upper = np.r_[0.0, np.cumsum(np.max(drive, axis=1) * dt[:, 0])]
    else:
        lower = upper = np.zeros_like(time)
    weight = np.asarray(trajectory.arrays["attention_train"], dtype=np.float64)[:, samples, token]
    return {"time": time, "samples": samples, "gap": gap, "growth": growth, "drive": drive,
            "lower": lower, "upper": upper, "weight": weight}


def _linear_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares slope and R^2 of y against x."""
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    total = np.sum((y - y.mean()) ** 2)
    return float(slope), float(1.0 - np.sum(residual**2) / total) if total > 0 else 1.0


def check_gap_bound(trajectory: Trajectory, group: str, *, definition: GapDefinition = GapDefinition(),
                    rel_tol: float = 0.15, saturation: float = 0.8, min_r2: float = 0.9,
                    min_points: int = 10) -> CheckResult:
    """g-function bound and linear growth of the clean gaps Lambda ("clean") or noisy Gamma ("noisy").

    Passes when every sample's g(gap(tau)) - g(gap(0)) lies in the band of ``gap_bound_series``
    (widened by ``rel_tol`` times the band's magnitude) at every checkpoint, and, once the tracked
    token's weight exceeds ``saturation``, g(gap) grows linearly in tau (R^2 >= ``min_r2`` for
    every sample with at least ``min_points`` saturated checkpoints).

    Paper: the two-stage proof's growth function g (SPEC sections 1 and 4.1: bounds on the drive
    become bounds on g(Lambda) linear in time); Gamma for noisy samples.
    """
    name = "g_bound_lambda_clean" if group == "clean" else "g_bound_gamma_noisy"
    reference = ("Proof of the main theorem: g(x) = 2x + 2 sinh(x - log T) turns drive bounds into "
                 "linear-in-time bounds on g(" + ("Lambda" if group == "clean" else "Gamma") +
                 "); SPEC 4.1; gap definition SPEC 5 [OPEN]")
    tolerance = {"rel_tol": rel_tol, "saturation": saturation, "min_r2": min_r2, "min_points": min_points}
    series = gap_bound_series(trajectory, definition, group)
    if series["samples"].size == 0 or len(series["time"]) < 3:
        return CheckResult(name=name, reference=reference, predicted=None, observed=None, tolerance=tolerance,
                           passed=None, notes=f"no {group} samples or fewer than 3 checkpoints")
    growth, lower, upper = series["growth"], series["lower"][:, None], series["upper"][:, None]
    slack = rel_tol * np.maximum(np.abs(lower), np.abs(upper)) + 1e-9
    finite = np.isfinite(growth)
    inside = (growth >= lower - slack) & (growth <= upper + slack)
    fraction_inside = float(np.mean(inside[finite])) if finite.any() else float("nan")
    slopes, r2s = [], []
    for column in range(growth.shape[1]):
        saturated = (series["weight"][:, column] >= saturation) & finite[:, column]
        if saturated.sum() >= min_points:
            slope, r2 = _linear_fit(series["time"][saturated], growth[saturated, column])
            slopes.append(slope)
            r2s.append(r2)
    band_ok = bool(np.all(inside[finite])) and finite.any()
    # Linear growth of g is the second stage of the benign-overfitting proof; elsewhere it is reported only.
    linear_decided = bool(r2s) and classify(trajectory).regime == "benign"
    linear_ok = bool(min(r2s) >= min_r2) if linear_decided else None
    passed = False if not band_ok else linear_ok if linear_ok is not None else True
    observed = {
        "fraction_inside_band": fraction_inside,
        "samples": len(series["samples"]),
        "final_growth_range": [float(np.nanmin(growth[-1])), float(np.nanmax(growth[-1]))],
        "final_band": [float(series["lower"][-1]), float(series["upper"][-1])],
        "saturated_samples": len(r2s),
        "slope_median": float(np.median(slopes)) if slopes else None,
        "slope_range": [float(min(slopes)), float(max(slopes))] if slopes else None,
        "r2_min": float(min(r2s)) if r2s else None,
    }
    predicted = {"growth_within_drive_band": True, "linear_once_saturated": True,
                 "gap_definition": definition.to_dict()}
    notes = (definition.describe() + ". Band: integral of min/max over the group of c_i = "
             "(dx_i/dtau)/(s_a(1-s_a)), x_i the soft gap (exact between checkpoints). Linear-growth fit over "
             f"checkpoints with s_a >= {saturation}: {len(r2s)} of {len(series['samples'])} samples saturated"
             + ("" if linear_decided else "; linearity decides only benign runs (the proof's setting)") + ".")
    return CheckResult(name=name, reference=reference, predicted=predicted, observed=observed,
                       tolerance=tolerance, passed=passed, notes=notes)


# ----------------------------------------------------------------------------- regime and losses

def check_regime(trajectory: Trajectory, classification: Classification, *,
                 constants: Mapping[str, Any] | None = None) -> CheckResult:
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
        notes = "the given constants place this point between regimes"
    else:
        notes = f"constants used: {dict(prediction.constants)}"
    return CheckResult(name="regime", reference="arXiv 2409.17625 v3, Figure 1 (regime map)",
                       predicted={"regime": prediction.regime, "snr": prediction.snr,
                                  "n_snr_squared": prediction.n_snr_squared},
                       observed={"regime": observed}, tolerance=None,
                       passed=(prediction.regime == observed) if decided else None, notes=notes)


def check_plateau(trajectory: Trajectory, classification: Classification, *, abs_tol: float = 0.02,
                  settle_tol: float = 0.01) -> CheckResult:
    """Final training loss against the plateau of the observed regime.

    Benign overfitting: (1-eta) l(1/sqrt2) + eta l(rho/sqrt2); not overfitting:
    (1-eta) l(1/sqrt2) + eta l(-1/sqrt2). Harmful and undetermined runs have no predicted level.
    ``abs_tol`` absorbs the nu^T xi fluctuation (variance 1/||mu||^2). Decided only when the
    loss has settled: it changed by at most ``settle_tol`` over the last fifth of the run's time
    (a run still moving between regimes is not on a plateau yet).

    Paper: SPEC section 4.2 [DERIVED] (|f| <= max_t |gamma_t| gives a loss floor).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        plateaus = predict(trajectory.params).plateaus
    time = np.asarray(trajectory.arrays["time"], dtype=np.float64)
    loss = np.asarray(trajectory.arrays["train_loss"], dtype=np.float64)
    observed = float(loss[-1])
    earlier = loss[np.searchsorted(time, 0.8 * time[-1])]
    change = float(abs(observed - earlier))
    level = {"benign": plateaus["plateau_benign"],
             "not_overfitting": plateaus["plateau_not_overfitting"]}.get(classification.regime)
    predicted = {"regime": classification.regime, "level": level,
                 "plateau_benign": plateaus["plateau_benign"],
                 "plateau_not_overfitting": plateaus["plateau_not_overfitting"]}
    settled = change <= settle_tol
    # The not-overfitting level assumes unfitted noisy samples attend to their relevant token;
    # ones already moving to another token are in transition (towards fitting, later).
    moving = [role for role in classification.evidence.get("noisy_selected_role", []) if role != "relevant"]
    in_transition = classification.regime == "not_overfitting" and bool(moving)
    passed = None if level is None or not settled or in_transition else abs(observed - level) <= abs_tol
    if level is None:
        notes = f"no plateau is predicted for a {classification.regime} run"
    elif not settled:
        notes = f"loss still moving (changed {change:.3g} over the last fifth of the run): not on a plateau yet"
    elif in_transition:
        notes = (f"{len(moving)} noisy samples attend mostly to {', '.join(sorted(set(moving)))} rather than "
                 "their relevant token: in transition, not on the not-overfitting plateau")
    else:
        notes = "level of the observed regime"
    return CheckResult(name="loss_plateau", reference="SPEC section 4.2 [DERIVED] loss plateaus",
                       predicted=predicted,
                       observed={"final_train_loss": observed, "change_last_fifth": change,
                                 "difference": None if level is None else observed - level},
                       tolerance={"abs": abs_tol, "settle": settle_tol}, passed=passed, notes=notes)


def _first_time_from(mask: np.ndarray, time: np.ndarray) -> float | None:
    """Earliest time from which ``mask`` holds at every later checkpoint."""
    if mask.size == 0 or not mask[-1]:
        return None
    failing = np.flatnonzero(~mask)
    start = 0 if failing.size == 0 else failing[-1] + 1
    return float(time[start])


def check_delayed_generalization(trajectory: Trajectory, classification: Classification, *,
                                 abs_tol: float = 0.01) -> CheckResult:
    """Time all training labels are fitted vs time the test loss reaches the clean floor.

    Predicted for benign overfitting: the test loss reaches l(1/sqrt2) (+ ``abs_tol``) only
    after all labels are fitted (ratio > 1). When the floor is not reached within the run, the
    ratio is only bounded below by t_end / t_fit, which still decides the check.

    Paper: abstract and Section 5 (generalisation is delayed, grokking-like); SPEC 4.2 floor.
    """
    a = trajectory.arrays
    time = np.asarray(a["time"], dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        floor = predict(trajectory.params).plateaus["clean_test_loss_floor"]
    t_fit = _first_time_from(np.asarray(a["train_acc"]) >= 1.0, time)
    t_test = _first_time_from(np.asarray(a["test_loss"]) <= floor + abs_tol, time)
    observed: dict[str, Any] = {"time_all_fitted": t_fit, "time_test_floor": t_test,
                                "final_test_loss": float(trajectory.final("test_loss")), "ratio": None,
                                "ratio_is_lower_bound": False}
    passed = None
    notes = ""
    if t_fit is None:
        notes = "the training labels are not all fitted by the end of the run"
    elif t_fit <= 0:
        notes = "labels fitted at the first checkpoint: no delay can be measured"
    else:
        if t_test is None:
            observed["ratio"] = float(time[-1] / t_fit)
            observed["ratio_is_lower_bound"] = True
            notes = "test floor not reached within the run: the ratio is a lower bound"
        else:
            observed["ratio"] = t_test / t_fit
        if classification.regime == "benign":
            passed = observed["ratio"] > 1.0
        else:
            notes = (notes + "; " if notes else "") + f"delay is predicted for benign runs, this one is {classification.regime}"
    return CheckResult(name="delayed_generalization", reference="abstract and Section 5: delayed (grokking-like) generalisation",
                       predicted={"ratio_greater_than": 1.0, "test_loss_floor": floor}, observed=observed,
                       tolerance={"abs": abs_tol}, passed=passed, notes=notes)


def check_v1_assumptions(trajectory: Trajectory, *, failure_prob: float = 0.01) -> CheckResult:
    """Margins of v1 Assumptions A1 (both parts) and A2; informative only (passed None).

    The paper's default experiments violate A1, so a failing assumption is reported, not failed.

    Paper: arXiv 2409.17625 v1, Assumptions A1-A2 (delta = ``failure_prob``).
    """
    margins = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        for condition in (V1_A1_SIGNAL, V1_A1_DIMENSION, V1_A2):
            margin = condition.evaluate(trajectory.params, inputs={"failure_prob": failure_prob})
            margins[condition.name] = {"holds": margin.holds, "lhs": margin.lhs, "rhs": margin.rhs,
                                       "ratio": margin.ratio}
    failing = [name for name, m in margins.items() if not m["holds"]]
    return CheckResult(name="v1_assumptions", reference="arXiv 2409.17625 v1, Assumptions A1-A2",
                       predicted="hypotheses of the v1 theorems", observed=margins,
                       tolerance={"failure_prob": failure_prob}, passed=None,
                       notes=("outside v1 hypotheses: " + ", ".join(failing)) if failing
                       else "all v1 hypotheses hold")


def check_mass_balance(trajectory: Trajectory, classification: Classification, *,
                       threshold: float = 1.0) -> CheckResult:
    """The v1 attention-mass balance: clean (+1) over noisy (observed -1) accumulated s_R(1-s_R).

    S_i(tau) = s_R(1 - s_R) with s_R the relevant token's weight, integrated over time
    (trapezoid rule) and summed over the clean samples of class +1 and over the noisy samples
    observed as -1 (true class +1). The authors' rule: benign while the ratio stays above
    ``threshold`` (about 1), harmful below. Decided only for runs observed benign or harmful.

    The rule was stated for v1's p-only training (W = I); for joint training the ratio is
    reported and not decided.

    Paper: arXiv 2409.17625 v1 (attention-mass balance; collapse between ratios 1.39 and 0.78).
    """
    a = trajectory.arrays
    time = np.asarray(a["time"], dtype=np.float64)
    s = np.asarray(a["attention_train"], dtype=np.float64)[:, :, RELEVANT]
    mass = s * (1.0 - s)
    labels = np.asarray(a["train_labels"])
    noisy = trajectory.noisy
    clean_pos = ~noisy & (labels > 0)
    noisy_neg = noisy & (labels < 0)
    reference = "arXiv 2409.17625 v1, attention-mass balance (SPEC section 5)"
    if not clean_pos.any() or not noisy_neg.any() or len(time) < 2:
        return CheckResult(name="mass_balance", reference=reference, predicted=None, observed=None,
                           tolerance={"threshold": threshold}, passed=None,
                           notes="needs clean +1 samples, noisy -1 samples and two checkpoints")
    integral = np.trapezoid(mass, time, axis=0)
    ratio = float(integral[clean_pos].sum() / integral[noisy_neg].sum())
    predicted_regime = "benign" if ratio > threshold else "harmful"
    decided = classification.regime in ("benign", "harmful") and trajectory.params.train == "p_only"
    if trajectory.params.train != "p_only":
        notes = "rule stated for v1's p-only training; reported, not decided, for joint training"
    elif not decided:
        notes = f"the rule separates benign from harmful; this run is {classification.regime}"
    else:
        notes = "sums (not means) over the two groups, as the authors' rule"
    return CheckResult(name="mass_balance", reference=reference,
                       predicted={"regime": predicted_regime, "rule": f"benign iff ratio > {threshold}"},
                       observed={"ratio": ratio, "regime": classification.regime},
                       tolerance={"threshold": threshold},
                       passed=(predicted_regime == classification.regime) if decided else None, notes=notes)


# ----------------------------------------------------------------------------- existence construction

def existence_window(params) -> tuple[float, float]:
    """The heuristic lambda window (1-rho)||mu||^2/d .. (1-rho)||mu||^2/sqrt(n d).

    Paper: v1 existence construction; window SPEC section 5 [DERIVED heuristic].
    """
    lower = EXISTENCE_SCALE_LOWER.stable(dim=params.dim, rho=params.rho, signal_norm=params.signal_norm)
    upper = EXISTENCE_SCALE_UPPER.stable(dim=params.dim, n_train=params.n_train, rho=params.rho,
                                         signal_norm=params.signal_norm)
    return lower, upper


def existence_construction(params, scale: float, *, data: Data | None = None,
                           min_test_acc: float = 0.95) -> dict[str, Any]:
    """Accuracy of the v1 construction W = I, p = mu_1 + mu_2 + lambda (sum_clean xi_{i,0} +
    sum_noisy xi_{j,2}), predicting with the argmax-attention token's score.

    Token indices are 0-based: the relevant token is 0 and the weakly relevant opposite 2.
    The regime is read off the accuracies: train < 1 -> not overfitting; train = 1 and test
    >= ``min_test_acc`` -> benign; else harmful.

    Paper: arXiv 2409.17625 v1, existence of benign / harmful / not-overfitting solutions
    (at d = 1e4, ||mu|| = 20, n = 100: lambda 0.06 benign, 1 harmful, 0.001 not overfitting).
    """
    if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale >= 0):
        raise ValueError(f"lambda={scale!r}: must be a finite number >= 0")
    data = make_data(params) if data is None else data
    train = data.train
    own_signal = np.where((train.true_labels > 0)[:, None], data.mu1, data.mu2)
    other_signal = np.where((train.true_labels > 0)[:, None], data.mu2, data.mu1)
    xi_relevant = train.tokens[:, RELEVANT] - own_signal
    xi_opposite = train.tokens[:, WEAK_OPPOSITE] - params.rho * other_signal
    p = data.mu1 + data.mu2 + scale * (xi_relevant[~train.noisy].sum(axis=0) + xi_opposite[train.noisy].sum(axis=0))

    def accuracy(split) -> float:
        z = split.tokens @ p
        gamma = split.tokens @ data.nu
        chosen = np.take_along_axis(gamma, np.argmax(z, axis=-1)[:, None], axis=-1)[:, 0]
        return float(np.mean(split.labels * chosen > 0))

    train_acc, test_acc = accuracy(train), accuracy(data.test)
    regime = ("not_overfitting" if train_acc < 1.0 else "benign" if test_acc >= min_test_acc else "harmful")
    return {"lambda": float(scale), "train_acc": train_acc, "test_acc": test_acc, "regime": regime}


def check_existence(params, scale: float | None = None, *, data: Data | None = None,
                    min_test_acc: float = 0.95, min_window_ratio: float = 4.0) -> CheckResult:
    """The existence construction at ``scale`` (default: geometric middle of the heuristic window).

    Predicted: benign inside the window, not overfitting below it, harmful above it. The window
    is a high-dimensional heuristic whose ends differ by the factor sqrt(d/n); it decides only
    when that factor is at least ``min_window_ratio`` (d well above n).

    Paper: arXiv 2409.17625 v1 existence construction; window SPEC section 5 [DERIVED heuristic].
    """
    lower, upper = existence_window(params)
    if scale is None:
        scale = math.sqrt(lower * upper)
    predicted = "not_overfitting" if scale < lower else "harmful" if scale > upper else "benign"
    result = existence_construction(params, scale, data=data, min_test_acc=min_test_acc)
    decided = upper >= min_window_ratio * lower
    return CheckResult(name="existence_construction",
                       reference="arXiv 2409.17625 v1 existence construction (W = I, p = mu1 + mu2 + lambda sum xi)",
                       predicted={"regime": predicted, "window": [lower, upper]}, observed=result,
                       tolerance={"min_test_acc": min_test_acc, "min_window_ratio": min_window_ratio},
                       passed=(predicted == result["regime"]) if decided else None,
                       notes=(f"window narrower than a factor {min_window_ratio} (d not >> n): the heuristic "
                              "does not decide" if not decided
                              else f"lambda = {scale:.4g}; window from SPEC 5 [DERIVED heuristic]"))


def run_checks(trajectory: Trajectory, *, constants: Mapping[str, Any] | None = None,
               definition: GapDefinition = GapDefinition(), existence_scale: float | None = None,
               existence: bool = True, classification: Classification | None = None) -> tuple[Classification, list[CheckResult]]:
    """Classify the trajectory and run every check.

    ``existence=False`` skips the existence construction, which draws d-dimensional data.

    Paper: see each check.
    """
    classification = classify(trajectory) if classification is None else classification
    checks = [
        check_regime(trajectory, classification, constants=constants),
        check_plateau(trajectory, classification),
        check_gap_bound(trajectory, "clean", definition=definition),
        check_gap_bound(trajectory, "noisy", definition=definition),
        check_delayed_generalization(trajectory, classification),
        check_v1_assumptions(trajectory),
        check_mass_balance(trajectory, classification),
    ]
    if existence:
        checks.append(check_existence(trajectory.params, existence_scale))
    return classification, checks
