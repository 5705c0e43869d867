"""Derivation 7: SNR, the v1 assumptions, the v3 regime boundaries and the paper's three settings.

Paper: v1 Assumptions A1-A2 (delta = 0.01 in the authors' checks); v3 Figure 1 (SNR, regime
map); SPEC section 5.
"""

from __future__ import annotations

import sympy

from derivations._doc import Document
from theory import conditions as cond
from theory import symbols as sym

NAME = "conditions"

#: The paper's three settings at n = 20, T = 8: (d, |mu|, n SNR^2 as stated by the paper/SPEC).
SETTINGS = ((2000, 20, sympy.Integer(4)), (4500, 5, sympy.Rational(1, 9)), (1000, 80, sympy.Integer(128)))


def derive() -> Document:
    """Build and prove the conditions derivation.

    Paper: v1 Assumptions A1-A2; v3 Figure 1; SPEC section 5.
    """
    doc = Document(name=NAME, title="SNR, assumptions and regime conditions")
    n, d, m = sym.n_train, sym.dim, sym.signal_norm
    doc.equation(r"\mathrm{SNR}", cond.snr_expr)
    doc.equation(r"n\,\mathrm{SNR}^2", cond.n_snr_squared_expr)
    for condition in cond.CONDITIONS:
        extra = f" (constants: {', '.join(condition.constants)})" if condition.constants else ""
        defaults = "".join(f"; input `{k}` = {v}" for k, v in condition.inputs.items())
        doc.text(f"`{condition.name}` [{condition.tag.value}]: {condition.description}{extra}{defaults}.")
        doc.equation("", condition.inequality)
    a1 = cond.V1_A1_SIGNAL
    doc.prove_zero("A1 (first part) is $n\\,\\mathrm{SNR}^2 \\le 1$: $(d - n\\lVert\\mu\\rVert^2)/d = 1 - n\\,\\mathrm{SNR}^2$",
                   (a1.lhs - a1.rhs) / d - (1 - cond.n_snr_squared_expr))
    doc.text("Boundaries in the signal norm (the phase-diagram curves):")
    for condition in (cond.V1_A1_SIGNAL, cond.V1_A2, cond.BENIGN_UPPER, cond.CLEAN_LOWER, cond.HARM_LOWER):
        root = cond.boundary(condition)
        doc.equation(f"\\lVert\\mu\\rVert_{{\\text{{{condition.name.replace('_', ' ')}}}}}", root)
        doc.prove_zero(f"`{condition.name}` is an equality on its boundary",
                       (condition.lhs - condition.rhs).subs(m, root))
    doc.prove_zero("harmful boundary: $\\mathrm{SNR} = C_{harm} d^{-1/4}$ is $\\lVert\\mu\\rVert = C_{harm} d^{1/4}$",
                   cond.boundary(cond.HARM_LOWER) - sym.C_harm * d ** sympy.Rational(1, 4))
    rows = []
    for dim_value, norm_value, stated in SETTINGS:
        exact_value = cond.n_snr_squared_expr.subs({n: 20, d: dim_value, m: norm_value})
        doc.prove_true(f"$n\\,\\mathrm{{SNR}}^2 = {sympy.latex(stated)}$ at $d = {dim_value}$, "
                       f"$\\lVert\\mu\\rVert = {norm_value}$, $n = 20$", exact_value == stated)
        margins = []
        for condition in (cond.V1_A1_SIGNAL, cond.V1_A1_DIMENSION, cond.V1_A2):
            values = {n: 20, d: dim_value, m: norm_value, sym.seq_len: 8,
                      sym.failure_prob: cond.DEFAULT_FAILURE_PROB}
            lhs, rhs = condition.lhs.subs(values), condition.rhs.subs(values)
            margins.append(f"{float(sympy.N(lhs / rhs, 30)):.4f}")
        rows.append([str(dim_value), str(norm_value), f"{float(exact_value):.4g}", *margins])
    doc.text("The paper's settings ($n = 20$, $T = 8$, $\\delta = 0.01$); columns A1/A2 show lhs/rhs "
             "(the condition holds when the ratio is $\\ge 1$):")
    doc.table(["d", "‖μ‖", "n SNR^2", "A1 signal", "A1 dimension", "A2"], rows)
    return doc


if __name__ == "__main__":
    from derivations import main

    raise SystemExit(main(NAME))
