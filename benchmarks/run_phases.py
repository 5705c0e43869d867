"""Where the time of ``benign-attn run`` on the defaults goes: its steps timed one after another
in this fresh process, printed as one JSON object (seconds). Run by ``bench_startup.py``.

The steps are those of ``verify/commands/run.py`` (``simulate`` with ``make_data``'s test set,
``build_report``, the run directory's files and figure), each import timed where it first
happens; then, apart from the total, the training again with the test set drawn in the subspace.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

started = last = time.perf_counter()
phases: dict[str, float] = {}


def lap(name: str) -> None:
    global last
    now = time.perf_counter()
    phases[name] = now - last
    last = now


import numpy  # noqa: E402, F401

lap("import numpy")
from theory.params import ProblemParams  # noqa: E402
from verify.simulation import simulate  # noqa: E402

lap("import the engine's modules")
params = ProblemParams()
trajectory = simulate(params, test_draw="full")
lap("draw the data and train (simulate)")
from verify.reporting.report import build_report, report_markdown  # noqa: E402

lap("import the reporting (SymPy)")
report = build_report(trajectory)
lap("judge the run (build_report)")
from verify.files import atomic_write_text, write_json  # noqa: E402

with tempfile.TemporaryDirectory() as scratch:
    out = Path(scratch)
    atomic_write_text(out / "params.toml", params.to_toml())
    trajectory.save(out)
    write_json(out / "report.json", report)
    atomic_write_text(out / "report.md", report_markdown(report))
    lap("write the run files")
    from verify.plots import dynamics_figure, save_figure, setting_title

    lap("import the plotting (matplotlib)")
    figure = dynamics_figure([trajectory], [setting_title(params, report["verdict"])])
    save_figure(figure, out / "dynamics", formats=("png",))
    lap("draw the figure")
phases["total"] = time.perf_counter() - started
# Not a step of run: the same training with the test set drawn in the subspace (simulate's
# default; the same law, other numbers than make_data's), for what that choice would save.
last = time.perf_counter()
simulate(params)
lap("alternative: train with the test set drawn in the subspace")
json.dump(phases, sys.stdout)
