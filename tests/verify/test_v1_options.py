"""The v1 data options through the verify layer: role masses and the mechanism with several
tokens per role, run directories keeping the new fields, sweeps over label noise up to 0.9."""

import json
import subprocess
import sys

import numpy as np
import pytest

from numerics.metrics import role_attention
from theory.params import ProblemParams
from theory.roles import token_roles
from verify.cli import main
from verify.reporting.classify import selected_roles
from verify.trajectory import Trajectory

TWO_PER_ROLE = token_roles(ProblemParams(seq_len=8, relevant_tokens=2, weak_tokens=2))


def test_role_attention_sums_each_role_over_its_positions():
    attention = np.array([[0.1, 0.2, 0.05, 0.05, 0.3, 0.1, 0.15, 0.05]])
    np.testing.assert_allclose(role_attention(attention, TWO_PER_ROLE), [[0.3, 0.1, 0.4, 0.2]])
    with pytest.raises(ValueError, match="attention over 8 tokens: the token roles describe 4"):
        role_attention(attention, token_roles(ProblemParams(seq_len=4)))


def test_mechanism_counts_the_mass_of_a_role_set():
    # The relevant set (0.6) carries the most mass though its tokens are each below token 2.
    spread = [0.3, 0.3, 0.35, 0.0, 0.0, 0.0, 0.05, 0.0]
    # One irrelevant token above every role set: irrelevant tokens compete one by one.
    memorised = [0.1, 0.1, 0.05, 0.05, 0.1, 0.1, 0.45, 0.05]
    opposite = [0.05, 0.05, 0.0, 0.0, 0.3, 0.3, 0.15, 0.15]
    assert selected_roles(np.array([spread, memorised, opposite]), TWO_PER_ROLE) == [
        "relevant",
        "irrelevant",
        "weak_opposite",
    ]
    # The paper's layout: the token with the largest attention decides, as before.
    one_per_role = token_roles(ProblemParams(seq_len=4))
    assert selected_roles(np.array([[0.2, 0.3, 0.4, 0.1], [0.1, 0.1, 0.1, 0.7]]), one_per_role) == [
        "weak_opposite",
        "irrelevant",
    ]


@pytest.mark.filterwarnings("ignore::theory.records.AssumptionWarning")
def test_run_directory_keeps_the_new_fields(tmp_path):
    out = tmp_path / "run"
    assert (
        main(
            [
                "run",
                "--dim",
                "40",
                "--steps",
                "20",
                "--n-test",
                "20",
                "--step-size",
                "0.1",
                "--quiet",
                "--train",
                "p_only",
                "--relevant-tokens",
                "2",
                "--weak-tokens",
                "2",
                "--labels",
                "random",
                "--generator",
                "legacy",
                "--layout",
                "official",
                "--label-noise",
                "0.6",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    params = Trajectory.load(out).params
    assert (params.relevant_tokens, params.weak_tokens, params.labels, params.generator, params.label_noise) == (
        2,
        2,
        "random",
        "legacy",
        0.6,
    )
    assert ProblemParams.load(out / "params.toml") == params
    report = json.loads((out / "report.json").read_text())
    assert report["params"]["relevant_tokens"] == 2
    plateau = next(c for c in report["checks"] if c["name"] == "loss_plateau")
    assert plateau["passed"] is None and "label_noise < 1/2" in plateau["notes"]
    growth = next(c for c in report["checks"] if c["name"] == "g_growth_lambda_clean")
    assert growth["passed"] is None and "one token per role" in growth["notes"]
    noisy = np.flatnonzero(Trajectory.load(out).noisy)
    assert len(noisy) == 12 and len(report["noisy_attention"]) == 12


def test_label_noise_sweep_to_0_9_with_p_only_and_two_tokens_per_role(tmp_path):
    out = tmp_path / "sweep"
    command = [
        sys.executable,
        "-m",
        "verify.cli",
        "sweep",
        "--axis",
        "label_noise=0:0.9:0.3",
        "--train",
        "p_only",
        "--relevant-tokens",
        "2",
        "--weak-tokens",
        "2",
        "--generator",
        "legacy",
        "--layout",
        "official",
        "--n-train",
        "10",
        "--dim",
        "60",
        "--signal-norm",
        "8",
        "--steps",
        "40",
        "--step-size",
        "0.1",
        "--n-test",
        "20",
        "--seed",
        "0",
        "--executor",
        "serial",
        "--quiet",
        "--out",
        str(out),
    ]
    subprocess.run(command, check=True, timeout=300, capture_output=True)
    cells = sorted((out / "cells").glob("*.json"))
    assert len(cells) == 4
    results = [json.loads(path.read_text()) for path in cells]
    assert all(cell["status"] == "success" for cell in results)
    # ceil(10 eta) flips, split over the two class blocks (balanced labels): 0, 2, 6, 8 noisy samples.
    noisy_fitted = [cell["train_acc_noisy"] for cell in results]
    assert noisy_fitted[0] is None and all(v is not None for v in noisy_fitted[1:])


@pytest.mark.parametrize("relevant, weak", [(1, 1), (2, 2), (3, 1)])
def test_baseline_accuracy_with_several_relevant_tokens_matches_a_simulation(relevant, weak):
    """The untrained model (uniform attention) on 40000 drawn test samples: its accuracy is the
    baseline's Phi(R ||mu|| / sqrt(2 T)) within sampling error (sd about 0.0023)."""
    from numerics.data import make_data
    from verify.reporting.classify import baseline_test_accuracy

    params = ProblemParams(
        seq_len=8,
        relevant_tokens=relevant,
        weak_tokens=weak,
        signal_norm=1.0,
        dim=5,
        n_test=40000,
        n_train=2,
        label_noise=0.0,
        rho=0.5,
    )
    data = make_data(params)
    f = (data.test.tokens @ data.nu).mean(axis=1)
    observed = float(np.mean(data.test.labels * f > 0))
    assert observed == pytest.approx(baseline_test_accuracy(1.0, 8, relevant_tokens=relevant), abs=0.012)


def test_predict_says_the_plateaus_do_not_apply_above_one_half(capsys):
    assert main(["predict", "--label-noise", "0.7", "--train", "p_only", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["plateaus"]["plateau_benign"] is None and result["plateaus"]["plateau_not_overfitting"] is None
    assert result["plateaus"]["clean_test_loss_floor"] > 0
    assert any("label_noise=0.7" in note and "< 1/2" in note for note in result["warnings"])
    assert main(["predict", "--label-noise", "0.7"]) == 0
    assert "plateau_benign = - (not derived for label_noise >= 1/2)" in capsys.readouterr().out
