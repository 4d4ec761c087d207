"""An integrated QKD network: trusted ground nodes joined by fibre or free-space links, satellite
stations attached to nodes, satellites relaying between their stations.

End-to-end key between two nodes over a period is the maximum flow of key through the graph of
trusted nodes (Ford and Fulkerson 1956; each link's key is used once; a trusted node forwards
key by one-time-pad re-encryption, so key flows like a commodity): a ground link carries its
rate times the period; a satellite is a node joined to each of its stations by the key pool it
builds with that station (the trusted relay of :mod:`.relay`, here over the whole period, not in
time order). An entangled link (:mod:`.entangled`, ``network_key(..., entangled=[SAT])``) is an
edge directly between the nodes of two stations, no satellite node: the satellite holds no key.
The bottlenecks are the saturated links of a minimum cut.

A network file is TOML::

    [network]
    name = "..."
    source = "..."                      # where the topology comes from
    [nodes.beijing]                      # a trusted node
    name = "Beijing metropolitan network"
    [[links]]
    a = "beijing"
    b = "jinan"
    kind = "fibre"                       # or "free-space"
    rate_bps = 2.0e4                     # secret key rate, or
    # length_km = 80                     # ... a fibre length, rated by the fibre QKD model below
    # protocol = "twin-field"            # ... with length_km: SNS twin-field instead of decoy BB84
    source = "assumed"
    [stations]                           # satellite ground stations -> the node they join
    xinglong = "beijing"
    [fibre_model]                        # optional; defaults below, each cited or assumed
    [twinfield_model]                    # optional; the twin-field links' devices (TwinFieldModel)
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, InputError, UnknownNameError
from ..keyrate.twinfield import TwinFieldModel

if TYPE_CHECKING:
    from ..weather import KeyDraws

#: How a fibre link given by its length is rated: decoy-state BB84 (:class:`FibreModel`, the
#: default) or sending-or-not-sending twin-field QKD (:class:`~passplan.keyrate.twinfield.
#: TwinFieldModel`), chosen per link by ``protocol``.
FIBRE_PROTOCOLS = ("decoy-bb84", "twin-field")

__all__ = [
    "Network", "NetLink", "FibreModel", "NetworkKey", "load_network", "bundled_networks", "end_to_end", "max_flow",
    "flow_value", "joined_through_satellites", "pools_from_links", "reaches", "FIBRE_PROTOCOLS", "TwinFieldModel",
    "fibre_crossover_km",
]


@dataclass(frozen=True)
class FibreModel:
    """Decoy-state BB84 over fibre, asymptotic rate (GLLP with decoys, Ma et al., PRA 72, 012326
    (2005)): Bob's efficiency, dark-count yield, misalignment and error-correction efficiency
    are the GYS experiment's (Gobby, Yuan and Shields, APL 84, 3762 (2004), as used by Ma et al.);
    the fibre loss 0.2 dB/km (standard SMF-28 at 1550 nm) and the 1 GHz clock are assumed."""

    eta_bob: float = 0.045
    y0: float = 1.7e-6
    e_d: float = 0.033
    f_ec: float = 1.22
    alpha_db_km: float = 0.2
    pulse_rate_hz: float = 1.0e9

    def rate_bps(self, length_km: float) -> float:
        """Secret key rate (bit/s) of one fibre link of ``length_km``."""
        from ..keyrate.asymptotic import gllp_optimal_mu

        eta = self.eta_bob * 10 ** (-self.alpha_db_km * length_km / 10.0)
        _, per_pulse = gllp_optimal_mu(eta, self.y0, self.e_d, self.f_ec)
        return max(per_pulse, 0.0) * self.pulse_rate_hz


def fibre_crossover_km(fibre: FibreModel | None = None, twinfield: TwinFieldModel | None = None) -> float:
    """The fibre length (km) beyond which twin-field QKD (default :class:`TwinFieldModel`) gives
    more key than decoy BB84 (default :class:`FibreModel`):
    :func:`passplan.keyrate.twinfield.crossover_km` of the two."""
    from ..keyrate.twinfield import crossover_km

    return crossover_km(fibre or FibreModel(), twinfield or TwinFieldModel())


@dataclass(frozen=True)
class NetLink:
    a: str
    b: str
    kind: str
    rate_bps: float
    length_km: float | None = None
    source: str = ""
    protocol: str = "decoy-bb84"  # how a fibre of length_km is rated (FIBRE_PROTOCOLS)


@dataclass(frozen=True)
class Network:
    name: str
    nodes: dict[str, str]  # id -> display name
    links: list[NetLink]
    stations: dict[str, str]  # satellite ground station id -> node id
    source: str = ""
    path: str = ""
    fibre: FibreModel = field(default_factory=FibreModel)
    twinfield: TwinFieldModel = field(default_factory=TwinFieldModel)


@dataclass(frozen=True)
class NetworkKey:
    """End-to-end key between two nodes over a period."""

    source: str
    target: str
    period_s: float
    key_bits: float
    paths: list[tuple[list[str], float]]  # node sequence, bits along it
    bottlenecks: list[dict[str, Any]]
    satellite_pools: dict[str, dict[str, float]]  # satellite -> station -> bits
    network: str = ""  # the network's name
    warnings: list[str] = field(default_factory=list)  # the pass search's (network_key)
    #: the end-to-end key under seeded weather draws (network_key with weather_trials and
    #: satellite links): mean, P10, P50, P90, clear-sky bound; ``key_bits`` and the paths are then
    #: the replay of expectations (an upper estimate: a max flow is concave in its capacities)
    weather: KeyDraws | None = None
    reason: str | None = None  # why the key is zero where the topology joins the nodes
    #: the cloud record replayed (network_key's cloud_record), as in RelayResult.cloud_record
    cloud_record: dict[str, Any] | None = None
    #: the entangled links (network_key's ``entangled``): each satellite and station pair's
    #: windows, pooled clear-sky key, P(both clear) and expected key (EntangledLink.to_dict)
    entangled: list[dict[str, Any]] = field(default_factory=list)

    def to_records(self) -> list[dict[str, Any]]:
        """One record per path of the flow: its nodes (``a -> b -> c``) and the bits along it."""
        return [{"nodes": " -> ".join(p), "key_bits": round(b, 1)} for p, b in self.paths]

    def to_json(self) -> str:
        """The JSON document ``passplan network --format json`` prints (:meth:`to_dict`)."""
        from ..io import to_json

        return to_json(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.target,
            "period_s": self.period_s,
            "key_bits": round(self.key_bits, 1),
            "paths": [{"nodes": p, "key_bits": round(b, 1)} for p, b in self.paths],
            "bottlenecks": self.bottlenecks,
            "satellite_pools": {s: {k: round(v, 1) for k, v in d.items()} for s, d in self.satellite_pools.items()},
            # only with weather draws (network_key's weather_trials) or a reason for no key
            **({"weather": self.weather.to_dict()} if self.weather is not None else {}),
            **({"reason": self.reason} if self.reason is not None else {}),
            **({"cloud_record": self.cloud_record} if self.cloud_record is not None else {}),
            **({"entangled": self.entangled} if self.entangled else {}),
        }


_TOP = {"network", "nodes", "links", "stations", "fibre_model", "twinfield_model"}
_LINK_KEYS = {"a", "b", "kind", "rate_bps", "length_km", "source", "protocol"}


def bundled_networks() -> dict[str, Path]:
    """The bundled network files by name (``china-integrated``)."""
    from importlib.resources import files

    folder = Path(str(files("passplan") / "data" / "networks"))
    return {p.stem: p for p in sorted(folder.glob("*.toml"))}


def load_network(path: str | Path) -> Network:
    """Read and validate a network TOML file, or a bundled network by name when no such file
    exists (``"china-integrated"``); errors name the file and the key. Every key is checked
    against :data:`passplan.schema.NETWORK` (types, physical ranges, unknown keys)."""
    from .. import schema

    p = Path(path)
    if not p.exists():
        p = bundled_networks().get(str(path), p)
    if p.is_dir():
        raise InputError(f"{p} is a folder; give a network TOML file")
    if not p.exists():
        raise InputError(f"network file {p} does not exist; check the path")
    data = schema.parse_toml(schema.read_text(p, "network TOML"), str(p))
    for key in data:
        if key not in _TOP:
            raise UnknownNameError("network file key", key, _TOP, where=str(p))
    sch = schema.NETWORK
    meta = data.get("network", {})
    if not isinstance(meta, dict):
        raise ConfigError(f"{p}: network must be a table ([network] with name and source)")
    schema.check_keys(sch.table("[network]"), meta, f"{p} [network]")
    nodes_raw = data.get("nodes", {})
    if not isinstance(nodes_raw, dict) or not nodes_raw:
        raise ConfigError(f"{p}: no [nodes.<id>] tables; a network needs trusted nodes")
    nodes = {}
    for nid, table in nodes_raw.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{p}: nodes.{nid} must be a table")
        if not nid.strip() or not schema.clean_text(nid):
            raise ConfigError(f"{p}: node id {nid!r}: give plain text (no control characters)")
        schema.check_keys(sch.table("[nodes.<id>]"), table, f"{p} [nodes.{nid}]")
        nodes[nid] = str(table.get("name", nid))
    fibre_raw = data.get("fibre_model", {})
    if not isinstance(fibre_raw, dict):
        raise ConfigError(f"{p}: fibre_model must be a table ([fibre_model])")
    schema.check_keys(sch.table("[fibre_model]"), fibre_raw, f"{p} [fibre_model]")
    fibre = FibreModel(**{k: float(v) for k, v in fibre_raw.items()})
    tf_raw = data.get("twinfield_model", {})
    if not isinstance(tf_raw, dict):
        raise ConfigError(f"{p}: twinfield_model must be a table ([twinfield_model])")
    schema.check_keys(sch.table("[twinfield_model]"), tf_raw, f"{p} [twinfield_model]")
    twinfield = TwinFieldModel(**{k: float(v) for k, v in tf_raw.items()})
    links: list[NetLink] = []
    raw_links = data.get("links", [])
    if not isinstance(raw_links, list) or not all(isinstance(ln, dict) for ln in raw_links):
        raise ConfigError(
            f"{p}: links must be an array of tables ([[links]] with a, b and rate_bps or length_km), "
            f"got {raw_links!r}"[:300]
        )
    link_table = sch.table("[[links]]")
    for k, ln in enumerate(raw_links, start=1):
        where = f"{p} [[links]] #{k}"
        for key in ln:
            if key not in _LINK_KEYS:
                raise UnknownNameError("link key", key, _LINK_KEYS, where=where)
        a, b = ln.get("a"), ln.get("b")
        for end in (a, b):
            if end not in nodes:
                raise UnknownNameError("node", str(end), nodes, where=where)
        if a == b:
            raise ConfigError(f"{where}: a link joins two different nodes ({a} twice)")
        schema.check_keys(link_table, ln, where)
        kind = ln.get("kind", "fibre")
        length = ln.get("length_km")
        protocol = str(ln.get("protocol", "decoy-bb84"))
        if "protocol" in ln and ("rate_bps" in ln or kind != "fibre"):
            raise ConfigError(f"{where}: protocol rates a fibre by its length_km; with rate_bps or kind = "
                              f"{kind!r} leave protocol out")
        if "rate_bps" in ln:
            rate = float(ln["rate_bps"])
        else:
            if kind != "fibre":
                raise ConfigError(f"{where}: a free-space link needs rate_bps (the fibre model needs kind = 'fibre')")
            rate = (twinfield if protocol == "twin-field" else fibre).rate_bps(float(length))
        links.append(NetLink(a, b, kind, rate, None if length is None else float(length), str(ln.get("source", "")),
                             protocol))
    stations = {}
    raw_stations = data.get("stations", {})
    if not isinstance(raw_stations, dict):
        raise ConfigError(f"{p}: stations must be a table ([stations] with station id = node id)")
    for sid, nid in raw_stations.items():
        if not isinstance(nid, str) or nid not in nodes:
            raise UnknownNameError("node", str(nid), nodes, where=f"{p} [stations] {sid}")
        stations[sid] = nid
    return Network(
        str(meta.get("name", p.stem)), nodes, links, stations, str(meta.get("source", "")), str(p), fibre, twinfield
    )


def max_flow(
    capacity: Mapping[tuple[str, str], float], source: str, target: str
) -> tuple[float, dict[tuple[str, str], float], set[str]]:
    """Maximum flow on an undirected graph ``{(u, v): capacity}`` by shortest augmenting paths
    (Edmonds and Karp, J. ACM 19, 248 (1972)), in floating point. Returns the flow value, the
    net flow on each directed arc, and the source side of a minimum cut."""
    res: dict[str, dict[str, float]] = {}
    for (u, v), c in sorted(capacity.items()):
        if c < 0:
            raise InputError(f"link {u}-{v} has a negative capacity {c}")
        res.setdefault(u, {}).setdefault(v, 0.0)
        res.setdefault(v, {}).setdefault(u, 0.0)
        res[u][v] += c
        res[v][u] += c
    cap0 = {u: dict(d) for u, d in res.items()}
    total = 0.0
    tiny = 1e-9
    if source not in res or target not in res:
        return 0.0, {}, {source}
    while True:
        prev = {source: source}
        queue = deque([source])
        while queue and target not in prev:
            u = queue.popleft()
            for v in sorted(res[u]):
                if v not in prev and res[u][v] > tiny:
                    prev[v] = u
                    queue.append(v)
        if target not in prev:
            break
        bottleneck = math.inf
        v = target
        while v != source:
            u = prev[v]
            bottleneck = min(bottleneck, res[u][v])
            v = u
        v = target
        while v != source:
            u = prev[v]
            res[u][v] -= bottleneck
            res[v][u] += bottleneck
            v = u
        total += bottleneck
    flow = {}
    for u, d in cap0.items():
        for v, c in d.items():
            f = (c - res[u][v] - (cap0[v][u] - res[v][u])) / 2.0
            if f > tiny:
                flow[(u, v)] = f
    return total, flow, set(prev)


def _decompose(flow: dict[tuple[str, str], float], s: str, t: str) -> list[tuple[list[str], float]]:
    """Split a flow into source-to-target paths (largest first; cycles are dropped)."""
    left = dict(flow)
    paths = []
    while True:
        prev = {s: s}
        queue = deque([s])
        while queue and t not in prev:
            u = queue.popleft()
            for (a, b), f in sorted(left.items()):
                if a == u and f > 1e-9 and b not in prev:
                    prev[b] = u
                    queue.append(b)
        if t not in prev:
            break
        nodes = [t]
        while nodes[-1] != s:
            nodes.append(prev[nodes[-1]])
        nodes.reverse()
        bits = min(left[(nodes[k], nodes[k + 1])] for k in range(len(nodes) - 1))
        for k in range(len(nodes) - 1):
            left[(nodes[k], nodes[k + 1])] -= bits
        paths.append((nodes, bits))
    return sorted(paths, key=lambda p: (-p[1], p[0]))


def _capacities(
    net: Network, period_s: float, pools: Mapping[tuple[str, str], float] | None,
    entangled: Mapping[tuple[str, str, str], float] | None = None,
) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], dict[str, Any]], dict[str, dict[str, float]]]:
    """The graph's capacities over ``period_s`` (ground links: rate times period; each satellite
    a node joined to the node of each of its stations by the pool it built there), each edge's
    label, and the pools by satellite and station."""
    cap: dict[tuple[str, str], float] = {}
    labels: dict[tuple[str, str], dict[str, Any]] = {}
    for ln in net.links:
        key = (ln.a, ln.b) if ln.a <= ln.b else (ln.b, ln.a)
        cap[key] = cap.get(key, 0.0) + ln.rate_bps * period_s
        labels[key] = {"a": key[0], "b": key[1], "kind": ln.kind}
        if ln.protocol != "decoy-bb84":  # only twin-field links say so (other documents keep their keys)
            labels[key]["protocol"] = ln.protocol
    sat_pools: dict[str, dict[str, float]] = {}
    for (station, sat), bits in sorted((pools or {}).items()):
        if bits < 0:
            raise InputError(f"pool of {station} with {sat} is negative ({bits} bits)")
        if station not in net.stations:
            continue
        node = net.stations[station]
        sat_node = f"sat:{sat}"
        key = (node, sat_node) if node <= sat_node else (sat_node, node)
        cap[key] = cap.get(key, 0.0) + bits
        labels[key] = {"a": key[0], "b": key[1], "kind": "satellite"}
        sat_pools.setdefault(sat, {})[station] = sat_pools.get(sat, {}).get(station, 0.0) + bits
    # entangled links: key directly between the nodes of two stations (no satellite node)
    for (sa, sb, sat), bits in sorted((entangled or {}).items()):
        if bits < 0:
            raise InputError(f"entangled link {sa}-{sb} via {sat} is negative ({bits} bits)")
        if sa not in net.stations or sb not in net.stations or net.stations[sa] == net.stations[sb]:
            continue  # outside the network, or within one node
        na, nb = net.stations[sa], net.stations[sb]
        key = (na, nb) if na <= nb else (nb, na)
        cap[key] = cap.get(key, 0.0) + bits
        if key in labels and labels[key]["kind"] != "entangled":
            labels[key]["entangled_bits"] = round(labels[key].get("entangled_bits", 0.0) + bits, 1)
        else:
            lab = labels.setdefault(key, {"a": key[0], "b": key[1], "kind": "entangled", "satellites": []})
            lab["satellites"] = sorted({*lab["satellites"], sat})
    return cap, labels, sat_pools


def flow_value(
    net: Network, source: str, target: str, period_s: float, pools: Mapping[tuple[str, str], float] | None = None,
    entangled: Mapping[tuple[str, str, str], float] | None = None,
) -> float:
    """The maximum flow of :func:`end_to_end` alone (no paths, no cut): one weather draw's key."""
    cap, _, _ = _capacities(net, period_s, pools, entangled)
    return max_flow(cap, source, target)[0]


def joined_through_satellites(net: Network, source: str, target: str) -> bool:
    """Whether ground links and the network's satellite stations (through any satellite) join
    ``source`` and ``target``: the topology joins them, whatever a window's passes give."""
    edges = [(ln.a, ln.b) for ln in net.links] + [("sat:*", node) for node in net.stations.values()]
    return _reach(edges, source, target)


def reaches(net: Network, source: str, target: str, pools: Mapping[tuple[str, str], float] | None = None,
            entangled: Mapping[tuple[str, str, str], float] | None = None) -> bool:
    """Whether ground links and the satellite links of ``pools`` and ``entangled`` (any
    capacity, zero included) join ``source`` and ``target``: where :func:`end_to_end` finds a path."""
    return _reach(_capacities(net, 1.0, pools, entangled)[0], source, target)


def _reach(edges: Iterable[tuple[str, str]], source: str, target: str) -> bool:
    adj: dict[str, set[str]] = {}
    for u, v in edges:
        adj.setdefault(u, set()).add(v)
        adj.setdefault(v, set()).add(u)
    seen, queue = {source}, deque([source])
    while queue:
        u = queue.popleft()
        for v in adj.get(u, ()):
            if v not in seen:
                seen.add(v)
                queue.append(v)
    return target in seen


def end_to_end(
    net: Network,
    source: str,
    target: str,
    period_s: float,
    pools: Mapping[tuple[str, str], float] | None = None,
    entangled: Mapping[tuple[str, str, str], float] | None = None,
) -> NetworkKey:
    """End-to-end key between nodes ``source`` and ``target`` over ``period_s`` seconds, with
    satellite key ``pools`` ``{(station, satellite): bits}`` over the same period and the key
    of ``entangled`` links ``{(station_a, station_b, satellite): bits}``, each an edge directly
    between the two stations' nodes (no trusted satellite: :mod:`passplan.schedule.entangled`)."""
    for end in (source, target):
        if end not in net.nodes:
            raise UnknownNameError("node", end, net.nodes, where=net.path or net.name)
    if source == target:
        raise InputError(f"source and target are both {source}; name two different nodes")
    if not (math.isfinite(period_s) and period_s > 0):
        raise InputError(f"period {period_s} s must be positive")
    cap, labels, sat_pools = _capacities(net, period_s, pools, entangled)
    # connectivity with zero capacities still counted: a disconnected pair is an error
    if not _reach(cap, source, target):
        raise InputError(
            f"{net.path or net.name}: no path of links joins {source} and {target}; add a link or a "
            "satellite station on each side"
        )
    value, flow, cut = max_flow(cap, source, target)
    bottlenecks = []
    for key, c in sorted(cap.items()):
        u, v = key
        if (u in cut) != (v in cut):
            bottlenecks.append({**labels[key], "capacity_bits": round(c, 1)})
    return NetworkKey(
        source, target, period_s, value, _decompose(flow, source, target), bottlenecks, sat_pools, net.name
    )


def pools_from_links(links: Sequence[Any], bits: Sequence[float] | Any = None) -> dict[tuple[str, str], float]:
    """``{(station, satellite): bits}`` from scheduled links: their expected key, or ``bits``,
    one number per link (a weather draw's key). Satellites are told apart by identity
    (:attr:`~passplan.schedule.Candidate.satellite_key`): two of one name are two relays, named
    ``NAME (NUMBER)``."""
    from .relay import satellite_labels

    keys = [(c.satellite, str(getattr(c, "satellite_id", "") or "")) for c in links]
    label = satellite_labels(keys)
    out: dict[tuple[str, str], float] = {}
    values = [float(c.expected_key_bits) for c in links] if bits is None else [float(b) for b in bits]
    for c, key, b in zip(links, keys, values, strict=True):
        k = (c.station, label[key])
        out[k] = out.get(k, 0.0) + b
    return out
