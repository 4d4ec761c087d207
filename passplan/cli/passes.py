"""``passplan passes`` and ``passplan tonight``: which passes, at which station, from which satellite."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, time, timedelta
from enum import StrEnum
from operator import attrgetter
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
    OutputFormat,
    OutputOpt,
    RefrOpt,
    SatsOpt,
    StaleOpt,
    StartOpt,
    StationOpt,
    StationsFileOpt,
    SunSepOpt,
    VerboseOpt,
    emit,
    handle_errors,
    info,
    plot_format,
    progress_bar,
    report_selection,
    warn,
    write_plot,
)

if TYPE_CHECKING:
    from ..elements import Selection
    from ..passes import Constraints, Pass
    from ..stations import Station

__all__ = ["register", "pass_table"]


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
SeriesOpt = Annotated[
    Path | None,
    typer.Option("--series-dir", help="With --key: write each pass's per-slot channel (t_s,eta,background_prob,...) as CSV here."),
]
ProtocolOpt = Annotated[
    str | None,
    typer.Option("--protocol", help="Key protocol for --key: bundled name (micius, jinan1) or TOML (default: the profile's)."),
]


def _window(start: str | None, end: str | None, hours: float | None, days: float | None, default_h: float) -> tuple[datetime, datetime]:
    t0 = parse_time(start or "now", "--start")
    given = [x is not None for x in (end, hours, days)]
    if sum(given) > 1:
        raise InputError("give only one of --end, --hours and --days")
    if end is not None:
        t1 = parse_time(end, "--end")
    elif hours is not None or days is not None:
        length = hours if hours is not None else days * 24.0  # type: ignore[operator]
        if not length > 0:
            raise InputError(f"window length must be positive, got {length:g} h")
        t1 = t0 + timedelta(hours=length)
    else:
        t1 = t0 + timedelta(hours=default_h)
    if t1 <= t0:
        raise InputError(f"--end {iso_z(t1)} is not after --start {iso_z(t0)}; give a later end")
    if (t1 - t0) > timedelta(days=31):
        raise InputError("the window is longer than 31 days; split it into shorter runs")
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


def pass_table(passes: list[Pass], keys: dict[int, Any] | None = None) -> str:
    """A fixed-width table in each station's local time (with key columns when ``keys`` maps
    ``id(pass)`` to its forecast)."""
    from ..io import to_table

    rows: list[list[str]] = []
    for p in passes:
        tz = p.station_ref.timezone if p.station_ref else "UTC"
        flags = []
        if p.partial:
            flags.append("partial")
        if p.cut_start_by and p.cut_start_by != "window":
            flags.append(f"from {p.cut_start_by}")
        if p.cut_end_by and p.cut_end_by != "window":
            flags.append(f"to {p.cut_end_by}")
        if p.excluded_by:
            flags.append(f"EXCLUDED by {p.excluded_by}")
        rows.append(
            [
                p.station,
                p.satellite,
                local_str(p.aos, tz),
                local_str(p.tca, tz)[11:19],
                local_str(p.los, tz)[11:19],
                f"{p.duration_s:.0f}",
                f"{p.max_el_deg:.1f}",
                f"{p.aos_az_deg:.0f}>{p.tca_az_deg:.0f}>{p.los_az_deg:.0f}",
                f"{p.min_range_km:.0f}",
                f"{p.sat_sunlit_fraction:.2f}",
                "yes" if p.station_dark else "no",
                ", ".join(flags),
            ]
        )
        if keys is not None:
            f = keys.get(id(p))
            rows[-1][-1:-1] = (
                [f"{f.key.secret_key_bits / 1000:.1f}", f"{f.link.total_loss_db.min():.1f}", f.key.limiting or ""]
                if f is not None
                else ["", "", ""]
            )
    header = ["station", "satellite", "AOS (local)", "TCA", "LOS", "dur_s", "max_el", "az aos>tca>los", "min_km", "sunlit", "dark", "notes"]
    align = "llllllrlrrll"
    if keys is not None:
        header[-1:-1] = ["key_kbit", "min_loss_db", "key_limit"]
        align = "llllllrlrrlrrll"
    if not rows:
        return "no passes\n"
    return to_table(rows, header, align=align)


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


def _run(
    satellites: Sequence[Any],
    stations: Sequence[Station],
    t0: datetime,
    t1: datetime,
    constraints: Constraints,
    *,
    include_all: bool,
    fmt: PassFormat | OutputFormat,
    output: Path | None,
    key: bool = False,
    profile: str | None = None,
    protocol: str | None = None,
    series_dir: Path | None = None,
    dtstamp: datetime | None = None,
) -> None:
    """Search block by block (``iter_passes``) and write the passes as they are released in
    order; with ``--key``, forecast each released batch first. The table collects every pass."""
    from ..passes import iter_passes, passes_to_records

    if series_dir is not None and not key:
        raise InputError("--series-dir goes with --key (the series come from the key forecast)")
    progress = info if len(satellites) * len(stations) > 200 else None
    table = str(fmt) == "table"
    shown: list[Pass] = []
    forecasts: dict[int, Any] = {}

    def blocks() -> Iterator[list[dict[str, Any]]]:
        n_pairs = len(satellites) * len(stations)
        search = iter_passes(
            satellites, stations, t0, t1, constraints, include_excluded=include_all, progress=progress,
            block_s=_block_seconds(n_pairs),
        )
        for passes in _in_order(search, set(), n_pairs):
            found = _forecast(passes, profile, protocol, series_dir) if key else {}
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

    if str(fmt) == "ics":
        from ..exports.ics import events_from_records, to_ics
        from ..io import atomic_write_text

        records = [r for block in blocks() for r in block if not r.get("excluded_by")]
        text = to_ics(events_from_records(records), dtstamp=dtstamp, name="passplan passes")
        if output is None or str(output) == "-":
            typer.echo(text, nl=False)
        else:
            atomic_write_text(output, text)
        return
    emit(blocks(), OutputFormat(str(fmt)), lambda: pass_table(shown, forecasts if key else None), output)


def _forecast(passes: Sequence[Pass], profile: str | None, protocol: str | None, series_dir: Path | None) -> dict[int, Any]:
    """The key forecast of each usable pass, keyed by ``id(pass)``; the channel series written
    to ``series_dir`` when given."""
    from ..forecast import forecast_pass

    todo = [p for p in passes if not p.excluded]
    if not todo:
        return {}
    info(f"forecasting the key of {len(todo)} pass(es)")
    found = {}
    with progress_bar("key forecasts") as tick:
        for k, p in enumerate(todo):
            found[id(p)] = forecast_pass(p, profile=profile, protocol=protocol)
            tick(k + 1, len(todo), "")
    if series_dir is not None:
        from ..io import atomic_write_text

        if series_dir.exists() and not series_dir.is_dir():
            raise InputError(f"--series-dir {series_dir} is a file; give a folder (it is created if new)")
        series_dir.mkdir(parents=True, exist_ok=True)
        for f in found.values():
            atomic_write_text(series_dir / f.series_name(), f.series_csv())
        info(f"wrote {len(found)} channel series to {series_dir}")
    return found


class PassFormat(StrEnum):
    """``--format`` of pass lists: the shared formats plus iCalendar."""

    table = "table"
    csv = "csv"
    json = "json"
    ndjson = "ndjson"
    ics = "ics"


PassFormatOpt = Annotated[PassFormat, typer.Option("--format", help="Output format (ics: one calendar event per pass, stable UIDs).")]
PassDtstampOpt = Annotated[
    str | None,
    typer.Option("--dtstamp", help="With --format ics: DTSTAMP of every event (ISO time with zone; default now)."),
]
NightOpt = Annotated[Night | None, typer.Option("--night", help="Require station darkness (station: each station's own setting).")]
TonightNightOpt = Annotated[Night | None, typer.Option("--night", help="Darkness setting (default: the station's own).")]
DateOpt = Annotated[
    str | None,
    typer.Option("--date", help="A local date (YYYY-MM-DD: the night starting that evening) or an ISO time with zone; default now."),
]


def _sky_chart(
    path: Path, satellites: Sequence[Any], st: Station, win: Any, c: Constraints,
    profile: str | None, protocol: str | None,
) -> None:
    """Draw tonight's passes on the sky chart, coloured by their forecast key rate where the
    station (or satellite, or --profile) names a link profile."""
    from ..passes import find_passes, sample_pass
    from ..plot.sky import plot_sky
    from ..track import track_pass

    tracks = []
    for p in find_passes(satellites, [st], win.start, win.end, c):
        label = f"{p.satellite} {local_str(p.aos, st.timezone)[11:16]}"
        step = max(1.0, p.duration_s / 300.0)
        try:
            tr = track_pass(p, min(step, 60.0), profile=profile, protocol=protocol)
            tracks.append((label, tr.az_deg, tr.el_deg, tr.key_rate_bps))
        except InputError:
            g = sample_pass(p, step)
            tracks.append((label, g.az_deg, g.el_deg, None))
    floor = c.min_elevation_deg if c.min_elevation_deg is not None else st.min_elevation_deg
    title = f"{st.id}: {local_str(win.start, st.timezone)} to {local_str(win.end, st.timezone)[11:]}, {len(tracks)} passes"
    write_plot(path, lambda f: plot_sky(tracks, title=title, min_elevation_deg=float(floor), mask=st.horizon_mask, fmt=f))


def register(app: typer.Typer) -> None:
    """Add ``passes`` and ``tonight`` to the app."""

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
        allow_stale: StaleOpt = False,
        include_all: AllOpt = False,
        refraction: RefrOpt = False,
        key: KeyOpt = False,
        profile: ProfileOpt = None,
        protocol: ProtocolOpt = None,
        series_dir: SeriesOpt = None,
        fmt: PassFormatOpt = PassFormat.table,
        dtstamp: PassDtstampOpt = None,
        output: OutputOpt = None,
        verbose: VerboseOpt = False,
    ) -> None:
        """Passes of satellites over stations in a time window (default: the next 24 h).

        Only the constraints asked for apply, on top of the minimum elevation and horizon mask.
        CSV, JSON and NDJSON are written day by day as the search goes.
        """
        t0, t1 = _window(start, end, hours, days, 24.0)
        sts = _stations(station, stations)
        sel = _satellites(sats, t0, allow_stale, verbose)
        c = _constraints(min_el, night, eclipse, min_sun_sep, min_moon_sep, max_range_km, refraction)
        _run(
            sel.satellites, sts, t0, t1, c, include_all=include_all, fmt=fmt, output=output,
            dtstamp=parse_time(dtstamp, "--dtstamp") if dtstamp else None,
            key=key, profile=profile, protocol=protocol, series_dir=series_dir,
        )

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
        allow_stale: StaleOpt = False,
        include_all: AllOpt = False,
        refraction: RefrOpt = False,
        key: KeyOpt = False,
        profile: ProfileOpt = None,
        protocol: ProtocolOpt = None,
        series_dir: SeriesOpt = None,
        fmt: PassFormatOpt = PassFormat.table,
        dtstamp: PassDtstampOpt = None,
        output: OutputOpt = None,
        plot: Annotated[Path | None, typer.Option("--plot", help="Tonight's sky chart (tracks coloured by key rate, horizon mask): .png, .svg or .pdf.")] = None,
        verbose: VerboseOpt = False,
    ) -> None:
        """Tonight's passes at one station: from now (or --date) if dark, else from dusk, to dawn."""
        from ..sky import tonight as tonight_window

        st = _stations([station_id], stations)[0]
        if date is None:
            at = parse_time("now")
        elif len(date.strip()) == 10:
            try:
                day = datetime.fromisoformat(date.strip()).date()
            except ValueError:
                raise InputError(f"--date {date!r} is not a date; use YYYY-MM-DD or an ISO time with zone") from None
            at = datetime.combine(day, time(12, 0), tzinfo=zone(st.timezone))
        else:
            at = parse_time(date, "--date")
        setting = None if night in (None, Night.station) else night.value
        win = tonight_window(st, at, setting)
        if win.note:
            warn(win.note)
        info(
            f"{st.id}: dark ({win.setting}) from {local_str(win.start, st.timezone)} "
            f"to {local_str(win.end, st.timezone)}"
        )
        sel = _satellites(sats, win.start, allow_stale, verbose)
        # the window is the dark interval itself: passes under way at dusk or dawn are partial
        c = _constraints(min_el, Night.any, eclipse, min_sun_sep, min_moon_sep, max_range_km, refraction)
        plot_format(plot)  # refuse a bad suffix before any work
        _run(
            sel.satellites, [st], win.start, win.end, c, include_all=include_all, fmt=fmt, output=output,
            dtstamp=parse_time(dtstamp, "--dtstamp") if dtstamp else None,
            key=key, profile=profile, protocol=protocol, series_dir=series_dir,
        )
        if plot is not None:
            _sky_chart(plot, sel.satellites, st, win, c, profile, protocol)
