"""Derivation 2: the drive c = -dL/dz and the gradients grad_p L = -W^T v, grad_W L = -v p^T.

Paper: Section 3 (mean logistic loss over n samples); SPEC section 4, Gradients.
"""

from __future__ import annotations

import sympy

from derivations._doc import Document
from theory import gradients as gr
from theory.model import explicit_instance, logistic_loss, logistic_weight, softmax

NAME = "gradients"


def derive() -> Document:
    """Build and prove the gradient derivation.

    Paper: SPEC section 4, Gradients.
    """
    doc = Document(name=NAME, title="Drive and gradients of the training loss")
    doc.text("Stack the training tokens as $X_f \\in \\mathbb{R}^{m\\times d}$, $m = nT$, with logits "
             "$z = X_f W p$. Define the drive")
    doc.equation("c_{i,t}", r"\frac{1}{n}\, g_i\, y_i\, s_{i,t}(\gamma_{i,t} - f_i),\quad g_i = \frac{1}{1 + e^{y_i f_i}}")

    n, T = 2, 3
    z = [sympy.Matrix(sympy.symbols(f"z_{i}_1:{T + 1}", real=True)) for i in range(n)]
    gamma = [sympy.Matrix(sympy.symbols(f"gamma_{i}_1:{T + 1}", real=True)) for i in range(n)]
    y = sympy.symbols(f"y_0:{n}", real=True)
    outputs = [(softmax(z[i]).T * gamma[i])[0, 0] for i in range(n)]
    loss = sum(logistic_loss(y[i] * outputs[i]) for i in range(n)) / n
    for i in range(n):
        s = softmax(z[i])
        for t in range(T):
            c = logistic_weight(y[i] * outputs[i]) * y[i] * s[t] * (gamma[i][t] - outputs[i]) / n
            doc.prove_zero(f"$c_{{{i + 1},{t + 1}}} = -\\partial L/\\partial z_{{{i + 1},{t + 1}}}$ "
                           f"(n = {n}, T = {T}, logits and scores free symbols)",
                           sympy.diff(loss, z[i][t]) + c)

    doc.text("With $v = X_f^\\top c$, the chain rule through $z = X_f W p$ gives")
    doc.equation(r"\nabla_p L", r"-W^\top v")
    doc.equation(r"\nabla_W L", r"-v\,p^\top \quad\text{(rank one; zero at } p = 0\text{)}")
    instance = explicit_instance(2, 2, 2)
    doc.prove_matrix_zero("$\\nabla_p L = -W^\\top X_f^\\top c$ against direct differentiation of $L$ "
                          "(n = 2, T = 2, d = 2, every entry symbolic)",
                          gr.grad_p(instance) - gr.autodiff_grad_p(instance), method="simplify")
    small = explicit_instance(1, 2, 2)
    doc.prove_matrix_zero("$\\nabla_W L = -X_f^\\top c\\, p^\\top$ against direct differentiation of $L$ "
                          "(n = 1, T = 2, d = 2, every entry symbolic)",
                          gr.grad_W(small) - gr.autodiff_grad_W(small), method="simplify")
    at_zero = {entry: 0 for entry in small.p}
    doc.prove_matrix_zero("at $p = 0$ the gradient in $W$ vanishes, so $W$ does not move at step 0",
                          gr.autodiff_grad_W(small).subs(at_zero), method="simplify")
    return doc


if __name__ == "__main__":
    from derivations import main

    raise SystemExit(main(NAME))
