"""Key forecasts: per-second geometry -> optical link budget -> finite-key secret bits.

The three stages are the library's own (the pass sampler :mod:`passplan.passes.sampling`, the
link budget, the key estimator :mod:`passplan.keyrate`), joined in ONE chain,
:mod:`passplan.forecast.chain`, which every caller uses (pass forecasts, ``track``, schedule
sub-windows, the coverage key table, the README's library example); only this package calls
the link budget (an import-linter contract). This module forecasts many passes at once
(:func:`forecast_passes`; :func:`forecast_pass` is one pass of it).

Which hardware and protocol apply is decided once, by :func:`passplan.forecast.resolve.
resolve_link`: the link profile is the one named (``profile=``), else the satellite's own
(designed satellites may name one), else ``default_profile=`` (a profile for satellites naming
none), else the station's ``receiver``; the protocol is the one
named, else the bundled protocol paired with the profile (``micius`` -> ``micius``, ``jinan-1``
-> ``jinan1``), else passplan's defaults. When the protocol is not named, the profile's source
pulse rate and intrinsic QBER replace the protocol's (the profile describes the hardware
flying); dark counts and sky background come from the link budget, per detector and gate, so the
protocol's ``extraneous_click_prob`` is set to zero (it would count them twice).

A pass whose link cannot be resolved (no ``profile=``, no profile of its satellite, no
``receiver`` at its station) does not abort a batch: :func:`forecast_passes` leaves it out, as
it leaves out excluded passes, and issues one :class:`passplan.errors.InputWarning` naming the
stations concerned. :func:`forecast_pass` (one pass) raises :class:`passplan.errors.InputError`
instead. An unknown or invalid profile or protocol is an error in both.

The line-of-sight angular rate (for the servo-lag term of tip-tilt and adaptive optics) comes
from the SGP4 velocity (:mod:`passplan.passes.sampling`). The link is evaluated at every 1-s slot
of a LEO pass and at adaptive nodes of a longer window, with the detected signal in the
detectors' dead time (:mod:`.nodes`); the key optimiser runs batched over the passes of each
protocol (:mod:`passplan.keyrate.batch`). A pass gets the same forecast alone or in any batch
(to float rounding; tests/test_forecast_batch.py).

Throughput (bench/bench_forecast.py): one scene for the run instead of one per pass, profiles
and protocols read once per run (the loaders memoise by file), one link-budget call per profile
and station altitude, one optimiser step for all passes of a protocol.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError, InputWarning, emit_warnings
from ..lazy import lazy_names
from ..passes import Pass
from .record import PassForecast

if TYPE_CHECKING:  # the names below load on first use (the chain needs scipy)
    from .chain import (
        LINK_REPORT_KEYS,
        ChainResult,
        channel_key,
        channel_keys,
        forecast_slot_s,
        link_at,
        link_channels,
        link_report,
        run_chain,
        slots_key,
        window_key,
        window_keys,
        window_slots,
    )
    from .resolve import (
        PROFILE_PROTOCOLS,
        MissingProfileError,
        ResolvedLink,
        check_links,
        profile_name_for,
        resolve_link,
    )

_CHAIN = ("ChainResult", "run_chain", "link_channels", "channel_key", "channel_keys", "slots_key",
          "window_slots", "window_key", "window_keys", "link_at", "link_report", "LINK_REPORT_KEYS",
          "forecast_slot_s")
_RESOLVE = ("PROFILE_PROTOCOLS", "MissingProfileError", "ResolvedLink", "resolve_link", "check_links",
            "profile_name_for")
_LAZY = {**dict.fromkeys(_CHAIN, "chain"), **dict.fromkeys(_RESOLVE, "resolve")}
__getattr__, __dir__ = lazy_names(__name__, globals(), _LAZY)

__all__ = [
    "PassForecast", "forecast_pass", "forecast_passes", "slot_seconds", "MAX_SLOTS",
    "PROFILE_PROTOCOLS", "MissingProfileError", "ResolvedLink", "resolve_link", "check_links", "profile_name_for",
    "ChainResult", "run_chain", "link_channels", "channel_key", "channel_keys", "slots_key",
    "window_slots", "window_key", "window_keys", "link_at", "link_report", "LINK_REPORT_KEYS",
    "forecast_slot_s",
]
assert set(__all__) >= set(_LAZY)


MAX_SLOTS = 1800


def slot_seconds(duration_s: float) -> float:
    """Default key slot: 1 s, lengthened to whole seconds so that a long (MEO/GEO) window has at
    most ``MAX_SLOTS`` slots; the channel changes slowly at those ranges."""
    return float(max(1, int(np.ceil(duration_s / MAX_SLOTS))))


def forecast_pass(
    p: Pass,
    *,
    profile: str | None = None,
    protocol: str | None = None,
    step_s: float | None = None,
    sky: str | None = None,
    adaptive: bool = True,
    default_profile: str | None = None,
) -> PassForecast:
    """Link budget and finite-key secret bits of one pass, one slot of ``step_s`` seconds
    (default :func:`slot_seconds`: 1 s for LEO passes): :func:`forecast_passes` of this pass."""
    if p.excluded:
        raise InputError(f"the pass of {p.satellite} over {p.station} is excluded ({p.excluded_by}); no key to forecast")
    from .resolve import resolve_link

    resolve_link(profile, protocol, p.sat_ref, p.station_ref, default_profile=default_profile)  # none: the error
    return forecast_passes([p], profile=profile, protocol=protocol, step_s=step_s, sky=sky, adaptive=adaptive,
                           default_profile=default_profile)[0]


def forecast_passes(
    passes: Sequence[Pass],
    *,
    profile: str | None = None,
    protocol: str | None = None,
    step_s: float | None = None,
    sky: str | None = None,
    adaptive: bool = True,
    default_profile: str | None = None,
) -> list[PassForecast]:
    """The forecast of every usable pass, in one batch: excluded passes are skipped, and so are
    passes whose link cannot be resolved (no ``profile``, no profile of the satellite, no
    ``default_profile``, no ``receiver`` at the station), reported in one :class:`passplan.errors.InputWarning` per
    station; the order of the others is kept.

    The link of each pass is :func:`passplan.forecast.resolve.resolve_link`'s; the chain is
    :func:`passplan.forecast.chain.run_chain`. The geometry of every slot comes from one shared scene (:func:`passplan.passes.sampling.
    sample_scene`); profiles and protocols are resolved once per distinct name; the link budget
    runs once per profile and station altitude on the concatenated samples, evaluated at
    adaptive nodes (:mod:`passplan.forecast.nodes`; all slots with ``adaptive=False``) with the
    detected signal in the detectors' dead time; the key optimiser runs batched over the passes
    of each protocol (:func:`passplan.keyrate.batch.pass_keys`). The result for a pass does not
    depend on which other passes are in the batch (to float rounding).
    """
    from ..passes.sampling import sample_scene, slot_times
    from .chain import run_chain
    from .resolve import profile_name_for, resolve_link

    usable = [p for p in passes if not p.excluded]
    chosen: list[ResolvedLink] = []
    kept: list[Pass] = []
    missing: dict[str, int] = {}
    once: dict[tuple[str, str], ResolvedLink] = {}  # resolved once per name and source in a run
    for p in usable:
        name, source = profile_name_for(profile, p.sat_ref, p.station_ref, default_profile=default_profile)
        if name is None:
            missing[p.station] = missing.get(p.station, 0) + 1
            continue
        if (name, source) not in once:
            once[(name, source)] = resolve_link(profile, protocol, p.sat_ref, p.station_ref,
                                                default_profile=default_profile)
        chosen.append(once[(name, source)])
        kept.append(p)
    if missing:
        emit_warnings(
            [f"no key forecast for {n} pass{'es' if n > 1 else ''} over {sid}: the station names no "
             "receiver profile; give profile= or add receiver = \"...\" to its station table"
             for sid, n in missing.items()],
            InputWarning,
        )
    if not kept:
        return []
    steps = [float(step_s) if step_s is not None else slot_seconds(p.duration_s) for p in kept]
    spans = [(p.los - p.aos).total_seconds() for p in kept]
    # a pass piece shorter than one slot (cut by a constraint or by the window's end) has no
    # sample and a zero key that says why; it never aborts the batch
    times = [slot_times(span, step, True) if _has_slot(span, step) else np.empty(0)
             for span, step in zip(spans, steps, strict=True)]
    samples = sample_scene(kept, steps, slots=True, times_s=times)
    done = run_chain(samples, chosen, sky=sky, adaptive=adaptive, slot_s=steps)
    out = []
    for p, r, c, span, step in zip(kept, chosen, done, spans, steps, strict=True):
        key = c.key
        if key is not None and key.n_slots == 0 and not _has_slot(span, step):
            key = dataclasses.replace(key, limiting=short_pass_reason(span, step))
        out.append(PassForecast(p, r.profile_name, r.protocol_name, c.geometry, c.link, key, r.protocol, r))
    return out


def _has_slot(span_s: float, step_s: float) -> bool:
    """Whether a window of ``span_s`` seconds holds one whole slot of ``step_s`` (the rounding
    of :func:`passplan.passes.sampling.slot_times`)."""
    return bool(np.floor(span_s / step_s + 1e-9) >= 1)


def short_pass_reason(span_s: float, step_s: float) -> str:
    """The ``limiting`` reason of a pass piece shorter than one key slot."""
    return f"no whole key slot: the pass lasts {span_s:.3f} s, less than one {step_s:g} s slot"
