"""One pass against time: the link's loss by term and the key rate with the elevation."""

from __future__ import annotations

from typing import Any

import numpy as np

from .common import figure_bytes, new_figure

__all__ = ["plot_track"]


def plot_track(track: Any, fmt: str = "png") -> bytes:
    """Loss terms (dB) and key rate (bit/s) with elevation against time from AOS."""
    t = np.array([(x - track.t[0]).total_seconds() for x in track.t])
    fig = new_figure(10, 6.4)
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    for name, v in track.loss_terms_db.items():
        ax1.plot(t, v, label=name.removesuffix("_db"))
    ax1.plot(t, track.loss_db, "k-", lw=2, label="total")
    ax1.set_ylabel("loss (dB)")
    ax1.grid(alpha=0.3)
    ax1.legend(fontsize=7, ncol=4)
    p = track.pass_
    ax1.set_title(
        f"{p.satellite} over {p.station}, AOS {p.aos:%Y-%m-%d %H:%M:%S} UTC: {track.profile} / {track.protocol}, "
        f"finite-key {track.secret_key_bits / 1e3:.1f} kbit",
        fontsize=9,
    )
    ax2.plot(t, track.key_rate_bps / 1e3, "C0-", label="asymptotic key rate")
    ax2.set_ylabel("key rate (kbit/s)", color="C0")
    ax2.set_xlabel("time from AOS (s)")
    ax2.grid(alpha=0.3)
    el = ax2.twinx()
    el.plot(t, track.el_deg, "C1--", label="elevation")
    el.set_ylabel("elevation (deg)", color="C1")
    fig.tight_layout()
    return figure_bytes(fig, fmt)
