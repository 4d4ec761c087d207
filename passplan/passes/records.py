"""Pass records: the constraints a usable pass needs, one pass, its per-sample geometry, and
the result of a search (passes plus the warnings met on the way)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, overload

import numpy as np

from ..errors import InputError
from ..stations import Station, twilight_angle_deg
from ..times import iso_z

__all__ = ["Constraints", "Pass", "PassGeometry", "PassSearch", "CONSTRAINT_NAMES", "passes_to_records"]

#: Constraint names, in the order used to name the one that cut or excluded a pass.
CONSTRAINT_NAMES = ("horizon", "darkness", "eclipse", "sunlit", "sun_separation", "moon_separation", "max_range")


@dataclass(frozen=True, slots=True)
class Constraints:
    """What a usable pass needs. ``None`` switches a constraint off.

    - ``min_elevation_deg``: elevation floor overriding each station's own (the station's
      horizon mask still applies unless ``horizon_mask`` is False).
    - ``darkness``: the Sun must be below a twilight angle at the station: ``"station"`` (each
      station's own setting), ``"civil"``, ``"nautical"``, ``"astronomical"`` or degrees.
    - ``eclipse``: True, the satellite must be in the Earth's shadow (as Micius operated);
      False, it must be sunlit.
    - ``min_sun_sep_deg`` / ``min_moon_sep_deg``: minimum angle at the station between the line
      of sight and the Sun / Moon (the Moon only counts while above the horizon).
    - ``max_range_km``: maximum slant range.
    - ``refraction``: add standard atmospheric refraction to elevations (off by default, as in
      Skyfield, pyorbital and gpredict).
    """

    min_elevation_deg: float | None = None
    horizon_mask: bool = True
    darkness: str | float | None = None
    eclipse: bool | None = None
    min_sun_sep_deg: float | None = None
    min_moon_sep_deg: float | None = None
    max_range_km: float | None = None
    refraction: bool = False

    def __post_init__(self) -> None:
        if self.min_elevation_deg is not None and not -5.0 <= self.min_elevation_deg < 90.0:
            raise InputError(f"minimum elevation {self.min_elevation_deg} deg is outside [-5, 90)")
        for name in ("min_sun_sep_deg", "min_moon_sep_deg"):
            v = getattr(self, name)
            if v is not None and not 0.0 <= v <= 180.0:
                raise InputError(f"{name} {v} is outside [0, 180] deg")
        if self.max_range_km is not None and not self.max_range_km > 0:
            raise InputError(f"max_range_km {self.max_range_km} must be positive")
        if self.darkness is not None and self.darkness != "station":
            twilight_angle_deg(self.darkness)

    def active(self) -> list[str]:
        """Names of the constraints switched on beyond the horizon."""
        out = []
        if self.darkness is not None:
            out.append("darkness")
        if self.eclipse is True:
            out.append("eclipse")
        if self.eclipse is False:
            out.append("sunlit")
        if self.min_sun_sep_deg is not None:
            out.append("sun_separation")
        if self.min_moon_sep_deg is not None:
            out.append("moon_separation")
        if self.max_range_km is not None:
            out.append("max_range")
        return out


@dataclass(frozen=True, slots=True)
class Pass:
    """One usable window of one satellite over one station (or an excluded pass, with the reason).

    ``aos``/``tca``/``los`` bound the window where every constraint holds; ``rise``/``set`` are
    the horizon (mask and floor) crossings of the pass that contains it. ``cut_start_by`` and
    ``cut_end_by`` name the constraint that moved AOS or LOS off the horizon crossing
    (``"window"`` when the analysis window cut it, making the pass ``partial``).
    """

    satellite: str
    norad_id: int | None
    station: str
    aos: datetime
    tca: datetime
    los: datetime
    max_el_deg: float
    aos_az_deg: float
    tca_az_deg: float
    los_az_deg: float
    min_range_km: float
    sat_sunlit_fraction: float
    station_dark: bool
    partial: bool
    rise: datetime
    set: datetime
    elements_epoch: datetime | None
    elements_age_days: float | None
    cut_start_by: str | None = None
    cut_end_by: str | None = None
    excluded_by: str | None = None
    sat_ref: Any = field(default=None, repr=False, compare=False)
    station_ref: Station | None = field(default=None, repr=False, compare=False)

    @property
    def duration_s(self) -> float:
        """Window length in seconds."""
        return (self.los - self.aos).total_seconds()

    @property
    def excluded(self) -> bool:
        """True for a pass no part of which meets every constraint."""
        return self.excluded_by is not None

    def to_dict(self) -> dict[str, Any]:
        """The machine-readable record (UTC ISO-8601 with ``Z``)."""
        return {
            "satellite": self.satellite,
            "norad_id": self.norad_id,
            "station": self.station,
            "aos_utc": iso_z(self.aos),
            "tca_utc": iso_z(self.tca),
            "los_utc": iso_z(self.los),
            "duration_s": round(self.duration_s, 3),
            "max_el_deg": round(self.max_el_deg, 3),
            "aos_az_deg": round(self.aos_az_deg, 2),
            "tca_az_deg": round(self.tca_az_deg, 2),
            "los_az_deg": round(self.los_az_deg, 2),
            "min_range_km": round(self.min_range_km, 3),
            "sat_sunlit_fraction": round(self.sat_sunlit_fraction, 4),
            "station_dark": self.station_dark,
            "partial": self.partial,
            "rise_utc": iso_z(self.rise),
            "set_utc": iso_z(self.set),
            "cut_start_by": self.cut_start_by,
            "cut_end_by": self.cut_end_by,
            "excluded_by": self.excluded_by,
            "elements_epoch_utc": iso_z(self.elements_epoch) if self.elements_epoch else None,
            "elements_age_days": None if self.elements_age_days is None else round(self.elements_age_days, 3),
        }


@dataclass(frozen=True, eq=False)
class PassGeometry:
    """Per-sample geometry of one pass (arrays of equal length), for the link budget."""

    t: list[datetime]
    t_s: np.ndarray
    az_deg: np.ndarray
    el_deg: np.ndarray
    range_km: np.ndarray
    sun_el_deg: np.ndarray
    sun_sep_deg: np.ndarray
    moon_el_deg: np.ndarray
    moon_sep_deg: np.ndarray
    moon_illumination: np.ndarray
    sat_sunlit: np.ndarray
    station_alt_m: float


@dataclass(frozen=True, eq=False)
class PassSearch(Sequence[Pass]):
    """What a pass search returns: the passes (sorted by AOS, station, satellite) and the
    warnings met on the way (for example a satellite SGP4 cannot propagate). Iterates, indexes
    and measures like the list of passes it holds."""

    passes: list[Pass]
    warnings: list[str] = field(default_factory=list)

    @overload
    def __getitem__(self, i: int) -> Pass: ...
    @overload
    def __getitem__(self, i: slice) -> list[Pass]: ...
    def __getitem__(self, i: int | slice) -> Pass | list[Pass]:
        return self.passes[i]

    def __len__(self) -> int:
        return len(self.passes)

    def __iter__(self) -> Iterator[Pass]:
        return iter(self.passes)


def passes_to_records(passes: Sequence[Pass]) -> list[dict[str, Any]]:
    """The machine-readable records of many passes (what ``Pass.to_dict`` gives for one)."""
    return [p.to_dict() for p in passes]
