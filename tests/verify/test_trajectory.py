import json

import numpy as np
import pytest

from numerics.data import make_data
from numerics.gd import run_direct
from theory.params import ProblemParams
from verify.trajectory import SCHEMA_VERSION, Trajectory


@pytest.fixture(scope="module")
def trajectory():
    params = ProblemParams(dim=15, n_test=12, steps=25, step_size=0.5)
    data = make_data(params)
    return Trajectory.from_recording(run_direct(params, data=data), params, source="gd:direct")


def test_round_trip_is_exact(trajectory, tmp_path):
    trajectory.save(tmp_path)
    loaded = Trajectory.load(tmp_path)
    assert loaded.params == trajectory.params and loaded.source == trajectory.source
    assert set(loaded.arrays) == set(trajectory.arrays)
    for name, array in trajectory.arrays.items():
        np.testing.assert_array_equal(loaded.arrays[name], array, strict=True)
    assert loaded.stats == trajectory.stats and loaded.provenance == trajectory.provenance


def test_saved_bytes_are_deterministic(trajectory, tmp_path):
    (tmp_path / "a").mkdir()
    trajectory.save(tmp_path / "a")
    (tmp_path / "b").mkdir()
    trajectory.save(tmp_path / "b")
    assert (tmp_path / "a" / "trajectory.npz").read_bytes() == (tmp_path / "b" / "trajectory.npz").read_bytes()


def test_required_arrays_named_in_the_issue(trajectory):
    for name in ("step", "train_loss", "train_acc", "test_loss", "test_acc", "attention_train"):
        assert name in trajectory.arrays
    assert trajectory.arrays["attention_train"].shape == (26, 20, 8)


def test_truncated_archive_and_newer_schema_are_refused(trajectory, tmp_path):
    trajectory.save(tmp_path)
    npz = tmp_path / "trajectory.npz"
    npz.write_bytes(npz.read_bytes()[:500])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        Trajectory.load(tmp_path)
    trajectory.save(tmp_path)
    sidecar = json.loads((tmp_path / "trajectory.json").read_text())
    sidecar["schema_version"] = SCHEMA_VERSION + 1
    (tmp_path / "trajectory.json").write_text(json.dumps(sidecar))
    with pytest.raises(ValueError, match="newer than this toolkit reads"):
        Trajectory.load(tmp_path)
    with pytest.raises(ValueError, match="not a run directory"):
        Trajectory.load(tmp_path / "nowhere")


@pytest.mark.parametrize("layout", ["independent", "official"])
def test_labels_come_from_the_parameters_as_the_data_draw_makes_them(layout):
    """from_recording derives the labels from the parameters; the data generator draws them."""
    params = ProblemParams(dim=12, n_train=10, n_test=7, steps=2, label_noise=0.3, layout=layout)
    data = make_data(params)
    run = Trajectory.from_recording(run_direct(params, data=data), params, source="gd:direct")
    np.testing.assert_array_equal(run.train_labels, data.train.labels)
    np.testing.assert_array_equal(run.arrays["train_true_labels"], data.train.true_labels)
    np.testing.assert_array_equal(run.noisy, data.train.noisy)
    np.testing.assert_array_equal(run.arrays["test_labels"], data.test.labels)


def test_named_fields_and_status(trajectory):
    from numerics.status import Status

    assert trajectory.status is Status.SUCCESS and trajectory.sidecar()["status"] == "success"
    assert trajectory.time is trajectory.arrays["time"] and trajectory.attention is trajectory.arrays["attention_train"]
    for name in ("train_loss", "test_loss", "train_acc", "test_acc", "train_labels"):
        assert getattr(trajectory, name) is trajectory.arrays[name]
    # A status name is accepted and converted; an unknown one is refused.
    named = Trajectory(params=trajectory.params, source="gd:direct", arrays=trajectory.arrays, status="nonfinite")
    assert named.status is Status.NONFINITE
    with pytest.raises(ValueError, match="status='exploded'"):
        Trajectory(params=trajectory.params, source="gd:direct", arrays=trajectory.arrays, status="exploded")


def test_engine_runs_become_trajectories_in_one_place():
    """Only verify.simulation wraps an engine's recording (run, flow, figure and the API use it)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    callers = sorted(
        str(p.relative_to(root))
        for folder in ("verify", "docs", "benchmarks")
        for p in (root / folder).rglob("*.py")
        if "from_recording(" in p.read_text(encoding="utf-8")
    )
    assert callers == ["verify/simulation.py", "verify/trajectory.py"]


def test_simulate_draws_the_test_set_as_asked():
    from theory.validation import InputError
    from verify.simulation import simulate

    params = ProblemParams(dim=25, n_test=40, steps=15, step_size=0.3)
    full, given = simulate(params, test_draw="full"), simulate(params, data=make_data(params))
    np.testing.assert_allclose(full.arrays["test_outputs"], given.arrays["test_outputs"], rtol=1e-12, atol=1e-14)
    assert full.stats["test_source"] == "projected"
    auto = simulate(params)
    assert auto.stats["test_source"] == "subspace"
    assert not np.allclose(auto.arrays["test_outputs"], full.arrays["test_outputs"])
    np.testing.assert_array_equal(auto.arrays["train_outputs"], full.arrays["train_outputs"])
    with pytest.raises(InputError, match="test_draw='d': must be one of auto, full"):
        simulate(params, test_draw="d")
