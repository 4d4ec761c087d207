"""Weather: which passes find a clear sky, on average and night by night.

The mean: a pass's expected key is its forecast key times its station's clear-sky probability
(:meth:`passplan.stations.Station.clear_sky_probability`, annual or monthly, each bundled value
citing its source or marked assumed).

The spread: a seeded Monte-Carlo draws each station's sky once per local night (every pass of
that night at that station shares it) from a Gaussian copula, so each station is clear with
its own probability while nearby stations tend to be clear or cloudy together. The correlation
of the latent variables of two stations ``d`` km apart is ``exp(-d / L)``; ``L`` =
:data:`CLOUD_CORRELATION_KM` is assumed (cloud-cover fields decorrelate over a few hundred km;
the Irish four-station study of Anipeddi et al., arXiv:2408.08657, found up to 45 % more key
from four stations than from one through that decorrelation). The run reports the spread of
delivered key and what station diversity buys: the chance that at least one station of the
network is clear on a night against the best single station's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import NormalDist
from typing import Any

import numpy as np

from .errors import InputError
from .stations import Station
from .units import R_EARTH_M

__all__ = [
    "CLOUD_CORRELATION_KM",
    "WeatherSpread",
    "cloud_correlation",
    "local_night",
    "simulate_weather",
]

#: e-folding distance of the inter-station cloud correlation (km), assumed.
CLOUD_CORRELATION_KM = 500.0
_EARTH_RADIUS_KM = R_EARTH_M / 1000.0  # mean Earth radius (IUGG) for great-circle distances


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance on a sphere of radius 6371 km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def cloud_correlation(stations: Sequence[Station], length_km: float = CLOUD_CORRELATION_KM) -> np.ndarray:
    """Correlation matrix of the stations' latent sky variables, ``exp(-distance / length_km)``
    (positive definite for any set of distinct points: the exponential kernel on the sphere)."""
    if not length_km > 0:
        raise InputError(f"cloud correlation length {length_km} km must be positive")
    n = len(stations)
    c = np.eye(n)
    for i in range(n):
        for j in range(i + 1, n):
            d = great_circle_km(stations[i].lat_deg, stations[i].lon_deg, stations[j].lat_deg, stations[j].lon_deg)
            c[i, j] = c[j, i] = math.exp(-d / length_km)
    return c


def local_night(t: datetime, lon_deg: float) -> int:
    """The local night a time belongs to, as an ordinal day: the local mean solar date of
    ``t - 12 h``, so one evening and the following morning share a night."""
    solar = t + timedelta(hours=lon_deg / 15.0 - 12.0)
    return solar.date().toordinal()


@dataclass(frozen=True)
class WeatherSpread:
    """What a seeded Monte-Carlo of cloudy nights gives for a set of links."""

    trials: int
    seed: int
    correlation_km: float
    forecast_bits: float  # every link clear
    expected_bits: float  # analytic mean: each link times its station's clear-sky probability
    mean_bits: float
    std_bits: float
    p05_bits: float
    p50_bits: float
    p95_bits: float
    per_station_mean_bits: dict[str, float]
    nights: int
    p_any_clear: float  # chance a night has at least one clear station (of those with links)
    p_best_single_clear: float  # the same for the best single station
    diversity_gain: float  # network's mean delivered key over the best single station's

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def simulate_weather(
    links: Sequence[tuple[str, datetime, float]],
    stations: Mapping[str, Station],
    *,
    trials: int = 2000,
    seed: int = 0,
    correlation_km: float = CLOUD_CORRELATION_KM,
) -> WeatherSpread:
    """Spread of delivered key for ``links`` = ``(station id, time, forecast bits)`` under
    correlated cloudy nights. Deterministic for a given seed."""
    if not isinstance(trials, int) or trials < 1:
        raise InputError(f"trials = {trials!r}; give a whole number of Monte-Carlo trials >= 1")
    ids = sorted({s for s, _, _ in links})
    for s in ids:
        if s not in stations:
            raise InputError(f"link at unknown station {s!r}; known: {', '.join(sorted(stations))}")
    sts = [stations[s] for s in ids]
    col = {s: k for k, s in enumerate(ids)}
    nights = sorted({local_night(t, stations[s].lon_deg) for s, t, _ in links})
    row = {n: k for k, n in enumerate(nights)}
    bits = np.zeros((len(nights), len(ids)))
    p = np.zeros((len(nights), len(ids)))
    forecast = 0.0
    expected = 0.0
    for s, t, b in links:
        if not (math.isfinite(b) and b >= 0):
            raise InputError(f"link at {s} {t.isoformat()}: {b} bits; give a finite number >= 0")
        st = stations[s]
        k, j = row[local_night(t, st.lon_deg)], col[s]
        bits[k, j] += b
        prob = st.clear_sky_probability(t.month)
        p[k, j] = prob
        forecast += b
        expected += b * prob
    if not ids:
        zero: dict[str, float] = {}
        return WeatherSpread(trials, seed, correlation_km, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, zero, 0, 0.0, 0.0, 0.0)
    chol = np.linalg.cholesky(cloud_correlation(sts, correlation_km) + 1e-12 * np.eye(len(ids)))
    # thresholds: clear when the latent normal falls below the p-quantile
    nd = NormalDist()
    thr = np.vectorize(lambda q: -np.inf if q <= 0 else (np.inf if q >= 1 else nd.inv_cdf(q)))(p)
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((trials, len(nights), len(ids))) @ chol.T
    has_link = bits > 0
    clear = z < thr[None, :, :]
    delivered = (clear * bits[None, :, :]).sum(axis=(1, 2))
    per_station = (clear * bits[None, :, :]).sum(axis=1).mean(axis=0)
    any_clear = (clear & has_link[None]).any(axis=2)  # (trials, nights)
    nights_with_links = has_link.any(axis=1)
    p_any = float(any_clear[:, nights_with_links].mean()) if nights_with_links.any() else 0.0
    single = [
        float((clear[:, has_link[:, j], j]).mean()) if has_link[:, j].any() else 0.0 for j in range(len(ids))
    ]
    best_single_station = int(np.argmax(per_station))
    mean = float(delivered.mean())
    best_mean = float(per_station[best_single_station])
    return WeatherSpread(
        trials=trials,
        seed=seed,
        correlation_km=correlation_km,
        forecast_bits=forecast,
        expected_bits=expected,
        mean_bits=mean,
        std_bits=float(delivered.std()),
        p05_bits=float(np.percentile(delivered, 5)),
        p50_bits=float(np.percentile(delivered, 50)),
        p95_bits=float(np.percentile(delivered, 95)),
        per_station_mean_bits={s: float(per_station[k]) for k, s in enumerate(ids)},
        nights=len(nights),
        p_any_clear=p_any,
        p_best_single_clear=max(single),
        diversity_gain=mean / best_mean if best_mean > 0 else 0.0,
    )
