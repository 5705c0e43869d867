"""``benign-attn run``: one training run, its verdict and its figure.

Paper: the paper's experiments (its Figure 3 for the figure).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from theory.validation import InputError
from verify.commands.params_options import add_params_arguments, params_from_args
from verify.simulation import ENGINES

if TYPE_CHECKING:
    import numpy as np


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_params_arguments(parser)
    parser.add_argument("--engine", choices=sorted(ENGINES), default="reduced", help="GD engine (default: %(default)s)")
    parser.add_argument("--init-w", metavar="FILE.npy", help="initial W, a d x d array in a .npy file")
    parser.add_argument(
        "--record-every",
        type=int,
        metavar="K",
        help="checkpoint every K steps (default: every step while n*T*steps <= 1e6)",
    )
    parser.add_argument("--out", metavar="DIR", help="run directory (default: runs/d<dim>-mu<signal>-seed<seed>)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing different run in --out")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def load_initial_weights(path: str, dim: int) -> np.ndarray:
    """Read ``--init-w``: a regular .npy file holding a finite d x d array; the shape and dtype
    in its header are checked before the data are read."""
    from numerics.gd import check_initial_weights
    from verify.files import load_npy

    def check_header(shape: tuple, dtype: np.dtype) -> None:
        if shape != (dim, dim):
            raise InputError(f"initial W has shape {shape}: must be ({dim}, {dim}) for dim={dim}")
        if dtype.kind not in "fiu":
            raise InputError(f"initial W has dtype {dtype}: must be real numbers")

    weights = load_npy(path, "--init-w file", check_header=check_header)
    try:
        return check_initial_weights(weights, dim)
    except ValueError as exc:  # the engine's own check; here the values came from the user's file
        raise InputError(f"--init-w file {path!r}: {exc}") from None


def check_run_budget(params, engine: str, *, w0_given: bool, record_every: int | None) -> None:
    """The engine's memory and the checkpoint count, checked before the data are drawn."""
    from numerics.budget import check_limit, check_memory, data_bytes, direct_bytes, reduced_bytes
    from numerics.recording import default_record_every

    if record_every is not None and record_every < 1:
        raise InputError(f"record_every={record_every!r}: must be an integer >= 1")
    every = record_every or default_record_every(params.n_train, params.seq_len, params.steps)
    check_limit("checkpoints", params.steps // every + 1, "checkpoints (steps / --record-every)")
    # The same estimates as the data draw and the engine make, before anything is allocated.
    if engine == "direct":
        if params.draw == "full":
            check_memory("the data draw", data_bytes(params), params)
        needed = direct_bytes(params, w0_given=w0_given, record_every=record_every)
    else:
        needed = reduced_bytes(params, w0_given=w0_given, record_every=record_every, test_draw="full")
    check_memory(f"the {engine} engine", needed, params)


def default_out(params) -> Path:
    """runs/d<dim>-mu<signal>-seed<seed>, with a suffix for settings other than the defaults'
    layout, training, draw, labels, generator and token roles (so `run` and `run --layout
    official` do not collide)."""
    suffix = "".join(
        f"-{value}"
        for value, default in (
            (params.layout, "independent"),
            (params.train, "joint"),
            (params.draw, "full"),
            (params.labels, "balanced"),
            (params.generator, "default"),
        )
        if value != default
    )
    if (params.relevant_tokens, params.weak_tokens) != (1, 1):
        suffix += f"-r{params.relevant_tokens}w{params.weak_tokens}"
    return Path("runs") / f"d{params.dim}-mu{params.signal_norm:g}-seed{params.seed}{suffix}"


def main(args: argparse.Namespace) -> int:
    from verify.rundir import claim_output_dir

    params = params_from_args(args)
    w0 = load_initial_weights(args.init_w, params.dim) if args.init_w else None
    check_run_budget(params, args.engine, w0_given=w0 is not None, record_every=args.record_every)
    with claim_output_dir(args.out or default_out(params), params, overwrite=args.overwrite) as claim:
        return _run(args, params, w0, claim)


def _run(args: argparse.Namespace, params, w0, claim) -> int:
    from numerics.status import IntegrationError
    from verify.reporting.report import build_report, exit_status
    from verify.rundir import write_run_dir
    from verify.simulation import simulate

    out = args.out or default_out(params)
    progress = not args.quiet and sys.stderr.isatty()
    try:
        # The test set of make_data(params), number for number, for every engine: the direct
        # engine draws it whole, the reduced one block by block into its projection.
        trajectory = simulate(
            params,
            engine=args.engine,
            w0=w0,
            record_every=args.record_every,
            progress=progress,
            test_draw="full" if params.draw == "full" else "auto",
        )
    except IntegrationError as exc:
        # A numerical failure is a result, not a crash: one line naming the step, exit 1.
        print(
            f"benign-attn run: {exc.status.value}: {exc.message}; nothing written (a smaller --step-size may help)",
            file=sys.stderr,
        )
        return 1
    report = build_report(trajectory)
    write_run_dir(claim.path, trajectory, report, claim=claim)
    if not args.quiet:
        final = report["final"]
        checks = report["checks_summary"]
        print(f"verdict: {report['verdict']} — {'; '.join(report['classification']['reasons'])}")
        print(
            f"checks against the theory: {checks['passed']} passed, {checks['failed']} failed"
            f"{' (' + ', '.join(checks['failed_checks']) + ')' if checks['failed_checks'] else ''}, "
            f"{checks['undetermined']} undetermined — see report.md"
        )
        print(
            f"train acc {final['train_acc']:.3f} (noisy {final['train_acc_noisy']:.3f}), "
            f"test acc {final['test_acc']:.3f}, train loss {final['train_loss']:.4f}, "
            f"test loss {final['test_loss']:.4f} at step {params.steps}"
        )
        print(f"wrote {out}/ (params.toml, trajectory.npz, report.json, report.md, figures/dynamics.png)")
    return exit_status(report)
