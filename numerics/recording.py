"""The arrays an engine hands on, with its status; shared checkpoint bookkeeping.

Paper: none (the record of a run that ``verify`` turns into a ``Trajectory``).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from numerics.status import IntegrationError, Status

__all__ = [
    "Recording",
    "MAX_RECORDED_VALUES",
    "default_record_every",
    "checkpoint_steps",
    "stack_checkpoints",
    "gd_arrays",
    "finish",
    "with_setup",
]

#: Train attention is stored for every checkpoint; keep n * T * checkpoints below this by default.
MAX_RECORDED_VALUES = 10**6


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Recording:
    """Arrays of one run (by name), how the run ended, and solver or engine statistics."""

    arrays: Mapping[str, np.ndarray]
    status: Status
    message: str
    stats: Mapping[str, Any]


def default_record_every(n_train: int, seq_len: int, steps: int) -> int:
    """Every step while n * T * steps <= 10^6 recorded attention values, else evenly thinned."""
    return max(1, math.ceil(n_train * seq_len * steps / MAX_RECORDED_VALUES))


def checkpoint_steps(steps: int, record_every: int) -> np.ndarray:
    """Steps 0, r, 2r, ... and always the last step."""
    if isinstance(record_every, bool) or not isinstance(record_every, int) or record_every < 1:
        raise ValueError(f"record_every={record_every!r}: must be an integer >= 1")
    return np.unique(np.r_[np.arange(0, steps + 1, record_every), steps])


def stack_checkpoints(rows: list[dict]) -> dict[str, np.ndarray]:
    """Turn a list of per-checkpoint dicts into arrays with a leading checkpoint axis."""
    if not rows:
        return {}
    return {key: np.stack([np.asarray(row[key], dtype=np.float64) for row in rows]) for key in rows[0]}


def gd_arrays(
    checkpoints: dict[str, np.ndarray], steps: list, step_size: float, step_loss: np.ndarray
) -> dict[str, np.ndarray]:
    """The arrays of a GD run: its ``checkpoints`` arrays (a leading checkpoint axis, as
    ``stack_checkpoints`` gives), ``step`` (their steps), ``time`` (step times step size) and
    ``step_loss`` (the loss before every step)."""
    arrays = dict(checkpoints)
    arrays["step"] = np.asarray(steps, dtype=np.int64)
    arrays["time"] = arrays["step"] * step_size
    arrays["step_loss"] = step_loss
    return arrays


def finish(arrays: dict, status: Status, message: str, stats: dict, *, throw: bool) -> Recording:
    """Build the recording, raising ``IntegrationError`` for a failed run when ``throw``."""
    if throw and not status.ok:
        raise IntegrationError(status, message)
    return Recording(arrays=arrays, status=status, message=message, stats=stats)


def with_setup(recording: Recording, *, setup_s: float, started: float) -> Recording:
    """``recording`` with the run's set-up time and its wall time since ``started``
    (``time.perf_counter``) in its stats."""
    stats = dict(recording.stats)
    stats.update(setup_time_s=setup_s, wall_time_s=time.perf_counter() - started)
    return dataclasses.replace(recording, stats=stats)
