"""Benchmark: the paper's 39 x 39 sweep (1000 steps, n_test 1000) with the reduced engine.

Measures, in one process and one run: the per-cell wall time of the reduced engine (as the sweep
runs it) and of the direct engine at the same cells, then the sweep on a sample of grid columns
with all local cores, and extrapolates to the full grid. Writes JSON to benchmarks/results/.

Usage: python benchmarks/bench_sweep.py [--columns K] [--direct-dims 250,1000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from theory.params import ProblemParams
from verify.sweep import SweepSpec, grid_axes, run_cell, run_sweep


def _time(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--columns", type=int, default=3, help="grid d-columns swept (evenly spaced)")
    parser.add_argument("--direct-dims", default="250,1000", help="d values timed with the direct engine too")
    args = parser.parse_args()
    (_, dims), (_, mus) = grid_axes("paper")
    base = ProblemParams(steps=1000, n_test=1000)
    per_cell = []
    for d in (int(v) for v in args.direct_dims.split(",")):
        params = base.replace(dim=d, signal_norm=20.0)
        per_cell.append({"dim": d, "reduced_s": _time(lambda: run_cell(params, "reduced")),
                         "direct_s": _time(lambda: run_cell(params, "direct"))})
    chosen = tuple(dims[round(k * (len(dims) - 1) / max(args.columns - 1, 1))] for k in range(args.columns))
    spec = SweepSpec(base=base, axes=(("dim", chosen), ("signal_norm", mus)), seeds=(base.seed,))
    with tempfile.TemporaryDirectory() as out:
        sample_s = _time(lambda: run_sweep(spec, Path(out) / "s", executor="local"))
    cells = len(chosen) * len(mus)
    # Cost grows with d (setup O(m d^2)); the sampled columns span the grid evenly.
    full_estimate = sample_s / cells * len(dims) * len(mus)
    result = {
        "benchmark": "paper grid sweep, 1000 steps, n_test 1000, reduced engine",
        "cores": os.cpu_count(), "python": platform.python_version(),
        "per_cell": per_cell,
        "per_cell_speedup_reduced_vs_direct": [c["direct_s"] / c["reduced_s"] for c in per_cell],
        "sampled_columns": list(chosen), "sampled_cells": cells, "sampled_wall_s": sample_s,
        "full_grid_cells": len(dims) * len(mus), "full_grid_estimate_s": full_estimate,
        "target_s": 60.0, "meets_target": full_estimate <= 60.0,
        "load_average_at_end": os.getloadavg(),
    }
    path = Path(__file__).parent / "results" / "sweep_paper_grid.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
