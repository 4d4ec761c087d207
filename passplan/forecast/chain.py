"""The one chain from pass geometry to secret key: geometry -> channel -> key.

Every caller goes through here: pass forecasts (:func:`passplan.forecast.forecast_passes`, the
``--key`` path), ``track`` (:mod:`passplan.track`), schedule sub-windows (:func:`window_key`,
:func:`window_keys`), the coverage key table (:func:`slots_key` on cuts of a forecast) and the
README's library example. No other module calls the link budget (an import-linter contract in
pyproject.toml: only :mod:`passplan.forecast` imports :mod:`passplan.link.budget` or the
:mod:`passplan.link` namespace that re-exports it).

1. **Geometry**: samples from :func:`passplan.passes.sampling.sample_scene` (one scene for many
   passes, any instants: 1-s slot centres of a pass, the steps of a track, ...), which carries the
   line-of-sight angular rate from the SGP4 velocity.
2. **Channel** (:func:`link_channels`): the link budget of every sample with the resolved profile
   (:func:`passplan.forecast.resolve.resolve_link`), the servo-lag terms from the line-of-sight
   rate and the detected signal in the detectors' dead time, evaluated at adaptive nodes of long
   windows (:mod:`passplan.forecast.nodes`). The result is a :class:`passplan.link.LinkSeries`
   per pass: loss terms, ``eta``, background per gate and detector.
3. **Key** (:func:`channel_keys`, batched over the passes of a protocol; :func:`channel_key`
   for one): the finite-key estimate (:mod:`passplan.keyrate`) of the channel's slots, with
   non-finite ``eta`` and background (below the horizon) taken as zero. A channel without a
   single whole slot (a pass piece cut to less than one slot by a constraint or by the window's
   end) has a zero key whose ``limiting`` says so (:func:`passplan.keyrate.passkey.empty_key`),
   never an error that would abort the other passes of a batch.

:func:`run_chain` does the three for many passes; :func:`link_at` is the channel of one given
geometry (elevation, range, Sun and Moon), for ``passplan link``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError
from ..keyrate.batch import pass_keys
from ..keyrate.counts import SlotCounts, slot_counts
from ..keyrate.passkey import PassKey, empty_key, pass_key, prepare
from ..keyrate.protocol import Protocol
from ..link.budget import LinkSeries, link_budget
from ..link.profiles import Profile, load_profile
from ..link.terms import LOSS_TERMS
from ..passes.records import PassGeometry
from ..passes.sampling import SampledPasses
from .nodes import link_series
from .resolve import ResolvedLink

if TYPE_CHECKING:
    from .record import PassForecast

__all__ = [
    "ChainResult",
    "link_channels",
    "channel_key",
    "channel_keys",
    "run_chain",
    "slots_key",
    "window_slots",
    "forecast_slot_s",
    "window_key",
    "window_keys",
    "forecast_window_keys",
    "window_slot_ranges",
    "slot_counts_of",
    "link_at",
    "link_report",
    "asymptotic_rate_bps",
    "LINK_REPORT_KEYS",
    "check_link_geometry",
    "LOWEST_ORBIT_ALT_M",
    "MAX_RANGE_KM",
    "MAX_VISIBILITY_KM",
]


#: Slots of a channel: a boolean mask or integer indices.
Selection = NDArray[np.bool_] | NDArray[np.integer] | Sequence[int]


@dataclass(frozen=True, eq=False)
class ChainResult:
    """One pass through the chain: its geometry, channel (per sample) and key (None when the key
    was not asked for)."""

    geometry: PassGeometry
    link: LinkSeries
    key: PassKey | None
    resolved: ResolvedLink


def link_channels(
    samples: SampledPasses,
    links: Sequence[ResolvedLink],
    *,
    sky: str | None = None,
    adaptive: bool = True,
) -> list[LinkSeries]:
    """The channel of every pass of ``samples`` (one :class:`LinkSeries` per pass, one value per
    sample), ``links[k]`` the resolved link of pass ``k``; ``adaptive=False`` evaluates every
    sample (windows longer than an hour are otherwise evaluated at adaptive nodes)."""
    if len(links) != len(samples.passes):
        raise InputError(f"links has {len(links)} entries for {len(samples.passes)} sampled passes; give one per pass")
    return link_series(samples, [r.profile for r in links], [r.protocol for r in links], sky, adaptive)


def _clean(values: ArrayLike) -> NDArray[np.float64]:
    v = np.asarray(values, float)
    return np.where(np.isfinite(v), v, 0.0)


def _one_slot(protocol: Protocol, n_slots: int, slot_s: float | None) -> Protocol:
    """The protocol a channel of ``n_slots`` slots of ``slot_s`` seconds is estimated with: the
    key estimator takes the slot duration from the spacing of the slot times, which one slot
    does not have, so a single slot gets ``slot_s`` (else it would count the protocol's own
    ``slot_s``, 1 s: a 16-s GEO slot counted as one second, a half-second slot as two)."""
    if n_slots != 1 or slot_s is None or protocol.slot_s == slot_s:
        return protocol
    return replace(protocol, slot_s=float(slot_s))


def channel_key(link: LinkSeries, t_s: ArrayLike, protocol: Protocol, select: Selection | None = None,
                *, slot_s: float | None = None) -> PassKey:
    """The finite-key estimate of one channel (optionally only the samples ``select``: a mask
    or indices), non-finite ``eta`` and background taken as zero; no slot at all gives a zero
    key with its reason (:data:`passplan.keyrate.passkey.NO_SLOT`). ``slot_s`` is the slot
    duration (needed when a single slot is estimated: else the protocol's ``slot_s``)."""
    eta = _clean(link.eta)
    bg = _clean(link.background_prob_per_gate_per_detector)
    t = np.asarray(t_s, float)
    if select is not None:
        pick = np.asarray(select)
        if pick.size == 0:
            pick = pick.astype(np.intp)  # an empty list is no slot, not a float index
        eta, bg, t = eta[pick], bg[pick], t[pick]
    if eta.size == 0:
        return empty_key(protocol)
    return pass_key(eta, bg, t, _one_slot(protocol, eta.size, slot_s))


def channel_keys(links: Sequence[LinkSeries], t_s: Sequence[ArrayLike], protocols: Sequence[Protocol],
                 *, slot_s: Sequence[float | None] | None = None) -> list[PassKey]:
    """:func:`channel_key` of many channels, the optimiser batched over the channels of each
    protocol (:func:`passplan.keyrate.batch.pass_keys`); a channel without a slot gets the zero
    key of :func:`channel_key` and leaves the others untouched; ``slot_s[k]`` is channel ``k``'s
    slot duration (for a channel of one slot)."""
    etas = [_clean(lk.eta) for lk in links]
    bgs = [_clean(lk.background_prob_per_gate_per_detector) for lk in links]
    ts = [np.asarray(t, float) for t in t_s]
    slots = list(slot_s) if slot_s is not None else [None] * len(etas)
    keys: list[PassKey | None] = [None] * len(etas)
    by_proto: dict[Protocol, list[int]] = {}
    for k, pr in enumerate(protocols):
        if etas[k].size == 0:
            keys[k] = empty_key(pr)
            continue
        by_proto.setdefault(_one_slot(pr, etas[k].size, slots[k]), []).append(k)
    for pr, members in by_proto.items():
        found = pass_keys([etas[k] for k in members], [bgs[k] for k in members], [ts[k] for k in members], pr)
        for k, key in zip(members, found, strict=True):
            keys[k] = key
    return [k for k in keys if k is not None]


def run_chain(
    samples: SampledPasses,
    links: Sequence[ResolvedLink],
    *,
    sky: str | None = None,
    adaptive: bool = True,
    key: bool = True,
    slot_s: Sequence[float] | None = None,
) -> list[ChainResult]:
    """Geometry -> channel -> key for every pass of ``samples`` (module docstring); ``slot_s``
    the key slot of each pass (the step the samples were taken at as slot centres; a pass of one
    slot needs it). The result for a pass does not depend on the other passes of the batch (to
    float rounding)."""
    channels = link_channels(samples, links, sky=sky, adaptive=adaptive)
    geos = [samples.geometry(k) for k in range(len(samples.passes))]
    keys: list[PassKey | None] = [None] * len(geos)
    if key:
        keys = list(channel_keys(channels, [g.t_s for g in geos], [r.protocol for r in links], slot_s=slot_s))
    return [ChainResult(g, lk, k, r) for g, lk, k, r in zip(geos, channels, keys, links, strict=True)]


def asymptotic_rate_bps(forecast: PassForecast, link: LinkSeries | None = None) -> NDArray[np.float64]:
    """The asymptotic decoy-state key rate (bit/s) at each sample of ``link`` (default: the
    forecast's own per-slot channel): GLLP with decoys (Ma et al., PRA 72, 012326 (2005),
    :func:`passplan.keyrate.asymptotic.gllp_rate`) at the sample's transmittance and background,
    with the pass's optimised signal intensity and basis bias and the protocol's clock,
    misalignment error and error-correction efficiency (what ``track`` and the sky chart show)."""
    from ..keyrate.asymptotic import gllp_rate

    link = forecast.link if link is None else link
    proto = forecast.protocol_params
    key = forecast.key
    eta = _clean(link.eta)
    bg = _clean(link.background_prob_per_gate_per_detector)
    mu = float(key.intensities[0]) if key.intensities else float(proto.intensities[0])
    p_x = float(key.p_x) if key.p_x else float(proto.p_x)
    # two detectors: a noise click in either is a background yield
    # the sifted share that carries key: p_x^2 for the X basis, both bases and signal bits for
    # the protocols that key so (Protocol.key_fraction; issue 18)
    rate = proto.pulses_per_s * gllp_rate(eta, mu, 2.0 * bg, proto.intrinsic_qber, proto.f_ec,
                                          q=proto.key_fraction(p_x))
    return np.asarray(rate, float)


def _slots_in(forecast: PassForecast, start: datetime, end: datetime) -> NDArray[np.bool_]:
    """The mask of :func:`window_slots`, possibly empty."""
    if not end > start:
        raise InputError(f"window end {end} is not after its start {start}; give a window of positive length")
    i, j = window_slot_ranges(forecast, [(start, end)])[0]
    sel = np.zeros(np.size(forecast.geometry.t_s), bool)
    sel[i:j] = True
    return sel


def window_slot_ranges(forecast: PassForecast, windows: Sequence[tuple[datetime, datetime]]) -> NDArray[np.intp]:
    """The whole key slots of a forecast inside each window ``[start, end]`` as index ranges
    ``[i, j)`` (shape (windows, 2); ``j <= i`` when a window holds no whole slot): a slot lies
    inside when its start is at or after the window's (to 1 us) and its end at or before the
    window's. Slots are contiguous in time, so each window's slots are one range (the one
    selection :func:`window_slots` and :func:`window_keys` use)."""
    t = np.asarray(forecast.geometry.t_s, float)
    half = _half_slot(forecast, t)
    aos = forecast.pass_.aos
    lo = np.array([(a - aos).total_seconds() for a, _ in windows], float)
    hi = np.array([(b - aos).total_seconds() for _, b in windows], float)
    # slot k is inside when t_k - half >= lo - 1e-6 and t_k + half <= hi + 1e-6; both sides
    # increase with k, so the first holds from i on and the second up to j - 1
    i = np.searchsorted(t - half, lo - 1e-6, side="left")
    j = np.searchsorted(t + half, hi + 1e-6, side="right")
    return np.stack([i, j], axis=1).astype(np.intp).reshape(len(windows), 2)


def slot_counts_of(forecast: PassForecast) -> tuple[SlotCounts, Protocol]:
    """The expected counts of every key slot of a forecast's channel with its pass's protocol
    settings as given, and that protocol with the key slot's duration: the per-slot terms that
    :func:`window_key` sums over a window's slots when the protocol does not optimise
    (``optimise`` false: :func:`passplan.keyrate.passkey.pass_key` counts every slot of the
    window with the given source settings), so the key of many windows of one pass follows from
    running totals of these counts and :func:`passplan.keyrate.optimise.objective` of each
    window's sums."""
    link = forecast.link
    eta, b, _, pr = prepare(_clean(link.eta), _clean(link.background_prob_per_gate_per_detector),
                            forecast.geometry.t_s, forecast.protocol_params)
    pr = _one_slot(pr, eta.size, forecast_slot_s(forecast))
    counts = slot_counts(eta, b, pr.pulses_per_s * pr.slot_s, pr.p_x, pr.intensities, pr.probabilities,
                         pr.afterpulse_prob, pr.intrinsic_qber, pr.error_model)
    return counts, pr


def _half_slot(forecast: PassForecast, t: NDArray[np.float64]) -> float:
    """Half the key slot of a forecast (:func:`forecast_slot_s`)."""
    if t.size > 1:
        return float(t[1] - t[0]) / 2.0
    if t.size == 1:
        return float(t[0])  # the one slot's centre is half a slot after AOS
    return 0.5


def forecast_slot_s(forecast: PassForecast) -> float:
    """The key slot of a forecast (s): the spacing of its slot centres, or for a pass of one
    slot twice its centre (slots start at AOS); 1 s for a pass without a slot."""
    return 2.0 * _half_slot(forecast, np.asarray(forecast.geometry.t_s, float))


def _no_slot_reason(forecast: PassForecast, start: datetime, end: datetime) -> str:
    return f"no whole key slot of {forecast.pass_.uid} lies between {start} and {end}"


def window_slots(forecast: PassForecast, start: datetime, end: datetime) -> NDArray[np.bool_]:
    """The forecast's whole key slots inside ``[start, end]`` (a mask over its slots); an
    :class:`~passplan.errors.InputError` when there is none."""
    sel = _slots_in(forecast, start, end)
    if not sel.any():
        raise InputError(_no_slot_reason(forecast, start, end))
    return sel


def slots_key(forecast: PassForecast, select: Selection, protocol: Protocol | None = None) -> PassKey:
    """The key of a forecast's channel restricted to the slots ``select`` (mask or indices),
    with ``protocol`` (default: the pass's own, as its forecast used)."""
    return channel_key(forecast.link, forecast.geometry.t_s, protocol or forecast.protocol_params, select,
                       slot_s=forecast_slot_s(forecast))


def window_key(forecast: PassForecast, start: datetime, end: datetime) -> PassKey:
    """The finite-key estimate of a forecast pass restricted to its whole slots inside
    ``[start, end]``, with the pass's own protocol (a schedule sub-window)."""
    return slots_key(forecast, window_slots(forecast, start, end))


def window_keys(forecast: PassForecast, windows: Sequence[tuple[datetime, datetime]]) -> list[PassKey]:
    """:func:`window_key` of many windows of one forecast, the optimiser batched
    (:func:`channel_keys`; equal to :func:`window_key` to the optimiser's tolerance). A window
    holding no whole slot does not abort the batch: its key is zero and its ``limiting`` names
    the window (where :func:`window_key` of that one window raises)."""
    return forecast_window_keys([(forecast, a, b) for a, b in windows])


def forecast_window_keys(windows: Sequence[tuple[PassForecast, datetime, datetime]]) -> list[PassKey]:
    """:func:`window_keys` of windows ``(forecast, start, end)`` of many forecasts, the optimiser
    batched over every window of one protocol (a schedule's hand-over sub-windows)."""
    keys: list[PassKey | None] = [None] * len(windows)
    series: dict[int, tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], float]] = {}
    by_proto: dict[Protocol, list[tuple[int, NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]]] = {}
    for k, (forecast, a, b) in enumerate(windows):
        sel = _slots_in(forecast, a, b)
        if not sel.any():
            keys[k] = empty_key(forecast.protocol_params, _no_slot_reason(forecast, a, b))
            continue
        got = series.get(id(forecast))
        if got is None:
            got = series[id(forecast)] = (
                np.asarray(forecast.geometry.t_s, float), _clean(forecast.link.eta),
                _clean(forecast.link.background_prob_per_gate_per_detector), forecast_slot_s(forecast),
            )
        t, eta, bg, slot = got
        # one protocol per forecast's settings unless a window holds one slot
        pr = _one_slot(forecast.protocol_params, int(sel.sum()), slot)
        by_proto.setdefault(pr, []).append((k, eta[sel], bg[sel], t[sel]))
    for pr, members in by_proto.items():
        found = pass_keys([m[1] for m in members], [m[2] for m in members], [m[3] for m in members], pr)
        for m, key in zip(members, found, strict=True):
            keys[m[0]] = key
    return [k for k in keys if k is not None]


def link_at(
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
) -> LinkSeries:
    """The channel of one given geometry (no pass: no line-of-sight rate, no signal in the dead
    time): :func:`passplan.link.link_budget` with the same keywords, for ``passplan link``."""
    return link_budget(
        profile,
        elevation_deg=elevation_deg,
        range_m=range_m,
        sun_elevation_deg=sun_elevation_deg,
        sun_separation_deg=sun_separation_deg,
        moon_elevation_deg=moon_elevation_deg,
        moon_separation_deg=moon_separation_deg,
        moon_illumination=moon_illumination,
        sky=sky,
        site_alt_m=site_alt_m,
        visibility_km=visibility_km,
    )



#: The fields of :func:`link_report`, in order (``passplan link`` prints them).
LINK_REPORT_KEYS = (
    "profile",
    "direction",
    "wavelength_nm",
    "station",
    "site_alt_m",
    "elevation_deg",
    "range_km",
    "total_loss_db",
    *LOSS_TERMS,
    "transmittance",
    "sky_radiance_w_m2_sr_nm",
    "background_cps",
    "dark_cps",
    "saturation_factor",
    "background_prob_per_gate",
    "background_prob_per_gate_per_detector",
    "r0_m",
    "isoplanatic_angle_urad",
    "rytov_variance",
    "greenwood_hz",
    "strehl",
    "beam_radius_m",
    "clear_sky_probability",
)


#: The lowest altitude at which a satellite survives long enough to make a pass (m); assumed:
#: below about 150 km drag brings an object down within days, and the lowest long-lived orbits
#: flown (GOCE, about 255 km, later 224 km) are well above it. No pass is nearer than a 150 km
#: orbit allows at its elevation.
LOWEST_ORBIT_ALT_M = 150e3
#: Longest slant range accepted (km): beyond the Moon's distance (384,400 km) nothing orbits the
#: Earth for passplan to plan.
MAX_RANGE_KM = 500_000.0
#: Highest meteorological visibility accepted (km); assumed bound, about three times the
#: Rayleigh-scattering limit of pure air (about 330 km in the visible).
MAX_VISIBILITY_KM = 1000.0


def _within(name: str, value: float | None, lo: float, hi: float, lo_open: bool = False) -> None:
    if value is None:
        return
    if not math.isfinite(value) or value > hi or value < lo or (lo_open and value == lo):
        raise InputError(f"{name} {value:g} is outside {'(' if lo_open else '['}{lo:g}, {hi:g}]")


def check_link_geometry(
    *,
    elevation_deg: float | None = None,
    range_km: float | None = None,
    site_alt_m: float = 0.0,
    sun_elevation_deg: float = -90.0,
    sun_separation_deg: float = 90.0,
    moon_elevation_deg: float = -90.0,
    moon_separation_deg: float = 90.0,
    moon_illumination: float = 0.0,
    visibility_km: float | None = None,
) -> None:
    """Refuse a geometry no satellite link can have, naming the keyword: angles out of range, a
    slant range beyond the Moon or shorter than the lowest possible orbit
    (:data:`LOWEST_ORBIT_ALT_M`) allows at ``elevation_deg`` from ``site_alt_m``, a visibility
    outside (0, :data:`MAX_VISIBILITY_KM`] km."""
    from ..link.slant import slant_range_m

    _within("sun_elevation_deg", sun_elevation_deg, -90.0, 90.0)
    _within("sun_separation_deg", sun_separation_deg, 0.0, 180.0)
    _within("moon_elevation_deg", moon_elevation_deg, -90.0, 90.0)
    _within("moon_separation_deg", moon_separation_deg, 0.0, 180.0)
    _within("moon_illumination", moon_illumination, 0.0, 1.0)
    if visibility_km is not None and not 0 < visibility_km <= MAX_VISIBILITY_KM:
        raise InputError(
            f"visibility_km {visibility_km:g} is outside (0, {MAX_VISIBILITY_KM:g}]; give the "
            "meteorological visibility in km (23 for a clear day)"
        )
    _within("elevation_deg", elevation_deg, 0.0, 90.0, lo_open=True)
    if range_km is None or elevation_deg is None:
        return
    if not 0 < range_km <= MAX_RANGE_KM:
        raise InputError(
            f"range_km {range_km:g} is outside (0, {MAX_RANGE_KM:g}]; give the slant range "
            "to a satellite in Earth orbit, in km"
        )
    shortest_km = float(slant_range_m(elevation_deg, LOWEST_ORBIT_ALT_M, site_alt_m)) / 1e3
    if range_km < shortest_km * (1.0 - 1e-9):
        raise InputError(
            f"range_km {range_km:g} is shorter than any orbit allows at elevation_deg "
            f"{elevation_deg:g}: a satellite at {LOWEST_ORBIT_ALT_M / 1e3:.0f} km altitude (the lowest "
            f"that stays in orbit) is {shortest_km:.0f} km away there; give at least {shortest_km:.0f} km, "
            "or leave range_km out (it then follows from the profile's orbit)"
        )


def link_report(
    profile: Profile | str,
    *,
    elevation_deg: float,
    station: Any = None,
    range_km: float | None = None,
    sun_elevation_deg: float = -90.0,
    sun_separation_deg: float = 90.0,
    moon_elevation_deg: float = -90.0,
    moon_separation_deg: float = 90.0,
    moon_illumination: float = 0.0,
    sky: str | None = None,
    visibility_km: float | None = None,
) -> dict[str, Any]:
    """The link of one geometry as one record (:data:`LINK_REPORT_KEYS`: every loss term in dB,
    transmittance, background, r0, ...): :func:`link_at` with the station's altitude (``station``:
    a :class:`passplan.stations.Station`, else the profile's site) and ``range_km`` (default: the
    slant range to the profile's orbit), what ``passplan link`` prints. The geometry is checked
    first (:func:`check_link_geometry`)."""
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    check_link_geometry(
        elevation_deg=elevation_deg, range_km=range_km,
        site_alt_m=prof.site.alt_m if station is None else float(station.alt_m),
        sun_elevation_deg=sun_elevation_deg, sun_separation_deg=sun_separation_deg,
        moon_elevation_deg=moon_elevation_deg, moon_separation_deg=moon_separation_deg,
        moon_illumination=moon_illumination, visibility_km=visibility_km,
    )
    series = link_at(
        prof,
        elevation_deg=elevation_deg,
        range_m=None if range_km is None else range_km * 1e3,
        sun_elevation_deg=sun_elevation_deg,
        sun_separation_deg=sun_separation_deg,
        moon_elevation_deg=moon_elevation_deg,
        moon_separation_deg=moon_separation_deg,
        moon_illumination=moon_illumination,
        sky=sky,
        site_alt_m=None if station is None else float(station.alt_m),
        visibility_km=visibility_km,
    )
    rec = series.record(())
    rec["station"] = None if station is None else station.id
    rec["wavelength_nm"] = round(prof.wavelength_m * 1e9, 6)
    rec["range_km"] = rec["range_m"] / 1e3
    rec["isoplanatic_angle_urad"] = rec["isoplanatic_angle_rad"] * 1e6
    return {k: rec[k] for k in LINK_REPORT_KEYS}
