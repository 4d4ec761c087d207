"""``passplan stations list|show``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..io import to_json, to_table
from ..stations import get_station, load_stations
from .common import OutputFormat, TableFormat, emit, handle_errors

__all__ = ["register"]

FilesOpt = Annotated[
    list[Path] | None,
    typer.Option("--stations", help="A station TOML merged over the bundled stations (repeatable)."),
]


def register(app: typer.Typer) -> None:
    """Add the ``stations`` group to the app."""
    group = typer.Typer(help="Ground stations: bundled ones and your own TOML files.", no_args_is_help=True)
    app.add_typer(group, name="stations")

    @group.command("list")
    @handle_errors
    def list_cmd(
        stations: FilesOpt = None,
        fmt: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.table,
    ) -> None:
        """Every known station (bundled, then your files' additions and overrides)."""
        sts = list(load_stations(stations or ()).values())
        records = [s.to_dict() for s in sts]

        def table() -> str:
            rows = [
                [s.id, f"{s.lat_deg:.4f}", f"{s.lon_deg:.4f}", f"{s.alt_m:.0f}", s.timezone,
                 f"{s.min_elevation_deg:g}", "yes" if s.horizon_mask else "no", str(s.twilight),
                 s.receiver or "", s.kind, s.name]
                for s in sts
            ]
            header = ["id", "lat_deg", "lon_deg", "alt_m", "timezone", "min_el", "mask", "twilight", "receiver", "kind", "name"]
            return to_table(rows, header, align="lrrrllllll" + "l")

        emit(records, fmt, table)

    @group.command("show")
    @handle_errors
    def show_cmd(
        station_id: Annotated[str, typer.Argument(metavar="STATION", help="Station id.")],
        stations: FilesOpt = None,
        fmt: Annotated[TableFormat, typer.Option("--format", help="Output format.")] = TableFormat.table,
    ) -> None:
        """One station in full."""
        st = get_station(station_id, stations or ())
        rec = st.to_dict()
        if fmt is TableFormat.json:
            typer.echo(to_json(rec), nl=False)
        else:
            width = max(len(k) for k in rec)
            for k, v in rec.items():
                typer.echo(f"{k.ljust(width)}  {v if v is not None else '-'}")
