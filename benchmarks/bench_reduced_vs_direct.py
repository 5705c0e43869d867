"""Benchmark: reduced vs direct GD at d = 5000 for 1000 steps, same data and W_0.

Both engines get the same ``Data`` and W_0 and record the same checkpoints (test metrics every
``--record-every`` steps, the loss at every step). The reduced run is timed in full. The direct
engine costs ~0.1 s per step at d = 5000, so by default it is timed for ``--direct-steps``
steps and for a fifth of them, and its time for all steps is extrapolated along the line
through the two measurements (its cost per step is constant: the same matrix-vector products
every step; the line's intercept is its fixed cost); ``--full`` runs it for all steps. The
losses of every step the direct engine ran are compared with the reduced engine's.

The reduced run is repeated ``--repeats`` times and its median time is used.

Usage: python benchmarks/bench_reduced_vs_direct.py [--dim 5000] [--direct-steps 100] [--full]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from results_file import write_result

from numerics.data import initial_weights, make_data
from numerics.gd import run_direct
from numerics.reduced import run_reduced
from theory.params import ProblemParams


def main() -> None:
    parser = argparse.ArgumentParser(allow_abbrev=False)
    parser.add_argument("--dim", type=int, default=5000)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--record-every", type=int, default=100)
    parser.add_argument("--direct-steps", type=int, default=100)
    parser.add_argument("--full", action="store_true", help="run the direct engine for all steps")
    parser.add_argument("--repeats", type=int, default=5, help="reduced runs (the median is used)")
    args = parser.parse_args()
    params = ProblemParams(dim=args.dim, steps=args.steps)
    data, w0 = make_data(params), initial_weights(params)

    # The reduced run takes well under a second, so machine noise matters: repeat it and use
    # the median (all times are in the JSON).
    reduced_times = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        reduced = run_reduced(params, data=data, w0=w0, record_every=args.record_every)
        reduced_times.append(time.perf_counter() - started)
    reduced_s = float(np.median(reduced_times))

    direct_steps = args.steps if args.full else min(args.direct_steps, args.steps)
    started = time.perf_counter()
    direct = run_direct(params.replace(steps=direct_steps), data=data, w0=w0, record_every=args.record_every)
    direct_measured_s = time.perf_counter() - started
    if direct_steps == args.steps:
        direct_s, direct_short_s, short_steps = direct_measured_s, None, None
    else:
        short_steps = max(direct_steps // 5, 1)
        started = time.perf_counter()
        run_direct(params.replace(steps=short_steps), data=data, w0=w0, record_every=args.record_every)
        direct_short_s = time.perf_counter() - started
        per_step = (direct_measured_s - direct_short_s) / (direct_steps - short_steps)
        direct_s = direct_measured_s + per_step * (args.steps - direct_steps)

    losses_r, losses_d = reduced.arrays["step_loss"][: direct_steps + 1], direct.arrays["step_loss"]
    loss_error = float(np.max(np.abs(losses_r - losses_d) / np.abs(losses_d)))
    common = np.isin(reduced.arrays["step"], direct.arrays["step"])
    logits_r, logits_d = reduced.arrays["logits_train"][common], direct.arrays["logits_train"]
    logit_error = float(np.max(np.abs(logits_r - logits_d)) / np.max(np.abs(logits_d)))
    test_loss_error = float(np.max(np.abs(reduced.arrays["test_loss"][common] - direct.arrays["test_loss"])))
    loop_s = reduced.stats["wall_time_s"] - reduced.stats["setup_time_s"]
    ratio = direct_s / reduced_s
    result = {
        "benchmark": f"reduced vs direct GD, d = {args.dim}, {args.steps} steps, n = 20, T = 8, "
        f"n_test = 1000, test metrics every {args.record_every} steps, same data and W_0",
        "reduced_s": reduced_s,
        "reduced_s_all_repeats": reduced_times,
        "reduced_setup_s": reduced.stats["setup_time_s"],
        "reduced_steps_s": loop_s,
        "direct_s": direct_s,
        "direct_measured_s": direct_measured_s,
        "direct_measured_steps": direct_steps,
        "direct_short_run_s": direct_short_s,
        "direct_short_run_steps": short_steps,
        "direct_extrapolated": direct_steps != args.steps,
        "extrapolation": "direct time for all steps from the line through its times for the measured and the short run"
        if direct_steps != args.steps
        else "none (all steps run)",
        "speedup": ratio,
        "speedup_excluding_reduced_setup": direct_s / loop_s,
        "target_speedup": 200.0,
        "meets_speedup_target": ratio >= 200.0,
        "step_loss_max_relative_difference": loss_error,
        "steps_compared": direct_steps + 1,
        "train_logits_max_relative_difference": logit_error,
        "test_loss_max_difference": test_loss_error,
        "target_loss_difference": 1e-12,
        "meets_loss_target": loss_error <= 1e-12,
    }
    path = write_result("reduced_vs_direct", result)
    print(
        f"reduced {reduced_s:.2f} s (median of {args.repeats}; set-up {reduced.stats['setup_time_s']:.2f} s), "
        f"direct {direct_s:.1f} s"
        f"{f' (extrapolated from {direct_steps} steps)' if direct_steps != args.steps else ''}: "
        f"speedup {ratio:.0f}x (target 200x); step losses equal to {loss_error:.1e} "
        f"over {direct_steps + 1} steps (target 1e-12) -> {path}"
    )


if __name__ == "__main__":
    main()
