"""Reading an official run: timing conventions, parameters, and an independent loss at step 0."""

from __future__ import annotations

import json

import numpy as np
import pytest

from numerics.data import make_data
from numerics.reduced import run_reduced
from numerics.stable import logistic_loss
from theory.params import ProblemParams
from verify.cli import main as cli_main
from verify.reporting.classify import classify
from verify.reporting.official import parse_flat_yaml, read_official_run
from verify.reporting.report import build_report, exit_status


def test_fixture_reads_with_official_parameters(official_run_dir):
    trajectory = read_official_run(official_run_dir)
    p = trajectory.params
    assert (p.dim, p.signal_norm, p.n_train, p.seq_len, p.rho, p.label_noise) == (2000, 20.0, 20, 8, 0.1, 0.2)
    assert (p.step_size, p.steps, p.n_test, p.seed, p.layout) == (5e-3, 1000, 1000, 42, "official")
    a = trajectory.arrays
    # State 0 and the states after k + 1 updates for logged rows k = 9, 19, ..., 999: the
    # official run's final state is state 1000, whose attention the official code does not record.
    assert a["step"][0] == 0 and a["step"][1] == 10 and a["step"][-2] == 990 and a["step"][-1] == 1000
    assert a["time"][-1] == pytest.approx(5.0)
    np.testing.assert_allclose(a["attention_train"][0], 1 / 8)
    assert np.all(np.isnan(a["attention_train"][-1])) and np.all(np.isfinite(a["attention_train"][:-1]))
    assert a["train_acc_clean"][-1] == 1.0 and a["train_acc_noisy"][-1] == 1.0
    # The README's numbers at the end of the run.
    assert a["test_acc"][-1] == pytest.approx(0.996)
    assert a["train_acc"][-1] == 1.0
    assert a["step_loss"][-1] == pytest.approx(0.4527, abs=5e-5)


def test_step0_loss_matches_an_independent_computation(official_run_dir):
    # At p = 0 attention is uniform, f_i = mean_t nu^T x_{i,t}, whatever W is.
    trajectory = read_official_run(official_run_dir)
    data = make_data(trajectory.params.replace(n_test=1, layout="independent"))
    f = (data.train.tokens @ data.nu).mean(axis=1)
    ours = float(np.mean(logistic_loss(data.train.labels * f)))
    assert ours == pytest.approx(0.66737189, abs=1e-8)
    assert trajectory.arrays["step_loss"][0] == pytest.approx(ours, abs=1e-7)  # float32 in the official run


def test_fixture_is_benign_and_verifies(official_run_dir, tmp_path):
    trajectory = read_official_run(official_run_dir)
    assert classify(trajectory).regime == "benign"
    assert trajectory.arrays["train_acc_noisy"][-1] == 1.0
    report = build_report(trajectory)
    assert exit_status(report) == 0
    assert report["final"]["time"] == pytest.approx(5.0) and report["mechanism"]["checkpoint_time"] == pytest.approx(
        4.95
    )
    out = tmp_path / "imported"
    assert cli_main(["import-official", str(official_run_dir), "--out", str(out), "--quiet"]) == 0
    assert cli_main(["verify", str(out), "--quiet"]) == 0
    # Constants that predict "not overfitting" at n SNR^2 = 4 contradict the benign run: exit 1.
    assert (
        cli_main(
            [
                "verify",
                str(out),
                "--quiet",
                "--constant",
                "C_benign=0.001",
                "--constant",
                "C_clean=0.002",
                "--constant",
                "C_harm=0.001",
            ]
        )
        == 1
    )


def test_yaml_reader_takes_the_flat_subset_and_refuses_the_rest():
    parsed = parse_flat_yaml("a: 1\nb: 2.5e-3\nc: text\nblock:\n  x: true\n")
    assert parsed == {"a": 1, "b": 2.5e-3, "c": "text", "block": {"x": True}}
    for bad in ("a: [1, 2]\n", "a: &anchor 1\n", "just text\n", "a: 1\na: 2\n"):
        with pytest.raises(ValueError):
            parse_flat_yaml(bad)


def _write_official_format(directory, params, recording) -> None:
    """An output directory in the official code's format, written from our engine's run of the
    official layout (state k's attention and loss at row k; every 10th row the metrics of the
    state after that row's update), for settings with no official fixture."""
    a = recording.arrays
    steps = params.steps
    rows = [str(k) for k in range(steps)]
    logged = lambda k: (k + 1) % 10 == 0  # noqa: E731

    def column(values):
        return dict(zip(rows, values))

    stats = {
        "time_step": column(range(steps)),
        "loss": column(float(v) for v in a["step_loss"][:steps]),
        "attention_score": column(a["attention_train"][k].tolist() for k in range(steps)),
        **{
            official: column(float(a[ours][k + 1]) if logged(k) else None for k in range(steps))
            for official, ours in (
                ("train_loss", "train_loss"),
                ("train_accuracy", "train_acc"),
                ("test_loss", "test_loss"),
                ("test_accuracy", "test_acc"),
            )
        },
    }
    (directory / ".hydra").mkdir(parents=True)
    (directory / ".hydra" / "config.yaml").write_text(
        f"train_n: {params.n_train}\nseq_len: {params.seq_len}\nrho: {params.rho}\nembed_dim: {params.dim}\n"
        f"learning_rate: {params.step_size}\nsignal_norm: {params.signal_norm}\nnum_steps: {steps}\n"
        f"noise_ratio: {params.label_noise}\ntest_n: {params.n_test}\nseed: {params.seed}\nlog_interval: 10\n"
    )
    (directory / "stats_time_step.json").write_text(json.dumps(stats))


@pytest.mark.parametrize(
    ("dim", "signal_norm", "verdict"),
    [
        (4500, 5.0, "harmful"),  # large noise: every label fitted, test accuracy 0.871
        (1000, 80.0, "undetermined"),  # large signal: noisy margins still rising at step 1000
    ],
)
def test_imported_large_noise_and_large_signal_runs_verify(tmp_path, capsys, dim, signal_norm, verdict):
    params = ProblemParams(dim=dim, signal_norm=signal_norm, layout="official")
    _write_official_format(tmp_path / "official", params, run_reduced(params, record_every=1))
    out = tmp_path / "imported"
    assert cli_main(["import-official", str(tmp_path / "official"), "--out", str(out), "--quiet"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["verdict"] == verdict and report["final"]["time"] == pytest.approx(5.0)
    assert cli_main(["verify", str(out), "--quiet"]) == 0
