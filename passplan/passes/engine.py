"""The pass engine: when each satellite is usable from each station, under composable constraints.

The search runs over time blocks (a day by default) and, inside each, over every satellite x
station pair at once:

1. **Grid.** Every satellite is propagated once on a grid of step 1/50 of the shortest orbital
   period (rounded down to a multiple of 30 s, between 30 and 120 s; Skyfield's ``find_events``
   samples 1/20), positions *and* Earth-fixed velocities from one ``SatrecArray`` call. Grid
   points fall at whole steps from the search start, so blocks tile the grid.
2. **Horizon crossings.** The elevation margin over floor and mask (on the grid: the sine of
   elevation when no mask or refraction applies) changes sign in a grid interval at a rise or
   set; a local maximum of the samples below zero may hide a grazing pass (and, with a mask, a
   local minimum above zero a dip), which the extremum of the interpolated margin reveals
   (confirmed by SGP4 at that extremum, and searched on SGP4 when within 0.01 deg). Each
   crossing is refined on the cubic Hermite interpolant of the state
   (:class:`passplan.geometry.StateGrid`) and certified by one SGP4 evaluation (a Newton step
   on the true margin, accepted when it is within half the 10 ms tolerance; otherwise the
   crossing is refined on SGP4 itself, :func:`.roots.certified_crossings`).
3. **Inside each pass** (:mod:`.pieces`), sampled every 5 s when a constraint is active (30 s
   otherwise): the constraints (:mod:`.constraints`), their edges refined on the interpolant
   and certified the same way, the constraint failing just outside
   naming each edge; culminations, range minima and shadow edges refined on the interpolant;
   bright-sky samples noted. Culmination, minimum range, azimuths and the values at every edge
   are SGP4 evaluations. The Sun and its elevation at the lattice samples come from one table
   per lattice time (and station); the samples' geometry is computed in cache-sized batches.
4. **Summary** (:mod:`.summary`): once a pass has set, its windows and their figures follow
   from those points without further propagation.

A pass crossing a block edge is carried to the next block (its edges and points so far are
kept, nothing else): blocks cut at lattice times the samples would have had anyway, so the
passes do not depend on the block size. Passes under way at the search start or still under
way at its end are kept and flagged ``partial``. A geostationary satellite is one partial window
covering the whole analysis span.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from ..errors import InputError, PropagationWarning, emit_warnings
from ..geometry import Scene
from ..stations import Station
from ..times import iso_z, require_aware
from .block import REFINE_TOL_S, Block
from .columns import PassColumns, lexsort3
from .pieces import CONSTRAINT_STEP_S, EVENT_STEP_S, Scratch, sample_pieces
from .records import Constraints, Pass, PassGeometry, PassSearch
from .summary import Store, _by_pass_and_time, summarise, windows

__all__ = ["find_passes", "iter_passes", "sample_pass", "REFINE_TOL_S", "CONSTRAINT_STEP_S"]

#: default block length (s) of :func:`find_passes`
FIND_BLOCK_S = 86400.0


def _grid_step(sats: Sequence[Any]) -> float:
    """1/50 of the shortest orbital period, rounded down to a multiple of 30 s, in [30, 120] s.

    A multiple of 30 s keeps the grid points (and so the block edges) on both sampling lattices
    (5 s, 30 s) of :mod:`.pieces`.
    """
    periods = [2 * math.pi / s.satrec.no_kozai * 60.0 for s in sats if s.satrec.no_kozai > 0]
    if not periods:
        return 120.0
    raw = float(np.clip(min(periods) / 50.0, 30.0, 120.0))
    return EVENT_STEP_S * math.floor(raw / EVENT_STEP_S)


def _lookup(keys: np.ndarray, values: np.ndarray, want: np.ndarray) -> np.ndarray:
    """``values[i]`` of the (distinct) ``keys[i]`` equal to each of ``want`` (all present)."""
    o = np.argsort(keys)
    return values[o[np.searchsorted(keys, want, sorter=o)]]


def _ranks(names: list[str]) -> np.ndarray:
    """Each name's rank in sorted order (equal names share one)."""
    uniq = sorted(set(names))
    pos = {n: i for i, n in enumerate(uniq)}
    return np.array([pos[n] for n in names], int)


class _Search:
    """The state of one search carried from block to block: open passes and their tables."""

    def __init__(
        self,
        sats: Sequence[Any],
        stations: Sequence[Station],
        start: datetime,
        end: datetime,
        c: Constraints,
        include_excluded: bool,
        progress: Callable[[str], None] | None,
        block_s: float,
    ):
        self.sats, self.stations = list(sats), list(stations)
        self.t0, self.t1 = start, end
        self.span = (end - start).total_seconds()
        self.include_excluded, self.progress = include_excluded, progress
        self.horizon, self.constraints = c.build(self.stations)
        self.names = [k.name for k in self.constraints]
        self.step = _grid_step(self.sats)
        self.n = max(1, int(math.ceil(self.span / self.step)))
        self.block_n = max(1, int(round(block_s / self.step)))
        self.nst = len(self.stations)
        dark = next((k for k in self.constraints if k.name == "darkness"), None)
        dark_deg = getattr(dark, "twilight_deg", np.full(self.nst, np.nan))
        # the darkness used for the informational ``station_dark`` flag
        self.dark_flag_deg = np.array(
            [d if not np.isnan(d) else (st.twilight_deg if st.twilight_deg is not None else -12.0) for d, st in zip(dark_deg, self.stations, strict=True)]
        )
        # the passes open after the last block: pair (sat * nst + station) and pass id, in the
        # order they opened (as a dict's insertion order)
        self.open_pair, self.open_pid = np.zeros(0, np.int64), np.zeros(0, np.int64)
        # the passes not yet summarised, sorted by pass id: id and (sat, station, rise, set)
        self.info_pid, self.info = np.zeros(0, np.int64), np.zeros((0, 4))
        self.next_pid = 0
        self.store = Store()
        self.scratch = Scratch()  # sample_pieces' work arrays, reused block after block
        self.failed: set[int] = set()
        self.station_rank = _ranks([st.id for st in self.stations])
        self.sat_rank = _ranks([s.name for s in self.sats])
        self.sgp4_evaluations = {"grid": 0, "refine": 0}
        self.searched_s, self.done = 0.0, False

    def blocks(self) -> Iterator[PassSearch]:
        for lo in range(0, self.n, self.block_n):
            hi = min(lo + self.block_n, self.n)
            yield self._block(lo, hi)

    # ---- one block ------------------------------------------------------------------------
    def _block(self, lo: int, hi: int) -> PassSearch:
        if self.progress:
            self.progress(f"block {lo * self.step / 3600:.1f}-{min(hi * self.step, self.span) / 3600:.1f} h: propagating {len(self.sats)} satellites")
        blk = Block(self.sats, self.stations, self.t0, self.t1, lo, hi, self.step, self.horizon, self.constraints)
        warnings = self._failures(blk)
        emit_warnings(warnings, PropagationWarning)
        sat, st, t, rising, up0 = blk.crossings(self.progress)
        keep = t <= self.span
        pieces, closing = self._pieces(lo, hi, sat[keep] * self.nst + st[keep], t[keep], rising[keep], up0)
        if pieces[0].size:
            p_pid, p_a, p_b, p_start, p_end, p_pair = pieces
            p_sat, p_st = np.divmod(p_pair, self.nst)
            if self.progress:
                self.progress(f"sampling {p_pid.size} pass pieces")
            self.store.add(sample_pieces(blk, p_sat, p_st, p_pid, p_a, p_b, p_start, p_end, self.dark_flag_deg, self.scratch))
        for k, v in blk.sgp4_evaluations.items():
            self.sgp4_evaluations[k] += v
        self.searched_s = min(hi * self.step, self.span)
        self.done = hi == self.n
        return PassSearch(None, warnings, self.complete_before(), self._finish(closing))

    def _failures(self, blk: Block) -> list[str]:
        """One warning per satellite SGP4 cannot propagate, the first time it fails."""
        from sgp4.api import SGP4_ERRORS

        out = []
        owned = blk.err[:, 1:-1]
        for k in np.nonzero(np.any(owned != 0, axis=1))[0].tolist():
            if k in self.failed:
                continue
            self.failed.add(k)
            i = int(np.argmax(owned[k] != 0))
            code = int(owned[k, i])
            when = blk.scene.datetime_at(max((blk.lo + i) * self.step, 0.0))
            out.append(
                f"SGP4 cannot propagate {self.sats[k].name} from {iso_z(when)} "
                f"({SGP4_ERRORS.get(code, code)}); no passes after that. Use element sets nearer the "
                "analysis time"
            )
        return out

    def _pieces(
        self, lo: int, hi: int, pair: np.ndarray, t: np.ndarray, rising: np.ndarray, up0: np.ndarray
    ) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
        """Pieces ``(pid, start, end, is_start, is_end, pair)`` of the passes in this block, and the
        ids of the passes that end in it. Rises and sets of a pair alternate after dropping
        repeats (a rise while up, a set while down)."""
        b0 = lo * self.step
        b_end = min(hi * self.step, self.span)
        last_block = hi == self.n
        if lo == 0:  # passes under way at the search start open at t = 0
            p0 = np.flatnonzero(up0.ravel())
            q0 = self.next_pid + np.arange(p0.size)
            self.next_pid += int(p0.size)
            self._add_info(q0, p0, np.zeros(p0.size), np.full(p0.size, math.nan))
            self.open_pair, self.open_pid = np.concatenate([self.open_pair, p0]), np.concatenate([self.open_pid, q0])
        was_pair, was_pid = self.open_pair, self.open_pid
        order = _by_pass_and_time(pair, t)  # np.lexsort((t, pair))
        pair, t, rising = pair[order], t[order], rising[order]
        head = np.concatenate([[True], pair[1:] != pair[:-1]]) if pair.size else np.zeros(0, bool)
        init_up = np.isin(pair[head], was_pair)
        prev = np.concatenate([[False], rising[:-1]]) if pair.size else np.zeros(0, bool)
        prev[head] = init_up
        k = rising != prev
        pair, t, rising = pair[k], t[k], rising[k]
        head = np.concatenate([[True], pair[1:] != pair[:-1]]) if pair.size else np.zeros(0, bool)
        tail = np.concatenate([pair[1:] != pair[:-1], [True]]) if pair.size else np.zeros(0, bool)
        # new passes at every rise
        rise = np.flatnonzero(rising)
        pid = np.full(pair.size, -1)
        pid[rise] = self.next_pid + np.arange(rise.size)
        self.next_pid += int(rise.size)
        # sets: of the rise before, or (first in the block) of the pass open at its start
        sets = np.flatnonzero(~rising)
        carried = sets[head[sets]]
        pid[carried] = _lookup(was_pair, was_pid, pair[carried])
        inner = sets[~head[sets]]
        pid[inner] = pid[inner - 1]
        # rises still up at the block end
        up_end = rise[tail[rise]]
        # the table: passes that rise and set in this block complete, the others set to NaN
        new = np.concatenate([inner - 1, up_end])
        self._add_info(pid[new], pair[new], t[new], np.concatenate([t[inner], np.full(up_end.size, math.nan)]))
        s_start = np.where(head[sets], b0, t[np.maximum(sets - 1, 0)])
        s_is_start = ~head[sets]
        s_is_start[head[sets]] = self._rise(pid[carried]) == b0
        # pairs up through the whole block
        through = ~np.isin(was_pair, pair)
        th_pid, th_pair = was_pid[through], was_pair[through]
        pieces = (
            np.concatenate([pid[sets], pid[up_end], th_pid]),
            np.concatenate([s_start, t[up_end], np.full(th_pid.size, b0)]),
            np.concatenate([t[sets], np.full(up_end.size + th_pid.size, b_end)]),
            np.concatenate([s_is_start, np.ones(up_end.size, bool), self._rise(th_pid) == b0]),
            np.concatenate([np.ones(sets.size, bool), np.full(up_end.size + th_pid.size, last_block)]),
            np.concatenate([pair[sets], pair[up_end], th_pair]).astype(int),
        )
        # the open passes after this block (the carried ones closed, the new ones appended)
        still = ~np.isin(was_pair, pair[carried])
        self.open_pair = np.concatenate([was_pair[still], pair[up_end]])
        self.open_pid = np.concatenate([was_pid[still], pid[up_end]])
        self._set_end(pid[carried], t[carried])  # (inner: above)
        closing = [pid[sets]]
        if last_block:
            self._set_end(self.open_pid, np.full(self.open_pid.size, b_end))
            closing.append(self.open_pid)
            self.open_pair, self.open_pid = np.zeros(0, np.int64), np.zeros(0, np.int64)
        return pieces, np.concatenate(closing).astype(int)

    def _add_info(self, pid: np.ndarray, pair: np.ndarray, rise: np.ndarray, end: np.ndarray) -> None:
        """Passes ``pid`` (new ids, above every id held) of ``pair`` from ``rise`` to ``end``."""
        o = np.argsort(pid)
        sat, st = np.divmod(pair[o], self.nst)
        rows = np.stack([sat.astype(float), st.astype(float), rise[o], end[o]], axis=1)
        self.info_pid = np.concatenate([self.info_pid, pid[o]])
        self.info = np.concatenate([self.info, rows])

    def _at(self, pid: np.ndarray) -> np.ndarray:
        """Rows of passes ``pid`` (all held) in :attr:`info`."""
        return np.searchsorted(self.info_pid, pid)

    def _rise(self, pid: np.ndarray) -> np.ndarray:
        return self.info[self._at(pid), 2]

    def _set_end(self, pid: np.ndarray, end: np.ndarray) -> None:
        self.info[self._at(pid), 3] = end

    def _finish(self, closing: np.ndarray) -> PassColumns:
        """The windows of the passes that ended in this block, as columns sorted by AOS, then
        station, then satellite."""
        closing = np.sort(closing)  # the summary wants windows in pass-id order
        tables = self.store.pop(closing)
        at = self._at(closing)
        info = self.info[at]  # sat, station, rise, set
        gone = np.zeros(self.info_pid.size, bool)
        gone[at] = True
        self.info_pid, self.info = self.info_pid[~gone], self.info[~gone]
        a, b = info[:, 2], info[:, 3]
        keep = b > a
        pid, a, b = closing[keep], a[keep], b[keep]
        for name in ("first_ok", "trans", "ok_any", "ok_all", "bright"):
            tables.setdefault(name, {})
        for col in ("pid", "r0", "r1", "c0", "c1"):
            tables["bright"].setdefault(col, np.zeros(0, int if col == "pid" else float))
        win = windows(tables, pid, a, b, self.names, self.include_excluded)
        cols = summarise(tables, win, closing, info, self.sats, self.stations, self.t0, self.span, self.dark_flag_deg)
        # by AOS (to the microsecond, as the datetimes), then station id, then satellite name
        return cols.take(lexsort3(self.sat_rank[cols.sat], self.station_rank[cols.st], cols.aos_us))

    def complete_before(self) -> datetime | None:
        """The AOS before which every pass has been yielded: the earliest rise of a pass still
        open, else the end of the blocks searched so far (None once the search is over)."""
        if self.done:
            return None
        rises = self._rise(self.open_pid)
        first = float(rises.min()) if rises.size else self.searched_s
        return self.t0 + timedelta(microseconds=round(first * 1e6))


def _check(start: datetime, end: datetime, block_s: float) -> tuple[datetime, datetime]:
    start = require_aware(start, "start")
    end = require_aware(end, "end")
    if end <= start:
        raise InputError(f"end {iso_z(end)} is not after start {iso_z(start)}; give an end later than the start")
    if not (isinstance(block_s, int | float) and block_s > 0 and math.isfinite(block_s)):
        raise InputError(f"block_s {block_s!r} is not a positive number of seconds; give e.g. 86400.0 (a day)")
    return start, end


def iter_passes(
    satellites: Sequence[Any],
    stations: Sequence[Station],
    start: datetime,
    end: datetime,
    constraints: Constraints | None = None,
    *,
    include_excluded: bool = False,
    progress: Callable[[str], None] | None = None,
    block_s: float = 86400.0,
) -> Iterator[PassSearch]:
    """The passes of :func:`find_passes`, one time block at a time.

    Blocks are ``block_s`` long (rounded to whole grid steps, at least one) from ``start``.
    Each pass is yielded once, in the block where it ends (sets, or the search ends); each
    block's passes are sorted by AOS, then station, then satellite. A pass crossing block edges
    is stitched exactly: the blocks' passes, sorted the same way, equal :func:`find_passes`'
    (for any ``block_s``). Memory holds one block's grid, Sun/Moon tables and passes, plus the
    edges and points of the passes still open. A block's ``warnings`` hold what was first met
    in it (each satellite SGP4 cannot propagate is named once).
    """
    from ..ephemeris import check_ephemeris_span

    # checked here, not at the first block, so a bad argument fails at the call
    start, end = _check(start, end, block_s)
    c = constraints or Constraints()
    if not satellites or not stations:
        return iter(())
    check_ephemeris_span(start, end)
    return _Search(satellites, stations, start, end, c, include_excluded, progress, block_s).blocks()


def find_passes(
    satellites: Sequence[Any],
    stations: Sequence[Station],
    start: datetime,
    end: datetime,
    constraints: Constraints | None = None,
    *,
    include_excluded: bool = False,
    progress: Callable[[str], None] | None = None,
) -> PassSearch:
    """Every usable window of every satellite over every station between ``start`` and ``end``.

    ``satellites`` are records with ``satrec``, ``name``, ``norad_id`` and ``epoch`` (see
    :class:`passplan.elements.Satellite`). With ``include_excluded``, passes no part of which
    meets every constraint are returned too, with ``excluded_by`` naming the constraint(s).
    Results are sorted by AOS, then station, then satellite. A satellite SGP4 cannot propagate
    (decayed, or elements far from their epoch) has no passes from then on; the result's
    ``warnings`` hold one line naming it, the time and SGP4's reason. The search runs in blocks
    of a day (:func:`iter_passes`), so its working memory does not grow with the span.
    """
    parts = list(
        iter_passes(
            satellites, stations, start, end, constraints, include_excluded=include_excluded, progress=progress, block_s=FIND_BLOCK_S
        )
    )
    passes = [p for part in parts for p in part.passes]
    if sum(1 for part in parts if part.passes) > 1:
        passes.sort(key=lambda p: (p.aos, p.station, p.satellite))
    return PassSearch(passes, [w for part in parts for w in part.warnings])


def sample_pass(p: Pass, step_s: float = 1.0, slots: bool = False) -> PassGeometry:
    """Per-sample geometry of a pass every ``step_s`` seconds from AOS, plus LOS itself (so the
    last interval may be shorter than ``step_s``). With ``slots``, one sample at the centre of
    each whole slot of ``step_s`` from AOS (a final partial slot is left out), as a key
    estimate over time slots wants."""
    if p.sat_ref is None or p.station_ref is None:
        raise InputError("this Pass has no satellite/station attached; use one returned by find_passes")
    if not step_s > 0:
        raise InputError(f"step_s {step_s} must be positive")
    scene = Scene([p.sat_ref.satrec], [p.station_ref], p.aos, p.los)
    span = scene.seconds(p.los)
    if slots:
        s = (np.arange(int(np.floor(span / step_s + 1e-9))) + 0.5) * step_s
        if s.size == 0:
            raise InputError(f"the window lasts {span:.3f} s, less than one {step_s:g} s slot")
    else:
        s = np.arange(0.0, span, step_s)
        if span - s[-1] > 1e-6:
            s = np.append(s, span)
    pos, _ = scene.sat_ecef_at(np.zeros(s.size, int), s)
    az, el, rng = scene.topocentric(pos, 0)
    sun = scene.sun_ecef(s)
    moon = scene.moon_ecef(s)
    return PassGeometry(
        t=[scene.datetime_at(x) for x in s],
        t_s=s,
        az_deg=az,
        el_deg=el,
        range_km=rng,
        sun_el_deg=scene.body_elevation_deg(sun, 0),
        sun_sep_deg=scene.separation_deg(pos, sun, 0),
        moon_el_deg=scene.body_elevation_deg(moon, 0),
        moon_sep_deg=scene.separation_deg(pos, moon, 0),
        moon_illumination=scene.moon_illumination(s),
        sat_sunlit=Scene.sunlit_margin_km(pos, sun) > 0,
        station_alt_m=p.station_ref.alt_m,
    )
