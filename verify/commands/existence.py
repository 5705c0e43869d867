"""``benign-attn existence``: the v1 existence construction at chosen lambdas, against the window.

It draws its own data and reads no trajectory, so it is its own command rather than a check of
``verify``. Exit status 1 when the construction's regime differs from the window's prediction
at a lambda where the window decides.

Paper: arXiv 2409.17625 v1 existence construction (its Figure 1 parameters are the defaults:
d = 1e4, ||mu|| = 20, n = 100, rho = 0.2); the lambda window is our heuristic.
"""

from __future__ import annotations

import argparse

from verify.commands.params_options import add_params_arguments, params_from_args

#: v1 Figure 1 parameters, used for every option not given.
DEFAULTS = {"dim": 10000, "signal_norm": 20.0, "n_train": 100, "rho": 0.2, "n_test": 500}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_params_arguments(parser)
    parser.add_argument(
        "--lambda",
        dest="lambdas",
        type=float,
        action="append",
        default=[],
        metavar="LAMBDA",
        help="a lambda to try; repeatable (default: the middle of the heuristic window)",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing; the exit status says it")


def main(args: argparse.Namespace) -> int:
    from numerics.data import make_data
    from verify.experiments.existence import check_existence, existence_window

    given = {k: getattr(args, k) for k in DEFAULTS}
    params = params_from_args(args).replace(**{k: v if v is not None else DEFAULTS[k] for k, v in given.items()})
    data = make_data(params)
    results = [check_existence(params, scale, data=data) for scale in (args.lambdas or [None])]
    if not args.quiet:
        lower, upper = existence_window(params)
        print(
            f"d = {params.dim}, ||mu|| = {params.signal_norm:g}, n = {params.n_train}, rho = {params.rho:g}; "
            f"heuristic window {lower:.4g} .. {upper:.4g}"
        )
        for result in results:
            o = result.observed
            print(
                f"lambda = {o['lambda']:.4g}: train {o['train_acc']:.3f}, test {o['test_acc']:.3f} -> "
                f"{o['regime']} (window predicts {result.predicted['regime']}): {result.outcome}"
            )
    return 1 if any(result.passed is False for result in results) else 0
