import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from numerics.stable import logistic_loss, logistic_weight, softmax

finite_logits = arrays(np.float64, st.integers(1, 12), elements=st.floats(-1e4, 1e4))


@given(finite_logits, st.floats(-1e4, 1e4))
def test_softmax_finite_normalised_and_shift_invariant(z, shift):
    s = softmax(z)
    assert np.all(np.isfinite(s)) and np.all(s >= 0)
    assert abs(s.sum() - 1) < 1e-12
    np.testing.assert_allclose(softmax(z + shift), s, atol=1e-12)


@given(st.floats(-1e4, 1e4))
def test_logistic_loss_matches_textbook_form_and_stays_finite(m):
    loss = logistic_loss(m)
    assert np.isfinite(loss) and loss >= 0
    if abs(m) < 30:  # where the textbook form is itself accurate
        np.testing.assert_allclose(loss, np.log1p(np.exp(-m)), rtol=1e-12)
    # d/dm l(m) = -1/(1+e^m): central difference on the stable form
    h = 1e-6 * max(1.0, abs(m))
    derivative = (logistic_loss(m + h) - logistic_loss(m - h)) / (2 * h)
    np.testing.assert_allclose(derivative, -logistic_weight(m), atol=1e-6)


def test_extreme_margins():
    assert logistic_loss(-1e4) == 1e4
    assert logistic_loss(1e4) == 0.0
    assert logistic_weight(-1e4) == 1.0 and logistic_weight(1e4) == 0.0
    np.testing.assert_array_equal(softmax(np.array([1e4, -1e4, 0.0])), [1.0, 0.0, 0.0])


def test_logistic_weight_is_accurate_to_a_few_ulp_against_mpmath():
    # The per-sample weight g = 1/(1 + e^m) decides the slow phase of training, where g is tiny:
    # its relative error must stay at round-off for every margin whose g is a normal float.
    import mpmath

    margins = np.r_[np.linspace(-40, 40, 801), np.geomspace(1e-12, 700, 200), -np.geomspace(1e-12, 700, 200), 0.0]
    with mpmath.workdps(40):
        exact = np.array([float(1 / (1 + mpmath.exp(mpmath.mpf(m)))) for m in margins])
    np.testing.assert_allclose(logistic_weight(margins), exact, rtol=4e-16, atol=0)


def test_softmax_leaves_its_input_alone():
    z = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]])
    before = z.copy()
    softmax(z, axis=0)
    softmax(z)
    np.testing.assert_array_equal(z, before)
