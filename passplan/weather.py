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

Draws where a min or a flow is taken: the relayed key of a pair is a minimum of two pools and a
network's end-to-end key a maximum flow, both concave in the links' key, so replaying each
link's *expected* key (forecast times clear-sky probability) overestimates the expected result
(Jensen's inequality). :func:`clear_draws` gives, per seeded trial, which links found a clear
sky (the same copula, one draw per station and local night); the relay and the network replay
each trial with every clear link's clear-sky key and every cloudy link's none, and
:class:`KeyDraws` reports the mean, its standard error, P10/P50/P90 and the clear-sky bound
(every link clear) beside the replay of expectations.
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
    "DEFAULT_DRAWS",
    "KeyDraws",
    "WeatherSpread",
    "clear_draws",
    "cloud_correlation",
    "local_night",
    "simulate_weather",
]

#: e-folding distance of the inter-station cloud correlation (km), assumed.
CLOUD_CORRELATION_KM = 500.0
#: Weather draws ``relay_key`` and ``network_key`` take by default (assumed: the standard error
#: of the mean is then about 1 % of the mean for a week of Jinan-1 between Beijing and
#: Stellenbosch, whose standard deviation is 0.45 of its mean; about 0.1 s of replays there).
DEFAULT_DRAWS = 2000
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


def _check_trials(trials: int) -> None:
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise InputError(f"trials = {trials!r}; give a whole number of Monte-Carlo trials >= 1")


def _night_grid(
    links: Sequence[tuple[str, datetime]], stations: Mapping[str, Station]
) -> tuple[list[str], list[int], list[tuple[int, int]], np.ndarray]:
    """The stations with links (sorted ids), their local nights (sorted ordinals), each link's
    (night row, station column), and the clear-sky probability of each (night, station) cell
    with a link (0 where none)."""
    ids = sorted({s for s, _ in links})
    for s in ids:
        if s not in stations:
            raise InputError(f"link at unknown station {s!r}; known: {', '.join(sorted(stations))}")
    col = {s: k for k, s in enumerate(ids)}
    nights = sorted({local_night(t, stations[s].lon_deg) for s, t in links})
    row = {n: k for k, n in enumerate(nights)}
    cells = [(row[local_night(t, stations[s].lon_deg)], col[s]) for s, t in links]
    p = np.zeros((len(nights), len(ids)))
    for (s, t), (k, j) in zip(links, cells, strict=True):
        p[k, j] = stations[s].clear_sky_probability(t.month)
    return ids, nights, cells, p


def _draw_cells(
    sts: Sequence[Station], p: np.ndarray, trials: int, seed: int, correlation_km: float
) -> np.ndarray:
    """``(trials, nights, stations)`` booleans: clear when the station's latent normal, correlated
    between stations by :func:`cloud_correlation`, falls below its clear-sky quantile."""
    chol = np.linalg.cholesky(cloud_correlation(sts, correlation_km) + 1e-12 * np.eye(len(sts)))
    nd = NormalDist()
    thr = np.vectorize(lambda q: -np.inf if q <= 0 else (np.inf if q >= 1 else nd.inv_cdf(q)))(p)
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((trials, p.shape[0], len(sts))) @ chol.T
    return np.asarray(z < thr[None, :, :])


def clear_draws(
    links: Sequence[tuple[str, datetime]],
    stations: Mapping[str, Station],
    *,
    trials: int = DEFAULT_DRAWS,
    seed: int = 0,
    correlation_km: float = CLOUD_CORRELATION_KM,
) -> np.ndarray:
    """Which of ``links`` = ``(station id, time)`` find a clear sky, trial by trial: a
    ``(trials, len(links))`` boolean array. Links of one station in one local night share their
    sky; stations' skies are correlated as in :func:`simulate_weather` (the same seed gives the
    same skies there); each is clear with its station's (monthly) clear-sky probability."""
    _check_trials(trials)
    if not links:
        return np.zeros((trials, 0), bool)
    ids, _, cells, p = _night_grid(links, stations)
    cell = _draw_cells([stations[s] for s in ids], p, trials, seed, correlation_km)
    rows = np.array([k for k, _ in cells], dtype=np.intp)
    cols = np.array([j for _, j in cells], dtype=np.intp)
    return np.asarray(cell[:, rows, cols])


@dataclass(frozen=True)
class KeyDraws:
    """The key of a relay or a network under seeded weather draws, each figure named for what it
    is: the draws' mean (with its standard error), their P10/P50/P90, the clear-sky bound (every
    link clear) and the replay of expectations (each link's expected key through the same min or
    flow: an upper estimate of the mean, by Jensen's inequality, where the result is concave in
    the links' key: a max-flow, or a relay without storage cap or key lifetime)."""

    trials: int
    seed: int
    correlation_km: float
    mean_bits: float
    stderr_bits: float  # standard error of the mean: std / sqrt(trials)
    std_bits: float
    p10_bits: float
    p50_bits: float
    p90_bits: float
    clear_sky_bound_bits: float
    expectation_replay_bits: float
    p_zero: float  # share of draws with no key at all
    demand_bits: float | None = None
    p_demand_met: float | None = None  # share of draws that meet ``demand_bits`` in the window

    @classmethod
    def from_values(
        cls,
        values: Sequence[float] | np.ndarray,
        *,
        seed: int,
        correlation_km: float,
        clear_sky_bound_bits: float,
        expectation_replay_bits: float,
        demand_bits: float | None = None,
    ) -> KeyDraws:
        v = np.asarray(values, dtype=float)
        if v.size < 1:
            raise InputError("no weather draws to summarise; give trials >= 1")
        p10, p50, p90 = (float(x) for x in np.percentile(v, [10, 50, 90]))
        return cls(
            trials=int(v.size),
            seed=seed,
            correlation_km=correlation_km,
            mean_bits=float(v.mean()),
            stderr_bits=float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else 0.0,
            std_bits=float(v.std(ddof=1)) if v.size > 1 else 0.0,
            p10_bits=p10,
            p50_bits=p50,
            p90_bits=p90,
            clear_sky_bound_bits=float(clear_sky_bound_bits),
            expectation_replay_bits=float(expectation_replay_bits),
            p_zero=float((v <= 0).mean()),
            demand_bits=demand_bits,
            p_demand_met=None if demand_bits is None else float((v >= demand_bits * (1 - 1e-12)).mean()),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (bits to 0.1, shares to 1e-4); the demand keys only with a demand."""
        out: dict[str, Any] = {}
        for k in self.__dataclass_fields__:
            v = getattr(self, k)
            if k in ("demand_bits", "p_demand_met") and self.demand_bits is None:
                continue
            if isinstance(v, float) and k.endswith("_bits"):
                v = round(v, 1)
            elif isinstance(v, float) and k.startswith("p_"):
                v = round(v, 4)
            out[k] = v
        return out


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
    _check_trials(trials)
    for s, t, b in links:
        if not (math.isfinite(b) and b >= 0):
            raise InputError(f"link at {s} {t.isoformat()}: {b} bits; give a finite number >= 0")
    ids, nights, cells, p = _night_grid([(s, t) for s, t, _ in links], stations)
    bits = np.zeros((len(nights), len(ids)))
    forecast = 0.0
    expected = 0.0
    for (s, t, b), (k, j) in zip(links, cells, strict=True):
        bits[k, j] += b
        forecast += b
        expected += b * stations[s].clear_sky_probability(t.month)
    if not ids:
        zero: dict[str, float] = {}
        return WeatherSpread(trials, seed, correlation_km, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, zero, 0, 0.0, 0.0, 0.0)
    clear = _draw_cells([stations[s] for s in ids], p, trials, seed, correlation_km)
    has_link = bits > 0
    delivered = (clear * bits[None, :, :]).sum(axis=(1, 2))
    per_station = (clear * bits[None, :, :]).sum(axis=1).mean(axis=0)
    any_clear = np.asarray((clear & has_link[None]).any(axis=2))  # (trials, nights)
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
