"""The tau = 0 baseline: the untrained model (p = 0, uniform attention) on data drawn by
``numerics.data.make_data``, against the closed form Phi(||mu|| / sqrt(2T)).

The Monte Carlo is an independent computation (the actual data generator and head); each
tolerance is a stated multiple of its Monte Carlo standard error.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

from numerics.data import make_data
from theory import bounds
from theory import symbols as sym
from theory.params import ProblemParams

N_TEST = 20_000  # standard error of an accuracy near 0.9: about 0.002
Z = 4.0  # tolerance in standard errors (a false failure about 6e-5 of the time)


def untrained_outputs(params: ProblemParams) -> tuple[np.ndarray, np.ndarray]:
    """f(X) = sum_t softmax(0)_t nu^T x_t on the clean test split, and its true labels."""
    data = make_data(params)
    tokens = data.test.tokens
    logits = np.zeros(tokens.shape[:2])  # p = 0: every logit x_t^T W p is 0
    weights = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    scores = tokens @ data.nu
    return (weights * scores).sum(axis=1), data.test.true_labels


@pytest.mark.parametrize("seq_len,signal_norm,rho", [(8, 5.0, 0.1), (8, 10.0, 0.3), (4, 2.0, 0.5), (3, 1.0, 0.1)])
def test_untrained_accuracy_mean_and_variance_match_the_closed_form(seq_len, signal_norm, rho):
    params = ProblemParams(
        n_train=4, n_test=N_TEST, seq_len=seq_len, dim=16, signal_norm=signal_norm, rho=rho, label_noise=0.0, seed=7
    )
    f, labels = untrained_outputs(params)
    predicted = bounds.BASELINE_TEST_ACCURACY.stable(signal_norm=signal_norm, seq_len=seq_len)
    accuracy = float(np.mean(np.sign(f) == labels))
    standard_error = math.sqrt(predicted * (1 - predicted) / N_TEST)
    assert abs(accuracy - predicted) <= Z * standard_error + 1e-12

    values = {sym.seq_len: seq_len, sym.signal_norm: signal_norm, sym.rho: rho}
    mean = float(bounds.baseline_output_mean_expr().subs(values))
    variance = float(bounds.baseline_output_variance_expr().subs(values))
    margins = labels * f
    assert abs(margins.mean() - mean) <= Z * math.sqrt(variance / N_TEST)
    # The sample variance of N normal draws has standard error variance * sqrt(2 / (N - 1)).
    assert abs(margins.var(ddof=1) - variance) <= Z * variance * math.sqrt(2 / (N_TEST - 1))


def test_published_numbers_and_the_general_role_counts():
    assert bounds.BASELINE_TEST_ACCURACY.stable(signal_norm=5, seq_len=8) == pytest.approx(0.894, abs=5e-4)
    assert bounds.BASELINE_TEST_ACCURACY.stable(signal_norm=10, seq_len=8) == pytest.approx(0.994, abs=5e-4)
    # Two relevant tokens, two aligned, one opposite: Phi(||mu|| (2 + rho) / sqrt(2T)).
    general = bounds.baseline_test_accuracy_expr(relevant=2, aligned=2, opposite=1)
    value = float(general.subs({sym.signal_norm: 3, sym.rho: sympy.Rational(1, 5), sym.seq_len: 8}))
    assert value == pytest.approx(0.5 * math.erfc(-3 * 2.2 / 4 / math.sqrt(2)), rel=1e-14)
