"""The grid-once engine's own guarantees: pass uids, records from arrays, time blocks that stitch
exactly, and the Hermite interpolant's error against SGP4 itself."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from passplan.elements import Satellite, bundled_tle_dir, demo_fleet_path, load_file, nearest_epoch
from passplan.geometry import Scene, StateGrid
from passplan.passes import Constraints, find_passes, iter_passes, passes_to_records
from passplan.passes.engine import _grid_step
from passplan.stations import HorizonMask, Station, load_stations

STATIONS = load_stations()
MICIUS_2016 = (
    "1 41731U 16051A   16354.56913372  .00000384  00000-0  18801-4 0  9991",
    "2 41731  97.3698 268.1064 0013349 175.8929 309.0190 15.23916091 19164",
)
UID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*-\d{8}T\d{6}Z$")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo() -> list[Satellite]:
    return load_file(demo_fleet_path(), at=utc(2026, 11, 23))


def test_uid_names_the_micius_pass() -> None:
    sat = Satellite.from_tle(*MICIUS_2016, name="MICIUS")
    ps = find_passes([sat], [STATIONS["xinglong"]], utc(2016, 12, 19, 12), utc(2016, 12, 19, 22))
    p = ps[0]
    assert p.uid == "41731-xinglong-" + p.aos.strftime("%Y%m%dT%H%M%SZ")
    assert p.uid.startswith("41731-xinglong-20161219T1648")
    assert list(p.to_dict())[0] == "uid" and p.to_dict()["uid"] == p.uid


def test_uid_stable_unique_and_safe(demo: list[Satellite]) -> None:
    t0 = utc(2026, 11, 23)
    stations = list(STATIONS.values())
    a = find_passes(demo, stations, t0, t0 + timedelta(hours=12))
    b = find_passes(demo, stations, t0, t0 + timedelta(hours=12))
    uids = [p.uid for p in a]
    assert uids == [p.uid for p in b]
    assert len(set(uids)) == len(uids) > 10
    assert all(UID.match(u) for u in uids), [u for u in uids if not UID.match(u)]
    # no catalogue number: the satellite name, slugged
    nameless = Satellite.from_tle(*MICIUS_2016, name="Mo Zi / QSS (test)")
    object.__setattr__(nameless, "norad_id", None)
    p = find_passes([nameless], [STATIONS["xinglong"]], utc(2016, 12, 19, 12), utc(2016, 12, 19, 22))[0]
    assert p.uid.startswith("mo-zi-qss-test-xinglong-20161219T1648") and UID.match(p.uid)


def test_passes_to_records_equal_to_dict(demo: list[Satellite]) -> None:
    """Same keys, order, rounding and strings as Pass.to_dict, plain Python values only."""
    t0 = utc(2026, 11, 23, 6)
    c = Constraints(darkness="nautical", max_range_km=3000.0)
    ps = find_passes(demo, list(STATIONS.values()), t0, t0 + timedelta(hours=18), c, include_excluded=True)
    assert any(p.excluded for p in ps) and any(p.partial for p in ps)
    records = passes_to_records(ps)
    expected = [p.to_dict() for p in ps]
    assert records == expected
    assert [list(r) for r in records] == [list(e) for e in expected]
    plain = (float, int, bool, str, type(None))
    assert all(type(v) in plain for r in records for v in r.values())
    assert json.dumps(records) == json.dumps(expected)
    assert passes_to_records([]) == []


def _masked_station() -> Station:
    mask = HorizonMask.from_points([[350, 25], [40, 8], [120, 30], [200, 5], [280, 18]])
    return Station(id="masked", lat_deg=40.0, lon_deg=116.3, alt_m=50.0, min_elevation_deg=5.0, horizon_mask=mask)


def _key(p):  # the order find_passes guarantees
    return (p.aos, p.station, p.satellite)


@pytest.mark.parametrize(
    "constraints",
    [
        Constraints(darkness="civil", max_range_km=2500.0),
        Constraints(eclipse=False, min_elevation_deg=5.0),
    ],
    ids=["darkness+range", "sunlit"],
)
def test_blocks_stitch_to_find_passes(demo: list[Satellite], constraints: Constraints) -> None:
    """LEO, MEO and GEO demo satellites, a masked station and constraints, excluded passes
    included: for block sizes that cut through passes (5 h, 2.2 h) and one longer than the
    search, the blocks' passes, sorted, are exactly find_passes' (every field)."""
    t0 = utc(2026, 11, 23, 3)
    t1 = t0 + timedelta(hours=30)
    stations = [STATIONS["xinglong"], STATIONS["stellenbosch"], _masked_station()]
    whole = find_passes(demo, stations, t0, t1, constraints, include_excluded=True)
    assert any(p.satellite.startswith("DEMO-GEO") or "GEO" in p.satellite for p in whole)
    assert any(p.excluded for p in whole) and any(not p.excluded for p in whole)
    crossing = 0
    for block_s in (5 * 3600.0, 8000.0, 40 * 3600.0):
        blocks = list(iter_passes(demo, stations, t0, t1, constraints, include_excluded=True, block_s=block_s))
        assert len(blocks) == int(np.ceil(30 * 3600 / (round(block_s / _grid_step(demo)) * _grid_step(demo))))
        joined = [p for b in blocks for p in b]
        for b in blocks:
            assert [_key(p) for p in b] == sorted(_key(p) for p in b)
        assert sorted(joined, key=_key) == list(whole)
        assert [p.to_dict() for p in sorted(joined, key=_key)] == [p.to_dict() for p in whole]
        # partial only at the real ends of the search
        assert all(p.aos == t0 or p.los == t1 for p in joined if p.partial)
        edges = [t0 + timedelta(seconds=k * block_s) for k in range(1, len(blocks))]
        crossing += sum(1 for p in whole for e in edges if p.rise < e < p.set)
    assert crossing >= 10, "the block sizes should cut through passes"


def test_sgp4_failure_warned_once_across_blocks() -> None:
    t0 = utc(2026, 11, 23)
    sats = nearest_epoch(load_file(bundled_tle_dir() / "micius_41731.tle"), t0)
    blocks = list(iter_passes(sats, [STATIONS["xinglong"]], t0, t0 + timedelta(days=3), block_s=86400.0))
    assert len(blocks) == 3
    assert [len(b.warnings) for b in blocks] == [1, 0, 0]
    ps = find_passes(sats, [STATIONS["xinglong"]], t0, t0 + timedelta(days=3))
    assert len(ps.warnings) == 1 and len(ps) == 0


def test_hermite_interpolation_error_against_sgp4(demo: list[Satellite]) -> None:
    """At mid-points (where the cubic Hermite error peaks) of the engine's own grid (90 s for
    the demo's 500 km orbits), over a day: position within 3 m of SGP4 (the bound
    h^4 n^4 a / 384 is 1.7 m; measured 1.9 m) and velocity within 0.1 m/s (measured 3.5 cm/s at
    any step: SGP4's velocity is not exactly the derivative of its position); exact at grid
    points."""
    leo = [s for s in demo if s.satrec.no_kozai * 1440 / (2 * np.pi) > 11.0]
    assert leo
    step = _grid_step(leo)
    t0 = utc(2026, 11, 23)
    scene = Scene([s.satrec for s in leo], [STATIONS["xinglong"]], t0, t0 + timedelta(days=1))
    n = int(86400 / step)
    times = np.arange(n + 1) * step
    pos, vel, err = scene.sat_state_grid(times)
    assert np.all(err == 0)
    grid = StateGrid(pos, vel, err == 0, 0, step)
    sat = np.repeat(np.arange(len(leo)), n)
    mid = np.tile(times[:-1] + step / 2, len(leo))
    p_i, v_i, ok = grid.state(sat, mid)
    p_t, v_t, e_t = scene.sat_state_at(sat, mid)
    assert ok.all() and np.all(e_t == 0)
    dp = np.linalg.norm(p_i - p_t, axis=1) * 1000.0
    dv = np.linalg.norm(v_i - v_t, axis=1) * 1000.0
    assert step == 90.0
    assert dp.max() < 3.0, dp.max()
    assert dv.max() < 0.1, dv.max()
    assert dp.max() > 0.01  # an interpolant, not SGP4 itself
    at = np.tile(times[:-1], len(leo))
    p_g, _, _ = grid.state(sat, at)
    assert np.array_equal(p_g, pos[sat, np.tile(np.arange(n), len(leo))])


def test_refraction_and_separations_on_the_same_footing() -> None:
    """With refraction the AOS/LOS are where the apparent elevation (geometric, from SGP4 via
    sample_pass, plus Saemundsson refraction) meets the floor; Sun and Moon separation edges
    stitch across blocks like the others."""
    from passplan.geometry import refraction_deg

    sat = Satellite.from_tle(*MICIUS_2016, name="MICIUS")
    st = STATIONS["xinglong"]
    t0, t1 = utc(2016, 12, 18), utc(2016, 12, 20)
    c = Constraints(min_elevation_deg=5.0, refraction=True)
    ps = find_passes([sat], [st], t0, t1, c)
    plain = find_passes([sat], [st], t0, t1, Constraints(min_elevation_deg=5.0))
    assert len(ps) == len(plain) >= 4
    from passplan.passes import sample_pass

    for p, q in zip(ps, plain, strict=True):
        assert 1.0 < (q.aos - p.aos).total_seconds() < 30.0  # refraction lifts the satellite earlier
        g = sample_pass(p, 1.0)
        for el in (g.el_deg[0], g.el_deg[-1]):
            assert el + refraction_deg(el) == pytest.approx(5.0, abs=0.005)
    sep = Constraints(min_sun_sep_deg=60.0, min_moon_sep_deg=40.0, max_range_km=1800.0)
    whole = find_passes([sat], [st], t0, t1, sep, include_excluded=True)
    cut = {p.cut_start_by for p in whole} | {p.cut_end_by for p in whole} | {p.excluded_by for p in whole}
    assert cut & {"sun_separation", "moon_separation"}, cut
    joined = [p for b in iter_passes([sat], [st], t0, t1, sep, include_excluded=True, block_s=3 * 3600.0) for p in b]
    assert sorted(joined, key=_key) == list(whole)


def test_iter_passes_checks_its_arguments_at_the_call() -> None:
    from passplan.errors import InputError

    sat = Satellite.from_tle(*MICIUS_2016, name="MICIUS")
    with pytest.raises(InputError, match="block_s"):
        iter_passes([sat], [STATIONS["xinglong"]], utc(2016, 12, 19), utc(2016, 12, 20), block_s=0.0)
    with pytest.raises(InputError, match="not after"):
        iter_passes([sat], [STATIONS["xinglong"]], utc(2016, 12, 20), utc(2016, 12, 19))
    assert list(iter_passes([], [STATIONS["xinglong"]], utc(2016, 12, 19), utc(2016, 12, 20))) == []


def _old_object_path(ps) -> dict[str, str]:
    """JSON, NDJSON and CSV as the CLI wrote them before the array path: Pass objects, then
    passes_to_records."""
    from passplan.io import to_csv, to_json, to_ndjson

    recs = passes_to_records(ps)
    return {"json": to_json(recs), "ndjson": to_ndjson(recs), "csv": to_csv(recs)}


@pytest.mark.parametrize("block_s", [86400.0, 7000.0])
def test_array_path_bytes_equal_object_path(demo: list[Satellite], block_s: float) -> None:
    """Several stations and satellites (LEO, MEO, GEO), constraints, constraint-cut, window-cut
    and excluded passes: the records made from the engine's arrays, released in order block by
    block (records_in_order, as the CLI writes them), are byte for byte the object path's in
    JSON, NDJSON and CSV; and each block's columns give exactly passes_to_records(passes)."""
    import io as _io

    from passplan.io import RecordWriter
    from passplan.passes import records_in_order

    t0 = utc(2026, 11, 23, 3)
    t1 = t0 + timedelta(hours=40)
    stations = [STATIONS["graz"], STATIONS["jinan"], STATIONS["xinglong"], _masked_station()]
    c = Constraints(darkness="nautical", max_range_km=1500.0)
    whole = find_passes(demo, stations, t0, t1, c, include_excluded=True)
    cut = [p for p in whole if p.cut_start_by not in (None, "window") or p.cut_end_by not in (None, "window")]
    assert cut and any(p.excluded for p in whole) and any(p.partial for p in whole)
    assert len({p.satellite for p in whole}) >= 5 and len({p.station for p in whole}) == 4
    expected = _old_object_path(whole)
    warned: list[str] = []
    for fmt in ("json", "ndjson", "csv"):
        blocks = iter_passes(demo, stations, t0, t1, c, include_excluded=True, block_s=block_s)
        out = _io.StringIO()
        writer = RecordWriter(out, fmt)
        composed = 0
        for chunk in records_in_order(blocks, warned.append, len(demo) * len(stations), chunk=7):
            composed += chunk.json_lines() is not None  # JSON text straight from the columns
            writer.write(chunk)
        assert composed > 0
        writer.close()
        assert out.getvalue() == expected[fmt], fmt
    for b in iter_passes(demo, stations, t0, t1, c, include_excluded=True, block_s=block_s):
        assert b.columns.records() == passes_to_records(b.passes) == [p.to_dict() for p in b.passes]
    assert warned == []


def test_json_text_from_columns_defers_to_the_encoder_where_it_must() -> None:
    """Column by column JSON equals the encoder's for plain values, and gives way (None) where
    only the encoder knows the answer: NaN (written as null), numpy scalars."""
    from passplan.io import _dumps
    from passplan.passes.columns import _json_tokens

    col = [0.1, 1e-07, 123456789.125, -0.0, None, 2.5e300]
    assert _json_tokens(col) == [_dumps(v) for v in col]
    names = ['Micius "QSS"', "Ångström", None, "tab\tline"]
    assert _json_tokens(names) == [_dumps(v) for v in names]
    assert _json_tokens([True, False, None]) == ["true", "false", "null"]
    assert _json_tokens([41731, None]) == ["41731", "null"]
    assert _json_tokens([1.0, float("nan")]) is None
    assert _json_tokens([np.float64(1.0)]) is None
    assert _json_tokens([1, 2.0]) is None  # mixed: the encoder decides



def test_decimal_text_of_whole_columns_is_python_repr_of_round() -> None:
    """The column-at-once number text is ``repr(round(v, d))`` (the JSON encoder's) for every
    value: random magnitudes, halves, negative zero, integer parts on both sides of the digit
    table; non-finite and huge values are left to the encoder (None)."""
    from passplan.passes.columns import _compose, _decimal

    rng = np.random.default_rng(11)
    x = np.concatenate([
        rng.uniform(-400, 40000, 3000),
        10.0 ** rng.uniform(-5, 10.5, 3000) * rng.choice([-1, 1], 3000),
        np.arange(-2000, 2000) / 1000 + 0.0005,
        np.array([0.0, -0.0, -0.0004, 0.00005, 99999.9996, 99999.99949, 123456.5, 1e-9, 2.675, 99999999999.9]),
    ])
    for digits in (2, 3, 4):
        text = _compose([_decimal(x, digits), np.frombuffer(b"|", np.uint8).reshape(1, 1)], x.size).decode()
        assert text.split("|")[:-1] == [repr(round(v, digits)) for v in x.tolist()]
    assert _decimal(np.array([1.0, np.nan]), 3) is None
    assert _decimal(np.array([1.0, np.inf]), 3) is None
    assert _decimal(np.array([1e17]), 3) is None


def test_general_text_of_whole_columns_is_percent_g() -> None:
    """The column-at-once CSV number text is ``"%.6g" % round(v, d)`` for every value: six-digit
    rounding with carries and decimal ties, exponent notation, negative zero; NaN and
    infinities empty (as the CSV writer leaves them)."""
    from passplan.passes.columns import _compose, _general6

    rng = np.random.default_rng(12)
    x = np.concatenate([
        rng.uniform(-400, 40000, 3000), 10.0 ** rng.uniform(-6, 9, 3000) * rng.choice([-1, 1], 3000),
        rng.integers(0, 10**7, 2000) / 10.0 ** rng.integers(0, 5, 2000),
        np.array([0.0, -0.0, 100000.5, 999999.5, 999999.4, 1234567.0, 0.0001, 0.00005, 12.5, 99.99995, 9.999995,
                  123456.5, 1234565.0, 0.001, 1e17]),
    ])
    sep = np.frombuffer(b"|", np.uint8).reshape(1, 1)
    g6 = "%.6g".__mod__  # the CSV writer's cell (passplan.io)
    for digits in (2, 3, 4):
        got = _compose([_general6(x, digits), sep], x.size).decode().split("|")[:-1]
        assert got == [g6(round(v, digits)) for v in x.tolist()]
    got = _compose([_general6(np.array([np.nan, 1.5, np.inf]), 3), sep], 3).decode()
    assert got == "|1.5||"


def test_iso_text_of_whole_columns_is_iso_z() -> None:
    """Column-at-once times equal ``iso_z`` and the uid's basic form (``strftime``), before and
    after 1970, over many days and one."""
    from passplan.passes.columns import _compose, _iso_text, unix_us
    from passplan.times import iso_z

    rng = np.random.default_rng(5)
    us = np.concatenate([rng.integers(-10**15, 10**16, 2000), unix_us(utc(2026, 11, 23)) + rng.integers(0, 86_400_000_000, 500),
                         np.array([0, -1, -999, -1000, 999, 86_399_999_999])])
    sep = np.frombuffer(b"|", np.uint8).reshape(1, 1)
    when = [datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=u) for u in us.tolist()]
    for lo, hi in ((0, us.size), (2000, 2500)):  # dates by span of days, and by unique
        got = _compose([_iso_text(us[lo:hi]), sep], hi - lo).decode().split("|")[:-1]
        assert got == [iso_z(w) for w in when[lo:hi]]
    basic = _compose([_iso_text(us, basic=True), sep], us.size).decode().split("|")[:-1]
    assert basic == [w.strftime("%Y%m%dT%H%M%SZ") for w in when]


def test_json_text_of_columns_equals_the_encoder() -> None:
    """A block's text composed at once equals the encoder's record by record (and the csv
    module's row by row): names that need escaping (quoting), catalogue numbers and none,
    unknown epochs (null ages), negative azimuths, labels."""

    from column_fakes import random_columns

    from passplan.io import _dumps

    cols = random_columns(40, 2)
    want = [_dumps(r) for r in cols.records()]
    assert cols.json_lines() == want
    assert cols.json_text(",\n") == ",\n".join(want)
    assert cols.json_text("\n") == "\n".join(want)
    # CSV: the csv module's cells of the same records (quoted names, empty None), any columns
    from passplan.io import to_csv

    for columns in (list(want_keys := cols.records()[0]), ["satellite", "elements_age_days", "uid", "cut_start_by"]):
        assert to_csv(cols.records(), columns).split("\n", 1)[1] == cols.csv_text(columns)
    assert cols.csv_text(["uid"]) is None and cols.csv_text(["uid", "nope"]) is None
    from passplan.passes.columns import ColumnRecords

    assert list(want_keys) == ColumnRecords(cols).record_keys() and len(want_keys) == 24
    cols.max_el_deg[3] = np.nan  # the encoder's business (null); an empty CSV cell
    assert cols.json_text("\n") is None
    assert to_csv(cols.records()).split("\n", 1)[1] == cols.csv_text(list(want_keys))

def test_lazy_block_passes_pickle_and_measure(demo: list[Satellite]) -> None:
    import pickle

    t0 = utc(2026, 11, 23)
    block = next(iter_passes(demo, [STATIONS["graz"]], t0, t0 + timedelta(hours=12)))
    assert "passes" not in block.__dict__ and len(block) > 3  # measured without building passes
    back = pickle.loads(pickle.dumps(block))
    assert back.passes == block.passes and back.complete_before is None


def test_round_like_python_equals_round() -> None:
    from passplan.passes.columns import round_like_python

    rng = np.random.default_rng(3)
    x = np.concatenate([
        rng.uniform(-400, 40000, 20000),
        np.arange(-2000, 2000) / 1000 + 0.0005,  # half-way in decimal, not in binary
        np.array([0.0625, 0.125, 2.675, -0.0004, np.nan, np.inf, 1e17]),
    ])
    for digits in (2, 3, 4):
        got = round_like_python(x, digits)
        want = [round(v, digits) for v in x.tolist()]
        assert [repr(g) for g in got] == [repr(w) for w in want]


def test_station_dark_fraction_against_a_sun_scan(demo: list[Satellite]) -> None:
    """The dark fraction of a GEO window spanning two nights and of LEO passes equals a 20-s
    scan of Skyfield's Sun elevation at the station (below the darkness angle), to 0.002."""
    from skyfield.api import wgs84

    from passplan.ephemeris import planets
    from passplan.times import timescale

    t0 = utc(2026, 11, 23, 3)
    st = STATIONS["jinan"]
    ps = find_passes(demo, [st], t0, t0 + timedelta(hours=40), Constraints())
    geo = [p for p in ps if "GEO" in p.satellite]
    leo = [p for p in ps if p.duration_s > 60][:12]
    assert geo and geo[0].duration_s > 30 * 3600 and 0.2 < geo[0].station_dark_fraction < 0.8
    assert geo[0].station_dark is False
    eph = planets()
    ts = timescale()
    observer = eph["earth"] + wgs84.latlon(st.lat_deg, st.lon_deg, elevation_m=st.alt_m)
    threshold = (st.twilight_deg if st.twilight_deg is not None else -12.0) + 0.02
    for p in geo + leo:
        n = max(int(p.duration_s / 20.0), 2)
        t = ts.from_datetimes([p.aos + timedelta(seconds=(i + 0.5) * p.duration_s / n) for i in range(n)])
        sun_el = observer.at(t).observe(eph["sun"]).apparent().altaz()[0].degrees
        scan = float(np.mean(sun_el < threshold))
        assert p.station_dark_fraction == pytest.approx(scan, abs=max(0.002, 1.5 / n)), p
        if p.station_dark:
            assert p.station_dark_fraction == 1.0


def test_window_of_each_point_against_brute_force() -> None:
    """Summaries find each point's window (the last of its pass starting at or before it,
    ``slack`` s tolerance, if it has not ended) and each window's first highest and nearest
    point as a scan of every window and point says: passes with one window, several, none,
    points at window edges and between windows."""
    from passplan.passes.summary import _assign, _window_points

    rng = np.random.default_rng(8)
    w_pid, w0, w1 = [], [], []
    for pid in range(60):
        edges = np.sort(rng.choice(np.arange(0, 200, 5.0), 2 * int(rng.integers(0, 4)), replace=False))
        for a, b in edges.reshape(-1, 2):
            w_pid.append(pid), w0.append(a), w1.append(b)
    wp, a, b = np.array(w_pid), np.array(w0), np.array(w1)
    pid = rng.integers(0, 62, 800)
    t = np.where(rng.random(800) < 0.3, rng.choice(np.arange(0, 200, 5.0), 800), rng.uniform(0, 200, 800))

    def brute(p_: int, t_: float, slack: float) -> int:
        started = [j for j in range(wp.size) if wp[j] == p_ and a[j] - slack <= t_]
        return started[-1] if started and t_ <= b[started[-1]] + slack else -1

    for slack in (0.0, 0.01):
        want = [brute(p_, t_, slack) for p_, t_ in zip(pid.tolist(), t.tolist(), strict=True)]
        assert _assign(wp, a, b, pid, t, slack).tolist() == want
    # one point at each window start, then random ones (ties in elevation and range included)
    n = wp.size
    pts = {"pid": np.concatenate([wp, pid]), "t": np.concatenate([a, t]),
           "el": rng.integers(0, 5, n + pid.size).astype(float), "rng": rng.integers(0, 5, n + pid.size).astype(float)}
    p, best, near, first, last = _window_points({"points": pts}, wp, a, b)
    held = [brute(p_, t_, 0.0) for p_, t_ in zip(p["pid"].tolist(), p["t"].tolist(), strict=True)]
    for j in range(n):
        mine = [i for i, w in enumerate(held) if w == j]
        assert (first[j], last[j]) == (mine[0], mine[-1])
        assert best[j] == mine[int(np.argmax(p["el"][mine]))] and near[j] == mine[int(np.argmin(p["rng"][mine]))]


def test_release_order_check_and_pair_bounds() -> None:
    """The stream skips its sort only when a stable sort would move no row; the last-LOS bound
    per pair is the same whether kept in the array (one search's lists) or by name."""
    from types import SimpleNamespace

    from passplan.passes.columns import PassColumns
    from passplan.passes.stream import _in_order, _Pairs

    rng = np.random.default_rng(4)
    for _ in range(400):
        n = int(rng.integers(0, 9))
        keys = [rng.integers(0, 3, n) for _ in range(3)]
        assert _in_order(*keys) == bool(np.all(np.lexsort(keys[::-1]) == np.arange(n)))
    sats, stations = [SimpleNamespace(name=f"S{i}") for i in range(4)], [SimpleNamespace(id=f"g{i}") for i in range(3)]

    def block(n: int) -> PassColumns:
        z = np.zeros(n)
        return PassColumns(sats, stations, rng.integers(0, 4, n), rng.integers(0, 3, n), z, z, rng.integers(-10**6, 10**9, n),
                           z, z, z, z, z, z, z, z, z.astype(bool), z, z.astype(bool), [None] * n, [None] * n, [None] * n)

    fast, by_name = _Pairs(), _Pairs()
    by_name._to_dict()
    by_name.last[("other", "x")] = 10**12  # a pair of another search: the dict from the start
    for _ in range(5):
        b = block(int(rng.integers(1, 8)))
        fast.add(b)
        by_name.add(b)
        assert fast._lists is not None and fast.count() == by_name.count() - 1
        assert fast.earliest() == min(v for k, v in by_name.last.items() if k != ("other", "x"))
    fast._to_dict()
    assert fast._lists is None and fast.last == {k: v for k, v in by_name.last.items() if k != ("other", "x")}


def test_points_by_pass_and_time_as_lexsort() -> None:
    """The summaries' sort of points by pass, then time, is ``np.lexsort``'s to the row: ties
    in time (kept in row order), pass ids spanning 16, 32 and 40 bits, NaN times."""
    from passplan.passes.summary import _by_pass_and_time

    rng = np.random.default_rng(9)
    for span in (5, 70_000, 5_000_000_000, 1 << 40):
        for _ in range(60):
            n = int(rng.integers(0, 400))
            pid = rng.integers(0, span, n) if rng.random() < 0.5 else rng.choice(rng.integers(0, span, 4), n)
            t = rng.integers(0, 6, n).astype(float) if rng.random() < 0.5 else rng.uniform(0, 1e5, n)
            if n and rng.random() < 0.1:
                t[0] = np.nan
            assert np.array_equal(_by_pass_and_time(pid, t), np.lexsort((t, pid)))
