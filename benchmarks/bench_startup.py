"""Benchmark: start-up and end-to-end wall time of the command line, beside a bare Python start.

Measured in one run, each as a fresh process, interleaved round by round so that a change in
machine load hits every command alike: ``python -c pass``, the bare imports of the libraries
``run`` needs (``LIBRARIES``: the floor under any ``run``), ``benign-attn --help``,
``benign-attn run`` on the default setting (into a temporary directory) and ``benign-attn
predict`` on the default setting. Reports the median of ``--repeats`` rounds and the ratios to
the bare start. Targets: ``--help`` within 5x the bare start, ``run`` and ``predict`` within 1.5 s.

Usage: python benchmarks/bench_startup.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results_file import write_result

#: The installed ``benign-attn`` script beside this interpreter, else the same entry point as a module.
_SCRIPT = Path(sys.executable).parent / "benign-attn"
CLI = (str(_SCRIPT),) if _SCRIPT.exists() else (sys.executable, "-m", "verify.cli")
TARGETS = {"help_ratio": 5.0, "run_s": 1.5, "predict_s": 1.5}


#: What ``run`` cannot avoid importing: NumPy for the engine, SymPy for the theory its checks
#: evaluate, matplotlib (figure and Agg canvas) for its figure.
LIBRARIES = "import numpy, sympy, matplotlib.figure, matplotlib.backends.backend_agg"


def _commands(out: Path) -> dict[str, tuple[str, ...]]:
    return {
        "bare": (sys.executable, "-c", "pass"),
        "libraries": (sys.executable, "-c", LIBRARIES),
        "help": (*CLI, "--help"),
        "run": (*CLI, "run", "--quiet", "--out", str(out)),
        "predict": (*CLI, "predict"),
    }


def _time(argv: tuple[str, ...]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one process; the CPU time is what a loaded
    machine inflates least."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _run_phases(repeats: int) -> dict[str, float]:
    """Median seconds of each step of ``run`` on the defaults (``run_phases.py``, a fresh process each time)."""
    script = Path(__file__).with_name("run_phases.py")
    rounds = [
        json.loads(subprocess.run([sys.executable, str(script)], check=True, capture_output=True, text=True).stdout)
        for _ in range(repeats)
    ]
    return {name: statistics.median(r[name] for r in rounds) for name in rounds[0]}


def main() -> None:
    parser = argparse.ArgumentParser(allow_abbrev=False)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    times: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "run"
        commands = _commands(out)
        for _ in range(args.repeats):
            for name, argv in commands.items():
                if name == "run":
                    shutil.rmtree(out, ignore_errors=True)  # each run writes a fresh directory
                wall, used = _time(argv)
                times.setdefault(name, []).append(wall)
                cpu.setdefault(name, []).append(used)
    median = {name: statistics.median(values) for name, values in times.items()}
    phases = _run_phases(args.repeats)
    median_cpu = {name: statistics.median(values) for name, values in cpu.items()}
    result = {
        "repeats": args.repeats,
        "median_s": median,
        "ratio_to_bare": {name: value / median["bare"] for name, value in median.items()},
        "median_cpu_s": median_cpu,
        "all_s": times,
        "run_phases_median_s": phases,
        "load_average_before": list(load_before),
        "targets": TARGETS,
        "met": {
            "help_ratio": median["help"] / median["bare"] <= TARGETS["help_ratio"],
            "run_s": median["run"] <= TARGETS["run_s"],
            "predict_s": median["predict"] <= TARGETS["predict_s"],
        },
    }
    path = write_result("startup", result)
    print(f"load average before: {', '.join(f'{x:.2f}' for x in load_before)} (results depend on it)")
    for name, value in median.items():
        print(f"{name:8s} {value:7.3f} s  ({value / median['bare']:6.1f} x bare)   cpu {median_cpu[name]:6.3f} s")
    print("run on the defaults, step by step (median, one process):")
    for name, value in phases.items():
        print(f"  {name:40s} {value:6.3f} s")
    print(f"targets met: {result['met']}; wrote {path}")


if __name__ == "__main__":
    main()
