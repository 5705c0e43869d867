"""The v1 study commands on tiny grids: the label-noise sweep carries the attention-mass ratios
and accuracies, and its figure and the v1 grid figure draw from them; old run files still load."""

from __future__ import annotations

import json

import numpy as np
import pytest

from numerics.mass import MASS_ARRAYS
from verify.cli import main
from verify.experiments.sweep import MASS_METRICS, load_sweep
from verify.reporting.report import build_report
from verify.trajectory import Trajectory

#: The study's options (the authors' label-noise study) at a tiny size.
STUDY = [
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
    "--seed",
    "0",
    "--dim",
    "60",
    "--signal-norm",
    "8",
    "--steps",
    "40",
    "--n-test",
    "20",
    "--step-size",
    "0.05",
]


def test_label_noise_study_cells_carry_the_ratios_and_accuracies(tmp_path):
    out = tmp_path / "study"
    assert (
        main(["sweep", "--axis", "label_noise=0:0.6:0.3", *STUDY, "--executor", "serial", "--quiet", "--out", str(out)])
        == 0
    )
    result = load_sweep(out)
    assert result.complete
    cells = sorted((out / "cells").glob("*.json"))
    for path in cells:
        cell = json.loads(path.read_text())
        assert {"train_acc", "test_acc", *MASS_METRICS} <= set(cell)
    ratios = result.mean("ratio_clean_pos_over_noisy_neg")
    # No noisy samples at eta = 0: the ratio is undefined there, finite elsewhere.
    assert np.isnan(ratios[0]) and np.all(np.isfinite(ratios[1:]))
    assert np.all(np.isfinite(result.mean("eq9_ratio")))
    assert main(["figure", "label_noise", "--sweep", str(out), "--quiet", "--out", str(tmp_path / "figures")]) == 0
    assert (tmp_path / "figures" / "label_noise.png").is_file()


def test_v1_grid_figure_reads_a_dim_by_signal_norm_sweep(tmp_path):
    out = tmp_path / "grid"
    assert (
        main(
            [
                "sweep",
                "--axis",
                "dim=40,80",
                "--axis",
                "signal_norm=4,12",
                "--train",
                "p_only",
                "--steps",
                "30",
                "--n-test",
                "20",
                "--step-size",
                "0.01",
                "--executor",
                "serial",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert np.all(np.isfinite(load_sweep(out).mean("eq10_ratio")))
    assert main(["figure", "v1_grid", "--sweep", str(out), "--quiet", "--out", str(tmp_path / "figures")]) == 0
    assert (tmp_path / "figures" / "v1_grid.png").is_file()
    # The wrong kind of sweep: one line naming the rule, exit status 2, nothing written.
    assert main(["figure", "label_noise", "--sweep", str(out), "--quiet", "--out", str(tmp_path / "other")]) == 2
    assert not (tmp_path / "other").exists()


def test_a_run_file_without_attention_mass_arrays_loads_and_verifies(tmp_path):
    out = tmp_path / "run"
    assert main(
        ["run", "--dim", "40", "--steps", "20", "--n-test", "20", "--train", "p_only", "--quiet", "--out", str(out)]
    ) in (0, 1)
    import numpy.lib.npyio  # noqa: F401  (np.load of the saved file)

    with np.load(out / "trajectory.npz") as saved:
        arrays = {k: saved[k] for k in saved.files if k not in MASS_ARRAYS}
    np.savez(out / "trajectory.npz", **arrays)
    old = Trajectory.load(out)
    report = build_report(old)
    assert report["attention_mass"]["exact"] is True and "kept by the engine" not in report["attention_mass"]["notes"]
    assert report["attention_mass"]["ratio_clean_pos_over_noisy_neg"] is not None
    # A corrupted sum (decreasing over the checkpoints) is refused with the array's name.
    with np.load(tmp_path / "run" / "trajectory.npz") as saved:
        arrays = dict(saved)
    arrays["token_mass_max"] = np.linspace(1.0, 0.0, len(arrays["time"]))
    np.savez(out / "trajectory.npz", **arrays)
    with pytest.raises(ValueError, match="token_mass_max"):
        Trajectory.load(out)


def test_v1_grid_figure_finishes_an_interrupted_sweep(tmp_path):
    out = tmp_path / "grid"
    options = [
        "--axis",
        "dim=40,80",
        "--axis",
        "signal_norm=4,12",
        "--train",
        "p_only",
        "--steps",
        "10",
        "--n-test",
        "10",
        "--executor",
        "serial",
        "--quiet",
        "--out",
        str(out),
    ]
    assert main(["sweep", *options]) == 0
    cells = sorted((out / "cells").glob("*.json"))
    kept = cells[0].read_text()
    for path in cells[1:]:
        path.unlink()
    assert not load_sweep(out).complete
    assert main(["figure", "v1_grid", "--sweep", str(out), "--quiet", "--out", str(tmp_path / "figures")]) == 0
    assert load_sweep(out).complete and cells[0].read_text() == kept


def test_a_cell_file_with_a_non_numeric_ratio_is_refused(tmp_path):
    out = tmp_path / "grid"
    assert (
        main(
            [
                "sweep",
                "--axis",
                "dim=40",
                "--train",
                "p_only",
                "--steps",
                "5",
                "--n-test",
                "10",
                "--executor",
                "serial",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    cell = next((out / "cells").glob("*.json"))
    data = json.loads(cell.read_text())
    assert data["eq9_ratio"] is not None
    cell.write_text(json.dumps(data | {"eq9_ratio": "large"}))
    with pytest.raises(ValueError, match="field 'eq9_ratio' must be a number or null"):
        load_sweep(out)
