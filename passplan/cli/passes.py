"""``passplan passes``, ``passplan tonight`` (and ``passplan next``, :mod:`.next_pass`): which
passes, at which station, from which satellite.

The options are checked before any search or output: names (``--profile``, ``--protocol``, each
station's receiver under ``--key``, ``--tz``), numbers (``--hours``, ``--days``, the filters) and
paths (``--series-dir``, ``--plot``). The search, filters, order and key forecasts are the
library's pass query (:func:`passplan.query.search_passes`); its output lives in
:mod:`.pass_run`, the table in :mod:`.table`."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import InputError
from ..times import iso_z, local_str, parse_time, zone
from .common import (
    AllOpt,
    DaysOpt,
    EclipseOpt,
    EndOpt,
    HoursOpt,
    MaxRangeOpt,
    MinElOpt,
    MoonSepOpt,
    OutputOpt,
    RefrOpt,
    SatsOpt,
    StaleOpt,
    StartOpt,
    StationOpt,
    StationsFileOpt,
    SunSepOpt,
    VerboseOpt,
    check_parquet,
    handle_errors,
    info,
    plot_format,
    report_selection,
    warn,
    write_plot,
    write_text,
)
from .flags import SATS_PHRASES, CreationDateOpt, DtstampOpt, as_flags, creation_date
from .pass_run import Listing, PassSort, check_series_dir, forecast_hook, run
from .table import pass_table

if TYPE_CHECKING:
    from ..elements import Selection
    from ..passes import Constraints, Pass
    from ..query import PassQuery, PassRecord
    from ..stations import Station

__all__ = ["register", "pass_table", "Listing", "PassSort"]


class Night(StrEnum):
    """Darkness settings for ``--night``."""

    station = "station"
    civil = "civil"
    nautical = "nautical"
    astronomical = "astronomical"
    any = "any"


KeyOpt = Annotated[
    bool,
    typer.Option("--key", help="Forecast each pass's secret key: link budget every second, then finite-key BB84."),
]
ProfileOpt = Annotated[
    str | None,
    typer.Option("--profile", help="Link profile for --key (default: each station's receiver; see `passplan link --list`)."),
]
def _folder(text: str) -> Path:
    """A folder option's value: an empty string is refused (it would silently mean the current
    folder); give '.' for that."""
    if not text:
        raise typer.BadParameter("an empty path; give a folder name ('.' for the current folder)")
    return Path(text)


SeriesOpt = Annotated[
    Path | None,
    typer.Option(
        "--series-dir", parser=_folder,
        help="With --key: write each pass's per-slot channel (t_s,eta,background_prob,...) as CSV here.",
    ),
]
SpreadOpt = Annotated[
    bool,
    typer.Option(
        "--spread",
        help="With --key: P10/P50/P90 of each pass's key over seeded draws of turbulence fading and pointing "
        "jitter (the finite-key bound on each draw's counts); a 'spread' field in JSON/CSV, a line on stderr.",
    ),
]
PairOpt = Annotated[
    tuple[str, str] | None,
    typer.Option(
        "--pair", metavar="A B",
        help="Joint windows of two stations: when a satellite is usable from both at once (each under its own "
        "constraints); with --key, the entangled-pair forecast (coincidences, QBER, BBM92 key; profile micius-entangled).",
    ),
]
#: Draws of ``--spread`` (:data:`passplan.forecast.spread.DEFAULT_DRAWS`) and its seed.
SPREAD_DRAWS = 200
SPREAD_SEED = 0
ProtocolOpt = Annotated[
    str | None,
    typer.Option("--protocol", help="Key protocol for --key: bundled name (micius, micius2021, jinan1) or TOML (default: the profile's)."),
]


#: The longest window accepted (days): a century, far past the ephemeris (to 2053), which
#: refuses a window it cannot cover with its own message.
MAX_WINDOW_DAYS = 36525.0


def _length_h(hours: float | None, days: float | None, days_name: str = "--days") -> float:
    """The window length in hours from ``--hours`` or ``--days``, refused (one line) unless a
    positive finite number of at most :data:`MAX_WINDOW_DAYS`; checked before any datetime
    arithmetic (``timedelta(hours=inf)`` raises OverflowError)."""
    name, value, scale = ("--hours", hours, 1.0) if hours is not None else (days_name, days, 24.0)
    assert value is not None
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"{name} {value:g} is not a window length; give a positive number of {name[2:]}")
    if value * scale > MAX_WINDOW_DAYS * 24.0:
        raise InputError(f"{name} {value:g} is too long; give at most {MAX_WINDOW_DAYS:g} days (the ephemeris ends in 2053)")
    return value * scale


def _window(
    start: str | None, end: str | None, hours: float | None, days: float | None, default_h: float,
    max_days: float | None = 31.0, days_name: str = "--days",
) -> tuple[datetime, datetime]:
    """The analysis window from ``--start`` and one of ``--end``, ``--hours``, ``--days``
    (default ``default_h`` hours); longer than ``max_days`` is refused (None: no limit but
    :data:`MAX_WINDOW_DAYS`)."""
    given = [x is not None for x in (end, hours, days)]
    if sum(given) > 1:
        raise InputError("give only one of --end, --hours and --days")
    length_h = _length_h(hours, days, days_name) if end is None and (hours is not None or days is not None) else None
    t0 = parse_time(start or "now", "--start")
    if end is not None:
        t1 = parse_time(end, "--end")
    else:
        try:
            t1 = t0 + timedelta(hours=length_h if length_h is not None else default_h)
        except OverflowError:
            raise InputError(f"the window from --start {iso_z(t0)} ends after the year 9999; give a shorter window") from None
    if t1 <= t0:
        if length_h is not None:
            name = "--hours" if hours is not None else days_name
            raise InputError(f"{name} {hours if hours is not None else days:g} is shorter than a microsecond; give a longer window")
        raise InputError(f"--end {iso_z(t1)} is not after --start {iso_z(t0)}; give a later end")
    if max_days is not None and (t1 - t0) > timedelta(days=max_days):
        raise InputError(f"the window is longer than {max_days:g} days; split it into shorter runs")
    return t0, t1


def _stations(station: list[str] | None, files: list[Path] | None) -> list[Station]:
    from ..stations import select_stations

    return select_stations(station or (), files or ())


def _satellites(sats: list[str] | None, at: datetime, allow_stale: bool, verbose: bool) -> Selection:
    from ..elements import default_fleet, resolve_satellites

    sel = resolve_satellites(sats, at, allow_stale) if sats else default_fleet(at)
    report_selection(sel, verbose)
    if not sel.satellites:
        raise InputError("no satellites to plan for; give --sats")
    return sel


def _constraints(
    min_el: float | None,
    night: Night | None,
    eclipse: bool | None,
    sun_sep: float | None,
    moon_sep: float | None,
    max_range: float | None,
    refraction: bool,
) -> Constraints:
    from ..passes import Constraints

    darkness = None if night in (None, Night.any) else night.value
    return Constraints(
        min_elevation_deg=min_el,
        darkness=darkness,
        eclipse=eclipse,
        min_sun_sep_deg=sun_sep,
        min_moon_sep_deg=moon_sep,
        max_range_km=max_range,
        refraction=refraction,
    )


class PassFormat(StrEnum):
    """``--format`` of pass lists: the shared formats plus iCalendar."""

    table = "table"
    csv = "csv"
    json = "json"
    ndjson = "ndjson"
    ics = "ics"
    parquet = "parquet"
    czml = "czml"


PassFormatOpt = Annotated[
    PassFormat,
    typer.Option(
        "--format",
        help="Output format (ics: one calendar event per pass, stable UIDs; parquet: the records' columns in row "
        "groups, written as the search goes, needs --output; czml: Cesium CZML of satellites, stations and "
        "passes coloured by key rate).",
    ),
]


def check_format(fmt: PassFormat, output: Path | None) -> None:
    """Refuse, before any work, ``--format parquet`` without ``--output FILE`` and a format whose
    optional library is missing (pyarrow, czml3: the error names the extra)."""
    if fmt is PassFormat.parquet:
        check_parquet(output, "passes.parquet")
    elif fmt is PassFormat.czml:
        from ..exports.czml import require_czml3

        require_czml3()


def write_exported(query: PassQuery, fmt: PassFormat, output: Path | None, keep: list[PassRecord] | None = None) -> None:
    """Write the query as Parquet (block by block, :func:`passplan.exports.parquet.write_parquet`)
    or CZML (:func:`passplan.exports.czml.write_czml`); ``keep`` collects its records."""
    import sys

    from .pass_run import search_bar

    collect = keep.extend if keep is not None else None
    with search_bar((output is not None and str(output) != "-") or not sys.stdout.isatty()) as tick:
        query.progress = tick
        if fmt is PassFormat.parquet:
            from ..exports.parquet import write_parquet

            assert output is not None
            write_parquet(query, output, on_batch=collect)
            return
        from ..exports.czml import czml_text

        text = czml_text(query, on_batch=collect)
    write_text(text, output)
NightOpt = Annotated[Night | None, typer.Option("--night", help="Require station darkness (station: each station's own setting).")]
TonightNightOpt = Annotated[Night | None, typer.Option("--night", help="Darkness setting (default: the station's own).")]
DateOpt = Annotated[
    str | None,
    typer.Option("--date", help="A local date (YYYY-MM-DD: the night starting that evening) or an ISO time with zone; default now."),
]


def _sky_chart(
    path: Path, st: Station, win: Any, c: Constraints, rows: Sequence[PassRecord],
    profile: str | None, protocol: str | None,
) -> None:
    """Draw tonight's listed passes on the sky chart, coloured by their key rate where the
    station (or satellite, or --profile) names a link profile: the run's own passes and
    forecasts (no second search), the rest forecast in one batch."""
    from ..plot.sky import plot_sky
    from ..query import sky_tracks

    ordered = sorted(rows, key=lambda r: (r.pass_.aos, r.pass_.station, r.pass_.satellite))
    tracks = [
        (f"{t.pass_.satellite} {local_str(t.pass_.aos, st.timezone)[11:16]}", t.az_deg, t.el_deg, t.key_rate_bps)
        for t in sky_tracks(ordered, profile=profile, protocol=protocol)
    ]
    floor = c.min_elevation_deg if c.min_elevation_deg is not None else st.min_elevation_deg
    title = f"{st.id}: {local_str(win.start, st.timezone)} to {local_str(win.end, st.timezone)[11:]}, {len(tracks)} passes"
    write_plot(path, lambda f: plot_sky(tracks, title=title, min_elevation_deg=float(floor), mask=st.horizon_mask, fmt=f))


UtcOpt = Annotated[bool, typer.Option("--utc", help="Table times in UTC (default: each station's own zone).")]
TzOpt = Annotated[
    str | None,
    typer.Option(
        "--tz",
        help="Table times in this IANA zone, e.g. Europe/Vienna (default: each station's own zone; with "
        "stations in several zones the table is grouped by station).",
    ),
]
WideOpt = Annotated[bool, typer.Option("--wide", help="Wider table: sunlit share, range, loss, element age, long notes.")]
MinDurationOpt = Annotated[float | None, typer.Option("--min-duration", help="Keep windows at least this long (s).")]
MinMaxElOpt = Annotated[float | None, typer.Option("--min-max-el", help="Keep passes whose highest elevation reaches this (deg).")]
SortOpt = Annotated[
    PassSort,
    typer.Option(
        "--sort",
        help="Order of every format: aos (written as the search goes), max-el, duration, key (needs --key), "
        "station, satellite (highest first for max-el, duration, key). Any order but aos collects every pass first.",
    ),
]


def listing(
    min_duration: float | None, min_max_el: float | None, sort: PassSort, utc: bool, tz: str | None, wide: bool, key: bool
) -> Listing:
    """The filters, order and table view, checked."""
    if utc and tz is not None:
        raise InputError("give only one of --utc and --tz")
    if sort is PassSort.key and not key:
        raise InputError("--sort key needs --key (the key comes from the forecast)")
    return Listing(min_duration, min_max_el, sort, "UTC" if utc else tz, wide)


def _query(
    satellites: Sequence[Any], stations: Sequence[Station], t0: datetime, t1: datetime, c: Constraints,
    view: Listing, *, include_all: bool = False, key: bool = False, profile: str | None = None,
    protocol: str | None = None, series_dir: Path | None = None, spread: bool = False,
) -> PassQuery:
    """The library's pass query for these options (messages to stderr, series to
    ``--series-dir``)."""
    from ..query import search_passes

    with as_flags():
        return search_passes(
            satellites, stations, t0, t1, c, min_duration_s=view.min_duration_s,
            min_max_el_deg=view.min_max_el_deg, sort=view.sort, include_excluded=include_all, key=key,
            profile=profile, protocol=protocol, on_warning=warn, on_info=info,
            on_forecast=forecast_hook(series_dir, spread, SPREAD_DRAWS, SPREAD_SEED),
        )


def check_key_options(
    key: bool, profile: str | None, protocol: str | None, series_dir: Path | None, plot: bool = False,
    spread: bool = False,
) -> None:
    """Refuse bad ``--profile``, ``--protocol``, ``--series-dir`` and ``--spread`` before any work."""
    if spread and not key:
        raise InputError("--spread goes with --key (the spread is that of the key forecast)")
    if series_dir is not None and not key:
        raise InputError("--series-dir goes with --key (the series come from the key forecast)")
    if (profile or protocol) and not (key or plot):
        raise InputError("--profile and --protocol go with --key" + (" or --plot" if plot else ""))
    if series_dir is not None:
        check_series_dir(series_dir)
    if profile or protocol:
        from ..forecast.resolve import check_links

        check_links((), profile=profile, protocol=protocol)


def check_receivers(key: bool, profile: str | None, stations: Sequence[Station], satellites: Sequence[Any] = ()) -> None:
    """Under ``--key`` without ``--profile``: every station's receiver (or every satellite's
    profile) names a profile that loads, checked before the search."""
    if not key:
        return
    from ..forecast.resolve import MissingProfileError, check_links

    try:
        check_links(stations, satellites, profile=profile)
    except MissingProfileError as err:
        raise InputError(
            f"station {err.station_id!r} names no receiver profile; give --profile (see `passplan link --list`) "
            "or add receiver = \"...\" to its station table"
        ) from None


def twilight_for(c: Constraints) -> Callable[[Pass], float]:
    """The Sun elevation below which a pass's station counts as dark for the table's ``dark``
    column (:func:`passplan.query.dark_threshold`)."""
    from ..query import dark_threshold

    return dark_threshold(c)


def register(app: typer.Typer) -> None:
    """Add ``passes`` and ``tonight`` to the app (``next``: :mod:`.next_pass`)."""

    @app.command("passes")
    @handle_errors
    def passes_cmd(
        sats: SatsOpt = None,
        stations: StationsFileOpt = None,
        station: StationOpt = None,
        start: StartOpt = None,
        end: EndOpt = None,
        hours: HoursOpt = None,
        days: DaysOpt = None,
        min_el: MinElOpt = None,
        night: NightOpt = None,
        eclipse: EclipseOpt = None,
        min_sun_sep: SunSepOpt = None,
        min_moon_sep: MoonSepOpt = None,
        max_range_km: MaxRangeOpt = None,
        min_duration: MinDurationOpt = None,
        min_max_el: MinMaxElOpt = None,
        sort: SortOpt = PassSort.aos,
        allow_stale: StaleOpt = False,
        include_all: AllOpt = False,
        refraction: RefrOpt = False,
        key: KeyOpt = False,
        profile: ProfileOpt = None,
        protocol: ProtocolOpt = None,
        series_dir: SeriesOpt = None,
        spread: SpreadOpt = False,
        fmt: PassFormatOpt = PassFormat.table,
        creation: CreationDateOpt = None,
        dtstamp: DtstampOpt = None,
        utc: UtcOpt = False,
        tz: TzOpt = None,
        wide: WideOpt = False,
        output: OutputOpt = None,
        verbose: VerboseOpt = False,
        pair: PairOpt = None,
    ) -> None:
        """Passes of satellites over stations in a time window (default: the next 24 h; any
        length: a long campaign streams with a progress bar on stderr).

        Only the constraints asked for apply, on top of the minimum elevation and horizon mask.
        The filters and --sort apply to every format; with --sort aos, CSV, JSON and NDJSON are
        written block by block as the search goes. Table times are in each station's own zone
        unless --utc or --tz. --pair A B lists the windows in which a satellite is usable from
        both stations at once.
        """
        if pair is not None:
            from .pairs import check_pair_options, run_pair

            check_pair_options(pair, station=station, fmt=fmt.value, sort=sort.value, include_all=include_all,
                               min_max_el=min_max_el, series_dir=series_dir, spread=spread, protocol=protocol,
                               utc=utc, tz=tz, wide=wide)
            check_key_options(key, profile, None, None)
            creation_date(creation, dtstamp)
            t0, t1 = _window(start, end, hours, days, 24.0, max_days=None)
            c = _constraints(min_el, night, eclipse, min_sun_sep, min_moon_sep, max_range_km, refraction)
            sts = _stations(list(pair), stations)
            sel = _satellites(sats, t0, allow_stale, verbose)
            run_pair(pair, sel.satellites, sts, t0, t1, c, key=key, profile=profile, min_duration=min_duration,
                     fmt=fmt.value, tz=tz, output=output)
            return
        check_format(fmt, output)
        check_key_options(key, profile, protocol, series_dir, spread=spread)
        view = listing(min_duration, min_max_el, sort, utc, tz, wide, key)
        stamp = creation_date(creation, dtstamp)
        t0, t1 = _window(start, end, hours, days, 24.0, max_days=None)
        c = _constraints(min_el, night, eclipse, min_sun_sep, min_moon_sep, max_range_km, refraction)
        sts = _stations(station, stations)
        check_receivers(key, profile, sts)
        sel = _satellites(sats, t0, allow_stale, verbose)
        check_receivers(key, profile, sts, sel.satellites)
        query = _query(
            sel.satellites, sts, t0, t1, c, view, include_all=include_all, key=key, profile=profile,
            protocol=protocol, series_dir=series_dir, spread=spread,
        )
        if fmt in (PassFormat.parquet, PassFormat.czml):
            write_exported(query, fmt, output)
            return
        run(query, view, fmt=fmt.value, output=output, creation_date=stamp, twilight_deg=twilight_for(c))

    @app.command("tonight")
    @handle_errors
    def tonight_cmd(
        station_id: Annotated[str, typer.Argument(metavar="STATION", help="Station id, e.g. xinglong.")],
        sats: SatsOpt = None,
        stations: StationsFileOpt = None,
        date: DateOpt = None,
        min_el: MinElOpt = None,
        night: TonightNightOpt = None,
        eclipse: EclipseOpt = None,
        min_sun_sep: SunSepOpt = None,
        min_moon_sep: MoonSepOpt = None,
        max_range_km: MaxRangeOpt = None,
        min_duration: MinDurationOpt = None,
        min_max_el: MinMaxElOpt = None,
        sort: SortOpt = PassSort.aos,
        allow_stale: StaleOpt = False,
        include_all: AllOpt = False,
        refraction: RefrOpt = False,
        key: KeyOpt = False,
        profile: ProfileOpt = None,
        protocol: ProtocolOpt = None,
        series_dir: SeriesOpt = None,
        spread: SpreadOpt = False,
        fmt: PassFormatOpt = PassFormat.table,
        creation: CreationDateOpt = None,
        dtstamp: DtstampOpt = None,
        utc: UtcOpt = False,
        tz: TzOpt = None,
        wide: WideOpt = False,
        output: OutputOpt = None,
        plot: Annotated[Path | None, typer.Option("--plot", help="Tonight's sky chart (tracks coloured by key rate, horizon mask): .png, .svg or .pdf.")] = None,
        verbose: VerboseOpt = False,
    ) -> None:
        """Tonight's passes at one station: the whole night (dusk to dawn) that now, or --date,
        falls in, else the next one; the window depends on the local date only."""
        from ..query import tonight_passes

        check_format(fmt, output)
        check_key_options(key, profile, protocol, series_dir, plot=plot is not None, spread=spread)
        view = listing(min_duration, min_max_el, sort, utc, tz, wide, key)
        stamp = creation_date(creation, dtstamp)
        plot_format(plot)  # refuse a bad suffix before any work
        st = _stations([station_id], stations)[0]
        check_receivers(key, profile, [st])
        # the window is the dark interval itself: passes under way at dusk or dawn are partial
        c = _constraints(min_el, Night.any, eclipse, min_sun_sep, min_moon_sep, max_range_km, refraction)
        with as_flags(SATS_PHRASES):
            found = tonight_passes(
                st, _tonight_at(date, st), sats or None, c,
                darkness=None if night in (None, Night.station) else night.value, allow_stale=allow_stale,
                min_duration_s=view.min_duration_s, min_max_el_deg=view.min_max_el_deg, sort=view.sort,
                include_excluded=include_all, key=key, profile=profile, protocol=protocol, on_warning=warn,
                on_info=info, on_forecast=forecast_hook(series_dir, spread, SPREAD_DRAWS, SPREAD_SEED),
            )
        win, query = found.night, found.query
        (info if win.reached else warn)(win.describe(st.timezone))
        report_selection(found.selection, verbose)
        check_receivers(key, profile, [st], found.selection.satellites)
        listed: list[PassRecord] | None = [] if plot is not None else None
        if fmt in (PassFormat.parquet, PassFormat.czml):
            write_exported(query, fmt, output, listed)
        else:
            run(
                query, view, fmt=fmt.value, output=output, creation_date=stamp, keep=listed,
                twilight_deg=lambda p: win.threshold_deg if win.threshold_deg is not None else 0.0,
            )
        if plot is not None and listed is not None:
            _sky_chart(plot, st, win, c, listed, profile, protocol)


def _tonight_at(date: str | None, st: Station) -> datetime:
    """The instant ``--date`` names: local noon of a bare date, an ISO time, or now."""
    if date is None:
        return parse_time("now")
    if len(date.strip()) == 10:
        try:
            day = datetime.fromisoformat(date.strip()).date()
        except ValueError:
            raise InputError(f"--date {date!r} is not a date; use YYYY-MM-DD or an ISO time with zone") from None
        return datetime.combine(day, time(12, 0), tzinfo=zone(st.timezone))
    return parse_time(date, "--date")
