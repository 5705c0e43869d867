"""The paper's three settings (balanced, large noise, large signal) at step 1000, classified from
reduced-engine runs."""

from __future__ import annotations

import pytest

from theory.params import ProblemParams
from verify.experiments.sweep import run_cell


@pytest.mark.parametrize(
    ("dim", "signal_norm", "regime"),
    [
        (2000, 20.0, "benign"),  # balanced: train 1.0 / test 1.0
        # large noise: noisy samples fitted through irrelevant tokens (slow: the default run classifies
        # the official code's run of this setting, tests/verify/test_official.py)
        pytest.param(4500, 5.0, "harmful", marks=pytest.mark.slow),
        (1000, 80.0, "not_overfitting"),  # large signal: train 0.8 at step 1000
    ],
)
def test_classifier_on_the_papers_three_settings(dim, signal_norm, regime):
    result = run_cell(ProblemParams(dim=dim, signal_norm=signal_norm))
    assert result["status"] == "success"
    assert result["regime"] == regime
    if regime == "benign":
        assert result["train_acc"] == 1.0 and result["test_acc"] >= 0.99
        # derivations/plateaus.py: benign plateau (1-eta) l(1/sqrt2) + eta l(rho/sqrt2) = 0.452.
        assert result["train_loss"] == pytest.approx(0.452, abs=0.01)
    if regime == "harmful":
        assert result["train_acc"] == 1.0 and result["test_acc"] < 0.95
    if regime == "not_overfitting":
        assert result["train_acc"] < 1.0 and result["test_acc"] >= 0.99
