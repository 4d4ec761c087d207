"""Time handling: one builtin Skyfield timescale, aware datetimes only, local-time display.

Skyfield's ``load.timescale(builtin=True)`` uses the leap-second and Delta T tables shipped in
the package, so nothing is ever downloaded.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InputError

if TYPE_CHECKING:
    from skyfield.timelib import Timescale

__all__ = [
    "timescale",
    "parse_time",
    "require_aware",
    "iso_z",
    "local_str",
    "zone",
]


@functools.cache
def timescale() -> Timescale:
    """The one Skyfield timescale, built from the tables bundled with Skyfield (no network)."""
    from skyfield.api import load

    return load.timescale(builtin=True)


def require_aware(value: datetime, what: str = "time") -> datetime:
    """Return ``value`` in UTC; refuse a naive datetime with a message that says how to fix it."""
    if not isinstance(value, datetime):
        raise InputError(f"{what}: expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise InputError(
            f"{what} {value.isoformat()} has no time zone; give an aware datetime, "
            f"e.g. {value.replace(tzinfo=UTC).isoformat()} or datetime(..., tzinfo=UTC)"
        )
    return value.astimezone(UTC)


def parse_time(text: str, what: str = "time") -> datetime:
    """Parse an ISO-8601 string with a zone (``Z`` or ``+08:00``), or ``now``, to an aware UTC datetime.

    A bare date (``2016-12-19``) means midnight UTC of that day. A date-time without a zone is
    refused: the operator must say which clock they mean.
    """
    s = text.strip()
    if s.lower() == "now":
        return datetime.now(UTC)
    if len(s) == 10 and s[4] == "-" and s[7] == "-":
        try:
            return datetime.fromisoformat(s).replace(tzinfo=UTC)
        except ValueError:
            pass
    try:
        value = datetime.fromisoformat(s.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"{what} {text!r} is not an ISO-8601 time; use e.g. 2016-12-19T16:40:00Z"
        ) from None
    if value.tzinfo is None:
        raise InputError(
            f"{what} {text!r} has no time zone; append Z for UTC (e.g. {s}Z) or an offset like +08:00"
        )
    return value.astimezone(UTC)


def iso_z(value: datetime) -> str:
    """UTC ISO-8601 with a ``Z`` suffix and millisecond precision."""
    if value.__class__ is not datetime or value.tzinfo is not UTC:
        value = require_aware(value)  # in UTC from here: isoformat ends "+00:00"
    return value.isoformat(timespec="milliseconds")[:-6] + "Z"


@functools.cache
def zone(name: str) -> ZoneInfo:
    """An IANA time zone by name, with a clear error if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown IANA time zone {name!r}; use e.g. 'Asia/Shanghai' or 'UTC'") from None


def local_str(value: datetime, tz: str) -> str:
    """Format an aware datetime in the given IANA zone, e.g. ``2016-12-20 00:52:14 CST``."""
    return require_aware(value).astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M:%S %Z")
