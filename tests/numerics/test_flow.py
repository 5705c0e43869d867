"""The reduced gradient flow: convergence of GD to it, conservation law against a direct
d-dimensional flow, the mpmath back end, events, long horizons and failure reporting."""

import dataclasses
import json
import math

import mpmath
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from numerics.attention import attend, drive
from numerics.data import initial_weights, make_data
from numerics.flow import FlowEvents, FlowOptions, FlowSystem, flow_times, integrate_flow, run_flow
from numerics.reduced import descend_reduced
from numerics.status import IntegrationError, Status
from numerics.subspace import reduce_problem
from theory.params import ProblemParams

NO_TEST_EVENT = FlowEvents(test_loss_tolerance=None)


def _small(train="joint", **changes):
    values = dict(dim=120, n_train=8, seq_len=4, n_test=40, signal_norm=8.0, label_noise=0.25, train=train)
    return ProblemParams(**(values | changes))


@pytest.mark.parametrize("train", ["joint", "p_only"])
def test_gd_converges_to_the_flow_with_order_one(train):
    problem = reduce_problem(_small(train))
    tau = 2.0
    flow = integrate_flow(
        problem, options=FlowOptions(horizon=tau, rtol=1e-12, atol=1e-16, checkpoints=3), events=NO_TEST_EVENT
    )
    assert flow.arrays["time"][-1] == tau
    reference = flow.arrays["logits_train"][-1]
    sizes = np.array([0.04, 0.02, 0.01, 0.005])
    errors = [
        np.abs(
            descend_reduced(problem, step_size=h, steps=round(tau / h), record_every=10**6).arrays["logits_train"][-1]
            - reference
        ).max()
        for h in sizes
    ]
    order = np.polyfit(np.log(sizes), np.log(errors), 1)[0]
    assert 0.8 <= order <= 1.2, (order, errors)


def _direct_flow(params, data, W0, times):
    """(W, p) of the d-dimensional flow dW/dtau = v p^T, dp/dtau = W^T v, v = X^T c."""
    d = params.dim
    X = data.train.tokens.reshape(-1, d)
    gamma = data.train.tokens @ data.nu

    def rate(_, y):
        W, p = y[: d * d].reshape(d, d), y[d * d :]
        s, f = attend((X @ (W @ p)).reshape(gamma.shape), gamma)
        v = X.T @ drive(s, gamma, f, data.train.labels).ravel()
        return np.r_[np.outer(v, p).ravel(), W.T @ v]

    y0 = np.r_[W0.ravel(), np.zeros(d)]
    solution = solve_ivp(rate, (0, times[-1]), y0, method="DOP853", t_eval=times, rtol=1e-12, atol=1e-14)
    assert solution.success
    return [(y[: d * d].reshape(d, d), y[d * d :]) for y in solution.y.T]


def test_conservation_law_and_reduced_state_match_the_direct_flow():
    params = _small(dim=7, n_train=4, seq_len=3, n_test=5, signal_norm=3.0)
    data = make_data(params)
    W0 = initial_weights(params)
    times = np.array([0.0, 0.5, 2.0, 6.0])
    direct = _direct_flow(params, data, W0, times)
    for W, p in direct:
        np.testing.assert_allclose(W.T @ W - np.outer(p, p), W0.T @ W0, atol=1e-9)

    # The reduced state, integrated by the same solver in log time, rebuilds W and p exactly.
    problem = reduce_problem(params, data=data, w0=W0)
    system = FlowSystem(problem)
    reduced = solve_ivp(
        system,
        (0, math.log1p(times[-1])),
        system.initial(),
        method="DOP853",
        t_eval=np.log1p(times),
        rtol=1e-12,
        atol=1e-16,
    )
    X = data.train.tokens.reshape(-1, params.dim)
    Y0 = X @ W0
    for (W, p), y in zip(direct, reduced.y.T):
        b, E = system.split(y)
        W_reduced, p_reduced = W0 + X.T @ E @ Y0, Y0.T @ b
        np.testing.assert_allclose(W_reduced, W, atol=1e-8)
        np.testing.assert_allclose(p_reduced, p, atol=1e-8)
        np.testing.assert_allclose(W_reduced.T @ W_reduced - np.outer(p_reduced, p_reduced), W0.T @ W0, atol=1e-8)

    # And the front end's recorded logits are X W p of the direct flow.
    flow = integrate_flow(
        problem,
        options=FlowOptions(horizon=6.0, rtol=1e-11, atol=1e-15, checkpoints=4, first_checkpoint=0.5),
        events=NO_TEST_EVENT,
    )
    W, p = direct[-1]
    np.testing.assert_allclose(flow.arrays["logits_train"][-1], (data.train.tokens @ (W @ p)), atol=1e-7)


@pytest.mark.parametrize("train, shape", [("joint", (4, 3)), ("p_only", (6, 4))])
def test_mpmath_prefix_agrees_with_scipy(train, shape):
    params = _small(train, n_train=shape[0], seq_len=shape[1], dim=50, n_test=20, signal_norm=5.0)
    problem = reduce_problem(params)
    options = FlowOptions(horizon=1.0, checkpoints=3, rtol=1e-13, atol=1e-18)
    scipy_run = integrate_flow(problem, options=options, events=NO_TEST_EVENT)
    mp_run = integrate_flow(problem, options=options, events=NO_TEST_EVENT, backend="mpmath")
    assert mp_run.status is Status.SUCCESS and mp_run.stats["engine"] == "flow:mpmath"
    np.testing.assert_array_equal(mp_run.arrays["time"], scipy_run.arrays["time"])
    logits_mp, logits_scipy = mp_run.arrays["logits_train"], scipy_run.arrays["logits_train"]
    assert np.abs(logits_mp - logits_scipy).max() <= 1e-10 * np.abs(logits_mp).max()
    np.testing.assert_allclose(mp_run.arrays["test_loss"], scipy_run.arrays["test_loss"], rtol=1e-10)


def test_mpmath_end_point_is_good_to_more_than_25_digits():
    problem = reduce_problem(_small("joint", n_train=2, seq_len=3, dim=20, n_test=4, signal_norm=3.0))
    runs = [
        integrate_flow(
            problem, options=FlowOptions(horizon=0.5, checkpoints=1, dps=dps), events=NO_TEST_EVENT, backend="mpmath"
        )
        for dps in (30, 40)
    ]
    with mpmath.workdps(40):
        low, high = ([mpmath.mpf(v) for v in run.stats["final_logits"]] for run in runs)
        worst = max(abs(a - b) / abs(b) for a, b in zip(low, high))
    assert worst < mpmath.mpf("1e-25")
    json.dumps(runs[0].stats)


@pytest.fixture(scope="module")
def balanced_flow():
    return run_flow(ProblemParams(), options=FlowOptions(horizon=1e6))


def test_balanced_setting_reaches_1e6_with_all_noisy_fitted(balanced_flow):
    run = balanced_flow
    assert run.status is Status.SUCCESS
    assert run.arrays["time"][-1] == 1e6 and run.stats["tau_reached"] == pytest.approx(1e6, rel=1e-12)
    assert run.arrays["train_acc"][-1] == 1.0 and run.arrays["train_acc_noisy"][-1] == 1.0
    events = run.stats["events"]
    assert 0 < events["all_noisy_fitted"] < 1e6
    assert 0 < events["clean_relevant_all"] < 1e6 and 0 < events["noisy_single_token_all"] < 1e6
    assert events["test_loss_near_floor"] is not None
    json.dumps(run.stats)
    # Delayed generalisation: the test loss reaches its floor well after the noisy labels are fitted.
    assert events["test_loss_near_floor"] > events["all_noisy_fitted"]


# Two fresh d = 2000 integrations at rtol 1e-10 (half a minute): event roots are also checked
# in the default run on small problems (tests/numerics/test_engines_roles.py,
# tests/numerics/test_flow_events.py).
@pytest.mark.slow
def test_event_times_are_roots_of_the_event_functions(balanced_flow):
    run = balanced_flow
    params = ProblemParams()
    problem = reduce_problem(params)
    events = run.stats["events"]
    # Integrate afresh to each event time: the watched quantity sits at its threshold there.
    fitted_at = events["all_noisy_fitted"]
    end = integrate_flow(
        problem, options=FlowOptions(horizon=fitted_at, checkpoints=2, rtol=1e-10), events=NO_TEST_EVENT
    )
    logits = end.arrays["logits_train"][-1]
    s, f = attend(logits, problem.gamma)
    noisy = problem.train.noisy
    assert np.min(problem.train.labels[noisy] * f[noisy]) == pytest.approx(0.0, abs=1e-6)
    sample = int(np.nanargmax(run.arrays["event_attention_time"]))
    at = run.arrays["event_attention_time"][sample]
    end = integrate_flow(problem, options=FlowOptions(horizon=at, checkpoints=2, rtol=1e-10), events=NO_TEST_EVENT)
    s = attend(end.arrays["logits_train"][-1], problem.gamma)[0]
    token = run.arrays["event_attention_token"][sample]
    assert s[sample, token] == pytest.approx(0.9, abs=1e-6)
    # Checkpoints before an event never show the level crossed.
    times = run.arrays["time"]
    attention = run.arrays["attention_train"]
    for i in np.flatnonzero(~noisy):
        before = times < run.arrays["event_attention_time"][i]
        assert np.all(attention[before, i, 0] < 0.9)


def test_large_signal_setting_reports_whether_and_when_noisy_are_fitted():
    run = run_flow(ProblemParams(dim=1000, signal_norm=80.0), options=FlowOptions(horizon=1e4))
    fitted_at = run.stats["events"]["all_noisy_fitted"]
    # Consistency of the report with the recorded accuracies, whichever way it went.
    if fitted_at is None:
        assert run.arrays["train_acc_noisy"][-1] < 1
    else:
        after = run.arrays["time"] >= fitted_at
        assert run.arrays["train_acc_noisy"][after][0] == 1.0
        assert np.all(run.arrays["train_acc_noisy"][run.arrays["time"] < fitted_at] < 1)
        # GD with h = 5e-3 is not fitted at step 1000 (tau = 5) in this setting (the paper's large-signal setting).
        assert fitted_at > 1.0


def test_stiff_setting_with_an_explicit_method_fails_with_a_status():
    # ||mu|| = 1e4 puts eigenvalues ~1e8 into the Jacobian: RK45 crawls and uses up its budget.
    params = _small("p_only", signal_norm=1e4, dim=200, n_train=6, n_test=10)
    options = FlowOptions(horizon=1e3, method="RK45", max_steps=300)
    run = run_flow(params, options=options, events=NO_TEST_EVENT, throw=False)
    assert run.status is Status.MAX_STEPS and "max_steps=300" in run.message
    assert run.arrays["time"][-1] < 1e3
    assert all(np.isfinite(run.arrays[key]).all() for key in ("train_loss", "logits_train"))
    with pytest.raises(IntegrationError, match="max_steps"):
        run_flow(params, options=options, events=NO_TEST_EVENT)
    # An implicit method handles it.
    stiff = run_flow(params, options=FlowOptions(horizon=1e3, method="Radau"), events=NO_TEST_EVENT)
    assert stiff.status is Status.SUCCESS and stiff.stats["njev"] > 0


def test_non_finite_right_side_is_a_failure_not_a_success():
    params = _small("p_only", dim=30, n_train=4, seq_len=3, n_test=5)
    problem = reduce_problem(params)
    broken = dataclasses.replace(problem, metric=np.full_like(problem.metric, np.inf))
    run = integrate_flow(broken, options=FlowOptions(horizon=10.0), events=NO_TEST_EVENT, throw=False)
    assert run.status in (Status.STEP_SIZE_UNDERFLOW, Status.NONFINITE, Status.FAILED)
    assert not run.status.ok and run.message
    with pytest.raises(IntegrationError):
        integrate_flow(broken, options=FlowOptions(horizon=10.0), events=NO_TEST_EVENT)


@pytest.mark.parametrize("method", ["RK45", "Radau", "BDF", "LSODA"])
def test_methods_agree(method):
    problem = reduce_problem(_small("p_only"))
    options = dict(horizon=1e3, checkpoints=5, rtol=1e-10, atol=1e-14)
    reference = integrate_flow(problem, options=FlowOptions(**options), events=NO_TEST_EVENT)
    other = integrate_flow(problem, options=FlowOptions(method=method, **options), events=NO_TEST_EVENT)
    np.testing.assert_allclose(other.arrays["logits_train"], reference.arrays["logits_train"], rtol=1e-6, atol=1e-6)


def test_implicit_method_on_a_large_state_is_refused():
    problem = reduce_problem(_small("joint", n_train=12, seq_len=5))  # 60 + 60^2 numbers
    with pytest.raises(ValueError, match="implicit methods"):
        integrate_flow(problem, options=FlowOptions(method="BDF"))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"horizon": 0.0}, "horizon"),
        ({"method": "Euler"}, "method"),
        ({"rtol": -1.0}, "rtol"),
        ({"max_steps": 0}, "max_steps"),
        ({"dps": 20}, "dps"),
        ({"checkpoints": 0}, "checkpoints"),
    ],
)
def test_options_are_validated(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FlowOptions(**kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"attention_level": 1.0}, "attention_level"),
        ({"test_loss_tolerance": 0.0}, "tolerance"),
        ({"test_loss_floor": -1.0}, "floor"),
    ],
)
def test_events_are_validated(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FlowEvents(**kwargs)


def test_checkpoints_are_log_spaced_from_zero():
    times = flow_times(FlowOptions(horizon=1e8, checkpoints=9, first_checkpoint=1.0))
    np.testing.assert_allclose(times, np.r_[0.0, 10.0 ** np.arange(9)])
    assert flow_times(FlowOptions(horizon=1e-3)).tolist() == [0.0, 1e-3]


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="backend"):
        integrate_flow(reduce_problem(_small()), backend="julia")


def test_an_absolute_tolerance_that_decides_the_error_is_flagged():
    # The state (b, E) shrinks like 1/d, so atol = 1e-12 that is idle at d = 2000 sets the
    # error at d = 10^6: the warning must fire there, and the numbers show it is warranted.
    import warnings

    from numerics.status import ToleranceWarning

    params = ProblemParams(dim=10**6, signal_norm=100.0, n_test=50, init="gaussian", draw="latent")
    with pytest.warns(ToleranceWarning, match=r"atol=1e-12 lets the logits drift by about 1\.1e-06"):
        loose = run_flow(params)
    assert loose.stats["atol_logit_drift"] > 10 * loose.stats["rtol"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ToleranceWarning)
        tight = run_flow(params, options=FlowOptions(atol=1e-18))
        run_flow(ProblemParams(n_test=50))  # the default setting is not flagged
    events = [k for k, v in tight.stats["events"].items() if v]  # reached after tau = 0
    worst = max(abs(loose.stats["events"][k] / tight.stats["events"][k] - 1) for k in events)
    assert worst > 10 * loose.stats["rtol"]
