"""Two greedy baselines the MILP is measured against.

* ``greedy-priority``: the SatNOGS auto-scheduler's rule (ideas only; its code is AGPL): sort
  the candidates by priority (the highest priority of a demand on their station, or on a pair
  their station belongs to), then by expected key, and keep each that still fits beside the
  kept ones with the resources' gaps.
* ``greedy-density``: sort by expected key per second of link, keep each that still fits.

Both are deterministic (ties broken by start time and uid) and return a selection the checker
accepts by construction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .check import fits
from .milp import evaluate
from .model import Candidate, SolverSummary
from .problem import Problem

__all__ = ["greedy", "GREEDY_METHODS"]


def _priority_order(prob: Problem) -> list[int]:
    prio: dict[str, float] = {}
    for d in prob.demands:
        for s in d.stations:
            prio[s] = max(prio.get(s, 0.0), d.priority)
    return sorted(
        range(prob.n),
        key=lambda j: (
            -prio.get(prob.cands[j].station, 1.0),
            -prob.value[j],
            prob.start[j],
            prob.cands[j].uid,
        ),
    )


def _density_order(prob: Problem) -> list[int]:
    dens = prob.value / np.maximum(prob.end - prob.start, 1e-9)
    return sorted(range(prob.n), key=lambda j: (-dens[j], prob.start[j], prob.cands[j].uid))


GREEDY_METHODS: dict[str, Callable[[Problem], list[int]]] = {
    "greedy-priority": _priority_order,
    "greedy-density": _density_order,
}


def greedy(prob: Problem, method: str) -> tuple[np.ndarray, dict[str, float], SolverSummary]:
    """The selection of one greedy baseline, its served demands and its summary."""
    order = GREEDY_METHODS[method]
    t0 = time.perf_counter()
    kept: dict[tuple[str, Any], list[Candidate]] = {}
    x = np.zeros(prob.n, bool)
    for j in order(prob):
        c = prob.cands[j]
        if not prob.allowed[j] or prob.value[j] <= 0:
            continue
        st_units, st_gap = prob.resources.station(c.station)
        sat_units, sat_gap = prob.resources.satellite(c.satellite_key)
        st_links = kept.get(("station", c.station), [])
        sat_links = kept.get(("satellite", c.satellite_key), [])
        if fits([*st_links, c], st_units, st_gap) and fits([*sat_links, c], sat_units, sat_gap):
            kept.setdefault(("station", c.station), []).append(c)
            kept.setdefault(("satellite", c.satellite_key), []).append(c)
            x[j] = True
    obj, served = evaluate(prob, x)
    seconds = time.perf_counter() - t0
    return x, served, SolverSummary(method=method, status="heuristic", objective=obj, seconds=seconds)
