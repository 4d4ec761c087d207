"""An independent checker of a schedule: written without the MILP's capacity rows.

For every resource it replays the chosen links in time order and assigns each to a free unit
(a telescope or terminal free since at least ``gap`` seconds), the constructive proof that the
links fit; it also checks that each link lies inside its pass, that no candidate is used twice,
and that no candidate with a preset reason was scheduled. Every plan is checked before it is
printed.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence

from ..errors import PassplanError
from .model import Candidate, Resources

__all__ = ["violations", "check", "ScheduleCheckError", "fits"]

_EPS_S = 1e-6


class ScheduleCheckError(PassplanError):
    """A schedule broke a rule (a bug in a solver, never the user's input)."""


def _unit_assignment(links: Sequence[Candidate], units: int, gap: float) -> str | None:
    """None if ``links`` fit on ``units`` units with ``gap`` between two links on one unit,
    else a sentence naming the first link that found no free unit."""
    free: list[tuple[float, int]] = [(float("-inf"), k) for k in range(units)]  # (free from, unit)
    heapq.heapify(free)
    for c in sorted(links, key=lambda c: (c.start_s, c.end_s, c.uid)):
        t_free, unit = free[0]
        if t_free > c.start_s + _EPS_S:
            return f"{c.uid} starts at {c.start.isoformat()} while all {units} unit(s) are busy"
        heapq.heapreplace(free, (c.end_s + gap, unit))
    return None


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
        if c.start_s < c.pass_start.timestamp() - _EPS_S or c.end_s > c.pass_end.timestamp() + _EPS_S:
            out.append(f"{c.uid} runs outside its pass {c.pass_uid}")
        if not c.end_s > c.start_s:
            out.append(f"{c.uid} has no duration")
    by_station: dict[str, list[Candidate]] = {}
    by_sat: dict[tuple[str, str], list[Candidate]] = {}  # by satellite identity, not name
    for c in links:
        by_station.setdefault(c.station, []).append(c)
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
