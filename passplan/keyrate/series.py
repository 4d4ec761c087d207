"""Reading a channel series (``SERIES.csv``: columns ``t_s,eta[,background_prob]``)."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError

__all__ = ["ChannelSeries", "read_series"]

REQUIRED = ("t_s", "eta")
OPTIONAL = ("background_prob",)


@dataclass(frozen=True, slots=True, eq=False)
class ChannelSeries:
    """Per-slot channel: times (s), transmittance and optional background click probability."""

    t_s: NDArray[np.float64]
    eta: NDArray[np.float64]
    background_prob: NDArray[np.float64] | None
    source: str = ""


def read_series(path: str | Path) -> ChannelSeries:
    """Read and validate ``SERIES.csv``; errors name the file, line and column.

    Lines starting with ``#`` are comments; the first other line is the header. Extra columns
    are ignored. ``eta`` must be in [0, 1], ``background_prob`` in [0, 1), ``t_s`` increasing.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    rows = [(n, line) for n, line in enumerate(text.splitlines(), start=1)
            if line.strip() and not line.lstrip().startswith("#")]
    if not rows:
        raise InputError(f"{path}: no header and no data; expected columns t_s,eta[,background_prob]")
    header_line, header = rows[0][0], next(csv.reader([rows[0][1]]))
    header = [h.strip() for h in header]
    for col in REQUIRED:
        if col not in header:
            raise InputError(f"{path}:{header_line}: missing column {col!r}; the header must "
                             f"name t_s,eta[,background_prob] (found {','.join(header)})")
    cols = [c for c in REQUIRED + OPTIONAL if c in header]
    idx = {c: header.index(c) for c in cols}
    values: dict[str, list[float]] = {c: [] for c in cols}
    prev_t = -math.inf
    for lineno, line in rows[1:]:
        cells = next(csv.reader([line]))
        for c in cols:
            where = f"{path}:{lineno}: column {c!r}"
            if idx[c] >= len(cells) or not cells[idx[c]].strip():
                raise InputError(f"{where} is empty; give a number")
            try:
                v = float(cells[idx[c]])
            except ValueError:
                raise InputError(f"{where} is {cells[idx[c]].strip()!r}; give a number") from None
            if not math.isfinite(v):
                raise InputError(f"{where} is {v!r}; NaN and infinities are not allowed")
            if c == "eta" and not 0.0 <= v <= 1.0:
                raise InputError(f"{where} is {v!r}; transmittance must be in [0, 1] "
                                 "(a ratio, not dB)")
            if c == "background_prob" and not 0.0 <= v < 1.0:
                raise InputError(f"{where} is {v!r}; expected a click probability in [0, 1)")
            if c == "t_s":
                if v <= prev_t:
                    raise InputError(f"{where} is {v!r}, not after the previous row; "
                                     "sort the series by time")
                prev_t = v
            values[c].append(v)
    if not values["eta"]:
        raise InputError(f"{path}: header but no data rows")
    bg = np.array(values["background_prob"]) if "background_prob" in values else None
    return ChannelSeries(t_s=np.array(values["t_s"]), eta=np.array(values["eta"]),
                         background_prob=bg, source=str(path))
