"""Sweeps on the column engine: per-cell agreement with run_reduced on identical data, and a
column resumed half-way giving the same cell files as one run whole."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from numerics.data import make_data
from numerics.reduced import run_reduced
from theory.params import ProblemParams
from verify.experiments.sweep import METRICS, SweepSpec, _cell_result, load_sweep, run_sweep

# d <= 2 m + 4 = 324: the column engine's test noise is then make_data's, draw for draw.
SWEEP = SweepSpec(
    base=ProblemParams(steps=150, step_size=0.1, n_test=50),
    axes=(("dim", (40, 100)), ("signal_norm", (1.0, 4.0, 9.0))),
    seeds=(42,),
)


def _cells(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((directory / "cells").glob("*.json"))}


def test_sweep_cells_equal_per_cell_run_reduced_on_the_same_data(tmp_path):
    run_sweep(SWEEP, tmp_path / "s", executor="serial")
    result = load_sweep(tmp_path / "s")
    regimes = set()
    for flat, (key, params) in enumerate(SWEEP.cells()):
        recording = run_reduced(params, data=make_data(params), record_every=params.steps)
        expected = _cell_result(params, recording, "reduced")
        cell = json.loads((tmp_path / "s" / "cells" / f"{key}.json").read_text())
        assert cell["regime"] == expected["regime"], key
        assert cell["noisy_role_counts"] == expected["noisy_role_counts"], key
        for name in METRICS:
            assert abs(cell[name] - expected[name]) <= 1e-12 * max(1.0, abs(expected[name])), (key, name)
        regimes.add(cell["regime"])
        index = np.unravel_index(flat, SWEEP.shape)
        assert result.regimes[index] == cell["regime"]
    assert len(regimes) >= 2, f"the tiny grid should show more than one regime, got {regimes}"


def test_a_half_done_column_resumes_to_the_files_of_a_whole_run(tmp_path):
    run_sweep(SWEEP, tmp_path / "whole", executor="serial")
    reference = _cells(tmp_path / "whole")
    run_sweep(SWEEP, tmp_path / "resumed", executor="serial")
    cells = tmp_path / "resumed" / "cells"
    # Half of one column and one cell of the other are lost, as a kill during the writes leaves them.
    for name in (
        "dim=40_signal_norm=1.0_seed=42.json",
        "dim=40_signal_norm=9.0_seed=42.json",
        "dim=100_signal_norm=4.0_seed=42.json",
    ):
        (cells / name).unlink()
    counts = run_sweep(SWEEP, tmp_path / "resumed", executor="serial")
    assert counts["computed"] == 3 and counts["already_done"] == 3
    assert _cells(tmp_path / "resumed") == reference
