"""Requests: tasks a schedule's links may serve, beside station and pair demands.

A :class:`Request` asks for one link at a ``station`` (optionally with one ``satellite``): a key
exchange (``kind = "key"``, served only by a link with expected key above zero) or an
optical-only task (``kind = "optical"``: a beacon test, a time transfer; any link). It is served
at most once, by at most one link, and a link serves at most one request. ``after`` lists the
requests it follows: it may only be served by a link that starts no earlier than the end of the
link serving each of them (so each of them must be served too), e.g. key exchange before
post-processing.

Objective (:mod:`passplan.schedule.milp`): maximise ``sum over served requests of priority x
value`` (plus the weighted bits of any demands), then the expected key as a tie-break.

Request files (TOML or JSON) hold a list ``requests`` of tables (``[[requests]]`` in TOML) with
the keys of :data:`REQUEST_KEYS`; :func:`load_requests` reads one, errors naming the file, the
request (its number and id) and the key.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError, InputError

__all__ = ["Request", "REQUEST_KINDS", "REQUEST_KEYS", "load_requests", "requests_from_data", "check_requests"]

REQUEST_KINDS = ("key", "optical")
#: Keys of one request table: (name, meaning).
REQUEST_KEYS: tuple[tuple[str, str], ...] = (
    ("id", "the request's name (unique), required"),
    ("station", "the station (network node) that must take part, required"),
    ("satellite", "the satellite that must take part (name or catalogue number), optional"),
    ("priority", "weight > 0 of the request (default 1)"),
    ("value", "what serving it is worth, > 0, any unit (default 1)"),
    ("kind", "key: needs a link with key > 0 (default); optical: any link"),
    ("after", "ids of requests that must be served by links ending before this one's starts"),
)


@dataclass(frozen=True, slots=True)
class Request:
    """One request (module docstring). ``node`` is accepted as another name for the station."""

    id: str
    station: str
    satellite: str | None = None
    priority: float = 1.0
    value: float = 1.0
    kind: str = "key"
    after: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "after", tuple(self.after))
        if not isinstance(self.id, str) or not self.id.strip():
            raise InputError(f"request id {self.id!r}: give a non-empty name")
        if not isinstance(self.station, str) or not self.station.strip():
            raise InputError(f"request {self.id}: station {self.station!r}: give a station name")
        if self.satellite is not None and (not isinstance(self.satellite, str) or not self.satellite.strip()):
            raise InputError(f"request {self.id}: satellite {self.satellite!r}: give a satellite name or leave it out")
        for name in ("priority", "value"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not (math.isfinite(v) and v > 0):
                raise InputError(f"request {self.id}: {name} {v!r} must be a finite number > 0")
        if self.kind not in REQUEST_KINDS:
            raise InputError(f"request {self.id}: kind {self.kind!r}: choose one of {', '.join(REQUEST_KINDS)}")
        if self.id in self.after:
            raise InputError(f"request {self.id}: it cannot come after itself; remove it from after")

    @property
    def weight(self) -> float:
        """What serving it adds to the objective: ``priority * value``."""
        return float(self.priority) * float(self.value)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "station": self.station, "satellite": self.satellite, "priority": self.priority,
            "value": self.value, "kind": self.kind, "after": list(self.after),
        }


def check_requests(requests: Sequence[Request]) -> None:
    """Ids unique, every ``after`` names a request, and no cycle of ``after`` (which no plan
    could serve): an :class:`InputError` naming the request and the fix."""
    ids = [r.id for r in requests]
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise InputError(f"request {i} appears twice; give each request its own id")
        seen.add(i)
    for r in requests:
        for a in r.after:
            if a not in seen:
                raise InputError(f"request {r.id}: after names {a!r}, which is not a request; check the id")
    follows = {r.id: r.after for r in requests}
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(i: str, path: list[str]) -> None:
        state[i] = 1
        for a in follows[i]:
            if state.get(a) == 1:
                cycle = [*path[path.index(a):], a] if a in path else [i, a]
                raise InputError(f"requests {' -> '.join(cycle)} follow each other in a cycle; "
                                 "no plan can serve them: remove one after entry")
            if a not in state:
                visit(a, [*path, a])
        state[i] = 2

    for i in ids:
        if i not in state:
            visit(i, [i])


def _one(t: Any, k: int, where: str) -> Request:
    loc = f"{where}: request #{k}"
    if not isinstance(t, Mapping):
        raise ConfigError(f"{loc}: not a table; write each request as a table with id and station")
    known = {name for name, _ in REQUEST_KEYS} | {"node"}
    for key in t:
        if key not in known:
            raise ConfigError(f"{loc}: unknown key {key!r}; known keys: {', '.join(sorted(known))}")
    rid = t.get("id")
    if not isinstance(rid, str | int) or isinstance(rid, bool) or not str(rid).strip():
        raise ConfigError(f"{loc}: key id: give the request a name (id = \"r1\")")
    loc = f"{loc} ({rid})"
    if "station" in t and "node" in t:
        raise ConfigError(f"{loc}: give station or node, not both")
    station = t.get("station", t.get("node"))
    if not isinstance(station, str) or not station.strip():
        raise ConfigError(f"{loc}: key station: give the station's name (station = \"graz\")")
    sat = t.get("satellite")
    if sat is not None and not isinstance(sat, str | int):
        raise ConfigError(f"{loc}: key satellite: give a name or catalogue number")
    after = t.get("after", [])
    if isinstance(after, str):
        after = [after]
    if not isinstance(after, list) or not all(isinstance(a, str | int) and not isinstance(a, bool) for a in after):
        raise ConfigError(f"{loc}: key after: give a list of request ids (after = [\"r1\"])")
    kw: dict[str, Any] = {}
    for name in ("priority", "value"):
        if name in t:
            v = t[name]
            if isinstance(v, bool) or not isinstance(v, int | float) or not (math.isfinite(v) and v > 0):
                raise ConfigError(f"{loc}: key {name} = {v!r}: give a finite number > 0")
            kw[name] = float(v)
    if "kind" in t:
        if t["kind"] not in REQUEST_KINDS:
            raise ConfigError(f"{loc}: key kind = {t['kind']!r}: choose one of {', '.join(REQUEST_KINDS)}")
        kw["kind"] = t["kind"]
    try:
        return Request(str(rid), station.strip(), None if sat is None else str(sat), after=tuple(str(a) for a in after),
                       **kw)
    except InputError as err:
        raise ConfigError(f"{where}: {err}") from None


def requests_from_data(data: Any, where: str = "requests") -> list[Request]:
    """Requests from a parsed document: ``{"requests": [...]}`` or a bare list of tables."""
    rows = data.get("requests") if isinstance(data, Mapping) else data
    if isinstance(data, Mapping):
        extra = sorted(k for k in data if k != "requests")
        if extra:
            raise ConfigError(f"{where}: unknown table {extra[0]!r}; a request file holds only requests")
    if not isinstance(rows, list) or not rows:
        raise ConfigError(f"{where}: no requests; write [[requests]] tables (TOML) or a list \"requests\" (JSON)")
    out = [_one(t, k, where) for k, t in enumerate(rows, start=1)]
    try:
        check_requests(out)
    except InputError as err:
        raise ConfigError(f"{where}: {err}") from None
    return out


def load_requests(path: str | os.PathLike[str]) -> list[Request]:
    """The requests of a TOML or JSON file (JSON for a ``.json`` name, TOML for ``.toml``, else
    JSON when the text starts with ``{`` or with ``[`` not followed by a table name)."""
    from ..schema import parse_toml, read_text

    file = os.fspath(path)
    text = read_text(path, "requests")
    head = text.lstrip()
    suffix = os.path.splitext(file)[1].lower()
    is_json = suffix == ".json" or (suffix != ".toml" and (head[:1] == "{" or (head[:1] == "[" and not head.startswith(
        ("[[", "[requests")))))
    if is_json:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ConfigError(f"{file}:{err.lineno}: column {err.colno}: invalid JSON: {err.msg}; fix the syntax "
                              "there") from None
    else:
        data = parse_toml(text, file)
    return requests_from_data(data, file)
