"""``benign-attn --help`` and argument errors import no heavy library and no other command.

Checked in a fresh interpreter through ``sys.modules`` (not by timing): registering the commands
must stay cheap, so a typo costs a bare Python start, not seconds of SymPy, SciPy and matplotlib.
The commands whose options read defaults from the engines (flow, sweep, verify, figure) import
them when chosen and are not listed here.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("numpy", "sympy", "scipy", "matplotlib")

PROBE = """
import json, sys
from verify.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps({"heavy": [m for m in HEAVY if m in sys.modules],
                  "commands": sorted(m for m in sys.modules if m.startswith("verify.commands."))}))
""".replace("HEAVY", repr(HEAVY))


def _imports(*argv: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("argv", [("--help",), ("no-such-command",), ()])
def test_top_level_help_and_errors_import_no_command(argv):
    assert _imports(*argv) == {"heavy": [], "commands": []}


@pytest.mark.parametrize(
    "command,argv",
    [
        ("run", ("run", "--no-such-option")),
        ("run", ("run", "--help")),
        ("run", ("run", "--dim", "many")),
        ("predict", ("predict", "--layout", "nope")),
        ("predict", ("predict", "--help")),
        ("existence", ("existence", "--lambda", "x")),
        ("import_official", ("import-official",)),
        ("derive", ("derive", "no-such-derivation")),
        ("regime_map", ("regime-map", "--bootstrap", "x")),
    ],
)
def test_argument_errors_import_only_their_command(command, argv):
    imported = _imports(*argv)
    assert imported["heavy"] == []
    # params_options is the shared option table, not a command.
    assert set(imported["commands"]) - {"verify.commands.params_options"} == {f"verify.commands.{command}"}


def test_the_probe_sees_heavy_imports():
    """The check can fail: a command that runs imports what it needs."""
    assert "sympy" in _imports("predict", "--dim", "4500", "--signal-norm", "5")["heavy"]


def test_importing_the_packages_is_cheap():
    """The packages re-export their API lazily: importing them loads no heavy library."""
    code = f"import json, sys, theory, numerics, verify; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert json.loads(done.stdout) == []
    code = "import sys, numerics; numerics.reduced; print('numpy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "True"
