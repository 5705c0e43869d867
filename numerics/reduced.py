"""Exact full-batch GD in the reduced state (b, E): O(m^2) work per step, independent of d.

Paper: the paper's setting (GD on (W, p) from p = 0, or on p with W fixed) and derivations/joint_flow.py (exact
reduced dynamics). The state, its drive and its step are those of ``numerics.dynamics``:

    p = Y_0^T b,   W = W_0 + X^T E Y_0,   b+ = b + h (c + E^T G c),   E+ = E + h c b^T

(p-only: b+ = b + h c, E = 0). This is algebraically the same map as ``numerics.gd.run_direct``;
only the rounding differs. Test logits at a checkpoint are ``basis @ [E u, b]`` (joint) or
``basis @ b`` (p-only) with u = M_0 b, an O(n_test T m) product.
"""

from __future__ import annotations

import math
import time

import numpy as np

from numerics.attention import attend
from numerics.budget import check_memory, reduced_bytes
from numerics.data import Data
from numerics.dynamics import GDState, drive, test_coordinates
from numerics.mass import MassLedger
from numerics.metrics import checkpoint_metrics
from numerics.recording import (
    Recording,
    checkpoint_steps,
    default_record_every,
    finish,
    gd_arrays,
    stack_checkpoints,
    with_setup,
)
from numerics.reduced_problem import ReducedProblem
from numerics.stable import logistic_loss
from numerics.status import Status
from numerics.subspace import reduce_problem
from theory.params import ProblemParams

__all__ = ["run_reduced", "descend_reduced", "reduced_state", "problem_drive", "logits_on_test", "Checkpoints"]


def logits_on_test(problem: ReducedProblem, b: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """Test logits (n_test, T) from the state: the coordinates of q on B are [w, b] or b.

    Paper: derivations/joint_flow.py: z_te = X_te W p.
    """
    return problem.test.logits(test_coordinates(b, w))


class Checkpoints:
    """Training logits and state coordinates at checkpoints, turned into ``checkpoint_metrics``
    arrays at the end, batch by batch: the test logits of a batch of checkpoints come from one
    matrix product and their metrics from one vectorised pass.

    Paper: the paper's experiments (the metrics recorded along training).

    Evaluating the test set checkpoint by checkpoint streams the whole test representation
    from memory each time; in batches of ``_BATCH`` it is read once per batch.
    """

    def __init__(self, problem: ReducedProblem) -> None:
        self.problem = problem
        self.labels: list = []
        self._logits: list[np.ndarray] = []
        self._coords: list[np.ndarray] = []

    def add(self, label, z: np.ndarray, b: np.ndarray, w: np.ndarray | None) -> None:
        """Record the state with training logits z at checkpoint ``label`` (a step or a time)."""
        self.labels.append(label)
        self._logits.append(np.array(z, dtype=np.float64).reshape(self.problem.shape))
        self._coords.append(np.array(test_coordinates(b, w), dtype=np.float64))

    def arrays(self) -> tuple[dict[str, np.ndarray], list]:
        """(arrays, labels): the ``checkpoint_metrics`` entries stacked over the checkpoints in
        order, up to the first whose test logits are not finite; ``labels`` has one more entry
        than the arrays have rows in that case."""
        problem, batches, kept = self.problem, [], 0
        for start in range(0, len(self.labels), _BATCH):
            stop = min(start + _BATCH, len(self.labels))
            # (count, T, c) viewed as (c, count, T); checkpoint_metrics copies it token-major.
            z_test = np.moveaxis(problem.test.logits(np.stack(self._coords[start:stop], axis=1)), -1, 0)
            batch = checkpoint_metrics(
                np.stack(self._logits[start:stop]),
                problem.gamma,
                problem.train,
                z_test,
                problem.test.gamma,
                problem.test,
                roles=problem.roles,
            )
            finite = np.isfinite(batch["test_loss"])
            good = stop - start if finite.all() else int(np.argmin(finite))
            batches.append({key: value[:good] for key, value in batch.items()})
            kept += good
            if good < stop - start:
                return _concatenate(batches), self.labels[: kept + 1]
        return _concatenate(batches), list(self.labels)


def _concatenate(batches: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    if not batches:
        return {}
    return {key: np.concatenate([batch[key] for batch in batches]) for key in batches[0]}


#: Checkpoints whose test logits are computed together.
_BATCH = 64


def run_reduced(
    params: ProblemParams,
    *,
    data: Data | None = None,
    w0=None,
    record_every: int | None = None,
    progress: bool = False,
    throw: bool = True,
    test_draw: str = "auto",
) -> Recording:
    """Train by exact GD in the reduced state; same arrays and numbers as ``run_direct``.

    Paper: the paper's setting (full-batch GD, step size h, from p = 0); derivations/joint_flow.py.

    Parameters
    ----------
    params : ProblemParams
    data : Data, optional
        Use these tokens exactly. Without it the training split is ``make_data``'s; the test
        set is ``make_data``'s with ``test_draw="full"`` and for the official layout or the
        legacy generator; otherwise (``"auto"``, the independent layout) a draw in the subspace
        that is exact in distribution but not the same numbers (see ``numerics.subspace``).
    w0 : (d, d) array, optional
        Initial W; defaults as ``run_direct`` (Kaiming-uniform, or W = I for p-only).
    record_every : int, optional
        Checkpoint spacing; defaults to ``default_record_every``.
    progress : bool
        Show a progress bar.
    throw : bool
        Raise ``IntegrationError`` on a non-finite loss instead of returning ``Status.NONFINITE``.
    test_draw : {"auto", "full"}
        How the test set is drawn without ``data`` (``numerics.subspace.reduce_problem``).

    Returns
    -------
    Recording
        Arrays ``step``, ``time``, ``step_loss``, the ``checkpoint_metrics`` keys and the
        attention-mass sums ``numerics.mass.MASS_ARRAYS`` (over every step); stats
        ``engine="reduced"``, ``setup_time_s``, ``wall_time_s``, ``test_source``.
    """
    check_memory(
        "the reduced engine",
        reduced_bytes(
            params,
            data_given=data is not None,
            w0_given=w0 is not None,
            record_every=record_every,
            test_draw=test_draw,
        ),
        params,
    )
    started = time.perf_counter()
    if record_every is None:
        record_every = default_record_every(params.n_train, params.seq_len, params.steps)
    evaluations = len(checkpoint_steps(params.steps, record_every))
    problem = reduce_problem(params, data=data, w0=w0, test_evaluations=evaluations, test_draw=test_draw)
    setup = time.perf_counter() - started
    recording = descend_reduced(
        problem,
        step_size=params.step_size,
        steps=params.steps,
        record_every=record_every,
        progress=progress,
        throw=throw,
    )
    return with_setup(recording, setup_s=setup, started=started)


def descend_reduced(
    problem: ReducedProblem,
    *,
    step_size: float,
    steps: int,
    record_every: int | None = None,
    progress: bool = False,
    throw: bool = True,
) -> Recording:
    """Run ``steps`` GD steps of size ``step_size`` on a prepared reduced problem.

    Paper: derivations/joint_flow.py (exact discrete GD). Reusing one ``ReducedProblem`` for several
    step sizes skips the d-dimensional set-up (convergence studies, sweeps over h).
    """
    from tqdm import tqdm

    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps={steps!r}: must be an integer >= 0")
    if (
        isinstance(step_size, bool)
        or not isinstance(step_size, (int, float))
        or not math.isfinite(step_size)
        or step_size <= 0
    ):
        raise ValueError(f"step_size={step_size!r}: must be a finite number > 0")
    started = time.perf_counter()
    n, T = problem.shape
    if record_every is None:
        record_every = default_record_every(n, T, steps)
    checkpoints = set(checkpoint_steps(steps, record_every).tolist())
    state = reduced_state(problem, float(step_size))
    drive_of = problem_drive(problem)
    # Outputs f of every step; the losses are computed from them in one call at the end.
    outputs = np.full((steps + 1, n), np.nan)
    recorder = Checkpoints(problem)
    relevant = problem.roles.relevant
    ledger = MassLedger((n, T), range(relevant.start, relevant.stop))
    masses = []
    status, message = Status.SUCCESS, "completed all steps"
    # Overflow is not an error here: it shows up as non-finite logits, which end the run
    # with Status.NONFINITE at the next step.
    with np.errstate(over="ignore", invalid="ignore"):
        for k in tqdm(range(steps + 1), disable=not progress, desc="gd:reduced", unit="step"):
            z = state.logits()
            # One sum catches NaN and +-inf anywhere in z (it can only overflow for |z| ~ 1e306).
            # Intermediate products such as b^T M_0 b ~ ||p||^2 overflow once ||p|| > ~1e154,
            # far beyond any meaningful run; that too ends here as NONFINITE.
            if not math.isfinite(np.add.reduce(z)):
                outputs[k] = attend(z.reshape(n, T), problem.gamma)[1]
                status, message = Status.NONFINITE, f"non-finite logits or loss at step {k}"
                break
            if k in checkpoints:
                masses.append(ledger.snapshot())
            f, c = drive_of(z, ledger=ledger if k < steps else None)
            outputs[k] = f
            if k in checkpoints:
                recorder.add(k, z, state.b, state.w())
            if k < steps:
                state.step(c)
        checkpoints_arrays, recorded = recorder.arrays()
    rows = len(checkpoints_arrays.get("test_loss", ()))
    if len(recorded) > rows:
        status, message = Status.NONFINITE, f"non-finite test logits at step {recorded.pop()}"
    y = problem.train.labels
    with np.errstate(invalid="ignore"):
        step_loss = np.mean(logistic_loss(y * outputs), axis=1)
    arrays = gd_arrays(checkpoints_arrays | stack_checkpoints(masses[:rows]), recorded, float(step_size), step_loss)
    stats = {
        "engine": "reduced",
        "wall_time_s": time.perf_counter() - started,
        "record_every": record_every,
        "test_source": problem.test_source,
    }
    return finish(arrays, status, message, stats, throw=throw)


def reduced_state(problem: ReducedProblem, step_size: float) -> GDState:
    """The GD state of ``problem`` at p = 0, W = W_0 (b = 0, E = 0; E stays 0 for p-only).

    Paper: the paper's setting (p initialised at 0); derivations/joint_flow.py.
    """
    return GDState(
        problem.gram, problem.metric, step_size, joint=problem.train_mode == "joint", block=_BLOCK, history=_BLOCK
    )


def problem_drive(problem: ReducedProblem):
    """The drive of ``problem`` as a function of flat training logits: z (m,) -> (f (n,), c (m,)).

    Paper: c_{i,t} = (1/n) g_i y_i s_{i,t} (gamma_{i,t} - f_i) (derivations/gradients.py), with the
    sample-major token order of ``ReducedProblem`` (index i T + t).
    """
    shape, gamma = problem.shape, problem.gamma
    labels = problem.train.labels[:, None]
    label_weights = labels / shape[0]

    def drive_of(z: np.ndarray, ledger: MassLedger | None = None):
        f, c = drive(z.reshape(shape), gamma, labels, label_weights, axis=1, ledger=ledger)
        return f, c.ravel()

    return drive_of


#: Rank-one updates held back before they are added to E and S in one product.
_BLOCK = 16
