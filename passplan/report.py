"""A station's night as one offline HTML document, built by the library (issue 20 part 4).

:func:`build_report` is what ``passplan report STATION`` runs: tonight's passes at the station
with their forecast keys (:func:`passplan.query.tonight_passes` with ``key=True``: the rows of
``passplan tonight STATION --key --format json``), the sky chart and the key of each pass
(:mod:`passplan.plot`), the Gantt of a one-station schedule of the same night
(:func:`passplan.schedule.schedule_passes` over the same window, satellites and constraints) and,
given a coverage grid (:func:`passplan.exports.html.read_coverage_grid`), its map. It returns an
:class:`~passplan.exports.html.HtmlReport`; :func:`passplan.exports.html.write_html` writes it
atomically, ``to_html()`` gives its text.

This module sits above the use cases it assembles (query, schedule, plot, exports: the
``layers`` contract in pyproject.toml): :mod:`passplan.exports` itself imports none of them.
It never prints: messages go to ``on_warning`` / ``on_info`` as they arise, and the satellite
selection (its stale skips and warnings) to ``on_selection``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .times import local_str

if TYPE_CHECKING:
    from .elements import Selection
    from .exports.html import CoverageGrid, HtmlReport, ReportFigure
    from .passes import Constraints
    from .query import PassRecord
    from .schedule.run import ScheduleRun
    from .sky import Night
    from .stations import Station

__all__ = ["build_report", "key_unit", "limit_code", "LIMIT_CODES", "SKY_SAMPLES"]

#: Short codes of the key's limiting reasons (``passplan.keyrate.REASONS`` numbers), as the pass
#: tables and the report's key figure print them.
LIMIT_CODES = {1: "clicks", 2: "counts", 3: "test", 4: "qber", 5: "finite"}

#: Samples kept per sky track in the report (a pass is forecast every second: a 7-min pass is 420
#: segments, and a GEO night tens of thousands; a few hundred draw the same curve in SVG).
SKY_SAMPLES = 120


def _quiet(message: str) -> None:
    return None


def _thin(az: Any, el: Any, rate: Any) -> tuple[Any, Any, Any]:
    """Every k-th sample of a track (and its last) so that at most :data:`SKY_SAMPLES` remain."""
    import numpy as np

    n = len(az)
    if n <= SKY_SAMPLES:
        return az, el, rate
    keep = np.unique(np.append(np.arange(0, n, -(-n // SKY_SAMPLES)), n - 1))
    return az[keep], el[keep], None if rate is None else rate[keep]


def limit_code(sentence: str | None) -> str:
    """The short code of a limiting-reason sentence ("" for none; ``other`` for an unknown one)."""
    if not sentence:
        return ""
    from .keyrate import REASONS

    for number, text in REASONS.items():
        if text == sentence:
            return LIMIT_CODES.get(number, "other")
    if sentence.startswith("no whole key slot"):  # a pass or window shorter than one key slot
        return "slot"
    return "other"


def key_unit(max_bits: float) -> tuple[str, float]:
    """The unit (``bit``, ``kbit``, ``Mbit``, ``Gbit``) that shows ``max_bits`` with at most three
    integer digits, and its size in bits."""
    for name, size in (("Gbit", 1e9), ("Mbit", 1e6), ("kbit", 1e3)):
        if max_bits >= size:
            return name, size
    return "bit", 1.0


def _figures(
    st: Station, win: Night, c: Constraints, rows: Sequence[PassRecord], run: ScheduleRun | None,
    profile: str | None, protocol: str | None, coverage: CoverageGrid | None,
) -> list[ReportFigure]:
    """The report's figures as SVG: sky chart, key per pass, schedule, coverage map."""
    from .exports.html import ReportFigure
    from .plot.common import figure_bytes
    from .plot.gantt import schedule_figure
    from .plot.keys import pass_keys_figure
    from .plot.sky import sky_figure
    from .query import sky_tracks

    usable = [r for r in rows if not r.pass_.excluded]
    names = [f"{r.pass_.satellite} {local_str(r.pass_.aos, st.timezone)[11:16]}" for r in usable]
    tracks = [(n, *_thin(t.az_deg, t.el_deg, t.key_rate_bps))
              for n, t in zip(names, sky_tracks(usable, profile=profile, protocol=protocol), strict=True)]
    floor = c.min_elevation_deg if c.min_elevation_deg is not None else st.min_elevation_deg
    span = f"{local_str(win.start, st.timezone)} to {local_str(win.end, st.timezone)[11:]}"
    figs = [
        ReportFigure(
            "sky", "Sky chart",
            f"Each pass's track (zenith at the centre, north up, azimuth clockwise), coloured by the forecast key "
            f"rate; grey: below the horizon mask or {floor:g} deg.",
            figure_bytes(sky_figure(tracks, title=f"{st.id}: {span}, {len(tracks)} passes",
                                    min_elevation_deg=float(floor), mask=st.horizon_mask), "svg"),
        ),
        ReportFigure(
            "keys", "Key per pass",
            "The forecast finite-key secret key of each pass (kbit, linear axis), in the table's order; a zero "
            "key shows its limiting reason.",
            figure_bytes(pass_keys_figure(
                names, [r.secret_key_bits for r in usable],
                reasons=[limit_code(r.forecast.key.limiting) if r.forecast is not None else None for r in usable],
                title=f"{st.id}: {span}"), "svg"),
        ),
    ]
    if run is not None:
        figs.append(ReportFigure(
            "plan", "Plan of the night",
            f"A one-station schedule of the same passes ({run.plan.objective} expected key, {run.plan.solver.method} "
            f"{run.plan.solver.status}): one bar per link, labelled with its expected key.",
            figure_bytes(schedule_figure(run.plan), "svg"),
        ))
    if coverage is not None:
        from .plot.maps import grid_map_figure

        s = coverage.summary
        what = (f"{s.get('satellites', '?')} satellites, {s.get('days', '?')} days, {s.get('grid_deg', '?')} deg cells"
                if s else "the study's cells")
        figs.append(ReportFigure(
            "coverage", "Coverage map",
            f"{coverage.metric} per cell of the coverage study given ({what}); the station marked.",
            figure_bytes(grid_map_figure(coverage.lat_deg, coverage.lon_deg, coverage.values,
                                         title=f"{coverage.metric} ({what})", label=coverage.metric,
                                         stations=[(st.id, st.lat_deg, st.lon_deg)], rasterize=True), "svg"),
        ))
    return figs


def _bits(v: float) -> str:
    unit, size = key_unit(v)
    return f"{v / size:.3f} {unit}"


def build_report(
    station: Station,
    at: datetime,
    satellites: Sequence[str] | Sequence[Any] | None = None,
    constraints: Constraints | None = None,
    *,
    darkness: str | float | None = None,
    allow_stale: bool = False,
    min_duration_s: float | None = None,
    min_max_el_deg: float | None = None,
    profile: str | None = None,
    protocol: str | None = None,
    coverage: CoverageGrid | None = None,
    on_warning: Callable[[str], None] = _quiet,
    on_info: Callable[[str], None] = _quiet,
    on_selection: Callable[[Selection], None] | None = None,
) -> HtmlReport:
    """Tonight at ``station`` as one self-contained HTML document.

    The night, satellites and constraints are those of :func:`passplan.query.tonight_passes`
    (``at`` picks the night, ``darkness`` its Sun depression, ``satellites`` specs or
    satellites or None for the default fleet), searched with ``key=True``, ``profile`` and
    ``protocol``: the table holds the rows of ``passplan tonight STATION --key --format json``.
    Beside it: the sky chart, the key of each pass, the Gantt of a one-station schedule of the
    night (when a pass is usable) and, with ``coverage``, its map.

    Every station receiver (and every satellite's profile) must name a profile that loads
    unless ``profile`` is given: :class:`passplan.forecast.MissingProfileError` otherwise,
    raised before the search. Messages: the night's description to ``on_info`` (``on_warning``
    when the night is not reached), the search's and the schedule's messages as they arise;
    ``on_selection`` receives the satellite selection (stale satellites skipped, warnings)."""
    from .exports.html import HtmlReport
    from .forecast.resolve import check_links
    from .passes import Constraints
    from .query import records_of, tonight_passes

    c = constraints if constraints is not None else Constraints()
    check_links([station], (), profile=profile)
    found = tonight_passes(
        station, at, satellites, c, darkness=darkness, allow_stale=allow_stale,
        min_duration_s=min_duration_s, min_max_el_deg=min_max_el_deg, key=True, profile=profile,
        protocol=protocol, on_warning=on_warning, on_info=on_info,
    )
    win, query = found.night, found.query
    (on_info if win.reached else on_warning)(win.describe(station.timezone))
    if on_selection is not None:
        on_selection(found.selection)
    check_links([station], found.selection.satellites, profile=profile)
    rows = [r for batch in query.blocks() for r in batch]
    run = None
    if any(not r.pass_.excluded for r in rows):
        from .schedule import schedule_passes

        run = schedule_passes(found.selection.satellites, [station], win.start, win.end, c, profile=profile,
                              protocol=protocol)
        for w in run.warnings:
            on_warning(w)
    records = records_of(rows)
    figures = _figures(station, win, c, rows, run, profile, protocol, coverage)
    keys = [r.secret_key_bits for r in rows if r.secret_key_bits is not None]
    st = station
    summary = [
        ("station", f"{st.id}" + (f" ({st.name})" if st.name else "")
         + f", {st.lat_deg:.4f} deg, {st.lon_deg:.4f} deg, {st.alt_m:.0f} m, zone {st.timezone}"),
        ("night", win.describe(st.timezone)),
        ("satellites", f"{len(found.selection.satellites)} planned for"),
        ("passes", f"{len(rows)}, forecast key {_bits(sum(keys))} in all"),
    ]
    if run is not None:
        summary.append(("plan", f"{len(run.links)} link(s), expected key {_bits(sum(x.expected_key_bits for x in run.links))}"))
    return HtmlReport(
        title=f"passplan report: {st.id}, night of {local_str(win.start, st.timezone)[:10]}",
        subtitle="Times in the station's zone; keys are forecasts (link budget every second, then finite-key BB84).",
        records=records, timezone=st.timezone, summary=summary, figures=figures,
        notes=[] if rows else ["No pass tonight: the figures are empty."],
        key_unit=key_unit(max(keys, default=0.0)),
    )
