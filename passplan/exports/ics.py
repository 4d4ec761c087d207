"""iCalendar (RFC 5545) events for passes and scheduled links, through the ``icalendar`` library.

One VEVENT per pass or link, in UTC (``Z`` times need no VTIMEZONE block). UIDs are UUIDv5 of
the pass uid (or the link's uid) in a fixed passplan namespace, so re-running a plan updates the
same calendar entries instead of duplicating them. An entangled link (issue 19: one satellite's
pair source to two stations at once) is **one event per station**, each at its own station
(LOCATION), its summary and description naming both stations and marking it entangled; its UID
derives from the link's uid and the station, so each station's calendar keeps its own entry. ``DTSTAMP`` (required by RFC 5545 3.6.1) is
the creation time, settable so that the same inputs give the same file.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..errors import InputError
from ..times import iso_z

__all__ = ["CalendarEvent", "events_from_records", "events_from_links", "to_ics", "NAMESPACE", "PRODID"]

#: The UUIDv5 namespace of passplan's calendar UIDs (a fixed random UUID).
NAMESPACE = uuid.UUID("6f0c1c2e-5d0b-4c57-9a0e-5a3c1c5e2f71")
PRODID = "-//passplan//satellite QKD pass planner//EN"


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    uid_source: str  # the stable id the UID derives from (a pass uid)
    start: datetime
    end: datetime
    summary: str
    description: str = ""
    location: str = ""

    @property
    def uid(self) -> str:
        return f"{uuid.uuid5(NAMESPACE, self.uid_source)}@passplan"


def _parse_z(text: str, what: str) -> datetime:
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        raise InputError(f"{what} {text!r} is not an ISO-8601 UTC time") from None
    if t.tzinfo is None:
        raise InputError(f"{what} {text!r} has no time zone")
    return t.astimezone(UTC)


def _bits(v: Any) -> str:
    if v is None:
        return "n/a"
    v = float(v)
    if v >= 1e6:
        return f"{v / 1e6:.3g} Mbit"
    if v >= 1e3:
        return f"{v / 1e3:.3g} kbit"
    return f"{v:.0f} bit"


def events_from_records(records: Iterable[Mapping[str, Any]], kind: str | None = None) -> list[CalendarEvent]:
    """Events from pass records (``uid``, ``aos_utc``, ``los_utc`` ...) or schedule links
    (``pass_uid``, ``start_utc``, ``end_utc`` ...): the key and elevations go in the description,
    which starts with ``kind`` (default ``link`` for a link, ``pass`` for a pass)."""
    out: list[CalendarEvent] = []
    for r in records:
        what = kind or ("link" if "start_utc" in r else "pass")
        if r.get("kind") == "entangled":  # one event at each of its two stations
            out += _entangled_events(
                str(r["pass_uid"]), _parse_z(r["start_utc"], "start_utc"), _parse_z(r["end_utc"], "end_utc"),
                str(r["start_utc"]), str(r["end_utc"]), str(r["satellite"]), (str(r["station_a"]), str(r["station_b"])),
                r.get("key_bits"), r.get("expected_key_bits"), what,
            )
            continue
        if "start_utc" in r:  # a scheduled link
            start, end = _parse_z(r["start_utc"], "start_utc"), _parse_z(r["end_utc"], "end_utc")
            src = f"{r['pass_uid']}/{r['start_utc']}" if r.get("handover") else str(r["pass_uid"])
        else:
            start, end = _parse_z(r["aos_utc"], "aos_utc"), _parse_z(r["los_utc"], "los_utc")
            src = str(r.get("uid") or f"{r['satellite']}-{r['station']}-{r['aos_utc']}")
        lines = [f"{what}: {r['satellite']} over {r['station']}", f"UTC {r.get('aos_utc', r.get('start_utc'))} to {r.get('los_utc', r.get('end_utc'))}"]
        for key, label in (
            ("max_el_deg", "maximum elevation (deg)"),
            ("aos_az_deg", "azimuth at AOS (deg)"),
            ("los_az_deg", "azimuth at LOS (deg)"),
            ("min_range_km", "minimum range (km)"),
        ):
            if r.get(key) is not None:
                lines.append(f"{label}: {r[key]}")
        key_bits = r.get("secret_key_bits", r.get("key_bits"))
        if key_bits is not None:
            lines.append(f"forecast key: {_bits(key_bits)}")
        if r.get("expected_key_bits") is not None:
            lines.append(f"expected key (clear-sky weighted): {_bits(r['expected_key_bits'])}")
        if r.get("handover"):
            lines.append("hand-over: the satellite switches station during this pass")
        if r.get("pass_uid") or r.get("uid"):
            lines.append(f"pass uid: {r.get('pass_uid') or r.get('uid')}")
        summary = f"QKD {r['satellite']} -> {r['station']}"
        if key_bits is not None:
            summary += f" ({_bits(key_bits)})"
        out.append(CalendarEvent(src, start, end, summary, "\n".join(lines), str(r["station"])))
    return out


def _to_ms(t: datetime) -> datetime:
    """``t`` in UTC to the millisecond (truncated), as a link record's time."""
    t = t.astimezone(UTC)
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


def events_from_links(links: Iterable[Any], kind: str = "link") -> list[CalendarEvent]:
    """Events from scheduled links (:class:`passplan.schedule.Candidate`), from their datetimes:
    the same events as :func:`events_from_records` of their records (times to the millisecond,
    key to 0.1 bit, as the records give them)."""
    out: list[CalendarEvent] = []
    for c in links:
        start_z, end_z = iso_z(c.start), iso_z(c.end)
        if getattr(c, "partner", None) is not None:  # entangled: one event at each of its two stations
            out += _entangled_events(str(c.pass_uid), _to_ms(c.start), _to_ms(c.end), start_z, end_z, c.satellite,
                                     (c.station, c.partner), round(c.key_bits, 1), round(c.expected_key_bits, 1), kind)
            continue
        src = f"{c.pass_uid}/{start_z}" if c.handover else str(c.pass_uid)
        key_bits = round(c.key_bits, 1)
        lines = [
            f"{kind}: {c.satellite} over {c.station}",
            f"UTC {start_z} to {end_z}",
            f"forecast key: {_bits(key_bits)}",
            f"expected key (clear-sky weighted): {_bits(round(c.expected_key_bits, 1))}",
        ]
        if c.handover:
            lines.append("hand-over: the satellite switches station during this pass")
        if c.pass_uid:
            lines.append(f"pass uid: {c.pass_uid}")
        summary = f"QKD {c.satellite} -> {c.station} ({_bits(key_bits)})"
        out.append(CalendarEvent(src, _to_ms(c.start), _to_ms(c.end), summary, "\n".join(lines), str(c.station)))
    return out


def _entangled_events(uid: str, start: datetime, end: datetime, start_z: str, end_z: str, satellite: str,
                      stations: tuple[str, str], key_bits: Any, expected_key_bits: Any, kind: str) -> list[CalendarEvent]:
    """The two events of an entangled link, one at each station (the module docstring)."""
    a, b = stations
    out = []
    for here, there in ((a, b), (b, a)):
        lines = [
            f"entangled {kind}: {satellite} over {a} and {b} at once (this event: {here})",
            f"UTC {start_z} to {end_z}",
            f"forecast key: {_bits(key_bits)} (the pair's share of the pooled BBM92 key; no trusted satellite)",
            f"expected key (both stations clear): {_bits(expected_key_bits)}",
        ]
        if uid:
            lines.append(f"pass uid: {uid}")
        summary = f"QKD entangled {satellite} -> {here} + {there} ({_bits(key_bits)})"
        out.append(CalendarEvent(f"{uid}@{here}", start, end, summary, "\n".join(lines), here))
    return out


def to_ics(
    events: Iterable[CalendarEvent],
    creation_date: datetime | None = None,
    name: str = "passplan",
    *,
    dtstamp: datetime | None = None,
) -> str:
    """The VCALENDAR text of ``events`` (CRLF line ends, folded by the library as RFC 5545 wants);
    ``creation_date`` (default now) is every event's DTSTAMP (``dtstamp=``: its old name)."""
    from icalendar import Calendar, Event

    from ..errors import renamed_keyword

    creation_date = renamed_keyword("creation_date", creation_date, "dtstamp", dtstamp)
    stamp = (creation_date or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    for e in sorted(events, key=lambda e: (e.start, e.uid)):
        ev = Event()
        ev.add("uid", e.uid)
        ev.add("dtstamp", stamp)
        ev.add("dtstart", e.start.astimezone(UTC).replace(microsecond=0))
        end = e.end.astimezone(UTC)  # seconds resolution: the event covers the whole window
        ev.add("dtend", end.replace(microsecond=0) + timedelta(seconds=1 if end.microsecond else 0))
        ev.add("summary", e.summary)
        if e.description:
            ev.add("description", e.description)
        if e.location:
            ev.add("location", e.location)
        ev.add("categories", ["QKD"])
        cal.add_component(ev)
    return cal.to_ical().decode("utf-8")
