"""Resumable parameter sweeps: one small JSON file per finished cell, local processes or Dask.

A sweep directory holds ``sweep.json`` (the specification) and ``cells/<cell id>.json``, each
written atomically by the driver as its cell finishes. Running the same sweep again skips the
cells whose file exists, so a killed sweep resumes where it stopped and yields the same files
(a cell file holds only deterministic numbers, no timings). A cell whose run raises or ends
with a non-finite loss is recorded with status "failed" and the sweep goes on.

With the reduced engine, cells that differ only in ``signal_norm`` (a column of the (d, ||mu||)
grid: same d, seed and every other field) are computed together by
``numerics.column.run_reduced_column``, which does the d-dimensional set-up once per column.
A cell's numbers do not depend on which other cells of its column are computed with it, so a
column resumed half-way gives the same files as one run whole. Settings the column engine does
not cover (p-only training, the official layout) run cell by cell with ``run_reduced``.

Paper: Figure 5 (train / test loss over a 39 x 39 grid of (d, ||mu||) at step 1000; v1: 20 x 20).
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import math
import os
import sys
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from numerics.budget import LIMITS, check_limit
from numerics.data import split_labels
from numerics.mass import MASS_ARRAYS
from theory.params import ProblemParams
from theory.validation import InputError
from verify.claims import claim
from verify.experiments.flow_cells import FlowSweep, flow_column, horizon_outcomes
from verify.files import check_writable_parent, read_json_file, write_json
from verify.reporting.attention_mass import attention_mass_summary
from verify.reporting.classify import REGIMES, OutcomeTolerances, classify
from verify.trajectory import Trajectory

__all__ = [
    "GRIDS",
    "ENGINES",
    "EXECUTORS",
    "METRICS",
    "MASS_METRICS",
    "SweepSpec",
    "SweepResult",
    "grid_axes",
    "parse_axis",
    "run_cell",
    "run_column",
    "run_flow_column",
    "run_sweep",
    "load_sweep",
    "read_cell",
    "check_sweep_memory",
]

#: 2: reduced-engine cells are computed per column, whose test noise is drawn in a
#: ||mu||-independent subspace (numerics.column); version-1 directories hold the per-cell draw
#: and are not resumed with these numbers.
SPEC_VERSION = 2
ENGINES = ("reduced", "direct", "flow")
EXECUTORS = ("local", "dask", "serial")
METRICS = ("train_loss", "test_loss", "train_acc", "train_acc_clean", "train_acc_noisy", "test_acc")
#: The v1 attention-mass ratios (``verify.reporting.attention_mass``), in the cells of engines that keep the
#: per-step sums (direct, reduced); NaN in cells without them (flow, column engine, older sweeps).
MASS_METRICS = ("ratio_clean_pos_over_noisy_neg", "ratio_clean_neg_over_noisy_pos", "eq9_ratio", "eq10_ratio")
_AXIS_TYPES = {
    "n_train": int,
    "seq_len": int,
    "dim": int,
    "n_test": int,
    "steps": int,
    "relevant_tokens": int,
    "weak_tokens": int,
    "signal_norm": float,
    "rho": float,
    "label_noise": float,
    "step_size": float,
}


#: Values one axis may take (the paper's grid has 39 per axis).
MAX_AXIS_VALUES = int(LIMITS["axis_values"])


def _inclusive_range(start: float, stop: float, step: float) -> tuple[float, ...]:
    count = int(round((stop - start) / step)) + 1
    return tuple(start + k * step for k in range(count))


def grid_axes(name: str) -> tuple[tuple[str, tuple], ...]:
    """The (d, ||mu||) axes of a named grid.

    Paper: v3 Figure 5 ("paper": d = 250, 375, ..., 5000 x ||mu|| = 5, 7.5, ..., 100, 39 x 39)
    and v1 ("v1": d = 250, 500, ..., 5000 x ||mu|| = 5, 10, ..., 100, 20 x 20).
    """
    if name == "paper":
        return (
            ("dim", tuple(int(v) for v in _inclusive_range(250, 5000, 125))),
            ("signal_norm", _inclusive_range(5.0, 100.0, 2.5)),
        )
    if name == "v1":
        return (
            ("dim", tuple(int(v) for v in _inclusive_range(250, 5000, 250))),
            ("signal_norm", _inclusive_range(5.0, 100.0, 5.0)),
        )
    raise InputError(f"grid {name!r}: must be one of {', '.join(GRIDS)}")


GRIDS = ("paper", "v1")


def parse_axis(text: str) -> tuple[str, tuple]:
    """``NAME=START:STOP:STEP`` (inclusive), ``NAME=log:START:STOP:COUNT`` or ``NAME=V1,V2,...``
    for a numeric ProblemParams field.

    ``log:START:STOP:COUNT`` gives COUNT log-spaced values from START to STOP (0 < START <= STOP).
    Integer fields (``dim``, ...) are rounded to the nearest integer and repeats are dropped, so an
    integer axis can have fewer than COUNT values (e.g. ``dim=log:2:10:20``); float fields keep
    12 significant digits.
    """
    name, sep, values = text.partition("=")
    name = name.strip().replace("-", "_")
    if not sep or not values.strip():
        raise InputError(f"axis {text!r}: must be NAME=START:STOP:STEP, NAME=log:START:STOP:COUNT or NAME=V1,V2,...")
    if name not in _AXIS_TYPES:
        raise InputError(f"axis {name!r}: must be one of {', '.join(sorted(_AXIS_TYPES))}")
    kind = _AXIS_TYPES[name]
    if values.strip().startswith("log:"):
        return name, _log_axis(text, name, kind, values.strip()[4:])
    try:
        if ":" in values:
            start, stop, step = (float(v) for v in values.split(":"))
            if not (math.isfinite(start) and math.isfinite(stop) and step > 0) or stop < start:
                raise ValueError
            numbers = None
        else:
            numbers = tuple(float(v) for v in values.split(","))
    except ValueError:
        raise InputError(
            f"axis {text!r}: values must be finite numbers as START:STOP:STEP (step > 0, "
            "stop >= start) or a comma-separated list"
        ) from None
    if numbers is None:
        # Counted before the values are built: a typo like 2:1e12:1 must not exhaust memory.
        if (stop - start) / step >= MAX_AXIS_VALUES:
            raise InputError(f"axis {text!r}: more than {MAX_AXIS_VALUES} values")
        numbers = _inclusive_range(start, stop, step)
    if not all(math.isfinite(v) for v in numbers):
        raise InputError(f"axis {text!r}: values must be finite")
    if kind is int:
        if any(abs(v - round(v)) > 1e-9 for v in numbers):
            raise InputError(f"axis {name!r} takes integers, got {values!r}")
        return name, tuple(int(round(v)) for v in numbers)
    return name, tuple(round(v, 12) for v in numbers)


def _log_axis(text: str, name: str, kind: type, spec: str) -> tuple:
    """Values of ``log:START:STOP:COUNT`` (see ``parse_axis``)."""
    try:
        start_text, stop_text, count_text = spec.split(":")
        start, stop, count = float(start_text), float(stop_text), int(count_text)
        if not (math.isfinite(start) and math.isfinite(stop) and 0 < start <= stop and count >= 1):
            raise ValueError
    except ValueError:
        raise InputError(
            f"axis {text!r}: log axes are NAME=log:START:STOP:COUNT with 0 < START <= STOP and an integer COUNT >= 1"
        ) from None
    if count > MAX_AXIS_VALUES:
        raise InputError(f"axis {text!r}: more than {MAX_AXIS_VALUES} values")
    numbers = np.geomspace(start, stop, count) if count > 1 else np.array([start])
    if kind is int:
        return tuple(dict.fromkeys(int(round(v)) for v in numbers))
    return tuple(dict.fromkeys(float(f"{v:.12g}") for v in numbers))


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SweepSpec:
    """What a sweep computes: a base parameter point, axes varied over their product, seeds.

    Paper: Figure 5's grid (any ProblemParams axes are allowed).

    Parameters
    ----------
    base : ProblemParams
    axes : tuple of (field name, values)
    seeds : tuple of int
        Each cell is run once per seed (``seed`` field); results are kept per seed.
    engine : {"reduced", "direct", "flow"}
    flow : FlowSweep, optional
        Horizon, outcome horizons and tolerances of a flow sweep (default ``FlowSweep()``);
        only with ``engine="flow"``.
    """

    base: ProblemParams
    axes: tuple[tuple[str, tuple], ...]
    seeds: tuple[int, ...]
    engine: str = "reduced"
    flow: FlowSweep | None = None

    def __post_init__(self) -> None:
        names = [name for name, _ in self.axes]
        if not names:
            raise InputError("a sweep needs at least one axis")
        if len(set(names)) != len(names):
            raise InputError(f"axes {names}: each field may appear once")
        for name, values in self.axes:
            if name not in _AXIS_TYPES:
                raise InputError(f"axis {name!r}: must be one of {', '.join(sorted(_AXIS_TYPES))}")
            if not values:
                raise InputError(f"axis {name!r} has no values")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise InputError(f"seeds={self.seeds!r}: need at least one, without repeats")
        if self.engine not in ENGINES:
            raise InputError(f"engine={self.engine!r}: must be one of {', '.join(ENGINES)}")
        check_limit("seeds", len(self.seeds), "seeds per cell")
        # Counted before any cell is built; then building every cell validates every parameter
        # point before any work starts.
        check_limit("sweep_cells", math.prod(self.shape), "cells of the sweep")
        if self.engine == "flow" and self.flow is None:
            object.__setattr__(self, "flow", FlowSweep())
        if self.engine != "flow" and self.flow is not None:
            raise InputError(f"flow settings with engine={self.engine!r}: they need engine='flow'")
        if self.engine == "direct" and self.base.draw == "latent":
            raise InputError(
                "engine='direct' with draw='latent': the latent draw has no d-dimensional "
                "tokens; use engine 'reduced' or 'flow'"
            )
        list(self.cells())

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(values) for _, values in self.axes) + (len(self.seeds),)

    def cells(self) -> Iterator[tuple[str, ProblemParams]]:
        """(cell id, parameters) for every axis combination and seed, in row-major order."""
        names = [name for name, _ in self.axes]
        for combo in itertools.product(*(values for _, values in self.axes)):
            for seed in self.seeds:
                changes = dict(zip(names, combo)) | {"seed": seed}
                yield cell_id(changes), self.base.replace(**changes)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "spec_version": SPEC_VERSION,
            "base": self.base.to_dict(),
            "axes": [[name, list(values)] for name, values in self.axes],
            "seeds": list(self.seeds),
            "engine": self.engine,
        }
        if self.flow is not None:
            data["flow"] = self.flow.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SweepSpec:
        """The inverse of ``to_dict``; a malformed mapping raises ``ValueError`` naming the field."""
        if not isinstance(data, Mapping):
            raise InputError("a sweep specification must be a JSON object")
        for key, kind in (("base", Mapping), ("axes", list), ("seeds", list), ("engine", str)):
            if not isinstance(data.get(key), kind):
                raise InputError(
                    f"field {key!r} is missing or not a {'JSON object' if kind is Mapping else kind.__name__}"
                )
        axes = []
        for axis in data["axes"]:
            if not (
                isinstance(axis, list)
                and len(axis) == 2
                and isinstance(axis[0], str)
                and isinstance(axis[1], list)
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in axis[1])
            ):
                raise InputError("field 'axes' must hold [name, [numbers]] pairs")
            axes.append((axis[0], tuple(axis[1])))
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in data["seeds"]):
            raise InputError("field 'seeds' must hold integers")
        flow = data.get("flow")
        if flow is not None and not isinstance(flow, Mapping):
            raise InputError("field 'flow' must be a JSON object or null")
        return cls(
            base=ProblemParams.from_mapping(data["base"]),
            axes=tuple(axes),
            seeds=tuple(data["seeds"]),
            engine=data["engine"],
            flow=FlowSweep.from_dict(flow) if flow is not None else None,
        )

    def runner(self) -> str | FlowSweep:
        """What a task needs to run a cell: the engine name, or the flow settings."""
        # After validation the flow settings are present exactly when engine is "flow".
        return self.flow if self.flow is not None else self.engine


def cell_id(changes: Mapping[str, Any]) -> str:
    """A readable file-name-safe id such as ``dim=250_signal_norm=7.5_seed=42``."""
    return "_".join(f"{name}={value!r}" for name, value in changes.items())


def run_cell(params: ProblemParams, engine: str | FlowSweep = "reduced") -> dict[str, Any]:
    """Run one cell and return its final metrics and observed regime (never raises).

    Only the first and last steps are recorded (the step loss is kept at every step). With the
    reduced engine a cell that the column engine covers is run as a column of one, so the result
    is the one a sweep writes for it. ``engine`` may be a ``FlowSweep``: the cell is then
    integrated on the gradient flow (``run_flow_column``).

    Paper: Figure 5 (final train and test loss per cell) and the regime classification.
    """
    if isinstance(engine, FlowSweep):
        return run_flow_column(params, [params.signal_norm], engine)[0]
    if engine == "reduced" and _column_engine_applies(params):
        return run_column(params, [params.signal_norm])[0]
    try:
        if engine == "reduced":
            from numerics.reduced import run_reduced

            recording = run_reduced(params, record_every=max(params.steps, 1), throw=False)
        else:
            from numerics.gd import run_direct

            recording = run_direct(params, record_every=max(params.steps, 1), throw=False)
    except Exception as exc:  # noqa: BLE001 - a failed cell is recorded, the sweep goes on
        return _failed(exc)
    return _cell_result(params, recording, engine)


def run_column(base: ProblemParams, signal_norms: Sequence[float]) -> list[dict[str, Any]]:
    """Run the cells ``base.replace(signal_norm=mu)`` of one column with the reduced column engine.

    Returns one ``run_cell``-style result per signal norm (never raises: a set-up failure fails
    every cell of the call, a non-finite cell fails alone).

    Paper: Figure 5 (a column of the (d, ||mu||) grid at fixed d).
    """
    try:
        from numerics.column import run_reduced_column

        recordings = run_reduced_column(base, signal_norms, record_every=max(base.steps, 1), throw=False)
    except Exception as exc:  # noqa: BLE001 - failed cells are recorded, the sweep goes on
        return [_failed(exc) for _ in signal_norms]
    return [
        _cell_result(base.replace(signal_norm=mu), recording, "reduced")
        for mu, recording in zip(signal_norms, recordings)
    ]


def run_flow_column(base: ProblemParams, signal_norms: Sequence[float], settings: FlowSweep) -> list[dict[str, Any]]:
    """Flow cells ``base.replace(signal_norm=mu)``: ``run_cell``-style results plus ``events``
    (first times, ``None`` = not within the horizon), ``horizons`` (metrics and coarse outcome at
    each outcome horizon) and ``tau_reached`` (never raises).

    Paper: Section 4 (gradient flow to exponential horizons).
    """
    try:
        recordings = flow_column(base, signal_norms, settings)
    except Exception as exc:  # noqa: BLE001 - failed cells are recorded, the sweep goes on
        return [_failed(exc) for _ in signal_norms]
    results = []
    for mu, recording in zip(signal_norms, recordings):
        if isinstance(recording, Exception):
            results.append(_failed(recording))
            continue
        result = _cell_result(base.replace(signal_norm=mu), recording, "flow")
        if "train_loss" in recording.arrays:
            result.update(
                events=recording.stats["events"],
                horizons=horizon_outcomes(recording, settings),
                tau_reached=float(recording.arrays["time"][-1]),
            )
        results.append(result)
    return results


def _column_engine_applies(params: ProblemParams) -> bool:
    return params.train == "joint" and params.layout == "independent"


def _failed(exc: Exception) -> dict[str, Any]:
    return {"status": "failed", "error": f"{type(exc).__name__}: {exc}", "regime": "failed"}


def _cell_result(params: ProblemParams, recording, engine: str) -> dict[str, Any]:
    if not recording.status.ok:
        return {"status": "failed", "error": recording.message, "regime": "failed"}
    try:
        labels, true_labels, noisy = split_labels(params, "train")
        arrays = dict(recording.arrays) | {"noisy": noisy, "train_labels": labels, "train_true_labels": true_labels}
        source = "flow:scipy" if engine == "flow" else f"gd:{engine}"
        trajectory = Trajectory(params=params, source=source, arrays=arrays)
        # A cell keeps only its last step, so the regime is decided at the sweep's horizon.
        horizon = float(trajectory.arrays["time"][-1])
        classification = classify(trajectory, tolerances=OutcomeTolerances(decide_at=horizon))
    except Exception as exc:  # noqa: BLE001 - a failed cell is recorded, the sweep goes on
        return _failed(exc)
    result = {
        "status": "success",
        "regime": classification.regime,
        "decided_at_horizon": horizon,
        "clean_test_error": classification.outcome["clean_test_error"],
        "noisy_role_counts": classification.mechanism["noisy_role_counts"],
    }
    for name in METRICS:
        result[name] = float(trajectory.final(name))
    if all(name in arrays for name in MASS_ARRAYS):
        summary = attention_mass_summary(trajectory)
        result.update({name: summary.get(name) for name in MASS_METRICS})
    return result


def _run_chunk(chunk: Sequence[tuple[str, dict]], engine: str | FlowSweep) -> list[tuple[str, dict]]:
    """Run a task's cells: those of one column together (reduced engine, flow), the others one by one."""
    cells = [(key, ProblemParams.from_mapping(params)) for key, params in chunk]
    if isinstance(engine, FlowSweep):
        results: dict[str, dict] = {}
        for group in _columns(cells).values():
            flow_results = run_flow_column(group[0][1], [p.signal_norm for _, p in group], engine)
            results.update((key, result) for (key, _), result in zip(group, flow_results))
        return [(key, results[key]) for key, _ in cells]
    if engine == "reduced" and all(_column_engine_applies(params) for _, params in cells):
        results = {}
        for group in _columns(cells).values():
            base = group[0][1]
            for (key, _), result in zip(group, run_column(base, [p.signal_norm for _, p in group])):
                results[key] = result
        return [(key, results[key]) for key, _ in cells]
    return [(key, run_cell(params, engine)) for key, params in cells]


def _column_key(params: ProblemParams) -> str:
    # Everything but the signal norm: cells with equal keys share noise, W_0 and test noise.
    fields = params.to_dict()
    fields.pop("signal_norm")
    return json.dumps(fields, sort_keys=True)


def _columns(cells: list) -> dict[str, list]:
    """Cells grouped by column (insertion order kept); ``cells`` holds (key, ProblemParams)."""
    groups: dict[str, list] = {}
    for key, params in cells:
        groups.setdefault(_column_key(params), []).append((key, params))
    return groups


def _tasks(todo: list[tuple[str, dict]], engine: str, chunk_size: int | None, workers: int) -> list[list]:
    """Split the missing cells into tasks: with the reduced engine or the flow one column per task (at most
    ``chunk_size`` cells), largest d first so the slowest set-ups do not come last; otherwise
    ``chunk_size`` cells per task (default about 8 tasks per worker)."""
    if engine in ("reduced", "flow"):
        parsed = [(key, ProblemParams.from_mapping(params)) for key, params in todo]
        groups = sorted(_columns(parsed).values(), key=lambda group: -group[0][1].dim)
        size = chunk_size or max(len(group) for group in groups)
        return [
            [(key, params.to_dict()) for key, params in piece] for group in groups for piece in _chunks(group, size)
        ]
    return _chunks(todo, chunk_size or max(1, math.ceil(len(todo) / (8 * workers))))


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


@contextlib.contextmanager
def _single_threaded_blas() -> Iterator[None]:
    """Workers inherit one BLAS thread each: the cells are small and the processes share the cores."""
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update({name: "1" for name in names})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _die_with_parent(parent: int) -> None:
    """Worker initializer: end this worker when the sweep's process dies, however it dies.

    On Linux the kernel sends SIGKILL when the parent exits (``PR_SET_PDEATHSIG``); everywhere
    a daemon thread polls ``os.getppid()`` (re-parenting means the parent is gone) as well.
    """
    import threading
    import time

    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


#: A stream of finished tasks, closed early on an interrupt.
Results = Generator[list[tuple[str, dict]], None, None]


def _local_results(chunks, engine: str | FlowSweep, workers: int) -> Results:
    import concurrent.futures
    import multiprocessing

    # The pool starts its processes at the first submit, not when it is created: the variables
    # must stay set until the workers exist, or each would start a BLAS thread per core.
    with (
        _single_threaded_blas(),
        concurrent.futures.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_die_with_parent,
            initargs=(os.getpid(),),
        ) as pool,
    ):
        futures = [pool.submit(_run_chunk, chunk, engine) for chunk in chunks]
        try:
            for future in concurrent.futures.as_completed(futures):
                yield future.result()
        except BaseException:
            # Interrupted (Ctrl-C, SIGTERM) or failed: stop the workers now instead of waiting
            # for their running cells; finished cells are already on disk.
            _terminate_workers(pool)
            raise
        finally:
            for future in futures:
                future.cancel()


def _terminate_workers(pool) -> None:
    """Kill a process pool's workers (``ProcessPoolExecutor.terminate_workers`` from Python 3.14)."""
    terminate = getattr(pool, "terminate_workers", None)
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError, AttributeError):
            process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


def _dask_results(chunks, engine: str | FlowSweep, workers: int, scheduler: str | None) -> Results:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise InputError("--executor dask needs the optional extra: pip install 'benign-attention[dask]'") from None
    with contextlib.ExitStack() as stack:
        if scheduler:
            client = stack.enter_context(Client(scheduler))
        else:
            with _single_threaded_blas():
                cluster = stack.enter_context(
                    LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
                )
            client = stack.enter_context(Client(cluster))
        futures = client.map(_run_chunk, chunks, engine=engine, pure=False)
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            client.cancel(futures)


def _serial_results(chunks, engine: str | FlowSweep) -> Results:
    for chunk in chunks:
        yield _run_chunk(chunk, engine)


def _check_directory(out: Path, spec: SweepSpec) -> None:
    check_writable_parent(out)
    spec_path = out / "sweep.json"
    if spec_path.exists():
        # Compared as specs, not as text: a sweep written before a parameter existed (its
        # default then applies) is the same sweep and resumes.
        stored = read_json_file(spec_path, "sweep file")
        try:
            same = SweepSpec.from_dict(stored) == spec
        except (ValueError, TypeError, KeyError):
            same = False
        if not same:
            raise InputError(
                f"{str(out)!r} holds a different sweep (sweep.json differs): choose another "
                "--out or repeat the original command to resume it"
            )
    elif out.exists() and any(out.iterdir()):
        raise InputError(f"output directory {str(out)!r} exists, is not empty and holds no sweep.json")


def _remove_stale_temporaries(out: Path) -> None:
    """Delete the temporary files (``.NAME.tmp``) of writes that a killed sweep never finished.

    Called under the sweep's claim: no other process writes into ``out`` then.
    """
    for directory in (out, out / "cells"):
        if directory.is_dir():
            for path in directory.glob(".*.tmp"):
                with contextlib.suppress(OSError):
                    path.unlink()


def _finished_cells(out: Path, keys: set[str]) -> set[str]:
    """The cells of ``keys`` whose file is a well-formed result (``read_cell``); a malformed
    file (cut short, edited, from elsewhere) is not trusted and its cell is computed again."""
    done = set()
    for path in (out / "cells").glob("*.json"):
        if path.stem in keys:
            with contextlib.suppress(ValueError):
                read_cell(path, path.stem)
                done.add(path.stem)
    return done


def _cell_bytes(params: ProblemParams, engine: str, flow: FlowSweep | None = None) -> int:
    """Peak bytes of one task of a sweep (a column of up to ``DEFAULT_BATCH`` cells, or a cell)."""
    from numerics.budget import direct_bytes, flow_bytes, reduced_bytes

    every = max(params.steps, 1)
    if engine == "flow":
        settings = flow or FlowSweep()
        return flow_bytes(params, checkpoints=settings.checkpoints + len(settings.outcome_horizons))
    if engine == "direct":
        return direct_bytes(params, record_every=every)
    if _column_engine_applies(params):
        from numerics.column import DEFAULT_BATCH, column_bytes

        return column_bytes(params, batch=DEFAULT_BATCH, record_every=every)
    return reduced_bytes(params, record_every=every)


def check_sweep_memory(spec: SweepSpec, workers: int) -> None:
    """Refuse a sweep whose largest task, run by every worker at once, exceeds the memory budget."""
    from numerics.budget import check_memory

    largest, where = 0, spec.base
    seen = set()
    for _, params in spec.cells():
        sizes = (params.n_train, params.seq_len, params.dim, params.n_test, params.steps, params.train, params.layout)
        if sizes in seen:
            continue
        seen.add(sizes)
        needed = _cell_bytes(params, spec.engine, spec.flow)
        if needed > largest:
            largest, where = needed, params
    tasks = min(workers, math.prod(spec.shape))
    check_memory(f"the sweep ({tasks} worker{'s' if tasks > 1 else ''} at once)", largest * tasks, where)


def run_sweep(
    spec: SweepSpec,
    out: str | Path,
    *,
    executor: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int | None = None,
    progress: bool = False,
    on_cell: Callable[[str, dict], None] | None = None,
) -> dict[str, int]:
    """Run the cells of ``spec`` missing from ``out``; returns counts of done, new and failed cells.

    Parameters
    ----------
    executor : {"local", "dask", "serial"}
        Local worker processes, a Dask cluster (``scheduler`` address, or a local cluster of
        ``workers`` processes), or in this process.
    workers : int, optional
        Processes; default all cores.
    chunk_size : int, optional
        Cells per task. Reduced engine: a task is one column (cells differing only in
        ``signal_norm``), split into pieces of at most ``chunk_size`` cells; other engines: default
        about 8 tasks per worker (fewer round trips, small losses on a kill).
    on_cell : callable, optional
        Called with (cell id, result) after each cell file is written.
    """
    if executor not in EXECUTORS:
        raise InputError(f"executor={executor!r}: must be one of {', '.join(EXECUTORS)}")
    if executor != "dask" and scheduler:
        raise InputError("--scheduler needs --executor dask")
    workers = (os.cpu_count() or 1) if workers is None else workers
    if workers < 1:
        raise InputError(f"workers={workers!r}: must be >= 1")
    if chunk_size is not None and chunk_size < 1:
        raise InputError(f"chunk_size={chunk_size!r}: must be >= 1")
    check_sweep_memory(spec, 1 if executor == "serial" else workers)
    out = check_writable_parent(out)
    with claim(out, what="sweep directory"):
        return _run_claimed(
            spec,
            out,
            executor=executor,
            workers=workers,
            scheduler=scheduler,
            chunk_size=chunk_size,
            progress=progress,
            on_cell=on_cell,
        )


def _run_claimed(
    spec: SweepSpec, out: Path, *, executor, workers, scheduler, chunk_size, progress, on_cell
) -> dict[str, int]:
    from tqdm import tqdm

    _check_directory(out, spec)
    (out / "cells").mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(out)
    write_json(out / "sweep.json", spec.to_dict())
    cells = list(spec.cells())
    done = _finished_cells(out, {key for key, _ in cells})
    todo = [(key, params.to_dict()) for key, params in cells if key not in done]
    counts = {"cells": len(cells), "already_done": len(cells) - len(todo), "computed": 0, "failed": 0}
    if not todo:
        return counts
    chunks = _tasks(todo, spec.engine, chunk_size, workers)
    runner = spec.runner()
    results = {
        "local": lambda: _local_results(chunks, runner, workers),
        "dask": lambda: _dask_results(chunks, runner, workers, scheduler),
        "serial": lambda: _serial_results(chunks, runner),
    }[executor]()
    with (
        tqdm(
            total=len(cells),
            initial=counts["already_done"],
            unit="cell",
            desc="sweep",
            disable=not progress,
            file=sys.stderr,
        ) as bar,
        contextlib.closing(results),
    ):
        # closing: an interrupt while a cell is written still stops the workers at once.
        for batch in results:
            for key, result in batch:
                write_json(out / "cells" / f"{key}.json", {"cell": key, **result})
                counts["computed"] += 1
                counts["failed"] += result["status"] != "success"
                if on_cell is not None:
                    on_cell(key, result)
            bar.update(len(batch))
    return counts


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SweepResult:
    """Per-cell metrics and regimes of a sweep, on the grid of its axes (last axis: seeds).

    Paper: Figure 5 (final losses over (d, ||mu||)).

    Attributes
    ----------
    spec : SweepSpec
    metrics : mapping of metric name to array of shape ``spec.shape`` (NaN: missing or failed)
    regimes : array of str, shape ``spec.shape`` ("missing" for cells not yet run, "failed")
    """

    spec: SweepSpec
    metrics: Mapping[str, np.ndarray]
    regimes: np.ndarray

    @property
    def axes(self) -> tuple[tuple[str, tuple], ...]:
        return self.spec.axes

    @property
    def complete(self) -> bool:
        return not np.any(self.regimes == "missing")

    def mean(self, name: str) -> np.ndarray:
        """Mean of a metric over seeds (NaN where every seed is missing)."""
        values = self.metrics[name]
        with np.errstate(invalid="ignore"), _quiet_nanmean():
            return np.nanmean(values, axis=-1)

    def majority_regime(self) -> np.ndarray:
        """Most frequent regime over seeds per cell (ties: the earlier one in ``REGIMES``)."""
        order = list(REGIMES) + ["failed", "missing"]
        flat = self.regimes.reshape(-1, self.regimes.shape[-1])
        winners = [_most_frequent(list(row), order) for row in flat]
        return np.array(winners, dtype=object).reshape(self.regimes.shape[:-1])

    def regime_fractions(self) -> dict[str, np.ndarray]:
        return {r: np.mean(self.regimes == r, axis=-1) for r in REGIMES}

    def to_summary(self) -> dict[str, Any]:
        """JSON-ready: axes, seeds, per-cell mean metrics (the attention-mass ratios where some
        cell has them) and majority regime."""
        names = [*METRICS, *(name for name in MASS_METRICS if np.any(np.isfinite(self.metrics[name])))]
        return {
            "spec": self.spec.to_dict(),
            "mean": {
                name: np.where(np.isnan(m := self.mean(name)), None, m).tolist()  # type: ignore[call-overload]  # stubs: None is a valid object scalar
                for name in names
            },
            "majority_regime": self.majority_regime().tolist(),
            "counts": {r: int(np.sum(self.regimes == r)) for r in (*REGIMES, "failed", "missing")},
        }


def _most_frequent(values: list, order: list[str]) -> str:
    """The entry of ``order`` seen most often in ``values`` (ties: the earlier one)."""
    return max(order, key=lambda r: (values.count(r), -order.index(r)))


@contextlib.contextmanager
def _quiet_nanmean() -> Iterator[None]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


#: Values a cell file's ``regime`` may take.
CELL_REGIMES = (*REGIMES, "failed")


def read_cell(path: Path, key: str) -> dict[str, Any]:
    """Read and check one cell file: a JSON object for cell ``key`` with a known status and
    regime, and numbers (or ``null``) for the metrics; ``ValueError`` names the file and field."""
    result = read_json_file(path, "sweep cell file", max_bytes=2**20)
    where = repr(str(path))
    if not isinstance(result, dict):
        raise InputError(f"{where} must hold a JSON object")
    if result.get("cell") != key:
        raise InputError(f"{where}: field 'cell' must be {key!r}")
    if result.get("status") not in ("success", "failed"):
        raise InputError(f"{where}: field 'status' must be 'success' or 'failed'")
    if result.get("regime") not in CELL_REGIMES:
        raise InputError(f"{where}: field 'regime' must be one of {', '.join(CELL_REGIMES)}")
    for name in (*METRICS, *MASS_METRICS):
        value = result.get(name)
        if result["status"] == "success" and name not in result and name in METRICS:
            raise InputError(f"{where}: field {name!r} is missing")
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise InputError(f"{where}: field {name!r} must be a number or null")
    return result


def load_sweep(out: str | Path) -> SweepResult:
    """Read a sweep directory into a ``SweepResult`` (missing cells are NaN / "missing").

    Every file is checked (``read_cell``); a malformed one raises ``ValueError`` naming it.
    """
    out = Path(out)
    spec_path = out / "sweep.json"
    if not spec_path.exists():
        raise InputError(f"{str(spec_path)!r} does not exist: not a sweep directory")
    try:
        spec = SweepSpec.from_dict(read_json_file(spec_path, "sweep file"))
    except (ValueError, TypeError) as exc:
        raise InputError(f"{str(spec_path)!r}: {exc}") from None
    shape = spec.shape
    metrics = {name: np.full(shape, np.nan) for name in (*METRICS, *MASS_METRICS)}
    regimes = np.full(shape, "missing", dtype=object)
    for flat, (key, _) in enumerate(spec.cells()):
        path = out / "cells" / f"{key}.json"
        if not path.exists():
            continue
        result = read_cell(path, key)
        index = np.unravel_index(flat, shape)
        regimes[index] = result["regime"]
        for name in (*METRICS, *MASS_METRICS):
            value = result.get(name)
            if value is not None:
                metrics[name][index] = value
    return SweepResult(spec=spec, metrics=metrics, regimes=regimes)
