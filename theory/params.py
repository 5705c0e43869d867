"""The parameters of one problem instance: data, model, and training.

Paper: Sakamoto & Sato (2025), Section 3 (setting) and the official code's configuration.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import stat
import tomllib
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from theory.validation import InputError

__all__ = [
    "ProblemParams",
    "OFFICIAL_ALIASES",
    "OFFICIAL_IGNORED_KEYS",
    "LAYOUTS",
    "TRAIN_MODES",
    "INITS",
    "DRAWS",
    "LABELINGS",
    "GENERATORS",
]

LAYOUTS = ("independent", "official")
TRAIN_MODES = ("joint", "p_only")
#: Distributions of W_0's entries: Kaiming-uniform U(-1/sqrt(d), 1/sqrt(d)) (PyTorch's Linear
#: default, the paper's code) or Gaussian N(0, 1/(3d)) with the same variance.
INITS = ("uniform", "gaussian")
#: How the reduced engines get their data: d-dimensional tokens and W_0 ("full"), or the
#: Gram-type quantities drawn directly in distribution at a cost independent of d ("latent").
DRAWS = ("full", "latent")
#: How the true labels and the flips are chosen: in class blocks with the flips at the start of
#: each block (v2/v3 code), or at random (v1: Y* uniform, exactly ceil(n eta) flips chosen uniformly).
LABELINGS = ("balanced", "random")
#: The noise generator: ``numpy.random.default_rng(seed)`` in float64 (v3 code), or the legacy
#: global generator ``np.random.seed(seed); np.random.randn(n, T, d)`` cast to float32 before
#: the signals are added (the authors' Jan-2025 study code).
GENERATORS = ("default", "legacy")

#: Names used by the official code's Hydra configuration, mapped to ours.
#: Keys of the official configuration that do not describe the problem (the v1 failure
#: probability, logging, the experiment tracker): a TOML config may carry them, and they are ignored.
OFFICIAL_IGNORED_KEYS = ("delta", "log_interval", "wandb")

OFFICIAL_ALIASES: Mapping[str, str] = {
    "train_n": "n_train",
    "T": "seq_len",
    "embed_dim": "dim",
    "noise_ratio": "label_noise",
    "learning_rate": "step_size",
    "test_n": "n_test",
    "num_steps": "steps",
}

#: Largest integer field value (int64, the TOML integer range); larger sizes are refused by the
#: memory budget anyway, and this keeps every size product finite in float64.
MAX_INT = 2**63 - 1
#: Largest parameter file read by ``ProblemParams.load`` (a dozen lines are enough).
MAX_CONFIG_BYTES = 2**20
#: Largest signal norm: ||mu||^2 (1e200) and n ||mu||^2 / d then stay finite in float64.
MAX_SIGNAL_NORM = 1e100

_INT_RULES = {
    "n_train": 2,
    "seq_len": 3,
    "dim": 2,
    "n_test": 1,
    "steps": 0,
    "seed": 0,
    "relevant_tokens": 1,
    "weak_tokens": 0,
}


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ProblemParams:
    """One problem instance; defaults are the official v3 configuration.

    Paper: Section 3 (data model: relevant, weakly relevant and irrelevant tokens, label
    noise rate eta) and the official code's defaults (n = 20, T = 8, rho = 0.1, d = 2000,
    ||mu|| = 20, eta = 0.2, step size 5e-3, 1000 steps, seed 42).

    Parameters
    ----------
    n_train, seq_len, dim, n_test : int
        Training samples n (>= 2), tokens per sample T (>= 3), embedding dimension d (>= 2),
        test samples (>= 1).
    signal_norm : float
        ||mu|| > 0; the signals are ||mu|| e_1 and ||mu|| e_2.
    rho : float
        Weight of the weakly relevant tokens, 0 < rho < 1.
    label_noise : float
        Label-noise rate eta (the paper's eta), 0 <= eta < 1. The theorems assume eta < 1/2;
        eta >= 1/2 (more labels flipped than kept, as in the authors' p-only study) warns
        ``AssumptionWarning``.
    seed : int
        Seeds the training data (``numpy.random.default_rng(seed)``, as the official code).
    test_seed : int or None
        Seed of an independent test set. ``None`` derives it as ``default_rng([seed, 1])``.
        Must be ``None`` with ``layout="official"``, which reuses ``seed`` (the official quirk).
    layout : {"independent", "official"}
        How the test set is drawn.
    train : {"joint", "p_only"}
        Train (W, p) from a Kaiming-uniform W (v3) or p only with W = I (v1).
    step_size : float
        Gradient-descent step h > 0.
    steps : int
        Number of GD steps (>= 0).
    init : {"uniform", "gaussian"}
        Distribution of W_0's entries: U(-1/sqrt(d), 1/sqrt(d)) (the paper's code) or
        N(0, 1/(3d)) (same variance). Not used by p-only training (W = I).
    init_seed : int or None
        Seed of W_0, separate from the data seed. ``None`` draws W_0 from ``default_rng([seed, 2])``.
    draw : {"full", "latent"}
        "full" draws d-dimensional tokens and W_0; "latent" draws only what the reduced
        dynamics read, exactly in distribution and at a cost independent of d
        (``numerics.latent``). Latent draws need the independent layout, and for joint
        training the Gaussian initialisation (the construction relies on its rotation invariance).
    relevant_tokens, weak_tokens : int
        Tokens per role: R >= 1 relevant tokens (positions 0..R-1), then W >= 0 weakly relevant
        aligned and W weakly relevant opposite tokens; the other T - R - 2W (>= 0) are
        irrelevant. R = W = 1 is the paper's layout; the authors' p-only study uses R = W = 2.
    labels : {"balanced", "random"}
        "balanced": the first floor(n/2) samples are +1 and the first floor(k/2) of each class
        block are flipped (v2/v3 code); "random": Y* uniform at random and exactly
        k = ceil(n eta) flips chosen uniformly at random (v1).
    generator : {"default", "legacy"}
        Noise generator: ``default_rng`` in float64, or the legacy ``np.random.seed`` +
        ``np.random.randn`` cast to float32 (the authors' Jan-2025 study code).
    """

    n_train: int = 20
    seq_len: int = 8
    dim: int = 2000
    signal_norm: float = 20.0
    rho: float = 0.1
    label_noise: float = 0.2
    n_test: int = 1000
    seed: int = 42
    test_seed: int | None = None
    layout: str = "independent"
    train: str = "joint"
    step_size: float = 5e-3
    steps: int = 1000
    init: str = "uniform"
    init_seed: int | None = None
    draw: str = "full"
    relevant_tokens: int = 1
    weak_tokens: int = 1
    labels: str = "balanced"
    generator: str = "default"

    def __post_init__(self) -> None:
        # NumPy integer and float scalars (np.int64, np.float32, ...) are accepted and stored as
        # Python int and float, so that equal parameters compare, hash and serialise equally.
        for name, minimum in _INT_RULES.items():
            object.__setattr__(self, name, _checked_int(name, getattr(self, name), minimum))
        for name in ("test_seed", "init_seed"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, _checked_int(name, getattr(self, name), 0))
        for name in ("signal_norm", "rho", "label_noise", "step_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise InputError(f"{name}={value!r}: must be a real number")
            value = float(value)
            if not math.isfinite(value):
                raise InputError(f"{name}={value!r}: must be finite")
            object.__setattr__(self, name, value)
        if self.signal_norm <= 0:
            raise InputError(f"signal_norm={self.signal_norm!r}: must be > 0")
        if self.signal_norm > MAX_SIGNAL_NORM:
            raise InputError(
                f"signal_norm={self.signal_norm!r}: must be <= {MAX_SIGNAL_NORM:g} "
                "(||mu||^2 must stay finite in float64)"
            )
        if not 0 < self.rho < 1:
            raise InputError(f"rho={self.rho!r}: must satisfy 0 < rho < 1")
        if not 0 <= self.label_noise < 1:
            raise InputError(f"label_noise={self.label_noise!r}: must satisfy 0 <= label_noise < 1")
        if self.relevant_tokens >= self.seq_len:
            raise InputError(
                f"relevant_tokens={self.relevant_tokens!r} with seq_len={self.seq_len!r}: "
                "must be < seq_len (attention needs a token to select against)"
            )
        if self.relevant_tokens + 2 * self.weak_tokens > self.seq_len:
            raise InputError(
                f"relevant_tokens={self.relevant_tokens!r}, weak_tokens={self.weak_tokens!r} with "
                f"seq_len={self.seq_len!r}: relevant_tokens + 2 weak_tokens must be <= seq_len"
            )
        if self.step_size <= 0:
            raise InputError(f"step_size={self.step_size!r}: must be > 0")
        if self.layout not in LAYOUTS:
            raise InputError(f"layout={self.layout!r}: must be one of {', '.join(LAYOUTS)}")
        if self.train not in TRAIN_MODES:
            raise InputError(f"train={self.train!r}: must be one of {', '.join(TRAIN_MODES)}")
        if self.init not in INITS:
            raise InputError(f"init={self.init!r}: must be one of {', '.join(INITS)}")
        if self.draw not in DRAWS:
            raise InputError(f"draw={self.draw!r}: must be one of {', '.join(DRAWS)}")
        if self.labels not in LABELINGS:
            raise InputError(f"labels={self.labels!r}: must be one of {', '.join(LABELINGS)}")
        if self.generator not in GENERATORS:
            raise InputError(f"generator={self.generator!r}: must be one of {', '.join(GENERATORS)}")
        if self.draw == "latent" and self.generator == "legacy":
            raise InputError(
                "draw='latent' with generator='legacy': the legacy noise is float32-rounded "
                "d-dimensional noise, which the latent draw cannot reproduce; use draw='full'"
            )
        if self.draw == "latent" and self.layout != "independent":
            raise InputError(
                f"draw='latent' with layout={self.layout!r}: the official test set reuses "
                "the training noise draw for draw; use draw='full'"
            )
        if self.draw == "latent" and self.train == "joint" and self.init != "gaussian":
            raise InputError(
                f"draw='latent' with init={self.init!r}: the latent draw is exact only for "
                "init='gaussian' (rotation invariance of W_0); use init='gaussian' or draw='full'"
            )
        if self.layout == "official" and self.test_seed is not None:
            raise InputError(
                f"test_seed={self.test_seed!r}: the official layout draws the test set from seed; "
                "leave test_seed unset or use layout='independent'"
            )
        # Warned last, so that an invalid instance never warns.
        if self.label_noise >= 0.5:
            # Imported here: theory.records loads SymPy, which the parameters otherwise never need.
            from theory.records import AssumptionWarning

            warnings.warn(
                f"label_noise={self.label_noise!r}: the paper's results assume label_noise < 1/2 "
                "(more labels are flipped than kept)",
                AssumptionWarning,
                stacklevel=3,
            )

    @property
    def n_noisy(self) -> int:
        """Number of flipped training labels, ceil(n * eta), computed in float64 as the official code does.

        Float round-off is kept on purpose, so that the official layout flips the same samples:
        for n = 100, eta = 0.07 the product is 7.000000000000001 and 8 labels are flipped.
        """
        return math.ceil(self.n_train * self.label_noise)

    @property
    def irrelevant_tokens(self) -> int:
        """Irrelevant tokens per sample, T - R - 2W."""
        return self.seq_len - self.relevant_tokens - 2 * self.weak_tokens

    @property
    def snr(self) -> float:
        """Signal-to-noise ratio ||mu|| / sqrt(d) (unit input-noise scale)."""
        return self.signal_norm / math.sqrt(self.dim)

    def to_dict(self) -> dict[str, Any]:
        """All fields by our names, ``test_seed`` included even when ``None``."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def replace(self, **changes: Any) -> ProblemParams:
        """A validated copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> ProblemParams:
        """Build from our names or the official configuration's aliases.

        Unknown keys, and a field given twice (by name and alias), raise ``ValueError``.
        """
        known = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, value in mapping.items():
            name = OFFICIAL_ALIASES.get(key, key)
            if name not in known:
                raise InputError(
                    f"unknown parameter {key!r}: expected one of {', '.join(sorted(known))} "
                    f"or an official alias ({', '.join(sorted(OFFICIAL_ALIASES))})"
                )
            if name in values:
                raise InputError(f"parameter {name!r} given twice (as {key!r} and by another name)")
            values[name] = value
        return cls(**values)

    def to_toml(self) -> str:
        """TOML text with one ``key = value`` line per set field (``None`` is omitted)."""
        lines = []
        for key, value in self.to_dict().items():
            if value is None:
                continue
            lines.append(f"{key} = {_toml_scalar(value)}")
        return "\n".join(lines) + "\n"

    @classmethod
    def from_toml(cls, text: str) -> ProblemParams:
        """Parse TOML text (a flat table, or one ``[params]`` table); the official configuration's
        own non-problem keys (``OFFICIAL_IGNORED_KEYS``) are ignored."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"malformed TOML: {exc}") from None
        if set(data) == {"params"} and isinstance(data["params"], dict):
            data = data["params"]
        data = {k: v for k, v in data.items() if k not in OFFICIAL_IGNORED_KEYS}
        nested = [k for k, v in data.items() if isinstance(v, dict)]
        if nested:
            raise InputError(f"unexpected table(s) {nested} in TOML: parameters must be flat keys")
        return cls.from_mapping(data)

    @classmethod
    def load(cls, path: str | Path) -> ProblemParams:
        """Read a TOML file (a regular file of at most ``MAX_CONFIG_BYTES``); errors name the file."""
        path = Path(path)
        try:
            # Checked before opening: a FIFO or a device would block or never end.
            info = path.stat()
            if not stat.S_ISREG(info.st_mode):
                raise InputError(f"config file {str(path)!r} is not a regular file")
            if info.st_size > MAX_CONFIG_BYTES:
                raise InputError(
                    f"config file {str(path)!r} has {info.st_size} bytes: a parameter file "
                    f"has at most {MAX_CONFIG_BYTES}"
                )
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(f"config file {str(path)!r} does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"config file {str(path)!r} cannot be read: {exc}") from None
        try:
            return cls.from_toml(text)
        except ValueError as exc:
            raise InputError(f"{path.name}: {exc}") from None


def _checked_int(name: str, value: Any, minimum: int) -> int:
    """``value`` as a Python int, if it is an integer (bool refused) in [minimum, MAX_INT]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputError(f"{name}={value!r}: must be an integer")
    value = int(value)
    if value < minimum:
        raise InputError(f"{name}={value!r}: must be >= {minimum}")
    if value > MAX_INT:
        raise InputError(f"{name}={value!r}: must be <= {MAX_INT} (2**63 - 1)")
    return value


def _toml_scalar(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, float):
        return repr(value)
    return str(value)
