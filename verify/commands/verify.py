"""``benign-attn verify RUN_DIR``: check a saved trajectory against the theory.

Paper: every check of ``verify.reporting.checks`` (regime map, loss plateaus, growth of g, delayed
generalisation, mass balance); the regime is decided by outcome (``verify.reporting.classify``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from theory.validation import InputError
from verify.claims import claim as claim_run
from verify.constants_file import load_constants, merge_constants, parse_constant_options
from verify.files import atomic_write_bytes, json_bytes
from verify.reporting.checks import GAP_COUNTS, GAP_KINDS, GapDefinition
from verify.reporting.classify import OutcomeTolerances
from verify.reporting.report import build_report, exit_status, report_markdown
from verify.rundir import claim_output_dir, replace_files, staged_run_dir
from verify.trajectory import Trajectory


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run directory (trajectory.npz + trajectory.json)")
    parser.add_argument(
        "--constant",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a constant of the regime map (C_benign, C_clean, C_harm, C_drive); repeatable",
    )
    parser.add_argument(
        "--gap",
        choices=GAP_KINDS,
        default=GapDefinition().kind,
        help="definition of the gaps Lambda/Gamma, an open choice (default: %(default)s)",
    )
    parser.add_argument(
        "--gap-count",
        choices=GAP_COUNTS,
        default=GapDefinition().count,
        help="count in g(x) = 2x + 2 sinh(x - log count) (default: %(default)s, the paper's)",
    )
    parser.add_argument(
        "--constants", metavar="FILE", help="a constants file (JSON, e.g. written by benign-attn regime-map)"
    )
    add_tolerance_arguments(parser)
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="write report.json and report.md into DIR, a new directory (default: write nothing)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="without --out: replace RUN_DIR's report.json and report.md; with --out: "
        "replace DIR if it holds other files",
    )
    parser.add_argument("--quiet", action="store_true", help="no summary on stdout")


def add_tolerance_arguments(parser: argparse.ArgumentParser) -> None:
    """Options for the named tolerances that decide the regime (``OutcomeTolerances``)."""
    default = OutcomeTolerances()
    parser.add_argument(
        "--error-tolerance",
        type=float,
        default=default.error_tolerance,
        metavar="EPS",
        help="largest clean test error of a run that generalises (default: %(default)s)",
    )
    parser.add_argument(
        "--loss-tolerance",
        type=float,
        default=default.loss_tolerance,
        metavar="EPS",
        help="test loss within EPS of its clean floor counts as generalised (default: %(default)s)",
    )
    parser.add_argument(
        "--decide-at",
        type=float,
        metavar="TAU",
        help="call unfitted noisy samples 'not overfitting' once the run reaches time TAU "
        "(default: only when their margins have settled)",
    )


def tolerances_from_args(args: argparse.Namespace) -> OutcomeTolerances:
    return OutcomeTolerances(
        error_tolerance=args.error_tolerance, loss_tolerance=args.loss_tolerance, decide_at=args.decide_at
    )


def main(args: argparse.Namespace) -> int:
    run_dir = Path(args.run_dir)
    constants = merge_constants(
        load_constants(args.constants) if args.constants else {}, parse_constant_options(args.constant)
    )
    into_run_dir = args.out is not None and _same_path(args.out, run_dir)
    if into_run_dir and not args.overwrite:
        raise InputError(f"--out {args.out!r} is the run directory: replacing its report needs --overwrite")
    if args.out is not None and not into_run_dir:
        # A new directory for the reports: claimed for the whole command, the run only while read.
        with claim_output_dir(args.out, overwrite=args.overwrite) as claim:
            if claim.identity is not None and any(claim.path.iterdir()) and not args.overwrite:
                raise InputError(
                    f"output directory {args.out!r} already holds files: choose another --out or pass --overwrite"
                )
            with claim_run(run_dir, shared=True):
                trajectory = Trajectory.load(run_dir)
            report = _report(args, trajectory, constants)
            with staged_run_dir(claim.path, claim=claim, figures=False) as stage:
                for name, data in _report_files(report).items():
                    atomic_write_bytes(stage / name, data)
        return _finish(args, report, f"wrote {args.out}/report.json and report.md")
    if args.overwrite or into_run_dir:
        # Replacing the run's own reports: the run directory is held from reading to writing,
        # and replaced whole only if it is still the directory that was read.
        with claim_output_dir(run_dir, overwrite=True) as claim:
            trajectory = Trajectory.load(run_dir)
            report = _report(args, trajectory, constants)
            replace_files(claim.path, _report_files(report), claim=claim)
        return _finish(args, report, f"wrote {run_dir}/report.json and report.md")
    with claim_run(run_dir, shared=True):
        trajectory = Trajectory.load(run_dir)
    report = _report(args, trajectory, constants)
    return _finish(
        args,
        report,
        f"report not written: pass --out DIR for a new directory, or --overwrite to replace the report in {run_dir}",
    )


def _report(args: argparse.Namespace, trajectory: Trajectory, constants) -> dict:
    return build_report(
        trajectory,
        constants=constants,
        definition=GapDefinition(kind=args.gap, count=args.gap_count),
        tolerances=tolerances_from_args(args),
    )


def _report_files(report: dict) -> dict[str, bytes]:
    """report.json and report.md as bytes (written together, as one unit)."""
    return {"report.json": json_bytes(report), "report.md": report_markdown(report).encode("utf-8")}


def _same_path(a: str | Path, b: str | Path) -> bool:
    return Path(a).resolve() == Path(b).resolve()


def _finish(args: argparse.Namespace, report: dict, written: str) -> int:
    status = exit_status(report)
    if not args.quiet:
        summary = report["checks_summary"]
        print(
            f"verdict: {report['verdict']}; checks: {summary['passed']} passed, {summary['failed']} failed, "
            f"{summary['undetermined']} undetermined"
        )
        for check in report["checks"]:
            print(f"  {check['outcome']:>12}  {check['name']}")
        print(written)
    return status
