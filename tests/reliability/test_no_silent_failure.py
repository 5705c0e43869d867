"""No silent numerical failure, and the symmetries every engine must respect (hypothesis).

Cheap properties run ``settings.default.max_examples`` examples of the active profile
(``HYPOTHESIS_PROFILE=ci``: 2 000, ``thorough``: 10 000); properties that train a model run a
twentieth of that (at least 10).

Paper: the model (softmax attention, logistic loss, GD on (W, p)); derivations/model_loss.py, gradients.py,
joint_flow.py.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from numerics.attention import attend, drive, mean_loss
from numerics.compile import to_numpy
from numerics.data import make_data
from numerics.gd import loss_and_grads, run_direct
from numerics.reduced import run_reduced
from numerics.stable import logistic_loss, logistic_weight, softmax
from numerics.status import Status
from theory.params import ProblemParams
from theory.registry import FORMULAS

EXPENSIVE = settings(max_examples=max(10, settings.default.max_examples // 20))

#: Every float64 that is finite, from the smallest subnormal to the largest.
any_finite = st.floats(allow_nan=False, allow_infinity=False)
extreme_logits = arrays(np.float64, st.integers(1, 10), elements=any_finite)
#: Arrays allowed to hold NaN by design: accuracy of an empty group (no noisy samples).
EMPTY_GROUP_NAN = ("train_acc_noisy", "train_acc_clean")


@given(extreme_logits)
def test_softmax_is_a_distribution_for_every_finite_logit(z):
    s = softmax(z)
    assert np.all(np.isfinite(s)) and np.all(s >= 0)
    assert abs(s.sum() - 1) <= 1e-12
    assert s[np.argmax(z)] >= 1 / z.size - 1e-15


@given(arrays(np.float64, st.integers(1, 10), elements=st.floats(-1e12, 1e12)), st.floats(-1e12, 1e12))
def test_softmax_shift_invariance(z, shift):
    # Exact when the shift loses no digits of the gaps: both are on a grid of 2^-10.
    z, shift = np.round(z * 1024) / 1024, round(shift * 1024) / 1024
    assume(np.all(np.abs(z + shift) < 2**40) and np.all(np.abs(z) < 2**40))
    np.testing.assert_allclose(softmax(z + shift), softmax(z), rtol=1e-12, atol=1e-300)


@given(any_finite)
def test_loss_and_weight_finite_for_every_margin(m):
    loss, weight = logistic_loss(m), logistic_weight(m)
    assert np.isfinite(loss) and loss >= 0 and 0 <= weight <= 1
    # l(-m) - l(m) = m exactly in real arithmetic; relative check where both are representable.
    if abs(m) < 1e300:
        np.testing.assert_allclose(logistic_loss(-m) - loss, m, rtol=1e-12, atol=1e-15)


@st.composite
def _logits_and_scores(draw):
    shape = draw(st.tuples(st.integers(1, 5), st.integers(3, 6)))
    return (
        draw(arrays(np.float64, shape, elements=any_finite)),
        draw(arrays(np.float64, shape, elements=st.floats(-1e150, 1e150))),
    )


@given(_logits_and_scores(), st.integers(0, 2**32 - 1))
def test_attention_loss_and_drive_finite_for_extreme_logits(z_gamma, seed):
    z, gamma = z_gamma
    labels = np.random.default_rng(seed).choice([-1.0, 1.0], z.shape[0])
    s, f = attend(z, gamma)
    loss, c = mean_loss(f, labels), drive(s, gamma, f, labels)
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(f)) and np.isfinite(loss)
    assert np.all(np.isfinite(c))


@EXPENSIVE
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 5),
    T=st.integers(3, 5),
    d=st.integers(2, 6),
    log_scale=st.floats(-3, 150),
)
def test_gradients_finite_or_the_logits_are_not(seed, n, T, d, log_scale):
    """At any scale of (W, p), either the logits overflow (which the engines report) or the
    loss and both gradients are finite."""
    rng = np.random.default_rng(seed)
    tokens, labels = rng.standard_normal((n, T, d)), rng.choice([-1.0, 1.0], n)
    W, p = rng.standard_normal((d, d)) * 10.0**log_scale, rng.standard_normal(d) * 10.0**log_scale
    with np.errstate(over="ignore", invalid="ignore"):
        logits = tokens @ (W @ p)
        loss, grad_W, grad_p = loss_and_grads(W, p, tokens, labels, rng.standard_normal(d))
    if np.all(np.isfinite(logits)):
        assert np.isfinite(loss)
        assert np.all(np.isfinite(grad_W)) or not np.all(np.isfinite(np.outer(grad_p, p)))
        assert np.all(np.isfinite(grad_p)) or not np.all(np.isfinite(W))


def _small_params(*, step_size=st.floats(1e-3, 1e300), signal_norm=st.floats(0.01, 1e3), steps=st.integers(0, 12)):
    return st.builds(
        ProblemParams,
        n_train=st.integers(2, 8),
        seq_len=st.integers(3, 5),
        dim=st.integers(3, 8),
        signal_norm=signal_norm,
        rho=st.floats(0.001, 0.999),
        label_noise=st.floats(0, 0.49),
        n_test=st.integers(1, 6),
        seed=st.integers(0, 2**32 - 1),
        steps=steps,
        step_size=step_size,
        train=st.sampled_from(["joint", "p_only"]),
        layout=st.sampled_from(["independent", "official"]),
    )


small_params = _small_params()
moderate_params = _small_params(step_size=st.floats(1e-3, 5), signal_norm=st.floats(0.1, 50), steps=st.integers(1, 12))


@pytest.mark.parametrize("engine", [run_direct, run_reduced], ids=["direct", "reduced"])
@EXPENSIVE
@given(params=small_params)
def test_a_run_is_finite_or_reports_nonfinite(engine, params):
    """Valid parameters, step sizes up to 1e300: every recorded number is finite, or the run
    says ``nonfinite``; never NaN marked as success."""
    recording = engine(params, data=make_data(params), throw=False)
    if recording.status is Status.SUCCESS:
        for name, values in recording.arrays.items():
            if name not in EMPTY_GROUP_NAN:
                assert np.all(np.isfinite(values)), f"{name} not finite in a successful run: {values}"
    else:
        assert recording.status is Status.NONFINITE, recording.message


def _mirror(data):
    """Swap the two classes: exchange coordinates 0 and 1 (mu_1 <-> mu_2) and negate the labels."""
    import dataclasses as dc

    def swap(split):
        tokens = split.tokens.copy()
        tokens[..., [0, 1]] = tokens[..., [1, 0]]
        return dc.replace(split, tokens=tokens, labels=-split.labels, true_labels=-split.true_labels)

    return dc.replace(data, train=swap(data.train), test=swap(data.test), mu1=data.mu2.copy(), mu2=data.mu1.copy())


@EXPENSIVE
@given(params=moderate_params, w_seed=st.integers(0, 99))
def test_swapping_the_classes_mirrors_the_trajectory(params, w_seed):
    """Exchanging mu_1 and mu_2 and every label, with the permuted W_0 (P W_0 P), leaves the
    logits, attention, losses and accuracies unchanged (the head nu is fixed, so gamma and
    y change sign together).

    Paper: Section 3, the model's symmetry between the classes.
    """
    data = make_data(params)
    w0 = np.random.default_rng(w_seed).uniform(-1, 1, (params.dim, params.dim)) / np.sqrt(params.dim)
    perm = np.arange(params.dim)
    perm[[0, 1]] = [1, 0]
    mirrored = _mirror(data)
    # The fixed head is nu = (e_1 - e_2)/(sqrt 2 ||mu||); with mu_1, mu_2 exchanged the mirrored
    # problem uses the same nu, which the data record still holds.
    a = run_direct(params, data=data, w0=w0, record_every=1, throw=False)
    b = run_direct(params, data=mirrored, w0=w0[np.ix_(perm, perm)], record_every=1, throw=False)
    assert a.status == b.status
    for name in (
        "logits_train",
        "attention_train",
        "train_loss",
        "test_loss",
        "train_acc",
        "test_acc",
        "step_loss",
        "test_attention_roles",
    ):
        np.testing.assert_allclose(b.arrays[name], a.arrays[name], rtol=1e-9, atol=1e-12, err_msg=name)


@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 6),
    T=st.integers(3, 5),
    d=st.integers(2, 6),
    sample=st.integers(0, 5),
    scale=st.floats(0, 3),
)
def test_a_label_flip_changes_only_its_own_sample(seed, n, T, d, sample, scale):
    """Flipping y_i leaves every attention weight, every output f and the drive of every other
    sample bitwise equal; c_i is multiplied by -e^{y_i f_i}, the loss moves by y_i f_i / n and
    the gradient in p by exactly W^T X_i^T (c_i' - c_i).

    Paper: derivations/gradients.py (c_{i,t} = (1/n) g_i y_i s_{i,t} (gamma_{i,t} - f_i)).
    """
    assume(sample < n)
    rng = np.random.default_rng(seed)
    tokens, nu = rng.standard_normal((n, T, d)), rng.standard_normal(d)
    labels = rng.choice([-1.0, 1.0], n)
    W, p = rng.standard_normal((d, d)), rng.standard_normal(d) * scale
    flipped = labels.copy()
    flipped[sample] *= -1
    z = tokens @ (W @ p)
    gamma = tokens @ nu
    s, f = attend(z, gamma)
    c, c_new = drive(s, gamma, f, labels), drive(s, gamma, f, flipped)
    others = np.arange(n) != sample
    np.testing.assert_array_equal(c_new[others], c[others])
    y, fi = labels[sample], f[sample]
    np.testing.assert_allclose(c_new[sample], -np.exp(y * fi) * c[sample], rtol=1e-10, atol=1e-300)
    loss, _, grad_p = loss_and_grads(W, p, tokens, labels, nu)
    loss_new, _, grad_p_new = loss_and_grads(W, p, tokens, flipped, nu)
    np.testing.assert_allclose(loss_new - loss, y * fi / n, rtol=1e-9, atol=1e-13)
    expected = -W.T @ (tokens[sample].T @ (c_new[sample] - c[sample]))
    np.testing.assert_allclose(grad_p_new - grad_p, expected, rtol=1e-9, atol=1e-12)


@EXPENSIVE
@given(params=moderate_params, custom_w=st.booleans())
def test_reduced_and_direct_engines_agree(params, custom_w):
    """The reduced recursion is the same map as direct GD: equal records up to rounding.

    Paper: derivations/joint_flow.py (exact reduced discrete GD).
    """
    data = make_data(params)
    w0 = np.random.default_rng(params.seed).standard_normal((params.dim, params.dim)) / params.dim if custom_w else None
    direct = run_direct(params, data=data, w0=w0, record_every=3, throw=False)
    reduced = run_reduced(params, data=data, w0=w0, record_every=3, throw=False)
    assert direct.status == reduced.status
    assume(direct.status is Status.SUCCESS)
    scale = max(1.0, float(np.abs(direct.arrays["logits_train"]).max()))
    np.testing.assert_allclose(
        reduced.arrays["logits_train"], direct.arrays["logits_train"], rtol=1e-7, atol=1e-9 * scale
    )
    np.testing.assert_allclose(reduced.arrays["step_loss"], direct.arrays["step_loss"], rtol=1e-7, atol=1e-10)


@functools.cache
def _compiled(name: str):
    return to_numpy(FORMULAS[name])


@st.composite
def _formula_arguments(draw, formula):
    from theory.symbols import by_name

    values, exact = {}, {}
    for name in formula.arguments:
        lo, hi = (float(bound.subs(exact)) for bound in formula.domain[name])
        if name in ("seq_len", "dim", "n_train"):
            value = draw(st.integers(int(np.ceil(lo)), int(np.floor(hi))))
        else:
            value = draw(st.floats(lo, hi))
        values[name] = value
        exact[by_name(name)] = value
    return values


@pytest.mark.parametrize("name", list(FORMULAS))
@given(data=st.data())
def test_every_registered_formula_is_finite_on_its_domain(name, data):
    """Each ``theory.registry`` formula, compiled for float64, is finite wherever its declared
    domain says it may be evaluated (no overflow warning either: warnings are errors here).

    Paper: every formula of the registry (its ``reference``).
    """
    formula = FORMULAS[name]
    values = data.draw(_formula_arguments(formula))
    result = np.asarray(_compiled(name)(**values), dtype=np.float64)
    assert np.all(np.isfinite(result)), f"{name}{values} = {result}"
