"""The one-layer attention model with a fixed head, in terms of logits z = X W p.

Paper: the paper's setting, f(X) = sum_t softmax(X W p)_t nu^T x_t.
"""

from __future__ import annotations

import numpy as np

from numerics.stable import logistic_loss, logistic_weight, softmax

__all__ = ["attend", "forward", "drive", "mean_loss"]


def attend(z: np.ndarray, gamma: np.ndarray, *, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Attention weights s and outputs f from logits z and token scores gamma, with the tokens
    along ``axis`` (default: (..., T) arrays); f lacks that axis.

    Paper: s = softmax(z), f = sum_t s_t gamma_t.
    """
    s = softmax(z, axis=axis)
    return s, np.sum(s * gamma, axis=axis)


def forward(tokens: np.ndarray, q: np.ndarray, nu: np.ndarray):
    """Logits, attention, token scores and outputs of samples ``tokens`` (n, T, d) for q = W p.

    Paper: z_{i,t} = x_{i,t}^T W p, gamma_{i,t} = nu^T x_{i,t}.

    Returns
    -------
    z, s, gamma, f : arrays of shapes (n, T), (n, T), (n, T), (n,)
    """
    z = tokens @ q
    gamma = tokens @ nu
    s, f = attend(z, gamma)
    return z, s, gamma, f


def drive(s: np.ndarray, gamma: np.ndarray, f: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """c_{i,t} = -dL/dz_{i,t} = (1/n) g_i y_i s_{i,t} (gamma_{i,t} - f_i), shape (n, T).

    Paper: the per-token drive of the logit dynamics (derivations/gradients.py); g_i = 1/(1 + e^{y_i f_i}).
    """
    n = labels.shape[0]
    weight = logistic_weight(labels * f) * labels / n
    return weight[:, None] * s * (gamma - f[:, None])


def mean_loss(f: np.ndarray, labels: np.ndarray):
    """Mean logistic loss of outputs f (..., n) against labels y (n,): a number for one set of
    outputs, an array over the leading axes (checkpoints) otherwise.

    Paper: the empirical risk L = (1/n) sum_i l(y_i f(X_i)).
    """
    return np.mean(logistic_loss(labels * f), axis=-1)[()]
