"""Tonight's dark interval against Skyfield's almanac (an independent search)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from skyfield import almanac
from skyfield.api import wgs84

from passplan.ephemeris import planets
from passplan.sky import night_of, tonight
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


def test_during_the_night_gives_the_whole_night() -> None:
    st = load_stations()["xinglong"]
    at = datetime(2016, 12, 19, 16, tzinfo=UTC)  # local midnight
    night = tonight(st, at)
    assert night.start < at < night.end
    assert night == tonight(st, datetime(2016, 12, 19, 4, tzinfo=UTC))  # the same night from noon


def test_window_depends_on_the_date_not_the_instant() -> None:
    """Two calls seconds (or hours) apart on the same local afternoon and evening give the same
    window to the microsecond; after dawn, the next night."""
    st = load_stations()["graz"]
    base = datetime(2026, 11, 23, 12, 0, 0, 123456, tzinfo=UTC)  # 13:00 CET
    nights = set()
    for s in (0, 0.5, 3.7, 2 * 3600 + 0.3, 8 * 3600):
        night_of.cache_clear()  # computed afresh each time
        nights.add(tonight(st, base + timedelta(seconds=s)))
    assert len(nights) == 1
    night = nights.pop()
    assert night.start > base and night.end - night.start > timedelta(hours=10)
    after_dawn = tonight(st, night.end + timedelta(minutes=5))
    assert after_dawn.start > night.end + timedelta(hours=6)


def test_midsummer_high_latitude_falls_back_to_darkest_interval() -> None:
    st = Station(id="tromso", lat_deg=69.65, lon_deg=18.96, alt_m=100.0, timezone="Europe/Oslo")
    night = tonight(st, datetime(2026, 6, 21, 12, tzinfo=UTC), "nautical")
    assert not night.reached and "never sets" in night.note
    assert night.end - night.start == timedelta(hours=4)
    line = night.describe("Europe/Oslo")
    assert "no dark period" in line and "window used" in line and "dark (" not in line
    st2 = Station(id="oslo", lat_deg=59.9, lon_deg=10.7, alt_m=20.0, timezone="Europe/Oslo")
    n2 = tonight(st2, datetime(2026, 6, 21, 12, tzinfo=UTC), "nautical")
    assert not n2.reached and n2.threshold_deg == pytest.approx(-6.0) and "civil" in n2.note
    assert "no nautical darkness" in n2.describe("Europe/Oslo") and "Sun below -6 deg (civil)" in n2.describe()
    assert n2.end > n2.start
