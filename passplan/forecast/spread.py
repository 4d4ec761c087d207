"""The spread of a pass forecast (turbulence fading, pointing jitter, weather) and the
sensitivity of its key to the profile's assumed and fitted parameters.

**Spread** (:func:`key_spread`). Each draw multiplies every slot's mean transmittance by a
mean-one fading multiplier (:func:`passplan.link.fading.slot_multipliers`: scintillation and the
pointing error averaged over the slot, from the slot's own Rytov variance, r0, beam size and the
profile's jitter and bias), sums the draw's per-slot expected detections and errors, and takes
the finite-key bound on those counts (:func:`passplan.keyrate.optimise.objective`), not on the
mean loss. The source settings (intensities, probabilities, basis bias) and the key window are
those the forecast chose: they are set before the pass, the fading is met during it. With
``weather=True`` each draw is also clear with the profile's clear-sky probability (no key
otherwise). Draws are seeded (``numpy.random.default_rng(seed)``) and vectorised: one count
evaluation of shape (draws x slots) and one finite-key call of shape (draws,).

**Sensitivity** (:func:`sensitivity`, :func:`sensitivity_at`). The key of the pass is recomputed
through the chain (:func:`passplan.forecast.chain.run_chain`, source settings and window
re-optimised, as the forecast does) with each parameter at its value times ``1 - u`` and
``1 + u`` (efficiencies capped at one, a divergence floored at the narrowest beam the transmit
aperture can form), ``u`` the parameter's relative uncertainty: the
profile's own where it states one, else :data:`DEFAULT_UNCERTAINTY` (assumed, +-20 %), else the
entry of :data:`PARAMETERS`. Parameters at zero (a pointing bias of 0) are left out. Each row
says whether the profile's TOML calls the value fitted, assumed or stated (the comment on its
line). Rows are ranked by the larger of the two key changes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from ..keyrate.counts import Counts, slot_counts
from ..keyrate.optimise import objective
from ..keyrate.protocol import Protocol
from ..link.fading import (
    POINTING_CORRELATION_S,
    scintillation_correlation_s,
    scintillation_log_variances,
    slot_multipliers,
    turbulence_path_m,
)
from ..link.profiles import Profile, load_profile
from ..link.turbulence import (
    SEEING_FWHM_PER_LAMBDA_OVER_R0,
    Cn2Profile,
    tilt_variance_rad2,
)

if TYPE_CHECKING:
    from ..link.budget import LinkSeries
    from .record import PassForecast

__all__ = [
    "KeySpread",
    "key_spread",
    "fading_multipliers",
    "SensitivityRow",
    "Sensitivity",
    "sensitivity",
    "sensitivity_at",
    "synthetic_pass",
    "PARAMETERS",
    "DEFAULT_UNCERTAINTY",
    "DEFAULT_DRAWS",
]

#: Draws of :func:`key_spread` by default (P10 and P90 of 200 draws carry a sampling error of a
#: few per cent of the P10-P90 width).
DEFAULT_DRAWS = 200
#: Relative uncertainty of a parameter whose source states none (assumed, the brief of issue 18).
DEFAULT_UNCERTAINTY = 0.2
#: The ground-layer Cn2 is HV5/7's model value at every site (no site measurement); seeing varies
#: by about a factor two between nights (assumed, +-50 %).
CN2_UNCERTAINTY = 0.5


@dataclass(frozen=True)
class KeySpread:
    """Percentiles of a pass's key over seeded draws (bits); ``key_bits`` the forecast's own key
    (mean channel), ``mean_bits`` the draws' mean; ``model`` names what was drawn."""

    p10_bits: float
    p50_bits: float
    p90_bits: float
    mean_bits: float
    key_bits: float
    draws: int
    seed: int
    model: str
    clear_sky_probability: float

    def to_dict(self) -> dict[str, Any]:
        """The JSON ``spread`` field."""
        return {
            "p10_bits": self.p10_bits, "p50_bits": self.p50_bits, "p90_bits": self.p90_bits,
            "mean_bits": self.mean_bits, "draws": self.draws, "seed": self.seed, "model": self.model,
            "clear_sky_probability": self.clear_sky_probability,
        }


def _profile_of(forecast: PassForecast) -> Profile:
    res = forecast.resolved
    return res.profile if res is not None else load_profile(forecast.profile)


def _clean(x: Any) -> NDArray[np.float64]:
    v = np.asarray(x, dtype=float)
    return np.where(np.isfinite(v), v, 0.0)


def fading_multipliers(
    link: LinkSeries | Any,
    profile: Profile,
    slot_s: float,
    draws: int,
    rng: np.random.Generator,
    *,
    pointing_tau_s: float = POINTING_CORRELATION_S,
) -> NDArray[np.float64]:
    """Mean-one transmittance multipliers (draws x slots) of a channel (a
    :class:`passplan.link.LinkSeries`, or any record of its ``valid``, ``eta``,
    ``rytov_variance``, ``r0_m``, ``range_m`` and ``beam_radius_m`` arrays): scintillation from the
    slot's Rytov variance, aperture averaged over the receive aperture at the
    turbulence-weighted distance (:func:`passplan.link.fading.turbulence_path_m`; an uplink's
    receiver, on the satellite, is taken as a point receiver with the plane-wave index, assumed),
    and the pointing error: the transmitter's jitter and bias against the beam's far-field
    half-angle at the receiver (``beam_radius_m / range_m``); for an uplink the short-term beam
    and the residual turbulent wander in quadrature with the jitter, as
    :func:`passplan.link.turbulence.uplink_beam` splits them."""
    lam = profile.wavelength_m
    k = 2.0 * math.pi / lam
    valid = np.asarray(link.valid, bool) & (np.asarray(link.eta, float) > 0)
    rytov = np.where(valid, _clean(link.rytov_variance), 0.0)
    r0 = np.where(valid & (_clean(link.r0_m) > 0), _clean(link.r0_m), 1.0)
    rng_m = np.where(valid, _clean(link.range_m), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        path = np.where(rytov > 0, turbulence_path_m(lam, r0, np.maximum(rytov, 1e-300)), 1.0)
    tx, rx = profile.transmitter, profile.receiver
    wind = float(Cn2Profile(**profile.turbulence).ground_wind_m_s)
    if profile.direction == "downlink":
        d2 = k * rx.aperture_diameter_m**2 / (4.0 * path)
        tau = scintillation_correlation_s(lam, path, rx.aperture_diameter_m, wind)
        half = np.where(valid, _clean(link.beam_radius_m) / rng_m, 1.0)
        jitter = np.full(rytov.shape, tx.pointing_jitter_rad)
    else:
        d2 = np.zeros_like(rytov)
        tau = scintillation_correlation_s(lam, path, tx.aperture_diameter_m, wind)
        long_term = np.where(valid, _clean(link.beam_radius_m) / rng_m, 1.0)
        turb = SEEING_FWHM_PER_LAMBDA_OVER_R0 * lam / r0 / (2.0 * math.sqrt(math.log(2.0) / 2.0))
        vac2 = np.maximum(long_term**2 - turb**2, 0.0)
        wander2 = tilt_variance_rad2(lam, tx.aperture_diameter_m, r0)
        half = np.sqrt(np.maximum(long_term**2 - 4.0 * wander2, vac2))
        jitter = np.hypot(tx.pointing_jitter_rad, np.sqrt(tx.tip_tilt_residual * wander2))
    sx, sy = scintillation_log_variances(rytov, d2)
    index = np.where(valid, np.expm1(sx + sy), 0.0)
    m = slot_multipliers(rng, draws, slot_s, scint_index=index, scint_tau_s=tau, jitter_rad=jitter,
                         bias_rad=tx.pointing_bias_rad, half_angle_rad=np.where(valid, half, 1.0),
                         pointing_tau_s=pointing_tau_s)
    return np.where(valid, m, 1.0)


def _window(forecast: PassForecast, slot_s: float) -> NDArray[np.bool_]:
    t = np.asarray(forecast.geometry.t_s, float)
    key = forecast.key
    if key.n_slots <= 0 or not math.isfinite(key.window_start_s):
        return np.zeros(t.size, bool)
    sel: NDArray[np.bool_] = (t >= key.window_start_s - 1e-6) & (t + slot_s <= key.window_end_s + 1e-6)
    return sel


def draws_key(eta: NDArray[np.float64], background: NDArray[np.float64], slot_s: float,
              protocol: Protocol, p_x: float, intensities: Sequence[float],
              probabilities: Sequence[float]) -> NDArray[np.float64]:
    """The finite-key bound of every row of ``eta`` (draws x slots) with fixed source settings:
    per-slot expected counts (:func:`passplan.keyrate.counts.slot_counts`) summed over the row's
    slots, then :func:`passplan.keyrate.optimise.objective` on the totals (one batched call)."""
    d, n = eta.shape
    b = np.clip(np.broadcast_to(background, (d, n)) + protocol.extraneous_click_prob, 0.0, 0.999999)
    sc = slot_counts(eta.reshape(-1), b.reshape(-1), protocol.pulses_per_s * slot_s, p_x, intensities,
                     probabilities, protocol.afterpulse_prob, protocol.intrinsic_qber, protocol.error_model)

    def tot(a: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(a.reshape(a.shape[0], d, n).sum(axis=2).T, float)  # (draws, intensities)

    counts = Counts(n_x=tot(sc.n_x), n_z=tot(sc.n_z), m_x=tot(sc.m_x), m_z=tot(sc.m_z))
    kb = objective(counts, np.asarray(intensities, float), np.asarray(probabilities, float), protocol)
    return np.maximum(np.asarray(kb.key, float), 0.0)


def key_spread(
    forecast: PassForecast,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    *,
    weather: bool = False,
    pointing_tau_s: float = POINTING_CORRELATION_S,
) -> KeySpread:
    """P10/P50/P90 of a forecast pass's key over ``draws`` seeded draws of turbulence fading and
    pointing jitter (and the weather with ``weather=True``; module docstring)."""
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        raise InputError(f"draws is {draws!r}; give a whole number of draws, at least 1")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed is {seed!r}; give a non-negative whole number")
    prof = _profile_of(forecast)
    pr: Protocol = forecast.protocol_params
    key = forecast.key
    t = np.asarray(forecast.geometry.t_s, float)
    slot_s = float(np.median(np.diff(t))) if t.size > 1 else float(pr.slot_s)
    rng = np.random.default_rng(seed)
    sel = _window(forecast, slot_s)
    p_clear = float(prof.site.clear_sky_probability)
    model = "fading+weather" if weather else "fading"
    if not sel.any() or key.secret_key_bits <= 0:
        keys = np.zeros(draws)
    else:
        link = forecast.link
        eta = _clean(link.eta)[sel]
        bg = _clean(link.background_prob_per_gate_per_detector)[sel]
        sub = _Sub(link, sel)
        mult = fading_multipliers(sub, prof, slot_s, draws, rng, pointing_tau_s=pointing_tau_s)
        keys = draws_key(np.clip(eta[None, :] * mult, 0.0, 1.0), bg, slot_s, pr, key.p_x,
                         key.intensities, key.probabilities)
    if weather:
        keys = np.where(rng.random(draws) < p_clear, keys, 0.0)
    p10, p50, p90 = (float(v) for v in np.percentile(keys, [10.0, 50.0, 90.0]))
    return KeySpread(p10, p50, p90, float(keys.mean()), float(key.secret_key_bits), draws, seed, model, p_clear)


class _Sub:
    """The fields of a LinkSeries that the fading needs, restricted to some slots."""

    def __init__(self, link: Any, sel: NDArray[np.bool_]):
        for name in ("valid", "eta", "rytov_variance", "r0_m", "range_m", "beam_radius_m"):
            setattr(self, name, np.asarray(getattr(link, name))[sel])


# ---------------------------------------------------------------------------------------------
# sensitivity

@dataclass(frozen=True)
class Parameter:
    """One perturbable parameter: its TOML section and key, how to read and set it on a
    profile (or protocol), its uncertainty and the reason for it."""

    name: str
    section: str
    key: str
    get: Callable[[Profile, Protocol], float]
    apply: Callable[[Profile, Protocol, float], tuple[Profile, Protocol]]
    uncertainty: float = DEFAULT_UNCERTAINTY
    why: str = "assumed +-20 % (no uncertainty stated)"
    cap: float = math.inf
    floor: Callable[[Profile], float] | None = None  # the lowest physical value, if any


def _diffraction_floor(p: Profile) -> float:
    """The narrowest divergence the transmit aperture can form (the profile loader's own check,
    :func:`passplan.link.beam.min_divergence_half_angle_rad`)."""
    from ..link.beam import min_divergence_half_angle_rad

    tx = p.transmitter
    return min_divergence_half_angle_rad(p.wavelength_m, tx.aperture_diameter_m / 2.0, tx.obscuration_ratio)


def _tx(field: str) -> Callable[[Profile, Protocol, float], tuple[Profile, Protocol]]:
    def apply(p: Profile, q: Protocol, v: float) -> tuple[Profile, Protocol]:
        changes: dict[str, Any] = {field: v}
        return replace(p, transmitter=replace(p.transmitter, **changes)), q
    return apply


def _rx(field: str) -> Callable[[Profile, Protocol, float], tuple[Profile, Protocol]]:
    def apply(p: Profile, q: Protocol, v: float) -> tuple[Profile, Protocol]:
        changes: dict[str, Any] = {field: v}
        return replace(p, receiver=replace(p.receiver, **changes)), q
    return apply


def _det(field: str) -> Callable[[Profile, Protocol, float], tuple[Profile, Protocol]]:
    def apply(p: Profile, q: Protocol, v: float) -> tuple[Profile, Protocol]:
        changes: dict[str, Any] = {field: v}
        return replace(p, detector=replace(p.detector, **changes)), q
    return apply


def _turb(p: Profile, q: Protocol, v: float) -> tuple[Profile, Protocol]:
    return replace(p, turbulence={**dict(p.turbulence), "ground_cn2": v}), q


def _cn2(p: Profile, q: Protocol) -> float:
    return float(Cn2Profile(**p.turbulence).ground_cn2)


#: The parameters :func:`sensitivity` perturbs (those of a profile a measurement or a fit sets).
PARAMETERS: tuple[Parameter, ...] = (
    Parameter("divergence", "transmitter", "divergence_urad",
              lambda p, q: p.transmitter.divergence_half_angle_rad or 0.0, _tx("divergence_half_angle_rad"),
              floor=_diffraction_floor),
    Parameter("pointing jitter", "transmitter", "pointing_jitter_urad",
              lambda p, q: p.transmitter.pointing_jitter_rad, _tx("pointing_jitter_rad")),
    Parameter("pointing bias", "transmitter", "pointing_bias_urad",
              lambda p, q: p.transmitter.pointing_bias_rad, _tx("pointing_bias_rad")),
    Parameter("transmitter efficiency", "transmitter", "optics_efficiency",
              lambda p, q: p.transmitter.optics_efficiency, _tx("optics_efficiency"), cap=1.0),
    Parameter("receiver efficiency", "receiver", "optics_efficiency",
              lambda p, q: p.receiver.optics_efficiency, _rx("optics_efficiency"), cap=1.0),
    Parameter("field of view", "receiver", "fov_urad",
              lambda p, q: p.receiver.fov_half_angle_rad or 0.0, _rx("fov_half_angle_rad")),
    Parameter("filter bandwidth", "receiver", "filter_nm",
              lambda p, q: p.receiver.filter_nm or 0.0, _rx("filter_nm")),
    Parameter("detector efficiency", "detector", "efficiency",
              lambda p, q: p.detector.efficiency, _det("efficiency"), cap=1.0),
    Parameter("dark counts", "detector", "dark_cps", lambda p, q: p.detector.dark_cps, _det("dark_cps")),
    Parameter("ground Cn2 (r0)", "turbulence", "ground_cn2", _cn2, _turb, CN2_UNCERTAINTY,
              "assumed +-50 % (HV5/7 model value, no site measurement; seeing varies about 2x between nights)"),
    Parameter("visibility", "site", "visibility",
              lambda p, q: p.site.visibility_km, lambda p, q, v: (replace(p, site=replace(p.site, visibility_km=v)), q)),
    Parameter("intrinsic QBER", "source", "intrinsic_qber",
              lambda p, q: q.intrinsic_qber, lambda p, q, v: (p, replace(q, intrinsic_qber=v)), cap=0.5),
)

_LINE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=[^#]*#(.*)$")
_SECTION = re.compile(r"^\s*\[([^\]]+)\]")


def profile_comments(profile: Profile) -> dict[tuple[str, str], str]:
    """The comment on each ``key = value`` line of the profile's TOML file, by (section, key)
    (with the comment lines that continue it); empty when the profile has no file."""
    out: dict[tuple[str, str], str] = {}
    if not profile.path:
        return out
    try:
        from ..schema import read_text

        text = read_text(profile.path, "link profile TOML")
    except Exception:  # noqa: BLE001 - a profile built in memory may name a file that is gone
        return out
    section, last = "", None
    for line in text.splitlines():
        sec = _SECTION.match(line)
        if sec:
            section, last = sec.group(1).strip(), None
            if "#" in line:  # the section's own comment: the source of keys that give none
                out[(section, "")] = line.split("#", 1)[1].strip()
            continue
        m = _LINE.match(line)
        if m:
            last = (section, m.group(1))
            out[last] = m.group(2).strip()
        elif last is not None and line.strip().startswith("#") and line.startswith(" "):
            out[last] += " " + line.strip().lstrip("#").strip()
        else:
            last = None
    return out


def _status(comment: str) -> str:
    low = comment.lower()
    if "fitted" in low:
        return "fitted"
    if "assumed" in low:
        return "assumed"
    return "stated" if comment else "unstated"


@dataclass(frozen=True)
class SensitivityRow:
    """One parameter's effect: the key (bits) at value x (1 - u) and x (1 + u)."""

    parameter: str
    section: str
    key: str
    value: float
    low_value: float
    high_value: float
    uncertainty: float
    status: str  # fitted, assumed, stated or unstated (the profile's comment)
    source: str  # the profile's comment on the line, and the uncertainty's reason
    key_low_bits: float
    key_high_bits: float
    key_bits: float

    @property
    def swing(self) -> float:
        """The larger relative key change of the two ends."""
        if self.key_bits <= 0:
            return max(abs(self.key_low_bits), abs(self.key_high_bits))
        return max(abs(self.key_low_bits - self.key_bits), abs(self.key_high_bits - self.key_bits)) / self.key_bits

    def to_dict(self) -> dict[str, Any]:
        return {
            "parameter": self.parameter, "section": self.section, "key": self.key, "value": self.value,
            "low_value": self.low_value, "high_value": self.high_value, "uncertainty": self.uncertainty,
            "status": self.status, "source": self.source, "key_bits": self.key_bits,
            "key_low_bits": self.key_low_bits, "key_high_bits": self.key_high_bits,
            "change_low": _rel(self.key_low_bits, self.key_bits),
            "change_high": _rel(self.key_high_bits, self.key_bits),
        }


def _rel(x: float, base: float) -> float | None:
    return (x - base) / base if base > 0 else None


@dataclass(frozen=True)
class Sensitivity:
    """A sensitivity table: the baseline key and the rows, largest swing first."""

    profile: str
    protocol: str
    what: str  # the pass or geometry
    key_bits: float
    rows: tuple[SensitivityRow, ...]

    def to_records(self) -> list[dict[str, Any]]:
        return [{"profile": self.profile, "protocol": self.protocol, "what": self.what, **r.to_dict()}
                for r in self.rows]


def _variants(profile: Profile, protocol: Protocol, uncertainty: Mapping[str, float] | None
              ) -> tuple[list[tuple[Parameter, float, float, float, float]], list[tuple[Profile, Protocol]]]:
    """The parameters that apply (non-zero value) with (value, u, low, high) and the
    (profile, protocol) pairs to evaluate: baseline first, then low and high of each."""
    given = dict(uncertainty or {})
    unknown = set(given) - {p.name for p in PARAMETERS}
    if unknown:
        raise InputError(f"uncertainty names unknown parameters {sorted(unknown)}; "
                         f"known: {[p.name for p in PARAMETERS]}")
    rows: list[tuple[Parameter, float, float, float, float]] = []
    pairs: list[tuple[Profile, Protocol]] = [(profile, protocol)]
    for par in PARAMETERS:
        v = float(par.get(profile, protocol))
        if not v > 0:
            continue
        u = float(given.get(par.name, par.uncertainty))
        if not 0 < u < 1:
            raise InputError(f"uncertainty of {par.name!r} is {u:g}; give a fraction in (0, 1)")
        lo, hi = v * (1.0 - u), min(v * (1.0 + u), par.cap)
        if par.floor is not None:
            lo = max(lo, min(v, par.floor(profile)))
        rows.append((par, v, u, lo, hi))
        pairs += [par.apply(profile, protocol, lo), par.apply(profile, protocol, hi)]
    return rows, pairs


def _table(profile: Profile, protocol_name: str, what: str,
           rows: list[tuple[Parameter, float, float, float, float]], keys: Sequence[float],
           given: Mapping[str, float] | None) -> Sensitivity:
    comments = profile_comments(profile)
    base = float(keys[0])
    out = []
    for i, (par, v, u, lo, hi) in enumerate(rows):
        c = comments.get((par.section, par.key), "") or comments.get((par.section, ""), "")
        why = f"given +-{u:.0%}" if given and par.name in given else par.why
        out.append(SensitivityRow(par.name, par.section, par.key, v, lo, hi, u, _status(c),
                                  f"{c} | {why}" if c else why, float(keys[1 + 2 * i]),
                                  float(keys[2 + 2 * i]), base))
    out.sort(key=lambda r: -r.swing)
    return Sensitivity(profile.name, protocol_name, what, base, tuple(out))


def sensitivity(forecast: PassForecast, *, uncertainty: Mapping[str, float] | None = None,
                sky: str | None = None) -> Sensitivity:
    """How much the key of a forecast pass moves for each parameter of its profile (and the
    protocol's intrinsic QBER) at value x (1 -+ u) (module docstring): the whole chain again for
    every variant (one batch: :func:`passplan.forecast.chain.run_chain`)."""
    from ..passes.sampling import sample_scene
    from .chain import run_chain
    from .resolve import ResolvedLink

    res: ResolvedLink | None = forecast.resolved
    if res is None:
        raise InputError("the forecast carries no resolved link; make it with forecast_passes")
    rows, pairs = _variants(res.profile, res.protocol, uncertainty)
    t = np.asarray(forecast.geometry.t_s, float)
    step = float(np.median(np.diff(t))) if t.size > 1 else 1.0
    links = [replace(res, profile=p, protocol=q) for p, q in pairs]
    samples = sample_scene([forecast.pass_] * len(links), [step] * len(links), slots=True)
    done = run_chain(samples, links, sky=sky)
    keys = [float(c.key.secret_key_bits) if c.key is not None else 0.0 for c in done]
    what = f"{forecast.pass_.satellite} over {forecast.pass_.station} at {forecast.pass_.aos:%Y-%m-%dT%H:%M:%SZ}"
    return _table(res.profile, res.protocol_name, what, rows, keys, uncertainty)


def synthetic_pass(profile: Profile, max_elevation_deg: float, *, min_elevation_deg: float = 10.0,
                   site_alt_m: float | None = None, step_s: float | None = None
                   ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """``(t_s, elevation_deg, range_m)`` of a pass of a circular orbit at the profile's altitude
    culminating at ``max_elevation_deg``, over a spherical Earth that does not turn (assumed:
    the Earth's rotation changes a LEO pass's duration by a few per cent), sampled every
    ``step_s`` (default: the forecast's slot, :func:`passplan.forecast.slot_seconds`, 1 s for a
    LEO pass; a MEO or GEO profile's arc lasts hours) above ``min_elevation_deg``. The
    Earth-central angle ``g`` between station and
    satellite gives ``tan(el) = (cos g - R / a) / sin g``; along the track
    ``cos g = cos g0 cos(n t)``, ``n = sqrt(mu / a^3)``."""
    from ..units import MU_EARTH_M3_S2, R_EARTH_M

    if not min_elevation_deg < max_elevation_deg <= 90.0:
        raise InputError(f"max_elevation_deg {max_elevation_deg:g} must lie in ({min_elevation_deg:g}, 90]")
    r = R_EARTH_M + float(profile.site.alt_m if site_alt_m is None else site_alt_m)
    a = R_EARTH_M + profile.orbit_alt_m
    if not a > r:
        raise InputError("the profile's orbit is below the site; no pass")
    e0 = math.radians(max_elevation_deg)
    g0 = math.acos(r * math.cos(e0) / a) - e0
    n = math.sqrt(MU_EARTH_M3_S2 / a**3)
    emin = math.radians(min_elevation_deg)
    gmax = math.acos(r * math.cos(emin) / a) - emin
    half = math.acos(min(1.0, math.cos(gmax) / math.cos(g0))) / n
    if step_s is None:
        from . import slot_seconds

        step_s = slot_seconds(2.0 * half)
    t = np.arange(-math.floor(half / step_s), math.floor(half / step_s) + 1) * step_s
    cg = math.cos(g0) * np.cos(n * t)
    sg = np.sqrt(np.maximum(1.0 - cg**2, 0.0))
    el = np.degrees(np.arctan2(cg - r / a, sg))
    rng = np.sqrt(r**2 + a**2 - 2.0 * r * a * cg)
    keep = el >= min_elevation_deg - 1e-9
    return (t[keep] - t[keep][0]), np.minimum(el[keep], 90.0), rng[keep]


def sensitivity_at(profile: Profile | str, max_elevation_deg: float, *, protocol: str | None = None,
                   uncertainty: Mapping[str, float] | None = None, sky: str | None = None,
                   site_alt_m: float | None = None, min_elevation_deg: float = 10.0) -> Sensitivity:
    """:func:`sensitivity` for a night pass culminating at ``max_elevation_deg``
    (:func:`synthetic_pass`), no Sun or Moon, the channel from
    :func:`passplan.forecast.chain.link_at` (the budget's own line-of-sight rate estimate, no
    signal in the dead time) and the key from :func:`passplan.forecast.chain.channel_keys`
    (optimised); ``protocol`` as :func:`passplan.forecast.resolve.resolve_link` picks it."""
    from .chain import channel_keys, link_at
    from .resolve import resolve_link

    name = profile.name if isinstance(profile, Profile) else profile
    res = resolve_link(profile if isinstance(profile, str) else (profile.path or name), protocol)
    prof = profile if isinstance(profile, Profile) else res.profile
    rows, pairs = _variants(prof, res.protocol, uncertainty)
    t, el, rng = synthetic_pass(prof, max_elevation_deg, min_elevation_deg=min_elevation_deg,
                                site_alt_m=site_alt_m)
    links = [link_at(p, elevation_deg=el, range_m=rng, sky=sky, site_alt_m=site_alt_m) for p, _ in pairs]
    keys = [float(k.secret_key_bits) for k in channel_keys(links, [t] * len(links), [q for _, q in pairs])]
    what = f"night pass culminating at {max_elevation_deg:g} deg"
    return _table(prof, res.protocol_name, what, rows, keys, uncertainty)
