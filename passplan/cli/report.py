"""``passplan report STATION``: tonight at one station as one self-contained HTML file.

Parse the options, one library call (:func:`passplan.report.build_report`: the night,
satellites and constraints of ``passplan tonight`` with ``--key``, its table the rows
``tonight STATION --key --format json`` writes, beside it the sky chart, the key of each pass,
the Gantt of a one-station schedule of the night and, with ``--coverage FILE``, the map of a
coverage study's JSON), then write its HTML (:mod:`passplan.exports.html`: inline SVG, inline
CSS, the records as JSON; nothing outside itself) atomically, after its path was checked."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError
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
    write_text,
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
        from ..exports.html import read_coverage_grid
        from ..forecast.resolve import MissingProfileError
        from ..query import PassFilter
        from ..report import build_report

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
        try:
            with as_flags(SATS_PHRASES):
                doc = build_report(
                    st, _tonight_at(date, st), sats or None, c,
                    darkness=None if night in (None, Night.station) else night.value, allow_stale=allow_stale,
                    min_duration_s=min_duration, min_max_el_deg=min_max_el, profile=profile, protocol=protocol,
                    coverage=grid, on_warning=warn, on_info=info,
                    on_selection=lambda sel: report_selection(sel, verbose),
                )
        except MissingProfileError as err:  # a selected satellite without a profile of its own
            raise InputError(
                f"station {err.station_id!r} names no receiver profile; give --profile (see `passplan link --list`) "
                "or add receiver = \"...\" to its station table"
            ) from None
        text = doc.to_html()
        write_text(text, output, say_wrote=True)
