"""Boundary laws from outcomes: a logistic model in (log d, log ||mu||, log n), exponents with
bootstrap confidence intervals over seeds, and calibrated constants.

A boundary of the regime map is where a binary outcome flips: "clean test error > eps_err"
(harmful | benign, among runs that fitted every label) or "every noisy label fitted within the
horizon" (benign | not overfitting). We model

    P(outcome) = sigmoid(b0 + b_mu log ||mu|| + b_d log d + b_n log n)

so the 50 % contour is log ||mu||* = -(b0 + b_d log d + b_n log n) / b_mu, i.e.
||mu||* ∝ d^a n^b with a = -b_d / b_mu and b = -b_n / b_mu. A small ridge penalty keeps the
coefficients finite when the outcomes are perfectly separated (the ratio a, b stays defined).
Confidence intervals come from a cluster bootstrap: each design point keeps its position and
its seeds are resampled with replacement. Where every seed of a design point agrees (the usual
case away from the boundary, and often at it), resampling seeds changes nothing and the
interval would shrink to a point although the grid only brackets the contour. Each bootstrap
draw therefore also moves every (d, n) column of the grid by its own uniform offset within one
grid step of log ||mu|| — the boundary is known only to lie somewhere inside the grid cell that
brackets it — so the intervals carry the grid's resolution as well as the seeds' scatter.

Paper: arXiv 2409.17625 v3 Figure 1 (harmful below SNR ~ d^(-1/4): ||mu|| ∝ d^(1/4), n-free;
not overfitting above SNR ~ n^(-1/2): ||mu|| ∝ d^(1/2) n^(-1/2)).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["Outcomes", "LogisticFit", "fit_logistic", "BoundaryFit", "fit_boundary", "calibrate_constant"]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Outcomes:
    """One binary outcome per run, with the run's design point and seed.

    Attributes
    ----------
    dim, n_train, signal_norm : arrays of the design point of each run
    seed : array of the run's seed (runs sharing a design point and differing in seed are the
        bootstrap's resampling unit)
    outcome : bool array
    """

    dim: np.ndarray
    n_train: np.ndarray
    signal_norm: np.ndarray
    seed: np.ndarray
    outcome: np.ndarray

    def __post_init__(self) -> None:
        sizes = {
            name: np.asarray(getattr(self, name)).shape for name in ("dim", "n_train", "signal_norm", "seed", "outcome")
        }
        if len(set(sizes.values())) != 1 or len(next(iter(sizes.values()))) != 1:
            raise ValueError(f"outcome arrays must be one-dimensional and of equal length, got {sizes}")
        for name in ("dim", "n_train", "signal_norm"):
            values = np.asarray(getattr(self, name), dtype=np.float64)
            if not np.all(np.isfinite(values) & (values > 0)):
                raise ValueError(f"{name}: every value must be finite and > 0")
            object.__setattr__(self, name, values)
        object.__setattr__(self, "outcome", np.asarray(self.outcome, dtype=bool))

    def __len__(self) -> int:
        return len(self.outcome)

    def features(self, *, use_n: bool) -> np.ndarray:
        """Columns 1, log ||mu||, log d (and log n)."""
        columns = [np.ones(len(self)), np.log(self.signal_norm), np.log(self.dim)]
        if use_n:
            columns.append(np.log(self.n_train))
        return np.column_stack(columns)

    def subset(self, index: np.ndarray) -> Outcomes:
        return Outcomes(
            dim=self.dim[index],
            n_train=self.n_train[index],
            signal_norm=self.signal_norm[index],
            seed=np.asarray(self.seed)[index],
            outcome=self.outcome[index],
        )


@dataclasses.dataclass(frozen=True, slots=True)
class LogisticFit:
    coefficients: np.ndarray
    iterations: int
    converged: bool


def fit_logistic(
    features: np.ndarray, outcome: np.ndarray, *, ridge: float = 1e-3, max_iterations: int = 100, tol: float = 1e-10
) -> LogisticFit:
    """Penalised maximum likelihood of sigmoid(features @ b) by Newton's method.

    The penalty ``ridge * |b[1:]|^2 / 2`` (not on the intercept) keeps b finite when the data
    are separable. Never raises on non-convergence: ``converged`` says.
    """
    X = np.asarray(features, dtype=np.float64)
    y = np.asarray(outcome, dtype=np.float64)
    b = np.zeros(X.shape[1])
    penalty = np.full(X.shape[1], ridge)
    penalty[0] = 0.0
    for iteration in range(1, max_iterations + 1):
        eta = X @ b
        p = 0.5 * (1.0 + np.tanh(0.5 * eta))  # sigmoid without overflow
        weight = np.maximum(p * (1.0 - p), 1e-12)
        gradient = X.T @ (y - p) - penalty * b
        hessian = (X * weight[:, None]).T @ X + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        b = b + step
        if np.max(np.abs(step)) < tol * (1.0 + np.max(np.abs(b))):
            return LogisticFit(b, iteration, True)
    return LogisticFit(b, max_iterations, False)


def _exponents(fit: LogisticFit, *, use_n: bool) -> dict[str, float]:
    b = fit.coefficients
    if b[1] == 0:
        return {"exponent_d": math.nan, "exponent_n": math.nan, "log_constant": math.nan}
    out = {"exponent_d": -b[2] / b[1], "log_constant": -b[0] / b[1]}
    out["exponent_n"] = -b[3] / b[1] if use_n else math.nan
    return out


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class BoundaryFit:
    """The fitted boundary ||mu||* = e^c d^a n^b and its bootstrap intervals.

    ``coefficients`` are the logistic model's (b0, b_mu, b_d[, b_n]); ``coefficient_draws``
    the bootstrap's, for bands around the fitted contour.
    """

    exponent_d: dict[str, float]
    exponent_n: dict[str, float] | None
    log_constant: dict[str, float]
    slope_mu: float
    coefficients: list[float]
    coefficient_draws: list[list[float]]
    runs: int
    bootstrap: int
    converged: bool

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def log_boundary_at(self, dim: float, n_train: float, *, level: float = 0.95) -> dict[str, float]:
        """log ||mu||* at one (d, n), with its bootstrap interval: where the boundary is, free of
        the exponent-intercept correlation that widens ``log_constant`` (an intercept at d = n = 1)."""

        def contour(b: Sequence[float]) -> float:
            if b[1] == 0:
                return math.nan
            return -(b[0] + b[2] * math.log(dim) + (b[3] * math.log(n_train) if len(b) > 3 else 0.0)) / b[1]

        draws = np.array([contour(b) for b in self.coefficient_draws]) if self.coefficient_draws else np.array([])
        return _interval(contour(self.coefficients), draws, level)


def _interval(point_fit: float, samples: np.ndarray, level: float) -> dict[str, float]:
    """The bootstrap's median as the estimate, its central ``level`` interval, and the fit to the
    data as they are (``point_fit``). Where all seeds agree the data only bracket the boundary
    within a grid cell and the plain fit puts it wherever the ridge penalty does; the median over
    draws that place it anywhere in the cell is the estimate that matches the interval."""
    finite = samples[np.isfinite(samples)]
    alpha = (1.0 - level) / 2
    if finite.size:
        low, median, high = np.quantile(finite, [alpha, 0.5, 1.0 - alpha])
    else:
        low = median = high = math.nan
    return {
        "estimate": float(median),
        "ci_low": float(low),
        "ci_high": float(high),
        "half_width": float((high - low) / 2),
        "point_fit": float(point_fit),
    }


def _grid_jitter(outcomes: Outcomes, rng: np.random.Generator) -> Outcomes:
    """The outcomes with each (d, n) column's log ||mu|| shifted by one uniform draw in
    (-step/2, step/2), where step is the column's median spacing of log ||mu||."""
    columns = np.column_stack([outcomes.dim, outcomes.n_train])
    _, column = np.unique(columns, axis=0, return_inverse=True)
    column = column.ravel()
    log_mu = np.log(outcomes.signal_norm)
    shifted = log_mu.copy()
    for c in np.unique(column):
        members = column == c
        values = np.unique(log_mu[members])
        step = float(np.median(np.diff(values))) if values.size > 1 else 0.0
        shifted[members] += rng.uniform(-step / 2, step / 2)
    return Outcomes(
        dim=outcomes.dim,
        n_train=outcomes.n_train,
        signal_norm=np.exp(shifted),
        seed=outcomes.seed,
        outcome=outcomes.outcome,
    )


def _bootstrap_sample(outcomes: Outcomes, rng: np.random.Generator) -> Outcomes:
    """Seeds resampled within each design point, then the grid-resolution shift."""
    return _grid_jitter(outcomes.subset(_cluster_bootstrap_index(outcomes, rng)), rng)


def _cluster_bootstrap_index(outcomes: Outcomes, rng: np.random.Generator) -> np.ndarray:
    keys = np.column_stack([outcomes.dim, outcomes.n_train, outcomes.signal_norm])
    _, group = np.unique(keys, axis=0, return_inverse=True)
    index = []
    for g in np.unique(group):
        members = np.flatnonzero(group == g)
        index.append(rng.choice(members, size=members.size, replace=True))
    return np.concatenate(index)


def fit_boundary(
    outcomes: Outcomes,
    *,
    use_n: bool | None = None,
    bootstrap: int = 200,
    level: float = 0.95,
    seed: int = 0,
    ridge: float = 1e-3,
) -> BoundaryFit:
    """Fit the 50 % contour of ``outcomes`` and bootstrap its exponents over seeds.

    ``use_n`` (default: when the design has more than one n) adds log n to the model.
    """
    if len(outcomes) < 4:
        raise ValueError(f"need at least 4 runs to fit a boundary, got {len(outcomes)}")
    if outcomes.outcome.all() or not outcomes.outcome.any():
        raise ValueError("the outcome never changes over the design: no boundary inside it")
    use_n = bool(np.unique(outcomes.n_train).size > 1) if use_n is None else use_n
    fit = fit_logistic(outcomes.features(use_n=use_n), outcomes.outcome, ridge=ridge)
    point = _exponents(fit, use_n=use_n)
    rng = np.random.default_rng(seed)
    draws = {key: np.full(bootstrap, np.nan) for key in point}
    coefficient_draws = []
    for k in range(bootstrap):
        sample = _bootstrap_sample(outcomes, rng)
        if sample.outcome.all() or not sample.outcome.any():
            continue
        refit = fit_logistic(sample.features(use_n=use_n), sample.outcome, ridge=ridge)
        coefficient_draws.append([float(v) for v in refit.coefficients])
        for key, value in _exponents(refit, use_n=use_n).items():
            draws[key][k] = value
    return BoundaryFit(
        exponent_d=_interval(point["exponent_d"], draws["exponent_d"], level),
        exponent_n=_interval(point["exponent_n"], draws["exponent_n"], level) if use_n else None,
        log_constant=_interval(point["log_constant"], draws["log_constant"], level),
        slope_mu=float(fit.coefficients[1]),
        coefficients=[float(v) for v in fit.coefficients],
        coefficient_draws=coefficient_draws,
        runs=len(outcomes),
        bootstrap=bootstrap,
        converged=fit.converged,
    )


def calibrate_constant(
    outcomes: Outcomes,
    *,
    exponent_d: float,
    exponent_n: float = 0.0,
    bootstrap: int = 200,
    level: float = 0.95,
    seed: int = 0,
    ridge: float = 1e-3,
) -> dict[str, float]:
    """C in ||mu||* = C d^a n^b with the exponents fixed at the theory's (a, b): the 50 % contour
    of a logistic model in the single variable log ||mu|| - a log d - b log n, with a bootstrap
    interval over seeds. Returns ``{"estimate", "ci_low", "ci_high", "half_width"}`` for C."""

    def constant(sample: Outcomes) -> float:
        x = np.log(sample.signal_norm) - exponent_d * np.log(sample.dim) - exponent_n * np.log(sample.n_train)
        fit = fit_logistic(np.column_stack([np.ones(len(sample)), x]), sample.outcome, ridge=ridge)
        return math.exp(-fit.coefficients[0] / fit.coefficients[1]) if fit.coefficients[1] != 0 else math.nan

    if outcomes.outcome.all() or not outcomes.outcome.any():
        raise ValueError("the outcome never changes over the design: no boundary inside it")
    rng = np.random.default_rng(seed)
    draws = np.full(bootstrap, np.nan)
    for k in range(bootstrap):
        sample = _bootstrap_sample(outcomes, rng)
        if sample.outcome.any() and not sample.outcome.all():
            draws[k] = constant(sample)
    return _interval(constant(outcomes), draws, level)
