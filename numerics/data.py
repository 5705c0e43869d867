"""The paper's synthetic data, drawn as the official code draws it, and the initial weights.

Paper: the paper's data model and the official generator: per sample, the relevant tokens
carry mu_{y*} + xi, the weakly relevant aligned ones rho mu_{y*} + xi, the weakly relevant
opposite ones rho mu_{-y*} + xi, the rest xi, xi ~ N(0, I_d); one token per role in the paper,
several in the authors' p-only study (positions from ``theory.roles.token_roles``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np

from numerics.budget import check_memory, data_bytes
from theory.params import ProblemParams
from theory.roles import token_roles

__all__ = [
    "Data",
    "Split",
    "SPLITS",
    "signals",
    "class_labels",
    "noisy_mask",
    "label_layout",
    "split_labels",
    "labels_only",
    "add_signals",
    "signal_coefficients",
    "draw_noise",
    "noise_blocks",
    "draw_split",
    "make_data",
    "test_rng",
    "initial_weights",
    "init_rng",
    "init_variance",
]

SPLITS = ("train", "test")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Split:
    """Samples of one split: tokens (n, T, d), observed and true labels (+-1.0), noisy mask."""

    tokens: np.ndarray
    labels: np.ndarray
    true_labels: np.ndarray
    noisy: np.ndarray


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Data:
    """Training and test splits with the signals mu_1, mu_2 and the fixed head nu."""

    train: Split
    test: Split
    mu1: np.ndarray
    mu2: np.ndarray
    nu: np.ndarray


def signals(params: ProblemParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """mu_1 = ||mu|| e_1, mu_2 = ||mu|| e_2 and nu = (mu_1 - mu_2) / (sqrt(2) ||mu||^2).

    Paper: the paper's setting, the fixed linear head with nu^T mu_1 = 1/sqrt(2) = -nu^T mu_2.
    """
    mu1 = np.zeros(params.dim)
    mu2 = np.zeros(params.dim)
    mu1[0] = params.signal_norm
    mu2[1] = params.signal_norm
    nu = (mu1 - mu2) / (np.sqrt(2.0) * params.signal_norm**2)
    return mu1, mu2, nu


def class_labels(count: int) -> np.ndarray:
    """True labels: the first floor(count/2) samples are +1, the rest -1 (official order)."""
    labels = -np.ones(count)
    labels[: count // 2] = 1.0
    return labels


def noisy_mask(count: int, n_noisy: int) -> np.ndarray:
    """The official flips: the first floor(k/2) samples of each class block.

    Paper: label noise at rate eta; k = ceil(count * eta) flips (the official generator in the authors' public code).
    """
    mask = np.zeros(count, dtype=bool)
    mask[: n_noisy // 2] = True
    mask[count // 2 : count // 2 + n_noisy // 2] = True
    return mask


def label_layout(count: int, n_noisy: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed labels, true labels and noisy mask of ``count`` samples with ``n_noisy`` flips,
    in the balanced (v2/v3) layout.

    Paper: label noise (the official generator in the authors' public code): the observed label is -y* on the
    flipped samples. Depends only on the counts, so no d-dimensional draw is needed for it.
    """
    true_labels = class_labels(count)
    noisy = noisy_mask(count, n_noisy)
    return np.where(noisy, -true_labels, true_labels), true_labels, noisy


def _label_rng(params: ProblemParams, split: str) -> np.random.Generator:
    # Its own stream, so that the noise draws are the same for both labellings. The test stream
    # follows the test noise: the official layout reuses the training stream (its first test
    # samples are copies of the training samples, true labels included).
    if split == "train" or params.layout == "official":
        return np.random.default_rng([params.seed, 3])
    if params.test_seed is not None:
        return np.random.default_rng([params.test_seed, 3])
    return np.random.default_rng([params.seed, 1, 3])


def split_labels(params: ProblemParams, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed labels, true labels and noisy mask of the training or test split of ``params``.

    Paper: label noise at rate eta. ``labels="balanced"`` is ``label_layout`` (v2/v3 code);
    ``labels="random"`` (v1) draws Y* uniformly at random and flips exactly k = ceil(n eta)
    training samples chosen uniformly at random, from ``default_rng([seed, 3])`` (the authors
    use torch's generator: the same law, not the same draws). Test labels are never flipped.
    """
    if split not in SPLITS:
        raise ValueError(f"split={split!r}: must be one of {', '.join(SPLITS)}")
    count, n_noisy = (params.n_train, params.n_noisy) if split == "train" else (params.n_test, 0)
    if params.labels == "balanced":
        return label_layout(count, n_noisy)
    rng = _label_rng(params, split)
    true_labels = np.where(rng.random(count) < 0.5, 1.0, -1.0)
    noisy = np.zeros(count, dtype=bool)
    noisy[rng.choice(count, size=n_noisy, replace=False)] = True
    return np.where(noisy, -true_labels, true_labels), true_labels, noisy


def labels_only(params: ProblemParams) -> Split:
    """The training split without tokens: labels, true labels and noisy mask (all a trajectory
    reads from it), with no d-dimensional draw."""
    labels, true_labels, noisy = split_labels(params, "train")
    return Split(
        tokens=np.empty((params.n_train, params.seq_len, 0)), labels=labels, true_labels=true_labels, noisy=noisy
    )


def add_signals(noise: np.ndarray, true_labels: np.ndarray, mu1, mu2, params: ProblemParams) -> np.ndarray:
    """Add mu_{y*}, rho mu_{y*} and rho mu_{-y*} to the relevant, weakly relevant aligned and
    weakly relevant opposite tokens of ``noise`` (in place; roles from ``token_roles(params)``).

    Works on any trailing coordinate system, so the reduced engine can pass projected noise
    with projected signals.
    """
    roles = token_roles(params)
    positive = (true_labels > 0)[:, None, None]
    own = np.where(positive, mu1, mu2)
    other = np.where(positive, mu2, mu1)
    noise[:, roles.relevant] += own
    noise[:, roles.weak_aligned] += params.rho * own
    noise[:, roles.weak_opposite] += params.rho * other
    return noise


def signal_coefficients(true_labels: np.ndarray, params: ProblemParams, *, token_major: bool = False) -> np.ndarray:
    """Per-token signal coefficients on (e_1, e_2), shape (count T, 2): the official recipe
    applied to unit signals in the signal plane. Sample-major rows (index i T + t) unless
    ``token_major`` (index t count + i)."""
    plane = add_signals(
        np.zeros((true_labels.size, params.seq_len, 2)), true_labels, np.array([1.0, 0.0]), np.array([0.0, 1.0]), params
    )
    return (plane.transpose(1, 0, 2) if token_major else plane).reshape(-1, 2)


def test_rng(params: ProblemParams) -> np.random.Generator:
    """The test set's generator: ``default_rng(seed)`` for the official layout (so the first
    test samples reuse the training noise, as in the official code), otherwise
    ``default_rng(test_seed)`` or, when unset, ``default_rng([seed, 1])``."""
    if params.layout == "official":
        return np.random.default_rng(params.seed)
    if params.test_seed is not None:
        return np.random.default_rng(params.test_seed)
    return np.random.default_rng([params.seed, 1])


def _legacy_state(params: ProblemParams, split: str) -> np.random.RandomState:
    # The legacy generator seeded as test_rng seeds the default one: the official layout's test
    # set reuses the training seed (the authors' code), an independent one test_seed or [seed, 1].
    if split == "train" or params.layout == "official":
        return np.random.RandomState(params.seed)
    return np.random.RandomState(params.test_seed if params.test_seed is not None else [params.seed, 1])


def draw_noise(params: ProblemParams, split: str) -> np.ndarray:
    """The noise xi of the training or test split, (count, T, d) float64, before any signal.

    ``generator="default"``: one ``standard_normal((count, T, d))`` call of ``default_rng(seed)``
    (training) or ``test_rng(params)`` (test). ``generator="legacy"``: the values of
    ``np.random.seed(s); np.random.randn(count, T, d).astype(np.float32)`` (the authors'
    Jan-2025 code), drawn sample by sample from a private ``RandomState`` (the same stream,
    without a float64 copy of the whole block or a change to numpy's global state).
    """
    count = params.n_train if split == "train" else params.n_test
    ((_, noise),) = noise_blocks(params, split, max(count, 1))
    return noise


def noise_blocks(params: ProblemParams, split: str, samples: int) -> Iterator[tuple[slice, np.ndarray]]:
    """``draw_noise(params, split)`` in blocks of ``samples`` samples: (which samples, their noise).

    The same numbers as the whole draw (a generator's stream does not depend on how it is cut),
    without ever holding the whole (count, T, d) array: every block is written into one buffer,
    so a block is only valid until the next one is drawn.
    """
    if split not in SPLITS:
        raise ValueError(f"split={split!r}: must be one of {', '.join(SPLITS)}")
    count = params.n_train if split == "train" else params.n_test
    if params.generator == "default":
        rng = np.random.default_rng(params.seed) if split == "train" else test_rng(params)

        def fill(block: np.ndarray) -> None:
            rng.standard_normal(out=block)

    else:
        state = _legacy_state(params, split)

        def fill(block: np.ndarray) -> None:
            for sample in block:
                sample[...] = state.randn(params.seq_len, params.dim).astype(np.float32)

    buffer = np.empty((min(samples, count), params.seq_len, params.dim))
    for start in range(0, count, samples):
        stop = min(start + samples, count)
        fill(buffer[: stop - start])
        yield slice(start, stop), buffer[: stop - start]


def draw_split(params: ProblemParams, split: str) -> Split:
    """Draw the training or test split: ``draw_noise``, then ``split_labels`` and the signals."""
    mu1, mu2, _ = signals(params)
    labels, true_labels, noisy = split_labels(params, split)
    tokens = add_signals(draw_noise(params, split), true_labels, mu1, mu2, params)
    return Split(tokens=tokens, labels=labels, true_labels=true_labels, noisy=noisy)


def make_data(params: ProblemParams) -> Data:
    """Training and test data, draw for draw as the official code for the training split.

    Paper: the paper's data model; the authors' public code for the exact recipe.

    Raises
    ------
    ValueError
        When the tokens would exceed the memory budget (``numerics.budget``).
    """
    check_memory("the data draw", data_bytes(params), params)
    mu1, mu2, nu = signals(params)
    return Data(train=draw_split(params, "train"), test=draw_split(params, "test"), mu1=mu1, mu2=mu2, nu=nu)


def init_rng(params: ProblemParams) -> np.random.Generator:
    """W_0's generator: ``default_rng(init_seed)``, or ``default_rng([seed, 2])`` when unset.

    Its own stream keeps the data draws unchanged whatever W_0 is.
    """
    if params.init_seed is not None:
        return np.random.default_rng(params.init_seed)
    return np.random.default_rng([params.seed, 2])


def init_variance(dim: int) -> float:
    """Variance 1/(3d) of W_0's entries, for both initialisations (U(-a, a) has variance a^2/3)."""
    return 1.0 / (3.0 * dim)


def initial_weights(params: ProblemParams) -> np.ndarray:
    """W_0 (d x d) from ``init_rng``: Kaiming-uniform U(-1/sqrt(d), 1/sqrt(d)) entries
    (``init="uniform"``) or N(0, 1/(3d)) entries (``init="gaussian"``).

    Paper: v3 initialises W as PyTorch's Linear default (kaiming_uniform, a = sqrt(5)),
    whose bound is 1/sqrt(fan_in). The Gaussian has the same variance; its rotation
    invariance is what the d-free draw of ``numerics.latent`` needs.
    """
    check_memory("the initial weights W_0", 8 * params.dim**2, params)
    rng, shape = init_rng(params), (params.dim, params.dim)
    if params.init == "gaussian":
        return rng.normal(0.0, np.sqrt(init_variance(params.dim)), shape)
    bound = 1.0 / np.sqrt(params.dim)
    return rng.uniform(-bound, bound, shape)
