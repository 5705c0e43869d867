"""Flow sweeps (event times, outcomes at horizons), log-spaced axes, init / draw options in sweeps."""

from __future__ import annotations

import json

import numpy as np
import pytest

from numerics.flow import run_flow
from theory.params import ProblemParams
from verify.cli import main
from verify.experiments.flow_cells import FlowSweep
from verify.experiments.sweep import SweepSpec, load_sweep, parse_axis, run_sweep
from verify.reporting.classify import FIT_OUTCOMES, error_from_accuracy, fit_outcome

SMALL = ProblemParams(n_train=6, seq_len=4, dim=2000, n_test=60, init="gaussian", draw="latent")
SETTINGS = FlowSweep(horizon=1e4, rtol=1e-7, atol=1e-10, checkpoints=20)


def test_log_axes_are_log_spaced_rounded_and_deduplicated():
    name, dims = parse_axis("dim=log:1e2:1e8:25")
    assert name == "dim" and len(dims) == 25 and dims[0] == 100 and dims[-1] == 10**8
    assert all(isinstance(d, int) for d in dims)
    np.testing.assert_allclose(np.diff(np.log10(dims)), 0.25, atol=0.01)
    assert parse_axis("dim=log:2:10:20") == ("dim", (2, 3, 4, 5, 6, 7, 8, 9, 10))
    assert parse_axis("signal_norm=log:1:1000:4") == ("signal_norm", (1.0, 10.0, 100.0, 1000.0))
    for bad in ("dim=log:0:10:3", "dim=log:10:1:3", "dim=log:1:10", "dim=log:1:10:0", "dim=log:1:10:2.5"):
        with pytest.raises(ValueError, match="log"):
            parse_axis(bad)


@pytest.mark.parametrize(
    "clean, noisy, acc, outcome",
    [
        (0.9, 1.0, 1.0, "not fitted"),
        (1.0, 0.5, 1.0, "not overfitting"),
        (1.0, 1.0, 0.97, "benign"),
        (1.0, 1.0, 0.9, "harmful"),
        (1.0, float("nan"), 1.0, "benign"),
    ],
)
def test_fit_outcome(clean, noisy, acc, outcome):
    assert fit_outcome(clean, noisy, error_from_accuracy(acc), 0.05) == outcome
    assert outcome in FIT_OUTCOMES


def test_flow_settings_validate_and_round_trip():
    assert FlowSweep(horizon=1e3).outcome_horizons == (1.0, 10.0, 100.0, 1000.0)
    assert FlowSweep(horizon=50.0).outcome_horizons == (1.0, 10.0, 50.0)
    for bad in ({"horizon": -1.0}, {"outcome_horizons": (1e9,)}, {"test_error_tolerance": 1.5}, {"method": "Euler"}):
        with pytest.raises(ValueError):
            FlowSweep(**bad)
    spec = SweepSpec(base=SMALL, axes=(("signal_norm", (5.0, 30.0)),), seeds=(1,), engine="flow", flow=SETTINGS)
    assert SweepSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    with pytest.raises(ValueError, match="engine='flow'"):
        SweepSpec(base=SMALL, axes=(("signal_norm", (5.0,)),), seeds=(1,), engine="reduced", flow=SETTINGS)
    with pytest.raises(ValueError, match="direct"):
        SweepSpec(base=SMALL, axes=(("signal_norm", (5.0,)),), seeds=(1,), engine="direct")


def test_flow_cells_hold_events_and_outcomes_and_match_a_lone_run(tmp_path):
    spec = SweepSpec(base=SMALL, axes=(("signal_norm", (5.0, 30.0)),), seeds=(1, 2), engine="flow", flow=SETTINGS)
    counts = run_sweep(spec, tmp_path / "s", executor="serial")
    assert counts == {"cells": 4, "already_done": 0, "computed": 4, "failed": 0}
    cell = json.loads((tmp_path / "s" / "cells" / "signal_norm=30.0_seed=2.json").read_text())
    # The column shares one latent frame and test noise: the cell equals run_flow of it alone.
    alone = run_flow(SMALL.replace(signal_norm=30.0, seed=2), options=SETTINGS.options(), events=SETTINGS.events())
    assert cell["events"] == json.loads(json.dumps(alone.stats["events"]))
    assert cell["test_loss"] == pytest.approx(float(alone.arrays["test_loss"][-1]), rel=1e-12)
    assert [row["time"] for row in cell["horizons"]] == [1.0, 10.0, 100.0, 1000.0, 10000.0]
    final = cell["horizons"][-1]
    assert final["outcome"] == fit_outcome(
        final["train_acc_clean"], final["train_acc_noisy"] or np.nan, error_from_accuracy(final["test_acc"]), 0.05
    )
    for key in ("all_clean_fitted", "all_noisy_fitted", "test_loss_near_floor", "test_error_within_tolerance"):
        assert key in cell["events"]
    assert cell["tau_reached"] == 1e4
    # Resuming computes nothing and the summary reads the flow cells.
    assert run_sweep(spec, tmp_path / "s", executor="serial")["computed"] == 0
    assert load_sweep(tmp_path / "s").complete


def test_sweep_cli_flow_on_log_dims_with_latent_draw(tmp_path):
    out = tmp_path / "cli"
    code = main(
        [
            "sweep",
            "--engine",
            "flow",
            "--horizon",
            "1e8",
            "--axis",
            "dim=log:1e2:1e8:5",
            "--draw",
            "latent",
            "--init",
            "gaussian",
            "--init-seed",
            "3",
            "--n-train",
            "6",
            "--seq-len",
            "4",
            "--n-test",
            "40",
            "--executor",
            "serial",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    spec = json.loads((out / "sweep.json").read_text())
    assert spec["axes"] == [["dim", [100, 3162, 100000, 3162278, 100000000]]]
    assert spec["base"]["init_seed"] == 3 and spec["flow"]["horizon"] == 1e8
    cells = [json.loads(p.read_text()) for p in sorted((out / "cells").glob("*.json"))]
    assert len(cells) == 5 and all(c["status"] == "success" for c in cells)
    assert all(c["events"]["all_noisy_fitted"] is None or c["events"]["all_noisy_fitted"] >= 0 for c in cells)


def test_flow_options_need_the_flow_engine(tmp_path, capsys):
    code = main(["sweep", "--axis", "signal_norm=5,10", "--horizon", "10", "--out", str(tmp_path / "x")])
    assert code == 2
    assert "--horizon: only used with --engine flow" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
