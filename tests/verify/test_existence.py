"""The v1 existence construction: the paper's three solutions, a case the window gets wrong,
and its command."""

from __future__ import annotations

import dataclasses

import pytest

from numerics.data import make_data
from theory.params import ProblemParams
from verify.cli import main as cli_main
from verify.experiments.existence import check_existence, existence_construction

V1_FIGURE_1 = ProblemParams(dim=10_000, signal_norm=20.0, n_train=100, rho=0.2, n_test=200)


@pytest.fixture(scope="module")
def data():
    return make_data(V1_FIGURE_1)


def test_existence_construction_reproduces_the_papers_three_solutions(data):
    # v1: d = 1e4, ||mu|| = 20, n = 100, T = 8, rho = 0.2, eta = 0.2:
    # lambda 0.06 benign (1.0, 1.0); 1 harmful (1.0, ~0.6); 0.001 not overfitting (0.8, 1.0).
    benign = existence_construction(V1_FIGURE_1, 0.06, data=data)
    harmful = existence_construction(V1_FIGURE_1, 1.0, data=data)
    clean = existence_construction(V1_FIGURE_1, 0.001, data=data)
    assert (benign["train_acc"], benign["test_acc"], benign["regime"]) == (1.0, 1.0, "benign")
    assert harmful["train_acc"] == 1.0 and 0.45 < harmful["test_acc"] < 0.75 and harmful["regime"] == "harmful"
    assert clean["train_acc"] == pytest.approx(0.8) and clean["test_acc"] == 1.0
    assert clean["regime"] == "not_overfitting"
    assert check_existence(V1_FIGURE_1, 0.06, data=data).passed is True
    assert check_existence(V1_FIGURE_1, 1.0, data=data).passed is True


def test_existence_check_fails_when_the_construction_disagrees_with_the_window(data):
    # Scored on its own training set, lambda = 1 (above the window: "harmful") generalises.
    memorised = dataclasses.replace(data, test=data.train)
    result = check_existence(V1_FIGURE_1, 1.0, data=memorised)
    assert result.predicted["regime"] == "harmful" and result.observed["regime"] == "benign"
    assert result.passed is False


def test_existence_command_prints_and_exits_by_the_outcome(capsys):
    small = ["--dim", "2000", "--n-train", "20", "--n-test", "50"]
    assert cli_main(["existence", *small, "--lambda", "0.01"]) in (0, 1)
    out = capsys.readouterr().out
    assert "heuristic window" in out and "lambda = 0.01" in out
    assert cli_main(["existence", *small, "--lambda", "-1", "--quiet"]) == 2
