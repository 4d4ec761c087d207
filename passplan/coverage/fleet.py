"""The orbits of a fleet as records: period, altitude, inclination, node, argument of latitude and
the footprint at a minimum elevation (what ``passplan constellation show`` lists)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..elements import orbit_summary
from ..errors import InputError
from .grid import R_MEAN_KM, footprint_half_angle_deg

__all__ = ["fleet_orbits"]


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
