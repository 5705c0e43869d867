"""Shared fixtures of the verify tests: the official-run fixture and a tiny sweep."""

from __future__ import annotations

from pathlib import Path

import pytest

@pytest.fixture(scope="session")
def tiny_sweep(tmp_path_factory) -> Path:
    """A 3 x 3 (d, ||mu||) sweep at small d with a large step, run serially."""
    from theory.params import ProblemParams
    from verify.sweep import SweepSpec, run_sweep

    out = tmp_path_factory.mktemp("sweep") / "tiny"
    spec = SweepSpec(base=ProblemParams(steps=150, step_size=0.1, n_test=50),
                     axes=(("dim", (60, 120, 240)), ("signal_norm", (1.0, 4.0, 9.0))), seeds=(42,))
    run_sweep(spec, out, executor="serial")
    return out
