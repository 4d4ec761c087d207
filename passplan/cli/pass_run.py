"""The pass search behind ``passes``, ``tonight`` and ``next``: stream the engine's blocks in
order, filter, sort, forecast the key, and write through the shared output path.

With ``--sort aos`` (the default) CSV, JSON and NDJSON are written block by block as the search
goes, so a year-long campaign needs the memory of a day; any other order collects every pass
first. A progress bar on stderr (a terminal only) counts the search blocks.
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ..errors import InputError
from ..times import zone
from .common import OutputFormat, emit, info, warn
from .table import pass_table

if TYPE_CHECKING:
    from ..passes import Constraints, Pass
    from ..stations import Station

__all__ = ["PassSort", "Listing", "run", "forecast_batch", "released"]


class PassSort(StrEnum):
    """``--sort`` orders (aos ascending; max-el, duration and key highest first)."""

    aos = "aos"
    max_el = "max-el"
    duration = "duration"
    key = "key"
    station = "station"
    satellite = "satellite"


@dataclass(frozen=True)
class Listing:
    """What to list and how: the filters (``--min-duration`` s, ``--min-max-el`` deg), the order
    and the table's display zone (None: each station's own) and width."""

    min_duration_s: float | None = None
    min_max_el_deg: float | None = None
    sort: PassSort = PassSort.aos
    tz: str | None = None
    wide: bool = False

    def __post_init__(self) -> None:
        if self.min_duration_s is not None and not (math.isfinite(self.min_duration_s) and self.min_duration_s >= 0):
            raise InputError(f"--min-duration {self.min_duration_s:g} is not a duration; give seconds >= 0, e.g. 120")
        if self.min_max_el_deg is not None and not -90.0 <= self.min_max_el_deg <= 90.0:
            raise InputError(f"--min-max-el {self.min_max_el_deg:g} is outside [-90, 90] deg; give e.g. 30")
        if self.tz is not None:
            zone(self.tz)

    @property
    def plain(self) -> bool:
        """No filter and the search's own (AOS) order: records may come straight from arrays."""
        return self.min_duration_s is None and self.min_max_el_deg is None and self.sort is PassSort.aos

    def keep(self, p: Pass) -> bool:
        """True for a pass the filters let through."""
        if self.min_duration_s is not None and p.duration_s < self.min_duration_s:
            return False
        return self.min_max_el_deg is None or p.max_el_deg >= self.min_max_el_deg

    def order(self, passes: list[Pass], forecasts: dict[int, Any]) -> list[Pass]:
        """``passes`` in the ``--sort`` order (ties by AOS, station, satellite)."""
        base = sorted(passes, key=_ORDER)
        if self.sort is PassSort.aos:
            return base
        if self.sort is PassSort.max_el:
            return sorted(base, key=lambda p: -p.max_el_deg)
        if self.sort is PassSort.duration:
            return sorted(base, key=lambda p: -p.duration_s)
        if self.sort is PassSort.station:
            return sorted(base, key=attrgetter("station"))
        if self.sort is PassSort.satellite:
            return sorted(base, key=attrgetter("satellite"))

        def bits(p: Pass) -> float:
            f = forecasts.get(id(p))
            return -f.key.secret_key_bits if f is not None else math.inf

        return sorted(base, key=bits)


#: Passes turned into records and written at a time (a day of a big constellation holds 10^5).
_RECORDS_AT_ONCE = 8192

#: Satellite-station pairs a day-long search block may hold; larger scenes search shorter blocks
#: (the engine's memory grows with pairs x block length; results do not depend on it).
_PAIR_DAYS_PER_BLOCK = 10_000


def _block_seconds(n_pairs: int) -> float:
    """Search block length for ``n_pairs`` pairs: a day up to ``_PAIR_DAYS_PER_BLOCK`` pairs,
    shorter beyond (at least an hour)."""
    return max(3600.0, 86400.0 * min(1.0, _PAIR_DAYS_PER_BLOCK / max(n_pairs, 1)))


_ORDER = attrgetter("aos", "station", "satellite")  # find_passes' order
_UNKNOWN = object()


def _in_order(blocks: Iterable[Any], warned: set[str], n_pairs: int) -> Iterator[list[Pass]]:
    """The passes of ``iter_passes`` blocks in :func:`find_passes`' order (AOS, station,
    satellite), released as soon as no later block can hold an earlier pass.

    A block yields the passes that end in it, so a pass under way across block edges (a GEO
    window, say) comes after passes that rose later: passes are held until an AOS bound says
    no earlier pass can follow. Two bounds are used, the larger wins:

    - the block's ``complete_before``, when the engine gives it: the AOS before which every pass
      has been yielded (``None``: no pass under way);
    - the passes seen so far: the windows of one satellite-station pair never overlap, so a pass
      still to come starts after the last LOS yielded for its pair; once every one of the
      ``n_pairs`` pairs has had a pass, the earliest of those LOS bounds every pass to come.

    With neither (a pair that never sees its station), passes are held to the end: the same
    output, with memory not bounded by a block."""
    held: list[Pass] = []
    last_los: dict[tuple[int, str], datetime] = {}
    for block in blocks:
        for note in block.warnings:
            if note not in warned:
                warned.add(note)
                warn(note)
        passes = block.passes
        held.extend(passes)
        for p in passes:
            pair = (id(p.sat_ref) if p.sat_ref is not None else hash(p.satellite), p.station)
            seen = last_los.get(pair)
            if seen is None or p.los > seen:
                last_los[pair] = p.los
        if not held:
            continue
        engine = getattr(block, "complete_before", _UNKNOWN)
        if engine is None:
            ready, held = held, []
        else:
            bounds = [engine] if engine is not _UNKNOWN else []
            if len(last_los) >= n_pairs:
                bounds.append(min(last_los.values()))
            if not bounds:
                continue
            bound = max(bounds)
            ready = [p for p in held if p.aos < bound]
            held = [p for p in held if p.aos >= bound]
        if ready:
            ready.sort(key=_ORDER)  # stable: equal keys keep the engine's order, as find_passes does
            yield ready
    if held:
        held.sort(key=_ORDER)
        yield held



def released(
    satellites: Sequence[Any],
    stations: Sequence[Station],
    t0: datetime,
    t1: datetime,
    constraints: Constraints,
    listing: Listing,
    *,
    include_all: bool = False,
    forecast: Callable[[list[Pass]], dict[int, Any]] | None = None,
    tick: Callable[[int, int, str], None] | None = None,
    warned: set[str] | None = None,
) -> Iterator[tuple[list[Pass], dict[int, Any]]]:
    """The filtered passes of the search in AOS order, batch by batch as the engine releases
    them, each with its key forecasts (``forecast(batch)``, keyed by ``id(pass)``). Warnings
    already in ``warned`` are not printed again (a caller searching several windows)."""
    search, n_pairs = _search(satellites, stations, t0, t1, constraints, include_all, tick)
    for passes in _in_order(search, warned if warned is not None else set(), n_pairs):
        kept = [p for p in passes if listing.keep(p)]
        if kept:
            yield kept, (forecast(kept) if forecast is not None else {})


def _search(
    satellites: Sequence[Any],
    stations: Sequence[Station],
    t0: datetime,
    t1: datetime,
    constraints: Constraints,
    include_all: bool,
    tick: Callable[[int, int, str], None] | None,
) -> tuple[Iterable[Any], int]:
    """The engine's search blocks (ticking the progress bar) and the number of pairs."""
    from ..passes import iter_passes

    n_pairs = len(satellites) * len(stations)
    block_s = _block_seconds(n_pairs)
    search: Iterable[Any] = iter_passes(
        satellites, stations, t0, t1, constraints, include_excluded=include_all,
        progress=info if n_pairs > 200 else None, block_s=block_s,
    )
    if tick is not None:
        search = _ticking(search, tick, t0, t1, block_s)
    return search, n_pairs


def _ticking(search: Iterable[Any], tick: Callable[[int, int, str], None], t0: datetime, t1: datetime, block_s: float) -> Iterator[Any]:
    total = max(1, math.ceil((t1 - t0).total_seconds() / block_s))
    for k, block in enumerate(search):
        yield block
        tick(min(k + 1, total), total, "")


def _no_tick(done: int, total: int, what: str = "") -> None:
    return None


@contextlib.contextmanager
def search_bar(enabled: bool = True) -> Iterator[Callable[[int, int, str], None]]:
    """A progress bar of the search blocks on stderr, shown when stderr is a terminal and
    ``enabled`` (the caller's data does not go to that terminal): unlike
    :func:`passplan.cli.common.progress_bar` it leaves stdout alone, so streamed records never
    pass through the bar's console."""
    if not (enabled and sys.stderr.isatty()):
        yield _no_tick
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("searching"), BarColumn(), TextColumn("{task.completed}/{task.total} blocks"),
        TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True), transient=True,
        redirect_stdout=False,
    ) as prog:
        task = prog.add_task("searching", total=None)

        def update(done: int, total: int, what: str = "") -> None:
            prog.update(task, completed=done, total=total)

        yield update


def run(
    satellites: Sequence[Any],
    stations: Sequence[Station],
    t0: datetime,
    t1: datetime,
    constraints: Constraints,
    listing: Listing,
    *,
    include_all: bool,
    fmt: str,
    output: Path | None,
    key: bool = False,
    profile: str | None = None,
    protocol: str | None = None,
    series_dir: Path | None = None,
    dtstamp: datetime | None = None,
    twilight_deg: Callable[[Pass], float] | None = None,
) -> None:
    """Search block by block and write the passes as they are released in AOS order (any other
    ``--sort`` collects them first); with ``--key``, forecast each released batch first. The
    table collects every pass."""
    from ..passes import passes_to_records

    table = fmt == "table"
    shown: list[Pass] = []
    forecasts: dict[int, Any] = {}

    def forecast(batch: list[Pass]) -> dict[int, Any]:
        return forecast_batch(batch, profile, protocol, series_dir)

    def blocks(tick: Callable[[int, int, str], None]) -> Iterator[list[dict[str, Any]]]:
        if not table and not key and listing.plain:
            # records straight from the engine's arrays (no Pass objects), same bytes
            from ..passes import records_in_order

            search, n_pairs = _search(satellites, stations, t0, t1, constraints, include_all, tick)
            yield from records_in_order(search, warn, n_pairs, _RECORDS_AT_ONCE)
            return
        batches: Iterable[tuple[list[Pass], dict[int, Any]]] = released(
            satellites, stations, t0, t1, constraints, listing, include_all=include_all,
            forecast=forecast if key else None, tick=tick,
        )
        if listing.sort is not PassSort.aos:  # collects every pass (said in --help)
            everything: list[Pass] = []
            found_all: dict[int, Any] = {}
            for passes, found in batches:
                everything.extend(passes)
                found_all.update(found)
            batches = [(listing.order(everything, found_all), found_all)]
        for passes, found in batches:
            if table:
                shown.extend(passes)
                forecasts.update(found)
                continue
            for i in range(0, len(passes), _RECORDS_AT_ONCE):  # bounded memory for records and text
                part = passes[i : i + _RECORDS_AT_ONCE]
                records = passes_to_records(part)
                if found:
                    for rec, p in zip(records, part, strict=True):
                        f = found.get(id(p))
                        if f is not None:
                            rec.update(f.key_fields())
                yield records

    def render() -> str:
        return pass_table(
            shown, forecasts if key else None, tz=listing.tz, wide=listing.wide, search=(t0, t1),
            twilight_deg=twilight_deg, group_mixed_zones=listing.sort is PassSort.aos,
        )

    quiet_stdout = table or (output is not None and str(output) != "-") or not sys.stdout.isatty()
    with search_bar(quiet_stdout) as tick:
        if fmt == "ics":
            from ..exports.ics import events_from_records, to_ics
            from ..io import atomic_write_text

            records = [r for block in blocks(tick) for r in block if not r.get("excluded_by")]
            text = to_ics(events_from_records(records), dtstamp=dtstamp, name="passplan passes")
            if output is None or str(output) == "-":
                typer.echo(text, nl=False)
            else:
                atomic_write_text(output, text)
            return
        emit(blocks(tick), OutputFormat(fmt), render, output)


def forecast_batch(
    passes: Sequence[Pass], profile: str | None, protocol: str | None, series_dir: Path | None
) -> dict[int, Any]:
    """The key forecast of each usable pass (one batch: :func:`passplan.forecast.forecast_passes`),
    keyed by ``id(pass)``; the channel series written to ``series_dir`` when given."""
    from ..forecast import forecast_passes

    todo = [p for p in passes if not p.excluded]
    if not todo:
        return {}
    info(f"forecasting the key of {len(todo)} pass(es)")
    found = {id(f.pass_): f for f in forecast_passes(todo, profile=profile, protocol=protocol)}
    if series_dir is not None:
        from ..io import atomic_write_text

        check_series_dir(series_dir)
        series_dir.mkdir(parents=True, exist_ok=True)
        for f in found.values():
            atomic_write_text(series_dir / f.series_name(), f.series_csv())
        info(f"wrote {len(found)} channel series to {series_dir}")
    return found


class PassFormat(StrEnum):
    """``--format`` of pass lists: the shared formats plus iCalendar."""

    table = "table"
    csv = "csv"


def check_series_dir(series_dir: Path) -> None:
    """Refuse a ``--series-dir`` that names an existing file or a symbolic link (before any
    work): the series are written into a real folder, created if new."""
    if series_dir.is_symlink():
        raise InputError(f"--series-dir {series_dir} is a symbolic link; give the folder it should name (created if new)")
    if series_dir.exists() and not series_dir.is_dir():
        raise InputError(f"--series-dir {series_dir} is a file; give a folder (it is created if new)")
