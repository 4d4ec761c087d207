"""``passplan schedule``, ``passplan relay`` and ``passplan network``: who links with whom, when;
trusted-relay key between two stations; end-to-end key through an integrated network."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..times import iso_z
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
    check_parquet,
    emit,
    handle_errors,
    info,
    plot_format,
    progress_bar,
    warn,
    write_plot,
    write_text,
)
from .flags import OPTION_FOR, CreationDateOpt, DtstampOpt, as_flags, creation_date
from .passes import NightOpt, ProfileOpt, ProtocolOpt, _constraints, _satellites, _stations, _window

if TYPE_CHECKING:
    from ..schedule.run import ScheduleRun


class ScheduleFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    ndjson = "ndjson"
    ics = "ics"
    czml = "czml"
    parquet = "parquet"


class Objective(StrEnum):
    total = "total"
    fair = "fair"


class Solver(StrEnum):
    milp = "milp"
    greedy = "greedy"


class StorageRule(StrEnum):
    cap_first = "cap-first"
    xor_first = "xor-first"


DemandOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--demand",
        help="Key wanted over the window: NAME=BITS for a station, A:B=BITS for a pair through "
        "trusted-relay satellites; optional @PRIORITY (e.g. xinglong=2e6, beijing:stellenbosch=1e5@2). Repeatable.",
    ),
]
PlotOpt = Annotated[Path | None, typer.Option("--plot", help="Also draw a figure: .png, .svg or .pdf.")]
#: relay's and network's default number of weather draws: passplan.weather.DEFAULT_DRAWS (not
#: imported: the CLI starts without numpy; tests/test_relay_network.py checks they agree)
DEFAULT_DRAWS = 2000
DrawsOpt = Annotated[
    int,
    typer.Option(
        "--weather-trials",
        help="Seeded, correlated weather draws of the plan (each link clear with its clear-sky key, or cloudy): "
        "mean, P10/P50/P90 and the clear-sky bound of the key (0: only the replay of expected key, an upper estimate).",
    ),
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the weather draws.")]


class CloudMode(StrEnum):
    fraction = "fraction"
    threshold = "threshold"


CloudRecordOpt = Annotated[
    Path | None,
    typer.Option(
        "--cloud-record",
        help="Cloud record file (CSV station,time,cloud_fraction or clear; NetCDF with xarray): replay the "
        "weather as it happened at its stations (other stations keep the weather draws).",
    ),
]
CloudModeOpt = Annotated[
    CloudMode,
    typer.Option("--cloud-mode", help="With --cloud-record: fraction keeps a pass's clear share of key; threshold "
                 "keeps all of it at a cloud fraction up to --cloud-threshold, else none."),
]
CloudThresholdOpt = Annotated[
    float, typer.Option("--cloud-threshold", help="Cloud fraction at or below which a pass is clear (--cloud-mode threshold).")
]
#: The cloud record's library parameters and their options (errors name the options).
CLOUD_OPTIONS = {"cloud_mode": "--cloud-mode", "cloud_threshold": "--cloud-threshold", "cloud_record": "--cloud-record"}
CLOUD_PHRASES = {"the window (start/end)": "the window (--start, --end, --hours or --days)"}
#: The entangled links' library parameters and their options (relay --entangled, network --entangled).
ENTANGLED_OPTIONS = {"entangled_profile": "--entangled-profile", "entangled": "--entangled"}
ENTANGLED_PHRASES = {"with entangled yet": "with --entangled yet"}
EntangledProfileOpt = Annotated[
    str,
    typer.Option("--entangled-profile", help="With --entangled: the entangled-pair source profile (a [source] table).")
]


def _entangled_line(e: dict, what: str) -> list[str]:
    """The entangled alternative's lines (``e`` is a relay result's ``entangled`` object)."""
    if "reason" in e:
        return [f"{what}: 0 bit ({e['reason']})"]
    links = ", ".join(f"{ln['satellite']} {ln['windows']} window(s), {ln['seconds']:g} s, QBER {100 * ln['qber']:.2f} %"
                      for ln in e["links"])
    out = [f"{what} ({e['profile']}; {links}): {_bits(e['key_bits'])} pooled clear-sky key"]
    if "weather" in e:
        out.append(_draws_line(e["weather"], f"{what} under weather draws (both stations clear)"))
    out.append(f"{what}, replay of expectations (clear-sky key x P(both clear), an upper estimate): "
               f"{_bits(e['expected_key_bits'])}")
    if "recorded_key_bits" in e:  # a cloud record: the windows' kept sifted bits pooled
        out.append(f"{what}, the cloud record's replay (each window's sifted bits x the share both stations were "
                   f"clear, pooled): {_bits(e['recorded_key_bits'])}")
    return out


def _cloud_options(record: Path | None, mode: CloudMode, threshold: float) -> None:
    """Refuse cloud options that would do nothing: a rule without a record, a threshold without
    the threshold rule."""
    from ..errors import InputError

    if record is None and (mode is not CloudMode.fraction or threshold != 0.5):
        raise InputError("--cloud-mode and --cloud-threshold apply to a record; give --cloud-record FILE")
    if mode is CloudMode.fraction and threshold != 0.5:
        raise InputError("--cloud-threshold applies with --cloud-mode threshold; give both, or neither")


def _cloud_line(doc: dict) -> str:
    """The cloud record's one-line summary (``doc`` is a result's ``cloud_record`` object)."""
    rule = "clear share of key" if doc["mode"] == "fraction" else f"clear at cloud <= {doc['threshold']:g}"
    kept = sum(ln["key_bits"] for ln in doc["links"])
    ent = f", {len(doc['entangled'])} entangled window(s)" if "entangled" in doc else ""  # network --entangled
    return (f"cloud record {doc['file']} ({rule}): {len(doc['links'])} link(s){ent} at {', '.join(doc['stations'])} "
            f"replayed, {_bits(kept)} kept" + (" by the trusted links" if ent else ""))


def _draws_line(w: dict, what: str) -> str:
    """The weather draws' summary, each figure named (``w`` is a KeyDraws JSON object)."""
    line = (
        f"{what}: mean {_bits(w['mean_bits'])} over {w['trials']} weather draws (seed {w['seed']}, standard error "
        f"{_bits(w['stderr_bits'])}); P10 {_bits(w['p10_bits'])}, P50 {_bits(w['p50_bits'])}, "
        f"P90 {_bits(w['p90_bits'])}; clear-sky bound {_bits(w['clear_sky_bound_bits'])}"
    )
    if w.get("demand_bits") is not None:
        line += f"; demand met in {100 * w['p_demand_met']:.1f} % of draws"
    return line


def _bits(v: float) -> str:
    if v >= 1e6:
        return f"{v / 1e6:.3f} Mbit"
    if v >= 1e3:
        return f"{v / 1e3:.1f} kbit"
    return f"{v:.0f} bit"


def _rounds_text(rounds: dict[str, Any] | None) -> str:
    """The entangled line's account of the plan's re-valuation (``plan_rounds``)."""
    if not rounds:
        return ""
    how = "converged" if rounds["converged"] else "not converged"
    return (f"; windows re-valued at what the chosen ones pool to over {rounds['rounds']} solve(s), {how}, "
            f"plan of round {rounds['kept_round']} kept (heuristic)")


def _schedule_table(run: ScheduleRun) -> str:
    """The schedule as a table: local times at each station, from the links' datetimes."""
    from ..io import to_table
    from ..times import local_str

    rows = []
    for ln in run.plan.links:
        tz = run.stations[ln.station].timezone if ln.station in run.stations else "UTC"
        where = ln.station if ln.partner is None else f"{ln.station}:{ln.partner} (entangled)"
        rows.append([where, ln.satellite, local_str(ln.start, tz), local_str(ln.end, tz)[11:19],
                     _bits(round(ln.key_bits, 1)), _bits(round(ln.expected_key_bits, 1)), "yes" if ln.handover else ""])
    out = to_table(rows, ["station", "satellite", "start (local)", "end", "forecast key", "expected key", "hand-over"],
                   align="llllrrl") if rows else "no links scheduled\n"
    doc = run.to_document()
    s = doc["solver"]
    lines = [
        "",
        f"solver: {s['method']} {s['status']}, objective {s['objective']:.6g} ({doc['objective']}), "
        f"dual bound {s['dual_bound'] if s['dual_bound'] is None else format(s['dual_bound'], '.6g')}, "
        f"gap {s['gap']}, {s['seconds']:.2f} s"
        + (f" (the MILP of round {doc['entangled']['plan_rounds']['kept_round']} of the entangled windows'"
           " re-valuation; the plan as a whole is a heuristic)"
           if isinstance(doc.get("entangled"), dict) and doc["entangled"].get("plan_rounds") else ""),
    ]
    if s.get("block_status"):  # solved block by block: each block's status and the whole's bound
        blocks = ", ".join(f"{b['block']} {b['status']}" for b in s["block_status"])
        gap = "unknown" if s["gap"] is None else f"{100 * s['gap']:.3g} %"
        hint = "" if s["status"].startswith("optimal") else " (a larger --rolling-days solves the window as one MILP)"
        lines.append(
            f"solved in {s['blocks']} blocks, each given the earlier blocks' links (block {blocks}); "
            f"the dual bound is the whole horizon's LP relaxation: gap {gap}{hint}"
        )
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
    if doc.get("plan_basis"):  # pair demands: the plan counts expected key, the draws show the spread
        lines.append(
            f"plan basis: {doc['plan_basis']}; a pair's relay takes the smaller of two pools"
            + (" and an entangled block's finite key is not linear in its windows" if doc.get("entangled") else "")
            + ", so its key under weather falls below what the plan counts (the draws below)"
        )
    w = doc.get("weather") or {}
    if "trials" in w:  # the whole plan's cloudy-night trials (--weather-trials)
        lines.append(
            f"weather ({w['trials']} trials, clouds correlated over {w['correlation_km']:g} km): delivered "
            f"{_bits(w['mean_bits'])} on average (5-95 %: {_bits(w['p05_bits'])} to {_bits(w['p95_bits'])}); a night "
            f"has a clear station with probability {w['p_any_clear']:.2f} (best single station {w['p_best_single_clear']:.2f})"
        )
    ent_pairs = {frozenset((e["station_a"], e["station_b"])) for e in (doc.get("entangled") or {}).get("links", ())}
    for label, pw in w.get("pairs", {}).items():  # the plan is made on expected key; what it relays
        what = f"relayed {label}"
        if frozenset(label.split(":", 1)) in ent_pairs:  # its entangled windows' pooled key beside any relay
            what = f"key between {label} (relayed plus entangled)"
        lines.append(_draws_line(pw, f"{what} under weather draws (the pair alone)"))
    ent = doc.get("entangled")
    if ent is not None:  # only with --entangled
        lines.append(f"entangled links ({ent['profile']}, no trusted satellite): {ent['scheduled_windows']} of "
                     f"{ent['windows']} joint window(s) scheduled" + _rounds_text(ent.get("plan_rounds")))
        for e in ent["links"]:
            lines.append(
                f"  {e['station_a']} - {e['station_b']} via {e['satellite']}: {e['windows']} window(s), {e['seconds']:g} s, "
                f"QBER {100 * e['qber']:.2f} %; planned {_bits(e['planned_key_bits'])} (shares of the pooled key), "
                f"the chosen windows pooled as one block {_bits(e['key_bits'])}, P(both clear) {e['p_both_clear']:.2f}, "
                f"expected {_bits(e['expected_key_bits'])}")
        if "weather" in ent:
            lines.append(_draws_line(ent["weather"], "entangled key under weather draws (both stations clear)"))
    lines.append(f"{len(doc['unscheduled'])} candidate(s) not scheduled (reasons in --format json)")
    return out + "\n".join(lines) + "\n"


def _schedule_candidates(
    candidates: Path | None,
    requests: Path | None,
    conflicting: list[str],
    *,
    objective: Objective,
    demand: list[str] | None,
    setup_s: float | None,
    repoint_s: float | None,
    solver: Solver,
    time_limit_s: float,
    weather_trials: int,
    fmt: ScheduleFormat,
    output: Path | None,
    creation: str | None,
    dtstamp: str | None,
) -> None:
    """``schedule --candidates FILE [--requests FILE]``: one call of
    :func:`passplan.schedule.candidates_file.schedule_candidates`, emitted as a schedule."""
    from ..errors import InputError
    from ..schedule import Demand
    from ..schedule.candidates_file import load_candidates, schedule_candidates
    from ..schedule.requests import load_requests

    if candidates is None:
        raise InputError("--requests needs --candidates FILE (the links the requests may use)")
    if conflicting:
        raise InputError(f"--candidates plans the file's links as given; leave out {', '.join(conflicting)}")
    if objective is not Objective.total or weather_trials:
        raise InputError("--candidates plans given key values: leave out --objective fair and --weather-trials")
    if fmt is ScheduleFormat.czml:
        raise InputError("--format czml needs satellites' orbits; a candidates file has none: choose table, json, "
                         "csv, ndjson, ics or parquet")
    if fmt is ScheduleFormat.parquet:
        check_parquet(output, "schedule.parquet")
    demands = [Demand.parse(d, "--demand") for d in demand or ()]
    got = load_candidates(candidates)
    reqs = None if requests is None else load_requests(requests)
    with as_flags():
        run = schedule_candidates(got, reqs, demands, setup_s=setup_s, repoint_s=repoint_s, solver=solver.value,
                                  time_limit_s=time_limit_s)
    if fmt is ScheduleFormat.ics:
        write_text(run.to_ics(creation_date(creation, dtstamp) or datetime.now(UTC), "passplan schedule"), output)
        return
    if fmt is ScheduleFormat.parquet:
        _write_links_parquet(run, output)
        return
    if fmt in (ScheduleFormat.csv, ScheduleFormat.ndjson):
        emit(run.to_records(), OutputFormat(fmt.value), lambda: "", output)
        return

    def table() -> str:
        text = _schedule_table(run)
        doc = run.to_document()
        if doc.get("requests") is not None:
            text += (f"requests served: {doc['requests_served']} of {len(doc['requests'])}, priority x value "
                     f"{doc['requests_value']:.6g} (which link serves which: --format json)\n")
        return text + "key_bits are the file's values, not expectations\n"

    emit(run.to_document(), OutputFormat(fmt.value), table, output)


def _write_links_parquet(run: ScheduleRun, output: Path | None) -> None:
    """``--format parquet``: the scheduled links, one row each, the columns of ``--format json``'s
    ``links`` (:func:`passplan.exports.parquet.write_parquet`, the writer of ``passes``)."""
    from ..exports.parquet import write_parquet

    assert output is not None  # check_parquet refused stdout before any work
    write_parquet(run, output)


#: The schedule's library parameters and the options that set them.
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
        rolling_days: Annotated[float, typer.Option("--rolling-days", help="Windows longer than this are solved block by block (each block's status, the whole window's bound and the gap are reported); a larger value solves the whole window as one MILP.")] = 3.0,
        min_key_bits: Annotated[float, typer.Option("--min-key-bits", help="Leave out passes forecast below this key (bits).")] = 0.0,
        profile: ProfileOpt = None,
        protocol: ProtocolOpt = None,
        fmt: Annotated[ScheduleFormat, typer.Option("--format", help="Output format (ics: one calendar event per link; czml: Cesium CZML of satellites, stations and links coloured by key rate; parquet: the links' columns, needs --output).")] = ScheduleFormat.table,
        output: OutputOpt = None,
        plot: PlotOpt = None,
        creation: CreationDateOpt = None,
        dtstamp: DtstampOpt = None,
        weather_trials: Annotated[int, typer.Option("--weather-trials", help=f"Also draw this many seeded cloudy-night Monte-Carlo trials of the plan (0: off). A pair demand's relayed key is drawn in any case (this many draws, or {DEFAULT_DRAWS} with 0).")] = 0,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the weather Monte-Carlo.")] = 0,
        verbose: VerboseOpt = False,
        candidates: Annotated[Path | None, typer.Option("--candidates", help="Candidates file (CSV or JSON: station, satellite, start, end, key_bits, optional priority and id): plan these links as given, with no pass search and no forecast.")] = None,
        requests: Annotated[Path | None, typer.Option("--requests", help="Request file (TOML or JSON, with --candidates): tasks the links serve, each once, by priority x value; see the README.")] = None,
        entangled: Annotated[list[str] | None, typer.Option("--entangled", help="A satellite of --sats (name or catalogue number) that serves as an entangled-pair source instead of a trusted downlink: its joint windows over two of the stations are scheduled as entangled links, key directly between the two (a telescope at each), no trusted satellite. Repeatable.")] = None,
        entangled_profile: EntangledProfileOpt = "micius-entangled",
    ) -> None:
        """Schedule links of satellites with stations for the most (or fairest) expected key.

        Candidates are the forecast passes (key times each station's clear-sky probability) and,
        with hand-over, sub-windows where one satellite sees two stations at once. The MILP's plan
        is checked independently and printed with two greedy baselines beside it.
        """
        from ..errors import InputError
        from ..schedule import Demand
        from ..schedule.run import check_demands, check_schedule_options, schedule_passes

        if entangled_profile != "micius-entangled" and not entangled:
            raise InputError("--entangled-profile applies with --entangled SAT; give both, or neither")
        if candidates is not None or requests is not None:
            given = {"--sats": sats, "--stations": stations, "--station": station, "--start": start, "--end": end,
                     "--hours": hours, "--days": days, "--profile": profile, "--protocol": protocol, "--plot": plot,
                     "--entangled": entangled}
            _schedule_candidates(
                candidates, requests, [k for k, v in given.items() if v], objective=objective, demand=demand,
                setup_s=setup_s, repoint_s=repoint_s, solver=solver, time_limit_s=time_limit_s,
                weather_trials=weather_trials, fmt=fmt, output=output, creation=creation, dtstamp=dtstamp,
            )
            return
        with as_flags():
            check_schedule_options(
                time_limit_s=time_limit_s, min_key_bits=min_key_bits, weather_trials=weather_trials, setup_s=setup_s,
                rolling_days=rolling_days,
            )
        if entangled:
            from ..schedule.entangled import check_entangled_profile

            if fmt is ScheduleFormat.czml:
                raise InputError("--format czml draws links from a satellite to one station; an --entangled link joins "
                                 "two: choose table, json, csv, ndjson or ics")
            with as_flags(names=ENTANGLED_OPTIONS):
                check_entangled_profile(entangled_profile)
        plot_format(plot)
        if fmt is ScheduleFormat.czml:  # the optional library, before any work
            from ..exports.czml import require_czml3

            require_czml3()
        elif fmt is ScheduleFormat.parquet:
            check_parquet(output, "schedule.parquet")
        demands = [Demand.parse(d, "--demand") for d in demand or ()]
        t0, t1 = _window(start, end, hours, days, 24.0)
        sts = _stations(station, stations)
        with as_flags():
            check_demands(demands, sts)
        sel = _satellites(sats, t0, allow_stale, verbose)
        c = _constraints(min_el, night, eclipse, min_sun_sep, min_moon_sep, max_range_km, refraction)
        with progress_bar("schedule") as tick, as_flags(ENTANGLED_PHRASES, {**OPTION_FOR, **ENTANGLED_OPTIONS}):
            run = schedule_passes(
                sel.satellites, sts, t0, t1, c, profile=profile, protocol=protocol, objective=objective.value,
                demands=demands, handover=handover, min_key_bits=min_key_bits, solver=solver.value,
                time_limit_s=time_limit_s, setup_s=setup_s, repoint_s=repoint_s, rolling_days=rolling_days,
                weather_trials=weather_trials,
                seed=seed, progress=info if verbose else None, tick=tick,
                entangled=entangled or (), entangled_profile=entangled_profile,
            )
        for w in run.warnings:
            warn(w)
        if plot is not None:
            from ..plot.gantt import plot_schedule

            write_plot(plot, lambda f: plot_schedule(run.plan, f))
        if fmt is ScheduleFormat.ics:
            write_text(run.to_ics(creation_date(creation, dtstamp) or datetime.now(UTC), "passplan schedule"), output)
            return
        if fmt is ScheduleFormat.czml:
            from ..exports.czml import czml_text

            write_text(czml_text(run), output)
            return
        if fmt is ScheduleFormat.parquet:
            _write_links_parquet(run, output)
        elif fmt in (ScheduleFormat.csv, ScheduleFormat.ndjson):
            emit(run.to_records(), OutputFormat(fmt.value), lambda: "", output)
        else:
            emit(run.to_document(), OutputFormat(fmt.value), lambda: _schedule_table(run), output)

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
        demand: Annotated[str | None, typer.Option("--demand", help="Key wanted between A and B: A:B=BITS as for schedule, or BITS; report when it is met.")] = None,
        storage_bits: Annotated[float | None, typer.Option("--storage-bits", help="On-board key store per satellite for the pair (bits).")] = None,
        lifetime_s: Annotated[float | None, typer.Option("--lifetime-s", help="Seconds a pool bit may wait before it is discarded.")] = None,
        storage_rule: Annotated[StorageRule, typer.Option("--storage-rule", help="With --storage-bits: cap-first stores a link's whole key before the XOR (overflow discards the oldest bits); xor-first XORs the new key with the held pool first and stores only the remainder.")] = StorageRule.cap_first,
        weather_trials: DrawsOpt = DEFAULT_DRAWS,
        seed: SeedOpt = 0,
        cloud_record: CloudRecordOpt = None,
        cloud_mode: CloudModeOpt = CloudMode.fraction,
        cloud_threshold: CloudThresholdOpt = 0.5,
        profile: ProfileOpt = None,
        protocol: ProtocolOpt = None,
        entangled: Annotated[bool, typer.Option("--entangled", help="Also give the key from the same satellites as entangled-pair sources: directly between A and B over their joint windows, no trusted satellite (beside the trusted-relay figure).")] = False,
        entangled_profile: EntangledProfileOpt = "micius-entangled",
        fmt: OneFormatOpt = TableFormat.table,
        output: OutputOpt = None,
        verbose: VerboseOpt = False,
    ) -> None:
        """Trusted-relay key between two stations through satellites, in time.

        The satellites' links with A and B are scheduled for the pair (one station at a time per
        satellite), each link's expected key (forecast times clear-sky probability) joins its
        pool when the link ends, and each satellite relays (XORs and announces) what both pools
        hold as soon as it can. With --storage-bits the on-board store is capped before the XOR
        (--storage-rule cap-first, the default) or after it (xor-first). A relay takes the smaller
        of two pools, so that replay of expected key overestimates the mean: the plan is also
        replayed under --weather-trials seeded weather draws (mean, P10/P50/P90, clear-sky bound).
        With --entangled the same satellites are also taken as entangled-pair sources: the BBM92
        key of the joint windows pooled into one block, both stations clear, no trusted satellite.
        """
        from ..errors import InputError
        from ..schedule.cloud_record import as_cloud_record
        from ..schedule.relay import check_relay_options
        from ..schedule.run import check_pair, check_schedule_options, pair_demand_bits, relay_key

        demand_bits = None if demand is None else pair_demand_bits(demand, (a, b), "--demand")
        with as_flags():
            check_schedule_options(weather_trials=weather_trials)
            check_relay_options(storage_bits=storage_bits, lifetime_s=lifetime_s, demand_bits=demand_bits,
                                storage_rule=storage_rule.value)
        _cloud_options(cloud_record, cloud_mode, cloud_threshold)
        if entangled_profile != "micius-entangled" and not entangled:
            raise InputError("--entangled-profile applies with --entangled; give both, or neither")
        if entangled:
            from ..schedule.entangled import check_entangled_profile

            with as_flags(names=ENTANGLED_OPTIONS):
                check_entangled_profile(entangled_profile)
        with as_flags(names={**OPTION_FOR, **CLOUD_OPTIONS}):
            record = as_cloud_record(cloud_record, cloud_mode.value, cloud_threshold)
        t0, t1 = _window(start, end, hours, days, 24.0)
        sts = _stations([a, b], stations)
        check_pair(a, b, sts)
        sel = _satellites(sats, t0, allow_stale, verbose)
        c = _constraints(min_el, night, eclipse, None, None, None, False)
        with progress_bar("relay") as tick, as_flags(CLOUD_PHRASES, {**OPTION_FOR, **CLOUD_OPTIONS}):
            res = relay_key(
                sel.satellites, sts, (a, b), t0, t1, c, profile=profile, protocol=protocol, demand_bits=demand_bits,
                storage_bits=storage_bits, lifetime_s=lifetime_s, storage_rule=storage_rule.value,
                weather_trials=weather_trials, seed=seed, tick=tick, cloud_record=record,
                entangled=entangled, entangled_profile=entangled_profile,
            )
        for w in res.warnings:
            warn(w)
        doc = res.to_dict()

        def table() -> str:
            ent = [] if res.entangled is None else _entangled_line(res.entangled, f"entangled {a} <-> {b}, no trusted satellite")
            if res.reason is not None:
                return "\n".join([f"relay {a} <-> {b}: 0 bit ({res.reason})", *ent]) + "\n"
            pools = f"({', '.join(f'{k} pool {_bits(v)}' for k, v in res.pool_bits.items())})"
            via = f"relay {a} <-> {b} via {', '.join(res.satellites)}"
            if res.weather is None:
                lines = [f"{via}: {_bits(res.relayed_bits)} {pools}"]
            else:
                lines = [
                    _draws_line(doc["weather"], via),
                    f"replay of expectations (an upper estimate): {_bits(res.relayed_bits)} {pools}",
                ]
            for t, bits in res.timeline:
                lines.append(f"  {iso_z(t)}  {_bits(bits)}")
            if storage_bits is not None:
                lines.append(
                    f"on-board store {_bits(storage_bits)} per satellite ({res.storage_rule}): "
                    f"{_bits(res.discarded_bits)} discarded"
                )
            if demand_bits is not None:
                lines.append(
                    f"demand {_bits(demand_bits)}: "
                    + (f"met at {iso_z(res.demand_met)}" if res.demand_met else "not met in this window")
                )
            if res.cloud_record is not None:
                lines.append(_cloud_line(res.cloud_record))
            if ent:
                lines[0] = ("trusted " + lines[0]) if lines[0].startswith("relay") else lines[0]
                lines += ent
            return "\n".join(lines) + "\n"

        emit(doc, fmt, table, output)

    @app.command("network")
    @handle_errors
    def network_cmd(
        file: Annotated[Path, typer.Argument(metavar="FILE", help="Integrated network TOML (nodes, links, stations); 'china-integrated' or 'twinfield-example' for the bundled examples.")],
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
        weather_trials: DrawsOpt = DEFAULT_DRAWS,
        seed: SeedOpt = 0,
        cloud_record: CloudRecordOpt = None,
        cloud_mode: CloudModeOpt = CloudMode.fraction,
        cloud_threshold: CloudThresholdOpt = 0.5,
        profile: ProfileOpt = None,
        protocol: ProtocolOpt = None,
        entangled: Annotated[list[str] | None, typer.Option("--entangled", help="A satellite of --sats (name or catalogue number) that serves as an entangled-pair source instead of a trusted relay: key directly between the nodes of the network's stations it sees at once. Repeatable.")] = None,
        entangled_profile: EntangledProfileOpt = "micius-entangled",
        fmt: OneFormatOpt = TableFormat.table,
        output: OutputOpt = None,
        plot: Annotated[Path | None, typer.Option("--plot", help="Also draw the fibre key rate against length on the file's devices: decoy BB84 ([fibre_model]) and twin-field ([twinfield_model]), their crossover and the file's fibre links (.png, .svg or .pdf).")] = None,
        verbose: VerboseOpt = False,
    ) -> None:
        """End-to-end key between two nodes of an integrated network over the window.

        Ground links carry their key rate times the window; satellites relay what their scheduled
        links with the network's stations built (expected key); the answer is the maximum flow,
        with its paths and the bottleneck links of a minimum cut.
        """
        from ..errors import InputError
        from ..schedule.cloud_record import as_cloud_record
        from ..schedule.network import load_network
        from ..schedule.run import check_endpoints, network_key

        plot_format(plot)
        net = load_network(file)
        with as_flags():
            check_endpoints(net, source, target)
        _cloud_options(cloud_record, cloud_mode, cloud_threshold)
        if entangled_profile != "micius-entangled" and not entangled:
            raise InputError("--entangled-profile applies with --entangled SAT; give both, or neither")
        if entangled:
            from ..schedule.entangled import check_entangled_profile

            if not net.stations:
                raise InputError(f"--entangled: {net.path or net.name} has no satellite stations to join")
            with as_flags(names=ENTANGLED_OPTIONS):
                check_entangled_profile(entangled_profile)
        with as_flags(names={**OPTION_FOR, **CLOUD_OPTIONS}):
            record = as_cloud_record(cloud_record, cloud_mode.value, cloud_threshold)
        t0, t1 = _window(start, end, hours, days, 24.0)
        sts, satellites, c = [], [], None
        if net.stations:  # satellites relay between the network's stations
            sts = _stations(sorted(net.stations), stations)
            satellites = _satellites(sats, t0, allow_stale, verbose).satellites
            c = _constraints(min_el, night, eclipse, None, None, None, False)
        with progress_bar("network") as tick, as_flags({**CLOUD_PHRASES, **ENTANGLED_PHRASES},
                                                       {**OPTION_FOR, **CLOUD_OPTIONS, **ENTANGLED_OPTIONS}):
            res = network_key(
                net, source, target, satellites, sts, t0, t1, c, profile=profile, protocol=protocol,
                weather_trials=weather_trials, seed=seed, tick=tick, cloud_record=record,
                entangled=entangled or (), entangled_profile=entangled_profile,
            )
        for w in res.warnings:
            warn(w)
        if plot is not None:
            from ..plot.fibre import plot_fibre_rates

            fibres = [(f"{ln.a}-{ln.b} ({ln.protocol})", ln.length_km, ln.rate_bps)
                      for ln in net.links if ln.kind == "fibre" and ln.length_km is not None]
            write_plot(plot, lambda f: plot_fibre_rates(
                [(f"{net.name} devices", net.fibre, net.twinfield)], fmt=f, links=fibres,
                title=f"{net.name}: decoy BB84 and SNS twin-field fibre links on the file's devices"))
        doc = res.to_dict()

        def table() -> str:
            head = f"{res.network}: {source} -> {target} over {doc['period_s'] / 3600:g} h"
            if res.reason is not None:
                return f"{head}: 0 bit ({res.reason})\n"
            if res.weather is None:
                lines = [f"{head}: {_bits(res.key_bits)}"]
            else:
                lines = [
                    _draws_line(doc["weather"], head),
                    f"replay of expectations (an upper estimate): {_bits(res.key_bits)}",
                ]
            for nodes, bits in res.paths:
                lines.append(f"  path {' -> '.join(nodes)}: {_bits(bits)}")
            for bn in res.bottlenecks:
                kind = bn["kind"] + (f", {bn['protocol']}" if "protocol" in bn else "")
                kind += f" via {', '.join(bn['satellites'])}" if "satellites" in bn else ""
                lines.append(f"  bottleneck {bn['a']} - {bn['b']} ({kind}): {_bits(bn['capacity_bits'])}")
            for e in res.entangled:
                lines.append(
                    f"  entangled {e['station_a']} - {e['station_b']} via {e['satellite']} (no trusted satellite): "
                    f"{e['windows']} window(s), {_bits(e['key_bits'])} pooled clear-sky key, P(both clear) "
                    f"{e['p_both_clear']:.2f}, expected {_bits(e['expected_key_bits'])}"
                    + (f", the cloud record's replay {_bits(e['recorded_key_bits'])}" if "recorded_key_bits" in e else ""))
            if res.cloud_record is not None:
                lines.append(_cloud_line(res.cloud_record))
            return "\n".join(lines) + "\n"

        emit(doc, fmt, table, output)
