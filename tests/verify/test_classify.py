"""The regime is decided by outcome: hand-built trajectories for every rule, including runs
where the mechanism and the outcome disagree, and the tolerances."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verify.reporting.classify import OutcomeTolerances, baseline_test_accuracy, classify, clean_test_loss_floor

TIMES = np.linspace(0.0, 20.0, 81)


def rising(rate):
    return lambda t: math.log1p(rate * t)


def test_benign_when_all_fitted_and_test_error_small(make_trajectory):
    c = classify(make_trajectory(TIMES, clean_gap=rising(5.0), noisy_gap=rising(5.0)))
    assert c.regime == "benign"
    assert c.outcome["noisy_fitted_fraction"] == 1.0 and c.outcome["clean_test_error"] == 0.0
    assert c.mechanism["noisy_role_counts"]["weak_opposite"] == 2


def test_mechanism_never_decides_the_regime(make_trajectory):
    # Noisy samples fitted through an irrelevant token (token 5): not the paper's mechanism, but
    # every label is fitted and the model generalises, so the regime is benign.
    gamma_free = make_trajectory(TIMES, clean_gap=rising(5.0), noisy_gap=rising(5.0), noisy_token=5)
    c = classify(gamma_free)
    assert c.mechanism["noisy_role_counts"]["irrelevant"] == 2
    # An irrelevant token has score 0, so the noisy samples are not fitted through it here;
    # the outcome, not the token, says so.
    assert c.outcome["noisy_fitted_fraction"] == 0.0 and c.regime != "harmful"


@settings(max_examples=40, deadline=None)
@given(error=st.floats(0.0, 0.05), token=st.sampled_from([1, 2, 3, 6]))
def test_no_run_with_small_test_error_is_called_harmful(make_trajectory, error, token):
    test_acc = np.full(len(TIMES), 1.0 - error)
    c = classify(
        make_trajectory(TIMES, clean_gap=rising(5.0), noisy_gap=rising(5.0), noisy_token=token, test_acc=test_acc)
    )
    assert c.regime != "harmful"


def test_harmful_when_fitted_but_test_error_large(make_trajectory):
    test_acc = np.full(len(TIMES), 0.8)
    c = classify(make_trajectory(TIMES, clean_gap=rising(5.0), noisy_gap=rising(5.0), test_acc=test_acc))
    assert c.regime == "harmful" and "0.2 > 0.05" in c.reasons[0]
    assert (
        classify(
            make_trajectory(TIMES, clean_gap=rising(5.0), noisy_gap=rising(5.0), test_acc=test_acc),
            tolerances=OutcomeTolerances(error_tolerance=0.25),
        ).regime
        == "benign"
    )


def test_not_overfitting_needs_settled_noisy_margins(make_trajectory):
    # Noisy samples attend ever more to their relevant token: margins go to -1/sqrt 2 and settle.
    settled = make_trajectory(TIMES, clean_gap=rising(50.0), noisy_gap=rising(50.0), noisy_token=0)
    c = classify(settled)
    assert c.regime == "not_overfitting", c.reasons
    # The same run stopped early: margins still near the start, not yet decided.
    early = make_trajectory(np.linspace(0.0, 0.01, 11), clean_gap=rising(50.0), noisy_gap=rising(50.0), noisy_token=0)
    c_early = classify(early)
    assert c_early.regime == "undetermined" and "not yet decided" in c_early.reasons[0]
    # ... unless the user names the horizon.
    assert classify(early, tolerances=OutcomeTolerances(decide_at=0.01)).regime == "not_overfitting"


def test_noisy_margins_rising_towards_zero_are_not_yet_decided(make_trajectory):
    # The noisy sample's relevant-token gap shrinks over the run: its margin rises towards 0.
    rising_margin = make_trajectory(TIMES, clean_gap=rising(50.0), noisy_gap=lambda t: 6.0 - 0.075 * t, noisy_token=0)
    c = classify(rising_margin)
    assert c.regime == "undetermined" and "still moving" in c.reasons[0]


def test_clean_samples_not_fitted_or_non_finite_outputs_are_undetermined(make_trajectory):
    unfitted = make_trajectory(TIMES, clean_gap=rising(5.0), noisy_gap=rising(5.0))
    unfitted.arrays["train_outputs"][:, 3] *= -1.0  # clean sample 3 on the wrong side
    c = classify(unfitted)
    assert c.regime == "undetermined" and "clean training labels not all fitted" in c.reasons[0]
    broken = make_trajectory(TIMES, clean_gap=rising(5.0), noisy_gap=rising(5.0))
    broken.arrays["train_outputs"][-1, 3] = np.nan
    broken.arrays["train_acc_clean"][-1] = np.nan
    c = classify(broken)
    assert c.regime == "undetermined" and "not finite" in c.reasons[0]


def test_timeline_records_labels_changes_and_the_two_times(make_trajectory):
    test_loss = np.where(TIMES >= 12.0, clean_test_loss_floor() + 0.001, 0.6)
    c = classify(make_trajectory(TIMES, clean_gap=rising(5.0), noisy_gap=lambda t: -3.0 + 0.5 * t, test_loss=test_loss))
    t = c.timeline
    assert len(t["regime"]) == len(TIMES) and t["regime"][-1] == "benign"
    assert t["changes"][-1]["to"] == "benign"
    fitted_from = t["time_all_fitted"]
    assert 0 < fitted_from < 12.0 and t["time_generalized"] == 12.0
    assert t["changes"][-1]["time"] == fitted_from


def test_baseline_is_the_papers_untrained_accuracy():
    # Phi(||mu|| / sqrt(2 T)) at T = 8: 0.894 at ||mu|| = 5, 0.994 at ||mu|| = 10.
    assert baseline_test_accuracy(5.0, 8) == pytest.approx(0.894, abs=5e-4)
    assert baseline_test_accuracy(10.0, 8) == pytest.approx(0.994, abs=5e-4)


@pytest.mark.parametrize("field", ["error_tolerance", "loss_tolerance", "settled_margin", "settle_change", "decide_at"])
def test_tolerances_are_validated(field):
    with pytest.raises(ValueError, match=field):
        OutcomeTolerances(**{field: -1.0})
    with pytest.raises(ValueError, match=field):
        OutcomeTolerances(**{field: math.nan})
