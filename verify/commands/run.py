"""``benign-attn run``: one training run, its verdict and its figure.

Paper: Section 5 experiments (Figure 3 for the figure).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from numerics.data import Split, label_layout, make_data
from numerics.gd import check_initial_weights, run_direct
from numerics.reduced import run_reduced
from verify.commands.params_options import add_params_arguments, params_from_args
from verify.report import build_report
from verify.rundir import check_output_dir, write_run_dir
from verify.trajectory import Trajectory

NAME = "run"
HELP = "train by gradient descent, classify the regime, write a run directory with a figure"

#: Both engines compute the same GD map (to round-off); the reduced one costs O((nT)^2) per step.
ENGINES = {"reduced": (run_reduced, "gd:reduced"), "direct": (run_direct, "gd:direct")}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_params_arguments(parser)
    parser.add_argument("--engine", choices=sorted(ENGINES), default="reduced",
                        help="GD engine (default: %(default)s)")
    parser.add_argument("--init-w", metavar="FILE.npy", help="initial W, a d x d array in a .npy file")
    parser.add_argument("--record-every", type=int, metavar="K",
                        help="checkpoint every K steps (default: every step while n*T*steps <= 1e6)")
    parser.add_argument("--out", metavar="DIR", help="run directory (default: runs/d<dim>-mu<signal>-seed<seed>)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing different run in --out")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def load_initial_weights(path: str, dim: int) -> np.ndarray:
    """Read ``--init-w``: a .npy file holding a finite d x d array."""
    try:
        w0 = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise ValueError(f"--init-w file {path!r} does not exist") from None
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(f"--init-w file {path!r} is not a readable .npy array: {exc}") from None
    if not isinstance(w0, np.ndarray):
        raise ValueError(f"--init-w file {path!r} must hold one array (.npy), not an archive")
    return check_initial_weights(w0, dim)


def _labels_only(params) -> Split:
    """The training labels and noisy mask (all a trajectory reads from the split), no tokens."""
    labels, true_labels, noisy = label_layout(params.n_train, params.n_noisy)
    return Split(tokens=np.empty((params.n_train, params.seq_len, 0)), labels=labels,
                 true_labels=true_labels, noisy=noisy)


def default_out(params) -> Path:
    return Path("runs") / f"d{params.dim}-mu{params.signal_norm:g}-seed{params.seed}"


def main(args: argparse.Namespace) -> int:
    params = params_from_args(args)
    w0 = load_initial_weights(args.init_w, params.dim) if args.init_w else None
    out = check_output_dir(args.out or default_out(params), params, overwrite=args.overwrite)
    engine, source = ENGINES[args.engine]
    progress = not args.quiet and sys.stderr.isatty()
    if params.draw == "latent":
        if args.engine != "reduced":
            raise ValueError(f"--engine {args.engine} with --draw latent: the latent draw has no "
                             "d-dimensional tokens; use --engine reduced")
        if w0 is not None:
            raise ValueError("--init-w with --draw latent: the latent draw draws W_0 itself; use --draw full")
        # No d-dimensional data: the engine draws what it reads (numerics.latent).
        recording = engine(params, record_every=args.record_every, progress=progress)
        train = _labels_only(params)
    else:
        data = make_data(params)
        recording = engine(params, data=data, w0=w0, record_every=args.record_every, progress=progress)
        train = data.train
    trajectory = Trajectory.from_recording(recording, params, train, source=source)
    # The existence construction is left to `benign-attn verify`: it redraws d-dimensional data.
    report = build_report(trajectory, existence=False)
    write_run_dir(out, trajectory, report)
    if not args.quiet:
        final = report["final"]
        checks = report["checks_summary"]
        print(f"verdict: {report['verdict']} — {'; '.join(report['classification']['reasons'])}")
        print(f"checks against the theory: {checks['passed']} passed, {checks['failed']} failed"
              f"{' (' + ', '.join(checks['failed_checks']) + ')' if checks['failed_checks'] else ''}, "
              f"{checks['undetermined']} undetermined — see report.md")
        print(f"train acc {final['train_acc']:.3f} (noisy {final['train_acc_noisy']:.3f}), "
              f"test acc {final['test_acc']:.3f}, train loss {final['train_loss']:.4f}, "
              f"test loss {final['test_loss']:.4f} at step {params.steps}")
        print(f"wrote {out}/ (params.toml, trajectory.npz, report.json, report.md, figures/dynamics.png)")
    return 0
