"""One time block of the pass search: the propagated grid and the horizon crossings on it.

A block covers the global grid points ``lo .. hi`` (times ``i * step_s`` after the search
start) and propagates one more point on each side, so every grid interval ``[i, i + 1]`` with
``lo <= i < hi`` (the intervals the block owns) and its neighbours are interpolated from the
same states whichever blocks the search is cut into.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from ..geometry import _DEG, Scene, StateGrid
from ..stations import Station
from .constraints import FAILED_MARGIN_DEG, Constraint, Horizon, Look
from .roots import certified_crossings, maximise

__all__ = ["Block", "REFINE_TOL_S", "HIDDEN_BOUND_DEG"]

#: tolerance of every reported crossing (s)
REFINE_TOL_S = 0.01
#: A grazing pass between grid points is decided on the interpolant when its peak clears the
#: threshold by more than this (deg); closer calls are decided on SGP4 itself. Assumed: 25x the
#: elevation error of a 4 m position error seen from 500 km (4.6e-4 deg).
HIDDEN_BOUND_DEG = 0.01
#: satellite x station x time values per chunk of the grid margins (memory bound, assumed)
_CHUNK_VALUES = 1_000_000
#: the same on the sine path (no mask), each chunk above cut in pieces of this many: their
#: temporaries then stay in this machine's cache (measured: 75 against 85 ms per block of
#: 1000 x 50 x 195). Only there, where nothing depends on the pieces' bounds (the brackets come
#: out in satellite order, the hidden humps sorted); with masks, fine brackets are listed chunk
#: by chunk, so that path keeps the chunks. The progress lines name the chunks either way.
_SINE_CHUNK_VALUES = 500_000


def _nonzero(a: np.ndarray) -> tuple[np.ndarray, ...]:
    """``np.nonzero`` of a boolean array (the same indices in the same order), three times faster
    on the sparse (satellite, station, time) arrays here: the flat indices, unravelled."""
    return np.unravel_index(np.flatnonzero(a), a.shape)


def _length(v: np.ndarray) -> np.ndarray:
    """``np.linalg.norm(v, axis=-1)`` of rows (n, 3): the squares summed in its order."""
    v0, v1, v2 = v[:, 0], v[:, 1], v[:, 2]
    return np.sqrt(v0 * v0 + v1 * v1 + v2 * v2)


class Block:
    """Scene, interpolated states and margins of one block (global grid points ``lo .. hi``)."""

    def __init__(
        self,
        sats: Sequence[Any],
        stations: Sequence[Station],
        t0: datetime,
        t1: datetime,
        lo: int,
        hi: int,
        step_s: float,
        horizon: Horizon,
        constraints: Sequence[Constraint],
    ):
        self.lo, self.hi, self.step_s = lo, hi, step_s
        self.horizon, self.constraints = horizon, list(constraints)
        self.nst = len(stations)
        self.scene = Scene([s.satrec for s in sats], list(stations), t0, t1, table_s=((lo - 1) * step_s, (hi + 1) * step_s))
        times = np.arange(lo - 1, hi + 2) * step_s
        pos, vel, err = self.scene.sat_state_grid(times)
        self.err = err
        self.grid = StateGrid(pos, vel, err == 0, lo - 1, step_s)
        # grid intervals holding a leap second (the positions step there: Scene.leap_instants);
        # inside them the state comes from SGP4, never from the interpolant (none since 2016)
        leaps = self.scene.leap_instants()
        j = np.searchsorted(times, leaps, "left") - 1
        j = j[(j >= 0) & (j < times.size - 1)]
        self._leap_lo, self._leap_hi = times[j], times[j + 1]
        self.sgp4_evaluations = {"grid": int(err.size), "refine": 0}
        #: extra brackets ``(sat, station, lo, hi)`` of horizon crossings near mask corners
        self.fine: list[tuple[np.ndarray, ...]] = []
        self.fine_intervals: list[np.ndarray] = []  # (sat * nst + station) * nt + j of those

    # ---- geometry of (satellite, station, time) rows ----------------------------------------
    def look(self, sat: np.ndarray, st: np.ndarray, t: np.ndarray, exact: bool = False, velocity: bool = True) -> Look:
        """Geometry of the rows: interpolated, or with ``exact`` from SGP4 itself (velocities
        only with ``velocity``, which the rates need)."""
        vel: np.ndarray | None = None
        if exact:  # (positions alone: the same values, without rotating the velocities)
            if velocity:
                pos, vel, err = self.scene.sat_state_at(sat, t)
            else:
                pos, err = self.scene.sat_ecef_at(sat, t)
            ok = err == 0
            self.sgp4_evaluations["refine"] += int(np.size(t))
        else:
            pos, vel, ok = self.grid.state(sat, t, velocity)
            if self._leap_lo.size:
                pos, vel, ok = self._across_leaps(sat, t, pos, vel, ok, velocity)
        return Look(self.scene, pos, vel, ok, np.asarray(st, int), np.asarray(t, float))

    def _across_leaps(
        self, sat: np.ndarray, t: np.ndarray, pos: np.ndarray, vel: np.ndarray | None, ok: np.ndarray, velocity: bool
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """The interpolated rows whose time falls strictly inside a grid interval holding a leap
        second, replaced by SGP4's states (the cubic across the step would blend the two days:
        up to a second of motion off)."""
        tt = np.asarray(t, float)
        inside = np.zeros(tt.shape, bool)
        for a, b in zip(self._leap_lo.tolist(), self._leap_hi.tolist(), strict=True):
            inside |= (tt > a) & (tt < b)
        if not inside.any():
            return pos, vel, ok
        rows = np.flatnonzero(inside)
        sat_rows = np.broadcast_to(np.asarray(sat, int), tt.shape)[rows]
        if velocity:
            p, v, err = self.scene.sat_state_at(sat_rows, tt[rows])
            vel = np.array(vel, copy=True)
            vel[rows] = v
        else:
            p, err = self.scene.sat_ecef_at(sat_rows, tt[rows])
        pos, ok = np.array(pos, copy=True), np.array(ok, copy=True)
        pos[rows], ok[rows] = p, err == 0
        self.sgp4_evaluations["refine"] += int(rows.size)
        return pos, vel, ok

    def horizon_margin(self, sat: np.ndarray, st: np.ndarray, t: np.ndarray, exact: bool = False) -> np.ndarray:
        """Elevation margin (deg) over floor and mask."""
        return self.horizon.margin(self.look(sat, st, t, exact, velocity=False))

    # ---- horizon crossings ------------------------------------------------------------------
    def grid_margins(
        self, progress: Callable[[str], None] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Sign changes and hidden-extremum candidates of the grid margins.

        Returns ``(sat, st, j)`` arrays of the owned intervals whose end margins differ in sign,
        the same for candidate intervals that may hide a grazing pass (a local maximum of the
        samples below zero whose parabola vertex comes within 3 deg of zero; on a grid of 1/50
        orbit the vertex estimate errs by under 0.35 deg, measured over 100 Starlink satellites x
        20 stations x 1 day, but not for a pass shorter than a step over a high floor, so
        where the line of sight can turn that far in a step, whose interpolant every step/32
        comes within 3 deg) or, with a mask, a dip (a local minimum above zero), with a sign
        (+1 hump, -1 dip), and the up-state at the first owned point. ``j`` is the local index
        of the interval's left end in :attr:`grid`.
        """
        h = self.horizon
        nsat, nt = self.err.shape
        need_az = bool(h.has_mask.any())
        sine_path = not need_az and not h.refraction
        sin_floor = np.sin(np.radians(h.floor_deg))
        per_sat = max(1, self.nst * nt)
        chunk = max(1, _CHUNK_VALUES // per_sat)  # (the progress lines name these chunks)
        inner = min(chunk, max(1, (_SINE_CHUNK_VALUES if sine_path else _CHUNK_VALUES) // per_sat))
        spans = [(a, min(a + inner, a0 + chunk, nsat), a == a0) for a0 in range(0, nsat, chunk) for a in range(a0, min(a0 + chunk, nsat), inner)]
        # the owned intervals [j, j + 1] are j = 1 .. nt - 3 ([lo, hi])
        out_b: list[tuple[np.ndarray, ...]] = []
        out_h: list[tuple[np.ndarray, ...]] = []
        up0: list[np.ndarray] = []
        for a, b, first in spans:
            if progress and first:
                progress(f"margins of satellites {a + 1}-{min(a + chunk, nsat)} of {nsat} on {nt} grid points")
            if sine_path:
                # no mask, no refraction: compare sines (monotone in elevation); degrees only
                # where a hidden pass is judged below
                _, f = self.scene.topocentric_grid(self.grid.pos[a:b], False, sine=True, offset=sin_floor)
            else:
                az, el = self.scene.topocentric_grid(self.grid.pos[a:b], need_az)
                f = h.elevation(el) - h.floor_deg[None, :, None]
                for k, mask in enumerate(h.masks):
                    if mask is not None and az is not None:
                        f[:, k, :] = h.elevation(el[:, k, :]) - np.maximum(h.floor_deg[k], mask.elevation_deg(az[:, k, :]))
            bad = ~self.grid.ok[a:b]
            if bad.any():
                f[np.broadcast_to(bad[:, None, :], f.shape)] = -3.0 if sine_path else FAILED_MARGIN_DEG
            f = np.ascontiguousarray(f)
            flat = f.reshape(-1)
            # the comparisons below run along the flattened array, one long loop each (not one
            # short loop per (satellite, station) row), neighbours across two rows masked out
            up = flat > 0
            up0.append(up.reshape(f.shape)[:, :, 1])
            # sign changes of the intervals [j, j + 1], j = 1 .. nt - 3 (the owned ones)
            change = np.empty(flat.size, bool)
            np.not_equal(up[1:], up[:-1], out=change[:-1])
            by_row = change.reshape(-1, nt)
            by_row[:, 0] = False
            by_row[:, nt - 2 :] = False
            row, i_j = np.divmod(np.flatnonzero(change), nt)
            del change, by_row
            out_b.append((row // self.nst + a, row % self.nst, i_j))
            f0, f1, f2 = f[:, :, :-2], f[:, :, 1:-1], f[:, :, 2:]  # centres c = 1 .. nt - 2
            # local maxima (f1 >= f0, f1 > f2: the signs of the float differences, which are
            # the comparisons themselves), only the few at or below zero and not far below
            # (the maxima first: they are few, so the value tests run on their indices only)
            low = np.zeros(flat.size, bool)
            np.greater_equal(flat[1:-1], flat[:-2], out=low[1:-1])
            low[1:-1] &= flat[2:] < flat[1:-1]
            by_row = low.reshape(-1, nt)
            by_row[:, 0] = False
            by_row[:, nt - 1] = False
            at_max = np.flatnonzero(low)
            del low, by_row
            v1 = flat.take(at_max)
            at_max = at_max[(v1 <= 0) & (v1 > (-1.9 if sine_path else -90.0))]
            row, j_c = np.divmod(at_max, nt)
            j_s, j_t, j_c = row // self.nst, row % self.nst, j_c - 1

            def deg(v: np.ndarray, st: np.ndarray) -> np.ndarray:
                if not sine_path:
                    return v
                return np.arcsin(np.clip(v + sin_floor[st], -1.0, 1.0)) * _DEG - h.floor_deg[st]

            c0, c1, c2 = (deg(flat.take(at_max + d), j_t) for d in (-1, 0, 1))
            vertex = c1 - (c2 - c0) ** 2 / (8.0 * np.minimum(c0 - 2.0 * c1 + c2, -1e-12))
            keep = vertex > -3.0
            # a pass over a high floor can be shorter than a step and sharper than the parabola
            # (a 66 s pass to 80 deg over a 50 deg floor was missed): where the line of sight can
            # turn up to the threshold within a step, the interpolant every step/32 decides (in
            # 1.4 s a LEO's line of sight turns by 2.2 deg at most, 1.57 deg/s at 280 km overhead)
            rest = np.flatnonzero(~keep)
            turn = None
            if rest.size and not need_az:  # those the line of sight cannot turn up to in a step
                # (gathers by take, lengths summed componentwise in np.linalg.norm's order: its values)
                q = (j_s[rest] + a) * nt + j_c[rest] + 1
                v = self.grid.vel.reshape(-1, 3).take(q, axis=0)
                reach = 1.1 * self.step_s * _length(v)  # km
                d = self.grid.pos.reshape(-1, 3).take(q, axis=0)
                d -= self.scene.sta_ecef.take(j_t[rest], axis=0)
                turn = reach / np.maximum(_length(d) - reach, 1e-9) * _DEG  # deg in a step, at most
                sel = c1[rest] + turn > -3.0
                rest, turn = rest[sel], turn[sel]
            if rest.size:
                ends = (c0[rest], c1[rest], c2[rest]) if turn is not None else None
                keep[rest] = self._hump_clears(j_s[rest] + a, j_t[rest], j_c[rest] + 1, turn, ends=ends)
            cand = [(j_s[keep], j_t[keep], j_c[keep] + 1, 1.0)]
            if need_az:
                d_s, d_t, d_c = _nonzero((f1 <= f0) & (f1 < f2) & (f1 > 0) & h.has_mask[None, :, None])
                cand.append((d_s, d_t, d_c + 1, -1.0))
            for s_, t_, c_, sign in cand:
                for j_ in (c_ - 1, c_):  # the intervals on either side of the centre
                    fl, fr = f[s_, t_, j_], f[s_, t_, j_ + 1]
                    same = (fl <= 0) & (fr <= 0) if sign > 0 else (fl > 0) & (fr > 0)
                    inside = (j_ >= 1) & (j_ <= nt - 3) & same
                    out_h.append((s_[inside] + a, t_[inside], j_[inside], np.full(int(inside.sum()), sign)))
            if need_az and az is not None:
                self._mask_brackets(a, f, el, az)
        b_sat, b_st, b_j = (np.concatenate(x) for x in zip(*out_b, strict=True))
        if out_h:
            # distinct (sat, station, interval, sign) in that lexicographic order, as one integer key
            h_s, h_t, h_j, h_g = (np.concatenate(x) for x in zip(*out_h, strict=True))
            key = np.unique(((h_s.astype(np.int64) * self.nst + h_t) * nt + h_j) * 2 + (h_g > 0))
            pair_j, up_hump = np.divmod(key, 2)
            pair, j_h = np.divmod(pair_j, nt)
            hid = (pair // self.nst, pair % self.nst, j_h, np.where(up_hump == 1, 1.0, -1.0))
        else:
            hid = (np.zeros(0, int), np.zeros(0, int), np.zeros(0, int), np.zeros(0))
        return np.stack([b_sat, b_st, b_j]), np.stack(hid[:3]), hid[3], np.concatenate(up0, axis=0)

    def _hump_clears(
        self,
        sat: np.ndarray,
        st: np.ndarray,
        c: np.ndarray,
        turn: np.ndarray | None,
        depth: np.ndarray | float = -3.0,
        ends: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """Whether the interpolated margin every step/32 within a step of grid point ``c``
        exceeds ``depth`` (deg; -3 in :meth:`grid_margins`, one per row allowed): the answer
        all 63 samples give.

        With ``turn`` (the most the elevation can change in a step, deg; the bound
        :meth:`grid_margins` already excludes rows by) the samples come in nested levels, every
        8th, 4th, 2nd, then all (the two ends always): a row with a sample over ``depth`` is decided,
        and so is a row where nothing between two neighbouring samples can reach it (half their
        sum plus half the turn between them, plus HIDDEN_BOUND_DEG for the interpolant's error); only the
        rows still open take the next level. A failed sample (SGP4) bounds nothing. ``ends``, the
        margins (deg) at grid points ``c - 1``, ``c``, ``c + 1`` (already known), bound first, a
        step apart: they are not samples, so they only rule rows out (where a grid point failed,
        every sample of the intervals it ends fails too, so the bound of the other holds)."""
        u = np.arange(-31, 32) / 32.0
        t_mid = self.grid.times[c]
        m_all = np.full((sat.size, u.size), np.nan)
        have = np.zeros(u.size, bool)
        rows = np.arange(sat.size)
        out = np.zeros(sat.size, bool)
        k = np.arange(u.size)
        depth = np.broadcast_to(np.asarray(depth, float), sat.shape)
        if turn is not None and ends is not None:
            g0, g1, g2 = ends
            rows = np.flatnonzero(0.5 * (np.maximum(g0, g2) + g1 + turn) + HIDDEN_BOUND_DEG > depth)
            if rows.size == 0:
                return out
        for every in ((8, 4, 2, 1) if turn is not None else (1,)):
            level = ((k - 31) % every == 0) | (k == 0) | (k == u.size - 1)
            new = np.flatnonzero(level & ~have)
            t_ = (t_mid[rows][:, None] + u[new][None, :] * self.step_s).ravel()
            m_ = self.horizon_margin(np.repeat(sat[rows], new.size), np.repeat(st[rows], new.size), t_)
            m_all[rows[:, None], new[None, :]] = m_.reshape(rows.size, new.size)
            have |= level
            at = np.flatnonzero(have)
            m = m_all[rows][:, at]
            up = m.max(axis=1) > depth[rows]
            out[rows] = up
            if every == 1 or turn is None:
                break
            gap = np.diff(at) / 32.0  # steps between neighbouring samples
            reach = 0.5 * (m[:, 1:] + m[:, :-1] + turn[rows][:, None] * gap[None, :]) + HIDDEN_BOUND_DEG
            rows = rows[~up & ((reach.max(axis=1) > depth[rows]) | (m.min(axis=1) <= FAILED_MARGIN_DEG))]
            if rows.size == 0:
                break
        return out

    def _mask_brackets(self, a: int, f: np.ndarray, el: np.ndarray, az: np.ndarray) -> None:
        """Where the azimuth sweeps a corner of the threshold (a mask point over the floor, or
        where the mask crosses the floor) within a step, the margin may change sign several
        times, or twice under the mask at both ends, unseen by the samples: a 24-s pass through
        a notch, or a pass setting behind a mask peak and rising again for 15 s, was missed.
        There, while the line of sight can reach the mask's range, the interpolant every
        step/32 brackets every sign change (to :attr:`fine`, replacing the interval's own
        bracket; a crossing found twice, by a hidden-hump search too, is dropped as a repeat)."""
        h, nt = self.horizon, f.shape[2]
        for k, mask in enumerate(h.masks):
            if mask is None or mask.el_deg.size < 2:
                continue
            m_az, m_el, floor = mask.az_deg, mask.el_deg, float(h.floor_deg[k])
            # the corners of max(floor, mask): its points over the floor and where it crosses it
            n_el, gap = np.roll(m_el, -1), (np.roll(m_az, -1) - m_az) % 360.0
            cross = (m_el - floor) * (n_el - floor) < 0
            corners = np.concatenate([m_az[m_el >= floor], (m_az + gap * (floor - m_el) / np.where(cross, n_el - m_el, 1.0))[cross] % 360.0])
            if corners.size == 0:
                continue
            pos, vel = self.grid.pos[a : a + f.shape[0]], self.grid.vel[a : a + f.shape[0]]
            reach = 1.1 * self.step_s * np.linalg.norm(vel, axis=-1)  # km in a step
            turn = np.degrees(reach / np.maximum(np.linalg.norm(pos - self.scene.sta_ecef[k], axis=-1) - reach, 1e-9))
            e = h.elevation(el[:, k, :-1])
            lo_thr, hi_thr = max(floor, float(m_el.min())), max(floor, float(m_el.max()))
            d = (az[:, k, 1:] - az[:, k, :-1] + 180.0) % 360.0 - 180.0  # the short way round
            sweeps = np.zeros(d.shape, bool)
            for c in corners.tolist():
                x = (c - az[:, k, :-1] + 180.0) % 360.0 - 180.0
                sweeps |= np.where(d >= 0, (x >= 0) & (x <= d), (x <= 0) & (x >= d))
            # the kink a corner puts in the margin also hides a hump from the samples' local-maximum
            # test in the intervals on either side (a pass setting behind a mask edge at 220 s and
            # rising 0.025 deg over the mask's slope from 285 to 324 s, both grid points of its
            # interval below, was missed): those are searched the same way
            near = sweeps.copy()
            near[:, 1:] |= sweeps[:, :-1]
            near[:, :-1] |= sweeps[:, 1:]
            sweeps = near
            i_s, i_j = _nonzero(sweeps & (e + turn[:, :-1] > lo_thr) & (e - turn[:, :-1] < hi_thr))
            inside = (i_j >= 1) & (i_j <= nt - 3)
            i_s, i_j = i_s[inside], i_j[inside]
            if i_s.size == 0:
                continue
            u = np.arange(33) / 32.0
            t = self.grid.times[i_j][:, None] + u[None, :] * self.step_s
            m = self.horizon_margin(np.repeat(i_s + a, u.size), np.full(t.size, k), t.ravel()).reshape(t.shape) > 0
            r, c_ = np.nonzero(m[:, 1:] != m[:, :-1])
            self.fine.append((i_s[r] + a, np.full(r.size, k), t[r, c_], t[r, c_ + 1]))
            self.fine_intervals.append((i_s + a) * self.nst * nt + k * nt + i_j)

    def crossings(
        self, progress: Callable[[str], None] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every horizon crossing in the owned intervals: ``(sat, st, t, rising)`` and the
        up-state (nsat, nst) at the block's first point."""
        brackets, hid, sign, up0 = self.grid_margins(progress)
        g = self.grid.times
        b_sat, b_st, b_j = brackets
        if self.fine_intervals:  # intervals bracketed finely near a mask corner: not coarsely
            coarse = ~np.isin((b_sat * self.nst + b_st) * g.size + b_j, np.concatenate(self.fine_intervals))
            b_sat, b_st, b_j = b_sat[coarse], b_st[coarse], b_j[coarse]
        b_a, b_b = g[b_j], g[b_j + 1]
        h_sat, h_st, h_j = hid
        if h_sat.size:
            # grazing humps (and mask dips) inside one interval: the extremum on the interpolant,
            # confirmed by SGP4 at the extremum, or searched on SGP4 when the call is close
            def fpk(r: np.ndarray, t: np.ndarray) -> np.ndarray:
                return sign[r] * self.horizon_margin(h_sat[r], h_st[r], t)

            lo_t, hi_t = g[h_j], g[h_j + 1]
            x, fx = maximise(fpk, 0.5 * (lo_t + hi_t), np.full(lo_t.size, self.step_s / 4), lo_t, hi_t)
            near = np.nonzero(fx > -HIDDEN_BOUND_DEG)[0]
            ft = sign[near] * self.horizon_margin(h_sat[near], h_st[near], x[near], exact=True)
            confirmed = near[ft > 0]
            doubt = near[(ft <= 0) & (fx[near] > -HIDDEN_BOUND_DEG)]
            if doubt.size:

                def fpk_true(r: np.ndarray, t: np.ndarray) -> np.ndarray:
                    k = doubt[r]
                    return sign[k] * self.horizon_margin(h_sat[k], h_st[k], t, exact=True)

                xd, fd = maximise(fpk_true, x[doubt], np.full(doubt.size, self.step_s / 4), lo_t[doubt], hi_t[doubt])
                x[doubt] = xd
                confirmed = np.sort(np.concatenate([confirmed, doubt[fd > 0]]))
            k = confirmed
            b_sat = np.concatenate([b_sat, h_sat[k], h_sat[k]])
            b_st = np.concatenate([b_st, h_st[k], h_st[k]])
            b_a = np.concatenate([b_a, lo_t[k], x[k]])
            b_b = np.concatenate([b_b, x[k], hi_t[k]])
        if self.fine:
            b_sat, b_st, b_a, b_b = (np.concatenate([x, *y]) for x, y in zip((b_sat, b_st, b_a, b_b), zip(*self.fine, strict=True), strict=True))
        if progress:
            progress(f"refining {b_sat.size} horizon crossings to {REFINE_TOL_S * 1000:.0f} ms")

        def fast(r: np.ndarray, t: np.ndarray) -> np.ndarray:
            return self.horizon_margin(b_sat[r], b_st[r], t)

        def true(r: np.ndarray, t: np.ndarray) -> np.ndarray:
            return self.horizon_margin(b_sat[r], b_st[r], t, exact=True)

        t_cross, rising, _ = certified_crossings(fast, true, b_a, b_b, REFINE_TOL_S)
        return b_sat, b_st, t_cross, rising, up0
