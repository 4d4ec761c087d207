"""Adaptive optics: residual phase variance (fitting, servo lag, tip-tilt), Strehl by the extended
Marechal law, and single-mode-fibre coupling.

All variances are in rad^2 of phase over the receive aperture ``D``.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputError, suggest
from .beam import klein_degnan_optimum

__all__ = [
    "NOLL_RESIDUALS",
    "AO_MODES",
    "noll_residual_variance",
    "fitting_variance",
    "servo_lag_variance",
    "tip_tilt_servo_variance",
    "strehl_extended_marechal",
    "smf_peak_coupling",
    "residual_phase_variance",
    "wavefront_strehl",
]

#: Noll, JOSA 66, 207 (1976), table IV: residual Kolmogorov phase variance after removing the
#: first J Zernike modes, in units of (D/r0)^(5/3). J = 1 removes piston only (no correction),
#: J = 3 removes tip and tilt.
NOLL_RESIDUALS: dict[int, float] = {
    1: 1.0299,
    2: 0.582,
    3: 0.134,
    4: 0.111,
    5: 0.0880,
    6: 0.0648,
    7: 0.0587,
    8: 0.0525,
    9: 0.0463,
    10: 0.0401,
    11: 0.0377,
    12: 0.0352,
    13: 0.0328,
    14: 0.0304,
    15: 0.0279,
    16: 0.0267,
    17: 0.0255,
    18: 0.0243,
    19: 0.0232,
    20: 0.0220,
    21: 0.0208,
}

#: Correction levels a ground terminal can declare.
AO_MODES = ("none", "tip-tilt", "ao")

#: Hudgin, JOSA 67, 375 (1977): fitting-error coefficient of a continuous-facesheet mirror.
FITTING_COEFFICIENT = 0.28


def noll_residual_variance(n_modes: ArrayLike, d_over_r0: ArrayLike) -> np.ndarray:
    """Residual variance after perfect correction of the first ``J`` Zernike modes (Noll 1976).

    Table values for J <= 21, the asymptote ``0.2944 J^(-sqrt(3)/2) (D/r0)^(5/3)`` beyond.
    """
    j = np.asarray(n_modes, dtype=int)
    table = np.array([NOLL_RESIDUALS.get(int(x), np.nan) for x in np.ravel(j)]).reshape(j.shape)
    asym = 0.2944 * np.maximum(j, 1).astype(float) ** (-math.sqrt(3.0) / 2.0)
    coef = np.where(j <= 21, table, asym)
    return coef * np.asarray(d_over_r0, dtype=float) ** (5.0 / 3.0)


def fitting_variance(
    actuators_across: float,
    aperture_m: float,
    r0_m: ArrayLike,
    coefficient: float = FITTING_COEFFICIENT,
) -> np.ndarray:
    """Deformable-mirror fitting error ``a_F (d / r0)^(5/3)`` with actuator pitch
    ``d = D / actuators_across`` (Hudgin 1977; Hardy, *Adaptive Optics for Astronomical
    Telescopes*, 1998, eq. 9.27)."""
    pitch = aperture_m / actuators_across
    return coefficient * (pitch / np.asarray(r0_m, dtype=float)) ** (5.0 / 3.0)


def servo_lag_variance(greenwood_hz: ArrayLike, bandwidth_hz: float) -> np.ndarray:
    """Servo-lag error ``(f_G / f_3dB)^(5/3)`` (Greenwood, JOSA 67, 390 (1977))."""
    return (np.asarray(greenwood_hz, dtype=float) / bandwidth_hz) ** (5.0 / 3.0)


def tip_tilt_servo_variance(tyler_hz: ArrayLike, bandwidth_hz: float) -> np.ndarray:
    """Phase variance of the residual tilt of a tracking loop of bandwidth ``f_3dB``.

    Tyler, JOSA A 11, 358 (1994): one-axis residual angle variance ``(f_T / f_3dB)^2 (lambda/D)^2``.
    A tilt ``theta`` is the Zernike tilt ``(pi D theta / 2 lambda) Z2`` (Noll 1976, Z2 of unit
    rms), so two axes give ``(pi^2 / 2) (f_T / f_3dB)^2`` rad^2.
    """
    return 0.5 * math.pi**2 * (np.asarray(tyler_hz, dtype=float) / bandwidth_hz) ** 2


def residual_phase_variance(
    mode: str,
    *,
    aperture_m: float,
    r0_m: ArrayLike,
    greenwood_hz: ArrayLike,
    tyler_hz: ArrayLike,
    tip_tilt_bandwidth_hz: float | None = None,
    ao_bandwidth_hz: float | None = None,
    actuators_across: float | None = None,
    corrected_modes: int | None = None,
) -> np.ndarray:
    """Total residual phase variance for a correction level (``none``, ``tip-tilt``, ``ao``).

    ``none``: Noll J = 1 (piston removed). ``tip-tilt``: Noll J = 3 plus the tracking-loop residual
    (:func:`tip_tilt_servo_variance`). ``ao``: fitting (by actuators, or Noll's J for
    ``corrected_modes``) plus servo lag (:func:`servo_lag_variance`) plus the tilt residual.
    Errors are independent and add (Hardy 1998, ch. 9).
    """
    d_r0 = aperture_m / np.asarray(r0_m, dtype=float)
    if mode == "none":
        return noll_residual_variance(1, d_r0)
    tt = tip_tilt_servo_variance(tyler_hz, tip_tilt_bandwidth_hz) if tip_tilt_bandwidth_hz else 0.0
    if mode == "tip-tilt":
        return noll_residual_variance(3, d_r0) + tt
    if mode == "ao":
        if corrected_modes:
            fit = noll_residual_variance(corrected_modes, d_r0)
        else:
            fit = fitting_variance(actuators_across or 1.0, aperture_m, r0_m)
        servo = servo_lag_variance(greenwood_hz, ao_bandwidth_hz) if ao_bandwidth_hz else 0.0
        return fit + servo + tt
    hint = suggest(str(mode), AO_MODES)
    tip = f"did you mean {hint[0]!r}? " if hint else ""
    raise InputError(
        f"correction mode {mode!r} is not one of {', '.join(repr(m) for m in AO_MODES)}; {tip}"
        "set the receiving terminal's correction to 'none', 'tip-tilt' or 'ao'"
    )


def strehl_extended_marechal(phase_variance: ArrayLike, d_over_r0: ArrayLike) -> np.ndarray:
    """Strehl ratio by the extended Marechal approximation (Parenti and Sasiela, JOSA A 11, 288
    (1994))::

        S = exp(-sigma^2) + (1 - exp(-sigma^2)) / (1 + (D / r0)^2)

    The second term is the seeing halo's on-axis contribution, which keeps S from vanishing for
    large residuals (S -> (r0/D)^2, the uncorrected long-exposure limit).
    """
    s2 = np.asarray(phase_variance, dtype=float)
    coh = np.exp(-s2)
    return coh + (1.0 - coh) / (1.0 + np.asarray(d_over_r0, dtype=float) ** 2)


def smf_peak_coupling(obscuration_ratio: float = 0.0) -> float:
    """Best coupling of a plane wave through an (obscured) circular pupil into a single-mode fibre.

    Ruilier and Cassaing, JOSA A 18, 143 (2001): the overlap of the Airy pattern with the fibre's
    Gaussian mode, equal to the Klein and Degnan (1974) gain at its optimum (0.8145 unobscured).
    Turbulence multiplies it by the Strehl ratio (e.g. Dikmelik and Davidson, Appl. Opt. 44, 4946
    (2005) for the weak-residual limit).
    """
    return klein_degnan_optimum(obscuration_ratio)[1]


def wavefront_strehl(rms_wavefront_error_m: float, wavelength_m: float) -> float:
    """On-axis far-field gain of a transmitter with a static rms wavefront error ``sigma`` (m).

    Marechal approximation ``S = exp(-(2 pi sigma / lambda)^2)`` (Marechal 1947; Born and Wolf,
    *Principles of Optics*, 7th ed., sec. 9.1.3; Mahajan, JOSA 72, 1258 (1982) for its accuracy:
    within a few per cent for S >= 0.3). lambda/14 rms gives 0.82, the "diffraction-limited"
    Marechal criterion. Zero error gives 1.
    """
    if not (rms_wavefront_error_m >= 0 and math.isfinite(rms_wavefront_error_m)):
        raise InputError(
            f"wavefront error {rms_wavefront_error_m!r} m must be a finite number >= 0 (rms)"
        )
    return math.exp(-((2.0 * math.pi * rms_wavefront_error_m / wavelength_m) ** 2))
