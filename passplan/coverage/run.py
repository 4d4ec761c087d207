"""A coverage study: plan the chunks, estimate the cost, run them (in-process, process pool or
Dask), reduce them in a fixed order, and report per-cell metrics with area-weighted means."""

from __future__ import annotations

import dataclasses
import math
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from ..errors import InputError
from ..scale import parallelism, run_tasks
from ..times import require_aware
from .chunk import (
    ChunkResult,
    ChunkTask,
    CoverageConstraints,
    footprint_candidates,
    satellite_groups,
)
from .grid import Grid, cap_fraction, footprint_half_angle_deg
from .reduce import (
    GAP_BINS,
    BandTask,
    BlockState,
    block_state,
    combine_groups,
    fold,
    p95_gap_s,
    run_band,
)
from .region import Region, cell_mask
from .telescopes import check_telescopes, metric_name

__all__ = ["coverage", "CoverageResult", "estimate", "Estimate", "METRICS", "sampled_day_offsets"]

#: Per-cell metrics, in output order.
METRICS = (
    "passes_per_day",
    "access_min_per_day",
    "usable_min_per_day",
    "usable_dark_min_per_day",
    "daylight_added_min_per_day",
    "max_gap_h",
    "p95_gap_h",
    "key_bits_per_day",  # with a link profile
)
#: Memory one chunk may use (bytes): three boolean maps and their packed copies, about 6 bytes
#: per cell and sample in :func:`run_chunk`, plus the footprint candidates.
CHUNK_BUDGET_BYTES = 256 * 2**20
_BYTES_PER_CELL_SAMPLE = 6
DAY_S = 86400.0


def _machine_memory_bytes() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def sampled_day_offsets(sample_days: int, year_days: int = 365) -> list[int]:
    """``sample_days`` day offsets spread evenly over a year (0, 365/K, 2*365/K, ...)."""
    if not isinstance(sample_days, int) or not 1 <= sample_days <= year_days:
        raise InputError(f"sample_days {sample_days!r}: give a whole number of days from 1 to {year_days}")
    return [math.floor(k * year_days / sample_days) for k in range(sample_days)]


@dataclass(frozen=True)
class Estimate:
    cells: int
    satellites: int
    days: float
    samples_per_day: int
    work: float  # cell x satellite x sample evaluations (before pruning)
    chunk_bytes: int
    result_bytes: int
    chunks: int
    rows_per_band: int
    machine_bytes: int

    def describe(self) -> str:
        return (
            f"{self.cells:,} cells x {self.satellites} satellites x {self.days:g} days "
            f"({self.work:.3g} cell-satellite samples, {self.chunks} chunks of about "
            f"{self.chunk_bytes / 2**20:.0f} MB, results {self.result_bytes / 2**20:.0f} MB)"
        )


def estimate(grid: Grid, n_sats: int, days: float, step_s: float, group_size: int, workers: int = 1) -> Estimate:
    """The cost of a study before it starts; refuses (InputError, with the way out) what would
    not fit in this machine's memory."""
    per_day = round(DAY_S / step_s)
    nt = min(per_day, max(1, round(days * DAY_S / step_s))) + 1
    rows = max(1, int(CHUNK_BUDGET_BYTES // (_BYTES_PER_CELL_SAMPLE * nt * grid.n_lon)))
    rows = min(rows, grid.n_lat)
    chunk = _BYTES_PER_CELL_SAMPLE * nt * grid.n_lon * rows
    result = grid.n_cells * (GAP_BINS * 4 + 12 * 8)
    blocks = max(1, math.ceil(days))
    chunks = math.ceil(grid.n_lat / rows) * math.ceil(n_sats / group_size) * blocks
    est = Estimate(
        grid.n_cells, n_sats, days, per_day, float(grid.n_cells) * n_sats * days * per_day, chunk, result,
        chunks, rows, _machine_memory_bytes(),
    )
    need = result * 2 + chunk * max(1, workers)
    if need > 0.6 * est.machine_bytes:
        raise InputError(
            f"this study needs about {need / 2**30:.1f} GB ({est.describe()}), more than this machine's "
            f"{est.machine_bytes / 2**30:.0f} GB allow; use a coarser step_deg, a smaller region, fewer workers, "
            "or run it on a Dask cluster (scheduler) with more memory per worker"
        )
    return est


@dataclass
class CoverageResult:
    """Per-cell metrics of a study and its area-weighted summary."""

    grid: Grid
    days: float
    step_s: float
    constraints: CoverageConstraints
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    metrics: dict[str, np.ndarray]
    counts: dict[str, np.ndarray] = field(default_factory=dict)  # the integer totals behind them
    satellites: int = 0
    profile: str | None = None  # the link profile of key_bits_per_day (satellites' own first)
    # the cells a region or the land mask keeps (None: every cell) and what kept them
    mask: np.ndarray | None = None
    region: str | None = None
    # provenance for the gridded and GIS files: the study's start and its satellites' names
    start: datetime | None = None
    satellite_names: tuple[str, ...] = ()
    sample_days: int | None = None

    def area_weighted(self) -> dict[str, float | None]:
        """Area-weighted mean of each metric over the kept cells that have a value, each cell
        weighted by its exact area on a sphere (:meth:`Grid.area_weights`)."""
        w = self.grid.area_weights()
        kept = np.ones(w.size, bool) if self.mask is None else self.mask
        out: dict[str, float | None] = {}
        for name, v in self.metrics.items():
            ok = np.isfinite(v) & kept
            out[name] = float(np.sum(w[ok] * v[ok]) / np.sum(w[ok])) if ok.any() else None
        return out

    def gridded(self, name: str) -> np.ndarray:
        """A metric as an (n_lat, n_lon) array, NaN where a cell has no value or is not kept."""
        v = self.metrics[name] if self.mask is None else np.where(self.mask, self.metrics[name], np.nan)
        return v.reshape(self.grid.n_lat, self.grid.n_lon)

    def within(self, region: Region | str | os.PathLike[str] | None = None, land_only: bool = False) -> CoverageResult:
        """This study restricted to the cells whose centre lies in ``region`` (a
        :class:`~passplan.coverage.region.Region` or a GeoJSON file path) and, with ``land_only``,
        on land; the per-cell values are unchanged and the area-weighted means cover exactly the
        kept cells. Refuses a restriction that keeps no cell."""
        mask, name = cell_mask(self.grid, region, land_only)
        if mask is None:
            return self
        if self.mask is not None:
            mask = mask & self.mask
            name = f"{self.region} and {name}"
            if not mask.any():
                raise InputError(f"no kept cell of this study lies in {name}; give a larger region")
        return dataclasses.replace(self, mask=mask, region=name)

    def to_xarray(self) -> Any:
        """The study as an ``xarray.Dataset`` on CF-1.8 ``lat``/``lon`` coordinates, one variable
        per metric (named as in the JSON) with units and provenance attributes
        (:func:`passplan.exports.gridded.coverage_dataset`; needs the ``geo`` extra)."""
        from ..exports.gridded import coverage_dataset

        return coverage_dataset(self)

    def to_geojson(self) -> str:
        """GeoJSON text (RFC 7946): one Polygon per kept cell with its metrics as properties
        (:func:`passplan.exports.geojson.coverage_geojson`)."""
        from ..exports.geojson import coverage_geojson

        return coverage_geojson(self)

    def zonal(self, name: str) -> np.ndarray:
        """Mean of a metric along each latitude row (cells in a row have equal areas)."""
        v = self.gridded(name)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a row without values: NaN, silently
            return np.nanmean(np.where(np.isfinite(v), v, np.nan), axis=1)

    def to_records(self) -> list[dict[str, Any]]:
        """One record per cell: its centre and every metric (None where a cell has no value)."""
        return self.records()

    def to_document(self) -> dict[str, Any]:
        """The study's JSON object: ``cells`` (:meth:`to_records`) and ``summary``."""
        return {"cells": self.records(), "summary": self.summary()}

    def to_json(self) -> str:
        """The JSON text of :meth:`to_document` (what ``passplan coverage --format json`` prints)."""
        from ..io import to_json

        return to_json(self.to_document())

    def to_dataframe(self) -> Any:
        """The cells as a pandas DataFrame (:func:`passplan.exports.frames.to_dataframe`)."""
        from ..exports.frames import to_dataframe

        return to_dataframe(self)

    def records(self) -> list[dict[str, Any]]:
        cols = {k: np.round(v, 4) for k, v in self.metrics.items()}
        lat, lon = np.round(self.lat_deg, 6).tolist(), np.round(self.lon_deg, 6).tolist()
        lists = {k: [None if not math.isfinite(x) else x for x in v.tolist()] for k, v in cols.items()}
        keep = range(len(lat)) if self.mask is None else np.flatnonzero(self.mask).tolist()
        names = [k for k in METRICS if k in lists] + [k for k in lists if k not in METRICS]
        return [
            {"lat_deg": lat[i], "lon_deg": lon[i], **{k: lists[k][i] for k in names}}
            for i in keep
        ]

    def summary(self) -> dict[str, Any]:
        return {
            "cells": self.grid.n_cells,
            "grid_deg": self.grid.step_deg,
            "days": self.days,
            "satellites": self.satellites,
            "step_s": self.step_s,
            **({"profile": self.profile} if self.profile else {}),
            **({"region": self.region, "kept_cells": int(self.mask.sum())} if self.mask is not None else {}),
            "area_weighted": {k: (None if v is None else round(v, 4)) for k, v in self.area_weighted().items()},
        }


#: Tasks per worker when a study runs in parallel: with at least four balanced tasks each, the
#: last task to finish is a small share of a worker's time (the greedy makespan of n equal tasks
#: on P workers is ceil(n / P) tasks: 4 of an ideal 4 when P divides n, 5 of 4.25 at worst for n = 4P + 1).
TASKS_PER_WORKER = 4
#: Relative cost of one (cell, sample) of a band (its bitmaps, packing, gap scan) beside one
#: footprint candidate (an elevation and its tests): assumed from a profile of run_chunk on the
#: 100-satellite bench case (most time goes to candidates).
_CELL_SAMPLE_WEIGHT = 0.25
_WORK_PROBE_S = 1800.0  # the sampling of the work estimate (s)


def row_work(satellites: Sequence[Any], grid: Grid, start: datetime, c: CoverageConstraints, n_samples: int) -> np.ndarray:
    """Estimated work of each latitude row of ``grid`` over one block of ``n_samples``: the
    footprint candidates of every satellite in that row (the same pruning as :func:`run_chunk`,
    sampled every 30 minutes of the block's first day and scaled) plus a fixed cost per cell
    and sample. Rows near the fleet's inclination and near the poles (where a lat/lon grid's
    cells are small) carry most of it."""
    from ..geometry import Scene

    n_probe = max(1, min(n_samples, round(DAY_S / _WORK_PROBE_S)))
    s = np.arange(n_probe) * _WORK_PROBE_S
    scene = Scene([x.satrec for x in satellites], [], start, start + timedelta(seconds=float(s[-1]) + 1.0))
    pos, err = scene.sat_ecef_grid(s)
    probe = ChunkTask(
        satellites=(), group=0, band=0, block=0, rows_lat_deg=grid.lat_centres(), lon0_deg=grid.lon0,
        step_deg=grid.step_deg, n_lon=grid.n_lon, start=start, n_samples=n_probe, step_s=_WORK_PROBE_S, constraints=c,
    )
    cand = np.zeros(grid.n_lat)
    e_min = np.radians(c.min_elevation_deg)
    for k in range(pos.shape[0]):
        ci, _ = footprint_candidates(probe, pos[k], err[k] == 0, e_min)
        cand += np.bincount(ci // grid.n_lon, minlength=grid.n_lat)
    return cand * (n_samples / n_probe) + _CELL_SAMPLE_WEIGHT * grid.n_lon * (n_samples + 1)


def balanced_bands(work: np.ndarray, n_bands: int, max_rows: int) -> list[slice]:
    """Contiguous bands of rows, ``n_bands`` of about equal summed ``work`` (cuts where the
    running total crosses each k / n_bands of the whole), a band longer than ``max_rows`` (the
    memory bound) split evenly."""
    n = work.size
    cum = np.cumsum(np.maximum(work, 0.0))
    total = cum[-1] if cum.size and cum[-1] > 0 else 0.0
    if total <= 0:
        cuts = np.linspace(0, n, n_bands + 1).round().astype(int)[1:-1]
    else:
        cuts = np.searchsorted(cum, total * np.arange(1, n_bands) / n_bands, side="left") + 1
    edges = [0, *sorted({int(x) for x in cuts if 0 < x < n}), n]
    while len(edges) - 1 < min(n_bands, n):  # coinciding cuts (one heavy row): split the heaviest band
        spans = [(float(cum[b - 1] - (cum[a - 1] if a else 0.0)), a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)
                 if b - a > 1]
        _, a, b = max(spans)
        edges = sorted({*edges, (a + b) // 2})
    out: list[slice] = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        pieces = -(-(b - a) // max(1, max_rows))
        cut = np.linspace(a, b, pieces + 1).round().astype(int)
        out.extend(slice(int(x), int(y)) for x, y in zip(cut[:-1], cut[1:], strict=True) if y > x)
    return out


def split_groups(satellites: Sequence[Any], n_groups: int, group_size: int, parts: int) -> list[range]:
    """Group indices (consecutive, group order kept) in ``parts`` runs of about equal work, a
    satellite's work taken as its footprint's share of the sphere (the cells it sees at once)."""
    from .keytable import altitude_km

    w = np.array([float(cap_fraction(footprint_half_angle_deg(max(altitude_km(x), 1.0), 0.0))) for x in satellites])
    gw = np.array([w[g * group_size : (g + 1) * group_size].sum() for g in range(n_groups)])
    cum = np.cumsum(gw)
    cuts = np.searchsorted(cum, cum[-1] * np.arange(1, parts) / parts, side="left") + 1
    edges = [0, *sorted({int(x) for x in cuts if 0 < x < n_groups}), n_groups]
    return [range(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def plan_tasks(
    satellites: Sequence[Any], grid: Grid, start: datetime, blocks: Sequence[tuple[float, int]], step_s: float,
    c: CoverageConstraints, group_size: int, max_rows: int, workers: int, tables: Sequence[Any] | None = None,
    telescopes: int | None = None,
) -> tuple[list[BandTask], int]:
    """The study's tasks, in (block, band, part) order, and the number of parts of each band
    and block. In-process (``workers`` 1): bands as large as memory allows, each holding every
    satellite group (the fewest propagations). In parallel: at least :data:`TASKS_PER_WORKER`
    tasks per worker, first by latitude bands of equal estimated work (:func:`row_work`), then,
    when a grid has too few rows, by splitting the satellite groups into parts of equal work
    (those parts are combined in the caller). Cells do not depend on the plan: each cell's
    values are computed elementwise and summed in group order whatever the split."""
    groups = satellite_groups(list(satellites), group_size)
    table_groups = None if tables is None else satellite_groups(list(tables), group_size)
    want = TASKS_PER_WORKER * workers if workers > 1 else 1
    n_mem = -(-grid.n_lat // max(1, max_rows))
    per_block = -(-want // len(blocks))
    if per_block <= n_mem:
        bands = grid.bands(max_rows)
    else:
        n_bands = min(grid.n_lat, per_block)
        bands = balanced_bands(row_work(satellites, grid, start, c, blocks[0][1]), n_bands, max_rows)
    n_parts = max(1, min(len(groups), -(-per_block // len(bands))))
    runs = [range(len(groups))] if n_parts == 1 else split_groups(satellites, len(groups), group_size, n_parts)
    n_parts = len(runs)
    rows = grid.lat_centres()
    tasks = []
    for ki, (t0, n) in enumerate(blocks):
        for bi, band in enumerate(bands):
            for pi, run in enumerate(runs):
                chunks = tuple(
                    ChunkTask(
                        satellites=groups[gi], group=gi, band=bi, block=ki, rows_lat_deg=rows[band],
                        lon0_deg=grid.lon0, step_deg=grid.step_deg, n_lon=grid.n_lon,
                        start=start + timedelta(seconds=t0), n_samples=n, step_s=step_s, constraints=c,
                        key_tables=None if table_groups is None else table_groups[gi],
                        runs=telescopes is not None and table_groups is not None,
                    )
                    for gi in run
                )
                tasks.append(BandTask(chunks, bi, ki, pi, t0, n_parts == 1, telescopes))
    return tasks, n_parts


#: Longest consecutive study (days): ten years; beyond, sampled days give the same statistics.
MAX_DAYS = 3660


def coverage(
    satellites: Sequence[Any],
    grid: Grid,
    start: datetime,
    days: float = 1.0,
    *,
    sample_days: int | None = None,
    constraints: CoverageConstraints | None = None,
    step_s: float = 30.0,
    workers: int | None = None,
    scheduler: str | None = None,
    group_size: int = 16,
    progress: Callable[[int, int], None] | None = None,
    profile: str | None = None,
    region: Region | str | os.PathLike[str] | None = None,
    land_only: bool = False,
    telescopes: int | None = None,
) -> CoverageResult:
    """Coverage metrics of ``satellites`` over ``grid`` for ``days`` from ``start`` (or for
    ``sample_days`` single days spread over the year from ``start``).

    With ``profile``, also ``key_bits_per_day``: the expected (clear-sky) secret key of every
    usable run, from a key table per link profile and altitude class built once for the study
    from the forecast chain (:mod:`passplan.coverage.keytable`). A satellite that names its own
    link profile uses it; ``profile`` applies to the others (as in :func:`compare_fleets`).

    With ``region`` (a :class:`~passplan.coverage.region.Region` or a GeoJSON polygon file) and
    ``land_only`` (the bundled Natural Earth land), only the cells whose centre lies in them are
    kept (:meth:`CoverageResult.within`): records, files and area-weighted means cover exactly
    those; ``grid`` sets the cells studied (:meth:`Region.bounds_grid` fits one to a region).

    With ``profile`` and ``telescopes`` (N), also the key per day of a station at the cell with
    N telescopes, which tracks at most N satellites at once (``key_bits_per_day_1_telescope``,
    ``key_bits_per_day_2_telescopes``, ...: weighted interval scheduling of the usable runs,
    exact, :mod:`passplan.coverage.telescopes`), beside ``key_bits_per_day`` (unlimited
    telescopes: every run counts)."""
    start = require_aware(start, "start")
    c = constraints or CoverageConstraints()
    check_telescopes(telescopes)
    if telescopes is not None and profile is None:
        raise InputError("telescopes limits the key per day: give profile (the link profile of the key) as well")
    if profile is not None and c.pair_with is not None:
        raise InputError("profile with constraints.pair_with: the key table is that of single downlinks; leave one out")
    if not satellites:
        raise InputError("no satellites to study; give satellites")
    if not (math.isfinite(step_s) and 1.0 <= step_s <= 600.0):
        raise InputError(f"step {step_s} s: give a sampling step between 1 and 600 s")
    if DAY_S % step_s:
        raise InputError(f"step {step_s} s must divide a day (86400 s), e.g. 10, 20, 30 or 60")
    if sample_days is not None:
        offsets = sampled_day_offsets(sample_days)
        blocks = [(float(o) * DAY_S, round(DAY_S / step_s)) for o in offsets]
        study_days = float(sample_days)
    else:
        if not 0 < days <= MAX_DAYS:
            raise InputError(
                f"days {days}: give 0 to {MAX_DAYS} days (longer studies: sample_days spreads single days over a year)"
            )
        total = round(days * DAY_S / step_s)
        if total < 1:
            raise InputError(f"days {days} is shorter than one {step_s:g} s sample")
        per = round(DAY_S / step_s)
        blocks = [(float(k) * step_s, min(per, total - k)) for k in range(0, total, per)]
        study_days = total * step_s / DAY_S
    from ..ephemeris import check_ephemeris_span  # before any work, as every pass search does

    check_ephemeris_span(start, start + timedelta(seconds=max(o + n * step_s for o, n in blocks)))
    est = estimate(grid, len(satellites), study_days, step_s, group_size, workers or 1)
    mask, region_name = cell_mask(grid, region, land_only)
    tables: list[Any] | None = None
    if profile is not None:
        from .keytable import key_tables_for

        tables = key_tables_for(list(satellites), profile, start, c.min_elevation_deg)
    lat_all, lon_all = grid.cells()
    tasks, n_parts = plan_tasks(
        list(satellites), grid, start, blocks, step_s, c, group_size, est.rows_per_band,
        parallelism(workers, scheduler), tables, telescopes,
    )
    n_bands = 1 + max(t.band for t in tasks)
    per_band: list[BlockState | None] = [None] * n_bands
    pending: dict[tuple[int, int], list[ChunkResult]] = {}
    arrived: dict[tuple[int, int], int] = {}
    for band, block, _part, out in run_tasks(run_band, tasks, workers=workers, scheduler=scheduler, progress=progress):
        if isinstance(out, BlockState):
            state = out
        else:  # one part of a band and block: the caller combines the parts, in group order
            pending.setdefault((band, block), []).extend(out)
            arrived[band, block] = arrived.get((band, block), 0) + 1
            if arrived[band, block] < n_parts:
                continue
            state = block_state(combine_groups(pending.pop((band, block))), blocks[block][0], step_s, telescopes)
        prev = per_band[band]
        per_band[band] = state if prev is None else fold(prev, state, step_s)
    states = [s for s in per_band if s is not None]
    cat = {k: np.concatenate([getattr(s, k) for s in states]) for k in (
        "passes", "usable_passes", "access_samples", "usable_samples", "usable_dark_samples", "max_gap_s"
    )}
    p95 = np.concatenate([p95_gap_s(s, step_s) for s in states])
    has_gap = np.concatenate([s.gap_hist.sum(axis=1) > 0 for s in states])
    minutes = step_s / 60.0 / study_days
    metrics = {
        "passes_per_day": cat["passes"] / study_days,
        "access_min_per_day": cat["access_samples"] * minutes,
        "usable_min_per_day": cat["usable_samples"] * minutes,
        "usable_dark_min_per_day": cat["usable_dark_samples"] * minutes,
        "daylight_added_min_per_day": (cat["usable_samples"] - cat["usable_dark_samples"]) * minutes,
        "max_gap_h": np.where(has_gap, cat["max_gap_s"] / 3600.0, np.nan),
        "p95_gap_h": p95 / 3600.0,
    }
    if tables is not None:
        key = np.concatenate([s.key_bits for s in states if s.key_bits is not None])
        metrics["key_bits_per_day"] = key / study_days
        if telescopes is not None:
            held = np.concatenate([s.key_scheduled for s in states if s.key_scheduled is not None])
            metrics[metric_name(telescopes)] = held / study_days
    return CoverageResult(
        grid, study_days, step_s, c, lat_all, lon_all, metrics, cat, len(satellites), profile if tables else None,
        mask=mask, region=region_name, start=start, satellite_names=tuple(str(getattr(x, "name", x)) for x in satellites),
        sample_days=sample_days,
    )
