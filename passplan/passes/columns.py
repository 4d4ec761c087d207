"""Passes as columns: one array per field, straight from the engine's arrays.

:class:`PassColumns` holds the windows of one search block (or any selection of them) without a
Python object per pass. :meth:`PassColumns.records` makes the machine-readable records in
vectorised steps (ISO strings from the microsecond arrays, rounding in numpy), byte for byte
what :func:`passplan.passes.passes_to_records` gives for :meth:`PassColumns.passes`, the
:class:`Pass` objects, which are built only when asked for.

Times are whole microseconds since 1970-01-01 UTC (``int64``): the engine rounds its seconds
to the microsecond exactly as the datetimes of a :class:`Pass` are.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from json import encoder as json_encoder
from typing import Any

import numpy as np

from .lazy_list import LazyList
from .records import Pass, _slug, passes_to_records

__all__ = ["PassColumns", "ColumnRecords", "unix_us", "round_like_python"]

_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def unix_us(when: datetime) -> int:
    """Whole microseconds since 1970-01-01 UTC of an aware datetime (exact)."""
    return (when - _UNIX_EPOCH) // _MICROSECOND


def _datetimes(us: np.ndarray) -> list[datetime]:
    """Aware UTC datetimes of microsecond stamps."""
    return [_UNIX_EPOCH + timedelta(microseconds=u) for u in us.tolist()]


@functools.cache
def _basic_clock() -> list[str]:
    """``HHMMSSZ`` of every second of a day."""
    return [f"{h:02d}{m:02d}{s:02d}Z" for h in range(24) for m in range(60) for s in range(60)]


def _iso(us: np.ndarray) -> list[str]:
    """``iso_z`` of microsecond stamps in one numpy step: ``YYYY-MM-DDTHH:MM:SS.mmmZ``
    (milliseconds truncated, as ``datetime.isoformat`` does)."""
    return np.datetime_as_string(np.asarray(us, np.int64).astype("datetime64[us]"), unit="ms", timezone="UTC").tolist()


def _iso_basic(us: np.ndarray) -> list[str]:
    """``YYYYMMDDTHHMMSSZ`` of microsecond stamps (seconds truncated): the few distinct dates
    from numpy, the clock from a table."""
    day, sec = np.divmod(np.asarray(us, np.int64) // 1_000_000, 86400)
    days, inv = np.unique(day, return_inverse=True)
    dates = [d.replace("-", "") + "T" for d in np.datetime_as_string(days.astype("datetime64[D]")).tolist()]
    clock = _basic_clock()
    return [dates[a] + clock[b] for a, b in zip(inv.ravel().tolist(), sec.tolist(), strict=True)]


def _iso_or_same(us: np.ndarray, same_as: np.ndarray, known: list[str]) -> list[str]:
    """:func:`_iso` of ``us``, reusing ``known`` (the strings of ``same_as``) where equal."""
    differ = np.flatnonzero(us != same_as)
    if differ.size == 0:
        return known
    out = list(known)
    for j, text in zip(differ.tolist(), _iso(us[differ]), strict=True):
        out[j] = text
    return out


def round_like_python(x: np.ndarray, digits: int) -> list[float]:
    """``[round(v, digits) for v in x]`` (Python's correctly rounded ``round``), in numpy.

    ``np.round`` scales by ``10**digits`` before rounding, which can move a value lying within a
    rounding error of a half-way point to the other side; those few values (and non-finite
    ones) are rounded by Python itself, so every result equals Python's."""
    x = np.asarray(x, float)
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = x * 10.0**digits
        out = np.round(scaled) / 10.0**digits
        frac = np.abs(scaled - np.floor(scaled) - 0.5)
    doubt = np.flatnonzero(~(frac > 1e-6) | ~np.isfinite(scaled) | (np.abs(scaled) > 2.0**50))
    values = out.tolist()
    for i in doubt.tolist():
        values[i] = round(float(x[i]), digits)
    return values


def _round_ages(ages: list[float | None]) -> list[Any]:
    """``round(age, 3)`` of each age, None kept."""
    known = [a is not None for a in ages]
    if all(known):
        return list(round_like_python(np.array(ages, float), 3))
    values = iter(round_like_python(np.array([a for a in ages if a is not None], float), 3))
    return [next(values) if k else None for k in known]


@dataclass(frozen=True, eq=False)
class _SatFacts:
    """What the records take from each satellite of a search (computed once per satellite
    list, not once per block of records: a search over 10^4 satellites writes hundreds)."""

    names: list[str]
    norad_ids: list[Any]
    epochs: list[datetime | None]
    known: np.ndarray  # epoch known
    epoch_us: np.ndarray  # microseconds since 1970 (0 where unknown)
    epoch_iso: list[str | None]
    uid_part: list[str]  # catalogue number, else the slugged name


#: per satellite list (by identity, with the list kept so its id is not reused): its facts
_FACTS: dict[int, tuple[Sequence[Any], int, _SatFacts]] = {}


def _sat_facts(sats: Sequence[Any]) -> _SatFacts:
    """The :class:`_SatFacts` of ``sats`` (cached for the few lists in use)."""
    hit = _FACTS.get(id(sats))
    if hit is not None and hit[0] is sats and hit[1] == len(sats):
        return hit[2]
    epochs = [getattr(s, "epoch", None) for s in sats]
    known = [e is not None for e in epochs]
    iso_known = iter(_iso(np.array([unix_us(e) for e in epochs if e is not None], np.int64)))
    facts = _SatFacts(
        names=[s.name for s in sats],
        norad_ids=[getattr(s, "norad_id", None) for s in sats],
        epochs=epochs,
        known=np.array(known, bool),
        epoch_us=np.array([unix_us(e) if e is not None else 0 for e in epochs], np.int64),
        epoch_iso=[next(iso_known) if k else None for k in known],
        uid_part=[str(int(s.norad_id)) if getattr(s, "norad_id", None) is not None else _slug(s.name) for s in sats],
    )
    if len(_FACTS) >= 8:
        _FACTS.clear()
    _FACTS[id(sats)] = (sats, len(sats), facts)
    return facts


_LIST_FIELDS = ("cut_start_by", "cut_end_by", "excluded_by")

_JSON_STR = json_encoder.encode_basestring_ascii  # the string escaping of passplan.io's encoder
_JSON_CONST = {None: "null", True: "true", False: "false"}


def _json_token(v: Any) -> str | None:
    """One value's JSON text as the C encoder writes it (None: leave it to the encoder)."""
    if v is None or type(v) is bool:
        return _JSON_CONST[v]
    if type(v) is float:
        return float.__repr__(v) if math.isfinite(v) else None
    if type(v) is int:
        return int.__repr__(v)
    if type(v) is str:
        return _JSON_STR(v)
    return None


def _json_tokens(col: list[Any]) -> list[str] | None:
    """The JSON text of each value of one record column, as the C encoder writes it, or
    ``None`` for a value it alone should handle (a NaN or infinity, a type not listed here).
    Each path maps a C function over the column (no Python step per value)."""
    kinds = set(map(type, col))
    if kinds == {float}:
        toks = list(map(float.__repr__, col))
        return None if "n" in "".join(toks) else toks  # nan, inf: the encoder's business
    if kinds == {str}:
        return list(map(_JSON_STR, col))
    if kinds == {int}:
        return list(map(int.__repr__, col))
    numeric = kinds & {bool, int, float}
    if len(numeric) > 1 or not kinds <= {bool, int, float, str, type(None)}:
        return None  # True == 1 == 1.0 would share one token below
    tokens: dict[Any, str] = {}
    for v in set(col):  # a few distinct values: None, names, flags
        tok = _json_token(v)
        if tok is None:
            return None
        tokens[v] = tok
    return list(map(tokens.__getitem__, col))


@dataclass(frozen=True, eq=False)
class PassColumns:
    """Windows of one search block as arrays (one row per window, in the block's order).

    ``sat``/``st`` index ``sats``/``stations``; times are microseconds since 1970 UTC;
    ``cut_start_by``/``cut_end_by`` already say ``"window"`` for a cut by the analysis window.
    ``objects`` holds the :class:`Pass` objects when the columns were made from them
    (:meth:`from_passes`); records are then made from those objects."""

    sats: Sequence[Any]
    stations: Sequence[Any]
    sat: np.ndarray
    st: np.ndarray
    aos_us: np.ndarray
    tca_us: np.ndarray
    los_us: np.ndarray
    rise_us: np.ndarray
    set_us: np.ndarray
    max_el_deg: np.ndarray
    aos_az_deg: np.ndarray
    tca_az_deg: np.ndarray
    los_az_deg: np.ndarray
    min_range_km: np.ndarray
    sat_sunlit_fraction: np.ndarray
    station_dark: np.ndarray
    station_dark_fraction: np.ndarray
    partial: np.ndarray
    cut_start_by: list[str | None]
    cut_end_by: list[str | None]
    excluded_by: list[str | None]
    objects: list[Pass] | None = None

    def __len__(self) -> int:
        return int(self.sat.size)

    # ---- names of the rows' satellite and station (sorting, pairs) -------------------------
    def sort_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """Integer codes of each row's satellite name and station id that sort as the strings
        do (equal strings share a code, so a stable sort keeps their rows' order)."""

        def dense(labels: list[str], idx: np.ndarray) -> np.ndarray:
            code = {name: k for k, name in enumerate(sorted(set(labels)))}
            return np.array([code[x] for x in labels], np.int64)[idx] if labels else np.zeros(0, np.int64)

        return (
            dense([getattr(s, "name", s) for s in self.sats], self.sat),
            dense([getattr(s, "id", s) for s in self.stations], self.st),
        )

    # ---- selection -------------------------------------------------------------------------
    def take(self, idx: np.ndarray) -> PassColumns:
        """The rows ``idx`` (in that order)."""
        idx = np.asarray(idx, int)
        rows = idx.tolist()
        values: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name in ("sats", "stations"):
                values[f.name] = v
            elif f.name in _LIST_FIELDS or f.name == "objects":
                values[f.name] = None if v is None else [v[i] for i in rows]
            else:
                values[f.name] = v[idx]
        return PassColumns(**values)

    def rows(self, start: int, stop: int) -> PassColumns:
        """The rows ``start:stop`` (numpy views: no copy)."""
        values: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            values[f.name] = v if f.name in ("sats", "stations") or v is None else v[start:stop]
        return PassColumns(**values)

    @staticmethod
    def concat(parts: Sequence[PassColumns]) -> PassColumns:
        """The rows of ``parts`` one after the other; parts must share ``sats`` and
        ``stations`` (one search), or all hold ``objects``."""
        if len(parts) == 1:
            return parts[0]
        first = parts[0]
        values: dict[str, Any] = {}
        with_objects = all(p.objects is not None for p in parts)
        if with_objects:  # indices are per part: re-index through concatenated lists
            sat_off = np.cumsum([0] + [len(p.sats) for p in parts[:-1]])
            st_off = np.cumsum([0] + [len(p.stations) for p in parts[:-1]])
            values["sats"] = [s for p in parts for s in p.sats]
            values["stations"] = [s for p in parts for s in p.stations]
            values["sat"] = np.concatenate([p.sat + o for p, o in zip(parts, sat_off, strict=True)])
            values["st"] = np.concatenate([p.st + o for p, o in zip(parts, st_off, strict=True)])
        for f in fields(first):
            if f.name in values:
                continue
            if f.name in ("sats", "stations"):
                values[f.name] = getattr(first, f.name)
            elif f.name == "objects":
                values[f.name] = [o for p in parts for o in p.objects] if with_objects else None  # type: ignore[union-attr]
            elif f.name in _LIST_FIELDS:
                values[f.name] = [x for p in parts for x in getattr(p, f.name)]
            else:
                values[f.name] = np.concatenate([getattr(p, f.name) for p in parts])
        return PassColumns(**values)

    @staticmethod
    def from_passes(passes: Sequence[Pass]) -> PassColumns:
        """Columns of existing :class:`Pass` objects (kept in ``objects``)."""
        ps = list(passes)

        def col(name: str, dtype: Any = float) -> np.ndarray:
            return np.array([getattr(p, name) for p in ps], dtype=dtype)

        def stamps(name: str) -> np.ndarray:
            return np.array([unix_us(getattr(p, name)) for p in ps], np.int64)

        sats = [p.sat_ref if p.sat_ref is not None else p.satellite for p in ps]
        return PassColumns(
            sats=sats, stations=[p.station for p in ps], sat=np.arange(len(ps)), st=np.arange(len(ps)),
            aos_us=stamps("aos"), tca_us=stamps("tca"), los_us=stamps("los"), rise_us=stamps("rise"),
            set_us=stamps("set"), max_el_deg=col("max_el_deg"), aos_az_deg=col("aos_az_deg"),
            tca_az_deg=col("tca_az_deg"), los_az_deg=col("los_az_deg"), min_range_km=col("min_range_km"),
            sat_sunlit_fraction=col("sat_sunlit_fraction"), station_dark=col("station_dark", bool),
            station_dark_fraction=col("station_dark_fraction"), partial=col("partial", bool),
            cut_start_by=[p.cut_start_by for p in ps], cut_end_by=[p.cut_end_by for p in ps],
            excluded_by=[p.excluded_by for p in ps], objects=ps,
        )

    # ---- per-satellite facts ---------------------------------------------------------------
    def _epochs(self) -> list[datetime | None]:
        return _sat_facts(self.sats).epochs

    def _ages(self) -> list[float | None]:
        """Elements age (days) at AOS of each row, from whole microseconds, as
        ``(aos - epoch).total_seconds() / 86400`` gives it."""
        facts = _sat_facts(self.sats)
        known, e_us = facts.known, facts.epoch_us
        if not known.any():
            return [None] * len(self)
        age = ((self.aos_us - e_us[self.sat]) / 1e6 / 86400.0).tolist()
        if known.all():
            return age
        return [a if k else None for a, k in zip(age, known[self.sat].tolist(), strict=True)]

    # ---- outputs ---------------------------------------------------------------------------
    def passes(self) -> list[Pass]:
        """The :class:`Pass` object of each row."""
        if self.objects is not None:
            return list(self.objects)
        n = len(self)
        if n == 0:
            return []
        same_rise = self.rise_us == self.aos_us
        same_set = self.set_us == self.los_us
        aos, tca, los = (_datetimes(getattr(self, k)) for k in ("aos_us", "tca_us", "los_us"))
        rise = list(aos)
        for j, d in zip(np.flatnonzero(~same_rise).tolist(), _datetimes(self.rise_us[~same_rise]), strict=True):
            rise[j] = d
        set_ = list(los)
        for j, d in zip(np.flatnonzero(~same_set).tolist(), _datetimes(self.set_us[~same_set]), strict=True):
            set_[j] = d
        facts = _sat_facts(self.sats)
        names, norads, epochs = facts.names, facts.norad_ids, facts.epochs
        sat_i, st_i = self.sat.tolist(), self.st.tolist()
        columns = zip(
            sat_i, st_i, aos, tca, los, self.max_el_deg.tolist(), self.aos_az_deg.tolist(), self.tca_az_deg.tolist(),
            self.los_az_deg.tolist(), self.min_range_km.tolist(), self.sat_sunlit_fraction.tolist(),
            self.station_dark.tolist(), self.station_dark_fraction.tolist(), self.partial.tolist(), rise, set_,
            self._ages(), self.cut_start_by, self.cut_end_by, self.excluded_by, strict=True,
        )
        sats, stations = self.sats, self.stations
        st_ids = [s.id for s in stations]
        # positional, in the dataclass's field order (checked against fields(Pass) below): a
        # quarter faster than keywords for the 10^4 to 10^5 passes of a search
        return [
            Pass(
                names[si], norads[si], st_ids[ti], a, tc, lo, mx, a0, at, a1, mr, lf, dk, pa, rs, se,
                epochs[si], age, cs, ce, ex, sats[si], stations[ti], df,
            )
            for si, ti, a, tc, lo, mx, a0, at, a1, mr, lf, dk, df, pa, rs, se, age, cs, ce, ex in columns
        ]

    def records(self) -> list[dict[str, Any]]:
        """The machine-readable records of the rows: exactly ``passes_to_records(self.passes())``
        (same keys, order, rounding and strings), made from the arrays."""
        if self.objects is not None:
            return passes_to_records(self.objects)
        if len(self) == 0:
            return []
        keys, columns = self._record_columns()
        return [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]

    def json_lines(self) -> list[str] | None:
        """Each record as the compact JSON text :func:`passplan.io.to_ndjson` writes for it
        (``", "`` and ``": "`` separators, ``float.__repr__`` numbers, ASCII-escaped strings),
        composed column by column without building the records; ``None`` when a value needs
        the encoder's own handling (a NaN, an unexpected type): write the records then."""
        if self.objects is not None:
            return None
        if len(self) == 0:
            return []
        keys, columns = self._record_columns()
        tokens = []
        for col in columns:
            tok = _json_tokens(col)
            if tok is None:
                return None
            tokens.append(tok)
        template = "{" + ", ".join(f"{_JSON_STR(k)}: %s" for k in keys) + "}"
        return list(map(template.__mod__, zip(*tokens, strict=True)))

    def record_columns(self) -> dict[str, list[Any]] | None:
        """The records' values by key (one list per key, in :func:`passes_to_records`' key
        order), without building the records; ``None`` for columns made from objects."""
        if self.objects is not None:
            return None
        if len(self) == 0:
            return {}
        keys, columns = self._record_columns()
        return dict(zip(keys, columns, strict=True))

    def _record_columns(self) -> tuple[tuple[str, ...], list[list[Any]]]:
        """The record keys (in :func:`passes_to_records`' order) and one list of values per key."""
        aos, tca, los = (_iso(getattr(self, k)) for k in ("aos_us", "tca_us", "los_us"))
        rise = _iso_or_same(self.rise_us, self.aos_us, aos)  # rise and set are mostly AOS and LOS
        set_ = _iso_or_same(self.set_us, self.los_us, los)
        aos_basic = _iso_basic(self.aos_us)
        facts = _sat_facts(self.sats)
        epoch_iso, sat_part = facts.epoch_iso, facts.uid_part
        st_ids = [s.id for s in self.stations]
        st_slug = [_slug(i) for i in st_ids]
        sat_i, st_i = self.sat.tolist(), self.st.tolist()

        def per_sat(values: Sequence[Any]) -> list[Any]:
            return [values[i] for i in sat_i]

        uid = [f"{sat_part[si]}-{st_slug[ti]}-{ab}" for si, ti, ab in zip(sat_i, st_i, aos_basic, strict=True)]
        columns = {
            "uid": uid,
            "satellite": per_sat(facts.names),
            "norad_id": per_sat(facts.norad_ids),
            "station": [st_ids[i] for i in st_i],
            "aos_utc": aos,
            "tca_utc": tca,
            "los_utc": los,
            "duration_s": round_like_python((self.los_us - self.aos_us) / 1e6, 3),
            "max_el_deg": round_like_python(self.max_el_deg, 3),
            "aos_az_deg": round_like_python(self.aos_az_deg, 2),
            "tca_az_deg": round_like_python(self.tca_az_deg, 2),
            "los_az_deg": round_like_python(self.los_az_deg, 2),
            "min_range_km": round_like_python(self.min_range_km, 3),
            "sat_sunlit_fraction": round_like_python(self.sat_sunlit_fraction, 4),
            "station_dark": self.station_dark.tolist(),
            "partial": self.partial.tolist(),
            "rise_utc": rise,
            "set_utc": set_,
            "cut_start_by": list(self.cut_start_by),
            "cut_end_by": list(self.cut_end_by),
            "excluded_by": list(self.excluded_by),
            "elements_epoch_utc": per_sat(epoch_iso),
            "elements_age_days": _round_ages(self._ages()),
            "station_dark_fraction": round_like_python(self.station_dark_fraction, 4),
        }
        return tuple(columns), list(columns.values())


class ColumnRecords(LazyList[dict[str, Any]]):
    """The records of some columns, built on first access; writers that know :meth:`json_lines`
    or :meth:`record_columns` (:class:`passplan.io.RecordWriter`) take the JSON text or the CSV
    values straight from the columns and never build the records."""

    def __init__(self, cols: PassColumns) -> None:
        super().__init__(len(cols), cols.records)
        self.cols = cols

    def json_lines(self) -> list[str] | None:
        """See :meth:`PassColumns.json_lines`."""
        return self.cols.json_lines()

    def record_columns(self) -> dict[str, list[Any]] | None:
        """See :meth:`PassColumns.record_columns` (what CSV writers take instead of records)."""
        return self.cols.record_columns()


# PassColumns.passes() builds Pass positionally: the field order it assumes
assert [f.name for f in fields(Pass)] == [
    "satellite", "norad_id", "station", "aos", "tca", "los", "max_el_deg", "aos_az_deg", "tca_az_deg",
    "los_az_deg", "min_range_km", "sat_sunlit_fraction", "station_dark", "partial", "rise", "set",
    "elements_epoch", "elements_age_days", "cut_start_by", "cut_end_by", "excluded_by", "sat_ref",
    "station_ref", "station_dark_fraction",
], "Pass fields changed: update PassColumns.passes()"
