"""The link budget: whole arrays of pass geometry in, transmittance and background per sample out.

``link_budget(profile, elevation_deg=..., range_m=..., sun_elevation_deg=..., ...)`` returns a
:class:`LinkSeries` whose ``eta`` (channel transmittance including detector efficiency and
dead-time saturation) and ``background_prob_per_gate`` feed the key estimator. The loss terms are
in dB and multiply back to ``eta`` exactly::

    total_loss_db = transmitter_db + geometric_db + pointing_db + atmosphere_db
                    + turbulence_db + receiver_db + detector_db

Samples at or below the horizon carry ``eta = 0``, NaN loss terms and a ``reason``; they never
stop the batch. Elevations above 90 deg or not finite are malformed input and raise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputError, UnknownNameError
from ..units import MU_EARTH_M3_S2, R_EARTH_M, loss_db
from . import background as bg
from .ao import (
    residual_phase_variance,
    smf_peak_coupling,
    strehl_extended_marechal,
    wavefront_strehl,
)
from .atmosphere import dispersion_offset_rad, slant_transmittance, zenith_transmittance
from .beam import (
    beam_radius_m,
    gaussian_collection,
    klein_degnan_optimum,
    truncated_beam,
    truncation_transmittance,
)
from .detectors import click_probability, dead_time_factor
from .pointing import pointing_transmittance
from .profiles import Profile, load_profile
from .slant import slant_range_m
from .terms import LOSS_TERMS
from .turbulence import (
    Cn2Profile,
    day_profile,
    fov_fraction,
    fov_fraction_offset,
    fried_parameter_m,
    greenwood_frequency_hz,
    isoplanatic_angle_rad,
    path_moments,
    rytov_variance,
    seeing_half_angle_rad,
    tilt_variance_rad2,
    tyler_frequency_hz,
    uplink_beam,
)

__all__ = ["LinkSeries", "link_budget", "slew_rate_estimate_rad_s", "LOSS_TERMS"]

OMEGA_EARTH_RAD_S = 7.292115e-5  # IERS conventions
#: The daytime turbulence profile applies while the Sun's centre is above the horizon.
DAY_SUN_ELEVATION_DEG = 0.0

@dataclass(frozen=True, slots=True, eq=False)
class LinkSeries:
    """Per-sample link budget (numpy arrays of one shape) plus the profile's scalars.

    Terms (dB, positive = loss): ``transmitter_db`` (space or ground transmit optics and aperture
    truncation), ``geometric_db`` (diffraction/divergence: vacuum beam collected by the receive
    aperture), ``pointing_db`` (transmit jitter and bias), ``atmosphere_db`` (clear-sky
    extinction), ``turbulence_db`` (field-stop clipping or fibre coupling for a downlink, beam
    spread and wander for an uplink, relative to no turbulence), ``receiver_db`` (receive optics
    and the turbulence-free field-stop or fibre coupling), ``detector_db`` (efficiency and
    dead-time saturation). ``background_cps`` is the detected sky (or Earth) light before
    saturation; ``dark_cps`` all detectors' dark counts; ``background_prob_per_gate`` the
    probability that the receiver (any detector) clicks without signal in one gate, dark counts
    and saturation included, and ``..._per_detector`` the same for one detector.
    """

    profile: str
    direction: str
    wavelength_m: float
    clear_sky_probability: float
    site_alt_m: float
    elevation_deg: np.ndarray
    range_m: np.ndarray
    eta: np.ndarray
    total_loss_db: np.ndarray
    transmitter_db: np.ndarray
    geometric_db: np.ndarray
    pointing_db: np.ndarray
    atmosphere_db: np.ndarray
    turbulence_db: np.ndarray
    receiver_db: np.ndarray
    detector_db: np.ndarray
    sky_radiance_w_m2_sr_nm: np.ndarray
    background_cps: np.ndarray
    dark_cps: np.ndarray
    saturation_factor: np.ndarray
    background_prob_per_gate: np.ndarray
    background_prob_per_gate_per_detector: np.ndarray
    r0_m: np.ndarray
    isoplanatic_angle_rad: np.ndarray
    rytov_variance: np.ndarray
    greenwood_hz: np.ndarray
    beam_radius_m: np.ndarray
    strehl: np.ndarray
    valid: np.ndarray
    reason: np.ndarray

    def record(self, index: int | tuple[int, ...] = 0) -> dict[str, Any]:
        """One sample as a flat dict of plain numbers (the CLI's JSON object)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray):
                x = v[index] if v.ndim else v[()]
                out[f.name] = x.item() if hasattr(x, "item") else x
            else:
                out[f.name] = v
        out["transmittance"] = out["eta"]
        return out

    def to_records(self) -> list[dict[str, Any]]:
        """Every sample as a dict (flattened order)."""
        shape = self.eta.shape
        return [
            self.record(tuple(int(j) for j in np.unravel_index(i, shape))) for i in range(self.eta.size)
        ]


def slew_rate_estimate_rad_s(
    range_m: ArrayLike, orbit_alt_m: float, inclination_deg: float = 0.0
) -> np.ndarray:
    """Upper-bound angular rate of the line of sight: ground-relative orbital speed over range.

    ``v = |sqrt(mu / a) - omega_E a cos i|`` (circular orbit against the Earth's rotation, zero
    for a geostationary satellite), all of it taken as transverse: ``omega = v / L``. The pass
    engine may pass the true rate instead.
    """
    a = R_EARTH_M + orbit_alt_m
    v = abs(
        math.sqrt(MU_EARTH_M3_S2 / a)
        - OMEGA_EARTH_RAD_S * a * math.cos(math.radians(inclination_deg))
    )
    return v / np.asarray(range_m, dtype=float)


def _turbulence(
    lam: float, ground_aperture_m: float, site_alt: float, cn2: Cn2Profile, el: np.ndarray,
    slew: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """r0, isoplanatic angle, Rytov variance, Greenwood and Tyler frequencies along the path."""
    m = path_moments(site_alt, cn2)
    return (
        fried_parameter_m(lam, el, m.mu0),
        isoplanatic_angle_rad(lam, el, m.mu53),
        rytov_variance(lam, el, m.mu56),
        greenwood_frequency_hz(lam, el, m, slew),
        tyler_frequency_hz(lam, ground_aperture_m, el, m, slew),
    )


def _as_profile(profile: Profile | str) -> Profile:
    return profile if isinstance(profile, Profile) else load_profile(profile)


def _receiver_stops(p: Profile) -> tuple[float, float]:
    """The receiver's field-stop half-angle (NaN for a single-mode fibre, which needs none) and
    filter bandwidth, refused when missing (a profile read from TOML always has them)."""
    rx = p.receiver
    if rx.filter_nm is None:
        raise InputError(
            f"profile {p.name!r}: the receiver has no filter_nm; give the spectral filter's "
            "bandwidth in nm (it sets the sky background)"
        )
    if rx.coupling == "smf":
        return math.nan, rx.filter_nm
    if rx.fov_half_angle_rad is None:
        raise InputError(
            f"profile {p.name!r}: the multimode receiver has no fov_half_angle_rad; give the field "
            "stop's half-angle in rad (it sets the turbulent-spot clipping and the sky "
            "background), or coupling='smf'"
        )
    return rx.fov_half_angle_rad, rx.filter_nm


def link_budget(
    profile: Profile | str,
    *,
    elevation_deg: ArrayLike,
    range_m: ArrayLike | None = None,
    sun_elevation_deg: ArrayLike = -90.0,
    sun_separation_deg: ArrayLike = 180.0,
    moon_elevation_deg: ArrayLike = -90.0,
    moon_separation_deg: ArrayLike = 180.0,
    moon_illumination: ArrayLike = 0.0,
    sky: str | None = None,
    site_alt_m: float | None = None,
    visibility_km: float | None = None,
    slew_rate_rad_s: ArrayLike | None = None,
    signal_cps: ArrayLike = 0.0,
) -> LinkSeries:
    """Transmittance, loss terms and background for every sample of a pass (arrays broadcast).

    ``range_m`` defaults to the circular-orbit slant range at the profile's orbit altitude;
    ``site_alt_m``, ``sky`` and ``visibility_km`` default to the profile's site. Sun and Moon
    angles are degrees (separation = angle between the body and the line of sight);
    ``moon_illumination`` is the illuminated fraction. ``signal_cps`` (detected signal rate,
    optional) only enters the dead-time saturation. While the Sun is above the horizon the
    turbulence is the profile's daytime Hufnagel-Valley profile (stronger ground layer,
    :func:`~passplan.link.turbulence.day_profile`); a receiver with ``tracking_beacon_m`` holds the
    signal's image off the field-stop centre by the beacon-signal atmospheric dispersion
    (:func:`~passplan.link.atmosphere.dispersion_offset_rad`); a transmitter's
    ``wavefront_error_m`` costs its Marechal Strehl (:func:`~passplan.link.ao.wavefront_strehl`)
    in ``transmitter_db``. Formulas and sources: the functions called,
    in :mod:`passplan.link.beam`, ``pointing``, ``atmosphere``, ``turbulence``, ``ao``,
    ``detectors`` and ``background``.
    """
    p = _as_profile(profile)
    site_alt = float(p.site.alt_m if site_alt_m is None else site_alt_m)
    sky_class = p.site.sky if sky is None else sky
    if sky_class not in bg.SKY_CLASSES:
        raise UnknownNameError("sky class", sky_class, bg.SKY_CLASSES)
    vis = p.site.visibility_km if visibility_km is None else float(visibility_km)
    if not vis > 0:
        raise InputError(f"visibility {vis} km must be positive")

    el = np.asarray(elevation_deg, dtype=float)
    if np.any(~np.isfinite(el)) or np.any(el > 90.0 + 1e-9):
        raise InputError(
            "elevation_deg must be finite and at most 90 deg; got "
            f"{el[~np.isfinite(el) | (el > 90.0)].ravel()[:3].tolist()}"
        )
    valid = el > 0.0
    el_c = np.where(valid, np.minimum(el, 90.0), 45.0)
    if range_m is None:
        rng = slant_range_m(el_c, p.orbit_alt_m, site_alt)
    else:
        rng = np.asarray(range_m, dtype=float)
        if np.any(~(rng > 0)):
            raise InputError("range_m must be positive and finite")
    (el_c, rng, valid, sun_el, sun_sep, moon_el, moon_sep, moon_k, sig) = np.broadcast_arrays(
        el_c,
        rng,
        valid,
        *(
            np.asarray(x, dtype=float)
            for x in (
                sun_elevation_deg,
                sun_separation_deg,
                moon_elevation_deg,
                moon_separation_deg,
                moon_illumination,
                signal_cps,
            )
        ),
    )
    valid = valid & (rng > 0)
    rng = np.where(valid, rng, 1e6)
    lam = p.wavelength_m
    tx, rx, det = p.transmitter, p.receiver, p.detector
    ground = p.ground
    fov, filter_nm = _receiver_stops(p)

    # --- turbulence along the path (ground end): the night profile, or the day's when the Sun is up
    night = Cn2Profile(**p.turbulence)
    day = sun_el > DAY_SUN_ELEVATION_DEG
    slew = (
        slew_rate_estimate_rad_s(rng, p.orbit_alt_m, p.inclination_deg)
        if slew_rate_rad_s is None
        else np.broadcast_to(np.asarray(slew_rate_rad_s, dtype=float), rng.shape)
    )
    r0, theta0, rytov, f_g, f_t = _turbulence(lam, ground.aperture_diameter_m, site_alt, night, el_c, slew)
    if np.any(day):
        day_terms = _turbulence(lam, ground.aperture_diameter_m, site_alt, day_profile(night), el_c, slew)
        r0, theta0, rytov, f_g, f_t = (
            np.where(day, d, n) for d, n in zip(day_terms, (r0, theta0, rytov, f_g, f_t), strict=True)
        )

    # --- transmitter: divergence (quoted or diffraction-limited) and truncation ---
    a_tx = tx.radius_m
    if tx.divergence_half_angle_rad is not None:
        theta = tx.divergence_half_angle_rad
        if tx.truncation_ratio is not None:
            t_trunc = float(truncation_transmittance(tx.truncation_ratio, tx.obscuration_ratio))
            w0 = a_tx / tx.truncation_ratio
        else:
            t_trunc, w0 = 1.0, a_tx / klein_degnan_optimum(tx.obscuration_ratio)[0]
    else:
        alpha = tx.truncation_ratio or klein_degnan_optimum(tx.obscuration_ratio)[0]
        theta, w0, t_trunc = truncated_beam(lam, a_tx, alpha, tx.obscuration_ratio)
    t_tx = tx.optics_efficiency * t_trunc * wavefront_strehl(tx.wavefront_error_m, lam) * np.ones_like(rng)

    w_vac = beam_radius_m(rng, w0, theta)
    t_geo = gaussian_collection(w_vac, rx.radius_m, rx.obscuration_ratio)
    t_point = pointing_transmittance(tx.pointing_jitter_rad, tx.pointing_bias_rad, w_vac / rng)
    t_zen = zenith_transmittance(lam, site_alt, vis)
    t_atm = slant_transmittance(t_zen, el_c)

    # --- turbulence and receiver coupling ---
    strehl = np.full(rng.shape, np.nan)
    if p.direction == "downlink":
        beam_at_rx = w_vac
        if rx.coupling == "smf":
            sigma2 = residual_phase_variance(
                rx.correction,
                aperture_m=rx.aperture_diameter_m,
                r0_m=r0,
                greenwood_hz=f_g,
                tyler_hz=f_t,
                tip_tilt_bandwidth_hz=rx.tip_tilt_bandwidth_hz,
                ao_bandwidth_hz=rx.ao_bandwidth_hz,
                actuators_across=rx.actuators_across,
                corrected_modes=rx.corrected_modes,
            )
            strehl = strehl_extended_marechal(sigma2, rx.aperture_diameter_m / r0)
            t_turb = strehl
            t_couple = smf_peak_coupling(rx.obscuration_ratio) * np.ones_like(rng)
        else:
            spot = seeing_half_angle_rad(lam, r0, rx.aperture_diameter_m)
            spot_vac = seeing_half_angle_rad(lam, np.inf, rx.aperture_diameter_m)
            if rx.correction != "none":  # tip-tilt removes the image motion (Z-tilt, per axis)
                spot = np.sqrt(
                    np.maximum(
                        spot**2 - 4.0 * tilt_variance_rad2(lam, rx.aperture_diameter_m, r0),
                        spot_vac**2,
                    )
                )
            t_couple = fov_fraction(fov, spot_vac) * np.ones_like(rng)
            if rx.tracking_beacon_m is not None:  # the beacon is centred, the signal sits off it
                offset = dispersion_offset_rad(lam, rx.tracking_beacon_m, el_c, site_alt)
                t_turb = fov_fraction_offset(fov, spot, offset) / t_couple
            else:
                t_turb = fov_fraction(fov, spot) / t_couple
    else:  # uplink: turbulence at the transmitter spreads and tilts the beam
        _lt, st, wander = uplink_beam(lam, theta, tx.aperture_diameter_m, r0, tx.tip_tilt_residual)
        w_st = beam_radius_m(rng, w0, st)
        jitter = np.hypot(tx.pointing_jitter_rad, wander)
        with_turb = gaussian_collection(
            w_st, rx.radius_m, rx.obscuration_ratio
        ) * pointing_transmittance(jitter, tx.pointing_bias_rad, w_st / rng)
        t_turb = with_turb / (t_geo * t_point)
        beam_at_rx = beam_radius_m(rng, w0, _lt)
        if rx.coupling == "smf":
            t_couple = smf_peak_coupling(rx.obscuration_ratio) * np.ones_like(rng)
        else:
            spot_vac = seeing_half_angle_rad(lam, np.inf, rx.aperture_diameter_m)
            t_couple = fov_fraction(fov, spot_vac) * np.ones_like(rng)
    t_rx = rx.optics_efficiency * t_couple

    # --- background and detectors ---
    if p.direction == "downlink":
        radiance = bg.sky_radiance(
            lam, el_c, sun_el, sun_sep, moon_el, moon_sep, moon_k, sky_class, p.site.turbidity
        )
    else:
        radiance = bg.earth_radiance(
            lam, sun_el, moon_el, moon_k, sky_class, p.site.ground_albedo, t_zen
        ) * np.ones_like(rng)
    if rx.coupling == "smf":
        etendue = bg.smf_etendue_m2_sr(lam)
    else:
        etendue = bg.multimode_etendue_m2_sr(rx.radius_m, rx.obscuration_ratio, fov)
    bg_cps = bg.photon_rate_cps(
        radiance, lam, etendue, filter_nm, rx.optics_efficiency * det.efficiency
    )
    dark = np.full(rng.shape, det.dark_cps * det.count)
    sat = dead_time_factor((bg_cps + dark + sig) / det.count, det.dead_time_s)
    noise_rate = (bg_cps + dark) * sat
    p_gate = click_probability(noise_rate, det.gate_s)
    p_gate_det = click_probability(noise_rate / det.count, det.gate_s)
    t_det = det.efficiency * sat

    terms = {
        "transmitter_db": t_tx,
        "geometric_db": t_geo,
        "pointing_db": t_point,
        "atmosphere_db": t_atm,
        "turbulence_db": t_turb,
        "receiver_db": t_rx,
        "detector_db": t_det,
    }
    eta = np.ones(rng.shape)
    for t in terms.values():
        eta = eta * t
    nan = np.nan

    def mask(x: np.ndarray, fill: float = nan) -> np.ndarray:
        return np.where(valid, x, fill)

    db_terms = {k: mask(loss_db(v)) for k, v in terms.items()}
    reason = np.where(valid, "", "below the horizon").astype(object)
    return LinkSeries(
        profile=p.name,
        direction=p.direction,
        wavelength_m=lam,
        clear_sky_probability=p.site.clear_sky_probability,
        site_alt_m=site_alt,
        elevation_deg=np.broadcast_to(el, rng.shape).copy(),
        range_m=mask(rng),
        eta=mask(eta, 0.0),
        total_loss_db=mask(loss_db(eta)),
        **db_terms,
        sky_radiance_w_m2_sr_nm=mask(radiance),
        background_cps=mask(bg_cps),
        dark_cps=dark,
        saturation_factor=mask(sat),
        background_prob_per_gate=mask(p_gate),
        background_prob_per_gate_per_detector=mask(p_gate_det),
        r0_m=mask(r0),
        isoplanatic_angle_rad=mask(theta0),
        rytov_variance=mask(rytov),
        greenwood_hz=mask(f_g),
        beam_radius_m=mask(beam_at_rx),
        strehl=mask(strehl),
        valid=valid.copy(),
        reason=reason,
    )

