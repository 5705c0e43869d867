"""Every check against trajectories that must pass it and trajectories that must fail it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from verify.reporting.checks import (
    CheckResult,
    GapDefinition,
    check_delayed_generalization,
    check_g_growth,
    check_mass_balance,
    check_plateau,
    check_regime,
    gap_series,
    run_checks,
)
from verify.reporting.classify import classify, clean_test_loss_floor

TIMES = np.r_[0.0, np.geomspace(1e-2, 1e4, 121)]


def log_gap(rate, slope=1.0):
    """A gap growing like slope * log(rate tau): g of it grows like tau^slope."""
    return lambda t: 3.0 + slope * math.log1p(rate * t)


def test_gap_definitions_by_hand():
    z = np.array([3.0, 1.0, 0.0, -1.0])
    assert gap_series(z, 0, "min") == 2.0
    assert gap_series(z, 0, "mean") == 3.0
    # soft: z_a - log(mean of e^z over the others), so that s_a = e^x / (e^x + T - 1).
    expected = 3.0 - math.log((math.e + 1 + math.exp(-1)) / 3)
    assert gap_series(z, 0, "soft") == pytest.approx(expected)
    s0 = math.exp(3) / np.exp(z).sum()
    x = gap_series(z, 0, "soft")
    assert s0 == pytest.approx(math.exp(x) / (math.exp(x) + 3))
    with pytest.raises(ValueError, match="gap kind"):
        GapDefinition(kind="max")


def test_check_result_validates_and_serialises():
    result = CheckResult(
        name="x",
        reference="r",
        predicted=np.float64(1.0),
        observed={"a": np.int64(2)},
        tolerance=None,
        passed=np.bool_(True),
    )
    assert result.to_dict()["observed"] == {"a": 2} and result.outcome == "pass"
    with pytest.raises(ValueError):
        CheckResult(name="x", reference="r", predicted=None, observed=None, tolerance=None, passed="yes")


# ----------------------------------------------------------------------------- growth of g


@pytest.mark.parametrize("seq_len", [4, 8, 12])
@pytest.mark.parametrize("count", ["T", "T-1"])
def test_g_growth_passes_for_gaps_growing_like_log_tau(make_trajectory, seq_len, count):
    trajectory = make_trajectory(TIMES, clean_gap=log_gap(1.0), noisy_gap=log_gap(2.0), seq_len=seq_len)
    c = classify(trajectory)
    definition = GapDefinition(count=count)
    for group in ("clean", "noisy"):
        result = check_g_growth(trajectory, group, c, definition=definition)
        assert result.passed is True, result.notes
        low, high = result.observed["exponent_range"]
        assert 0.9 < low <= high < 1.1


BAD_GAPS = {
    "frozen": lambda t: 3.0 + min(t, 1.0),
    "one third log": log_gap(1.0, slope=1 / 3),
    "twice log": log_gap(1.0, slope=2.0),
    "sqrt tau": lambda t: 3.0 + math.sqrt(t) / 10,
    "tau squared": lambda t: 3.0 + (t / 1e4) ** 2 * 30,
}


@pytest.mark.parametrize("seq_len", [4, 8, 12])
@pytest.mark.parametrize("law", sorted(BAD_GAPS))
def test_g_growth_fails_for_other_growth_laws(make_trajectory, seq_len, law):
    trajectory = make_trajectory(TIMES, clean_gap=BAD_GAPS[law], noisy_gap=BAD_GAPS[law], seq_len=seq_len)
    c = classify(trajectory)
    for group in ("clean", "noisy"):
        assert check_g_growth(trajectory, group, c).passed is False, (law, group)


def test_g_growth_fails_for_random_walk_gaps(make_trajectory):
    rng = np.random.default_rng(0)
    failures = 0
    for _ in range(20):
        walk = 4.0 + np.cumsum(rng.normal(0.0, 0.3, len(TIMES)))
        table = dict(zip(TIMES, np.maximum(walk, 2.5)))
        trajectory = make_trajectory(TIMES, clean_gap=table.get, noisy_gap=log_gap(1.0))
        failures += check_g_growth(trajectory, "clean", classify(trajectory)).passed is False
    assert failures == 20


def test_g_growth_undetermined_when_the_stage_is_too_short(make_trajectory):
    short = make_trajectory(np.linspace(0.0, 1.0, 4), clean_gap=log_gap(1.0), noisy_gap=log_gap(1.0))
    assert check_g_growth(short, "clean", classify(short)).passed is None


# ----------------------------------------------------------------------------- regime and plateau


def test_regime_check_fails_when_the_constants_predict_another_regime(make_trajectory):
    trajectory = make_trajectory(TIMES, clean_gap=log_gap(1.0), noisy_gap=log_gap(1.0))
    c = classify(trajectory)
    assert c.regime == "benign"
    assert check_regime(trajectory, c).passed is None  # no constants: undetermined
    benign = {"C_benign": 1e6, "C_clean": 1e6, "C_harm": 1e-6}
    not_overfitting = {"C_benign": 1e-6, "C_clean": 1e-6, "C_harm": 1e-6}
    assert check_regime(trajectory, c, constants=benign).passed is True
    assert check_regime(trajectory, c, constants=not_overfitting).passed is False


def test_plateau_check_fails_off_the_plateau(make_trajectory):
    trajectory = make_trajectory(TIMES, clean_gap=log_gap(1.0), noisy_gap=log_gap(1.0))
    c = classify(trajectory)
    level = check_plateau(trajectory, c).predicted["plateau_benign"]
    on = make_trajectory(TIMES, clean_gap=log_gap(1.0), noisy_gap=log_gap(1.0), train_loss=np.full(len(TIMES), level))
    off = make_trajectory(
        TIMES, clean_gap=log_gap(1.0), noisy_gap=log_gap(1.0), train_loss=np.full(len(TIMES), level + 0.05)
    )
    moving = make_trajectory(
        TIMES, clean_gap=log_gap(1.0), noisy_gap=log_gap(1.0), train_loss=level + 0.2 * TIMES / TIMES[-1]
    )
    assert check_plateau(on, c).passed is True
    assert check_plateau(off, c).passed is False
    assert check_plateau(moving, c).passed is None
    nan = make_trajectory(TIMES, clean_gap=log_gap(1.0), noisy_gap=log_gap(1.0), train_loss=np.full(len(TIMES), np.nan))
    assert check_plateau(nan, c).passed is None


# ----------------------------------------------------------------------------- delayed generalisation


def test_delayed_generalization_passes_fails_and_stays_undetermined(make_trajectory):
    floor = clean_test_loss_floor()
    late = np.where(TIMES >= 100.0, floor, 0.6)
    early = np.full(len(TIMES), floor)  # at the floor before the noisy labels are fitted
    never = np.full(len(TIMES), 0.65)

    def noisy_gap(t):
        return -2.0 + math.log1p(t)  # noisy labels fitted around tau ~ 10

    def result(test_loss):
        trajectory = make_trajectory(TIMES, clean_gap=log_gap(1.0), noisy_gap=noisy_gap, test_loss=test_loss)
        return check_delayed_generalization(trajectory, classify(trajectory))

    passed = result(late)
    assert passed.passed is True and passed.observed["ratio"] > 1
    assert result(early).passed is False
    undecided = result(never)
    assert undecided.passed is None and "does not reach its floor" in undecided.notes


# ----------------------------------------------------------------------------- mass balance


def mass_trajectory(make_trajectory, *, train="p_only", noisy_mass=None, test_acc_end=1.0):
    """Clean samples saturate on their relevant token (little accumulated s_R(1 - s_R)); with
    ``noisy_mass`` the noisy samples keep that much attention on it, accumulating more."""
    test_acc = np.ones_like(TIMES)
    test_acc[-1] = test_acc_end
    trajectory = make_trajectory(TIMES, clean_gap=log_gap(1.0), noisy_gap=log_gap(1.0), train=train, test_acc=test_acc)
    if noisy_mass is not None:
        trajectory.arrays["attention_train"][:, trajectory.noisy, 0] = noisy_mass
    return trajectory


def test_mass_balance_passes_when_the_ratio_and_the_test_accuracy_agree(make_trajectory):
    holds = mass_trajectory(make_trajectory)
    result = check_mass_balance(holds, classify(holds))
    assert result.observed["ratio"] > 1 and result.observed["test_accuracy"] == "holds"
    assert result.passed is True
    # Ratio below 1 and a collapsed test accuracy: the rule's prediction, also a pass.
    collapse = mass_trajectory(make_trajectory, noisy_mass=0.5, test_acc_end=0.5)
    result = check_mass_balance(collapse, classify(collapse))
    assert result.observed["ratio"] < 1 and result.observed["test_accuracy"] == "collapses"
    assert result.passed is True


@pytest.mark.parametrize("noisy_mass,test_acc_end", [(0.5, 1.0), (None, 0.5)])
def test_mass_balance_fails_when_the_test_accuracy_contradicts_the_ratio(make_trajectory, noisy_mass, test_acc_end):
    trajectory = mass_trajectory(make_trajectory, noisy_mass=noisy_mass, test_acc_end=test_acc_end)
    result = check_mass_balance(trajectory, classify(trajectory))
    assert result.passed is False, result.to_dict()


def test_mass_balance_is_undetermined_outside_p_only_training_and_without_noisy_samples(make_trajectory):
    joint = mass_trajectory(make_trajectory, train="joint", noisy_mass=0.5)
    result = check_mass_balance(joint, classify(joint))
    assert result.passed is None and "p-only" in result.notes and result.observed["ratio"] < 1
    clean_only = mass_trajectory(make_trajectory)
    arrays = dict(clean_only.arrays) | {
        "noisy": np.zeros(10, dtype=bool),
        "train_labels": clean_only.arrays["train_true_labels"],
    }
    clean_only = type(clean_only)(params=clean_only.params.replace(label_noise=0.0), source="gd:direct", arrays=arrays)
    result = check_mass_balance(clean_only, classify(clean_only))
    assert result.passed is None and "noisy" in result.notes


def test_run_checks_returns_every_check_of_the_report(make_trajectory):
    trajectory = make_trajectory(TIMES, clean_gap=log_gap(1.0), noisy_gap=log_gap(1.0))
    _, checks = run_checks(trajectory)
    assert [c.name for c in checks] == [
        "regime",
        "loss_plateau",
        "g_growth_lambda_clean",
        "g_growth_gamma_noisy",
        "delayed_generalization",
        "mass_balance",
    ]


def test_g_growth_leaves_gaps_beyond_float64_resolution_unmeasured(make_trajectory):
    # A gap of 60 puts the weight at exactly 1.0 in float64: the predicted growth of the gap
    # (about e^-60 per unit time) cannot show, so a frozen gap there is not evidence against g.
    huge = make_trajectory(TIMES, clean_gap=lambda t: 60.0, noisy_gap=lambda t: 60.0)
    result = check_g_growth(huge, "clean", classify(huge))
    assert result.passed is None and len(result.observed["unresolved_samples"]) == 8
    # The same frozen gap at a resolvable size fails.
    frozen = make_trajectory(TIMES, clean_gap=lambda t: 5.0, noisy_gap=lambda t: 5.0)
    assert check_g_growth(frozen, "clean", classify(frozen)).passed is False
