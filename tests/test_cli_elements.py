"""``passplan elements list|show|update``: output, formats and one-line errors with exit code 2."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import passplan.fetch
from passplan.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def datadir(tmp_path, monkeypatch):
    d = tmp_path / "userdata"
    monkeypatch.setenv("PASSPLAN_DATA_DIR", str(d))
    return d


def run(*args: str):
    return runner.invoke(app, list(args))


def test_list_table_and_json():
    r = run("elements", "list", "--at", "2023-11-20T00:00:00Z")
    assert r.exit_code == 0, r.output
    assert "QSS (MOZI)" in r.stdout and "DEMO-GEO-105E" in r.stdout and "bundled:micius" in r.stdout
    r = run("elements", "list", "--at", "2023-11-20T00:00:00Z", "--nearest", "--format", "json")
    recs = json.loads(r.stdout)
    micius = [x for x in recs if x["norad_id"] == 41731]
    assert len(micius) == 1 and micius[0]["epoch_utc"].startswith("2023-11-19T19:32:54")
    assert micius[0]["age_days"] == pytest.approx(0.1855, abs=1e-3)


def test_show_details():
    r = run("elements", "show", "micius", "--at", "2016-12-19T16:40:00Z")
    assert r.exit_code == 0, r.output
    for text in ("QSS (MOZI)", "41731", "2016-12-19T13:39:33", "97.3698 deg", "mean altitude",
                 "period", "1 41731U 16051A   16354.56913372"):
        assert text in r.stdout
    r = run("elements", "show", "demo-sso-1", "--format", "json", "--at", "2030-01-01T00:00:00Z")
    (rec,) = json.loads(r.stdout)
    assert rec["designed"] and rec["mean_altitude_km"] == pytest.approx(500, abs=0.01)
    assert rec["inclination_deg"] == pytest.approx(97.40, abs=0.02)
    assert rec["period_min"] == pytest.approx(94.62, abs=0.01)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("elements", "show", "micus"), "did you mean 'micius'"),
        (("elements", "show", "micius", "--at", "2016-12-19T16:40:00"), "no time zone"),
        (("elements", "list", "--at", "yesterday"), "not an ISO-8601 time"),
        (("elements", "show", "no/such/file.tle"), "does not exist"),
        (("elements", "update"), "nothing to fetch"),
        (("elements", "update", "--norad", "1", "--url-base", "ftp://x"), "http"),
    ],
)
def test_errors_are_one_line_exit_2(args, words):
    r = run(*args)
    assert r.exit_code == 2
    assert words in r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("passplan: error:")
    assert "Traceback" not in r.output and r.stdout == ""


def test_show_bad_file_names_line(tmp_path):
    p = tmp_path / "bad.tle"
    p.write_text("X\n1 41731U 16051A   16354.56913372  .00000384  00000-0  18801-4 0  9990\n"
                 "2 41731  97.3698 268.1064 0013349 175.8929 309.0190 15.23916091 19164\n")
    r = run("elements", "show", str(p))
    assert r.exit_code == 2 and f"{p}:2" in r.stderr and "checksum" in r.stderr


GP_ANSWER = json.dumps([{
    "OBJECT_NAME": "QSS (MOZI)", "OBJECT_ID": "2016-051A", "EPOCH": "2026-11-20T00:00:00",
    "MEAN_MOTION": 15.65065301, "ECCENTRICITY": 0.0001935, "INCLINATION": 97.2938,
    "RA_OF_ASC_NODE": 199.3598, "ARG_OF_PERICENTER": 298.8975, "MEAN_ANOMALY": 61.2091,
    "NORAD_CAT_ID": 41731, "BSTAR": 0.0010961, "MEAN_MOTION_DOT": 0.00108869,
    "MEAN_MOTION_DDOT": 0,
}])


def test_update_then_list(monkeypatch, datadir):
    """CLI wiring of `elements update` (the HTTP side is in test_fetch.py, on a local server)."""
    urls = []

    def fake_download(url: str, timeout: float) -> str:
        urls.append(url)
        return GP_ANSWER if "CATNR=41731" in url else "No GP data found"

    monkeypatch.setattr(passplan.fetch, "_download", fake_download)
    r = run("elements", "update", "--norad", "41731", "--url-base", "http://127.0.0.1:9")
    assert r.exit_code == 0, r.output
    assert urls == ["http://127.0.0.1:9/NORAD/elements/gp.php?CATNR=41731&FORMAT=json"]
    assert "catnr-41731.json" in r.stdout
    assert "saved 1 element sets for CATNR=41731" in r.stderr
    r = run("elements", "list", "--at", "2026-11-21T00:00:00Z", "--nearest", "--format", "csv")
    line = [x for x in r.stdout.splitlines() if x.startswith("QSS (MOZI)")][0]
    assert "2026-11-20T00:00:00" in line and str(datadir) in line
    r = run("elements", "update", "--norad", "99999")
    assert r.exit_code == 2 and "no GP data for CATNR=99999" in r.stderr


def test_show_group_shows_every_member_and_says_so():
    r = run("elements", "show", "demo", "--at", "2026-03-20T00:00:00Z", "--format", "json")
    assert r.exit_code == 0, r.output
    recs = json.loads(r.stdout)
    assert len(recs) == 8 and len({x["name"] for x in recs}) == 8
    assert "demo: 8 satellites" in r.stderr


@pytest.mark.parametrize("value", ["2016-12-19T16:40:00", "2016-12-19 16:40"])
def test_at_follows_the_one_time_rule(value):
    """A time without a zone is refused by --at exactly as by passes --start (passplan.times.parse_time)."""
    show = run("elements", "show", "micius", "--at", value)
    passes = run("passes", "--sats", "micius", "--start", value, "--hours", "1")
    assert show.exit_code == passes.exit_code == 2
    assert "no time zone" in show.stderr and "no time zone" in passes.stderr
    assert show.stderr.replace("--at", "--start") == passes.stderr
