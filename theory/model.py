"""The one-layer attention model with a fixed head, and its logistic loss, as SymPy expressions.

Two forms:

- ``symbolic_length_model``: a single input with a *symbolic* number of tokens T, written with
  ``IndexedBase`` and ``Sum`` (logits z_t, scores gamma_t);
- ``ExplicitInstance``: n inputs of T tokens in d dimensions with every entry a symbol, for
  exact checks in small explicit dimensions.

f(X) = sum_t s_t gamma_t, s = softmax(X W p), gamma_t = nu^T x_t; loss l(z) = log(1 + e^{-z}).

Paper: the paper's setting (model and training objective); derivations/model_loss.py.
"""

from __future__ import annotations

import dataclasses

import sympy

from theory import symbols as sym

__all__ = [
    "logistic_loss",
    "logistic_weight",
    "SymbolicLengthModel",
    "symbolic_length_model",
    "ExplicitInstance",
    "explicit_instance",
    "softmax",
]


def logistic_loss(margin: sympy.Expr) -> sympy.Expr:
    """l(m) = log(1 + e^{-m}).

    Paper: the logistic loss of the paper's setting.
    """
    return sympy.log(1 + sympy.exp(-margin))


def logistic_weight(margin: sympy.Expr) -> sympy.Expr:
    """g(m) = 1 / (1 + e^{m}) = -l'(m): the weight of a sample in the gradient.

    Paper: derivative of the logistic loss (derivations/gradients.py, g_i).
    """
    return 1 / (1 + sympy.exp(margin))


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SymbolicLengthModel:
    """One input with T tokens, T a symbol: logits z[t], scores gamma[t], t = 1..T.

    Paper: f(X) = sum_t s_t gamma_t with s = softmax(z) (the paper's setting).

    Parameters
    ----------
    length : sympy.Symbol
        The number of tokens T.
    logits, scores : sympy.IndexedBase
        z and gamma.
    index, summation_index : sympy.Symbol
        A free token index j and the bound summation index.
    """

    length: sympy.Symbol
    logits: sympy.IndexedBase
    scores: sympy.IndexedBase
    index: sympy.Symbol
    summation_index: sympy.Symbol

    def partition(self) -> sympy.Expr:
        """Z = sum_t e^{z_t}."""
        t = self.summation_index
        return sympy.Sum(sympy.exp(self.logits[t]), (t, 1, self.length))

    def attention(self, token: sympy.Expr) -> sympy.Expr:
        """s_j = e^{z_j} / Z."""
        return sympy.exp(self.logits[token]) / self.partition()

    def output(self) -> sympy.Expr:
        """f = sum_t s_t gamma_t."""
        t = self.summation_index
        return sympy.Sum(sympy.exp(self.logits[t]) * self.scores[t], (t, 1, self.length)) / self.partition()


def symbolic_length_model() -> SymbolicLengthModel:
    """The model for one input with a symbolic number of tokens T (``symbols.seq_len``).

    Paper: the paper's setting.
    """
    j, t = sympy.symbols("j t", integer=True, positive=True)
    return SymbolicLengthModel(
        length=sym.seq_len,
        logits=sympy.IndexedBase("z", real=True),
        scores=sympy.IndexedBase("gamma", real=True),
        index=j,
        summation_index=t,
    )


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ExplicitInstance:
    """n inputs of T tokens in d dimensions, every entry an independent real symbol.

    Paper: the training set {(X_i, y_i)} and parameters (W, p, nu) of the paper's setting.

    Parameters
    ----------
    tokens : tuple of sympy.Matrix
        n matrices T x d (rows are tokens x_{i,t}).
    W : sympy.Matrix
        d x d key-query matrix.
    p : sympy.Matrix
        d x 1 query.
    nu : sympy.Matrix
        d x 1 head.
    labels : sympy.Matrix
        n x 1 observed labels y_i (symbols; the identities do not need y_i = +-1).
    """

    tokens: tuple[sympy.Matrix, ...]
    W: sympy.Matrix
    p: sympy.Matrix
    nu: sympy.Matrix
    labels: sympy.Matrix

    def __post_init__(self) -> None:
        d = self.W.shape[0]
        if self.W.shape != (d, d) or self.p.shape != (d, 1) or self.nu.shape != (d, 1):
            raise ValueError(f"shapes W {self.W.shape}, p {self.p.shape}, nu {self.nu.shape}: need (d,d), (d,1), (d,1)")
        if not self.tokens or any(x.shape != self.tokens[0].shape or x.shape[1] != d for x in self.tokens):
            raise ValueError("tokens must be n >= 1 matrices of one shape T x d")
        if self.labels.shape != (len(self.tokens), 1):
            raise ValueError(f"labels shape {self.labels.shape}: need ({len(self.tokens)}, 1)")

    @property
    def n(self) -> int:
        """Number of samples."""
        return len(self.tokens)

    @property
    def seq_len(self) -> int:
        """Tokens per sample T."""
        return self.tokens[0].shape[0]

    @property
    def stacked(self) -> sympy.Matrix:
        """X_f: the nT x d matrix of all tokens, sample-major."""
        return sympy.Matrix.vstack(*self.tokens)

    def logits(self, i: int) -> sympy.Matrix:
        """z_i = X_i W p (T x 1)."""
        return self.tokens[i] * self.W * self.p

    def scores(self, i: int) -> sympy.Matrix:
        """gamma_i = X_i nu (T x 1)."""
        return self.tokens[i] * self.nu

    def attention(self, i: int) -> sympy.Matrix:
        """s_i = softmax(z_i)."""
        return softmax(self.logits(i))

    def output(self, i: int) -> sympy.Expr:
        """f_i = s_i^T gamma_i."""
        return (self.attention(i).T * self.scores(i))[0, 0]

    def loss(self) -> sympy.Expr:
        """L = (1/n) sum_i l(y_i f_i)."""
        return sum(logistic_loss(self.labels[i] * self.output(i)) for i in range(self.n)) / self.n


def softmax(z: sympy.Matrix) -> sympy.Matrix:
    """softmax of a column vector.

    Paper: the token-selection map s = softmax(X W p).
    """
    exps = z.applyfunc(sympy.exp)
    return exps / sum(exps)


def explicit_instance(n: int, seq_len: int, dim: int) -> ExplicitInstance:
    """A fully symbolic instance of the given small sizes.

    Paper: the paper's setting (symbols ``x_i_t_k``, ``W_a_b``, ``p_a``, ``nu_a``, ``y_i``).
    """
    for name, value, minimum in (("n", n, 1), ("seq_len", seq_len, 1), ("dim", dim, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"{name}={value!r}: must be an integer >= {minimum}")
    tokens = tuple(
        sympy.Matrix(seq_len, dim, lambda t, k, i=i: sympy.Symbol(f"x_{i}_{t}_{k}", real=True)) for i in range(n)
    )
    return ExplicitInstance(
        tokens=tokens,
        W=sympy.Matrix(dim, dim, lambda a, b: sympy.Symbol(f"W_{a}_{b}", real=True)),
        p=sympy.Matrix(dim, 1, lambda a, _: sympy.Symbol(f"p_{a}", real=True)),
        nu=sympy.Matrix(dim, 1, lambda a, _: sympy.Symbol(f"nu_{a}", real=True)),
        labels=sympy.Matrix(n, 1, lambda i, _: sympy.Symbol(f"y_{i}", real=True)),
    )
