"""What ``benign-attn predict`` tells a first-time user: each warning once and grammatical, every
"-" with what is missing, and a reason for the ``boundary`` regime.

Each test was seen to fail against the code before these messages were fixed (three warnings
with the garbled "...; equivalent to n SNR^2 <= 1 are outside its hypotheses", bare
``time_to_target_gap = -``, bare ``regime: boundary``) and again after reverting each fix
in turn (removing the de-duplication makes ``test_each_warning_is_printed_once`` fail).
"""

from __future__ import annotations

import argparse
import json
import re
import warnings

import pytest

from theory.conditions import CONDITIONS
from theory.params import ProblemParams
from theory.records import AssumptionWarning
from theory.regimes import predict as theory_predict
from verify.commands import predict

# One sentence: "<name> fails: <inequality> is false (<lhs> vs <rhs>), so results that assume
# <reference>, do not cover this setting".
WARNING = re.compile(
    r"^warning: (v1_\w+) fails: [^;]+ is false \([-\d.e+]+ vs [-\d.e+]+\), "
    r"so results that assume [^;]+, do not cover this setting$"
)


def run(argv, capsys):
    parser = argparse.ArgumentParser()
    predict.add_arguments(parser)
    code = predict.main(parser.parse_args(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_every_assumption_warning_is_one_grammatical_sentence(capsys):
    code, _, err = run([], capsys)
    assert code == 0
    lines = err.splitlines()
    # The paper's default setting violates all three v1 order conditions (constant 1).
    assert [WARNING.match(line).group(1) for line in lines] == ["v1_A1_signal", "v1_A1_dimension", "v1_A2"], err
    assert "equivalent to n SNR^2 <= 1 are" not in err


def test_assumption_references_read_as_noun_phrases():
    # The warning embeds the reference between "assume" and ", do not cover": a ";" in it would
    # break the sentence, as "(...); equivalent to n SNR^2 <= 1 are outside its hypotheses" did.
    for condition in CONDITIONS:
        if condition.assumption:
            assert ";" not in condition.reference, condition.name


def test_each_warning_is_printed_once(monkeypatch, capsys):
    # A caller that evaluates the conditions twice (as a longer command may) must not repeat them.
    def predict_twice(*args, **kwargs):
        theory_predict(*args, **kwargs)
        return theory_predict(*args, **kwargs)

    # predict's main imports the prediction when it runs (start-up), so it is replaced at its source.
    monkeypatch.setattr("theory.regimes.predict", predict_twice)
    _, out, err = run(["--json"], capsys)
    assert len(err.splitlines()) == 3, err
    assert len(json.loads(out)["warnings"]) == 3


def test_missing_time_scales_name_the_constant(capsys):
    _, out, _ = run([], capsys)
    line = next(line for line in out.splitlines() if line.startswith("time scales:"))
    assert "time_to_target_gap = - (needs C_drive)" in line
    assert "steps_to_target_gap_t_minus_1 = - (needs C_drive)" in line
    _, out, _ = run(["--constant", "C_drive=1"], capsys)
    assert "needs C_drive" not in out


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--constant", "C_benign=1", "--constant", "C_clean=50", "--constant", "C_harm=1"],
        ["--dim", "1000", "--signal-norm", "80", "--constant", "C_drive=2"],
    ],
)
def test_no_bare_dash_or_undetermined(argv, capsys):
    _, out, _ = run(argv, capsys)
    # Every "-" standing for a value says what it needs; every "undetermined" says what is missing.
    assert not re.search(r"= -(?! \(needs )", out), out
    for line in out.splitlines():
        if "undetermined" in line:
            assert "missing C_" in line or "missing constants: C_" in line, line


def test_boundary_regime_gives_its_reason(capsys):
    # n SNR^2 = 4 at the default setting: above C_benign = 1, below C_clean = 50.
    _, out, _ = run(["--constant", "C_benign=1", "--constant", "C_clean=50", "--constant", "C_harm=1"], capsys)
    first = out.splitlines()[0]
    assert first.startswith("regime: boundary — n SNR^2 lies between C_benign and C_clean"), first
    assert "n SNR^2 > C_benign; n SNR^2 < C_clean" in first


@pytest.mark.parametrize(
    "dim,norm,constants,expected",
    [
        # n SNR^2 = 4 = C_benign = C_clean: both the benign and the not-overfitting condition hold.
        (2000, 20.0, {"C_benign": 4, "C_clean": 4, "C_harm": 1}, "on the benign | not-overfitting boundary itself"),
        # n SNR^2 = 20 * 2500 / 4500 = 11.1 >= C_clean = 5, and SNR = 0.745 < 300 * 4500^(-1/4) = 36.6.
        (
            4500,
            50.0,
            {"C_benign": 1, "C_clean": 5, "C_harm": 300},
            "harmful condition and the not-overfitting condition",
        ),
    ],
)
def test_every_boundary_case_has_its_own_reason(dim, norm, constants, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        prediction = theory_predict(ProblemParams(dim=dim, signal_norm=norm), constants)
    assert prediction.regime == "boundary"
    assert expected in prediction.reason
    assert prediction.to_dict()["reason"] == prediction.reason


def test_decided_and_undetermined_regimes_have_reasons():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        decided = theory_predict(ProblemParams(), {"C_benign": 5, "C_clean": 20, "C_harm": 1})
        missing = theory_predict(ProblemParams(), {"C_benign": 5})
    assert decided.regime == "benign"
    assert decided.reason == "n SNR^2 <= C_benign; n SNR^2 < C_clean; SNR >= C_harm d^(-1/4)"
    assert missing.reason == "needs the constants C_clean, C_harm (--constant NAME=VALUE)"
