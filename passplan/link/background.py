"""Sky background: radiance of the day, twilight, night and moonlit sky (and of the Earth seen by
an uplink receiver), and the photon rate a receiver collects from it.

Radiances are spectral, in W m^-2 sr^-1 nm^-1 (the unit the literature quotes); everything else SI.
The model is an order-of-magnitude one, built to land in the published ranges
(../shared/reference/README.md section 3): clear daytime sky at 850 nm 2e-3 to 2e-2, night 5e-9
(dark site) to 5e-7 (urban), about 10x less daytime sky at 1550 nm.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from ..units import C_M_S, H_J_S

__all__ = [
    "SKY_CLASSES",
    "DAY_CALIBRATION",
    "solar_irradiance_w_m2_nm",
    "zenith_luminance_kcd_m2",
    "cie_clear_sky_relative",
    "day_sky_radiance",
    "twilight_factor",
    "moon_brightness_ratio",
    "moon_sky_radiance",
    "night_sky_radiance",
    "sky_radiance",
    "earth_radiance",
    "multimode_etendue_m2_sr",
    "smf_etendue_m2_sr",
    "photon_rate_cps",
]

#: Night-sky classes: artificial light added to the natural night sky, W m^-2 sr^-1 nm^-1 (flat
#: in wavelength, assumed). With the natural 5e-9 at 850 nm they give the reference's 5e-9
#: (dark), 5e-8 (rural) and 5e-7 (urban).
SKY_CLASSES: dict[str, float] = {"dark": 0.0, "rural": 4.5e-8, "urban": 4.95e-7}

#: Calibration of the daytime model. Fitted: a clear sky (turbidity 3) with the Sun at 45 deg,
#: looked at 45 deg high and 90 deg from the Sun, has 5e-3 W m^-2 sr^-1 nm^-1 at 850 nm, the
#: geometric middle of the reference's 2e-3 to 2e-2. The spectral slope (lambda^-3.83) makes the
#: day sky 10x fainter at 1550 nm than at 850 nm (reference), a mix of Rayleigh (lambda^-4 times
#: the solar spectrum) and aerosol scattering.
DAY_CALIBRATION = {"radiance_850": 5e-3, "sun_el": 45.0, "los_el": 45.0, "sep": 90.0, "slope": 3.83}

#: Twilight: scattered sunlight falls by 0.45 decades per degree of solar depression (assumed;
#: straight line through typical zenith luminances of ~1.8 kcd/m^2 at sunset, a few cd/m^2 at
#: -6 deg and ~0.01 cd/m^2 at -12 deg, Rozenberg, *Twilight*, 1966) and is gone below -18 deg.
TWILIGHT_DECADES_PER_DEG = 0.45

_NATURAL_NIGHT = ((850e-9, 5e-9), (1550e-9, 1.2e-7))  # see night_sky_radiance
_T_SUN_K = 5772.0  # IAU 2015 Resolution B3 nominal solar effective temperature
_R_SUN_M = 6.957e8
_AU_M = 1.495978707e11
# CIE standard clear sky (type 12), CIE S 011/E:2003 (Kittler, Perez, Darula)
_CIE_A, _CIE_B, _CIE_C, _CIE_D, _CIE_E = -1.0, -0.32, 10.0, -3.0, 0.45


def solar_irradiance_w_m2_nm(wavelength_m: ArrayLike) -> np.ndarray:
    """Top-of-atmosphere solar spectral irradiance as a 5772 K blackbody (Planck's law) seen
    through the solid angle of the solar disc at 1 au: ``pi B_lambda(T) (R_sun / au)^2``."""
    lam = np.asarray(wavelength_m, dtype=float)
    b = 2.0 * H_J_S * C_M_S**2 / lam**5 / np.expm1(H_J_S * C_M_S / (lam * 1.380649e-23 * _T_SUN_K))
    return math.pi * b * (_R_SUN_M / _AU_M) ** 2 * 1e-9


def zenith_luminance_kcd_m2(source_elevation_deg: ArrayLike, turbidity: float = 3.0) -> np.ndarray:
    """Clear-sky zenith luminance (kcd/m^2) for a source (Sun) at the given elevation.

    Karayel, Navvab, Ne'eman and Selkowitz, Energy Build. 6, 283 (1984), in the form of Preetham,
    Shirley and Smits, SIGGRAPH 1999, appendix A.2::

        Y_z = (4.0453 T - 4.9710) tan chi - 0.2155 T + 2.4192,
        chi = (4/9 - T/120)(pi - 2 theta_s),  theta_s the solar zenith angle.

    Evaluated with the source elevation clipped to [0, 90] deg.
    """
    ts = np.radians(90.0 - np.clip(np.asarray(source_elevation_deg, dtype=float), 0.0, 90.0))
    chi = (4.0 / 9.0 - turbidity / 120.0) * (math.pi - 2.0 * ts)
    return (4.0453 * turbidity - 4.9710) * np.tan(chi) - 0.2155 * turbidity + 2.4192


def cie_clear_sky_relative(
    elevation_deg: ArrayLike, source_elevation_deg: ArrayLike, separation_deg: ArrayLike
) -> np.ndarray:
    """Sky radiance relative to the zenith's, CIE standard clear sky (CIE S 011/E:2003, type 12)::

        L / L_z = f(chi) phi(Z) / (f(Z_s) phi(0))
        phi(Z) = 1 + a exp(b / cos Z),  f(chi) = 1 + c (exp(d chi) - exp(d pi/2)) + e cos^2 chi

    ``Z`` the zenith angle of the line of sight, ``Z_s`` the source's (clipped to the horizon),
    ``chi`` their separation; a, b, c, d, e = -1, -0.32, 10, -3, 0.45.
    """
    z = np.radians(90.0 - np.clip(np.asarray(elevation_deg, dtype=float), 0.5, 90.0))
    zs = np.radians(90.0 - np.clip(np.asarray(source_elevation_deg, dtype=float), 0.0, 90.0))
    chi = np.radians(np.clip(np.asarray(separation_deg, dtype=float), 0.25, 180.0))

    def grad(zen: np.ndarray | float) -> np.ndarray:
        return 1.0 + _CIE_A * np.exp(_CIE_B / np.cos(zen))

    def indic(ang: np.ndarray) -> np.ndarray:
        return (
            1.0
            + _CIE_C * (np.exp(_CIE_D * ang) - math.exp(_CIE_D * math.pi / 2.0))
            + _CIE_E * np.cos(ang) ** 2
        )

    return indic(chi) * grad(z) / (indic(zs) * grad(0.0))


def _spectral_scale(wavelength_m: ArrayLike) -> np.ndarray:
    return (np.asarray(wavelength_m, dtype=float) / 850e-9) ** (-DAY_CALIBRATION["slope"])


def _k850() -> float:
    c = DAY_CALIBRATION
    ref = zenith_luminance_kcd_m2(c["sun_el"]) * cie_clear_sky_relative(
        c["los_el"], c["sun_el"], c["sep"]
    )
    return c["radiance_850"] / float(ref)


_K850 = _k850()


def twilight_factor(sun_elevation_deg: ArrayLike) -> np.ndarray:
    """Scattered-sunlight factor: 1 with the Sun up, ``10^(0.45 h)`` for -18 < h < 0, 0 below."""
    h = np.asarray(sun_elevation_deg, dtype=float)
    f = 10.0 ** (TWILIGHT_DECADES_PER_DEG * np.minimum(h, 0.0))
    return np.where(h > -18.0, f, 0.0)


def day_sky_radiance(
    wavelength_m: ArrayLike,
    elevation_deg: ArrayLike,
    sun_elevation_deg: ArrayLike,
    sun_separation_deg: ArrayLike,
    turbidity: float = 3.0,
) -> np.ndarray:
    """Scattered sunlight (day and twilight), W m^-2 sr^-1 nm^-1.

    Zenith luminance (:func:`zenith_luminance_kcd_m2`) times the CIE clear-sky distribution
    (:func:`cie_clear_sky_relative`) times a luminance-to-850 nm factor fitted to
    ``DAY_CALIBRATION`` and the spectral slope; below the horizon the Sun is held at 0 deg and the
    result scaled by :func:`twilight_factor`. Within a fraction of a degree of the Sun the model
    is not meant to hold (it is clipped at 0.25 deg).
    """
    sun_el = np.asarray(sun_elevation_deg, dtype=float)
    shape = zenith_luminance_kcd_m2(sun_el, turbidity) * cie_clear_sky_relative(
        elevation_deg, sun_el, sun_separation_deg
    )
    return _K850 * _spectral_scale(wavelength_m) * shape * twilight_factor(sun_el)


def moon_brightness_ratio(illuminated_fraction: ArrayLike) -> np.ndarray:
    """Moon illuminance relative to the Sun's, from the illuminated fraction ``k``.

    Phase angle ``alpha = arccos(2k - 1)``; Moon magnitude ``-12.73 + 0.026 |alpha| + 4e-9
    alpha^4`` (alpha in degrees; Krisciunas and Schaefer, PASP 103, 1033 (1991), eq. 20) against
    the Sun's -26.74.
    """
    k = np.clip(np.asarray(illuminated_fraction, dtype=float), 0.0, 1.0)
    alpha = np.degrees(np.arccos(2.0 * k - 1.0))
    mag = -12.73 + 0.026 * alpha + 4e-9 * alpha**4
    return np.where(k > 0.0, 10.0 ** (-0.4 * (mag + 26.74)), 0.0)


def moon_sky_radiance(
    wavelength_m: ArrayLike,
    elevation_deg: ArrayLike,
    moon_elevation_deg: ArrayLike,
    moon_separation_deg: ArrayLike,
    illuminated_fraction: ArrayLike,
    turbidity: float = 3.0,
) -> np.ndarray:
    """Moonlit sky: the daytime model with the Moon as the source, scaled by
    :func:`moon_brightness_ratio` (moonlight is reflected sunlight; the sky scatters it alike, as
    Krisciunas and Schaefer 1991 assume). Zero with the Moon below the horizon."""
    mel = np.asarray(moon_elevation_deg, dtype=float)
    shape = zenith_luminance_kcd_m2(mel, turbidity) * cie_clear_sky_relative(
        elevation_deg, mel, moon_separation_deg
    )
    ratio = moon_brightness_ratio(illuminated_fraction)
    return np.where(mel > 0.0, _K850 * _spectral_scale(wavelength_m) * shape * ratio, 0.0)


def night_sky_radiance(wavelength_m: ArrayLike, sky: str = "dark") -> np.ndarray:
    """Moonless night sky, W m^-2 sr^-1 nm^-1: natural (airglow, zodiacal light, starlight) plus
    the artificial light of the sky class (:data:`SKY_CLASSES`).

    Natural: 5e-9 at 850 nm (reference, dark site) and 1.2e-7 at 1550 nm, where OH airglow makes
    the near-infrared night sky bright (computed: 14 mag/arcsec^2 in H with Bessell's zero point
    1.13e-9 W m^-2 um^-1); power law in between, held constant outside 850 to 1550 nm.
    """
    if sky not in SKY_CLASSES:
        from ..errors import UnknownNameError

        raise UnknownNameError("sky class", sky, SKY_CLASSES)
    (l1, n1), (l2, n2) = _NATURAL_NIGHT
    lam = np.clip(np.asarray(wavelength_m, dtype=float), l1, l2)
    slope = math.log(n2 / n1) / math.log(l2 / l1)
    return n1 * (lam / l1) ** slope + SKY_CLASSES[sky]


def sky_radiance(
    wavelength_m: ArrayLike,
    elevation_deg: ArrayLike,
    sun_elevation_deg: ArrayLike = -90.0,
    sun_separation_deg: ArrayLike = 180.0,
    moon_elevation_deg: ArrayLike = -90.0,
    moon_separation_deg: ArrayLike = 180.0,
    moon_illumination: ArrayLike = 0.0,
    sky: str = "dark",
    turbidity: float = 3.0,
) -> np.ndarray:
    """Total sky radiance along a ground station's line of sight (sum of the three sources)."""
    return (
        day_sky_radiance(
            wavelength_m, elevation_deg, sun_elevation_deg, sun_separation_deg, turbidity
        )
        + moon_sky_radiance(
            wavelength_m,
            elevation_deg,
            moon_elevation_deg,
            moon_separation_deg,
            moon_illumination,
            turbidity,
        )
        + night_sky_radiance(wavelength_m, sky)
    )


#: Night-time ground radiance seen from orbit by class (W m^-2 sr^-1 nm^-1; assumed from typical
#: VIIRS day-night-band radiances of 1e-10 (unlit), 1e-9 (rural) and 1e-8 W cm^-2 sr^-1 (city)
#: spread over its 0.5 to 0.9 um band).
EARTH_NIGHT_CLASSES: dict[str, float] = {"dark": 2.5e-9, "rural": 2.5e-8, "urban": 2.5e-7}


def earth_radiance(
    wavelength_m: ArrayLike,
    sun_elevation_deg: ArrayLike = -90.0,
    moon_elevation_deg: ArrayLike = -90.0,
    moon_illumination: ArrayLike = 0.0,
    sky: str = "dark",
    albedo: float = 0.3,
    t_zenith: float = 1.0,
) -> np.ndarray:
    """Radiance of the ground around an uplink station as seen by the satellite.

    Lambertian ground of albedo ``rho`` (0.3 assumed): ``rho E sin(h) T^2 / pi`` for the Sun and
    the Moon (``E`` from :func:`solar_irradiance_w_m2_nm` and :func:`moon_brightness_ratio`,
    ``T`` the zenith transmittance), plus city lights (:data:`EARTH_NIGHT_CLASSES`).
    """
    if sky not in EARTH_NIGHT_CLASSES:
        from ..errors import UnknownNameError

        raise UnknownNameError("sky class", sky, EARTH_NIGHT_CLASSES)
    e_sun = solar_irradiance_w_m2_nm(wavelength_m)
    sun = np.sin(np.radians(np.clip(np.asarray(sun_elevation_deg, dtype=float), 0.0, 90.0)))
    moon = np.sin(np.radians(np.clip(np.asarray(moon_elevation_deg, dtype=float), 0.0, 90.0)))
    lit = (
        albedo
        * e_sun
        * t_zenith**2
        / math.pi
        * (sun + moon * moon_brightness_ratio(moon_illumination))
    )
    return lit + EARTH_NIGHT_CLASSES[sky]


def multimode_etendue_m2_sr(
    aperture_radius_m: float, obscuration_ratio: float, fov_half_angle_rad: float
) -> float:
    """Etendue of a multimode receiver: collecting area ``pi a^2 (1 - eps^2)`` times the field of
    view's solid angle ``2 pi (1 - cos phi)``."""
    area = math.pi * aperture_radius_m**2 * (1.0 - obscuration_ratio**2)
    return area * 2.0 * math.pi * (1.0 - math.cos(fov_half_angle_rad))


def smf_etendue_m2_sr(wavelength_m: float) -> float:
    """Etendue of one spatial mode, ``lambda^2`` (antenna theorem; Siegman, Appl. Opt. 5, 1588
    (1966)); both polarisations of the mode are accepted."""
    return wavelength_m**2


def photon_rate_cps(
    radiance_w_m2_sr_nm: ArrayLike,
    wavelength_m: float,
    etendue_m2_sr: float,
    filter_nm: float,
    efficiency: ArrayLike,
) -> np.ndarray:
    """Detected background photons per second::

    N = L A Omega d_lambda eta / (h c / lambda)."""
    power = np.asarray(radiance_w_m2_sr_nm, dtype=float) * etendue_m2_sr * filter_nm
    return power * np.asarray(efficiency, dtype=float) * wavelength_m / (H_J_S * C_M_S)
