"""``benign-attn figure NAME``: the paper's figures as PNG and PDF.

Paper: Figure 3 (dynamics), Figure 5 (phase), v1 Figure 1 (existence), and the g-function
growth (gaps), delayed generalisation (delay) and loss plateaus (plateaus); v1 Figure 3
(v1_dynamics), v1 Figures 4-6 (v1_grid) and the authors' p-only label-noise study (label_noise).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

from numerics.data import make_data
from theory.params import ProblemParams
from theory.records import AssumptionWarning
from theory.regimes import predict
from theory.validation import InputError
from verify.commands.params_options import add_params_arguments, params_from_args
from verify.experiments.existence import existence_construction, existence_window
from verify.experiments.phase import phase_analysis
from verify.experiments.sweep import SweepSpec, grid_axes, load_sweep, parse_axis, run_sweep
from verify.files import check_writable_parent
from verify.plots import (
    delay_figure,
    dynamics_figure,
    existence_figure,
    gaps_figure,
    label_noise_figure,
    phase_figure,
    plateaus_figure,
    save_figure,
    setting_title,
    v1_grid_figure,
)
from verify.reporting.checks import GapDefinition, check_delayed_generalization, g_growth_series
from verify.reporting.classify import classify
from verify.simulation import simulate
from verify.trajectory import Trajectory

FIGURES = ("dynamics", "phase", "existence", "gaps", "delay", "plateaus", "v1_dynamics", "v1_grid", "label_noise")
#: The v1 protocol (p-only prompt tuning): W = I, p_0 = 0, step 1e-4, 1000 steps, rho = 0.2,
#: d = 4000, ||mu|| = 20, n = 20, T = 8, eta = 0.2, n_test = 1000, random labels.
V1_PROTOCOL = {
    "train": "p_only",
    "step_size": 1e-4,
    "steps": 1000,
    "rho": 0.2,
    "dim": 4000,
    "signal_norm": 20.0,
    "n_train": 20,
    "seq_len": 8,
    "label_noise": 0.2,
    "n_test": 1000,
    "labels": "random",
}
#: v1 Figure 3's settings under the v1 protocol (d, ||mu||): the v1 default and, as in the v3
#: figure, a large-noise and a large-signal setting.
V1_SETTINGS = ((4000, 20.0), (4500, 5.0), (1000, 80.0))
#: The authors' p-only label-noise study (their public code): two tokens per role, legacy
#: generator, official layout, n = 100, seed 0, d = 12000, ||mu|| = 120, eta = 0 .. 0.9.
LABEL_NOISE_STUDY = {
    "train": "p_only",
    "relevant_tokens": 2,
    "weak_tokens": 2,
    "generator": "legacy",
    "layout": "official",
    "n_train": 100,
    "seed": 0,
    "dim": 12000,
    "signal_norm": 120.0,
}
LABEL_NOISE_AXIS = "label_noise=0:0.9:0.05"
#: The paper's three settings: balanced, large noise, large signal (d, ||mu||).
PAPER_SETTINGS = ((2000, 20.0), (4500, 5.0), (1000, 80.0))
#: v1 existence construction: d = 1e4, ||mu|| = 20, n = 100, T = 8, rho = 0.2, eta = 0.2.
EXISTENCE_DEFAULTS = {"dim": 10000, "signal_norm": 20.0, "n_train": 100, "rho": 0.2, "n_test": 500}
#: The lambdas the v1 paper reports, with its regimes there.
EXISTENCE_MARKS = {0.001: "v1: not overfitting", 0.06: "v1: benign", 1.0: "v1: harmful"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", choices=FIGURES, help="which figure")
    add_params_arguments(parser)
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="D,MU",
        help="(dynamics, plateaus, v1_dynamics) a (d, ||mu||) setting; repeatable (default: the paper's three)",
    )
    parser.add_argument(
        "--sweep",
        metavar="DIR",
        help="(phase, v1_grid, label_noise) a sweep directory; for v1_grid "
        "and label_noise, a directory without a sweep is first filled with the figure's sweep "
        "(the v1 grid under the v1 protocol, or the authors' label-noise study)",
    )
    parser.add_argument(
        "--boundary-constant",
        type=float,
        action="append",
        default=[],
        metavar="C",
        help="(phase) draw n ||mu||^2 / d = C; repeatable",
    )
    parser.add_argument("--run", metavar="DIR", help="(dynamics, gaps, delay) a run directory instead of a fresh run")
    parser.add_argument(
        "--lambdas", metavar="L1,L2,...", help="(existence) lambda values (default: 1e-4..10, log grid)"
    )
    parser.add_argument(
        "--gap", choices=("min", "mean", "soft"), default=GapDefinition().kind, help="(gaps) gap definition"
    )
    parser.add_argument("--out", metavar="DIR", default="figures", help="output directory (default: %(default)s)")
    parser.add_argument("--overwrite", action="store_true", help="replace the figure if --out already holds it")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def _settings(args: argparse.Namespace) -> list[tuple[int, float]]:
    if not args.setting:
        return list(PAPER_SETTINGS)
    settings = []
    for text in args.setting:
        try:
            d, mu = text.split(",")
            settings.append((int(d), float(mu)))
        except ValueError:
            raise InputError(f"--setting {text!r}: must be D,MU such as 2000,20") from None
    return settings


def _params_with_defaults(args: argparse.Namespace, defaults: dict) -> ProblemParams:
    """The options given (and --config) over ``defaults``."""
    given = params_from_args(args).to_dict()
    explicit = ProblemParams.load(args.config).to_dict() if args.config else {}
    explicit |= {k: v for k, v in vars(args).items() if k in given and v is not None}
    return ProblemParams.from_mapping(given | defaults | explicit)


def _sweep_or_run(args, make_spec, progress: bool):
    """The sweep in --sweep DIR: run ``make_spec()`` there when it holds none, finish (resume) it
    when it is incomplete, e.g. after an interrupted first call."""
    if not args.sweep:
        raise InputError(f"figure {args.name} needs --sweep DIR (filled with its sweep when empty)")
    path = Path(args.sweep)
    if (path / "sweep.json").exists():
        result = load_sweep(path)
        if result.complete:
            return result
        spec = result.spec
    else:
        spec = make_spec()
    if not args.quiet:
        print(f"running the sweep of {len(list(spec.cells()))} cells into {args.sweep}")
    run_sweep(spec, path, progress=progress)
    return load_sweep(path)


def _run_or_load(args, params, progress) -> Trajectory:
    return Trajectory.load(args.run) if args.run else simulate(params, progress=progress)


def main(args: argparse.Namespace) -> int:
    # Checked before any work, created only when the figure is ready.
    out = check_writable_parent(args.out)
    existing = [str(out / f"{args.name}.{fmt}") for fmt in ("png", "pdf") if (out / f"{args.name}.{fmt}").exists()]
    if existing and not args.overwrite:
        raise InputError(f"{existing[0]} already exists: choose another --out or pass --overwrite")
    progress = not args.quiet and sys.stderr.isatty()
    name = args.name
    if name == "dynamics" and args.run:
        # One run's dynamics, e.g. the PDF of a run directory's figures/dynamics.png.
        trajectory = Trajectory.load(args.run)
        fig = dynamics_figure([trajectory], [setting_title(trajectory.params, classify(trajectory).regime)])
    elif name in ("dynamics", "plateaus"):
        base = params_from_args(args)
        trajectories, titles = [], []
        for d, mu in _settings(args):
            params = base.replace(dim=d, signal_norm=mu)
            trajectory = simulate(params, progress=progress)
            trajectories.append(trajectory)
            titles.append(setting_title(params, classify(trajectory).regime))
        if name == "dynamics":
            fig = dynamics_figure(trajectories, titles)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", AssumptionWarning)
                plateaus = predict(base).plateaus
            fig = plateaus_figure(
                trajectories,
                titles,
                {
                    "benign plateau": plateaus["plateau_benign"],
                    "not-overfitting plateau": plateaus["plateau_not_overfitting"],
                },
            )
    elif name == "v1_dynamics":
        base = _params_with_defaults(args, V1_PROTOCOL)
        trajectories, titles = [], []
        for d, mu in _settings(args) if args.setting else V1_SETTINGS:
            params = base.replace(dim=d, signal_norm=mu)
            trajectory = simulate(params, progress=progress)
            trajectories.append(trajectory)
            titles.append(setting_title(params, classify(trajectory).regime) + ", p-only (W = I)")
        fig = dynamics_figure(trajectories, titles)
    elif name in ("v1_grid", "label_noise"):

        def make_spec():
            if name == "v1_grid":
                base = _params_with_defaults(args, V1_PROTOCOL)
                return SweepSpec(base=base, axes=grid_axes("v1"), seeds=(base.seed,))
            base = _params_with_defaults(args, LABEL_NOISE_STUDY)
            return SweepSpec(base=base, axes=(parse_axis(LABEL_NOISE_AXIS),), seeds=(base.seed,))

        result = _sweep_or_run(args, make_spec, progress)
        fig = v1_grid_figure(result) if name == "v1_grid" else label_noise_figure(result)
    elif name == "phase":
        if not args.sweep:
            raise InputError("figure phase needs --sweep DIR (run benign-attn sweep first)")
        result = load_sweep(args.sweep)
        fig = phase_figure(result, phase_analysis(result), constants=args.boundary_constant)
    elif name == "existence":
        given = {k: getattr(args, k) for k in ("dim", "signal_norm", "n_train", "rho", "n_test")}
        params = params_from_args(args).replace(
            **{k: v if v is not None else EXISTENCE_DEFAULTS[k] for k, v in given.items()}
        )
        if args.lambdas:
            try:
                lambdas = [float(v) for v in args.lambdas.split(",")]
            except ValueError:
                raise InputError(f"--lambdas {args.lambdas!r}: must be comma-separated numbers") from None
        else:
            lambdas = list(np.logspace(-4, 1, 16)) + list(EXISTENCE_MARKS)
        data = make_data(params)
        if not args.quiet:
            print(
                f"existence construction at d = {params.dim}, ||mu|| = {params.signal_norm:g}, n = {params.n_train}, "
                f"rho = {params.rho:g}, n_test = {params.n_test} (v1 Figure 1 values for options not given)"
            )
        rows = [existence_construction(params, scale, data=data) for scale in sorted(set(lambdas))]
        fig = existence_figure(rows, existence_window(params), marks=EXISTENCE_MARKS, params=params)
    elif name == "gaps":
        trajectory = _run_or_load(args, params_from_args(args), progress)
        definition = GapDefinition(kind=args.gap)
        changes = classify(trajectory).timeline["changes"]
        start = changes[-1]["time"] if changes else 0.0
        series = {
            group: g_growth_series(trajectory, definition, group, start_time=start) for group in ("clean", "noisy")
        }
        fig = gaps_figure(series, definition.mathtext())
    else:  # delay
        params = params_from_args(args)
        if args.run is None and args.steps is None:
            # Exponentially long horizon: 20x the default run, where the clean floor comes in reach.
            params = params.replace(steps=20 * params.steps)
        trajectory = _run_or_load(args, params, progress)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AssumptionWarning)
            plateaus = predict(trajectory.params).plateaus
        delay = check_delayed_generalization(trajectory, classify(trajectory)).observed
        fig = delay_figure(
            trajectory,
            {"benign plateau": plateaus["plateau_benign"], "clean test floor": plateaus["clean_test_loss_floor"]},
            {"all labels fitted": delay["time_all_fitted"], "generalised": delay["time_generalized"]},
        )
    out.mkdir(parents=True, exist_ok=True)
    paths = save_figure(fig, out / name)
    if not args.quiet:
        print("wrote " + ", ".join(str(Path(args.out) / p.name) for p in paths))
    return 0
