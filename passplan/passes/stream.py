"""The records of an :func:`~passplan.passes.iter_passes` search in :func:`find_passes`' order,
released block by block, straight from the blocks' columns (no :class:`Pass` object per pass).

A block yields the passes that end in it, so a pass under way across block edges (a GEO
window, say) comes after passes that rose later: rows are held until an AOS bound says no
earlier pass can follow. Two bounds are used, the larger wins:

- the block's ``complete_before`` when it has one: the AOS before which every pass has been
  yielded (``None``: no pass under way);
- the passes seen so far: the windows of one satellite-station pair never overlap, so a pass
  still to come starts after the last LOS yielded for its pair; once every one of the
  ``n_pairs`` pairs has had a pass, the earliest of those LOS bounds every pass to come.

With neither, rows are held to the end: the same output, with memory not bounded by a block.
Released rows are sorted stably by (AOS, station id, satellite name), as ``find_passes`` sorts.
Blocks without ``columns`` (any object with ``passes`` and ``warnings``) are turned into
columns of their :class:`Pass` objects, whose records then come from ``passes_to_records``.
The same release gives records (:func:`records_in_order`, the CLI's fast path) and
:class:`Pass` objects (:func:`passes_in_order`, for filters, forecasts and the table): one
ordering, two outputs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from .columns import ColumnRecords, PassColumns, lexsort3, unix_us
from .records import Pass

__all__ = ["records_in_order", "columns_in_order", "passes_in_order", "block_seconds", "PAIR_DAYS_PER_BLOCK"]

_UNKNOWN = object()


#: satellite-station pairs up to which :class:`_Pairs` keeps an array (8 MiB of LOS at most)
_PAIRS_ARRAY_MAX = 1 << 20


class _Pairs:
    """The last LOS (microseconds) yielded for each satellite-station pair: in an array over the
    pairs of one search while its blocks share their satellite and station lists (the engine's
    blocks do), by name in a dict otherwise."""

    def __init__(self) -> None:
        self.last: dict[tuple[int, str], int] = {}
        self._lists: tuple[Any, Any] | None = None  # the satellite and station lists of the array
        self._los = np.zeros(0, np.int64)
        self._seen = np.zeros(0, bool)

    def add(self, cols: PassColumns) -> None:
        n = len(cols.sats) * len(cols.stations)
        if self._lists is None and not self.last and cols.objects is None and n <= _PAIRS_ARRAY_MAX:
            self._lists = (cols.sats, cols.stations)
            self._los, self._seen = np.zeros(n, np.int64), np.zeros(n, bool)
        if self._lists is not None and self._lists[0] is cols.sats and self._lists[1] is cols.stations:
            if len(self._seen) == n:  # lists unchanged in size
                code = cols.sat.astype(np.int64) * len(cols.stations) + cols.st
                new = ~self._seen[code]
                self._los[code[new]] = cols.los_us[new]  # any value of the pair; the maximum below
                self._seen[code] = True
                np.maximum.at(self._los, code, cols.los_us)
                return
        self._to_dict()
        self._add_dict(cols.sats, cols.stations, cols.sat, cols.st, cols.los_us)

    def _to_dict(self) -> None:
        """Move the array's pairs into the dict (a block from other lists came)."""
        if self._lists is not None:
            seen = np.flatnonzero(self._seen)
            n_st = max(len(self._lists[1]), 1)
            self._add_dict(*self._lists, seen // n_st, seen % n_st, self._los[seen])
            self._lists = None

    def count(self) -> int:
        """Pairs with a pass yielded."""
        return int(self._seen.sum()) if self._lists is not None else len(self.last)

    def earliest(self) -> int:
        """The earliest of the pairs' last LOS."""
        return int(self._los[self._seen].min()) if self._lists is not None else min(self.last.values())

    def _add_dict(self, sats: Sequence[Any], stations: Sequence[Any], sat: np.ndarray, st: np.ndarray, los_us: np.ndarray) -> None:
        sat_key = [hash(s) if isinstance(s, str) else id(s) for s in sats]
        st_key = [getattr(s, "id", s) for s in stations]
        code = sat.astype(np.int64) * max(len(st_key), 1) + st
        order = np.lexsort((los_us, code))
        code, los = code[order], los_us[order]
        tail = np.flatnonzero(np.concatenate([code[1:] != code[:-1], [True]])) if code.size else np.zeros(0, int)
        n_st = max(len(st_key), 1)
        for c, t in zip(code[tail].tolist(), los[tail].tolist(), strict=True):
            pair = (sat_key[c // n_st], st_key[c % n_st])
            seen = self.last.get(pair)
            if seen is None or t > seen:
                self.last[pair] = t


def _in_order(*keys: np.ndarray) -> bool:
    """Whether the rows are already in the order of ``keys`` (the first sorts first), so a
    stable sort by them would leave every row where it is."""
    if keys[0].size < 2:
        return True
    later = np.zeros(keys[0].size - 1, bool)  # row i + 1 sorts after row i on some key
    tied = np.ones(keys[0].size - 1, bool)  # equal on every key so far
    for k in keys:
        later |= tied & (k[1:] > k[:-1])
        tied &= k[1:] == k[:-1]
    return bool(np.all(later | tied))


def columns_in_order(
    blocks: Iterable[Any],
    on_warning: Callable[[str], None] | None,
    n_pairs: int,
    warned: set[str] | None = None,
) -> Iterator[PassColumns]:
    """The blocks' passes as :class:`PassColumns`, released in find_passes' order (see the
    module). Each warning of the blocks not yet in ``warned`` goes once to ``on_warning`` (a
    caller searching several windows shares one ``warned`` set between them)."""
    warned = set() if warned is None else warned
    held: list[PassColumns] = []
    pairs = _Pairs()

    def release(cols: PassColumns) -> PassColumns:
        sat_code, st_code = cols.sort_codes()
        if _in_order(cols.aos_us, st_code, sat_code):  # one engine block comes sorted
            return cols
        order = lexsort3(sat_code, st_code, cols.aos_us)  # stable: equal keys keep their order
        return cols.take(order)

    for block in blocks:
        for note in block.warnings:
            if note not in warned:
                warned.add(note)
                if on_warning is not None:
                    on_warning(note)
        cols = getattr(block, "columns", None)
        if cols is None:
            cols = PassColumns.from_passes(block.passes)
        if len(cols):
            held.append(cols)
            pairs.add(cols)
        if not held:
            continue
        engine: Any = getattr(block, "complete_before", _UNKNOWN)
        if engine is None:
            whole, held = PassColumns.concat(held), []
            yield release(whole)
            continue
        bounds = [unix_us(engine)] if engine is not _UNKNOWN else []
        if pairs.count() >= n_pairs:
            bounds.append(pairs.earliest())
        if not bounds:
            continue
        whole = PassColumns.concat(held)
        ready = whole.aos_us < max(bounds)
        k = int(np.count_nonzero(ready))
        if ready[:k].all():  # the first k rows (a sorted block): views, no copy
            now, later = whole.rows(0, k), whole.rows(k, len(whole))
        else:
            now, later = whole.take(np.flatnonzero(ready)), whole.take(np.flatnonzero(~ready))
        held = [later] if len(later) else []
        if len(now):
            yield release(now)
    if held:
        yield release(PassColumns.concat(held))


def records_in_order(
    blocks: Iterable[Any],
    on_warning: Callable[[str], None] | None,
    n_pairs: int,
    chunk: int = 8192,
    warned: set[str] | None = None,
) -> Iterator[Sequence[dict[str, Any]]]:
    """Sequences (:class:`ColumnRecords`) of at most ``chunk`` records of the blocks' passes in
    find_passes' order (see the module and :func:`columns_in_order`)."""
    for cols in columns_in_order(blocks, on_warning, n_pairs, warned):
        for i in range(0, len(cols), chunk):
            yield ColumnRecords(cols.rows(i, i + chunk))


def passes_in_order(
    blocks: Iterable[Any],
    on_warning: Callable[[str], None] | None,
    n_pairs: int,
    warned: set[str] | None = None,
) -> Iterator[list[Pass]]:
    """Lists of the blocks' :class:`Pass` objects in find_passes' order, released as
    :func:`columns_in_order` releases them (the same order the records stream in)."""
    for cols in columns_in_order(blocks, on_warning, n_pairs, warned):
        yield cols.passes()


#: Satellite-station pairs a day-long search block may hold; larger scenes search shorter blocks
#: (the engine's memory grows with pairs x block length; results do not depend on it).
PAIR_DAYS_PER_BLOCK = 10_000


def block_seconds(n_pairs: int) -> float:
    """Search block length for ``n_pairs`` pairs: a day up to :data:`PAIR_DAYS_PER_BLOCK`
    pairs, shorter beyond (at least an hour)."""
    return max(3600.0, 86400.0 * min(1.0, PAIR_DAYS_PER_BLOCK / max(n_pairs, 1)))
