"""Benchmark: the paper's full 39 x 39 sweep (1000 steps, n_test 1000) against a 15 s target.

Measures, in one run: (1) the wall time of the FULL ``--grid paper`` sweep as ``benign-attn
sweep`` runs it (reduced engine: one column of 39 signal norms per task, local worker processes
on all cores); (2) a side-by-side reference, the per-cell engine ``run_reduced`` (what a sweep
cell cost before the column engine) timed on a sample of cells spread over d, in this process
with one BLAS thread, extrapolated to the grid (time per cell interpolated linearly in d^2, its
set-up cost, summed over the grid and divided by the worker count); (3) the column engine alone
on one column per sampled d, same conditions. The references run in a child process started
with one BLAS thread, as the sweep's workers are. Writes benchmarks/results/sweep_paper_grid.json.

``--draw latent`` runs the same grid on the d-free latent draw with a Gaussian W_0
(``numerics.latent``: no O(m d^2) set-up per column, only the O(m^2) steps), with the same
reference, and writes sweep_paper_grid_latent.json.

Usage: python benchmarks/bench_sweep.py [--reference-dims 250,2625,5000] [--workers N] [--draw latent]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from results_file import write_result  # noqa: E402

from theory.params import ProblemParams  # noqa: E402
from verify.experiments.sweep import SweepSpec, grid_axes, load_sweep, run_sweep  # noqa: E402

TARGET_S = 15.0


def _timed(function):
    started = time.perf_counter()
    value = function()
    return time.perf_counter() - started, value


def _references(dims: list[int]) -> dict:
    """Per-cell ``run_reduced`` and one column of ``run_reduced_column`` at each d (this process)."""
    from numerics.column import run_reduced_column
    from numerics.reduced import run_reduced

    (_, _), (_, mus) = grid_axes("paper")
    base = ProblemParams(steps=1000, n_test=1000)
    per_cell, per_column = [], []
    for d in dims:
        params = base.replace(dim=d, signal_norm=20.0)
        seconds, _ = _timed(functools.partial(run_reduced, params, record_every=1000, throw=False))
        per_cell.append({"dim": d, "run_reduced_s": seconds})
        seconds, _ = _timed(functools.partial(run_reduced_column, base.replace(dim=d), mus, record_every=1000))
        per_column.append(
            {"dim": d, "cells": len(mus), "run_reduced_column_s": seconds, "per_cell_s": seconds / len(mus)}
        )
    return {"per_cell": per_cell, "per_column": per_column}


def _references_single_threaded(dims: list[int]) -> dict:
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    environment = dict(os.environ) | {name: "1" for name in names}
    output = subprocess.run(
        [sys.executable, __file__, "--references-only", ",".join(map(str, dims))],
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output)


def main() -> None:
    parser = argparse.ArgumentParser(allow_abbrev=False)
    parser.add_argument(
        "--reference-dims",
        default="250,2625,5000",
        help="d values at which the per-cell reference and one column are timed",
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--draw",
        choices=("full", "latent"),
        default="full",
        help="the grid's draw: full (Kaiming-uniform W_0, the paper's) or latent (Gaussian W_0)",
    )
    parser.add_argument("--references-only", metavar="DIMS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.references_only:
        print(json.dumps(_references([int(v) for v in args.references_only.split(",")])))
        return
    (_, dims), (_, mus) = grid_axes("paper")
    base = ProblemParams(steps=1000, n_test=1000)
    if args.draw == "latent":
        base = base.replace(init="gaussian", draw="latent")
    spec = SweepSpec(base=base, axes=grid_axes("paper"), seeds=(base.seed,))
    with tempfile.TemporaryDirectory() as out:
        sweep_s, counts = _timed(lambda: run_sweep(spec, Path(out) / "paper", executor="local", workers=args.workers))
        result = load_sweep(Path(out) / "paper")
    regimes = {str(name): int(np.sum(result.regimes == name)) for name in np.unique(result.regimes)}
    references = _references_single_threaded([int(v) for v in args.reference_dims.split(",")])
    per_cell, per_column = references["per_cell"], references["per_column"]
    # Per-cell cost = a + b d^2 (stepping + O(m d^2) set-up), fitted to the sampled cells.
    coefficients = np.polyfit([c["dim"] ** 2 for c in per_cell], [c["run_reduced_s"] for c in per_cell], 1)
    per_cell_grid_s = float(sum(np.polyval(coefficients, d**2) for d in dims) * len(mus))
    reference_s = per_cell_grid_s / args.workers
    report = {
        "benchmark": "paper grid sweep (39 x 39), 1000 steps, n_test 1000, joint training, one seed, "
        f"draw {args.draw} ({base.init} W_0)",
        "workers": args.workers,
        "full_grid": {
            "cells": counts["cells"],
            "computed": counts["computed"],
            "failed": counts["failed"],
            "wall_s": sweep_s,
            "regimes": regimes,
        },
        "target_s": TARGET_S,
        "meets_target": sweep_s <= TARGET_S,
        "reference_per_cell_engine": {
            "what": "run_reduced per cell (the sweep before the column engine), measured on the cells "
            "below in this run with one BLAS thread, extrapolated as a + b d^2 over the grid "
            "and divided by the workers",
            "cells": per_cell,
            "extrapolated_grid_wall_s": reference_s,
        },
        "column_engine_alone": per_column,
        "speedup_vs_reference": reference_s / sweep_s,
    }
    path = write_result("sweep_paper_grid" + ("_latent" if args.draw == "latent" else ""), report)
    print(
        f"full paper grid ({counts['cells']} cells, {args.workers} workers): {sweep_s:.1f} s measured "
        f"(target {TARGET_S:.0f} s: {'met' if sweep_s <= TARGET_S else 'NOT met'})"
    )
    print(
        f"reference, per-cell run_reduced extrapolated from {len(per_cell)} measured cells: "
        f"{reference_s:.0f} s  ->  speed-up {reference_s / sweep_s:.0f}x"
    )
    for column in per_column:
        print(
            f"  d = {column['dim']}: one column of {column['cells']} cells {column['run_reduced_column_s']:.2f} s "
            f"({column['per_cell_s'] * 1e3:.0f} ms/cell) vs run_reduced "
            f"{next(c['run_reduced_s'] for c in per_cell if c['dim'] == column['dim']) * 1e3:.0f} ms/cell"
        )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
