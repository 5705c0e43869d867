"""Which token count makes g match the model's attention: checked at T = 3, 4, 8 against the
softmax of an actual logit vector (numpy), independently of the formulas under test."""

from __future__ import annotations

import math

import numpy as np
import pytest

from theory import bounds
from theory import growth as gr

GAPS = (-2.0, 0.0, 0.7, 3.0, 9.0)


def top_weight(seq_len: int, gap: float) -> float:
    """Softmax weight of token 0 in a T-token logit vector (gap, 0, ..., 0)."""
    logits = np.zeros(seq_len)
    logits[0] = gap
    weights = np.exp(logits - logits.max())
    return float(weights[0] / weights.sum())


@pytest.mark.parametrize("seq_len", [3, 4, 8])
@pytest.mark.parametrize("gap", GAPS)
def test_exact_count_matches_softmax_and_paper_count_does_not(seq_len, gap):
    s = top_weight(seq_len, gap)
    inverse_variance = 1.0 / (s * (1.0 - s))
    exact = bounds.growth_formula("growth_g_derivative", "T-1").stable(seq_len=seq_len, gap=gap)
    paper = bounds.growth_formula("growth_g_derivative", "T").stable(seq_len=seq_len, gap=gap)
    assert exact == pytest.approx(inverse_variance, rel=1e-12)
    assert abs(paper - inverse_variance) > 1e-3 * inverse_variance
    assert bounds.ATTENTION_ERROR_T_MINUS_1.stable(seq_len=seq_len, gap=gap) == pytest.approx(1.0 - s, rel=1e-12)
    # The paper's count overstates the error, by a factor in (1, T/(T-1)).
    ratio = bounds.ATTENTION_ERROR.stable(seq_len=seq_len, gap=gap) / (1.0 - s)
    assert 1.0 < ratio < seq_len / (seq_len - 1)


@pytest.mark.parametrize("seq_len", [3, 4, 8])
def test_paper_count_is_exact_for_one_more_token(seq_len):
    # g with log T is the exact function for T + 1 tokens (one over T equal competitors).
    for gap in GAPS:
        s = top_weight(seq_len + 1, gap)
        assert bounds.GROWTH_G_DERIVATIVE.stable(seq_len=seq_len, gap=gap) == pytest.approx(
            1 / (s * (1 - s)), rel=1e-12
        )


@pytest.mark.parametrize("seq_len", [3, 4, 8])
def test_target_gap_reaches_the_target_error_in_an_actual_softmax(seq_len):
    error = 0.01
    exact_gap = bounds.TARGET_GAP_T_MINUS_1.stable(seq_len=seq_len, target_attention_error=error)
    assert 1.0 - top_weight(seq_len, exact_gap) == pytest.approx(error, rel=1e-12)
    paper_gap = bounds.TARGET_GAP.stable(seq_len=seq_len, target_attention_error=error)
    assert paper_gap - exact_gap == pytest.approx(math.log(seq_len / (seq_len - 1)), rel=1e-12)
    assert 1.0 - top_weight(seq_len, paper_gap) < error


def simulate_gap(seq_len: int, drive: float, gap0: float, horizon: float, steps: int = 20000) -> float:
    """RK4 of dx/dtau = c s(1 - s), s the softmax weight of the top token among T tokens."""

    def rate(x: float) -> float:
        s = top_weight(seq_len, x)
        return drive * s * (1.0 - s)

    x, h = gap0, horizon / steps
    for _ in range(steps):
        k1 = rate(x)
        k2 = rate(x + 0.5 * h * k1)
        k3 = rate(x + 0.5 * h * k2)
        k4 = rate(x + h * k3)
        x += h * (k1 + 2 * k2 + 2 * k3 + k4) / 6
    return x


@pytest.mark.parametrize("seq_len", [3, 4, 8])
def test_gap_flow_of_t_tokens_follows_g_with_t_minus_1(seq_len):
    drive, gap0, horizon = 0.8, 0.5, 40.0
    x = simulate_gap(seq_len, drive, gap0, horizon, steps=4000)
    exact = bounds.GAP_LOWER_BOUND_T_MINUS_1.stable(seq_len=seq_len, gap_initial=gap0, drive_lower=drive, time=horizon)
    paper = bounds.GAP_LOWER_BOUND.stable(seq_len=seq_len, gap_initial=gap0, drive_lower=drive, time=horizon)
    assert exact == pytest.approx(x, rel=1e-9)
    # With the paper's count the "bound" for T tokens is off by far more than the integration error.
    assert abs(paper - x) > 1e-3
    time = bounds.TIME_TO_GAP_T_MINUS_1.stable(seq_len=seq_len, gap_initial=gap0, gap_target=x, drive=drive)
    assert time == pytest.approx(horizon, rel=1e-9)


def test_count_names():
    assert gr.COUNTS == ("T", "T-1")
    assert gr.competitor_count(8, "T") == 8 and gr.competitor_count(8, "T-1") == 7
    with pytest.raises(ValueError, match=r"count='T\+1'"):
        gr.competitor_count(8, "T+1")
    with pytest.raises(KeyError, match="unknown g-based formula 'nope'"):
        bounds.growth_formula("nope", "T")
    for count, family in bounds.GROWTH_FAMILIES.items():
        for formula in family.values():
            assert formula.count == count
            assert ("count T - 1" if count == "T-1" else "count T (the paper's log T)") in formula.description
