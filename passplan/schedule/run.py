"""The use cases of a network of stations, each one library call that returns a document.

:func:`schedule_passes` finds the passes of the chosen satellites over the chosen stations,
forecasts each one's key with the station's (or satellite's, or the given) link profile, turns
them into candidates (with hand-over sub-windows), takes each station's telescopes, setup gap and
clear-sky probability from its record, and solves the plan; with hand-over it also reports what
hand-over gains over the plan of whole passes alone (usually from one LP, whose integral optimum
is that plan's: :func:`passplan.schedule.solve.whole_pass_key`); optionally it draws seeded cloudy
nights (:func:`passplan.weather.simulate_weather`). It returns a :class:`ScheduleRun`.

:func:`relay_key` schedules the links of two stations for the pair and replays the trusted relay
in time (:class:`~passplan.schedule.relay.RelayResult`); :func:`network_key` schedules the links
of an integrated network's satellite stations and returns the end-to-end key between two nodes
(:class:`~passplan.schedule.network.NetworkKey`).

Each result has ``to_records()`` (rows: the links, the relay timeline, the network's paths) and
``to_json()`` (the JSON document ``passplan schedule|relay|network --format json`` prints), and
:func:`passplan.write_json`, :func:`~passplan.write_csv` and (a schedule's links)
:func:`~passplan.write_ics` take it. Times stay datetimes until a writer formats them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, UnknownNameError
from ..io import to_json
from ..passes import Constraints, iter_passes
from ..stations import Station
from ..weather import DEFAULT_DRAWS, KeyDraws
from .candidates import candidates_from_forecasts
from .draws import (
    MAX_WEATHER_TRIALS,
    deposits_of,
    flow_draws,
    record_document,
    recorded_bits,
    relay_draws,
)
from .model import Candidate, Demand, Plan, Resources
from .network import Network, NetworkKey, end_to_end, load_network, pools_from_links
from .relay import RelayResult, relay
from .solve import ROLLING_DAYS, plan_schedule, whole_pass_key

if TYPE_CHECKING:
    import os

    import numpy as np

    from .cloud_record import CloudRecord

__all__ = [
    "ScheduleRun",
    "schedule_passes",
    "resources_for",
    "check_schedule_options",
    "check_demands",
    "check_pair",
    "check_endpoints",
    "relay_key",
    "pair_demand_bits",
    "network_key",
    "RELAY_ALL_BITS",
    "PLAN_BASIS",
    "MAX_WEATHER_TRIALS",
    "relay_draws",
    "flow_draws",
]

#: A pair demand no window can meet: the schedule then relays as much as it can.
RELAY_ALL_BITS = 1e18

#: What a plan with pair demands is optimised on (issue 18 item 3): each link's expected key, the
#: forecast times the station's clear-sky probability, not a sample average over weather
#: scenarios. A pair's relay takes the smaller of two pools, which is concave in the links' key,
#: so the expected relayed key is below what the plan counts (Jensen's inequality): the run
#: reports the pair's relayed key under seeded weather draws beside it (``pair_weather``).
PLAN_BASIS = "expected key (forecast x clear-sky probability)"



@dataclass(frozen=True)
class ScheduleRun:
    """A solved schedule: the plan, its candidates and forecasts, what hand-over gains, the pass
    search's warnings, the seconds per stage, and (with weather trials) the cloudy-night spread.

    ``to_document()`` is the schedule's JSON object (the interface other tools read),
    ``to_json()`` its text, ``to_records()`` one record per scheduled link (CSV, NDJSON), and
    ``to_ics()`` one calendar event per link."""

    plan: Plan
    candidates: list[Candidate]
    forecasts: list[Any]
    handover_gain_bits: float | None  # the plan's expected key minus the whole-pass plan's
    warnings: list[str]
    seconds: dict[str, float]  # passes, forecast, solve
    weather: Any | None = None  # a passplan.weather.WeatherSpread, with weather_trials
    stations: Mapping[str, Station] = field(default_factory=dict)  # by id: time zones for tables
    #: with pair demands: each pair's relayed key under weather draws (``weather_trials`` of them, or
    #: DEFAULT_DRAWS without; the same seed; the plan's links at its two stations, the pair as if
    #: alone), by the demand's label
    pair_weather: dict[str, KeyDraws] = field(default_factory=dict)
    #: with pair demands: what the plan was optimised on (:data:`PLAN_BASIS`); None without one
    plan_basis: str | None = None
    #: with ``entangled`` satellites: the entangled links' object of :meth:`to_document` (the
    #: profile, each scheduled (satellite, pair) link with the pooled key of its chosen windows,
    #: their weather draws); None without
    entangled: dict[str, Any] | None = None

    @property
    def links(self) -> list[Candidate]:
        """The scheduled links, in time order."""
        return self.plan.links

    def to_records(self) -> list[dict[str, Any]]:
        """One record per scheduled link (the ``links`` of :meth:`to_document`)."""
        return self._kinds(self.plan.to_records())

    def _kinds(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """With entangled satellites, every link record says its ``kind`` (``"trusted"``: one
        station, the satellite holds the key; ``"entangled"``: two stations, no trusted
        satellite) and its stations ``station_a``, ``station_b`` (None for a trusted link), so
        the records share their keys (CSV columns); without, the records as they are."""
        if self.entangled is None:
            return records
        for r in records:
            if "kind" not in r:
                r.update(kind="trusted", station_a=r["station"], station_b=None)
        return records

    def to_document(self) -> dict[str, Any]:
        """The schedule's JSON object: links, unscheduled candidates with the reason, totals,
        solver and baselines, objective, demands, hand-over gain, expected key, and the weather
        spread when one was drawn."""
        doc = self.plan.to_document()
        self._kinds(doc["links"])
        self._kinds(doc["unscheduled"])
        expected = doc.pop("expected_key_bits")  # the hand-over gain comes before it
        doc["handover_gain_bits"] = None if self.handover_gain_bits is None else round(self.handover_gain_bits, 1)
        doc["expected_key_bits"] = expected
        if self.plan_basis is not None:  # only with pair demands (documents without one keep their keys)
            doc["plan_basis"] = self.plan_basis
        if self.weather is not None:
            doc["weather"] = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.weather.to_dict().items()}
        if self.pair_weather:  # the pair demands' draws, beside the plan made on expectations
            doc.setdefault("weather", {})["pairs"] = {k: v.to_dict() for k, v in self.pair_weather.items()}
        if self.entangled is not None:  # only with entangled satellites
            doc["entangled"] = self.entangled
        return doc

    def to_json(self) -> str:
        """The JSON text of :meth:`to_document` (what ``--format json`` prints)."""
        return to_json(self.to_document())

    def to_dataframe(self) -> Any:
        """The scheduled links as a pandas DataFrame (:func:`passplan.exports.frames.to_dataframe`)."""
        from ..exports.frames import to_dataframe

        return to_dataframe(self)

    def to_ics(self, creation_date: datetime | None = None, name: str = "passplan schedule") -> str:
        """An iCalendar text, one event per scheduled link (UIDs stable across re-runs), every
        event stamped ``creation_date`` (default now)."""
        from ..exports.ics import events_from_links, to_ics

        return to_ics(events_from_links(self.plan.links), creation_date, name)


def resources_for(
    stations: Sequence[Station], terminals: dict[str, int] | None = None, repoint_s: float | None = None
) -> Resources:
    """Resources from station records (telescopes, setup gap) and satellite defaults;
    ``terminals`` maps a satellite's catalogue number (or name) to its terminals."""
    kw: dict[str, Any] = {}
    if repoint_s is not None:
        kw["default_repoint_s"] = repoint_s
    return Resources(
        telescopes={s.id: s.telescopes for s in stations},
        setup_s={s.id: s.setup_s for s in stations},
        terminals=dict(terminals or {}),
        **kw,
    )


def check_schedule_options(
    *,
    time_limit_s: float | None = 60.0,
    min_key_bits: float = 0.0,
    weather_trials: int = 0,
    setup_s: float | None = None,
    rolling_days: float = ROLLING_DAYS,
) -> None:
    """Refuse out-of-range options of :func:`schedule_passes` before any work (each error starts
    with the parameter's name)."""
    if not 0 < rolling_days < float("inf"):
        raise InputError(f"rolling_days {rolling_days:g}: give a positive number of days")
    if time_limit_s is not None and not 0 < time_limit_s <= 86400:
        raise InputError(f"time_limit_s {time_limit_s:g}: give a positive number of seconds, at most a day")
    if not 0 <= min_key_bits < float("inf"):
        raise InputError(f"min_key_bits {min_key_bits:g}: give zero or more bits (a finite number)")
    if isinstance(weather_trials, bool) or not isinstance(weather_trials, int) or not 0 <= weather_trials <= MAX_WEATHER_TRIALS:
        raise InputError(f"weather_trials {weather_trials}: give 0 to {MAX_WEATHER_TRIALS} trials")
    if setup_s is not None and not setup_s >= 0:
        raise InputError(f"setup_s {setup_s:g}: give zero or more seconds")


def check_demands(demands: Sequence[Demand], stations: Sequence[Station]) -> None:
    """Every station a demand names is among ``stations`` (the error starts with ``demand``)."""
    known = {s.id for s in stations}
    for d in demands:
        for s in d.stations:
            if s not in known:
                raise InputError(
                    f"demand {d.label}: station {s!r} is not among the chosen stations ({', '.join(sorted(known))})"
                )


def schedule_passes(
    satellites: Sequence[Any],
    stations: Sequence[Station],
    start: datetime,
    end: datetime,
    constraints: Constraints | None = None,
    *,
    profile: str | None = None,
    protocol: str | None = None,
    objective: str = "total",
    demands: Sequence[Demand] = (),
    handover: bool = True,
    grid_s: float = 60.0,
    min_key_bits: float = 0.0,
    solver: str = "milp",
    time_limit_s: float | None = 60.0,
    setup_s: float | None = None,
    repoint_s: float | None = None,
    rolling_days: float = ROLLING_DAYS,
    weather_trials: int = 0,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    tick: Callable[[int, int, str], None] | None = None,
    entangled: Sequence[str] = (),
    entangled_profile: str = "micius-entangled",
) -> ScheduleRun:
    """Plan links of ``satellites`` over ``stations`` between ``start`` and ``end``.

    ``setup_s`` overrides every station's setup gap, ``repoint_s`` the satellites' re-pointing
    gap; windows longer than ``rolling_days`` are solved block by block (the plan's solver
    summary then gives each block's status, the whole horizon's bound and the gap: a larger
    ``rolling_days`` solves the whole window as one MILP); ``weather_trials`` > 0 also draws that
    many seeded cloudy-night trials of the plan (``seed``). The plan is made on expected key
    (:data:`PLAN_BASIS`, ``plan_basis`` with pair demands); for each pair demand the run also
    reports the pair's relayed key under seeded weather draws (``pair_weather``: mean, P10/P50/P90,
    the clear-sky bound, the share of draws meeting the demand), ``weather_trials`` of them or
    :data:`passplan.weather.DEFAULT_DRAWS` when that is 0. ``progress`` receives a line per stage,
    ``tick(done, total, stage)`` the forecast count.

    ``entangled`` names satellites among ``satellites`` (name, alias or catalogue number) that
    serve as entangled-pair sources (``entangled_profile``, a profile with a ``[source]`` table)
    instead of trusted downlinks, as in :func:`network_key` (issue 19): each of their joint
    windows over two of ``stations`` (:func:`passplan.pairs.joint_windows`) is a candidate that
    holds the satellite and a telescope at both stations for the window, whose key is first its
    share of the BBM92 key of that satellite's windows over that pair pooled into one block
    (:func:`passplan.schedule.entangled.entangled_candidates`) times P(both clear), then
    re-valued from the windows each plan chose and re-solved until the plan gets what it counts
    (:func:`passplan.schedule.entangled.consistent_plan`: a heuristic); it serves a pair demand
    of its two stations directly (no trusted satellite) and is no station's key. ``entangled``
    in the run lists each scheduled (satellite, pair) link with the pooled key of the windows the
    plan chose (and, with ``weather_trials``, their draws with both stations clear) and the
    rounds (``plan_rounds``); each link record says its ``kind``."""
    check_schedule_options(
        time_limit_s=time_limit_s, min_key_bits=min_key_bits, weather_trials=weather_trials, setup_s=setup_s,
        rolling_days=rolling_days,
    )
    trusted: list[Any] = list(satellites)
    ent_sats: list[Any] = []
    if entangled:
        from .entangled import check_entangled_profile, pick_entangled

        check_entangled_profile(entangled_profile)
        if len({s.id for s in stations}) < 2:
            raise InputError("entangled links join two stations at once; choose at least two stations")
        ent_sats, trusted = pick_entangled(satellites, entangled)
    if setup_s is not None:
        stations = [dc_replace(s, setup_s=setup_s) for s in stations]
    check_demands(demands, stations)
    if trusted or not entangled:
        fc = _forecast_candidates(
            trusted, stations, start, end, constraints, profile=profile, protocol=protocol, handover=handover,
            grid_s=grid_s, min_key_bits=min_key_bits, progress=progress, tick=tick,
        )
    else:  # every satellite is an entangled source: no trusted downlink to search for
        fc = _Forecasts([], [], [], {s.id: s for s in stations}, {"passes": 0.0, "forecast": 0.0})
    ent: list[Any] | None = None
    if entangled:
        fc, ent = _entangled_forecasts(fc, ent_sats, stations, start, end, constraints, entangled_profile,
                                       min_key_bits=min_key_bits, progress=progress)
    return _plan_run(
        fc, stations, demands, objective, handover=handover, solver=solver, time_limit_s=time_limit_s,
        repoint_s=repoint_s, rolling_days=rolling_days, weather_trials=weather_trials, seed=seed, progress=progress,
        pair_trials=weather_trials or DEFAULT_DRAWS, ent=ent, ent_profile=entangled_profile,
        ent_min_key_bits=min_key_bits,
    )


def _entangled_forecasts(
    fc: _Forecasts, satellites: Sequence[Any], stations: Sequence[Station], start: datetime, end: datetime,
    constraints: Constraints | None, profile: str, *, min_key_bits: float, progress: Callable[[str], None] | None,
) -> tuple[_Forecasts, list[Any]]:
    """``fc`` with the entangled candidates of ``satellites`` over every pair of ``stations``
    added (:func:`passplan.schedule.entangled.entangled_candidates`), and their links."""
    from .entangled import entangled_candidates, entangled_links

    if progress:
        progress(f"forecasting the entangled key of {len(satellites)} satellite(s) over pairs of {len(stations)} stations")
    t = time.perf_counter()
    ent = entangled_links(satellites, stations, start, end, constraints, profile=profile, exclusive=False)
    cands = entangled_candidates(ent, min_key_bits)
    warnings = list(fc.warnings)
    if not ent:
        names = ", ".join(str(getattr(s, "name", s)) for s in satellites)
        warnings.append(f"entangled: {names} is usable from no two of the stations at once in this window, so no "
                        "entangled link; widen the window or choose stations it passes over together")
    return dc_replace(fc, cands=fc.cands + cands, warnings=warnings,
                      seconds={**fc.seconds, "entangled": time.perf_counter() - t}), ent


@dataclass(frozen=True)
class _Forecasts:
    """The pass search and forecasts behind a plan: candidates, forecasts, warnings, timings."""

    cands: list[Candidate]
    forecasts: list[Any]
    warnings: list[str]
    by_id: dict[str, Station]
    seconds: dict[str, float]


def _forecast_candidates(
    satellites: Sequence[Any],
    stations: Sequence[Station],
    start: datetime,
    end: datetime,
    constraints: Constraints | None,
    *,
    profile: str | None,
    protocol: str | None,
    handover: bool,
    grid_s: float = 60.0,
    min_key_bits: float = 0.0,
    progress: Callable[[str], None] | None = None,
    tick: Callable[[int, int, str], None] | None = None,
) -> _Forecasts:
    from ..forecast import forecast_passes

    t = time.perf_counter()
    passes = []
    warnings: list[str] = []
    for block in iter_passes(satellites, stations, start, end, constraints):
        passes.extend(block.passes)
        warnings.extend(block.warnings)
    t_passes = time.perf_counter() - t
    if progress:
        progress(f"forecasting the key of {len(passes)} passes")
    t = time.perf_counter()
    usable = [p for p in passes if not p.excluded]
    forecasts = forecast_passes(usable, profile=profile, protocol=protocol)  # one batch: shared scene
    if tick:
        tick(len(usable), len(usable), "forecasting keys")
    by_id = {s.id: s for s in stations}
    cands = candidates_from_forecasts(
        forecasts, stations=by_id, min_key_bits=min_key_bits, handover=handover, grid_s=grid_s
    )
    return _Forecasts(cands, forecasts, warnings, by_id, {"passes": t_passes, "forecast": time.perf_counter() - t})


def _plan_run(
    fc: _Forecasts,
    stations: Sequence[Station],
    demands: Sequence[Demand],
    objective: str = "total",
    *,
    handover: bool,
    solver: str = "milp",
    time_limit_s: float | None = 60.0,
    repoint_s: float | None = None,
    rolling_days: float = ROLLING_DAYS,
    weather_trials: int = 0,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    pair_trials: int = 0,
    ent: Sequence[Any] | None = None,
    ent_profile: str = "micius-entangled",
    ent_min_key_bits: float = 0.0,
) -> ScheduleRun:
    cands = fc.cands
    if progress:
        progress(f"solving the plan over {len(cands)} candidates")
    res = resources_for(stations, repoint_s=repoint_s)
    t = time.perf_counter()
    rounds = None
    if ent:  # entangled windows valued at what the chosen windows pool to: re-valued and re-solved
        from .entangled import consistent_plan

        def solve(cs: list[Candidate]) -> Plan:
            return plan_schedule(cs, res, demands, objective, solver=solver, time_limit_s=time_limit_s,
                                 rolling_days=rolling_days)

        plan, cands, rounds = consistent_plan(cands, ent, solve, res, demands, objective, min_key_bits=ent_min_key_bits)
    else:
        plan = plan_schedule(
            cands, res, demands, objective, solver=solver, time_limit_s=time_limit_s, rolling_days=rolling_days
        )
    gain = None
    if handover and any(c.handover for c in cands):
        gain = plan.expected_key_bits - whole_pass_key(
            cands, res, demands, objective, solver=solver, time_limit_s=time_limit_s, rolling_days=rolling_days
        )
    t_solve = time.perf_counter() - t
    spread = None
    if weather_trials and (ent is None or any(c.partner is None for c in plan.links)):  # entangled: drawn below
        from ..weather import simulate_weather

        spread = simulate_weather(  # the stations' key: an entangled link is the pair's (its own draws below)
            [(c.station, c.start, c.key_bits) for c in plan.links if c.partner is None], fc.by_id,
            trials=weather_trials, seed=seed,
        )
    chosen = None
    if ent is not None:
        from .entangled import scheduled_links

        chosen = scheduled_links(ent, plan.links)
    pairs: dict[str, KeyDraws] = {}
    for d in demands if pair_trials else ():
        if not d.is_pair:
            continue
        a, b = d.stations
        mine = [ln for ln in plan.links if ln.station in (a, b) and ln.partner is None]
        direct = [e for e in chosen or () if set(e.stations) == {a, b}]
        if direct:  # the pair's entangled links beside its relays, drawn together
            pairs[d.label] = _pair_entangled_draws(mine, direct, fc.by_id, (a, b), trials=pair_trials, seed=seed,
                                                   demand_bits=d.bits)
        elif _servable(mine, a, b):
            pairs[d.label] = relay_draws(mine, fc.by_id, (a, b), trials=pair_trials, seed=seed, demand_bits=d.bits)
    basis = PLAN_BASIS if any(d.is_pair for d in demands) else None
    ent_doc = None
    if ent is not None and chosen is not None:
        ent_doc = _entangled_document(ent, chosen, plan.links, fc.by_id, ent_profile, weather_trials=weather_trials,
                                      seed=seed, rounds=rounds)
    return ScheduleRun(
        plan, cands, fc.forecasts, gain, fc.warnings, {**fc.seconds, "solve": t_solve}, spread, fc.by_id, pairs,
        basis, ent_doc,
    )


def _pair_entangled_draws(
    links: Sequence[Candidate], ent: Sequence[Any], by_id: Mapping[str, Station], pair: tuple[str, str], *,
    trials: int, seed: int, demand_bits: float,
) -> KeyDraws:
    """A pair demand's key under weather draws when entangled links serve it: the trusted relay
    of its stations' ``links`` plus the pooled key of its entangled windows where both stations
    are clear (:func:`passplan.schedule.entangled.entangled_draws`: one draw of both)."""
    from .entangled import entangled_draws

    def relayed(bits: Any) -> float:
        return relay(deposits_of(links, bits), pair).relayed_bits if links else 0.0

    def outcome(bits: Any, ent_bits: list[float]) -> float:
        return relayed(bits) + float(sum(ent_bits))

    return entangled_draws(
        links, ent, by_id, outcome, trials=trials, seed=seed,
        expectation_replay_bits=relayed([ln.expected_key_bits for ln in links])
        + sum(e.expected_key_bits for e in ent),
        demand_bits=demand_bits,
    )


def _entangled_document(
    ent: Sequence[Any], chosen: Sequence[Any], links: Sequence[Candidate], by_id: Mapping[str, Station],
    profile: str, *, weather_trials: int, seed: int, rounds: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The run's ``entangled`` object: the profile, the joint windows offered and scheduled, and
    each scheduled (satellite, pair) link (``relay``'s and ``network``'s entangled link keys)
    with ``planned_key_bits``, the sum of its windows' shares the plan counted (the pooled key of
    all the link's windows shared out; :func:`passplan.schedule.entangled.entangled_candidates`)
    beside ``key_bits``, the pooled key of the chosen windows alone, processed as one block."""
    from .entangled import entangled_draws

    share = {c.uid: c.key_bits for c in links if c.partner is not None}
    rows = []
    for e in chosen:
        row = e.to_dict()
        row["planned_key_bits"] = round(sum(share[f.window.uid] for f in e.forecasts), 1)
        rows.append(row)
    doc: dict[str, Any] = {
        "profile": profile,
        "windows": sum(len(e.forecasts) for e in ent),
        "scheduled_windows": sum(len(e.forecasts) for e in chosen),
        "key_bits": round(sum(e.key_bits for e in chosen), 1),
        "expected_key_bits": round(sum(e.expected_key_bits for e in chosen), 1),
        "links": rows,
    }
    if rounds is not None:  # how the plan's values were made consistent (consistent_plan)
        doc["plan_rounds"] = rounds
    if weather_trials and chosen:
        doc["weather"] = entangled_draws(
            [], chosen, by_id, lambda _bits, eb: float(sum(eb)), trials=weather_trials, seed=seed,
            expectation_replay_bits=sum(e.expected_key_bits for e in chosen),
        ).to_dict()
    return doc


def _servable(cands: Sequence[Candidate], a: str, b: str) -> bool:
    """Some satellite has a candidate at both ``a`` and ``b``: a pair demand the plan can take
    (the test :class:`~passplan.schedule.problem.Problem` makes of a pair demand)."""
    at_a = {c.satellite_key for c in cands if c.station == a and c.partner is None}
    at_b = {c.satellite_key for c in cands if c.station == b and c.partner is None}
    return bool(at_a & at_b)


def _all_recorded(links: Sequence[Candidate], record: CloudRecord | None) -> bool:
    """Every link is at a station of the cloud record ``record`` (None: no record)."""
    return record is not None and all(record.has(ln.station) for ln in links)


def check_pair(a: str, b: str, stations: Sequence[Station]) -> None:
    """``a`` and ``b`` are two different stations among ``stations``."""
    ids = {s.id for s in stations}
    for x in (a, b):
        if x not in ids:
            raise InputError(f"station {x!r} is not among the chosen stations")
    if a == b:
        raise InputError(f"relay pair {a}:{b}: name two different stations")


def pair_demand_bits(text: str, pair: tuple[str, str], what: str = "demand") -> float:
    """The bits of a relay demand written as for a schedule, ``A:B=BITS`` (the pair, either
    order), or as plain ``BITS``; a malformed text's error starts with ``what``."""
    if "=" not in text:
        try:
            return float(text)
        except ValueError:
            raise InputError(f"{what} {text!r}: give BITS or {pair[0]}:{pair[1]}=BITS, e.g. 1e5") from None
    d = Demand.parse(text, what)
    if set(d.stations) != set(pair) or not d.is_pair:
        raise InputError(f"{what} {text!r}: a relay demand names the pair {pair[0]}:{pair[1]}")
    if d.priority != 1.0:
        raise InputError(f"{what} {text!r}: a relay serves one pair; give no @PRIORITY")
    return d.bits


def relay_key(
    satellites: Sequence[Any],
    stations: Sequence[Station],
    pair: tuple[str, str],
    start: datetime,
    end: datetime,
    constraints: Constraints | None = None,
    *,
    profile: str | None = None,
    protocol: str | None = None,
    demand_bits: float | None = None,
    storage_bits: float | None = None,
    lifetime_s: float | None = None,
    storage_rule: str = "cap-first",
    weather_trials: int = DEFAULT_DRAWS,
    seed: int = 0,
    tick: Callable[[int, int, str], None] | None = None,
    cloud_record: CloudRecord | str | os.PathLike[str] | None = None,
    cloud_mode: str | None = None,
    cloud_threshold: float | None = None,
    entangled: bool = False,
    entangled_profile: str = "micius-entangled",
) -> RelayResult:
    """Trusted-relay key between the two stations of ``pair`` through ``satellites``, in time.

    The satellites' links with both stations are scheduled for the pair (the most key both
    share through each satellite, one station at a time per satellite, no hand-over); each
    link's expected key joins its pool when the link ends, and each satellite relays what both
    pools hold as soon as it can (:func:`passplan.schedule.relay.relay`, with ``storage_bits``,
    ``lifetime_s`` and ``storage_rule``: the cap applied before the XOR, ``"cap-first"``, or to
    what is left after it, ``"xor-first"``). ``demand_bits``: report when the pair has that much.

    That replay of expectations (``relayed_bits``, the timeline) overestimates the expected
    relayed key: a relay takes a minimum of two pools. With ``weather_trials`` > 0 (the default,
    :data:`passplan.weather.DEFAULT_DRAWS`) the plan is also replayed under that many seeded,
    correlated weather draws (``seed``; :func:`passplan.weather.clear_draws`), each link giving
    its clear-sky key on a clear night and none on a cloudy one; ``weather``
    (:class:`~passplan.weather.KeyDraws`) holds the draws' mean, P10/P50/P90, the clear-sky bound
    and, with ``demand_bits``, the share of draws that meet it. ``weather_trials=0`` keeps the
    replay of expectations alone. The plan itself is made on expected key, before the weather.

    A window where no satellite passes over both stations relays nothing: the result has zero
    key and says why (``reason``). The result carries the scheduled ``links`` and the pass
    search's ``warnings``.

    ``cloud_record`` (a :class:`passplan.schedule.cloud_record.CloudRecord` or a CSV/NetCDF path) replays
    the weather as it happened at its stations: each link there keeps the record's share of its
    key (``cloud_mode`` ``"fraction"``: the clear share; ``"threshold"``: all of it at a cloud
    fraction up to ``cloud_threshold``, else none), in the replay and in every weather draw;
    stations without a record keep the draws (when every link is recorded there is nothing to
    draw: ``weather`` is None and ``relayed_bits`` is the record's replay). A link the record
    does not cover is an error.
    The plan is still made on expected key (the record is what the weather did, not a forecast);
    ``cloud_record`` in the result lists each recorded link's cloud fraction and key.

    ``entangled=True`` also gives the entangled alternative (``entangled`` in the result): the
    same satellites as entangled-pair sources (``entangled_profile``), key directly between A
    and B from their joint windows, no trusted satellite (:mod:`passplan.schedule.entangled`),
    with its own weather draws (both stations clear). The two figures are alternatives for the
    same satellites, not a sum. With ``cloud_record`` its windows keep the share of their sifted
    bits that both stations were clear, pooled into one block
    (:func:`passplan.schedule.entangled.recorded_key_bits`: ``recorded_key_bits`` in each link
    and in ``entangled``; its windows in ``entangled.cloud_record``)."""
    from .cloud_record import as_cloud_record
    from .relay import check_relay_options

    a, b = pair
    check_pair(a, b, stations)
    check_relay_options(  # before any pass search
        storage_bits=storage_bits, lifetime_s=lifetime_s, demand_bits=demand_bits, storage_rule=storage_rule
    )
    check_schedule_options(weather_trials=weather_trials)
    record = as_cloud_record(cloud_record, cloud_mode, cloud_threshold)
    ent_doc = None
    if entangled:
        from .entangled import check_entangled_profile

        check_entangled_profile(entangled_profile)
        ent_doc = _relay_entangled(satellites, stations, (a, b), start, end, constraints, entangled_profile,
                                   weather_trials=weather_trials, seed=seed, demand_bits=demand_bits, record=record)
    fc = _forecast_candidates(
        satellites, stations, start, end, constraints, profile=profile, protocol=protocol, handover=False, tick=tick
    )
    no_pair = (
        f"no satellite passes over both {a} and {b} in this window, so nothing can be relayed; widen the window "
        "or add satellites that pass over both"
    )
    links: list[Candidate] = []
    if _servable(fc.cands, a, b):
        want = Demand((a, b), demand_bits if demand_bits is not None else RELAY_ALL_BITS)
        links = list(_plan_run(fc, stations, [want], handover=False).plan.links)
    if not _servable(links, a, b):
        return RelayResult(
            pair=(a, b), satellites=[], relayed_bits=0.0, pool_bits={a: 0.0, b: 0.0}, timeline=[], per_satellite={},
            discarded_bits=0.0, demand_bits=demand_bits, links=links, warnings=list(fc.warnings),
            storage_rule=None if storage_bits is None else storage_rule, reason=no_pair, entangled=ent_doc,
        )
    opts: dict[str, Any] = {"storage_bits": storage_bits, "lifetime_s": lifetime_s, "storage_rule": storage_rule}
    res = relay(deposits_of(links, recorded_bits(links, record)), (a, b), demand_bits=demand_bits, **opts)
    weather = None
    if weather_trials and not _all_recorded(links, record):  # a record of every link leaves nothing to draw
        weather = relay_draws(
            links, fc.by_id, (a, b), trials=weather_trials, seed=seed, expectation_replay_bits=res.relayed_bits,
            demand_bits=demand_bits, cloud_record=record, **opts,
        )
    doc = None if record is None else record_document(links, record)
    return dc_replace(res, links=links, warnings=list(fc.warnings), weather=weather, cloud_record=doc,
                      entangled=ent_doc)


def _relay_entangled(
    satellites: Sequence[Any], stations: Sequence[Station], pair: tuple[str, str], start: datetime, end: datetime,
    constraints: Constraints | None, profile: str, *, weather_trials: int, seed: int, demand_bits: float | None,
    record: CloudRecord | None = None,
) -> dict[str, Any]:
    """The entangled alternative of a relay (:func:`relay_key`'s ``entangled``): its document
    (with ``record``, the record's replay: :func:`_recorded_entangled`)."""
    from .entangled import entangled_draws, entangled_links

    by_id = {s.id: s for s in stations}
    ent = entangled_links(satellites, [by_id[pair[0]], by_id[pair[1]]], start, end, constraints, profile=profile)
    recorded = None if record is None else _recorded_entangled(ent, record, by_id)
    rows = [e.to_dict() for e in ent]
    doc: dict[str, Any] = {
        "profile": profile,
        "key_bits": round(sum(e.key_bits for e in ent), 1),
        "expected_key_bits": round(sum(e.expected_key_bits for e in ent), 1),
        "links": rows,
    }
    if recorded is not None:
        bits, windows, _ = recorded
        for row, x in zip(rows, bits, strict=True):
            row["recorded_key_bits"] = round(x, 1)
        doc["recorded_key_bits"] = round(sum(bits), 1)
        doc["cloud_record"] = windows
    if not ent:
        doc["reason"] = (f"no satellite is usable from both {pair[0]} and {pair[1]} at once in this window, so no "
                         "entangled key; widen the window or add satellites that pass over both")
    elif weather_trials and (recorded is None or not recorded[2]):  # every end recorded: nothing to draw
        doc["weather"] = entangled_draws(
            [], ent, by_id, lambda _bits, eb: float(sum(eb)), trials=weather_trials, seed=seed,
            expectation_replay_bits=sum(e.expected_key_bits for e in ent) if recorded is None else sum(recorded[0]),
            demand_bits=demand_bits, cloud_record=record,
        ).to_dict()
    return doc


def _recorded_entangled(ent: Sequence[Any], record: CloudRecord, by_id: Mapping[str, Station]
                        ) -> tuple[list[float], list[dict[str, Any]], bool]:
    """Entangled links under a cloud ``record``: each link's recorded key
    (:func:`passplan.schedule.entangled.recorded_key_bits`), the record's rows of their windows,
    and whether every window's two stations are recorded (then no draw is left)."""
    import numpy as np

    from .entangled import entangled_record_windows, record_shares, recorded_key_bits

    bits = [recorded_key_bits(e, record, by_id) for e in ent]
    every = all(not np.isnan(record_shares(e, record)).any() for e in ent)
    return bits, entangled_record_windows(ent, record), every


def check_endpoints(net: Network, source: str, target: str) -> None:
    """``source`` and ``target`` are two different nodes of ``net``."""
    for end_ in (source, target):
        if end_ not in net.nodes:
            raise UnknownNameError("node", end_, net.nodes, where=net.path or net.name)
    if source == target:
        raise InputError(f"source and target are both {source}; name two different nodes")


def network_links(
    net: Network, satellites: Sequence[Any], stations: Sequence[Station], start: datetime, end: datetime,
    constraints: Constraints | None = None, *, profile: str | None = None, protocol: str | None = None,
    tick: Callable[[int, int, str], None] | None = None,
) -> tuple[list[Candidate], list[str]]:
    """The satellite links of ``net``'s stations in [start, end) and the forecast's warnings: the
    passes forecast once (whole passes), then one plan serving every pair of the network's stations
    a satellite passes over (pairs no satellite joins relay nothing: not a demand to refuse). The
    one planning step of :func:`network_key` and :func:`passplan.schedule.pools.key_pools`."""
    if not net.stations:
        return [], []
    by_id = {s.id: s for s in stations}
    ids = sorted(net.stations)
    missing = [x for x in ids if x not in by_id]
    if missing:
        raise InputError(f"{net.path or net.name}: no station record for {', '.join(missing)}; give the network's stations")
    fc = _forecast_candidates(
        satellites, [by_id[x] for x in ids], start, end, constraints, profile=profile, protocol=protocol,
        handover=False, tick=tick,
    )
    pairs = [
        Demand((x, y), RELAY_ALL_BITS) for i, x in enumerate(ids) for y in ids[i + 1 :] if _servable(fc.cands, x, y)
    ]
    links = list(_plan_run(fc, [by_id[x] for x in ids], pairs, handover=False).plan.links) if pairs else []
    return links, list(fc.warnings)


def network_key(
    network: Network | str | Path,
    source: str,
    target: str,
    satellites: Sequence[Any],
    stations: Sequence[Station],
    start: datetime,
    end: datetime,
    constraints: Constraints | None = None,
    *,
    profile: str | None = None,
    protocol: str | None = None,
    weather_trials: int = DEFAULT_DRAWS,
    seed: int = 0,
    tick: Callable[[int, int, str], None] | None = None,
    cloud_record: CloudRecord | str | os.PathLike[str] | None = None,
    cloud_mode: str | None = None,
    cloud_threshold: float | None = None,
    entangled: Sequence[str] = (),
    entangled_profile: str = "micius-entangled",
) -> NetworkKey:
    """End-to-end key between nodes ``source`` and ``target`` of an integrated ``network`` (a
    :class:`~passplan.schedule.network.Network`, a TOML path or a bundled network's name) from
    ``start`` to ``end``.

    Ground links carry their key rate times the window; when the network has satellite stations,
    the links of ``satellites`` with them (records in ``stations``) are scheduled for relaying
    between every pair of them that some satellite passes over, and each satellite relays the
    expected key it built; the answer is the maximum flow, with its paths and the bottleneck
    links of a minimum cut.

    That replay of expectations (``key_bits``, the paths) overestimates the expected end-to-end
    key: a maximum flow is concave in its capacities. With satellite links and
    ``weather_trials`` > 0 (the default, :data:`passplan.weather.DEFAULT_DRAWS`) the flow is
    also taken under that many seeded, correlated weather draws (``seed``), each link giving its
    clear-sky key on a clear night and none on a cloudy one; ``weather``
    (:class:`~passplan.weather.KeyDraws`) holds the draws' mean, P10/P50/P90 and the clear-sky
    bound (only where the weather can change the flow: not on a path of ground links alone, which
    do not depend on it). A window with no satellite pass gives the
    ground links' key; nodes joined only through satellites then get zero key and a ``reason``.
    ``cloud_record``, ``cloud_mode`` and ``cloud_threshold`` replay recorded weather at the
    record's stations as in :func:`relay_key`.

    ``entangled`` names satellites among ``satellites`` (name, alias or catalogue number) that
    serve as entangled-pair sources (``entangled_profile``) instead of trusted relays: each gives
    an edge directly between the nodes of every pair of the network's stations it is usable from
    at once, whose key is the pooled BBM92 key of those joint windows times P(both clear) in the
    replay, and the pooled key of the windows where both are clear in each weather draw
    (:mod:`passplan.schedule.entangled`); ``entangled`` in the result lists each link. With
    ``cloud_record``, an entangled edge's key is its windows' sifted bits times the share both
    stations were clear, pooled into one block
    (:func:`passplan.schedule.entangled.recorded_key_bits`; ``recorded_key_bits`` in each link,
    the windows in ``cloud_record.entangled``), in the replay and in every draw."""
    from .cloud_record import as_cloud_record
    from .network import flow_value, joined_through_satellites, reaches

    net = network if isinstance(network, Network) else load_network(network)
    check_endpoints(net, source, target)
    check_schedule_options(weather_trials=weather_trials)
    record = as_cloud_record(cloud_record, cloud_mode, cloud_threshold)
    if entangled:
        return _network_entangled(
            net, source, target, satellites, stations, start, end, constraints, entangled, entangled_profile,
            profile=profile, protocol=protocol, weather_trials=weather_trials, seed=seed, tick=tick, record=record,
        )
    period_s = (end - start).total_seconds()
    by_id = {s.id: s for s in stations}
    links, warnings = network_links(net, satellites, stations, start, end, constraints, profile=profile,
                                    protocol=protocol, tick=tick)
    pools: dict[tuple[str, str], float] = pools_from_links(links, recorded_bits(links, record)) if links else {}
    if not reaches(net, source, target, pools) and joined_through_satellites(net, source, target):
        reason = (
            f"{source} and {target} are joined only through satellites, and no satellite link in this window "
            "joins their stations; widen the window or add satellites that pass over the network's stations"
        )
        return NetworkKey(source, target, period_s, 0.0, [], [], {}, net.name, warnings, reason=reason)
    res = end_to_end(net, source, target, period_s, pools)
    weather = None
    if weather_trials and links and not _all_recorded(links, record) and flow_value(net, source, target, period_s, pools_from_links(links, [0.0] * len(links))) < (
        flow_value(net, source, target, period_s, pools_from_links(links, [ln.key_bits for ln in links]))
    ):  # else no draw can change the flow (a path of ground links alone): no spread to report
        weather = flow_draws(
            net, source, target, period_s, links, by_id, trials=weather_trials, seed=seed,
            expectation_replay_bits=res.key_bits, cloud_record=record,
        )
    doc = None if record is None else record_document(links, record)
    return dc_replace(res, warnings=warnings, weather=weather, cloud_record=doc)


def _network_entangled(
    net: Network, source: str, target: str, satellites: Sequence[Any], stations: Sequence[Station], start: datetime,
    end: datetime, constraints: Constraints | None, entangled: Sequence[str], entangled_profile: str, *,
    profile: str | None, protocol: str | None, weather_trials: int, seed: int,
    tick: Callable[[int, int, str], None] | None, record: CloudRecord | None,
) -> NetworkKey:
    """:func:`network_key` with entangled satellites (its ``entangled``): the others relay as
    trusted nodes, the entangled ones give edges between station nodes."""
    from .entangled import (
        check_entangled_profile,
        entangled_capacities,
        entangled_draws,
        entangled_links,
        pick_entangled,
    )
    from .network import flow_value, joined_through_satellites, reaches

    check_entangled_profile(entangled_profile)
    if not net.stations:
        raise InputError(f"{net.path or net.name}: no satellite stations for entangled links to join; add [stations]")
    ids = sorted(net.stations)
    by_id = {s.id: s for s in stations}
    missing = [x for x in ids if x not in by_id]
    if missing:
        raise InputError(f"{net.path or net.name}: no station record for {', '.join(missing)}; give the network's stations")
    ent_sats, trusted = pick_entangled(satellites, entangled)
    period_s = (end - start).total_seconds()
    sts = [by_id[x] for x in ids]
    warnings: list[str] = []
    links: list[Candidate] = []
    if trusted:
        fc = _forecast_candidates(trusted, sts, start, end, constraints, profile=profile, protocol=protocol,
                                  handover=False, tick=tick)
        warnings = list(fc.warnings)
        pairs = [Demand((x, y), RELAY_ALL_BITS) for i, x in enumerate(ids) for y in ids[i + 1:] if _servable(fc.cands, x, y)]
        if pairs:
            links = list(_plan_run(fc, sts, pairs, handover=False).plan.links)
    ent = entangled_links(ent_sats, sts, start, end, constraints, profile=entangled_profile)
    recorded = None if record is None else _recorded_entangled(ent, record, by_id)
    pools = pools_from_links(links, None if record is None else recorded_bits(links, record))
    ecap = entangled_capacities(net, ent, None if recorded is None else recorded[0])
    ent_doc = [e.to_dict() for e in ent]
    if recorded is not None:
        for row, x in zip(ent_doc, recorded[0], strict=True):
            row["recorded_key_bits"] = round(x, 1)
    if not reaches(net, source, target, pools, ecap) and joined_through_satellites(net, source, target):
        reason = (
            f"{source} and {target} are joined only through satellites, and no satellite link or entangled window in "
            "this window joins their stations; widen the window or add satellites that pass over the network's stations"
        )
        return NetworkKey(source, target, period_s, 0.0, [], [], {}, net.name, warnings, reason=reason, entangled=ent_doc,
                          cloud_record=None if recorded is None else _network_record(links, record, recorded))
    res = end_to_end(net, source, target, period_s, pools, ecap)

    def flow(bits: np.ndarray | list[float], ent_bits: list[float]) -> float:
        return flow_value(net, source, target, period_s, pools_from_links(links, bits),
                          entangled_capacities(net, ent, ent_bits))

    weather = None
    every = recorded is not None and recorded[2] and _all_recorded(links, record)  # nothing left to draw
    if weather_trials and not every and flow([0.0] * len(links), [0.0] * len(ent)) < flow(
            [ln.key_bits for ln in links], [e.key_bits for e in ent]):
        weather = entangled_draws(links, ent, by_id, flow, trials=weather_trials, seed=seed,
                                  expectation_replay_bits=res.key_bits, cloud_record=record)
    doc = None if recorded is None else _network_record(links, record, recorded)
    return dc_replace(res, warnings=warnings, weather=weather, entangled=ent_doc, cloud_record=doc)


def _network_record(links: Sequence[Candidate], record: CloudRecord | None,
                    recorded: tuple[list[float], list[dict[str, Any]], bool]) -> dict[str, Any]:
    """A network's ``cloud_record`` object with entangled links: the trusted links' rows
    (:func:`passplan.schedule.draws.record_document`) and the entangled windows' (``entangled``)."""
    assert record is not None
    doc = record_document(links, record)
    doc["entangled"] = recorded[1]
    return doc
