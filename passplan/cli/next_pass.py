"""``passplan next SATELLITE --station ID``: when is the next usable pass?

The search runs forward from ``--start`` (default now) in growing windows (a day, a week, 31
days, then ``--within-days``) and stops at the first window holding a pass that meets the
constraints and filters, so a pass tomorrow costs a day's search; it gives up at
``--within-days`` (default 31) with a message and exit code 1. A pass already under way at the start counts (its start is
marked ``~`` in the table: cut by the search window).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from ..errors import InputError
from ..query import DEFAULT_WITHIN_DAYS, SEARCH_DAYS, next_pass
from ..times import iso_z
from .common import (
    EclipseOpt,
    MaxRangeOpt,
    MinElOpt,
    MoonSepOpt,
    OutputFormat,
    OutputOpt,
    RefrOpt,
    StaleOpt,
    StartOpt,
    StationsFileOpt,
    SunSepOpt,
    VerboseOpt,
    check_parquet,
    emit,
    handle_errors,
    info,
    warn,
)
from .flags import as_flags
from .pass_run import Listing, forecast_hook, search_bar
from .passes import (
    SPREAD_DRAWS,
    SPREAD_SEED,
    KeyOpt,
    MinDurationOpt,
    MinMaxElOpt,
    NightOpt,
    ProfileOpt,
    ProtocolOpt,
    SpreadOpt,
    TzOpt,
    UtcOpt,
    WideOpt,
    _constraints,
    _satellites,
    _stations,
    _window,
    check_key_options,
    check_receivers,
    twilight_for,
)
from .table import pass_table

__all__ = ["register", "DEFAULT_WITHIN_DAYS", "SEARCH_DAYS"]


class NextFormat(StrEnum):
    """``--format`` of ``next``: the shared formats plus Parquet (one row, needs --output)."""

    table = "table"
    csv = "csv"
    json = "json"
    ndjson = "ndjson"
    parquet = "parquet"


NextFormatOpt = Annotated[
    NextFormat,
    typer.Option("--format", help="Output format (parquet: the pass record's columns in one row, needs --output)."),
]


def register(app: typer.Typer) -> None:
    """Add ``next`` to the app."""
    @app.command("next")
    @handle_errors
    def next_cmd(
        satellite: Annotated[str, typer.Argument(metavar="SATELLITE", help="A satellite (bundled name, element file...) as for --sats.")],
        station: Annotated[str, typer.Option("--station", help="Station id.")],
        stations: StationsFileOpt = None,
        start: StartOpt = None,
        within_days: Annotated[
            float, typer.Option("--within-days", help="Give up after this many days from the start.")
        ] = DEFAULT_WITHIN_DAYS,
        min_el: MinElOpt = None,
        night: NightOpt = None,
        eclipse: EclipseOpt = None,
        min_sun_sep: SunSepOpt = None,
        min_moon_sep: MoonSepOpt = None,
        max_range_km: MaxRangeOpt = None,
        min_duration: MinDurationOpt = None,
        min_max_el: MinMaxElOpt = None,
        allow_stale: StaleOpt = False,
        refraction: RefrOpt = False,
        key: KeyOpt = False,
        profile: ProfileOpt = None,
        protocol: ProtocolOpt = None,
        spread: SpreadOpt = False,
        fmt: NextFormatOpt = NextFormat.table,
        utc: UtcOpt = False,
        tz: TzOpt = None,
        wide: WideOpt = False,
        output: OutputOpt = None,
        verbose: VerboseOpt = False,
    ) -> None:
        """The next usable pass of SATELLITE over one station (one table row, or one JSON object),
        searching forward in growing windows (a day, a week, 31 days) up to --within-days; exit
        code 1 if there is none. A pass under way at the start counts (marked ~ in the table)."""
        check_key_options(key, profile, protocol, None, spread=spread)
        if fmt is NextFormat.parquet:
            check_parquet(output, "next.parquet")
        if utc and tz is not None:
            raise InputError("give only one of --utc and --tz")
        view = Listing(min_duration, min_max_el, tz="UTC" if utc else tz, wide=wide)
        t0, t1 = _window(start, None, None, within_days, 24.0, max_days=None, days_name="--within-days")
        c = _constraints(min_el, night, eclipse, min_sun_sep, min_moon_sep, max_range_km, refraction)
        sts = _stations([station], stations)
        check_receivers(key, profile, sts)
        sel = _satellites([satellite], t0, allow_stale, verbose)
        check_receivers(key, profile, sts, sel.satellites)
        with search_bar() as tick, as_flags():
            first = next_pass(
                sel.satellites, sts, t0, t1, c, min_duration_s=view.min_duration_s,
                min_max_el_deg=view.min_max_el_deg, key=key, profile=profile, protocol=protocol,
                on_warning=warn, on_info=info, progress=tick,
                on_forecast=forecast_hook(None, spread, SPREAD_DRAWS, SPREAD_SEED),
            )
        if first is None:
            names = ", ".join(s.name for s in sel.satellites[:3]) + (" ..." if len(sel.satellites) > 3 else "")
            warn(
                f"no usable pass of {names} over {sts[0].id} from {iso_z(t0)} to {iso_z(t1)} "
                f"({within_days:g} days); relax the constraints or give a larger --within-days"
            )
            raise typer.Exit(code=1)
        if fmt is NextFormat.parquet:  # the record's columns (its JSON keys), as passes writes them
            from ..exports.parquet import write_parquet

            assert output is not None  # check_parquet refused stdout before any work
            write_parquet([first], output)
            return
        emit(
            first.to_dict(), OutputFormat(fmt.value),
            lambda: pass_table([first], key=key, tz=view.tz, wide=wide, search=(t0, t1), twilight_deg=twilight_for(c)),
            output,
        )
