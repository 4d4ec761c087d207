"""The link budget against published experiment figures, and its array behaviour."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from passplan.errors import InputError, UnknownNameError
from passplan.link import LOSS_TERMS, link_budget, list_profiles, load_profile
from passplan.link.slant import elevation_from_range_deg

# Liao et al., Nature 549, 43 (2017): channel loss without detectors (reference section 3).
# 1150 km is interpolated linearly between the 1000 and 1200 km points.
MICIUS_2017 = {645e3: 29.75, 800e3: 31.0, 1000e3: 34.4, 1150e3: 34.4 + 0.75 * (40.3 - 34.4)}


def _micius(ranges_m: np.ndarray):
    p = load_profile("micius")
    el = elevation_from_range_deg(ranges_m, p.orbit_alt_m, p.site.alt_m)
    return link_budget(p, elevation_deg=el, range_m=ranges_m)


def test_micius_2017_curve_within_2_db() -> None:
    r = np.array(sorted(MICIUS_2017))
    s = _micius(r)
    model = s.total_loss_db - s.detector_db
    ref = np.array([MICIUS_2017[x] for x in r])
    assert np.all(np.abs(model - ref) < 2.0), np.round(model - ref, 2)


def test_micius_monotonic_over_pass_and_elevation_at_645_km() -> None:
    r = np.linspace(645e3, 1200e3, 60)
    s = _micius(r)
    assert np.all(np.diff(s.total_loss_db) > 0)
    # the 2016-12-19 pass culminated at 47.8 deg, 645.3 km (reference section 1)
    assert s.elevation_deg[0] == pytest.approx(47.8, abs=1.5)


def test_micius_uplink_within_measured_span() -> None:
    # Han et al., arXiv:1912.06317: uplink loss 41-52 dB over 500-1400 km (reference section 3)
    p = load_profile("micius-uplink")
    r = np.linspace(500e3, 1400e3, 10)
    el = elevation_from_range_deg(r, p.orbit_alt_m, p.site.alt_m)
    s = link_budget(p, elevation_deg=el, range_m=r)
    model = s.total_loss_db - s.detector_db
    assert np.all((model >= 41.0) & (model <= 52.0)), np.round(model, 2)
    assert model[-1] - model[0] > 8.0  # most of the measured 11 dB span


def test_terms_multiply_to_eta() -> None:
    for name in list_profiles():
        s = link_budget(name, elevation_deg=np.array([15.0, 40.0, 90.0]))
        total = sum(getattr(s, t) for t in LOSS_TERMS)
        assert np.allclose(total, s.total_loss_db, atol=1e-9)
        assert np.allclose(10 ** (-s.total_loss_db / 10), s.eta, rtol=1e-12)
        assert np.all(np.isfinite(s.total_loss_db)) and np.all(s.eta > 0)
        assert np.all(s.background_prob_per_gate > 0) and np.all(s.background_prob_per_gate < 1)


def test_arrays_in_arrays_out_and_broadcasting() -> None:
    el = np.linspace(10, 90, 7).reshape(7, 1)
    sun = np.array([-30.0, 10.0, 45.0])
    s = link_budget("micius", elevation_deg=el, sun_elevation_deg=sun, sun_separation_deg=90.0)
    assert s.eta.shape == (7, 3)
    assert np.all(s.background_cps[:, 2] > 1e3 * s.background_cps[:, 0])
    rec = s.to_records()
    assert len(rec) == 21 and rec[0]["transmittance"] == rec[0]["eta"]


def test_vectorised_equals_scalar() -> None:
    el = np.array([12.0, 33.0, 77.0])
    s = link_budget(
        "daylight-1550", elevation_deg=el, sun_elevation_deg=30.0, sun_separation_deg=60.0
    )
    for i, e in enumerate(el):
        one = link_budget(
            "daylight-1550", elevation_deg=e, sun_elevation_deg=30.0, sun_separation_deg=60.0
        )
        assert one.total_loss_db == pytest.approx(s.total_loss_db[i], rel=1e-12)
        assert one.background_prob_per_gate == pytest.approx(
            s.background_prob_per_gate[i], rel=1e-12
        )


def test_below_horizon_is_zero_with_reason() -> None:
    s = link_budget("micius", elevation_deg=np.array([-5.0, 0.0, 30.0]))
    assert list(s.eta[:2]) == [0.0, 0.0] and s.eta[2] > 0
    assert np.isnan(s.total_loss_db[0]) and s.reason[0] == "below the horizon" and s.reason[2] == ""
    assert list(s.valid) == [False, False, True]


@pytest.mark.parametrize("bad", [90.5, np.nan, np.inf])
def test_bad_elevation_raises(bad: float) -> None:
    with pytest.raises(InputError, match="elevation"):
        link_budget("micius", elevation_deg=np.array([30.0, bad]))


def test_bad_sky_and_range() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'rural'"):
        link_budget("micius", elevation_deg=30.0, sky="rurall")
    with pytest.raises(InputError, match="range"):
        link_budget("micius", elevation_deg=30.0, range_m=-1.0)


def test_daylight_background() -> None:
    night = link_budget("micius", elevation_deg=45.0)
    day = link_budget("micius", elevation_deg=45.0, sun_elevation_deg=45.0, sun_separation_deg=90.0)
    ratio = float(day.background_cps / night.background_cps)
    assert 1e4 <= ratio <= 1e6
    # single-mode fibre, 0.1 nm: the daylight 1550 nm station stays below 1e-5 noise clicks per gate
    d = link_budget(
        "daylight-1550",
        elevation_deg=np.array([20.0, 45.0, 80.0]),
        sun_elevation_deg=45.0,
        sun_separation_deg=60.0,
    )
    assert np.all(d.background_prob_per_gate < 1e-5)
    assert np.all(d.strehl > 0.5)


def test_dead_time_saturates_in_daylight() -> None:
    s = link_budget("micius-uplink", elevation_deg=45.0, sun_elevation_deg=60.0)
    assert s.saturation_factor < 0.9
    n = link_budget("micius-uplink", elevation_deg=45.0)
    assert n.saturation_factor > 0.999
    assert s.detector_db > n.detector_db


def test_station_altitude_and_visibility_matter() -> None:
    low = link_budget("micius", elevation_deg=20.0, site_alt_m=0.0)
    high = link_budget("micius", elevation_deg=20.0, site_alt_m=3000.0)
    assert high.atmosphere_db < low.atmosphere_db and high.r0_m > low.r0_m
    hazy = link_budget("micius", elevation_deg=20.0, visibility_km=5.0)
    assert hazy.atmosphere_db > low.atmosphere_db


def test_moonlight_adds_background() -> None:
    dark = link_budget("micius", elevation_deg=45.0, sky="dark")
    moon = link_budget(
        "micius",
        elevation_deg=45.0,
        sky="dark",
        moon_elevation_deg=40.0,
        moon_separation_deg=60.0,
        moon_illumination=1.0,
    )
    assert moon.background_cps > 2 * dark.background_cps


def test_geo_and_meo_ranges() -> None:
    geo = link_budget("geo-generic", elevation_deg=90.0)
    assert geo.range_m == pytest.approx(35786e3 - 1000.0, rel=1e-6)
    assert geo.greenwood_hz < link_budget("micius", elevation_deg=90.0).greenwood_hz
    meo = link_budget("meo-generic", elevation_deg=30.0)
    assert 30 < meo.total_loss_db < 60


@settings(max_examples=30, deadline=None)
@given(st.floats(5.0, 89.0), st.floats(0.1, 1.0))
def test_loss_grows_with_range(el: float, frac: float) -> None:
    s = link_budget(
        "jinan-1", elevation_deg=np.array([el, el]), range_m=np.array([600e3, 600e3 * (1 + frac)])
    )
    assert s.geometric_db[1] > s.geometric_db[0]
    assert s.total_loss_db[1] > s.total_loss_db[0]


def test_no_matplotlib_at_import() -> None:
    code = (
        "import sys, passplan, passplan.link, passplan.cli.link; print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_link_package_names_load_on_first_use() -> None:
    import importlib

    import passplan.link as lk

    for name in lk.__all__:
        module = importlib.import_module(f"passplan.link.{lk._LAZY.get(name, 'terms')}")
        assert getattr(lk, name) is getattr(module, name), name
    assert not hasattr(lk, "link")  # the old alias of link_budget is gone


def test_profile_built_in_code_without_field_stop_or_filter_is_refused() -> None:
    """A Profile made in code can lack what the TOML reader insists on; the budget says what."""
    import dataclasses

    p = load_profile("micius")
    no_fov = dataclasses.replace(p, receiver=dataclasses.replace(p.receiver, fov_half_angle_rad=None))
    with pytest.raises(InputError, match=r"multimode receiver has no fov_half_angle_rad; give the field\s+stop's half-angle"):
        link_budget(no_fov, elevation_deg=np.array([45.0]))
    no_filter = dataclasses.replace(p, receiver=dataclasses.replace(p.receiver, filter_nm=None))
    with pytest.raises(InputError, match="the receiver has no filter_nm; give the spectral filter's bandwidth in nm"):
        link_budget(no_filter, elevation_deg=np.array([45.0]))
    smf = load_profile("daylight-1550")  # a single-mode receiver needs no field stop
    assert smf.receiver.fov_half_angle_rad is None
    assert np.all(np.isfinite(link_budget(smf, elevation_deg=np.array([30.0, 60.0])).eta))
