"""What is recorded at a checkpoint, computed the same way by every engine.

Paper: the paper's experiments (train/test loss and accuracy, attention of clean and noisy samples).
"""

from __future__ import annotations

import numpy as np

from numerics.attention import attend, mean_loss
from theory.roles import ROLE_NAMES, TokenRoles

__all__ = ["ROLE_NAMES", "checkpoint_metrics", "role_attention"]


def role_attention(s: np.ndarray, roles: TokenRoles, *, axis: int = -1) -> np.ndarray:
    """Attention mass per token role: the sums over the relevant set, the weakly relevant
    aligned set, the weakly relevant opposite set and the irrelevant set (0 for a role without
    tokens), in the order of ``ROLE_NAMES``. The token ``axis`` of ``s`` (default: the last)
    is replaced by a last axis of length 4."""
    if s.shape[axis] != roles.seq_len:
        raise ValueError(f"attention over {s.shape[axis]} tokens: the token roles describe {roles.seq_len}")
    tokens = np.moveaxis(s, axis, -1)
    return np.stack([tokens[..., part].sum(axis=-1) for part in roles.slices], axis=-1)


def _accuracy(f: np.ndarray, labels: np.ndarray):
    # As the official code: an output of exactly 0 counts as an error. Empty groups give NaN
    # (no noisy samples when label_noise = 0), which readers treat as "not applicable".
    if not labels.size:
        return np.full(f.shape[:-1], np.nan)[()]
    return np.mean(labels * f > 0, axis=-1)[()]


def checkpoint_metrics(z_train, gamma_train, train, z_test, gamma_test, test, *, roles: TokenRoles) -> dict:
    """Losses, accuracies (overall, clean, noisy), attention and model outputs f at one
    checkpoint, or at many at once.

    The outputs f(X) of every training and test sample are kept: margins y f decide whether a
    label is fitted and the clean test error (``verify.reporting.classify``).

    Parameters
    ----------
    z_train, gamma_train : (..., n, T) logits and (n, T) token scores of the training samples.
    train : numerics.data.Split (or any object with ``labels`` and ``noisy``).
    z_test, gamma_test : (..., n_test, T) and (n_test, T) for the test samples; ``test`` gives ``labels``.
    roles : theory.roles.TokenRoles
        Which positions the per-role test attention sums over.

    Leading axes of the logits (checkpoints) lead every entry: a batch of checkpoints is
    evaluated in one pass, with the numbers of evaluating them one by one.
    """
    s_train, f_train = attend(z_train, gamma_train)
    # The test set token-major, (..., T, n_test): its reductions over T then run along long
    # contiguous rows rather than n_test rows of T numbers each.
    s_test, f_test = attend(np.swapaxes(z_test, -1, -2).copy(), gamma_test.T, axis=-2)
    y, noisy = train.labels, train.noisy
    return {
        "train_loss": mean_loss(f_train, y),
        "train_acc": _accuracy(f_train, y),
        "train_acc_clean": _accuracy(f_train[..., ~noisy], y[~noisy]),
        "train_acc_noisy": _accuracy(f_train[..., noisy], y[noisy]),
        "test_loss": mean_loss(f_test, test.labels),
        "test_acc": _accuracy(f_test, test.labels),
        "attention_train": s_train,
        "logits_train": np.asarray(z_train, dtype=np.float64),
        "train_outputs": f_train,
        "test_outputs": f_test,
        "test_attention_roles": role_attention(s_test, roles, axis=-2).mean(axis=-2),
    }
