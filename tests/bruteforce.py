"""A brute-force reference for the pass engine (``passplan.passes.find_passes``), written apart
from it: a 1-s scan of SGP4, every crossing refined by bisection to 1 ms.

Nothing of ``passplan.geometry`` or ``passplan.passes`` is used; only the *models* the engine
documents are shared, each implemented here again:

- SGP4 from the ``sgp4`` library directly (each satellite's ``sgp4_array`` on the 1-s grid and at
  scattered times); time as UTC seconds after ``t0`` without leap seconds (POSIX, as SGP4's UTC
  Julian dates);
- TEME to Earth-fixed by the GMST 1982 angle of UT1 (Vallado et al. 2006, AIAA 2006-6753, eq.
  (C-?); the IAU 1982 polynomial written out below), no polar motion; UT1 - UTC from Skyfield's
  builtin table, interpolated as UT1 - TAI (continuous) so a leap second falls where it is;
- WGS-84 station positions and east-north-up axes;
- Sun and Moon: DE421 geometric geocentric vectors (as the engine's), in GCRS on 10-min nodes
  (cubic spline), turned Earth-fixed by Skyfield's ITRS rotation split into the GMST 1982 spin
  (exact at each time) and the slowly varying rest (precession, nutation, equation of the
  equinoxes; hourly nodes, linear): within a metre of Skyfield's own (``sun_exact``). The
  constraints use the engine's documented model instead (exact on 5-min nodes, linear
  between; ``sun``): its chord error, up to 2e-5 rad for the Sun, would move a darkness edge
  by up to 0.3 s, so it is checked on its own against ``sun_exact``;
- shadow: spherical Earth of 6378.137 km and a point Sun (Skyfield's ``is_sunlit`` test);
- refraction: Saemundsson (1986), clamped at -1 deg; masks: periodic linear interpolation.

A pass is a run of positive horizon margin (elevation, apparent with refraction, minus the floor
or the mask, whichever is higher); its windows are the runs where every other constraint holds
as well. Everything is sampled every second (plus the pass ends) and every change of sign is
refined by bisection on the exact functions; local extrema of the 1-s samples close to zero are
searched (golden section) for a pass, window or gap hidden between two samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from scipy.interpolate import CubicSpline
from sgp4.api import jday
from skyfield.api import load
from skyfield.framelib import itrs

from passplan.ephemeris import planets

NAMES = ("darkness", "eclipse", "sunlit", "sun_separation", "moon_separation", "max_range")
TOL_S = 1e-3  # bisection tolerance
#: node spacing (s) of the engine's Earth-fixed Sun and Moon tables (passplan.geometry.Scene),
#: which interpolate linearly between exact nodes: a documented model (its chord error, up to
#: 2e-5 rad for the Sun, is checked on its own), so the reference uses it for the constraints
CHORD_S = 300.0
R_EARTH_SHADOW_KM = 6378.137
_A = 6378.137
_F = 1.0 / 298.257223563
_DAY = 86400.0
_TS = load.timescale(builtin=True)
_GOLD = (math.sqrt(5.0) - 1.0) / 2.0


# ---- small independent geometry ----------------------------------------------------------------


def gmst82(jd_ut1: np.ndarray, fr_ut1: np.ndarray) -> np.ndarray:
    """Greenwich mean sidereal time (rad), IAU 1982: 67310.54841 s + (876600 h + 8640184.812866 s)
    T + 0.093104 s T^2 - 6.2e-6 s T^3, T in Julian centuries of UT1 from J2000."""
    t = ((jd_ut1 - 2451545.0) + fr_ut1) / 36525.0
    # the day fraction carries the large term exactly: 876600 h per century is 86400 s per day
    sec = 67310.54841 + 8640184.812866 * t + 0.093104 * t * t - 6.2e-6 * t**3
    days = (jd_ut1 - 2451545.0) % 1.0 + fr_ut1
    return (2.0 * math.pi * ((sec / _DAY + days) % 1.0)) % (2.0 * math.pi)


def rot_z(theta: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate vectors ``v`` (..., 3) into a frame turned by ``theta`` about z (TEME -> Earth-fixed)."""
    c, s = np.cos(theta), np.sin(theta)
    return np.stack([c * v[..., 0] + s * v[..., 1], -s * v[..., 0] + c * v[..., 1], v[..., 2]], axis=-1)


def station_frame(lat_deg: float, lon_deg: float, alt_m: float) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 Earth-fixed position (km) and rows east, north, up."""
    la, lo = math.radians(lat_deg), math.radians(lon_deg)
    e2 = _F * (2 - _F)
    n = _A / math.sqrt(1 - e2 * math.sin(la) ** 2)
    h = alt_m / 1000.0
    pos = np.array([(n + h) * math.cos(la) * math.cos(lo), (n + h) * math.cos(la) * math.sin(lo), (n * (1 - e2) + h) * math.sin(la)])
    enu = np.array(
        [
            [-math.sin(lo), math.cos(lo), 0.0],
            [-math.sin(la) * math.cos(lo), -math.sin(la) * math.sin(lo), math.cos(la)],
            [math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)],
        ]
    )
    return pos, enu


def look_angles(pos: np.ndarray, sta: np.ndarray, enu: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Azimuth, elevation (deg) and range (km) of Earth-fixed ``pos`` (n, 3) from a station."""
    d = pos - sta
    e, n, u = d @ enu[0], d @ enu[1], d @ enu[2]
    rng = np.sqrt(e * e + n * n + u * u)
    el = np.degrees(np.arcsin(np.clip(u / rng, -1, 1)))
    return np.degrees(np.arctan2(e, n)) % 360.0, el, rng


def saemundsson_deg(el_deg: np.ndarray) -> np.ndarray:
    h = np.maximum(el_deg, -1.0)
    return 1.02 / np.tan(np.radians(h + 10.3 / (h + 5.11))) / 60.0


def lit(pos: np.ndarray, sun: np.ndarray) -> np.ndarray:
    """True where the segment from the satellite towards the Sun misses the Earth's sphere."""
    u = sun / np.linalg.norm(sun, axis=-1, keepdims=True)
    along = np.sum(pos * u, axis=-1)
    perp = np.linalg.norm(pos - along[..., None] * u, axis=-1)
    return np.asarray((along >= 0) | (perp > R_EARTH_SHADOW_KM), bool)


def angle_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    c = np.sum(a * b, axis=-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    return np.degrees(np.arccos(np.clip(c, -1, 1)))


# ---- root finding on exact functions -----------------------------------------------------------


def bisect(f: Any, a: np.ndarray, b: np.ndarray, tol: float = TOL_S) -> np.ndarray:
    """Where the boolean ``f(t)`` (vectorised, one row per bracket) changes in each ``[a, b]``."""
    a, b = np.array(a, float), np.array(b, float)
    if a.size == 0:
        return a
    fa = f(a)
    while np.max(b - a) > tol:
        m = 0.5 * (a + b)
        fm = f(m)
        same = fm == fa
        a, b = np.where(same, m, a), np.where(same, b, m)
    return 0.5 * (a + b)


def golden_max(f: Any, a: np.ndarray, b: np.ndarray, iters: int = 28) -> tuple[np.ndarray, np.ndarray]:
    """Golden-section maximum of ``f`` on each ``[a, b]`` (also tries both ends); 28 rounds
    narrow a 2-s bracket to 3e-6 s."""
    a, b = np.array(a, float), np.array(b, float)
    c, d = b - _GOLD * (b - a), a + _GOLD * (b - a)
    fcd = f(np.concatenate([c, d]))
    fc, fd = fcd[: a.size], fcd[a.size :]
    for _ in range(iters):
        left = fc > fd  # the maximum is in [a, d]: d becomes b, c becomes d
        a, b = np.where(left, a, c), np.where(left, d, b)
        new = np.where(left, b - _GOLD * (b - a), a + _GOLD * (b - a))
        fn = f(new)
        c, d, fc, fd = np.where(left, new, d), np.where(left, c, new), np.where(left, fn, fd), np.where(left, fc, fn)
    x = np.concatenate([0.5 * (a + b), a, b])
    fx = f(x).reshape(3, a.size)
    k = np.argmax(fx, axis=0)
    cols = np.arange(a.size)
    return x.reshape(3, a.size)[k, cols], fx[k, cols]


def subpoint(satrec: Any, when: datetime) -> tuple[float, float]:
    """Geocentric latitude and longitude (deg) under a satellite (UT1 taken as UTC: to aim a
    station, not to test anything)."""
    w = when.astimezone(UTC)
    jd, fr = jday(w.year, w.month, w.day, w.hour, w.minute, w.second + w.microsecond * 1e-6)
    _, r, _ = satrec.sgp4(jd, fr)
    x, y, z = rot_z(gmst82(np.array(jd), np.array(fr)), np.array(r, float))
    return math.degrees(math.atan2(z, math.hypot(x, y))), math.degrees(math.atan2(y, x))


# ---- the reference ------------------------------------------------------------------------------


@dataclass
class RefWindow:
    a: float
    b: float
    cut_start: str | None
    cut_end: str | None


@dataclass
class RefPass:
    sat: int
    st: int
    rise: float
    set: float
    windows: list[RefWindow] = field(default_factory=list)
    #: per sample of the pass (rise, integer seconds inside, set): time and each constraint ok
    t: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ok: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), bool))


class Reference:
    """The brute-force passes of ``sats`` over ``stations`` in ``[t0, t1]`` under the
    constraints (a :class:`passplan.passes.Constraints`, read field by field)."""

    def __init__(self, sats: list[Any], stations: list[Any], t0: datetime, t1: datetime, c: Any):
        self.sats, self.stations, self.t0, self.c = list(sats), list(stations), t0, c
        self.span = (t1 - t0).total_seconds()
        t0u = t0.astimezone(UTC)
        self.jd0, self.fr0 = jday(t0u.year, t0u.month, t0u.day, t0u.hour, t0u.minute, t0u.second + t0u.microsecond * 1e-6)
        self.posix0 = t0u.timestamp()
        self.frames = [station_frame(s.lat_deg, s.lon_deg, s.alt_m) for s in stations]
        self.floor = [c.min_elevation_deg if c.min_elevation_deg is not None else s.min_elevation_deg for s in stations]
        self.masks = [s.horizon_mask if c.horizon_mask else None for s in stations]
        self.names = self._active()
        self._time_tables()

    # -- time, Earth rotation, Sun and Moon --
    def _active(self) -> list[str]:
        c = self.c
        out = []
        if c.darkness is not None:
            out.append("darkness")
        if c.eclipse is True:
            out.append("eclipse")
        if c.eclipse is False:
            out.append("sunlit")
        if c.min_sun_sep_deg is not None:
            out.append("sun_separation")
        if c.min_moon_sep_deg is not None:
            out.append("moon_separation")
        if c.max_range_km is not None:
            out.append("max_range")
        return out

    def _utc_times(self, s: np.ndarray) -> Any:
        """Skyfield times of POSIX seconds ``s`` after t0 (built day by day, so a leap second
        day is right)."""
        dts = [self.t0 + timedelta(seconds=float(x)) for x in s]
        return _TS.from_datetimes(dts)

    def _time_tables(self) -> None:
        self._leap_cache: dict[int, float] = {}  # TAI - UTC per UTC day met
        self._leap_const: float | None = None
        ends = self._leap(np.array([-2 * _DAY, self.span + 2 * _DAY]))
        if ends[0] == ends[1]:  # no leap second within two days of the window: one value
            self._leap_const = float(ends[0])
        lo, hi = -3600.0, self.span + 3600.0
        # UT1 - TAI on 10-min nodes (continuous through leap seconds), GCRS Sun/Moon on the same
        self.node_t = np.arange(math.floor(lo / 600.0), math.ceil(hi / 600.0) + 1) * 600.0
        tt = self._utc_times(self.node_t)
        q = np.asarray(tt.dut1, float) - np.asarray(tt._leap_seconds(), float)
        self._q = CubicSpline(self.node_t, q) if self.node_t.size > 3 else None
        self._q_lin = q
        eph = planets()
        earth = eph["earth"]
        self._sun = CubicSpline(self.node_t, (eph["sun"] - earth).at(tt).position.km.T)
        self._moon = CubicSpline(self.node_t, (eph["moon"] - earth).at(tt).position.km.T)
        # the ITRS rotation less the GMST 1982 spin, hourly
        self.rot_t = np.arange(math.floor(lo / 3600.0), math.ceil(hi / 3600.0) + 1) * 3600.0
        tr = self._utc_times(self.rot_t)
        rot = np.moveaxis(itrs.rotation_at(tr), -1, 0)  # (n, 3, 3)
        theta = self.gmst(self.rot_t)
        c, s = np.cos(theta), np.sin(theta)
        rz_t = np.zeros_like(rot)  # transpose of the spin
        rz_t[:, 0, 0], rz_t[:, 0, 1], rz_t[:, 1, 0], rz_t[:, 1, 1], rz_t[:, 2, 2] = c, -s, s, c, 1.0
        self._rest = rz_t @ rot

    def _leap(self, s: np.ndarray) -> np.ndarray:
        if self._leap_const is not None:
            return np.full(np.shape(s), self._leap_const)
        day = np.floor((self.posix0 + s) / _DAY).astype(np.int64)
        out = np.empty(s.shape)
        for d in np.unique(day).tolist():
            if d not in self._leap_cache:
                when = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=d)
                self._leap_cache[d] = float(_TS.utc(when.year, when.month, when.day)._leap_seconds())
            out[day == d] = self._leap_cache[d]
        return out

    def leap_instants(self, margin_s: float = 130.0) -> list[float]:
        """Seconds after t0 of the leap seconds within ``margin_s`` of the window: SGP4's UTC
        time skips them, so every Earth-fixed position jumps by a second of the Earth's
        rotation there."""
        days = np.arange(math.floor((self.posix0 - margin_s) / _DAY) - 1, math.floor((self.posix0 + self.span + margin_s) / _DAY) + 1)
        ends = (days + 1) * _DAY - self.posix0
        before, after = self._leap(ends - 1.0), self._leap(ends)
        return [float(e) for e, b, a in zip(ends, before, after, strict=True) if a != b and -margin_s <= e <= self.span + margin_s]

    def jdfr(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        fr = self.fr0 + np.asarray(s, float) / _DAY
        w = np.floor(fr)
        return self.jd0 + w, fr - w

    def gmst(self, s: np.ndarray) -> np.ndarray:
        s = np.asarray(s, float)
        q = self._q(s) if self._q is not None else np.interp(s, self.node_t, self._q_lin)
        dut1 = q + self._leap(s)
        jd, fr = self.jdfr(s)
        return gmst82(jd, fr + dut1 / _DAY)

    def _to_itrs(self, v: np.ndarray, s: np.ndarray) -> np.ndarray:
        rest = np.stack(
            [np.stack([np.interp(s, self.rot_t, self._rest[:, i, j]) for j in range(3)], -1) for i in range(3)], -2
        )
        w = np.einsum("nij,nj->ni", rest, v)
        return rot_z(self.gmst(s), w)

    def sun_exact(self, s: np.ndarray) -> np.ndarray:
        """Geocentric Earth-fixed Sun (km) at ``s``."""
        s = np.asarray(s, float)
        return self._to_itrs(self._sun(s), s)

    def moon_exact(self, s: np.ndarray) -> np.ndarray:
        """Geocentric Earth-fixed Moon (km) at ``s``."""
        s = np.asarray(s, float)
        return self._to_itrs(self._moon(s), s)

    def _chords(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not hasattr(self, "_chord_tab"):
            k = np.arange(math.floor(-3600.0 / CHORD_S) - 1, math.ceil((self.span + 3600.0) / CHORD_S) + 2) * CHORD_S
            self._chord_tab = (k, self.sun_exact(k), self.moon_exact(k))
        return self._chord_tab

    def sun(self, s: np.ndarray) -> np.ndarray:
        """The Sun of the engine's documented model: exact on 5-min nodes from t0, linear between."""
        k, sun, _ = self._chords()
        s = np.asarray(s, float)
        return np.stack([np.interp(s, k, sun[:, i]) for i in range(3)], -1)

    def moon(self, s: np.ndarray) -> np.ndarray:
        """The Moon of the engine's documented model (see :meth:`sun`)."""
        k, _, moon = self._chords()
        s = np.asarray(s, float)
        return np.stack([np.interp(s, k, moon[:, i]) for i in range(3)], -1)

    # -- satellites --
    def sgp4_jumps(self, margin_s: float = 130.0) -> set[int]:
        """The satellites whose SGP4 position jumps within ``margin_s`` of the window: deep-space
        element sets under 0.2 rad of inclination (SDP4's Lyddane branch), whose position is
        discontinuous where the node wraps through zero (0.6 km found by the fuzz). An
        interpolating engine cannot follow a jump; the reference can; neither is wrong."""
        out = set()
        s = np.arange(-margin_s, self.span + margin_s + 1.0)
        jd, fr = self.jdfr(s)
        for k, sat in enumerate(self.sats):
            if sat.satrec.method != "d" or sat.satrec.inclo >= 0.2:
                continue
            _, r, v = sat.satrec.sgp4_array(jd, fr)
            step = np.linalg.norm(r[1:] - r[:-1] - 0.5 * (v[1:] + v[:-1]), axis=-1)
            if np.nanmax(step, initial=0.0) > 0.01:
                out.add(k)
        return out

    def sat_grid(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        jd, fr = self.jdfr(s)
        # each satellite's own sgp4_array (bit-identical to one SatrecArray call): a station-kept
        # GEO slot (passplan.satellite.KeptSatrec) takes each day's time from that day's elements
        out = [x.satrec.sgp4_array(jd, fr) for x in self.sats]
        err = np.array([o[0] for o in out], np.uint8).reshape(len(self.sats), jd.size)
        r = np.array([o[1] for o in out], float).reshape(len(self.sats), jd.size, 3)
        return rot_z(self.gmst(s)[None, :], r), err == 0

    def sat_at(self, k: int, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.asarray(s, float)
        jd, fr = self.jdfr(s)
        err, r, _ = self.sats[k].satrec.sgp4_array(jd, fr)
        return rot_z(self.gmst(s), r), err == 0

    # -- margins --
    def elevation(self, j: int, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Azimuth, reported elevation (apparent with refraction) and range from station ``j``."""
        az, el, rng = look_angles(pos, *self.frames[j])
        if self.c.refraction:
            el = el + saemundsson_deg(el)
        return az, el, rng

    def horizon_margin(self, j: int, pos: np.ndarray, ok: np.ndarray) -> np.ndarray:
        az, el, _ = self.elevation(j, pos)
        thr = np.full(el.shape, float(self.floor[j]))
        m = self.masks[j]
        if m is not None:
            thr = np.maximum(thr, np.interp(az % 360.0, m.az_deg, m.el_deg, period=360.0))
        return np.where(ok, el - thr, -180.0)

    def twilight(self, j: int) -> float:
        """The darkness constraint's Sun angle at station ``j`` (NaN: none)."""
        from passplan.stations import twilight_angle_deg

        d = self.c.darkness
        v = self.stations[j].twilight_deg if d == "station" else twilight_angle_deg(d)
        return math.nan if v is None else float(v)

    def dark_flag_deg(self, j: int) -> float:
        d = self.twilight(j) if self.c.darkness is not None else math.nan
        if math.isnan(d):
            tw = self.stations[j].twilight_deg
            d = -12.0 if tw is None else tw
        return d

    def constraint_ok(self, k: int, j: int, s: np.ndarray) -> np.ndarray:
        """(len(names), n) booleans: each active constraint holds at ``s`` (satellite k, station j)."""
        pos, ok = self.sat_at(k, s)
        return self._constraint_ok(j, s, pos, ok)

    def _constraint_ok(self, j: int, s: np.ndarray, pos: np.ndarray, ok: np.ndarray) -> np.ndarray:
        sta, enu = self.frames[j]
        out = []
        sun = self.sun(s) if {"darkness", "eclipse", "sunlit", "sun_separation"} & set(self.names) else np.zeros((s.size, 3))
        for name in self.names:
            if name == "darkness":
                thr = self.twilight(j)
                v = np.ones(s.size, bool) if math.isnan(thr) else look_angles(sun, sta, enu)[1] < thr
            elif name == "eclipse":
                v = ~lit(pos, sun)
            elif name == "sunlit":
                v = lit(pos, sun)
            elif name == "sun_separation":
                v = angle_deg(pos - sta, sun - sta) > self.c.min_sun_sep_deg
            elif name == "moon_separation":
                moon = self.moon(s)
                v = (look_angles(moon, sta, enu)[1] < 0) | (angle_deg(pos - sta, moon - sta) > self.c.min_moon_sep_deg)
            else:
                v = look_angles(pos, sta, enu)[2] < self.c.max_range_km
            out.append(v)
        return np.array(out, bool).reshape(len(self.names), s.size)

    # -- passes --
    def passes(self) -> list[RefPass]:
        n = int(math.floor(self.span))
        s = np.arange(n + 1, dtype=float)
        if self.span - n > 1e-9:
            s = np.append(s, self.span)
        pos, ok = self.sat_grid(s)
        out: list[RefPass] = []
        for k in range(len(self.sats)):
            for j in range(len(self.stations)):
                f = self.horizon_margin(j, pos[k], ok[k])
                out += self._pair_passes(k, j, s, f)
        return out

    def _pair_passes(self, k: int, j: int, s: np.ndarray, f: np.ndarray) -> list[RefPass]:
        def up(t: np.ndarray) -> np.ndarray:
            p, o = self.sat_at(k, t)
            return self.horizon_margin(j, p, o) > 0

        def margin(sign: float):
            def g(t: np.ndarray) -> np.ndarray:
                p, o = self.sat_at(k, t)
                return sign * self.horizon_margin(j, p, o)

            return g

        u = f > 0
        idx = np.flatnonzero(u[1:] != u[:-1])
        events = list(zip(bisect(up, s[idx], s[idx + 1]).tolist(), (~u[idx]).tolist(), strict=True))
        # humps below zero (and dips above) hidden between samples
        for sign, cand in ((1.0, (f <= 0) & (f > -0.5)), (-1.0, (f > 0) & (f < 0.5))):
            g = sign * f
            left = np.concatenate([[True], g[1:] >= g[:-1]])
            right = np.concatenate([g[:-1] > g[1:], [True]])
            c = np.flatnonzero(cand & left & right)
            if c.size == 0 or s.size < 2:
                continue
            a = s[np.maximum(c - 1, 0)]
            b = s[np.minimum(c + 1, s.size - 1)]
            x, fx = golden_max(margin(sign), a, b)
            hit = fx > 0
            for xa, xb, xm in zip(a[hit].tolist(), b[hit].tolist(), x[hit].tolist(), strict=True):
                r0 = float(bisect(up, np.array([xa]), np.array([xm]))[0]) if up(np.array([xa]))[0] != up(np.array([xm]))[0] else None
                r1 = float(bisect(up, np.array([xm]), np.array([xb]))[0]) if up(np.array([xm]))[0] != up(np.array([xb]))[0] else None
                # a hump rises then sets; a dip sets then rises; drop crossings already found
                for t_, rising in ((r0, sign > 0), (r1, sign < 0)):
                    if t_ is not None and all(abs(t_ - e) > 5 * TOL_S for e, _ in events):
                        events.append((t_, rising))
        events.sort()
        out: list[RefPass] = []
        start = 0.0 if u[0] else None
        for t_, rising in events:
            if rising and start is None:
                start = t_
            elif not rising and start is not None:
                out.append(RefPass(k, j, start, t_))
                start = None
        if start is not None:
            out.append(RefPass(k, j, start, self.span))
        for p in out:
            self._windows(p)
        return out

    def _windows(self, p: RefPass) -> None:
        inner = np.arange(math.floor(p.rise) + 1, math.ceil(p.set), dtype=float)
        t = np.concatenate([[p.rise], inner[(inner > p.rise) & (inner < p.set)], [p.set]])
        p.t = t
        if not self.names:
            p.ok = np.zeros((0, t.size), bool)
            p.windows = [RefWindow(p.rise, p.set, None, None)]
            return
        ok = self.constraint_ok(p.sat, p.st, t)
        p.ok = ok
        allok = np.asarray(ok.all(axis=0), bool)
        idx = np.flatnonzero(allok[1:] != allok[:-1])

        def all_ok(x: np.ndarray) -> np.ndarray:
            return np.asarray(self.constraint_ok(p.sat, p.st, x).all(axis=0), bool)

        x = bisect(all_ok, t[idx], t[idx + 1])
        became = ~allok[idx]
        probe = np.where(became, x - 0.01, x + 0.01)
        fails = ~self.constraint_ok(p.sat, p.st, probe) if x.size else np.zeros((len(self.names), 0), bool)
        who = [self.names[int(np.argmax(fails[:, i]))] if fails[:, i].any() else self.names[-1] for i in range(x.size)]
        cur: tuple[float, str | None] | None = (p.rise, None) if allok[0] else None
        for xi, b, w in zip(x.tolist(), became.tolist(), who, strict=True):
            if b and cur is None:
                cur = (xi, w)
            elif not b and cur is not None:
                p.windows.append(RefWindow(cur[0], xi, cur[1], w))
                cur = None
        if cur is not None:
            p.windows.append(RefWindow(cur[0], p.set, cur[1], None))

    # -- figures of a window --
    def figures(self, k: int, j: int, a: float, b: float) -> dict[str, float]:
        """Highest elevation and its time, nearest range, sunlit fraction and the Sun's highest
        elevation over ``[a, b]``, from 1-s samples refined on SGP4."""
        inner = np.arange(math.floor(a) + 1, math.ceil(b), dtype=float)
        t = np.concatenate([[a], inner[(inner > a) & (inner < b)], [b]])
        pos, ok = self.sat_at(k, t)
        _, el, rng = self.elevation(j, pos)

        def el_at(x: np.ndarray) -> np.ndarray:
            return self.elevation(j, self.sat_at(k, x)[0])[1]

        def neg_rng(x: np.ndarray) -> np.ndarray:
            return -self.elevation(j, self.sat_at(k, x)[0])[2]

        out: dict[str, float] = {}
        for name, vals, fn in (("el", el, el_at), ("rng", -rng, neg_rng)):
            i = int(np.argmax(vals))
            lo, hi = t[max(i - 1, 0)], t[min(i + 1, t.size - 1)]
            x, fx = golden_max(fn, np.array([lo]), np.array([hi]))
            best_t, best = (float(x[0]), float(fx[0])) if fx[0] >= vals[i] else (float(t[i]), float(vals[i]))
            out[f"t_{name}"], out[name] = best_t, best
        out["rng"] = -out["rng"]
        sun = self.sun(t)
        lit_s = lit(pos, sun)
        lit_t = 0.0
        for i in range(t.size - 1):
            if lit_s[i] == lit_s[i + 1]:
                lit_t += (t[i + 1] - t[i]) * lit_s[i]
            else:
                e = float(bisect(lambda x: lit(self.sat_at(k, x)[0], self.sun(x)), np.array([t[i]]), np.array([t[i + 1]]))[0])
                lit_t += (e - t[i]) if lit_s[i] else (t[i + 1] - e)
        out["sunlit_fraction"] = lit_t / (b - a) if b > a else float(lit_s[0])
        sun_el = look_angles(sun, *self.frames[j])[1]
        out["sun_el_max"] = float(np.max(sun_el))
        # the part of [a, b] with the Sun under the dark-flag angle (+ 0.02 deg): linear
        # between the 1-s samples (the Sun's elevation curves by < 1e-6 deg in a second)
        thr = self.dark_flag_deg(j) + 0.02
        dark_t = 0.0
        for i in range(t.size - 1):
            d0, d1 = sun_el[i] - thr, sun_el[i + 1] - thr
            if d0 < 0 and d1 < 0:
                dark_t += t[i + 1] - t[i]
            elif (d0 < 0) != (d1 < 0):
                x = t[i] + (t[i + 1] - t[i]) * d0 / (d0 - d1)
                dark_t += (x - t[i]) if d0 < 0 else (t[i + 1] - x)
        out["dark_fraction"] = dark_t / (b - a) if b > a else float(sun_el[0] < thr)
        return out

    def look_at(self, k: int, j: int, s: float) -> tuple[float, float, float]:
        """Azimuth, reported elevation, range at one time."""
        az, el, rng = self.elevation(j, self.sat_at(k, np.array([s]))[0])
        return float(az[0]), float(el[0]), float(rng[0])
