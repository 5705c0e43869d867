"""Benchmark: a 25 x 25 log-spaced (d, ||mu||) grid, d = 1e2 ... 1e8, 5 seeds, gradient flow to
tau = 1e8 with events, on the d-free latent draw (Gaussian W_0), against a 10-minute target.

Measures, in one run: (1) the wall time of the whole sweep as ``benign-attn sweep --engine flow
--draw latent --init gaussian`` runs it (local worker processes, one BLAS thread each; a
column of 25 signal norms per task shares one latent frame and test noise); (2) the reference,
the same flow cells with the full d-dimensional draw, timed here at small d (one BLAS thread)
and extrapolated as a + b d^2 (the set-up products with the d x d W_0 dominate), with the
memory its W_0 alone would need at the grid's largest d.

Usage: python benchmarks/bench_flow_sweep.py [--size 25] [--seeds 5] [--workers N]
       (smaller --size / --seeds for a quick look; the quoted run uses the defaults)
"""

from __future__ import annotations

import argparse
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
from verify.experiments.flow_cells import FlowSweep  # noqa: E402
from verify.experiments.sweep import SweepSpec, load_sweep, parse_axis, run_sweep  # noqa: E402
from verify.reporting.classify import FIT_OUTCOMES  # noqa: E402

TARGET_S = 600.0
BASE = ProblemParams(init="gaussian", draw="latent")
SETTINGS = FlowSweep(horizon=1e8)


def _reference(dims: list[int]) -> list[dict]:
    """Seconds of one full-draw flow cell (set-up and integration) at each d, this process."""
    from verify.experiments.sweep import run_flow_column

    rows = []
    for d in dims:
        params = BASE.replace(dim=d, draw="full", signal_norm=float(d) ** 0.375)
        started = time.perf_counter()
        run_flow_column(params, [params.signal_norm], SETTINGS)
        rows.append({"dim": d, "seconds": time.perf_counter() - started})
    return rows


def _reference_single_threaded(dims: list[int]) -> list[dict]:
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    environment = dict(os.environ) | {name: "1" for name in names}
    output = subprocess.run(
        [sys.executable, __file__, "--reference-only", ",".join(map(str, dims))],
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output)


def main() -> None:
    parser = argparse.ArgumentParser(allow_abbrev=False)
    parser.add_argument("--size", type=int, default=25, help="values per axis")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--reference-dims", default="100,2000,4000")
    parser.add_argument("--reference-only", metavar="DIMS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reference_only:
        print(json.dumps(_reference([int(v) for v in args.reference_only.split(",")])))
        return
    axes = (parse_axis(f"dim=log:1e2:1e8:{args.size}"), parse_axis(f"signal_norm=log:1:1e5:{args.size}"))
    spec = SweepSpec(
        base=BASE, axes=axes, seeds=tuple(range(BASE.seed, BASE.seed + args.seeds)), engine="flow", flow=SETTINGS
    )
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        counts = run_sweep(spec, Path(out) / "grid", executor="local", workers=args.workers)
        sweep_s = time.perf_counter() - started
        result = load_sweep(Path(out) / "grid")
        cells = [json.loads(p.read_text()) for p in (Path(out) / "grid" / "cells").glob("*.json")]
    good = [c for c in cells if c["status"] == "success"]
    outcomes = {o: sum(c["horizons"][-1]["outcome"] == o for c in good) for o in FIT_OUTCOMES}
    reached = {
        name: sum(c["events"][name] is not None for c in good)
        for name in ("all_clean_fitted", "all_noisy_fitted", "test_loss_near_floor", "test_error_within_tolerance")
    }
    regimes = {str(name): int(np.sum(result.regimes == name)) for name in np.unique(result.regimes)}
    reference = _reference_single_threaded([int(v) for v in args.reference_dims.split(",")])
    # a + b d^2: a from the smallest d (integration), b from the two largest (the set-up's d^2 work).
    (small, *_), (low, high) = reference, reference[-2:]
    slope = max((high["seconds"] - low["seconds"]) / (high["dim"] ** 2 - low["dim"] ** 2), 0.0)
    dims = axes[0][1]
    per_cell = [small["seconds"] + slope * max(d**2 - small["dim"] ** 2, 0) for d in dims]
    reference_s = sum(per_cell) * args.size * args.seeds / args.workers
    report = {
        "benchmark": f"{args.size} x {args.size} log grid, d = 1e2..1e8, ||mu|| = 1..1e5, {args.seeds} seeds, "
        f"flow to tau = 1e8 with events ({SETTINGS.method}, rtol {SETTINGS.rtol:g}, atol {SETTINGS.atol:g}), "
        "latent draw, Gaussian W_0, "
        "n = 20, T = 8, n_test = 1000",
        "workers": args.workers,
        "sweep": {
            "cells": counts["cells"],
            "computed": counts["computed"],
            "failed": counts["failed"],
            "wall_s": sweep_s,
            "per_cell_s": sweep_s * args.workers / max(counts["computed"], 1),
            "regimes": regimes,
            "outcomes_at_horizon": outcomes,
            "events_reached": reached,
            "failures": [[c["cell"], c.get("error")] for c in cells if c["status"] != "success"],
        },
        "target_s": TARGET_S,
        "meets_target": sweep_s <= TARGET_S,
        "reference_full_draw": {
            "what": "the same flow cell with the d-dimensional draw, measured at the dims below with one "
            "BLAS thread, extrapolated as a + b d^2 (a: smallest d, b: two largest d) over the "
            "grid and divided by the workers",
            "cells": reference,
            "seconds_per_d_squared": slope,
            "extrapolated_grid_wall_s": reference_s,
            "w0_bytes_at_largest_d": 8.0 * max(dims) ** 2,
        },
        "speedup_vs_reference": reference_s / sweep_s,
    }
    path = write_result("flow_sweep_log_grid", report)
    print(
        f"{counts['cells']} flow cells to tau = 1e8 ({args.workers} workers): {sweep_s:.1f} s "
        f"(target {TARGET_S:.0f} s: {'met' if sweep_s <= TARGET_S else 'NOT met'}), "
        f"{counts['failed']} failed; outcomes at the horizon {outcomes}"
    )
    print(
        f"reference, full d-dimensional draw extrapolated from d = {args.reference_dims}: {reference_s:.3g} s "
        f"(W_0 alone {8.0 * max(dims) ** 2:.3g} bytes at d = {max(dims)}) -> speed-up {reference_s / sweep_s:.3g}x"
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
