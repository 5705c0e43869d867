"""Boundary fits recover a known law from simulated outcomes, and reject a wrong one."""

from __future__ import annotations

import math

import numpy as np
import pytest

from verify.experiments.boundary_fit import Outcomes, calibrate_constant, fit_boundary, fit_logistic


def simulated(a, b, *, constant=2.0, sharpness=6.0, seeds=5, rng_seed=1):
    """Outcomes drawn from P(outcome) = sigmoid(sharpness (log mu* - log mu)), mu* = C d^a n^b."""
    rng = np.random.default_rng(rng_seed)
    rows = []
    for d in np.geomspace(1e2, 1e8, 7):
        for n in (10, 20, 40, 80):
            centre = math.log(constant) + a * math.log(d) + b * math.log(n)
            for mu in np.exp(centre + np.linspace(-1.5, 1.5, 9)):
                p = 1 / (1 + math.exp(-sharpness * (centre - math.log(mu))))
                for seed in range(seeds):
                    rows.append((d, n, mu, seed, rng.random() < p))
    d, n, mu, seed, outcome = map(np.array, zip(*rows))
    return Outcomes(dim=d, n_train=n, signal_norm=mu, seed=seed, outcome=outcome)


def test_logistic_fit_matches_the_known_coefficients_on_a_large_sample():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20000, 2))
    truth = np.array([0.5, -2.0, 1.0])
    features = np.column_stack([np.ones(len(x)), x])
    outcome = rng.random(len(x)) < 1 / (1 + np.exp(-features @ truth))
    fit = fit_logistic(features, outcome, ridge=0.0)
    assert fit.converged
    np.testing.assert_allclose(fit.coefficients, truth, atol=0.08)


def test_fit_recovers_both_exponents_with_intervals_that_cover_them():
    fit = fit_boundary(simulated(0.5, -0.5), bootstrap=100)
    assert fit.exponent_d["ci_low"] <= 0.5 <= fit.exponent_d["ci_high"]
    assert fit.exponent_n["ci_low"] <= -0.5 <= fit.exponent_n["ci_high"]
    assert fit.exponent_d["half_width"] < 0.05 and fit.exponent_n["half_width"] < 0.1
    assert math.exp(fit.log_constant["estimate"]) == pytest.approx(2.0, rel=0.15)


def test_fit_rejects_a_wrong_law():
    # Outcomes from ||mu||* ∝ d^(1/2): the interval must exclude the harmful boundary's 1/4.
    fit = fit_boundary(simulated(0.5, 0.0), bootstrap=100)
    assert not fit.exponent_d["ci_low"] <= 0.25 <= fit.exponent_d["ci_high"]
    assert fit.exponent_n["ci_low"] <= 0.0 <= fit.exponent_n["ci_high"]


def test_calibrated_constant_covers_the_truth():
    constant = calibrate_constant(simulated(0.25, 0.0, constant=3.0), exponent_d=0.25, bootstrap=100)
    assert constant["ci_low"] <= 3.0 <= constant["ci_high"]


def test_a_design_without_a_boundary_is_refused():
    outcomes = simulated(0.5, -0.5)
    always = Outcomes(
        dim=outcomes.dim,
        n_train=outcomes.n_train,
        signal_norm=outcomes.signal_norm,
        seed=outcomes.seed,
        outcome=np.ones(len(outcomes), dtype=bool),
    )
    with pytest.raises(ValueError, match="never changes"):
        fit_boundary(always)
    with pytest.raises(ValueError, match="finite and > 0"):
        Outcomes(dim=[1.0, -1.0], n_train=[1, 1], signal_norm=[1, 1], seed=[0, 0], outcome=[True, False])


def deterministic(a, *, constant=2.0, points=8):
    """Every seed agrees at every design point (a sharp boundary), on a coarse grid in ||mu||
    whose cells are placed differently in each column: only the grid brackets the contour."""
    rows = []
    for k, d in enumerate(np.geomspace(1e2, 1e4, 5)):
        centre = math.log(constant) + a * math.log(d)
        grid = centre + np.linspace(-2.0, 2.0, points) + 0.37 * k % 0.5
        for mu in np.exp(grid):
            for seed in range(5):
                rows.append((d, 20, mu, seed, math.log(mu) > centre))
    d, n, mu, seed, outcome = map(np.array, zip(*rows))
    return Outcomes(dim=d, n_train=n, signal_norm=mu, seed=seed, outcome=outcome)


def test_intervals_carry_the_grid_resolution_when_every_seed_agrees():
    # Resampling seeds alone would give a zero-width interval here; the grid's resolution
    # (cells of width 4/7 in log ||mu|| over two decades of d) must show in the interval and
    # the interval must still cover the law that made the outcomes.
    fit = fit_boundary(deterministic(0.5), bootstrap=200)
    assert fit.exponent_d["half_width"] > 0.02
    assert fit.exponent_d["ci_low"] <= 0.5 <= fit.exponent_d["ci_high"]
    constant = calibrate_constant(deterministic(0.5, constant=3.0), exponent_d=0.5, bootstrap=200)
    assert constant["half_width"] > 0.05 and constant["ci_low"] <= 3.0 <= constant["ci_high"]


def test_the_estimate_is_the_bootstraps_median_and_lies_inside_its_interval():
    # With every seed agreeing, the plain fit sits wherever the ridge puts it inside the grid cell,
    # and can fall outside the interval of draws that place the boundary anywhere in the cell.
    fit = fit_boundary(deterministic(0.5), bootstrap=200)
    for interval in (fit.exponent_d, fit.log_constant):
        assert interval["ci_low"] <= interval["estimate"] <= interval["ci_high"]
        assert "point_fit" in interval
