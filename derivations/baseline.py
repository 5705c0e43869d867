"""Derivation 7: the untrained model (p = 0): uniform attention, the law of its output, and its
clean test accuracy Phi(||mu|| (|R| + rho (|W+| - |W-|)) / sqrt(2T)), the baseline that
generalization is judged against.

Paper: our derivation from the paper's model and data (p starts at 0 in the authors' public code).
"""

from __future__ import annotations

import sympy
from sympy.stats import Normal, P

from derivations._doc import Document
from theory import bounds
from theory import symbols as sym
from theory.model import symbolic_length_model

NAME = "baseline"
#: Sequence lengths at which the variance of the output is computed from the stacked noise.
SIZES = (3, 8)


def _at_zero_logits(expr: sympy.Expr, logits: sympy.IndexedBase) -> sympy.Expr:
    return expr.replace(lambda e: isinstance(e, sympy.Indexed) and e.base == logits, lambda e: sympy.Integer(0))


def derive() -> Document:
    """Build and prove the baseline derivation.

    Paper: our derivation from the paper's model and data.
    """
    doc = Document(name=NAME, title="The untrained model: uniform attention and the baseline accuracy")
    model = symbolic_length_model()
    j, T = model.index, model.length
    doc.text("Training starts at $p = 0$, so every logit $z_t = x_t^\\top W p$ is 0. For any $T$:")
    doc.prove_equal(
        "the attention is uniform at $p = 0$",
        _at_zero_logits(model.attention(j), model.logits),
        1 / T,
        via=lambda side: side.doit(),
    )
    t = model.summation_index
    mean_score = sympy.Sum(model.scores[t], (t, 1, T)) / T
    doc.prove_equal(
        "the output is the mean token score",
        _at_zero_logits(model.output(), model.logits),
        mean_score,
        via=lambda side: side.doit(),
    )

    doc.text(
        "Token scores. With $\\mu_1 = \\lVert\\mu\\rVert e_1$, $\\mu_2 = \\lVert\\mu\\rVert e_2$ and the head "
        "$\\nu$, a token $x = a\\,\\mu_{y^*} + b\\,\\mu_{-y^*} + \\xi$ scores $y^*\\nu^\\top x = (a - b)/\\sqrt2 + "
        "y^*\\nu^\\top\\xi$: relevant tokens ($a = 1$), aligned weakly relevant ($a = \\rho$), opposite "
        "weakly relevant ($b = \\rho$), irrelevant ($a = b = 0$). Only the first two coordinates of $\\nu$ are "
        "nonzero, so $d = 3$ covers every $d \\ge 2$."
    )
    m, rho = sym.signal_norm, sym.rho
    mu = {1: sympy.Matrix([m, 0, 0]), -1: sympy.Matrix([0, m, 0])}
    nu = (mu[1] - mu[-1]) / (sympy.sqrt(2) * m**2)
    relevant, aligned, opposite = sympy.symbols("R A O", nonnegative=True, integer=True)
    doc.text("Let $R$, $A$, $O$ be the numbers of relevant, aligned and opposite weakly relevant tokens among the $T$.")
    for label in (1, -1):
        role_scores = [label * (nu.T * vector)[0, 0] for vector in (mu[label], rho * mu[label], rho * mu[-label])]
        signal_mean = (relevant * role_scores[0] + aligned * role_scores[1] + opposite * role_scores[2]) / T
        doc.prove_equal(
            f"mean of $y^* f$ for true label $y^* = {label}$ (signal part of the mean score)",
            signal_mean,
            bounds.baseline_output_mean_expr(relevant, aligned, opposite),
        )
    nu_symbol = sympy.MatrixSymbol("nu", 3, 1)
    doc.prove_equal(
        "each noise score $\\nu^\\top\\xi$, $\\xi \\sim N(0, I_d)$, has variance $\\nu^\\top\\nu$",
        nu_symbol.T * nu_symbol,
        sympy.Matrix([[1 / m**2]]),
        at={nu_symbol: nu},
        sizes="d = 3",
    )
    doc.text(
        "The noise enters the output linearly, $f - \\mathbb{E} f = w^\\top\\xi$ with $\\xi$ the stacked "
        "noise of all $T$ tokens, $\\xi \\sim N(0, I)$ (independent tokens), so its variance is "
        "$w^\\top I\\, w$:"
    )
    for size in SIZES:
        # w stacks nu / T once per token (first two coordinates; the others of nu are 0).
        weights = sympy.Matrix([nu[k] / size for _ in range(size) for k in (0, 1)])
        covariance = sympy.eye(2 * size)
        w = sympy.MatrixSymbol("w", 2 * size, 1)
        identity = sympy.Identity(2 * size)
        doc.prove_equal(
            f"variance of the output for $T = {size}$ tokens",
            w.T * identity * w,
            sympy.Matrix([[bounds.baseline_output_variance_expr().subs(T, size)]]),
            at={w: weights, identity: covariance},
            sizes=f"T = {size}",
        )
    doc.text("So $y^* f \\sim N(\\bar m, v)$ with mean and variance")
    doc.equation(sympy.Symbol(r"\bar m"), bounds.baseline_output_mean_expr(relevant, aligned, opposite))
    doc.equation(sympy.Symbol("v"), bounds.baseline_output_variance_expr())
    mean_symbol, sd_symbol = sympy.Symbol("mbar", real=True), sympy.Symbol("sigma", positive=True)
    probability = P(Normal("Z", mean_symbol, sd_symbol) > 0)
    law = {
        mean_symbol: bounds.baseline_output_mean_expr(relevant, aligned, opposite),
        sd_symbol: sympy.sqrt(bounds.baseline_output_variance_expr()),
    }
    accuracy = sympy.Symbol(r"P\left(y^{*} f > 0\right)")
    doc.prove_equal(
        "the clean test accuracy of the untrained model, with the normal law's $P(Z > 0)$ evaluated by SymPy",
        accuracy,
        bounds.baseline_test_accuracy_expr(relevant, aligned, opposite),
        via=lambda side: probability.subs(law) if side == accuracy else side,
    )
    one_each = bounds.baseline_test_accuracy_expr()
    doc.prove_equal(
        "with one token per role the $\\rho$ terms cancel",
        bounds.baseline_test_accuracy_expr(1, 1, 1),
        (1 + sympy.erf(m / (2 * sympy.sqrt(T)))) / 2,
        rewrite=sympy.erf,
    )
    for norm, stated in ((5, sympy.Rational(894, 1000)), (10, sympy.Rational(994, 1000))):
        value = one_each.subs({m: norm, T: 8})
        doc.prove_true(
            f"at $\\lVert\\mu\\rVert = {norm}$, $T = 8$ the baseline accuracy rounds to {float(stated)}",
            bool(abs(sympy.N(value, 30) - stated) < sympy.Rational(5, 10**4)),
            shown=(value, "=", sympy.N(value, 6)),
        )
    doc.text(
        "At small $\\lVert\\mu\\rVert$ the untrained head already classifies most clean test samples, so "
        "generalization is judged against this baseline and by the test loss. The clean test loss at $p = 0$, "
        "the expectation of $\\ell(y^* f)$ under this normal law, has no closed form; it is not used."
    )
    return doc


if __name__ == "__main__":
    from derivations import main

    raise SystemExit(main(NAME))
