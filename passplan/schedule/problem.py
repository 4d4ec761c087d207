"""The scheduling problem as arrays: who uses which resource, capacity rows, demands, objective.

Each resource (a station, a satellite) has ``units`` and a ``gap``. A link occupies one unit over
its *padded* interval ``[start, end + gap)``, so two links on one unit need ``gap`` seconds
between them. At most ``units`` padded intervals of a resource may overlap at any instant; the
overlap of half-open intervals is largest at some interval's start, so one row per start,

    sum of x_i over the links i whose padded interval contains start_j  <=  units,

states the capacity exactly (an interval graph is perfect: a maximum clique at most ``units``
means the links can be assigned to ``units`` telescopes; Golumbic, *Algorithmic Graph Theory
and Perfect Graphs*, 2004, ch. 8). Rows that another row contains are dropped.

Objectives (``total``, ``fair``) with optional demands are described in :func:`objective_value`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .check import _EPS_S as TIME_EPS_S
from .model import Candidate, Demand, Resources

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
        # a candidate with a preset reason (below minimum key, daylight, ...) is never chosen
        self.allowed = np.array([c.reason is None for c in self.cands], bool)
        # candidates already decided (earlier blocks of a rolling horizon) stay scheduled
        fixed_set = set(fixed)
        self.fixed = np.array([c.uid in fixed_set for c in self.cands], bool)
        self.stations = sorted({c.station for c in self.cands})
        # satellites by identity (name, catalogue number): two satellites of one name are two
        # resources; sorted, the keys order as the names do
        self.satellites = sorted({c.satellite_key for c in self.cands})
        st_of = np.array([c.station for c in self.cands], object)
        sat_of = np.empty(len(self.cands), object)
        sat_of[:] = [c.satellite_key for c in self.cands]
        groups: list[ResourceGroup] = []
        for name in self.stations:
            units, gap = self.resources.station(name)
            groups.append(ResourceGroup("station", name, units, gap, np.flatnonzero(st_of == name)))
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
        known = set(self.stations)
        for d in self.demands:
            for s in d.stations:
                if s not in known:
                    raise InputError(
                        f"demand {d.label}: no candidate pass at station {s!r}; check the station "
                        f"name and that satellites pass over it (stations with passes: "
                        f"{', '.join(self.stations) or 'none'})"
                    )
            if d.is_pair and not self.pair_satellites(d):
                a, b = d.stations
                raise InputError(
                    f"demand {d.label}: no satellite passes over both {a} and {b} in this window, "
                    "so no trusted relay can serve the pair; add satellites or widen the window"
                )

    def pair_satellites(self, d: Demand) -> list[tuple[str, str]]:
        """Satellites (:attr:`Candidate.satellite_key`) with candidates at both stations of a pair
        demand."""
        a, b = d.stations
        at_a = {c.satellite_key for c in self.cands if c.station == a}
        at_b = {c.satellite_key for c in self.cands if c.station == b}
        return sorted(at_a & at_b)

    @property
    def n(self) -> int:
        return len(self.cands)

    def capacity_rows(self) -> list[tuple[np.ndarray, int]]:
        """``(candidate indices, units)`` of every capacity row (see the module docstring)."""
        rows: list[tuple[np.ndarray, int]] = []
        for g in self.groups:
            m = g.members
            if m.size <= g.units:
                continue
            s, e = self.start[m], self.end[m] + g.gap_s
            order = np.lexsort((e, s))
            m, s, e = m[order], s[order], e[order]
            # links whose padded interval contains start_j: s_i <= s_j < e_i, to the independent
            # checker's tolerance (a link may start TIME_EPS_S before the unit is free): the
            # MILP then forbids exactly what the checker refuses (one microsecond of overlap
            # made the MILP drop a link the checker and the greedy baselines accept)
            inside = (s[None, :] <= s[:, None]) & (s[:, None] + TIME_EPS_S < e[None, :])
            kept: list[np.ndarray] = []
            prev: np.ndarray | None = None
            for j in range(m.size):
                row = np.flatnonzero(inside[j])
                if row.size <= g.units:
                    continue
                if prev is not None and np.isin(row, prev).all():
                    continue
                kept.append(row)
                prev = row
            # a row contained in the next one is redundant too (sweep the other way)
            pruned = [r for k, r in enumerate(kept) if k + 1 == len(kept) or not np.isin(r, kept[k + 1]).all()]
            rows.extend((m[r], g.units) for r in pruned)
        return rows

    # ---- served key and the objective -----------------------------------------------------
    def station_key(self, x: np.ndarray) -> dict[str, float]:
        """Expected key per station for a 0/1 selection ``x``."""
        out = {s: 0.0 for s in self.stations}
        for j in np.flatnonzero(x > 0.5):
            out[self.cands[j].station] += float(self.value[j])
        return out

    def pools(self, x: np.ndarray) -> dict[tuple[str, tuple[str, str]], float]:
        """Key pool each (station, satellite key) builds for a selection (bits)."""
        out: dict[tuple[str, tuple[str, str]], float] = {}
        for j in np.flatnonzero(x > 0.5):
            k = (self.cands[j].station, self.cands[j].satellite_key)
            out[k] = out.get(k, 0.0) + float(self.value[j])
        return out

    def demand_scale(self) -> list[tuple[Demand, float]]:
        """The demands the objective uses, with their bits: the given ones, or for ``fair`` with
        none given, one unit demand per station (max-min of key in bits)."""
        if self.demands:
            return [(d, d.bits) for d in self.demands]
        if self.objective == "fair":
            return [(Demand((s,), 1.0), 1.0) for s in self.stations]
        return []

    def has_pairs(self) -> bool:
        return any(d.is_pair for d, _ in self.demand_scale())
