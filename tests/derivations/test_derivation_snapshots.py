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
from theory import growth as gr


@pytest.mark.parametrize("name", derivations.NAMES)
def test_regenerated_snapshot_matches_committed(name, tmp_path):
    md_path, tex_path = derivations.write(name, tmp_path)
    for path in (md_path, tex_path):
        committed = derivations.GENERATED / path.name
        assert committed.is_file(), f"snapshot {committed.name} is not committed; run python -m derivations.{name}"
        assert path.read_text(encoding="utf-8") == committed.read_text(encoding="utf-8"), (
            f"{path.name} differs from the committed snapshot; regenerate with python -m derivations.{name}"
        )


def test_each_derivation_proves_something_and_says_how():
    for name in ("p_only_flow", "conditions", "baseline"):
        document = derivations.build(name)
        markdown = document.render_markdown()
        assert document.proofs >= 2
        labels = (
            "**Proved in general (",
            "**Checked at fixed sizes (",
            "**Proved by an exact check (",
            "**Checked numerically at ",
        )
        assert sum(markdown.count(label) for label in labels) == document.proofs


def test_a_false_identity_fails_the_derivation():
    doc = Document(name="probe", title="probe")
    x = sympy.Symbol("x", real=True)
    with pytest.raises(ProofError, match="not 0"):
        doc.prove_equal("sinh is cosh", sympy.sinh(x), sympy.cosh(x))
    A = sympy.MatrixSymbol("A", 2, 2)
    entries = sympy.Matrix(2, 2, sympy.symbols("a:4"))
    with pytest.raises(ProofError, match="not 0"):
        doc.prove_equal("A is symmetric", A, A.T, at={A: entries}, sizes="2 x 2")
    with pytest.raises(ProofError, match="exact check"):
        doc.prove_true("false claim", False)
    with pytest.raises(ProofError, match="exceeds"):
        doc.check_numeric("false claim", [1e-3], 1e-6, "one point")


def test_a_wrong_growth_inverse_fails_the_growth_derivation(monkeypatch):
    # The g^{-1} checks compare with g itself and an independent bisection: a wrong inverse cannot pass.
    original = gr.GrowthInverse._eval_evalf

    def off_by_a_little(self, prec):
        value = original(self, prec)
        return None if value is None else value * (1 + sympy.Float(10) ** -9)

    monkeypatch.setattr(gr.GrowthInverse, "_eval_evalf", off_by_a_little)
    with pytest.raises(ProofError, match="inverts"):
        derivations.build("growth")


def test_the_paper_count_does_not_pass_as_exact_for_t_tokens(monkeypatch):
    # Were g built with log T where the model needs log(T - 1), the count proofs would fail.
    monkeypatch.setattr(gr, "competitor_count", lambda seq_len, count="T": seq_len)
    with pytest.raises(ProofError):
        derivations.build("growth")


def test_unknown_derivation_lists_known_names():
    with pytest.raises(KeyError, match="known derivations are model_loss"):
        derivations.run("nope")


def test_scripts_are_executable(tmp_path):
    # A script writes into its package's _generated directory: run a copy of the package so the
    # committed snapshots are never rewritten by the tests.
    copy = tmp_path / "derivations"
    shutil.copytree(Path(derivations.__file__).parent, copy, ignore=shutil.ignore_patterns("_generated", "__pycache__"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-m", "derivations.p_only_flow"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# p-only flow")
    written = copy / "_generated" / "p_only_flow.md"
    assert written.read_text(encoding="utf-8") == (derivations.GENERATED / "p_only_flow.md").read_text(encoding="utf-8")
