"""The Python API's examples run: the doctests in the public modules' docstrings, and the
``python`` blocks of README.md's "Python API" section (in order, in one namespace, run in a
temporary folder so that nothing they might write lands in the repository)."""

from __future__ import annotations

import doctest
import importlib
import re
import warnings

import pytest
from readme_blocks import README

#: Modules whose docstrings carry the API's examples.
API_MODULES = ("theory", "numerics", "verify", "verify.simulation", "verify.reporting.report", "verify.plots")
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _run(test: doctest.DocTest) -> doctest.TestResults:
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    with warnings.catch_warnings():
        # predict() warns when a setting lies outside the v1 hypotheses: expected in examples.
        warnings.simplefilter("ignore", UserWarning)
        runner.run(test)
    return runner.summarize(verbose=False)


@pytest.mark.parametrize("name", API_MODULES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(name)
    tests = [t for t in doctest.DocTestFinder().find(module, module.__name__) if t.examples]
    assert tests, f"{name} has no examples"
    for test in tests:
        assert _run(test).failed == 0, f"{test.name} failed (output above)"


def readme_python_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return [block for block in re.findall(r"```python\n(.*?)```", text, flags=re.S) if ">>> " in block]


def test_readme_python_api_examples(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = readme_python_blocks()
    assert blocks, "README.md has no python example"
    parser = doctest.DocTestParser()
    test = parser.get_doctest("\n".join(blocks), {}, "README.md", str(README), 0)
    results = _run(test)
    assert results.attempted >= 5 and results.failed == 0
