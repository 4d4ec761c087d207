"""Coverage against authorities: the analytic footprint and spherical-cap fraction, the pass
engine on the same points treated as stations, and identical results however the chunks ran."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from passplan.coverage import (
    CoverageConstraints,
    Grid,
    cap_fraction,
    coverage,
    footprint_half_angle_deg,
    parse_region,
)
from passplan.designed import geo_slot, walker_delta
from passplan.errors import InputError

T0 = datetime(2026, 12, 2, tzinfo=UTC)


def test_footprint_half_angles_match_reference() -> None:
    """Reference README section 5 (spherical Earth, R = 6371 km, 10 deg)."""
    got = footprint_half_angle_deg(np.array([500.0, 550.0, 10_000.0, 35_786.0]), 10.0)
    assert np.round(got, 2)[:2].tolist() == [14.06, 14.97]  # quoted to 0.01 deg
    assert np.round(got, 1)[2:].tolist() == [57.5, 71.4]  # quoted to 0.1 deg
    # one 550 km satellite: 24.4 min of access a day on average at 10 deg, 11.2 min at 20 deg
    assert cap_fraction(footprint_half_angle_deg(550.0, 10.0)) * 1440 == pytest.approx(24.4, abs=0.05)
    assert cap_fraction(footprint_half_angle_deg(550.0, 20.0)) * 1440 == pytest.approx(11.2, abs=0.05)


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"step_deg": 0}, "a step in degrees in"),
        ({"step_deg": 1e308}, "a step in degrees in"),
        ({"step_deg": 7}, "does not divide"),
        ({"step_deg": 2, "lat0": -95}, "outside \\[-90, 90\\]"),
        ({"step_deg": 2, "lat0": 10, "lat1": 0}, "LAT0 < LAT1"),
    ],
)
def test_grid_refuses_bad_steps_and_regions(kwargs, needle) -> None:
    with pytest.raises(InputError, match=needle):
        Grid(**kwargs)


def test_region_parsing_and_area_weights() -> None:
    assert parse_region("20,55,70,140") == (20.0, 55.0, 70.0, 140.0)
    with pytest.raises(InputError):
        parse_region("20,55,70")
    g = Grid(2.0)
    w = g.area_weights()
    assert w.sum() == pytest.approx(1.0) and g.n_cells == 16200
    # a polar cell is far smaller than an equatorial one: cos(89) / cos(1)
    assert w[0] / w[g.n_lon * 45] == pytest.approx(np.cos(np.radians(89)) / np.cos(np.radians(1)), rel=1e-4)


def test_leo_mean_access_equals_spherical_cap_fraction() -> None:
    """At every instant the footprint covers its cap's share of the Earth, so the area-weighted
    mean access time per day is the cap fraction times a day (Wertz 2001)."""
    sat = walker_delta("one", T0, altitude_km=550, planes=1, per_plane=1, inclination_deg=53)
    r = coverage(sat, Grid(3.0), T0, 1.0, step_s=30.0)
    a_km = sat[0].satrec.a * sat[0].satrec.radiusearthkm
    expect = cap_fraction(footprint_half_angle_deg(a_km - 6371.0, 10.0)) * 1440.0
    assert r.area_weighted()["access_min_per_day"] == pytest.approx(expect, rel=0.01)


def test_geo_always_visible_region_matches_analytic_footprint() -> None:
    geo = [geo_slot(105.0, T0, name="GEO-105E")]
    r = coverage(geo, Grid(5.0), T0, 0.25, step_s=60.0)
    lam = footprint_half_angle_deg(35_786.0, 10.0)
    lat, lon = r.lat_deg, r.lon_deg
    cosc = np.cos(np.radians(lat)) * np.cos(np.radians(lon - 105.0))
    central = np.degrees(np.arccos(np.clip(cosc, -1, 1)))
    always = r.metrics["access_min_per_day"] >= 1440.0 - 1e-9
    clear = np.abs(central - lam) > 1.0  # the ellipsoid moves the edge by a fraction of a degree
    assert np.array_equal(always[clear], (central < lam)[clear])
    assert np.all(r.metrics["passes_per_day"][central < lam - 1.0] == 0)  # never rises: no pass starts


def test_grid_metrics_equal_pass_engine_on_the_same_points() -> None:
    """Cells treated as stations (same point, 10 deg, no mask): pass starts and access minutes
    from find_passes agree with the grid's samples (each pass within one 10 s sample at each end)."""
    from passplan import Station, find_passes

    sats = walker_delta("w", T0, altitude_km=550, planes=2, per_plane=3, inclination_deg=53)
    grid = Grid(10.0, lat0=20.0, lat1=60.0, lon0=100.0, lon1=140.0)
    r = coverage(sats, grid, T0, 1.0, step_s=10.0)
    stations = [
        Station(id=f"c{k}", lat_deg=float(la), lon_deg=float(lo), alt_m=0.0, min_elevation_deg=10.0)
        for k, (la, lo) in enumerate(zip(r.lat_deg, r.lon_deg, strict=True))
    ]
    ps = find_passes(sats, stations, T0, T0 + timedelta(days=1))
    for k, st in enumerate(stations):
        mine = [p for p in ps if p.station == st.id]
        starts = sum(1 for p in mine if p.aos > T0)  # a pass under way at the start is not a start
        assert r.metrics["passes_per_day"][k] == starts
        minutes = sum(p.duration_s for p in mine) / 60.0
        assert abs(r.metrics["access_min_per_day"][k] - minutes) <= len(mine) * 10.0 / 60.0 + 1e-9


def _ints(r) -> dict[str, np.ndarray]:
    return {k: v for k, v in r.counts.items() if k != "max_gap_s"}


def test_chunking_does_not_change_results() -> None:
    sats = walker_delta("w", T0, altitude_km=550, planes=2, per_plane=3, inclination_deg=53)
    grid = Grid(5.0, lat0=-60.0, lat1=60.0)
    c = CoverageConstraints(min_elevation_deg=15.0, eclipse=True)
    a = coverage(sats, grid, T0, 2.0, constraints=c, group_size=16, profile="micius")
    b = coverage(sats, grid, T0, 2.0, constraints=c, group_size=1, profile="micius")
    assert "key_bits_per_day" in a.metrics and np.nansum(a.metrics["key_bits_per_day"]) > 0
    for k in _ints(a):
        assert np.array_equal(a.counts[k], b.counts[k]), k
    for k in a.metrics:
        assert np.array_equal(a.metrics[k], b.metrics[k], equal_nan=True), k


def test_process_pool_and_dask_give_identical_results() -> None:
    sats = walker_delta("w", T0, altitude_km=550, planes=2, per_plane=2, inclination_deg=53)
    grid = Grid(10.0, lat0=-50.0, lat1=50.0)
    kw = {"constraints": CoverageConstraints(darkness_deg=-12.0), "group_size": 2, "profile": "micius"}
    ref = coverage(sats, grid, T0, 1.0, **kw)
    pool = coverage(sats, grid, T0, 1.0, workers=2, **kw)
    assert np.sum(ref.metrics["key_bits_per_day"]) > 0
    for k in ref.metrics:
        assert np.array_equal(ref.metrics[k], pool.metrics[k], equal_nan=True), k
    pytest.importorskip("distributed", reason="the dask extra is not installed")
    dask = coverage(sats, grid, T0, 1.0, scheduler="local", workers=2, **kw)
    for k in ref.metrics:
        assert np.array_equal(ref.metrics[k], dask.metrics[k], equal_nan=True), k


def test_unreachable_dask_scheduler_fails_fast() -> None:
    pytest.importorskip("distributed", reason="the dask extra is not installed")
    sats = walker_delta("w", T0, altitude_km=550, planes=1, per_plane=1, inclination_deg=53)
    t = time.perf_counter()
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        coverage(sats, Grid(30.0), T0, 0.1, scheduler="tcp://127.0.0.1:9")
    assert time.perf_counter() - t < 20.0


def test_night_and_day_split_and_gaps() -> None:
    sats = walker_delta("w", T0, altitude_km=550, planes=2, per_plane=3, inclination_deg=97.6)
    grid = Grid(10.0, lat0=-80.0, lat1=80.0)
    r = coverage(sats, grid, T0, 2.0)
    m = r.metrics
    assert np.allclose(m["usable_dark_min_per_day"] + m["daylight_added_min_per_day"], m["usable_min_per_day"])
    night_only = coverage(sats, grid, T0, 2.0, constraints=CoverageConstraints(darkness_deg=-12.0))
    assert np.allclose(night_only.metrics["usable_min_per_day"], m["usable_dark_min_per_day"])
    has = np.isfinite(m["max_gap_h"])
    assert np.all(m["p95_gap_h"][has] <= m["max_gap_h"][has] * 1.03)
    assert np.all(m["max_gap_h"][has] < 48.0)


def test_sampled_days_and_memory_refusal() -> None:
    sats = walker_delta("w", T0, altitude_km=550, planes=1, per_plane=2, inclination_deg=53)
    r = coverage(sats, Grid(30.0), T0, sample_days=4, step_s=60.0)
    assert r.days == 4.0
    with pytest.raises(InputError, match="coarser step_deg"):
        coverage(sats, Grid(0.01), T0, 1.0)


def test_access_samples_are_exactly_the_pass_engine_windows() -> None:
    """Sample by sample: a cell's access bit is set exactly at the samples inside a pass that
    find_passes reports for the same point (samples within 1 ms of AOS/LOS aside)."""
    from passplan import Station, find_passes
    from passplan.coverage.chunk import ChunkTask, run_chunk, unpack

    sats = tuple(walker_delta("w", T0, altitude_km=550, planes=2, per_plane=3, inclination_deg=53))
    step = 20.0
    n = round(86400 / step)
    task = ChunkTask(sats, 0, 0, 0, np.array([35.0, 45.0]), 110.0, 10.0, 2, T0, n, step, CoverageConstraints())
    res = run_chunk(task)
    bits = unpack(res.access, n)
    lat, lon = task.cells()
    times = T0.timestamp() + np.arange(n) * step
    for k in range(lat.size):
        st = Station(id=f"c{k}", lat_deg=float(lat[k]), lon_deg=float(lon[k]), alt_m=0.0, min_elevation_deg=10.0)
        want = np.zeros(n, bool)
        near = np.zeros(n, bool)
        for p in find_passes(sats, [st], T0, T0 + timedelta(days=1)):
            a, b = p.aos.timestamp(), p.los.timestamp()
            want |= (times > a) & (times < b)
            near |= (np.abs(times - a) < 1e-3) | (np.abs(times - b) < 1e-3)
        assert want.any()
        assert np.array_equal(bits[k][~near], want[~near]), k


def test_key_table_within_stated_error_of_the_full_chain() -> None:
    """The key table against forecast_pass on real passes (the full chain, pass by pass) and the
    grid's key per day against the full chain summed over the same points' passes."""
    from passplan import Station, find_passes
    from passplan.coverage.keytable import (
        STATED_PASS_ERROR,
        STATED_TOTAL_ERROR,
        key_tables_for,
        sun_class,
    )
    from passplan.forecast import forecast_pass

    sats = walker_delta("w", T0, altitude_km=550, planes=2, per_plane=3, inclination_deg=53)
    table = key_tables_for(sats, "micius", T0, 10.0)[0]
    grid = Grid(10.0, lat0=35.0, lat1=45.0, lon0=100.0, lon1=120.0)
    r = coverage(sats, grid, T0, 1.0, profile="micius")
    full_cell = np.zeros(grid.n_cells)
    full, approx = [], []
    for k, (la, lo) in enumerate(zip(r.lat_deg, r.lon_deg, strict=True)):
        st = Station(id=f"c{k}", lat_deg=float(la), lon_deg=float(lo), alt_m=0.0, min_elevation_deg=10.0)
        for p in find_passes(sats, [st], T0, T0 + timedelta(days=1)):
            if p.excluded or p.aos <= T0:
                continue
            fc = forecast_pass(p, profile="micius")
            share = np.bincount(sun_class(np.sin(np.radians(fc.geometry.sun_el_deg))), minlength=5) / fc.geometry.t_s.size
            full.append(fc.key.secret_key_bits)
            approx.append(float(table.lookup(p.max_el_deg, p.duration_s, share[:, None])[0]))
            full_cell[k] += fc.key.secret_key_bits
    full_a, approx_a = np.array(full), np.array(approx)
    assert len(full) >= 15 and full_a.max() > 1e5
    assert abs(approx_a.sum() / full_a.sum() - 1.0) <= STATED_TOTAL_ERROR
    assert np.abs(approx_a - full_a).max() <= STATED_PASS_ERROR * full_a.max()
    grid_key = r.metrics["key_bits_per_day"]
    assert abs(grid_key.sum() / full_cell.sum() - 1.0) <= STATED_TOTAL_ERROR
    assert np.all(np.abs(grid_key - full_cell) <= STATED_TOTAL_ERROR * full_cell + 1.0)
    assert r.summary()["profile"] == "micius" and r.area_weighted()["key_bits_per_day"] > 0


def test_satellites_own_profile_wins_and_unknown_profiles_fail_first() -> None:
    from dataclasses import replace

    from passplan.coverage.keytable import key_tables_for, profile_names
    from passplan.errors import PassplanError

    geo = replace(geo_slot(105.0, T0, name="GEO-105E"), profile="geo-generic")
    leo = walker_delta("w", T0, altitude_km=550, planes=2, per_plane=3, inclination_deg=53)
    assert profile_names([geo, *leo[:2]], "micius") == ["geo-generic", "micius", "micius"]
    assert profile_names(leo[:1], None) == [None]
    tables = key_tables_for(leo, "micius", T0, 10.0)
    assert all(t is tables[0] for t in tables)  # one altitude class, one table
    with pytest.raises(PassplanError, match="no-such-profile"):
        profile_names(leo[:1], "no-such-profile")
    t = time.perf_counter()
    with pytest.raises(PassplanError, match="no-such-profile"):
        coverage(leo, Grid(30.0), T0, 1.0, profile="no-such-profile")
    assert time.perf_counter() - t < 2.0


def test_key_table_cache_follows_the_profile_content(tmp_path: Path) -> None:
    """A profile file edited between two studies in one process gets a new table; an unchanged
    one reuses the table built before (the cache keys on the profile's content, not its name)."""
    from passplan.coverage.keytable import key_tables_for
    from passplan.link.profiles import bundled_profile_dir

    f = tmp_path / "mine.toml"
    text = (bundled_profile_dir() / "micius.toml").read_text()
    f.write_text(text)
    sat = walker_delta("cache", T0, altitude_km=550, planes=1, per_plane=1, inclination_deg=53)
    (first,) = key_tables_for(sat, str(f), T0, 10.0)
    (again,) = key_tables_for(sat, str(f), T0, 10.0)
    assert again is first
    f.write_text(text.replace("optics_efficiency = 0.50", "optics_efficiency = 0.05", 1))
    (edited,) = key_tables_for(sat, str(f), T0, 10.0)
    assert edited is not first


def test_coverage_constraints_take_the_darkness_vocabulary_of_constraints() -> None:
    """CoverageConstraints(night="nautical") used to raise a raw TypeError; it now takes the
    vocabulary of passplan.passes.Constraints (darkness, alias night), and darkness_deg still."""
    assert CoverageConstraints(night="nautical") == CoverageConstraints(darkness="nautical") == CoverageConstraints(
        darkness_deg=-12.0
    )
    assert CoverageConstraints(darkness="civil").darkness_deg == -6.0
    assert CoverageConstraints(darkness=-15).darkness_deg == -15.0
    assert CoverageConstraints(darkness="-15").darkness_deg == -15.0
    with pytest.raises(InputError, match=r"^darkness '20': twilight angle 20.0 deg is outside"):
        CoverageConstraints(darkness="20")
    assert CoverageConstraints(darkness="any").darkness_deg is None
    assert CoverageConstraints(night="astronomical", darkness_deg=-18.0).darkness_deg == -18.0
    with pytest.raises(InputError, match="give one darkness"):
        CoverageConstraints(night="civil", darkness_deg=-12.0)
    with pytest.raises(InputError, match="unknown twilight setting 'dusk'"):
        CoverageConstraints(darkness="dusk")
    with pytest.raises(InputError, match="no station's setting"):
        CoverageConstraints(darkness="station")
    with pytest.raises(InputError, match=r"^min_elevation_deg 95 is outside"):
        CoverageConstraints(min_elevation_deg=95.0)


def test_coverage_errors_name_library_parameters() -> None:
    sats = walker_delta("W", T0, altitude_km=550, inclination_deg=53, planes=1, per_plane=1)
    with pytest.raises(InputError, match=r"^days 0: give 0 to 3660 days \(longer studies: sample_days"):
        coverage(sats, Grid(30.0), T0, 0)
    with pytest.raises(InputError, match=r"^sample_days 0:"):
        coverage(sats, Grid(30.0), T0, sample_days=0)
    with pytest.raises(InputError, match=r"^step_deg 7 does not divide"):
        Grid(7)
    with pytest.raises(InputError, match=r"^region '1,2':"):
        Grid.over(10.0, "1,2")
    with pytest.raises(InputError, match=r"^workers 0:"):
        coverage(sats, Grid(30.0), T0, 0.1, workers=0)
    assert Grid.over(10.0, "20,50,70,130") == Grid(10.0, 20.0, 50.0, 70.0, 130.0) == Grid.over(10.0, (20, 50, 70, 130))
