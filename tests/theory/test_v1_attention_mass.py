"""The v1 attention-mass conditions (Eq. 9, Eq. 10, the authors' rule) and the existence window."""

from __future__ import annotations

import pytest

from theory.attention_mass import (
    ATTENTION_MASS,
    EQ9_CLEAN_DOMINATES,
    EQ10_BALANCE_LOWER,
    EQ10_BALANCE_UPPER,
    EXISTENCE_WINDOW_LOWER,
    EXISTENCE_WINDOW_UPPER,
    MASS_RULE,
)
from theory.params import ProblemParams
from theory.records import Status, Tag
from theory.registry import get


def test_open_conditions_need_their_constant_and_the_measured_quantities():
    params = ProblemParams()
    for condition in (EQ9_CLEAN_DOMINATES, EQ10_BALANCE_LOWER, EQ10_BALANCE_UPPER, MASS_RULE):
        assert condition.tag is Tag.OPEN and get(condition.name) is condition
    supplied = {"clean_mass_min": 3.0, "token_mass_max": 2.0}
    assert EQ9_CLEAN_DOMINATES.evaluate(params, supplied=supplied).missing == ("C_eq9",)
    assert EQ9_CLEAN_DOMINATES.evaluate(params, {"C_eq9": 1}).missing == ("clean_mass_min", "token_mass_max")
    assert EQ9_CLEAN_DOMINATES.evaluate(params, {"C_eq9": 1}, supplied=supplied).status is Status.HOLDS
    assert EQ9_CLEAN_DOMINATES.evaluate(params, {"C_eq9": 2}, supplied=supplied).status is Status.FAILS
    # Eq. 10 is two-sided around the tau = 0 balance 1.
    for balance, lower, upper in (
        (1.0, Status.HOLDS, Status.HOLDS),
        (3.0, Status.HOLDS, Status.FAILS),
        (0.25, Status.FAILS, Status.HOLDS),
    ):
        values = {"class_balance": balance}
        assert EQ10_BALANCE_LOWER.evaluate(params, {"C_eq10": 2}, supplied=values).status is lower
        assert EQ10_BALANCE_UPPER.evaluate(params, {"C_eq10": 2}, supplied=values).status is upper
    # The authors' study: 1.39 generalised, 0.78 collapsed, with their threshold about 1.
    assert MASS_RULE.evaluate(params, {"C_mass": 1}, supplied={"mass_ratio": 1.39}).status is Status.HOLDS
    assert MASS_RULE.evaluate(params, {"C_mass": 1}, supplied={"mass_ratio": 0.78}).status is Status.FAILS


@pytest.mark.parametrize(
    "scale,inside,regime",
    [(0.001, (False, True), "not overfitting"), (0.06, (True, True), "benign"), (1.0, (True, False), "harmful")],
)
def test_heuristic_existence_window_places_the_papers_three_lambdas(scale, inside, regime):
    # v1 existence construction at d = 1e4, ||mu|| = 20, n = 100, rho = 0.2: the paper reports
    # lambda = 0.001 not overfitting, 0.06 benign, 1 harmful.
    params = ProblemParams(dim=10_000, signal_norm=20.0, n_train=100, rho=0.2)
    assert EXISTENCE_WINDOW_LOWER.tag is Tag.HEURISTIC and EXISTENCE_WINDOW_UPPER.tag is Tag.HEURISTIC
    lower = EXISTENCE_WINDOW_LOWER.evaluate(params, supplied={"existence_scale": scale})
    upper = EXISTENCE_WINDOW_UPPER.evaluate(params, supplied={"existence_scale": scale})
    assert (lower.holds, upper.holds) == inside, regime
    assert lower.rhs == pytest.approx(0.8 * 400 / 10_000) and upper.rhs == pytest.approx(0.8 * 400 / 1000)


def test_attention_mass_formula_is_a_times_one_minus_a():
    assert ATTENTION_MASS.evaluate({"relevant_mass": 0.25}) == pytest.approx(0.1875)
    assert ATTENTION_MASS.stable(relevant_mass=0.5) == 0.25
