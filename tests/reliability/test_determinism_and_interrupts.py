"""Determinism (same command and seed -> same bytes) and crash safety under SIGINT / SIGKILL.

Real ``python -m verify.cli`` processes. ``run``: one and two BLAS threads give a byte-identical
``trajectory.npz`` and the same ``report.json`` apart from timings; a run killed at a random
moment leaves its directory complete or absent, and re-running the command gives the
uninterrupted result. ``sweep``: one and two worker processes give identical cell files; a
sweep killed at a random moment leaves only complete cell files, and resuming completes it
with the same files (the deterministic kill-after-two-cells test is in tests/verify/test_sweep.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from verify.commands import COMMANDS
from verify.trajectory import Trajectory

REPO_ROOT = Path(__file__).resolve().parents[2]
RUN = ["run", "--dim", "300", "--steps", "200", "--n-test", "100", "--quiet"]
RUN_FILES = (
    "params.toml",
    "trajectory.npz",
    "trajectory.json",
    "report.json",
    "report.md",
    "figures/dynamics.png",
)
SWEEP = [
    "sweep",
    "--axis",
    "dim=20:50:30",
    "--axis",
    "signal_norm=2,6",
    "--steps",
    "40",
    "--step-size",
    "0.1",
    "--n-test",
    "20",
    "--seeds",
    "2",
    "--chunk-size",
    "1",
    "--quiet",
]
#: Keys whose values are timings, not results, and the toolkit's git commit (other work may be
#: committed between two runs of a test; it is the same for runs of one checkout).
TIMING_KEYS = {"timing", "wall_time_s", "setup_time_s", "git_commit"}


def _env(threads: int = 1) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    env.update({name: str(threads) for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})
    return env


def _cli(argv, cwd: Path, threads: int = 1) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "verify.cli", *argv],
        cwd=cwd,
        env=_env(threads),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return result


def _without_timings(obj):
    if isinstance(obj, dict):
        return {k: _without_timings(v) for k, v in obj.items() if k not in TIMING_KEYS}
    if isinstance(obj, list):
        return [_without_timings(v) for v in obj]
    return obj


def _json(path: Path):
    return _without_timings(json.loads(path.read_text()))


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory) -> Path:
    """The uninterrupted run with one BLAS thread."""
    root = tmp_path_factory.mktemp("reference-run")
    _cli([*RUN, "--out", "ref"], root, threads=1)
    return root / "ref"


@pytest.mark.parametrize(
    "engine",
    [
        "direct",
        pytest.param(
            "reduced",
            # A known failure: checked (strictly) in the slow run only.
            marks=[
                pytest.mark.slow,
                pytest.mark.xfail(
                    strict=True,
                    reason="known: the reduced engine's set-up products round differently with 2 BLAS "
                    "threads (differences ~1e-15); reported to the engine's owner",
                ),
            ],
        ),
    ],
)
def test_run_is_byte_identical_on_one_and_two_threads(tmp_path, engine):
    for threads in (1, 2):
        _cli([*RUN, "--engine", engine, "--out", f"t{threads}"], tmp_path, threads=threads)
    one, two = tmp_path / "t1", tmp_path / "t2"
    assert (two / "params.toml").read_bytes() == (one / "params.toml").read_bytes()
    assert _json(two / "report.json") == _json(one / "report.json")
    assert _json(two / "trajectory.json") == _json(one / "trajectory.json")
    assert (two / "trajectory.npz").read_bytes() == (one / "trajectory.npz").read_bytes()
    # The comparison is not vacuous: the timings that were dropped are present and positive.
    assert json.loads((two / "report.json").read_text())["timing"]["wall_time_s"] > 0


def _assert_complete_run(directory: Path, reference: Path) -> None:
    for name in RUN_FILES:
        assert (directory / name).is_file(), f"{name} missing from {directory}"
    Trajectory.load(directory)
    assert (directory / "trajectory.npz").read_bytes() == (reference / "trajectory.npz").read_bytes()
    assert _json(directory / "report.json") == _json(reference / "report.json")


def _hidden_leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def _interrupt_run(tmp_path: Path, reference: Path, sig: signal.Signals, when) -> list[str]:
    """Start the reference command, send ``sig`` when ``when(process, out)`` returns, check the
    directory is complete or absent, resume, and compare with the uninterrupted run."""
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "verify.cli", *RUN, "--out", str(out)],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    when(process, out)
    if process.poll() is None:
        os.killpg(process.pid, sig)
    _, stderr = process.communicate(timeout=300)
    if sig is signal.SIGINT:
        # Exit 130 from the CLI; -SIGINT if the signal came before the CLI was running; 0 if done.
        assert process.returncode in (0, 130, -signal.SIGINT), (process.returncode, stderr)
        assert _hidden_leftovers(tmp_path) == [], "an interrupted run left its staging directory"
        assert "Traceback" not in stderr or process.returncode == -signal.SIGINT, stderr
    if out.exists():
        _assert_complete_run(out, reference)
    else:
        assert not any(p.name == "out" for p in tmp_path.iterdir())
    leftovers = _hidden_leftovers(tmp_path)
    _cli([*RUN, "--out", str(out)], tmp_path)
    _assert_complete_run(out, reference)
    assert _hidden_leftovers(tmp_path) == [], "the resumed run left stale staging directories"
    return leftovers


def _after(seconds: float):
    return lambda process, out: time.sleep(seconds)


def _while_staging(process, out: Path) -> None:
    """Wait until the staging directory exists and holds a file: the run is writing its results."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        stages = [p for p in out.parent.glob(f".{out.name}.partial-*") if any(p.iterdir())]
        if stages:
            return
        time.sleep(0.005)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_run_killed_while_writing_leaves_whole_or_nothing(reference_run, tmp_path, sig):
    leftovers = _interrupt_run(tmp_path, reference_run, sig, _while_staging)
    if sig is signal.SIGKILL:
        # Killed mid-write: the staging directory survived the kill and the resumed run removed it.
        assert [name for name in leftovers if name.startswith(".out.partial-")], leftovers


# Random moments from a fixed seed so that a failure can be replayed: a fraction of a typical
# run (interpreter start, training, checks and figure included).
_MOMENTS = np.random.default_rng(20240926).uniform(0.2, 6.0, 8)


@pytest.mark.parametrize(
    "sig, seconds",
    [(signal.SIGKILL, _MOMENTS[0]), (signal.SIGINT, _MOMENTS[1])],
    ids=["SIGKILL-random", "SIGINT-random"],
)
def test_run_killed_at_a_random_moment(reference_run, tmp_path, sig, seconds):
    _interrupt_run(tmp_path, reference_run, sig, _after(seconds))


@pytest.mark.slow
@pytest.mark.parametrize("index", range(2, len(_MOMENTS)))
def test_run_killed_at_more_random_moments(reference_run, tmp_path, index):
    sig = signal.SIGKILL if index % 2 else signal.SIGINT
    _interrupt_run(tmp_path, reference_run, sig, _after(_MOMENTS[index]))


needs_sweep = pytest.mark.skipif("sweep" not in COMMANDS, reason="benign-attn sweep does not exist yet")


def _cells(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((directory / "cells").glob("*.json"))}


@pytest.fixture(scope="module")
def reference_sweep(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("reference-sweep")
    _cli([*SWEEP, "--workers", "1", "--out", "ref"], root)
    return root / "ref"


@needs_sweep
def test_sweep_is_identical_on_one_and_two_workers(reference_sweep, tmp_path):
    _cli([*SWEEP, "--workers", "2", "--out", "two"], tmp_path)
    cells = _cells(tmp_path / "two")
    assert len(cells) == 8 and cells == _cells(reference_sweep)
    assert _json(tmp_path / "two" / "summary.json") == _json(reference_sweep / "summary.json")


def _interrupt_sweep(tmp_path: Path, reference: Path, sig: signal.Signals, seconds: float) -> None:
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "verify.cli", *SWEEP, "--workers", "2", "--out", str(out)],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    time.sleep(seconds)
    if process.poll() is None:
        os.killpg(process.pid, sig)  # the whole group, as Ctrl-C or an OOM kill of the job would
    process.communicate(timeout=300)
    expected = _cells(reference)
    for name, content in _cells(out).items() if (out / "cells").is_dir() else ():
        json.loads(content)  # every visible cell file is whole
        assert content == expected[name], f"cell {name} differs from the uninterrupted sweep"
    _cli([*SWEEP, "--workers", "2", "--out", str(out)], tmp_path)
    assert _cells(out) == expected


@needs_sweep
@pytest.mark.parametrize(
    "sig, seconds",
    [(signal.SIGKILL, _MOMENTS[2] * 1.5), (signal.SIGINT, _MOMENTS[3] * 1.5)],
    ids=["SIGKILL-random", "SIGINT-random"],
)
def test_sweep_killed_at_a_random_moment_resumes_to_the_same_cells(reference_sweep, tmp_path, sig, seconds):
    _interrupt_sweep(tmp_path, reference_sweep, sig, seconds)


@needs_sweep
@pytest.mark.slow
@pytest.mark.parametrize("index", range(4, len(_MOMENTS)))
def test_sweep_killed_at_more_random_moments(reference_sweep, tmp_path, index):
    _interrupt_sweep(tmp_path, reference_sweep, signal.SIGKILL if index % 2 else signal.SIGINT, _MOMENTS[index] * 1.5)
