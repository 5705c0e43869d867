import json
import subprocess
import sys

import numpy as np
import pytest

from verify.cli import main
from verify.trajectory import Trajectory

SMALL = ["--dim", "40", "--steps", "60", "--n-test", "30", "--step-size", "0.2", "--quiet"]


def test_run_writes_a_complete_directory(tmp_path):
    out = tmp_path / "run"
    assert main(["run", *SMALL, "--out", str(out)]) == 0
    for name in (
        "params.toml",
        "trajectory.npz",
        "trajectory.json",
        "report.json",
        "report.md",
        "figures/dynamics.png",
    ):
        assert (out / name).is_file(), name
    report = json.loads((out / "report.json").read_text())
    assert report["verdict"] in ("benign", "harmful", "not_overfitting", "undetermined")
    assert len(report["noisy_attention"]) == 4
    assert {"relevant", "weak_opposite", "irrelevant"} <= set(report["noisy_attention"][0])
    traj = Trajectory.load(out)
    assert traj.params.dim == 40 and traj.arrays["step"][-1] == 60
    assert report["final"]["test_acc"] == traj.arrays["test_acc"][-1]


def test_config_file_and_options(tmp_path):
    config = tmp_path / "run.toml"
    config.write_text("embed_dim = 30\nnum_steps = 5\nrho = 0.2\n")
    out = tmp_path / "run"
    assert main(["run", "--config", str(config), "--steps", "8", "--n-test", "4", "--quiet", "--out", str(out)]) == 0
    params = Trajectory.load(out).params
    assert (params.dim, params.steps, params.rho) == (30, 8, 0.2)


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "verify.cli", *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize(
    "kind, fragment",
    [
        ("shape", "shape (3, 3): must be (40, 40)"),
        ("missing", "does not exist"),
        ("nan", "non-finite entries"),
    ],
)
def test_bad_init_w_is_a_one_line_error_and_writes_nothing(tmp_path, kind, fragment):
    path = tmp_path / "w.npy"
    if kind == "shape":
        np.save(path, np.eye(3))
    elif kind == "nan":
        w = np.eye(40)
        w[3, 5] = np.nan
        np.save(path, w)
    out = tmp_path / "out"
    result = _cli("run", *SMALL, "--init-w", str(path), "--out", str(out), cwd=tmp_path)
    assert result.returncode == 2
    assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == (["w.npy"] if kind != "missing" else [])


def test_init_w_is_used(tmp_path):
    np.save(tmp_path / "w.npy", np.eye(40))
    out_joint, out_p = tmp_path / "a", tmp_path / "b"
    assert main(["run", *SMALL, "--init-w", str(tmp_path / "w.npy"), "--out", str(out_joint)]) == 0
    assert main(["run", *SMALL, "--train", "p_only", "--out", str(out_p)]) == 0
    # From W = I, joint training moves W but its first step equals p-only training's first step.
    a, b = Trajectory.load(out_joint).arrays, Trajectory.load(out_p).arrays
    np.testing.assert_allclose(a["step_loss"][:2], b["step_loss"][:2], rtol=1e-14)
    assert abs(a["step_loss"][-1] - b["step_loss"][-1]) > 1e-9


def test_refuses_to_replace_a_different_run(tmp_path):
    out = tmp_path / "run"
    assert main(["run", *SMALL, "--out", str(out)]) == 0
    before = (out / "trajectory.npz").read_bytes()
    assert main(["run", *SMALL, "--rho", "0.3", "--out", str(out)]) == 2
    assert (out / "trajectory.npz").read_bytes() == before
    assert main(["run", *SMALL, "--rho", "0.3", "--out", str(out), "--overwrite"]) == 0
    assert Trajectory.load(out).params.rho == 0.3


def test_os_failure_while_writing_is_one_line_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    import verify.files

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device", "report.json")

    monkeypatch.setattr(verify.files, "write_json", disk_full)
    out = tmp_path / "run"
    assert main(["run", *SMALL, "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["benign-attn run: error: No space left on device (report.json)"]
    assert list(tmp_path.iterdir()) == []


def test_summary_prints_verdict_and_check_counts_of_the_report(tmp_path, capsys):
    out = tmp_path / "run"
    argv = [a for a in SMALL if a != "--quiet"]
    assert main(["run", *argv, "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    report = json.loads((out / "report.json").read_text())
    counts = report["checks_summary"]
    assert printed[0].startswith(f"verdict: {report['verdict']} — ")
    assert printed[1].startswith(f"checks against the theory: {counts['passed']} passed, {counts['failed']} failed")
    assert len(report["checks"]) == counts["passed"] + counts["failed"] + counts["undetermined"]


def test_ctrl_c_surfacing_as_an_import_failure_is_an_interrupt(monkeypatch, capsys):
    """Ctrl-C while a compiled module initialises shows up as ImportError("initialization
    failed") with the KeyboardInterrupt in its context; it must end like any Ctrl-C."""
    import verify.cli as cli

    def interrupted_import(*commands):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise ImportError("initialization failed") from None

    monkeypatch.setattr(cli, "build_parser", interrupted_import)
    assert cli.main(["run"]) == 130
    assert capsys.readouterr().err.strip() == "benign-attn: interrupted; finished results are kept"

    def broken_import(*commands):
        raise ImportError("a real import failure")

    monkeypatch.setattr(cli, "build_parser", broken_import)
    with pytest.raises(ImportError, match="a real import failure"):
        cli.main(["run"])


def test_default_run_folders_differ_by_layout_training_and_draw():
    from theory.params import ProblemParams
    from verify.commands.run import default_out

    folders = {
        default_out(ProblemParams(**kw))
        for kw in ({}, {"layout": "official"}, {"train": "p_only"}, {"draw": "latent", "init": "gaussian"})
    }
    assert len(folders) == 4
    assert str(default_out(ProblemParams())) == "runs/d2000-mu20-seed42"


def test_both_engines_evaluate_make_datas_test_set(tmp_path):
    # The reduced engine projects make_data's test set block by block; the direct engine holds it
    # whole. Same numbers up to rounding; an in-distribution draw would differ at O(1/sqrt(30)).
    runs = {}
    for engine in ("reduced", "direct"):
        assert main(["run", *SMALL, "--engine", engine, "--out", str(tmp_path / engine)]) == 0
        runs[engine] = Trajectory.load(tmp_path / engine).arrays
    assert runs["reduced"]["test_outputs"].shape == (61, 30)
    for name in ("test_outputs", "test_loss", "test_attention_roles"):
        np.testing.assert_allclose(runs["reduced"][name], runs["direct"][name], rtol=1e-9, atol=1e-12, err_msg=name)


def test_warnings_are_lines_of_the_command_output(tmp_path):
    # A warning reads as the command's own line, not as a file and line of the source.
    result = subprocess.run(
        [sys.executable, "-m", "verify.cli", "run", *SMALL, "--label-noise", "0.6", "--out", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stderr.splitlines() == [
        "benign-attn: warning: label_noise=0.6: the paper's results assume label_noise < 1/2 "
        "(more labels are flipped than kept)"
    ]
