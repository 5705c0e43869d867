"""Which exceptions are user errors: ``InputError`` is (one line, exit 2); a plain ``ValueError``
raised inside a command is a bug and keeps its traceback (exit 1)."""

from __future__ import annotations

import pytest

import verify.cli as cli
import verify.commands.predict as predict
from theory.validation import InputError


def _fail_with(exc: Exception):
    def main(args):
        raise exc

    return main


def test_an_internal_value_error_keeps_its_traceback(monkeypatch, capsys):
    monkeypatch.setattr(predict, "main", _fail_with(ValueError("an internal invariant broke")))
    assert cli.main(["predict"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert "ValueError: an internal invariant broke" in err
    assert err.rstrip().splitlines()[-1].startswith("benign-attn predict: internal error: ValueError")


def test_an_input_error_is_one_line_and_exit_2(monkeypatch, capsys):
    monkeypatch.setattr(predict, "main", _fail_with(InputError("dim=1: must be >= 2")))
    assert cli.main(["predict"]) == 2
    assert capsys.readouterr().err == "benign-attn predict: error: dim=1: must be >= 2\n"


def test_bad_parameters_raise_input_error_which_is_a_value_error():
    from theory.params import ProblemParams

    with pytest.raises(InputError, match=r"^dim=1: must be >= 2$"):
        ProblemParams(dim=1)
    assert issubclass(InputError, ValueError)
