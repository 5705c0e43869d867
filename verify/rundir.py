"""A run directory, written whole or not at all.

Paper: none. Layout: ``params.toml``, ``trajectory.npz`` + ``trajectory.json``,
``report.json``, ``report.md``, ``figures/*.png|pdf``.

Everything is first written into a hidden staging directory beside the target and renamed
into place at the end, so an interrupted run leaves no half-written directory behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from theory.params import ProblemParams

__all__ = ["check_output_dir", "check_writable_parent", "staged_run_dir", "remove_stale_stages",
           "write_run_dir"]


def check_output_dir(out: str | Path, params: ProblemParams, *, overwrite: bool,
                     settings: Mapping[str, Any] | None = None) -> Path:
    """Refuse an output directory that holds something other than a run of the same settings.

    A directory holding a run with the same ``params.toml`` (and the same JSON ``settings``
    files, e.g. the flow's ``flow.json``) is replaced: re-running a command reproduces it.
    Anything else needs ``overwrite=True``. Checked before any work starts.
    """
    out = check_writable_parent(out)
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        same = False
        with contextlib.suppress(ValueError, OSError):
            same = ProblemParams.load(out / "params.toml") == params and all(
                json.loads((out / name).read_text(encoding="utf-8")) == _as_json(value)
                for name, value in (settings or {}).items())
        if not same:
            raise ValueError(f"output directory {str(out)!r} already holds a different run or other "
                             "files: choose another --out or pass --overwrite")
    return out


def check_writable_parent(out: str | Path) -> Path:
    """Refuse an output path that is a file, lies under a file, or whose nearest existing
    ancestor cannot be written to; creates nothing."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"output path {str(out)!r} exists and is not a directory")
    # Nothing is created here: the nearest existing ancestor must be a writable directory, and
    # missing parents are made only when the finished run is moved into place.
    ancestor = out.resolve().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ValueError(f"output path {str(out)!r} lies under {str(ancestor)!r}, which is not a directory")
    # Probe by creating a directory: os.access says yes to root even where writing fails.
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".benign-attn-probe-", dir=ancestor))
    except OSError as exc:
        raise ValueError(f"output directory {str(ancestor)!r} is not writable: {exc.strerror}") from None
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_stages(out: str | Path) -> None:
    """Delete the hidden staging (``.NAME.partial-PID-*``) and trash (``.NAME.old-PID-*``)
    directories of ``out`` left by processes that were killed (their PID no longer runs)."""
    out = Path(out)
    parent = out.resolve().parent
    if not parent.is_dir():
        return
    pattern = re.compile(rf"\.{re.escape(out.name)}\.(?:partial|old)-(\d+)-")
    for entry in parent.iterdir():
        match = pattern.match(entry.name)
        if match and entry.is_dir() and not _alive(int(match.group(1))):
            shutil.rmtree(entry, ignore_errors=True)


@contextlib.contextmanager
def staged_run_dir(out: str | Path) -> Iterator[Path]:
    """Yield a staging directory; on success it replaces ``out``, on any error it is removed.

    Leftovers of killed earlier attempts at ``out`` are removed first (``remove_stale_stages``).
    """
    out = Path(out)
    out.resolve().parent.mkdir(parents=True, exist_ok=True)
    remove_stale_stages(out)
    pid = os.getpid()
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-{pid}-", dir=out.resolve().parent))
    try:
        (stage / "figures").mkdir()
        yield stage
        if out.exists():
            # Rename the old directory away first so that a failure here still leaves one whole run.
            trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-{pid}-", dir=stage.parent))
            os.replace(out, trash / out.name)
            os.replace(stage, out)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def _as_json(value: Any) -> Any:
    return json.loads(json.dumps(value))


def write_run_dir(out: str | Path, trajectory, report: Mapping[str, Any], *,
                  settings: Mapping[str, Any] | None = None) -> None:
    """Write a whole run directory at ``out`` through a staging directory.

    Files: ``params.toml``, ``trajectory.npz`` + ``trajectory.json``, ``report.json``,
    ``report.md``, ``figures/dynamics.png|pdf``, and one JSON file per ``settings`` entry.
    """
    # Imported here: matplotlib costs about a second, and input errors come before this point.
    from verify.files import atomic_write_text, write_json
    from verify.plots import dynamics_figure, save_figure, setting_title
    from verify.report import report_markdown

    with staged_run_dir(out) as stage:
        atomic_write_text(stage / "params.toml", trajectory.params.to_toml())
        for name, value in (settings or {}).items():
            write_json(stage / name, value)
        trajectory.save(stage)
        write_json(stage / "report.json", report)
        atomic_write_text(stage / "report.md", report_markdown(report))
        title = setting_title(trajectory.params, report.get("verdict"))
        save_figure(dynamics_figure([trajectory], [title]), stage / "figures" / "dynamics")
