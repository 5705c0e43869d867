"""Where a result came from: package versions, the toolkit's git commit, the precision.

Paper: none (reproducibility of reports).
"""

from __future__ import annotations

import functools
import platform
import subprocess
from importlib import metadata
from pathlib import Path

__all__ = ["provenance"]

_PACKAGES = ("benign-attention", "numpy", "scipy", "sympy", "mpmath", "matplotlib")


@functools.cache
def _git_commit() -> str | None:
    root = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def provenance() -> dict:
    """Versions of the toolkit and its numerical dependencies, git commit (or None), precision."""
    return {
        "versions": {name: _version(name) for name in _PACKAGES} | {"python": platform.python_version()},
        "git_commit": _git_commit(),
        "precision": "float64",
    }
