"""``benign-attn flow``: options, the run directory it writes, and failures."""

import argparse
import json

import numpy as np
import pytest

from numerics.flow import FlowOptions
from verify.commands import flow
from verify.trajectory import Trajectory

SMALL = ["--dim", "40", "--n-train", "6", "--seq-len", "4", "--n-test", "30", "--signal-norm", "5"]


def _run(argv):
    parser = argparse.ArgumentParser()
    flow.add_arguments(parser)
    return flow.main(parser.parse_args(argv))


def test_writes_a_run_directory_with_event_times(tmp_path, capsys):
    out = tmp_path / "run"
    assert _run(SMALL + ["--horizon", "1e4", "--checkpoints", "20", "--out", str(out)]) == 0
    for name in ("params.toml", "flow.json", "trajectory.npz", "trajectory.json", "report.json", "report.md"):
        assert (out / name).is_file(), name
    trajectory = Trajectory.load(out)
    assert trajectory.source == "flow:scipy" and trajectory.status.value == "success"
    times = trajectory.arrays["time"]
    assert times[0] == 0 and times[-1] == 1e4 and len(times) == 21
    assert np.all(np.diff(np.log(times[1:])) == pytest.approx(np.log(1e4 / 1e-2) / 19))
    assert "all_noisy_fitted" in trajectory.stats["events"]
    assert json.loads((out / "flow.json").read_text())["options"]["horizon"] == 1e4
    assert "events (attention level 0.9)" in capsys.readouterr().out


def test_failed_integration_keeps_its_checkpoints_and_exits_1(tmp_path, capsys):
    out = tmp_path / "run"
    assert _run(SMALL + ["--horizon", "1e8", "--max-steps", "3", "--out", str(out), "--quiet"]) == 1
    trajectory = Trajectory.load(out)
    assert trajectory.status.value == "max_steps" and "max_steps=3" in trajectory.message
    assert trajectory.arrays["time"][-1] < 1e8
    assert "max_steps" in capsys.readouterr().err


def test_bad_options_are_value_errors(tmp_path):
    with pytest.raises(ValueError, match="dps"):
        _run(SMALL + ["--dps", "10", "--out", str(tmp_path / "x")])
    with pytest.raises(SystemExit):
        _run(SMALL + ["--test-loss-tolerance", "lots"])


def test_defaults_are_the_engine_defaults():
    parser = argparse.ArgumentParser()
    flow.add_arguments(parser)
    args = parser.parse_args([])
    defaults = FlowOptions()
    assert (args.horizon, args.method, args.rtol, args.atol) == (
        defaults.horizon,
        defaults.method,
        defaults.rtol,
        defaults.atol,
    )


def test_rerun_with_other_flow_options_is_refused_unless_overwrite(tmp_path):
    out = tmp_path / "run"
    base = SMALL + ["--horizon", "1e2", "--checkpoints", "5", "--out", str(out), "--quiet"]
    assert _run(base) == 0
    before = (out / "trajectory.npz").read_bytes()
    assert _run(base) == 0  # same parameters and options: reproduced in place
    assert (out / "trajectory.npz").read_bytes() == before
    with pytest.raises(ValueError, match="already holds a different run"):
        _run(base + ["--rtol", "1e-10"])
    assert _run(base + ["--rtol", "1e-10", "--overwrite"]) == 0
    assert json.loads((out / "flow.json").read_text())["options"]["rtol"] == 1e-10
