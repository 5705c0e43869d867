"""``Trajectory``: the record of one training run or flow, and its files.

Paper: the quantities the paper's experiments plot over training time.

Files in a run directory: ``trajectory.npz`` (the arrays) and ``trajectory.json`` (schema
version, parameters, source, status, statistics, provenance).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from numerics.data import split_labels
from numerics.recording import Recording
from numerics.status import Status
from theory.params import ProblemParams
from theory.validation import InputError
from verify.files import atomic_write_bytes, load_npz, npz_bytes, read_json_file, write_json
from verify.provenance import provenance

__all__ = ["Trajectory", "SCHEMA_VERSION", "REQUIRED_ARRAYS", "SOURCES", "STATUSES", "validate_arrays"]

SCHEMA_VERSION = 1
REQUIRED_ARRAYS = (
    "time",
    "train_loss",
    "train_acc",
    "test_loss",
    "test_acc",
    "attention_train",
    "noisy",
    "train_labels",
)
SOURCES = ("gd:direct", "gd:reduced", "flow:scipy", "flow:mpmath", "official")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Trajectory:
    """Arrays of a run at its checkpoints, with what produced them.

    Paper: the training dynamics the paper plots (logits z, attention s).

    Attributes
    ----------
    params : ProblemParams
    source : str
        One of ``SOURCES``.
    arrays : mapping of str to ndarray
        At least ``REQUIRED_ARRAYS``; GD runs add ``step`` and ``step_loss``. Leading axis of
        checkpoint arrays = checkpoints; ``noisy`` and ``train_labels`` are per training sample.
    status : numerics.status.Status
        How the run ended (a status name such as "success" is accepted and converted).
    message : str
        What went wrong, if anything.
    stats : mapping
        Engine or solver statistics and timings (JSON-serialisable).
    provenance : mapping
        Package versions, git commit, precision.
    """

    params: ProblemParams
    source: str
    arrays: Mapping[str, np.ndarray]
    status: Status = Status.SUCCESS
    message: str = ""
    stats: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    provenance: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.status, Status):
            if self.status not in STATUSES:
                raise InputError(f"status={_short(self.status)}: must be one of {', '.join(STATUSES)}")
            object.__setattr__(self, "status", Status(self.status))
        if self.source not in SOURCES:
            raise InputError(f"source={self.source!r}: must be one of {', '.join(SOURCES)}")
        missing = [name for name in REQUIRED_ARRAYS if name not in self.arrays]
        if missing:
            raise InputError(f"trajectory is missing arrays {missing}")
        checkpoints = len(self.arrays["time"])
        for name in ("train_loss", "train_acc", "test_loss", "test_acc", "attention_train"):
            if len(self.arrays[name]) != checkpoints:
                raise InputError(f"array {name!r} has {len(self.arrays[name])} checkpoints, 'time' has {checkpoints}")

    @classmethod
    def from_recording(cls, recording: Recording, params: ProblemParams, *, source: str) -> Trajectory:
        """Wrap an engine's ``Recording`` of ``params``'s problem with its labels.

        The training labels, true labels and noisy mask, and the test labels (which turn
        ``test_outputs`` into test margins), depend only on ``params`` (the official label
        layout or the seeded random labels), never on a data draw; ``verify.simulation`` is the
        path that runs the engines.
        """
        labels, true_labels, noisy = split_labels(params, "train")
        arrays = dict(recording.arrays) | {
            "noisy": noisy,
            "train_labels": labels,
            "train_true_labels": true_labels,
            "test_labels": split_labels(params, "test")[1],
        }
        return cls(
            params=params,
            source=source,
            arrays=arrays,
            status=recording.status,
            message=recording.message,
            stats=dict(recording.stats),
            provenance=provenance(),
        )

    @property
    def noisy(self) -> np.ndarray:
        """Which training samples have a flipped label (per training sample)."""
        return np.asarray(self.arrays["noisy"], dtype=bool)

    @property
    def time(self) -> np.ndarray:
        """Checkpoint times: the GD step, or the flow time tau."""
        return self.arrays["time"]

    @property
    def train_loss(self) -> np.ndarray:
        """Mean logistic training loss at each checkpoint."""
        return self.arrays["train_loss"]

    @property
    def test_loss(self) -> np.ndarray:
        """Mean logistic test loss (clean test labels) at each checkpoint."""
        return self.arrays["test_loss"]

    @property
    def train_acc(self) -> np.ndarray:
        """Training accuracy against the observed (partly flipped) labels at each checkpoint."""
        return self.arrays["train_acc"]

    @property
    def test_acc(self) -> np.ndarray:
        """Clean test accuracy at each checkpoint."""
        return self.arrays["test_acc"]

    @property
    def attention(self) -> np.ndarray:
        """Attention of every training sample on its tokens: checkpoints x n x T."""
        return self.arrays["attention_train"]

    @property
    def train_labels(self) -> np.ndarray:
        """Observed training labels (+1/-1; flipped on the noisy samples)."""
        return self.arrays["train_labels"]

    def final(self, name: str):
        """The value of a checkpoint array at the last checkpoint."""
        return self.arrays[name][-1]

    def sidecar(self) -> dict:
        return {
            "schema_version": SCHEMA_VERSION,
            "params": self.params.to_dict(),
            "source": self.source,
            "status": self.status.value,
            "message": self.message,
            "stats": dict(self.stats),
            "provenance": dict(self.provenance),
        }

    def save(self, directory: str | Path) -> None:
        """Atomically write ``trajectory.npz`` then ``trajectory.json`` into ``directory``."""
        directory = Path(directory)
        atomic_write_bytes(directory / "trajectory.npz", npz_bytes(self.arrays))
        write_json(directory / "trajectory.json", self.sidecar())

    @classmethod
    def load(cls, directory: str | Path) -> Trajectory:
        """Read and validate a trajectory written by ``save``.

        Every file is untrusted (``verify.files``): regular files of bounded size, array headers
        checked against the memory budget before reading. The sidecar must have a known schema,
        and the arrays must agree with its parameters and hold finite values where the checks
        need them (``validate_arrays``). Any violation raises ``ValueError`` naming the file and
        the field, so no check ever runs on such data.
        """
        directory = Path(directory)
        sidecar_path, npz_path = directory / "trajectory.json", directory / "trajectory.npz"
        for path in (sidecar_path, npz_path):
            if not path.exists():
                raise InputError(f"{str(path)!r} does not exist: not a run directory")
        sidecar = read_json_file(sidecar_path, "run file")
        where = repr(str(sidecar_path))
        if not isinstance(sidecar, dict):
            raise InputError(f"{where} must hold a JSON object")
        version = sidecar.get("schema_version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise InputError(f"{where}: schema_version={_short(version)} must be an integer")
        if version > SCHEMA_VERSION:
            raise InputError(
                f"{where}: schema_version {version} is newer than this "
                f"toolkit reads ({SCHEMA_VERSION}); upgrade benign-attention"
            )
        if version < 1:
            raise InputError(f"{where}: schema_version={version} must be >= 1")
        for key, kind in (
            ("params", dict),
            ("source", str),
            ("status", str),
            ("message", str),
            ("stats", dict),
            ("provenance", dict),
        ):
            if key not in sidecar:
                if key in ("params", "source"):
                    raise InputError(f"{where} has no {key!r} entry")
                continue
            if not isinstance(sidecar[key], kind):
                raise InputError(
                    f"{where}: {key}={_short(sidecar[key])} must be a JSON {'object' if kind is dict else 'string'}"
                )
        status = sidecar.get("status", "success")
        if status not in STATUSES:
            raise InputError(f"{where}: status={_short(status)} must be one of {', '.join(STATUSES)}")
        try:
            params = ProblemParams.from_mapping(sidecar["params"])
        except (ValueError, TypeError) as exc:
            raise InputError(f"{where}: params: {exc}") from None
        arrays = load_npz(npz_path, "run file")
        try:
            arrays = validate_arrays(params, sidecar["source"], arrays)
        except ValueError as exc:
            raise InputError(f"{str(npz_path)!r}: {exc}") from None
        return cls(
            params=params,
            source=sidecar["source"],
            arrays=arrays,
            status=status,
            message=sidecar.get("message", ""),
            stats=sidecar.get("stats", {}),
            provenance=sidecar.get("provenance", {}),
        )


def _short(value: Any, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters (an error must not print a huge value)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


#: Values of ``status`` in a sidecar (``numerics.status.Status``).
STATUSES = tuple(status.value for status in Status)
#: Checkpoint arrays (one value per checkpoint) and the range of their values.
_CHECKPOINT_SCALARS = {
    "train_loss": (0.0, math.inf),
    "test_loss": (0.0, math.inf),
    "train_acc": (0.0, 1.0),
    "test_acc": (0.0, 1.0),
    "train_acc_clean": (0.0, 1.0),
    "train_acc_noisy": (0.0, 1.0),
}


def _float_array(arrays: Mapping[str, np.ndarray], name: str, shape: tuple[int, ...]) -> np.ndarray:
    array = arrays[name]
    if array.dtype.kind not in "fiu" or array.dtype.kind == "f" and array.dtype.itemsize < 4:
        raise InputError(f"array {name!r} has dtype {array.dtype}: must be real numbers")
    if array.shape != shape:
        raise InputError(
            f"array {name!r} has shape {array.shape}: must be {shape} (from the run's parameters and its 'time' array)"
        )
    return np.asarray(array, dtype=np.float64)


def validate_arrays(params: ProblemParams, source: str, arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Check a saved run's arrays against its parameters; returns them as float64 / bool.

    Rules (each violation raises ``ValueError`` naming the array): the required arrays are
    present; ``time`` is finite, >= 0 and strictly increasing with K >= 1 checkpoints; GD runs
    have integer ``step`` in 0..steps with ``time = step * step_size``; checkpoint arrays have K
    rows and per-sample arrays n = ``n_train`` entries, attention (K, n, T) with T = ``seq_len``;
    losses are finite and >= 0, accuracies in [0, 1], attention rows finite and summing to 1,
    recorded outputs ``train_outputs`` (K, n) and ``test_outputs`` (K, n_test) finite, and
    ``test_labels`` +-1; attention-mass sums, when present, ``mass_cumulative`` (K, n) and
    ``token_mass_max`` (K,) finite, >= 0 and non-decreasing; an official run's final state, whose
    attention its code does not record, may hold NaN attention, logits, outputs and clean / noisy accuracies;
    labels are +-1 and ``noisy`` is a boolean mask with as many entries set as the
    parameters flip (``numerics.data.split_labels``). Not-a-number
    is allowed only where it means "not measured": accuracies of a group that is empty, and the
    official run's metrics at step 0, which its code does not log.
    """
    if source not in SOURCES:
        raise InputError(f"source={_short(source)}: must be one of {', '.join(SOURCES)}")
    missing = [name for name in REQUIRED_ARRAYS if name not in arrays]
    if missing:
        raise InputError(f"trajectory is missing arrays {missing}")
    n, T = params.n_train, params.seq_len
    time = arrays["time"]
    if time.ndim != 1 or len(time) < 1:
        raise InputError(f"array 'time' has shape {time.shape}: must be one value per checkpoint, at least one")
    K = len(time)
    out = dict(arrays)
    time = out["time"] = _float_array(arrays, "time", (K,))
    if not np.all(np.isfinite(time)) or np.any(time < 0):
        raise InputError("array 'time' must be finite and >= 0")
    if np.any(np.diff(time) <= 0):
        raise InputError("array 'time' must be strictly increasing (checkpoints in order)")
    if source.startswith("gd:") or source == "official":
        if "step" not in arrays:
            raise InputError(f"a {source} run needs the array 'step'")
        step = arrays["step"]
        if step.dtype.kind not in "iu" or step.shape != (K,):
            raise InputError(f"array 'step' has dtype {step.dtype} and shape {step.shape}: must be {K} integers")
        if np.any(step < 0) or np.any(step > params.steps) or np.any(np.diff(step) <= 0):
            raise InputError(f"array 'step' must increase within 0..steps={params.steps}")
        if not np.allclose(time, step * params.step_size, rtol=1e-9, atol=0):
            raise InputError(
                f"array 'time' must equal step * step_size (step_size={params.step_size!r} in the parameters)"
            )
    unmeasured = np.zeros(K, dtype=bool)
    # Attention (and what follows from it) the official code does not record: its final state.
    unrecorded = np.zeros(K, dtype=bool)
    if source == "official":
        unmeasured[0] = True
        attention_rows = np.asarray(arrays["attention_train"], dtype=np.float64).reshape(K, -1)
        unrecorded[-1] = K > 1 and bool(np.all(np.isnan(attention_rows[-1])))
    noisy = arrays["noisy"]
    if noisy.dtype != np.bool_ or noisy.shape != (n,):
        raise InputError(
            f"array 'noisy' has dtype {noisy.dtype} and shape {noisy.shape}: must be {n} booleans (n_train={n})"
        )
    expected = int(split_labels(params, "train")[2].sum())
    if int(noisy.sum()) != expected:
        raise InputError(
            f"array 'noisy' marks {int(noisy.sum())} samples: the parameters give {expected} flipped labels"
        )
    for name in ("train_labels", "train_true_labels"):
        if name in arrays:
            labels = out[name] = _float_array(arrays, name, (n,))
            if not np.all(np.abs(labels) == 1):
                raise InputError(f"array {name!r} must hold labels +1 or -1")
    if "train_true_labels" in out and np.any((out["train_labels"] != out["train_true_labels"]) != noisy):
        raise InputError("array 'noisy' must mark exactly the samples whose label was flipped")
    for name, (low, high) in _CHECKPOINT_SCALARS.items():
        if name not in arrays:
            continue
        values = out[name] = _float_array(arrays, name, (K,))
        allowed_nan = unmeasured.copy()
        if name in ("train_acc_clean", "train_acc_noisy"):
            allowed_nan |= unrecorded
        if name == "train_acc_noisy" and not noisy.any() or name == "train_acc_clean" and noisy.all():
            allowed_nan[:] = True
        if name == "train_loss":
            allowed_nan[:] = False
        bad = ~np.isfinite(values) & ~(np.isnan(values) & allowed_nan)
        if np.any(bad):
            raise InputError(
                f"array {name!r} has {int(bad.sum())} non-finite values (first at checkpoint "
                f"{int(np.argmax(bad))}): a verdict needs finite {name}"
            )
        with np.errstate(invalid="ignore"):
            outside = (values < low) | (values > high)
        if np.any(outside):
            raise InputError(f"array {name!r} has values outside [{low:g}, {high:g}]")
    attention = out["attention_train"] = _float_array(arrays, "attention_train", (K, n, T))
    recorded = attention[~unrecorded]
    if (
        not np.all(np.isfinite(recorded))
        or np.any(recorded < 0)
        or not np.allclose(recorded.sum(axis=-1), 1.0, rtol=0, atol=1e-5)
    ):
        raise InputError("array 'attention_train' must hold finite weights >= 0 summing to 1 over the tokens")
    if "logits_train" in arrays:
        logits = _float_array(arrays, "logits_train", (K, n, T))
        out["logits_train"] = logits
        logits = logits[~unrecorded]
        # The official run stores log-attention, which is -inf where its float32 weight is 0.
        bad = np.isnan(logits) | (np.isinf(logits) if source != "official" else logits == np.inf)
        if np.any(bad):
            raise InputError(f"array 'logits_train' has {int(bad.sum())} non-finite values")
    n_test = params.n_test
    shape: tuple[int, ...]
    for name, shape in (("train_outputs", (K, n)), ("test_outputs", (K, n_test))):
        if name in arrays:
            values = out[name] = _float_array(arrays, name, shape)
            if not np.all(np.isfinite(values[~unrecorded])):
                raise InputError(f"array {name!r} must hold finite outputs f at the recorded checkpoints")
    # Attention-mass sums of the GD engines (numerics.mass); files written before them have none.
    for name, shape in (("mass_cumulative", (K, n)), ("token_mass_max", (K,))):
        if name in arrays:
            values = out[name] = _float_array(arrays, name, shape)
            if not np.all(np.isfinite(values)) or np.any(values < 0) or np.any(np.diff(values, axis=0) < 0):
                raise InputError(f"array {name!r} must hold finite sums >= 0 that never decrease over the checkpoints")
    if "test_labels" in arrays:
        labels = out["test_labels"] = _float_array(arrays, "test_labels", (n_test,))
        if not np.all(np.abs(labels) == 1):
            raise InputError("array 'test_labels' must hold labels +1 or -1")
    if "step_loss" in arrays:
        step_loss = out["step_loss"] = _float_array(arrays, "step_loss", arrays["step_loss"].shape)
        if step_loss.ndim != 1:
            raise InputError(f"array 'step_loss' has shape {step_loss.shape}: must be one value per step")
        if source.startswith("gd:") and len(step_loss) != params.steps + 1:
            raise InputError(
                f"array 'step_loss' has {len(step_loss)} values: a GD run of steps={params.steps} "
                f"has {params.steps + 1}"
            )
        finite = step_loss[:-1] if source == "official" else step_loss
        if not np.all(np.isfinite(finite)) or np.any(finite < 0):
            raise InputError("array 'step_loss' must hold finite losses >= 0")
    return out
