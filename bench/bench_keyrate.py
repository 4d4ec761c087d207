"""Benchmark: passplan's key optimiser against a plain scipy COBYLA multi-start, same objective.

Run ``python bench/bench_keyrate.py`` (about a minute on one core). For each pass of the SatQuMA
example channel (``../shared/reference/satquma/FS_loss_XI0.csv`` when present, else a synthetic
overhead pass of the same shape) at several extra losses, it times

* ``passplan``: :func:`passplan.keyrate.optimise.optimise_pass` (parameters and key window);
* ``COBYLA``: ``scipy.optimize.minimize(method="COBYLA")`` from ``N_STARTS`` seeded random
  starts over (p_x, mu1, mu2, p1, p2), for each of ``N_WINDOWS`` candidate windows (the
  symmetric windows around the peak SatQuMA scans), keeping the best. Its objective is the same
  key bound (:func:`passplan.keyrate.optimise.objective`) on counts computed slot by slot.

and prints both keys, both times and the ratio. It also reports COBYLA given passplan's
window for free (parameters only), the fairest per-call comparison.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from passplan.keyrate.counts import slot_counts  # noqa: E402
from passplan.keyrate.optimise import objective, optimise_pass  # noqa: E402
from passplan.keyrate.protocol import Protocol  # noqa: E402

N_STARTS = 4
N_WINDOWS = 8
SEED = 20240501
LOSSES_DB = (0.0, 3.25, 6.5)


def load_channel() -> tuple[np.ndarray, str]:
    f = ROOT.parent / "shared" / "reference" / "satquma" / "FS_loss_XI0.csv"
    if f.is_file():
        d = np.genfromtxt(f, delimiter=",", skip_header=1, usecols=(0, 2))
        return d[::-1, 1].copy(), "SatQuMA FS_loss_XI0.csv"
    t = np.arange(-346, 347, dtype=float)
    rng_km = np.sqrt(500.0**2 + (7.6 * t) ** 2)
    return 2.0e-3 * (500.0 / rng_km) ** 2, "synthetic overhead pass"


def key_at(x: np.ndarray, eta: np.ndarray, b: np.ndarray, pr: Protocol) -> float:
    p_x, mu1, mu2, p1, p2 = x
    mu = np.array([mu1, mu2, pr.intensities[2]])
    p = np.array([p1, p2, 1.0 - p1 - p2])
    sc = slot_counts(eta, b, pr.pulses_per_s * pr.slot_s, p_x, mu, p, pr.afterpulse_prob,
                     pr.intrinsic_qber, pr.error_model)
    return float(objective(sc.totals(), mu, p, pr).raw)


def cobyla(eta: np.ndarray, b: np.ndarray, pr: Protocol, rng: np.random.Generator) -> tuple[float, np.ndarray]:
    cons = [
        {"type": "ineq", "fun": lambda x: x[0] - 0.05},
        {"type": "ineq", "fun": lambda x: pr.p_x_max - x[0]},
        {"type": "ineq", "fun": lambda x: x[1] - x[2] - pr.intensities[2] - 1e-3},
        {"type": "ineq", "fun": lambda x: x[2] - pr.intensities[2] - 1e-3},
        {"type": "ineq", "fun": lambda x: 1.0 - x[1]},
        {"type": "ineq", "fun": lambda x: x[3] - 1e-3},
        {"type": "ineq", "fun": lambda x: x[4] - 1e-3},
        {"type": "ineq", "fun": lambda x: 1.0 - x[3] - x[4] - 1e-3},
    ]
    best_f, best_x = -np.inf, None
    scale = 1e6
    for _ in range(N_STARTS):
        x0 = np.array([rng.uniform(0.5, 0.95), rng.uniform(0.4, 0.9), rng.uniform(0.05, 0.3),
                       rng.uniform(0.4, 0.8), rng.uniform(0.05, 0.3)])

        def f(x: np.ndarray) -> float:
            if x[3] + x[4] >= 1 or min(x) <= 0 or x[1] <= x[2] or x[0] >= 1:
                return 1e3
            v = key_at(x, eta, b, pr)
            return -v / scale if np.isfinite(v) else 1e3

        res = minimize(f, x0, method="COBYLA", constraints=cons,
                       options={"maxiter": 2000, "rhobeg": 0.05, "tol": 1e-8})
        val = -res.fun * scale
        if val > best_f:
            best_f, best_x = val, res.x
    return best_f, best_x


def main() -> None:
    eta0, source = load_channel()
    print(f"channel: {source}; {eta0.size} slots; COBYLA: {N_STARTS} seeded starts x "
          f"{N_WINDOWS} windows (seed {SEED})")
    header = (f"{'extra dB':>8} {'passplan key':>14} {'t passplan':>11} {'COBYLA key':>14} "
              f"{'t COBYLA':>9} {'ratio':>7} {'COBYLA@win':>14} {'t':>7} {'ratio':>6}")
    print(header)
    ratios = []
    for loss in LOSSES_DB:
        pr = Protocol(pulses_per_s=1e8, intrinsic_qber=5e-3, extraneous_click_prob=5e-7)
        eta = eta0 * 10 ** (-loss / 10)
        b = np.full(eta.size, pr.extraneous_click_prob)
        reps = 5
        t0 = time.perf_counter()
        for _ in range(reps):
            opt = optimise_pass(eta, b, pr)
        t_ours = (time.perf_counter() - t0) / reps
        i, j = opt.window
        ours = max(opt.raw_key, 0.0)
        rng = np.random.default_rng(SEED)
        peak = int(np.argmax(eta))
        half = np.unique(np.linspace(20, min(peak, eta.size - 1 - peak), N_WINDOWS).astype(int))
        t0 = time.perf_counter()
        best = -np.inf
        for hw in half:
            sl = slice(peak - hw, peak + hw + 1)
            val, _ = cobyla(eta[sl], b[sl], pr, rng)
            best = max(best, val)
        t_cob = time.perf_counter() - t0
        t0 = time.perf_counter()
        val_w, _ = cobyla(eta[i:j], b[i:j], pr, np.random.default_rng(SEED))
        t_cw = time.perf_counter() - t0
        ratios.append(t_cob / t_ours)
        print(f"{loss:8.2f} {ours:14.6g} {t_ours * 1e3:9.1f}ms {max(best, 0):14.6g} "
              f"{t_cob:8.2f}s {t_cob / t_ours:7.0f} {max(val_w, 0):14.6g} {t_cw:6.2f}s "
              f"{t_cw / t_ours:6.0f}")
    print(f"median speed-up (windows + parameters): {np.median(ratios):.0f}x")


if __name__ == "__main__":
    main()
