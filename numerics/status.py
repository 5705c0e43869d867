"""Outcome of a numerical run: a status enum, and the error raised for it with ``throw=True``.

Paper: none (numerical hygiene: a failure is reported, never returned as numbers).
"""

from __future__ import annotations

import enum

__all__ = ["Status", "IntegrationError", "ToleranceWarning"]


class Status(enum.Enum):
    """How a GD run or an ODE integration ended."""

    SUCCESS = "success"
    NONFINITE = "nonfinite"
    MAX_STEPS = "max_steps"
    STEP_SIZE_UNDERFLOW = "step_size_underflow"
    FAILED = "failed"

    @property
    def ok(self) -> bool:
        return self is Status.SUCCESS


class IntegrationError(RuntimeError):
    """A run that did not succeed, raised when the caller asked for ``throw=True``."""

    def __init__(self, status: Status, message: str) -> None:
        super().__init__(f"{status.value}: {message}")
        self.status = status
        self.message = message


class ToleranceWarning(UserWarning):
    """A run that succeeded less accurately than its tolerances ask (e.g. an absolute tolerance
    above the relative one times the size of the state)."""
