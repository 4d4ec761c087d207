"""Tonight's sky chart: each pass's track on a polar chart of the sky (zenith at the centre, the
horizon at the rim, north up and azimuth clockwise, the observer's usual chart), coloured by the
forecast key rate, with the station's horizon mask and minimum elevation shaded."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .common import figure_bytes, new_figure, place_label

__all__ = ["plot_sky", "sky_figure"]


def plot_sky(
    tracks: Sequence[tuple[str, np.ndarray, np.ndarray, np.ndarray | None]],
    *,
    title: str,
    min_elevation_deg: float = 0.0,
    mask: Any = None,
    fmt: str = "png",
) -> bytes:
    """``tracks``: (label, azimuth deg, elevation deg, key rate bit/s or None) per pass; the
    chart of :func:`sky_figure` as ``fmt`` bytes."""
    fig = sky_figure(tracks, title=title, min_elevation_deg=min_elevation_deg, mask=mask)
    return figure_bytes(fig, fmt)


#: Where along a track its label may go, tried in order after the track's highest point:
#: fractions of the track's samples.
_LABEL_AT = (0.5, 0.3, 0.7, 0.15, 0.85, 0.05, 0.95)
#: Offsets (points) and alignments tried at each place: up-right, up-left, down-right, down-left.
_OFFSETS = (((4.0, 4.0), "left", "bottom"), ((-4.0, 4.0), "right", "bottom"),
            ((4.0, -4.0), "left", "top"), ((-4.0, -4.0), "right", "top"))


def sky_figure(
    tracks: Sequence[tuple[str, np.ndarray, np.ndarray, np.ndarray | None]],
    *,
    title: str,
    min_elevation_deg: float = 0.0,
    mask: Any = None,
) -> Any:
    """The sky chart as a matplotlib Figure. Each track's label goes at its highest point, or,
    where it would overprint another label, at the first other place along the track (and
    side of it) where it does not (:func:`passplan.plot.common.place_label`); a label with no
    free place is listed under the chart instead."""
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
    for _label, a, e, rate in tracks:
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
    if vmax > 0:
        from matplotlib.cm import ScalarMappable

        sm = ScalarMappable(norm=norm, cmap=cmap)
        fig.colorbar(sm, ax=ax, shrink=0.7, pad=0.08, label="forecast key rate (kbit/s, asymptotic)")
    ax.set_title(title, fontsize=9)
    fig.tight_layout(rect=(0.0, 0.04, 1.0, 1.0))  # laid out first: labels are placed on the final axes
    renderer: Any = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # the Agg canvas of new_figure
    # the angle and elevation tick labels and the title are there first: labels keep off them too
    fixed = [*ax.get_xticklabels(), *ax.get_yticklabels(), ax.title]
    placed: list[Any] = [t.get_window_extent(renderer) for t in fixed if t.get_text()]
    unlabelled = []
    for label, a, e, _ in tracks:
        theta, r = np.radians(np.asarray(a, float)), 90.0 - np.asarray(e, float)
        if theta.size == 0:
            continue
        at = [int(np.argmin(r))] + [int(round(f * (theta.size - 1))) for f in _LABEL_AT]
        spots = [((float(theta[k]), float(r[k])), off, ha, va) for k in dict.fromkeys(at) for off, ha, va in _OFFSETS]
        if place_label(ax, label, spots, placed, inside=fig.bbox, fontsize=6) is None:
            unlabelled.append(label)
    if unlabelled:
        fig.text(0.01, 0.01, "not labelled (no free place on the chart): " + ", ".join(unlabelled), fontsize=6)
    return fig
