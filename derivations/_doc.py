"""A small builder for derivation documents: text, displayed equations, and proofs.

Every ``prove_*`` call checks its identity and raises ``ProofError`` when it does not hold, so a
document that was written is a document whose every claimed identity was verified.

Paper: infrastructure for the executable derivations of SPEC sections 4-5.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import sympy

from theory.symbols import latex

__all__ = ["ProofError", "Document"]


class ProofError(AssertionError):
    """An identity claimed by a derivation did not verify.

    Paper: any identity of SPEC sections 4-5 that a derivation states.
    """


@dataclasses.dataclass(slots=True, kw_only=True)
class Document:
    """Markdown and LaTeX of one derivation, built step by step.

    Paper: the derivation named ``name``.
    """

    name: str
    title: str
    markdown: list[str] = dataclasses.field(default_factory=list)
    tex: list[str] = dataclasses.field(default_factory=list)
    proofs: int = 0

    def __post_init__(self) -> None:
        self.markdown.append(f"# {self.title}\n")
        self.tex.append(f"\\section*{{{self.title}}}\n")

    def text(self, paragraph: str) -> None:
        """A paragraph (Markdown; inline ``$...$`` math is kept as is in LaTeX)."""
        self.markdown.append(paragraph.strip() + "\n")
        self.tex.append(paragraph.strip().replace("`", "") + "\n")

    def equation(self, lhs: str, rhs: sympy.Basic | str) -> None:
        """A displayed equation ``lhs = rhs`` (``lhs`` is LaTeX, ``rhs`` an expression or LaTeX)."""
        body = rhs if isinstance(rhs, str) else latex(rhs)
        line = f"{lhs} = {body}" if lhs else body
        self.markdown.append(f"$$\n{line}\n$$\n")
        self.tex.append(f"\\begin{{equation*}}\n{line}\n\\end{{equation*}}\n")

    def _proved(self, statement: str) -> None:
        self.proofs += 1
        self.markdown.append(f"**Proved** ({self.proofs}): {statement}\n")
        self.tex.append(f"\\textbf{{Proved}} ({self.proofs}): {statement}\n")

    def prove_zero(self, statement: str, difference: sympy.Basic, *, method: str = "simplify") -> None:
        """Prove ``difference == 0``: ``method`` is "expand" (polynomial identities) or "simplify"."""
        if method == "expand":
            reduced = sympy.expand(difference)
        elif method == "simplify":
            reduced = sympy.simplify(difference)
        else:
            raise ValueError(f"method={method!r}: must be 'expand' or 'simplify'")
        if reduced != 0:
            raise ProofError(f"{self.name}: {statement}: difference reduces to {reduced}, not 0")
        self._proved(f"{statement} (SymPy: `{method}` of the difference is 0).")

    def prove_matrix_zero(self, statement: str, difference: sympy.MatrixBase, *, method: str = "expand") -> None:
        """Prove every entry of a matrix difference is 0."""
        for entry in difference:
            reduced = sympy.expand(entry) if method == "expand" else sympy.simplify(entry)
            if reduced != 0:
                raise ProofError(f"{self.name}: {statement}: an entry reduces to {reduced}, not 0")
        self._proved(f"{statement} (SymPy: `{method}` of every entry of the difference is 0; "
                     f"{difference.shape[0]}x{difference.shape[1]} symbolic entries).")

    def prove_true(self, statement: str, claim: bool) -> None:
        """Record an exact (rational or integer) check that SymPy decided as True."""
        if claim is not True and claim != sympy.true:
            raise ProofError(f"{self.name}: {statement}: exact check returned {claim}")
        self._proved(f"{statement} (exact check).")

    def table(self, header: Iterable[str], rows: Iterable[Iterable[str]]) -> None:
        """A table (Markdown table; LaTeX tabular)."""
        header = list(header)
        rows = [list(r) for r in rows]
        self.markdown.append("| " + " | ".join(header) + " |\n|" + "---|" * len(header) + "\n"
                             + "".join("| " + " | ".join(r) + " |\n" for r in rows))
        spec = "l" * len(header)
        body = " \\\\\n".join(" & ".join(r) for r in [header, *rows])
        self.tex.append(f"\\begin{{tabular}}{{{spec}}}\n{body}\n\\end{{tabular}}\n")

    def render_markdown(self) -> str:
        """The Markdown text."""
        return "\n".join(self.markdown)

    def render_tex(self) -> str:
        """The LaTeX text."""
        return "\n".join(self.tex)
