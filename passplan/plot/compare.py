"""Fleets side by side at stations: usable hours per day, key per day and the longest gap."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .common import figure_bytes, new_figure

__all__ = ["plot_fleet_comparison"]


def plot_fleet_comparison(rows: Sequence[Mapping[str, Any]], fmt: str = "png", title: str = "") -> bytes:
    """Grouped bars (one group per station, one bar per fleet) of three metrics."""
    fleets = list(dict.fromkeys(r["fleet"] for r in rows))
    stations = list(dict.fromkeys(r["station"] for r in rows))
    fig = new_figure(12, 4.2)
    axes = fig.subplots(1, 3)
    width = 0.8 / max(1, len(fleets))
    x = np.arange(len(stations))
    panels = [
        ("usable_h_per_day", "usable time (h/day)", False),
        ("key_bits_per_day", "key (bit/day)", True),
        ("longest_gap_h", "longest gap (h)", False),
    ]
    for ax, (field, label, log) in zip(axes, panels, strict=True):
        for k, fleet in enumerate(fleets):
            vals = []
            for st in stations:
                v = next((r[field] for r in rows if r["fleet"] == fleet and r["station"] == st), None)
                vals.append(np.nan if v is None else float(v))
            ax.bar(x + (k - (len(fleets) - 1) / 2) * width, vals, width, label=fleet)
        ax.set_xticks(x, stations, rotation=30, fontsize=8)
        ax.set_ylabel(label)
        if log:
            ax.set_yscale("log")
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return figure_bytes(fig, fmt)
