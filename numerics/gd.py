"""Direct d-dimensional full-batch gradient descent on (W, p) or on p alone, in float64.

Paper: the paper's setting (training by GD from p = 0; v3 trains W and p from Kaiming-uniform W,
v1 trains p with W = I). Costs O(d^2) per step; ``numerics.reduced`` is the fast exact path.
"""

from __future__ import annotations

import time

import numpy as np

from numerics.attention import attend, drive, mean_loss
from numerics.budget import check_memory, direct_bytes
from numerics.data import Data, initial_weights, make_data
from numerics.mass import MassLedger, relevant_positions
from numerics.metrics import checkpoint_metrics
from numerics.recording import Recording, checkpoint_steps, default_record_every, finish, gd_arrays, stack_checkpoints
from numerics.status import Status
from theory.params import ProblemParams
from theory.roles import token_roles

__all__ = ["loss_and_grads", "gd_step", "run_direct", "check_initial_weights"]


def _flat_drive(W, p, tokens, labels, nu):
    n, T, d = tokens.shape
    X = tokens.reshape(n * T, d)
    q = p if W is None else W @ p
    gamma = tokens @ nu
    s, f = attend((X @ q).reshape(n, T), gamma)
    return X, mean_loss(f, labels), drive(s, gamma, f, labels).ravel()


def loss_and_grads(W, p, tokens, labels, nu):
    """Training loss and its exact gradients: grad_p = -W^T v, grad_W = -v p^T, v = X^T c.

    Paper: the gradients of derivations/gradients.py.
    """
    X, loss, c = _flat_drive(W, p, tokens, labels, nu)
    v = X.T @ c
    return loss, -np.outer(v, p), -(W.T @ v)


def gd_step(W, p, tokens, labels, nu, step_size, *, train="joint"):
    """One GD step from (W, p); returns new arrays (W_new, p_new) and the loss before the step.

    With ``train="p_only"`` W is fixed (``W=None`` means the identity).
    """
    X, loss, c = _flat_drive(W, p, tokens, labels, nu)
    v = X.T @ c
    if train == "p_only":
        return W, p + step_size * (v if W is None else W.T @ v), loss
    return W + step_size * np.outer(v, p), p + step_size * (W.T @ v), loss


def check_initial_weights(w0, dim: int) -> np.ndarray:
    """Validate a user-given W_0: a finite float (d, d) array."""
    w0 = np.asarray(w0)
    if w0.shape != (dim, dim):
        raise ValueError(f"initial W has shape {w0.shape}: must be ({dim}, {dim}) for dim={dim}")
    if not np.issubdtype(w0.dtype, np.number) or np.iscomplexobj(w0):
        raise ValueError(f"initial W has dtype {w0.dtype}: must be real numbers")
    if not np.all(np.isfinite(w0)):
        raise ValueError(f"initial W has {int(np.sum(~np.isfinite(w0)))} non-finite entries: all must be finite")
    return np.array(w0, dtype=np.float64, order="C")


def run_direct(
    params: ProblemParams,
    *,
    data: Data | None = None,
    w0=None,
    record_every: int | None = None,
    progress: bool = False,
    throw: bool = True,
) -> Recording:
    """Train by direct GD for ``params.steps`` steps and record the run.

    Records the training loss at every step (``step_loss``, before each update, and after the
    last) and, at the checkpoints, the metrics of ``numerics.metrics.checkpoint_metrics`` and the
    attention-mass sums of ``numerics.mass.MassLedger`` (over every step, whatever the spacing).

    Parameters
    ----------
    params : ProblemParams
    data : Data, optional
        Defaults to ``make_data(params)``.
    w0 : (d, d) array, optional
        Initial W. Defaults to Kaiming-uniform for joint training and the identity for p-only.
    record_every : int, optional
        Checkpoint spacing; defaults to ``default_record_every``.
    progress : bool
        Show a progress bar.
    throw : bool
        Raise ``IntegrationError`` when the loss becomes non-finite instead of returning a
        recording with ``Status.NONFINITE``.

    Raises
    ------
    ValueError
        Before allocating, when the run would exceed the memory budget (``numerics.budget``).
    """
    # Imported here: the reduced engines import this module for its checks, and need neither.
    from scipy.linalg.blas import dger
    from tqdm import tqdm

    if params.draw == "latent":
        raise ValueError(
            "draw='latent' with the direct engine: the latent draw has no d-dimensional "
            "tokens or W; use the reduced engine or the flow (or draw='full')"
        )
    check_memory("the direct engine", direct_bytes(params, w0_given=w0 is not None, record_every=record_every), params)

    started = time.perf_counter()
    data = make_data(params) if data is None else data
    n, T, d = data.train.tokens.shape
    W: np.ndarray | None
    if w0 is not None:
        W = check_initial_weights(w0, d)
    else:
        W = initial_weights(params) if params.train == "joint" else None
    h = params.step_size
    X = data.train.tokens.reshape(n * T, d)
    X_test = data.test.tokens.reshape(-1, d)
    gamma = data.train.tokens @ data.nu
    gamma_test = data.test.tokens @ data.nu
    y = data.train.labels
    p = np.zeros(d)
    if record_every is None:
        record_every = default_record_every(n, T, params.steps)
    checkpoints = set(checkpoint_steps(params.steps, record_every).tolist())
    step_loss = np.full(params.steps + 1, np.nan)
    ledger = MassLedger((n, T), relevant_positions(params))
    rows, recorded = [], []
    status, message = Status.SUCCESS, "completed all steps"
    # Overflow is detected below and reported as Status.NONFINITE, so numpy's warnings are muted.
    with np.errstate(over="ignore", invalid="ignore"):
        for k in tqdm(range(params.steps + 1), disable=not progress, desc="gd:direct", unit="step"):
            q = p if W is None else W @ p
            z = (X @ q).reshape(n, T)
            s, f = attend(z, gamma)
            step_loss[k] = mean_loss(f, y)
            if not np.all(np.isfinite(z)) or not np.isfinite(step_loss[k]):
                status, message = Status.NONFINITE, f"non-finite logits or loss at step {k}"
                break
            if k in checkpoints:
                rows.append(
                    checkpoint_metrics(
                        z,
                        gamma,
                        data.train,
                        (X_test @ q).reshape(-1, T),
                        gamma_test,
                        data.test,
                        roles=token_roles(params),
                    )
                    | ledger.snapshot()
                )
                recorded.append(k)
            if k == params.steps:
                break
            ledger.add(s)
            v = X.T @ drive(s, gamma, f, y).ravel()
            if params.train == "p_only":
                p += h * (v if W is None else W.T @ v)
            else:
                assert W is not None  # joint training starts from a W (given or drawn above)
                grad_p = W.T @ v
                # W^T is Fortran-ordered, so BLAS updates W in place: W += h v p^T (no d x d temporary).
                dger(h, p, v, a=W.T, overwrite_a=True)
                p += h * grad_p
    arrays = gd_arrays(stack_checkpoints(rows), recorded, h, step_loss)
    stats = {"engine": "direct", "wall_time_s": time.perf_counter() - started, "record_every": record_every}
    return finish(arrays, status, message, stats, throw=throw)
