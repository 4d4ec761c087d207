"""``passplan passes`` / ``tonight`` / ``stations``: outputs, and bad input (one line, exit 2)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from passplan.cli import app

MICIUS_2016 = (  # ../shared/reference/README.md section 1
    "QSS (MOZI)\n"
    "1 41731U 16051A   16354.56913372  .00000384  00000-0  18801-4 0  9991\n"
    "2 41731  97.3698 268.1064 0013349 175.8929 309.0190 15.23916091 19164\n"
)

REQUIRED = {
    "satellite", "norad_id", "station", "aos_utc", "tca_utc", "los_utc", "duration_s", "max_el_deg",
    "aos_az_deg", "tca_az_deg", "los_az_deg", "min_range_km", "sat_sunlit_fraction", "station_dark",
    "partial", "elements_epoch_utc", "elements_age_days",
}


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_passes_json_has_the_documented_fields() -> None:
    r = run("passes", "--sats", "micius", "--station", "xinglong", "--start", "2016-12-19T12:00Z",
            "--hours", "12", "--format", "json")
    assert r.exit_code == 0, r.output
    recs = json.loads(r.stdout)
    assert len(recs) == 1 and REQUIRED <= set(recs[0])
    assert recs[0]["tca_utc"].startswith("2016-12-19T16:52:1") and recs[0]["tca_utc"].endswith("Z")


def test_passes_csv_ndjson_and_table() -> None:
    base = ["passes", "--sats", "demo", "--station", "graz", "--start", "2026-11-23T00:00Z", "--hours", "12"]
    csv = run(*base, "--format", "csv")
    nd = run(*base, "--format", "ndjson")
    table = run(*base)
    assert csv.exit_code == nd.exit_code == table.exit_code == 0
    rows = csv.stdout.strip().splitlines()
    assert rows[0].startswith("uid,satellite,norad_id,station,aos_utc")
    assert len(rows) - 1 == len(nd.stdout.strip().splitlines()) > 3
    assert "aos (Europe/Vienna)" in table.stdout  # local time of the station, named in the header


def test_all_lists_excluded_passes_with_reason() -> None:
    base = ["passes", "--sats", "micius", "--station", "xinglong", "--start", "2016-12-19T00:00Z",
            "--hours", "24", "--night", "nautical", "--eclipse", "--format", "json"]
    kept = json.loads(run(*base).stdout)
    everything = json.loads(run(*base, "--all").stdout)
    assert len(kept) == 1 and len(everything) == 2
    assert [r["excluded_by"] for r in everything if r["excluded_by"]] == ["darkness+eclipse"]


def test_stale_elements_refused_unless_allowed() -> None:
    r = run("passes", "--sats", "micius", "--station", "xinglong", "--start", "2026-11-23T00:00Z", "--hours", "6")
    assert r.exit_code == 2
    assert "--allow-stale" in r.stderr and "Traceback" not in r.output
    ok = run("passes", "--sats", "micius", "--station", "xinglong", "--start", "2026-11-23T00:00Z",
             "--hours", "6", "--allow-stale")
    assert ok.exit_code == 0 and "old" in ok.stderr


def test_output_file_written_atomically_and_not_on_error(tmp_path: Path) -> None:
    out = tmp_path / "passes.json"
    r = run("passes", "--sats", "demo", "--station", "jinan", "--start", "2026-11-23T00:00Z", "--hours", "12",
            "--format", "json", "--output", str(out))
    assert r.exit_code == 0 and json.loads(out.read_text())
    bad = tmp_path / "never.json"
    r = run("passes", "--sats", "demo", "--station", "nowhere", "--format", "json", "--output", str(bad))
    assert r.exit_code == 2 and not bad.exists()
    assert not list(tmp_path.glob(".*.part"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["passes", "--station", "xinlong"], "did you mean 'xinglong'"),
        (["passes", "--sats", "micus", "--station", "xinglong"], "did you mean"),
        (["passes", "--start", "2016-12-19T12:00", "--station", "xinglong"], "no time zone"),
        (["passes", "--start", "2016-12-19T12:00Z", "--end", "2016-12-19T10:00Z", "--station", "xinglong"], "not after"),
        (["passes", "--start", "2016-12-19T12:00Z", "--hours", "-3"], "positive"),
        (["passes", "--min-el", "95", "--station", "xinglong", "--sats", "demo"], "outside"),
        (["tonight", "nowhere"], "unknown station"),
        (["tonight", "xinglong", "--date", "2026-13-45"], "not a date"),
    ],
)
def test_bad_input_is_one_line_exit_2(args: list[str], message: str) -> None:
    r = run(*args)
    assert r.exit_code == 2, r.output
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.output


def test_bad_files_name_the_file(tmp_path: Path) -> None:
    tle = tmp_path / "bad.tle"
    tle.write_text(MICIUS_2016.replace("19164", "19165"))  # break line 2's checksum
    r = run("passes", "--sats", str(tle), "--station", "xinglong", "--start", "2016-12-19T12:00Z")
    assert r.exit_code == 2 and "bad.tle:3:" in r.stderr and "checksum" in r.stderr
    st = tmp_path / "st.toml"
    st.write_text("[stations.x]\nlat_deg = 95\nlon_deg = 0\nalt_m = 0\n")
    r = run("passes", "--stations", str(st), "--sats", "demo")
    assert r.exit_code == 2 and "st.toml" in r.stderr and "lat_deg" in r.stderr


def test_tonight_replays_the_micius_night_with_key() -> None:
    r = run("tonight", "xinglong", "--date", "2016-12-19", "--sats", "micius", "--allow-stale", "--key", "--format", "json")
    assert r.exit_code == 0, r.output
    recs = json.loads(r.stdout)
    assert len(recs) == 1
    rec = recs[0]
    assert rec["profile"] == "micius" and rec["protocol"] == "micius2017"  # the paper's counting (issue 18)
    assert rec["secret_key_bits"] > 0 and rec["key_limiting"] is None


def test_stations_list_and_show() -> None:
    r = run("stations", "list", "--format", "json")
    assert r.exit_code == 0 and len(json.loads(r.stdout)) == 10
    r = run("stations", "show", "ngari", "--format", "json")
    assert json.loads(r.stdout)["alt_m"] == 5100.0


def test_series_dir_round_trips_through_passplan_key(tmp_path: Path) -> None:
    """--series-dir writes each pass's channel; `passplan key` on it, with the forecast's
    protocol settings, gives the forecast's key."""
    r = run("tonight", "xinglong", "--date", "2016-12-19", "--sats", "micius", "--allow-stale", "--key",
            "--series-dir", str(tmp_path), "--format", "json")
    assert r.exit_code == 0, r.output
    rec = json.loads(r.stdout)[0]
    files = list(tmp_path.glob("xinglong_QSS__MOZI__*.csv"))
    assert len(files) == 1
    proto = tmp_path / "p.toml"
    proto.write_text(
        "pulses_per_s = 1e8\nintensities = [0.8, 0.1, 0.0]\nprobabilities = [0.5, 0.25, 0.25]\n"
        "p_x = 0.5\nextraneous_click_prob = 0.0\nintrinsic_qber = 0.011\nafterpulse_prob = 1e-3\n"
        "optimise = false\n"
        # micius2017's analysis (issue 18): both bases, signal bits, Hoeffding deviations
        'key_bases = "both"\nkey_intensities = "signal"\nbounds = "hoeffding"\n'
    )
    k = run("key", str(files[0]), "--protocol", str(proto), "--format", "json")
    assert k.exit_code == 0, k.output
    assert json.loads(k.stdout)["secret_key_bits"] == pytest.approx(rec["secret_key_bits"], rel=1e-6)
    bad = run("passes", "--sats", "demo", "--series-dir", str(tmp_path))
    assert bad.exit_code == 2 and "--key" in bad.stderr


def test_constellation_with_negative_altitude_exits_2(tmp_path: Path) -> None:
    c = tmp_path / "fleet.toml"
    c.write_text('[[satellite]]\nname = "X"\naltitude_km = -5\ninclination_deg = 50\n')
    r = run("passes", "--sats", str(c), "--station", "xinglong")
    assert r.exit_code == 2 and "fleet.toml" in r.stderr and "altitude" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


# --- streaming output, the stale summary and the shared emit path ---------------------------

STREAM_ARGS = ["passes", "--station", "graz", "--station", "jinan", "--start", "2026-11-23T00:00Z", "--days", "3"]
WITH_GEO = "demo"  # the GEO satellite's pass lasts the whole window
LEO_MEO = "DEMO-SSO-1,DEMO-SSO-2,DEMO-SSO-4,DEMO-MEO-1"


def _whole(fmt: str, sats: str = WITH_GEO) -> str:
    """The same search done in one piece by the library, written in one piece."""
    from datetime import UTC, datetime, timedelta

    from passplan import find_passes, passes_to_records, resolve_satellites, select_stations
    from passplan.io import to_csv, to_json, to_ndjson

    t0 = datetime(2026, 11, 23, tzinfo=UTC)
    chosen = resolve_satellites([sats], t0).satellites
    recs = passes_to_records(find_passes(chosen, select_stations(["graz", "jinan"]), t0, t0 + timedelta(days=3)))
    return {"json": to_json, "ndjson": to_ndjson, "csv": to_csv}[fmt](recs)


class _Block:
    """What ``iter_passes`` yields: passes, warnings and (optionally) ``complete_before``."""

    def __init__(self, passes, warnings, **bound) -> None:
        self.passes, self.warnings = passes, warnings
        self.__dict__.update(bound)


def _engine_like_blocks(monkeypatch: pytest.MonkeyPatch, bounded: bool) -> list[str]:
    """Make the CLI's ``iter_passes`` yield the whole search as the streaming engine does: one
    block per day, each pass in the block where it ends (a GEO pass under way for days comes
    last), sorted within the block, an empty block among them; with ``bounded``, each block says
    before which AOS every pass has been yielded. Returns a log of blocks yielded and records
    made, in the order they happen."""
    import passplan.passes as pp
    import passplan.passes.columns as pp_columns
    import passplan.query as query

    log: list[str] = []
    real_records = pp.passes_to_records

    def records(passes):
        log.append(f"records {len(passes)}")
        return real_records(passes)

    def engine_like(sats, stations, start, end, constraints=None, **kw):
        log.append(f"block_s {kw.pop('block_s', None)}")
        whole = pp.find_passes(sats, stations, start, end, constraints, **kw)
        days = math.ceil((end - start).total_seconds() / 86400)

        def ends_in(p) -> int:  # the block (day) in which the pass ends; the window end is in the last
            return min(int((p.los - start).total_seconds() // 86400), days - 1)

        for day in range(days):
            block = sorted((p for p in whole if ends_in(p) == day), key=lambda p: (p.aos, p.station, p.satellite))
            under_way = [p.aos for p in whole if ends_in(p) > day]
            bound = {"complete_before": min(under_way, default=None)} if bounded else {}
            log.append(f"block {day} {len(block)}")
            yield _Block(block, whole.warnings if day == 0 else [], **bound)
            if day == 0:
                log.append("block empty")
                yield _Block([], [], **bound)

    monkeypatch.setattr(pp, "iter_passes", engine_like)
    monkeypatch.setattr(query, "RECORDS_AT_ONCE", 7)
    monkeypatch.setattr(pp, "passes_to_records", records)
    monkeypatch.setattr(pp_columns, "passes_to_records", records)
    return log


@pytest.mark.parametrize("fmt", ["json", "ndjson", "csv"])
@pytest.mark.parametrize("sats", [WITH_GEO, LEO_MEO])
@pytest.mark.parametrize("bounded", [True, False])
def test_streamed_output_equals_whole_output(fmt: str, sats: str, bounded: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _whole(fmt, sats)
    r = run(*STREAM_ARGS, "--sats", sats, "--format", fmt)
    assert r.exit_code == 0, r.output
    assert r.stdout == whole
    log = _engine_like_blocks(monkeypatch, bounded)
    r = run(*STREAM_ARGS, "--sats", sats, "--format", fmt)
    assert r.exit_code == 0, r.output
    assert r.stdout == whole
    assert log[0] == "block_s 86400.0"  # a small scene searches a day at a time
    blocks = [e for e in log if e.startswith("block ")]
    assert len(blocks) == 4 and "block empty" in blocks
    first_records = min(i for i, e in enumerate(log) if e.startswith("records"))
    if sats == LEO_MEO:  # records written while the search goes on (the engine's bound, or the
        # passes' own: every pair has had a pass, and a pair's windows never overlap)
        assert first_records < log.index(blocks[-1])
    else:  # a GEO pass under way since the start, and a pair with no pass: held to the end
        assert first_records > log.index(blocks[-1])
    if sats == WITH_GEO:  # the GEO pass comes in the last block but is written first (earliest AOS)
        assert int(blocks[-1].split()[-1]) >= 1
        assert "DEMO-GEO" in r.stdout.splitlines()[1 if fmt != "ndjson" else 0]
    if fmt == "json":
        assert len(json.loads(r.stdout)) > 20


def test_search_blocks_shorten_for_big_scenes() -> None:
    from passplan.passes import block_seconds as _block_seconds

    assert _block_seconds(1) == _block_seconds(10_000) == 86400.0
    assert _block_seconds(50_000) == pytest.approx(17280.0)  # 1,000 satellites x 50 stations: 4.8 h
    assert _block_seconds(10**8) == 3600.0


def test_streamed_output_file_is_atomic_on_a_late_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import passplan.passes as pp
    from passplan.errors import InputError

    def fails_on_second_block(sats, stations, start, end, constraints=None, **kw):
        yield pp.find_passes(sats, stations, start, end, constraints)
        raise InputError("something went wrong on day two")

    out = tmp_path / "p.ndjson"
    out.write_text("old\n")
    monkeypatch.setattr(pp, "iter_passes", fails_on_second_block)
    r = run(*STREAM_ARGS, "--sats", "demo", "--format", "ndjson", "--output", str(out))
    assert r.exit_code == 2 and "day two" in r.stderr
    assert out.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["p.ndjson"]
    monkeypatch.undo()
    r = run(*STREAM_ARGS, "--sats", "demo", "--format", "ndjson", "--output", str(out))
    assert r.exit_code == 0 and r.stdout == ""
    assert out.read_text() == _whole("ndjson")


def test_key_streams_per_block(monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["tonight", "xinglong", "--date", "2016-12-19", "--sats", "micius", "--allow-stale", "--key", "--all",
            "--night", "nautical", "--eclipse"]
    one = run(*args, "--format", "ndjson")
    _engine_like_blocks(monkeypatch, bounded=True)
    split = run(*args, "--format", "ndjson")
    table = run(*args)
    assert one.exit_code == split.exit_code == table.exit_code == 0, split.output
    assert split.stdout == one.stdout and "key_kbit" in table.stdout
    recs = [json.loads(line) for line in one.stdout.splitlines()]
    assert any("secret_key_bits" in r for r in recs)


def test_stale_satellites_one_summary_line_or_all_with_verbose() -> None:
    base = ["tonight", "xinglong", "--date", "2026-11-23", "--format", "json"]
    quiet = run(*base)
    loud = run(*base, "--verbose")
    assert quiet.exit_code == loud.exit_code == 0
    assert quiet.stdout == loud.stdout
    summary = [line for line in quiet.stderr.splitlines() if "stale" in line]
    assert len(summary) == 1
    m = __import__("re").search(r"skipped (\d+) bundled satellite\(s\) with stale elements \((\d+) to (\d+) days old\)", summary[0])
    assert m and int(m.group(1)) > 5 and int(m.group(2)) < int(m.group(3))
    assert "passplan elements update" in summary[0] and "--allow-stale" in summary[0]
    assert "QSS (MOZI)" not in quiet.stderr
    listed = [line for line in loud.stderr.splitlines() if ": elements " in line]
    assert len(listed) == int(m.group(1)) and any("QSS (MOZI)" in line for line in listed)
    assert len(quiet.stderr.splitlines()) < len(loud.stderr.splitlines()) - 5


@pytest.mark.parametrize(
    "args",
    [
        ["stations", "show", "graz"],
        ["stations", "list"],
        ["link", "-p", "micius", "-e", "40"],
        ["link", "--list"],
        ["elements", "show", "micius", "--at", "2016-12-19T16:40Z"],
    ],
)
def test_every_command_writes_through_emit(args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """JSON on stdout and the same JSON atomically in --output, through the shared emit."""
    import passplan.cli.common as common

    calls: list[str] = []
    real = common.emit

    def spy(records, fmt, table, output=None):
        calls.append(str(fmt))
        return real(records, fmt, table, output)

    for mod in ("stations", "link", "elements", "key", "pass_run", "next_pass"):
        monkeypatch.setattr(f"passplan.cli.{mod}.emit", spy)
    r = run(*args, "--format", "json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    out = tmp_path / "sub" / "out.json"
    out.parent.mkdir()
    r2 = run(*args, "--format", "json", "--output", str(out))
    assert r2.exit_code == 0 and r2.stdout == ""
    assert json.loads(out.read_text()) == data
    assert calls == ["json", "json"]
    assert [p.name for p in out.parent.iterdir()] == ["out.json"]


def test_key_records_equal_the_library_forecast_records() -> None:
    from datetime import UTC, datetime

    from passplan import find_passes, forecast_passes, resolve_satellites, select_stations
    from passplan.io import to_json

    r = run("passes", "--sats", "micius", "--allow-stale", "--station", "xinglong", "--start", "2016-12-19T12:00Z",
            "--hours", "12", "--key", "--format", "json")
    assert r.exit_code == 0, r.output
    t0, t1 = datetime(2016, 12, 19, 12, tzinfo=UTC), datetime(2016, 12, 20, 0, tzinfo=UTC)
    sats = resolve_satellites(["micius"], t0, allow_stale=True).satellites
    found = forecast_passes(find_passes(sats, select_stations(["xinglong"]), t0, t1))
    assert len(found) == 1
    assert r.stdout == to_json([f.to_dict() for f in found])
    assert {"secret_key_bits", "key_limiting", "min_loss_db"} <= set(json.loads(r.stdout)[0])


# --- issue 12: checks before work, long windows, honest tables, filters and order ---------------

def _no_search(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any pass search fail loudly: a check that must come first cannot reach it."""
    import passplan.passes as pp

    def boom(*a, **k):
        raise AssertionError("the pass search ran")

    monkeypatch.setattr(pp, "iter_passes", boom)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--key", "--protocol", "nosuch"], "protocol"),
        (["--key", "--profile", "nosuch"], "profile"),
        (["--protocol", "micius"], "go with --key"),
        (["--sort", "key"], "--sort key needs --key"),
        (["--tz", "Mars/Olympus"], "time zone"),
        (["--utc", "--tz", "UTC"], "only one of --utc and --tz"),
        (["--min-duration", "-5"], "--min-duration"),
        (["--min-max-el", "95"], "--min-max-el"),
        (["--hours", "1e9"], "too long"),
        (["--hours", "inf"], "--hours inf"),
        (["--days", "1e9"], "too long"),
        (["--days", "inf"], "--days inf"),
        (["--days", "nan"], "positive"),
        (["--hours", "1e-12"], "shorter than a microsecond"),
    ],
)
def test_names_and_numbers_checked_before_any_search(args: list[str], message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_search(monkeypatch)
    # micius is stale in 2026: its summary line would come before a late check
    r = run("passes", "--sats", "demo,micius", "--station", "xinglong", "--start", "2026-11-23T00:00Z", *args)
    assert r.exit_code == 2, r.output
    assert message in r.stderr and "Traceback" not in r.output
    assert len(r.stderr.strip().splitlines()) == 1 and r.stdout == ""


def test_tonight_checks_profile_and_receivers_before_the_night(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_search(monkeypatch)
    r = run("tonight", "xinglong", "--date", "2026-11-23", "--key", "--protocol", "nosuch")
    assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1 and "dark" not in r.stderr
    st = tmp_path / "st.toml"
    # no receiver (a zone given: a station without one would add the inferred zone's warning line)
    st.write_text("[stations.lab]\nlat_deg = 40\nlon_deg = 117\nalt_m = 900\ntimezone = \"Asia/Shanghai\"\n")
    r = run("passes", "--stations", str(st), "--station", "lab", "--sats", "demo", "--key")
    assert r.exit_code == 2 and "'lab'" in r.stderr and "names no receiver profile" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_window_over_31_days_is_accepted_and_streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    """40 days of one satellite over one station: records are written while the engine's
    blocks still come (the real engine, a day per block)."""
    import passplan.passes as pp

    log: list[str] = []
    real_iter, real_records = pp.iter_passes, pp.passes_to_records

    def spy_iter(*a, **k):
        for block in real_iter(*a, **k):
            log.append("block")
            yield block

    def spy_records(passes):
        log.append("records")
        return real_records(passes)

    monkeypatch.setattr(pp, "iter_passes", spy_iter)
    monkeypatch.setattr(pp, "passes_to_records", spy_records)
    r = run("passes", "--sats", "DEMO-SSO-1", "--station", "graz", "--start", "2026-11-23T00:00Z", "--days", "40",
            "--min-max-el", "30", "--format", "ndjson")
    assert r.exit_code == 0, r.output
    recs = [json.loads(line) for line in r.stdout.splitlines()]
    assert recs[-1]["aos_utc"] > "2026-12-30" and all(x["max_el_deg"] >= 30 for x in recs)
    assert log.count("block") == 40
    assert log.index("records") < len(log) - log[::-1].index("block") - 1  # first write before the last block


def test_sort_other_than_aos_collects_and_orders_every_format() -> None:
    base = ["passes", "--sats", "demo", "--station", "graz", "--start", "2026-11-23T00:00Z", "--hours", "24",
            "--min-duration", "300", "--sort", "max-el"]
    recs = json.loads(run(*base, "--format", "json").stdout)
    els = [r["max_el_deg"] for r in recs]
    assert els == sorted(els, reverse=True) and all(r["duration_s"] >= 300 for r in recs)
    csv = run(*base, "--format", "csv").stdout.strip().splitlines()
    table = run(*base).stdout
    ics = run(*base, "--format", "ics", "--creation-date", "2026-11-01T00:00Z").stdout
    assert len(csv) - 1 == len(recs) == ics.count("BEGIN:VEVENT")
    body = [line for line in table.splitlines()[2:] if line.startswith("graz")]
    assert len(body) == len(recs)
    shown = [float(line.split()[8 if "-" == line.split()[4] else 7]) for line in body if line.split()[4] != "-"]
    assert shown == sorted(shown, reverse=True)


def test_multi_station_table_in_the_zone_shown() -> None:
    base = ["passes", "--sats", "DEMO-SSO-1,DEMO-SSO-2", "--station", "xinglong", "--station", "graz",
            "--start", "2026-11-23T00:00Z", "--hours", "24"]
    local = run(*base).stdout.splitlines()
    utc = run(*base, "--utc").stdout.splitlines()
    vienna = run(*base, "--tz", "Europe/Vienna").stdout.splitlines()
    assert "aos (station time)" in local[0] and "aos (UTC)" in utc[0] and "aos (Europe/Vienna)" in vienna[0]

    def column(lines: list[str]) -> list[tuple[str, str]]:
        return [(line.split()[0], " ".join(line.split()[2:4])) for line in lines[2:] if line.startswith(("graz", "xinglong"))]

    rows = column(local)  # grouped by station, each in its own (ordered) time
    stations = [s for s, _ in rows]
    assert stations == sorted(stations, key=stations.index) and set(stations) == {"xinglong", "graz"}
    for sid in ("xinglong", "graz"):
        times = [t for s, t in rows if s == sid]
        assert times == sorted(times)
    assert "CST" in local[2] and "rows by station" in "\n".join(local)
    for lines in (utc, vienna):  # one time line, in order
        times = [line.split()[2] + " " + line.split()[3] for line in lines[2:] if line.startswith(("graz", "xinglong"))]
        assert times == sorted(times) and len(times) == len(rows)


def test_continuous_window_dates_units_and_key_columns() -> None:
    r = run("passes", "--sats", "demo", "--station", "xinglong", "--start", "2026-11-23T00:00Z", "--hours", "24", "--key")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    header = lines[0].split()
    for col in ("max_el_deg", "az_deg", "dur_s", "key_Mbit"):
        assert col in header
    assert max(len(line) for line in lines) <= 120
    geo = next(line for line in lines if line.startswith("xinglong  DEMO-GEO"))
    cells = geo.split()
    assert cells[4] == "-"  # no TCA
    assert cells[5] == "11-24" and cells[6].startswith("08:00:00")  # LOS on another day carries its date
    assert cells[9] == "199"  # one azimuth, no sweep
    assert "continuous visibility" in r.stdout
    codes = {line.split()[-1] for line in lines[2:] if line.startswith("xinglong") and line.split()[-1].isalpha()}
    assert codes <= {"qber", "counts", "clicks", "test", "finite"} and codes
    assert "limit qber: QBER too high" in r.stdout
    wide = run("passes", "--sats", "demo", "--station", "xinglong", "--start", "2026-11-23T00:00Z", "--hours", "24",
               "--key", "--wide", "--utc").stdout
    for col in ("sunlit", "min_loss_db", "min_range_km", "elements_age_days", "dark", "limit"):
        assert col in wide.splitlines()[0]
    geo = next(line for line in wide.splitlines() if "DEMO-GEO" in line)
    assert any(c.endswith("%") for c in geo.split())  # dark: the night's share of the window


def test_geo_dark_share_is_the_night_inside_the_window() -> None:
    from datetime import UTC, datetime, timedelta

    from passplan import find_passes, resolve_satellites, select_stations
    from passplan.query import dark_fraction
    from passplan.sky import tonight

    st = select_stations(["xinglong"])[0]
    t0 = datetime(2026, 11, 23, tzinfo=UTC)
    geo = [p for p in find_passes(resolve_satellites(["DEMO-GEO-105E"], t0).satellites, [st], t0, t0 + timedelta(days=1))]
    assert len(geo) == 1
    night = tonight(st, t0, -12.0)  # xinglong's night of the 22nd/23rd, then the next
    nights = [night, tonight(st, night.end + timedelta(hours=1), -12.0)]
    inside = sum(
        max(0.0, (min(n.end, geo[0].los) - max(n.start, geo[0].aos)).total_seconds()) for n in nights
    ) / geo[0].duration_s
    assert dark_fraction(geo[0], -12.0) == pytest.approx(inside, abs=0.01)


def test_constraint_cut_is_marked_in_the_table() -> None:
    r = run("passes", "--sats", "DEMO-MEO-1", "--station", "graz", "--start", "2026-11-23T00:00Z", "--hours", "24",
            "--night", "nautical")
    row = next(line for line in r.stdout.splitlines() if "end darkness" in line)
    assert "*" in row and "start/end set by a constraint" in r.stdout


def test_tonight_same_day_gives_the_same_window_and_keys() -> None:
    base = ["tonight", "graz", "--sats", "DEMO-SSO-1", "--format", "json"]
    a = run(*base, "--date", "2026-11-23T14:00:00+01:00")
    b = run(*base, "--date", "2026-11-23T14:00:07.3+01:00")
    c = run(*base, "--date", "2026-11-23T19:30:00+01:00")
    assert a.exit_code == b.exit_code == c.exit_code == 0
    assert a.stdout == b.stdout == c.stdout and json.loads(a.stdout)
    assert a.stderr.splitlines()[0] == c.stderr.splitlines()[0]


def test_tonight_under_the_midnight_sun_says_there_is_no_dark_period(tmp_path: Path) -> None:
    st = tmp_path / "st.toml"
    st.write_text('[stations.tromso]\nlat_deg = 69.65\nlon_deg = 18.96\nalt_m = 100\ntimezone = "Europe/Oslo"\n')
    r = run("tonight", "tromso", "--stations", str(st), "--date", "2026-06-21", "--sats", "DEMO-SSO-1", "--format", "json")
    assert r.exit_code == 0, r.output
    assert "no dark period" in r.stderr and "window used" in r.stderr
    assert "dark (" not in r.stderr


def test_progress_counts_search_blocks_and_key_units() -> None:
    from datetime import UTC, datetime, timedelta

    from passplan.cli.table import key_unit, limit_code
    from passplan.keyrate import REASONS
    from passplan.query import _ticking

    ticks: list[tuple[int, int]] = []
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    out = list(_ticking(iter("abc"), lambda d, n, w="": ticks.append((d, n)), t0, t0 + timedelta(days=3), 86400.0))
    assert out == ["a", "b", "c"] and ticks == [(1, 3), (2, 3), (3, 3)]
    assert key_unit(999.0) == ("bit", 1.0) and key_unit(226_600.0) == ("kbit", 1e3)
    assert key_unit(270_868_600.0) == ("Mbit", 1e6)  # 270868.6 kbit: six digits, so Mbit
    assert {limit_code(REASONS[k]) for k in REASONS if REASONS[k]} == {"clicks", "counts", "test", "qber", "finite"}
    assert limit_code(None) == "" and limit_code("something new") == "other"
    assert limit_code("no whole key slot: the pass lasts 0.499 s, less than one 1 s slot") == "slot"


def test_tonight_key_plot_searches_once_and_builds_one_sampling_scene(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``tonight --key --plot``: the night is searched once (the chart draws the listed passes and
    their forecasts, no second search), one geometry scene samples every pass of the station
    (forecast and chart share it), one forecast batch (it searched twice and built 6 scenes)."""
    import passplan.forecast as forecast
    import passplan.geometry as geometry
    import passplan.passes.engine as engine
    import passplan.passes.sampling as sampling

    counts = {"search": 0, "scene": 0, "sample_scene": 0, "forecast": 0}

    def counting(module, name, key):
        real = getattr(module, name)

        def wrapper(*a, **k):
            counts[key] += 1
            return real(*a, **k)

        monkeypatch.setattr(module, name, wrapper)

    real_search_init, real_scene_init = engine._Search.__init__, geometry.Scene.__init__

    def search_init(self, *a, **k):
        counts["search"] += 1
        real_search_init(self, *a, **k)

    def scene_init(self, *a, **k):
        counts["scene"] += 1
        real_scene_init(self, *a, **k)

    monkeypatch.setattr(engine._Search, "__init__", search_init)
    monkeypatch.setattr(geometry.Scene, "__init__", scene_init)
    counting(sampling, "sample_scene", "sample_scene")
    counting(forecast, "forecast_passes", "forecast")
    sky = tmp_path / "sky.svg"
    r = run("tonight", "xinglong", "--sats", "micius", "--allow-stale", "--date", "2016-12-19", "--key",
            "--plot", str(sky), "--format", "json")
    assert r.exit_code == 0, r.output
    (rec,) = json.loads(r.stdout)
    assert rec["secret_key_bits"] > 1e5
    svg = sky.read_bytes()
    assert svg.startswith(b"<?xml") and b"forecast key rate" in svg and b"QSS (MOZI) 00:48" in svg
    assert counts == {"search": 1, "scene": 2, "sample_scene": 1, "forecast": 1}  # scenes: search grid + samples
