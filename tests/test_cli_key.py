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


@pytest.fixture()
def key_baseline(series):
    """``passplan key SERIES --format json`` with the built-in protocol: optimised two-decoy
    BB84 with Chernoff bounds at 1e8 pulses/s."""
    res = runner.invoke(app, ["key", str(series), "--format", "json"])
    assert res.exit_code == 0, res.output
    base = json.loads(res.stdout)
    assert base["secret_key_bits"] > 0 and base["optimised"] is True
    assert (base["decoys"], base["bounds"], len(base["intensities"])) == (2, "chernoff", 3)
    assert base["pulses"] == pytest.approx(1e8 * base["key_window_s"])
    return base


@pytest.mark.parametrize("args", [["--decoys", "1"], ["--bounds", "hoeffding"],
                                  ["--fixed-params"], ["--pulses-per-s", "5e8"],
                                  ["--protocol", "micius"]])
def test_key_options(series, key_baseline, args):
    """Each option changes what it names, and only that, against the default run."""
    from passplan.keyrate import Protocol

    res = runner.invoke(app, ["key", str(series), "--format", "json", *args])
    assert res.exit_code == 0, res.output
    rec, base = json.loads(res.stdout), key_baseline
    n_rows = len(series.read_text().splitlines()) - 1
    assert rec["secret_key_bits"] > 0 and rec["limiting"] is None
    assert rec["secret_key_bits"] != base["secret_key_bits"]
    assert sum(rec["probabilities"]) == pytest.approx(1.0)
    changed: set[str] = set()
    if args[0] == "--decoys":
        # one decoy (Rusca 2018): signal and decoy only, no vacuum state
        changed = {"decoys"}
        assert rec["decoys"] == 1
        assert len(rec["intensities"]) == len(rec["probabilities"]) == 2
        assert rec["intensities"][0] > rec["intensities"][1] > 0.0
    elif args[0] == "--bounds":
        # Hoeffding's deviation ignores the mean; Chernoff's is tighter for these small counts
        changed = {"bounds"}
        assert rec["bounds"] == "hoeffding"
        assert rec["secret_key_bits"] < base["secret_key_bits"]
    elif args[0] == "--fixed-params":
        # the protocol's own parameters and every slot; the optimiser can only do better
        changed = {"optimised"}
        pr = Protocol()
        assert rec["optimised"] is False
        assert rec["p_x"] == pr.p_x
        assert rec["intensities"] == list(pr.intensities)
        assert rec["probabilities"] == list(pr.probabilities)
        assert rec["n_slots"] == n_rows
        assert (rec["window_start_s"], rec["window_end_s"]) == (-200.0, 201.0)
        assert rec["secret_key_bits"] < base["secret_key_bits"]
    elif args[0] == "--pulses-per-s":
        # five times the pulses over the same transmittance: more key
        assert rec["pulses"] == pytest.approx(5e8 * rec["key_window_s"])
        assert rec["secret_key_bits"] > base["secret_key_bits"]
    elif args[0] == "--protocol":
        # the bundled micius protocol: the flown settings of Liao et al. 2017 (100 MHz source,
        # mean photon numbers 0.8/0.1/0, sent with probabilities 0.5/0.25/0.25), not optimised
        changed = {"optimised"}
        assert rec["optimised"] is False
        assert rec["intensities"] == [0.8, 0.1, 0.0]
        assert rec["probabilities"] == [0.5, 0.25, 0.25]
        assert rec["pulses"] == pytest.approx(1e8 * rec["key_window_s"])
        assert rec["n_slots"] == n_rows
    else:
        pytest.fail(f"no expectation written for {args}")
    for key in {"decoys", "bounds", "optimised", "error_model", "ec_method", "sampled"} - changed:
        assert rec[key] == base[key], key


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
