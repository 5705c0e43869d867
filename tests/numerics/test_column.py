"""Column engine (numerics.column): the same GD as run_reduced per cell, a batch-independent
result per cell, and a projected test draw with the law of the d-dimensional one."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from numerics.column import prepare_column, run_reduced_column
from numerics.data import make_data
from numerics.data import test_rng as independent_test_rng
from numerics.reduced import run_reduced
from numerics.status import Status
from theory.params import ProblemParams

# m = n T = 24, so the subspace S* has dimension 2m + 4 = 52: d = 30 is below it, d = 80 above.
SMALL = ProblemParams(n_train=6, seq_len=4, label_noise=0.34, n_test=30, steps=120, step_size=0.01, seed=5)
# Signal norms from fitting the noisy samples (benign-ish) to ignoring them (not overfitting).
NORMS = (0.7, 2.5, 20.0)


def _relative(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


@pytest.mark.parametrize("dim", [30, 80])
def test_column_equals_per_cell_run_reduced_on_the_same_data(dim):
    base = SMALL.replace(dim=dim)
    noise = independent_test_rng(base).standard_normal((base.n_test, base.seq_len, dim))
    column = run_reduced_column(base, NORMS, record_every=40, test_noise=noise)
    fitted = set()
    for mu, recording in zip(NORMS, column):
        params = base.replace(signal_norm=mu)
        reference = run_reduced(params, data=make_data(params), record_every=40)
        assert recording.status is Status.SUCCESS
        np.testing.assert_array_equal(recording.arrays["step"], reference.arrays["step"])
        for key in ("step_loss", "train_loss", "test_loss", "logits_train", "attention_train", "test_attention_roles"):
            assert _relative(recording.arrays[key], reference.arrays[key]) <= 1e-10, (dim, mu, key)
        for key in ("train_acc", "test_acc"):
            np.testing.assert_array_equal(recording.arrays[key], reference.arrays[key])
        fitted.add(float(reference.arrays["train_acc_noisy"][-1]))
    # The grid covers both behaviours: noisy samples fitted for some norm, not for another.
    assert {0.0, 1.0} <= fitted


def test_small_dimension_draws_the_make_data_test_noise_itself():
    base = SMALL.replace(dim=30)
    own, given = (
        run_reduced_column(base, (2.5,), record_every=60, test_noise=noise)[0]
        for noise in (None, independent_test_rng(base).standard_normal((base.n_test, base.seq_len, 30)))
    )
    assert prepare_column(base).test_source == "d-dimensional"
    for key in ("test_loss", "test_attention_roles", "train_loss"):
        np.testing.assert_array_equal(own.arrays[key], given.arrays[key])


def test_a_cell_does_not_depend_on_the_other_cells_of_its_batch():
    base = SMALL.replace(dim=80)
    norms = (0.5, 1.0, 2.5, 4.0, 9.0)
    whole = dict(zip(norms, run_reduced_column(base, norms, record_every=30, batch=2)))
    for subset, batch in (((2.5,), 1), ((9.0, 0.5), 13), ((4.0, 1.0, 2.5), 3)):
        for mu, recording in zip(subset, run_reduced_column(base, subset, record_every=30, batch=batch)):
            for key, values in recording.arrays.items():
                np.testing.assert_array_equal(values, whole[mu].arrays[key], err_msg=f"{mu} {key}")


def test_projected_test_noise_is_the_test_generators_standard_normals():
    base = SMALL.replace(dim=80)
    column = prepare_column(base)
    m = base.n_train * base.seq_len
    assert column.test_source == "subspace" and column.generators.shape == (2 * m + 4, 2 * m + 4)
    expected = independent_test_rng(base).standard_normal((base.n_test * base.seq_len, 2 * m + 4))
    np.testing.assert_array_equal(column.test_noise, expected)


def test_projected_test_draw_has_the_law_of_the_d_dimensional_draw():
    # Final test loss over 60 test seeds: drawn in S* (the engine) vs d-dimensional noise from an
    # independent stream. A wrong frame (a missing generator, a scaled R) shifts this law.
    base = SMALL.replace(dim=80, n_test=20, steps=60)
    projected, full = [], []
    for seed in range(60):
        params = base.replace(test_seed=1000 + seed)
        projected.append(run_reduced_column(params, (2.5,), record_every=60)[0].arrays["test_loss"][-1])
        noise = np.random.default_rng([seed, 77]).standard_normal((base.n_test, base.seq_len, base.dim))
        full.append(run_reduced_column(params, (2.5,), record_every=60, test_noise=noise)[0].arrays["test_loss"][-1])
    assert np.std(full) > 0.01, "the test loss must vary with the test noise for the comparison to bite"
    assert stats.ks_2samp(projected, full).pvalue > 1e-3
    assert abs(np.mean(projected) - np.mean(full)) < 4 * np.std(full) / np.sqrt(60) * np.sqrt(2)


def test_a_non_finite_cell_fails_alone():
    # ||mu||^2 overflows float64 for the second cell: it ends NONFINITE, the first is untouched.
    base = SMALL.replace(dim=30)
    mixed = run_reduced_column(base, (2.5, 1e160), record_every=60)
    alone = run_reduced_column(base, (2.5,), record_every=60)[0]
    assert mixed[1].status is Status.NONFINITE and "step 0" in mixed[1].message
    assert mixed[0].status is Status.SUCCESS
    for key, values in alone.arrays.items():
        np.testing.assert_array_equal(mixed[0].arrays[key], values)


def test_bad_inputs_name_the_value_and_the_rule():
    with pytest.raises(ValueError, match="signal_norm=-1.0"):
        run_reduced_column(SMALL.replace(dim=30), (1.0, -1.0))
    with pytest.raises(ValueError, match="layout='official'"):
        prepare_column(SMALL.replace(dim=30, layout="official"))
    with pytest.raises(ValueError, match="train='p_only'"):
        prepare_column(SMALL.replace(dim=30, train="p_only"))
    with pytest.raises(ValueError, match=r"test_noise of shape \(2, 4, 30\)"):
        prepare_column(SMALL.replace(dim=30), test_noise=np.zeros((2, 4, 30)))
    with pytest.raises(ValueError, match="batch=0"):
        run_reduced_column(SMALL.replace(dim=30), (1.0,), batch=0)
