"""Regions of a coverage study beyond a latitude/longitude box: a GeoJSON polygon or multipolygon
file (a country, a sea) and the land of the bundled Natural Earth 1:110m coastline.

**Which cells a region keeps:** a cell is kept when its centre lies in the region, boundary
included (shapely's ``intersects_xy`` on the closed polygon), tested in plain longitude/latitude
(the GeoJSON coordinate space, RFC 7946 section 4). A cell centre east of 180 deg (grids may run
to 360) is tested at its longitude less 360 too, and a polygon written past the antimeridian
(longitudes to 360, not RFC 7946 but common) is met by testing the longitude plus 360, so a
region split at the antimeridian (RFC 7946 section 3.1.9) and one written across it keep the
same cells. The study's area-weighted means are then taken over exactly the kept cells, weighted
by each cell's exact area on a sphere (:meth:`Grid.area_weights`).

**Land** (:func:`land`): built once per process from the bundled coastline
(``passplan/data/coastline/ne_110m_coastline.json``, Natural Earth, public domain), no second
data file. Its 134 lines are rings (islands and continents) except where Natural Earth cut them at
the antimeridian; the pieces are joined (``shapely.line_merge``), closed along the meridian they
end on, and Antarctica, which runs from -180 to 180, is closed through the South Pole. Two
coastline lines only repeat vertices of another line and are left out. Land is the even-odd
union of the rings (a point is land when inside an odd number of rings): the Caspian Sea, a ring
inside Eurasia's, is water, as in Natural Earth's own land and ocean layers.

Needs shapely (the ``geo`` extra: ``pip install 'passplan[geo]'``); without it the error says so.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..schema import require_shapely
from .grid import Grid

__all__ = ["Region", "land", "load_region", "as_region", "cell_mask", "require_shapely", "LAND_SOURCE"]

#: How a study names the land mask in its summary and files.
LAND_SOURCE = "land (Natural Earth 1:110m coastline)"


@dataclass(frozen=True)
class Region:
    """A polygonal region in longitude/latitude degrees (a shapely Polygon or MultiPolygon) and
    the name a study's summary gives it (the file it came from, or :data:`LAND_SOURCE`)."""

    geometry: Any
    name: str

    def contains(self, lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
        """Whether each point (degrees) lies in the region, boundary included (module notes)."""
        shapely = require_shapely()
        lat = np.asarray(lat_deg, float)
        lon = (np.asarray(lon_deg, float) + 180.0) % 360.0 - 180.0
        geom = self.geometry
        shapely.prepare(geom)
        inside = shapely.intersects_xy(geom, lon, lat)
        # a centre on the antimeridian (-180) and polygons written with longitudes past 180
        inside |= shapely.intersects_xy(geom, lon + 360.0, lat)
        return np.asarray(inside, bool)

    def bounds_grid(self, step_deg: float) -> Grid:
        """The smallest grid of ``step_deg`` (cell edges on multiples of ``step_deg`` from -90 and
        -180 deg, as the whole-Earth grid's) that holds the region; one that crosses the
        antimeridian gets a grid running past 180 (the grid's longitudes may reach 360)."""
        shapely = require_shapely()
        Grid(step_deg)  # the step must divide 180 and 360 deg, as for the whole Earth
        parts = list(getattr(self.geometry, "geoms", [self.geometry]))
        b = np.array([shapely.bounds(p) for p in parts])  # minx, miny, maxx, maxy
        lon0, lon1 = _lon_window(b[:, 0], b[:, 2])
        lat0, lat1 = float(b[:, 1].min()), float(b[:, 3].max())
        d = float(step_deg)

        def down(v: float, origin: float) -> float:
            return origin + math.floor((v - origin) / d + 1e-9) * d

        def up(v: float, origin: float) -> float:
            return origin + math.ceil((v - origin) / d - 1e-9) * d

        g_lat0, g_lat1 = max(-90.0, down(lat0, -90.0)), min(90.0, up(lat1, -90.0))
        g_lon0, g_lon1 = down(lon0, -180.0), up(lon1, -180.0)
        if g_lon1 - g_lon0 >= 360.0 or g_lon1 > 360.0:  # (the step divides 360: Grid(d) above)
            g_lon0, g_lon1 = -180.0, 180.0
        return Grid(d, g_lat0, g_lat1, g_lon0, g_lon1)


def _lon_window(west: np.ndarray, east: np.ndarray) -> tuple[float, float]:
    """The shortest longitude interval (``lon0 < lon1``, ``lon0`` in [-180, 180)) covering every
    part's [west, east] interval: the circle less its largest gap between parts."""
    order = np.argsort(west)
    w, e = west[order], east[order]
    # merge overlapping intervals
    merged: list[list[float]] = []
    for a, b in zip(w.tolist(), e.tolist(), strict=True):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    if len(merged) == 1:
        return merged[0][0], merged[0][1]
    gaps = [merged[k + 1][0] - merged[k][1] for k in range(len(merged) - 1)]
    wrap = merged[0][0] + 360.0 - merged[-1][1]
    k = int(np.argmax(gaps))
    if wrap >= gaps[k]:
        return merged[0][0], merged[-1][1]
    return merged[k + 1][0], merged[k][1] + 360.0


# ---------------------------------------------------------------------------------------------
# GeoJSON files


def load_region(path: str | os.PathLike[str]) -> Region:
    """A region from a GeoJSON file: a Polygon or MultiPolygon geometry, a Feature holding one, or
    a FeatureCollection of them (their union). Coordinates are ``[longitude, latitude]`` in
    degrees (RFC 7946); each error names the file, the feature and what to fix (the reader is
    :func:`passplan.schema.region_polygons`, which ``passplan doctor`` runs too)."""
    shapely = require_shapely()
    from ..schema import read_text, region_polygons

    p = Path(path)
    polys, problems = region_polygons(read_text(p, "GeoJSON region"), str(p))
    if problems:
        more = len(problems) - 1
        tail = f" (and {more} more problem(s): `passplan doctor {p}` lists them)" if more else ""
        raise InputError(f"{problems[0]}{tail}")
    geom = polys[0] if len(polys) == 1 else shapely.union_all(polys)
    return Region(geom, str(p))


# ---------------------------------------------------------------------------------------------
# Land


def _coastline_lines() -> list[np.ndarray]:
    path = files("passplan") / "data" / "coastline" / "ne_110m_coastline.json"
    return [np.asarray(line, float) for line in json.loads(path.read_text(encoding="utf-8"))["lines"]]


def _land_rings(lines: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Closed rings of the coastline (module notes)."""
    shapely = require_shapely()
    vertex_sets = [set(map(tuple, line.tolist())) for line in lines]
    rings: list[np.ndarray] = []
    pieces: list[np.ndarray] = []
    for i, line in enumerate(lines):
        if (line[0] == line[-1]).all():
            rings.append(line)
        elif not any(j != i and vertex_sets[i] <= s for j, s in enumerate(vertex_sets)):
            pieces.append(line)  # (a line whose vertices all belong to another repeats it: left out)
    merged = shapely.line_merge(shapely.MultiLineString(pieces))
    for g in getattr(merged, "geoms", [merged]):
        c = np.asarray(g.coords, float)
        if (c[0] == c[-1]).all():
            rings.append(c)
            continue
        (lon_a, lat_a), (lon_b, lat_b) = c[0], c[-1]
        if abs(lon_a) != 180.0 or abs(lon_b) != 180.0:
            raise RuntimeError(f"coastline piece from {c[0]} to {c[-1]} does not end on the antimeridian")
        if lon_a == lon_b:  # cut at the antimeridian: close along it
            rings.append(np.vstack([c, c[:1]]))
        else:  # around the globe (Antarctica): close through the nearer pole
            pole = -90.0 if lat_a + lat_b < 0 else 90.0
            rings.append(np.vstack([c, [[lon_b, pole], [lon_a, pole]], c[:1]]))
    return rings


@functools.lru_cache(maxsize=1)
def land() -> Region:
    """The land of the bundled Natural Earth 1:110m coastline as a :class:`Region` (module notes)."""
    shapely = require_shapely()
    polys = [shapely.Polygon(r) for r in _land_rings(_coastline_lines())]
    geom = functools.reduce(shapely.symmetric_difference, sorted(polys, key=lambda q: -q.area))
    return Region(geom, LAND_SOURCE)


def as_region(region: Region | str | os.PathLike[str]) -> Region:
    """A :class:`Region` as given, or loaded from a GeoJSON file path."""
    return region if isinstance(region, Region) else load_region(region)


def cell_mask(grid: Grid, region: Region | str | os.PathLike[str] | None = None,
              land_only: bool = False) -> tuple[np.ndarray | None, str | None]:
    """The cells of ``grid`` whose centre lies in ``region`` and (with ``land_only``) on land,
    row-major as :meth:`Grid.cells`, and the restriction's name; ``(None, None)`` without either.
    Refuses (InputError) a restriction that keeps no cell, before any work."""
    if region is None and not land_only:
        return None, None
    lat, lon = grid.cells()
    mask = np.ones(lat.size, bool)
    names = []
    if region is not None:
        reg = as_region(region)
        mask &= reg.contains(lat, lon)
        names.append(reg.name)
    if land_only:
        mask &= land().contains(lat, lon)
        names.append(LAND_SOURCE)
    name = " and ".join(names)
    if not mask.any():
        raise InputError(
            f"no cell centre of the {grid.step_deg:g} deg grid lies in {name}; give a finer step_deg "
            "or a larger region"
        )
    return mask, name
