"""``passplan stations list|show``."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import (
    FormatOpt,
    OneFormatOpt,
    OutputFormat,
    OutputOpt,
    StationFilesOpt,
    TableFormat,
    emit,
    handle_errors,
)

__all__ = ["register"]

#: Columns written with every digit in CSV (a station moved by 10 m is another station).
_EXACT = ("lat_deg", "lon_deg", "alt_m")


def register(app: typer.Typer) -> None:
    """Add the ``stations`` group to the app."""
    group = typer.Typer(help="Ground stations: bundled ones and your own TOML files.", no_args_is_help=True)
    app.add_typer(group, name="stations")

    @group.command("list")
    @handle_errors
    def list_cmd(
        stations: StationFilesOpt = None,
        fmt: FormatOpt = OutputFormat.table,
        output: OutputOpt = None,
    ) -> None:
        """Every known station (bundled, then your files' additions and overrides)."""
        from ..io import to_table
        from ..stations import load_stations

        sts = list(load_stations(stations or ()).values())

        def table() -> str:
            rows = [
                [s.id, f"{s.lat_deg:.4f}", f"{s.lon_deg:.4f}", f"{s.alt_m:.0f}", s.timezone,
                 f"{s.min_elevation_deg:g}", "yes" if s.horizon_mask else "no", str(s.twilight),
                 s.receiver or "", s.kind, s.name]
                for s in sts
            ]
            header = ["id", "lat_deg", "lon_deg", "alt_m", "timezone", "min_el", "mask", "twilight", "receiver", "kind", "name"]
            return to_table(rows, header, align="lrrrlllllll")

        recs = [s.to_dict() for s in sts]
        if fmt is OutputFormat.csv:  # CSV floats have six digits: keep coordinates exact
            recs = [{**r, **{k: repr(float(r[k])) for k in _EXACT}} for r in recs]
        emit(recs, fmt, table, output)

    @group.command("show")
    @handle_errors
    def show_cmd(
        station_id: Annotated[str, typer.Argument(metavar="STATION", help="Station id.")],
        stations: StationFilesOpt = None,
        fmt: OneFormatOpt = TableFormat.table,
        output: OutputOpt = None,
    ) -> None:
        """One station in full."""
        from ..stations import get_station

        rec = get_station(station_id, stations or ()).to_dict()

        def table() -> str:
            width = max(len(k) for k in rec)
            return "".join(f"{k.ljust(width)}  {v if v is not None else '-'}\n" for k, v in rec.items())

        emit(rec, fmt, table, output)
