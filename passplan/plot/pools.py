"""Key pools over time as a figure: above, each demand's store (the key its two nodes could share
at once from the pools) with its outages shaded; below, each node's key store (its links'
pools). The timeline is the replay of expected key of :func:`passplan.schedule.pools.key_pools`."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import numpy as np

from .common import figure_bytes, new_figure

__all__ = ["plot_pools"]


def _bits(v: float) -> str:
    for scale, unit in ((1e9, "Gb"), (1e6, "Mb"), (1e3, "kb")):
        if abs(v) >= scale:
            return f"{v / scale:.3g} {unit}"
    return f"{v:.0f} b"


def plot_pools(pools: Any, fmt: str = "png", title: str | None = None) -> bytes:
    """The stores and outages of a :class:`passplan.schedule.pools.KeyPools` as ``fmt`` bytes."""
    from matplotlib import colormaps
    from matplotlib.dates import DateFormatter, date2num

    tl = pools.timeline
    start = pools.start.astimezone(UTC)
    x = np.array([date2num(start + timedelta(seconds=float(s))) for s in tl.times_s])
    dt = np.diff(tl.times_s)
    # each step from its start (after the key arriving then) to its end: a jump at each deposit
    xx = np.repeat(x, 2)[1:-1]

    def path(begin: np.ndarray, end: np.ndarray) -> np.ndarray:
        return np.column_stack([begin, end[1:]]).ravel()

    colours = colormaps["tab10"]
    fig = new_figure(11, 6.4)
    ax, bx = fig.add_subplot(2, 1, 1), fig.add_subplot(2, 1, 2, sharex=None)
    ymax = 1.0
    for i, d in enumerate(tl.demands):
        c = colours(i % 10)
        store = path(tl.demand_store_start_bits[i], tl.demand_store_bits[i])
        style = ("-", "--", ":", "-.")[i % 4]  # demands of one bottleneck share a store: tell them apart
        ax.plot(xx, store, color=c, linewidth=1.4, linestyle=style)
        ymax = max(ymax, float(store.max()))
        # outage: a step served in part is served first and runs dry at its end (as reported)
        want = d.rate_bps * dt
        short = (want - tl.served_bits[i]) / np.where(want > 0, want, 1.0)
        for k in np.nonzero(short > 1e-6)[0]:
            gap = short[k] * (x[k + 1] - x[k])
            ax.axvspan(x[k + 1] - gap, x[k + 1], ymin=0.0, ymax=1.0, color=c, alpha=0.18, linewidth=0)
        fig_ = pools.demands[i].expectation_replay
        ax.plot([], [], color=c, linestyle=style, label=f"{d.label} ({_bits(d.rate_bps)}/s): served {100 * fig_['fraction_served']:.1f} %, "
                f"longest outage {fig_['longest_outage_s'] / 3600:.1f} h")
    ax.set_ylabel("demand's store (bits)")
    ax.set_yscale("symlog", linthresh=max(1.0, min((d.rate_bps for d in tl.demands), default=1.0) * 60))
    ax.set_ylim(0, ymax * 2)
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)
    nodes = [v for v, s in sorted(tl.node_store_bits.items()) if float(np.max(s)) > 0]
    many = colormaps["tab20"]
    for j, v in enumerate(nodes):
        bx.plot(xx, path(tl.node_store_start_bits[v], tl.node_store_bits[v]), color=many(j % 20), linewidth=1.0, label=v)
    bx.set_ylabel("node's key store (bits)")
    if nodes:
        bx.set_yscale("symlog", linthresh=1e3)
        bx.legend(fontsize=7, loc="upper left", ncol=2)
    bx.grid(alpha=0.3)
    for a in (ax, bx):
        a.set_xlim(x[0], x[-1])
        a.xaxis.set_major_formatter(DateFormatter("%m-%d %H:%M"))
    bx.set_xlabel("time (UTC)")
    limits = []
    if pools.storage_bits is not None:
        limits.append(f"ground stores {pools.storage_bits if not isinstance(pools.storage_bits, dict) else 'per node'}")
    if pools.satellite_storage_bits is not None:
        limits.append(f"satellite stores {_bits(pools.satellite_storage_bits)}")
    if pools.lifetime_s is not None:
        limits.append(f"key lifetime {pools.lifetime_s / 3600:g} h")
    head = title or f"{pools.network}: key pools over time ({pools.objective}), replay of expected key"
    ax.set_title(head + ("\n" + ", ".join(limits) if limits else "") + "\nshaded: outages (not enough key)", fontsize=9)
    fig.tight_layout()
    return figure_bytes(fig, fmt)
