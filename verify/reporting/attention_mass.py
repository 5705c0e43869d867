"""The v1 attention-mass quantity S (the paper's fraktur S) and the ratios the authors track.

For training sample i at time tau, a_i(tau) is the attention mass on the relevant set and
S_i(tau) = a_i (1 - a_i). As in the authors' code, S is accumulated per GD step from the
forward pass *before* that step's update, i.e. over the states 0 .. steps - 1, into four
sums: clean / noisy x observed label +1 / -1. The GD engines keep these per-step sums themselves
(``numerics.mass``: arrays ``mass_cumulative`` and ``token_mass_max``), exact at any checkpoint
spacing. A run without them (older files, official runs) is summed from its recorded attention:
exactly when every step is a checkpoint; otherwise, and for flows, which keep no per-step sums,
the sum over steps is replaced by the time integral over the checkpoints (trapezoid rule)
divided by the step size, and the result says so (``exact: false``).

Reported quantities:

- ``ratio_clean_pos_over_noisy_neg`` = sum over clean observed +1 / sum over noisy observed -1,
  ``ratio_clean_neg_over_noisy_pos`` likewise (the authors' label-noise study);
- ``eq9_ratio``: min over the classes k of the clean samples' cumulative S, divided by the
  largest cumulative s_t (1 - s_t) of any (sample, token) (the authors' plot of v1 Eq. 9);
- ``eq10_ratio``: class balance, mean cumulative S over the clean samples of class +1 over
  that of class -1, divided by the same ratio at tau = 0 (v1 Eq. 10).

Paper: arXiv 2409.17625 v1 (S, its Eq. 9 and Eq. 10) and the authors' public code (the sums
and ratios of their label-noise study). The exact inequalities of Eq. 9 and Eq. 10 are not
known to us [OPEN]: they are conditions with named constants (``theory.attention_mass``), whose
margins are reported, undetermined until the user supplies C_eq9, C_eq10 or C_mass.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from numerics.mass import MASS_ARRAYS, relevant_positions
from theory.attention_mass import EQ9_CLEAN_DOMINATES, EQ10_BALANCE_LOWER, EQ10_BALANCE_UPPER, MASS_RULE
from theory.records import AssumptionWarning
from verify.trajectory import Trajectory

__all__ = ["GROUPS", "attention_mass_series", "attention_mass_summary", "attention_mass_conditions"]

#: Column order of ``attention_mass_series``: (clean | noisy) x observed label (+1 | -1).
GROUPS = ("clean_pos", "clean_neg", "noisy_pos", "noisy_neg")


def _relevant(trajectory: Trajectory, relevant: Sequence[int] | None) -> list[int]:
    return list(relevant_positions(trajectory.params) if relevant is None else relevant)


def _recorded_by_engine(trajectory: Trajectory) -> bool:
    return all(name in trajectory.arrays for name in MASS_ARRAYS)


def _cumulative(values: np.ndarray, trajectory: Trajectory) -> tuple[np.ndarray, bool]:
    """Sums of per-state ``values`` (K, ...) over the GD steps before each checkpoint.

    Exact when every step is a checkpoint (step j contributes the state j before its update);
    otherwise the trapezoid rule over the recorded checkpoints, divided by the step size, with
    an unrecorded checkpoint (an official run's last state) holding the previous value.
    """
    a = trajectory.arrays
    attention = np.asarray(a["attention_train"], dtype=np.float64)
    recorded = np.all(np.isfinite(attention.reshape(len(attention), -1)), axis=1)
    out = np.zeros_like(values)
    steps = np.asarray(a["step"]) if "step" in a else None
    if steps is not None and np.array_equal(steps, np.arange(len(steps))) and recorded.all():
        out[1:] = np.cumsum(values[:-1], axis=0)
        return out, True
    index = np.flatnonzero(recorded)
    time = np.asarray(a["time"], dtype=np.float64)[index]
    widths = (np.diff(time) / trajectory.params.step_size).reshape((-1,) + (1,) * (values.ndim - 1))
    increments = (values[index][:-1] + values[index][1:]) / 2 * widths
    out[index[1:]] = np.cumsum(increments, axis=0)
    held = np.maximum.accumulate(np.where(recorded, np.arange(len(recorded)), 0))
    return out[held], False


def _masses(trajectory: Trajectory, relevant: Sequence[int]) -> np.ndarray:
    attention = np.asarray(trajectory.arrays["attention_train"], dtype=np.float64)
    mass = attention[:, :, list(relevant)].sum(axis=-1)
    return mass * (1.0 - mass)


def _group_masks(trajectory: Trajectory) -> list[np.ndarray]:
    labels = np.asarray(trajectory.arrays["train_labels"])
    noisy = trajectory.noisy
    return [~noisy & (labels > 0), ~noisy & (labels < 0), noisy & (labels > 0), noisy & (labels < 0)]


def _per_sample_cumulative(trajectory: Trajectory, relevant: Sequence[int]) -> tuple[np.ndarray, np.ndarray, bool]:
    """Cumulative S per sample (K, n) and the largest cumulative per-(sample, token) s (1 - s)
    (K,) over the steps before each checkpoint, and whether they are the exact per-step sums."""
    a = trajectory.arrays
    if _recorded_by_engine(trajectory) and list(relevant) == list(relevant_positions(trajectory.params)):
        return (
            np.asarray(a["mass_cumulative"], dtype=np.float64),
            np.asarray(a["token_mass_max"], dtype=np.float64),
            True,
        )
    attention = np.asarray(a["attention_train"], dtype=np.float64)
    cumulative, exact = _cumulative(_masses(trajectory, relevant), trajectory)
    per_token, _ = _cumulative(attention * (1.0 - attention), trajectory)
    return cumulative, per_token.reshape(len(per_token), -1).max(axis=1), exact


def attention_mass_series(trajectory: Trajectory, *, relevant: Sequence[int] | None = None) -> np.ndarray:
    """Cumulative S over the steps before each checkpoint, summed over each group of ``GROUPS``,
    shape (K, 4); the last row holds the sums over the whole run."""
    cumulative, _, _ = _per_sample_cumulative(trajectory, _relevant(trajectory, relevant))
    return np.stack([cumulative[:, mask].sum(axis=1) for mask in _group_masks(trajectory)], axis=1)


def _ratio(numerator: float, denominator: float) -> float | None:
    return float(numerator / denominator) if denominator > 0 and np.isfinite(numerator) else None


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else float("nan")


def attention_mass_conditions(
    summary: Mapping[str, Any], params, constants: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Margins of the v1 Eq. 9, Eq. 10 and attention-mass-rule conditions (``theory.attention_mass``)
    at the quantities of ``summary``; undetermined where a constant (C_eq9, C_eq10, C_mass) is not
    given or a quantity is not defined.

    Paper: arXiv 2409.17625 v1 Eq. 9 and Eq. 10; the authors' label-noise study (the rule).
    """
    ratios = [summary.get(key) for key in ("ratio_clean_pos_over_noisy_neg", "ratio_clean_neg_over_noisy_pos")]
    known = [r for r in ratios if r is not None]
    supplied = {
        "clean_mass_min": summary.get("clean_mass_min"),
        "token_mass_max": summary.get("token_mass_max"),
        "class_balance": summary.get("eq10_ratio"),
        "mass_ratio": min(known) if known else None,
    }
    supplied = {k: (v if v is not None and np.isfinite(v) and v > 0 else None) for k, v in supplied.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        return {
            condition.name: condition.evaluate(params, constants, supplied=supplied).to_dict()
            for condition in (EQ9_CLEAN_DOMINATES, EQ10_BALANCE_LOWER, EQ10_BALANCE_UPPER, MASS_RULE)
        }


def attention_mass_summary(
    trajectory: Trajectory, *, relevant: Sequence[int] | None = None, constants: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The four cumulative sums at the end of the run, the authors' ratios (module docstring) and
    the margins of the v1 conditions on them (``attention_mass_conditions``, with ``constants``)."""
    relevant = _relevant(trajectory, relevant)
    attention = np.asarray(trajectory.arrays["attention_train"], dtype=np.float64)
    first_recorded = bool(np.all(np.isfinite(attention[0])))
    cumulative, token_max, exact = _per_sample_cumulative(trajectory, relevant)
    if not first_recorded or not np.all(np.isfinite(cumulative)):
        return {"exact": exact, "notes": "attention not recorded or not finite", "sums": None}
    masks = _group_masks(trajectory)
    total = cumulative[-1]
    sums = dict(zip(GROUPS, (float(total[mask].sum()) for mask in masks)))
    clean_pos, clean_neg = masks[0], masks[1]
    present = [total[mask].sum() for mask in (clean_pos, clean_neg) if mask.any()]
    eq9_numerator = min(present) if present else float("nan")
    # Eq. 10 at tau = 0: the first step's S (the state before the first update).
    first = _masses(trajectory, relevant)[0]
    balance = _ratio(_mean(total[clean_pos]), _mean(total[clean_neg]))
    balance_0 = _ratio(_mean(first[clean_pos]), _mean(first[clean_neg]))
    if exact:
        notes = "summed over every GD step before its update, as the authors' code" + (
            " (kept by the engine at every step)" if _recorded_by_engine(trajectory) else ""
        )
    else:
        notes = (
            "time integral over the recorded checkpoints divided by the step size (checkpoints thinned "
            "or a flow, which does not keep the per-step sums): an approximation of the per-step sums"
        )
    summary = {
        "exact": exact,
        "relevant_tokens": [int(t) for t in relevant],
        "sums": sums,
        "clean_mass_min": float(eq9_numerator) if np.isfinite(eq9_numerator) else None,
        "token_mass_max": float(token_max[-1]),
        "ratio_clean_pos_over_noisy_neg": _ratio(sums["clean_pos"], sums["noisy_neg"]),
        "ratio_clean_neg_over_noisy_pos": _ratio(sums["clean_neg"], sums["noisy_pos"]),
        "eq9_ratio": _ratio(eq9_numerator, float(token_max[-1])),
        "eq10_ratio": None if balance is None or not balance_0 else balance / balance_0,
        "notes": notes,
    }
    summary["conditions"] = attention_mass_conditions(summary, trajectory.params, constants)
    return summary
