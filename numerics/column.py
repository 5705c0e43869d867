"""Exact reduced GD for a column of the phase diagram: one (d, seed), many signal norms ||mu||.

Paper: the paper's phase-diagram experiment (train / test loss over (d, ||mu||) at step 1000) and
derivations/joint_flow.py (exact reduced dynamics); the same GD as ``numerics.reduced.run_reduced`` cell by cell.

Why a column shares its d-dimensional work. For a fixed (d, seed) the training noise Xi
(m x d, m = n T), W_0 and the test noise do not depend on ||mu||: the signal only adds
mu A E_2 to the tokens, with A (m x 2) the per-token signal coefficients (relevant 1, weak
aligned rho, weak opposite rho, on the sample's own or the other axis) and E_2 = [e_1; e_2].
With Y = Xi W_0 and w_2 = W_0[:2] (the first two rows of W_0):

    G(mu)   = X X^T         = Xi Xi^T + mu (Xi_2 A^T + A Xi_2^T) + mu^2 A A^T
    M_0(mu) = X W_0 W_0^T X^T = Y Y^T + mu (L A^T + A L^T) + mu^2 A P A^T,
              L = Y w_2^T, P = w_2 w_2^T,

where Xi_2 = Xi[:, :2]. So one column needs the m x m matrices Xi Xi^T and Y Y^T and a few
m x 2 ones, all O(m d^2) once; each ||mu|| adds only rank <= 4 terms.

Test set. q = W p lies in span(X^T) + W_0 W_0^T span(X^T), which for every mu is inside
S* = span(Xi^T, e_1, e_2, W_0 W_0^T Xi^T, W_0 W_0^T e_1, W_0 W_0^T e_2) (dimension <= 2m + 4),
independent of mu. Writing the generator matrix as Q R (Q orthonormal, d x r) gives the
coordinates R of every generator; a test token x = xi + mu a E_2 then enters only through
Q^T xi, which is N(0, I_r) by rotation invariance. Drawing those r coordinates once per column
from the test generator is exact in distribution for every test logit and score, and every
||mu|| of the column sees the same test noise, as the d-dimensional draw with one test seed
would give. When d <= 2m + 4 the d coordinates themselves are used, and the draw is then the
very ``make_data`` test noise. (``numerics.subspace`` draws in a mu-dependent subspace, so its
test numbers differ from these; both are exact in distribution.) With ``draw="latent"`` the
coordinates of the generators come from ``numerics.latent`` without any d-dimensional work, and
a column then gives the numbers of ``run_reduced`` on the latent draw, cell by cell.

Independence of the batch. Every product in the recursion is a per-cell matrix-vector or
matrix-matrix call (numpy's stacked ``matmul``) or an elementwise operation, never a product
shared across the cells of a batch: a shared GEMM rounds a column differently depending on how
many columns it has. So a cell's numbers are bit-for-bit the same whichever other signal norms
are computed with it, and a sweep resumed half-way through a column gives the same files.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence

import numpy as np

from numerics.attention import attend
from numerics.budget import check_memory, latent_bytes, recording_bytes
from numerics.data import draw_noise, initial_weights, signal_coefficients, split_labels, test_rng
from numerics.dynamics import GDState, drive
from numerics.latent import draw_frame
from numerics.metrics import checkpoint_metrics
from numerics.recording import Recording, checkpoint_steps, default_record_every, finish, gd_arrays, stack_checkpoints
from numerics.stable import logistic_loss
from numerics.status import Status
from theory.params import ProblemParams
from theory.roles import token_roles

__all__ = ["SignalColumn", "prepare_column", "run_reduced_column", "column_bytes", "DEFAULT_BATCH"]

#: Signal norms stepped together. Per cell the hot state is four m x m float64 matrices
#: (G, M_0, S, E: 800 KiB at m = 160), so 13 cells (10 MiB) stay in the 32 MiB L3 cache while the
#: per-step numpy overhead is shared by 13 cells; 13 splits the paper's 39 values evenly. Measured
#: at m = 160, one BLAS thread: 8 -> 40, 13 -> 30-39, 16 -> 56 us per cell and step.
DEFAULT_BATCH = 13

#: Rank-one updates of S = G E held in thin buffers before they are added in one product.
_BLOCK = 32
#: Rank-one updates of E (only read at checkpoints) held before they are added; a multiple of _BLOCK.
_HISTORY = 128

_SQRT2 = math.sqrt(2.0)


@dataclasses.dataclass(frozen=True, slots=True)
class _Labels:
    """What ``checkpoint_metrics`` reads from a split: observed labels and the noisy mask."""

    labels: np.ndarray
    noisy: np.ndarray


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SignalColumn:
    """The ||mu||-independent part of a column (fixed d, seed): Gram blocks and the test noise.

    Paper: the official data recipe and derivations/joint_flow.py (G, M_0, the subspace holding q), split into the part
    shared by every ||mu|| and the rank <= 4 signal terms (module docstring).

    Attributes
    ----------
    base : ProblemParams
        The column's setting; its ``signal_norm`` is not used.
    train : _Labels
        Observed labels and noisy mask of the training samples.
    signal : (m, 2) array
        A: signal coefficients of each training token on e_1 and e_2 (training tokens are in
        token-major order t n + i throughout).
    noise_signal : (m, 2) array
        Xi_2: the training noise on e_1 and e_2.
    gram, metric : (m, m) arrays
        Xi Xi^T and Y Y^T with Y = Xi W_0.
    metric_signal : (m, 2) array
        L = Y W_0[:2]^T.
    signal_metric : (2, 2) array
        P = W_0[:2] W_0[:2]^T.
    generators : (r, 2m + 4) array
        Coordinates of [Xi^T, e_1, e_2, W_0 W_0^T Xi^T, W_0 W_0^T e_1, W_0 W_0^T e_2] in the
        frame of the test noise.
    test_noise : (n_test * T, r) array
        Test noise in that frame.
    test_noise_signal : (n_test * T, 2) array
        The test noise on e_1 and e_2.
    test_signal : (n_test * T, 2) array
        Signal coefficients of each test token.
    test : _Labels
    test_source : {"subspace", "d-dimensional", "given"}
    """

    base: ProblemParams
    train: _Labels
    signal: np.ndarray
    noise_signal: np.ndarray
    gram: np.ndarray
    metric: np.ndarray
    metric_signal: np.ndarray
    signal_metric: np.ndarray
    generators: np.ndarray
    test_noise: np.ndarray
    test_noise_signal: np.ndarray
    test_signal: np.ndarray
    test: _Labels
    test_source: str

    @property
    def shape(self) -> tuple[int, int]:
        """(n, T) of the training logits."""
        return self.base.n_train, self.base.seq_len

    def training_matrices(self, mu: float) -> tuple[np.ndarray, np.ndarray]:
        """G(mu) and M_0(mu), each (m, m), from the shared blocks and the rank <= 4 signal terms.

        Paper: derivations/joint_flow.py (G = X X^T, M_0 = X W_0 W_0^T X^T) with X = Xi + mu A E_2.
        """
        A, Xi2, L = self.signal, self.noise_signal, self.metric_signal
        cross = Xi2 @ A.T
        gram = self.gram + mu * (cross + cross.T) + (mu * mu) * (A @ A.T)
        cross = L @ A.T
        metric = self.metric + mu * (cross + cross.T) + (mu * mu) * (A @ self.signal_metric @ A.T)
        return gram, metric

    def scores(self, mu: float) -> tuple[np.ndarray, np.ndarray]:
        """Token scores nu^T x of the training (n, T) and test (n_test, T) tokens.

        Paper: gamma_t = nu^T x_t with nu = (e_1 - e_2) / (sqrt(2) ||mu||) (derivations/model_loss.py).
        """

        def score(noise2, signal2):
            return ((noise2[:, 0] - noise2[:, 1]) / mu + (signal2[:, 0] - signal2[:, 1])) / _SQRT2

        n, T = self.shape
        return (
            score(self.noise_signal, self.signal).reshape(T, n).T,
            score(self.test_noise_signal, self.test_signal).reshape(-1, T),
        )

    def test_logits(self, mu: float, b: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Test logits (n_test, T) of the state with coordinates b and w = E u.

        Paper: z_te = X_te W p (derivations/joint_flow.py). q = X^T w + N_0 b is, on the generators,
        [w, mu A^T w, b, mu A^T b]; a test token x = xi + mu a E_2 gives x^T q =
        xi^T q + mu a (e_1^T q, e_2^T q).
        """
        A = self.signal
        alpha = np.concatenate((w, mu * (A.T @ w), b, mu * (A.T @ b)))
        q = self.generators @ alpha
        m = A.shape[0]
        on_signal = self.generators[:, m : m + 2].T @ q
        logits = self.test_noise @ q
        logits += mu * (self.test_signal @ on_signal)
        return logits.reshape(-1, self.base.seq_len)


def column_bytes(
    base: ProblemParams, *, batch: int = DEFAULT_BATCH, test_given: bool = False, record_every: int | None = None
) -> int:
    """Peak bytes of ``run_reduced_column``: the d-dimensional set-up or the batched state.

    Counts, for the set-up, Xi (m x d), W_0 (d x d), Y = Xi W_0 and W_0 Y^T (m x d each), the
    generator matrix (d x (2m + 4)) with its QR workspace and the test noise; for the descent,
    four m x m matrices and the update buffers per cell of the batch, plus one recording per cell.

    Paper: derivations/joint_flow.py (O(m d^2) set-up once per column, O(m^2) per step and cell).
    """
    d, m = base.dim, base.n_train * base.seq_len
    k = 2 * m + 4
    if base.draw == "latent":
        # No d-dimensional set-up: the frame has at most k rows.
        descent = batch * (4 * m * m + (2 * _HISTORY + _BLOCK) * m) + base.n_test * base.seq_len * (k + 4)
        return latent_bytes(base) + 8 * (descent + 4 * m * m) + batch * recording_bytes(base, record_every)
    r = d if test_given or d <= k or base.generator == "legacy" else k
    setup = d * d + 3 * m * d + 2 * k * d + base.n_test * base.seq_len * (r + 4)
    descent = batch * (4 * m * m + (2 * _HISTORY + _BLOCK) * m) + base.n_test * base.seq_len * (r + 4)
    return 8 * (max(setup, descent) + 4 * m * m) + batch * recording_bytes(base, record_every)


def prepare_column(
    base: ProblemParams, *, test_noise: np.ndarray | None = None, batch: int = DEFAULT_BATCH
) -> SignalColumn:
    """Do the d-dimensional work of a column once: noise, W_0, Gram blocks, test frame and noise.

    Paper: the official draw of the authors' public code (training noise from ``default_rng(seed)``, W_0 from
    ``default_rng([seed, 2])``, independent test seed) and derivations/joint_flow.py.

    Parameters
    ----------
    base : ProblemParams
        Joint training, independent layout. ``signal_norm`` is ignored.
    test_noise : (n_test, T, d) array, optional
        Use this d-dimensional test noise (signals are added per ||mu||) instead of drawing it,
        e.g. to compare with ``run_reduced`` on ``make_data`` tokens.
    batch : int
        Cells stepped together (only for the memory estimate).

    Raises
    ------
    ValueError
        For p-only training or the official layout (their W_0 or test set is not shared across a
        column this way: run them cell by cell with ``run_reduced``), a ``test_noise`` of the
        wrong shape, or a setting over the memory budget.
    """
    if base.train != "joint":
        raise ValueError(
            f"train={base.train!r}: the column engine trains jointly (W, p); "
            "use run_reduced per cell for p-only training"
        )
    if base.layout != "independent":
        raise ValueError(
            f"layout={base.layout!r}: the column engine needs the independent layout "
            "(the official test set reuses the training noise); use run_reduced per cell"
        )
    n, T, d = base.n_train, base.seq_len, base.dim
    m = n * T
    if test_noise is not None:
        test_noise = np.asarray(test_noise, dtype=np.float64)
        if test_noise.shape != (base.n_test, T, d):
            raise ValueError(f"test_noise of shape {test_noise.shape}: must be (n_test, T, d) = {(base.n_test, T, d)}")
    check_memory("the column engine", column_bytes(base, batch=batch, test_given=test_noise is not None), base)
    labels, true_labels, noisy = split_labels(base, "train")
    if base.draw == "latent":
        if test_noise is not None:
            raise ValueError(
                "test_noise with draw='latent': the latent draw has no d-dimensional test noise; use draw='full'"
            )
        blocks = _latent_blocks(base)
    else:
        blocks = _full_blocks(base, test_noise)
    noise_signal, gram, metric, metric_signal, signal_metric, frame, test, source = blocks
    test_labels = split_labels(base, "test")[1]
    return SignalColumn(
        base=base,
        train=_Labels(labels, noisy),
        signal=signal_coefficients(true_labels, base, token_major=True),
        noise_signal=noise_signal,
        gram=gram,
        metric=metric,
        metric_signal=metric_signal,
        signal_metric=signal_metric,
        generators=frame,
        test_noise=test,
        test_noise_signal=test @ frame[:, m : m + 2],
        test_signal=signal_coefficients(test_labels, base, token_major=False),
        test=_Labels(test_labels, np.zeros(base.n_test, dtype=bool)),
        test_source=source,
    )


def _full_blocks(base: ProblemParams, test_noise: np.ndarray | None):
    """The column's blocks from d-dimensional noise and W_0 (O(m d^2))."""
    n, T, d = base.n_train, base.seq_len, base.dim
    m = n * T
    # The same training noise as numerics.data.draw_split, before signals are added. Training
    # tokens are ordered token-major (index t n + i) inside this module: the
    # softmax over a sample's T tokens then reduces over a leading axis, which numpy does in a
    # few vectorised passes instead of one short reduction per sample.
    noise = draw_noise(base, "train").transpose(1, 0, 2).reshape(m, d)
    W0 = initial_weights(base)
    Y = noise @ W0
    head = W0[:2]
    generators = np.empty((d, 2 * m + 4))
    generators[:, :m] = noise.T
    generators[:, m : m + 2] = np.eye(d, 2)
    generators[:, m + 2 : 2 * m + 2] = W0 @ Y.T
    generators[:, 2 * m + 2 :] = W0 @ head.T
    if test_noise is not None:
        frame, test, source = generators, test_noise.reshape(-1, d), "given"
    elif d <= 2 * m + 4 or base.generator == "legacy":
        # The standard basis is already small, or the noise is the legacy float32-rounded one
        # (not rotation invariant): this is make_data's test noise, draw for draw.
        frame = generators
        test = draw_noise(base, "test").reshape(-1, d)
        source = "d-dimensional"
    else:
        frame = np.linalg.qr(generators, mode="r")  # type: ignore[assignment]  # stubs: mode="r" returns R alone
        test = test_rng(base).standard_normal((base.n_test * T, frame.shape[0]))
        source = "subspace"
    return (noise[:, :2].copy(), noise @ noise.T, Y @ Y.T, Y @ head.T, head @ head.T, frame, test, source)


def _latent_blocks(base: ProblemParams):
    """The column's blocks from the d-free draw of ``numerics.latent`` (O(m^3), any d).

    The latent frame holds exactly the generators S* of this module's docstring, so every
    block is an inner product of its columns: Xi Xi^T, Y Y^T = Xi N Xi^T, L = Xi N E_2^T and
    P = E_2 N E_2^T with N = W_0 W_0^T.
    """
    n, T = base.n_train, base.seq_len
    m = n * T
    frame = draw_frame(base).generators.copy()
    # The latent draw orders tokens sample-major (i T + t); this module token-major (t n + i).
    order = np.arange(m).reshape(n, T).T.ravel()
    frame[:, :m] = frame[:, order]
    frame[:, m + 2 : 2 * m + 2] = frame[:, m + 2 + order]
    noise, images, heads = frame[:, :m], frame[:, m + 2 : 2 * m + 2], frame[:, 2 * m + 2 :]
    test = test_rng(base).standard_normal((base.n_test * T, frame.shape[0]))
    return (
        noise[:2].T.copy(),
        noise.T @ noise,
        noise.T @ images,
        noise.T @ heads,
        frame[:, m : m + 2].T @ heads,
        frame,
        test,
        "latent",
    )


def run_reduced_column(
    base: ProblemParams,
    signal_norms: Sequence[float],
    *,
    record_every: int | None = None,
    throw: bool = False,
    test_noise: np.ndarray | None = None,
    batch: int = DEFAULT_BATCH,
) -> list[Recording]:
    """Train every ``base.replace(signal_norm=mu)`` by exact GD, sharing the column's set-up.

    Paper: the paper's phase-diagram experiment (a column of the (d, ||mu||) grid) and
    derivations/joint_flow.py: the same GD map as ``run_reduced(base.replace(signal_norm=mu))``
    for each mu, with the test noise drawn in the mu-independent subspace S* (module docstring).

    Parameters
    ----------
    base : ProblemParams
        Joint training, independent layout; ``signal_norm`` is replaced by each of ``signal_norms``.
    signal_norms : sequence of float
        ||mu|| values, each > 0. A cell's numbers do not depend on which others are given.
    record_every : int, optional
        Checkpoint spacing; defaults to ``default_record_every``.
    throw : bool
        Raise ``IntegrationError`` for the first cell that ends non-finite, instead of returning
        its recording with ``Status.NONFINITE`` (the other cells are finished either way).
    test_noise : (n_test, T, d) array, optional
        Given d-dimensional test noise (see ``prepare_column``).
    batch : int
        Cells stepped together; changes speed only, never the numbers.

    Returns
    -------
    list of Recording
        One per signal norm, in order, with the arrays of ``run_reduced`` (``step``, ``time``,
        ``step_loss`` and the ``checkpoint_metrics`` keys); stats ``engine="reduced-column"``,
        ``setup_time_s`` (the column's, shared), ``wall_time_s`` (the cell's batch),
        ``record_every``, ``test_source``.
    """
    started = time.perf_counter()
    norms = [float(mu) for mu in signal_norms]
    for mu in norms:
        if not (math.isfinite(mu) and mu > 0):
            raise ValueError(f"signal_norm={mu!r}: must be a finite number > 0")
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch={batch!r}: must be an integer >= 1")
    steps = base.steps
    n, T = base.n_train, base.seq_len
    if record_every is None:
        record_every = default_record_every(n, T, steps)
    checkpoints = checkpoint_steps(steps, record_every)
    column = prepare_column(base, test_noise=test_noise, batch=min(batch, max(len(norms), 1)))
    setup = time.perf_counter() - started
    recordings = []
    for start in range(0, len(norms), batch):
        batch_started = time.perf_counter()
        chunk = norms[start : start + batch]
        results = _descend(column, chunk, set(checkpoints.tolist()))
        wall = time.perf_counter() - batch_started
        for mu, (arrays, status, message) in zip(chunk, results):
            stats = {
                "engine": "reduced-column",
                "setup_time_s": setup,
                "wall_time_s": wall,
                "record_every": record_every,
                "test_source": column.test_source,
                "signal_norm": mu,
            }
            recordings.append(finish(arrays, status, message, stats, throw=False))
    if throw:
        for recording in recordings:
            finish(dict(recording.arrays), recording.status, recording.message, dict(recording.stats), throw=True)
    return recordings


def _descend(column: SignalColumn, norms: list[float], checkpoints: set[int]):
    """Step the cells of ``norms`` together; (arrays, status, message) per cell."""
    base = column.base
    steps, h = base.steps, float(base.step_size)
    n, T = column.shape
    count = len(norms)
    # An overflowing ||mu||^2 term is not an error here: the cell's logits are then non-finite
    # and it ends with Status.NONFINITE at step 0, the others go on.
    with np.errstate(over="ignore", invalid="ignore"):
        matrices = [column.training_matrices(mu) for mu in norms]
        scores = [column.scores(mu) for mu in norms]
    state = GDState(
        np.stack([g for g, _ in matrices]),
        np.stack([mm for _, mm in matrices]),
        h,
        joint=True,
        block=_BLOCK,
        history=_HISTORY,
    )
    del matrices
    # (T, cells, n): the layout of the drive (``_drive``).
    gamma = np.ascontiguousarray(np.stack([g.T for g, _ in scores], axis=1))
    labels = column.train.labels
    label_weights = labels / n
    outputs = np.full((steps + 1, count, n), np.nan)
    recorded: list[list] = [[] for _ in norms]
    ended: list = [None] * count  # (status, message) of a cell that stopped early
    active = np.arange(count)  # cells still stepping, in batch order
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(steps + 1):
            z = state.logits()
            # One sum catches NaN and +-inf anywhere (as in numerics.reduced); then find the cells.
            if not math.isfinite(np.add.reduce(z, axis=None)):
                finite = np.isfinite(np.add.reduce(z, axis=1))
                for dead in np.flatnonzero(~finite):
                    outputs[k, active[dead]] = attend(_sample_major(z[dead], n, T), gamma[:, dead].T)[1]
                    ended[active[dead]] = (Status.NONFINITE, f"non-finite logits or loss at step {k}")
                active, z, gamma = active[finite], z[finite], gamma[:, finite]
                state.keep(finite)
                if not active.size:
                    break
            f, c = _drive(z, gamma, labels, label_weights)
            if active.size == count:
                outputs[k] = f
            else:
                outputs[k, active] = f
            if k in checkpoints:
                w = state.w()
                assert w is not None  # the column trains W and p jointly (refused otherwise on entry)
                for j, index in enumerate(active):
                    recorded[index].append((k, _sample_major(z[j], n, T), state.b[j].copy(), w[j].copy()))
            if k < steps:
                state.step(c)
    return [
        _finish_cell(column, mu, scores[cell], recorded[cell], ended[cell], outputs[:, cell], h)
        for cell, mu in enumerate(norms)
    ]


def _sample_major(z: np.ndarray, n: int, T: int) -> np.ndarray:
    """Flat token-major logits of one cell as (n, T)."""
    return z.reshape(T, n).T.copy()


def _finish_cell(column: SignalColumn, mu: float, scores, recorded: list, ended, outputs: np.ndarray, h: float):
    """Checkpoint metrics (test logits included) and step losses of one cell."""
    gamma_train, gamma_test = scores
    status, message = ended or (Status.SUCCESS, "completed all steps")
    rows, steps_done = [], []
    for k, z, b, w in recorded:
        with np.errstate(over="ignore", invalid="ignore"):
            z_test = column.test_logits(mu, b, w)
        row = checkpoint_metrics(
            z, gamma_train, column.train, z_test, gamma_test, column.test, roles=token_roles(column.base)
        )
        if not math.isfinite(row["test_loss"]):
            status, message = Status.NONFINITE, f"non-finite test logits at step {k}"
            break
        rows.append(row)
        steps_done.append(k)
    with np.errstate(invalid="ignore"):
        step_loss = np.mean(logistic_loss(column.train.labels * outputs), axis=1)
    arrays = gd_arrays(stack_checkpoints(rows), steps_done, h, step_loss)
    return arrays, status, message


def _drive(z: np.ndarray, gamma: np.ndarray, labels: np.ndarray, label_weights: np.ndarray):
    """Outputs f (cells, n) and drives c = -dL/dz (cells, m) from token-major logits z (cells, m).

    Paper: c_{i,t} = (1/n) g_i y_i s_{i,t} (gamma_{i,t} - f_i) (derivations/gradients.py).
    ``gamma`` is (T, cells, n): the reductions over a sample's tokens run over the leading axis.
    """
    T, count, n = gamma.shape
    f, c = drive(z.reshape(count, T, n).transpose(1, 0, 2), gamma, labels, label_weights, axis=0)
    return f, np.ascontiguousarray(c.transpose(1, 0, 2)).reshape(count, T * n)
