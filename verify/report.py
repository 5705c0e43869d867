"""Reports: the verdict on a trajectory with the numbers behind it, as JSON and Markdown.

Paper: the regime statements (benign / harmful / not overfitting) and Section 5's metrics.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numerics.metrics import ROLE_NAMES, role_attention
from verify.classify import Classification
from verify.trajectory import SCHEMA_VERSION, Trajectory

__all__ = ["REPORT_SCHEMA_VERSION", "run_report", "report_markdown"]

REPORT_SCHEMA_VERSION = SCHEMA_VERSION

_FINAL_METRICS = ("train_loss", "train_acc", "train_acc_clean", "train_acc_noisy", "test_loss", "test_acc")


def run_report(trajectory: Trajectory, classification: Classification) -> dict[str, Any]:
    """The report of one run: verdict, final metrics, where noisy samples attend, provenance."""
    a = trajectory.arrays
    final_attention = np.asarray(a["attention_train"][-1])
    noisy_index = np.flatnonzero(trajectory.noisy)
    masses = role_attention(final_attention[noisy_index])
    noisy_attention = [
        {"sample": int(i), "selected": role, **{name: float(m) for name, m in zip(ROLE_NAMES, row)}}
        for i, role, row in zip(noisy_index, classification.evidence["noisy_selected_role"], masses)
    ]
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "verdict": classification.regime,
        "classification": classification.to_dict(),
        "final": {"time": float(a["time"][-1])} | {k: float(a[k][-1]) for k in _FINAL_METRICS if k in a},
        "test_attention_roles": dict(zip(ROLE_NAMES, map(float, a["test_attention_roles"][-1])))
        if "test_attention_roles" in a else None,
        "noisy_attention": noisy_attention,
        "params": trajectory.params.to_dict(),
        "source": trajectory.source,
        "status": trajectory.status,
        "provenance": dict(trajectory.provenance) | {"seed": trajectory.params.seed},
        "timing": {"wall_time_s": trajectory.stats.get("wall_time_s")},
    }


def report_markdown(report: dict[str, Any]) -> str:
    """A readable Markdown version of ``run_report``'s dictionary."""
    p = report["params"]
    lines = [
        f"# Run report: {report['verdict'].replace('_', ' ')}",
        "",
        f"d = {p['dim']}, ||mu|| = {p['signal_norm']}, n = {p['n_train']}, T = {p['seq_len']}, "
        f"rho = {p['rho']}, label noise = {p['label_noise']}, step size = {p['step_size']}, "
        f"steps = {p['steps']}, seed = {p['seed']}, layout = {p['layout']}, train = {p['train']}; "
        f"source {report['source']}, status {report['status']}.",
        "",
        *[f"- {reason}" for reason in report["classification"]["reasons"]],
        "",
        "| metric | final value |",
        "|---|---|",
        *[f"| {k} | {v:.6g} |" for k, v in report["final"].items()],
        "",
        "| noisy sample | selected token | " + " | ".join(ROLE_NAMES) + " |",
        "|---|---|" + "---|" * len(ROLE_NAMES),
        *[f"| {row['sample']} | {row['selected']} | " + " | ".join(f"{row[r]:.3f}" for r in ROLE_NAMES) + " |"
          for row in report["noisy_attention"]],
        "",
    ]
    return "\n".join(lines)
