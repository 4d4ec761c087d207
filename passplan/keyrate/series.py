"""Reading a channel series (``SERIES.csv``: columns ``t_s,eta[,background_prob]``)."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from ..schema import MAX_FILE_BYTES, SERIES

#: The columns' ranges, stated once (passplan.schema.SERIES).
_COLUMNS = SERIES.table("columns")

__all__ = ["ChannelSeries", "read_series", "MAX_SPAN_S", "MAX_SLOT_S", "COARSE_SLOT_S"]

REQUIRED = tuple(k.name for k in _COLUMNS.keys if k.required)
OPTIONAL = tuple(k.name for k in _COLUMNS.keys if not k.required)

#: The longest series accepted (s): one pass or window, at most the 31 days passplan plans at once.
MAX_SPAN_S = 31 * 86400.0
#: The longest slot accepted (s). The estimator holds the channel constant over a slot; the
#: forecasts write at most 1800 slots a window (so slots of 25 min for a 31-day GEO window).
MAX_SLOT_S = 3600.0
#: Slots longer than this (s) are checked for a channel that changes faster than it is sampled.
COARSE_SLOT_S = 10.0
#: A change of transmittance between neighbouring slots larger than this factor, on coarse slots,
#: means the pass is not resolved (assumed: a LEO pass changes its loss by 1-2 dB per 10 s at most).
_UNRESOLVED_RATIO = 2.0
#: The longest single rise and set of a channel accepted (s): one day. A Molniya apogee dwell
#: lasts about 8-12 h and a geostationary channel never sets; a pass that rises and sets over
#: more than a day is a time column in the wrong unit (milliseconds: a 400 s LEO pass becomes
#: 4.6 days, and its key 1000 times too large). Assumed bound.
MAX_PASS_S = 86400.0
#: A channel "rises" and "sets" when it is this factor below its peak at the series' two ends
#: (assumed: 10 dB).
_RISE_SET_RATIO = 10.0


@dataclass(frozen=True, slots=True, eq=False)
class ChannelSeries:
    """Per-slot channel: times (s), transmittance and optional background click probability,
    with the warnings a suspicious but legal series earns."""

    t_s: NDArray[np.float64]
    eta: NDArray[np.float64]
    background_prob: NDArray[np.float64] | None
    source: str = ""
    warnings: tuple[str, ...] = ()


def _read_text(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(
                f"{path}: {path.stat().st_size / 1e6:.0f} MB is far larger than a key series of "
                f"{MAX_SPAN_S / 86400:.0f} days at one-second slots; check the path"
            )
        raw = path.read_bytes()
        if b"\x00" in raw:
            raise UnicodeDecodeError("utf-8", raw, raw.index(b"\x00"), raw.index(b"\x00") + 1, "NUL byte")
        text = raw.decode("utf-8-sig")  # a byte-order mark is dropped, as for element files
    except UnicodeDecodeError:
        raise InputError(
            f"{path}: not UTF-8 text (a binary file?); expected a CSV series with columns "
            "t_s,eta[,background_prob]"
        ) from None
    if not text.strip():
        raise InputError(f"{path}: the file is empty; expected a CSV series with columns t_s,eta[,background_prob]")
    return text


def _parse_row(path: Path, lineno: int, line: str) -> list[str]:
    try:
        return next(csv.reader([line]))
    except csv.Error as err:
        raise InputError(f"{path}:{lineno}: not a CSV row ({err}); expected numbers separated by commas") from None


def read_series(path: str | Path) -> ChannelSeries:
    """Read and validate ``SERIES.csv``; errors name the file, line and column.

    Lines starting with ``#`` are comments; the first other line is the header. Extra columns
    are ignored. ``eta`` must be in [0, 1], ``background_prob`` in [0, 1), ``t_s`` increasing;
    the series may span at most :data:`MAX_SPAN_S` with slots of at most :data:`MAX_SLOT_S`,
    and a warning says when coarse slots do not resolve the channel.
    """
    path = Path(path)
    text = _read_text(path)
    rows = [(n, line) for n, line in enumerate(text.splitlines(), start=1)
            if line.strip() and not line.lstrip().startswith("#")]
    if not rows:
        raise InputError(f"{path}: no header and no data; expected columns t_s,eta[,background_prob]")
    header_line = rows[0][0]
    header = [h.strip() for h in _parse_row(path, header_line, rows[0][1])]
    for col in REQUIRED:
        if col not in header:
            raise InputError(f"{path}:{header_line}: missing column {col!r}; the header must "
                             f"name t_s,eta[,background_prob] (found {','.join(header)[:80]})")
    cols = [c for c in REQUIRED + OPTIONAL if c in header]
    idx = {c: header.index(c) for c in cols}
    values: dict[str, list[float]] = {c: [] for c in cols}
    prev_t = -math.inf
    for lineno, line in rows[1:]:
        cells = _parse_row(path, lineno, line)
        for c in cols:
            where = f"{path}:{lineno}: column {c!r}"
            if idx[c] >= len(cells) or not cells[idx[c]].strip():
                raise InputError(f"{where} is empty; give a number")
            try:
                v = float(cells[idx[c]])
            except ValueError:
                raise InputError(f"{where} is {cells[idx[c]].strip()[:40]!r}; give a number") from None
            if not math.isfinite(v):
                raise InputError(f"{where} is {v!r}; NaN and infinities are not allowed")
            if c == "eta" and _COLUMNS.key(c).problem(v):
                raise InputError(f"{where} is {v!r}; transmittance must be in "
                                 f"{_COLUMNS.key(c).range_text()} (a ratio, not dB)")
            if c == "background_prob" and _COLUMNS.key(c).problem(v):
                raise InputError(f"{where} is {v!r}; expected a click probability in "
                                 f"{_COLUMNS.key(c).range_text()}")
            if c == "t_s":
                if v <= prev_t:
                    raise InputError(f"{where} is {v!r}, not after the previous row; "
                                     "sort the series by time")
                prev_t = v
            values[c].append(v)
    if not values["eta"]:
        raise InputError(f"{path}: header but no data rows")
    t = np.array(values["t_s"])
    eta = np.array(values["eta"])
    warnings = _check_sampling(path, t, eta)
    bg = np.array(values["background_prob"]) if "background_prob" in values else None
    return ChannelSeries(t_s=t, eta=eta, background_prob=bg, source=str(path), warnings=warnings)


def _check_one_pass(path: Path, t: NDArray[np.float64], eta: NDArray[np.float64]) -> None:
    """Refuse a channel that rises and sets once (both ends :data:`_RISE_SET_RATIO` below its
    peak, one run above that level) over more than :data:`MAX_PASS_S`: no orbit passes so
    slowly; the time column is in milliseconds (or another unit than seconds)."""
    peak = float(np.max(eta))
    if not peak > 0:
        return
    level = peak / _RISE_SET_RATIO
    up = eta > level
    if up[0] or up[-1]:
        return
    first, last = int(np.argmax(up)), len(up) - 1 - int(np.argmax(up[::-1]))
    if not up[first : last + 1].all():
        return  # several passes in one window
    span = float(t[-1] - t[0])
    if span > MAX_PASS_S:
        raise InputError(
            f"{path}: column 't_s' spans {span / 86400:.3g} days for one rise and set of the channel "
            f"(eta climbs from {eta[0]:.3g} to {peak:.3g} and falls to {eta[-1]:.3g}); no orbit passes "
            f"that slowly (at most {MAX_PASS_S / 3600:.0f} h assumed): t_s looks like milliseconds; "
            "give seconds (divide t_s by 1000)"
        )


def _check_sampling(path: Path, t: NDArray[np.float64], eta: NDArray[np.float64]) -> tuple[str, ...]:
    """Refuse a series that is no single pass (too long, or slots too long for a constant
    channel); warn when coarse slots leave the channel unresolved."""
    if t.size < 2:
        return ()
    with np.errstate(over="ignore", invalid="ignore"):
        dt = np.diff(t)
        slot = float(np.median(dt))
        span = float(t[-1] - t[0])
    if not span <= MAX_SPAN_S:
        raise InputError(
            f"{path}: the slots span {span / 86400:.4g} days (t_s {t[0]:g} to {t[-1]:g} s); a series is "
            f"one pass or window of at most {MAX_SPAN_S / 86400:.0f} days: split it, one file per pass"
        )
    _check_one_pass(path, t, eta)
    if slot > MAX_SLOT_S:
        raise InputError(
            f"{path}: slots of {slot:g} s are longer than {MAX_SLOT_S:g} s; the key estimator holds the "
            "channel constant over a slot, so sample the pass finer (LEO passes every second)"
        )
    if slot > COARSE_SLOT_S:
        lo, hi = np.minimum(eta[:-1], eta[1:]), np.maximum(eta[:-1], eta[1:])
        jumps = (hi > 0) & (hi > _UNRESOLVED_RATIO * lo)
        if jumps.any():
            ratio = float(np.max(np.where(lo > 0, hi / np.where(lo > 0, lo, 1.0), np.inf)[jumps]))
            how = "from zero" if not math.isfinite(ratio) else f"by a factor {ratio:.3g}"
            return (
                f"{path}: eta changes {how} between slots {slot:g} s apart: the sampling is far "
                "coarser than the pass, and the key is estimated as if each slot's channel held for "
                "the whole slot; sample every second or so",
            )
    return ()
