"""Derivation 4: joint (W, p) training is closed in (z, P, M); its exact GD recursion, test logits,
and the conservation law W^T W - p p^T.

Paper: v3 training (W and p from Kaiming-uniform W); SPEC section 4, joint flow and joint GD.
"""

from __future__ import annotations

import sympy

from derivations._doc import Document
from theory import gradients as gr

NAME = "joint_flow"


def _matrix(prefix: str, rows: int, cols: int) -> sympy.Matrix:
    return sympy.Matrix(rows, cols, lambda a, b: sympy.Symbol(f"{prefix}_{a}_{b}", real=True))


def derive() -> Document:
    """Build and prove the joint flow and exact GD recursion.

    Paper: SPEC section 4, joint flow and joint GD.
    """
    doc = Document(name=NAME, title="Joint (W, p) dynamics: closed flow and exact GD recursion")
    m, m_test, d = 3, 2, 2
    X, X_test = _matrix("x", m, d), _matrix("u", m_test, d)
    W, p, c = _matrix("W", d, d), _matrix("p", d, 1), _matrix("c", m, 1)
    h = sympy.Symbol("h", positive=True)
    state = gr.joint_state(X, W, p)
    doc.text("State: $z = X_f W p$, $P = \\lVert p\\rVert^2$, $M = X_f W W^\\top X_f^\\top$, "
             "$G = X_f X_f^\\top$. GD moves $W$ by $h\\,v p^\\top$ and $p$ by $h\\,W^\\top v$, $v = X_f^\\top c$.")

    tau = sympy.Symbol("tau", nonnegative=True)
    W_t = sympy.Matrix(d, d, lambda a, b: sympy.Function(f"W_{a}_{b}")(tau))
    p_t = sympy.Matrix(d, 1, lambda a, _: sympy.Function(f"p_{a}")(tau))
    v_t = X.T * c
    rates = {W_t[a, b].diff(tau): (v_t * p_t.T)[a, b] for a in range(d) for b in range(d)}
    rates.update({p_t[a].diff(tau): (W_t.T * v_t)[a] for a in range(d)})
    moving = gr.joint_state(X, W_t, p_t)
    dz, dP, dM = (moving.z.diff(tau).subs(rates), sympy.diff(moving.P, tau).subs(rates),
                  moving.M.diff(tau).subs(rates))
    flow_z, flow_P, flow_M = gr.joint_flow(moving, c)
    doc.equation(r"\dot z", r"(P G + M)\,c")
    doc.equation(r"\dot P", r"2\,c^\top z")
    doc.equation(r"\dot M", r"(G c) z^\top + z (G c)^\top")
    doc.prove_matrix_zero(f"$\\dot z = (PG + M)c$ (m = {m}, d = {d}, symbolic)", dz - flow_z)
    doc.prove_zero("$\\dot P = 2 c^\\top z$", dP - flow_P, method="expand")
    doc.prove_matrix_zero("$\\dot M = (Gc)z^\\top + z(Gc)^\\top$", dM - flow_M)
    conserved = gr.conserved_quantity(W_t, p_t)
    doc.equation(r"\frac{d}{d\tau}\left(W^\top W - p p^\top\right)", "0")
    doc.prove_matrix_zero("$W^\\top W - p p^\\top$ is conserved along the flow", conserved.diff(tau).subs(rates))

    doc.text("One GD step of size $h$, all right sides at pre-update values:")
    doc.equation("z^{+}", r"z + h (P G + M) c + h^2 (G c)(c^\top z)")
    doc.equation("P^{+}", r"P + 2h\, c^\top z + h^2 c^\top M c")
    doc.equation("M^{+}", r"M + h\left[(G c) z^\top + z (G c)^\top\right] + h^2 P (G c)(G c)^\top")
    new_W, new_p = gr.direct_gd_step(W, p, X, c, h)
    direct = gr.joint_state(X, new_W, new_p)
    recursion = gr.joint_gd_step(state, c, h)
    doc.prove_matrix_zero("$z^{+}$ from the recursion equals $X_f W^{+} p^{+}$", direct.z - recursion.z)
    doc.prove_zero("$P^{+}$ from the recursion equals $\\lVert p^{+}\\rVert^2$", direct.P - recursion.P, method="expand")
    doc.prove_matrix_zero("$M^{+}$ from the recursion equals $X_f W^{+} W^{+\\top} X_f^\\top$", direct.M - recursion.M)

    doc.text("Test logits: with $H = X_{te} X_f^\\top$ and $M_{te} = X_{te} W W^\\top X_f^\\top$,")
    doc.equation("z_{te}^{+}", r"z_{te} + h (P H + M_{te}) c + h^2 (H c)(c^\top z)")
    doc.equation("M_{te}^{+}", r"M_{te} + h\left[(H c) z^\top + z_{te} (G c)^\top\right] + h^2 P (H c)(G c)^\top")
    test_logits, test_kernel = X_test * W * p, X_test * W * W.T * X.T
    new_test_logits, new_test_kernel = gr.test_gd_step(state, c, h, test_logits=test_logits,
                                                       test_kernel=test_kernel, cross_gram=X_test * X.T)
    doc.prove_matrix_zero(f"$z_{{te}}^{{+}}$ equals $X_{{te}} W^{{+}} p^{{+}}$ ({m_test} test tokens)",
                          X_test * new_W * new_p - new_test_logits)
    doc.prove_matrix_zero("$M_{te}^{+}$ equals $X_{te} W^{+} W^{+\\top} X_f^\\top$",
                          X_test * new_W * new_W.T * X.T - new_test_kernel)
    doc.text("No $d$-dimensional object appears: after building $G$, $M_0$ (and $H$, $M_{te,0}$) a step costs "
             "$O(m^2)$ whatever $d$ is.")
    return doc


if __name__ == "__main__":
    from derivations import main

    raise SystemExit(main(NAME))
