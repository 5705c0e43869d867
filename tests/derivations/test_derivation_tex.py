"""The committed ``.tex`` snapshots are standalone documents that compile with a real LaTeX engine,
and text-mode content is escaped."""

from __future__ import annotations

import shutil
import subprocess

import pytest

import derivations
from derivations._doc import Document, tex_text

ENGINES = ("pdflatex", "lualatex", "xelatex", "tectonic")


def first_engine() -> str | None:
    for engine in ENGINES:
        if shutil.which(engine):
            return engine
    return None


def compile_command(engine: str, source: str) -> list[str]:
    if engine == "tectonic":
        return [engine, "--chatter", "minimal", source]
    return [engine, "-interaction=nonstopmode", "-halt-on-error", source]


@pytest.mark.parametrize("name", derivations.NAMES)
def test_snapshot_is_a_standalone_document(name):
    text = (derivations.GENERATED / f"{name}.tex").read_text(encoding="utf-8")
    assert text.startswith("\\documentclass{article}\n")
    assert "\\usepackage{amsmath}" in text and "\\begin{document}" in text
    assert text.rstrip().endswith("\\end{document}")
    assert text.isascii(), "non-ASCII characters in a .tex snapshot"
    assert "`" not in text and "SPEC" not in text


@pytest.mark.parametrize("name", derivations.NAMES)
def test_snapshot_compiles(name, tmp_path):
    engine = first_engine()
    if engine is None:
        pytest.skip(f"no LaTeX engine installed (looked for {', '.join(ENGINES)}); .ci/run installs one")
    source = tmp_path / f"{name}.tex"
    shutil.copyfile(derivations.GENERATED / f"{name}.tex", source)
    result = subprocess.run(
        compile_command(engine, source.name),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, f"{engine} failed on {name}.tex:\n{result.stdout[-3000:]}\n{result.stderr[-2000:]}"
    assert (tmp_path / f"{name}.pdf").is_file()


def test_text_mode_is_escaped_and_math_kept():
    assert tex_text("a_b ^c || `code_x` *word* $x_1^2$") == (
        r"a\_b \^{}c \textbar{}\textbar{} \texttt{code\_x} \emph{word} $x_1^2$"
    )


def test_text_rejects_what_latex_cannot_typeset():
    with pytest.raises(ValueError, match="non-ASCII"):
        tex_text("‖μ‖")
    with pytest.raises(ValueError, match="unbalanced"):
        tex_text("$x")
    with pytest.raises(ValueError, match="non-ASCII"):
        Document(name="probe", title="probe").text("μ")
