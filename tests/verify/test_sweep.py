"""Sweeps: grids, resumability (kill and re-run), failed cells, Dask LocalCluster, phase analysis."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from theory.params import ProblemParams
from verify.experiments.phase import boundary_points, fit_boundary_law, phase_analysis
from verify.experiments.sweep import SweepSpec, grid_axes, load_sweep, parse_axis, run_sweep

TINY = [
    "--axis",
    "dim=40:100:30",
    "--axis",
    "signal_norm=2,6",
    "--steps",
    "60",
    "--step-size",
    "0.1",
    "--n-test",
    "30",
    "--seeds",
    "2",
]


def _cells(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((directory / "cells").glob("*.json"))}


def test_paper_and_v1_grids():
    (d_name, dims), (mu_name, mus) = grid_axes("paper")
    assert (d_name, mu_name, len(dims), len(mus)) == ("dim", "signal_norm", 39, 39)
    assert (dims[0], dims[1], dims[-1], mus[0], mus[1], mus[-1]) == (250, 375, 5000, 5.0, 7.5, 100.0)
    (_, dims), (_, mus) = grid_axes("v1")
    assert (len(dims), len(mus), dims[-1], mus[1]) == (20, 20, 5000, 10.0)
    assert parse_axis("rho=0.1,0.2") == ("rho", (0.1, 0.2))
    for bad in ("dim=1.5,2", "nope=1", "dim=5:1:1", "dim"):
        with pytest.raises(ValueError):
            parse_axis(bad)


#: TINY with cells long enough (3000 steps, ~0.1 s each) that a kill after the first two finished
#: cells lands before the last one; at 60 steps an idle machine finished all 12 within the poll.
KILLABLE = [value if value != "60" else "3000" for value in TINY]


# Two whole sweeps in subprocesses: the default run kills sweeps at random moments and resumes
# them to the same cells in tests/reliability/test_determinism_and_interrupts.py.
@pytest.mark.slow
def test_kill_and_resume_gives_identical_cells(tmp_path):
    command = [
        sys.executable,
        "-m",
        "verify.cli",
        "sweep",
        *KILLABLE,
        "--executor",
        "local",
        "--workers",
        "1",
        "--chunk-size",
        "1",
        "--quiet",
    ]
    reference = tmp_path / "reference"
    subprocess.run([*command, "--out", str(reference)], check=True, timeout=300)
    interrupted = tmp_path / "interrupted"
    process = subprocess.Popen([*command, "--out", str(interrupted)], start_new_session=True)
    deadline = time.monotonic() + 240
    while len(list((interrupted / "cells").glob("*.json"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    partial = _cells(interrupted)
    assert 2 <= len(partial) < len(_cells(reference))
    subprocess.run([*command, "--out", str(interrupted)], check=True, timeout=300)
    assert _cells(interrupted) == _cells(reference)
    # A third run has nothing left to do and leaves every file as it is.
    subprocess.run([*command, "--out", str(interrupted)], check=True, timeout=300)
    assert _cells(interrupted) == _cells(reference)


def test_failed_cell_is_marked_and_the_sweep_goes_on(tmp_path, monkeypatch):
    import numerics.column

    original = numerics.column.run_reduced_column

    def flaky(base, signal_norms, **kwargs):
        if base.dim == 70:
            raise FloatingPointError("injected failure")
        return original(base, signal_norms, **kwargs)

    monkeypatch.setattr(numerics.column, "run_reduced_column", flaky)
    spec = SweepSpec(base=ProblemParams(steps=30, step_size=0.1, n_test=20), axes=(("dim", (40, 70, 100)),), seeds=(1,))
    counts = run_sweep(spec, tmp_path / "s", executor="serial")
    assert counts == {"cells": 3, "already_done": 0, "computed": 3, "failed": 1}
    result = load_sweep(tmp_path / "s")
    assert result.regimes[1, 0] == "failed"
    assert np.isnan(result.metrics["train_loss"][1, 0]) and np.isfinite(result.metrics["train_loss"][0, 0])
    failed = json.loads((tmp_path / "s" / "cells" / "dim=70_seed=1.json").read_text())
    assert failed["status"] == "failed" and "injected failure" in failed["error"]


def test_other_sweep_in_directory_is_refused(tmp_path):
    spec = SweepSpec(base=ProblemParams(steps=5, n_test=5), axes=(("dim", (20,)),), seeds=(1,))
    run_sweep(spec, tmp_path / "s", executor="serial")
    other = SweepSpec(base=ProblemParams(steps=6, n_test=5), axes=(("dim", (20,)),), seeds=(1,))
    with pytest.raises(ValueError, match="different sweep"):
        run_sweep(other, tmp_path / "s", executor="serial")


def test_dask_local_cluster_matches_serial(tmp_path):
    pytest.importorskip("distributed")
    spec = SweepSpec(
        base=ProblemParams(steps=40, step_size=0.1, n_test=20),
        axes=(("dim", (40, 80)), ("signal_norm", (2.0, 5.0))),
        seeds=(3,),
    )
    run_sweep(spec, tmp_path / "serial", executor="serial")
    counts = run_sweep(spec, tmp_path / "dask", executor="dask", workers=2)
    assert counts["computed"] == 4
    assert _cells(tmp_path / "dask") == _cells(tmp_path / "serial")


def test_boundary_law_fit_recovers_a_known_exponent():
    # Regimes generated from the exact law ||mu||_b = 0.3 d^0.5 on the paper grid: a = 1/2 in the interval.
    (_, dims), (_, mus) = grid_axes("paper")
    dims, mus = np.array(dims, float), np.array(mus, float)
    regimes = np.where(mus[None, :] > 0.3 * np.sqrt(dims)[:, None] * 1.0, "not_overfitting", "benign")
    regimes = regimes.astype(object)
    points = boundary_points(dims, mus, regimes, ("benign",), ("not_overfitting",))
    fit = fit_boundary_law(points, predicted=0.5, n_train=20)
    low, high = fit["exponent_ci95"]
    assert low <= 0.5 <= high and abs(fit["exponent"] - 0.5) < 0.03
    assert fit["fitted_C"] == pytest.approx(20 * 0.09, rel=0.1)
    # A quarter-power law must be told apart from 1/2.
    regimes = np.where(mus[None, :] > 4.0 * dims[:, None] ** 0.25, "not_overfitting", "benign").astype(object)
    fit = fit_boundary_law(
        boundary_points(dims, mus, regimes, ("benign",), ("not_overfitting",)), predicted=0.5, n_train=20
    )
    assert fit["consistent"] is False and abs(fit["exponent"] - 0.25) < 0.05


def test_phase_analysis_of_a_tiny_sweep(tiny_sweep):
    result = load_sweep(tiny_sweep)
    assert result.complete and result.regimes.shape == (3, 3, 1)
    analysis = phase_analysis(result)
    assert set(analysis["separation"]) == {"benign|not_overfitting", "harmful|benign"}
    summary = result.to_summary()
    assert sum(summary["counts"].values()) == 9


def test_a_sweep_written_before_a_parameter_existed_resumes_and_another_sweep_is_refused(tmp_path):
    spec = SweepSpec(
        base=ProblemParams(dim=40, n_test=20, steps=20, step_size=0.1),
        axes=(("signal_norm", (2.0, 6.0)),),
        seeds=(0,),
        engine="reduced",
    )
    out = tmp_path / "sweep"
    assert run_sweep(spec, out, executor="serial")["computed"] == 2
    # The same sweep as an older version wrote it: without the fields added since (their defaults apply).
    stored = json.loads((out / "sweep.json").read_text())
    for name in ("relevant_tokens", "weak_tokens", "labels", "generator"):
        del stored["base"][name]
    (out / "sweep.json").write_text(json.dumps(stored))
    assert run_sweep(spec, out, executor="serial")["computed"] == 0
    with pytest.raises(ValueError, match="holds a different sweep"):
        run_sweep(
            spec.__class__(base=spec.base.replace(rho=0.2), axes=spec.axes, seeds=spec.seeds, engine="reduced"),
            out,
            executor="serial",
        )
