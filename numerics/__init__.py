"""Numerical engines: data generation, stable primitives, GD (direct and reduced), gradient flow.

Public API, imported on first use (``import numerics`` itself loads nothing heavy; every
submodule, e.g. ``numerics.reduced``, is an attribute too):

``make_data``, ``Data``
    Draw a data set as the authors' public code does (training and test splits, signals, head).
``run_reduced``, ``run_direct``
    Full-batch GD: the exact reduced recursion, and plain d-dimensional GD (a reference).
``run_flow``, ``FlowOptions``, ``FlowEvents``
    The gradient flow in log time to long horizons, its solver options and recorded events.
``Status``, ``IntegrationError``, ``ToleranceWarning``
    How a run ended; the error raised for a failed run with ``throw=True``; the warning for a
    run less accurate than its tolerances ask.

Each engine returns a ``numerics.recording.Recording``; ``verify.simulate`` and
``verify.integrate`` turn a setting into a ``verify.Trajectory`` directly.

Examples
--------
>>> import numerics
>>> from theory import ProblemParams
>>> data = numerics.make_data(ProblemParams(dim=50, n_test=10))
>>> data.train.tokens.shape, data.test.tokens.shape
((20, 8, 50), (10, 8, 50))
>>> run = numerics.run_reduced(ProblemParams(dim=50, n_test=10, steps=5), data=data)
>>> run.status
<Status.SUCCESS: 'success'>
"""

from theory.lazy import lazy_exports

__all__ = [
    "make_data",
    "Data",
    "run_reduced",
    "run_direct",
    "run_flow",
    "FlowOptions",
    "FlowEvents",
    "Status",
    "IntegrationError",
    "ToleranceWarning",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "make_data": "numerics.data",
        "Data": "numerics.data",
        "run_reduced": "numerics.reduced",
        "run_direct": "numerics.gd",
        "run_flow": "numerics.flow",
        "FlowOptions": "numerics.flow",
        "FlowEvents": "numerics.flow",
        "Status": "numerics.status",
        "IntegrationError": "numerics.status",
        "ToleranceWarning": "numerics.status",
    },
)
