"""Regression tests of what the differential fuzz of the pass engine (issue 17, item 2) found."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from typer.testing import CliRunner

from passplan.cli import app
from passplan.designed import circular
from passplan.elements import Satellite
from passplan.passes import Constraints, find_passes, iter_passes
from passplan.stations import Station

MICIUS_2016 = (  # ../shared/reference/README.md section 1
    "1 41731U 16051A   16354.56913372  .00000384  00000-0  18801-4 0  9991",
    "2 41731  97.3698 268.1064 0013349 175.8929 309.0190 15.23916091 19164",
)


# ---- regressions found by the fuzz ----------------------------------------------------------


def test_constrained_search_with_no_pass_is_empty_not_a_crash() -> None:
    """A constrained search whose block ends no pass read summary tables that were never made
    (KeyError: 'ok'): every constrained window with no pass in its first day crashed."""
    t0 = datetime(2016, 12, 19, 16, tzinfo=UTC)
    sat = Satellite.from_tle(*MICIUS_2016, name="MICIUS")
    xinglong = Station(id="xinglong", lat_deg=40.3958, lon_deg=117.5775, alt_m=900.0)
    for c in (Constraints(darkness="nautical"), Constraints(eclipse=True, max_range_km=1500.0)):
        for inc in (False, True):
            assert list(find_passes([sat], [xinglong], t0, t0 + timedelta(minutes=6), c, include_excluded=inc)) == []
    # a first block without a pass, then one with: the search goes on to find it
    blocks = list(iter_passes([sat], [xinglong], t0, t0 + timedelta(hours=1), Constraints(darkness="nautical"), block_s=600.0))
    assert [len(b) for b in blocks][0] == 0 and sum(len(b) for b in blocks) == 1
    # a designed satellite, far from any pass
    d = circular("d", t0, altitude_km=500.0, inclination_deg=53.0)
    far = Station(id="far", lat_deg=-60.0, lon_deg=-150.0, alt_m=0.0)
    assert len(find_passes([d], [far], t0, t0 + timedelta(minutes=10), Constraints(min_sun_sep_deg=5.0))) == 0


def test_cli_passes_constrained_window_without_pass() -> None:
    """The issue's reproduction: a clean 'no passes', like the same window without --night."""
    args = ["passes", "--sats", "micius", "--station", "xinglong", "--start", "2016-12-19T16:00Z", "--hours", "0.1", "--allow-stale"]
    plain = CliRunner().invoke(app, args)
    night = CliRunner().invoke(app, [*args, "--night", "nautical"])
    assert night.exception is None or isinstance(night.exception, SystemExit), night.output
    assert night.exit_code == 0 and "Traceback" not in night.output
    assert night.output == plain.output
    assert "no passes" in night.output


def test_earth_rotation_right_through_a_leap_second() -> None:
    """UT1 - UTC jumps by a second at a leap second; interpolated linearly across the 5-min table
    interval holding it, the Earth's rotation was up to a second off there (0.01 deg in elevation
    and azimuth, a TCA 0.07 s off: found by the fuzz on 2005-12-31). Against Skyfield's own
    topocentric position, which places the leap second exactly."""
    from skyfield.api import EarthSatellite, wgs84

    from passplan.geometry import Scene
    from passplan.times import timescale

    ts = timescale()
    sat = Satellite.from_tle(*MICIUS_2016, name="MICIUS")
    site = Station(id="s", lat_deg=30.4, lon_deg=-53.7, alt_m=0.0)
    es = EarthSatellite.from_satrec(sat.satrec, ts)
    top = wgs84.latlon(site.lat_deg, site.lon_deg, 0.0)
    for t0 in (datetime(2005, 12, 31, 23, 58, 37, tzinfo=UTC), datetime(2016, 12, 31, 23, 57, 1, tzinfo=UTC), datetime(2016, 12, 31, 23, 0, tzinfo=UTC)):
        scene = Scene([sat.satrec], [site], t0, t0 + timedelta(hours=2))
        s = np.array([0.0, 60.0, 82.0, 84.0, 150.0, 179.0, 181.0, 240.0, 299.0, 3700.0])
        pos, _ = scene.sat_ecef_at(np.zeros(s.size, int), s)
        az, el, _ = scene.topocentric(pos, 0)
        for k, x in enumerate(s.tolist()):
            alt_, az_, _ = (es - top).at(ts.from_datetime(t0 + timedelta(seconds=x))).altaz()
            assert abs(el[k] - alt_.degrees) < 1e-6 and abs((az[k] - az_.degrees + 180) % 360 - 180) < 1e-6, (t0, x)


def test_short_high_pass_over_a_high_floor_is_found() -> None:
    """A 66-s pass to 90 deg over a 50 deg floor fits between two grid points (90 s), and the
    parabola through the samples (43, 38 deg) put its peak 4.5 deg under the floor: the pass
    was missed, in any window. Found by the fuzz; the brute-force times are the reference's."""
    sat = Satellite.from_omm(
        {"OBJECT_NAME": "EQ", "NORAD_CAT_ID": 1899, "EPOCH": "2034-12-25T23:37:29.038298", "MEAN_MOTION": 15.825503069888711,
         "ECCENTRICITY": 0.001082616, "INCLINATION": 180.0, "RA_OF_ASC_NODE": 33.739973974168606,
         "ARG_OF_PERICENTER": 87.48937650660105, "MEAN_ANOMALY": 189.19894588575758, "BSTAR": 0.0}
    )
    site = Station(id="eq", lat_deg=0.0, lon_deg=0.0, alt_m=0.0, min_elevation_deg=49.85674342463035)
    t0 = datetime(2034, 12, 25, 23, 37, 29, 38298, tzinfo=UTC)
    for hours in (473.77 / 3600, 1.0):
        ps = find_passes([sat], [site], t0, t0 + timedelta(hours=hours))
        assert len(ps) == 1
        p = ps[0]
        assert abs((p.aos - t0).total_seconds() - 368.620) < 0.05 and abs((p.los - t0).total_seconds() - 434.560) < 0.05
        assert p.max_el_deg > 89.99
