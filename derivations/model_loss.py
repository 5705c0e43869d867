"""Derivation 1: the model, the softmax, the head and the logistic loss.

Paper: Section 3 (model f(X) = sum_t s_t gamma_t with s = softmax(X W p), fixed head
nu = (mu_1 - mu_2)/(sqrt 2 |mu|^2), logistic loss); SPEC section 2.
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

    Paper: Section 3; SPEC section 2.
    """
    doc = Document(name=NAME, title="Model, softmax, head and logistic loss")
    model = symbolic_length_model()
    j, T = model.index, model.length
    doc.text("One input with $T$ tokens (here $T$ is a symbol), logits $z_t = x_t^\\top W p$, "
             "scores $\\gamma_t = \\nu^\\top x_t$:")
    f = model.output()
    doc.equation("f", f)
    derivative = _first_branch(sympy.diff(f, model.logits[j]).doit(), sympy.Le(j, T))
    target = model.attention(j) * (model.scores[j] - f)
    doc.equation(r"\frac{\partial f}{\partial z_j}", r"s_j\,(\gamma_j - f)")
    doc.prove_zero("for symbolic $T$ and any token $1 \\le j \\le T$, $\\partial f/\\partial z_j = s_j(\\gamma_j - f)$",
                   derivative - target)

    z = sympy.Matrix(sympy.symbols("z_1:5", real=True))
    s = softmax(z)
    doc.prove_zero("the softmax weights sum to one ($T = 4$)", sum(s) - 1)
    shift = sympy.Symbol("a", real=True)
    doc.prove_matrix_zero("softmax is invariant under a common shift of the logits ($T = 4$)",
                          softmax(z + shift * sympy.ones(4, 1)) - s, method="simplify")

    margin_symbol = sym.margin
    doc.text("Logistic loss and its sample weight $g(m) = -\\ell'(m)$:")
    doc.equation(r"\ell(z)", logistic_loss(margin_symbol))
    doc.prove_zero("$-\\ell'(m) = 1/(1 + e^{m})$",
                   -sympy.diff(logistic_loss(margin_symbol), margin_symbol) - logistic_weight(margin_symbol))
    y, out = sympy.symbols("y f", real=True)
    doc.prove_zero("for any label $y$: $\\partial \\ell(y f)/\\partial f = -y\\, g(y f)$",
                   sympy.diff(logistic_loss(y * out), out) + y * logistic_weight(y * out))

    doc.text("Fixed head: $\\mu_1 = \\lVert\\mu\\rVert e_1$, $\\mu_2 = \\lVert\\mu\\rVert e_2$ (checked in $d = 3$), "
             "$\\nu = (\\mu_1 - \\mu_2)/(\\sqrt2 \\lVert\\mu\\rVert^2)$.")
    m = sym.signal_norm
    mu1, mu2 = sympy.Matrix([m, 0, 0]), sympy.Matrix([0, m, 0])
    nu = (mu1 - mu2) / (sympy.sqrt(2) * m**2)
    doc.equation(r"\nu", nu.T)
    doc.prove_zero("$\\nu^\\top\\mu_1 = 1/\\sqrt2$", (nu.T * mu1)[0, 0] - 1 / sympy.sqrt(2))
    doc.prove_zero("$\\nu^\\top\\mu_2 = -1/\\sqrt2$", (nu.T * mu2)[0, 0] + 1 / sympy.sqrt(2))
    doc.prove_zero("$\\lVert\\nu\\rVert = 1/\\lVert\\mu\\rVert$", sympy.sqrt((nu.T * nu)[0, 0]) - 1 / m)
    rho = sym.rho
    doc.prove_zero("a weakly relevant token of the true class scores $\\nu^\\top(\\rho\\mu_1) = \\rho/\\sqrt2$",
                   (nu.T * (rho * mu1))[0, 0] - rho / sympy.sqrt(2))
    return doc


if __name__ == "__main__":
    from derivations import main

    raise SystemExit(main(NAME))
