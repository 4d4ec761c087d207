"""What ``passplan constellation show --plot`` and ``passplan coverage`` draw and the fleet
comparison mode of ``passplan coverage`` (kept apart from the command definitions in
:mod:`passplan.cli.fleet`)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..times import parse_time
from .common import OutputFormat, emit, plot_format, warn, write_plot

__all__ = ["ground_tracks", "zonal_plot", "compare", "check_profile"]


def check_profile(profile: str | None) -> None:
    """An unknown --profile fails before any work."""
    if profile is not None:
        from ..link.profiles import load_profile

        load_profile(profile)


def ground_tracks(path: Path, sats: list[Any], t: Any, hours: float, min_el: float, file: Path) -> None:
    """Sub-satellite tracks for ``hours`` from ``t`` and each footprint circle at ``t``."""
    from ..coverage.fleet import ground_tracks as tracks_of
    from ..plot.maps import plot_ground_tracks

    tracks, prints = tracks_of(sats, t, hours, min_el)
    title = f"{file.name}: {len(sats)} satellites, {hours:g} h of ground track, footprints at {min_el:g} deg at {t:%Y-%m-%d %H:%M} UTC"
    write_plot(
        path, lambda f: plot_ground_tracks(tracks[:10], prints, title=title, fmt=f),
        " (tracks of the first 10 satellites)" if len(tracks) > 10 else "",
    )


def zonal_plot(path: Path, res: Any, metric: str, title: str) -> None:
    """Zonal means of ``metric`` against latitude; usable time also night-only (the day/night
    split: what a daylight-capable terminal adds)."""
    from ..plot.maps import plot_zonal

    series = {metric: res.zonal(metric)}
    if metric == "usable_min_per_day":
        series["night only (usable_dark_min_per_day)"] = res.zonal("usable_dark_min_per_day")
    lat = res.grid.lat_centres()
    write_plot(path, lambda f: plot_zonal(lat, series, title=f"zonal mean of {title}", label=metric, fmt=f))


def compare(
    fleets: list[str], station: list[str] | None, start: str | None, days: float, min_el: float,
    night: str | None, eclipse: bool | None, min_sun_sep: float | None, allow_stale: bool,
    profile: str | None, fmt: Any, output: Path | None, plot: Path | None,
) -> None:
    from datetime import timedelta

    from ..coverage.compare import compare_fleets
    from ..elements import resolve_satellites
    from ..passes import Constraints
    from ..stations import select_stations
    from .common import progress_bar

    if not station:
        raise InputError("--compare needs --station (the stations to compare the fleets at)")
    plot_format(plot)
    check_profile(profile)
    if not (math.isfinite(days) and 0 < days <= 31):
        raise InputError(f"--days {days:g}: give 0 to 31 days for a comparison")
    t0 = parse_time(start or "now", "--start")
    sts = select_stations(station)
    c = Constraints(
        min_elevation_deg=min_el, darkness=night, eclipse=eclipse, min_sun_sep_deg=min_sun_sep,
    )
    chosen = {}
    for spec in fleets:
        sel = resolve_satellites([spec], t0, allow_stale)
        chosen[Path(spec).stem if spec.endswith(".toml") else spec] = sel.satellites
    with progress_bar("compare") as tick:
        rows = compare_fleets(chosen, sts, t0, t0 + timedelta(days=days), c, profile=profile, tick=tick, on_warning=warn)
    if plot is not None:
        from ..plot.compare import plot_fleet_comparison

        write_plot(plot, lambda f: plot_fleet_comparison(rows, f, f"{days:g} day{'' if days == 1 else 's'} from {t0:%Y-%m-%d}", window_h=days * 24.0))

    def table() -> str:
        from ..io import to_table
        from ..plot.compare import NEVER_VISIBLE

        def f(v: Any, spec: str) -> str:
            return "" if v is None else format(v, spec)

        # a station a fleet never sees: its gap is the whole window, said in words (JSON keeps null)
        body = [[r["fleet"], r["station"], str(r["passes"]), f(r["mean_pass_min"], ".1f"), f(r["usable_h_per_day"], ".2f"),
                 "" if r["key_bits_per_day"] is None else f"{r['key_bits_per_day'] / 1e6:.3f}",
                 NEVER_VISIBLE if r["passes"] == 0 else f(r["longest_gap_h"], ".1f")]
                for r in rows]
        return to_table(body, ["fleet", "station", "passes", "mean_pass_min", "usable_h_day", "key_Mbit_day", "longest_gap_h"],
                        align="llrrrrr")

    emit(rows, OutputFormat(fmt.value), table, output)
