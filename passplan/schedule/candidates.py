"""Candidates from forecast passes: whole passes, and hand-over sub-windows where one satellite
sees two stations at once.

Each candidate carries its own finite-key value from the real forecast chain: a sub-window's key
is the finite-key BB84 estimate over the pass's own per-slot channel (transmittance and
background from the link budget) restricted to the slots inside the sub-window, so a sub-window
yields less than its share of the pass: the statistical corrections grow as the block shrinks. The whole pass's
optimiser may itself choose any sub-window as its key window, so a sub-window is worth at most
the whole pass; its value is capped there, which guards against an optimiser that stops short.

The sub-windows of a pass are estimated together (:func:`subwindow_keys`): with the protocol's
settings fixed (``optimise`` false) a window's counts are the sums of the chain's per-slot counts
over its slots (:func:`passplan.forecast.chain.slot_counts_of`), so running totals (cumulative
sums) give every window's counts at once and one batched key bound evaluates them all (equal to
:func:`subwindow_key` to float rounding, about 1e-13 relative); with optimised settings the
windows go through the batched optimiser (:func:`passplan.forecast.chain.forecast_window_keys`).

Hand-over: for every pair of passes of one satellite over two stations that overlap in time,
cut points are the overlap's edges and a grid of ``grid_s`` inside it; each pass then offers the
prefix ending at each cut and the suffix starting at each cut. The schedule's satellite
re-pointing gap decides which prefix/suffix pairs fit together.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from ..stations import Station
from .model import Candidate

if TYPE_CHECKING:
    from ..forecast.record import PassForecast
    from ..keyrate.passkey import PassKey

__all__ = [
    "candidates_from_forecasts", "handover_cuts", "satellite_id", "subwindow_key", "subwindow_keys", "MIN_SUBWINDOW_S",
    "MAX_CUTS", "MAX_PASS_S",
]

#: Shortest sub-window offered (s): shorter blocks yield no key with any flown source (assumed).
MIN_SUBWINDOW_S = 30.0
#: Most grid cuts inside one overlap (besides its two edges).
MAX_CUTS = 8
#: Longest pass offered for hand-over by default (s): LEO passes (assumed operating choice).
MAX_PASS_S = 3600.0


def _hms(t: datetime) -> str:
    return f"{t:%Y%m%dT%H%M%S}.{t.microsecond // 1000:03d}Z"


def _clear_sky(stations: Mapping[str, Station] | None, station: str, when: datetime) -> float:
    if stations is None or station not in stations:
        return 1.0
    return stations[station].clear_sky_probability(when.month)


def satellite_id(p: Any) -> str:
    """A pass's satellite identity for the schedule: its catalogue number, ``""`` without one."""
    norad = getattr(p, "norad_id", None)
    return "" if norad is None else str(int(norad))


def handover_cuts(
    passes: Sequence[Any], grid_s: float, max_cuts: int = MAX_CUTS, max_pass_s: float | None = MAX_PASS_S
) -> dict[str, list[datetime]]:
    """Cut times inside each pass (keyed by pass uid) where a hand-over to or from another
    station could happen: the edges of every overlap with a pass of the same satellite over
    another station, and a grid inside each overlap, ``grid_s`` apart but at most ``max_cuts``
    points. Only passes of at most ``max_pass_s`` take part (None: all): LEO passes, where
    hand-over decides a night's key; hours-long MEO and GEO windows would add hundreds of
    sub-windows each."""
    if not grid_s > 0:
        raise InputError(f"hand-over grid {grid_s} s must be positive")
    by_sat: dict[tuple[str, str], list[Any]] = {}  # by identity: one name may be two satellites
    for p in passes:
        if max_pass_s is None or (p.los - p.aos).total_seconds() <= max_pass_s:
            by_sat.setdefault((p.satellite, satellite_id(p)), []).append(p)
    cuts: dict[str, set[datetime]] = {}
    uids: dict[int, str] = {}
    for group in by_sat.values():
        group = sorted(group, key=lambda p: (p.aos, p.station))
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if b.aos >= a.los:
                    break
                if b.station == a.station:
                    continue
                o0, o1 = max(a.aos, b.aos), min(a.los, b.los)
                if o1 <= o0:
                    continue
                points = {o0, o1}
                step = max(grid_s, (o1 - o0).total_seconds() / (max_cuts + 1))
                t = o0 + timedelta(seconds=step)
                while t < o1:
                    points.add(t)
                    t += timedelta(seconds=step)
                # to the millisecond: the candidate uids name cuts to the millisecond
                points = {c.replace(microsecond=c.microsecond // 1000 * 1000) for c in points}
                for p in (a, b):
                    inside = {c for c in points if p.aos < c < p.los}
                    uid = uids.get(id(p)) or uids.setdefault(id(p), p.uid)  # each pass's uid built once
                    cuts.setdefault(uid, set()).update(inside)
    return {k: sorted(v) for k, v in cuts.items()}


def subwindow_key(f: PassForecast, start: datetime, end: datetime) -> PassKey:
    """The finite-key estimate of a forecast pass restricted to its whole slots inside
    ``[start, end]``, with the pass's own protocol: the forecast chain's
    :func:`passplan.forecast.chain.window_key` (the one path from channel to key)."""
    from ..forecast.chain import window_key

    return window_key(f, start, end)


def subwindow_keys(windows: Sequence[tuple[Any, datetime, datetime]]) -> list[float | None]:
    """The key (bits) of many sub-windows ``(forecast, start, end)``: what :func:`subwindow_key`
    gives each, None for a window that holds no whole key slot (where :func:`subwindow_key`
    raises).

    The windows of one forecast are taken together. With the pass's protocol settings fixed
    (``optimise`` false) a window's counts are the sums of the chain's per-slot counts
    (:func:`passplan.forecast.chain.slot_counts_of`) over its slots, so running totals of those
    counts give every window's sums at once, and the key bound
    (:func:`passplan.keyrate.optimise.objective`) runs once over all the windows of one protocol;
    the result equals :func:`subwindow_key` to float rounding (the sums' order differs: about
    1e-13 relative). With optimised settings the windows of all forecasts go through the batched
    optimiser together (:func:`passplan.forecast.chain.forecast_window_keys`; equal to the
    one-window optimiser to its tolerance). Either way a window holding every slot of its pass has the pass's own key
    (the same estimate over the same slots)."""
    from ..forecast.chain import forecast_window_keys, slot_counts_of, window_slot_ranges
    from ..keyrate.counts import Counts
    from ..keyrate.optimise import objective

    out: list[float | None] = [None] * len(windows)
    by_forecast: dict[int, list[int]] = {}
    forecasts: dict[int, Any] = {}
    for k, (f, _, _) in enumerate(windows):
        by_forecast.setdefault(id(f), []).append(k)
        forecasts[id(f)] = f
    # fixed settings: window totals from running totals, gathered per protocol for one key bound
    fixed: dict[Any, tuple[list[int], list[NDArray[np.float64]]]] = {}
    optimised: list[int] = []  # windows for the batched optimiser, all forecasts at once
    for fid, ks in by_forecast.items():
        f = forecasts[fid]
        wins = [(windows[k][1], windows[k][2]) for k in ks]
        ranges = window_slot_ranges(f, wins)
        has = ranges[:, 1] > ranges[:, 0]
        whole = has & (ranges[:, 0] <= 0) & (ranges[:, 1] >= np.size(f.geometry.t_s))
        for k in np.flatnonzero(whole).tolist():  # every slot of the pass: the pass's own estimate
            out[ks[k]] = float(f.key.secret_key_bits)
        has &= ~whole
        if not has.any():
            continue
        ks_in = [k for k, h in zip(ks, has, strict=True) if h]
        if f.protocol_params.optimise:
            optimised.extend(ks_in)
            continue
        counts, pr = slot_counts_of(f)
        i, j = ranges[has, 0], ranges[has, 1]
        sums = []
        for arr in (counts.n_x, counts.n_z, counts.m_x, counts.m_z):  # (intensities, slots)
            run = np.zeros((arr.shape[0], arr.shape[1] + 1))
            np.cumsum(arr, axis=1, out=run[:, 1:])
            sums.append((run[:, j] - run[:, i]).T)  # (windows, intensities)
        got = fixed.setdefault(pr, ([], []))
        got[0].extend(ks_in)
        got[1].append(np.stack(sums))  # (4, windows, intensities)
    if optimised:
        keys = forecast_window_keys([windows[k] for k in optimised])
        for k, key in zip(optimised, keys, strict=True):
            out[k] = float(key.secret_key_bits)
    for pr, (ks, parts) in fixed.items():
        tot = np.concatenate(parts, axis=1)
        bound = objective(Counts(n_x=tot[0], n_z=tot[1], m_x=tot[2], m_z=tot[3]), np.asarray(pr.intensities, float),
                          np.asarray(pr.probabilities, float), pr)
        bits = np.broadcast_to(np.asarray(bound.key, float), (len(ks),))
        for k, b in zip(ks, bits.tolist(), strict=True):
            out[k] = b
    return out


def candidates_from_forecasts(
    forecasts: Sequence[Any],
    *,
    stations: Mapping[str, Station] | None = None,
    min_key_bits: float = 0.0,
    handover: bool = True,
    grid_s: float = 60.0,
    max_pass_s: float | None = MAX_PASS_S,
    key_of: Callable[[Any, datetime, datetime], Any] | None = None,
) -> list[Candidate]:
    """Candidates from :class:`passplan.forecast.PassForecast` records.

    ``key_of(forecast, start, end)`` gives a sub-window's :class:`passplan.keyrate.PassKey`
    (default: :func:`subwindow_keys`, the whole pass's channel restricted to each sub-window,
    all the sub-windows at once; equal to :func:`subwindow_key` of each).
    Passes whose key is zero or below ``min_key_bits`` become candidates with a reason, so the
    schedule reports why they were left out. A pass cut to an instant (AOS equal to LOS: no
    link can run in it, and no candidate has zero duration) offers no candidate.
    """
    if not min_key_bits >= 0:
        raise InputError(f"minimum key {min_key_bits} bits must be zero or more")
    out: list[Candidate] = []
    whole_key: dict[str, float] = {}
    by_uid: dict[str, Any] = {}
    for f in forecasts:
        p = f.pass_
        if not p.los > p.aos:
            continue
        uid = p.uid
        bits = float(f.key.secret_key_bits)
        whole_key[uid] = bits
        by_uid[uid] = f
        reason = None
        if bits <= 0:
            reason = f"no key: {f.key.limiting or 'zero'}"
        elif bits < min_key_bits:
            reason = f"below minimum key ({bits:.3g} < {min_key_bits:.3g} bits)"
        out.append(
            Candidate(
                uid=uid, pass_uid=uid, station=p.station, satellite=p.satellite, start=p.aos, end=p.los,
                key_bits=bits, clear_sky=_clear_sky(stations, p.station, p.aos), pass_start=p.aos,
                pass_end=p.los, reason=reason, satellite_id=satellite_id(p),
            )
        )
    if not handover:
        return out
    cuts = handover_cuts([f.pass_ for f in by_uid.values()], grid_s, max_pass_s=max_pass_s)
    subs: list[tuple[Any, datetime, datetime]] = []
    sub_uid: list[str] = []
    for uid, points in sorted(cuts.items()):
        f = by_uid[uid]
        p = f.pass_
        if whole_key[uid] <= 0:
            continue
        windows = {(p.aos, c) for c in points} | {(c, p.los) for c in points}
        for a, b in sorted(windows):
            if (b - a).total_seconds() >= MIN_SUBWINDOW_S:
                subs.append((f, a, b))
                sub_uid.append(uid)
    if key_of is None:
        sub_bits = subwindow_keys(subs)
    else:
        sub_bits = []
        for f, a, b in subs:
            try:
                sub_bits.append(float(key_of(f, a, b).secret_key_bits))
            except InputError:
                sub_bits.append(None)
    stamp: dict[datetime, str] = {}  # each cut named once
    sky: dict[str, float] = {}  # each pass's clear sky once
    for (f, a, b), uid, got in zip(subs, sub_uid, sub_bits, strict=True):
        p = f.pass_
        if got is None:  # no whole key slot in the window
            continue
        ta = stamp.get(a) or stamp.setdefault(a, _hms(a))
        tb = stamp.get(b) or stamp.setdefault(b, _hms(b))
        clear = sky.get(uid)
        if clear is None:
            clear = sky[uid] = _clear_sky(stations, p.station, p.aos)
        bits = min(got, whole_key[uid])
        reason = None
        if bits <= 0:
            reason = "no key in this sub-window"
        elif bits < min_key_bits:
            reason = f"below minimum key ({bits:.3g} < {min_key_bits:.3g} bits)"
        out.append(
            Candidate(
                uid=f"{uid}/{ta}-{tb}", pass_uid=uid, station=p.station, satellite=p.satellite,
                start=a, end=b, key_bits=bits, clear_sky=clear,
                pass_start=p.aos, pass_end=p.los, handover=True, reason=reason,
                satellite_id=satellite_id(p),
            )
        )
    return out
