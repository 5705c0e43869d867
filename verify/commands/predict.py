"""``benign-attn predict``: the theory's prediction for one parameter point, without simulation.

Prints the regime (or which constants are missing to decide it), SNR and n SNR^2, the margin of
every condition with its boundary in the signal norm, the loss plateaus and the time scales.

Paper: v3 Figure 1 (regimes), the v1 assumptions as the authors check them, our derivations.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from fractions import Fraction
from typing import TYPE_CHECKING

from theory.inputs import CONSTANT_NAMES, DEFAULT_INPUTS
from theory.validation import InputError
from verify.commands.params_options import add_params_arguments, params_from_args

if TYPE_CHECKING:
    from theory.regimes import Prediction


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Parameter options shared with ``run``, plus ``--constant``, ``--input`` and ``--json``.

    Paper: none (command-line interface).
    """
    add_params_arguments(parser)
    parser.add_argument(
        "--constant",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=f"value of an unknown constant of the paper ({', '.join(sorted(CONSTANT_NAMES))}); "
        "a decimal or a ratio like 3/2; repeatable. Constants not given are never filled in",
    )
    parser.add_argument(
        "--constants", metavar="FILE", help="a constants file (JSON, e.g. written by benign-attn regime-map)"
    )
    parser.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a named input: " + ", ".join(f"{k} (default {v})" for k, v in DEFAULT_INPUTS.items()),
    )
    parser.add_argument("--json", action="store_true", help="print the prediction as JSON")


def parse_assignments(texts: list[str], allowed, option: str) -> dict[str, Fraction]:
    """Parse repeated ``NAME=VALUE`` options with the whitelist number parser.

    Paper: none (command-line interface).
    """
    from theory.records import parse_assignment

    values: dict[str, Fraction] = {}
    for text in texts:
        name, value = parse_assignment(text)
        if name not in allowed:
            raise InputError(f"{option} {text!r}: unknown name {name!r}; expected one of {', '.join(sorted(allowed))}")
        if name in values:
            raise InputError(f"{option} {name} given twice")
        values[name] = value
    return values


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


def _time_scale(value: float | None) -> str:
    # Only the times to the target gap can be absent, and only for want of the drive constant.
    return "- (needs C_drive)" if value is None else f"{value:.6g}"


def _plateau(value: float | None) -> str:
    # Only the label-noise-dependent plateaus can be absent, and only for label_noise >= 1/2.
    return "- (not derived for label_noise >= 1/2)" if value is None else f"{value:.6f}"


def format_prediction(prediction: Prediction) -> str:
    """Human-readable text of a prediction.

    Paper: none (command-line interface).
    """
    lines = []
    if prediction.missing_constants:
        lines.append(f"regime: undetermined (missing constants: {', '.join(prediction.missing_constants)})")
    elif prediction.regime == "boundary":
        lines.append(f"regime: boundary — {prediction.reason}")
    else:
        lines.append(f"regime: {prediction.regime}")
    lines.append(f"SNR = {prediction.snr:.6g}   n*SNR^2 = {prediction.n_snr_squared:.6g}")
    lines.append("conditions (margin > 0 holds; boundary = signal norm where lhs = rhs):")
    width = max(len(m.condition) for m in prediction.margins)
    for margin in prediction.margins:
        detail = (
            f"missing {', '.join(margin.missing)}"
            if margin.missing
            else f"{_number(margin.lhs)} {margin.relation} {_number(margin.rhs)}  margin {_number(margin.margin)}"
        )
        boundary = prediction.thresholds.get(margin.condition)
        extra = "" if boundary is None else f"  boundary |mu| = {boundary:.6g}"
        lines.append(f"  {margin.condition:<{width}}  {margin.status.value:<12}  {detail}{extra}")
    lines.append("plateaus: " + ", ".join(f"{k} = {_plateau(v)}" for k, v in prediction.plateaus.items()))
    lines.append("time scales: " + ", ".join(f"{k} = {_time_scale(v)}" for k, v in prediction.time_scales.items()))
    if prediction.constants:
        lines.append("constants: " + ", ".join(f"{k} = {v:g}" for k, v in prediction.constants.items()))
    lines.append("inputs: " + ", ".join(f"{k} = {v:g}" for k, v in prediction.inputs.items()))
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    """Run the prediction and print it (text or JSON); assumption warnings go to stderr.

    Paper: none (command-line interface).
    """
    from theory.records import AssumptionWarning
    from theory.regimes import predict
    from verify.constants_file import load_constants, merge_constants, parse_constant_options

    constants = merge_constants(
        load_constants(args.constants) if args.constants else {}, parse_constant_options(args.constant)
    )
    inputs = parse_assignments(args.input, DEFAULT_INPUTS, "--input")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AssumptionWarning)
        # Inside: the parameters themselves warn when label_noise >= 1/2.
        params = params_from_args(args)
        prediction = predict(params, constants, inputs=inputs)
    # Each failing assumption is reported once, however often the prediction evaluated it.
    notes = list(dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, AssumptionWarning)))
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    if args.json:
        print(json.dumps({**prediction.to_dict(), "warnings": notes}, indent=2, sort_keys=True))
    else:
        print(format_prediction(prediction))
    return 0
