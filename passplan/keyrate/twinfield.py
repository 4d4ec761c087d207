"""Sending-or-not-sending twin-field QKD (SNS-TF-QKD) over fibre: asymptotic key rate.

The protocol (Wang, Yu and Hu, PRA 98, 062323 (2018)): Alice and Bob each send a phase-randomised
weak coherent pulse to a middle station (Charlie) that interferes them on a beam splitter and
announces which of two detectors clicked. In a *Z window* each party sends a pulse of intensity
``mu`` with probability ``epsilon`` (Alice's bit 1, Bob's bit 0) or nothing; an effective event
is one in which exactly one detector clicks. The key comes from the *untagged* Z bits, those
where exactly one party sent exactly one photon; their phase-flip error is that of the
single-photon states measured in the X (decoy) windows. The rate per pulse pair is (their key
rate formula)::

    R = 2 eps (1 - eps) mu e^-mu s1 [1 - h(e1)] - f S_Z h(E_Z)

Here the rate is asymptotic: the number of pulses is unbounded, the Z windows carry every pulse
and the X-window decoys are infinitely many, so the single-photon yield ``s1`` and phase error
``e1`` are those of the channel itself (as the decoy-state GLLP rate of
:mod:`passplan.keyrate.asymptotic` takes ``Y1`` and ``e1``). Not modelled: the finite size
(the field experiments analyse finite blocks) and the two-way error rejection by actively
odd-parity pairing (AOPP; Xu, Yu, Hu and Wang, PRA 100, 042330 (2019)), which the 428 km and
511 km field tests use (Liu et al., PRL 126, 250502 (2021); Chen et al., Nat. Photonics 15, 570
(2021)) and which raises the rate where bit errors dominate.

The click model, a symmetric channel of transmittance ``eta`` per arm (fibre of half the
length, detector included), dark-count probability ``p_d`` per detector and pulse:

* neither sends: ``p00 = 2 p_d (1 - p_d)`` (one dark count), always a bit error;
* one sends: the pulse splits evenly, ``p10 = 2 (1 - p_d) e^(-eta mu/2) [1 - (1 - p_d) e^(-eta mu/2)]``;
* both send, relative phase uniform: detectors see ``eta mu (1 +- cos d)``; averaged over ``d``,
  ``p11 = 2 (1 - p_d) e^(-eta mu) I0(eta mu) - 2 (1 - p_d)^2 e^(-2 eta mu)``, a bit error;
* ``S_Z = (1-eps)^2 p00 + 2 eps (1-eps) p10 + eps^2 p11`` and ``E_Z S_Z = (1-eps)^2 p00 + eps^2 p11``;
* one photon from one party: ``s1 = (1 - p_d) [eta + 2 p_d (1 - eta)]`` and
  ``e1 s1 = (1 - p_d) [e_d eta + p_d (1 - eta)]`` (misalignment ``e_d`` of the phase reference;
  a dark count in the wrong detector).

``tests/test_twinfield.py`` checks these against a Monte-Carlo of photons, phases and dark
counts, and the rate against the repeaterless bound (Pirandola, Laurenza, Ottaviani and Banchi,
Nat. Commun. 8, 15043 (2017)) and the single-repeater bound that twin-field QKD cannot pass. The
published figure it reproduces is Wang, Yu and Hu's own: their abstract states secure distances
of 700, 600, 500 and 300 km at single-photon misalignment errors of 15, 25, 35 and 45 %;
:meth:`TwinFieldModel.secure_distance_km` on their simulation's devices (dark counts 1e-11 per
pulse, detector efficiency 0.8, error-correction inefficiency 1.1, as a third-party reading of
the paper reports them; 0.2 dB/km assumed) gives 707, 628, 518 and 297 km. No field figure is
reproduced: the field papers' losses, detectors and rates were not readable (abstracts only),
and the long-distance field and laboratory results use AOPP, which this model leaves out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .leakage import binary_entropy

__all__ = [
    "sns_click_model",
    "sns_rate",
    "sns_optimal",
    "TwinFieldModel",
    "plob_bound",
    "single_repeater_bound",
    "crossover_km",
    "RateModel",
]


def sns_click_model(eta: ArrayLike, mu: ArrayLike, epsilon: ArrayLike, p_d: float, e_d: float
                    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """``(S_Z, E_Z, s1, e1)`` of the symmetric channel (see the module docstring): the Z-window
    effective-event probability and bit error, the untagged single-photon yield and its phase
    error. ``eta`` is the transmittance of one arm, detector included."""
    from scipy.special import i0e  # i0e(x) = exp(-x) I0(x): no overflow

    eta = np.asarray(eta, dtype=float)
    mu = np.asarray(mu, dtype=float)
    eps = np.asarray(epsilon, dtype=float)
    q = 1.0 - p_d
    x = eta * mu
    p00 = 2.0 * p_d * q
    half = np.exp(-x / 2.0)
    p10 = 2.0 * q * half * (1.0 - q * half)
    p11 = 2.0 * q * i0e(x) - 2.0 * q * q * np.exp(-2.0 * x)
    none, one, both = (1.0 - eps) ** 2, 2.0 * eps * (1.0 - eps), eps**2
    s_z = none * p00 + one * p10 + both * p11
    e_z = (none * p00 + both * p11) / s_z
    s1 = q * (eta + 2.0 * p_d * (1.0 - eta))
    e1 = q * (e_d * eta + p_d * (1.0 - eta)) / s1
    return s_z, e_z, s1, e1


def sns_rate(eta: ArrayLike, mu: ArrayLike, epsilon: ArrayLike, p_d: float, e_d: float, f_ec: float = 1.16,
             clip: bool = True) -> NDArray[np.float64]:
    """Asymptotic SNS key rate per pulse pair (Wang, Yu and Hu 2018); ``clip=False`` keeps the
    sign (negative where no key is possible)."""
    eps = np.asarray(epsilon, dtype=float)
    mu = np.asarray(mu, dtype=float)
    s_z, e_z, s1, e1 = sns_click_model(eta, mu, eps, p_d, e_d)
    untagged = 2.0 * eps * (1.0 - eps) * mu * np.exp(-mu) * s1
    rate = untagged * (1.0 - binary_entropy(np.minimum(e1, 0.5))) - f_ec * s_z * binary_entropy(np.minimum(e_z, 0.5))
    return np.maximum(rate, 0.0) if clip else np.asarray(rate, dtype=float)


def sns_optimal(eta: float, p_d: float, e_d: float, f_ec: float = 1.16) -> tuple[float, float, float]:
    """``(mu, epsilon, rate)`` maximising :func:`sns_rate` (signed) at one-arm transmittance
    ``eta``: a grid (mu 0.005-1.5, epsilon 1e-4-0.5, logarithmic), then Nelder-Mead from its
    best point. Deterministic."""
    from scipy.optimize import minimize

    mus = np.geomspace(5e-3, 1.5, 60)
    epss = np.geomspace(1e-4, 0.5, 60)
    m, e = np.meshgrid(mus, epss, indexing="ij")
    grid = sns_rate(eta, m, e, p_d, e_d, f_ec, clip=False)
    i, j = np.unravel_index(int(np.nanargmax(grid)), grid.shape)
    scale = max(math.sqrt(eta), 1e-300)

    def neg(v: NDArray[np.float64]) -> float:
        mu_, eps_ = math.exp(v[0]), math.exp(v[1])
        if not (1e-6 < mu_ < 5.0 and 1e-7 < eps_ < 0.99):
            return math.inf
        return -float(sns_rate(eta, mu_, eps_, p_d, e_d, f_ec, clip=False)) / scale

    res = minimize(neg, np.log([mus[i], epss[j]]), method="Nelder-Mead",
                   options={"xatol": 1e-7, "fatol": 1e-12, "maxiter": 2000})
    best = min((float(res.fun), tuple(res.x)), (neg(np.log([mus[i], epss[j]])), tuple(np.log([mus[i], epss[j]]))))
    mu_opt, eps_opt = (math.exp(v) for v in best[1])
    return mu_opt, eps_opt, -best[0] * scale


def plob_bound(eta_total: ArrayLike) -> NDArray[np.float64]:
    """The repeaterless secret-key capacity ``-log2(1 - eta)`` per channel use of a pure-loss
    channel (Pirandola, Laurenza, Ottaviani and Banchi, Nat. Commun. 8, 15043 (2017))."""
    return np.asarray(-np.log2(1.0 - np.asarray(eta_total, dtype=float)), dtype=float)


def single_repeater_bound(eta_total: ArrayLike) -> NDArray[np.float64]:
    """The capacity with one repeater node in the middle, ``-log2(1 - sqrt(eta))`` (Pirandola,
    Commun. Phys. 2, 51 (2019)): twin-field QKD, a single untrusted middle node, stays below it."""
    return np.asarray(-np.log2(1.0 - np.sqrt(np.asarray(eta_total, dtype=float))), dtype=float)


@dataclass(frozen=True)
class TwinFieldModel:
    """SNS twin-field QKD over a fibre with the measuring station in the middle: asymptotic rate
    (:func:`sns_optimal`; intensity and sending probability optimised per length).

    The defaults are the decoy BB84 fibre model's devices (:class:`passplan.schedule.network.
    FibreModel`: the GYS detector of Gobby, Yuan and Shields, APL 84, 3762 (2004), as used by Ma
    et al. PRA 72, 012326 (2005): efficiency 0.045 and 1.7e-6 dark counts per pulse over its two
    detectors, so ``p_d`` = 8.5e-7 each; error-correction inefficiency 1.22; 0.2 dB/km and 1 GHz
    assumed) so that the two protocols are compared on the same hardware; ``e_d`` = 0.033 is
    the GYS misalignment taken as the phase-reference error (assumed). A network file's
    ``[twinfield_model]`` table replaces any of them."""

    eta_det: float = 0.045
    p_d: float = 8.5e-7
    e_d: float = 0.033
    f_ec: float = 1.22
    alpha_db_km: float = 0.2
    pulse_rate_hz: float = 1.0e9

    def arm_transmittance(self, length_km: float) -> float:
        """One arm (half the fibre) with its detector."""
        return self.eta_det * 10 ** (-self.alpha_db_km * length_km / 2.0 / 10.0)

    def rate_per_pulse(self, length_km: float) -> float:
        """Secret bits per pulse pair over ``length_km`` of fibre between the two users (0 past
        the cut-off)."""
        _, _, r = sns_optimal(self.arm_transmittance(length_km), self.p_d, self.e_d, self.f_ec)
        return max(r, 0.0)

    def rate_bps(self, length_km: float) -> float:
        """Secret key rate (bit/s) of one twin-field link of ``length_km``."""
        return self.rate_per_pulse(length_km) * self.pulse_rate_hz

    def secure_distance_km(self, max_km: float = 3000.0) -> float:
        """The secure distance: the fibre length (km) at which the optimised rate falls to zero
        (the quantity Wang, Yu and Hu state against the misalignment error), found to 0.1 km.
        0.0 when no length gives key, ``max_km`` when key is still positive there."""
        from scipy.optimize import brentq

        def signed(length: float) -> float:
            return sns_optimal(self.arm_transmittance(length), self.p_d, self.e_d, self.f_ec)[2]

        if signed(0.0) <= 0.0:
            return 0.0
        if signed(max_km) > 0.0:
            return float(max_km)
        return float(brentq(signed, 0.0, max_km, xtol=0.1))


class RateModel(Protocol):
    """A fibre QKD model: secret key rate (bit/s) of a link of a given length."""

    def rate_bps(self, length_km: float) -> float: ...


def crossover_km(decoy: RateModel, twinfield: RateModel, max_km: float = 5000.0) -> float:
    """The fibre length (km) beyond which ``twinfield`` gives more key per second than ``decoy``:
    where the two rates cross, between 1 km and the decoy model's cut-off (found to 10 km, then
    to 1 m). 1.0 when twin-field leads from the start, NaN when it never leads before the
    cut-off."""
    from scipy.optimize import brentq

    def lead(length: float) -> float:
        return twinfield.rate_bps(length) - decoy.rate_bps(length)

    last = next((x for x in range(10, int(max_km), 10) if decoy.rate_bps(float(x)) <= 0), max_km) - 10.0
    cut = float(brentq(lambda x: decoy.rate_bps(x) - 1e-300, last, last + 10.0, xtol=1e-3)) if last >= 10 else 1.0
    if lead(cut) <= 0:
        return math.nan
    if lead(1.0) > 0:
        return 1.0
    return float(brentq(lead, 1.0, cut, xtol=1e-3))
