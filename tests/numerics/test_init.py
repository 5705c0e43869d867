"""The initialisation parameters: init, init_seed, draw (validation, streams, CLI)."""

import numpy as np
import pytest

from numerics.data import initial_weights, make_data
from theory.params import ProblemParams
from verify.cli import build_parser


def test_default_keeps_the_uniform_stream_of_seed():
    params = ProblemParams(dim=30)
    bound = 1 / np.sqrt(30)
    expected = np.random.default_rng([42, 2]).uniform(-bound, bound, (30, 30))
    np.testing.assert_array_equal(initial_weights(params), expected)


def test_gaussian_has_the_uniform_variance():
    w = initial_weights(ProblemParams(dim=600, init="gaussian"))
    # Var U(-a, a) = a^2 / 3 with a = 1/sqrt(d); 360 000 entries: relative error ~ 0.24 %.
    assert abs(w.var() * 3 * 600 - 1) < 0.01
    assert abs(np.mean(w**4) / w.var() ** 2 - 3) < 0.05  # Gaussian kurtosis (uniform: 1.8)


def test_init_seed_moves_w0_only():
    base = ProblemParams(dim=20, n_test=5)
    other = base.replace(init_seed=7)
    assert not np.array_equal(initial_weights(base), initial_weights(other))
    np.testing.assert_array_equal(initial_weights(other), initial_weights(base.replace(seed=3, init_seed=7)))
    np.testing.assert_array_equal(make_data(base).train.tokens, make_data(other).train.tokens)


@pytest.mark.parametrize(
    "changes, word",
    [
        ({"init": "normal"}, "init='normal'"),
        ({"draw": "half"}, "draw='half'"),
        ({"init_seed": -1}, "init_seed=-1"),
        ({"draw": "latent"}, "init='gaussian'"),
        ({"draw": "latent", "init": "gaussian", "layout": "official"}, "layout='official'"),
    ],
)
def test_bad_values_are_named(changes, word):
    with pytest.raises(ValueError, match=word.replace("(", r"\(")):
        ProblemParams(**changes)


def test_round_trip_through_toml_and_cli():
    params = ProblemParams(init="gaussian", init_seed=3, draw="latent")
    assert ProblemParams.from_toml(params.to_toml()) == params
    parser, _ = build_parser()
    args = parser.parse_args(["run", "--init", "gaussian", "--init-seed", "3", "--draw", "latent"])
    assert (args.init, args.init_seed, args.draw) == ("gaussian", 3, "latent")


def test_no_prefix_matching():
    parser, _ = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "--ini", "gaussian"])
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "--init-se", "3"])
