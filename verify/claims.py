"""Claims on output paths: one process writes a run or sweep directory at a time.

Paper: none (no result may be lost to a concurrent writer).

A claim is an advisory ``flock`` on a lock file beside the target (``.NAME.lock`` in its parent,
or in the nearest existing ancestor when the parent does not exist yet). Writers take it
exclusively for the whole command; readers (``benign-attn verify``) take it shared while they
read, so a run cannot be replaced half-way through being read. The operating system releases
the lock when its process dies, even by SIGKILL, so a claim is never stale; the file itself
holds the writer's PID for the error message and is removed by the last holder (a file left by
a killed process is reused and then removed by the next claim).

Where ``fcntl`` does not exist (Windows) claims are not enforced; the writers' re-check of the
target just before their final rename still refuses to replace a directory that changed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from theory.validation import InputError

if sys.platform == "win32":  # pragma: no cover - no fcntl there
    fcntl = None
else:
    import fcntl

__all__ = ["claim", "lock_path"]

#: ``flock`` errors that mean the file system has no locks, not that someone holds one.
_NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL}


def lock_path(target: Path) -> Path:
    """The lock file of ``target`` (an absolute path): ``.NAME.lock`` in the nearest existing
    ancestor, NAME being the path below that ancestor with ``/`` written as ``.``."""
    ancestor = target.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    below = target.relative_to(ancestor)
    return ancestor / f".{'.'.join(below.parts)}.lock"


def _holder(fd: int) -> str:
    with contextlib.suppress(OSError, ValueError):
        text = os.pread(fd, 32, 0).decode("ascii").strip()
        if text.isdigit():
            return f" (process {text})"
    return ""


@contextlib.contextmanager
def claim(target: str | Path, *, shared: bool = False, what: str = "output directory") -> Iterator[None]:
    """Hold a claim on ``target`` (made absolute) while the block runs.

    Raises
    ------
    ValueError
        When another process holds a conflicting claim (any claim, for ``shared=False``; an
        exclusive one for ``shared=True``). A shared claim that cannot create its lock file (a
        read-only directory, where nobody writes) proceeds without one.
    """
    if fcntl is None:
        yield
        return
    target = Path(os.path.abspath(target))
    path = lock_path(target)
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            if shared:
                yield
                return
            raise InputError(f"{what} {str(target)!r} cannot be claimed: {exc.strerror} ({str(path)!r})") from None
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise InputError(
                f"{what} {str(target)!r} is in use by another benign-attn process{holder}: "
                "wait for it to finish or choose another path"
            ) from None
        except OSError as exc:
            os.close(fd)
            if exc.errno not in _NO_LOCKS:
                raise
            # A file system without locks (some network mounts): go on unclaimed; the writers'
            # re-check before their final rename still refuses a directory that changed.
            with contextlib.suppress(OSError):
                os.unlink(path)
            yield
            return
        # The last holder may have removed the file between our open and our lock: retry on
        # the file that is there now.
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        # No writer holds the file now: a PID left by a killed writer is wiped; a writer names itself.
        os.ftruncate(fd, 0)
        if not shared:
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        _release(fd, path)


def _release(fd: int, path: Path) -> None:
    """Unlock, removing the lock file when no other process holds a claim on it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with contextlib.suppress(OSError):
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                os.unlink(path)
    except BlockingIOError:
        pass
    finally:
        os.close(fd)
