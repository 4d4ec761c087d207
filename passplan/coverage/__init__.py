"""Coverage of satellite fleets over a latitude/longitude grid: passes, access and usable time per
day, gaps between usable accesses, the day/night split; chunked (satellite groups x latitude
bands x time blocks), reduced per chunk, and run in-process, on a process pool or on Dask with
identical results; restricted to a GeoJSON region or to land (:mod:`.region`). See
:func:`coverage`."""

from __future__ import annotations

from .chunk import CoverageConstraints, darkness_angle_deg
from .fleet import fleet_orbits
from .grid import Grid, cap_fraction, footprint_half_angle_deg, parse_region
from .region import LAND_SOURCE, Region, land, load_region
from .run import METRICS, CoverageResult, Estimate, coverage, estimate
from .stations import StationCoverage, coverage_at_stations

__all__ = [
    "coverage",
    "CoverageResult",
    "coverage_at_stations",
    "StationCoverage",
    "CoverageConstraints",
    "darkness_angle_deg",
    "fleet_orbits",
    "Grid",
    "parse_region",
    "footprint_half_angle_deg",
    "cap_fraction",
    "estimate",
    "Estimate",
    "METRICS",
    "Region",
    "load_region",
    "land",
    "LAND_SOURCE",
]
