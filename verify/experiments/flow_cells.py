"""Sweep cells on the gradient flow: event times and the outcome at a list of horizons.

Paper: Section 4 (the gradient-flow analysis: noisy labels are fitted and the test loss reaches
its floor only at exponentially large times, so a fixed number of GD steps can stop inside a
transient). A flow cell integrates to a horizon tau and records

- event times: every clean label fitted (y_i f_i > 0 for all clean i), every noisy label
  fitted, the test loss within epsilon of its floor, the test error at most epsilon_err
  (``numerics.flow.FlowEvents``; ``None`` = not within the horizon);
- at each outcome horizon: final losses and accuracies (train, clean, noisy, test) and a coarse
  outcome word (``verify.reporting.classify.fit_outcome``), so that any classification can be applied afterwards.

Cells of one column (same everything but ||mu||) share the latent draw of ``numerics.latent``
(frame and test noise): its cost is then paid once per column.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from numerics.flow import FlowEvents, FlowOptions, integrate_flow
from numerics.recording import Recording
from theory.params import ProblemParams
from theory.validation import InputError
from verify.reporting.classify import error_from_accuracy, fit_outcome

__all__ = ["FlowSweep", "flow_column", "horizon_outcomes"]

#: Quantities read at each outcome horizon.
_HORIZON_METRICS = ("train_loss", "test_loss", "train_acc", "train_acc_clean", "train_acc_noisy", "test_acc")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class FlowSweep:
    """Settings of a flow sweep: horizon, outcome horizons, event tolerances, solver.

    Paper: none (numerical settings and user-chosen tolerances).

    Parameters
    ----------
    horizon : float
        Final flow time tau > 0.
    outcome_horizons : tuple of float
        Times in (0, horizon] at which the outcome is recorded; empty (default) means the
        decades 1, 10, 100, ... up to the horizon, and the horizon itself.
    test_loss_tolerance : float
        epsilon: the test-loss event fires at floor + epsilon.
    test_error_tolerance : float
        epsilon_err in [0, 1): the test-error event and the benign / harmful split.
    attention_level : float
        Level of the attention events (``FlowEvents``).
    method, rtol, atol, max_steps, checkpoints : as ``numerics.flow.FlowOptions``.
        Defaults RK45, rtol 1e-6, atol 1e-20: the state (b, E) scales like |z| / ||M_0|| ~ 1/d,
        so an absolute tolerance must sit far below 1/d to be inactive at d = 1e8. Against
        rtol 1e-10 / atol 1e-20 runs (3 cells each at d = 1e2, 1e4, 1e7) these defaults gave
        event times and final test losses within 1.4e-5 relative, at 0.4-0.9x the time of
        DOP853 with rtol 1e-8 / atol 1e-12, whose errors reached 1.1e-3 at d = 1e7.
    """

    horizon: float = 1e8
    outcome_horizons: tuple = ()
    test_loss_tolerance: float = 0.01
    test_error_tolerance: float = 0.05
    attention_level: float = 0.9
    method: str = "RK45"
    rtol: float = 1e-6
    atol: float = 1e-20
    max_steps: int = 100_000
    checkpoints: int = 40

    def __post_init__(self) -> None:
        horizon = self.horizon
        if (
            isinstance(horizon, bool)
            or not isinstance(horizon, (int, float))
            or not math.isfinite(horizon)
            or horizon <= 0
        ):
            raise InputError(f"horizon={horizon!r}: must be a finite number > 0")
        horizons = tuple(self.outcome_horizons)
        if not horizons:
            top = math.floor(math.log10(horizon)) if horizon >= 1 else -1
            horizons = tuple(10.0**k for k in range(0, top + 1)) + (float(horizon),)
        for value in horizons:
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or not 0 < value <= horizon
            ):
                raise InputError(f"outcome horizon {value!r}: must be a time in (0, horizon={horizon:g}]")
        object.__setattr__(self, "horizon", float(horizon))
        object.__setattr__(self, "outcome_horizons", tuple(sorted({float(v) for v in horizons})))
        # The engine's own records validate the remaining fields.
        self.options()
        self.events()

    def options(self) -> FlowOptions:
        return FlowOptions(
            horizon=self.horizon,
            method=self.method,
            rtol=self.rtol,
            atol=self.atol,
            max_steps=self.max_steps,
            checkpoints=self.checkpoints,
            extra_checkpoints=self.outcome_horizons,
        )

    def events(self) -> FlowEvents:
        return FlowEvents(
            attention_level=self.attention_level,
            test_loss_tolerance=self.test_loss_tolerance,
            test_error_tolerance=self.test_error_tolerance,
        )

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["outcome_horizons"] = list(self.outcome_horizons)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FlowSweep:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"unknown flow setting(s) {unknown}: expected some of {', '.join(sorted(known))}")
        values = dict(data)
        if "outcome_horizons" in values:
            values["outcome_horizons"] = tuple(values["outcome_horizons"])
        return cls(**values)


def horizon_outcomes(recording: Recording, settings: FlowSweep) -> list[dict[str, Any]]:
    """Metrics and coarse outcome at each outcome horizon the run reached (checkpoints there)."""
    times = np.asarray(recording.arrays["time"])
    rows = []
    for horizon in settings.outcome_horizons:
        hits = np.flatnonzero(times == horizon)
        if not hits.size:
            continue
        j = int(hits[0])
        row = {"time": horizon}
        for name in _HORIZON_METRICS:
            value = float(recording.arrays[name][j])
            row[name] = None if math.isnan(value) else value
        row["outcome"] = fit_outcome(
            float(recording.arrays["train_acc_clean"][j]),
            float(recording.arrays["train_acc_noisy"][j]),
            float(error_from_accuracy(recording.arrays["test_acc"][j])),
            settings.test_error_tolerance,
        )
        rows.append(row)
    return rows


def flow_column(base: ProblemParams, signal_norms: Sequence[float], settings: FlowSweep) -> list[Recording | Exception]:
    """Integrate the flow of ``base.replace(signal_norm=mu)`` for each mu; one entry per mu:
    its ``Recording``, or the exception that stopped its set-up.

    With ``draw="latent"`` the frame and test noise are drawn once for the column (they do not
    depend on ||mu||), so every cell sees the numbers ``run_flow`` would give it alone.
    """
    from numerics.subspace import reduce_problem

    shared = None
    if base.draw == "latent":
        from numerics.latent import draw_frame, draw_test_noise, latent_problem

        frame = draw_frame(base)
        shared = (frame, draw_test_noise(base, frame))
    results: list[Recording | Exception] = []
    for mu in signal_norms:
        params = base.replace(signal_norm=mu)
        try:
            problem = latent_problem(params, *shared) if shared else reduce_problem(params)
            results.append(integrate_flow(problem, options=settings.options(), events=settings.events(), throw=False))
        except Exception as exc:  # noqa: BLE001 - a failed cell is recorded, the column goes on
            results.append(exc)
    return results
