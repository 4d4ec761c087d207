"""``passplan schedule``, ``passplan relay`` and ``passplan network``: who links with whom, when;
trusted-relay key between two stations; end-to-end key through an integrated network."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InputError
from ..times import iso_z, parse_time
from .common import (
    DaysOpt,
    EclipseOpt,
    EndOpt,
    HoursOpt,
    MaxRangeOpt,
    MinElOpt,
    MoonSepOpt,
    OneFormatOpt,
    OutputFormat,
    OutputOpt,
    RefrOpt,
    SatsOpt,
    StaleOpt,
    StartOpt,
    StationFilesOpt,
    StationOpt,
    SunSepOpt,
    TableFormat,
    VerboseOpt,
    emit,
    handle_errors,
    info,
    plot_format,
    progress_bar,
    warn,
    write_plot,
)
from .passes import NightOpt, ProfileOpt, ProtocolOpt, _constraints, _satellites, _stations, _window


class ScheduleFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    ndjson = "ndjson"
    ics = "ics"


class Objective(StrEnum):
    total = "total"
    fair = "fair"


class Solver(StrEnum):
    milp = "milp"
    greedy = "greedy"


DemandOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--demand",
        help="Key wanted over the window: NAME=BITS for a station, A:B=BITS for a pair through "
        "trusted-relay satellites; optional @PRIORITY (e.g. xinglong=2e6, beijing:stellenbosch=1e5@2). Repeatable.",
    ),
]
PlotOpt = Annotated[Path | None, typer.Option("--plot", help="Also draw a figure: .png, .svg or .pdf.")]
DtstampOpt = Annotated[
    str | None,
    typer.Option("--dtstamp", help="With --format ics: the DTSTAMP of every event (ISO time with zone; default now), for reproducible files."),
]


#: A pair demand no window can meet: the schedule then relays as much as it can.
RELAY_ALL_BITS = 1e18

#: Most cloudy-night Monte-Carlo trials one run draws (assumed bound: the draws hold trials x
#: nights x stations normals; 10^5 trials of a week at 10 stations is about 56 MB, and the
#: spread's sampling error is already ~0.3 % at 10^5).
MAX_WEATHER_TRIALS = 100_000


def _bits(v: float) -> str:
    if v >= 1e6:
        return f"{v / 1e6:.3f} Mbit"
    if v >= 1e3:
        return f"{v / 1e3:.1f} kbit"
    return f"{v:.0f} bit"


def schedule_document(run: Any) -> dict[str, Any]:
    """The schedule's JSON object (the interface other tools read)."""
    from ..schedule import candidate_record

    plan = run.plan
    return {
        "links": [candidate_record(c) for c in plan.links],
        "unscheduled": [dict(candidate_record(c), reason=why) for c, why in plan.unscheduled],
        "totals": {"per_station": plan.per_station, "per_pair": plan.per_pair},
        "solver": plan.solver.to_dict(),
        "baselines": [{"method": b.method, "objective": b.objective} for b in plan.baselines],
        "objective": plan.objective,
        "demands": plan.demands,
        "handover_gain_bits": None if run.handover_gain_bits is None else round(run.handover_gain_bits, 1),
        "expected_key_bits": round(plan.expected_key_bits, 1),
    }


def _schedule_table(doc: dict[str, Any], stations: dict[str, Any]) -> str:
    from ..io import to_table
    from ..times import local_str

    rows = []
    for ln in doc["links"]:
        tz = stations[ln["station"]].timezone if ln["station"] in stations else "UTC"
        start = local_str(datetime.fromisoformat(ln["start_utc"].replace("Z", "+00:00")), tz)
        end = local_str(datetime.fromisoformat(ln["end_utc"].replace("Z", "+00:00")), tz)[11:19]
        rows.append([ln["station"], ln["satellite"], start, end, _bits(ln["key_bits"]), _bits(ln["expected_key_bits"]),
                     "yes" if ln["handover"] else ""])
    out = to_table(rows, ["station", "satellite", "start (local)", "end", "forecast key", "expected key", "hand-over"],
                   align="llllrrl") if rows else "no links scheduled\n"
    s = doc["solver"]
    lines = [
        "",
        f"solver: {s['method']} {s['status']}, objective {s['objective']:.6g} ({doc['objective']}), "
        f"dual bound {s['dual_bound'] if s['dual_bound'] is None else format(s['dual_bound'], '.6g')}, "
        f"gap {s['gap']}, {s['seconds']:.2f} s",
    ]
    for b in doc["baselines"]:
        lines.append(f"baseline {b['method']}: objective {b['objective']:.6g}")
    lines.append("expected key per station: " + ", ".join(f"{k} {_bits(v)}" for k, v in doc["totals"]["per_station"].items()))
    if doc["totals"]["per_pair"]:
        lines.append("relayable per pair: " + ", ".join(f"{k} {_bits(v)}" for k, v in doc["totals"]["per_pair"].items()))
    for d in doc["demands"]:
        met = "met" if d["met"] else f"NOT met (best achievable alone {_bits(d['best_achievable_bits'])})"
        lines.append(f"demand {d['demand']} {_bits(d['bits'])}: served {_bits(d['served_bits'])}, {met}")
    if doc["handover_gain_bits"] is not None:
        lines.append(f"hand-over gain over whole passes: {_bits(doc['handover_gain_bits'])}")
    w = doc.get("weather")
    if w:
        lines.append(
            f"weather ({w['trials']} trials, clouds correlated over {w['correlation_km']:g} km): delivered "
            f"{_bits(w['mean_bits'])} on average (5-95 %: {_bits(w['p05_bits'])} to {_bits(w['p95_bits'])}); a night "
            f"has a clear station with probability {w['p_any_clear']:.2f} (best single station {w['p_best_single_clear']:.2f})"
        )
    lines.append(f"{len(doc['unscheduled'])} candidate(s) not scheduled (reasons in --format json)")
    return out + "\n".join(lines) + "\n"


def _pair(a: str, b: str, stations: list[Any]) -> None:
    ids = {s.id for s in stations}
    for x in (a, b):
        if x not in ids:
            raise InputError(f"station {x!r} is not among the chosen stations")
    if a == b:
        raise InputError(f"relay pair {a}:{b}: name two different stations")


def register(app: typer.Typer) -> None:
    """Add ``schedule``, ``relay`` and ``network`` to the app."""

    @app.command("schedule")
    @handle_errors
    def schedule_cmd(
        sats: SatsOpt = None,
        stations: StationFilesOpt = None,
        station: StationOpt = None,
        start: StartOpt = None,
        end: EndOpt = None,
        hours: HoursOpt = None,
        days: DaysOpt = None,
        min_el: MinElOpt = None,
        night: NightOpt = None,
        eclipse: EclipseOpt = None,
        min_sun_sep: SunSepOpt = None,
        min_moon_sep: MoonSepOpt = None,
        max_range_km: MaxRangeOpt = None,
        refraction: RefrOpt = False,
        allow_stale: StaleOpt = False,
        objective: Annotated[Objective, typer.Option("--objective", help="total: most expected key; fair: the largest minimum of key over demand.")] = Objective.total,
        demand: DemandOpt = None,
        setup_s: Annotated[float | None, typer.Option("--setup-s", help="Seconds between two links on one telescope, for every station (default: each station's setup_s, 120 s).")] = None,
        repoint_s: Annotated[float | None, typer.Option("--repoint-s", help="Seconds a satellite needs to re-point between stations (default 60 s, assumed).")] = None,
        handover: Annotated[bool, typer.Option("--handover/--no-handover", help="Offer hand-over sub-windows where a satellite sees two stations at once.")] = True,
        solver: Annotated[Solver, typer.Option("--solver", help="milp: exact (HiGHS); greedy: the better of the two baselines.")] = Solver.milp,
        time_limit_s: Annotated[float, typer.Option("--time-limit-s", help="MILP time limit per solve (s).")] = 60.0,
        min_key_bits: Annotated[float, typer.Option("--min-key-bits", help="Leave out passes forecast below this key (bits).")] = 0.0,
        profile: ProfileOpt = None,
        protocol: ProtocolOpt = None,
        fmt: Annotated[ScheduleFormat, typer.Option("--format", help="Output format (ics: one calendar event per link).")] = ScheduleFormat.table,
        output: OutputOpt = None,
        plot: PlotOpt = None,
        dtstamp: DtstampOpt = None,
        weather_trials: Annotated[int, typer.Option("--weather-trials", help="Also draw this many seeded cloudy-night Monte-Carlo trials of the plan (0: off).")] = 0,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the weather Monte-Carlo.")] = 0,
        verbose: VerboseOpt = False,
    ) -> None:
        """Schedule links of satellites with stations for the most (or fairest) expected key.

        Candidates are the forecast passes (key times each station's clear-sky probability) and,
        with hand-over, sub-windows where one satellite sees two stations at once. The MILP's plan
        is checked independently and printed with two greedy baselines beside it.
        """
        from dataclasses import replace as dc_replace

        from ..schedule import Demand
        from ..schedule.run import schedule_passes

        if not 0 < time_limit_s <= 86400:
            raise InputError(f"--time-limit-s {time_limit_s:g}: give a positive number of seconds, at most a day")
        if not 0 <= min_key_bits < float("inf"):
            raise InputError(f"--min-key-bits {min_key_bits:g}: give zero or more bits (a finite number)")
        if not 0 <= weather_trials <= MAX_WEATHER_TRIALS:
            raise InputError(f"--weather-trials {weather_trials}: give 0 to {MAX_WEATHER_TRIALS} trials")
        if setup_s is not None and not setup_s >= 0:
            raise InputError(f"--setup-s {setup_s:g}: give zero or more seconds")
        plot_format(plot)
        demands = [Demand.parse(d) for d in demand or ()]
        t0, t1 = _window(start, end, hours, days, 24.0)
        sts = _stations(station, stations)
        if setup_s is not None:
            sts = [dc_replace(s, setup_s=setup_s) for s in sts]
        known = {s.id for s in sts}
        for d in demands:
            for s in d.stations:
                if s not in known:
                    raise InputError(f"--demand {d.label}: station {s!r} is not among the chosen stations ({', '.join(sorted(known))})")
        sel = _satellites(sats, t0, allow_stale, verbose)
        c = _constraints(min_el, night, eclipse, min_sun_sep, min_moon_sep, max_range_km, refraction)
        with progress_bar("schedule") as tick:
            run = schedule_passes(
                sel.satellites, sts, t0, t1, c, profile=profile, protocol=protocol, objective=objective.value,
                demands=demands, handover=handover, min_key_bits=min_key_bits, solver=solver.value,
                time_limit_s=time_limit_s, repoint_s=repoint_s, progress=info if verbose else None, tick=tick,
            )
        for w in run.warnings:
            warn(w)
        doc = schedule_document(run)
        if weather_trials:
            from ..weather import simulate_weather

            spread = simulate_weather(
                [(c.station, c.start, c.key_bits) for c in run.plan.links], {s.id: s for s in sts},
                trials=weather_trials, seed=seed,
            )
            doc["weather"] = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in spread.to_dict().items()}
        if plot is not None:
            from ..plot.gantt import plot_schedule

            write_plot(plot, lambda f: plot_schedule(run.plan, f))
        if fmt is ScheduleFormat.ics:
            from ..exports.ics import events_from_records, to_ics
            from ..io import atomic_write_text

            stamp = parse_time(dtstamp, "--dtstamp") if dtstamp else datetime.now(UTC)
            text = to_ics(events_from_records(doc["links"], kind="link"), dtstamp=stamp, name="passplan schedule")
            if output is None:
                typer.echo(text, nl=False)
            else:
                atomic_write_text(output, text)
            return
        by_id = {s.id: s for s in sts}
        if fmt in (ScheduleFormat.csv, ScheduleFormat.ndjson):
            emit(doc["links"], OutputFormat(fmt.value), lambda: "", output)
        else:
            emit(doc, OutputFormat(fmt.value), lambda: _schedule_table(doc, by_id), output)

    @app.command("relay")
    @handle_errors
    def relay_cmd(
        a: Annotated[str, typer.Argument(metavar="A", help="One station of the pair.")],
        b: Annotated[str, typer.Argument(metavar="B", help="The other station.")],
        sats: SatsOpt = None,
        stations: StationFilesOpt = None,
        start: StartOpt = None,
        end: EndOpt = None,
        hours: HoursOpt = None,
        days: DaysOpt = None,
        min_el: MinElOpt = None,
        night: NightOpt = None,
        eclipse: EclipseOpt = None,
        allow_stale: StaleOpt = False,
        demand_bits: Annotated[float | None, typer.Option("--demand", help="Bits wanted between A and B: report when they are met.")] = None,
        storage_bits: Annotated[float | None, typer.Option("--storage-bits", help="On-board key store per satellite for the pair (bits).")] = None,
        lifetime_s: Annotated[float | None, typer.Option("--lifetime-s", help="Seconds a pool bit may wait before it is discarded.")] = None,
        profile: ProfileOpt = None,
        protocol: ProtocolOpt = None,
        fmt: OneFormatOpt = TableFormat.table,
        output: OutputOpt = None,
        verbose: VerboseOpt = False,
    ) -> None:
        """Trusted-relay key between two stations through satellites, in time.

        The satellites' links with A and B are scheduled for the pair (one station at a time per
        satellite), each link's expected key (forecast times clear-sky probability) joins its
        pool when the link ends, and each satellite relays (XORs and announces) what both pools
        hold as soon as it can.
        """
        from ..schedule import Demand
        from ..schedule.relay import Deposit, relay
        from ..schedule.run import schedule_passes

        t0, t1 = _window(start, end, hours, days, 24.0)
        sts = _stations([a, b], stations)
        _pair(a, b, sts)
        sel = _satellites(sats, t0, allow_stale, verbose)
        c = _constraints(min_el, night, eclipse, None, None, None, False)
        # schedule for the pair: the most key both stations share through each satellite
        want = Demand((a, b), demand_bits if demand_bits is not None else RELAY_ALL_BITS)
        with progress_bar("relay") as tick:
            run = schedule_passes(
                sel.satellites, sts, t0, t1, c, profile=profile, protocol=protocol, handover=False, demands=[want],
                tick=tick,
            )
        for w in run.warnings:
            warn(w)
        deps = [Deposit(ln.station, ln.satellite, ln.end, ln.expected_key_bits) for ln in run.plan.links]
        res = relay(deps, (a, b), storage_bits=storage_bits, lifetime_s=lifetime_s, demand_bits=demand_bits)
        doc = res.to_dict()

        def table() -> str:
            lines = [
                f"relay {a} <-> {b} via {', '.join(res.satellites)}: {_bits(res.relayed_bits)} "
                f"({', '.join(f'{k} pool {_bits(v)}' for k, v in res.pool_bits.items())})",
            ]
            for t, bits in res.timeline:
                lines.append(f"  {iso_z(t)}  {_bits(bits)}")
            if demand_bits is not None:
                lines.append(
                    f"demand {_bits(demand_bits)}: "
                    + (f"met at {iso_z(res.demand_met)}" if res.demand_met else "not met in this window")
                )
            return "\n".join(lines) + "\n"

        emit(doc, fmt, table, output)

    @app.command("network")
    @handle_errors
    def network_cmd(
        file: Annotated[Path, typer.Argument(metavar="FILE", help="Integrated network TOML (nodes, links, stations); 'china-integrated' for the bundled example.")],
        source: Annotated[str, typer.Option("--from", help="Start node.")],
        target: Annotated[str, typer.Option("--to", help="End node.")],
        sats: SatsOpt = None,
        stations: StationFilesOpt = None,
        start: StartOpt = None,
        end: EndOpt = None,
        hours: HoursOpt = None,
        days: DaysOpt = None,
        min_el: MinElOpt = None,
        night: NightOpt = None,
        eclipse: EclipseOpt = None,
        allow_stale: StaleOpt = False,
        profile: ProfileOpt = None,
        protocol: ProtocolOpt = None,
        fmt: OneFormatOpt = TableFormat.table,
        output: OutputOpt = None,
        verbose: VerboseOpt = False,
    ) -> None:
        """End-to-end key between two nodes of an integrated network over the window.

        Ground links carry their key rate times the window; satellites relay what their scheduled
        links with the network's stations built (expected key); the answer is the maximum flow,
        with its paths and the bottleneck links of a minimum cut.
        """
        from importlib.resources import files

        from ..schedule.network import end_to_end, load_network, pools_from_links
        from ..schedule.run import schedule_passes

        path = file
        if not path.exists() and str(file) == "china-integrated":
            path = Path(str(files("passplan") / "data" / "networks" / "china-integrated.toml"))
        net = load_network(path)
        for end_ in (source, target):
            if end_ not in net.nodes:
                from ..errors import UnknownNameError

                raise UnknownNameError("node", end_, net.nodes, where=str(path))
        t0, t1 = _window(start, end, hours, days, 24.0)
        pools: dict[tuple[str, str], float] = {}
        if net.stations:
            from ..schedule import Demand

            ids = sorted(net.stations)
            sts = _stations(ids, stations)
            sel = _satellites(sats, t0, allow_stale, verbose)
            c = _constraints(min_el, night, eclipse, None, None, None, False)
            # schedule for relaying between the network's satellite stations
            pairs = [Demand((x, y), RELAY_ALL_BITS) for i, x in enumerate(ids) for y in ids[i + 1 :]]
            with progress_bar("network") as tick:
                run = schedule_passes(
                    sel.satellites, sts, t0, t1, c, profile=profile, protocol=protocol, handover=False,
                    demands=pairs if pairs else (), tick=tick,
                )
            for w in run.warnings:
                warn(w)
            pools = pools_from_links(run.plan.links)
        res = end_to_end(net, source, target, (t1 - t0).total_seconds(), pools)
        doc = res.to_dict()

        def table() -> str:
            lines = [f"{net.name}: {source} -> {target} over {doc['period_s'] / 3600:g} h: {_bits(res.key_bits)}"]
            for nodes, bits in res.paths:
                lines.append(f"  path {' -> '.join(nodes)}: {_bits(bits)}")
            for bn in res.bottlenecks:
                lines.append(f"  bottleneck {bn['a']} - {bn['b']} ({bn['kind']}): {_bits(bn['capacity_bits'])}")
            return "\n".join(lines) + "\n"

        emit(doc, fmt, table, output)
