"""Designed satellites: circular, SSO, Walker delta, GEO slots, the constellation TOML and demo fleet."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sgp4.propagation import gstime

from passplan.designed import (
    EARTH_RADIUS_KM,
    MU_KM3_S2,
    circular,
    geo_slot,
    load_constellation,
    sun_synchronous_inclination_deg,
    walker_delta,
)
from passplan.elements import demo_fleet_path, orbit_summary
from passplan.errors import ConfigError, InputError

AT = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def _states(sat, minutes):
    """TEME positions (km) at minutes after the epoch."""
    out = []
    for m in minutes:
        e, r, _v = sat.satrec.sgp4_tsince(float(m))
        assert e == 0
        out.append(r)
    return np.array(out)


def _geo_longitudes(sat, epoch, minutes):
    r = _states(sat, minutes)
    jd0 = 2440587.5 + epoch.timestamp() / 86400.0
    gmst = np.array([gstime(jd0 + m / 1440.0) for m in minutes])
    return np.degrees(np.arctan2(r[:, 1], r[:, 0]) - gmst)


def test_sun_synchronous_inclination():
    # Vallado (2013) / SMAD table 6-3: 500 km -> 97.4 deg, 800 km -> 98.6 deg, 1000 km -> 99.5 deg
    assert sun_synchronous_inclination_deg(500) == pytest.approx(97.40, abs=0.02)
    assert sun_synchronous_inclination_deg(800) == pytest.approx(98.60, abs=0.02)
    assert sun_synchronous_inclination_deg(1000) == pytest.approx(99.48, abs=0.03)
    with pytest.raises(InputError, match="no sun-synchronous"):
        sun_synchronous_inclination_deg(8000)


def test_circular_500km_altitude_and_period():
    sat = circular("C500", AT, altitude_km=500, inclination_deg=97.4)
    assert sat.designed and sat.epoch == AT and sat.norad_id is None
    minutes = np.arange(0.0, 200.0, 0.05)
    r = _states(sat, minutes)
    radius = np.linalg.norm(r, axis=1)
    assert radius.mean() - EARTH_RADIUS_KM == pytest.approx(500.0, abs=5.0)
    assert np.ptp(radius) < 30.0  # circular: only J2 short-period terms
    # nodal period: time between ascending node crossings (z from - to +)
    z = r[:, 2]
    up = np.nonzero((z[:-1] < 0) & (z[1:] >= 0))[0]
    t_up = minutes[up] - z[up] * (minutes[up + 1] - minutes[up]) / (z[up + 1] - z[up])
    nodal = np.diff(t_up)[0]
    kepler = 2 * math.pi * math.sqrt((EARTH_RADIUS_KM + 500) ** 3 / MU_KM3_S2) / 60
    assert kepler == pytest.approx(94.62, abs=0.01)
    assert nodal == pytest.approx(kepler, abs=0.15)  # J2 changes the nodal period slightly
    assert orbit_summary(sat)["period_min"] == pytest.approx(kepler, abs=1e-6)
    assert orbit_summary(sat)["nodal_period_min"] == pytest.approx(nodal, abs=0.01)


def test_ltan_means_local_time_of_ascending_node():
    """The northbound equator crossing happens at the requested local mean solar time."""
    for at in (AT, datetime(2025, 7, 4, 3, 17, tzinfo=UTC)):
        sat = circular("S", at, altitude_km=500, sun_synchronous=True, ltan_h=22.5)
        minutes = np.arange(0.0, 100.0, 0.01)
        r = _states(sat, minutes)
        z = r[:, 2]
        (i,) = np.nonzero((z[:-1] < 0) & (z[1:] >= 0))[0][:1]
        t = at + timedelta(minutes=float(minutes[i]))
        jd = 2440587.5 + t.timestamp() / 86400.0
        lon = math.degrees(math.atan2(r[i, 1], r[i, 0]) - gstime(jd))
        ut_h = t.hour + t.minute / 60 + t.second / 3600
        lmst = (ut_h + lon / 15.0) % 24.0
        assert lmst == pytest.approx(22.5, abs=0.02)


def test_walker_planes_and_phasing():
    sats = walker_delta("W", AT, altitude_km=1200, inclination_deg=55, planes=3, per_plane=8,
                        phasing=1, raan_deg=10.0)
    assert len(sats) == 24 and sats[0].name == "W-1" and sats[-1].name == "W-24"
    raan = np.array([math.degrees(s.satrec.nodeo) for s in sats]).reshape(3, 8)
    assert raan[:, 0] == pytest.approx([10.0, 130.0, 250.0])
    assert np.ptp(raan, axis=1) == pytest.approx([0, 0, 0], abs=1e-9)
    # argument of latitude from the propagated position at epoch (independent of the element fields)
    u = []
    for s in sats:
        r = _states(s, [0.0])[0]
        om, inc = s.satrec.nodeo, s.satrec.inclo
        node = np.array([math.cos(om), math.sin(om), 0.0])
        h = np.array([math.sin(om) * math.sin(inc), -math.cos(om) * math.sin(inc), math.cos(inc)])
        u.append(math.degrees(math.atan2(np.dot(np.cross(node, r), h), np.dot(node, r))) % 360)
    u = np.array(u).reshape(3, 8)
    spacing = (np.diff(u, axis=1) + 180) % 360 - 180
    # osculating positions carry J2 short-period terms (under 0.1 deg at 1200 km)
    assert spacing == pytest.approx(np.full((3, 7), 45.0), abs=0.15)
    shift = (u[1:, 0] - u[:-1, 0] + 180) % 360 - 180
    assert shift == pytest.approx([15.0, 15.0], abs=0.15)  # F x 360 / T = 15 deg
    mean_u = np.degrees([s.satrec.mo + s.satrec.argpo for s in sats]).reshape(3, 8)
    assert np.diff(mean_u, axis=1) == pytest.approx(np.full((3, 7), 45.0))
    assert mean_u[1:, 0] - mean_u[:-1, 0] == pytest.approx([15.0, 15.0])
    for s in sats:
        assert orbit_summary(s)["inclination_deg"] == pytest.approx(55.0)
        assert orbit_summary(s)["mean_altitude_km"] == pytest.approx(1200.0, abs=1e-3)


@pytest.mark.parametrize("lon", [105.0, -75.0, 0.0, 179.5])
@pytest.mark.parametrize("at", [AT, datetime(2031, 11, 23, 17, 45, tzinfo=UTC)])
def test_geo_slot_holds_longitude_for_a_day(lon, at):
    sat = geo_slot(lon, at, name="G")
    minutes = np.linspace(0.0, 1440.0, 97)
    err = (_geo_longitudes(sat, at, minutes) - lon + 180.0) % 360.0 - 180.0
    assert np.abs(err).max() < 0.1
    radius = np.linalg.norm(_states(sat, minutes), axis=1)
    assert radius.mean() == pytest.approx(42164.0, abs=5.0)
    assert np.abs(_states(sat, minutes)[:, 2]).max() < 100.0  # stays near the equator


def test_constellation_file_round_trip(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text(
        """
[constellation]
name = "test"

[[walker]]
name = "W"
altitude_km = 550
inclination_deg = 53
planes = 4
per_plane = 2
phasing = 1

[[satellite]]
name = "ELLIPSE"
perigee_altitude_km = 500
apogee_altitude_km = 2000
inclination_deg = 63.4
arg_perigee_deg = 270
raan_deg = 40

[[satellite]]
name = "SSO"
altitude_km = 600
sun_synchronous = true
ltan_h = 22:30:00

[[geo]]
name = "G"
longitude_deg = -30
"""
    )
    sats = load_constellation(p, AT)
    assert [s.name for s in sats] == [f"W-{i}" for i in range(1, 9)] + ["ELLIPSE", "SSO", "G"]
    o = orbit_summary(sats[8])
    assert o["perigee_altitude_km"] == pytest.approx(500, abs=0.5)
    assert o["apogee_altitude_km"] == pytest.approx(2000, abs=0.5)
    assert o["raan_deg"] == pytest.approx(40)
    assert orbit_summary(sats[9])["inclination_deg"] == pytest.approx(97.79, abs=0.02)
    assert all(s.source == str(p) and s.epoch == AT for s in sats)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('[[satellite]]\nname = "X"\naltitude_km = -5\ninclination_deg = 50\n', "altitude -5 km must be positive"),
        ('[[satellite]]\nname = "X"\naltitude_km = 500\ninclination_deg = 190\n', "inclination 190 deg must be in"),
        ('[[walker]]\nname = "W"\naltitude_km = 500\ninclination_deg = 50\nplanes = 0\nper_plane = 3\n', "planes = 0"),
        ('[[walker]]\nname = "W"\naltitude_km = 500\ninclination_deg = 50\nplanes = 3\nper_plane = 3\nphasing = 3\n', "phasing F = 3"),
        ('[[walker]]\nname = "W"\naltitude_km = 500\ninclination_deg = 50\nplanes = 2.5\nper_plane = 3\n', "whole number"),
        ('[[satellite]]\nname = "X"\naltitud_km = 500\ninclination_deg = 50\n', "did you mean 'altitude_km'"),
        ('[[satellite]]\nname = "X"\naltitude_km = 500\n', "inclination_deg is missing"),
        ('[[satellite]]\nname = "X"\naltitude_km = 500\nsun_synchronous = true\ninclination_deg = 97\n', "not both"),
        ('[[satellite]]\nname = "X"\naltitude_km = "high"\ninclination_deg = 50\n', "must be a number"),
        ('[[geo]]\nname = "G"\nlongitude_deg = 400\n', "GEO longitude"),
        ('[[sattelite]]\nname = "X"\n', "did you mean 'satellite'"),
        ('[constellation]\nname = "empty"\n', "no satellites"),
        ('[[satellite]]\nname = "X"\naltitude_km = 500\ninclination_deg = 50\nltan_h = 25\n', "ltan_h"),
        ('[[geo]]\nname = "G"\nlongitude_deg = 1\n[[geo]]\nname = "G"\nlongitude_deg = 2\n', "used twice"),
    ],
)
def test_bad_constellation_files(tmp_path, body, words):
    p = tmp_path / "bad.toml"
    p.write_text(body)
    with pytest.raises(ConfigError) as err:
        load_constellation(p, AT)
    msg = str(err.value)
    assert str(p) in msg and words in msg and "\n" not in msg


def test_invalid_toml_names_file_and_line(tmp_path):
    p = tmp_path / "broken.toml"
    p.write_text('[[satellite]]\nname = "X"\naltitude_km = = 500\n')
    with pytest.raises(ConfigError, match=rf"{p}: invalid TOML: .*line 3"):
        load_constellation(p, AT)


def test_naive_time_refused(tmp_path):
    with pytest.raises(InputError, match="no time zone"):
        circular("X", datetime(2024, 1, 1), altitude_km=500, inclination_deg=50)
    with pytest.raises(InputError, match="no time zone"):
        load_constellation(demo_fleet_path(), datetime(2024, 1, 1))


def test_demo_fleet():
    sats = load_constellation(demo_fleet_path(), AT, source="bundled:demo")
    assert len(sats) == 8
    sso = sats[:6]
    for s in sso:
        o = orbit_summary(s)
        assert o["mean_altitude_km"] == pytest.approx(500.0, abs=1e-3)
        assert o["inclination_deg"] == pytest.approx(97.40, abs=0.02)
    raan = sorted({round(orbit_summary(s)["raan_deg"], 6) for s in sso})
    assert len(raan) == 2 and raan[1] - raan[0] == pytest.approx(12.0)
    meo = orbit_summary(sats[6])
    assert 10000 <= meo["mean_altitude_km"] <= 20000
    geo = sats[7]
    lon = _geo_longitudes(geo, AT, np.linspace(0, 1440, 49))
    assert np.abs((lon - 105 + 180) % 360 - 180).max() < 0.1


def test_constellation_profile_key_names_a_link_profile(tmp_path) -> None:
    """A designed satellite may name its link profile (used by key forecasts); a misspelt
    profile is refused with the nearest name."""
    from datetime import UTC, datetime

    from passplan.designed import load_constellation
    from passplan.errors import ConfigError

    at = datetime(2026, 11, 23, tzinfo=UTC)
    good = tmp_path / "c.toml"
    good.write_text('[[geo]]\nname = "G1"\nlongitude_deg = 100.0\nprofile = "geo-generic"\n'
                    '[[walker]]\nname = "W"\naltitude_km = 600.0\ninclination_deg = 60.0\n'
                    'planes = 2\nper_plane = 2\nprofile = "jinan-1"\n')
    sats = load_constellation(good, at)
    assert {s.name: s.profile for s in sats} == {"W-1": "jinan-1", "W-2": "jinan-1", "W-3": "jinan-1",
                                                 "W-4": "jinan-1", "G1": "geo-generic"}
    bad = tmp_path / "bad.toml"
    bad.write_text('[[geo]]\nname = "G1"\nlongitude_deg = 100.0\nprofile = "geo-generik"\n')
    with pytest.raises(ConfigError, match="did you mean 'geo-generic'"):
        load_constellation(bad, at)
