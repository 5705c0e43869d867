"""The v1 existence construction: a hand-built p that overfits benignly, harmfully or not at all.

With W = I and p = mu_1 + mu_2 + lambda (sum over clean samples of their relevant token's noise
+ sum over noisy samples of their weakly relevant opposite token's noise), predicting with the
argmax-attention token, the v1 paper shows (its Figure 1 parameters: d = 1e4, ||mu|| = 20,
n = 100) lambda = 0.06 benign, lambda = 1 harmful, lambda = 0.001 not overfitting. It does not
read a trajectory: it draws its own data, so it is its own command (``benign-attn existence``),
not part of ``verify``.

The lambda window (1 - rho)||mu||^2/d .. (1 - rho)||mu||^2/sqrt(n d) that predicts the regime
is our high-dimensional heuristic [HEURISTIC], not a statement of the paper.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from numerics.data import Data, make_data
from theory.bounds import EXISTENCE_SCALE_LOWER, EXISTENCE_SCALE_UPPER
from theory.roles import token_roles
from theory.validation import InputError
from verify.reporting.checks import CheckResult

__all__ = ["existence_window", "existence_construction", "check_existence"]


def existence_window(params) -> tuple[float, float]:
    """The heuristic lambda window (1-rho)||mu||^2/d .. (1-rho)||mu||^2/sqrt(n d).

    Paper: v1 existence construction; the window is our heuristic.
    """
    lower = EXISTENCE_SCALE_LOWER.stable(dim=params.dim, rho=params.rho, signal_norm=params.signal_norm)
    upper = EXISTENCE_SCALE_UPPER.stable(
        dim=params.dim, n_train=params.n_train, rho=params.rho, signal_norm=params.signal_norm
    )
    return lower, upper


def existence_construction(
    params, scale: float, *, data: Data | None = None, min_test_acc: float = 0.95
) -> dict[str, Any]:
    """Accuracy of the v1 construction W = I, p = mu_1 + mu_2 + lambda (sum_clean xi_{i,0} +
    sum_noisy xi_{j,2}), predicting with the argmax-attention token's score.

    Token indices are 0-based: the relevant token is 0 and the weakly relevant opposite 2.
    The regime is read off the accuracies: train < 1 -> not overfitting; train = 1 and test
    >= ``min_test_acc`` -> benign; else harmful.

    Paper: arXiv 2409.17625 v1, existence of benign / harmful / not-overfitting solutions
    (at d = 1e4, ||mu|| = 20, n = 100: lambda 0.06 benign, 1 harmful, 0.001 not overfitting).
    """
    if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale >= 0):
        raise InputError(f"lambda={scale!r}: must be a finite number >= 0")
    if (params.relevant_tokens, params.weak_tokens) != (1, 1):
        raise InputError(
            f"relevant_tokens={params.relevant_tokens}, weak_tokens={params.weak_tokens}: the v1 "
            "existence construction memorises one token per sample and needs one token per role (1, 1)"
        )
    roles = token_roles(params)
    data = make_data(params) if data is None else data
    train = data.train
    own_signal = np.where((train.true_labels > 0)[:, None], data.mu1, data.mu2)
    other_signal = np.where((train.true_labels > 0)[:, None], data.mu2, data.mu1)
    xi_relevant = train.tokens[:, roles.relevant.start] - own_signal
    xi_opposite = train.tokens[:, roles.weak_opposite.start] - params.rho * other_signal
    p = data.mu1 + data.mu2 + scale * (xi_relevant[~train.noisy].sum(axis=0) + xi_opposite[train.noisy].sum(axis=0))

    def accuracy(split) -> float:
        z = split.tokens @ p
        gamma = split.tokens @ data.nu
        chosen = np.take_along_axis(gamma, np.argmax(z, axis=-1)[:, None], axis=-1)[:, 0]
        return float(np.mean(split.labels * chosen > 0))

    train_acc, test_acc = accuracy(train), accuracy(data.test)
    regime = "not_overfitting" if train_acc < 1.0 else "benign" if test_acc >= min_test_acc else "harmful"
    return {"lambda": float(scale), "train_acc": train_acc, "test_acc": test_acc, "regime": regime}


def check_existence(
    params,
    scale: float | None = None,
    *,
    data: Data | None = None,
    min_test_acc: float = 0.95,
    min_window_ratio: float = 4.0,
) -> CheckResult:
    """The existence construction at ``scale`` (default: geometric middle of the heuristic window).

    Predicted: benign inside the window, not overfitting below it, harmful above it. The window
    is a high-dimensional heuristic whose ends differ by the factor sqrt(d/n); it decides only
    when that factor is at least ``min_window_ratio`` (d well above n).

    Paper: arXiv 2409.17625 v1 existence construction; the window is our heuristic.
    """
    lower, upper = existence_window(params)
    if scale is None:
        scale = math.sqrt(lower * upper)
    predicted = "not_overfitting" if scale < lower else "harmful" if scale > upper else "benign"
    result = existence_construction(params, scale, data=data, min_test_acc=min_test_acc)
    decided = upper >= min_window_ratio * lower
    return CheckResult(
        name="existence_construction",
        reference="arXiv 2409.17625 v1 existence construction (W = I, p = mu1 + mu2 + lambda sum xi)",
        predicted={"regime": predicted, "window": [lower, upper]},
        observed=result,
        tolerance={"min_test_acc": min_test_acc, "min_window_ratio": min_window_ratio},
        passed=(predicted == result["regime"]) if decided else None,
        notes=(
            f"window narrower than a factor {min_window_ratio} (d not >> n): the heuristic does not decide"
            if not decided
            else f"lambda = {scale:.4g}; the window is a heuristic"
        ),
    )
