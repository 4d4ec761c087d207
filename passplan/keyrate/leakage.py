"""Error-correction leakage: ``f_EC * n * h(Q)`` and the finite-size estimate of Tomamichel 2017.

* ``f_ec``: the usual inefficiency model, ``lambda_EC = f_EC n h(Q)`` (Lim et al. 2014, Sec. III;
  ``f_EC = 1.16`` by default as in SatQuMA).
* ``tomamichel``: the second-order estimate of the leakage of an optimal one-way reconciliation
  of ``n`` bits with bit-flip probability ``Q`` and failure probability ``eps_cor`` (Tomamichel,
  Martinez-Mateo, Pacher, Elkouss, Quantum Inf. Process. 16, 280 (2017), binary-symmetric case):

      leak = n h(Q) + (n (1 - Q) - F^-1(eps (1 + 1/sqrt n); n, 1 - Q) - 1) log2((1 - Q) / Q)
             - log2(n) / 2 - log2(1 / eps)

  with ``F^-1`` the quantile of the binomial distribution. It is the fundamental limit for a
  code of that block length, so it is a lower estimate of what a real code leaks; it grows
  faster than ``n h(Q)`` for small blocks. It is floored at ``n h(Q)`` (the Shannon limit).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError

__all__ = ["binary_entropy", "ec_leakage", "tomamichel_leakage"]


def binary_entropy(q: ArrayLike) -> NDArray[np.float64]:
    """``h(q) = -q log2 q - (1 - q) log2(1 - q)``; 0 at q = 0 and 1; NaN outside [0, 1]."""
    q = np.asarray(q, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(q > 0, -q * np.log2(np.where(q > 0, q, 1.0)), 0.0)
        b = np.where(q < 1, -(1 - q) * np.log2(np.where(q < 1, 1 - q, 1.0)), 0.0)
    return np.where((q >= 0) & (q <= 1), a + b, np.nan)


def tomamichel_leakage(n: ArrayLike, q: ArrayLike, eps_cor: float) -> NDArray[np.float64]:
    """Finite-size one-way reconciliation leakage (Tomamichel et al. 2017), bits; see module doc."""
    n = np.asarray(n, dtype=float)
    q = np.asarray(q, dtype=float)
    n_i = np.floor(np.maximum(n, 1.0))
    qq = np.clip(q, 1e-300, 0.5)
    from scipy.stats import binom  # here, so that the f_ec leakage costs no scipy

    quant = binom.ppf(np.minimum(eps_cor * (1.0 + 1.0 / np.sqrt(n_i)), 0.5), n_i, 1.0 - qq)
    leak = (n * binary_entropy(qq) + (n * (1.0 - qq) - quant - 1.0) * np.log2((1.0 - qq) / qq)
            - 0.5 * np.log2(n_i) - np.log2(1.0 / eps_cor))
    leak = np.maximum(leak, n * binary_entropy(qq))
    return np.where((n > 0) & (q > 0), leak, 0.0)


def ec_leakage(n: ArrayLike, q: ArrayLike, f_ec: float = 1.16, method: str = "f_ec",
               eps_cor: float = 1e-15) -> NDArray[np.float64]:
    """Bits revealed by error correction of ``n`` sifted key bits with error rate ``q``."""
    n = np.asarray(n, dtype=float)
    if method == "f_ec":
        return f_ec * n * binary_entropy(np.clip(q, 0.0, 1.0))
    if method == "tomamichel":
        return tomamichel_leakage(n, q, eps_cor)
    raise InputError(
        f"error-correction method {method!r} is unknown; expected 'f_ec' (f_ec * n * h(Q)) or "
        "'tomamichel' (Tomamichel et al. 2017); set ec_method in the protocol to one of them"
    )
