"""``passplan constellation`` (design fleets as the TOML every --sats accepts, and describe them)
and ``passplan coverage`` (what a fleet delivers over a latitude/longitude grid)."""

from __future__ import annotations

import math
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

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
)

constellation_app = typer.Typer(
    name="constellation",
    help="Design LEO, MEO and GEO fleets (TOML for --sats) and describe them.",
    no_args_is_help=True,
)

NameOpt = Annotated[str | None, typer.Option("--name", help="Name of the fleet and prefix of its satellites.")]
ProfileNameOpt = Annotated[str | None, typer.Option("--profile", help="Link profile of the satellites' terminal (passplan link --list).")]
FileOutOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write the TOML here (atomically); default stdout.")]

_ALT_MIN_KM, _ALT_MAX_KM = 150.0, 50_000.0


def _check_altitude(h: float) -> None:
    if not (math.isfinite(h) and _ALT_MIN_KM <= h <= _ALT_MAX_KM):
        raise InputError(f"--altitude-km {h:g}: give an altitude from {_ALT_MIN_KM:g} to {_ALT_MAX_KM:g} km")


def _check_inclination(i: float) -> None:
    if not (math.isfinite(i) and 0.0 <= i <= 180.0):
        raise InputError(f"--inclination-deg {i:g}: give an inclination from 0 to 180 deg")


def _check_walker(total: int, planes: int, phasing: int) -> None:
    if planes < 1 or total < 1:
        raise InputError(f"a Walker constellation needs at least one plane and one satellite (T={total}, P={planes})")
    if total % planes:
        raise InputError(f"{planes} planes do not divide {total} satellites; choose P dividing T (T/P per plane)")
    if not 0 <= phasing < planes:
        raise InputError(f"phasing F = {phasing} must lie in 0..{planes - 1} (0 <= F < P)")


def parse_notation(text: str) -> tuple[float, int, int, int]:
    """Walker notation ``i:T/P/F`` (inclination deg, total, planes, phasing)."""
    m = re.fullmatch(r"\s*([0-9.]+)\s*:\s*(\d+)\s*/\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not m:
        raise InputError(f"--notation {text!r}: write i:T/P/F, e.g. 53:24/3/1")
    return float(m[1]), int(m[2]), int(m[3]), int(m[4])


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _write(text: str, output: Path | None) -> None:
    from ..io import atomic_write_text

    if output is None or str(output) == "-":
        typer.echo(text, nl=False)
    else:
        atomic_write_text(output, text)
        info(f"wrote {output}")


def _table(kind: str, rows: dict[str, Any]) -> str:
    body = "\n".join(f"{k} = {_toml_str(v) if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else v}" for k, v in rows.items())
    return f"[[{kind}]]\n{body}\n"


def _doc(name: str, description: str, tables: list[str]) -> str:
    head = f"# {description}\n# written by passplan constellation; load with --sats FILE\n\n"
    return head + f"[constellation]\nname = {_toml_str(name)}\ndescription = {_toml_str(description)}\n\n" + "\n".join(tables)


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
    if notation is not None:
        if any(v is not None for v in (inclination_deg, total, planes, phasing)):
            raise InputError("give --notation or the separate --inclination-deg/--total/--planes/--phasing, not both")
        inclination_deg, total, planes, phasing = parse_notation(notation)
    missing = [n for n, v in (("--altitude-km", altitude_km), ("--inclination-deg", inclination_deg),
                              ("--total", total), ("--planes", planes)) if v is None]
    if missing:
        raise InputError(f"missing {', '.join(missing)} (or --notation i:T/P/F)")
    assert altitude_km is not None and inclination_deg is not None and total is not None and planes is not None
    phasing = phasing or 0
    _check_altitude(altitude_km)
    _check_inclination(inclination_deg)
    _check_walker(total, planes, phasing)
    kind = "star" if star else "delta"
    nm = name or f"WALKER-{inclination_deg:g}-{total}-{planes}-{phasing}"
    rows: dict[str, Any] = {
        "name": nm, "altitude_km": float(altitude_km), "inclination_deg": float(inclination_deg), "planes": planes,
        "per_plane": total // planes, "phasing": phasing, "raan_spread_deg": 180.0 if star else 360.0,
    }
    if profile:
        rows["profile"] = profile
    desc = f"Walker {kind} {inclination_deg:g}:{total}/{planes}/{phasing} at {altitude_km:g} km"
    _write(_doc(nm, desc, [_table("walker", rows)]), output)


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
    _check_altitude(altitude_km)
    if not re.fullmatch(r"\d{1,2}:\d{2}", ltan.strip()) or not (0 <= int(ltan.split(":")[0]) < 24 and 0 <= int(ltan.split(":")[1]) < 60):
        raise InputError(f"--ltan {ltan!r}: give a local time HH:MM, e.g. 22:30")
    _check_walker(planes * per_plane, planes, phasing)
    if not (0 < raan_spread_deg <= 360):
        raise InputError(f"--raan-spread-deg {raan_spread_deg:g}: give a spread in (0, 360] deg")
    nm = name or f"SSO-{altitude_km:g}-{ltan.replace(':', '')}"
    rows: dict[str, Any] = {
        "name": nm, "altitude_km": float(altitude_km), "sun_synchronous": True, "ltan_h": ltan.strip(),
        "planes": planes, "per_plane": per_plane, "phasing": phasing, "raan_spread_deg": float(raan_spread_deg),
    }
    if profile:
        rows["profile"] = profile
    _write(_doc(nm, f"{planes} x {per_plane} sun-synchronous at {altitude_km:g} km, LTAN {ltan}", [_table("walker", rows)]), output)


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
    _check_altitude(altitude_km)
    _check_inclination(inclination_deg)
    _check_walker(planes * per_plane, planes, phasing)
    nm = name or f"MEO-{altitude_km:g}"
    rows: dict[str, Any] = {
        "name": nm, "altitude_km": float(altitude_km), "inclination_deg": float(inclination_deg), "planes": planes,
        "per_plane": per_plane, "phasing": phasing, "raan_spread_deg": 360.0,
    }
    if profile:
        rows["profile"] = profile
    _write(_doc(nm, f"MEO {planes} x {per_plane} at {altitude_km:g} km, {inclination_deg:g} deg", [_table("walker", rows)]), output)


@constellation_app.command("geo")
@handle_errors
def geo_cmd(
    longitude_deg: Annotated[list[float], typer.Option("--longitude-deg", help="A GEO slot's longitude (deg east); repeatable.")],
    name: NameOpt = None,
    profile: ProfileNameOpt = "geo-generic",
    output: FileOutOpt = None,
) -> None:
    """Geostationary slots by longitude (always in view of their footprint)."""
    tables = []
    for lon in longitude_deg:
        if not (math.isfinite(lon) and -180.0 <= lon <= 360.0):
            raise InputError(f"--longitude-deg {lon:g}: give a longitude from -180 to 360 deg")
        east = ((lon + 180.0) % 360.0) - 180.0
        rows: dict[str, Any] = {"name": f"GEO-{abs(east):g}{'E' if east >= 0 else 'W'}", "longitude_deg": float(east)}
        if profile:
            rows["profile"] = profile
        tables.append(_table("geo", rows))
    nm = name or "GEO"
    _write(_doc(nm, f"{len(tables)} GEO slot(s) at {', '.join(f'{x:g}' for x in longitude_deg)} deg", tables), output)


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
    from ..coverage import footprint_half_angle_deg
    from ..coverage.grid import R_MEAN_KM
    from ..designed import load_constellation
    from ..elements import orbit_summary

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
    recs = []
    for s in sats:
        o = orbit_summary(s)
        lam = float(footprint_half_angle_deg(o["mean_altitude_km"], min_el))
        recs.append({
            "satellite": s.name,
            "period_min": round(o["period_min"], 3),
            "altitude_km": round(o["mean_altitude_km"], 1),
            "inclination_deg": round(o["inclination_deg"], 3),
            "raan_deg": round(o["raan_deg"], 3),
            "arg_latitude_deg": round((o["arg_perigee_deg"] + o["mean_anomaly_deg"]) % 360.0, 3),
            "footprint_half_angle_deg": round(lam, 3),
            "footprint_radius_km": round(math.radians(lam) * R_MEAN_KM, 1),
            "profile": s.profile,
        })

    def table() -> str:
        from ..io import to_table

        rows = [[r["satellite"], f"{r['period_min']:.1f}", f"{r['altitude_km']:.0f}", f"{r['inclination_deg']:.2f}",
                 f"{r['raan_deg']:.1f}", f"{r['arg_latitude_deg']:.1f}", f"{r['footprint_radius_km']:.0f}", r["profile"] or ""]
                for r in recs]
        return to_table(rows, ["satellite", "period_min", "alt_km", "incl_deg", "raan_deg", "arg_lat_deg",
                               f"footprint_km@{min_el:g}", "profile"], align="lrrrrrrl")

    emit(recs, fmt, table, output)


class CoverageFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


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
        region: Annotated[str | None, typer.Option("--region", help="LAT0,LAT1,LON0,LON1 (deg); default the whole Earth.")] = None,
        start: Annotated[str | None, typer.Option("--start", help="Start, ISO time with zone (default now).")] = None,
        days: Annotated[float, typer.Option("--days", help="Days to study.")] = 1.0,
        sample_days: Annotated[int | None, typer.Option("--sample-days", help="Instead of consecutive days: K single days spread over a year.")] = None,
        min_el: Annotated[float, typer.Option("--min-el", help="Minimum elevation (deg).")] = 10.0,
        night: Annotated[str | None, typer.Option("--night", help="Require darkness at the cell: civil, nautical, astronomical or a Sun elevation (deg).")] = None,
        eclipse: Annotated[bool | None, typer.Option("--eclipse/--no-eclipse", help="Require the satellite in Earth shadow (or sunlit).")] = None,
        min_sun_sep: Annotated[float | None, typer.Option("--min-sun-sep", help="Minimum Sun separation from the line of sight (deg).")] = None,
        step_s: Annotated[float, typer.Option("--step-s", help="Sampling step (s); divides a day.")] = 30.0,
        workers: Annotated[int | None, typer.Option("--workers", help="Run on a local process pool of N processes.")] = None,
        scheduler: Annotated[str | None, typer.Option("--scheduler", help="A Dask scheduler (tcp://host:port), or 'local' for a LocalCluster on 127.0.0.1.")] = None,
        allow_stale: Annotated[bool, typer.Option("--allow-stale", help="Use element sets older than 30 days.")] = False,
        fmt: Annotated[CoverageFormat, typer.Option("--format", help="Output format.")] = CoverageFormat.table,
        output: OutputOpt = None,
        plot: Annotated[Path | None, typer.Option("--plot", help="A map of --plot-metric: .png, .svg or .pdf.")] = None,
        plot_metric: Annotated[str, typer.Option("--plot-metric", help="The metric to map (and, with --zonal-plot, to average along latitude).")] = "usable_min_per_day",
        zonal_plot: Annotated[Path | None, typer.Option("--zonal-plot", help="Zonal (along-latitude) means of --plot-metric: .png, .svg or .pdf.")] = None,
    ) -> None:
        """Per cell of a latitude/longitude grid: passes, access and usable minutes per day, gaps
        between usable accesses and the day/night split; area-weighted means in the summary.
        With --compare and --station: fleets side by side (passes, pass length, usable hours,
        key per day, longest gap) in one table and one figure. With --profile, each cell also
        gets key_bits_per_day (clear-sky), from a key table built once from the forecast chain."""
        from ..coverage import METRICS, CoverageConstraints, Grid, coverage, parse_region
        from ..elements import resolve_satellites
        from ..stations import twilight_angle_deg

        if compare:
            from .fleet_views import compare as compare_mode

            compare_mode(compare, station, start, days, min_el, night, eclipse, min_sun_sep, allow_stale, profile,
                     fmt, output, plot)
            return
        if not sats:
            raise InputError("give --sats (a grid study) or --compare with --station (fleets side by side)")
        if plot_format(plot) is not None or plot_format(zonal_plot) is not None:
            if plot_metric not in METRICS:
                raise InputError(f"--plot-metric {plot_metric!r}: choose one of {', '.join(METRICS)}")
            if plot_metric == "key_bits_per_day" and profile is None:
                raise InputError("--plot-metric key_bits_per_day needs --profile (the link profile of the key)")
        from .fleet_views import check_profile

        check_profile(profile)
        t0 = parse_time(start or "now", "--start")
        lat0, lat1, lon0, lon1 = parse_region(region) if region else (-90.0, 90.0, -180.0, 180.0)
        grid = Grid(grid_deg, lat0, lat1, lon0, lon1)
        if not -5.0 <= min_el < 90.0:
            raise InputError(f"--min-el {min_el:g} is outside [-5, 90)")
        dark = None
        if night is not None:
            try:
                dark = twilight_angle_deg(float(night) if re.fullmatch(r"-?[0-9.]+", night) else night)
            except ValueError as err:
                raise InputError(f"--night {night!r}: {err}") from None
        sel = resolve_satellites(sats, t0, allow_stale)
        for w in sel.warnings:
            info(f"passplan: warning: {w}")
        c = CoverageConstraints(min_elevation_deg=min_el, darkness_deg=dark, eclipse=eclipse, min_sun_sep_deg=min_sun_sep)

        def progress(done: int, total: int) -> None:
            if total > 1 and (done == total or done % max(1, total // 10) == 0):
                info(f"coverage: {done}/{total} chunks")

        res = coverage(sel.satellites, grid, t0, days, sample_days=sample_days, constraints=c, step_s=step_s,
                       workers=workers, scheduler=scheduler, progress=progress, profile=profile)
        summary = res.summary()
        title = f"{plot_metric} ({len(sel.satellites)} satellites, {res.days:g} days, min el {min_el:g} deg)"
        if plot is not None:
            from ..plot.maps import plot_grid_map

            v = res.metrics[plot_metric].reshape(grid.n_lat, grid.n_lon)
            write_plot(
                plot,
                lambda f: plot_grid_map(grid.lat_centres(), grid.lon_centres(), v, title=title, label=plot_metric, fmt=f),
            )
        if zonal_plot is not None:
            from .fleet_views import zonal_plot as draw_zonal

            draw_zonal(zonal_plot, res, plot_metric, title)
        if fmt is CoverageFormat.csv:
            emit(res.records(), OutputFormat.csv, lambda: "", output)
            return

        def table() -> str:
            from ..io import to_table

            aw = summary["area_weighted"]
            rows = [[k, "" if v is None else f"{v:.3f}"] for k, v in aw.items()]
            head = (f"{summary['cells']} cells of {grid_deg:g} deg, {len(sel.satellites)} satellites, {res.days:g} days "
                    f"(step {step_s:g} s); area-weighted means:\n")
            return head + to_table(rows, ["metric", "area-weighted mean"], align="lr")

        doc = {"cells": res.records(), "summary": summary}
        emit(doc, TableFormat(fmt.value), table, output)
