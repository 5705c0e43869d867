"""``Trajectory``: the record of one training run or flow, and its files.

Paper: the quantities the paper's experiments plot over training time.

Files in a run directory: ``trajectory.npz`` (the arrays) and ``trajectory.json`` (schema
version, parameters, source, status, statistics, provenance).
"""

from __future__ import annotations

import dataclasses
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from numerics.data import Split
from numerics.recording import Recording
from theory.params import ProblemParams
from verify.files import atomic_write_bytes, npz_bytes, write_json
from verify.provenance import provenance

__all__ = ["Trajectory", "SCHEMA_VERSION", "REQUIRED_ARRAYS", "SOURCES"]

SCHEMA_VERSION = 1
REQUIRED_ARRAYS = ("time", "train_loss", "train_acc", "test_loss", "test_acc", "attention_train",
                   "noisy", "train_labels")
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
    status, message : str
        How the run ended (``numerics.status.Status`` value).
    stats : mapping
        Engine or solver statistics and timings (JSON-serialisable).
    provenance : mapping
        Package versions, git commit, precision.
    """

    params: ProblemParams
    source: str
    arrays: Mapping[str, np.ndarray]
    status: str = "success"
    message: str = ""
    stats: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    provenance: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"source={self.source!r}: must be one of {', '.join(SOURCES)}")
        missing = [name for name in REQUIRED_ARRAYS if name not in self.arrays]
        if missing:
            raise ValueError(f"trajectory is missing arrays {missing}")
        checkpoints = len(self.arrays["time"])
        for name in ("train_loss", "train_acc", "test_loss", "test_acc", "attention_train"):
            if len(self.arrays[name]) != checkpoints:
                raise ValueError(f"array {name!r} has {len(self.arrays[name])} checkpoints, "
                                 f"'time' has {checkpoints}")

    @classmethod
    def from_recording(cls, recording: Recording, params: ProblemParams, train: Split, *,
                       source: str, test_labels: np.ndarray | None = None) -> Trajectory:
        """Wrap an engine's ``Recording`` with the training labels and noisy mask of ``train``
        and, when given, the test labels (which turn ``test_outputs`` into test margins)."""
        arrays = dict(recording.arrays)
        arrays["noisy"] = np.asarray(train.noisy, dtype=bool)
        arrays["train_labels"] = np.asarray(train.labels, dtype=np.float64)
        arrays["train_true_labels"] = np.asarray(train.true_labels, dtype=np.float64)
        if test_labels is not None:
            arrays["test_labels"] = np.asarray(test_labels, dtype=np.float64)
        return cls(params=params, source=source, arrays=arrays, status=recording.status.value,
                   message=recording.message, stats=dict(recording.stats), provenance=provenance())

    @property
    def noisy(self) -> np.ndarray:
        return np.asarray(self.arrays["noisy"], dtype=bool)

    def final(self, name: str):
        """The value of a checkpoint array at the last checkpoint."""
        return self.arrays[name][-1]

    def sidecar(self) -> dict:
        return {
            "schema_version": SCHEMA_VERSION,
            "params": self.params.to_dict(),
            "source": self.source,
            "status": self.status,
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
        """Read a trajectory written by ``save``; a missing, truncated or newer file raises
        ``ValueError`` naming it."""
        directory = Path(directory)
        sidecar_path, npz_path = directory / "trajectory.json", directory / "trajectory.npz"
        for path in (sidecar_path, npz_path):
            if not path.is_file():
                raise ValueError(f"{str(path)!r} does not exist: not a run directory")
        try:
            sidecar = json.loads(sidecar_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{str(sidecar_path)!r} is not valid JSON: {exc}") from None
        if not isinstance(sidecar, dict):
            raise ValueError(f"{str(sidecar_path)!r} must hold a JSON object")
        version = sidecar.get("schema_version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise ValueError(f"{str(sidecar_path)!r}: schema_version={version!r} must be an integer")
        if version > SCHEMA_VERSION:
            raise ValueError(f"{str(sidecar_path)!r}: schema_version {version} is newer than this "
                             f"toolkit reads ({SCHEMA_VERSION}); upgrade benign-attention")
        for key in ("params", "source"):
            if key not in sidecar:
                raise ValueError(f"{str(sidecar_path)!r} has no {key!r} entry")
        try:
            with np.load(npz_path, allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
            raise ValueError(f"{str(npz_path)!r} is not a readable .npz archive "
                             f"(truncated or corrupt): {exc}") from None
        return cls(params=ProblemParams.from_mapping(sidecar["params"]), source=sidecar["source"],
                   arrays=arrays, status=sidecar.get("status", "success"),
                   message=sidecar.get("message", ""), stats=sidecar.get("stats", {}),
                   provenance=sidecar.get("provenance", {}))
