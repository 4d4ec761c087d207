"""Batched root finding and extremum search for the pass engine.

Every bracket advances together, and each round costs one SGP4 call per satellite, so few rounds
matter more than few evaluations.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["bisect_bool", "certified_crossings", "crossings", "maximise"]

def bisect_bool(
    func: Callable[[np.ndarray, np.ndarray], np.ndarray],
    a: np.ndarray,
    b: np.ndarray,
    tol: float,
    k: int = 8,
) -> tuple[np.ndarray, np.ndarray]:
    """Multisection on a boolean ``func(rows, t)`` whose value differs at ``a`` and ``b``.

    Each round evaluates ``k - 1`` interior points of every bracket and keeps the sub-interval
    holding the first change. Returns final brackets ``(a, b)`` with ``b - a <= tol`` and
    ``func(a)`` unchanged.
    """
    a = np.asarray(a, float).copy()
    b = np.asarray(b, float).copy()
    if a.size == 0:
        return a, b
    rows = np.arange(a.size)
    fa = func(rows, a)
    frac = np.arange(1, k) / k
    while np.max(b - a) > tol:
        t = a[:, None] + (b - a)[:, None] * frac[None, :]
        ft = func(np.repeat(rows, k - 1), t.ravel()).reshape(a.size, k - 1)
        changed = ft != fa[:, None]
        first = np.where(changed.any(axis=1), changed.argmax(axis=1), k - 1)
        grid = np.concatenate([a[:, None], t, b[:, None]], axis=1)
        a, b = grid[rows, first], grid[rows, first + 1]
    return a, b


def crossings(
    func: Callable[[np.ndarray, np.ndarray], np.ndarray],
    a: np.ndarray,
    b: np.ndarray,
    tol: float,
    fa: np.ndarray | None = None,
    fb: np.ndarray | None = None,
    certify: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Zero crossings of a continuous ``func(rows, t)`` bracketed by ``[a, b]`` (opposite signs
    of ``func > 0``), to ``tol``: Illinois regula falsi (Dowell and Jarratt 1971, BIT 11, 168)
    on the rows not yet converged, then a certificate: the sign must differ at ``x - tol/2``
    and ``x + tol/2`` (multisection finishes any row where it does not).

    ``fa``/``fb`` may pass values already known at the bracket ends; ``certify=False`` skips the
    certificate (for a caller that certifies otherwise). Returns ``(t, rising)``:
    the crossing (within ``tol / 2``) and whether ``func`` goes from <= 0 to > 0 there.
    """
    a = np.asarray(a, float).copy()
    b = np.asarray(b, float).copy()
    n = a.size
    if n == 0:
        return a, np.zeros(0, bool)
    rows = np.arange(n)
    fa = func(rows, a) if fa is None else np.asarray(fa, float).copy()
    fb = func(rows, b) if fb is None else np.asarray(fb, float).copy()
    rising = ~(fa > 0)
    x = 0.5 * (a + b)
    live = rows
    for _ in range(10):
        # the live rows' brackets gathered once per round (the same values as gathered per use)
        al, bl, fal, fbl = a[live], b[live], fa[live], fb[live]
        denom = fbl - fal
        nz = denom != 0
        safe = np.where(nz, denom, 1.0)
        xn = np.where(nz, bl - fbl * (bl - al) / safe, 0.5 * (al + bl))
        xn = np.clip(xn, np.minimum(al, bl), np.maximum(al, bl))
        moved = np.abs(xn - x[live]) >= 0.1 * tol
        x[live] = xn
        live = live[moved]
        if live.size == 0:
            break
        xm, al, bl, fal, fbl = xn[moved], al[moved], bl[moved], fal[moved], fbl[moved]
        fx = func(live, xm)
        flip = (fx > 0) != (fbl > 0)
        a[live] = np.where(flip, bl, al)
        fa[live] = np.where(flip, fbl, 0.5 * fal)
        b[live], fb[live] = xm, fx
    if not certify:
        return x, rising
    probe = func(np.concatenate([rows, rows]), np.concatenate([x - 0.5 * tol, x + 0.5 * tol])) > 0
    flo, fhi = probe[:n], probe[n:]
    bad = np.nonzero(~((flo != fhi) & (flo == ~rising)))[0]
    if bad.size:
        lo_b, hi_b = bisect_bool(
            lambda r, t: func(bad[r], t) > 0,
            np.minimum(a[bad], b[bad]),
            np.maximum(a[bad], b[bad]),
            tol,
        )
        x[bad] = 0.5 * (lo_b + hi_b)
    return x, rising


def maximise(
    func: Callable[[np.ndarray, np.ndarray], np.ndarray],
    x0: np.ndarray,
    h0: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    rounds: int = 5,
) -> tuple[np.ndarray, np.ndarray]:
    """Maximum of smooth ``func(rows, t)`` on ``[lo, hi]`` near ``x0`` (all rows at once).

    Successive parabolic interpolation on a shrinking stencil: each round samples ``x - h``,
    ``x`` and ``x + h`` (kept inside ``[lo, hi]``) and moves to the vertex of the parabola through
    them, or to the best sample when the fit is not concave or the vertex lies outside the
    stencil. The stencil shrinks eightfold only when the vertex falls inside it, so a poor
    start walks towards the maximum first; a row is done after ``rounds`` shrinks (from
    h = 4 s, three shrinks end with an 8 ms stencil; the vertex of a smooth maximum is far finer).
    Returns ``(t, f(t))``, never worse than the best sample.
    """
    n = x0.size
    if n == 0:
        return x0.copy(), x0.copy()
    x = np.clip(np.asarray(x0, float), lo, hi)
    h = np.minimum(np.asarray(h0, float), (hi - lo) / 2.0)
    shrinks = np.zeros(n, int)
    best_x = x.copy()
    best_f = np.full(n, -np.inf)
    u = np.array([-1.0, 0.0, 1.0])
    live = np.arange(n)
    for _ in range(rounds + 8):
        live = live[(shrinks[live] < rounds) & (h[live] > 1e-6)]
        if live.size == 0:
            break
        c = np.clip(x[live], lo[live] + h[live], hi[live] - h[live])
        t = c[:, None] + h[live][:, None] * u[None, :]
        f = func(np.repeat(live, 3), t.ravel()).reshape(live.size, 3)
        j = f.argmax(axis=1)
        rows = np.arange(live.size)
        fj = f[rows, j]
        better = fj > best_f[live]
        best_x[live] = np.where(better, t[rows, j], best_x[live])
        best_f[live] = np.where(better, fj, best_f[live])
        p1 = 0.5 * (f[:, 2] - f[:, 0])
        p2 = 0.5 * (f[:, 2] - 2.0 * f[:, 1] + f[:, 0])
        vertex = np.where(p2 < 0, -p1 / (2.0 * np.where(p2 < 0, p2, -1.0)), np.nan)
        inside = np.isfinite(vertex) & (np.abs(vertex) <= 1.0)
        # an edge-clipped stencil at a maximum on the boundary also counts as converging
        at_edge = ((j == 0) & (c - h[live] <= lo[live])) | ((j == 2) & (c + h[live] >= hi[live]))
        x[live] = np.clip(np.where(inside, c + vertex * h[live], t[rows, j]), lo[live], hi[live])
        shrink = inside | at_edge
        h[live] = np.where(shrink, h[live] / 8.0, h[live])
        shrinks[live] += shrink
    rows = np.arange(n)
    fx = func(rows, x)
    better = fx > best_f
    return np.where(better, x, best_x), np.where(better, fx, best_f)


def certified_crossings(
    fast: Callable[[np.ndarray, np.ndarray], np.ndarray],
    true: Callable[[np.ndarray, np.ndarray], np.ndarray],
    a: np.ndarray,
    b: np.ndarray,
    tol: float,
    fast_tol: float = 0.02,
    slope_step: float = 1e-3,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Crossings of ``true`` bracketed by ``[a, b]``, found on a cheap approximation ``fast``
    and certified with one evaluation of ``true`` each.

    Each root of ``fast`` (to ``fast_tol``) is moved by one Newton step on ``true`` with the
    slope of ``fast`` (central difference over ``slope_step``): the step is the first-order
    distance to the true root, and what remains after it is second order (for a root 5 ms off
    and a margin curving on a 100 s scale, under a microsecond), so ``fast`` need not be
    refined further than the certificate accepts. Where it is at most ``tol / 2`` the moved root stands; elsewhere
    (or where the slope vanishes) :func:`crossings` refines ``true`` itself on the bracket.
    Returns ``(t, rising, number of fallbacks)``; ``rising`` as in :func:`crossings` (from
    ``fast`` at the bracket ends).
    """
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    x, rising = crossings(fast, a, b, fast_tol, certify=False)
    if x.size == 0:
        return x, rising, 0
    rows = np.arange(x.size)
    ft = true(rows, x)
    slope = (fast(rows, x + slope_step) - fast(rows, x - slope_step)) / (2.0 * slope_step)
    with np.errstate(divide="ignore", invalid="ignore"):
        dx = -ft / slope
    ok = np.isfinite(dx) & (np.abs(dx) <= 0.5 * tol)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    x = np.where(ok, np.clip(x + np.where(ok, dx, 0.0), lo, hi), x)
    bad = np.nonzero(~ok)[0]
    if bad.size:
        xb, _ = crossings(lambda r, t: true(bad[r], t), a[bad], b[bad], tol)
        x[bad] = xb
    return x, rising, int(bad.size)
