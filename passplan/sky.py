"""The Sun at a station: elevation, and tonight's dark interval at a twilight setting.

Sun positions come from JPL DE421 (``skyfield-data``, offline), observed from the station's
WGS-84 position with light-time, aberration and deflection (Skyfield ``apparent()``), without
refraction: twilight classes are defined by the geometric position of the Sun's centre (civil
-6, nautical -12, astronomical -18 deg; U.S. Naval Observatory definitions).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from skyfield.api import wgs84

from .ephemeris import check_ephemeris_span, planets
from .errors import InputError
from .stations import TWILIGHT_ANGLES_DEG, Station, twilight_angle_deg
from .times import iso_z, local_str, require_aware, timescale, zone

__all__ = ["Night", "sun_elevation_deg", "tonight", "night_of"]

_SEARCH_H = 36.0
_STEP_S = 600.0


def sun_elevation_deg(station: Station, times: list[datetime]) -> np.ndarray:
    """Apparent (unrefracted) elevation of the Sun's centre at the station, degrees."""
    ts = timescale()
    eph = planets()
    t = ts.from_datetimes([require_aware(x) for x in times])
    site = eph["earth"] + wgs84.latlon(station.lat_deg, station.lon_deg, elevation_m=station.alt_m)
    alt, _, _ = site.at(t).observe(eph["sun"]).apparent().altaz()
    return np.atleast_1d(alt.degrees)


@dataclass(frozen=True, slots=True)
class Night:
    """The dark interval chosen for ``tonight``.

    ``threshold_deg`` is the Sun elevation that bounds it; ``reached`` is False when the asked-for
    darkness does not come that night (high latitude in summer), in which case the interval is
    the darkest one the station does reach, ``used`` names it (``civil``, ``sunset`` or
    ``lowest Sun``) and ``note`` says so.
    """

    station: str
    start: datetime
    end: datetime
    setting: str
    threshold_deg: float | None
    reached: bool
    darkest_sun_el_deg: float
    note: str = ""
    used: str = ""

    def to_dict(self) -> dict[str, object]:
        """A plain record."""
        return {
            "station": self.station,
            "start_utc": iso_z(self.start),
            "end_utc": iso_z(self.end),
            "setting": self.setting,
            "threshold_deg": self.threshold_deg,
            "reached": self.reached,
            "darkest_sun_el_deg": round(self.darkest_sun_el_deg, 2),
            "note": self.note,
            "used": self.used or self.setting,
        }

    def describe(self, tz: str = "UTC") -> str:
        """One line saying what the window is, in the zone ``tz``: the darkness asked for, or,
        when it never comes, that there is none and which window is used instead."""
        span = f"{local_str(self.start, tz)} to {local_str(self.end, tz)}"
        if self.setting == "any":
            return f"{self.station}: no darkness required; the 24 h from local noon, {span}"
        if self.reached:
            extra = f" ({self.note})" if self.note else ""
            return f"{self.station}: dark ({self.setting}, Sun below {self.threshold_deg:g} deg) from {span}{extra}"
        if self.threshold_deg is not None:
            return (
                f"{self.station}: no {self.setting} darkness tonight (the Sun gets no lower than "
                f"{self.darkest_sun_el_deg:.1f} deg); window used: Sun below {self.threshold_deg:g} deg "
                f"({self.used}), {span}"
            )
        return (
            f"{self.station}: no dark period tonight, the Sun never sets (lowest "
            f"{self.darkest_sun_el_deg:.1f} deg); window used: the 4 h around its lowest point, {span}"
        )


def _refine(station: Station, a: datetime, b: datetime, thr: float, dark_at_a: bool) -> datetime:
    """The first whole second after ``a`` (up to ``b``) at which the Sun has crossed ``thr``:
    the bracket is cut into about 30 steps per vectorised evaluation until the step is 1 s."""
    span = (b - a).total_seconds()
    while span > 1.0:
        step = max(1.0, float(math.ceil(span / 30.0)))
        times = [min(a + timedelta(seconds=step * k), b) for k in range(1, int(math.ceil(span / step)) + 1)]
        dark = sun_elevation_deg(station, times) < thr
        changed = np.nonzero(dark != dark_at_a)[0]
        i = int(changed[0]) if changed.size else len(times) - 1
        a, b = (times[i - 1] if i > 0 else a), times[i]
        span = (b - a).total_seconds()
    return b


def tonight(
    station: Station, at: datetime, darkness: str | float | None = None, *, setting: str | float | None = None
) -> Night:
    """The night at ``station`` that ``at`` falls in, or else the next one, at the station's
    twilight setting (or ``darkness``: a twilight name or a Sun elevation in deg, as
    :class:`passplan.passes.Constraints` takes it; ``setting=`` is its old name, deprecated):
    the whole dark interval from dusk to dawn.

    The window depends on the station's local date only (:func:`night_of`), never on the
    instant within it: two calls during the same night, or during the same afternoon, give the
    same window to the microsecond.
    """
    from .errors import renamed_keyword

    darkness = renamed_keyword("darkness", darkness, "setting", setting)
    at = require_aware(at, "time")
    day = at.astimezone(zone(station.timezone)).date()
    before = night_of(station, day - timedelta(days=1), darkness)
    if at < before.end:
        return before
    return night_of(station, day, darkness)


@functools.lru_cache(maxsize=64)
def night_of(station: Station, day: date, darkness: str | float | None = None) -> Night:
    """The night starting on the evening of the local date ``day`` at ``station``: from dusk to
    dawn at the twilight setting (the station's, or ``darkness``), searched on a 10-min grid from
    local noon and refined to 1 s (so it depends on the date and station only).

    If that darkness never comes, the darkest interval reached is returned: the deepest of
    astronomical, nautical, civil twilight or sunset that is reached, or, under the midnight
    Sun, four hours centred on the Sun's lowest point. ``darkness="any"`` returns the 24 h from
    local noon; in polar night (the Sun below the threshold all day) also the 24 h from noon.
    """
    noon = datetime.combine(day, time(12, 0), tzinfo=zone(station.timezone)).astimezone(UTC)
    check_ephemeris_span(noon, noon + timedelta(hours=_SEARCH_H))
    setting = station.twilight if darkness is None else darkness
    thr = twilight_angle_deg(setting)
    name = setting if isinstance(setting, str) else f"{float(setting):g} deg"
    n = int(_SEARCH_H * 3600 / _STEP_S) + 1
    times = [noon + timedelta(seconds=i * _STEP_S) for i in range(n)]
    sun = sun_elevation_deg(station, times)
    whole_day = int(24 * 3600 / _STEP_S) + 1
    darkest = float(sun[:whole_day].min())
    if thr is None:
        return Night(station.id, noon, noon + timedelta(hours=24), "any", None, True, darkest, used="any")
    if darkest >= thr:
        # the asked-for darkness never comes: fall back to the darkest class reached
        classes = sorted(
            [(v, k) for k, v in TWILIGHT_ANGLES_DEG.items() if v is not None and v > thr] + [(0.0, "sunset")]
        )
        for value, label in classes:
            if darkest < value:
                night = night_of(station, day, value)
                note = (
                    f"no {name} darkness at {station.id} on the night of {day.isoformat()} (the Sun "
                    f"gets no lower than {darkest:.1f} deg); the window used is the darkest "
                    f"reached: Sun below {value:g} deg ({label})"
                )
                return Night(station.id, night.start, night.end, str(name), value, False, darkest, note, label)
        mid = times[int(np.argmin(sun[:whole_day]))]
        note = (
            f"no dark period at {station.id} on the night of {day.isoformat()}: the Sun never sets "
            f"(lowest {darkest:.1f} deg at {iso_z(mid)}); the window used is the 4 h around its lowest point"
        )
        return Night(
            station.id, mid - timedelta(hours=2), mid + timedelta(hours=2), str(name), None, False, darkest, note,
            "lowest Sun",
        )
    dark = sun < thr
    if dark[:whole_day].all():
        note = f"polar night: the Sun stays below {thr:g} deg all day; the window is the 24 h from local noon"
        return Night(station.id, noon, noon + timedelta(hours=24), str(name), thr, True, darkest, note, str(name))
    i0 = 0 if dark[0] else int(np.argmax(dark))  # dark at local noon: a zone far from the station's longitude
    start = noon if i0 == 0 else _refine(station, times[i0 - 1], times[i0], thr, False)
    after = np.nonzero(~dark[i0:])[0]
    if after.size == 0:
        note = f"the Sun stays below {thr:g} deg for {_SEARCH_H:g} h from local noon (polar night)"
        return Night(station.id, start, times[-1], str(name), thr, True, darkest, note, str(name))
    j = i0 + int(after[0])
    end = _refine(station, times[j - 1], times[j], thr, True)
    if end <= start:
        raise InputError(f"no dark interval found at {station.id} on the night of {day.isoformat()}")
    return Night(station.id, start, end, str(name), thr, True, darkest, used=str(name))
