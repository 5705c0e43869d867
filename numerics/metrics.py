"""What is recorded at a checkpoint, computed the same way by every engine.

Paper: the paper's experiments (train/test loss and accuracy, attention of clean and noisy samples).
"""

from __future__ import annotations

import numpy as np

from numerics.attention import attend, mean_loss
from theory.roles import ROLE_NAMES, TokenRoles

__all__ = ["ROLE_NAMES", "checkpoint_metrics", "role_attention"]


def role_attention(s: np.ndarray, roles: TokenRoles) -> np.ndarray:
    """Attention mass per token role, shape (..., 4) in the order of ``ROLE_NAMES``: the sums
    over the relevant set, the weakly relevant aligned set, the weakly relevant opposite set
    and the irrelevant set (0 for a role without tokens)."""
    if s.shape[-1] != roles.seq_len:
        raise ValueError(f"attention over {s.shape[-1]} tokens: the token roles describe {roles.seq_len}")
    return np.stack([s[..., part].sum(axis=-1) for part in roles.slices], axis=-1)


def _accuracy(f: np.ndarray, labels: np.ndarray) -> float:
    # As the official code: an output of exactly 0 counts as an error. Empty groups give NaN
    # (no noisy samples when label_noise = 0), which readers treat as "not applicable".
    return float(np.mean(labels * f > 0)) if labels.size else float("nan")


def checkpoint_metrics(z_train, gamma_train, train, z_test, gamma_test, test, *, roles: TokenRoles) -> dict:
    """Losses, accuracies (overall, clean, noisy), attention and model outputs f at one checkpoint.

    The outputs f(X) of every training and test sample are kept: margins y f decide whether a
    label is fitted and the clean test error (``verify.outcome``).

    Parameters
    ----------
    z_train, gamma_train : (n, T) logits and token scores of the training samples.
    train : numerics.data.Split (or any object with ``labels`` and ``noisy``).
    z_test, gamma_test : (n_test, T) for the test samples; ``test`` gives ``labels``.
    roles : theory.roles.TokenRoles
        Which positions the per-role test attention sums over.
    """
    s_train, f_train = attend(z_train, gamma_train)
    s_test, f_test = attend(z_test, gamma_test)
    y, noisy = train.labels, train.noisy
    return {
        "train_loss": mean_loss(f_train, y),
        "train_acc": _accuracy(f_train, y),
        "train_acc_clean": _accuracy(f_train[~noisy], y[~noisy]),
        "train_acc_noisy": _accuracy(f_train[noisy], y[noisy]),
        "test_loss": mean_loss(f_test, test.labels),
        "test_acc": _accuracy(f_test, test.labels),
        "attention_train": s_train,
        "logits_train": np.asarray(z_train, dtype=np.float64),
        "train_outputs": f_train,
        "test_outputs": f_test,
        "test_attention_roles": role_attention(s_test, roles).mean(axis=0),
    }
