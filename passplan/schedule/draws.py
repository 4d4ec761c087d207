"""The key of a relay or a network under seeded, correlated weather draws (issue 18).

A trusted relay takes the smaller of two pools and a network the maximum flow: both are concave
in the links' key, so replaying each link's *expected* key (forecast times clear-sky
probability) overestimates the expected result (Jensen's inequality). Here the scheduled links
are replayed draw by draw instead (:func:`passplan.weather.clear_draws`: one sky per station
and local night, nearby stations alike): a clear link gives its clear-sky key, a cloudy one
none, through the same :func:`~passplan.schedule.relay.relay` or max flow. The result is a
:class:`passplan.weather.KeyDraws`: mean, standard error, P10/P50/P90, the clear-sky bound and
the replay of expectations beside them.

With a cloud record (:class:`passplan.schedule.cloud_record.CloudRecord`, ``cloud_record``) the links at
its stations keep what the record says in every draw (:func:`record_factors`: the clear share
of the key, or all or nothing), and only the other stations are drawn (their draws are those of
the same seed without the record).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError
from ..stations import Station
from ..weather import DEFAULT_DRAWS, KeyDraws
from .model import Candidate
from .network import Network, pools_from_links
from .relay import Deposit, relay

if TYPE_CHECKING:
    from .cloud_record import CloudRecord

__all__ = ["MAX_WEATHER_TRIALS", "deposits_of", "relay_draws", "flow_draws", "record_factors", "recorded_bits",
           "record_document"]

#: Most cloudy-night Monte-Carlo trials one run draws (assumed bound: the draws hold trials x
#: nights x stations normals; 10^5 trials of a week at 10 stations is about 56 MB, and the
#: spread's sampling error is already ~0.3 % at 10^5).
MAX_WEATHER_TRIALS = 100_000


def _check_trials(trials: int) -> None:
    if isinstance(trials, bool) or not isinstance(trials, int) or not 1 <= trials <= MAX_WEATHER_TRIALS:
        raise InputError(f"weather_trials {trials}: give 1 to {MAX_WEATHER_TRIALS} trials for draws")


def deposits_of(links: Sequence[Candidate], bits: Sequence[float] | np.ndarray | None = None) -> list[Deposit]:
    """The relay's deposits of scheduled links: each link's expected key (or ``bits``, one number
    per link) joins its pool at the link's end."""
    values = [ln.expected_key_bits for ln in links] if bits is None else bits
    return [Deposit(ln.station, ln.satellite, ln.end, float(x), ln.satellite_id) for ln, x in zip(links, values, strict=True)]


def record_factors(links: Sequence[Candidate], record: CloudRecord | None) -> np.ndarray:
    """The share of each link's clear-sky key that ``record`` keeps (NaN for a link at a station
    without a record, or every link without one); a link the record does not cover is an error."""
    if record is None:
        return np.full(len(links), np.nan)
    cloud = record.cloud_fractions([(ln.station, ln.start, ln.end) for ln in links], "link")
    return record.clear_factors(cloud)


def recorded_bits(links: Sequence[Candidate], record: CloudRecord | None) -> np.ndarray:
    """Each link's key as the record has it (clear-sky key times :func:`record_factors`) at a
    recorded station, its expected key (times the clear-sky probability) elsewhere."""
    factor = record_factors(links, record)
    key = np.array([ln.key_bits for ln in links], dtype=float)
    expected = np.array([ln.expected_key_bits for ln in links], dtype=float)
    return np.where(np.isnan(factor), expected, key * np.nan_to_num(factor))


def record_document(links: Sequence[Candidate], record: CloudRecord) -> dict[str, Any]:
    """A result's ``cloud_record`` object: the record's summary and each scheduled link at a
    recorded station with its mean cloud fraction and the share of its key kept."""
    from ..times import iso_z

    doc = record.describe()
    cloud = record.cloud_fractions([(ln.station, ln.start, ln.end) for ln in links], "link")
    share = record.clear_factors(cloud)
    doc["links"] = [
        {"station": ln.station, "satellite": ln.satellite, "start_utc": iso_z(ln.start), "end_utc": iso_z(ln.end),
         "cloud_fraction": round(float(c), 4), "key_share": round(float(f), 4),
         "key_bits": round(ln.key_bits * float(f), 1)}
        for ln, c, f in zip(links, cloud, share, strict=True) if not np.isnan(c)
    ]
    return doc


def _draw_values(
    links: Sequence[Candidate], stations: Mapping[str, Station], trials: int, seed: int,
    outcome: Callable[[np.ndarray], float], record: CloudRecord | None = None,
) -> tuple[np.ndarray, float]:
    """``outcome`` of each weather draw's link keys (clear-sky key on a clear night, none on a
    cloudy one; at a station of ``record``, the record's share in every draw), one evaluation
    per distinct pattern, and of every link clear."""
    from ..weather import clear_draws

    key = np.array([ln.key_bits for ln in links], dtype=float)
    share = clear_draws([(ln.station, ln.start) for ln in links], stations, trials=trials, seed=seed).astype(float)
    fixed = record_factors(links, record)
    if not np.isnan(fixed).all():
        share = np.where(np.isnan(fixed)[None, :], share, np.nan_to_num(fixed)[None, :])
    memo: dict[bytes, float] = {}
    values = np.empty(trials)
    for k in range(trials):
        pattern = share[k].tobytes()
        if pattern not in memo:
            memo[pattern] = outcome(key * share[k])
        values[k] = memo[pattern]
    return values, outcome(key)


def relay_draws(
    links: Sequence[Candidate],
    stations: Mapping[str, Station],
    pair: tuple[str, str],
    *,
    trials: int = DEFAULT_DRAWS,
    seed: int = 0,
    expectation_replay_bits: float | None = None,
    demand_bits: float | None = None,
    storage_bits: float | None = None,
    lifetime_s: float | None = None,
    storage_rule: str = "cap-first",
    cloud_record: CloudRecord | None = None,
) -> KeyDraws:
    """The relayed key of scheduled ``links`` (each with ``key_bits``, ``station``, ``start``,
    ``end``) under ``trials`` seeded, correlated weather draws (``stations`` by id give each
    link's clear-sky probability), replayed through :func:`~passplan.schedule.relay.relay` with
    the same options. ``expectation_replay_bits`` defaults to the replay of expected key (with
    ``cloud_record``: of the record's key at its stations, :func:`recorded_bits`)."""
    from ..weather import CLOUD_CORRELATION_KM, KeyDraws

    _check_trials(trials)
    opts: dict[str, Any] = {"storage_bits": storage_bits, "lifetime_s": lifetime_s, "storage_rule": storage_rule}
    if expectation_replay_bits is None:
        expectation_replay_bits = relay(deposits_of(links, recorded_bits(links, cloud_record)), pair, **opts).relayed_bits
    values, bound = _draw_values(
        links, stations, trials, seed, lambda bits: relay(deposits_of(links, bits), pair, **opts).relayed_bits,
        cloud_record,
    )
    return KeyDraws.from_values(
        values, seed=seed, correlation_km=CLOUD_CORRELATION_KM, clear_sky_bound_bits=bound,
        expectation_replay_bits=expectation_replay_bits, demand_bits=demand_bits,
    )


def flow_draws(
    net: Network,
    source: str,
    target: str,
    period_s: float,
    links: Sequence[Candidate],
    stations: Mapping[str, Station],
    *,
    trials: int = DEFAULT_DRAWS,
    seed: int = 0,
    expectation_replay_bits: float | None = None,
    cloud_record: CloudRecord | None = None,
) -> KeyDraws:
    """The end-to-end key of ``net`` over ``period_s`` with the satellite pools of scheduled
    ``links`` under ``trials`` seeded, correlated weather draws (ground links are not weather
    dependent; links at a station of ``cloud_record`` keep the record's share in every draw).
    ``expectation_replay_bits`` defaults to the flow of expected key (the record's at its
    stations)."""
    from ..weather import CLOUD_CORRELATION_KM, KeyDraws
    from .network import flow_value

    _check_trials(trials)
    if expectation_replay_bits is None:
        expectation_replay_bits = flow_value(
            net, source, target, period_s, pools_from_links(links, recorded_bits(links, cloud_record))
        )
    values, bound = _draw_values(
        links, stations, trials, seed,
        lambda bits: flow_value(net, source, target, period_s, pools_from_links(links, bits)), cloud_record,
    )
    return KeyDraws.from_values(
        values, seed=seed, correlation_km=CLOUD_CORRELATION_KM, clear_sky_bound_bits=bound,
        expectation_replay_bits=expectation_replay_bits,
    )
