"""The reduced GD engine against direct d-dimensional GD, and its test set in the subspace."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics import subspace
from numerics.data import initial_weights, make_data
from numerics.gd import gd_step, run_direct
from numerics.reduced import descend_reduced, logits_on_test, problem_drive, reduced_state, run_reduced
from numerics.status import IntegrationError, Status
from numerics.subspace import reduce_problem, training_split
from theory.params import ProblemParams


def _relative(a, b):
    """Largest difference relative to the largest entry of b (entries near 0 are not divided)."""
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / max(np.max(np.abs(b)), 1e-300))


def _direct_state(params, data, w0, steps):
    """(W, p) after ``steps`` steps of the plain direct update (numerics.gd.gd_step)."""
    W = w0 if w0 is not None else (initial_weights(params) if params.train == "joint" else None)
    p = np.zeros(params.dim)
    for _ in range(steps):
        W, p, _ = gd_step(W, p, data.train.tokens, data.train.labels, data.nu, params.step_size, train=params.train)
    return W, p


@settings(max_examples=30)
@given(
    seed=st.integers(0, 2**31 - 1),
    d=st.integers(5, 200),
    T=st.integers(3, 10),
    n=st.integers(2, 6),
    train=st.sampled_from(["joint", "p_only"]),
    custom_w=st.booleans(),
    step_size=st.floats(0.01, 0.5),
    steps=st.integers(1, 40),
)
def test_reduced_equals_direct_on_random_instances(seed, d, T, n, train, custom_w, step_size, steps):
    params = ProblemParams(
        dim=d,
        seq_len=T,
        n_train=n,
        n_test=7,
        seed=seed,
        train=train,
        step_size=step_size,
        steps=steps,
        signal_norm=float(d) ** 0.5,
        label_noise=0.25,
    )
    data = make_data(params)
    w0 = np.random.default_rng(seed).standard_normal((d, d)) / np.sqrt(d) if custom_w else None
    direct = run_direct(params, data=data, w0=w0, record_every=3)
    reduced = run_reduced(params, data=data, w0=w0, record_every=3)
    assert reduced.status is Status.SUCCESS
    assert set(reduced.arrays) == set(direct.arrays)
    np.testing.assert_array_equal(reduced.arrays["step"], direct.arrays["step"])
    np.testing.assert_allclose(reduced.arrays["step_loss"], direct.arrays["step_loss"], rtol=1e-10)
    for key in ("train_loss", "test_loss", "attention_train", "test_attention_roles"):
        np.testing.assert_allclose(reduced.arrays[key], direct.arrays[key], rtol=1e-10, atol=1e-12)
    for key in ("train_acc", "test_acc"):
        np.testing.assert_array_equal(reduced.arrays[key], direct.arrays[key])
    for k in range(len(direct.arrays["step"])):
        assert _relative(reduced.arrays["logits_train"][k], direct.arrays["logits_train"][k]) <= 1e-10

    # Test logits of the final state against X_te W p from the direct update.
    W, p = _direct_state(params, data, w0, steps)
    q = p if W is None else W @ p
    problem = reduce_problem(params, data=data, w0=w0)
    state = reduced_state(problem, params.step_size)
    drive_of = problem_drive(problem)
    for _ in range(steps):
        state.step(drive_of(state.logits())[1])
    state.logits()
    assert _relative(logits_on_test(problem, state.b, state.w()), data.test.tokens @ q) <= 1e-10
    assert _relative(state.logits(), (data.train.tokens @ q).ravel()) <= 1e-10


def test_long_run_over_many_buffer_flushes_matches_direct():
    # 200 steps cross the rank-one buffer many times; losses must stay equal to 1e-12.
    params = ProblemParams(dim=60, seq_len=5, n_train=8, n_test=20, steps=200, step_size=0.05, signal_norm=6.0)
    data = make_data(params)
    direct, reduced = run_direct(params, data=data), run_reduced(params, data=data)
    np.testing.assert_allclose(reduced.arrays["step_loss"], direct.arrays["step_loss"], rtol=1e-12)
    assert _relative(reduced.arrays["logits_train"], direct.arrays["logits_train"]) <= 1e-10


def test_official_layout_projects_the_d_dimensional_test_draw():
    params = ProblemParams(dim=40, seq_len=4, n_train=6, n_test=9, layout="official")
    data = make_data(params)
    drawn, given_data = reduce_problem(params), reduce_problem(params, data=data)
    assert drawn.test_source == given_data.test_source == "projected"
    np.testing.assert_array_equal(drawn.test.basis, given_data.test.basis)
    np.testing.assert_array_equal(drawn.test.gamma, given_data.test.gamma)
    # The quirk survives: test sample 0 is training sample 0.
    np.testing.assert_array_equal(data.test.tokens[0], data.train.tokens[0])


@pytest.mark.parametrize("train, custom_w", [("joint", False), ("p_only", False), ("p_only", True)])
def test_on_demand_and_projected_test_logits_agree(train, custom_w):
    params = ProblemParams(dim=50, seq_len=4, n_train=6, n_test=9, train=train)
    data = make_data(params)
    w0 = np.random.default_rng(1).standard_normal((50, 50)) / 7 if custom_w else None
    projected = reduce_problem(params, data=data, w0=w0)
    on_demand = reduce_problem(params, data=data, w0=w0, test_evaluations=1)
    assert projected.test.basis is not None and on_demand.test.basis is None
    coords = np.random.default_rng(2).standard_normal(projected.test.basis.shape[-1])
    assert _relative(on_demand.test.logits(coords), projected.test.logits(coords)) <= 1e-12


def test_training_split_is_make_datas():
    params = ProblemParams(dim=30, seq_len=4, n_train=6, n_test=5)
    split, data = training_split(params), make_data(params)
    np.testing.assert_array_equal(split.tokens, data.train.tokens)
    np.testing.assert_array_equal(split.labels, data.train.labels)
    np.testing.assert_array_equal(split.noisy, data.train.noisy)


@pytest.mark.parametrize("train", ["joint", "p_only"])
def test_subspace_test_set_has_the_law_of_the_d_dimensional_draw(train):
    # Rows x^T B of fresh test tokens: relevant tokens have mean ||mu|| B[e_y, :], irrelevant
    # ones mean 0; the noise part has covariance B^T B; token scores have noise sd 1/||mu||.
    params = ProblemParams(dim=300, seq_len=4, n_train=4, n_test=6000, signal_norm=3.0, train=train)
    problem = reduce_problem(params)
    assert problem.test_source == "subspace"
    data = make_data(params.replace(n_test=2))
    X = data.train.tokens.reshape(-1, params.dim)
    W0 = initial_weights(params)
    n0 = W0 @ (X @ W0).T if train == "joint" else X.T
    B = np.concatenate((X.T, n0), axis=1) if train == "joint" else n0
    rows = problem.test.basis
    positive = problem.test.true_labels > 0
    count = rows.shape[0] * rows.shape[1]
    relevant_mean = rows[positive, 0].mean(axis=0)
    exact_mean = params.signal_norm * B[0]
    sd = np.sqrt(np.sum(B * B, axis=0) / positive.sum())
    assert np.all(np.abs(relevant_mean - exact_mean) <= 5 * sd)
    noise = rows[:, 3].reshape(-1, B.shape[1])
    rng = np.random.default_rng(0)
    for _ in range(5):
        direction = rng.standard_normal(B.shape[1])
        variance = np.var(noise @ direction)
        exact = float(np.sum((B @ direction) ** 2))
        assert abs(variance / exact - 1) <= 5 * np.sqrt(2 / noise.shape[0])
    gamma_noise = problem.test.gamma[:, 3]
    assert abs(np.std(gamma_noise) * params.signal_norm - 1) <= 5 * np.sqrt(2 / gamma_noise.size)
    assert count == params.n_test * params.seq_len


def test_subspace_and_d_dimensional_test_sets_agree_statistically():
    # Same training run; the two test sets are different draws of the same law, so the test
    # losses of 4000 samples agree within a few standard errors.
    params = ProblemParams(
        dim=400, seq_len=5, n_train=10, n_test=4000, signal_norm=8.0, steps=300, step_size=0.05, test_seed=7
    )
    reduced = run_reduced(params, record_every=100)
    direct = run_direct(params, data=make_data(params), record_every=100)
    np.testing.assert_allclose(reduced.arrays["step_loss"], direct.arrays["step_loss"], rtol=1e-10)
    # |gamma| < 1/sqrt(2) + 5/||mu|| ~ 1.3 here, so per-sample losses lie in [l(1.3), l(-1.3)] =
    # [0.24, 1.54]: sd <= 0.65, and the difference of two 4000-sample means has sd <= 0.015.
    assert np.all(np.abs(reduced.arrays["test_loss"] - direct.arrays["test_loss"]) < 0.06)
    # Training moves the test loss by more than that (0.63 -> 0.52), so a wrong law would show.
    assert direct.arrays["test_loss"][0] - direct.arrays["test_loss"][-1] > 0.1


def test_overflowing_run_is_reported_not_returned_as_numbers():
    # W_0 ~ 1e100 and h = 1e150 make the logits overflow at step 1 in both engines.
    params = ProblemParams(dim=30, seq_len=4, n_train=6, n_test=5, steps=10, step_size=1e150)
    data = make_data(params)
    w0 = 1e100 * np.random.default_rng(0).standard_normal((30, 30))
    with np.errstate(over="ignore", invalid="ignore"):
        direct = run_direct(params, data=data, w0=w0, throw=False)
    reduced = run_reduced(params, data=data, w0=w0, throw=False)
    assert reduced.status is Status.NONFINITE and direct.status is Status.NONFINITE
    assert reduced.message == direct.message == "non-finite logits or loss at step 1"
    np.testing.assert_array_equal(reduced.arrays["step"], [0])
    assert np.isfinite(reduced.arrays["train_loss"]).all()
    with pytest.raises(IntegrationError, match="non-finite"):
        run_reduced(params, data=data, w0=w0)


def test_initial_weights_whose_gram_overflows_are_refused():
    params = ProblemParams(dim=30, seq_len=4, n_train=6, n_test=5)
    with pytest.raises(ValueError, match="overflows"):
        reduce_problem(params, w0=1e160 * np.ones((30, 30)))


def test_huge_step_freezes_both_engines_alike():
    # After one step of h = 1e100 the attention is one-hot and the drive is exactly 0: both
    # engines stay finite, frozen and equal.
    params = ProblemParams(dim=30, seq_len=4, n_train=6, n_test=5, steps=40, step_size=1e100)
    data = make_data(params)
    direct, reduced = run_direct(params, data=data), run_reduced(params, data=data)
    np.testing.assert_allclose(reduced.arrays["step_loss"], direct.arrays["step_loss"], rtol=1e-10)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"steps": -1}, "steps"), ({"step_size": 0.0}, "step_size"), ({"step_size": float("nan")}, "step_size")],
)
def test_descend_rejects_bad_arguments(kwargs, match):
    problem = reduce_problem(ProblemParams(dim=10, seq_len=3, n_train=2, n_test=2))
    arguments = {"steps": 3, "step_size": 0.1} | kwargs
    with pytest.raises(ValueError, match=match):
        descend_reduced(problem, **arguments)


def test_non_finite_test_logits_end_the_run_with_a_status():
    problem = reduce_problem(ProblemParams(dim=20, seq_len=3, n_train=4, n_test=3))
    broken = dataclasses.replace(
        problem, test=dataclasses.replace(problem.test, basis=np.full_like(problem.test.basis, np.inf))
    )
    run = descend_reduced(broken, step_size=0.1, steps=5, record_every=1, throw=False)
    assert run.status is Status.NONFINITE and run.message == "non-finite test logits at step 0"
    assert run.arrays["step"].size == 0


@pytest.mark.parametrize(
    "layout, generator, train",
    [("independent", "default", "joint"), ("official", "default", "p_only"), ("independent", "legacy", "joint")],
)
def test_full_test_draw_is_make_datas_test_set_projected_block_by_block(monkeypatch, layout, generator, train):
    # Blocks of 3 samples (a short last one) stand for the few-MB blocks of a large test set.
    params = ProblemParams(
        dim=40, seq_len=4, n_train=6, n_test=11, layout=layout, generator=generator, train=train, label_noise=0.3
    )
    monkeypatch.setattr(subspace, "test_block_samples", lambda _: 3)
    streamed = reduce_problem(params, test_draw="full")
    whole = reduce_problem(params, data=make_data(params))
    assert streamed.test_source == whole.test_source == "projected"
    assert _relative(streamed.test.basis, whole.test.basis) <= 1e-14
    assert _relative(streamed.test.gamma, whole.test.gamma) <= 1e-14
    for name in ("labels", "true_labels", "noisy"):
        np.testing.assert_array_equal(getattr(streamed.test, name), getattr(whole.test, name))


def test_unknown_test_draw_is_refused():
    with pytest.raises(ValueError, match="test_draw='subspace': must be one of auto, full"):
        reduce_problem(ProblemParams(dim=10), test_draw="subspace")


def test_full_test_draw_never_holds_the_d_dimensional_test_set():
    import tracemalloc

    from numerics.budget import reduced_bytes

    params = ProblemParams(dim=2000, n_test=1000, train="p_only")  # test tokens: 128 MB
    whole = 8 * params.n_test * params.seq_len * params.dim
    tracemalloc.start()
    try:
        problem = reduce_problem(params, test_draw="full")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert problem.test.basis.shape == (1000, 8, 160)
    assert peak < whole / 4
    assert peak <= reduced_bytes(params, test_draw="full") < whole
