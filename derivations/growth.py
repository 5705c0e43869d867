"""Derivation 5: the growth function g, the gap equation, the two-level identity, and the
float64-safe rewrites used by ``theory.bounds``.

Paper: growth function g(x) = 2x + 2 sinh(x - log T) (SPEC section 1); SPEC section 4.1 [DERIVED].
"""

from __future__ import annotations

import sympy
from sympy.codegen.cfunctions import expm1, log1p
from sympy.codegen.numpy_nodes import logaddexp

from derivations._doc import Document
from theory import growth as gr
from theory import symbols as sym

NAME = "growth"


def _textbook(expr: sympy.Expr) -> sympy.Expr:
    """Rewrite log1p, expm1 and logaddexp into log and exp, to compare with the textbook form."""
    return expr.replace(lambda e: isinstance(e, (log1p, logaddexp)), lambda e: e.rewrite(sympy.log)).replace(
        lambda e: isinstance(e, expm1), lambda e: e.rewrite(sympy.exp))


def derive() -> Document:
    """Build and prove the growth-function derivation.

    Paper: SPEC section 4.1.
    """
    doc = Document(name=NAME, title="The growth function g and the gap dynamics")
    x, T = sym.gap, sym.seq_len
    g = gr.growth_expr(x, T)
    s = gr.attention_at_gap_expr(x, T)
    doc.equation("g(x)", g)
    doc.text("One token at logit gap $x$ above $T$ others of equal logit has weight")
    doc.equation("s", s)
    doc.prove_zero("$g'(x) = 2 + 2\\cosh(x - \\log T)$", sympy.diff(g, x) - gr.growth_derivative_expr(x, T))
    doc.prove_zero("$g'(x) = 1/(s(1 - s))$", (gr.growth_derivative_expr(x, T) - 1 / (s * (1 - s))).rewrite(sympy.exp))

    doc.text("Hence if a gap obeys $d\\Lambda/d\\tau = c(\\tau)\\, s(1 - s)$, the chain rule gives "
             "$d g(\\Lambda)/d\\tau = g'(\\Lambda)\\, c\\, s(1-s) = c$, i.e.")
    doc.equation(r"g(\Lambda(\tau)) - g(\Lambda(0))", r"\int_0^\tau c(\sigma)\, d\sigma")
    tau = sym.time
    gap_path = sympy.Function("Lambda")(tau)
    drive = sympy.Function("c")(tau)
    s_path = gr.attention_at_gap_expr(gap_path, T)
    rate = sympy.diff(gr.growth_expr(gap_path, T), tau).subs(gap_path.diff(tau), drive * s_path * (1 - s_path))
    doc.prove_zero("$\\frac{d}{d\\tau} g(\\Lambda) = c$ under $\\dot\\Lambda = c\\,s(1-s)$", (rate - drive).rewrite(sympy.exp))
    doc.text("so drive bounds $c_- \\le c \\le c_+$ give $g^{-1}(g(\\Lambda_0) + c_-\\tau) \\le \\Lambda(\\tau) \\le "
             "g^{-1}(g(\\Lambda_0) + c_+\\tau)$ (``gap_lower_bound``, ``gap_upper_bound``), "
             "and the time to reach gap $K$ under constant drive is")
    K, L0, c = sym.gap_target, sym.gap_initial, sym.drive
    doc.equation(r"\tau_K", (gr.growth_expr(K, T) - gr.growth_expr(L0, T)) / c)
    doc.prove_true("$\\lim_{K\\to\\infty} \\tau_K \\big/ \\left(e^K/(T c)\\right) = 1$: time is exponential in the gap",
                   sympy.limit((gr.growth_expr(K, T) - gr.growth_expr(L0, T)) / c / (sympy.exp(K) / (T * c)), K, sympy.oo) == 1)
    error = T / (sympy.exp(x) + T)
    doc.prove_zero("attention error $1 - s = T/(e^x + T)$", 1 - s - error)
    doc.prove_true("$\\lim_{x\\to\\infty} (1 - s)\\, g(x) = 1$: the attention error decays like $1/(c\\tau)$",
                   sympy.limit(error * g, x, sympy.oo) == 1)

    doc.text("Two-level identity: token $a$ has weight $s$, the other $T - 1$ share $1 - s$ with common score "
             "$\\bar\\gamma$.")
    lhs, rhs, _ = gr.two_level_identity()
    doc.equation(r"s_a(\gamma_a - f) - s_b(\gamma_b - f)", rhs)
    doc.prove_zero("two-level identity", lhs - rhs)

    doc.text("Float64-safe rewrites used by the compiled formulas (each proven equal to its textbook form):")
    difference = gr.growth_expr(K, T) - gr.growth_expr(L0, T)
    stable_difference = gr.growth_difference_stable_expr(K, L0, T)
    doc.equation(r"g(K) - g(\Lambda_0)", stable_difference)
    doc.prove_zero("difference without cancellation", (stable_difference - difference).rewrite(sympy.exp))
    stable_log_g = gr.log_growth_stable_expr(x, T)
    doc.equation(r"\log g(x)", stable_log_g)
    doc.prove_zero("$\\exp$ of the stable $\\log g$ is $g$", (sympy.exp(_textbook(stable_log_g)) - g).rewrite(sympy.exp))
    stable_log_error = gr.log_attention_error_stable_expr(x, T)
    doc.equation(r"\log(1 - s)", stable_log_error)
    doc.prove_zero("$\\exp$ of the stable $\\log(1-s)$ is $T/(e^x + T)$", sympy.exp(_textbook(stable_log_error)) - error)
    stable_log_difference = gr.log_growth_difference_stable_expr(K, L0, T)
    doc.equation(r"\log\left(g(K) - g(\Lambda_0)\right)", stable_log_difference)
    b = (K + L0) / 2 - sympy.log(T)
    for case, value in (("b \\ge 0", b), ("b < 0", -b)):
        # |b| enters through log(2 cosh b) = |b| + log1p(e^{-2|b|}); prove each sign case.
        branch = _textbook(stable_log_difference).replace(sympy.Abs, lambda arg, value=value: value)
        doc.prove_zero(f"$\\exp$ of the stable $\\log(g(K) - g(\\Lambda_0))$ is the difference (case ${case}$, "
                       "$b = (K + \\Lambda_0)/2 - \\log T$)", (sympy.exp(branch) - difference).rewrite(sympy.exp))
    y = sympy.Symbol("y", real=True)
    inverse = gr.GrowthInverse(y, T)
    doc.prove_zero("$\\frac{d}{dy} g^{-1}(y) \\cdot g'(g^{-1}(y)) = 1$",
                   sympy.diff(inverse, y) * gr.growth_derivative_expr(inverse, T) - 1)
    return doc


if __name__ == "__main__":
    from derivations import main

    raise SystemExit(main(NAME))
