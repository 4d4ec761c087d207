"""``passplan schedule``, ``relay`` and ``network``: the JSON contracts, the exports, the
independent check of every printed plan, and bad input."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from passplan.cli import app

runner = CliRunner()
WINDOW = ["--start", "2026-12-02T10:00Z", "--hours", "14", "--night", "station"]


def run(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture(scope="module")
def schedule_json() -> dict:
    r = run("schedule", "--sats", "demo", "--station", "xinglong", "--station", "nanshan", *WINDOW,
            "--demand", "xinglong:nanshan=1e5", "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_schedule_json_contract(schedule_json) -> None:
    doc = schedule_json
    assert {"links", "unscheduled", "totals", "solver", "baselines"} <= set(doc)
    assert doc["links"], "the demo fleet gives links at two stations"
    for ln in doc["links"]:
        assert {"station", "satellite", "pass_uid", "start_utc", "end_utc", "key_bits", "expected_key_bits", "handover"} <= set(ln)
    for un in doc["unscheduled"]:
        assert un["reason"]
    assert set(doc["totals"]) == {"per_station", "per_pair"}
    assert {"method", "status", "objective", "dual_bound", "gap", "seconds"} <= set(doc["solver"])
    assert [b["method"] for b in doc["baselines"]] == ["greedy-priority", "greedy-density"]
    assert all(doc["solver"]["objective"] >= b["objective"] * (1 - 1e-9) for b in doc["baselines"])
    assert doc["demands"][0]["demand"] == "xinglong:nanshan"


def test_schedule_links_pass_the_independent_checker(schedule_json) -> None:
    from datetime import datetime

    from passplan.schedule import Candidate, Resources, violations

    links = [
        Candidate(
            uid=f"{ln['pass_uid']}#{k}", pass_uid=ln["pass_uid"], station=ln["station"], satellite=ln["satellite"],
            start=datetime.fromisoformat(ln["start_utc"].replace("Z", "+00:00")),
            end=datetime.fromisoformat(ln["end_utc"].replace("Z", "+00:00")), key_bits=ln["key_bits"],
        )
        for k, ln in enumerate(schedule_json["links"])
    ]
    assert violations(links, Resources()) == []


def test_schedule_csv_ndjson_ics_and_plot(tmp_path: Path) -> None:
    from icalendar import Calendar

    base = ["schedule", "--sats", "demo", "--station", "xinglong", *WINDOW, "--no-handover"]
    csv = run(*base, "--format", "csv")
    nd = run(*base, "--format", "ndjson")
    assert csv.exit_code == nd.exit_code == 0
    assert csv.stdout.splitlines()[0].startswith("station,satellite,pass_uid,start_utc,end_utc")
    assert len(csv.stdout.strip().splitlines()) - 1 == len(nd.stdout.strip().splitlines())
    ics = tmp_path / "plan.ics"
    png = tmp_path / "plan.png"
    r = run(*base, "--format", "ics", "--creation-date", "2026-12-01T00:00Z", "--output", str(ics), "--plot", str(png))
    assert r.exit_code == 0, r.output
    cal = Calendar.from_ical(ics.read_text())
    assert len(cal.walk("VEVENT")) == len(nd.stdout.strip().splitlines())
    again = tmp_path / "again.ics"
    run(*base, "--format", "ics", "--creation-date", "2026-12-01T00:00Z", "--output", str(again))
    assert again.read_text() == ics.read_text()  # stable UIDs and DTSTAMP: same file
    assert png.read_bytes().startswith(b"\x89PNG")


def test_relay_json_contract() -> None:
    r = run("relay", "xinglong", "nanshan", "--sats", "demo", *WINDOW, "--demand", "1e4", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert {"pair", "satellites", "relayed_bits", "pool_bits", "timeline", "demand_met_utc"} <= set(doc)
    assert doc["pair"] == ["xinglong", "nanshan"]
    assert doc["relayed_bits"] <= min(doc["pool_bits"].values()) + 1e-6
    assert all({"t_utc", "relayed_bits"} <= set(t) for t in doc["timeline"])


def test_network_json_contract(tmp_path: Path) -> None:
    r = run("network", "china-integrated", "--from", "nanshan", "--to", "shanghai", "--sats", "demo", *WINDOW,
            "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert {"key_bits", "paths", "bottlenecks"} <= set(doc)
    assert doc["key_bits"] == pytest.approx(sum(p["key_bits"] for p in doc["paths"]), rel=1e-6)
    assert all(p["nodes"][0] == "nanshan" and p["nodes"][-1] == "shanghai" for p in doc["paths"])


@pytest.mark.parametrize(
    "args, needle",
    [
        (["schedule", "--sats", "demo", "--station", "xinglong", "--demand", "nowhere=1e5", *WINDOW], "nowhere"),
        (["schedule", "--sats", "demo", "--station", "xinglong", "--demand", "xinglong=-5", *WINDOW], "positive number of bits"),
        (["schedule", "--sats", "demo", "--station", "xinglong", "--demand", "xinglong=lots", *WINDOW], "not a number"),
        (["schedule", "--sats", "demo", "--station", "xinglong", "--time-limit-s", "0", *WINDOW], "time-limit"),
        (["schedule", "--sats", "demo", "--station", "xinglong", "--plot", "x.jpg", *WINDOW], "suffix"),
        (["schedule", "--sats", "demo", "--station", "nosuch", *WINDOW], "nosuch"),
        (["relay", "xinglong", "xinglong", "--sats", "demo", *WINDOW], "two different"),
        (["relay", "xinglong", "atlantis", "--sats", "demo", *WINDOW], "atlantis"),
        (["network", "china-integrated", "--from", "nanshan", "--to", "moon", *WINDOW], "moon"),
        (["network", "nonexistent.toml", "--from", "a", "--to", "b", *WINDOW], "does not exist"),
    ],
)
def test_bad_input_one_line_exit_2(args, needle) -> None:
    r = run(*args)
    assert r.exit_code == 2, r.output
    assert needle in r.output and "Traceback" not in r.output


def test_station_with_zero_telescopes_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "st.toml"
    f.write_text("[stations.xinglong]\ntelescopes = 0\n")
    r = run("schedule", "--sats", "demo", "--stations", str(f), "--station", "xinglong", *WINDOW)
    assert r.exit_code == 2 and "telescopes = 0" in r.output


def test_unwritable_output_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "missing" / "plan.json"
    r = run("schedule", "--sats", "demo", "--station", "xinglong", *WINDOW, "--format", "json", "--output", str(out))
    assert r.exit_code == 2 and not out.exists()


def test_tonight_sky_chart_and_pass_calendar(tmp_path: Path) -> None:
    from icalendar import Calendar

    sky = tmp_path / "sky.svg"
    r = run("tonight", "xinglong", "--date", "2026-12-02", "--plot", str(sky), "--format", "json")
    assert r.exit_code == 0, r.output
    passes = json.loads(r.stdout)
    assert sky.read_bytes().startswith(b"<?xml") and b"forecast key rate" in sky.read_bytes()
    ics = run("tonight", "xinglong", "--date", "2026-12-02", "--format", "ics", "--creation-date", "2026-12-01T00:00Z")
    assert ics.exit_code == 0, ics.output
    events = Calendar.from_ical(ics.stdout).walk("VEVENT")
    assert len(events) == len(passes)
    assert {str(e["description"]).split("pass uid: ")[1] for e in events} == {p["uid"] for p in passes}
    bad = run("tonight", "xinglong", "--date", "2026-12-02", "--plot", str(tmp_path / "sky.bmp"))
    assert bad.exit_code == 2 and "suffix" in bad.output


def test_progress_bar_draws_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import io
    import sys

    from passplan.cli.common import progress_bar

    with progress_bar("work") as tick:  # pytest's stderr is not a terminal: silent
        tick(1, 2, "half")
    assert capsys.readouterr().err == ""

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    fake = Tty()
    monkeypatch.setattr(sys, "stderr", fake)
    with progress_bar("work") as tick:
        for k in range(3):
            tick(k + 1, 3, "step")
    assert "work" in fake.getvalue()


def test_schedule_weather_spread_centres_on_the_expected_key() -> None:
    r = run("schedule", "--sats", "demo", "--station", "xinglong", "--station", "nanshan", *WINDOW, "--no-handover",
            "--weather-trials", "3000", "--seed", "7", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    w = doc["weather"]
    assert abs(w["mean_bits"] - doc["expected_key_bits"]) < 4 * w["std_bits"] / 3000**0.5 + 1.0
    assert w["p05_bits"] <= w["p50_bits"] <= w["p95_bits"] <= w["forecast_bits"]
    again = json.loads(run("schedule", "--sats", "demo", "--station", "xinglong", "--station", "nanshan", *WINDOW,
                           "--no-handover", "--weather-trials", "3000", "--seed", "7", "--format", "json").stdout)
    assert again["weather"] == w


# ---- the library documents behind each command ---------------------------------------------

START = "2026-12-02T10:00Z"


@pytest.fixture(scope="module")
def demo():
    from datetime import timedelta

    from passplan import Constraints, resolve_satellites, select_stations
    from passplan.times import parse_time

    t0 = parse_time(START, "start")
    sats = resolve_satellites(["demo"], t0).satellites
    return sats, select_stations(["xinglong", "nanshan"]), t0, t0 + timedelta(hours=14), Constraints(darkness="station")


def _no_seconds(text: str) -> str:
    import re

    return re.sub(r'"seconds": ?[0-9.e-]+', '"seconds": X', text)


def test_schedule_document_is_what_the_cli_prints(demo, tmp_path: Path) -> None:
    """schedule_passes returns the document: its to_json is the CLI's --format json (solver
    seconds aside), write_json/write_csv/write_ndjson/write_ics take it and write the CLI's bytes."""
    from passplan.schedule import Demand
    from passplan.schedule.run import schedule_passes
    from passplan.writers import write_csv, write_ics, write_json, write_ndjson

    sats, sts, t0, t1, c = demo
    run = schedule_passes(sats, sts, t0, t1, c, demands=[Demand.parse("xinglong:nanshan=1e5")], weather_trials=200,
                          seed=3)
    args = ["schedule", "--sats", "demo", "--station", "xinglong", "--station", "nanshan", *WINDOW,
            "--demand", "xinglong:nanshan=1e5", "--weather-trials", "200", "--seed", "3"]
    cli = run_ok(*args, "--format", "json")
    assert _no_seconds(run.to_json()) == _no_seconds(cli)
    assert _no_seconds(write_json(run, tmp_path / "s.json").read_text()) == _no_seconds(cli)
    assert write_csv(run, tmp_path / "s.csv").read_text() == run_ok(*args, "--format", "csv")
    assert write_ndjson(run, tmp_path / "s.ndjson").read_text() == run_ok(*args, "--format", "ndjson")
    ics = write_ics(run, tmp_path / "s.ics", creation_date=t0).read_text()
    assert ics == run_ok(*args, "--format", "ics", "--creation-date", START)
    assert json.loads(run.to_json())["weather"]["trials"] == 200
    assert run.links and all(isinstance(ln.start, datetime) for ln in run.links)


def run_ok(*args: str) -> str:
    r = run(*args)
    assert r.exit_code == 0, r.output
    return r.stdout


def test_relay_and_network_results_are_documents(demo, tmp_path: Path) -> None:
    """relay_key and network_key are the commands' library calls: their to_json is the CLI's
    JSON, and write_json/write_csv take them."""
    from passplan.schedule.run import network_key, relay_key
    from passplan.writers import write_csv, write_json

    sats, sts, t0, t1, c = demo
    res = relay_key(sats, sts, ("xinglong", "nanshan"), t0, t1, c, demand_bits=1e4)
    cli = run_ok("relay", "xinglong", "nanshan", "--sats", "demo", *WINDOW, "--demand", "1e4", "--format", "json")
    assert res.to_json() == cli == write_json(res, tmp_path / "r.json").read_text()
    rows = res.to_records()
    assert rows and rows[-1]["total_bits"] == round(res.relayed_bits, 1)
    assert write_csv(res, tmp_path / "r.csv").read_text().splitlines()[0] == "t_utc,satellite,relayed_bits,total_bits"
    assert {ln.station for ln in res.links} == {"xinglong", "nanshan"}

    net = network_key("china-integrated", "nanshan", "shanghai", sats, sts, t0, t1, c)
    cli = run_ok("network", "china-integrated", "--from", "nanshan", "--to", "shanghai", "--sats", "demo", *WINDOW,
                 "--format", "json")
    assert net.to_json() == cli == write_json(net, tmp_path / "n.json").read_text()
    assert [r["key_bits"] for r in net.to_records()] == [round(b, 1) for _, b in net.paths]
    assert write_csv(net, tmp_path / "n.csv").read_text().startswith("nodes,key_bits\nnanshan -> ")


def test_library_errors_name_library_parameters(demo) -> None:
    """The library names its parameters; the CLI says its options for the same mistake."""
    from passplan.errors import InputError
    from passplan.schedule.network import load_network
    from passplan.schedule.run import check_endpoints, check_schedule_options, network_key

    with pytest.raises(InputError, match=r"^time_limit_s 0: give a positive"):
        check_schedule_options(time_limit_s=0)
    with pytest.raises(InputError, match=r"^weather_trials -1:"):
        check_schedule_options(weather_trials=-1)
    with pytest.raises(InputError, match=r"^source and target are both nanshan"):
        check_endpoints(load_network("china-integrated"), "nanshan", "nanshan")
    sats, sts, t0, t1, c = demo
    with pytest.raises(InputError, match="source and target"):
        network_key("china-integrated", "nanshan", "nanshan", sats, sts, t0, t1, c)
    r = run("network", "china-integrated", "--from", "nanshan", "--to", "nanshan", *WINDOW)
    assert r.exit_code == 2 and "--from and --to are both nanshan" in r.output
    r = run("schedule", "--sats", "demo", "--station", "xinglong", "--weather-trials", "-1", *WINDOW)
    assert r.exit_code == 2 and "--weather-trials -1: give 0 to 100000 trials" in r.output


def test_schedule_without_passes_is_an_empty_plan() -> None:
    """A window with no pass prints an empty plan (it used to end in a scipy traceback)."""
    r = run("schedule", "--sats", "demo", "--station", "xinglong", "--start", "2026-12-02T01:00Z", "--hours", "1",
            "--night", "station")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("no links scheduled\n") and "0 candidate(s) not scheduled" in r.stdout


def test_relay_demand_in_the_schedule_vocabulary() -> None:
    """relay's --demand takes the schedule's A:B=BITS (the pair, either order) or plain BITS."""
    from passplan.errors import InputError
    from passplan.schedule.run import pair_demand_bits

    pair = ("xinglong", "nanshan")
    assert pair_demand_bits("1e4", pair) == pair_demand_bits("nanshan:xinglong=1e4", pair) == 1e4
    for bad, why in (("lots", "give BITS or"), ("xinglong:graz=5", "names the pair"), ("xinglong:nanshan=5@2", "PRIORITY")):
        with pytest.raises(InputError, match=why):
            pair_demand_bits(bad, pair)
    plain = run("relay", "xinglong", "nanshan", "--sats", "demo", *WINDOW, "--demand", "1e4", "--format", "json")
    named = run("relay", "xinglong", "nanshan", "--sats", "demo", *WINDOW, "--demand", "xinglong:nanshan=1e4",
                "--format", "json")
    assert plain.exit_code == named.exit_code == 0 and plain.stdout == named.stdout
    # a text option now: the hostile walk of numeric options no longer reaches it, so here
    for v in ("nan", "inf", "-inf", "", "-1", "0"):
        r = run("relay", "xinglong", "nanshan", "--sats", "demo", *WINDOW, "--demand", v)
        assert r.exit_code == 2 and "Traceback" not in r.output and "demand" in r.output, (v, r.output)
