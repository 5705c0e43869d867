"""docs/api_example.py, the notebook-style worked example, runs as a script and shows what the
paper reports for its balanced setting (d = 2000, ||mu|| = 20): benign overfitting, every noisy
label fitted, generalisation later than the fit (v3 Figure 3 and the abstract)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from readme_blocks import REPO_ROOT

SCRIPT = REPO_ROOT / "docs" / "api_example.py"


def test_cells_are_marked():
    assert SCRIPT.read_text(encoding="utf-8").count("\n# %%") >= 5


# A whole d = 2000 flow run in a fresh interpreter: the README's Python API examples run as
# doctests in the default run (tests/docs/test_api_doctests.py).
@pytest.mark.slow
def test_worked_example_runs(tmp_path):
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "out")], capture_output=True, text=True, timeout=600, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "verdict: benign" in done.stdout and "noisy samples fitted: 1.0" in done.stdout
    fitted, generalised = re.search(
        r"all labels fitted at tau = (\S+), generalised at tau = (\S+)", done.stdout
    ).groups()
    assert float(fitted) < float(generalised)
    for name in ("dynamics.png", "noisy_sample.png", "trajectory.npz", "trajectory.json"):
        assert (tmp_path / "out" / name).is_file(), name
