"""What a schedule is made of: candidate links, the resources they use, demands, and the plan.

A *candidate* is one possible link: one satellite pointing at one station over a time window
(a whole pass, or a sub-window of it when the satellite may hand over to another station
mid-pass), with its forecast key and its expected key (forecast times the station's clear-sky
probability). A *resource* serves one link at a time per unit: a station has ``telescopes``
units and needs ``setup_s`` between two links on one telescope; a satellite has ``terminals``
units and needs ``repoint_s`` between two links on one terminal.

Times are aware UTC datetimes at the edges and float POSIX seconds inside the solvers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import InputError
from ..stations import DEFAULT_SETUP_S
from ..times import iso_z

__all__ = [
    "Candidate",
    "Resources",
    "Demand",
    "SolverSummary",
    "BlockSummary",
    "Plan",
    "DEFAULT_SETUP_S",
    "DEFAULT_REPOINT_S",
]

#: Gap between two links of one satellite terminal (s): the platform slews to the next station
#: and re-acquires its beacon (assumed; Micius re-pointed between Xinglong and Graz within one
#: night, Liao et al., PRL 120, 030501 (2018), but the slew time is not published).
DEFAULT_REPOINT_S = 60.0


def _posix(t: datetime, what: str) -> float:
    if t.tzinfo is None:
        raise InputError(f"{what} {t.isoformat()} has no time zone; give an aware UTC time")
    return t.timestamp()


@dataclass(frozen=True, slots=True)
class Candidate:
    """One possible link.

    ``uid`` identifies the candidate (the pass uid for a whole pass, ``<pass uid>/<k>`` for a
    sub-window); ``pass_start``/``pass_end`` bound the pass it belongs to, and a link must lie
    inside them. ``key_bits`` is the forecast secret key of this window, ``clear_sky`` the
    station's clear-sky probability, so the value the schedule maximises is
    :attr:`expected_key_bits`.
    """

    uid: str
    pass_uid: str
    station: str
    satellite: str
    start: datetime
    end: datetime
    key_bits: float
    clear_sky: float = 1.0
    pass_start: datetime | None = None
    pass_end: datetime | None = None
    handover: bool = False
    reason: str | None = None  # why this candidate can never be scheduled (e.g. below minimum key)
    #: the satellite's stable identity: its catalogue number (``"41731"``), or ``""`` when it has
    #: none (a designed satellite), in which case its name identifies it
    satellite_id: str = ""
    #: the second station of an *entangled* link (issue 19: the satellite's entangled-pair source
    #: sends to ``station`` and ``partner`` at once, key directly between the two, no trusted
    #: satellite; it occupies a telescope at both and builds no station key); None for a link
    #: with one station
    partner: str | None = None
    # start and end in POSIX seconds, converted once (the solvers read them for every candidate)
    _start_s: float = field(default=0.0, init=False, repr=False, compare=False)
    _end_s: float = field(default=0.0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        s, e = _posix(self.start, f"candidate {self.uid} start"), _posix(self.end, f"candidate {self.uid} end")
        object.__setattr__(self, "_start_s", s)
        object.__setattr__(self, "_end_s", e)
        if not e > s:
            raise InputError(f"candidate {self.uid}: end is not after start; a link needs a positive duration")
        if not (math.isfinite(self.key_bits) and self.key_bits >= 0):
            raise InputError(f"candidate {self.uid}: key_bits {self.key_bits} must be a finite number >= 0")
        if not 0.0 <= self.clear_sky <= 1.0:
            raise InputError(f"candidate {self.uid}: clear_sky {self.clear_sky} must lie in [0, 1]")
        if self.partner is not None and self.partner == self.station:
            raise InputError(f"candidate {self.uid}: partner {self.partner!r} is its own station; an entangled "
                             "link joins two different stations")
        if self.pass_start is None:
            object.__setattr__(self, "pass_start", self.start)
        if self.pass_end is None:
            object.__setattr__(self, "pass_end", self.end)

    @property
    def expected_key_bits(self) -> float:
        """Forecast key times the clear-sky probability: what the schedule maximises."""
        return self.key_bits * self.clear_sky

    @property
    def entangled(self) -> bool:
        """True for an entangled link between ``station`` and ``partner``."""
        return self.partner is not None

    @property
    def stations(self) -> tuple[str, ...]:
        """The stations whose telescopes the link occupies: ``(station,)``, or with a partner
        ``(station, partner)``."""
        return (self.station,) if self.partner is None else (self.station, self.partner)

    @property
    def satellite_key(self) -> tuple[str, str]:
        """What identifies the satellite's terminal: ``(name, catalogue number)``, so two
        satellites that share a name are two resources (sorted, it orders as the name does)."""
        return (self.satellite, self.satellite_id)

    def to_dict(self) -> dict[str, Any]:
        """The machine-readable record (:func:`candidate_record`)."""
        return candidate_record(self)

    @property
    def start_s(self) -> float:
        return self._start_s

    @property
    def end_s(self) -> float:
        return self._end_s

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def _positive_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value) or value < 1:
        raise InputError(f"{what} = {value!r}: give a whole number of at least 1")
    return int(value)


def _gap(value: Any, what: str) -> float:
    try:
        g = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{what} = {value!r} is not a number of seconds") from None
    if not (math.isfinite(g) and g >= 0):
        raise InputError(f"{what} = {value!r}: give a gap of zero or more seconds")
    return g


@dataclass(frozen=True)
class Resources:
    """Units and gaps of every station and satellite (defaults for the ones not named)."""

    telescopes: Mapping[str, int] = field(default_factory=dict)
    setup_s: Mapping[str, float] = field(default_factory=dict)
    terminals: Mapping[str, int] = field(default_factory=dict)
    repoint_s: Mapping[str, float] = field(default_factory=dict)
    default_telescopes: int = 1
    default_setup_s: float = DEFAULT_SETUP_S
    default_terminals: int = 1
    default_repoint_s: float = DEFAULT_REPOINT_S

    def __post_init__(self) -> None:
        for name, units in self.telescopes.items():
            _positive_int(units, f"station {name}: telescopes")
        for name, units in self.terminals.items():
            _positive_int(units, f"satellite {name}: terminals")
        for name, g in self.setup_s.items():
            _gap(g, f"station {name}: setup_s")
        for name, g in self.repoint_s.items():
            _gap(g, f"satellite {name}: repoint_s")
        _positive_int(self.default_telescopes, "telescopes")
        _positive_int(self.default_terminals, "terminals")
        _gap(self.default_setup_s, "setup_s")
        _gap(self.default_repoint_s, "repoint_s")

    def station(self, name: str) -> tuple[int, float]:
        """(units, gap in s) of a station."""
        return (
            int(self.telescopes.get(name, self.default_telescopes)),
            float(self.setup_s.get(name, self.default_setup_s)),
        )

    def satellite(self, name: str | tuple[str, str], satellite_id: str = "") -> tuple[int, float]:
        """(units, gap in s) of a satellite terminal, looked up by catalogue number first, then
        by name (``name`` may be a :attr:`Candidate.satellite_key`)."""
        if isinstance(name, tuple):
            name, satellite_id = name

        def get(table: Mapping[str, Any], default: Any) -> Any:
            if satellite_id and satellite_id in table:
                return table[satellite_id]
            return table.get(name, default)

        return int(get(self.terminals, self.default_terminals)), float(get(self.repoint_s, self.default_repoint_s))


@dataclass(frozen=True, slots=True)
class Demand:
    """Key wanted over the plan window: at one station (``stations`` of length 1) or between a
    pair of stations through trusted-relay satellites or entangled links (length 2);
    ``priority`` weights it."""

    stations: tuple[str, ...]
    bits: float
    priority: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "stations", tuple(self.stations))
        if len(self.stations) not in (1, 2) or (len(self.stations) == 2 and self.stations[0] == self.stations[1]):
            raise InputError(
                f"demand {':'.join(self.stations)}: name one station (NAME=BITS) or two different "
                "stations (A:B=BITS)"
            )
        if not (math.isfinite(self.bits) and self.bits > 0):
            raise InputError(f"demand {self.label}: {self.bits} bits; give a positive number of bits")
        if not (math.isfinite(self.priority) and self.priority > 0):
            raise InputError(f"demand {self.label}: priority {self.priority} must be positive")

    @property
    def label(self) -> str:
        return ":".join(self.stations)

    @property
    def is_pair(self) -> bool:
        return len(self.stations) == 2

    @classmethod
    def parse(cls, text: str, what: str = "demand") -> Demand:
        """``NAME=BITS``, ``A:B=BITS``, optionally ``...=BITS@PRIORITY`` (e.g. ``xinglong=2e6``).
        A malformed text's error starts with ``what`` (the CLI gives its option, ``--demand``)."""
        name, sep, value = text.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise InputError(f"{what} {text!r}: write NAME=BITS or A:B=BITS, e.g. xinglong=2e6")
        bits_text, _, prio_text = value.partition("@")
        try:
            bits = float(bits_text)
            prio = float(prio_text) if prio_text else 1.0
        except ValueError:
            raise InputError(f"{what} {text!r}: {value!r} is not a number of bits (e.g. 2e6)") from None
        return cls(tuple(s.strip() for s in name.split(":")), bits, prio)


@dataclass(frozen=True, slots=True)
class BlockSummary:
    """One block of a plan solved block by block: its window (``start`` to ``end``), how many
    candidates start in it, the HiGHS ``status`` of its MILP (with the earlier blocks' links
    fixed; "optimal" there is optimal *given* those links, not for the whole horizon) and the
    plan's ``objective`` once the block is decided."""

    index: int
    start: datetime
    end: datetime
    candidates: int
    status: str
    objective: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "block": self.index,
            "start_utc": iso_z(self.start),
            "end_utc": iso_z(self.end),
            "candidates": self.candidates,
            "status": self.status,
            "objective": self.objective,
        }


@dataclass(frozen=True, slots=True)
class SolverSummary:
    """How a plan was found: ``method`` (milp, greedy-priority, greedy-density), the solver's
    ``status``, the ``objective`` value, the best ``dual_bound`` and relative ``gap`` (None for
    the greedy heuristics), branch-and-bound ``nodes`` and wall ``seconds``.

    A plan solved in more than one block (a rolling horizon) also carries ``block_status``, one
    :class:`BlockSummary` per block, and ``bound_method``: where its ``dual_bound`` comes from
    (``"lp_relaxation"``: the LP relaxation of the whole horizon's problem, an upper bound on
    its primary objective); its ``gap`` is then ``(dual_bound - objective) / objective``, as
    HiGHS states its own (:func:`passplan.schedule.milp.relative_gap`), and its status is
    "optimal" only when the bound proves it within
    :data:`passplan.schedule.milp.OBJECTIVE_REL_TOL` (else "feasible", or the first block's
    status that was not optimal)."""

    method: str
    status: str
    objective: float
    dual_bound: float | None = None
    gap: float | None = None
    nodes: int | None = None
    seconds: float = 0.0
    blocks: int = 1
    block_status: tuple[BlockSummary, ...] = ()
    bound_method: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "method": self.method,
            "status": self.status,
            "objective": self.objective,
            "dual_bound": self.dual_bound,
            "gap": self.gap,
            "nodes": self.nodes,
            "seconds": round(self.seconds, 4),
            "blocks": self.blocks,
        }
        if self.block_status:  # only a plan solved block by block: one-block documents keep their keys
            out["bound_method"] = self.bound_method
            out["block_status"] = [b.to_dict() for b in self.block_status]
        return out


@dataclass(frozen=True)
class Plan:
    """The chosen links, what was left out and why, totals, demands, and how it was solved.

    ``per_station``: expected key of the chosen links at each station. ``per_pair``: for each pair
    of stations that share a satellite in the plan, the key that satellite relays could give that
    pair if it used the pools alone (sum over satellites of the smaller pool). ``demands``: one
    entry per demand with the bits served, whether it is met and, when it is not, the best
    achievable for it alone.
    """

    links: list[Candidate]
    unscheduled: list[tuple[Candidate, str]]
    per_station: dict[str, float]
    per_pair: dict[str, float]
    solver: SolverSummary
    baselines: list[SolverSummary] = field(default_factory=list)
    demands: list[dict[str, Any]] = field(default_factory=list)
    objective: str = "total"

    @property
    def expected_key_bits(self) -> float:
        return float(sum(c.expected_key_bits for c in self.links))

    def to_records(self) -> list[dict[str, Any]]:
        """One record per scheduled link (:func:`candidate_record`)."""
        return [candidate_record(c) for c in self.links]

    def to_document(self) -> dict[str, Any]:
        """The plan's JSON object: links, unscheduled candidates with the reason, totals, solver
        and baselines, objective, demands and expected key (a
        :class:`~passplan.schedule.run.ScheduleRun` adds the hand-over gain and the weather)."""
        return {
            "links": self.to_records(),
            "unscheduled": [dict(candidate_record(c), reason=why) for c, why in self.unscheduled],
            "totals": {"per_station": self.per_station, "per_pair": self.per_pair},
            "solver": self.solver.to_dict(),
            "baselines": [{"method": b.method, "objective": b.objective} for b in self.baselines],
            "objective": self.objective,
            "demands": self.demands,
            "expected_key_bits": round(self.expected_key_bits, 1),
        }

    def to_json(self) -> str:
        from ..io import to_json

        return to_json(self.to_document())


def candidate_record(c: Candidate) -> dict[str, Any]:
    """The machine-readable fields of a link (the ``links`` entries of the schedule JSON). An
    entangled link's ``station`` is its pair ``A:B`` (as a pair demand's label: it builds no key at
    either station alone), and it adds ``kind`` ``"entangled"``, ``station_a`` and ``station_b``
    (the key names of the entangled links of ``relay`` and ``network``)."""
    rec: dict[str, Any] = {
        "station": c.station if c.partner is None else f"{c.station}:{c.partner}",
        "satellite": c.satellite,
        "pass_uid": c.pass_uid,
        "start_utc": iso_z(c.start),
        "end_utc": iso_z(c.end),
        "key_bits": round(c.key_bits, 1),
        "expected_key_bits": round(c.expected_key_bits, 1),
        "handover": c.handover,
    }
    if c.partner is not None:
        rec.update(kind="entangled", station_a=c.station, station_b=c.partner)
    return rec


def by_time(cands: Sequence[Candidate]) -> list[Candidate]:
    """Candidates in a deterministic order: start, end, station, satellite, uid."""
    return sorted(cands, key=lambda c: (c.start_s, c.end_s, c.station, c.satellite, c.uid))
