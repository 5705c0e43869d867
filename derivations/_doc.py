"""A small builder for derivation documents: text, displayed equations, definitions and proofs.

Every identity is stated as SymPy expressions ``lhs`` and ``rhs``; the displayed LaTeX is
printed from those very expressions (``sympy.latex`` in the paper's notation), never typed by
hand. Each check raises ``ProofError`` when it fails, so a written document is one whose every
claimed identity was verified, and each says how:

- "Proved in general": SymPy reduces ``lhs - rhs`` to 0 with every symbol free (any sizes);
- "Checked at fixed sizes (...)": the expressions contain matrix or vector symbols that are
  replaced by fixed-size matrices of free scalar symbols (``at``), and every entry of the
  difference reduces to 0; the sizes are named;
- "Checked numerically at ...": the identity holds at the named points to a stated tolerance;
- "Definition": not a claim, nothing to prove.

``render_tex`` returns a standalone LaTeX document (article, amsmath, amssymb) with text-mode
content escaped.

Paper: infrastructure for the executable derivations (``derivations/NAME.py``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping, Sequence

import sympy

from theory.symbols import latex

__all__ = ["ProofError", "Document", "tex_text"]


class ProofError(AssertionError):
    """An identity claimed by a derivation did not verify.

    Paper: any identity a derivation states.
    """


_TEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "_": r"\_",
    "^": r"\^{}",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "|": r"\textbar{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "$": r"\$",
}
_CODE = re.compile(r"`([^`]*)`")
_EMPHASIS = re.compile(r"\*([^*]+)\*")


def _escape_plain(text: str) -> str:
    for character in text:
        if ord(character) > 127:
            raise ValueError(f"non-ASCII character {character!r} in derivation text {text!r}: write it as math")
    return "".join(_TEX_SPECIALS.get(character, character) for character in text)


def _escape_prose(text: str) -> str:
    # `code` -> \texttt, *emphasis* -> \emph; everything else escaped.
    pieces, position = [], 0
    for match in _CODE.finditer(text):
        pieces.append(_escape_emphasis(text[position : match.start()]))
        pieces.append(r"\texttt{" + _escape_plain(match.group(1)) + "}")
        position = match.end()
    pieces.append(_escape_emphasis(text[position:]))
    return "".join(pieces)


def _escape_emphasis(text: str) -> str:
    pieces, position = [], 0
    for match in _EMPHASIS.finditer(text):
        pieces.append(_escape_plain(text[position : match.start()]))
        pieces.append(r"\emph{" + _escape_plain(match.group(1)) + "}")
        position = match.end()
    pieces.append(_escape_plain(text[position:]))
    return "".join(pieces)


def tex_text(markdown: str) -> str:
    """LaTeX for a Markdown paragraph: inline ``$...$`` math kept, text mode escaped.

    Raises
    ------
    ValueError
        For an unbalanced ``$`` or a non-ASCII character in text mode.
    """
    parts = markdown.split("$")
    if len(parts) % 2 == 0:
        raise ValueError(f"unbalanced $ in derivation text {markdown!r}")
    return "".join(f"${part}$" if index % 2 else _escape_prose(part) for index, part in enumerate(parts))


def _markdown_text(markdown: str) -> str:
    # Markdown keeps the text as written; check it would also render as LaTeX.
    tex_text(markdown)
    return markdown


def _explicit(expr: sympy.Basic, at: Mapping[sympy.Basic, sympy.Basic] | None) -> sympy.Basic:
    if at is None:
        return expr
    value = expr.xreplace(dict(at)).doit()
    return value.as_explicit() if isinstance(value, sympy.MatrixExpr) else value


def _reduce(value: sympy.Basic, method: str) -> sympy.Basic:
    if method == "expand":
        return sympy.expand(value)
    if method == "simplify":
        return sympy.simplify(value)
    raise ValueError(f"method={method!r}: must be 'expand' or 'simplify'")


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
        self.markdown.append(f"# {_markdown_text(self.title)}\n")
        self.tex.append(f"\\section*{{{tex_text(self.title)}}}\n")

    def text(self, paragraph: str) -> None:
        """A paragraph (Markdown; inline ``$...$`` math kept, text escaped in LaTeX)."""
        paragraph = " ".join(paragraph.split())
        self.markdown.append(_markdown_text(paragraph) + "\n")
        self.tex.append(tex_text(paragraph) + "\n")

    def _display(self, line: str) -> None:
        self.markdown.append(f"$$\n{line}\n$$\n")
        self.tex.append(f"\\begin{{equation*}}\n{line}\n\\end{{equation*}}\n")

    def equation(self, lhs: sympy.Basic | None, rhs: sympy.Basic) -> None:
        """A displayed equation ``lhs = rhs`` (or ``rhs`` alone), printed from the expressions."""
        body = latex(rhs)
        self._display(f"{latex(lhs)} = {body}" if lhs is not None else body)

    def definition(self, statement: str, lhs: sympy.Basic, rhs: sympy.Basic) -> None:
        """A definition ``lhs := rhs``: stated, not proven (nothing to prove)."""
        self._labelled("Definition", statement)
        self._display(f"{latex(lhs)} := {latex(rhs)}")

    def _labelled(self, label: str, statement: str) -> None:
        statement = " ".join(statement.split())
        self.markdown.append(f"**{label}**: {_markdown_text(statement)}\n")
        self.tex.append(f"\\textbf{{{tex_text(label)}}}: {tex_text(statement)}\n")

    def _proved(
        self, label: str, statement: str, lhs: sympy.Basic | None, rhs: sympy.Basic | None, relation: str = "="
    ) -> None:
        self.proofs += 1
        self._labelled(f"{label} ({self.proofs})", statement)
        if lhs is not None:
            self._display(f"{latex(lhs)} {relation} {latex(rhs)}")

    def prove_equal(
        self,
        statement: str,
        lhs: sympy.Basic,
        rhs: sympy.Basic,
        *,
        at: Mapping[sympy.Basic, sympy.Basic] | None = None,
        sizes: str | None = None,
        method: str = "simplify",
        rewrite: sympy.Basic | None = None,
        via: Callable[[sympy.Basic], sympy.Basic] | None = None,
    ) -> None:
        """Prove ``lhs = rhs`` and display it (printed from ``lhs`` and ``rhs``).

        Without ``at`` the proof is general: SymPy reduces ``lhs - rhs`` to 0 (``method``:
        "expand" for polynomial identities, "simplify" otherwise; ``rewrite`` rewrites the
        difference first, e.g. ``sympy.exp``). With ``at`` (symbols -> fixed-size matrices or
        values), or for expressions already built at a fixed size, every entry of the difference
        must reduce to 0, and ``sizes`` names the sizes checked.
        """
        if at is not None and sizes is None:
            raise ValueError(f"{statement}: a check at fixed sizes (at=) must name them (sizes=)")
        left, right = _explicit(lhs, at), _explicit(rhs, at)
        if via is not None:
            left, right = via(left), via(right)
        difference = left - right
        entries = list(difference) if isinstance(difference, sympy.MatrixBase) else [difference]
        for entry in entries:
            if rewrite is not None:
                entry = entry.rewrite(rewrite)
            reduced = _reduce(entry, method)
            if reduced != 0:
                raise ProofError(f"{self.name}: {statement}: difference reduces to {reduced}, not 0")
        if sizes is None:
            label = "Proved in general"
            how = f" (SymPy: {method} of the difference is 0, every symbol free)"
        else:
            label = f"Checked at fixed sizes ({sizes})"
            how = f" (SymPy: {method} of every entry of the difference is 0, all other symbols free)"
        self._proved(label, statement.rstrip(".") + how + ".", lhs, rhs)

    def prove_true(
        self, statement: str, claim: bool, *, shown: tuple[sympy.Basic, str, sympy.Basic] | None = None
    ) -> None:
        """Record an exact (rational, integer or limit) check that SymPy decided as True.

        ``shown`` = (lhs, relation, rhs) displays the checked relation, printed from the expressions.
        """
        if claim is not True and claim != sympy.true:
            raise ProofError(f"{self.name}: {statement}: exact check returned {claim}")
        lhs, relation, rhs = shown if shown is not None else (None, "=", None)
        self._proved("Proved by an exact check", statement, lhs, rhs, relation)

    def check_numeric(
        self,
        statement: str,
        residuals: Sequence[float],
        tolerance: float,
        points: str,
        *,
        shown: tuple[sympy.Basic, sympy.Basic] | None = None,
    ) -> None:
        """Record an identity checked numerically at ``points``: every |residual| <= ``tolerance``."""
        worst = max(abs(float(r)) for r in residuals)
        if not worst <= tolerance:
            raise ProofError(f"{self.name}: {statement}: residual {worst!r} exceeds {tolerance!r}")
        lhs, rhs = shown if shown is not None else (None, None)
        self._proved(
            f"Checked numerically at {points}",
            f"{statement.rstrip('.')} (every residual at most {tolerance:.0e}).",
            lhs,
            rhs,
        )

    def table(self, header: Iterable[str], rows: Iterable[Iterable[str]]) -> None:
        """A table (Markdown table; LaTeX tabular); cells are Markdown text (inline math allowed)."""
        header = list(header)
        rows = [list(r) for r in rows]
        self.markdown.append(
            "| "
            + " | ".join(_markdown_text(c) for c in header)
            + " |\n|"
            + "---|" * len(header)
            + "\n"
            + "".join("| " + " | ".join(_markdown_text(c) for c in r) + " |\n" for r in rows)
        )
        spec = "l" * len(header)
        body = " \\\\\n".join(" & ".join(tex_text(c) for c in r) for r in [header, *rows])
        self.tex.append(f"\\begin{{tabular}}{{{spec}}}\n{body}\n\\end{{tabular}}\n")

    def render_markdown(self) -> str:
        """The Markdown text."""
        return "\n".join(self.markdown)

    def render_tex(self) -> str:
        """A standalone LaTeX document (article class, amsmath and amssymb)."""
        preamble = (
            "\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage{amssymb}\n"
            "\\allowdisplaybreaks\n\\begin{document}\n"
        )
        return preamble + "\n".join(self.tex) + "\n\\end{document}\n"
