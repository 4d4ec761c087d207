"""One chunk of a coverage study: a group of satellites over a band of grid cells during a time
block, reduced inside the chunk to per-cell counts and bitmaps (never a list of passes).

Per satellite, the block is propagated once (SGP4 through :class:`passplan.geometry.Scene`); the
cells outside its footprint are pruned by grid index arithmetic (the rows and column ranges a
footprint cap can touch at each sample, a superset computed for the polar radius), and the
elevation is computed only for the (cell, sample) pairs left, elementwise, so results do not
depend on the BLAS in use or on how the work was split. Then:

* ``passes``: starts of visibility per satellite and cell (above the minimum elevation); one
  sample before the block tells whether a pass was already under way, so a pass is counted once
  whichever block holds its start;
* bitmaps (one bit per cell and sample, packed) of the union over the group's satellites:
  ``access`` (visible), ``usable`` (visible and every constraint; with ``pair_with``, also usable
  from that station at the same sample, under its own floor, horizon mask, darkness and Sun
  separation: joint visibility), ``usable_dark`` (usable with
  the cell in darkness at the twilight angle; without a darkness constraint the difference to
  ``usable`` is what a daylight-capable terminal adds);
* ``usable_passes``: starts of usable runs per satellite and cell;
* ``key_bits`` (with key tables): per cell, the expected secret bits of every usable run, from
  the satellite's :class:`~passplan.coverage.keytable.KeyTable` at the run's maximum elevation
  (from the minimum range, refined by a parabola through the three samples around it), its
  duration and the share of its samples in each Sun class at the cell. Runs are cut at the
  block's edges like the bitmaps (a pass across midnight counts as two shorter runs: about 0.5 %
  of LEO passes, each losing part of its key to finite-size statistics).

Samples are ``step_s`` apart; a sample stands for the ``step_s`` that follows it.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import KW_ONLY, InitVar, dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from ..astro import as_value
from ..errors import InputError
from ..geometry import WGS84_F, Scene, enu_matrices, station_ecef_km
from ..stations import twilight_angle_deg
from .keytable import SUN_EDGES_DEG, sun_class

__all__ = ["CoverageConstraints", "darkness_angle_deg", "ChunkTask", "ChunkResult", "run_chunk", "TWILIGHT_DEFAULT_DEG"]

#: Darkness at a cell for the day/night split when no darkness constraint is set: nautical
#: twilight, the bundled stations' setting.
TWILIGHT_DEFAULT_DEG = -12.0
_R_POLAR_KM = 6356.752  # WGS-84 polar radius: the smallest Earth radius widens the pruning cap


def darkness_angle_deg(darkness: str | float | None) -> float | None:
    """The Sun elevation (deg) of a darkness setting, in the vocabulary of
    :class:`passplan.passes.Constraints`: ``"civil"``, ``"nautical"``, ``"astronomical"``, a Sun
    elevation in degrees (a number, a numeric string or an astropy Quantity), or None / ``"any"``
    for no darkness constraint. ``"station"`` (each station's own setting) has no meaning for a
    grid cell and is refused."""
    if darkness is None:
        return None
    if isinstance(darkness, str) and darkness.strip().lower() == "station":
        raise InputError(
            "darkness 'station': a grid cell has no station's setting; give civil, nautical, astronomical "
            "or a Sun elevation in deg"
        )
    value: str | float = darkness if isinstance(darkness, str) else as_value(darkness, "deg", "darkness")
    if isinstance(value, str):
        try:
            value = float(value)  # a Sun elevation written as text ("-15")
        except ValueError:
            pass
    try:
        return twilight_angle_deg(value)
    except ValueError as err:
        raise InputError(f"darkness {darkness!r}: {err}") from None


@dataclass(frozen=True)
class CoverageConstraints:
    """What a usable sample needs: minimum elevation; the Sun below ``darkness_deg`` at the cell
    (None: no darkness constraint); the satellite in Earth shadow (``eclipse`` True) or sunlit
    (False); a minimum Sun separation from the line of sight.

    ``darkness`` (alias ``night``) takes the vocabulary of :class:`passplan.passes.Constraints`
    (``"civil"``, ``"nautical"``, ``"astronomical"`` or degrees) and sets ``darkness_deg``:
    ``CoverageConstraints(darkness="nautical").darkness_deg == -12.0``. Given together, they
    must agree."""

    min_elevation_deg: float = 10.0
    darkness_deg: float | None = None
    eclipse: bool | None = None
    min_sun_sep_deg: float | None = None
    split_twilight_deg: float = TWILIGHT_DEFAULT_DEG
    #: A station (:class:`passplan.stations.Station`): a sample is usable only while the
    #: satellite is also usable from that station as ``passes --pair`` holds it (joint
    #: visibility for entanglement-based dual downlinks, issue 19): above its own elevation
    #: floor raised by its horizon mask at the line of sight's azimuth, and the darkness and
    #: Sun separation constraints met there too (the eclipse constraint is the satellite's).
    pair_with: Any = None
    #: The station the study's cells stand at (:func:`passplan.coverage.coverage_at_stations`
    #: sets it for its one-cell grid at that station): each cell is at the station's altitude
    #: and its horizon mask raises the floor (the larger of ``min_elevation_deg`` and the mask
    #: at the line of sight's azimuth, as :meth:`passplan.stations.Station.min_elevation_at`).
    at_station: Any = None
    _: KW_ONLY
    darkness: InitVar[str | float | None] = None
    night: InitVar[str | float | None] = None

    def __post_init__(self, darkness: str | float | None, night: str | float | None) -> None:
        given = {k: v for k, v in (("darkness", darkness), ("night", night)) if v is not None}
        angles = {k: darkness_angle_deg(v) for k, v in given.items()}
        if self.darkness_deg is not None:
            angles["darkness_deg"] = float(self.darkness_deg)
        if len(set(angles.values())) > 1:
            shown = ", ".join(f"{k}={given.get(k, self.darkness_deg)!r}" for k in angles)
            raise InputError(f"CoverageConstraints got {shown}; give one darkness")
        if angles:
            object.__setattr__(self, "darkness_deg", next(iter(angles.values())))
        # NaN passes every comparison below it, so each value is checked for what it must be
        if not -5.0 <= self.min_elevation_deg < 90.0:
            raise InputError(f"min_elevation_deg {self.min_elevation_deg:g} is outside [-5, 90)")
        if self.darkness_deg is not None and not -90.0 <= self.darkness_deg <= 0.0:
            raise InputError(f"darkness {self.darkness_deg} deg: give a Sun elevation in [-90, 0] deg")
        if self.min_sun_sep_deg is not None and not 0.0 <= self.min_sun_sep_deg <= 180.0:
            raise InputError(f"min_sun_sep_deg {self.min_sun_sep_deg} deg is outside [0, 180]")
        if self.pair_with is not None and not all(
            hasattr(self.pair_with, k) for k in ("id", "lat_deg", "lon_deg", "alt_m", "min_elevation_deg")
        ):
            raise InputError("pair_with must be a station (passplan.stations.Station), e.g. select_stations(['nanshan'])[0]")
        if self.at_station is not None and not all(
            hasattr(self.at_station, k) for k in ("id", "lat_deg", "lon_deg", "alt_m", "horizon_mask")
        ):
            raise InputError("at_station must be a station (passplan.stations.Station)")


@dataclass(frozen=True)
class ChunkTask:
    """Everything one chunk needs (picklable: satellites rebuild their SGP4 state). The cells are
    the rows ``rows_lat_deg`` of a regular grid: ``n_lon`` columns from ``lon0_deg`` by
    ``step_deg`` (a global grid wraps in longitude)."""

    satellites: tuple[Any, ...]
    group: int
    band: int
    block: int
    rows_lat_deg: np.ndarray
    lon0_deg: float
    step_deg: float
    n_lon: int
    start: datetime
    n_samples: int
    step_s: float
    constraints: CoverageConstraints
    key_tables: tuple[Any, ...] | None = None  # a KeyTable (or None) per satellite: key per run
    runs: bool = False  # also return every usable run with its key (for a telescope schedule)

    @property
    def wraps(self) -> bool:
        return abs(self.n_lon * self.step_deg - 360.0) < 1e-9

    def cells(self) -> tuple[np.ndarray, np.ndarray]:
        lon = self.lon0_deg + (np.arange(self.n_lon) + 0.5) * self.step_deg
        lat, lo = np.meshgrid(np.asarray(self.rows_lat_deg, float), lon, indexing="ij")
        return lat.ravel(), lo.ravel()


@dataclass
class ChunkResult:
    group: int
    band: int
    block: int
    n_samples: int
    passes: np.ndarray  # int64 (cells,)
    usable_passes: np.ndarray  # int64 (cells,)
    access: np.ndarray  # packed bits (cells, ceil(n/8))
    usable: np.ndarray
    usable_dark: np.ndarray
    key_bits: np.ndarray | None = None  # float64 (cells,) with key tables
    #: with ``ChunkTask.runs``: every usable run of every satellite (4, n): cell, first sample
    #: (1 = the block's first), length in samples, key bits; in satellite order
    runs: np.ndarray | None = None


def _cell_frames(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pos = station_ecef_km(lat, lon, np.zeros(lat.size))
    up = enu_matrices(lat, lon)[:, 2, :]
    return pos, up


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ``counts[i]`` items of owner i: the owner of each item and its rank within its owner."""
    owner = np.repeat(np.arange(counts.size), counts)
    first = np.cumsum(counts) - counts
    return owner, np.arange(owner.size) - first[owner]


def footprint_candidates(
    task: ChunkTask, r: np.ndarray, ok: np.ndarray, e_min_rad: float
) -> tuple[np.ndarray, np.ndarray]:
    """(cell, sample) pairs whose cell centre may see the satellite at ``r`` (nt, 3): those within
    the footprint cap (computed for the polar radius, so a superset anywhere on the ellipsoid)
    plus a 0.05 deg margin, found by grid index arithmetic rather than by testing every cell."""
    rn = np.linalg.norm(r, axis=1)
    lat_s = np.degrees(np.arcsin(np.clip(r[:, 2] / rn, -1.0, 1.0)))
    lon_s = np.degrees(np.arctan2(r[:, 1], r[:, 0]))
    with np.errstate(invalid="ignore"):
        lam = np.degrees(np.arccos(np.clip(_R_POLAR_KM * np.cos(e_min_rad) / rn, -1.0, 1.0)) - e_min_rad)
    lam = np.where(ok & (lam > 0), lam + 0.05, -1.0)
    # cell rows in geocentric latitude (the cap is a circle of geocentric directions)
    e2 = WGS84_F * (2.0 - WGS84_F)
    rows = np.degrees(np.arctan((1.0 - e2) * np.tan(np.radians(np.asarray(task.rows_lat_deg, float)))))
    order = np.argsort(rows)
    rows_sorted = rows[order]
    lo = np.searchsorted(rows_sorted, lat_s - lam, "left")
    hi = np.searchsorted(rows_sorted, lat_s + lam, "right")
    counts = np.where(lam > 0, np.maximum(hi - lo, 0), 0)
    t_i, rank = _expand(counts)
    row_i = order[lo[t_i] + rank]
    phi = np.radians(rows[row_i])
    phs = np.radians(lat_s[t_i])
    lam_r = np.radians(lam[t_i])
    with np.errstate(divide="ignore", invalid="ignore"):
        arg = (np.cos(lam_r) - np.sin(phi) * np.sin(phs)) / (np.cos(phi) * np.cos(phs))
    keep = arg <= 1.0
    t_i, row_i, arg = t_i[keep], row_i[keep], arg[keep]
    half = np.degrees(np.arccos(np.clip(arg, -1.0, 1.0)))  # longitude half-width (deg)
    d, n_lon = task.step_deg, task.n_lon
    period = 360.0 / d
    x = ((lon_s[t_i] - task.lon0_deg) % 360.0) / d - 0.5  # sub-satellite column coordinate
    c_lo = np.ceil(x - half / d).astype(np.int64)
    c_hi = np.floor(x + half / d).astype(np.int64)
    if task.wraps:
        full = (c_hi - c_lo + 1) >= n_lon
        c_lo = np.where(full, 0, c_lo)
        c_hi = np.where(full, n_lon - 1, c_hi)
        cnt = c_hi - c_lo + 1
        owner, k = _expand(cnt)
        col = (c_lo[owner] + k) % n_lon
    else:
        parts_owner, parts_col = [], []
        for shift in (-period, 0.0, period):
            a = np.maximum(c_lo + int(round(shift)), 0)
            b = np.minimum(c_hi + int(round(shift)), n_lon - 1)
            cnt = np.maximum(b - a + 1, 0)
            o, k = _expand(cnt)
            parts_owner.append(o)
            parts_col.append(a[o] + k)
        owner = np.concatenate(parts_owner)
        col = np.concatenate(parts_col)
    return row_i[owner] * n_lon + col, t_i[owner]


def run_key_bits(
    table: Any, ci: np.ndarray, ti: np.ndarray, range2: np.ndarray, sat_r: np.ndarray, cell_r: np.ndarray,
    sin_sun: np.ndarray, nt: int, step_s: float, nc: int, runs: list[np.ndarray] | None = None,
) -> np.ndarray:
    """Per-cell secret bits of the usable runs of one satellite: candidate samples (cell ``ci``,
    sample ``ti``, squared range, the satellite's and the cell's geocentric radii, the Sun's
    elevation sine at the cell), samples after the first one of the block only. With ``runs``
    (a list), also appends a (4, n_runs) float array: each run's cell, first sample, length in
    samples and key bits (what a station with few telescopes chooses from)."""
    key = ci.astype(np.int64) * nt + ti
    order = np.argsort(key, kind="stable")
    key, range2 = key[order], range2[order]
    new = np.ones(key.size, bool)
    new[1:] = key[1:] != key[:-1] + 1
    first = np.flatnonzero(new)
    rid = np.cumsum(new) - 1
    length = np.diff(np.append(first, key.size))
    lowest = np.flatnonzero(range2 == np.repeat(np.minimum.reduceat(range2, first), length))
    at = lowest[np.concatenate([[True], rid[lowest[1:]] != rid[lowest[:-1]]])]  # each run's first minimum
    inner = (at > first) & (at < first + length - 1)
    y0 = range2[np.where(inner, at - 1, at)]
    y1 = range2[at]
    y2 = range2[np.where(inner, at + 1, at)]
    curv = y0 - 2.0 * y1 + y2
    with np.errstate(divide="ignore", invalid="ignore"):
        vertex = np.where(inner & (curv > 0), y1 - (y2 - y0) ** 2 / (8.0 * curv), y1)
    r = np.sqrt(np.maximum(vertex, 1e-6))
    rs, rc = sat_r[order[at]], cell_r[order[at]]
    el = np.degrees(np.arcsin(np.clip((rs**2 - rc**2 - r**2) / (2.0 * rc * r), -1.0, 1.0)))
    n_cls = len(SUN_EDGES_DEG) + 1
    per_class = np.bincount(rid * n_cls + sun_class(sin_sun[order]), minlength=first.size * n_cls)
    share = per_class.reshape(first.size, n_cls).T / length
    bits = table.lookup(el, length * step_s, share)
    if runs is not None:  # each run: its cell, first sample, length (samples) and key
        runs.append(np.stack([key[first] // nt, key[first] % nt, length, bits]))
    return np.bincount(key[first] // nt, weights=bits, minlength=nc)


#: Propagations kept in this process, newest last, and the bytes they may hold: the bands of
#: one time block share their satellites' positions, so a worker that runs several bands (or an
#: in-process study of many bands) propagates each satellite group once per block.
_PROPAGATED: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
PROPAGATION_CACHE_BYTES = 128 * 2**20


def _elements_key(sat: Any) -> tuple[Any, ...]:
    r = sat.satrec
    return (getattr(sat, "name", None), r.jdsatepoch, r.jdsatepochF, r.no_kozai, r.ecco, r.inclo, r.nodeo,
            r.argpo, r.mo, r.bstar)


_SCENES: dict[tuple[datetime, datetime], Scene] = {}


def _time_tables(start: datetime, end: datetime) -> Scene:
    """A scene of no satellites over ``[start, end]``: its time tables (UT1, the Sun and Moon in
    the Earth-fixed frame) depend on the window only, so every satellite group of a block shares
    one (built once per process and window; the same numbers as a scene of its own)."""
    key = (start, end)
    scene = _SCENES.get(key)
    if scene is None:
        scene = Scene([], [], start, end)
        while len(_SCENES) >= 4:  # a few windows at once (blocks of one study), never a growing store
            _SCENES.pop(next(iter(_SCENES)))
        _SCENES[key] = scene
    return scene


def _propagated(
    satellites: Sequence[Any], start: datetime, n: int, step: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Earth-fixed positions (nsat, n + 1, 3), SGP4 error codes and the Sun's position at the
    samples ``-1 .. n - 1`` of a block (one sample before it): computed once per process for
    the same satellites and block (the same numbers either way: a cache, not an approximation)."""
    memo = (tuple(_elements_key(x) for x in satellites), start, n, step)
    got = _PROPAGATED.pop(memo, None)
    if got is None:
        s = (np.arange(n + 1) - 1.0) * step
        scene = copy.copy(_time_tables(start, start + timedelta(seconds=n * step)))
        scene.satrecs = [sat.satrec for sat in satellites]  # the tables shared, the satellites its own
        pos, err = scene.sat_ecef_grid(s)
        got = (pos, err, scene.sun_ecef(s))
        for a in got:
            a.flags.writeable = False  # shared by later chunks: read only
    _PROPAGATED[memo] = got
    while len(_PROPAGATED) > 1 and sum(a.nbytes + b.nbytes + c.nbytes for a, b, c in _PROPAGATED.values()) > (
        PROPAGATION_CACHE_BYTES
    ):
        _PROPAGATED.pop(next(iter(_PROPAGATED)))
    return got


@dataclass(frozen=True)
class _Partner:
    """The station of ``CoverageConstraints.pair_with``, held to the rules the pass engine applies
    to each station of ``passes --pair`` (:meth:`passplan.passes.Constraints.build`): its own
    elevation floor, raised by its horizon mask at the line of sight's azimuth; the Sun below the
    darkness angle there; the Sun separation from its own line of sight. (Eclipse is the
    satellite's, the same for both ends; refraction, the Moon and a range limit are not coverage
    constraints at either end.)"""

    at: np.ndarray  # Earth-fixed position (km), at the station's altitude
    enu: np.ndarray  # rows east, north, up
    sin_floor: float
    floor_deg: float
    mask: Any  # HorizonMask | None

    @classmethod
    def of(cls, st: Any) -> _Partner:
        lat, lon = np.array([st.lat_deg], float), np.array([st.lon_deg], float)
        at = station_ecef_km(lat, lon, np.array([st.alt_m], float))[0]
        floor = float(st.min_elevation_deg)
        return cls(at, enu_matrices(lat, lon)[0], float(np.sin(np.radians(floor))), floor,
                   getattr(st, "horizon_mask", None))

    def usable(
        self, r: np.ndarray, sun_hat: np.ndarray, sin_dark: float | None, cos_sun_sep: float | None
    ) -> np.ndarray:
        """Per sample of the satellite at ``r`` (nt, 3): whether every constraint holds at the
        station (the Sun's direction ``sun_hat`` per sample; None: no such constraint)."""
        up = self.enu[2]
        dp = r - self.at
        with np.errstate(invalid="ignore", divide="ignore"):
            rng = np.linalg.norm(dp, axis=1)
            sin_el = (dp @ up) / rng
            ok = sin_el > self.sin_floor
            if self.mask is not None:  # the floor raised by the mask at the line of sight's azimuth
                az = np.degrees(np.arctan2(dp @ self.enu[0], dp @ self.enu[1]))
                floor = np.maximum(self.floor_deg, self.mask.elevation_deg(np.mod(az, 360.0)))
                ok &= sin_el > np.sin(np.radians(floor))
            if sin_dark is not None:
                ok &= sun_hat @ up < sin_dark
            if cos_sun_sep is not None:
                ok &= np.einsum("ij,ij->i", dp, sun_hat) / rng <= cos_sun_sep
        return ok


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Reduce one chunk (see the module docstring)."""
    c = task.constraints
    n, step = task.n_samples, task.step_s
    pos, err, sun = _propagated(task.satellites, task.start, n, step)  # (nsat, nt, 3), (nsat, nt), (nt, 3)
    sun_hat = sun / np.linalg.norm(sun, axis=1, keepdims=True)
    lat, lon = task.cells()
    cell, up = _cell_frames(lat, lon)
    nc, nt = cell.shape[0], n + 1
    site = c.at_station
    mask = None if site is None else site.horizon_mask
    if site is not None:  # the cells stand at the station's altitude (the WGS-84 normal is unchanged)
        cell = station_ecef_km(lat, lon, np.full(lat.size, float(site.alt_m)))
    en = None if mask is None else enu_matrices(lat, lon)[:, :2, :]  # east, north
    sin_min = np.sin(np.radians(c.min_elevation_deg))
    e_min = np.radians(c.min_elevation_deg)
    sin_split = np.sin(np.radians(c.split_twilight_deg))
    sin_dark = None if c.darkness_deg is None else np.sin(np.radians(c.darkness_deg))
    cos_sun_sep = None if c.min_sun_sep_deg is None else np.cos(np.radians(c.min_sun_sep_deg))
    access = np.zeros(nc * nt, bool)
    usable = np.zeros(nc * nt, bool)
    usable_dark = np.zeros(nc * nt, bool)
    passes = np.zeros(nc, np.int64)
    usable_passes = np.zeros(nc, np.int64)
    key_bits = None if task.key_tables is None else np.zeros(nc)
    run_list: list[np.ndarray] | None = [] if task.runs else None
    cell_r = np.linalg.norm(cell, axis=1)
    partner = None if c.pair_with is None else _Partner.of(c.pair_with)  # joint visibility with one station

    def starts(key: np.ndarray) -> np.ndarray:
        """Cells of the runs' first samples, from sorted flat keys cell * nt + sample."""
        new = np.ones(key.size, bool)
        new[1:] = key[1:] != key[:-1] + 1
        # a run cut by the cell boundary cannot continue: sample 0 of a cell always starts one,
        # and sample 0 is the one before the block, so a run starting there is not counted
        first_sample = key % nt == 0
        return (key[new & ~first_sample] // nt).astype(np.int64)

    for k in range(pos.shape[0]):
        ok = err[k] == 0
        r = pos[k]
        ci, ti = footprint_candidates(task, r, ok, e_min)
        if ci.size == 0:
            continue
        d = r[ti] - cell[ci]
        dn = np.sqrt(np.einsum("ij,ij->i", d, d))
        sin_el = np.einsum("ij,ij->i", d, up[ci]) / dn
        v = sin_el > sin_min
        if mask is not None and en is not None:  # the horizon mask at the line of sight's azimuth
            az = np.degrees(np.arctan2(np.einsum("ij,ij->i", d, en[ci, 0]), np.einsum("ij,ij->i", d, en[ci, 1])))
            floor = np.maximum(c.min_elevation_deg, mask.elevation_deg(np.mod(az, 360.0)))
            v &= sin_el > np.sin(np.radians(floor))
        ci, ti, d, dn = ci[v], ti[v], d[v], dn[v]
        sin_sun = np.einsum("ij,ij->i", up[ci], sun_hat[ti])  # the Sun's elevation (sine) at the cell
        good = np.ones(ci.size, bool)
        if sin_dark is not None:
            good &= sin_sun < sin_dark
        if c.eclipse is not None:
            lit = Scene.sunlit_margin_km(r, sun) > 0  # (nt,)
            good &= ~lit[ti] if c.eclipse else lit[ti]
        if cos_sun_sep is not None:
            good &= np.einsum("ij,ij->i", d, sun_hat[ti]) / dn <= cos_sun_sep
        if partner is not None:
            good &= (partner.usable(r, sun_hat, sin_dark, cos_sun_sep) & ok)[ti]
        key = np.sort(ci.astype(np.int64) * nt + ti)
        passes += np.bincount(starts(key), minlength=nc)
        access[key] = True
        ukey = ci[good].astype(np.int64) * nt + ti[good]
        ukey.sort()
        usable_passes += np.bincount(starts(ukey), minlength=nc)
        usable[ukey] = True
        dark = good & (sin_sun < sin_split)
        usable_dark[ci[dark].astype(np.int64) * nt + ti[dark]] = True
        table = None if task.key_tables is None else task.key_tables[k]
        if table is not None and key_bits is not None:
            g = good & (ti >= 1)  # sample 0 is the one before the block
            if g.any():
                key_bits += run_key_bits(
                    table, ci[g], ti[g], dn[g] ** 2, np.linalg.norm(r[ti[g]], axis=1), cell_r[ci[g]],
                    sin_sun[g], nt, step, nc, run_list,
                )

    def pack(flat: np.ndarray) -> np.ndarray:
        return np.packbits(flat.reshape(nc, nt)[:, 1:], axis=1)

    return ChunkResult(
        group=task.group,
        band=task.band,
        block=task.block,
        n_samples=n,
        passes=passes,
        usable_passes=usable_passes,
        access=pack(access),
        usable=pack(usable),
        usable_dark=pack(usable_dark),
        key_bits=key_bits,
        runs=None if run_list is None else (np.concatenate(run_list, axis=1) if run_list else np.zeros((4, 0))),
    )


def unpack(bits: np.ndarray, n: int) -> np.ndarray:
    """Bitmap rows back to booleans of length ``n``."""
    return np.unpackbits(bits, axis=1, count=n).astype(bool)


def satellite_groups(satellites: Sequence[Any], size: int) -> list[tuple[Any, ...]]:
    """Consecutive groups of at most ``size`` satellites."""
    size = max(1, int(size))
    return [tuple(satellites[i : i + size]) for i in range(0, len(satellites), size)]
