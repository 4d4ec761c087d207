"""Weather: station clear-sky fields and the correlated cloudy-night Monte-Carlo, against the
analytic mean, scipy's bivariate normal and the independent / fully correlated limits."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from passplan.errors import ConfigError, InputError
from passplan.stations import Station, load_stations
from passplan.weather import cloud_correlation, great_circle_km, local_night, simulate_weather

T = datetime(2026, 12, 2, 14, tzinfo=UTC)


def site(sid: str, lat: float, lon: float, p: float | list[float] | None) -> Station:
    return Station(id=sid, lat_deg=lat, lon_deg=lon, alt_m=0.0, clear_sky=p)


def test_bundled_clear_sky_cites_or_says_assumed() -> None:
    for st in load_stations().values():
        assert st.clear_sky is not None and 0 < st.clear_sky_probability() < 1
        src = st.clear_sky_source
        assert "assumed" in src or "arXiv" in src or "doi" in src, st.id
    assert load_stations()["xinglong"].clear_sky_probability() == 0.63  # Zhang et al. 2015
    assert load_stations()["ngari"].clear_sky_probability() == 0.60  # Qian et al. 2024


def test_station_scheduling_fields_validated() -> None:
    monthly = site("m", 0, 0, [0.1 * (k % 10) for k in range(12)])
    assert monthly.clear_sky_probability(3) == pytest.approx(0.2)
    assert site("n", 0, 0, None).clear_sky_probability(5) == 1.0
    for bad in (1.2, -0.1, [0.5] * 11, "clear"):
        with pytest.raises(ConfigError, match="clear_sky"):
            site("b", 0, 0, bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="telescopes = 0"):
        Station(id="t", lat_deg=0, lon_deg=0, alt_m=0, telescopes=0)
    with pytest.raises(ConfigError, match="setup_s"):
        Station(id="t", lat_deg=0, lon_deg=0, alt_m=0, setup_s=-1.0)


def test_station_file_accepts_scheduling_keys(tmp_path) -> None:
    f = tmp_path / "st.toml"
    f.write_text(
        '[stations.obs]\nlat_deg = 10\nlon_deg = 20\nalt_m = 100\ntelescopes = 2\nsetup_s = 90\n'
        'clear_sky = 0.7\nclear_sky_source = "site log 2020-2025"\n'
    )
    st = load_stations([f])["obs"]
    assert (st.telescopes, st.setup_s, st.clear_sky, st.clear_sky_source) == (2, 90.0, 0.7, "site log 2020-2025")
    assert st.to_dict()["telescopes"] == 2


def test_great_circle_and_correlation() -> None:
    # Xinglong to Graz: about 7,600 km (Liao et al., PRL 120, 030501 (2018))
    st = load_stations()
    d = great_circle_km(st["xinglong"].lat_deg, st["xinglong"].lon_deg, st["graz"].lat_deg, st["graz"].lon_deg)
    assert 7400 < d < 7800
    c = cloud_correlation([st["xinglong"], st["graz"]], 500.0)
    assert c[0, 1] == pytest.approx(math.exp(-d / 500.0))
    with pytest.raises(InputError):
        cloud_correlation([st["xinglong"]], 0.0)


def test_local_night_groups_evening_and_morning() -> None:
    lon = 117.6  # Xinglong: local solar time = UTC + 7.84 h
    evening = datetime(2016, 12, 19, 12, tzinfo=UTC)  # about 19:50 local
    morning = datetime(2016, 12, 19, 20, tzinfo=UTC)  # about 03:50 local next day
    next_evening = evening + timedelta(days=1)
    assert local_night(evening, lon) == local_night(morning, lon) != local_night(next_evening, lon)


def test_mean_matches_expected_key() -> None:
    stations = {"a": site("a", 40, 117, 0.63), "b": site("b", 43, 87, 0.5), "c": site("c", -34, 19, 0.55)}
    links = [(s, T + timedelta(days=k, minutes=10 * j), 1e5 * (1 + j)) for k in range(7) for j, s in enumerate("abc")]
    out = simulate_weather(links, stations, trials=4000, seed=1)
    assert out.forecast_bits == pytest.approx(sum(b for *_, b in links))
    assert out.expected_bits == pytest.approx(sum(b * stations[s].clear_sky for s, _, b in links))
    assert abs(out.mean_bits - out.expected_bits) < 4 * out.std_bits / math.sqrt(out.trials)
    assert out.p05_bits <= out.p50_bits <= out.p95_bits
    again = simulate_weather(links, stations, trials=4000, seed=1)
    assert again == out


def test_pair_clear_probability_matches_bivariate_normal() -> None:
    """Both stations clear on a night: the Gaussian copula's orthant probability (scipy)."""
    from scipy.stats import multivariate_normal, norm

    a, b = site("a", 40.0, 117.0, 0.6), site("b", 41.0, 119.0, 0.4)
    rho = float(cloud_correlation([a, b], 300.0)[0, 1])
    both = float(
        multivariate_normal(mean=[0, 0], cov=[[1, rho], [rho, 1]]).cdf([norm.ppf(0.6), norm.ppf(0.4)])
    )
    links = [("a", T, 1.0), ("b", T, 1.0)]
    out = simulate_weather(links, {"a": a, "b": b}, trials=40_000, seed=3, correlation_km=300.0)
    any_clear = 0.6 + 0.4 - both
    assert out.p_any_clear == pytest.approx(any_clear, abs=0.01)


def test_diversity_limits() -> None:
    """Far apart (independent): P(any clear) = 1 - prod(1 - p); on top of each other (fully
    correlated) it falls to the best single station's."""
    p = 0.5
    far = {f"s{k}": site(f"s{k}", 0.0, 90.0 * k, p) for k in range(4)}
    links = [(s, T, 1.0) for s in far]
    indep = simulate_weather(links, far, trials=20_000, seed=5, correlation_km=1.0)
    assert indep.p_any_clear == pytest.approx(1 - (1 - p) ** 4, abs=0.01)
    assert indep.diversity_gain == pytest.approx(4.0, rel=0.05)
    near = {f"s{k}": site(f"s{k}", 0.0, 1e-4 * k, p) for k in range(4)}
    same = simulate_weather(links, near, trials=20_000, seed=5, correlation_km=1e6)
    assert same.p_any_clear == pytest.approx(p, abs=0.01)
    assert same.p_best_single_clear == pytest.approx(p, abs=0.01)


def test_bad_input() -> None:
    with pytest.raises(InputError, match="unknown station"):
        simulate_weather([("x", T, 1.0)], {})
    with pytest.raises(InputError, match="trials"):
        simulate_weather([], {}, trials=0)
    with pytest.raises(InputError, match="bits"):
        simulate_weather([("a", T, float("nan"))], {"a": site("a", 0, 0, 0.5)})
    assert np.isfinite(simulate_weather([], {}).mean_bits)


def test_station_file_refuses_bad_mask_azimuth_and_unknown_receiver(tmp_path) -> None:
    """Issue 12: a mask azimuth of 400 deg and a receiver naming no profile fail at load."""
    from passplan.errors import UnknownNameError

    f = tmp_path / "st.toml"
    f.write_text("[stations.obs]\nlat_deg = 10\nlon_deg = 20\nalt_m = 100\nhorizon_mask = [[0, 5], [400, 10]]\n")
    with pytest.raises(ConfigError, match="azimuth 400 deg is outside"):
        load_stations([f])
    f.write_text('[stations.obs]\nlat_deg = 10\nlon_deg = 20\nalt_m = 100\nreceiver = "micios"\n')
    with pytest.raises(UnknownNameError, match="did you mean 'micius'"):
        load_stations([f])
    prof = tmp_path / "mine.toml"
    prof.write_text("")
    f.write_text(f'[stations.obs]\nlat_deg = 10\nlon_deg = 20\nalt_m = 100\nreceiver = "{prof}"\n')
    assert load_stations([f])["obs"].receiver == str(prof)
