"""``passplan constellation`` (design fleets as the TOML every --sats accepts, and describe them)
and ``passplan coverage`` (what a fleet delivers over a latitude/longitude grid)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import InputError
from ..times import parse_time
from .common import (
    OutputFormat,
    OutputOpt,
    TableFormat,
    emit,
    handle_errors,
    info,
    plot_format,
    write_plot,
    write_text,
)
from .flags import as_flags

if TYPE_CHECKING:
    from ..coverage import Grid
    from ..coverage.region import Region

constellation_app = typer.Typer(
    name="constellation",
    help="Design LEO, MEO and GEO fleets (TOML for --sats) and describe them.",
    no_args_is_help=True,
)

NameOpt = Annotated[str | None, typer.Option("--name", help="Name of the fleet and prefix of its satellites.")]
ProfileNameOpt = Annotated[str | None, typer.Option("--profile", help="Link profile of the satellites' terminal (passplan link --list).")]
FileOutOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write the TOML here (atomically); default stdout.")]

#: The design functions' parameters and the options that set them.




@constellation_app.command("walker")
@handle_errors
def walker_cmd(
    altitude_km: Annotated[float | None, typer.Option("--altitude-km", help="Circular orbit altitude (km).")] = None,
    inclination_deg: Annotated[float | None, typer.Option("--inclination-deg", help="Inclination (deg).")] = None,
    total: Annotated[int | None, typer.Option("--total", help="T: satellites in all.")] = None,
    planes: Annotated[int | None, typer.Option("--planes", help="P: orbit planes.")] = None,
    phasing: Annotated[int | None, typer.Option("--phasing", help="F: relative phasing, 0..P-1.")] = None,
    notation: Annotated[str | None, typer.Option("--notation", help="Walker notation i:T/P/F instead of the four options.")] = None,
    star: Annotated[bool, typer.Option("--star", help="Walker star: planes spread over 180 deg of node (polar fleets) instead of 360.")] = False,
    name: NameOpt = None,
    profile: ProfileNameOpt = None,
    output: FileOutOpt = None,
) -> None:
    """A Walker delta (or star) constellation: T satellites in P planes, phasing F."""
    from ..designed import design_walker, parse_walker_notation

    if notation is not None:
        if any(v is not None for v in (inclination_deg, total, planes, phasing)):
            raise InputError("give --notation or the separate --inclination-deg/--total/--planes/--phasing, not both")
        inclination_deg, total, planes, phasing = parse_walker_notation(notation, "--notation")
    missing = [n for n, v in (("--altitude-km", altitude_km), ("--inclination-deg", inclination_deg),
                              ("--total", total), ("--planes", planes)) if v is None]
    if missing:
        raise InputError(f"missing {', '.join(missing)} (or --notation i:T/P/F)")
    assert altitude_km is not None and inclination_deg is not None and total is not None and planes is not None
    with as_flags():
        design = design_walker(altitude_km, inclination_deg, total, planes, phasing or 0, star=star, name=name,
                               profile=profile)
    write_text(design.to_toml(), output, say_wrote=True)


@constellation_app.command("sso")
@handle_errors
def sso_cmd(
    altitude_km: Annotated[float, typer.Option("--altitude-km", help="Circular orbit altitude (km); the inclination follows from J2.")],
    ltan: Annotated[str, typer.Option("--ltan", help="Local time of the ascending node of the first plane, HH:MM.")],
    planes: Annotated[int, typer.Option("--planes", help="Orbit planes.")] = 1,
    per_plane: Annotated[int, typer.Option("--per-plane", help="Satellites per plane.")] = 1,
    phasing: Annotated[int, typer.Option("--phasing", help="Walker phasing F, 0..P-1.")] = 0,
    raan_spread_deg: Annotated[float, typer.Option("--raan-spread-deg", help="Node spread over all planes (deg; 360 spreads them around the day).")] = 360.0,
    name: NameOpt = None,
    profile: ProfileNameOpt = None,
    output: FileOutOpt = None,
) -> None:
    """Sun-synchronous planes at a local time of the ascending node (Micius and Jinan-1 style)."""
    from ..designed import design_sso

    with as_flags():
        design = design_sso(altitude_km, ltan, planes, per_plane, phasing, raan_spread_deg, name=name, profile=profile)
    write_text(design.to_toml(), output, say_wrote=True)


@constellation_app.command("meo")
@handle_errors
def meo_cmd(
    altitude_km: Annotated[float, typer.Option("--altitude-km", help="Circular orbit altitude (km), e.g. 10000.")],
    inclination_deg: Annotated[float, typer.Option("--inclination-deg", help="Inclination (deg).")],
    planes: Annotated[int, typer.Option("--planes", help="Orbit planes.")] = 1,
    per_plane: Annotated[int, typer.Option("--per-plane", help="Satellites per plane.")] = 1,
    phasing: Annotated[int, typer.Option("--phasing", help="Walker phasing F, 0..P-1.")] = 0,
    name: NameOpt = None,
    profile: ProfileNameOpt = "meo-generic",
    output: FileOutOpt = None,
) -> None:
    """A MEO ring (or rings): satellites that stay in view for hours."""
    from ..designed import design_meo

    with as_flags():
        design = design_meo(altitude_km, inclination_deg, planes, per_plane, phasing, name=name, profile=profile)
    write_text(design.to_toml(), output, say_wrote=True)


@constellation_app.command("geo")
@handle_errors
def geo_cmd(
    longitude_deg: Annotated[list[float], typer.Option("--longitude-deg", help="A GEO slot's longitude (deg east); repeatable.")],
    name: NameOpt = None,
    profile: ProfileNameOpt = "geo-generic",
    output: FileOutOpt = None,
) -> None:
    """Geostationary slots by longitude (always in view of their footprint)."""
    from ..designed import design_geo

    with as_flags():
        design = design_geo(longitude_deg, name=name, profile=profile)
    write_text(design.to_toml(), output, say_wrote=True)


@constellation_app.command("show")
@handle_errors
def show_cmd(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Constellation TOML.")],
    min_el: Annotated[float, typer.Option("--min-el", help="Minimum elevation for the footprint (deg).")] = 10.0,
    at: Annotated[str | None, typer.Option("--at", help="Epoch of the designed orbits (ISO time with zone; default now).")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.table,
    output: OutputOpt = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Ground tracks with footprint circles at --at: .png, .svg or .pdf.")] = None,
    hours: Annotated[float, typer.Option("--hours", help="With --plot: hours of ground track to draw.")] = 1.6,
) -> None:
    """The orbits of a fleet: period, altitude, inclination, node, phasing, footprint radius."""
    from ..coverage import fleet_orbits
    from ..designed import load_constellation

    if not -5.0 <= min_el < 90.0:
        raise InputError(f"--min-el {min_el:g} is outside [-5, 90)")
    if not 0 < hours <= 48:
        raise InputError(f"--hours {hours:g}: give 0 to 48 hours of ground track")
    plot_format(plot)
    t = parse_time(at or "now", "--at")
    sats = load_constellation(file, t)
    if plot is not None:
        from .fleet_views import ground_tracks

        ground_tracks(plot, sats, t, hours, min_el, file)
    recs = fleet_orbits(sats, min_el)

    def table() -> str:
        from ..io import to_table

        rows = [[r["satellite"], f"{r['period_min']:.1f}", f"{r['altitude_km']:.0f}", f"{r['inclination_deg']:.2f}",
                 f"{r['raan_deg']:.1f}", f"{r['arg_latitude_deg']:.1f}", f"{r['footprint_radius_km']:.0f}", r["profile"] or ""]
                for r in recs]
        return to_table(rows, ["satellite", "period_min", "alt_km", "incl_deg", "raan_deg", "arg_lat_deg",
                               f"footprint_km@{min_el:g}", "profile"], align="lrrrrrrl")

    emit(recs, fmt, table, output)


#: The coverage study's parameters and the options that set them.
COVERAGE_PHRASES = {
    "darkness '": "--night '",
    "sample_days spreads": "--sample-days spreads",
    "a coarser step_deg, a smaller region, fewer workers": "a coarser --grid-deg, a --region, fewer --workers",
    "a finer step_deg or a larger region": "a finer --grid-deg or a larger --region",
    "Dask cluster (scheduler)": "Dask cluster (--scheduler)",
    "give either workers (a local process pool) or scheduler (a Dask cluster)":
        "give either --workers (a local process pool) or --scheduler (a Dask cluster)",
    "scheduler needs Dask": "--scheduler needs Dask",
    "or use workers=N": "or use --workers N",
    "run locally with workers=N": "run locally with --workers N",
}


class CoverageFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    geojson = "geojson"  # one polygon per kept cell (passplan.exports.geojson)
    netcdf = "netcdf"  # CF-1.8 gridded file, needs -o FILE (passplan.exports.gridded)


def _coverage_region(region: str | None, step_deg: float) -> tuple[Region | None, Grid]:
    """``--region``: a LAT0,LAT1,LON0,LON1 box (the grid's extent) or a GeoJSON polygon file
    (its cells kept, on the grid fitted to its bounds); returns (region or None, grid)."""
    from ..coverage import Grid, parse_region

    if region is not None and (Path(region).exists() or region.lower().endswith((".geojson", ".json"))):
        from ..coverage.region import load_region

        reg = load_region(region)
        return reg, reg.bounds_grid(step_deg)
    return None, Grid.over(step_deg, None if region is None else parse_region(region, "--region"))


def _station_rows(
    sats: list[str], ids: list[str] | None, files: list[Path] | None, profile: str | None, telescopes: int | None,
    start: str | None, days: float, sample_days: int | None, min_el: float | None, night: str | None, eclipse: bool | None,
    min_sun_sep: float | None, step_s: float, workers: int | None, scheduler: str | None, allow_stale: bool,
    fmt: CoverageFormat, output: Path | None, grid_only: dict[str, Any],
) -> None:
    """``coverage --stations``: every metric at named stations (one row each)."""
    from ..coverage import CoverageConstraints, coverage_at_stations
    from ..elements import resolve_satellites
    from ..stations import select_stations
    from .fleet_views import check_profile

    for flag, value in grid_only.items():
        if value is not None:
            raise InputError(f"{flag} is for grid studies; station rows (--stations/--station) take none")
    if fmt in (CoverageFormat.geojson, CoverageFormat.netcdf):
        raise InputError(f"--format {fmt.value} is for grid studies; station rows use table, csv or json")
    check_profile(profile)
    stations = select_stations(ids or (), files or ())
    t0 = parse_time(start or "now", "--start")
    with as_flags(COVERAGE_PHRASES):
        c = CoverageConstraints(min_elevation_deg=10.0 if min_el is None else min_el, darkness=night, eclipse=eclipse,
                                min_sun_sep_deg=min_sun_sep)
    sel = resolve_satellites(sats, t0, allow_stale)
    for w in sel.warnings:
        info(f"passplan: warning: {w}")
    with as_flags(COVERAGE_PHRASES):
        res = coverage_at_stations(sel.satellites, stations, t0, days, sample_days=sample_days, constraints=c,
                                   min_elevation_deg=min_el, step_s=step_s, workers=workers, scheduler=scheduler, profile=profile,
                                   telescopes=telescopes)
    records = res.records()
    if fmt is CoverageFormat.csv:
        emit(records, OutputFormat.csv, lambda: "", output)
        return

    def table() -> str:
        from ..io import to_table

        cols = list(records[0])
        rows = [["" if r[k] is None else (f"{r[k]:.3f}" if isinstance(r[k], float) else r[k]) for k in cols]
                for r in records]
        head = (f"{len(records)} station{'' if len(records) == 1 else 's'}, {len(sel.satellites)} satellite{'' if len(sel.satellites) == 1 else 's'}, "
                f"{res.days:g} day{'' if res.days == 1 else 's'} (step {step_s:g} s):\n")
        return head + to_table(rows, cols, align="l" + "r" * (len(cols) - 1))

    emit(res.to_document(), TableFormat(fmt.value), table, output)


def register(app: typer.Typer) -> None:
    """Add ``constellation`` and ``coverage`` to the app."""
    app.add_typer(constellation_app)

    @app.command("coverage")
    @handle_errors
    def coverage_cmd(
        sats: Annotated[list[str] | None, typer.Option("--sats", help="Satellites: a constellation TOML, element file or bundled name (repeatable).")] = None,
        compare: Annotated[list[str] | None, typer.Option("--compare", help="Comparison mode: a fleet (TOML, element file or bundled name) to set beside the others at --station (repeatable).")] = None,
        station: Annotated[list[str] | None, typer.Option("--station", help="With --compare: a station to compare the fleets at (repeatable).")] = None,
        profile: Annotated[str | None, typer.Option("--profile", help="Link profile for key per day where a satellite names none of its own (grid: adds key_bits_per_day; --compare: default the station's receiver).")] = None,
        grid_deg: Annotated[float, typer.Option("--grid-deg", help="Grid step (deg); must divide the region.")] = 5.0,
        region: Annotated[str | None, typer.Option("--region", help="LAT0,LAT1,LON0,LON1 (deg), or a GeoJSON Polygon/MultiPolygon file (cells whose centre lies inside are kept); default the whole Earth.")] = None,
        land_only: Annotated[bool, typer.Option("--land-only", help="Keep only cells whose centre is on land (bundled Natural Earth 1:110m); means over those cells.")] = False,
        start: Annotated[str | None, typer.Option("--start", help="Start, ISO time with zone (default now).")] = None,
        days: Annotated[float, typer.Option("--days", help="Days to study.")] = 1.0,
        sample_days: Annotated[int | None, typer.Option("--sample-days", help="Instead of consecutive days: K single days spread over a year.")] = None,
        min_el: Annotated[float | None, typer.Option("--min-el", help="Minimum elevation (deg; default 10; at --stations/--station rows each station's own unless given).")] = None,
        night: Annotated[str | None, typer.Option("--night", help="Require darkness at the cell: civil, nautical, astronomical or a Sun elevation (deg).")] = None,
        eclipse: Annotated[bool | None, typer.Option("--eclipse/--no-eclipse", help="Require the satellite in Earth shadow (or sunlit).")] = None,
        min_sun_sep: Annotated[float | None, typer.Option("--min-sun-sep", help="Minimum Sun separation from the line of sight (deg).")] = None,
        step_s: Annotated[float, typer.Option("--step-s", help="Sampling step (s); divides a day.")] = 30.0,
        workers: Annotated[int | None, typer.Option("--workers", help="Run on a local process pool of N processes.")] = None,
        scheduler: Annotated[str | None, typer.Option("--scheduler", help="A Dask scheduler (tcp://host:port), or 'local' for a LocalCluster on 127.0.0.1.")] = None,
        allow_stale: Annotated[bool, typer.Option("--allow-stale", help="Use element sets older than 30 days.")] = False,
        fmt: Annotated[CoverageFormat, typer.Option("--format", help="Output format (geojson: a polygon per cell; netcdf: a CF-1.8 grid, needs --output).")] = CoverageFormat.table,
        output: OutputOpt = None,
        plot: Annotated[Path | None, typer.Option("--plot", help="A map of --plot-metric: .png, .svg or .pdf.")] = None,
        plot_metric: Annotated[str, typer.Option("--plot-metric", help="The metric to map (and, with --zonal-plot, to average along latitude).")] = "usable_min_per_day",
        zonal_plot: Annotated[Path | None, typer.Option("--zonal-plot", help="Zonal (along-latitude) means of --plot-metric: .png, .svg or .pdf.")] = None,
        pair_with: Annotated[str | None, typer.Option("--pair-with", metavar="STATION", help="Joint visibility: a sample is usable only while the satellite is also usable from this station as passes --pair holds it (its floor, or --min-el when given, raised by its horizon mask; with --night and --min-sun-sep the same rules there); usable minutes become joint minutes.")] = None,
        telescopes: Annotated[int | None, typer.Option("--telescopes", help="With --profile: also the key per day of a station with N telescopes (tracks N satellites at once; exact interval schedule), beside the unlimited key_bits_per_day. Default: unlimited only.")] = None,
        stations_files: Annotated[list[Path] | None, typer.Option("--stations", help="Station rows instead of a grid: every station in this TOML (merged over the bundled ones); with --station, those ids. Repeatable.")] = None,
        pair_stations: Annotated[list[Path] | None, typer.Option("--pair-stations", help="A station TOML merged over the bundled stations in which --pair-with is looked up (a portable or new station). Repeatable.")] = None,
    ) -> None:
        """Per cell of a latitude/longitude grid: passes, access and usable minutes per day, gaps
        between usable accesses and the day/night split; area-weighted means in the summary.
        With --compare and --station: fleets side by side (passes, pass length, usable hours,
        key per day, longest gap) in one table and one figure. With --profile, each cell also
        gets key_bits_per_day (clear-sky), from a key table built once from the forecast chain;
        with --telescopes N also the key a station with N telescopes takes. With --stations
        (or --station without --compare): the same metrics at named stations, one row each."""
        from ..coverage import METRICS, CoverageConstraints, coverage
        from ..elements import resolve_satellites

        floor = 10.0 if min_el is None else min_el  # a grid study's floor (station rows: each station's own)
        if compare:
            if fmt in (CoverageFormat.geojson, CoverageFormat.netcdf) or land_only:
                what = "--land-only" if land_only else f"--format {fmt.value}"
                raise InputError(f"{what} is for grid studies (--sats), not --compare; use table, csv or json")
            from .fleet_views import compare as compare_mode

            compare_mode(compare, station, start, days, floor, night, eclipse, min_sun_sep, allow_stale, profile,
                     fmt, output, plot)
            return
        if not sats:
            raise InputError("give --sats (a grid study) or --compare with --station (fleets side by side)")
        if telescopes is not None:
            if telescopes < 1:
                raise InputError(f"--telescopes {telescopes}: give a whole number of telescopes >= 1 (leave it out: unlimited)")
            if profile is None:
                raise InputError("--telescopes needs --profile (the link profile of the key per day)")
        if stations_files or station:
            _station_rows(sats, station, stations_files, profile, telescopes, start, days, sample_days, min_el, night,
                          eclipse, min_sun_sep, step_s, workers, scheduler, allow_stale, fmt, output,
                          {"--region": region, "--land-only": land_only or None, "--plot": plot,
                           "--zonal-plot": zonal_plot, "--pair-with": pair_with,
                           "--pair-stations": pair_stations or None})
            return
        partner = None
        if pair_stations and pair_with is None:
            raise InputError("--pair-stations names the file --pair-with looks its station up in; give --pair-with STATION too")
        if pair_with is not None:  # joint visibility with one station (issue 19)
            if profile is not None:
                raise InputError("--pair-with does not go with --profile (the key per day is that of single downlinks)")
            from ..stations import select_stations

            partner = select_stations([pair_with], list(pair_stations or ()))[0]
            if min_el is not None:  # as passes --pair --min-el: one floor at both ends
                import dataclasses

                partner = dataclasses.replace(partner, min_elevation_deg=min_el)
        if plot_format(plot) is not None or plot_format(zonal_plot) is not None:
            if plot_metric not in METRICS:
                raise InputError(f"--plot-metric {plot_metric!r}: choose one of {', '.join(METRICS)}")
            if plot_metric == "key_bits_per_day" and profile is None:
                raise InputError("--plot-metric key_bits_per_day needs --profile (the link profile of the key)")
        from .fleet_views import check_profile

        check_profile(profile)
        if fmt is CoverageFormat.netcdf:
            if output is None or str(output) == "-":
                raise InputError("--format netcdf writes a binary file: give --output FILE.nc")
            from ..exports.gridded import require_netcdf

            require_netcdf()
        t0 = parse_time(start or "now", "--start")
        with as_flags(COVERAGE_PHRASES):
            area, grid = _coverage_region(region, grid_deg)
            if land_only:
                from ..coverage.region import require_shapely

                require_shapely()
            c = CoverageConstraints(min_elevation_deg=floor, darkness=night, eclipse=eclipse, min_sun_sep_deg=min_sun_sep,
                                    pair_with=partner)
        sel = resolve_satellites(sats, t0, allow_stale)
        for w in sel.warnings:
            info(f"passplan: warning: {w}")

        def progress(done: int, total: int) -> None:
            if total > 1 and (done == total or done % max(1, total // 10) == 0):
                info(f"coverage: {done}/{total} chunks")

        with as_flags(COVERAGE_PHRASES):
            res = coverage(sel.satellites, grid, t0, days, sample_days=sample_days, constraints=c, step_s=step_s,
                           workers=workers, scheduler=scheduler, progress=progress, profile=profile,
                           region=area, land_only=land_only, telescopes=telescopes)
        summary = res.summary()
        title = f"{plot_metric} ({len(sel.satellites)} satellites, {res.days:g} day{'' if res.days == 1 else 's'}, min el {floor:g} deg)"
        if plot is not None:
            from ..plot.maps import plot_grid_map

            v = res.gridded(plot_metric)
            write_plot(
                plot,
                lambda f: plot_grid_map(grid.lat_centres(), grid.lon_centres(), v, title=title, label=plot_metric, fmt=f),
            )
        if zonal_plot is not None:
            from .fleet_views import zonal_plot as draw_zonal

            draw_zonal(zonal_plot, res, plot_metric, title)
        if fmt is CoverageFormat.csv:
            emit(res.to_records(), OutputFormat.csv, lambda: "", output)
            return
        if fmt is CoverageFormat.geojson:
            write_text(res.to_geojson(), output, say_wrote=True)
            return
        if fmt is CoverageFormat.netcdf:
            from ..exports.gridded import write_netcdf

            assert output is not None
            write_netcdf(res, output)
            info(f"wrote {output}")
            return

        def table() -> str:
            from ..io import to_table

            aw = summary["area_weighted"]
            rows = [[k, "" if v is None else f"{v:.3f}"] for k, v in aw.items()]
            kept = f" ({summary['kept_cells']} kept: {summary['region']})" if "kept_cells" in summary else ""
            head = (f"{summary['cells']} cells of {grid_deg:g} deg{kept}, {len(sel.satellites)} satellites, {res.days:g} day{'' if res.days == 1 else 's'} "
                    f"(step {step_s:g} s); area-weighted means:\n")
            return head + to_table(rows, ["metric", "area-weighted mean"], align="lr")

        emit(res.to_document(), TableFormat(fmt.value), table, output)
