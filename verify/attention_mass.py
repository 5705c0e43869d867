"""The v1 attention-mass quantity S (the paper's fraktur S) and the ratios the authors track.

For training sample i at time tau, a_i(tau) is the attention mass on the relevant set and
S_i(tau) = a_i (1 - a_i). As in the authors' code, S is accumulated per GD step from the
forward pass *before* that step's update, i.e. over the states 0 .. steps - 1, into four
sums: clean / noisy x observed label +1 / -1. For runs recorded at fewer checkpoints (thinned
GD, flows) the sum over steps is replaced by the time integral (trapezoid rule) divided by the
step size, and the result says so (``exact: false``).

Reported quantities:

- ``ratio_clean_pos_over_noisy_neg`` = sum over clean observed +1 / sum over noisy observed -1,
  ``ratio_clean_neg_over_noisy_pos`` likewise (the authors' label-noise study);
- ``eq9_ratio``: min over the classes k of the clean samples' cumulative S, divided by the
  largest cumulative s_t (1 - s_t) of any (sample, token) (the authors' plot of v1 Eq. 9);
- ``eq10_ratio``: class balance, mean cumulative S over the clean samples of class +1 over
  that of class -1, divided by the same ratio at tau = 0 (v1 Eq. 10).

Paper: arXiv 2409.17625 v1 (S, its Eq. 9 and Eq. 10) and the authors' public code (the sums
and ratios of their label-noise study). The exact inequalities of Eq. 9 and Eq. 10 are not
known to us [OPEN]; these are the quantities, not verdicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from theory.roles import token_roles
from verify.trajectory import Trajectory

__all__ = ["GROUPS", "attention_mass_series", "attention_mass_summary"]

#: Column order of ``attention_mass_series``: (clean | noisy) x observed label (+1 | -1).
GROUPS = ("clean_pos", "clean_neg", "noisy_pos", "noisy_neg")


def _weights(trajectory: Trajectory) -> tuple[np.ndarray, np.ndarray, bool]:
    """Per-checkpoint weights turning a sum over checkpoints into the sum over GD steps
    0 .. steps - 1 (exact when every step is a checkpoint), and the checkpoint mask used."""
    a = trajectory.arrays
    time = np.asarray(a["time"], dtype=np.float64)
    attention = np.asarray(a["attention_train"], dtype=np.float64)
    recorded = np.all(np.isfinite(attention.reshape(len(attention), -1)), axis=1)
    steps = np.asarray(a["step"]) if "step" in a else None
    if steps is not None and np.array_equal(steps, np.arange(len(steps))) and recorded.all():
        weights = np.ones(len(steps))
        weights[-1] = 0.0  # the state after the last update has no step of its own
        return weights, recorded, True
    t = time[recorded]
    trapezoid = np.zeros(len(t))
    if len(t) > 1:
        dt = np.diff(t)
        trapezoid[:-1] += dt / 2
        trapezoid[1:] += dt / 2
    weights = np.zeros(len(time))
    weights[recorded] = trapezoid / trajectory.params.step_size
    return weights, recorded, False


def _relevant_positions(trajectory: Trajectory, relevant: Sequence[int] | None) -> list[int]:
    """The given positions, or the run's relevant set (``theory.roles.token_roles``)."""
    if relevant is not None:
        return [int(t) for t in relevant]
    part = token_roles(trajectory.params).relevant
    return list(range(part.start, part.stop))


def _masses(trajectory: Trajectory, relevant: Sequence[int]) -> np.ndarray:
    attention = np.asarray(trajectory.arrays["attention_train"], dtype=np.float64)
    mass = attention[:, :, list(relevant)].sum(axis=-1)
    return mass * (1.0 - mass)


def attention_mass_series(trajectory: Trajectory, *, relevant: Sequence[int] | None = None) -> np.ndarray:
    """Cumulative S summed over each group of ``GROUPS`` up to each checkpoint, shape (K, 4).

    ``relevant``: token positions whose summed attention is a; ``None`` is the run's relevant set.
    """
    weights, recorded, _ = _weights(trajectory)
    masses = _masses(trajectory, _relevant_positions(trajectory, relevant))
    s = np.where(recorded[:, None], masses, 0.0) * weights[:, None]
    labels = np.asarray(trajectory.arrays["train_labels"])
    noisy = trajectory.noisy
    masks = [~noisy & (labels > 0), ~noisy & (labels < 0), noisy & (labels > 0), noisy & (labels < 0)]
    per_group = np.stack([s[:, mask].sum(axis=1) for mask in masks], axis=1)
    # Cumulative up to and including the state before each checkpoint's update.
    return np.cumsum(per_group, axis=0)


def _ratio(numerator: float, denominator: float) -> float | None:
    return float(numerator / denominator) if denominator > 0 and np.isfinite(numerator) else None


def attention_mass_summary(trajectory: Trajectory, *, relevant: Sequence[int] | None = None) -> dict[str, Any]:
    """The four cumulative sums at the end of the run and the authors' ratios (module docstring).

    ``relevant``: token positions whose summed attention is a; ``None`` is the run's relevant set.
    """
    relevant = _relevant_positions(trajectory, relevant)
    weights, recorded, exact = _weights(trajectory)
    s = _masses(trajectory, relevant)
    if not recorded.any() or not np.all(np.isfinite(s[recorded])):
        return {"exact": exact, "notes": "attention not recorded or not finite", "sums": None}
    totals = attention_mass_series(trajectory, relevant=relevant)[-1]
    sums = dict(zip(GROUPS, map(float, totals)))
    labels = np.asarray(trajectory.arrays["train_labels"])
    noisy = trajectory.noisy
    attention = np.asarray(trajectory.arrays["attention_train"], dtype=np.float64)[recorded]
    w = weights[recorded]
    per_token = np.einsum("k,knt->nt", w, attention * (1.0 - attention))
    clean_by_class = {k: np.einsum("k,kn->n", w, s[recorded][:, ~noisy & (labels == k)]) for k in (1, -1)}
    eq9_numerator = min(values.sum() for values in clean_by_class.values() if values.size) \
        if any(values.size for values in clean_by_class.values()) else float("nan")
    first = s[recorded][0]
    balance = _ratio(clean_by_class[1].mean() if clean_by_class[1].size else float("nan"),
                     clean_by_class[-1].mean() if clean_by_class[-1].size else float("nan"))
    balance_0 = _ratio(first[~noisy & (labels > 0)].mean() if np.any(~noisy & (labels > 0)) else float("nan"),
                       first[~noisy & (labels < 0)].mean() if np.any(~noisy & (labels < 0)) else float("nan"))
    return {
        "exact": exact,
        "relevant_tokens": [int(t) for t in relevant],
        "sums": sums,
        "ratio_clean_pos_over_noisy_neg": _ratio(sums["clean_pos"], sums["noisy_neg"]),
        "ratio_clean_neg_over_noisy_pos": _ratio(sums["clean_neg"], sums["noisy_pos"]),
        "eq9_ratio": _ratio(eq9_numerator, float(per_token.max())),
        "eq10_ratio": None if balance is None or not balance_0 else balance / balance_0,
        "notes": ("summed over every GD step before its update, as the authors' code" if exact else
                  "time integral over the recorded checkpoints divided by the step size (checkpoints thinned "
                  "or a flow): an approximation of the per-step sums"),
    }
