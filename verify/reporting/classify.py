"""Which regime a trajectory is in, decided by its outcome; the mechanism reported beside it.

The regimes mean what the paper says they mean (arXiv 2409.17625, abstract and v3 Figure 1;
v1's "benign or not-benign overfitting"):

- **benign overfitting**: every training label is fitted, the noisy ones included, and the
  model generalises: the clean test error is small (at most ``error_tolerance``);
- **harmful (not-benign) overfitting**: every label is fitted, but the test error is not small;
- **not overfitting**: the clean samples are fitted, the noisy ones are not, and the run is
  long enough to say that they will stay unfitted (see ``OutcomeTolerances``).

A label is fitted when its margin y f(X) is positive. Which token a noisy sample uses to be
fitted (its weakly relevant opposite token in the paper's benign mechanism, irrelevant tokens
in the large-noise run) is the **mechanism**: reported in ``Classification.mechanism``, never
used to decide the regime.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from theory.bounds import BASELINE_TEST_ACCURACY, CLEAN_TEST_LOSS_FLOOR
from theory.roles import ROLE_NAMES, TokenRoles, token_roles
from theory.validation import InputError
from verify.trajectory import Trajectory

__all__ = [
    "Classification",
    "OutcomeTolerances",
    "REGIMES",
    "classify",
    "clean_test_loss_floor",
    "error_from_accuracy",
    "fit_outcome",
    "FIT_OUTCOMES",
    "baseline_test_accuracy",
    "selected_roles",
]

REGIMES = ("benign", "harmful", "not_overfitting", "undetermined")
#: What training has fitted at one time (``fit_outcome``), in the words the flow sweeps record.
FIT_OUTCOMES = ("benign", "harmful", "not overfitting", "not fitted")

_SQRT_HALF = math.sqrt(0.5)


def clean_test_loss_floor() -> float:
    """l(1/sqrt 2): the test loss when every test sample attends only to its relevant token
    and the head's noise term is ignored (derivations/plateaus.py)."""
    return CLEAN_TEST_LOSS_FLOOR.stable()


def baseline_test_accuracy(signal_norm: float, seq_len: int, *, relevant_tokens: int = 1) -> float:
    """Test accuracy of the untrained model (p = 0, uniform attention):
    Phi(R ||mu|| / sqrt(2 T)) with R relevant tokens (derivations/baseline: f = (1/T) sum_t gamma_t
    is Gaussian; the weakly relevant pairs cancel, so R relevant tokens act as one of norm R ||mu||)."""
    return BASELINE_TEST_ACCURACY.stable(signal_norm=relevant_tokens * signal_norm, seq_len=seq_len)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class OutcomeTolerances:
    """The named tolerances that turn a trajectory's outcome into a regime. None is a paper
    constant; all are recorded in every report.

    Parameters
    ----------
    error_tolerance : float
        epsilon_err: the largest clean test error that counts as "generalises" (default 0.05).
    loss_tolerance : float
        epsilon: the test loss counts as at its clean floor l(1/sqrt 2) within this (default
        0.01); decides the time of generalisation, not the regime.
    settled_margin : float
        Not overfitting needs every unfitted noisy sample's margin y f at or below
        ``-settled_margin`` (default 1/(2 sqrt 2): half-way from 0 to the not-overfitting
        limit -1/sqrt 2, where the sample attends to its relevant token) ...
    settle_change : float
        ... and changed by at most this over the last half of the run's time (default 0.01),
        so margins still rising towards zero are not called "not overfitting".
    decide_at : float or None
        A horizon tau the user names: a run that reaches it with unfitted noisy samples is
        called "not overfitting" at that horizon whatever its margins do (None: not used).
    """

    error_tolerance: float = 0.05
    loss_tolerance: float = 0.01
    settled_margin: float = 0.5 * _SQRT_HALF
    settle_change: float = 0.01
    decide_at: float | None = None

    def __post_init__(self) -> None:
        for name in ("error_tolerance", "loss_tolerance", "settled_margin", "settle_change", "decide_at"):
            value = getattr(self, name)
            if value is None and name == "decide_at":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise InputError(f"{name}={value!r}: must be a finite number >= 0")
            object.__setattr__(self, name, float(value))
        if self.error_tolerance >= 1:
            raise InputError(f"error_tolerance={self.error_tolerance!r}: must be < 1")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Classification:
    """The regime at the last checkpoint, why, and the numbers behind it.

    Attributes
    ----------
    regime : one of ``REGIMES``
    reasons : sentences saying which rule decided, with the numbers
    outcome : the quantities the regime is decided from (fitted fractions, clean test error,
        excess test loss, the untrained baseline)
    mechanism : which tokens the noisy samples attend to most (reported, never decisive)
    timeline : the regime at every checkpoint, the times it changes, the time all labels are
        fitted (tau_1) and the time the model generalises (tau_2)
    tolerances : the ``OutcomeTolerances`` used
    """

    regime: str
    reasons: tuple[str, ...]
    outcome: dict[str, Any]
    mechanism: dict[str, Any]
    timeline: dict[str, Any]
    tolerances: OutcomeTolerances

    def __post_init__(self) -> None:
        if self.regime not in REGIMES:
            raise ValueError(f"regime={self.regime!r}: must be one of {', '.join(REGIMES)}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "regime": self.regime,
            "reasons": list(self.reasons),
            "outcome": self.outcome,
            "mechanism": self.mechanism,
            "timeline": self.timeline,
            "tolerances": self.tolerances.to_dict(),
        }


def selected_roles(attention: np.ndarray, roles: TokenRoles) -> list[str]:
    """Role carrying the most attention mass, per sample ((n, T) -> n names).

    The relevant, weakly aligned and weakly opposite roles compete by the summed mass of their
    tokens (one token each in the paper's layout); the irrelevant tokens compete as individual
    tokens, not as their summed mass.
    """
    candidates = [attention[..., part].sum(axis=-1) for part in roles.slices[:3]]
    names = list(ROLE_NAMES[:3])
    for position in range(roles.irrelevant.start, roles.irrelevant.stop):
        candidates.append(attention[..., position])
        names.append("irrelevant")
    return [names[int(j)] for j in np.argmax(np.stack(candidates, axis=-1), axis=-1)]


def _margins(trajectory: Trajectory) -> np.ndarray | None:
    """Training margins y f at the checkpoints (K, n), or None for runs that did not record f."""
    a = trajectory.arrays
    if "train_outputs" not in a:
        return None
    return np.asarray(a["train_outputs"], dtype=np.float64) * np.asarray(a["train_labels"], dtype=np.float64)


def _fitted_fractions(trajectory: Trajectory, margins: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Fraction of clean and of noisy training labels fitted, per checkpoint.

    From the margins where they are recorded and finite; elsewhere from the recorded clean and
    noisy accuracies (an imported official run logs no outputs at its final state).
    """
    a = trajectory.arrays
    noisy = trajectory.noisy
    clean = (
        np.array(a["train_acc_clean"], dtype=np.float64) if "train_acc_clean" in a else np.full(len(a["time"]), np.nan)
    )
    noisy_part = (
        np.array(a["train_acc_noisy"], dtype=np.float64) if "train_acc_noisy" in a else np.full(len(a["time"]), np.nan)
    )
    if margins is not None:
        known = np.all(np.isfinite(margins), axis=1)
        fitted = margins[known] > 0
        if (~noisy).any():
            clean[known] = fitted[:, ~noisy].mean(axis=1)
        if noisy.any():
            noisy_part[known] = fitted[:, noisy].mean(axis=1)
    return clean, noisy_part


def _test_error(trajectory: Trajectory) -> np.ndarray:
    """Clean test error per checkpoint (the test labels are clean): from the test margins when
    recorded, else ``error_from_accuracy``."""
    a = trajectory.arrays
    if "test_outputs" in a and "test_labels" in a:
        margins = np.asarray(a["test_outputs"], dtype=np.float64) * np.asarray(a["test_labels"], dtype=np.float64)
        error = np.mean(margins <= 0, axis=1)
        error[~np.all(np.isfinite(margins), axis=1)] = np.nan
        return error
    return error_from_accuracy(np.asarray(a["test_acc"], dtype=np.float64))


def error_from_accuracy(accuracy):
    """1 - accuracy, rounded to 12 decimals: an accuracy is a count over n_test, so 1 - 0.95
    must compare equal to a tolerance of 0.05 (floats or arrays)."""
    return np.round(1.0 - accuracy, 12)


def _settled(
    time: np.ndarray, margins: np.ndarray | None, noisy: np.ndarray, k: int, tol: OutcomeTolerances
) -> tuple[bool, str]:
    """Whether, at checkpoint k, the unfitted noisy samples are settled away from being fitted."""
    if tol.decide_at is not None and time[k] >= tol.decide_at:
        return True, f"the run reached the named horizon tau = {tol.decide_at:g}"
    if margins is None:
        return False, "the run has no recorded outputs f to follow the noisy margins"
    if not np.all(np.isfinite(margins[k])):
        return False, "the noisy margins are not recorded at this checkpoint"
    unfitted = noisy & (margins[k] <= 0)
    if not unfitted.any():
        return False, "no unfitted noisy sample"
    window = (time >= 0.5 * time[k]) & (np.arange(len(time)) <= k)
    if window.sum() < 2 or time[k] <= 0:
        return False, "too few checkpoints in the last half of the run to see the noisy margins settle"
    values = margins[np.ix_(window, unfitted)]
    worst = float(np.max(margins[k, unfitted]))
    change = float(np.max(values.max(axis=0) - values.min(axis=0)))
    if worst > -tol.settled_margin:
        return False, (
            f"an unfitted noisy margin is {worst:.3g} > -{tol.settled_margin:.3g}: "
            "not yet settled at the not-overfitting level"
        )
    if change > tol.settle_change:
        return False, (
            f"unfitted noisy margins moved by {change:.3g} > {tol.settle_change:g} over the last "
            "half of the run: still moving"
        )
    return True, (
        f"unfitted noisy margins <= {worst:.3g} and moved by at most {change:.3g} over the last half of the run"
    )


def fit_outcome(clean_fit: float, noisy_fit: float, test_error: float, error_tolerance: float) -> str:
    """What training has fitted at one time: "not fitted" (some clean training label not
    fitted), "not overfitting" (every clean label fitted, some noisy one not), "benign" or
    "harmful" (every label fitted, noisy ones included, with clean test error <= or >
    ``error_tolerance``). ``noisy_fit`` NaN means there are no noisy labels: then "fitted" means
    every clean label fitted.

    Paper: the regimes read as outcomes at one time (the test set is clean, so its error is the
    clean test error). Whether "not overfitting" is final is a separate judgement: ``classify``
    asks that the noisy margins have settled, the regime map compares horizons.
    """
    if clean_fit < 1:
        return "not fitted"
    if not math.isnan(noisy_fit) and noisy_fit < 1:
        return "not overfitting"
    return "benign" if test_error <= error_tolerance else "harmful"


def _decide(k: int, time, clean_fit, noisy_fit, test_error, margins, noisy, tol) -> tuple[str, str]:
    """The regime at checkpoint k and the sentence that says why."""
    values = (clean_fit[k], test_error[k]) + ((noisy_fit[k],) if noisy.any() else ())
    if not all(np.isfinite(values)):
        return "undetermined", "a quantity the regime is decided from is not finite or not recorded"
    if not noisy.any():
        return "undetermined", "no noisy training labels: nothing to overfit"
    outcome = fit_outcome(clean_fit[k], noisy_fit[k], test_error[k], tol.error_tolerance)
    if outcome == "not fitted":
        return "undetermined", (
            f"clean training labels not all fitted ({clean_fit[k]:.3f}): training has not converged"
        )
    if outcome == "benign":
        return "benign", (
            f"all labels fitted, noisy ones included; clean test error {test_error[k]:.4g} <= {tol.error_tolerance:g}"
        )
    if outcome == "harmful":
        return "harmful", (f"all labels fitted, but clean test error {test_error[k]:.4g} > {tol.error_tolerance:g}")
    settled, why = _settled(time, margins, noisy, k, tol)
    if settled:
        return "not_overfitting", f"noisy labels not fitted ({noisy_fit[k]:.3f}) and {why}"
    return "undetermined", f"noisy labels not fitted ({noisy_fit[k]:.3f}) but not yet decided: {why}"


def _first_time_from(mask: np.ndarray, time: np.ndarray) -> float | None:
    """Earliest checkpoint time from which ``mask`` holds at every later checkpoint."""
    if mask.size == 0 or not mask[-1]:
        return None
    failing = np.flatnonzero(~mask)
    return float(time[0 if failing.size == 0 else failing[-1] + 1])


def _mechanism(trajectory: Trajectory, margins: np.ndarray | None) -> dict[str, Any]:
    """Where each noisy sample puts most attention at the last checkpoint with attention."""
    a = trajectory.arrays
    attention = np.asarray(a["attention_train"], dtype=np.float64)
    recorded = np.flatnonzero(np.all(np.isfinite(attention.reshape(len(attention), -1)), axis=1))
    noisy_index = np.flatnonzero(trajectory.noisy)
    if recorded.size == 0 or noisy_index.size == 0:
        return {
            "checkpoint_time": None,
            "noisy_samples": [int(i) for i in noisy_index],
            "noisy_selected_role": [],
            "noisy_role_counts": {r: 0 for r in ROLE_NAMES},
            "noisy_role_shares": {r: None for r in ROLE_NAMES},
        }
    k = int(recorded[-1])
    roles = selected_roles(attention[k, noisy_index], token_roles(trajectory.params))
    counts = {role: roles.count(role) for role in ROLE_NAMES}
    fitted = None if margins is None else [bool(margins[k, i] > 0) for i in noisy_index]
    return {
        "checkpoint_time": float(a["time"][k]),
        "noisy_samples": [int(i) for i in noisy_index],
        "noisy_selected_role": roles,
        "noisy_fitted": fitted,
        "noisy_role_counts": counts,
        "noisy_role_shares": {role: counts[role] / len(roles) for role in ROLE_NAMES},
        "paper_benign_mechanism_share": counts["weak_opposite"] / len(roles),
    }


def classify(trajectory: Trajectory, *, tolerances: OutcomeTolerances | None = None) -> Classification:
    """Classify the trajectory at its last checkpoint and at every earlier one.

    Paper: the regime statements of arXiv 2409.17625 (abstract, v3 Figure 1); the rules are in
    this module's docstring and ``OutcomeTolerances``.
    """
    tol = OutcomeTolerances() if tolerances is None else tolerances
    a = trajectory.arrays
    time = np.asarray(a["time"], dtype=np.float64)
    noisy = trajectory.noisy
    margins = _margins(trajectory)
    clean_fit, noisy_fit = _fitted_fractions(trajectory, margins)
    test_error = _test_error(trajectory)
    excess_loss = np.asarray(a["test_loss"], dtype=np.float64) - clean_test_loss_floor()
    decisions = [_decide(k, time, clean_fit, noisy_fit, test_error, margins, noisy, tol) for k in range(len(time))]
    labels = [regime for regime, _ in decisions]
    changes = [
        {"time": float(time[k]), "from": labels[k - 1], "to": labels[k]}
        for k in range(1, len(labels))
        if labels[k] != labels[k - 1]
    ]
    with np.errstate(invalid="ignore"):
        all_fitted = (clean_fit >= 1) & ((noisy_fit >= 1) if noisy.any() else True)
        generalised = (test_error <= tol.error_tolerance) & (excess_loss <= tol.loss_tolerance)
    params = trajectory.params
    baseline = baseline_test_accuracy(params.signal_norm, params.seq_len, relevant_tokens=params.relevant_tokens)

    def final(values: np.ndarray) -> float | None:
        return float(values[-1]) if np.isfinite(values[-1]) else None

    outcome = {
        "checkpoint_time": float(time[-1]),
        "clean_fitted_fraction": final(clean_fit),
        "noisy_fitted_fraction": final(noisy_fit) if noisy.any() else None,
        "clean_test_error": final(test_error),
        "test_loss": final(np.asarray(a["test_loss"], dtype=np.float64)),
        "clean_test_loss_floor": clean_test_loss_floor(),
        "excess_test_loss": final(excess_loss),
        "baseline_test_accuracy": baseline,
        "baseline_test_error": 1.0 - baseline,
        "margins_recorded": margins is not None,
    }
    timeline = {
        "time": [float(t) for t in time],
        "regime": labels,
        "changes": changes,
        "time_all_fitted": _first_time_from(all_fitted, time),
        "time_generalized": _first_time_from(generalised, time),
    }
    regime, reason = decisions[-1]
    return Classification(
        regime=regime,
        reasons=(reason,),
        outcome=outcome,
        mechanism=_mechanism(trajectory, margins),
        timeline=timeline,
        tolerances=tol,
    )
