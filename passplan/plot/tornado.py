"""A tornado plot of a sensitivity table: one bar per parameter, from the key at its low value to
the key at its high value, largest swing on top, around the baseline key.

Takes the table duck-typed (``key_bits``, ``what``, ``profile``, ``protocol`` and ``rows`` with
``parameter``, ``status``, ``uncertainty``, ``key_low_bits``, ``key_high_bits``: what
:func:`passplan.forecast.spread.sensitivity` returns), so the plot layer needs no forecast import.
"""

from __future__ import annotations

from typing import Any

from .common import figure_bytes, new_figure

__all__ = ["plot_tornado"]

#: Bar colours: the key at the parameter's low value, at its high value.
LOW_COLOUR = "#4477aa"
HIGH_COLOUR = "#ee6677"


def plot_tornado(table: Any, *, fmt: str = "png", dpi: int = 110) -> bytes:
    """The tornado plot of ``table`` as ``fmt`` bytes (png, svg or pdf): key change in per cent
    of the baseline for each parameter at value x (1 - u) (blue) and x (1 + u) (red); labels carry
    the parameter, its status in the profile (fitted, assumed, stated) and ``u``."""
    rows = list(table.rows)
    base = float(table.key_bits)
    fig = new_figure(7.5, 0.45 * max(len(rows), 1) + 1.6, dpi=dpi)
    ax = fig.add_subplot(1, 1, 1)
    scale = 100.0 / base if base > 0 else 1.0
    unit = "key change (% of baseline)" if base > 0 else "key (bits)"
    for i, r in enumerate(reversed(rows)):
        lo = (float(r.key_low_bits) - base) * scale
        hi = (float(r.key_high_bits) - base) * scale
        bars = [(lo, LOW_COLOUR), (hi, HIGH_COLOUR)]
        for x, colour in sorted(bars, key=lambda b: -abs(b[0])):  # the longer first: both show
            ax.barh(i, x, color=colour, height=0.7)
    labels = [f"{r.parameter} ({r.status}, \u00b1{100 * float(r.uncertainty):.0f} %)" for r in reversed(rows)]
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.axvline(0.0, color="black", lw=0.8)
    ax.set_xlabel(unit)
    ax.set_title(f"{table.profile} / {table.protocol}: {table.what}\nbaseline key {base:.4g} bits",
                 fontsize=9)
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=LOW_COLOUR, label="value \u00d7 (1 \u2212 u)"),
                       Patch(color=HIGH_COLOUR, label="value \u00d7 (1 + u)")],
              fontsize=8, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return figure_bytes(fig, fmt)
