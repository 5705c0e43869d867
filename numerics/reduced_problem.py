"""The reduced problem the reduced engines work on: the training Gram matrices and scores, and a
split seen through the reduced state (``numerics.subspace`` and ``numerics.latent`` build them).

Paper: the reduced exact state of derivations/joint_flow.py (G = X X^T, M_0 = X W_0 W_0^T X^T).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from numerics.data import Split
from theory.roles import TokenRoles

__all__ = ["ProjectedSplit", "ReducedProblem"]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ProjectedSplit:
    """Samples seen through the reduced state: their logits for state coordinates ``coords``.

    Paper: derivations/joint_flow.py (test logits from H = X_te X^T and M_te = X_te W_0 W_0^T X^T).

    Two storage modes, the same numbers up to rounding:

    - projected: ``basis`` holds the rows x^T B, and a logit costs O(k) per token;
    - on demand: ``tokens`` (count, T, d) are kept with ``train_tokens`` X (joint only),
      ``y0`` = X W_0 and ``w0`` (``None`` for W_0 = I), and q = B coords is rebuilt in d
      dimensions at each evaluation. Cheaper when the test set is evaluated at few
      checkpoints (``reduce_problem`` chooses from its ``test_evaluations`` hint).

    Attributes
    ----------
    gamma : (count, T) array
        Token scores nu^T x_{i,t}.
    labels, true_labels : (count,) arrays of +-1.0
    noisy : (count,) bool array
    basis : (count, T, k) array or None
    tokens, train_tokens, y0, w0 : arrays or None (on-demand mode)
    """

    gamma: np.ndarray
    labels: np.ndarray
    true_labels: np.ndarray
    noisy: np.ndarray
    basis: np.ndarray | None = None
    tokens: np.ndarray | None = None
    train_tokens: np.ndarray | None = None
    y0: np.ndarray | None = None
    w0: np.ndarray | None = None

    def logits(self, coords: np.ndarray) -> np.ndarray:
        """Logits for coordinates [E u, b] (joint) or b (p-only) of q on B.

        Paper: z_te = X_te W p (derivations/joint_flow.py).

        ``coords`` of shape (k,) gives (count, T); (k, c), one column per state, gives
        (count, T, c) with one pass over the stored arrays for all c states.
        """
        coords = np.asarray(coords)
        if self.basis is not None:
            flat = self.basis.reshape(-1, self.basis.shape[-1]) @ coords
        else:
            if self.y0 is None or self.tokens is None:
                raise ValueError("a split without a basis needs its tokens and y0 (on-demand mode)")
            m = self.y0.shape[0]
            # q = X^T a_1 + W_0 Y_0^T a_2 (joint) or W_0 Y_0^T b (p-only); Y_0 = X when W_0 = I.
            q = self.y0.T @ coords[-m:]
            if self.w0 is not None:
                q = self.w0 @ q
            if self.train_tokens is not None:
                q += self.train_tokens.T @ coords[:m]
            flat = self.tokens.reshape(-1, q.shape[0]) @ q
        return flat.reshape(self.gamma.shape + coords.shape[1:])


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ReducedProblem:
    """Everything the reduced GD recursion and the reduced flow need; no d-dimensional array.

    Paper: derivations/joint_flow.py (G = X X^T, M_0 = X W_0 W_0^T X^T, exact reduced dynamics).

    Attributes
    ----------
    train : Split
        The training split as given (tokens kept only for reference and the noisy mask).
    gamma : (n, T) array
        Training token scores nu^T x.
    gram : (m, m) array
        G = X X^T.
    metric : (m, m) array
        M_0 = X W_0 W_0^T X^T (equal to G for p-only training with W = I).
    test : ProjectedSplit
        Test tokens as rows of x^T B with B = [X^T, N_0] (joint, k = 2m) or B = N_0 (p-only, k = m).
    train_mode : {"joint", "p_only"}
    roles : theory.roles.TokenRoles
        Which token positions are relevant, weakly relevant and irrelevant.
    test_source : {"projected", "subspace"}
        Projected from d-dimensional tokens, or drawn in the subspace (see module docstring).
    """

    train: Split
    gamma: np.ndarray
    gram: np.ndarray
    metric: np.ndarray
    test: ProjectedSplit
    train_mode: str
    roles: TokenRoles
    test_source: str

    @property
    def shape(self) -> tuple[int, int]:
        """(n, T) of the training logits."""
        return self.gamma.shape
