"""``passplan next --key --spread``: the same forecast hook as ``passes --key --spread``."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from passplan.cli import app

runner = CliRunner()
WHERE = ["--station", "xinglong", "--start", "2016-12-19T16:00Z", "--allow-stale", "--key"]


def test_next_spread_is_the_passes_spread_of_the_same_pass() -> None:
    res = runner.invoke(app, ["next", "micius", *WHERE, "--spread", "--format", "json"])
    assert res.exit_code == 0, res.output
    rec = json.loads(res.stdout)
    sp = rec["spread"]
    assert sp["draws"] == 200 and sp["seed"] == 0 and sp["p10_bits"] <= sp["p50_bits"] <= sp["p90_bits"]
    listed = runner.invoke(app, ["passes", "--sats", "micius", *WHERE, "--hours", "2", "--spread", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    (same,) = [r for r in json.loads(listed.stdout) if r["uid"] == rec["uid"]]
    assert same["spread"] == sp
    plain = runner.invoke(app, ["next", "micius", *WHERE, "--format", "json"])
    assert "spread" not in json.loads(plain.stdout)


def test_next_spread_needs_key() -> None:
    res = runner.invoke(app, ["next", "micius", *WHERE[:-1], "--spread"])
    assert res.exit_code == 2 and "--spread goes with --key" in res.output and "Traceback" not in res.output
