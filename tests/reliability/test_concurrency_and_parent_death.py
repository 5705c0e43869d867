"""Concurrent writers and killed parents, with real ``python -m verify.cli`` processes.

- Two ``run``s with different parameters started together on one ``--out``: at most one
  succeeds, the other is refused with one line, and the directory holds the winner's whole run
  (never a silently replaced result).
- ``verify --overwrite`` racing ``run --overwrite`` on one run directory: whatever the order,
  the directory's report belongs to the trajectory beside it.
- A sweep whose parent is killed (SIGTERM, as ``timeout`` sends; SIGKILL) takes its worker
  processes with it, and resuming removes the temporary cell files a kill left behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from verify.commands import COMMANDS

REPO_ROOT = Path(__file__).resolve().parents[2]
RUN = ("run", "--n-test", "50", "--steps", "150", "--quiet")
#: Two cells that keep two workers busy for a few seconds each.
SWEEP = (
    "sweep",
    "--axis",
    "dim=100,200",
    "--axis",
    "signal_norm=2",
    "--steps",
    "20000",
    "--n-test",
    "20",
    "--chunk-size",
    "1",
    "--workers",
    "2",
    "--quiet",
)


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    env.update({name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})
    return env


def _start(argv, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "verify.cli", *argv],
        cwd=cwd,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _finish(process: subprocess.Popen) -> tuple[int, str]:
    _, stderr = process.communicate(timeout=300)
    return process.returncode, stderr.strip()


def _params(run: Path) -> dict:
    return tomllib.loads((run / "params.toml").read_text())


@pytest.mark.parametrize("attempt", [0, pytest.param(1, marks=pytest.mark.slow)])
def test_two_different_runs_on_one_out_never_replace_each_other(tmp_path, attempt):
    out = tmp_path / "out"
    first = _start([*RUN, "--dim", "300", "--out", str(out)], tmp_path)
    second = _start([*RUN, "--dim", "301", "--out", str(out)], tmp_path)
    results = [_finish(first), _finish(second)]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    code, message = next(result for result in results if result[0] == 2)
    assert len(message.splitlines()) == 1 and "Traceback" not in message
    assert "is in use by another benign-attn process" in message or "already holds a different run" in message
    winner = 300 if results[0][0] == 0 else 301
    assert _params(out)["dim"] == winner
    # The winner's run is whole: its trajectory loads and its report belongs to it.
    from verify.trajectory import Trajectory

    assert Trajectory.load(out).params.dim == winner
    assert json.loads((out / "report.json").read_text())["params"]["dim"] == winner
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")], "leftovers beside --out"


@pytest.mark.skipif("verify" not in COMMANDS, reason="benign-attn verify does not exist yet")
@pytest.mark.parametrize("delay", [0.0, pytest.param(1.5, marks=pytest.mark.slow)])
def test_verify_racing_run_overwrite_keeps_report_and_trajectory_together(tmp_path, delay):
    out = tmp_path / "out"
    code, stderr = _finish(_start([*RUN, "--dim", "300", "--out", str(out)], tmp_path))
    assert code == 0, stderr
    run = _start([*RUN, "--dim", "301", "--out", str(out), "--overwrite"], tmp_path)
    time.sleep(delay)
    check = _start(["verify", str(out), "--quiet", "--overwrite"], tmp_path)
    (run_code, run_err), (verify_code, verify_err) = _finish(run), _finish(check)
    assert run_code in (0, 2), run_err
    assert verify_code in (0, 1, 2), verify_err
    if verify_code == 2:
        assert "is in use by another benign-attn process" in verify_err, verify_err
    # Whatever the interleaving: the report describes the trajectory it sits beside.
    from verify.trajectory import Trajectory

    report = json.loads((out / "report.json").read_text())
    assert (
        report["params"]
        == Trajectory.load(out).params.to_dict()
        == _params(out) | {"test_seed": None, "init_seed": None}
    )


def _children(pid: int) -> set[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    children = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # Fields after the command name (in parentheses, which may hold spaces): state, ppid.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.add(int(entry.name))
    return children


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_for_workers(process: subprocess.Popen, count: int) -> set[int]:
    """The sweep's worker processes once ``count`` of them run (the resource tracker is not one)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        workers = {
            pid
            for pid in _children(process.pid)
            if b"resource_tracker" not in (Path("/proc") / str(pid) / "cmdline").read_bytes()
        }
        if len(workers) >= count:
            return workers
        time.sleep(0.05)
    raise AssertionError(f"the sweep did not start {count} workers: {process.communicate()}")


needs_linux_sweep = pytest.mark.skipif(
    "sweep" not in COMMANDS or not sys.platform.startswith("linux"), reason="needs benign-attn sweep and /proc"
)


@needs_linux_sweep
@pytest.mark.parametrize(
    "sig",
    # SIGKILL (no handler runs) in the default run; SIGTERM, the same path after a handler, in the slow one.
    [pytest.param(signal.SIGTERM, marks=pytest.mark.slow), signal.SIGKILL],
    ids=["SIGTERM", "SIGKILL"],
)
def test_killing_the_sweep_parent_takes_its_workers_and_resume_cleans_up(tmp_path, sig):
    out = tmp_path / "sw"
    process = _start([*SWEEP, "--out", str(out)], tmp_path)
    workers = _wait_for_workers(process, 2)
    time.sleep(0.5)
    process.send_signal(sig)  # the parent only, as `timeout` does
    code, stderr = _finish(process)
    if sig is signal.SIGTERM:
        assert code == 143, stderr
        assert stderr.splitlines() == ["benign-attn: terminated; finished results are kept"], stderr
    else:
        assert code == -signal.SIGKILL
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)], "workers outlived their parent"
    # A temporary cell file, as a kill during a write leaves it, is removed when the sweep resumes.
    (out / "cells").mkdir(parents=True, exist_ok=True)
    stale = out / "cells" / ".dim=100_signal_norm=2.0_seed=42.json.abc123.tmp"
    stale.write_text('{"cell": "dim=100')
    code, stderr = _finish(_start([*SWEEP, "--out", str(out)], tmp_path))
    assert code == 0, stderr
    assert not stale.exists() and not list((out / "cells").glob(".*.tmp"))
    assert len(list((out / "cells").glob("*.json"))) == 2
