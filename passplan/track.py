"""One pass, second by second, for a telescope mount or another tool: pointing (azimuth,
elevation, range, range rate), the Sun's separation, the link loss and the key rate, and the
satellite's state vectors for a CCSDS OEM.

The key rate per second is the asymptotic decoy-state rate (GLLP with decoys, Ma et al., PRA 72,
012326 (2005), :func:`passplan.keyrate.asymptotic.gllp_rate`) at that second's transmittance and
background, with the pass's optimised signal intensity and basis bias and the protocol's clock,
misalignment error and error-correction efficiency: what the link gives that second with
infinitely long blocks. The pass's finite-key total (``secret_key_bits``) is smaller; it is
reported beside the table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from .errors import InputError
from .link.terms import LOSS_TERMS
from .passes import Constraints, Pass, find_passes
from .stations import Station

__all__ = ["Track", "find_pass_at", "find_pass_by_uid", "track_pass", "uid_aos"]

_UID = re.compile(r"^(?P<sat>.+)-(?P<station>[A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)*)-(?P<aos>\d{8}T\d{6}Z)$")


@dataclass(frozen=True, eq=False)
class Track:
    """A pass sampled every ``step_s`` seconds with its link and key rate.

    The samples come from the forecast's own sampler (:func:`passplan.passes.sampling.sample_scene`)
    and the link from the forecast's chain (:func:`passplan.forecast.chain.link_channels`: servo
    lag from the line-of-sight rate, the signal in the detectors' dead time), so the loss at an
    instant equals the ``--key`` forecast's at that instant."""

    pass_: Pass
    step_s: float
    t: Sequence[datetime]
    az_deg: np.ndarray
    el_deg: np.ndarray
    range_km: np.ndarray
    range_rate_km_s: np.ndarray
    sun_sep_deg: np.ndarray
    loss_db: np.ndarray
    loss_terms_db: dict[str, np.ndarray]
    key_rate_bps: np.ndarray
    secret_key_bits: float
    profile: str
    protocol: str

    def to_records(self) -> list[dict[str, Any]]:
        """One record per step: ``t_utc`` (ISO, ms, Z), azimuth, elevation, range, range rate, Sun
        separation, loss (None below the horizon) and key rate, rounded as the CLI prints them."""
        stamps = np.datetime_as_string(
            np.array([x.replace(tzinfo=None) for x in self.t], dtype="datetime64[ms]"), unit="ms"
        )
        cols = {
            "az_deg": np.round(self.az_deg, 4).tolist(),
            "el_deg": np.round(self.el_deg, 4).tolist(),
            "range_km": np.round(self.range_km, 3).tolist(),
            "range_rate_km_s": np.round(self.range_rate_km_s, 5).tolist(),
            "sun_sep_deg": np.round(self.sun_sep_deg, 3).tolist(),
            "loss_db": [None if not np.isfinite(v) else round(float(v), 3) for v in self.loss_db],
            "key_rate_bps": np.round(self.key_rate_bps, 1).tolist(),
        }
        return [
            {"t_utc": f"{s}Z", **{k: v[i] for k, v in cols.items()}} for i, s in enumerate(stamps.tolist())
        ]

    def records(self) -> list[dict[str, Any]]:
        """:meth:`to_records` (the former name)."""
        return self.to_records()

    def to_document(self) -> dict[str, Any]:
        """The whole track as one JSON object: the pass record, profile, protocol, the pass's
        finite-key bits, the step and the samples (:meth:`to_records`): what ``passplan track
        --format json`` prints."""
        return {"pass": self.pass_.to_dict(), "profile": self.profile, "protocol": self.protocol,
                "secret_key_bits": self.secret_key_bits, "step_s": self.step_s, "samples": self.to_records()}

    def to_json(self) -> str:
        """:meth:`to_document` as JSON text (:func:`passplan.io.to_json`), byte for byte what
        ``passplan track --format json`` writes."""
        from .io import to_json

        return to_json(self.to_document())


def _pass_around(sat: Any, station: Station, at: datetime, c: Constraints | None) -> Pass:
    at = at.astimezone(UTC)
    for p in find_passes([sat], [station], at - timedelta(hours=2), at + timedelta(days=2), c):
        if p.los > at:
            return p
    raise InputError(
        f"{sat.name} has no pass over {station.id} between {at - timedelta(hours=2):%Y-%m-%d %H:%M} and "
        f"{at + timedelta(days=2):%Y-%m-%d %H:%M} UTC; choose another time or station"
    )


def find_pass_at(sat: Any, station: Station, at: datetime, constraints: Constraints | None = None) -> Pass:
    """The pass under way at ``at``, else the next one (within two days)."""
    return _pass_around(sat, station, at, constraints)


def uid_aos(uid: str) -> datetime:
    """The AOS (to the second) a pass uid carries, or a clear error."""
    m = _UID.match(uid.strip())
    if not m:
        raise InputError(f"{uid!r} is not a pass uid (<satellite>-<station>-<YYYYMMDDTHHMMSSZ>, as outputs carry it)")
    return datetime.strptime(m["aos"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def find_pass_by_uid(
    uid: str, satellites: Sequence[Any], stations: Sequence[Station], constraints: Constraints | None = None
) -> Pass:
    """The pass a uid names (``<catalogue number or name>-<station>-<AOS>``, as outputs carry)."""
    aos = uid_aos(uid)
    for p in find_passes(satellites, stations, aos - timedelta(minutes=1), aos + timedelta(days=2), constraints):
        if p.uid == uid.strip():
            return p
    raise InputError(f"no pass {uid} among these satellites and stations; check --sats and --station")


def _range_rate_km_s(p: Pass, t_s: np.ndarray) -> np.ndarray:
    """Instantaneous range rate (km/s) at ``t_s`` seconds after AOS: the satellite's Earth-fixed
    SGP4 velocity along the line of sight from the station (not a difference over the step)."""
    from .geometry import Scene

    assert p.sat_ref is not None and p.station_ref is not None  # track_pass sampled it already
    scene = Scene([p.sat_ref.satrec], [p.station_ref], p.aos, p.los)
    pos, vel, _ = scene.sat_state_at(np.zeros(t_s.size, int), np.asarray(t_s, float))
    los = pos - scene.sta_ecef[0]
    return np.einsum("ij,ij->i", los, vel) / np.linalg.norm(los, axis=1)


def track_pass(
    p: Pass,
    step_s: float = 1.0,
    profile: str | None = None,
    protocol: str | None = None,
    *,
    forecast: Any = None,
) -> Track:
    """Every ``step_s`` seconds of a pass, with its link budget and key rate.

    The link at each step is the forecast chain's (:mod:`passplan.forecast.chain`) on the
    forecast's sampler, with the link :func:`passplan.forecast.resolve_link` resolves; the
    pass's finite-key total and the source parameters of the key rate come from its forecast
    (``forecast``: a :class:`passplan.forecast.PassForecast` of this pass already made, else one
    is made)."""
    from .forecast import forecast_pass
    from .forecast.chain import link_channels
    from .forecast.resolve import resolve_link
    from .keyrate.asymptotic import gllp_rate
    from .passes.sampling import sample_scene

    if not (np.isfinite(step_s) and 0.1 <= step_s <= 60.0):
        raise InputError(f"step_s {step_s}: give a step between 0.1 and 60 s")
    if forecast is not None and forecast.pass_ is not p:
        raise InputError("forecast is not the forecast of this pass; give the PassForecast of p or none")
    f = forecast if forecast is not None else forecast_pass(p, profile=profile, protocol=protocol)
    resolved = f.resolved if f.resolved is not None else resolve_link(profile, protocol, p.sat_ref, p.station_ref)
    s = sample_scene([p], step_s)
    g = s.geometry(0)
    link = link_channels(s, [resolved], adaptive=False)[0]
    proto = f.protocol_params
    eta = np.where(np.isfinite(link.eta), link.eta, 0.0)
    bg = np.where(np.isfinite(link.background_prob_per_gate_per_detector), link.background_prob_per_gate_per_detector, 0.0)
    mu = float(f.key.intensities[0]) if f.key.intensities else float(proto.intensities[0])
    p_x = float(f.key.p_x) if f.key.p_x else float(proto.p_x)
    # two detectors: a noise click in either is a background yield
    rate = proto.pulses_per_s * gllp_rate(eta, mu, 2.0 * bg, proto.intrinsic_qber, proto.f_ec, q=p_x * p_x)
    rr = _range_rate_km_s(p, g.t_s)
    return Track(
        pass_=p,
        step_s=step_s,
        t=g.t,
        az_deg=g.az_deg,
        el_deg=g.el_deg,
        range_km=g.range_km,
        range_rate_km_s=rr,
        sun_sep_deg=g.sun_sep_deg,
        loss_db=np.asarray(link.total_loss_db, float),
        loss_terms_db={t: np.asarray(getattr(link, t), float) for t in LOSS_TERMS},
        key_rate_bps=np.asarray(rate, float),
        secret_key_bits=float(f.key.secret_key_bits),
        profile=f.profile,
        protocol=f.protocol,
    )
