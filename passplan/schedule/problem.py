"""The scheduling problem as arrays: who uses which resource, capacity rows, demands, objective.

Each resource (a station, a satellite) has ``units`` and a ``gap``. A link occupies one unit over
its *padded* interval ``[start, end + gap)``, so two links on one unit need ``gap`` seconds
between them. At most ``units`` padded intervals of a resource may overlap at any instant; the
overlap of half-open intervals is largest at some interval's start, so one row per start,

    sum of x_i over the links i whose padded interval contains start_j  <=  units,

states the capacity exactly (an interval graph is perfect: a maximum clique at most ``units``
means the links can be assigned to ``units`` telescopes; Golumbic, *Algorithmic Graph Theory
and Perfect Graphs*, 2004, ch. 8). Rows that another row contains are dropped.

The rows are built by a sweep over the intervals sorted by start, never as an n x n mask: link
i lies in the rows of the starts from its own (the first link of an equal start) up to the last
start before its padded end, a range found by binary search, so the rows take memory linear in
the candidates and their overlaps (a sparse matrix, :meth:`Problem.capacity_matrix`). A row is
contained in an earlier one exactly when all its links start no later than that row's start, and
in the next one exactly when all its links end after that row's start: the two prunings need only
each row's latest start and earliest end.

Overlap is the checker's rule, one predicate (:func:`.check.holds`): a link holds its unit for a
later start s when its padded end passes s by more than the tolerance (1 µs). An *instant* link
(:func:`.check.instant`: padded end within the tolerance of its start, a link of at most 1 µs with
no gap) holds its unit past no start, so it lies in none of the rows above; it needs a free unit
at its start and frees it at once (:mod:`.check`). Each instant k with more than ``units`` links
in it gets a row of its own: k and the links that started strictly before it and hold their unit
at its start. Without instants the rows are exactly the rows at the starts; with them, every
set of links the checker refuses breaks a row.

Objectives (``total``, ``fair``) with optional demands are described in :mod:`.milp`.

Requests (:mod:`.requests`) add assignment pairs (link j, request r), one for each candidate that
may serve a request (:meth:`Problem.request_pairs`), and order pairs: for a request r after q, the
pairs of q whose link ends no later than the start of each pair of r (:meth:`Problem.order_pairs`).
``weight`` (default 1) multiplies each candidate's expected key in the key term of the objective
(a candidates file's ``priority``).

An *entangled* candidate (:attr:`.model.Candidate.partner`; issue 19) lies in the rows of both its
stations and of its satellite: it needs a telescope at each station and the satellite's source at
once. It builds no key at either station (no pool, no station demand, no request) and serves a
pair demand of its two stations directly (:meth:`Problem.entangled_members`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from .check import _EPS_S as TIME_EPS_S  # noqa: F401 (the tolerance, read by solve.py and tests)
from .check import free_by, instant
from .model import Candidate, Demand, Resources
from .requests import Request, check_requests

__all__ = ["Problem", "OBJECTIVES"]

OBJECTIVES = ("total", "fair")


@dataclass(frozen=True)
class ResourceGroup:
    """One resource and the candidate indices that use it."""

    kind: str  # "station" or "satellite"
    name: str | tuple[str, str]  # a station id, or a satellite's (name, catalogue number)
    units: int
    gap_s: float
    members: np.ndarray


class Problem:
    """Candidates, resources and demands, with the capacity rows built once."""

    def __init__(
        self,
        candidates: Sequence[Candidate],
        resources: Resources | None = None,
        demands: Sequence[Demand] = (),
        objective: str = "total",
        fixed: Sequence[str] = (),
        validate_demands: bool = True,
        requests: Sequence[Request] = (),
        weight: Sequence[float] | None = None,
    ) -> None:
        if objective not in OBJECTIVES:
            raise InputError(f"objective {objective!r}: choose one of {', '.join(OBJECTIVES)}")
        uids = [c.uid for c in candidates]
        if len(set(uids)) != len(uids):
            dup = sorted({u for u in uids if uids.count(u) > 1})[0]
            raise InputError(f"candidate uid {dup} appears twice; each candidate needs its own uid")
        self.cands = list(candidates)
        self.resources = resources or Resources()
        self.demands = list(demands)
        self.objective = objective
        self.start = np.array([c.start_s for c in self.cands], float)
        self.end = np.array([c.end_s for c in self.cands], float)
        self.value = np.array([c.expected_key_bits for c in self.cands], float)
        self.requests = list(requests)
        check_requests(self.requests)
        if self.requests and objective != "total":
            raise InputError(f"objective {objective!r} with requests: requests need objective 'total' "
                             "(the most priority x value served)")
        self.weight = np.ones(len(self.cands)) if weight is None else np.asarray(weight, float)
        if self.weight.shape != (len(self.cands),) or not np.all(np.isfinite(self.weight) & (self.weight > 0)):
            raise InputError("weight: give one finite priority > 0 per candidate")
        if demands and np.any(self.weight != 1.0):
            raise InputError("candidate priorities weigh key in the objective without demands; with demands, "
                             "give the priority on each demand instead")
        # a candidate with a preset reason (below minimum key, daylight, ...) is never chosen
        self.allowed = np.array([c.reason is None for c in self.cands], bool)
        # candidates already decided (earlier blocks of a rolling horizon) stay scheduled
        fixed_set = set(fixed)
        self.fixed = np.array([c.uid in fixed_set for c in self.cands], bool)
        # every station a link occupies (an entangled link's partner too); the stations whose key
        # a link builds are those of the links with one station (``key_st``, "" for an entangled one)
        self.stations = sorted({s for c in self.cands for s in c.stations})
        # satellites by identity (name, catalogue number): two satellites of one name are two
        # resources; sorted, the keys order as the names do
        self.satellites = sorted({c.satellite_key for c in self.cands})
        st_of = np.array([c.station for c in self.cands], object)
        partner = np.array([c.partner or "" for c in self.cands], object)
        self.entangled = partner != ""
        self.partner = partner
        self.key_st = np.where(self.entangled, "", st_of)
        sat_of = np.empty(len(self.cands), object)
        sat_of[:] = [c.satellite_key for c in self.cands]
        groups: list[ResourceGroup] = []
        for name in self.stations:
            units, gap = self.resources.station(name)
            groups.append(ResourceGroup("station", name, units, gap, np.flatnonzero((st_of == name) | (partner == name))))
        members: dict[tuple[str, str], list[int]] = {}
        for j, key in enumerate(sat_of):
            members.setdefault(key, []).append(j)
        for key in self.satellites:
            units, gap = self.resources.satellite(key)
            groups.append(ResourceGroup("satellite", key, units, gap, np.array(members[key], dtype=np.intp)))
        self.groups = groups
        self.st_of = st_of
        self.sat_of = sat_of
        if validate_demands:
            self._check_demands()

    def _check_demands(self) -> None:
        keyed = self.key_stations
        for d in self.demands:
            known = set(self.stations) if d.is_pair else set(keyed)
            for s in d.stations:
                if s not in known:
                    raise InputError(
                        f"demand {d.label}: no candidate pass at station {s!r}; check the station "
                        f"name and that satellites pass over it (stations with passes: "
                        f"{', '.join(keyed) or 'none'})"
                    )
            if d.is_pair and not self.pair_satellites(d) and not self.entangled_members(d).size:
                a, b = d.stations
                raise InputError(
                    f"demand {d.label}: no satellite passes over both {a} and {b} in this window, "
                    "so no trusted relay can serve the pair"
                    + (" and no entangled window joins them" if self.entangled.any() else "")
                    + "; add satellites or widen the window"
                )

    @property
    def key_stations(self) -> list[str]:
        """The stations where some candidate builds key (a link with one station), sorted."""
        return sorted({c.station for c in self.cands if c.partner is None})

    def entangled_members(self, d: Demand) -> np.ndarray:
        """Indices (ascending) of the entangled candidates joining the two stations of a pair
        demand ``d`` (either order); empty for a station demand."""
        if not d.is_pair or not self.entangled.any():
            return np.zeros(0, np.intp)
        a, b = d.stations
        st, pa = self.st_of, self.partner
        return np.flatnonzero(self.entangled & (((st == a) & (pa == b)) | ((st == b) & (pa == a))))

    def entangled_pairs(self) -> list[tuple[str, str]]:
        """The station pairs some entangled candidate joins, sorted."""
        return sorted({(c.station, c.partner) for c in self.cands if c.partner is not None})

    def pair_satellites(self, d: Demand) -> list[tuple[str, str]]:
        """Satellites (:attr:`Candidate.satellite_key`) with candidates at both stations of a pair
        demand."""
        a, b = d.stations
        at_a = {c.satellite_key for c in self.cands if c.station == a and c.partner is None}
        at_b = {c.satellite_key for c in self.cands if c.station == b and c.partner is None}
        return sorted(at_a & at_b)

    @property
    def n(self) -> int:
        return len(self.cands)

    @property
    def key_value(self) -> np.ndarray:
        """Each candidate's expected key times its weight: the key term of the objective."""
        return self.value * self.weight

    def eligible(self, r: Request) -> np.ndarray:
        """Indices (ascending) of the candidates that may serve request ``r``: at its station,
        with its satellite (name or catalogue number) if it names one, not excluded (no preset
        reason), and for a ``key`` request with expected key above zero."""
        ok = (self.key_st == r.station) & self.allowed
        if r.satellite is not None:
            ok &= np.fromiter((c.satellite == r.satellite or c.satellite_id == r.satellite for c in self.cands),
                              bool, count=self.n)
        if r.kind == "key":
            ok &= self.value > 0
        return np.flatnonzero(ok)

    def request_pairs(self) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """The assignment pairs ``(candidate index, request index)``, by request then candidate."""
        js: list[NDArray[np.intp]] = []
        rs: list[NDArray[np.intp]] = []
        for k, r in enumerate(self.requests):
            e = self.eligible(r)
            js.append(e)
            rs.append(np.full(e.size, k, np.intp))
        if not js:
            return np.zeros(0, np.intp), np.zeros(0, np.intp)
        return np.concatenate(js).astype(np.intp), np.concatenate(rs)

    def order_pairs(self, pj: NDArray[np.intp], pr: NDArray[np.intp]) -> list[tuple[int, NDArray[np.intp]]]:
        """For each request r after q and each assignment pair p of r: ``(p, pairs of q whose
        link ends no later than p's link starts)`` (to the checker's tolerance), pair positions
        in ``pj``/``pr``. Serving r by p needs one of those pairs chosen."""
        index = {r.id: k for k, r in enumerate(self.requests)}
        out: list[tuple[int, NDArray[np.intp]]] = []
        for k, r in enumerate(self.requests):
            mine = np.flatnonzero(pr == k)
            for a in r.after:
                theirs = np.flatnonzero(pr == index[a])
                ends = self.end[pj[theirs]]
                order = np.argsort(ends, kind="stable")
                ends, theirs = ends[order], theirs[order]
                upto = np.searchsorted(ends, free_by(self.start[pj[mine]]), side="right")
                out.extend((int(p), theirs[:u]) for p, u in zip(mine.tolist(), upto.tolist(), strict=True))
        return out

    def capacity_rows(self) -> list[tuple[np.ndarray, int]]:
        """``(candidate indices, units)`` of every capacity row (see the module docstring); the
        rows of :meth:`capacity_matrix` as index arrays."""
        mat, units = self.capacity_matrix()
        ptr, idx = mat.indptr, mat.indices
        return [(idx[ptr[r] : ptr[r + 1]].astype(np.intp), int(units[r])) for r in range(units.size)]

    def capacity_matrix(self) -> tuple[Any, NDArray[np.int64]]:
        """The capacity rows as a 0/1 sparse matrix (``scipy.sparse.csr_matrix``, rows x
        candidates; each row's candidates in start order) and each row's units (module docstring).
        Memory grows with the candidates and their overlaps, not with their square."""
        from scipy.sparse import csr_matrix

        ptrs: list[NDArray[np.intp]] = []
        cols: list[NDArray[np.intp]] = []
        units: list[NDArray[np.int64]] = []
        for g in self.groups:
            rows = _group_rows(self.start[g.members], self.end[g.members] + g.gap_s, g.units)
            if rows is None:
                continue
            order, ptr, idx = rows
            ptrs.append(ptr)
            cols.append(g.members[order][idx])
            units.append(np.full(ptr.size - 1, g.units, np.int64))
        if not ptrs:
            return csr_matrix((0, self.n)), np.zeros(0, np.int64)
        offset = 0
        indptr = [np.zeros(1, np.intp)]
        for ptr in ptrs:
            indptr.append(ptr[1:] + offset)
            offset += int(ptr[-1])
        ind = np.concatenate(cols)
        mat = csr_matrix((np.ones(ind.size), ind, np.concatenate(indptr)), shape=(sum(p.size - 1 for p in ptrs), self.n))
        return mat, np.concatenate(units)

    # ---- served key and the objective -----------------------------------------------------
    def station_key(self, x: np.ndarray) -> dict[str, float]:
        """Expected key per station for a 0/1 selection ``x`` (entangled links build none)."""
        out = {s: 0.0 for s in self.stations}
        for j in np.flatnonzero((x > 0.5) & ~self.entangled):
            out[self.cands[j].station] += float(self.value[j])
        return out

    def pools(self, x: np.ndarray) -> dict[tuple[str, tuple[str, str]], float]:
        """Key pool each (station, satellite key) builds for a selection (bits)."""
        out: dict[tuple[str, tuple[str, str]], float] = {}
        for j in np.flatnonzero((x > 0.5) & ~self.entangled):
            k = (self.cands[j].station, self.cands[j].satellite_key)
            out[k] = out.get(k, 0.0) + float(self.value[j])
        return out

    def demand_scale(self) -> list[tuple[Demand, float]]:
        """The demands the objective uses, with their bits: the given ones, or for ``fair`` with
        none given, one unit demand per station where links build key and one per pair of
        stations an entangled link joins (max-min of key in bits)."""
        if self.demands:
            return [(d, d.bits) for d in self.demands]
        if self.objective == "fair":
            return ([(Demand((s,), 1.0), 1.0) for s in self.key_stations]
                    + [(Demand(p, 1.0), 1.0) for p in self.entangled_pairs()])
        return []

    def has_pairs(self) -> bool:
        return any(d.is_pair for d, _ in self.demand_scale())


def _group_rows(
    start: NDArray[np.float64], end: NDArray[np.float64], units: int
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]] | None:
    """The capacity rows of one resource: ``(order, indptr, indices)``, where ``order`` sorts the
    links by (start, padded end) and each row lists positions in that order (ascending), or None
    when no row has more than ``units`` links. ``end`` is the padded end (end + gap).

    The overlap rule is the checker's (:func:`.check.holds`: a link may start TIME_EPS_S before
    its unit is free); the MILP then forbids exactly what the checker refuses (one microsecond of
    overlap made the MILP drop a link the checker and the greedy baselines accept). Row j holds
    the links whose padded interval contains start_j: s_i <= s_j and ``holds(e_i, s_j)``. Rows
    with at most ``units`` links are dropped, a row contained in the last row kept is dropped, and
    then a kept row contained in the next kept row (module docstring). An instant link k
    (:func:`.check.instant`) lies in none of those rows, as it holds its unit past no start; it
    gets a row of its own (:func:`_instant_rows`), in time order among the others."""
    n = start.size
    if n <= units:
        return None
    order = np.lexsort((end, start))
    s, e = start[order], end[order]
    se = free_by(s)  # non-decreasing, as s is
    # link i lies in rows lo_i .. hi_i - 1: s_j >= s_i from the first link of its start on, and
    # holds(e_i, s_j) before the first start with free_by(s_j) >= e_i
    lo = np.searchsorted(s, s, side="left")
    hi = np.searchsorted(se, e, side="left")
    count = np.maximum(hi - lo, 0)
    total = int(count.sum())
    member = np.repeat(np.arange(n), count)
    first = np.repeat(lo - (np.cumsum(count) - count), count)
    row = first + np.arange(total)  # the rows each link lies in
    by_row = np.lexsort((member, row))
    row, member = row[by_row], member[by_row]
    ptr = np.searchsorted(row, np.arange(n + 1), side="left")
    size = np.diff(ptr)
    eligible = np.flatnonzero(size > units)
    if eligible.size:
        k, indptr, idx = _kept_rows(s, e, se, member, ptr, size, eligible)
    else:
        k, indptr, idx = np.zeros(0, np.intp), np.zeros(1, np.intp), np.zeros(0, np.intp)
    at, iptr, iidx = _instant_rows(s, e, se, units)
    if at.size:  # merge the instants' rows into time order (an instant's row after the row at its start)
        anchor = np.concatenate([k, at])
        lens = np.concatenate([np.diff(indptr), np.diff(iptr)])
        starts = np.concatenate([indptr[:-1], iptr[:-1] + indptr[-1]])
        cols = np.concatenate([idx, iidx])
        by = np.argsort(anchor, kind="stable")
        lens, starts = lens[by], starts[by]
        indptr = np.zeros(by.size + 1, np.intp)
        np.cumsum(lens, out=indptr[1:])
        idx = cols[np.repeat(starts - indptr[:-1], lens) + np.arange(int(indptr[-1]))]
    if indptr.size == 1:
        return None
    return order, indptr, idx


def _kept_rows(
    s: NDArray[np.float64], e: NDArray[np.float64], se: NDArray[np.float64], member: NDArray[np.intp],
    ptr: NDArray[np.intp], size: NDArray[np.intp], eligible: NDArray[np.intp],
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]:
    """The rows at starts kept after the two prunings (:func:`_group_rows`): ``(row positions,
    indptr, indices)``, the rows of ``eligible`` (those with more than ``units`` links) whose
    members are ``member[ptr[j]:ptr[j + 1]]``."""
    n = s.size
    # members are in start order: a row's latest start is its last member's; its earliest padded
    # end is the least over its members
    nonempty = np.flatnonzero(size > 0)
    last_start = np.full(n, -np.inf)
    last_start[nonempty] = s[member[ptr[nonempty + 1] - 1]]
    earliest = np.full(n, np.inf)
    earliest[nonempty] = np.minimum.reduceat(e[member], ptr[nonempty])
    # a row is contained in the last row kept (at start s_p <= s_j) exactly when every member of
    # it starts no later than s_p: its members' padded ends already pass s_j + eps >= s_p + eps
    kept: list[int] = []
    prev_s = -np.inf
    have = False
    for j, ls, sj in zip(eligible.tolist(), last_start[eligible].tolist(), s[eligible].tolist(), strict=True):
        if have and ls <= prev_s:
            continue
        kept.append(j)
        prev_s, have = sj, True
    k = np.array(kept, np.intp)
    # a kept row is contained in the next kept row (start s_q >= s_j) exactly when every member's
    # padded end passes s_q + eps (every member starts before s_q already)
    lens = ptr[k + 1] - ptr[k]
    drop = np.zeros(k.size, bool)
    drop[:-1] = se[k[1:]] < earliest[k[:-1]]
    k = k[~drop]
    lens = lens[~drop]
    indptr = np.zeros(k.size + 1, np.intp)
    np.cumsum(lens, out=indptr[1:])
    take = np.repeat(ptr[k] - indptr[:-1], lens) + np.arange(int(indptr[-1]))
    return k, indptr, member[take]


def _instant_rows(
    s: NDArray[np.float64], e: NDArray[np.float64], se: NDArray[np.float64], units: int
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]:
    """The rows of the instant links (:func:`.check.instant`) of one resource, positions in the
    (start, padded end) order ``s``, ``e`` (``se = free_by(s)``): ``(instant positions, indptr,
    indices)``. Instant k's row is k and the links that started strictly before it and hold
    their unit at its start (``s_i < s_k`` and ``holds(e_i, s_k)``): exactly the links the checker
    replays before k that keep a unit busy when k arrives (a link of k's start ordered before it
    ends no later, so does not hold past it). Kept when it has more than ``units`` links. Built
    like the other rows: each link i lies in the rows of the instants from the first starting
    after s_i to the last with ``free_by(s_k) < e_i`` (binary search), so memory stays linear in
    the links and their overlaps; an instant lies in no other row."""
    inst = np.flatnonzero(instant(s, e))
    if inst.size == 0:
        return inst, np.zeros(1, np.intp), np.zeros(0, np.intp)
    lo = np.searchsorted(s[inst], s, side="right")
    hi = np.searchsorted(se[inst], e, side="left")
    count = np.maximum(hi - lo, 0)  # zero for an instant: it holds its unit past no later start
    total = int(count.sum())
    member = np.concatenate([np.repeat(np.arange(s.size), count), inst])
    row = np.concatenate([np.repeat(lo - (np.cumsum(count) - count), count) + np.arange(total),
                          np.arange(inst.size)])
    by_row = np.lexsort((member, row))  # k is the last of its row: its cover started before it
    row, member = row[by_row], member[by_row]
    ptr = np.searchsorted(row, np.arange(inst.size + 1), side="left")
    size = np.diff(ptr)
    keep = np.flatnonzero(size > units)
    lens = size[keep]
    indptr = np.zeros(keep.size + 1, np.intp)
    np.cumsum(lens, out=indptr[1:])
    take = np.repeat(ptr[keep] - indptr[:-1], lens) + np.arange(int(indptr[-1]))
    return inst[keep], indptr, member[take]
