"""Deterministic reduction of coverage chunks to per-cell metrics.

Chunks of one (band, block) from different satellite groups combine by OR of their bitmaps and
integer sums (key bits: float sums in group order); blocks then fold in time order through a small monoid per cell: the first and last
usable sample, the longest gap and a histogram of gap lengths, so a gap that spans two blocks is
counted once. Gaps are the waiting times between consecutive usable accesses (the open stretches
before the first and after the last access are not gaps). The 95th-percentile gap comes from the
histogram (:data:`GAP_BINS` log-spaced bins from one sample to a year): it is the geometric
centre of its bin, within a factor 1.028 of the exact value. Everything is integer arithmetic
or an order-fixed float reduction, so results do not depend on how the chunks ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .chunk import ChunkResult, ChunkTask, run_chunk, unpack
from .telescopes import scheduled_key

__all__ = [
    "BlockState", "combine_groups", "block_state", "fold", "p95_gap_s", "GAP_BINS", "gap_edges_s", "BandTask",
    "run_band",
]

GAP_BINS = 256
_YEAR_S = 366 * 86400.0


def gap_edges_s(step_s: float) -> np.ndarray:
    """Bin edges (s) of the gap histogram: log-spaced from one sample to a year."""
    return np.geomspace(step_s, _YEAR_S, GAP_BINS + 1)


@dataclass
class BlockState:
    """Per-cell totals over a run of contiguous blocks (or several runs)."""

    start_s: float  # first block's start (s from the study start)
    end_s: float  # last block's end
    passes: np.ndarray
    usable_passes: np.ndarray
    access_samples: np.ndarray
    usable_samples: np.ndarray
    usable_dark_samples: np.ndarray
    first_s: np.ndarray  # first usable sample time (nan: none yet)
    last_s: np.ndarray  # end of the last usable sample (nan: none)
    max_gap_s: np.ndarray
    gap_hist: np.ndarray  # int32 (cells, GAP_BINS)
    key_bits: np.ndarray | None = None  # float64 (cells,) with key tables
    key_scheduled: np.ndarray | None = None  # float64 (cells,): key of the runs N telescopes take


def combine_groups(parts: Sequence[ChunkResult]) -> ChunkResult:
    """Chunks of one band and block from every satellite group, combined (in group order)."""
    parts = sorted(parts, key=lambda p: p.group)
    out = parts[0]
    access, usable, dark = out.access.copy(), out.usable.copy(), out.usable_dark.copy()
    passes, upasses = out.passes.copy(), out.usable_passes.copy()
    key = None if out.key_bits is None else out.key_bits.copy()
    for p in parts[1:]:
        if key is not None and p.key_bits is not None:
            key += p.key_bits
        access |= p.access
        usable |= p.usable
        dark |= p.usable_dark
        passes += p.passes
        upasses += p.usable_passes
    runs = None if out.runs is None else np.concatenate([p.runs for p in parts if p.runs is not None], axis=1)
    return ChunkResult(out.group, out.band, out.block, out.n_samples, passes, upasses, access, usable, dark, key, runs)


@dataclass(frozen=True)
class BandTask:
    """The unit of work of a study: the chunks (one per satellite group, in group order) of one
    band of cells and one time block. With ``whole`` (the chunks are every group of the study),
    the worker reduces them to the block's :class:`BlockState` itself (the partial reduction
    travels back, not the bitmaps); otherwise it returns their combination for the caller to
    finish with the other parts of the band and block."""

    chunks: tuple[ChunkTask, ...]
    band: int
    block: int
    part: int
    start_s: float
    whole: bool
    telescopes: int | None = None  # with key tables: also the key of the runs N telescopes take


def run_band(task: BandTask) -> tuple[int, int, int, BlockState | list[ChunkResult]]:
    """Run a :class:`BandTask`: ``(band, block, part, result)``. Chunks combine as they finish
    (group order, as :func:`combine_groups`), so one band's bitmaps are held once."""
    acc: ChunkResult | None = None
    parts: list[ChunkResult] = []
    for ct in task.chunks:
        r = run_chunk(ct)
        if task.whole:
            acc = r if acc is None else combine_groups([acc, r])
        else:
            parts.append(r)
    if not task.whole:
        return task.band, task.block, task.part, parts
    assert acc is not None
    return task.band, task.block, task.part, block_state(acc, task.start_s, task.chunks[0].step_s, task.telescopes)


def block_state(r: ChunkResult, start_s: float, step_s: float, telescopes: int | None = None) -> BlockState:
    """Per-cell state of one block from its combined chunk (with ``telescopes`` and the
    chunk's runs, also the key a station with that many telescopes takes:
    :func:`passplan.coverage.telescopes.scheduled_key`)."""
    n = r.n_samples
    use = unpack(r.usable, n)
    nc = use.shape[0]
    edges = gap_edges_s(step_s)
    pad = np.zeros((nc, 1), bool)
    d = np.diff(np.concatenate([pad, use, pad], axis=1).astype(np.int8), axis=1)
    sc, sj = np.nonzero(d == 1)  # run starts (sample index)
    ec, ej = np.nonzero(d == -1)  # run ends (exclusive sample index)
    first = np.full(nc, np.nan)
    last = np.full(nc, np.nan)
    max_gap = np.zeros(nc)
    hist = np.zeros((nc, GAP_BINS), np.int32)
    if sc.size:
        is_first = np.concatenate([[True], sc[1:] != sc[:-1]])
        first[sc[is_first]] = start_s + sj[is_first] * step_s
        is_last = np.concatenate([ec[1:] != ec[:-1], [True]])
        last[ec[is_last]] = start_s + ej[is_last] * step_s
        inner = ~is_first  # a run that follows another run of the same cell
        gap = (sj[inner] - ej[np.flatnonzero(inner) - 1]) * step_s
        cells = sc[inner]
        np.maximum.at(max_gap, cells, gap)
        b = np.clip(np.searchsorted(edges, gap, side="right") - 1, 0, GAP_BINS - 1)
        np.add.at(hist, (cells, b), 1)

    def count(bits: np.ndarray) -> np.ndarray:
        return unpack(bits, n).sum(axis=1, dtype=np.int64)

    return BlockState(
        start_s=start_s,
        end_s=start_s + n * step_s,
        passes=r.passes.copy(),
        usable_passes=r.usable_passes.copy(),
        access_samples=count(r.access),
        usable_samples=use.sum(axis=1, dtype=np.int64),
        usable_dark_samples=count(r.usable_dark),
        first_s=first,
        last_s=last,
        max_gap_s=max_gap,
        gap_hist=hist,
        key_bits=None if r.key_bits is None else r.key_bits.copy(),
        key_scheduled=None if telescopes is None or r.runs is None else scheduled_key(r.runs, nc, telescopes),
    )


def fold(a: BlockState, b: BlockState, step_s: float) -> BlockState:
    """``a`` followed by ``b`` (b later in time). A gap across the seam counts only when the
    blocks are contiguous (sampled days are not)."""
    max_gap = np.maximum(a.max_gap_s, b.max_gap_s)
    hist = a.gap_hist + b.gap_hist
    if b.start_s == a.end_s:
        seam = np.isfinite(a.last_s) & np.isfinite(b.first_s)
        gap = b.first_s[seam] - a.last_s[seam]
        cells = np.flatnonzero(seam)
        if cells.size:
            max_gap[cells] = np.maximum(max_gap[cells], gap)
            edges = gap_edges_s(step_s)
            real = gap > 0  # a run that continues across the seam is no gap
            bins = np.clip(np.searchsorted(edges, gap[real], side="right") - 1, 0, GAP_BINS - 1)
            np.add.at(hist, (cells[real], bins), 1)
    return BlockState(
        start_s=a.start_s,
        end_s=b.end_s,
        passes=a.passes + b.passes,
        usable_passes=a.usable_passes + b.usable_passes,
        access_samples=a.access_samples + b.access_samples,
        usable_samples=a.usable_samples + b.usable_samples,
        usable_dark_samples=a.usable_dark_samples + b.usable_dark_samples,
        first_s=np.where(np.isfinite(a.first_s), a.first_s, b.first_s),
        last_s=np.where(np.isfinite(b.last_s), b.last_s, a.last_s),
        max_gap_s=max_gap,
        gap_hist=hist,
        key_bits=None if a.key_bits is None or b.key_bits is None else a.key_bits + b.key_bits,
        key_scheduled=None if a.key_scheduled is None or b.key_scheduled is None else a.key_scheduled + b.key_scheduled,
    )


def p95_gap_s(state: BlockState, step_s: float) -> np.ndarray:
    """95th-percentile gap per cell from the histogram (geometric bin centre; nan: no gap)."""
    edges = gap_edges_s(step_s)
    centres = np.sqrt(edges[:-1] * edges[1:])
    total = state.gap_hist.sum(axis=1)
    cum = np.cumsum(state.gap_hist, axis=1)
    k = np.argmax(cum >= np.ceil(0.95 * total)[:, None], axis=1)
    return np.where(total > 0, centres[k], np.nan)
