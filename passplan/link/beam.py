"""Gaussian beams: divergence conventions, transmitter truncation and annular collection.

Internally a beam is described by its 1/e^2 intensity radius ``w`` (m) and its far-field 1/e^2
half-angle ``theta`` (rad): ``I(r) = 2P / (pi w^2) exp(-2 r^2 / w^2)``.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "DIVERGENCE_CONVENTIONS",
    "FWHM_PER_1E2_RADIUS",
    "to_half_angle_1e2_rad",
    "beam_radius_m",
    "gaussian_collection",
    "klein_degnan_gain",
    "klein_degnan_optimum",
    "min_divergence_half_angle_rad",
    "truncation_transmittance",
    "truncated_beam",
]

#: FWHM of a Gaussian intensity profile in units of its 1/e^2 radius: 2 sqrt(ln 2 / 2) = 1.1774.
FWHM_PER_1E2_RADIUS = 2.0 * math.sqrt(math.log(2.0) / 2.0)

#: How a quoted divergence is to be read: which intensity level and half or full angle.
DIVERGENCE_CONVENTIONS: dict[str, float] = {
    "half_1e2": 1.0,  # 1/e^2 half-angle (passplan's internal convention)
    "full_1e2": 0.5,  # 1/e^2 full angle
    "fwhm_full": 1.0 / FWHM_PER_1E2_RADIUS,  # full width at half maximum
    "fwhm_half": 2.0 / FWHM_PER_1E2_RADIUS,  # half width at half maximum
}


def to_half_angle_1e2_rad(value_rad: ArrayLike, convention: str) -> np.ndarray:
    """Convert a quoted beam divergence to the 1/e^2 half-angle.

    For a Gaussian intensity ``exp(-2 theta^2 / Theta^2)`` the half maximum sits at
    ``Theta sqrt(ln 2 / 2)``, so ``FWHM = 1.1774 Theta`` (Siegman, *Lasers*, 1986, ch. 17).
    Micius' "10 urad" read as a FWHM full angle is 8.49 urad 1/e^2 half-angle.
    """
    try:
        factor = DIVERGENCE_CONVENTIONS[convention]
    except KeyError:
        from ..errors import UnknownNameError

        raise UnknownNameError(
            "divergence convention", convention, DIVERGENCE_CONVENTIONS
        ) from None
    return np.asarray(value_rad, dtype=float) * factor


def beam_radius_m(range_m: ArrayLike, waist_m: ArrayLike, half_angle_rad: ArrayLike) -> np.ndarray:
    """1/e^2 beam radius at distance ``range_m``: ``w(L) = sqrt(w0^2 + (theta L)^2)``.

    Gaussian beam propagation (Siegman 1986, ch. 17) written with the far-field half-angle so that
    beams wider than diffraction-limited (defocused transmitters) use the same expression.
    """
    rng = np.asarray(range_m, dtype=float)
    return np.sqrt(np.asarray(waist_m, dtype=float) ** 2 + (np.asarray(half_angle_rad) * rng) ** 2)


def gaussian_collection(
    beam_radius_m: ArrayLike, aperture_radius_m: ArrayLike, obscuration_ratio: ArrayLike = 0.0
) -> np.ndarray:
    """Fraction of a centred Gaussian beam's power falling on an annular aperture.

    Integral of ``2/(pi w^2) exp(-2 r^2/w^2)`` over ``eps a <= r <= a``::

        exp(-2 (eps a)^2 / w^2) - exp(-2 a^2 / w^2)

    (e.g. Siegman 1986, ch. 17; Degnan and Klein, Appl. Opt. 13, 2397 (1974)). A 3.225 m beam into
    a 0.5 m radius aperture collects 0.0470 (13.28 dB).
    """
    w2 = np.asarray(beam_radius_m, dtype=float) ** 2
    a = np.asarray(aperture_radius_m, dtype=float)
    eps = np.asarray(obscuration_ratio, dtype=float)
    return np.exp(-2.0 * (eps * a) ** 2 / w2) - np.exp(-2.0 * a**2 / w2)


def klein_degnan_gain(alpha: ArrayLike, obscuration_ratio: ArrayLike = 0.0) -> np.ndarray:
    """On-axis far-field gain of a truncated Gaussian, over a uniform aperture's 4 pi A / lambda^2.

    Klein and Degnan, Appl. Opt. 13, 2134 (1974), eq. for an obscured aperture with the beam's
    1/e^2 radius ``w`` and aperture radius ``a``, ``alpha = a / w``, obscuration ratio ``gamma``::

        g = (2 / alpha^2) [exp(-alpha^2) - exp(-gamma^2 alpha^2)]^2

    The unobscured optimum is alpha = 1.121, g = 0.8145. The same expression is the coupling
    efficiency of a plane wave into a single-mode fibre whose mode, back-projected to the pupil,
    has radius ``w`` (Ruilier and Cassaing, JOSA A 18, 143 (2001)).
    """
    al = np.asarray(alpha, dtype=float)
    g = np.asarray(obscuration_ratio, dtype=float)
    return (2.0 / al**2) * (np.exp(-(al**2)) - np.exp(-(g**2) * al**2)) ** 2


def klein_degnan_optimum(obscuration_ratio: float = 0.0) -> tuple[float, float]:
    """``(alpha, gain)`` maximising :func:`klein_degnan_gain` for one obscuration ratio.

    Numerical maximisation of the Klein and Degnan (1974) gain; (1.121, 0.8145) unobscured.
    """
    from scipy.optimize import minimize_scalar  # here, so that importing beam costs no scipy

    res = minimize_scalar(
        lambda a: -float(klein_degnan_gain(a, obscuration_ratio)),
        bounds=(0.2, 5.0),
        method="bounded",
        options={"xatol": 1e-7},
    )
    return float(res.x), float(-res.fun)


def truncation_transmittance(alpha: ArrayLike, obscuration_ratio: ArrayLike = 0.0) -> np.ndarray:
    """Power fraction of a Gaussian (radius ``a / alpha``) passed by an annular transmit aperture.

    Same integral as :func:`gaussian_collection` with ``w = a / alpha``:
    ``exp(-2 gamma^2 alpha^2) - exp(-2 alpha^2)`` (Klein and Degnan 1974, eq. 9).
    """
    al = np.asarray(alpha, dtype=float)
    g = np.asarray(obscuration_ratio, dtype=float)
    return np.exp(-2.0 * g**2 * al**2) - np.exp(-2.0 * al**2)


def truncated_beam(
    wavelength_m: float, aperture_radius_m: float, alpha: float, obscuration_ratio: float = 0.0
) -> tuple[float, float, float]:
    """Equivalent Gaussian far field of a diffraction-limited, truncated, obscured transmitter.

    Returns ``(half_angle_rad, waist_m, transmittance)``. The far-field beam is replaced by the
    Gaussian that carries the transmitted power ``T`` (:func:`truncation_transmittance`) and has
    the Klein and Degnan (1974) on-axis intensity ``P g 4 pi A / (lambda^2 4 pi L^2)``; equating
    ``2 T P / (pi theta^2 L^2)`` to it gives ``theta^2 = 2 T lambda^2 / (pi^2 a^2 g)``, which is
    ``lambda / (pi w0)`` for an untruncated beam (large alpha, where g -> 2 / alpha^2).
    """
    t = float(truncation_transmittance(alpha, obscuration_ratio))
    g = float(klein_degnan_gain(alpha, obscuration_ratio))
    theta = math.sqrt(2.0 * t * wavelength_m**2 / (math.pi**2 * aperture_radius_m**2 * g))
    return theta, aperture_radius_m / alpha, t


def min_divergence_half_angle_rad(wavelength_m: float, aperture_radius_m: float, obscuration_ratio: float = 0.0) -> float:
    """The narrowest 1/e^2 half-angle an aperture can give a Gaussian beam.

    A Gaussian far field of half-angle ``theta`` has on-axis gain ``8 / theta^2``; a truncated
    Gaussian from an aperture of radius ``a`` reaches at most ``g_max (2 pi a / lambda)^2``,
    ``g_max`` the Klein and Degnan (1974) optimum (0.8145 unobscured). So
    ``theta >= sqrt(8 / g_max) lambda / (2 pi a)`` (about 0.50 lambda / a unobscured); a quoted
    divergence below it would claim more on-axis intensity than the aperture can deliver.
    The optimum is found on a fine grid here (numpy only: no scipy at profile loading).
    """
    alpha = np.linspace(0.3, 3.0, 5401)
    g_max = float(np.max(klein_degnan_gain(alpha, obscuration_ratio)))
    return math.sqrt(8.0 / g_max) * wavelength_m / (2.0 * math.pi * aperture_radius_m)
