"""From a finished pass's edges and points to its windows' figures (no propagation here).

1. Windows: a pass starts usable if every constraint held at its first sample; each constraint
   edge toggles that (edges alternate by construction), so windows are the runs between them.
   A pass with no window is *excluded*, named by the constraints that never held (or, if each
   held somewhere, those that did not hold throughout), joined by ``+``.
2. Each window takes the SGP4 points inside it: the highest is the culmination, the nearest the
   minimum range; its first and last give the AOS/LOS azimuths.
3. Sunlit fraction: the window cut at the shadow edges inside it (edges within the refinement
   tolerance of a window end count as at the end), each part lit or not as the edge says.
4. Station dark: the Sun below the darkness angle (plus slack) at both ends and at every
   sample between them.
5. Dark fraction: the part of the window outside the bright runs of its pass (each run from
   where the sky turns bright to where it turns dark again, interpolated between samples), for
   long windows where ``station_dark`` alone says little.

The windows come out as :class:`.columns.PassColumns` (arrays, no object per pass).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ..stations import Station
from .block import REFINE_TOL_S
from .columns import PassColumns, unix_us
from .pieces import DARK_SLACK_DEG, Tables

__all__ = ["Store", "windows", "summarise"]


class Store:
    """Edges, events and points of the passes still open, table by table (bounded by them)."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, np.ndarray]] = {}

    def add(self, new: Tables) -> None:
        for name, cols in new.items():
            old = self.tables.get(name)
            self.tables[name] = cols if old is None else {k: np.concatenate([old[k], v]) for k, v in cols.items()}

    def pop(self, pids: np.ndarray) -> Tables:
        """The rows of passes ``pids`` (removed from the store)."""
        out: Tables = {}
        for name, cols in self.tables.items():
            sel = np.isin(cols["pid"], pids)
            out[name] = {k: v[sel] for k, v in cols.items()}
            self.tables[name] = {k: v[~sel] for k, v in cols.items()}
        return out


def _by_pass_and_time(pid: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``np.lexsort((t, pid))``: rows by pass, then time, equal ones in their order. Faster:
    the times by a quicksort with its ties put back in row order, then the passes by stable
    radix sorts of 16 bits of the pass id at a time (least significant first)."""
    if pid.size < 2 or np.isnan(t).any():
        return np.lexsort((t, pid))
    order = np.argsort(t)
    ts = t[order]
    tie = np.flatnonzero(ts[1:] == ts[:-1])
    if tie.size:  # runs of equal times: their rows in row order, as a stable sort leaves them
        at = np.union1d(tie, tie + 1)
        run = np.cumsum(np.concatenate([[True], ts[at[1:]] != ts[at[:-1]]]) | np.concatenate([[True], at[1:] != at[:-1] + 1]))
        order[at] = order[at][np.lexsort((order[at], run))]
    rank = (pid - pid.min()).astype(np.uint64)
    for shift in range(0, max(int(rank.max()).bit_length(), 1), 16):
        digit = ((rank[order] >> np.uint64(shift)) & np.uint64(0xFFFF)).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
    return order


def _sorted(cols: dict[str, np.ndarray], key: str = "t") -> dict[str, np.ndarray]:
    order = _by_pass_and_time(cols["pid"], cols[key])
    return {k: v[order] for k, v in cols.items()}


def windows(
    tables: Tables,
    pid: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    names: Sequence[str],
    include_excluded: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Any], list[Any], list[Any]]:
    """Windows ``(pid, w0, w1, cut_start_by, cut_end_by, excluded_by)`` of passes ``pid``
    spanning ``[a, b]``, sorted by pass and start."""
    if not names or not pid.size:  # no constraint, or no pass ended (no tables to read)
        n = pid.size
        return pid, a, b, [None] * n, [None] * n, [None] * n
    row = {int(p): i for i, p in enumerate(pid.tolist())}
    fo = tables["first_ok"]
    first_ok = np.zeros(pid.size, bool)
    first_ok[[row[int(p)] for p in fo["pid"].tolist()]] = fo["ok"]
    tr = _sorted(tables["trans"])
    t_row = np.array([row[int(p)] for p in tr["pid"].tolist()], int)
    n_tr = np.bincount(t_row, minlength=pid.size)
    last_ok = first_ok ^ (n_tr % 2 == 1)
    who = [names[int(k)] for k in tr["who"].tolist()]
    up = tr["became_ok"]
    # starts: the pass start where usable at once, then every edge into a window
    s_row = np.concatenate([np.flatnonzero(first_ok), t_row[up]])
    s_t = np.concatenate([a[first_ok], tr["t"][up]])
    s_by = [None] * int(first_ok.sum()) + [w for w, u in zip(who, up.tolist(), strict=True) if u]
    e_row = np.concatenate([t_row[~up], np.flatnonzero(last_ok)])
    e_t = np.concatenate([tr["t"][~up], b[last_ok]])
    e_by = [w for w, u in zip(who, up.tolist(), strict=True) if not u] + [None] * int(last_ok.sum())
    so = np.lexsort((s_t, s_row))
    eo = np.lexsort((e_t, e_row))
    w_row, w0, w1 = s_row[so], s_t[so], e_t[eo]
    cut_s = [s_by[i] for i in so.tolist()]
    cut_e = [e_by[i] for i in eo.tolist()]
    excl: list[Any] = [None] * w_row.size
    if include_excluded:
        none = np.flatnonzero(np.bincount(w_row, minlength=pid.size) == 0)
        if none.size:
            anyok = np.zeros((pid.size, len(names)), bool)
            allok = np.ones((pid.size, len(names)), bool)
            ok_rows = np.array([row[int(p)] for p in tables["ok_any"]["pid"].tolist()], int)
            np.logical_or.at(anyok, ok_rows, tables["ok_any"]["v"])
            np.logical_and.at(allok, ok_rows, tables["ok_all"]["v"])
            reasons = []
            for r in none.tolist():
                reason = [n for k, n in enumerate(names) if not anyok[r, k]]
                reason = reason or [n for k, n in enumerate(names) if not allok[r, k]]
                reasons.append("+".join(reason))
            w_row = np.concatenate([w_row, none])
            w0 = np.concatenate([w0, a[none]])
            w1 = np.concatenate([w1, b[none]])
            cut_s += [None] * none.size
            cut_e += [None] * none.size
            excl += reasons
            o = np.lexsort((w0, w_row))
            w_row, w0, w1 = w_row[o], w0[o], w1[o]
            cut_s, cut_e, excl = ([x[i] for i in o.tolist()] for x in (cut_s, cut_e, excl))
    return pid[w_row], w0, w1, cut_s, cut_e, excl


def _assign(w_pid: np.ndarray, w0: np.ndarray, w1: np.ndarray, pid: np.ndarray, t: np.ndarray, slack: float = 0.0) -> np.ndarray:
    """Index of the window (sorted by pass, start) holding each (pid, t), or -1: the last
    window of the pass with ``w0 - slack <= t``, if ``t <= w1 + slack``. Found by the pass's
    first window, then stepping over its later windows (a pass has one or a few)."""
    win = np.full(pid.size, -1)
    if w_pid.size == 0 or pid.size == 0:
        return win
    lo = np.searchsorted(w_pid, pid, side="left")
    hi = np.searchsorted(w_pid, pid, side="right")
    step = 0
    pts = np.flatnonzero(hi > lo)  # points whose pass has a window at rank ``step``
    while pts.size:
        cand = lo[pts] + step
        ok = w0[cand] - slack <= t[pts]  # windows start in order: once one fails, later ones do
        pts, cand = pts[ok], cand[ok]
        win[pts] = cand
        step += 1
        pts = pts[hi[pts] > cand + 1]
    held = win >= 0
    c = win[held]
    win[np.flatnonzero(held)[t[held] > w1[c] + slack]] = -1
    return win


def _first_extreme(values: np.ndarray, k: np.ndarray, starts: np.ndarray, largest: bool) -> np.ndarray:
    """Index of the first largest (smallest) value of each group of ``k`` (sorted, groups
    starting at ``starts``, none empty, no NaN)."""
    best = (np.maximum if largest else np.minimum).reduceat(values, starts)
    hits = np.flatnonzero(values == best[k])
    return hits[np.searchsorted(k[hits], np.arange(starts.size))]


def _window_points(
    tables: Tables, w_pid: np.ndarray, w0: np.ndarray, w1: np.ndarray
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The SGP4 points inside each window (sorted by window, then time) and, per window, the
    index of its highest, its nearest (the first in time of equals), its first and its last point."""
    m = w_pid.size
    pts = _sorted(tables["points"])
    k = _assign(w_pid, w0, w1, pts["pid"], pts["t"])
    sel = k >= 0
    p = {name: col[sel] for name, col in pts.items()}
    k = k[sel]  # sorted: points by pass and time, windows of a pass in time order
    counts = np.bincount(k, minlength=m)
    first = np.cumsum(counts) - counts
    last = first + counts - 1
    if counts.all() and not (np.isnan(p["el"]).any() or np.isnan(p["rng"]).any()):
        return p, _first_extreme(p["el"], k, first, True), _first_extreme(p["rng"], k, first, False), first, last
    best = np.lexsort((-p["el"], k))
    best = best[np.searchsorted(k[best], np.arange(m))]
    near = np.lexsort((p["rng"], k))
    near = near[np.searchsorted(k[near], np.arange(m))]
    return p, best, near, np.searchsorted(k, np.arange(m)), np.searchsorted(k, np.arange(m), side="right") - 1


def _sunlit_fraction(tables: Tables, w_pid: np.ndarray, w0: np.ndarray, w1: np.ndarray, lit_margin0: np.ndarray) -> np.ndarray:
    """Fraction of each window the satellite spends in sunlight (step 3 of the module)."""
    m = w_pid.size
    sh = _sorted(tables["shadow"])
    ks = _assign(w_pid, w0, w1, sh["pid"], sh["t"], slack=REFINE_TOL_S)
    at_start = (ks >= 0) & (np.abs(sh["t"] - w0[np.maximum(ks, 0)]) <= REFINE_TOL_S)
    lit0 = lit_margin0 > 0
    lit0[ks[at_start]] = sh["to_lit"][at_start]
    inside = (ks >= 0) & ~at_start & (sh["t"] < w1[np.maximum(ks, 0)] - REFINE_TOL_S)
    e_k, e_t, e_lit = ks[inside], sh["t"][inside], sh["to_lit"][inside]
    nxt = np.where(np.concatenate([e_k[1:] == e_k[:-1], [False]]), np.concatenate([e_t[1:], [0.0]]), w1[e_k])
    lit_time = np.bincount(e_k, weights=np.where(e_lit, nxt - e_t, 0.0), minlength=m).astype(float)
    first_edge = np.full(m, np.inf)
    np.minimum.at(first_edge, e_k, e_t)
    end0 = np.where(np.isinf(first_edge), w1, first_edge)
    lit_time += np.where(lit0, end0 - w0, 0.0)
    dur = w1 - w0
    return np.clip(np.where(dur > 0, lit_time / np.where(dur > 0, dur, 1.0), lit0.astype(float)), 0.0, 1.0)


def _station_dark(
    tables: Tables, w_pid: np.ndarray, w0: np.ndarray, w1: np.ndarray, sun_el0: np.ndarray, sun_el1: np.ndarray, thr: np.ndarray
) -> np.ndarray:
    """Whether the station sky stays dark through each window (step 4 of the module)."""
    dark = (sun_el0 < thr) & (sun_el1 < thr)
    br = tables["bright"]
    for col in ("r0", "r1"):
        kb = _assign(w_pid, w0, w1, br["pid"], br[col])
        dark[kb[kb >= 0]] = False
    return dark


def _dark_fraction(
    tables: Tables, w_pid: np.ndarray, w0: np.ndarray, w1: np.ndarray, dark: np.ndarray
) -> np.ndarray:
    """Fraction of each window under a dark sky (step 5 of the module): the window less its
    overlap with every bright run of its pass."""
    m = w_pid.size
    br = _sorted(tables["bright"], key="c0")
    if br["pid"].size:  # runs of one pass touching at a block edge become one (exact, whatever the blocks)
        new = np.concatenate([[True], (br["pid"][1:] != br["pid"][:-1]) | (br["c0"][1:] > br["c1"][:-1])])
        group = np.cumsum(new) - 1
        c1 = np.full(int(group[-1]) + 1, -np.inf)
        np.maximum.at(c1, group, br["c1"])
        br = {"pid": br["pid"][new], "c0": br["c0"][new], "c1": c1}
    lo = np.searchsorted(br["pid"], w_pid, side="left")
    n = np.searchsorted(br["pid"], w_pid, side="right") - lo
    win = np.repeat(np.arange(m), n)
    run = lo[win] + np.arange(win.size) - np.repeat(np.cumsum(n) - n, n)
    overlap = np.minimum(br["c1"][run], w1[win]) - np.maximum(br["c0"][run], w0[win])
    bright = np.bincount(win, weights=np.maximum(overlap, 0.0), minlength=m)
    dur = w1 - w0
    frac = np.where(dur > 0, 1.0 - bright / np.where(dur > 0, dur, 1.0), dark.astype(float))
    return np.clip(frac, 0.0, 1.0)


def _window_cut(part: np.ndarray, cut: list[Any]) -> list[Any]:
    """``["window" if p else c for p, c in zip(part, cut)]``: a copy of ``cut`` with "window"
    at the (few) rows cut by the analysis window."""
    out = list(cut)
    for i in np.flatnonzero(part).tolist():
        out[i] = "window"
    return out


def summarise(
    tables: Tables,
    win: tuple[np.ndarray, np.ndarray, np.ndarray, list[Any], list[Any], list[Any]],
    pids: np.ndarray,
    info: np.ndarray,
    sats: Sequence[Any],
    stations: Sequence[Station],
    t0: datetime,
    span: float,
    dark_flag_deg: np.ndarray,
) -> PassColumns:
    """The windows ``win`` as :class:`PassColumns` (see the module), in the order of ``win``;
    row ``i`` of ``info`` holds (satellite, station, rise, set; times in seconds after ``t0``)
    of pass ``pids[i]`` (``pids`` sorted)."""
    w_pid, w0, w1, cut_s, cut_e, excl = win
    m = w_pid.size
    rows = info[np.searchsorted(pids, w_pid)] if m else np.zeros((0, 4))
    sat_i = rows[:, 0].astype(int)
    st_i = rows[:, 1].astype(int)
    if m == 0:
        pts = {k: np.zeros(0) for k in ("el", "rng", "az", "t", "litm", "sun_el")}
        best = near = first = last = np.zeros(0, int)
    else:
        pts, best, near, first, last = _window_points(tables, w_pid, w0, w1)
    el, rng, az, t = pts["el"], pts["rng"], pts["az"], pts["t"]
    lit_frac = _sunlit_fraction(tables, w_pid, w0, w1, pts["litm"][first]) if m else np.zeros(0)
    thr = dark_flag_deg[st_i] + DARK_SLACK_DEG
    dark = _station_dark(tables, w_pid, w0, w1, pts["sun_el"][first], pts["sun_el"][last], thr) if m else np.zeros(0, bool)
    dark_frac = _dark_fraction(tables, w_pid, w0, w1, dark) if m else np.zeros(0)
    rise_t, set_t = rows[:, 2], rows[:, 3]
    t0_us = unix_us(t0.astimezone(UTC))

    def stamp(s: np.ndarray) -> np.ndarray:
        return t0_us + np.round(np.asarray(s, float) * 1e6).astype(np.int64)

    part_s = w0 <= 0.0
    part_e = w1 >= span
    return PassColumns(
        sats=sats, stations=stations, sat=sat_i, st=st_i,
        aos_us=stamp(w0), tca_us=stamp(t[best]), los_us=stamp(w1), rise_us=stamp(rise_t), set_us=stamp(set_t),
        max_el_deg=el[best], aos_az_deg=az[first], tca_az_deg=az[best], los_az_deg=az[last], min_range_km=rng[near],
        sat_sunlit_fraction=lit_frac, station_dark=dark, station_dark_fraction=dark_frac, partial=part_s | part_e,
        cut_start_by=_window_cut(part_s, cut_s),
        cut_end_by=_window_cut(part_e, cut_e),
        excluded_by=list(excl),
    )
