"""The attention-mass bookkeeping against a plain loop over the steps of a p-only run."""

from __future__ import annotations

import numpy as np
import pytest

from numerics.data import make_data
from numerics.gd import run_direct
from theory.params import ProblemParams
from verify.attention_mass import attention_mass_summary
from verify.trajectory import Trajectory


@pytest.fixture(scope="module")
def p_only_run():
    params = ProblemParams(dim=40, signal_norm=6.0, n_train=12, n_test=20, steps=60, step_size=0.05,
                           train="p_only", label_noise=0.25)
    data = make_data(params)
    recording = run_direct(params, data=data, record_every=1)
    return Trajectory.from_recording(recording, params, source="gd:direct")


def test_sums_and_ratios_equal_a_loop_over_the_steps_before_each_update(p_only_run):
    a = p_only_run.arrays
    labels, noisy = a["train_labels"], p_only_run.noisy
    steps = p_only_run.params.steps
    sums = {"clean_pos": 0.0, "clean_neg": 0.0, "noisy_pos": 0.0, "noisy_neg": 0.0}
    clean_class = {1: 0.0, -1: 0.0}
    largest = np.zeros(a["attention_train"].shape[1:])
    for step in range(steps):  # the forward pass before update `step` sees state `step`
        for i in range(len(labels)):
            s = a["attention_train"][step, i]
            mass = s[0] * (1 - s[0])
            key = ("noisy_" if noisy[i] else "clean_") + ("pos" if labels[i] > 0 else "neg")
            sums[key] += mass
            if not noisy[i]:
                clean_class[int(labels[i])] += mass
            largest[i] += s * (1 - s)
    summary = attention_mass_summary(p_only_run)
    assert summary["exact"] is True
    for key, value in sums.items():
        assert summary["sums"][key] == pytest.approx(value, rel=1e-12)
    assert summary["ratio_clean_pos_over_noisy_neg"] == pytest.approx(sums["clean_pos"] / sums["noisy_neg"], rel=1e-12)
    assert summary["ratio_clean_neg_over_noisy_pos"] == pytest.approx(sums["clean_neg"] / sums["noisy_pos"], rel=1e-12)
    assert summary["eq9_ratio"] == pytest.approx(min(clean_class.values()) / largest.max(), rel=1e-12)
    n_pos = np.sum(~noisy & (labels > 0))
    n_neg = np.sum(~noisy & (labels < 0))
    # At tau = 0 attention is uniform, so the class balance there is 1.
    assert summary["eq10_ratio"] == pytest.approx((clean_class[1] / n_pos) / (clean_class[-1] / n_neg), rel=1e-12)


def test_thinned_checkpoints_are_marked_as_an_approximation(p_only_run):
    a = dict(p_only_run.arrays)
    keep = np.r_[np.arange(0, len(a["time"]), 10), len(a["time"]) - 1]
    thinned = Trajectory(params=p_only_run.params, source="gd:direct",
                         arrays={k: (v[keep] if np.ndim(v) and len(v) == len(a["time"]) else v) for k, v in a.items()})
    summary = attention_mass_summary(thinned)
    assert summary["exact"] is False and "approximation" in summary["notes"]
    exact = attention_mass_summary(p_only_run)
    assert summary["ratio_clean_pos_over_noisy_neg"] == pytest.approx(exact["ratio_clean_pos_over_noisy_neg"], rel=0.05)
