import json

import numpy as np
import pytest

from numerics.attention import mean_loss
from numerics.data import draw_noise, make_data, noise_blocks, signals
from theory.params import ProblemParams


def test_signals_and_head():
    mu1, mu2, nu = signals(ProblemParams(dim=10, signal_norm=7.0))
    assert np.linalg.norm(nu) == pytest.approx(1 / 7)
    assert nu @ mu1 == pytest.approx(1 / np.sqrt(2)) and nu @ mu2 == pytest.approx(-1 / np.sqrt(2))
    assert mu1 @ mu2 == 0


def test_official_recipe_draw_for_draw():
    params = ProblemParams(dim=30, n_test=40, layout="official", seed=7)
    data = make_data(params)
    noise = np.random.default_rng(7).standard_normal((20, 8, 30))
    y = np.r_[np.ones(10), -np.ones(10)]
    expected = noise.copy()
    expected[:10, 0, 0] += 20
    expected[10:, 0, 1] += 20
    expected[:10, 1, 0] += 2
    expected[10:, 1, 1] += 2
    expected[:10, 2, 1] += 2
    expected[10:, 2, 0] += 2
    np.testing.assert_array_equal(data.train.tokens, expected)
    np.testing.assert_array_equal(data.train.true_labels, y)
    assert np.flatnonzero(data.train.noisy).tolist() == [0, 1, 10, 11]
    np.testing.assert_array_equal(data.train.labels, np.where(data.train.noisy, -y, y))
    # The official quirk: the test set reuses the seed, so test samples 0-9 copy training 0-9.
    np.testing.assert_array_equal(data.test.tokens[:10], data.train.tokens[:10])
    np.testing.assert_array_equal(data.test.labels[:20], np.ones(20))
    assert not data.test.noisy.any()


def test_independent_layout_draws_fresh_test_noise():
    base = ProblemParams(dim=30, n_test=40)
    data = make_data(base)
    assert not np.any(np.isclose(data.test.tokens[:20], data.train.tokens[:20]))
    np.testing.assert_array_equal(make_data(base).test.tokens, data.test.tokens)
    assert not np.allclose(make_data(base.replace(test_seed=5)).test.tokens, data.test.tokens)
    # Training data are the official draws in both layouts.
    np.testing.assert_array_equal(make_data(base.replace(layout="official")).train.tokens, data.train.tokens)


def test_step_zero_loss_matches_the_official_run(official_run_dir):
    """At p = 0 attention is uniform whatever W is, so the official run's first loss pins
    down the generator; the official code works in float32, hence the tolerance."""
    stats = json.loads((official_run_dir / "stats_time_step.json").read_text())
    data = make_data(ProblemParams(layout="official"))
    gamma = data.train.tokens @ data.nu
    loss = mean_loss(gamma.mean(axis=1), data.train.labels)
    assert loss == pytest.approx(stats["loss"]["0"], abs=1e-6)


@pytest.mark.parametrize("generator", ["default", "legacy"])
@pytest.mark.parametrize("split", ["train", "test"])
def test_noise_blocks_are_the_whole_draw_cut_into_pieces(generator, split):
    # 7 samples in blocks of 3: two full blocks and a short last one, written into one buffer.
    params = ProblemParams(dim=11, seq_len=4, n_train=7, n_test=7, generator=generator)
    whole = draw_noise(params, split)
    pieces, buffers = [], set()
    for block, noise in noise_blocks(params, split, 3):
        pieces.append((block, noise.copy()))
        buffers.add(id(noise.base))  # each block is a view of the buffer
    assert [block for block, _ in pieces] == [slice(0, 3), slice(3, 6), slice(6, 7)]
    np.testing.assert_array_equal(np.concatenate([noise for _, noise in pieces]), whole)
    assert len(buffers) == 1  # never more than one block of memory


def test_noise_blocks_reject_an_unknown_split():
    with pytest.raises(ValueError, match="split='valid'"):
        next(noise_blocks(ProblemParams(dim=5), "valid", 2))
