"""Files in and out: atomic, deterministic writing, and reading files as untrusted input.

Writing: a reader sees the old file or the new one, never half. JSON never carries NaN or
Infinity: a non-finite number is written as ``null`` (the ``.npz`` arrays keep exact values).

Reading: every input file is untrusted. ``read_bytes_bounded`` refuses anything but a regular
file before opening it (a FIFO or a device would block or never end) and bounds its size;
``read_json_file`` bounds nesting; ``load_npy`` and ``load_npz`` read each array's header
first and refuse object arrays and arrays larger than the memory budget before reading data
(a small compressed archive can claim gigabytes).

Paper: none (crash safety of results, robustness to bad input).
"""

from __future__ import annotations

import io
import json
import math
import os
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from numerics.budget import LIMITS, check_bytes
from theory.atomic import atomic_write_bytes, atomic_write_text
from theory.validation import InputError

__all__ = [
    "check_writable_parent",
    "atomic_write_bytes",
    "atomic_write_text",
    "write_json",
    "json_bytes",
    "json_safe",
    "npz_bytes",
    "read_bytes_bounded",
    "read_text_file",
    "read_json_file",
    "load_npy",
    "load_npz",
]


def json_safe(obj: Any) -> Any:
    """``obj`` with every non-finite float (NaN, +-Infinity, also numpy scalars) replaced by
    ``None``, and numpy scalars and arrays turned into Python numbers and lists."""
    if isinstance(obj, Mapping):
        return {key: json_safe(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(value) for value in obj]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def json_bytes(obj) -> bytes:
    """``obj`` as indented JSON with sorted keys (stable bytes), UTF-8.

    Non-finite numbers become ``null`` (``json_safe``): strict JSON has no NaN or Infinity,
    and a reader must not mistake them for numbers.
    """
    return (json.dumps(json_safe(obj), indent=2, sort_keys=True, allow_nan=False) + "\n").encode("utf-8")


def write_json(path: str | Path, obj) -> None:
    """Atomically write ``json_bytes(obj)`` to ``path``."""
    atomic_write_bytes(path, json_bytes(obj))


def npz_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    """An ``.npz`` archive readable by ``numpy.load`` whose bytes depend only on the arrays.

    ``numpy.savez`` stamps each member with the current time; a fixed timestamp and sorted
    members make equal runs give byte-identical files.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(info, member.getvalue())
    return buffer.getvalue()


def _describe(path: Path, what: str) -> str:
    return f"{what} {str(path)!r}"


def read_bytes_bounded(path: str | Path, what: str = "file", *, max_bytes: int | None = None) -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` (default ``LIMITS["text_file_bytes"]``).

    The file is opened without blocking and checked to be a regular file before anything is
    read; a missing file, a directory, a FIFO or a device, or a larger file raise ``ValueError``
    naming ``what`` and the path.
    """
    path = Path(path)
    limit = int(LIMITS["text_file_bytes"] if max_bytes is None else max_bytes)
    fd = _open_regular(path, _describe(path, what))
    try:
        info = os.fstat(fd)
        if info.st_size > limit:
            raise InputError(
                f"{_describe(path, what)} has {info.st_size} bytes: more than the {limit} this toolkit reads"
            )
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 20):
            total += len(chunk)
            if total > limit:  # the file grew while being read
                raise InputError(f"{_describe(path, what)} has more than the {limit} bytes this toolkit reads")
            chunks.append(chunk)
    except OSError as exc:
        raise InputError(f"{_describe(path, what)} cannot be read: {exc.strerror}") from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def read_text_file(path: str | Path, what: str = "file", *, max_bytes: int | None = None) -> str:
    """``read_bytes_bounded`` decoded as UTF-8 (an error names the file)."""
    data = read_bytes_bounded(path, what, max_bytes=max_bytes)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{_describe(Path(path), what)} is not UTF-8 text (byte {exc.start})") from None


def _json_depth_ok(text: str, limit: int) -> bool:
    """Whether the brackets of ``text`` nest at most ``limit`` deep (strings skipped); linear
    time, so that the parser's own recursion is never reached."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return False
        elif char in "]}":
            depth -= 1
    return True


def read_json_file(path: str | Path, what: str = "JSON file", *, max_bytes: int | None = None) -> Any:
    """Parse a JSON file read by ``read_text_file``; nesting deeper than ``LIMITS["json_depth"]``
    and malformed JSON raise ``ValueError`` naming the file."""
    text = read_text_file(path, what, max_bytes=max_bytes)
    limit = int(LIMITS["json_depth"])
    # Only texts that could nest that deep are scanned (the scan is a Python loop).
    if text.count("[") + text.count("{") > limit and not _json_depth_ok(text, limit):
        raise InputError(f"{_describe(Path(path), what)} nests deeper than {limit} levels")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"{_describe(Path(path), what)} is not valid JSON: {exc}") from None


def _read_npy_stream(
    handle, where: str, *, max_bytes: float | None = None, check_header: Callable[[tuple, np.dtype], None] | None = None
) -> np.ndarray:
    """Read one ``.npy`` array from ``handle`` after checking its header: version, dtype (no
    Python objects), shape, and size against the memory budget and ``max_bytes``;
    ``check_header(shape, dtype)`` may refuse more before any data are read."""
    try:
        version = np.lib.format.read_magic(handle)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(handle)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(handle)
        else:
            raise InputError(f"unknown .npy format version {version}")
    except (ValueError, OSError, EOFError, SyntaxError, TypeError) as exc:
        raise InputError(f"{where} is not a readable .npy array (bad header: {str(exc)[:200]})") from None
    if any(size < 0 for size in shape):
        raise InputError(f"{where} has a negative size in its shape {shape}")
    if dtype.hasobject:
        raise InputError(f"{where} holds Python objects (dtype {dtype}): only numeric arrays are read")
    if check_header is not None:
        check_header(shape, dtype)
    count = math.prod(shape)
    needed = count * dtype.itemsize
    check_bytes(f"{where} (shape {shape}, dtype {dtype})", needed)
    if max_bytes is not None and needed > max_bytes - handle.tell():
        raise InputError(
            f"{where} claims {needed} bytes of data (shape {shape}, dtype {dtype}) but "
            f"holds only {int(max_bytes - handle.tell())}"
        )
    array = np.empty(count, dtype=dtype)
    buffer, filled = array.view(np.uint8).data, 0
    while filled < needed:
        got = handle.readinto(buffer[filled:])
        if not got:
            raise InputError(f"{where} is truncated: {filled} of {needed} data bytes")
        filled += got
    if fortran:
        return array.reshape(shape[::-1]).transpose()
    return array.reshape(shape)


def _open_regular(path: Path, where: str) -> int:
    """A read-only descriptor of ``path``, opened without blocking, if it is a regular file."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise InputError(f"{where} does not exist") from None
    except IsADirectoryError:
        raise InputError(f"{where} is a directory, not a file") from None
    except OSError as exc:
        raise InputError(f"{where} cannot be opened: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InputError(f"{where} is not a regular file")
    return fd


def load_npy(
    path: str | Path, what: str = "file", *, check_header: Callable[[tuple, np.dtype], None] | None = None
) -> np.ndarray:
    """One array from a regular ``.npy`` file, its header checked before the data are read
    (and by ``check_header(shape, dtype)``, which raises ``ValueError`` to refuse)."""
    path = Path(path)
    where = _describe(path, what)
    fd = _open_regular(path, where)
    with os.fdopen(fd, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if handle.read(2) == b"PK":
            raise InputError(f"{where} must hold one array (.npy), not an archive")
        handle.seek(0)
        return _read_npy_stream(handle, where, max_bytes=size, check_header=check_header)


def load_npz(path: str | Path, what: str = "archive") -> dict[str, np.ndarray]:
    """The arrays of a regular ``.npz`` file by member name (without ``.npy``).

    Each member's header is checked before its data are read, and the total against the
    memory budget: a compressed member cannot expand beyond the size its header states.
    """
    path = Path(path)
    where = _describe(path, what)
    fd = _open_regular(path, where)
    arrays: dict[str, np.ndarray] = {}
    try:
        with os.fdopen(fd, "rb") as file, zipfile.ZipFile(file) as archive:
            members = archive.infolist()
            if len(members) > LIMITS["npz_members"]:
                raise InputError(f"{where} has {len(members)} members: at most {LIMITS['npz_members']:g}")
            check_bytes(f"{where} (uncompressed)", sum(info.file_size for info in members))
            for info in members:
                if not info.filename.endswith(".npy"):
                    raise InputError(f"{where} member {info.filename!r} is not a .npy array")
                with archive.open(info) as handle:
                    arrays[info.filename[:-4]] = _read_npy_stream(
                        handle, f"{where} member {info.filename!r}", max_bytes=info.file_size
                    )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise InputError(f"{where} is not a readable .npz archive (truncated or corrupt): {str(exc)[:200]}") from None
    return arrays


def check_writable_parent(out: str | Path) -> Path:
    """Refuse an output path that is a file, lies under a file, is a dangling symbolic link, is
    the current directory or one of its ancestors, or whose nearest existing ancestor cannot be
    written to; creates nothing.

    Returns the path to write: ``out`` with symbolic links resolved, so that a link to a
    directory keeps pointing at the new content instead of being replaced by a directory.
    """
    given = out
    out = Path(out)
    if out.is_symlink() and not out.exists():
        raise InputError(f"output path {str(given)!r} is a symbolic link to {os.readlink(out)!r}, which does not exist")
    if out.exists() and not out.is_dir():
        raise InputError(f"output path {str(out)!r} exists and is not a directory")
    resolved = out.resolve()
    cwd = Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents:
        raise InputError(
            f"output directory {str(given)!r} is the current directory or contains it: "
            "a run directory is replaced whole, so choose a new directory"
        )
    # Nothing is created here: the nearest existing ancestor must be a writable directory, and
    # missing parents are made only when the finished run is moved into place.
    ancestor = out.resolve().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(f"output path {str(out)!r} lies under {str(ancestor)!r}, which is not a directory")
    # Probe by creating a directory: os.access says yes to root even where writing fails.
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".benign-attn-probe-", dir=ancestor))
    except OSError as exc:
        raise InputError(f"output directory {str(ancestor)!r} is not writable: {exc.strerror}") from None
    return resolved
