"""A run directory, written whole or not at all.

Paper: none. Layout: ``params.toml``, ``trajectory.npz`` + ``trajectory.json``,
``report.json``, ``report.md``, ``figures/*.png|pdf``.

Everything is first written into a hidden staging directory beside the target and renamed
into place at the end, so an interrupted run leaves no half-written directory behind. A
command claims its output directory for its whole duration (``claim_output_dir``, a lock beside
it), so two commands never write one directory at once, and the target is checked again just
before the final rename: a directory that changed meanwhile is never replaced.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from theory.params import ProblemParams
from theory.validation import InputError
from verify.claims import claim
from verify.files import check_writable_parent, read_json_file

__all__ = [
    "check_output_dir",
    "claim_output_dir",
    "OutputClaim",
    "staged_run_dir",
    "remove_stale_stages",
    "write_run_dir",
    "directory_identity",
    "replace_files",
]


def check_output_dir(
    out: str | Path, params: ProblemParams, *, overwrite: bool, settings: Mapping[str, Any] | None = None
) -> Path:
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
                read_json_file(out / name) == _as_json(value) for name, value in (settings or {}).items()
            )
        if not same:
            raise InputError(
                f"output directory {str(out)!r} already holds a different run or other "
                "files: choose another --out or pass --overwrite"
            )
    return out


def directory_identity(path: Path) -> tuple | None:
    """What changes when anything replaces or writes into the directory ``path``: its device,
    inode and modification time (``None`` when it does not exist)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return (info.st_dev, info.st_ino, info.st_mtime_ns)


@dataclasses.dataclass(frozen=True, slots=True)
class OutputClaim:
    """An output directory claimed by this process: the path to write (symbolic links
    resolved) and its identity when it was checked."""

    path: Path
    identity: tuple | None

    def recheck(self) -> None:
        """Refuse to go on when the directory changed since it was checked (a writer that
        ignores claims, or the user)."""
        if directory_identity(self.path) != self.identity:
            raise InputError(
                f"output directory {str(self.path)!r} changed while this command ran "
                "(another process wrote to it): nothing was replaced; run the command again"
            )


@contextlib.contextmanager
def claim_output_dir(
    out: str | Path, params: ProblemParams | None = None, *, overwrite: bool, settings: Mapping[str, Any] | None = None
) -> Iterator[OutputClaim]:
    """Claim ``out`` for the whole block: check it (``check_output_dir``, or only
    ``check_writable_parent`` when ``params`` is None), take an exclusive claim beside it, and
    check it again under the claim; ``write_run_dir(..., claim=)`` re-checks at its rename.

    Raises ``ValueError`` when another process holds ``out`` or it holds a different run.
    """
    path = check_writable_parent(out)
    with claim(path):
        if params is not None:
            check_output_dir(path, params, overwrite=overwrite, settings=settings)
        yield OutputClaim(path, directory_identity(path))


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
def staged_run_dir(out: str | Path, *, claim: OutputClaim | None = None, figures: bool = True) -> Iterator[Path]:
    """Yield a staging directory (with an empty ``figures/`` unless ``figures=False``); on
    success it replaces ``out``, on any error it is removed.

    Leftovers of killed earlier attempts at ``out`` are removed first (``remove_stale_stages``).
    With ``claim``, the target is re-checked (``OutputClaim.recheck``) just before the rename.
    """
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_stages(out)
    pid = os.getpid()
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-{pid}-", dir=out.parent))
    try:
        # mkdtemp makes a private (0700) directory; a run directory gets ordinary permissions.
        os.chmod(stage, 0o777 & ~_umask())
        if figures:
            (stage / "figures").mkdir()
        yield stage
        if claim is not None:
            claim.recheck()
        if out.exists():
            # Rename the old directory away first so that a failure here still leaves one whole run.
            trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-{pid}-", dir=stage.parent))
            os.replace(out, trash / out.name)
            os.replace(stage, out)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(stage, out)
    except OSError as exc:
        shutil.rmtree(stage, ignore_errors=True)
        # Name the file of the run directory, not its place in the hidden staging directory.
        filename = exc.filename
        if filename is not None and Path(filename).is_relative_to(stage):
            raise OSError(exc.errno, exc.strerror, str(out / Path(filename).relative_to(stage))) from None
        raise
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _as_json(value: Any) -> Any:
    return json.loads(json.dumps(value))


def write_run_dir(
    out: str | Path,
    trajectory,
    report: Mapping[str, Any],
    *,
    settings: Mapping[str, Any] | None = None,
    claim: OutputClaim | None = None,
) -> None:
    """Write a whole run directory at ``out`` through a staging directory.

    Files: ``params.toml``, ``trajectory.npz`` + ``trajectory.json``, ``report.json``,
    ``report.md``, ``figures/dynamics.png``, and one JSON file per ``settings`` entry. The
    figure is PNG only: a look at the run, kept cheap; ``benign-attn figure dynamics --run DIR``
    draws it as PNG and PDF for print.
    """
    # Imported here: matplotlib costs about a second, and input errors come before this point.
    from verify.files import atomic_write_text, write_json
    from verify.plots import dynamics_figure, save_figure, setting_title
    from verify.reporting.report import report_markdown

    with staged_run_dir(out, claim=claim) as stage:
        atomic_write_text(stage / "params.toml", trajectory.params.to_toml())
        for name, value in (settings or {}).items():
            write_json(stage / name, value)
        trajectory.save(stage)
        write_json(stage / "report.json", report)
        atomic_write_text(stage / "report.md", report_markdown(report))
        title = setting_title(trajectory.params, report.get("verdict"))
        save_figure(dynamics_figure([trajectory], [title]), stage / "figures" / "dynamics", formats=("png",))


def replace_files(directory: str | Path, files: Mapping[str, bytes], *, claim: OutputClaim) -> None:
    """Give the run directory ``directory`` new ``files`` (name -> bytes) as one unit.

    A copy of the directory is staged beside it (its other files hard-linked, so nothing large
    is copied; every writer replaces files by renaming, so a link is never written through),
    the new files are written into the copy, and the copy replaces the directory: a reader
    sees all the old files or all the new ones, never a mix.
    """
    from verify.files import atomic_write_bytes

    directory = Path(directory).resolve()
    with staged_run_dir(directory, claim=claim) as stage:
        for root, dirs, names in os.walk(directory):
            target = stage / Path(root).relative_to(directory)
            for name in dirs:
                (target / name).mkdir(exist_ok=True)
            for name in names:
                if Path(root) == directory and name in files:
                    continue
                try:
                    os.link(Path(root) / name, target / name)
                except OSError:
                    shutil.copy2(Path(root) / name, target / name)
        for name, data in files.items():
            atomic_write_bytes(stage / name, data)
