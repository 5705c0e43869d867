"""Shared by the benchmarks: the machine description and the JSON result file."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import numpy as np
import scipy

from theory.atomic import atomic_write_text

RESULTS = Path(__file__).parent / "results"


def machine() -> dict:
    """Cores, versions and load: what the timings depend on (no host names)."""
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "load_average": list(os.getloadavg()),
    }


def write_result(name: str, result: dict) -> Path:
    """Write ``results/NAME.json`` atomically (temporary name, then rename)."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    atomic_write_text(path, json.dumps(result | {"machine": machine()}, indent=2) + "\n")
    return path
