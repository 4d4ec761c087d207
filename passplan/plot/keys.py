"""The key of each pass of a night: one horizontal bar per pass on a linear axis (kbit), labelled
with the satellite and its local AOS; a pass with no key says why (its limiting code)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .common import figure_bytes, new_figure

__all__ = ["plot_pass_keys", "pass_keys_figure"]


def plot_pass_keys(
    labels: Sequence[str], key_bits: Sequence[float | None], *, reasons: Sequence[str | None] = (),
    title: str = "", fmt: str = "png",
) -> bytes:
    """:func:`pass_keys_figure` as ``fmt`` bytes."""
    return figure_bytes(pass_keys_figure(labels, key_bits, reasons=reasons, title=title), fmt)


def pass_keys_figure(
    labels: Sequence[str], key_bits: Sequence[float | None], *, reasons: Sequence[str | None] = (),
    title: str = "",
) -> Any:
    """Bars of ``key_bits`` (one per pass, in the given order, top to bottom; None: no
    forecast) in kbit on a linear axis, each bar's value written beside it; a zero key shows
    its ``reasons`` entry (the record's ``key_limiting``) instead."""
    n = len(labels)
    why = list(reasons) + [None] * (n - len(reasons))
    kbit = np.array([np.nan if b is None else float(b) / 1e3 for b in key_bits], float)
    fig = new_figure(8.0, 1.4 + 0.32 * max(n, 1))
    ax = fig.add_subplot(1, 1, 1)
    y = np.arange(n)
    ax.barh(y, np.nan_to_num(kbit), height=0.6, color="#4477aa")
    ax.set_yticks(y, list(labels), fontsize=7)
    ax.set_ylim(max(n, 1) - 0.5, -0.5)  # the first pass on top
    top = float(np.nanmax(kbit)) if n and np.any(np.isfinite(kbit)) else 0.0
    ax.set_xlim(0.0, top * 1.3 if top > 0 else 1.0)
    for k in range(n):
        v = kbit[k]
        text = "no forecast" if not np.isfinite(v) else (f"0 ({why[k]})" if v <= 0 and why[k] else (f"{v:,.0f}" if v >= 1e3 else f"{v:.3g}"))
        ax.annotate(text, (float(np.nan_to_num(v)), k), xytext=(3, 0), textcoords="offset points", va="center", fontsize=7)
    ax.set_xlabel("forecast secret key per pass (kbit, finite-key)")
    ax.grid(axis="x", alpha=0.3)
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig
