"""Benchmark: gradient flow to tau = 1e8 with events, and an mpmath cross-check of a prefix.

Balanced setting (n = 20, T = 8, d = 2000, ||mu|| = 20, joint training), default solver
(DOP853, rtol 1e-8), set-up included. Side by side in the same run: the reduced GD engine's
cost per step (timed over ``--gd-steps`` steps) gives the time GD with h = 5e-3 would need to
reach the same tau (tau / h steps). Then the mpmath back end (30 digits) integrates the prefix
[0, ``--prefix``] and its logits are compared with (a) scipy at rtol 1e-13 over the same prefix
and (b) the benchmark run's own checkpoint at tau = ``--prefix``.

Usage: python benchmarks/bench_flow.py [--horizon 1e8] [--prefix 0.01]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from results_file import write_result

from numerics.flow import FlowEvents, FlowOptions, integrate_flow, run_flow
from numerics.reduced import descend_reduced
from numerics.subspace import reduce_problem
from theory.params import ProblemParams


def _relative(a, b) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def main() -> None:
    parser = argparse.ArgumentParser(allow_abbrev=False)
    parser.add_argument("--horizon", type=float, default=1e8)
    parser.add_argument("--prefix", type=float, default=0.01)
    parser.add_argument("--gd-steps", type=int, default=10_000)
    args = parser.parse_args()
    params = ProblemParams()
    options = FlowOptions(horizon=args.horizon, first_checkpoint=args.prefix)

    started = time.perf_counter()
    flow = run_flow(params, options=options)
    flow_s = time.perf_counter() - started

    problem = reduce_problem(params)
    started = time.perf_counter()
    descend_reduced(problem, step_size=params.step_size, steps=args.gd_steps, record_every=args.gd_steps)
    gd_per_step = (time.perf_counter() - started) / args.gd_steps
    gd_s = gd_per_step * args.horizon / params.step_size

    quiet = FlowEvents(test_loss_tolerance=None)
    prefix = FlowOptions(horizon=args.prefix, checkpoints=1, first_checkpoint=args.prefix)
    started = time.perf_counter()
    mp_run = integrate_flow(problem, options=prefix, events=quiet, backend="mpmath")
    mp_s = time.perf_counter() - started
    tight = integrate_flow(
        problem,
        options=FlowOptions(horizon=args.prefix, checkpoints=1, first_checkpoint=args.prefix, rtol=1e-13, atol=1e-18),
        events=quiet,
    )
    mp_logits = mp_run.arrays["logits_train"][-1]
    at_prefix = int(np.flatnonzero(flow.arrays["time"] == args.prefix)[0])
    agreement_tight = _relative(tight.arrays["logits_train"][-1], mp_logits)
    agreement_run = _relative(flow.arrays["logits_train"][at_prefix], mp_logits)

    result = {
        "benchmark": f"gradient flow to tau = {args.horizon:g} with events, balanced setting "
        "(n 20, T 8, d 2000, ||mu|| 20, joint), DOP853 rtol 1e-8, set-up included",
        "flow_s": flow_s,
        "flow_setup_s": flow.stats["setup_time_s"],
        "status": flow.status.value,
        "solver_steps": flow.stats["solver_steps"],
        "nfev": flow.stats["nfev"],
        "events": flow.stats["events"],
        "gd_us_per_step": 1e6 * gd_per_step,
        "gd_steps_to_horizon": args.horizon / params.step_size,
        "gd_s_to_horizon_extrapolated": gd_s,
        "speedup_vs_reduced_gd": gd_s / flow_s,
        "target_s": 10.0,
        "meets_time_target": flow_s <= 10.0,
        "mpmath_prefix_tau": args.prefix,
        "mpmath_dps": mp_run.stats["dps"],
        "mpmath_s": mp_s,
        "mpmath_nfev": mp_run.stats["nfev"],
        "agreement_mpmath_vs_scipy_rtol_1e-13": agreement_tight,
        "agreement_mpmath_vs_this_run": agreement_run,
        "target_agreement": 1e-10,
        "meets_agreement_target": agreement_tight <= 1e-10,
    }
    path = write_result("flow", result)
    events = flow.stats["events"]
    print(
        f"flow to tau = {args.horizon:g} in {flow_s:.2f} s (target 10 s; {flow.stats['nfev']} evaluations); "
        f"GD would take ~{gd_s:.3g} s: speedup {gd_s / flow_s:.3g}x. Events: all noisy fitted at "
        f"tau = {events['all_noisy_fitted']}, test loss near floor at tau = {events['test_loss_near_floor']}. "
        f"mpmath prefix [0, {args.prefix:g}] agrees to {agreement_tight:.1e} (target 1e-10; "
        f"this run's checkpoint {agreement_run:.1e}) -> {path}"
    )


if __name__ == "__main__":
    main()
