"""The data options of the v1 study: several tokens per role, random labels, the legacy generator.

Expected values are built here by hand (signals on the positions the layout names, numpy's
legacy generator called as the authors' code calls it), never by the generator under test.
"""

import math
from collections import Counter
from itertools import combinations, product

import numpy as np
import pytest
from scipy import stats

from numerics.data import draw_noise, make_data, split_labels
from theory.params import ProblemParams
from theory.roles import token_roles

PARAMS = dict(dim=12, n_train=6, n_test=9, signal_norm=5.0, rho=0.25)


def _expected_tokens(noise, true_labels, positions, *, mu, rho):
    """The recipe on explicit positions: (relevant, aligned, opposite) index lists."""
    relevant, aligned, opposite = positions
    expected = noise.copy()
    for i, y in enumerate(true_labels):
        own, other = (0, 1) if y > 0 else (1, 0)
        for t in relevant:
            expected[i, t, own] += mu
        for t in aligned:
            expected[i, t, own] += rho * mu
        for t in opposite:
            expected[i, t, other] += rho * mu
    return expected


@pytest.mark.parametrize(
    "relevant, weak, seq_len, positions",
    [
        (1, 1, 5, ([0], [1], [2])),
        (2, 2, 8, ([0, 1], [2, 3], [4, 5])),
        (3, 1, 6, ([0, 1, 2], [3], [4])),
        (2, 0, 4, ([0, 1], [], [])),
        (1, 3, 7, ([0], [1, 2, 3], [4, 5, 6])),
    ],
)
def test_signals_go_to_the_positions_of_each_role(relevant, weak, seq_len, positions):
    params = ProblemParams(**PARAMS, seq_len=seq_len, relevant_tokens=relevant, weak_tokens=weak, seed=3)
    data = make_data(params)
    noise = np.random.default_rng(3).standard_normal((6, seq_len, 12))
    expected = _expected_tokens(noise, data.train.true_labels, positions, mu=5.0, rho=0.25)
    np.testing.assert_array_equal(data.train.tokens, expected)
    roles = token_roles(params)
    names = roles.names()
    assert [t for t, name in enumerate(names) if name == "relevant"] == positions[0]
    assert [t for t, name in enumerate(names) if name == "weak_aligned"] == positions[1]
    assert [t for t, name in enumerate(names) if name == "weak_opposite"] == positions[2]
    assert names.count("irrelevant") == params.irrelevant_tokens == seq_len - relevant - 2 * weak


def test_role_of_refuses_a_position_outside_the_sequence():
    roles = token_roles(ProblemParams(seq_len=4))
    with pytest.raises(ValueError, match="token position 4"):
        roles.role_of(4)


@pytest.mark.parametrize("layout", ["official", "independent"])
def test_legacy_generator_is_numpys_global_generator_cast_to_float32(layout):
    params = ProblemParams(
        **PARAMS,
        seq_len=8,
        relevant_tokens=2,
        weak_tokens=2,
        generator="legacy",
        layout=layout,
        seed=11,
        labels="random",
    )
    data = make_data(params)
    state = np.random.get_state()
    try:
        np.random.seed(11)
        train_noise = np.random.randn(6, 8, 12).astype(np.float32)
        np.random.seed(11)
        official_test_noise = np.random.randn(9, 8, 12).astype(np.float32)
    finally:
        np.random.set_state(state)
    assert data.train.tokens.dtype == np.float64
    expected = _expected_tokens(
        train_noise.astype(np.float64), data.train.true_labels, ([0, 1], [2, 3], [4, 5]), mu=5.0, rho=0.25
    )
    np.testing.assert_array_equal(data.train.tokens, expected)
    if layout == "official":
        expected_test = _expected_tokens(
            official_test_noise.astype(np.float64), data.test.true_labels, ([0, 1], [2, 3], [4, 5]), mu=5.0, rho=0.25
        )
        np.testing.assert_array_equal(data.test.tokens, expected_test)
    else:
        # An independent test set: fresh legacy noise, still float32-representable.
        test_noise = draw_noise(params, "test")
        assert not np.allclose(test_noise[:6], train_noise)
        np.testing.assert_array_equal(test_noise, test_noise.astype(np.float32))


def test_legacy_generator_leaves_numpys_global_state_alone():
    before = np.random.get_state()[1].copy()
    make_data(ProblemParams(**PARAMS, generator="legacy"))
    np.testing.assert_array_equal(np.random.get_state()[1], before)


@pytest.mark.filterwarnings("ignore::theory.records.AssumptionWarning")
@pytest.mark.parametrize("n, eta", [(20, 0.2), (7, 0.3), (100, 0.07), (10, 0.9), (5, 0.0)])
def test_random_labels_flip_exactly_ceil_n_eta(n, eta):
    params = ProblemParams(n_train=n, label_noise=eta, labels="random", train="p_only", seed=2)
    labels, true_labels, noisy = split_labels(params, "train")
    assert int(noisy.sum()) == math.ceil(n * eta)
    np.testing.assert_array_equal(labels, np.where(noisy, -true_labels, true_labels))
    _, test_true, test_noisy = split_labels(params, "test")
    assert not test_noisy.any() and set(np.unique(test_true)) <= {-1.0, 1.0}


def test_random_labels_are_uniform_in_distribution():
    """Over many seeds, every 2-subset of 6 samples is flipped equally often and every one of
    the 64 true-label patterns is equally likely (chi-square goodness of fit). Block flips, a
    fixed subset, balanced classes or a flip set that depends on the labels all fail."""
    n, draws = 6, 3000
    subsets, patterns, joint = Counter(), Counter(), Counter()
    for seed in range(draws):
        _, true_labels, noisy = split_labels(
            ProblemParams(n_train=n, label_noise=0.3, labels="random", seed=seed), "train"
        )
        flipped = tuple(np.flatnonzero(noisy).tolist())
        pattern = tuple((true_labels > 0).tolist())
        subsets[flipped] += 1
        patterns[pattern] += 1
        # Independence of the flips from the labels: which class the first flipped sample is in.
        joint[(flipped, pattern[flipped[0]])] += 1
    all_subsets = list(combinations(range(n), 2))
    assert set(subsets) <= set(all_subsets)
    assert stats.chisquare([subsets[s] for s in all_subsets]).pvalue > 1e-4
    assert stats.chisquare([patterns[p] for p in product([False, True], repeat=n)]).pvalue > 1e-4
    assert stats.chisquare([joint[(s, c)] for s in all_subsets for c in (False, True)]).pvalue > 1e-4


def test_random_labels_of_the_official_test_set_follow_the_training_stream():
    """Official layout: the test set reuses the training noise, and its first n samples are then
    copies of the training samples, true labels included."""
    params = ProblemParams(**PARAMS, labels="random", layout="official", seed=5)
    data = make_data(params)
    np.testing.assert_array_equal(data.test.true_labels[:6], data.train.true_labels)
    np.testing.assert_array_equal(data.test.tokens[:6], data.train.tokens)


def test_balanced_labels_are_unchanged_by_the_new_fields():
    params = ProblemParams(**PARAMS, label_noise=0.34)
    labels, true_labels, noisy = split_labels(params, "train")
    np.testing.assert_array_equal(true_labels, [1, 1, 1, -1, -1, -1])
    assert np.flatnonzero(noisy).tolist() == [0, 3]  # ceil(6 * 0.34) = 3 flips, 3 // 2 per block


def test_split_names_are_checked():
    with pytest.raises(ValueError, match="split='valid'"):
        split_labels(ProblemParams(), "valid")
    with pytest.raises(ValueError, match="split='valid'"):
        draw_noise(ProblemParams(dim=5), "valid")
