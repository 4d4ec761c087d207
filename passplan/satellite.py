"""The :class:`Satellite` record and its SGP4 construction: from TLE lines, from OMM fields, or
from ``Satrec.sgp4init`` arguments (designed orbits).

A satellite keeps what built it (:attr:`Satellite.built_from`: :class:`TleLines`,
:class:`OmmFields` or :class:`Sgp4Init`) and pickles as that recipe: unpickling runs the same
construction again, so the ``sgp4.api.Satrec`` (which cannot be pickled) comes back bit-identical.
That lets whole pass searches travel to process pools and Dask workers.

* TLE checksums are verified with ``sgp4.io.verify_checksum`` (Skyfield does not verify them).
* OMM records become SGP4 satellites through ``Satrec.sgp4init`` (WGS-72, improved mode, as the
  18 SDS element sets are generated), not through ``sgp4.omm``, which refuses epochs without
  fractional seconds and catalogue numbers above 339999.
* ``sgp4init`` takes its epoch as days since 1949-12-31 00:00 UTC and its rates in radians per
  minute (Vallado et al., "Revisiting Spacetrack Report #3", AIAA 2006-6753).

This module imports no other passplan module but :mod:`.errors`, :mod:`.times` and
:mod:`.tle_formats`; the catalogue (:mod:`.elements`) and :mod:`.designed` build on it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sgp4.api import SGP4_ERRORS, WGS72, WGS72OLD, WGS84, Satrec
from sgp4.propagation import gstime

from .errors import ElementSetError, InputError
from .times import iso_z, require_aware
from .tle_formats import ALPHA5_MAX, alpha5_to_int, check_tle_lines, parse_omm_epoch, tle_epoch

__all__ = [
    "Satellite",
    "TleLines",
    "OmmFields",
    "Sgp4Init",
    "KeptSatrec",
    "SGP4_EPOCH0",
    "XPDOTP",
    "epoch_days",
    "check_satrec",
]

#: Day zero of ``Satrec.sgp4init``'s epoch argument: 1949-12-31 00:00 UTC (JD 2433281.5).
SGP4_EPOCH0 = datetime(1949, 12, 31, tzinfo=UTC)
_MIN_PER_DAY = 1440.0
#: Revolutions per day in one radian per minute.
XPDOTP = _MIN_PER_DAY / (2.0 * math.pi)
_GRAVITY = {"wgs72": WGS72, "wgs72old": WGS72OLD, "wgs84": WGS84}


def epoch_days(epoch: datetime) -> float:
    """Days since 1949-12-31 00:00 UTC, the epoch argument of ``Satrec.sgp4init``."""
    return (require_aware(epoch, "epoch") - SGP4_EPOCH0).total_seconds() / 86400.0


def check_satrec(satrec: Satrec, loc: str) -> None:
    """Propagate to the epoch once: sgp4 flags impossible elements with an error code."""
    err, _r, _v = satrec.sgp4_tsince(0.0)
    if err:
        raise ElementSetError(
            f"{loc}: SGP4 rejects these elements at their epoch: {SGP4_ERRORS.get(err, err)}"
        )


# ---------------------------------------------------------------------------------------------
# What built a satellite: three recipes, each rebuilding its Satrec the same way every time


@dataclass(frozen=True, slots=True)
class TleLines:
    """The two lines of a TLE, as read (trailing blanks removed)."""

    line1: str
    line2: str

    def satrec(self, loc: str = "TLE") -> Satrec:
        """``Satrec.twoline2rv`` (WGS-72), after the checksum and line checks."""
        check_tle_lines(self.line1, self.line2, loc)
        return self._twoline2rv(loc)

    def _twoline2rv(self, loc: str) -> Satrec:
        try:
            satrec = Satrec.twoline2rv(self.line1, self.line2, WGS72)
        except (ValueError, RuntimeError) as err:
            raise ElementSetError(f"{loc}: sgp4 cannot read this TLE ({err})") from None
        check_satrec(satrec, loc)
        return satrec


@dataclass(frozen=True, slots=True)
class OmmFields:
    """OMM keywords and their values (text or numbers) with upper-case keys, in input order."""

    fields: tuple[tuple[str, Any], ...]

    @classmethod
    def of(cls, fields: Mapping[str, Any]) -> OmmFields:
        return cls(tuple((str(k).strip().upper(), v) for k, v in fields.items()))

    def satrec(self, loc: str = "OMM") -> Satrec:
        """``Satrec.sgp4init`` (WGS-72, improved mode) from the mean elements."""
        return _omm(dict(self.fields), loc)[0]


@dataclass(frozen=True, slots=True)
class Sgp4Init:
    """The arguments of ``Satrec.sgp4init``, with the epoch as an aware UTC datetime and angles in
    radians, rates per minute (``no_kozai_rad_min`` is the Kozai mean motion).

    ``hold_longitude_deg`` (designed geostationary satellites): station-keeping. The satellite holds
    that Earth-fixed longitude (deg east) for the whole study: :meth:`satrec` gives a
    :class:`KeptSatrec`, whose element set is re-anchored once per day after the epoch. ``None``
    (the default): one element set, propagated freely (SGP4/SDP4 drift included).

    ``hold_orbit`` (designed deep-space orbits other than GEO slots: MEO, HEO): station-keeping of
    the designed orbit. :meth:`satrec` gives a :class:`KeptSatrec` whose element set of each day
    is these elements advanced by SGP4's own secular rates of the Earth's zonal harmonics (J2,
    J4: ``nodedot``, ``argpdot``, ``mdot``), so the luni-solar drift of SDP4 is removed each day.
    It cannot be combined with ``hold_longitude_deg``."""

    epoch: datetime
    ecco: float
    argpo_rad: float
    inclo_rad: float
    mo_rad: float
    no_kozai_rad_min: float
    nodeo_rad: float
    bstar: float = 0.0
    ndot: float = 0.0
    nddot: float = 0.0
    satnum: int = 0
    opsmode: str = "i"
    gravity: str = "wgs72"
    hold_longitude_deg: float | None = None
    hold_orbit: bool = False

    def __post_init__(self) -> None:
        require_aware(self.epoch, "sgp4init epoch")
        if self.hold_orbit and self.hold_longitude_deg is not None:
            raise InputError("station-keeping: give hold_longitude_deg (a GEO slot) or hold_orbit, not both")
        if self.hold_longitude_deg is not None and not math.isfinite(self.hold_longitude_deg):
            raise InputError(f"station-keeping longitude {self.hold_longitude_deg!r} is not a finite number")
        if self.gravity not in _GRAVITY:
            raise InputError(
                f"gravity model {self.gravity!r} is not one of {', '.join(_GRAVITY)}; element sets "
                "from the 18 SDS use 'wgs72'"
            )
        if self.opsmode not in ("i", "a"):
            raise InputError(
                f"SGP4 operation mode {self.opsmode!r} must be 'i' (improved) or 'a' (AFSPC)"
            )

    def satrec(self, loc: str = "sgp4init") -> Satrec:
        """A new ``Satrec`` initialised with these arguments (a :class:`KeptSatrec` when
        ``hold_longitude_deg`` or ``hold_orbit`` is set)."""
        kept = self.hold_longitude_deg is not None or self.hold_orbit
        satrec = KeptSatrec() if kept else Satrec()
        try:
            satrec.sgp4init(
                _GRAVITY[self.gravity],
                self.opsmode,
                self.satnum,
                epoch_days(self.epoch),
                self.bstar,
                self.ndot,
                self.nddot,
                self.ecco,
                self.argpo_rad,
                self.inclo_rad,
                self.mo_rad,
                self.no_kozai_rad_min,
                self.nodeo_rad,
            )
        except (ValueError, RuntimeError) as err:
            raise ElementSetError(f"{loc}: sgp4 cannot initialise these elements ({err})") from None
        if isinstance(satrec, KeptSatrec):
            satrec._keep(self, loc)
        return satrec


# ---------------------------------------------------------------------------------------------
# Station-keeping (designed GEO satellites, and designed MEO/HEO orbits)

_DEG = math.pi / 180.0
#: Days added before taking the day of a time (1e-12 day, 86 ns): a time a rounding error before
#: a day boundary (the epoch, written as another jd + fr split) belongs to the day it starts.
_DAY_ROUNDING = 1e-12
#: Trim samples over one anchoring day (minutes after the anchor epoch), as geo_slot trims day 0.
_TRIM_MINUTES = np.linspace(0.0, _MIN_PER_DAY, 25)


def _earth_fixed_longitudes_deg(sat: Satrec, jd0: float) -> np.ndarray:
    """Sub-satellite longitudes (deg, TEME rotated by GMST 1982) at :data:`_TRIM_MINUTES`."""
    out = np.empty(_TRIM_MINUTES.size)
    for i, m in enumerate(_TRIM_MINUTES):
        _e, r, _v = Satrec.sgp4_tsince(sat, float(m))
        out[i] = math.degrees(math.atan2(r[1], r[0]) - gstime(jd0 + m / _MIN_PER_DAY))
    return out


class KeptSatrec(Satrec):
    """A ``Satrec`` that holds a geostationary slot by daily re-anchoring (station-keeping).

    It is the day-0 element set itself (its attributes, :func:`export_tle`, the epoch), and its
    propagation calls (``sgp4``, ``sgp4_array``, ``sgp4_tsince``) use, for each time, the element
    set anchored on the start of that time's day: day ``k`` = ``floor(days since the epoch)``
    (times before the epoch: day 0, the designed set propagated backwards, so the orbit is
    continuous at the epoch, where a designed satellite's searches start). The
    anchor of day ``k`` (epoch + k days) is the day-0 set with its node advanced by the Greenwich
    sidereal angle elapsed (the same Earth-fixed orbit), then the mean motion and mean anomaly
    trimmed, as :func:`passplan.designed.geo_slot` trims day 0, so that the sub-satellite longitude
    stays on ``hold_longitude_deg`` over that day. SGP4 therefore never propagates more than one
    day from an epoch: the luni-solar and triaxiality drift of a free GEO satellite (tens of
    degrees of longitude in a year under SDP4) is removed each day, as an operator's manoeuvres
    remove it. The box held, measured over a year at 105 E (``tests/test_station_keeping.py``):
    +-0.01 deg of longitude and +-0.05 deg of latitude (zero inclination), inside the +-0.1 deg
    east-west box ITU-R Recommendation S.484 asks of geostationary satellites (tighter boxes,
    about +-0.05 deg, are assumed typical of operators; E. M. Soop, Handbook of Geostationary
    Orbits, 1994, ch. 6, quoted from memory and not checked against the book). The manoeuvres themselves (their fuel, their outages) are
    not modelled: the satellite is assumed always on station. Day boundaries are absolute
    (counted from the epoch), so any split of a time span into blocks gives the same positions;
    at a boundary the position steps by the day's residual drift (under 3 km, 0.005 deg seen
    from the ground; the test measures it).

    A designed deep-space orbit that is not a GEO slot (``Sgp4Init.hold_orbit``: MEO, HEO) holds
    its designed orbit instead: the anchor of day ``k`` is the day-0 element set with its node,
    argument of perigee and mean anomaly advanced by ``k`` days of SGP4's secular rates of the
    zonal harmonics (``nodedot``, ``argpdot``, ``mdot``: J2 and J4, Hoots and Roehrich 1980;
    with B* = 0 no drag) and its mean motion, eccentricity and inclination unchanged. So the
    designed orbit is the one a J2 world gives (its nodal regression and apsidal rotation kept,
    as a Walker pattern's planes regress together), and the luni-solar secular and long-period
    terms SDP4 adds (``dnodt``, ``domdt``, ``dmdt``, ``didt``, ``dedt``) are removed every day, as
    an operator's manoeuvres would. Measured over a year for 10,000 km at 45 deg against the
    first-order J2 orbit (``tests/test_station_keeping.py``): node within 0.044 deg and argument
    of latitude within 0.065 deg (short-period terms, mostly), semi-major axis within the
    +-2.1 km of J2's short-period terms, inclination within 0.012 deg; the free orbit's node
    runs 0.28 deg, its phase 0.38 deg and its inclination 0.12 deg away in the same year.
    """

    __slots__ = ("_args", "_loc", "_anchors")

    def _keep(self, args: Sgp4Init, loc: str) -> None:
        self._args = args
        self._loc = loc
        self._anchors: dict[int, Satrec] = {0: self}

    def anchor(self, day: int) -> Satrec:
        """The element set that propagates times in day ``day`` after the epoch (0: this one)."""
        day = int(day)
        got = self._anchors.get(day)
        if got is not None:
            return got
        from datetime import timedelta

        a = self._args
        epoch = a.epoch + timedelta(days=day)
        loc = f"{self._loc} (station-keeping anchor of day {day})"
        if a.hold_orbit:
            minutes = day * _MIN_PER_DAY
            two_pi = 2 * math.pi
            held = Sgp4Init(
                epoch=epoch, ecco=a.ecco, argpo_rad=(a.argpo_rad + self.argpdot * minutes) % two_pi,
                inclo_rad=a.inclo_rad, mo_rad=(a.mo_rad + self.mdot * minutes) % two_pi,
                no_kozai_rad_min=a.no_kozai_rad_min, nodeo_rad=(a.nodeo_rad + self.nodedot * minutes) % two_pi,
                bstar=a.bstar, ndot=a.ndot, nddot=a.nddot, satnum=a.satnum, opsmode=a.opsmode, gravity=a.gravity,
            )
            sat = held.satrec(loc)
            check_satrec(sat, loc)
            self._anchors[day] = sat
            return sat
        lon = float(a.hold_longitude_deg if a.hold_longitude_deg is not None else 0.0)
        jd0 = 2433281.5 + epoch_days(epoch)
        node = (a.nodeo_rad + gstime(jd0) - gstime(2433281.5 + epoch_days(a.epoch))) % (2 * math.pi)
        n, ma = a.no_kozai_rad_min, a.mo_rad
        for _ in range(5):
            args = Sgp4Init(
                epoch=epoch, ecco=a.ecco, argpo_rad=a.argpo_rad, inclo_rad=a.inclo_rad,
                mo_rad=ma % (2 * math.pi), no_kozai_rad_min=n, nodeo_rad=node, bstar=a.bstar,
                ndot=a.ndot, nddot=a.nddot, satnum=a.satnum, opsmode=a.opsmode, gravity=a.gravity,
            )
            sat = args.satrec(loc)
            err = (_earth_fixed_longitudes_deg(sat, jd0) - lon + 180.0) % 360.0 - 180.0
            slope, offset = np.polyfit(_TRIM_MINUTES, err, 1)  # deg/min, deg
            if abs(offset) < 1e-4 and abs(slope) * _MIN_PER_DAY < 1e-4:
                break
            n -= slope * _DEG
            ma -= offset * _DEG
        check_satrec(sat, loc)
        self._anchors[day] = sat
        return sat

    def _days(self, jd: np.ndarray, fr: np.ndarray) -> np.ndarray:
        # times before the epoch (a search's margins: a designed satellite's epoch is the
        # analysis time) propagate the designed set itself, so the orbit is continuous at the
        # epoch; _DAY_ROUNDING: a time a rounding error before a day boundary belongs to that day
        days = np.floor((jd - self.jdsatepoch) + (fr - self.jdsatepochF) + _DAY_ROUNDING)
        return np.maximum(days, 0.0).astype(np.int64)

    def sgp4(self, jd: float, fr: float) -> tuple[int, tuple[float, float, float], tuple[float, float, float]]:
        """``Satrec.sgp4`` with the anchor of the day of ``jd + fr``."""
        day = int(self._days(np.asarray(jd, float), np.asarray(fr, float)))
        return Satrec.sgp4(self if day == 0 else self.anchor(day), jd, fr)

    def sgp4_tsince(self, tsince: float) -> tuple[int, tuple[float, float, float], tuple[float, float, float]]:
        """``Satrec.sgp4_tsince`` (minutes after the epoch) with the anchor of that day."""
        day = max(math.floor(tsince / _MIN_PER_DAY + _DAY_ROUNDING), 0)
        if day == 0:
            return Satrec.sgp4_tsince(self, tsince)
        return Satrec.sgp4_tsince(self.anchor(day), tsince - day * _MIN_PER_DAY)

    def sgp4_array(self, jd: np.ndarray, fr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``Satrec.sgp4_array`` with, for each time, the anchor of its day."""
        jd = np.asarray(jd, float)
        fr = np.asarray(fr, float)
        days = self._days(jd, fr)
        if not days.any():
            return Satrec.sgp4_array(self, jd, fr)
        e = np.zeros(jd.shape, np.uint8)
        r = np.empty(jd.shape + (3,))
        v = np.empty(jd.shape + (3,))
        for day in np.unique(days):
            m = days == day
            e[m], r[m], v[m] = Satrec.sgp4_array(self.anchor(int(day)), jd[m], fr[m])
        return e, r, v


Recipe = TleLines | OmmFields | Sgp4Init


# ---------------------------------------------------------------------------------------------
# The record


@dataclass(frozen=True, slots=True, eq=False)
class Satellite:
    """One element set of one satellite, ready for SGP4.

    ``norad_id`` is the catalogue number (``None`` for designed satellites); ``epoch`` is aware UTC;
    ``source`` says where it came from (a file path, ``bundled:<group>``, or a constellation file);
    ``built_from`` is the recipe of ``satrec`` (TLE lines, OMM fields or sgp4init arguments), which
    is what a pickle stores. Build satellites with :meth:`from_tle`, :meth:`from_omm` or
    :meth:`from_sgp4init`; one made directly from a bare ``Satrec`` works but cannot be pickled.
    """

    name: str
    norad_id: int | None
    satrec: Satrec
    epoch: datetime
    source: str
    designed: bool = False
    aliases: tuple[str, ...] = ()
    profile: str | None = None  # link profile of this satellite's terminal, if it names one
    built_from: Recipe | None = None

    def __post_init__(self) -> None:
        if not self.name or not str(self.name).strip():
            raise ElementSetError(f"{self.source or 'satellite'}: empty satellite name")
        require_aware(self.epoch, "element-set epoch")
        if self.epoch.tzinfo is not UTC:
            object.__setattr__(self, "epoch", self.epoch.astimezone(UTC))
        object.__setattr__(self, "aliases", tuple(self.aliases))
        if self.built_from is not None and not isinstance(self.built_from, Recipe):
            raise InputError(
                f"{self.name}: built_from is a {type(self.built_from).__name__}; expected "
                "TleLines, OmmFields, Sgp4Init or None"
            )

    def __repr__(self) -> str:
        return (
            f"Satellite({self.name!r}, norad_id={self.norad_id}, epoch={iso_z(self.epoch)}, "
            f"source={self.source!r}{', designed' if self.designed else ''})"
        )

    def __reduce__(self) -> tuple[Callable[..., Satellite], tuple[Any, ...]]:
        """Pickle as the recipe: the ``Satrec`` is rebuilt (bit-identical) when unpickled."""
        if self.built_from is None:
            raise InputError(
                f"satellite {self.name!r} was made from a bare Satrec, so it cannot be pickled "
                "(a Satrec does not pickle); build it with Satellite.from_tle, from_omm or "
                "from_sgp4init, which keep the elements that rebuild it"
            )
        return (
            _rebuild,
            (
                self.name, self.norad_id, self.built_from, self.epoch, self.source,
                self.designed, self.aliases, self.profile,
            ),
        )

    @property
    def key(self) -> tuple[str, str]:
        """Identity used to group element sets of one satellite: catalogue number, else name."""
        if self.norad_id is not None:
            return ("norad", str(self.norad_id))
        return ("name", self.name.lower())

    def age_days(self, at: datetime) -> float:
        """Age of the element set at ``at`` in days: ``(at - epoch)``, negative before the epoch."""
        at = require_aware(at, "analysis time")
        return (at - self.epoch).total_seconds() / 86400.0

    @classmethod
    def from_tle(
        cls,
        line1: str,
        line2: str,
        name: str | None = None,
        source: str = "",
        *,
        where: str | None = None,
        aliases: Iterable[str] = (),
    ) -> Satellite:
        """Build from the two lines of a TLE, verifying length, line numbers, checksums and that
        both lines carry the same catalogue number (``sgp4.io.verify_checksum``)."""
        lines = TleLines(line1.rstrip(), line2.rstrip())
        loc = where or source or "TLE"
        norad = check_tle_lines(lines.line1, lines.line2, loc)
        satrec = lines._twoline2rv(loc)
        label = (name or "").strip() or f"NORAD {norad}"
        return cls(
            label, norad, satrec, tle_epoch(lines.line1), source, aliases=tuple(aliases),
            built_from=lines,
        )

    @classmethod
    def from_omm(
        cls,
        fields: Mapping[str, Any],
        source: str = "",
        *,
        where: str | None = None,
        aliases: Iterable[str] = (),
    ) -> Satellite:
        """Build from OMM fields (CCSDS keywords as in CelesTrak's JSON/CSV/XML; values text or
        numbers). Epochs with or without fractional seconds and catalogue numbers above 339999 are
        accepted; the satellite is initialised with ``Satrec.sgp4init`` (WGS-72).

        Units (CCSDS 502.0-B-3, CelesTrak GP): MEAN_MOTION rev/day, angles deg, BSTAR 1/earth radii,
        MEAN_MOTION_DOT rev/day^2 (already halved, as in a TLE), MEAN_MOTION_DDOT rev/day^3 (/6).
        """
        recipe = OmmFields.of(fields)
        satrec, epoch, norad, name = _omm(dict(recipe.fields), where or source or "OMM")
        return cls(name, norad, satrec, epoch, source, aliases=tuple(aliases), built_from=recipe)

    @classmethod
    def from_sgp4init(
        cls,
        name: str,
        elements: Sgp4Init,
        source: str = "designed",
        *,
        norad_id: int | None = None,
        designed: bool = True,
        aliases: Iterable[str] = (),
        profile: str | None = None,
    ) -> Satellite:
        """Build from ``sgp4init`` arguments (designed orbits: epoch at the analysis time)."""
        loc = f"{source}: {name}" if source else name
        satrec = elements.satrec(loc)
        check_satrec(satrec, loc)
        return cls(
            name, norad_id, satrec, elements.epoch, source, designed=designed,
            aliases=tuple(aliases), profile=profile, built_from=elements,
        )


def _rebuild(
    name: str,
    norad_id: int | None,
    built_from: Recipe,
    epoch: datetime,
    source: str,
    designed: bool,
    aliases: tuple[str, ...],
    profile: str | None,
) -> Satellite:
    """Unpickle: run the recipe again for a fresh ``Satrec``."""
    return Satellite(
        name, norad_id, built_from.satrec(source or name), epoch, source, designed, aliases,
        profile, built_from,
    )


# ---------------------------------------------------------------------------------------------
# OMM


def _omm(f: Mapping[str, Any], loc: str) -> tuple[Satrec, datetime, int | None, str]:
    """Satrec, epoch, catalogue number and name from OMM fields with upper-case keys."""

    def text(key: str, default: str | None = None) -> str | None:
        v = f.get(key)
        if v is None or (isinstance(v, str) and not v.strip()):
            return default
        return str(v).strip()

    def number(key: str, default: float | None = None) -> float:
        v = f.get(key)
        if v is None or (isinstance(v, str) and not v.strip()):
            if default is None:
                raise ElementSetError(
                    f"{loc}: OMM field {key} is missing; a mean-element OMM needs EPOCH, "
                    "MEAN_MOTION, ECCENTRICITY, INCLINATION, RA_OF_ASC_NODE, "
                    "ARG_OF_PERICENTER and MEAN_ANOMALY"
                )
            return default
        try:
            x = float(v)
        except (TypeError, ValueError):
            raise ElementSetError(f"{loc}: OMM field {key}={v!r} is not a number") from None
        if not math.isfinite(x):
            raise ElementSetError(f"{loc}: OMM field {key}={v!r} is not finite")
        return x

    theory = (text("MEAN_ELEMENT_THEORY") or "SGP4").upper()
    if theory not in ("SGP4", "SGP/SGP4"):
        raise ElementSetError(
            f"{loc}: MEAN_ELEMENT_THEORY is {theory}; passplan propagates SGP4 mean elements "
            "only (SGP4-XP elements need the XP propagator); fetch FORMAT=json GP data"
        )
    for key, want in (("REF_FRAME", "TEME"), ("TIME_SYSTEM", "UTC"), ("CENTER_NAME", "EARTH")):
        got = text(key)
        if got is not None and got.upper() != want:
            raise ElementSetError(f"{loc}: OMM {key} is {got}, expected {want} for SGP4 elements")
    epoch_text = text("EPOCH")
    if epoch_text is None:
        raise ElementSetError(f"{loc}: OMM field EPOCH is missing")
    epoch = parse_omm_epoch(epoch_text, loc)
    n_revday = number("MEAN_MOTION")
    ecc = number("ECCENTRICITY")
    inc = number("INCLINATION")
    raan = number("RA_OF_ASC_NODE")
    argp = number("ARG_OF_PERICENTER")
    ma = number("MEAN_ANOMALY")
    bstar = number("BSTAR", 0.0)
    ndot = number("MEAN_MOTION_DOT", 0.0)
    nddot = number("MEAN_MOTION_DDOT", 0.0)
    if n_revday <= 0:
        raise ElementSetError(f"{loc}: MEAN_MOTION {n_revday} rev/day must be positive")
    if not 0.0 <= ecc < 1.0:
        raise ElementSetError(f"{loc}: ECCENTRICITY {ecc} must be in [0, 1)")
    if not 0.0 <= inc <= 180.0:
        raise ElementSetError(f"{loc}: INCLINATION {inc} deg must be in [0, 180]")
    norad: int | None = None
    cat = text("NORAD_CAT_ID")
    if cat is not None:
        try:
            norad = int(float(cat)) if cat.replace(".", "", 1).isdigit() else alpha5_to_int(cat)
        except ValueError:
            raise ElementSetError(f"{loc}: NORAD_CAT_ID {cat!r} is not a catalogue number") from None
    deg = math.pi / 180.0
    satrec = Sgp4Init(
        epoch=epoch,
        ecco=ecc,
        argpo_rad=argp * deg,
        inclo_rad=inc * deg,
        mo_rad=ma * deg,
        no_kozai_rad_min=n_revday / XPDOTP,
        nodeo_rad=raan * deg,
        bstar=bstar,
        ndot=ndot / (XPDOTP * _MIN_PER_DAY),
        nddot=nddot / (XPDOTP * _MIN_PER_DAY * _MIN_PER_DAY),
        satnum=norad if norad is not None and norad <= ALPHA5_MAX else 0,
    ).satrec(loc)
    _set_optional(satrec, text)
    check_satrec(satrec, loc)
    name = text("OBJECT_NAME") or (f"NORAD {norad}" if norad is not None else text("OBJECT_ID"))
    if not name:
        raise ElementSetError(f"{loc}: OMM has neither OBJECT_NAME, NORAD_CAT_ID nor OBJECT_ID")
    return satrec, epoch, norad, name


def _set_optional(satrec: Satrec, text: Callable[[str], str | None]) -> None:
    """Copy the bookkeeping fields sgp4init does not take (for export and display)."""
    for attr, key, conv in (
        ("classification", "CLASSIFICATION_TYPE", str),
        ("ephtype", "EPHEMERIS_TYPE", lambda v: int(float(v))),
        ("elnum", "ELEMENT_SET_NO", lambda v: int(float(v))),
        ("revnum", "REV_AT_EPOCH", lambda v: int(float(v))),
    ):
        v = text(key)
        if v is not None:
            try:
                setattr(satrec, attr, conv(v))
            except (ValueError, TypeError, AttributeError):
                pass
    oid = text("OBJECT_ID")
    if oid and len(oid) >= 9 and oid[4] == "-":
        try:
            satrec.intldesg = (oid[2:4] + oid[5:])[:8]
        except (AttributeError, TypeError, ValueError):
            pass
