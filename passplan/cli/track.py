"""``passplan track``: one pass second by second (pointing, link, key rate), or its state vectors
as a CCSDS OEM, for a telescope mount or another tool."""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InputError
from ..times import iso_z, parse_time
from .common import (
    OutputFormat,
    OutputOpt,
    StaleOpt,
    StationFilesOpt,
    emit,
    handle_errors,
    info,
    plot_format,
    report_selection,
    write_plot,
    write_text,
)
from .flags import CreationDateOpt, creation_date
from .passes import ProfileOpt, ProtocolOpt, _stations


class TrackFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    oem = "oem"


def _object_id(sat: Any) -> str:
    """CCSDS OBJECT_ID: the international designator (YYYY-NNNP) when the element set has one."""
    d = str(getattr(sat.satrec, "intldesg", "") or "").strip()
    if len(d) >= 5 and d[:2].isdigit():
        yy = int(d[:2])
        return f"{1900 + yy if yy >= 57 else 2000 + yy}-{d[2:]}"
    return str(sat.norad_id) if sat.norad_id is not None else sat.name


def register(app: typer.Typer) -> None:
    """Add ``track`` to the app."""

    @app.command("track")
    @handle_errors
    def track_cmd(
        satellite: Annotated[str, typer.Argument(metavar="SATELLITE", help="One satellite: a name, catalogue number or element file.")],
        station: Annotated[str, typer.Option("--station", help="Station id.")],
        at: Annotated[str | None, typer.Option("--at", help="A time with zone: the pass under way then, else the next one.")] = None,
        pass_uid: Annotated[str | None, typer.Option("--pass", help="A pass uid, as `passes` and `schedule` print it.")] = None,
        step_s: Annotated[float, typer.Option("--step-s", help="Sampling step (s).")] = 1.0,
        stations: StationFilesOpt = None,
        allow_stale: StaleOpt = False,
        profile: ProfileOpt = None,
        protocol: ProtocolOpt = None,
        fmt: Annotated[TrackFormat, typer.Option("--format", help="Output format (oem: CCSDS OEM 2.0 KVN state vectors).")] = TrackFormat.table,
        output: OutputOpt = None,
        plot: Annotated[Path | None, typer.Option("--plot", help="Loss terms and key rate against time: .png, .svg or .pdf.")] = None,
        creation: CreationDateOpt = None,
    ) -> None:
        """The pointing table of one pass per step: UTC, azimuth, elevation, range, range rate,
        Sun separation, loss and key rate; or its state vectors as a CCSDS OEM."""

        from ..elements import resolve_satellites
        from ..track import PassNotFoundError, find_pass_at, find_pass_by_uid, track_pass, uid_aos

        plot_format(plot)
        if not (math.isfinite(step_s) and 0.1 <= step_s <= 60.0):
            raise InputError(f"--step-s {step_s}: give a step between 0.1 and 60 s")
        if (at is None) == (pass_uid is None):
            raise InputError("give --at TIME or --pass UID (one of them)")
        when = parse_time(at, "--at") if at is not None else uid_aos(pass_uid or "")
        st = _stations([station], stations)[0]
        sel = resolve_satellites([satellite], when, allow_stale)
        report_selection(sel)
        if len(sel.satellites) != 1:
            names = ", ".join(s.name for s in sel.satellites[:6])
            raise InputError(f"{satellite!r} names {len(sel.satellites)} satellites ({names}...); name one")
        sat = sel.satellites[0]
        try:
            p = find_pass_by_uid(pass_uid, [sat], [st]) if pass_uid else find_pass_at(sat, st, when)
        except PassNotFoundError as err:
            raise InputError(f"no pass {err.uid} among these satellites and stations; check --sats and --station") from None
        tr = track_pass(p, step_s, profile=profile, protocol=protocol)
        info(f"{p.uid}: {iso_z(p.aos)} to {iso_z(p.los)}, max elevation {p.max_el_deg:.1f} deg, "
             f"finite-key {tr.secret_key_bits:.0f} bits ({tr.profile} / {tr.protocol})")
        if plot is not None:
            from ..plot.track import plot_track

            write_plot(plot, lambda f: plot_track(tr, f))
        if fmt is TrackFormat.oem:
            from ..exports.oem import gcrf_states, oem_text

            pos, vel = gcrf_states(sat.satrec, tr.t)
            text = oem_text(
                sat.name, _object_id(sat), tr.t, pos, vel,
                creation_date=creation_date(creation),
                comments=[f"passplan track: pass {p.uid}, SGP4 states through Skyfield in GCRS (GCRF)"],
            )
            write_text(text, output)
            return
        if fmt is TrackFormat.json:
            emit(tr.to_document(), OutputFormat.json, lambda: "", output)
            return
        recs = tr.to_records()

        def table() -> str:
            from ..io import to_table

            rows = [[r["t_utc"][11:23], f"{r['az_deg']:.2f}", f"{r['el_deg']:.2f}", f"{r['range_km']:.1f}",
                     f"{r['range_rate_km_s']:+.3f}", f"{r['sun_sep_deg']:.1f}",
                     "" if r["loss_db"] is None else f"{r['loss_db']:.2f}", f"{r['key_rate_bps'] / 1e3:.2f}"] for r in recs]
            return to_table(rows, ["UTC", "az_deg", "el_deg", "range_km", "rate_km_s", "sun_sep_deg", "loss_db", "key_kbit_s"],
                            align="lrrrrrrr")

        emit(recs, OutputFormat(fmt.value), table, output)
