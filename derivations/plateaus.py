"""Derivation 6: loss plateaus (benign vs not overfitting) and the clean test-loss floor.

Paper: our derivation from the paper's model: |f| <= max_t |gamma_t| bounds the loss from below;
with the head nu the relevant token scores +-1/sqrt 2 and a weakly relevant one +-rho/sqrt 2
(ignoring the nu^T xi fluctuation, of variance 1/|mu|^2).
"""

from __future__ import annotations

from collections.abc import Callable

import sympy
from sympy.codegen.numpy_nodes import logaddexp

from derivations._doc import Document
from theory import bounds
from theory import symbols as sym
from theory.model import logistic_loss

NAME = "plateaus"


def _swap(old: sympy.Basic, new: sympy.Basic) -> Callable[[sympy.Basic], sympy.Basic]:
    """A proof step that replaces the side equal to ``old`` by ``new`` and keeps the other."""
    return lambda side: new if side == old else side


def derive() -> Document:
    """Build and prove the plateau derivation.

    Paper: our derivation from the paper's model and head.
    """
    doc = Document(name=NAME, title="Loss plateaus and the clean test-loss floor")
    doc.text(
        "The weights $s_t$ are positive and sum to one (definition of the softmax), so $f = \\sum_t s_t\\gamma_t$ "
        "lies between $\\min_t\\gamma_t$ and $\\max_t\\gamma_t$: a sample's margin $y f$ is at most its best "
        "token score."
    )
    doc.text(
        "A fitted clean sample selects its relevant token ($y\\gamma = 1/\\sqrt2$). A noisy sample fitted by "
        "*benign* overfitting selects the weakly relevant token of its observed label ($y\\gamma = \\rho/\\sqrt2$); "
        "a noisy sample that is *not* fitted keeps the relevant token of its true class ($y\\gamma = -1/\\sqrt2$). "
        "Ignoring the fluctuation $\\nu^\\top\\xi$ (variance $1/\\lVert\\mu\\rVert^2$), the plateaus are:"
    )
    eta, rho = sym.label_noise, sym.rho
    for formula in (bounds.PLATEAU_BENIGN, bounds.PLATEAU_NOT_OVERFITTING, bounds.CLEAN_TEST_LOSS_FLOOR):
        doc.definition(
            formula.description.split(":")[0],
            sympy.Symbol("L_{" + formula.name.replace("_", r"\ ") + "}"),
            formula.expr,
        )
    half = 1 / sympy.sqrt(2)
    gap = bounds.PLATEAU_NOT_OVERFITTING.expr - bounds.PLATEAU_BENIGN.expr
    doc.prove_equal(
        "not-overfitting minus benign plateau", gap, eta * (logistic_loss(-half) - logistic_loss(rho * half))
    )
    derivative = sympy.diff(logistic_loss(sym.margin), sym.margin)
    doc.prove_true(
        "the loss is decreasing, so for $\\rho > -1$ the benign plateau is the lower one",
        derivative.is_negative,
        shown=(sympy.Derivative(logistic_loss(sym.margin), sym.margin), "<", 0),
    )
    for formula in (bounds.PLATEAU_BENIGN, bounds.PLATEAU_NOT_OVERFITTING, bounds.CLEAN_TEST_LOSS_FLOOR):
        stable = formula.stable_expr
        if stable is None:
            raise ValueError(f"{formula.name}: has no float64 form to prove equal to its textbook form")
        rewritten = stable.replace(lambda e: isinstance(e, logaddexp), lambda e: e.rewrite(sympy.log))
        doc.prove_equal(
            f"the logaddexp form of `{formula.name}` used in float64 (logaddexp rewritten as log)",
            formula.expr,
            stable,
            via=_swap(stable, rewritten),
        )
    values = {"label_noise": sympy.Rational(1, 5), "rho": sympy.Rational(1, 10)}
    rows = []
    for formula in (bounds.PLATEAU_BENIGN, bounds.PLATEAU_NOT_OVERFITTING, bounds.CLEAN_TEST_LOSS_FLOOR):
        used = {key: values[key] for key in formula.arguments}
        rows.append([f"`{formula.name}`", f"{formula.evaluate(used):.6f}"])
    doc.text("At the official setting $\\eta = 0.2$, $\\rho = 0.1$ (30-digit evaluation, rounded):")
    doc.table(["formula", "value"], rows)
    return doc


if __name__ == "__main__":
    from derivations import main

    raise SystemExit(main(NAME))
