"""The bad-input table: every user mistake ends in a one-line error, exit status 2, no files.

Each row names the input and a fragment the error message must contain. ``cli`` rows run the
real command in a subprocess (``python -m verify.cli``) inside a fresh directory that holds
only the row's inputs; the test checks the exit status, that stderr is exactly one line with
no traceback, and that the directory is unchanged afterwards (nothing partial on disk).
``api`` rows call the library and check for a one-line ``ValueError``.

Commands that exist get rows here as they land (``verify.commands.COMMANDS``).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from numerics.budget import MEMORY_ENV, check_memory
from numerics.gd import run_direct
from theory.params import ProblemParams
from verify.commands import COMMANDS
from verify.trajectory import SCHEMA_VERSION, Trajectory

REPO_ROOT = Path(__file__).resolve().parents[2]
OFFICIAL_RUN = REPO_ROOT / "tests" / "fixtures" / "official-run"
SMALL = ("--dim", "10", "--n-test", "4", "--steps", "2", "--quiet")


@dataclasses.dataclass(frozen=True)
class Case:
    """One row: ``setup(directory)`` writes the inputs and returns the argv (``cli``) or a
    callable that must raise (``api``); ``fragment`` must appear in the error."""

    name: str
    kind: str
    setup: Callable[[Path], object]
    fragment: str
    env: tuple[tuple[str, str], ...] = ()
    needs: str = "run"


def _cli(*argv: str, env: dict | None = None, needs: str = "run"):
    return lambda name, fragment: Case(name, "cli", lambda _d: list(argv), fragment, tuple((env or {}).items()), needs)


def _with_file(filename: str, content: bytes | str | Callable[[Path], None], *argv: str):
    """A cli row whose input file ``filename`` is written first; ``{file}`` in argv is its path."""

    def setup(directory: Path):
        path = directory / filename
        if callable(content):
            content(path)
        else:
            path.write_bytes(content.encode() if isinstance(content, str) else content)
        return [arg.replace("{file}", str(path)) for arg in argv]

    return setup


def _toml(name: str, text: str | bytes, fragment: str) -> Case:
    return Case(name, "cli", _with_file("run.toml", text, "run", "--config", "{file}", *SMALL), fragment)


def _init_w(name: str, write: Callable[[Path], None], fragment: str, filename: str = "w.npy") -> Case:
    return Case(name, "cli", _with_file(filename, write, "run", *SMALL, "--init-w", "{file}"), fragment)


def _api(name: str, call: Callable[[], object], fragment: str) -> Case:
    return Case(name, "api", lambda _d: call, fragment)


def _save(array) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        with open(path, "wb") as handle:  # np.save(path) would append ".npy" to other names
            np.save(handle, array, allow_pickle=True)

    return write


def _truncated_npy(path: Path) -> None:
    _save(np.eye(10))(path)
    path.write_bytes(path.read_bytes()[:100])


def _npz(path: Path) -> None:
    with open(path, "wb") as handle:
        np.savez(handle, w=np.eye(10))


def _with_nonfinite(value: float) -> Callable[[Path], None]:
    w = np.eye(10)
    w[2, 7] = value
    return _save(w)


def _existing_dir(files: dict[str, str]) -> Callable[[Path], list[str]]:
    def setup(directory: Path):
        out = directory / "out"
        out.mkdir()
        for name, text in files.items():
            (out / name).write_text(text)
        return ["run", *SMALL, "--out", str(out)]

    return setup


def _under_file(directory: Path):
    (directory / "plain.txt").write_text("a regular file, not a directory\n")
    return ["run", *SMALL, "--out", str(directory / "plain.txt" / "run")]


def _out_is_file(directory: Path):
    (directory / "out").write_text("a regular file\n")
    return ["run", *SMALL, "--out", str(directory / "out")]


def _new_parent_then_budget(directory: Path):
    # The memory check fails after the output checks: the missing parents must not be created.
    return [
        "run",
        "--dim",
        "300000",
        "--n-train",
        "2",
        "--seq-len",
        "3",
        "--n-test",
        "1",
        "--quiet",
        "--engine",
        "direct",
        "--out",
        str(directory / "new" / "deeper" / "run"),
    ]


def _saved_trajectory(directory: Path) -> Path:
    params = ProblemParams(dim=6, seq_len=3, n_train=4, n_test=3, steps=2)
    from numerics.data import make_data

    data = make_data(params)
    run = directory / "run"
    run.mkdir()
    Trajectory.from_recording(run_direct(params, data=data), params, source="gd:direct").save(run)
    return run


def _edit_sidecar(change: Callable[[dict], None]) -> Callable[[Path], Callable[[], object]]:
    def setup(directory: Path):
        run = _saved_trajectory(directory)
        sidecar = json.loads((run / "trajectory.json").read_text())
        change(sidecar)
        (run / "trajectory.json").write_text(json.dumps(sidecar))
        return lambda: Trajectory.load(run)

    return setup


def _truncate_npz(directory: Path):
    run = _saved_trajectory(directory)
    npz = run / "trajectory.npz"
    npz.write_bytes(npz.read_bytes()[:300])
    return lambda: Trajectory.load(run)


def _direct_engine_at_a_million(_directory: Path):
    def call():
        tracemalloc.start()
        try:
            run_direct(ProblemParams(dim=10**6, n_train=2, seq_len=3, n_test=1))
        finally:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            # Refused before allocating: W alone would be 7.3 TiB, the tokens 48 MB.
            assert peak < 2**20, f"allocated {peak} bytes before refusing"

    return call


def _set(key, value):
    return lambda sidecar: sidecar.__setitem__(key, value)


def _set_param(key, value):
    return lambda sidecar: sidecar["params"].__setitem__(key, value)


CASES: list[Case] = [
    # --- command-line options -> ProblemParams rules
    _cli("run", "--dim", "0", *SMALL[2:])("dim-zero", "dim=0: must be >= 2"),
    _cli("run", "--dim", "-5", *SMALL[2:])("dim-negative", "dim=-5: must be >= 2"),
    _cli("run", "--dim", "2.5")("dim-not-an-integer", "argument --dim: invalid int value: '2.5'"),
    _cli("run", "--dim", "1000000", "--quiet")(
        "dim-huge-reduced-default", "the reduced engine needs about 7.46e+03 GiB"
    ),
    _cli("run", "--dim", "1000000", "--quiet", "--engine", "direct")(
        "dim-huge-data-draw", "the data draw needs about 75.7 GiB"
    ),
    _cli(
        "run", "--dim", "300000", "--n-train", "2", "--seq-len", "3", "--n-test", "1", "--quiet", "--engine", "direct"
    )("dim-huge-direct-engine", "the direct engine needs about 671 GiB"),
    _cli(
        "run", "--dim", "300000", "--n-train", "2", "--seq-len", "3", "--n-test", "1", "--quiet", "--engine", "reduced"
    )("dim-huge-reduced-engine", "the reduced engine needs about 671 GiB"),
    _cli("run", "--n-train", "1", *SMALL)("n-train-one", "n_train=1: must be >= 2"),
    _cli("run", "--seq-len", "2", *SMALL)("seq-len-below-three", "seq_len=2: must be >= 3"),
    _cli("run", "--n-test", "0", "--dim", "10")("n-test-zero", "n_test=0: must be >= 1"),
    _cli("run", "--label-noise", "1", *SMALL)("label-noise-one", "label_noise=1.0: must satisfy 0 <= label_noise < 1"),
    _cli("run", "--relevant-tokens", "0", *SMALL)("relevant-tokens-zero", "relevant_tokens=0: must be >= 1"),
    _cli("run", "--relevant-tokens", "8", *SMALL)(
        "relevant-tokens-all", "relevant_tokens=8 with seq_len=8: must be < seq_len"
    ),
    _cli("run", "--weak-tokens", "-1", *SMALL)("weak-tokens-negative", "weak_tokens=-1: must be >= 0"),
    _cli("run", "--relevant-tokens", "2", "--weak-tokens", "4", *SMALL)(
        "role-tokens-exceed-seq-len", "relevant_tokens + 2 weak_tokens must be <= seq_len"
    ),
    _cli("run", "--labels", "shuffled", *SMALL)("labels-unknown", "invalid choice: 'shuffled'"),
    _cli("run", "--generator", "torch", *SMALL)("generator-unknown", "invalid choice: 'torch'"),
    _cli("run", "--generator", "legacy", "--draw", "latent", "--train", "p_only", *SMALL)(
        "latent-legacy", "draw='latent' with generator='legacy'"
    ),
    _cli("run", "--label-noise", "-0.1", *SMALL)("label-noise-negative", "label_noise=-0.1: must satisfy"),
    _cli("run", "--rho", "0", *SMALL)("rho-zero", "rho=0.0: must satisfy 0 < rho < 1"),
    _cli("run", "--rho", "1", *SMALL)("rho-one", "rho=1.0: must satisfy 0 < rho < 1"),
    _cli("run", "--rho=-inf", *SMALL)("rho-minus-inf", "rho=-inf: must be finite"),
    _cli("run", "--signal-norm", "nan", *SMALL)("signal-norm-nan", "signal_norm=nan: must be finite"),
    _cli("run", "--signal-norm", "inf", *SMALL)("signal-norm-inf", "signal_norm=inf: must be finite"),
    _cli("run", "--signal-norm", "0", *SMALL)("signal-norm-zero", "signal_norm=0.0: must be > 0"),
    _cli("run", "--step-size", "-0.1", *SMALL)("step-size-negative", "step_size=-0.1: must be > 0"),
    _cli("run", "--step-size", "nan", *SMALL)("step-size-nan", "step_size=nan: must be finite"),
    _cli("run", "--steps", "-1", "--dim", "10")("steps-negative", "steps=-1: must be >= 0"),
    _cli("run", "--seed", "-3", *SMALL)("seed-negative", "seed=-3: must be >= 0"),
    _cli("run", "--layout", "official", "--test-seed", "5", *SMALL)(
        "official-layout-with-test-seed", "test_seed=5: the official layout draws the test set from seed"
    ),
    _cli("run", "--layout", "random", *SMALL)("layout-unknown", "argument --layout: invalid choice: 'random'"),
    _cli("run", "--eta", "0.1", *SMALL)("unknown-option", "unrecognized arguments: --eta 0.1"),
    _cli("run", "--record-every", "0", *SMALL)("record-every-zero", "record_every=0: must be an integer >= 1"),
    _cli("run", *SMALL, env={MEMORY_ENV: "lots"})(
        "memory-budget-not-a-number", "BENIGN_ATTN_MEMORY_GIB='lots': must be a number of GiB > 0"
    ),
    _cli("run", *SMALL, env={MEMORY_ENV: "-2"})(
        "memory-budget-negative", "BENIGN_ATTN_MEMORY_GIB=-2.0: must be a finite number of GiB > 0"
    ),
    _cli("run", "--quiet", env={MEMORY_ENV: "0.01"})(
        "memory-budget-too-small-for-defaults", "more than the memory budget of 0.01 GiB"
    ),
    # --- TOML configuration files
    _toml("toml-malformed", "dim = = 3\n", "run.toml: malformed TOML"),
    _toml("toml-unknown-key", "eta = 0.1\n", "unknown parameter 'eta'"),
    _toml("toml-dim-as-string", 'dim = "2000"\n', "dim='2000': must be an integer"),
    _toml("toml-dim-as-float", "dim = 20.5\n", "dim=20.5: must be an integer"),
    _toml("toml-dim-as-array", "dim = [1, 2]\n", "dim=[1, 2]: must be an integer"),
    _toml("toml-label-noise-bool", "label_noise = true\n", "label_noise=True: must be a real number"),
    _toml("toml-signal-norm-nan", "signal_norm = nan\n", "signal_norm=nan: must be finite"),
    _toml("toml-alias-step-inf", "learning_rate = inf\n", "step_size=inf: must be finite"),
    _toml("toml-alias-noise-too-high", "noise_ratio = 1.5\n", "label_noise=1.5: must satisfy"),
    _toml("toml-labels-unknown", 'labels = "shuffled"\n', "labels='shuffled': must be one of balanced, random"),
    _toml("toml-generator-unknown", 'generator = "torch"\n', "generator='torch': must be one of default, legacy"),
    _toml("toml-relevant-tokens-float", "relevant_tokens = 1.5\n", "relevant_tokens=1.5: must be an integer"),
    _toml("toml-alias-T-two", "T = 2\n", "seq_len=2: must be >= 3"),
    _toml("toml-field-twice", "dim = 30\nembed_dim = 30\n", "parameter 'dim' given twice"),
    _toml("toml-nested-table", "[model]\ndim = 30\n", "unexpected table(s) ['model']"),
    _toml("toml-not-utf8", b"dim = 3\xff\xfe\n", "cannot be read"),
    Case("toml-missing-file", "cli", lambda d: ["run", "--config", str(d / "nowhere.toml")], "does not exist"),
    # --- --init-w files (dim 10)
    _init_w("init-w-wrong-shape", _save(np.eye(3)), "initial W has shape (3, 3): must be (10, 10)"),
    _init_w("init-w-nan", _with_nonfinite(np.nan), "initial W has 1 non-finite entries"),
    _init_w("init-w-inf", _with_nonfinite(-np.inf), "initial W has 1 non-finite entries"),
    _init_w("init-w-truncated", _truncated_npy, "is not a readable .npy array"),
    _init_w("init-w-npz-archive", _npz, "must hold one array (.npy), not an archive", "w.npz"),
    _init_w("init-w-complex", _save(np.eye(10) * (1 + 1j)), "dtype complex128: must be real numbers"),
    _init_w("init-w-strings", _save(np.full((10, 10), "x")), "dtype <U1: must be real numbers"),
    _init_w("init-w-pickled-objects", _save(np.full((10, 10), None)), "holds Python objects (dtype object)"),
    _init_w("init-w-text-file", lambda p: p.write_text("not numpy\n"), "is not a readable .npy array"),
    Case(
        "init-w-missing",
        "cli",
        lambda d: ["run", *SMALL, "--init-w", str(d / "none.npy")],
        "--init-w file",
    ),
    # --- output directories
    Case("out-is-a-file", "cli", _out_is_file, "exists and is not a directory"),
    Case("out-under-a-regular-file", "cli", _under_file, "plain.txt', which is not a directory"),
    Case(
        "out-not-writable-sysfs",
        "cli",
        lambda d: ["run", *SMALL, "--out", "/sys/benign-attn-run"],
        "output directory '/sys' is not writable",
    ),
    Case(
        "out-holds-a-different-run",
        "cli",
        _existing_dir({"params.toml": ProblemParams(dim=11).to_toml(), "report.md": "# old\n"}),
        "already holds a different run or other files: choose another --out or pass --overwrite",
    ),
    Case("out-holds-other-files", "cli", _existing_dir({"notes.txt": "mine\n"}), "already holds a different run"),
    Case("out-new-parents-then-refused", "cli", _new_parent_then_budget, "the direct engine needs"),
    # --- library calls
    _api("api-dim-string", lambda: ProblemParams(dim="2000"), "dim='2000': must be an integer"),
    _api("api-dim-bool", lambda: ProblemParams(dim=True), "dim=True: must be an integer"),
    _api("api-rho-none", lambda: ProblemParams(rho=None), "rho=None: must be a real number"),
    _api(
        "api-layout-capitalised",
        lambda: ProblemParams(layout="Official"),
        "layout='Official': must be one of independent, official",
    ),
    _api("api-unknown-alias", lambda: ProblemParams.from_mapping({"lr": 0.1}), "unknown parameter 'lr'"),
    _api(
        "api-budget-keyword-zero",
        lambda: check_memory("x", 1, ProblemParams(), budget_gib=0),
        "budget_gib=0: must be a finite number of GiB > 0",
    ),
    Case(
        "api-direct-engine-dim-million",
        "api",
        _direct_engine_at_a_million,
        "the direct engine needs about 7.45e+03 GiB for dim=1000000",
    ),
    # --- saved runs read back (the verify command's input, through the library)
    Case("run-dir-truncated-npz", "api", _truncate_npz, "is not a readable .npz archive (truncated or corrupt)"),
    Case(
        "run-dir-newer-schema",
        "api",
        _edit_sidecar(_set("schema_version", SCHEMA_VERSION + 1)),
        f"schema_version {SCHEMA_VERSION + 1} is newer than this toolkit reads",
    ),
    Case("run-dir-params-nan", "api", _edit_sidecar(_set_param("rho", float("nan"))), "rho=nan: must be finite"),
    Case("run-dir-unknown-source", "api", _edit_sidecar(_set("source", "magic")), "source='magic': must be one of"),
    Case("run-dir-no-directory", "api", lambda d: lambda: Trajectory.load(d / "missing"), "not a run directory"),
]

SWEEP_BASE = ("--steps", "2", "--n-test", "3", "--quiet")


def _sweep(name: str, fragment: str, *argv: str) -> Case:
    return Case(name, "cli", lambda d: ["sweep", *argv, *SWEEP_BASE, "--out", str(d / "sw")], fragment, needs="sweep")


def _sweep_in(name: str, fragment: str, files: dict[str, str]) -> Case:
    def setup(directory: Path):
        out = directory / "sw"
        out.mkdir()
        for filename, text in files.items():
            (out / filename).write_text(text)
        return ["sweep", "--axis", "dim=10,20", *SWEEP_BASE, "--out", str(out)]

    return Case(name, "cli", setup, fragment, needs="sweep")


def _verify_run(change: Callable[[Path], None] = lambda run: None, *options: str):
    def setup(directory: Path):
        run = _saved_trajectory(directory)
        change(run)
        return ["verify", str(run), "--quiet", *options]

    return setup


def _sidecar(key, value) -> Callable[[Path], None]:
    def change(run: Path) -> None:
        sidecar = json.loads((run / "trajectory.json").read_text())
        sidecar[key] = value
        (run / "trajectory.json").write_text(json.dumps(sidecar))

    return change


def _official(config: str | None, stats: str | bytes | None = None):
    """An official-run directory: the fixture's files, or the given replacements."""
    fixture = OFFICIAL_RUN

    def setup(directory: Path):
        source = directory / "official"
        (source / ".hydra").mkdir(parents=True)
        text = config if config is not None else (fixture / ".hydra" / "config.yaml").read_text()
        (source / ".hydra" / "config.yaml").write_text(text)
        data = stats if stats is not None else (fixture / "stats_time_step.json").read_bytes()
        (source / "stats_time_step.json").write_bytes(data.encode() if isinstance(data, str) else data)
        return ["import-official", str(source), "--quiet", "--out", str(directory / "imported")]

    return setup


_OFFICIAL_CONFIG = "train_n: 4\nT: 3\nembed_dim: 6\nnum_steps: 2\ntest_n: 3\n"

CASES += [
    # --- benign-attn verify RUN_DIR
    Case(
        "verify-missing-run-dir", "cli", lambda d: ["verify", str(d / "nothing")], "not a run directory", needs="verify"
    ),
    Case(
        "verify-newer-schema",
        "cli",
        _verify_run(_sidecar("schema_version", SCHEMA_VERSION + 1)),
        "is newer than this toolkit reads",
        needs="verify",
    ),
    Case(
        "verify-truncated-npz",
        "cli",
        _verify_run(lambda run: (run / "trajectory.npz").write_bytes((run / "trajectory.npz").read_bytes()[:300])),
        "(truncated or corrupt)",
        needs="verify",
    ),
    Case(
        "verify-sidecar-not-json",
        "cli",
        _verify_run(lambda run: (run / "trajectory.json").write_text("{schema_version: 1")),
        "is not valid JSON",
        needs="verify",
    ),
    Case(
        "verify-params-label-noise-too-high",
        "cli",
        _verify_run(
            lambda run: _sidecar(
                "params", {**json.loads((run / "trajectory.json").read_text())["params"], "label_noise": 1.7}
            )(run)
        ),
        "label_noise=1.7: must satisfy",
        needs="verify",
    ),
    Case(
        "verify-constant-twice",
        "cli",
        _verify_run(lambda run: None, "--constant", "C_benign=1", "--constant", "C_benign=2"),
        "--constant C_benign given twice",
        needs="verify",
    ),
    Case(
        "verify-constant-not-a-number",
        "cli",
        _verify_run(lambda run: None, "--constant", "C_benign=abc"),
        "abc",
        needs="verify",
    ),
    # --- benign-attn import-official DIR
    Case(
        "official-missing-dir",
        "cli",
        lambda d: ["import-official", str(d / "nothing"), "--quiet"],
        "does not exist: not an official run directory",
        needs="import_official",
    ),
    Case(
        "official-unknown-config-key",
        "cli",
        _official(_OFFICIAL_CONFIG + "warp_drive: 9\n", "{}"),
        "official config has unknown keys ['warp_drive']",
        needs="import_official",
    ),
    Case(
        "official-config-not-flat-yaml",
        "cli",
        _official("- just\n- a list\n", "{}"),
        "is not a 'key: value' line",
        needs="import_official",
    ),
    Case(
        "official-config-noise-too-high",
        "cli",
        _official(_OFFICIAL_CONFIG + "noise_ratio: 1.0\n", "{}"),
        "label_noise=1.0: must satisfy",
        needs="import_official",
    ),
    Case(
        "official-stats-truncated",
        "cli",
        _official(None, (OFFICIAL_RUN / "stats_time_step.json").read_bytes()[:5000]),
        "stats_time_step.json' is not valid JSON",
        needs="import_official",
    ),
    Case(
        "official-stats-too-few-rows",
        "cli",
        _official(_OFFICIAL_CONFIG, '{"time_step": {"0": 0}}'),
        "has 1 rows, config says num_steps=2",
        needs="import_official",
    ),
    # --- benign-attn sweep specifications
    _sweep("sweep-no-axis", "give --grid or at least one --axis"),
    _sweep("sweep-axis-unknown-field", "axis 'eta': must be one of", "--axis", "eta=0.1,0.2"),
    _sweep("sweep-axis-dim-zero", "dim=0: must be >= 2", "--axis", "dim=0,10"),
    _sweep("sweep-axis-reversed-range", "values must be finite numbers as START:STOP:STEP", "--axis", "dim=10:5:1"),
    _sweep("sweep-axis-infinite-range", "values must be finite numbers", "--axis", "signal_norm=1:inf:1"),
    _sweep("sweep-axis-nan-integer", "axis 'dim=nan,3': values must be finite", "--axis", "dim=nan,3"),
    _sweep("sweep-axis-huge-range", "more than 10000 values", "--axis", "dim=2:1e12:1"),
    _sweep("sweep-axis-noise-one", "label_noise=1.0: must satisfy", "--axis", "label_noise=0.1,1"),
    _sweep(
        "sweep-axis-relevant-tokens-all",
        "relevant_tokens=8 with seq_len=8: must be < seq_len",
        "--axis",
        "relevant_tokens=1,8",
    ),
    _sweep("sweep-seeds-zero", "--seeds 0: must be >= 1", "--axis", "dim=10,20", "--seeds", "0"),
    _sweep("sweep-workers-zero", "workers=0: must be >= 1", "--axis", "dim=10,20", "--workers", "0"),
    _sweep("sweep-chunk-size-negative", "chunk_size=-1: must be >= 1", "--axis", "dim=10,20", "--chunk-size", "-1"),
    _sweep(
        "sweep-scheduler-without-dask",
        "--scheduler needs --executor dask",
        "--axis",
        "dim=10,20",
        "--scheduler",
        "tcp://127.0.0.1:8786",
    ),
    _sweep("sweep-base-rho-one", "rho=1.0: must satisfy", "--axis", "dim=10,20", "--rho", "1"),
    _sweep_in(
        "sweep-out-holds-another-sweep",
        "holds a different sweep (sweep.json differs)",
        {"sweep.json": json.dumps({"version": 1, "other": True})},
    ),
    _sweep_in("sweep-out-holds-other-files", "is not empty and holds no sweep.json", {"notes.txt": "mine"}),
    Case(
        "sweep-out-under-a-regular-file",
        "cli",
        lambda d: (
            (d / "plain.txt").write_text("x")
            and None
            or ["sweep", "--axis", "dim=10,20", *SWEEP_BASE, "--out", str(d / "plain.txt" / "sw")]
        ),
        "which is not a directory",
        needs="sweep",
    ),
]


# --- round 2: untrusted files, stated limits, run directories validated before any check ---


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _npy_header_only(shape: tuple, dtype: str = "<f8") -> Callable[[Path], None]:
    """A .npy file whose header claims ``shape`` but that holds (almost) no data."""

    def write(path: Path) -> None:
        with open(path, "wb") as handle:
            np.lib.format.write_array_header_1_0(handle, {"descr": dtype, "fortran_order": False, "shape": shape})
            handle.write(b"\0" * 16)

    return write


def _held(directory: Path, name: str) -> None:
    """Hold the claim on ``directory / name`` from this test process (as a running command would)."""
    import fcntl

    from verify.claims import lock_path

    path = lock_path((directory / name).resolve())
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    os.write(fd, b"4242\n")
    fcntl.flock(fd, fcntl.LOCK_EX)
    _HELD.append(fd)


#: Lock descriptors held by rows until the session ends (a held claim is the row's input).
_HELD: list[int] = []


def _held_out(*argv: str, name: str = "out"):
    def setup(directory: Path):
        _held(directory, name)
        return [arg.replace("{dir}", str(directory)) for arg in argv]

    return setup


def _edit_arrays(change: Callable[[dict], None]) -> Callable[[Path], None]:
    """Rewrite a saved run's trajectory.npz after ``change`` edits its arrays."""

    def edit(run: Path) -> None:
        from verify.files import npz_bytes

        with np.load(run / "trajectory.npz") as archive:
            arrays = {name: archive[name] for name in archive.files}
        change(arrays)
        (run / "trajectory.npz").write_bytes(npz_bytes(arrays))

    return edit


def _array(name, value):
    return lambda arrays: arrays.__setitem__(name, value(arrays[name]) if callable(value) else value)


def _poke(name, index, value):
    def change(arrays):
        array = arrays[name].copy()
        array[index] = value
        arrays[name] = array

    return change


def _sidecar_params(**changes) -> Callable[[Path], None]:
    def change(run: Path) -> None:
        sidecar = json.loads((run / "trajectory.json").read_text())
        sidecar["params"].update(changes)
        (run / "trajectory.json").write_text(json.dumps(sidecar))

    return change


def _replace_file(name: str, write: Callable[[Path], None]) -> Callable[[Path], None]:
    def change(run: Path) -> None:
        path = run / name
        path.unlink()
        write(path)

    return change


def _npz_members(members: dict[str, bytes], compression=None) -> Callable[[Path], None]:
    import zipfile

    def write(path: Path) -> None:
        with zipfile.ZipFile(path, "w", compression=compression or zipfile.ZIP_STORED) as archive:
            for name, data in members.items():
                archive.writestr(name, data)

    return write


def _npy_claiming(shape: tuple, data_bytes: int) -> bytes:
    """A .npy member whose header claims ``shape`` (float64) followed by ``data_bytes`` zeros."""
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": "<f8", "fortran_order": False, "shape": shape})
    return buffer.getvalue() + b"\0" * data_bytes


def _npy_bytes(array) -> bytes:
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _verify_case(name: str, change: Callable[[Path], None], fragment: str, *options: str, env=None) -> Case:
    return Case(name, "cli", _verify_run(change, *options), fragment, tuple((env or {}).items()), needs="verify")


def _verify_out(prepare: Callable[[Path], None]):
    def setup(directory: Path):
        run = _saved_trajectory(directory)
        prepare(directory)
        return ["verify", str(run), "--quiet", "--out", str(directory / "reports")]

    return setup


def _dangling(name: str) -> Callable[[Path], None]:
    return lambda directory: (directory / name).symlink_to(directory / "nowhere")


def _nested_json(depth: int) -> str:
    return "[" * depth + "]" * depth


def _run_out(prepare: Callable[[Path], None], *argv: str, command: tuple[str, ...] = ("run", *SMALL)):
    def setup(directory: Path):
        prepare(directory)
        return [*command, *argv]

    return setup


FLOW_SMALL = ("flow", "--dim", "10", "--n-test", "4", "--checkpoints", "5", "--horizon", "10", "--quiet")


def _flow(name: str, fragment: str, *argv: str, env=None) -> Case:
    return Case(
        name,
        "cli",
        lambda d: [*FLOW_SMALL, *argv, "--out", str(d / "fl")],
        fragment,
        tuple((env or {}).items()),
        needs="flow",
    )


def _official_files(files: dict[str, str | Callable[[Path], None]]):
    """An official-run directory from the fixture with some files replaced (text or a writer)."""

    def setup(directory: Path):
        source = directory / "official"
        (source / ".hydra").mkdir(parents=True)
        for name in ("stats_time_step.json", ".hydra/config.yaml"):
            value = files.get(name)
            if value is None:
                (source / name).write_bytes((OFFICIAL_RUN / name).read_bytes())
            elif callable(value):
                value(source / name)
            else:
                (source / name).write_text(value)
        return ["import-official", str(source), "--quiet", "--out", str(directory / "imported")]

    return setup


def _official_stats(edit: Callable[[dict], None]) -> str:
    stats = json.loads((OFFICIAL_RUN / "stats_time_step.json").read_text())
    edit(stats)
    return json.dumps(stats)


def _sweep_dir(files: dict[str, str], *argv: str, command: str = "figure"):
    """A sweep directory with the given files, read by ``figure phase`` (default) or resumed."""

    def setup(directory: Path):
        out = directory / "sw"
        (out / "cells").mkdir(parents=True)
        for name, text in files.items():
            (out / name).write_text(text)
        if command == "figure":
            return ["figure", "phase", "--sweep", str(out), "--quiet", "--out", str(directory / "figs")]
        return ["sweep", *argv, *SWEEP_BASE, "--out", str(out)]

    return setup


_SWEEP_SPEC = {
    "spec_version": 2,
    "base": ProblemParams(dim=10, n_test=3, steps=2).to_dict(),
    "axes": [["dim", [10, 20]]],
    "seeds": [42],
    "engine": "reduced",
}
_CELL_KEY = "dim=10_seed=42"
_GOOD_CELL = {
    "cell": _CELL_KEY,
    "status": "success",
    "regime": "benign",
    "train_loss": 0.1,
    "test_loss": 0.2,
    "train_acc": 1.0,
    "train_acc_clean": 1.0,
    "train_acc_noisy": 1.0,
    "test_acc": 1.0,
}


def _cell(**changes) -> dict[str, str]:
    cell = {k: v for k, v in {**_GOOD_CELL, **changes}.items() if v is not _DROP}
    return {"sweep.json": json.dumps(_SWEEP_SPEC), f"cells/{_CELL_KEY}.json": json.dumps(cell)}


_DROP = object()


def _api_limit(name: str, call: Callable[[], object], fragment: str, peak: int = 2**24) -> Case:
    """An api row that must refuse before allocating more than ``peak`` bytes."""

    def checked():
        tracemalloc.start()
        try:
            call()
        finally:
            _, used = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            assert used < peak, f"allocated {used} bytes before refusing"

    return Case(name, "api", lambda _d: checked, fragment)


def _read(path_writer: Callable[[Path], None], reader: str):
    def setup(directory: Path):
        from verify import files

        path = directory / "input"
        path_writer(path)
        return lambda: getattr(files, reader)(path)

    return setup


CASES += [
    # --- output directories: links, the current directory, claims held by running commands
    Case("out-dangling-symlink", "cli", _run_out(_dangling("out"), "--out", "out"), "is a symbolic link to"),
    Case(
        "out-is-current-directory",
        "cli",
        _run_out(lambda d: None, "--out", ".", "--overwrite"),
        "is the current directory or contains it",
    ),
    Case(
        "out-is-parent-of-current-directory",
        "cli",
        _run_out(lambda d: None, "--out", "..", "--overwrite"),
        "is the current directory or contains it",
    ),
    Case(
        "out-held-by-another-run",
        "cli",
        _held_out("run", *SMALL, "--out", "{dir}/out"),
        "is in use by another benign-attn process (process 4242)",
    ),
    Case(
        "flow-out-held-by-another-run",
        "cli",
        _held_out(*FLOW_SMALL, "--out", "{dir}/out"),
        "is in use by another benign-attn process",
        needs="flow",
    ),
    Case(
        "official-out-held-by-another-run",
        "cli",
        lambda d: (_held(d, "imported"), _official_files({})(d))[1],
        "is in use by another benign-attn process",
        needs="import_official",
    ),
    Case(
        "sweep-out-held-by-another-sweep",
        "cli",
        _held_out("sweep", "--axis", "dim=10,20", *SWEEP_BASE, "--out", "{dir}/sw", name="sw"),
        "is in use by another benign-attn process",
        needs="sweep",
    ),
    Case(
        "verify-run-dir-held-by-a-writer",
        "cli",
        lambda d: (_held(d, "run"), _verify_run()(d))[1],
        "is in use by another benign-attn process",
        needs="verify",
    ),
    Case(
        "verify-overwrite-held-by-a-writer",
        "cli",
        lambda d: (_held(d, "run"), _verify_run(lambda run: None, "--overwrite")(d))[1],
        "is in use by another benign-attn process",
        needs="verify",
    ),
    Case(
        "verify-out-held-by-another-process",
        "cli",
        lambda d: (_held(d, "reports"), _verify_out(lambda d: None)(d))[1],
        "is in use by another benign-attn process",
        needs="verify",
    ),
    Case(
        "verify-out-is-a-file",
        "cli",
        _verify_out(lambda d: (d / "reports").write_text("x")),
        "exists and is not a directory",
        needs="verify",
    ),
    Case(
        "verify-out-holds-files",
        "cli",
        _verify_out(lambda d: ((d / "reports").mkdir(), (d / "reports" / "mine.txt").write_text("x"))),
        "already holds files: choose another --out or pass --overwrite",
        needs="verify",
    ),
    Case(
        "verify-out-dangling-symlink", "cli", _verify_out(_dangling("reports")), "is a symbolic link to", needs="verify"
    ),
    _verify_case(
        "verify-constant-underflowing",
        lambda run: None,
        "must be a number float64 can hold",
        "--constant",
        "C_drive=1e-400",
    ),
    _verify_case(
        "verify-constant-overflowing",
        lambda run: None,
        "must be a number float64 can hold",
        "--constant",
        "C_benign=1e308",
        "--constant",
        "C_harm=99999" + "9" * 400,
    ),
    _verify_case(
        "verify-constant-huge-exponent",
        lambda run: None,
        "the exponent is beyond float64's range",
        "--constant",
        "C_benign=1e999999999",
    ),
    Case(
        "verify-out-is-the-run-directory",
        "cli",
        lambda d: ["verify", str(_saved_trajectory(d)), "--quiet", "--out", str(d / "run")],
        "is the run directory: replacing its report needs --overwrite",
        needs="verify",
    ),
    Case(
        "verify-out-current-directory",
        "cli",
        lambda d: ["verify", str(_saved_trajectory(d)), "--quiet", "--out", "."],
        "is the current directory or contains it",
        needs="verify",
    ),
    # --- run directories read by verify: validated before any check
    _verify_case(
        "verify-train-loss-nan",
        _edit_arrays(_poke("train_loss", 1, np.nan)),
        "array 'train_loss' has 1 non-finite values (first at checkpoint 1)",
    ),
    _verify_case(
        "verify-test-loss-inf", _edit_arrays(_poke("test_loss", -1, np.inf)), "array 'test_loss' has 1 non-finite"
    ),
    _verify_case(
        "verify-test-acc-nan", _edit_arrays(_poke("test_acc", 0, np.nan)), "array 'test_acc' has 1 non-finite"
    ),
    _verify_case(
        "verify-train-acc-above-one",
        _edit_arrays(_poke("train_acc", 0, 1.5)),
        "array 'train_acc' has values outside [0, 1]",
    ),
    _verify_case(
        "verify-loss-negative",
        _edit_arrays(_poke("train_loss", 0, -0.1)),
        "array 'train_loss' has values outside [0, inf]",
    ),
    _verify_case(
        "verify-time-reversed",
        _edit_arrays(_array("time", lambda t: t[::-1].copy())),
        "array 'time' must be strictly increasing",
    ),
    _verify_case("verify-time-nan", _edit_arrays(_poke("time", 1, np.nan)), "array 'time' must be finite and >= 0"),
    _verify_case(
        "verify-time-not-step-times-h",
        _edit_arrays(_array("time", lambda t: t * 3)),
        "array 'time' must equal step * step_size",
    ),
    _verify_case(
        "verify-zero-checkpoints",
        _edit_arrays(_array("time", np.zeros(0))),
        "must be one value per checkpoint, at least one",
    ),
    _verify_case(
        "verify-time-two-dimensional", _edit_arrays(_array("time", np.zeros((3, 1)))), "array 'time' has shape (3, 1)"
    ),
    _verify_case(
        "verify-attention-one-dimensional",
        _edit_arrays(_array("attention_train", lambda a: a.ravel())),
        "array 'attention_train' has shape (36,): must be (3, 4, 3)",
    ),
    _verify_case(
        "verify-attention-not-summing-to-one",
        _edit_arrays(_array("attention_train", lambda a: a * 2)),
        "array 'attention_train' must hold finite weights >= 0 summing to 1",
    ),
    _verify_case(
        "verify-attention-nan",
        _edit_arrays(_poke("attention_train", (0, 0, 0), np.nan)),
        "array 'attention_train' must hold finite weights",
    ),
    _verify_case(
        "verify-attention-strings",
        _edit_arrays(_array("attention_train", lambda a: a.astype(str))),
        "array 'attention_train' has dtype <U",
    ),
    _verify_case(
        "verify-logits-nan",
        _edit_arrays(_poke("logits_train", (1, 0, 0), np.nan)),
        "array 'logits_train' has 1 non-finite values",
    ),
    _verify_case(
        "verify-step-loss-inf",
        _edit_arrays(_poke("step_loss", 0, np.inf)),
        "array 'step_loss' must hold finite losses >= 0",
    ),
    _verify_case(
        "verify-step-loss-short",
        _edit_arrays(_array("step_loss", lambda a: a[:-1].copy())),
        "array 'step_loss' has 2 values: a GD run of steps=2 has 3",
    ),
    _verify_case(
        "verify-step-as-floats",
        _edit_arrays(_array("step", lambda a: a.astype(float))),
        "array 'step' has dtype float64",
    ),
    _verify_case(
        "verify-step-beyond-steps",
        _edit_arrays(_array("step", lambda a: a * 5)),
        "array 'step' must increase within 0..steps=2",
    ),
    _verify_case(
        "verify-noisy-float-mask",
        _edit_arrays(_array("noisy", lambda a: a.astype(float))),
        "array 'noisy' has dtype float64 and shape (4,): must be 4 booleans",
    ),
    _verify_case(
        "verify-noisy-short-mask",
        _edit_arrays(_array("noisy", lambda a: a[:-1].copy())),
        "array 'noisy' has dtype bool and shape (3,)",
    ),
    _verify_case(
        "verify-noisy-wrong-count",
        _edit_arrays(_array("noisy", lambda a: np.ones_like(a))),
        "array 'noisy' marks 4 samples: the parameters give 0 flipped labels",
    ),
    _verify_case(
        "verify-noisy-not-the-flipped-labels",
        _edit_arrays(_array("train_labels", lambda a: -a)),
        "array 'noisy' must mark exactly the samples whose label was flipped",
    ),
    _verify_case(
        "verify-labels-not-plus-minus-one",
        _edit_arrays(_poke("train_labels", 0, 0.5)),
        "array 'train_labels' must hold labels +1 or -1",
    ),
    _verify_case(
        "verify-missing-train-loss",
        _edit_arrays(lambda arrays: arrays.pop("train_loss")),
        "trajectory is missing arrays ['train_loss']",
    ),
    _verify_case(
        "verify-params-more-samples-than-arrays", _sidecar_params(n_train=5), "must be 5 booleans (n_train=5)"
    ),
    _verify_case("verify-params-longer-sequences", _sidecar_params(seq_len=7), "must be (3, 4, 7)"),
    _verify_case(
        "verify-params-other-step-size", _sidecar_params(step_size=0.5), "must equal step * step_size (step_size=0.5"
    ),
    _verify_case("verify-params-fewer-steps", _sidecar_params(steps=1), "array 'step' must increase within 0..steps=1"),
    _verify_case("verify-params-as-list", _sidecar("params", [1, 2]), "params=[1, 2] must be a JSON object"),
    _verify_case("verify-params-unknown-key", _sidecar_params(eta=0.1), "params: unknown parameter 'eta'"),
    _verify_case("verify-schema-negative", _sidecar("schema_version", -1), "schema_version=-1 must be >= 1"),
    _verify_case("verify-schema-as-string", _sidecar("schema_version", "1"), "schema_version='1' must be an integer"),
    _verify_case("verify-schema-missing", _sidecar("schema_version", None), "schema_version=None must be an integer"),
    _verify_case("verify-source-a-number", _sidecar("source", 3), "source=3 must be a JSON string"),
    _verify_case("verify-status-unknown", _sidecar("status", "great"), "status='great' must be one of success"),
    _verify_case("verify-stats-a-list", _sidecar("stats", []), "stats=[] must be a JSON object"),
    _verify_case(
        "verify-sidecar-a-list", lambda run: (run / "trajectory.json").write_text("[1]"), "must hold a JSON object"
    ),
    _verify_case(
        "verify-sidecar-nested-deeply",
        lambda run: (run / "trajectory.json").write_text(_nested_json(100_000)),
        "nests deeper than 64 levels",
    ),
    _verify_case(
        "verify-sidecar-not-utf8",
        lambda run: (run / "trajectory.json").write_bytes(b'{"a": "\xff"}'),
        "is not UTF-8 text",
    ),
    _verify_case(
        "verify-sidecar-is-a-fifo", _replace_file("trajectory.json", _fifo), "trajectory.json' is not a regular file"
    ),
    _verify_case(
        "verify-sidecar-is-a-directory",
        _replace_file("trajectory.json", lambda p: p.mkdir()),
        "trajectory.json' is not a regular file",
    ),
    _verify_case(
        "verify-npz-is-a-fifo", _replace_file("trajectory.npz", _fifo), "trajectory.npz' is not a regular file"
    ),
    _verify_case(
        "verify-npz-pickled-member",
        _replace_file("trajectory.npz", _npz_members({"time.npy": _npy_bytes(np.array([None]))})),
        "member 'time.npy' holds Python objects (dtype object)",
    ),
    _verify_case(
        "verify-npz-member-not-npy",
        _replace_file("trajectory.npz", _npz_members({"notes.txt": b"hello"})),
        "member 'notes.txt' is not a .npy array",
    ),
    _verify_case(
        "verify-npz-member-claims-more-than-it-holds",
        _replace_file("trajectory.npz", _npz_members({"time.npy": _npy_claiming((9,), 32)})),
        "claims 72 bytes of data (shape (9,), dtype float64) but holds only 32",
    ),
    _verify_case(
        "verify-npz-member-header-beyond-budget",
        _replace_file("trajectory.npz", _npz_members({"time.npy": _npy_claiming((10**10,), 32)})),
        "would need about 74.5 GiB: more than the memory budget",
    ),
    _verify_case(
        "verify-npz-deflate-bomb",
        _replace_file("trajectory.npz", _npz_members({"time.npy": _npy_bytes(np.zeros(2_000_000))}, compression=8)),
        "more than the memory budget of 0.01 GiB",
        env={MEMORY_ENV: "0.01"},
    ),
    _verify_case(
        "verify-npz-negative-shape",
        _replace_file("trajectory.npz", _npz_members({"time.npy": _npy_claiming((-4,), 32)})),
        "has a negative size in its shape (-4,)",
    ),
    # --- configuration and --init-w files that are not regular, too large, or claim too much
    Case(
        "toml-is-a-fifo",
        "cli",
        _with_file("run.toml", _fifo, "run", "--config", "{file}", *SMALL),
        "run.toml' is not a regular file",
    ),
    Case(
        "toml-is-a-directory",
        "cli",
        _with_file("run.toml", lambda p: p.mkdir(), "run", "--config", "{file}", *SMALL),
        "run.toml' is not a regular file",
    ),
    _toml("toml-too-large", "# padding\n" * 200_000, "a parameter file has at most 1048576"),
    _toml("toml-signal-norm-overflowing-square", "signal_norm = 1e300\n", "signal_norm=1e+300: must be <= 1e+100"),
    _toml(
        "toml-dim-beyond-int64",
        "dim = 9223372036854775808\n",
        "dim=9223372036854775808: must be <= 9223372036854775807",
    ),
    _init_w("init-w-is-a-fifo", _fifo, "w.npy' is not a regular file"),
    _init_w("init-w-is-a-directory", lambda p: p.mkdir(), "w.npy' is not a regular file"),
    _init_w(
        "init-w-header-claims-a-huge-matrix",
        _npy_header_only((100_000, 100_000)),
        "initial W has shape (100000, 100000): must be (10, 10)",
    ),
    _init_w("init-w-header-claims-more-than-the-file", _npy_header_only((10, 10)), "claims 800 bytes of data"),
    _init_w("init-w-booleans", _save(np.eye(10, dtype=bool)), "initial W has dtype bool: must be real numbers"),
    _init_w(
        "init-w-unknown-format-version",
        lambda p: p.write_bytes(b"\x93NUMPY\x09\x00" + b"\0" * 64),
        "is not a readable .npy array",
    ),
    _cli("run", *SMALL, "--signal-norm", "1e200")(
        "signal-norm-overflowing-square", "signal_norm=1e+200: must be <= 1e+100"
    ),
    _cli("run", *SMALL, "--dim", "99999999999999999999")("dim-beyond-int64", "must be <= 9223372036854775807"),
    _cli(
        "run",
        "--dim",
        "10",
        "--n-train",
        "2",
        "--seq-len",
        "3",
        "--n-test",
        "1",
        "--steps",
        "3000000",
        "--record-every",
        "1",
        "--quiet",
    )("checkpoints-beyond-limit", "checkpoints (steps / --record-every)=3e+06: must be <= 1e+06"),
    _cli("run", "--dim", "200000", "--n-train", "2", "--seq-len", "3", "--n-test", "1", "--steps", "1", "--quiet")(
        "reduced-engine-budget-before-the-data-draw", "the reduced engine needs about"
    ),
    # --- flow: stated limits and the memory budget, before any work
    _flow("flow-horizon-beyond-limit", "--horizon=1e+20: must be <= 1e+12", "--horizon", "1e20"),
    _flow("flow-horizon-nan", "horizon=nan: must be a finite number > 0", "--horizon", "nan"),
    _flow("flow-checkpoints-beyond-limit", "--checkpoints=1e+07: must be <= 1e+06", "--checkpoints", "10000000"),
    _flow("flow-dps-beyond-limit", "--dps=100000: must be <= 1000", "--backend", "mpmath", "--dps", "100000"),
    _flow("flow-max-steps-beyond-limit", "--max-steps=1e+09: must be <=", "--max-steps", "1000000000"),
    _flow("flow-rtol-below-scipy-smallest", "(scipy's smallest relative tolerance)", "--rtol", "1e-20"),
    _flow("flow-state-beyond-budget", "the flow (scipy) needs about", "--n-train", "200", "--seq-len", "50"),
    _flow("flow-signal-norm-overflowing-square", "signal_norm=1e+200: must be <=", "--signal-norm", "1e200"),
    Case(
        "flow-out-dangling-symlink",
        "cli",
        lambda d: (_dangling("fl")(d), [*FLOW_SMALL, "--out", str(d / "fl")])[1],
        "is a symbolic link to",
        needs="flow",
    ),
    # --- import-official: untrusted files, the memory budget before the tokens are re-drawn
    Case(
        "official-huge-embed-dim",
        "cli",
        _official("train_n: 20\nT: 8\nembed_dim: 100000000\nnum_steps: 2\ntest_n: 3\n", "{}"),
        "reading the official run needs about",
        needs="import_official",
    ),
    Case(
        "official-column-a-number",
        "cli",
        _official_files({"stats_time_step.json": _official_stats(lambda stats: stats.__setitem__("loss", 3))}),
        "column 'loss' must map row numbers to values, not be a number",
        needs="import_official",
    ),
    Case(
        "official-attention-wrong-shape",
        "cli",
        _official_files(
            {
                "stats_time_step.json": _official_stats(
                    lambda stats: stats["attention_score"].__setitem__("0", [[0.5, 0.5]])
                )
            }
        ),
        "column 'attention_score' row 0 must be numbers of shape",
        needs="import_official",
    ),
    Case(
        "official-loss-a-string",
        "cli",
        _official_files({"stats_time_step.json": _official_stats(lambda stats: stats["loss"].__setitem__("3", "low"))}),
        "column 'loss' row 3 must be a number",
        needs="import_official",
    ),
    Case(
        "official-row-keys-not-numbers",
        "cli",
        _official_files({"stats_time_step.json": _official_stats(lambda stats: stats["loss"].__setitem__("x", 1.0))}),
        "column 'loss' has row keys that are not row numbers",
        needs="import_official",
    ),
    Case(
        "official-time-step-strings",
        "cli",
        _official_files(
            {"stats_time_step.json": _official_stats(lambda stats: stats["time_step"].__setitem__("0", "0"))}
        ),
        "column 'time_step' must hold row numbers",
        needs="import_official",
    ),
    Case(
        "official-loss-null",
        "cli",
        _official_files({"stats_time_step.json": _official_stats(lambda stats: stats["loss"].__setitem__("0", None))}),
        "array 'train_loss' has 1 non-finite values",
        needs="import_official",
    ),
    Case(
        "official-attention-not-summing-to-one",
        "cli",
        _official_files(
            {
                "stats_time_step.json": _official_stats(
                    lambda stats: stats["attention_score"].__setitem__(
                        "0", [[2 * v for v in row] for row in stats["attention_score"]["0"]]
                    )
                )
            }
        ),
        "array 'attention_train' must hold finite weights >= 0 summing to 1",
        needs="import_official",
    ),
    Case(
        "official-stats-a-list",
        "cli",
        _official_files({"stats_time_step.json": "[]"}),
        "must hold a JSON object of columns",
        needs="import_official",
    ),
    Case(
        "official-stats-nested-deeply",
        "cli",
        _official_files({"stats_time_step.json": _nested_json(10_000)}),
        "nests deeper than 64 levels",
        needs="import_official",
    ),
    Case(
        "official-stats-is-a-fifo",
        "cli",
        _official_files({"stats_time_step.json": _fifo}),
        "stats_time_step.json' is not a regular file",
        needs="import_official",
    ),
    Case(
        "official-config-is-a-fifo",
        "cli",
        _official_files({".hydra/config.yaml": _fifo}),
        "config.yaml' is not a regular file",
        needs="import_official",
    ),
    Case(
        "official-config-not-utf8",
        "cli",
        _official_files({".hydra/config.yaml": lambda p: p.write_bytes(b"T: \xff\n")}),
        "is not UTF-8 text",
        needs="import_official",
    ),
    Case(
        "official-out-dangling-symlink",
        "cli",
        lambda d: (_dangling("imported")(d), _official_files({})(d))[1],
        "is a symbolic link to",
        needs="import_official",
    ),
    # --- sweeps: counted before built, the budget before the workers start, cell files checked
    _sweep(
        "sweep-too-many-cells",
        "cells of the sweep=899100: must be <= 100000",
        "--axis",
        "dim=10:9000:1",
        "--axis",
        "signal_norm=1:100:1",
    ),
    _sweep("sweep-too-many-seeds", "--seeds 1000000: must be <= 10000", "--axis", "dim=10,20", "--seeds", "1000000"),
    _sweep("sweep-seeds-not-integers", "--seeds '1.5': must be a count", "--axis", "dim=10,20", "--seeds", "1.5"),
    _sweep(
        "sweep-beyond-memory-budget",
        "the sweep (2 workers at once) needs about",
        "--axis",
        "dim=100000,200000",
        "--workers",
        "2",
    ),
    _sweep("sweep-signal-norm-overflowing-square", "signal_norm=1e+200: must be <=", "--axis", "signal_norm=1,1e200"),
    Case(
        "sweep-out-is-current-directory",
        "cli",
        lambda d: ["sweep", "--axis", "dim=10,20", *SWEEP_BASE, "--out", "."],
        "is the current directory",
        needs="sweep",
    ),
    Case(
        "sweep-resume-spec-is-a-fifo",
        "cli",
        lambda d: (
            (d / "sw").mkdir(),
            _fifo(d / "sw" / "sweep.json"),
            ["sweep", "--axis", "dim=10,20", *SWEEP_BASE, "--out", str(d / "sw")],
        )[2],
        "sweep.json' is not a regular file",
        needs="sweep",
    ),
    Case(
        "figure-phase-cell-file-empty-object",
        "cli",
        _sweep_dir({"sweep.json": json.dumps(_SWEEP_SPEC), f"cells/{_CELL_KEY}.json": "{}"}),
        f"field 'cell' must be '{_CELL_KEY}'",
        needs="figure",
    ),
    Case(
        "figure-phase-cell-regime-unknown",
        "cli",
        _sweep_dir(_cell(regime="great")),
        "field 'regime' must be one of",
        needs="figure",
    ),
    Case(
        "figure-phase-cell-status-missing",
        "cli",
        _sweep_dir(_cell(status=_DROP)),
        "field 'status' must be 'success' or 'failed'",
        needs="figure",
    ),
    Case(
        "figure-phase-cell-metric-a-string",
        "cli",
        _sweep_dir(_cell(test_loss="low")),
        "field 'test_loss' must be a number or null",
        needs="figure",
    ),
    Case(
        "figure-phase-cell-metric-missing",
        "cli",
        _sweep_dir(_cell(train_acc=_DROP)),
        "field 'train_acc' is missing",
        needs="figure",
    ),
    Case(
        "figure-phase-cell-file-a-list",
        "cli",
        _sweep_dir({"sweep.json": json.dumps(_SWEEP_SPEC), f"cells/{_CELL_KEY}.json": "[]"}),
        "must hold a JSON object",
        needs="figure",
    ),
    Case(
        "figure-phase-spec-a-list",
        "cli",
        _sweep_dir({"sweep.json": "[]"}),
        "a sweep specification must be a JSON object",
        needs="figure",
    ),
    Case(
        "figure-phase-spec-axes-malformed",
        "cli",
        _sweep_dir({"sweep.json": json.dumps({**_SWEEP_SPEC, "axes": [["dim"]]})}),
        "field 'axes' must hold [name, [numbers]] pairs",
        needs="figure",
    ),
    Case(
        "figure-phase-spec-too-many-cells",
        "cli",
        _sweep_dir(
            {
                "sweep.json": json.dumps(
                    {**_SWEEP_SPEC, "axes": [["dim", list(range(10, 1010))], ["signal_norm", list(range(1, 1001))]]}
                )
            }
        ),
        "cells of the sweep=1e+06: must be <= 100000",
        needs="figure",
    ),
    Case(
        "figure-phase-no-sweep-directory",
        "cli",
        lambda d: ["figure", "phase", "--sweep", str(d / "none"), "--quiet", "--out", str(d / "figs")],
        "does not exist: not a sweep directory",
        needs="figure",
    ),
    Case(
        "figure-phase-without-sweep-creates-nothing",
        "cli",
        lambda d: ["figure", "phase", "--quiet", "--out", str(d / "figs")],
        "figure phase needs --sweep DIR",
        needs="figure",
    ),
    Case(
        "figure-out-dangling-symlink",
        "cli",
        lambda d: (_dangling("figs")(d), ["figure", "phase", "--quiet", "--out", str(d / "figs")])[1],
        "is a symbolic link to",
        needs="figure",
    ),
    Case(
        "figure-out-is-a-file",
        "cli",
        lambda d: ((d / "figs").write_text("x"), ["figure", "phase", "--quiet", "--out", str(d / "figs")])[1],
        "exists and is not a directory",
        needs="figure",
    ),
    Case(
        "figure-gaps-run-with-nan-loss",
        "cli",
        lambda d: (
            _edit_arrays(_poke("train_loss", 0, np.nan))(_saved_trajectory(d)),
            ["figure", "gaps", "--run", str(d / "run"), "--quiet", "--out", str(d / "figs")],
        )[1],
        "array 'train_loss' has 1 non-finite values",
        needs="figure",
    ),
    # --- library: the same defences without the command line
    _api("api-signal-norm-overflowing-square", lambda: ProblemParams(signal_norm=1e155), "must be <= 1e+100"),
    _api("api-dim-beyond-int64", lambda: ProblemParams(dim=2**64), "must be <= 9223372036854775807"),
    _api_limit(
        "api-sweep-spec-counted-before-built",
        lambda: __import__("verify.experiments.sweep").experiments.sweep.SweepSpec(
            base=ProblemParams(),
            axes=(("dim", tuple(range(10, 2010))), ("signal_norm", tuple(range(1, 2001)))),
            seeds=(1,),
        ),
        "cells of the sweep=4e+06: must be <= 100000",
        peak=2**25,
    ),
    Case("api-read-bytes-refuses-a-fifo", "api", _read(_fifo, "read_bytes_bounded"), "is not a regular file"),
    Case(
        "api-load-npy-refuses-pickles",
        "api",
        _read(_save(np.array([{}], dtype=object)), "load_npy"),
        "holds Python objects",
    ),
    Case(
        "api-load-npz-header-beyond-budget",
        "api",
        _read(_npz_members({"a.npy": _npy_claiming((10**12,), 8)}), "load_npz"),
        "would need about 7.45e+03 GiB: more than the memory budget",
    ),
    _api_limit(
        "api-run-budget-before-the-data-draw",
        lambda: __import__("verify.commands.run").commands.run.check_run_budget(
            ProblemParams(dim=200_000, n_train=2, seq_len=3, n_test=1), "reduced", w0_given=False, record_every=None
        ),
        "the reduced engine needs about 298 GiB",
    ),
    Case(
        "api-read-json-nested-deeply",
        "api",
        _read(lambda p: p.write_text(_nested_json(1000)), "read_json_file"),
        "nests deeper than 64 levels",
    ),
]


if os.geteuid() != 0:

    def _read_only_parent(directory: Path):
        parent = directory / "locked"
        parent.mkdir()
        parent.chmod(0o555)
        return ["run", *SMALL, "--out", str(parent / "run")]

    CASES.append(Case("out-parent-read-only", "cli", _read_only_parent, "is not writable"))

CASE_IDS = [case.name for case in CASES]
assert len(set(CASE_IDS)) == len(CASE_IDS), "duplicate case names"


def _snapshot(directory: Path) -> dict[str, str]:
    """Every path under ``directory`` with a hash of its content (directories map to "dir")."""
    entries = {}
    for path in sorted(directory.rglob("*")):
        key = str(path.relative_to(directory))
        if path.is_symlink():
            entries[key] = f"link to {os.readlink(path)}"
        elif path.is_dir():
            entries[key] = "dir"
        elif not path.is_file():  # a FIFO given as input: never opened here
            entries[key] = "special"
        else:
            entries[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return entries


def _environment(case: Case) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != MEMORY_ENV}
    env.update(PYTHONPATH=str(REPO_ROOT), **dict(case.env))
    return env


def _run_subprocess(case: Case, directory: Path):
    directory.mkdir(parents=True)
    argv = case.setup(directory)
    before = _snapshot(directory)
    result = subprocess.run(
        [sys.executable, "-m", "verify.cli", *argv],
        capture_output=True,
        text=True,
        cwd=directory,
        env=_environment(case),
        timeout=120,
    )
    return result.returncode, result.stderr, before, _snapshot(directory)


def _check_cli(case: Case, code, stderr: str, before: dict, after: dict) -> None:
    stderr = stderr.strip()
    assert code == 2, (code, stderr)
    assert case.fragment in stderr, stderr
    assert len(stderr.splitlines()) == 1 and "Traceback" not in stderr, stderr
    assert stderr.startswith("benign-attn"), stderr
    assert after == before, f"files changed: {set(after.items()) ^ set(before.items())}"


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_bad_input(case, tmp_path, monkeypatch, capsys):
    """Row ``case`` of the table fails cleanly: exit 2, one line naming the rule, no files.

    ``cli`` rows call ``verify.cli.main`` in this process (the same code path as the script,
    minus the interpreter start); ``test_bad_input_subprocess`` runs them as real processes.
    """
    if case.kind == "api":
        call = case.setup(tmp_path)
        with pytest.raises(ValueError) as info:
            call()
        message = str(info.value)
        assert case.fragment in message, message
        assert "\n" not in message
        return
    if case.needs not in COMMANDS:
        pytest.skip(f"benign-attn {case.needs} does not exist yet")
    from verify.cli import main

    argv = case.setup(tmp_path)
    before = _snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    for key, value in case.env:
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    _check_cli(case, code, capsys.readouterr().err, before, _snapshot(tmp_path))


#: Rows also run as real ``python -m verify.cli`` processes in the default suite, one or two
#: per kind of input; the rest run as processes under ``-m slow``.
SUBPROCESS_ROWS = {
    "dim-zero",
    "dim-not-an-integer",
    "dim-huge-data-draw",
    "memory-budget-not-a-number",
    "toml-malformed",
    "init-w-truncated",
    "out-under-a-regular-file",
    "out-holds-a-different-run",
    "out-new-parents-then-refused",
    "verify-newer-schema",
    "official-stats-truncated",
    "sweep-axis-huge-range",
    "verify-train-loss-nan",
    "toml-is-a-fifo",
    "init-w-header-claims-a-huge-matrix",
    "out-held-by-another-run",
    "flow-horizon-beyond-limit",
    "official-huge-embed-dim",
    "figure-phase-cell-file-empty-object",
    "verify-npz-deflate-bomb",
}
CLI_CASES = [
    pytest.param(c, id=c.name, marks=() if c.name in SUBPROCESS_ROWS else pytest.mark.slow)
    for c in CASES
    if c.kind == "cli"
]


@pytest.fixture(scope="module")
def subprocess_results(request, tmp_path_factory):
    """Run the selected rows as processes, two at a time, and keep their results."""
    selected = {item.callspec.id for item in request.session.items if item.originalname == "test_bad_input_subprocess"}
    cases = [c for c in CASES if c.kind == "cli" and c.name in selected and c.needs in COMMANDS]
    root = tmp_path_factory.mktemp("bad-input")
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {c.name: pool.submit(_run_subprocess, c, root / c.name) for c in cases}
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("case", CLI_CASES)
def test_bad_input_subprocess(case, subprocess_results):
    """The same row through a real ``python -m verify.cli`` process: exit 2, one stderr line."""
    if case.needs not in COMMANDS:
        pytest.skip(f"benign-attn {case.needs} does not exist yet")
    _check_cli(case, *subprocess_results[case.name])
