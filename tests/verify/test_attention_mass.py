"""The attention-mass bookkeeping against a plain loop over the steps of a p-only run.

The engines keep the per-step sums themselves (``numerics.mass``); a file without them (older
runs, flows, official runs) is summed from its recorded attention. Both must equal a plain loop
over the steps of a run recorded at every step.
"""

from __future__ import annotations

import numpy as np
import pytest

from numerics.data import make_data
from numerics.gd import run_direct
from numerics.mass import MASS_ARRAYS
from theory.params import ProblemParams
from verify.reporting.attention_mass import attention_mass_series, attention_mass_summary
from verify.trajectory import Trajectory


@pytest.fixture(scope="module")
def p_only_run():
    params = ProblemParams(
        dim=40, signal_norm=6.0, n_train=12, n_test=20, steps=60, step_size=0.05, train="p_only", label_noise=0.25
    )
    data = make_data(params)
    recording = run_direct(params, data=data, record_every=1)
    return Trajectory.from_recording(recording, params, source="gd:direct")


def without_engine_sums(trajectory):
    arrays = {k: v for k, v in trajectory.arrays.items() if k not in MASS_ARRAYS}
    return Trajectory(params=trajectory.params, source=trajectory.source, arrays=arrays)


def thinned(trajectory, every):
    a = trajectory.arrays
    keep = np.r_[np.arange(0, len(a["time"]), every), len(a["time"]) - 1]
    return Trajectory(
        params=trajectory.params,
        source=trajectory.source,
        arrays={k: (v[keep] if np.ndim(v) and len(v) == len(a["time"]) else v) for k, v in a.items()},
    )


@pytest.mark.parametrize("kept_by", ["engine", "recorded attention"])
def test_sums_and_ratios_equal_a_loop_over_the_steps_before_each_update(p_only_run, kept_by):
    if kept_by == "recorded attention":
        p_only_run = without_engine_sums(p_only_run)
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
    assert ("kept by the engine" in summary["notes"]) == (kept_by == "engine")
    for key, value in sums.items():
        assert summary["sums"][key] == pytest.approx(value, rel=1e-12)
    assert summary["ratio_clean_pos_over_noisy_neg"] == pytest.approx(sums["clean_pos"] / sums["noisy_neg"], rel=1e-12)
    assert summary["ratio_clean_neg_over_noisy_pos"] == pytest.approx(sums["clean_neg"] / sums["noisy_pos"], rel=1e-12)
    assert summary["eq9_ratio"] == pytest.approx(min(clean_class.values()) / largest.max(), rel=1e-12)
    n_pos = np.sum(~noisy & (labels > 0))
    n_neg = np.sum(~noisy & (labels < 0))
    # At tau = 0 attention is uniform, so the class balance there is 1.
    assert summary["eq10_ratio"] == pytest.approx((clean_class[1] / n_pos) / (clean_class[-1] / n_neg), rel=1e-12)


def test_thinned_checkpoints_keep_the_exact_engine_sums(p_only_run):
    exact = attention_mass_summary(p_only_run)
    summary = attention_mass_summary(thinned(p_only_run, 10))
    assert summary["exact"] is True
    for key in ("ratio_clean_pos_over_noisy_neg", "ratio_clean_neg_over_noisy_pos", "eq9_ratio", "eq10_ratio"):
        assert summary[key] == pytest.approx(exact[key], rel=1e-12)
    # Cumulative sums at every checkpoint: the full run's at the kept steps.
    full = attention_mass_series(p_only_run)
    assert np.allclose(attention_mass_series(thinned(p_only_run, 10)), full[np.r_[np.arange(0, 61, 10), 60]])


def test_thinned_checkpoints_without_engine_sums_are_marked_as_an_approximation(p_only_run):
    summary = attention_mass_summary(thinned(without_engine_sums(p_only_run), 10))
    assert summary["exact"] is False and "approximation" in summary["notes"]
    exact = attention_mass_summary(p_only_run)
    assert summary["ratio_clean_pos_over_noisy_neg"] == pytest.approx(exact["ratio_clean_pos_over_noisy_neg"], rel=0.05)


def test_several_relevant_tokens_sum_their_attention_before_a_times_one_minus_a(p_only_run):
    a = p_only_run.arrays
    relevant = (0, 1)
    mass = a["attention_train"][:, :, list(relevant)].sum(axis=-1)
    expected = (mass * (1 - mass))[:-1].sum(axis=0)
    series = attention_mass_series(without_engine_sums(p_only_run), relevant=relevant)
    noisy, labels = p_only_run.noisy, a["train_labels"]
    assert series[-1][0] == pytest.approx(expected[~noisy & (labels > 0)].sum(), rel=1e-12)
    assert series[0].tolist() == [0.0, 0.0, 0.0, 0.0]


def test_summary_reports_the_margins_of_the_v1_conditions(p_only_run):
    summary = attention_mass_summary(p_only_run, constants={"C_eq9": 0.5})
    conditions = summary["conditions"]
    eq9 = conditions["v1_eq9_clean_mass"]
    assert eq9["status"] == ("holds" if summary["eq9_ratio"] >= 0.5 else "fails")
    assert eq9["ratio"] == pytest.approx(summary["eq9_ratio"] / 0.5)
    assert conditions["v1_mass_rule"]["status"] == "undetermined" and conditions["v1_mass_rule"]["missing"] == [
        "C_mass"
    ]


def test_flow_approximation_of_the_sums_is_what_gd_tends_to_at_first_order():
    # A flow keeps no per-step sums: its summary is the time integral of S over its checkpoints,
    # divided by the step size. h times GD's per-step sums must tend to that integral as h -> 0,
    # at order one (left Riemann sum of a trajectory that is itself O(h) from the flow).
    from numerics.flow import FlowEvents, FlowOptions, integrate_flow
    from numerics.reduced import descend_reduced
    from numerics.subspace import reduce_problem

    params = ProblemParams(
        dim=120, n_train=8, seq_len=4, n_test=40, signal_norm=8.0, label_noise=0.25, train="p_only", step_size=0.01
    )
    data = make_data(params)
    problem = reduce_problem(params, data=data)
    tau = 2.0
    flow = integrate_flow(
        problem,
        options=FlowOptions(horizon=tau, rtol=1e-12, atol=1e-16, checkpoints=600, first_checkpoint=1e-3),
        events=FlowEvents(test_loss_tolerance=None),
    )
    flow_run = Trajectory.from_recording(flow, params, source="flow:scipy")
    summary = attention_mass_summary(flow_run)
    assert summary["exact"] is False and "flow" in summary["notes"]
    integral = attention_mass_series(flow_run)[-1] * params.step_size
    sizes = np.array([0.04, 0.02, 0.01, 0.005])
    errors = []
    for h in sizes:
        steps = round(tau / h)
        recording = descend_reduced(problem, step_size=h, steps=steps, record_every=10**6)
        run = Trajectory.from_recording(recording, params.replace(step_size=h, steps=steps), source="gd:reduced")
        errors.append(np.abs(attention_mass_series(run)[-1] * h - integral).max())
    order = np.polyfit(np.log(sizes), np.log(errors), 1)[0]
    assert 0.8 <= order <= 1.2, (order, errors)
