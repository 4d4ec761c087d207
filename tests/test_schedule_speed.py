"""Schedules at forecast speed (issue 21): each fast path against the direct computation it
replaces, used here as the authority.

- sub-window keys from running totals of the chain's per-slot counts (fixed protocol settings)
  against :func:`passplan.forecast.chain.window_key` of each window, one at a time; optimised
  settings through the batched optimiser against the one-window optimiser;
- the sparse capacity rows (a sweep) against the dense n x n construction they replace, on
  random instances with equal starts, zero gaps, microsecond links and several units, and their
  memory on a large instance;
- the LP relaxation taken as the MILP's optimum when it is integral, against exhaustive
  enumeration;
- the greedy baselines and the conflict reasons on float arrays against the same rules replayed
  with the independent checker's :func:`passplan.schedule.check.fits` on candidate lists;
- the hand-over gain's whole-pass plan from one LP against the whole-pass plan solved in full.
"""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from passplan import Constraints, find_passes, select_stations
from passplan.designed import walker_delta
from passplan.forecast import forecast_passes
from passplan.forecast.chain import window_key, window_slot_ranges, window_slots
from passplan.schedule import Candidate, Demand, Resources, plan_schedule, violations
from passplan.schedule import milp as milp_mod
from passplan.schedule.candidates import MIN_SUBWINDOW_S, handover_cuts, subwindow_keys
from passplan.schedule.check import fits
from passplan.schedule.greedy import GREEDY_METHODS, greedy
from passplan.schedule.milp import evaluate, solve_milp
from passplan.schedule.problem import TIME_EPS_S, Problem
from passplan.schedule.solve import _conflict_reason, _conflict_reasons, whole_pass_key

T0 = datetime(2026, 12, 2, 10, tzinfo=UTC)


@pytest.fixture(scope="module")
def passes():
    """One night of two Jinan-1-class satellites over Beijing and Jinan (they see both at once)."""
    sats = walker_delta("J", T0, altitude_km=500, planes=1, per_plane=2, sun_synchronous=True, ltan_h=22.5)
    sts = select_stations(["beijing", "jinan"])
    found = list(find_passes(sats, sts, T0, T0 + timedelta(hours=14), Constraints(darkness="nautical")))
    assert len(found) >= 4
    return found


def _windows(fs):
    """Every hand-over sub-window the candidates offer, plus windows holding no whole slot."""
    cuts = handover_cuts([f.pass_ for f in fs], 60.0)
    out = []
    for f in fs:
        p = f.pass_
        for c in cuts.get(p.uid, []):
            out += [(f, a, b) for a, b in ((p.aos, c), (c, p.los)) if (b - a).total_seconds() >= MIN_SUBWINDOW_S]
        out.append((f, p.aos + timedelta(seconds=0.2), p.aos + timedelta(seconds=0.7)))  # no whole slot
    return out


def test_running_totals_equal_the_one_window_key(passes) -> None:
    """Fixed settings (the flown jinan1 and micius protocols): the running totals give every
    window's key equal to window_key of that window alone within 1e-9 relative."""
    for protocol in (None, "micius"):
        fs = forecast_passes(passes, profile="jinan-1", protocol=protocol)
        assert not any(f.protocol_params.optimise for f in fs)
        wins = _windows(fs)
        got = subwindow_keys(wins)
        checked = 0
        for (f, a, b), bits in zip(wins, got, strict=True):
            i, j = window_slot_ranges(f, [(a, b)])[0]
            if j <= i:
                assert bits is None
                with pytest.raises(Exception, match="no whole key slot"):
                    window_slots(f, a, b)
                continue
            assert np.array_equal(np.flatnonzero(window_slots(f, a, b)), np.arange(i, j))
            want = window_key(f, a, b).secret_key_bits
            assert bits == pytest.approx(want, rel=1e-9, abs=1e-6)
            checked += 1
        assert checked >= 20
        assert any(0 < b < f.key.secret_key_bits for (f, _, _), b in zip(wins, got, strict=True) if b)


def test_optimised_windows_go_through_the_batched_optimiser(passes) -> None:
    fs = forecast_passes(passes, profile="jinan-1", protocol="micius2021")
    assert all(f.protocol_params.optimise for f in fs)
    wins = _windows(fs)[:12]
    got = subwindow_keys(wins)
    for (f, a, b), bits in zip(wins, got, strict=True):
        if bits is None:
            continue
        # the batched optimiser equals the one-window optimiser to its tolerance (keyrate.batch)
        assert bits == pytest.approx(window_key(f, a, b).secret_key_bits, rel=1e-6, abs=1.0)


# ---- capacity rows ----------------------------------------------------------------------------

def dense_rows(prob: Problem) -> list[tuple[np.ndarray, int]]:
    """The n x n construction the sweep replaces (issue 21): the mask of links whose padded
    interval contains each start, rows contained in the previous or next kept row dropped."""
    rows = []
    for g in prob.groups:
        m = g.members
        if m.size <= g.units:
            continue
        s, e = prob.start[m], prob.end[m] + g.gap_s
        order = np.lexsort((e, s))
        m, s, e = m[order], s[order], e[order]
        inside = (s[None, :] <= s[:, None]) & (s[:, None] + TIME_EPS_S < e[None, :])
        kept: list[tuple[int, np.ndarray]] = []
        for j in range(m.size):
            row = np.flatnonzero(inside[j])
            if row.size <= g.units or (kept and np.isin(row, kept[-1][1]).all()):
                continue
            kept.append((j, row))
        pruned = [(j, r) for k, (j, r) in enumerate(kept)
                  if k + 1 == len(kept) or not np.isin(r, kept[k + 1][1]).all()]
        # an instant link (padded end within the tolerance of its start) lies in none of those
        # rows: its own row holds it and the links that started strictly before it and hold their
        # unit past its start (schedule.check's rule), in time order after the row at its place
        instant = ~(s + TIME_EPS_S < e)
        at = ((s[None, :] < s[:, None]) & (s[:, None] + TIME_EPS_S < e[None, :])) | np.eye(m.size, dtype=bool)
        pruned += [(j, np.flatnonzero(at[j])) for j in np.flatnonzero(instant) if at[j].sum() > g.units]
        pruned.sort(key=lambda jr: jr[0])
        rows.extend((m[r], g.units) for _, r in pruned)
    return rows


def random_cands(seed: int, n: int, span_s: float = 3000.0, tiny: bool = False) -> list[Candidate]:
    """Random candidates with equal starts and links one microsecond short of a minute; with
    ``tiny`` also links of one microsecond, instants with a zero gap (rows of their own; the
    checker's agreement is tests/test_schedule_instants.py)."""
    rng = np.random.default_rng(seed)
    out = []
    for j in range(n):
        s = float(rng.uniform(0, span_s)) if rng.random() < 0.6 else float(rng.integers(0, 10)) * 100.0
        d = float(rng.choice([rng.uniform(1, 700), 100.0, 60.0 - 1e-6, 1e-6 if tiny else 30.0]))
        out.append(Candidate(f"c{j:02d}", f"c{j:02d}", f"st{rng.integers(3)}", f"sat{rng.integers(3)}",
                             T0 + timedelta(seconds=s), T0 + timedelta(seconds=s + d),
                             float(rng.integers(0, 1000)) * 1e3, clear_sky=float(rng.choice([1.0, 0.5]))))
    return out


def random_resources(seed: int) -> Resources:
    rng = np.random.default_rng(seed + 10_000)
    return Resources(telescopes={"st0": int(rng.integers(1, 3))}, terminals={"sat1": 2},
                     default_setup_s=float(rng.choice([0.0, 40.0, 120.0])),
                     default_repoint_s=float(rng.choice([0.0, 60.0])))


@pytest.mark.parametrize("seed", range(30))
def test_sparse_rows_equal_the_dense_rows(seed: int) -> None:
    cands = random_cands(seed, int(np.random.default_rng(seed).integers(1, 40)), tiny=True)
    prob = Problem(cands, random_resources(seed))
    want, got = dense_rows(prob), prob.capacity_rows()
    assert len(got) == len(want)
    for (a, u), (b, v) in zip(want, got, strict=True):
        assert u == v and np.array_equal(a, b)
    mat, units = prob.capacity_matrix()
    assert mat.shape == (len(want), prob.n) and units.tolist() == [u for _, u in want]


def test_capacity_rows_take_memory_linear_in_the_overlaps() -> None:
    """20,000 candidates on one station (a dense mask of one resource: 400 MB): the sweep's peak
    stays within a few MB, and the rows equal the dense ones on a slice."""
    rng = np.random.default_rng(7)
    n = 20_000
    s = np.sort(rng.uniform(0, n * 30.0, n))
    prob_cands = [Candidate(f"k{j:05d}", f"k{j:05d}", "st", f"s{j % 50}", T0 + timedelta(seconds=float(a)),
                            T0 + timedelta(seconds=float(a) + float(d)), 1.0)
                  for j, (a, d) in enumerate(zip(s, rng.uniform(60, 300, n), strict=True))]
    prob = Problem(prob_cands, Resources(default_setup_s=60.0, default_repoint_s=60.0))
    tracemalloc.start()
    mat, _ = prob.capacity_matrix()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 30e6, f"{peak / 1e6:.0f} MB"
    small = Problem(prob_cands[:1500], prob.resources)
    want = dense_rows(small)
    got = small.capacity_rows()
    assert len(got) == len(want) and all(np.array_equal(a, b) for (a, _), (b, _) in zip(want, got, strict=True))
    assert mat.nnz < 40 * n


# ---- the LP relaxation as the MILP's optimum ----------------------------------------------------

def brute_force(prob: Problem) -> float:
    best = 0.0
    x = np.zeros(prob.n, bool)

    def visit(j: int, chosen: list[Candidate]) -> None:
        nonlocal best
        if j == prob.n:
            best = max(best, evaluate(prob, x)[0])
            return
        visit(j + 1, chosen)
        c = prob.cands[j]
        if c.reason is None and not violations([*chosen, c], prob.resources):
            x[j] = True
            visit(j + 1, [*chosen, c])
            x[j] = False

    visit(0, [])
    return best


@pytest.mark.parametrize("seed", range(8))
def test_lp_first_is_the_milp_optimum(seed: int, monkeypatch) -> None:
    """Every problem through the LP first (threshold 0): optimal, equal to exhaustive enumeration,
    accepted by the checker; a fractional relaxation falls through to the MILP."""
    monkeypatch.setattr(milp_mod, "LP_FIRST_MIN_CANDIDATES", 0)
    cands = random_cands(300 + seed, 11)
    res = random_resources(seed)
    prob = Problem(cands, res)
    got = solve_milp(prob, 30)
    assert got.summary.status == "optimal"
    assert got.summary.objective == pytest.approx(brute_force(prob), rel=1e-9)
    assert not violations([c for c, on in zip(prob.cands, got.x, strict=True) if on], res)


def test_a_fractional_relaxation_is_not_taken_as_the_optimum(monkeypatch) -> None:
    """Fair shares of one satellite between two stations in conflict: the relaxation takes half
    of each link (each station 500 bits), the MILP one link (the other station none)."""
    monkeypatch.setattr(milp_mod, "LP_FIRST_MIN_CANDIDATES", 0)
    c = [Candidate("a", "a", "s1", "A", T0, T0 + timedelta(seconds=100), 1e3),
         Candidate("b", "b", "s2", "A", T0 + timedelta(seconds=50), T0 + timedelta(seconds=150), 1e3)]
    res = Resources(default_setup_s=0.0, default_repoint_s=0.0)
    prob = Problem(c, res, objective="fair")
    assert milp_mod.integral_optimum(prob) is None
    assert milp_mod.relaxation_bound(prob) == pytest.approx(500.0)
    got = solve_milp(prob, 30)
    assert got.summary.status == "optimal" and got.summary.objective == pytest.approx(brute_force(prob)) == 0.0
    assert got.x.sum() == 1


# ---- greedy baselines and conflict reasons on arrays ---------------------------------------------

def greedy_by_lists(prob: Problem, method: str) -> np.ndarray:
    """The greedy rule replayed with the checker's fits on candidate lists (the old loop)."""
    kept: dict[tuple[str, object], list[Candidate]] = {}
    x = np.zeros(prob.n, bool)
    for j in GREEDY_METHODS[method](prob):
        c = prob.cands[j]
        if not prob.allowed[j] or prob.value[j] <= 0:
            continue
        st = kept.get(("station", c.station), [])
        sat = kept.get(("satellite", c.satellite_key), [])
        if fits([*st, c], *prob.resources.station(c.station)) and fits([*sat, c], *prob.resources.satellite(c.satellite_key)):
            kept.setdefault(("station", c.station), []).append(c)
            kept.setdefault(("satellite", c.satellite_key), []).append(c)
            x[j] = True
    return x


def sorted_by_lists(prob: Problem, method: str) -> list[int]:
    prio: dict[str, float] = {}
    for d in prob.demands:
        for s in d.stations:
            prio[s] = max(prio.get(s, 0.0), d.priority)
    if method == "greedy-priority":
        return sorted(range(prob.n), key=lambda j: (-prio.get(prob.cands[j].station, 1.0), -prob.value[j],
                                                     prob.start[j], prob.cands[j].uid))
    dens = prob.value / np.maximum(prob.end - prob.start, 1e-9)
    return sorted(range(prob.n), key=lambda j: (-dens[j], prob.start[j], prob.cands[j].uid))


@pytest.mark.parametrize("seed", range(12))
def test_greedy_and_reasons_on_arrays_equal_the_list_replay(seed: int) -> None:
    cands = random_cands(500 + seed, 45, span_s=4000.0)
    res = random_resources(seed)
    prob = Problem(cands, res)
    for method in GREEDY_METHODS:
        assert GREEDY_METHODS[method](prob) == sorted_by_lists(prob, method)
        x, _, _ = greedy(prob, method)
        assert np.array_equal(x, greedy_by_lists(prob, method))
        assert not violations([c for c, on in zip(prob.cands, x, strict=True) if on], res)
        chosen = [c for c, on in zip(prob.cands, x, strict=True) if on]
        asked = ~x & prob.allowed & (prob.value > 0)
        got = _conflict_reasons(prob, x, asked)
        for j in np.flatnonzero(asked):
            assert got.get(int(j)) == _conflict_reason(prob.cands[j], chosen, res)


# ---- the hand-over gain from one LP ----------------------------------------------------------------

@pytest.mark.parametrize("seed", range(6))
def test_whole_pass_key_equals_the_whole_pass_plan(seed: int) -> None:
    """From one LP where its optimum is integral (``total``), else the plan made in full: either
    way the key of the whole-pass plan solved in full (the old hand-over gain's second plan), to
    HiGHS' gap."""
    rng = np.random.default_rng(seed)
    cands = random_cands(700 + seed, 14)
    cands = [Candidate(c.uid, c.pass_uid, c.station, c.satellite, c.start, c.end, c.key_bits, c.clear_sky,
                       handover=bool(rng.random() < 0.3)) for c in cands]
    res = random_resources(seed)
    whole = [c for c in cands if not c.handover]
    stations = sorted({c.station for c in whole})
    for demands, objective in (((), "total"), ((), "fair"), ((Demand((stations[0],), 3e5),), "total")):
        full = plan_schedule(whole, res, demands, objective)
        assert whole_pass_key(cands, res, demands, objective) == pytest.approx(full.expected_key_bits, rel=1e-7, abs=1e-6)
    assert whole_pass_key(cands, res, solver="greedy") == plan_schedule(whole, res, solver="greedy").expected_key_bits
