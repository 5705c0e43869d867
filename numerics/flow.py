"""Gradient flow (the step-size -> 0 limit of GD) in the reduced state, to exponential horizons.

Paper: the paper's gradient-flow analysis (the analysis runs gradient flow; gaps grow like log tau, so the interesting
events happen at exponentially large times) and derivations/joint_flow.py (exact reduced dynamics).

The state is (b, E) of ``numerics.dynamics`` (E = 0 for p-only training). In flow time tau,

    db/dtau = c + E^T G c,   dE/dtau = c b^T         (joint)
    db/dtau = c                                       (p-only)

with z = u + G E u, u = M_0 b and c = -dL/dz (``numerics.dynamics.rate``). The integration variable is the log time
u = log(1 + tau): d/du = (1 + tau) d/dtau. Attention errors decay like 1/tau, so the right side
stays of moderate size in u and one integration reaches tau = 1e8 and beyond with a few
thousand steps.

Back ends: ``"scipy"`` steps one of scipy's ``solve_ivp`` solver classes (explicit RK23,
RK45, DOP853; implicit Radau, BDF; LSODA) itself, so that it can stop on a step budget and on a
non-finite state, record log-spaced checkpoints from each step's dense output, and locate
events on it; ``"mpmath"`` (``numerics.flow_mpmath``) integrates the same equations at >= 30
digits, for cross-checking a prefix of a run.
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings

import numpy as np
from scipy import integrate, optimize

from numerics import dynamics
from numerics.data import Data
from numerics.progress import PROGRESS_FORMAT
from numerics.recording import Recording, finish, with_setup
from numerics.reduced import Checkpoints, logits_on_test, problem_drive
from numerics.reduced_problem import ReducedProblem
from numerics.stable import logistic_loss, softmax
from numerics.status import Status, ToleranceWarning
from numerics.subspace import reduce_problem
from theory.params import ProblemParams

__all__ = [
    "FlowOptions",
    "FlowEvents",
    "FlowSystem",
    "METHODS",
    "IMPLICIT_METHODS",
    "MAX_IMPLICIT_STATE",
    "BACKENDS",
    "flow_times",
    "run_flow",
    "integrate_flow",
]

METHODS = {
    "RK23": integrate.RK23,
    "RK45": integrate.RK45,
    "DOP853": integrate.DOP853,
    "Radau": integrate.Radau,
    "BDF": integrate.BDF,
    "LSODA": integrate.LSODA,
}
#: Methods that build a dense Jacobian of the state (LSODA does once it switches to stiff mode).
IMPLICIT_METHODS = ("Radau", "BDF", "LSODA")
#: Largest state an implicit method may take: its Jacobian is state x state and found by
#: finite differences, one right-side evaluation per state component.
MAX_IMPLICIT_STATE = 2000
BACKENDS = ("scipy", "mpmath")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class FlowOptions:
    """How to integrate: horizon, solver, tolerances, step budget and checkpoints.

    Paper: none (numerical settings); the horizon is flow time tau (GD step k <-> tau = k h).

    Parameters
    ----------
    horizon : float
        Final flow time tau > 0.
    method : str
        One of ``METHODS`` (scipy back end). Implicit methods need a state of at most
        ``MAX_IMPLICIT_STATE`` numbers (p-only, or small n T).
    rtol, atol : float
        Solver tolerances on the state (b, E); ``atol`` applies to entries of b and E, whose
        size is about |z| / ||M_0||.
    max_steps : int
        Budget of accepted solver steps (macro steps for mpmath); running out ends with
        ``Status.MAX_STEPS``.
    checkpoints : int
        Number of log-spaced checkpoints in [first_checkpoint, horizon], besides tau = 0.
    first_checkpoint : float
        Smallest positive checkpoint time.
    dps : int
        Decimal digits of the mpmath back end (>= 30).
    extra_checkpoints : tuple of float
        Further checkpoint times in (0, horizon] (e.g. the horizons at which a sweep reads the
        outcome), merged with the log-spaced ones.
    """

    horizon: float = 1e8
    method: str = "DOP853"
    rtol: float = 1e-8
    atol: float = 1e-12
    max_steps: int = 100_000
    checkpoints: int = 120
    first_checkpoint: float = 1e-2
    dps: int = 30
    extra_checkpoints: tuple = ()

    def __post_init__(self) -> None:
        extra = tuple(self.extra_checkpoints)
        for value in extra:
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or not 0 < value <= self.horizon
            ):
                raise ValueError(f"extra checkpoint {value!r}: must be a finite time in (0, horizon]")
        object.__setattr__(self, "extra_checkpoints", tuple(sorted({float(v) for v in extra})))
        for name in ("horizon", "rtol", "atol", "first_checkpoint"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name}={value!r}: must be a finite number > 0")
            object.__setattr__(self, name, float(value))
        if self.method not in METHODS:
            raise ValueError(f"method={self.method!r}: must be one of {', '.join(METHODS)}")
        for name, minimum in (("max_steps", 1), ("checkpoints", 1), ("dps", 30)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(f"{name}={value!r}: must be an integer >= {minimum}")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class FlowEvents:
    """What to watch for along the flow; first crossing times are recorded.

    Paper: the paper's gradient-flow analysis (clean samples select the relevant token, noisy samples memorise one
    token; all noisy labels fitted; delayed generalisation = the test loss reaching its
    floor). The levels are user choices (the paper does not fix them).

    Parameters
    ----------
    attention_level : float
        In (0, 1). A clean sample's event: its attention mass on the relevant set (the
        relevant token, or the sum over several) reaches the level. A noisy sample's event:
        its attention on any single token reaches it.
    test_loss_tolerance : float or None
        epsilon > 0: record when test loss <= floor + epsilon. ``None`` turns the event off
        (it costs one test-logit evaluation per solver step).
    test_loss_floor : float or None
        The floor. ``None`` uses the test loss of attention entirely on the relevant token,
        mean_i l(y_i gamma_{i,1}) on this test set (derivations/plateaus.py, about l(1/sqrt 2));
        with several relevant tokens, attention spread evenly over them (they carry the same
        signal), i.e. gamma_{i,1} replaced by their mean score.
    test_error_tolerance : float or None
        epsilon_err in [0, 1): record when the test error (fraction of test samples with
        y f <= 0) first drops to at most epsilon_err. ``None`` (default) turns it off; like the
        test-loss event it costs one test-logit evaluation per solver step.

    The first time every clean training label is fitted (y_i f_i > 0 for all clean i) is always
    recorded, as is the first time every noisy one is.
    """

    attention_level: float = 0.9
    test_loss_tolerance: float | None = 0.01
    test_loss_floor: float | None = None
    test_error_tolerance: float | None = None

    def __post_init__(self) -> None:
        level = self.attention_level
        if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
            raise ValueError(f"attention_level={level!r}: must be a number in (0, 1)")
        object.__setattr__(self, "attention_level", float(level))
        tol = self.test_loss_tolerance
        if tol is not None:
            if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not math.isfinite(tol) or tol <= 0:
                raise ValueError(f"test_loss_tolerance={tol!r}: must be a finite number > 0 or None")
            object.__setattr__(self, "test_loss_tolerance", float(tol))
        floor = self.test_loss_floor
        if floor is not None:
            if isinstance(floor, bool) or not isinstance(floor, (int, float)) or not math.isfinite(floor) or floor < 0:
                raise ValueError(f"test_loss_floor={floor!r}: must be a finite number >= 0 or None")
            object.__setattr__(self, "test_loss_floor", float(floor))
        err = self.test_error_tolerance
        if err is not None:
            if isinstance(err, bool) or not isinstance(err, (int, float)) or not 0 <= err < 1:
                raise ValueError(f"test_error_tolerance={err!r}: must be a number in [0, 1) or None")
            object.__setattr__(self, "test_error_tolerance", float(err))


def flow_times(options: FlowOptions) -> np.ndarray:
    """Checkpoint times: 0, then ``checkpoints`` log-spaced times up to the horizon, with the
    ``extra_checkpoints`` merged in (sorted, no repeats; the horizon stays last)."""
    if options.horizon <= options.first_checkpoint:
        times = np.array([0.0, options.horizon])
    else:
        times = np.r_[0.0, np.geomspace(options.first_checkpoint, options.horizon, options.checkpoints)]
    if options.extra_checkpoints:
        times = np.union1d(times[:-1], options.extra_checkpoints)
        times = np.r_[times[times < options.horizon], options.horizon]
    return times


class FlowSystem:
    """The reduced flow of one problem as a first-order system y' = F(u, y) in log time.

    Paper: derivations/joint_flow.py (gradient flow of (W, p) or p in the logits' reduced state).
    y = [b, E.ravel()] (joint) or y = b (p-only); u = log(1 + tau).
    """

    def __init__(self, problem: ReducedProblem) -> None:
        self.problem = problem
        n, T = problem.shape
        self.m = n * T
        self.joint = problem.train_mode == "joint"
        self.size = self.m + self.m * self.m if self.joint else self.m
        self.drive = problem_drive(problem)

    def initial(self) -> np.ndarray:
        """The state at tau = 0: p = 0, W = W_0."""
        return np.zeros(self.size)

    def split(self, y: np.ndarray):
        """(b, E) views of a state (E is ``None`` for p-only)."""
        m = self.m
        return y[:m], (y[m:].reshape(m, m) if self.joint else None)

    def logits(self, y: np.ndarray):
        """Training logits z (m,), b, and w = E M_0 b (``None`` for p-only)."""
        b, E = self.split(y)
        z, w = dynamics.logits(self.problem.gram, self.problem.metric, b, E)
        return z, b, w

    def tau_rate(self, y: np.ndarray) -> np.ndarray:
        """dy/dtau."""
        b, E = self.split(y)
        z, _ = dynamics.logits(self.problem.gram, self.problem.metric, b, E)
        _, c = self.drive(z)
        return dynamics.rate(self.problem.gram, b, E, c, out=np.empty_like(y))

    def record(self, recorder: Checkpoints, tau: float, y: np.ndarray) -> None:
        """Add the state y at flow time tau to the checkpoint recorder."""
        z, b, w = self.logits(y)
        recorder.add(float(tau), z, b, w)

    def __call__(self, u: float, y: np.ndarray) -> np.ndarray:
        """dy/du = e^u dy/dtau."""
        dy = self.tau_rate(y)
        dy *= math.exp(u)
        return dy


def run_flow(
    params: ProblemParams,
    *,
    data: Data | None = None,
    w0=None,
    options: FlowOptions | None = None,
    events: FlowEvents | None = None,
    backend: str = "scipy",
    progress: bool = False,
    throw: bool = True,
    test_draw: str = "auto",
) -> Recording:
    """Integrate the gradient flow of ``params``'s training problem to ``options.horizon``.

    Paper: the paper's gradient-flow analysis (gradient-flow analysis; delayed generalisation at exponential times).
    ``params.step_size`` and ``params.steps`` are not used.

    Parameters
    ----------
    params : ProblemParams
    data, w0, test_draw : as for ``numerics.reduced.run_reduced`` (same test-set rules).
    options : FlowOptions, optional
    events : FlowEvents, optional
    backend : {"scipy", "mpmath"}
    progress : bool
        Show a progress bar over log time.
    throw : bool
        Raise ``IntegrationError`` when the integration does not succeed.

    Returns
    -------
    Recording
        Arrays ``time`` (tau at the checkpoints reached), ``log_time``, the
        ``checkpoint_metrics`` keys, and per training sample ``event_attention_time`` (NaN if
        never) and ``event_attention_token`` (-1 if never). ``stats["events"]`` holds the
        event times (``None`` = not reached), ``stats`` the solver statistics.
    """
    started = time.perf_counter()
    problem = reduce_problem(params, data=data, w0=w0, test_draw=test_draw)
    setup = time.perf_counter() - started
    recording = integrate_flow(problem, options=options, events=events, backend=backend, progress=progress, throw=throw)
    return with_setup(recording, setup_s=setup, started=started)


def integrate_flow(
    problem: ReducedProblem,
    *,
    options: FlowOptions | None = None,
    events: FlowEvents | None = None,
    backend: str = "scipy",
    progress: bool = False,
    throw: bool = True,
) -> Recording:
    """Integrate the reduced flow of a prepared problem; see ``run_flow``.

    Paper: derivations/joint_flow.py (gradient flow in the reduced state).
    """
    options = FlowOptions() if options is None else options
    events = FlowEvents() if events is None else events
    if backend not in BACKENDS:
        raise ValueError(f"backend={backend!r}: must be one of {', '.join(BACKENDS)}")
    system = FlowSystem(problem)
    if backend == "scipy" and options.method in IMPLICIT_METHODS and system.size > MAX_IMPLICIT_STATE:
        raise ValueError(
            f"method={options.method!r} with a state of {system.size} numbers: implicit methods "
            f"need a state of at most {MAX_IMPLICIT_STATE} (their Jacobian is dense); use an "
            "explicit method (RK45, DOP853) or p-only training / smaller n T"
        )
    started = time.perf_counter()
    watcher = _Watcher(system, events)
    times = flow_times(options)
    recorder = Checkpoints(problem)
    if backend == "scipy":
        status, message, stats = _integrate_scipy(system, watcher, recorder, times, options, progress)
    else:
        # Imported here: only this back end needs mpmath, which the scipy back end never loads.
        from numerics.flow_mpmath import integrate_mpmath

        status, message, stats = integrate_mpmath(system, watcher, recorder, times, options, progress)
    arrays, reached = recorder.arrays()
    if len(reached) > len(arrays.get("test_loss", ())):
        status, message = Status.NONFINITE, f"non-finite test logits at tau = {reached.pop():.6g}"
    arrays["time"] = np.asarray(reached, dtype=np.float64)
    arrays["log_time"] = np.log1p(arrays["time"])
    arrays.update(watcher.arrays())
    stats.update(
        engine=f"flow:{backend}",
        horizon=options.horizon,
        rtol=options.rtol,
        atol=options.atol,
        atol_logit_drift=_warn_if_atol_dominates(problem, options),
        events=watcher.summary(),
        test_source=problem.test_source,
        wall_time_s=time.perf_counter() - started,
    )
    return finish(arrays, status, message, stats, throw=throw)


#: The absolute tolerance may move the logits by this many times rtol before a run is flagged.
ATOL_SLACK = 10.0


def _warn_if_atol_dominates(problem: ReducedProblem, options: FlowOptions) -> float:
    """atol times the gain from the state to the logits: how far the absolute tolerance lets the
    logits drift (z = u + G E u with u = M_0 b, so a change d in b moves z by up to ||M_0|| d and
    a change d in E by up to ||G|| |u| d, with |u| ~ |z| ~ 1). Warns (``ToleranceWarning``) when
    that exceeds ``ATOL_SLACK`` times rtol: ||M_0|| and ||G|| grow like d, so a fixed atol that is
    inactive at d = 2000 decides the error at d = 10^6 and beyond (event times off by 4e-6
    relative there, 2e-4 at d = 10^8, against rtol = 1e-8)."""
    gain = float(np.linalg.norm(problem.metric, 2))
    if problem.train_mode == "joint":
        gain = max(gain, float(np.linalg.norm(problem.gram, 2)))
    drift = options.atol * gain
    if drift > ATOL_SLACK * options.rtol:
        warnings.warn(
            ToleranceWarning(
                f"atol={options.atol:g} lets the logits drift by about {drift:.2g} (atol times ||M_0|| or "
                f"||G||, which grow like d), {drift / options.rtol:.3g} times rtol={options.rtol:g}: event "
                f"times and losses may be off by more than rtol asks; pass atol <= {options.rtol / gain:.2g} "
                "(--atol)"
            ),
            stacklevel=3,
        )
    return drift


def _integrate_scipy(system: FlowSystem, watcher, recorder: Checkpoints, times, options: FlowOptions, progress: bool):
    from tqdm import tqdm

    u_checks = np.log1p(times)
    # The last checkpoint is the solver's end point, bit for bit.
    u_end = float(u_checks[-1])
    y = system.initial()
    with np.errstate(all="ignore"):
        start_finite = bool(np.all(np.isfinite(system(0.0, y))))
    if not start_finite:
        return Status.NONFINITE, "non-finite right side at tau = 0", {"method": options.method}
    system.record(recorder, 0.0, y)
    watcher.start(0.0, y)
    next_check = 1
    with np.errstate(all="ignore"):
        solver = METHODS[options.method](system, 0.0, y, u_end, rtol=options.rtol, atol=options.atol)
    status, message, steps = Status.SUCCESS, f"reached tau = {options.horizon:g}", 0
    bar = tqdm(
        total=u_end,
        disable=not progress,
        desc=f"flow:{options.method} to tau = {options.horizon:g}",
        bar_format=PROGRESS_FORMAT,
    )
    try:
        while solver.status == "running":
            if steps >= options.max_steps:
                status = Status.MAX_STEPS
                message = (
                    f"step budget max_steps={options.max_steps} used up at "
                    f"tau = {math.expm1(solver.t):.6g} (stiff or too tight tolerances?)"
                )
                break
            u_old = solver.t
            try:
                # A trial step may overflow; the solver rejects it and shrinks the step, and a
                # state that stays non-finite is reported below, so the warnings carry nothing.
                with np.errstate(all="ignore"):
                    failure = solver.step()
            except (np.linalg.LinAlgError, ValueError) as exc:
                status, message = Status.FAILED, f"solver error at tau = {math.expm1(u_old):.6g}: {exc}"
                break
            steps += 1
            if solver.status == "failed":
                text = failure or "solver failed"
                status = Status.STEP_SIZE_UNDERFLOW if "step size" in text.lower() else Status.FAILED
                message = f"{text} (at tau = {math.expm1(solver.t):.6g})"
                break
            if not math.isfinite(np.add.reduce(solver.y)):
                status = Status.NONFINITE
                message = f"non-finite state at tau = {math.expm1(solver.t):.6g}"
                break
            dense = _LazyDense(solver)
            while next_check < len(u_checks) and u_checks[next_check] <= solver.t:
                system.record(recorder, times[next_check], dense(u_checks[next_check]))
                next_check += 1
            watcher.advance(u_old, solver.t, solver.y, dense)
            bar.update(solver.t - u_old)
    finally:
        bar.close()
    stats = {
        "method": options.method,
        "solver_steps": steps,
        "nfev": int(solver.nfev),
        "njev": int(solver.njev),
        "nlu": int(solver.nlu),
        "tau_reached": math.expm1(solver.t),
    }
    return status, message, stats


class _LazyDense:
    """The step's dense output, built on first use: most steps hold no checkpoint and no event,
    and building it costs DOP853 three extra right-side evaluations."""

    def __init__(self, solver) -> None:
        self.solver, self.interpolant = solver, None

    def __call__(self, u):
        if self.interpolant is None:
            self.interpolant = self.solver.dense_output()
        return self.interpolant(u)


class _Watcher:
    """First crossing times of the events of ``FlowEvents``, located on dense output."""

    def __init__(self, system: FlowSystem, events: FlowEvents) -> None:
        self.system, self.events = system, events
        problem = system.problem
        self.noisy = problem.train.noisy
        n = len(self.noisy)
        self.attention_time = np.full(n, np.nan)
        self.attention_token = np.full(n, -1, dtype=np.int64)
        self.all_noisy_fitted: float | None = None
        self.all_clean_fitted: float | None = None
        self.test_near_floor: float | None = None
        self.test_error_within: float | None = None
        self.watch_test = events.test_loss_tolerance is not None
        self.watch_error = events.test_error_tolerance is not None
        self.floor: float
        if events.test_loss_floor is None:
            relevant_score = problem.test.gamma[:, problem.roles.relevant].mean(axis=1)
            self.floor = float(np.mean(logistic_loss(problem.test.labels * relevant_score)))
        else:
            self.floor = events.test_loss_floor

    def _values(self, y, *, with_test: bool):
        """Event functions, each crossing upward through 0: per-sample attention minus the
        level, the smallest noisy margin, floor + epsilon minus the test loss, the smallest
        clean margin, and the test errors allowed by epsilon_err minus those made (a step
        function: its root is the jump, located by bisection on the dense output)."""
        system = self.system
        problem = system.problem
        z, b, w = system.logits(y)
        s = softmax(z.reshape(problem.shape))
        target = np.where(self.noisy, s.max(axis=1), s[:, problem.roles.relevant].sum(axis=1))
        attention = target - self.events.attention_level
        f = np.sum(s * problem.gamma, axis=1)
        margins = problem.train.labels * f
        fitted = float(margins[self.noisy].min()) if self.noisy.any() else math.nan
        clean = float(margins[~self.noisy].min()) if (~self.noisy).any() else math.nan
        test = error = math.nan
        if with_test:
            s_test = softmax(logits_on_test(problem, b, w))
            test_margins = problem.test.labels * np.sum(s_test * problem.test.gamma, axis=1)
            if (loss_tolerance := self.events.test_loss_tolerance) is not None:
                test = self.floor + loss_tolerance - float(np.mean(logistic_loss(test_margins)))
            if self.watch_error:
                # Errors allowed minus errors made, offset by half a sample: positive exactly
                # when the error rate is within the tolerance, and never zero, so the root
                # search lands on the jump (a function that is 0 on an interval would stop it
                # at the interval's end).
                allowed = math.floor(self.events.test_error_tolerance * test_margins.size + 1e-9)
                error = allowed + 0.5 - float(np.count_nonzero(test_margins <= 0))
        return attention, fitted, test, s, clean, error

    def start(self, u: float, y) -> None:
        self._record(u, u, y, None)

    def advance(self, u_old: float, u_new: float, y, dense) -> None:
        self._record(u_old, u_new, y, dense)

    def _record(self, u_old, u_new, y, dense) -> None:
        pending_test = self.watch_test and self.test_near_floor is None
        pending_error = self.watch_error and self.test_error_within is None
        attention, fitted, test, s, clean, error = self._values(y, with_test=pending_test or pending_error)
        for i in np.flatnonzero((attention >= 0) & np.isnan(self.attention_time)):
            u = self._root(dense, u_old, u_new, lambda yy, i=i: self._values(yy, with_test=False)[0][i])
            self.attention_time[i] = math.expm1(u)
            at = self._values(dense(u), with_test=False)[3] if dense is not None else s
            self.attention_token[i] = int(np.argmax(at[i]))
        if self.all_noisy_fitted is None and fitted > 0:
            u = self._root(dense, u_old, u_new, lambda yy: self._values(yy, with_test=False)[1])
            self.all_noisy_fitted = math.expm1(u)
        if self.all_clean_fitted is None and clean > 0:
            u = self._root(dense, u_old, u_new, lambda yy: self._values(yy, with_test=False)[4])
            self.all_clean_fitted = math.expm1(u)
        if pending_test and test >= 0:
            u = self._root(dense, u_old, u_new, lambda yy: self._values(yy, with_test=True)[2])
            self.test_near_floor = math.expm1(u)
        if pending_error and error >= 0:
            u = self._root(dense, u_old, u_new, lambda yy: self._values(yy, with_test=True)[5])
            self.test_error_within = math.expm1(u)

    @staticmethod
    def _root(dense, u_old, u_new, function) -> float:
        # At the start (no step yet) or when the event already holds at the step's start.
        if dense is None or function(dense(u_old)) >= 0:
            return u_old
        # The interpolant can miss the end state by round-off right at a threshold.
        if function(dense(u_new)) < 0:
            return u_new
        return optimize.brentq(lambda u: function(dense(u)), u_old, u_new, xtol=1e-13, rtol=1e-13)

    def arrays(self) -> dict:
        return {
            "event_attention_time": self.attention_time.copy(),
            "event_attention_token": self.attention_token.copy(),
        }

    def summary(self) -> dict:
        """JSON-ready event times (None = not reached within the run)."""

        def first_all(mask):
            times = self.attention_time[mask]
            if times.size == 0 or np.isnan(times).any():
                return None
            return float(times.max())

        def first_any(mask):
            times = self.attention_time[mask]
            times = times[~np.isnan(times)]
            return float(times.min()) if times.size else None

        clean = ~self.noisy
        return {
            "attention_level": self.events.attention_level,
            "clean_relevant_first": first_any(clean),
            "clean_relevant_all": first_all(clean),
            "noisy_single_token_first": first_any(self.noisy),
            "noisy_single_token_all": first_all(self.noisy),
            "all_noisy_fitted": self.all_noisy_fitted,
            "all_clean_fitted": self.all_clean_fitted,
            "test_loss_floor": self.floor,
            "test_loss_tolerance": self.events.test_loss_tolerance,
            "test_loss_near_floor": self.test_near_floor,
            "test_error_tolerance": self.events.test_error_tolerance,
            "test_error_within_tolerance": self.test_error_within,
        }
