"""The offline planetary ephemeris (JPL DE421 shipped by ``skyfield-data``) for the Sun and Moon.

DE421 covers 1899-07-29 to 2053-10-08. It is opened from the installed package, never
downloaded. We do not call ``skyfield_data.get_skyfield_data_path()``: it also checks the
bundled ``finals2000A.all`` (expired October 2026) and warns; passplan uses Skyfield's builtin
timescale instead.
"""

from __future__ import annotations

import functools
import importlib.resources
from datetime import UTC, datetime

from skyfield.jpllib import SpiceKernel

from .errors import InputError

__all__ = ["planets", "check_ephemeris_span", "EPHEMERIS_START", "EPHEMERIS_END"]

EPHEMERIS_START = datetime(1899, 7, 30, tzinfo=UTC)
EPHEMERIS_END = datetime(2053, 10, 7, tzinfo=UTC)


@functools.cache
def planets() -> SpiceKernel:
    """The DE421 ephemeris as a Skyfield SPICE kernel (loaded once per process)."""
    path = importlib.resources.files("skyfield_data") / "data" / "de421.bsp"
    return SpiceKernel(str(path))


def check_ephemeris_span(t0: datetime, t1: datetime) -> None:
    """Refuse an analysis window outside DE421's span, naming the span."""
    if t0 < EPHEMERIS_START or t1 > EPHEMERIS_END:
        raise InputError(
            f"window {t0:%Y-%m-%d} .. {t1:%Y-%m-%d} lies outside the bundled Sun/Moon ephemeris "
            f"(DE421, {EPHEMERIS_START:%Y-%m-%d} .. {EPHEMERIS_END:%Y-%m-%d}); choose dates inside it"
        )
