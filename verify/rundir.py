"""A run directory, written whole or not at all.

Paper: none. Layout: ``params.toml``, ``trajectory.npz`` + ``trajectory.json``,
``report.json``, ``report.md``, ``figures/*.png|pdf``.

Everything is first written into a hidden staging directory beside the target and renamed
into place at the end, so an interrupted run leaves no half-written directory behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from theory.params import ProblemParams

__all__ = ["check_output_dir", "staged_run_dir"]


def check_output_dir(out: str | Path, params: ProblemParams, *, overwrite: bool) -> Path:
    """Refuse an output directory that holds something other than a run of the same parameters.

    A directory holding a run with the same ``params.toml`` is replaced (re-running a command
    reproduces it); anything else needs ``overwrite=True``. Checked before any work starts.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"output path {str(out)!r} exists and is not a directory")
    parent = out.resolve().parent
    if not parent.exists():
        try:
            parent.mkdir(parents=True)
        except OSError as exc:
            raise ValueError(f"cannot create output parent directory {str(parent)!r}: {exc.strerror}") from None
    if not os.access(parent, os.W_OK):
        raise ValueError(f"output directory {str(parent)!r} is not writable")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        existing = out / "params.toml"
        same = False
        if existing.is_file():
            with contextlib.suppress(ValueError):
                same = ProblemParams.load(existing) == params
        if not same:
            raise ValueError(f"output directory {str(out)!r} already holds a different run or other "
                             "files: choose another --out or pass --overwrite")
    return out


@contextlib.contextmanager
def staged_run_dir(out: str | Path) -> Iterator[Path]:
    """Yield a staging directory; on success it replaces ``out``, on any error it is removed."""
    out = Path(out)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.resolve().parent))
    try:
        (stage / "figures").mkdir()
        yield stage
        if out.exists():
            # Rename the old directory away first so that a failure here still leaves one whole run.
            trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=stage.parent))
            os.replace(out, trash / out.name)
            os.replace(stage, out)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
