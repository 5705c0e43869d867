"""Constants files: read by predict and verify, refused with one line when malformed."""

from __future__ import annotations

import json

import pytest

from verify.cli import main as cli_main
from verify.constants_file import load_constants, merge_constants


def write(tmp_path, content) -> str:
    path = tmp_path / "constants.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_predict_decides_the_regime_with_a_constants_file(tmp_path, capsys):
    path = write(tmp_path, {"constants": {"C_harm": 0.5, "C_benign": 8.0, "C_clean": 8.0}, "intervals": {}})
    assert cli_main(["predict", "--constants", path]) == 0
    assert "regime: benign" in capsys.readouterr().out  # n SNR^2 = 4 <= 8 at the paper's default
    assert cli_main(["predict", "--constants", path, "--constant", "C_harm=1"]) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "is not valid JSON"),
        ({"C_harm": 1.0}, "must hold an object with a 'constants' object"),
        ({"constants": {"C_warp": 1.0}}, "unknown constant 'C_warp'"),
        ({"constants": {"C_harm": -1.0}}, "must be a finite number > 0"),
        ({"constants": {"C_harm": "1"}}, "must be a finite number > 0"),
    ],
)
def test_malformed_constants_files_are_refused(tmp_path, content, message):
    with pytest.raises(ValueError, match=message):
        load_constants(write(tmp_path, content))


def test_missing_file_and_doubly_given_constants_are_refused(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_constants(tmp_path / "nothing.json")
    with pytest.raises(ValueError, match="given both"):
        merge_constants({"C_harm": "1"}, {"C_harm": "2"})
