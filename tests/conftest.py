"""Shared test setup: hypothesis profiles and the location of the test fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# "default" keeps the suite fast; "ci" and "thorough" are for property runs on demand:
# HYPOTHESIS_PROFILE=thorough python -m pytest -m "not slow or slow" tests/
settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=2000)
settings.register_profile("thorough", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=10000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

REPO_ROOT = Path(__file__).resolve().parents[1]
#: Real data nobody here wrote, copied into the repository so a fresh clone can test against it.
FIXTURES = REPO_ROOT / "tests" / "fixtures"
OFFICIAL_RUN = FIXTURES / "official-run"


@pytest.fixture(scope="session")
def official_run_dir() -> Path:
    """The official code's output directory (its default run), from ``tests/fixtures``."""
    return OFFICIAL_RUN


def pytest_terminal_summary(terminalreporter):
    """Print the size of the bad-input table (tests/reliability/test_bad_input.py) and its outcome."""
    outcomes = {}
    for key in ("passed", "failed", "skipped"):
        for report in terminalreporter.stats.get(key, []):
            if "::test_bad_input[" in getattr(report, "nodeid", ""):
                outcomes.setdefault(report.nodeid, key)
                if key != "passed":  # a failing teardown after a passing call counts as failed
                    outcomes[report.nodeid] = key
    if outcomes:
        counts = {key: sum(1 for v in outcomes.values() if v == key) for key in ("passed", "failed", "skipped")}
        terminalreporter.write_line(
            f"bad-input table: {len(outcomes)} cases ({counts['passed']} passed, {counts['failed']} failed, "
            f"{counts['skipped']} skipped)"
        )
