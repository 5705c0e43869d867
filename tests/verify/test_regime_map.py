"""The regime-map experiment end to end on a tiny design, and its statement of the answer."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from theory.params import ProblemParams
from verify.cli import main as cli_main
from verify.experiments.regime_map import (
    RegimeMapDesign,
    analyse,
    local_exponents,
    run_regime_map,
    signal_range,
    statement,
)

TINY = RegimeMapDesign(
    dims=(100, 10_000, 1_000_000),
    n_values=(6, 12),
    signal_points=5,
    span=(3.0, 30.0),
    seeds=(0, 1, 2),
    heldout_seeds=(50,),
    horizon=1e3,
    error_tolerances=(0.05, 0.1),
    base=ProblemParams(draw="latent", init="gaussian", seq_len=4, n_test=100),
)


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
    for name in ("regime_map", "sensitivity", "noisy_fit_time", "local_exponents"):
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
        return {
            "predicted": {"exponent_d": predicted, "exponent_n": 0.0},
            "exponent_d": {
                "estimate": (low + high) / 2,
                "ci_low": low,
                "ci_high": high,
                "half_width": (high - low) / 2,
            },
            "exponent_n": None,
        }

    goal = {"exponent_d": 0.05, "exponent_n": 0.1}
    assert "confirmed" in statement({"b": entry(0.22, 0.28, 0.25)}, goal)
    assert "contradicted" in statement({"b": entry(0.4, 0.6, 0.25)}, goal)
    assert "not resolvable" in statement({"b": entry(-0.5, 1.0, 0.25)}, goal)
    assert "not resolvable" in statement({"b": {"undetermined": "no runs", "predicted": {}}}, goal)


def _records(boundary_log_mu, *, horizons=(1e3,), dims=tuple(10.0**k for k in range(2, 9)), seeds=3):
    """Synthetic runs whose noisy labels are fitted exactly below the boundary log ||mu||*(d, n, tau)."""
    records = []
    for d in dims:
        for n in (10, 40):
            for mu in np.exp(np.linspace(-2, 2, 12) + boundary_log_mu(d, n, horizons[-1])):
                for seed in range(seeds):
                    rows = [
                        {
                            "time": tau,
                            "train_acc_clean": 1.0,
                            "test_acc": 1.0,
                            "train_acc_noisy": 1.0 if math.log(mu) < boundary_log_mu(d, n, tau) else 0.5,
                        }
                        for tau in horizons
                    ]
                    records.append(
                        {"dim": d, "n_train": n, "signal_norm": float(mu), "seed": seed, "horizons": rows, "events": {}}
                    )
    return records


def test_local_exponents_find_a_drifting_boundary_and_a_straight_one():
    straight = local_exponents(
        _records(lambda d, n, tau: 0.5 * math.log(d / n)),
        "benign_not_overfitting",
        horizon=1e3,
        error_tolerance=0.05,
        bootstrap=50,
    )
    assert len(straight) == 5
    for window in straight:
        assert window["exponent_d"]["ci_low"] <= 0.5 <= window["exponent_d"]["ci_high"], window
    # ||mu||* = (d/n)^(1/2) (1 + 10^3/d)^(1/4): exponent 3/4 at small d, 1/2 at large d.
    curved = local_exponents(
        _records(lambda d, n, tau: 0.5 * math.log(d / n) + 0.25 * math.log1p(1e3 / d)),
        "benign_not_overfitting",
        horizon=1e3,
        error_tolerance=0.05,
        bootstrap=50,
    )
    assert not curved[0]["exponent_d"]["ci_low"] <= 0.5 <= curved[0]["exponent_d"]["ci_high"]
    assert curved[-1]["exponent_d"]["ci_low"] <= 0.5 <= curved[-1]["exponent_d"]["ci_high"]


@pytest.mark.parametrize("drift,verdict", [(0.0, "settled"), (0.5, "moving")])
def test_the_horizon_scan_tells_a_settled_boundary_from_a_moving_one(drift, verdict):
    design = RegimeMapDesign(
        dims=tuple(10**k for k in range(2, 9)),
        n_values=(10, 40),
        signal_points=12,
        span=(3.0, 30.0),
        seeds=(0, 1, 2),
        heldout_seeds=(50,),
        horizon=1e3,
        base=ProblemParams(draw="latent", init="gaussian"),
    )
    records = _records(
        lambda d, n, tau: 0.5 * math.log(d / n) + drift * math.log10(tau), horizons=(1.0, 10.0, 100.0, 1e3)
    )
    result = analyse(records, design, bootstrap=50)
    assert result["not_overfitting_boundary"]["verdict"] == verdict, result["not_overfitting_boundary"]
