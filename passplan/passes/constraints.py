"""One small class per constraint: its name and its margin (positive where it holds).

The engine hands every constraint a :class:`Look` (the geometry of a batch of satellite x
station x time rows, each quantity computed on first use) and asks for its *margin*: a
continuous function, positive where the constraint holds, whose zero is the edge a search
refines. :meth:`passplan.passes.Constraints.build` turns the user-facing record into these
objects, in the order of :data:`CONSTRAINT_NAMES` (the order that names the constraint which cut
or excluded a pass).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar, Protocol

import numpy as np

from ..geometry import Scene, dot3, refraction_deg
from ..stations import HorizonMask

__all__ = [
    "CONSTRAINT_NAMES",
    "Constraint",
    "Look",
    "Horizon",
    "Darkness",
    "Eclipse",
    "Sunlit",
    "SunSeparation",
    "MoonSeparation",
    "MaxRange",
]

#: Constraint names, in the order used to name the one that cut or excluded a pass.
CONSTRAINT_NAMES = ("horizon", "darkness", "eclipse", "sunlit", "sun_separation", "moon_separation", "max_range")

#: Margin (deg) given where SGP4 failed: far below any horizon.
FAILED_MARGIN_DEG = -180.0


class Look:
    """The geometry of rows (satellite ``k`` at Earth-fixed ``pos[k]``, ``vel[k]``, seen from
    station ``st[k]`` at ``t[k]`` seconds after the scene's ``t0``). Each quantity is computed on
    first use, so a constraint pays only for what it needs."""

    def __init__(
        self, scene: Scene, pos: np.ndarray, vel: np.ndarray | None, ok: np.ndarray, st: np.ndarray, t: np.ndarray
    ):
        self.scene, self.pos, self.vel, self.ok, self.st, self.t = scene, pos, vel, ok, st, t

    def preset(self, **values: np.ndarray) -> None:
        """Quantities of these rows already known (by name, e.g. ``sun``, ``sun_el_deg``): each
        must be the value its property would compute; they are used instead of computing it."""
        for name, v in values.items():
            if not isinstance(getattr(type(self), name, None), cached_property):
                raise AttributeError(f"Look has no cached quantity {name!r}")
            self.__dict__[name] = v

    @cached_property
    def _el_rng(self) -> tuple[np.ndarray, np.ndarray]:
        return self.scene.elevation_range(self.pos, self.st)

    @cached_property
    def az_deg(self) -> np.ndarray:
        """Azimuth (deg from north through east)."""
        az, el, rng = self.scene.topocentric(self.pos, self.st)
        self.__dict__.setdefault("_el_rng", (el, rng))  # the same values elevation_range gives
        return az

    @property
    def el_deg(self) -> np.ndarray:
        """Geometric elevation (deg)."""
        return self._el_rng[0]

    @property
    def range_km(self) -> np.ndarray:
        """Slant range (km)."""
        return self._el_rng[1]

    @cached_property
    def rates(self) -> tuple[np.ndarray, np.ndarray]:
        """Rate of the sine of elevation (1/s; the sign of the elevation rate) and range rate
        (km/s), from the line of sight ``d`` and its rate ``v``: ``d(u.d/|d|)/dt`` and ``d.v/|d|``."""
        if self.vel is None:
            raise ValueError("this Look was built without velocities; pass velocity=True")
        # the rows' stations by take (the same values as fancy indexing, four times faster)
        sti = np.asarray(self.st)
        st = self.scene.sta_ecef.take(sti, axis=0)
        up = np.ascontiguousarray(self.scene.sta_enu[:, 2, :]).take(sti, axis=0)
        d = self.pos - st
        d0, d1, d2 = d[..., 0], d[..., 1], d[..., 2]
        rng = np.sqrt(d0 * d0 + d1 * d1 + d2 * d2)  # |d|, as np.linalg.norm sums it
        dv = dot3(d, self.vel)
        ud = dot3(up, d)
        uv = dot3(up, self.vel)
        return uv / rng - ud * dv / rng**3, dv / rng

    @cached_property
    def sun(self) -> np.ndarray:
        """Geocentric Sun (km, Earth-fixed)."""
        return self.scene.sun_ecef(self.t)

    @cached_property
    def moon(self) -> np.ndarray:
        """Geocentric Moon (km, Earth-fixed)."""
        return self.scene.moon_ecef(self.t)

    @cached_property
    def sun_el_deg(self) -> np.ndarray:
        """Topocentric elevation of the Sun (deg)."""
        return self.scene.body_elevation_deg(self.sun, self.st)

    @cached_property
    def sunlit_margin_km(self) -> np.ndarray:
        """Positive where the satellite sees the Sun (see :meth:`Scene.sunlit_margin_km`)."""
        return Scene.sunlit_margin_km(self.pos, self.sun)


class Constraint(Protocol):
    """What the engine asks of a constraint."""

    #: one of :data:`CONSTRAINT_NAMES`
    name: ClassVar[str]

    def margin(self, look: Look) -> np.ndarray:
        """Positive where the constraint holds (continuous across its edge)."""
        ...


@dataclass(frozen=True, eq=False)
class Horizon:
    """Above the elevation floor and the horizon mask of each station; elevations apparent
    (Saemundsson refraction) when ``refraction``. Margin in degrees, on the degree path."""

    floor_deg: np.ndarray  # per station
    masks: Sequence[HorizonMask | None]  # per station
    refraction: bool
    name: ClassVar[str] = "horizon"

    @property
    def has_mask(self) -> np.ndarray:
        """Per station: whether a mask applies."""
        return np.array([m is not None for m in self.masks], bool)

    def elevation(self, el_deg: np.ndarray) -> np.ndarray:
        """Reported elevation (deg): geometric, or apparent with refraction."""
        return el_deg + refraction_deg(el_deg) if self.refraction else el_deg

    def threshold(self, look: Look) -> np.ndarray:
        """Elevation threshold (deg) of each row: floor, or the mask where higher (the
        azimuth is computed only when a row's station has a mask)."""
        st = look.st
        thr = np.asarray(self.floor_deg, float).take(st)
        for k, mask in enumerate(self.masks):
            if mask is not None:
                sel = st == k
                if np.any(sel):
                    thr = np.where(sel, np.maximum(thr, mask.elevation_deg(look.az_deg)), thr)
        return thr

    def margin(self, look: Look) -> np.ndarray:
        m = self.elevation(look.el_deg) - self.threshold(look)
        return np.where(look.ok, m, FAILED_MARGIN_DEG)


@dataclass(frozen=True, eq=False)
class Darkness:
    """The Sun below each station's twilight angle (deg; NaN: no requirement there)."""

    twilight_deg: np.ndarray  # per station
    name: ClassVar[str] = "darkness"

    def margin(self, look: Look) -> np.ndarray:
        thr = self.twilight_deg[look.st]
        return np.where(np.isnan(thr), 90.0, thr - look.sun_el_deg)


@dataclass(frozen=True, eq=False)
class Eclipse:
    """The satellite in the Earth's shadow (spherical Earth, point Sun, as Skyfield's
    ``is_sunlit``). Margin in km."""

    name: ClassVar[str] = "eclipse"

    def margin(self, look: Look) -> np.ndarray:
        return -look.sunlit_margin_km


@dataclass(frozen=True, eq=False)
class Sunlit:
    """The satellite in sunlight. Margin in km."""

    name: ClassVar[str] = "sunlit"

    def margin(self, look: Look) -> np.ndarray:
        return look.sunlit_margin_km


@dataclass(frozen=True, eq=False)
class SunSeparation:
    """At least ``min_deg`` between the line of sight and the Sun. Margin in degrees."""

    min_deg: float
    name: ClassVar[str] = "sun_separation"

    def margin(self, look: Look) -> np.ndarray:
        return look.scene.separation_deg(look.pos, look.sun, look.st) - self.min_deg


@dataclass(frozen=True, eq=False)
class MoonSeparation:
    """At least ``min_deg`` between the line of sight and the Moon while the Moon is above the
    horizon. Margin in degrees: the larger of the Moon's depression and the separation excess."""

    min_deg: float
    name: ClassVar[str] = "moon_separation"

    def margin(self, look: Look) -> np.ndarray:
        moon_el = look.scene.body_elevation_deg(look.moon, look.st)
        sep = look.scene.separation_deg(look.pos, look.moon, look.st)
        return np.maximum(-moon_el, sep - self.min_deg)


@dataclass(frozen=True, eq=False)
class MaxRange:
    """Slant range at most ``max_km``. Margin in km."""

    max_km: float
    name: ClassVar[str] = "max_range"

    def margin(self, look: Look) -> np.ndarray:
        return self.max_km - look.range_km
