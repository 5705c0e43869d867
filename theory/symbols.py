"""Canonical SymPy symbols and the glossary paper symbol <-> code name.

Every symbol's SymPy name is its code name (a Python identifier, so expressions compile and
print unambiguously); the paper's notation is used only for LaTeX output, through ``LATEX_NAMES``.

Paper: Sakamoto & Sato, the paper's setting and notation; our code names.
"""

from __future__ import annotations

import dataclasses

import sympy

__all__ = [
    "GlossaryEntry",
    "GLOSSARY",
    "LATEX_NAMES",
    "PARAM_SYMBOLS",
    "CONSTANT_SYMBOLS",
    "INPUT_SYMBOLS",
    "by_name",
    "glossary_markdown",
    "latex",
    "n_train",
    "seq_len",
    "dim",
    "signal_norm",
    "rho",
    "label_noise",
    "step_size",
    "steps",
    "time",
    "gap",
    "gap_initial",
    "gap_target",
    "drive",
    "drive_lower",
    "drive_upper",
    "margin",
    "existence_scale",
    "relevant_mass",
    "clean_mass_min",
    "token_mass_max",
    "class_balance",
    "mass_ratio",
    "failure_prob",
    "target_attention_error",
    "C_benign",
    "C_clean",
    "C_harm",
    "C_drive",
    "C_eq9",
    "C_eq10",
    "C_mass",
    "SUPPLIED_SYMBOLS",
]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class GlossaryEntry:
    """One row of the glossary.

    Paper: the notation table implied by the paper's setting and the regime statements of v3 Figure 1.

    Parameters
    ----------
    code_name : str
        The name used in code (a ``ProblemParams`` field, a constant, or an argument name).
    paper : str
        The paper's symbol in LaTeX.
    meaning : str
        One-line description.
    kind : str
        ``"parameter"`` (a ``ProblemParams`` field), ``"constant"`` (an unknown constant of
        the paper's theorems the user must supply), ``"input"`` (a named input with a visible
        default), ``"variable"`` (an argument of a formula), ``"measured"`` (a quantity read off a
        run, supplied when a condition is evaluated) or ``"array"`` (a model object).
    """

    code_name: str
    paper: str
    meaning: str
    kind: str

    def __post_init__(self) -> None:
        kinds = ("parameter", "constant", "input", "variable", "measured", "array")
        if self.kind not in kinds:
            raise ValueError(f"kind={self.kind!r} for {self.code_name!r}: must be one of {kinds}")
        if not self.code_name.isidentifier():
            raise ValueError(f"code_name={self.code_name!r}: must be a Python identifier")


def _positive_int(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, positive=True, integer=True)


def _positive(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, positive=True)


def _real(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, real=True)


# Problem parameters (fields of theory.params.ProblemParams).
n_train = _positive_int("n_train")
seq_len = _positive_int("seq_len")
dim = _positive_int("dim")
signal_norm = _positive("signal_norm")
rho = _positive("rho")
# The label-noise rate may be 0, so it is only declared nonnegative.
label_noise = sympy.Symbol("label_noise", nonnegative=True)
step_size = _positive("step_size")
steps = sympy.Symbol("steps", nonnegative=True, integer=True)

# Variables of the gap dynamics.
time = sympy.Symbol("time", nonnegative=True)
gap = _real("gap")
gap_initial = _real("gap_initial")
gap_target = _real("gap_target")
drive = _positive("drive")
drive_lower = _positive("drive_lower")
drive_upper = _positive("drive_upper")
margin = _real("margin")
existence_scale = _positive("existence_scale")
relevant_mass = _positive("relevant_mass")

# Quantities read off a run (v1 attention mass), supplied when a condition is evaluated.
clean_mass_min = _positive("clean_mass_min")
token_mass_max = _positive("token_mass_max")
class_balance = _positive("class_balance")
mass_ratio = _positive("mass_ratio")

# Named inputs with visible defaults, and the paper's unknown constants.
failure_prob = _positive("failure_prob")
target_attention_error = _positive("target_attention_error")
C_benign = _positive("C_benign")
C_clean = _positive("C_clean")
C_harm = _positive("C_harm")
C_drive = _positive("C_drive")
C_eq9 = _positive("C_eq9")
C_eq10 = _positive("C_eq10")
C_mass = _positive("C_mass")

#: Symbols whose values come from a ``ProblemParams`` of the same attribute name.
PARAM_SYMBOLS: dict[str, sympy.Symbol] = {
    s.name: s for s in (n_train, seq_len, dim, signal_norm, rho, label_noise, step_size, steps)
}
#: The paper's unknown constants: never given a value by the toolkit.
CONSTANT_SYMBOLS: dict[str, sympy.Symbol] = {
    s.name: s for s in (C_benign, C_clean, C_harm, C_drive, C_eq9, C_eq10, C_mass)
}
#: Named inputs (each condition or prediction that uses one shows its default).
INPUT_SYMBOLS: dict[str, sympy.Symbol] = {s.name: s for s in (failure_prob, target_attention_error)}

_VARIABLE_SYMBOLS = (
    time,
    gap,
    gap_initial,
    gap_target,
    drive,
    drive_lower,
    drive_upper,
    margin,
    existence_scale,
    relevant_mass,
)
#: Values a condition may take per evaluation instead of from the parameters: quantities read
#: off a run, and the existence construction's chosen lambda.
SUPPLIED_SYMBOLS: dict[str, sympy.Symbol] = {
    s.name: s for s in (clean_mass_min, token_mass_max, class_balance, mass_ratio, existence_scale)
}
_ALL = {
    **PARAM_SYMBOLS,
    **CONSTANT_SYMBOLS,
    **INPUT_SYMBOLS,
    **SUPPLIED_SYMBOLS,
    **{s.name: s for s in _VARIABLE_SYMBOLS},
}

GLOSSARY: tuple[GlossaryEntry, ...] = (
    GlossaryEntry(code_name="n_train", paper="n", meaning="number of training samples", kind="parameter"),
    GlossaryEntry(code_name="seq_len", paper="T", meaning="tokens per input", kind="parameter"),
    GlossaryEntry(code_name="dim", paper="d", meaning="embedding dimension", kind="parameter"),
    GlossaryEntry(
        code_name="signal_norm", paper=r"\lVert\mu\rVert", meaning="signal norm (both signals)", kind="parameter"
    ),
    GlossaryEntry(code_name="rho", paper=r"\rho", meaning="weight of the weakly relevant tokens", kind="parameter"),
    GlossaryEntry(
        code_name="label_noise",
        paper=r"\eta",
        meaning="label-noise rate (fraction of flipped labels)",
        kind="parameter",
    ),
    GlossaryEntry(
        code_name="step_size", paper="h", meaning="gradient-descent step size (never `eta`/`lr`)", kind="parameter"
    ),
    GlossaryEntry(code_name="steps", paper="k", meaning="number of gradient-descent steps", kind="parameter"),
    GlossaryEntry(code_name="n_test", paper=r"n_{\mathrm{test}}", meaning="number of test samples", kind="parameter"),
    GlossaryEntry(
        code_name="tokens", paper=r"X \in \mathbb{R}^{T\times d}", meaning="one input: rows x_1..x_T", kind="array"
    ),
    GlossaryEntry(code_name="W", paper="W", meaning="key-query matrix (d x d)", kind="array"),
    GlossaryEntry(code_name="p", paper="p", meaning="query / prompt vector", kind="array"),
    GlossaryEntry(code_name="nu", paper=r"\nu", meaning="fixed linear head", kind="array"),
    GlossaryEntry(code_name="z", paper=r"z_{i,t} = x_{i,t}^\top W p", meaning="attention logits", kind="array"),
    GlossaryEntry(code_name="s", paper=r"s_{i,t}", meaning="attention weights softmax(z)", kind="array"),
    GlossaryEntry(code_name="gamma", paper=r"\gamma_{i,t} = \nu^\top x_{i,t}", meaning="token scores", kind="array"),
    GlossaryEntry(code_name="f", paper=r"f(X_i)", meaning="model output", kind="array"),
    GlossaryEntry(
        code_name="c", paper=r"c_{i,t} = -\partial L / \partial z_{i,t}", meaning="logit drive", kind="array"
    ),
    GlossaryEntry(
        code_name="P", paper=r"\lVert p\rVert^2", meaning="squared query norm (joint flow state)", kind="array"
    ),
    GlossaryEntry(
        code_name="G", paper=r"X_f X_f^\top", meaning="Gram matrix of the stacked training tokens", kind="array"
    ),
    GlossaryEntry(code_name="M", paper=r"X_f W W^\top X_f^\top", meaning="kernel of the joint flow", kind="array"),
    GlossaryEntry(code_name="time", paper=r"\tau", meaning="gradient-flow time (steps x step_size)", kind="variable"),
    GlossaryEntry(code_name="gap", paper="x", meaning="logit gap of one token over the others", kind="variable"),
    GlossaryEntry(code_name="gap_initial", paper=r"\Lambda_0", meaning="gap at time 0", kind="variable"),
    GlossaryEntry(code_name="gap_target", paper="K", meaning="gap to be reached", kind="variable"),
    GlossaryEntry(code_name="drive", paper="c", meaning="drive on a gap: d gap/d time = c s(1-s)", kind="variable"),
    GlossaryEntry(code_name="drive_lower", paper="c_-", meaning="lower bound on the drive", kind="variable"),
    GlossaryEntry(code_name="drive_upper", paper="c_+", meaning="upper bound on the drive", kind="variable"),
    GlossaryEntry(code_name="margin", paper="z", meaning="argument of the logistic loss", kind="variable"),
    GlossaryEntry(
        code_name="existence_scale",
        paper=r"\lambda",
        meaning="noise weight of the v1 existence construction",
        kind="variable",
    ),
    GlossaryEntry(
        code_name="relevant_mass",
        paper=r"a = \sum_{t\in\mathcal{R}} s_t",
        meaning="attention mass on the relevant token set (v1)",
        kind="variable",
    ),
    GlossaryEntry(
        code_name="clean_mass_min",
        paper=r"\min_k \sum_{i\in\mathcal{C}_k}\sum_{\tau'\le\tau}\mathfrak{S}^{(i)}(\tau')",
        meaning="cumulative attention mass S of the clean samples, smaller class (v1 Eq. 9 left side)",
        kind="measured",
    ),
    GlossaryEntry(
        code_name="token_mass_max",
        paper=r"\max_{i,t}\sum_{\tau'\le\tau} s_{i,t}(1-s_{i,t})",
        meaning="largest cumulative s(1-s) of any (sample, token) (v1 Eq. 9 right side)",
        kind="measured",
    ),
    GlossaryEntry(
        code_name="class_balance",
        paper=r"B(\tau)/B(0)",
        meaning="mean cumulative S of clean class +1 over class -1, over its tau = 0 value (v1 Eq. 10)",
        kind="measured",
    ),
    GlossaryEntry(
        code_name="mass_ratio",
        paper=r"\mathfrak{S}_{\mathrm{clean}}/\mathfrak{S}_{\mathrm{noisy}}",
        meaning="cumulative S, clean samples of one label over noisy samples of the other (authors' study)",
        kind="measured",
    ),
    GlossaryEntry(
        code_name="failure_prob",
        paper=r"\delta",
        meaning="failure probability of the v1 assumptions (default 0.01)",
        kind="input",
    ),
    GlossaryEntry(
        code_name="target_attention_error",
        paper=r"\varepsilon",
        meaning="attention error 1 - s to be reached (default 0.01)",
        kind="input",
    ),
    GlossaryEntry(
        code_name="C_benign",
        paper=r"C_{\mathrm{benign}}",
        meaning="benign if n SNR^2 <= C_benign (unknown constant)",
        kind="constant",
    ),
    GlossaryEntry(
        code_name="C_clean",
        paper=r"C_{\mathrm{clean}}",
        meaning="not overfitting if n SNR^2 >= C_clean (unknown constant)",
        kind="constant",
    ),
    GlossaryEntry(
        code_name="C_harm",
        paper=r"C_{\mathrm{harm}}",
        meaning="harmful if SNR < C_harm d^{-1/4} (unknown constant)",
        kind="constant",
    ),
    GlossaryEntry(
        code_name="C_drive",
        paper=r"C_{\mathrm{drive}}",
        meaning="drive on the relevant-token gap (unknown constant)",
        kind="constant",
    ),
    GlossaryEntry(
        code_name="C_eq9",
        paper=r"C_{9}",
        meaning="v1 Eq. 9: clean attention mass >= C_eq9 x largest token mass (unknown constant)",
        kind="constant",
    ),
    GlossaryEntry(
        code_name="C_eq10",
        paper=r"C_{10}",
        meaning="v1 Eq. 10: class balance within [1/C_eq10, C_eq10] (unknown constant)",
        kind="constant",
    ),
    GlossaryEntry(
        code_name="C_mass",
        paper=r"C_{\mathfrak{S}}",
        meaning="attention-mass rule: generalises while the clean/noisy ratio >= C_mass (authors: about 1)",
        kind="constant",
    ),
)

#: LaTeX rendering of each code-named symbol, in the paper's notation.
LATEX_NAMES: dict[sympy.Symbol, str] = {
    symbol: entry.paper for entry in GLOSSARY if (symbol := _ALL.get(entry.code_name)) is not None
}


def by_name(name: str) -> sympy.Symbol:
    """The canonical symbol with code name ``name``.

    Paper: the glossary (``GLOSSARY``).

    Raises
    ------
    KeyError
        Naming the unknown name and the known ones.
    """
    try:
        return _ALL[name]
    except KeyError:
        raise KeyError(f"unknown symbol {name!r}: known symbols are {', '.join(sorted(_ALL))}") from None


def latex(expr: sympy.Basic) -> str:
    """LaTeX of a SymPy expression in the paper's notation.

    Paper: notation of the paper's setting.
    """
    return sympy.latex(expr, symbol_names=LATEX_NAMES)


def glossary_markdown() -> str:
    """The glossary as a Markdown table (paper symbol, code name, kind, meaning), for the README.

    Paper: notation of the paper's setting; our code names.
    """
    lines = ["| paper | code | kind | meaning |", "|---|---|---|---|"]
    for entry in GLOSSARY:
        lines.append(f"| ${entry.paper}$ | `{entry.code_name}` | {entry.kind} | {entry.meaning} |")
    return "\n".join(lines) + "\n"
