"""Overflow-free softmax and logistic loss in float64.

Paper: the paper's setting (softmax attention, logistic loss l(z) = log(1 + exp(-z))).
"""

from __future__ import annotations

import numpy as np

__all__ = ["softmax", "logistic_loss", "logistic_weight"]


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``, shifted by the maximum so that no exponential overflows.

    Paper: attention weights s = softmax(X W p).
    """
    z = np.asarray(z, dtype=np.float64)
    # For logits more than ~1.8e308 apart the shift overflows to -inf, whose weight 0 is the
    # exact limit, so that overflow is not an error.
    with np.errstate(over="ignore"):
        weights = z - np.max(z, axis=axis, keepdims=True)
    # In place: one array of z's size, not three (for the batched test sets, allocating them
    # cost more than the arithmetic).
    np.exp(weights, out=weights)
    weights /= np.sum(weights, axis=axis, keepdims=True)
    return weights


def logistic_loss(margin: np.ndarray) -> np.ndarray:
    """l(m) = log(1 + exp(-m)), finite for every finite margin.

    Paper: the logistic loss of the paper's setting. The official code's float32 ``log(1+exp(.))``
    overflows for margins below about -88; ``logaddexp`` does not.
    """
    return np.logaddexp(0.0, -np.asarray(margin, dtype=np.float64))


def logistic_weight(margin: np.ndarray) -> np.ndarray:
    """-l'(m) = 1 / (1 + exp(m)), the per-sample loss weight, without overflow.

    Paper: the factor g_i(tau) multiplying every gradient term.

    With e = exp(-|m|) <= 1 nothing overflows and nothing cancels: e / (1 + e) for m >= 0 and
    1 / (1 + e) for m < 0, both accurate to a few ulp (as ``scipy.special.expit(-m)``, which
    costs a tenth of a second to import).
    """
    m = np.asarray(margin, dtype=np.float64)
    e = np.exp(-np.abs(m))
    return np.where(m >= 0, e, 1.0) / (1.0 + e)
