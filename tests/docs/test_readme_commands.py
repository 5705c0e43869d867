"""Every command in README.md, run as a first-time user would: a real process in an empty folder.

- The two set-up commands are exactly the documented ones, ``.ci/run`` runs the same test
  command, and the first one's ``benign-attn run`` writes the run folder the README lists.
  ``pip install`` is not run (the test runs in the installed project), nor is the second
  command's ``python -m pytest``: it is this suite.
- Every ``$ `` line of an example block runs (``benign-attn`` as ``python -m verify.cli`` with
  the repository on PYTHONPATH), commands of one block in one folder and in order. It must
  exit 0, or 1 when the output the README shows reports a failed check ("run exits with status
  1 when a decided check fails"). Where the README shows output, stdout must equal it line by
  line. The one normalisation: durations (a number followed by " s") are compared as "<t> s".
- The "Command line" synopsis is not run: every subcommand, option and choice it lists must
  exist in that subcommand's ``--help`` parser, so the synopsis cannot drift from the CLI.

How these tests were seen to fail, each on a temporarily edited README: ``--layout offical``
in the example (exit 2: the status and output tests fail), the missing "wrote ..." line added
(the strict xfail passes, so it fails and the entry below must go), ``[--colour]`` added to
the ``run`` synopsis, ``reduced|direct|fast`` as ``--engine`` choices, and an extra file in the
run-folder listing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from readme_blocks import REPO_ROOT, argv, blocks, examples, readme_text, synopsis_entries

from verify.cli import build_parser

#: The set-up commands, word for word.
SETUP = ("pip install . && benign-attn run", "pip install '.[test,dask]' && python -m pytest")

#: Commands that take more than ~20 s (the paper grid is 1521 cells, ~45-75 s on 2 cores).
SLOW_COMMANDS = ("benign-attn sweep --grid paper", "benign-attn regime-map")

#: README examples whose shown output does not hold today, with the fix proposed for the README.
#: Strict: once the README holds, the test passes, xfail turns it into a failure, and the entry
#: must go.
README_MISMATCHES: dict[str, str] = {}

DURATION = re.compile(r"\b\d+(\.\d+)? s\b")


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env.pop("BENIGN_ATTN_MEMORY_GIB", None)
    return env


def run_command(command: str, cwd, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        argv(command),
        cwd=cwd,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def normalised(lines) -> list[str]:
    return [DURATION.sub("<t> s", line.rstrip()) for line in lines]


def expected_status(shown) -> int:
    for line in shown:
        match = re.match(r"checks against the theory: \d+ passed, (\d+) failed", line)
        if match and int(match.group(1)) > 0:
            return 1
    return 0


# ---------------------------------------------------------------- set-up


def test_setup_commands_are_the_documented_two():
    setup = [block.lines[0] for block in blocks() if block.kind == "setup"]
    assert tuple(setup) == SETUP
    # Every other block that mentions pip install is an example of something else, never a set-up step.
    assert not [b.line for b in blocks() if b.kind != "setup" and any("pip install" in line for line in b.lines)]


def test_ci_runs_the_readme_test_command():
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    install, test = (part.strip() for part in SETUP[1].split("&&"))
    extras = install.removeprefix("pip install ")
    assert any(line.strip() == f"python -m pip install --quiet {extras} || exit 1" for line in ci)
    assert test in [line.strip() for line in ci]
    assert "python -m pytest -m slow" in [line.strip() for line in ci], "the README says .ci/run runs the slow tests"


def _listed_files(block_lines) -> set[str]:
    files = set()
    for line in block_lines[1:]:
        match = re.match(r"^  (\S+)\s{2,}", line)
        if match:
            stem, _, suffixes = match.group(1).partition(".")
            files.update(f"{stem}.{suffix}" for suffix in suffixes.split("|"))
    return files


def test_setup_run_writes_the_listed_run_folder(tmp_path):
    command = SETUP[0].split("&&")[1].strip()
    result = run_command(command, tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    listing = next(b for b in blocks() if b.lines and re.fullmatch(r"runs/[\w-]+/", b.lines[0]))
    folder = tmp_path / listing.lines[0]
    # The set-up paragraph names the same folder.
    assert f"written to `{listing.lines[0]}`" in readme_text()
    written = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert written == _listed_files(listing.lines)


# ---------------------------------------------------------------- examples


def _example_blocks(check: str):
    grouped: dict[int, list] = {}
    for example in examples():
        grouped.setdefault(example.block, []).append(example)
    params = []
    for line, group in grouped.items():
        marks = [pytest.mark.slow] if any(e.command.startswith(SLOW_COMMANDS) for e in group) else []
        mismatched = [README_MISMATCHES[e.command] for e in group if e.command in README_MISMATCHES]
        if check == "output" and mismatched:
            marks.append(pytest.mark.xfail(strict=True, reason="; ".join(mismatched)))
        params.append(pytest.param(tuple(group), id=f"line{line}", marks=marks))
    return params


_RESULTS: dict[tuple, list] = {}


@pytest.fixture
def ran(tmp_path_factory):
    """Run a block's commands once per session, in order, in one fresh folder."""

    def run_block(group):
        if group not in _RESULTS:
            folder = tmp_path_factory.mktemp("readme-example")
            _RESULTS[group] = [run_command(example.command, folder) for example in group]
        return _RESULTS[group]

    return run_block


def test_readme_has_example_commands():
    assert examples(), "no $ lines found: the runner would test nothing"


@pytest.mark.parametrize("group", _example_blocks("status"))
def test_readme_example_exit_status(group, ran):
    for example, result in zip(group, ran(group)):
        assert result.returncode == expected_status(example.shown), (
            f"{example.command}: exit {result.returncode}\n{result.stderr[-2000:]}"
        )


@pytest.mark.parametrize("group", _example_blocks("output"))
def test_readme_example_output(group, ran):
    for example, result in zip(group, ran(group)):
        assert result.returncode == expected_status(example.shown), example.command
        if example.shown:
            assert normalised(result.stdout.splitlines()) == normalised(example.shown), example.command


def test_known_mismatches_are_still_in_the_readme():
    commands = {example.command for example in examples()}
    assert set(README_MISMATCHES) <= commands


def test_status_rule_reads_failed_checks():
    assert expected_status(["checks against the theory: 2 passed, 1 failed, 3 undetermined — see report.md"]) == 1
    assert expected_status(["checks against the theory: 3 passed, 0 failed, 3 undetermined — see report.md"]) == 0
    assert normalised(["solver: DOP853, 788 evaluations, 0.74 s"]) == ["solver: DOP853, 788 evaluations, <t> s"]


# ---------------------------------------------------------------- synopsis


def _subparsers():
    parser, _ = build_parser()
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return action.choices


def test_synopsis_lists_exactly_the_subcommands():
    assert set(synopsis_entries()) == set(_subparsers())


@pytest.mark.parametrize("name", sorted(synopsis_entries()))
def test_synopsis_matches_help(name):
    parser = _subparsers()[name]
    text = synopsis_entries()[name]
    options = {s: a for a in parser._actions for s in a.option_strings}
    positionals = [a for a in parser._actions if not a.option_strings]
    # "[--out DIR | --overwrite]": a lone "|" separates alternatives, it is not a value.
    words = [w for w in text.replace("[", " ").replace("]", " ").split() if w != "|"]
    for index, word in enumerate(words):
        if word.startswith("--"):
            assert word in options, f"synopsis of {name}: {word} is not an option of benign-attn {name}"
            following = words[index + 1] if index + 1 < len(words) else ""
            choices = options[word].choices
            if "|" in following and choices is not None:
                assert set(following.split("|")) <= set(choices), f"{name} {word}: {following} vs {sorted(choices)}"
        elif "|" in word and not words[index - 1].startswith("--"):
            assert any(a.choices and set(word.split("|")) <= set(a.choices) for a in positionals), (name, word)
        elif word == "params":
            assert "--dim" in options and "--signal-norm" in options, name
        elif re.fullmatch(r"[A-Z_]+", word) and not words[index - 1].startswith("--"):
            assert positionals, f"synopsis of {name}: {word} but benign-attn {name} takes no positional argument"
    assert parser.format_help()  # what `benign-attn NAME --help` prints


def test_every_params_option_the_readme_names_exists():
    match = re.search(r"Every `ProblemParams` field is an option \(([^)]*)\)", readme_text())
    assert match, "the sentence listing the parameter options is gone"
    listed = re.findall(r"--[a-z-]+", match.group(1))
    run_options = {s for a in _subparsers()["run"]._actions for s in a.option_strings}
    assert listed and set(listed) <= run_options


def test_benign_attn_help_runs_as_a_process():
    result = subprocess.run(
        [sys.executable, "-m", "verify.cli", "--help"],
        cwd=REPO_ROOT,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    for name in synopsis_entries():
        assert name in result.stdout
