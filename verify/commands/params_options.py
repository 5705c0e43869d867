"""Command-line options for every ``ProblemParams`` field, shared by run/flow/predict/sweep.

Paper: none (the paper's symbols are named in theory.symbols).
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from theory.params import DRAWS, GENERATORS, INITS, LABELINGS, LAYOUTS, TRAIN_MODES, ProblemParams

__all__ = ["add_params_arguments", "params_from_args"]

_TYPES = {
    "n_train": int,
    "seq_len": int,
    "dim": int,
    "n_test": int,
    "seed": int,
    "test_seed": int,
    "init_seed": int,
    "steps": int,
    "relevant_tokens": int,
    "weak_tokens": int,
    "signal_norm": float,
    "rho": float,
    "label_noise": float,
    "step_size": float,
}
_HELP = {
    "n_train": "training samples n",
    "seq_len": "tokens per sample T",
    "dim": "embedding dimension d",
    "signal_norm": "signal norm ||mu||",
    "rho": "weak-token weight rho in (0, 1)",
    "label_noise": "label-noise rate (the paper's eta) in [0, 1); the theory assumes < 1/2 and warns above",
    "n_test": "test samples",
    "seed": "data seed",
    "test_seed": "seed of the independent test set",
    "layout": "test-set layout",
    "train": "train W and p (joint) or p only with W = I",
    "step_size": "GD step size h",
    "steps": "number of GD steps",
    "init": "distribution of W_0: uniform U(-1/sqrt(d), 1/sqrt(d)) or gaussian N(0, 1/(3d))",
    "init_seed": "seed of W_0, separate from the data seed (unset: derived from --seed)",
    "draw": "full: d-dimensional data and W_0; latent: d-free exact-in-distribution draw "
    "(needs --init gaussian for joint training)",
    "relevant_tokens": "relevant tokens per sample R (positions 0..R-1)",
    "weak_tokens": "weakly relevant tokens per role W (W aligned, then W opposite; T - R - 2W irrelevant)",
    "labels": "balanced: class blocks, flips at the start of each (v2/v3); "
    "random: uniform true labels, exactly ceil(n eta) random flips (v1)",
    "generator": "noise generator: default (numpy default_rng, float64) or legacy "
    "(np.random.seed + randn cast to float32, the authors' Jan-2025 code)",
}
#: Fields whose options take one of a fixed set of words.
#: What an unset optional field means, for --help.
_UNSET = {"test_seed": "drawn from the data seed", "init_seed": "drawn from the data seed"}
_CHOICES = {
    "layout": LAYOUTS,
    "train": TRAIN_MODES,
    "init": INITS,
    "draw": DRAWS,
    "labels": LABELINGS,
    "generator": GENERATORS,
}


def add_params_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--config`` and one ``--field-name`` option per ``ProblemParams`` field."""
    group = parser.add_argument_group("problem parameters (defaults: the official v3 setting)")
    group.add_argument(
        "--config",
        metavar="FILE.toml",
        help="read parameters from a TOML file; options given on the command line override it",
    )
    defaults = ProblemParams()
    for field in dataclasses.fields(ProblemParams):
        flag = "--" + field.name.replace("_", "-")
        default = getattr(defaults, field.name)
        shown = default if default is not None else _UNSET[field.name]
        help_text = f"{_HELP[field.name]} (default: {shown})"
        kwargs: dict[str, Any] = {"dest": field.name, "default": None, "help": help_text}
        if field.name in _CHOICES:
            kwargs["choices"] = _CHOICES[field.name]
        else:
            kwargs["type"] = _TYPES[field.name]
        group.add_argument(flag, **kwargs)


def params_from_args(args: argparse.Namespace) -> ProblemParams:
    """Config file values, overridden by the options given; raises ``ValueError`` on bad input."""
    values = ProblemParams.load(args.config).to_dict() if args.config else {}
    for field in dataclasses.fields(ProblemParams):
        given = getattr(args, field.name)
        if given is not None:
            values[field.name] = given
    return ProblemParams.from_mapping(values)
