"""``benign-attn verify RUN_DIR``: check a saved trajectory against the theory.

Paper: every check of ``verify.checks`` (regime map, loss plateaus, growth of g, delayed
generalisation, mass balance); the regime is decided by outcome (``verify.classify``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from theory.records import parse_assignment
from verify.checks import GAP_COUNTS, GAP_KINDS, GapDefinition
from verify.classify import OutcomeTolerances
from verify.constants_file import load_constants, merge_constants
from verify.files import atomic_write_text, write_json
from verify.report import build_report, exit_status, report_markdown
from verify.trajectory import Trajectory

NAME = "verify"
HELP = "check a run directory's trajectory against the theory; write report.json and report.md"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run directory (trajectory.npz + trajectory.json)")
    parser.add_argument("--constant", action="append", default=[], metavar="NAME=VALUE",
                        help="a constant of the regime map (C_benign, C_clean, C_harm, C_drive); repeatable")
    parser.add_argument("--gap", choices=GAP_KINDS, default=GapDefinition().kind,
                        help="definition of the gaps Lambda/Gamma, an open choice (default: %(default)s)")
    parser.add_argument("--gap-count", choices=GAP_COUNTS, default=GapDefinition().count,
                        help="count in g(x) = 2x + 2 sinh(x - log count) (default: %(default)s, the paper's)")
    parser.add_argument("--constants", metavar="FILE",
                        help="a constants file (JSON, e.g. written by benign-attn regime-map)")
    add_tolerance_arguments(parser)
    parser.add_argument("--quiet", action="store_true", help="no summary on stdout")


def add_tolerance_arguments(parser: argparse.ArgumentParser) -> None:
    """Options for the named tolerances that decide the regime (``OutcomeTolerances``)."""
    default = OutcomeTolerances()
    parser.add_argument("--error-tolerance", type=float, default=default.error_tolerance, metavar="EPS",
                        help="largest clean test error of a run that generalises (default: %(default)s)")
    parser.add_argument("--loss-tolerance", type=float, default=default.loss_tolerance, metavar="EPS",
                        help="test loss within EPS of its clean floor counts as generalised (default: %(default)s)")
    parser.add_argument("--decide-at", type=float, metavar="TAU",
                        help="call unfitted noisy samples 'not overfitting' once the run reaches time TAU "
                             "(default: only when their margins have settled)")


def tolerances_from_args(args: argparse.Namespace) -> OutcomeTolerances:
    return OutcomeTolerances(error_tolerance=args.error_tolerance, loss_tolerance=args.loss_tolerance,
                             decide_at=args.decide_at)


def parse_constants(items: list[str]) -> dict[str, str]:
    """``NAME=VALUE`` options into a mapping of exact fractions (the theory's whitelist parser)."""
    constants = {}
    for item in items:
        name, value = parse_assignment(item)
        if name in constants:
            raise ValueError(f"--constant {name} given twice")
        constants[name] = value
    return constants


def main(args: argparse.Namespace) -> int:
    run_dir = Path(args.run_dir)
    trajectory = Trajectory.load(run_dir)
    constants = merge_constants(load_constants(args.constants) if args.constants else {},
                                parse_constants(args.constant))
    report = build_report(trajectory, constants=constants,
                          definition=GapDefinition(kind=args.gap, count=args.gap_count),
                          tolerances=tolerances_from_args(args))
    write_json(run_dir / "report.json", report)
    atomic_write_text(run_dir / "report.md", report_markdown(report))
    status = exit_status(report)
    if not args.quiet:
        summary = report["checks_summary"]
        print(f"verdict: {report['verdict']}; checks: {summary['passed']} passed, {summary['failed']} failed, "
              f"{summary['undetermined']} undetermined")
        for check in report["checks"]:
            print(f"  {check['outcome']:>12}  {check['name']}")
        print(f"wrote {run_dir}/report.json and report.md")
    return status
