"""World maps drawn with plain matplotlib over the bundled Natural Earth coastline (no cartopy:
it downloads coastlines at draw time): heat maps of a per-cell metric, ground tracks with
footprint circles, and zonal means. Longitude and latitude are plotted as plain axes
(equirectangular), the honest projection for a lat/lon grid of cells."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from importlib.resources import files
from typing import Any

import numpy as np

from .common import figure_bytes, new_figure

__all__ = ["coastline", "small_circle", "plot_grid_map", "grid_map_figure", "plot_ground_tracks", "plot_zonal", "split_at_dateline"]


@functools.lru_cache(maxsize=1)
def coastline() -> tuple[np.ndarray, ...]:
    """The Natural Earth 1:110m coastline as arrays of (lon_deg, lat_deg) points, one per line."""
    path = files("passplan") / "data" / "coastline" / "ne_110m_coastline.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(np.asarray(line, float) for line in data["lines"])


def split_at_dateline(lon: np.ndarray, lat: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Pieces of a lon/lat path that do not jump across the +-180 deg meridian."""
    lon = (np.asarray(lon, float) + 180.0) % 360.0 - 180.0
    lat = np.asarray(lat, float)
    cuts = np.flatnonzero(np.abs(np.diff(lon)) > 180.0) + 1
    return [(a, b) for a, b in zip(np.split(lon, cuts), np.split(lat, cuts), strict=True) if a.size > 1]


def small_circle(lat0_deg: float, lon0_deg: float, radius_deg: float, n: int = 181) -> tuple[np.ndarray, np.ndarray]:
    """Points at central angle ``radius_deg`` around (lat0, lon0) on a sphere: a footprint's edge."""
    lat0, lon0, r = np.radians(lat0_deg), np.radians(lon0_deg), np.radians(radius_deg)
    az = np.linspace(0.0, 2 * np.pi, n)
    lat = np.arcsin(np.sin(lat0) * np.cos(r) + np.cos(lat0) * np.sin(r) * np.cos(az))
    lon = lon0 + np.arctan2(np.sin(az) * np.sin(r) * np.cos(lat0), np.cos(r) - np.sin(lat0) * np.sin(lat))
    return np.degrees(lat), np.degrees(lon)


def _world_axes(ax: Any, extent: tuple[float, float, float, float] | None = None) -> None:
    for line in coastline():
        for lo, la in split_at_dateline(line[:, 0], line[:, 1]):
            ax.plot(lo, la, color="0.25", lw=0.5)
    lon0, lon1, lat0, lat1 = extent or (-180.0, 180.0, -90.0, 90.0)
    ax.set_xlim(lon0, lon1)
    ax.set_ylim(lat0, lat1)
    ax.set_aspect("equal")
    ax.set_xlabel("longitude (deg)")
    ax.set_ylabel("latitude (deg)")
    ax.grid(alpha=0.25)


def plot_grid_map(
    lat_deg: np.ndarray,
    lon_deg: np.ndarray,
    values: np.ndarray,
    *,
    title: str,
    label: str,
    fmt: str = "png",
    stations: Sequence[tuple[str, float, float]] = (),
    extent: tuple[float, float, float, float] | None = None,
) -> bytes:
    """A heat map of ``values`` (nlat, nlon) on cell centres ``lat_deg`` (nlat) and ``lon_deg``
    (nlon), with coastlines, optional station markers and a colour bar labelled ``label``."""
    fig = grid_map_figure(lat_deg, lon_deg, values, title=title, label=label, stations=stations, extent=extent)
    return figure_bytes(fig, fmt)


def grid_map_figure(
    lat_deg: np.ndarray,
    lon_deg: np.ndarray,
    values: np.ndarray,
    *,
    title: str,
    label: str,
    stations: Sequence[tuple[str, float, float]] = (),
    extent: tuple[float, float, float, float] | None = None,
    rasterize: bool = False,
) -> Any:
    """The heat map of :func:`plot_grid_map` as a Figure; ``rasterize`` draws the cells as one
    embedded image in vector formats (SVG, PDF: a fine grid stays small)."""
    lat = np.asarray(lat_deg, float)
    lon = np.asarray(lon_deg, float)
    v = np.asarray(values, float)

    def edges(c: np.ndarray) -> np.ndarray:
        if c.size == 1:
            return np.array([c[0] - 0.5, c[0] + 0.5])
        mid = (c[1:] + c[:-1]) / 2
        return np.concatenate([[c[0] - (mid[0] - c[0])], mid, [c[-1] + (c[-1] - mid[-1])]])

    fig = new_figure(10, 5.4)
    ax = fig.add_subplot(1, 1, 1)
    mesh = ax.pcolormesh(edges(lon), edges(lat), np.ma.masked_invalid(v), cmap="viridis", shading="flat",
                         rasterized=rasterize or None)
    fig.colorbar(mesh, ax=ax, label=label, shrink=0.8)
    ext = extent or (float(edges(lon)[0]), float(edges(lon)[-1]), float(edges(lat)[0]), float(edges(lat)[-1]))
    _world_axes(ax, ext)
    for name, la, lo in stations:
        ax.plot(lo, la, "r^", ms=5)
        ax.annotate(name, (lo, la), xytext=(3, 3), textcoords="offset points", fontsize=7, color="red")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_ground_tracks(
    tracks: Sequence[tuple[str, np.ndarray, np.ndarray]],
    footprints: Sequence[tuple[str, float, float, float]] = (),
    *,
    title: str,
    fmt: str = "png",
    stations: Sequence[tuple[str, float, float]] = (),
) -> bytes:
    """Ground tracks ``(name, lat_deg, lon_deg)`` and footprint circles ``(name, lat, lon,
    radius_deg)`` over the coastline."""
    from matplotlib import colormaps

    colours = colormaps["tab10"]
    fig = new_figure(10, 5.4)
    ax = fig.add_subplot(1, 1, 1)
    _world_axes(ax)
    names = list(dict.fromkeys([t[0] for t in tracks] + [f[0] for f in footprints]))
    colour = {n: colours(k % 10) for k, n in enumerate(names)}
    for name, lat, lon in tracks:
        for k, (lo, la) in enumerate(split_at_dateline(lon, lat)):
            ax.plot(lo, la, color=colour[name], lw=1.0, label=name if k == 0 else None)
    for name, la0, lo0, r in footprints:
        c_lat, c_lon = small_circle(la0, lo0, r)
        for lo_p, la_p in split_at_dateline(c_lon, c_lat):
            ax.plot(lo_p, la_p, color=colour[name], lw=0.8, ls="--")
        ax.plot(((lo0 + 180) % 360) - 180, la0, "o", color=colour[name], ms=3)
    for name, s_lat, s_lon in stations:
        ax.plot(s_lon, s_lat, "r^", ms=5)
        ax.annotate(name, (s_lon, s_lat), xytext=(3, 3), textcoords="offset points", fontsize=7, color="red")
    if tracks:
        ax.legend(fontsize=7, loc="lower left")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return figure_bytes(fig, fmt)


def plot_zonal(
    lat_deg: np.ndarray, series: Mapping[str, np.ndarray], *, title: str, label: str, fmt: str = "png"
) -> bytes:
    """Zonal means: each named series against latitude."""
    fig = new_figure(7, 4.2)
    ax = fig.add_subplot(1, 1, 1)
    for name, v in series.items():
        ax.plot(np.asarray(v, float), np.asarray(lat_deg, float), label=name)
    ax.set_ylabel("latitude (deg)")
    ax.set_xlabel(label)
    ax.set_ylim(-90, 90)
    ax.grid(alpha=0.3)
    if len(series) > 1:
        ax.legend(fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return figure_bytes(fig, fmt)
