"""Derivation 6: loss plateaus (benign vs not overfitting) and the clean test-loss floor.

Paper: SPEC section 4.2 [DERIVED]: |f| <= max_t |gamma_t| bounds the loss from below; with the
head nu the relevant token scores +-1/sqrt 2 and a weakly relevant one +-rho/sqrt 2 (ignoring
the nu^T xi fluctuation, of variance 1/|mu|^2).
"""

from __future__ import annotations

import sympy
from sympy.codegen.numpy_nodes import logaddexp

from derivations._doc import Document
from theory import bounds
from theory import symbols as sym
from theory.model import logistic_loss, softmax

NAME = "plateaus"


def derive() -> Document:
    """Build and prove the plateau derivation.

    Paper: SPEC section 4.2.
    """
    doc = Document(name=NAME, title="Loss plateaus and the clean test-loss floor")
    doc.text("The output is a convex combination of the token scores, so it never exceeds the best score:")
    z = sympy.Matrix(sympy.symbols("z_1:4", real=True))
    s = softmax(z)
    doc.prove_zero("$f = \\sum_t s_t\\gamma_t$ with weights $s_t > 0$ summing to one ($T = 3$), hence "
                   "$\\min_t\\gamma_t \\le f \\le \\max_t\\gamma_t$", sum(s) - 1)
    doc.prove_true("every softmax weight is positive", all(w.is_positive for w in s))
    doc.text("A fitted clean sample selects its relevant token ($y\\gamma = 1/\\sqrt2$). A noisy sample fitted by "
             "*benign* overfitting selects the weakly relevant token of its observed label ($y\\gamma = \\rho/\\sqrt2$); "
             "a noisy sample that is *not* fitted keeps the relevant token of its true class ($y\\gamma = -1/\\sqrt2$).")
    eta, rho = sym.label_noise, sym.rho
    for formula in (bounds.PLATEAU_BENIGN, bounds.PLATEAU_NOT_OVERFITTING, bounds.CLEAN_TEST_LOSS_FLOOR):
        doc.equation(f"\\text{{{formula.name.replace('_', ' ')}}}", formula.expr)
    half = 1 / sympy.sqrt(2)
    doc.prove_zero("benign plateau = $(1-\\eta)\\ell(1/\\sqrt2) + \\eta\\ell(\\rho/\\sqrt2)$",
                   bounds.PLATEAU_BENIGN.expr - ((1 - eta) * logistic_loss(half) + eta * logistic_loss(rho * half)))
    gap = bounds.PLATEAU_NOT_OVERFITTING.expr - bounds.PLATEAU_BENIGN.expr
    doc.prove_zero("not-overfitting minus benign plateau is $\\eta(\\ell(-1/\\sqrt2) - \\ell(\\rho/\\sqrt2))$",
                   gap - eta * (logistic_loss(-half) - logistic_loss(rho * half)))
    doc.prove_true("$\\ell$ is decreasing ($\\ell'(m) = -1/(1+e^m) < 0$), so for $\\rho > -1$ the benign plateau is lower",
                   sympy.diff(logistic_loss(sym.margin), sym.margin).is_negative)
    for formula in (bounds.PLATEAU_BENIGN, bounds.PLATEAU_NOT_OVERFITTING, bounds.CLEAN_TEST_LOSS_FLOOR):
        rewritten = formula.stable_expr.replace(lambda e: isinstance(e, logaddexp), lambda e: e.rewrite(sympy.log))
        doc.prove_zero(f"the logaddexp form of `{formula.name}` equals its textbook form", rewritten - formula.expr)
    values = {"label_noise": sympy.Rational(1, 5), "rho": sympy.Rational(1, 10)}
    rows = []
    for formula in (bounds.PLATEAU_BENIGN, bounds.PLATEAU_NOT_OVERFITTING, bounds.CLEAN_TEST_LOSS_FLOOR):
        used = {key: values[key] for key in formula.arguments}
        rows.append([f"`{formula.name}`", f"{formula.evaluate(used):.6f}"])
    doc.text("At the official setting $\\eta = 0.2$, $\\rho = 0.1$ (SPEC: 0.452, 0.542, 0.401):")
    doc.table(["formula", "value"], rows)
    return doc


if __name__ == "__main__":
    from derivations import main

    raise SystemExit(main(NAME))
