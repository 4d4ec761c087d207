"""Formula-level vectors for the link budget (../shared/reference/README.md section 3, embedded
here with their citation) and independent cross-checks (numerical integration, Monte Carlo,
aotools)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from passplan.errors import InputError
from passplan.link import ao, atmosphere, background, beam, pointing, turbulence
from passplan.link.budget import link_budget
from passplan.link.slant import elevation_from_range_deg, slant_range_m
from passplan.units import loss_db


# --- slant range: 500 km orbit, sea level, R_E 6371 km (reference [computed]) ---
@pytest.mark.parametrize(("el", "km"), [(10.0, 1694.6), (30.0, 909.0), (90.0, 500.0)])
def test_slant_range_vectors(el: float, km: float) -> None:
    assert slant_range_m(el, 500e3) / 1e3 == pytest.approx(km, abs=0.6)


def test_slant_range_inverse() -> None:
    el = np.array([5.0, 20.0, 47.8, 89.0])
    back = elevation_from_range_deg(slant_range_m(el, 500e3, 893.0), 500e3, 893.0)
    assert np.allclose(back, el, atol=1e-9)


# --- Hufnagel-Valley 5/7 (reference [computed, cross-checked with aotools]) ---
def test_hv57_integral_r0_isoplanatic() -> None:
    m = turbulence.path_moments(0.0)
    assert m.mu0 == pytest.approx(2.235e-12, rel=2e-3)
    assert turbulence.fried_parameter_m(500e-9, 90.0, m.mu0) == pytest.approx(0.0496, rel=3e-3)
    assert turbulence.isoplanatic_angle_rad(500e-9, 90.0, m.mu53) == pytest.approx(
        6.89e-6, rel=3e-3
    )


def test_hv57_integral_against_quad() -> None:
    val, _ = quad(
        lambda h: float(turbulence.hufnagel_valley_cn2(h)),
        0.0,
        30e3,
        points=[100, 1000, 10e3],
        limit=200,
    )
    assert turbulence.path_moments(0.0).mu0 == pytest.approx(val, rel=1e-3)


@pytest.mark.parametrize(
    ("lam", "zenith_deg", "r0_cm"), [(850e-9, 0.0, 9.4), (850e-9, 60.0, 6.2), (1550e-9, 0.0, 19.3)]
)
def test_r0_vectors(lam: float, zenith_deg: float, r0_cm: float) -> None:
    m = turbulence.path_moments(0.0)
    assert turbulence.fried_parameter_m(lam, 90.0 - zenith_deg, m.mu0) * 100 == pytest.approx(
        r0_cm, abs=0.06
    )


@pytest.mark.parametrize(("zenith_deg", "rytov"), [(0.0, 0.127), (60.0, 0.451)])
def test_rytov_vectors(zenith_deg: float, rytov: float) -> None:
    m = turbulence.path_moments(0.0)
    assert turbulence.rytov_variance(850e-9, 90.0 - zenith_deg, m.mu56) == pytest.approx(
        rytov, rel=5e-3
    )


def test_site_altitude_lowers_turbulence() -> None:
    r0 = [
        turbulence.fried_parameter_m(850e-9, 90.0, turbulence.path_moments(h).mu0)
        for h in (0, 893, 5100)
    ]
    assert r0[0] < r0[1] < r0[2]


def test_aotools_cross_check() -> None:
    aotools = pytest.importorskip("aotools")
    h = np.linspace(0.0, 30e3, 300_001)
    cn2 = turbulence.hufnagel_valley_cn2(h)
    dh = np.full_like(h, h[1] - h[0])
    dh[[0, -1]] /= 2.0
    layers = cn2 * dh
    m = turbulence.path_moments(0.0)
    assert aotools.cn2_to_r0(layers.sum(), 500e-9) == pytest.approx(
        turbulence.fried_parameter_m(500e-9, 90.0, m.mu0), rel=2e-3
    )
    arcsec = math.pi / 180 / 3600  # aotools returns the isoplanatic angle in arcseconds
    assert aotools.isoplanaticAngle(layers, h, 500e-9) * arcsec == pytest.approx(
        turbulence.isoplanatic_angle_rad(500e-9, 90.0, m.mu53), rel=3e-3
    )


def test_greenwood_no_wind_scaling() -> None:
    # Greenwood 1977: f_G = 2.31 lambda^(-6/5) (sec z int Cn2 v^(5/3))^(3/5); for a uniform wind
    # v0 this is 0.427 v0 / r0 (Hardy 1998, eq. 9.58).
    prof = turbulence.Cn2Profile(ground_wind_m_s=10.0, jet_speed_m_s=0.0)
    m = turbulence.path_moments(0.0, prof)
    r0 = turbulence.fried_parameter_m(850e-9, 90.0, m.mu0)
    assert turbulence.greenwood_frequency_hz(850e-9, 90.0, m) == pytest.approx(
        0.427 * 10.0 / r0, rel=5e-3
    )


# --- beams ---
def test_gaussian_collection_vector() -> None:
    assert loss_db(beam.gaussian_collection(3.225, 0.5)) == pytest.approx(13.28, abs=0.01)


def test_gaussian_collection_annulus_matches_numeric() -> None:
    w, a, eps = 2.0, 0.7, 0.3

    def integrand(r: float) -> float:
        return 2.0 / (math.pi * w**2) * math.exp(-2 * r**2 / w**2) * 2 * math.pi * r

    val, _ = quad(integrand, eps * a, a)
    assert beam.gaussian_collection(w, a, eps) == pytest.approx(val, rel=1e-10)


def test_klein_degnan_optimum() -> None:
    alpha, gain = beam.klein_degnan_optimum(0.0)
    assert alpha == pytest.approx(1.121, abs=1e-3)
    assert gain == pytest.approx(0.8145, abs=1e-4)
    assert ao.smf_peak_coupling(0.0) == pytest.approx(0.8145, abs=1e-4)
    # an obscuration costs gain; Klein and Degnan's (1974) fit of the optimum:
    # alpha = 1.12 - 1.30 gamma^2 + 2.12 gamma^4
    for gamma in (0.1, 0.2, 0.3):
        a2, g2 = beam.klein_degnan_optimum(gamma)
        assert g2 < gain
        assert a2 == pytest.approx(1.12 - 1.30 * gamma**2 + 2.12 * gamma**4, abs=0.01)


def test_truncated_beam_limits() -> None:
    lam, a = 850e-9, 0.15
    theta, w0, t = beam.truncated_beam(lam, a, 3.0)  # barely truncated: plain Gaussian of waist a/3
    assert t == pytest.approx(1.0, abs=1e-2)
    assert theta == pytest.approx(lam / (math.pi * w0), rel=1e-2)


def test_divergence_conventions() -> None:
    # the Micius "10 urad" as a FWHM full angle is 8.5 urad 1/e^2 half-angle (reference [computed])
    assert beam.to_half_angle_1e2_rad(10e-6, "fwhm_full") * 1e6 == pytest.approx(8.49, abs=0.01)
    assert beam.to_half_angle_1e2_rad(10e-6, "full_1e2") == pytest.approx(5e-6)
    assert beam.to_half_angle_1e2_rad(10e-6, "half_1e2") == pytest.approx(10e-6)
    assert beam.to_half_angle_1e2_rad(5e-6, "fwhm_half") == pytest.approx(
        beam.to_half_angle_1e2_rad(10e-6, "fwhm_full")
    )


def test_pointing_matches_monte_carlo() -> None:
    rng = np.random.default_rng(1)
    w, s, b = 8.5e-6, 3e-6, 2e-6
    x = rng.normal(b, s, 400_000)
    y = rng.normal(0.0, s, 400_000)
    mc = np.mean(np.exp(-2 * (x**2 + y**2) / w**2))
    assert pointing.pointing_transmittance(s, b, w) == pytest.approx(mc, rel=5e-3)


# --- atmosphere ---
def test_kasten_young() -> None:
    assert atmosphere.kasten_young_airmass(90.0) == pytest.approx(1.0, abs=1e-3)
    assert atmosphere.kasten_young_airmass(0.0) == pytest.approx(
        37.92, abs=0.01
    )  # the fit's horizon value
    assert atmosphere.kasten_young_airmass(30.0) == pytest.approx(1.9942, abs=2e-3)


# MODTRAN-type transmittance, sea level, 23 km visibility (reference [data])
_MODTRAN = {850e-9: {90: 0.895, 30: 0.802, 10: 0.539}, 1550e-9: {90: 0.960, 30: 0.923, 10: 0.802}}


@pytest.mark.parametrize("lam", sorted(_MODTRAN))
def test_atmosphere_against_modtran(lam: float) -> None:
    tz = atmosphere.zenith_transmittance(lam, 0.0, 23.0)
    for el, ref in _MODTRAN[lam].items():
        assert atmosphere.slant_transmittance(tz, el) == pytest.approx(ref, rel=0.05), el


def test_atmosphere_clearer_higher() -> None:
    t = [atmosphere.zenith_transmittance(850e-9, h, 23.0) for h in (0.0, 893.0, 5100.0)]
    assert t[0] < t[1] < t[2] < 1.0
    assert atmosphere.zenith_transmittance(850e-9, 0.0, 5.0) < atmosphere.zenith_transmittance(
        850e-9, 0.0, 50.0
    )


# --- adaptive optics ---
def test_extended_marechal_limits() -> None:
    assert ao.strehl_extended_marechal(0.0, 10.0) == pytest.approx(1.0)
    assert ao.strehl_extended_marechal(50.0, 10.0) == pytest.approx(1 / 101, rel=1e-6)
    assert ao.strehl_extended_marechal(0.1, 0.0) == pytest.approx(1.0)


def test_noll_and_ao_ordering() -> None:
    assert ao.noll_residual_variance(3, 1.0) == pytest.approx(0.134)
    assert ao.noll_residual_variance(100, 1.0) == pytest.approx(0.2944 * 100 ** (-math.sqrt(3) / 2))
    kw = dict(
        aperture_m=0.4, r0_m=0.1, greenwood_hz=50.0, tyler_hz=5.0, tip_tilt_bandwidth_hz=200.0
    )
    none = ao.residual_phase_variance("none", **kw)
    tt = ao.residual_phase_variance("tip-tilt", **kw)
    full = ao.residual_phase_variance("ao", ao_bandwidth_hz=1000.0, actuators_across=12, **kw)
    assert none > tt > full > 0


# --- background ---
def test_day_night_ratio_850() -> None:
    # daytime clear sky 2e-3..2e-2, night 5e-9..5e-7 W m^-2 sr^-1 nm^-1: ratio 1e4..1e6 (reference)
    day = background.sky_radiance(
        850e-9, 45.0, sun_elevation_deg=45.0, sun_separation_deg=90.0, sky="rural"
    )
    night = background.sky_radiance(850e-9, 45.0, sky="rural")
    assert 2e-3 <= day <= 2e-2
    assert 1e4 <= day / night <= 1e6
    for sky, ref in (("dark", 5e-9), ("rural", 5e-8), ("urban", 5e-7)):
        assert background.night_sky_radiance(850e-9, sky) == pytest.approx(ref, rel=1e-6)


def test_day_sky_ranges_and_spectrum() -> None:
    el, sun, sep = np.meshgrid([20.0, 45.0, 80.0], [15.0, 45.0, 70.0], [40.0, 90.0, 150.0])
    day = background.day_sky_radiance(850e-9, el, sun, sep)
    assert day.min() > 1e-3 and day.max() < 3e-2
    ratio = background.day_sky_radiance(850e-9, 45, 45, 90) / background.day_sky_radiance(
        1550e-9, 45, 45, 90
    )
    assert ratio == pytest.approx(10.0, rel=0.05)
    # brighter towards the Sun
    assert background.day_sky_radiance(850e-9, 45, 45, 20) > background.day_sky_radiance(
        850e-9, 45, 45, 120
    )


def test_twilight_monotonic() -> None:
    sun = np.array([10.0, 0.0, -6.0, -12.0, -17.9, -20.0])
    r = background.sky_radiance(850e-9, 45.0, sun_elevation_deg=sun, sun_separation_deg=90.0)
    assert np.all(np.diff(r) <= 0)
    assert r[-1] == pytest.approx(5e-9)


def test_moon_brightness() -> None:
    full, half, new = background.moon_brightness_ratio([1.0, 0.5, 0.0])
    assert full == pytest.approx(2.5e-6, rel=0.05)  # -12.73 vs -26.74 mag
    assert 0 < half < full / 5 and new == 0.0


def test_photon_rate_units() -> None:
    # 1e-3 W m^-2 sr^-1 nm^-1 through 1 m^2 sr, 1 nm, eff 1 at 850 nm: 1e-3 W / (h c / lambda)
    n = background.photon_rate_cps(1e-3, 850e-9, 1.0, 1.0, 1.0)
    assert n == pytest.approx(1e-3 / (6.62607015e-34 * 299792458.0 / 850e-9), rel=1e-9)
    assert background.smf_etendue_m2_sr(1550e-9) == pytest.approx(1550e-9**2)


# --- wrong inputs reach the caller as InputError with what was given, what is expected, the fix ---
def test_unknown_correction_mode_teaches() -> None:
    with pytest.raises(InputError, match=r"correction mode 'tip_tilt' is not one of 'none', 'tip-tilt', 'ao'; did you mean 'tip-tilt'\?"):
        ao.residual_phase_variance("tip_tilt", aperture_m=1.0, r0_m=0.1, greenwood_hz=30.0,
                                   tyler_hz=5.0)


@pytest.mark.parametrize("alt", [30_000.0, 35_000.0, float("nan")])
def test_site_above_the_turbulence_profile_teaches(alt: float) -> None:
    with pytest.raises(InputError, match=r"site altitude .* m is not below the top of the turbulence profile \(30000 m\).*altitude above sea level in metres"):
        turbulence.path_moments(alt)


def test_site_above_the_profile_through_the_budget() -> None:
    with pytest.raises(InputError, match="turbulence profile"):
        link_budget("micius", elevation_deg=np.array([45.0]), site_alt_m=31_000.0)


def test_trapezoid_matches_scipy() -> None:
    """turbulence's own trapezoid rule (no scipy at import) is scipy's, batch axis included."""
    from scipy.integrate import trapezoid

    z = np.concatenate(([0.0], np.geomspace(0.01, 30e3, 99)))
    y = np.exp(-z / 1500.0)[None, :] * np.array([[1.0], [2.5], [0.3]])
    assert np.allclose(turbulence._trapezoid(y, z), trapezoid(y, z, axis=-1), rtol=1e-14, atol=0)
