"""One pass in, one :class:`PassKey` record out: the library entry point of the key estimator."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError
from .counts import SlotCounts, sample_counts, slot_counts
from .decoy_bb84 import REASONS
from .optimise import OptimisedPass, objective, optimise_pass
from .protocol import Protocol, analysis_label

__all__ = ["PassKey", "pass_key", "check_series", "prepare", "key_record", "empty_key", "NO_SLOT"]

#: Why a window with no whole key slot has no key (a pass piece cut shorter than one slot).
NO_SLOT = "no whole key slot in the window (shorter than one key slot)"


@dataclass(frozen=True, slots=True)
class PassKey:
    """Secret key of one pass (or one pooled block) and everything that produced it.

    ``limiting`` is None when the key is positive, otherwise why it is zero. Counts are expected
    values unless the estimate was made from Poisson samples (``sampled``). ``n_x``, ``n_z`` and
    ``qber_x`` count every intensity; ``sifted_bits`` and ``qber`` are the sifted bits that carry
    key and their error rate as the protocol's analysis counts them (``key_bases``,
    ``key_intensities``: for ``micius2017`` the signal bits of both bases, the paper's "sifted
    key"; for passplan's own estimator the X basis's bits of every intensity).
    """

    secret_key_bits: float
    limiting: str | None
    key_window_s: float
    window_start_s: float
    window_end_s: float
    n_slots: int
    pulses: float
    n_x: float
    n_z: float
    qber_x: float
    phase_error_x: float
    s_x0: float
    s_x1: float
    s_z1: float
    v_z1: float
    lambda_ec: float
    p_x: float
    intensities: tuple[float, ...]
    probabilities: tuple[float, ...]
    bounds: str
    decoys: int
    error_model: str
    ec_method: str
    optimised: bool
    sampled: bool = False
    sifted_bits: float = math.nan
    qber: float = math.nan
    key_bases: str = "x"
    key_intensities: str = "all"

    @property
    def analysis(self) -> str:
        """Which sifted bits carry key (:func:`passplan.keyrate.protocol.analysis_label`)."""
        return analysis_label(self.key_bases, self.key_intensities)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON (tuples become lists)."""
        d = asdict(self)
        d["intensities"] = list(self.intensities)
        d["probabilities"] = list(self.probabilities)
        return d


def check_series(eta: ArrayLike, background_prob: ArrayLike | None = None,
                 t_s: ArrayLike | None = None) -> tuple[NDArray, NDArray, NDArray | None]:
    """Validate a transmittance series; errors name the column and the first bad index."""
    eta_a = np.asarray(eta, dtype=float).reshape(-1)
    if eta_a.size == 0:
        raise InputError("column 'eta' is empty; give at least one slot")

    def first_bad(mask: NDArray, col: str, what: str, arr: NDArray) -> None:
        if mask.any():
            i = int(np.argmax(mask))
            raise InputError(f"column {col!r} at index {i} is {arr[i]!r}; expected {what}")

    first_bad(~np.isfinite(eta_a), "eta", "a finite transmittance (NaN or inf given)", eta_a)
    first_bad((eta_a < 0) | (eta_a > 1), "eta", "a transmittance in [0, 1] (a ratio, not dB)", eta_a)
    if background_prob is None:
        bg = np.zeros_like(eta_a)
    else:
        bg = np.broadcast_to(np.asarray(background_prob, dtype=float), eta_a.shape).copy()
        first_bad(~np.isfinite(bg), "background_prob", "a finite probability", bg)
        first_bad((bg < 0) | (bg >= 1), "background_prob",
                  "a click probability per detector and gate in [0, 1)", bg)
    ts = None
    if t_s is not None:
        ts = np.asarray(t_s, dtype=float).reshape(-1)
        if ts.shape != eta_a.shape:
            raise InputError(f"column 't_s' has {ts.size} values but 'eta' has {eta_a.size}")
        first_bad(~np.isfinite(ts), "t_s", "a finite time in seconds", ts)
        if ts.size > 1:
            dt = np.diff(ts)
            first_bad(dt <= 0, "t_s", "strictly increasing times", ts[1:])
            med = float(np.median(dt))
            first_bad(np.abs(dt - med) > 0.01 * med, "t_s",
                      f"evenly spaced slots (spacing {med:g} s); resample the series", ts[1:])
    return eta_a, bg, ts


def pass_key(
    eta: ArrayLike,
    background_prob: ArrayLike | None = None,
    t_s: ArrayLike | None = None,
    protocol: Protocol | None = None,
    *,
    rng: np.random.Generator | None = None,
) -> PassKey:
    """Secret key of one pass from its per-slot transmittance (and background) series.

    ``eta``: transmittance per slot, detector efficiency included. ``background_prob``: extra
    click probability per detector and gate per slot (added to the protocol's
    ``extraneous_click_prob``). ``t_s``: slot times (evenly spaced; sets the slot duration,
    else ``protocol.slot_s``). With ``protocol.optimise`` the source parameters and the key
    window are optimised (:mod:`passplan.keyrate.optimise`); otherwise the given parameters
    and every slot are used. With ``rng`` the counts are Poisson samples of the expected ones
    (parameters are still optimised on expected counts).
    """
    eta_a, b, ts, pr = prepare(eta, background_prob, t_s, protocol)
    return key_record(eta_a, b, ts, pr, optimise_pass(eta_a, b, pr) if pr.optimise else None, rng=rng)


def prepare(eta: ArrayLike, background_prob: ArrayLike | None, t_s: ArrayLike | None,
            protocol: Protocol | None) -> tuple[NDArray, NDArray, NDArray | None, Protocol]:
    """The checked series, the total extraneous click probability per slot and the protocol
    with its slot duration taken from ``t_s``: what :func:`pass_key` optimises and reports on."""
    pr = protocol if protocol is not None else Protocol()
    eta_a, bg, ts = check_series(eta, background_prob, t_s)
    if ts is not None and ts.size > 1:
        pr = replace(pr, slot_s=float(np.median(np.diff(ts))))
    b = np.clip(bg + pr.extraneous_click_prob, 0.0, 0.999999)
    return eta_a, b, ts, pr


def key_record(eta_a: NDArray, b: NDArray, ts: NDArray | None, pr: Protocol,
               opt: OptimisedPass | None, *, rng: np.random.Generator | None = None) -> PassKey:
    """The :class:`PassKey` of a prepared series (:func:`prepare`) with the optimiser's choice
    ``opt`` (None: the protocol's parameters over every slot)."""
    n = eta_a.size
    if opt is not None:
        p_x, mu, p, (i, j) = opt.p_x, opt.intensities, opt.probabilities, opt.window
    else:
        p_x, mu, p, (i, j) = pr.p_x, pr.intensities, pr.probabilities, (0, n)
    sc: SlotCounts = slot_counts(eta_a[i:j], b[i:j], pr.pulses_per_s * pr.slot_s, p_x, mu, p,
                                 pr.afterpulse_prob, pr.intrinsic_qber, pr.error_model)
    if rng is not None:
        sc = sample_counts(sc, rng)
    kb = objective(sc.totals(), np.asarray(mu), np.asarray(p), pr)
    t_axis = ts if ts is not None else np.arange(n, dtype=float) * pr.slot_s
    key = float(kb.key)
    return PassKey(
        secret_key_bits=key,
        limiting=REASONS[int(kb.reason)] if key <= 0 else None,
        key_window_s=(j - i) * pr.slot_s,
        window_start_s=float(t_axis[i]) if j > i else math.nan,
        window_end_s=float(t_axis[j - 1]) + pr.slot_s if j > i else math.nan,
        n_slots=j - i,
        pulses=(j - i) * pr.slot_s * pr.pulses_per_s,
        n_x=float(kb.n_x), n_z=float(kb.n_z), qber_x=float(kb.qber_x),
        phase_error_x=float(kb.phase_error_x), s_x0=float(kb.s_x0), s_x1=float(kb.s_x1),
        s_z1=float(kb.s_z1), v_z1=float(kb.v_z1), lambda_ec=float(kb.lambda_ec),
        p_x=float(p_x), intensities=tuple(float(v) for v in mu),
        probabilities=tuple(float(v) for v in p), bounds=pr.bounds, decoys=pr.decoys,
        error_model=pr.error_model, ec_method=pr.ec_method, optimised=pr.optimise,
        sampled=rng is not None, sifted_bits=float(kb.n_key), qber=float(kb.qber_key),
        key_bases=pr.key_bases, key_intensities=pr.key_intensities,
    )


def empty_key(protocol: Protocol | None = None, reason: str = NO_SLOT) -> PassKey:
    """The zero key of a window holding no whole key slot (a pass cut by a constraint or by the
    window's end to less than one slot): nothing is estimated, no pulse is counted, and
    ``limiting`` says why. Quantities without a count (QBER, phase error) are NaN; the source
    settings are the protocol's own."""
    pr = protocol if protocol is not None else Protocol()
    return PassKey(
        secret_key_bits=0.0, limiting=reason, key_window_s=0.0, window_start_s=math.nan,
        window_end_s=math.nan, n_slots=0, pulses=0.0, n_x=0.0, n_z=0.0, qber_x=math.nan,
        phase_error_x=math.nan, s_x0=0.0, s_x1=0.0, s_z1=0.0, v_z1=math.nan, lambda_ec=0.0,
        p_x=float(pr.p_x), intensities=tuple(float(v) for v in pr.intensities),
        probabilities=tuple(float(v) for v in pr.probabilities), bounds=pr.bounds, decoys=pr.decoys,
        error_model=pr.error_model, ec_method=pr.ec_method, optimised=pr.optimise, sampled=False,
        sifted_bits=0.0, qber=math.nan, key_bases=pr.key_bases, key_intensities=pr.key_intensities,
    )
