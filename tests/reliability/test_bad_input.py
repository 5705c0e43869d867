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
    return lambda name, fragment: Case(name, "cli", lambda _d: list(argv), fragment,
                                       tuple((env or {}).items()), needs)


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
    return ["run", "--dim", "300000", "--n-train", "2", "--seq-len", "3", "--n-test", "1", "--quiet",
            "--engine", "direct", "--out", str(directory / "new" / "deeper" / "run")]


def _saved_trajectory(directory: Path) -> Path:
    params = ProblemParams(dim=6, seq_len=3, n_train=4, n_test=3, steps=2)
    from numerics.data import make_data
    data = make_data(params)
    run = directory / "run"
    run.mkdir()
    Trajectory.from_recording(run_direct(params, data=data), params, data.train, source="gd:direct").save(run)
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
    _cli("run", "--dim", "1000000", "--quiet")("dim-huge-data-draw", "the data draw needs about 75.7 GiB"),
    _cli("run", "--dim", "300000", "--n-train", "2", "--seq-len", "3", "--n-test", "1", "--quiet",
         "--engine", "direct")("dim-huge-direct-engine", "the direct engine needs about 671 GiB"),
    _cli("run", "--dim", "300000", "--n-train", "2", "--seq-len", "3", "--n-test", "1", "--quiet",
         "--engine", "reduced")("dim-huge-reduced-engine", "the reduced engine needs about 671 GiB"),
    _cli("run", "--n-train", "1", *SMALL)("n-train-one", "n_train=1: must be >= 2"),
    _cli("run", "--seq-len", "2", *SMALL)("seq-len-below-three", "seq_len=2: must be >= 3"),
    _cli("run", "--n-test", "0", "--dim", "10")("n-test-zero", "n_test=0: must be >= 1"),
    _cli("run", "--label-noise", "0.5", *SMALL)("label-noise-half", "label_noise=0.5: must satisfy 0 <= label_noise < 1/2"),
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
        "official-layout-with-test-seed", "test_seed=5: the official layout draws the test set from seed"),
    _cli("run", "--layout", "random", *SMALL)("layout-unknown", "argument --layout: invalid choice: 'random'"),
    _cli("run", "--eta", "0.1", *SMALL)("unknown-option", "unrecognized arguments: --eta 0.1"),
    _cli("run", "--record-every", "0", *SMALL)("record-every-zero", "record_every=0: must be an integer >= 1"),
    _cli("run", *SMALL, env={MEMORY_ENV: "lots"})("memory-budget-not-a-number",
                                                  "BENIGN_ATTN_MEMORY_GIB='lots': must be a number of GiB > 0"),
    _cli("run", *SMALL, env={MEMORY_ENV: "-2"})("memory-budget-negative",
                                                "BENIGN_ATTN_MEMORY_GIB=-2.0: must be a finite number of GiB > 0"),
    _cli("run", "--quiet", env={MEMORY_ENV: "0.01"})("memory-budget-too-small-for-defaults",
                                                     "more than the memory budget of 0.01 GiB"),
    # --- TOML configuration files
    _toml("toml-malformed", "dim = = 3\n", "run.toml: malformed TOML"),
    _toml("toml-unknown-key", "eta = 0.1\n", "unknown parameter 'eta'"),
    _toml("toml-dim-as-string", 'dim = "2000"\n', "dim='2000': must be an integer"),
    _toml("toml-dim-as-float", "dim = 20.5\n", "dim=20.5: must be an integer"),
    _toml("toml-dim-as-array", "dim = [1, 2]\n", "dim=[1, 2]: must be an integer"),
    _toml("toml-label-noise-bool", "label_noise = true\n", "label_noise=True: must be a real number"),
    _toml("toml-signal-norm-nan", "signal_norm = nan\n", "signal_norm=nan: must be finite"),
    _toml("toml-alias-step-inf", "learning_rate = inf\n", "step_size=inf: must be finite"),
    _toml("toml-alias-noise-too-high", "noise_ratio = 0.6\n", "label_noise=0.6: must satisfy"),
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
    _init_w("init-w-pickled-objects", _save(np.full((10, 10), None)), "is not a readable .npy array"),
    _init_w("init-w-text-file", lambda p: p.write_text("not numpy\n"), "is not a readable .npy array"),
    Case("init-w-missing", "cli", lambda d: ["run", *SMALL, "--init-w", str(d / "none.npy")],
         "--init-w file", ),
    # --- output directories
    Case("out-is-a-file", "cli", _out_is_file, "exists and is not a directory"),
    Case("out-under-a-regular-file", "cli", _under_file, "plain.txt', which is not a directory"),
    Case("out-not-writable-sysfs", "cli", lambda d: ["run", *SMALL, "--out", "/sys/benign-attn-run"],
         "output directory '/sys' is not writable"),
    Case("out-holds-a-different-run", "cli",
         _existing_dir({"params.toml": ProblemParams(dim=11).to_toml(), "report.md": "# old\n"}),
         "already holds a different run or other files: choose another --out or pass --overwrite"),
    Case("out-holds-other-files", "cli", _existing_dir({"notes.txt": "mine\n"}), "already holds a different run"),
    Case("out-new-parents-then-refused", "cli", _new_parent_then_budget, "the direct engine needs"),
    # --- library calls
    _api("api-dim-string", lambda: ProblemParams(dim="2000"), "dim='2000': must be an integer"),
    _api("api-dim-bool", lambda: ProblemParams(dim=True), "dim=True: must be an integer"),
    _api("api-rho-none", lambda: ProblemParams(rho=None), "rho=None: must be a real number"),
    _api("api-layout-capitalised", lambda: ProblemParams(layout="Official"),
         "layout='Official': must be one of independent, official"),
    _api("api-unknown-alias", lambda: ProblemParams.from_mapping({"lr": 0.1}), "unknown parameter 'lr'"),
    _api("api-budget-keyword-zero", lambda: check_memory("x", 1, ProblemParams(), budget_gib=0),
         "budget_gib=0: must be a finite number of GiB > 0"),
    Case("api-direct-engine-dim-million", "api", _direct_engine_at_a_million,
         "the direct engine needs about 7.45e+03 GiB for dim=1000000"),
    # --- saved runs read back (the verify command's input, through the library)
    Case("run-dir-truncated-npz", "api", _truncate_npz, "is not a readable .npz archive (truncated or corrupt)"),
    Case("run-dir-newer-schema", "api", _edit_sidecar(_set("schema_version", SCHEMA_VERSION + 1)),
         f"schema_version {SCHEMA_VERSION + 1} is newer than this toolkit reads"),
    Case("run-dir-params-nan", "api", _edit_sidecar(_set_param("rho", float("nan"))), "rho=nan: must be finite"),
    Case("run-dir-unknown-source", "api", _edit_sidecar(_set("source", "magic")), "source='magic': must be one of"),
    Case("run-dir-no-directory", "api", lambda d: (lambda: Trajectory.load(d / "missing")), "not a run directory"),
]

SWEEP_BASE = ("--steps", "2", "--n-test", "3", "--quiet")


def _sweep(name: str, fragment: str, *argv: str) -> Case:
    return Case(name, "cli", lambda d: ["sweep", *argv, *SWEEP_BASE, "--out", str(d / "sw")], fragment,
                needs="sweep")


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
    Case("verify-missing-run-dir", "cli", lambda d: ["verify", str(d / "nothing")], "not a run directory",
         needs="verify"),
    Case("verify-newer-schema", "cli", _verify_run(_sidecar("schema_version", SCHEMA_VERSION + 1)),
         "is newer than this toolkit reads", needs="verify"),
    Case("verify-truncated-npz", "cli",
         _verify_run(lambda run: (run / "trajectory.npz").write_bytes((run / "trajectory.npz").read_bytes()[:300])),
         "(truncated or corrupt)", needs="verify"),
    Case("verify-sidecar-not-json", "cli",
         _verify_run(lambda run: (run / "trajectory.json").write_text("{schema_version: 1")),
         "is not valid JSON", needs="verify"),
    Case("verify-params-label-noise-too-high", "cli",
         _verify_run(lambda run: _sidecar("params", {**json.loads((run / "trajectory.json").read_text())["params"],
                                                      "label_noise": 0.7})(run)),
         "label_noise=0.7: must satisfy", needs="verify"),
    Case("verify-constant-twice", "cli",
         _verify_run(lambda run: None, "--constant", "C_benign=1", "--constant", "C_benign=2"),
         "--constant C_benign given twice", needs="verify"),
    Case("verify-constant-not-a-number", "cli", _verify_run(lambda run: None, "--constant", "C_benign=abc"),
         "abc", needs="verify"),
    # --- benign-attn import-official DIR
    Case("official-missing-dir", "cli", lambda d: ["import-official", str(d / "nothing"), "--quiet"],
         "does not exist: not an official run directory", needs="import_official"),
    Case("official-unknown-config-key", "cli", _official(_OFFICIAL_CONFIG + "warp_drive: 9\n", "{}"),
         "official config has unknown keys ['warp_drive']", needs="import_official"),
    Case("official-config-not-flat-yaml", "cli", _official("- just\n- a list\n", "{}"),
         "is not a 'key: value' line", needs="import_official"),
    Case("official-config-noise-too-high", "cli", _official(_OFFICIAL_CONFIG + "noise_ratio: 0.5\n", "{}"),
         "label_noise=0.5: must satisfy", needs="import_official"),
    Case("official-stats-truncated", "cli",
         _official(None, (OFFICIAL_RUN / "stats_time_step.json").read_bytes()[:5000]),
         "stats_time_step.json' is not valid JSON", needs="import_official"),
    Case("official-stats-too-few-rows", "cli", _official(_OFFICIAL_CONFIG, '{"time_step": {"0": 0}}'),
         "has 1 rows, config says num_steps=2", needs="import_official"),
    # --- benign-attn sweep specifications
    _sweep("sweep-no-axis", "give --grid or at least one --axis"),
    _sweep("sweep-axis-unknown-field", "axis 'eta': must be one of", "--axis", "eta=0.1,0.2"),
    _sweep("sweep-axis-dim-zero", "dim=0: must be >= 2", "--axis", "dim=0,10"),
    _sweep("sweep-axis-reversed-range", "values must be finite numbers as START:STOP:STEP", "--axis", "dim=10:5:1"),
    _sweep("sweep-axis-infinite-range", "values must be finite numbers", "--axis", "signal_norm=1:inf:1"),
    _sweep("sweep-axis-nan-integer", "axis 'dim=nan,3': values must be finite", "--axis", "dim=nan,3"),
    _sweep("sweep-axis-huge-range", "more than 10000 values", "--axis", "dim=2:1e12:1"),
    _sweep("sweep-axis-noise-half", "label_noise=0.5: must satisfy", "--axis", "label_noise=0.1,0.5"),
    _sweep("sweep-seeds-zero", "--seeds 0: must be >= 1", "--axis", "dim=10,20", "--seeds", "0"),
    _sweep("sweep-workers-zero", "workers=0: must be >= 1", "--axis", "dim=10,20", "--workers", "0"),
    _sweep("sweep-chunk-size-negative", "chunk_size=-1: must be >= 1", "--axis", "dim=10,20", "--chunk-size", "-1"),
    _sweep("sweep-scheduler-without-dask", "--scheduler needs --executor dask", "--axis", "dim=10,20",
           "--scheduler", "tcp://127.0.0.1:8786"),
    _sweep("sweep-base-rho-one", "rho=1.0: must satisfy", "--axis", "dim=10,20", "--rho", "1"),
    _sweep_in("sweep-out-holds-another-sweep", "holds a different sweep (sweep.json differs)",
              {"sweep.json": json.dumps({"version": 1, "other": True})}),
    _sweep_in("sweep-out-holds-other-files", "is not empty and holds no sweep.json", {"notes.txt": "mine"}),
    Case("sweep-out-under-a-regular-file", "cli",
         lambda d: (d / "plain.txt").write_text("x") and None or
         ["sweep", "--axis", "dim=10,20", *SWEEP_BASE, "--out", str(d / "plain.txt" / "sw")],
         "which is not a directory", needs="sweep"),
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
        entries[key] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return entries


def _environment(case: Case) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != MEMORY_ENV}
    env.update(PYTHONPATH=str(REPO_ROOT), **dict(case.env))
    return env


def _run_subprocess(case: Case, directory: Path):
    directory.mkdir(parents=True)
    argv = case.setup(directory)
    before = _snapshot(directory)
    result = subprocess.run([sys.executable, "-m", "verify.cli", *argv], capture_output=True, text=True,
                            cwd=directory, env=_environment(case), timeout=120)
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
SUBPROCESS_ROWS = {"dim-zero", "dim-not-an-integer", "dim-huge-data-draw", "memory-budget-not-a-number",
                   "toml-malformed", "init-w-truncated", "out-under-a-regular-file",
                   "out-holds-a-different-run", "out-new-parents-then-refused", "verify-newer-schema",
                   "official-stats-truncated", "sweep-axis-huge-range"}
CLI_CASES = [pytest.param(c, id=c.name, marks=() if c.name in SUBPROCESS_ROWS else pytest.mark.slow)
             for c in CASES if c.kind == "cli"]


@pytest.fixture(scope="module")
def subprocess_results(request, tmp_path_factory):
    """Run the selected rows as processes, two at a time, and keep their results."""
    selected = {item.callspec.id for item in request.session.items
                if item.originalname == "test_bad_input_subprocess"}
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
