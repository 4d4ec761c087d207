"""The record of one forecast pass: the pass, its link series per slot and its key estimate
(what :func:`passplan.forecast.forecast_passes` returns). Its own module, so the chain's modules
can name it without importing the package."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..passes import Pass, PassGeometry, passes_to_records

__all__ = ["PassForecast"]


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
    resolved: Any = None  # the passplan.forecast.resolve.ResolvedLink (profile and protocol records)
    spread: Any = None  # optional passplan.forecast.spread.KeySpread (P10/P50/P90 of the key)

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
        """The key summary (``key_*`` fields), the profile and protocol, the link extremes and,
        when the forecast carries one, its ``spread`` (:meth:`passplan.forecast.spread.KeySpread.
        to_dict`): what :meth:`to_dict` adds to the pass record (plain Python values)."""
        k = self.key
        loss = np.asarray(self.link.total_loss_db, float)
        finite = loss[np.isfinite(loss)]
        bg = np.asarray(self.link.background_prob_per_gate_per_detector, float)
        return {
            "profile": self.profile,
            "protocol": self.protocol,
            "secret_key_bits": float(k.secret_key_bits),
            "key_window_s": float(k.key_window_s),
            "key_qber_x": None if k.qber_x is None else float(k.qber_x),
            "key_sifted_bits": float(k.sifted_bits),  # the key-bearing sifted bits (issue 18)
            "key_qber": float(k.qber),
            "key_analysis": k.analysis,
            "key_limiting": k.limiting,
            "min_loss_db": float(finite.min()) if finite.size else None,
            "max_loss_db": float(finite.max()) if finite.size else None,
            "mean_background_prob_per_gate": float(np.mean(bg)) if bg.size else None,  # no slot: none
            **({"spread": self.spread.to_dict()} if self.spread is not None else {}),
        }

    def to_dict(self) -> dict[str, Any]:
        """The pass record (as :func:`passplan.passes.passes_to_records` makes it) plus
        :meth:`key_fields`."""
        rec = passes_to_records([self.pass_])[0]
        rec.update(self.key_fields())
        return rec
