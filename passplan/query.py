"""The pass query: which passes, in which order, with their key forecasts attached.

One library call behind ``passplan passes``, ``tonight`` and ``next``, for scripts as for the CLI:

- :func:`search_passes` returns a :class:`PassQuery`: the engine's search, streamed block by
  block in :func:`~passplan.passes.find_passes`' order (AOS, station, satellite), filtered
  (``min_duration_s``, ``min_max_el_deg``), ordered (:class:`PassSort`; any order but AOS
  collects every pass first), with each usable pass's key forecast attached when ``key=True``.
  It yields :class:`PassRecord` objects (a pass and its forecast): every writer serialises one
  the same way (:meth:`PassRecord.to_dict`; ``write_json``, ``write_csv`` and ``write_ics``
  accept them). :meth:`PassQuery.record_blocks` gives the machine-readable records block by
  block; without filters, order or key they come straight from the engine's arrays (no
  :class:`~passplan.passes.Pass` object per pass), byte for byte the same.
- :func:`next_pass` searches forward in growing windows (a day, a week, 31 days, then the
  bound) for the first usable pass.
- :func:`sky_tracks` gives the sky chart's tracks of some records (one geometry scene for all).

Memory: with the AOS order a year-long search holds about a day of passes at a time
(:func:`passplan.passes.passes_in_order` releases passes as soon as no later block can hold an
earlier one). Datetimes stay datetimes until a writer formats them. Nothing here prints: the
warnings and notes go to the ``on_warning`` and ``on_info`` callbacks (and ``warnings``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError

if TYPE_CHECKING:  # numpy, the engine and the forecasts load on first use: the CLI's --help stays light
    import numpy as np

    from .elements import Selection
    from .forecast import PassForecast
    from .passes import Constraints, Pass
    from .sky import Night
    from .stations import Station

__all__ = [
    "PassSort",
    "PassFilter",
    "PassRecord",
    "PassQuery",
    "SkyTrack",
    "search_passes",
    "next_pass",
    "sky_tracks",
    "records_of",
    "write_channel_series",
    "is_continuous",
    "dark_threshold",
    "dark_fraction",
    "TonightPasses",
    "tonight_passes",
    "CONTINUOUS_S",
    "RECORDS_AT_ONCE",
    "SEARCH_DAYS",
    "DEFAULT_WITHIN_DAYS",
]

#: A window at least this long (s) is continuous visibility (no TCA, no azimuth sweep in the
#: table; ``next`` takes it even when the search window cuts it): longer than any LEO or MEO
#: pass (a GNSS pass lasts up to about 7 h).
CONTINUOUS_S = 12 * 3600.0

#: Passes turned into records at a time (a day of a big constellation holds 10^5).
RECORDS_AT_ONCE = 8192

#: The growing search windows of :func:`next_pass` (days from the start), cut at the bound.
SEARCH_DAYS = (1.0, 7.0, 31.0)

#: How far ahead :func:`next_pass` looks by default (days).
DEFAULT_WITHIN_DAYS = 31.0

Notify = Callable[[str], None]
Tick = Callable[[int, int, str], None]


class PassSort(StrEnum):
    """Orders of a pass query (aos ascending; max-el, duration and key highest first; station
    and satellite by name); ties keep the AOS order (AOS, station, satellite)."""

    aos = "aos"
    max_el = "max-el"
    duration = "duration"
    key = "key"
    station = "station"
    satellite = "satellite"


@dataclass(frozen=True)
class PassFilter:
    """Which passes a query keeps: at least ``min_duration_s`` long, reaching at least
    ``min_max_el_deg`` (None: no such filter)."""

    min_duration_s: float | None = None
    min_max_el_deg: float | None = None

    def __post_init__(self) -> None:
        d, e = self.min_duration_s, self.min_max_el_deg
        if d is not None and not (math.isfinite(d) and d >= 0):
            raise InputError(f"min_duration_s {d:g} is not a duration; give seconds >= 0, e.g. 120")
        if e is not None and not -90.0 <= e <= 90.0:
            raise InputError(f"min_max_el_deg {e:g} is outside [-90, 90] deg; give e.g. 30")

    @property
    def none(self) -> bool:
        """True when every pass is kept."""
        return self.min_duration_s is None and self.min_max_el_deg is None

    def keep(self, p: Pass) -> bool:
        """True for a pass the filters let through."""
        if self.min_duration_s is not None and p.duration_s < self.min_duration_s:
            return False
        return self.min_max_el_deg is None or p.max_el_deg >= self.min_max_el_deg


@dataclass(frozen=True, eq=False)
class PassRecord:
    """One pass of a query and its key forecast (None: not asked for, or an excluded pass).

    :meth:`to_dict` is the record every writer writes: the pass's record
    (:func:`passplan.passes.passes_to_records`) plus the forecast's key fields."""

    pass_: Pass
    forecast: PassForecast | None = None

    @property
    def secret_key_bits(self) -> float | None:
        """The forecast's secret key (bits), None without a forecast."""
        return None if self.forecast is None else float(self.forecast.key.secret_key_bits)

    def to_dict(self) -> dict[str, Any]:
        """The machine-readable record (plain Python values; times as ISO strings)."""
        return records_of([self])[0]


def records_of(rows: Sequence[PassRecord]) -> list[dict[str, Any]]:
    """The records of ``rows`` in one vectorised step (:func:`passplan.passes.passes_to_records`),
    each with its forecast's key fields."""
    from . import passes as _passes  # the package's attribute, looked up at each call

    records = _passes.passes_to_records([r.pass_ for r in rows])
    for rec, r in zip(records, rows, strict=True):
        if r.forecast is not None:
            rec.update(r.forecast.key_fields())
    return records


def _ordered(rows: list[PassRecord], sort: PassSort) -> list[PassRecord]:
    """``rows`` in the ``sort`` order (ties by AOS, station, satellite)."""
    base = sorted(rows, key=lambda r: (r.pass_.aos, r.pass_.station, r.pass_.satellite))
    if sort is PassSort.aos:
        return base
    if sort is PassSort.max_el:
        return sorted(base, key=lambda r: -r.pass_.max_el_deg)
    if sort is PassSort.duration:
        return sorted(base, key=lambda r: -r.pass_.duration_s)
    if sort is PassSort.station:
        return sorted(base, key=lambda r: r.pass_.station)
    if sort is PassSort.satellite:
        return sorted(base, key=lambda r: r.pass_.satellite)
    return sorted(base, key=lambda r: -r.secret_key_bits if r.secret_key_bits is not None else math.inf)


def _ticking(search: Iterable[Any], tick: Tick, t0: datetime, t1: datetime, block_s: float) -> Iterator[Any]:
    """The search blocks, calling ``tick(done, total, "")`` after each."""
    total = max(1, math.ceil((t1 - t0).total_seconds() / block_s))
    for k, block in enumerate(search):
        yield block
        tick(min(k + 1, total), total, "")


@dataclass(eq=False)
class PassQuery:
    """A pass search and what to do with its passes (made by :func:`search_passes`).

    Iterating runs the search (again on each iteration): :meth:`blocks` gives lists of
    :class:`PassRecord` as they are released, :meth:`record_blocks` their records,
    ``iter(query)`` the records one by one (so ``write_json(query, path)`` writes them).
    ``warnings`` collects the search's warnings (each once) as it goes; ``on_warning`` and
    ``on_info`` hear them (and the forecasts' notes) at once, ``on_forecast`` each batch of
    forecasts (``passplan passes --series-dir`` writes their channel series).
    """

    satellites: Sequence[Any]
    stations: Sequence[Station]
    start: datetime
    end: datetime
    constraints: Constraints
    filter: PassFilter = field(default_factory=PassFilter)
    sort: PassSort = PassSort.aos
    include_excluded: bool = False
    key: bool = False
    profile: str | None = None
    protocol: str | None = None
    on_warning: Notify | None = None
    on_info: Notify | None = None
    progress: Tick | None = None
    on_forecast: Callable[[Sequence[PassForecast]], Sequence[PassForecast] | None] | None = None
    warnings: list[str] = field(default_factory=list)
    _warned: set[str] = field(default_factory=set, repr=False)

    @property
    def n_pairs(self) -> int:
        """Satellite-station pairs searched."""
        return len(self.satellites) * len(self.stations)

    @property
    def plain(self) -> bool:
        """No filter, the search's own (AOS) order and no key: records may come straight from
        the engine's arrays."""
        return self.filter.none and self.sort is PassSort.aos and not self.key

    def _warn(self, note: str) -> None:
        self.warnings.append(note)
        if self.on_warning is not None:
            self.on_warning(note)

    def _search(self) -> Iterable[Any]:
        """The engine's search blocks (ticking ``progress``)."""
        from . import passes as _passes

        block_s = _passes.block_seconds(self.n_pairs)
        search: Iterable[Any] = _passes.iter_passes(
            self.satellites, self.stations, self.start, self.end, self.constraints,
            include_excluded=self.include_excluded,
            progress=self.on_info if self.n_pairs > 200 else None, block_s=block_s,
        )
        if self.progress is not None:
            search = _ticking(search, self.progress, self.start, self.end, block_s)
        return search

    def _forecast(self, passes: Sequence[Pass]) -> dict[int, PassForecast]:
        """The key forecast of each usable pass of one batch, by position in ``passes``."""
        from .forecast import forecast_passes

        todo = [k for k, p in enumerate(passes) if not p.excluded]
        if not todo:
            return {}
        if self.on_info is not None:
            self.on_info(f"forecasting the key of {len(todo)} pass(es)")
        found = forecast_passes([passes[k] for k in todo], profile=self.profile, protocol=self.protocol)
        if self.on_forecast is not None:  # it may return the forecasts to keep (with their spread)
            found = list(self.on_forecast(found) or found)
        # a pass no link profile applies to has no forecast (forecast_passes warns about it)
        of_pass = {id(f.pass_): f for f in found}
        return {k: of_pass[id(passes[k])] for k in todo if id(passes[k]) in of_pass}

    def released(self) -> Iterator[list[PassRecord]]:
        """The kept passes in AOS order, batch by batch as the engine releases them, each with
        its forecast under ``key``."""
        from . import passes as _passes

        for passes in _passes.passes_in_order(self._search(), self._warn, self.n_pairs, self._warned):
            kept = [p for p in passes if self.filter.keep(p)]
            if not kept:
                continue
            found = self._forecast(kept) if self.key else {}
            yield [PassRecord(p, found.get(k)) for k, p in enumerate(kept)]

    def blocks(self) -> Iterator[list[PassRecord]]:
        """The kept passes in the query's order: batch by batch in AOS order, or all at once
        in any other order."""
        if self.sort is PassSort.aos:
            yield from self.released()
            return
        everything = [r for batch in self.released() for r in batch]
        if everything:
            yield _ordered(everything, self.sort)

    def __iter__(self) -> Iterator[PassRecord]:
        for batch in self.blocks():
            yield from batch

    def record_blocks(
        self, chunk: int | None = None, on_batch: Callable[[list[PassRecord]], None] | None = None
    ) -> Iterator[Sequence[dict[str, Any]]]:
        """The records in the query's order, in sequences of at most ``chunk`` (default
        :data:`RECORDS_AT_ONCE`) as the search goes. A plain query (:attr:`plain`) without
        ``on_batch`` makes them straight from the engine's arrays; otherwise ``on_batch`` sees
        each batch of :class:`PassRecord` before its records are made."""
        size = RECORDS_AT_ONCE if chunk is None else chunk
        if self.plain and on_batch is None:
            from . import passes as _passes

            yield from _passes.records_in_order(self._search(), self._warn, self.n_pairs, size, self._warned)
            return
        for batch in self.blocks():
            if on_batch is not None:
                on_batch(batch)
            for i in range(0, len(batch), size):  # bounded memory for records and text
                yield records_of(batch[i : i + size])

    def to_records(self) -> list[dict[str, Any]]:
        """Every record (the whole search)."""
        return [rec for block in self.record_blocks() for rec in block]

    def to_json(self) -> str:
        """The records as the JSON list ``passplan passes --format json`` writes."""
        from .io import to_json

        return to_json(self.to_records())

    def to_dataframe(self) -> Any:
        """The records as a pandas DataFrame (:func:`passplan.exports.frames.to_dataframe`)."""
        from .exports.frames import to_dataframe

        return to_dataframe(self)


def search_passes(
    satellites: Sequence[Any],
    stations: Sequence[Station],
    start: datetime,
    end: datetime,
    constraints: Constraints | None = None,
    *,
    min_duration_s: float | None = None,
    min_max_el_deg: float | None = None,
    sort: PassSort | str = PassSort.aos,
    include_excluded: bool = False,
    key: bool = False,
    profile: str | None = None,
    protocol: str | None = None,
    on_warning: Notify | None = None,
    on_info: Notify | None = None,
    progress: Tick | None = None,
    on_forecast: Callable[[Sequence[PassForecast]], Sequence[PassForecast] | None] | None = None,
) -> PassQuery:
    """The pass query over ``satellites`` x ``stations`` from ``start`` to ``end`` (see the
    module): checked now, searched when iterated. ``sort="key"`` needs ``key=True``; ``profile``
    and ``protocol`` name the link profile and key protocol of the forecasts (default: each
    satellite's, else each station's receiver; the profile's protocol)."""
    from .passes import Constraints
    from .times import require_aware

    try:
        order = PassSort(sort)
    except ValueError:
        raise InputError(f"sort {sort!r} is not an order; give one of {', '.join(s.value for s in PassSort)}") from None
    if order is PassSort.key and not key:
        raise InputError("sort 'key' needs key=True (the key comes from the forecast)")
    t0, t1 = require_aware(start, "start"), require_aware(end, "end")
    if t1 <= t0:
        raise InputError("end is not after start; give a later end")
    return PassQuery(
        list(satellites), list(stations), t0, t1, constraints if constraints is not None else Constraints(),
        PassFilter(min_duration_s, min_max_el_deg), order, include_excluded, key, profile, protocol,
        on_warning, on_info, progress, on_forecast,
    )


def is_continuous(p: Pass, search: tuple[datetime, datetime] | None) -> bool:
    """True for a window of continuous visibility: at least :data:`CONTINUOUS_S` long, or
    covering a whole search of two hours or more."""
    if p.duration_s >= CONTINUOUS_S:
        return True
    if search is None:
        return False
    t0, t1 = search
    return p.aos <= t0 and p.los >= t1 and (t1 - t0).total_seconds() >= 7200.0


def next_pass(
    satellites: Sequence[Any],
    stations: Sequence[Station],
    start: datetime,
    end: datetime | None = None,
    constraints: Constraints | None = None,
    *,
    within_days: float = DEFAULT_WITHIN_DAYS,
    min_duration_s: float | None = None,
    min_max_el_deg: float | None = None,
    key: bool = False,
    profile: str | None = None,
    protocol: str | None = None,
    on_warning: Notify | None = None,
    on_info: Notify | None = None,
    progress: Tick | None = None,
    on_forecast: Callable[[Sequence[PassForecast]], Sequence[PassForecast] | None] | None = None,
) -> PassRecord | None:
    """The usable pass with the earliest AOS from ``start`` to ``end`` (default ``start`` +
    ``within_days``), None if there is none; with ``key``, its forecast attached.

    The search runs in growing windows (:data:`SEARCH_DAYS`, then the whole bound) and stops at
    the first window holding a pass whose end is known (not cut by the window, or a continuous
    window, or the bound reached), so a pass tomorrow costs a day's search. A pass already
    under way at ``start`` counts. ``progress(done, total, "")`` ticks once per window searched.
    Each warning is reported once over all windows. ``on_forecast`` (with ``key``) gets the found
    pass's forecast, as in :func:`search_passes` (the CLI's ``--spread`` hook)."""
    if end is None:
        if not (math.isfinite(within_days) and within_days > 0):
            raise InputError(f"within_days {within_days:g} is not a window length; give a positive number of days")
        end = start + timedelta(days=within_days)
    query = search_passes(
        satellites, stations, start, end, constraints, min_duration_s=min_duration_s,
        min_max_el_deg=min_max_el_deg, on_warning=on_warning, on_info=on_info,
    )
    t0, t1 = query.start, query.end
    bound_days = (t1 - t0).total_seconds() / 86400.0
    sizes = [d for d in SEARCH_DAYS if d < bound_days] + [bound_days]
    for k, days in enumerate(sizes):
        end_k = t1 if k == len(sizes) - 1 else t0 + timedelta(days=days)
        window = replace(query, end=end_k)  # shares the warnings said so far: each is said once
        found = [r.pass_ for batch in window.released() for r in batch]
        if found:
            first = min(found, key=attrgetter("aos", "station", "satellite"))
            if first.cut_end_by != "window" or end_k == t1 or is_continuous(first, (t0, end_k)):
                if not key:
                    return PassRecord(first)
                keyed = replace(window, key=True, profile=profile, protocol=protocol, on_forecast=on_forecast)
                return PassRecord(first, keyed._forecast([first]).get(0))
        if progress is not None:
            progress(k + 1, len(sizes), "")
    return None


def write_channel_series(forecasts: Sequence[PassForecast], folder: str | os.PathLike[str]) -> int:
    """Write each forecast's per-slot channel (:meth:`~passplan.forecast.PassForecast.series_csv`)
    into ``folder`` (created if new, only when there is something to write) as
    :meth:`~passplan.forecast.PassForecast.series_name`, atomically; returns how many were
    written. A failed first write leaves no empty folder behind."""
    from .io import atomic_write_text

    where = Path(folder)
    if not forecasts:
        return 0  # nothing to write: no empty folder either
    created = not where.exists()
    where.mkdir(parents=True, exist_ok=True)
    try:
        for f in forecasts:
            atomic_write_text(where / f.series_name(), f.series_csv())
    except BaseException:
        if created and not any(where.iterdir()):
            where.rmdir()  # a failed first write leaves no empty folder behind
        raise
    return len(forecasts)


def dark_threshold(constraints: Constraints) -> Callable[[Pass], float]:
    """The Sun elevation (deg) below which a pass's station counts as dark: the constraints'
    darkness setting, else the station's own, else nautical (-12 deg)."""
    from .stations import twilight_angle_deg

    fixed = None if constraints.darkness in (None, "station") else twilight_angle_deg(constraints.darkness)

    def angle(p: Pass) -> float:
        if fixed is not None:
            return float(fixed)
        st = p.station_ref
        return float(st.twilight_deg) if st is not None and st.twilight_deg is not None else -12.0

    return angle


@dataclass(frozen=True, eq=False)
class SkyTrack:
    """One pass across the sky: azimuth and elevation (deg) per sample and the key rate (bit/s;
    None without a link profile) at each."""

    pass_: Pass
    az_deg: np.ndarray
    el_deg: np.ndarray
    key_rate_bps: np.ndarray | None


def sky_tracks(
    rows: Sequence[PassRecord | Pass], *, profile: str | None = None, protocol: str | None = None
) -> list[SkyTrack]:
    """The sky track of each usable pass of ``rows`` with its key rate: from the attached
    forecasts, else from one forecast batch of the rest (one geometry scene), else, for passes
    no link profile applies to (``profile``, the satellite's, the station's receiver), the
    geometry alone."""
    from .forecast import forecast_passes
    from .forecast.chain import asymptotic_rate_bps
    from .passes.sampling import sample_scene

    recs = [r if isinstance(r, PassRecord) else PassRecord(r) for r in rows]
    recs = [r for r in recs if not r.pass_.excluded]
    forecasts: dict[int, PassForecast] = {k: r.forecast for k, r in enumerate(recs) if r.forecast is not None}
    todo = [k for k in range(len(recs)) if k not in forecasts]
    if todo:
        # passes no link profile applies to are left out of the batch (with a warning)
        found = {id(f.pass_): f for f in forecast_passes([recs[k].pass_ for k in todo], profile=profile, protocol=protocol)}
        forecasts.update((k, found[id(recs[k].pass_)]) for k in todo if id(recs[k].pass_) in found)
    bare = [k for k in range(len(recs)) if k not in forecasts]
    geometry: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    if bare:
        steps = [min(max(1.0, recs[k].pass_.duration_s / 300.0), 60.0) for k in bare]
        s = sample_scene([recs[k].pass_ for k in bare], steps)
        for j, k in enumerate(bare):
            rows_k = s.rows(j)
            geometry[k] = (s.az_deg[rows_k].copy(), s.el_deg[rows_k].copy())
    out = []
    for k, r in enumerate(recs):
        f = forecasts.get(k)
        if f is not None:
            out.append(SkyTrack(r.pass_, f.geometry.az_deg, f.geometry.el_deg, asymptotic_rate_bps(f)))
        else:
            az, el = geometry[k]
            out.append(SkyTrack(r.pass_, az, el, None))
    return out


#: Sun sampling of :func:`dark_fraction` when the engine gives no share: every 5 min, at most
#: this many samples (a year at 2.2 h steps: the share to about 1 %, in about 2 s).
_DARK_SAMPLE_S = 300.0
_MAX_DARK_SAMPLES = 4000


def dark_fraction(p: Pass, twilight_deg: float) -> float:
    """Share of the window with the Sun below ``twilight_deg`` at the station: the pass's own
    ``station_dark_fraction`` when the engine gives it, else the Sun sampled every 5 min (or
    finer for short windows; :func:`passplan.sky.sun_elevation_deg`)."""
    given = getattr(p, "station_dark_fraction", None)
    if given is not None:
        return float(given)
    if p.station_ref is None:
        return 1.0 if p.station_dark else 0.0
    import numpy as np

    from .sky import sun_elevation_deg

    n = int(min(_MAX_DARK_SAMPLES, max(2, p.duration_s / _DARK_SAMPLE_S + 1)))
    step = p.duration_s / (n - 1)
    times = [p.aos + timedelta(seconds=i * step) for i in range(n)]
    sun = sun_elevation_deg(p.station_ref, times)
    return float(np.mean(sun < twilight_deg))


@dataclass(frozen=True, eq=False)
class TonightPasses:
    """Tonight at one station: the dark window (:class:`passplan.sky.Night`), the satellites
    planned for (their :class:`passplan.elements.Selection`, with its warnings and skipped stale
    sets) and the pass query over that window (searched when iterated)."""

    night: Night
    selection: Selection
    query: PassQuery


def tonight_passes(
    station: Station,
    at: datetime,
    satellites: Sequence[str] | Sequence[Any] | None = None,
    constraints: Constraints | None = None,
    *,
    darkness: str | float | None = None,
    allow_stale: bool = False,
    **search: Any,
) -> TonightPasses:
    """The passes of tonight at ``station``: the whole dark interval that ``at`` falls in, else
    the next one (:func:`passplan.sky.tonight` at ``darkness``, default the station's own
    setting), so the window depends on the local date only and passes under way at dusk or dawn
    are cut there. ``satellites`` are specs (names, catalogue numbers, files: resolved with the
    element sets nearest the night's start, :func:`passplan.elements.resolve_satellites`),
    satellites, or None for the default fleet. ``search`` goes to :func:`search_passes`
    (``min_duration_s``, ``sort``, ``key``, ``profile``...)."""
    from .elements import Selection, default_fleet, resolve_satellites
    from .sky import tonight

    night = tonight(station, at, darkness)
    if satellites is None:
        sel = default_fleet(night.start)
    elif all(isinstance(s, str) for s in satellites):
        sel = resolve_satellites([str(s) for s in satellites], night.start, allow_stale)
    else:
        given: list[Any] = list(satellites)
        sel = Selection(given)
    if not sel.satellites:
        raise InputError("no satellites to plan for; give satellites")
    return TonightPasses(night, sel, search_passes(sel.satellites, [station], night.start, night.end, constraints, **search))
