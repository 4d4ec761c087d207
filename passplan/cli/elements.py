"""``passplan elements list|show|update``: what element sets passplan knows, and fetching new ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ..elements import (
    Satellite,
    all_element_sets,
    element_sets,
    nearest_epoch,
    orbit_summary,
    user_data_dir,
)
from ..errors import InputError
from ..io import to_table
from ..times import iso_z, parse_time
from .common import OutputFormat, TableFormat, emit, handle_errors, info, warn

__all__ = ["register"]

AT_HELP = "Analysis time for ages (ISO-8601 with zone, e.g. 2016-12-19T16:40:00Z, or 'now')."


def _epoch_short(sat: Satellite) -> str:
    return sat.epoch.strftime("%Y-%m-%d %H:%M:%SZ")


def _row(sat: Satellite, at: Any) -> dict[str, Any]:
    return {
        "name": sat.name,
        "norad_id": sat.norad_id,
        "epoch_utc": iso_z(sat.epoch),
        "age_days": round(sat.age_days(at), 3),
        "source": sat.source,
        "designed": sat.designed,
        "aliases": list(sat.aliases),
    }


def _details(sat: Satellite, at: Any, epochs: list[Satellite]) -> dict[str, Any]:
    rec = _row(sat, at)
    rec.update(orbit_summary(sat))
    others = {iso_z(s.epoch) for s in epochs} - {iso_z(sat.epoch)}
    rec["other_epochs_utc"] = sorted(others)
    try:
        from sgp4.exporter import export_tle

        line1, line2 = export_tle(sat.satrec)
        rec["tle"] = [line1, line2] if not sat.designed else None
    except (ValueError, TypeError, AttributeError):
        rec["tle"] = None
    return rec


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
        at: str = typer.Option("now", "--at", help=AT_HELP),
        nearest: bool = typer.Option(
            False, "--nearest", help="Only the element set nearest --at for each satellite."
        ),
        fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
        output: Path | None = typer.Option(None, "--output", "-o", help="Write to a file."),
    ) -> None:
        """List bundled and fetched element sets (and the demo fleet) with their age at --at."""
        when = parse_time(at, "--at")
        warnings: list[str] = []
        sats = all_element_sets(when, warnings)
        for w in warnings:
            warn(w)
        if nearest:
            sats = nearest_epoch(sats, when)
        recs = [_row(s, when) for s in sats]

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
        name: str = typer.Argument(..., help="Satellite or group name, catalogue number, or file."),
        at: str = typer.Option("now", "--at", help=AT_HELP),
        fmt: TableFormat = typer.Option(TableFormat.table, "--format", help="Output format."),
    ) -> None:
        """Details of the element set nearest --at: epoch, age, altitude, period, inclination."""
        when = parse_time(at, "--at")
        sets = element_sets(name, when)
        chosen = nearest_epoch(sets, when)
        recs = [_details(s, when, [x for x in sets if x.key == s.key]) for s in chosen]
        emit(recs, OutputFormat(fmt.value), lambda: _details_text(recs))

    @el.command("update")
    @handle_errors
    def update_cmd(
        norad: list[int] = typer.Option([], "--norad", help="Catalogue number (repeatable)."),
        name: list[str] = typer.Option([], "--name", help="Part of an object name (repeatable)."),
        group: list[str] = typer.Option(
            [], "--group", help="CelesTrak group, e.g. stations, gps-ops, geo (repeatable)."
        ),
        url_base: str = typer.Option(
            "https://celestrak.org", "--url-base", help="GP service root (or a full .../gp.php)."
        ),
        out: Path | None = typer.Option(
            None, "--out", help="Folder to save into (default $PASSPLAN_DATA_DIR or "
            "~/.local/share/passplan/tle)."
        ),
        timeout: float = typer.Option(30.0, "--timeout", help="Seconds to wait for each answer."),
        fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
    ) -> None:
        """Fetch current element sets (OMM JSON) from CelesTrak's GP service.

        The only passplan command that uses the network.
        """
        from ..fetch import update

        if timeout <= 0:
            raise InputError(f"--timeout {timeout:g} must be positive")
        results = update(norad, name, group, url_base=url_base, out_dir=out, timeout=timeout)
        recs = []
        for r in results:
            newest = max(s.epoch for s in r.satellites)
            recs.append(
                {
                    "query": r.query,
                    "file": str(r.path),
                    "element_sets": len(r.satellites),
                    "newest_epoch_utc": iso_z(newest),
                    "satellites": ", ".join(s.name for s in r.satellites[:3])
                    + (" ..." if len(r.satellites) > 3 else ""),
                }
            )
            info(f"saved {len(r.satellites)} element sets for {r.query} to {r.path}")

        def table() -> str:
            rows = [[r["query"], r["element_sets"], r["newest_epoch_utc"], r["file"]] for r in recs]
            return to_table(rows, ["query", "sets", "newest epoch", "file"], "lrll")

        emit(recs, fmt, table)

    app.add_typer(el, name="elements")
