"""Derivation 5: the growth function g, which token count makes it exact, the gap equation, the
two-level identity, the float64-safe rewrites used by ``theory.bounds``, and checks of g^{-1}.

Paper: the growth function g(x) = 2x + 2 sinh(x - log T) of the paper's proof; everything else
is our derivation.
"""

from __future__ import annotations

import mpmath
import sympy
from sympy.codegen.cfunctions import expm1, log1p
from sympy.codegen.numpy_nodes import logaddexp

from derivations._doc import Document
from theory import growth as gr
from theory import symbols as sym
from theory.model import softmax

NAME = "growth"
#: Fixed sizes at which the model's softmax is built entry by entry (besides the general proofs).
SIZES = (3, 4, 8)


def _textbook(expr: sympy.Expr) -> sympy.Expr:
    """Rewrite log1p, expm1 and logaddexp into log and exp, to compare with the textbook form."""
    return expr.replace(lambda e: isinstance(e, (log1p, logaddexp)), lambda e: e.rewrite(sympy.log)).replace(
        lambda e: isinstance(e, expm1), lambda e: e.rewrite(sympy.exp)
    )


def _bisect_inverse(value: mpmath.mpf, count: int) -> mpmath.mpf:
    """g^{-1}(y) by plain bisection (independent of the Newton solver under test)."""

    def g(x):
        return 2 * x + 2 * mpmath.sinh(x - mpmath.log(count))

    lo, hi = mpmath.mpf(-100), mpmath.mpf(100)
    for _ in range(400):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if g(mid) < value else (lo, mid)
    return (lo + hi) / 2


def _inverse_checks(doc: Document) -> None:
    y = sympy.Symbol("y", real=True)
    kappa = sympy.Symbol("kappa", positive=True)
    inverse = gr.GrowthInverse(y, kappa)
    points = [(sympy.Rational(value), count) for value in ("-5", "1/10", "3", "50", "1000") for count in (2, 7, 8)]
    round_trip, against_bisection, derivative_rule = [], [], []
    step = sympy.Rational(1, 10**12)
    with mpmath.workdps(50):
        for value, count in points:
            x = gr.GrowthInverse(value, count).evalf(50)
            round_trip.append(gr.growth_expr(x, count).evalf(50) - value)
            against_bisection.append(float(x) - float(_bisect_inverse(mpmath.mpf(float(value)), count)))
            # Inverse-function rule, against a central difference of the inverse itself.
            slope = (
                gr.GrowthInverse(value + step, count).evalf(50) - gr.GrowthInverse(value - step, count).evalf(50)
            ) / (2 * step)
            derivative_rule.append(slope * gr.growth_derivative_expr(x, count).evalf(50) - 1)
    where = "y in {-5, 1/10, 3, 50, 1000}, kappa in {2, 7, 8}, 50 digits"
    doc.check_numeric("$g^{-1}$ inverts $g$", round_trip, 1e-40, where, shown=(gr.growth_expr(inverse, kappa), y))
    doc.check_numeric(
        "$g^{-1}$ agrees with an independent bisection on $g$ (400 halvings of $[-100, 100]$)",
        against_bisection,
        1e-13,
        where,
    )
    doc.check_numeric(
        "inverse-function rule: a central difference of $g^{-1}$ (step $10^{-12}$) times $g'(g^{-1}(y))$ is 1",
        derivative_rule,
        1e-18,
        where,
        shown=(sympy.Derivative(sympy.Function("g^{-1}")(y), y) * gr.growth_derivative_expr(inverse, kappa), 1),
    )


def derive() -> Document:
    """Build and prove the growth-function derivation.

    Paper: the growth function g of the paper's proof; the rest is ours.
    """
    doc = Document(name=NAME, title="The growth function g, its token count, and the gap dynamics")
    x, T = sym.gap, sym.seq_len
    kappa = sympy.Symbol("kappa", positive=True)
    g_of = sympy.Function("g")
    doc.text("For $\\kappa$ equal competitors the growth function is (the paper writes $\\kappa = T$):")
    g = gr.growth_expr(x, kappa)
    doc.definition("growth function with $\\kappa$ competitors", g_of(x), g)
    s = gr.attention_at_gap_expr(x, kappa)
    doc.text("One token at logit gap $x$ above $\\kappa$ others of equal logit ($\\kappa + 1$ tokens) has weight")
    doc.equation(sympy.Symbol("s"), s)
    weight = sympy.Symbol("s")
    variance_of = 1 / (weight * (1 - weight))

    def with_weight(value):
        # Substitute the weight s into the displayed 1/(s(1-s)); evaluate displayed derivatives.
        return lambda side: side.doit().subs(weight, value)

    doc.prove_equal(
        "derivative of $g$ (derivative evaluated)",
        sympy.Derivative(g, x),
        gr.growth_derivative_expr(x, kappa),
        via=with_weight(s),
    )
    doc.prove_equal(
        "$g'$ is the inverse attention variance for $\\kappa$ competitors ($s$ as displayed above)",
        gr.growth_derivative_expr(x, kappa),
        variance_of,
        rewrite=sympy.exp,
        via=with_weight(s),
    )

    doc.text(
        "Which count fits the model. An input has $T$ tokens, so a token at gap $x$ over the others has "
        "$T - 1$ competitors; its weight, for any $T$, is"
    )
    t = sympy.Symbol("t", integer=True, positive=True)
    s_model = sympy.exp(x) / (sympy.exp(x) + sympy.Sum(sympy.exp(sympy.Integer(0) * t), (t, 2, T)))
    s_exact = gr.attention_at_gap_expr(x, gr.competitor_count(T, "T-1"))
    doc.prove_equal("the softmax weight of the top token among $T$ tokens", s_model, s_exact, method="simplify")
    doc.prove_equal(
        "with count $T - 1$, $g'$ is exactly the inverse attention variance of the model's $T$ tokens "
        "($s$ the weight just proven)",
        gr.growth_derivative_expr(x, gr.competitor_count(T, "T-1")),
        variance_of,
        rewrite=sympy.exp,
        via=with_weight(s_exact),
    )
    doc.prove_equal(
        "with the paper's count $T$ it is not (same $s$): the difference vanishes only at $x = \\log(T(T-1))/2$",
        gr.growth_derivative_expr(x, T) - variance_of,
        sympy.exp(-x) - sympy.exp(x) / (T * (T - 1)),
        rewrite=sympy.exp,
        via=with_weight(s_exact),
    )
    s_more = gr.attention_at_gap_expr(x, T)
    doc.prove_equal(
        "the paper's count $T$ is exact for one more token: $T + 1$ tokens, $s = e^x/(e^x + T)$",
        gr.growth_derivative_expr(x, T),
        variance_of,
        rewrite=sympy.exp,
        via=with_weight(s_more),
    )
    error_paper, error_exact = T / (sympy.exp(x) + T), (T - 1) / (sympy.exp(x) + T - 1)
    ratio = error_paper / error_exact
    doc.prove_equal(
        "the paper's count overstates the attention error $1 - s$: the ratio exceeds 1 by a positive term",
        ratio - 1,
        sympy.exp(x) / ((T - 1) * (sympy.exp(x) + T)),
    )
    doc.prove_equal(
        "and stays below $T/(T-1)$ by a positive term", T / (T - 1) - ratio, T / ((T - 1) * (sympy.exp(x) + T))
    )
    for size in SIZES:
        logits = sympy.Matrix([x] + [0] * (size - 1))
        weight = softmax(logits)[0]
        doc.prove_equal(
            f"the model's softmax built entry by entry for $T = {size}$ tokens matches $g'$ with "
            f"$\\kappa = T - 1 = {size - 1}$",
            1 / (weight * (1 - weight)),
            gr.growth_derivative_expr(x, size - 1),
            sizes=f"T = {size}",
            rewrite=sympy.exp,
        )

    doc.text(
        "Gap dynamics (any $\\kappa$). If a gap obeys $d\\Lambda/d\\tau = c(\\tau)\\, s(1 - s)$, the chain rule "
        "gives $d g(\\Lambda)/d\\tau = c$, so $g(\\Lambda(\\tau)) - g(\\Lambda(0))$ is the integral of $c$."
    )
    tau = sym.time
    gap_path = sympy.Function("Lambda")(tau)
    drive = sympy.Function("c")(tau)
    s_path = gr.attention_at_gap_expr(gap_path, kappa)
    rate = sympy.diff(gr.growth_expr(gap_path, kappa), tau).subs(gap_path.diff(tau), drive * s_path * (1 - s_path))
    doc.prove_equal("rate of $g(\\Lambda)$ under $d\\Lambda/d\\tau = c\\, s(1-s)$", rate, drive, rewrite=sympy.exp)
    doc.text(
        "So drive bounds $c_- \\le c \\le c_+$ give $g^{-1}(g(\\Lambda_0) + c_-\\tau) \\le \\Lambda(\\tau) \\le "
        "g^{-1}(g(\\Lambda_0) + c_+\\tau)$ (`gap_lower_bound`, `gap_upper_bound`), and the time to reach gap $K$ "
        "under a constant drive $c$ is"
    )
    K, L0, c = sym.gap_target, sym.gap_initial, sym.drive
    time_to_gap = (gr.growth_expr(K, kappa) - gr.growth_expr(L0, kappa)) / c
    doc.equation(sympy.Symbol("tau_K"), time_to_gap)
    doc.prove_true(
        "the time is exponential in the gap",
        sympy.limit(time_to_gap / (sympy.exp(K) / (kappa * c)), K, sympy.oo) == 1,
        shown=(sympy.Limit(time_to_gap / (sympy.exp(K) / (kappa * c)), K, sympy.oo), "=", 1),
    )
    error = kappa / (sympy.exp(x) + kappa)
    doc.prove_equal("attention error", 1 - s, error)
    doc.prove_true(
        "the attention error decays like $1/(c\\tau)$",
        sympy.limit(error * g, x, sympy.oo) == 1,
        shown=(sympy.Limit(error * g, x, sympy.oo), "=", 1),
    )

    doc.text(
        "Two-level identity: token $a$ has weight $s$, the other $T - 1$ share $1 - s$ equally with common "
        "score $\\bar\\gamma$, and $b$ is one of them."
    )
    lhs, rhs, _ = gr.two_level_identity()
    doc.prove_equal("two-level identity (any $T$)", lhs, rhs)

    doc.text(
        "Float64-safe rewrites used by the compiled formulas (each proven equal to its textbook form, any $\\kappa$):"
    )
    difference = gr.growth_expr(K, kappa) - gr.growth_expr(L0, kappa)
    doc.prove_equal(
        "difference without cancellation", gr.growth_difference_stable_expr(K, L0, kappa), difference, rewrite=sympy.exp
    )
    exponentiate = lambda side: sympy.exp(_textbook(side))  # noqa: E731 - log is injective on the reals
    doc.prove_equal(
        "the stable $\\log g$ where $g > 0$ (both sides exponentiated)",
        sympy.log(g),
        gr.log_growth_stable_expr(x, kappa),
        via=exponentiate,
        rewrite=sympy.exp,
    )
    doc.prove_equal(
        "the stable $\\log(1-s)$ (both sides exponentiated)",
        sympy.log(error),
        gr.log_attention_error_stable_expr(x, kappa),
        via=exponentiate,
    )
    stable_log_difference = gr.log_growth_difference_stable_expr(K, L0, kappa)
    b = (K + L0) / 2 - sympy.log(kappa)
    for case, value in (("$b \\ge 0$", b), ("$b < 0$", -b)):
        # |b| enters through log(2 cosh b) = |b| + log1p(e^{-2|b|}); prove each sign case.
        def branch(side, value=value):
            return sympy.exp(_textbook(side).replace(sympy.Abs, lambda arg: value))

        doc.prove_equal(
            f"the stable $\\log(g(K) - g(\\Lambda_0))$ for $K > \\Lambda_0$, case {case} "
            "with $b = (K + \\Lambda_0)/2 - \\log\\kappa$ (both sides exponentiated)",
            sympy.log(difference),
            stable_log_difference,
            via=branch,
            rewrite=sympy.exp,
        )

    doc.text(
        "The inverse $g^{-1}$ has no closed form; its numerical evaluation is checked against $g$ itself, "
        "against an independent solver, and through the inverse-function rule:"
    )
    _inverse_checks(doc)
    return doc


if __name__ == "__main__":
    from derivations import main

    raise SystemExit(main(NAME))
