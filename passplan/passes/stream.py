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
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from .columns import ColumnRecords, PassColumns, unix_us

__all__ = ["records_in_order"]

_UNKNOWN = object()


class _Pairs:
    """The last LOS (microseconds) yielded for each satellite-station pair."""

    def __init__(self) -> None:
        self.last: dict[tuple[int, str], int] = {}

    def add(self, cols: PassColumns) -> None:
        sat_key = [hash(s) if isinstance(s, str) else id(s) for s in cols.sats]
        st_key = [getattr(s, "id", s) for s in cols.stations]
        code = cols.sat.astype(np.int64) * max(len(st_key), 1) + cols.st
        order = np.lexsort((cols.los_us, code))
        code, los = code[order], cols.los_us[order]
        tail = np.flatnonzero(np.concatenate([code[1:] != code[:-1], [True]])) if code.size else np.zeros(0, int)
        n_st = max(len(st_key), 1)
        for c, t in zip(code[tail].tolist(), los[tail].tolist(), strict=True):
            pair = (sat_key[c // n_st], st_key[c % n_st])
            seen = self.last.get(pair)
            if seen is None or t > seen:
                self.last[pair] = t


def records_in_order(
    blocks: Iterable[Any],
    on_warning: Callable[[str], None],
    n_pairs: int,
    chunk: int = 8192,
) -> Iterator[Sequence[dict[str, Any]]]:
    """Sequences (:class:`ColumnRecords`) of at most ``chunk`` records of the blocks' passes in
    find_passes' order (see the module); each warning of the blocks goes once to ``on_warning``."""
    warned: set[str] = set()
    held: list[PassColumns] = []
    pairs = _Pairs()

    def release(cols: PassColumns) -> Iterator[Sequence[dict[str, Any]]]:
        sat_code, st_code = cols.sort_codes()
        order = np.lexsort((sat_code, st_code, cols.aos_us))  # stable: equal keys keep their order
        cols = cols.take(order)
        for i in range(0, len(cols), chunk):
            yield ColumnRecords(cols.rows(i, i + chunk))

    for block in blocks:
        for note in block.warnings:
            if note not in warned:
                warned.add(note)
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
            yield from release(whole)
            continue
        bounds = [unix_us(engine)] if engine is not _UNKNOWN else []
        if len(pairs.last) >= n_pairs:
            bounds.append(min(pairs.last.values()))
        if not bounds:
            continue
        whole = PassColumns.concat(held)
        ready = whole.aos_us < max(bounds)
        held = [whole.take(np.flatnonzero(~ready))] if not ready.all() else []
        if ready.any():
            yield from release(whole.take(np.flatnonzero(ready)))
    if held:
        yield from release(PassColumns.concat(held))
