"""Finite-key decoy-state BB84 bounds: Lim 2014 (two decoys) and Rusca 2018 (one decoy).

Everything here works on block totals per intensity (:class:`~passplan.keyrate.counts.Counts`)
and broadcasts over leading batch dimensions, so the optimiser can bound thousands of candidate
parameter sets or key windows in one call. The key (X) basis gives the key; the test (Z) basis
bounds the phase errors.

Two-decoy (signal mu1, decoy mu2, vacuum mu3; Lim, Curty, Walenta, Xu, Zbinden, PRA 89, 022307
(2014), Eqs. (2)-(5)), with ``n^-+_k = exp(mu_k) / p_k * (n_k -+ delta)`` and
``tau_n = sum_k p_k exp(-mu_k) mu_k**n / n!``:

    s_0 >= tau_0 (mu2 n^-_3 - mu3 n^+_2) / (mu2 - mu3)
    s_1 >= tau_1 mu1 [n^-_2 - n^+_3 - (mu2^2 - mu3^2)/mu1^2 (n^+_1 - s_0/tau_0)]
           / [mu1 (mu2 - mu3) - mu2^2 + mu3^2]
    v_Z1 <= tau_1 (m^+_Z2 - m^-_Z3) / (mu2 - mu3)
    phi_X <= v_Z1/s_Z1 + gamma(eps_sec, v_Z1/s_Z1, s_Z1, s_X1)
    l = s_X0 + s_X1 (1 - h(phi_X)) - lambda_EC - 6 log2(21/eps_sec) - log2(2/eps_cor)

One-decoy (signal mu1, decoy mu2; Rusca, Boaron, Gruenenfelder, Martin, Zbinden, APL 112, 171104
(2018), Eqs. (1)-(5)): the vacuum contribution is bounded from above through the decoy errors
(vacuum clicks are wrong half the time), ``s_0^u = 2 (tau_0 m^+_2 + delta_H(n))``, and

    s_0^l = tau_0 (mu1 n^-_2 - mu2 n^+_1) / (mu1 - mu2)
    s_1^l = tau_1 mu1 / (mu2 (mu1 - mu2)) [n^-_2 - (mu2/mu1)^2 n^+_1 - (mu1^2 - mu2^2)/mu1^2 s_0^u/tau_0]
    v_Z1 <= tau_1 (m^+_Z1 - m^-_Z2) / (mu1 - mu2)
    l = s_X0^l + s_X1^l (1 - h(phi_X)) - lambda_EC - 6 log2(19/eps_sec) - log2(2/eps_cor)

(``m^+_2`` here already carries the ``exp(mu2)/p2`` factor). ``gamma`` keeps Lim's ``21**2``
factor in both modes (slightly conservative for the one-decoy budget of 19 terms).

Deviations ``delta`` (each failing with probability ``eps_sec/21``, or ``/19`` for one decoy;
``L = ln(21/eps_sec)``):

* ``hoeffding`` (Lim 2014): ``delta = sqrt(N/2 L)`` with ``N`` the basis total (of detections, or
  of errors for error counts).
* ``chernoff``: the multiplicative Chernoff bound solved for the expectation given the
  observation ``x`` (Yin et al., Sci. Rep. 10, 14312 (2020), the observed-to-expected task; the
  closed forms SatQuMA uses): lower ``x - L/2 - sqrt(2 x L + L^2/4)``, upper
  ``x + L + sqrt(2 x L + L^2)``. Each intensity gets its own deviation, so small decoy counts
  are no longer charged the whole basis's fluctuation.
* ``chernoff-tight``: the same Chernoff tail ``exp(-mu D(x/mu))`` inverted exactly instead of
  through the closed forms: the bound ``m`` solves ``m - x + x ln(x / m) = L`` (``m < x`` below,
  ``m > x`` above; ``m = L`` above and 0 below for ``x = 0``). The closed forms above are its
  looser relaxation (each lower bound sits about ``L`` counts lower, ``L = ln(21/eps_sec)`` ~ 24
  for ``eps_sec = 1e-9``); the tight one gives a little more key and is what tests check for
  coverage against exact Poisson tails. ``chernoff`` stays the default: SatQuMA's vector A needs it.
* ``asymptotic``: no deviation, no ``gamma``, no security terms: the decoy-state (GLLP) rate
  with the given finite set of intensities.

Which bits give key (``key_bases``, ``key_intensities``; issue 18):

* ``x``/``all`` (the defaults, passplan's own estimator): Lim 2014 as written, the X basis's
  sifted bits of every intensity give key, the Z basis only tests.
* ``both``: symmetric BB84 as the Micius 2017 key was counted (Liao et al., Nature 549, 43
  (2017): the sifted key of 1,671,072 bits is 47 % of the 3,551,136 detections, so it holds both
  bases). Each basis gives key, its single-photon phase error bounded from the other basis's
  single-photon bit errors (Lim's ``v_1/s_1 + gamma`` with the bases' roles swapped, the
  Shor-Preskill/GLLP argument); each basis is a block of its own and pays its own security terms
  and error-correction leakage (so the pair is ``2 eps_sec``-secret).
* ``signal``: only the signal intensity's sifted bits give key; decoy and vacuum bits feed the
  decoy bounds only (the GLLP convention, and the paper's: 1,671,072 / 3,551,136 = 0.4706 =
  0.5 x 0.8 x 0.5 / (0.8 x 0.5 + 0.1 x 0.25), the signal share of matched-basis clicks). Of the
  single- and zero-photon events bounded above, the signal intensity holds the Poisson shares
  ``p_1 mu_1 exp(-mu_1) / tau_1`` and ``p_1 exp(-mu_1) / tau_0`` (the yields ``Y_0, Y_1`` do not
  depend on the intensity: that is the decoy assumption).

Clamps, all valid lower/upper bounds: ``s_0 <- max(s_0, 0)`` (a count is non-negative) and
``v_Z1 <- min(max(v_Z1, 0), m_Z)`` (single-photon errors cannot exceed all errors). Nothing is
clamped upwards: when a single-photon lower bound is not positive the key is zero and
``limiting`` says why (this is what keeps ``p_x -> 1`` from producing a meaningless key: the
test basis then has no counts and ``s_Z1 <= 0``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError
from .counts import Counts
from .leakage import binary_entropy, ec_leakage

__all__ = ["KeyBounds", "REASONS", "finite_key", "deviation", "gamma_lim", "chernoff_tight"]

# Why the key is zero (codes in KeyBounds.reason).
REASONS: dict[int, str | None] = {
    0: None,
    1: "no detections in the key window",
    2: "no single-photon events bounded in the key basis (too few counts: block too small "
       "or loss too high)",
    3: "test-basis statistics cannot support the bounds (no single-photon events bounded in "
       "the test basis); lower p_x or pool more passes",
    4: "QBER too high: error correction and the phase-error bound consume the key",
    5: "block too small: finite-size terms exceed the key",
}

_FLOOR = 1e-300


@dataclass(frozen=True, slots=True, eq=False)
class KeyBounds:
    """Bounds and key for one block or a batch of blocks (arrays broadcast over the batch).

    ``raw`` is the key length before clipping at zero (negative when no key): a smooth objective
    for optimisers. ``reason`` holds :data:`REASONS` codes (0 when the key is positive).
    ``n_key``/``qber_key``: the sifted bits that carry key and their error rate, as the
    protocol counts them (``key_bases``, ``key_intensities``; the paper's "sifted key" and
    "QBER" for ``micius2017``); ``lambda_ec`` is the leakage of all of them. The ``*_x`` fields
    stay the X basis's, every intensity.
    """

    key: NDArray[np.float64]
    raw: NDArray[np.float64]
    n_x: NDArray[np.float64]
    n_z: NDArray[np.float64]
    m_x: NDArray[np.float64]
    qber_x: NDArray[np.float64]
    s_x0: NDArray[np.float64]
    s_x1: NDArray[np.float64]
    s_z1: NDArray[np.float64]
    v_z1: NDArray[np.float64]
    phase_error_x: NDArray[np.float64]
    lambda_ec: NDArray[np.float64]
    reason: NDArray[np.int64]
    n_key: NDArray[np.float64]
    qber_key: NDArray[np.float64]

    def limiting(self) -> str | None:
        """The reason text for a scalar result."""
        return REASONS[int(np.asarray(self.reason).reshape(-1)[0])]


def deviation(x: ArrayLike, total: ArrayLike, log_term: float, bounds: str,
              upper: bool) -> NDArray[np.float64]:
    """``x`` moved to the lower (``upper=False``) or upper edge of its confidence interval."""
    x = np.asarray(x, dtype=float)
    if bounds == "asymptotic":
        return x
    L = log_term
    if bounds == "chernoff":
        xs = np.maximum(x, 0.0)
        if upper:
            return x + L + np.sqrt(2.0 * xs * L + L * L)
        return x - 0.5 * L - np.sqrt(2.0 * xs * L + 0.25 * L * L)
    if bounds == "chernoff-tight":
        return chernoff_tight(x, L, upper)
    if bounds == "hoeffding":
        d = np.sqrt(0.5 * np.maximum(np.asarray(total, dtype=float), 0.0) * L)
        return x + d if upper else x - d
    raise InputError(
        f"finite-size bounds {bounds!r} are unknown; expected 'chernoff', 'chernoff-tight', "
        "'hoeffding' or 'asymptotic' (no finite-size correction); set bounds in the protocol to "
        "one of them"
    )


def chernoff_tight(x: ArrayLike, log_term: float, upper: bool) -> NDArray[np.float64]:
    """Exact inversion of the Poisson/Chernoff tail ``exp(-(m - x + x ln(x/m))) = exp(-L)``.

    For a sum of independent Bernoulli trials with mean ``m``, ``P(X >= x) <= exp(-D)`` for
    ``x >= m`` and ``P(X <= x) <= exp(-D)`` for ``x <= m`` with ``D = m - x + x ln(x/m)`` (Chernoff,
    Ann. Math. Stat. 23, 493 (1952); the relative-entropy form, e.g. Mitzenmacher and Upfal,
    *Probability and Computing* (2005), thm 4.4-4.5). The expectation is then above the lower
    root and below the upper root of ``D = L`` except with probability ``exp(-L)`` each. Newton
    steps from the closed-form (looser) bounds converge monotonically, the function being convex.
    """
    xs = np.maximum(np.asarray(x, dtype=float), 0.0)
    L = float(log_term)
    pos = xs > 0
    xl = np.where(pos, xs, 1.0)
    if upper:  # f(m) = m - x + x ln(x/m) - L, convex and increasing for m > x: start above
        m = xs + L + np.sqrt(2.0 * xs * L + L * L)
        for _ in range(100):
            f = m - xs + xs * np.log(xl / m) - L
            new = np.maximum(m - f / (1.0 - xs / m), xs)
            done = bool(np.all(np.abs(new - m) <= 1e-13 * m))
            m = new
            if done:
                break
        return np.where(pos, m, L)
    # lower root in u = ln m: g(u) = e^u - x + x ln x - x u - L, convex and decreasing for m < x;
    # start left of the root at u = ln x - 1 - L/x (where g = e^u > 0)
    u = np.log(xl) - 1.0 - L / xl
    for _ in range(100):
        g = np.exp(u) - xl + xl * np.log(xl) - xl * u - L
        new = np.minimum(u - g / (np.exp(u) - xl), np.log(xl))
        done = bool(np.all(np.abs(new - u) <= 1e-13 * np.maximum(np.abs(u), 1.0)))
        u = new
        if done:
            break
    return np.where(pos, np.exp(u), 0.0)


def gamma_lim(eps_sec: float, b: ArrayLike, c: ArrayLike, d: ArrayLike) -> NDArray[np.float64]:
    """Lim 2014's phase-error correction gamma(a, b, c, d) (after Eq. (5)), ``a = eps_sec``.

    ``sqrt((c+d)(1-b) b / (c d ln 2) * log2((c+d)/(c d (1-b) b) * 21^2/a^2))``; ``b`` is floored
    at a tiny positive number so that ``b = 0`` gives ~0 rather than NaN.
    """
    bf = np.clip(np.asarray(b, dtype=float), _FLOOR, 0.5)
    cf = np.asarray(c, dtype=float)
    df = np.asarray(d, dtype=float)
    cd = cf * df
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        g1 = np.maximum((cf + df) * (1 - bf) * bf / (cd * math.log(2.0)), 0.0)
        arg = (cf + df) / (cd * (1 - bf) * bf) * (21.0**2 / eps_sec**2)
        g2 = np.log2(np.maximum(arg, 1.0))
        g = np.sqrt(g1 * g2)
    return np.where((cf > 0) & (df > 0), g, np.inf)


def _tau(n: int, mu: NDArray, p: NDArray) -> NDArray:
    return (p * np.exp(-mu) * mu**n).sum(axis=-1) / math.factorial(n)


def finite_key(
    counts: Counts,
    intensities: ArrayLike,
    probabilities: ArrayLike,
    *,
    eps_sec: float = 1e-9,
    eps_cor: float = 1e-15,
    bounds: str = "chernoff",
    f_ec: float = 1.16,
    ec_method: str = "f_ec",
    key_bases: str = "x",
    key_intensities: str = "all",
) -> KeyBounds:
    """Secret key length from block counts (Lim 2014 with 3 intensities, Rusca 2018 with 2).

    The number of intensities in ``counts`` (last axis) selects the two- or one-decoy bound;
    ``intensities``/``probabilities`` broadcast against it. ``key_bases`` and
    ``key_intensities`` choose which sifted bits carry key (module docstring, "Which bits give
    key"); the defaults are passplan's own estimator (X basis, every intensity).
    """
    if key_bases not in ("x", "both"):
        raise InputError(f"key_bases {key_bases!r} is unknown; expected 'x' or 'both'")
    if key_intensities not in ("all", "signal"):
        raise InputError(f"key_intensities {key_intensities!r} is unknown; expected 'all' or 'signal'")
    mu = np.asarray(intensities, dtype=float)
    p = np.asarray(probabilities, dtype=float)
    nx, nz = np.asarray(counts.n_x, float), np.asarray(counts.n_z, float)
    mx, mz = np.asarray(counts.m_x, float), np.asarray(counts.m_z, float)
    k = nx.shape[-1]
    if k not in (2, 3):
        raise InputError(
            f"counts carry {k} intensities (last axis); expected 3 (signal and two decoys, Lim "
            "2014) or 2 (signal and one decoy, Rusca 2018); give one column per intensity"
        )
    mu, p = np.broadcast_arrays(mu, p)
    n_terms = 21.0 if k == 3 else 19.0
    asym = bounds == "asymptotic"
    L = 0.0 if asym else math.log(n_terms / eps_sec)

    nX, nZ = nx.sum(-1), nz.sum(-1)
    mXt, mZt = mx.sum(-1), mz.sum(-1)
    scale = np.exp(mu) / p

    def lo(x, tot):
        return scale * deviation(x, tot[..., None], L, bounds, upper=False)

    def hi(x, tot):
        return scale * deviation(x, tot[..., None], L, bounds, upper=True)

    nxm, nxp = lo(nx, nX), hi(nx, nX)
    nzm, nzp = lo(nz, nZ), hi(nz, nZ)
    mzm, mzp = lo(mz, mZt), hi(mz, mZt)
    tau0, tau1 = _tau(0, mu, p), _tau(1, mu, p)
    m1, m2 = mu[..., 0], mu[..., 1]

    with np.errstate(divide="ignore", invalid="ignore"):
        if k == 3:
            m3 = mu[..., 2]

            def s0(nm, npl):
                return np.maximum(tau0 * (m2 * nm[..., 2] - m3 * npl[..., 1]) / (m2 - m3), 0.0)

            def s1(nm, npl, s_0):
                num = (nm[..., 1] - npl[..., 2]
                       - (m2**2 - m3**2) / m1**2 * (npl[..., 0] - s_0 / tau0))
                return tau1 * m1 * num / (m1 * (m2 - m3) - m2**2 + m3**2)

            sx0 = s0(nxm, nxp)
            sz0 = s0(nzm, nzp)
            sx1 = s1(nxm, nxp, sx0)
            sz1 = s1(nzm, nzp, sz0)
            vz1 = tau1 * (mzp[..., 1] - mzm[..., 2]) / (m2 - m3)
            if key_bases == "both":
                mxm, mxp = lo(mx, mXt), hi(mx, mXt)
                vx1 = tau1 * (mxp[..., 1] - mxm[..., 2]) / (m2 - m3)
        else:
            mxp = hi(mx, mXt)
            dh_x = 0.0 if asym else np.sqrt(0.5 * nX * L)
            dh_z = 0.0 if asym else np.sqrt(0.5 * nZ * L)

            def s0_low(nm, npl):
                return np.maximum(tau0 * (m1 * nm[..., 1] - m2 * npl[..., 0]) / (m1 - m2), 0.0)

            def s1_low(nm, npl, s0_up):
                num = (nm[..., 1] - (m2 / m1) ** 2 * npl[..., 0]
                       - (m1**2 - m2**2) / m1**2 * s0_up / tau0)
                return tau1 * m1 / (m2 * (m1 - m2)) * num

            sx0_up = 2.0 * (tau0 * mxp[..., 1] + dh_x)
            sz0_up = 2.0 * (tau0 * mzp[..., 1] + dh_z)
            sx0 = s0_low(nxm, nxp)
            sx1 = s1_low(nxm, nxp, sx0_up)
            sz1 = s1_low(nzm, nzp, sz0_up)
            vz1 = tau1 * (mzp[..., 0] - mzm[..., 1]) / (m1 - m2)
            if key_bases == "both":
                sz0 = s0_low(nzm, nzp)
                vx1 = tau1 * (mxp[..., 0] - lo(mx, mXt)[..., 1]) / (m1 - m2)

        vz1 = np.minimum(np.maximum(vz1, 0.0), mZt)
        qber = np.where(nX > 0, mXt / np.where(nX > 0, nX, 1.0), 0.0)
        ok_z = sz1 > 0
        ratio = np.where(ok_z, vz1 / np.where(ok_z, sz1, 1.0), 0.5)
        sec_terms = 0.0 if asym else (6.0 * math.log2(n_terms / eps_sec) + math.log2(2.0 / eps_cor))
        signal = key_intensities == "signal"
        # the signal intensity's share of the zero- and one-photon events (Poisson source)
        share0 = p[..., 0] * np.exp(-m1) / tau0
        share1 = p[..., 0] * m1 * np.exp(-m1) / tau1

        def basis_key(s_0, s_1, n, m, ratio_t, s_1t, ok_t):
            """Key of one basis: its bits (all intensities, or the signal's), phase errors from
            the other basis's single-photon error rate ``ratio_t`` over ``s_1t`` events."""
            if signal:
                s_0, s_1, nb, mb = s_0 * share0, s_1 * share1, n[..., 0], m[..., 0]
            else:
                nb, mb = n.sum(-1), m.sum(-1)
            q = np.where(nb > 0, mb / np.where(nb > 0, nb, 1.0), 0.0)
            if asym:
                ph = np.minimum(ratio_t, 0.5)
            else:
                ph = np.minimum(ratio_t + gamma_lim(eps_sec, ratio_t, np.where(ok_t, s_1t, 1.0),
                                                    np.where(s_1 > 0, s_1, 1.0)), 0.5)
                ph = np.where(ok_t & (s_1 > 0), ph, 0.5)
            lm = ec_leakage(nb, q, f_ec, ec_method, eps_cor)
            r = s_0 + s_1 * (1.0 - binary_entropy(ph)) - lm - sec_terms
            r = np.where(np.isfinite(r), r, -np.inf)
            # the asymptotic value (no deviations, no gamma): tells "QBER too high" from
            # "block too small" when the key is zero
            a = s_0 + s_1 * (1.0 - binary_entropy(np.minimum(ratio_t, 0.5))) - lm
            return r, np.where((r > 0) & (s_1 > 0) & ok_t, r, 0.0), ph, lm, nb, mb, a

        raw, key, phi, lam, n_key, m_key, asym_val = basis_key(sx0, sx1, nx, mx, ratio, sz1, ok_z)
        if key_bases == "both":
            vx1 = np.minimum(np.maximum(vx1, 0.0), mXt)
            ok_x = sx1 > 0
            ratio_x = np.where(ok_x, vx1 / np.where(ok_x, sx1, 1.0), 0.5)
            raw_z, key_z, _, lam_z, n_kz, m_kz, a_z = basis_key(sz0, sz1, nz, mz, ratio_x, sx1, ok_x)
            raw, key, lam, asym_val = raw + raw_z, key + key_z, lam + lam_z, asym_val + a_z
            n_key, m_key = n_key + n_kz, m_key + m_kz
        qber_key = np.where(n_key > 0, m_key / np.where(n_key > 0, n_key, 1.0), 0.0)

        # Why zero: first failing condition wins.
        asym_phi = np.minimum(ratio, 0.5)
        reason = np.where(
            nX <= 0, 1,
            np.where(sx1 <= 0, 2,
                     np.where(~ok_z, 3,
                              np.where(key > 0, 0,
                                       np.where((asym_val <= 0) | (asym_phi >= 0.5), 4, 5)))))
    return KeyBounds(
        key=key, raw=raw, n_x=nX, n_z=nZ, m_x=mXt, qber_x=qber, s_x0=sx0, s_x1=sx1, s_z1=sz1,
        v_z1=vz1, phase_error_x=phi, lambda_ec=lam, reason=reason.astype(np.int64),
        n_key=n_key, qber_key=qber_key,
    )
