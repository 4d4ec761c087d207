"""The key of a channel given as a series (``passplan key SERIES.csv``): a pass's per-slot
transmittance and background from another tool, or from ``--series-dir``, through the last stage
of the one chain (the finite-key estimate :func:`passplan.keyrate.pass_key`, as
:func:`passplan.forecast.chain.channel_key` runs it), with the protocol resolved once
(:func:`passplan.forecast.resolve.protocol_variant`).

A series' ``background_prob`` column already holds every click without signal (dark counts and
stray light, as ``--series-dir`` writes it), so the protocol's ``extraneous_click_prob`` is not
added on top of it (it would count them twice); the result says so in its notes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from ..keyrate.passkey import PassKey, pass_key
from ..keyrate.protocol import Protocol
from ..keyrate.series import ChannelSeries, read_series
from .resolve import protocol_variant

__all__ = ["SeriesKey", "series_key"]


@dataclass(frozen=True, eq=False)
class SeriesKey:
    """The finite-key estimate of a series, the protocol it was estimated with, the series'
    warnings and the notes on what was adjusted."""

    key: PassKey
    protocol: Protocol
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The key's record (what ``passplan key`` prints)."""
        return self.key.to_dict()

    def to_records(self) -> list[dict[str, Any]]:
        return [self.to_dict()]


def series_key(
    series: str | PathLike[str] | ChannelSeries,
    protocol: str | Protocol | None = None,
    *,
    pulses_per_s: float | None = None,
    bounds: str | None = None,
    decoys: int | None = None,
    optimise: bool | None = None,
) -> SeriesKey:
    """The secret key of the channel in ``series`` (a CSV path with ``t_s,eta[,background_prob]``
    or a read :class:`passplan.keyrate.series.ChannelSeries`) with ``protocol`` (a bundled name, a
    TOML path, a :class:`~passplan.keyrate.protocol.Protocol`, or None for passplan's defaults)
    varied by the keywords (:func:`~passplan.forecast.resolve.protocol_variant`)."""
    pr = protocol_variant(protocol, pulses_per_s=pulses_per_s, bounds=bounds, decoys=decoys, optimise=optimise)
    s = series if isinstance(series, ChannelSeries) else read_series(Path(series))
    notes = []
    if s.background_prob is not None and pr.extraneous_click_prob > 0:
        notes.append(
            f"note: {s.source} gives background_prob per slot (dark counts and stray light); the "
            f"protocol's extraneous_click_prob ({pr.extraneous_click_prob:g}) is not added"
        )
        pr = dataclasses.replace(pr, extraneous_click_prob=0.0)
    key = pass_key(s.eta, s.background_prob, s.t_s, pr)  # the chain's last stage on the given channel
    return SeriesKey(key, pr, list(s.warnings), notes)
