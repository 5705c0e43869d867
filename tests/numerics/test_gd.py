import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics.attention import forward, mean_loss
from numerics.data import initial_weights, make_data
from numerics.gd import check_initial_weights, gd_step, loss_and_grads, run_direct
from numerics.status import IntegrationError, Status
from theory.params import ProblemParams


def _instance(seed, n, T, d):
    rng = np.random.default_rng(seed)
    tokens = rng.standard_normal((n, T, d))
    labels = rng.choice([-1.0, 1.0], n)
    return tokens, labels, rng.standard_normal(d), rng.standard_normal((d, d)) / np.sqrt(d), rng.standard_normal(d)


def _loss(W, p, tokens, labels, nu):
    _, _, _, f = forward(tokens, W @ p, nu)
    return mean_loss(f, labels)


@settings(max_examples=25)
@given(seed=st.integers(0, 2**31), n=st.integers(2, 5), T=st.integers(3, 6), d=st.integers(2, 6))
def test_gradients_equal_central_finite_differences(seed, n, T, d):
    tokens, labels, nu, W, p = _instance(seed, n, T, d)
    _, grad_W, grad_p = loss_and_grads(W, p, tokens, labels, nu)
    eps = 1e-6
    fd_p = np.array(
        [
            (_loss(W, p + eps * e, tokens, labels, nu) - _loss(W, p - eps * e, tokens, labels, nu)) / (2 * eps)
            for e in np.eye(d)
        ]
    )
    fd_W = np.array(
        [
            [
                (_loss(W + eps * E, p, tokens, labels, nu) - _loss(W - eps * E, p, tokens, labels, nu)) / (2 * eps)
                for E in _units(d, i)
            ]
            for i in range(d)
        ]
    )
    np.testing.assert_allclose(grad_p, fd_p, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(grad_W, fd_W, rtol=1e-6, atol=1e-9)


def _units(d, i):
    for j in range(d):
        E = np.zeros((d, d))
        E[i, j] = 1.0
        yield E


def test_gradient_of_w_vanishes_at_p_zero():
    tokens, labels, nu, W, _ = _instance(0, 4, 5, 6)
    _, grad_W, grad_p = loss_and_grads(W, np.zeros(6), tokens, labels, nu)
    assert not grad_W.any() and np.abs(grad_p).max() > 0


@pytest.mark.parametrize("train, custom_w", [("joint", False), ("joint", True), ("p_only", False), ("p_only", True)])
def test_engine_equals_naive_step_loop(train, custom_w):
    params = ProblemParams(dim=12, seq_len=4, n_train=6, n_test=9, steps=40, step_size=0.3, train=train)
    data = make_data(params)
    w0 = np.random.default_rng(3).standard_normal((12, 12)) if custom_w else None
    rec = run_direct(params, data=data, w0=w0, record_every=7)
    W = w0 if custom_w else (initial_weights(params) if train == "joint" else None)
    p = np.zeros(12)
    losses, checkpoint_logits = [], []
    for k in range(params.steps + 1):
        q = p if W is None else W @ p
        if k in rec.arrays["step"]:
            checkpoint_logits.append(data.test.tokens @ q)
        W_next, p_next, loss = gd_step(
            W, p, data.train.tokens, data.train.labels, data.nu, params.step_size, train=train
        )
        losses.append(loss)
        W, p = W_next, p_next
    # The two loops round differently (BLAS rank-one update against W + h v p^T). With a
    # standard-normal W_0 and h = 0.3 this run is ill-conditioned: flipping the last bit of
    # W_0's entries moves the loss by up to 1e-7, so 1e-9 is still a round-off bound there.
    rtol = 1e-9 if custom_w else 1e-12
    np.testing.assert_allclose(rec.arrays["step_loss"], losses, rtol=rtol)
    assert rec.arrays["step"].tolist() == [0, 7, 14, 21, 28, 35, 40]
    from numerics.attention import attend

    gamma_test = data.test.tokens @ data.nu
    expected_test_loss = [mean_loss(attend(z, gamma_test)[1], data.test.labels) for z in checkpoint_logits]
    np.testing.assert_allclose(rec.arrays["test_loss"], expected_test_loss, rtol=rtol)
    assert rec.status is Status.SUCCESS


def test_overflowing_run_is_reported_not_returned_as_numbers():
    # A huge step alone does not overflow (saturated softmax stops the drive); huge weights do:
    # p grows like ||W|| after one step and the logits like ||W||^2 = 1e400.
    params = ProblemParams(dim=10, n_test=5, steps=20, step_size=1.0)
    w0 = 1e200 * np.eye(10)
    rec = run_direct(params, w0=w0, throw=False)
    assert rec.status is Status.NONFINITE and "non-finite" in rec.message
    assert np.all(np.isfinite(rec.arrays["train_loss"]))  # only finite checkpoints are kept
    with pytest.raises(IntegrationError, match="nonfinite"):
        run_direct(params, w0=w0)


@pytest.mark.parametrize(
    "w0, fragment",
    [
        (np.zeros((3, 4)), r"shape \(3, 4\): must be \(4, 4\)"),
        (np.full((4, 4), np.nan), "16 non-finite entries"),
        (np.array([["a"] * 4] * 4), "must be real numbers"),
    ],
)
def test_initial_weights_are_validated(w0, fragment):
    with pytest.raises(ValueError, match=fragment):
        check_initial_weights(w0, 4)


# A reference (about a minute of d = 2000 direct GD): the default run checks the same numbers
# on the reduced engine (tests/numerics/test_reference_settings.py) and the direct engine
# against the reduced one on small instances.
@pytest.mark.slow
def test_balanced_official_reference_run():
    """The paper's balanced setting (official code, default configuration).

    Official layout, seed 42, d = 2000, ||mu|| = 20 -> train 1.0, test 0.996.
    """
    rec = run_direct(ProblemParams(layout="official"), record_every=100)
    assert rec.arrays["train_acc"][-1] == 1.0
    assert rec.arrays["test_acc"][-1] == 0.996


@pytest.mark.slow
def test_balanced_official_test_errors_are_the_shared_noise_samples():
    """The four test errors are test samples 0, 1, 10, 11, whose noise is that of the four
    flipped training samples (the official layout's same-seed quirk)."""
    params = ProblemParams(layout="official")
    data = make_data(params)
    W, p = initial_weights(params), np.zeros(params.dim)
    for _ in range(params.steps):
        W, p, _ = gd_step(W, p, data.train.tokens, data.train.labels, data.nu, params.step_size)
    _, _, _, f = forward(data.test.tokens, W @ p, data.nu)
    assert np.flatnonzero(f * data.test.labels <= 0).tolist() == [0, 1, 10, 11]
