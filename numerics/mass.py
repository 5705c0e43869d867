"""Per-step bookkeeping of the v1 attention-mass quantity S, kept by the GD engines.

For training sample i at GD step k, a_i(k) is the attention mass on the relevant token set
and S_i(k) = a_i (1 - a_i), read from the forward pass *before* update k, as the authors'
code does. The ledger keeps, per sample, the sum of S over the updates made so far, and per
(sample, token) the sum of s_t (1 - s_t) (whose largest value is the denominator of the
authors' Eq. 9 plot). At a checkpoint k it reports the sums over the updates 0 .. k - 1, so
the last checkpoint (k = steps) holds the sums over the whole run, at any checkpoint spacing.

Paper: arXiv 2409.17625 v1 (S, Eq. 9) and the authors' public code (S summed per step before
the update).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from theory.roles import token_roles

__all__ = ["MASS_ARRAYS", "MassLedger", "relevant_positions"]

#: Arrays the ledger adds at each checkpoint: per-sample cumulative S (K, n) and the largest
#: cumulative per-(sample, token) s (1 - s) (K,).
MASS_ARRAYS = ("mass_cumulative", "token_mass_max")


class MassLedger:
    """Running sums of S per sample and of s (1 - s) per (sample, token).

    Paper: arXiv 2409.17625 v1, S^{(i)} = a (1 - a) with a the attention on the relevant set.

    Parameters
    ----------
    shape : (n, T)
    relevant : sequence of int
        Token positions of the relevant set (the same for every sample).
    """

    def __init__(self, shape: tuple[int, int], relevant: Sequence[int]) -> None:
        n, T = shape
        self.relevant = [int(t) for t in relevant]
        if not self.relevant or any(not 0 <= t < T for t in self.relevant):
            raise ValueError(f"relevant token positions {self.relevant}: must be a non-empty subset of 0..{T - 1}")
        self._sample = np.zeros(n)
        self._token = np.zeros((n, T))

    def add(self, s: np.ndarray) -> None:
        """Add one step's attention weights s (n, T) from the forward pass before the update."""
        a = s[:, self.relevant].sum(axis=-1)
        self._sample += a * (1.0 - a)
        self._token += s * (1.0 - s)

    def snapshot(self) -> dict[str, np.ndarray | np.float64]:
        """The sums over the updates added so far, as one checkpoint row of ``MASS_ARRAYS``."""
        return {"mass_cumulative": self._sample.copy(), "token_mass_max": np.float64(self._token.max())}


def relevant_positions(params) -> tuple[int, ...]:
    """Token positions of the relevant set of ``params`` (``theory.roles.token_roles``).

    Paper: the data model (the relevant tokens come first, as the authors' code orders them).
    """
    part = token_roles(params).relevant
    return tuple(range(part.start, part.stop))
