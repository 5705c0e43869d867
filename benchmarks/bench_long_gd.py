"""Benchmark: 1e5 exact GD steps (n = 20, T = 8, d = 2000) with test checkpoints every 1000 steps.

The reduced engine runs all steps (its set-up included). Side by side, in the same run, the
direct engine is timed on the same problem for ``--direct-steps`` steps and its cost per step
gives the time it would need for all steps (linear: every step costs the same).

Usage: python benchmarks/bench_long_gd.py [--steps 100000] [--direct-steps 200]
"""

from __future__ import annotations

import argparse
import time

from results_file import write_result

from numerics.data import initial_weights, make_data
from numerics.gd import run_direct
from numerics.reduced import run_reduced
from theory.params import ProblemParams


def main() -> None:
    parser = argparse.ArgumentParser(allow_abbrev=False)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--record-every", type=int, default=1000)
    parser.add_argument("--direct-steps", type=int, default=200)
    args = parser.parse_args()
    params = ProblemParams(steps=args.steps)

    started = time.perf_counter()
    reduced = run_reduced(params, record_every=args.record_every)
    reduced_s = time.perf_counter() - started

    data, w0 = make_data(params), initial_weights(params)
    short = params.replace(steps=args.direct_steps)
    started = time.perf_counter()
    run_direct(short, data=data, w0=w0, record_every=args.record_every)
    direct_sample_s = time.perf_counter() - started
    direct_s = direct_sample_s * args.steps / args.direct_steps

    a = reduced.arrays
    result = {
        "benchmark": f"{args.steps} exact GD steps, n = 20, T = 8, d = 2000, n_test = 1000, "
        f"test checkpoints every {args.record_every} steps (reduced engine, set-up included)",
        "reduced_s": reduced_s,
        "reduced_setup_s": reduced.stats["setup_time_s"],
        "reduced_us_per_step": 1e6 * (reduced.stats["wall_time_s"] - reduced.stats["setup_time_s"]) / args.steps,
        "checkpoints": int(len(a["step"])),
        "direct_s_extrapolated": direct_s,
        "direct_measured_steps": args.direct_steps,
        "direct_measured_s": direct_sample_s,
        "speedup": direct_s / reduced_s,
        "target_s": 10.0,
        "meets_target": reduced_s <= 10.0,
        "final": {key: float(a[key][-1]) for key in ("train_acc", "test_acc", "train_loss", "test_loss")},
    }
    path = write_result("long_gd", result)
    print(
        f"{args.steps} reduced GD steps in {reduced_s:.2f} s (target 10 s, "
        f"{result['reduced_us_per_step']:.0f} us/step); direct would take ~{direct_s:.0f} s "
        f"(from {args.direct_steps} steps): speedup {direct_s / reduced_s:.0f}x -> {path}"
    )


if __name__ == "__main__":
    main()
