"""Latitude/longitude grids of cells (plain arrays, not stations), their areas, and footprints.

A cell is the area between two parallels and two meridians, represented by its centre at
altitude 0 on the WGS-84 ellipsoid. Its area on a sphere is proportional to
``(sin(lat_top) - sin(lat_bottom)) * dlon``, i.e. ``cos(lat)`` for a cell of equal steps, which
is the weight of the area-weighted means (unweighted means of a lat/lon grid over-count the
poles).

The footprint of a satellite at altitude ``h`` for a minimum elevation ``e`` is the spherical cap
of half-angle ``lambda = arccos(R cos(e) / (R + h)) - e`` (central angle), and the time-averaged
fraction of the Earth it covers is ``(1 - cos lambda) / 2`` (e.g. Wertz, *Mission Geometry*,
2001, ch. 8; reference README section 5: 14.06 deg at 500 km and 10 deg).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..units import R_EARTH_M

__all__ = [
    "Grid",
    "parse_region",
    "footprint_half_angle_deg",
    "cap_fraction",
    "R_MEAN_KM",
]

R_MEAN_KM = R_EARTH_M / 1000.0  # mean Earth radius (IUGG) for footprint geometry (spherical Earth)


def footprint_half_angle_deg(altitude_km: float | np.ndarray, min_elevation_deg: float) -> np.ndarray:
    """Central half-angle (deg) of the cap seen above ``min_elevation_deg`` (spherical Earth)."""
    e = np.radians(min_elevation_deg)
    h = np.asarray(altitude_km, float)
    return np.degrees(np.arccos(R_MEAN_KM * np.cos(e) / (R_MEAN_KM + h)) - e)


def cap_fraction(half_angle_deg: float | np.ndarray) -> np.ndarray:
    """Fraction of a sphere's area inside a cap of the given central half-angle."""
    return (1.0 - np.cos(np.radians(half_angle_deg))) / 2.0


def parse_region(text: str, what: str = "region") -> tuple[float, float, float, float]:
    """``LAT0,LAT1,LON0,LON1`` in degrees (``"20,55,70,140"``); a malformed text's error starts
    with ``what`` (the CLI gives its option, ``--region``)."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 4:
        raise InputError(f"{what} {text!r}: give LAT0,LAT1,LON0,LON1 in degrees, e.g. 20,55,70,140")
    try:
        lat0, lat1, lon0, lon1 = (float(p) for p in parts)
    except ValueError:
        raise InputError(f"{what} {text!r}: the four values must be numbers (degrees)") from None
    return lat0, lat1, lon0, lon1


@dataclass(frozen=True)
class Grid:
    """Cells of ``step_deg`` covering ``[lat0, lat1] x [lon0, lon1]`` (the whole Earth by default)."""

    step_deg: float
    lat0: float = -90.0
    lat1: float = 90.0
    lon0: float = -180.0
    lon1: float = 180.0

    def __post_init__(self) -> None:
        d = self.step_deg
        if not (isinstance(d, int | float) and 0 < d <= 90):
            raise InputError(f"step_deg {d}: give a step in degrees in (0, 90], e.g. 2")
        for name, v, lim in (("latitude", self.lat0, 90.0), ("latitude", self.lat1, 90.0)):
            if not -lim <= v <= lim:
                raise InputError(f"region {name} {v} deg is outside [-90, 90]")
        for v in (self.lon0, self.lon1):
            if not -180.0 <= v <= 360.0:
                raise InputError(f"region longitude {v} deg is outside [-180, 360]")
        if not (self.lat1 > self.lat0 and self.lon1 > self.lon0):
            raise InputError(
                f"region {self.lat0},{self.lat1},{self.lon0},{self.lon1}: give LAT0 < LAT1 and LON0 < LON1"
            )
        if self.lon1 - self.lon0 > 360.0:
            raise InputError("region spans more than 360 deg of longitude")
        for span, what in ((self.lat1 - self.lat0, "latitude"), (self.lon1 - self.lon0, "longitude")):
            n = span / d
            if abs(n - round(n)) > 1e-9 * max(1.0, n):
                raise InputError(
                    f"step_deg {d} does not divide the region's {span:g} deg of {what}; choose a step "
                    "that divides it (e.g. 1, 2, 2.5, 5)"
                )

    @classmethod
    def over(cls, step_deg: float, region: str | tuple[float, float, float, float] | None = None) -> Grid:
        """The grid of ``step_deg`` over ``region`` (``"LAT0,LAT1,LON0,LON1"`` or a 4-tuple in
        degrees; None: the whole Earth)."""
        if region is None:
            return cls(step_deg)
        lat0, lat1, lon0, lon1 = parse_region(region) if isinstance(region, str) else region
        return cls(step_deg, lat0, lat1, lon0, lon1)

    @property
    def n_lat(self) -> int:
        return round((self.lat1 - self.lat0) / self.step_deg)

    @property
    def n_lon(self) -> int:
        return round((self.lon1 - self.lon0) / self.step_deg)

    @property
    def n_cells(self) -> int:
        return self.n_lat * self.n_lon

    def lat_centres(self) -> np.ndarray:
        return self.lat0 + (np.arange(self.n_lat) + 0.5) * self.step_deg

    def lon_centres(self) -> np.ndarray:
        return self.lon0 + (np.arange(self.n_lon) + 0.5) * self.step_deg

    def cells(self) -> tuple[np.ndarray, np.ndarray]:
        """Latitude and longitude of every cell centre, row-major (latitude outer)."""
        lat, lon = np.meshgrid(self.lat_centres(), self.lon_centres(), indexing="ij")
        return lat.ravel(), lon.ravel()

    def area_weights(self) -> np.ndarray:
        """Each cell's share of the region's area on a sphere (sums to 1), row-major."""
        lat = self.lat_centres()
        h = np.radians(self.step_deg / 2)
        band = np.sin(np.radians(lat) + h) - np.sin(np.radians(lat) - h)
        w = np.repeat(band, self.n_lon)
        return w / w.sum()

    def bands(self, rows_per_band: int) -> list[slice]:
        """Slices of latitude rows, ``rows_per_band`` each (cells are row-major, so a band's
        cells are contiguous too)."""
        rows_per_band = max(1, int(rows_per_band))
        return [slice(r, min(r + rows_per_band, self.n_lat)) for r in range(0, self.n_lat, rows_per_band)]
