"""The growth function g: identities checked numerically, and the stable float evaluations
(log g, g^{-1} in log space) against mpmath at 50 digits, including gaps ~1e4."""

from __future__ import annotations

import math

import mpmath
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from theory import growth as gr

counts = st.integers(1, 2000)


def mp_growth(x, count):
    return 2 * x + 2 * mpmath.sinh(x - mpmath.log(count))


def mp_inverse_from_log(log_value, count):
    """Independent reference: bisection at 60 digits on g(x) = e^L (g is increasing)."""
    with mpmath.workdps(60):
        target = mpmath.exp(mpmath.mpf(log_value))
        lo, hi = mpmath.mpf(-50), mpmath.log(count) + abs(log_value) + 10
        for _ in range(400):
            mid = (lo + hi) / 2
            if mp_growth(mid, count) < target:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2


@settings(max_examples=60)
@given(count=counts, y=st.floats(-1e6, 1e300))
def test_growth_inverse_round_trips_at_50_digits(count, y):
    x = gr.growth_inverse(y, count)
    with mpmath.workdps(50):
        # g is increasing with g' >= 4, so the residual bounds the root error: |x - x*| <= |g(x) - y| / 4.
        residual = mp_growth(mpmath.mpf(x), count) - y
        slope = 2 + 2 * mpmath.cosh(mpmath.mpf(x) - mpmath.log(count))
        assert abs(residual / slope) <= 1e-13 * max(1.0, abs(x))


@settings(max_examples=40)
@given(count=counts, log_value=st.floats(-5.0, 1e5))
def test_growth_inverse_in_log_space_reaches_huge_gaps(count, log_value):
    x = gr.growth_inverse_log(log_value, count)
    assert math.isfinite(x)
    assert x == pytest.approx(float(mp_inverse_from_log(log_value, count)), rel=1e-13)


@settings(max_examples=60)
@given(count=st.integers(2, 2000), x=st.floats(0.0, 1e4))
def test_log_growth_matches_mpmath(count, x):
    # T >= 2 keeps g(log T) = 2 log T > 0.
    x = x + math.log(count)
    with mpmath.workdps(50):
        reference = mpmath.log(mp_growth(mpmath.mpf(x), count))
    assert gr.log_growth(x, count) == pytest.approx(float(reference), rel=1e-13, abs=1e-13)


def test_gap_of_ten_thousand_does_not_overflow():
    assert gr.log_growth(1e4, 8) == pytest.approx(1e4 - math.log(8), rel=1e-15)
    assert gr.growth_inverse_log(1e4, 8) == pytest.approx(1e4 + math.log(8), rel=1e-15)
    assert gr.log_attention_error(1e4, 8) == pytest.approx(math.log(8) - 1e4, rel=1e-15)
    assert gr.log_growth_difference(1e4, 0.0, 8) == pytest.approx(1e4 - math.log(8), rel=1e-15)


@settings(max_examples=40)
@given(count=st.integers(1, 100), x=st.floats(-20, 20))
def test_derivative_identity_by_finite_differences(count, x):
    # g'(x) = 1 / (s (1 - s)) with s = e^x / (e^x + T), checked by a central difference.
    step = 1e-5
    numeric = (gr.growth(x + step, count) - gr.growth(x - step, count)) / (2 * step)
    s = math.exp(x) / (math.exp(x) + count)
    assert numeric == pytest.approx(1 / (s * (1 - s)), rel=1e-7)


@settings(max_examples=40)
@given(count=st.integers(3, 50), s=st.floats(0.01, 0.99), gamma_a=st.floats(-3, 3), gamma_bar=st.floats(-3, 3))
def test_two_level_identity_numerically(count, s, gamma_a, gamma_bar):
    weights = [s] + [(1 - s) / (count - 1)] * (count - 1)
    scores = [gamma_a] + [gamma_bar] * (count - 1)
    f = sum(w * g for w, g in zip(weights, scores))
    lhs = weights[0] * (scores[0] - f) - weights[1] * (scores[1] - f)
    assert lhs == pytest.approx(count / (count - 1) * s * (1 - s) * (gamma_a - gamma_bar), abs=1e-12)


def test_two_level_identity_symbolically():
    lhs, rhs, _ = gr.two_level_identity()
    assert sympy.simplify(lhs - rhs) == 0


@settings(max_examples=40)
@given(count=counts, low=st.floats(-20, 50), width=st.floats(1e-6, 100))
def test_growth_difference_has_no_cancellation(count, low, width):
    high = low + width
    if not high > low:
        return
    with mpmath.workdps(50):
        reference = mp_growth(mpmath.mpf(high), count) - mp_growth(mpmath.mpf(low), count)
    assert gr.growth_difference(high, low, count) == pytest.approx(float(reference), rel=1e-12)
    assert gr.log_growth_difference(high, low, count) == pytest.approx(
        float(mpmath.log(reference)), rel=1e-12, abs=1e-12
    )


def test_gap_follows_the_growth_law_in_a_simulated_flow():
    # Integrate dx/dtau = c s(1-s) with small Euler steps; g(x) - g(x0) must equal c tau.
    count, drive, x, tau, dt = 8, 0.7, 0.5, 0.0, 1e-4
    while tau < 3.0:
        s = math.exp(x) / (math.exp(x) + count)
        x += dt * drive * s * (1 - s)
        tau += dt
    assert gr.growth(x, count) - gr.growth(0.5, count) == pytest.approx(drive * tau, rel=1e-3)
    assert gr.growth_inverse(gr.growth(0.5, count) + drive * tau, count) == pytest.approx(x, rel=1e-3)


@pytest.mark.parametrize("bad", [0.5, 0.0, -3.0, math.inf, math.nan])
def test_token_count_must_be_at_least_one(bad):
    with pytest.raises(ValueError, match="number of competitors in g must be a finite number >= 1"):
        gr.growth(1.0, bad)


def test_log_growth_rejects_nonpositive_g():
    with pytest.raises(ValueError, match="log g needs g > 0"):
        gr.log_growth(0.1, 8)
