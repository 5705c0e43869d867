"""Reports: the verdict on a trajectory with the numbers behind it, as JSON and Markdown.

Paper: the regime statements (benign / harmful / not overfitting) and the metrics of the paper's experiments.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from numerics.metrics import ROLE_NAMES, role_attention
from theory.roles import token_roles
from verify.reporting.attention_mass import attention_mass_summary
from verify.reporting.checks import CheckResult, GapDefinition, run_checks, v1_hypotheses
from verify.reporting.classify import Classification, OutcomeTolerances
from verify.trajectory import Trajectory

__all__ = [
    "REPORT_SCHEMA_VERSION",
    "VERDICT_DEFINITION",
    "Report",
    "check",
    "run_report",
    "build_report",
    "checks_summary",
    "exit_status",
    "report_markdown",
]

#: Version 2 added the checks, their summary and the gap definition; version 3 decides the
#: regime by outcome (classification.outcome, .timeline, .tolerances), reports the mechanism
#: apart (``mechanism``) and the v1 hypotheses as margins (``hypotheses``), not as a check.
REPORT_SCHEMA_VERSION = 3

_FINAL_METRICS = ("train_loss", "train_acc", "train_acc_clean", "train_acc_noisy", "test_loss", "test_acc")


def run_report(trajectory: Trajectory, classification: Classification) -> dict[str, Any]:
    """The report of one run: verdict, final metrics, where noisy samples attend, provenance."""
    a = trajectory.arrays
    mechanism = classification.mechanism
    noisy_attention = []
    if mechanism["checkpoint_time"] is not None:
        k = int(np.flatnonzero(np.asarray(a["time"]) == mechanism["checkpoint_time"])[-1])
        noisy_index = np.asarray(mechanism["noisy_samples"], dtype=int)
        masses = role_attention(np.asarray(a["attention_train"][k])[noisy_index], token_roles(trajectory.params))
        noisy_attention = [
            {"sample": int(i), "selected": role, **{name: float(m) for name, m in zip(ROLE_NAMES, row)}}
            for i, role, row in zip(noisy_index, mechanism["noisy_selected_role"], masses)
        ]
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "verdict": classification.regime,
        "classification": classification.to_dict(),
        "mechanism": mechanism,
        "final": {"time": float(a["time"][-1])} | {k: _finite(a[k][-1]) for k in _FINAL_METRICS if k in a},
        "test_attention_roles": dict(zip(ROLE_NAMES, map(float, a["test_attention_roles"][-1])))
        if "test_attention_roles" in a
        else None,
        "noisy_attention": noisy_attention,
        "params": trajectory.params.to_dict(),
        "source": trajectory.source,
        "status": trajectory.status.value,
        "provenance": dict(trajectory.provenance) | {"seed": trajectory.params.seed},
        "timing": {"wall_time_s": trajectory.stats.get("wall_time_s")},
    }


def _finite(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def checks_summary(checks: Sequence[CheckResult]) -> dict[str, Any]:
    """Counts of passed, failed and undetermined checks, and whether every decided one passed."""
    outcomes = [c.outcome for c in checks]
    failed = [c.name for c in checks if c.passed is False]
    return {
        "passed": outcomes.count("pass"),
        "failed": outcomes.count("fail"),
        "undetermined": outcomes.count("undetermined"),
        "failed_checks": failed,
        "all_decided_passed": not failed,
    }


def exit_status(report: Mapping[str, Any]) -> int:
    """0 when every decided check passed, 1 when one failed (the ``verify`` exit status)."""
    return 0 if report["checks_summary"]["all_decided_passed"] else 1


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """The verdict on a trajectory, the checks against the theory, and the JSON document.

    Paper: the regime statements and every check's reference.

    Attributes
    ----------
    classification : Classification
        The observed regime (decided by outcome), its reasons, outcome, mechanism and timeline.
    checks : tuple of CheckResult
        Every check of ``verify.reporting.checks``: predicted, observed, tolerance, passed (True, False
        or None when undetermined).
    document : mapping
        ``report.json`` as written (schema ``REPORT_SCHEMA_VERSION``); ``to_dict`` copies it.
    """

    classification: Classification
    checks: tuple[CheckResult, ...]
    document: Mapping[str, Any]

    @property
    def verdict(self) -> str:
        """The observed regime: benign, harmful, not_overfitting, boundary or undetermined."""
        return self.classification.regime

    @property
    def failed_checks(self) -> tuple[str, ...]:
        """Names of the decided checks that failed."""
        return tuple(c.name for c in self.checks if c.passed is False)

    @property
    def all_decided_passed(self) -> bool:
        """Whether the trajectory agrees with every prediction the theory decides."""
        return not self.failed_checks

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``report.json`` (a copy)."""
        return copy.deepcopy(dict(self.document))


def check(
    trajectory: Trajectory,
    *,
    constants: Mapping[str, Any] | None = None,
    definition: GapDefinition = GapDefinition(),
    tolerances: OutcomeTolerances | None = None,
) -> Report:
    """Classify a trajectory and check it against every prediction of the theory.

    Paper: the regime statements and every check's reference.

    Parameters
    ----------
    trajectory : Trajectory
    constants : mapping, optional
        Values of the paper's unknown constants (C_benign, C_clean, C_harm, C_drive); checks
        that need a missing one are undetermined, never filled in.
    definition : GapDefinition
        How the gaps Lambda and Gamma are read off the logits (an open choice).
    tolerances : OutcomeTolerances, optional
        The named tolerances that decide the regime.

    Examples
    --------
    >>> from theory import ProblemParams
    >>> from verify import simulate
    >>> report = check(simulate(ProblemParams(dim=200, n_test=50, steps=20)))
    >>> report.verdict in ("benign", "harmful", "not_overfitting", "boundary", "undetermined")
    True
    >>> report.to_dict()["verdict"] == report.verdict
    True
    """
    classification, checks = run_checks(trajectory, constants=constants, definition=definition, tolerances=tolerances)
    return Report(
        classification=classification,
        checks=tuple(checks),
        document=_document(trajectory, classification, checks, constants, definition),
    )


def build_report(
    trajectory: Trajectory,
    *,
    constants: Mapping[str, Any] | None = None,
    definition: GapDefinition = GapDefinition(),
    tolerances: OutcomeTolerances | None = None,
) -> dict[str, Any]:
    """The full report as its JSON document: ``check(...).to_dict()``.

    ``verdict`` is the observed regime (decided by outcome, ``verify.reporting.classify``);
    ``checks_summary.all_decided_passed`` says whether the trajectory agrees with every
    prediction the theory decides.

    Paper: the regime statements and every check's reference.
    """
    return check(trajectory, constants=constants, definition=definition, tolerances=tolerances).to_dict()


def _document(
    trajectory: Trajectory,
    classification: Classification,
    checks: Sequence[CheckResult],
    constants: Mapping[str, Any] | None,
    definition: GapDefinition,
) -> dict[str, Any]:
    """report.json: classification, every check, their summary, provenance."""
    report = run_report(trajectory, classification)
    report["hypotheses"] = {"v1": v1_hypotheses(trajectory.params)}
    report["attention_mass"] = attention_mass_summary(trajectory, constants=constants)
    report["schema_version"] = REPORT_SCHEMA_VERSION
    report["checks"] = [c.to_dict() for c in checks]
    report["checks_summary"] = checks_summary(checks)
    report["gap_definition"] = definition.to_dict()
    report["constants"] = {k: str(v) for k, v in (constants or {}).items()}
    report["provenance"] = dict(report["provenance"]) | {
        "engine": trajectory.source,
        "precision": trajectory.provenance.get("precision", "float64"),
    }
    return report


def _short(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, Mapping):
        return ", ".join(
            f"{k}: ({_short(v)})" if isinstance(v, Mapping) else f"{k}: {_short(v)}" for k, v in value.items()
        )
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return str(value)


#: The definition every report states, word for word as in the README.
VERDICT_DEFINITION = (
    "A label is fitted when its margin y f(X) > 0. Benign overfitting: every training label fitted, "
    "the noisy ones included, and clean test error <= error_tolerance. Harmful overfitting: every "
    "label fitted, clean test error > error_tolerance. Not overfitting: clean labels fitted, noisy "
    "ones not, and either every unfitted noisy margin is <= -settled_margin and moved by at most "
    "settle_change over the last half of the run, or the run reached the named horizon decide_at. "
    "Anything else is undetermined, with the reason. Which token a noisy sample attends to (the "
    "mechanism) is reported and never decides the regime."
)


def _cell(value: Any) -> str:
    return _short(value).replace("|", "/")


def report_markdown(report: Mapping[str, Any]) -> str:
    """A readable Markdown version of ``build_report``'s dictionary."""
    p = report["params"]
    c = report["classification"]
    outcome, timeline, mechanism = c["outcome"], c["timeline"], report["mechanism"]
    changes = ", ".join(f"{ch['to'].replace('_', ' ')} from tau = {ch['time']:.4g}" for ch in timeline["changes"])
    lines = [
        f"# Run report: {report['verdict'].replace('_', ' ')}",
        "",
        f"d = {p['dim']}, ||mu|| = {p['signal_norm']}, n = {p['n_train']}, T = {p['seq_len']}, "
        f"rho = {p['rho']}, label noise = {p['label_noise']}, step size = {p['step_size']}, "
        f"steps = {p['steps']}, seed = {p['seed']}, layout = {p['layout']}, train = {p['train']}; "
        f"source {report['source']}, status {report['status']}.",
        "",
        *[f"- {reason}" for reason in c["reasons"]],
        "",
        "## How the verdict is decided",
        "",
        VERDICT_DEFINITION,
        "",
        "Tolerances: " + ", ".join(f"{k} = {_short(v)}" for k, v in c["tolerances"].items()) + ".",
        "",
        "| outcome | value |",
        "|---|---|",
        *[f"| {k} | {_cell(v)} |" for k, v in outcome.items()],
        "",
        f"Over time: {changes or 'no change'}; all labels fitted from tau_1 = {_short(timeline['time_all_fitted'])}, "
        f"generalised from tau_2 = {_short(timeline['time_generalized'])}.",
        "",
        "| metric | final value |",
        "|---|---|",
        *[f"| {k} | {_cell(v)} |" for k, v in report["final"].items()],
        "",
        "## Mechanism (reported, not decisive)",
        "",
        f"Noisy samples by the token they attend to most at tau = {_short(mechanism['checkpoint_time'])}: "
        + ", ".join(f"{k} {v}" for k, v in mechanism["noisy_role_counts"].items())
        + ".",
        "",
        "| noisy sample | selected token | " + " | ".join(ROLE_NAMES) + " |",
        "|---|---|" + "---|" * len(ROLE_NAMES),
        *[
            f"| {row['sample']} | {row['selected']} | " + " | ".join(f"{row[r]:.3f}" for r in ROLE_NAMES) + " |"
            for row in report["noisy_attention"]
        ],
        "",
    ]
    if "checks" in report:
        summary = report["checks_summary"]
        lines += [
            f"## Checks: {summary['passed']} passed, {summary['failed']} failed, "
            f"{summary['undetermined']} undetermined",
            "",
            "| check | outcome | predicted | observed | tolerance | reference |",
            "|---|---|---|---|---|---|",
            *[
                f"| {ch['name']} | {ch['outcome']} | {_cell(ch['predicted'])} | {_cell(ch['observed'])} | "
                f"{_cell(ch['tolerance'])} | {ch['reference']} |"
                for ch in report["checks"]
            ],
            "",
            *[f"- **{ch['name']}**: {ch['notes']}" for ch in report["checks"] if ch["notes"]],
            "",
        ]
    if "hypotheses" in report:
        v1 = report["hypotheses"]["v1"]
        lines += [
            "## Hypotheses (reported, not checked)",
            "",
            f"{v1['source']} (delta = {v1['failure_prob']}): {v1['summary']}.",
            "",
        ]
    mass = report.get("attention_mass")
    if mass and mass.get("sums") is not None:
        lines += [
            "## Attention mass S = a(1 - a) (v1)",
            "",
            mass["notes"] + ".",
            "",
            "| quantity | value |",
            "|---|---|",
            *[
                f"| {k} | {_cell(mass[k])} |"
                for k in ("ratio_clean_pos_over_noisy_neg", "ratio_clean_neg_over_noisy_pos", "eq9_ratio", "eq10_ratio")
            ],
            *[
                f"| {name} | {m['status']}" + (f" (needs {', '.join(m['missing'])})" if m["missing"] else "") + " |"
                for name, m in mass["conditions"].items()
            ],
            "",
        ]
    return "\n".join(lines)
