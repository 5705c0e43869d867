"""``benign-attn flow``: gradient flow to long horizons, with event times, as a run directory.

Paper: the gradient-flow analysis (delayed generalisation at exponentially long times).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from pathlib import Path

from numerics.budget import check_limit, check_memory, flow_bytes
from numerics.flow import BACKENDS, METHODS, FlowEvents, FlowOptions
from numerics.status import IntegrationError
from theory.validation import InputError
from verify.commands.params_options import add_params_arguments, params_from_args
from verify.commands.run import load_initial_weights
from verify.reporting.report import build_report, exit_status
from verify.rundir import claim_output_dir, write_run_dir
from verify.simulation import integrate

_DEFAULT_OPTIONS, _DEFAULT_EVENTS = FlowOptions(), FlowEvents()


def _tolerance(text: str) -> float | None:
    """``--test-loss-tolerance``: a number, or ``off``."""
    if text.strip().lower() == "off":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number or 'off'") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_params_arguments(parser)
    flow = parser.add_argument_group("flow (step_size and steps are not used)")
    flow.add_argument(
        "--horizon", type=float, default=_DEFAULT_OPTIONS.horizon, help="final flow time tau (default: %(default)g)"
    )
    flow.add_argument(
        "--backend",
        choices=BACKENDS,
        default="scipy",
        help="scipy solvers, or mpmath at --dps digits for short prefixes (default: %(default)s)",
    )
    flow.add_argument(
        "--method",
        choices=sorted(METHODS),
        default=_DEFAULT_OPTIONS.method,
        help="scipy solver; implicit ones (Radau, BDF, LSODA) only for small states (default: %(default)s)",
    )
    flow.add_argument(
        "--rtol", type=float, default=_DEFAULT_OPTIONS.rtol, help="relative tolerance (default: %(default)g)"
    )
    flow.add_argument(
        "--atol", type=float, default=_DEFAULT_OPTIONS.atol, help="absolute tolerance (default: %(default)g)"
    )
    flow.add_argument(
        "--max-steps", type=int, default=_DEFAULT_OPTIONS.max_steps, help="solver step budget (default: %(default)d)"
    )
    flow.add_argument(
        "--checkpoints",
        type=int,
        default=_DEFAULT_OPTIONS.checkpoints,
        help="log-spaced checkpoints besides tau = 0 (default: %(default)d)",
    )
    flow.add_argument(
        "--first-checkpoint",
        type=float,
        default=_DEFAULT_OPTIONS.first_checkpoint,
        help="first positive checkpoint time (default: %(default)g)",
    )
    flow.add_argument(
        "--dps",
        type=int,
        default=_DEFAULT_OPTIONS.dps,
        help="decimal digits of the mpmath back end, >= 30 (default: %(default)d)",
    )
    events = parser.add_argument_group("events (first crossing times)")
    events.add_argument(
        "--attention-level",
        type=float,
        default=_DEFAULT_EVENTS.attention_level,
        help="attention level of the per-sample events (default: %(default)g)",
    )
    events.add_argument(
        "--test-loss-tolerance",
        type=_tolerance,
        default=_DEFAULT_EVENTS.test_loss_tolerance,
        metavar="EPS|off",
        help="record when test loss <= floor + EPS (default: %(default)g)",
    )
    events.add_argument(
        "--test-loss-floor",
        type=float,
        default=None,
        help="the floor (default: test loss with all attention on the relevant token)",
    )
    parser.add_argument("--init-w", metavar="FILE.npy", help="initial W, a d x d array in a .npy file")
    parser.add_argument("--out", metavar="DIR", help="run directory (default: runs/flow-d<dim>-mu<signal>-seed<seed>)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing different run in --out")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def default_out(params) -> Path:
    return Path("runs") / f"flow-d{params.dim}-mu{params.signal_norm:g}-seed{params.seed}"


def check_flow_limits(args: argparse.Namespace) -> None:
    """The stated limits on the flow's work (``numerics.budget.LIMITS``) and scipy's smallest
    relative tolerance (scipy would silently raise a smaller one to it)."""
    import numpy as np

    for name, value, option in (
        ("flow_horizon", args.horizon, "--horizon"),
        ("checkpoints", args.checkpoints, "--checkpoints"),
        ("flow_max_steps", args.max_steps, "--max-steps"),
        ("dps", args.dps, "--dps"),
    ):
        if math.isfinite(value):  # not-a-number and infinities are refused by FlowOptions
            check_limit(name, value, option)
    smallest = 100 * np.finfo(np.float64).eps
    if args.backend == "scipy" and math.isfinite(args.rtol) and 0 < args.rtol < smallest:
        raise InputError(
            f"rtol={args.rtol:g}: must be >= {smallest:.3g} (scipy's smallest relative tolerance) with --backend scipy"
        )


def main(args: argparse.Namespace) -> int:
    params = params_from_args(args)
    check_flow_limits(args)
    try:  # the engine validates its options; here they came from the command line
        options = FlowOptions(
            horizon=args.horizon,
            method=args.method,
            rtol=args.rtol,
            atol=args.atol,
            max_steps=args.max_steps,
            checkpoints=args.checkpoints,
            first_checkpoint=args.first_checkpoint,
            dps=args.dps,
        )
        events = FlowEvents(
            attention_level=args.attention_level,
            test_loss_tolerance=args.test_loss_tolerance,
            test_loss_floor=args.test_loss_floor,
        )
    except ValueError as exc:
        raise InputError(str(exc)) from None
    w0 = load_initial_weights(args.init_w, params.dim) if args.init_w else None
    settings = {
        "flow.json": {
            "options": dataclasses.asdict(options),
            "events": dataclasses.asdict(events),
            "backend": args.backend,
        }
    }
    check_memory(
        f"the flow ({args.backend})",
        flow_bytes(params, checkpoints=options.checkpoints, backend=args.backend, w0_given=w0 is not None),
        params,
    )
    with claim_output_dir(
        args.out or default_out(params), params, overwrite=args.overwrite, settings=settings
    ) as claim:
        return _flow(args, params, w0, options, events, settings, claim)


def _flow(args, params, w0, options, events, settings, claim) -> int:
    out = args.out or default_out(params)
    progress = not args.quiet and sys.stderr.isatty()
    try:
        trajectory = integrate(
            params, options=options, events=events, backend=args.backend, w0=w0, progress=progress, throw=False
        )
    except IntegrationError as exc:
        print(f"benign-attn flow: {exc.status.value}: {exc.message}; nothing written", file=sys.stderr)
        return 1
    report = build_report(trajectory)
    write_run_dir(claim.path, trajectory, report, settings=settings, claim=claim)
    if not args.quiet:
        _summary(trajectory, report, out)
    if not trajectory.status.ok:
        print(
            f"benign-attn flow: {trajectory.status.value}: {trajectory.message} "
            f"(checkpoints up to tau = {trajectory.time[-1]:g} written)",
            file=sys.stderr,
        )
        return 1
    return exit_status(report)


def _summary(trajectory, report, out) -> None:
    final, ev = report["final"], trajectory.stats["events"]

    def when(value):
        return "not reached" if value is None else f"tau = {value:.4g}"

    print(f"verdict: {report['verdict']} — {'; '.join(report['classification']['reasons'])}")
    print(
        f"at tau = {final['time']:g}: train acc {final['train_acc']:.3f} "
        f"(noisy {final['train_acc_noisy']:.3f}), test acc {final['test_acc']:.3f}, "
        f"test loss {final['test_loss']:.4f}"
    )
    test_event = (
        "test-loss event off"
        if ev["test_loss_tolerance"] is None
        else f"test loss within {ev['test_loss_tolerance']:g} of {ev['test_loss_floor']:.4f} "
        f"{when(ev['test_loss_near_floor'])}"
    )
    print(
        f"events (attention level {ev['attention_level']:g}): all clean on the relevant token(s) "
        f"{when(ev['clean_relevant_all'])}; all noisy on one token {when(ev['noisy_single_token_all'])}; "
        f"all noisy fitted {when(ev['all_noisy_fitted'])}; {test_event}"
    )
    print(
        f"solver: {trajectory.stats.get('method', 'mpmath')}, {trajectory.stats.get('nfev')} evaluations, "
        f"{trajectory.stats['wall_time_s']:.2f} s"
    )
    print(f"wrote {out}/ (params.toml, flow.json, trajectory.npz, report.json, report.md, figures/dynamics.png)")
