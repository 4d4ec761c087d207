"""Finite-key secret key of decoy-state BB84 over satellite passes.

Topic modules: :mod:`.counts` (count model), :mod:`.decoy_bb84` (Lim 2014 and Rusca 2018
finite-key bounds, Hoeffding and Chernoff deviations), :mod:`.asymptotic` (GLLP with decoys),
:mod:`.leakage` (error-correction leakage), :mod:`.optimise` (parameters and key window),
:mod:`.protocol` (the Protocol record and its TOML file), :mod:`.series` (SERIES.csv),
:mod:`.pooling` (several passes in one block), :mod:`.passkey` (one pass -> PassKey).

Typical use::

    from passplan.keyrate import Protocol, pass_key
    rec = pass_key(eta, background_prob, t_s, Protocol.from_toml("micius.toml"))
    rec.secret_key_bits, rec.limiting

The package loads its modules on first use (as :mod:`passplan.link` does), so importing it, or a
light module such as :mod:`.protocol`, costs no scipy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_names

if TYPE_CHECKING:  # the names below load on first use
    from .asymptotic import gllp_cutoff_km, gllp_optimal_mu, gllp_rate
    from .counts import (
        Counts,
        SlotCounts,
        click_error_probs,
        expected_counts,
        sample_counts,
        slot_counts,
    )
    from .decoy_bb84 import REASONS, KeyBounds, finite_key
    from .leakage import binary_entropy, ec_leakage, tomamichel_leakage
    from .optimise import OptimisedPass, optimise_pass
    from .passkey import PassKey, check_series, pass_key
    from .pooling import PooledKey, pool_passes
    from .protocol import Protocol, analysis_label, bundled_protocols, load_protocol
    from .series import ChannelSeries, read_series

_LAZY = {
    "Protocol": "protocol",
    "load_protocol": "protocol",
    "bundled_protocols": "protocol",
    "analysis_label": "protocol",
    "PassKey": "passkey",
    "pass_key": "passkey",
    "check_series": "passkey",
    "PooledKey": "pooling",
    "pool_passes": "pooling",
    "ChannelSeries": "series",
    "read_series": "series",
    "Counts": "counts",
    "SlotCounts": "counts",
    "click_error_probs": "counts",
    "slot_counts": "counts",
    "expected_counts": "counts",
    "sample_counts": "counts",
    "KeyBounds": "decoy_bb84",
    "REASONS": "decoy_bb84",
    "finite_key": "decoy_bb84",
    "binary_entropy": "leakage",
    "ec_leakage": "leakage",
    "tomamichel_leakage": "leakage",
    "gllp_rate": "asymptotic",
    "gllp_optimal_mu": "asymptotic",
    "gllp_cutoff_km": "asymptotic",
    "OptimisedPass": "optimise",
    "optimise_pass": "optimise",
}


__getattr__, __dir__ = lazy_names(__name__, globals(), _LAZY)


__all__ = [
    "Protocol", "load_protocol", "bundled_protocols", "analysis_label",
    "PassKey", "pass_key", "check_series",
    "PooledKey", "pool_passes",
    "ChannelSeries", "read_series",
    "Counts", "SlotCounts", "click_error_probs", "slot_counts", "expected_counts", "sample_counts",
    "KeyBounds", "REASONS", "finite_key",
    "binary_entropy", "ec_leakage", "tomamichel_leakage",
    "gllp_rate", "gllp_optimal_mu", "gllp_cutoff_km",
    "OptimisedPass", "optimise_pass",
]
