"""Schedules over given candidates and requests (issue 19, part 5): the plan equals an
independent optimum on the same inputs.

Authorities: a brute force written here (every feasible subset of links, every assignment of
requests to them) on small seeded cases, and an independent MILP written here with
``scipy.optimize.milp`` (pairwise conflict rows instead of the library's clique rows, the
lexicographic objective solved in two stages instead of one weighted sum) on a generated day of
one satellite over 100 nodes (about 380 candidate passes, 10 to 80 requests per node: the scale
of the one-day data set issue 19 names).
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from passplan.errors import ConfigError, InputError
from passplan.schedule.candidates_file import (
    ZERO_LENGTH_REASON,
    CandidatesFile,
    load_candidates,
    schedule_candidates,
)
from passplan.schedule.model import Candidate
from passplan.schedule.requests import Request, load_requests

T0 = datetime(2026, 3, 20, 18, 0, tzinfo=UTC)
SETUP_S, REPOINT_S = 120.0, 60.0


# ---------------------------------------------------------------------------------------------
# Independent authorities


def _conflict(a: tuple[str, str, float, float], b: tuple[str, str, float, float]) -> bool:
    """Two links (station, satellite, start s, end s) cannot both be made: a shared station
    needs SETUP_S between them, a shared satellite REPOINT_S (one telescope, one terminal)."""
    (sa, ta, s1, e1), (sb, tb, s2, e2) = a, b
    if s2 < s1:
        s1, e1, s2, e2 = s2, e2, s1, e1
    if sa == sb and e1 + SETUP_S > s2:
        return True
    return ta == tb and e1 + REPOINT_S > s2


def _eligible(link: tuple[str, str, float, float], key: float, r: Request) -> bool:
    st, sat, _, _ = link
    return st == r.station and (r.satellite is None or r.satellite == sat) and (r.kind == "optical" or key > 0)


def brute_force(links: list[tuple[str, str, float, float]], keys: list[float],
                requests: list[Request]) -> tuple[float, float]:
    """The lexicographic optimum (sum of priority x value over the served requests, then key)
    over every feasible subset of links and every assignment of requests to its links."""
    n = len(links)
    idx = {r.id: k for k, r in enumerate(requests)}
    best = (-1.0, -1.0)
    for mask in range(1 << n):
        chosen = [j for j in range(n) if mask >> j & 1]
        if any(_conflict(links[i], links[j]) for i, j in itertools.combinations(chosen, 2)):
            continue
        key = sum(keys[j] for j in chosen)
        # every assignment: request k -> one chosen link or None, links used once
        options = [[None] + [j for j in chosen if _eligible(links[j], keys[j], r)] for r in requests]
        top = 0.0
        for assign in itertools.product(*options):
            used = [j for j in assign if j is not None]
            if len(used) != len(set(used)):
                continue
            ok = True
            for k, r in enumerate(requests):
                j = assign[k]
                if j is None:
                    continue
                for a in r.after:
                    i = assign[idx[a]]
                    if i is None or links[i][3] > links[j][2]:
                        ok = False
            if ok:
                top = max(top, sum(r.priority * r.value for r, j in zip(requests, assign, strict=True) if j is not None))
        best = max(best, (top, key))
    return best


def independent_milp(links: list[tuple[str, str, float, float]], keys: list[float],
                     requests: list[Request], key_stage: bool = True) -> tuple[float, float | None]:
    """The same optimum from scipy.optimize.milp on a formulation of its own: one row per
    conflicting pair of links, and two stages (the most priority x value; then, with
    ``key_stage``, the most key with that value held; else None for the key)."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    n = len(links)
    s = np.array([lk[2] for lk in links])
    e = np.array([lk[3] for lk in links])
    key = np.asarray(keys, float)
    pairs = [(j, k) for k, r in enumerate(requests) for j in range(n) if _eligible(links[j], keys[j], r)]
    nz = len(pairs)
    nv = n + nz
    rows, cols, vals, hi = [], [], [], []

    def row(cs: list[int], vs: list[float], upper: float) -> None:
        rows.extend([len(hi)] * len(cs))
        cols.extend(cs)
        vals.extend(vs)
        hi.append(upper)

    order = np.argsort(s, kind="stable")
    for a_pos, i in enumerate(order):  # conflicting pairs: later starts within the gap of i's end
        for j in order[a_pos + 1 :]:
            if s[j] >= e[i] + max(SETUP_S, REPOINT_S):
                break
            if _conflict(links[i], links[j]):
                row([int(i), int(j)], [1.0, 1.0], 1.0)
    by_req: dict[int, list[int]] = {}
    by_link: dict[int, list[int]] = {}
    for p, (j, k) in enumerate(pairs):
        by_req.setdefault(k, []).append(p)
        by_link.setdefault(j, []).append(p)
    for ps in by_req.values():
        row([n + p for p in ps], [1.0] * len(ps), 1.0)
    for j, ps in by_link.items():
        row([n + p for p in ps] + [j], [1.0] * len(ps) + [-1.0], 0.0)
    idx = {r.id: k for k, r in enumerate(requests)}
    for p, (j, k) in enumerate(pairs):
        for a in requests[k].after:
            earlier = [q for q in by_req.get(idx[a], []) if e[pairs[q][0]] <= s[j]]
            row([n + p] + [n + q for q in earlier], [1.0] + [-1.0] * len(earlier), 0.0)
    A = coo_matrix((vals, (rows, cols)), shape=(len(hi), nv)).tocsr()
    w = np.array([requests[k].priority * requests[k].value for _, k in pairs])
    integrality = np.ones(nv)
    bounds = Bounds(np.zeros(nv), np.ones(nv))
    c1 = np.concatenate([np.zeros(n), -w])
    opts = {"disp": False, "mip_rel_gap": 0.0}
    res = milp(c1, constraints=[LinearConstraint(A, -np.inf, np.array(hi))], integrality=integrality, bounds=bounds,
               options=opts)
    assert res.status == 0, res.message
    value = -float(res.fun)
    if not key_stage:
        return value, None
    # stage 2: the most key among the plans of that value (held to 1e-9 of it)
    A2 = coo_matrix(np.concatenate([np.zeros(n), w])[None, :])
    cons = [LinearConstraint(A, -np.inf, np.array(hi)), LinearConstraint(A2, value - 1e-9 * max(value, 1.0), np.inf)]
    res2 = milp(np.concatenate([-key, np.zeros(nz)]), constraints=cons, integrality=integrality, bounds=bounds,
                options=opts)
    assert res2.status == 0, res2.message
    return value, -float(res2.fun)


# ---------------------------------------------------------------------------------------------
# Cases


def _cands(links: list[tuple[str, str, float, float]], keys: list[float]) -> list[Candidate]:
    return [Candidate(f"c{j}", f"c{j}", st, sat, T0 + timedelta(seconds=s), T0 + timedelta(seconds=e), k)
            for j, ((st, sat, s, e), k) in enumerate(zip(links, keys, strict=True))]


def _plan(links: list[tuple[str, str, float, float]], keys: list[float], requests: list[Request]) -> dict:
    run = schedule_candidates(_cands(links, keys), requests, setup_s=SETUP_S, repoint_s=REPOINT_S)
    return run.to_document()


def small_case(seed: int) -> tuple[list[tuple[str, str, float, float]], list[float], list[Request]]:
    """Seven links of two satellites over three stations inside one hour (many conflicts), some
    without key, and five requests (key and optical, some satellite-bound, some ordered)."""
    rng = np.random.default_rng(seed)
    links = []
    for _ in range(7):
        s = float(rng.integers(0, 3600 // 30)) * 30
        links.append((f"s{rng.integers(3)}", f"SAT{rng.integers(2)}", s, s + float(rng.integers(2, 12)) * 30))
    keys = [0.0 if rng.random() < 0.25 else float(rng.integers(1, 50)) * 100 for _ in links]
    reqs: list[Request] = []
    for k in range(5):
        after = (f"r{rng.integers(k)}",) if k and rng.random() < 0.4 else ()
        reqs.append(Request(f"r{k}", f"s{rng.integers(3)}", f"SAT{rng.integers(2)}" if rng.random() < 0.3 else None,
                            priority=float(rng.integers(1, 4)), value=float(rng.integers(1, 6)),
                            kind="optical" if rng.random() < 0.3 else "key", after=after))
    return links, keys, reqs


@pytest.mark.parametrize("seed", range(12))
def test_small_cases_equal_the_brute_force(seed: int) -> None:
    links, keys, reqs = small_case(seed)
    doc = _plan(links, keys, reqs)
    value, key = brute_force(links, keys, reqs)
    assert doc["requests_value"] == pytest.approx(value, abs=1e-9)
    assert doc["expected_key_bits"] == pytest.approx(key, abs=0.05)
    # the document is consistent: each served request names a scheduled link that serves it
    on = {ln["pass_uid"]: ln.get("request") for ln in doc["links"]}
    for r in doc["requests"]:
        if r["served"]:
            assert on[r["link"]] == r["id"]
        else:
            assert r["reason"]


def day_case(nodes: int, seed: int = 2026) -> tuple[list[tuple[str, str, float, float]], list[float], list[Request]]:
    """One satellite over ``nodes`` nodes for a day: six visible orbits, each seen by about 63 %
    of the nodes (3.8 passes per node: 380 for 100 nodes), passes of 2 to 8 minutes starting
    within 5 minutes of each other, 10 % without key; 10 to 80 requests per node, 20 % optical,
    20 % after an earlier request of their node."""
    rng = np.random.default_rng(seed)
    links: list[tuple[str, str, float, float]] = []
    for orbit in range(6):
        t = 3600.0 * (2 + 1.6 * orbit)
        for node in range(nodes):
            if rng.random() < 0.633:
                s = t + float(rng.integers(0, 300))
                links.append((f"n{node:03d}", "SAT", s, s + float(rng.integers(120, 481))))
    keys = [0.0 if rng.random() < 0.1 else float(rng.integers(1, 200)) * 1000 for _ in links]
    reqs: list[Request] = []
    for node in range(nodes):
        mine: list[str] = []
        for k in range(int(rng.integers(10, 81))):
            rid = f"n{node:03d}-{k}"
            after = (mine[int(rng.integers(len(mine)))],) if mine and rng.random() < 0.2 else ()
            reqs.append(Request(rid, f"n{node:03d}", priority=float(rng.integers(1, 4)), value=float(rng.integers(1, 10)),
                                kind="optical" if rng.random() < 0.2 else "key", after=after))
            mine.append(rid)
    return links, keys, reqs


def test_day_of_8_nodes_equals_an_independent_milp() -> None:
    links, keys, reqs = day_case(8)
    doc = _plan(links, keys, reqs)
    value, key = independent_milp(links, keys, reqs)
    assert doc["solver"]["status"] == "optimal"
    assert doc["requests_value"] == pytest.approx(value, rel=1e-9)
    assert doc["expected_key_bits"] == pytest.approx(key, rel=1e-6)


@pytest.mark.slow
def test_day_of_100_nodes_equals_an_independent_milp() -> None:
    links, keys, reqs = day_case(100)
    assert 340 <= len(links) <= 420 and 4000 <= len(reqs) <= 5000
    doc = _plan(links, keys, reqs)
    # the key stage of this day is not proven within its time (nor is the independent one's
    # within a minute): the primary objective is compared
    value, _ = independent_milp(links, keys, reqs, key_stage=False)
    assert doc["solver"]["status"].startswith("optimal")
    assert doc["requests_value"] == pytest.approx(value, rel=1e-9)


# ---------------------------------------------------------------------------------------------
# Zero-length windows, order, files, the command

def test_zero_length_windows_get_a_reason_not_a_refusal(tmp_path: Path) -> None:
    f = tmp_path / "c.csv"
    f.write_text("station,satellite,start,end,key_bits\n"
                 "graz,SAT,2026-03-20T20:00:00Z,2026-03-20T20:05:00Z,100\n"
                 "vienna,SAT,2026-03-20T21:00:00Z,2026-03-20T21:00:00Z,50\n")
    got = load_candidates(f)
    assert len(got.candidates) == 1 and len(got.zero_length) == 1
    doc = schedule_candidates(got).to_document()
    assert [ln["station"] for ln in doc["links"]] == ["graz"]
    zero = [u for u in doc["unscheduled"] if u["station"] == "vienna"]
    assert zero and zero[0]["reason"] == ZERO_LENGTH_REASON
    assert "not expectations" in doc["key_bits_basis"]
    assert "requests" not in doc and "request" not in doc["links"][0]
    # a file of zero-length windows alone: an empty plan, each request unserved with its reason
    f.write_text("station,satellite,start,end,key_bits\nvienna,SAT,2026-03-20T21:00:00Z,2026-03-20T21:00:00Z,50\n")
    doc = schedule_candidates(f, [Request("r", "vienna", kind="optical")]).to_document()
    assert doc["links"] == [] and doc["unscheduled"][0]["reason"] == ZERO_LENGTH_REASON
    assert doc["requests"][0]["reason"] == "no candidate link at station vienna"


def test_order_between_requests() -> None:
    """A request after another is served only by a link starting after the other's link ends;
    when the only such link comes first, the follower is unserved and says why."""
    links = [("a", "S", 0.0, 300.0), ("a", "S", 3600.0, 3900.0)]
    keys = [100.0, 200.0]
    post = Request("post", "a", kind="optical", value=1.0, after=("kx",))
    doc = _plan(links, keys, [Request("kx", "a", value=5.0), post])
    by_id = {r["id"]: r for r in doc["requests"]}
    assert (by_id["kx"]["link"], by_id["post"]["link"]) == ("c0", "c1")
    # a key request that only the first link can serve (the second has no key): the follower
    # then has the second link; reversed in time, it has none
    doc = _plan(links[::-1], [200.0, 0.0], [Request("kx", "a", value=5.0), post])
    by_id = {r["id"]: r for r in doc["requests"]}
    assert by_id["kx"]["link"] == "c0" and not by_id["post"]["served"]
    assert "starts after the end of the link serving kx" in by_id["post"]["reason"]
    assert brute_force(links[::-1], [200.0, 0.0], [Request("kx", "a", value=5.0), post]) == (5.0, 200.0)


def test_unserved_reasons() -> None:
    links = [("a", "S", 0.0, 300.0)]
    reqs = [Request("k", "a", value=2.0), Request("b", "b", value=1.0), Request("k0", "a", kind="key", value=1.0),
            Request("f", "a", value=1.0, after=("b",))]
    doc = _plan(links, [0.0], reqs)
    why = {r["id"]: r["reason"] for r in doc["requests"]}
    assert "no candidate link with key > 0 at station a" in why["k"]
    assert why["b"] == "no candidate link at station b"
    assert why["f"].startswith("no candidate link with key > 0")
    doc = _plan(links, [10.0], reqs)
    why = {r["id"]: r["reason"] for r in doc["requests"]}
    assert why["k"] is None and why["f"] == "follows request b, which is not served"
    assert why["k0"].startswith("not chosen")


def test_candidate_priority_weighs_key() -> None:
    """Two links in conflict on one satellite: the larger key wins, unless a priority turns it."""
    cands = _cands([("a", "S", 0.0, 300.0), ("b", "S", 100.0, 400.0)], [100.0, 150.0])
    assert [ln.station for ln in schedule_candidates(cands).links] == ["b"]
    weighted = CandidatesFile(cands, priorities={"c0": 2.0})
    assert [ln.station for ln in schedule_candidates(weighted).links] == ["a"]


def test_json_candidates_equal_csv(tmp_path: Path) -> None:
    rows = [{"station": "a", "satellite": "S", "start": "2026-03-20T20:00:00Z", "end": "2026-03-20T20:05:00Z",
             "key_bits": 100, "id": "x"},
            {"station": "b", "satellite": "S", "start": "2026-03-20T20:04:00+01:00", "end": "2026-03-20T19:10:00Z",
             "key_bits": 90.5, "priority": 3}]
    (tmp_path / "c.json").write_text(json.dumps({"candidates": rows}))
    (tmp_path / "c.csv").write_text("id,station,satellite,start,end,key_bits,priority\n"
                                    "x,a,S,2026-03-20T20:00:00Z,2026-03-20T20:05:00Z,100,\n"
                                    ",b,S,2026-03-20T20:04:00+01:00,2026-03-20T19:10:00Z,90.5,3\n")
    a, b = load_candidates(tmp_path / "c.json"), load_candidates(tmp_path / "c.csv")
    assert a.candidates == b.candidates and a.priorities == b.priorities == {"S@b/2026-03-20T19:04:00.000Z": 3.0}


@pytest.mark.parametrize(("text", "message"), [
    ("station,satellite,start,end\na,S,2026-03-20T20:00Z,2026-03-20T20:05Z\n", ":1: no key_bits column"),
    ("station,satellite,start,end,key_bits,colour\n", ":1: column 6: 'colour' is not a candidates column"),
    ("station,satellite,start,end,key_bits\na,S,2026-03-20T20:00,2026-03-20T20:05Z,1\n",
     ":2: column 5 (start): start '2026-03-20T20:00' has no time zone"),
    ("station,satellite,start,end,key_bits\na,S,2026-03-20T20:00Z,2026-03-20T20:05Z,-1\n",
     ":2: column 41 (key_bits): key_bits -1: give a finite number of bits >= 0"),
    ("station,satellite,start,end,key_bits\na,S,2026-03-20T20:05Z,2026-03-20T20:00Z,1\n",
     ":2: end 2026-03-20T20:00:00.000Z is before start 2026-03-20T20:05:00.000Z; swap them"),
    ("station,satellite,start,end,key_bits,id\na,S,2026-03-20T20:00Z,2026-03-20T20:05Z,1,x\n"
     "b,S,2026-03-20T21:00Z,2026-03-20T21:05Z,1,x\n", ":3: id x is also at line 2"),
    ("station,satellite,start,end,key_bits\na,S,2026-03-20T20:00Z\n", ":2: 3 cells for 5 columns"),
    ('[{"station": "a", "satellite": "S", "start": "2026-03-20T20:00Z", "end": 5, "key_bits": 1}',
     ":1: column 91: invalid JSON"),
    ('[{"station": "a", "satellite": "S", "start": "2026-03-20T20:00Z", "key_bits": 1}]',
     "candidate #1 no end; each candidate needs"),
])
def test_candidates_file_errors(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / ("c.json" if text.startswith("[") else "c.csv")
    f.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_candidates(f)
    assert str(err.value).startswith(str(f)) and message in str(err.value), str(err.value)


@pytest.mark.parametrize(("text", "message"), [
    ('[[requests]]\nid = "a"\nstation = "x"\nafter = ["b"]\n', "after names 'b', which is not a request"),
    ('[[requests]]\nid = "a"\nstation = "x"\nafter = ["b"]\n[[requests]]\nid = "b"\nstation = "x"\nafter = ["a"]\n',
     "follow each other in a cycle"),
    ('[[requests]]\nid = "a"\nstation = "x"\nkind = "beam"\n', "request #1 (a): key kind = 'beam'"),
    ('[[requests]]\nid = "a"\nstation = "x"\nvalue = 0\n', "key value = 0: give a finite number > 0"),
    ('[[requests]]\nid = "a"\nstation = "x"\n[[requests]]\nid = "a"\nnode = "y"\n', "request a appears twice"),
    ('[[requests]]\nid = "a"\nstaton = "x"\n', "unknown key 'staton'"),
    ('{"requests": [{"id": "a", "station": "x",}]}', ":1: column 42: invalid JSON"),
])
def test_request_file_errors(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / ("r.json" if text.startswith("{") else "r.toml")
    f.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_requests(f)
    assert str(err.value).startswith(str(f)) and message in str(err.value), str(err.value)


def test_library_errors_name_the_parameter() -> None:
    cands = _cands([("a", "S", 0.0, 300.0)], [1.0])
    with pytest.raises(InputError, match="setup_s"):
        schedule_candidates(cands, setup_s=-1.0)
    with pytest.raises(InputError, match="request a: kind"):
        Request("a", "x", kind="beam")
    from passplan.schedule import Demand

    with pytest.raises(InputError, match="station 'zz' has no candidate"):
        schedule_candidates(cands, demands=[Demand(("zz",), 10.0)])


def test_cli_json(tmp_path: Path) -> None:
    """`passplan schedule --candidates --requests --format json` on the shipped example: the
    library's document, and the same optimum as the brute force."""
    from typer.testing import CliRunner

    import passplan
    from passplan.cli import app

    data = Path(passplan.__file__).parent / "data" / "schedule"
    out = tmp_path / "plan.json"
    res = CliRunner().invoke(app, ["schedule", "--candidates", str(data / "candidates-example.csv"), "--requests",
                                   str(data / "requests-example.toml"), "--format", "json", "-o", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    got = load_candidates(data / "candidates-example.csv")
    reqs = load_requests(data / "requests-example.toml")
    assert len(got.zero_length) == 1 and doc["unscheduled"][-1]["reason"] == ZERO_LENGTH_REASON
    links = [(c.station, c.satellite, c.start_s, c.end_s) for c in got.candidates]
    keys = [c.key_bits * got.priorities.get(c.uid, 1.0) for c in got.candidates]
    value, key = brute_force(links, keys, reqs)
    assert doc["requests_value"] == value
    assert sum(ln["key_bits"] * got.priorities.get(ln["pass_uid"], 1.0) for ln in doc["links"]) == key
    assert {ln["pass_uid"]: ln["request"] for ln in doc["links"]} == {
        r["link"]: r["id"] for r in doc["requests"] if r["served"]} | {
        ln["pass_uid"]: None for ln in doc["links"] if ln["pass_uid"] not in {r["link"] for r in doc["requests"]}}
    res = CliRunner().invoke(app, ["schedule", "--candidates", str(data / "candidates-example.csv"), "--sats", "micius"])
    assert res.exit_code == 2 and "leave out --sats" in res.output


def _line_col_of(text: str, needle: str) -> tuple[int, int]:
    """The 1-based line and column where the unique ``needle`` starts in ``text`` (found by
    splitting the lines, independently of the parser's offsets)."""
    assert text.count(needle) == 1, needle
    for n, ln in enumerate(text.splitlines(), start=1):
        if needle in ln:
            return n, ln.index(needle) + 1
    raise AssertionError(needle)


@pytest.mark.parametrize("wrapped", [False, True])
def test_json_candidate_errors_name_line_column_number_and_key(tmp_path: Path, wrapped: bool) -> None:
    """Each JSON candidate problem names file:LINE of the offending value (a missing key: the
    candidate's object; an unknown key: the key), its column, the candidate's number and the
    key, as CSV problems name their line and column."""
    from passplan.schedule.candidates_file import parse_candidates

    good = {"station": "a", "satellite": "S", "start": "2026-03-20T20:00Z", "end": "2026-03-20T20:05Z",
            "key_bits": 1, "id": "x"}
    rows = [good,
            dict(good, id="y", key_bits=-7),                         # 2: a bad value
            dict(good, id="z", end=5),                               # 3: a value of the wrong type
            {k: v for k, v in good.items() if k != "end"} | {"id": "w"},  # 4: a missing key
            dict(good, id="v", colour="red"),                        # 5: an unknown key
            dict(good, id="x", start="2026-03-20T21:00Z", end="2026-03-20T21:05Z"),  # 6: an id given twice
            dict(good, id="u", start="2026-03-20T23:00Z", end="2026-03-20T22:00Z"),  # 7: end before start
            "not a row"]                                             # 8: not an object
    body = json.dumps(rows, indent=2)
    text = json.dumps({"note": "n", "candidates": rows}, indent=1) if wrapped else body
    f = str(tmp_path / "c.json")
    _, problems = parse_candidates(text, f)
    got = {(p.where.split("#")[1], p.key): p for p in problems}

    def at(needle: str) -> tuple[int, int]:
        return _line_col_of(text, needle)

    def _shift(place: tuple[int, int], by: int) -> tuple[int, int]:
        return place[0], place[1] + by

    # the offending values, found as unique strings of the text
    want = {("2", "key_bits"): at("-7"), ("3", "end"): _shift(at('"end": 5'), 7), ("5", "colour"): at('"colour"'),
            ("7", "end"): at('"2026-03-20T22:00Z"'), ("8", ""): at('"not a row"')}
    # the id given twice: the second "x" (the first is candidate 1's)
    first_x = text.index('"x"')
    second = text.index('"x"', first_x + 1)
    want[("6", "id")] = (text.count("\n", 0, second) + 1, second - text.rfind("\n", 0, second))
    # the missing end: candidate 4's object, the "{" before its id "w"
    brace = text.rindex("{", 0, text.index('"w"'))
    want[("4", "end")] = (text.count("\n", 0, brace) + 1, brace - text.rfind("\n", 0, brace))
    assert set(got) == set(want), [str(p) for p in problems]
    for (k, key), (line, col) in want.items():
        p = got[(k, key)]
        assert p.line == line, str(p)
        assert str(p).startswith(f"{f}:{line}: column {col}{f' ({key})' if key else ''}: candidate #{k} "), str(p)
    assert "id x is also at candidate #1 (line " in str(got[("6", "id")])
    # the first problem through load_candidates: the same line, column, number and key
    (tmp_path / "c.json").write_text(text)
    with pytest.raises(ConfigError) as err:
        load_candidates(tmp_path / "c.json")
    line, col = want[("2", "key_bits")]
    assert str(err.value).startswith(f"{f}:{line}: column {col} (key_bits): candidate #2 key_bits -7: ")
