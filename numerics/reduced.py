"""Exact full-batch GD in the reduced state (b, E): O(m^2) work per step, independent of d.

Paper: the paper's setting (GD on (W, p) from p = 0, or on p with W fixed) and derivations/joint_flow.py (exact
reduced dynamics). The state is the one of ``numerics.subspace``:

    p = Y_0^T b,   W = W_0 + X^T E Y_0,   Y_0 = X W_0,   M_0 = Y_0 Y_0^T,   G = X X^T.

One GD step p+ = p + h W^T v, W+ = W + h v p^T with v = X^T c (c = -dL/dz, the drive) reads,
since W^T v = Y_0^T (c + E^T G c) and v p^T = X^T (c b^T) Y_0,

    b+ = b + h (c + E^T G c),   E+ = E + h c b^T          (joint; right sides pre-update)
    b+ = b + h c                                           (p-only, E = 0)

and the logits are z = X W p = u + G E u with u = M_0 b. This is algebraically the same map
as ``numerics.gd.run_direct``; only the rounding differs. Test logits at a checkpoint are
``basis @ [E u, b]`` (joint) or ``basis @ b`` (p-only), an O(n_test T m) product.
"""

from __future__ import annotations

import math
import time

import numpy as np
from scipy.special import expit

from numerics.attention import attend
from numerics.budget import check_memory, reduced_bytes
from numerics.data import Data
from numerics.mass import MassLedger
from numerics.metrics import checkpoint_metrics
from numerics.recording import (Recording, checkpoint_steps, default_record_every, finish,
                                stack_checkpoints)
from numerics.stable import logistic_loss
from numerics.status import Status
from numerics.subspace import ReducedProblem, reduce_problem
from theory.params import ProblemParams

__all__ = ["run_reduced", "descend_reduced", "initial_state", "train_logits", "logits_on_test", "Checkpoints",
           "drive_flat", "GDState"]


def initial_state(problem: ReducedProblem) -> tuple[np.ndarray, np.ndarray | None]:
    """(b, E) at p = 0, W = W_0: zeros; E is ``None`` for p-only training (W stays W_0).

    Paper: the paper's setting (p initialised at 0).
    """
    m = problem.gram.shape[0]
    return np.zeros(m), (np.zeros((m, m)) if problem.train_mode == "joint" else None)


def train_logits(problem: ReducedProblem, b: np.ndarray, E: np.ndarray | None):
    """Training logits z = M_0 b + G E M_0 b, shape (m,), and w = E M_0 b (``None`` for p-only).

    Paper: z_{i,t} = x_{i,t}^T W p (derivations/joint_flow.py).
    """
    u = problem.metric @ b
    if E is None:
        return u, None
    w = E @ u
    return u + problem.gram @ w, w


def logits_on_test(problem: ReducedProblem, b: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """Test logits (n_test, T) from the state: the coordinates of q on B are [w, b] or b.

    Paper: derivations/joint_flow.py: z_te = X_te W p.
    """
    return problem.test.logits(b if w is None else np.concatenate((w, b)))


class Checkpoints:
    """Training logits and state coordinates at checkpoints, turned into ``checkpoint_metrics``
    rows at the end, with the test logits of many checkpoints computed in one matrix product.

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
        self._coords.append(np.array(b, dtype=np.float64) if w is None else np.concatenate((w, b)))

    def rows(self):
        """(rows, labels): metrics of the checkpoints in order, up to the first whose test logits
        are not finite; ``labels`` has one more entry than ``rows`` in that case."""
        problem, rows = self.problem, []
        for start in range(0, len(self.labels), _BATCH):
            stop = min(start + _BATCH, len(self.labels))
            batch = problem.test.logits(np.stack(self._coords[start:stop], axis=1))
            for j in range(stop - start):
                row = checkpoint_metrics(self._logits[start + j], problem.gamma, problem.train,
                                         batch[..., j], problem.test.gamma, problem.test, roles=problem.roles)
                if not math.isfinite(row["test_loss"]):
                    return rows, self.labels[: len(rows) + 1]
                rows.append(row)
        return rows, list(self.labels)


#: Checkpoints whose test logits are computed together.
_BATCH = 64


def run_reduced(params: ProblemParams, *, data: Data | None = None, w0=None,
                record_every: int | None = None, progress: bool = False,
                throw: bool = True) -> Recording:
    """Train by exact GD in the reduced state; same arrays and numbers as ``run_direct``.

    Paper: the paper's setting (full-batch GD, step size h, from p = 0); derivations/joint_flow.py.

    Parameters
    ----------
    params : ProblemParams
    data : Data, optional
        Use these tokens exactly. Without it the training split is ``make_data``'s; the test
        set is the d-dimensional draw for the official layout and, for the independent
        layout, a draw in the subspace that is exact in distribution but not the same numbers
        (see ``numerics.subspace``).
    w0 : (d, d) array, optional
        Initial W; defaults as ``run_direct`` (Kaiming-uniform, or W = I for p-only).
    record_every : int, optional
        Checkpoint spacing; defaults to ``default_record_every``.
    progress : bool
        Show a progress bar.
    throw : bool
        Raise ``IntegrationError`` on a non-finite loss instead of returning ``Status.NONFINITE``.

    Returns
    -------
    Recording
        Arrays ``step``, ``time``, ``step_loss``, the ``checkpoint_metrics`` keys and the
        attention-mass sums ``numerics.mass.MASS_ARRAYS`` (over every step); stats
        ``engine="reduced"``, ``setup_time_s``, ``wall_time_s``, ``test_source``.
    """
    check_memory("the reduced engine", reduced_bytes(params, data_given=data is not None, w0_given=w0 is not None,
                                                     record_every=record_every), params)
    started = time.perf_counter()
    if record_every is None:
        record_every = default_record_every(params.n_train, params.seq_len, params.steps)
    evaluations = len(checkpoint_steps(params.steps, record_every))
    problem = reduce_problem(params, data=data, w0=w0, test_evaluations=evaluations)
    setup = time.perf_counter() - started
    recording = descend_reduced(problem, step_size=params.step_size, steps=params.steps,
                                record_every=record_every, progress=progress, throw=throw)
    stats = dict(recording.stats)
    stats.update(setup_time_s=setup, wall_time_s=time.perf_counter() - started)
    return Recording(arrays=recording.arrays, status=recording.status, message=recording.message,
                     stats=stats)


def descend_reduced(problem: ReducedProblem, *, step_size: float, steps: int,
                    record_every: int | None = None, progress: bool = False,
                    throw: bool = True) -> Recording:
    """Run ``steps`` GD steps of size ``step_size`` on a prepared reduced problem.

    Paper: derivations/joint_flow.py (exact discrete GD). Reusing one ``ReducedProblem`` for several
    step sizes skips the d-dimensional set-up (convergence studies, sweeps over h).
    """
    from tqdm import tqdm

    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps={steps!r}: must be an integer >= 0")
    if isinstance(step_size, bool) or not isinstance(step_size, (int, float)) \
            or not math.isfinite(step_size) or step_size <= 0:
        raise ValueError(f"step_size={step_size!r}: must be a finite number > 0")
    started = time.perf_counter()
    n, T = problem.shape
    if record_every is None:
        record_every = default_record_every(n, T, steps)
    checkpoints = set(checkpoint_steps(steps, record_every).tolist())
    state = GDState(problem, float(step_size))
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
            f, c = drive_flat(z, problem.gamma, labels=problem.train.labels,
                              label_weights=state.label_weights, ledger=ledger if k < steps else None)
            outputs[k] = f
            if k in checkpoints:
                recorder.add(k, z, state.b, state.w())
            if k < steps:
                state.step(c)
        rows, recorded = recorder.rows()
    if len(recorded) > len(rows):
        status, message = Status.NONFINITE, f"non-finite test logits at step {recorded.pop()}"
    y = problem.train.labels
    with np.errstate(invalid="ignore"):
        step_loss = np.mean(logistic_loss(y * outputs), axis=1)
    arrays = stack_checkpoints([row | mass for row, mass in zip(rows, masses)])
    arrays["step"] = np.asarray(recorded, dtype=np.int64)
    arrays["time"] = arrays["step"] * float(step_size)
    arrays["step_loss"] = step_loss
    stats = {"engine": "reduced", "wall_time_s": time.perf_counter() - started,
             "record_every": record_every, "test_source": problem.test_source}
    return finish(arrays, status, message, stats, throw=throw)


def drive_flat(z: np.ndarray, gamma: np.ndarray, *, labels: np.ndarray,
               label_weights: np.ndarray, ledger: MassLedger | None = None):
    """Outputs f (n,) and the drive c = -dL/dz flattened to (n T,), from flat logits z.

    With a ``ledger``, this step's attention weights are added to it (S before the update).

    Paper: c_{i,t} = (1/n) g_i y_i s_{i,t} (gamma_{i,t} - f_i) (derivations/gradients.py).
    ``label_weights`` is y / n. The same numbers as ``attention.attend`` + ``attention.drive``
    up to rounding, with fewer array operations: in the reduced engines these small
    operations, not the m x m products, dominate the cost of a step.
    """
    z = z.reshape(gamma.shape)
    # ufunc reductions directly: the ndarray.sum/max wrappers cost more than the arithmetic here.
    s = np.exp(z - np.maximum.reduce(z, axis=1, keepdims=True))
    s /= np.add.reduce(s, axis=1, keepdims=True)
    if ledger is not None:
        ledger.add(s)
    f = np.add.reduce(s * gamma, axis=1)
    # g_i = 1 / (1 + e^{y_i f_i}) = expit(-y_i f_i), overflow-free.
    weight = expit(-(labels * f))
    weight *= label_weights
    c = gamma - f[:, None]
    c *= weight[:, None]
    c *= s
    return f, c.ravel()


class GDState:
    """The reduced GD state (b, E) and its update; E's latest rank-one terms sit in thin buffers.

    Paper: derivations/joint_flow.py (exact discrete GD), in the (b, E) form of this module.

    A rank-one update of an m x m matrix per step costs far more in numpy than a matrix-vector
    product, so the last ``_BLOCK`` terms (h c_k) b_k^T are held as rows of thin matrices and
    added to E in one matrix product when the buffer is full. The recursion only needs
    S = G E (z = u + S u, E^T G c = S^T c); E itself is needed at checkpoints.
    """

    def __init__(self, problem: ReducedProblem, step_size: float) -> None:
        self.problem, self.h = problem, step_size
        n, T = problem.shape
        m = n * T
        self.label_weights = problem.train.labels / n
        self.b = np.zeros(m)
        self.joint = problem.train_mode == "joint"
        if self.joint:
            self.E, self.S = np.zeros((m, m)), np.zeros((m, m))
            self.cs, self.gcs, self.bs = (np.zeros((_BLOCK, m)) for _ in range(3))
            self.filled = 0

    def logits(self) -> np.ndarray:
        """Flat training logits z of the current state (call before ``w`` and ``step``)."""
        self.u = self.problem.metric @ self.b
        if not self.joint:
            return self.u
        self.bu = self.bs @ self.u
        z = self.S @ self.u
        z += self.gcs.T @ self.bu
        z += self.u
        return z

    def w(self) -> np.ndarray | None:
        """E u for the test coordinates (after ``logits``)."""
        if not self.joint:
            return None
        return self.E @ self.u + self.cs.T @ self.bu

    def step(self, c: np.ndarray) -> None:
        """One GD step with drive c (flat, from the current logits)."""
        if not self.joint:
            self.b += self.h * c
            return
        step_b = self.S.T @ c
        step_b += self.bs.T @ (self.gcs @ c)
        step_b += c
        j = self.filled
        # h goes with c, as in the direct update h v p^T: a drive that vanishes exactly (one-hot
        # attention) then adds exact zeros however large h b is.
        np.multiply(c, self.h, out=self.cs[j])
        self.gcs[j] = self.problem.gram @ self.cs[j]
        self.bs[j] = self.b
        self.filled += 1
        if self.filled == _BLOCK:
            self.E += self.cs.T @ self.bs
            self.S += self.gcs.T @ self.bs
            for buffer in (self.cs, self.gcs, self.bs):
                buffer.fill(0.0)
            self.filled = 0
        step_b *= self.h
        self.b += step_b


#: Rank-one updates held back before they are added to E and S in one product.
_BLOCK = 16
