"""The pass table for people (``passplan passes``, ``tonight``, ``next``).

JSON, CSV and NDJSON records are a contract other tools read; this table is only for reading.
What it promises:

- one display zone per column (``--utc``, ``--tz ZONE``, or by default each station's own zone,
  named in the header when all rows share it); TCA and LOS carry their date (``MM-DD``) when
  they fall on another day than AOS in that zone;
- with stations in different zones and the default display, rows are grouped by station (AOS
  order inside each group), so each time column reads in order in the zone shown;
- a continuously visible satellite (GEO, or any window over :data:`CONTINUOUS_S` or spanning the
  whole search) shows its start, end, elevation and one azimuth, no TCA or azimuth sweep, and
  the dark share of its window;
- a start or end set by a constraint rather than the horizon is marked ``*`` (the constraint in
  ``notes``), one set by the search window ``~``;
- units in every header; the key in the unit that keeps it under four digits; a zero key with
  its limiting reason as a short code (``0 qber``; its own ``limit`` column under ``--wide``),
  the sentence in a footer (and in JSON);
- at most 120 columns with ``--key`` for the bundled station and satellite names; ``--wide``
  adds the satellite's sunlit share, range, loss, element age and the long notes.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from ..query import CONTINUOUS_S, PassRecord, dark_fraction, is_continuous
from ..report import LIMIT_CODES, key_unit, limit_code  # the library states them once
from ..times import require_aware, zone

if TYPE_CHECKING:
    from ..passes import Pass

__all__ = ["pass_table", "key_unit", "limit_code", "is_continuous", "CONTINUOUS_S", "LIMIT_CODES"]

CONSTRAINT_MARK = "*"
WINDOW_MARK = "~"



def _key_cell(bits: float, size: float) -> str:
    if bits <= 0:
        return "0"
    v = bits / size
    return f"{v:.1f}" if v >= 0.95 else f"{v:.2g}"


class _Clock:
    """Times of one row in the display zone."""

    def __init__(self, tz_name: str, with_zone: bool):
        self.tz = zone(tz_name)
        self.with_zone = with_zone

    def full(self, t: datetime) -> str:
        local = require_aware(t).astimezone(self.tz)
        text = local.strftime("%Y-%m-%d %H:%M:%S")
        return f"{text} {local.strftime('%Z')}" if self.with_zone else text

    def after(self, t: datetime, ref: datetime) -> str:
        """``HH:MM:SS``, with ``MM-DD`` (or the full date in another year) when ``t`` falls on
        another day than ``ref``."""
        local = require_aware(t).astimezone(self.tz)
        day = require_aware(ref).astimezone(self.tz).date()
        if local.date() == day:
            return local.strftime("%H:%M:%S")
        if local.year == day.year:
            return local.strftime("%m-%d %H:%M:%S")
        return local.strftime("%Y-%m-%d %H:%M:%S")


def _mark(by: str | None) -> str:
    if not by:
        return " "
    return WINDOW_MARK if by == "window" else CONSTRAINT_MARK


def _notes(p: Pass, wide: bool) -> str:
    out = []
    if p.cut_start_by and p.cut_start_by != "window":
        out.append(f"start {p.cut_start_by}")
    if p.cut_end_by and p.cut_end_by != "window":
        out.append(f"end {p.cut_end_by}")
    if wide and p.partial:
        out.append("partial")
    if p.excluded_by:
        out.append(f"EXCLUDED {p.excluded_by}")
    return ", ".join(out)


def _zone_of(p: Pass, tz: str | None) -> str:
    if tz is not None:
        return tz
    return p.station_ref.timezone if p.station_ref is not None else "UTC"


def pass_table(
    passes: Sequence[PassRecord | Pass],
    *,
    key: bool = False,
    tz: str | None = None,
    wide: bool = False,
    search: tuple[datetime, datetime] | None = None,
    twilight_deg: Callable[[Pass], float] | None = None,
    group_mixed_zones: bool = True,
) -> str:
    """The fixed-width table of ``passes`` in their given order (see the module notes).

    ``passes`` are :class:`~passplan.query.PassRecord` objects (or bare passes); ``key`` adds
    the key columns (from each record's forecast, blank without one); ``tz`` is the display
    zone (None: each station's own); ``search`` the searched window (for continuous windows);
    ``twilight_deg(pass)`` the Sun elevation below which its station counts as dark (default
    -12); ``group_mixed_zones`` groups rows by station when their zones differ (for AOS order).
    """
    from ..io import to_table

    if not passes:
        return "no passes\n"
    recs = [r if isinstance(r, PassRecord) else PassRecord(r) for r in passes]
    zones = {_zone_of(r.pass_, tz) for r in recs}
    mixed = len(zones) > 1
    if mixed and group_mixed_zones:
        order = {sid: k for k, sid in enumerate(dict.fromkeys(r.pass_.station for r in recs))}
        recs.sort(key=lambda r: order[r.pass_.station])  # stable: AOS order inside each station
    clocks = {z: _Clock(z, with_zone=mixed or wide) for z in zones}
    key_bits = [r.forecast.key.secret_key_bits for r in recs if r.forecast is not None] if key else []
    unit, size = key_unit(max(key_bits, default=0.0))
    marks: set[str] = set()
    codes: dict[str, str] = {}
    continuous_seen = False
    rows: list[list[str]] = []
    for r in recs:
        p = r.pass_
        clock = clocks[_zone_of(p, tz)]
        start_mark, end_mark = _mark(p.cut_start_by), _mark(p.cut_end_by)
        marks.update(m for m in (start_mark, end_mark) if m.strip())
        steady = is_continuous(p, search)
        continuous_seen |= steady
        if steady:
            thr = twilight_deg(p) if twilight_deg is not None else -12.0
            tca, az = "-", f"{p.tca_az_deg:.0f}"
            dark = f"{100 * dark_fraction(p, thr):.0f}%"
        else:
            tca, az = clock.after(p.tca, p.aos), f"{p.aos_az_deg:.0f}>{p.tca_az_deg:.0f}>{p.los_az_deg:.0f}"
            dark = "yes" if p.station_dark else "no"
        row = [
            p.station,
            p.satellite,
            clock.full(p.aos) + start_mark,
            tca,
            clock.after(p.los, p.aos) + end_mark,
            f"{p.duration_s:.0f}",
            f"{p.max_el_deg:.1f}",
            az,
        ]
        if not key or wide:
            row += [f"{p.min_range_km:.0f}"]
        if wide:
            row += [f"{p.sat_sunlit_fraction:.2f}"]
        if not key or wide:
            row += [dark]
        if key:
            f = r.forecast
            if f is None:
                row += ["", "", ""] if wide else [""]
            else:
                code = limit_code(f.key.limiting)
                if code:
                    codes[code] = f.key.limiting
                cell = _key_cell(f.key.secret_key_bits, size)
                if wide:
                    row += [cell, f"{f.link.total_loss_db.min():.1f}", code]
                else:  # a zero key says why, in the same cell
                    row += [f"{cell} {code}" if code else cell]
        if wide:
            age = p.elements_age_days
            row += ["" if age is None else f"{age:.1f}"]
        row += [_notes(p, wide)]
        rows.append(row)
    if not marks:  # no marked time: no marker slot
        for cells in rows:
            cells[2], cells[4] = cells[2].rstrip(), cells[4].rstrip()
    zone_label = next(iter(zones)) if not mixed else "station time"
    header = ["station", "satellite", f"aos ({zone_label})", "tca", "los", "dur_s", "max_el_deg", "az_deg"]
    align = "lllllrrr"
    if not key or wide:
        header += ["min_range_km"]
        align += "r"
    if wide:
        header += ["sunlit"]
        align += "r"
    if not key or wide:
        header += ["dark"]
        align += "r"
    if key:
        header += [f"key_{unit}"] + (["min_loss_db", "limit"] if wide else [])
        align += "r" + ("rl" if wide else "")
    if wide:
        header += ["elements_age_days"]
        align += "r"
    header += ["notes"]
    align += "l"
    if not any(r[-1] for r in rows):  # no notes: no column
        header, align = header[:-1], align[:-1]
        rows = [r[:-1] for r in rows]
    text = to_table(rows, header, align=align)
    return text + _footer(marks, codes, continuous_seen, mixed and group_mixed_zones, "dark" in header)


def _footer(marks: set[str], codes: dict[str, str], continuous: bool, grouped: bool, dark: bool) -> str:
    lines = []
    if CONSTRAINT_MARK in marks:
        lines.append(f"{CONSTRAINT_MARK} start/end set by a constraint (named in notes), not by rise/set")
    if WINDOW_MARK in marks:
        lines.append(f"{WINDOW_MARK} start/end cut by the search window (the pass goes on)")
    if continuous:
        lines.append(
            "continuous visibility (tca -): window start/end, highest elevation, one azimuth"
            + ("; dark = the night's share of the window" if dark else "")
        )
    if grouped:
        lines.append("stations in different zones: rows by station, each in its own time (--utc or --tz ZONE: one time line)")
    for code, sentence in codes.items():
        lines.append(f"limit {code}: {sentence}")
    wrapped = [textwrap.fill(line, 118, subsequent_indent="  ") for line in lines]
    return "".join(f"\n{line}" for line in wrapped) + ("\n" if lines else "")
