"""Trajectories, checks against the theory, reports, sweeps, figures and the CLI.

Public API, imported on first use (``import verify`` itself loads nothing heavy; every
submodule, e.g. ``verify.experiments.sweep``, is an attribute too):

``simulate``, ``integrate``
    Run a setting: gradient descent, or the gradient flow to a long horizon, as a ``Trajectory``.
``Trajectory``
    The record of one run: named arrays over checkpoints, its ``Status``, parameters,
    provenance; ``save`` and ``load`` a run directory's trajectory files.
``check``, ``Report``
    Classify a trajectory and check it against every prediction of the theory.
``Classification``, ``OutcomeTolerances``
    The observed regime with its outcome and mechanism apart, and the tolerances deciding it.
``dynamics_figure``, ``attention_panel``
    Figure 3 of the paper as a new ``Figure``; one sample's attention on a given ``Axes``.

Examples
--------
>>> import verify
>>> from theory import ProblemParams
>>> run = verify.simulate(ProblemParams(dim=200, n_test=50, steps=20))
>>> run.status.value, float(run.time[-1]), run.attention.shape
('success', 0.1, (21, 20, 8))
>>> report = verify.check(run)
>>> sorted(report.classification.outcome)[:3]
['baseline_test_accuracy', 'baseline_test_error', 'checkpoint_time']
>>> fig = verify.dynamics_figure([run])
>>> len(fig.axes)
4
"""

from theory.lazy import lazy_exports

__all__ = [
    "simulate",
    "integrate",
    "Trajectory",
    "check",
    "Report",
    "Classification",
    "OutcomeTolerances",
    "dynamics_figure",
    "attention_panel",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "simulate": "verify.simulation",
        "integrate": "verify.simulation",
        "Trajectory": "verify.trajectory",
        "check": "verify.reporting.report",
        "Report": "verify.reporting.report",
        "Classification": "verify.reporting.classify",
        "OutcomeTolerances": "verify.reporting.classify",
        "dynamics_figure": "verify.plots",
        "attention_panel": "verify.plots",
    },
)
