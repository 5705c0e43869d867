"""``benign-attn predict`` and ``benign-attn derive`` through their command modules."""

from __future__ import annotations

import argparse
import json

import pytest

import derivations
from verify.commands import derive, predict


def run(module, argv, capsys):
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    code = module.main(parser.parse_args(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("dim,norm,stated", [("2000", "20", 4.0), ("4500", "5", 1 / 9), ("1000", "80", 128.0)])
def test_predict_json_on_paper_settings(dim, norm, stated, capsys):
    code, out, err = run(predict, ["--dim", dim, "--signal-norm", norm, "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["n_snr_squared"] == pytest.approx(stated, rel=1e-15)
    assert data["regime"] == "undetermined"
    assert data["missing_constants"] == ["C_benign", "C_clean", "C_harm"]
    names = [m["condition"] for m in data["margins"]]
    assert {"v1_A1_signal", "v1_A1_dimension", "v1_A2"} <= set(names)
    assert "warning: v1_A1_dimension fails" in err


def test_predict_text_shows_regime_and_margins(capsys):
    code, out, _ = run(
        predict, ["--constant", "C_benign=5", "--constant", "C_clean=20", "--constant", "C_harm=5/2"], capsys
    )
    assert code == 0
    assert out.splitlines()[0] == "regime: benign"
    assert "n*SNR^2 = 4" in out
    assert "v1_A2            fails" in out


def test_predict_text_names_missing_constants(capsys):
    _, out, _ = run(predict, ["--dim", "1000", "--signal-norm", "80"], capsys)
    assert out.splitlines()[0] == "regime: undetermined (missing constants: C_benign, C_clean, C_harm)"
    assert "n*SNR^2 = 128" in out


@pytest.mark.parametrize(
    "argv,match",
    [
        (["--constant", "C_benign=__import__('os').getcwd()"], "must be a decimal"),
        (["--constant", "C_nope=1"], "unknown name 'C_nope'"),
        (["--constant", "C_harm=1", "--constant", "C_harm=2"], "given twice"),
        (["--input", "failure_prob=2"], "0 < failure_prob < 1"),
    ],
)
def test_predict_rejects_bad_constants(argv, match, capsys):
    with pytest.raises(ValueError, match=match):
        run(predict, argv, capsys)


def test_predict_reads_a_config_file(tmp_path, capsys):
    config = tmp_path / "p.toml"
    config.write_text("embed_dim = 4500\nsignal_norm = 5.0\n", encoding="utf-8")
    _, out, _ = run(predict, ["--config", str(config), "--json"], capsys)
    assert json.loads(out)["params"]["dim"] == 4500


def test_derive_prints_the_snapshot(capsys):
    code, out, _ = run(derive, ["p_only_flow"], capsys)
    assert code == 0
    assert out == (derivations.GENERATED / "p_only_flow.md").read_text(encoding="utf-8") + "\n"


def test_derive_lists_and_rejects_unknown_names(capsys):
    _, out, _ = run(derive, ["--list"], capsys)
    assert [line.split(":")[0] for line in out.splitlines()] == list(derivations.NAMES)
    with pytest.raises(SystemExit):
        run(derive, ["nope"], capsys)


def test_commands_plug_into_the_cli_core(monkeypatch, capsys):
    import verify.cli

    monkeypatch.setattr(verify.cli, "COMMANDS", ("predict", "derive"))
    assert verify.cli.main(["predict", "--dim", "4500", "--signal-norm", "5", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n_snr_squared"] == pytest.approx(1 / 9)
    # A rejected constant is a user error: one line on stderr and exit status 2.
    assert verify.cli.main(["predict", "--constant", "C_harm=exp(1)"]) == 2
    assert "must be a decimal" in capsys.readouterr().err
    assert verify.cli.main(["derive", "--list"]) == 0


def test_derive_writes_snapshots_only_where_asked_and_says_what_runs(tmp_path, capsys):
    import verify.cli

    assert verify.cli.main(["derive", "plateaus", "--out", str(tmp_path / "snap")]) == 0
    captured = capsys.readouterr()
    assert "derive: plateaus" in captured.err and captured.out.strip()
    assert sorted(p.name for p in (tmp_path / "snap").iterdir()) == ["plateaus.md", "plateaus.tex"]
    assert (tmp_path / "snap" / "plateaus.tex").read_text().startswith("\\documentclass")
