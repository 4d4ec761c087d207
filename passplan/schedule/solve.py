"""From candidates to a checked plan: MILP (optionally over a rolling horizon), the two greedy
baselines beside it, the independent check, the reasons for what was left out, and totals."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from ..errors import InputError
from .check import check, fits, holds
from .greedy import GREEDY_METHODS, Timeline, greedy
from .milp import (
    OBJECTIVE_REL_TOL,
    assign_requests,
    evaluate,
    exceeds,
    integral_optimum,
    relative_gap,
    relaxation_bound,
    solve_milp,
)
from .model import BlockSummary, Candidate, Demand, Plan, Resources, SolverSummary, by_time
from .problem import TIME_EPS_S, Problem
from .requests import Request

__all__ = ["plan_schedule", "plan_with_requests", "whole_pass_key", "SOLVERS", "ROLLING_DAYS", "OBJECTIVE_REL_TOL"]

SOLVERS = ("milp", "greedy")
#: Windows longer than this are solved block by block (earlier decisions fixed).
ROLLING_DAYS = 3.0


def _solve_rolling(
    cands: list[Candidate],
    resources: Resources,
    demands: Sequence[Demand],
    objective: str,
    time_limit_s: float | None,
    block_s: float,
) -> tuple[np.ndarray, SolverSummary]:
    """Solve block by block in time: each block's MILP sees the links already chosen (fixed).

    Each block is optimal only given the earlier blocks' links, so the whole plan is not proven
    optimal by them: the summary carries each block's status and, as ``dual_bound``, the LP
    relaxation of the whole horizon's problem (its status and gap are set by :func:`_label`)."""
    t_first = min(c.start_s for c in cands)
    block_of = [int((c.start_s - t_first) // block_s) for c in cands]
    chosen: list[Candidate] = []
    seconds, nodes = 0.0, 0
    blocks: list[BlockSummary] = []
    for b in sorted(set(block_of)):
        block = [c for c, k in zip(cands, block_of, strict=True) if k == b]
        prob = Problem(
            chosen + block, resources, demands, objective, fixed=[c.uid for c in chosen], validate_demands=False
        )
        res = solve_milp(prob, time_limit_s)
        seconds += res.summary.seconds
        nodes += res.summary.nodes or 0
        t_b = datetime.fromtimestamp(t_first + b * block_s, UTC)
        blocks.append(
            BlockSummary(len(blocks) + 1, t_b, t_b + timedelta(seconds=block_s), len(block), res.summary.status,
                         res.summary.objective)
        )
        chosen = [c for c, on in zip(prob.cands, res.x, strict=True) if on]
    chosen_uids = {c.uid for c in chosen}
    x = np.array([c.uid in chosen_uids for c in cands], bool)
    full = Problem(cands, resources, demands, objective)
    obj, _ = evaluate(full, x)
    t0 = time.perf_counter()
    bound = relaxation_bound(full)
    seconds += time.perf_counter() - t0
    return x, SolverSummary(
        method="milp", status="", objective=obj, dual_bound=bound, seconds=seconds, nodes=nodes,
        blocks=len(blocks), block_status=tuple(blocks), bound_method="lp_relaxation",
    )


def _label(summary: SolverSummary, kept: str | None) -> SolverSummary:
    """The status and gap of a plan solved block by block, against its whole-horizon bound:
    "optimal" only when the bound proves it (within :data:`OBJECTIVE_REL_TOL`), else the first
    block status that was not optimal, else "feasible"; ``kept`` names a greedy kept instead."""
    obj, bound = summary.objective, summary.dual_bound
    gap = None if bound is None else relative_gap(bound, obj)
    if bound is not None and not exceeds(bound, obj):
        status = "optimal"
    else:
        status = next((b.status for b in summary.block_status if b.status != "optimal"), "feasible")
    if kept:
        status = f"{status}; kept {kept} (better)"
    return replace(summary, status=status, gap=gap)


def _conflict_reason(c: Candidate, chosen: Sequence[Candidate], resources: Resources) -> str | None:
    """The first chosen link that leaves no room for ``c`` on a shared resource, if any (one
    candidate; :func:`_conflict_reasons` gives the same for many at once)."""
    for kind, name in [*(("station", st) for st in sorted(c.stations)), ("satellite", c.satellite)]:
        if kind == "station":  # an entangled link needs both its stations
            units, gap = resources.station(name)
            same = [o for o in chosen if name in o.stations]
        else:  # a satellite by identity: two satellites of one name are two terminals
            units, gap = resources.satellite(c.satellite_key)
            same = [o for o in chosen if o.satellite_key == c.satellite_key]
        if fits([*same, c], units, gap):
            continue
        # the nearest chosen link in time on that resource
        near = min(same, key=lambda o: (abs(o.start_s - c.start_s), o.uid))
        return f"conflict with {near.uid} ({kind} {name})"
    return None


def _conflict_reasons(prob: Problem, x: np.ndarray, asked: np.ndarray) -> dict[int, str]:
    """:func:`_conflict_reason` of every candidate ``asked`` (a mask) against the chosen ``x``, on
    arrays: per resource, the chosen links in the checker's order (start, end, uid); on one unit a
    candidate fits exactly when it clears the chosen link before it and the one after it in that
    order (the chosen links fit), else the nearest chosen link by start (ties: smaller uid) is
    named. A resource of several units replays its links per candidate (:class:`.greedy.Timeline`)."""
    out: dict[int, str] = {}
    if not asked.any():
        return out
    uids = np.array([c.uid for c in prob.cands])
    rank = np.empty(prob.n, np.intp)  # the checker's order over all candidates
    rank[np.lexsort((uids, prob.end, prob.start))] = np.arange(prob.n)
    todo = asked.copy()
    for g in prob.groups:  # stations first, then satellites: the first resource that refuses is named
        m = g.members
        ask = m[todo[m]]
        if ask.size == 0:
            continue
        on = m[x[m]]
        if on.size == 0:
            continue
        on = on[np.argsort(rank[on])]
        what = f"{g.kind} {g.name if g.kind == 'station' else g.name[0]}"
        if g.units == 1:
            pos = np.searchsorted(rank[on], rank[ask])
            s, e = prob.start, prob.end
            before = np.where(pos > 0, holds(e[on[np.maximum(pos - 1, 0)]] + g.gap_s, s[ask]), False)
            after = np.where(pos < on.size, holds(e[ask] + g.gap_s, s[on[np.minimum(pos, on.size - 1)]]), False)
            refused = ask[before | after]
        else:
            line = Timeline(g.units, g.gap_s)
            for j in on.tolist():
                line.add((float(prob.start[j]), float(prob.end[j]), prob.cands[j].uid))
            refused = np.array([j for j in ask.tolist()
                                if not line.fits((float(prob.start[j]), float(prob.end[j]), prob.cands[j].uid))], np.intp)
        if refused.size == 0:
            continue
        # the nearest chosen link by start: |start difference|, then uid
        by_start = on[np.argsort(prob.start[on], kind="stable")]
        st = prob.start[by_start]
        q = np.searchsorted(st, prob.start[refused])
        for j, k in zip(refused.tolist(), q.tolist(), strict=True):
            lo, hi = k, k
            sj = prob.start[j]
            # the chosen links at the least distance lie around k: widen over equal starts
            while lo > 0 and (lo == k or st[lo - 1] == st[lo]):
                lo -= 1
            while hi < st.size and (hi == k or st[hi] == st[hi - 1]):
                hi += 1
            near = min(by_start[lo:hi].tolist(), key=lambda i: (abs(prob.start[i] - sj), prob.cands[i].uid))
            out[j] = f"conflict with {prob.cands[near].uid} ({what})"
        todo[refused] = False
    return out


def _pair_totals(links: Sequence[Candidate]) -> dict[str, float]:
    pools: dict[tuple[str, tuple[str, str]], float] = {}
    for c in links:
        if c.partner is not None:  # an entangled link fills no pool
            continue
        k = (c.station, c.satellite_key)
        pools[k] = pools.get(k, 0.0) + c.expected_key_bits
    stations = sorted({s for s, _ in pools})
    out: dict[str, float] = {}
    for i, a in enumerate(stations):
        for b in stations[i + 1 :]:
            sats = {s for st, s in pools if st == a} & {s for st, s in pools if st == b}
            if sats:
                out[f"{a}:{b}"] = round(sum(min(pools[(a, s)], pools[(b, s)]) for s in sorted(sats)), 1)
    return out


def plan_schedule(
    candidates: Sequence[Candidate],
    resources: Resources | None = None,
    demands: Sequence[Demand] = (),
    objective: str = "total",
    *,
    solver: str = "milp",
    time_limit_s: float | None = 60.0,
    rolling_days: float = ROLLING_DAYS,
) -> Plan:
    """The best schedule of ``candidates`` under ``resources`` for ``objective`` and ``demands``.

    ``solver="milp"`` solves exactly with HiGHS (block by block for windows longer than
    ``rolling_days``); the two greedy baselines always run beside it and are reported in
    ``Plan.baselines``. Should the MILP (stopped at its time limit, or solved block by block) fall
    below a greedy's objective by more than :data:`OBJECTIVE_REL_TOL` (relative), the better
    greedy selection is kept and the status says so; a difference within that tolerance is
    rounding, not a better plan. A plan solved block by block reports each block's status and the
    whole horizon's LP-relaxation bound with the gap, and is "optimal" only where that bound proves
    it. Every plan passes the independent checker before it is returned.
    """
    return _plan(candidates, resources, demands, objective, solver=solver, time_limit_s=time_limit_s,
                 rolling_days=rolling_days)[0]


def plan_with_requests(
    candidates: Sequence[Candidate],
    requests: Sequence[Request],
    resources: Resources | None = None,
    demands: Sequence[Demand] = (),
    *,
    priorities: Mapping[str, float] | None = None,
    solver: str = "milp",
    time_limit_s: float | None = 60.0,
) -> tuple[Plan, list[dict[str, Any]], dict[str, str]]:
    """The best schedule of ``candidates`` for ``requests`` (and ``demands``), objective
    ``total``: the most ``sum priority x value`` over the served requests (plus the demands'
    weighted bits), then the most expected key (each candidate's key times its ``priorities``
    entry, by uid, default 1) as a tie-break; one MILP with the request rows
    (:mod:`passplan.schedule.milp`), never block by block (the order between requests spans the
    window). Returns the plan, one row per request (served or not, by which link, or why not)
    and ``{link uid: request id}``. ``priorities`` alone, without requests, weighs each
    candidate's key in the plan of the most key."""
    plan, prob, x = _plan(candidates, resources, demands, "total", solver=solver, time_limit_s=time_limit_s,
                          rolling_days=float("inf"), requests=requests, priorities=priorities)
    served: dict[int, int] = {}
    if prob.requests and prob.n:  # no candidates: nothing to assign (HiGHS refuses an empty model)
        _, served = assign_requests(prob, x, time_limit_s)
    link_of = {r: j for j, r in served.items()}
    by_uid = {prob.cands[j].uid: prob.requests[r].id for j, r in served.items()}
    rows = [_request_row(prob, k, link_of, x) for k in range(len(prob.requests))]
    return plan, rows, by_uid


def _request_row(prob: Problem, k: int, link_of: Mapping[int, int], x: np.ndarray) -> dict[str, Any]:
    """What became of request ``k``: served by which link, or the reason it is not."""
    from ..times import iso_z

    r = prob.requests[k]
    row: dict[str, Any] = dict(r.to_dict(), served=k in link_of)
    j = link_of.get(k)
    if j is not None:
        c = prob.cands[j]
        row.update(link=c.uid, start_utc=iso_z(c.start), end_utc=iso_z(c.end), reason=None)
        return row
    row.update(link=None, start_utc=None, end_utc=None)
    where = f"station {r.station}" + ("" if r.satellite is None else f" with satellite {r.satellite}")
    index = {q.id: i for i, q in enumerate(prob.requests)}
    elig = prob.eligible(r)
    if elig.size == 0:
        at = (prob.st_of == r.station) & prob.allowed
        if r.satellite is not None:
            at &= np.array([c.satellite in (r.satellite,) or c.satellite_id == r.satellite for c in prob.cands], bool)
        if r.kind == "key" and at.any():
            row["reason"] = (f"no candidate link with key > 0 at {where}: a key request needs key "
                             "(kind = 'optical' does not)")
        else:
            row["reason"] = f"no candidate link at {where}"
        return row
    for a in r.after:
        if index[a] not in link_of:
            row["reason"] = f"follows request {a}, which is not served"
            return row
        ended = prob.end[link_of[index[a]]]
        if not np.any(prob.start[elig] + TIME_EPS_S >= ended):
            row["reason"] = f"no link that could serve it starts after the end of the link serving {a}"
            return row
    row["reason"] = ("not chosen: each link that could serve it serves another request or is left out for "
                     "links that serve more priority x value")
    return row


def _plan(
    candidates: Sequence[Candidate],
    resources: Resources | None,
    demands: Sequence[Demand],
    objective: str,
    *,
    solver: str,
    time_limit_s: float | None,
    rolling_days: float,
    requests: Sequence[Request] = (),
    priorities: Mapping[str, float] | None = None,
) -> tuple[Plan, Problem, np.ndarray]:
    """:func:`plan_schedule` with requests and candidate priorities: the plan, its problem and
    the selection."""
    if solver not in SOLVERS:
        raise InputError(f"solver {solver!r}: choose one of {', '.join(SOLVERS)}")
    if time_limit_s is not None and not time_limit_s > 0:
        raise InputError(f"time limit {time_limit_s} s: give a positive number of seconds")
    if not rolling_days > 0:
        raise InputError(f"rolling horizon {rolling_days} days must be positive")
    resources = resources or Resources()
    cands = by_time(candidates)
    weight = None if not priorities else [float(priorities.get(c.uid, 1.0)) for c in cands]
    prob = Problem(cands, resources, demands, objective, requests=requests, weight=weight)
    baselines: list[tuple[np.ndarray, SolverSummary]] = []
    for method in GREEDY_METHODS:
        x_g, _, summary = greedy(prob, method)
        baselines.append((x_g, summary))
    if solver == "greedy":
        x, summary = max(baselines, key=lambda b: b[1].objective)
    elif not cands:  # nothing to choose from: the empty plan is optimal (HiGHS refuses no variables)
        x = np.zeros(0, bool)
        summary = SolverSummary(method="milp", status="optimal", objective=0.0, dual_bound=0.0, gap=0.0, nodes=0)
    else:
        span = (max(c.end_s for c in cands) - min(c.start_s for c in cands)) if cands else 0.0
        if span > rolling_days * 86400.0:
            x, summary = _solve_rolling(cands, resources, demands, objective, time_limit_s, rolling_days * 86400.0)
        else:
            res = solve_milp(prob, time_limit_s)
            x, summary = res.x, res.summary
        best_g, best_s = max(baselines, key=lambda b: b[1].objective)
        kept = None
        if exceeds(best_s.objective, summary.objective):  # better beyond rounding (OBJECTIVE_REL_TOL)
            x, kept = best_g, best_s.method
            summary = replace(summary, objective=best_s.objective)
        if summary.block_status:
            summary = _label(summary, kept)
        elif kept:  # the gap of the plan returned, not of the MILP's incumbent
            gap = None if summary.dual_bound is None else relative_gap(summary.dual_bound, summary.objective)
            summary = replace(summary, status=f"{summary.status}; kept {kept} (better)", gap=gap)
    links = [c for c, on in zip(cands, x, strict=True) if on]
    check(links, resources)
    unscheduled: list[tuple[Candidate, str]] = []
    x = np.asarray(x, bool)
    conflicts = _conflict_reasons(prob, x, ~x & prob.allowed & (prob.value > 0))
    idle = "not needed: the demands are met" if demands else "not chosen"
    for j, (c, on) in enumerate(zip(cands, x.tolist(), strict=True)):
        if on:
            continue
        if c.reason is not None:
            why = c.reason
        elif c.expected_key_bits <= 0:
            why = "no key forecast" if c.key_bits <= 0 else "no clear sky expected"
        else:
            why = conflicts.get(j, idle)
        unscheduled.append((c, why))
    per_station: dict[str, float] = {s: 0.0 for s in prob.stations}
    for c in links:
        if c.partner is None:  # an entangled link's key is the pair's, not a station's
            per_station[c.station] += c.expected_key_bits
    _, served = evaluate(prob, x)
    demand_rows: list[dict[str, Any]] = []
    for d in demands:
        got = float(served.get(d.label, 0.0))
        met = got >= d.bits * (1 - 1e-9)
        row: dict[str, Any] = {
            "demand": d.label,
            "bits": d.bits,
            "priority": d.priority,
            "served_bits": round(got, 1),
            "met": met,
        }
        if not met:
            alone = solve_milp(Problem(cands, resources, [d], "total"), time_limit_s)
            row["best_achievable_bits"] = round(alone.served.get(d.label, 0.0), 1)
        demand_rows.append(row)
    plan = Plan(
        links=links,
        unscheduled=unscheduled,
        per_station={k: round(v, 1) for k, v in per_station.items()},
        per_pair=_pair_totals(links),
        solver=summary,
        baselines=[s for _, s in baselines],
        demands=demand_rows,
        objective=objective,
    )
    return plan, prob, x


def whole_pass_key(
    candidates: Sequence[Candidate],
    resources: Resources | None = None,
    demands: Sequence[Demand] = (),
    objective: str = "total",
    *,
    solver: str = "milp",
    time_limit_s: float | None = 60.0,
    rolling_days: float = ROLLING_DAYS,
) -> float:
    """The expected key (bits) of the plan of the whole passes among ``candidates`` (the hand-over
    sub-windows left out) that :func:`plan_schedule` makes with the same arguments: what a plan
    with hand-over is compared with.

    Where the MILP solves the window in one block for the most expected key (``total`` without
    demands), one LP comes first, the relaxation of the whole-pass MILP: where its optimum is
    integral it is that MILP's optimum (no MILP point beats its relaxation), and as the key is
    the objective, its key is the whole-pass plan's (to HiGHS' gap, 1e-7), without solving that
    plan. Otherwise (a fractional relaxation, a rolling horizon, the greedy solver, or demands
    and ``fair``, whose plans' key is a tie-break HiGHS meets only to its gap) the whole-pass plan
    is made in full."""
    resources = resources or Resources()
    whole = by_time([c for c in candidates if not c.handover])
    if not whole:
        return 0.0
    span = max(c.end_s for c in whole) - min(c.start_s for c in whole)
    if solver == "milp" and span <= rolling_days * 86400.0 and objective == "total" and not demands:
        prob = Problem(whole, resources, demands, objective, validate_demands=False)
        x = integral_optimum(prob, time_limit_s)
        if x is not None:
            return float(sum(c.expected_key_bits for c, on in zip(whole, x.tolist(), strict=True) if on))
    plan = plan_schedule(whole, resources, demands, objective, solver=solver, time_limit_s=time_limit_s,
                         rolling_days=rolling_days)
    return plan.expected_key_bits
