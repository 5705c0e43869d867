"""Conditions, margins and regime prediction at the paper's settings and at constructed points."""

from __future__ import annotations

import math
import warnings

import pytest

from theory.conditions import BENIGN_UPPER, CONDITIONS, HARM_LOWER, V1_A1_SIGNAL, threshold
from theory.params import ProblemParams
from theory.records import AssumptionWarning, Status
from theory.regimes import predict

# The paper's three settings at n = 20 (balanced, large noise, large signal): (d, |mu|, n SNR^2).
PAPER_SETTINGS = [(2000, 20.0, 4.0), (4500, 5.0, 0.111), (1000, 80.0, 128.0)]


def v1_reference(dim, norm, n=20, T=8, delta=0.01):
    """The v1 assumptions written out by hand: A1 signal, A1 dimension, A2 as (lhs, rhs)."""
    log_term = math.log(T * n / delta)
    return {
        "v1_A1_signal": (dim, n * norm**2),
        "v1_A1_dimension": (dim, n**2 * log_term**2),
        "v1_A2": (norm, dim**0.25 * math.sqrt(log_term)),
    }


@pytest.mark.parametrize("dim,norm,stated", PAPER_SETTINGS)
def test_paper_settings_report_n_snr_squared_and_v1_margins(dim, norm, stated):
    params = ProblemParams(dim=dim, signal_norm=norm)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        prediction = predict(params)
    assert prediction.n_snr_squared == pytest.approx(stated, abs=1e-3 if stated < 1 else 0)
    assert prediction.snr == pytest.approx(norm / math.sqrt(dim), rel=1e-15)
    for name, (lhs, rhs) in v1_reference(dim, norm).items():
        margin = prediction.margin(name)
        assert margin.lhs == pytest.approx(lhs, rel=1e-14)
        assert margin.rhs == pytest.approx(rhs, rel=1e-14)
        assert margin.margin == pytest.approx(lhs - rhs, rel=1e-12)
        assert margin.holds is (lhs >= rhs)
    assert prediction.regime == "undetermined"
    assert prediction.missing_constants == ("C_benign", "C_clean", "C_harm")


def test_paper_defaults_violate_a1_as_the_paper_says_and_warn():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        prediction = predict(ProblemParams())
    messages = [str(w.message) for w in caught if issubclass(w.category, AssumptionWarning)]
    assert [m.split()[0] for m in messages] == ["v1_A1_signal", "v1_A1_dimension", "v1_A2"]
    assert prediction.margin("v1_A1_signal").status is Status.FAILS
    assert prediction.margin("v1_A1_signal").ratio == pytest.approx(0.25)


def test_missing_constant_is_never_filled_in():
    margin = BENIGN_UPPER.evaluate(ProblemParams(), {})
    assert margin.status is Status.UNDETERMINED
    assert margin.missing == ("C_benign",)
    assert margin.lhs is None and margin.margin is None


@pytest.mark.parametrize(
    "dim,norm,expected", [(2000, 20.0, "benign"), (4500, 5.0, "harmful"), (1000, 80.0, "not_overfitting")]
)
def test_regimes_with_user_constants(dim, norm, expected):
    # Constants chosen by hand so the paper's three settings fall in their reported regimes:
    # n SNR^2 = 4 <= 5 (benign), 128 >= 20 (clean); |mu| = 5 < 2.5 * 4500^(1/4) = 20.6 (harmful).
    constants = {"C_benign": 5, "C_clean": 20, "C_harm": "5/2"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        prediction = predict(ProblemParams(dim=dim, signal_norm=norm), constants)
    assert prediction.regime == expected
    assert prediction.missing_constants == ()
    assert prediction.constants == {"C_benign": 5.0, "C_clean": 20.0, "C_harm": 2.5}


def test_between_benign_and_clean_thresholds_is_boundary():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        prediction = predict(ProblemParams(), {"C_benign": 1, "C_clean": 10, "C_harm": 1})
    assert prediction.regime == "boundary"


def test_partial_constants_name_what_is_still_missing():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        prediction = predict(ProblemParams(), {"C_benign": 5})
    assert prediction.regime == "undetermined"
    assert prediction.missing_constants == ("C_clean", "C_harm")


@pytest.mark.parametrize(
    "constants,match",
    [
        ({"C_unknown": 1}, "unknown constant"),
        ({"C_benign": 30, "C_clean": 10}, "C_benign <= C_clean"),
        ({"C_harm": 0}, "must be > 0"),
        ({"C_harm": "2**10"}, "must be a decimal"),
    ],
)
def test_bad_constants_are_rejected_with_the_rule(constants, match):
    with pytest.raises(ValueError, match=match):
        predict(ProblemParams(), constants)


def test_thresholds_are_where_the_margin_vanishes():
    params = ProblemParams(dim=3000, signal_norm=12.0)
    constants = {"C_benign": 3, "C_clean": 9, "C_harm": 2}
    for condition in CONDITIONS:
        boundary = threshold(condition, params, constants)
        if boundary is None:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AssumptionWarning)
            margin = condition.evaluate(params.replace(signal_norm=boundary), constants)
        assert abs(margin.margin) <= 1e-9 * max(abs(margin.lhs), 1.0)
    # Closed forms: |mu| = sqrt(d/n) for A1 and C_harm d^(1/4) for the harmful boundary.
    assert threshold(V1_A1_SIGNAL, params) == pytest.approx(math.sqrt(3000 / 20))
    assert threshold(HARM_LOWER, params, constants) == pytest.approx(2 * 3000**0.25)


def test_failure_probability_is_a_visible_input():
    params = ProblemParams()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        default = predict(params)
        looser = predict(params, inputs={"failure_prob": 0.5})
    assert default.inputs["failure_prob"] == 0.01
    assert default.margin("v1_A2").values["failure_prob"] == 0.01
    assert looser.margin("v1_A2").rhs == pytest.approx(2000**0.25 * math.sqrt(math.log(8 * 20 / 0.5)))


def test_time_scales_need_the_drive_constant():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        without = predict(ProblemParams())
        with_drive = predict(ProblemParams(), {"C_drive": 2})
    target = math.log(8 * 0.99 / 0.01)
    assert without.time_scales["target_gap"] == pytest.approx(target)
    assert without.time_scales["time_to_target_gap"] is None
    expected = (2 * target + 2 * math.sinh(target - math.log(8)) - 2 * math.sinh(-math.log(8))) / 2
    assert with_drive.time_scales["time_to_target_gap"] == pytest.approx(expected, rel=1e-12)
    assert with_drive.time_scales["steps_to_target_gap"] == pytest.approx(expected / 5e-3, rel=1e-12)
    # With T - 1 = 7 competitors (exact for the model's 8 tokens) every scale uses log 7.
    exact_target = math.log(7 * 0.99 / 0.01)
    assert without.time_scales["target_gap_t_minus_1"] == pytest.approx(exact_target)
    exact_time = (2 * exact_target + 2 * math.sinh(exact_target - math.log(7)) - 2 * math.sinh(-math.log(7))) / 2
    assert with_drive.time_scales["time_to_target_gap_t_minus_1"] == pytest.approx(exact_time, rel=1e-12)


def test_plateaus_match_spec_numbers():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        plateaus = predict(ProblemParams()).plateaus
    assert plateaus["plateau_benign"] == pytest.approx(0.452, abs=5e-4)
    assert plateaus["plateau_not_overfitting"] == pytest.approx(0.542, abs=5e-4)
    assert plateaus["clean_test_loss_floor"] == pytest.approx(math.log1p(math.exp(-1 / math.sqrt(2))), rel=1e-15)
