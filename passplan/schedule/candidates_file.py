"""Schedules over anyone's candidates: a plan made and checked on passes computed elsewhere.

A candidates file (CSV with a header, or JSON) lists one possible link per row: ``station``,
``satellite``, ``start``, ``end`` (ISO 8601 with a zone), ``key_bits``, and optionally
``priority`` (> 0, weighs the row's key in the objective; default 1) and ``id`` (default
``<satellite>@<station>/<start>``). No pass is searched and no key forecast: the rows are the
candidates of :func:`passplan.schedule.solve.plan_with_requests`, under the same capacity rules
(one link at a time per telescope and per satellite terminal, with the setup and re-pointing gaps
of :mod:`passplan.schedule.model`), the same independent checker and the same JSON plan.

``key_bits`` are taken as given values, not expectations (no clear-sky probability applies:
``expected_key_bits`` equals ``key_bits``); the document says so (``key_bits_basis``). A row whose
``end`` equals its ``start`` cannot be linked and is listed under ``unscheduled`` with its reason,
not refused. :func:`schedule_candidates` returns a :class:`CandidatesRun` (a
:class:`~passplan.schedule.run.ScheduleRun` with the requests each link serves).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, InputError
from ..times import iso_z
from .model import Candidate, Demand, Resources
from .requests import Request, load_requests
from .run import ScheduleRun

if TYPE_CHECKING:
    from ..schema import Problem as SchemaProblem

__all__ = [
    "CANDIDATE_COLUMNS", "CandidatesFile", "CandidatesRun", "load_candidates", "parse_candidates",
    "schedule_candidates", "ZERO_LENGTH_REASON", "KEY_BITS_BASIS",
]

#: Columns of a candidates file (name, required): :data:`passplan.schema.CANDIDATES` gives each
#: one's meaning and range.
CANDIDATE_COLUMNS: tuple[tuple[str, bool], ...] = (
    ("station", True), ("satellite", True), ("start", True), ("end", True), ("key_bits", True), ("priority", False),
    ("id", False),
)
ZERO_LENGTH_REASON = "zero-length window: end equals start, so no link fits in it"
KEY_BITS_BASIS = ("given: key_bits are the candidates file's values, taken as they are (not expectations: no "
                  "clear-sky probability applied, expected_key_bits = key_bits)")


@dataclass(frozen=True)
class CandidatesFile:
    """The rows of a candidates file: the ``candidates`` to schedule, the ``zero_length`` rows
    (records with their reason), each candidate's ``priorities`` (by uid, only those given) and
    the file's ``path``."""

    candidates: list[Candidate]
    zero_length: list[dict[str, Any]] = field(default_factory=list)
    priorities: dict[str, float] = field(default_factory=dict)
    path: str = ""


def parse_candidates(text: str, file: str) -> tuple[CandidatesFile, list[SchemaProblem]]:
    """The candidates of a file's text (JSON when it starts with ``[`` or ``{``, else CSV) and
    every problem found (:func:`passplan.schema.parse_candidates_text`: a row with a problem is
    left out; :func:`load_candidates` refuses any)."""
    from ..schema import parse_candidates_text

    rows, problems = parse_candidates_text(text, file)
    cands: list[Candidate] = []
    zero: list[dict[str, Any]] = []
    prio: dict[str, float] = {}
    for row in rows:
        start: datetime = row["start"]
        end: datetime = row["end"]
        uid = row["id"]
        if end == start:
            zero.append({
                "station": row["station"], "satellite": row["satellite"], "pass_uid": uid, "start_utc": iso_z(start),
                "end_utc": iso_z(end), "key_bits": round(row["key_bits"], 1),
                "expected_key_bits": round(row["key_bits"], 1),
                "handover": False, "reason": ZERO_LENGTH_REASON,
            })
            continue
        cands.append(Candidate(uid, uid, row["station"], row["satellite"], start, end, float(row["key_bits"])))
        if row.get("priority") is not None:
            prio[uid] = float(row["priority"])
    return CandidatesFile(cands, zero, prio, file), problems


def load_candidates(path: str | os.PathLike[str]) -> CandidatesFile:
    """The candidates of a CSV or JSON file (:data:`CANDIDATE_COLUMNS`); a
    :class:`~passplan.errors.ConfigError` names the file, line and column (JSON: also the
    candidate's number and the key) of the first problem and how many more there are (``passplan doctor FILE`` lists
    them all)."""
    from ..schema import read_text

    file = os.fspath(path)
    got, problems = parse_candidates(read_text(path, "candidates"), file)
    if problems:
        more = len(problems) - 1
        tail = f" (and {more} more problem(s): `passplan doctor {file}` lists them)" if more else ""
        raise ConfigError(f"{problems[0]}{tail}")
    if not got.candidates and not got.zero_length:
        raise ConfigError(f"{file}: no candidate rows; give one row per possible link under the header")
    return got


@dataclass(frozen=True)
class CandidatesRun(ScheduleRun):
    """A plan over a candidates file (:func:`schedule_candidates`): a
    :class:`~passplan.schedule.run.ScheduleRun` (no forecasts, no hand-over gain) whose document
    also lists the zero-length rows under ``unscheduled``, each link's ``request`` (with
    requests), the ``requests`` (served by which link, or why not) and ``key_bits_basis``."""

    zero_length: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] | None = None
    link_requests: dict[str, str] = field(default_factory=dict)
    source: str = ""

    def to_records(self) -> list[dict[str, Any]]:
        recs = self.plan.to_records()
        if self.requests is not None:
            for rec, c in zip(recs, self.plan.links, strict=True):
                rec["request"] = self.link_requests.get(c.uid)
        return recs

    def to_document(self) -> dict[str, Any]:
        doc = super().to_document()
        doc["links"] = self.to_records()
        for u in doc["unscheduled"]:  # the file's values are not forecasts
            if u["reason"] == "no key forecast":
                u["reason"] = "key_bits 0 in the candidates file (an optical request may still use it)"
        doc["unscheduled"] = doc["unscheduled"] + [dict(z) for z in self.zero_length]
        doc["candidates_file"] = self.source or None
        doc["key_bits_basis"] = KEY_BITS_BASIS
        if self.requests is not None:
            doc["objective_definition"] = ("the most sum of priority x value over the served requests (plus "
                                           "priority x served bits of any demands), then the most key")
            doc["requests"] = self.requests
            doc["requests_served"] = sum(1 for r in self.requests if r["served"])
            doc["requests_value"] = float(sum(r["priority"] * r["value"] for r in self.requests if r["served"]))
        return doc


def schedule_candidates(
    candidates: CandidatesFile | Sequence[Candidate] | str | os.PathLike[str],
    requests: Sequence[Request] | str | os.PathLike[str] | None = None,
    demands: Sequence[Demand] = (),
    *,
    resources: Resources | None = None,
    setup_s: float | None = None,
    repoint_s: float | None = None,
    solver: str = "milp",
    time_limit_s: float | None = 60.0,
) -> CandidatesRun:
    """Plan links over given candidates (a :class:`CandidatesFile`, candidates, or a file path)
    for ``requests`` (or a request file's path) and ``demands``: no pass search, no forecast.

    Objective (``total``): without requests, the most key (each candidate's key times its
    priority); with requests, the most ``sum of priority x value`` over the served requests
    (plus the demands' weighted bits), then the key as a tie-break
    (:func:`passplan.schedule.solve.plan_with_requests`). ``setup_s`` and ``repoint_s`` set
    every station's setup gap and every satellite's re-pointing gap (defaults of
    :mod:`passplan.schedule.model`); ``resources`` gives them per station and satellite."""
    from .run import check_schedule_options
    from .solve import plan_with_requests

    check_schedule_options(time_limit_s=time_limit_s, setup_s=setup_s)
    if repoint_s is not None and not (math.isfinite(repoint_s) and repoint_s >= 0):
        raise InputError(f"repoint_s {repoint_s:g}: give zero or more seconds")
    if resources is not None and (setup_s is not None or repoint_s is not None):
        raise InputError("give resources, or setup_s and repoint_s, not both")
    if isinstance(candidates, str | os.PathLike):
        got = load_candidates(candidates)
    elif isinstance(candidates, CandidatesFile):
        got = candidates
    else:
        got = CandidatesFile(list(candidates))
    reqs: list[Request] | None
    if isinstance(requests, str | os.PathLike):
        reqs = load_requests(requests)
    else:
        reqs = None if requests is None else list(requests)
    if resources is None:
        kw: dict[str, Any] = {}
        if setup_s is not None:
            kw["default_setup_s"] = setup_s
        if repoint_s is not None:
            kw["default_repoint_s"] = repoint_s
        resources = Resources(**kw)
    known = {c.station for c in got.candidates}
    for d in demands:
        for s in d.stations:
            if s not in known:
                raise InputError(f"demand {d.label}: station {s!r} has no candidate in the candidates file "
                                 f"(stations: {', '.join(sorted(known)) or 'none'})")
    import time

    t = time.perf_counter()
    plan, rows, by_uid = plan_with_requests(
        got.candidates, reqs or (), resources, demands, priorities=got.priorities, solver=solver,
        time_limit_s=time_limit_s,
    )
    return CandidatesRun(
        plan, list(got.candidates), [], None, [], {"solve": time.perf_counter() - t},
        zero_length=list(got.zero_length), requests=rows if reqs is not None else None, link_requests=by_uid,
        source=got.path,
    )

