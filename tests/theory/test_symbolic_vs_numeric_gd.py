"""The symbolic gradients and the symbolic one-step recursions agree with the numeric GD engine
(numerics.gd, direct d-dimensional float64) to 1e-12 on hypothesis-drawn instances."""

from __future__ import annotations

import functools

import numpy as np
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics.gd import gd_step, loss_and_grads
from theory import gradients as gr
from theory.model import explicit_instance

TOLERANCE = 1e-12


@functools.cache
def symbolic_functions(n: int, T: int, d: int):
    """Numpy functions of the symbolic loss, autodiff gradients and drive, for one shape."""
    inst = explicit_instance(n, T, d)
    entries = [s for x in inst.tokens for s in x] + list(inst.W) + list(inst.p) + list(inst.nu) + list(inst.labels)
    loss = sympy.lambdify(entries, inst.loss(), "numpy")
    grad_p = sympy.lambdify(entries, gr.autodiff_grad_p(inst), "numpy")
    grad_W = sympy.lambdify(entries, gr.autodiff_grad_W(inst), "numpy")
    drive = sympy.lambdify(entries, gr.drive(inst), "numpy")
    return loss, grad_p, grad_W, drive


@functools.cache
def recursion_functions(m: int, m_test: int):
    """Numpy functions of the symbolic joint GD recursion (z, P, M, test logits) for free c."""
    z = sympy.Matrix(sympy.symbols(f"z0:{m}"))
    c = sympy.Matrix(sympy.symbols(f"c0:{m}"))
    M = sympy.Matrix(m, m, lambda a, b: sympy.Symbol(f"M{a}_{b}"))
    G = sympy.Matrix(m, m, lambda a, b: sympy.Symbol(f"G{a}_{b}"))
    z_te = sympy.Matrix(sympy.symbols(f"u0:{m_test}"))
    M_te = sympy.Matrix(m_test, m, lambda a, b: sympy.Symbol(f"N{a}_{b}"))
    H = sympy.Matrix(m_test, m, lambda a, b: sympy.Symbol(f"H{a}_{b}"))
    P, h = sympy.symbols("P h")
    state = gr.JointState(z=z, P=P, M=M, G=G)
    new = gr.joint_gd_step(state, c, h)
    new_te, new_M_te = gr.test_gd_step(state, c, h, test_logits=z_te, test_kernel=M_te, cross_gram=H)
    args = [list(z), P, list(M), list(G), list(c), h, list(z_te), list(M_te), list(H)]
    joint = sympy.lambdify(args, [new.z, new.P, new.M, new_te, new_M_te], "numpy")
    p_only = sympy.lambdify([list(z), list(M), list(c), h], gr.p_only_flow(M, c) * h + z, "numpy")
    return joint, p_only


@st.composite
def instances(draw):
    # Few shapes: each new shape costs a symbolic differentiation and a lambdify.
    n = draw(st.integers(1, 2))
    T = 3
    d = draw(st.integers(2, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.floats(0.1, 2.0))
    tokens = scale * rng.standard_normal((n, T, d))
    labels = rng.choice([-1.0, 1.0], size=n)
    W = rng.uniform(-1, 1, (d, d))
    p = rng.standard_normal(d) * draw(st.sampled_from([0.0, 0.5, 1.0]))
    nu = rng.standard_normal(d)
    test_tokens = rng.standard_normal((2, d))
    step = draw(st.floats(1e-3, 0.5))
    return tokens, labels, W, p, nu, test_tokens, step


def _flat(tokens, W, p, nu, labels):
    return [*tokens.ravel(), *W.ravel(), *p, *nu, *labels]


def close(actual, expected) -> bool:
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    return bool(np.max(np.abs(actual - expected), initial=0.0) <= TOLERANCE * max(1.0, np.max(np.abs(expected))))


@settings(max_examples=40)
@given(instances())
def test_symbolic_gradients_match_numeric_engine(instance):
    tokens, labels, W, p, nu, _, _ = instance
    n, T, d = tokens.shape
    loss_f, grad_p_f, grad_W_f, _ = symbolic_functions(n, T, d)
    args = _flat(tokens, W, p, nu, labels)
    loss, grad_W, grad_p = loss_and_grads(W, p, tokens, labels, nu)
    assert close(loss_f(*args), loss)
    assert close(np.asarray(grad_p_f(*args)).ravel(), grad_p)
    assert close(np.asarray(grad_W_f(*args)), grad_W)


@settings(max_examples=40)
@given(instances())
def test_symbolic_joint_recursion_matches_one_numeric_gd_step(instance):
    tokens, labels, W, p, nu, test_tokens, step = instance
    n, T, d = tokens.shape
    X = tokens.reshape(n * T, d)
    c = np.asarray(symbolic_functions(n, T, d)[3](*_flat(tokens, W, p, nu, labels)), dtype=float).ravel()
    joint, _ = recursion_functions(n * T, test_tokens.shape[0])
    z, P, M, G = X @ W @ p, p @ p, X @ W @ W.T @ X.T, X @ X.T
    z_te, M_te, H = test_tokens @ W @ p, test_tokens @ W @ W.T @ X.T, test_tokens @ X.T
    new_z, new_P, new_M, new_z_te, new_M_te = joint(z, P, M.ravel(), G.ravel(), c, step, z_te, M_te.ravel(), H.ravel())
    W1, p1, _ = gd_step(W, p, tokens, labels, nu, step, train="joint")
    assert close(np.asarray(new_z).ravel(), X @ W1 @ p1)
    assert close(new_P, p1 @ p1)
    assert close(np.asarray(new_M), X @ W1 @ W1.T @ X.T)
    assert close(np.asarray(new_z_te).ravel(), test_tokens @ W1 @ p1)
    assert close(np.asarray(new_M_te), test_tokens @ W1 @ W1.T @ X.T)


@settings(max_examples=40)
@given(instances())
def test_symbolic_p_only_step_matches_numeric_engine(instance):
    tokens, labels, W, p, nu, test_tokens, step = instance
    n, T, d = tokens.shape
    X = tokens.reshape(n * T, d)
    c = np.asarray(symbolic_functions(n, T, d)[3](*_flat(tokens, W, p, nu, labels)), dtype=float).ravel()
    _, p_only = recursion_functions(n * T, test_tokens.shape[0])
    K = X @ W @ W.T @ X.T
    new_z = np.asarray(p_only(X @ W @ p, K.ravel(), c, step), dtype=float).ravel()
    W1, p1, _ = gd_step(W, p, tokens, labels, nu, step, train="p_only")
    assert W1 is W
    assert close(new_z, X @ W @ p1)
