"""Derivation 2: the drive c = -dL/dz and the gradients grad_p L = -W^T v, grad_W L = -v p^T.

Paper: the paper's training loss (mean logistic loss over n samples); the closed forms are ours.
"""

from __future__ import annotations

import sympy

from derivations._doc import Document
from theory import gradients as gr
from theory.model import explicit_instance, logistic_loss, logistic_weight, softmax

NAME = "gradients"


def derive() -> Document:
    """Build and prove the gradient derivation.

    Paper: the paper's training loss; the closed forms are ours.
    """
    doc = Document(name=NAME, title="Drive and gradients of the training loss")
    doc.text(
        "Stack the training tokens as $X_f \\in \\mathbb{R}^{m\\times d}$, $m = nT$, with logits "
        "$z = X_f W p$. The drive $c = -\\partial L/\\partial z$ has the closed form below."
    )

    n, T = 2, 3
    z = [sympy.Matrix(sympy.symbols(f"z_{i + 1}_1:{T + 1}", real=True)) for i in range(n)]
    gamma = [sympy.Matrix(sympy.symbols(f"gamma_{i + 1}_1:{T + 1}", real=True)) for i in range(n)]
    y = sympy.symbols(f"y_1:{n + 1}", real=True)
    outputs = [(softmax(z[i]).T * gamma[i])[0, 0] for i in range(n)]
    loss = sum(logistic_loss(y[i] * outputs[i]) for i in range(n)) / n
    L = sympy.Symbol("L")
    for i in range(n):
        s = softmax(z[i])
        f_i = sympy.Symbol(f"f_{i + 1}")
        for t in range(T):
            s_it = sympy.Symbol(f"s_{i + 1}_{t + 1}")
            closed = logistic_weight(y[i] * f_i) * y[i] * s_it * (gamma[i][t] - f_i) / n
            doc.prove_equal(
                f"drive on token {t + 1} of sample {i + 1} (logits and scores free symbols; derivative evaluated)",
                -sympy.Derivative(L, z[i][t]),
                closed,
                at={L: loss, f_i: outputs[i], s_it: s[t]},
                sizes=f"n = {n}, T = {T}",
            )

    doc.text(
        "With $v = X_f^\\top c$, the chain rule through $z = X_f W p$ gives the gradients, checked against "
        "direct differentiation of $L$ with every entry of $X_f$, $W$, $p$, $\\nu$ and $y$ a free symbol:"
    )
    instance = explicit_instance(2, 2, 2)
    m, d = instance.stacked.shape
    X, W, p, c = (
        sympy.MatrixSymbol("X_f", m, d),
        sympy.MatrixSymbol("W", d, d),
        sympy.MatrixSymbol("p", d, 1),
        sympy.MatrixSymbol("c", m, 1),
    )
    grad_p = sympy.MatrixSymbol(r"\nabla_{p} L", d, 1)
    doc.prove_equal(
        "gradient in $p$",
        grad_p,
        -W.T * X.T * c,
        method="simplify",
        at={grad_p: gr.autodiff_grad_p(instance), X: instance.stacked, W: instance.W, c: gr.drive(instance)},
        sizes="n = 2, T = 2, d = 2",
    )
    small = explicit_instance(1, 2, 2)
    m, d = small.stacked.shape
    X, W, p, c = (
        sympy.MatrixSymbol("X_f", m, d),
        sympy.MatrixSymbol("W", d, d),
        sympy.MatrixSymbol("p", d, 1),
        sympy.MatrixSymbol("c", m, 1),
    )
    grad_W = sympy.MatrixSymbol(r"\nabla_{W} L", d, d)
    values = {grad_W: gr.autodiff_grad_W(small), X: small.stacked, p: small.p, c: gr.drive(small)}
    doc.prove_equal("gradient in $W$ (rank one)", grad_W, -X.T * c * p.T, at=values, sizes="n = 1, T = 2, d = 2")
    at_zero = {entry: 0 for entry in small.p}
    doc.prove_equal(
        "at $p = 0$ the gradient in $W$ vanishes, so $W$ does not move at step 0",
        grad_W,
        sympy.ZeroMatrix(d, d),
        at={grad_W: gr.autodiff_grad_W(small).subs(at_zero)},
        sizes="n = 1, T = 2, d = 2",
    )
    return doc


if __name__ == "__main__":
    from derivations import main

    raise SystemExit(main(NAME))
