"""The README's worked examples of how a verdict is decided, computed and written to
``docs/results/verdict_examples.json`` (the README quotes this file; a test recomputes it).

Run from the repository root: ``python docs/verdict_examples.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from numerics.data import make_data
from numerics.flow import FlowOptions
from theory.params import ProblemParams
from verify.reporting.checks import run_checks
from verify.simulation import integrate, simulate

RESULTS = Path(__file__).resolve().parent / "results" / "verdict_examples.json"

#: name -> (the README's name of the run, ProblemParams fields, engine)
EXAMPLES = {
    "balanced": ("balanced (2000, 20), step 1000", {"dim": 2000, "signal_norm": 20.0, "layout": "official"}, "gd"),
    "large_noise": ("large noise (4500, 5), step 1000", {"dim": 4500, "signal_norm": 5.0, "layout": "official"}, "gd"),
    "large_signal": (
        "large signal (1000, 80), step 1000",
        {"dim": 1000, "signal_norm": 80.0, "layout": "official"},
        "gd",
    ),
    "large_signal_5000": (
        "large signal (1000, 80), step 5000",
        {"dim": 1000, "signal_norm": 80.0, "layout": "official", "steps": 5000},
        "gd",
    ),
    "mechanism_differs": ("d = 5000, ‖μ‖ = 20, step 1000", {"dim": 5000, "signal_norm": 20.0}, "gd"),
    "balanced_flow": ("balanced (2000, 20), flow to τ = 10⁸", {"dim": 2000, "signal_norm": 20.0}, "flow"),
}


def example(fields: dict, engine: str) -> dict:
    params = ProblemParams(**fields)
    data = make_data(params)
    trajectory = (
        integrate(params, data=data, options=FlowOptions(horizon=1e8))
        if engine == "flow"
        else simulate(params, data=data)
    )
    c, checks = run_checks(trajectory)
    growth = {
        check.name: check.observed["exponent_range"]
        for check in checks
        if check.name.startswith("g_growth") and check.observed
    }
    return {
        "checks": {check.name: check.outcome for check in checks},
        "g_growth_exponent_range": growth,
        "params": fields,
        "engine": engine,
        "verdict": c.regime,
        "reason": c.reasons[0],
        "clean_test_error": c.outcome["clean_test_error"],
        "noisy_fitted_fraction": c.outcome["noisy_fitted_fraction"],
        "noisy_role_counts": c.mechanism["noisy_role_counts"],
        "time_all_fitted": c.timeline["time_all_fitted"],
        "time_generalized": c.timeline["time_generalized"],
        "final_time": c.outcome["checkpoint_time"],
    }


def compute() -> dict:
    return {name: {"run": run, **example(fields, engine)} for name, (run, fields, engine) in EXAMPLES.items()}


def readme_rows(results: dict) -> list[str]:
    """The rows of the README's table of worked examples."""

    def time(value):
        return "—" if value is None else f"{value:.4g}"

    rows = []
    for name in EXAMPLES:
        v = results[name]
        roles = ", ".join(
            f"{count} {role.replace('_', ' ')}" for role, count in v["noisy_role_counts"].items() if count
        )
        rows.append(
            f"| {v['run']} | {v['verdict'].replace('_', ' ')} | {v['clean_test_error']:.3g} | {roles} | "
            f"{time(v['time_all_fitted'])} | {time(v['time_generalized'])} |"
        )
    return rows


def main() -> int:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(compute(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
