"""Joint windows: when one satellite is usable from two stations at once (entanglement-based
dual downlinks, issue 19).

:func:`joint_windows` runs one pass search over both stations (:func:`passplan.passes.find_passes`:
each satellite propagated once for both, each station under its own floor, horizon mask and,
with ``darkness="station"``, its own twilight setting) and intersects, per satellite, the usable
windows at station A with those at station B. Each overlap is one :class:`JointWindow`: start,
end, each station's highest elevation and nearest/farthest range inside the overlap, and the
summed link distance (satellite to A plus satellite to B), the quantity the two-arm budget of
:mod:`passplan.link.entangled` loses photons over.

Figures inside the overlap: a LEO pass's elevation rises to its culmination and falls, and its
range falls to its minimum and rises, so a station's highest elevation in ``[start, end]`` is its
pass's own maximum when the culmination (TCA) lies inside, else the larger of the two ends; its
nearest range likewise (the engine's ``min_range_km`` when TCA is inside, else the nearer end);
its farthest range is at an end. The summed distance has no such shape: it is sampled every
``step_s`` seconds from the start, plus the end, from one geometry scene
(:func:`passplan.passes.sampling.sample_scene`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import InputError
from .times import iso_z, require_aware

if TYPE_CHECKING:
    from .passes import Constraints, Pass
    from .stations import Station

__all__ = ["JointWindow", "JointSearch", "joint_windows", "JOINT_KEYS"]

#: The fields of :meth:`JointWindow.to_dict`, in order (``passplan passes --pair`` writes them).
JOINT_KEYS = (
    "uid", "satellite", "norad_id", "station_a", "station_b", "start_utc", "end_utc", "duration_s",
    "max_el_deg_a", "max_el_deg_b", "min_range_km_a", "max_range_km_a", "min_range_km_b",
    "max_range_km_b", "min_link_km", "max_link_km", "partial",
)


@dataclass(frozen=True, eq=False)
class JointWindow:
    """One window in which ``satellite`` is usable from both stations (see the module).

    ``pass_a`` and ``pass_b`` are the two stations' usable windows it is the overlap of;
    ``link_km`` the summed distance at the samples ``t_s`` (seconds from ``start``)."""

    pass_a: Pass
    pass_b: Pass
    start: datetime
    end: datetime
    max_el_deg_a: float
    max_el_deg_b: float
    min_range_km_a: float
    max_range_km_a: float
    min_range_km_b: float
    max_range_km_b: float
    t_s: np.ndarray
    link_km: np.ndarray

    @property
    def satellite(self) -> str:
        return self.pass_a.satellite

    @property
    def norad_id(self) -> int | None:
        return self.pass_a.norad_id

    @property
    def stations(self) -> tuple[str, str]:
        return self.pass_a.station, self.pass_b.station

    @property
    def duration_s(self) -> float:
        """Length of the joint window (s)."""
        return (self.end - self.start).total_seconds()

    @property
    def partial(self) -> bool:
        """True when the search window cut the overlap (a pass under way at its start or end)."""
        return (self.start == self.pass_a.aos and self.pass_a.cut_start_by == "window") or (
            self.start == self.pass_b.aos and self.pass_b.cut_start_by == "window") or (
            self.end == self.pass_a.los and self.pass_a.cut_end_by == "window") or (
            self.end == self.pass_b.los and self.pass_b.cut_end_by == "window")

    @property
    def uid(self) -> str:
        """A stable id: catalogue number (or satellite name), both stations, start to the
        second, e.g. ``41731-delingha-nanshan-20201028T170102Z``."""
        sat = str(self.norad_id) if self.norad_id is not None else "".join(
            c if c.isalnum() else "-" for c in self.satellite).strip("-").lower()
        stamp = iso_z(self.start)[:19].replace("-", "").replace(":", "") + "Z"
        return f"{sat}-{self.stations[0]}-{self.stations[1]}-{stamp}"

    def to_dict(self) -> dict[str, Any]:
        """The machine-readable record (:data:`JOINT_KEYS`; times as ISO strings with ``Z``)."""
        return {
            "uid": self.uid,
            "satellite": self.satellite,
            "norad_id": self.norad_id,
            "station_a": self.stations[0],
            "station_b": self.stations[1],
            "start_utc": iso_z(self.start),
            "end_utc": iso_z(self.end),
            "duration_s": round(self.duration_s, 3),
            "max_el_deg_a": round(self.max_el_deg_a, 3),
            "max_el_deg_b": round(self.max_el_deg_b, 3),
            "min_range_km_a": round(self.min_range_km_a, 3),
            "max_range_km_a": round(self.max_range_km_a, 3),
            "min_range_km_b": round(self.min_range_km_b, 3),
            "max_range_km_b": round(self.max_range_km_b, 3),
            "min_link_km": round(float(self.link_km.min()), 3),
            "max_link_km": round(float(self.link_km.max()), 3),
            "partial": self.partial,
        }


@dataclass(frozen=True, eq=False)
class JointSearch(Sequence[JointWindow]):
    """The joint windows of a search (by start, then satellite) and the pass search's warnings."""

    windows: list[JointWindow]
    warnings: list[str]

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, k: Any) -> Any:
        return self.windows[k]

    def __iter__(self) -> Iterator[JointWindow]:
        return iter(self.windows)

    def to_records(self) -> list[dict[str, Any]]:
        """Every window's record."""
        return [w.to_dict() for w in self.windows]


def _overlaps(a: list[Pass], b: list[Pass]) -> list[tuple[Pass, Pass, datetime, datetime]]:
    """The overlaps of two AOS-sorted lists of disjoint windows (a two-pointer sweep)."""
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i].aos, b[j].aos), min(a[i].los, b[j].los)
        if hi > lo:
            out.append((a[i], b[j], lo, hi))
        if a[i].los <= b[j].los:
            i += 1
        else:
            j += 1
    return out


def _extremes(p: Pass, lo: datetime, hi: datetime, el_ends: np.ndarray, rng_ends: np.ndarray) -> tuple[float, float, float]:
    """Highest elevation, nearest and farthest range of pass ``p`` inside ``[lo, hi]``."""
    inside = lo <= p.tca <= hi
    max_el = p.max_el_deg if inside else float(el_ends.max())
    min_rng = min(p.min_range_km, float(rng_ends.min())) if inside else float(rng_ends.min())
    return float(max_el), float(min_rng), float(rng_ends.max())


def joint_windows(
    satellites: Sequence[Any],
    station_a: Station,
    station_b: Station,
    start: datetime,
    end: datetime,
    constraints: Constraints | None = None,
    *,
    min_duration_s: float = 0.0,
    step_s: float = 1.0,
) -> JointSearch:
    """The windows in which each of ``satellites`` is usable from ``station_a`` and
    ``station_b`` at once, from ``start`` to ``end`` (see the module). ``constraints`` apply to
    both stations, each with its own elevation floor, horizon mask and (``darkness="station"``)
    twilight; windows shorter than ``min_duration_s`` are left out; ``step_s`` is the sampling of
    the summed link distance."""
    from .passes import Constraints, find_passes
    from .passes.sampling import sample_scene

    if station_a.id == station_b.id:
        raise InputError(f"station_a and station_b are both {station_a.id!r}; give two different stations")
    if not (step_s > 0 and np.isfinite(step_s)):
        raise InputError(f"step_s {step_s!r} is not a positive number of seconds; give e.g. 1.0")
    if not (min_duration_s >= 0 and np.isfinite(min_duration_s)):
        raise InputError(f"min_duration_s {min_duration_s!r} is not a duration; give seconds >= 0")
    t0, t1 = require_aware(start, "start"), require_aware(end, "end")
    if t1 <= t0:
        raise InputError("end is not after start; give a later end")
    found = find_passes(list(satellites), [station_a, station_b], t0, t1, constraints or Constraints())
    by_sat: dict[int, tuple[list[Pass], list[Pass]]] = {}
    for p in found:
        a_list, b_list = by_sat.setdefault(id(p.sat_ref), ([], []))
        (a_list if p.station == station_a.id else b_list).append(p)
    pieces = []
    for a_list, b_list in by_sat.values():
        pieces += [o for o in _overlaps(a_list, b_list) if (o[3] - o[2]).total_seconds() >= min_duration_s]
    pieces.sort(key=lambda o: (o[2], o[0].satellite))
    if not pieces:
        return JointSearch([], list(found.warnings))
    # both arms of every window at the same instants, in one scene
    times = []
    for _pa, _pb, lo, hi in pieces:
        span = (hi - lo).total_seconds()
        t = np.arange(0.0, span, step_s)
        t = np.append(t, span) if t.size == 0 or span - t[-1] > 1e-6 else t
        times.append(t)
    passes, offsets = [], []
    for (pa, pb, lo, _), t in zip(pieces, times, strict=True):
        passes += [pa, pb]
        offsets += [t + (lo - pa.aos).total_seconds(), t + (lo - pb.aos).total_seconds()]
    s = sample_scene(passes, times_s=offsets)
    out = []
    for k, ((pa, pb, lo, hi), t) in enumerate(zip(pieces, times, strict=True)):
        ra, rb = s.rows(2 * k), s.rows(2 * k + 1)
        ends = [0, -1]
        ea = _extremes(pa, lo, hi, s.el_deg[ra][ends], s.range_km[ra][ends])
        eb = _extremes(pb, lo, hi, s.el_deg[rb][ends], s.range_km[rb][ends])
        out.append(JointWindow(pa, pb, lo, hi, ea[0], eb[0], ea[1], ea[2], eb[1], eb[2], t,
                               s.range_km[ra] + s.range_km[rb]))
    return JointSearch(out, list(found.warnings))
