"""Compiling registered formulas to numpy and mpmath."""

from __future__ import annotations

import fractions

import mpmath
import numpy as np
import pytest

from numerics.compile import mpmath_growth_inverse, to_mpmath, to_numpy


def test_mpmath_constants_are_exact_at_high_precision():
    floor = to_mpmath("clean_test_loss_floor", digits=80)()
    with mpmath.workdps(80):
        expected = mpmath.log(1 + mpmath.exp(-1 / mpmath.sqrt(2)))
        assert abs(floor - expected) < mpmath.mpf(10) ** -75


def test_mpmath_arguments_enter_exactly():
    # n SNR^2 with n = 20, d = 4500, |mu| = 5 is exactly 1/9; "1/3" as text stays exact.
    value = to_mpmath("n_snr_squared", digits=60)(dim=4500, n_train=20, signal_norm=5)
    with mpmath.workdps(60):
        assert abs(value - mpmath.mpf(1) / 9) < mpmath.mpf(10) ** -58
    plateau = to_mpmath("plateau_not_overfitting", digits=60)(label_noise="1/3")
    same = to_mpmath("plateau_not_overfitting", digits=60)(label_noise=fractions.Fraction(1, 3))
    assert plateau == same


def test_numpy_function_broadcasts():
    g = to_numpy("growth_g")
    x = np.linspace(3.0, 50.0, 7)
    expected = 2 * x + 2 * np.sinh(x - np.log(8))
    np.testing.assert_allclose(g(seq_len=8, gap=x), expected, rtol=1e-14)
    bound = to_numpy("gap_lower_bound")(seq_len=8, gap_initial=1.0, drive_lower=np.array([0.1, 1.0]), time=10.0)
    assert bound.shape == (2,) and bound[0] < bound[1]


def test_calls_name_missing_and_unexpected_arguments():
    with pytest.raises(TypeError, match=r"missing arguments \['gap'\]"):
        to_numpy("growth_g")(seq_len=8)
    with pytest.raises(TypeError, match=r"unexpected \['eta'\]"):
        to_mpmath("plateau_not_overfitting")(label_noise=0.1, eta=0.1)
    with pytest.raises(KeyError, match="unknown formula"):
        to_numpy("nope")


def test_mpmath_growth_inverse_beyond_float_range():
    with mpmath.workdps(50):
        y = mpmath.mpf(10) ** 5000
        x = mpmath_growth_inverse(y, 8)
        assert abs(2 * x + 2 * mpmath.sinh(x - mpmath.log(8)) - y) / y < mpmath.mpf(10) ** -45


def test_digits_are_validated():
    with pytest.raises(ValueError, match="digits"):
        to_mpmath("snr", digits=5)


def test_baseline_accuracy_compiles_with_erfc_for_numpy_and_mpmath():
    signal_norm = np.array([0.5, 5.0, 10.0, 60.0])
    compiled = to_numpy("baseline_test_accuracy")(seq_len=8, signal_norm=signal_norm)
    with mpmath.workdps(30):
        expected = [float(mpmath.ncdf(mpmath.mpf(m) / mpmath.sqrt(16))) for m in signal_norm]
    np.testing.assert_allclose(compiled, expected, rtol=1e-14)
    assert float(to_mpmath("baseline_test_accuracy")(seq_len=8, signal_norm=5)) == pytest.approx(expected[1], rel=1e-15)


def test_both_token_counts_compile_and_differ():
    paper = to_numpy("attention_error")(seq_len=8, gap=2.0)
    exact = to_numpy("attention_error_t_minus_1")(seq_len=8, gap=2.0)
    assert paper == pytest.approx(8 / (np.exp(2.0) + 8), rel=1e-14)
    assert exact == pytest.approx(7 / (np.exp(2.0) + 7), rel=1e-14)
