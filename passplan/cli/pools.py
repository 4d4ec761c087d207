"""``passplan pools``: key pools of an integrated network over time, drained by application
demands (one call of :func:`passplan.schedule.pools.key_pools`)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from .common import (
    DaysOpt,
    EclipseOpt,
    EndOpt,
    HoursOpt,
    MinElOpt,
    OutputOpt,
    SatsOpt,
    StaleOpt,
    StartOpt,
    StationFilesOpt,
    VerboseOpt,
    emit,
    handle_errors,
    plot_format,
    progress_bar,
    warn,
    write_plot,
)
from .flags import OPTION_FOR, as_flags
from .passes import NightOpt, ProfileOpt, ProtocolOpt, _constraints, _satellites, _stations, _window

#: key_pools' default number of weather draws: passplan.schedule.pools.DEFAULT_POOL_DRAWS (not
#: imported: the CLI starts without numpy; tests/test_pools.py checks they agree)
DEFAULT_POOL_DRAWS = 20

#: key_pools' parameters in this command's words (library errors name the parameter)
_NAMES = {
    **OPTION_FOR,
    "storage_bits": "--storage-bits",
    "satellite_storage_bits": "--satellite-storage-bits",
    "lifetime_s": "--lifetime-s",
}


class PoolFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class PoolObjective(StrEnum):
    fair = "fair"
    total = "total"


def _bits(v: float | None) -> str:
    if v is None:
        return "-"
    for scale, unit in ((1e9, "Gbit"), (1e6, "Mbit"), (1e3, "kbit")):
        if abs(v) >= scale:
            return f"{v / scale:.3f} {unit}"
    return f"{v:.0f} bit"


def _hours(v: float | None) -> str:
    return "-" if v is None else f"{v / 3600:.2f} h"


def _share(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.1f} %"


_SHOW = (("fraction_served", _share), ("first_key_s", _hours), ("longest_outage_s", _hours),
         ("lowest_store_bits", _bits), ("storage_to_avoid_outages_bits", _bits))


def _table(doc: dict[str, Any]) -> str:
    lims = [f"{k} {doc[k]}" for k in ("storage_bits", "satellite_storage_bits", "lifetime_s") if doc[k] is not None]
    lines = [
        f"{doc['network']}: key pools {doc['start_utc']} to {doc['end_utc']}, {doc['steps']} steps; objective "
        f"{doc['objective']} ({doc['objective_text']})" + (f"; {', '.join(lims)}" if lims else ""),
    ]
    head = ["demand", "rate", "figure", "expected"]
    draws = doc["weather_trials"] > 0
    if draws:
        head += ["mean", "P10", "P50", "P90"]
    rows = []
    for d in doc["demands"]:
        for k, fmt in _SHOW:
            row = [f"{d['name']} ({d['a']}-{d['b']})", f"{d['rate_bps']:g} bit/s", k, fmt(d["expectation_replay"][k])]
            if draws:
                w = d["weather"][k]
                row += [fmt(w[s]) for s in ("mean", "p10", "p50", "p90")]
            rows.append(row)
        rows.append([f"{d['name']} ({d['a']}-{d['b']})", f"{d['rate_bps']:g} bit/s", "static max flow (bound)",
                     _bits(d["static_max_flow_bits"])] + ([""] * 4 if draws else []))
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    lines.append("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip())
    for r in rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    if draws:
        lines.append(f"expected: the replay of expected key; mean/P10/P50/P90 over {doc['weather_trials']} seeded weather "
                     f"draws (seed {doc['seed']})")
    return "\n".join(lines) + "\n"


def register(app: typer.Typer) -> None:
    @app.command("pools")
    @handle_errors
    def pools_cmd(
        file: Annotated[Path, typer.Argument(metavar="FILE", help="Integrated network TOML; 'china-integrated' for the bundled example.")],
        demand: Annotated[list[str] | None, typer.Option("--demand", help="Application demand A:B=RATE_BPS or NAME@A:B=RATE_BPS (end-to-end key wanted at every moment, bit/s). Repeatable.")] = None,
        demands_file: Annotated[Path | None, typer.Option("--demands", help="Demand TOML file ([[demands]] with a, b and rate_bps, or key_bits, refresh_s and users); 'china-integrated' for the bundled example.")] = None,
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
        storage_bits: Annotated[float | None, typer.Option("--storage-bits", help="Key store of every ground node (bits): the pools of its links (default: no limit).")] = None,
        satellite_storage_bits: Annotated[float | None, typer.Option("--satellite-storage-bits", help="Key store on board each satellite (bits; default: no limit).")] = None,
        lifetime_s: Annotated[float | None, typer.Option("--lifetime-s", help="Seconds a pool bit may wait before it is discarded (default: no expiry).")] = None,
        objective: Annotated[PoolObjective, typer.Option("--objective", help="fair: the largest smallest fraction served, then the most bits; total: the most bits.")] = PoolObjective.fair,
        weather_trials: Annotated[int, typer.Option("--weather-trials", help="Seeded, correlated weather draws (one linear programme each): mean, P10/P50/P90 of every figure (0: the replay of expected key only).")] = DEFAULT_POOL_DRAWS,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the weather draws.")] = 0,
        profile: ProfileOpt = None,
        protocol: ProtocolOpt = None,
        fmt: Annotated[PoolFormat, typer.Option("--format", help="Output format (csv: one row per demand).")] = PoolFormat.table,
        output: OutputOpt = None,
        plot: Annotated[Path | None, typer.Option("--plot", help="Also draw stores and outages against time: .png, .svg or .pdf.")] = None,
        verbose: VerboseOpt = False,
    ) -> None:
        """Key pools of an integrated network over time, drained by application demands.

        Each link of the network holds a pool of key: a fibre's grows at its rate, a satellite's
        with a station by the link's key when the link ends (the links network schedules). In
        every step of an event grid the trusted nodes relay key along pools to each demand, as
        one linear programme (HiGHS), with optional store limits and key lifetime. Per demand:
        fraction served, time to first key, longest outage, lowest store and the storage that
        would have avoided every outage, for the replay of expected key and over weather draws.
        """
        from ..errors import InputError
        from ..schedule.network import load_network
        from ..schedule.pools import AppDemand, check_pool_options, key_pools, load_demands

        plot_format(plot)
        net = load_network(file)
        wanted = [AppDemand.parse(d, "--demand") for d in demand or ()]
        if demands_file is not None:
            wanted += load_demands(demands_file)
        if not wanted:
            raise InputError("give a demand: --demand A:B=RATE_BPS or --demands FILE")
        t0, t1 = _window(start, end, hours, days, 24.0)
        with as_flags(names=_NAMES):
            check_pool_options(
                net, wanted, t0, t1, storage_bits=storage_bits, satellite_storage_bits=satellite_storage_bits,
                lifetime_s=lifetime_s, objective=objective.value, weather_trials=weather_trials,
            )
        sts: list[Any] = []
        satellites: list[Any] = []
        c = None
        if net.stations:
            sts = _stations(sorted(net.stations), stations)
            satellites = _satellites(sats, t0, allow_stale, verbose).satellites
            c = _constraints(min_el, night, eclipse, None, None, None, False)
        with progress_bar("pools") as tick, as_flags(names=_NAMES):
            res = key_pools(
                net, wanted, satellites, sts, t0, t1, c, profile=profile, protocol=protocol, storage_bits=storage_bits,
                satellite_storage_bits=satellite_storage_bits, lifetime_s=lifetime_s, objective=objective.value,
                weather_trials=weather_trials, seed=seed, tick=tick,
            )
        for w in res.warnings:
            warn(w)
        if plot is not None:
            from ..plot.pools import plot_pools

            write_plot(plot, lambda f: plot_pools(res, f))
        doc = res.to_dict()
        if fmt is PoolFormat.csv:
            emit(res.to_records(), fmt.value, lambda: "", output)
        else:
            emit(doc, fmt.value, lambda: _table(doc), output)
