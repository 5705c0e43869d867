"""The paper's three reference settings (official layout, seed 42, 1000 steps), run by the
reduced engine. The numbers are the official code's; our float64 run with our W_0 draw
reproduces them where they do not depend on the initial weights."""

import pytest

from numerics.reduced import run_reduced
from theory.params import ProblemParams


def _final(dim, signal_norm):
    params = ProblemParams(dim=dim, signal_norm=signal_norm, layout="official")
    run = run_reduced(params, record_every=500)
    return run.arrays["train_acc"][-1], run.arrays["test_acc"][-1], run.arrays["train_acc_noisy"][-1]


def test_balanced_setting_overfits_benignly():
    train, test, _ = _final(2000, 20.0)
    assert train == 1.0
    # 0.996, not 1.0: the official layout's first test samples copy noisy training samples.
    assert test == pytest.approx(0.996, abs=1e-12)


def test_large_noise_setting_overfits_harmfully():
    train, test, noisy = _final(4500, 5.0)
    assert train == 1.0 and noisy == 1.0
    assert abs(test - 0.867) <= 0.02


def test_large_signal_setting_does_not_fit_the_noisy_labels_by_step_1000():
    train, test, noisy = _final(1000, 80.0)
    assert train < 1.0 and noisy < 1.0
    assert test >= 0.99
