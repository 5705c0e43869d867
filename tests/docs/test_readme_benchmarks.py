"""The start-up numbers the README and benchmarks/README.md quote are those of the committed
benchmarks/results/startup.json (written by benchmarks/bench_startup.py)."""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STARTUP = json.loads((REPO / "benchmarks" / "results" / "startup.json").read_text(encoding="utf-8"))


def _quoted() -> list[str]:
    median, cpu, ratio = STARTUP["median_s"], STARTUP["median_cpu_s"], STARTUP["ratio_to_bare"]
    return [
        f"`python -c pass` ({median['bare']:.3f} s)",
        f"`--help` **{median['help']:.3f} s ({ratio['help']:.1f}×)**",
        f"`predict` **{median['predict']:.2f} s**",
        f"`run` on the defaults **{median['run']:.2f} s** ({cpu['run']:.2f} s CPU)",
        f"matplotlib alone takes **{median['libraries']:.2f} s**",
    ]


def test_readme_start_up_row_is_the_committed_result():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for text in _quoted():
        assert text in readme, text


def test_readme_run_steps_are_the_committed_result():
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    phases = STARTUP["run_phases_median_s"]
    assert f"takes {STARTUP['median_s']['run']:.2f} s on an idle machine" in readme
    assert f"in one process (`benchmarks/run_phases.py`, {phases['total']:.2f} s in all)" in readme
    for name, words in (
        ("draw the data and train (simulate)", "drawing the data and training"),
        ("import the reporting (SymPy)", "importing SymPy with the reporting"),
        ("judge the run (build_report)", "judging the run"),
        ("import the plotting (matplotlib)", "importing matplotlib"),
        ("draw the figure", "drawing the figure"),
        ("alternative: train with the test set drawn in the subspace", "would train in"),
    ):
        assert f"{words} {phases[name]:.2f} s" in readme, words


def test_benchmarks_readme_start_up_row_is_the_committed_result():
    text = (REPO / "benchmarks" / "README.md").read_text(encoding="utf-8")
    median, cpu = STARTUP["median_s"], STARTUP["median_cpu_s"]
    phases = STARTUP["run_phases_median_s"]
    assert f"median of {STARTUP['repeats']} interleaved rounds" in text
    assert f"`benign-attn --help` **{median['help']:.3f} s" in text
    assert f"`predict` on the defaults **{median['predict']:.2f} s** ({cpu['predict']:.2f} s CPU)" in text
    assert f"`run` on the defaults **{median['run']:.2f} s** ({cpu['run']:.2f} s CPU)" in text
    assert f"its steps {phases['total']:.2f} s in all" in text
    assert f"{phases['alternative: train with the test set drawn in the subspace']:.2f} s with the test set" in text
    assert f"matplotlib ({median['libraries']:.2f} s)" in text
