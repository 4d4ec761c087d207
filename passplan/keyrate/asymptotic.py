"""Asymptotic decoy-state key rate (GLLP with decoys) for comparison and for the GYS check.

With infinitely many decoys the single-photon yield and error rate are known exactly
(Ma, Qi, Zhao, Lo, PRA 72, 012326 (2005), Eqs. (1)-(10), after Gottesman-Lo-Luetkenhaus-Preskill
and Lo-Ma-Chen 2005). For a channel of overall transmittance ``eta`` (detector included),
background yield ``Y0`` (error 1/2), misalignment error ``e_d`` and signal ``mu``:

    Q_mu = Y0 + 1 - exp(-eta mu)                  E_mu Q_mu = Y0/2 + e_d (1 - exp(-eta mu))
    Y1 = Y0 + eta,  e1 = (Y0/2 + e_d eta) / Y1,   Q1 = Y1 mu exp(-mu)
    R = q { -Q_mu f h(E_mu) + Q1 [1 - h(e1)] }    (bits per pulse; q = 1/2 for standard BB84)

The finite-decoy asymptotic rate (the decoy bounds without statistical deviations) is
``finite_key(..., bounds="asymptotic")`` in :mod:`passplan.keyrate.decoy_bb84`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .leakage import binary_entropy

__all__ = ["gllp_rate", "gllp_optimal_mu", "gllp_cutoff_km"]


def gllp_rate(eta: ArrayLike, mu: ArrayLike, y0: ArrayLike, e_d: float, f_ec: float = 1.22,
              q: float = 0.5, clip: bool = True) -> NDArray[np.float64]:
    """Asymptotic decoy-state BB84 key rate per pulse with infinite decoys (Ma et al. 2005).

    ``clip=False`` returns the signed value (negative beyond the cut-off), for root finding.
    """
    eta = np.asarray(eta, dtype=float)
    mu = np.asarray(mu, dtype=float)
    y0 = np.asarray(y0, dtype=float)
    click = -np.expm1(-eta * mu)
    q_mu = y0 + click
    e_mu = (0.5 * y0 + e_d * click) / q_mu
    y1 = y0 + eta
    e1 = (0.5 * y0 + e_d * eta) / y1
    q1 = y1 * mu * np.exp(-mu)
    rate = q * (-q_mu * f_ec * binary_entropy(e_mu) + q1 * (1.0 - binary_entropy(e1)))
    return np.maximum(rate, 0.0) if clip else rate


def gllp_optimal_mu(eta: float, y0: float, e_d: float, f_ec: float = 1.22,
                    q: float = 0.5) -> tuple[float, float]:
    """``(mu_opt, rate)`` maximising :func:`gllp_rate` over ``mu`` in (0, 2); rate is signed."""
    from scipy.optimize import minimize_scalar  # here, so that gllp_rate alone costs no scipy

    res = minimize_scalar(lambda m: -float(gllp_rate(eta, m, y0, e_d, f_ec, q, clip=False)),
                          bounds=(1e-4, 2.0), method="bounded", options={"xatol": 1e-7})
    return float(res.x), float(-res.fun)


def gllp_cutoff_km(eta_bob: float, alpha_db_km: float, y0: float, e_d: float,
                   f_ec: float = 1.22, q: float = 0.5) -> float:
    """Fibre length (km) where the optimised rate reaches zero."""
    from scipy.optimize import brentq

    def g(length: float) -> float:
        eta = eta_bob * 10 ** (-alpha_db_km * length / 10)
        return gllp_optimal_mu(eta, y0, e_d, f_ec, q)[1]

    return float(brentq(g, 1.0, 400.0, xtol=1e-6))
