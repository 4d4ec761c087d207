"""Key forecasts: per-second geometry -> optical link budget -> finite-key secret bits.

The three stages are the library's own (the pass sampler :mod:`passplan.passes.sampling`,
:func:`passplan.link.link_budget`, the key estimator :mod:`passplan.keyrate`); this package only
joins them, for many passes at once (:func:`forecast_passes`; :func:`forecast_pass` is one pass
of it), and decides which hardware and protocol apply:

- the link profile is the one named, else the satellite's own (designed satellites may name
  one), else the station's ``receiver``;
- the protocol is the one named, else the bundled protocol paired with the profile
  (``micius`` -> ``micius``, ``jinan-1`` -> ``jinan1``), else passplan's defaults. When the
  protocol is not named, the profile's source pulse rate and intrinsic QBER replace the
  protocol's (the profile describes the hardware flying);
- dark counts and sky background come from the link budget, per detector and gate, so the
  protocol's ``extraneous_click_prob`` is set to zero (it would count them twice).

The line-of-sight angular rate (for the servo-lag term of tip-tilt and adaptive optics) comes
from the SGP4 velocity (:mod:`passplan.passes.sampling`). The link is evaluated at every 1-s slot
of a LEO pass and at adaptive nodes of a longer window, with the detected signal in the
detectors' dead time (:mod:`.nodes`); the key optimiser runs batched over the passes of each
protocol (:mod:`passplan.keyrate.batch`). A pass gets the same forecast alone or in any batch
(to float rounding; tests/test_forecast_batch.py).

Throughput (bench/bench_forecast.py): one scene for the run instead of one per pass, profiles
and protocols read once per name, one link-budget call per profile and station altitude, one
optimiser step for all passes of a protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..errors import InputError
from ..passes import Pass, PassGeometry, passes_to_records

__all__ = ["PassForecast", "forecast_pass", "forecast_passes", "PROFILE_PROTOCOLS"]

#: The bundled protocol that goes with a bundled link profile.
PROFILE_PROTOCOLS = {"micius": "micius", "jinan-1": "jinan1", "micius-2021": "micius2021"}


@dataclass(frozen=True, eq=False)
class PassForecast:
    """One pass with its link series and key estimate."""

    pass_: Pass
    profile: str
    protocol: str
    geometry: PassGeometry
    link: Any  # passplan.link.LinkSeries
    key: Any  # passplan.keyrate.PassKey
    protocol_params: Any = None  # the passplan.keyrate.Protocol the key was estimated with

    def series_csv(self) -> str:
        """The pass's channel per slot as CSV (``t_s,eta,background_prob`` first, the columns
        ``passplan key`` reads, then elevation, range and loss), times from AOS."""
        rows = ["t_s,eta,background_prob,elevation_deg,range_km,total_loss_db"]
        g, link = self.geometry, self.link
        for t, eta, bg, el, rng, loss in zip(
            g.t_s, link.eta, link.background_prob_per_gate_per_detector, g.el_deg, g.range_km,
            link.total_loss_db, strict=True,
        ):
            rows.append(f"{t:.3f},{eta:.6e},{bg:.6e},{el:.4f},{rng:.3f},{loss:.3f}")
        return "\n".join(rows) + "\n"

    def series_name(self) -> str:
        """A file name for :meth:`series_csv`: station, satellite and AOS (UTC)."""
        sat = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.pass_.satellite)
        return f"{self.pass_.station}_{sat}_{self.pass_.aos:%Y%m%dT%H%M%SZ}.csv"

    def key_fields(self) -> dict[str, Any]:
        """The key summary (``key_*`` fields), the profile and protocol, and the link extremes:
        what :meth:`to_dict` adds to the pass record (plain Python values)."""
        k = self.key
        loss = np.asarray(self.link.total_loss_db, float)
        finite = loss[np.isfinite(loss)]
        return {
            "profile": self.profile,
            "protocol": self.protocol,
            "secret_key_bits": float(k.secret_key_bits),
            "key_window_s": float(k.key_window_s),
            "key_qber_x": None if k.qber_x is None else float(k.qber_x),
            "key_limiting": k.limiting,
            "min_loss_db": float(finite.min()) if finite.size else None,
            "max_loss_db": float(finite.max()) if finite.size else None,
            "mean_background_prob_per_gate": float(np.mean(self.link.background_prob_per_gate_per_detector)),
        }

    def to_dict(self) -> dict[str, Any]:
        """The pass record (as :func:`passplan.passes.passes_to_records` makes it) plus
        :meth:`key_fields`."""
        rec = passes_to_records([self.pass_])[0]
        rec.update(self.key_fields())
        return rec


def _profile_name(profile: str | None, p: Pass) -> str:
    name = (
        profile
        or getattr(p.sat_ref, "profile", None)
        or (p.station_ref.receiver if p.station_ref is not None else None)
    )
    if not name:
        raise InputError(
            f"station {p.station!r} names no receiver profile; give --profile "
            "(see `passplan link --list`) or add receiver = \"...\" to its station table"
        )
    return str(name)


def _resolve_named(name: str, protocol: str | None) -> tuple[Any, Any, str]:
    """The profile, the protocol the key is estimated with, and the protocol's name."""
    from ..keyrate import load_protocol
    from ..link import load_profile

    prof = load_profile(name)
    proto_name = protocol or PROFILE_PROTOCOLS.get(prof.name)
    proto = load_protocol(proto_name)
    if protocol is None:
        src = prof.source or {}
        changes: dict[str, Any] = {}
        if "rep_rate_hz" in src:
            changes["pulses_per_s"] = float(src["rep_rate_hz"])
        if "intrinsic_qber" in src:
            changes["intrinsic_qber"] = float(src["intrinsic_qber"])
        proto = replace(proto, **changes)
    proto = replace(proto, extraneous_click_prob=0.0)
    return prof, proto, proto_name or "default"


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
) -> PassForecast:
    """Link budget and finite-key secret bits of one pass, one slot of ``step_s`` seconds
    (default :func:`slot_seconds`: 1 s for LEO passes): :func:`forecast_passes` of this pass."""
    if p.excluded:
        raise InputError(f"the pass of {p.satellite} over {p.station} is excluded ({p.excluded_by}); no key to forecast")
    return forecast_passes([p], profile=profile, protocol=protocol, step_s=step_s, sky=sky, adaptive=adaptive)[0]


def forecast_passes(
    passes: Sequence[Pass],
    *,
    profile: str | None = None,
    protocol: str | None = None,
    step_s: float | None = None,
    sky: str | None = None,
    adaptive: bool = True,
) -> list[PassForecast]:
    """The forecast of every usable pass (excluded ones are skipped), in one batch.

    The geometry of every slot comes from one shared scene (:func:`passplan.passes.sampling.
    sample_scene`); profiles and protocols are resolved once per distinct name; the link budget
    runs once per profile and station altitude on the concatenated samples, evaluated at
    adaptive nodes (:mod:`passplan.forecast.nodes`; all slots with ``adaptive=False``) with the
    detected signal in the detectors' dead time; the key optimiser runs batched over the passes
    of each protocol (:func:`passplan.keyrate.batch.pass_keys`). The result for a pass does not
    depend on which other passes are in the batch (to float rounding).
    """
    from ..keyrate.batch import pass_keys
    from ..passes.sampling import sample_scene
    from .nodes import link_series

    usable = [p for p in passes if not p.excluded]
    if not usable:
        return []
    cache: dict[tuple[str | None, str | None], tuple[Any, Any, str]] = {}
    chosen = []
    for p in usable:
        name = _profile_name(profile, p)
        if (name, protocol) not in cache:
            cache[(name, protocol)] = _resolve_named(name, protocol)
        chosen.append(cache[(name, protocol)])
    steps = [float(step_s) if step_s is not None else slot_seconds(p.duration_s) for p in usable]
    samples = sample_scene(usable, steps, slots=True)
    links = link_series(samples, [c[0] for c in chosen], [c[1] for c in chosen], sky, adaptive)
    geos = [samples.geometry(k) for k in range(len(usable))]
    etas = [np.where(np.isfinite(lk.eta), lk.eta, 0.0) for lk in links]
    bgs = [np.where(np.isfinite(b), b, 0.0) for b in (lk.background_prob_per_gate_per_detector for lk in links)]
    keys: list[Any] = [None] * len(usable)
    by_proto: dict[Any, list[int]] = {}
    for k, c in enumerate(chosen):
        by_proto.setdefault(c[1], []).append(k)
    for proto, members in by_proto.items():
        found = pass_keys([etas[k] for k in members], [bgs[k] for k in members], [geos[k].t_s for k in members], proto)
        for k, key in zip(members, found, strict=True):
            keys[k] = key
    return [
        PassForecast(p, c[0].name, c[2], g, lk, key, c[1])
        for p, c, g, lk, key in zip(usable, chosen, geos, links, keys, strict=True)
    ]
