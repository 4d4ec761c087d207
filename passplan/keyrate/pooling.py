"""Several passes, one finite-key block.

Passes of one satellite-station pair can be pooled: the sifted counts of all of them form one
block, so the finite-size penalties (which grow like the square root of the counts) are paid
once. :func:`pool_passes` optimises the parameters on the pooled block, keeps the slots above a
common transmittance threshold (scanned in 1 dB steps below the best slot), and also reports the
pooled key after the first 1, 2, ..., n passes, hence how many passes are needed before the
key turns positive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputError
from .counts import slot_counts
from .optimise import objective, optimise_pass
from .passkey import PassKey, check_series, pass_key
from .protocol import Protocol

__all__ = ["PooledKey", "pool_passes"]


@dataclass(frozen=True, slots=True)
class PooledKey:
    """Key of a block pooled from several passes.

    ``block``: the pooled estimate (its window fields count kept slots, not a time span).
    ``key_per_pass_bits``: the block key shared over passes in proportion to their sifted
    key-basis counts. ``cumulative_key_bits[k]``: key of a block of the first ``k + 1`` passes.
    ``passes_needed``: the fewest leading passes giving a positive key (None if never).
    """

    block: PassKey
    n_passes: int
    key_per_pass_bits: tuple[float, ...]
    cumulative_key_bits: tuple[float, ...]
    passes_needed: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"block": self.block.to_dict(), "n_passes": self.n_passes,
                "key_per_pass_bits": list(self.key_per_pass_bits),
                "cumulative_key_bits": list(self.cumulative_key_bits),
                "passes_needed": self.passes_needed}


def _block(etas: list[np.ndarray], bgs: list[np.ndarray], pr: Protocol) -> tuple[PassKey, list[float]]:
    eta = np.concatenate(etas)
    bg = np.concatenate(bgs)
    owner = np.concatenate([np.full(e.size, k) for k, e in enumerate(etas)])
    b = np.clip(bg + pr.extraneous_click_prob, 0.0, 0.999999)
    mask = np.ones(eta.size, dtype=bool)
    if pr.optimise:
        opt = optimise_pass(eta, b, pr, optimise_window=False)
        mu, p = np.asarray(opt.intensities), np.asarray(opt.probabilities)
        sc = slot_counts(eta, b, pr.pulses_per_s * pr.slot_s, opt.p_x, mu, p,
                         pr.afterpulse_prob, pr.intrinsic_qber, pr.error_model)
        peak = float(eta.max())
        best = -np.inf
        for drop_db in np.arange(0.0, 41.0, 1.0):
            m = eta >= peak * 10 ** (-drop_db / 10)
            val = float(objective(sc.totals(m), mu, p, pr).raw)
            if val > best:
                best, mask = val, m
        opt = optimise_pass(eta[mask], b[mask], pr, optimise_window=False)
        pr = pr.with_params(opt.p_x, opt.intensities, opt.probabilities)
    optimised = pr.optimise
    rec = pass_key(eta[mask], bg[mask], None, replace(pr, optimise=False))
    rec = replace(rec, optimised=optimised)
    sc = slot_counts(eta[mask], b[mask], pr.pulses_per_s * pr.slot_s, rec.p_x,
                     rec.intensities, rec.probabilities, pr.afterpulse_prob, pr.intrinsic_qber,
                     pr.error_model)
    nx = sc.n_x.sum(axis=0)
    share = [float(nx[owner[mask] == k].sum()) for k in range(len(etas))]
    tot = sum(share)
    shares = [rec.secret_key_bits * s / tot if tot > 0 else 0.0 for s in share]
    return rec, shares


def pool_passes(passes: Sequence[ArrayLike | tuple[ArrayLike, ArrayLike | None]],
                protocol: Protocol | None = None) -> PooledKey:
    """Pool passes (each an ``eta`` array or ``(eta, background_prob)``) into one block."""
    pr = protocol if protocol is not None else Protocol()
    if len(passes) == 0:
        raise InputError("no passes to pool; give at least one transmittance series")
    etas, bgs = [], []
    for k, item in enumerate(passes):
        eta, bg = (item if isinstance(item, tuple) else (item, None))
        try:
            e, b, _ = check_series(eta, bg)
        except InputError as err:
            raise InputError(f"pass {k}: {err}") from None
        etas.append(e)
        bgs.append(b)
    block, shares = _block(etas, bgs, pr)
    cumulative = []
    for k in range(1, len(etas)):
        cumulative.append(_block(etas[:k], bgs[:k], pr)[0].secret_key_bits)
    cumulative.append(block.secret_key_bits)
    needed = next((k + 1 for k, v in enumerate(cumulative) if v > 0), None)
    return PooledKey(block=block, n_passes=len(etas), key_per_pass_bits=tuple(shares),
                     cumulative_key_bits=tuple(cumulative), passes_needed=needed)
