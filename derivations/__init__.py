"""Executable derivations: one module per step of the paper's argument.

Each module builds its expressions from ``theory``, checks every identity it states and says
how: proved in general (SymPy reduces the difference to 0 with every symbol free), checked at
named fixed sizes (every entry of a fixed-size symbolic instance), by an exact check, or
numerically at named points; definitions are marked as such. It renders Markdown and a
standalone LaTeX document whose formulas are printed from the checked expressions. ``write``
stores them in ``derivations/_generated/``; a test regenerates them and fails on any
difference, another compiles the LaTeX. ``benign-attn derive [NAME]`` prints them.

Paper: our derivations from the paper's model (model and loss, gradients, p-only and joint
dynamics, g and its token count, plateaus, the tau = 0 baseline, conditions).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from theory.atomic import atomic_write_text

__all__ = ["NAMES", "GENERATED", "summary", "build", "run", "render", "write", "main"]

#: Derivation names, in the order of the paper's argument.
NAMES: tuple[str, ...] = (
    "model_loss",
    "gradients",
    "p_only_flow",
    "joint_flow",
    "growth",
    "plateaus",
    "baseline",
    "conditions",
)
#: Where the committed snapshots live.
GENERATED = Path(__file__).resolve().parent / "_generated"


def _module(name: str):
    if name not in NAMES:
        raise KeyError(f"unknown derivation {name!r}: known derivations are {', '.join(NAMES)}")
    return importlib.import_module(f"derivations.{name}")


def summary(name: str) -> str:
    """The one-line description of derivation ``name`` (first paragraph of its docstring).

    Paper: see the derivation's module docstring.
    """
    paragraph = (_module(name).__doc__ or name).strip().split("\n\n")[0]
    return " ".join(paragraph.split())


def build(name: str):
    """Run derivation ``name`` (all its proofs) and return its ``Document``.

    Paper: see the derivation's module docstring.

    Raises
    ------
    KeyError
        For an unknown name (the message lists the known ones).
    derivations._doc.ProofError
        When an identity does not verify.
    """
    return _module(name).derive()


def render(name: str) -> dict[str, str]:
    """``{"md": markdown, "tex": latex}`` of derivation ``name`` (proofs run).

    Paper: see the derivation's module docstring.
    """
    document = build(name)
    return {"md": document.render_markdown(), "tex": document.render_tex()}


def run(name: str) -> str:
    """The Markdown (with LaTeX math) of derivation ``name``, after running its proofs.

    Paper: see the derivation's module docstring.
    """
    return render(name)["md"]


def write(name: str, directory: Path | None = None) -> tuple[Path, Path]:
    """Run derivation ``name`` and write ``<name>.md`` and ``<name>.tex`` atomically.

    Paper: see the derivation's module docstring.
    """
    directory = GENERATED if directory is None else Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    texts = render(name)
    paths = (directory / f"{name}.md", directory / f"{name}.tex")
    for path, key in zip(paths, ("md", "tex")):
        atomic_write_text(path, texts[key])
    return paths


def main(name: str) -> int:
    """Entry point of each derivation script: write its snapshots and print the Markdown.

    Paper: see the derivation's module docstring.
    """
    md_path, _ = write(name)
    print(md_path.read_text(encoding="utf-8"))
    return 0
