"""Candidates from forecast passes: whole passes, and hand-over sub-windows where one satellite
sees two stations at once.

Each candidate carries its own finite-key value from the real forecast chain: a sub-window's key
is the finite-key BB84 estimate over the pass's own per-slot channel (transmittance and
background from the link budget) restricted to the slots inside the sub-window, so a sub-window
yields less than its share of the pass: the statistical corrections grow as the block shrinks. The whole pass's
optimiser may itself choose any sub-window as its key window, so a sub-window is worth at most
the whole pass; its value is capped there, which guards against an optimiser that stops short.

Hand-over: for every pair of passes of one satellite over two stations that overlap in time,
cut points are the overlap's edges and a grid of ``grid_s`` inside it; each pass then offers the
prefix ending at each cut and the suffix starting at each cut. The schedule's satellite
re-pointing gap decides which prefix/suffix pairs fit together.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..stations import Station
from .model import Candidate

if TYPE_CHECKING:
    from ..forecast.record import PassForecast
    from ..keyrate.passkey import PassKey

__all__ = ["candidates_from_forecasts", "handover_cuts", "satellite_id", "subwindow_key", "MIN_SUBWINDOW_S", "MAX_CUTS", "MAX_PASS_S"]

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
                    cuts.setdefault(p.uid, set()).update(inside)
    return {k: sorted(v) for k, v in cuts.items()}


def subwindow_key(f: PassForecast, start: datetime, end: datetime) -> PassKey:
    """The finite-key estimate of a forecast pass restricted to its whole slots inside
    ``[start, end]``, with the pass's own protocol: the forecast chain's
    :func:`passplan.forecast.chain.window_key` (the one path from channel to key)."""
    from ..forecast.chain import window_key

    return window_key(f, start, end)


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
    (default :func:`subwindow_key`: the whole pass's channel restricted to the sub-window).
    Passes whose key is zero or below ``min_key_bits`` become candidates with a reason, so the
    schedule reports why they were left out. A pass cut to an instant (AOS equal to LOS: no
    link can run in it, and no candidate has zero duration) offers no candidate.
    """
    if not min_key_bits >= 0:
        raise InputError(f"minimum key {min_key_bits} bits must be zero or more")
    if key_of is None:
        key_of = subwindow_key

    out: list[Candidate] = []
    whole_key: dict[str, float] = {}
    for f in forecasts:
        p = f.pass_
        if not p.los > p.aos:
            continue
        bits = float(f.key.secret_key_bits)
        whole_key[p.uid] = bits
        reason = None
        if bits <= 0:
            reason = f"no key: {f.key.limiting or 'zero'}"
        elif bits < min_key_bits:
            reason = f"below minimum key ({bits:.3g} < {min_key_bits:.3g} bits)"
        out.append(
            Candidate(
                uid=p.uid, pass_uid=p.uid, station=p.station, satellite=p.satellite, start=p.aos, end=p.los,
                key_bits=bits, clear_sky=_clear_sky(stations, p.station, p.aos), pass_start=p.aos,
                pass_end=p.los, reason=reason, satellite_id=satellite_id(p),
            )
        )
    if not handover:
        return out
    by_uid = {f.pass_.uid: f for f in forecasts if f.pass_.uid in whole_key}
    cuts = handover_cuts([f.pass_ for f in by_uid.values()], grid_s, max_pass_s=max_pass_s)
    for uid, points in sorted(cuts.items()):
        f = by_uid[uid]
        p = f.pass_
        if whole_key[uid] <= 0:
            continue
        windows = {(p.aos, c) for c in points} | {(c, p.los) for c in points}
        for a, b in sorted(windows):
            if (b - a).total_seconds() < MIN_SUBWINDOW_S:
                continue
            try:
                bits = float(key_of(f, a, b).secret_key_bits)
            except InputError:
                continue
            bits = min(bits, whole_key[uid])
            reason = None
            if bits <= 0:
                reason = "no key in this sub-window"
            elif bits < min_key_bits:
                reason = f"below minimum key ({bits:.3g} < {min_key_bits:.3g} bits)"
            out.append(
                Candidate(
                    uid=f"{uid}/{_hms(a)}-{_hms(b)}", pass_uid=uid, station=p.station, satellite=p.satellite,
                    start=a, end=b, key_bits=bits, clear_sky=_clear_sky(stations, p.station, p.aos),
                    pass_start=p.aos, pass_end=p.los, handover=True, reason=reason,
                    satellite_id=satellite_id(p),
                )
            )
    return out
