"""The ``passplan key`` command: JSON keys, table output, exit code 2 on bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from passplan.cli import app

runner = CliRunner()
KEYS = {"secret_key_bits", "key_window_s", "n_x", "qber_x", "phase_error_x", "s_x0", "s_x1",
        "lambda_ec", "p_x", "intensities", "probabilities", "limiting"}


@pytest.fixture()
def series(tmp_path):
    t = np.arange(-200, 201)
    eta = 4e-3 * (500 / np.sqrt(500**2 + (7.6 * t) ** 2)) ** 2
    p = tmp_path / "SERIES.csv"
    p.write_text("t_s,eta,background_prob\n" + "".join(f"{a},{b:.6e},1e-7\n" for a, b in zip(t, eta, strict=True)))
    return p


def test_key_json(series):
    res = runner.invoke(app, ["key", str(series), "--format", "json"])
    assert res.exit_code == 0, res.output
    rec = json.loads(res.stdout)
    assert KEYS <= set(rec)
    assert rec["secret_key_bits"] > 0 and rec["limiting"] is None


@pytest.mark.parametrize("args", [["--decoys", "1"], ["--bounds", "hoeffding"],
                                  ["--fixed-params"], ["--pulses-per-s", "5e8"],
                                  ["--protocol", "micius"]])
def test_key_options(series, args):
    res = runner.invoke(app, ["key", str(series), "--format", "json", *args])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["secret_key_bits"] >= 0


def test_key_table(series):
    res = runner.invoke(app, ["key", str(series)])
    assert res.exit_code == 0 and "secret_key_bits" in res.stdout


def test_zero_key_reports_reason(series, tmp_path):
    res = runner.invoke(app, ["key", str(series), "--format", "json", "--pulses-per-s", "1e4"])
    rec = json.loads(res.stdout)
    assert rec["secret_key_bits"] == 0 and rec["limiting"]


@pytest.mark.parametrize("text,needle", [
    ("t_s,eta\n0,1.5\n", "column 'eta'"),
    ("t_s,eta\n0,nan\n", "column 'eta'"),
    ("time,eta\n0,0.1\n", "missing column 't_s'"),
])
def test_bad_series_exit_2(tmp_path, text, needle):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    res = runner.invoke(app, ["key", str(p)])
    assert res.exit_code == 2
    assert needle in res.stderr and "Traceback" not in res.output


@pytest.mark.parametrize("text,needle", [
    ("probabilities = [0.5, 0.3, 0.3]\n", "probabilities"),
    ("eps_sec = 2.0\n", "eps_sec"),
    ("intensities = [0.1, 0.5, 0.0]\n", "intensities"),
    ("pulse_per_s = 1e8\n", "pulses_per_s"),
])
def test_bad_protocol_exit_2(series, tmp_path, text, needle):
    p = tmp_path / "proto.toml"
    p.write_text(text)
    res = runner.invoke(app, ["key", str(series), "--protocol", str(p)])
    assert res.exit_code == 2
    assert needle in res.stderr and "proto" in res.stderr


def test_bad_decoys_exit_2(series):
    res = runner.invoke(app, ["key", str(series), "--decoys", "3"])
    assert res.exit_code == 2 and "--decoys" in res.stderr
