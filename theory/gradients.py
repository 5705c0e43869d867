"""Gradients of the training loss and the closed logit dynamics of derivations/.

Notation: stacked training tokens X_f (m x d, m = nT), logits z = X_f W p, drive
c = -dL/dz with c_{i,t} = (1/n) g_i y_i s_{i,t} (gamma_{i,t} - f_i), v = X_f^T c.

- gradients: grad_p L = -W^T v, grad_W L = -v p^T;
- p-only flow: dz/dtau = K c with K = X_f W W^T X_f^T (and GD is its Euler map);
- joint flow: with G = X_f X_f^T, P = |p|^2, M = X_f W W^T X_f^T,
  dz = (P G + M) c, dP = 2 c^T z, dM = (G c) z^T + z (G c)^T; W^T W - p p^T is conserved;
- the exact joint GD recursion for (z, P, M) and for test logits (z_te, M_te).

The dynamics are written for a *free* drive vector c: they hold for any c, because GD moves
(W, p) only along v = X_f^T c. The drive itself is ``drive``.

Paper: the paper's setting (GD on the attention weights); our derivations in derivations/.
"""

from __future__ import annotations

import dataclasses

import sympy

from theory.model import ExplicitInstance, logistic_weight

__all__ = [
    "drive",
    "grad_p",
    "grad_W",
    "autodiff_grad_p",
    "autodiff_grad_W",
    "p_only_kernel",
    "p_only_flow",
    "JointState",
    "joint_state",
    "joint_flow",
    "joint_gd_step",
    "test_gd_step",
    "direct_gd_step",
    "conserved_quantity",
]


def drive(instance: ExplicitInstance) -> sympy.Matrix:
    """c (m x 1, sample-major): c_{i,t} = (1/n) g_i y_i s_{i,t} (gamma_{i,t} - f_i) = -dL/dz_{i,t}.

    Paper: derivations/gradients.py (drive of the logit dynamics).
    """
    blocks = []
    for i in range(instance.n):
        s, gamma, f, y = instance.attention(i), instance.scores(i), instance.output(i), instance.labels[i]
        weight = logistic_weight(y * f) * y / instance.n
        blocks.append(sympy.Matrix([weight * s[t] * (gamma[t] - f) for t in range(instance.seq_len)]))
    return sympy.Matrix.vstack(*blocks)


def grad_p(instance: ExplicitInstance, c: sympy.Matrix | None = None) -> sympy.Matrix:
    """grad_p L = -W^T X_f^T c (closed form).

    Paper: derivations/gradients.py.
    """
    c = drive(instance) if c is None else c
    return -instance.W.T * instance.stacked.T * c


def grad_W(instance: ExplicitInstance, c: sympy.Matrix | None = None) -> sympy.Matrix:
    """grad_W L = -(X_f^T c) p^T (closed form, rank one).

    Paper: derivations/gradients.py.
    """
    c = drive(instance) if c is None else c
    return -(instance.stacked.T * c) * instance.p.T


def autodiff_grad_p(instance: ExplicitInstance) -> sympy.Matrix:
    """grad_p L by symbolic differentiation of the loss (the reference for ``grad_p``).

    Paper: the paper's setting (loss), differentiated directly.
    """
    loss = instance.loss()
    return sympy.Matrix([sympy.diff(loss, entry) for entry in instance.p])


def autodiff_grad_W(instance: ExplicitInstance) -> sympy.Matrix:
    """grad_W L by symbolic differentiation of the loss (the reference for ``grad_W``).

    Paper: the paper's setting (loss), differentiated directly.
    """
    loss = instance.loss()
    d = instance.W.shape[0]
    return sympy.Matrix(d, d, lambda a, b: sympy.diff(loss, instance.W[a, b]))


def p_only_kernel(stacked: sympy.Matrix, W: sympy.Matrix) -> sympy.Matrix:
    """K = X_f W W^T X_f^T.

    Paper: derivations/p_only_flow.py (v1 trains p with W fixed).
    """
    return stacked * W * W.T * stacked.T


def p_only_flow(kernel: sympy.Matrix, c: sympy.Matrix) -> sympy.Matrix:
    """dz/dtau = K c; GD is exactly z+ = z + h K c.

    Paper: derivations/p_only_flow.py.
    """
    return kernel * c


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class JointState:
    """The closed state of joint (W, p) training: logits z, P = |p|^2, M = X_f W W^T X_f^T, G = X_f X_f^T.

    Paper: derivations/joint_flow.py (no d-dimensional object appears).
    """

    z: sympy.Matrix
    P: sympy.Expr
    M: sympy.Matrix
    G: sympy.Matrix

    def __post_init__(self) -> None:
        m = self.z.shape[0]
        if self.z.shape != (m, 1) or self.M.shape != (m, m) or self.G.shape != (m, m):
            raise ValueError(f"shapes z {self.z.shape}, M {self.M.shape}, G {self.G.shape}: need (m,1), (m,m), (m,m)")


def joint_state(stacked: sympy.Matrix, W: sympy.Matrix, p: sympy.Matrix) -> JointState:
    """The closed state computed from (X_f, W, p).

    Paper: derivations/joint_flow.py.
    """
    return JointState(z=stacked * W * p, P=(p.T * p)[0, 0], M=p_only_kernel(stacked, W), G=stacked * stacked.T)


def joint_flow(state: JointState, c: sympy.Matrix) -> tuple[sympy.Matrix, sympy.Expr, sympy.Matrix]:
    """(dz, dP, dM)/dtau = ((P G + M) c, 2 c^T z, (G c) z^T + z (G c)^T).

    Paper: derivations/joint_flow.py [DERIVED].
    """
    gc = state.G * c
    return ((state.P * state.G + state.M) * c, 2 * (c.T * state.z)[0, 0], gc * state.z.T + state.z * gc.T)


def joint_gd_step(state: JointState, c: sympy.Matrix, step: sympy.Expr) -> JointState:
    """One exact joint GD step of the closed state (all right sides at pre-update values).

    z+ = z + h (P G + M) c + h^2 (G c)(c^T z)
    P+ = P + 2h c^T z + h^2 c^T M c
    M+ = M + h[(G c) z^T + z (G c)^T] + h^2 P (G c)(G c)^T

    Paper: derivations/joint_flow.py [DERIVED].
    """
    gc = state.G * c
    cz = (c.T * state.z)[0, 0]
    return JointState(
        z=state.z + step * (state.P * state.G + state.M) * c + step**2 * gc * cz,
        P=state.P + 2 * step * cz + step**2 * (c.T * state.M * c)[0, 0],
        M=state.M + step * (gc * state.z.T + state.z * gc.T) + step**2 * state.P * gc * gc.T,
        G=state.G,
    )


def test_gd_step(
    state: JointState,
    c: sympy.Matrix,
    step: sympy.Expr,
    *,
    test_logits: sympy.Matrix,
    test_kernel: sympy.Matrix,
    cross_gram: sympy.Matrix,
) -> tuple[sympy.Matrix, sympy.Matrix]:
    """One exact GD step of test logits z_te = X_te W p and M_te = X_te W W^T X_f^T.

    With H = X_te X_f^T (``cross_gram``):
    z_te+ = z_te + h (P H + M_te) c + h^2 (H c)(c^T z)
    M_te+ = M_te + h[(H c) z^T + z_te (G c)^T] + h^2 P (H c)(G c)^T

    Paper: derivations/joint_flow.py [DERIVED].
    """
    hc, gc = cross_gram * c, state.G * c
    cz = (c.T * state.z)[0, 0]
    new_logits = test_logits + step * (state.P * cross_gram + test_kernel) * c + step**2 * hc * cz
    new_kernel = test_kernel + step * (hc * state.z.T + test_logits * gc.T) + step**2 * state.P * hc * gc.T
    return new_logits, new_kernel


def direct_gd_step(
    W: sympy.Matrix, p: sympy.Matrix, stacked: sympy.Matrix, c: sympy.Matrix, step: sympy.Expr, *, train: str = "joint"
) -> tuple[sympy.Matrix, sympy.Matrix]:
    """The d-dimensional GD step W+ = W + h v p^T, p+ = p + h W^T v (v = X_f^T c).

    ``train="p_only"`` keeps W fixed.

    Paper: the paper's setting (full-batch GD), with the gradients of derivations/joint_flow.py.
    """
    if train not in ("joint", "p_only"):
        raise ValueError(f"train={train!r}: must be 'joint' or 'p_only'")
    v = stacked.T * c
    new_p = p + step * W.T * v
    if train == "p_only":
        return W, new_p
    return W + step * v * p.T, new_p


def conserved_quantity(W: sympy.Matrix, p: sympy.Matrix) -> sympy.Matrix:
    """W^T W - p p^T, constant along the joint gradient flow.

    Paper: derivations/joint_flow.py (conservation law) [DERIVED].
    """
    return W.T * W - p * p.T
