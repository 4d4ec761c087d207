"""Gridded coverage for the geoscience stack: an ``xarray.Dataset`` on CF-1.8 coordinates and its
NetCDF-4 file.

Layout (CF Conventions 1.8): dimensions ``lat`` and ``lon`` (cell centres; ``standard_name``
``latitude``/``longitude``, units ``degrees_north``/``degrees_east``, ``axis`` Y/X) with cell
edges in ``lat_bnds``/``lon_bnds`` (CF section 7.1, ``bounds``) and each cell's exact area on
a sphere of the mean Earth radius in ``cell_area`` (``standard_name`` ``cell_area``, m2; CF
section 7.2, ``cell_measures = "area: cell_area"`` on every metric, whose ``cell_methods`` is
``area: point``: a metric is evaluated at the cell's centre, not averaged over it). One variable per metric,
named as in the JSON (``passes_per_day``, ``usable_min_per_day``, ...), in UDUNITS units
(``day-1``, ``min day-1``, ``h``, ``bit day-1``), full precision (the JSON rounds to 4
decimals), NaN where a cell has no value (no gap seen: ``max_gap_h``) or lies outside the kept
region; with a region or land mask, ``cell_kept`` (1 kept, 0 not) tells the two apart, and each
metric's ``area_weighted_mean`` attribute is the summary's mean over exactly the kept cells.
Global attributes carry the provenance: passplan version, satellites (count and names), start
and end of the study (ACDD ``time_coverage_start``/``time_coverage_end``), days, sampling step,
grid step and extent, every constraint, the link profile and the region. No creation time is
written, so a study's file is the same bytes each time it is written.

The study object is taken by duck type (:class:`passplan.coverage.CoverageResult`): the exports
layer sits below the coverage layer. Needs xarray and netCDF4 (the ``geo`` extra).
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..units import R_EARTH_M

__all__ = ["coverage_dataset", "write_netcdf", "require_xarray", "require_netcdf", "METRIC_ATTRS"]

#: Units (UDUNITS) and long names of the coverage metrics.
METRIC_ATTRS: dict[str, tuple[str, str]] = {
    "passes_per_day": ("day-1", "passes above the minimum elevation per day (all satellites)"),
    "access_min_per_day": ("min day-1", "minutes per day with a satellite above the minimum elevation"),
    "usable_min_per_day": ("min day-1", "minutes per day with a satellite meeting every constraint"),
    "usable_dark_min_per_day": ("min day-1", "usable minutes per day with the cell in darkness"),
    "daylight_added_min_per_day": ("min day-1", "usable minutes per day a daylight-capable terminal adds"),
    "max_gap_h": ("h", "longest gap between usable accesses"),
    "p95_gap_h": ("h", "95th percentile of the gaps between usable accesses"),
    "key_bits_per_day": ("bit day-1", "expected clear-sky secret key per day"),
}


def require_xarray() -> Any:
    """The xarray module, or an InputError naming the extra that installs it."""
    try:
        import xarray
    except ImportError:
        raise InputError("gridded coverage (to_xarray, --format netcdf) needs xarray: pip install 'passplan[geo]'") from None
    return xarray


def require_netcdf() -> None:
    """Refuse (InputError naming the extra) when xarray or the netCDF4 engine is missing."""
    require_xarray()
    try:
        import netCDF4  # noqa: F401
    except ImportError:
        raise InputError("NetCDF files (--format netcdf) need netCDF4: pip install 'passplan[geo]'") from None


def _version() -> str:
    """passplan's installed version (the package root is above this layer: read its metadata)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("passplan")
    except PackageNotFoundError:
        return "unknown"


def _bounds(centres: np.ndarray, step: float, lo: float, hi: float) -> np.ndarray:
    return np.clip(np.stack([centres - step / 2.0, centres + step / 2.0], axis=1), lo, hi)


def _attr(value: Any) -> Any:
    """A NetCDF attribute value (no None or bool in NetCDF)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def coverage_dataset(result: Any) -> Any:
    """The ``xarray.Dataset`` of a coverage study (module notes)."""
    xr = require_xarray()
    version = _version()
    g = result.grid
    lat, lon = g.lat_centres(), g.lon_centres()
    lat_b = _bounds(lat, g.step_deg, -90.0, 90.0)
    lon_b = _bounds(lon, g.step_deg, -360.0, 360.0)
    band = np.sin(np.radians(lat_b[:, 1])) - np.sin(np.radians(lat_b[:, 0]))
    area = np.outer(band, np.full(g.n_lon, R_EARTH_M**2 * np.radians(g.step_deg)))
    means = result.area_weighted()
    data_vars: dict[str, Any] = {}
    for name in result.metrics:
        units, long_name = METRIC_ATTRS[name]
        var_attrs: dict[str, Any] = {"units": units, "long_name": long_name, "cell_measures": "area: cell_area",
                                      "cell_methods": "area: point"}
        if means.get(name) is not None:
            var_attrs["area_weighted_mean"] = float(means[name])
        data_vars[name] = (("lat", "lon"), np.asarray(result.gridded(name), float), var_attrs)
    data_vars["cell_area"] = (("lat", "lon"), area, {
        "standard_name": "cell_area", "units": "m2",
        "long_name": "cell area on a sphere of the mean Earth radius (exact for a latitude/longitude cell)",
    })
    if result.mask is not None:
        data_vars["cell_kept"] = (("lat", "lon"), np.asarray(result.mask, np.int8).reshape(g.n_lat, g.n_lon), {
            "long_name": "cell centre inside the study's region", "flag_values": np.array([0, 1], np.int8),
            "flag_meanings": "outside inside",
        })
    data_vars["lat_bnds"] = (("lat", "nv"), lat_b, {"units": "degrees_north"})
    data_vars["lon_bnds"] = (("lon", "nv"), lon_b, {"units": "degrees_east"})
    coords = {
        "lat": ("lat", lat, {"standard_name": "latitude", "long_name": "latitude of the cell centre",
                             "units": "degrees_north", "axis": "Y", "bounds": "lat_bnds"}),
        "lon": ("lon", lon, {"standard_name": "longitude", "long_name": "longitude of the cell centre",
                             "units": "degrees_east", "axis": "X", "bounds": "lon_bnds"}),
    }
    c = result.constraints
    attrs: dict[str, Any] = {
        "Conventions": "CF-1.8",
        "title": "passplan coverage study: per-cell metrics of a satellite fleet over a latitude/longitude grid",
        "source": f"passplan {version}",
        "passplan_version": version,
        "satellites": int(result.satellites),
        "fleet": ", ".join(result.satellite_names),
        "days": float(result.days),
        "step_s": float(result.step_s),
        "grid_deg": float(g.step_deg),
        "geospatial_lat_min": float(g.lat0), "geospatial_lat_max": float(g.lat1),
        "geospatial_lon_min": float(g.lon0), "geospatial_lon_max": float(g.lon1),
        "min_elevation_deg": float(c.min_elevation_deg),
    }
    for key, value in (("darkness_deg", c.darkness_deg), ("eclipse", c.eclipse), ("min_sun_sep_deg", c.min_sun_sep_deg),
                       ("profile", result.profile), ("region", result.region), ("sample_days", result.sample_days)):
        if value is not None:
            attrs[key] = _attr(value)
    if result.start is not None:
        attrs["time_coverage_start"] = result.start.isoformat()
        if result.sample_days is None:
            attrs["time_coverage_end"] = (result.start + timedelta(days=float(result.days))).isoformat()
    return xr.Dataset(data_vars, coords, attrs)


def write_netcdf(result: Any, path: str | os.PathLike[str]) -> Path:
    """Write :func:`coverage_dataset` of ``result`` as NetCDF-4 (netCDF4 engine, metrics
    compressed) to ``path`` atomically: written beside nothing the reader sees, then renamed."""
    from ..io import atomic_write_bytes, check_output_path

    check_output_path(Path(path))
    require_netcdf()
    ds = coverage_dataset(result)
    encoding = {name: {"zlib": True, "complevel": 4} for name in result.metrics}
    # netCDF4 writes to a path, not a stream: render in a private folder, then replace ``path``
    # in one rename (passplan.io), so a failure leaves the earlier file whole
    with tempfile.TemporaryDirectory(prefix="passplan-nc-") as tmp:
        tmp_path = Path(tmp) / "coverage.nc"
        try:
            ds.to_netcdf(tmp_path, engine="netcdf4", format="NETCDF4", encoding=encoding)
            data = tmp_path.read_bytes()
        except OSError as err:
            raise InputError(
                f"cannot write {path}: {err.strerror or err} (the file is made first in {tmp}); free some space "
                "or set TMPDIR to a folder with room"
            ) from None
    return atomic_write_bytes(path, data)
