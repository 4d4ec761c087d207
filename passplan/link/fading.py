"""Turbulence fading and pointing jitter as random per-slot transmittance multipliers.

The link budget (:mod:`passplan.link.budget`) gives the MEAN transmittance of each slot: its
pointing term is the jitter-averaged on-axis factor and its turbulence term the long-exposure
clipping or coupling. This module draws what the transmittance of a slot actually is around that
mean, as a multiplier of mean one, so that a forecast can report the spread of its key
(:mod:`passplan.forecast.spread` applies the multipliers; only :mod:`passplan.forecast` calls the
link budget).

**Instantaneous distributions.**

* Scintillation (irradiance fluctuations at the receive aperture): gamma-gamma distributed with
  unit mean and scintillation index ``sigma_I^2`` (Al-Habash, Andrews and Phillips, Opt. Eng. 40,
  1554 (2001); Andrews and Phillips, *Laser Beam Propagation through Random Media*, 2nd ed. (2005),
  ch. 11): ``I = X Y`` with ``X ~ Gamma(alpha, 1/alpha)``, ``Y ~ Gamma(beta, 1/beta)`` and
  ``alpha = 1 / (exp(s_x^2) - 1)``, ``beta = 1 / (exp(s_y^2) - 1)``, the large- and small-scale
  log-irradiance variances of the aperture-averaged plane wave (:func:`scintillation_index`).
* Pointing jitter and beam wander: the beam's centre sits a radial angle ``|b + j|`` off the
  receiver, ``b`` the profile's static bias and ``j`` circular normal with the per-axis jitter
  ``sigma`` (a Rice-distributed radius; for a downlink the jitter is the transmitter's, for an
  uplink the transmitter's jitter and the residual turbulent wander added in quadrature, as in
  the budget). A Gaussian beam of far-field 1/e^2 half-angle ``W`` then delivers
  ``exp(-2 |b + j|^2 / W^2)`` of its on-axis intensity (the receiver small against the footprint;
  the same model as :func:`passplan.link.pointing.pointing_transmittance`, whose value is its
  mean, Toyoshima et al., JOSA A 19, 567 (2002)); this is the transmittance distribution of a
  wandering beam of Vasylyev, Semenov and Vogel, PRL 108, 220501 (2012) in the limit of an
  aperture small against the beam.

**What survives a slot.** A key slot is 1 s (or longer) while these processes decorrelate in
milliseconds to a tenth of a second, so a slot sees the mean of ``K = T_slot / tau`` independent
realisations, whose normalised variance is ``v / K`` (``v`` the instantaneous normalised
variance). The slot multiplier is drawn as a gamma variable of mean one and that variance (moment
matched; for ``K >> 1`` the slot mean is near normal by the central limit theorem, and the gamma
keeps it positive). Correlation times:

* scintillation: ``tau_s = max(sqrt(L / k), D) / v_wind`` (Taylor's frozen flow: the pattern, of
  scale the Fresnel zone or the aperture, whichever is larger, blows across the aperture; Andrews
  and Phillips 2005, sec. 8.3), ``L`` the turbulence-weighted path (below) and ``v_wind`` the
  profile's ground wind (assumed, conservative: the wind aloft and the slew of the line of sight
  only make the pattern faster and the slot average smoother);
* pointing: :data:`POINTING_CORRELATION_S` (assumed).

So at 1-s slots scintillation of a metre-class receiver averages out almost entirely, and what
survives is the slow part of the pointing error; the slower processes (the seeing of the night,
a pointing bias, the weather) are not fading of one pass: they are parameter uncertainties
(:func:`passplan.forecast.spread.sensitivity`) and weather (clear-sky probability).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError

__all__ = [
    "POINTING_CORRELATION_S",
    "scintillation_index",
    "scintillation_log_variances",
    "turbulence_path_m",
    "scintillation_correlation_s",
    "pointing_moments",
    "gamma_gamma",
    "pointing_factor",
    "slot_multipliers",
]

#: Correlation time of the residual pointing error (s); assumed: the residual of a fine-pointing
#: loop of tens of hertz bandwidth with a slower platform drift beside it; 0.1 s is taken as the
#: slow end (the longer it is, the less a slot averages and the wider the spread).
POINTING_CORRELATION_S = 0.1


def scintillation_log_variances(rytov: ArrayLike, d2: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Large- and small-scale log-irradiance variances ``(s_x^2, s_y^2)`` of a plane wave on a
    downlink slant path collected by an aperture, Andrews and Phillips 2005, sec. 12.4 (the
    aperture-averaged plane-wave scintillation of the downlink)::

        s_x^2 = 0.49 sR^2 / (1 + 0.18 d^2 + 0.56 sR^(12/5))^(7/6)
        s_y^2 = 0.51 sR^2 (1 + 0.69 sR^(12/5))^(-5/6) / (1 + 0.90 d^2 + 0.62 d^2 sR^(12/5))

    ``rytov`` the Rytov variance ``sR^2``, ``d2 = k D^2 / (4 L)``."""
    s2 = np.asarray(rytov, dtype=float)
    d = np.asarray(d2, dtype=float)
    s125 = s2 ** (6.0 / 5.0)  # sR^(12/5)
    sx = 0.49 * s2 / (1.0 + 0.18 * d + 0.56 * s125) ** (7.0 / 6.0)
    sy = 0.51 * s2 * (1.0 + 0.69 * s125) ** (-5.0 / 6.0) / (1.0 + 0.90 * d + 0.62 * d * s125)
    return sx, sy


def scintillation_index(rytov: ArrayLike, d2: ArrayLike = 0.0) -> NDArray[np.float64]:
    """Aperture-averaged scintillation index ``exp(s_x^2 + s_y^2) - 1``
    (:func:`scintillation_log_variances`); with ``d2 = 0`` (a point receiver) and weak
    turbulence it tends to the Rytov variance."""
    sx, sy = scintillation_log_variances(rytov, d2)
    return np.expm1(sx + sy)


def turbulence_path_m(wavelength_m: float, r0_m: ArrayLike, rytov: ArrayLike) -> NDArray[np.float64]:
    """The slant distance ``L`` from the receiver to the turbulence, weighted as the Rytov variance
    weights it: a single layer carrying the whole ``int Cn2 dh`` gives the path's ``r0`` and
    Rytov variance when it sits at ``L = (mu56 / mu0)^(6/5) sec(zeta)``. From the link budget's
    ``r0 = (0.423 k^2 sec mu0)^(-3/5)`` (Fried 1966) and ``sR^2 = 2.25 k^(7/6) sec^(11/6) mu56``
    (Andrews and Phillips 2005, eq. 12.38)."""
    k = 2.0 * math.pi / wavelength_m
    a = np.asarray(rytov, dtype=float) / (2.25 * k ** (7.0 / 6.0))  # mu56 sec^(11/6)
    b = np.asarray(r0_m, dtype=float) ** (-5.0 / 3.0) / (0.423 * k**2)  # mu0 sec
    return (a / b) ** (6.0 / 5.0)


def scintillation_correlation_s(wavelength_m: float, path_m: ArrayLike, aperture_m: float,
                                wind_m_s: float) -> NDArray[np.float64]:
    """Correlation time of the collected irradiance: ``max(sqrt(L / k), D) / v`` (module
    docstring)."""
    if not wind_m_s > 0:
        raise InputError(f"wind_m_s {wind_m_s:g} must be positive (the wind that carries the turbulence)")
    k = 2.0 * math.pi / wavelength_m
    fresnel = np.sqrt(np.asarray(path_m, dtype=float) / k)
    return np.maximum(fresnel, aperture_m) / wind_m_s


def pointing_moments(jitter_rad: ArrayLike, bias_rad: ArrayLike, half_angle_rad: ArrayLike
                     ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mean and normalised variance of ``exp(-2 |b + j|^2 / W^2)`` (module docstring).

    The mean is Toyoshima's ``W^2 / (W^2 + 4 s^2) exp(-2 b^2 / (W^2 + 4 s^2))``; the square of the
    factor is the same factor with ``W^2 / 2``, so ``E[h^2]`` is that formula at ``W / sqrt(2)``
    and the normalised variance is ``E[h^2] / E[h]^2 - 1``."""
    s2 = np.asarray(jitter_rad, dtype=float) ** 2
    b2 = np.asarray(bias_rad, dtype=float) ** 2
    w2 = np.asarray(half_angle_rad, dtype=float) ** 2

    def m(wsq: NDArray[np.float64]) -> NDArray[np.float64]:
        den = wsq + 4.0 * s2
        return np.asarray(wsq / den * np.exp(-2.0 * b2 / den), float)

    mean = m(w2)
    var = m(w2 / 2.0) / mean**2 - 1.0
    return mean, np.maximum(var, 0.0)


def gamma_gamma(rng: np.random.Generator, sx2: ArrayLike, sy2: ArrayLike, size: tuple[int, ...]) -> NDArray[np.float64]:
    """Unit-mean gamma-gamma irradiance draws (module docstring), broadcast to ``size``."""
    a = 1.0 / np.expm1(np.broadcast_to(np.asarray(sx2, float), size))
    b = 1.0 / np.expm1(np.broadcast_to(np.asarray(sy2, float), size))
    return np.asarray(rng.gamma(a, 1.0 / a) * rng.gamma(b, 1.0 / b), float)


def pointing_factor(rng: np.random.Generator, jitter_rad: ArrayLike, bias_rad: ArrayLike,
                    half_angle_rad: ArrayLike, size: tuple[int, ...]) -> NDArray[np.float64]:
    """Instantaneous pointing factors ``exp(-2 |b + j|^2 / W^2)`` over their mean (unit mean),
    the bias along one axis and the jitter circular normal, broadcast to ``size``."""
    s = np.broadcast_to(np.asarray(jitter_rad, float), size)
    b = np.broadcast_to(np.asarray(bias_rad, float), size)
    w = np.broadcast_to(np.asarray(half_angle_rad, float), size)
    x = b + s * rng.standard_normal(size)
    y = s * rng.standard_normal(size)
    mean, _ = pointing_moments(s, b, w)
    return np.asarray(np.exp(-2.0 * (x * x + y * y) / (w * w)) / mean, float)


def _slot_mean(rng: np.random.Generator, variance: NDArray[np.float64], samples: NDArray[np.float64],
               draws: int) -> NDArray[np.float64]:
    """Unit-mean gamma draws of variance ``variance / samples`` (draws x slots); exactly one
    where the variance is zero."""
    v = np.maximum(variance, 0.0) / np.maximum(samples, 1.0)
    out = np.ones((draws, v.size))
    live = v > 1e-300
    if live.any():
        shape = 1.0 / v[live]
        out[:, live] = rng.gamma(np.broadcast_to(shape, (draws, shape.size)),
                                 np.broadcast_to(1.0 / shape, (draws, shape.size)))
    return out


def slot_multipliers(
    rng: np.random.Generator,
    draws: int,
    slot_s: float,
    *,
    scint_index: ArrayLike,
    scint_tau_s: ArrayLike,
    jitter_rad: ArrayLike,
    bias_rad: ArrayLike,
    half_angle_rad: ArrayLike,
    pointing_tau_s: float = POINTING_CORRELATION_S,
) -> NDArray[np.float64]:
    """Per-slot transmittance multipliers, shape ``(draws, slots)``, each of mean one: the slot
    means of the scintillation and of the pointing factor (module docstring), independent of
    each other, between slots and between draws (slots are longer than every correlation time
    here). ``scint_index`` (aperture averaged) and ``scint_tau_s`` per slot; ``jitter_rad``
    (per axis), ``bias_rad`` and ``half_angle_rad`` per slot or scalars."""
    if draws < 1:
        raise InputError(f"draws is {draws}; give at least 1")
    if not slot_s > 0 or not pointing_tau_s > 0:
        raise InputError(f"slot_s {slot_s:g} and pointing_tau_s {pointing_tau_s:g} must be positive")
    si = np.atleast_1d(np.asarray(scint_index, dtype=float))
    n = si.size
    tau_s = np.broadcast_to(np.asarray(scint_tau_s, dtype=float), (n,))
    scint = _slot_mean(rng, si, slot_s / tau_s, draws)
    _, pv = pointing_moments(np.broadcast_to(np.asarray(jitter_rad, float), (n,)),
                             np.broadcast_to(np.asarray(bias_rad, float), (n,)),
                             np.broadcast_to(np.asarray(half_angle_rad, float), (n,)))
    point = _slot_mean(rng, pv, np.full(n, slot_s / pointing_tau_s), draws)
    return scint * point
