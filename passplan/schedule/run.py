"""The whole planning chain for a network: passes -> key forecasts -> candidates -> plan.

:func:`schedule_passes` finds the passes of the chosen satellites over the chosen stations,
forecasts each one's key with the station's (or satellite's, or the given) link profile, turns
them into candidates (with hand-over sub-windows), takes each station's telescopes, setup gap and
clear-sky probability from its record, and solves the plan; with hand-over it also solves the
plan without sub-windows and reports what hand-over gains.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..passes import Constraints, iter_passes
from ..stations import Station
from .candidates import candidates_from_forecasts
from .model import Candidate, Demand, Plan, Resources
from .solve import plan_schedule

__all__ = ["ScheduleRun", "schedule_passes", "resources_for"]


@dataclass(frozen=True)
class ScheduleRun:
    plan: Plan
    candidates: list[Candidate]
    forecasts: list[Any]
    handover_gain_bits: float | None  # the plan's expected key minus the whole-pass plan's
    warnings: list[str]
    seconds: dict[str, float]  # passes, forecast, solve


def resources_for(
    stations: Sequence[Station], terminals: dict[str, int] | None = None, repoint_s: float | None = None
) -> Resources:
    """Resources from station records (telescopes, setup gap) and satellite defaults."""
    kw: dict[str, Any] = {}
    if repoint_s is not None:
        kw["default_repoint_s"] = repoint_s
    return Resources(
        telescopes={s.id: s.telescopes for s in stations},
        setup_s={s.id: s.setup_s for s in stations},
        terminals=dict(terminals or {}),
        **kw,
    )


def schedule_passes(
    satellites: Sequence[Any],
    stations: Sequence[Station],
    start: datetime,
    end: datetime,
    constraints: Constraints | None = None,
    *,
    profile: str | None = None,
    protocol: str | None = None,
    objective: str = "total",
    demands: Sequence[Demand] = (),
    handover: bool = True,
    grid_s: float = 60.0,
    min_key_bits: float = 0.0,
    solver: str = "milp",
    time_limit_s: float | None = 60.0,
    repoint_s: float | None = None,
    progress: Callable[[str], None] | None = None,
    tick: Callable[[int, int, str], None] | None = None,
) -> ScheduleRun:
    """Plan links of ``satellites`` over ``stations`` between ``start`` and ``end``.
    ``progress`` receives a line per stage, ``tick(done, total, stage)`` the forecast count."""
    from ..forecast import forecast_passes

    t = time.perf_counter()
    passes = []
    warnings: list[str] = []
    for block in iter_passes(satellites, stations, start, end, constraints):
        passes.extend(block.passes)
        warnings.extend(block.warnings)
    t_passes = time.perf_counter() - t
    if progress:
        progress(f"forecasting the key of {len(passes)} passes")
    t = time.perf_counter()
    usable = [p for p in passes if not p.excluded]
    forecasts = forecast_passes(usable, profile=profile, protocol=protocol)  # one batch: shared scene
    if tick:
        tick(len(usable), len(usable), "forecasting keys")
    by_id = {s.id: s for s in stations}
    cands = candidates_from_forecasts(
        forecasts, stations=by_id, min_key_bits=min_key_bits, handover=handover, grid_s=grid_s
    )
    t_forecast = time.perf_counter() - t
    if progress:
        progress(f"solving the plan over {len(cands)} candidates")
    res = resources_for(stations, repoint_s=repoint_s)
    t = time.perf_counter()
    plan = plan_schedule(cands, res, demands, objective, solver=solver, time_limit_s=time_limit_s)
    gain = None
    if handover and any(c.handover for c in cands):
        whole = plan_schedule(
            [c for c in cands if not c.handover], res, demands, objective, solver=solver, time_limit_s=time_limit_s
        )
        gain = plan.expected_key_bits - whole.expected_key_bits
    t_solve = time.perf_counter() - t
    return ScheduleRun(
        plan, cands, forecasts, gain, warnings, {"passes": t_passes, "forecast": t_forecast, "solve": t_solve}
    )
