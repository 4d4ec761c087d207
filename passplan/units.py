"""Decibel conversions and physical constants (SI inside, dB only at the edges).

Constants: CODATA 2018 exact values (h, c, k_B) and WGS-84 / IAU figures for the Earth.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "C_M_S",
    "H_J_S",
    "K_B_J_K",
    "R_EARTH_M",
    "R_EARTH_EQ_M",
    "MU_EARTH_M3_S2",
    "db",
    "from_db",
    "loss_db",
]

C_M_S = 299_792_458.0  # speed of light, exact (SI 2019)
H_J_S = 6.626_070_15e-34  # Planck constant, exact (SI 2019)
K_B_J_K = 1.380_649e-23  # Boltzmann constant, exact (SI 2019)
R_EARTH_M = 6_371_000.0  # mean Earth radius (IUGG), used by spherical formula vectors
R_EARTH_EQ_M = 6_378_137.0  # WGS-84 equatorial radius
MU_EARTH_M3_S2 = 3.986_004_418e14  # GM of the Earth (IERS 2010)


def db(ratio: ArrayLike) -> np.ndarray:
    """Power ratio to decibels, ``10 log10(ratio)`` (a gain < 1 gives a negative number)."""
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(np.asarray(ratio, dtype=float))


def loss_db(transmittance: ArrayLike) -> np.ndarray:
    """Transmittance to a positive loss in dB, ``-10 log10(T)`` (T = 0 gives +inf)."""
    return -db(transmittance)


def from_db(value_db: ArrayLike) -> np.ndarray:
    """Decibels to a power ratio, ``10 ** (dB / 10)``; pass ``-loss_db`` for a loss."""
    return 10.0 ** (np.asarray(value_db, dtype=float) / 10.0)
