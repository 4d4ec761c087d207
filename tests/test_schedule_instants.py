"""Instant links and the capacity rows: the MILP never plans what the independent checker refuses.

An *instant* link is one whose padded interval (end plus the resource's gap) ends within the
checker's tolerance (1 µs) of its start: a link of one microsecond with no gap. It lay in no
capacity row (the rows are the starts that a padded interval passes), so the MILP could put it
inside another link on the same telescope or terminal, a plan the checker then refused. The rule
(passplan.schedule.check.holds, one predicate for the checker and the rows): an instant needs a
unit free at its start, and frees it at once.

Authorities: the checker (passplan.schedule.check.violations, written without the rows) decides
which plans are valid, and a brute force over every subset of a few candidates finds the best
valid plan; the MILP's plan must pass the checker and reach that optimum.
"""

from __future__ import annotations

import itertools
import tracemalloc
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from passplan.schedule.candidates_file import schedule_candidates
from passplan.schedule.check import instant, violations
from passplan.schedule.model import Candidate, Resources
from passplan.schedule.problem import Problem

# whole seconds of 2026 are exact floats; one microsecond after one rounds to start + 1 µs within
# the float spacing there (2.4e-7 s), so a 1 µs link from a whole second is an instant
T0 = datetime(2026, 12, 7, 20, tzinfo=UTC)
US = timedelta(microseconds=1)
ZERO_GAPS = Resources(default_setup_s=0.0, default_repoint_s=0.0)


def cand(uid: str, station: str, satellite: str, start: timedelta, end: timedelta, key: float) -> Candidate:
    return Candidate(uid, uid, station, satellite, T0 + start, T0 + end, key)


def is_instant(c: Candidate, gap: float = 0.0) -> bool:
    return bool(instant(np.array([c.start_s]), np.array([c.end_s + gap]))[0])


def best_valid(cands: list[Candidate], res: Resources) -> float:
    """The most key over the subsets of ``cands`` that the checker accepts (brute force)."""
    best = 0.0
    for r in range(1, len(cands) + 1):
        for sub in itertools.combinations(cands, r):
            key = sum(c.key_bits for c in sub)
            if key > best and not violations(list(sub), res):
                best = key
    return best


def shares_a_row(prob: Problem, i: int, k: int) -> bool:
    mat, _ = prob.capacity_matrix()
    rows = mat.tocsc()
    a = set(rows[:, i].indices.tolist())
    return bool(a & set(rows[:, k].indices.tolist()))


def test_an_instant_inside_a_link_is_not_planned_beside_it() -> None:
    """The reported case: a 1 µs link (no gap) in the middle of a 100 s link at the same station.
    The checker refuses both together; the MILP planned both (the instant lay in no row)."""
    a = cand("A", "S1", "X", timedelta(0), timedelta(seconds=100), 10.0)
    b = cand("B", "S1", "Y", timedelta(seconds=50), timedelta(seconds=50) + US, 5.0)
    assert is_instant(b) and not is_instant(a)
    assert violations([a, b], ZERO_GAPS)  # the checker: B finds the telescope busy
    run = schedule_candidates([a, b], resources=ZERO_GAPS)
    assert [c.uid for c in run.plan.links] == ["A"]
    assert not violations(run.plan.links, ZERO_GAPS)
    prob = Problem([a, b], ZERO_GAPS)
    assert shares_a_row(prob, 0, 1)


def test_an_instant_inside_a_link_on_one_satellite_terminal() -> None:
    """The same on a satellite's terminal (two stations, no re-pointing gap); the instant worth
    more than the long link is planned alone."""
    a = cand("A", "S1", "X", timedelta(0), timedelta(seconds=100), 5.0)
    b = cand("B", "S2", "X", timedelta(seconds=99), timedelta(seconds=99) + US, 10.0)
    assert is_instant(b) and violations([a, b], ZERO_GAPS)
    run = schedule_candidates([a, b], resources=ZERO_GAPS)
    assert [c.uid for c in run.plan.links] == ["B"]


@pytest.mark.parametrize("at_s", [0.0, 100.0, 200.0])
def test_an_instant_at_a_start_or_an_end_fits_beside_the_link(at_s: float) -> None:
    """An instant at the long link's start (ordered first, it frees its unit at once), at its end
    (touching) or after it fits beside it: the checker accepts both, and so does the MILP."""
    a = cand("A", "S1", "X", timedelta(0), timedelta(seconds=100), 10.0)
    b = cand("B", "S1", "Y", timedelta(seconds=at_s), timedelta(seconds=at_s) + US, 5.0)
    c = cand("C", "S1", "Z", timedelta(seconds=at_s), timedelta(seconds=at_s) + US, 1.0)  # instants never clash
    assert is_instant(b) and not violations([a, b, c], ZERO_GAPS)
    run = schedule_candidates([a, b, c], resources=ZERO_GAPS)
    assert sorted(x.uid for x in run.plan.links) == ["A", "B", "C"]


def test_two_telescopes_hold_two_links_and_refuse_an_instant_between() -> None:
    """Two telescopes, two overlapping links and an instant inside both: any two of the three
    fit, not all three (a row of three links, two units)."""
    res = Resources(default_telescopes=2, default_setup_s=0.0, default_repoint_s=0.0)
    a = cand("A", "S1", "X", timedelta(0), timedelta(seconds=100), 10.0)
    b = cand("B", "S1", "Y", timedelta(seconds=10), timedelta(seconds=90), 8.0)
    c = cand("C", "S1", "Z", timedelta(seconds=50), timedelta(seconds=50) + US, 9.0)
    assert violations([a, b, c], res) and not violations([a, c], res) and not violations([b, c], res)
    run = schedule_candidates([a, b, c], resources=res)
    assert sorted(x.uid for x in run.plan.links) == ["A", "C"]
    rows = Problem([a, b, c], res).capacity_rows()
    assert any(set(r.tolist()) == {0, 1, 2} and u == 2 for r, u in rows)


# ---- property: random small sets with instants, equal and touching endpoints, random gaps ------

# starts on whole and half seconds (exact floats); lengths of one microsecond (instants with no
# gap), whole seconds (touching and equal endpoints) and a microsecond either side of one second
# (the tolerance's edges)
_LENGTHS = [US, US, timedelta(seconds=1), timedelta(seconds=2), timedelta(seconds=1) + US,
            timedelta(seconds=1) - US, timedelta(seconds=3)]
_cand = st.tuples(st.sampled_from(["a", "b"]), st.sampled_from(["x", "y"]),
                  st.integers(0, 8), st.sampled_from(_LENGTHS), st.integers(1, 40))
_resources = st.builds(
    lambda tel, setup, repoint: Resources(telescopes={"a": tel}, default_setup_s=setup, default_repoint_s=repoint),
    st.integers(1, 2), st.sampled_from([0.0, 0.0, 0.5, 1.0]), st.sampled_from([0.0, 0.0, 1.0]))


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_cand, min_size=1, max_size=7), _resources)
def test_every_milp_plan_passes_the_checker_at_the_brute_force_optimum(
    draws: list[tuple[str, str, int, timedelta, int]], res: Resources
) -> None:
    cands = [cand(f"c{j}", sta, sat, timedelta(seconds=h / 2), timedelta(seconds=h / 2) + d, float(k))
             for j, (sta, sat, h, d, k) in enumerate(draws)]
    prob = Problem(cands, res)
    # every pair the checker refuses together shares a capacity row
    for i, k in itertools.combinations(range(len(cands)), 2):
        if violations([cands[i], cands[k]], res):
            assert shares_a_row(prob, i, k), (cands[i], cands[k])
    run = schedule_candidates(cands, resources=res)
    assert not violations(run.plan.links, res)
    assert sum(c.key_bits for c in run.plan.links) == best_valid(cands, res)


def test_the_property_draws_reach_instants_inside_links() -> None:
    """The draws above are able to put an instant inside another link (the case of the hole):
    a 1 µs link from a whole or half second is an instant, and one inside a 2 s link clashes."""
    a = cand("c0", "a", "x", timedelta(seconds=1), timedelta(seconds=3), 1.0)
    b = cand("c1", "a", "y", timedelta(seconds=1.5), timedelta(seconds=1.5) + US, 1.0)
    assert is_instant(b) and violations([a, b], ZERO_GAPS)


def test_instant_rows_take_memory_linear_in_the_overlaps() -> None:
    """20,000 links on one station, every other one an instant (1 µs from a whole second, no
    setup gap) among links of 60 to 300 s: the rows' peak stays within a few MB (a dense mask
    would take 400 MB), the non-zeros grow with the links and their overlaps, and each instant
    lies in one row at most: its own, with the links that started before it and cover its start."""
    rng = np.random.default_rng(11)
    n = 20_000
    s = np.sort(rng.integers(0, n * 30, n))
    d = rng.integers(60, 300, n)
    cands = [Candidate(f"k{j:05d}", f"k{j:05d}", "st", f"s{j % 50}", T0 + timedelta(seconds=int(a)),
                       T0 + (timedelta(seconds=int(a)) + (US if j % 2 else timedelta(seconds=int(b)))), 1.0)
             for j, (a, b) in enumerate(zip(s, d, strict=True))]
    # terminals enough for every satellite's links: the rows are the station's alone
    prob = Problem(cands, Resources(default_setup_s=0.0, default_terminals=1000))
    tracemalloc.start()
    mat, _ = prob.capacity_matrix()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 30e6, f"{peak / 1e6:.0f} MB"
    assert mat.nnz < 40 * n
    col = mat.tocsc()
    start, end = prob.start, prob.end
    seen = 0
    for j in range(1, 2001, 2):
        assert is_instant(cands[j])
        rows = col[:, j].indices
        cover = np.flatnonzero((start < start[j]) & (end > start[j] + 1e-6))
        if cover.size == 0:  # nothing holds the telescope: no row needed
            assert rows.size == 0
            continue
        seen += 1
        assert rows.size == 1
        want = sorted([*cover.tolist(), j], key=lambda i: (start[i], end[i]))
        assert sorted(mat[rows[0]].indices.tolist(), key=lambda i: (start[i], end[i])) == want
    assert seen > 100
