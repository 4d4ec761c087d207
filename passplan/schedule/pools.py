"""Key pools over time: a time-expanded flow of key through an integrated network (issue 19).

:mod:`.network` answers how much key two nodes could share over a period (a static maximum flow
of the period's totals). An operator also asks whether an application's key runs dry, when, and
how much storage it needs. Here the period is cut into steps at every event (a satellite link's
key arrives, a stored bit expires, the horizon starts or ends: nothing else changes the flow)
and one linear programme (HiGHS through :func:`scipy.optimize.linprog`) decides, step by step,
how much key each application demand draws and along which links.

**The model.** Every link of the network (a fibre or free-space link between two trusted nodes,
or a satellite and the node of a station it passes over) holds a *pool* of pairwise key, stored
at both its ends. A ground link's pool grows at its key rate; a satellite link's pool grows by
the link's key when the link ends (after sifting and post-processing, as in :mod:`.relay`). A
demand ``A:B`` wants ``rate_bps`` of end-to-end key at every moment of the horizon; within a
step the trusted nodes relay key along paths of pools at once (one-time-pad forwarding, each
pool bit used once; the satellite relay of :mod:`.relay` is the two-hop case), so in each step
each demand is a flow from A to B that uses up the pools it crosses. Demand a step does not
meet is lost (an outage: the application had no fresh key), not carried over.

Limits (each optional; an assumed operating rule, no flown figure is published):

* ``storage_bits``: a ground node's key store holds at most that many bits: the pools of every
  link at the node (each pool is held at both its ends). ``satellite_storage_bits``: the same
  on board each satellite (the relay's ``storage_bits``). Key that does not fit is discarded.
* ``lifetime_s``: a pool bit unused that long after it arrived is discarded. The grid has a step
  boundary at every satellite deposit plus the lifetime, so satellite key expires exactly; key
  from a ground link arrives continuously and its age is checked at the grid's times.

**The objective** (``objective``):

* ``"total"``: maximise the bits served to all demands over the horizon.
* ``"fair"`` (the default): first maximise the smallest fraction served over the demands
  (max-min fairness on the fraction of each demand's horizon total), then, with every demand
  held at that fraction, maximise the bits served as in ``"total"``.

In both, a bit served in step k is weighted 1 + 1e-5 x (time left after the step's midpoint) /
(horizon): among plans of equal total the earliest service wins, and the total moves by at
most one part in 10^5 for it; each bit relayed over a link or discarded costs 1e-6 of a served
bit (no pool is used for nothing). HiGHS solves the programme in units of the largest demand's
horizon total (its numbers near 1).

**The upper bound.** Summed over the steps, a timeline's flows are one static flow of the
horizon's totals, so no timeline serves more than :func:`.network.end_to_end` of the totals;
with no storage limit and no lifetime, a demand alone whose rate is high enough that the last
step alone could carry the whole maximum flow is served exactly that maximum flow (all pools
are full at the last step). ``tests/test_pools.py`` pins that equality on the bundled
``china-integrated`` network.

**What is reported per demand** (:class:`DemandPools`): the fraction of the demand served,
the time to the first key, the longest outage (a step served in part is served first and
runs dry at its end: a run of outage continues through steps served not at all), the lowest
*store* (the key the demand's two nodes could share at once from the pools then held: the
maximum flow between them through the pools' levels, at the grid's times from the end of the
first step that served the demand on; None when nothing was served), and
the *storage that would have avoided every outage* from the first key on: the store (in the
lowest store's sense) that the demand, alone on the network, must hold at the start of the worst
interval to be served in full through it, max over grid intervals (t_i, t_j] from the first key
on of ``rate x (t_j - t_i)`` minus the maximum flow of the key arriving after t_i (the backlog
bound of network calculus, Cruz, IEEE Trans. Inf. Theory 37, 114 (1991)). It is a store of
end-to-end key: every pool along the way must hold it (a relay satellite holds two pools, so
twice). Under weather draws each is summarised over the draws (mean, P10, P50, P90).
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, InputError, UnknownNameError
from ..times import iso_z
from .network import Network, load_network

__all__ = [
    "AppDemand", "DemandPools", "PoolTimeline", "KeyPools", "Deposit", "load_demands", "pool_timeline",
    "key_pools", "check_pool_options", "OBJECTIVES", "DEFAULT_POOL_DRAWS", "MAX_CUT_NODES",
]

#: The objectives of :func:`pool_timeline` (see the module docstring).
OBJECTIVES = ("fair", "total")

#: Weather draws of :func:`key_pools` by default: each draw is one linear programme (two with
#: ``objective="fair"``), so far fewer than the 2000 of ``relay``/``network`` (assumed: enough
#: for a P10/P90 to about one draw in ten; give more for finer percentiles).
DEFAULT_POOL_DRAWS = 20

#: Most ground nodes besides a demand's two ends for which stores and the storage that would
#: have avoided every outage are computed by enumerating the cuts (2^n of them, vectorised;
#: satellites add no factor, see :class:`_Cuts`); above it the store is taken by one maximum
#: flow per step and the storage is not computed (None).
MAX_CUT_NODES = 12

_EARLY = 1e-5  # weight of earliness (see the module docstring)
_FLOW_COST = 1e-6
_TINY = 1e-9


@dataclass(frozen=True)
class AppDemand:
    """An application's key demand between nodes ``a`` and ``b``: ``rate_bps`` of end-to-end
    key at every moment of the horizon (e.g. AES-256 keys refreshed every 60 s for 100 users:
    256 x 100 / 60 = 426.7 bit/s, :meth:`from_refresh`)."""

    a: str
    b: str
    rate_bps: float
    name: str = ""
    source: str = ""

    @property
    def label(self) -> str:
        return self.name or f"{self.a}:{self.b}"

    def __post_init__(self) -> None:
        if not (isinstance(self.rate_bps, int | float) and math.isfinite(self.rate_bps) and self.rate_bps > 0):
            raise InputError(f"demand {self.label}: rate_bps {self.rate_bps!r}; give a positive number of bit/s")
        if self.a == self.b:
            raise InputError(f"demand {self.label}: a and b are both {self.a}; name two different nodes")

    @classmethod
    def from_refresh(
        cls, a: str, b: str, *, key_bits: float, refresh_s: float, users: int = 1, name: str = "", source: str = "",
    ) -> AppDemand:
        """A demand of ``users`` sessions each taking a fresh ``key_bits`` key every ``refresh_s``."""
        if not (math.isfinite(key_bits) and key_bits > 0 and math.isfinite(refresh_s) and refresh_s > 0 and users >= 1):
            raise InputError(
                f"demand {name or f'{a}:{b}'}: key_bits {key_bits!r}, refresh_s {refresh_s!r}, users {users!r}: "
                "give positive numbers (users a whole number >= 1)"
            )
        return cls(a, b, key_bits * users / refresh_s, name, source)

    @classmethod
    def parse(cls, text: str, what: str = "demand") -> AppDemand:
        """``A:B=RATE_BPS`` (e.g. ``beijing:shanghai=1024``), optionally ``NAME@A:B=RATE_BPS``; a
        malformed text's error starts with ``what`` (the CLI gives its option, ``--demand``)."""
        head, sep, value = text.partition("=")
        name, at, pair = head.rpartition("@")
        ends = pair.split(":")
        if not sep or len(ends) != 2 or not all(e.strip() for e in ends) or (at and not name.strip()):
            raise InputError(f"{what} {text!r}: write A:B=RATE_BPS or NAME@A:B=RATE_BPS, e.g. beijing:shanghai=1024")
        try:
            rate = float(value)
        except ValueError:
            raise InputError(f"{what} {text!r}: {value!r} is not a rate in bit/s (e.g. 1024)") from None
        if not (math.isfinite(rate) and rate > 0):
            raise InputError(f"{what} {text!r}: give a positive rate in bit/s")
        return cls(ends[0].strip(), ends[1].strip(), rate, name.strip())

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.label, "a": self.a, "b": self.b, "rate_bps": self.rate_bps,
                **({"source": self.source} if self.source else {})}


def load_demands(path: str | Path) -> list[AppDemand]:
    """Read a demand TOML file (or a bundled one by name when no such file exists:
    ``"china-integrated"``): ``[[demands]]`` tables, each with ``a``, ``b`` and either
    ``rate_bps`` or ``key_bits``, ``refresh_s`` and ``users``; errors name the file, the table
    and the key (keys and ranges: :data:`passplan.schema.DEMANDS`)."""
    from importlib.resources import files

    from .. import schema

    p = Path(path)
    if not p.exists():  # a bundled demand file by name ("china-integrated")
        bundled = Path(str(files("passplan") / "data" / "demands")) / f"{path}.toml"
        p = bundled if bundled.is_file() else p
    data = schema.parse_toml(schema.read_text(p, "demand TOML"), str(p))
    schema.validate("demands", data, str(p))
    out = []
    for k, t in enumerate(data["demands"], start=1):
        where = f"{p} [[demands]] #{k}"
        name, src = str(t.get("name", "")), str(t.get("source", ""))
        try:
            if "rate_bps" in t:
                out.append(AppDemand(t["a"], t["b"], float(t["rate_bps"]), name, src))
            else:
                out.append(AppDemand.from_refresh(
                    t["a"], t["b"], key_bits=float(t["key_bits"]), refresh_s=float(t["refresh_s"]),
                    users=int(t.get("users", 1)), name=name, source=src,
                ))
        except InputError as err:
            raise ConfigError(f"{where}: {err}") from None
    labels = [d.label for d in out]
    for lab in labels:
        if labels.count(lab) > 1:
            raise ConfigError(f"{p}: two demands are called {lab!r}; give each a different name")
    return out


@dataclass(frozen=True)
class Deposit:
    """Key a satellite and a station share from one link, in their pool from ``at``."""

    station: str
    satellite: str
    at: datetime
    bits: float


# ---------------------------------------------------------------------------------------------
# The time-expanded graph


@dataclass
class _Graph:
    nodes: list[str]
    edges: list[tuple[str, str]]  # undirected, u < v
    kinds: list[str]
    rate: np.ndarray  # (E,) bit/s of ground links, 0 for satellite links
    t: np.ndarray  # (N+1,) grid times, s from the start
    satdep: np.ndarray  # (E, N): satellite key arriving at the start of step k
    cap: dict[str, float]  # finite store limits by node

    @property
    def dt(self) -> np.ndarray:
        return np.diff(self.t)


def _graph(
    net: Network, deposits: Sequence[Deposit], start: datetime, end: datetime,
    storage_bits: float | Mapping[str, float] | None, satellite_storage_bits: float | None,
    lifetime_s: float | None, extra_times: Sequence[float] = (),
) -> _Graph:
    horizon = (end - start).total_seconds()
    key: dict[tuple[str, str], int] = {}
    edges: list[tuple[str, str]] = []
    kinds: list[str] = []
    rates: list[float] = []

    def edge(u: str, v: str, kind: str) -> int:
        k = (u, v) if u <= v else (v, u)
        if k not in key:
            key[k] = len(edges)
            edges.append(k)
            kinds.append(kind)
            rates.append(0.0)
        return key[k]

    for ln in net.links:
        rates[edge(ln.a, ln.b, ln.kind)] += ln.rate_bps
    dep: list[tuple[int, float, float]] = []
    for d in deposits:
        if d.station not in net.stations:
            continue
        at = (d.at - start).total_seconds()
        if not 0 <= at < horizon or d.bits <= 0:
            continue  # a deposit at the horizon's end (or outside it) serves nothing
        dep.append((edge(net.stations[d.station], f"sat:{d.satellite}", "satellite"), at, float(d.bits)))
    pts = {0.0, horizon, *(x for x in extra_times if 0 < x < horizon)}
    for _, at, _ in dep:
        pts.add(at)
        if lifetime_s is not None and at + lifetime_s < horizon:
            pts.add(at + lifetime_s)
    t = np.array(sorted(pts))
    t = t[np.concatenate([[True], np.diff(t) > 1e-6])]  # merge times closer than a microsecond
    t[-1] = horizon
    satdep = np.zeros((len(edges), len(t) - 1))
    for e, at, bits in dep:
        k = int(np.searchsorted(t, at + 1e-6, side="right")) - 1
        satdep[e, min(k, len(t) - 2)] += bits
    nodes = sorted({*net.nodes, *(v for _, v in edges), *(u for u, _ in edges)})
    cap: dict[str, float] = {}
    for v in nodes:
        if v.startswith("sat:"):
            if satellite_storage_bits is not None:
                cap[v] = float(satellite_storage_bits)
        elif isinstance(storage_bits, Mapping):
            if v in storage_bits:
                cap[v] = float(storage_bits[v])
        elif storage_bits is not None:
            cap[v] = float(storage_bits)
    return _Graph(nodes, edges, kinds, np.array(rates), t, satdep, cap)


def _window_deposits(g: _Graph, lifetime_s: float) -> np.ndarray:
    """(E, N): key deposited in (t_{k+1} - lifetime, t_{k+1}) on each link: what may still be
    stored at the end of step k."""
    t = g.t
    ends = t[1:]
    lo = ends - lifetime_s
    fib = g.rate[:, None] * (ends - np.maximum(lo, 0.0))[None, :]
    starts = t[:-1]
    # satellite deposits at step starts s_j with lo_k < s_j < end_k (j <= k)
    inside = (starts[None, :] > lo[:, None] + 1e-6) & (starts[None, :] < ends[:, None] - 1e-6)  # (k, j)
    return fib + g.satdep @ inside.T.astype(float)


# ---------------------------------------------------------------------------------------------
# The linear programme


@dataclass
class _LP:
    g: _Graph
    demands: list[AppDemand]
    c: np.ndarray
    a_eq: Any
    b_eq_fixed: np.ndarray  # without the satellite deposits
    a_ub: Any
    b_ub_fixed: np.ndarray
    bounds: np.ndarray
    n_f: int
    n_y: int
    n_s: int
    n_w: int
    pool_rows: np.ndarray  # (E, N) row index of each pool balance
    start_rows: list[tuple[int, list[int], int]]  # (row, edges, step): node start-cap rows
    level_rows: list[tuple[int, int, int]]  # (row, edge, step): start-level >= 0 rows
    lifetime_s: float | None
    unit: float  # bits per LP unit (the largest demand's horizon total: the LP's numbers near 1)


def _build(g: _Graph, demands: Sequence[AppDemand], lifetime_s: float | None) -> _LP:
    from scipy.sparse import coo_matrix

    V, E, N, D = len(g.nodes), len(g.edges), len(g.t) - 1, len(demands)
    A = 2 * E
    vid = {v: i for i, v in enumerate(g.nodes)}
    eu = np.array([vid[u] for u, _ in g.edges], dtype=np.intp)
    ev = np.array([vid[v] for _, v in g.edges], dtype=np.intp)
    tail = np.empty(A, np.intp)
    head = np.empty(A, np.intp)
    tail[0::2], head[0::2] = eu, ev
    tail[1::2], head[1::2] = ev, eu
    discard = bool(g.cap) or lifetime_s is not None
    n_f, n_y, n_s = D * N * A, D * N, E * N
    n_w = E * N if discard else 0
    o_y, o_s, o_w = n_f, n_f + n_y, n_f + n_y + n_s
    nvar = o_w + n_w
    dt = g.dt
    horizon = g.t[-1]
    unit = max(x.rate_bps for x in demands) * horizon

    def f_idx(d: np.ndarray, k: np.ndarray, a: np.ndarray) -> np.ndarray:
        return (d * N + k) * A + a

    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    # conservation: row (d, k, v)
    d_, k_, a_ = (x.ravel() for x in np.meshgrid(np.arange(D), np.arange(N), np.arange(A), indexing="ij"))
    fi = f_idx(d_, k_, a_)
    base = (d_ * N + k_) * V
    rows += [base + tail[a_], base + head[a_]]
    cols += [fi, fi]
    vals += [np.ones(fi.size), -np.ones(fi.size)]
    s_id = np.array([vid[x.a] for x in demands], dtype=np.intp)
    t_id = np.array([vid[x.b] for x in demands], dtype=np.intp)
    dd, kk = (x.ravel() for x in np.meshgrid(np.arange(D), np.arange(N), indexing="ij"))
    yi = o_y + dd * N + kk
    rows += [(dd * N + kk) * V + s_id[dd], (dd * N + kk) * V + t_id[dd]]
    cols += [yi, yi]
    vals += [-np.ones(yi.size), np.ones(yi.size)]
    n_cons = D * N * V
    # pool balance: row (e, k): S[e,k] - S[e,k-1] + sum_d f[d,k,2e] + f[d,k,2e+1] + w[e,k] = dep
    pool_rows = n_cons + np.arange(E * N).reshape(E, N)
    ee, kk2 = (x.ravel() for x in np.meshgrid(np.arange(E), np.arange(N), indexing="ij"))
    rows.append(pool_rows[ee, kk2])
    cols.append(o_s + ee * N + kk2)
    vals.append(np.ones(ee.size))
    m = kk2 >= 1
    rows.append(pool_rows[ee[m], kk2[m]])
    cols.append(o_s + ee[m] * N + kk2[m] - 1)
    vals.append(-np.ones(int(m.sum())))
    d3, e3, k3, s3 = (x.ravel() for x in np.meshgrid(np.arange(D), np.arange(E), np.arange(N), [0, 1], indexing="ij"))
    rows.append(pool_rows[e3, k3])
    cols.append(f_idx(d3, k3, 2 * e3 + s3))
    vals.append(np.ones(d3.size))
    if discard:
        rows.append(pool_rows[ee, kk2])
        cols.append(o_w + ee * N + kk2)
        vals.append(np.ones(ee.size))
    n_eq = n_cons + E * N
    a_eq = coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_eq, nvar)).tocsr()
    b_eq = np.zeros(n_eq)
    b_eq[pool_rows.ravel()] = (g.rate[:, None] * dt[None, :]).ravel() / unit
    # inequalities: node store limits at each step's end and, where satellite key arrives, its start
    ur: list[int] = []
    uc: list[int] = []
    uv: list[float] = []
    ub: list[float] = []
    start_rows: list[tuple[int, list[int], int]] = []
    level_rows: list[tuple[int, int, int]] = []
    inc: dict[str, list[int]] = {v: [] for v in g.nodes}
    for e, (u, v) in enumerate(g.edges):
        inc[u].append(e)
        inc[v].append(e)
    r = 0
    for v, capv in sorted(g.cap.items()):
        es = inc[v]
        if not es:
            continue
        for k in range(N):
            for e in es:
                ur.append(r)
                uc.append(o_s + e * N + k)
                uv.append(1.0)
            ub.append(capv / unit)
            r += 1
        for k in range(1, N):
            if not any(g.satdep[e, k] > 0 for e in es):
                continue
            for e in es:
                ur += [r, r]
                uc += [o_s + e * N + k - 1, o_w + e * N + k]
                uv += [1.0, -1.0]
            start_rows.append((r, es, k))
            ub.append(capv / unit)
            r += 1
    capped = sorted({e for v in g.cap for e in inc[v]})
    for e in capped:
        for k in range(1, N):
            if g.satdep[e, k] > 0:
                ur += [r, r]
                uc += [o_s + e * N + k - 1, o_w + e * N + k]
                uv += [-1.0, 1.0]
                level_rows.append((r, e, k))
                ub.append(0.0)
                r += 1
    a_ub = coo_matrix((uv, (ur, uc)), shape=(r, nvar)).tocsr() if r else None
    bounds = np.zeros((nvar, 2))
    bounds[:, 1] = np.inf
    bounds[o_y:o_y + n_y, 1] = np.array([x.rate_bps for x in demands])[dd] * dt[kk] / unit
    # objective (minimised): served bits weighted for earliness; flows and discards cost a little
    c = np.full(nvar, _FLOW_COST)
    c[o_s:o_s + n_s] = 0.0
    mid = (g.t[:-1] + g.t[1:]) / 2.0
    c[o_y:o_y + n_y] = -(1.0 + _EARLY * (horizon - mid[kk]) / horizon)
    return _LP(g, list(demands), c, a_eq, b_eq, a_ub, np.array(ub, float), bounds, n_f, n_y, n_s, n_w,
               pool_rows, start_rows, level_rows, lifetime_s, unit)


@dataclass(frozen=True)
class PoolTimeline:
    """One solved timeline (one weather draw, or the replay of expected key): the grid, each
    demand's served bits per step, each node's store and each demand's store at the grid's
    times, and the per-demand figures."""

    start: datetime
    times_s: np.ndarray  # (N+1,) s from start
    served_bits: np.ndarray  # (D, N)
    node_store_bits: dict[str, np.ndarray]  # node -> (N+1,) key held (its links' pools) at each grid time, before its deposits
    demand_store_bits: np.ndarray  # (D, N+1) likewise, the demand's store
    node_store_start_bits: dict[str, np.ndarray]  # node -> (N,) at each step's start, after its deposits
    demand_store_start_bits: np.ndarray  # (D, N) likewise
    demands: list[AppDemand]
    figures: list[dict[str, Any]]  # per demand: see DemandPools
    status: str
    objective: str
    fair_fraction: float | None


def _linprog(c: np.ndarray, a_ub: Any, b_ub: Any, a_eq: Any, b_eq: np.ndarray, bounds: np.ndarray) -> Any:
    """HiGHS (dual simplex first; its interior point where the simplex stalls on a degenerate
    model, as it can on long horizons)."""
    from scipy.optimize import linprog

    res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs-ds")
    if res.status != 0:
        res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs-ipm")
    return res


def _solve(lp: _LP, satdep: np.ndarray, objective: str) -> tuple[np.ndarray, float | None, str]:
    g = lp.g
    raw, satdep = satdep, satdep / lp.unit
    b_eq = lp.b_eq_fixed.copy()
    b_eq[lp.pool_rows.ravel()] += satdep.ravel()
    b_ub = lp.b_ub_fixed.copy()
    for r, es, k in lp.start_rows:
        b_ub[r] -= float(satdep[es, k].sum())
    for r, e, k in lp.level_rows:
        b_ub[r] += float(satdep[e, k])
    bounds = lp.bounds.copy()
    if lp.lifetime_s is not None:
        win = _window_deposits(_Graph(g.nodes, g.edges, g.kinds, g.rate, g.t, raw, g.cap), lp.lifetime_s)
        o_s = lp.n_f + lp.n_y
        bounds[o_s:o_s + lp.n_s, 1] = np.maximum(win.ravel() / lp.unit, 0.0) * (1 + 1e-12) + 1e-15
    D, N = len(lp.demands), len(g.t) - 1
    o_y = lp.n_f
    fair = None
    a_ub, c = lp.a_ub, lp.c
    if objective == "fair" and D > 1:
        from scipy.sparse import coo_matrix, csr_matrix, hstack, vstack

        nvar = lp.c.size
        total = np.array([x.rate_bps for x in lp.demands]) * g.t[-1] / lp.unit
        # z * R_d - sum_k y[d, k] <= 0; maximise z in [0, 1]
        rr = np.repeat(np.arange(D), N)
        cc = o_y + np.arange(D * N)
        rows_y = coo_matrix((-np.ones(D * N), (rr, cc)), shape=(D, nvar)).tocsr()
        zcol = csr_matrix(total[:, None])
        a1 = hstack([rows_y, zcol]).tocsr()
        if a_ub is not None:
            a1 = vstack([hstack([a_ub, csr_matrix((a_ub.shape[0], 1))]), a1]).tocsr()
        b1 = np.concatenate([b_ub, np.zeros(D)])
        c1 = np.zeros(nvar + 1)
        c1[-1] = -1.0
        res = _linprog(
            c1, a1, b1, hstack([lp.a_eq, csr_matrix((lp.a_eq.shape[0], 1))]).tocsr(), b_eq,
            np.vstack([bounds, [[0.0, 1.0]]]),
        )
        if res.status != 0:
            raise InputError(f"the pool timeline's fairness stage did not solve: {res.message}")
        fair = float(res.x[-1])
        floor = max(fair * (1 - 1e-7) - 1e-12, 0.0)
        a_ub = rows_y if a_ub is None else vstack([a_ub, rows_y]).tocsr()
        b_ub = np.concatenate([b_ub, -floor * total])
    res = _linprog(c, a_ub, b_ub if a_ub is not None else None, lp.a_eq, b_eq, bounds)
    if res.status != 0:
        raise InputError(f"the pool timeline did not solve: {res.message}")
    if objective == "fair" and D == 1:
        fair = float(res.x[o_y:o_y + N].sum() * lp.unit / (lp.demands[0].rate_bps * g.t[-1]))
    return np.asarray(res.x) * lp.unit, fair, "optimal"


# ---------------------------------------------------------------------------------------------
# Cuts: stores and the storage that would have avoided every outage


@dataclass
class _Cuts:
    """The s-t cuts of the ground nodes, each satellite put on its cheaper side: satellites
    touch only ground nodes, so given the ground nodes' sides each satellite's best side is
    chosen alone, and a minimum cut is the least over the ground cuts of the ground links
    crossed plus, for every satellite, the smaller of its links to either side."""

    ground: np.ndarray  # (C, E) float: 1 where a ground link crosses the ground cut
    to_t: np.ndarray  # (C, E) float: satellite links whose ground end is on the target side
    to_s: np.ndarray  # (C, E) float: satellite links whose ground end is on the source side
    member: np.ndarray  # (E, S) float: satellite link -> its satellite

    def min_cut(self, x: np.ndarray) -> np.ndarray:
        """Min cut capacity for each column of ``x`` (E, M): link capacities at M times, or
        (E, P) key over P intervals."""
        best = np.full(x.shape[1], np.inf)
        for c in range(self.ground.shape[0]):
            val = self.ground[c] @ x
            if self.member.shape[1]:
                a = self.member.T @ (self.to_t[c][:, None] * x)  # satellite on the source side
                b = self.member.T @ (self.to_s[c][:, None] * x)  # ... on the target side
                val = val + np.minimum(a, b).sum(axis=0)
            best = np.minimum(best, val)
        return best


def _cut_matrix(g: _Graph, s: str, t: str) -> _Cuts | None:
    """The cuts between ``s`` and ``t`` (None past :data:`MAX_CUT_NODES` free ground nodes)."""
    sats = sorted({v for e in g.edges for v in e if v.startswith("sat:")})
    free = [v for v in g.nodes if v not in (s, t) and not v.startswith("sat:")]
    if len(free) > MAX_CUT_NODES:
        return None
    n = 1 << len(free)
    masks = np.arange(n)
    side = {s: np.ones(n, bool), t: np.zeros(n, bool)}
    for i, v in enumerate(free):
        side[v] = (masks >> i) & 1 == 1
    E = len(g.edges)
    ground = np.zeros((n, E))
    to_t = np.zeros((n, E))
    to_s = np.zeros((n, E))
    member = np.zeros((E, len(sats)))
    for e, (u, v) in enumerate(g.edges):
        su, sv = u.startswith("sat:"), v.startswith("sat:")
        if su or sv:
            node, sat = (v, u) if su else (u, v)
            member[e, sats.index(sat)] = 1.0
            to_t[:, e] = ~side[node]
            to_s[:, e] = side[node]
        else:
            ground[:, e] = side[u] != side[v]
    if s.startswith("sat:") or t.startswith("sat:"):
        return None  # demands join ground nodes; never reached
    return _Cuts(ground, to_t, to_s, member)


def _reserve(g: _Graph, cuts: _Cuts | None, levels: np.ndarray, s: str, t: str) -> np.ndarray:
    """Max flow s-t through the pools' ``levels`` (E, M) at M times: the min cut."""
    if not len(g.edges):
        return np.zeros(levels.shape[1])
    if cuts is not None:
        return cuts.min_cut(levels)
    from .network import max_flow

    out = np.empty(levels.shape[1])
    for j in range(levels.shape[1]):
        out[j] = max_flow({e: float(levels[i, j]) for i, e in enumerate(g.edges)}, s, t)[0]
    return out


def _storage_needed(
    g: _Graph, cuts: _Cuts | None, satdep: np.ndarray, rate: float, first: int | None
) -> float | None:
    """max over grid intervals (t_i, t_j], t_i from the grid time ``first`` (the first key) on,
    of rate x (t_j - t_i) minus the max flow of the key arriving after t_i and usable before
    t_j: the store the demand must hold at t_i (what it could draw at once, as the lowest
    store) to be served without outage through t_j; None without a first key or past
    :data:`MAX_CUT_NODES`."""
    if cuts is None or first is None:
        return None
    cum = np.zeros((len(g.edges), len(g.t)))
    # G(t_m): the deposits of steps before m (a satellite deposit arrives at its step's start);
    # the key arriving after t_i and usable before t_j is G(t_j) - G(t_i) less the deposits at
    # t_i itself (those are already in the store at t_i: part of what it must hold)
    cum[:, 1:] = np.cumsum(g.rate[:, None] * g.dt[None, :] + satdep, axis=1)
    held = cum.copy()
    held[:, :-1] += satdep
    n = len(g.t)
    i, j = np.triu_indices(n, k=1)
    keep = i >= first
    i, j = i[keep], j[keep]
    worst = 0.0
    for lo in range(0, i.size, 100_000):  # in blocks: (E, pairs) stays small
        ii, jj = i[lo:lo + 100_000], j[lo:lo + 100_000]
        flow = cuts.min_cut(cum[:, jj] - held[:, ii]) if len(g.edges) else np.zeros(ii.size)
        worst = max(worst, float(np.max(rate * (g.t[jj] - g.t[ii]) - flow, initial=0.0)))
    return worst


def _figures(
    g: _Graph, demands: Sequence[AppDemand], x: np.ndarray, lp: _LP, satdep: np.ndarray,
    cuts: Sequence[_Cuts | None],
) -> tuple[
    np.ndarray, tuple[np.ndarray, np.ndarray], tuple[dict[str, np.ndarray], dict[str, np.ndarray]], list[dict[str, Any]]
]:
    E, N, D = len(g.edges), len(g.t) - 1, len(demands)
    y = x[lp.n_f:lp.n_f + lp.n_y].reshape(D, N)
    y = np.clip(y, 0.0, None)
    levels = np.zeros((E, N + 1))
    levels[:, 1:] = np.clip(x[lp.n_f + lp.n_y:lp.n_f + lp.n_y + lp.n_s].reshape(E, N), 0.0, None)
    # each step's start, after its satellite deposits and discards (the LP's discards of a step
    # are all counted at its start here)
    w = x[lp.n_f + lp.n_y + lp.n_s:].reshape(E, N) if lp.n_w else np.zeros((E, N))
    begin = np.clip(levels[:, :-1] + satdep - w, 0.0, None)
    node_store: dict[str, np.ndarray] = {v: np.zeros(N + 1) for v in g.nodes}
    node_begin: dict[str, np.ndarray] = {v: np.zeros(N) for v in g.nodes}
    for e, (u, v) in enumerate(g.edges):
        for end_ in (u, v):
            node_store[end_] = node_store[end_] + levels[e]
            node_begin[end_] = node_begin[end_] + begin[e]
    dt = g.dt
    horizon = g.t[-1]
    stores = np.zeros((D, N + 1))
    stores_begin = np.zeros((D, N))
    figs = []
    for i, d in enumerate(demands):
        want = d.rate_bps * dt
        served = y[i]
        both = _reserve(g, cuts[i], np.concatenate([levels, begin], axis=1), d.a, d.b)
        stores[i], stores_begin[i] = both[:N + 1], both[N + 1:]
        short = served < want * (1 - 1e-6) - 1e-6
        first = np.nonzero(served > max(1e-6, 1e-9 * d.rate_bps))[0]
        longest = run = 0.0
        for k in range(N):
            if not short[k]:
                run = 0.0
                continue
            gap = (1.0 - served[k] / want[k]) * dt[k]
            run = run + gap if served[k] <= 1e-6 else gap  # a step served in part runs dry at its end
            longest = max(longest, run)
        figs.append({
            "served_bits": float(served.sum()),
            "demand_bits": float(d.rate_bps * horizon),
            "fraction_served": float(min(served.sum() / (d.rate_bps * horizon), 1.0)),
            "first_key_s": None if not first.size else float(g.t[first[0]]),
            "longest_outage_s": float(longest),
            "outage_s": float(((1.0 - served / want) * dt)[short].sum()),
            "lowest_store_bits": None if not first.size else float(stores[i, first[0] + 1:].min()),
            "storage_to_avoid_outages_bits": _storage_needed(
                g, cuts[i], satdep, d.rate_bps, int(first[0]) if first.size else None
            ),
        })
    return y, (stores, stores_begin), (node_store, node_begin), figs


def check_pool_options(
    net: Network, demands: Sequence[AppDemand], start: datetime, end: datetime, *,
    storage_bits: float | Mapping[str, float] | None, satellite_storage_bits: float | None,
    lifetime_s: float | None = None, objective: str = "fair", weather_trials: int = 0,
) -> None:
    """Refuse out-of-range options of :func:`key_pools` before any work (each error starts with
    the parameter's name)."""
    from .draws import MAX_WEATHER_TRIALS

    if isinstance(weather_trials, bool) or not isinstance(weather_trials, int) or not 0 <= weather_trials <= MAX_WEATHER_TRIALS:
        raise InputError(f"weather_trials {weather_trials}: give 0 to {MAX_WEATHER_TRIALS} trials")
    if start.tzinfo is None or end.tzinfo is None:
        raise InputError("start and end need a time zone (e.g. UTC)")
    if not end > start:
        raise InputError(f"end {end.isoformat()} is not after start {start.isoformat()}; give a later end")
    if objective not in OBJECTIVES:
        raise UnknownNameError("objective", objective, OBJECTIVES)
    if not demands:
        raise InputError("demands: give at least one demand (A:B=RATE_BPS, or a demand file)")
    labels = [d.label for d in demands]
    for d in demands:
        for end_ in (d.a, d.b):
            if end_ not in net.nodes:
                raise UnknownNameError("node", end_, net.nodes, where=f"demand {d.label}")
        if labels.count(d.label) > 1:
            raise InputError(f"demands: two demands are called {d.label!r}; give each a different name")
    caps: list[tuple[str, Any]] = [("satellite_storage_bits", satellite_storage_bits)]
    if isinstance(storage_bits, Mapping):
        for k, v in storage_bits.items():
            if k not in net.nodes:
                raise UnknownNameError("node", str(k), net.nodes, where="storage_bits")
            caps.append((f"storage_bits[{k}]", v))
    else:
        caps.append(("storage_bits", storage_bits))
    for name, v in caps:
        if v is not None and not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
            raise InputError(f"{name} {v!r}: give zero or more bits (a finite number), or none for no limit")
    if lifetime_s is not None and not (math.isfinite(lifetime_s) and lifetime_s > 0):
        raise InputError(f"lifetime_s {lifetime_s!r}: give a positive number of seconds, or none for no expiry")


def pool_timeline(
    network: Network | str | Path,
    demands: Sequence[AppDemand],
    start: datetime,
    end: datetime,
    deposits: Sequence[Deposit] = (),
    *,
    storage_bits: float | Mapping[str, float] | None = None,
    satellite_storage_bits: float | None = None,
    lifetime_s: float | None = None,
    objective: str = "fair",
    draws: np.ndarray | None = None,
) -> list[PoolTimeline]:
    """The key pools of ``network`` from ``start`` to ``end`` with satellite ``deposits`` (each
    in its pool from ``at``), drained by ``demands``: one :class:`PoolTimeline` per row of
    ``draws`` (``(trials, len(deposits))`` factors on each deposit's bits, e.g. 1 clear, 0
    cloudy), or one for the deposits as given. One linear programme per distinct row."""
    net = network if isinstance(network, Network) else load_network(network)
    check_pool_options(net, demands, start, end, storage_bits=storage_bits, satellite_storage_bits=satellite_storage_bits,
                   lifetime_s=lifetime_s, objective=objective)
    g = _graph(net, deposits, start, end, storage_bits, satellite_storage_bits, lifetime_s)
    lp = _build(g, demands, lifetime_s)
    cuts = [_cut_matrix(g, d.a, d.b) for d in demands]
    # each deposit's column in the graph's satdep (same rule as _graph): to scale by a draw
    keep = [d.station in net.stations and 0 <= (d.at - start).total_seconds() < g.t[-1] and d.bits > 0 for d in deposits]
    kept = [d for d, k in zip(deposits, keep, strict=True) if k]
    place = np.zeros((g.satdep.size, len(kept)))
    if kept:
        edge_of = {e: i for i, e in enumerate(g.edges)}
        for j, d in enumerate(kept):
            node, sat = net.stations[d.station], f"sat:{d.satellite}"
            e = edge_of[(node, sat) if node <= sat else (sat, node)]
            at = (d.at - start).total_seconds()
            k = min(int(np.searchsorted(g.t, at + 1e-6, side="right")) - 1, len(g.t) - 2)
            place[e * (len(g.t) - 1) + k, j] = d.bits
    factors = np.ones((1, len(deposits))) if draws is None else np.asarray(draws, float)
    if factors.ndim != 2 or factors.shape[1] != len(deposits):
        raise InputError(f"draws: give one row per trial and one column per deposit ({len(deposits)})")
    fk = factors[:, np.array(keep, bool)] if len(deposits) else factors
    memo: dict[bytes, PoolTimeline] = {}
    out = []
    N = len(g.t) - 1
    for row in fk:
        sig = np.ascontiguousarray(row).tobytes()
        if sig not in memo:
            satdep = (place @ row).reshape(len(g.edges), N) if kept else np.zeros((len(g.edges), N))
            x, fair, status = _solve(lp, satdep, objective)
            y, stores, node_store, figs = _figures(g, demands, x, lp, satdep, cuts)
            memo[sig] = PoolTimeline(start, g.t.copy(), y, node_store[0], stores[0], node_store[1], stores[1],
                                     list(demands), figs, status, objective, fair)
        out.append(memo[sig])
    return out


# ---------------------------------------------------------------------------------------------
# The document


_FIGURES = (
    ("fraction_served", "share of the demand's horizon total served"),
    ("first_key_s", "seconds from the start to the first key served (over draws: the horizon when never)"),
    ("longest_outage_s", "longest run without enough key, s"),
    ("lowest_store_bits", "smallest key the pair could share at once from the pools, from its first key on "
     "(over draws: those with a key), bits"),
    ("storage_to_avoid_outages_bits", "store that would have avoided every outage from the first key on (demand "
     "alone): max over intervals of the demand minus the max flow of the key arriving after their start, bits"),
)


@dataclass(frozen=True)
class DemandPools:
    """One demand's figures: the replay of expected key (each link its expected key) and the
    weather draws' mean, P10, P50 and P90 of each figure."""

    demand: AppDemand
    static_max_flow_bits: float  # the upper bound: network_key's max flow of the horizon's totals
    expectation_replay: dict[str, Any]
    draws: dict[str, dict[str, float | None]]  # figure -> mean/p10/p50/p90
    never_served_share: float | None  # share of draws with no key at all

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.demand.to_dict(),
            "static_max_flow_bits": round(self.static_max_flow_bits, 1),
            "expectation_replay": {k: _round(k, v) for k, v in self.expectation_replay.items()},
            **({"weather": {**{k: {s: _round(k, x) for s, x in v.items()} for k, v in self.draws.items()},
                            "never_served_share": self.never_served_share}} if self.draws else {}),
        }


def _round(key: str, v: Any) -> Any:
    if v is None or not isinstance(v, float):
        return v
    return round(v, 4) if key.startswith("fraction") or key.endswith("share") else round(v, 1)


@dataclass(frozen=True)
class KeyPools:
    """Key pools over time (:func:`key_pools`): per demand its figures, the timeline of the
    replay of expected key (for the plot), the objective, limits and weather settings."""

    network: str
    start: datetime
    end: datetime
    demands: list[DemandPools]
    timeline: PoolTimeline
    objective: str
    storage_bits: float | Mapping[str, float] | None
    satellite_storage_bits: float | None
    lifetime_s: float | None
    weather_trials: int
    seed: int
    steps: int
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    #: the satellite links' deposits (each link's clear-sky key at its end; the replay scales
    #: them by the clear-sky probability): to replay them with :func:`pool_timeline`
    deposits: list[Deposit] = field(default_factory=list)
    expected_factors: list[float] = field(default_factory=list)  # expected / clear-sky key of each

    def to_records(self) -> list[dict[str, Any]]:
        """One record per demand: the replay of expected key's figures and the draws' P50."""
        out = []
        for dp in self.demands:
            rec: dict[str, Any] = {"demand": dp.demand.label, "a": dp.demand.a, "b": dp.demand.b,
                                   "rate_bps": dp.demand.rate_bps,
                                   "static_max_flow_bits": round(dp.static_max_flow_bits, 1)}
            for k, _ in _FIGURES:
                rec[k] = _round(k, dp.expectation_replay.get(k))
            for k, _ in _FIGURES:
                if dp.draws:
                    for s in ("mean", "p10", "p50", "p90"):
                        rec[f"{k}_{s}"] = _round(k, dp.draws[k][s])
            out.append(rec)
        return out

    def objective_text(self) -> str:
        return {
            "fair": "max-min fraction served over the demands, then the most bits served; earliest service breaks ties",
            "total": "the most bits served over all demands; earliest service breaks ties",
        }[self.objective]

    def to_dict(self) -> dict[str, Any]:
        tl = self.timeline
        return {
            "network": self.network,
            "start_utc": iso_z(self.start),
            "end_utc": iso_z(self.end),
            "objective": self.objective,
            "objective_text": self.objective_text(),
            "fair_fraction": None if tl.fair_fraction is None else round(tl.fair_fraction, 6),
            "storage_bits": self.storage_bits if not isinstance(self.storage_bits, Mapping) else dict(self.storage_bits),
            "satellite_storage_bits": self.satellite_storage_bits,
            "lifetime_s": self.lifetime_s,
            "weather_trials": self.weather_trials,
            "seed": self.seed,
            "steps": self.steps,
            "figures": dict(_FIGURES),
            "demands": [d.to_dict() for d in self.demands],
            "timeline": self.timeline_records(),
        }

    def timeline_records(self) -> list[dict[str, Any]]:
        """The replay of expected key step by step: each step's start and end, the rate each
        demand was served over it, and each node's and each demand's store at the step's start
        (after the key arriving then) and at its end (``[start, end]``)."""
        tl = self.timeline
        out = []
        t = tl.times_s
        for k in range(len(t) - 1):
            dt = float(t[k + 1] - t[k])
            out.append({
                "start_utc": iso_z(self.start + timedelta(seconds=float(t[k]))),
                "end_utc": iso_z(self.start + timedelta(seconds=float(t[k + 1]))),
                "served_bps": {d.label: round(float(tl.served_bits[i, k] / dt), 3) for i, d in enumerate(tl.demands)},
                "demand_store_bits": {
                    d.label: [round(float(tl.demand_store_start_bits[i, k]), 1), round(float(tl.demand_store_bits[i, k + 1]), 1)]
                    for i, d in enumerate(tl.demands)
                },
                "node_store_bits": {
                    v: [round(float(tl.node_store_start_bits[v][k]), 1), round(float(s[k + 1]), 1)]
                    for v, s in sorted(tl.node_store_bits.items())
                },
            })
        return out

    def to_json(self) -> str:
        """The JSON document ``passplan pools --format json`` prints (:meth:`to_dict`)."""
        from ..io import to_json

        return to_json(self.to_dict())


def _summary(timelines: Sequence[PoolTimeline], i: int, horizon: float) -> tuple[dict[str, dict[str, float | None]], float]:
    out: dict[str, dict[str, float | None]] = {}
    for k, _ in _FIGURES:
        vals = [tl.figures[i][k] for tl in timelines]
        if k == "first_key_s":
            vals = [horizon if v is None else v for v in vals]
        vals = [v for v in vals if v is not None]  # the store figures: over the draws with a key
        if not vals:
            out[k] = {"mean": None, "p10": None, "p50": None, "p90": None}
            continue
        v = np.asarray(vals, float)
        p10, p50, p90 = np.percentile(v, [10, 50, 90])
        out[k] = {"mean": float(v.mean()), "p10": float(p10), "p50": float(p50), "p90": float(p90)}
    never = float(np.mean([tl.figures[i]["first_key_s"] is None for tl in timelines]))
    return out, never


def key_pools(
    network: Network | str | Path,
    demands: Sequence[AppDemand],
    satellites: Sequence[Any],
    stations: Sequence[Any],
    start: datetime,
    end: datetime,
    constraints: Any = None,
    *,
    profile: str | None = None,
    protocol: str | None = None,
    storage_bits: float | Mapping[str, float] | None = None,
    satellite_storage_bits: float | None = None,
    lifetime_s: float | None = None,
    objective: str = "fair",
    weather_trials: int = DEFAULT_POOL_DRAWS,
    seed: int = 0,
    tick: Callable[[int, int, str], None] | None = None,
) -> KeyPools:
    """Key pools of an integrated ``network`` (a :class:`~passplan.schedule.network.Network`, a
    TOML path or a bundled network's name) from ``start`` to ``end``, drained by ``demands``.

    The satellite links are scheduled as :func:`~passplan.schedule.run.network_key` schedules
    them (the links of ``satellites`` with the network's stations, records in ``stations``, for
    relaying between every pair of stations some satellite passes over); each link's key enters
    its pool at the link's end. The timeline (:func:`pool_timeline`, the module docstring states
    the model and the objective) is solved for the replay of expected key and, with
    ``weather_trials`` > 0, for that many seeded, correlated weather draws (``seed``;
    :func:`passplan.weather.clear_draws`: a link gives its clear-sky key on a clear night and
    none on a cloudy one). Each demand's ``static_max_flow_bits`` is the upper bound: the
    network's maximum flow of the horizon's expected totals (:func:`~passplan.schedule.network.end_to_end`)."""
    from ..weather import clear_draws
    from .network import flow_value, pools_from_links
    from .relay import satellite_labels
    from .run import network_links

    net = network if isinstance(network, Network) else load_network(network)
    check_pool_options(net, demands, start, end, storage_bits=storage_bits, satellite_storage_bits=satellite_storage_bits,
                       lifetime_s=lifetime_s, objective=objective, weather_trials=weather_trials)
    t0 = _time.perf_counter()
    by_id = {s.id: s for s in stations}
    links, warnings = network_links(net, satellites, stations, start, end, constraints, profile=profile,
                                    protocol=protocol, tick=tick)
    t1 = _time.perf_counter()
    keys = [(c.satellite, str(getattr(c, "satellite_id", "") or "")) for c in links]
    label = satellite_labels(keys)
    deposits = [Deposit(c.station, label[k], c.end, float(c.key_bits)) for c, k in zip(links, keys, strict=True)]
    expected = np.array([[c.expected_key_bits / c.key_bits if c.key_bits > 0 else 0.0 for c in links]])
    opts: dict[str, Any] = {"storage_bits": storage_bits, "satellite_storage_bits": satellite_storage_bits,
                            "lifetime_s": lifetime_s, "objective": objective}
    replay = pool_timeline(net, demands, start, end, deposits, draws=expected, **opts)[0]
    drawn: list[PoolTimeline] = []
    if weather_trials:
        clear = clear_draws([(c.station, c.start) for c in links], by_id, trials=weather_trials, seed=seed)
        drawn = pool_timeline(net, demands, start, end, deposits, draws=clear.astype(float), **opts)
    t2 = _time.perf_counter()
    horizon = (end - start).total_seconds()
    pools = pools_from_links(links)
    out = []
    for i, d in enumerate(demands):
        bound = flow_value(net, d.a, d.b, horizon, pools)
        summ, never = _summary(drawn, i, horizon) if drawn else ({}, None)
        out.append(DemandPools(d, bound, replay.figures[i], summ, never))
    n_steps = len(replay.times_s) - 1
    return KeyPools(net.name, start, end, out, replay, objective, storage_bits, satellite_storage_bits, lifetime_s,
                    weather_trials, seed, n_steps, warnings, {"passes_and_plan": t1 - t0, "pools": t2 - t1},
                    deposits, [float(x) for x in expected[0]])
