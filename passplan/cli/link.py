"""``passplan link``: the optical link budget for one geometry, a plot against elevation, or the
list of bundled profiles."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InputError
from ..io import to_table
from .common import (
    OutputFormat,
    OutputOpt,
    emit,
    handle_errors,
    info,
    plot_format,
    warn,
    write_plot,
)
from .flags import LINK_PHRASES, as_flags

__all__ = ["register", "link_command"]


def _profiles_table(recs: list[dict[str, Any]]) -> str:
    rows = [
        [r["profile"], r["direction"], f"{r['wavelength_nm']:.1f}", f"{r['orbit_alt_km']:g}", r["description"]]
        for r in recs
    ]
    return to_table(rows, ["profile", "direction", "nm", "orbit_km", "description"], align="lllrl")


def link_command(
    profile: Annotated[
        str | None,
        typer.Option("--profile", "-p", help="Bundled profile name or a profile TOML file."),
    ] = None,
    station: Annotated[
        str | None,
        typer.Option(
            "--station", "-s", help="Ground station id; its altitude sets the atmosphere."
        ),
    ] = None,
    elevation_deg: Annotated[
        float | None,
        typer.Option("--elevation-deg", "-e", help="Elevation of the satellite, (0, 90] deg."),
    ] = None,
    range_km: Annotated[
        float | None,
        typer.Option(
            "--range-km", help="Slant range; default: from the elevation and the profile's orbit."
        ),
    ] = None,
    sun_elevation_deg: Annotated[
        float, typer.Option("--sun-elevation-deg", help="Sun elevation (deg); default -90 (night).")
    ] = -90.0,
    sun_separation_deg: Annotated[
        float,
        typer.Option(
            "--sun-separation-deg", help="Angle between the Sun and the line of sight (deg)."
        ),
    ] = 90.0,
    moon_elevation_deg: Annotated[
        float, typer.Option("--moon-elevation-deg", help="Moon elevation (deg).")
    ] = -90.0,
    moon_separation_deg: Annotated[
        float,
        typer.Option(
            "--moon-separation-deg", help="Angle between the Moon and the line of sight (deg)."
        ),
    ] = 90.0,
    moon_illumination: Annotated[
        float, typer.Option("--moon-illumination", help="Illuminated fraction of the Moon, 0 to 1.")
    ] = 0.0,
    sky: Annotated[
        str | None,
        typer.Option(
            "--sky", help="Night sky class: dark, rural or urban (default: the profile's)."
        ),
    ] = None,
    visibility_km: Annotated[
        float | None,
        typer.Option("--visibility-km", help="Meteorological visibility (default: the profile's)."),
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.table,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            help="Write loss vs elevation and day/night background: .png, .svg or .pdf.",
        ),
    ] = None,
    list_: Annotated[
        bool, typer.Option("--list", help="List the bundled profiles and exit.")
    ] = False,
    sensitivity: Annotated[
        bool,
        typer.Option(
            "--sensitivity",
            help="Rank how much the key of a night pass culminating at --elevation-deg moves for each "
            "assumed or fitted profile parameter at +-its uncertainty; --plot writes the tornado plot.",
        ),
    ] = False,
    output: OutputOpt = None,
) -> None:
    """Optical link budget for one geometry: every loss term in dB, background and r0."""
    from ..forecast.chain import check_link_geometry, link_report
    from ..link.background import SKY_CLASSES
    from ..link.profiles import load_profile

    plot_format(plot)  # refuse a bad suffix before any work
    if list_:
        from ..link.profiles import profile_catalogue

        recs = profile_catalogue()
        emit(recs, fmt, lambda: _profiles_table(recs), output)
        return
    if profile is None:
        raise InputError("--profile is required (see `passplan link --list` for the bundled ones)")
    prof = load_profile(profile)
    site_alt = None
    st = None
    if station is not None:
        from ..stations import get_station

        st = get_station(station)
        site_alt = float(st.alt_m)
        if st.receiver and st.receiver != prof.name:
            info(
                f"note: station {st.id} lists receiver profile {st.receiver!r}; using {prof.name!r}"
            )
    if sky is not None and sky not in SKY_CLASSES:
        from ..errors import UnknownNameError

        raise UnknownNameError("sky class", sky, SKY_CLASSES, "--sky")
    with as_flags(LINK_PHRASES):  # refuse an impossible geometry before any work, in the CLI's words
        check_link_geometry(
            elevation_deg=elevation_deg, range_km=range_km, site_alt_m=prof.site.alt_m if site_alt is None else site_alt,
            sun_elevation_deg=sun_elevation_deg, sun_separation_deg=sun_separation_deg,
            moon_elevation_deg=moon_elevation_deg, moon_separation_deg=moon_separation_deg,
            moon_illumination=moon_illumination, visibility_km=visibility_km,
        )

    if sensitivity:
        fixed = {"--range-km": range_km is not None, "--visibility-km": visibility_km is not None,
                 "--sun-elevation-deg": sun_elevation_deg != -90.0, "--moon-elevation-deg": moon_elevation_deg != -90.0,
                 "--moon-illumination": moon_illumination != 0.0}
        given = [name for name, on in fixed.items() if on]
        if given:
            raise InputError(f"{given[0]} does not go with --sensitivity: its pass is a night pass without the Moon, "
                             "with the ranges of the profile's orbit and the profile's visibility")
        _sensitivity(prof, elevation_deg, site_alt, sky, fmt, plot, output)
        return
    if elevation_deg is None and plot is None:
        raise InputError("--elevation-deg is required (a value in (0, 90])")
    if sun_separation_deg < _SUN_WARN_DEG:
        warn(
            f"--sun-separation-deg {sun_separation_deg:g}: the line of sight is "
            f"{'on' if sun_separation_deg < 0.27 else 'next to'} the Sun (its disc is 0.53 deg wide); "
            "the sky background model does not hold there and the detectors would be blinded"
        )

    if plot is not None:
        from ..link.plot import plot_link_png

        write_plot(plot, lambda f: plot_link_png(prof, site_alt_m=site_alt, sky=sky, fmt=f))
        if elevation_deg is None:
            return
    assert elevation_deg is not None

    out = link_report(
        prof,
        elevation_deg=elevation_deg,
        station=st,
        range_km=range_km,
        sun_elevation_deg=sun_elevation_deg,
        sun_separation_deg=sun_separation_deg,
        moon_elevation_deg=moon_elevation_deg,
        moon_separation_deg=moon_separation_deg,
        moon_illumination=moon_illumination,
        sky=sky,
        visibility_km=visibility_km,
    )
    emit(out, fmt, lambda: _table(out), output)


#: The elevation floor of the night pass of ``--sensitivity`` (deg; assumed, the usual QKD floor).
SENSITIVITY_MIN_ELEVATION_DEG = 10.0


def _sensitivity(prof: Any, elevation_deg: float | None, site_alt: float | None, sky: str | None,
                 fmt: OutputFormat, plot: Path | None, output: Path | None) -> None:
    """``--sensitivity``: :func:`passplan.forecast.spread.sensitivity_at` of a night pass
    culminating at ``--elevation-deg``, as a table (or JSON/CSV) and optionally a tornado plot."""
    from ..forecast.spread import sensitivity_at

    if elevation_deg is None:
        raise InputError("--sensitivity needs --elevation-deg (the maximum elevation of the night pass)")
    lo = SENSITIVITY_MIN_ELEVATION_DEG
    if not (math.isfinite(elevation_deg) and lo < elevation_deg <= 90.0):
        raise InputError(f"--elevation-deg {elevation_deg:g} is outside ({lo:g}, 90]: with --sensitivity it is "
                         f"the culmination of a pass above {lo:g} deg")
    table = sensitivity_at(prof, elevation_deg, sky=sky, site_alt_m=site_alt, min_elevation_deg=lo)
    if plot is not None:
        from ..plot.tornado import plot_tornado

        write_plot(plot, lambda f: plot_tornado(table, fmt=f))
    recs = table.to_records()
    emit(recs, fmt, lambda: _sensitivity_table(table), output)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:+.1f} %"


def _sensitivity_table(table: Any) -> str:
    rows = [
        [r.parameter, r.status, f"{100 * r.uncertainty:.0f} %", _fmt(r.value), _fmt(r.key_low_bits),
         _fmt(r.key_high_bits), _pct(r.to_dict()["change_low"]), _pct(r.to_dict()["change_high"])]
        for r in table.rows
    ]
    head = f"{table.profile} / {table.protocol}, {table.what}: key {table.key_bits:.4g} bits\n"
    return head + to_table(rows, ["parameter", "status", "+-", "value", "key_low", "key_high", "low", "high"],
                           align="lllrrrrr")


#: Sun separations (deg) below which ``link`` warns that the telescope looks at or beside the Sun
#: (the solar disc is about 0.53 deg across; assumed margin of a few discs).
_SUN_WARN_DEG = 2.0


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        if not math.isfinite(v):
            return "-"
        return f"{v:.4g}" if (abs(v) >= 1e-3 or v == 0) and abs(v) < 1e5 else f"{v:.3e}"
    return str(v)


def _table(out: dict[str, Any]) -> str:
    rows = [[k, _fmt(v)] for k, v in out.items()]
    return to_table(rows, ["quantity", "value"], align="lr")


def register(app: typer.Typer) -> None:
    """Add the ``link`` command to the passplan app."""
    app.command(
        "link", help="Optical link budget: loss by term, background and r0 for one geometry."
    )(handle_errors(link_command))
