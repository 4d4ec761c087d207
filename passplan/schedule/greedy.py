"""Two greedy baselines the MILP is measured against.

* ``greedy-priority``: the SatNOGS auto-scheduler's rule (ideas only; its code is AGPL): sort
  the candidates by priority (the highest priority of a demand on their station, or on a pair
  their station belongs to), then by expected key, and keep each that still fits beside the
  kept ones with the resources' gaps.
* ``greedy-density``: sort by expected key per second of link, keep each that still fits.

Both are deterministic (ties broken by start time and uid) and return a selection the checker
accepts by construction: each resource keeps its links in the checker's order and a candidate is
kept when it fits beside them (:class:`Timeline`; times are float seconds converted once) on
every resource it uses (an entangled link: both stations and the satellite).
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .check import first_busy, holds
from .milp import evaluate
from .model import SolverSummary
from .problem import Problem

__all__ = ["greedy", "GREEDY_METHODS", "Timeline"]


def _priority_order(prob: Problem) -> list[int]:
    prio: dict[str, float] = {}
    for d in prob.demands:
        for s in d.stations:
            prio[s] = max(prio.get(s, 0.0), d.priority)
    # an entangled link: the higher of its two stations' priorities
    p = np.array([max(prio.get(st, 1.0), prio.get(pa, 1.0) if pa else 1.0)
                  for st, pa in zip(prob.st_of.tolist(), prob.partner.tolist(), strict=True)], float) if prob.n else np.zeros(0)
    return _sort(prob, -p, -prob.value)


def _density_order(prob: Problem) -> list[int]:
    dens = prob.value / np.maximum(prob.end - prob.start, 1e-9)
    return _sort(prob, -dens)


def _sort(prob: Problem, *keys: np.ndarray) -> list[int]:
    """Candidate indices sorted by ``keys`` (first key first), then start time, then uid."""
    if not prob.n:
        return []
    uid_rank = np.empty(prob.n, np.intp)
    uid_rank[sorted(range(prob.n), key=lambda j: prob.cands[j].uid)] = np.arange(prob.n)
    return np.lexsort((uid_rank, prob.start, *reversed(keys))).tolist()


GREEDY_METHODS: dict[str, Callable[[Problem], list[int]]] = {
    "greedy-priority": _priority_order,
    "greedy-density": _density_order,
}


class Timeline:
    """The links kept on one resource (``units`` units, ``gap`` seconds between two links on a
    unit), in the checker's order (start, end, uid): :meth:`fits` is :func:`.check.fits` of the
    kept links and one more, without re-sorting them (one unit: only the new link's neighbours
    in that order can clash, as the kept links fit)."""

    def __init__(self, units: int, gap: float) -> None:
        self.units, self.gap = units, gap
        self.keys: list[tuple[float, float, str]] = []

    def fits(self, key: tuple[float, float, str]) -> bool:
        pos = bisect.bisect_left(self.keys, key)
        if self.units == 1:
            before = self.keys[pos - 1] if pos else None
            after = self.keys[pos] if pos < len(self.keys) else None
            if before is not None and holds(before[1] + self.gap, key[0]):
                return False
            return not (after is not None and holds(key[1] + self.gap, after[0]))
        keys = [*self.keys[:pos], key, *self.keys[pos:]]
        return first_busy(np.array([k[0] for k in keys]), np.array([k[1] for k in keys]), self.units, self.gap) is None

    def add(self, key: tuple[float, float, str]) -> None:
        bisect.insort(self.keys, key)


def greedy(prob: Problem, method: str) -> tuple[np.ndarray, dict[str, float], SolverSummary]:
    """The selection of one greedy baseline, its served demands and its summary."""
    order = GREEDY_METHODS[method]
    t0 = time.perf_counter()
    lines: dict[tuple[str, Any], Timeline] = {}
    x = np.zeros(prob.n, bool)
    ok = prob.allowed & (prob.value > 0)
    start, end = prob.start.tolist(), prob.end.tolist()
    for j in order(prob):
        if not ok[j]:
            continue
        c = prob.cands[j]
        used: list[Timeline] = []
        for name in c.stations:
            st = lines.get(("station", name))
            if st is None:
                st = lines[("station", name)] = Timeline(*prob.resources.station(name))
            used.append(st)
        sat = lines.get(("satellite", c.satellite_key))
        if sat is None:
            sat = lines[("satellite", c.satellite_key)] = Timeline(*prob.resources.satellite(c.satellite_key))
        used.append(sat)
        key = (start[j], end[j], c.uid)
        if all(line.fits(key) for line in used):
            for line in used:
                line.add(key)
            x[j] = True
    obj, served = evaluate(prob, x)
    seconds = time.perf_counter() - t0
    return x, served, SolverSummary(method=method, status="heuristic", objective=obj, seconds=seconds)
