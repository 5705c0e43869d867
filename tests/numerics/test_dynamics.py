"""The reduced kernel: its drive against the direct engine's, its buffered GD state against the
plain Euler map of its rate, and a batch of cells against the cells one by one."""

import numpy as np
import pytest

from numerics import dynamics
from numerics.attention import attend
from numerics.attention import drive as direct_drive


def _instance(seed, n=3, T=4):
    """Random G = X X^T, M_0 = Y Y^T, token scores and labels of a small problem (m = n T)."""
    rng = np.random.default_rng(seed)
    m = n * T
    X, Y = rng.standard_normal((m, 7)), rng.standard_normal((m, 5))
    gamma = rng.standard_normal((n, T))
    labels = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    return X @ X.T / 7, Y @ Y.T / 5, gamma, labels


def _relative(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_drive_is_the_direct_engines_drive_in_both_layouts(seed):
    _, _, gamma, labels = _instance(seed)
    z = np.random.default_rng(seed + 10).standard_normal(gamma.shape) * 3
    s, f_direct = attend(z, gamma)
    c_direct = direct_drive(s, gamma, f_direct, labels)
    n = len(labels)
    f, c = dynamics.drive(z, gamma, labels[:, None], labels[:, None] / n, axis=1)
    np.testing.assert_allclose(f, f_direct, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(c, c_direct, rtol=1e-13, atol=1e-16)
    # Token-major batch (T, cells, n) of two copies.
    zt, gt = np.stack([z.T, z.T], axis=1), np.stack([gamma.T, gamma.T], axis=1)
    f2, c2 = dynamics.drive(zt, gt, labels, labels / n, axis=0)
    for cell in range(2):
        np.testing.assert_allclose(f2[cell], f_direct, rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(c2[:, cell].T, c_direct, rtol=1e-13, atol=1e-16)


def _plain_gd(gram, metric, gamma, labels, h, steps):
    """y+ = y + h rate(y) with the unbuffered (b, E): the map GDState must reproduce."""
    n, m = len(labels), gram.shape[0]
    b, E = np.zeros(m), np.zeros((m, m))
    out = np.empty(m + m * m)
    for _ in range(steps):
        z, _ = dynamics.logits(gram, metric, b, E)
        _, c = dynamics.drive(z.reshape(gamma.shape), gamma, labels[:, None], labels[:, None] / n, axis=1)
        dynamics.rate(gram, b, E, c.ravel(), out)
        b = b + h * out[:m]
        E = E + h * out[m:].reshape(m, m)
    return b, E


@pytest.mark.parametrize("block, history", [(1, 1), (3, 3), (4, 12), (8, 64)])
def test_buffered_gd_state_is_the_euler_map_of_the_rate(block, history):
    gram, metric, gamma, labels = _instance(3)
    h, steps = 0.7, 29  # several S blocks and E histories, one partial
    n = len(labels)
    state = dynamics.GDState(gram, metric, h, joint=True, block=block, history=history)
    for _ in range(steps):
        z = state.logits()
        _, c = dynamics.drive(z.reshape(gamma.shape), gamma, labels[:, None], labels[:, None] / n, axis=1)
        state.step(c.ravel())
    b, E = _plain_gd(gram, metric, gamma, labels, h, steps)
    z = state.logits()
    expected_z, expected_w = dynamics.logits(gram, metric, b, E)
    assert _relative(state.b, b) <= 1e-12
    assert _relative(z, expected_z) <= 1e-12
    assert _relative(state.w(), expected_w) <= 1e-12


def test_p_only_state_steps_b_by_the_drive():
    gram, metric, gamma, labels = _instance(4)
    state = dynamics.GDState(gram, metric, 0.5, joint=False, block=4, history=4)
    c = np.random.default_rng(5).standard_normal(gram.shape[0])
    state.logits()
    state.step(c)
    assert state.w() is None
    np.testing.assert_array_equal(state.b, 0.5 * c)
    np.testing.assert_allclose(state.logits(), metric @ (0.5 * c), rtol=1e-15)


def test_a_batch_of_cells_steps_each_cell_as_alone():
    cells = [_instance(seed) for seed in (6, 7, 8)]
    gamma = np.stack([g.T for _, _, g, _ in cells], axis=1)  # (T, cells, n)
    labels = cells[0][3]  # a column's cells share their labels
    n, T = cells[0][2].shape
    batch = dynamics.GDState(
        np.stack([g for g, _, _, _ in cells]),
        np.stack([mm for _, mm, _, _ in cells]),
        0.4,
        joint=True,
        block=4,
        history=8,
    )
    singles = [dynamics.GDState(g, mm, 0.4, joint=True, block=4, history=8) for g, mm, _, _ in cells]
    # Token-major order inside the batch, as the column engine keeps it: same state, permuted.
    order = np.arange(n * T).reshape(n, T).T.ravel()
    batch.gram, batch.metric = batch.gram[:, order][:, :, order], batch.metric[:, order][:, :, order]
    for _ in range(13):
        zb = batch.logits()
        _, cb = dynamics.drive(zb.reshape(3, T, n).transpose(1, 0, 2), gamma, labels, labels / n, axis=0)
        batch.step(np.ascontiguousarray(cb.transpose(1, 0, 2)).reshape(3, T * n))
        for j, (state, (_, _, g, _)) in enumerate(zip(singles, cells)):
            z = state.logits()
            np.testing.assert_allclose(zb[j], z[order], rtol=1e-12, atol=1e-14)
            _, c = dynamics.drive(z.reshape(n, T), g, labels[:, None], labels[:, None] / n, axis=1)
            state.step(c.ravel())
    batch.logits()
    for j, state in enumerate(singles):
        state.logits()
        np.testing.assert_allclose(batch.w()[j], state.w()[order], rtol=1e-12, atol=1e-14)


def test_history_must_hold_whole_blocks():
    gram, metric, _, _ = _instance(0)
    with pytest.raises(ValueError, match="multiple of block"):
        dynamics.GDState(gram, metric, 0.1, joint=True, block=4, history=6)
