"""The engines' attention-mass sums (numerics.mass) against the attention they record at every step."""

from __future__ import annotations

import numpy as np
import pytest

from numerics.data import make_data
from numerics.gd import run_direct
from numerics.mass import MassLedger
from numerics.reduced import run_reduced
from theory.params import ProblemParams


@pytest.mark.parametrize("train,relevant_tokens", [("p_only", 1), ("joint", 1), ("p_only", 2)])
def test_engines_sum_s_over_the_steps_before_each_checkpoint(train, relevant_tokens):
    params = ProblemParams(
        dim=30,
        signal_norm=5.0,
        n_train=8,
        n_test=10,
        steps=25,
        step_size=0.05,
        train=train,
        label_noise=0.25,
        relevant_tokens=relevant_tokens,
        weak_tokens=relevant_tokens,
    )
    data = make_data(params)
    every_step = run_direct(params, data=data, record_every=1).arrays
    s = every_step["attention_train"]
    a = s[:, :, :relevant_tokens].sum(axis=-1)
    # Independent: the sum over states 0 .. k - 1 (the forward passes before updates 0 .. k - 1).
    expected = np.array([(a[:k] * (1 - a[:k])).sum(axis=0) for k in range(params.steps + 1)])
    token = np.array([(s[:k] * (1 - s[:k])).sum(axis=0).max() if k else 0.0 for k in range(params.steps + 1)])
    assert np.allclose(every_step["mass_cumulative"], expected, rtol=1e-12, atol=0)
    assert np.allclose(every_step["token_mass_max"], token, rtol=1e-12, atol=0)
    for engine in (run_direct, run_reduced):
        thinned = engine(params, data=data, record_every=7).arrays
        steps = thinned["step"]
        assert steps.tolist() == [0, 7, 14, 21, 25]
        assert np.allclose(thinned["mass_cumulative"], expected[steps], rtol=1e-9, atol=1e-14)
        assert np.allclose(thinned["token_mass_max"], token[steps], rtol=1e-9, atol=1e-14)


def test_ledger_sums_the_attention_of_the_relevant_set_before_a_times_one_minus_a():
    s = np.array([[0.5, 0.2, 0.3], [0.1, 0.1, 0.8]])
    ledger = MassLedger((2, 3), (0, 1))
    ledger.add(s)
    ledger.add(s)
    row = ledger.snapshot()
    assert row["mass_cumulative"].tolist() == pytest.approx([2 * 0.7 * 0.3, 2 * 0.2 * 0.8])
    assert row["token_mass_max"] == pytest.approx(2 * 0.5 * 0.5)
    with pytest.raises(ValueError, match="relevant token positions"):
        MassLedger((2, 3), (3,))
