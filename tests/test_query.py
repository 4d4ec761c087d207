"""The library's pass query (passplan.query): the same passes, order, records and key as the CLI's
``passes``, ``tonight`` and ``next``, for a script; streaming; errors name library parameters."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from passplan import (
    Constraints,
    find_passes,
    passes_to_records,
    select_stations,
    write_csv,
    write_ics,
    write_json,
)
from passplan.cli import app
from passplan.elements import resolve_satellites
from passplan.errors import InputError
from passplan.io import to_csv, to_json
from passplan.query import (
    PassRecord,
    PassSort,
    dark_threshold,
    is_continuous,
    next_pass,
    records_of,
    search_passes,
    sky_tracks,
)

T0 = datetime(2026, 11, 23, tzinfo=UTC)
M0 = datetime(2016, 12, 19, 12, tzinfo=UTC)


def run(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module")
def demo():
    return resolve_satellites(["demo"], T0, False).satellites


@pytest.fixture(scope="module")
def micius():
    return resolve_satellites(["micius"], M0, True).satellites


@pytest.fixture(scope="module")
def two_stations():
    return select_stations(["graz", "xinglong"])


def test_query_gives_find_passes_in_its_order(demo, two_stations) -> None:
    t1 = T0 + timedelta(days=2)
    whole = find_passes(demo, two_stations, T0, t1)
    q = search_passes(demo, two_stations, T0, t1)
    rows = list(q)
    assert all(isinstance(r, PassRecord) and r.forecast is None for r in rows)
    assert [r.pass_.uid for r in rows] == [p.uid for p in whole]
    assert q.to_records() == passes_to_records(whole) == records_of(rows)  # the column path and the objects agree
    assert [r.to_dict() for r in rows[:3]] == [p.to_dict() for p in whole[:3]]
    assert len(list(q.blocks())) == 1  # a GEO window under way all along: every pass held to the end
    leo = [s for s in demo if "GEO" not in s.name]
    batches = list(search_passes(leo, two_stations, T0, t1).blocks())
    assert len(batches) >= 2  # released block by block as the search goes
    assert [r.pass_.uid for b in batches for r in b] == [p.uid for p in whole if "GEO" not in p.satellite]


def test_query_filters_and_orders(demo, two_stations) -> None:
    t1 = T0 + timedelta(days=1)
    whole = find_passes(demo, two_stations, T0, t1)
    q = search_passes(demo, two_stations, T0, t1, min_duration_s=300, min_max_el_deg=30, sort="max-el")
    rows = list(q)
    want = [p for p in whole if p.duration_s >= 300 and p.max_el_deg >= 30]
    assert sorted(r.pass_.uid for r in rows) == sorted(p.uid for p in want) and rows
    els = [r.pass_.max_el_deg for r in rows]
    assert els == sorted(els, reverse=True)
    by_station = [r.pass_.station for r in search_passes(demo, two_stations, T0, t1, sort=PassSort.station)]
    assert by_station == sorted(by_station)


def test_query_records_equal_the_cli_json(demo, two_stations, tmp_path: Path) -> None:
    t1 = T0 + timedelta(hours=24)
    cli = run("passes", "--sats", "demo", "--station", "graz", "--station", "xinglong", "--start", "2026-11-23T00:00Z",
              "--hours", "24", "--min-duration", "200", "--format", "json")
    assert cli.exit_code == 0, cli.output
    q = search_passes(demo, two_stations, T0, t1, min_duration_s=200)
    assert q.to_json() == cli.stdout
    rows = list(q)
    assert json.loads(write_json(rows, tmp_path / "p.json").read_text()) == json.loads(cli.stdout)
    assert write_json(q, tmp_path / "q.json").read_text() == cli.stdout  # the query itself, streamed again
    assert write_csv(rows, tmp_path / "p.csv").read_text() == to_csv(q.to_records())
    ics = write_ics(rows, tmp_path / "p.ics", creation_date=T0).read_text()
    assert ics.count("BEGIN:VEVENT") == len(rows)


def test_key_forecasts_travel_in_the_record(micius) -> None:
    st = select_stations("xinglong")
    notes: list[str] = []
    q = search_passes(micius, st, M0, M0 + timedelta(hours=12), key=True, on_info=notes.append, sort="key")
    (row,) = list(q)
    assert row.forecast is not None and row.forecast.pass_ is row.pass_
    assert row.secret_key_bits == pytest.approx(287_298, rel=1e-3)  # micius2017 (issue 18; 223,929 X-basis)
    rec = row.to_dict()
    assert rec["secret_key_bits"] == row.secret_key_bits and rec["profile"] == "micius"
    assert notes == ["forecasting the key of 1 pass(es)"]
    cli = run("passes", "--sats", "micius", "--station", "xinglong", "--start", "2016-12-19T12:00Z", "--hours", "12",
              "--key", "--format", "json")
    assert cli.exit_code == 0, cli.output
    assert to_json([rec]) == cli.stdout
    (track,) = sky_tracks([row])
    assert track.key_rate_bps is not None and track.key_rate_bps.max() > 0 and track.az_deg.size == track.el_deg.size


def test_next_pass_is_the_first_usable_one(demo) -> None:
    st = select_stations("graz")
    sso = [s for s in demo if s.name == "DEMO-SSO-1"]
    c = Constraints(darkness="nautical")
    ticks: list[tuple[int, int]] = []
    first = next_pass(sso, st, T0, constraints=c, min_duration_s=300, progress=lambda d, n, w="": ticks.append((d, n)))
    assert first is not None and first.forecast is None
    want = [p for p in find_passes(sso, st, T0, T0 + timedelta(days=7), c) if p.duration_s >= 300][0]
    assert first.pass_.uid == want.uid
    assert next_pass(sso, st, T0, within_days=1, min_max_el_deg=89.99) is None
    cli = run("next", "DEMO-SSO-1", "--station", "graz", "--start", "2026-11-23T00:00Z", "--night", "nautical",
              "--min-duration", "300", "--format", "json")
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.stdout) == first.to_dict()


def test_library_errors_name_library_parameters(demo) -> None:
    st = select_stations("graz")
    with pytest.raises(InputError, match=r"^min_duration_s -5 is not a duration"):
        search_passes(demo, st, T0, T0 + timedelta(hours=1), min_duration_s=-5)
    with pytest.raises(InputError, match=r"^min_max_el_deg 95 is outside"):
        search_passes(demo, st, T0, T0 + timedelta(hours=1), min_max_el_deg=95)
    with pytest.raises(InputError, match="needs key=True"):
        search_passes(demo, st, T0, T0 + timedelta(hours=1), sort="key")
    with pytest.raises(InputError, match="sort 'bogus' is not an order"):
        search_passes(demo, st, T0, T0 + timedelta(hours=1), sort="bogus")
    with pytest.raises(InputError, match=r"^within_days 0 is not a window length"):
        next_pass(demo, st, T0, within_days=0)
    for args in (["--min-duration", "-5"], ["--min-max-el", "95"]):  # the CLI names its flags
        r = run("passes", "--sats", "demo", "--station", "graz", *args)
        assert r.exit_code == 2 and r.stderr.startswith(f"passplan: error: {args[0]} ")


def test_dark_threshold_and_continuous_windows(demo) -> None:
    st = select_stations("graz")
    (p, *_) = find_passes(demo, st, T0, T0 + timedelta(hours=12))
    assert dark_threshold(Constraints(darkness="astronomical"))(p) == -18.0
    assert dark_threshold(Constraints())(p) == float(st[0].twilight_deg if st[0].twilight_deg is not None else -12.0)
    assert not is_continuous(p, (T0, T0 + timedelta(hours=12)))
    assert is_continuous(p, (p.aos, p.los)) == ((p.los - p.aos).total_seconds() >= 7200.0)


def test_tonight_passes_is_what_the_tonight_command_lists() -> None:
    from passplan.query import tonight_passes

    st = select_stations("xinglong")
    found = tonight_passes(st[0], M0, ["micius"], allow_stale=True, key=True)
    assert found.night.start < found.night.end and found.night.reached
    assert [s.name for s in found.selection.satellites] == ["QSS (MOZI)"]
    recs = found.query.to_records()
    cli = CliRunner().invoke(app, ["tonight", "xinglong", "--sats", "micius", "--date", "2016-12-19", "--allow-stale",
                                   "--key", "--format", "json"])
    assert cli.exit_code == 0, cli.output
    assert json.loads(to_json(recs)) == json.loads(cli.stdout) and recs
    # satellites given as objects give the same passes; none at all is refused naming the parameter
    again = tonight_passes(st[0], M0, found.selection.satellites, key=True).query.to_records()
    assert again == recs
    with pytest.raises(InputError, match="give satellites"):
        tonight_passes(st[0], M0, [])
