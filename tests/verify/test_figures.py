"""Every figure command on tiny inputs writes a PNG and a PDF."""

from __future__ import annotations

import numpy as np
import pytest

from verify.cli import main as cli_main

TINY_RUN = ["--steps", "60", "--step-size", "0.1", "--n-test", "30"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "r"
    assert cli_main(["run", "--dim", "50", "--signal-norm", "4", *TINY_RUN, "--out", str(out), "--quiet"]) == 0
    return out


@pytest.mark.parametrize(
    "name, extra",
    [
        ("dynamics", ["--setting", "50,3", "--setting", "80,1", "--setting", "40,8", *TINY_RUN]),
        ("plateaus", ["--setting", "50,3", "--setting", "40,8", *TINY_RUN]),
        ("existence", ["--dim", "300", "--n-train", "20", "--n-test", "40", "--lambdas", "0.001,0.05,1"]),
        ("delay", ["--dim", "50", "--signal-norm", "3", *TINY_RUN]),
    ],
)
def test_figure_from_parameters(tmp_path, name, extra):
    assert cli_main(["figure", name, *extra, "--out", str(tmp_path), "--quiet"]) == 0
    for suffix in ("png", "pdf"):
        assert (tmp_path / f"{name}.{suffix}").stat().st_size > 1000


def test_gaps_figure_from_a_run(tmp_path, tiny_run):
    assert cli_main(["figure", "gaps", "--run", str(tiny_run), "--out", str(tmp_path), "--quiet"]) == 0
    assert (tmp_path / "gaps.png").is_file() and (tmp_path / "gaps.pdf").is_file()


def test_dynamics_figure_of_a_run_directory_is_its_figure_as_png_and_pdf(tmp_path, tiny_run):
    # The run directory keeps a PNG only; `figure dynamics --run` draws the same figure, PDF too.
    from matplotlib.testing.compare import compare_images

    assert not (tiny_run / "figures" / "dynamics.pdf").exists()
    assert cli_main(["figure", "dynamics", "--run", str(tiny_run), "--out", str(tmp_path), "--quiet"]) == 0
    assert (tmp_path / "dynamics.pdf").stat().st_size > 1000
    assert compare_images(str(tiny_run / "figures" / "dynamics.png"), str(tmp_path / "dynamics.png"), tol=0) is None


def test_phase_figure_from_a_sweep(tmp_path, tiny_sweep):
    assert (
        cli_main(
            [
                "figure",
                "phase",
                "--sweep",
                str(tiny_sweep),
                "--boundary-constant",
                "4",
                "--out",
                str(tmp_path),
                "--quiet",
            ]
        )
        == 0
    )
    assert (tmp_path / "phase.png").is_file()
    assert cli_main(["figure", "phase", "--out", str(tmp_path), "--quiet"]) == 2  # needs --sweep


def test_verify_writes_a_versioned_report(tmp_path, tiny_run):
    import json

    assert cli_main(["verify", str(tiny_run), "--quiet", "--overwrite"]) in (0, 1)
    report = json.loads((tiny_run / "report.json").read_text())
    assert report["schema_version"] == 3 and report["verdict"] in (
        "benign",
        "harmful",
        "not_overfitting",
        "undetermined",
    )
    names = [c["name"] for c in report["checks"]]
    assert names == [
        "regime",
        "loss_plateau",
        "g_growth_lambda_clean",
        "g_growth_gamma_noisy",
        "delayed_generalization",
        "mass_balance",
    ]
    assert set(report["classification"]) >= {"regime", "outcome", "timeline", "tolerances"}
    assert "margins" in report["hypotheses"]["v1"] and "noisy_role_counts" in report["mechanism"]
    assert {"versions", "git_commit", "precision", "engine", "seed"} <= set(report["provenance"])
    assert "## Checks" in (tiny_run / "report.md").read_text()


def test_figures_leave_matplotlib_global_state_alone(make_trajectory):
    import matplotlib

    before = dict(matplotlib.rcParams)
    from verify.plots import dynamics_figure

    fig = dynamics_figure([make_trajectory(np.linspace(0.0, 1.0, 5), clean_gap=lambda t: t, noisy_gap=lambda t: t)])
    assert dict(matplotlib.rcParams) == before
    assert fig.axes and fig.get_dpi() == 150
    # A plain Figure: pyplot neither imported for it nor holding it (nothing to close).
    assert fig.canvas.manager is None


def test_figure_refuses_to_overwrite_without_overwrite(tmp_path):
    args = [
        "figure",
        "existence",
        "--dim",
        "400",
        "--n-train",
        "10",
        "--n-test",
        "20",
        "--lambdas",
        "0.01,1",
        "--out",
        str(tmp_path),
        "--quiet",
    ]
    assert cli_main(args) == 0
    before = (tmp_path / "existence.png").read_bytes()
    assert cli_main(args) == 2
    assert (tmp_path / "existence.png").read_bytes() == before
    assert cli_main([*args, "--overwrite"]) == 0


def test_report_object_agrees_with_its_document(tiny_run):
    import json

    from verify.files import json_bytes
    from verify.reporting.report import check
    from verify.trajectory import Trajectory

    report = check(Trajectory.load(tiny_run))
    document = report.to_dict()
    # The document is what report.json holds (written by the run from the same trajectory).
    assert json.loads(json_bytes(document)) == json.loads((tiny_run / "report.json").read_text())
    assert report.verdict == document["verdict"] == report.classification.regime
    assert list(report.failed_checks) == document["checks_summary"]["failed_checks"]
    assert report.all_decided_passed == document["checks_summary"]["all_decided_passed"]
    assert [c.name for c in report.checks] == [c["name"] for c in document["checks"]]
    document["verdict"] = "changed"
    assert report.to_dict()["verdict"] == report.verdict  # to_dict hands out a copy
