"""``passplan elements list|show|update``: what element sets passplan knows, and fetching new ones."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import InputError
from ..io import to_table
from ..times import iso_z, parse_time
from .common import (
    FormatOpt,
    OneFormatOpt,
    OutputFormat,
    OutputOpt,
    TableFormat,
    emit,
    handle_errors,
    info,
    warn,
)
from .flags import FETCH_PHRASES, as_flags, renamed_option

if TYPE_CHECKING:
    from ..elements import Satellite

__all__ = ["register"]

AtOpt = Annotated[
    str,
    typer.Option("--at", help="Analysis time for ages (ISO-8601 with zone, e.g. 2016-12-19T16:40:00Z, or 'now')."),
]


def _epoch_short(sat: Satellite) -> str:
    return sat.epoch.strftime("%Y-%m-%d %H:%M:%SZ")


_LABELS = [
    ("name", "name", "{}"),
    ("aliases", "aliases", "{}"),
    ("norad_id", "catalogue number", "{}"),
    ("source", "source", "{}"),
    ("epoch_utc", "epoch (UTC)", "{}"),
    ("age_days", "age at --at", "{:.2f} days"),
    ("mean_altitude_km", "mean altitude", "{:.1f} km"),
    ("perigee_altitude_km", "perigee altitude", "{:.1f} km"),
    ("apogee_altitude_km", "apogee altitude", "{:.1f} km"),
    ("period_min", "period", "{:.3f} min"),
    ("nodal_period_min", "nodal period", "{:.3f} min"),
    ("inclination_deg", "inclination", "{:.4f} deg"),
    ("eccentricity", "eccentricity", "{:.7f}"),
    ("raan_deg", "RAAN", "{:.4f} deg"),
    ("arg_perigee_deg", "argument of perigee", "{:.4f} deg"),
    ("mean_anomaly_deg", "mean anomaly", "{:.4f} deg"),
    ("mean_motion_rev_per_day", "mean motion", "{:.8f} rev/day"),
    ("bstar", "B*", "{:.4e} /earth radii"),
]


def _details_text(recs: list[dict[str, Any]]) -> str:
    blocks = []
    width = max(len(label) for _k, label, _f in _LABELS)
    for rec in recs:
        lines = []
        for key, label, fmt in _LABELS:
            v = rec.get(key)
            if v is None or v == [] or v == "":
                continue
            if key == "aliases":
                v = ", ".join(v)
            lines.append(f"{label.ljust(width)}  {fmt.format(v)}")
        if rec.get("designed"):
            lines.append(f"{'kind'.ljust(width)}  designed (built at the analysis time, no drag)")
        if rec.get("other_epochs_utc"):
            lines.append(f"{'other epochs'.ljust(width)}  {', '.join(rec['other_epochs_utc'])}")
        if rec.get("tle"):
            lines += ["", *rec["tle"]]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def register(app: typer.Typer) -> None:
    """Add the ``elements`` command group to the passplan app."""
    el = typer.Typer(
        help="Element sets: list what is bundled or fetched, show one, update from CelesTrak.",
        no_args_is_help=True,
    )

    @el.command("list")
    @handle_errors
    def list_cmd(
        at: AtOpt = "now",
        nearest: Annotated[bool, typer.Option("--nearest", help="Only the element set nearest --at for each satellite.")] = False,
        fmt: FormatOpt = OutputFormat.table,
        output: OutputOpt = None,
    ) -> None:
        """List bundled and fetched element sets (and the demo fleet) with their age at --at."""
        from ..elements import all_element_sets, element_set_record, nearest_epoch, user_data_dir

        when = parse_time(at, "--at")
        warnings: list[str] = []
        sats = all_element_sets(when, warnings)
        for w in warnings:
            warn(w)
        if nearest:
            sats = nearest_epoch(sats, when)
        recs = [element_set_record(s, when) for s in sats]

        def table() -> str:
            rows = [
                [s.name, "" if s.norad_id is None else str(s.norad_id), _epoch_short(s),
                 f"{s.age_days(when):.1f}", s.source]
                for s in sats
            ]
            return to_table(rows, ["name", "norad", "epoch (UTC)", "age d", "source"], "lrlrl")

        emit(recs, fmt, table, output)
        info(f"{len(sats)} element sets; ages at {iso_z(when)}; fetched files in {user_data_dir()}")

    @el.command("show")
    @handle_errors
    def show_cmd(
        name: Annotated[str, typer.Argument(metavar="NAME", help="Satellite or group name, catalogue number, or file.")],
        at: AtOpt = "now",
        fmt: OneFormatOpt = TableFormat.table,
        output: OutputOpt = None,
    ) -> None:
        """Details of the element set nearest --at: epoch, age, altitude, period, inclination."""
        from ..elements import element_set_details, element_sets, nearest_epoch

        when = parse_time(at, "--at")
        notes: list[str] = []
        sets = element_sets(name, when, notes)
        for note in notes:
            warn(note)
        chosen = nearest_epoch(sets, when)
        recs = [element_set_details(s, when, sets) for s in chosen]
        emit(recs, fmt, lambda: _details_text(recs), output)
        if len(chosen) > 1:
            info(f"{name}: {len(chosen)} satellites, each with its element set nearest {iso_z(when)}")

    @el.command("update")
    @handle_errors
    def update_cmd(
        norad: Annotated[list[int] | None, typer.Option("--norad", help="Catalogue number (repeatable).")] = None,
        name: Annotated[list[str] | None, typer.Option("--name", help="Part of an object name (repeatable).")] = None,
        group: Annotated[
            list[str] | None, typer.Option("--group", help="CelesTrak group, e.g. stations, gps-ops, geo (repeatable).")
        ] = None,
        url_base: Annotated[
            str, typer.Option("--url-base", help="GP service root (or a full .../gp.php).")
        ] = "https://celestrak.org",
        output_dir: Annotated[
            Path | None,
            typer.Option("--output-dir", help="Folder to save into (default $PASSPLAN_DATA_DIR or ~/.local/share/passplan/tle)."),
        ] = None,
        out: Annotated[Path | None, typer.Option("--out", hidden=True, help="Renamed --output-dir.")] = None,
        timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for each answer.")] = 30.0,
        fmt: FormatOpt = OutputFormat.table,
    ) -> None:
        """Fetch current element sets (OMM JSON) from CelesTrak's GP service.

        The only passplan command that uses the network.
        """
        from ..fetch import update

        if not 0 < timeout <= 600:
            raise InputError(f"--timeout {timeout:g} is outside (0, 600] seconds; give how long to wait for each answer")
        folder = renamed_option("--output-dir", output_dir, "--out", out)
        with as_flags(FETCH_PHRASES):
            results = update(norad or [], name or [], group or [], url_base=url_base, output_dir=folder, timeout=timeout)
        recs = [r.to_dict() for r in results]
        for r in results:
            info(f"saved {len(r.satellites)} element sets for {r.query} to {r.path}")

        def table() -> str:
            rows = [[r["query"], r["element_sets"], r["newest_epoch_utc"], r["file"]] for r in recs]
            return to_table(rows, ["query", "sets", "newest epoch", "file"], "lrll")

        emit(recs, fmt, table)

    app.add_typer(el, name="elements")
