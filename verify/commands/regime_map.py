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

NAME = "regime-map"
HELP = "measure the regime map's two boundary laws (exponents with CIs) and calibrate its constants"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true",
                        help="the quick design (about 10 minutes on 2 cores) instead of the full one")
    parser.add_argument("--out", metavar="DIR", help="output directory (default: regime-map or regime-map-quick)")
    parser.add_argument("--executor", choices=("local", "dask", "serial"), default="local",
                        help="where the sweeps run (default: %(default)s)")
    parser.add_argument("--workers", type=int, metavar="N", help="worker processes (default: all cores)")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler (with --executor dask)")
    parser.add_argument("--bootstrap", type=int, default=200, metavar="B",
                        help="bootstrap resamples for the intervals (default: %(default)s)")
    parser.add_argument("--error-tolerance", type=float, default=0.05, metavar="EPS",
                        help="clean test error above which a fitted run is harmful (default: %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="no progress or summary")


def _statement(boundaries: dict, goal: dict) -> str:
    """The answer in words: confirmed, contradicted or not resolvable, per exponent."""
    parts = []
    for name, entry in boundaries.items():
        label = name.replace("_", " | ")
        if "undetermined" in entry:
            parts.append(f"{label}: not resolvable ({entry['undetermined']})")
            continue
        for key in ("exponent_d", "exponent_n"):
            interval = entry.get(key)
            if interval is None:
                continue
            predicted = entry["predicted"][key]
            inside = interval["ci_low"] <= predicted <= interval["ci_high"]
            tight = interval["half_width"] <= goal[key]
            verdict = ("contradicted" if not inside else "confirmed" if tight else "not resolvable (interval too wide)")
            parts.append(f"{label}, {key.replace('exponent_', 'exponent of ')}: {interval['estimate']:.3f} "
                         f"(95 % CI {interval['ci_low']:.3f} … {interval['ci_high']:.3f}) against {predicted:g}: "
                         f"{verdict}")
    return "; ".join(parts) + "."


def main(args: argparse.Namespace) -> int:
    from verify.plots import noisy_fit_time_figure, regime_map_figure, regime_map_sensitivity_figure, save_figure
    from verify.provenance import provenance
    from verify.regime_map import (RegimeMapDesign, analyse, collect, design_sweeps, validate_constants,
                                   write_outputs)
    from verify.sweep import run_sweep

    if args.bootstrap < 10:
        raise ValueError(f"--bootstrap {args.bootstrap}: must be >= 10")
    if not 0 <= args.error_tolerance < 1:
        raise ValueError(f"--error-tolerance {args.error_tolerance!r}: must be in [0, 1)")
    design = RegimeMapDesign.quick() if args.quick else RegimeMapDesign.full()
    out = Path(args.out or ("regime-map-quick" if args.quick else "regime-map"))
    progress = not args.quiet and sys.stderr.isatty()
    for heldout, folder in ((False, "sweeps"), (True, "heldout")):
        for name, spec in design_sweeps(design, heldout=heldout):
            counts = run_sweep(spec, out / folder / name, executor=args.executor, workers=args.workers,
                               scheduler=args.scheduler, progress=progress)
            if not args.quiet:
                print(f"{folder}/{name}: {counts['cells']} cells, {counts['computed']} computed, "
                      f"{counts['failed']} failed", file=sys.stderr)
    records = collect(out / "sweeps", design)
    result = analyse(records, design, bootstrap=args.bootstrap, error_tolerance=args.error_tolerance)
    constants = {k: v["estimate"] for k, v in result["constants"].items() if isinstance(v, dict)}
    result["validation"] = validate_constants(collect(out / "heldout", design, heldout=True), constants,
                                              horizon=design.horizon, error_tolerance=args.error_tolerance,
                                              base=design.base)
    goal = {"exponent_d": 0.1 if args.quick else 0.05, "exponent_n": 0.2 if args.quick else 0.1}
    result["goal_half_width"] = goal
    result["statement"] = _statement(result["boundaries"], goal)
    result["design"] = design.to_dict() | {"quick": bool(args.quick), "runs": len(records)}
    result["provenance"] = provenance()
    write_outputs(out, result)
    (out / "figures").mkdir(exist_ok=True)
    save_figure(regime_map_figure(records, result, horizon=design.horizon, error_tolerance=args.error_tolerance),
                 out / "figures" / "regime_map")
    save_figure(regime_map_sensitivity_figure(result), out / "figures" / "sensitivity")
    save_figure(noisy_fit_time_figure(records, n_train=design.n_values[len(design.n_values) // 2]),
                 out / "figures" / "noisy_fit_time")
    if not args.quiet:
        print(result["statement"])
        print(f"validation accuracy {result['validation']['accuracy']} on {result['validation']['runs']} held-out runs")
        print(f"wrote {out}/regime_map.json, regime_map.md, constants.json, figures/")
    return 0
