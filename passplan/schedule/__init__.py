"""Who links with whom, when: a schedule of satellite-to-station QKD links.

``model`` holds the records (:class:`Candidate`, :class:`Resources`, :class:`Demand`,
:class:`Plan`), ``problem`` the capacity rows, ``milp`` the exact mixed-integer programme
(HiGHS through ``scipy.optimize.milp``), ``greedy`` the two baselines, ``check`` the independent
checker and ``solve`` the driver :func:`plan_schedule`. scipy loads only when a plan is solved.

The use cases, each one call returning a document with ``to_records()`` and ``to_json()``
(``run``, loaded on first use): :func:`schedule_passes` (a :class:`ScheduleRun`),
:func:`relay_key` (a :class:`RelayResult`) and :func:`network_key` (a :class:`NetworkKey`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_names
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

_LAZY = {
    "ScheduleRun": "run",
    "schedule_passes": "run",
    "relay_key": "run",
    "network_key": "run",
    "RelayResult": "relay",
    "NetworkKey": "network",
    "load_network": "network",
}

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
    "ScheduleRun",
    "schedule_passes",
    "relay_key",
    "network_key",
    "RelayResult",
    "NetworkKey",
    "load_network",
]

__getattr__, __dir__ = lazy_names(__name__, globals(), _LAZY)

if TYPE_CHECKING:
    from .network import NetworkKey, load_network
    from .relay import RelayResult
    from .run import ScheduleRun, network_key, relay_key, schedule_passes
