"""Checks against independent computations: the g-law on synthetic gaps, the existence
construction at the paper's numbers, and the paper's plateau values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from numerics.data import make_data
from theory.params import ProblemParams
from verify.checks import (CheckResult, GapDefinition, check_existence, check_gap_bound,
                           existence_construction, gap_series)
from verify.trajectory import Trajectory


def test_gap_definitions_by_hand():
    z = np.array([3.0, 1.0, 0.0, -1.0])
    assert gap_series(z, 0, "min") == 2.0
    assert gap_series(z, 0, "mean") == 3.0
    # soft: z_a - log(mean of e^z over the others), so that s_a = e^x / (e^x + T - 1).
    expected = 3.0 - math.log((math.e + 1 + math.exp(-1)) / 3)
    assert gap_series(z, 0, "soft") == pytest.approx(expected)
    s0 = math.exp(3) / np.exp(z).sum()
    x = gap_series(z, 0, "soft")
    assert s0 == pytest.approx(math.exp(x) / (math.exp(x) + 3))
    with pytest.raises(ValueError, match="gap kind"):
        GapDefinition(kind="max")


def _one_vs_rest(drives, times, T=8):
    """Logits with token 0 at gap x_i(t) above T-1 equal others, x_i solving the g_{T-1} law
    g(x) = g(0) + c_i t exactly (g with count T - 1), found by bisection (independent of theory)."""
    def g(x):
        return 2 * x + 2 * math.sinh(x - math.log(T - 1))

    def inverse(y):
        lo, hi = -50.0, 50.0
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if g(mid) < y else (lo, mid)
        return 0.5 * (lo + hi)

    gaps = np.array([[inverse(g(0.0) + c * t) for c in drives] for t in times])
    logits = np.zeros(gaps.shape + (T,))
    logits[..., 0] = gaps
    attention = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    return logits, attention


def _synthetic(drives, times):
    n = len(drives) + 1
    logits, attention = _one_vs_rest(list(drives) + [drives[0]], times)
    noisy = np.zeros(n, dtype=bool)
    noisy[-1] = True
    arrays = {"time": times, "train_loss": np.zeros_like(times), "train_acc": np.ones_like(times),
              "test_loss": np.zeros_like(times), "test_acc": np.ones_like(times), "attention_train": attention,
              "logits_train": logits, "noisy": noisy, "train_labels": np.ones(n),
              "train_acc_clean": np.ones_like(times), "train_acc_noisy": np.ones_like(times)}
    params = ProblemParams(n_train=n, dim=10, n_test=1, label_noise=0.0)
    return Trajectory(params=params, source="gd:direct", arrays=arrays)


def test_g_law_passes_in_its_band_and_fails_outside():
    times = np.linspace(0.0, 40.0, 81)
    trajectory = _synthetic([1.0, 2.0, 3.0], times)
    exact = GapDefinition(kind="soft", count="T-1")
    result = check_gap_bound(trajectory, "clean", definition=exact, rel_tol=1e-6)
    assert result.passed is True
    assert result.observed["final_band"] == pytest.approx([40.0, 120.0], rel=1e-6)
    assert result.observed["r2_min"] == pytest.approx(1.0, abs=1e-9)
    # The paper's count T instead of T - 1 gives growth below the band once saturated (by about
    # (T-1)/T): a zero tolerance must fail, the default 15 % must pass.
    paper = GapDefinition(kind="soft", count="T")
    assert check_gap_bound(trajectory, "clean", definition=paper, rel_tol=0.0).passed is False
    assert check_gap_bound(trajectory, "clean", definition=paper).passed is True


def test_check_result_validates_and_serialises():
    result = CheckResult(name="x", reference="r", predicted=np.float64(1.0), observed={"a": np.int64(2)},
                         tolerance=None, passed=np.bool_(True))
    assert result.to_dict()["observed"] == {"a": 2} and result.outcome == "pass"
    with pytest.raises(ValueError):
        CheckResult(name="x", reference="r", predicted=None, observed=None, tolerance=None, passed="yes")


def test_existence_construction_reproduces_the_papers_three_solutions():
    # v1: d = 1e4, ||mu|| = 20, n = 100, T = 8, rho = 0.2, eta = 0.2:
    # lambda 0.06 benign (1.0, 1.0); 1 harmful (1.0, ~0.6); 0.001 not overfitting (0.8, 1.0).
    params = ProblemParams(dim=10_000, signal_norm=20.0, n_train=100, rho=0.2, n_test=200)
    data = make_data(params)
    benign = existence_construction(params, 0.06, data=data)
    harmful = existence_construction(params, 1.0, data=data)
    clean = existence_construction(params, 0.001, data=data)
    assert (benign["train_acc"], benign["test_acc"], benign["regime"]) == (1.0, 1.0, "benign")
    assert harmful["train_acc"] == 1.0 and 0.45 < harmful["test_acc"] < 0.75 and harmful["regime"] == "harmful"
    assert clean["train_acc"] == pytest.approx(0.8) and clean["test_acc"] == 1.0
    assert clean["regime"] == "not_overfitting"
    assert check_existence(params, 0.06, data=data).passed is True
    assert check_existence(params, 1.0, data=data).passed is True
