"""Finite-key bounds: reasons for zero, monotonicity, 1-decoy vs 2-decoy, asymptotic limits."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from passplan.errors import InputError
from passplan.keyrate import (
    REASONS,
    Counts,
    Protocol,
    ec_leakage,
    expected_counts,
    finite_key,
    gllp_rate,
    pass_key,
    slot_counts,
    tomamichel_leakage,
)


def synthetic_pass(n: int = 201, zenith_eta: float = 2e-3) -> np.ndarray:
    """Overhead pass of a 500 km satellite: transmittance falling as 1/range^2."""
    t = np.linspace(-300, 300, n)
    return zenith_eta * (500.0 / np.sqrt(500.0**2 + (7.6 * t) ** 2)) ** 2


ETA = synthetic_pass()
FIXED = Protocol(optimise=False, p_x=0.85, intensities=(0.7, 0.12, 0.0),
                 probabilities=(0.85, 0.1, 0.05))


def test_lim_formulas_by_hand():
    """One block worked through Lim 2014 Eqs. (2)-(5) by hand (asymptotic: no deviations)."""
    mu = np.array([0.6, 0.2, 0.0])
    p = np.array([0.6, 0.3, 0.1])
    counts = expected_counts([1e-3], [5e-6], 1e10, 0.5, mu, p, 0.0, 0.0)
    r = finite_key(counts, mu, p, bounds="asymptotic")
    tau0 = (p * np.exp(-mu)).sum()
    tau1 = (p * np.exp(-mu) * mu).sum()
    nk = counts.n_x * np.exp(mu) / p  # yields x pulses per intensity
    s0 = tau0 * nk[2]
    s1 = tau1 * mu[0] * (nk[1] - nk[2] - mu[1] ** 2 / mu[0] ** 2 * (nk[0] - s0 / tau0)) / (
        mu[0] * mu[1] - mu[1] ** 2)
    assert float(r.s_x0) == pytest.approx(s0, rel=1e-12)
    assert float(r.s_x1) == pytest.approx(s1, rel=1e-12)
    # the decoy bound on single photons is below the true single-photon count
    true_s1 = tau1 * 0.25 * 1e10 * (1 - (1 - 5e-6) ** 2 * np.exp(-1e-3))
    assert 0.85 * true_s1 < s1 <= true_s1 * (1 + 1e-9)


def test_zero_key_reasons():
    # no light at all
    r = pass_key(np.zeros(50), protocol=FIXED)
    assert r.secret_key_bits == 0 and r.limiting is not None
    # high intrinsic QBER
    r = pass_key(ETA, protocol=dataclasses.replace(FIXED, intrinsic_qber=0.2))
    assert r.secret_key_bits == 0 and r.limiting == REASONS[4] or "QBER" in (r.limiting or "")
    # tiny block: finite-size terms dominate
    r = pass_key(ETA[95:100] * 1e-2, protocol=FIXED)
    assert r.secret_key_bits == 0 and r.limiting is not None


def test_px_near_one_gives_zero_with_reason():
    """The SatQuMA trap: p_x -> 1 leaves the test basis empty; no meaningless key."""
    pr = dataclasses.replace(FIXED, p_x=1 - 1e-12)
    r = pass_key(ETA, protocol=pr)
    assert r.secret_key_bits == 0
    assert "test-basis" in r.limiting


def test_px_bounded_in_optimiser():
    r = pass_key(ETA * 10, protocol=Protocol(p_x_max=0.97))
    assert r.p_x <= 0.97 and r.secret_key_bits > 0


def test_one_decoy_vs_two_decoy():
    """Rusca 2018 vs Lim 2014 on the same pass: comparable keys, both below asymptotic."""
    two = pass_key(ETA, protocol=Protocol())
    one = pass_key(ETA, protocol=Protocol(decoys=1, intensities=(0.6, 0.15),
                                          probabilities=(0.8, 0.2)))
    assert two.secret_key_bits > 0 and one.secret_key_bits > 0
    assert 0.5 < one.secret_key_bits / two.secret_key_bits < 1.5
    asym = pass_key(ETA, protocol=Protocol(bounds="asymptotic"))
    assert asym.secret_key_bits > two.secret_key_bits


def test_bounds_ordering():
    keys = {b: pass_key(ETA * 5, protocol=dataclasses.replace(FIXED, bounds=b)).secret_key_bits
            for b in ("asymptotic", "chernoff", "hoeffding")}
    assert keys["asymptotic"] > keys["chernoff"] > keys["hoeffding"] > 0


def test_asymptotic_finite_decoys_approaches_gllp():
    """Vacuum + weak decoy, no fluctuations: close to the infinite-decoy GLLP rate (Ma 2005)."""
    eta, y0, ed = 1e-2, 1e-6, 0.01
    pr = Protocol(p_x=0.5, intensities=(0.5, 0.01, 0.0), probabilities=(0.98, 0.01, 0.01),
                  afterpulse_prob=0.0, extraneous_click_prob=y0 / 2, intrinsic_qber=ed,
                  bounds="asymptotic", optimise=False, f_ec=1.22)
    c = expected_counts([eta], y0 / 2, 1e12, 0.5, pr.intensities, pr.probabilities, 0.0, ed)
    r = finite_key(c, pr.intensities, pr.probabilities, bounds="asymptotic", f_ec=1.22)
    per_signal_pulse = float(r.key) / (1e12 * 0.98) * 2  # sifting 1/4 -> q = 1/2 equivalent
    ideal = float(gllp_rate(eta, 0.5, y0, ed, 1.22))
    assert per_signal_pulse == pytest.approx(ideal, rel=0.05)


def test_tomamichel_leakage_larger_for_small_blocks():
    q = 0.02
    for n in (1e4, 1e6):
        ratio = float(tomamichel_leakage(n, q, 1e-15) / ec_leakage(n, q, 1.0))
        assert ratio > 1.0
    small = float(tomamichel_leakage(1e4, q, 1e-15) / (1e4 * 0.1414))
    big = float(tomamichel_leakage(1e8, q, 1e-15) / (1e8 * 0.1414))
    assert small > big


def test_poisson_samples_seeded():
    pr = dataclasses.replace(FIXED)
    a = pass_key(ETA, protocol=pr, rng=np.random.default_rng(1))
    b = pass_key(ETA, protocol=pr, rng=np.random.default_rng(1))
    e = pass_key(ETA, protocol=pr)
    assert a == b and a.sampled
    assert a.n_x == pytest.approx(e.n_x, rel=0.01)
    sc = slot_counts(ETA, 1e-6, 1e8, 0.8, (0.7, 0.1, 0), (0.8, 0.1, 0.1), 1e-3, 1e-2)
    assert sc.n_x.shape == (3, ETA.size)


# ---------------------------------------------------------------- property tests
SHORT = synthetic_pass(61)
PROP = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _key(eta, bg, qi, optimise):
    pr = Protocol(intrinsic_qber=qi, optimise=optimise, p_x=0.8, intensities=(0.7, 0.12, 0.0),
                  probabilities=(0.8, 0.12, 0.08))
    return pass_key(eta, bg, protocol=pr).secret_key_bits


def _not_more(worse, better, optimise):
    tol = 1e-4 * abs(better) + 1e-6 if optimise else 1e-9 * abs(better) + 1e-9
    assert worse <= better + tol


@PROP
@given(zen=st.floats(1e-4, 5e-2), extra_db=st.floats(0.01, 8.0), optimise=st.booleans())
def test_key_never_rises_with_loss(zen, extra_db, optimise):
    eta = SHORT / SHORT.max() * zen
    _not_more(_key(eta * 10 ** (-extra_db / 10), None, 5e-3, optimise),
              _key(eta, None, 5e-3, optimise), optimise)


@PROP
@given(bg=st.floats(0.0, 1e-5), more=st.floats(1e-8, 1e-4), optimise=st.booleans())
def test_key_never_rises_with_background(bg, more, optimise):
    eta = SHORT * 3
    _not_more(_key(eta, np.full(eta.size, bg + more), 5e-3, optimise),
              _key(eta, np.full(eta.size, bg), 5e-3, optimise), optimise)


@PROP
@given(qi=st.floats(0.0, 0.08), more=st.floats(1e-4, 0.05), optimise=st.booleans())
def test_key_never_rises_with_intrinsic_qber(qi, more, optimise):
    eta = SHORT * 3
    _not_more(_key(eta, None, min(qi + more, 0.49), optimise), _key(eta, None, qi, optimise),
              optimise)


# --- wrong option names reach the caller as InputError with the choices and the fix ---
def test_unknown_error_model_teaches() -> None:
    with pytest.raises(InputError, match=r"error model 'mixed' is unknown; expected 'resolved'.*'averaged'.*set error_model"):
        slot_counts(np.array([1e-3]), 1e-6, 1e6, 0.5, [0.5, 0.1, 0.0], [0.7, 0.2, 0.1], 0.0, 0.01,
                    error_model="mixed")


def test_unknown_ec_method_teaches() -> None:
    with pytest.raises(InputError, match=r"error-correction method 'ldpc' is unknown; expected 'f_ec'.*'tomamichel'.*set ec_method"):
        ec_leakage(1e5, 0.02, method="ldpc")


def _block(k: int) -> Counts:
    n = np.full(k, 1e5)
    return Counts(n_x=n, n_z=n / 10, m_x=n * 0.02, m_z=n * 0.002)


def test_unknown_bounds_teaches() -> None:
    with pytest.raises(InputError, match=r"finite-size bounds 'bernstein' are unknown; expected 'chernoff', 'chernoff-tight', 'hoeffding' or\s+'asymptotic'.*set bounds"):
        finite_key(_block(3), [0.5, 0.1, 0.0], [0.7, 0.2, 0.1], bounds="bernstein")


def test_wrong_number_of_intensities_teaches() -> None:
    with pytest.raises(InputError, match=r"counts carry 4 intensities \(last axis\); expected 3 .* or 2 .*one column per intensity"):
        finite_key(_block(4), [0.5, 0.2, 0.1, 0.0], [0.6, 0.2, 0.1, 0.1])
    assert np.shape(finite_key(_block(3), [0.5, 0.1, 0.0], [0.7, 0.2, 0.1]).key) == ()


# --- the tight Chernoff inversion (issue 10) ---------------------------------------------------


def _poisson_sf_ge(k: np.ndarray, mean: float) -> np.ndarray:
    """P(X >= k) for X ~ Poisson(mean), exact (scipy as the independent authority)."""
    from scipy.stats import poisson

    return poisson.sf(k - 1, mean)


@pytest.mark.parametrize("eps", [1e-3, 1e-9])
@pytest.mark.parametrize("mean", [3.0, 40.0, 500.0, 2e4])
def test_chernoff_tight_bounds_cover_exact_poisson(mean: float, eps: float) -> None:
    """Coverage by brute force: for a true expectation ``mean``, the observations whose tight
    lower (upper) bound lands above (below) ``mean`` must have exact Poisson probability at
    most ``eps`` (each tail is charged ``exp(-L)``)."""
    from scipy.stats import poisson

    from passplan.keyrate.decoy_bb84 import chernoff_tight

    L = math.log(1.0 / eps)
    k = np.arange(0, int(mean + 60 * math.sqrt(mean) + 200 + 10 * L))
    lo = chernoff_tight(k.astype(float), L, upper=False)
    hi = chernoff_tight(k.astype(float), L, upper=True)
    pmf = poisson.pmf(k, mean)
    miss_low = pmf[lo > mean].sum()  # lower bound wrongly above the truth
    miss_high = pmf[hi < mean].sum()  # upper bound wrongly below the truth
    assert miss_low <= eps and miss_high <= eps, (miss_low, miss_high)
    # and it is tight: the exact tails at the bounds are not far below eps (within a factor 60)
    x = float(round(mean))
    assert _poisson_sf_ge(np.array([x]), float(chernoff_tight(np.array([x]), L, False)[0]))[0] > eps / 60


def test_chernoff_tight_is_inside_the_closed_forms_by_about_L() -> None:
    """The closed forms (SatQuMA's) are looser than the exact inversion of the same tail: each
    lower bound by about ln(21/eps) counts or more; the upper bound never below the tight one."""
    from passplan.keyrate.decoy_bb84 import chernoff_tight, deviation

    L = math.log(21 / 1e-9)
    x = np.array([50.0, 1e3, 1e5, 1e8])
    tight_lo = chernoff_tight(x, L, upper=False)
    loose_lo = deviation(x, 0.0, L, "chernoff", upper=False)
    assert np.all(tight_lo - loose_lo > 0.9 * L)
    assert np.all(tight_lo - loose_lo < 1.3 * L)
    assert np.all(chernoff_tight(x, L, upper=True) <= deviation(x, 0.0, L, "chernoff", upper=True))
    # D(x || m) = L at both roots
    for m in (tight_lo, chernoff_tight(x, L, upper=True)):
        assert np.allclose(m - x + x * np.log(x / m), L, rtol=1e-6, atol=1e-3)


def test_chernoff_tight_gives_at_least_the_default_key() -> None:
    base = finite_key(_block(3), [0.5, 0.1, 0.0], [0.7, 0.2, 0.1], bounds="chernoff")
    tight = finite_key(_block(3), [0.5, 0.1, 0.0], [0.7, 0.2, 0.1], bounds="chernoff-tight")
    assert float(tight.key) >= float(base.key)
    assert float(tight.s_x1) >= float(base.s_x1)


# --- which bits give key (issue 18): both bases, signal bits -------------------------------------


@pytest.mark.parametrize("bounds", ["asymptotic", "hoeffding", "chernoff"])
@pytest.mark.parametrize("mu,p", [([0.6, 0.2, 0.0], [0.6, 0.3, 0.1]), ([0.5, 0.1], [0.7, 0.3])])
def test_both_bases_of_a_symmetric_block_is_twice_the_x_key(bounds, mu, p) -> None:
    """With p_x = 1/2 the two bases hold the same expected counts, so keying from both (each
    basis's phase errors from the other, each paying its own security terms) gives exactly twice
    the X-basis key; the sifted bits that carry key double too."""
    c = expected_counts([2e-3] * 20, 1e-6, 1e8, 0.5, mu, p, 1e-3, 0.01)
    x = finite_key(c, mu, p, bounds=bounds)
    both = finite_key(c, mu, p, bounds=bounds, key_bases="both")
    assert float(x.key) > 0
    assert float(both.key) == pytest.approx(2 * float(x.key), rel=1e-12)
    assert float(both.n_key) == pytest.approx(float(c.n_x.sum() + c.n_z.sum()), rel=1e-12)
    assert float(both.qber_key) == pytest.approx(float(x.qber_x), rel=1e-12)
    assert float(both.lambda_ec) == pytest.approx(2 * float(x.lambda_ec), rel=1e-12)


def test_both_bases_takes_each_basis_phase_error_from_the_other() -> None:
    """Biased bases: the Z basis's key is bounded by X's single-photon errors. Swapping the bases
    of the counts swaps the roles, so the two-basis key is symmetric in them, and it is the X key
    plus the X key of the swapped block."""
    mu, p = [0.6, 0.2, 0.0], [0.6, 0.3, 0.1]
    c = expected_counts([2e-3] * 20, 1e-6, 1e8, 0.7, mu, p, 1e-3, 0.01)
    swapped = Counts(n_x=c.n_z, n_z=c.n_x, m_x=c.m_z, m_z=c.m_x)
    both = finite_key(c, mu, p, bounds="hoeffding", key_bases="both")
    parts = (finite_key(c, mu, p, bounds="hoeffding").key
             + finite_key(swapped, mu, p, bounds="hoeffding").key)
    assert float(both.key) == pytest.approx(float(parts), rel=1e-12)
    assert float(finite_key(swapped, mu, p, bounds="hoeffding", key_bases="both").key) == \
        pytest.approx(float(both.key), rel=1e-12)


def test_signal_bits_keep_the_signal_share_of_the_single_photons() -> None:
    """Asymptotic bounds on a noiseless-dark block: the signal's single-photon events are
    ``p_1 mu_1 exp(-mu_1) / tau_1`` of the bounded ones, so the signal-bit key rebuilt by hand from
    the all-intensity bounds equals the estimator's, and it stays below the true signal
    single-photon count (N p_x^2 p_1 mu_1 exp(-mu_1) Y_1, computed from the channel directly)."""
    mu, p = np.array([0.8, 0.1, 0.0]), np.array([0.5, 0.25, 0.25])
    eta, b, n_pulses = 1e-3, 5e-8, 1e10
    c = expected_counts([eta], [b], n_pulses, 0.5, mu, p, 0.0, 0.01)
    r = finite_key(c, mu, p, bounds="asymptotic", key_intensities="signal")
    tau0, tau1 = (p * np.exp(-mu)).sum(), (p * np.exp(-mu) * mu).sum()
    s0k = float(r.s_x0) * p[0] * np.exp(-mu[0]) / tau0
    s1k = float(r.s_x1) * p[0] * mu[0] * np.exp(-mu[0]) / tau1
    q = c.m_x[0] / c.n_x[0]
    h = lambda x: -x * np.log2(x) - (1 - x) * np.log2(1 - x)  # noqa: E731
    by_hand = s0k + s1k * (1 - h(float(r.phase_error_x))) - 1.16 * c.n_x[0] * h(q)
    assert float(r.key) == pytest.approx(by_hand, rel=1e-12)
    assert float(r.n_key) == pytest.approx(c.n_x[0], rel=1e-12)
    # the single-photon yield of the channel: 1 - (1 - b)^2 (1 - eta)
    y1 = 1 - (1 - b) ** 2 * (1 - eta)
    true_s1 = n_pulses * 0.25 * p[0] * mu[0] * np.exp(-mu[0]) * y1
    assert 0.9 * true_s1 < s1k <= true_s1 * (1 + 1e-9)
    # the signal bits hold fewer key bits than all intensities' bits, and more than none
    allbits = finite_key(c, mu, p, bounds="asymptotic")
    assert 0 < float(r.key) < float(allbits.key)


def test_default_key_choice_is_passplans_own_estimator() -> None:
    """The defaults leave Lim 2014 as it was: X basis, every intensity (vector A guards the digits)."""
    c = expected_counts([2e-3] * 20, 1e-6, 1e8, 0.7, [0.6, 0.2, 0.0], [0.6, 0.3, 0.1], 1e-3, 0.01)
    a = finite_key(c, [0.6, 0.2, 0.0], [0.6, 0.3, 0.1])
    b = finite_key(c, [0.6, 0.2, 0.0], [0.6, 0.3, 0.1], key_bases="x", key_intensities="all")
    assert float(a.key) == float(b.key) and float(a.n_key) == float(c.n_x.sum())
    with pytest.raises(InputError, match="key_bases 'zz' is unknown"):
        finite_key(c, [0.6, 0.2, 0.0], [0.6, 0.3, 0.1], key_bases="zz")
    with pytest.raises(InputError, match="key_intensities 'decoy' is unknown"):
        finite_key(c, [0.6, 0.2, 0.0], [0.6, 0.3, 0.1], key_intensities="decoy")
