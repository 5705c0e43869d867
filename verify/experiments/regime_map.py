"""The paper's regime map measured: both boundary laws over decades of d and several n.

The v3 map (arXiv 2409.17625, Figure 1): harmful overfitting below SNR ~ d^(-1/4), not
overfitting above SNR ~ n^(-1/2), benign in between, i.e. the boundaries

    harmful | benign:          ||mu|| ∝ d^(1/4)            (exponents a = 1/4, b = 0)
    benign | not overfitting:  ||mu|| ∝ d^(1/2) n^(-1/2)   (a = 1/2, b = -1/2).

The design runs gradient flows on the d-free latent draw (Gaussian W_0), d log-spaced over
several decades, ||mu|| log-spaced per (d, n) over a range bracketing both predicted
boundaries, several n and seeds (data and W_0 vary with the seed). Each (d, n) is one flow sweep
(resumable, on local processes or Dask). The boundaries are estimated from outcomes only:

- harmful | benign: among runs that fitted every label by the horizon, whether the clean test
  error exceeds epsilon_err, and (separately) whether the test loss has failed to come within
  epsilon of its floor (the test loss of attention on the relevant token) by the horizon. The
  first reads the head's own noise floor as well (a model attending perfectly still errs with
  probability Phi(-||mu||/sqrt 2)); the second measures harm relative to the best attention;
- benign | not overfitting: among runs that fitted every clean label, whether every noisy
  label is fitted by the horizon;

each with ``verify.experiments.boundary_fit`` (logistic model, cluster bootstrap over seeds), for several
epsilon_err and horizons. The constants C_harm, C_benign, C_clean are calibrated with the
theory's exponents fixed, written to a constants file, and validated on a held-out design
(other seeds, ||mu|| between the design's values).

Paper: arXiv 2409.17625 v3 Figure 1 (regime map; its constants are unknown, named here).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from theory.params import ProblemParams
from theory.records import AssumptionWarning
from theory.regimes import predict
from theory.validation import InputError
from verify.experiments.boundary_fit import BoundaryFit, Outcomes, calibrate_constant, fit_boundary
from verify.files import atomic_write_text, write_json

__all__ = [
    "PREDICTED",
    "BOUNDARY_LABELS",
    "RegimeMapDesign",
    "signal_range",
    "design_sweeps",
    "collect",
    "outcomes_at",
    "analyse",
    "observed_regime",
    "validate_constants",
    "regime_map_markdown",
    "statement",
    "run_regime_map",
    "write_outputs",
    "calibrated_constants",
    "local_exponents",
]

#: The theory's exponents (a, b) of ||mu||* ∝ d^a n^b for each boundary. The harmful | benign
#: boundary is located twice: by the clean test error crossing epsilon_err, and by the test loss
#: failing to reach its floor (within the flow sweep's epsilon) by the horizon.
PREDICTED = {"harmful_benign": (0.25, 0.0), "harmful_benign_loss": (0.25, 0.0), "benign_not_overfitting": (0.5, -0.5)}
#: How reports and figures name each boundary.
BOUNDARY_LABELS = {
    "harmful_benign": "harmful | benign (test error)",
    "harmful_benign_loss": "harmful | benign (excess test loss)",
    "benign_not_overfitting": "benign | not overfitting",
}


def signal_range(dim: int, n_train: int, span: tuple[float, float]) -> tuple[float, float]:
    """||mu|| from ``1/span[0]`` of the lower predicted boundary to ``span[1]`` times the upper one."""
    harm = dim**0.25
    clean = math.sqrt(dim / n_train)
    return min(harm, clean) / span[0], max(harm, clean) * span[1]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class RegimeMapDesign:
    """What the regime map runs.

    Parameters
    ----------
    dims, n_values : the d and n of the design
    signal_points : ||mu|| values per (d, n), log-spaced over ``signal_range``
    span : how far below the lower and above the upper predicted boundary the ||mu|| range
        reaches (two factors; noisy labels are fitted well above n SNR^2 = 1 at long horizons,
        so the upper factor is large)
    seeds : data and W_0 seeds of the fitted runs
    heldout_seeds : seeds of the validation runs (at ||mu|| between the design's values)
    horizon : flow time of every run; outcomes are also read at each decade below it
    error_tolerances : the epsilon_err of the harmful | benign outcome
    base : the other parameters (latent draw, Gaussian W_0 are required for any-d runs)
    """

    dims: tuple[int, ...]
    n_values: tuple[int, ...]
    signal_points: int
    span: tuple[float, float]
    seeds: tuple[int, ...]
    heldout_seeds: tuple[int, ...]
    horizon: float
    error_tolerances: tuple[float, ...] = (0.02, 0.05, 0.1)
    base: ProblemParams = ProblemParams(draw="latent", init="gaussian", n_test=500)

    def __post_init__(self) -> None:
        if not self.dims or not self.n_values or not self.seeds:
            raise InputError("a regime-map design needs dims, n values and seeds")
        if self.signal_points < 3:
            raise InputError(f"signal_points={self.signal_points!r}: must be >= 3")
        if len(self.span) != 2 or not all(math.isfinite(v) and v > 1 for v in self.span):
            raise InputError(f"span={self.span!r}: must be two finite factors > 1")
        if set(self.seeds) & set(self.heldout_seeds):
            raise InputError("held-out seeds must differ from the fitted seeds")
        if self.base.draw != "latent" or self.base.init != "gaussian":
            raise InputError("the regime map runs on the exact d-free draw: base needs draw='latent', init='gaussian'")

    @classmethod
    def quick(cls) -> RegimeMapDesign:
        """About 10 minutes on 2 cores: d = 1e2 .. 1e8 by decades, n = 10, 20, 40, 14 ||mu|| values,
        5 seeds, flow to tau = 1e6."""
        return cls(
            dims=tuple(10**k for k in range(2, 9)),
            n_values=(10, 20, 40),
            signal_points=14,
            span=(3.0, 100.0),
            seeds=tuple(range(5)),
            heldout_seeds=(100,),
            horizon=1e6,
        )

    @classmethod
    def full(cls) -> RegimeMapDesign:
        """d = 1e2 .. 1e8 by decades, n = 10, 20, 40, 80, 14 ||mu|| values, 5 seeds, flow to tau = 1e8
        (about 25 minutes on 2 cores: the n = 80 flows dominate; the quick design's intervals showed
        that neither more seeds nor half decades of d are what limits the measurement)."""
        return cls(
            dims=tuple(10**k for k in range(2, 9)),
            n_values=(10, 20, 40, 80),
            signal_points=14,
            span=(3.0, 100.0),
            seeds=tuple(range(5)),
            heldout_seeds=(100,),
            horizon=1e8,
        )

    def signal_norms(self, dim: int, n_train: int, *, heldout: bool = False) -> tuple[float, ...]:
        lo, hi = signal_range(dim, n_train, self.span)
        grid = np.geomspace(lo, hi, self.signal_points)
        if heldout:
            grid = np.sqrt(grid[:-1] * grid[1:])
        return tuple(float(f"{v:.6g}") for v in grid)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["base"] = self.base.to_dict()
        return data


def design_sweeps(design: RegimeMapDesign, *, heldout: bool = False):
    """One flow ``SweepSpec`` per (d, n): (name, spec)."""
    from verify.experiments.flow_cells import FlowSweep
    from verify.experiments.sweep import SweepSpec

    settings = FlowSweep(horizon=design.horizon)
    for dim in design.dims:
        for n in design.n_values:
            base = design.base.replace(dim=dim, n_train=n)
            axes = (("signal_norm", design.signal_norms(dim, n, heldout=heldout)),)
            seeds = design.heldout_seeds if heldout else design.seeds
            yield f"d{dim}-n{n}", SweepSpec(base=base, axes=axes, seeds=tuple(seeds), engine="flow", flow=settings)


def collect(directory: str | Path, design: RegimeMapDesign, *, heldout: bool = False) -> list[dict[str, Any]]:
    """The finished cells of the design's sweeps under ``directory``, one record per run:
    dim, n_train, signal_norm, seed, the outcome rows at each horizon and the event times."""
    records = []
    for name, spec in design_sweeps(design, heldout=heldout):
        for key, params in spec.cells():
            path = Path(directory) / name / "cells" / f"{key}.json"
            if not path.is_file():
                continue
            cell = json.loads(path.read_text(encoding="utf-8"))
            if cell.get("status") != "success" or "horizons" not in cell:
                continue
            records.append(
                {
                    "dim": params.dim,
                    "n_train": params.n_train,
                    "signal_norm": params.signal_norm,
                    "seed": params.seed,
                    "horizons": cell["horizons"],
                    "events": cell.get("events", {}),
                }
            )
    return records


def _at(record: dict[str, Any], horizon: float) -> dict[str, Any] | None:
    rows = [row for row in record["horizons"] if math.isclose(row["time"], horizon, rel_tol=1e-9)]
    return rows[0] if rows else None


def observed_regime(row: dict[str, Any], error_tolerance: float) -> str | None:
    """The outcome at one horizon (``verify.reporting.classify.fit_outcome``): benign / harmful /
    not_overfitting, None if a clean label is not fitted (the run says nothing about the map)."""
    from verify.reporting.classify import error_from_accuracy, fit_outcome

    clean, noisy, test = row.get("train_acc_clean"), row.get("train_acc_noisy"), row.get("test_acc")
    if clean is None or test is None:
        return None
    outcome = fit_outcome(clean, math.nan if noisy is None else noisy, error_from_accuracy(test), error_tolerance)
    return {"not fitted": None, "not overfitting": "not_overfitting"}.get(outcome, outcome)


def observed_outcomes(
    records: Iterable[dict[str, Any]], *, horizon: float, error_tolerance: float
) -> dict[int, dict[tuple[float, float], list]]:
    """For each n, the outcome (``observed_regime``) of every run at ``horizon`` by design point
    (d, ||mu||); None where a run has no checkpoint at ``horizon``. What the map figure draws."""
    outcomes: dict[int, dict[tuple[float, float], list]] = {}
    for r in records:
        rows = [row for row in r["horizons"] if math.isclose(row["time"], horizon, rel_tol=1e-9)]
        regime = observed_regime(rows[0], error_tolerance) if rows else None
        outcomes.setdefault(r["n_train"], {}).setdefault((r["dim"], r["signal_norm"]), []).append(regime)
    return outcomes


def outcomes_at(
    records: Iterable[dict[str, Any]], boundary: str, *, horizon: float, error_tolerance: float
) -> Outcomes:
    """The binary outcomes that locate one boundary, at one horizon."""
    rows = []
    for record in records:
        row = _at(record, horizon)
        regime = None if row is None else observed_regime(row, error_tolerance)
        if regime is None:
            continue
        if boundary == "harmful_benign":
            if regime == "not_overfitting":
                continue
            outcome = regime == "harmful"
        elif boundary == "harmful_benign_loss":
            if regime == "not_overfitting":
                continue
            reached = record["events"].get("test_loss_near_floor")
            outcome = reached is None or reached > horizon
        elif boundary == "benign_not_overfitting":
            outcome = regime != "not_overfitting"
        else:
            raise InputError(f"boundary {boundary!r}: must be one of {', '.join(PREDICTED)}")
        rows.append((record["dim"], record["n_train"], record["signal_norm"], record["seed"], outcome))
    if not rows:
        raise InputError(f"no runs decide the {boundary} boundary at tau = {horizon:g}")
    dim, n, mu, seed, decided = map(np.array, zip(*rows))
    return Outcomes(dim=dim, n_train=n, signal_norm=mu, seed=seed, outcome=decided)


def _fit_or_reason(outcomes_factory, **kwargs) -> BoundaryFit | str:
    try:
        return fit_boundary(outcomes_factory(), **kwargs)
    except ValueError as exc:
        return str(exc)


def _horizons(design: RegimeMapDesign) -> list[float]:
    top = math.floor(math.log10(design.horizon))
    return sorted({10.0**k for k in range(0, top + 1)} | {float(design.horizon)})


def analyse(
    records: Sequence[dict[str, Any]], design: RegimeMapDesign, *, bootstrap: int = 200, error_tolerance: float = 0.05
) -> dict[str, Any]:
    """Both boundaries at the design's horizon, their sensitivity to epsilon_err and the horizon,
    whether benign | not overfitting settles as the horizon grows, and calibrated constants."""
    horizon = float(design.horizon)

    @functools.cache
    def fit_at(boundary: str, tau: float, eps: float) -> BoundaryFit | str:
        # The sensitivity scans pass through the main fits' settings: each fit is made once.
        return _fit_or_reason(
            lambda: outcomes_at(records, boundary, horizon=tau, error_tolerance=eps), bootstrap=bootstrap
        )

    boundaries = {
        boundary: _boundary_entry(fit_at(boundary, horizon, error_tolerance), PREDICTED[boundary])
        for boundary in PREDICTED
    }
    # The paper's laws are asymptotic in d: the same fits on the upper half of the design's
    # decades of d (fixed by the design, not chosen from the outcomes).
    dims = [r["dim"] for r in records]
    large = [r for r in records if r["dim"] >= math.sqrt(min(dims) * max(dims))] if dims else []
    large_d = {
        boundary: _boundary_entry(
            _fit_or_reason(
                functools.partial(outcomes_at, large, boundary, horizon=horizon, error_tolerance=error_tolerance),
                bootstrap=bootstrap,
            ),
            PREDICTED[boundary],
        )
        for boundary in PREDICTED
    }
    sensitivity: dict[str, dict[str, Any]] = {"error_tolerance": {}, "horizon": {}}
    for eps in design.error_tolerances:
        fit = fit_at("harmful_benign", horizon, float(eps))
        sensitivity["error_tolerance"][repr(eps)] = fit if isinstance(fit, str) else fit.exponent_d
    centre = {
        "dim": math.sqrt(min(design.dims) * max(design.dims)),
        "n_train": math.sqrt(min(design.n_values) * max(design.n_values)),
    }
    for tau in _horizons(design):
        fit = fit_at("benign_not_overfitting", tau, error_tolerance)
        sensitivity["horizon"][repr(tau)] = (
            fit
            if isinstance(fit, str)
            else {
                "exponent_d": fit.exponent_d,
                "exponent_n": fit.exponent_n,
                "log_constant": fit.log_constant,
                "log_boundary_at_centre": fit.log_boundary_at(centre["dim"], centre["n_train"]),
            }
        )
    local = {
        boundary: local_exponents(
            records, boundary, horizon=horizon, error_tolerance=error_tolerance, bootstrap=bootstrap
        )
        for boundary in PREDICTED
    }
    return {
        "boundaries": boundaries,
        "boundaries_large_d": large_d,
        "large_d_from": min(r["dim"] for r in large) if large else math.nan,
        "sensitivity": sensitivity,
        "local_exponents": local,
        "not_overfitting_boundary": _convergence(sensitivity["horizon"]) | {"centre": centre},
        "constants": _calibrate(records, horizon, error_tolerance, bootstrap),
    }


def _boundary_entry(fit: BoundaryFit | str, predicted: tuple[float, float]) -> dict[str, Any]:
    a, b = predicted
    entry: dict[str, Any] = {"predicted": {"exponent_d": a, "exponent_n": b}}
    if isinstance(fit, str):
        entry["undetermined"] = fit
        return entry
    entry.update(
        exponent_d=fit.exponent_d,
        exponent_n=fit.exponent_n,
        log_constant=fit.log_constant,
        runs=fit.runs,
        converged=fit.converged,
        coefficients=fit.coefficients,
        coefficient_draws=fit.coefficient_draws,
    )
    entry["agrees"] = {
        "exponent_d": fit.exponent_d["ci_low"] <= a <= fit.exponent_d["ci_high"],
        "exponent_n": None if fit.exponent_n is None else fit.exponent_n["ci_low"] <= b <= fit.exponent_n["ci_high"],
    }
    return entry


def local_exponents(
    records: Sequence[dict[str, Any]],
    boundary: str,
    *,
    horizon: float,
    error_tolerance: float,
    bootstrap: int = 200,
    decades: float = 2.0,
) -> list[dict[str, Any]]:
    """The boundary fitted in windows of ``decades`` decades of d, one decade apart: a single power
    law gives the same exponent in every window, a log correction or a crossover makes it drift.

    Each entry: the window's ``dim_low``, ``dim_high``, and ``exponent_d`` / ``exponent_n`` with
    their bootstrap intervals (or ``undetermined`` with the reason).
    """
    try:
        outcomes = outcomes_at(records, boundary, horizon=horizon, error_tolerance=error_tolerance)
    except ValueError as exc:
        return [{"undetermined": str(exc)}]
    log_dims = np.log10(np.unique(outcomes.dim))
    windows = []
    low = log_dims[0]
    while low + decades <= log_dims[-1] + 1e-9:
        inside = (np.log10(outcomes.dim) >= low - 1e-9) & (np.log10(outcomes.dim) <= low + decades + 1e-9)
        entry: dict[str, Any] = {"dim_low": float(10**low), "dim_high": float(10 ** (low + decades))}
        fit = _fit_or_reason(functools.partial(outcomes.subset, np.flatnonzero(inside)), bootstrap=bootstrap)
        if isinstance(fit, str):
            entry["undetermined"] = fit
        else:
            entry.update(exponent_d=fit.exponent_d, exponent_n=fit.exponent_n, runs=fit.runs)
        windows.append(entry)
        low += 1.0
    return windows


def _convergence(by_horizon: dict[str, Any]) -> dict[str, Any]:
    """Whether the benign | not-overfitting boundary still moves between the last two decades,
    judged where it is best located: log ||mu||* at the centre of the design."""
    fitted = [(float(tau), fit) for tau, fit in by_horizon.items() if not isinstance(fit, str)]
    if len(fitted) < 2:
        return {"verdict": "undetermined", "reason": "fewer than two horizons with a fitted boundary"}
    (tau_a, a), (tau_b, b) = fitted[-2], fitted[-1]
    a, b = a["log_boundary_at_centre"], b["log_boundary_at_centre"]
    shift = b["estimate"] - a["estimate"]
    spread = max(a["half_width"], b["half_width"])
    verdict = "settled" if abs(shift) <= spread else "moving"
    return {
        "verdict": verdict,
        "from_horizon": tau_a,
        "to_horizon": tau_b,
        "log_boundary_shift": shift,
        "ci_half_width": spread,
        "reason": (
            f"the fitted boundary's log ||mu||* at the design's centre moved by {shift:.3g} from "
            f"tau = {tau_a:g} to {tau_b:g}, {'within' if verdict == 'settled' else 'beyond'} its "
            f"CI half-width {spread:.3g}"
        ),
    }


def _calibrate(records, horizon: float, error_tolerance: float, bootstrap: int) -> dict[str, Any]:
    """C_harm (SNR = C_harm d^(-1/4) at the harmful | benign contour) and C_benign = C_clean
    (n SNR^2 at the benign | not-overfitting contour), with the theory's exponents fixed."""
    out: dict[str, Any] = {}
    try:
        harm = calibrate_constant(
            outcomes_at(records, "harmful_benign", horizon=horizon, error_tolerance=error_tolerance),
            exponent_d=0.25,
            bootstrap=bootstrap,
        )
        out["C_harm"] = harm  # ||mu||* = C d^(1/4)  <=>  SNR* = C d^(-1/4)
    except ValueError as exc:
        out["C_harm"] = str(exc)
    try:
        clean = calibrate_constant(
            outcomes_at(records, "benign_not_overfitting", horizon=horizon, error_tolerance=error_tolerance),
            exponent_d=0.5,
            exponent_n=-0.5,
            bootstrap=bootstrap,
        )
        # ||mu||* = C sqrt(d / n)  <=>  n SNR^2 = C^2 at the contour.
        squared = {k: v * v for k, v in clean.items() if k != "half_width"}
        squared["half_width"] = (squared["ci_high"] - squared["ci_low"]) / 2
        out["C_benign"] = out["C_clean"] = squared
    except ValueError as exc:
        out["C_benign"] = out["C_clean"] = str(exc)
    return out


def validate_constants(
    records: Sequence[dict[str, Any]],
    constants: dict[str, float],
    *,
    horizon: float,
    error_tolerance: float,
    base: ProblemParams,
) -> dict[str, Any]:
    """Accuracy of ``theory.regimes.predict`` with the calibrated constants on held-out runs."""
    hits, total = 0, 0
    confusion: dict[str, int] = {}
    for record in records:
        row = _at(record, horizon)
        observed = None if row is None else observed_regime(row, error_tolerance)
        if observed is None:
            continue
        params = base.replace(dim=record["dim"], n_train=record["n_train"], signal_norm=record["signal_norm"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AssumptionWarning)
            predicted = predict(params, constants).regime
        key = f"{predicted}->{observed}"
        confusion[key] = confusion.get(key, 0) + 1
        hits += predicted == observed
        total += 1
    return {"accuracy": hits / total if total else None, "runs": total, "confusion": confusion}


def _interval_text(interval: dict[str, float] | None) -> str:
    if not interval:
        return "—"
    return f"{interval['estimate']:.3f} ({interval['ci_low']:.3f} … {interval['ci_high']:.3f})"


def regime_map_markdown(result: dict[str, Any]) -> str:
    """``regime_map.md``: the answer first, then the numbers."""
    lines = ["# The regime map, measured", "", result["statement"], ""]
    for title, table in (
        ("Whole design", result["boundaries"]),
        (f"Upper half of the decades of d (d ≥ {result['large_d_from']:.3g})", result["boundaries_large_d"]),
    ):
        lines += [
            f"{title}:",
            "",
            "| boundary | exponent of d (95 % CI) | predicted | exponent of n (95 % CI) | predicted | runs |",
            "|---|---|---|---|---|---|",
        ]
        for name, entry in table.items():
            a, b = entry["predicted"]["exponent_d"], entry["predicted"]["exponent_n"]
            if "undetermined" in entry:
                lines.append(f"| {name} | undetermined: {entry['undetermined']} | {a} | — | {b} | — |")
                continue
            lines.append(
                f"| {name} | {_interval_text(entry['exponent_d'])} | {a} | "
                f"{_interval_text(entry['exponent_n'])} | {b} | {entry['runs']} |"
            )
        lines.append("")
    lines += [
        "Exponents fitted in windows of two decades of d (a single power law gives the same value in every window):",
        "",
        "| boundary | d window | exponent of d (95 % CI) | exponent of n (95 % CI) |",
        "|---|---|---|---|",
    ]
    for name, windows in result.get("local_exponents", {}).items():
        for w in windows:
            span = f"{w['dim_low']:.3g} … {w['dim_high']:.3g}" if "dim_low" in w else "—"
            if "undetermined" in w:
                lines.append(f"| {name} | {span} | undetermined: {w['undetermined']} | — |")
            else:
                lines.append(
                    f"| {name} | {span} | {_interval_text(w['exponent_d'])} | {_interval_text(w['exponent_n'])} |"
                )
    conv = result["not_overfitting_boundary"]
    lines += ["", f"Benign | not overfitting as the horizon grows: **{conv['verdict']}** — {conv['reason']}.", ""]
    lines += ["| constant | estimate (95 % CI) |", "|---|---|"]
    for name, value in result["constants"].items():
        lines.append(f"| {name} | {value if isinstance(value, str) else _interval_text(value)} |")
    validation = result["validation"]
    lines += [
        "",
        f"Held-out validation: accuracy {validation['accuracy']} over {validation['runs']} runs "
        f"(predicted->observed counts: {validation['confusion']}).",
        "",
    ]
    return "\n".join(lines)


def calibrated_constants(result: dict[str, Any]) -> dict[str, float]:
    """The constants ``analyse`` could calibrate, by name (their point estimates)."""
    return {name: value["estimate"] for name, value in result["constants"].items() if isinstance(value, dict)}


def write_outputs(out: Path, result: dict[str, Any]) -> None:
    """``regime_map.json``, ``regime_map.md`` and ``constants.json`` (for ``--constants``)."""
    write_json(out / "regime_map.json", result)
    atomic_write_text(out / "regime_map.md", regime_map_markdown(result))
    write_json(
        out / "constants.json",
        {
            "constants": calibrated_constants(result),
            "intervals": dict(result["constants"]),
            "source": "benign-attn regime-map",
            "design": result["design"],
        },
    )


def statement(boundaries: dict[str, Any], goal: dict[str, float], *, where: str = "") -> str:
    """The answer in words, per exponent: confirmed (the 95 % interval holds the prediction and
    is at most ``goal`` wide on each side), contradicted (it excludes it) or not resolvable.
    ``where`` qualifies each boundary's label (e.g. a range of d)."""
    parts = []
    for name, entry in boundaries.items():
        label = BOUNDARY_LABELS.get(name, name) + where
        if "undetermined" in entry:
            parts.append(f"{label}: not resolvable ({entry['undetermined']})")
            continue
        for key in ("exponent_d", "exponent_n"):
            interval = entry.get(key)
            if interval is None:
                continue
            predicted = entry["predicted"][key]
            inside = interval["ci_low"] <= predicted <= interval["ci_high"]
            tight = interval["half_width"] <= goal[key]
            verdict = "contradicted" if not inside else "confirmed" if tight else "not resolvable (interval too wide)"
            parts.append(
                f"{label}, {key.replace('exponent_', 'exponent of ')}: {interval['estimate']:.3f} "
                f"(95 % CI {interval['ci_low']:.3f} … {interval['ci_high']:.3f}) against {predicted:g}: "
                f"{verdict}"
            )
    return "; ".join(parts) + "."


def run_regime_map(
    design: RegimeMapDesign,
    out: str | Path,
    *,
    quick: bool,
    executor: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    bootstrap: int = 200,
    error_tolerance: float = 0.05,
    progress: bool = False,
    log: bool = False,
) -> dict[str, Any]:
    """Run (or resume) the design's sweeps and the held-out sweeps under ``out``, analyse them,
    and write ``regime_map.json``, ``regime_map.md``, ``constants.json`` and ``figures/``."""
    import sys

    from verify.experiments.sweep import run_sweep
    from verify.plots import (
        local_exponents_figure,
        noisy_fit_time_figure,
        regime_map_figure,
        regime_map_sensitivity_figure,
        save_figure,
    )
    from verify.provenance import provenance

    out = Path(out)
    for heldout, folder in ((False, "sweeps"), (True, "heldout")):
        for name, spec in design_sweeps(design, heldout=heldout):
            counts = run_sweep(
                spec, out / folder / name, executor=executor, workers=workers, scheduler=scheduler, progress=progress
            )
            if log:
                print(
                    f"{folder}/{name}: {counts['cells']} cells, {counts['computed']} computed, "
                    f"{counts['failed']} failed",
                    file=sys.stderr,
                )
    records = collect(out / "sweeps", design)
    result = analyse(records, design, bootstrap=bootstrap, error_tolerance=error_tolerance)
    result["validation"] = validate_constants(
        collect(out / "heldout", design, heldout=True),
        calibrated_constants(result),
        horizon=design.horizon,
        error_tolerance=error_tolerance,
        base=design.base,
    )
    goal = {"exponent_d": 0.1 if quick else 0.05, "exponent_n": 0.2 if quick else 0.1}
    result["goal_half_width"] = goal
    result["statement"] = (
        statement(result["boundaries"], goal, where=" over the whole design")
        + " "
        + statement(result["boundaries_large_d"], goal, where=f" for d ≥ {result['large_d_from']:.3g}")
    )
    result["design"] = design.to_dict() | {
        "quick": bool(quick),
        "runs": len(records),
        "error_tolerance": error_tolerance,
    }
    result["provenance"] = provenance()
    write_outputs(out, result)
    (out / "figures").mkdir(exist_ok=True)
    boundaries = {name: (BOUNDARY_LABELS[name], slope) for name, (slope, _) in PREDICTED.items()}
    save_figure(
        regime_map_figure(
            observed_outcomes(records, horizon=design.horizon, error_tolerance=error_tolerance),
            result,
            horizon=design.horizon,
            boundaries=boundaries,
        ),
        out / "figures" / "regime_map",
    )
    save_figure(regime_map_sensitivity_figure(result), out / "figures" / "sensitivity")
    save_figure(local_exponents_figure(result, labels=BOUNDARY_LABELS), out / "figures" / "local_exponents")
    save_figure(
        noisy_fit_time_figure(records, n_train=design.n_values[len(design.n_values) // 2]),
        out / "figures" / "noisy_fit_time",
    )
    return result
