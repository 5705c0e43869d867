"""Which regime a trajectory ended in, with the evidence.

Paper: Theorem/regime statements (benign overfitting: all labels fitted, noisy samples
fitted through the weakly relevant opposite token, clean generalisation; harmful
overfitting: fitted but generalisation lost, e.g. through irrelevant tokens; not
overfitting: noisy samples not fitted).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from numerics.data import FIRST_IRRELEVANT
from numerics.metrics import ROLE_NAMES
from verify.trajectory import Trajectory

__all__ = ["Classification", "REGIMES", "classify", "selected_roles"]

REGIMES = ("benign", "harmful", "not_overfitting", "undetermined")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Classification:
    """Observed regime, the reasons in words, and the numbers behind them."""

    regime: str
    reasons: tuple[str, ...]
    evidence: dict[str, Any]

    def __post_init__(self) -> None:
        if self.regime not in REGIMES:
            raise ValueError(f"regime={self.regime!r}: must be one of {', '.join(REGIMES)}")

    def to_dict(self) -> dict[str, Any]:
        return {"regime": self.regime, "reasons": list(self.reasons), "evidence": self.evidence}


def selected_roles(attention: np.ndarray) -> list[str]:
    """Role of the token carrying the most attention mass, per sample ((n, T) -> n names).

    The irrelevant tokens compete as individual tokens, not as their summed mass.
    """
    return [ROLE_NAMES[min(int(t), FIRST_IRRELEVANT)] for t in np.argmax(attention, axis=-1)]


def classify(trajectory: Trajectory, *, checkpoint: int = -1, min_test_acc: float = 0.95) -> Classification:
    """Classify the run at a checkpoint (default: the last).

    Parameters
    ----------
    min_test_acc : float
        Test accuracy below which an overfitting run counts as harmful. A named tolerance,
        not a paper constant: at the balanced setting clean test accuracy is about 1.
    """
    a = trajectory.arrays
    noisy = trajectory.noisy
    attention = np.asarray(a["attention_train"][checkpoint])
    roles = selected_roles(attention[noisy])
    evidence = {
        "checkpoint_time": float(a["time"][checkpoint]),
        "train_acc": float(a["train_acc"][checkpoint]),
        "train_acc_clean": float(a["train_acc_clean"][checkpoint]),
        "train_acc_noisy": float(a["train_acc_noisy"][checkpoint]),
        "test_acc": float(a["test_acc"][checkpoint]),
        "test_loss": float(a["test_loss"][checkpoint]),
        "train_loss": float(a["train_loss"][checkpoint]),
        "noisy_samples": [int(i) for i in np.flatnonzero(noisy)],
        "noisy_selected_role": roles,
        "noisy_role_counts": {role: roles.count(role) for role in ROLE_NAMES},
        "min_test_acc": min_test_acc,
    }
    if not noisy.any():
        return Classification(regime="undetermined", reasons=("no noisy training labels",), evidence=evidence)
    if evidence["train_acc_clean"] < 1.0:
        return Classification(regime="undetermined", evidence=evidence, reasons=(
            f"clean training samples not all fitted (accuracy {evidence['train_acc_clean']:.3f}): "
            "training has not converged",))
    if evidence["train_acc_noisy"] < 1.0:
        return Classification(regime="not_overfitting", evidence=evidence, reasons=(
            f"noisy samples not fitted (noisy training accuracy {evidence['train_acc_noisy']:.3f})",))
    reasons = []
    off_mechanism = [r for r in roles if r != "weak_opposite"]
    if off_mechanism:
        reasons.append(f"{len(off_mechanism)} of {len(roles)} noisy samples fitted through tokens other "
                       f"than their weakly relevant opposite token ({', '.join(sorted(set(off_mechanism)))})")
    if evidence["test_acc"] < min_test_acc:
        reasons.append(f"test accuracy {evidence['test_acc']:.3f} < {min_test_acc}")
    if reasons:
        return Classification(regime="harmful", reasons=("all labels fitted, but " + "; ".join(reasons),),
                              evidence=evidence)
    return Classification(regime="benign", evidence=evidence, reasons=(
        "all labels fitted; every noisy sample attends to its weakly relevant opposite token; "
        f"test accuracy {evidence['test_acc']:.3f} >= {min_test_acc}",))
