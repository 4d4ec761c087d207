"""An independent checker of a schedule: written without the MILP's capacity rows.

For every resource it replays the chosen links in time order and assigns each to a free unit
(a telescope or terminal free since at least ``gap`` seconds), the constructive proof that the
links fit (on float seconds, each link's times converted once; one unit is a vectorised test of
each link against the one before it); it also checks that each link lies inside its pass, that no candidate is used twice,
and that no candidate with a preset reason was scheduled. Every plan is checked before it is
printed. An entangled link (:attr:`.model.Candidate.partner`) is replayed at both its stations.

The overlap rule, one predicate (:func:`holds`) shared with the MILP's capacity rows
(:mod:`.problem`): a link holds its unit over its *padded* interval, from its start to its end
plus the resource's ``gap``, and a later link (in the order start, end, uid) finds that unit busy
when the padded end passes its own start by more than the tolerance ``_EPS_S`` (1 µs):
``padded_end > start + _EPS_S``. An *instant* link is one whose padded end does not pass its own
start by more than the tolerance (:func:`instant`; a link of at most 1 µs with no gap): it needs a
free unit at its start, like any link (a link that started earlier and holds its unit past the
instant's start + 1 µs takes that unit), and it frees its unit at once: it never blocks a link
that starts at or after it, nor another instant, nor a longer link of the same start (ordered
after it, as its end is later).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar, overload

import numpy as np
from numpy.typing import NDArray

from ..errors import PassplanError
from .model import Candidate, Resources

__all__ = ["violations", "check", "ScheduleCheckError", "fits", "first_busy", "holds", "instant", "free_by"]

#: the tolerance: a link may start up to this many seconds before its unit is free
_EPS_S = 1e-6

_Times = TypeVar("_Times", NDArray[np.float64], float)


def free_by(start: _Times) -> _Times:
    """The time by which a unit must be free for a link starting at ``start`` (s): ``start +
    _EPS_S``. :func:`holds` compares a padded end with it; sorted starts give sorted values, which
    the capacity rows binary-search (:func:`passplan.schedule.problem._group_rows`)."""
    return start + _EPS_S


@overload
def holds(padded_end: float, start: float) -> bool: ...
@overload
def holds(padded_end: NDArray[np.float64], start: NDArray[np.float64]) -> NDArray[np.bool_]: ...
def holds(padded_end: Any, start: Any) -> Any:
    """True where a link whose padded interval ends at ``padded_end`` (its end plus the gap, s)
    still holds its unit for a link starting at ``start`` (s) after it in the order (start, end,
    uid): ``padded_end > free_by(start)``. The one overlap rule of the checker and the capacity
    rows (module docstring)."""
    return padded_end > free_by(start)


def instant(start: NDArray[np.float64], padded_end: NDArray[np.float64]) -> NDArray[np.bool_]:
    """True for the instant links: those that do not hold their unit past their own start
    (``not holds(padded_end, start)``; module docstring)."""
    return np.logical_not(holds(padded_end, start))


class ScheduleCheckError(PassplanError):
    """A schedule broke a rule (a bug in a solver, never the user's input)."""


def first_busy(start: NDArray[np.float64], end: NDArray[np.float64], units: int, gap: float) -> int | None:
    """Replay links sorted by (start, end, uid) (``start``, ``end`` in float seconds) on ``units``
    units, each link on the unit free the longest: the index of the first link that finds all
    units busy (a unit is busy until ``gap`` seconds after its link ends), None when all fit. One
    unit is a vectorised test of each link against the one before it."""
    if start.size <= units:
        return None
    if units == 1:
        busy = np.flatnonzero(holds(end[:-1] + gap, start[1:]))
        return int(busy[0]) + 1 if busy.size else None
    free: list[tuple[float, int]] = [(float("-inf"), k) for k in range(units)]  # (free from, unit)
    heapq.heapify(free)
    for k, (s, e) in enumerate(zip(start.tolist(), end.tolist(), strict=True)):
        if holds(free[0][0], s):
            return k
        heapq.heapreplace(free, (e + gap, free[0][1]))
    return None


def _times(links: Sequence[Candidate]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Start and end of each link in float POSIX seconds, each datetime converted once."""
    start = np.fromiter((c.start_s for c in links), float, count=len(links))
    end = np.fromiter((c.end_s for c in links), float, count=len(links))
    return start, end


def _unit_assignment(links: Sequence[Candidate], units: int, gap: float) -> str | None:
    """None if ``links`` fit on ``units`` units with ``gap`` between two links on one unit,
    else a sentence naming the first link that found no free unit."""
    start, end = _times(links)
    order = sorted(range(len(links)), key=lambda k: (start[k], end[k], links[k].uid))
    k = first_busy(start[order], end[order], units, gap)
    if k is None:
        return None
    c = links[order[k]]
    return f"{c.uid} starts at {c.start.isoformat()} while all {units} unit(s) are busy"


def fits(links: Iterable[Candidate], units: int, gap: float) -> bool:
    """True when the links fit on ``units`` units with ``gap`` seconds between links on a unit."""
    return _unit_assignment(list(links), units, gap) is None


def violations(links: Sequence[Candidate], resources: Resources | None = None) -> list[str]:
    """Every rule the chosen ``links`` break (empty when the schedule is valid)."""
    res = resources or Resources()
    out: list[str] = []
    seen: set[str] = set()
    for c in links:
        if c.uid in seen:
            out.append(f"{c.uid} is scheduled twice")
        seen.add(c.uid)
        if c.reason is not None:
            out.append(f"{c.uid} is scheduled although it cannot be ({c.reason})")
        assert c.pass_start is not None and c.pass_end is not None
        s, e = c.start_s, c.end_s
        if s < c.pass_start.timestamp() - _EPS_S or e > c.pass_end.timestamp() + _EPS_S:
            out.append(f"{c.uid} runs outside its pass {c.pass_uid}")
        if not e > s:
            out.append(f"{c.uid} has no duration")
    by_station: dict[str, list[Candidate]] = {}
    by_sat: dict[tuple[str, str], list[Candidate]] = {}  # by satellite identity, not name
    for c in links:
        for name in c.stations:  # an entangled link holds a telescope at both its stations
            by_station.setdefault(name, []).append(c)
        by_sat.setdefault(c.satellite_key, []).append(c)
    for name, group in sorted(by_station.items()):
        units, gap = res.station(name)
        why = _unit_assignment(group, units, gap)
        if why:
            out.append(f"station {name} ({units} telescope(s), {gap:g} s setup): {why}")
    for (name, sat_id), group in sorted(by_sat.items()):
        units, gap = res.satellite(name, sat_id)
        why = _unit_assignment(group, units, gap)
        if why:
            out.append(f"satellite {name} ({units} terminal(s), {gap:g} s re-pointing): {why}")
    return out


def check(links: Sequence[Candidate], resources: Resources | None = None) -> None:
    """Raise :class:`ScheduleCheckError` naming every violation, if any."""
    bad = violations(links, resources)
    if bad:
        raise ScheduleCheckError("schedule check failed: " + "; ".join(bad))
