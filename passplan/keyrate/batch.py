"""The optimiser of :mod:`.optimise` run on many passes at once.

:func:`optimise_passes` takes the same steps as :func:`.optimise.optimise_pass` for every pass
(starting grid, damped Newton ascent in the unit box, key window, up to three alternations) but
evaluates the key bound of all passes in one :func:`.decoy_bb84.finite_key` call per step: a
Newton iteration of P passes is one batched call of shape (P, points), and a window search
(:func:`.windows.best_windows`, which the per-pass optimiser calls too) one call over the
candidate windows of every pass. Each pass keeps its own trust radius and stops on
its own criterion, exactly as the per-pass loop does, so the results equal the per-pass
optimiser's up to float rounding (the block moments may carry more Taylor terms when a batch
mixes brighter passes, a difference below 1e-15 relative); a pass whose rounding differences
tip a comparison the other way ends at the same optimum within the Newton tolerance (keys equal
to 1e-6 relative, tests/test_forecast_batch.py). Passes the moment expansion does not cover
(``error_model="averaged"`` or ``mu eta > 2``) go through :func:`.optimise.optimise_pass`.

:func:`pass_keys` is :func:`.passkey.pass_key` for many passes of one protocol.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from .counts import Counts
from .optimise import OptimisedPass, ParamSpace, _grid, objective, optimise_pass
from .passkey import PassKey, key_record, prepare
from .protocol import Protocol
from .windows import best_windows

__all__ = ["optimise_passes", "pass_keys"]


class _Moments:
    """Block moments of one window per pass (the sums :class:`.optimise.WindowEvaluator` keeps),
    stacked so many passes and many parameter points evaluate in one call."""

    def __init__(self, etas: Sequence[NDArray], bs: Sequence[NDArray], wins: Sequence[tuple[int, int]],
                 protocol: Protocol, space: ParamSpace, slot_s: NDArray):
        self.protocol, self.space = protocol, space
        self.pulses = protocol.pulses_per_s * np.asarray(slot_s, dtype=float)  # per pass
        x_max = max((space.mu1_hi * float(e[i:j].max()) if j > i else 0.0)
                    for e, (i, j) in zip(etas, wins, strict=True))
        n_terms = 1
        while n_terms < 60 and x_max ** (n_terms + 1) / math.factorial(n_terms + 1) > 1e-17 * max(x_max, 1e-300):
            n_terms += 1
        self.n = np.arange(1, n_terms + 1)
        self.coef = -((-1.0) ** self.n) / np.array([math.factorial(int(k)) for k in self.n], dtype=float)
        m1, mw, sb, sn = [], [], [], []
        for e, b, (i, j) in zip(etas, bs, wins, strict=True):
            ew, bw = e[i:j], b[i:j]
            powers = ew[None, :] ** self.n[:, None]
            quiet = (1.0 - bw) ** 2
            m1.append(powers.sum(axis=1))
            mw.append((powers * quiet).sum(axis=1))
            sb.append(float(bw.sum()))
            sn.append(float((1.0 - quiet).sum()))
        self.m1, self.mw = np.array(m1), np.array(mw)  # (P, N)
        self.sum_b, self.sum_noise = np.array(sb), np.array(sn)

    def raw(self, rows: NDArray, u: NDArray) -> NDArray:
        """Un-clipped key of pass ``rows[a]`` at points ``u[a, k]`` (shape (A, K, dim)) -> (A, K)."""
        a, k, d = u.shape
        pr = self.protocol
        p_x, mu, p = self.space.decode(u.reshape(a * k, d))
        mu_pow = mu[..., None] ** self.n  # (A K, I, N)
        m1 = np.repeat(self.m1[rows] * self.coef, k, axis=0)[:, None, :]
        mw = np.repeat(self.mw[rows] * self.coef, k, axis=0)[:, None, :]
        s1 = (mu_pow * m1).sum(-1)
        sw = (mu_pow * mw).sum(-1)
        sum_b = np.repeat(self.sum_b[rows], k)[:, None]
        sum_noise = np.repeat(self.sum_noise[rows], k)[:, None]
        sum_d = (1.0 + pr.afterpulse_prob) * (sum_noise + sw)
        sum_e = sum_b + 0.5 * pr.afterpulse_prob * sum_d + pr.intrinsic_qber * s1
        pulses = np.repeat(self.pulses[rows], k)[:, None]
        pd = p * sum_d * pulses
        pe = p * sum_e * pulses
        px2 = (p_x * p_x)[:, None]
        pz2 = ((1.0 - p_x) ** 2)[:, None]
        r = objective(Counts(n_x=px2 * pd, n_z=pz2 * pd, m_x=px2 * pe, m_z=pz2 * pe), mu, p, pr).raw
        r = np.where(np.isfinite(r), r, -np.inf)
        return r.reshape(a, k)


def _newton(ev: _Moments, u0: NDArray, f0: NDArray, radius: float, max_iter: int = 40) -> tuple[NDArray, NDArray]:
    """:func:`.optimise._newton` for every pass at once (each with its own radius and stop)."""
    n_p, d = u0.shape
    u, f = u0.copy(), f0.copy()
    rad = np.full(n_p, radius)
    live = np.ones(n_p, bool)
    h = 1e-3
    pairs = [(i, j) for i in range(d) for j in range(i + 1, d)]
    eye = np.eye(d)
    for _ in range(max_iter):
        live &= rad >= 1e-6
        idx = np.flatnonzero(live)
        if idx.size == 0:
            break
        ua = u[idx]
        fa = f[idx]
        hs = np.where(ua + h <= 1.0, h, -h)  # (A, d)
        step1 = hs[:, :, None] * eye  # (A, d, d): row i moves coordinate i
        pts = [ua[:, None, :], ua[:, None, :] + step1]
        if pairs:
            pi = np.array([i for i, _ in pairs])
            pj = np.array([j for _, j in pairs])
            pts.append(ua[:, None, :] + step1[:, pi, :] + step1[:, pj, :])
        pts_a = np.concatenate(pts, axis=1)  # (A, 1 + d + pairs, d)
        back = np.clip(ua[:, None, :] - step1, 0.0, 1.0)
        vals_all = ev.raw(idx, np.concatenate([pts_a, back], axis=1))
        vals, vals_back = vals_all[:, : pts_a.shape[1]], vals_all[:, pts_a.shape[1]:]
        fin = np.all(np.isfinite(vals), axis=1)
        v0 = vals[:, 0]
        fi = vals[:, 1 : d + 1]
        scale = np.maximum(np.abs(fa), 1.0)
        with np.errstate(invalid="ignore", over="ignore"):
            g = np.where(fin[:, None], (fi - v0[:, None]) / hs, 0.0)
            both = fin & np.all(np.isfinite(vals_back), axis=1)
            hess = np.zeros((idx.size, d, d))
            for k, (i, j) in enumerate(pairs):
                hij = (vals[:, d + 1 + k] - fi[:, i] - fi[:, j] + v0) / (hs[:, i] * hs[:, j])
                hess[:, i, j] = hess[:, j, i] = hij
            diag = (fi - 2 * v0[:, None] + vals_back) / hs**2
            hess[:, np.arange(d), np.arange(d)] = diag
            g = np.where(both[:, None], (fi - vals_back) / (2 * hs), g)
            gn = g / scale[:, None]
            hn = np.where(both[:, None, None], hess / scale[:, None, None], -eye)
        w, v = np.linalg.eigh(hn)
        top = w.max(axis=1)
        shift = np.maximum(top, 0.0) + 1e-6 * np.maximum(np.abs(w).max(axis=1), 1e-12)
        coeff = np.einsum("aji,aj->ai", v, gn) / (w - shift[:, None] - 1e-12)
        eig_step = -np.einsum("aij,aj->ai", v, coeff)
        norm_g = np.linalg.norm(gn, axis=1)
        grad_dir = gn / np.where(norm_g > 0, norm_g, 1.0)[:, None]
        dirs = np.stack([eig_step, grad_dir], axis=1)  # (A, 2, d)
        ok = np.stack([both, norm_g > 0], axis=1)
        n_sd = np.linalg.norm(dirs, axis=2)
        ok &= (n_sd > 0) & np.isfinite(n_sd)
        dirs = np.where(ok[:, :, None], dirs * np.minimum(1.0, rad[idx, None] / np.where(ok, n_sd, 1.0))[:, :, None], 0.0)
        cand = np.clip(ua[:, None, None, :] + np.array([1.0, 0.5, 0.25])[None, None, :, None] * dirs[:, :, None, :], 0.0, 1.0)
        cand = cand.reshape(idx.size, 6, d)
        cand_ok = np.repeat(ok, 3, axis=1)
        cv = np.where(cand_ok, ev.raw(idx, cand), -np.inf)
        all_pts = np.concatenate([cand, pts_a[:, 1:], back], axis=1)
        all_vals = np.concatenate([cv, vals[:, 1:], vals_back], axis=1)
        best = np.argmax(all_vals, axis=1)
        bv = all_vals[np.arange(idx.size), best]
        bp = all_pts[np.arange(idx.size), best]
        better = bv > fa + 1e-12 * np.maximum(np.abs(fa), 1.0)
        moved = np.linalg.norm(bp - ua, axis=1)
        no_cand = ~ok.any(axis=1)
        upd = better & ~no_cand
        u[idx[upd]] = bp[upd]
        f[idx[upd]] = bv[upd]
        rad[idx[upd]] = np.minimum(0.5, np.maximum(rad[idx[upd]], 2.0 * moved[upd]))
        shrink = ~better & ~no_cand
        rad[idx[shrink]] *= 0.25
        live[idx[no_cand | (upd & (moved < 1e-7))]] = False
    return u, f


def _params(etas, bs, wins, protocol, space, slot_s, start_u, u_start, radius) -> tuple[NDArray, NDArray]:
    """Parameters on the given windows: from the grid (``u_start`` None) or from ``u_start``."""
    ev = _Moments(etas, bs, wins, protocol, space, slot_s)
    rows = np.arange(len(etas))
    if u_start is None:
        grid = np.vstack([_grid(space.dim), start_u[None, :]])
        vals = ev.raw(rows, np.broadcast_to(grid, (len(etas),) + grid.shape))
        k = np.argmax(vals, axis=1)
        u0 = grid[k].copy()
        f0 = vals[rows, k]
    else:
        u0 = np.array(u_start, dtype=float)
        f0 = ev.raw(rows, u0[:, None, :])[:, 0]
    return _newton(ev, u0, f0, radius)


def optimise_passes(etas: Sequence[NDArray], extraneous: Sequence[NDArray], protocol: Protocol,
                    slot_s: Sequence[float] | None = None) -> list[OptimisedPass]:
    """:func:`.optimise.optimise_pass` (with its key window) for every pass, batched (module
    docstring). ``extraneous`` is each pass's total extraneous click probability per slot;
    ``slot_s`` each pass's slot duration (default ``protocol.slot_s``)."""
    etas = [np.asarray(e, dtype=float) for e in etas]
    slots = np.full(len(etas), protocol.slot_s) if slot_s is None else np.asarray(slot_s, dtype=float)
    bs = [np.broadcast_to(np.asarray(b, dtype=float), e.shape) for e, b in zip(etas, extraneous, strict=True)]
    space = ParamSpace.for_protocol(protocol)
    out: list[OptimisedPass | None] = [None] * len(etas)
    batch = []
    for k, e in enumerate(etas):
        x_max = space.mu1_hi * (float(e.max()) if e.size else 0.0)
        if protocol.error_model != "resolved" or x_max > 2.0 or e.size == 0:
            out[k] = optimise_pass(e, bs[k], replace(protocol, slot_s=float(slots[k])))
        else:
            batch.append(k)
    if batch:
        res = _optimise_batch([etas[k] for k in batch], [bs[k] for k in batch], protocol, space, slots[batch])
        for k, r in zip(batch, res, strict=True):
            out[k] = r
    return [r for r in out if r is not None]


def _optimise_batch(etas, bs, protocol, space, slot_s) -> list[OptimisedPass]:
    n = len(etas)
    start_u = space.encode(protocol.p_x, protocol.intensities, protocol.probabilities)
    wins = [(0, e.size) for e in etas]
    varying = [q for q in range(n) if etas[q].size > 1 and np.ptp(bs[q]) > 0]
    if varying:
        p_x0, mu0, p0 = space.decode(start_u[None, :])
        par0 = (float(p_x0[0]), mu0[0], p0[0])
        found = best_windows([etas[q] for q in varying], [bs[q] for q in varying], protocol,
                             [par0] * len(varying), [wins[q] for q in varying], slot_s[varying])
        for q, (w, _) in zip(varying, found, strict=True):
            wins[q] = w
    u, f = _params(etas, bs, wins, protocol, space, slot_s, start_u, None, 0.1)
    going = [q for q in range(n) if etas[q].size > 1]
    for _ in range(3):
        if not going:
            break
        p_x, mu, p = space.decode(u[going])
        params = [(float(p_x[a]), mu[a], p[a]) for a in range(len(going))]
        new_wins = [w for w, _ in best_windows([etas[q] for q in going], [bs[q] for q in going], protocol,
                                                params, [wins[q] for q in going], slot_s[going])]
        changed = [q for q, w in zip(going, new_wins, strict=True) if w != wins[q]]
        for q, w in zip(going, new_wins, strict=True):
            wins[q] = w
        if not changed:
            break
        uc, fc = _params([etas[q] for q in changed], [bs[q] for q in changed], [wins[q] for q in changed],
                         protocol, space, slot_s[changed], start_u, u[changed], 0.05)
        u[changed], f[changed] = uc, fc
        going = changed
    p_x, mu, p = space.decode(u)
    return [OptimisedPass(p_x=float(p_x[q]), intensities=tuple(float(v) for v in mu[q]),
                          probabilities=tuple(float(v) for v in p[q]), window=wins[q], raw_key=float(f[q]))
            for q in range(n)]


def pass_keys(etas: Sequence[NDArray], extraneous_bg: Sequence[NDArray], t_s: Sequence[NDArray | None],
              protocol: Protocol) -> list[PassKey]:
    """:func:`.passkey.pass_key` for many passes of one protocol, the optimiser batched."""
    preps = [prepare(e, b, t, protocol) for e, b, t in zip(etas, extraneous_bg, t_s, strict=True)]
    out: list[PassKey | None] = [None] * len(preps)
    groups: dict[Protocol, list[int]] = {}  # passes differing only in slot duration batch together
    for k, (_, _, _, pr) in enumerate(preps):
        groups.setdefault(replace(pr, slot_s=1.0), []).append(k)
    for pr, members in groups.items():
        if pr.optimise:
            opts = optimise_passes([preps[k][0] for k in members], [preps[k][1] for k in members], pr,
                                   [preps[k][3].slot_s for k in members])
        else:
            opts = [None] * len(members)  # type: ignore[list-item]
        for k, opt in zip(members, opts, strict=True):
            eta_a, b, ts, own = preps[k]
            out[k] = key_record(eta_a, b, ts, own, opt)
    return [r for r in out if r is not None]
