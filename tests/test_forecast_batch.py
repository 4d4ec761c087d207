"""The batched forecast: one scene for many passes, the key optimiser batched across passes,
adaptive link nodes for long windows, and the signal in the detectors' dead time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from passplan import find_passes, select_stations
from passplan.elements import demo_fleet_path, load_file
from passplan.forecast import forecast_pass, forecast_passes, slot_seconds
from passplan.keyrate import Protocol, pass_key
from passplan.keyrate.batch import pass_keys
from passplan.passes import sample_pass
from passplan.passes.sampling import sample_passes

T0 = datetime(2026, 12, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def fleet():
    return load_file(demo_fleet_path(), T0)


@pytest.fixture(scope="module")
def day(fleet):
    """A night of the demo fleet over two stations (18:00 to 02:00 local): LEO, MEO and GEO."""
    night = T0 + timedelta(hours=10)
    ps = find_passes(fleet, select_stations(["jinan", "xinglong"]), night, night + timedelta(hours=8))
    return [p for p in ps if not p.excluded]


def test_batched_sampler_equals_sample_pass(day) -> None:
    """Every sample of every pass equals sample_pass's: the satellite to float rounding, the Sun
    and Moon within the interpolation between the two scenes' table nodes (0.01 deg)."""
    steps = [slot_seconds(p.duration_s) for p in day]
    batch = sample_passes(day, steps, slots=True)
    assert {p.satellite[:8] for p in day} >= {"DEMO-SSO", "DEMO-GEO"}
    for p, step, g in zip(day, steps, batch, strict=True):
        ref = sample_pass(p, step, slots=True)
        assert g.t == ref.t and np.array_equal(g.t_s, ref.t_s)
        daz = np.abs(g.az_deg - ref.az_deg)
        assert np.minimum(daz, 360 - daz).max() < 1e-6
        assert np.abs(g.el_deg - ref.el_deg).max() < 1e-6
        assert np.abs(g.range_km - ref.range_km).max() < 1e-6
        for name in ("sun_el_deg", "sun_sep_deg", "moon_el_deg", "moon_sep_deg"):
            assert np.abs(getattr(g, name) - getattr(ref, name)).max() < 0.01, name
        assert np.abs(g.moon_illumination - ref.moon_illumination).max() < 1e-4
        assert g.station_alt_m == ref.station_alt_m


def _series(rng: np.random.Generator, n: int, peak_db: float, day_night: bool) -> tuple[np.ndarray, np.ndarray]:
    t = np.linspace(-1, 1, n)
    eta = 10 ** (-(peak_db + 12 * t**2) / 10)
    bg = np.full(n, 2e-7) if not day_night else np.where(t < rng.uniform(-0.5, 0.5), 3e-4, 2e-8)
    return eta, bg


def test_batched_optimiser_equals_per_pass() -> None:
    """pass_keys (optimiser batched over passes) gives pass_key's key for every pass to 1e-9,
    short and long (coarse-to-fine window scan) series, flat and day/night backgrounds."""
    rng = np.random.default_rng(7)
    cases = [_series(rng, n, db, dn) for n, db, dn in
             [(120, 30, False), (300, 33, False), (260, 28, True), (900, 40, False), (1500, 44, True),
              (40, 35, False)]]
    pr = Protocol(pulses_per_s=1e9, extraneous_click_prob=0.0)
    t = [np.arange(e.size) * 2.0 for e, _ in cases]
    batch = pass_keys([e for e, _ in cases], [b for _, b in cases], t, pr)
    for (eta, bg), ts, got in zip(cases, t, batch, strict=True):
        ref = pass_key(eta, bg, ts, pr)
        assert got.secret_key_bits == pytest.approx(ref.secret_key_bits, rel=1e-9, abs=1e-6)
        assert (got.window_start_s, got.window_end_s) == (ref.window_start_s, ref.window_end_s)
    assert sum(k.secret_key_bits > 0 for k in batch) >= 4


def test_together_equals_one_at_a_time(day) -> None:
    """A pass forecast with others and alone: the same key (to 1e-9)."""
    leo = [p for p in day if p.duration_s < 3600][:6]
    together = forecast_passes(leo)
    for p, f in zip(leo, together, strict=True):
        alone = forecast_pass(p)
        assert alone.key.secret_key_bits == pytest.approx(f.key.secret_key_bits, rel=1e-9, abs=1e-6)
        assert np.allclose(alone.link.eta, f.link.eta, rtol=1e-9, atol=0)


def test_adaptive_long_window_within_half_a_percent_of_one_second(fleet) -> None:
    """An MEO window (hours) and a GEO window through dusk, forecast as the planner does
    (slots up to 1800 a window, link at adaptive nodes), against every 1-s slot evaluated: the
    key within 0.5 %."""
    stations = select_stations(["jinan"])
    night = T0 + timedelta(hours=20)  # 04:00 to 10:00 local time at Jinan
    meo = max(find_passes([s for s in fleet if "MEO" in s.name], stations, night, night + timedelta(hours=6)),
              key=lambda p: p.duration_s)
    assert meo.duration_s > 3600
    geo_sat = [s for s in fleet if "GEO" in s.name]
    t0 = T0 + timedelta(hours=7.5)  # Jinan's dusk falls inside (about 09:00 UTC)
    geo = find_passes(geo_sat, stations, t0, t0 + timedelta(hours=3))[0]
    for p in (meo, geo):
        fast = forecast_pass(p)
        assert fast.geometry.t_s.size < p.duration_s / 2 or fast.geometry.t_s[1] - fast.geometry.t_s[0] > 1
        fine = forecast_pass(p, step_s=1.0, adaptive=False)
        assert fine.key.secret_key_bits > 0
        assert fast.key.secret_key_bits == pytest.approx(fine.key.secret_key_bits, rel=5e-3)
    bg = fine.link.background_prob_per_gate_per_detector
    assert bg.max() > 100 * bg.min()  # the GEO window does span day and night


def test_dead_time_lowers_a_bright_key_and_zero_dead_time_changes_nothing(day) -> None:
    """The detected signal enters the dead-time saturation: a long dead time lowers the key of
    a bright pass; with no dead time the link equals the budget without signal."""
    from passplan.forecast import resolve_link
    from passplan.forecast.nodes import link_series
    from passplan.link import link_budget
    from passplan.passes.sampling import sample_scene

    p = max((q for q in day if q.station == "jinan" and q.duration_s < 3600), key=lambda q: q.max_el_deg)
    r = resolve_link("jinan-1")
    prof, proto = r.profile, r.protocol
    s = sample_scene([p], 1.0, slots=True)
    keys = {}
    for tau in (0.0, 22e-9, 1e-5):
        pr = replace(prof, detector=replace(prof.detector, dead_time_s=tau))
        link = link_series(s, [pr], [proto], None)[0]
        keys[tau] = pass_key(link.eta, link.background_prob_per_gate_per_detector, s.t_s, proto).secret_key_bits
        plain = link_budget(pr, elevation_deg=np.clip(s.el_deg, 1e-6, 90), range_m=s.range_km * 1000,
                            sun_elevation_deg=s.sun_el_deg, sun_separation_deg=s.sun_sep_deg,
                            moon_elevation_deg=s.moon_el_deg, moon_separation_deg=s.moon_sep_deg,
                            moon_illumination=s.moon_illumination, site_alt_m=p.station_ref.alt_m,
                            slew_rate_rad_s=s.los_rate_rad_s)
        if tau == 0.0:
            assert np.array_equal(link.eta, plain.eta)
        else:
            # the detected signal before saturation, pulses x mean photon number x eta, in the
            # non-paralysable dead-time factor 1 / (1 + R tau) per detector (Knoll eq. 4.23);
            # the forecast takes eta before saturation every 8th slot, straight-line in log between
            mean = float(np.dot(proto.probabilities, proto.intensities))
            signal = proto.pulses_per_s * mean * plain.eta / plain.saturation_factor
            rate = (plain.background_cps + plain.dark_cps + signal) / prof.detector.count
            expected = 1.0 / (1.0 + rate * tau)
            # (the interpolation's error peaks at culmination: 5.8e-4 on the calibrated jinan-1
            # at 10 us, the test's extreme dead time)
            assert np.allclose(link.saturation_factor, expected, rtol=1e-3)
            assert link.saturation_factor.min() < plain.saturation_factor.min()
    assert keys[0.0] > 0
    assert keys[1e-5] < keys[22e-9] <= keys[0.0]
    assert keys[1e-5] < 0.99 * keys[0.0]  # 10 us: a few per cent of the key
