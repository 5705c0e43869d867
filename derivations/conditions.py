"""Derivation 8: SNR, the v1 order conditions A1/A2, the v3 regime boundaries and the paper's
three settings.

Paper: the v1 A1/A2 order conditions as the authors' public notebook checks them (constant 1 and
delta = 0.01 are theirs); arXiv 2409.17625 v3 Figure 1 (SNR, regime map).
"""

from __future__ import annotations

import sympy

from derivations._doc import Document
from theory import conditions as cond
from theory import symbols as sym

NAME = "conditions"

#: The paper's three settings at n = 20, T = 8 (balanced, large noise, large signal): (d, |mu|, n SNR^2).
SETTINGS = ((2000, 20, sympy.Integer(4)), (4500, 5, sympy.Rational(1, 9)), (1000, 80, sympy.Integer(128)))


def derive() -> Document:
    """Build and prove the conditions derivation.

    Paper: the v1 A1/A2 order conditions as the authors' notebook checks them; v3 Figure 1.
    """
    doc = Document(name=NAME, title="SNR, the v1 order conditions and the regime conditions")
    n, d, m = sym.n_train, sym.dim, sym.signal_norm
    doc.definition(
        "signal-to-noise ratio (v3 Figure 1, unit noise scale)", sympy.Symbol(r"\mathrm{SNR}"), cond.snr_expr
    )
    doc.equation(sympy.Symbol(r"n\,\mathrm{SNR}^2"), cond.n_snr_squared_expr)
    doc.text(
        "The v1 conditions A1 and A2 are order conditions; the constant 1 below is the one the authors' own "
        "notebook check uses, not a constant stated by the paper. The v3 boundaries carry named unknown "
        "constants the user must supply."
    )
    for condition in cond.CONDITIONS:
        extra = f" (constants: {', '.join(condition.constants)})" if condition.constants else ""
        defaults = "".join(f"; input `{k}` = {v}" for k, v in condition.inputs.items())
        doc.text(f"`{condition.name}` [{condition.tag.value}]: {condition.description}{extra}{defaults}.")
        doc.equation(None, condition.inequality)
    a1 = cond.V1_A1_SIGNAL
    doc.prove_equal(
        "A1 (first part), divided by $d$, is $n\\,\\mathrm{SNR}^2 \\le 1$",
        (a1.lhs - a1.rhs) / d,
        1 - cond.n_snr_squared_expr,
    )
    doc.text(
        "Boundaries in the signal norm (the phase-diagram curves), each checked to make its condition an equality:"
    )
    for condition in (cond.V1_A1_SIGNAL, cond.V1_A2, cond.BENIGN_UPPER, cond.CLEAN_LOWER, cond.HARM_LOWER):
        root = cond.boundary(condition)
        name = sympy.Symbol(r"\lVert\mu\rVert_{\mathrm{" + condition.name.replace("_", r"\ ") + "}}")
        doc.equation(name, root)
        doc.prove_equal(
            f"`{condition.name}` is an equality on its boundary",
            condition.lhs.subs(m, root),
            condition.rhs.subs(m, root),
        )
    rows = []
    for dim_value, norm_value, stated in SETTINGS:
        exact_value = cond.n_snr_squared_expr.subs({n: 20, d: dim_value, m: norm_value})
        doc.prove_true(
            f"$n\\,\\mathrm{{SNR}}^2$ at $d = {dim_value}$, $\\lVert\\mu\\rVert = {norm_value}$, $n = 20$",
            exact_value == stated,
            shown=(exact_value, "=", stated),
        )
        margins = []
        for condition in (cond.V1_A1_SIGNAL, cond.V1_A1_DIMENSION, cond.V1_A2):
            values = {n: 20, d: dim_value, m: norm_value, sym.seq_len: 8, sym.failure_prob: cond.DEFAULT_FAILURE_PROB}
            lhs, rhs = condition.lhs.subs(values), condition.rhs.subs(values)
            margins.append(f"{float(sympy.N(lhs / rhs, 30)):.4f}")
        rows.append([str(dim_value), str(norm_value), f"{float(exact_value):.4g}", *margins])
    doc.text(
        "The paper's three settings ($n = 20$, $T = 8$, $\\delta = 0.01$); the A1/A2 columns show lhs/rhs "
        "(the condition holds when the ratio is $\\ge 1$):"
    )
    doc.table(["$d$", "$\\lVert\\mu\\rVert$", "$n\\,\\mathrm{SNR}^2$", "A1 signal", "A1 dimension", "A2"], rows)
    return doc


if __name__ == "__main__":
    from derivations import main

    raise SystemExit(main(NAME))
