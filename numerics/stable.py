"""Overflow-free softmax and logistic loss in float64.

Paper: the paper's setting (softmax attention, logistic loss l(z) = log(1 + exp(-z))).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

__all__ = ["softmax", "logistic_loss", "logistic_weight"]


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``, shifted by the maximum so that no exponential overflows.

    Paper: attention weights s = softmax(X W p).
    """
    z = np.asarray(z, dtype=np.float64)
    # For logits more than ~1.8e308 apart the shift overflows to -inf, whose weight 0 is the
    # exact limit, so that overflow is not an error.
    with np.errstate(over="ignore"):
        shifted = z - np.max(z, axis=axis, keepdims=True)
    weights = np.exp(shifted)
    return weights / np.sum(weights, axis=axis, keepdims=True)


def logistic_loss(margin: np.ndarray) -> np.ndarray:
    """l(m) = log(1 + exp(-m)), finite for every finite margin.

    Paper: the logistic loss of the paper's setting. The official code's float32 ``log(1+exp(.))``
    overflows for margins below about -88; ``logaddexp`` does not.
    """
    return np.logaddexp(0.0, -np.asarray(margin, dtype=np.float64))


def logistic_weight(margin: np.ndarray) -> np.ndarray:
    """-l'(m) = 1 / (1 + exp(m)), the per-sample loss weight, without overflow.

    Paper: the factor g_i(tau) multiplying every gradient term.
    """
    return expit(-np.asarray(margin, dtype=np.float64))
