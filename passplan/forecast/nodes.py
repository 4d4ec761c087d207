"""The link budget of many passes' slots, evaluated at adaptive nodes, with the signal in the
detectors' dead time.

**One call per profile.** The passes sharing a link profile, protocol and station altitude
(``link_budget`` takes one site altitude) are evaluated together on their concatenated samples.

**Adaptive nodes.** A window's loss and background change slowly except near the horizon, at
dusk and dawn, and across the Moon: evaluating every slot of an hours-long MEO or week-long GEO
window spends most of the time on a flat channel. Each window longer than ``ADAPTIVE_MIN_S``
(an hour: MEO and GEO windows; LEO passes keep every slot) and of more than ``MIN_ADAPTIVE``
slots starts from nodes at most ``FIRST_GAP`` slots apart (and always its first and last slot);
every interval between neighbouring nodes is split at its middle slot, which is evaluated, and
the halves are split again while the middle value differs from the straight line between the
ends by more than ``TOL_DB`` in the total loss or in the background probability (both in dB).
Slots between accepted nodes take the straight line: in dB for the loss terms (so they still sum
to the total, and ``eta`` follows from the total), in logarithm for positive quantities
(background, radiance, r0, ...), linear otherwise; every slot's elevation and range are its own.
Node slots carry the link budget's own values. The key from these series differs from the key
with every slot evaluated by well under the 0.5 % stated for the forecast (measured in
tests/test_forecast_batch.py and bench/bench_forecast.py).

**Dead time.** The detected signal rate that saturates the detectors is
``pulses_per_s * sum_k p_k mu_k * eta_unsat`` (the protocol's source settings; ``eta_unsat`` the
transmittance before saturation, ``eta / saturation_factor``, from a first evaluation at every
``SIGNAL_STRIDE``-th sample, straight-line in log between: the signal only enters through the
saturation factor ``1 / (1 + R tau)``, so an error in it moves the factor by that fraction of
``R tau``: at most 1.4e-4 for a near-zenith Jinan-1 pass with a 10 us dead time)
and is passed to :func:`passplan.link.link_budget` as ``signal_cps`` in the final evaluation. No fixed point is
needed: the transmittance before saturation does not depend on the signal rate, and the
non-paralysable dead-time factor (:func:`passplan.link.detectors.dead_time_factor`) is closed
form in the total rate. With zero dead time the first evaluation is skipped (the signal changes
nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import TYPE_CHECKING, Any

import numpy as np

from ..passes.sampling import SampledPasses

if TYPE_CHECKING:
    from ..link.budget import LinkSeries

__all__ = ["link_series", "signal_rate_cps", "TOL_DB", "FIRST_GAP", "MIN_ADAPTIVE", "ADAPTIVE_MIN_S"]

#: Largest straight-line error accepted between nodes, in the total loss and in the background (dB).
TOL_DB = 0.003
#: Largest first spacing of the nodes (slots).
FIRST_GAP = 32
#: Windows of at most this many slots are evaluated at every slot.
MIN_ADAPTIVE = 64
#: Windows up to this long (s) are evaluated at every slot (LEO passes).
ADAPTIVE_MIN_S = 3600.0
#: The transmittance before saturation (for the signal rate) is evaluated every this many samples.
SIGNAL_STRIDE = 8

_EXACT = ("elevation_deg", "range_m", "valid", "reason")


def signal_rate_cps(protocol: Any, eta_unsaturated: np.ndarray) -> np.ndarray:
    """Detected signal photons per second (all detectors) before saturation: the source's pulse
    rate times its mean photon number ``sum_k p_k mu_k`` times the transmittance."""
    mean_photons = float(np.dot(protocol.probabilities, protocol.intensities))
    return protocol.pulses_per_s * mean_photons * eta_unsaturated


def _budget(prof: Any, proto: Any, s: SampledPasses, rows: np.ndarray, sky: str | None, alt: float) -> Any:
    from ..link.budget import link_budget

    kw = dict(
        elevation_deg=np.clip(s.el_deg[rows], 1e-6, 90.0),
        range_m=s.range_km[rows] * 1000.0,
        sun_elevation_deg=s.sun_el_deg[rows],
        sun_separation_deg=s.sun_sep_deg[rows],
        moon_elevation_deg=s.moon_el_deg[rows],
        moon_separation_deg=s.moon_sep_deg[rows],
        moon_illumination=s.moon_illumination[rows],
        sky=sky,
        site_alt_m=alt,
        slew_rate_rad_s=s.los_rate_rad_s[rows],
    )
    if prof.detector.dead_time_s <= 0 or rows.size == 0:  # no sample (passes shorter than a slot)
        return link_budget(prof, **kw)
    # the transmittance before saturation, from a first evaluation at every SIGNAL_STRIDE-th slot
    # of each pass (and each pass's first and last sample here), straight-line in log between
    k = np.searchsorted(s.start, rows, side="right") - 1
    x = k * 1e7 + s.t_s[rows]  # increasing within a pass; passes never share a segment
    order = np.argsort(x, kind="stable")
    xs, ks = x[order], k[order]
    pick = (rows[order] - s.start[ks]) % SIGNAL_STRIDE == 0  # by slot within its pass: batch-free
    pick[np.r_[True, ks[1:] != ks[:-1]]] = True
    pick[np.r_[ks[1:] != ks[:-1], True]] = True
    sub = order[pick]
    first = link_budget(prof, **{n: (v[sub] if isinstance(v, np.ndarray) else v) for n, v in kw.items()})
    sat = first.saturation_factor
    ok = first.valid & np.isfinite(sat) & (sat > 0)
    unsat = np.where(ok, first.eta / np.where(ok, sat, 1.0), 0.0)
    log_unsat = np.interp(xs, xs[pick], np.log(np.maximum(unsat, 1e-300)))
    eta_unsat = np.empty(rows.size)
    eta_unsat[order] = np.exp(log_unsat)
    return link_budget(prof, **kw, signal_cps=signal_rate_cps(proto, eta_unsat))


def _check_db(link: Any) -> np.ndarray:
    """(2, n) the quantities whose straight-line error decides a split (dB)."""
    loss = np.nan_to_num(np.asarray(link.total_loss_db, float), nan=0.0, posinf=400.0)
    bg = np.asarray(link.background_prob_per_gate_per_detector, float)
    bg_db = 10.0 * np.log10(np.clip(np.nan_to_num(bg, nan=1e-300), 1e-300, None))
    return np.stack([loss, bg_db])


def _nodes_for(n: int, adaptive: bool) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """First nodes (local slot indices) and the intervals to test."""
    if not adaptive or n <= MIN_ADAPTIVE:
        return np.arange(n), []
    gaps = int(np.ceil((n - 1) / FIRST_GAP))
    first = np.unique(np.round(np.linspace(0, n - 1, gaps + 1)).astype(int))
    return first, [(int(a), int(b)) for a, b in zip(first[:-1], first[1:], strict=True) if b - a > 1]


class _Group:
    """The slots of the passes sharing a profile, protocol and site altitude."""

    def __init__(self, members: list[int], s: SampledPasses):
        self.members = members
        self.rows = np.concatenate([np.arange(s.start[k], s.start[k + 1]) for k in members])
        self.offset = {}
        pos = 0
        for k in members:
            self.offset[k] = pos
            pos += int(s.start[k + 1] - s.start[k])
        self.size = pos
        self.have = np.zeros(pos, bool)
        self.values: dict[str, np.ndarray] = {}
        self.scalars: dict[str, Any] = {}

    def store(self, at: np.ndarray, link: Any) -> None:
        for f in fields(link):
            v = getattr(link, f.name)
            if isinstance(v, np.ndarray):
                if f.name not in self.values:
                    self.values[f.name] = np.zeros(self.size, dtype=v.dtype)
                self.values[f.name][at] = v
            else:
                self.scalars[f.name] = v
        self.have[at] = True


def link_series(s: SampledPasses, profiles: Sequence[Any], protocols: Sequence[Any], sky: str | None,
                adaptive: bool = True) -> list[LinkSeries]:
    """The :class:`passplan.link.LinkSeries` of every pass of ``s`` (one per pass, one sample
    per slot), ``profiles[k]`` and ``protocols[k]`` those of pass ``k`` (module docstring)."""
    groups: dict[tuple[int, int, float], list[int]] = {}
    for k, p in enumerate(s.passes):
        alt = float(p.station_ref.alt_m) if p.station_ref is not None else 0.0
        groups.setdefault((id(profiles[k]), id(protocols[k]), alt), []).append(k)
    out: list[Any] = [None] * len(s.passes)  # one LinkSeries per pass, filled group by group
    for (_, _, alt), members in groups.items():
        g = _Group(members, s)
        prof, proto = profiles[members[0]], protocols[members[0]]
        todo_nodes, intervals = [], []
        for k in members:
            n = int(s.start[k + 1] - s.start[k])
            long = s.passes[k].duration_s > ADAPTIVE_MIN_S
            first, iv = _nodes_for(n, adaptive and long)
            todo_nodes.append(g.offset[k] + first)
            intervals += [(g.offset[k] + a, g.offset[k] + b) for a, b in iv]
        at = np.concatenate(todo_nodes)
        g.store(at, _budget(prof, proto, s, g.rows[at], sky, alt))
        while intervals:
            span = np.array(intervals)
            mid = (span[:, 0] + span[:, 1]) // 2
            g.store(mid, _budget(prof, proto, s, g.rows[mid], sky, alt))
            link_like = _view(g, np.concatenate([span[:, 0], mid, span[:, 1]]))
            chk = _check_db(link_like).reshape(2, 3, -1)
            w = (mid - span[:, 0]) / (span[:, 1] - span[:, 0])
            line = chk[:, 0] + w * (chk[:, 2] - chk[:, 0])
            split = np.any(np.abs(chk[:, 1] - line) > TOL_DB, axis=0)
            nxt = []
            for (a, b), m in zip(span[split].tolist(), mid[split].tolist(), strict=True):
                if m - a > 1:
                    nxt.append((a, m))
                if b - m > 1:
                    nxt.append((m, b))
            intervals = nxt
        series = _fill(g, s)
        for k in members:
            r = slice(g.offset[k], g.offset[k] + int(s.start[k + 1] - s.start[k]))
            out[k] = _slice(series, r)
    return out


class _Arrays:
    def __init__(self, values: dict[str, np.ndarray]):
        self.__dict__.update(values)


def _view(g: _Group, at: np.ndarray) -> _Arrays:
    return _Arrays({k: v[at] for k, v in g.values.items()})


def _fill(g: _Group, s: SampledPasses) -> dict[str, Any]:
    """Every slot of the group: node values where evaluated, the straight line between."""
    nodes = np.flatnonzero(g.have)
    x = np.arange(g.size)
    out: dict[str, Any] = dict(g.scalars)
    if nodes.size == g.size:
        out.update(g.values)
        return out
    gap = ~g.have
    for name, v in g.values.items():
        if name in _EXACT or name == "eta":
            continue
        full = v.copy()
        if v.dtype.kind == "f":
            nv = v[nodes]
            if np.all(np.isfinite(nv)) and np.all(nv > 0) and not name.endswith("_db"):
                full[gap] = np.exp(np.interp(x[gap], nodes, np.log(nv)))
            else:
                full[gap] = np.interp(x[gap], nodes, nv)
        else:
            left = nodes[np.clip(np.searchsorted(nodes, x[gap], side="right") - 1, 0, nodes.size - 1)]
            full[gap] = v[left]
        out[name] = full
    eta = g.values["eta"].copy()
    eta[gap] = 10.0 ** (-out["total_loss_db"][gap] / 10.0)
    out["eta"] = eta
    el = np.clip(s.el_deg[g.rows], 1e-6, 90.0)
    rng = s.range_km[g.rows] * 1000.0
    out["elevation_deg"] = el
    out["range_m"] = np.where(el > 0, rng, np.nan)
    out["valid"] = el > 0
    out["reason"] = np.where(el > 0, "", "below the horizon").astype(object)
    return out


def _slice(series: dict[str, Any], r: slice) -> LinkSeries:
    from ..link.budget import LinkSeries

    values: dict[str, Any] = {k: (v[r].copy() if isinstance(v, np.ndarray) else v) for k, v in series.items()}
    return LinkSeries(**values)
