"""Time handling: one builtin Skyfield timescale, aware times only, local-time display.

**The one time rule.** Every time a user gives passplan means one instant, without guessing a
clock:

- *Text* (every CLI time option: ``passes --start``/``--end``, ``elements show --at``,
  ``elements list --at``, ``coverage --start``, ``--creation-date`` ...) goes through
  :func:`parse_time`: ISO-8601 with a zone (``2016-12-19T16:40:00Z``, ``...+08:00``), ``now``,
  or a bare date (``2016-12-19``: midnight UTC of that day). A date-time without a zone is
  refused, with the fix in the message.
- *Objects* (every library argument that takes a time: ``find_passes(start, end)``,
  ``resolve_satellites(at=)``, ``tonight`` ...) go through :func:`as_datetime`
  (:func:`require_aware` is the same rule): an aware :class:`~datetime.datetime`, or a scalar
  ``astropy.time.Time`` in any scale astropy can turn into UTC offline. A naive datetime is
  refused.

Either way the result is an aware UTC datetime. Skyfield's ``load.timescale(builtin=True)`` uses
the leap-second and Delta T tables shipped in the package, and astropy Times are converted with
IERS auto-download off (its bundled tables), so nothing is ever downloaded.
"""

from __future__ import annotations

import functools
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InputError

if TYPE_CHECKING:
    from skyfield.timelib import Timescale

__all__ = [
    "timescale",
    "parse_time",
    "as_datetime",
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


def as_datetime(value: Any, what: str = "time") -> datetime:
    """``value`` as an aware UTC datetime: an aware :class:`~datetime.datetime` (any zone), or a
    scalar ``astropy.time.Time`` (any scale astropy converts to UTC without the network).

    A naive datetime, a Time array or anything else is refused with an :class:`InputError` that
    names ``what`` and the fix. astropy is never imported here: a Time can only arrive if the
    caller imported it.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise InputError(
                f"{what} {value.isoformat()} has no time zone; give an aware datetime, "
                f"e.g. {value.replace(tzinfo=UTC).isoformat()} or datetime(..., tzinfo=UTC)"
            )
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise InputError(f"{what} {value.isoformat()} is outside the years 1-9999 in UTC") from None
    astropy_time = sys.modules.get("astropy.time")
    if astropy_time is not None and isinstance(value, astropy_time.Time):
        return _from_astropy_time(value, what)
    raise InputError(
        f"{what}: expected an aware datetime or an astropy Time, got {type(value).__name__}; "
        "e.g. datetime(2016, 12, 19, 16, 40, tzinfo=UTC)"
    )


def _from_astropy_time(value: Any, what: str) -> datetime:
    """A scalar astropy Time as an aware UTC datetime (microseconds), IERS downloads off."""
    from astropy.utils import iers  # type: ignore[import-untyped]

    if not value.isscalar:
        raise InputError(
            f"{what}: got an astropy Time array of shape {value.shape}; give one time (e.g. t[0])"
        )
    if value.masked and bool(value.mask):
        raise InputError(f"{what}: the astropy Time is masked (no value); give a time")
    beyond = InputError(
        f"{what} {value.isot} ({value.scale}) is beyond the Earth-orientation (IERS) table bundled "
        "with astropy, and passplan downloads nothing; give it in the utc, tai or tt scale"
    )
    try:
        # No download; the bundled IERS-A predictions are used whatever their age (UT1 - UTC
        # predictions drift by tens of ms over a year, far below what a pass plan resolves),
        # but never beyond their last day, where astropy would silently hold the last value.
        with iers.conf.set_temp("auto_download", False), iers.conf.set_temp("auto_max_age", None):
            if value.scale == "ut1":
                mjd = iers.earth_orientation_table.get()["MJD"].to_value("d")
                if not mjd[0] <= value.mjd <= mjd[-1]:
                    raise beyond
            return value.utc.to_datetime(timezone=UTC)
    except InputError:
        raise
    except IndexError:  # astropy's IERSRangeError: UT1 outside an Earth-orientation table
        raise beyond from None
    except Exception as err:  # ValueError (a leap second), ScaleValueError ('local' scale) ...
        reason = " ".join(str(err).split()).split(". ")[0][:200] or type(err).__name__
        raise InputError(
            f"{what} {value.isot} ({value.scale}) cannot be turned into UTC offline: {reason}; "
            "give it in the utc, tai or tt scale"
        ) from None


def require_aware(value: Any, what: str = "time") -> datetime:
    """Return ``value`` in UTC; refuse a naive datetime with a message that says how to fix it.
    The same rule as :func:`as_datetime` (an astropy Time is accepted too)."""
    return as_datetime(value, what)


def parse_time(text: str, what: str = "time") -> datetime:
    """Parse an ISO-8601 string with a zone (``Z`` or ``+08:00``), or ``now``, to an aware UTC datetime.

    This is the rule for every time given as text (every CLI time option; see the module
    docstring). A bare date (``2016-12-19``) means midnight UTC of that day. A date-time without
    a zone is refused: the operator must say which clock they mean. ``what`` names the option
    in the error (e.g. ``"--start"``).
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
    return as_datetime(value, what)


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
