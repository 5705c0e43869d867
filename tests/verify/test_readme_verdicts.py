"""The README's worked examples of verdicts come from a committed result file, which this test
recomputes; the README's table is printed from that file."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _examples_module():
    spec = importlib.util.spec_from_file_location("verdict_examples", REPO / "docs" / "verdict_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _close(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def test_committed_examples_are_what_the_code_computes():
    module = _examples_module()
    committed = json.loads(module.RESULTS.read_text(encoding="utf-8"))
    assert _close(json.loads(json.dumps(module.compute())), committed)


def test_readme_table_is_printed_from_the_committed_examples():
    module = _examples_module()
    committed = json.loads(module.RESULTS.read_text(encoding="utf-8"))
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for row in module.readme_rows(committed):
        assert row in readme, row
    low = min(r[0] for r in committed["balanced_flow"]["g_growth_exponent_range"].values())
    high = max(r[1] for r in committed["balanced_flow"]["g_growth_exponent_range"].values())
    top = max(r[1] for r in committed["large_signal_5000"]["g_growth_exponent_range"].values())
    assert f"{low:.2f}–{high:.2f}" in readme and f"up to {top:.2f}" in readme
