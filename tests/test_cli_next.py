"""``passplan next``: the next usable pass, as one table row or one JSON object."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from passplan.cli import app


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_next_micius_pass_is_the_one_passes_finds() -> None:
    base = ["--station", "xinglong", "--start", "2016-12-19T12:00Z", "--allow-stale"]
    r = run("next", "micius", *base, "--format", "json")
    assert r.exit_code == 0, r.output
    rec = json.loads(r.stdout)
    assert isinstance(rec, dict) and rec["tca_utc"].startswith("2016-12-19T16:52:1")
    listed = json.loads(run("passes", "--sats", "micius", *base, "--hours", "12", "--format", "json").stdout)
    assert rec == listed[0]  # the record keys and values of `passes`
    table = run("next", "micius", *base)
    assert table.exit_code == 0 and len([ln for ln in table.stdout.splitlines() if ln.startswith("xinglong")]) == 1


def test_next_applies_constraints_and_filters() -> None:
    base = ["next", "demo", "--station", "graz", "--start", "2026-11-23T00:00Z", "--format", "json"]
    first = json.loads(run(*base).stdout)
    dark_high = json.loads(run(*base, "--night", "nautical", "--min-max-el", "40", "--min-duration", "300").stdout)
    assert dark_high["aos_utc"] > first["aos_utc"]
    assert dark_high["station_dark"] and dark_high["max_el_deg"] >= 40 and dark_high["duration_s"] >= 300


def test_next_with_key() -> None:
    r = run("next", "micius", "--station", "xinglong", "--start", "2016-12-19T12:00Z", "--allow-stale", "--key",
            "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["secret_key_bits"] > 0


def test_no_pass_within_the_bound_is_a_clear_message_and_exit_1() -> None:
    r = run("next", "micius", "--station", "xinglong", "--start", "2016-12-19T12:00Z", "--allow-stale",
            "--min-max-el", "89.99", "--within-days", "1", "--format", "json")
    assert r.exit_code == 1 and r.stdout == ""
    assert "no usable pass" in r.stderr and "--within-days" in r.stderr and "Traceback" not in r.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--within-days", "inf"], "--within-days inf"),
        (["--within-days", "0"], "positive"),
        (["--protocol", "nosuch", "--key"], "protocol"),
        (["--tz", "Nowhere/Else"], "time zone"),
    ],
)
def test_next_bad_input_is_one_line_exit_2(args: list[str], message: str) -> None:
    r = run("next", "demo", "--station", "graz", "--start", "2026-11-23T00:00Z", *args)
    assert r.exit_code == 2, r.output
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_a_propagation_warning_is_said_once_across_the_growing_windows() -> None:
    """The bundled Micius elements (2025) have decayed by late 2026: SGP4 fails in every search
    window, and the user reads the warning once, then the no-pass message (exit 1)."""
    res = run("next", "micius", "--station", "xinglong", "--start", "2026-11-23T00:00Z", "--allow-stale", "--within-days", "40")
    assert res.exit_code == 1, res.stderr
    assert res.stderr.count("SGP4 cannot propagate") == 1
    assert "no usable pass" in res.stderr
