"""Simulate a setting: gradient descent or the gradient flow, from parameters to a ``Trajectory``.

The one path from an engine run to a ``Trajectory``: ``benign-attn run``, ``benign-attn flow``,
``benign-attn figure`` and the Python API all go through these two functions.

Paper: the paper's experiments (GD from the official initialisation) and its gradient-flow
analysis (delayed generalisation at exponentially long times).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from theory.params import ProblemParams
from theory.validation import InputError

if TYPE_CHECKING:
    import numpy as np

    from numerics.data import Data
    from numerics.flow import FlowEvents, FlowOptions
    from verify.trajectory import Trajectory

__all__ = ["simulate", "integrate", "ENGINES", "BACKENDS"]

#: GD engines by name, with the ``Trajectory.source`` each writes. Both compute the same GD map
#: (to round-off); the reduced one costs O((nT)^2) per step, the direct one O(d^2).
ENGINES = {"reduced": "gd:reduced", "direct": "gd:direct"}
#: Flow back ends: SciPy's solvers, or mpmath at a chosen precision for short prefixes.
BACKENDS = ("scipy", "mpmath")


def simulate(
    params: ProblemParams | None = None,
    *,
    engine: str = "reduced",
    data: Data | None = None,
    w0: np.ndarray | None = None,
    record_every: int | None = None,
    progress: bool = False,
    test_draw: str = "auto",
) -> Trajectory:
    """Train by full-batch gradient descent and record the run.

    Paper: the paper's experiments: GD on (W, p) from a Kaiming-uniform W and p = 0 (v3), or on
    p with W = I (v1), for ``params.steps`` steps of size ``params.step_size``.

    Parameters
    ----------
    params : ProblemParams, optional
        The setting (default: the official v3 one, ``ProblemParams()``).
    engine : {"reduced", "direct"}
        The exact reduced recursion (default) or plain d-dimensional GD (a reference).
    data : numerics.data.Data, optional
        A drawn data set, ``numerics.data.make_data(params)``; not with ``params.draw == "latent"``.
        Without it the engine draws what it reads: the training set as ``make_data`` draws it
        and the test set as ``test_draw`` says.
    w0 : ndarray, optional
        Initial W, d x d (default: drawn from ``params``); not with the latent draw.
    record_every : int, optional
        Checkpoint every this many steps (default: every step while n T steps <= 1e6).
    progress : bool
        Show a progress bar.
    test_draw : {"auto", "full"}
        The reduced engine's test set without ``data``. "auto": for the independent layout with
        the default generator, drawn directly in the subspace the engine acts on (the same
        distribution as ``make_data``'s test set, other numbers, and cheap at any d); otherwise
        d-dimensionally. "full": always ``make_data``'s test set, number for number (what
        ``benign-attn run`` uses), drawn and projected in blocks so it is never held whole. The
        direct engine always uses ``make_data``'s.

    Returns
    -------
    Trajectory
        Status ``Status.SUCCESS``; a run that does not succeed (e.g. non-finite logits at a
        too large step size) raises ``numerics.status.IntegrationError``.

    Examples
    --------
    >>> from theory import ProblemParams
    >>> from verify import simulate
    >>> run = simulate(ProblemParams(dim=200, n_test=50, steps=20))
    >>> run.source, run.status.value, len(run.time)
    ('gd:reduced', 'success', 21)
    >>> bool(run.train_acc[-1] >= 0.0)
    True
    """
    params = ProblemParams() if params is None else params
    if engine not in ENGINES:
        raise InputError(f"engine={engine!r}: must be one of {', '.join(ENGINES)}")
    _check_test_draw(test_draw)
    if params.draw == "latent":
        if engine != "reduced":
            raise InputError(
                f"--engine {engine} with --draw latent: the latent draw has no "
                "d-dimensional tokens; use --engine reduced"
            )
        if w0 is not None:
            raise InputError("--init-w with --draw latent: the latent draw draws W_0 itself; use --draw full")
        if data is not None:
            raise InputError("data with draw='latent': the latent draw draws what the engine reads; use draw='full'")
    if engine == "direct":
        from numerics.gd import run_direct

        recording = run_direct(params, data=data, w0=w0, record_every=record_every, progress=progress, throw=True)
    else:
        from numerics.reduced import run_reduced

        recording = run_reduced(
            params, data=data, w0=w0, record_every=record_every, progress=progress, throw=True, test_draw=test_draw
        )
    return _trajectory(recording, params, source=ENGINES[engine])


def integrate(
    params: ProblemParams | None = None,
    *,
    options: FlowOptions | None = None,
    events: FlowEvents | None = None,
    backend: str = "scipy",
    data: Data | None = None,
    w0: np.ndarray | None = None,
    progress: bool = False,
    throw: bool = True,
    test_draw: str = "auto",
) -> Trajectory:
    """Integrate the gradient flow (step size -> 0) in log time to a long horizon.

    Paper: the paper's gradient-flow analysis; ``params.step_size`` and ``params.steps`` are not used.

    Parameters
    ----------
    params : ProblemParams, optional
        The setting (default: the official v3 one).
    options : numerics.flow.FlowOptions, optional
        Horizon, solver, tolerances and checkpoints (default: ``FlowOptions()``).
    events : numerics.flow.FlowEvents, optional
        Levels of the recorded first-crossing times (default: ``FlowEvents()``).
    backend : {"scipy", "mpmath"}
    data, w0, test_draw : optional
        As for ``simulate``.
    progress : bool
        Show a progress bar over log time.
    throw : bool
        Raise ``numerics.status.IntegrationError`` when the integration does not reach the
        horizon (default). With ``throw=False`` such a run is returned with its status and the
        checkpoints it reached; one that reached none still raises.

    Returns
    -------
    Trajectory
        ``stats["events"]`` holds the event times (None = not reached).

    Examples
    --------
    >>> from numerics.flow import FlowOptions
    >>> flow = integrate(ProblemParams(dim=200, n_test=50), options=FlowOptions(horizon=100.0, checkpoints=5))
    >>> flow.source, float(flow.time[-1])
    ('flow:scipy', 100.0)
    """
    from numerics.flow import run_flow
    from numerics.status import IntegrationError

    params = ProblemParams() if params is None else params
    if backend not in BACKENDS:
        raise InputError(f"backend={backend!r}: must be one of {', '.join(BACKENDS)}")
    _check_test_draw(test_draw)
    recording = run_flow(
        params,
        data=data,
        w0=w0,
        options=options,
        events=events,
        backend=backend,
        progress=progress,
        throw=throw,
        test_draw=test_draw,
    )
    if "train_loss" not in recording.arrays:
        raise IntegrationError(recording.status, recording.message)
    return _trajectory(recording, params, source=f"flow:{backend}")


def _check_test_draw(test_draw: str) -> None:
    from numerics.subspace import TEST_DRAWS

    if test_draw not in TEST_DRAWS:
        raise InputError(f"test_draw={test_draw!r}: must be one of {', '.join(TEST_DRAWS)}")


def _trajectory(recording, params: ProblemParams, *, source: str) -> Trajectory:
    from verify.trajectory import Trajectory

    return Trajectory.from_recording(recording, params, source=source)
