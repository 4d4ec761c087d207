"""iCalendar and CCSDS OEM exports, read back by maintained parsers (icalendar, oem)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from passplan.errors import InputError
from passplan.exports.ics import NAMESPACE, events_from_records, to_ics
from passplan.exports.oem import gcrf_states, oem_text

STAMP = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)

PASSES = [
    {"uid": "41731-xinglong-20161219T164843Z", "satellite": "QSS (MOZI)", "station": "xinglong",
     "aos_utc": "2016-12-19T16:48:43.740Z", "los_utc": "2016-12-19T16:55:40.810Z", "max_el_deg": 47.829,
     "min_range_km": 645.253, "secret_key_bits": 2.1e5},
    {"uid": "41731-graz-20161219T200000Z", "satellite": "QSS (MOZI)", "station": "graz",
     "aos_utc": "2016-12-19T20:00:00Z", "los_utc": "2016-12-19T20:05:00Z", "max_el_deg": 30.0},
]
LINKS = [
    {"station": "beijing", "satellite": "JINAN-1", "pass_uid": "53300-beijing-20261202T120000Z",
     "start_utc": "2026-12-02T12:00:00.000Z", "end_utc": "2026-12-02T12:03:00.000Z", "key_bits": 6e5,
     "expected_key_bits": 3e5, "handover": True},
]


def test_ics_round_trip_through_icalendar() -> None:
    from icalendar import Calendar

    text = to_ics(events_from_records(PASSES) + events_from_records(LINKS, kind="link"), creation_date=STAMP)
    assert text == to_ics(events_from_records(PASSES) + events_from_records(LINKS, kind="link"), creation_date=STAMP)
    cal = Calendar.from_ical(text)
    events = cal.walk("VEVENT")
    assert len(events) == 3
    first = events[0]
    assert str(first["uid"]) == f"{uuid.uuid5(NAMESPACE, PASSES[0]['uid'])}@passplan"
    assert first.decoded("dtstamp") == STAMP
    assert first.decoded("dtstart") == datetime(2016, 12, 19, 16, 48, 43, tzinfo=UTC)
    assert first.decoded("dtend") == datetime(2016, 12, 19, 16, 55, 41, tzinfo=UTC)  # covers LOS
    assert "210 kbit" in str(first["summary"]) and "47.829" in str(first["description"])
    assert "DTSTART:20161219T164843Z" in text and "\r\n" in text
    uids = {str(e["uid"]) for e in events}
    assert len(uids) == 3
    link = events[-1]
    assert "hand-over" in str(link["description"]) and "expected key" in str(link["description"])


def test_ics_uid_is_stable_across_runs_and_windows() -> None:
    a = events_from_records(PASSES)[0]
    b = events_from_records([dict(PASSES[0], secret_key_bits=1.0)])[0]
    assert a.uid == b.uid


def test_ics_bad_time() -> None:
    with pytest.raises(InputError, match="aos_utc"):
        events_from_records([dict(PASSES[0], aos_utc="yesterday")])


def test_oem_round_trip_through_oem_package(tmp_path: Path) -> None:
    """Write ISS states as OEM KVN, read them back with the `oem` package, compare with
    Skyfield's positions at each epoch."""
    pytest.importorskip("oem")
    from oem import OrbitEphemerisMessage
    from sgp4.api import Satrec
    from skyfield.api import EarthSatellite

    from passplan.times import timescale

    l1 = "1 25544U 98067A   26078.12958500  .00009105  00000+0  17698-3 0  9991"
    l2 = "2 25544  51.6344  25.6919 0006229 207.4819 152.5840 15.48370465557798"
    satrec = Satrec.twoline2rv(l1, l2)
    t0 = datetime(2026, 3, 19, 12, tzinfo=UTC)
    epochs = [t0 + timedelta(seconds=10 * k) for k in range(61)]
    pos, vel = gcrf_states(satrec, epochs)
    text = oem_text("ISS (ZARYA)", "1998-067A", epochs, pos, vel, creation_date=STAMP, comments=["test"])
    for key in ("CCSDS_OEM_VERS = 2.0", "CREATION_DATE", "ORIGINATOR", "META_START", "OBJECT_NAME",
                "OBJECT_ID", "CENTER_NAME = EARTH", "REF_FRAME = GCRF", "TIME_SYSTEM = UTC",
                "START_TIME", "STOP_TIME", "META_STOP"):
        assert key in text
    f = tmp_path / "iss.oem"
    f.write_text(text)
    parsed = OrbitEphemerisMessage.open(f)
    states = list(parsed.states)
    assert len(states) == 61
    ts = timescale()
    sky = EarthSatellite(l1, l2, ts=ts).at(ts.from_datetimes(epochs))
    got = np.array([s.position for s in states])
    got_v = np.array([s.velocity for s in states])
    assert np.abs(got - sky.position.km.T).max() < 1e-5  # km: the file's 6 decimals
    assert np.abs(got_v - sky.velocity.km_per_s.T).max() < 1e-8
    seg = parsed.segments[0]
    assert seg.metadata["REF_FRAME"] == "GCRF" and seg.metadata["OBJECT_ID"] == "1998-067A"


def test_oem_refuses_bad_states() -> None:
    t = [STAMP, STAMP + timedelta(seconds=1)]
    with pytest.raises(InputError, match="at least two"):
        oem_text("x", "y", t[:1], np.zeros((1, 3)), np.zeros((1, 3)))
    with pytest.raises(InputError, match="no state"):
        oem_text("x", "y", t, np.full((2, 3), np.nan), np.zeros((2, 3)))
