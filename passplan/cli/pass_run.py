"""The output of ``passes``, ``tonight`` and ``next``: a :class:`passplan.query.PassQuery` (the
library's pass query: search, filters, order, key forecasts) written through the shared output
path, with the table, the channel series files and a progress bar on stderr.

With ``--sort aos`` (the default) CSV, JSON and NDJSON are written block by block as the search
goes, so a year-long campaign needs the memory of a day; any other order collects every pass
first. A progress bar on stderr (a terminal only) counts the search blocks.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..query import PassFilter, PassSort
from ..times import zone
from .common import OutputFormat, emit, info, write_text
from .flags import as_flags
from .table import pass_table

if TYPE_CHECKING:
    from ..forecast import PassForecast
    from ..passes import Pass
    from ..query import PassQuery, PassRecord

__all__ = ["PassSort", "Listing", "run", "search_bar", "check_series_dir", "series_writer", "forecast_hook"]

#: The CLI flag of each library parameter its errors may name.
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
        with as_flags():
            PassFilter(self.min_duration_s, self.min_max_el_deg)
        if self.tz is not None:
            zone(self.tz)


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


def series_writer(series_dir: Path) -> Callable[[Sequence[PassForecast]], None]:
    """Writes each forecast batch's channel series into ``series_dir`` (checked and created
    first; :func:`passplan.query.write_channel_series`), saying how many on stderr."""
    from ..query import write_channel_series

    def write(forecasts: Sequence[PassForecast]) -> None:
        check_series_dir(series_dir)
        n = write_channel_series(forecasts, series_dir)
        info(f"wrote {n} channel series to {series_dir}")

    return write


def forecast_hook(
    series_dir: Path | None, spread: bool, draws: int, seed: int = 0,
) -> Callable[[Sequence[PassForecast]], Sequence[PassForecast] | None] | None:
    """What the query does with each batch of forecasts: write their channel series
    (``--series-dir``) and, with ``--spread``, give each its key spread
    (:func:`passplan.forecast.spread.key_spread`, ``draws`` seeded draws of turbulence fading and
    pointing jitter), one line per pass on stderr (the table has no spread columns; JSON, NDJSON
    and CSV carry the ``spread`` field). None when neither is asked for."""
    write = series_writer(series_dir) if series_dir is not None else None
    if not spread:
        return write

    def hook(forecasts: Sequence[PassForecast]) -> Sequence[PassForecast]:
        from dataclasses import replace

        from ..forecast.spread import key_spread

        if write is not None:
            write(forecasts)
        out = []
        for f in forecasts:
            s = key_spread(f, draws, seed)
            info(f"key spread of {f.pass_.satellite} over {f.pass_.station} at {f.pass_.aos:%Y-%m-%d %H:%M:%S}Z "
                 f"({s.model}, {s.draws} draws, seed {s.seed}): P10 {s.p10_bits:.4g}, P50 {s.p50_bits:.4g}, "
                 f"P90 {s.p90_bits:.4g} bits (mean-channel key {s.key_bits:.4g})")
            out.append(replace(f, spread=s))
        return out

    return hook


def run(
    query: PassQuery,
    view: Listing,
    *,
    fmt: str,
    output: Path | None,
    creation_date: datetime | None = None,
    twilight_deg: Callable[[Pass], float] | None = None,
    keep: list[PassRecord] | None = None,
) -> None:
    """Write the query's passes as they are released (any other ``--sort`` than aos collects
    them first; the table collects every pass); ``keep`` collects the records too."""
    table = fmt == "table"
    shown: list[PassRecord] = []

    def collect(batch: list[PassRecord]) -> None:
        if table:
            shown.extend(batch)
        if keep is not None:
            keep.extend(batch)

    def blocks() -> Iterator[Sequence[dict[str, Any]]]:
        if table:
            for batch in query.blocks():
                collect(batch)
            return
        yield from query.record_blocks(on_batch=collect if keep is not None else None)

    def render() -> str:
        return pass_table(
            shown, key=query.key, tz=view.tz, wide=view.wide, search=(query.start, query.end),
            twilight_deg=twilight_deg, group_mixed_zones=view.sort is PassSort.aos,
        )

    quiet_stdout = table or (output is not None and str(output) != "-") or not sys.stdout.isatty()
    with search_bar(quiet_stdout) as tick:
        query.progress = tick
        if fmt == "ics":
            from ..exports.ics import events_from_records, to_ics

            records = [r for block in blocks() for r in block if not r.get("excluded_by")]
            text = to_ics(events_from_records(records), creation_date, "passplan passes")
            write_text(text, output)
            return
        emit(blocks(), OutputFormat(fmt), render, output)


def check_series_dir(series_dir: Path) -> None:
    """Refuse a ``--series-dir`` that names an existing file or a symbolic link (before any
    work): the series are written into a real folder, created if new."""
    if series_dir.is_symlink():
        raise InputError(f"--series-dir {series_dir} is a symbolic link; give the folder it should name (created if new)")
    if series_dir.exists() and not series_dir.is_dir():
        raise InputError(f"--series-dir {series_dir} is a file; give a folder (it is created if new)")
