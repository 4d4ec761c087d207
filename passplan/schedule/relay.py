"""Trusted-relay key between two distant stations through satellites, replayed in time.

During each link a satellite builds a key pool with the station it points at. Between stations A
and B it acts as a trusted node: it announces ``K_A xor K_B`` over a public channel, so A and B
share a key as long as the shorter of the two, and each pool bit is used once (the scheme Micius
flew between Xinglong, Nanshan and Graz, Liao et al., PRL 120, 030501 (2018); Jinan-1 between
Beijing and Stellenbosch, Li et al., Nature 640, 47 (2025)).

The replay: a link's key joins its pool at the link's end (after sifting and post-processing).
Whenever both pools of one satellite hold key, it relays at once (for a single pair, relaying as
early as possible is never worse: pool bits only expire or overflow with time). Optional limits:
``storage_bits``, the on-board store shared by the pair's two pools on one satellite (the oldest
bits are discarded first), and ``lifetime_s``, after which a pool bit is discarded unused (both
assumed operating rules; no flown figure is published).

The storage rule (``storage_rule``) says when the cap applies to a link's new key:

* ``"cap-first"`` (the default): a link's whole key is stored on board before it is combined,
  so the store must hold the held pool and the new key at once; what overflows is discarded,
  oldest first, and only then does the satellite XOR what both pools hold. This is the cautious
  reading (the key exists only after the link's post-processing, as one block), and in a tight
  store it can discard held key that the new key would have matched: with a 160-bit store
  holding 160 bits for A, a 110-bit link with B discards 110 of A's bits and relays 50.
* ``"xor-first"``: the new key is combined with the held pool as it is distilled, so only the
  unmatched remainder needs the store: the satellite XORs first, then caps what is left. The
  same case relays 110 bits (50 of A's stay stored). Use it for a satellite that streams its
  post-processing into the XOR.

Without ``storage_bits`` the two rules give the same key.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..times import iso_z

if TYPE_CHECKING:
    from ..weather import KeyDraws

__all__ = ["Deposit", "RelayResult", "relay", "check_relay_options", "satellite_labels", "STORAGE_RULES"]

#: When the on-board storage cap applies to a link's new key (see the module docstring).
STORAGE_RULES = ("cap-first", "xor-first")


@dataclass(frozen=True, slots=True)
class Deposit:
    """Key a satellite and a station share from one link, available from ``at``."""

    station: str
    satellite: str
    at: datetime
    bits: float
    satellite_id: str = ""  # catalogue number ("" without one): one name may be two satellites

    @property
    def satellite_key(self) -> tuple[str, str]:
        return (self.satellite, self.satellite_id)

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise InputError(f"deposit at {self.station}: time {self.at.isoformat()} has no time zone")
        if not (math.isfinite(self.bits) and self.bits >= 0):
            raise InputError(f"deposit at {self.station}: {self.bits} bits; give a finite number >= 0")


@dataclass(frozen=True)
class RelayResult:
    """Relayed key between a pair, in time."""

    pair: tuple[str, str]
    satellites: list[str]
    relayed_bits: float
    pool_bits: dict[str, float]  # key deposited at each station by the relaying satellites
    timeline: list[tuple[datetime, float]]  # (time, cumulative relayed bits)
    per_satellite: dict[str, float]
    discarded_bits: float  # lost to the storage cap or the key lifetime
    demand_bits: float | None = None
    demand_met: datetime | None = None
    events: list[dict[str, Any]] = field(default_factory=list)  # each relay: time, sat, bits, pools
    links: list[Any] = field(default_factory=list)  # the scheduled links (relay_key), in time order
    warnings: list[str] = field(default_factory=list)  # the pass search's (relay_key)
    storage_rule: str | None = None  # the storage rule applied (None without a storage cap)
    #: the relayed key under seeded weather draws (relay_key with weather_trials): mean, P10,
    #: P50, P90, clear-sky bound; ``relayed_bits`` and the timeline are then the replay of
    #: expectations (an upper estimate), ``weather.mean_bits`` the expected relayed key
    weather: KeyDraws | None = None
    reason: str | None = None  # why no key was relayed, when none could be (no shared satellite)
    #: the cloud record replayed (relay_key's cloud_record): file, rule, stations and spans, and
    #: each scheduled link at a recorded station with its cloud fraction and the share of key kept
    cloud_record: dict[str, Any] | None = None
    #: the entangled alternative (relay_key's ``entangled``): key directly between the pair from
    #: the same satellites' entangled-pair sources, no trusted satellite (passplan.schedule.
    #: entangled): profile, pooled clear-sky and expected key, each satellite's link, weather draws
    entangled: dict[str, Any] | None = None

    def to_records(self) -> list[dict[str, Any]]:
        """One record per relay: when, which satellite, the bits relayed and the total so far."""
        out = []
        total = 0.0
        for e in self.events:
            total += e["bits"]
            out.append({
                "t_utc": iso_z(e["at"]), "satellite": e["satellite"], "relayed_bits": round(e["bits"], 1),
                "total_bits": round(total, 1),
            })
        return out

    def to_json(self) -> str:
        """The JSON document ``passplan relay --format json`` prints (:meth:`to_dict`)."""
        from ..io import to_json

        return to_json(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        return {
            "pair": list(self.pair),
            "satellites": self.satellites,
            "relayed_bits": round(self.relayed_bits, 1),
            "pool_bits": {k: round(v, 1) for k, v in self.pool_bits.items()},
            "per_satellite": {k: round(v, 1) for k, v in self.per_satellite.items()},
            "discarded_bits": round(self.discarded_bits, 1),
            "timeline": [{"t_utc": iso_z(t), "relayed_bits": round(b, 1)} for t, b in self.timeline],
            "demand_bits": self.demand_bits,
            "demand_met_utc": None if self.demand_met is None else iso_z(self.demand_met),
            # only with a storage cap (documents without one keep their keys)
            **({"storage_rule": self.storage_rule} if self.storage_rule is not None else {}),
            # only with weather draws (relay_key's weather_trials) or a reason for no key
            **({"weather": self.weather.to_dict()} if self.weather is not None else {}),
            **({"reason": self.reason} if self.reason is not None else {}),
            **({"cloud_record": self.cloud_record} if self.cloud_record is not None else {}),
            **({"entangled": self.entangled} if self.entangled is not None else {}),
        }


def satellite_labels(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """How each satellite ``(name, catalogue number)`` is named in a result: by its name, or
    ``NAME (NUMBER)`` where two satellites share the name."""
    keys = list(keys)
    count: dict[str, int] = {}
    for name, _ in set(keys):
        count[name] = count.get(name, 0) + 1
    return {k: k[0] if count[k[0]] == 1 or not k[1] else f"{k[0]} ({k[1]})" for k in keys}


class _Pool:
    """FIFO of (time, bits) for one station on one satellite."""

    def __init__(self) -> None:
        self.q: deque[list[float]] = deque()
        self.total = 0.0

    def add(self, t: float, bits: float) -> None:
        if bits > 0:
            self.q.append([t, bits])
            self.total += bits

    def take(self, bits: float) -> None:
        """Remove ``bits`` oldest first."""
        while bits > 1e-9 and self.q:
            head = self.q[0]
            used = min(head[1], bits)
            head[1] -= used
            bits -= used
            self.total -= used
            if head[1] <= 1e-9:
                self.total -= head[1]
                self.q.popleft()
        self.total = max(self.total, 0.0)

    def expire(self, before: float) -> float:
        lost = 0.0
        while self.q and self.q[0][0] < before:
            lost += self.q.popleft()[1]
        self.total -= lost
        return lost

    def oldest(self) -> float:
        return self.q[0][0] if self.q else math.inf


def _cap(pa: _Pool, pb: _Pool, storage_bits: float) -> float:
    """Discard the oldest bits of the two pools until they fit ``storage_bits``; the bits lost."""
    discarded = 0.0
    while pa.total + pb.total > storage_bits + 1e-9:
        older = pa if pa.oldest() <= pb.oldest() else pb
        excess = pa.total + pb.total - storage_bits
        before = older.total
        older.take(min(excess, older.q[0][1]))
        discarded += before - older.total
    return discarded


def check_relay_options(
    *,
    storage_bits: float | None = None,
    lifetime_s: float | None = None,
    demand_bits: float | None = None,
    storage_rule: str = "cap-first",
) -> None:
    """Refuse out-of-range options of :func:`relay` (before any pass search in ``relay_key``)."""
    if storage_rule not in STORAGE_RULES:
        raise InputError(f"storage_rule {storage_rule!r}: choose one of {', '.join(STORAGE_RULES)}")
    if storage_bits is not None and not 0 < storage_bits < math.inf:
        raise InputError(f"storage cap {storage_bits} bits must be positive and finite (no cap: give none)")
    if lifetime_s is not None and not 0 < lifetime_s < math.inf:
        raise InputError(f"key lifetime {lifetime_s} s must be positive and finite (no lifetime: give none)")
    if demand_bits is not None and not (math.isfinite(demand_bits) and demand_bits > 0):
        raise InputError(f"demand {demand_bits} bits: give a positive number of bits")


def relay(
    deposits: Iterable[Deposit],
    pair: tuple[str, str],
    *,
    satellites: Sequence[str] | None = None,
    storage_bits: float | None = None,
    lifetime_s: float | None = None,
    demand_bits: float | None = None,
    storage_rule: str = "cap-first",
) -> RelayResult:
    """Replay trusted-relay key between ``pair`` through each satellite's pools, in time.

    ``storage_bits`` caps each satellite's store for the pair, applied before the XOR
    (``storage_rule="cap-first"``, the default) or to what is left after it (``"xor-first"``);
    see the module docstring."""
    a, b = pair
    if a == b:
        raise InputError(f"relay pair {a}:{b}: name two different stations")
    check_relay_options(
        storage_bits=storage_bits, lifetime_s=lifetime_s, demand_bits=demand_bits, storage_rule=storage_rule
    )
    deps = [d for d in deposits if d.station in (a, b)]
    if satellites is not None:
        wanted = set(satellites)
        deps = [d for d in deps if d.satellite in wanted or (d.satellite_id and d.satellite_id in wanted)]
    # satellites by identity (name, catalogue number); sorted, they order as their names do
    serving_keys = sorted(
        {d.satellite_key for d in deps if d.station == a} & {d.satellite_key for d in deps if d.station == b}
    )
    label = satellite_labels({d.satellite_key for d in deps})  # NAME (NUMBER) where a name is shared
    serving = [label[k] for k in serving_keys]
    if not serving:
        raise InputError(
            f"no satellite links with both {a} and {b} in these passes, so nothing can be relayed; "
            "widen the window or add satellites that pass over both"
        )
    pools_of = set(serving_keys)
    deps = sorted(
        (d for d in deps if d.satellite_key in pools_of), key=lambda d: (d.at.timestamp(), d.satellite_key, d.station)
    )
    pools = {(s, st): _Pool() for s in serving_keys for st in (a, b)}
    per_sat = {s: 0.0 for s in serving}
    deposited = {a: 0.0, b: 0.0}
    discarded = 0.0
    total = 0.0
    timeline: list[tuple[datetime, float]] = []
    events: list[dict[str, Any]] = []
    met: datetime | None = None
    for d in deps:
        t = d.at.timestamp()
        sat = label[d.satellite_key]
        pa, pb = pools[(d.satellite_key, a)], pools[(d.satellite_key, b)]
        if lifetime_s is not None:
            discarded += pa.expire(t - lifetime_s) + pb.expire(t - lifetime_s)
        (pa if d.station == a else pb).add(t, d.bits)
        deposited[d.station] += d.bits
        if storage_bits is not None and storage_rule == "cap-first":
            discarded += _cap(pa, pb, storage_bits)
        r = min(pa.total, pb.total)
        if r > 0:
            held = (pa.total, pb.total)
            pa.take(r)
            pb.take(r)
            total += r
            per_sat[sat] += r
            timeline.append((d.at, total))
            events.append({"at": d.at, "satellite": sat, "bits": r, "pool_a": held[0], "pool_b": held[1]})
            if demand_bits is not None and met is None and total >= demand_bits:
                met = d.at
        if storage_bits is not None and storage_rule == "xor-first":
            discarded += _cap(pa, pb, storage_bits)
    return RelayResult(
        pair=(a, b),
        satellites=serving,
        relayed_bits=total,
        pool_bits=deposited,
        timeline=timeline,
        per_satellite=per_sat,
        discarded_bits=discarded,
        demand_bits=demand_bits,
        demand_met=met,
        events=events,
        storage_rule=None if storage_bits is None else storage_rule,
    )
