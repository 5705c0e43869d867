"""The reduced gradient flow in mpmath arithmetic (>= 30 digits), to cross-check a prefix.

Paper: derivations/joint_flow.py (the same flow as ``numerics.flow``; this is an independent
high-precision integration of it, not a different model).

The integrator is Gragg-Bulirsch-Stoer extrapolation: modified-midpoint sweeps with 2, 4, 6, ...
substeps, extrapolated to substep 0 in h^2 (Aitken-Neville), with the macro step adapted
to meet a relative tolerance of 10^(5 - dps). Its order grows with the number of sweeps, which
is what high precision needs; an embedded Runge-Kutta pair of fixed order would take
~10^(dps/order) steps. Macro steps end exactly on the checkpoints. Events are located on a
cubic Hermite interpolant of each macro step (float64 accuracy; the event times are for
reporting, the checkpoints carry the precision).

Costs O(m^2) mpmath operations per right-side evaluation (m = n T): meant for prefixes
and small instances.
"""

from __future__ import annotations

import mpmath
import numpy as np

from numerics.progress import PROGRESS_FORMAT
from numerics.status import Status

__all__ = ["MpFlowSystem", "integrate_mpmath", "gbs_step"]


class MpFlowSystem:
    """dy/du of ``numerics.flow.FlowSystem`` evaluated in mpmath at the context's precision.

    Paper: derivations/joint_flow.py (reduced flow in log time u = log(1 + tau)).
    The float64 inputs (G, M_0, token scores, labels) are converted exactly.
    """

    def __init__(self, system) -> None:
        problem = system.problem
        self.m, self.joint = system.m, system.joint
        self.n, self.T = problem.shape
        mpf = mpmath.mpf
        self.metric = [[mpf(x) for x in row] for row in problem.metric.tolist()]
        self.gram = [[mpf(x) for x in row] for row in problem.gram.tolist()]
        self.gamma = [[mpf(x) for x in row] for row in problem.gamma.tolist()]
        self.labels = [int(label) for label in problem.train.labels.tolist()]
        self.nfev = 0

    def drive(self, z: list) -> list:
        """c = -dL/dz for flat logits z."""
        fdot, exp = mpmath.fdot, mpmath.exp
        c: list = []
        for i, y_i in enumerate(self.labels):
            row = z[i * self.T : (i + 1) * self.T]
            top = max(row)
            weights = [exp(value - top) for value in row]
            total = mpmath.fsum(weights)
            s = [value / total for value in weights]
            f = fdot(s, self.gamma[i])
            scale = y_i / (self.n * (1 + exp(y_i * f)))
            c.extend(scale * s_t * (g_t - f) for s_t, g_t in zip(s, self.gamma[i]))
        return c

    def logits(self, y: list):
        """Flat training logits z = u + G E u (u = M_0 b), b, and the rows of E."""
        fdot, m = mpmath.fdot, self.m
        b = y[:m]
        v = [fdot(row, b) for row in self.metric]
        if not self.joint:
            return v, b, None
        rows = [y[m + i * m : m + (i + 1) * m] for i in range(m)]
        w = [fdot(row, v) for row in rows]
        return [v_i + fdot(row, w) for v_i, row in zip(v, self.gram)], b, rows

    def __call__(self, u, y: list) -> list:
        self.nfev += 1
        fdot = mpmath.fdot
        z, b, rows = self.logits(y)
        c = self.drive(z)
        scale = mpmath.exp(u)
        if not self.joint:
            return [scale * value for value in c]
        g = [fdot(row, c) for row in self.gram]
        step_b = [scale * (c_j + fdot(column, g)) for c_j, column in zip(c, zip(*rows))]
        scaled_c = [scale * value for value in c]
        return step_b + [c_i * b_j for c_i in scaled_c for b_j in b]


def gbs_step(F, u0, y0: list, f0: list, H, *, sweeps: int, tolerance):
    """One Gragg-Bulirsch-Stoer macro step of size H from (u0, y0), with f0 = F(u0, y0).

    Paper: none (numerical method). Runs ``sweeps`` modified-midpoint sweeps with 2, 4, ...,
    2 sweeps substeps and extrapolates them (order 2 sweeps). Returns (y1, error) with
    ``error`` the difference of the last two extrapolations relative to ``tolerance`` times
    the state's size; the step is acceptable when error <= 1.
    """
    table: list[list] = []
    counts: list[int] = []
    for sweep in range(1, sweeps + 1):
        count = 2 * sweep
        h = H / count
        twice = 2 * h
        previous = y0
        current = [a + h * d for a, d in zip(y0, f0)]
        for i in range(1, count):
            slope = F(u0 + i * h, current)
            previous, current = current, [a + twice * d for a, d in zip(previous, slope)]
        slope = F(u0 + H, current)
        # Gragg's smoothing keeps the error expansion in even powers of h.
        row = [[(a + p + h * d) / 2 for a, p, d in zip(current, previous, slope)]]
        for k in range(1, sweep):
            factor = mpmath.mpf(count) ** 2 / counts[sweep - 1 - k] ** 2 - 1
            row.append([a + (a - p) / factor for a, p in zip(row[k - 1], table[-1][k - 1])])
        table.append(row)
        counts.append(count)
    size = max(max(abs(a) for a in row[-1]), mpmath.mpf(10) ** (-mpmath.mp.dps))
    error = max(abs(a - p) for a, p in zip(row[-1], row[-2])) / (tolerance * size)
    return row[-1], error


#: Modified-midpoint sweeps per macro step: order 2 SWEEPS, 1 + SWEEPS (SWEEPS + 1) evaluations.
SWEEPS = 10


def _step_factor(error) -> float:
    """Next macro step over this one, from the scaled error of an order-2 SWEEPS method."""
    if not mpmath.isfinite(error):
        return 0.25
    if error == 0:
        return 4.0
    return min(4.0, max(0.25, 0.9 * float(error) ** (-1 / (2 * SWEEPS - 1))))


def _hermite(u0: float, u1: float, y0, y1, f0, f1):
    """Cubic Hermite interpolant of a macro step in float64 (for event location)."""
    width = u1 - u0

    def dense(u):
        if width == 0:
            return y0
        t = (u - u0) / width
        h00, h10 = 2 * t**3 - 3 * t**2 + 1, t**3 - 2 * t**2 + t
        h01, h11 = -2 * t**3 + 3 * t**2, t**3 - t**2
        return h00 * y0 + h10 * width * f0 + h01 * y1 + h11 * width * f1

    return dense


def integrate_mpmath(system, watcher, recorder, times, options, progress: bool):
    """Integrate ``system`` (a ``numerics.flow.FlowSystem``) over the checkpoint ``times``.

    Paper: derivations/joint_flow.py. Adds the checkpoints to ``recorder`` and returns (status, message,
    stats) as the scipy back end of ``numerics.flow.integrate_flow``, the public entry point.
    """
    from tqdm import tqdm

    with mpmath.workdps(options.dps):
        F = MpFlowSystem(system)
        tolerance = mpmath.mpf(10) ** (5 - options.dps)
        to_float = lambda values: np.array([float(v) for v in values])  # noqa: E731
        u_checks = [mpmath.log1p(mpmath.mpf(float(t))) for t in times]
        y = [mpmath.mpf(0)] * system.size
        u = mpmath.mpf(0)
        f = F(u, y)
        system.record(recorder, 0.0, to_float(y))
        watcher.start(0.0, to_float(y))
        H = min(u_checks[1], mpmath.mpf("0.01"))
        status, message = Status.SUCCESS, f"reached tau = {float(times[-1]):g}"
        steps = rejected = 0
        bar = tqdm(total=float(u_checks[-1]), disable=not progress, desc="flow:mpmath", bar_format=PROGRESS_FORMAT)
        try:
            for target, tau in zip(u_checks[1:], times[1:]):
                while u < target:
                    if steps >= options.max_steps:
                        status = Status.MAX_STEPS
                        message = (
                            f"step budget max_steps={options.max_steps} used up at tau = {float(mpmath.expm1(u)):.6g}"
                        )
                        break
                    H = min(H, target - u)
                    if H <= mpmath.eps * max(1, abs(u)):
                        status = Status.STEP_SIZE_UNDERFLOW
                        message = f"macro step underflow at tau = {float(mpmath.expm1(u)):.6g}"
                        break
                    y_new, error = gbs_step(F, u, y, f, H, sweeps=SWEEPS, tolerance=tolerance)
                    if not all(mpmath.isfinite(v) for v in y_new) or not error <= 1:
                        rejected += 1
                        H *= _step_factor(error)
                        continue
                    steps += 1
                    u_new = target if target - (u + H) < mpmath.eps * max(1, abs(target)) else u + H
                    f_new = F(u_new, y_new)
                    watcher.advance(
                        float(u),
                        float(u_new),
                        to_float(y_new),
                        _hermite(float(u), float(u_new), to_float(y), to_float(y_new), to_float(f), to_float(f_new)),
                    )
                    bar.update(float(u_new - u))
                    H *= _step_factor(error)
                    u, y, f = u_new, y_new, f_new
                if status is not Status.SUCCESS:
                    break
                system.record(recorder, float(tau), to_float(y))
        finally:
            bar.close()
        stats = {
            "dps": options.dps,
            "macro_steps": steps,
            "rejected_steps": rejected,
            "nfev": F.nfev,
            "tolerance": float(tolerance),
            "tau_reached": float(mpmath.expm1(u)),
            # The end point at full precision, for comparisons beyond float64.
            "final_logits": [mpmath.nstr(v, options.dps) for v in F.logits(y)[0]],
        }
    return status, message, stats
