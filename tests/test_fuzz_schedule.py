"""Differential fuzz of the scheduler (issue 17, item 2): random candidate sets (none, one, all
overlapping, links of a millisecond, zero key, no clear sky, preset reasons, two satellites of
one name with different catalogue numbers, windows touching exactly at the set-up gap) through
:func:`passplan.schedule.plan_schedule` with the MILP and the greedy solver, the ``total`` and
``fair`` objectives, station and pair demands, one or two telescopes and terminals.

Never an exception but the documented input errors (a zero-length link, a demand on a station
without candidates, a pair no satellite serves); every plan passes the independent checker
(:func:`passplan.schedule.violations`); every candidate is either scheduled or listed with a
reason; and on these small cases (at most 10 candidates) the MILP's objective equals the optimum
of a brute force over every subset, scored here from the plan's links by hand (station key,
the trusted-relay pools of a pair, ``fair``'s max-min), and no greedy beats it.

End to end too: forecast pieces of passes (under a second, an instant, halves) through
:func:`passplan.schedule.candidates.candidates_from_forecasts` with hand-over sub-windows and
the plan. And the two stages after a plan: the trusted-relay replay
(:func:`passplan.schedule.relay.relay`) against the pools it must relay, and a network's
end-to-end key (:func:`passplan.schedule.network.end_to_end`, fibre-only networks included)
against networkx's maximum flow.

Deterministic (``derandomize=True``): the quick suite runs 760 draws (400 candidate sets, 60
end to end, 150 relays, 150 networks) in about 5 s; ``--run-slow`` runs 5,300.

Found and fixed: a ``fair`` demand of 1e15 bits or more made HiGHS call the (always feasible)
problem infeasible, so nothing was scheduled; a link starting a microsecond before its
resource was free fitted for the checker and the greedy baselines but not for the MILP ("optimal;
kept greedy-priority (better)"); a pass cut to an instant aborted candidates_from_forecasts;
a plan's zero bound printed as ``-0``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from passplan.errors import InputError
from passplan.schedule import Candidate, Demand, Resources, plan_schedule, violations

T0 = datetime(2026, 12, 2, 12, tzinfo=UTC)
REL = 1e-6  # OBJECTIVE_REL_TOL: HiGHS' gap target times ten
_SETTINGS = dict(deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.function_scoped_fixture])

STATIONS = ("A", "B", "C")
#: (name, catalogue number): two satellites named S1 are two terminals
SATELLITES = (("S1", "111"), ("S1", "222"), ("S2", ""), ("S3", "333"))


@st.composite
def instances(draw):
    layout = draw(st.sampled_from(["spread", "overlapping", "touching"]))
    n = draw(st.integers(0, 10))
    setup = draw(st.sampled_from([0.0, 60.0, 120.0]))
    repoint = draw(st.sampled_from([0.0, 30.0, 60.0]))
    cands, refused = [], 0
    t = 0.0
    for j in range(n):
        station = draw(st.sampled_from(STATIONS), label="station")
        sat, sat_id = draw(st.sampled_from(SATELLITES), label="satellite")
        dur = draw(st.sampled_from([0.0, 0.001, 1.0, 59.5, 300.0, 700.0]), label="duration")
        if layout == "overlapping":
            start = draw(st.sampled_from([0.0, 0.001, 10.0, 100.0]))
        elif layout == "touching":  # each starts where the previous ends, or a gap later
            start = t + draw(st.sampled_from([0.0, setup, repoint, 0.5]))
            start += draw(st.sampled_from([0.0, 0.0, -1e-6, 1e-6, -2e-6]))  # a microsecond off
        else:
            start = float(draw(st.integers(0, 4000)))
        t = start + dur
        key = draw(st.sampled_from([0.0, 1.0, 1e3, 2.5e5, 1e6, 3.3e6, 4e9]), label="key")
        clear = draw(st.sampled_from([1.0, 1.0, 0.5, 0.0]), label="clear sky")
        reason = draw(st.sampled_from([None, None, None, "below minimum key (1 < 2 bits)"]), label="reason")
        kw = dict(uid=f"c{j}", pass_uid=f"c{j}", station=station, satellite=sat, satellite_id=sat_id,
                  start=T0 + timedelta(seconds=start), end=T0 + timedelta(seconds=start + dur),
                  key_bits=key, clear_sky=clear, reason=reason)
        if dur == 0.0:
            with pytest.raises(InputError, match="end is not after start; a link needs a positive duration"):
                Candidate(**kw)
            refused += 1
            continue
        cands.append(Candidate(**kw))
    res = Resources(
        telescopes={s: draw(st.sampled_from([1, 1, 2]), label="telescopes") for s in STATIONS},
        terminals={s: draw(st.sampled_from([1, 1, 2]), label="terminals") for s, _ in SATELLITES},
        default_setup_s=setup, default_repoint_s=repoint,
    )
    objective = draw(st.sampled_from(["total", "fair"]))
    kind = draw(st.sampled_from(["none", "none", "station", "pair", "both"]))
    demands: list[Demand] = []
    if kind in ("station", "both"):
        for s in draw(st.lists(st.sampled_from(STATIONS), min_size=1, max_size=2, unique=True)):
            demands.append(Demand((s,), draw(st.sampled_from([1.0, 5e5, 2e6, 1e9, 1e16])),
                                  priority=draw(st.sampled_from([1.0, 2.0]))))
    if kind in ("pair", "both"):
        a, b = draw(st.lists(st.sampled_from(STATIONS), min_size=2, max_size=2, unique=True))
        demands.append(Demand((a, b), draw(st.sampled_from([1e3, 5e5, 1e18]))))
    solver = draw(st.sampled_from(["milp", "milp", "greedy", "rolling"]))  # rolling: milp block by block
    return cands, res, demands, objective, solver, refused


def _value(c: Candidate) -> float:
    return c.key_bits * c.clear_sky


def score(links, stations, demands, objective) -> float:
    """The objective of a set of links, by hand: the station key, a pair's trusted-relay key
    (per satellite the smaller of the two stations' pools), capped at a demand for ``total``,
    the smallest served share for ``fair`` (one unit demand per station without demands)."""
    key = {s: 0.0 for s in stations}
    pools: dict[tuple[str, tuple[str, str]], float] = {}
    for c in links:
        key[c.station] += _value(c)
        pools[(c.station, c.satellite_key)] = pools.get((c.station, c.satellite_key), 0.0) + _value(c)

    def served(d: Demand) -> float:
        if not d.is_pair:
            return key.get(d.stations[0], 0.0)
        a, b = d.stations
        sats = {k for s, k in pools if s == a} & {k for s, k in pools if s == b}
        return sum(min(pools[(a, k)], pools[(b, k)]) for k in sats)

    if objective == "fair":
        ds = demands or [Demand((s,), 1.0) for s in stations]
        return min((served(d) / d.bits for d in ds), default=0.0)
    if demands:
        return sum(d.priority * min(served(d), d.bits) for d in demands)
    return sum(_value(c) for c in links)


def brute_force(cands, res, stations, demands, objective) -> float:
    """The best score over every subset of allowed candidates the checker accepts (depth first,
    a subset extended only while the checker accepts it)."""
    allowed = [c for c in cands if c.reason is None]
    best = 0.0

    def visit(j: int, chosen: list[Candidate]) -> None:
        nonlocal best
        if j == len(allowed):
            best = max(best, score(chosen, stations, demands, objective))
            return
        visit(j + 1, chosen)
        if not violations([*chosen, allowed[j]], res):
            visit(j + 1, [*chosen, allowed[j]])

    visit(0, [])
    return best


def _expected_refusal(cands, demands) -> str | None:
    """The input error a demand earns (no candidate at its station; no satellite over a pair)."""
    at = {c.station for c in cands}
    for d in demands:
        missing = [s for s in d.stations if s not in at]
        if missing:
            return f"no candidate pass at station {missing[0]!r}"
        if d.is_pair:
            a, b = d.stations
            both = {c.satellite_key for c in cands if c.station == a} & {c.satellite_key for c in cands if c.station == b}
            if not both:
                return f"no satellite passes over both {a} and {b} in this window"
    return None


def _schedule_property(inst) -> None:
    cands, res, demands, objective, solver, _ = inst
    refusal = _expected_refusal(cands, demands)
    event("refused demand" if refusal else f"{solver}, {len(cands)} candidate(s)")
    rolling = solver == "rolling"
    # rolling: blocks of 0.02 days (28.8 min) over the 4000 s the candidates spread over
    kw = dict(solver="milp", rolling_days=0.02) if rolling else dict(solver=solver)
    if refusal is not None:
        with pytest.raises(InputError, match=refusal.replace("(", r"\(").replace(")", r"\)")):
            plan_schedule(cands, res, demands, objective, **kw)
        return
    plan = plan_schedule(cands, res, demands, objective, **kw)
    assert violations(plan.links, res) == []
    uids = sorted([c.uid for c in plan.links] + [c.uid for c, _ in plan.unscheduled])
    assert uids == sorted(c.uid for c in cands)
    assert all(why for _, why in plan.unscheduled)
    assert all(c.reason is None for c in plan.links)
    stations = sorted({c.station for c in cands})
    mine = score(plan.links, stations, demands, objective)
    obj = plan.solver.objective
    assert mine == pytest.approx(obj, rel=REL, abs=1e-6)  # the plan is worth what it says
    best = brute_force(cands, res, stations, demands, objective)
    assert obj <= best * (1 + REL) + 1e-6  # no plan beats the optimum
    for b in plan.baselines:
        assert b.objective <= best * (1 + REL) + 1e-6
    if rolling:  # optimal only where the whole horizon's bound proves it
        s = plan.solver
        if s.blocks > 1:
            assert s.dual_bound is not None and s.dual_bound >= best * (1 - REL) - 1e-6
            if s.status.startswith("optimal"):
                assert obj == pytest.approx(best, rel=REL, abs=1e-6)
        else:
            assert s.status == "optimal" and obj == pytest.approx(best, rel=REL, abs=1e-6)
    elif solver == "milp":
        assert plan.solver.status == "optimal", plan.solver.status  # never a greedy kept (better)
        assert obj == pytest.approx(best, rel=REL, abs=1e-6)
        for b in plan.baselines:
            assert b.objective <= obj * (1 + REL) + 1e-6
    else:
        assert obj == max(b.objective for b in plan.baselines)
    per_station = {s: 0.0 for s in stations}
    for c in plan.links:
        per_station[c.station] += _value(c)
    assert plan.per_station == {s: round(v, 1) for s, v in per_station.items()}
    for row in plan.demands:
        assert row["served_bits"] >= 0
        if objective == "total":  # key beyond a demand is worth nothing: never counted as served
            assert row["served_bits"] <= round(row["bits"], 1) * (1 + REL) + 0.1


@settings(max_examples=400, **_SETTINGS)
@given(inst=instances())
def test_fuzz_plan_schedule_against_brute_force(inst) -> None:
    _schedule_property(inst)


@pytest.mark.slow
@settings(max_examples=2000, **_SETTINGS)
@given(inst=instances())
def test_fuzz_plan_schedule_against_brute_force_long(inst) -> None:
    _schedule_property(inst)


def test_the_draws_cover_the_edge_cases() -> None:
    """The strategy reaches what the brief asks for: no candidate, one, all overlapping, a
    zero-length link (refused), zero key, two satellites of one name (not a vacuous fuzz)."""
    seen: set[str] = set()

    @settings(max_examples=150, **_SETTINGS)
    @given(inst=instances())
    def walk(inst) -> None:
        cands, _, demands, _, _, refused = inst
        seen.add(f"n={min(len(cands), 2)}")
        if refused:
            seen.add("zero-length")
        if any(c.key_bits == 0 for c in cands):
            seen.add("zero key")
        if len({c.satellite_key for c in cands if c.satellite == "S1"}) == 2:
            seen.add("one name, two satellites")
        if len(cands) > 2 and len({(c.start, c.end) for c in cands}) < len(cands):
            seen.add("overlapping")
        if any(d.is_pair for d in demands):
            seen.add("pair")

    walk()
    assert seen >= {"n=0", "n=1", "n=2", "zero-length", "zero key", "one name, two satellites", "overlapping", "pair"}


def test_greedy_and_milp_on_no_candidates_and_only_refused_ones() -> None:
    refused = Candidate(uid="r", pass_uid="r", station="A", satellite="S1", start=T0, end=T0 + timedelta(seconds=300),
                        key_bits=1e5, reason="below minimum key (1e5 < 2e5 bits)")
    zero = Candidate(uid="z", pass_uid="z", station="B", satellite="S1", start=T0, end=T0 + timedelta(seconds=300),
                     key_bits=0.0)
    for cands in ([], [refused], [refused, zero]):
        for solver in ("milp", "greedy"):
            for objective in ("total", "fair"):
                plan = plan_schedule(cands, Resources(), objective=objective, solver=solver)
                assert plan.links == [] and plan.solver.objective == 0
                assert [c.uid for c, _ in plan.unscheduled] == [c.uid for c in cands]
                assert np.isfinite(plan.solver.seconds)


@pytest.mark.parametrize("bits", [1e6, 1e15, 1e18])
def test_fair_with_a_demand_beyond_all_the_key_is_solved(bits: float) -> None:
    """Found by the fuzz: a ``fair`` demand of 1e15 bits or more put a coefficient past HiGHS'
    largest matrix value in the MILP, which then called the empty-plan-feasible problem
    "infeasible" and scheduled nothing."""
    c = [Candidate(uid=f"c{j}", pass_uid=f"c{j}", station=s, satellite="S1", start=T0 + timedelta(seconds=400 * j),
                   end=T0 + timedelta(seconds=400 * j + 300), key_bits=1e5) for j, s in enumerate("BC")]
    for demands in ([Demand(("B", "C"), bits)], [Demand(("B",), bits), Demand(("C",), 1.0)]):
        plan = plan_schedule(c, Resources(), demands, "fair")
        assert plan.solver.status == "optimal" and len(plan.links) == 2
        assert plan.solver.objective == pytest.approx(1e5 / bits, rel=1e-6)
        # HiGHS' bound carries the tie-break (1e-6 of the primary's scale)
        assert plan.solver.objective <= plan.solver.dual_bound <= plan.solver.objective * (1 + 1e-5)
    # a small demand beside a huge one still binds: C has no key, so the fair share is zero
    zero_c = [c[0], replace(c[1], key_bits=0.0)]
    plan = plan_schedule(zero_c, Resources(), [Demand(("B",), bits), Demand(("C",), 1.0)], "fair")
    assert plan.solver.status == "optimal" and plan.solver.objective == 0


def test_a_link_a_microsecond_early_is_what_the_checker_accepts() -> None:
    """Found by the fuzz: a link starting 1 us before its telescope's set-up ended fits for the
    checker (and the greedy baselines) but not for the MILP, so the plan read "optimal; kept
    greedy-priority (better)"."""
    res = Resources(default_setup_s=60.0, default_repoint_s=0.0)
    for off_us, both in ((0, True), (-1, True), (-2, False)):
        a = Candidate(uid="a", pass_uid="a", station="A", satellite="S1", start=T0, end=T0 + timedelta(seconds=300),
                      key_bits=1e5)
        b = Candidate(uid="b", pass_uid="b", station="A", satellite="S2",
                      start=T0 + timedelta(seconds=360, microseconds=off_us), end=T0 + timedelta(seconds=700),
                      key_bits=1e5)
        plan = plan_schedule([a, b], res)
        assert plan.solver.status == "optimal"
        assert [c.uid for c in plan.links] == (["a", "b"] if both else ["a"])
        assert (violations([a, b], res) == []) == both


def test_a_zero_bound_prints_as_zero() -> None:
    """A plan of nothing had ``dual bound -0`` (HiGHS' bound negated)."""
    c = Candidate(uid="z", pass_uid="z", station="A", satellite="S1", start=T0, end=T0 + timedelta(seconds=1),
                  key_bits=0.0, reason="no key: zero")
    plan = plan_schedule([c], Resources())
    assert plan.solver.dual_bound == 0 and str(plan.solver.dual_bound) == "0.0"


# ---- end to end: forecast pieces -> candidates (hand-over sub-windows) -> plan ---------------

@pytest.fixture(scope="module")
def night():
    """A night of the demo fleet over Jinan and Xinglong (LEO passes of one satellite over both
    stations overlap: hand-over sub-windows), forecast once."""
    from passplan import find_passes, select_stations
    from passplan.elements import demo_fleet_path, load_file

    t0 = datetime(2026, 12, 2, tzinfo=UTC)
    fleet = load_file(demo_fleet_path(), t0)
    start = t0 + timedelta(hours=10)
    ps = [p for p in find_passes(fleet, select_stations(["jinan", "xinglong"]), start, start + timedelta(hours=8))
          if not p.excluded and p.duration_s < 3600]
    pairs = [(i, j) for i, a in enumerate(ps) for j, b in enumerate(ps)
             if i < j and a.satellite == b.satellite and a.station != b.station and a.aos < b.los and b.aos < a.los]
    assert pairs  # hand-over happens
    return ps, {s.id: s for s in select_stations(["jinan", "xinglong"])}, pairs


def _end_to_end(night, data) -> None:
    from passplan.forecast import forecast_passes
    from passplan.schedule.candidates import candidates_from_forecasts

    ps, stations, pairs = night
    picked = data.draw(st.lists(st.integers(0, len(ps) - 1), min_size=0, max_size=4, unique=True), label="passes")
    if data.draw(st.booleans(), label="a hand-over pair"):
        picked = sorted(set(picked) | set(pairs[data.draw(st.integers(0, len(pairs) - 1), label="pair")]))
    pieces = []
    for k in picked:
        p = ps[k]
        cut = data.draw(st.sampled_from(["whole", "short", "tail", "head"]), label="cut")
        if cut == "whole":
            pieces.append(p)
            continue
        if cut == "short":
            length = data.draw(st.floats(0.0, 1.5), label="length")
        else:
            length = data.draw(st.floats(0.2, 0.9), label="fraction") * p.duration_s
        aos = p.los - timedelta(seconds=length) if cut == "tail" else p.aos
        pieces.append(replace(p, aos=aos, los=aos + timedelta(seconds=length), tca=min(max(p.tca, aos),
                              aos + timedelta(seconds=length)), partial=True))
    fcs = forecast_passes(pieces) if pieces else []
    handover = data.draw(st.sampled_from([True, True, False]), label="handover")
    grid = data.draw(st.sampled_from([10.0, 60.0]), label="grid")
    min_key = data.draw(st.sampled_from([0.0, 1e5]), label="min key")
    cands = candidates_from_forecasts(fcs, stations=stations, handover=handover, grid_s=grid, min_key_bits=min_key)
    whole = {f.pass_.uid: f.key.secret_key_bits for f in fcs}
    n_ho = sum(c.handover for c in cands)
    event(f"{'no' if not cands else 'some'} candidates, {'some' if n_ho else 'no'} hand-over sub-windows")
    for c in cands:
        assert 0 <= c.key_bits <= whole[c.pass_uid]  # a sub-window is worth at most its pass
        assert c.pass_start <= c.start < c.end <= c.pass_end
        if c.key_bits == 0 or c.key_bits < min_key:
            assert c.reason
    res = Resources(default_setup_s=data.draw(st.sampled_from([0.0, 120.0]), label="setup"))
    objective = data.draw(st.sampled_from(["total", "fair"]), label="objective")
    solver = data.draw(st.sampled_from(["milp", "greedy"]), label="solver")
    plan = plan_schedule(cands, res, objective=objective, solver=solver)
    assert violations(plan.links, res) == []
    assert sorted([c.uid for c in plan.links] + [c.uid for c, _ in plan.unscheduled]) == sorted(c.uid for c in cands)
    if solver == "milp":
        assert plan.solver.status == "optimal"


@settings(max_examples=60, **_SETTINGS)
@given(data=st.data())
def test_fuzz_forecast_pieces_to_a_plan(night, data) -> None:
    _end_to_end(night, data)


@pytest.mark.slow
@settings(max_examples=300, **_SETTINGS)
@given(data=st.data())
def test_fuzz_forecast_pieces_to_a_plan_long(night, data) -> None:
    _end_to_end(night, data)


def test_a_pass_cut_to_an_instant_offers_no_candidate(night) -> None:
    """Found by the fuzz: a pass cut to an instant (AOS equal to LOS) made
    candidates_from_forecasts raise "end is not after start" for the whole run."""
    from passplan.forecast import forecast_passes
    from passplan.schedule.candidates import candidates_from_forecasts

    ps, stations, pairs = night
    a, b = ps[pairs[0][0]], ps[pairs[0][1]]
    instant = replace(a, los=a.aos, tca=a.aos, partial=True)
    fcs = forecast_passes([instant, b])
    assert fcs[0].key.secret_key_bits == 0 and fcs[0].key.limiting.startswith("no whole key slot")
    cands = candidates_from_forecasts(fcs, stations=stations)
    assert {c.pass_uid for c in cands} == {b.uid}
    plan = plan_schedule(cands, Resources())
    assert plan.solver.status == "optimal" and [c.uid for c in plan.links] == [b.uid]


# ---- the relay replay and the network's end-to-end key against independent references --------

NODES = ("n0", "n1", "n2", "n3", "n4")


def _network_property(data) -> None:
    """A random network (fibre only, or with two satellite stations and their pools; parallel
    links, zero rates, rates over twelve decades): the end-to-end key equals networkx's maximum
    flow, its paths add up to it, and a pair no link joins is refused."""
    import networkx as nx

    from passplan.schedule.network import NetLink, Network, end_to_end

    links = []
    for _ in range(data.draw(st.integers(0, 8), label="links")):
        a, b = data.draw(st.lists(st.sampled_from(NODES), min_size=2, max_size=2, unique=True), label="ends")
        links.append(NetLink(a, b, "fibre", data.draw(st.sampled_from([0.0, 1e-3, 1.0, 37.5, 1e3, 1e6, 1e12]),
                                                      label="rate_bps")))
    stations = {"g0": "n0", "g3": "n3"} if data.draw(st.booleans(), label="satellite stations") else {}
    net = Network("fuzz", {n: n for n in NODES}, links, stations)
    pools = {(s, sat): data.draw(st.sampled_from([0.0, 1.0, 5e5, 1e9]), label="pool")
             for s in stations for sat in ("S1", "S2") if data.draw(st.booleans(), label="pool?")}
    period = data.draw(st.sampled_from([1.0, 86400.0]), label="period")
    s, t = data.draw(st.lists(st.sampled_from(NODES), min_size=2, max_size=2, unique=True), label="pair")
    event("fibre only" if not pools else "with satellite pools")
    g = nx.Graph()
    for u, v, c in [(ln.a, ln.b, ln.rate_bps * period) for ln in links] + [
            (stations[st_], f"sat:{sat}", bits) for (st_, sat), bits in pools.items()]:
        if g.has_edge(u, v):
            g[u][v]["capacity"] += c
        else:
            g.add_edge(u, v, capacity=c)
    if not (s in g and t in g and nx.has_path(g, s, t)):
        with pytest.raises(InputError, match=f"no path of links joins {s} and {t}"):
            end_to_end(net, s, t, period, pools)
        return
    r = end_to_end(net, s, t, period, pools)
    assert r.key_bits == pytest.approx(nx.maximum_flow_value(g.to_directed(), s, t), rel=1e-9, abs=1e-6)
    big = max([d["capacity"] for _, _, d in g.edges(data=True)] + [1.0])
    # the paths carry the flow (to the rounding of the largest capacity: a path's bits are
    # recovered from residuals of the capacities it crosses)
    assert sum(b for _, b in r.paths) == pytest.approx(r.key_bits, rel=1e-9, abs=1e-12 * big)
    assert all(p[0] == s and p[-1] == t for p, _ in r.paths)


def _relay_property(data) -> None:
    """Random deposits (none, zero bits, one name for two satellites): without storage cap or
    lifetime, the key relayed in time is per satellite the smaller of the two stations' totals."""
    from passplan.schedule.relay import Deposit, relay

    deps = [Deposit(data.draw(st.sampled_from(["A", "B", "C"]), label="station"),
                    data.draw(st.sampled_from(["S1", "S2"]), label="satellite"),
                    T0 + timedelta(seconds=data.draw(st.integers(0, 5000), label="at")),
                    data.draw(st.sampled_from([0.0, 1.0, 3e5, 1e9]), label="bits"),
                    satellite_id=data.draw(st.sampled_from(["", "7"]), label="catalogue number"))
            for _ in range(data.draw(st.integers(0, 12), label="deposits"))]
    sats = ({d.satellite_key for d in deps if d.station == "A"} & {d.satellite_key for d in deps if d.station == "B"})
    if not sats:
        with pytest.raises(InputError, match="no satellite links with both A and B"):
            relay(deps, ("A", "B"))
        return
    r = relay(deps, ("A", "B"))
    ref = sum(min(sum(d.bits for d in deps if d.station == "A" and d.satellite_key == k),
                  sum(d.bits for d in deps if d.station == "B" and d.satellite_key == k)) for k in sats)
    assert r.relayed_bits == pytest.approx(ref, rel=1e-12)
    assert sum(r.per_satellite.values()) == pytest.approx(r.relayed_bits, rel=1e-12)
    assert len(r.satellites) == len(sats)


@settings(max_examples=150, **_SETTINGS)
@given(data=st.data())
def test_fuzz_network_key_against_networkx(data) -> None:
    _network_property(data)


@settings(max_examples=150, **_SETTINGS)
@given(data=st.data())
def test_fuzz_relay_replay_against_the_pools(data) -> None:
    _relay_property(data)


@pytest.mark.slow
@settings(max_examples=1500, **_SETTINGS)
@given(data=st.data())
def test_fuzz_network_key_against_networkx_long(data) -> None:
    _network_property(data)


@pytest.mark.slow
@settings(max_examples=1500, **_SETTINGS)
@given(data=st.data())
def test_fuzz_relay_replay_against_the_pools_long(data) -> None:
    _relay_property(data)
