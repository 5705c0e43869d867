"""Whitelist number parser, records validation, glossary, and the no-eval rule."""

from __future__ import annotations

import ast
import fractions
from pathlib import Path

import pytest
import sympy

from theory import symbols as sym
from theory.records import Condition, Margin, Status, Tag, exact, parse_assignment, parse_number

REPO = Path(__file__).resolve().parents[2]
OWN_SOURCES = [
    *sorted((REPO / "theory").glob("*.py")),
    *sorted((REPO / "derivations").glob("*.py")),
    REPO / "numerics" / "compile.py",
    REPO / "verify" / "commands" / "predict.py",
    REPO / "verify" / "commands" / "derive.py",
]


@pytest.mark.parametrize(
    "text,value",
    [
        ("3", 3),
        ("-2.5", fractions.Fraction(-5, 2)),
        ("1e-3", fractions.Fraction(1, 1000)),
        (" 3/4 ", fractions.Fraction(3, 4)),
        (".5", fractions.Fraction(1, 2)),
    ],
)
def test_parse_number_accepts_numbers_exactly(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["__import__('os')", "2**10", "x", "1/0", "nan", "inf", "1e", "sqrt(2)", ""])
def test_parse_number_rejects_everything_else(text):
    with pytest.raises(ValueError, match="number"):
        parse_number(text)


def test_parse_assignment():
    assert parse_assignment("C_benign=5/2") == ("C_benign", fractions.Fraction(5, 2))
    with pytest.raises(ValueError, match="NAME=VALUE"):
        parse_assignment("C_benign")
    with pytest.raises(ValueError, match="identifier"):
        parse_assignment("1x=3")


def test_exact_keeps_floats_binary_exact_and_rejects_bools():
    assert exact(0.1) == sympy.Rational(3602879701896397, 36028797018963968)
    assert exact("1/3") == sympy.Rational(1, 3)
    with pytest.raises(TypeError, match="bool"):
        exact(True)
    with pytest.raises(ValueError, match="finite"):
        exact(float("inf"))


def test_condition_validation_names_the_problem():
    with pytest.raises(ValueError, match="relation"):
        Condition(name="x", lhs=sym.dim, relation="<", rhs=1, reference="r", tag=Tag.PAPER, description="d")
    with pytest.raises(ValueError, match="neither parameters nor declared"):
        Condition(name="x", lhs=sym.dim, relation="<=", rhs=sym.C_benign, reference="r", tag=Tag.OPEN, description="d")
    with pytest.raises(sympy.SympifyError):
        Condition(name="x", lhs="dim", relation="<=", rhs=1, reference="r", tag=Tag.PAPER, description="d")


def test_margin_status_must_match_missing_constants():
    with pytest.raises(ValueError, match="undetermined exactly when"):
        Margin(condition="c", relation="<=", status=Status.UNDETERMINED, lhs=None, rhs=None, margin=None, ratio=None)


def test_glossary_uses_spec_names():
    codes = {entry.code_name for entry in sym.GLOSSARY}
    for name in ("n_train", "seq_len", "dim", "signal_norm", "rho", "label_noise", "step_size"):
        assert name in codes
    assert not codes & {"eta", "lr", "learning_rate"}
    table = sym.glossary_markdown()
    assert "| $\\eta$ | `label_noise` |" in table
    assert sym.latex(sym.label_noise * sym.signal_norm) == r"\eta \lVert\mu\rVert"


def test_symbols_carry_assumptions():
    assert sym.n_train.is_integer and sym.n_train.is_positive
    assert sym.signal_norm.is_positive
    assert sym.label_noise.is_nonnegative
    with pytest.raises(KeyError, match="unknown symbol"):
        sym.by_name("eta")


def _calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            yield name, node


@pytest.mark.parametrize("path", OWN_SOURCES, ids=lambda p: p.name)
def test_no_eval_or_text_sympify(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for name, node in _calls(tree):
        builtin = isinstance(node.func, ast.Name)
        assert not (builtin and name in {"eval", "exec", "compile"}), f"{path.name}:{node.lineno} calls {name}"
        assert name != "parse_expr", f"{path.name}:{node.lineno} calls parse_expr"
        if name in {"sympify", "S"}:
            strict = any(
                k.arg == "strict" and isinstance(k.value, ast.Constant) and k.value.value is True for k in node.keywords
            )
            assert strict, f"{path.name}:{node.lineno}: sympify without strict=True could parse text"


def test_theory_imports_only_sympy_and_stdlib():
    import sys

    allowed = set(sys.stdlib_module_names) | {"sympy", "theory", "__future__"}
    for path in sorted((REPO / "theory").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = [node.module.split(".")[0]]
            else:
                continue
            assert set(roots) <= allowed, f"{path.name} imports {roots}"


def test_heuristic_tag_marks_the_existence_window_and_the_paper_count_on_t_tokens():
    from theory import bounds
    from theory.records import Formula

    assert Tag.HEURISTIC.value == "HEURISTIC"
    assert bounds.EXISTENCE_SCALE_LOWER.tag is Tag.HEURISTIC and bounds.EXISTENCE_SCALE_UPPER.tag is Tag.HEURISTIC
    assert bounds.ATTENTION_ERROR.tag is Tag.HEURISTIC and bounds.ATTENTION_ERROR_T_MINUS_1.tag is Tag.DERIVED
    assert bounds.GROWTH_G.tag is Tag.PAPER and bounds.BASELINE_TEST_ACCURACY.tag is Tag.DERIVED
    with pytest.raises(ValueError, match="count='T\\+1'"):
        Formula(
            name="x",
            expr=sym.gap,
            arguments=("gap",),
            reference="r",
            tag=Tag.DERIVED,
            description="d",
            stable=lambda *, gap: gap,
            domain={"gap": (0, 1)},
            count="T+1",
        )


def test_plain_names_match_the_symbols():
    """theory.inputs lists the constants and inputs without SymPy; they must be the symbols' names."""
    from theory import symbols
    from theory.inputs import CONSTANT_NAMES, DEFAULT_INPUTS

    assert CONSTANT_NAMES == tuple(symbols.CONSTANT_SYMBOLS)
    assert set(DEFAULT_INPUTS) == set(symbols.INPUT_SYMBOLS)
