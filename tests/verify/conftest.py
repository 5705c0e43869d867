"""Shared fixtures of the verify tests: a tiny sweep and hand-built trajectories."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(scope="session")
def tiny_sweep(tmp_path_factory) -> Path:
    """A 3 x 3 (d, ||mu||) sweep at small d with a large step, run serially."""
    from theory.params import ProblemParams
    from verify.experiments.sweep import SweepSpec, run_sweep

    out = tmp_path_factory.mktemp("sweep") / "tiny"
    spec = SweepSpec(
        base=ProblemParams(steps=150, step_size=0.1, n_test=50),
        axes=(("dim", (60, 120, 240)), ("signal_norm", (1.0, 4.0, 9.0))),
        seeds=(42,),
    )
    run_sweep(spec, out, executor="serial")
    return out


def synthetic_trajectory(
    times,
    *,
    clean_gap,
    noisy_gap,
    noisy_token=2,
    n_train=10,
    seq_len=8,
    test_acc=None,
    test_loss=None,
    train_loss=None,
    train="joint",
    rho=0.1,
):
    """A hand-built trajectory with prescribed logit gaps (an independent stand-in for an engine).

    Clean sample i has its relevant token (0) at logit ``clean_gap(t) + i / 10`` above
    T - 1 tokens at 0; each noisy sample has ``noisy_token`` at ``noisy_gap(t)`` above the
    others. Token scores are the paper's noise-free ones (relevant y*/sqrt 2, weakly relevant
    +-rho y*/sqrt 2, irrelevant 0), so outputs, margins and accuracies follow from the attention.
    """
    from theory.params import ProblemParams
    from verify.trajectory import Trajectory

    times = np.asarray(times, dtype=np.float64)
    params = ProblemParams(n_train=n_train, seq_len=seq_len, dim=50, n_test=10, label_noise=0.2, rho=rho, train=train)
    noisy = np.zeros(n_train, dtype=bool)
    noisy[[0, n_train // 2]] = True
    true_labels = np.where(np.arange(n_train) < n_train // 2, 1.0, -1.0)
    labels = np.where(noisy, -true_labels, true_labels)
    logits = np.zeros((len(times), n_train, seq_len))
    for i in range(n_train):
        if noisy[i]:
            logits[:, i, noisy_token] = [noisy_gap(t) for t in times]
        else:
            logits[:, i, 0] = [clean_gap(t) + i / 10 for t in times]
    attention = np.exp(logits - logits.max(axis=-1, keepdims=True))
    attention /= attention.sum(axis=-1, keepdims=True)
    gamma = np.zeros((n_train, seq_len))
    gamma[:, 0] = true_labels / np.sqrt(2)
    gamma[:, 1] = rho * true_labels / np.sqrt(2)
    gamma[:, 2] = -rho * true_labels / np.sqrt(2)
    outputs = np.sum(attention * gamma, axis=-1)
    margins = outputs * labels
    loss = np.mean(np.logaddexp(0.0, -margins), axis=1)
    ones = np.ones_like(times)
    arrays = {
        "time": times,
        "train_loss": loss if train_loss is None else np.asarray(train_loss, dtype=float),
        "train_acc": np.mean(margins > 0, axis=1),
        "train_acc_clean": np.mean(margins[:, ~noisy] > 0, axis=1),
        "train_acc_noisy": np.mean(margins[:, noisy] > 0, axis=1),
        "test_acc": ones if test_acc is None else np.asarray(test_acc, dtype=float),
        "test_loss": 0.4 * ones if test_loss is None else np.asarray(test_loss, dtype=float),
        "attention_train": attention,
        "logits_train": logits,
        "train_outputs": outputs,
        "noisy": noisy,
        "train_labels": labels,
        "train_true_labels": true_labels,
    }
    return Trajectory(params=params, source="gd:direct", arrays=arrays)


@pytest.fixture(scope="session")
def make_trajectory():
    """``synthetic_trajectory``, for tests that build trajectories which must pass or fail a check."""
    return synthetic_trajectory
