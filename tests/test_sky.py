"""Tonight's dark interval against Skyfield's almanac (an independent search)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from skyfield import almanac
from skyfield.api import wgs84

from passplan.ephemeris import planets
from passplan.sky import tonight
from passplan.stations import Station, load_stations
from passplan.times import timescale


def _almanac_edges(st: Station, t0: datetime, t1: datetime) -> list[tuple[datetime, int]]:
    ts = timescale()
    eph = planets()
    f = almanac.dark_twilight_day(eph, wgs84.latlon(st.lat_deg, st.lon_deg, elevation_m=st.alt_m))
    t, y = almanac.find_discrete(ts.from_datetime(t0), ts.from_datetime(t1), f)
    return [(x.utc_datetime(), int(v)) for x, v in zip(t, y, strict=True)]


def test_nautical_night_matches_skyfield_almanac() -> None:
    st = load_stations()["xinglong"]
    at = datetime(2016, 12, 19, 4, tzinfo=UTC)  # local noon
    night = tonight(st, at, "nautical")
    edges = _almanac_edges(st, at, at + timedelta(hours=30))
    # almanac codes: 1 = nautical twilight; the dusk edge is the change to 1, the dawn edge the change from 1 to 2
    dusk = next(t for t, v in edges if v == 1)
    dawn = next(t for t, v in edges if v == 2 and t > dusk)
    assert night.reached
    assert abs((night.start - dusk).total_seconds()) < 2.0
    assert abs((night.end - dawn).total_seconds()) < 2.0


def test_already_dark_starts_now() -> None:
    st = load_stations()["xinglong"]
    at = datetime(2016, 12, 19, 16, tzinfo=UTC)  # local midnight
    night = tonight(st, at)
    assert night.start == at and night.end > at


def test_midsummer_high_latitude_falls_back_to_darkest_interval() -> None:
    st = Station(id="tromso", lat_deg=69.65, lon_deg=18.96, alt_m=100.0, timezone="Europe/Oslo")
    night = tonight(st, datetime(2026, 6, 21, 12, tzinfo=UTC), "nautical")
    assert not night.reached and "never sets" in night.note
    assert night.end - night.start == timedelta(hours=4)
    st2 = Station(id="oslo", lat_deg=59.9, lon_deg=10.7, alt_m=20.0, timezone="Europe/Oslo")
    n2 = tonight(st2, datetime(2026, 6, 21, 12, tzinfo=UTC), "nautical")
    assert not n2.reached and n2.threshold_deg == pytest.approx(-6.0) and "civil" in n2.note
    assert n2.end > n2.start
