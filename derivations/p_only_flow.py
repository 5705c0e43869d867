"""Derivation 3: p-only training (W fixed) is a closed flow of the logits, dz/dtau = K c.

Paper: v1 training (p only, W = I); SPEC section 4, p-only flow.
"""

from __future__ import annotations

import sympy

from derivations._doc import Document
from theory import gradients as gr

NAME = "p_only_flow"


def _instance(m: int, d: int) -> tuple[sympy.Matrix, sympy.Matrix, sympy.Matrix, sympy.Matrix]:
    X = sympy.Matrix(m, d, lambda a, b: sympy.Symbol(f"x_{a}_{b}", real=True))
    W = sympy.Matrix(d, d, lambda a, b: sympy.Symbol(f"W_{a}_{b}", real=True))
    p = sympy.Matrix(d, 1, lambda a, _: sympy.Symbol(f"p_{a}", real=True))
    c = sympy.Matrix(m, 1, lambda a, _: sympy.Symbol(f"c_{a}", real=True))
    return X, W, p, c


def derive() -> Document:
    """Build and prove the p-only flow derivation.

    Paper: SPEC section 4, p-only flow.
    """
    doc = Document(name=NAME, title="p-only flow: a closed kernel flow of the logits")
    doc.text("With $W$ fixed, GD on $p$ moves $p$ by $h\\,W^\\top v$, $v = X_f^\\top c$, for the drive $c$. "
             "The logits $z = X_f W p$ then move by the kernel")
    doc.equation("K", r"X_f W W^\top X_f^\top")
    doc.equation(r"\dot z", r"K\,c, \qquad z^{+} = z + h\,K c \;\text{(exactly the Euler map)}")
    m, d = 3, 2
    X, W, p, c = _instance(m, d)
    h = sympy.Symbol("h", positive=True)
    _, new_p = gr.direct_gd_step(W, p, X, c, h, train="p_only")
    kernel = gr.p_only_kernel(X, W)
    doc.prove_matrix_zero(f"one GD step on $p$ maps $z$ to $z + h K c$ (m = {m} stacked tokens, d = {d}, "
                          "$X_f, W, p, c$ all symbolic)",
                          X * W * new_p - (X * W * p + h * gr.p_only_flow(kernel, c)))
    tau = sympy.Symbol("tau", nonnegative=True)
    path = sympy.Matrix(d, 1, lambda a, _: sympy.Function(f"p_{a}")(tau))
    velocity = W.T * X.T * c
    dz = (X * W * path).diff(tau).subs({path[a].diff(tau): velocity[a] for a in range(d)})
    doc.prove_matrix_zero("along the flow $\\dot p = W^\\top X_f^\\top c$: $\\dot z = K c$",
                          dz - gr.p_only_flow(kernel, c))
    doc.text("The kernel never changes under p-only training, and $d$ enters only through $K$ ($m\\times m$).")
    return doc


if __name__ == "__main__":
    from derivations import main

    raise SystemExit(main(NAME))
