"""Tonight's sky chart: each pass's track on a polar chart of the sky (zenith at the centre, the
horizon at the rim, north up and azimuth clockwise, the observer's usual chart), coloured by the
forecast key rate, with the station's horizon mask and minimum elevation shaded."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .common import figure_bytes, new_figure

__all__ = ["plot_sky"]


def plot_sky(
    tracks: Sequence[tuple[str, np.ndarray, np.ndarray, np.ndarray | None]],
    *,
    title: str,
    min_elevation_deg: float = 0.0,
    mask: Any = None,
    fmt: str = "png",
) -> bytes:
    """``tracks``: (label, azimuth deg, elevation deg, key rate bit/s or None) per pass."""
    from matplotlib import colormaps
    from matplotlib.collections import LineCollection
    from matplotlib.colors import LogNorm, Normalize

    fig = new_figure(7.5, 7.0)
    ax: Any = fig.add_subplot(1, 1, 1, projection="polar")  # PolarAxes
    ax.set_theta_zero_location("N")
    ax.set_theta_direction(-1)  # azimuth clockwise from north
    ax.set_rlim(0, 90)
    ax.set_rticks([0, 30, 60, 80])
    ax.set_yticklabels(["90", "60", "30", "10"], fontsize=7)
    az = np.linspace(0, 360, 361)
    floor = np.full(az.size, float(min_elevation_deg))
    if mask is not None:
        floor = np.maximum(floor, mask.elevation_deg(az))
    ax.fill_between(np.radians(az), 90 - floor, 90, color="0.85", zorder=0, label="below the horizon mask")
    rates = [r for *_, r in tracks if r is not None and np.size(r)]
    vmax = max((float(np.max(r)) for r in rates), default=0.0) / 1e3
    positive = [float(np.min(r[r > 0])) for r in (np.asarray(x, float) for x in rates) if np.any(r > 0)]
    vmin = min(positive, default=0.0) / 1e3
    # a wide range (a MEO terminal beside LEO ones) on a log scale, floored at 1e-3 of the top
    log = vmax > 0 and vmin > 0 and vmax / vmin > 100
    norm = LogNorm(max(vmin, vmax * 1e-3), vmax) if log else Normalize(0.0, vmax if vmax > 0 else 1.0)
    cmap = colormaps["viridis"]
    for label, a, e, rate in tracks:
        theta, r = np.radians(a), 90.0 - np.asarray(e, float)
        if rate is not None and vmax > 0:
            pts = np.column_stack([theta, r]).reshape(-1, 1, 2)
            segs = list(np.concatenate([pts[:-1], pts[1:]], axis=1))
            lc = LineCollection(segs, cmap=cmap, norm=norm, linewidths=2.5)
            kbps = np.asarray(rate, float)[:-1] / 1e3
            lc.set_array(np.maximum(kbps, float(norm.vmin or 0.0)) if log else kbps)
            ax.add_collection(lc)
        else:
            ax.plot(theta, r, lw=1.5)
        k = int(np.argmin(r))
        ax.annotate(label, (theta[k], r[k]), fontsize=6, xytext=(3, 3), textcoords="offset points")
    if vmax > 0:
        from matplotlib.cm import ScalarMappable

        sm = ScalarMappable(norm=norm, cmap=cmap)
        fig.colorbar(sm, ax=ax, shrink=0.7, pad=0.08, label="forecast key rate (kbit/s, asymptotic)")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return figure_bytes(fig, fmt)
