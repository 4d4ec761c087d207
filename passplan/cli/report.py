"""``passplan report STATION``: tonight at one station as one self-contained HTML file.

The night, satellites and constraints are those of ``passplan tonight`` (the same options, the
same library query, :func:`passplan.query.tonight_passes`, with ``--key``): its table holds the
rows ``tonight STATION --key --format json`` writes. Beside it: the sky chart, the key of each
pass, the Gantt of a one-station schedule of the night (:func:`passplan.schedule.schedule_passes`
over the same window, satellites and constraints) and, with ``--coverage FILE``, the map of a
coverage study's JSON. The file is written by :mod:`passplan.exports.html` (inline SVG, inline
CSS, the records as JSON; nothing outside itself), atomically, after its path was checked."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import InputError
from ..times import local_str
from .common import (
    EclipseOpt,
    MaxRangeOpt,
    MinElOpt,
    MoonSepOpt,
    OutputOpt,
    RefrOpt,
    SatsOpt,
    StaleOpt,
    StationsFileOpt,
    SunSepOpt,
    VerboseOpt,
    handle_errors,
    info,
    report_selection,
    warn,
)
from .flags import SATS_PHRASES, as_flags
from .passes import (
    DateOpt,
    MinDurationOpt,
    MinMaxElOpt,
    Night,
    ProfileOpt,
    ProtocolOpt,
    TonightNightOpt,
    _constraints,
    _stations,
    _tonight_at,
    check_key_options,
    check_receivers,
)

if TYPE_CHECKING:
    from ..exports.html import ReportFigure
    from ..query import PassRecord
    from ..stations import Station

__all__ = ["register"]

CoverageOpt = Annotated[
    Path | None,
    typer.Option(
        "--coverage",
        help="A coverage study's JSON (`passplan coverage --format json -o FILE`): its map joins the report.",
    ),
]
CoverageMetricOpt = Annotated[
    str | None,
    typer.Option(
        "--coverage-metric",
        help="The metric of --coverage to map (default key_bits_per_day when the cells carry it, else usable_min_per_day).",
    ),
]
ReportOutputOpt = OutputOpt


#: Samples kept per sky track in the report (a pass is forecast every second: a 7-min pass is 420
#: segments, and a GEO night tens of thousands; a few hundred draw the same curve in SVG).
SKY_SAMPLES = 120


def _thin(az: Any, el: Any, rate: Any) -> tuple[Any, Any, Any]:
    """Every k-th sample of a track (and its last) so that at most :data:`SKY_SAMPLES` remain."""
    import numpy as np

    n = len(az)
    if n <= SKY_SAMPLES:
        return az, el, rate
    keep = np.unique(np.append(np.arange(0, n, -(-n // SKY_SAMPLES)), n - 1))
    return az[keep], el[keep], None if rate is None else rate[keep]


def _figures(
    st: Station, win: Any, c: Any, rows: Sequence[PassRecord], run: Any | None,
    profile: str | None, protocol: str | None, coverage: Any | None,
) -> list[ReportFigure]:
    """The report's figures as SVG: sky chart, key per pass, schedule, coverage map."""
    from ..cli.table import limit_code
    from ..exports.html import ReportFigure
    from ..plot.common import figure_bytes
    from ..plot.gantt import schedule_figure
    from ..plot.keys import pass_keys_figure
    from ..plot.sky import sky_figure
    from ..query import sky_tracks

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
        from ..plot.maps import grid_map_figure

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
    """``v`` bits in the unit that keeps it under four digits (:func:`passplan.cli.table.key_unit`)."""
    from .table import key_unit

    unit, size = key_unit(v)
    return f"{v / size:.3f} {unit}"


def register(app: typer.Typer) -> None:
    """Add ``report`` to the app."""

    @app.command("report")
    @handle_errors
    def report_cmd(
        station_id: Annotated[str, typer.Argument(metavar="STATION", help="Station id, e.g. graz.")],
        sats: SatsOpt = None,
        stations: StationsFileOpt = None,
        date: DateOpt = None,
        min_el: MinElOpt = None,
        night: TonightNightOpt = None,
        eclipse: EclipseOpt = None,
        min_sun_sep: SunSepOpt = None,
        min_moon_sep: MoonSepOpt = None,
        max_range_km: MaxRangeOpt = None,
        min_duration: MinDurationOpt = None,
        min_max_el: MinMaxElOpt = None,
        allow_stale: StaleOpt = False,
        refraction: RefrOpt = False,
        profile: ProfileOpt = None,
        protocol: ProtocolOpt = None,
        coverage: CoverageOpt = None,
        coverage_metric: CoverageMetricOpt = None,
        output: ReportOutputOpt = None,
        verbose: VerboseOpt = False,
    ) -> None:
        """Tonight at one station as one self-contained HTML file (no network: inline SVG
        figures, inline CSS, the records as JSON): the passes with their keys (the rows of
        `tonight STATION --key --format json`), the sky chart, the key per pass, the plan of a
        one-station schedule and, with --coverage, a coverage map. Without -o, the HTML goes
        to stdout."""
        from ..exports.html import HtmlReport, read_coverage_grid
        from ..query import PassFilter, records_of, tonight_passes
        from .table import key_unit

        check_key_options(True, profile, protocol, None)
        with as_flags():
            PassFilter(min_duration, min_max_el)
        grid = None
        if coverage is not None:  # read before any search: a bad file fails at once
            grid = read_coverage_grid(coverage, coverage_metric)
        elif coverage_metric is not None:
            raise InputError("--coverage-metric goes with --coverage (the study whose metric to map)")
        st = _stations([station_id], stations)[0]
        check_receivers(True, profile, [st])
        c = _constraints(min_el, Night.any, eclipse, min_sun_sep, min_moon_sep, max_range_km, refraction)
        with as_flags(SATS_PHRASES):
            found = tonight_passes(
                st, _tonight_at(date, st), sats or None, c,
                darkness=None if night in (None, Night.station) else night.value, allow_stale=allow_stale,
                min_duration_s=min_duration, min_max_el_deg=min_max_el, key=True, profile=profile,
                protocol=protocol, on_warning=warn, on_info=info,
            )
        win, query = found.night, found.query
        (info if win.reached else warn)(win.describe(st.timezone))
        report_selection(found.selection, verbose)
        check_receivers(True, profile, [st], found.selection.satellites)
        rows = [r for batch in query.blocks() for r in batch]
        run = None
        if any(not r.pass_.excluded for r in rows):
            from ..schedule import schedule_passes

            with as_flags():
                run = schedule_passes(found.selection.satellites, [st], win.start, win.end, c, profile=profile,
                                      protocol=protocol)
            for w in run.warnings:
                warn(w)
        records = records_of(rows)
        figures = _figures(st, win, c, rows, run, profile, protocol, grid)
        keys = [r.secret_key_bits for r in rows if r.secret_key_bits is not None]
        summary = [
            ("station", f"{st.id}" + (f" ({st.name})" if st.name else "")
             + f", {st.lat_deg:.4f} deg, {st.lon_deg:.4f} deg, {st.alt_m:.0f} m, zone {st.timezone}"),
            ("night", win.describe(st.timezone)),
            ("satellites", f"{len(found.selection.satellites)} planned for"),
            ("passes", f"{len(rows)}, forecast key {_bits(sum(keys))} in all"),
        ]
        if run is not None:
            summary.append(("plan", f"{len(run.links)} link(s), expected key {_bits(sum(x.expected_key_bits for x in run.links))}"))
        doc = HtmlReport(
            title=f"passplan report: {st.id}, night of {local_str(win.start, st.timezone)[:10]}",
            subtitle="Times in the station's zone; keys are forecasts (link budget every second, then finite-key BB84).",
            records=records, timezone=st.timezone, summary=summary, figures=figures,
            notes=[] if rows else ["No pass tonight: the figures are empty."],
            key_unit=key_unit(max(keys, default=0.0)),
        )
        text = doc.to_html()
        if output is None or str(output) == "-":
            typer.echo(text, nl=False)
            return
        from ..io import atomic_write_text

        atomic_write_text(output, text)
        info(f"wrote {output}")
