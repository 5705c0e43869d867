"""Read an output directory of the official code into a ``Trajectory`` (source "official").

The official run writes ``stats_time_step.json`` (pandas ``DataFrame.to_json``, orient
"columns": each column maps the row index, as text, to a value) and Hydra's
``.hydra/config.yaml``. Row k holds ``loss`` (training loss in step k, before that step's
update) and ``attention_score`` (n x T weights in step k, i.e. of the state after k updates);
every ``log_interval`` steps it also holds train/test loss and accuracy measured *after* the
update, i.e. of the state after k + 1 updates.

Checkpoints here are states after s updates: s = 0 (uniform attention, loss from ``loss``)
and every s = k + 1 with metrics logged at row k, up to the final state s = steps. The final
state's attention is not recorded by the official code (NaN there). Accuracies and test loss
unknown at s = 0 are NaN. ``step_loss`` has the loss of every state
0..steps (the last from the final logged ``train_loss``). Logits are not recorded by the
official code; ``logits_train`` holds log-attention, which equals the logits up to a
per-sample constant and so gives every gap exactly. Clean and noisy training accuracies are
recomputed from the recorded attention and the training tokens, which the official layout
reproduces draw for draw.

Paper: the official code of Sakamoto & Sato (2025) (its default configuration and logging).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from numerics.budget import LIMITS, check_memory, memory_budget
from numerics.data import label_layout, signals
from numerics.status import Status
from numerics.subspace import training_split
from theory.params import OFFICIAL_ALIASES, OFFICIAL_IGNORED_KEYS, ProblemParams
from theory.validation import InputError
from verify.files import read_json_file, read_text_file
from verify.provenance import provenance
from verify.trajectory import Trajectory, validate_arrays

__all__ = ["parse_flat_yaml", "official_params", "official_bytes", "read_official_run", "IGNORED_CONFIG_KEYS"]

#: Official configuration keys that do not describe the problem (logging, the v1 delta).
IGNORED_CONFIG_KEYS = OFFICIAL_IGNORED_KEYS
_OUR_KEYS = ("seq_len", "rho", "signal_norm", "seed")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?")


def _scalar(text: str, where: str) -> Any:
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    if text in ("true", "false"):
        return text == "true"
    if text in ("null", "~", ""):
        return None
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if re.fullmatch(r"[A-Za-z0-9_.\-/]+", text):
        return text
    raise InputError(f"{where}: value {text!r} is not a plain scalar this reader accepts")


def parse_flat_yaml(text: str, *, source: str = "config.yaml") -> dict[str, Any]:
    """The top-level ``key: scalar`` entries of a Hydra config; nested blocks map to dicts of scalars.

    A whitelist reader for the subset Hydra writes for this code (no anchors, flow style,
    multi-line strings); anything else raises ``ValueError`` naming the line.
    """
    result: dict[str, Any] = {}
    block: dict[str, Any] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{source} line {number}"
        indented = line.startswith((" ", "\t"))
        key, sep, value = line.strip().partition(":")
        if not sep or not _KEY.fullmatch(key):
            raise InputError(f"{where}: {raw!r} is not a 'key: value' line")
        value = value.strip()
        if value.startswith(("[", "{", "&", "*", "|", ">")):
            raise InputError(f"{where}: {value!r} uses YAML syntax this reader does not accept")
        if indented:
            if block is None:
                raise InputError(f"{where}: indented line outside a block")
            block[key] = _scalar(value, where)
            continue
        if key in result:
            raise InputError(f"{where}: key {key!r} given twice")
        if value == "":
            block = result[key] = {}
        else:
            block = None
            result[key] = _scalar(value, where)
    return result


def official_params(config: dict[str, Any]) -> ProblemParams:
    """ProblemParams of an official configuration (official layout, joint training)."""
    known = set(OFFICIAL_ALIASES) | set(_OUR_KEYS) | set(IGNORED_CONFIG_KEYS)
    unknown = sorted(set(config) - known)
    if unknown:
        raise InputError(f"official config has unknown keys {unknown}: expected {sorted(known)}")
    values = {key: value for key, value in config.items() if key not in IGNORED_CONFIG_KEYS}
    return ProblemParams.from_mapping(values | {"layout": "official", "train": "joint"})


def official_bytes(params: ProblemParams) -> int:
    """Peak bytes of reading an official run: the re-drawn training tokens (n T d, twice while
    the scores are formed), the signals (3 d) and the statistics held as Python objects (about
    100 bytes per attention weight and logged value)."""
    n, T, d, steps = params.n_train, params.seq_len, params.dim, params.steps
    return 8 * (2 * n * T * d + 3 * d) + 100 * steps * (n * T + 8)


def _column(stats: dict, name: str, path: Path) -> list:
    """The values of one column in row order; the column must map row numbers ("0", "1", ...)
    to values."""
    if name not in stats:
        raise InputError(f"{str(path)!r} has no column {name!r}")
    column = stats[name]
    if not isinstance(column, dict):
        kind = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array"}
        raise InputError(
            f"{str(path)!r}: column {name!r} must map row numbers to values, not be {kind.get(type(column), 'null')}"
        )
    if not all(isinstance(key, str) and key.isdigit() and key.isascii() for key in column):
        raise InputError(f"{str(path)!r}: column {name!r} has row keys that are not row numbers")
    return [column[key] for key in sorted(column, key=int)]


def _numbers(values: list, name: str, path: Path, shape: tuple[int, ...] = ()) -> np.ndarray:
    """``values`` as float64 of shape (rows, *shape); ``None`` (pandas' NaN) becomes NaN. Anything
    else than numbers in that layout raises ``ValueError`` naming the column."""

    def valid(value, dims) -> bool:
        if not dims:
            return value is None or isinstance(value, (int, float)) and not isinstance(value, bool)
        return isinstance(value, list) and len(value) == dims[0] and all(valid(v, dims[1:]) for v in value)

    bad = next((row for row, value in enumerate(values) if not valid(value, shape)), None)
    if bad is not None:
        kind = "a number" if not shape else f"numbers of shape {shape}"
        raise InputError(f"{str(path)!r}: column {name!r} row {bad} must be {kind}")
    with np.errstate(over="ignore"):
        return np.array(values, dtype=np.float64).reshape((len(values), *shape)) if values else np.zeros((0, *shape))


def read_official_run(directory: str | Path) -> Trajectory:
    """The trajectory of an official run directory (see the module docstring for the timing).

    Paper: the official code's output (``stats_time_step.json`` and ``.hydra/config.yaml``).
    """
    directory = Path(directory)
    stats_path, config_path = directory / "stats_time_step.json", directory / ".hydra" / "config.yaml"
    for path in (stats_path, config_path):
        if not path.exists():
            raise InputError(f"{str(path)!r} does not exist: not an official run directory")
    config = parse_flat_yaml(read_text_file(config_path, "official config", max_bytes=2**20), source=str(config_path))
    params = official_params(config)
    # Reading re-draws the training tokens (n T d) and holds the statistics: checked first.
    check_memory("reading the official run", official_bytes(params), params)
    stats = read_json_file(
        stats_path, "official statistics", max_bytes=int(min(LIMITS["text_file_bytes"], memory_budget() / 16))
    )
    if not isinstance(stats, dict):
        raise InputError(f"{str(stats_path)!r} must hold a JSON object of columns")
    time_step = _column(stats, "time_step", stats_path)
    if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**62 for v in time_step):
        raise InputError(f"{str(stats_path)!r}: column 'time_step' must hold row numbers 0, 1, 2, ...")
    steps_logged = np.asarray(time_step, dtype=np.int64)
    if not np.array_equal(steps_logged, np.arange(len(steps_logged))):
        raise InputError(f"{str(stats_path)!r}: time_step must be 0, 1, 2, ... without gaps")
    if len(steps_logged) != params.steps:
        raise InputError(f"{str(stats_path)!r} has {len(steps_logged)} rows, config says num_steps={params.steps}")
    loss = _numbers(_column(stats, "loss", stats_path), "loss", stats_path)
    attention = _numbers(
        _column(stats, "attention_score", stats_path), "attention_score", stats_path, (params.n_train, params.seq_len)
    )
    logged = {
        name: _numbers(_column(stats, name, stats_path), name, stats_path)
        for name in ("train_loss", "train_accuracy", "test_loss", "test_accuracy")
    }
    for name, values in {"loss": loss, "attention_score": attention, **logged}.items():
        if len(values) != params.steps:
            raise InputError(
                f"{str(stats_path)!r}: column {name!r} has {len(values)} rows, config says num_steps={params.steps}"
            )
    rows = np.flatnonzero(np.isfinite(logged["train_loss"]))
    # Metrics logged at row k describe the state after k + 1 updates. Attention exists for the
    # states 0 .. steps - 1; the final state (after the last update) has logged metrics only, so
    # its attention, logits and outputs are NaN ("not recorded").
    states = np.r_[0, rows + 1]
    attention = np.concatenate([attention, np.full((1, *attention.shape[1:]), np.nan)])

    def at_states(name: str, initial: float) -> np.ndarray:
        return np.r_[initial, logged[name][rows]]

    nan = math.nan
    step_loss = np.r_[loss, logged["train_loss"][-1] if rows.size and rows[-1] == params.steps - 1 else nan]
    labels, true_labels, noisy = label_layout(params.n_train, params.n_noisy)
    with np.errstate(divide="ignore"):
        log_attention = np.log(attention[states])
    arrays = {
        "step": states.astype(np.int64),
        "time": states * params.step_size,
        "step_loss": step_loss,
        "train_loss": at_states("train_loss", loss[0]),
        "train_acc": at_states("train_accuracy", nan),
        "test_loss": at_states("test_loss", nan),
        "test_acc": at_states("test_accuracy", nan),
        "attention_train": attention[states],
        "logits_train": log_attention,
        "noisy": noisy,
        "train_labels": labels,
        "train_true_labels": true_labels,
    }
    # The official run logs only the overall accuracy. The training tokens are reproduced draw for
    # draw (official layout), so their scores gamma = nu^T x, with the recorded attention, give
    # f = sum_t s_t gamma_t (``train_outputs``) and the clean / noisy accuracies without W.
    gamma = training_split(params).tokens @ signals(params)[2]
    outputs = np.sum(attention[states] * gamma, axis=-1)
    margins = arrays["train_labels"] * outputs
    arrays["train_outputs"] = outputs
    with np.errstate(invalid="ignore"):
        arrays["train_acc_clean"] = np.where(
            np.isfinite(margins).all(axis=1), np.mean(margins[:, ~noisy] > 0, axis=1), nan
        )
        arrays["train_acc_noisy"] = (
            np.where(np.isfinite(margins).all(axis=1), np.mean(margins[:, noisy] > 0, axis=1), nan)
            if noisy.any()
            else np.full(len(states), nan)
        )
    # Where only the overall accuracy is logged, it still says "all fitted" (1) or "none fitted" (0).
    overall = arrays["train_acc"]
    for name in ("train_acc_clean", "train_acc_noisy"):
        unknown = ~np.isfinite(arrays[name]) & np.isin(overall, (0.0, 1.0))
        arrays[name][unknown] = overall[unknown]
    try:
        # The same rules as a saved run: no verdict from non-finite or inconsistent statistics.
        arrays = validate_arrays(params, "official", arrays)
    except ValueError as exc:
        raise InputError(f"{str(stats_path)!r}: {exc}") from None
    return Trajectory(
        params=params,
        source="official",
        arrays=arrays,
        status=Status.SUCCESS,
        message=f"imported from an official run ({len(states)} checkpoints)",
        stats={
            "engine": "official",
            "log_rows": int(rows.size),
            "final_logged_train_acc": float(logged["train_accuracy"][rows[-1]]) if rows.size else None,
            "final_logged_test_acc": float(logged["test_accuracy"][rows[-1]]) if rows.size else None,
        },
        provenance=provenance() | {"precision": "float32 (official code)"},
    )
