"""Slant range between a ground site and a satellite on a circular orbit (spherical Earth).

Used when a caller gives an elevation but no range (the CLI, the plot); the pass engine passes
its own ranges.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..units import R_EARTH_M

__all__ = ["slant_range_m", "elevation_from_range_deg"]


def slant_range_m(
    elevation_deg: ArrayLike,
    orbit_alt_m: ArrayLike,
    site_alt_m: ArrayLike = 0.0,
    r_earth_m: float = R_EARTH_M,
) -> np.ndarray:
    """Site-to-satellite distance for a satellite at ``orbit_alt_m`` seen at ``elevation_deg``.

    Law of cosines in the triangle Earth centre, site, satellite (e.g. Vallado, *Fundamentals of
    Astrodynamics and Applications*, 4th ed., section 11.3; Larson and Wertz, *Space Mission
    Analysis and Design*, eq. 5-26)::

        L = sqrt(R_sat^2 - R_site^2 cos^2 el) - R_site sin el,  R = r_earth + altitude.
    """
    el = np.radians(np.asarray(elevation_deg, dtype=float))
    r_site = r_earth_m + np.asarray(site_alt_m, dtype=float)
    r_sat = r_earth_m + np.asarray(orbit_alt_m, dtype=float)
    return np.sqrt(r_sat**2 - (r_site * np.cos(el)) ** 2) - r_site * np.sin(el)


def elevation_from_range_deg(
    range_m: ArrayLike,
    orbit_alt_m: ArrayLike,
    site_alt_m: ArrayLike = 0.0,
    r_earth_m: float = R_EARTH_M,
) -> np.ndarray:
    """Inverse of :func:`slant_range_m`: elevation (deg) at which the range is ``range_m``.

    Same triangle: ``R_sat^2 = R_site^2 + L^2 + 2 R_site L sin el`` solved for ``sin el``.
    Ranges shorter than the orbit height (above the zenith) or beyond the horizon give NaN.
    """
    rng = np.asarray(range_m, dtype=float)
    r_site = r_earth_m + np.asarray(site_alt_m, dtype=float)
    r_sat = r_earth_m + np.asarray(orbit_alt_m, dtype=float)
    sin_el = (r_sat**2 - r_site**2 - rng**2) / (2.0 * r_site * rng)
    with np.errstate(invalid="ignore"):
        out = np.degrees(np.arcsin(np.where(np.abs(sin_el) <= 1.0, sin_el, np.nan)))
    return out
