"""Ground stations: records, azimuth-dependent horizon masks, and loading ``stations.toml``.

A station file is TOML with one table per station, ``[stations.<id>]``, holding ``lat_deg``,
``lon_deg``, ``alt_m`` and optionally ``name``, ``timezone`` (IANA), ``min_elevation_deg``,
``horizon_mask`` (``[[az_deg, el_deg], ...]``, interpolated periodically in azimuth),
``twilight`` (``civil``, ``nautical``, ``astronomical``, ``any`` or a Sun elevation in degrees),
``receiver`` (a link-budget profile name), ``kind`` (``fixed`` or ``portable``), and for
scheduling ``telescopes`` (links at once, default 1), ``setup_s`` (seconds between two links on
one telescope, default 120), ``clear_sky`` (the probability that a pass finds a clear sky: one
annual value or twelve monthly ones) with ``clear_sky_source`` (where that number comes from).
User files merge over the bundled one: a table with a known id replaces that station's keys it
names. Ids are case-insensitive everywhere (:func:`load_stations`, :func:`get_station`,
:func:`select_stations`, hence every command): a user table ``[stations.XINGLONG]`` is the bundled
``xinglong`` station, merged over it under the user's spelling, with an :class:`InputWarning`
naming the clash; two ids of one file that differ only in case are refused. Every key's type and
range is stated once, in :data:`passplan.schema.STATIONS`.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import schema
from .errors import ConfigError, InputError, InputWarning, UnknownNameError
from .times import zone

__all__ = [
    "Station",
    "HorizonMask",
    "TWILIGHT_ANGLES_DEG",
    "twilight_angle_deg",
    "load_stations",
    "get_station",
    "select_stations",
    "read_station_file",
    "bundled_station_file",
    "DEFAULT_SETUP_S",
]

#: Sun-elevation thresholds of the twilight classes (USNO / IAU definitions: the Sun's centre
#: 6, 12 or 18 degrees below the geometric horizon). ``any`` applies no darkness constraint.
TWILIGHT_ANGLES_DEG: dict[str, float | None] = {
    "civil": -6.0,
    "nautical": -12.0,
    "astronomical": -18.0,
    "any": None,
}

_TABLE = schema.STATIONS.table("[stations.<id>]")
_KEYS = set(_TABLE.names)


def _outside(where: str, key: str, value: Any) -> None:
    """Refuse ``value`` of ``key`` outside its range in :data:`passplan.schema.STATIONS`."""
    k = _TABLE.key(key)
    if k.problem(value) is not None:
        unit = f" {k.unit}" if k.unit else ""
        fix = f"; {k.fix}" if k.fix else ""
        raise ConfigError(f"{where}: {key} {value} is outside {k.range_text()}{unit}{fix}")

#: Seconds between two links on one telescope when a station does not say (assumed: slew to the
#: next rise point, beacon acquisition and tracking lock; not published for any QKD station).
DEFAULT_SETUP_S = 120.0


def twilight_angle_deg(setting: str | float | None) -> float | None:
    """The Sun elevation (deg) below which a station counts as dark, or None for ``any``."""
    if setting is None:
        return None
    if isinstance(setting, int | float) and not isinstance(setting, bool):
        value = float(setting)
        if _TABLE.key("twilight").problem(value) is not None:
            raise ConfigError(f"twilight angle {value} deg is outside {_TABLE.key('twilight').range_text()}")
        return value
    key = str(setting).strip().lower()
    if key in TWILIGHT_ANGLES_DEG:
        return TWILIGHT_ANGLES_DEG[key]
    try:
        return twilight_angle_deg(float(key))
    except ValueError:
        raise UnknownNameError("twilight setting", str(setting), TWILIGHT_ANGLES_DEG) from None


@dataclass(frozen=True, slots=True, eq=False)
class HorizonMask:
    """Minimum elevation as a function of azimuth, linearly interpolated and periodic in azimuth.

    ``az_deg`` is sorted in [0, 360); the segment from the last point back to the first wraps
    through north.
    """

    az_deg: np.ndarray
    el_deg: np.ndarray

    @classmethod
    def from_points(cls, points: Sequence[Sequence[float]], where: str = "horizon_mask") -> HorizonMask:
        """Build from ``[[az_deg, el_deg], ...]``, validating ranges."""
        try:
            arr = np.asarray(points, dtype=float)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: expected a list of [az_deg, el_deg] pairs") from None
        if arr.ndim != 2 or arr.shape[1] != 2 or len(arr) < 1:
            raise ConfigError(f"{where}: expected a list of [az_deg, el_deg] pairs, e.g. [[0, 10], [180, 20]]")
        if not np.all(np.isfinite(arr)):
            raise ConfigError(f"{where}: values must be finite numbers")
        key = _TABLE.key("horizon_mask")  # the ranges, stated once in passplan.schema.STATIONS
        assert key.lo is not None and key.hi is not None and key.range2 is not None
        az_out = (arr[:, 0] < key.lo) | (arr[:, 0] > key.hi)
        if np.any(az_out):
            raise ConfigError(
                f"{where}: azimuth {arr[az_out, 0][0]:g} deg is outside {key.range_text()}; give azimuths "
                "from north through east"
            )
        az = np.mod(arr[:, 0], 360.0)
        el = arr[:, 1]
        lo2, hi2, _ = key.range2
        if np.any((el < lo2) | (el >= hi2)):
            raise ConfigError(f"{where}: elevations must lie in [{lo2:g}, {hi2:g}) deg")
        order = np.argsort(az, kind="stable")
        az, el = az[order], el[order]
        if np.any(np.diff(az) == 0):
            raise ConfigError(f"{where}: two points share one azimuth")
        return cls(az, el)

    def elevation_deg(self, az_deg: ArrayLike) -> np.ndarray:
        """Mask elevation at the given azimuths (deg), periodic linear interpolation."""
        return np.interp(np.mod(np.asarray(az_deg, dtype=float), 360.0), self.az_deg, self.el_deg, period=360.0)

    def to_list(self) -> list[list[float]]:
        """The mask points as ``[[az, el], ...]``."""
        return [[float(a), float(e)] for a, e in zip(self.az_deg, self.el_deg, strict=True)]


@dataclass(frozen=True, slots=True)
class Station:
    """A ground station. Angles in degrees, altitude in metres above the WGS-84 ellipsoid."""

    id: str
    lat_deg: float
    lon_deg: float
    alt_m: float
    name: str = ""
    timezone: str = "UTC"
    min_elevation_deg: float = 10.0
    horizon_mask: HorizonMask | None = field(default=None, compare=False)
    twilight: str | float = "nautical"
    receiver: str | None = None
    kind: str = "fixed"
    source: str = ""
    telescopes: int = 1
    setup_s: float = DEFAULT_SETUP_S
    clear_sky: float | tuple[float, ...] | None = None
    clear_sky_source: str = ""

    def __post_init__(self) -> None:
        where = f"station {self.id!r}" + (f" in {self.source}" if self.source else "")
        if not self.id or not all(c.isalnum() or c in "-_" for c in self.id):
            raise ConfigError(f"{where}: station ids use letters, digits, '-' and '_' only")
        for key in ("lat_deg", "lon_deg", "alt_m", "min_elevation_deg"):
            v = getattr(self, key)
            if not isinstance(v, int | float) or isinstance(v, bool) or not np.isfinite(v):
                raise ConfigError(f"{where}: {key} must be a finite number, got {v!r}")
        for key in ("lat_deg", "lon_deg", "alt_m", "min_elevation_deg"):
            _outside(where, key, getattr(self, key))
        if not schema.clean_text(self.name):
            raise ConfigError(f"{where}: name {self.name!r} holds control characters; give plain text")
        if self.kind not in ("fixed", "portable"):
            raise ConfigError(f"{where}: kind {self.kind!r} must be 'fixed' or 'portable'")
        try:
            zone(self.timezone)
        except ValueError as err:
            raise ConfigError(f"{where}: {err}") from None
        try:
            twilight_angle_deg(self.twilight)
        except ValueError as err:
            raise ConfigError(f"{where}: {err}") from None
        t = self.telescopes
        if _TABLE.key("telescopes").problem(t) is not None:
            raise ConfigError(
                f"{where}: telescopes = {t!r}; give a whole number in {_TABLE.key('telescopes').range_text()}"
            )
        object.__setattr__(self, "telescopes", int(t))
        g = self.setup_s
        if _TABLE.key("setup_s").problem(g) is not None:
            raise ConfigError(
                f"{where}: setup_s = {g!r}; give the seconds between two links, in "
                f"{_TABLE.key('setup_s').range_text()} s"
            )
        object.__setattr__(self, "setup_s", float(g))
        if self.clear_sky is not None:
            values = self.clear_sky if isinstance(self.clear_sky, list | tuple) else [self.clear_sky]
            if len(values) not in (1, 12) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and 0.0 <= v <= 1.0 for v in values
            ):
                raise ConfigError(
                    f"{where}: clear_sky = {self.clear_sky!r}; give one probability in [0, 1] or "
                    "twelve monthly ones (January first)"
                )
            value = float(values[0]) if len(values) == 1 else tuple(float(v) for v in values)
            object.__setattr__(self, "clear_sky", value)

    def clear_sky_probability(self, month: int | None = None) -> float:
        """Probability that a pass finds a clear sky: the station's monthly value for ``month``
        (1-12) when it gives twelve, else its annual value; 1.0 when it gives none (no weather
        weighting)."""
        if self.clear_sky is None:
            return 1.0
        if isinstance(self.clear_sky, tuple):
            if month is None:
                return float(np.mean(self.clear_sky))
            if not 1 <= month <= 12:
                raise ConfigError(f"month {month} is outside 1-12")
            return self.clear_sky[month - 1]
        return float(self.clear_sky)

    @property
    def twilight_deg(self) -> float | None:
        """Sun elevation (deg) below which this station counts as dark (None: no constraint)."""
        return twilight_angle_deg(self.twilight)

    def min_elevation_at(self, az_deg: ArrayLike) -> np.ndarray:
        """Effective minimum elevation at the given azimuths: the larger of the mask and the floor."""
        az = np.asarray(az_deg, dtype=float)
        floor = np.full(az.shape, self.min_elevation_deg)
        if self.horizon_mask is None:
            return floor
        return np.maximum(floor, self.horizon_mask.elevation_deg(az))

    def to_dict(self) -> dict[str, Any]:
        """A plain record (for JSON and tables)."""
        return {
            "id": self.id,
            "name": self.name,
            "lat_deg": self.lat_deg,
            "lon_deg": self.lon_deg,
            "alt_m": self.alt_m,
            "timezone": self.timezone,
            "min_elevation_deg": self.min_elevation_deg,
            "horizon_mask": self.horizon_mask.to_list() if self.horizon_mask else None,
            "twilight": self.twilight,
            "receiver": self.receiver,
            "kind": self.kind,
            "source": self.source,
            "telescopes": self.telescopes,
            "setup_s": self.setup_s,
            "clear_sky": list(self.clear_sky) if isinstance(self.clear_sky, tuple) else self.clear_sky,
            "clear_sky_source": self.clear_sky_source,
        }


def bundled_station_file() -> Path:
    """Path of the bundled ``stations.toml``."""
    return Path(str(importlib.resources.files("passplan") / "data" / "stations.toml"))


def read_station_file(path: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """Raw station tables of one file, keyed by id, with unknown keys refused (nearest suggested)
    and ids that differ only in case refused. A byte-order mark and CRLF line ends are fine."""
    p = Path(path)
    data = schema.parse_toml(schema.read_text(p, "station TOML"), str(p))
    unknown_top = set(data) - {"stations"}
    if unknown_top:
        raise ConfigError(
            f"{p}: unexpected top-level key(s) {sorted(unknown_top)}; a station file holds only "
            f"[stations.<id>] tables"
        )
    tables = data.get("stations")
    if not isinstance(tables, dict) or not tables:
        raise ConfigError(f"{p}: no [stations.<id>] tables found; e.g. [stations.mysite] with lat_deg, lon_deg, alt_m")
    out: dict[str, dict[str, Any]] = {}
    lower: dict[str, str] = {}
    for sid, table in tables.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{p}: stations.{sid} must be a table ([stations.{sid}])")
        if sid.lower() in lower:
            raise ConfigError(
                f"{p}: [stations.{sid}] and [stations.{lower[sid.lower()]}] are one station (ids are "
                "case-insensitive); keep one table"
            )
        lower[sid.lower()] = sid
        for key in table:
            if key not in _KEYS:
                raise UnknownNameError("station key", key, _KEYS, where=f"{p} [stations.{sid}]")
        out[sid] = dict(table, _source=str(p))
    return out


def _build(sid: str, table: Mapping[str, Any]) -> Station:
    source = table.get("_source", "")
    where = f"{source} [stations.{sid}]"
    missing = [k for k in ("lat_deg", "lon_deg", "alt_m") if k not in table]
    if missing:
        raise ConfigError(f"{where}: missing required key(s) {', '.join(missing)}")
    mask = None
    if table.get("horizon_mask") is not None:
        mask = HorizonMask.from_points(table["horizon_mask"], where=f"{where} horizon_mask")
    kwargs = {k: table[k] for k in _KEYS - {"horizon_mask"} if k in table}
    if kwargs.get("receiver") is not None:
        _check_receiver(str(kwargs["receiver"]), where)
    for key in ("lat_deg", "lon_deg", "alt_m", "min_elevation_deg", "setup_s"):
        if key in kwargs and isinstance(kwargs[key], int) and not isinstance(kwargs[key], bool):
            kwargs[key] = float(kwargs[key])
    try:
        station = Station(id=sid, horizon_mask=mask, source=source, **kwargs)
    except ConfigError as err:
        raise ConfigError(str(err).replace(f"station {sid!r} in {source}", where)) from None
    except TypeError as err:
        raise ConfigError(f"{where}: {err}") from None
    schema.check_keys(_TABLE, {k: v for k, v in table.items() if k != "_source"}, where)
    if "timezone" not in table:  # a valid station without a zone: the zone at its coordinates
        return dataclasses.replace(station, timezone=_inferred_zone(where, station.lat_deg, station.lon_deg))
    return station


@functools.lru_cache(maxsize=1)
def _zone_finder() -> Any:
    """timezonefinder's offline lookup (its bundled boundary data; about a second to open, once
    per process), or None without the ``tz`` extra."""
    try:
        from timezonefinder import TimezoneFinder
    except ImportError:
        return None
    return TimezoneFinder()


def _inferred_zone(where: str, lat_deg: float, lon_deg: float) -> str:
    """The IANA zone of a station given without ``timezone``: the zone at its coordinates
    (timezonefinder, offline; the sea's nautical ``Etc/GMT`` zones off shore), said in an
    :class:`InputWarning`; UTC, with a warning naming the ``tz`` extra, without the package or
    where no zone is found."""
    finder = _zone_finder()
    found = None if finder is None else finder.timezone_at(lng=((lon_deg + 180.0) % 360.0) - 180.0, lat=lat_deg)
    if found is not None:
        try:
            zone(found)
        except ValueError:  # a zone this machine's tz database lacks
            found = None
    if found is None:
        why = ("install the tz extra (pip install 'passplan[tz]') to infer it from the coordinates"
               if finder is None else "no zone was found at its coordinates")
        warnings.warn(f"{where}: no timezone given; local times are in UTC ({why}); give timezone = \"Area/City\"",
                      InputWarning, stacklevel=3)
        return "UTC"
    warnings.warn(f"{where}: no timezone given; inferred {found!r} from lat_deg {lat_deg:g}, lon_deg {lon_deg:g} "
                  f"(timezonefinder, offline); give timezone = \"{found}\" to say so", InputWarning, stacklevel=3)
    return str(found)


def _check_receiver(name: str, where: str) -> None:
    """A receiver names a bundled link profile or an existing profile file (checked here, so a
    typo fails when the station loads, not later under ``--key``)."""
    folder = importlib.resources.files("passplan") / "data" / "profiles"
    bundled = sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))
    if name in bundled or Path(name).is_file():
        return
    raise UnknownNameError("receiver profile", name, bundled, where=where)


def load_stations(extra_files: Iterable[str | os.PathLike[str]] = ()) -> dict[str, Station]:
    """Bundled stations with each extra file merged over them (later files win, key by key).

    Ids are case-insensitive: a table whose id differs from a known one only in case is that
    station (merged over it, under the later spelling), with an :class:`InputWarning` naming
    both spellings."""
    merged = read_station_file(bundled_station_file())
    for f in extra_files:
        for sid, table in read_station_file(f).items():
            known = next((k for k in merged if k.lower() == sid.lower()), None)
            if known is not None and known != sid:
                origin = str(merged[known].get("_source", ""))
                whose = "the bundled station" if origin == str(bundled_station_file()) else f"station (from {origin})"
                warnings.warn(
                    f"{f}: [stations.{sid}] is {whose} {known!r} (ids are case-insensitive): its keys "
                    f"replace those of {known!r}, and every command plans it as {sid!r}",
                    InputWarning,
                    stacklevel=2,
                )
                merged = {(sid if k == known else k): v for k, v in merged.items()}
            merged[sid] = {**merged.get(sid, {}), **table}
    return {sid: _build(sid, t) for sid, t in merged.items()}


def _find(stations: Mapping[str, Station], station_id: str) -> Station:
    """The one station rule: ``station_id`` matched case-insensitively, surrounding blanks
    ignored (ids are unique without case, :func:`load_stations`)."""
    key = station_id.strip().lower()
    for sid, st in stations.items():
        if sid.lower() == key:
            return st
    raise UnknownNameError("station", station_id, stations)


def get_station(station_id: str, extra_files: Iterable[str | os.PathLike[str]] = ()) -> Station:
    """One station by id (case-insensitive), suggesting the nearest ids when unknown; the same
    resolution as :func:`select_stations` (user files over bundled)."""
    return _find(load_stations(extra_files), station_id)


def select_stations(
    ids: str | Sequence[str] = (), extra_files: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] = ()
) -> list[Station]:
    """Stations chosen by ``ids`` (one id, or a sequence of them); with no ids but extra files,
    every station in those files; with neither, every bundled station. ``extra_files`` is one
    station file or a sequence of them."""
    if isinstance(ids, str):
        ids = [ids]
    if isinstance(extra_files, str | os.PathLike):
        extra_files = [extra_files]
    for i in ids:
        if not isinstance(i, str):
            raise InputError(f"ids holds {i!r}, not a station id; give station ids as strings, e.g. ['xinglong', 'graz']")
    stations = load_stations(extra_files)
    if ids:
        return list(dict.fromkeys(_find(stations, i) for i in ids))
    if extra_files:
        wanted: list[str] = []
        for f in extra_files:
            wanted += list(read_station_file(f))
        return list(dict.fromkeys(_find(stations, s) for s in wanted))
    return list(stations.values())
