"""GeoJSON (RFC 7946) of a coverage study: one Feature per kept grid cell, its geometry the cell
(a Polygon between its two parallels and two meridians) and its properties the cell's JSON record
(``lat_deg``, ``lon_deg`` and every metric, named, rounded and null as in ``--format json``), so
QGIS, Google Earth or geopandas open the study as a layer of cells.

Geometry rules: positions are ``[longitude, latitude]`` (RFC 7946 section 3.1.1); exterior
rings run counter-clockwise (section 3.1.6); latitude edges are clamped to [-90, 90] (a grid's
cells never pass the poles; a polar cell's top edge lies on the pole line, which plain
longitude/latitude GIS draw as the map's edge); longitudes are given in [-180, 180], and a cell
that straddles the antimeridian is **split** into a MultiPolygon of its two parts, one ending at
180 and one starting at -180 (section 3.1.9). The study's summary is a foreign member
``"summary"`` of the FeatureCollection (section 6.1).

The study object is taken by duck type (``grid``, ``lat_deg``, ``lon_deg``, ``mask``,
``records()`` and ``summary()`` of :class:`passplan.coverage.CoverageResult`): the exports layer
sits below the coverage layer and does not import it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..io import to_json

__all__ = ["cell_geometries", "coverage_geojson", "coverage_features"]

_DIGITS = 6  # as the records' lat_deg/lon_deg (about 0.1 m)


def cell_geometries(lat_deg: np.ndarray, lon_deg: np.ndarray, step_deg: float) -> list[dict[str, Any]]:
    """GeoJSON geometries of the cells centred at ``lat_deg``/``lon_deg`` of side ``step_deg``
    (module notes: counter-clockwise, clamped at the poles, split at the antimeridian)."""
    lat = np.asarray(lat_deg, float)
    lon = np.asarray(lon_deg, float)
    h = step_deg / 2.0
    s = np.clip(lat - h, -90.0, 90.0)
    n = np.clip(lat + h, -90.0, 90.0)
    w = lon - h
    shift = np.floor((w + 180.0) / 360.0) * 360.0  # west edge into [-180, 180)
    w = w - shift
    e = lon + h - shift
    split = e > 180.0 + 1e-9
    s, n, w, e = (np.round(a, _DIGITS).tolist() for a in (s, n, w, e))
    e_wrapped = np.round(np.asarray(e) - 360.0, _DIGITS).tolist()
    out: list[dict[str, Any]] = []
    for i, cut in enumerate(split.tolist()):
        if cut:
            east_part = _ring(w[i], 180.0, s[i], n[i])
            west_part = _ring(-180.0, e_wrapped[i], s[i], n[i])
            out.append({"type": "MultiPolygon", "coordinates": [[east_part], [west_part]]})
        else:
            out.append({"type": "Polygon", "coordinates": [_ring(w[i], e[i], s[i], n[i])]})
    return out


def _ring(w: float, e: float, s: float, n: float) -> list[list[float]]:
    """A counter-clockwise rectangle (west-south, east-south, east-north, west-north, closed)."""
    return [[w, s], [e, s], [e, n], [w, n], [w, s]]


def coverage_features(result: Any) -> list[dict[str, Any]]:
    """One GeoJSON Feature per kept cell of ``result`` (module notes)."""
    keep = slice(None) if result.mask is None else np.asarray(result.mask, bool)
    geoms = cell_geometries(result.lat_deg[keep], result.lon_deg[keep], result.grid.step_deg)
    records = result.records()
    return [{"type": "Feature", "geometry": g, "properties": r} for g, r in zip(geoms, records, strict=True)]


def coverage_geojson(result: Any) -> str:
    """The GeoJSON text of a coverage study: a FeatureCollection, one Feature per line."""
    features = coverage_features(result)
    head = '{"type": "FeatureCollection", "summary": ' + to_json(result.summary()).rstrip("\n")
    if not features:
        return head + ', "features": []}\n'
    body = ",\n".join(to_json(f).rstrip("\n") for f in features)
    return head + ', "features": [\n' + body + "\n]}\n"
