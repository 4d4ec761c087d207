"""Fast vectorised topocentric geometry for many satellites x many stations x many times.

Each satellite is propagated with SGP4 (``sgp4.api.SatrecArray`` on a shared time grid, or one
``Satrec.sgp4_array`` call per satellite for scattered times). TEME is rotated to the
Earth-fixed frame by the GMST 1982 angle of UT1 (Vallado et al., AIAA 2006-6753, appendix C),
exactly as Skyfield does when no polar-motion table is loaded; Earth-fixed velocities add the
Earth-rotation term ``-omega x r`` with the GMST rate (the same reference). :class:`StateGrid`
interpolates a propagated grid of positions and velocities with cubic Hermite polynomials, so
a search can evaluate the state anywhere between grid points without SGP4. Station positions and local
east-north-up axes come from WGS-84 geodetic coordinates. Azimuth and elevation are geometric
(no refraction) unless refraction is asked for (Saemundsson 1986 formula, standard atmosphere).

Times inside this module are float seconds of UTC since the scene's reference instant ``t0``
(leap seconds are not counted, as in POSIX time and in SGP4's own UTC Julian dates).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from sgp4.api import Satrec, SatrecArray
from skyfield.sgp4lib import theta_GMST1982

from .ephemeris import planets
from .satellite import KeptSatrec
from .stations import Station
from .times import require_aware, timescale

__all__ = ["Scene", "StateGrid", "station_ecef_km", "enu_matrices", "refraction_deg", "WGS84_A_KM", "WGS84_F"]

WGS84_A_KM = 6378.137  # WGS-84 semi-major axis (NIMA TR8350.2)
WGS84_F = 1.0 / 298.257223563  # WGS-84 flattening
DAY_S = 86400.0
_TAB_STEP_S = 300.0  # Sun/Moon/UT1 table spacing (see Scene)
#: the element sets whose ``_sgp4(jd, fr, e, r, v)`` (what ``Satrec.sgp4_array`` calls) may be called directly
_PLAIN_SATREC = Satrec if hasattr(Satrec, "_sgp4") else None
#: rows per batch of :meth:`StateGrid.state` (its temporaries stay in cache; assumed, measured)
_STATE_CHUNK = 1 << 15
#: degrees per radian: ``np.degrees(x)`` is ``x * (180.0 / NPY_PI)`` with this same double
#: (numpy's npymath), so a plain multiply gives its values bit for bit, ten times faster
#: (tests/test_grid_speed.py)
_DEG = 180.0 / np.pi


def station_ecef_km(lat_deg: np.ndarray, lon_deg: np.ndarray, alt_m: np.ndarray) -> np.ndarray:
    """WGS-84 geodetic coordinates to Earth-fixed Cartesian (km), shape (n, 3)."""
    lat = np.radians(np.asarray(lat_deg, float))
    lon = np.radians(np.asarray(lon_deg, float))
    h = np.asarray(alt_m, float) / 1000.0
    e2 = WGS84_F * (2.0 - WGS84_F)
    n = WGS84_A_KM / np.sqrt(1.0 - e2 * np.sin(lat) ** 2)
    x = (n + h) * np.cos(lat) * np.cos(lon)
    y = (n + h) * np.cos(lat) * np.sin(lon)
    z = (n * (1.0 - e2) + h) * np.sin(lat)
    return np.stack([x, y, z], axis=-1)


def enu_matrices(lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    """Rows east, north, up of each station's local frame (geodetic normal), shape (n, 3, 3)."""
    lat = np.radians(np.asarray(lat_deg, float))
    lon = np.radians(np.asarray(lon_deg, float))
    sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
    east = np.stack([-so, co, np.zeros_like(so)], axis=-1)
    north = np.stack([-sl * co, -sl * so, cl], axis=-1)
    up = np.stack([cl * co, cl * so, sl], axis=-1)
    return np.stack([east, north, up], axis=-2)


def dot3_rows(a0: np.ndarray, a1: np.ndarray, a2: np.ndarray, b0: np.ndarray, b1: np.ndarray, b2: np.ndarray) -> np.ndarray:
    """``np.einsum("...i,...i->...", a, b)`` of C-contiguous rows ``a``, ``b`` (n, 3), from
    their components: the sum numpy's einsum forms there on x86-64 (its SSE baseline),
    ``((a0 b0 + a2 b2) + a1 b1) + 0`` (a two-lane accumulator starting at zero takes the third
    product into the first lane; the output starts at zero), bit for bit, twice as fast on
    component arrays. Use it only where :func:`dot3_is_einsum` (a platform whose einsum fuses
    the multiply-add, as NEON's, sums otherwise); tests/test_grid_speed.py checks it."""
    x = a0 * b0
    x += a2 * b2
    x += a1 * b1
    x += 0.0
    return x


def _lerp(tt: np.ndarray, s: np.ndarray, tab: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """``np.interp(s, tt, tab[:, i])`` for every column ``i`` of ``tab`` at once
    (or of a 1-D ``tab``), bit for bit: its interval ``j`` (``t_j <= s < t_j+1``), its
    ``slope_j * (s - t_j) + tab_j``, a node's own value at a node and the end values outside
    the table. The interval comes from the uniform spacing (corrected where the division
    rounds across a node), not from a binary search per column; ``slope`` is np.interp's
    per-interval slope, tabulated once. Used where :func:`_lerp_is_interp`."""
    shape = np.shape(s)
    x = np.asarray(s, float).ravel()
    last = tt.size - 2
    nan = np.isnan(x)
    j = np.floor(((np.where(nan, tt[0], x) if nan.any() else x) - tt[0]) / _TAB_STEP_S)
    np.clip(j, 0, last, out=j)
    j = j.astype(np.intp)
    j -= tt.take(j) > x  # the division rounded up to the next node: one interval down
    np.maximum(j, 0, out=j)
    j += (tt.take(j + 1) <= x) & (j < last)  # rounded down: one up
    dx = x - tt.take(j)
    if tab.ndim == 2:
        out = slope.take(j, axis=0)
        out *= dx[:, None]
        out += tab.take(j, axis=0)
    else:
        out = slope.take(j)
        out *= dx
        out += tab.take(j)
    at_node = dx == 0  # np.interp returns the node's value itself there
    lo, hi = x < tt[0], x >= tt[-1]
    if at_node.any() or lo.any() or hi.any():
        pick = np.where(lo, 0, np.where(hi, tt.size - 1, j))
        sel = at_node | lo | hi
        out[sel] = tab.take(pick[sel], axis=0)
    if nan.any():
        out[nan] = np.nan
    return out.reshape(shape + tab.shape[1:])


@functools.cache
def _lerp_is_interp() -> bool:
    """Whether :func:`_lerp` (a separate multiply and add) gives ``np.interp``'s values on
    this platform (whose compiled loop could fuse them): checked once on random tables."""
    r = np.random.default_rng(20261207)
    tab_t = np.arange(-13, 70) * _TAB_STEP_S
    tab = r.normal(size=(tab_t.size, 3)) * 1.5e8
    slope = (tab[1:] - tab[:-1]) / (tab_t[1:] - tab_t[:-1])[:, None]
    x = np.concatenate([r.uniform(tab_t[0] - 900.0, tab_t[-1] + 900.0, 2000), tab_t])
    want = np.stack([np.interp(x, tab_t, tab[:, i]) for i in range(3)], -1)
    return bool(np.array_equal(_lerp(tab_t, x, tab, slope), want))


@functools.cache
def _station_major_is_time_major() -> bool:
    """Whether this BLAS gives the station-major products ``m @ p.T`` per satellite the values
    of the time-major ``p @ m.T`` (each the same three-term dot product): checked once on 1, 7
    and 50 stations x 5 and 195 times."""
    r = np.random.default_rng(20261207)
    same = True
    for nst in (1, 7, 50):
        m = r.normal(size=(nst, 3)) * 6000.0
        for nt in (5, 195):
            p = r.normal(size=(3, nt, 3)) * 7000.0
            same &= bool(np.array_equal(np.matmul(m, p.transpose(0, 2, 1)), (p @ m.T).transpose(0, 2, 1)))
    return same


def _station_major(m: np.ndarray, sat_ecef: np.ndarray) -> np.ndarray:
    """``m`` (nst, 3) against positions (nsat, nt, 3): the products (nsat, nst, nt), straight
    from BLAS station-major where that gives the time-major values (no transposing copy;
    measured equal over 1..100 stations x 4..300 times here, tested in tests/test_grid_speed.py),
    else time-major and transposed."""
    if _station_major_is_time_major():
        return np.matmul(m, sat_ecef.transpose(0, 2, 1))
    return np.ascontiguousarray((sat_ecef @ m.T).transpose(0, 2, 1))


@functools.cache
def dot3_is_einsum() -> bool:
    """Whether :func:`dot3_rows` gives ``np.einsum``'s values on this platform: checked once on
    256 random rows (a different order or a fused multiply-add shows in about a third of them)."""
    r = np.random.default_rng(20261207)
    a, b = r.normal(size=(256, 3)) * 7000.0, r.normal(size=(256, 3)) * 7.0
    want = np.einsum("...i,...i->...", a, b)
    return bool(np.array_equal(dot3_rows(a[:, 0], a[:, 1], a[:, 2], b[:, 0], b[:, 1], b[:, 2]), want))


def dot3(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.einsum("...i,...i->...", a, b)``, bit for bit: by component (:func:`dot3_rows`) for
    C-contiguous rows of one shape (n, 3) where :func:`dot3_is_einsum`, einsum itself otherwise
    (a broadcast operand, another layout or platform)."""
    if (
        a.ndim == 2 and a.shape == b.shape and a.shape[1] == 3
        and a.flags.c_contiguous and b.flags.c_contiguous and dot3_is_einsum()
    ):
        return dot3_rows(a[:, 0], a[:, 1], a[:, 2], b[:, 0], b[:, 1], b[:, 2])
    return np.einsum("...i,...i->...", a, b)


def sun_direction(sun_ecef: np.ndarray) -> np.ndarray:
    """Unit vectors of ``sun_ecef`` (..., 3), the length summed componentwise in
    ``np.linalg.norm``'s order (the same values, faster): the first half of
    :meth:`Scene.sunlit_margin_km`, for callers that tabulate it once per time."""
    s0, s1, s2 = sun_ecef[..., 0], sun_ecef[..., 1], sun_ecef[..., 2]
    return sun_ecef / np.sqrt(s0 * s0 + s1 * s1 + s2 * s2)[..., None]


def sunlit_margin_along(sat_ecef: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """:meth:`Scene.sunlit_margin_km` from the Sun's direction ``unit`` (:func:`sun_direction`):
    the closest approach to the Earth's centre of the line from the satellite towards the Sun,
    minus the radius, on the night side; its distance + 1 km on the day side."""
    along = dot3(sat_ecef, unit)
    p = sat_ecef - along[..., None] * unit
    p0, p1, p2 = p[..., 0], p[..., 1], p[..., 2]
    margin = np.sqrt(p0 * p0 + p1 * p1 + p2 * p2) - WGS84_A_KM
    return np.where(along >= 0.0, np.abs(margin) + 1.0, margin)


def refraction_deg(el_deg: np.ndarray) -> np.ndarray:
    """Atmospheric refraction (deg) to add to a geometric elevation, standard conditions.

    Saemundsson (1986), Sky & Telescope 72, 70: R = 1.02 / tan(h + 10.3 / (h + 5.11)) arcmin
    with h the true elevation in degrees (10 C, 101.0 kPa). Clamped below -1 deg.
    """
    h = np.maximum(np.asarray(el_deg, float), -1.0)
    return 1.02 / np.tan(np.radians(h + 10.3 / (h + 5.11))) / 60.0


def _propagate_grid(satrecs: list, jd: np.ndarray, fr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TEME states of every satellite at every time: error codes (nsat, nt), positions and
    velocities (nsat, nt, 3). One ``SatrecArray`` call, unless a satellite is station-kept
    (:class:`~passplan.satellite.KeptSatrec`, one element set per day): then one
    ``sgp4_array`` call per satellite (the same C propagator, bit-identical results)."""
    if not any(isinstance(x, KeptSatrec) for x in satrecs):
        return SatrecArray(satrecs).sgp4(jd, fr)
    out = [x.sgp4_array(jd, fr) for x in satrecs]
    return (
        np.stack([o[0] for o in out]).reshape(len(satrecs), jd.size),
        np.stack([o[1] for o in out]).reshape(len(satrecs), jd.size, 3),
        np.stack([o[2] for o in out]).reshape(len(satrecs), jd.size, 3),
    )


@dataclass(eq=False)
class Scene:
    """Satellites, stations and a reference instant: evaluates topocentric geometry in bulk.

    Sun and Moon positions (DE421) and UT1-UTC are tabulated once on a 5-minute grid covering
    ``[t0 - 1 h, t1 + 1 h]`` in the Earth-fixed frame and interpolated linearly (the chord error
    is below 3e-4 rad for the Moon, far below any exclusion angle's meaning). ``table_s`` =
    ``(lo, hi)`` seconds after ``t0`` narrows the tables to ``[lo - 1 h, hi + 1 h]``; their nodes
    stay on the 5-minute lattice from ``t0``, so scenes of different spans sharing ``t0`` give
    the same values wherever both tables reach (what time blocks rely on).
    """

    satrecs: list
    stations: list[Station]
    t0: datetime
    t1: datetime
    table_s: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        self.t0 = require_aware(self.t0, "start")
        self.t1 = require_aware(self.t1, "end")
        ts = timescale()
        t = ts.from_datetime(self.t0)
        # UTC Julian date of t0 as SGP4 wants it (whole + fraction, leap seconds not counted)
        self._jd_utc0 = float(t.whole)
        self._fr_utc0 = float(t.tai_fraction - t._leap_seconds() / DAY_S)
        lat = np.array([s.lat_deg for s in self.stations], float)
        lon = np.array([s.lon_deg for s in self.stations], float)
        alt = np.array([s.alt_m for s in self.stations], float)
        self.sta_ecef = station_ecef_km(lat, lon, alt)  # (nst, 3)
        self.sta_enu = enu_matrices(lat, lon)  # (nst, 3, 3)
        lo, hi = self.table_s if self.table_s is not None else (0.0, (self.t1 - self.t0).total_seconds())
        k0 = int(np.floor((lo - 3600.0) / _TAB_STEP_S))
        k1 = int(np.ceil((hi + 3600.0) / _TAB_STEP_S)) + 1
        self._tab_t = np.arange(k0, k1 + 1) * _TAB_STEP_S
        tt = ts.from_datetimes([self.t0 + timedelta(seconds=float(s)) for s in self._tab_t])
        self._tab_dut1 = np.asarray(tt.dut1, float)
        self._tab_leap: np.ndarray | None = None
        leap = np.asarray(tt._leap_seconds(), float)
        if np.ptp(leap) > 0:  # a leap second: interpolate UT1 - TAI (continuous), add TAI - UTC
            self._tab_leap, self._tab_dut1 = leap, self._tab_dut1 - leap
            t0u = self.t0.astimezone(UTC)
            self._day0_s = (t0u - t0u.replace(hour=0, minute=0, second=0, microsecond=0)).total_seconds()
        eph = planets()
        earth = eph["earth"]
        from skyfield.framelib import itrs

        rot = itrs.rotation_at(tt)  # (3, 3, n)
        sun = (eph["sun"] - earth).at(tt).position.km
        moon = (eph["moon"] - earth).at(tt).position.km
        self._tab_sun = np.einsum("ijn,jn->ni", rot, sun)
        self._tab_moon = np.einsum("ijn,jn->ni", rot, moon)
        # np.interp's slopes, per table interval (its formula: dy / dx of the interval's ends)
        gap = self._tab_t[1:] - self._tab_t[:-1]
        self._slope_sun = (self._tab_sun[1:] - self._tab_sun[:-1]) / gap[:, None]
        self._slope_moon = (self._tab_moon[1:] - self._tab_moon[:-1]) / gap[:, None]
        self._slope_dut1 = (self._tab_dut1[1:] - self._tab_dut1[:-1]) / gap

    # ---- time ---------------------------------------------------------------------------
    def leap_instants(self) -> np.ndarray:
        """Seconds after ``t0`` of the leap seconds inside the tables' span: the UTC day
        boundaries at which TAI - UTC steps. UTC (and so every time here) skips them while UT1
        runs on, so Earth-fixed positions step by a second of the Earth's rotation there (about
        1 km at MEO radii): nothing may be interpolated across one."""
        if self._tab_leap is None:
            return np.empty(0)
        i = np.flatnonzero(np.diff(self._tab_leap) != 0)
        # a leap second ends a UTC day: the first instant of the day of the node after the step
        return np.floor((self._day0_s + self._tab_t[i + 1]) / DAY_S) * DAY_S - self._day0_s

    def seconds(self, when: datetime) -> float:
        """UTC seconds since ``t0``."""
        return (require_aware(when) - self.t0).total_seconds()

    def datetime_at(self, s: float) -> datetime:
        """The aware UTC datetime ``s`` seconds after ``t0``."""
        return self.t0 + timedelta(seconds=float(s))

    def datetimes_at(self, s: np.ndarray) -> list[datetime]:
        """Aware UTC datetimes for an array of seconds after ``t0`` (microsecond resolution)."""
        base = np.datetime64(self.t0.replace(tzinfo=None), "us")
        stamps = base + np.round(np.asarray(s, float) * 1e6).astype("timedelta64[us]")
        return [d.replace(tzinfo=UTC) for d in stamps.astype(object).tolist()]

    def _jd(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        fr = self._fr_utc0 + np.asarray(s, float) / DAY_S
        whole = np.floor(fr)
        return self._jd_utc0 + whole, fr - whole

    def _rotation(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """cos and sin of the GMST angle and its rate (rad/s) at times ``s``."""
        jd, fr = self._jd(s)
        if _lerp_is_interp():
            dut1 = _lerp(self._tab_t, s, self._tab_dut1, self._slope_dut1)
        else:
            dut1 = np.interp(s, self._tab_t, self._tab_dut1)
        if self._tab_leap is not None:  # TAI - UTC of each time's UTC day (a leap second ends a day)
            i = np.clip(np.searchsorted(self._tab_t, s, "right") - 1, 0, self._tab_t.size - 2)
            same_day = np.floor((self._day0_s + s) / DAY_S) == np.floor((self._day0_s + self._tab_t[i]) / DAY_S)
            dut1 = dut1 + np.where(same_day, self._tab_leap[i], self._tab_leap[i + 1])
        fr_ut1 = fr + dut1 / DAY_S
        theta, theta_dot = theta_GMST1982(jd, fr_ut1)  # rad, rad per UT1 day
        return np.cos(theta), np.sin(theta), theta_dot / DAY_S

    def _teme_to_ecef(self, r: np.ndarray, s: np.ndarray) -> np.ndarray:
        c, sn, _ = self._rotation(s)
        x = c * r[..., 0] + sn * r[..., 1]
        y = -sn * r[..., 0] + c * r[..., 1]
        return np.stack([x, y, r[..., 2]], axis=-1)

    def _teme_to_ecef_state(self, r: np.ndarray, v: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Earth-fixed position (km) and velocity (km/s): ``v_ef = R v + (w y_ef, -w x_ef, 0)``
        with ``R`` the GMST rotation and ``w`` its rate (AIAA 2006-6753 appendix C)."""
        c, sn, w = self._rotation(s)
        x = c * r[..., 0] + sn * r[..., 1]
        y = -sn * r[..., 0] + c * r[..., 1]
        vx = c * v[..., 0] + sn * v[..., 1] + w * y
        vy = -sn * v[..., 0] + c * v[..., 1] - w * x
        return np.stack([x, y, r[..., 2]], axis=-1), np.stack([vx, vy, v[..., 2]], axis=-1)

    # ---- satellites ---------------------------------------------------------------------
    def sat_ecef_grid(self, s: np.ndarray, sats: slice = slice(None)) -> tuple[np.ndarray, np.ndarray]:
        """Satellites ``sats`` at every grid time: positions (nsat, nt, 3) km and SGP4 error codes.

        One ``SatrecArray`` call propagates the whole block (vectorised in C over both axes).
        """
        s = np.asarray(s, float)
        jd, fr = self._jd(s)
        err, r, _ = _propagate_grid(self.satrecs[sats], jd, fr)
        return self._teme_to_ecef(r, s[None, :]), err

    def sat_state_grid(
        self, s: np.ndarray, sats: slice = slice(None)
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Like :meth:`sat_ecef_grid`, with Earth-fixed velocities (km/s) from the same call:
        positions and velocities (nsat, nt, 3) and error codes (nsat, nt)."""
        s = np.asarray(s, float)
        jd, fr = self._jd(s)
        err, r, v = _propagate_grid(self.satrecs[sats], jd, fr)
        pos, vel = self._teme_to_ecef_state(r, v, s[None, :])
        return pos, vel, err

    def _sgp4_scattered(self, sat_idx: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """TEME states of satellite ``sat_idx[k]`` at ``s[k]``: one propagator call per satellite,
        each writing its run of the times sorted by satellite straight into the sorted outputs
        (the C propagator of ``Satrec.sgp4_array``; a station-kept satellite through its own
        ``sgp4_array``)."""
        sat_idx = np.asarray(sat_idx, int)
        s = np.asarray(s, float)
        n = s.size
        if n == 0:
            return np.empty((0, 3)), np.empty((0, 3)), np.zeros(0, np.uint8)
        jd, fr = self._jd(s)
        order = np.argsort(sat_idx, kind="stable")
        by_sat = sat_idx[order]
        jd_s, fr_s = np.ascontiguousarray(jd[order]), np.ascontiguousarray(fr[order])
        r_s, v_s, e_s = np.empty((n, 3)), np.empty((n, 3)), np.empty(n, np.uint8)
        cuts = np.flatnonzero(np.diff(by_sat)) + 1
        starts = np.concatenate([[0], cuts]).tolist()
        ends = np.concatenate([cuts, [n]]).tolist()
        for a, b, k in zip(starts, ends, by_sat[starts].tolist(), strict=True):
            sat = self.satrecs[k]
            if type(sat) is _PLAIN_SATREC:  # its C method fills the slices in place
                sat._sgp4(jd_s[a:b], fr_s[a:b], e_s[a:b], r_s[a:b], v_s[a:b])
            else:
                e_s[a:b], r_s[a:b], v_s[a:b] = sat.sgp4_array(jd_s[a:b], fr_s[a:b])
        r_out, v_out, err = np.empty((n, 3)), np.empty((n, 3)), np.empty(n, np.uint8)
        r_out[order], v_out[order], err[order] = r_s, v_s, e_s
        return r_out, v_out, err

    def sat_ecef_at(self, sat_idx: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Satellite ``sat_idx[k]`` at time ``s[k]``: positions (n, 3) km and error codes (n,)."""
        r, _, err = self._sgp4_scattered(sat_idx, s)
        return self._teme_to_ecef(r, np.asarray(s, float)), err

    def sat_state_at(self, sat_idx: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Satellite ``sat_idx[k]`` at time ``s[k]``: Earth-fixed positions and velocities (n, 3)
        and error codes (n,)."""
        r, v, err = self._sgp4_scattered(sat_idx, s)
        pos, vel = self._teme_to_ecef_state(r, v, np.asarray(s, float))
        return pos, vel, err

    # ---- Sun and Moon -------------------------------------------------------------------
    def sun_ecef(self, s: np.ndarray) -> np.ndarray:
        """Geocentric Sun position (km, Earth-fixed) at times ``s``, shape (..., 3)."""
        if _lerp_is_interp():
            return _lerp(self._tab_t, s, self._tab_sun, self._slope_sun)
        s = np.asarray(s, float)
        return np.stack([np.interp(s, self._tab_t, self._tab_sun[:, i]) for i in range(3)], -1)

    def moon_ecef(self, s: np.ndarray) -> np.ndarray:
        """Geocentric Moon position (km, Earth-fixed) at times ``s``, shape (..., 3)."""
        if _lerp_is_interp():
            return _lerp(self._tab_t, s, self._tab_moon, self._slope_moon)
        s = np.asarray(s, float)
        return np.stack([np.interp(s, self._tab_t, self._tab_moon[:, i]) for i in range(3)], -1)

    # ---- topocentric --------------------------------------------------------------------
    def topocentric(
        self, sat_ecef: np.ndarray, st_idx: np.ndarray | int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Azimuth (deg, 0..360 from north through east), elevation (deg), range (km).

        ``sat_ecef`` (..., 3) broadcasts against the stations picked by ``st_idx``.
        """
        e, n, u = self.enu(sat_ecef, st_idx)
        rng = np.sqrt(e * e + n * n + u * u)
        el = np.arcsin(np.clip(u / rng, -1.0, 1.0)) * _DEG
        az = (np.arctan2(e, n) * _DEG) % 360.0
        return az, el, rng

    def station_table(self) -> np.ndarray:
        """Per station (columns), rows ``e_x e_y n_x n_y n_z u_x u_y u_z`` (its east, north, up
        axes; east has no z) and ``x y z`` (its Earth-fixed position, km): shape (11, nst), each
        row contiguous, for gathering by station."""
        if not hasattr(self, "_enu_tab"):
            nst = self.sta_ecef.shape[0]
            axes = np.delete(self.sta_enu.reshape(nst, 9), 2, axis=1)
            self._enu_tab = np.concatenate([axes, self.sta_ecef], axis=1).T.copy()
        return self._enu_tab

    def enu(self, sat_ecef: np.ndarray, st_idx: np.ndarray | int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """East, north, up components (km) of the line of sight, componentwise (no temporaries
        of shape (..., 3, 3))."""
        st_idx = np.asarray(st_idx)
        if st_idx.ndim == 0 or self.sta_ecef.shape[0] == 1:
            s = self.sta_ecef[st_idx]
            m = self.sta_enu[st_idx]
            d0 = sat_ecef[..., 0] - s[..., 0]
            d1 = sat_ecef[..., 1] - s[..., 1]
            d2 = sat_ecef[..., 2] - s[..., 2]
            e = m[..., 0, 0] * d0 + m[..., 0, 1] * d1
            n = m[..., 1, 0] * d0 + m[..., 1, 1] * d1 + m[..., 1, 2] * d2
            u = m[..., 2, 0] * d0 + m[..., 2, 1] * d1 + m[..., 2, 2] * d2
            return e, n, u
        # many rows: the 8 axis coefficients used (east has no z) and 3 coordinates of each
        # row's station in one gather from a small (11, nst) table, each a contiguous array
        c = Scene.station_table(self).take(st_idx, axis=1)  # (any object with the station arrays)
        d0 = sat_ecef[..., 0] - c[8]
        d1 = sat_ecef[..., 1] - c[9]
        d2 = sat_ecef[..., 2] - c[10]
        e = c[0] * d0 + c[1] * d1
        n = c[2] * d0 + c[3] * d1 + c[4] * d2
        u = c[5] * d0 + c[6] * d1 + c[7] * d2
        return e, n, u

    def topocentric_grid(
        self, sat_ecef: np.ndarray, need_az: bool = True, sine: bool = False, offset: np.ndarray | None = None
    ) -> tuple[np.ndarray | None, np.ndarray]:
        """Every position against every station with matrix products (BLAS).

        ``sat_ecef`` (nsat, nt, 3) gives azimuth (or None) and elevation in degrees (or its
        sine, with ``sine``), each of shape (nsat, nst, nt); with ``offset`` (per station) the
        elevation minus the station's offset. The up component is ``r . u_k - s_k . u_k`` and
        the squared range ``|r|^2 - 2 r . s_k + |s_k|^2``, so no (nsat, nst, nt, 3) temporary
        is formed.
        """
        up_dir = self.sta_enu[:, 2, :]  # (nst, 3)
        up = _station_major(up_dir, sat_ecef)
        up -= np.einsum("kj,kj->k", up_dir, self.sta_ecef)[:, None]
        r2 = np.einsum("...i,...i->...", sat_ecef, sat_ecef)[:, None, :]
        # |r|^2 - 2 r . s + |s|^2 in place (r2 + (-2 r.s) is r2 - 2 r.s exactly); the factor -2
        # (a power of two) in the matrix: every product and partial sum scales exactly
        rng2 = _station_major(-2.0 * self.sta_ecef, sat_ecef)
        rng2 += r2
        rng2 += np.einsum("kj,kj->k", self.sta_ecef, self.sta_ecef)[:, None]
        up /= np.sqrt(rng2, out=rng2)
        if not sine:  # degrees, in place
            np.clip(up, -1.0, 1.0, out=up)
            np.arcsin(up, out=up)
            up *= _DEG
        if offset is not None:
            up -= np.asarray(offset, float)[:, None]
        el = up
        if not need_az:
            return None, el
        e_dir = self.sta_enu[:, 0, :]
        n_dir = self.sta_enu[:, 1, :]
        e = _station_major(e_dir, sat_ecef)
        e -= np.einsum("kj,kj->k", e_dir, self.sta_ecef)[:, None]
        n = _station_major(n_dir, sat_ecef)
        n -= np.einsum("kj,kj->k", n_dir, self.sta_ecef)[:, None]
        az = np.arctan2(e, n, out=e)
        az *= _DEG
        az %= 360.0
        return az, el

    def body_elevation_deg(self, body_ecef: np.ndarray, st_idx: np.ndarray | int) -> np.ndarray:
        """Topocentric elevation (deg) of a body given geocentric Earth-fixed positions."""
        return self.elevation_range(body_ecef, st_idx)[0]

    def elevation_range(self, sat_ecef: np.ndarray, st_idx: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
        """Elevation (deg) and range (km) as :meth:`topocentric` gives them, without azimuth."""
        e, n, u = self.enu(sat_ecef, st_idx)
        if np.ndim(u) == 0:
            rng = np.sqrt(e * e + n * n + u * u)
            return np.arcsin(np.clip(u / rng, -1.0, 1.0)) * _DEG, rng
        # the same operations in the same order as above, in the buffers of e and n
        e *= e
        n *= n
        e += n
        e += np.multiply(u, u, out=n)
        rng = np.sqrt(e, out=e)
        el = np.divide(u, rng, out=n)
        np.clip(el, -1.0, 1.0, out=el)
        np.arcsin(el, out=el)
        el *= _DEG
        return el, rng

    def separation_deg(self, sat_ecef: np.ndarray, body_ecef: np.ndarray, st_idx: np.ndarray | int) -> np.ndarray:
        """Angle (deg) at the station between the satellite and a body (Sun or Moon)."""
        st = self.sta_ecef.take(np.asarray(st_idx), axis=0)  # (fancy indexing's values, faster)
        a = sat_ecef - st
        b = body_ecef - st
        cosang = np.einsum("...i,...i->...", a, b) / (
            np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
        )
        return np.arccos(np.clip(cosang, -1.0, 1.0)) * _DEG

    @staticmethod
    def sunlit_margin_km(sat_ecef: np.ndarray, sun_ecef: np.ndarray) -> np.ndarray:
        """Positive when the Sun's centre is visible from the satellite, negative in Earth shadow.

        Spherical Earth of radius 6378.137 km and a point Sun, the test Skyfield's
        ``is_sunlit`` makes: the satellite is shadowed when the segment towards the Sun passes
        through the sphere. The margin is the closest approach of that line to the Earth's centre
        minus the radius (or +distance on the day side), so its sign changes at shadow entry/exit.
        """
        return sunlit_margin_along(np.asarray(sat_ecef), sun_direction(sun_ecef))

    def moon_illumination(self, s: np.ndarray) -> np.ndarray:
        """Illuminated fraction of the Moon's disc (0 new .. 1 full), from the geocentric elongation."""
        sun = self.sun_ecef(s)
        moon = self.moon_ecef(s)
        # phase angle at the Moon between Sun and Earth
        to_sun = sun - moon
        to_earth = -moon
        c = np.einsum("...i,...i->...", to_sun, to_earth) / (
            np.linalg.norm(to_sun, axis=-1) * np.linalg.norm(to_earth, axis=-1)
        )
        return (1.0 + np.clip(c, -1, 1)) / 2.0


class StateGrid:
    """Satellite states on a uniform time grid, interpolated by cubic Hermite polynomials.

    ``pos``/``vel`` (nsat, nt, 3) are Earth-fixed states (km, km/s) at times
    ``(i0 + j) * step_s`` for ``j = 0 .. nt - 1``; ``ok`` (nsat, nt) marks where SGP4 succeeded.
    Between grid points ``i`` and ``i + 1`` the position is the cubic matching both positions
    and velocities (Burden and Faires, Numerical Analysis, section 3.4); its error is at most
    ``h^4 max|d4r/dt4| / 384`` (h the step): about 4 m for a 550 km orbit at h = 109 s
    (``n^4 r`` with n the mean motion; checked against SGP4 in tests/test_engine.py). At a grid
    point it returns the grid state exactly, from whichever side it is evaluated.
    """

    def __init__(self, pos: np.ndarray, vel: np.ndarray, ok: np.ndarray, i0: int, step_s: float):
        self.pos, self.vel, self.ok = pos, vel, ok
        self.i0, self.step_s = int(i0), float(step_s)
        nsat, nt = ok.shape
        # component-major: rows x, y, z, vx h, vy h, vz h; one column per (satellite, grid point)
        self._flat = np.concatenate([pos, vel * self.step_s], axis=-1).reshape(nsat * nt, 6).T.copy()
        flat_ok = ok.ravel()
        #: both ends of the interval from each grid point valid (a satellite's last point: unused)
        self._ok2 = np.append(flat_ok[:-1] & flat_ok[1:], False)

    @property
    def times(self) -> np.ndarray:
        """The grid times (s after the scene's ``t0``)."""
        return (self.i0 + np.arange(self.pos.shape[1])) * self.step_s

    def state(
        self, sat_idx: np.ndarray, s: np.ndarray, velocity: bool = True
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """Interpolated position (n, 3), velocity (n, 3; None unless ``velocity``) and validity
        (n,) of satellite ``sat_idx[k]`` at ``s[k]`` (times are clamped to the grid)."""
        sat_idx = np.asarray(sat_idx, int)
        s = np.asarray(s, float)
        if s.size <= _STATE_CHUNK:
            return self._state(sat_idx, s, velocity)
        # in batches whose temporaries stay in cache (the same values, several times faster
        # than one pass over arrays of a million rows)
        sat_idx = np.broadcast_to(sat_idx, s.shape)
        parts = [self._state(sat_idx[a : a + _STATE_CHUNK], s[a : a + _STATE_CHUNK], velocity) for a in range(0, s.size, _STATE_CHUNK)]
        vels = [p[1] for p in parts if p[1] is not None]
        return (
            np.concatenate([p[0] for p in parts]),
            np.concatenate(vels) if velocity else None,
            np.concatenate([p[2] for p in parts]),
        )

    def _state(
        self, sat_idx: np.ndarray, s: np.ndarray, velocity: bool
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        h = self.step_s
        nt = self.pos.shape[1]
        q = s / h
        j = np.floor(q).astype(np.int64)
        j -= self.i0
        np.clip(j, 0, nt - 2, out=j)
        u = q - (j + self.i0)
        np.clip(u, 0.0, 1.0, out=u)
        n = u.size
        # both ends of every interval in one gather: (6, 2, n), each [k, end] contiguous
        rows = np.empty((2, n), np.int64)
        row = np.multiply(sat_idx, nt, out=rows[0])
        row += j
        np.add(row, 1, out=rows[1])
        ends = self._flat.take(rows, axis=1)
        y0, y1 = ends[:, 0], ends[:, 1]  # x, y, z, vx h, vy h, vz h at the left and right point
        u2 = u * u
        u3 = u2 * u
        h01 = -2.0 * u3 + 3.0 * u2
        h00 = 1.0 - h01
        h10 = u3 - 2.0 * u2 + u
        h11 = u3 - u2
        # h00 y0 + h01 y1 + h10 v0 h + h11 v1 h, left to right, into preallocated buffers (the
        # last sum straight into the output's column)
        pos = np.empty((n, 3))
        acc, tmp = np.empty(n), np.empty(n)
        for k in range(3):
            np.multiply(h00, y0[k], out=acc)
            acc += np.multiply(h01, y1[k], out=tmp)
            acc += np.multiply(h10, y0[k + 3], out=tmp)
            np.add(acc, np.multiply(h11, y1[k + 3], out=tmp), out=pos[:, k])
        vel = None
        if velocity:
            u2x3 = 3.0 * u2
            d00 = (6.0 * u2 - 6.0 * u) / h
            d10 = (u2x3 - 4.0 * u + 1.0) / h
            d11 = (u2x3 - 2.0 * u) / h
            vel = np.empty((n, 3))
            for k in range(3):  # d00 (y0 - y1) + d10 v0 h + d11 v1 h
                np.subtract(y0[k], y1[k], out=acc)
                acc *= d00
                acc += np.multiply(d10, y0[k + 3], out=tmp)
                np.add(acc, np.multiply(d11, y1[k + 3], out=tmp), out=vel[:, k])
        return pos, vel, self._ok2.take(row)
