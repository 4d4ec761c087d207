"""The key-window search of :mod:`.optimise`, for one pass or many at once.

For fixed source parameters the best contiguous window is found in two steps (the reasoning is in
:mod:`.optimise`): the hulls of the slots above each level of transmittance (and, with a varying
background, of ``eta / b``) are tried, then each edge of the best one is moved over every slot,
twice at most. Every step evaluates the windows of all passes in one
:func:`.decoy_bb84.finite_key` call (block counts from prefix sums of the slot counts).

A series of at most ``SCAN_ALL`` slots is scanned whole, as above. A longer one (a LEO pass of
a few hundred 1-s slots, an MEO or GEO window of up to 1800) is scanned coarse to fine: each ordered sequence of windows (the
nested hulls, the left-edge and the right-edge moves) first at ``SCAN_COARSE`` evenly spread
windows, then at every window within one coarse step of the best of them. The key varies slowly
along these sequences (one slot of a long window moves the block little), so this finds the
same window or one a few slots away whose key differs in the last digits (checked against the
whole scan in tests/test_forecast_batch.py), for a fraction of the evaluations (a quarter for a 300-slot LEO pass, a tenth at 1800).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from .counts import Counts, slot_counts
from .decoy_bb84 import finite_key
from .protocol import Protocol

__all__ = ["best_windows", "window_candidates", "SCAN_ALL", "SCAN_COARSE"]

#: Series of at most this many slots are scanned whole.
SCAN_ALL = 128
#: Windows per sequence in the coarse scan of a longer series.
SCAN_COARSE = 48

Params = tuple[float, NDArray, NDArray]  # p_x, intensities, probabilities


def _hull_sequences(eta: NDArray, b: NDArray | None) -> list[NDArray]:
    """Nested hulls of the slots above each level of ``eta`` (and of ``eta / b`` when the
    background varies: a GEO or MEO window spanning day and night has its best slots where the
    sky is dark), each sequence in order of decreasing level."""
    keys = [eta]
    if b is not None and np.ptp(b) > 0:
        keys.append(eta / np.maximum(b, 1e-300))
    out = []
    for key in keys:
        order = np.argsort(-key, kind="stable")
        lo = np.minimum.accumulate(order)
        hi = np.maximum.accumulate(order) + 1
        out.append(np.stack([lo, hi], axis=1))
    return out


def window_candidates(eta: NDArray, b: NDArray | None = None) -> NDArray:
    """(W, 2) candidate windows ``[i, j)``: every hull of :func:`_hull_sequences`, once."""
    return np.unique(np.vstack(_hull_sequences(eta, b)), axis=0)


def _objective(counts: Counts, mu: NDArray, p: NDArray, protocol: Protocol):
    return finite_key(counts, mu, p, eps_sec=protocol.eps_sec, eps_cor=protocol.eps_cor,
                      bounds=protocol.bounds, f_ec=protocol.f_ec, ec_method=protocol.ec_method,
                      key_bases=protocol.key_bases, key_intensities=protocol.key_intensities)


def _evaluate(jobs: list[tuple[int, NDArray]], prefixes: list[tuple[NDArray, ...]], params: Sequence[Params],
              protocol: Protocol) -> list[NDArray]:
    """Raw key of the windows of each job ``(pass, windows (W, 2))``, all in one call."""
    if not jobs:
        return []
    parts, mus, ps, sizes = [], [], [], []
    for q, win in jobs:
        i, j = win[:, 0], win[:, 1]
        parts.append([a[:, j].T - a[:, i].T for a in prefixes[q]])
        _, mu, p = params[q]
        mus.append(np.broadcast_to(mu, (win.shape[0], mu.size)))
        ps.append(np.broadcast_to(p, (win.shape[0], p.size)))
        sizes.append(win.shape[0])
    counts = Counts(*(np.concatenate([pt[c] for pt in parts]) for c in range(4)))
    raw = _objective(counts, np.concatenate(mus), np.concatenate(ps), protocol).raw
    return np.split(raw, np.cumsum(sizes)[:-1])


def _scan(seqs: list[tuple[int, NDArray]], prefixes, params, protocol) -> list[tuple[int, float]]:
    """Best window (row, raw key) of each ordered sequence: whole if short, else coarse to fine."""
    first = []
    for _, win in seqs:
        n = win.shape[0]
        if n <= SCAN_ALL:
            first.append(np.arange(n))
        else:
            first.append(np.unique(np.round(np.linspace(0, n - 1, SCAN_COARSE)).astype(int)))
    raws = _evaluate([(q, win[r]) for (q, win), r in zip(seqs, first, strict=True)], prefixes, params, protocol)
    best = []
    second_jobs, second_rows, second_of = [], [], []
    for s, ((q, win), r, raw) in enumerate(zip(seqs, first, raws, strict=True)):
        k = int(np.argmax(raw))
        best.append((int(r[k]), float(raw[k])))
        n = win.shape[0]
        if n > SCAN_ALL:
            step = int(math.ceil((n - 1) / (SCAN_COARSE - 1)))
            rows = np.arange(max(0, r[k] - step), min(n, r[k] + step + 1))
            second_jobs.append((q, win[rows]))
            second_rows.append(rows)
            second_of.append(s)
    for s, rows, raw in zip(second_of, second_rows, _evaluate(second_jobs, prefixes, params, protocol), strict=True):
        k = int(np.argmax(raw))
        if raw[k] > best[s][1] or (raw[k] == best[s][1] and rows[k] < best[s][0]):
            best[s] = (int(rows[k]), float(raw[k]))
    return best


def best_windows(etas: Sequence[NDArray], bs: Sequence[NDArray], protocol: Protocol, params: Sequence[Params],
                 starts: Sequence[tuple[int, int] | None],
                 slot_s: Sequence[float] | None = None) -> list[tuple[tuple[int, int], float]]:
    """The best window ``[i, j)`` and its raw key for each pass at its parameters ``params[q]``;
    ``starts[q]`` (a window, or None) is tried too; ``slot_s[q]`` the pass's slot duration
    (default ``protocol.slot_s``)."""
    slots = [protocol.slot_s] * len(etas) if slot_s is None else list(slot_s)
    prefixes = []
    for e, b, (p_x, mu, p), dt in zip(etas, bs, params, slots, strict=True):
        sc = slot_counts(e, b, protocol.pulses_per_s * dt, p_x, mu, p, protocol.afterpulse_prob, protocol.intrinsic_qber,
                         protocol.error_model)
        zero = np.zeros((np.size(mu), 1))
        prefixes.append(tuple(np.concatenate([zero, np.cumsum(a, axis=1)], axis=1)
                              for a in (sc.n_x, sc.n_z, sc.m_x, sc.m_z)))
    seqs: list[tuple[int, NDArray]] = []
    owner: list[int] = []
    for q, (e, b, st) in enumerate(zip(etas, bs, starts, strict=True)):
        if e.size <= SCAN_ALL:
            c = window_candidates(e, b)
            group = [c if st is None else np.vstack([c, np.array([st])])]
        else:
            group = _hull_sequences(e, b) + ([] if st is None else [np.array([st])])
        seqs += [(q, w) for w in group]
        owner += [q] * len(group)
    best: list[tuple[tuple[int, int], float] | None] = [None] * len(etas)
    for (q, win), (k, f) in zip(seqs, _scan(seqs, prefixes, params, protocol), strict=True):
        cur = best[q]
        if cur is None or f > cur[1]:
            best[q] = ((int(win[k, 0]), int(win[k, 1])), f)
    going = list(range(len(etas)))
    for _ in range(2):
        if not going:
            break
        seqs = []
        for q in going:
            (i0, j0), _ = best[q]  # type: ignore[misc]
            t = etas[q].size
            left = np.stack([np.arange(0, j0), np.full(j0, j0)], axis=1)
            right = np.stack([np.full(t - i0, i0), np.arange(i0 + 1, t + 1)], axis=1)
            seqs += [(q, np.vstack([left, right]))] if t <= SCAN_ALL else [(q, left), (q, right)]
        found: dict[int, tuple[tuple[int, int], float]] = {}
        for (q, win), (k, f) in zip(seqs, _scan(seqs, prefixes, params, protocol), strict=True):
            if q not in found or f > found[q][1]:
                found[q] = ((int(win[k, 0]), int(win[k, 1])), f)
        still = []
        for q in going:
            if found[q][1] > best[q][1]:  # type: ignore[index]
                best[q] = found[q]
                still.append(q)
        going = still
    return [b for b in best if b is not None]
