"""Coverage at named stations (issue 21, part 5): a station's row equals the pass engine there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from passplan import Station, find_passes
from passplan.coverage import CoverageConstraints, Grid, coverage, coverage_at_stations
from passplan.coverage.keytable import STATED_TOTAL_ERROR
from passplan.designed import walker_delta
from passplan.errors import InputError
from passplan.forecast import forecast_pass

T0 = datetime(2026, 12, 2, tzinfo=UTC)
STEP_S = 30.0


def test_station_rows_equal_the_pass_engine() -> None:
    sats = walker_delta("w", T0, altitude_km=550, planes=2, per_plane=2, inclination_deg=53)
    stations = [Station(id="north", lat_deg=40.4, lon_deg=117.6, alt_m=0.0, min_elevation_deg=10.0),
                Station(id="south", lat_deg=-31.3, lon_deg=-70.7, alt_m=0.0, min_elevation_deg=10.0)]
    c = CoverageConstraints(min_elevation_deg=10.0)
    got = coverage_at_stations(sats, stations, T0, 1.0, constraints=c, profile="micius", telescopes=1)
    assert [r["station"] for r in got.records()] == ["north", "south"]
    for i, st in enumerate(stations):
        passes = [p for p in find_passes(sats, [st], T0, T0 + timedelta(days=1)) if not p.excluded]
        assert passes
        started = [p for p in passes if p.aos > T0]  # the grid counts starts inside the window
        assert got.metrics["passes_per_day"][i] == len(started)
        minutes = sum(p.duration_s for p in passes) / 60.0
        # each pass's ends fall within one sampling step of the samples the grid counts
        assert abs(got.metrics["access_min_per_day"][i] - minutes) <= len(passes) * STEP_S / 60.0
        key = sum(forecast_pass(p, profile="micius").key.secret_key_bits for p in passes)
        assert got.metrics["key_bits_per_day"][i] == pytest.approx(key, rel=STATED_TOTAL_ERROR)
        assert got.metrics["key_bits_per_day_1_telescope"][i] <= got.metrics["key_bits_per_day"][i]
    # the row is the grid cell centred on the station (centres equal to rounding: 1e-12)
    d = 0.5
    cell = coverage(sats, Grid(d, 40.4 - d / 2, 40.4 + d / 2, 117.6 - d / 2, 117.6 + d / 2), T0, 1.0, constraints=c,
                    profile="micius")
    for k in cell.metrics:
        assert cell.metrics[k][0] == pytest.approx(got.metrics[k][0], rel=1e-12), k
    assert '"station": "north"' in got.to_json()
    with pytest.raises(InputError, match="grid studies"):
        coverage_at_stations(sats, stations, T0, 1.0, grid=Grid(10.0))
    with pytest.raises(InputError, match="no stations"):
        coverage_at_stations(sats, [], T0, 1.0)
    assert np.isfinite(got.metrics["usable_min_per_day"]).all()


def test_cli_station_rows_and_telescopes(tmp_path) -> None:
    import json

    from typer.testing import CliRunner

    from passplan.cli import app

    def run(*args: str):
        return CliRunner().invoke(app, list(args))

    base = ["coverage", "--sats", "DEMO-SSO-1", "--start", "2026-12-02T00:00Z", "--days", "1"]
    stations = tmp_path / "st.toml"
    stations.write_text('[stations.probe]\nlat_deg = 40.4\nlon_deg = 117.6\nalt_m = 0.0\nmin_elevation_deg = 10.0\n')
    r = run(*base, "--stations", str(stations), "--format", "csv")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("station,lat_deg,lon_deg,passes_per_day,") and r.stdout.count("\n") == 2
    r = run(*base, "--station", "xinglong", "--station", "graz", "--profile", "micius", "--telescopes", "1",
            "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert [s["station"] for s in doc["stations"]] == ["xinglong", "graz"]
    assert all(s["key_bits_per_day_1_telescope"] <= s["key_bits_per_day"] for s in doc["stations"])
    for extra, needle in (
        (["--grid-deg", "30", "--profile", "micius", "--telescopes", "0"], "--telescopes 0"),
        (["--grid-deg", "30", "--telescopes", "1"], "--telescopes needs --profile"),
        (["--station", "xinglong", "--region", "0,10,0,10"], "--region is for grid studies"),
        (["--station", "xinglong", "--format", "geojson"], "--format geojson is for grid studies"),
    ):
        r = run(*base, *extra)
        assert r.exit_code == 2 and needle in r.output and len(r.output.strip().splitlines()) == 1, r.output


def test_station_rows_take_the_station_altitude_mask_and_floor() -> None:
    """A station with a horizon mask, an altitude and its own floor: its row equals the pass
    engine at that station (passes exactly, minutes within one step per pass), with the
    station's floor by default and ``min_elevation_deg`` overriding it (the mask still applies,
    as ``passes --min-el``)."""
    from passplan import Constraints, HorizonMask

    sats = walker_delta("w", T0, altitude_km=550, planes=3, per_plane=2, inclination_deg=53)
    mask = HorizonMask.from_points([[0, 12], [90, 35], [180, 12], [270, 28]])
    st = Station(id="masked", lat_deg=40.4, lon_deg=117.6, alt_m=2500.0, min_elevation_deg=15.0, horizon_mask=mask)
    bare = Station(id="bare", lat_deg=40.4, lon_deg=117.6, alt_m=0.0, min_elevation_deg=15.0)
    c = CoverageConstraints(min_elevation_deg=30.0)  # replaced by each station's floor
    got = coverage_at_stations(sats, [st, bare], T0, 1.0, constraints=c)
    over = coverage_at_stations(sats, [st], T0, 1.0, constraints=c, min_elevation_deg=5.0)
    end = T0 + timedelta(days=1)
    for row, station, cons in ((got, 0, None), (got, 1, None), (over, 0, Constraints(min_elevation_deg=5.0))):
        at = [st, bare][station]
        passes = [p for p in find_passes(sats, [at], T0, end, cons) if not p.excluded]
        assert passes
        assert row.metrics["passes_per_day"][station] == len([p for p in passes if p.aos > T0])
        minutes = sum(p.duration_s for p in passes) / 60.0
        assert abs(row.metrics["access_min_per_day"][station] - minutes) <= len(passes) * STEP_S / 60.0
    # the mask and the floor matter: fewer minutes under the mask, more with the lower floor
    assert got.metrics["access_min_per_day"][0] < got.metrics["access_min_per_day"][1]
    assert over.metrics["access_min_per_day"][0] > got.metrics["access_min_per_day"][0]
    with pytest.raises(InputError, match="min_elevation_deg 95"):
        coverage_at_stations(sats, [st], T0, 1.0, min_elevation_deg=95.0)
