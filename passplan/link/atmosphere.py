"""Clear-sky atmospheric transmittance: Kasten-Young airmass and a Rayleigh + aerosol zenith model.

Clouds are not a transmittance here: a profile's ``clear_sky_probability`` is an availability
factor reported apart (a cloudy sample has no link, not a weaker one).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "VISIBILITY_CLASSES_KM",
    "RAYLEIGH_SCALE_HEIGHT_M",
    "AEROSOL_SCALE_HEIGHT_M",
    "ANGSTROM_EXPONENT",
    "kasten_young_airmass",
    "rayleigh_optical_depth",
    "aerosol_optical_depth",
    "zenith_transmittance",
    "slant_transmittance",
    "air_refractivity",
    "dispersion_offset_rad",
]

#: Meteorological visibility (km) of the named classes. 23 km is the "clear" standard visibility of
#: MODTRAN's rural aerosol model; the others are assumed round numbers for a clearer or hazier day.
VISIBILITY_CLASSES_KM: dict[str, float] = {
    "exceptional": 50.0,
    "clear": 23.0,
    "light-haze": 10.0,
    "haze": 5.0,
}

#: Pressure scale height for the Rayleigh optical depth (US Standard Atmosphere 1976, ~8.4 km).
RAYLEIGH_SCALE_HEIGHT_M = 8_434.0
#: Aerosol scale height. Fitted: 1.1 km together with ANGSTROM_EXPONENT reproduces the
#: MODTRAN-type zenith transmittances 0.895 (850 nm) and 0.960 (1550 nm) at sea level for 23 km
#: visibility (../shared/reference/README.md section 3) to 0.2 %; Elterman's (1968) profile has
#: about 1.2 km.
AEROSOL_SCALE_HEIGHT_M = 1_100.0
#: Angstrom exponent of the aerosol optical depth. Fitted with the scale height above (1.45);
#: Angstrom (1929) gave 1.3 for an average continental aerosol.
ANGSTROM_EXPONENT = 1.45
_KOSCHMIEDER = 3.912  # ln(1/0.02): 2 % contrast threshold (Koschmieder 1924)
_RAYLEIGH_550_PER_M = (
    1.16e-5  # sea-level Rayleigh extinction at 550 nm (Bucholtz, Appl. Opt. 34, 2765 (1995))
)


def kasten_young_airmass(elevation_deg: ArrayLike) -> np.ndarray:
    """Relative optical airmass, Kasten and Young, Appl. Opt. 28, 4735 (1989)::

        m = 1 / (sin h + 0.50572 (h + 6.07995 deg)^-1.6364),  h the elevation in degrees.

    Finite at the horizon (38.1); 1 at the zenith.
    """
    h = np.asarray(elevation_deg, dtype=float)
    return 1.0 / (np.sin(np.radians(h)) + 0.50572 * (h + 6.07995) ** -1.6364)


def rayleigh_optical_depth(wavelength_m: ArrayLike, site_alt_m: ArrayLike = 0.0) -> np.ndarray:
    """Vertical Rayleigh optical depth above a site.

    Hansen and Travis, Space Sci. Rev. 16, 527 (1974), eq. 2.29, at sea-level pressure, with
    lambda in micrometres::

        tau_R = 0.008569 lambda^-4 (1 + 0.0113 lambda^-2 + 0.00013 lambda^-4)

    scaled by the pressure ratio ``exp(-z / 8434 m)`` for a site at altitude ``z``.
    """
    lam_um = np.asarray(wavelength_m, dtype=float) * 1e6
    tau0 = 0.008569 * lam_um**-4 * (1.0 + 0.0113 * lam_um**-2 + 0.00013 * lam_um**-4)
    return tau0 * np.exp(-np.asarray(site_alt_m, dtype=float) / RAYLEIGH_SCALE_HEIGHT_M)


def aerosol_optical_depth(
    wavelength_m: ArrayLike,
    visibility_km: ArrayLike,
    site_alt_m: ArrayLike = 0.0,
    angstrom_exponent: float = ANGSTROM_EXPONENT,
    scale_height_m: float = AEROSOL_SCALE_HEIGHT_M,
) -> np.ndarray:
    """Vertical aerosol optical depth from the meteorological visibility.

    Koschmieder's law gives the 550 nm surface extinction ``3.912 / V`` (minus the Rayleigh part);
    an exponential aerosol profile of scale height ``H`` turns it into a column, and the Angstrom
    law ``tau(lambda) = tau(550 nm) (lambda / 550 nm)^-q`` (Angstrom, Geogr. Ann. 11, 156 (1929))
    carries it to other wavelengths. A site at altitude ``z`` sees ``exp(-z / H)`` of the column
    (sea-level visibility assumed).
    """
    vis_m = np.asarray(visibility_km, dtype=float) * 1e3
    beta550 = np.maximum(_KOSCHMIEDER / vis_m - _RAYLEIGH_550_PER_M, 0.0)
    tau550 = beta550 * scale_height_m
    lam = np.asarray(wavelength_m, dtype=float)
    return (
        tau550
        * (lam / 550e-9) ** (-angstrom_exponent)
        * np.exp(-np.asarray(site_alt_m, dtype=float) / scale_height_m)
    )


def zenith_transmittance(
    wavelength_m: float,
    site_alt_m: float = 0.0,
    visibility_km: float = VISIBILITY_CLASSES_KM["clear"],
) -> float:
    """Clear-sky zenith transmittance ``exp(-(tau_R + tau_A))`` (Beer-Lambert law).

    Molecular absorption is neglected: 850 nm and 1550 nm sit in windows. At sea level, 23 km
    visibility, it gives 0.896 at 850 nm and 0.960 at 1550 nm (MODTRAN-type: 0.895, 0.960).
    """
    tau = rayleigh_optical_depth(wavelength_m, site_alt_m) + aerosol_optical_depth(
        wavelength_m, visibility_km, site_alt_m
    )
    return float(math.exp(-float(tau)))


def slant_transmittance(t_zenith: ArrayLike, elevation_deg: ArrayLike) -> np.ndarray:
    """``T_zen ** m(elevation)`` with the Kasten-Young airmass (plane-parallel Beer-Lambert law
    with a refraction- and curvature-corrected path; Kasten and Young 1989)."""
    return np.asarray(t_zenith, dtype=float) ** kasten_young_airmass(elevation_deg)


def air_refractivity(wavelength_m: ArrayLike, site_alt_m: ArrayLike = 0.0) -> np.ndarray:
    """Refractivity ``n - 1`` of dry air at the site (plane-parallel ground value).

    Ciddor, Appl. Opt. 35, 1566 (1996), eq. (1), standard dry air (15 deg C, 101 325 Pa, 450 ppm
    CO2), with ``s = 1 / lambda`` in inverse micrometres::

        (n - 1) 1e8 = 5792105 / (238.0185 - s^2) + 167917 / (57.362 - s^2)

    scaled to the site by the pressure ratio ``exp(-z / 8434 m)`` (density at the standard
    temperature; the dispersion it feeds is a difference of two such numbers, so the temperature
    matters at the few-per-cent level). 2.7478e-4 at 848.6 nm at sea level.
    """
    s2 = (np.asarray(wavelength_m, dtype=float) * 1e6) ** -2
    n1 = (5792105.0 / (238.0185 - s2) + 167917.0 / (57.362 - s2)) * 1e-8
    return n1 * np.exp(-np.asarray(site_alt_m, dtype=float) / RAYLEIGH_SCALE_HEIGHT_M)


def dispersion_offset_rad(
    wavelength_m: float, beacon_wavelength_m: float, elevation_deg: ArrayLike, site_alt_m: float = 0.0
) -> np.ndarray:
    """Angle between the apparent directions of a beacon and the signal (rad, >= 0).

    Astronomical refraction lifts a source by ``R = (n - 1) tan(z)`` (plane-parallel law, good to
    about 1 % above 15 deg elevation; Smart, *Textbook on Spherical Astronomy*, 6th ed. (1977),
    ch. III), so two wavelengths from one satellite arrive ``|n(beacon) - n(signal)| tan(z)``
    apart. A ground station that centres the beacon in its field stop holds the signal's image
    that far off centre: 2.7 urad at 49 deg and 8.6 urad at 20 deg elevation for Micius's 532 nm
    beacon and 848.6 nm signal at Xinglong (893 m).
    """
    el = np.asarray(elevation_deg, dtype=float)
    dn = np.abs(air_refractivity(beacon_wavelength_m, site_alt_m) - air_refractivity(wavelength_m, site_alt_m))
    return dn / np.tan(np.radians(np.clip(el, 1e-3, 90.0)))
