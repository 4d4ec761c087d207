"""Many passes sampled in one geometry scene: what :func:`.engine.sample_pass` gives for one pass,
for a whole run at once.

One :class:`passplan.geometry.Scene` holds every satellite and station of the run; each satellite
is propagated once for all the sample times of all its passes (one ``sgp4_array`` call), the
Sun and Moon come from the scene's one table for all times, and the topocentric quantities are
evaluated on the concatenated samples. The scene's reference instant is the earliest AOS floored
to the 5-minute lattice of Unix time, so the Sun/Moon table nodes sit at the same absolute
instants in every run: a pass sampled alone or with others gets the same values (to float
rounding of the sample times).

Against :func:`.engine.sample_pass` (whose scene starts at the pass's AOS): satellite azimuth,
elevation and range agree to float rounding (SGP4 is evaluated at the same instants); Sun and
Moon angles differ by the linear interpolation between the two tables' nodes, below 0.01 deg
(the chord error of a 5-minute node spacing, :class:`passplan.geometry.Scene`).

:class:`SampledPasses` also carries the line-of-sight angular rate from the SGP4 velocity,
``|v - (v . u) u| / range`` (``u`` the unit line of sight, ``v`` the Earth-fixed velocity
relative to the fixed station), which the link budget's servo-lag terms want.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from ..errors import InputError
from ..geometry import Scene
from ..stations import Station
from .lazy_list import LazyList
from .records import Pass, PassGeometry

__all__ = ["SampledPasses", "sample_passes", "sample_scene", "slot_times", "TABLE_LATTICE_S"]

#: The Sun/Moon table spacing of :class:`passplan.geometry.Scene`; scene origins are floored to it.
TABLE_LATTICE_S = 300
_UNIX = datetime(1970, 1, 1, tzinfo=UTC)


def slot_times(span_s: float, step_s: float, slots: bool) -> np.ndarray:
    """Sample times (s from AOS) as :func:`.engine.sample_pass` takes them: slot centres of whole
    ``step_s`` slots (``slots``), else every ``step_s`` from 0 plus the end."""
    if slots:
        s = (np.arange(int(np.floor(span_s / step_s + 1e-9))) + 0.5) * step_s
        if s.size == 0:
            raise InputError(f"the window lasts {span_s:.3f} s, less than one {step_s:g} s slot")
        return s
    s = np.arange(0.0, span_s, step_s)
    if s.size == 0 or span_s - s[-1] > 1e-6:
        s = np.append(s, span_s)
    return s


def sample_times(aos: datetime, t_s: np.ndarray) -> LazyList[datetime]:
    """The UTC instants of a pass's samples (AOS plus ``t_s``, to the microsecond), made on first
    use: a week's forecast holds half a million samples whose datetimes nobody may read."""

    def make() -> list[datetime]:
        base = np.datetime64(aos.astimezone(UTC).replace(tzinfo=None), "us")
        stamps = base + np.round(t_s * 1e6).astype("timedelta64[us]")
        return [d.replace(tzinfo=UTC) for d in stamps.astype(object).tolist()]

    return LazyList(t_s.size, make)


@dataclass(frozen=True, eq=False)
class SampledPasses:
    """The samples of many passes, concatenated: pass ``k`` owns ``[start[k], start[k + 1])``.

    ``t_s`` is seconds from the pass's AOS, ``t_scene_s`` seconds from the scene origin.
    """

    passes: list[Pass]
    start: np.ndarray  # (n_passes + 1,) offsets into the sample arrays
    t_s: np.ndarray
    t_scene_s: np.ndarray
    az_deg: np.ndarray
    el_deg: np.ndarray
    range_km: np.ndarray
    sun_el_deg: np.ndarray
    sun_sep_deg: np.ndarray
    moon_el_deg: np.ndarray
    moon_sep_deg: np.ndarray
    moon_illumination: np.ndarray
    sat_sunlit: np.ndarray
    los_rate_rad_s: np.ndarray
    station_alt_m: np.ndarray  # per sample

    def rows(self, k: int) -> slice:
        """The sample slice of pass ``k``."""
        return slice(int(self.start[k]), int(self.start[k + 1]))

    def geometry(self, k: int) -> PassGeometry:
        """Pass ``k``'s samples as the :class:`PassGeometry` :func:`.engine.sample_pass` gives."""
        r = self.rows(k)
        p = self.passes[k]
        t_s = self.t_s[r].copy()
        return PassGeometry(
            t=sample_times(p.aos, t_s),
            t_s=t_s,
            az_deg=self.az_deg[r].copy(),
            el_deg=self.el_deg[r].copy(),
            range_km=self.range_km[r].copy(),
            sun_el_deg=self.sun_el_deg[r].copy(),
            sun_sep_deg=self.sun_sep_deg[r].copy(),
            moon_el_deg=self.moon_el_deg[r].copy(),
            moon_sep_deg=self.moon_sep_deg[r].copy(),
            moon_illumination=self.moon_illumination[r].copy(),
            sat_sunlit=self.sat_sunlit[r].copy(),
            station_alt_m=float(p.station_ref.alt_m) if p.station_ref is not None else 0.0,
        )


def _origin(passes: Sequence[Pass]) -> datetime:
    """The earliest AOS floored to the table lattice of Unix time (whole seconds)."""
    first = min(p.aos for p in passes)
    sec = int((first - _UNIX).total_seconds() // TABLE_LATTICE_S) * TABLE_LATTICE_S
    return _UNIX + timedelta(seconds=sec)


def sample_scene(
    passes: Sequence[Pass],
    step_s: float | Sequence[float] = 1.0,
    slots: bool = False,
    times_s: Sequence[np.ndarray] | None = None,
) -> SampledPasses:
    """Sample every pass in one scene (see the module docstring).

    ``step_s`` is one step for all passes or one per pass; ``times_s`` (one array of seconds from
    AOS per pass) overrides the step grid.
    """
    ps = list(passes)
    if not ps:
        raise InputError("no passes to sample; give at least one pass from find_passes")
    for p in ps:
        if p.sat_ref is None or p.station_ref is None:
            raise InputError("this Pass has no satellite/station attached; use one returned by find_passes")
    steps = np.broadcast_to(np.asarray(step_s, float), (len(ps),))
    if not np.all(steps > 0):
        raise InputError(f"step_s {step_s} must be positive")
    origin = _origin(ps)
    sat_key: dict[int, int] = {}
    sta_key: dict[int, int] = {}
    satrecs: list[Any] = []
    stations: list[Station] = []
    for p in ps:
        if id(p.sat_ref) not in sat_key:
            sat_key[id(p.sat_ref)] = len(satrecs)
            satrecs.append(p.sat_ref.satrec)
        if p.station_ref is not None and id(p.station_ref) not in sta_key:
            sta_key[id(p.station_ref)] = len(stations)
            stations.append(p.station_ref)
    scene = Scene(satrecs, stations, origin, max(p.los for p in ps))
    per_pass = []
    for k, p in enumerate(ps):
        if times_s is not None:
            per_pass.append(np.asarray(times_s[k], float))
        else:
            per_pass.append(slot_times((p.los - p.aos).total_seconds(), float(steps[k]), slots))
    counts = np.array([s.size for s in per_pass], int)
    start = np.concatenate([[0], np.cumsum(counts)])
    t_s = np.concatenate(per_pass)
    offsets = np.array([(p.aos - origin).total_seconds() for p in ps])
    t_abs = t_s + np.repeat(offsets, counts)
    sat_idx = np.repeat([sat_key[id(p.sat_ref)] for p in ps], counts)
    st_idx = np.repeat([sta_key[id(p.station_ref)] for p in ps], counts)
    pos, vel, _ = scene.sat_state_at(sat_idx, t_abs)
    az, el, rng = scene.topocentric(pos, st_idx)
    sun = scene.sun_ecef(t_abs)
    moon = scene.moon_ecef(t_abs)
    d = pos - scene.sta_ecef[st_idx]
    u = d / rng[:, None]
    radial = np.einsum("ij,ij->i", vel, u)
    rate = np.linalg.norm(vel - radial[:, None] * u, axis=1) / rng
    alt = np.array([st.alt_m for st in stations], dtype=float)[st_idx]
    return SampledPasses(
        passes=ps,
        start=start,
        t_s=t_s,
        t_scene_s=t_abs,
        az_deg=az,
        el_deg=el,
        range_km=rng,
        sun_el_deg=scene.body_elevation_deg(sun, st_idx),
        sun_sep_deg=scene.separation_deg(pos, sun, st_idx),
        moon_el_deg=scene.body_elevation_deg(moon, st_idx),
        moon_sep_deg=scene.separation_deg(pos, moon, st_idx),
        moon_illumination=scene.moon_illumination(t_abs),
        sat_sunlit=Scene.sunlit_margin_km(pos, sun) > 0,
        los_rate_rad_s=rate,
        station_alt_m=alt,
    )


def sample_passes(passes: Sequence[Pass], step_s: float | Sequence[float] = 1.0,
                  slots: bool = False) -> list[PassGeometry]:
    """:func:`.engine.sample_pass` of every pass, from one shared scene (module docstring)."""
    s = sample_scene(passes, step_s, slots)
    return [s.geometry(k) for k in range(len(s.passes))]
