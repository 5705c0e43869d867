"""Every file is untrusted: adversarial run directories, JSON without NaN, claims, verify's writes.

Hypothesis builds damaged run directories (arrays replaced by NaN, infinities, other shapes,
other dtypes; random bytes for either file); reading one either gives a trajectory that
satisfies every rule a check relies on or raises a one-line ``ValueError`` — never another
exception and never a verdict from non-finite data.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from numerics.data import make_data
from numerics.gd import run_direct
from theory.params import ProblemParams
from verify.claims import claim, lock_path
from verify.files import json_safe, npz_bytes, write_json
from verify.trajectory import Trajectory

REPO_ROOT = Path(__file__).resolve().parents[2]
PARAMS = ProblemParams(dim=6, seq_len=3, n_train=4, n_test=3, steps=2)
#: Properties that write files run half the active profile's examples (at least 20).
FILE_EXAMPLES = max(20, settings.default.max_examples // 2)


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("saved") / "run"
    run.mkdir()
    data = make_data(PARAMS)
    Trajectory.from_recording(run_direct(PARAMS, data=data), PARAMS, source="gd:direct").save(run)
    return run


def _arrays(run: Path) -> dict[str, np.ndarray]:
    with np.load(run / "trajectory.npz") as archive:
        return {name: archive[name] for name in archive.files}


_DAMAGE = st.sampled_from(
    [
        "nan",
        "inf",
        "-inf",
        "negative",
        "huge",
        "flatten",
        "truncate",
        "transpose",
        "as_strings",
        "as_bool",
        "as_int",
        "empty",
        "drop",
        "scalar",
    ]
)


def _damaged(array: np.ndarray, damage: str, where: float) -> np.ndarray | None:
    if damage == "drop":
        return None
    if damage == "scalar":
        return np.array(1.0)
    if damage == "empty":
        return array[:0]
    if damage == "flatten":
        return array.ravel()
    if damage == "truncate":
        return array[:-1] if array.size else array
    if damage == "transpose":
        return array.T.copy()
    if damage == "as_strings":
        return array.astype(str)
    if damage == "as_bool":
        return array.astype(bool)
    if damage == "as_int":
        return array.astype(np.int64)
    out = np.array(array, dtype=np.float64)
    if out.size == 0:
        return out
    value = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "negative": -1.0, "huge": 1e300}[damage]
    out.flat[int(where * out.size) % out.size] = value
    return out


def _assert_trustworthy(trajectory: Trajectory) -> None:
    """What every check relies on after a successful load."""
    arrays = trajectory.arrays
    time_ = arrays["time"]
    assert time_.ndim == 1 and len(time_) >= 1 and np.all(np.isfinite(time_)) and np.all(np.diff(time_) > 0)
    assert np.all(np.isfinite(arrays["train_loss"])) and np.all(arrays["train_loss"] >= 0)
    for name in ("test_loss", "train_acc", "test_acc"):
        assert np.all(np.isfinite(arrays[name])), name
    attention = arrays["attention_train"]
    assert attention.shape == (len(time_), PARAMS.n_train, PARAMS.seq_len)
    assert np.all(np.isfinite(attention))


@settings(max_examples=FILE_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    names=st.lists(
        st.sampled_from(
            sorted(
                [
                    "time",
                    "step",
                    "step_loss",
                    "train_loss",
                    "test_loss",
                    "train_acc",
                    "test_acc",
                    "train_acc_clean",
                    "attention_train",
                    "logits_train",
                    "noisy",
                    "train_labels",
                    "train_true_labels",
                ]
            )
        ),
        min_size=1,
        max_size=3,
        unique=True,
    ),
    damages=st.lists(_DAMAGE, min_size=3, max_size=3),
    where=st.floats(0, 1),
)
def test_a_damaged_run_is_refused_in_one_line_or_trustworthy(saved_run, tmp_path_factory, names, damages, where):
    run = tmp_path_factory.mktemp("damaged")
    for name in ("trajectory.json",):
        (run / name).write_bytes((saved_run / name).read_bytes())
    arrays = _arrays(saved_run)
    for name, damage in zip(names, damages):
        damaged = _damaged(arrays[name], damage, where)
        if damaged is None:
            del arrays[name]
        else:
            arrays[name] = damaged
    (run / "trajectory.npz").write_bytes(npz_bytes(arrays))
    try:
        trajectory = Trajectory.load(run)
    except ValueError as exc:
        assert "\n" not in str(exc) and str(exc)
        return
    _assert_trustworthy(trajectory)


@settings(max_examples=FILE_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    target=st.sampled_from(["trajectory.json", "trajectory.npz"]),
    data=st.binary(max_size=400),
    keep=st.integers(0, 4000),
)
def test_random_bytes_in_a_run_file_are_refused_in_one_line(saved_run, tmp_path_factory, target, data, keep):
    run = tmp_path_factory.mktemp("garbage")
    for name in ("trajectory.json", "trajectory.npz"):
        (run / name).write_bytes((saved_run / name).read_bytes())
    original = (run / target).read_bytes()
    # A prefix of the real file followed by garbage: cut archives, headers, JSON.
    (run / target).write_bytes(original[: keep % (len(original) + 1)] + data)
    try:
        trajectory = Trajectory.load(run)
    except ValueError as exc:
        assert "\n" not in str(exc)
        return
    _assert_trustworthy(trajectory)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=20,
)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=_JSON_VALUES)
def test_json_files_never_carry_nan_or_infinity(tmp_path_factory, value):
    path = tmp_path_factory.mktemp("json") / "out.json"
    write_json(path, {"value": value, "numpy": np.array([1.0, np.nan, np.inf]), "scalar": np.float64(np.nan)})

    def refuse(constant):
        raise AssertionError(f"{constant} in the JSON text")

    parsed = json.loads(path.read_text(), parse_constant=refuse)
    assert parsed["numpy"] == [1.0, None, None] and parsed["scalar"] is None
    assert parsed["value"] == json_safe(value)


def test_a_claim_is_exclusive_released_and_leaves_no_file(tmp_path):
    target = tmp_path / "out"
    with claim(target):
        assert lock_path(target.resolve()).read_text().strip() == str(os.getpid())
        with pytest.raises(ValueError, match=rf"is in use by another benign-attn process \(process {os.getpid()}\)"):
            with claim(target):
                pass
        with pytest.raises(ValueError, match="is in use"):
            with claim(target, shared=True):
                pass
    assert list(tmp_path.iterdir()) == []
    # Readers share; a writer waits for none of them but is refused while one reads.
    with claim(target, shared=True), claim(target, shared=True):
        with pytest.raises(ValueError, match="is in use"):
            with claim(target):
                pass
    assert list(tmp_path.iterdir()) == []


def test_a_claim_left_by_a_killed_process_is_not_stale(tmp_path):
    target = tmp_path / "out"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from verify.claims import claim\n"
            f"with claim({str(target)!r}):\n print('held', flush=True); time.sleep(60)",
        ],
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(ValueError, match=rf"\(process {holder.pid}\)"):
        with claim(target):
            pass
    holder.kill()
    holder.wait()
    assert lock_path(target.resolve()).exists()  # the lock file outlives a SIGKILL ...
    with claim(target):  # ... but not its lock, and the next claim removes it
        pass
    assert list(tmp_path.iterdir()) == []


def test_claims_wait_for_no_missing_parent(tmp_path):
    target = tmp_path / "new" / "deeper" / "out"
    with claim(target):
        assert lock_path(target) == tmp_path / ".new.deeper.out.lock"
        with pytest.raises(ValueError, match="is in use"):
            with claim(target):
                pass
    assert list(tmp_path.iterdir()) == []


def _cli(argv, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "verify.cli", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
        timeout=300,
    )


def test_verify_writes_only_where_asked_and_both_reports_at_once(tmp_path, saved_run):
    from verify.cli import main

    run = tmp_path / "run"
    run.mkdir()
    for path in saved_run.iterdir():
        (run / path.name).write_bytes(path.read_bytes())
    before = sorted(p.name for p in run.iterdir())
    assert main(["verify", str(run), "--quiet"]) in (0, 1)
    assert sorted(p.name for p in run.iterdir()) == before, "verify without --out or --overwrite wrote files"
    assert main(["verify", str(run), "--quiet", "--out", str(tmp_path / "reports")]) in (0, 1)
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["report.json", "report.md"]
    assert oct((tmp_path / "reports").stat().st_mode & 0o777) == oct(0o777 & ~_umask())
    identity = (run.stat().st_ino, (run / "trajectory.npz").stat().st_ino)
    assert main(["verify", str(run), "--quiet", "--overwrite"]) in (0, 1)
    # Replaced as one unit: a new directory, the untouched files hard-linked into it.
    assert run.stat().st_ino != identity[0] and (run / "trajectory.npz").stat().st_ino == identity[1]
    report = json.loads((run / "report.json").read_text())
    assert report["verdict"] in (run / "report.md").read_text()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_sigterm_ends_a_run_like_ctrl_c(tmp_path):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "verify.cli",
            "run",
            "--dim",
            "300",
            "--steps",
            "3000",
            "--n-test",
            "100",
            "--quiet",
            "--out",
            str(tmp_path / "out"),
        ],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not lock_path(tmp_path / "out").exists():
        time.sleep(0.02)  # the run holds its claim: it is past start-up
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode in (0, 143), stderr
    if process.returncode == 143:
        assert stderr.strip() == "benign-attn: terminated; finished results are kept"
        assert list(tmp_path.iterdir()) == []  # no staging directory, no lock file, no run


def test_a_symlinked_out_stays_a_link_and_runs_get_ordinary_permissions(tmp_path, monkeypatch):
    from verify.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    small = ["run", "--dim", "10", "--n-test", "4", "--steps", "2", "--quiet"]
    assert main([*small, "--out", "link", "--overwrite"]) == 0
    assert (tmp_path / "link").is_symlink() and (tmp_path / "real" / "trajectory.npz").is_file()
    assert (tmp_path / "real").stat().st_mode & 0o777 == 0o777 & ~_umask()
    # Running again through the link replaces the run it points to, and keeps the link.
    assert main([*small, "--rho", "0.3", "--out", "link", "--overwrite"]) == 0
    assert (tmp_path / "link").is_symlink() and Trajectory.load(tmp_path / "real").params.rho == 0.3
