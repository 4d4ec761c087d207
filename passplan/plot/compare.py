"""Fleets side by side at stations: usable hours per day, key per day and the longest gap.

Every axis is linear and labelled with its unit: key per day in Mbit/day (a log axis made a
fleet with a hundredth of another's key look nearly as good, and hid a zero key). A fleet a
station never sees in the study window is drawn as such: its usable time is a zero bar marked
"never visible" and its longest gap is the whole window (hatched, marked the same), not a
missing bar that reads as a 0 h gap."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .common import figure_bytes, new_figure

__all__ = ["plot_fleet_comparison", "fleet_comparison_figure", "NEVER_VISIBLE"]

#: The mark of a fleet a station never sees.
NEVER_VISIBLE = "never visible"


def plot_fleet_comparison(
    rows: Sequence[Mapping[str, Any]], fmt: str = "png", title: str = "", window_h: float | None = None
) -> bytes:
    """Grouped bars (one group per station, one bar per fleet) of three metrics as ``fmt``
    bytes (:func:`fleet_comparison_figure`)."""
    return figure_bytes(fleet_comparison_figure(rows, title, window_h), fmt)


def _value(v: float) -> str:
    """A bar's value as text: whole numbers from 100 up, three significant digits below."""
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}"


def _never_seen(r: Mapping[str, Any] | None) -> bool:
    return r is not None and int(r.get("passes") or 0) == 0


def fleet_comparison_figure(
    rows: Sequence[Mapping[str, Any]], title: str = "", window_h: float | None = None
) -> Any:
    """The comparison of :func:`passplan.coverage.compare_fleets` rows as a Figure:
    usable time (h/day), key (Mbit/day) and the longest gap (h), each on a linear axis. A row
    without passes is "never visible": usable time 0, gap ``window_h`` (the study window's
    length; without it the gap bar is left out and the mark stays)."""
    fleets = list(dict.fromkeys(r["fleet"] for r in rows))
    stations = list(dict.fromkeys(r["station"] for r in rows))
    of = {(r["fleet"], r["station"]): r for r in rows}
    fig = new_figure(12, 4.4)
    axes = fig.subplots(1, 3)
    width = 0.8 / max(1, len(fleets))
    x = np.arange(len(stations))
    panels = [
        ("usable_h_per_day", "usable time (h/day)", 1.0),
        ("key_bits_per_day", "key (Mbit/day, linear)", 1e-6),
        ("longest_gap_h", "longest gap between usable windows (h)", 1.0),
    ]
    for ax, (field, label, scale) in zip(axes, panels, strict=True):
        for k, fleet in enumerate(fleets):
            xs = x + (k - (len(fleets) - 1) / 2) * width
            vals, never = [], []
            for st in stations:
                r = of.get((fleet, st))
                v = None if r is None else r.get(field)
                if _never_seen(r):
                    never.append(True)
                    if field == "longest_gap_h":
                        v = window_h
                    elif field == "usable_h_per_day":
                        v = 0.0
                else:
                    never.append(False)
                vals.append(np.nan if v is None else float(v) * scale)
            colour = f"C{k % 10}"
            bars = ax.bar(xs, vals, width, label=fleet, color=colour)
            for bar, flag in zip(bars, never, strict=True):
                if flag:
                    bar.set_hatch("//")
                    bar.set_edgecolor("black")
                    bar.set_gid(NEVER_VISIBLE)
            for xi, v, flag in zip(xs, vals, never, strict=True):
                # the mark of a station never seen; on the key panel each bar's value too (a linear axis
                # leaves a small key a sliver)
                text = NEVER_VISIBLE if flag else (_value(v) if field == "key_bits_per_day" and np.isfinite(v) else None)
                if text is not None:
                    ax.annotate(text, (xi, float(np.nan_to_num(v))), xytext=(0, 2), textcoords="offset points",
                                rotation=90, ha="center", va="bottom", fontsize=7)
        ax.set_xticks(x, stations, rotation=30, fontsize=8)
        ax.set_xlim(-0.5, len(stations) - 0.5)
        ax.set_ylabel(label)
        hi = ax.get_ylim()[1]
        ax.set_ylim(0.0, hi * 1.35 if hi > 0 else 1.0)  # room above the bars for the marks
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
