"""``benign-attn sweep``: a resumable grid of runs over any ProblemParams axes.

Paper: Figure 5 (39 x 39 grid of (d, ||mu||) at step 1000; v1: 20 x 20).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from numerics.budget import LIMITS
from theory.validation import InputError
from verify.commands.params_options import add_params_arguments, params_from_args
from verify.experiments.flow_cells import FlowSweep
from verify.experiments.phase import phase_analysis
from verify.experiments.sweep import ENGINES, EXECUTORS, GRIDS, SweepSpec, grid_axes, load_sweep, parse_axis, run_sweep
from verify.files import write_json

#: Options that only the flow engine reads, by FlowSweep field.
_FLOW_OPTIONS = ("horizon", "outcome_horizons", "test_loss_tolerance", "test_error_tolerance", "rtol", "atol")
_DEFAULT_FLOW = FlowSweep()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_params_arguments(parser)
    parser.add_argument("--grid", choices=GRIDS, help="the paper's (d, ||mu||) grid: paper (39 x 39) or v1 (20 x 20)")
    parser.add_argument(
        "--axis",
        action="append",
        default=[],
        metavar="NAME=START:STOP:STEP|log:START:STOP:COUNT|V1,V2",
        help="a swept ProblemParams field (repeatable; added to --grid's axes); log:START:STOP:COUNT "
        "gives COUNT log-spaced values, rounded to integers (repeats dropped) for integer fields",
    )
    parser.add_argument(
        "--seeds",
        default="1",
        metavar="N|S1,S2",
        help="seeds per cell: a count (from --seed on) or a comma-separated list (default 1)",
    )
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="reduced",
        help="GD engine, or the gradient flow with event times (default: %(default)s)",
    )
    flow = parser.add_argument_group("gradient flow (--engine flow)")
    flow.add_argument(
        "--horizon", type=float, metavar="TAU", help=f"final flow time (default {_DEFAULT_FLOW.horizon:g})"
    )
    flow.add_argument(
        "--outcome-horizons",
        metavar="T1,T2,...",
        help="flow times at which each cell's outcome is recorded (default: the decades "
        "1, 10, ... up to the horizon, and the horizon)",
    )
    flow.add_argument(
        "--test-loss-tolerance",
        type=float,
        metavar="EPS",
        help=f"event: test loss within EPS of its floor (default {_DEFAULT_FLOW.test_loss_tolerance:g})",
    )
    flow.add_argument(
        "--test-error-tolerance",
        type=float,
        metavar="EPS_ERR",
        help="event: test error <= EPS_ERR; also splits benign from harmful in the outcomes "
        f"(default {_DEFAULT_FLOW.test_error_tolerance:g})",
    )
    flow.add_argument("--rtol", type=float, help=f"solver relative tolerance (default {_DEFAULT_FLOW.rtol:g})")
    flow.add_argument("--atol", type=float, help=f"solver absolute tolerance (default {_DEFAULT_FLOW.atol:g})")
    parser.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="local",
        help="local processes, a Dask cluster, or serial in this process (default: %(default)s)",
    )
    parser.add_argument(
        "--scheduler", metavar="ADDRESS", help="Dask scheduler address (default with --executor dask: a local cluster)"
    )
    parser.add_argument("--workers", type=int, metavar="N", help="worker processes (default: all cores)")
    parser.add_argument("--chunk-size", type=int, metavar="K", help="cells per task (default: ~8 tasks per worker)")
    parser.add_argument("--out", metavar="DIR", help="sweep directory (default: sweeps/<grid or axes>)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def parse_seeds(text: str, first: int) -> tuple[int, ...]:
    """``N`` (N seeds from ``first``) or ``S1,S2,...``."""
    limit = int(LIMITS["seeds"])
    try:
        if "," in text:
            if text.count(",") >= limit:
                raise InputError(f"--seeds: more than {limit} seeds")
            return tuple(int(v) for v in text.split(","))
        count = int(text)
    except ValueError as exc:
        if "more than" in str(exc):
            raise
        raise InputError(f"--seeds {text[:40]!r}: must be a count or a comma-separated list of integers") from None
    if count < 1:
        raise InputError(f"--seeds {count}: must be >= 1")
    if count > limit:
        raise InputError(f"--seeds {count}: must be <= {limit} (a stated limit of this toolkit)")
    return tuple(range(first, first + count))


def spec_from_args(args: argparse.Namespace) -> SweepSpec:
    base = params_from_args(args)
    axes = list(grid_axes(args.grid)) if args.grid else []
    axes += [parse_axis(text) for text in args.axis]
    if not axes:
        raise InputError("give --grid or at least one --axis")
    return SweepSpec(
        base=base,
        axes=tuple(axes),
        seeds=parse_seeds(args.seeds, base.seed),
        engine=args.engine,
        flow=flow_settings(args),
    )


def flow_settings(args: argparse.Namespace) -> FlowSweep | None:
    """The ``FlowSweep`` of ``--engine flow`` from the flow options; they are refused otherwise."""
    given = {name: getattr(args, name) for name in _FLOW_OPTIONS if getattr(args, name) is not None}
    if args.engine != "flow":
        if given:
            flags = ", ".join("--" + name.replace("_", "-") for name in given)
            raise InputError(f"{flags}: only used with --engine flow")
        return None
    if "outcome_horizons" in given:
        try:
            given["outcome_horizons"] = tuple(float(v) for v in given["outcome_horizons"].split(","))
        except ValueError:
            raise InputError(f"--outcome-horizons {args.outcome_horizons!r}: must be comma-separated numbers") from None
    return FlowSweep(**given)


def main(args: argparse.Namespace) -> int:
    spec = spec_from_args(args)
    out = Path(args.out) if args.out else Path("sweeps") / (args.grid or "_".join(n for n, _ in spec.axes))
    progress = not args.quiet and sys.stderr.isatty()
    counts = run_sweep(
        spec,
        out,
        executor=args.executor,
        workers=args.workers,
        scheduler=args.scheduler,
        chunk_size=args.chunk_size,
        progress=progress,
    )
    result = load_sweep(out)
    summary = result.to_summary()
    summary["phase"] = phase_analysis(result)
    write_json(out / "summary.json", summary)
    if not args.quiet:
        print(
            f"{counts['cells']} cells: {counts['already_done']} already done, {counts['computed']} computed, "
            f"{counts['failed']} failed; regimes {summary['counts']}"
        )
        fit = summary["phase"].get("boundary_fit")
        if fit and fit.get("exponent") is not None:
            low, high = fit["exponent_ci95"]
            print(f"boundary ||mu|| ~ d^a: a = {fit['exponent']:.3f} (95% CI {low:.3f}..{high:.3f}; predicted 1/2)")
        print(f"wrote {out}/ (sweep.json, cells/, summary.json)")
    return 0
