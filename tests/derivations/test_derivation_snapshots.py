"""Every derivation runs its proofs and regenerates its committed snapshot byte for byte."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sympy

import derivations
from derivations._doc import Document, ProofError


@pytest.mark.parametrize("name", derivations.NAMES)
def test_regenerated_snapshot_matches_committed(name, tmp_path):
    md_path, tex_path = derivations.write(name, tmp_path)
    for path in (md_path, tex_path):
        committed = derivations.GENERATED / path.name
        assert committed.is_file(), f"snapshot {committed.name} is not committed; run python -m derivations.{name}"
        assert path.read_text(encoding="utf-8") == committed.read_text(encoding="utf-8"), (
            f"{path.name} differs from the committed snapshot; regenerate with python -m derivations.{name}")


def test_each_derivation_proves_something():
    for name in ("p_only_flow", "conditions"):
        document = derivations.build(name)
        assert document.proofs >= 2
        assert document.render_markdown().count("**Proved**") == document.proofs


def test_a_false_identity_fails_the_derivation():
    doc = Document(name="probe", title="probe")
    x = sympy.Symbol("x", real=True)
    with pytest.raises(ProofError, match="not 0"):
        doc.prove_zero("sinh is cosh", sympy.sinh(x) - sympy.cosh(x))
    with pytest.raises(ProofError, match="exact check"):
        doc.prove_true("false claim", False)


def test_unknown_derivation_lists_known_names():
    with pytest.raises(KeyError, match="known derivations are model_loss"):
        derivations.run("nope")


def test_scripts_are_executable(tmp_path):
    # A script writes into its package's _generated directory: run a copy of the package so the
    # committed snapshots are never rewritten by the tests.
    copy = tmp_path / "derivations"
    shutil.copytree(Path(derivations.__file__).parent, copy, ignore=shutil.ignore_patterns("_generated", "__pycache__"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-m", "derivations.p_only_flow"], capture_output=True, text=True,
                            check=False, timeout=120, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# p-only flow")
    written = copy / "_generated" / "p_only_flow.md"
    assert written.read_text(encoding="utf-8") == (derivations.GENERATED / "p_only_flow.md").read_text(encoding="utf-8")
