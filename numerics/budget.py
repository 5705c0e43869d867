"""Memory estimates of the data draw and the engines, checked against a budget before allocating.

Paper: none (resource limits: a setting that cannot fit is refused with a clear message
instead of exhausting the machine's memory half-way through a run or a sweep).

The budget is ``DEFAULT_BUDGET_GIB`` GiB unless the environment variable ``MEMORY_ENV``
(``BENIGN_ATTN_MEMORY_GIB``) or an explicit ``budget_gib`` says otherwise. Estimates count the
float64 arrays each step allocates and keeps alive at its peak; they are upper-bound style
counts of the large arrays, not measurements, and ignore interpreter overhead (tens of MiB).
"""

from __future__ import annotations

import math
import os

from theory.params import ProblemParams
from theory.validation import InputError

__all__ = [
    "DEFAULT_BUDGET_GIB",
    "MEMORY_ENV",
    "LIMITS",
    "check_limit",
    "memory_budget",
    "data_bytes",
    "recording_bytes",
    "direct_bytes",
    "reduced_bytes",
    "test_block_samples",
    "test_drawn_in_subspace",
    "TEST_BLOCK_BYTES",
    "latent_bytes",
    "flow_bytes",
    "check_memory",
    "check_bytes",
]

DEFAULT_BUDGET_GIB = 8.0
MEMORY_ENV = "BENIGN_ATTN_MEMORY_GIB"
_GIB = 2**30
_FLOAT = 8
#: A d-dimensional test set drawn without being given is drawn and projected in blocks of
#: about this many bytes (at least one sample): a few MB stay in cache and reuse one buffer.
TEST_BLOCK_BYTES = 4 * 2**20

#: Stated limits on quantities of work, checked before the work starts (one place, so that
#: the README and the error messages quote the same numbers). Each is far above what the
#: paper's experiments need and far below what would run for hours or exhaust memory.
LIMITS: dict[str, float] = {
    # Recorded checkpoints of one run or flow (the paper plots a few hundred).
    "checkpoints": 1_000_000,
    # Decimal digits of the mpmath flow (30 is the default; each digit costs time per operation).
    "dps": 1_000,
    # Final flow time tau: log time log(1 + tau) <= 27.6, where the default step budget ends
    # within minutes; the paper's exponentially long times are below 1e10.
    "flow_horizon": 1e12,
    # Solver steps of one flow.
    "flow_max_steps": 10_000_000,
    # Cells of one sweep (the paper's grid has 39 x 39 = 1521), counted before any is built.
    "sweep_cells": 100_000,
    # Values of one sweep axis.
    "axis_values": 10_000,
    # Seeds per sweep cell.
    "seeds": 10_000,
    # Bytes of a text or JSON input file (configs, sidecars, cell files, official statistics).
    "text_file_bytes": 256 * 2**20,
    # Nesting depth of a JSON input file.
    "json_depth": 64,
    # Members of a .npz archive.
    "npz_members": 256,
}


def check_limit(name: str, value: float, what: str) -> None:
    """Raise ``ValueError`` when ``value`` exceeds ``LIMITS[name]``; ``what`` names the quantity
    as the user gave it (e.g. ``"--horizon"``)."""
    limit = LIMITS[name]
    if value > limit:
        raise InputError(f"{what}={value:g}: must be <= {limit:g} (a stated limit of this toolkit)")


def memory_budget(budget_gib: float | None = None) -> float:
    """The budget in bytes: ``budget_gib``, else ``$BENIGN_ATTN_MEMORY_GIB``, else 8 GiB.

    Raises
    ------
    ValueError
        When the value (given or from the environment) is not a finite number > 0.
    """
    source = "budget_gib"
    if budget_gib is None:
        text = os.environ.get(MEMORY_ENV, "").strip()
        if not text:
            return DEFAULT_BUDGET_GIB * _GIB
        source = MEMORY_ENV
        try:
            budget_gib = float(text)
        except ValueError:
            raise InputError(f"{MEMORY_ENV}={text!r}: must be a number of GiB > 0") from None
    if (
        isinstance(budget_gib, bool)
        or not isinstance(budget_gib, (int, float))
        or not math.isfinite(budget_gib)
        or budget_gib <= 0
    ):
        raise InputError(f"{source}={budget_gib!r}: must be a finite number of GiB > 0")
    return float(budget_gib) * _GIB


def data_bytes(params: ProblemParams) -> int:
    """Bytes of ``numerics.data.make_data``: training and test tokens (n + n_test) T d, plus the
    per-sample signal rows (2 count d) that ``add_signals`` builds for the larger split."""
    count = max(params.n_train, params.n_test)
    return _FLOAT * params.dim * ((params.n_train + params.n_test) * params.seq_len + 2 * count)


def recording_bytes(params: ProblemParams, record_every: int | None = None) -> int:
    """Bytes of the recorded arrays: the per-step loss and, per checkpoint, train attention and
    logits (2 n T values) plus a dozen scalars and role masses."""
    from numerics.recording import default_record_every

    every = (
        record_every if record_every is not None else default_record_every(params.n_train, params.seq_len, params.steps)
    )
    # A non-positive spacing is refused by the engine with its own message; count one checkpoint.
    checkpoints = params.steps // every + 2 if isinstance(every, int) and every >= 1 else 1
    per_checkpoint = 2 * params.n_train * params.seq_len + 16
    return _FLOAT * ((params.steps + 1) + checkpoints * per_checkpoint)


def direct_bytes(params: ProblemParams, *, w0_given: bool = False, record_every: int | None = None) -> int:
    """Peak bytes of ``numerics.gd.run_direct``: the data, W (d x d; a given W_0 is copied, so
    two of them) and the recording.

    Paper: the paper's setting (W in R^{d x d}); the direct engine holds W explicitly.
    """
    weights = 0
    if params.train == "joint" or w0_given:
        weights = (2 if w0_given else 1) * params.dim**2
    return data_bytes(params) + _FLOAT * weights + recording_bytes(params, record_every)


def test_drawn_in_subspace(params: ProblemParams, test_draw: str) -> bool:
    """Whether the reduced engines draw a test set they are not given in the subspace they act on
    (exact in distribution: the independent layout with the default generator, unless
    ``test_draw="full"``) rather than d-dimensionally. Here, below both the engines
    (``numerics.subspace``) and their memory estimate (``reduced_bytes``)."""
    return test_draw == "auto" and params.layout != "official" and params.generator == "default"


def test_block_samples(params: ProblemParams) -> int:
    """Test samples drawn and projected together: ``TEST_BLOCK_BYTES`` of tokens, at least one."""
    return max(1, TEST_BLOCK_BYTES // (_FLOAT * params.seq_len * params.dim))


def reduced_bytes(
    params: ProblemParams,
    *,
    data_given: bool = False,
    w0_given: bool = False,
    record_every: int | None = None,
    test_draw: str = "auto",
) -> int:
    """Peak bytes of ``numerics.reduced.run_reduced`` (set-up in ``numerics.subspace``).

    Counts the training tokens X (m x d, m = n T), W_0 (d x d) when one is used, the products
    X W_0 and W_0 W_0^T X^T, the columns B (d x 2m) with their augmented copy and its QR
    workspace, the given test tokens (drawn ones are projected block by block), the projected
    test set and the m x m state; p-only training from W = I needs no d x d array.

    Paper: the reduced exact state of derivations/joint_flow.py (the reduced engine is O(m^2) per step once
    the d-dimensional set-up is done).
    """
    if params.draw == "latent":
        return latent_bytes(params) + recording_bytes(params, record_every)
    d, m = params.dim, params.n_train * params.seq_len
    uses_w0 = params.train == "joint" or w0_given
    k = 2 * m if params.train == "joint" else m
    size = m * d  # training tokens
    if uses_w0:
        size += (2 if w0_given else 1) * d * d + 2 * m * d  # W_0 (and the given copy), X W_0, N_0
    size += 3 * (k + 2) * d  # B, [e1 e2 B] and the QR workspace
    if data_given:
        size += params.n_test * params.seq_len * (d + k)  # d-dimensional test tokens, projected
    elif not test_drawn_in_subspace(params, test_draw):
        size += params.n_test * params.seq_len * (k + 1) + test_block_samples(params) * params.seq_len * d
    else:
        size += 2 * params.n_test * params.seq_len * (k + 2)
    size += 4 * m * m  # G, M_0, E and a temporary
    return _FLOAT * size + recording_bytes(params, record_every)


def flow_bytes(params: ProblemParams, *, checkpoints: int, backend: str = "scipy", w0_given: bool = False) -> int:
    """Peak bytes of ``benign-attn flow``: the reduced set-up, the solver's stages and the
    checkpoints.

    The state holds m + m^2 numbers (joint) or m (p-only), m = n T. Explicit scipy solvers keep
    about 20 copies of it (stages, error estimate, dense output); the mpmath back end holds about
    10 copies of mpf numbers of roughly 100 bytes. Each checkpoint records about 4 m numbers.
    """
    m = params.n_train * params.seq_len
    state = m + m * m if params.train == "joint" else m
    solver = 20 * _FLOAT * state if backend == "scipy" else 10 * 100 * state
    setup = reduced_bytes(params.replace(steps=0), w0_given=w0_given, record_every=1)
    return setup + solver + _FLOAT * (checkpoints + 1) * (4 * m + 32)


def check_bytes(what: str, needed: float, *, budget_gib: float | None = None) -> None:
    """Raise ``ValueError`` when ``needed`` bytes (of ``what``, e.g. an array in a file)
    exceed the memory budget; for inputs that are not a ``ProblemParams`` setting."""
    budget = memory_budget(budget_gib)
    if needed > budget:
        raise InputError(
            f"{what} would need about {float(needed) / _GIB:.3g} GiB: more than the memory "
            f"budget of {budget / _GIB:.3g} GiB (set {MEMORY_ENV} to change it)"
        )


def latent_bytes(params: ProblemParams) -> int:
    """Peak bytes of the latent draw (``numerics.latent``), independent of d: the generator
    coordinates (at most (2m + 4)^2) and their pieces, the test tokens in the frame with their
    basis rows, and the m x m matrices G, M_0, E and a temporary.

    Paper: none (the d-free draw's resource estimate).
    """
    m = params.n_train * params.seq_len
    k = 2 * m + 4
    count = params.n_test * params.seq_len
    return _FLOAT * (4 * k * k + count * (k + 2 * m) + 6 * m * m)


def check_memory(what: str, needed: int, params: ProblemParams, *, budget_gib: float | None = None) -> None:
    """Raise ``ValueError`` before allocating when ``needed`` bytes exceed the budget.

    Parameters
    ----------
    what : str
        What would allocate, e.g. ``"the direct engine"``; named in the message.
    needed : int
        Estimated bytes (``data_bytes``, ``direct_bytes`` or ``reduced_bytes``).
    params : ProblemParams
        The setting, whose sizes the message names.
    budget_gib : float, optional
        Overrides ``$BENIGN_ATTN_MEMORY_GIB`` and the default of 8 GiB.
    """
    budget = memory_budget(budget_gib)
    if needed > budget:
        raise InputError(
            f"{what} needs about {float(needed) / _GIB:.3g} GiB for dim={params.dim}, n_train={params.n_train}, "
            f"seq_len={params.seq_len}, n_test={params.n_test}, steps={params.steps}: more than the "
            f"memory budget of {budget / _GIB:.3g} GiB (set {MEMORY_ENV} to change it, or use a "
            "smaller setting)"
        )
