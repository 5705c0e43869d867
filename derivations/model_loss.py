"""Derivation 1: the model, the softmax, the head and the logistic loss.

Paper: the paper's model f(X) = sum_t s_t gamma_t with s = softmax(X W p), fixed head
nu = (mu_1 - mu_2)/(sqrt 2 |mu|^2), logistic loss (as in the authors' public code).
"""

from __future__ import annotations

import sympy

from derivations._doc import Document
from theory import symbols as sym
from theory.model import logistic_loss, logistic_weight, softmax, symbolic_length_model

NAME = "model_loss"


def _first_branch(expr: sympy.Expr, condition: sympy.Basic) -> sympy.Expr:
    # d/dz_j of a Sum over t = 1..T yields Piecewise((..., j <= T), (0, True)); on valid token
    # indices only the first branch applies, and we check that it is that very condition.
    def pick(piecewise: sympy.Piecewise) -> sympy.Expr:
        value, cond = piecewise.args[0]
        if cond != condition:
            raise ValueError(f"unexpected branch condition {cond}, expected {condition}")
        return value

    return expr.replace(lambda e: isinstance(e, sympy.Piecewise), pick)


def derive() -> Document:
    """Build and prove the model-and-loss derivation.

    Paper: the paper's model and loss; the identities are ours.
    """
    doc = Document(name=NAME, title="Model, softmax, head and logistic loss")
    model = symbolic_length_model()
    j, T = model.index, model.length
    doc.text(
        "One input with $T$ tokens ($T$ is a symbol), logits $z_t = x_t^\\top W p$, "
        "scores $\\gamma_t = \\nu^\\top x_t$, weights $s = \\mathrm{softmax}(z)$:"
    )
    f = model.output()
    doc.definition("model output", sympy.Symbol("f"), f)
    derivative = _first_branch(sympy.diff(f, model.logits[j]).doit(), sympy.Le(j, T))
    target = model.attention(j) * (model.scores[j] - f)
    shown = sympy.Derivative(f, model.logits[j])
    doc.prove_equal(
        "derivative of the output in one logit, for symbolic $T$ and any token $1 \\le j \\le T$ "
        "(derivative evaluated)",
        shown,
        target,
        via=lambda side: derivative if side == shown else side,
    )
    doc.text("The weights are positive and sum to one by definition, so $f$ is a convex combination of the scores.")

    z = sympy.Matrix(sympy.symbols("z_1:5", real=True))
    shift = sympy.Symbol("a", real=True)
    doc.prove_equal(
        "softmax is invariant under a common shift $a$ of the logits",
        softmax(z + shift * sympy.ones(4, 1)),
        softmax(z),
        sizes="T = 4",
    )

    margin_symbol = sym.margin
    doc.text("Logistic loss and its sample weight $-\\ell'(m)$:")
    doc.definition("logistic loss", sympy.Function("ell")(margin_symbol), logistic_loss(margin_symbol))
    doc.prove_equal(
        "sample weight (derivative evaluated)",
        -sympy.Derivative(logistic_loss(margin_symbol), margin_symbol),
        logistic_weight(margin_symbol),
        via=lambda side: side.doit(),
    )
    y, out = sympy.symbols("y f", real=True)
    doc.prove_equal(
        "derivative of the loss of one sample in its output, any label $y$ (derivative evaluated)",
        sympy.Derivative(logistic_loss(y * out), out),
        -y * logistic_weight(y * out),
        via=lambda side: side.doit(),
    )

    doc.text(
        "Fixed head: $\\mu_1 = \\lVert\\mu\\rVert e_1$, $\\mu_2 = \\lVert\\mu\\rVert e_2$, "
        "$\\nu = (\\mu_1 - \\mu_2)/(\\sqrt2 \\lVert\\mu\\rVert^2)$. Only the first two coordinates are "
        "nonzero, so checking in $d = 3$ covers every $d \\ge 2$."
    )
    m = sym.signal_norm
    mu1, mu2 = sympy.Matrix([m, 0, 0]), sympy.Matrix([0, m, 0])
    nu = (mu1 - mu2) / (sympy.sqrt(2) * m**2)
    doc.definition("head (first three coordinates)", sympy.Symbol("nu"), nu)
    mu1_symbol, mu2_symbol, nu_symbol = (sympy.MatrixSymbol(name, 3, 1) for name in ("mu_1", "mu_2", "nu"))
    vectors = {mu1_symbol: mu1, mu2_symbol: mu2, nu_symbol: nu}
    one = sympy.Matrix([[1]])
    doc.prove_equal(
        "the head scores the relevant token of class +1",
        nu_symbol.T * mu1_symbol,
        one / sympy.sqrt(2),
        at=vectors,
        sizes="d = 3",
    )
    doc.prove_equal("and of class -1", nu_symbol.T * mu2_symbol, -one / sympy.sqrt(2), at=vectors, sizes="d = 3")
    doc.prove_equal("squared norm of the head", nu_symbol.T * nu_symbol, one / m**2, at=vectors, sizes="d = 3")
    rho = sym.rho
    doc.prove_equal(
        "a weakly relevant token of the true class scores $\\rho/\\sqrt2$",
        nu_symbol.T * (rho * mu1_symbol),
        rho * one / sympy.sqrt(2),
        at=vectors,
        sizes="d = 3",
    )
    return doc


if __name__ == "__main__":
    from derivations import main

    raise SystemExit(main(NAME))
