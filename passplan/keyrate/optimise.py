"""Deterministic, fast optimisation of the source parameters and the key window of one pass.

What is optimised: the key-basis probability ``p_x`` (at most ``protocol.p_x_max``, so the test
basis keeps counts), the signal and decoy intensities (the vacuum intensity stays as given), the
sending probabilities, and a contiguous key window of slots.

How (no random numbers, same input -> same answer):

1. **Parameters as a box.** ``u in [0, 1]^d`` maps to feasible parameters by construction
   (``mu2 = mu3 + r (mu1 - 2 mu3)``, ``p2 = (1 - p1) s``, ``p3 = (1 - p1)(1 - s)``), so every
   point satisfies Lim's ordering ``mu1 > mu2 + mu3`` and the probabilities sum to 1.
2. **Block sums by moments.** Over a window the expected counts need
   ``sum_t (1 - exp(-mu eta_t))`` and its ``(1 - b_t)**2``-weighted twin. Their Taylor series in
   ``mu`` has coefficients ``sum_t eta_t**n`` computed once per window, so a candidate costs
   O(20) operations instead of O(slots), and thousands of candidates go through
   :func:`~passplan.keyrate.decoy_bb84.finite_key` in one numpy call (``error_model="resolved"``;
   the ``averaged`` model is evaluated slot by slot).
3. **Coarse grid, then damped Newton.** A fixed grid of a few hundred points picks the start;
   a Newton iteration with a finite-difference Hessian (one batched call per iteration) and a
   trust radius climbs to the optimum of the un-clipped key length (``raw``; smooth, and equal
   to the key where the key is positive).
4. **Key window.** For fixed parameters, a slot's value grows with its transmittance (more
   clicks, lower error rate) and falls with its background, so the best set of slots is close
   to a super-level set of ``eta`` (or, when the background varies, of ``eta / b``): every
   window spanning the slots above a threshold is tried (one batched call using prefix sums),
   then each edge is refined over every slot (coarse to fine past 128 slots:
   :mod:`.windows`). With a varying background the first window is
   chosen with the starting parameters before any parameter fit. A contiguous window is kept because
   a pass is one continuous link and the finite-key block is whatever was recorded in it;
   low-elevation slots at either end are the ones that cost more than they give. Parameters and
   window are alternated until the window stops changing (at most three rounds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .counts import Counts, click_error_probs
from .decoy_bb84 import KeyBounds, finite_key
from .protocol import Protocol
from .windows import best_windows

__all__ = ["ParamSpace", "WindowEvaluator", "optimise_pass", "OptimisedPass", "objective"]


@dataclass(frozen=True, slots=True)
class ParamSpace:
    """Map between the unit box ``u`` and (p_x, intensities, probabilities)."""

    decoys: int
    mu3: float
    p_x_lo: float
    p_x_hi: float
    mu1_lo: float = 0.05
    mu1_hi: float = 1.0

    @classmethod
    def for_protocol(cls, protocol: Protocol) -> ParamSpace:
        mu3 = protocol.intensities[2] if protocol.decoys == 2 else 0.0
        return cls(decoys=protocol.decoys, mu3=mu3, p_x_lo=0.05, p_x_hi=protocol.p_x_max,
                   mu1_lo=max(0.05, 3.0 * mu3 + 0.01),
                   mu1_hi=max(1.0, protocol.intensities[0], 3.0 * mu3 + 0.1))

    @property
    def dim(self) -> int:
        return 5 if self.decoys == 2 else 4

    def decode(self, u: NDArray) -> tuple[NDArray, NDArray, NDArray]:
        """``(p_x (K,), mu (K, n), p (K, n))`` for unit-box points ``u`` (K, dim)."""
        u = np.clip(np.atleast_2d(u), 0.0, 1.0)
        p_x = self.p_x_lo + u[:, 0] * (self.p_x_hi - self.p_x_lo)
        mu1 = self.mu1_lo + u[:, 1] * (self.mu1_hi - self.mu1_lo)
        r = 0.02 + 0.93 * u[:, 2]
        p1 = 0.05 + 0.93 * u[:, 3]
        if self.decoys == 2:
            mu2 = self.mu3 + r * (mu1 - 2.0 * self.mu3)
            s = 0.03 + 0.94 * u[:, 4]
            mu = np.stack([mu1, mu2, np.full_like(mu1, self.mu3)], axis=1)
            p = np.stack([p1, (1 - p1) * s, (1 - p1) * (1 - s)], axis=1)
        else:
            mu = np.stack([mu1, r * mu1], axis=1)
            p = np.stack([p1, 1 - p1], axis=1)
        return p_x, mu, p

    def encode(self, p_x: float, mu: tuple[float, ...], p: tuple[float, ...]) -> NDArray:
        """The unit-box point of given parameters (clipped into the box)."""
        u0 = (p_x - self.p_x_lo) / (self.p_x_hi - self.p_x_lo)
        u1 = (mu[0] - self.mu1_lo) / (self.mu1_hi - self.mu1_lo)
        if self.decoys == 2:
            r = (mu[1] - self.mu3) / max(mu[0] - 2.0 * self.mu3, 1e-12)
            s = p[1] / max(1.0 - p[0], 1e-12)
            u = [u0, u1, (r - 0.02) / 0.93, (p[0] - 0.05) / 0.93, (s - 0.03) / 0.94]
        else:
            u = [u0, u1, (mu[1] / mu[0] - 0.02) / 0.93, (p[0] - 0.05) / 0.93]
        return np.clip(np.asarray(u, dtype=float), 0.0, 1.0)


class WindowEvaluator:
    """Batched key evaluation for many parameter sets on one window of slots."""

    def __init__(self, eta: NDArray, extraneous: NDArray, protocol: Protocol, space: ParamSpace):
        self.eta = np.asarray(eta, dtype=float)
        self.b = np.broadcast_to(np.asarray(extraneous, dtype=float), self.eta.shape).copy()
        self.protocol = protocol
        self.space = space
        self.pulses = protocol.pulses_per_s * protocol.slot_s
        x_max = space.mu1_hi * (float(self.eta.max()) if self.eta.size else 0.0)
        self.use_moments = protocol.error_model == "resolved" and x_max <= 2.0
        if self.use_moments:
            n_terms = 1
            while n_terms < 60 and x_max ** (n_terms + 1) / math.factorial(n_terms + 1) > 1e-17 * max(x_max, 1e-300):
                n_terms += 1
            n = np.arange(1, n_terms + 1)
            powers = self.eta[None, :] ** n[:, None]  # (N, T)
            quiet = (1.0 - self.b) ** 2
            self.m1 = powers.sum(axis=1)
            self.mw = (powers * quiet).sum(axis=1)
            self.coef = -((-1.0) ** n) / np.array([math.factorial(int(k)) for k in n], dtype=float)
            self.n = n
            self.sum_b = float(self.b.sum())
            self.sum_noise = float((1.0 - quiet).sum())

    def counts(self, u: NDArray) -> tuple[Counts, NDArray, NDArray]:
        """Block counts for unit-box points ``u`` (K, dim); also returns ``mu`` and ``p``."""
        pr = self.protocol
        p_x, mu, p = self.space.decode(u)
        if self.use_moments:
            mu_pow = mu[..., None] ** self.n  # (K, n, N)
            s1 = (mu_pow * (self.coef * self.m1)).sum(-1)
            sw = (mu_pow * (self.coef * self.mw)).sum(-1)
            sum_d = (1.0 + pr.afterpulse_prob) * (self.sum_noise + sw)
            sum_e = self.sum_b + 0.5 * pr.afterpulse_prob * sum_d + pr.intrinsic_qber * s1
            pd = p * sum_d * self.pulses
            pe = p * sum_e * self.pulses
        else:
            d, e = click_error_probs(self.eta, mu, self.b, pr.afterpulse_prob, pr.intrinsic_qber)
            pd_t = p[..., None] * d
            if pr.error_model == "averaged":
                tot_d = pd_t.sum(axis=1, keepdims=True)
                tot_e = (p[..., None] * e).sum(axis=1, keepdims=True)
                ratio = np.divide(tot_e, tot_d, out=np.zeros_like(tot_d), where=tot_d > 0)
                pe = (pd_t * ratio).sum(-1) * self.pulses
            else:
                pe = (p[..., None] * e).sum(-1) * self.pulses
            pd = pd_t.sum(-1) * self.pulses
        px2 = (p_x * p_x)[:, None]
        pz2 = ((1.0 - p_x) ** 2)[:, None]
        return Counts(n_x=px2 * pd, n_z=pz2 * pd, m_x=px2 * pe, m_z=pz2 * pe), mu, p

    def bounds(self, u: NDArray) -> KeyBounds:
        c, mu, p = self.counts(u)
        return objective(c, mu, p, self.protocol)

    def raw(self, u: NDArray) -> NDArray:
        r = self.bounds(u).raw
        return np.where(np.isfinite(r), r, -np.inf)


def objective(counts: Counts, mu: NDArray, p: NDArray, protocol: Protocol) -> KeyBounds:
    """The key bound used everywhere (optimiser, benchmark, report) for ``protocol``'s settings."""
    return finite_key(counts, mu, p, eps_sec=protocol.eps_sec, eps_cor=protocol.eps_cor,
                      bounds=protocol.bounds, f_ec=protocol.f_ec, ec_method=protocol.ec_method,
                      key_bases=protocol.key_bases, key_intensities=protocol.key_intensities)


def _grid(dim: int) -> NDArray:
    axes = [np.array([0.15, 0.45, 0.75, 0.95]), np.array([0.2, 0.45, 0.7]),
            np.array([0.1, 0.25, 0.45]), np.array([0.35, 0.65, 0.9])]
    if dim == 5:
        axes.append(np.array([0.35, 0.7]))
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([m.reshape(-1) for m in mesh], axis=1)


def _newton(ev: WindowEvaluator, u0: NDArray, f0: float, radius: float = 0.1,
            max_iter: int = 40) -> tuple[NDArray, float]:
    """Damped Newton ascent in the unit box with a batched finite-difference Hessian."""
    d = u0.size
    u, f = u0.copy(), f0
    h = 1e-3
    pairs = [(i, j) for i in range(d) for j in range(i + 1, d)]
    for _ in range(max_iter):
        if radius < 1e-6:
            break
        hs = np.where(u + h <= 1.0, h, -h)  # step inward at the upper face
        pts = [u]
        for i in range(d):
            e = u.copy()
            e[i] += hs[i]
            pts.append(e)
        for i, j in pairs:
            e = u.copy()
            e[i] += hs[i]
            e[j] += hs[j]
            pts.append(e)
        vals = ev.raw(np.array(pts))
        if not np.all(np.isfinite(vals)):
            g = np.zeros(d)
            hess = -np.eye(d)
        else:
            fi = vals[1:d + 1]
            g = (fi - vals[0]) / hs
            hess = np.zeros((d, d))
            for k, (i, j) in enumerate(pairs):
                hij = (vals[d + 1 + k] - fi[i] - fi[j] + vals[0]) / (hs[i] * hs[j])
                hess[i, j] = hess[j, i] = hij
        # diagonal curvature and central gradient from the points at -h
        back = np.clip(u[None, :] - np.diag(hs), 0.0, 1.0)
        scale = max(abs(f), 1.0)
        gn = g / scale
        cand = []
        step_dirs = []
        vals_back = ev.raw(back)
        if np.all(np.isfinite(vals_back)) and np.all(np.isfinite(vals)):
            fi = vals[1:d + 1]
            diag = (fi - 2 * vals[0] + vals_back) / hs**2
            hess[np.diag_indices(d)] = diag
            g = (fi - vals_back) / (2 * hs)
            gn = g / scale
            hn = hess / scale
            w, v = np.linalg.eigh(hn)
            top = w.max()
            shift = max(top, 0.0) + 1e-6 * max(abs(w).max(), 1e-12)
            step = -v @ ((v.T @ gn) / (w - shift - 1e-12))
            step_dirs.append(step)
        norm_g = np.linalg.norm(gn)
        if norm_g > 0:
            step_dirs.append(gn / norm_g)
        for sd in step_dirs:
            n_sd = np.linalg.norm(sd)
            if n_sd == 0 or not np.isfinite(n_sd):
                continue
            sd = sd * min(1.0, radius / n_sd)
            for a in (1.0, 0.5, 0.25):
                cand.append(np.clip(u + a * sd, 0.0, 1.0))
        if not cand:
            break
        cand_arr = np.array(cand)
        cv = ev.raw(cand_arr)
        # include stencil points too (free improvement near a kink)
        all_pts = np.vstack([cand_arr, np.array(pts[1:]), back])
        all_vals = np.concatenate([cv, vals[1:], vals_back])
        k = int(np.argmax(all_vals))
        if all_vals[k] > f + 1e-12 * max(abs(f), 1.0):
            moved = float(np.linalg.norm(all_pts[k] - u))
            u, f = all_pts[k].copy(), float(all_vals[k])
            radius = min(0.5, max(radius, 2.0 * moved))
            if moved < 1e-7:
                break
        else:
            radius *= 0.25
    return u, f


def _best_window(eta: NDArray, b: NDArray, protocol: Protocol, p_x: float, mu: NDArray,
                 p: NDArray, start: tuple[int, int] | None) -> tuple[tuple[int, int], float]:
    """The best window at these parameters (:func:`.windows.best_windows` of this pass)."""
    return best_windows([eta], [b], protocol, [(p_x, mu, p)], [start])[0]


@dataclass(frozen=True, slots=True)
class OptimisedPass:
    """Optimiser output: parameters, window ``[start, stop)`` in slot indices, objective."""

    p_x: float
    intensities: tuple[float, ...]
    probabilities: tuple[float, ...]
    window: tuple[int, int]
    raw_key: float


def optimise_pass(eta: NDArray, extraneous: NDArray, protocol: Protocol,
                  optimise_window: bool = True,
                  window: tuple[int, int] | None = None) -> OptimisedPass:
    """Optimise parameters (and the window unless ``optimise_window`` is False) for one pass.

    ``extraneous`` is the total extraneous click probability per detector and gate per slot.
    """
    eta = np.asarray(eta, dtype=float)
    b = np.broadcast_to(np.asarray(extraneous, dtype=float), eta.shape)
    space = ParamSpace.for_protocol(protocol)
    t = eta.size
    win = window if window is not None else (0, t)
    start_u = space.encode(protocol.p_x, protocol.intensities, protocol.probabilities)

    def params_on(w: tuple[int, int], u_start: NDArray | None, radius: float) -> tuple[NDArray, float]:
        ev = WindowEvaluator(eta[w[0]:w[1]], b[w[0]:w[1]], protocol, space)
        if u_start is None:
            grid = np.vstack([_grid(space.dim), start_u[None, :]])
            vals = ev.raw(grid)
            k = int(np.argmax(vals))
            u0, f0 = grid[k], float(vals[k])
        else:
            u0 = u_start
            f0 = float(ev.raw(u0[None, :])[0])
        return _newton(ev, u0, f0, radius=radius)

    if optimise_window and t > 1 and window is None and np.ptp(b) > 0:
        # a varying background (day and night in one window): choose the first window with the
        # starting parameters, so the parameters are not first fitted to daylight slots
        p_x0, mu0, p0 = space.decode(start_u[None, :])
        win, _ = _best_window(eta, b, protocol, float(p_x0[0]), mu0[0], p0[0], win)
    u, f = params_on(win, None, 0.1)
    if optimise_window and t > 1:
        for _ in range(3):
            p_x, mu, p = space.decode(u)
            new_win, _ = _best_window(eta, b, protocol, float(p_x[0]), mu[0], p[0], win)
            if new_win == win:
                break
            win = new_win
            u, f = params_on(win, u, 0.05)
    p_x, mu, p = space.decode(u)
    return OptimisedPass(p_x=float(p_x[0]), intensities=tuple(float(v) for v in mu[0]),
                         probabilities=tuple(float(v) for v in p[0]), window=win, raw_key=f)
