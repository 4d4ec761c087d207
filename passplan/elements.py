"""Element sets: load and verify them, pick the nearest epoch, judge their age, resolve names.

The one record is :class:`~passplan.satellite.Satellite` (defined in :mod:`passplan.satellite`,
re-exported here): a name, a catalogue number, an ``sgp4.api.Satrec`` ready for propagation (alone
or in a ``SatrecArray``), its epoch, where it came from and the elements that rebuild it.

* Files: TLE/2LE/3LE, CelesTrak OMM JSON and CSV, CCSDS OMM XML and KVN (:mod:`passplan.tle_formats`),
  and designed constellations in TOML (:mod:`passplan.designed`). :func:`load_file` detects which.
* TLE checksums are verified and OMM records initialised with ``Satrec.sgp4init`` (WGS-72) in
  :mod:`passplan.satellite`.
* Age: measured from the analysis time, not from now. Past :data:`WARN_AGE_DAYS` a warning; past
  :data:`MAX_AGE_DAYS` an error unless ``allow_stale`` (TLE accuracy degrades by roughly 1-3 km per
  day for LEO; Vallado and Crawford, "SGP4 orbit determination", AIAA 2008-6770).
* Names: bundled groups (``micius``, ``jinan-1``, ``iss``, ``gps``, ``galileo``, ``beidou``, ``geo``,
  ``gnss``, ``demo``), satellite names and aliases, catalogue numbers, files fetched with
  ``passplan elements update`` (in :func:`user_data_dir`), paths and constellation TOML files.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import (
    ElementSetError,
    InputError,
    StaleElementsError,
    StaleElementsWarning,
    UnknownNameError,
    emit_warnings,
)
from .satellite import XPDOTP, Satellite
from .times import iso_z, require_aware
from .tle_formats import OmmRecord, TleRecord, decode_element_bytes, detect_format, parse_text

__all__ = [
    "Satellite",
    "Selection",
    "WARN_AGE_DAYS",
    "MAX_AGE_DAYS",
    "ELEMENT_SUFFIXES",
    "load_file",
    "load_text",
    "nearest_epoch",
    "check_freshness",
    "resolve_satellites",
    "default_fleet",
    "element_sets",
    "all_element_sets",
    "bundled_names",
    "bundled_satellites",
    "user_satellites",
    "user_data_dir",
    "bundled_tle_dir",
    "demo_fleet_path",
    "orbit_summary",
    "element_set_record",
    "element_set_details",
    "orbit_class",
    "staleness_advice",
]

WARN_AGE_DAYS = 3.0
MAX_AGE_DAYS = 30.0
ELEMENT_SUFFIXES = (".tle", ".txt", ".2le", ".3le", ".json", ".csv", ".xml", ".kvn")


@dataclass
class Selection:
    """Satellites chosen for an analysis, with the warnings to show and what was left out."""

    satellites: list[Satellite]
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Files


def _records_to_satellites(
    records: Sequence[TleRecord] | Sequence[OmmRecord], source: str
) -> list[Satellite]:
    out: list[Satellite] = []
    for rec in records:
        if isinstance(rec, TleRecord):
            out.append(
                Satellite.from_tle(
                    rec.line1, rec.line2, rec.name, source, where=f"{source}:{rec.lineno}"
                )
            )
        else:
            out.append(Satellite.from_omm(rec.fields, source, where=f"{source}: {rec.where}"))
    return out


def load_text(text: str, source: str = "<text>", fmt: str | None = None) -> list[Satellite]:
    """Every element set in ``text`` (TLE/2LE/3LE or OMM JSON/CSV/XML/KVN; detected if ``fmt`` is
    None). Constellation TOML needs :func:`passplan.designed.load_constellation`."""
    fmt = fmt or detect_format(text)
    if fmt == "toml":
        raise InputError(f"{source}: a constellation TOML needs an analysis time; use load_file(path, at)")
    return _records_to_satellites(parse_text(text, fmt, source), source)


def load_file(
    path: str | os.PathLike[str], at: datetime | None = None, warnings: list[str] | None = None
) -> list[Satellite]:
    """Every record in an element file, format detected from the content (and the suffix).

    TLE/2LE/3LE, OMM JSON, OMM CSV, CCSDS OMM XML or KVN; a constellation ``.toml`` file is turned
    into designed satellites with their epoch at ``at`` (required then). Errors name the file and
    the line (TLE, CSV) or record (JSON, XML). Notes about a legal but odd file (a TLE name line
    that is not UTF-8) are appended to ``warnings``.
    """
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p} is a folder; give an element-set file (TLE, OMM JSON/CSV/XML or TOML)")
    if not p.exists():
        raise InputError(f"element file {p} does not exist; check the path")
    if p.suffix.lower() == ".toml":
        if at is None:
            raise InputError(f"{p}: a constellation file needs the analysis time (at=...)")
        from .designed import load_constellation  # numpy only when designing orbits

        return load_constellation(p, at)
    st = p.stat()
    sats, notes = _load_cached(str(p), st.st_mtime_ns, st.st_size)
    if warnings is not None:
        warnings.extend(n for n in notes if n not in warnings)
    return list(sats)


@functools.lru_cache(maxsize=128)
def _load_cached(path: str, _mtime_ns: int, _size: int) -> tuple[tuple[Satellite, ...], tuple[str, ...]]:
    text, notes = decode_element_bytes(Path(path).read_bytes(), path)
    fmt = detect_format(text, path)
    if fmt == "toml":
        raise InputError(f"{path}: looks like TOML; name constellation files *.toml")
    return tuple(_records_to_satellites(parse_text(text, fmt, path), path)), tuple(notes)


# ---------------------------------------------------------------------------------------------
# Epoch and age


def nearest_epoch(sats: Sequence[Satellite], at: datetime) -> list[Satellite]:
    """One element set per satellite (grouped by catalogue number, else by name): the one whose
    epoch is nearest ``at``. Ties go to the set before ``at``. Order of first appearance is kept."""
    at = require_aware(at, "analysis time")
    best: dict[tuple[str, str], Satellite] = {}
    for sat in sats:
        k = sat.key
        cur = best.get(k)
        if cur is None:
            best[k] = sat
            continue
        a_new, a_cur = abs(sat.age_days(at)), abs(cur.age_days(at))
        if a_new < a_cur or (a_new == a_cur and sat.age_days(at) > cur.age_days(at)):
            best[k] = sat
    return list(best.values())


def _label(sat: Satellite) -> str:
    return f"{sat.name} ({sat.norad_id})" if sat.norad_id is not None else sat.name


def _age_phrase(sat: Satellite, at: datetime) -> str:
    age = sat.age_days(at)
    when = "old" if age >= 0 else "in the future"
    return f"{abs(age):.1f} days {when} at {iso_z(at)} (epoch {iso_z(sat.epoch)})"


#: Mean motions (rev/day) that bound the orbit classes of :func:`staleness_advice`: LEO has a
#: period under 128 min (altitude below about 2,000 km); a geosynchronous orbit makes one
#: revolution a sidereal day (1.0027 rev/day).
LEO_MIN_REV_PER_DAY = 11.25
GEOSYNC_REV_PER_DAY = (0.9, 1.1)


def orbit_class(sat: Satellite) -> str:
    """``LEO``, ``MEO``, ``GEO`` (geosynchronous, near circular) or ``HEO`` (eccentric, above LEO),
    from the mean motion and eccentricity."""
    n = sat.satrec.no_kozai * XPDOTP
    if n >= LEO_MIN_REV_PER_DAY:
        return "LEO"
    if sat.satrec.ecco > 0.25:
        return "HEO"
    if GEOSYNC_REV_PER_DAY[0] <= n <= GEOSYNC_REV_PER_DAY[1]:
        return "GEO"
    return "MEO"


def staleness_advice(sat: Satellite, stale: bool = False) -> str:
    """What old elements mean for this satellite's orbit (by mean motion), for the age warnings.

    LEO: drag makes along-track errors grow by roughly 1-3 km a day (Vallado and Crawford, "SGP4
    orbit determination", AIAA 2008-6770). Higher orbits feel little drag, so the prediction
    error grows slowly, but manoeuvres (station keeping, relocation) made after the epoch are
    not in the elements at all."""
    kind = orbit_class(sat)
    if kind == "LEO":
        if stale:
            return "for a LEO orbit expect errors of tens to hundreds of km (drag)"
        return "LEO predictions degrade by about 1-3 km per day (drag); refresh before pointing"
    what = {"GEO": "a geosynchronous", "MEO": "a MEO", "HEO": "an eccentric (HEO)"}[kind]
    return (
        f"for {what} orbit drag is small and the error grows slowly, but any manoeuvre (station "
        "keeping, relocation) since the epoch is missing: check for newer elements"
        + (" before trusting the pointing" if stale else "")
    )


def check_freshness(sats: Sequence[Satellite], at: datetime, allow_stale: bool = False) -> list[str]:
    """Warnings for element sets older than 3 days at ``at``; :class:`StaleElementsError` for any
    older than 30 days (either side of ``at``) unless ``allow_stale``.

    Age is measured from the analysis time, so an old set replaying its own epoch is fresh.
    """
    at = require_aware(at, "analysis time")
    warnings: list[str] = []
    stale: list[Satellite] = []
    for sat in sats:
        if sat.designed:
            continue
        age = abs(sat.age_days(at))
        if age > MAX_AGE_DAYS:
            stale.append(sat)
            if allow_stale:
                warnings.append(
                    f"{_label(sat)}: elements are {_age_phrase(sat, at)}; used anyway "
                    f"(allow_stale): {staleness_advice(sat, stale=True)}"
                )
        elif age > WARN_AGE_DAYS:
            warnings.append(f"{_label(sat)}: elements are {_age_phrase(sat, at)}; {staleness_advice(sat)}")
    if stale and not allow_stale:
        first = stale[0]
        more = f" (and {len(stale) - 1} more)" if len(stale) > 1 else ""
        raise StaleElementsError(
            f"elements for {_label(first)}{more} are {_age_phrase(first, at)}, beyond the "
            f"{MAX_AGE_DAYS:.0f}-day limit; give allow_stale=True to use them anyway, or "
            "`passplan elements update` to fetch current ones"
        )
    emit_warnings(warnings, StaleElementsWarning)  # a library user sees them too (the CLI prints them itself)
    return warnings


# ---------------------------------------------------------------------------------------------
# Bundled and user data

# Bundled groups: name -> files in data/tle (installed as package passplan.tle_data).
_GROUPS: dict[str, tuple[str, ...]] = {
    "micius": ("micius_41731.tle",),
    "jinan-1": ("jinan1_53300.tle",),
    "iss": ("iss_2026-03.tle",),
    "gps": ("gps_2026-03.tle",),
    "galileo": ("galileo_2026-03.tle",),
    "beidou": ("beidou_2026-03.tle",),
    "geo": ("geo_2026-05.tle",),
    "qkd-pair": ("qkd_pair_micius_jinan1_2023-11.omm.json",),
}
# Groups made of other groups.
_META_GROUPS: dict[str, tuple[str, ...]] = {
    "gnss": ("gps", "galileo", "beidou"),
    "qkd": ("micius", "jinan-1"),
}
# Display names and short names of well-known satellites (CelesTrak names; Jinan-1 is listed as
# "2022-087B" in its early element sets).
_KNOWN: dict[int, tuple[str, tuple[str, ...]]] = {
    41731: ("QSS (MOZI)", ("micius", "quess", "mozi")),
    53300: ("LZWN (JINAN 1)", ("jinan-1", "jinan1")),
    25544: ("ISS (ZARYA)", ("iss",)),
}


def bundled_tle_dir() -> Path:
    """Folder of the bundled element sets (package ``passplan.tle_data``, i.e. ``data/tle``)."""
    try:
        root = resources.files("passplan.tle_data")
        path = Path(str(root))
        if (path / _GROUPS["micius"][0]).is_file():
            return path
    except (ModuleNotFoundError, TypeError):
        pass
    path = Path(__file__).resolve().parents[1] / "data" / "tle"  # a source checkout
    if not path.is_dir():
        raise ElementSetError(
            "the bundled element sets (package passplan.tle_data) are missing; reinstall passplan"
        )
    return path


def demo_fleet_path() -> Path:
    """The bundled demo constellation (``passplan/data/fleet/demo.toml``)."""
    return Path(str(resources.files("passplan") / "data" / "fleet" / "demo.toml"))


def user_data_dir() -> Path:
    """Where ``passplan elements update`` stores element sets: ``$PASSPLAN_DATA_DIR`` if set, else
    ``$XDG_DATA_HOME/passplan/tle`` (default ``~/.local/share/passplan/tle``)."""
    env = os.environ.get("PASSPLAN_DATA_DIR")
    where = Path(env).expanduser() if env else None
    if where is None:
        xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        where = Path(xdg) / "passplan" / "tle"
    if where.exists() and not where.is_dir():  # never silently ignored
        if env:
            raise InputError(f"PASSPLAN_DATA_DIR={env} names a file, not a folder; point it at a folder (created if new) or unset it")
        raise InputError(f"{where}, passplan's data folder (from XDG_DATA_HOME or ~/.local/share), is a file; move it away")
    return where


def _canonical(sat: Satellite) -> Satellite:
    known = _KNOWN.get(sat.norad_id) if sat.norad_id is not None else None
    if known is None:
        return sat
    name, aliases = known
    if sat.name == name and sat.aliases == aliases:
        return sat
    return replace(sat, name=name, aliases=aliases)


@functools.cache
def _bundled_group(group: str) -> tuple[Satellite, ...]:
    root = bundled_tle_dir()
    out: list[Satellite] = []
    for fname in _GROUPS[group]:
        path = root / fname
        text = path.read_text(encoding="utf-8")
        sats = load_text(text, f"bundled:{group}")
        out.extend(_canonical(s) for s in sats)
    return tuple(out)


def bundled_satellites(group: str | None = None) -> list[Satellite]:
    """Every bundled element set (all epochs), or those of one group."""
    if group is not None:
        if group in _META_GROUPS:
            return [s for g in _META_GROUPS[group] for s in _bundled_group(g)]
        if group not in _GROUPS:
            raise UnknownNameError("bundled group", group, list(_GROUPS) + list(_META_GROUPS))
        return list(_bundled_group(group))
    return [s for g in _GROUPS for s in _bundled_group(g)]


def _user_files() -> list[Path]:
    d = user_data_dir()
    if not d.is_dir():
        return []
    files = [p for p in d.iterdir() if p.is_file() and p.suffix.lower() in ELEMENT_SUFFIXES]
    return sorted(files, key=lambda p: p.name)


def user_satellites(warnings: list[str] | None = None) -> list[tuple[Path, list[Satellite]]]:
    """Element sets fetched with ``passplan elements update``: ``[(file, satellites)]``.

    A broken file is skipped with a message appended to ``warnings`` (so one bad download does not
    stop every analysis).
    """
    out = []
    for p in _user_files():
        try:
            sats = [_canonical(s) for s in load_file(p, warnings=warnings)]
        except (ElementSetError, InputError, OSError) as err:
            if warnings is not None:
                warnings.append(f"skipping user element file {p}: {err}")
            continue
        out.append((p, sats))
    return out


def _demo(at: datetime) -> list[Satellite]:
    from .designed import load_constellation  # numpy only when designing orbits

    return load_constellation(demo_fleet_path(), at, source="bundled:demo")


def bundled_names() -> list[str]:
    """Names :func:`resolve_satellites` accepts for bundled data: groups, aliases, ``demo``."""
    names = set(_GROUPS) | set(_META_GROUPS) | {"demo"}
    for _name, aliases in _KNOWN.values():
        names.update(aliases)
    return sorted(names)


# ---------------------------------------------------------------------------------------------
# Resolving names


class _Catalogue:
    """Everything nameable at one analysis time: bundled, user-fetched and demo satellites."""

    def __init__(self, at: datetime, warnings: list[str]) -> None:
        self.at = at
        self.pool: list[Satellite] = []  # every element set that a name can expand to
        self.names: dict[str, set[tuple[str, str]]] = {}  # lower-case name -> satellite keys
        for group in _GROUPS:
            sats = list(_bundled_group(group))
            self.pool += sats
            self._add(group, sats)
        for meta, groups in _META_GROUPS.items():
            self._add(meta, [s for g in groups for s in _bundled_group(g)])
        for path, sats in user_satellites(warnings):
            self.pool += sats
            self._add(path.stem.lower(), sats)
            self._add(path.name.lower(), sats)
        self._demo: list[Satellite] | None = None
        for sat in self.pool:
            self._add_sat(sat)

    def _add(self, name: str, sats: Iterable[Satellite]) -> None:
        self.names.setdefault(name.lower(), set()).update(s.key for s in sats)

    def _add_sat(self, sat: Satellite) -> None:
        self._add(sat.name, [sat])
        for alias in sat.aliases:
            self._add(alias, [sat])
        if sat.norad_id is not None:
            self._add(str(sat.norad_id), [sat])

    def demo(self) -> list[Satellite]:
        if self._demo is None:
            self._demo = _demo(self.at)
            self.pool += self._demo
            self._add("demo", self._demo)
            for sat in self._demo:
                self._add_sat(sat)
        return self._demo

    def lookup(self, spec: str) -> list[Satellite]:
        key = spec.strip().lower()
        if key not in self.names:
            self.demo()
        if key not in self.names:
            raise UnknownNameError("satellite", spec, self.choices())
        keys = self.names[key]
        return [s for s in self.pool if s.key in keys]

    def choices(self) -> list[str]:
        self.demo()
        return [n for n in self.names if not n.isdigit()]


def _bundled_first(spec: str, cat: _Catalogue) -> list[Satellite] | None:
    """The satellites a bare name (no folder, no file suffix) names in the catalogue, else None:
    a file or folder named ``demo`` or ``iss`` in the working directory does not shadow the
    bundled names (``./demo`` is the explicit path)."""
    if _looks_like_path(spec):
        return None
    try:
        return cat.lookup(spec)
    except UnknownNameError:
        return None


def _looks_like_path(spec: str) -> bool:
    return (
        os.sep in spec
        or "/" in spec
        or Path(spec).suffix.lower() in ELEMENT_SUFFIXES + (".toml",)
    )


def resolve_satellites(
    specs: Sequence[str], at: datetime, allow_stale: bool = False
) -> Selection:
    """Turn ``--sats`` values into satellites with the element set nearest ``at``.

    A spec is a bundled name (``micius``, ``jinan-1``, ``iss``, ``gps``, ``galileo``, ``beidou``,
    ``geo``, ``gnss``, ``demo`` or a demo satellite), a satellite name or catalogue number known from
    bundled or fetched data, a fetched file's name, a path to an element file or a constellation
    TOML; comma-separated lists are split. Element sets fetched with ``passplan elements update``
    join the bundled ones, so the freshest set for ``at`` wins. Raises
    :class:`~passplan.errors.UnknownNameError` (with the nearest names) or
    :class:`~passplan.errors.StaleElementsError`.
    """
    at = require_aware(at, "analysis time")
    warnings: list[str] = []
    cat: _Catalogue | None = None
    chosen: list[Satellite] = []
    for raw in specs:
        parts = [raw] if Path(raw).exists() else [p for p in str(raw).split(",") if p.strip()]
        for spec in parts:
            spec = spec.strip()
            p = Path(spec).expanduser()
            if p.exists():
                if cat is None:
                    cat = _Catalogue(at, warnings)
                named = _bundled_first(spec, cat)
                if named is not None:
                    chosen += nearest_epoch(named, at)
                    continue
            if p.is_file():
                chosen += nearest_epoch(load_file(p, at, warnings), at)
                continue
            if p.is_dir():
                raise _folder_error(p)
            if cat is None:
                cat = _Catalogue(at, warnings)
            try:
                chosen += nearest_epoch(cat.lookup(spec), at)
            except UnknownNameError:
                if _looks_like_path(spec):
                    raise InputError(
                        f"element file {spec} does not exist; check the path, or give a bundled "
                        f"name such as {', '.join(bundled_names()[:6])}"
                    ) from None
                raise
    seen: set[tuple[str, str]] = set()
    unique = []
    for sat in chosen:
        if sat.key not in seen:
            seen.add(sat.key)
            unique.append(sat)
    warnings += check_freshness(unique, at, allow_stale)
    return Selection(unique, warnings, [])


def _folder_error(p: Path) -> InputError:
    """The error for a folder given where an element file or a satellite name is expected."""
    inside = sorted(f.name for f in p.iterdir() if f.suffix.lower() in ELEMENT_SUFFIXES + (".toml",))[:4]
    hint = f" (it holds {', '.join(inside)}: name one)" if inside else ""
    return InputError(
        f"{p} is a folder, not an element file{hint}; give a TLE or OMM (JSON, CSV, XML) file, a "
        "constellation TOML or a bundled name"
    )


def element_sets(spec: str, at: datetime, warnings: list[str] | None = None) -> list[Satellite]:
    """Every element set (all epochs, bundled and fetched) that ``spec`` names, for listing.

    ``spec`` is anything :func:`resolve_satellites` accepts; no epoch selection, no age check.
    Notes about odd but legal files are appended to ``warnings``.
    """
    at = require_aware(at, "analysis time")
    warnings = [] if warnings is None else warnings
    p = Path(spec).expanduser()
    if p.exists():
        named = _bundled_first(spec, _Catalogue(at, warnings))
        if named is not None:
            return named
    if p.is_file():
        return load_file(p, at, warnings)
    if p.is_dir():
        raise _folder_error(p)
    try:
        return _Catalogue(at, warnings).lookup(spec)
    except UnknownNameError:
        if _looks_like_path(spec):
            raise InputError(f"element file {spec} does not exist; check the path") from None
        raise


def all_element_sets(at: datetime, warnings: list[str] | None = None) -> list[Satellite]:
    """Every bundled and fetched element set plus the demo fleet (epoch ``at``), for listing."""
    at = require_aware(at, "analysis time")
    out = bundled_satellites()
    for _path, sats in user_satellites(warnings):
        out += sats
    return out + _demo(at)


def default_fleet(at: datetime) -> Selection:
    """Every bundled satellite whose nearest element set is within 30 days of ``at`` (refreshed by
    fetched sets of the same satellites), plus the demo fleet. ``skipped`` names the stale ones
    with their age; ``warnings`` those between 3 and 30 days."""
    at = require_aware(at, "analysis time")
    warnings: list[str] = []
    pool = bundled_satellites()
    known = {s.key for s in pool}
    for _path, sats in user_satellites(warnings):
        pool += [s for s in sats if s.key in known]
    fresh, skipped = [], []
    for sat in nearest_epoch(pool, at):
        if abs(sat.age_days(at)) > MAX_AGE_DAYS:
            skipped.append(f"{_label(sat)}: elements {_age_phrase(sat, at)}")
        else:
            fresh.append(sat)
    warnings += check_freshness(fresh, at)
    return Selection(fresh + _demo(at), warnings, skipped)


# ---------------------------------------------------------------------------------------------
# Derived quantities


def orbit_summary(sat: Satellite) -> dict[str, float]:
    """Mean orbit of an element set from SGP4's initialisation (WGS-72 radius 6378.135 km):
    period (Keplerian, from SGP4's mean semi-major axis), nodal period (ascending node to
    ascending node, with SGP4's secular J2 rates), semi-major axis, perigee/apogee/mean altitude, inclination, eccentricity, RAAN,
    argument of perigee, mean anomaly, mean motion and B*."""
    s = sat.satrec
    r_km = s.radiusearthkm
    deg = 180.0 / math.pi
    # ``Satrec.no`` is the Kozai mean motion; SGP4's Brouwer mean motion is xke / a^1.5.
    period_min = 2.0 * math.pi / (s.xke * s.a**-1.5)
    return {
        "period_min": period_min,
        "nodal_period_min": 2.0 * math.pi / (s.mdot + s.argpdot),
        "semi_major_axis_km": s.a * r_km,
        "mean_altitude_km": (s.a - 1.0) * r_km,
        "perigee_altitude_km": s.altp * r_km,
        "apogee_altitude_km": s.alta * r_km,
        "inclination_deg": s.inclo * deg,
        "eccentricity": s.ecco,
        "raan_deg": s.nodeo * deg,
        "arg_perigee_deg": s.argpo * deg,
        "mean_anomaly_deg": s.mo * deg,
        "mean_motion_rev_per_day": s.no_kozai * XPDOTP,
        "bstar": s.bstar,
    }


def element_set_record(sat: Satellite, at: datetime) -> dict[str, Any]:
    """One element set as ``passplan elements list`` writes it: name, catalogue number, epoch,
    age at ``at`` (days), source, whether it is designed, its aliases."""
    from .times import iso_z

    return {
        "name": sat.name,
        "norad_id": sat.norad_id,
        "epoch_utc": iso_z(sat.epoch),
        "age_days": round(sat.age_days(at), 3),
        "source": sat.source,
        "designed": sat.designed,
        "aliases": list(sat.aliases),
    }


def element_set_details(sat: Satellite, at: datetime, epochs: Sequence[Satellite] = ()) -> dict[str, Any]:
    """:func:`element_set_record` with the orbit (:func:`orbit_summary`), the epochs of the
    other element sets of the same satellite among ``epochs`` and its TLE lines (None for a
    designed satellite or one the TLE format cannot hold): ``passplan elements show``."""
    from .times import iso_z

    rec = element_set_record(sat, at)
    rec.update(orbit_summary(sat))
    others = {iso_z(s.epoch) for s in epochs if s.key == sat.key} - {iso_z(sat.epoch)}
    rec["other_epochs_utc"] = sorted(others)
    try:
        from sgp4.exporter import export_tle

        line1, line2 = export_tle(sat.satrec)
        rec["tle"] = [line1, line2] if not sat.designed else None
    except (ValueError, TypeError, AttributeError):
        rec["tle"] = None
    return rec
