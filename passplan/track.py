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

__all__ = ["Track", "PassNotFoundError", "find_pass_at", "find_pass_by_uid", "track_pass", "track_passes", "uid_aos"]

_UID = re.compile(r"^(?P<sat>.+)-(?P<station>[A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)*)-(?P<aos>\d{8}T\d{6}Z)$")


class PassNotFoundError(InputError):
    """No pass of the satellites and stations given carries the uid (``uid``)."""

    def __init__(self, uid: str) -> None:
        self.uid = uid
        super().__init__(f"no pass {uid} among these satellites and stations; check satellites and stations")


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
    raise PassNotFoundError(uid.strip())


def _range_rates_km_s(passes: Sequence[Pass], t_s: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Instantaneous range rate (km/s) at ``t_s[k]`` seconds after pass ``k``'s AOS: the
    satellite's Earth-fixed SGP4 velocity along the line of sight from the station (not a
    difference over the step); every pass in one scene."""
    from .geometry import Scene

    sat_key: dict[int, int] = {}
    sta_key: dict[int, int] = {}
    satrecs: list[Any] = []
    stations: list[Station] = []
    for p in passes:
        assert p.sat_ref is not None and p.station_ref is not None  # sampled already
        if id(p.sat_ref) not in sat_key:
            sat_key[id(p.sat_ref)] = len(satrecs)
            satrecs.append(p.sat_ref.satrec)
        if id(p.station_ref) not in sta_key:
            sta_key[id(p.station_ref)] = len(stations)
            stations.append(p.station_ref)
    origin = min(p.aos for p in passes)
    scene = Scene(satrecs, stations, origin, max(p.los for p in passes))
    counts = [t.size for t in t_s]
    sat_idx = np.repeat([sat_key[id(p.sat_ref)] for p in passes], counts)
    st_idx = np.repeat([sta_key[id(p.station_ref)] for p in passes], counts)
    t_abs = np.concatenate([np.asarray(t, float) + (p.aos - origin).total_seconds() for p, t in zip(passes, t_s, strict=True)])
    pos, vel, _ = scene.sat_state_at(sat_idx, t_abs)
    los = pos - scene.sta_ecef[st_idx]
    rate = np.einsum("ij,ij->i", los, vel) / np.linalg.norm(los, axis=1)
    return np.split(rate, np.cumsum(counts)[:-1])


def track_pass(
    p: Pass,
    step_s: float = 1.0,
    profile: str | None = None,
    protocol: str | None = None,
    *,
    forecast: Any = None,
) -> Track:
    """Every ``step_s`` seconds of a pass, with its link budget and key rate: :func:`track_passes`
    of this pass. Raises :class:`passplan.errors.InputError` when no link profile applies (give
    ``profile``)."""
    from .forecast import forecast_pass

    f = forecast if forecast is not None else forecast_pass(p, profile=profile, protocol=protocol)
    out = track_passes([p], step_s, profile=profile, protocol=protocol, forecasts=[f])[0]
    assert out is not None  # its forecast is given
    return out


def track_passes(
    passes: Sequence[Pass],
    step_s: float | Sequence[float] = 1.0,
    *,
    profile: str | None = None,
    protocol: str | None = None,
    forecasts: Sequence[Any] | None = None,
) -> list[Track | None]:
    """Every ``step_s`` seconds (one step for all, or one per pass) of each pass, with its link
    budget and key rate; None for a pass without a link profile (nothing names one).

    The link at each step is the forecast chain's (:mod:`passplan.forecast.chain`), on the
    forecast's sampler (:func:`passplan.passes.sampling.sample_scene`, one scene for all the
    passes), with each pass's resolved link; the pass's finite-key total and the source
    parameters of the key rate come from its forecast: ``forecasts`` (the
    :class:`passplan.forecast.PassForecast` of these passes already made, as a ``--key`` run has
    them; any order, matched by pass) or else one batch of :func:`passplan.forecast.
    forecast_passes` with ``profile`` and ``protocol``."""
    from .forecast import forecast_passes
    from .forecast.chain import asymptotic_rate_bps, link_channels
    from .passes.sampling import sample_scene

    ps = list(passes)
    steps = [float(x) for x in np.broadcast_to(np.asarray(step_s, float), (len(ps),))]
    for st in steps:
        if not (np.isfinite(st) and 0.1 <= st <= 60.0):
            raise InputError(f"step_s {st}: give a step between 0.1 and 60 s")
    if not ps:
        return []
    fcs = list(forecasts) if forecasts is not None else forecast_passes(ps, profile=profile, protocol=protocol)
    of_pass = {id(f.pass_): f for f in fcs}
    for f in fcs:
        if f.resolved is None:
            raise InputError("forecasts must come from passplan.forecast.forecast_passes (they carry the resolved link)")
    chosen = [k for k, p in enumerate(ps) if id(p) in of_pass]
    out: list[Track | None] = [None] * len(ps)
    if not chosen:
        return out
    mine = [ps[k] for k in chosen]
    mine_f = [of_pass[id(p)] for p in mine]
    s = sample_scene(mine, [steps[k] for k in chosen])
    links = link_channels(s, [f.resolved for f in mine_f], adaptive=False)
    geos = [s.geometry(j) for j in range(len(mine))]
    rates = _range_rates_km_s(mine, [g.t_s for g in geos])
    for j, k in enumerate(chosen):
        p, f, g, link = mine[j], mine_f[j], geos[j], links[j]
        rate = asymptotic_rate_bps(f, link)
        out[k] = Track(
            pass_=p,
            step_s=steps[k],
            t=g.t,
            az_deg=g.az_deg,
            el_deg=g.el_deg,
            range_km=g.range_km,
            range_rate_km_s=rates[j],
            sun_sep_deg=g.sun_sep_deg,
            loss_db=np.asarray(link.total_loss_db, float),
            loss_terms_db={t: np.asarray(getattr(link, t), float) for t in LOSS_TERMS},
            key_rate_bps=rate,
            secret_key_bits=float(f.key.secret_key_bits),
            profile=f.profile,
            protocol=f.protocol,
        )
    return out
