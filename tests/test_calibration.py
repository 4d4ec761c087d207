"""Calibration of the bundled profiles against the flown missions (issue 10), and the physics
terms the calibration added: the beacon-signal dispersion offset, the daytime turbulence profile,
the transmitter wavefront error and the cached turbulence frequencies.

Published figures (../shared/reference/README.md sections 3 and 5):
Liao et al., Nature 549, 43 (2017) for Micius; Li et al., Nature 640, 47 (2025) and
arXiv:2408.10994 v1 for Jinan-1; Chen et al., Nature 589, 214 (2021) for Micius in the integrated
network; Le Pera et al., Proc. SPIE 11852 (2021) for GEO.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from passplan import Constraints, Satellite, find_passes, select_stations
from passplan.elements import bundled_satellites
from passplan.forecast import forecast_pass
from passplan.keyrate import load_protocol, pass_key
from passplan.link import link_budget, load_profile
from passplan.link.ao import wavefront_strehl
from passplan.link.atmosphere import air_refractivity, dispersion_offset_rad
from passplan.link.profiles import bundled_profile_dir
from passplan.link.slant import elevation_from_range_deg
from passplan.link.turbulence import (
    Cn2Profile,
    day_profile,
    fov_fraction,
    fov_fraction_offset,
    fried_parameter_m,
    greenwood_frequency_hz,
    path_moments,
    tyler_frequency_hz,
    wind_integrals,
    wind_integrals_reference,
)

MICIUS_2016 = (  # ../shared/reference/README.md section 1
    "1 41731U 16051A   16354.56913372  .00000384  00000-0  18801-4 0  9991",
    "2 41731  97.3698 268.1064 0013349 175.8929 309.0190 15.23916091 19164",
)

# --- Micius 2017: the end of the pass ---------------------------------------------------------


def _micius_loss(ranges_m: np.ndarray) -> np.ndarray:
    p = load_profile("micius")
    el = elevation_from_range_deg(ranges_m, p.orbit_alt_m, p.site.alt_m)
    s = link_budget(p, elevation_deg=el, range_m=ranges_m)
    return s.total_loss_db - s.detector_db


def test_micius_end_of_pass_closer_than_before() -> None:
    """Liao 2017: 40.3 dB at 1200 km (about 39.4 dB averaged over the last 5 km). Before the
    dispersion term the model gave 38.1 dB (2.2 dB optimistic at the point)."""
    end = _micius_loss(np.array([1200e3]))[0]
    assert abs(end - 40.3) < 1.5, end
    last5 = _micius_loss(np.linspace(1195e3, 1200e3, 11)).mean()
    assert abs(last5 - 39.4) < 0.5, last5
    # the rise from the culmination to the end is the paper's 10.55 dB within 1.5 dB
    rise = end - _micius_loss(np.array([645e3]))[0]
    assert abs(rise - (40.3 - 29.75)) < 1.5, rise


def test_air_refractivity_matches_ciddor_tabulated_value() -> None:
    # Ciddor (1996) standard air at 632.8 nm: n = 1.00027653 (as tabulated by refractiveindex.info)
    assert air_refractivity(632.8e-9) == pytest.approx(2.7653e-4, abs=5e-9)  # 8 decimals
    # refraction disperses: blue light is lifted more; the offset vanishes at the zenith
    assert air_refractivity(532e-9) > air_refractivity(848.6e-9)
    off = dispersion_offset_rad(848.6e-9, 532e-9, np.array([20.0, 49.0, 90.0]), 893.0)
    assert off[0] > off[1] > off[2] >= 0 and off[2] < 1e-20
    # (n - 1) tan(z) at 20 deg elevation: tan(70 deg) = 2.747
    dn = air_refractivity(532e-9, 893.0) - air_refractivity(848.6e-9, 893.0)
    assert off[0] == pytest.approx(dn * 2.7474774, rel=1e-6)


def test_offset_field_stop_fraction_against_monte_carlo() -> None:
    """Brute force: a Gaussian spot (1/e^2 radius W, per-axis sigma W/2) offset by d, the share of
    20 million draws inside the field stop."""
    rng = np.random.default_rng(7)
    w, phi, d = 10e-6, 7e-6, 6e-6
    xy = rng.normal(0.0, w / 2, size=(2, 2_000_000))
    inside = np.mean((xy[0] + d) ** 2 + xy[1] ** 2 <= phi**2)
    assert fov_fraction_offset(phi, w, d) == pytest.approx(inside, abs=1.5e-3)
    assert fov_fraction_offset(phi, w, 0.0) == pytest.approx(fov_fraction(phi, w), rel=1e-12)


# --- Micius 2017: the paper's own counting (issue 18) --------------------------------------------

#: Liao et al., Nature 549, 43 (2017), the 2016-12-19 Xinglong pass [paper]
LIAO_SIFTED, LIAO_QBER, LIAO_KEY = 1_671_072, 0.011, 300_939


def _micius_done_when() -> dict:
    """Issue 18's command, run in-process: the bundled profile and nothing else."""
    import json

    from typer.testing import CliRunner

    from passplan.cli import app

    res = CliRunner().invoke(app, ["passes", "--sats", "micius", "--station", "xinglong", "--start",
                                   "2016-12-19T16:00Z", "--hours", "2", "--allow-stale", "--key",
                                   "--format", "json"])
    assert res.exit_code == 0, res.output
    (rec,) = json.loads(res.stdout)
    return rec


def test_micius_2017_pass_by_the_papers_own_analysis() -> None:
    """Issue 18's targets: sifted within 5 %, QBER within 0.2 points, final key within 15 % of
    the paper, from `passplan passes ... --key` with the bundled profile alone. The band is
    tight enough that passplan's own X-basis estimator (about 2.2e5) fails it."""
    rec = _micius_done_when()
    assert rec["profile"] == "micius" and rec["protocol"] == "micius2017"
    assert rec["key_analysis"] == "both bases, signal bits"
    assert rec["key_sifted_bits"] == pytest.approx(LIAO_SIFTED, rel=0.05)
    assert abs(rec["key_qber"] - LIAO_QBER) < 0.002
    assert rec["secret_key_bits"] == pytest.approx(LIAO_KEY, rel=0.15)
    # measured (issue 18): sifted 1.691e6 (+1.2 %), QBER 1.18 %, key 2.873e5 (-4.5 %)


def test_micius_2017_x_only_reading_fails_the_band_and_keeps_its_name() -> None:
    """The same pass under passplan's own estimator (the `micius` protocol): key from the X basis
    alone, every intensity; it is named as such and falls outside the paper's 15 % band."""
    sat = Satellite.from_tle(*MICIUS_2016, name="MICIUS")
    t0 = datetime(2016, 12, 19, 16, tzinfo=UTC)
    (p,) = find_passes([sat], select_stations(["xinglong"]), t0, t0 + timedelta(hours=2), Constraints())
    own = forecast_pass(p, protocol="micius")
    paper = forecast_pass(p)
    assert own.protocol == "micius" and own.key.analysis == "passplan X basis"
    assert own.key.secret_key_bits < 0.85 * LIAO_KEY  # about 2.24e5
    assert paper.key.secret_key_bits == pytest.approx(LIAO_KEY, rel=0.15)
    # the same counts: one model of the link, two analyses of it
    assert own.key.n_x + own.key.n_z == pytest.approx(paper.key.n_x + paper.key.n_z, rel=1e-12)
    # the paper's sifted key is the signal share of all sifted bits: 0.4 / 0.425 [computed]
    assert paper.key.sifted_bits / (paper.key.n_x + paper.key.n_z) == pytest.approx(0.4 / 0.425, rel=0.01)


def test_micius_2017_window_within_1200_km() -> None:
    """The paper's 273 s (645 to 1200 km) alone: the same three targets hold."""
    sat = Satellite.from_tle(*MICIUS_2016, name="MICIUS")
    t0 = datetime(2016, 12, 19, 12, tzinfo=UTC)
    (p,) = find_passes([sat], select_stations(["xinglong"]), t0, t0 + timedelta(hours=12),
                       Constraints(max_range_km=1200))
    k = forecast_pass(p).key
    assert k.sifted_bits == pytest.approx(LIAO_SIFTED, rel=0.05)  # 1.624e6, -2.8 %
    assert abs(k.qber - LIAO_QBER) < 0.002  # 1.17 %
    assert k.secret_key_bits == pytest.approx(LIAO_KEY, rel=0.15)  # 2.763e5, -8.2 %


# --- Jinan-1 ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jinan_passes():
    """Night passes of Jinan-1 (elements of November 2022) over the Jinan portable station."""
    sats = bundled_satellites("jinan-1")
    sat = min(sats, key=lambda s: abs((s.epoch - datetime(2022, 11, 2, tzinfo=UTC)).total_seconds()))
    ps = find_passes([sat], select_stations(["jinan"]), sat.epoch, sat.epoch + timedelta(days=20),
                     Constraints(darkness="nautical"))
    return sorted(ps, key=lambda p: -p.max_el_deg)


#: Li et al.: the best single pass of arXiv:2408.10994 v1 (the preprint's data set, Chinese portable
#: stations) and of Nature 640, 47 (2025) (a record pass at Stellenbosch, per the Stellenbosch
#: University release) [paper; press]
LI_V1_BEST, LI_NATURE_BEST = 0.59e6, 1.07e6


def test_jinan1_best_jinan_pass_holds_the_preprints_best(jinan_passes) -> None:
    """The one fit (issue 18): the lumped efficiency of the jinan-1 profile is fitted so that the
    highest night pass over Jinan (86.8 deg) gives the preprint's best pass, 0.59 Mbit; no other
    pass of the 20 days exceeds it, as no pass of that campaign did. Before: 0.84 Mbit at 87 deg
    against a 0.59-1.07 Mbit band that mixed the two data sets."""
    best = jinan_passes[0]
    assert round(best.max_el_deg, 1) == 86.8
    f = forecast_pass(best, profile="jinan-1")
    assert f.protocol == "jinan1" and f.key.analysis == "both bases, signal bits"
    assert f.key.secret_key_bits == pytest.approx(LI_V1_BEST, rel=0.05)  # 0.579 Mbit (fitted)
    high = [p for p in jinan_passes if p.max_el_deg >= 60.0]
    assert len(high) >= 4
    for p in high:
        k = forecast_pass(p, profile="jinan-1").key.secret_key_bits
        assert 0.45e6 < k <= LI_V1_BEST * 1.05, (p.max_el_deg, k)  # 0.53-0.58 Mbit above 60 deg


def test_jinan1_stellenbosch_record_is_another_data_set() -> None:
    """The journal's 1.07 Mbit is a record pass at Stellenbosch (clear, dry skies), not a target:
    the profile fitted to the preprint's Chinese stations gives that station's best pass (89 deg)
    about 0.59 Mbit, 45 % below the record, and never above it."""
    sats = bundled_satellites("jinan-1")
    sat = min(sats, key=lambda s: abs((s.epoch - datetime(2022, 11, 2, tzinfo=UTC)).total_seconds()))
    ps = find_passes([sat], select_stations(["stellenbosch"]), sat.epoch, sat.epoch + timedelta(days=20),
                     Constraints(darkness="nautical"))
    best = max(ps, key=lambda p: p.max_el_deg)
    assert best.max_el_deg > 85.0
    k = forecast_pass(best, profile="jinan-1").key.secret_key_bits
    assert 0.5 * LI_NATURE_BEST < k < LI_NATURE_BEST, k  # 0.589 Mbit


def test_jinan1_one_lumped_efficiency_and_micius_beam_quality() -> None:
    """What Li 2025 does not state is one fitted efficiency ([receiver] optics_efficiency); the
    other efficiencies are 1 and the obscuration 0, each said to be inside it. The beam is not a
    lever: its divergence is Micius's flown beam quality (10 urad FWHM from 0.30 m) on the
    assumed aperture."""
    from passplan.link.beam import min_divergence_half_angle_rad

    p, m = load_profile("jinan-1"), load_profile("micius")
    assert p.transmitter.optics_efficiency == 1.0 and p.detector.efficiency == 1.0
    assert p.receiver.obscuration_ratio == 0.0
    assert 0.0 < p.receiver.optics_efficiency <= 0.3  # 0.20: a plausible whole chain (Micius 2017: 0.04)
    text = (bundled_profile_dir() / "jinan-1.toml").read_text()
    fitted = [ln for ln in text.splitlines() if "FITTED" in ln and not ln.startswith("#")]
    assert len(fitted) == 1 and fitted[0].startswith("optics_efficiency = 0.20")

    def quality(q):  # the divergence in units of the aperture's Klein-Degnan floor
        t = q.transmitter
        return t.divergence_half_angle_rad / min_divergence_half_angle_rad(q.wavelength_m, t.aperture_diameter_m / 2)

    assert quality(p) == pytest.approx(quality(m), rel=0.01)  # 3.0 (before: 1.3)


def test_jinan1_lower_passes_yield_less(jinan_passes) -> None:
    """Sanity on other geometries: about 40 and 25 deg passes give positive, smaller keys, and the
    key falls with the maximum elevation."""
    chosen = [min(jinan_passes, key=lambda p: abs(p.max_el_deg - e)) for e in (87.0, 44.0, 26.0)]
    assert [round(p.max_el_deg) for p in chosen] == [87, 44, 26]
    keys = [forecast_pass(p, profile="jinan-1").key.secret_key_bits for p in chosen]
    assert keys[0] > keys[1] > keys[2] > 0, keys
    assert keys[2] < 0.5 * keys[0]


def test_jinan1_source_and_protocol_agree() -> None:
    src = load_profile("jinan-1").source
    pr = load_protocol("jinan1")
    assert pr.pulses_per_s == src["rep_rate_hz"] == 6 * load_protocol("micius").pulses_per_s
    assert list(pr.intensities) == src["intensities"] and list(pr.probabilities) == src["probabilities"]
    assert not pr.optimise  # the flown settings are used as given
    signal_photons = pr.pulses_per_s * sum(m * q for m, q in zip(pr.intensities, pr.probabilities, strict=True))
    assert signal_photons == pytest.approx(250e6, rel=0.05)  # USTC release: about 250 million per second


# --- Micius in the integrated network (Chen et al. 2021) -----------------------------------------


def test_micius_2021_average_key_rate() -> None:
    """Chen 2021: 47.8 kbit/s averaged over a typical pass; held over the 2016-12-19 Xinglong
    geometry within 1200 km (272 s, 47.8 deg), the window of Liao 2017's 1.1 kbit/s that the
    paper's "40 times" compares with. The one fitted term is a lumped receiver efficiency; the
    clock (400 MHz) is assumed from the 2 ns window, not fitted."""
    sat = Satellite.from_tle(*MICIUS_2016, name="MICIUS")
    t0 = datetime(2016, 12, 19, 12, tzinfo=UTC)
    (p,) = find_passes([sat], select_stations(["xinglong"]), t0, t0 + timedelta(hours=12),
                       Constraints(max_range_km=1200))
    f = forecast_pass(p, profile="micius-2021", protocol="micius2021")
    rate = f.key.secret_key_bits / f.key.key_window_s
    # within 5 %: the lumped efficiency is fitted to this figure (48.1 kbit/s; before: 42.9 from a
    # fitted 1 GHz clock)
    assert f.key.key_window_s == 272.0
    assert rate == pytest.approx(47.8e3, rel=0.05), rate
    assert f.key.p_x > 0.5  # the efficient (biased-basis) protocol
    src = load_profile("micius-2021").source
    assert src["rep_rate_hz"] == load_protocol("micius2021").pulses_per_s == 4e8
    # without --protocol the profile brings its own protocol, with the same key
    alone = forecast_pass(p, profile="micius-2021")
    assert alone.protocol == "micius2021"
    assert alone.key.secret_key_bits == pytest.approx(f.key.secret_key_bits, rel=1e-9)


def test_micius_2021_is_the_2017_link_with_one_lumped_term() -> None:
    """The 2021 profile keeps the satellite, station and detectors of the calibrated 2017 link;
    only the receiver efficiency (fitted, lumped) and the source differ, and the 2 ns window of
    Liao 2017 sits inside the new clock's pulse period."""
    from dataclasses import replace

    m, n = load_profile("micius"), load_profile("micius-2021")
    assert n.transmitter == m.transmitter and n.detector == m.detector
    assert replace(n.receiver, optics_efficiency=m.receiver.optics_efficiency) == m.receiver
    gain_db = 10 * np.log10(n.receiver.optics_efficiency / m.receiver.optics_efficiency)
    assert 0.0 < gain_db < 6.0  # 4.4 dB; Yin et al. 2020 report +3 dB per link from new stations
    assert n.detector.gate_s < 1.0 / n.source["rep_rate_hz"]  # 2 ns < 2.5 ns (before: 2 ns > 1 ns)


# --- daytime turbulence ---------------------------------------------------------------------------


def test_daytime_uses_the_stronger_ground_layer() -> None:
    p = load_profile("daylight-1550")
    el = np.array([20.0, 45.0, 90.0])
    night = link_budget(p, elevation_deg=el, sun_elevation_deg=-20.0, sun_separation_deg=90.0)
    day = link_budget(p, elevation_deg=el, sun_elevation_deg=40.0, sun_separation_deg=90.0)
    # r0 from HV with A = 1.7e-13 (Andrews and Phillips 2005) computed independently
    m_day = path_moments(p.site.alt_m, day_profile(Cn2Profile(**p.turbulence)))
    assert np.allclose(day.r0_m, fried_parameter_m(p.wavelength_m, el, m_day.mu0), rtol=1e-12)
    assert np.all(day.r0_m < 0.5 * night.r0_m)
    assert np.all(day.turbulence_db > night.turbulence_db + 0.3)
    # the night profile alone is unchanged by the Sun below the horizon
    m_night = path_moments(p.site.alt_m, Cn2Profile(**p.turbulence))
    assert np.allclose(night.r0_m, fried_parameter_m(p.wavelength_m, el, m_night.mu0), rtol=1e-12)


# --- transmitter wavefront error ------------------------------------------------------------------


def test_wavefront_strehl_marechal_criterion() -> None:
    # Marechal: lambda/14 rms is the classical diffraction-limit criterion, Strehl ~0.8
    assert wavefront_strehl(850e-9 / 14, 850e-9) == pytest.approx(0.818, abs=2e-3)
    assert wavefront_strehl(0.0, 850e-9) == 1.0


def test_geo_terminal_carries_wavefront_error_and_published_pointing() -> None:
    p = load_profile("geo-generic")
    assert p.transmitter.pointing_jitter_rad == pytest.approx(0.65e-6)  # Le Pera et al. 2021
    ideal = replace(p, transmitter=replace(p.transmitter, wavefront_error_m=0.0))
    a = link_budget(p, elevation_deg=np.array([40.0]))
    b = link_budget(ideal, elevation_deg=np.array([40.0]))
    strehl = wavefront_strehl(p.transmitter.wavefront_error_m, p.wavelength_m)
    assert a.transmitter_db - b.transmitter_db == pytest.approx(-10 * np.log10(strehl), rel=1e-9)


def test_geo_key_rate_inside_the_published_trusted_mode_range() -> None:
    """Le Pera et al. 2021: trusted-mode GEO key about 0.3 to 10 kbit/s; ours over 10 minutes at
    30 and 60 deg elevation, night."""
    p = load_profile("geo-generic")
    src = p.source
    pr = replace(load_protocol(None), pulses_per_s=float(src["rep_rate_hz"]), extraneous_click_prob=0.0,
                 intensities=tuple(src["intensities"]), probabilities=tuple(src["probabilities"]))
    for el in (30.0, 60.0):
        s = link_budget(p, elevation_deg=np.full(600, el), sun_elevation_deg=-30.0)
        k = pass_key(s.eta, s.background_prob_per_gate_per_detector, np.arange(600.0), pr)
        assert 0.3e3 < k.secret_key_bits / 600.0 < 10e3


# --- turbulence frequencies from the per-profile cache ----------------------------------------------


def test_cached_wind_integrals_equal_the_height_grid_integrals() -> None:
    rng = np.random.default_rng(3)
    m = path_moments(893.0, Cn2Profile())
    el = rng.uniform(1.0, 90.0, 400)
    om = np.concatenate([np.zeros(100), rng.uniform(0.0, 0.03, 300)])
    g, t = wind_integrals(m, el, om)
    g_ref, t_ref = wind_integrals_reference(m, el, om)
    assert np.allclose(g, g_ref, rtol=1e-4)
    assert np.allclose(t, t_ref, rtol=1e-10)


def test_frequencies_scale_exactly_with_zenith_angle_without_slew() -> None:
    """Plane-parallel atmosphere, fixed wind: f_G ~ sec(zeta)^(3/5), f_T ~ sec(zeta)^(1/2)."""
    m = path_moments(0.0, Cn2Profile())
    el = np.array([90.0, 45.0, 20.0])
    sec = 1.0 / np.sin(np.radians(el))
    fg = greenwood_frequency_hz(850e-9, el, m)
    ft = tyler_frequency_hz(850e-9, 1.0, el, m)
    assert np.allclose(fg / fg[0], sec**0.6, rtol=1e-12)
    assert np.allclose(ft / ft[0], sec**0.5, rtol=1e-12)
    assert path_moments(0.0, Cn2Profile()) is m  # integrated once per site and profile
