"""Designed satellites: orbits with no element set, turned into SGP4 satellites.

Circular or Keplerian orbits, Walker-delta constellations and GEO slots, defined in code or in a
constellation TOML file, become :class:`~passplan.satellite.Satellite` objects through
``Satrec.sgp4init`` (WGS-72, no drag: B* = 0 unless given) with their epoch at the analysis time
``at``, so they are always current.

Conventions and sources:

* ``altitude_km`` is the SGP4 mean semi-major axis minus the WGS-72 equatorial radius
  (6378.135 km). sgp4init takes a Kozai mean motion; the Brouwer semi-major axis SGP4 recovers from
  it differs from the Keplerian one by a few km at 500 km, so the mean motion is adjusted until
  SGP4's own semi-major axis is the requested one (Hoots and Roehrich, Spacetrack Report No. 3,
  1980; Vallado et al., "Revisiting Spacetrack Report #3", AIAA 2006-6753).
* Sun-synchronous inclination from the J2 nodal precession matching the mean motion of the Sun,
  360 deg per tropical year: cos i = -2 a^(7/2) (1 - e^2)^2 dOmega/dt / (3 J2 R^2 sqrt(mu))
  (Vallado, "Fundamentals of Astrodynamics and Applications", 4th ed., 2013, section 11.4.1 and
  eq. 9-41; Wertz and Larson, "Space Mission Analysis and Design", 3rd ed., table 6-3).
  500 km gives 97.40 deg.
* Local time of the ascending node (``ltan_h``) is mean solar time: the node's Earth-fixed
  longitude is 15 deg/h x (LTAN - UT); the right ascension of the node then follows from the
  Greenwich mean sidereal time at the epoch (SGP4's ``gstime``, IAU 1982, the angle between TEME
  and the Earth-fixed frame). Apparent solar time differs by the equation of time (up to 16 min).
* Walker delta pattern i: T/P/F (Walker, "Circular orbit patterns providing continuous whole
  earth coverage", RAE Tech. Rep. 70211, 1970): P planes spread evenly over 360 deg of right
  ascension (``raan_spread_deg`` changes that), S = T/P satellites per plane 360/S apart, and
  each plane's satellites shifted by F x 360/T deg in argument of latitude from the previous plane.
* GEO slot: a near-zero-inclination orbit whose mean longitude at the epoch, RAAN + argp + M minus
  GMST, is the slot longitude; the mean motion and the mean longitude are then trimmed so that
  SGP4 (SDP4, with its 24-hour resonance terms) holds the slot over the first day.
* Station-keeping (``station_keeping``, default true): a GEO slot is held at its longitude, and
  any other orbit SGP4 propagates as deep space (period of 225 min or more: MEO, HEO) holds its
  designed orbit, the designed elements under the zonal harmonics' secular rates, re-anchored
  every day (:class:`~passplan.satellite.KeptSatrec`); false leaves SDP4's luni-solar drift. A
  near-Earth orbit (B* = 0 unless given) already follows its designed J2 orbit: the flag does
  not change it.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Any, Literal, TypedDict, overload

import numpy as np
from sgp4.api import Satrec
from sgp4.propagation import gstime

from .errors import ConfigError, InputError, suggest
from .satellite import Satellite, Sgp4Init, epoch_days
from .times import require_aware

__all__ = [
    "EARTH_RADIUS_KM",
    "MU_KM3_S2",
    "J2",
    "sun_synchronous_inclination_deg",
    "node_raan_deg",
    "circular",
    "keplerian",
    "walker_delta",
    "geo_slot",
    "load_constellation",
    "constellation_from_toml",
    "ConstellationDesign",
    "design_walker",
    "design_sso",
    "design_meo",
    "design_geo",
    "parse_walker_notation",
]

# WGS-72, the constants SGP4 uses for 18 SDS element sets (Vallado et al. 2006, table 1).
EARTH_RADIUS_KM = 6378.135
MU_KM3_S2 = 398600.8
J2 = 0.001082616
TROPICAL_YEAR_S = 365.2421897 * 86400.0
SIDEREAL_DAY_S = 86164.0905
_DEG = math.pi / 180.0


def sun_synchronous_inclination_deg(altitude_km: float, eccentricity: float = 0.0) -> float:
    """Inclination (deg) making the J2 nodal precession follow the mean Sun (360 deg/tropical year).

    Vallado 2013, eq. 9-41 solved for i; 500 km circular gives 97.40 deg, 800 km 98.60 deg.
    """
    a = EARTH_RADIUS_KM + altitude_km
    rate = 2.0 * math.pi / TROPICAL_YEAR_S
    cos_i = -2.0 * a**3.5 * (1 - eccentricity**2) ** 2 * rate / (
        3.0 * J2 * EARTH_RADIUS_KM**2 * math.sqrt(MU_KM3_S2)
    )
    if not -1.0 <= cos_i <= 1.0:
        raise InputError(
            f"no sun-synchronous orbit exists at {altitude_km:g} km (needs cos i = {cos_i:.3f}); "
            "sun-synchronous orbits stop near 5,970 km altitude"
        )
    return math.degrees(math.acos(cos_i))


def _gmst_deg(epoch: datetime) -> float:
    return math.degrees(gstime(2433281.5 + epoch_days(epoch)))


def node_raan_deg(
    epoch: datetime,
    *,
    raan_deg: float | None = None,
    ltan_h: float | None = None,
    node_longitude_deg: float | None = None,
) -> float:
    """Right ascension (TEME) of the ascending node at ``epoch`` from one of: ``raan_deg`` itself,
    the local mean solar time of the ascending node ``ltan_h``, or the node's Earth-fixed longitude
    ``node_longitude_deg``. None of them: 0."""
    given = [x is not None for x in (raan_deg, ltan_h, node_longitude_deg)]
    if sum(given) > 1:
        raise InputError("give at most one of raan_deg, ltan_h and node_longitude_deg")
    epoch = require_aware(epoch, "epoch")
    if raan_deg is not None:
        return raan_deg % 360.0
    if ltan_h is not None:
        ut_h = epoch.hour + epoch.minute / 60 + (epoch.second + epoch.microsecond / 1e6) / 3600
        node_longitude_deg = 15.0 * (ltan_h - ut_h)
    if node_longitude_deg is not None:
        return (_gmst_deg(epoch) + node_longitude_deg) % 360.0
    return 0.0


def _init(
    epoch: datetime,
    no_kozai_rad_min: float,
    ecc: float,
    inc_deg: float,
    raan_deg: float,
    argp_deg: float,
    ma_deg: float,
    bstar: float,
) -> tuple[Sgp4Init, Satrec]:
    args = Sgp4Init(
        epoch=epoch,
        ecco=ecc,
        argpo_rad=(argp_deg % 360.0) * _DEG,
        inclo_rad=inc_deg * _DEG,
        mo_rad=(ma_deg % 360.0) * _DEG,
        no_kozai_rad_min=no_kozai_rad_min,
        nodeo_rad=(raan_deg % 360.0) * _DEG,
        bstar=bstar,
    )
    return args, args.satrec()


def _elements_for_a(
    epoch: datetime,
    a_km: float,
    ecc: float,
    inc_deg: float,
    raan_deg: float,
    argp_deg: float,
    ma_deg: float,
    bstar: float,
) -> Sgp4Init:
    """sgp4init arguments with the Kozai mean motion that makes SGP4's mean semi-major axis
    ``a_km``."""
    n = math.sqrt(MU_KM3_S2 / a_km**3) * 60.0  # rad/min, Keplerian first guess
    args, sat = _init(epoch, n, ecc, inc_deg, raan_deg, argp_deg, ma_deg, bstar)
    for _ in range(4):
        got = sat.a * sat.radiusearthkm
        if abs(got - a_km) < 1e-6:
            break
        n *= (got / a_km) ** 1.5
        args, sat = _init(epoch, n, ecc, inc_deg, raan_deg, argp_deg, ma_deg, bstar)
    return args


def _check_orbit(where: str, altitude_km: float, ecc: float, inc_deg: float) -> None:
    if not math.isfinite(altitude_km) or altitude_km <= 0:
        raise InputError(f"{where}: altitude {altitude_km:g} km must be positive (above the Earth)")
    if not 0.0 <= ecc < 1.0:
        raise InputError(f"{where}: eccentricity {ecc:g} must be in [0, 1)")
    if not 0.0 <= inc_deg <= 180.0:
        raise InputError(f"{where}: inclination {inc_deg:g} deg must be in [0, 180]")


def keplerian(
    name: str,
    at: datetime,
    *,
    semi_major_axis_km: float,
    eccentricity: float = 0.0,
    inclination_deg: float,
    raan_deg: float = 0.0,
    arg_perigee_deg: float = 0.0,
    mean_anomaly_deg: float = 0.0,
    bstar: float = 0.0,
    source: str = "designed",
    aliases: Iterable[str] = (),
    station_keeping: bool = True,
) -> Satellite:
    """A designed satellite from SGP4 mean Keplerian elements (TEME, WGS-72) at epoch ``at``.

    ``station_keeping`` (default): a deep-space orbit (period of 225 min or more) holds its
    designed orbit for the whole study (:attr:`~passplan.satellite.Sgp4Init.hold_orbit`; over a
    year at 10,000 km and 45 deg, node and phase within 0.06 and 0.08 deg of the J2 orbit,
    ``tests/test_station_keeping.py``);
    ``False``, or a near-Earth orbit: one element set propagated freely."""
    at = require_aware(at, "analysis time")
    where = f"{source}: {name}"
    perigee = semi_major_axis_km * (1 - eccentricity) - EARTH_RADIUS_KM
    _check_orbit(where, semi_major_axis_km - EARTH_RADIUS_KM, eccentricity, inclination_deg)
    if perigee <= 0:
        raise InputError(f"{where}: perigee altitude {perigee:.0f} km is below the surface")
    elements = _elements_for_a(
        at, semi_major_axis_km, eccentricity, inclination_deg, raan_deg, arg_perigee_deg,
        mean_anomaly_deg, bstar,
    )
    if station_keeping and _deep_space(elements):
        elements = dataclasses.replace(elements, hold_orbit=True)
    return Satellite.from_sgp4init(name, elements, source, aliases=aliases)


def _deep_space(args: Sgp4Init) -> bool:
    """SGP4 propagates these elements with its deep-space model (SDP4: period >= 225 min)."""
    return bool(args.satrec().method == "d")


def circular(
    name: str,
    at: datetime,
    *,
    altitude_km: float,
    inclination_deg: float | None = None,
    sun_synchronous: bool = False,
    raan_deg: float | None = None,
    ltan_h: float | None = None,
    node_longitude_deg: float | None = None,
    arg_latitude_deg: float = 0.0,
    bstar: float = 0.0,
    source: str = "designed",
    aliases: Iterable[str] = (),
    station_keeping: bool = True,
) -> Satellite:
    """A circular orbit at ``altitude_km`` (SGP4 mean), inclination given or sun-synchronous,
    node from ``raan_deg``, ``ltan_h`` or ``node_longitude_deg``, position ``arg_latitude_deg``
    from the ascending node at epoch ``at`` (``station_keeping``: see :func:`keplerian`)."""
    at = require_aware(at, "analysis time")
    inc = _inclination(f"{source}: {name}", altitude_km, inclination_deg, sun_synchronous)
    raan = node_raan_deg(at, raan_deg=raan_deg, ltan_h=ltan_h, node_longitude_deg=node_longitude_deg)
    return keplerian(
        name, at, semi_major_axis_km=EARTH_RADIUS_KM + altitude_km, inclination_deg=inc,
        raan_deg=raan, mean_anomaly_deg=arg_latitude_deg, bstar=bstar, source=source,
        aliases=aliases, station_keeping=station_keeping,
    )


def _inclination(where: str, altitude_km: float, inclination_deg: float | None, sso: bool) -> float:
    if not math.isfinite(altitude_km) or altitude_km <= 0:
        raise InputError(f"{where}: altitude {altitude_km:g} km must be positive (above the Earth)")
    if sso:
        if inclination_deg is not None:
            raise InputError(
                f"{where}: give inclination_deg or sun_synchronous = true, not both "
                "(a sun-synchronous orbit's inclination follows from its altitude)"
            )
        return sun_synchronous_inclination_deg(altitude_km)
    if inclination_deg is None:
        raise InputError(f"{where}: inclination_deg is missing (or set sun_synchronous = true)")
    return inclination_deg


def walker_delta(
    name: str,
    at: datetime,
    *,
    altitude_km: float,
    planes: int,
    per_plane: int,
    phasing: int = 0,
    inclination_deg: float | None = None,
    sun_synchronous: bool = False,
    raan_deg: float | None = None,
    ltan_h: float | None = None,
    node_longitude_deg: float | None = None,
    raan_spread_deg: float = 360.0,
    arg_latitude_deg: float = 0.0,
    source: str = "designed",
    station_keeping: bool = True,
) -> list[Satellite]:
    """A Walker-delta constellation i: T/P/F with T = planes x per_plane, named ``name-1`` ...
    ``name-T`` plane by plane. Plane k (0-based) has right ascension node + k x spread / P;
    satellite j in it has argument of latitude u0 + j x 360/S + k x F x 360/T
    (``station_keeping``: see :func:`keplerian`)."""
    at = require_aware(at, "analysis time")
    where = f"{source}: {name}"
    for label, v in (("planes", planes), ("per_plane", per_plane), ("phasing", phasing)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer):
            raise InputError(f"{where}: {label} = {v!r} must be a whole number")
    if planes < 1:
        raise InputError(f"{where}: planes = {planes} must be at least 1")
    if per_plane < 1:
        raise InputError(f"{where}: per_plane = {per_plane} must be at least 1")
    if not 0 <= phasing < max(planes, 1):
        raise InputError(f"{where}: phasing F = {phasing} must be in 0 .. planes - 1 = {planes - 1}")
    total = planes * per_plane
    if total > 20000:
        raise InputError(f"{where}: {total} satellites is more than passplan's limit of 20000")
    if not 0 < raan_spread_deg <= 360:
        raise InputError(f"{where}: raan_spread_deg = {raan_spread_deg:g} must be in (0, 360]")
    inc = _inclination(where, altitude_km, inclination_deg, sun_synchronous)
    raan0 = node_raan_deg(at, raan_deg=raan_deg, ltan_h=ltan_h, node_longitude_deg=node_longitude_deg)
    out = []
    for k in range(planes):
        for j in range(per_plane):
            u = arg_latitude_deg + j * 360.0 / per_plane + k * phasing * 360.0 / total
            out.append(
                keplerian(
                    f"{name}-{k * per_plane + j + 1}", at,
                    semi_major_axis_km=EARTH_RADIUS_KM + altitude_km, inclination_deg=inc,
                    raan_deg=raan0 + k * raan_spread_deg / planes, mean_anomaly_deg=u,
                    source=source, station_keeping=station_keeping,
                )
            )
    return out


def _longitudes_deg(sat: Satrec, minutes: np.ndarray, epoch: datetime) -> np.ndarray:
    jd0 = 2433281.5 + epoch_days(epoch)
    out = np.empty(len(minutes))
    for i, m in enumerate(minutes):
        _e, r, _v = sat.sgp4_tsince(float(m))
        gmst = gstime(jd0 + m / 1440.0)
        out[i] = math.degrees(math.atan2(r[1], r[0]) - gmst)
    return out


def _wrap180(x: np.ndarray | float) -> np.ndarray | float:
    return (np.asarray(x) + 180.0) % 360.0 - 180.0


def geo_slot(
    longitude_deg: float,
    at: datetime,
    *,
    name: str | None = None,
    inclination_deg: float = 0.0,
    source: str = "designed",
    aliases: Iterable[str] = (),
    station_keeping: bool = True,
) -> Satellite:
    """A geostationary satellite held at ``longitude_deg`` (east positive): SGP4's mean longitude
    at epoch is set from GMST, then mean motion and mean longitude are trimmed so the
    sub-satellite longitude stays within a few thousandths of a degree of the slot for 24 h.

    ``station_keeping`` (default): the satellite keeps its slot for the whole study, its element
    set re-anchored and trimmed again every day after ``at``
    (:class:`~passplan.satellite.KeptSatrec`; over a year the longitude stays within +-0.01 deg
    of the slot, ``tests/test_station_keeping.py``). ``False``: one element set propagated
    freely, which SDP4's luni-solar and triaxiality terms drift away from the slot (at 105 E,
    about 1 deg after a month and tens of degrees after a year)."""
    at = require_aware(at, "analysis time")
    if not math.isfinite(longitude_deg) or not -180.0 <= longitude_deg <= 360.0:
        raise InputError(f"{source}: GEO longitude {longitude_deg:g} deg must be in [-180, 360]")
    if not 0.0 <= inclination_deg <= 20.0:
        raise InputError(f"{source}: GEO inclination {inclination_deg:g} deg must be in [0, 20]")
    name = name or f"GEO {longitude_deg:.1f}{'E' if longitude_deg >= 0 else 'W'}"
    n = 2.0 * math.pi / (SIDEREAL_DAY_S / 60.0)  # rad/min
    lam = _gmst_deg(at) + longitude_deg  # mean longitude in TEME
    minutes = np.linspace(0.0, 1440.0, 25)
    args, sat = _init(at, n, 0.0, inclination_deg, 0.0, 0.0, lam, 0.0)
    for _ in range(4):
        err = _wrap180(_longitudes_deg(sat, minutes, at) - longitude_deg)
        slope, offset = np.polyfit(minutes, err, 1)  # deg/min, deg
        if abs(offset) < 1e-4 and abs(slope) * 1440.0 < 1e-4:
            break
        n -= slope * _DEG
        lam -= offset
        args, sat = _init(at, n, 0.0, inclination_deg, 0.0, 0.0, lam, 0.0)
    if station_keeping:
        args = dataclasses.replace(args, hold_longitude_deg=float(longitude_deg))
    return Satellite.from_sgp4init(name, args, source, aliases=aliases)


# ---------------------------------------------------------------------------------------------
# TOML

_ORBIT_KEYS = {
    "name", "aliases", "altitude_km", "semi_major_axis_km", "perigee_altitude_km",
    "apogee_altitude_km", "eccentricity", "inclination_deg", "sun_synchronous", "raan_deg",
    "ltan_h", "node_longitude_deg", "arg_perigee_deg", "mean_anomaly_deg", "arg_latitude_deg",
    "bstar", "profile", "station_keeping",
}
_WALKER_KEYS = {
    "name", "profile", "altitude_km", "inclination_deg", "sun_synchronous", "planes", "per_plane", "phasing",
    "raan_deg", "ltan_h", "node_longitude_deg", "raan_spread_deg", "arg_latitude_deg", "station_keeping",
}
_GEO_KEYS = {"name", "aliases", "longitude_deg", "inclination_deg", "station_keeping", "profile"}
_TOP_KEYS = {"constellation", "satellite", "walker", "geo"}


class _Table:
    """Typed access to one TOML table with messages naming the file, the table and the key."""

    def __init__(self, data: Mapping[str, Any], where: str, known: set[str], table: str = "") -> None:
        self.data = data
        self.where = where
        for key in data:
            if key not in known:
                hint = suggest(key, known)
                tip = f"; did you mean {hint[0]!r}?" if hint else f"; known keys: {', '.join(sorted(known))}"
                raise ConfigError(f"{where}: unknown key {key!r}{tip}")
        self.table = table

    def has(self, key: str) -> bool:
        return key in self.data

    @overload
    def num(self, key: str, default: float) -> float: ...
    @overload
    def num(self, key: str, *, required: Literal[True]) -> float: ...
    @overload
    def num(self, key: str) -> float | None: ...
    def num(self, key: str, default: float | None = None, required: bool = False) -> float | None:
        if key not in self.data:
            if required:
                raise ConfigError(f"{self.where}: {key} is missing")
            return default
        v = self.data[key]
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ConfigError(f"{self.where}: {key} = {v!r} must be a number")
        return float(v)

    def integer(self, key: str, default: int | None = None) -> int:
        if key not in self.data:
            if default is None:
                raise ConfigError(f"{self.where}: {key} is missing (a whole number)")
            return default
        v = self.data[key]
        if isinstance(v, bool) or not isinstance(v, int):
            raise ConfigError(f"{self.where}: {key} = {v!r} must be a whole number")
        return v

    def flag(self, key: str, default: bool = False) -> bool:
        v = self.data.get(key, default)
        if not isinstance(v, bool):
            raise ConfigError(f"{self.where}: {key} = {v!r} must be true or false")
        return v

    def text(self, key: str, default: str | None = None) -> str:
        from .schema import clean_text

        v = self.data.get(key, default)
        if not isinstance(v, str) or not v.strip():
            raise ConfigError(f"{self.where}: {key} must be a non-empty string")
        if not clean_text(v):
            raise ConfigError(f"{self.where}: {key} = {v!r} holds control characters; give plain text")
        return v.strip()

    def names(self, key: str) -> tuple[str, ...]:
        v = self.data.get(key, [])
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise ConfigError(f"{self.where}: {key} must be a list of strings")
        return tuple(v)

    def hours(self, key: str) -> float | None:
        """Local time as hours (22.5), "HH:MM" text or a TOML local time (22:30:00)."""
        if key not in self.data:
            return None
        v = self.data[key]
        if isinstance(v, time):
            h = v.hour + v.minute / 60 + v.second / 3600
        elif isinstance(v, str):
            try:
                hh, mm = v.strip().split(":")[:2]
                h = int(hh) + int(mm) / 60
            except ValueError:
                raise ConfigError(f"{self.where}: {key} = {v!r}; give hours (22.5) or \"22:30\"") from None
        elif isinstance(v, int | float) and not isinstance(v, bool):
            h = float(v)
        else:
            raise ConfigError(f"{self.where}: {key} = {v!r}; give hours (22.5) or \"22:30\"")
        if not 0.0 <= h < 24.0:
            raise ConfigError(f"{self.where}: {key} = {v!r} must be a time of day in [0, 24) h")
        return h


def _tables(doc: Mapping[str, Any], key: str, path: Path) -> list[Mapping[str, Any]]:
    v = doc.get(key, [])
    if isinstance(v, dict):
        v = [v]
    if not isinstance(v, list) or not all(isinstance(t, dict) for t in v):
        raise ConfigError(f"{path}: {key} must be an array of tables ([[{key}]])")
    return v


class _Node(TypedDict):
    raan_deg: float | None
    ltan_h: float | None
    node_longitude_deg: float | None


def _node(t: _Table) -> _Node:
    given = [k for k in ("raan_deg", "ltan_h", "node_longitude_deg") if t.has(k)]
    if len(given) > 1:
        raise ConfigError(f"{t.where}: give only one of {', '.join(given)} to place the orbit plane")
    return {
        "raan_deg": t.num("raan_deg"),
        "ltan_h": t.hours("ltan_h"),
        "node_longitude_deg": t.num("node_longitude_deg"),
    }


def _orbit_from_table(t: _Table, at: datetime, source: str) -> Satellite:
    name = t.text("name")
    aliases = t.names("aliases")
    ecc = t.num("eccentricity", 0.0)
    sso = t.flag("sun_synchronous")
    inc = t.num("inclination_deg")
    if t.has("perigee_altitude_km") or t.has("apogee_altitude_km"):
        hp = t.num("perigee_altitude_km", required=True)
        ha = t.num("apogee_altitude_km", required=True)
        if t.has("eccentricity") or t.has("altitude_km") or t.has("semi_major_axis_km"):
            raise ConfigError(f"{t.where}: give perigee/apogee altitudes or altitude/eccentricity, not both")
        if hp <= 0 or ha < hp:
            raise ConfigError(
                f"{t.where}: perigee_altitude_km = {hp:g} must be positive and at most apogee_altitude_km = {ha:g}"
            )
        a = EARTH_RADIUS_KM + (hp + ha) / 2.0
        ecc = (ha - hp) / (2.0 * a)
    elif t.has("semi_major_axis_km"):
        a = t.num("semi_major_axis_km", required=True)
    else:
        a = EARTH_RADIUS_KM + t.num("altitude_km", required=True)
    if t.has("arg_latitude_deg") and (t.has("mean_anomaly_deg") or t.has("arg_perigee_deg")):
        raise ConfigError(
            f"{t.where}: arg_latitude_deg (circular orbits) excludes mean_anomaly_deg/arg_perigee_deg"
        )
    inc = _inclination(t.where, a - EARTH_RADIUS_KM, inc, sso)
    _check_orbit(t.where, a - EARTH_RADIUS_KM, ecc, inc)
    raan = node_raan_deg(at, **_node(t))
    return keplerian(
        name, at, semi_major_axis_km=a, eccentricity=ecc, inclination_deg=inc, raan_deg=raan,
        arg_perigee_deg=t.num("arg_perigee_deg", 0.0),
        mean_anomaly_deg=t.num("mean_anomaly_deg", t.num("arg_latitude_deg", 0.0)),
        bstar=t.num("bstar", 0.0), source=source, aliases=aliases,
        station_keeping=t.flag("station_keeping", True),
    )


def _with_profile(t: _Table, sats: list[Satellite]) -> list[Satellite]:
    """Attach the table's ``profile`` (a link profile name, checked to exist) to its satellites,
    once every key of the table passed its type and range (passplan.schema.CONSTELLATION, the
    ranges stated once; the orbit checks above give the more specific messages first)."""
    if t.table:
        from . import schema

        schema.check_keys(schema.CONSTELLATION.table(t.table), t.data, t.where)
    if not t.has("profile"):
        return sats
    name = t.text("profile")
    from .link.profiles import list_profiles

    known = list_profiles()
    if name not in known:
        hint = suggest(name, known)
        tip = f"; did you mean {hint[0]!r}?" if hint else f"; known: {', '.join(known)}"
        raise ConfigError(f"{t.where}: unknown link profile {name!r}{tip}")
    return [dataclasses.replace(s, profile=name) for s in sats]


def load_constellation(
    path: str | Path, at: datetime, source: str | None = None
) -> list[Satellite]:
    """Designed satellites from a constellation TOML file, with their epoch at ``at``.

    Tables (any number of each)::

        [constellation]              # optional: name, description
        [[satellite]]                # name, altitude_km | semi_major_axis_km |
                                     #   perigee_altitude_km + apogee_altitude_km, eccentricity,
                                     #   inclination_deg | sun_synchronous = true,
                                     #   raan_deg | ltan_h | node_longitude_deg,
                                     #   arg_perigee_deg, mean_anomaly_deg | arg_latitude_deg,
                                     #   bstar, aliases, profile, station_keeping
        [[walker]]                   # name, altitude_km, inclination_deg | sun_synchronous,
                                     #   planes, per_plane, phasing, raan_deg | ltan_h |
                                     #   node_longitude_deg, raan_spread_deg, arg_latitude_deg,
                                     #   profile, station_keeping (deep-space orbits, MEO/HEO:
                                     #   default true, the designed orbit held all study)
        [[geo]]                      # name, longitude_deg, inclination_deg, aliases, profile,
                                     #   station_keeping (default true: the slot is held all
                                     #   study; false: SDP4's free drift)

    ``profile`` names the link profile of the satellite's terminal (``passplan link --list``),
    used by key forecasts in place of the station's receiver profile.

    Errors (:class:`~passplan.errors.ConfigError`) name the file, the table and the key; TOML
    syntax errors name the line.
    """
    p = Path(path)
    at = require_aware(at, "analysis time")
    from .schema import read_text

    if not p.exists():
        raise ConfigError(f"constellation file {p} does not exist; check the path")
    # UTF-8 (a byte-order mark dropped); an empty, binary or non-UTF-8 file is one error
    return constellation_from_toml(read_text(p, "constellation TOML"), at, where=p, source=source)


def constellation_from_toml(
    text: str, at: datetime, where: str | Path = "constellation", source: str | None = None
) -> list[Satellite]:
    """Designed satellites from the text of a constellation TOML file (see
    :func:`load_constellation`); errors name ``where``."""
    p = Path(where)
    at = require_aware(at, "analysis time")
    src = source or str(p)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{p}: invalid TOML: {err}; fix the syntax on that line") from None
    for key in doc:
        if key not in _TOP_KEYS:
            hint = suggest(key, _TOP_KEYS)
            tip = f"; did you mean {hint[0]!r}?" if hint else ""
            raise ConfigError(
                f"{p}: unknown table {key!r}{tip} (a constellation file has [constellation], "
                "[[satellite]], [[walker]] and [[geo]])"
            )
    if "constellation" in doc and not isinstance(doc["constellation"], dict):
        raise ConfigError(f"{p}: constellation must be a table ([constellation])")
    if "constellation" in doc:
        from . import schema

        schema.check_keys(schema.CONSTELLATION.table("[constellation]"), doc["constellation"], f"{p}: [constellation]")
    sats: list[Satellite] = []
    try:
        for i, tab in enumerate(_tables(doc, "walker", p), start=1):
            t = _Table(tab, f"{p}: [[walker]] #{i} ({tab.get('name', '?')})", _WALKER_KEYS, "[[walker]]")
            alt = t.num("altitude_km", required=True)
            inc = t.num("inclination_deg")
            sso = t.flag("sun_synchronous")
            inc = _inclination(t.where, alt, inc, sso)
            _check_orbit(t.where, alt, 0.0, inc)
            planes, per_plane = t.integer("planes"), t.integer("per_plane")
            phasing = t.integer("phasing", 0)
            if planes < 1 or per_plane < 1:
                raise ConfigError(
                    f"{t.where}: planes = {planes} and per_plane = {per_plane} must be at least 1"
                )
            if not 0 <= phasing < planes:
                raise ConfigError(
                    f"{t.where}: phasing F = {phasing} must be in 0 .. planes - 1 = {planes - 1}"
                )
            sats += _with_profile(t, walker_delta(
                t.text("name"), at, altitude_km=alt, inclination_deg=inc,
                planes=planes, per_plane=per_plane,
                phasing=phasing, raan_spread_deg=t.num("raan_spread_deg", 360.0),
                arg_latitude_deg=t.num("arg_latitude_deg", 0.0), source=src,
                station_keeping=t.flag("station_keeping", True), **_node(t),
            ))
        for i, tab in enumerate(_tables(doc, "satellite", p), start=1):
            t = _Table(tab, f"{p}: [[satellite]] #{i} ({tab.get('name', '?')})", _ORBIT_KEYS, "[[satellite]]")
            sats += _with_profile(t, [_orbit_from_table(t, at, src)])
        for i, tab in enumerate(_tables(doc, "geo", p), start=1):
            t = _Table(tab, f"{p}: [[geo]] #{i} ({tab.get('name', '?')})", _GEO_KEYS, "[[geo]]")
            sats += _with_profile(t, [
                geo_slot(
                    t.num("longitude_deg", required=True), at, name=t.text("name"),
                    inclination_deg=t.num("inclination_deg", 0.0), source=src,
                    aliases=t.names("aliases"), station_keeping=t.flag("station_keeping", True),
                )
            ])
    except InputError as err:
        raise ConfigError(str(err)) from None
    if not sats:
        raise ConfigError(f"{p}: no satellites defined; add [[satellite]], [[walker]] or [[geo]] tables")
    seen: set[str] = set()
    for s in sats:
        if s.name.lower() in seen:
            raise ConfigError(f"{p}: satellite name {s.name!r} is used twice; names must be unique")
        seen.add(s.name.lower())
    return sats


# ---------------------------------------------------------------------------------------------
# Designing a fleet: the constellation TOML that every ``--sats`` (and load_constellation) reads

#: Altitudes a designed fleet may have (km): above the densest drag, below beyond-GEO orbits.
DESIGN_ALTITUDE_KM = (150.0, 50_000.0)


@dataclass(frozen=True)
class ConstellationDesign:
    """A designed fleet: its ``name``, a one-line ``description`` and its tables (``kind`` is
    ``walker`` or ``geo``, with the keys of :func:`load_constellation`).

    ``to_toml()`` is the constellation file (what ``passplan constellation walker|sso|meo|geo``
    writes), ``to_records()`` one record per table, ``to_json()`` their JSON, and
    ``satellites(at)`` the SGP4 satellites it defines at ``at``."""

    name: str
    description: str
    tables: tuple[tuple[str, Mapping[str, Any]], ...]

    def __post_init__(self) -> None:
        from .schema import clean_text

        for what, text in [("name", self.name), ("description", self.description)] + [
            ("name", str(rows.get("name", ""))) for _, rows in self.tables
        ]:
            if not clean_text(text) or (what == "name" and not text.strip()):
                raise InputError(
                    f"{what} {text!r}: give a name of plain text (no newline, tab or other control "
                    "character: it is written into the constellation TOML and printed in tables)"
                )

    def to_toml(self) -> str:
        head = f"# {self.description}\n# written by passplan constellation; load with --sats FILE\n\n"
        return head + toml_text([("constellation", {"name": self.name, "description": self.description})]
                                + [(kind, [dict(rows)]) for kind, rows in self.tables])

    def to_records(self) -> list[dict[str, Any]]:
        return [{"kind": kind, **rows} for kind, rows in self.tables]

    def to_json(self) -> str:
        from .io import to_json

        return to_json({"name": self.name, "description": self.description, "tables": self.to_records()})

    def satellites(self, at: datetime) -> list[Satellite]:
        """The designed satellites, with their epoch at ``at`` (as ``--sats FILE`` loads them)."""
        return constellation_from_toml(self.to_toml(), at, where=self.name)


def toml_text(tables: Sequence[tuple[str, Mapping[str, Any] | Sequence[Mapping[str, Any]]]]) -> str:
    """TOML of ``(key, table)`` pairs (a list of tables: one ``[[key]]`` array element per
    table) in the given order, a blank line between them, written by ``tomli-w`` (every
    string quoted and escaped as TOML requires: quotes, backslashes, newlines, control
    characters), so whatever is written reads back the same with ``tomllib``."""
    import tomli_w

    parts = []
    for key, table in tables:
        for one in [table] if isinstance(table, Mapping) else table:
            text = tomli_w.dumps({key: dict(one)})  # "[key]" and its keys (tomli-w inlines short arrays)
            header, rest = text.split("\n", 1)
            parts.append(text if isinstance(table, Mapping) else f"[{header}]\n{rest}")  # one [[key]] element
    return "\n".join(parts)


def _design_altitude(h: float) -> None:
    lo, hi = DESIGN_ALTITUDE_KM
    if not (math.isfinite(h) and lo <= h <= hi):
        raise InputError(f"altitude_km {h:g}: give an altitude from {lo:g} to {hi:g} km")


def _design_inclination(i: float) -> None:
    if not (math.isfinite(i) and 0.0 <= i <= 180.0):
        raise InputError(f"inclination_deg {i:g}: give an inclination from 0 to 180 deg")


def _design_walker(total: int, planes: int, phasing: int) -> None:
    if planes < 1 or total < 1:
        raise InputError(f"a Walker constellation needs at least one plane and one satellite (T={total}, P={planes})")
    if total % planes:
        raise InputError(f"{planes} planes do not divide {total} satellites; choose P dividing T (T/P per plane)")
    if not 0 <= phasing < planes:
        raise InputError(f"phasing F = {phasing} must lie in 0..{planes - 1} (0 <= F < P)")


def parse_walker_notation(text: str, what: str = "notation") -> tuple[float, int, int, int]:
    """Walker notation ``i:T/P/F`` (inclination deg, total, planes, phasing); a malformed text's
    error starts with ``what`` (the CLI gives its option, ``--notation``)."""
    m = re.fullmatch(r"\s*([0-9.]+)\s*:\s*(\d+)\s*/\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not m:
        raise InputError(f"{what} {text!r}: write i:T/P/F, e.g. 53:24/3/1")
    return float(m[1]), int(m[2]), int(m[3]), int(m[4])


def design_walker(
    altitude_km: float,
    inclination_deg: float,
    total: int,
    planes: int,
    phasing: int = 0,
    *,
    star: bool = False,
    name: str | None = None,
    profile: str | None = None,
) -> ConstellationDesign:
    """A Walker delta (or, with ``star``, star: planes over 180 deg of node) constellation
    i:T/P/F at ``altitude_km``; ``profile`` names the satellites' link profile."""
    _design_altitude(altitude_km)
    _design_inclination(inclination_deg)
    _design_walker(total, planes, phasing)
    kind = "star" if star else "delta"
    nm = name or f"WALKER-{inclination_deg:g}-{total}-{planes}-{phasing}"
    rows: dict[str, Any] = {
        "name": nm, "altitude_km": float(altitude_km), "inclination_deg": float(inclination_deg), "planes": planes,
        "per_plane": total // planes, "phasing": phasing, "raan_spread_deg": 180.0 if star else 360.0,
    }
    if profile:
        rows["profile"] = profile
    desc = f"Walker {kind} {inclination_deg:g}:{total}/{planes}/{phasing} at {altitude_km:g} km"
    return ConstellationDesign(nm, desc, (("walker", rows),))


def design_sso(
    altitude_km: float,
    ltan: str,
    planes: int = 1,
    per_plane: int = 1,
    phasing: int = 0,
    raan_spread_deg: float = 360.0,
    *,
    name: str | None = None,
    profile: str | None = None,
) -> ConstellationDesign:
    """Sun-synchronous planes at ``altitude_km`` (the inclination follows from J2), the first
    with its ascending node at local time ``ltan`` (``HH:MM``; Micius and Jinan-1 style)."""
    _design_altitude(altitude_km)
    if not re.fullmatch(r"\d{1,2}:\d{2}", ltan.strip()) or not (
        0 <= int(ltan.split(":")[0]) < 24 and 0 <= int(ltan.split(":")[1]) < 60
    ):
        raise InputError(f"ltan {ltan!r}: give a local time HH:MM, e.g. 22:30")
    _design_walker(planes * per_plane, planes, phasing)
    if not (0 < raan_spread_deg <= 360):
        raise InputError(f"raan_spread_deg {raan_spread_deg:g}: give a spread in (0, 360] deg")
    nm = name or f"SSO-{altitude_km:g}-{ltan.replace(':', '')}"
    rows: dict[str, Any] = {
        "name": nm, "altitude_km": float(altitude_km), "sun_synchronous": True, "ltan_h": ltan.strip(),
        "planes": planes, "per_plane": per_plane, "phasing": phasing, "raan_spread_deg": float(raan_spread_deg),
    }
    if profile:
        rows["profile"] = profile
    desc = f"{planes} x {per_plane} sun-synchronous at {altitude_km:g} km, LTAN {ltan}"
    return ConstellationDesign(nm, desc, (("walker", rows),))


def design_meo(
    altitude_km: float,
    inclination_deg: float,
    planes: int = 1,
    per_plane: int = 1,
    phasing: int = 0,
    *,
    name: str | None = None,
    profile: str | None = "meo-generic",
    station_keeping: bool = True,
) -> ConstellationDesign:
    """A MEO ring (or rings): satellites that stay in view for hours. They hold their designed
    orbits for the whole study (station-keeping, :func:`keplerian`) unless ``station_keeping`` is
    false (the file then says ``station_keeping = false``)."""
    _design_altitude(altitude_km)
    _design_inclination(inclination_deg)
    _design_walker(planes * per_plane, planes, phasing)
    nm = name or f"MEO-{altitude_km:g}"
    rows: dict[str, Any] = {
        "name": nm, "altitude_km": float(altitude_km), "inclination_deg": float(inclination_deg), "planes": planes,
        "per_plane": per_plane, "phasing": phasing, "raan_spread_deg": 360.0,
    }
    if profile:
        rows["profile"] = profile
    if not station_keeping:
        rows["station_keeping"] = False
    desc = f"MEO {planes} x {per_plane} at {altitude_km:g} km, {inclination_deg:g} deg"
    return ConstellationDesign(nm, desc, (("walker", rows),))


def design_geo(
    longitudes_deg: Iterable[float], *, name: str | None = None, profile: str | None = "geo-generic"
) -> ConstellationDesign:
    """Geostationary slots by longitude (deg east, -180 to 360; always in view of their
    footprint)."""
    lons = list(longitudes_deg)
    tables: list[tuple[str, Mapping[str, Any]]] = []
    for lon in lons:
        if not (math.isfinite(lon) and -180.0 <= lon <= 360.0):
            raise InputError(f"longitude_deg {lon:g}: give a longitude from -180 to 360 deg")
        east = ((lon + 180.0) % 360.0) - 180.0
        rows: dict[str, Any] = {"name": f"GEO-{abs(east):g}{'E' if east >= 0 else 'W'}", "longitude_deg": float(east)}
        if profile:
            rows["profile"] = profile
        tables.append(("geo", rows))
    desc = f"{len(tables)} GEO slot(s) at {', '.join(f'{x:g}' for x in lons)} deg"
    return ConstellationDesign(name or "GEO", desc, tuple(tables))
