"""Derivation 3: p-only training (W fixed) is a closed flow of the logits, dz/dtau = K c.

Paper: v1 training (p only, W = I, as in the authors' public v1 code); the closed flow is ours.
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

    Paper: v1 trains p with W fixed; the closed flow is ours.
    """
    doc = Document(name=NAME, title="p-only flow: a closed kernel flow of the logits")
    doc.text(
        "With $W$ fixed, GD on $p$ moves $p$ by $h\\,W^\\top v$, $v = X_f^\\top c$, for the drive $c$. "
        "The logits $z = X_f W p$ then move by the kernel $K$:"
    )
    m, d = 3, 2
    X, W, p, c = _instance(m, d)
    Xs, Ws, ps, cs = (
        sympy.MatrixSymbol("X_f", m, d),
        sympy.MatrixSymbol("W", d, d),
        sympy.MatrixSymbol("p", d, 1),
        sympy.MatrixSymbol("c", m, 1),
    )
    K = sympy.MatrixSymbol("K", m, m)
    doc.definition("kernel of the p-only flow", K, Xs * Ws * Ws.T * Xs.T)
    h = sympy.Symbol("h", positive=True)
    _, new_p = gr.direct_gd_step(W, p, X, c, h, train="p_only")
    new_z = sympy.MatrixSymbol("z^{+}", m, 1)
    values = {Xs: X, Ws: W, ps: p, cs: c, K: gr.p_only_kernel(X, W)}
    sizes = f"m = {m} stacked tokens, d = {d}"
    doc.prove_equal(
        "one GD step on $p$ is exactly the Euler step of the logits, with $z^{+} = X_f W p^{+}$",
        new_z,
        Xs * Ws * ps + h * K * cs,
        at={**values, new_z: X * W * new_p},
        sizes=sizes,
        method="expand",
    )
    tau = sympy.Symbol("tau", nonnegative=True)
    path = sympy.Matrix(d, 1, lambda a, _: sympy.Function(f"p_{a}")(tau))
    velocity = W.T * X.T * c
    dz = (X * W * path).diff(tau).subs({path[a].diff(tau): velocity[a] for a in range(d)})
    rate = sympy.MatrixSymbol(r"\dot z", m, 1)
    doc.prove_equal(
        "along the flow $\\dot p = W^\\top X_f^\\top c$ the logits obey",
        rate,
        K * cs,
        at={**values, rate: dz},
        sizes=sizes,
        method="expand",
    )
    doc.text("The kernel never changes under p-only training, and $d$ enters only through $K$ ($m\\times m$).")
    return doc


if __name__ == "__main__":
    from derivations import main

    raise SystemExit(main(NAME))
