"""Key per day at a cell for a station with a limited number of telescopes (issue 21, part 5).

The unlimited key per day adds the key of every usable run of every satellite, as if a station
could track all the satellites in view at once. A station with ``N`` telescopes tracks at most
``N`` at a time: the runs it takes must never have more than ``N`` of them at any sample. Which
runs to take is weighted interval scheduling with the runs' key as weights:

* one telescope: the classic dynamic programme over runs sorted by their end (e.g. Kleinberg and
  Tardos, *Algorithm Design*, 2006, section 6.1): ``best(i) = max(best(i - 1), w_i + best(p(i)))``
  with ``p(i)`` the last run that ends before run ``i`` starts. Exact. Vectorised over cells: the
  recurrence steps through the k-th run of every cell at once.
* ``N`` telescopes: the linear programme ``max w.x`` subject to, at each run's first sample, at
  most ``N`` chosen runs covering it, ``0 <= x <= 1``. Its constraint matrix has the consecutive
  ones property in each column (a run covers consecutive start points), so it is totally
  unimodular and the LP optimum is the integer optimum (Arkin and Silverberg, "Scheduling jobs
  with fixed start and end times", Discrete Applied Mathematics 18, 1987, 1-8: interval
  scheduling on identical machines; Schrijver, *Theory of Linear and Integer Programming*, 1986,
  section 19.3). Exact; solved with HiGHS (scipy) for all the cells of a band at once (a
  block-diagonal LP, so every cell gets its own optimum), over the runs that take part in a
  clique larger than ``N`` (the others are always taken).

Assumed: a run is taken whole or not at all (finite-key statistics make a part of a pass worth
less than its share), and a telescope can take the next run from the sample after its previous
run ends (no slew or acquisition time). Runs are those of the coverage bitmaps: cut at the time
blocks' edges (a day), like the unlimited sum beside it.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError

__all__ = ["scheduled_key", "metric_name", "check_telescopes"]

_LP_RUNS = 20000  # runs per LP (a slice of whole cells)


def check_telescopes(telescopes: int | None) -> None:
    if telescopes is not None and (isinstance(telescopes, bool) or not isinstance(telescopes, int) or telescopes < 1):
        raise InputError(f"telescopes {telescopes!r}: give a whole number of telescopes >= 1 (None: unlimited)")


def metric_name(telescopes: int) -> str:
    """``key_bits_per_day_1_telescope``, ``key_bits_per_day_2_telescopes``, ..."""
    return f"key_bits_per_day_{telescopes}_telescope{'' if telescopes == 1 else 's'}"


def scheduled_key(runs: np.ndarray, n_cells: int, telescopes: int) -> np.ndarray:
    """Per cell, the largest total key of runs that never have more than ``telescopes`` at one
    sample. ``runs`` is (4, n): cell, first sample, length (samples, >= 1), key bits."""
    out = np.zeros(n_cells)
    if runs.shape[1] == 0:
        return out
    cell = runs[0].astype(np.int64)
    start = runs[1].astype(np.int64)
    end = start + runs[2].astype(np.int64)
    bits = runs[3]
    if telescopes == 1:
        return _one(cell, start, end, bits, n_cells)
    # one LP per slice of whole cells of at most _LP_RUNS runs (cells are independent, so each
    # cell's optimum is the same whatever the slicing; smaller LPs solve faster)
    order = np.argsort(cell, kind="stable")
    cell, start, end, bits = cell[order], start[order], end[order], bits[order]
    bounds = np.flatnonzero(np.diff(cell)) + 1  # where a new cell begins
    cuts = [0]
    for b in bounds:
        if b - cuts[-1] > _LP_RUNS:
            cuts.append(int(b))
    cuts.append(cell.size)
    for a0, b0 in zip(cuts[:-1], cuts[1:], strict=True):
        out += _lp(cell[a0:b0], start[a0:b0], end[a0:b0], bits[a0:b0], n_cells, telescopes)
    return out


def _one(cell: np.ndarray, start: np.ndarray, end: np.ndarray, bits: np.ndarray, n_cells: int) -> np.ndarray:
    m = int(end.max()) + 1
    e_key = cell * m + end
    order = np.lexsort((start, e_key))
    cell, start, e_key, bits = cell[order], start[order], e_key[order], bits[order]
    n = cell.size
    new = np.ones(n, bool)
    new[1:] = cell[1:] != cell[:-1]
    first = np.flatnonzero(new)
    rank = np.arange(n) - np.repeat(first, np.diff(np.append(first, n)))
    p = np.searchsorted(e_key, cell * m + start, side="right") - 1  # last run ending by this start
    has_p = (p >= 0) & (cell[np.maximum(p, 0)] == cell)
    best = np.zeros(n)
    for j in range(int(rank.max()) + 1):
        i = np.flatnonzero(rank == j)
        take = bits[i] + np.where(has_p[i], best[np.maximum(p[i], 0)], 0.0)
        skip = best[i - 1] if j else np.zeros(i.size)
        best[i] = np.maximum(skip, take)
    last = np.append(first[1:], n) - 1
    out = np.zeros(n_cells)
    out[cell[last]] = best[last]
    return out


def _lp(
    cell: np.ndarray, start: np.ndarray, end: np.ndarray, bits: np.ndarray, n_cells: int, telescopes: int
) -> np.ndarray:
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix

    m = int(end.max()) + 1
    s_key = cell * m + start
    order = np.lexsort((end, s_key))
    cell, start, end, bits, s_key = cell[order], start[order], end[order], bits[order], s_key[order]
    e_key = cell * m + end
    longest = int((end - start).max())
    # run i covers the first sample of run j (same cell) when start_i <= start_j < end_i
    lo = np.searchsorted(s_key, s_key - longest, side="left")
    hi = np.searchsorted(s_key, s_key, side="right")
    cnt = hi - lo
    row = np.repeat(np.arange(cell.size), cnt)
    col = lo[row] + (np.arange(row.size) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    keep = e_key[col] > s_key[row]
    row, col = row[keep], col[keep]
    load = np.bincount(row, minlength=cell.size)
    tight = load > telescopes  # start points where more runs cover than there are telescopes
    x = np.ones(cell.size)
    if tight.any():
        sel = tight[row]
        row, col = row[sel], col[sel]
        var = np.unique(col)  # the runs that take part in a tight point
        vi = np.searchsorted(var, col)
        rows = np.unique(row)
        ri = np.searchsorted(rows, row)
        a = csr_matrix((np.ones(ri.size), (ri, vi)), shape=(rows.size, var.size))
        res = linprog(-bits[var], A_ub=a, b_ub=np.full(rows.size, float(telescopes)), bounds=(0.0, 1.0),
                      method="highs")
        if res.status != 0:  # pragma: no cover - a bounded feasible LP (x = 0 is feasible)
            raise RuntimeError(f"telescope schedule LP failed: {res.message}")
        xv = np.round(res.x)  # a vertex of a totally unimodular system is integral
        if np.any(a @ xv > telescopes + 1e-9):  # pragma: no cover - a non-vertex optimum
            xv = res.x
        x[var] = xv
    return np.bincount(cell, weights=bits * x, minlength=n_cells)
