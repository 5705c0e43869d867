"""Publication figures (the only module that imports matplotlib).

Paper: Figure 3 (attention dynamics of a clean and a noisy sample, with train/test loss and
accuracy).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: runs on machines without a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from numerics.metrics import ROLE_NAMES, role_attention  # noqa: E402
from verify.files import atomic_write_bytes  # noqa: E402
from verify.trajectory import Trajectory  # noqa: E402

__all__ = ["dynamics_figure", "save_figure"]

ROLE_LABELS = {
    "relevant": "relevant $\\mathcal{R}$",
    "weak_aligned": "weakly rel. aligned $\\mathcal{W}_{y^*}$",
    "weak_opposite": "weakly rel. opposite $\\mathcal{W}_{-y^*}$",
    "irrelevant": "irrelevant $\\mathcal{I}$ (sum)",
}
ROLE_COLORS = {"relevant": "C0", "weak_aligned": "C2", "weak_opposite": "C3", "irrelevant": "0.5"}

plt.rcParams.update({"font.size": 9, "axes.titlesize": 9, "legend.fontsize": 7,
                     "figure.dpi": 150, "savefig.bbox": "tight", "axes.grid": True,
                     "grid.alpha": 0.3})


def _time_axis(trajectory: Trajectory) -> tuple[np.ndarray, str, bool]:
    a = trajectory.arrays
    if "step" in a:
        return np.asarray(a["step"]), "GD step", False
    return np.asarray(a["time"]), "time $\\tau$", True


def dynamics_figure(trajectories: Sequence[Trajectory], titles: Sequence[str] | None = None):
    """One row per trajectory: attention of a clean and of a noisy sample by token role,
    train/test loss, train/test accuracy.

    Paper: Figure 3.
    """
    rows = len(trajectories)
    fig, axes = plt.subplots(rows, 4, figsize=(11, 2.4 * rows), squeeze=False)
    for row, trajectory in enumerate(trajectories):
        x, xlabel, log_x = _time_axis(trajectory)
        noisy = trajectory.noisy
        attention = np.asarray(trajectory.arrays["attention_train"])
        samples = [("clean", np.flatnonzero(~noisy)), ("noisy", np.flatnonzero(noisy))]
        for col, (kind, indices) in enumerate(samples):
            ax = axes[row, col]
            if indices.size == 0:
                ax.text(0.5, 0.5, f"no {kind} samples", ha="center", transform=ax.transAxes)
            else:
                roles = role_attention(attention[:, indices[0]])
                for k, role in enumerate(ROLE_NAMES):
                    ax.plot(x, roles[:, k], color=ROLE_COLORS[role], label=ROLE_LABELS[role])
                ax.set_title(f"{kind} sample #{indices[0]}: attention")
            ax.set_ylim(-0.02, 1.02)
        a = trajectory.arrays
        axes[row, 2].plot(x, a["train_loss"], label="train")
        axes[row, 2].plot(x, a["test_loss"], label="test")
        axes[row, 2].set_title("loss")
        axes[row, 3].plot(x, a["train_acc"], label="train")
        axes[row, 3].plot(x, a["test_acc"], label="test")
        axes[row, 3].set_title("accuracy")
        for ax in axes[row]:
            ax.set_xlabel(xlabel)
            if log_x:
                ax.set_xscale("symlog", linthresh=max(float(x[1]) if len(x) > 1 else 1.0, 1e-12))
        if titles is not None:
            axes[row, 0].set_ylabel(titles[row])
    axes[0, 0].legend(loc="center right")
    axes[0, 2].legend()
    axes[0, 3].legend()
    fig.tight_layout()
    return fig


def save_figure(fig, stem: str | Path, formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """Write ``fig`` atomically as ``stem.png`` and ``stem.pdf``; returns the paths."""
    paths = []
    for fmt in formats:
        buffer = io.BytesIO()
        # A fixed creation date keeps PDF bytes reproducible.
        metadata = {"CreationDate": None} if fmt == "pdf" else {"Software": None}
        fig.savefig(buffer, format=fmt, metadata=metadata)
        path = Path(f"{stem}.{fmt}")
        atomic_write_bytes(path, buffer.getvalue())
        paths.append(path)
    plt.close(fig)
    return paths
