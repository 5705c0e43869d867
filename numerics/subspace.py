"""The data as the reduced engines see it: Gram matrices of the training tokens and the test
tokens projected on the subspace that holds q = W p.

Paper: the paper's setting (data model) and the reduced exact state of derivations/joint_flow.py.

Why a subspace suffices. GD (and gradient flow) from p = 0 keeps

    p = Y_0^T b,   W = W_0 + X^T E Y_0,   with Y_0 = X W_0,

for a vector b in R^m and a matrix E in R^{m x m} (X the m = n T stacked training tokens;
p-only training keeps E = 0). So q = W p = N_0 b + X^T (E M_0 b) lies in the span of the
2m columns B = [X^T, N_0], N_0 = W_0 W_0^T X^T, M_0 = X N_0. A test token x therefore only
enters through x^T B (its "basis row") and nu^T x. Everything d-dimensional is done here,
once, with matrix products; the engines work with m x m matrices.

Test sets drawn in the subspace (independent layout only). Fresh test noise xi ~ N(0, I_d)
is independent of the training data and of W_0. Write E_aug = [e_1, e_2, B] = Q R with Q
orthonormal (d x r). Then Q^T xi ~ N(0, I_r) by rotation invariance of the standard normal,
and (e_1^T xi, e_2^T xi, xi^T B) = R^T (Q^T xi). Drawing g ~ N(0, I_r) and using R^T g is
therefore exact in distribution for every quantity the toolkit computes from a test token
(its logit and its score nu^T x = (x_1 - x_2) / (sqrt(2) ||mu||)). It is not the same numbers
as the d-dimensional draw. The official layout shares noise between training and test
samples, so it always keeps the d-dimensional draw, and so do an explicitly given ``data`` and
the legacy generator (float32-rounded noise is not rotation invariant).
"""

from __future__ import annotations

import math

import numpy as np

from numerics.budget import test_block_samples, test_drawn_in_subspace
from numerics.data import (
    Data,
    Split,
    add_signals,
    draw_split,
    initial_weights,
    noise_blocks,
    signals,
    split_labels,
    test_rng,
)
from numerics.gd import check_initial_weights
from numerics.reduced_problem import ProjectedSplit, ReducedProblem
from theory.params import ProblemParams
from theory.roles import token_roles

__all__ = ["reduce_problem", "training_split", "TEST_DRAWS"]


def training_split(params: ProblemParams) -> Split:
    """The training split of ``make_data(params)``, drawn alone (same numbers, no test set)."""
    return draw_split(params, "train")


#: The test draws ``reduce_problem`` knows: "auto" draws in the subspace where that is exact in
#: distribution, "full" always draws d-dimensionally (``make_data``'s numbers).
TEST_DRAWS = ("auto", "full")


def reduce_problem(
    params: ProblemParams,
    *,
    data: Data | None = None,
    w0=None,
    test_evaluations: int | None = None,
    test_draw: str = "auto",
) -> ReducedProblem:
    """Build the reduced problem: training Gram matrices and the projected (or drawn) test set.

    Paper: derivations/joint_flow.py. Cost O(m d^2) for joint training (products with W_0), plus
    O(n_test T d m) when d-dimensional test tokens are projected; nothing d x d is formed
    besides W_0.

    Parameters
    ----------
    params : ProblemParams
    data : Data, optional
        Use these tokens exactly (training and test). Without it the training split is drawn
        as ``make_data`` draws it, and the test set as ``test_draw`` says.
    w0 : (d, d) array, optional
        Initial W. Defaults to Kaiming-uniform (joint) or the identity (p-only), as ``run_direct``.
    test_evaluations : int, optional
        How often the caller will evaluate the test tokens of ``data``. When few, they are kept
        and evaluated on demand rather than projected (``ProjectedSplit``); ``None`` projects.
    test_draw : {"auto", "full"}
        Without ``data``: "auto" draws the test set in the subspace for the independent layout
        with the default generator (module docstring) and d-dimensionally otherwise; "full"
        always draws it d-dimensionally, the numbers of ``make_data(params).test``. A
        d-dimensional draw is projected block by block as it is drawn, never held whole.

    With ``params.draw == "latent"`` the problem comes from ``numerics.latent.reduce_latent``
    (no d-dimensional array at all), which draws its own data and W_0.
    """
    if test_draw not in TEST_DRAWS:
        raise ValueError(f"test_draw={test_draw!r}: must be one of {', '.join(TEST_DRAWS)}")
    if params.draw == "latent":
        if data is not None or w0 is not None:
            raise ValueError(
                "draw='latent' draws its own training set, test set and W_0: give no data "
                "or initial W (or use draw='full')"
            )
        from numerics.latent import reduce_latent

        return reduce_latent(params)
    if data is not None:
        train, nu = data.train, data.nu
    else:
        train = training_split(params)
        nu = (np.eye(2, params.dim)[0] - np.eye(2, params.dim)[1]) / (np.sqrt(2.0) * params.signal_norm)
    n, T, d = train.tokens.shape
    X = train.tokens.reshape(n * T, d)
    gram = X @ X.T
    joint = params.train == "joint"
    if w0 is None and not joint:
        # W = I: Y_0 = X, N_0 = X^T, M_0 = G; skip the d x d identity entirely.
        W0, y0, metric = None, X, gram
    else:
        W0 = _weights(w0, d) if w0 is not None else initial_weights(params)
        with np.errstate(over="ignore", invalid="ignore"):
            y0 = X @ W0
            metric = y0 @ y0.T
        if not np.all(np.isfinite(metric)):
            raise ValueError(
                f"initial W with entries up to {np.max(np.abs(W0)):.3g}: X W_0 W_0^T X^T overflows "
                "float64, and the reduced engines need it finite; scale W_0 down"
            )
    source = "projected"
    if data is None and test_drawn_in_subspace(params, test_draw):
        test, source = _draw_in_subspace(params, _columns(X, y0, W0, joint)), "subspace"
    elif data is None:
        test = _draw_projected(params, _columns(X, y0, W0, joint), nu)
    elif _evaluate_on_demand(data.test.tokens.shape[0] * T, d, n * T, joint, W0 is not None, test_evaluations):
        test = ProjectedSplit(
            gamma=data.test.tokens @ nu,
            labels=data.test.labels,
            true_labels=data.test.true_labels,
            noisy=data.test.noisy,
            tokens=data.test.tokens,
            train_tokens=X if joint else None,
            y0=y0,
            w0=W0,
        )
    else:
        test = _project(data.test, _columns(X, y0, W0, joint), nu)
    return ReducedProblem(
        train=train,
        gamma=train.tokens @ nu,
        gram=gram,
        metric=metric,
        test=test,
        train_mode=params.train,
        roles=token_roles(params),
        test_source=source,
    )


def _evaluate_on_demand(count: int, d: int, m: int, joint: bool, has_w0: bool, evaluations: int | None) -> bool:
    """Whether rebuilding q and X_te q at each of ``evaluations`` evaluations of ``count`` given
    test tokens costs fewer multiply-adds than projecting them once (X_te B and N_0 = W_0 Y_0^T).
    Both are matrix products: the engines evaluate the test set for all checkpoints together
    (``numerics.reduced.Checkpoints``). ``None`` evaluations: project."""
    if evaluations is None:
        return False
    square = d * d if has_w0 else 0
    k = 2 * m if joint else m
    return evaluations * (square + count * d) < count * d * k + square * m


def _weights(w0, d: int) -> np.ndarray:
    # A finite float64 (d, d) array is used as it is: W_0 is only read, and a copy of a
    # 5000 x 5000 matrix costs as much as the reduced run. Anything else goes through the
    # direct engine's validation (which converts, or names the problem).
    # A finite sum means finite entries (NaN and inf propagate; an overflowing sum of finite
    # entries only sends W_0 to the full check), without a d x d boolean temporary.
    if (
        isinstance(w0, np.ndarray)
        and w0.dtype == np.float64
        and w0.shape == (d, d)
        and math.isfinite(np.add.reduce(w0, axis=None))
    ):
        return w0
    return check_initial_weights(w0, d)


def _columns(X: np.ndarray, y0: np.ndarray, W0: np.ndarray | None, joint: bool) -> np.ndarray:
    """B = [X^T, N_0] (joint) or N_0 (p-only), N_0 = W_0 Y_0^T (= X^T when W_0 = I)."""
    n0 = y0.T if W0 is None else W0 @ y0.T
    if not np.all(np.isfinite(n0)):
        raise ValueError("initial W: W_0 W_0^T X^T overflows float64; scale W_0 down")
    return np.concatenate((X.T, n0), axis=1) if joint else n0


def _project(split: Split, columns: np.ndarray, nu: np.ndarray) -> ProjectedSplit:
    count, T, d = split.tokens.shape
    tokens = split.tokens.reshape(count * T, d)
    return ProjectedSplit(
        basis=(tokens @ columns).reshape(count, T, -1),
        gamma=split.tokens @ nu,
        labels=split.labels,
        true_labels=split.true_labels,
        noisy=split.noisy,
    )


def _draw_projected(params: ProblemParams, columns: np.ndarray, nu: np.ndarray) -> ProjectedSplit:
    """The test split of ``make_data(params)`` projected on ``columns`` (and scored by ``nu``),
    drawn block by block: the numbers of ``_project(draw_split(params, "test"), ...)`` without
    the d-dimensional array (1000 x 8 x 2000 floats are 128 MB)."""
    count, T = params.n_test, params.seq_len
    labels, true_labels, noisy = split_labels(params, "test")
    mu1, mu2, _ = signals(params)
    basis, gamma = np.empty((count, T, columns.shape[1])), np.empty((count, T))
    for block, noise in noise_blocks(params, "test", test_block_samples(params)):
        # One (samples T) x d product, not a batch of T x d ones.
        tokens = add_signals(noise, true_labels[block], mu1, mu2, params).reshape(-1, params.dim)
        basis[block] = (tokens @ columns).reshape(-1, T, columns.shape[1])
        gamma[block] = (tokens @ nu).reshape(-1, T)
    return ProjectedSplit(basis=basis, gamma=gamma, labels=labels, true_labels=true_labels, noisy=noisy)


def _draw_in_subspace(params: ProblemParams, columns: np.ndarray) -> ProjectedSplit:
    d = columns.shape[0]
    augmented = np.empty((d, columns.shape[1] + 2))
    augmented[:, :2] = np.eye(d, 2)
    augmented[:, 2:] = columns
    # R^T R = E_aug^T E_aug; R has min(d, k + 2) rows, the dimension of the noise that matters.
    R: np.ndarray = np.linalg.qr(augmented, mode="r")  # type: ignore[assignment]  # stubs: mode="r" returns R alone
    rng = test_rng(params)
    noise = rng.standard_normal((params.n_test, params.seq_len, R.shape[0]))
    true_labels = split_labels(params, "test")[1]
    # Coordinates of e_1, e_2 in the orthonormal basis Q are R's first two columns.
    e1, e2 = R[:, 0], R[:, 1]
    tokens = add_signals(noise, true_labels, params.signal_norm * e1, params.signal_norm * e2, params)
    gamma = tokens @ ((e1 - e2) / (np.sqrt(2.0) * params.signal_norm))
    noisy = np.zeros(params.n_test, dtype=bool)
    return ProjectedSplit(
        basis=tokens @ R[:, 2:], gamma=gamma, labels=true_labels.copy(), true_labels=true_labels, noisy=noisy
    )
