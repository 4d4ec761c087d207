"""Mean loss from random pointing jitter and a static bias of a Gaussian beam."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["pointing_transmittance"]


def pointing_transmittance(
    jitter_rad_per_axis: ArrayLike, bias_rad: ArrayLike, beam_half_angle_rad: ArrayLike
) -> np.ndarray:
    """Mean on-axis intensity factor of a Gaussian beam with circular Gaussian jitter plus a bias.

    With far-field profile ``exp(-2 theta^2 / W^2)`` (``W`` the 1/e^2 half-angle) and a pointing
    error that is normal with mean ``b`` and per-axis standard deviation ``sigma``, the average
    over the error distribution is (Toyoshima et al., JOSA A 19, 567 (2002); Gaussian integral)::

        W^2 / (W^2 + 4 sigma^2) * exp(-2 b^2 / (W^2 + 4 sigma^2))

    The receiver is assumed small compared with the beam footprint.
    """
    s2 = np.asarray(jitter_rad_per_axis, dtype=float) ** 2
    b2 = np.asarray(bias_rad, dtype=float) ** 2
    w2 = np.asarray(beam_half_angle_rad, dtype=float) ** 2
    denom = w2 + 4.0 * s2
    return w2 / denom * np.exp(-2.0 * b2 / denom)
