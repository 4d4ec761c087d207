"""The orbits of a fleet as records: period, altitude, inclination, node, argument of latitude and
the footprint at a minimum elevation (what ``passplan constellation show`` lists)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from ..elements import orbit_summary
from ..errors import InputError
from .grid import R_MEAN_KM, footprint_half_angle_deg

__all__ = ["fleet_orbits", "ground_tracks"]


def fleet_orbits(satellites: Sequence[Any], min_elevation_deg: float = 10.0) -> list[dict[str, Any]]:
    """One record per satellite: ``period_min``, mean ``altitude_km``, ``inclination_deg``,
    ``raan_deg``, ``arg_latitude_deg`` (argument of perigee plus mean anomaly) at the element
    epoch, the footprint's central half-angle and ground radius (spherical Earth) at
    ``min_elevation_deg``, and the satellite's link ``profile``."""
    if not -5.0 <= min_elevation_deg < 90.0:
        raise InputError(f"min_elevation_deg {min_elevation_deg:g} is outside [-5, 90)")
    recs = []
    for s in satellites:
        o = orbit_summary(s)
        lam = float(footprint_half_angle_deg(o["mean_altitude_km"], min_elevation_deg))
        recs.append({
            "satellite": s.name,
            "period_min": round(o["period_min"], 3),
            "altitude_km": round(o["mean_altitude_km"], 1),
            "inclination_deg": round(o["inclination_deg"], 3),
            "raan_deg": round(o["raan_deg"], 3),
            "arg_latitude_deg": round((o["arg_perigee_deg"] + o["mean_anomaly_deg"]) % 360.0, 3),
            "footprint_half_angle_deg": round(lam, 3),
            "footprint_radius_km": round(math.radians(lam) * R_MEAN_KM, 1),
            "profile": s.profile,
        })
    return recs


def ground_tracks(
    satellites: Sequence[Any], start: datetime, hours: float, min_elevation_deg: float = 10.0, step_s: float = 30.0
) -> tuple[list[tuple[str, np.ndarray, np.ndarray]], list[tuple[str, float, float, float]]]:
    """Sub-satellite tracks for ``hours`` from ``start`` (``(name, lat_deg, lon_deg)`` every
    ``step_s``; geocentric latitude, within 0.2 deg of geodetic) and each footprint at ``start``
    (``(name, lat_deg, lon_deg, half_angle_deg)`` at ``min_elevation_deg``). A satellite SGP4
    cannot propagate has neither."""
    from ..geometry import Scene

    s = np.arange(0.0, hours * 3600.0 + 1.0, step_s)
    scene = Scene([x.satrec for x in satellites], [], start, start + timedelta(hours=hours))
    pos, err = scene.sat_ecef_grid(s)
    tracks, prints = [], []
    for k, sat in enumerate(satellites):
        r = pos[k][err[k] == 0]
        if r.size == 0:
            continue
        rn = np.linalg.norm(r, axis=1)
        lat = np.degrees(np.arcsin(r[:, 2] / rn))
        lon = np.degrees(np.arctan2(r[:, 1], r[:, 0]))
        tracks.append((sat.name, lat, lon))
        lam = float(footprint_half_angle_deg(rn[0] - R_MEAN_KM, min_elevation_deg))
        prints.append((sat.name, float(lat[0]), float(lon[0]), lam))
    return tracks, prints
