"""Derivation 4: joint (W, p) training is closed in (z, P, M); its exact GD recursion, test logits,
and the conservation law W^T W - p p^T.

Paper: v3 training (W and p from Kaiming-uniform W, as in the authors' public code); the closed
dynamics are ours.
"""

from __future__ import annotations

import sympy

from derivations._doc import Document, ProofError
from theory import gradients as gr

NAME = "joint_flow"


def _matrix(prefix: str, rows: int, cols: int) -> sympy.Matrix:
    return sympy.Matrix(rows, cols, lambda a, b: sympy.Symbol(f"{prefix}_{a}_{b}", real=True))


def _check_code(doc: Document, what: str, code: sympy.Basic, shown: sympy.Basic, at: dict) -> None:
    # The engines use theory.gradients; it must compute exactly the displayed right-hand side.
    value = shown.xreplace(at).doit()
    value = value.as_explicit() if isinstance(value, sympy.MatrixExpr) else value
    difference = (
        sympy.Matrix(code) - sympy.Matrix(value) if isinstance(code, sympy.MatrixBase) else sympy.Matrix([code - value])
    )
    if any(sympy.expand(entry) != 0 for entry in difference):
        raise ProofError(f"{doc.name}: theory.gradients {what} differs from the displayed formula")


def derive() -> Document:
    """Build and prove the joint flow and exact GD recursion.

    Paper: v3 trains W and p from Kaiming-uniform W (the authors' public code); the rest is ours.
    """
    doc = Document(name=NAME, title="Joint (W, p) dynamics: closed flow and exact GD recursion")
    m, m_test, d = 3, 2, 2
    sizes = f"m = {m} stacked tokens, d = {d}"
    X, X_test = _matrix("x", m, d), _matrix("u", m_test, d)
    W, p, c = _matrix("W", d, d), _matrix("p", d, 1), _matrix("c", m, 1)
    h = sympy.Symbol("h", positive=True)
    state = gr.joint_state(X, W, p)
    doc.text(
        "State: $z = X_f W p$, $P = \\lVert p\\rVert^2$, $M = X_f W W^\\top X_f^\\top$, "
        "$G = X_f X_f^\\top$. GD moves $W$ by $h\\,v p^\\top$ and $p$ by $h\\,W^\\top v$, $v = X_f^\\top c$. "
        "Every identity below is checked with all entries of $X_f$, $W$, $p$, $c$ free symbols."
    )
    z_s, M_s, G_s, c_s = (
        sympy.MatrixSymbol("z", m, 1),
        sympy.MatrixSymbol("M", m, m),
        sympy.MatrixSymbol("G", m, m),
        sympy.MatrixSymbol("c", m, 1),
    )
    P_s = sympy.Symbol("P")
    P_1 = sympy.MatrixSymbol("P", 1, 1)  # P as a 1 x 1 matrix, where it is added to c^T z

    tau = sympy.Symbol("tau", nonnegative=True)
    W_t = sympy.Matrix(d, d, lambda a, b: sympy.Function(f"W_{a}_{b}")(tau))
    p_t = sympy.Matrix(d, 1, lambda a, _: sympy.Function(f"p_{a}")(tau))
    v_t = X.T * c
    rates = {W_t[a, b].diff(tau): (v_t * p_t.T)[a, b] for a in range(d) for b in range(d)}
    rates.update({p_t[a].diff(tau): (W_t.T * v_t)[a] for a in range(d)})
    moving = gr.joint_state(X, W_t, p_t)
    flowing = {z_s: moving.z, P_s: moving.P, P_1: sympy.Matrix([[moving.P]]), M_s: moving.M, G_s: moving.G, c_s: c}
    dz, dP, dM = (
        sympy.MatrixSymbol(r"\dot z", m, 1),
        sympy.MatrixSymbol(r"\dot P", 1, 1),
        sympy.MatrixSymbol(r"\dot M", m, m),
    )
    flow_z, flow_P, flow_M = (P_s * G_s + M_s) * c_s, 2 * c_s.T * z_s, (G_s * c_s) * z_s.T + z_s * (G_s * c_s).T
    doc.prove_equal(
        "flow of the logits",
        dz,
        flow_z,
        at={**flowing, dz: moving.z.diff(tau).subs(rates)},
        sizes=sizes,
        method="expand",
    )
    doc.prove_equal(
        "flow of $P$",
        dP,
        flow_P,
        at={**flowing, dP: sympy.Matrix([[sympy.diff(moving.P, tau).subs(rates)]])},
        sizes=sizes,
        method="expand",
    )
    doc.prove_equal(
        "flow of $M$", dM, flow_M, at={**flowing, dM: moving.M.diff(tau).subs(rates)}, sizes=sizes, method="expand"
    )
    for what, code, shown in zip(
        ("joint_flow z", "joint_flow P", "joint_flow M"), gr.joint_flow(moving, c), (flow_z, flow_P, flow_M)
    ):
        _check_code(doc, what, code if not isinstance(code, sympy.Expr) else sympy.Matrix([[code]]), shown, flowing)
    conserved = sympy.MatrixSymbol("C", d, d)
    doc.definition(
        "the candidate conserved quantity",
        conserved,
        sympy.MatrixSymbol("W", d, d).T * sympy.MatrixSymbol("W", d, d)
        - sympy.MatrixSymbol("p", d, 1) * sympy.MatrixSymbol("p", d, 1).T,
    )
    rate_C = sympy.MatrixSymbol(r"\dot C", d, d)
    doc.prove_equal(
        "it is conserved along the flow",
        rate_C,
        sympy.ZeroMatrix(d, d),
        at={rate_C: gr.conserved_quantity(W_t, p_t).diff(tau).subs(rates)},
        sizes=sizes,
        method="expand",
    )

    doc.text(
        "One GD step of size $h$, all right sides at pre-update values, against the $d$-dimensional step "
        "$W^{+} = W + h v p^\\top$, $p^{+} = p + h W^\\top v$:"
    )
    new_W, new_p = gr.direct_gd_step(W, p, X, c, h)
    direct = gr.joint_state(X, new_W, new_p)
    now = {z_s: state.z, P_s: state.P, P_1: sympy.Matrix([[state.P]]), M_s: state.M, G_s: state.G, c_s: c}
    z_plus, P_plus, M_plus = (
        sympy.MatrixSymbol("z^{+}", m, 1),
        sympy.MatrixSymbol("P^{+}", 1, 1),
        sympy.MatrixSymbol("M^{+}", m, m),
    )
    step_z = z_s + h * (P_s * G_s + M_s) * c_s + h**2 * (G_s * c_s) * (c_s.T * z_s)
    step_P = P_1 + 2 * h * c_s.T * z_s + h**2 * c_s.T * M_s * c_s
    step_M = M_s + h * ((G_s * c_s) * z_s.T + z_s * (G_s * c_s).T) + h**2 * P_s * (G_s * c_s) * (G_s * c_s).T
    doc.prove_equal(
        "logits after one step, $z^{+} = X_f W^{+} p^{+}$",
        z_plus,
        step_z,
        at={**now, z_plus: direct.z},
        sizes=sizes,
        method="expand",
    )
    doc.prove_equal(
        "$P^{+} = \\lVert p^{+}\\rVert^2$",
        P_plus,
        step_P,
        at={**now, P_plus: sympy.Matrix([[direct.P]])},
        sizes=sizes,
        method="expand",
    )
    doc.prove_equal(
        "$M^{+} = X_f W^{+} W^{+\\top} X_f^\\top$",
        M_plus,
        step_M,
        at={**now, M_plus: direct.M},
        sizes=sizes,
        method="expand",
    )
    recursion = gr.joint_gd_step(state, c, h)
    for what, code, shown in (
        ("joint_gd_step z", recursion.z, step_z),
        ("joint_gd_step P", sympy.Matrix([[recursion.P]]), step_P),
        ("joint_gd_step M", recursion.M, step_M),
    ):
        _check_code(doc, what, code, shown, now)

    doc.text("Test logits: with $H = X_{te} X_f^\\top$ and $M_{te} = X_{te} W W^\\top X_f^\\top$:")
    H_s, zte_s, Mte_s = (
        sympy.MatrixSymbol("H", m_test, m),
        sympy.MatrixSymbol("z_{te}", m_test, 1),
        sympy.MatrixSymbol("M_{te}", m_test, m),
    )
    test_logits, test_kernel, cross = X_test * W * p, X_test * W * W.T * X.T, X_test * X.T
    test_now = {**now, H_s: cross, zte_s: test_logits, Mte_s: test_kernel}
    zte_plus, Mte_plus = sympy.MatrixSymbol("z_{te}^{+}", m_test, 1), sympy.MatrixSymbol("M_{te}^{+}", m_test, m)
    step_zte = zte_s + h * (P_s * H_s + Mte_s) * c_s + h**2 * (H_s * c_s) * (c_s.T * z_s)
    step_Mte = Mte_s + h * ((H_s * c_s) * z_s.T + zte_s * (G_s * c_s).T) + h**2 * P_s * (H_s * c_s) * (G_s * c_s).T
    test_sizes = f"{sizes}, {m_test} test tokens"
    doc.prove_equal(
        "test logits after one step, $z_{te}^{+} = X_{te} W^{+} p^{+}$",
        zte_plus,
        step_zte,
        at={**test_now, zte_plus: X_test * new_W * new_p},
        sizes=test_sizes,
        method="expand",
    )
    doc.prove_equal(
        "$M_{te}^{+} = X_{te} W^{+} W^{+\\top} X_f^\\top$",
        Mte_plus,
        step_Mte,
        at={**test_now, Mte_plus: X_test * new_W * new_W.T * X.T},
        sizes=test_sizes,
        method="expand",
    )
    code_logits, code_kernel = gr.test_gd_step(
        state, c, h, test_logits=test_logits, test_kernel=test_kernel, cross_gram=cross
    )
    _check_code(doc, "test_gd_step logits", code_logits, step_zte, test_now)
    _check_code(doc, "test_gd_step kernel", code_kernel, step_Mte, test_now)
    doc.text(
        "The code the engines use (`theory.gradients`: `joint_flow`, `joint_gd_step`, `test_gd_step`) is "
        "checked to compute exactly these right-hand sides. No $d$-dimensional object appears: after building "
        "$G$, $M_0$ (and $H$, $M_{te,0}$) a step costs $O(m^2)$ whatever $d$ is."
    )
    return doc


if __name__ == "__main__":
    from derivations import main

    raise SystemExit(main(NAME))
