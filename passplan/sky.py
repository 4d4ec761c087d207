"""The Sun at a station: elevation, and tonight's dark interval at a twilight setting.

Sun positions come from JPL DE421 (``skyfield-data``, offline), observed from the station's
WGS-84 position with light-time, aberration and deflection (Skyfield ``apparent()``), without
refraction: twilight classes are defined by the geometric position of the Sun's centre (civil
-6, nautical -12, astronomical -18 deg; U.S. Naval Observatory definitions).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from skyfield.api import wgs84

from .ephemeris import check_ephemeris_span, planets
from .errors import InputError
from .stations import TWILIGHT_ANGLES_DEG, Station, twilight_angle_deg
from .times import iso_z, require_aware, timescale

__all__ = ["Night", "sun_elevation_deg", "tonight"]

_SEARCH_H = 36.0
_STEP_S = 120.0


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
    darkness does not happen within the next 24 h (high latitude in summer), in which case the
    interval is the darkest one the station does reach and ``note`` says so.
    """

    station: str
    start: datetime
    end: datetime
    setting: str
    threshold_deg: float | None
    reached: bool
    darkest_sun_el_deg: float
    note: str = ""

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
        }


def _refine(station: Station, a: datetime, b: datetime, thr: float, dark_at_a: bool) -> datetime:
    """Bisection (to 1 s) for the instant the Sun crosses ``thr`` between ``a`` and ``b``."""
    while (b - a).total_seconds() > 1.0:
        m = a + (b - a) / 2
        dark = bool(sun_elevation_deg(station, [m])[0] < thr)
        if dark == dark_at_a:
            a = m
        else:
            b = m
    return b


def tonight(station: Station, at: datetime, setting: str | float | None = None) -> Night:
    """Tonight's dark interval at ``station``: from ``at`` if already dark, else from the next
    dusk, to the following dawn, at the station's twilight setting (or ``setting``).

    If that darkness never comes in the next 24 h, the darkest interval reached is returned:
    the deepest of astronomical, nautical, civil twilight or sunset that is reached, or, under
    the midnight Sun, four hours centred on the Sun's lowest point. ``setting="any"`` returns
    the next 24 hours.
    """
    at = require_aware(at, "time")
    check_ephemeris_span(at, at + timedelta(hours=_SEARCH_H))
    if setting is None:
        setting = station.twilight
    thr = twilight_angle_deg(setting)
    name = setting if isinstance(setting, str) else f"{float(setting):g} deg"
    n = int(_SEARCH_H * 3600 / _STEP_S) + 1
    times = [at + timedelta(seconds=i * _STEP_S) for i in range(n)]
    sun = sun_elevation_deg(station, times)
    day = sun[: int(24 * 3600 / _STEP_S) + 1]
    darkest = float(day.min())
    if thr is None:
        return Night(station.id, at, at + timedelta(hours=24), "any", None, True, darkest)
    if darkest >= thr:
        # the asked-for darkness never comes: fall back to the darkest class reached
        classes = sorted(
            [(v, k) for k, v in TWILIGHT_ANGLES_DEG.items() if v is not None and v > thr] + [(0.0, "sunset")]
        )
        for value, label in classes:
            if darkest < value:
                night = tonight(station, at, value)
                return Night(
                    station.id,
                    night.start,
                    night.end,
                    str(name),
                    value,
                    False,
                    darkest,
                    f"the Sun stays above {thr:g} deg ({name}) at {station.id} in the next 24 h "
                    f"(lowest {darkest:.1f} deg); using the darkest interval reached, Sun below "
                    f"{value:g} deg ({label})",
                )
        k = int(np.argmin(day))
        mid = times[k]
        return Night(
            station.id,
            max(at, mid - timedelta(hours=2)),
            mid + timedelta(hours=2),
            str(name),
            None,
            False,
            darkest,
            f"the Sun never sets at {station.id} in the next 24 h (lowest {darkest:.1f} deg at "
            f"{iso_z(mid)}); using the 4 h around its lowest point",
        )
    dark = sun < thr
    if dark[0]:
        start = at
        i0 = 0
    else:
        i0 = int(np.argmax(dark))
        start = _refine(station, times[i0 - 1], times[i0], thr, False)
    after = np.nonzero(~dark[i0:])[0]
    if after.size == 0:
        end = times[-1]
        note = f"the Sun stays below {thr:g} deg for the next {_SEARCH_H:g} h (polar night)"
        return Night(station.id, start, end, str(name), thr, True, darkest, note)
    j = i0 + int(after[0])
    end = _refine(station, times[j - 1], times[j], thr, True)
    if end <= start:
        raise InputError(f"no dark interval found at {station.id} after {iso_z(at)}")
    return Night(station.id, start, end, str(name), thr, True, darkest)
