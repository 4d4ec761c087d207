"""Fibre key rate against length: decoy BB84 and SNS twin-field on the same devices, with the
repeaterless bound (PLOB) at the same clock and the crossover lengths marked (README figure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .common import figure_bytes, new_figure

__all__ = ["plot_fibre_rates"]


def plot_fibre_rates(
    pairs: Sequence[tuple[str, Any, Any]], lengths_km: Sequence[float] | None = None, fmt: str = "png",
    links: Sequence[tuple[str, float, float]] = (), title: str | None = None,
) -> bytes:
    """Key rate (bit/s) against fibre length for each ``(label, FibreModel, TwinFieldModel)``, and
    each of ``links`` = ``(label, length_km, rate_bps)`` (a network's fibre links) as a point:
    decoy BB84 solid, twin-field dashed, the PLOB bound of each pair's fibre and clock dotted, and
    each pair's crossover (:func:`passplan.keyrate.twinfield.crossover_km`) marked. The models
    are any with ``rate_bps(length_km)``, ``alpha_db_km`` and ``pulse_rate_hz``
    (:class:`passplan.schedule.network.FibreModel`, :class:`passplan.keyrate.twinfield.
    TwinFieldModel`)."""
    from ..keyrate.twinfield import crossover_km, plob_bound

    longest = max((ln[1] for ln in links), default=0.0)
    top = max(800.0, 100.0 * np.ceil(longest / 100.0 + 0.5))
    x = np.asarray(lengths_km if lengths_km is not None else np.arange(2.0, top + 1.0, top / 200.0), dtype=float)
    fig = new_figure(7.5, 4.6)
    ax = fig.add_subplot(1, 1, 1)
    colours = ["tab:blue", "tab:red", "tab:green", "tab:purple"]
    for k, (label, bb84, tf) in enumerate(pairs):
        c = colours[k % len(colours)]
        r_bb = np.array([bb84.rate_bps(v) for v in x])
        r_tf = np.array([tf.rate_bps(v) for v in x])
        ax.semilogy(x[r_bb > 0], r_bb[r_bb > 0], color=c, label=f"decoy BB84, {label}")
        ax.semilogy(x[r_tf > 0], r_tf[r_tf > 0], color=c, linestyle="--", label=f"SNS twin-field, {label}")
        plob = plob_bound(10 ** (-bb84.alpha_db_km * x / 10)) * bb84.pulse_rate_hz
        ax.semilogy(x, plob, color=c, linestyle=":", linewidth=0.9,
                    label=f"PLOB bound, {bb84.alpha_db_km:g} dB/km at {bb84.pulse_rate_hz / 1e9:g} GHz")
        cross = crossover_km(bb84, tf)
        if np.isfinite(cross):
            y = tf.rate_bps(cross)
            ax.plot([cross], [y], marker="o", color=c)
            ax.annotate(f"crossover {cross:.0f} km", (cross, y), textcoords="offset points", xytext=(-10, -22),
                        fontsize=8, color=c)
    for label, length, rate in links:
        if rate > 0:
            ax.plot([length], [rate], marker="s", color="black", markersize=5)
            ax.annotate(f"{label}\n{rate:.3g} bit/s", (length, rate), textcoords="offset points", xytext=(8, 4),
                        fontsize=7)
    ax.set_xlabel("fibre length between the users (km)")
    ax.set_ylabel("secret key rate (bit/s), asymptotic")
    ax.set_ylim(1e-3, 1e9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title(title or "Decoy BB84 against sending-or-not-sending twin-field QKD on the same devices", fontsize=9)
    return figure_bytes(fig, fmt)
