"""Satellite records travel: pickling and deep copies rebuild the SGP4 state bit for bit, whatever
built the satellite (TLE lines, OMM fields, sgp4init arguments of a designed orbit)."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sgp4.api import WGS72, Satrec

import passplan
from passplan import elements
from passplan.designed import circular, geo_slot, load_constellation, walker_delta
from passplan.errors import InputError
from passplan.passes import Constraints, find_passes, sample_pass
from passplan.satellite import OmmFields, Satellite, Sgp4Init, TleLines
from passplan.stations import load_stations

DATA = Path(__file__).resolve().parents[1] / "data" / "tle"
# The Micius element set of the 2016-12-19 Xinglong pass (shared/reference/README.md, section 1).
MICIUS_2016 = (
    "1 41731U 16051A   16354.56913372  .00000384  00000-0  18801-4 0  9991",
    "2 41731  97.3698 268.1064 0013349 175.8929 309.0190 15.23916091 19164",
)
AT = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
MINUTES = (0.0, 17.5, 95.0, 720.0, 1440.0, 4321.25)


def states(sat: Satellite) -> str:
    """SGP4 error code, position and velocity at several times after the epoch, written with
    repr (which round-trips every double exactly, NaN included): equal text = equal bits."""
    out = [sat.satrec.sgp4_tsince(m) for m in MINUTES]
    jd = sat.satrec.jdsatepoch + np.array([0.25, 1.0, 3.5])
    e, r, v = sat.satrec.sgp4_array(jd, np.full(jd.shape, sat.satrec.jdsatepochF))
    out += [(int(a), tuple(map(float, b)), tuple(map(float, c))) for a, b, c in zip(e, r, v, strict=True)]
    return repr(out)


def assert_same_satellite(a: Satellite, b: Satellite) -> None:
    assert b is not a and b.satrec is not a.satrec
    for f in dataclasses.fields(Satellite):
        if f.name != "satrec":
            assert getattr(b, f.name) == getattr(a, f.name), f.name
    assert states(b) == states(a)  # bit-identical, not approximately equal


def round_trip(sat: Satellite) -> Satellite:
    return pickle.loads(pickle.dumps(sat, protocol=pickle.HIGHEST_PROTOCOL))


def test_tle_satellite_pickles_bit_identical() -> None:
    sat = Satellite.from_tle(*MICIUS_2016, name="MICIUS", source="test", aliases=("mozi",))
    assert sat.built_from == TleLines(*MICIUS_2016)
    back = round_trip(sat)
    assert_same_satellite(sat, back)
    assert back.aliases == ("mozi",) and back.norad_id == 41731


def test_bundled_tle_satellites_pickle_bit_identical() -> None:
    """Every bundled TLE set: LEO, GNSS MEO and GEO (deep-space SDP4 with resonance terms)."""
    sats = [s for s in elements.bundled_satellites() if isinstance(s.built_from, TleLines)]
    assert len(sats) > 20
    back = pickle.loads(pickle.dumps(sats))
    for a, b in zip(sats, back, strict=True):
        assert_same_satellite(a, b)


def test_omm_json_satellites_pickle_bit_identical() -> None:
    sats = elements.load_file(DATA / "qkd_pair_micius_jinan1_2023-11.omm.json")
    assert [type(s.built_from) for s in sats] == [OmmFields, OmmFields]
    for sat in sats:
        assert_same_satellite(sat, round_trip(sat))


def test_omm_beyond_alpha5_catalogue_number_pickles() -> None:
    """A catalogue number above 339999 (OMM only) and an epoch without fractional seconds."""
    rec = dict(json.loads((DATA / "qkd_pair_micius_jinan1_2023-11.omm.json").read_text())[0])
    rec["NORAD_CAT_ID"] = 412345
    rec["EPOCH"] = "2023-11-19T19:32:54"
    sat = Satellite.from_omm(rec, source="test")
    back = round_trip(sat)
    assert back.norad_id == 412345 and back.epoch == datetime(2023, 11, 19, 19, 32, 54, tzinfo=UTC)
    assert_same_satellite(sat, back)
    # the bookkeeping fields sgp4init does not take come back too
    for attr in ("classification", "ephtype", "elnum", "revnum", "intldesg"):
        assert getattr(back.satrec, attr) == getattr(sat.satrec, attr), attr


def test_designed_satellites_pickle_bit_identical() -> None:
    sso = circular("SSO-500", AT, altitude_km=500.0, sun_synchronous=True, ltan_h=22.5)
    walker = walker_delta("W", AT, altitude_km=1200.0, inclination_deg=55.0, planes=3, per_plane=4,
                          phasing=1)
    geo = geo_slot(100.5, AT, inclination_deg=0.05)
    sats = [sso, *walker, geo]
    assert all(isinstance(s.built_from, Sgp4Init) and s.designed for s in sats)
    back = pickle.loads(pickle.dumps(sats))
    for a, b in zip(sats, back, strict=True):
        assert_same_satellite(a, b)


def test_constellation_file_satellites_keep_their_profile() -> None:
    """The bundled demo fleet (profiles attached with dataclasses.replace) survives a pickle."""
    sats = load_constellation(elements.demo_fleet_path(), AT, source="bundled:demo")
    assert any(s.profile for s in sats)
    back = pickle.loads(pickle.dumps(sats))
    for a, b in zip(sats, back, strict=True):
        assert_same_satellite(a, b)


@settings(max_examples=25, deadline=None)
@given(
    alt=st.floats(300.0, 36000.0),
    inc=st.floats(0.0, 180.0),
    raan=st.floats(0.0, 360.0, exclude_max=True),
    u=st.floats(-720.0, 720.0),
)
def test_any_circular_orbit_pickles_bit_identical(alt: float, inc: float, raan: float, u: float) -> None:
    sat = circular("X", AT, altitude_km=alt, inclination_deg=inc, raan_deg=raan, arg_latitude_deg=u)
    assert states(round_trip(sat)) == states(sat)


def test_deepcopy_and_copy_rebuild_the_satrec() -> None:
    sat = Satellite.from_tle(*MICIUS_2016, name="MICIUS")
    assert_same_satellite(sat, copy.deepcopy(sat))
    assert_same_satellite(sat, copy.copy(sat))
    geo = geo_slot(-75.0, AT)
    assert_same_satellite(geo, copy.deepcopy(geo))


def test_pass_search_pickles_to_equal_passes() -> None:
    """A whole find_passes result travels (the process-pool and Dask case) and still samples."""
    stations = load_stations()
    sats = [
        Satellite.from_tle(*MICIUS_2016, name="MICIUS"),
        circular("SSO", datetime(2016, 12, 19, tzinfo=UTC), altitude_km=500.0,
                 sun_synchronous=True, ltan_h=22.0),
    ]
    t0 = datetime(2016, 12, 19, 10, tzinfo=UTC)
    found = find_passes(sats, [stations["xinglong"], stations["graz"]], t0, t0 + timedelta(hours=14),
                        Constraints(min_elevation_deg=5.0), include_excluded=True)
    assert len(found) >= 4
    back = pickle.loads(pickle.dumps(found))
    assert type(back) is type(found)
    assert back.passes == found.passes and back.warnings == found.warnings
    assert [p.to_dict() for p in back] == [p.to_dict() for p in found]
    for p, q in zip(found, back, strict=True):
        assert states(q.sat_ref) == states(p.sat_ref)
    a, b = sample_pass(found[0], 5.0), sample_pass(back[0], 5.0)
    assert a.t == b.t and np.array_equal(a.el_deg, b.el_deg) and np.array_equal(a.range_km, b.range_km)
    assert [p.to_dict() for p in copy.deepcopy(found)] == [p.to_dict() for p in found]


def test_pickle_rebuilds_in_a_fresh_interpreter() -> None:
    """No live state leaks through the pickle: a new process rebuilds the same positions."""
    sat = geo_slot(10.0, AT)
    code = (
        "import pickle, sys\n"
        "sat = pickle.loads(sys.stdin.buffer.read())\n"
        "print(repr([sat.satrec.sgp4_tsince(m) for m in (0.0, 95.0, 1440.0)]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], input=pickle.dumps(sat), capture_output=True,
                         check=True, timeout=120)
    here = repr([sat.satrec.sgp4_tsince(m) for m in (0.0, 95.0, 1440.0)])
    assert out.stdout.decode().strip() == here


def test_bare_satrec_satellite_refuses_to_pickle_and_says_how() -> None:
    satrec = Satrec.twoline2rv(*MICIUS_2016, WGS72)
    sat = Satellite("BARE", 41731, satrec, datetime(2016, 12, 19, tzinfo=UTC), "test")
    with pytest.raises(InputError, match=r"bare Satrec.*from_tle, from_omm or\s+from_sgp4init"):
        pickle.dumps(sat)


def test_bad_recipes_are_refused() -> None:
    satrec = Satrec.twoline2rv(*MICIUS_2016, WGS72)
    with pytest.raises(InputError, match="built_from is a tuple; expected TleLines"):
        Satellite("X", 1, satrec, AT, "test", built_from=tuple(MICIUS_2016))  # type: ignore[arg-type]
    with pytest.raises(InputError, match="'wgs99' is not one of wgs72"):
        Sgp4Init(AT, 0.0, 0.0, 0.0, 0.0, 0.06, 0.0, gravity="wgs99")
    with pytest.raises(InputError, match="'x' must be 'i'"):
        Sgp4Init(AT, 0.0, 0.0, 0.0, 0.0, 0.06, 0.0, opsmode="x")


def test_from_sgp4init_matches_a_direct_sgp4init() -> None:
    """The recipe is the plain sgp4init call: same state as calling sgp4 ourselves."""
    args = Sgp4Init(AT, 0.001, 1.0, 0.9, 2.0, 0.0655, 3.0, bstar=1e-5)
    sat = Satellite.from_sgp4init("X", args, "test")
    ref = Satrec()
    days = (AT - datetime(1949, 12, 31, tzinfo=UTC)).total_seconds() / 86400.0
    ref.sgp4init(WGS72, "i", 0, days, 1e-5, 0.0, 0.0, 0.001, 1.0, 0.9, 2.0, 0.0655, 3.0)
    assert [sat.satrec.sgp4_tsince(m) for m in MINUTES] == [ref.sgp4_tsince(m) for m in MINUTES]


def test_satellite_is_one_class_everywhere() -> None:
    from passplan.elements import Satellite as FromElements

    assert FromElements is Satellite is passplan.Satellite
    assert Satellite.__module__ == "passplan.satellite"
