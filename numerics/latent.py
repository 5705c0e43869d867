"""The d-free draw: everything the reduced engines read, exactly in distribution, in O(m^3) work.

Paper: Section 3 (data model) and the exact reduced dynamics of ``numerics.subspace``; the
construction is our derivation, checked against the d-dimensional draw in
``tests/numerics/test_latent.py`` (moments of the Gram blocks, two-sample tests of the dynamics).

What the engines read. With Xi (m x d, m = n T) the training noise, e_1, e_2 the signal
directions and N = W_0 W_0^T, every training token is x = xi + mu (a_1 e_1 + a_2 e_2), and the
state keeps q = W p in span(X^T) + N span(X^T). Every quantity of the dynamics -- G = X X^T,
M_0 = X N X^T, the token scores nu^T x = (x_1 - x_2) / (sqrt 2 ||mu||), and a test token's
products with q -- is an inner product among the 2m + 4 generators

    C = [Xi^T, e_1, e_2, N Xi^T, N e_1, N e_2]         (d x (2m + 4), for every ||mu||)

and a fresh test token. So it suffices to draw coordinates F (r x (2m + 4), r <= 2m + 4) of C
in some orthonormal frame with the exact joint law of C^T C, plus a test token's coordinates
in the same frame. (Components of a test token outside the frame never meet q or nu: they are
the independent remainder, and need not be drawn.)

Derivation. Write U = [Xi^T, e_1, e_2] and split R^d = span(e_1, e_2) + its complement.

1. U. Xi's two signal coordinates Xi_s (m x 2) are drawn as they are. The rest Xi_r
   (m x (d - 2)) has i.i.d. N(0, 1) entries, so Xi_r^T = Q_r F_r with F_r^T F_r ~
   Wishart_m(I, d - 2): for d - 2 >= m, F_r is the upper-triangular Bartlett factor (chi
   variables with d - 2, d - 3, ... degrees of freedom on the diagonal, N(0, 1) above it);
   otherwise F_r = Xi_r^T itself. In the frame Q_1 = [e_1, e_2, Q_r] (r_1 = 2 + rows of F_r),
   U = Q_1 F_U with F_U = [[Xi_s^T, I_2], [F_r, 0]].
2. N U for a Gaussian W_0 with i.i.d. N(0, s^2) entries, s^2 = 1/(3d). Let A = W_0^T, so
   N = A^T A, and complete Q_1 to an orthogonal O = [Q_1, Q_1perp] (a function of Xi only).
   A O = [V, A_2] with V = A Q_1 (d x r_1) and A_2 = A Q_1perp: i.i.d. N(0, s^2) entries,
   independent of each other and of Xi. In the frame O,

       O^T N Q_1 = O^T A^T V = [V^T V ; A_2^T V].

   V^T V = F_V^T F_V with F_V = s x (Bartlett factor of Wishart_{r_1}(I, d)). With V = Q_V F_V,
   A_2^T V = (Q_V^T A_2)^T F_V, and Q_V^T A_2 (r_1 x (d - r_1)) is again i.i.d. N(0, s^2) and
   independent of V (Q_V depends on V only), so A_2^T V = Q_2 F_2 F_V with F_2 = s x (Bartlett
   factor of Wishart_{r_1}(I, d - r_1)) (or the plain Gaussian block when d - r_1 < r_1).
   Hence, with S_1 = F_V^T F_V,

       F = [[F_U, S_1 F_U], [0, F_2 F_V F_U]]          ((r_1 + r_2) x (2m + 4))

   has F^T F equal in law to C^T C. In particular M_0 = F_Xi^T S_1 F_Xi ~ Wishart_m(s^2 G_Xi, d)
   given Xi, and X N^2 X^T picks up both S_1^2 and the cross term (F_2 F_V)^T (F_2 F_V), whose
   conditional law is Wishart_{r_1}(s^2 S_1, d - r_1).
3. Test tokens. Fresh noise xi ~ N(0, I_d) is independent of Xi and W_0, hence of the frame
   [Q_1, Q_1perp Q_2]; its coordinates there are N(0, I_r). Signals are added on the first two
   coordinates (e_1, e_2), exactly as ``numerics.data.add_signals`` does in d dimensions.

p-only training keeps W = I: N = I and the frame of U alone suffices (F = F_U, r = r_1).

Several tokens per role and random labels change only the signal coefficients (which tokens
carry mu_{y*} or rho mu_{+-y*}) and the labels, never the isotropic noise, so the construction
holds unchanged. The legacy (float32-rounded) noise is not Gaussian in law, and ``ProblemParams``
refuses it with the latent draw.

Only the Gaussian initialisation is rotation invariant (step 2); ``ProblemParams`` refuses a
latent draw with the uniform one for joint training. Streams: Xi from ``default_rng(seed)``,
W_0's factors from ``numerics.data.init_rng``, test noise from ``numerics.data.test_rng``
(the same streams as the full draw, different numbers).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from numerics.data import Split, add_signals, init_rng, init_variance, signal_coefficients, split_labels, test_rng
from numerics.reduced_problem import ProjectedSplit, ReducedProblem
from theory.params import ProblemParams
from theory.roles import token_roles

__all__ = ["LatentFrame", "wishart_factor", "draw_frame", "draw_test_noise", "latent_problem", "reduce_latent"]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class LatentFrame:
    """Coordinates of the generators C = [Xi^T, e_1, e_2, N Xi^T, N e_1, N e_2] in an r-dim frame.

    Paper: the reduced dynamics' generators (module docstring). Training tokens are in
    sample-major order (index i T + t), as in ``numerics.subspace``.

    Attributes
    ----------
    generators : (r, 2m + 4) array (joint) or (r, m + 2) array (p-only: only [Xi^T, e_1, e_2])
        The first two frame vectors are e_1 and e_2.
    m : int
        Number of training tokens.
    """

    generators: np.ndarray
    m: int

    @property
    def rank(self) -> int:
        """r, the frame's dimension: the test noise has r coordinates."""
        return self.generators.shape[0]


def wishart_factor(rng: np.random.Generator, size: int, dof: int) -> np.ndarray:
    """F with F^T F ~ Wishart_size(I, dof): the upper Bartlett factor ((size, size)) when
    dof >= size, else a (dof, size) standard normal block (the singular Wishart).

    Paper: none (Bartlett decomposition: a dof x size standard Gaussian matrix is Q F with F
    upper triangular, F_jj ~ chi_{dof - j}, F_jk ~ N(0, 1) for k > j, F independent of Q).
    """
    if dof < size:
        return rng.standard_normal((dof, size))
    factor = np.triu(rng.standard_normal((size, size)), 1)
    factor[np.diag_indices(size)] = np.sqrt(rng.chisquare(dof - np.arange(size)))
    return factor


def draw_frame(params: ProblemParams) -> LatentFrame:
    """Draw the generator coordinates of ``params``'s training noise and W_0 (module docstring).

    Paper: our derivation (module docstring, steps 1 and 2). Cost O(m^3), independent of d.
    """
    n, T, d = params.n_train, params.seq_len, params.dim
    m = n * T
    rng = np.random.default_rng(params.seed)
    noise_signal = rng.standard_normal((m, 2))
    remainder = wishart_factor(rng, m, d - 2)
    r1 = 2 + remainder.shape[0]
    inputs = np.zeros((r1, m + 2))
    inputs[:2, :m] = noise_signal.T
    inputs[:2, m:] = np.eye(2)
    inputs[2:, :m] = remainder
    if params.train != "joint":
        return LatentFrame(generators=inputs, m=m)
    scale = np.sqrt(init_variance(d))
    w_rng = init_rng(params)
    image = scale * wishart_factor(w_rng, r1, d)  # F_V: V = A Q_1 = Q_V F_V
    outside = scale * wishart_factor(w_rng, r1, d - r1) @ image  # F_2 F_V: A_2^T V in its frame
    generators = np.zeros((r1 + outside.shape[0], 2 * m + 4))
    generators[:r1, : m + 2] = inputs
    generators[:r1, m + 2 :] = (image.T @ image) @ inputs
    generators[r1:, m + 2 :] = outside @ inputs
    return LatentFrame(generators=generators, m=m)


def reduce_latent(params: ProblemParams) -> ReducedProblem:
    """The reduced problem of ``params`` from the latent draw: the record the reduced GD engine
    and the flow consume, with no d-dimensional array.

    Paper: Section 3 model; the exact reduced dynamics' quantities (G, M_0, token scores, test
    logits, ``numerics.subspace``) drawn as in the module docstring.
    """
    frame = draw_frame(params)
    return latent_problem(params, frame, draw_test_noise(params, frame))


def draw_test_noise(params: ProblemParams, frame: LatentFrame) -> np.ndarray:
    """Test noise in the frame, (n_test, T, r) standard normal from ``test_rng`` (step 3)."""
    return test_rng(params).standard_normal((params.n_test, params.seq_len, frame.rank))


def latent_problem(params: ProblemParams, frame: LatentFrame, test_noise: np.ndarray) -> ReducedProblem:
    """Assemble the reduced problem at ``params.signal_norm`` from a drawn frame and test noise.

    Paper: the reduced dynamics' G, M_0, scores and test logits (``numerics.subspace``). The
    frame and the test noise do not depend on ||mu||, so a column of signal norms (same d, seeds)
    can share them. The training split's ``tokens`` are the training tokens' coordinates in the r-dimensional frame (all
    their inner products with the generators and nu are exact).
    """
    n, T, m, mu = params.n_train, params.seq_len, frame.m, params.signal_norm
    labels, true_labels, noisy = split_labels(params, "train")
    C = frame.generators
    signal = signal_coefficients(true_labels, params)  # (m, 2), sample-major
    tokens = C[:, :m] + mu * (C[:, m : m + 2] @ signal.T)  # X^T in the frame
    joint = params.train == "joint"
    # N X^T in the frame (N = I for p-only training).
    images = C[:, m + 2 : 2 * m + 2] + mu * (C[:, 2 * m + 2 :] @ signal.T) if joint else tokens
    gram = tokens.T @ tokens
    metric = tokens.T @ images if joint else gram
    nu = np.zeros(frame.rank)
    nu[0], nu[1] = 1.0 / (np.sqrt(2.0) * mu), -1.0 / (np.sqrt(2.0) * mu)
    train_tokens = np.ascontiguousarray(tokens.T).reshape(n, T, frame.rank)
    train = Split(tokens=train_tokens, labels=labels, true_labels=true_labels, noisy=noisy)
    test_true = split_labels(params, "test")[1]
    test_tokens = test_noise.copy()
    unit = np.eye(2, frame.rank)
    add_signals(test_tokens, test_true, mu * unit[0], mu * unit[1], params)
    # Test tokens stay in the r-dimensional frame and q is rebuilt there per evaluation
    # (``ProjectedSplit``'s on-demand mode): r <= 2m + 4, so this costs what basis rows would,
    # without an (n_test T) x r x 2m product at set-up.
    test = ProjectedSplit(
        tokens=test_tokens,
        train_tokens=tokens.T if joint else None,
        y0=images.T,
        w0=None,
        gamma=test_tokens @ nu,
        labels=test_true.copy(),
        true_labels=test_true,
        noisy=np.zeros(params.n_test, dtype=bool),
    )
    return ReducedProblem(
        train=train,
        gamma=train_tokens @ nu,
        gram=gram,
        metric=metric,
        test=test,
        train_mode=params.train,
        roles=token_roles(params),
        test_source="latent",
    )
