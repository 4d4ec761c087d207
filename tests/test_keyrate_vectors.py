"""Authorities for the key estimator: SatQuMA vector A, SatQuMA's optimised bests, GYS (Ma 2005).

SatQuMA numbers (Sidhu et al., npj Quantum Inf. 8, 18 (2022); v2 commit f2b9229 run on its
shipped FS_loss_XI0.csv) are embedded below with their source; the channel file itself is read
from ``../shared/reference/satquma`` (tests skip without it).
"""

from __future__ import annotations

import numpy as np
import pytest

from passplan.keyrate import (
    Protocol,
    expected_counts,
    finite_key,
    gllp_cutoff_km,
    gllp_optimal_mu,
    pass_key,
)
from passplan.keyrate.optimise import optimise_pass

# vector_a.json (shared/reference/satquma), SatQuMA v2 f2b9229
VA = dict(p_x=0.7611, p=(0.7501, 0.1749, 0.0750), mu=(0.7921, 0.1707, 0.0), pulses=1e9,
          ap=1e-3, ec=1e-8, qi=1e-3, eps_sec=1e-9, eps_cor=1e-15)
VA_CHERNOFF = {"secret_key_bits": 48313119.7, "n_x": 1.226675e8, "qber_x": 1.519785e-3,
               "phase_error_x": 2.875109e-3, "s_x1": 5.212914e7, "lambda_ec": 2336331.85}
VA_HOEFFDING = {"secret_key_bits": 4.636619e7, "phase_error_x": 4.237956e-3, "s_x1": 5.070599e7}
VA_EXTRA = {2.0: 3.033893e7, 12.0: 2.896132e6}


def _channel(ref):
    d = np.genfromtxt(ref / "satquma" / "FS_loss_XI0.csv", delimiter=",", skip_header=1,
                      usecols=(0, 1, 2))
    return d[::-1, 0].copy(), d[::-1, 2].copy()  # increasing time


def _vector_a(eta, bounds, model, extra_db=0.0):
    c = expected_counts(eta * 10 ** (-extra_db / 10), VA["ec"], VA["pulses"], VA["p_x"],
                        VA["mu"], VA["p"], VA["ap"], VA["qi"], model)
    return finite_key(c, VA["mu"], VA["p"], eps_sec=VA["eps_sec"], eps_cor=VA["eps_cor"],
                      bounds=bounds)


def _digits(expected: float) -> float:
    """Relative resolution of a published number (its printed significant digits)."""
    s = f"{expected:.7g}"
    mant = s.split("e")[0].replace("-", "").replace(".", "").lstrip("0")
    return 0.5 * 10 ** -(len(mant) - 1)


@pytest.fixture(scope="module")
def va_eta(shared_reference):
    t, eta = _channel(shared_reference)
    return eta[(t >= -220) & (t <= 220)]


def test_vector_a_chernoff_faithful(va_eta):
    r = _vector_a(va_eta, "chernoff", "averaged")
    assert r.key == pytest.approx(VA_CHERNOFF["secret_key_bits"], rel=1e-6)
    for k, v in VA_CHERNOFF.items():
        got = float(getattr(r, "key" if k == "secret_key_bits" else k))
        assert got == pytest.approx(v, rel=max(1e-6, _digits(v))), k


def test_vector_a_hoeffding_faithful(va_eta):
    r = _vector_a(va_eta, "hoeffding", "averaged")
    for k, v in VA_HOEFFDING.items():
        got = float(getattr(r, "key" if k == "secret_key_bits" else k))
        assert got == pytest.approx(v, rel=max(1e-6, _digits(v))), k


@pytest.mark.parametrize("extra_db", [2.0, 12.0])
def test_vector_a_extra_loss(va_eta, extra_db):
    r = _vector_a(va_eta, "chernoff", "averaged", extra_db)
    assert float(r.key) == pytest.approx(VA_EXTRA[extra_db], rel=max(1e-6, _digits(VA_EXTRA[extra_db])))


@pytest.mark.parametrize("bounds,expected", [("chernoff", VA_CHERNOFF["secret_key_bits"]),
                                             ("hoeffding", VA_HOEFFDING["secret_key_bits"])])
def test_vector_a_resolved_errors_within_5e3(va_eta, bounds, expected):
    """Intensity-resolved errors change only the test-basis error split: key within 5e-3."""
    r = _vector_a(va_eta, bounds, "resolved")
    assert float(r.key) == pytest.approx(expected, rel=5e-3)
    assert float(r.n_x) == pytest.approx(VA_CHERNOFF["n_x"], rel=1e-6)
    assert float(r.qber_x) == pytest.approx(VA_CHERNOFF["qber_x"], rel=1e-6)


def test_vector_a_through_pass_key(va_eta):
    pr = Protocol(pulses_per_s=1e9, p_x=VA["p_x"], intensities=VA["mu"], probabilities=VA["p"],
                  afterpulse_prob=1e-3, extraneous_click_prob=1e-8, intrinsic_qber=1e-3,
                  optimise=False, error_model="averaged")
    rec = pass_key(va_eta, protocol=pr)
    assert rec.secret_key_bits == pytest.approx(VA_CHERNOFF["secret_key_bits"], rel=1e-6)
    assert rec.limiting is None and rec.key_window_s == 441.0


# SatQuMA's best optimised keys on its shipped example (1e8 pulses/s, Q_I 0.5 %, P_ec 5e-7):
# shared/reference/README.md section 4. Zenith losses 26.99 (file), 30.24, 33.49, 39.99 dB.
SATQUMA_BEST = [(0.0, 5.80e6), (3.25, 2.33e6), (6.5, 8.3e5), (13.0, 0.0)]


@pytest.mark.parametrize("model", ["resolved", "averaged"])
@pytest.mark.parametrize("extra_db,best", SATQUMA_BEST)
def test_optimised_not_below_satquma_best(shared_reference, extra_db, best, model):
    _, eta = _channel(shared_reference)
    pr = Protocol(pulses_per_s=1e8, intrinsic_qber=5e-3, extraneous_click_prob=5e-7,
                  afterpulse_prob=1e-3, error_model=model)
    rec = pass_key(eta * 10 ** (-extra_db / 10), protocol=pr)
    assert rec.secret_key_bits >= best
    assert rec.p_x <= pr.p_x_max
    if best == 0.0:
        assert rec.limiting is not None


def test_optimiser_deterministic(shared_reference):
    _, eta = _channel(shared_reference)
    pr = Protocol()
    b = np.full(eta.size, pr.extraneous_click_prob)
    assert optimise_pass(eta, b, pr) == optimise_pass(eta.copy(), b.copy(), pr)


# GYS fibre (Ma, Qi, Zhao, Lo, PRA 72, 012326 (2005)): eta_Bob 0.045, Y0 1.7e-6, e_d 3.3 %,
# 0.21 dB/km, f 1.22, q 1/2. Optimal mu ~0.48, R(0 km) = 2.555e-3, cut-off ~141-142 km.
def test_gys_asymptotic():
    mu, rate = gllp_optimal_mu(0.045, 1.7e-6, 0.033, 1.22)
    assert mu == pytest.approx(0.48, abs=0.01)
    assert rate == pytest.approx(2.555e-3, rel=1e-3)
    assert 141.0 <= gllp_cutoff_km(0.045, 0.21, 1.7e-6, 0.033, 1.22) <= 142.5
