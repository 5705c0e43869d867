"""``benign-attn regime-map``: measure both boundary laws of the paper's regime map.

Runs the design's flow sweeps (resumable: re-running computes only missing cells), fits the two
boundaries from outcomes with bootstrap intervals over seeds, calibrates C_harm, C_benign,
C_clean, validates them on held-out runs, and writes ``regime_map.json``, ``regime_map.md``,
``constants.json`` (for ``predict``/``verify --constants``) and figures.

Paper: arXiv 2409.17625 v3 Figure 1 (the regime map).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from theory.validation import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quick", action="store_true", help="the quick design (about 10 minutes on 2 cores) instead of the full one"
    )
    parser.add_argument("--out", metavar="DIR", help="output directory (default: regime-map or regime-map-quick)")
    parser.add_argument(
        "--executor",
        choices=("local", "dask", "serial"),
        default="local",
        help="where the sweeps run (default: %(default)s)",
    )
    parser.add_argument("--workers", type=int, metavar="N", help="worker processes (default: all cores)")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler (with --executor dask)")
    parser.add_argument(
        "--bootstrap",
        type=int,
        default=200,
        metavar="B",
        help="bootstrap resamples for the intervals (default: %(default)s)",
    )
    parser.add_argument(
        "--error-tolerance",
        type=float,
        default=0.05,
        metavar="EPS",
        help="clean test error above which a fitted run is harmful (default: %(default)s)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress or summary")


def main(args: argparse.Namespace) -> int:
    from verify.experiments.regime_map import RegimeMapDesign, run_regime_map

    if args.bootstrap < 10:
        raise InputError(f"--bootstrap {args.bootstrap}: must be >= 10")
    if not 0 <= args.error_tolerance < 1:
        raise InputError(f"--error-tolerance {args.error_tolerance!r}: must be in [0, 1)")
    design = RegimeMapDesign.quick() if args.quick else RegimeMapDesign.full()
    out = Path(args.out or ("regime-map-quick" if args.quick else "regime-map"))
    result = run_regime_map(
        design,
        out,
        quick=args.quick,
        executor=args.executor,
        workers=args.workers,
        scheduler=args.scheduler,
        bootstrap=args.bootstrap,
        error_tolerance=args.error_tolerance,
        progress=not args.quiet and sys.stderr.isatty(),
        log=not args.quiet,
    )
    if not args.quiet:
        print(result["statement"])
        print(f"validation accuracy {result['validation']['accuracy']} on {result['validation']['runs']} held-out runs")
        print(f"wrote {out}/regime_map.json, regime_map.md, constants.json, figures/")
    return 0
