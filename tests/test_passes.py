"""The pass engine against authorities: the published Micius pass, Skyfield's find_events, a
brute-force 1-s scan refined by root finding (Skyfield's own topocentric code), pyorbital (an
independent SGP4 and Earth-rotation implementation) and Skyfield's sunlit test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from scipy.optimize import brentq
from skyfield.api import EarthSatellite, wgs84

from passplan.elements import Satellite, load_file
from passplan.errors import InputError
from passplan.passes import Constraints, find_passes, sample_pass
from passplan.stations import HorizonMask, Station, load_stations
from passplan.times import timescale

# Micius element set for the 19 December 2016 Xinglong pass (Liao et al. 2017), a fact quoted in
# ../shared/reference/README.md section 1.
MICIUS_2016 = (
    "1 41731U 16051A   16354.56913372  .00000384  00000-0  18801-4 0  9991",
    "2 41731  97.3698 268.1064 0013349 175.8929 309.0190 15.23916091 19164",
)
STATIONS = load_stations()


def micius() -> Satellite:
    return Satellite.from_tle(*MICIUS_2016, name="MICIUS")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(scope="module")
def iss() -> Satellite:
    """The ISS element set of 2026-03-19 bundled in data/tle (CelesTrak GP)."""
    from passplan.elements import bundled_tle_dir

    return load_file(bundled_tle_dir() / "iss_2026-03.tle")[0]


def test_micius_2016_12_19_xinglong_reference() -> None:
    """Reference README section 1: rise 16:48:44, culmination 16:52:14, set 16:55:41 UTC,
    max elevation 47.8 deg, minimum range 645.3 km; 273 s with range <= 1200 km."""
    ps = find_passes([micius()], [STATIONS["xinglong"]], utc(2016, 12, 19, 12), utc(2016, 12, 19, 22))
    assert len(ps) == 1
    p = ps[0]
    assert abs((p.aos - utc(2016, 12, 19, 16, 48, 44)).total_seconds()) < 1.0
    assert abs((p.tca - utc(2016, 12, 19, 16, 52, 14)).total_seconds()) < 1.0
    assert abs((p.los - utc(2016, 12, 19, 16, 55, 41)).total_seconds()) < 1.0
    assert p.max_el_deg == pytest.approx(47.8, abs=0.05)
    assert p.min_range_km == pytest.approx(645.3, abs=0.1)
    assert not p.partial and p.station_dark and p.sat_sunlit_fraction == 0.0
    cut = find_passes(
        [micius()], [STATIONS["xinglong"]], utc(2016, 12, 19, 12), utc(2016, 12, 19, 22), Constraints(max_range_km=1200)
    )
    assert len(cut) == 1
    assert cut[0].duration_s == pytest.approx(273.0, abs=1.0)
    assert cut[0].cut_start_by == "max_range" and cut[0].cut_end_by == "max_range"
    geo = sample_pass(cut[0], 1.0)
    assert geo.range_km[0] == pytest.approx(1200.0, abs=0.5)
    assert min(geo.el_deg[0], geo.el_deg[-1]) == pytest.approx(19.3, abs=0.1)
    assert geo.range_km[-1] == pytest.approx(1200.0, abs=0.5)


def _skyfield_events(sat: Satellite, st: Station, t0: datetime, t1: datetime, alt: float):
    ts = timescale()
    es = EarthSatellite.from_satrec(sat.satrec, ts)
    topos = wgs84.latlon(st.lat_deg, st.lon_deg, elevation_m=st.alt_m)
    t, ev = es.find_events(topos, ts.from_datetime(t0), ts.from_datetime(t1), altitude_degrees=alt)
    return [x.utc_datetime() for x in t], list(ev)


def test_every_skyfield_event_found_and_no_phantoms(iss: Satellite) -> None:
    """Skyfield's find_events at the same threshold: same rises and sets (within 1 s), same
    culminations (within 2 s; Skyfield refines them coarsely), nothing extra."""
    sats = [iss]
    t0, t1 = utc(2026, 3, 19), utc(2026, 3, 21)
    stations = [STATIONS[s] for s in ("xinglong", "graz", "stellenbosch", "ngari")]
    ours = find_passes(sats, stations, t0, t1, Constraints(min_elevation_deg=10.0))
    n_checked = 0
    for sat in sats:
        for st in stations:
            times, events = _skyfield_events(sat, st, t0, t1, 10.0)
            mine = [p for p in ours if p.station == st.id and p.satellite == sat.name]
            rises = [t for t, e in zip(times, events, strict=True) if e == 0]
            sets = [t for t, e in zip(times, events, strict=True) if e == 2]
            full = [p for p in mine if not p.partial]
            assert len(full) == len(rises) == len(sets), (st.id, len(full), len(rises))
            for p, r, s in zip(full, rises, sets, strict=True):
                assert abs((p.aos - r).total_seconds()) < 1.0
                assert abs((p.los - s).total_seconds()) < 1.0
                n_checked += 1
    assert n_checked >= 8


def _brute_force(sat: Satellite, st: Station, t0: datetime, hours: float, mask: HorizonMask | None, floor: float):
    """1-s scan of Skyfield's elevation, roots refined with Brent's method to 1 ms."""
    ts = timescale()
    es = EarthSatellite.from_satrec(sat.satrec, ts)
    topos = wgs84.latlon(st.lat_deg, st.lon_deg, elevation_m=st.alt_m)
    diff = es - topos

    def margin(sec: np.ndarray | float) -> np.ndarray:
        sec = np.atleast_1d(np.asarray(sec, float))
        t = ts.utc(t0.year, t0.month, t0.day, t0.hour, t0.minute, t0.second + sec)
        alt, az, _ = diff.at(t).altaz()
        thr = np.full(sec.shape, floor)
        if mask is not None:
            thr = np.maximum(thr, mask.elevation_deg(az.degrees))
        return alt.degrees - thr

    s = np.arange(0.0, hours * 3600.0 + 1.0, 1.0)
    f = margin(s)
    idx = np.nonzero(np.sign(f[1:]) != np.sign(f[:-1]))[0]
    roots = [brentq(lambda x: float(margin(x)[0]), s[i], s[i + 1], xtol=1e-3) for i in idx]
    return [(t0 + timedelta(seconds=r), bool(f[i] <= 0)) for r, i in zip(roots, idx, strict=True)]


def _our_events(ps):
    ev = []
    for p in ps:
        if p.cut_start_by != "window":
            ev.append((p.aos, True))
        if p.cut_end_by != "window":
            ev.append((p.los, False))
    return sorted(ev)


@pytest.mark.parametrize("station_id", ["xinglong", "stellenbosch"])
def test_event_times_match_brute_force_scan(station_id: str) -> None:
    """Every horizon crossing within 0.05 s of a brute-force 1-s scan refined by root finding,
    over a day of the demo Jinan-1-class constellation (grazing passes included: threshold 0)."""
    t0 = utc(2026, 11, 23, 0)
    sats = load_file(_demo_path(), at=t0)[:3]
    st = STATIONS[station_id]
    hours = 8.0
    ours = find_passes(sats, [st], t0, t0 + timedelta(hours=hours), Constraints(min_elevation_deg=0.0))
    for sat in sats:
        ref = _brute_force(sat, st, t0, hours, None, 0.0)
        mine = _our_events([p for p in ours if p.satellite == sat.name])
        assert len(mine) == len(ref), (sat.name, len(mine), len(ref))
        for (tm, up_m), (tr, up_r) in zip(mine, ref, strict=True):
            assert up_m == up_r
            assert abs((tm - tr).total_seconds()) < 0.05


def test_horizon_mask_matches_brute_force() -> None:
    """An azimuth-dependent mask (periodic interpolation through north) cuts passes where a
    brute-force scan of elevation minus mask says, within 0.05 s."""
    mask = HorizonMask.from_points([[350, 25], [40, 8], [120, 30], [200, 5], [280, 18]])
    st = Station(id="masked", lat_deg=40.0, lon_deg=116.3, alt_m=50.0, min_elevation_deg=5.0, horizon_mask=mask)
    t0 = utc(2026, 11, 23, 10)
    sats = load_file(_demo_path(), at=t0)[:4]
    ours = find_passes(sats, [st], t0, t0 + timedelta(hours=10))
    total = 0
    for sat in sats:
        ref = _brute_force(sat, st, t0, 10.0, mask, 5.0)
        mine = _our_events([p for p in ours if p.satellite == sat.name])
        assert len(mine) == len(ref), sat.name
        for (tm, _), (tr, _) in zip(mine, ref, strict=True):
            assert abs((tm - tr).total_seconds()) < 0.05
        total += len(ref)
    assert total >= 6


def test_pyorbital_independent_predictor(iss: Satellite) -> None:
    """pyorbital (its own SGP4 and sidereal time) agrees on rise and set within 1 s (LEO)."""
    orbital_mod = pytest.importorskip("pyorbital.orbital")
    st = STATIONS["graz"]
    t0 = utc(2026, 3, 19)
    line1, line2 = _tle_lines(iss)
    orb = orbital_mod.Orbital("ISS", line1=line1, line2=line2)
    ref = orb.get_next_passes(t0.replace(tzinfo=None), 48, st.lon_deg, st.lat_deg, st.alt_m / 1000.0, tol=0.001, horizon=10.0)
    ours = [p for p in find_passes([iss], [st], t0, t0 + timedelta(hours=48), Constraints(min_elevation_deg=10.0)) if not p.partial]
    assert len(ref) >= 4
    assert len(ours) == len(ref)
    for p, (rise, fall, _) in zip(ours, ref, strict=True):
        assert abs((p.aos - rise.replace(tzinfo=UTC)).total_seconds()) < 1.0
        assert abs((p.los - fall.replace(tzinfo=UTC)).total_seconds()) < 1.0


def _tle_lines(sat: Satellite) -> tuple[str, str]:
    from passplan.elements import bundled_tle_dir

    lines = (bundled_tle_dir() / "iss_2026-03.tle").read_text().splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("1 25544"))
    return lines[i], lines[i + 1]


def _demo_path():
    from passplan.elements import demo_fleet_path

    return demo_fleet_path()


def test_geostationary_is_continuously_visible() -> None:
    """Skyfield's find_events gives a GEO satellite no rise or set; here it is one partial
    window covering the whole analysis span."""
    t0 = utc(2026, 11, 23)
    sats = [s for s in load_file(_demo_path(), at=t0) if "GEO" in s.name]
    assert sats
    ps = find_passes(sats, [STATIONS["xinglong"]], t0, t0 + timedelta(days=2))
    assert len(ps) == 1
    p = ps[0]
    assert p.partial and p.cut_start_by == "window" and p.cut_end_by == "window"
    assert p.duration_s == pytest.approx(2 * 86400.0, abs=0.01)
    assert 35.0 < p.max_el_deg < 48.0


def test_partial_passes_flagged_at_both_window_edges() -> None:
    sat = micius()
    st = STATIONS["xinglong"]
    ps = find_passes([sat], [st], utc(2016, 12, 19, 16, 50), utc(2016, 12, 19, 16, 54))
    assert len(ps) == 1
    p = ps[0]
    assert p.partial
    assert p.aos == utc(2016, 12, 19, 16, 50) and p.los == utc(2016, 12, 19, 16, 54)
    assert p.cut_start_by == "window" and p.cut_end_by == "window"
    assert abs((p.tca - utc(2016, 12, 19, 16, 52, 14)).total_seconds()) < 1.0


def test_excluded_passes_name_their_constraint() -> None:
    """The daytime Micius pass of 2016-12-19 is excluded by darkness and eclipse; the night one
    is kept. Without --all only usable windows come back."""
    sat = micius()
    st = STATIONS["xinglong"]
    c = Constraints(darkness="nautical", eclipse=True)
    kept = find_passes([sat], [st], utc(2016, 12, 19), utc(2016, 12, 20), c)
    everything = find_passes([sat], [st], utc(2016, 12, 19), utc(2016, 12, 20), c, include_excluded=True)
    assert [p.excluded for p in kept] == [False]
    excluded = [p for p in everything if p.excluded]
    assert len(excluded) == 1
    assert excluded[0].excluded_by == "darkness+eclipse"
    assert excluded[0].to_dict()["excluded_by"] == "darkness+eclipse"


def test_sunlit_fraction_and_shadow_edges_match_skyfield(iss: Satellite) -> None:
    """The sunlit fraction agrees with Skyfield's is_sunlit sampled every second, and a window
    cut by the sunlit constraint ends where Skyfield's test flips (within 0.05 s)."""
    t0 = utc(2026, 3, 19)
    stations = [STATIONS[s] for s in ("graz", "xinglong", "stellenbosch")]
    ps = find_passes([iss], stations, t0, t0 + timedelta(hours=36), Constraints(min_elevation_deg=0.0))
    ts = timescale()
    from passplan.ephemeris import planets

    eph = planets()
    es = EarthSatellite.from_satrec(iss.satrec, ts)
    crossing = 0
    for p in ps:
        n = int(p.duration_s)
        t = ts.from_datetimes([p.aos + timedelta(seconds=i + 0.5) for i in range(n)])
        lit = es.at(t).is_sunlit(eph)
        assert p.sat_sunlit_fraction == pytest.approx(lit.mean(), abs=1.5 / n + 1e-9)
        crossing += 0 < lit.mean() < 1
    assert crossing >= 1, "the sample should include a pass crossing the shadow edge"
    cut = [
        p
        for p in find_passes([iss], stations, t0, t0 + timedelta(hours=36), Constraints(min_elevation_deg=0.0, eclipse=False))
        if p.cut_end_by == "sunlit" or p.cut_start_by == "sunlit"
    ]
    assert cut
    for p in cut:
        edge = p.los if p.cut_end_by == "sunlit" else p.aos
        pair = ts.from_datetimes([edge - timedelta(seconds=0.05), edge + timedelta(seconds=0.05)])
        before, after = es.at(pair).is_sunlit(eph)
        assert before != after


def test_darkness_edges_match_sun_elevation() -> None:
    """A window cut by darkness starts where the Sun sits at the twilight angle."""
    from passplan.sky import sun_elevation_deg

    t0 = utc(2026, 11, 23, 6)
    sats = load_file(_demo_path(), at=t0)
    st = STATIONS["xinglong"]
    ps = find_passes(sats, [st], t0, t0 + timedelta(hours=24), Constraints(darkness="civil"))
    cut = [p for p in ps if p.cut_start_by == "darkness" or p.cut_end_by == "darkness"]
    assert cut, "the MEO/GEO demo satellites are up at dusk"
    for p in cut:
        edge = p.aos if p.cut_start_by == "darkness" else p.los
        assert sun_elevation_deg(st, [edge])[0] == pytest.approx(-6.0, abs=0.01)


def test_naive_and_reversed_times_refused() -> None:
    with pytest.raises(InputError, match="no time zone"):
        find_passes([micius()], [STATIONS["xinglong"]], datetime(2016, 12, 19), utc(2016, 12, 20))
    with pytest.raises(InputError, match="not after"):
        find_passes([micius()], [STATIONS["xinglong"]], utc(2016, 12, 20), utc(2016, 12, 19))


def test_constraint_values_validated() -> None:
    with pytest.raises(InputError):
        Constraints(min_elevation_deg=95.0)
    with pytest.raises(InputError):
        Constraints(max_range_km=-1.0)
    with pytest.raises(InputError):
        Constraints(min_sun_sep_deg=200.0)


def test_deterministic() -> None:
    t0 = utc(2026, 11, 23)
    sats = load_file(_demo_path(), at=t0)
    a = [p.to_dict() for p in find_passes(sats, list(STATIONS.values()), t0, t0 + timedelta(hours=12))]
    b = [p.to_dict() for p in find_passes(sats, list(STATIONS.values()), t0, t0 + timedelta(hours=12))]
    assert a == b and len(a) > 10


def test_culmination_and_minimum_range_match_dense_scan() -> None:
    """Max elevation and minimum range against a 2-ms scan of Skyfield's topocentric position
    within 5 s of each culmination (several demo passes, full and cut by range)."""
    t0 = utc(2026, 11, 23, 10)
    sats = load_file(_demo_path(), at=t0)[:6]
    st = STATIONS["beijing"]
    ps = find_passes(sats, [st], t0, t0 + timedelta(hours=14), Constraints(min_elevation_deg=0.0, max_range_km=1500))
    assert len(ps) >= 4
    ts = timescale()
    topos = wgs84.latlon(st.lat_deg, st.lon_deg, elevation_m=st.alt_m)
    for p in ps:
        es = EarthSatellite.from_satrec(p.sat_ref.satrec, ts)
        lo = max(-5.0, (p.aos - p.tca).total_seconds())
        hi = min(5.0, (p.los - p.tca).total_seconds())
        s = np.arange(lo, hi, 0.002)
        base = p.tca
        t = ts.utc(base.year, base.month, base.day, base.hour, base.minute,
                   base.second + base.microsecond / 1e6 + s)
        alt, _, dist = (es - topos).at(t).altaz()
        assert p.max_el_deg == pytest.approx(alt.degrees.max(), abs=2e-5)
        assert p.min_range_km == pytest.approx(dist.km.min(), abs=1e-3)
        assert abs(s[int(np.argmax(alt.degrees))]) < 0.05


def test_decayed_satellite_is_reported_not_silent() -> None:
    """Micius's last element set (2025-10, decaying) propagated a year on: SGP4 reports decay;
    find_passes returns no pass for it and says why."""
    from passplan.elements import bundled_tle_dir, nearest_epoch

    t0 = utc(2026, 11, 23)
    sats = nearest_epoch(load_file(bundled_tle_dir() / "micius_41731.tle"), t0)
    ps = find_passes(sats, [STATIONS["xinglong"]], t0, t0 + timedelta(hours=6))
    notes = ps.warnings
    assert len(ps) == 0 and list(ps) == []
    assert len(notes) == 1 and "decayed" in notes[0] and "QSS (MOZI)" in notes[0]
