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


# ---------------------------------------------------------------------------------------------
# Outputs, bounds and the series round trip (issues 10 and 12)


@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
def test_key_csv_ndjson_and_output(series, tmp_path, fmt):
    ref = json.loads(runner.invoke(app, ["key", str(series), "--format", "json"]).stdout)
    out = tmp_path / f"key.{fmt}"
    res = runner.invoke(app, ["key", str(series), "--format", fmt, "--output", str(out)])
    assert res.exit_code == 0, res.output
    assert res.stdout == ""
    text = out.read_text()
    if fmt == "ndjson":
        (rec,) = [json.loads(line) for line in text.splitlines()]
        assert rec == ref
    else:
        import csv

        (row,) = list(csv.DictReader(text.splitlines()))
        assert float(row["secret_key_bits"]) == pytest.approx(ref["secret_key_bits"], rel=1e-5)


def test_bounds_choices_are_the_protocol_bounds():
    from passplan.cli.key import BoundsChoice
    from passplan.keyrate.protocol import BOUNDS

    assert [b.value for b in BoundsChoice] == list(BOUNDS)


@pytest.mark.parametrize("value", ["1e30", "0", "-5", "nan", "inf"])
def test_pulses_per_s_bounded(series, value):
    res = runner.invoke(app, ["key", str(series), "--pulses-per-s", value])
    assert res.exit_code == 2
    assert "--pulses-per-s" in res.stderr and "pulse rate" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def _write(tmp_path, name, rows):
    p = tmp_path / name
    p.write_text("t_s,eta\n" + "".join(f"{t},{e}\n" for t, e in rows))
    return p


def test_series_spanning_1000_days_or_hour_slots_refused(tmp_path):
    long = _write(tmp_path, "long.csv", [(0, 1e-3), (86400.0 * 1000, 1e-3)])
    res = runner.invoke(app, ["key", str(long)])
    assert res.exit_code == 2 and "span 1000 days" in res.stderr and "long.csv" in res.stderr
    coarse = _write(tmp_path, "coarse.csv", [(k * 7200.0, 1e-3) for k in range(5)])
    res = runner.invoke(app, ["key", str(coarse)])
    assert res.exit_code == 2 and "slots of 7200 s" in res.stderr


def test_coarse_sampling_of_a_pass_warned(tmp_path):
    """A LEO pass sampled every 5 minutes: the channel jumps by orders of magnitude between slots."""
    p = _write(tmp_path, "pass5min.csv", [(0, 1e-6), (300, 1e-3), (600, 2e-6)])
    res = runner.invoke(app, ["key", str(p), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert "passplan: warning:" in res.stderr and "far coarser than the pass" in res.stderr
    # a GEO-like window sampled coarsely but with a steady channel is not warned about
    steady = _write(tmp_path, "geo.csv", [(k * 600.0, 1e-4 * (1 + 0.01 * k)) for k in range(10)])
    res = runner.invoke(app, ["key", str(steady), "--format", "json"])
    assert res.exit_code == 0 and "warning" not in res.stderr


def test_binary_series_names_the_file(tmp_path):
    p = tmp_path / "series.bin"
    p.write_bytes(bytes(range(256)) * 4)
    res = runner.invoke(app, ["key", str(p)])
    assert res.exit_code == 2 and "series.bin" in res.stderr and "not UTF-8" in res.stderr


def test_series_round_trip_equals_the_forecast(tmp_path):
    """Issue 10: ``passplan passes --key --series-dir`` then ``passplan key`` on the written series
    (with the same protocol) gives the forecast's key to 0.1 %: the series' background_prob holds
    the dark counts, so the protocol's extraneous clicks are not added a second time."""
    folder = tmp_path / "series"
    res = runner.invoke(app, ["passes", "--sats", "DEMO-SSO-1", "--station", "xinglong", "--start",
                              "2026-03-20T12:00Z", "--hours", "3", "--key", "--series-dir", str(folder),
                              "--format", "json"])
    assert res.exit_code == 0, res.output
    (forecast,) = [r for r in json.loads(res.stdout) if r.get("secret_key_bits")]
    # the station's micius receiver keys by micius2017, the paper's counting (issue 18)
    assert forecast["protocol"] == "micius2017" and forecast["secret_key_bits"] > 1e4
    (path,) = folder.iterdir()
    res = runner.invoke(app, ["key", str(path), "--protocol", forecast["protocol"], "--format", "json"])
    assert res.exit_code == 0, res.output
    assert "extraneous_click_prob" in res.stderr  # says what it does
    again = json.loads(res.stdout)["secret_key_bits"]
    assert again == pytest.approx(forecast["secret_key_bits"], rel=1e-3)
    # adding the protocol's dark counts again (what `key` did before) loses about 3 % of the key
    from passplan.keyrate import load_protocol, pass_key, read_series

    s = read_series(path)
    doubled = pass_key(s.eta, s.background_prob, s.t_s, load_protocol(forecast["protocol"])).secret_key_bits
    assert doubled < 0.99 * forecast["secret_key_bits"]
