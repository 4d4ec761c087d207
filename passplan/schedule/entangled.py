"""Entangled links in relays and networks: key directly between two ground stations from a
satellite's entangled-pair source, with no trusted satellite (issue 19, part 1).

An entangled link's key is the BBM92 key of the joint windows (:func:`passplan.pairs.
joint_windows`: the satellite usable from both stations at once) of one satellite with an
entangled-source profile over the study window, forecast by :func:`passplan.forecast.pair.
forecast_pairs` and **pooled into one block** by :func:`passplan.forecast.pair.pooled_key`, as
the experiment did (Yin et al., Nature 582, 501 (2020) processed 3,100 s of data at once). Per
window it would be zero: one Micius window holds a few hundred sifted bits, below what a finite
key needs (tests/test_entangle.py). The satellite holds no key: nothing to store, nothing to XOR.

Weather: a window gives key only when **both** stations are clear. The replay of expectations
multiplies the pooled clear-sky key by ``P(both clear)``, the sifted-bit weighted mean over the
windows of the joint clear probability of the two stations on the window's night (the Gaussian
copula of :mod:`passplan.weather`: latent normals correlated ``exp(-d / L)``; bivariate normal
CDF at the two clear-sky quantiles). That is "forecast x P(both clear)"; it overestimates the
mean (a finite key is convex-then-zero in the block size: a thin block may give nothing). The
draws (:func:`passplan.weather.clear_draws`, the same seeded copula, both ends of each window
drawn with the trusted links of the same run) pool only the windows whose two stations are both
clear, through the same :func:`pooled_key`, and report mean, P10/P50/P90 as for other links.

Weather as recorded (a :class:`~passplan.schedule.cloud_record.CloudRecord`): a window keeps
the share of its sifted bits (and errors) that both stations were clear, the product of the two
stations' recorded shares under the record's rule (an assumption of independence given the cloud
fractions, exact for the threshold rule and for clear flags); the windows' kept bits pool into the
block's key (:func:`recorded_key_bits`; the draws use the same path, the recorded ends fixed in
every draw, :func:`entangled_draws`). A station without a record keeps the draws.

Left undone in relays and networks (stated): a satellite's source serves one pair at a time, so
where one entangled satellite has joint windows with several station pairs that overlap in time,
each overlap is given to the pair whose window starts first (ties: the pair's station ids); a
station's telescopes are not shared out between its entangled windows and its trusted links
there. A schedule (``passplan schedule --entangled``) does both: every joint window is a
candidate (:func:`entangled_candidates`) that holds the satellite and a telescope at each of its
two stations, and the plan chooses among them and the trusted links.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import replace as dc_replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError
from ..forecast.pair import DEFAULT_PAIR_PROFILE, forecast_pairs, pooled_key
from ..weather import CLOUD_CORRELATION_KM, DEFAULT_DRAWS, KeyDraws, great_circle_km

if TYPE_CHECKING:
    from ..forecast.pair import PairForecast
    from ..keyrate.bbm92 import BBM92Key
    from ..passes import Constraints
    from ..stations import Station
    from .cloud_record import CloudRecord
    from .model import Candidate, Demand, Plan, Resources
    from .network import Network

__all__ = ["EntangledLink", "entangled_links", "entangled_candidates", "scheduled_links", "pick_entangled", "check_entangled_profile", "entangled_capacities", "both_clear_probability", "entangled_draws",
           "DEFAULT_PAIR_PROFILE", "BlockValues", "revalued", "consistent_plan", "REVALUE_ROUNDS",
           "record_shares", "recorded_weights", "recorded_key_bits", "entangled_record_windows"]

#: the most plans :func:`consistent_plan` solves, the first (on the shares of all the windows)
#: included; a stated small number (the README example settles in three)
REVALUE_ROUNDS = 6


def both_clear_probability(a: Station, b: Station, when: datetime,
                           correlation_km: float = CLOUD_CORRELATION_KM) -> float:
    """The chance that stations ``a`` and ``b`` are both clear on the night of ``when``: the
    bivariate normal CDF at their clear-sky quantiles, correlation ``exp(-d / correlation_km)``
    (the copula :func:`passplan.weather.clear_draws` draws from)."""
    from scipy.stats import multivariate_normal, norm

    pa, pb = a.clear_sky_probability(when.month), b.clear_sky_probability(when.month)
    if pa <= 0 or pb <= 0:
        return 0.0
    if pa >= 1 or pb >= 1:
        return min(pa, pb)
    rho = float(np.exp(-great_circle_km(a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg) / correlation_km))
    # the same night at both stations is assumed here (true for stations < ~90 deg of longitude
    # apart at night); clear_draws draws each station's own local night
    cov = [[1.0, rho], [rho, 1.0]]
    return float(multivariate_normal(mean=[0.0, 0.0], cov=cov).cdf([norm.ppf(pa), norm.ppf(pb)]))


@dataclass(frozen=True, eq=False)
class EntangledLink:
    """The entangled link of one satellite between two stations over a study window: the
    forecasts of its joint windows, their pooled (clear-sky) key and each window's chance that
    both stations are clear."""

    satellite: str
    stations: tuple[str, str]
    profile: str
    forecasts: list[PairForecast]
    key: BBM92Key  # pooled_key(forecasts): every window clear
    p_both_clear: np.ndarray  # per window

    @property
    def key_bits(self) -> float:
        """The pooled clear-sky key (bits)."""
        return float(self.key.secret_key_bits)

    @property
    def p_clear(self) -> float:
        """``P(both clear)`` of the link: the sifted-bit weighted mean over its windows."""
        s = np.array([f.sifted_bits for f in self.forecasts], dtype=float)
        if s.sum() <= 0:
            return float(self.p_both_clear.mean()) if self.p_both_clear.size else 0.0
        return float((s * self.p_both_clear).sum() / s.sum())

    @property
    def expected_key_bits(self) -> float:
        """Forecast x P(both clear): the link's key in the replay of expectations."""
        return self.key_bits * self.p_clear

    def key_of(self, clear: np.ndarray) -> float:
        """The pooled key of the windows marked ``clear`` (one weather draw): booleans (or 0/1)
        pool the windows kept; fractions in between (a cloud record's clear shares) pool each
        window's sifted bits and errors times its share (:func:`pooled_key`'s ``weights``)."""
        w = np.asarray(clear, dtype=float)
        if np.all((w == 0.0) | (w == 1.0)):
            kept = [f for f, c in zip(self.forecasts, w.tolist(), strict=True) if c]
            return float(pooled_key(kept).secret_key_bits) if kept else 0.0
        return float(pooled_key(self.forecasts, weights=w).secret_key_bits)

    def to_dict(self) -> dict[str, Any]:
        sec = sum(f.seconds for f in self.forecasts)
        sifted = sum(f.sifted_bits for f in self.forecasts)
        errors = sum(f.errors for f in self.forecasts)
        return {
            "satellite": self.satellite,
            "station_a": self.stations[0],
            "station_b": self.stations[1],
            "profile": self.profile,
            "windows": len(self.forecasts),
            "seconds": round(sec, 1),
            "sifted_bits": round(sifted, 1),
            "qber": round(errors / sifted, 6) if sifted > 0 else 0.0,
            "key_bits": round(self.key_bits, 1),
            "p_both_clear": round(self.p_clear, 4),
            "expected_key_bits": round(self.expected_key_bits, 1),
            "limiting": self.key.limiting,
        }


def _ends(e: EntangledLink) -> list[tuple[str, datetime, datetime]]:
    """Both ends of each of ``e``'s windows, ``(station, start, end)``: a's then b's, window by window."""
    out = []
    for f in e.forecasts:
        out += [(e.stations[0], f.window.start, f.window.end), (e.stations[1], f.window.start, f.window.end)]
    return out


def record_shares(e: EntangledLink, record: CloudRecord) -> np.ndarray:
    """``(windows, 2)``: the share of each window ``record`` keeps at each of its two stations
    (its rule: the clear fraction, or all or nothing at the threshold; :meth:`CloudRecord.
    clear_factors`), NaN at a station without a record. A window the record does not cover at
    a recorded station is an error naming it."""
    cloud = record.cloud_fractions(_ends(e), "joint window")
    return np.asarray(record.clear_factors(cloud), dtype=float).reshape(-1, 2)


def recorded_weights(e: EntangledLink, record: CloudRecord, stations: Mapping[str, Station]) -> np.ndarray:
    """Each window's share of its sifted bits in the replay of ``record``: the product of its
    two stations' recorded shares (an **assumption**: the two lines of sight clear
    independently given their cloud fractions; exact for the ``threshold`` rule and for
    records of clear flags, where each share is 0 or 1); a station without a record stands in
    with its clear-sky probability of the window's month, two such with ``P(both clear)``
    (:func:`both_clear_probability`)."""
    f = record_shares(e, record)
    pa = np.array([stations[e.stations[0]].clear_sky_probability(w.window.start.month) for w in e.forecasts])
    pb = np.array([stations[e.stations[1]].clear_sky_probability(w.window.start.month) for w in e.forecasts])
    a, b = f[:, 0], f[:, 1]
    both = np.where(np.isnan(a) & np.isnan(b), e.p_both_clear, 0.0)
    one = np.where(np.isnan(a), pa, a) * np.where(np.isnan(b), pb, b)
    return np.where(np.isnan(a) & np.isnan(b), both, one)


def recorded_key_bits(e: EntangledLink, record: CloudRecord, stations: Mapping[str, Station]) -> float:
    """The link's key in the replay of ``record``: its windows' sifted bits times
    :func:`recorded_weights`, pooled into one block (:meth:`EntangledLink.key_of`)."""
    return e.key_of(recorded_weights(e, record, stations))


def entangled_record_windows(ent: Sequence[EntangledLink], record: CloudRecord) -> list[dict[str, Any]]:
    """A result's ``cloud_record`` rows of entangled windows with a recorded station: each
    window's pair, times, cloud fraction and kept share at each station (None where the
    station has no record)."""
    from ..times import iso_z

    rows = []
    for e in ent:
        cloud = record.cloud_fractions(_ends(e), "joint window").reshape(-1, 2)
        share = record_shares(e, record)
        for f, c, k in zip(e.forecasts, cloud, share, strict=True):
            if np.isnan(c).all():
                continue
            rows.append({
                "station_a": e.stations[0], "station_b": e.stations[1], "satellite": e.satellite,
                "start_utc": iso_z(f.window.start), "end_utc": iso_z(f.window.end),
                "cloud_fraction_a": None if np.isnan(c[0]) else round(float(c[0]), 4),
                "cloud_fraction_b": None if np.isnan(c[1]) else round(float(c[1]), 4),
                "key_share_a": None if np.isnan(k[0]) else round(float(k[0]), 4),
                "key_share_b": None if np.isnan(k[1]) else round(float(k[1]), 4),
            })
    return rows


def check_entangled_profile(profile: str) -> None:
    """Refuse a profile without an entangled-pair source before any pass search (the error
    starts with ``entangled_profile``)."""
    from ..errors import UnknownNameError
    from ..forecast.pair import pair_source
    from ..forecast.resolve import resolve_link

    try:
        pair_source(resolve_link(profile).profile)
    except (InputError, UnknownNameError) as e:  # an unknown name too: the error names the parameter
        raise InputError(f"entangled_profile {profile!r}: {e}") from None


def pick_entangled(satellites: Sequence[Any], names: Sequence[str]) -> tuple[list[Any], list[Any]]:
    """Split ``satellites`` into those ``names`` call entangled sources (by name, alias or
    catalogue number, case-insensitive) and the rest; a name that matches none is an error."""
    wanted = {str(n).strip().lower() for n in names}

    def keys(s: Any) -> set[str]:
        out = {str(getattr(s, "name", "")).lower()} | {str(a).lower() for a in getattr(s, "aliases", ())}
        if getattr(s, "norad_id", None) is not None:
            out.add(str(s.norad_id))
        return out

    ent = [s for s in satellites if keys(s) & wanted]
    found = set().union(*(keys(s) for s in ent)) if ent else set()
    missing = sorted(wanted - found)
    if missing:
        raise InputError(f"entangled satellite {missing[0]!r} is not among the chosen satellites; name one of "
                         f"{', '.join(sorted(str(getattr(s, 'name', s)) for s in satellites)) or '(none)'}")
    return ent, [s for s in satellites if not keys(s) & wanted]


def entangled_links(
    satellites: Sequence[Any],
    stations: Sequence[Station],
    start: datetime,
    end: datetime,
    constraints: Constraints | None = None,
    *,
    profile: str = DEFAULT_PAIR_PROFILE,
    correlation_km: float = CLOUD_CORRELATION_KM,
    exclusive: bool = True,
) -> list[EntangledLink]:
    """The entangled links of ``satellites`` between every pair of ``stations`` (sorted by id)
    that has joint windows from ``start`` to ``end``: joint windows, their forecasts
    (:func:`forecast_pairs` with ``profile``) and pooled key (:func:`pooled_key`). A satellite's
    windows with different pairs that overlap in time go to the one that starts first (see the
    module); ``exclusive=False`` keeps them all (a schedule chooses among them:
    :func:`entangled_candidates`)."""
    from ..pairs import joint_windows

    sts = sorted(stations, key=lambda s: s.id)
    found = []  # (window, pair index)
    pairs = [(x, y) for i, x in enumerate(sts) for y in sts[i + 1:]]
    for k, (x, y) in enumerate(pairs):
        for w in joint_windows(satellites, x, y, start, end, constraints).windows:
            found.append((w, k))
    # one pair at a time per satellite: first start wins, ties by pair order
    found.sort(key=lambda wk: (wk[0].satellite, wk[0].norad_id or 0, wk[0].start, wk[1]))
    kept: dict[tuple[str, int], list[Any]] = {}
    last_end: dict[tuple[str, int | None], datetime] = {}
    for w, k in found:
        ident = (w.satellite, w.norad_id)
        if exclusive and ident in last_end and w.start < last_end[ident]:
            continue
        last_end[ident] = w.end
        kept.setdefault((w.satellite, k), []).append(w)
    out = []
    for (sat, k), ws in sorted(kept.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        ws.sort(key=lambda w: w.start)
        fs = forecast_pairs(ws, profile)
        x, y = pairs[k]
        p = np.array([both_clear_probability(x, y, w.start, correlation_km) for w in ws])
        out.append(EntangledLink(sat, (x.id, y.id), profile, fs, pooled_key(fs), p))
    return out


def entangled_candidates(links: Sequence[EntangledLink], min_key_bits: float = 0.0) -> list[Candidate]:
    """The schedule's candidates of entangled ``links`` (:func:`entangled_links` with
    ``exclusive=False``): one per joint window, between the link's two stations (``station``
    and ``partner``), for the whole window (the window is already the overlap of two passes;
    no hand-over sub-windows), its clear-sky probability the window's ``P(both clear)``.

    Its key is its **share of the link's pooled key** (the finite key of all the link's windows
    processed as one block, :func:`pooled_key`, as the experiment did), in proportion to its
    sifted bits: a window alone holds too few sifted bits for a finite key (module docstring),
    so its own key would be zero and no plan would choose it; the shares of all the windows sum
    to the pooled key, and they are linear in the windows chosen, so the plan stays a MILP (an
    approximation where the plan leaves windows out: the finite key of a block is not linear in
    its windows). A plan that leaves some windows out processes a different block, whose finite
    key differs from the sum of the shares: lower for a smaller block (it keeps a smaller
    fraction of its sifted bits), possibly higher where the windows left out had a high error
    rate; a schedule therefore re-values the windows from those it chose and solves again
    (:func:`consistent_plan`) and reports the pooled key of the windows it chose beside the
    plan's figure (:func:`scheduled_links`). A window whose share is zero, or below
    ``min_key_bits``, gets a reason."""
    from .model import Candidate

    out: list[Candidate] = []
    for e in links:
        sifted = np.array([f.sifted_bits for f in e.forecasts], dtype=float)
        total = float(sifted.sum())
        share = e.key_bits * sifted / total if total > 0 else np.zeros(sifted.size)
        a, b = e.stations
        for f, bits, p in zip(e.forecasts, share.tolist(), e.p_both_clear.tolist(), strict=True):
            w = f.window
            reason = None
            if bits <= 0:
                reason = f"no key: {e.key.limiting or 'zero'} (pooled over the {len(e.forecasts)} joint window(s))"
            elif bits < min_key_bits:
                reason = f"below minimum key ({bits:.3g} < {min_key_bits:.3g} bits)"
            out.append(Candidate(
                uid=w.uid, pass_uid=w.uid, station=a, satellite=w.satellite, start=w.start, end=w.end,
                key_bits=float(bits), clear_sky=float(p), pass_start=w.start, pass_end=w.end, reason=reason,
                satellite_id="" if w.norad_id is None else str(int(w.norad_id)), partner=b,
            ))
    return out


def scheduled_links(links: Sequence[EntangledLink], chosen: Sequence[Candidate]) -> list[EntangledLink]:
    """Each of ``links`` restricted to its windows among the ``chosen`` candidates (by window
    uid), with the pooled key of those windows alone (:func:`pooled_key`: the chosen windows
    processed as one block); links with no chosen window are left out."""
    uids = {c.uid for c in chosen if c.partner is not None}
    out = []
    for e in links:
        keep = np.array([f.window.uid in uids for f in e.forecasts], bool)
        if keep.any():
            fs = [f for f, k in zip(e.forecasts, keep.tolist(), strict=True) if k]
            out.append(EntangledLink(e.satellite, e.stations, e.profile, fs, pooled_key(fs), e.p_both_clear[keep]))
    return out


def entangled_draws(
    links: Sequence[Candidate],
    ent: Sequence[EntangledLink],
    stations: Mapping[str, Station],
    outcome: Callable[[np.ndarray, list[float]], float],
    *,
    trials: int = DEFAULT_DRAWS,
    seed: int = 0,
    expectation_replay_bits: float,
    demand_bits: float | None = None,
    cloud_record: CloudRecord | None = None,
) -> KeyDraws:
    """``outcome(trusted link bits, entangled link bits)`` under ``trials`` seeded, correlated
    weather draws: each trusted link gives its clear-sky key when its station is clear, each
    entangled link the pooled key of its windows whose two stations are both clear (one
    :func:`passplan.weather.clear_draws` over the trusted links and both ends of every window,
    so nearby stations and one station's night are drawn alike). One evaluation per distinct
    pattern.

    With ``cloud_record``, every end at a recorded station keeps the record's share in every
    draw (:func:`passplan.schedule.draws.record_factors` for trusted links,
    :func:`record_shares` for both ends of each window), the others are drawn; a window's
    share is the product of its two ends' (the assumption of :func:`recorded_weights`), and
    the windows' sifted bits times their shares pool into one block (:meth:`EntangledLink.
    key_of`): the same code path as the draws."""
    from ..weather import clear_draws
    from .draws import record_factors

    ends: list[tuple[str, datetime]] = [(ln.station, ln.start) for ln in links]
    spans = []
    for e in ent:
        lo = len(ends)
        for f in e.forecasts:
            ends += [(e.stations[0], f.window.start), (e.stations[1], f.window.start)]
        spans.append((lo, len(ends)))
    clear: np.ndarray = clear_draws(ends, stations, trials=trials, seed=seed) if ends else np.zeros((trials, 0), bool)
    if cloud_record is not None:
        fixed = np.concatenate([record_factors(links, cloud_record)]
                               + [record_shares(e, cloud_record).ravel() for e in ent])
        clear = np.where(np.isnan(fixed)[None, :], clear.astype(float), np.nan_to_num(fixed)[None, :])
    key = np.array([ln.key_bits for ln in links], dtype=float)
    n = len(links)

    def value(row: np.ndarray) -> float:
        if row.dtype == bool:
            both = [np.asarray(row[lo:hi].reshape(-1, 2).all(axis=1)) for lo, hi in spans]
        else:
            both = [np.asarray(row[lo:hi].reshape(-1, 2).prod(axis=1)) for lo, hi in spans]
        return outcome(key * row[:n], [e.key_of(c) for e, c in zip(ent, both, strict=True)])

    memo: dict[bytes, float] = {}
    values = np.empty(trials)
    for k in range(trials):
        pattern = clear[k].tobytes()
        if pattern not in memo:
            memo[pattern] = value(clear[k])
        values[k] = memo[pattern]
    bound = outcome(key, [e.key_bits for e in ent])
    return KeyDraws.from_values(
        values, seed=seed, correlation_km=CLOUD_CORRELATION_KM, clear_sky_bound_bits=bound,
        expectation_replay_bits=expectation_replay_bits, demand_bits=demand_bits,
    )


def entangled_capacities(net: Network, ent: Sequence[EntangledLink], bits: Sequence[float] | None = None
                         ) -> dict[tuple[str, str, str], float]:
    """``{(station_a, station_b, satellite): bits}`` of entangled links whose stations are in
    ``net`` (the links' expected key, or ``bits`` one per link)."""
    values = [e.expected_key_bits for e in ent] if bits is None else list(bits)
    out: dict[tuple[str, str, str], float] = {}
    for e, b in zip(ent, values, strict=True):
        if e.stations[0] in net.stations and e.stations[1] in net.stations:
            k = (e.stations[0], e.stations[1], e.satellite)
            out[k] = out.get(k, 0.0) + float(b)
    return out



class BlockValues:
    """Each entangled window's key from a block of its link's windows (:func:`pooled_key`, one
    evaluation per block, remembered).

    Given the windows a plan chose (:meth:`values`), for each link L with chosen windows C:

    - a chosen window gets its share, by sifted bits, of the pooled key of C (so the values of a
      plan's windows sum to what they pool to: what the plan really gets), or zero where C
      without it pools to as much (a window whose errors cost more than its bits bring, or a
      block too small for any key: the plan is better off without it);
    - a window left out gets what adding it to C gains, ``pooled(C + w) - pooled(C)``, or zero.

    With none of L's windows chosen, a window's gain is its own key alone, zero for a Micius
    window (the module docstring): a link a plan drops does not come back in later rounds."""

    def __init__(self, links: Sequence[EntangledLink]) -> None:
        self.links = list(links)
        self._sifted = [np.array([f.sifted_bits for f in e.forecasts], dtype=float) for e in self.links]
        self._memo: dict[tuple[int, frozenset[int]], float] = {}

    def pooled(self, k: int, windows: Collection[int]) -> float:
        """The pooled key (bits) of link ``k``'s windows ``windows`` (indices)."""
        key = (k, frozenset(windows))
        if key not in self._memo:
            fs = self.links[k].forecasts
            self._memo[key] = float(pooled_key([fs[i] for i in sorted(key[1])]).secret_key_bits) if key[1] else 0.0
        return self._memo[key]

    def share(self, k: int, window: int, block: Collection[int]) -> float:
        """Window ``window``'s share, by sifted bits, of the pooled key of ``block`` (indices of
        link ``k``'s windows, ``window`` among them)."""
        s = self._sifted[k]
        total = float(s[list(block)].sum())
        return self.pooled(k, block) * float(s[window]) / total if total > 0 else 0.0

    def values(self, chosen: Collection[str]) -> dict[str, tuple[float, str]]:
        """``{window uid: (bits, why)}`` of every window of every link, from the window uids
        ``chosen`` (the class docstring); ``why`` says where a zero came from."""
        out: dict[str, tuple[float, str]] = {}
        for k, e in enumerate(self.links):
            on = [i for i, f in enumerate(e.forecasts) if f.window.uid in chosen]
            base = self.pooled(k, on)
            pair = f"{e.stations[0]}-{e.stations[1]}"
            for i, f in enumerate(e.forecasts):
                if i in on:
                    without = self.pooled(k, [j for j in on if j != i])
                    why = (f"the {len(on)} {pair} window(s) of the last round pool to as much key without it "
                           f"({without:.1f} bits)")
                    out[f.window.uid] = (self.share(k, i, on) if base > without else 0.0, why)
                else:
                    why = (f"added to the {len(on)} {pair} window(s) of the last round, it gains no key" if on else
                           f"the last round chose no {pair} window, and alone it pools to no key")
                    out[f.window.uid] = (max(0.0, self.pooled(k, [*on, i]) - base), why)
        return out

    def real_key_bits(self, chosen: Collection[str]) -> float:
        """The clear-sky key of the ``chosen`` windows: each link's chosen windows pooled as one
        block, summed over the links."""
        total = 0.0
        for k, e in enumerate(self.links):
            on = [i for i, f in enumerate(e.forecasts) if f.window.uid in chosen]
            total += self.pooled(k, on)
        return total


def revalued(cands: Sequence[Candidate], values: Mapping[str, tuple[float, str]],
             min_key_bits: float = 0.0) -> list[Candidate]:
    """``cands`` with each entangled candidate's key set to ``values[uid]`` (bits, and why a
    zero; :meth:`BlockValues.values`), others as they are; one whose key is zero, or below
    ``min_key_bits``, gets a reason and is never chosen. A window with no key even pooled with
    all its link's windows (its reason from :func:`entangled_candidates` starts "no key") keeps
    its reason."""
    out = []
    for c in cands:
        if c.partner is None or c.uid not in values or (c.reason or "").startswith("no key"):
            out.append(c)
            continue
        bits, why = values[c.uid]
        reason = None
        if bits <= 0:
            reason = f"no key gained: {why}"
        elif bits < min_key_bits:
            reason = f"below minimum key ({bits:.3g} < {min_key_bits:.3g} bits)"
        out.append(dc_replace(c, key_bits=float(bits), reason=reason))
    return out


def consistent_plan(
    cands: Sequence[Candidate],
    links: Sequence[EntangledLink],
    solve: Callable[[list[Candidate]], Plan],
    resources: Resources,
    demands: Sequence[Demand] = (),
    objective: str = "total",
    *,
    min_key_bits: float = 0.0,
    rounds: int = REVALUE_ROUNDS,
) -> tuple[Plan, list[Candidate], dict[str, Any]]:
    """A plan whose entangled windows are valued at what the windows it chose pool to: a
    deterministic fixed-point re-valuation, a **heuristic** (not proven optimal).

    Round 1 solves ``cands`` as given (:func:`entangled_candidates`: each window's share of the
    pooled key of all its link's windows). Each later round re-values every entangled window
    from the windows the previous round chose (:class:`BlockValues`: a chosen window at its
    share of what they pool to, one left out at what adding it gains) and solves again (``solve``,
    the schedule's solver, e.g. :func:`passplan.schedule.plan_schedule` with its options). It
    stops when a round chooses the same windows as the round before (``converged``: the plan's
    values are then what its windows pool to), when it repeats an earlier round's choice (a
    cycle), or after ``rounds`` solves. Every round's plan is scored by its **real value**: the
    objective (:func:`passplan.schedule.milp.evaluate`) of its links with their windows valued at
    their shares of the pooled key of the windows chosen, then its total expected key; the best
    is kept (a later round on ties), so the result is never worse than the first solve.

    Returns the plan, the candidates it was solved on, and the ``rounds`` document: rounds run,
    whether converged, the round kept, and per round the entangled windows chosen, the key the
    plan counted for them (clear sky) and what they pool to."""
    from .milp import evaluate
    from .model import by_time
    from .problem import Problem

    values = BlockValues(links)
    ent_uids = {f.window.uid for e in links for f in e.forecasts}
    current = list(cands)
    seen: list[frozenset[str]] = []
    history: list[dict[str, Any]] = []
    best: tuple[tuple[float, float], int, Plan, list[Candidate]] | None = None
    converged = False
    for r in range(max(1, int(rounds))):
        plan = solve(current)
        chosen = frozenset(c.uid for c in plan.links if c.uid in ent_uids)
        nxt = revalued(cands, values.values(chosen), min_key_bits)
        real = {c.uid: c for c in nxt}
        links_real = [real[c.uid] for c in plan.links]
        prob = Problem(by_time(nxt), resources, demands, objective, validate_demands=False)
        primary, _ = evaluate(prob, np.array([c.uid in {ln.uid for ln in plan.links} for c in prob.cands], bool))
        score = (float(primary), float(sum(c.expected_key_bits for c in links_real)))
        history.append({
            "round": r + 1,
            "entangled_windows": len(chosen),
            "planned_key_bits": round(sum(c.key_bits for c in plan.links if c.uid in ent_uids), 1),
            "key_bits": round(values.real_key_bits(chosen), 1),
            "objective": round(score[0], 6),
        })
        if best is None or score >= best[0]:
            best = (score, r + 1, plan, current)
        if seen and chosen == seen[-1]:
            converged = True
            break
        if chosen in seen:  # a cycle: no round after this one chooses anything new
            break
        seen.append(chosen)
        current = nxt
    assert best is not None
    doc = {
        "method": "fixed-point re-valuation (heuristic)",
        "rounds": len(history),
        "max_rounds": max(1, int(rounds)),
        "converged": converged,
        "kept_round": best[1],
        "history": history,
    }
    return best[2], best[3], doc
