"""Key forecasts of entanglement-based dual downlinks: joint window -> two arms -> coincidences
-> BBM92 key (issue 19).

For each :class:`passplan.pairs.JointWindow` the window's whole slots (``slot_s``, 1 s) are
sampled at their centres for both stations from one geometry scene; each arm's channel is the
link budget of its own station's geometry through the one chain
(:func:`passplan.forecast.chain.link_channels`, the same profile for both arms: the source's
transmitters are alike); :func:`passplan.link.entangled.pair_counts` turns the two channels into
singles, true and accidental coincidences, sifted bits and errors per slot; the window's sifted
bits and error rate give its finite key (:func:`passplan.keyrate.bbm92.bbm92_key`).

Per arm: transmittance ``eta`` of the link budget (detector efficiency included) and noise
``background_cps + dark_cps`` (sky light and all detectors' dark counts of that station).

One window holds a few hundred sifted bits at Micius's rates, too few for a finite key on its
own; the experiments pooled many windows into one block (Yin 2020: 3,100 s). :func:`pooled_key`
is that block: the sifted bits and errors of many forecasts, estimated at once.

The pair source (rate, coincidence window, intrinsic error) and the key parameters (``f_ec``,
``eps``) come from the profile's ``[source]`` table (``pair_rate_hz``,
``coincidence_window_ns``, ``intrinsic_qber``, ``station_noise_cps``, ``f_ec``, ``eps``); the
keywords override them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError
from ..keyrate.bbm92 import BBM92Key, bbm92_key
from ..link.entangled import PairCounts, PairSource, pair_counts

if TYPE_CHECKING:
    from ..link.budget import LinkSeries
    from ..link.profiles import Profile
    from ..pairs import JointWindow

__all__ = ["PairForecast", "forecast_pairs", "pooled_key", "pair_source", "PAIR_KEY_FIELDS", "DEFAULT_PAIR_PROFILE"]

#: The bundled profile of the Micius entangled source.
DEFAULT_PAIR_PROFILE = "micius-entangled"

#: The key fields a pair forecast adds to its window's record.
PAIR_KEY_FIELDS = (
    "profile", "slots", "two_photon_rate_hz", "signal_to_noise", "coincidences", "accidentals",
    "sifted_bits", "qber", "secret_key_bits", "asymptotic_key_bits", "limiting",
)


def _number(src: Mapping[str, Any], key: str, where: str) -> float | None:
    if key not in src:
        return None
    v = src[key]
    if isinstance(v, bool) or not isinstance(v, int | float) or not np.isfinite(v):
        raise InputError(f"{where}: [source] {key} = {v!r} is not a finite number")
    return float(v)


def pair_source(profile: Profile) -> PairSource:
    """The pair source a profile's ``[source]`` table describes (``pair_rate_hz`` and
    ``coincidence_window_ns`` required, ``intrinsic_qber`` and ``station_noise_cps`` default 0)."""
    src, where = profile.source or {}, profile.path or profile.name
    rate = _number(src, "pair_rate_hz", where)
    window = _number(src, "coincidence_window_ns", where)
    if rate is None or window is None:
        raise InputError(
            f"{where}: [source] needs pair_rate_hz and coincidence_window_ns for an entangled-pair "
            f"forecast; give them, or use profile={DEFAULT_PAIR_PROFILE!r}"
        )
    e = _number(src, "intrinsic_qber", where)
    noise = _number(src, "station_noise_cps", where)
    return PairSource(rate, window * 1e-9, 0.0 if e is None else e, station_noise_cps=0.0 if noise is None else noise)


@dataclass(frozen=True, eq=False)
class PairForecast:
    """The forecast of one joint window: per-slot channels of both arms and counts, totals and
    the window's own finite key."""

    window: JointWindow
    profile: Profile
    t_s: np.ndarray  # slot centres, seconds from the window's start
    slot_s: float
    link_a: LinkSeries
    link_b: LinkSeries
    counts: PairCounts
    key: BBM92Key

    @property
    def profile_name(self) -> str:
        return self.profile.name

    @property
    def coincidences(self) -> float:
        """All coincidences over the window (true plus accidental)."""
        return float(self.counts.coincidence_cps.sum() * self.slot_s)

    @property
    def accidentals(self) -> float:
        return float(self.counts.accidental_cps.sum() * self.slot_s)

    @property
    def true_coincidences(self) -> float:
        return float(self.counts.true_cps.sum() * self.slot_s)

    @property
    def sifted_bits(self) -> float:
        return float(self.counts.sifted_cps.sum() * self.slot_s)

    @property
    def errors(self) -> float:
        return float(self.counts.errors_cps.sum() * self.slot_s)

    @property
    def seconds(self) -> float:
        """The sampled time (whole slots)."""
        return float(self.t_s.size * self.slot_s)

    @property
    def qber(self) -> float:
        s = self.sifted_bits
        return self.errors / s if s > 0 else 0.0

    def key_fields(self) -> dict[str, Any]:
        """The forecast's fields (:data:`PAIR_KEY_FIELDS`) for the window's record."""
        sec = self.seconds
        acc = self.accidentals
        return {
            "profile": self.profile_name,
            "slots": int(self.t_s.size),
            "two_photon_rate_hz": round(self.coincidences / sec, 6) if sec > 0 else 0.0,
            "signal_to_noise": round(self.true_coincidences / acc, 3) if acc > 0 else None,
            "coincidences": round(self.coincidences, 3),
            "accidentals": round(acc, 3),
            "sifted_bits": round(self.sifted_bits, 3),
            "qber": round(self.qber, 6),
            "secret_key_bits": round(self.key.secret_key_bits, 3),
            "asymptotic_key_bits": round(self.key.asymptotic_key_bits, 3),
            "limiting": self.key.limiting,
        }

    def to_dict(self) -> dict[str, Any]:
        """The window's record with the forecast's fields."""
        return {**self.window.to_dict(), **self.key_fields()}


def _key_options(profile: Profile | None, f_ec: float | None, eps: float | None) -> tuple[float, float]:
    """``f_ec`` and ``eps`` as given, else the profile's ``[source]`` values, else Yin et al.
    2020's error-correction inefficiency 1.19 and failure probability 1e-10."""
    f, e = f_ec, eps
    if profile is not None:
        src, where = profile.source or {}, profile.path or profile.name
        f = f if f is not None else _number(src, "f_ec", where)
        e = e if e is not None else _number(src, "eps", where)
    return (1.19 if f is None else f), (1e-10 if e is None else e)


def forecast_pairs(
    windows: Sequence[JointWindow],
    profile: str = DEFAULT_PAIR_PROFILE,
    *,
    slot_s: float = 1.0,
    pair_rate_hz: float | None = None,
    f_ec: float | None = None,
    eps: float | None = None,
    sampling: str = "hypergeometric",
    sky: str | None = None,
) -> list[PairForecast]:
    """The forecast of every joint window (module docstring); ``pair_rate_hz`` overrides the
    profile's pair rate, ``f_ec`` and ``eps`` its key parameters, ``sampling`` the phase-error
    bound (:mod:`passplan.keyrate.bbm92`). A window shorter than one slot gets zero counts."""
    from dataclasses import replace

    from ..passes.sampling import sample_scene
    from .chain import link_channels
    from .resolve import resolve_link

    if not (np.isfinite(slot_s) and slot_s > 0):
        raise InputError(f"slot_s {slot_s!r} is not a positive number of seconds; give e.g. 1.0")
    link = resolve_link(profile)
    src = pair_source(link.profile)
    if pair_rate_hz is not None:
        src = replace(src, pair_rate_hz=float(pair_rate_hz))
    f, e = _key_options(link.profile, f_ec, eps)
    ws = list(windows)
    if not ws:
        return []
    times = [(np.arange(int(np.floor(w.duration_s / slot_s + 1e-9))) + 0.5) * slot_s for w in ws]
    live = [k for k, t in enumerate(times) if t.size]
    out: list[PairForecast | None] = [None] * len(ws)
    if live:
        passes, offsets = [], []
        for k in live:
            w, t = ws[k], times[k]
            passes += [w.pass_a, w.pass_b]
            offsets += [t + (w.start - w.pass_a.aos).total_seconds(), t + (w.start - w.pass_b.aos).total_seconds()]
        s = sample_scene(passes, times_s=offsets)
        channels = link_channels(s, [link] * len(passes), sky=sky, adaptive=False)
        for j, k in enumerate(live):
            la, lb = channels[2 * j], channels[2 * j + 1]
            c = pair_counts(src, la.eta, lb.eta, la.background_cps + la.dark_cps, lb.background_cps + lb.dark_cps)
            sifted = float(c.sifted_cps.sum() * slot_s)
            err = float(c.errors_cps.sum() * slot_s)
            key = bbm92_key(sifted, err / sifted if sifted > 0 else 0.0, f_ec=f, eps=e, sampling=sampling)
            out[k] = PairForecast(ws[k], link.profile, times[k], slot_s, la, lb, c, key)
    for k in range(len(ws)):
        if out[k] is None:
            z = np.zeros(0)
            c = PairCounts(z, z, z, z, z, z)
            key = BBM92Key(0.0, 0.0, 0.5, 0.0, 0.0, f"the joint window lasts {ws[k].duration_s:.3f} s, less than one {slot_s:g} s slot")
            empty = _empty_link(link.profile)
            out[k] = PairForecast(ws[k], link.profile, z, slot_s, empty, empty, c, key)
    return [f_ for f_ in out if f_ is not None]


def _empty_link(profile: Profile) -> LinkSeries:
    """A channel of no sample (a window without a whole slot)."""
    from .chain import link_at

    return link_at(profile, elevation_deg=np.zeros(0))


def pooled_key(forecasts: Sequence[PairForecast], *, f_ec: float | None = None, eps: float | None = None,
               sampling: str = "hypergeometric", per_basis: bool = True,
               weights: Sequence[float] | np.ndarray | None = None) -> BBM92Key:
    """The finite key of the sifted bits of ``forecasts`` pooled into one block (the campaign's
    key: Yin 2020 processed 3,100 s of data at once); ``f_ec`` and ``eps`` default to the first
    forecast's profile's. ``weights`` (0 to 1 per window, e.g. the share of a window in which both
    stations were clear) pool each window's sifted bits and errors times its weight."""
    fs = list(forecasts)
    if weights is None:
        sifted = sum(f.sifted_bits for f in fs)
        errors = sum(f.errors for f in fs)
    else:
        w = np.asarray(weights, dtype=float)
        sifted = float(np.dot(w, [f.sifted_bits for f in fs])) if fs else 0.0
        errors = float(np.dot(w, [f.errors for f in fs])) if fs else 0.0
    f, e = _key_options(fs[0].profile if fs else None, f_ec, eps)
    return bbm92_key(sifted, errors / sifted if sifted > 0 else 0.0, f_ec=f, eps=e, sampling=sampling, per_basis=per_basis)
