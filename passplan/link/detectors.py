"""Single-photon detectors: dead-time saturation and click probabilities per gate."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["dead_time_factor", "click_probability"]


def dead_time_factor(rate_per_detector_cps: ArrayLike, dead_time_s: float) -> np.ndarray:
    """Fraction of photons still detected by a non-paralysable detector of dead time ``tau``::

        f = 1 / (1 + R tau)   (R the incident detectable rate per detector)

    (Knoll, *Radiation Detection and Measurement*, 4th ed., eq. 4.23; Muller, Nucl. Instrum.
    Methods 112, 47 (1973)). The detector is busy a fraction ``R tau f`` of the time.
    """
    r = np.asarray(rate_per_detector_cps, dtype=float)
    return 1.0 / (1.0 + r * dead_time_s)


def click_probability(rate_cps: ArrayLike, gate_s: float) -> np.ndarray:
    """Probability of at least one Poisson click of rate ``R`` in a gate of width ``t``:
    ``1 - exp(-R t)``."""
    return -np.expm1(-np.asarray(rate_cps, dtype=float) * gate_s)
