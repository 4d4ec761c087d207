"""The pass engine: when each satellite is usable from each station, under composable constraints.

``records`` holds what a search takes and gives (:class:`Constraints`, :class:`Pass`,
:class:`PassGeometry`, :class:`PassSearch`, :func:`passes_to_records`), ``constraints`` one small
class per constraint, ``roots`` the batched root finders, ``block`` one time block's propagated
grid and horizon crossings, ``pieces`` what happens inside each pass, ``summary`` the figures of
finished passes, ``columns`` those passes as arrays (:class:`PassColumns`: records without a
Python object per pass), ``engine`` the search over blocks (:func:`find_passes`,
:func:`iter_passes`) and ``stream`` its blocks' passes in order (:func:`records_in_order`, :func:`passes_in_order`).
"""

from __future__ import annotations

from .columns import PassColumns
from .engine import CONSTRAINT_STEP_S, REFINE_TOL_S, find_passes, iter_passes, sample_pass
from .records import (
    CONSTRAINT_ALIASES,
    CONSTRAINT_NAMES,
    Constraints,
    Pass,
    PassGeometry,
    PassSearch,
    passes_to_records,
)
from .stream import block_seconds, columns_in_order, passes_in_order, records_in_order

__all__ = [
    "Constraints",
    "Pass",
    "PassGeometry",
    "PassSearch",
    "CONSTRAINT_NAMES",
    "CONSTRAINT_ALIASES",
    "CONSTRAINT_STEP_S",
    "REFINE_TOL_S",
    "find_passes",
    "iter_passes",
    "sample_pass",
    "passes_to_records",
    "PassColumns",
    "records_in_order",
    "passes_in_order",
    "columns_in_order",
    "block_seconds",
]
