"""Who links with whom, when: a schedule of satellite-to-station QKD links.

``model`` holds the records (:class:`Candidate`, :class:`Resources`, :class:`Demand`,
:class:`Plan`), ``problem`` the capacity rows, ``milp`` the exact mixed-integer programme
(HiGHS through ``scipy.optimize.milp``), ``greedy`` the two baselines, ``check`` the independent
checker and ``solve`` the driver :func:`plan_schedule`. scipy loads only when a plan is solved.
"""

from __future__ import annotations

from .check import ScheduleCheckError, check, violations
from .model import (
    DEFAULT_REPOINT_S,
    DEFAULT_SETUP_S,
    Candidate,
    Demand,
    Plan,
    Resources,
    SolverSummary,
    candidate_record,
)
from .solve import ROLLING_DAYS, SOLVERS, plan_schedule

__all__ = [
    "Candidate",
    "Demand",
    "Plan",
    "Resources",
    "SolverSummary",
    "candidate_record",
    "plan_schedule",
    "check",
    "violations",
    "ScheduleCheckError",
    "SOLVERS",
    "ROLLING_DAYS",
    "DEFAULT_SETUP_S",
    "DEFAULT_REPOINT_S",
]
