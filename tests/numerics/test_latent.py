"""The latent draw against the d-dimensional draw: exact in distribution, and able to fail.

Expected values come from the full d-dimensional simulation (Gaussian W_0, d-dimensional
tokens, the reduced engine on them), never from the latent draw itself. Each comparison has a
twin in which the latent sampler is made wrong on purpose (a wrong Wishart degree of freedom,
a dropped cross term of X (W_0 W_0^T)^2 X^T), and that twin must be rejected.

Level: a comparison passes when every KS two-sample p-value is above 0.01 / (number of
quantities) (Bonferroni, family-wise level 1 %); seeds are fixed, so every outcome is
reproducible.
"""

import functools
import itertools

import numpy as np
import pytest
from scipy import stats

import numerics.latent as latent
from numerics.data import initial_weights, noisy_mask
from numerics.reduced import descend_reduced, problem_drive
from numerics.subspace import reduce_problem
from theory.params import ProblemParams

#: An early checkpoint: there q = W p is still mostly W_0 W_0^T X^T b, so test logits weigh
#: X (W_0 W_0^T)^2 X^T directly.
EARLY = 10
#: Checkpoint spacing: the noisy-fit step is resolved to this many steps (the same for both draws).
EVERY = 5
#: Names of the compared outcome quantities (``outcomes`` columns).
QUANTITIES = (
    "final train loss",
    "final test loss",
    "noisy attention on the weakly relevant opposite token",
    "test error",
    "noisy-fit step",
    f"train loss at step {EARLY}",
    f"test loss at step {EARLY}",
    "test attention on the relevant token",
    "one-step test-logit mean square",
)
LEVEL = 0.01


def setting(dim: int, steps: int = 200) -> ProblemParams:
    """A small problem (m = 40) whose noisy samples get fitted within the run at about half the seeds."""
    return ProblemParams(
        n_train=10,
        seq_len=4,
        dim=dim,
        signal_norm=8.0 * (dim / 300) ** 0.25,
        n_test=100,
        step_size=0.05,
        steps=steps,
        init="gaussian",
    )


def outcomes(base: ProblemParams, draw: str, seeds) -> np.ndarray:
    """(len(seeds), 9): the quantities of ``QUANTITIES`` for each seed (GD, reduced engine)."""
    noisy = noisy_mask(base.n_train, base.n_noisy)
    rows = []
    for seed in seeds:
        params = base.replace(seed=seed, draw=draw)
        problem = reduce_problem(params)
        arrays = descend_reduced(problem, step_size=params.step_size, steps=params.steps, record_every=EVERY).arrays
        fitted = arrays["step"][arrays["train_acc_noisy"] >= 1]
        rows.append(
            [
                arrays["train_loss"][-1],
                arrays["test_loss"][-1],
                arrays["attention_train"][-1][noisy, 2].mean(),
                1 - arrays["test_acc"][-1],
                fitted[0] if fitted.size else params.steps + 1,
                arrays["train_loss"][EARLY // EVERY],
                arrays["test_loss"][EARLY // EVERY],
                arrays["test_attention_roles"][-1][0],
                one_step_spread(problem),
            ]
        )
    return np.array(rows)


def one_step_spread(problem) -> float:
    """Mean square of the test logits after one unit step from p = 0: q = W_0 W_0^T X^T c_0, so
    this reads X (W_0 W_0^T)^2 X^T, the block that only test logits see."""
    m = problem.gram.shape[0]
    _, c = problem_drive(problem)(np.zeros(m))
    return float(np.mean(problem.test.logits(np.concatenate((np.zeros(m), c))) ** 2))


def smallest_p(full: np.ndarray, drawn: np.ndarray) -> tuple[float, str]:
    """The smallest KS p-value over the quantities, and its quantity."""
    # The asymptotic distribution: several quantities are discrete (test error, fit step), where
    # it is conservative and the exact one may not converge.
    values = [stats.ks_2samp(full[:, j], drawn[:, j], method="asymp").pvalue for j in range(full.shape[1])]
    j = int(np.argmin(values))
    return values[j], QUANTITIES[j]


def wrong(kind: str):
    """A deliberately wrong ``wishart_factor``.

    "dof": W_0's image V gets d - r_1 degrees of freedom instead of d. Its effect on M_0 is a
    factor 1 - r_1 / d, so it is detectable at small d only (r_1 = m + 2 = 42: 14 % at d = 300).
    "swap": the outside factor gets r_1 degrees of freedom instead of d - r_1 (size and degrees
    of freedom swapped), "cross": the cross term A_2^T V of X (W_0 W_0^T)^2 X^T is dropped; both
    change that block by a factor of about two at every d.
    """
    right = latent.wishart_factor
    calls = itertools.count()

    def factor(rng, size, dof):
        which = next(calls) % 3  # draw_frame's order: noise remainder, W_0's image, outside
        if kind == "dof" and which == 1:
            return right(rng, size, dof - size)
        if kind == "cross" and which == 2:
            return np.zeros((0, size))
        if kind == "swap" and which == 2:
            return right(rng, size, size)
        return right(rng, size, dof)

    return factor


@functools.cache
def full_outcomes(dim: int, seeds: int) -> np.ndarray:
    """The d-dimensional side, computed once per (d, seeds) for a comparison and its twins."""
    return outcomes(setting(dim), "full", range(seeds))


def compare(dim: int, seeds: int, monkeypatch=None, sabotage: str | None = None):
    base = setting(dim)
    full = full_outcomes(dim, seeds)
    if sabotage:
        monkeypatch.setattr(latent, "wishart_factor", wrong(sabotage))
    drawn = outcomes(base, "latent", range(10**6, 10**6 + seeds))
    return smallest_p(full, drawn)


# d = 30: every Wishart factor is a Bartlett factor; d = 12: the outside factor has d - r_1 = 1
# < r_1 degrees of freedom (singular branch); d = 8: the noise remainder too (d - 2 = 6 < m = 9).
@pytest.mark.parametrize("dim", [30, 12, 8])
def test_generator_moments_match_the_full_draw(dim):
    """Means of Gram-type blocks: tr G, tr M_0, tr X N^2 X^T, cross blocks with e_1, e_2."""
    base = ProblemParams(n_train=3, seq_len=3, dim=dim, init="gaussian", n_test=1)
    m, k = 9, 11

    def blocks(gram):
        return np.array(
            [
                np.trace(gram[:m, :m]),
                np.trace(gram[:m, k : k + m]),
                np.trace(gram[k : k + m, k : k + m]),
                gram[m, k + m],
                gram[k + m, k + m],
                gram[0, 1] ** 2,
                np.sum(gram[k : k + m, k : k + m]),
            ]
        )

    def full_gram(params):
        xi = np.random.default_rng(params.seed).standard_normal((m, params.dim))
        w0 = initial_weights(params)
        inputs = np.concatenate((xi.T, np.eye(params.dim, 2)), axis=1)
        generators = np.concatenate((inputs, w0 @ (w0.T @ inputs)), axis=1)
        return generators.T @ generators

    full = np.array([blocks(full_gram(base.replace(seed=s))) for s in range(3000)])
    drawn = np.array(
        [
            blocks((c := latent.draw_frame(base.replace(seed=s, draw="latent")).generators).T @ c)
            for s in range(10**6, 10**6 + 3000)
        ]
    )
    z = (full.mean(0) - drawn.mean(0)) / np.sqrt(full.var(0) / len(full) + drawn.var(0) / len(drawn))
    assert np.all(np.abs(z) < 4.5), z


# About a minute (100 d-dimensional reference runs): the default run checks the generator's
# moments against the full draw (above) and the p-only problem (below); these are the
# end-to-end comparisons at d = 300, and the 200-seed ones at d up to 3000 below.
@pytest.mark.slow
def test_reduced_dynamics_match_at_d300():
    p, quantity = compare(300, 100)
    assert p > LEVEL / len(QUANTITIES), (p, quantity)


@pytest.mark.slow
@pytest.mark.parametrize("sabotage", ["dof", "cross"])
def test_wrong_sampler_is_rejected_at_d300(monkeypatch, sabotage):
    p, quantity = compare(300, 100, monkeypatch, sabotage)
    assert p < LEVEL / len(QUANTITIES), (p, quantity)


@pytest.mark.slow
@pytest.mark.parametrize("dim", [300, 1000, 3000])
def test_reduced_dynamics_match_over_200_seeds(dim):
    p, quantity = compare(dim, 200)
    assert p > LEVEL / len(QUANTITIES), (p, quantity)


@pytest.mark.slow
@pytest.mark.parametrize(
    "dim, sabotage",
    [(300, "dof"), (300, "swap"), (300, "cross"), (1000, "swap"), (1000, "cross"), (3000, "swap"), (3000, "cross")],
)
def test_wrong_sampler_is_rejected_over_200_seeds(monkeypatch, dim, sabotage):
    p, quantity = compare(dim, 200, monkeypatch, sabotage)
    assert p < LEVEL / len(QUANTITIES), (p, quantity)


# At d = 1e8 the first step already makes attention one-hot (G ~ d on its diagonal): the report's
# g-growth check must leave those gaps unmeasured rather than fail them or overflow.
def test_run_at_d_1e8_is_quick_and_valid(tmp_path):
    """The d-free draw at d = 1e8 (a d x d W_0 would need 8e16 bytes): a run and its report."""
    import json
    import time

    from verify.cli import main

    started = time.perf_counter()
    out = tmp_path / "run"
    code = main(
        [
            "run",
            "--dim",
            "100000000",
            "--draw",
            "latent",
            "--init",
            "gaussian",
            "--steps",
            "200",
            "--n-test",
            "200",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    assert time.perf_counter() - started < 30
    report = json.loads((out / "report.json").read_text())
    assert report["params"]["dim"] == 10**8 and report["params"]["draw"] == "latent"
    assert 0 < report["final"]["train_loss"] < 1 and 0 <= report["final"]["test_acc"] <= 1


def test_latent_refuses_what_it_cannot_draw():
    from numerics.gd import run_direct

    params = ProblemParams(dim=50, draw="latent", init="gaussian", steps=2, n_test=5)
    with pytest.raises(ValueError, match="draw='latent'"):
        reduce_problem(params, w0=np.eye(50))
    with pytest.raises(ValueError):
        run_direct(params)


@pytest.mark.parametrize("sabotage", [False, True])
def test_p_only_problem_matches_the_full_draw(monkeypatch, sabotage):
    """p-only training (W = I): tr G, the one-step test-logit mean square and the mean score,
    latent vs full; the twin halves the noise remainder's Wishart degrees of freedom."""
    if sabotage:
        right = latent.wishart_factor
        monkeypatch.setattr(latent, "wishart_factor", lambda rng, size, dof: right(rng, size, dof // 2))
    base = ProblemParams(n_train=4, seq_len=3, dim=40, n_test=30, train="p_only", signal_norm=3.0)

    def summary(params):
        problem = reduce_problem(params)
        m = problem.gram.shape[0]
        _, c = problem_drive(problem)(np.zeros(m))
        return [np.trace(problem.gram), float(np.mean(problem.test.logits(c) ** 2)), float(np.mean(problem.gamma))]

    full = np.array([summary(base.replace(seed=s)) for s in range(600)])
    drawn = np.array([summary(base.replace(seed=s, draw="latent")) for s in range(10**6, 10**6 + 600)])
    smallest = min(stats.ks_2samp(full[:, j], drawn[:, j], method="asymp").pvalue for j in range(full.shape[1]))
    assert (smallest < 1e-3) if sabotage else (smallest > 1e-3), smallest
