"""Key forecast for a pass: per-second geometry -> optical link budget -> finite-key secret bits.

The three stages are the library's own (:func:`passplan.passes.sample_pass`,
:func:`passplan.link.link_budget`, :func:`passplan.keyrate.pass_key`); this module only joins
them and decides which hardware and protocol apply:

- the link profile is the one named, else the satellite's own (designed satellites may name
  one), else the station's ``receiver``;
- the protocol is the one named, else the bundled protocol paired with the profile
  (``micius`` -> ``micius``, ``jinan-1`` -> ``jinan1``), else passplan's defaults. When the
  protocol is not named, the profile's source pulse rate and intrinsic QBER replace the
  protocol's (the profile describes the hardware flying);
- dark counts and sky background come from the link budget, per detector and gate, so the
  protocol's ``extraneous_click_prob`` is set to zero (it would count them twice).

The line-of-sight angular rate (for the servo-lag term of tip-tilt and adaptive optics) is the
finite-difference rate of the sampled pointing direction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .errors import InputError
from .passes import Pass, PassGeometry, passes_to_records, sample_pass

__all__ = ["PassForecast", "forecast_pass", "forecast_passes", "PROFILE_PROTOCOLS"]

#: The bundled protocol that goes with a bundled link profile.
PROFILE_PROTOCOLS = {"micius": "micius", "jinan-1": "jinan1"}


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


def _los_rate_rad_s(geo: PassGeometry) -> np.ndarray:
    """Angular rate of the line of sight (rad/s) from the sampled azimuth and elevation."""
    az = np.radians(geo.az_deg)
    el = np.radians(geo.el_deg)
    u = np.stack([np.cos(el) * np.sin(az), np.cos(el) * np.cos(az), np.sin(el)], axis=-1)
    if u.shape[0] < 2:
        return np.zeros(u.shape[0])
    du = np.gradient(u, geo.t_s, axis=0)
    return np.linalg.norm(du, axis=-1)


def _resolve(profile: str | None, protocol: str | None, p: Pass):
    from .keyrate import load_protocol
    from .link import load_profile

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
) -> PassForecast:
    """Link budget and finite-key secret bits of one pass, one sample per slot of ``step_s``
    seconds (default :func:`slot_seconds`: 1 s for LEO passes)."""
    from .keyrate import pass_key
    from .link import link_budget

    if p.excluded:
        raise InputError(f"the pass of {p.satellite} over {p.station} is excluded ({p.excluded_by}); no key to forecast")
    prof, proto, proto_name = _resolve(profile, protocol, p)
    if step_s is None:
        step_s = slot_seconds(p.duration_s)
    geo = sample_pass(p, step_s, slots=True)  # one sample per whole slot, at its centre
    link = link_budget(
        prof,
        elevation_deg=np.clip(geo.el_deg, 1e-6, 90.0),
        range_m=geo.range_km * 1000.0,
        sun_elevation_deg=geo.sun_el_deg,
        sun_separation_deg=geo.sun_sep_deg,
        moon_elevation_deg=geo.moon_el_deg,
        moon_separation_deg=geo.moon_sep_deg,
        moon_illumination=geo.moon_illumination,
        sky=sky,
        site_alt_m=geo.station_alt_m,
        slew_rate_rad_s=_los_rate_rad_s(geo),
    )
    eta = np.where(np.isfinite(link.eta), link.eta, 0.0)
    bg = np.where(np.isfinite(link.background_prob_per_gate_per_detector), link.background_prob_per_gate_per_detector, 0.0)
    key = pass_key(eta, bg, geo.t_s, proto)
    return PassForecast(p, prof.name, proto_name, geo, link, key, proto)


def forecast_passes(
    passes: Sequence[Pass],
    *,
    profile: str | None = None,
    protocol: str | None = None,
    step_s: float | None = None,
    sky: str | None = None,
) -> list[PassForecast]:
    """:func:`forecast_pass` for every usable pass (excluded ones are skipped)."""
    return [
        forecast_pass(p, profile=profile, protocol=protocol, step_s=step_s, sky=sky)
        for p in passes
        if not p.excluded
    ]
