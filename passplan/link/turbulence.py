"""Optical turbulence along a slant path: Hufnagel-Valley Cn2, r0, isoplanatic angle, Rytov
variance, Greenwood and Tyler frequencies, and the beam/spot models built on them.

Heights ``h`` are metres above sea level. The path integrals run from the site altitude ``h0`` to
``TOP_ALT_M`` (30 km); the slant path uses the plane-parallel ``sec(zenith)`` factor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputError

__all__ = [
    "TOP_ALT_M",
    "SEEING_FWHM_PER_LAMBDA_OVER_R0",
    "Cn2Profile",
    "PathMoments",
    "hufnagel_valley_cn2",
    "bufton_wind_m_s",
    "path_moments",
    "fried_parameter_m",
    "isoplanatic_angle_rad",
    "rytov_variance",
    "greenwood_frequency_hz",
    "tyler_frequency_hz",
    "seeing_half_angle_rad",
    "fov_fraction",
    "fov_fraction_offset",
    "day_profile",
    "tilt_variance_rad2",
    "wind_integrals",
    "wind_integrals_reference",
    "uplink_beam",
]

TOP_ALT_M = 30_000.0
#: Long-exposure seeing disc FWHM in units of lambda / r0 (Fried, JOSA 56, 1372 (1966);
#: Dierickx, J. Mod. Opt. 39, 569 (1992)).
SEEING_FWHM_PER_LAMBDA_OVER_R0 = 0.98
#: FWHM of the Airy disc in units of lambda / D (Born and Wolf, *Principles of Optics*, 8.5).
AIRY_FWHM_PER_LAMBDA_OVER_D = 1.029
_FWHM_PER_1E2 = 2.0 * math.sqrt(math.log(2.0) / 2.0)
_N_GRID = 600


def _trapezoid(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Trapezoid rule over the last axis of ``y`` on the 1-D grid ``x`` (the formula of
    ``scipy.integrate.trapezoid``, here so that turbulence needs no scipy)."""
    y = np.asarray(y, dtype=float)
    return (np.diff(x) * (y[..., 1:] + y[..., :-1]) / 2.0).sum(axis=-1)


@dataclass(frozen=True, slots=True)
class Cn2Profile:
    """Hufnagel-Valley parameters (HV5/7 by default) and the Bufton wind profile.

    ``ground_cn2`` (m^-2/3) and ``ground_scale_m`` set the boundary-layer term, which follows the
    terrain (it is evaluated at the height above the site); the other two terms use the altitude
    above sea level, so a high site sees less of the free-atmosphere turbulence.
    """

    wind_rms_m_s: float = 21.0
    ground_cn2: float = 1.7e-14
    ground_scale_m: float = 100.0
    ground_wind_m_s: float = 5.0
    jet_speed_m_s: float = 30.0
    day_ground_cn2: float | None = None

    def __post_init__(self) -> None:
        if self.day_ground_cn2 is not None and self.day_ground_cn2 < self.ground_cn2:
            raise InputError(
                f"[turbulence] day_ground_cn2 {self.day_ground_cn2:g} is below the night's ground_cn2 "
                f"{self.ground_cn2:g}: the solar-heated boundary layer is the stronger one; give at "
                "least the night value (or leave it out: ten times the night's)"
            )


#: Daytime over night-time ground-layer strength when a profile does not set its own: HV with
#: A = 1.7e-13 m^-2/3 by day against HV5/7's 1.7e-14 at night (Andrews and Phillips, *Laser Beam
#: Propagation through Random Media*, 2nd ed. (2005), sec. 12.2.1).
DAY_OVER_NIGHT_GROUND = 10.0


def day_profile(profile: Cn2Profile) -> Cn2Profile:
    """The daytime profile: the same free atmosphere with the stronger, solar-heated boundary
    layer as the ground term: the profile's ``day_ground_cn2``, else
    :data:`DAY_OVER_NIGHT_GROUND` times its night ``ground_cn2`` (so a site with strong night
    turbulence never gets better seeing by day).
    """
    day = profile.day_ground_cn2
    return replace(profile, ground_cn2=day if day is not None else DAY_OVER_NIGHT_GROUND * profile.ground_cn2)


@dataclass(frozen=True, slots=True, eq=False)
class PathMoments:
    """Vertical moments of Cn2 above a site (plane-parallel, zenith), SI units.

    ``mu0 = int Cn2 dh``; ``mu56 = int Cn2 (h-h0)^(5/6) dh``; ``mu53 = int Cn2 (h-h0)^(5/3) dh``.
    ``z_m`` and ``cn2`` are the integration grid (height above the site) and Cn2 on it, and
    ``wind_m_s`` the wind speed there (read-only arrays: the record is cached per site and
    profile).

    The wind integrals of the Greenwood and Tyler frequencies depend on the zenith angle and the
    line-of-sight rate ``omega`` only through ``s = omega sec(zeta)`` (the slew adds the
    transverse speed ``omega z sec(zeta)`` at height ``z``). So they are integrated once here:
    Tyler's ``int Cn2 (v^2 + s^2 z^2) dh = mu_v2 + s^2 mu2`` exactly, and Greenwood's
    ``int Cn2 (v^2 + s^2 z^2)^(5/6) dh`` tabulated in ``log s`` (``greenwood_log_s``,
    ``greenwood_log_i``) between its exact limits ``mu_v53`` (s -> 0) and ``s^(5/3) mu53``.
    """

    site_alt_m: float
    mu0: float
    mu56: float
    mu53: float
    z_m: np.ndarray
    cn2: np.ndarray
    wind_m_s: np.ndarray
    mu_v53: float = math.nan
    mu_v2: float = math.nan
    mu2: float = math.nan
    greenwood_log_s: np.ndarray | None = None
    greenwood_log_i: np.ndarray | None = None


#: The Greenwood wind integral's table in ``s = omega sec(zeta)`` (1/s): 50 points a decade from
#: 1e-7 (below it the slew changes the integral by < 1e-6) to 1e8 (above it the table's last
#: value is scaled by the exact large-``s`` law ``s^(5/3)``).
_S_TABLE = np.geomspace(1e-7, 1e8, 751)


def hufnagel_valley_cn2(
    h_m: ArrayLike, site_alt_m: float = 0.0, profile: Cn2Profile = Cn2Profile()
) -> np.ndarray:
    """Hufnagel-Valley refractive-index structure constant (m^-2/3).

    Valley, Appl. Opt. 19, 2200 (1980); Andrews and Phillips, *Laser Beam Propagation through
    Random Media*, 2nd ed. (2005), eq. 12.1::

        Cn2(h) = 0.00594 (v/27)^2 (1e-5 h)^10 exp(-h/1000) + 2.7e-16 exp(-h/1500)
                 + A exp(-(h - h0)/100)

    with v = 21 m/s and A = 1.7e-14 for HV5/7. The ground term is taken relative to the site.
    """
    h = np.asarray(h_m, dtype=float)
    p = profile
    return (
        0.00594 * (p.wind_rms_m_s / 27.0) ** 2 * (1e-5 * h) ** 10 * np.exp(-h / 1000.0)
        + 2.7e-16 * np.exp(-h / 1500.0)
        + p.ground_cn2 * np.exp(-np.maximum(h - site_alt_m, 0.0) / p.ground_scale_m)
    )


def bufton_wind_m_s(h_m: ArrayLike, profile: Cn2Profile = Cn2Profile()) -> np.ndarray:
    """Bufton wind-speed profile, Appl. Opt. 12, 1785 (1973)::

    v(h) = v_g + 30 exp(-((h - 9400) / 4800)^2)   (m/s, h in m above sea level)."""
    h = np.asarray(h_m, dtype=float)
    return profile.ground_wind_m_s + profile.jet_speed_m_s * np.exp(-(((h - 9400.0) / 4800.0) ** 2))


def path_moments(site_alt_m: float = 0.0, profile: Cn2Profile = Cn2Profile()) -> PathMoments:
    """Integrate the Cn2 moments from the site altitude to 30 km (trapezoid on a log grid).

    For HV5/7 at sea level ``mu0`` = 2.235e-12 m^(1/3) (../shared/reference/README.md). Cached
    per (site altitude, profile): a run over many passes integrates each profile once.
    """
    return _path_moments(float(site_alt_m), profile)


@lru_cache(maxsize=256)
def _path_moments(site_alt_m: float, profile: Cn2Profile) -> PathMoments:
    top = TOP_ALT_M - site_alt_m
    if not top > 0:
        raise InputError(
            f"site altitude {site_alt_m:g} m is not below the top of the turbulence profile "
            f"({TOP_ALT_M:g} m), so there is no atmosphere to integrate; give the ground "
            "station's altitude above sea level in metres"
        )
    z = np.concatenate(([0.0], np.geomspace(0.01, top, _N_GRID - 1)))
    cn2 = hufnagel_valley_cn2(z + site_alt_m, site_alt_m, profile)
    wind = bufton_wind_m_s(z + site_alt_m, profile)
    table = _trapezoid(
        cn2 * (wind**2 + (_S_TABLE[:, None] * z) ** 2) ** (5.0 / 6.0), z
    )
    for a in (z, cn2, wind, table):
        a.setflags(write=False)
    log_s = np.log(_S_TABLE)
    log_s.setflags(write=False)
    log_i = np.log(table)
    log_i.setflags(write=False)
    return PathMoments(
        site_alt_m=site_alt_m,
        mu0=float(_trapezoid(cn2, z)),
        mu56=float(_trapezoid(cn2 * z ** (5.0 / 6.0), z)),
        mu53=float(_trapezoid(cn2 * z ** (5.0 / 3.0), z)),
        z_m=z,
        cn2=cn2,
        wind_m_s=wind,
        mu_v53=float(_trapezoid(cn2 * wind ** (5.0 / 3.0), z)),
        mu_v2=float(_trapezoid(cn2 * wind**2, z)),
        mu2=float(_trapezoid(cn2 * z**2, z)),
        greenwood_log_s=log_s,
        greenwood_log_i=log_i,
    )


def _sec_zenith(elevation_deg: ArrayLike) -> np.ndarray:
    return 1.0 / np.sin(np.radians(np.asarray(elevation_deg, dtype=float)))


def fried_parameter_m(wavelength_m: ArrayLike, elevation_deg: ArrayLike, mu0: float) -> np.ndarray:
    """Fried parameter for a plane wave along the slant path (Fried, JOSA 56, 1372 (1966))::

    r0 = (0.423 k^2 sec(zeta) int Cn2 dh)^(-3/5).  HV5/7, 500 nm, zenith: 4.96 cm."""
    k = 2.0 * np.pi / np.asarray(wavelength_m, dtype=float)
    return (0.423 * k**2 * _sec_zenith(elevation_deg) * mu0) ** (-0.6)


def isoplanatic_angle_rad(
    wavelength_m: ArrayLike, elevation_deg: ArrayLike, mu53: float
) -> np.ndarray:
    """Isoplanatic angle (Fried, JOSA 72, 52 (1982))::

    theta0 = (2.914 k^2 sec^(8/3)(zeta) int Cn2 (h-h0)^(5/3) dh)^(-3/5).

    HV5/7, 500 nm, zenith: 6.89 urad."""
    k = 2.0 * np.pi / np.asarray(wavelength_m, dtype=float)
    return (2.914 * k**2 * _sec_zenith(elevation_deg) ** (8.0 / 3.0) * mu53) ** (-0.6)


def rytov_variance(wavelength_m: ArrayLike, elevation_deg: ArrayLike, mu56: float) -> np.ndarray:
    """Rytov variance of a plane wave on a slant path (Andrews and Phillips 2005, eq. 12.38)::

    sigma_R^2 = 2.25 k^(7/6) sec^(11/6)(zeta) int Cn2 (h-h0)^(5/6) dh.  HV5/7, 850 nm: 0.127."""
    k = 2.0 * np.pi / np.asarray(wavelength_m, dtype=float)
    return 2.25 * k ** (7.0 / 6.0) * _sec_zenith(elevation_deg) ** (11.0 / 6.0) * mu56


def _apparent_wind(
    m: PathMoments, elevation_deg: ArrayLike, slew_rate_rad_s: ArrayLike
) -> np.ndarray:
    """Wind across the line of sight at each grid height (samples x grid): the Bufton wind and the
    slew of a line of sight turning at ``omega`` (``omega * z sec(zeta)`` at slant distance
    ``z sec(zeta)``), added in quadrature (their directions are unrelated). Used by the
    height-grid reference integrals only."""
    sec = _sec_zenith(elevation_deg)[..., None]
    om = np.asarray(slew_rate_rad_s, dtype=float)[..., None]
    return np.sqrt(m.wind_m_s**2 + (om * m.z_m * sec) ** 2)


def wind_integrals_reference(
    m: PathMoments, elevation_deg: ArrayLike, slew_rate_rad_s: ArrayLike = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """The Greenwood (``int Cn2 v^(5/3)``) and Tyler (``int Cn2 v^2``) wind integrals on the
    height grid for every sample: the brute-force reference for :func:`wind_integrals`."""
    el_b, om_b = np.broadcast_arrays(
        np.asarray(elevation_deg, dtype=float), np.asarray(slew_rate_rad_s, dtype=float)
    )
    v = _apparent_wind(m, el_b, om_b)
    return _trapezoid(m.cn2 * v ** (5.0 / 3.0), m.z_m), _trapezoid(m.cn2 * v**2, m.z_m)


def wind_integrals(
    m: PathMoments, elevation_deg: ArrayLike, slew_rate_rad_s: ArrayLike = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """The Greenwood and Tyler wind integrals from the per-profile cache (no height grid).

    Both depend on the geometry only through ``s = omega sec(zeta)`` (:class:`PathMoments`):
    Tyler's is ``mu_v2 + s^2 mu2`` exactly; Greenwood's is interpolated in ``log s`` on the cached
    table (relative error below 1e-4 against :func:`wind_integrals_reference`), ``mu_v53`` below
    it and ``s^(5/3)`` times the last value above it. With no slew both reduce to the fixed
    integrals, so the frequencies scale exactly as sec(zeta)^(3/5) (Greenwood) and
    sec(zeta)^(1/2) (Tyler) in the plane-parallel atmosphere.
    """
    if m.greenwood_log_s is None or m.greenwood_log_i is None:  # a record built by hand
        return wind_integrals_reference(m, elevation_deg, slew_rate_rad_s)
    el_b, om_b = np.broadcast_arrays(
        np.asarray(elevation_deg, dtype=float), np.asarray(slew_rate_rad_s, dtype=float)
    )
    s = np.abs(om_b) * _sec_zenith(el_b)
    log_s = m.greenwood_log_s
    with np.errstate(divide="ignore"):
        ls = np.log(s)
    inside = np.interp(np.clip(ls, log_s[0], log_s[-1]), log_s, m.greenwood_log_i)
    beyond = m.greenwood_log_i[-1] + (5.0 / 3.0) * (ls - log_s[-1])
    g = np.where(ls > log_s[-1], np.exp(beyond), np.exp(inside))
    g = np.where(ls < log_s[0], m.mu_v53, g)
    return g, m.mu_v2 + s**2 * m.mu2


def greenwood_frequency_hz(
    wavelength_m: float, elevation_deg: ArrayLike, m: PathMoments, slew_rate_rad_s: ArrayLike = 0.0
) -> np.ndarray:
    """Greenwood frequency (Greenwood, JOSA 67, 390 (1977))::

    f_G = (0.102 k^2 sec(zeta) int Cn2 v^(5/3) dh)^(3/5)

    with the wind integral from the per-profile cache (:func:`wind_integrals`)."""
    el_b, om_b = np.broadcast_arrays(
        np.asarray(elevation_deg, dtype=float), np.asarray(slew_rate_rad_s, dtype=float)
    )
    integral, _ = wind_integrals(m, el_b, om_b)
    k = 2.0 * np.pi / wavelength_m
    return (0.102 * k**2 * _sec_zenith(el_b) * integral) ** 0.6


def tyler_frequency_hz(
    wavelength_m: float,
    aperture_m: float,
    elevation_deg: ArrayLike,
    m: PathMoments,
    slew_rate_rad_s: ArrayLike = 0.0,
) -> np.ndarray:
    """Tyler's G-tilt tracking frequency (Tyler, JOSA A 11, 358 (1994), eq. 44)::

    f_T = 0.331 D^(-1/6) lambda^-1 (sec(zeta) int Cn2 v^2 dh)^(1/2)

    with the wind integral in closed form (:func:`wind_integrals`)."""
    el_b, om_b = np.broadcast_arrays(
        np.asarray(elevation_deg, dtype=float), np.asarray(slew_rate_rad_s, dtype=float)
    )
    _, integral = wind_integrals(m, el_b, om_b)
    return 0.331 * aperture_m ** (-1.0 / 6.0) / wavelength_m * np.sqrt(_sec_zenith(el_b) * integral)


def seeing_half_angle_rad(
    wavelength_m: ArrayLike, r0_m: ArrayLike, aperture_m: ArrayLike
) -> np.ndarray:
    """1/e^2 half-angle of the Gaussian matching the long-exposure spot's FWHM.

    FWHM of the seeing disc 0.98 lambda/r0 (Fried 1966) and of the Airy disc 1.029 lambda/D
    added in quadrature, divided by the Gaussian FWHM / (1/e^2 radius) ratio 1.1774.
    """
    lam = np.asarray(wavelength_m, dtype=float)
    fwhm = np.hypot(
        SEEING_FWHM_PER_LAMBDA_OVER_R0 * lam / np.asarray(r0_m, dtype=float),
        AIRY_FWHM_PER_LAMBDA_OVER_D * lam / np.asarray(aperture_m, dtype=float),
    )
    return fwhm / _FWHM_PER_1E2


def fov_fraction(fov_half_angle_rad: ArrayLike, spot_half_angle_rad: ArrayLike) -> np.ndarray:
    """Fraction of a Gaussian spot (1/e^2 half-angle ``W``) inside a circular field stop of
    half-angle ``phi``: ``1 - exp(-2 phi^2 / W^2)`` (the Gaussian encircled energy)."""
    phi2 = np.asarray(fov_half_angle_rad, dtype=float) ** 2
    return 1.0 - np.exp(-2.0 * phi2 / np.asarray(spot_half_angle_rad, dtype=float) ** 2)


def fov_fraction_offset(
    fov_half_angle_rad: ArrayLike, spot_half_angle_rad: ArrayLike, offset_rad: ArrayLike
) -> np.ndarray:
    """Fraction of a Gaussian spot (1/e^2 half-angle ``W``) whose centre sits ``d`` off the centre
    of a circular field stop of half-angle ``phi``.

    The spot is a circular normal law of per-axis deviation ``W / 2``, so the fraction is the
    non-central chi-square (2 degrees of freedom) distribution ``F((2 phi / W)^2; 2, (2 d / W)^2)``,
    i.e. one minus Marcum's Q_1 (Marcum, IRE Trans. Inf. Theory 6, 59 (1960)); ``d = 0`` gives
    :func:`fov_fraction`.
    """
    from scipy.special import chndtr  # here, so that importing turbulence costs no scipy

    w = np.asarray(spot_half_angle_rad, dtype=float)
    x = (2.0 * np.asarray(fov_half_angle_rad, dtype=float) / w) ** 2
    nc = (2.0 * np.asarray(offset_rad, dtype=float) / w) ** 2
    centred = fov_fraction(fov_half_angle_rad, spot_half_angle_rad)
    return np.where(nc > 0, chndtr(x, 2.0, np.maximum(nc, 1e-300)), centred)


def tilt_variance_rad2(
    wavelength_m: ArrayLike, aperture_m: ArrayLike, r0_m: ArrayLike
) -> np.ndarray:
    """One-axis Z-tilt (angle-of-arrival) variance over an aperture ``D`` (Tyler 1994; Fried 1965)::

    sigma^2 = 0.182 (lambda / D)^2 (D / r0)^(5/3)   (rad^2)."""
    lam = np.asarray(wavelength_m, dtype=float)
    d = np.asarray(aperture_m, dtype=float)
    return 0.182 * (lam / d) ** 2 * (d / np.asarray(r0_m, dtype=float)) ** (5.0 / 3.0)


def uplink_beam(
    wavelength_m: float,
    vacuum_half_angle_rad: ArrayLike,
    aperture_m: float,
    r0_m: ArrayLike,
    tip_tilt_residual: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Long-term, short-term and wander angles of an uplink beam (all 1/e^2 half-angles, rad).

    The long-term far field of a beam whose turbulence sits at the transmitter is the telescope's
    long-exposure PSF (Fried 1966; Yura, Appl. Opt. 12, 1188 (1973)): the Gaussian of the
    vacuum divergence broadened in quadrature by the seeing disc (:func:`seeing_half_angle_rad`
    with no Airy term). Beam wander is the transmitter's Z-tilt (:func:`tilt_variance_rad2`, per
    axis); a centroid of per-axis variance ``s^2`` widens a Gaussian by ``W_LT^2 = W_ST^2 + 4 s^2``,
    so the short-term beam is ``sqrt(W_LT^2 - 4 s^2)`` (floored at the vacuum beam). Tip-tilt
    pre-compensation keeps the fraction ``tip_tilt_residual`` of the wander variance (point-ahead
    anisoplanatism and servo error; a profile number).

    Returns ``(long_term, short_term, residual_wander_per_axis)``.
    """
    th0 = np.asarray(vacuum_half_angle_rad, dtype=float)
    turb = (
        SEEING_FWHM_PER_LAMBDA_OVER_R0
        * wavelength_m
        / np.asarray(r0_m, dtype=float)
        / _FWHM_PER_1E2
    )
    lt = np.hypot(th0, turb)
    wander2 = tilt_variance_rad2(wavelength_m, aperture_m, r0_m)
    st = np.sqrt(np.maximum(lt**2 - 4.0 * wander2, th0**2))
    return lt, st, np.sqrt(tip_tilt_residual * wander2)
