import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theory.params import OFFICIAL_ALIASES, ProblemParams


def test_defaults_are_the_official_v3_setting():
    p = ProblemParams()
    assert (
        p.n_train,
        p.seq_len,
        p.rho,
        p.dim,
        p.step_size,
        p.signal_norm,
        p.steps,
        p.label_noise,
        p.n_test,
        p.seed,
    ) == (20, 8, 0.1, 2000, 5e-3, 20.0, 1000, 0.2, 1000, 42)
    assert p.layout == "independent" and p.train == "joint"


@pytest.mark.parametrize(
    "field, value, fragment",
    [
        ("seq_len", 2, "seq_len=2: must be >= 3"),
        ("rho", 0.0, "0 < rho < 1"),
        ("rho", 1.0, "0 < rho < 1"),
        ("label_noise", 1.0, "0 <= label_noise < 1"),
        ("label_noise", -0.1, "0 <= label_noise < 1"),
        ("relevant_tokens", 0, "relevant_tokens=0: must be >= 1"),
        ("relevant_tokens", 8, "relevant_tokens=8 with seq_len=8: must be < seq_len"),
        ("relevant_tokens", 1.5, "relevant_tokens=1.5: must be an integer"),
        ("weak_tokens", -1, "weak_tokens=-1: must be >= 0"),
        ("weak_tokens", 4, "weak_tokens=4 with seq_len=8: relevant_tokens . 2 weak_tokens must be <= seq_len"),
        ("labels", "shuffled", "labels='shuffled': must be one of balanced, random"),
        ("generator", "torch", "generator='torch': must be one of default, legacy"),
        ("dim", 0, "dim=0: must be >= 2"),
        ("dim", -5, "dim=-5"),
        ("n_train", 20.5, "n_train=20.5: must be an integer"),
        ("n_train", True, "must be an integer"),
        ("signal_norm", math.nan, "signal_norm=nan: must be finite"),
        ("step_size", math.inf, "must be finite"),
        ("step_size", 0.0, "step_size=0.0: must be > 0"),
        ("layout", "shuffled", "layout='shuffled'"),
        ("train", "w_only", "train='w_only'"),
        ("signal_norm", "20", "must be a real number"),
    ],
)
def test_invalid_values_name_the_value_and_rule(field, value, fragment):
    with pytest.raises(ValueError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        ProblemParams(**{field: value})


def test_official_layout_rejects_a_test_seed():
    with pytest.raises(ValueError, match="official layout"):
        ProblemParams(layout="official", test_seed=3)


def test_aliases_and_unknown_keys():
    official = {
        "train_n": 10,
        "T": 5,
        "embed_dim": 300,
        "noise_ratio": 0.1,
        "learning_rate": 0.01,
        "test_n": 50,
        "num_steps": 7,
    }
    p = ProblemParams.from_mapping(official)
    assert (p.n_train, p.seq_len, p.dim, p.label_noise, p.step_size, p.n_test, p.steps) == (
        10,
        5,
        300,
        0.1,
        0.01,
        50,
        7,
    )
    assert set(OFFICIAL_ALIASES) == set(official)
    with pytest.raises(ValueError, match="unknown parameter 'eta'"):
        ProblemParams.from_mapping({"eta": 0.1})
    with pytest.raises(ValueError, match="given twice"):
        ProblemParams.from_mapping({"dim": 10, "embed_dim": 10})


@given(
    n=st.integers(2, 500),
    eta=st.floats(0, 0.499),
    dim=st.integers(2, 10**6),
    mu=st.floats(1e-3, 1e3),
    rho=st.floats(1e-3, 0.999),
    seed=st.integers(0, 2**32),
    layout=st.sampled_from(["independent", "official"]),
    train=st.sampled_from(["joint", "p_only"]),
    relevant=st.integers(1, 3),
    weak=st.integers(0, 2),
    labels=st.sampled_from(["balanced", "random"]),
    generator=st.sampled_from(["default", "legacy"]),
)
def test_toml_round_trip(n, eta, dim, mu, rho, seed, layout, train, relevant, weak, labels, generator):
    p = ProblemParams(
        n_train=n,
        label_noise=eta,
        dim=dim,
        signal_norm=mu,
        rho=rho,
        seed=seed,
        layout=layout,
        train=train,
        relevant_tokens=relevant,
        weak_tokens=weak,
        labels=labels,
        generator=generator,
    )
    assert ProblemParams.from_toml(p.to_toml()) == p
    assert ProblemParams.from_mapping(p.to_dict()) == p


def test_toml_errors(tmp_path):
    with pytest.raises(ValueError, match="malformed TOML"):
        ProblemParams.from_toml("dim = = 3")
    with pytest.raises(ValueError, match="does not exist"):
        ProblemParams.load(tmp_path / "missing.toml")
    (tmp_path / "bad.toml").write_text("rho = 2.0\n")
    with pytest.raises(ValueError, match="bad.toml: rho=2.0"):
        ProblemParams.load(tmp_path / "bad.toml")
    assert ProblemParams.from_toml("[params]\ndim = 30\n").dim == 30


def test_frozen_and_keyword_only():
    p = ProblemParams()
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.dim = 3
    with pytest.raises(TypeError):
        ProblemParams(20)


def test_noisy_count_follows_the_official_ceil():
    assert ProblemParams(n_train=20, label_noise=0.2).n_noisy == 4
    assert ProblemParams(n_train=100, label_noise=0.07).n_noisy == math.ceil(100 * 0.07) == 8


def test_toml_ignores_the_official_configs_non_problem_keys():
    text = "embed_dim = 300\ndelta = 0.01\nlog_interval = 10\n[wandb]\nproject = 'x'\n"
    assert ProblemParams.from_toml(text).dim == 300
    with pytest.raises(ValueError, match="unknown"):
        ProblemParams.from_toml("embed_dim = 300\nwarp = 1\n")


def test_new_fields_default_to_the_papers_layout_and_old_files_still_load(tmp_path):
    p = ProblemParams()
    assert (p.relevant_tokens, p.weak_tokens, p.labels, p.generator) == (1, 1, "balanced", "default")
    assert p.irrelevant_tokens == 5
    # A parameter file written before these fields existed.
    (tmp_path / "params.toml").write_text("n_train = 20\nseq_len = 8\ndim = 300\nlabel_noise = 0.2\n")
    assert ProblemParams.load(tmp_path / "params.toml") == ProblemParams(dim=300)


def test_latent_draw_refuses_the_legacy_generator():
    with pytest.raises(ValueError, match="draw='latent' with generator='legacy'"):
        ProblemParams(draw="latent", generator="legacy", train="p_only")


def test_label_noise_at_or_above_one_half_warns_but_is_accepted():
    from theory.records import AssumptionWarning

    with pytest.warns(AssumptionWarning, match="label_noise=0.9"):
        p = ProblemParams(label_noise=0.9, train="p_only")
    assert p.n_noisy == 18
    with pytest.warns(AssumptionWarning):
        ProblemParams(label_noise=0.5)


def test_numpy_scalars_are_accepted_and_normalised():
    params = ProblemParams(
        dim=np.int64(300),
        n_train=np.int32(10),
        seed=np.uint16(7),
        test_seed=np.int64(3),
        signal_norm=np.float32(2.5),
        rho=np.float64(0.25),
        step_size=np.int64(1),
    )
    assert params == ProblemParams(dim=300, n_train=10, seed=7, test_seed=3, signal_norm=2.5, rho=0.25, step_size=1.0)
    for name in ("dim", "n_train", "seed", "test_seed"):
        assert type(getattr(params, name)) is int, name
    for name in ("signal_norm", "rho", "step_size"):
        assert type(getattr(params, name)) is float, name
    assert hash(params) == hash(
        ProblemParams(dim=300, n_train=10, seed=7, test_seed=3, signal_norm=2.5, rho=0.25, step_size=1.0)
    )
    assert ProblemParams.from_toml(params.to_toml()) == params


@pytest.mark.parametrize(
    "field,value",
    [
        ("dim", np.True_),
        ("dim", np.float64(3.0)),
        ("signal_norm", np.True_),
        ("signal_norm", np.array([1.0])),
        ("seed", np.int64(-1)),
        ("signal_norm", np.float32("nan")),
    ],
)
def test_numpy_values_that_break_a_rule_are_refused(field, value):
    with pytest.raises(ValueError, match=f"^{field}="):
        ProblemParams(**{field: value})
