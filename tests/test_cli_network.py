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


def test_schedule_csv_ndjson_ics_and_plot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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
    monkeypatch.chdir(tmp_path)  # "-o -" is stdout, as for every other format (not a file named "-")
    dash = run(*base, "--format", "ics", "--creation-date", "2026-12-01T00:00Z", "--output", "-")
    assert dash.exit_code == 0 and dash.stdout == ics.read_text() and not (tmp_path / "-").exists()


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


# ---- issue 18: relay and network under weather draws; issue 17: windows without a pass ------

def _independent_mean(links, stations, trials: int, outcome) -> tuple[float, float]:
    """My own Monte Carlo over the scheduled links: skies drawn by my own copula loop (see
    tests/test_relay_network.py), ``outcome`` of each draw's clear links; mean and its error."""
    import numpy as np

    from tests.test_relay_network import _my_skies

    vals = np.array([outcome(row) for row in _my_skies(links, stations, trials, 99)])
    return float(vals.mean()), float(vals.std(ddof=1) / trials**0.5)


def test_readme_relay_week_mean_is_a_monte_carlo_mean() -> None:
    """The README's Jinan-1 week between Beijing and Stellenbosch: the relay's mean over weather
    draws equals my own Monte Carlo over the same links within its standard error; the replay
    of expectations (issue 18: 1.691 Mbit against 1.332 Mbit over 20,000 draws) stays beside it,
    above the mean; percentiles ordered under the clear-sky bound."""
    from passplan import resolve_satellites, select_stations
    from passplan.schedule.run import relay_key
    from passplan.times import parse_time
    from tests.test_relay_network import _my_relay

    t0 = parse_time("2023-11-20T00:00Z", "start")
    sats = resolve_satellites(["jinan-1"], t0, allow_stale=True).satellites
    sts = select_stations(["beijing", "stellenbosch"])
    from datetime import timedelta

    res = relay_key(sats, sts, ("beijing", "stellenbosch"), t0, t0 + timedelta(days=7))
    w = res.weather
    assert w is not None and w.trials == 2000 and w.expectation_replay_bits == res.relayed_bits
    mean, se = _independent_mean(res.links, {s.id: s for s in sts}, 4000,
                                 lambda row: _my_relay(res.links, row, ("beijing", "stellenbosch")))
    assert abs(w.mean_bits - mean) <= 4 * (w.stderr_bits**2 + se**2) ** 0.5
    assert w.p10_bits <= w.p50_bits <= w.p90_bits <= w.clear_sky_bound_bits
    assert w.mean_bits < 0.85 * res.relayed_bits  # the replay of expectations overestimates
    doc = json.loads(res.to_json())
    assert doc["relayed_bits"] == round(res.relayed_bits, 1) and doc["weather"]["mean_bits"] == round(w.mean_bits, 1)


def test_readme_network_day_mean_is_a_monte_carlo_mean(demo) -> None:
    import networkx as nx

    from passplan.schedule.network import load_network
    from passplan.schedule.run import network_key

    sats, _, t0, _, c = demo
    from datetime import timedelta

    from passplan import select_stations

    sts = select_stations(["xinglong", "nanshan"])
    t1 = t0 + timedelta(hours=24)
    res = network_key("china-integrated", "nanshan", "shanghai", sats, sts, t0, t1, c, weather_trials=3000, seed=1)
    net = load_network("china-integrated")
    links = _links_of(sats, sts, t0, t1, c)
    period = (t1 - t0).total_seconds()

    def my_flow(row) -> float:
        g = nx.Graph()
        for ln in net.links:
            g.add_edge(ln.a, ln.b, capacity=ln.rate_bps * period)
        for ln, clear in zip(links, row, strict=True):
            node, sat = net.stations[ln.station], f"sat:{ln.satellite}"
            cap = g.edges[node, sat]["capacity"] if g.has_edge(node, sat) else 0.0
            g.add_edge(node, sat, capacity=cap + (ln.key_bits if clear else 0.0))
        return nx.maximum_flow_value(g, "nanshan", "shanghai") if "nanshan" in g else 0.0

    w = res.weather
    assert w is not None and links
    mean, se = _independent_mean(links, {s.id: s for s in sts}, 3000, my_flow)
    assert abs(w.mean_bits - mean) <= 4 * (w.stderr_bits**2 + se**2) ** 0.5
    assert w.p10_bits <= w.p50_bits <= w.p90_bits <= w.clear_sky_bound_bits
    assert w.mean_bits < res.key_bits == w.expectation_replay_bits


def _links_of(sats, sts, t0, t1, c):
    """The links network_key schedules: both stations' links for the pair, as relay_key's."""
    from passplan.schedule.run import relay_key

    return relay_key(sats, sts, ("nanshan", "xinglong"), t0, t1, c, weather_trials=0).links


def test_relay_and_network_draws_in_the_cli() -> None:
    """--weather-trials and --seed (the schedule's vocabulary): the JSON adds a weather object and
    keeps its keys; 0 keeps the replay of expectations alone (the table's old first line); a
    wrong count is refused before any work with the option's name."""
    base = ["relay", "xinglong", "nanshan", "--sats", "demo", *WINDOW]
    doc = json.loads(run_ok(*base, "--weather-trials", "500", "--seed", "4", "--demand", "1e6", "--format", "json"))
    w = doc["weather"]
    assert {"mean_bits", "stderr_bits", "p10_bits", "p50_bits", "p90_bits", "clear_sky_bound_bits",
            "expectation_replay_bits", "p_demand_met"} <= set(w)
    assert w["trials"] == 500 and w["seed"] == 4 and w["expectation_replay_bits"] == doc["relayed_bits"]
    off = json.loads(run_ok(*base, "--weather-trials", "0", "--demand", "1e6", "--format", "json"))
    assert "weather" not in off and {k: v for k, v in doc.items() if k != "weather"} == off
    table = run_ok(*base)
    assert "over 2000 weather draws (seed 0" in table and "replay of expectations (an upper estimate)" in table
    assert run_ok(*base, "--weather-trials", "0").startswith("relay xinglong <-> nanshan via ")
    for cmd in (base, ["network", "china-integrated", "--from", "nanshan", "--to", "shanghai", "--sats", "demo", *WINDOW]):
        r = run(*cmd, "--weather-trials", "-3")
        assert r.exit_code == 2 and "--weather-trials -3: give 0 to 100000 trials" in r.output, r.output
    net = ["network", "china-integrated", "--from", "nanshan", "--to", "shanghai", "--sats", "demo", *WINDOW]
    assert "P10" in run_ok(*net) and "weather" not in json.loads(run_ok(*net, "--weather-trials", "0", "--format", "json"))
    # a path of fibre alone does not depend on the weather: no draws reported, the old document
    fibre = ["network", "china-integrated", "--from", "beijing", "--to", "shanghai", "--sats", "demo", *WINDOW]
    assert run_ok(*fibre) == run_ok(*fibre, "--weather-trials", "0")
    assert "weather" not in json.loads(run_ok(*fibre, "--format", "json"))


def test_windows_without_a_pass_are_not_refused() -> None:
    """issue 17: a window without a satellite pass gave 'demand nanshan:xinglong: no candidate
    pass', a demand the user never gave. Now a fibre-only path gives its fibre key, a pair joined
    only through satellites zero key with the reason, and a relay zero key with the reason."""
    from passplan.schedule.network import end_to_end, load_network

    quiet = ["--sats", "demo", "--start", "2026-12-02T01:00Z", "--hours", "1", "--night", "station"]
    fibre = json.loads(run_ok("network", "china-integrated", "--from", "beijing", "--to", "shanghai", *quiet,
                              "--format", "json"))
    net = load_network("china-integrated")
    assert fibre["key_bits"] == round(end_to_end(net, "beijing", "shanghai", 3600.0).key_bits, 1) > 0
    assert "reason" not in fibre and "weather" not in fibre  # nothing weather-dependent on fibre
    sat_only = json.loads(run_ok("network", "china-integrated", "--from", "nanshan", "--to", "shanghai", *quiet,
                                 "--format", "json"))
    assert sat_only["key_bits"] == 0 and sat_only["paths"] == [] and "joined only through satellites" in sat_only["reason"]
    assert "0 bit (nanshan and shanghai are joined only through satellites" in run_ok(
        "network", "china-integrated", "--from", "nanshan", "--to", "shanghai", *quiet)
    relay = json.loads(run_ok("relay", "xinglong", "nanshan", *quiet, "--demand", "1e4", "--format", "json"))
    assert relay["relayed_bits"] == 0 and relay["demand_met_utc"] is None and relay["timeline"] == []
    assert "no satellite passes over both xinglong and nanshan" in relay["reason"]
    assert run_ok("relay", "xinglong", "nanshan", *quiet).startswith("relay xinglong <-> nanshan: 0 bit (no satellite")


def test_network_drops_pairs_no_satellite_serves(tmp_path: Path) -> None:
    """A station without a pass in the window no longer refuses the network: the pairs some
    satellite serves are scheduled, the key through them is today's, the rest relay nothing."""
    three = tmp_path / "three.toml"
    three.write_text(
        '[network]\nname = "three"\n[nodes.x]\n[nodes.n]\n[nodes.g]\n'
        '[[links]]\na = "x"\nb = "g"\nrate_bps = 1.0\n'
        '[stations]\nxinglong = "x"\nnanshan = "n"\nstellenbosch = "g"\n'
    )
    # 10-18 UTC: night at Xinglong and Nanshan, day at Stellenbosch (no pass under --night station)
    args = ["--sats", "demo", "--start", "2026-12-02T10:00Z", "--hours", "8", "--night", "station",
            "--weather-trials", "0", "--format", "json"]
    got = json.loads(run_ok("network", str(three), "--from", "n", "--to", "x", *args))
    two = tmp_path / "two.toml"
    two.write_text('[network]\nname = "two"\n[nodes.x]\n[nodes.n]\n[stations]\nxinglong = "x"\nnanshan = "n"\n')
    want = json.loads(run_ok("network", str(two), "--from", "n", "--to", "x", *args))
    assert got["key_bits"] == want["key_bits"] > 0


def test_schedule_pair_demand_reports_the_draws_outcome() -> None:
    """The plan is made on expected key; with --weather-trials a pair demand's relayed key under
    the draws is reported beside it (issue 18: a demand 'met' on expectations is met in a third
    of the draws here), and its replay of expectations is the plan's relayable total."""
    doc = json.loads(run_ok("schedule", "--sats", "demo", "--station", "xinglong", "--station", "nanshan", *WINDOW,
                            "--demand", "xinglong:nanshan=1e6", "--weather-trials", "1000", "--format", "json"))
    pw = doc["weather"]["pairs"]["xinglong:nanshan"]
    assert doc["demands"][0]["met"] and 0 < pw["p_demand_met"] < 0.6
    assert pw["expectation_replay_bits"] == pytest.approx(doc["totals"]["per_pair"]["nanshan:xinglong"], abs=0.1)
    assert pw["p10_bits"] <= pw["p50_bits"] <= pw["p90_bits"] <= pw["clear_sky_bound_bits"]
    assert pw["mean_bits"] < pw["expectation_replay_bits"] and pw["demand_bits"] == 1e6
    plain = json.loads(run_ok("schedule", "--sats", "demo", "--station", "xinglong", "--station", "nanshan", *WINDOW,
                              "--weather-trials", "1000", "--format", "json"))
    assert "pairs" not in plain["weather"]  # no pair demand: the weather object keeps its keys


def test_schedule_pair_demand_states_its_plan_basis_and_draws_by_default() -> None:
    """Issue 18 item 3: the MILP serves pair demands on expected key (forecast x clear-sky
    probability), not a sample average over weather scenarios; every output says so
    (``plan_basis`` in JSON, a table line) and reports the pair's relayed key under seeded draws
    beside it even without --weather-trials (DEFAULT_DRAWS of them). The relay of expected
    deposits is the plan's own relayable total, and by Jensen's inequality (a relay takes a
    minimum) the draws' mean lies below it. A schedule without a pair demand keeps its keys."""
    from passplan.schedule.run import PLAN_BASIS
    from passplan.weather import DEFAULT_DRAWS

    args = ["schedule", "--sats", "demo", "--station", "xinglong", "--station", "nanshan", *WINDOW]
    doc = json.loads(run_ok(*args, "--demand", "xinglong:nanshan=1e6", "--format", "json"))
    assert doc["plan_basis"] == PLAN_BASIS == "expected key (forecast x clear-sky probability)"
    assert set(doc["weather"]) == {"pairs"}  # no whole-plan trials asked: only the pair's draws
    pw = doc["weather"]["pairs"]["xinglong:nanshan"]
    assert pw["trials"] == DEFAULT_DRAWS and pw["seed"] == 0 and pw["demand_bits"] == 1e6
    assert pw["expectation_replay_bits"] == pytest.approx(doc["totals"]["per_pair"]["nanshan:xinglong"], abs=0.1)
    assert pw["mean_bits"] + 3 * pw["stderr_bits"] < pw["expectation_replay_bits"]
    assert pw["p10_bits"] <= pw["p50_bits"] <= pw["p90_bits"] <= pw["clear_sky_bound_bits"]
    assert doc["demands"][0]["met"] and pw["p_demand_met"] < 0.6  # met on expectations, not in most draws
    table = run_ok(*args, "--demand", "xinglong:nanshan=1e6")
    assert f"plan basis: {PLAN_BASIS}" in table
    assert f"relayed xinglong:nanshan under weather draws (the pair alone): mean {pw['mean_bits'] / 1e6:.3f} Mbit over {DEFAULT_DRAWS}" in table
    plain = json.loads(run_ok(*args, "--format", "json"))
    assert "plan_basis" not in plain and "weather" not in plain
