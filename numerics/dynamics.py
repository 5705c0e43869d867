"""The exact reduced dynamics of every reduced engine: the drive, the state (b, E) and its step.

Paper: the paper's setting (full-batch GD on (W, p) from p = 0, or on p with W fixed) and
derivations/joint_flow.py (exact reduced dynamics). GD and gradient flow from p = 0 keep

    p = Y_0^T b,   W = W_0 + X^T E Y_0,   Y_0 = X W_0,   M_0 = Y_0 Y_0^T,   G = X X^T,

for b in R^m and E in R^{m x m} (m = n T training tokens; E = 0 for p-only training). The
training logits and the drive c = -dL/dz are

    z = u + G E u,  u = M_0 b;     c_{i,t} = (1/n) g_i y_i s_{i,t} (gamma_{i,t} - f_i),

and since W^T v = Y_0^T (c + E^T G c) and v p^T = X^T (c b^T) Y_0 for v = X^T c, the rate of
the state is

    b' = c + E^T G c,   E' = c b^T          (joint)
    b' = c                                    (p-only).

GD is the Euler map of this rate with step h, right sides at the pre-update state
(``GDState``: numerics.reduced for one problem, numerics.column for a batch of signal norms);
gradient flow integrates it (``logits`` and ``rate``: numerics.flow). This is algebraically the
map of ``numerics.gd.run_direct``, which stays an independent d-dimensional reference, as does
the mpmath flow of ``numerics.flow_mpmath``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from numerics.stable import logistic_weight

__all__ = ["drive", "logits", "rate", "test_coordinates", "GDState"]


def drive(z: np.ndarray, gamma: np.ndarray, labels: np.ndarray, label_weights: np.ndarray, *, axis: int, ledger=None):
    """Outputs f and the drive c = -dL/dz from logits z and token scores gamma of one shape.

    Paper: f_i = sum_t s_{i,t} gamma_{i,t}, s = softmax(z_i), and
    c_{i,t} = (1/n) g_i y_i s_{i,t} (gamma_{i,t} - f_i), g_i = 1/(1 + e^{y_i f_i})
    (derivations/gradients.py).

    ``axis`` is the token axis of z and gamma: 1 for (n, T) arrays, 0 for token-major
    (T, cells, n) batches. ``labels`` (y) and ``label_weights`` (y / n) broadcast against f with
    the token axis kept: shape (n, 1) for axis 1, (n,) for axis 0. Returns f without the token
    axis and c of z's shape. A ``ledger`` (``numerics.mass.MassLedger``) is handed this step's
    attention s, before the update (the attention-mass bookkeeping of the v1 paper).

    The same numbers as ``attention.attend`` + ``attention.drive`` up to rounding, with fewer
    array operations: in the reduced engines these small operations, not the m x m products,
    dominate the cost of a step.
    """
    # ufunc reductions directly: the ndarray.sum/max wrappers cost more than the arithmetic here.
    s = np.exp(z - np.maximum.reduce(z, axis=axis, keepdims=True))
    s /= np.add.reduce(s, axis=axis, keepdims=True)
    if ledger is not None:
        ledger.add(s)
    f = np.add.reduce(s * gamma, axis=axis, keepdims=True)
    weight = logistic_weight(labels * f)  # g_i = 1 / (1 + e^{y_i f_i}), overflow-free
    weight *= label_weights
    c = gamma - f
    c *= weight
    c *= s
    return f.squeeze(axis), c


def logits(gram: np.ndarray, metric: np.ndarray, b: np.ndarray, E: np.ndarray | None):
    """Training logits z = u + G E u (u = M_0 b), shape (m,), and w = E u (``None`` for p-only).

    Paper: z_{i,t} = x_{i,t}^T W p (derivations/joint_flow.py).
    """
    u = metric @ b
    if E is None:
        return u, None
    w = E @ u
    return u + gram @ w, w


def rate(gram: np.ndarray, b: np.ndarray, E: np.ndarray | None, c: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The rate of the state with drive c written into ``out``: c (p-only, ``out`` of shape
    (m,)), or [c + E^T G c, (c b^T).ravel()] (joint, ``out`` of shape (m + m m,)).

    Paper: derivations/joint_flow.py (gradient flow in (b, E)).
    """
    m = b.shape[0]
    if E is None:
        out[:] = c
        return out
    out[:m] = E.T @ (gram @ c)
    out[:m] += c
    np.multiply.outer(c, b, out=out[m:].reshape(m, m))
    return out


def test_coordinates(b: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """Coordinates of q = W p on the test basis B = [X^T, N_0]: [w, b] (joint) or b (p-only).

    Paper: q = N_0 b + X^T (E M_0 b) (derivations/joint_flow.py).
    """
    return b if w is None else np.concatenate((w, b))


def _matvec(matrices: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    # One BLAS call per cell (stacked matmul): the rounding of a cell never depends on the batch.
    return np.matmul(matrices, vectors[..., None])[..., 0]


def _vecmat(vectors: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    return np.matmul(vectors[..., None, :], matrices)[..., 0, :]


class GDState:
    """The reduced state (b, E) under GD with step h, for one problem or a batch of cells.

    Paper: derivations/joint_flow.py (exact discrete GD in (b, E)):

        z = u + G E u,  u = M_0 b;   b+ = b + h (c + E^T G c),   E+ = E + h c b^T.

    ``gram`` and ``metric`` are G and M_0, (m, m) for one problem or (cells, m, m) for a batch;
    the state then has the same leading axes (``b`` of shape (m,) or (cells, m)).

    A rank-one update of an m x m matrix per step costs far more in numpy than a matrix-vector
    product, so the latest terms (h c_k) b_k^T are held as rows of thin matrices. The recursion
    only needs S = G E (z = u + S u, E^T G c = S^T c): the rows (h c, G h c, b) of S's current
    block are added to S in one product every ``block`` steps. E itself is only read at
    checkpoints (``w``), so its terms wait longer (``history`` rows, a multiple of ``block``),
    which makes its one product per history cheaper per step.
    """

    def __init__(
        self, gram: np.ndarray, metric: np.ndarray, step_size: float, *, joint: bool, block: int, history: int
    ) -> None:
        if history % block:
            raise ValueError(f"history={history}: must be a multiple of block={block}")
        self.gram, self.metric, self.h, self.joint = gram, metric, step_size, joint
        self.block_size, self.history = block, history
        lead, m = gram.shape[:-2], gram.shape[-1]
        # One problem: plain products (the stacked forms cost more per call than the arithmetic
        # of one m x m matrix-vector product at m ~ 100).
        self._matvec: Callable[[np.ndarray, np.ndarray], np.ndarray]
        self._vecmat: Callable[[np.ndarray, np.ndarray], np.ndarray]
        self._matvec, self._vecmat = (_matvec, _vecmat) if lead else (np.matmul, np.matmul)
        self.b = np.zeros(lead + (m,))
        if joint:
            self.S = np.zeros(lead + (m, m))
            self.E = np.zeros(lead + (m, m))
            self.cs = np.zeros(lead + (history, m))  # h c_k
            self.bs = np.zeros(lead + (history, m))  # b_k
            self.gcs = np.zeros(lead + (block, m))  # G h c_k of the current S block
            self.filled = 0
            self._current = slice(0, block)  # the rows of bs in the current S block

    def keep(self, mask: np.ndarray) -> None:
        """Drop the cells of a batch where ``mask`` is False (they ended)."""
        names = ("gram", "metric", "b") + (("S", "E", "cs", "bs", "gcs") if self.joint else ())
        for name in names:
            setattr(self, name, getattr(self, name)[mask])

    def logits(self) -> np.ndarray:
        """Flat training logits z of the current state (call before ``w`` and ``step``)."""
        matvec = self._matvec
        self.u = matvec(self.metric, self.b)
        if not self.joint:
            return self.u
        z = matvec(self.S, self.u)
        z += self._vecmat(matvec(self.bs[..., self._current, :], self.u), self.gcs)
        z += self.u
        return z

    def w(self) -> np.ndarray | None:
        """E u for the test coordinates (after ``logits``); ``None`` for p-only training."""
        if not self.joint:
            return None
        matvec, done = self._matvec, slice(0, self.filled)
        return matvec(self.E, self.u) + self._vecmat(matvec(self.bs[..., done, :], self.u), self.cs[..., done, :])

    def step(self, c: np.ndarray) -> None:
        """One GD step with drive c (flat, from the current logits)."""
        if not self.joint:
            self.b += self.h * c
            return
        matvec, vecmat, block, j = self._matvec, self._vecmat, self._current, self.filled
        step_b = vecmat(c, self.S)
        step_b += vecmat(matvec(self.gcs, c), self.bs[..., block, :])
        step_b += c
        # h goes with c, as in the direct update h v p^T: a drive that vanishes exactly (one-hot
        # attention) then adds exact zeros however large h b is.
        h_c = self.cs[..., j, :]
        np.multiply(c, self.h, out=h_c)
        self.gcs[..., j % self.block_size, :] = matvec(self.gram, h_c)
        self.bs[..., j, :] = self.b
        self.filled += 1
        if self.filled % self.block_size == 0:
            self.S += np.matmul(np.swapaxes(self.gcs, -1, -2), self.bs[..., block, :])
            self.gcs.fill(0.0)
            if self.filled == self.history:
                self.E += np.matmul(np.swapaxes(self.cs, -1, -2), self.bs)
                self.cs.fill(0.0)
                self.bs.fill(0.0)
                self.filled = 0
            self._current = slice(self.filled, self.filled + self.block_size)
        step_b *= self.h
        self.b += step_b
