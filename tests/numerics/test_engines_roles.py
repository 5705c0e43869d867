"""Every engine with several tokens per role, random labels and the legacy generator, against the
direct d-dimensional computation; role masses against sums over explicit positions."""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from numerics.attention import attend, drive
from numerics.column import run_reduced_column
from numerics.data import make_data, split_labels
from numerics.flow import FlowEvents, FlowOptions, run_flow
from numerics.gd import gd_step, run_direct
from numerics.reduced import run_reduced
from numerics.status import Status
from numerics.subspace import reduce_problem
from theory.params import ProblemParams

#: (role counts, explicit positions of relevant / aligned / opposite / irrelevant tokens).
LAYOUTS = [
    (dict(seq_len=8, relevant_tokens=2, weak_tokens=2), ([0, 1], [2, 3], [4, 5], [6, 7])),
    (dict(seq_len=6, relevant_tokens=3, weak_tokens=1), ([0, 1, 2], [3], [4], [5])),
]
KEYS = ("step_loss", "train_loss", "test_loss", "attention_train", "logits_train", "test_attention_roles")


def _params(roles, **changes):
    values = (
        dict(dim=40, n_train=6, n_test=9, label_noise=0.34, signal_norm=6.0, step_size=0.1, steps=30, seed=4)
        | roles
        | changes
    )
    return ProblemParams(**values)


def _role_masses(logits, positions):
    """Mean over samples of the softmax mass on each explicit position list."""
    s = np.exp(logits - logits.max(axis=-1, keepdims=True))
    s /= s.sum(axis=-1, keepdims=True)
    return np.array([s[:, index].sum(axis=-1).mean() for index in positions])


def _direct_q(params, data, steps):
    """q = W p after ``steps`` plain direct updates (``numerics.gd.gd_step``)."""
    W = None
    if params.train == "joint":
        from numerics.data import initial_weights

        W = initial_weights(params)
    p = np.zeros(params.dim)
    for _ in range(steps):
        W, p, _ = gd_step(W, p, data.train.tokens, data.train.labels, data.nu, params.step_size, train=params.train)
    return p if W is None else W @ p


@pytest.mark.parametrize("layout, positions", LAYOUTS)
@pytest.mark.parametrize("train, labels", [("joint", "balanced"), ("p_only", "random"), ("joint", "random")])
def test_reduced_equals_direct_and_role_masses_are_sums_over_the_role_positions(layout, positions, train, labels):
    params = _params(layout, train=train, labels=labels)
    data = make_data(params)
    direct = run_direct(params, data=data, record_every=5)
    reduced = run_reduced(params, data=data, record_every=5)
    assert reduced.status is Status.SUCCESS
    for key in KEYS:
        np.testing.assert_allclose(reduced.arrays[key], direct.arrays[key], rtol=1e-10, atol=1e-12, err_msg=key)
    for key in ("train_acc", "test_acc", "train_acc_noisy"):
        np.testing.assert_array_equal(reduced.arrays[key], direct.arrays[key])
    # The recorded test role masses are the softmax mass on each role's positions, computed here
    # from the plain direct update; with R > 1 the relevant entry is the mass of the whole set.
    q = _direct_q(params, data, params.steps)
    expected = _role_masses(data.test.tokens @ q, positions)
    np.testing.assert_allclose(direct.arrays["test_attention_roles"][-1], expected, rtol=1e-9)
    np.testing.assert_allclose(reduced.arrays["test_attention_roles"][-1], expected, rtol=1e-9)


@pytest.mark.parametrize("layout, positions", LAYOUTS)
def test_reduced_without_data_draws_the_same_training_split(layout, positions):
    """Without given data the reduced engine draws its own training split (and a subspace test
    set): the training side is the direct engine's, number for number."""
    params = _params(layout, labels="random")
    direct = run_direct(params, record_every=10)
    reduced = run_reduced(params, record_every=10)
    for key in ("step_loss", "train_loss", "attention_train"):
        np.testing.assert_allclose(reduced.arrays[key], direct.arrays[key], rtol=1e-10, atol=1e-12, err_msg=key)


@pytest.mark.filterwarnings("ignore::theory.records.AssumptionWarning")
def test_the_study_setting_runs_with_the_reduced_engine_as_the_direct_one():
    """p only, two tokens per role, legacy generator, official layout, eta = 0.9."""
    params = _params(LAYOUTS[0][0], train="p_only", generator="legacy", layout="official", label_noise=0.9)
    assert params.n_noisy == 6
    direct = run_direct(params, record_every=10)
    reduced = run_reduced(params, record_every=10)
    assert reduced.status is Status.SUCCESS
    for key in KEYS:
        np.testing.assert_allclose(reduced.arrays[key], direct.arrays[key], rtol=1e-10, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("generator", ["default", "legacy"])
@pytest.mark.parametrize("layout, positions", LAYOUTS)
def test_column_equals_per_cell_runs_with_several_tokens_per_role(layout, positions, generator):
    base = _params(layout, labels="random", generator=generator, n_test=12)
    norms = (1.5, 6.0)
    column = run_reduced_column(base, norms, record_every=10)
    for mu, recording in zip(norms, column):
        params = base.replace(signal_norm=mu)
        # The d-dimensional test noise is below the column's subspace dimension (d = 40 < 2m + 4),
        # so the column draws make_data's test set itself.
        reference = run_reduced(params, data=make_data(params), record_every=10)
        for key in KEYS:
            np.testing.assert_allclose(
                recording.arrays[key], reference.arrays[key], rtol=1e-10, atol=1e-12, err_msg=f"{mu} {key}"
            )


def _direct_p_only_flow(params, data, horizon):
    """p of the d-dimensional p-only flow dp/dtau = X^T c (W = I), by an independent solver."""
    X = data.train.tokens.reshape(-1, params.dim)
    gamma = data.train.tokens @ data.nu

    def rate(_, p):
        s, f = attend((X @ p).reshape(gamma.shape), gamma)
        return X.T @ drive(s, gamma, f, data.train.labels).ravel()

    solution = solve_ivp(rate, (0, horizon), np.zeros(params.dim), method="DOP853", rtol=1e-12, atol=1e-14)
    assert solution.success
    return solution.y[:, -1]


@pytest.mark.parametrize("layout, positions", LAYOUTS)
def test_flow_matches_the_direct_flow_with_several_tokens_per_role(layout, positions):
    params = _params(layout, train="p_only", labels="random")
    data = make_data(params)
    horizon = 5.0
    flow = run_flow(
        params,
        data=data,
        options=FlowOptions(horizon=horizon, checkpoints=3, rtol=1e-11, atol=1e-14),
        events=FlowEvents(test_loss_tolerance=None),
    )
    assert flow.arrays["time"][-1] == horizon
    p = _direct_p_only_flow(params, data, horizon)
    np.testing.assert_allclose(flow.arrays["logits_train"][-1], data.train.tokens @ p, atol=1e-7)
    np.testing.assert_allclose(
        flow.arrays["test_attention_roles"][-1], _role_masses(data.test.tokens @ p, positions), atol=1e-8
    )


def test_flow_clean_event_watches_the_mass_of_the_relevant_set():
    """A clean sample's event fires when the summed attention on its relevant tokens reaches the
    level: with three relevant tokens that happens while each of them is still far below it."""
    params = _params(LAYOUTS[1][0], train="p_only", signal_norm=30.0, label_noise=0.0)
    data = make_data(params)
    level = 0.6
    flow = run_flow(
        params,
        data=data,
        options=FlowOptions(horizon=50.0, checkpoints=4, rtol=1e-11, atol=1e-14),
        events=FlowEvents(attention_level=level, test_loss_tolerance=None),
    )
    times = flow.arrays["event_attention_time"]
    assert np.all(np.isfinite(times))
    for i, at in enumerate(times):
        z = data.train.tokens[i] @ _direct_p_only_flow(params, data, float(at))
        s = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        assert s[:3].sum() == pytest.approx(level, abs=1e-6)
        assert s[:3].max() < level


def test_latent_draw_places_the_signals_by_role_and_uses_the_labels():
    params = _params(
        LAYOUTS[0][0], draw="latent", train="p_only", labels="random", signal_norm=200.0, dim=10**6, n_train=12
    )
    problem = reduce_problem(params)
    labels, true_labels, noisy = split_labels(params, "train")
    np.testing.assert_array_equal(problem.train.labels, labels)
    np.testing.assert_array_equal(problem.train.noisy, noisy)
    # Token scores nu^T x = y* (coefficient) / sqrt 2 + N(0, 1/||mu||^2): relevant 1, aligned rho,
    # opposite -rho, irrelevant 0, on the positions of the layout.
    coefficient = np.array([1, 1, params.rho, params.rho, -params.rho, -params.rho, 0, 0])
    expected = true_labels[:, None] * coefficient[None, :] / math.sqrt(2)
    np.testing.assert_allclose(problem.gamma, expected, atol=6 / params.signal_norm)
    test_true = split_labels(params, "test")[1]
    np.testing.assert_allclose(
        problem.test.gamma, test_true[:, None] * coefficient[None, :] / math.sqrt(2), atol=6 / params.signal_norm
    )


def test_latent_gram_carries_the_signals_of_the_layout():
    """G = X X^T of the latent draw is d I + ||mu||^2 A A^T + noise of size sqrt(d), with A the
    per-token signal vectors of the layout built here by hand. A token on a wrong role moves
    entries by at least rho ||mu||^2 = 3.6e4, far beyond 6 sqrt(2 d) ~ 2.7e3."""
    params = _params(
        LAYOUTS[0][0], draw="latent", train="p_only", labels="random", signal_norm=200.0, dim=10**5, n_train=5, rho=0.9
    )
    problem = reduce_problem(params)
    true_labels = split_labels(params, "train")[1]
    rho = params.rho
    vectors = []
    for y in true_labels:
        own, other = (np.array([1.0, 0.0]), np.array([0.0, 1.0]))[:: 1 if y > 0 else -1]
        vectors += [own, own, rho * own, rho * own, rho * other, rho * other, 0 * own, 0 * own]
    A = np.array(vectors)
    expected = params.dim * np.eye(len(A)) + params.signal_norm**2 * A @ A.T
    assert np.max(np.abs(problem.gram - expected)) < 6 * math.sqrt(2 * params.dim)


def test_latent_column_equals_latent_cells_with_several_tokens_per_role():
    base = _params(LAYOUTS[0][0], draw="latent", init="gaussian", labels="random", dim=10**5, n_test=12)
    norms = (1.5, 60.0)
    for mu, recording in zip(norms, run_reduced_column(base, norms, record_every=10)):
        reference = run_reduced(base.replace(signal_norm=mu), record_every=10)
        for key in KEYS:
            np.testing.assert_allclose(
                recording.arrays[key], reference.arrays[key], rtol=1e-10, atol=1e-12, err_msg=f"{mu} {key}"
            )


def test_legacy_generator_keeps_the_d_dimensional_test_set_in_the_reduced_engine():
    """Float32-rounded noise is not rotation invariant, so the reduced engine projects the drawn
    test set instead of drawing it in the subspace: every test number is the direct engine's."""
    params = _params(LAYOUTS[1][0], generator="legacy", labels="random")
    direct = run_direct(params, record_every=10)
    reduced = run_reduced(params, record_every=10)
    for key in KEYS:
        np.testing.assert_allclose(reduced.arrays[key], direct.arrays[key], rtol=1e-10, atol=1e-12, err_msg=key)
