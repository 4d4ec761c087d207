"""What happens inside each visible piece of a pass: constraint edges, culminations, range
minima, shadow edges and daylight, found on the interpolated state.

A *piece* is the part of one pass (satellite over station, above the horizon) inside one time
block. It is sampled at the pass ends and at every multiple of the sampling step strictly
inside (a lattice fixed from the search start, so a pass cut by block edges, which fall on the
lattice, is sampled at exactly the times it would be whole). Between consecutive samples the
search looks for:

- a change of "every constraint holds": refined on the interpolant and certified with one SGP4
  evaluation (:func:`certified_crossings`); the constraint failing just outside names the edge;
- a culmination (the elevation rate turning negative) and a range minimum (the range rate
  turning positive), refined on the interpolant: the values reported there come from SGP4
  itself, where the elevation and range are flat, so a millisecond of timing error is
  invisible in them;
- a shadow edge (the sign of :meth:`Scene.sunlit_margin_km`);
- samples where the station sky is bright (the Sun above its darkness angle).

Every candidate window edge (the pass ends and the constraint edges), culmination and range
minimum becomes a *point* evaluated on SGP4 (elevation, azimuth, range, sunlit margin, Sun
elevation). :mod:`.summary` turns a finished pass's points and edges into :class:`Pass`
records without any further propagation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import DTypeLike

from ..geometry import sun_direction, sunlit_margin_along
from .block import REFINE_TOL_S, Block
from .roots import certified_crossings, crossings

__all__ = ["CONSTRAINT_STEP_S", "EVENT_STEP_S", "DARK_SLACK_DEG", "Tables", "sample_pieces"]

#: sampling step (s) of the constraints inside a pass (unchanged from the previous engine)
CONSTRAINT_STEP_S = 5.0
#: sampling step (s) of culminations, range minima, shadow edges and daylight when no
#: constraint is active. Assumed: a LEO pass has one culmination and one range minimum, and a
#: shadow arc lasts tens of minutes, so no two of one kind fall within 30 s.
EVENT_STEP_S = 30.0
#: slack (deg) for the difference between the tabulated geometric Sun and the apparent Sun that
#: bounds ``tonight`` windows (about 20 arcsec of aberration): a sky counts as bright from
#: the darkness angle + this
DARK_SLACK_DEG = 0.02
#: tolerance (s) of culminations, range minima and shadow edges on the interpolant
_EVENT_TOL_S = 0.01
#: samples per batch of the interpolated geometry (its temporaries stay in cache; assumed, measured)
_BATCH_ROWS = 1 << 15

Tables = dict[str, dict[str, np.ndarray]]


def _lattice_samples(pa: np.ndarray, pb: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times ``pa``, every multiple of ``step`` strictly inside, ``pb`` for each piece; owner;
    each sample's multiple of ``step`` (-1 at the piece's ends)."""
    k_lo = np.floor(pa / step).astype(np.int64) + 1
    k_hi = np.ceil(pb / step).astype(np.int64) - 1
    n = np.maximum(k_hi - k_lo + 1, 0) + 2
    owner = np.repeat(np.arange(pa.size), n)
    start = np.cumsum(n) - n
    # sample j of a piece (0 .. n - 1) is multiple k_lo + j - 1 of the step, its ends replaced
    k = np.arange(owner.size) + np.repeat(k_lo - 1 - start, n)
    t = k * step
    last = start + n - 1
    t[start], t[last] = pa, pb
    k[start], k[last] = -1, -1
    return t, owner, k


@dataclass(frozen=True, eq=False)
class _Samples:
    """The lattice samples of a batch of pieces: times, owning piece, satellite, station, the
    interpolated geometry (:func:`_sample_values`), and where each piece's run of samples starts."""

    t: np.ndarray
    owner: np.ndarray
    sat: np.ndarray
    st: np.ndarray
    el_rate: np.ndarray  # rate of the sine of elevation (1/s)
    rng_rate: np.ndarray  # range rate (km/s)
    litm: np.ndarray  # sunlit margin (km)
    sun_el: np.ndarray  # Sun elevation (deg)
    ok: np.ndarray  # (ncons, n): each constraint holds
    same: np.ndarray  # same[k]: samples k and k + 1 belong to one piece
    first: np.ndarray  # index of each piece's first sample


class Scratch:
    """Work arrays that :func:`sample_pieces` fills and reads but never returns, kept from one
    call to the next (one search's blocks): reused, their memory is not allocated and first
    touched again for every block (measured on 1,000 satellites x 50 stations x 1 day, 700,000
    samples per block: sample_pieces' page faults halved, its system time from 0.07 to 0.03 s)."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def empty(self, name: str, n: int, dtype: DTypeLike = float) -> np.ndarray:
        """An uninitialised array of ``n`` values (the same memory as last time when it fits)."""
        a = self._arrays.get(name)
        if a is None or a.size < n or a.dtype != np.dtype(dtype):
            a = self._arrays[name] = np.empty(n, dtype)
        return a[:n]


def _elevations(blk: Block, body: np.ndarray, st: np.ndarray) -> np.ndarray:
    """:meth:`Scene.body_elevation_deg` of rows ``body`` (n, 3) seen from stations ``st``, in
    batches of :data:`_BATCH_ROWS` rows (per row: the same values, without an (12, n) gather of
    station coefficients at once)."""
    out = np.empty(st.size)
    for a in range(0, st.size, _BATCH_ROWS):
        out[a : a + _BATCH_ROWS] = blk.scene.body_elevation_deg(body[a : a + _BATCH_ROWS], st[a : a + _BATCH_ROWS])
    return out


class _SunRows:
    """The Sun (km, Earth-fixed), its direction and its elevation at each sample's station: on
    the lattice from one table per lattice time (and per station and time), where that table is
    smaller than the samples; elsewhere row by row. Every value is the one the row would get
    alone. The samples off the lattice (``ends``, a piece's first and last, two per piece) have
    their own rows: ``end_sun`` and ``end_unit``."""

    def __init__(
        self, blk: Block, st: np.ndarray, t: np.ndarray, k: np.ndarray, step: float, scratch: Scratch | None = None
    ) -> None:
        scene = blk.scene
        work = scratch or Scratch()
        self.ends = np.flatnonzero(k < 0)
        k_max = int(k.max(initial=-1))
        k0 = int(np.min(k, where=k >= 0, initial=max(k_max, 0)))
        nk = k_max - k0 + 1
        if k_max < 0 or nk * blk.nst >= t.size - self.ends.size:
            self.tab = scene.sun_ecef(t)
            self.at = np.arange(t.size)
            self.el = _elevations(blk, self.tab, st)
            self.end_sun = self.tab[self.ends]
        else:
            self.tab = scene.sun_ecef(np.arange(k0, k0 + nk) * step)  # the same times, k * step
            st_tab = np.repeat(np.arange(blk.nst)[:, None], nk, axis=1)
            el_tab = scene.body_elevation_deg(np.broadcast_to(self.tab, (blk.nst, nk, 3)), st_tab)
            at = np.subtract(k, k0, out=work.empty("at", k.size, k.dtype))
            self.at = np.maximum(at, 0, out=at)  # (the ends: replaced)
            cell = np.multiply(st, nk, out=work.empty("cell", k.size, np.result_type(st, at)))
            cell += self.at
            self.el = el_tab.ravel().take(cell, out=work.empty("sun_el", k.size))
            self.end_sun = scene.sun_ecef(t[self.ends])
            self.el[self.ends] = _elevations(blk, self.end_sun, st[self.ends])
        self.unit_tab = sun_direction(self.tab)
        self.end_unit = sun_direction(self.end_sun)

    def _rows(self, tab: np.ndarray, end: np.ndarray, a: int, b: int) -> np.ndarray:
        out = tab.take(self.at[a:b], axis=0)
        e0, e1 = np.searchsorted(self.ends, (a, b))
        out[self.ends[e0:e1] - a] = end[e0:e1]
        return out

    def sun(self, a: int, b: int) -> np.ndarray:
        """The Sun at samples ``a:b``."""
        return self._rows(self.tab, self.end_sun, a, b)

    def unit(self, a: int, b: int) -> np.ndarray:
        """Its direction (:func:`_unit`) at samples ``a:b``."""
        return self._rows(self.unit_tab, self.end_unit, a, b)


def _sample_values(
    blk: Block, sat: np.ndarray, st: np.ndarray, t: np.ndarray, k: np.ndarray, step: float, scratch: Scratch | None = None
) -> tuple[dict[str, np.ndarray], _SunRows]:
    """The interpolated geometry of the samples that :func:`sample_pieces` reads, in batches of
    :data:`_BATCH_ROWS` rows (every quantity is per row, so the values are those of one batch;
    a pass over a million rows at once runs several times slower, out of cache), and the Sun
    at them (:class:`_SunRows`; the Sun itself only where a constraint asks for it). The rates
    and margins go to ``scratch`` arrays when given (valid until its next use)."""
    n = t.size
    work = scratch or Scratch()
    sun = _SunRows(blk, st, t, k, step, work)
    out = {"el_rate": work.empty("el_rate", n), "rng_rate": work.empty("rng_rate", n), "litm": work.empty("litm", n),
           "sun_el": sun.el}
    out["ok"] = np.empty((len(blk.constraints), n), bool)
    for a in range(0, n, _BATCH_ROWS):
        b = min(a + _BATCH_ROWS, n)
        lk = blk.look(sat[a:b], st[a:b], t[a:b])
        litm = sunlit_margin_along(lk.pos, sun.unit(a, b))
        if blk.constraints:
            lk.preset(sun=sun.sun(a, b), sun_el_deg=sun.el[a:b], sunlit_margin_km=litm)
        out["el_rate"][a:b], out["rng_rate"][a:b] = lk.rates
        out["litm"][a:b] = litm
        for i, c in enumerate(blk.constraints):
            out["ok"][i, a:b] = c.margin(lk) > 0
    return out, sun


def _constraint_edges(
    blk: Block, smp: _Samples, pid: np.ndarray, is_start: np.ndarray
) -> tuple[Tables, np.ndarray, np.ndarray]:
    """Where "every constraint holds" changes between samples: refined, certified, named by the
    constraint failing just outside. Also whether all held at each pass's first sample and,
    per piece and constraint, whether it held anywhere / everywhere (for ``excluded_by``)."""
    cons = blk.constraints
    ok = smp.ok  # (ncons, nsamples)
    allok: np.ndarray = np.all(ok, axis=0)
    out: Tables = {
        "first_ok": {"pid": pid[is_start], "ok": allok[smp.first][is_start]},
        "ok_any": {"pid": pid, "v": np.logical_or.reduceat(ok, smp.first, axis=1).T},
        "ok_all": {"pid": pid, "v": np.logical_and.reduceat(ok, smp.first, axis=1).T},
    }
    idx = np.nonzero(smp.same & (allok[1:] != allok[:-1]))[0]
    e_sat, e_st = smp.sat[idx], smp.st[idx]

    def fmin(r: np.ndarray, t: np.ndarray, exact: bool) -> np.ndarray:
        lk = blk.look(e_sat[r], e_st[r], t, exact, velocity=False)
        return np.min(np.stack([c.margin(lk) for c in cons]), axis=0)

    x, _, _ = certified_crossings(
        lambda r, t: fmin(r, t, False), lambda r, t: fmin(r, t, True), smp.t[idx], smp.t[idx + 1], REFINE_TOL_S
    )
    became_ok = ~allok[idx]
    probe = np.where(became_ok, x - REFINE_TOL_S, x + REFINE_TOL_S)
    plk = blk.look(e_sat, e_st, probe, velocity=False)
    fails = np.stack([c.margin(plk) <= 0 for c in cons])
    who = np.where(fails.any(axis=0), fails.argmax(axis=0), len(cons) - 1)
    out["trans"] = {"pid": pid[smp.owner[idx]], "t": x, "became_ok": became_ok, "who": who}
    return out, x, smp.owner[idx]


def _events(blk: Block, smp: _Samples) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Culminations, range minima and shadow edges between samples, refined on the interpolant:
    ``name -> (times, index of the sample before)``."""
    el_rate, rng_rate = smp.el_rate, smp.rng_rate
    litm = smp.litm
    same = smp.same
    found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, where, pick, values in (
        ("culm", same & (el_rate[:-1] > 0) & (el_rate[1:] <= 0), 0, el_rate),
        ("rmin", same & (rng_rate[:-1] < 0) & (rng_rate[1:] >= 0), 1, rng_rate),
        ("shadow", same & ((litm[:-1] > 0) != (litm[1:] > 0)), 2, litm),
    ):
        idx = np.nonzero(where)[0]
        i_sat, i_st = smp.sat[idx], smp.st[idx]

        def fev(r: np.ndarray, t: np.ndarray, pick: int = pick, i_sat: np.ndarray = i_sat, i_st: np.ndarray = i_st) -> np.ndarray:
            lk = blk.look(i_sat[r], i_st[r], t, velocity=pick != 2)
            return lk.sunlit_margin_km if pick == 2 else lk.rates[pick]

        # no certificate: SGP4 gives the values at culminations and range minima, where they
        # are flat; a shadow edge 1 ms off moves a sunlit fraction by 1e-5 of a pass at most
        t_ev, _ = crossings(fev, smp.t[idx], smp.t[idx + 1], _EVENT_TOL_S, values[idx], values[idx + 1], certify=False)
        found[name] = (t_ev, idx)
    return found


def _bright_runs(smp: _Samples, pid: np.ndarray, dark_flag_deg: np.ndarray) -> dict[str, np.ndarray]:
    """First and last sample (``r0``, ``r1``) of each run of samples under a bright sky, and
    where the run's sky turns bright and dark again (``c0``, ``c1``): the Sun elevation
    interpolated linearly to the threshold between the run's end samples and their neighbours
    in the piece (the piece's end where there is none)."""
    sun = smp.sun_el
    thr = dark_flag_deg[smp.st] + DARK_SLACK_DEG
    bright = sun >= thr
    prev = np.concatenate([[False], bright[:-1] & smp.same])
    nxt = np.concatenate([bright[1:] & smp.same, [False]])
    r0 = np.nonzero(bright & ~prev)[0]
    r1 = np.nonzero(bright & ~nxt)[0]

    def edge(r: np.ndarray, other: np.ndarray, inside: np.ndarray) -> np.ndarray:
        o = np.where(inside, other, r)
        ds = sun[r] - sun[o]
        frac = np.where(inside & (ds > 0), (thr[r] - sun[o]) / np.where(ds > 0, ds, 1.0), 1.0)
        return smp.t[o] + np.clip(frac, 0.0, 1.0) * (smp.t[r] - smp.t[o])

    before = np.zeros(r0.size, bool)
    before[r0 > 0] = smp.same[r0[r0 > 0] - 1]
    after = np.zeros(r1.size, bool)
    after[r1 < smp.t.size - 1] = smp.same[r1[r1 < smp.t.size - 1]]
    c0 = edge(r0, np.maximum(r0 - 1, 0), before)
    c1 = edge(r1, np.minimum(r1 + 1, smp.t.size - 1), after)
    return {"pid": pid[smp.owner[r0]], "r0": smp.t[r0], "r1": smp.t[r1], "c0": c0, "c1": c1}


def _points(
    blk: Block, sat: np.ndarray, st: np.ndarray, t: np.ndarray, end_unit: np.ndarray, end_el: np.ndarray
) -> dict[str, np.ndarray]:
    """SGP4 values at the points (rows ``sat``, ``st``, ``t``): elevation (reported; -180 where
    SGP4 fails), azimuth, range, sunlit margin, Sun elevation. The first rows are pass ends whose
    Sun direction and elevation the samples know (``end_unit``, ``end_el``). Computed in batches
    of :data:`_BATCH_ROWS` rows taken in satellite order (one propagator call per satellite and
    batch, temporaries in cache; every value is per row, so the values of one batch)."""
    n = t.size
    out = {k: np.empty(n) for k in ("el", "az", "rng", "litm", "sun_el")}
    order = np.argsort(sat, kind="stable")
    for a in range(0, n, _BATCH_ROWS):
        rows = order[a : a + _BATCH_ROWS]
        r_st, r_t = st[rows], t[rows]
        lk = blk.look(sat[rows], r_st, r_t, exact=True, velocity=False)
        known = rows < end_el.size
        rest = np.flatnonzero(~known)
        unit = np.empty((rows.size, 3))
        sun_el = np.empty(rows.size)
        unit[known], sun_el[known] = end_unit[rows[known]], end_el[rows[known]]
        rest_sun = blk.scene.sun_ecef(r_t[rest])
        unit[rest], sun_el[rest] = sun_direction(rest_sun), blk.scene.body_elevation_deg(rest_sun, r_st[rest])
        az, el, rng = blk.scene.topocentric(lk.pos, lk.st)
        out["el"][rows] = np.where(lk.ok, blk.horizon.elevation(el), -180.0)
        out["az"][rows], out["rng"][rows] = az, rng
        out["litm"][rows] = sunlit_margin_along(lk.pos, unit)
        out["sun_el"][rows] = sun_el
    return out


def sample_pieces(
    blk: Block,
    sat: np.ndarray,
    st: np.ndarray,
    pid: np.ndarray,
    pa: np.ndarray,
    pb: np.ndarray,
    is_start: np.ndarray,
    is_end: np.ndarray,
    dark_flag_deg: np.ndarray,
    scratch: Scratch | None = None,
) -> Tables:
    """Edges, events and points of the pieces ``[pa, pb]`` of passes ``pid`` (see the module).
    ``scratch`` holds work arrays between calls (none of the tables returned is one of them)."""
    step = CONSTRAINT_STEP_S if blk.constraints else EVENT_STEP_S
    ts, owner, lattice_k = _lattice_samples(pa, pb, step)
    same = owner[1:] == owner[:-1]
    work = scratch or Scratch()
    s_sat = np.take(sat, owner, out=work.empty("sat", owner.size, sat.dtype))
    s_st = np.take(st, owner, out=work.empty("st", owner.size, st.dtype))
    values, sun = _sample_values(blk, s_sat, s_st, ts, lattice_k, step, work)
    smp = _Samples(ts, owner, s_sat, s_st, **values, same=same, first=np.concatenate([[0], np.flatnonzero(~same) + 1]))
    out: Tables = {}
    edge_t, edge_o = np.zeros(0), np.zeros(0, int)
    if blk.constraints:
        tables, edge_t, edge_o = _constraint_edges(blk, smp, pid, is_start)
        out.update(tables)
    found = _events(blk, smp)
    t_sh, i_sh = found["shadow"]
    out["shadow"] = {"pid": pid[owner[i_sh]], "t": t_sh, "to_lit": smp.litm[i_sh + 1] > 0}
    out["bright"] = _bright_runs(smp, pid, dark_flag_deg)
    # points: candidate window edges, culminations and range minima, on SGP4
    p_t = np.concatenate([pa[is_start], pb[is_end], edge_t, found["culm"][0], found["rmin"][0]])
    p_o = np.concatenate(
        [np.flatnonzero(is_start), np.flatnonzero(is_end), edge_o, owner[found["culm"][1]], owner[found["rmin"][1]]]
    )
    # the Sun at the pass ends is the samples' (a piece's first and last sample are its ends)
    at_end = np.searchsorted(sun.ends, np.concatenate([smp.first[is_start], (np.append(smp.first[1:], ts.size) - 1)[is_end]]))
    out["points"] = {"pid": pid[p_o], "t": p_t,
                     **_points(blk, sat[p_o], st[p_o], p_t, sun.end_unit[at_end], sun.el[sun.ends[at_end]])}
    return out
