"""Station-keeping of designed GEO satellites (issue 18, item 6): daily re-anchored element sets.

A free designed GEO slot drifts under SDP4 (luni-solar and Earth-triaxiality terms): at 105 E its
longitude runs tens of degrees in a year and leaves Xinglong's sky. A station-kept slot
(:class:`passplan.satellite.KeptSatrec`, the default of ``geo_slot`` and of ``[[geo]]`` tables)
stays in its box for the whole year; these tests measure the box and show the difference.
The year is sampled with the bare propagator and the GMST 1982 rotation (no Scene: its Sun/Moon
tables for a year would cost seconds); the pass engine is exercised over three days.
"""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sgp4.api import Satrec, SatrecArray
from skyfield.sgp4lib import theta_GMST1982

from passplan.designed import constellation_from_toml, geo_slot
from passplan.errors import ConfigError
from passplan.geometry import Scene, enu_matrices, station_ecef_km
from passplan.passes.engine import find_passes, iter_passes
from passplan.satellite import KeptSatrec
from passplan.stations import get_station

AT = datetime(2026, 1, 1, tzinfo=UTC)
LON = 105.0  # a slot over eastern China
#: Four samples a day (every 6 h, shifted off the anchoring instants) for 365 days.
HOURS = np.arange(0, 365 * 24, 6) + 1.5


def _ecef_year(sat: Satrec) -> np.ndarray:
    """Earth-fixed positions (km) at ``HOURS`` after ``AT`` (TEME rotated by GMST 1982, UT1 = UTC:
    the 0.9 s difference moves a GEO sub-satellite point by 4e-3 deg at most)."""
    jd = np.full(HOURS.size, sat.jdsatepoch)
    fr = sat.jdsatepochF + HOURS / 24.0
    err, r, _v = sat.sgp4_array(jd, fr)
    assert not err.any()
    theta, _ = theta_GMST1982(jd, fr)
    c, s = np.cos(theta), np.sin(theta)
    return np.stack([c * r[:, 0] + s * r[:, 1], -s * r[:, 0] + c * r[:, 1], r[:, 2]], axis=-1)


def _lon_lat_el(sat: Satrec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = _ecef_year(sat)
    lon = (np.degrees(np.arctan2(p[:, 1], p[:, 0])) - LON + 180.0) % 360.0 - 180.0
    lat = np.degrees(np.arcsin(p[:, 2] / np.linalg.norm(p, axis=-1)))
    st = get_station("xinglong")
    d = p - station_ecef_km(np.array([st.lat_deg]), np.array([st.lon_deg]), np.array([st.alt_m]))[0]
    up = enu_matrices(np.array([st.lat_deg]), np.array([st.lon_deg]))[0][2]
    el = np.degrees(np.arcsin(d @ up / np.linalg.norm(d, axis=-1)))
    return lon, lat, el


def test_kept_slot_stays_in_its_box_for_a_year_and_the_free_one_drifts_away() -> None:
    kept = geo_slot(LON, AT)
    free = geo_slot(LON, AT, station_keeping=False)
    assert isinstance(kept.satrec, KeptSatrec) and not isinstance(free.satrec, KeptSatrec)
    lon, lat, el = _lon_lat_el(kept.satrec)
    # the box it holds: +-0.01 deg in longitude, +-0.05 deg in latitude (SDP4's luni-solar
    # periodics at each anchor epoch), inside the +-0.05 to +-0.1 deg of operated GEO satellites
    assert np.abs(lon).max() < 0.01
    assert np.abs(lat).max() < 0.05
    # always in view from Xinglong (40.4 N, 117.6 E), at one elevation all year
    assert el.min() > 40.0 and np.ptp(el) < 0.1
    flon, _flat, fel = _lon_lat_el(free.satrec)
    # without station-keeping: the old drift. Over 50 deg of longitude in a year; seen from
    # Xinglong it sinks below a 10 deg mask in November (the window issue 18 reports ending)
    assert np.abs(flon[-1]) > 50.0
    first_low_day = HOURS[np.argmax(fel < 10.0)] / 24.0
    assert fel.min() < 10.0 and 304.0 <= first_low_day < 334.0
    assert fel[: 30 * 4].min() > 40.0  # the first month still in view: the drift is gradual


def test_first_day_is_the_designed_element_set_bit_for_bit() -> None:
    """Windows shorter than a day (from the analysis time) keep their bytes: day 0 is the
    designed set itself."""
    kept, free = geo_slot(LON, AT).satrec, geo_slot(LON, AT, station_keeping=False).satrec
    fr = kept.jdsatepochF + np.linspace(0.0, 1.0 - 1e-9, 97)
    jd = np.full(fr.size, kept.jdsatepoch)
    for a, b in zip(kept.sgp4_array(jd, fr), free.sgp4_array(jd, fr), strict=True):
        assert np.array_equal(a, b)
    assert kept.sgp4_tsince(600.0) == free.sgp4_tsince(600.0)
    # later days do differ (re-anchored), and the step at a day boundary is small: under 3 km,
    # 0.005 deg seen from the ground
    steps = []
    for day in range(1, 365, 7):
        _e, r, _v = kept.sgp4_array(np.full(2, kept.jdsatepoch + day), kept.jdsatepochF + np.array([-1e-9, 0.0]))
        steps.append(np.linalg.norm(r[1] - r[0]))
    assert 0.0 < max(steps) < 3.0


def test_scalar_array_and_tsince_calls_agree_and_pickling_keeps_the_station_keeping() -> None:
    sat = geo_slot(LON, AT, inclination_deg=0.5)
    rec = sat.satrec
    minutes = np.array([10.0, 1439.0, 1441.0, 100 * 1440.0 + 7.0, -30.0])
    jd = np.full(minutes.size, rec.jdsatepoch)
    fr = rec.jdsatepochF + minutes / 1440.0
    _e, r, _v = rec.sgp4_array(jd, fr)
    for k, m in enumerate(minutes):
        _e1, r1, _v1 = rec.sgp4(jd[k], fr[k])
        _e2, r2, _v2 = rec.sgp4_tsince(m)
        assert np.allclose(r1, r[k], atol=1e-6) and np.allclose(r2, r[k], atol=1e-6)
    back = pickle.loads(pickle.dumps(sat))
    assert isinstance(back.satrec, KeptSatrec)
    _e, r_back, _v = back.satrec.sgp4_array(jd, fr)
    assert np.array_equal(r_back, r)


def test_scene_grid_of_kept_and_plain_satellites_matches_their_own_propagation() -> None:
    kept, plain = geo_slot(LON, AT), geo_slot(-75.0, AT, station_keeping=False)
    scene = Scene([kept.satrec, plain.satrec], [], AT, AT + timedelta(days=3))
    s = np.linspace(0.0, 3 * 86400.0, 50)
    pos, vel, err = scene.sat_state_grid(s)
    assert not err.any()
    for i in range(2):
        p, v, _ = scene.sat_state_at(np.full(s.size, i), s)
        assert np.array_equal(p, pos[i]) and np.array_equal(v, vel[i])
    # the per-satellite path is the SatrecArray path, bit for bit
    jd, fr = scene._jd(s)
    _e, r_arr, _v = SatrecArray([plain.satrec]).sgp4(jd, fr)
    _e, r_one, _v = plain.satrec.sgp4_array(jd, fr)
    assert np.array_equal(r_arr[0], r_one)


def test_pass_engine_sees_one_window_across_day_boundaries_whatever_the_blocks() -> None:
    st = get_station("xinglong")
    sat = geo_slot(LON, AT, name="GEO-105E")
    start, end = AT + timedelta(hours=7), AT + timedelta(days=3, hours=5)
    found = find_passes([sat], [st], start, end).passes
    assert len(found) == 1
    assert found[0].aos == start and found[0].los == end
    blocks = [p for search in iter_passes([sat], [st], start, end, block_s=7 * 3600.0) for p in search.passes]
    assert [(p.aos, p.los, p.max_el_deg) for p in blocks] == [(p.aos, p.los, p.max_el_deg) for p in found]


def test_constellation_toml_station_keeping_key() -> None:
    base = '[[geo]]\nname = "G"\nlongitude_deg = 105.0\n'
    (default,) = constellation_from_toml(base, AT)
    (on,) = constellation_from_toml(base + "station_keeping = true\n", AT)
    (off,) = constellation_from_toml(base + "station_keeping = false\n", AT)
    assert isinstance(default.satrec, KeptSatrec) and isinstance(on.satrec, KeptSatrec)
    assert not isinstance(off.satrec, KeptSatrec)
    with pytest.raises(ConfigError, match="station_keeping"):
        constellation_from_toml(base + 'station_keeping = "yes"\n', AT)


# ---------------------------------------------------------------------------------------------
# Designed MEO (issue 18 item 6, optional part): the designed orbit held all study

MEO_KM, MEO_INC, MEO_NODE, MEO_U = 10_000.0, 45.0, 30.0, 10.0


def _osculating(r: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Osculating semi-major axis (km, vis-viva), node (deg), inclination (deg) and argument of
    latitude (deg) of TEME states, with WGS-72's mu (Vallado 2013, algorithm 9)."""
    from passplan.designed import MU_KM3_S2

    rn = np.linalg.norm(r, axis=-1)
    a = 1.0 / (2.0 / rn - (v * v).sum(-1) / MU_KM3_S2)
    h = np.cross(r, v)
    hz = h / np.linalg.norm(h, axis=-1)[:, None]
    node = np.degrees(np.arctan2(h[:, 0], -h[:, 1]))
    line = np.stack([np.cos(np.radians(node)), np.sin(np.radians(node)), np.zeros(node.size)], axis=-1)
    u = np.degrees(np.arctan2((np.cross(line, r) * hz).sum(-1), (line * r).sum(-1)))
    return a, node, np.degrees(np.arccos(hz[:, 2])), u


def _meo_year(station_keeping: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Deviations from the designed orbit over a year, 4 samples a day: semi-major axis (km),
    node and argument of latitude (deg) against the designed elements advanced by the first-order
    J2 secular rates (Vallado 2013, eqs. 9-41 and 9-42, and the J2 mean-anomaly rate: an authority
    apart from SGP4's own rates), and inclination (deg)."""
    from passplan.designed import EARTH_RADIUS_KM, J2, MU_KM3_S2, circular

    sat = circular("MEO", AT, altitude_km=MEO_KM, inclination_deg=MEO_INC, raan_deg=MEO_NODE,
                   arg_latitude_deg=MEO_U, station_keeping=station_keeping).satrec
    jd = np.full(HOURS.size, sat.jdsatepoch)
    err, r, v = sat.sgp4_array(jd, sat.jdsatepochF + HOURS / 24.0)
    assert not err.any()
    a, node, inc, u = _osculating(r, v)
    big_a = EARTH_RADIUS_KM + MEO_KM
    n = np.sqrt(MU_KM3_S2 / big_a**3) * 86400.0  # rad/day
    k = 1.5 * J2 * (EARTH_RADIUS_KM / big_a) ** 2
    ci, s2 = np.cos(np.radians(MEO_INC)), np.sin(np.radians(MEO_INC)) ** 2
    days = HOURS / 24.0
    node_ref = MEO_NODE + np.degrees(-k * n * ci) * days
    u_ref = MEO_U + np.degrees(k * n * (2.0 - 2.5 * s2) + n * (1.0 + k * (1.0 - 1.5 * s2))) * days
    wrap = lambda x: (x + 180.0) % 360.0 - 180.0  # noqa: E731
    return a - big_a, wrap(node - node_ref), wrap(u - u_ref), inc - MEO_INC


def test_kept_meo_holds_its_designed_orbit_for_a_year_and_the_free_one_drifts() -> None:
    """A designed MEO (10,000 km, 45 deg) is station-kept by default: over a year its
    semi-major axis stays within J2's short-period swing (+-2.1 km at this height), its node and
    phase within 0.06 and 0.08 deg of the designed J2 orbit, its inclination within 0.02 deg.
    Without station-keeping SDP4's luni-solar terms carry the node 0.28 deg, the phase 0.38 deg
    and the inclination 0.12 deg away in the same year: at least four times the kept box."""
    da, dnode, du, dinc = _meo_year(True)
    assert np.abs(da).max() < 2.5 and np.abs(dnode).max() < 0.06 and np.abs(du).max() < 0.08
    assert np.abs(dinc).max() < 0.02
    fa, fnode, fu, finc = _meo_year(False)
    assert np.abs(fa).max() < 2.5  # SDP4 has no secular change of a at this period: both hold it
    last = slice(-30 * 4, None)  # the last month
    assert np.abs(fnode[last]).min() > 0.2 and np.abs(fu[last]).max() > 0.3 and np.abs(finc[last]).min() > 0.1
    assert np.abs(fnode).max() > 4 * np.abs(dnode).max() and np.abs(fu).max() > 4 * np.abs(du).max()
    assert np.abs(finc).max() > 4 * np.abs(dinc).max()


def test_meo_station_keeping_where_it_applies_and_the_toml_key() -> None:
    """Deep-space designed orbits (MEO, here the demo's kind) are kept by default, the first day
    bit for bit the designed element set; a near-Earth orbit is not (SGP4 already follows its J2
    orbit); ``station_keeping = false`` opts out in [[satellite]] and [[walker]] tables, and
    design_meo writes the opt-out into its file."""
    from passplan.designed import circular, design_meo

    kept = circular("M", AT, altitude_km=MEO_KM, inclination_deg=MEO_INC).satrec
    free = circular("M", AT, altitude_km=MEO_KM, inclination_deg=MEO_INC, station_keeping=False).satrec
    assert isinstance(kept, KeptSatrec) and not isinstance(free, KeptSatrec)
    assert not isinstance(circular("L", AT, altitude_km=500.0, inclination_deg=MEO_INC).satrec, KeptSatrec)
    fr = kept.jdsatepochF + np.linspace(0.0, 1.0 - 1e-9, 49)
    jd = np.full(fr.size, kept.jdsatepoch)
    for x, y in zip(kept.sgp4_array(jd, fr), free.sgp4_array(jd, fr), strict=True):
        assert np.array_equal(x, y)
    minutes = np.array([30.0, 1441.0, 200 * 1440.0 + 5.0])
    _e, r, _v = kept.sgp4_array(np.full(3, kept.jdsatepoch), kept.jdsatepochF + minutes / 1440.0)
    for m, rk in zip(minutes, r, strict=True):
        assert np.allclose(kept.sgp4_tsince(float(m))[1], rk, atol=1e-6)
    back = pickle.loads(pickle.dumps(circular("M", AT, altitude_km=MEO_KM, inclination_deg=MEO_INC))).satrec
    assert isinstance(back, KeptSatrec)
    assert np.array_equal(back.sgp4_array(np.full(3, kept.jdsatepoch), kept.jdsatepochF + minutes / 1440.0)[1], r)
    base = 'altitude_km = 10000.0\ninclination_deg = 45.0\n'
    for table in ('[[satellite]]\nname = "M"\n', '[[walker]]\nname = "M"\nplanes = 1\nper_plane = 1\n'):
        (on,) = constellation_from_toml(table + base, AT)
        (off,) = constellation_from_toml(table + base + "station_keeping = false\n", AT)
        assert isinstance(on.satrec, KeptSatrec) and not isinstance(off.satrec, KeptSatrec)
        with pytest.raises(ConfigError, match="station_keeping"):
            constellation_from_toml(table + base + "station_keeping = 1\n", AT)
    assert "station_keeping" not in design_meo(MEO_KM, MEO_INC).to_toml()
    (drifting,) = design_meo(MEO_KM, MEO_INC, station_keeping=False).satellites(AT)
    assert "station_keeping = false" in design_meo(MEO_KM, MEO_INC, station_keeping=False).to_toml()
    assert not isinstance(drifting.satrec, KeptSatrec)
