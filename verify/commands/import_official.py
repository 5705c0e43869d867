"""``benign-attn import-official DIR``: turn an official run's output into a run directory.

Paper: the official code's output (``stats_time_step.json``, ``.hydra/config.yaml``).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("official_dir", metavar="DIR", help="output directory of the official code")
    parser.add_argument("--out", metavar="DIR", help="run directory to write (default: runs/official-<DIR name>)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing different run in --out")
    parser.add_argument("--quiet", action="store_true", help="no summary")


def main(args: argparse.Namespace) -> int:
    from verify.files import check_writable_parent
    from verify.reporting.official import read_official_run
    from verify.reporting.report import build_report
    from verify.rundir import claim_output_dir, write_run_dir

    source = Path(args.official_dir)
    out = Path(args.out) if args.out else Path("runs") / f"official-{source.resolve().name}"
    check_writable_parent(out)
    trajectory = read_official_run(source)
    with claim_output_dir(out, trajectory.params, overwrite=args.overwrite) as claim:
        report = build_report(trajectory)
        write_run_dir(claim.path, trajectory, report, claim=claim)
    if not args.quiet:
        final = report["final"]
        print(
            f"imported {len(trajectory.arrays['time'])} checkpoints; verdict: {report['verdict']}; "
            f"train acc {final['train_acc']:.3f}, test acc {final['test_acc']:.3f} at step "
            f"{int(trajectory.arrays['step'][-1])}"
        )
        print(f"wrote {out}/ — check it with: benign-attn verify {out}")
    return 0
