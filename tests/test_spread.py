"""The spread of a pass forecast (turbulence fading, pointing jitter, weather) against a direct
Monte Carlo of the link, and the sensitivity table against finite differences."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from typer.testing import CliRunner

from passplan import Constraints, Satellite, find_passes, select_stations
from passplan.cli import app
from passplan.forecast import forecast_pass
from passplan.forecast.spread import (
    draws_key,
    key_spread,
    sensitivity,
    sensitivity_at,
    synthetic_pass,
)
from passplan.keyrate.optimise import OptimisedPass
from passplan.keyrate.passkey import key_record
from passplan.link import load_profile
from passplan.link.fading import (
    pointing_moments,
    scintillation_correlation_s,
    scintillation_index,
    scintillation_log_variances,
    slot_multipliers,
    turbulence_path_m,
)
from passplan.link.pointing import pointing_transmittance
from passplan.link.turbulence import Cn2Profile, fried_parameter_m, path_moments, rytov_variance
from passplan.plot.tornado import plot_tornado

runner = CliRunner()

MICIUS_2016 = (  # ../shared/reference/README.md section 1 (as tests/test_calibration.py)
    "1 41731U 16051A   16354.56913372  .00000384  00000-0  18801-4 0  9991",
    "2 41731  97.3698 268.1064 0013349 175.8929 309.0190 15.23916091 19164",
)
PASS_ARGS = ["passes", "--sats", "micius", "--station", "xinglong", "--start", "2016-12-19T16:00Z",
             "--hours", "2", "--allow-stale", "--key"]


@pytest.fixture(scope="module")
def xinglong():
    """Liao et al. 2017's 2016-12-19 Xinglong pass, forecast with the bundled micius profile."""
    sat = Satellite.from_tle(*MICIUS_2016, name="MICIUS")
    t0 = datetime(2016, 12, 19, 16, tzinfo=UTC)
    (p,) = find_passes([sat], select_stations(["xinglong"]), t0, t0 + timedelta(hours=2), Constraints())
    return forecast_pass(p)


# --- distributions ------------------------------------------------------------------------------


def test_pointing_moments_against_sampled_rice_offsets() -> None:
    """Mean: Toyoshima's formula (the budget's pointing term); variance: a direct sample of
    exp(-2 |b + j|^2 / W^2) with a Rice-distributed radius."""
    w, s, b = 8.5e-6, 3.0e-6, 2.0e-6
    mean, var = pointing_moments(s, b, w)
    assert float(mean) == pytest.approx(float(pointing_transmittance(s, b, w)), rel=1e-12)
    rng = np.random.default_rng(1)
    x = b + s * rng.standard_normal(400_000)
    y = s * rng.standard_normal(400_000)
    h = np.exp(-2.0 * (x * x + y * y) / w**2)
    assert h.mean() == pytest.approx(float(mean), rel=3e-3)
    assert h.var() / h.mean() ** 2 == pytest.approx(float(var), rel=2e-2)
    # no jitter and no bias: no fluctuation
    assert float(pointing_moments(0.0, 0.0, w)[1]) == 0.0


def test_scintillation_index_limits() -> None:
    """A point receiver in weak turbulence sees the Rytov variance (0.49 + 0.51 = 1); aperture
    averaging and strong turbulence reduce the index from there."""
    assert float(scintillation_index(1e-4, 0.0)) == pytest.approx(1e-4, rel=1e-3)
    assert float(scintillation_index(0.1, 50.0)) < 0.1 * float(scintillation_index(0.1, 0.0))
    sx, sy = scintillation_log_variances(0.1, 0.0)
    assert float(sx) == pytest.approx(0.049 / (1 + 0.56 * 0.1**1.2) ** (7 / 6), rel=1e-12)


def test_turbulence_path_is_the_single_layer_distance() -> None:
    """From r0 and the Rytov variance of a path the layer sits at (mu56 / mu0)^(6/5) sec(zeta)."""
    lam, el = 848.6e-9, 40.0
    m = path_moments(893.0, Cn2Profile())
    r0 = fried_parameter_m(lam, el, m.mu0)
    ry = rytov_variance(lam, el, m.mu56)
    want = (m.mu56 / m.mu0) ** 1.2 / math.sin(math.radians(el))
    assert float(turbulence_path_m(lam, r0, ry)) == pytest.approx(want, rel=1e-9)
    # a 1 m aperture is wider than the Fresnel zone: the aperture sets the correlation time
    assert float(scintillation_correlation_s(lam, want, 1.0, 5.0)) == pytest.approx(0.2)


def test_slot_multipliers_mean_one_and_slot_averaged_variance() -> None:
    rng = np.random.default_rng(2)
    w, s = 8.5e-6, 3.0e-6
    m = slot_multipliers(rng, 20_000, 1.0, scint_index=np.array([0.2, 0.0]), scint_tau_s=np.array([0.25, 0.25]),
                         jitter_rad=s, bias_rad=0.0, half_angle_rad=w, pointing_tau_s=0.5)
    _, pv = pointing_moments(s, 0.0, w)
    assert m.mean(axis=0) == pytest.approx([1.0, 1.0], abs=0.01)
    v = m.var(axis=0)
    # independent factors of mean one: var = (1 + a)(1 + b) - 1
    assert v[0] == pytest.approx((1 + 0.2 / 4) * (1 + float(pv) / 2) - 1, rel=0.05)
    assert v[1] == pytest.approx(float(pv) / 2, rel=0.05)
    with pytest.raises(Exception, match="draws"):
        slot_multipliers(rng, 0, 1.0, scint_index=0.1, scint_tau_s=0.1, jitter_rad=0.0, bias_rad=0.0,
                         half_angle_rad=w)


# --- the spread of a pass -----------------------------------------------------------------------


def test_no_fading_gives_the_forecast_key(xinglong) -> None:
    """Draws of multiplier one reproduce the forecast's own key (same counts, same bound)."""
    f = xinglong
    k = f.key
    t = np.asarray(f.geometry.t_s)
    sel = (t >= k.window_start_s - 1e-6) & (t + 1.0 <= k.window_end_s + 1e-6)
    got = draws_key(np.asarray(f.link.eta)[sel][None, :], np.asarray(f.link.background_prob_per_gate_per_detector)[sel],
                    1.0, f.protocol_params, k.p_x, k.intensities, k.probabilities)
    assert float(got[0]) == pytest.approx(k.secret_key_bits, rel=1e-12)


def test_micius_fading_spread_is_narrow_and_seeded(xinglong) -> None:
    """A 1 m receiver and 1-s slots average scintillation and jitter out: P10-P90 within 0.3 % of
    the mean-channel key; the same seed gives the same draws."""
    s = key_spread(xinglong, 200, 0)
    assert s.p10_bits <= s.p50_bits <= s.p90_bits
    assert s.p10_bits > 0.997 * s.key_bits and s.p90_bits < 1.003 * s.key_bits
    assert s.p90_bits > s.p10_bits  # it does draw
    assert key_spread(xinglong, 200, 0) == s
    assert key_spread(xinglong, 200, 1) != s
    d = s.to_dict()
    assert {"p10_bits", "p50_bits", "p90_bits", "draws", "seed"} <= set(d)
    with pytest.raises(Exception, match="draws"):
        key_spread(xinglong, 0)


def test_weather_draws_take_the_clear_sky_probability(xinglong) -> None:
    s = key_spread(xinglong, 2000, 3, weather=True)
    assert s.model == "fading+weather" and s.clear_sky_probability == 0.5
    assert s.mean_bits / s.key_bits == pytest.approx(0.5, abs=0.05)
    assert s.p10_bits == 0.0 and s.p90_bits > 0.99 * s.key_bits


def _direct_monte_carlo(f, draws: int, seed: int, pointing_tau_s: float) -> np.ndarray:
    """An independent loop: per draw and slot, K instantaneous gamma-gamma irradiances and K
    instantaneous Rice pointing offsets averaged over the slot, then the key of the draw's
    channel by key_record with the forecast's source settings and window."""
    rng = np.random.default_rng(seed)
    prof = f.resolved.profile
    link, k = f.link, f.key
    t = np.asarray(f.geometry.t_s)
    sel = (t >= k.window_start_s - 1e-6) & (t + 1.0 <= k.window_end_s + 1e-6)
    lam = prof.wavelength_m
    kw = 2 * math.pi / lam
    eta = np.asarray(link.eta)[sel]
    bg = np.asarray(link.background_prob_per_gate_per_detector)[sel]
    r0, ry = np.asarray(link.r0_m)[sel], np.asarray(link.rytov_variance)[sel]
    big_l = (ry / (2.25 * kw ** (7 / 6)) / (r0 ** (-5 / 3) / (0.423 * kw**2))) ** 1.2
    d = prof.receiver.aperture_diameter_m
    d2 = kw * d**2 / (4 * big_l)
    s12 = ry ** 1.2
    sx = 0.49 * ry / (1 + 0.18 * d2 + 0.56 * s12) ** (7 / 6)
    sy = 0.51 * ry * (1 + 0.69 * s12) ** (-5 / 6) / (1 + 0.90 * d2 + 0.62 * d2 * s12)
    alpha, beta = 1 / np.expm1(sx), 1 / np.expm1(sy)
    ks = np.maximum(1, np.round(1.0 / (np.maximum(np.sqrt(big_l / kw), d) / 5.0))).astype(int)
    kp = max(1, round(1.0 / pointing_tau_s))
    w = np.asarray(link.beam_radius_m)[sel] / np.asarray(link.range_m)[sel]
    sj, sb = prof.transmitter.pointing_jitter_rad, prof.transmitter.pointing_bias_rad
    mean_p = w**2 / (w**2 + 4 * sj**2) * np.exp(-2 * sb**2 / (w**2 + 4 * sj**2))
    t_sel = t[sel]
    pr = replace(f.protocol_params, slot_s=1.0)
    opt = OptimisedPass(k.p_x, k.intensities, k.probabilities, (0, int(sel.sum())), 0.0)
    keys = []
    for _ in range(draws):
        kmax = int(ks.max())
        irr = rng.gamma(alpha[:, None], 1 / alpha[:, None], (eta.size, kmax)) * rng.gamma(
            beta[:, None], 1 / beta[:, None], (eta.size, kmax))
        used = np.arange(kmax)[None, :] < ks[:, None]
        scint = (irr * used).sum(axis=1) / ks
        x = sb + sj * rng.standard_normal((eta.size, kp))
        y = sj * rng.standard_normal((eta.size, kp))
        point = np.exp(-2 * (x**2 + y**2) / w[:, None] ** 2).mean(axis=1) / mean_p
        e = np.clip(eta * scint * point, 0, 1)
        keys.append(key_record(e, bg, t_sel, pr, opt).secret_key_bits)
    return np.array(keys)


def test_spread_against_a_direct_monte_carlo_of_the_link(xinglong) -> None:
    """A strongly jittered transmitter (3 urad per axis, 2 urad bias, against the 8.5 urad beam,
    correlated over a whole slot), so that the spread is wide: P10, P50 and P90 agree with the
    independent loop within a tenth of the P10-P90 width."""
    f = xinglong
    prof = replace(f.resolved.profile, transmitter=replace(f.resolved.profile.transmitter,
                                                         pointing_jitter_rad=3e-6, pointing_bias_rad=2e-6))
    g = replace(f, resolved=replace(f.resolved, profile=prof))
    ours = key_spread(g, 400, 5, pointing_tau_s=1.0)
    mc = _direct_monte_carlo(g, 400, 11, pointing_tau_s=1.0)
    p10, p50, p90 = np.percentile(mc, [10, 50, 90])
    width = p90 - p10
    assert width > 0.01 * p50  # a spread wide enough to test
    assert ours.p10_bits == pytest.approx(p10, abs=0.1 * width)
    assert ours.p50_bits == pytest.approx(p50, abs=0.1 * width)
    assert ours.p90_bits == pytest.approx(p90, abs=0.1 * width)
    assert (ours.p90_bits - ours.p10_bits) == pytest.approx(width, rel=0.2)
    # the mean of the draws is not the mean-channel key taken through the finite-key bound only
    # by the bound's curvature: within a tenth of the width
    assert ours.mean_bits == pytest.approx(mc.mean(), abs=0.1 * width)


# --- sensitivity ---------------------------------------------------------------------------------


def test_synthetic_pass_culminates_where_asked() -> None:
    prof = load_profile("micius")
    t, el, rng = synthetic_pass(prof, 60.0)
    assert el.max() == pytest.approx(60.0, abs=0.01)
    assert el.min() >= 10.0 - 1e-9 and np.all(np.diff(t) == 1.0)
    i = int(np.argmax(el))
    assert rng[i] == pytest.approx(rng.min())
    with pytest.raises(Exception, match="max_elevation_deg"):
        synthetic_pass(prof, 5.0)


def test_sensitivity_signs_and_order_against_finite_differences() -> None:
    """Efficiencies raise the key, divergence, dark counts and the intrinsic QBER lower it; the
    ranking by +-u swings matches the ranking by finite-difference elasticity times u wherever
    two swings differ by more than 3 points."""
    table = sensitivity_at("micius", 60.0)
    by = {r.parameter: r for r in table.rows}
    for name in ("transmitter efficiency", "receiver efficiency", "detector efficiency", "field of view"):
        assert by[name].key_high_bits > table.key_bits > by[name].key_low_bits
    for name in ("divergence", "dark counts", "intrinsic QBER", "ground Cn2 (r0)"):
        assert by[name].key_high_bits < table.key_bits < by[name].key_low_bits
    swings = [r.swing for r in table.rows]
    assert swings == sorted(swings, reverse=True)
    small = sensitivity_at("micius", 60.0, uncertainty={r.parameter: 0.01 for r in table.rows})
    fd = {r.parameter: abs(r.key_high_bits - r.key_low_bits) / (0.02 * r.key_bits) * by[r.parameter].uncertainty
          for r in small.rows}
    for a in table.rows:
        for b in table.rows:
            if a.swing > b.swing + 0.03:
                assert fd[a.parameter] > fd[b.parameter], (a.parameter, b.parameter)
    with pytest.raises(Exception, match="unknown parameters"):
        sensitivity_at("micius", 60.0, uncertainty={"warp drive": 0.1})


def test_sensitivity_of_the_xinglong_pass(xinglong) -> None:
    """Through the whole chain: the baseline is the forecast's key; the profile's fitted values
    are labelled fitted; the tornado plot renders."""
    table = sensitivity(xinglong)
    assert table.key_bits == pytest.approx(xinglong.key.secret_key_bits, rel=1e-6)
    status = {r.parameter: r.status for r in table.rows}
    assert status["transmitter efficiency"] == "fitted" and status["field of view"] == "fitted"
    assert "pointing bias" not in status  # zero in the profile: nothing to scale
    png = plot_tornado(table)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


# --- CLI ------------------------------------------------------------------------------------------


def test_cli_passes_key_spread_json() -> None:
    res = runner.invoke(app, [*PASS_ARGS, "--spread", "--format", "json"])
    assert res.exit_code == 0, res.output
    (rec,) = json.loads(res.stdout)
    sp = rec["spread"]
    assert sp["draws"] == 200 and sp["seed"] == 0
    assert sp["p10_bits"] <= sp["p50_bits"] <= sp["p90_bits"]
    assert sp["p50_bits"] == pytest.approx(rec["secret_key_bits"], rel=0.003)
    plain = runner.invoke(app, [*PASS_ARGS, "--format", "json"])
    assert "spread" not in json.loads(plain.stdout)[0]


def test_cli_spread_needs_key_and_sensitivity_needs_elevation(tmp_path) -> None:
    res = runner.invoke(app, [*PASS_ARGS[:-1], "--spread"])
    assert res.exit_code == 2 and "--spread goes with --key" in res.output
    res = runner.invoke(app, ["link", "--profile", "micius", "--sensitivity"])
    assert res.exit_code == 2 and "--elevation-deg" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["link", "--profile", "micius", "--sensitivity", "--elevation-deg", "5"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["link", "--profile", "micius", "--sensitivity", "--elevation-deg", "60",
                              "--range-km", "700"])
    assert res.exit_code == 2 and "--range-km does not go with --sensitivity" in res.output


def test_cli_link_sensitivity_table_json_and_plot(tmp_path) -> None:
    out = tmp_path / "tornado.png"
    res = runner.invoke(app, ["link", "--profile", "micius", "--elevation-deg", "60", "--sensitivity",
                              "--plot", str(out), "--format", "json"])
    assert res.exit_code == 0, res.output
    recs = json.loads(res.stdout)
    assert recs[0]["parameter"] == "divergence"
    assert {r["status"] for r in recs} <= {"fitted", "assumed", "stated", "unstated"}
    assert out.read_bytes()[:4] == b"\x89PNG"
    table = runner.invoke(app, ["link", "--profile", "micius", "--elevation-deg", "60", "--sensitivity"])
    assert table.exit_code == 0 and "transmitter efficiency" in table.stdout and "fitted" in table.stdout


def test_uplink_fading_is_mean_one_and_wider_than_the_downlink() -> None:
    """An uplink's beam wanders at the transmitter: its slot factors spread more than the
    Micius downlink's, and both keep the budget's mean."""
    from passplan.forecast.chain import link_at
    from passplan.forecast.spread import fading_multipliers

    el = np.linspace(20.0, 80.0, 50)
    spreads = {}
    for name in ("micius", "micius-uplink"):
        prof = load_profile(name)
        link = link_at(prof, elevation_deg=el)
        m = fading_multipliers(link, prof, 1.0, 4000, np.random.default_rng(4))
        assert m.mean() == pytest.approx(1.0, abs=2e-3)
        spreads[name] = float(m.std())
    assert spreads["micius-uplink"] > 3 * spreads["micius"]


def test_zero_key_pass_spreads_to_zero(xinglong) -> None:
    f = replace(xinglong, key=replace(xinglong.key, secret_key_bits=0.0))
    s = key_spread(f, 20, 0)
    assert (s.p10_bits, s.p50_bits, s.p90_bits, s.mean_bits) == (0.0, 0.0, 0.0, 0.0)


def test_divergence_low_end_stops_at_the_diffraction_limit() -> None:
    """daylight-1550's 7.5 urad less 20 % is narrower than its 0.25 m aperture can form: the low
    end is the aperture's limit, so the perturbed profile still loads."""
    from passplan.link.beam import min_divergence_half_angle_rad

    table = sensitivity_at("daylight-1550", 60.0)
    (row,) = [r for r in table.rows if r.parameter == "divergence"]
    prof = load_profile("daylight-1550")
    floor = min_divergence_half_angle_rad(prof.wavelength_m, prof.transmitter.radius_m,
                                          prof.transmitter.obscuration_ratio)
    assert row.value * 0.8 < floor
    assert row.low_value == pytest.approx(floor)
    assert row.key_low_bits > table.key_bits
