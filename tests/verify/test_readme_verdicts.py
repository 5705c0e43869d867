"""The README's worked examples of verdicts come from a committed result file, which this test
recomputes; the README's table is printed from that file."""

from __future__ import annotations

import importlib.util
import json
import math
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _examples_module():
    spec = importlib.util.spec_from_file_location("verdict_examples", REPO / "docs" / "verdict_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _close(a, b, rel_tol: float = 1e-9) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], rel_tol) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y, rel_tol) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-12)
    return a == b


#: GD is deterministic up to rounding. An adaptive flow (rtol 1e-8) is reproducible only to its
#: tolerance: a change of rounding in its right side changes the solver's steps, and the
#: g-growth exponents, slopes of differences, amplify that (1e-6 seen after such a change).
_REL_TOL = {"gd": 1e-9, "flow": 1e-5}


# A reference recomputation of every committed example; the default run checks that the README
# prints the committed numbers (below).
@pytest.mark.slow
def test_committed_examples_are_what_the_code_computes():
    module = _examples_module()
    committed = json.loads(module.RESULTS.read_text(encoding="utf-8"))
    computed = json.loads(json.dumps(module.compute()))
    assert computed.keys() == committed.keys()
    for name, example in computed.items():
        assert _close(example, committed[name], _REL_TOL[example["engine"]]), name


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


def _interval(x):
    return f"{x['estimate']:.3f} ({x['ci_low']:.3f} … {x['ci_high']:.3f})"


def _statement_verdict(statement: str, label: str, key: str) -> str:
    """The verdict the committed statement gives one exponent ("LABEL, exponent of KEY: ... against P: VERDICT")."""
    segment = statement[statement.index(f"{label}, exponent of {key}:") :]
    return re.search(r"against [^:]+: (confirmed|contradicted|not resolvable)", segment).group(1)


def _regime_map(folder: str) -> dict:
    return json.loads((REPO / "docs" / "results" / folder / "regime_map.json").read_text(encoding="utf-8"))


def test_readme_regime_map_table_comes_from_the_committed_results():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quick, full = _regime_map("regime_map_quick"), _regime_map("regime_map")
    rows = [(quick, "boundaries", name) for name in quick["boundaries"]]
    rows += [(full, table, name) for table in ("boundaries", "boundaries_large_d") for name in full["boundaries"]]
    rows.append((quick, "boundaries_large_d", "benign_not_overfitting"))
    for result, table, name in rows:
        entry = result[table][name]
        row = (
            f"| {_interval(entry['exponent_d'])} | {entry['predicted']['exponent_d']:g} | "
            f"{_interval(entry['exponent_n'])} | {entry['predicted']['exponent_n']:g} | {entry['runs']} |"
        )
        assert row in readme, (table, name, row)
    assert quick["design"]["runs"] == 1470 and "1470 runs" in readme
    assert full["design"]["runs"] == 1950 and "1960 runs (1950 finished" in readme
    assert full["large_d_from"] == quick["large_d_from"] == 1e5


def test_readme_regime_map_verdicts_are_the_committed_statements():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quick, full = _regime_map("regime_map_quick"), _regime_map("regime_map")
    moved = full["not_overfitting_boundary"]
    assert moved["verdict"] == "settled" and moved["log_boundary_shift"] == 0.0 and moved["from_horizon"] == 1e7
    assert f"did not move at all from\nτ = 10⁷ to 10⁸ (±{moved['ci_half_width']:.3f} in log ‖μ‖)" in readme
    whole, large = full["boundaries"], full["boundaries_large_d"]
    assert f"({whole['benign_not_overfitting']['exponent_d']['estimate']:.2f} for d)" in readme
    first = full["local_exponents"]["benign_not_overfitting"][0]
    assert first["dim_low"] == 100 and f"{first['exponent_d']['estimate']:.2f} over 10²–10⁴" in readme
    bno = large["benign_not_overfitting"]
    assert (
        f"{bno['exponent_d']['estimate']:.3f}, 95 % CI {bno['exponent_d']['ci_low']:.3f}–"
        f"{bno['exponent_d']['ci_high']:.3f}" in readme
    )
    assert (
        f"{bno['exponent_n']['estimate']:.3f}\n({bno['exponent_n']['ci_low']:.3f} … {bno['exponent_n']['ci_high']:.3f})"
        in readme
    )
    label = "benign | not overfitting for d ≥ 1e+05"
    assert _statement_verdict(full["statement"], label, "d") == "confirmed"
    assert _statement_verdict(full["statement"], label, "n") == "not resolvable"
    assert _statement_verdict(quick["statement"], label, "n") == "confirmed"
    assert "is confirmed** to the goal's" in readme and "**not resolved**" in readme
    for result in (quick, full):
        for name in ("harmful | benign (test error)", "harmful | benign (excess test loss)"):
            for where in (" over the whole design", " for d ≥ 1e+05"):
                assert _statement_verdict(result["statement"], name + where, "d") == "contradicted"
    assert "harmful | benign law is **contradicted** at both readings" in readme
    benign = full["constants"]["C_benign"]
    assert f"n·SNR² ≈ {benign['estimate']:.0f}" in readme
    assert f"95 % CI {benign['ci_low']:.0f}–{benign['ci_high']:.0f}" in readme
    loss, loss_large = whole["harmful_benign_loss"], large["harmful_benign_loss"]
    assert f"d^{loss['exponent_d']['estimate']:.2f} n^{loss['exponent_n']['estimate']:.2f}" in readme
    assert f"d^{loss_large['exponent_d']['estimate']:.2f} for d ≥ 10⁵" in readme
    for result, design in ((full, "full design"), (quick, "quick one")):
        validation = result["validation"]
        assert (
            f"{validation['accuracy']:.3f} ({validation['runs']} runs) in\nthe {design}" in readme
            or f"{validation['accuracy']:.3f} ({validation['runs']} runs) in the {design}" in readme
        ), design


def test_readme_phase_table_comes_from_the_committed_sweep_summary():
    summary = json.loads((REPO / "docs" / "results" / "paper_sweep_summary.json").read_text())
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for key, entry in summary["phase"]["boundaries"].items():
        low, high = entry["exponent_ci95"]
        separation = summary["phase"]["separation"][key]
        assert f"| {entry['exponent']:.2f} ({low:.2f} … {high:.2f}) |" in readme, key
        assert f"{separation['n_snr_squared']:.3f} · {separation['mu_over_d_quarter']:.3f}" in readme, key
        assert f"| {len(entry['points'])} (d " in readme, key
