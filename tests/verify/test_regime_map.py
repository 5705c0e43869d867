"""The regime-map experiment end to end on a tiny design, and its statement of the answer."""

from __future__ import annotations

import json

import pytest

from theory.params import ProblemParams
from verify.cli import main as cli_main
from verify.regime_map import RegimeMapDesign, run_regime_map, signal_range, statement

TINY = RegimeMapDesign(dims=(100, 10_000, 1_000_000), n_values=(6, 12), signal_points=5, span=(3.0, 30.0),
                       seeds=(0, 1, 2), heldout_seeds=(50,), horizon=1e3, error_tolerances=(0.05, 0.1),
                       base=ProblemParams(draw="latent", init="gaussian", seq_len=4, n_test=100))


def test_signal_range_brackets_both_predicted_boundaries():
    lo, hi = signal_range(10**6, 20, (3.0, 30.0))
    assert lo == pytest.approx(10**1.5 / 3) and hi == pytest.approx((10**6 / 20) ** 0.5 * 30)


def test_tiny_regime_map_writes_its_files_and_resumes(tmp_path):
    out = tmp_path / "map"
    result = run_regime_map(TINY, out, quick=True, executor="serial", bootstrap=20)
    stored = json.loads((out / "regime_map.json").read_text())
    for boundary in ("harmful_benign", "benign_not_overfitting"):
        entry = stored["boundaries"][boundary]
        assert "undetermined" in entry or {"estimate", "ci_low", "ci_high"} <= set(entry["exponent_d"])
    assert stored["design"]["runs"] == 3 * 2 * 5 * 3
    assert "validation" in stored and stored["statement"].endswith(".")
    constants = json.loads((out / "constants.json").read_text())
    assert set(constants["constants"]) <= {"C_harm", "C_benign", "C_clean"}
    for name in ("regime_map", "sensitivity", "noisy_fit_time"):
        assert (out / "figures" / f"{name}.png").is_file()
    assert (out / "regime_map.md").read_text().startswith("# The regime map, measured")
    # The constants file is what predict reads.
    if constants["constants"]:
        assert cli_main(["predict", "--constants", str(out / "constants.json"), "--json"]) == 0
    # Re-running resumes: no cell is computed again and the answer is the same.
    again = run_regime_map(TINY, out, quick=True, executor="serial", bootstrap=20)
    assert again["boundaries"].keys() == result["boundaries"].keys()


def test_statement_says_confirmed_contradicted_or_not_resolvable():
    def entry(low, high, predicted):
        return {"predicted": {"exponent_d": predicted, "exponent_n": 0.0},
                "exponent_d": {"estimate": (low + high) / 2, "ci_low": low, "ci_high": high,
                               "half_width": (high - low) / 2}, "exponent_n": None}
    goal = {"exponent_d": 0.05, "exponent_n": 0.1}
    assert "confirmed" in statement({"b": entry(0.22, 0.28, 0.25)}, goal)
    assert "contradicted" in statement({"b": entry(0.4, 0.6, 0.25)}, goal)
    assert "not resolvable" in statement({"b": entry(-0.5, 1.0, 0.25)}, goal)
    assert "not resolvable" in statement({"b": {"undetermined": "no runs", "predicted": {}}}, goal)
