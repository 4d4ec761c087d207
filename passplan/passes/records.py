"""Pass records: the constraints a usable pass needs, one pass, its per-sample geometry, and
the result of a search (passes plus the warnings met on the way)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import KW_ONLY, InitVar, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, overload

import numpy as np

from ..astro import as_value
from ..errors import InputError
from ..stations import Station, twilight_angle_deg
from ..times import iso_z
from .constraints import (
    CONSTRAINT_NAMES,
    Constraint,
    Darkness,
    Eclipse,
    Horizon,
    MaxRange,
    MoonSeparation,
    Sunlit,
    SunSeparation,
)

__all__ = ["Constraints", "CONSTRAINT_ALIASES", "Pass", "PassGeometry", "PassSearch", "CONSTRAINT_NAMES", "passes_to_records", "pass_uid"]



#: Alternative spellings :class:`Constraints` accepts: alias -> field. ``night`` is the CLI's
#: ``--night``; ``min_el_deg`` the CLI's ``--min-el`` with its unit, as in ``Pass.max_el_deg``.
CONSTRAINT_ALIASES: dict[str, str] = {"night": "darkness", "min_el_deg": "min_elevation_deg"}

#: The unit-suffixed fields of :class:`Constraints` and their unit (astropy Quantities converted).
_CONSTRAINT_UNITS: dict[str, str] = {
    "min_elevation_deg": "deg",
    "min_sun_sep_deg": "deg",
    "min_moon_sep_deg": "deg",
    "max_range_km": "km",
}


@dataclass(frozen=True, slots=True)
class Constraints:
    """What a usable pass needs. ``None`` switches a constraint off.

    - ``min_elevation_deg`` (alias ``min_el_deg``; CLI ``--min-el``): elevation floor overriding
      each station's own (the station's horizon mask still applies unless ``horizon_mask`` is
      False).
    - ``darkness`` (alias ``night``; CLI ``--night``): the Sun must be below a twilight angle at
      the station: ``"station"`` (each station's own setting), ``"civil"``, ``"nautical"``,
      ``"astronomical"`` or degrees.
    - ``eclipse`` (CLI ``--eclipse``/``--no-eclipse``): True, the satellite must be in the
      Earth's shadow (as Micius operated); False, it must be sunlit.
    - ``min_sun_sep_deg`` / ``min_moon_sep_deg`` (CLI ``--min-sun-sep``/``--min-moon-sep``):
      minimum angle at the station between the line of sight and the Sun / Moon (the Moon only
      counts while above the horizon).
    - ``max_range_km`` (CLI ``--max-range-km``): maximum slant range.
    - ``refraction`` (CLI ``--refraction``): add standard atmospheric refraction to elevations
      (off by default, as in Skyfield, pyorbital and gpredict).

    The unit-suffixed values (and a darkness in degrees) may be astropy Quantities
    (``min_elevation_deg=30 * u.deg``, ``max_range_km=1200 * u.km``): they are converted and
    stored as plain floats; a wrong dimension is an :class:`~passplan.errors.InputError`. An
    alias and its field given together must agree (``Constraints(night="nautical") ==
    Constraints(darkness="nautical")``).
    """

    min_elevation_deg: float | None = None
    horizon_mask: bool = True
    darkness: str | float | None = None
    eclipse: bool | None = None
    min_sun_sep_deg: float | None = None
    min_moon_sep_deg: float | None = None
    max_range_km: float | None = None
    refraction: bool = False
    _: KW_ONLY
    night: InitVar[str | float | None] = None
    min_el_deg: InitVar[float | None] = None

    def __post_init__(self, night: str | float | None, min_el_deg: float | None) -> None:
        for alias, value in (("night", night), ("min_el_deg", min_el_deg)):
            _take_alias(self, alias, value)
        for name, unit in _CONSTRAINT_UNITS.items():
            value = getattr(self, name)
            if value is not None:
                v = as_value(value, unit, name)
                if math.isnan(v):
                    raise InputError(f"{name} is NaN; give a number in {unit} or None to switch it off")
                object.__setattr__(self, name, v)
        if self.darkness is not None and not isinstance(self.darkness, str):
            object.__setattr__(self, "darkness", as_value(self.darkness, "deg", "darkness"))
        for name in ("horizon_mask", "refraction"):
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise InputError(f"{name} {getattr(self, name)!r} must be True or False")
        if self.eclipse is not None and not isinstance(self.eclipse, bool | np.bool_):
            raise InputError(f"eclipse {self.eclipse!r} must be True (in shadow), False (sunlit) or None (either)")
        if self.min_elevation_deg is not None and not -5.0 <= self.min_elevation_deg < 90.0:
            raise InputError(f"minimum elevation {self.min_elevation_deg} deg is outside [-5, 90)")
        for name in ("min_sun_sep_deg", "min_moon_sep_deg"):
            v = getattr(self, name)
            if v is not None and not 0.0 <= v <= 180.0:
                raise InputError(f"{name} {v} is outside [0, 180] deg")
        if self.max_range_km is not None and not 0 < self.max_range_km < float("inf"):
            raise InputError(f"max_range_km {self.max_range_km} must be a positive, finite range (km)")
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

    def build(self, stations: Sequence[Station]) -> tuple[Horizon, list[Constraint]]:
        """The horizon constraint and the other active ones (in :data:`CONSTRAINT_NAMES`
        order) for these stations."""
        floors = [self.min_elevation_deg if self.min_elevation_deg is not None else st.min_elevation_deg for st in stations]
        masks = [st.horizon_mask if self.horizon_mask else None for st in stations]
        horizon = Horizon(np.array(floors, float), masks, self.refraction)
        out: list[Constraint] = []
        if self.darkness is not None:
            if self.darkness == "station":
                dark: list[float] = [np.nan if st.twilight_deg is None else st.twilight_deg for st in stations]
            else:
                angle = twilight_angle_deg(self.darkness)  # None: any sky will do
                dark = [np.nan if angle is None else angle] * len(stations)
            out.append(Darkness(np.array(dark, float)))
        if self.eclipse is True:
            out.append(Eclipse())
        if self.eclipse is False:
            out.append(Sunlit())
        if self.min_sun_sep_deg is not None:
            out.append(SunSeparation(float(self.min_sun_sep_deg)))
        if self.min_moon_sep_deg is not None:
            out.append(MoonSeparation(float(self.min_moon_sep_deg)))
        if self.max_range_km is not None:
            out.append(MaxRange(float(self.max_range_km)))
        return horizon, out


def _take_alias(c: Constraints, alias: str, value: Any) -> None:
    """Store an alias's value in its field of ``c``; refuse an alias and a field that disagree."""
    if value is None:
        return
    name = CONSTRAINT_ALIASES[alias]
    current = getattr(c, name)
    if current is not None and current != value:
        raise InputError(
            f"Constraints got {name}={current!r} and its alias {alias}={value!r}; give one of them"
        )
    object.__setattr__(c, name, value)


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
    #: fraction of the window with the Sun below the station's darkness angle (the
    #: ``darkness`` constraint's, else the station's own, else -12 deg; plus 0.02 deg of slack),
    #: for long windows (a GEO one spans nights and days) where ``station_dark`` says only
    #: whether the whole window is dark; None when not computed
    station_dark_fraction: float | None = None

    @property
    def uid(self) -> str:
        """A stable, filename- and URL-safe id: catalogue number (or slugged satellite name),
        slugged station id and AOS floored to the second, e.g. ``41731-xinglong-20161219T164843Z``."""
        return pass_uid(self.norad_id, self.satellite, self.station, self.aos)

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
            "uid": self.uid,
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
            "station_dark_fraction": _round_or_none(self.station_dark_fraction, 4),
        }


@dataclass(frozen=True, eq=False)
class PassGeometry:
    """Per-sample geometry of one pass (arrays of equal length), for the link budget."""

    t: Sequence[datetime]  # a list, or made on first use (passes.lazy_list.LazyList)
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


@dataclass(frozen=True, eq=False, init=False)
class PassSearch(Sequence[Pass]):
    """What a pass search returns: the passes (sorted by AOS, station, satellite) and the
    warnings met on the way (for example a satellite SGP4 cannot propagate). Iterates, indexes
    and measures like the list of passes it holds.

    A block of :func:`~passplan.passes.iter_passes` also gives ``columns`` (the same passes as
    arrays, :class:`~passplan.passes.columns.PassColumns`; its ``passes`` are then built from
    them on first use) and ``complete_before``: the AOS before which every pass of the search
    has been yielded (None: none is still to come that could sort before this block's).
    """

    passes: list[Pass]
    warnings: list[str]
    complete_before: datetime | None
    columns: Any

    def __init__(
        self,
        passes: list[Pass] | None = None,
        warnings: list[str] | None = None,
        complete_before: datetime | None = None,
        columns: Any = None,
    ) -> None:
        if passes is not None or columns is None:
            object.__setattr__(self, "passes", [] if passes is None else passes)
        object.__setattr__(self, "warnings", [] if warnings is None else warnings)
        object.__setattr__(self, "complete_before", complete_before)
        object.__setattr__(self, "columns", columns)

    def __getattr__(self, name: str) -> Any:
        # only reached while ``passes`` is still to be built from the columns
        columns = self.__dict__.get("columns")
        if name != "passes" or columns is None:
            raise AttributeError(name)
        passes = columns.passes()
        object.__setattr__(self, "passes", passes)
        return passes

    @overload
    def __getitem__(self, i: int) -> Pass: ...
    @overload
    def __getitem__(self, i: slice) -> list[Pass]: ...
    def __getitem__(self, i: int | slice) -> Pass | list[Pass]:
        return self.passes[i]

    def __len__(self) -> int:
        columns = self.__dict__.get("columns")
        if "passes" not in self.__dict__ and columns is not None:
            return len(columns)
        return len(self.passes)

    def __iter__(self) -> Iterator[Pass]:
        return iter(self.passes)

    def to_table(self) -> Any:
        """The passes as an ``astropy.table.QTable`` with units (:func:`passplan.astro.passes_table`)."""
        from ..astro import passes_table

        return passes_table(self.passes)


def _round_or_none(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _slug(text: str) -> str:
    """Lower case, runs of anything but ``a-z0-9`` as one ``-``, no leading/trailing ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def pass_uid(norad_id: int | None, satellite: str, station: str, aos: datetime) -> str:
    """The id :attr:`Pass.uid` gives (see there)."""
    sat = str(int(norad_id)) if norad_id is not None else _slug(satellite)
    return f"{sat}-{_slug(station)}-{aos.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}"


_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _iso_many(values: Sequence[datetime | None]) -> list[str | None]:
    """``iso_z`` of many datetimes in one numpy step (``None`` stays ``None``)."""
    present = [v is not None for v in values]
    # exact integer microseconds since 1970 (aware subtraction; no per-object numpy parsing)
    stamps = np.array([(v - _UNIX_EPOCH) // _MICROSECOND for v in values if v is not None], dtype=np.int64).astype(
        "datetime64[us]"
    )
    text = [t + "Z" for t in np.datetime_as_string(stamps, unit="ms").tolist()]
    if all(present):
        return text
    it = iter(text)
    return [next(it) if ok else None for ok in present]


def passes_to_records(passes: Sequence[Pass]) -> list[dict[str, Any]]:
    """The machine-readable records of many passes: exactly what ``Pass.to_dict`` gives for each
    (same keys, order, rounding and ``Z`` strings), with the ISO strings and uids made in
    vectorised steps; values are plain Python types (JSON-ready)."""
    ps = list(passes)
    if not ps:
        return []
    n = len(ps)
    times = _iso_many([getattr(p, k) for k in ("aos", "tca", "los", "rise", "set") for p in ps])
    aos, tca, los, rise, set_ = (times[i * n : (i + 1) * n] for i in range(5))
    epochs = _iso_many([p.elements_epoch for p in ps])
    # uid: the AOS string floored to the second, in basic format
    aos_basic = [a[:19].replace("-", "").replace(":", "") + "Z" for a in aos if a is not None]
    sat_part = [str(int(p.norad_id)) if p.norad_id is not None else _slug(p.satellite) for p in ps]
    station_slug = {sid: _slug(sid) for sid in {p.station for p in ps}}
    out = []
    for j, p in enumerate(ps):
        age = p.elements_age_days
        out.append(
            {
                "uid": f"{sat_part[j]}-{station_slug[p.station]}-{aos_basic[j]}",
                "satellite": p.satellite,
                "norad_id": p.norad_id,
                "station": p.station,
                "aos_utc": aos[j],
                "tca_utc": tca[j],
                "los_utc": los[j],
                "duration_s": round(p.duration_s, 3),
                "max_el_deg": round(p.max_el_deg, 3),
                "aos_az_deg": round(p.aos_az_deg, 2),
                "tca_az_deg": round(p.tca_az_deg, 2),
                "los_az_deg": round(p.los_az_deg, 2),
                "min_range_km": round(p.min_range_km, 3),
                "sat_sunlit_fraction": round(p.sat_sunlit_fraction, 4),
                "station_dark": p.station_dark,
                "partial": p.partial,
                "rise_utc": rise[j],
                "set_utc": set_[j],
                "cut_start_by": p.cut_start_by,
                "cut_end_by": p.cut_end_by,
                "excluded_by": p.excluded_by,
                "elements_epoch_utc": epochs[j],
                "elements_age_days": None if age is None else round(age, 3),
                "station_dark_fraction": _round_or_none(p.station_dark_fraction, 4),
            }
        )
    return out
