"""Expected key per pass at grid scale: a table over pass geometry, built from the real forecast
chain, interpolated per usable run inside each coverage chunk.

A year of 100 satellites over a 2-degree grid is about 2.6e9 passes: far too many to forecast
one by one (about 0.05 s each). The secret key of a pass depends mostly on

* its maximum elevation (range and airmass at the best part of the pass),
* how long it lasts (finite-key statistics need a long enough block; a pass cut short by a
  constraint yields less than in proportion),
* the Sun's elevation at the station (sky background: night, twilight or day), and
* the satellite's altitude class and link profile (range and hardware).

So for each (link profile, altitude class) of a fleet, :func:`build_key_table` forecasts a modest
set of real passes of the class's first satellite with :func:`passplan.forecast.forecast_pass`:
stations placed across its ground track at central angles that give maximum elevations from the
minimum elevation to 88 deg (:data:`ELEVATION_TARGETS`), each at the time in the first day of the
study when the Sun at the station stands at each class's node (:data:`SUN_NODES_DEG`: night,
three twilight classes, day). Each forecast's per-slot channel is then cut to shorter windows
centred on closest approach (fractions :data:`FRACTIONS` of the pass; MEO and GEO windows
longer than 3 h are centred on the chosen time instead, forecast in 1-minute slots, and a GEO
day is cut to the 12 h around that time, longer runs then scaling in proportion to their
length) and the finite-key estimate of each cut is taken with
:func:`passplan.forecast.chain.slots_key` (the last stage of the same chain, on the same channel;
the fast path keeps the source parameters chosen for the whole pass). That is 30
forecasts and 270 single key evaluations: for ``micius`` 2.1 s in ``bench/bench_coverage.py``
on this 2-core machine at a load of about 4 (14 to 24 s at a load of 10 to 12; scipy's import
aside); profiles whose protocol optimises its source (``daylight-1550``, ``geo-generic``) cost a
few times more.

A usable run of ``d`` seconds with maximum elevation ``e`` that spent the share ``q_c`` of its
samples with the Sun in class ``c`` at the cell gets ``sum_c q_c K_c(e, d)``, each ``K_c``
interpolated linearly in ``e`` between the elevation nodes and linearly in the fraction
``d / D_c(e)`` of the full-pass duration ``D_c(e)`` (zero key for a zero duration; a run longer
than the full pass counts as the full pass).

Error against the full chain (forecast_pass on each pass), measured on 139 real passes of 550 km
Walker 53:6/2 satellites over four stations (35 to 45 deg N and 38 deg S), one day from
2026-12-02: with ``micius`` the summed key within 1.7 % and every pass within 16 % of the
largest pass key; with ``daylight-1550`` within 1.1 % and 6.3 %. Grid cells against the full
chain on the same points (16 cells of 10 deg, 20-60 N, 100-140 E, 458 passes): the total within
0.1 % and every cell within 4.1 % (``micius``); 1.4 % and 2.3 % (``daylight-1550``).
Stated (and tested in ``tests/test_coverage.py``):
summed key within :data:`STATED_TOTAL_ERROR` (10 %), each pass within :data:`STATED_PASS_ERROR`
(25 %) of the sample's largest pass key. The residual comes from the Sun's exact elevation and
separation and the Moon (the table knows only the Sun class) and from passes whose geometry
differs from the node passes'. Key is clear-sky key (no weather weighting: grid cells have no
station climate), the same as ``coverage --compare``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np

__all__ = [
    "KeyTable",
    "build_key_table",
    "key_tables_for",
    "profile_names",
    "altitude_km",
    "sun_class",
    "SUN_EDGES_DEG",
    "FRACTIONS",
    "STATED_TOTAL_ERROR",
    "STATED_PASS_ERROR",
]

#: Cuts of each node pass, as fractions of its duration (the full pass is 1).
FRACTIONS = (1 / 32, 1 / 16, 1 / 8, 1 / 4, 3 / 8, 1 / 2, 5 / 8, 3 / 4, 7 / 8, 1.0)
#: Edges (deg) of the Sun-elevation classes at the station: night (below -12 deg, where the
#: twilight sky is already fainter than a rural night sky in passplan.link.background), three
#: twilight classes, day (Sun up).
SUN_EDGES_DEG = (-12.0, -8.0, -4.0, 0.0)
#: The Sun's elevation (deg) at the station for each class's node passes.
SUN_NODES_DEG = (-35.0, -10.0, -6.0, -2.0, 35.0)
#: Maximum elevations of the node passes, as fractions of the way from the minimum elevation to
#: 88 deg (denser at low elevation, where the key starts).
ELEVATION_TARGETS = (0.02, 0.1, 0.25, 0.45, 0.7, 1.0)
#: Relative error of the key summed over sample passes, against the full chain (see module doc).
STATED_TOTAL_ERROR = 0.10
#: Error of each sample pass's key, as a fraction of the sample's largest pass key.
STATED_PASS_ERROR = 0.25
#: Satellites whose mean altitudes differ by less than this fraction share a table.
ALTITUDE_CLASS_TOLERANCE = 0.03
_LONG_WINDOW_S = 3 * 3600.0
_LONG_CAP_S = 12 * 3600.0
_LONG_SLOT_S = 60.0


@dataclass(frozen=True)
class KeyTable:
    """Secret bits of passes by maximum elevation, duration and the Sun's elevation at the
    station, for one link profile and altitude class. Sun classes are separated by
    :data:`SUN_EDGES_DEG` (class 0 below the first edge: night; the last: day). ``bits[c, i, j]``:
    class c, elevation node i (``elevation_deg[c, i]``), fraction node j of the full-pass duration
    ``duration_s[c, i]``."""

    profile: str
    altitude_km: float
    elevation_deg: np.ndarray  # (n_c, n_e) increasing per class
    duration_s: np.ndarray  # (n_c, n_e)
    fractions: np.ndarray  # (n_f,) increasing, last 1
    bits: np.ndarray  # (n_c, n_e, n_f)
    extends: bool = False  # node windows cut at 12 h (GEO): longer runs scale in proportion

    def lookup(self, elevation_deg: np.ndarray, duration_s: np.ndarray, sun_share: np.ndarray) -> np.ndarray:
        """Key (bits) of runs with maximum elevation ``elevation_deg`` (m,) lasting ``duration_s``
        (m,) that spent the shares ``sun_share[c]`` (n_c, m) of their time with the Sun in each
        class: the share-weighted mean of each class's key for the whole run (vectorised)."""
        e = np.atleast_1d(np.asarray(elevation_deg, float))
        d = np.atleast_1d(np.asarray(duration_s, float))
        q = np.asarray(sun_share, float).reshape(self.bits.shape[0], -1)
        out = np.zeros(e.shape)
        for c in range(q.shape[0]):
            if np.any(q[c] > 0):
                out += q[c] * self._one(c, e, d)
        return out

    def _one(self, c: int, e: np.ndarray, d: np.ndarray) -> np.ndarray:
        nodes = self.elevation_deg[c]
        n = nodes.size
        x = np.clip(e, nodes[0], nodes[-1])
        i = np.clip(np.searchsorted(nodes, x, side="right") - 1, 0, max(n - 2, 0))
        j = np.minimum(i + 1, n - 1)
        span = nodes[j] - nodes[i]
        w = np.where(span > 0, (x - nodes[i]) / np.where(span > 0, span, 1.0), 0.0)
        full = (1.0 - w) * self.duration_s[c][i] + w * self.duration_s[c][j]
        f = np.clip(d / full, 0.0, 1.0)
        scale = np.maximum(d / full, 1.0) if self.extends else 1.0
        fx = np.concatenate([[0.0], self.fractions])
        rows = np.concatenate([np.zeros((n, 1)), self.bits[c]], axis=1)  # (n_e, n_f + 1)
        m = np.clip(np.searchsorted(fx, f, side="right") - 1, 0, fx.size - 2)
        u = (f - fx[m]) / (fx[m + 1] - fx[m])

        def along(k: np.ndarray) -> np.ndarray:
            return (1.0 - u) * rows[k, m] + u * rows[k, m + 1]

        return ((1.0 - w) * along(i) + w * along(j)) * scale


def sun_class(sin_sun: np.ndarray) -> np.ndarray:
    """The Sun class (index into :data:`SUN_EDGES_DEG` + 1 classes) of each sine of the Sun's
    elevation."""
    return np.searchsorted(np.sin(np.radians(SUN_EDGES_DEG)), sin_sun, side="right")


def altitude_km(sat: Any) -> float:
    """Mean altitude of a satellite above the SGP4 Earth radius (km)."""
    rec = sat.satrec
    return float(rec.a * rec.radiusearthkm - rec.radiusearthkm)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _node_passes(sat: Any, start: datetime, min_el: float, sun_deg: float) -> list[tuple[Any, datetime]]:
    """Real passes of ``sat`` over stations placed across its ground track, one per elevation
    target, each at the time in the day from ``start`` (1-minute scan) when the Sun's elevation
    at the station (spherical Earth) is nearest ``sun_deg``; with that time, on which a long
    window is centred."""
    from ..geometry import WGS84_F, Scene
    from ..passes import find_passes
    from ..stations import Station
    from .grid import R_MEAN_KM

    s = np.arange(0.0, 86400.0, 60.0)
    scene = Scene([sat.satrec], [], start, start + timedelta(days=1, minutes=2))
    pos, err = scene.sat_ecef_grid(np.concatenate([s, s + 30.0]))
    r, r_next = pos[0][: s.size], pos[0][s.size :]
    bad = (err[0][: s.size] != 0) | (err[0][s.size :] != 0)
    sun_hat = _unit(scene.sun_ecef(s))
    up = _unit(r)
    across = np.cross(up, r_next - r)
    still = np.linalg.norm(across, axis=1) < 1e-6 * np.linalg.norm(r, axis=1)  # geostationary
    across[still] = np.cross(up[still], np.array([0.0, 0.0, 1.0]))
    across = _unit(across)
    rs = np.linalg.norm(r, axis=1)
    half = timedelta(hours=12) if float(np.median(rs)) - R_MEAN_KM > 5000.0 else timedelta(minutes=40)
    out: list[tuple[Any, datetime]] = []
    seen: set[float] = set()
    for target in ELEVATION_TARGETS:
        e = math.radians(min_el + target * (88.0 - min_el))
        lam = np.arccos(np.clip(R_MEAN_KM * math.cos(e) / rs, -1.0, 1.0)) - e
        g = np.cos(lam)[:, None] * up + np.sin(lam)[:, None] * across
        h = np.degrees(np.arcsin(np.clip(np.einsum("ij,ij->i", g, sun_hat), -1.0, 1.0)))
        k = int(np.argmin(np.where(bad, np.inf, np.abs(h - sun_deg))))
        tc = start + timedelta(seconds=float(s[k]))
        lat_c = math.asin(float(np.clip(g[k, 2], -1.0, 1.0)))
        lat = math.degrees(math.atan(math.tan(lat_c) / (1.0 - WGS84_F) ** 2))  # geocentric -> geodetic
        lon = math.degrees(math.atan2(g[k, 1], g[k, 0]))
        st = Station(id="keytable", lat_deg=lat, lon_deg=lon, alt_m=0.0, min_elevation_deg=min_el)
        found = [p for p in find_passes([sat], [st], tc - half, tc + half) if not p.excluded]
        if not found:
            continue
        p = min(found, key=lambda x: abs((x.tca - tc).total_seconds()))
        key = round(p.max_el_deg, 3)
        if key in seen:
            continue
        seen.add(key)
        out.append((p, tc))
    return out


def _cut_bits(fc: Any, centre_s: float, fractions: Sequence[float]) -> list[float]:
    """Finite-key bits of the forecast's channel cut to windows of each fraction of the pass,
    centred at ``centre_s`` (seconds from AOS) and kept inside the pass. The fast path: each cut
    keeps the source parameters the chain chose for the whole pass (one key evaluation, no new
    optimisation; a slight underestimate for optimised protocols)."""
    from ..forecast.chain import slots_key

    t = np.asarray(fc.geometry.t_s, float)
    k = fc.key
    fixed = replace(
        fc.protocol_params, optimise=False, p_x=k.p_x, intensities=k.intensities, probabilities=k.probabilities
    )
    total = fc.pass_.duration_s
    out = []
    for f in fractions:
        if f >= 1.0:
            out.append(float(k.secret_key_bits))
            continue
        w = f * total
        a = min(max(centre_s - w / 2, 0.0), total - w)
        sel = (t >= a) & (t < a + w)
        out.append(float(slots_key(fc, sel, fixed).secret_key_bits) if sel.any() else 0.0)
    return out


def build_key_table(sat: Any, profile: str, start: datetime, min_elevation_deg: float) -> KeyTable:
    """The key table of ``sat``'s altitude class with link ``profile`` (see the module docstring)."""
    from ..forecast import forecast_pass

    fr = np.asarray(FRACTIONS, float)
    extends = False
    per_class: list[tuple[list[float], list[float], list[list[float]]]] = []
    for target in SUN_NODES_DEG:
        rows: list[tuple[float, float, list[float]]] = []
        for p, tc in _node_passes(sat, start, min_elevation_deg, target):
            step: float | None = None
            if p.duration_s > _LONG_WINDOW_S:  # MEO/GEO: centred on the chosen time, 1-minute slots
                step = _LONG_SLOT_S
                if p.duration_s > _LONG_CAP_S:  # a GEO day: the 12 h around that time
                    half = timedelta(seconds=_LONG_CAP_S / 2)
                    mid = min(max(tc, p.aos + half), p.los - half)
                    p = replace(p, aos=mid - half, los=mid + half, tca=mid)
                    extends = True
                centre = (tc - p.aos).total_seconds()
            else:
                centre = (p.tca - p.aos).total_seconds()
            fc = forecast_pass(p, profile=profile, step_s=step)
            rows.append((p.max_el_deg, p.duration_s, _cut_bits(fc, centre, FRACTIONS)))
        rows.sort(key=lambda x: x[0])
        per_class.append(([x[0] for x in rows], [x[1] for x in rows], [x[2] for x in rows]))
    n_c = len(per_class)
    n_e = max(len(c[0]) for c in per_class)

    def pad(v: list[Any], fill: Any) -> list[Any]:  # classes with fewer nodes repeat their last
        return v + [v[-1] if v else fill] * (n_e - len(v))

    return KeyTable(
        profile=profile,
        altitude_km=altitude_km(sat),
        elevation_deg=np.array([pad(c[0], 90.0) for c in per_class], float),
        duration_s=np.array([pad(c[1], 1.0) for c in per_class], float),
        fractions=fr,
        bits=np.array([pad(c[2], [0.0] * fr.size) for c in per_class], float).reshape(n_c, n_e, fr.size),
        extends=extends,
    )


def profile_names(satellites: Sequence[Any], profile: str | None) -> list[str | None]:
    """Each satellite's link profile for key per day: its own where it names one, else
    ``profile`` (the forecast's one precedence with ``profile`` as ``default_profile``:
    :func:`passplan.forecast.resolve.profile_name_for`; grid cells have no station receiver);
    checked: an unknown name fails here, before any work."""
    from ..forecast.resolve import profile_name_for
    from ..link.profiles import load_profile

    names = [profile_name_for(None, s, default_profile=profile)[0] for s in satellites]
    for n in dict.fromkeys(x for x in names if x):
        load_profile(n)
    return names


#: Tables built in this process, by what determines them (a study repeated with other chunking
#: reuses them; recipes make the key exact for designed and element-set satellites alike).
_BUILT: dict[tuple[Any, ...], KeyTable] = {}


def key_tables_for(
    satellites: Sequence[Any], profile: str | None, start: datetime, min_elevation_deg: float
) -> list[KeyTable | None]:
    """One table per satellite (shared within a profile and altitude class): the satellite's own
    link profile where it names one, else ``profile`` (:func:`profile_names`); None where
    neither names one. Tables are
    built once, for the first satellite of each class in fleet order (deterministic)."""
    from ..link.profiles import load_profile

    names = profile_names(satellites, profile)
    classes: list[tuple[str, float, KeyTable]] = []
    out: list[KeyTable | None] = []
    for sat, name in zip(satellites, names, strict=True):
        if not name:
            out.append(None)
            continue
        h = altitude_km(sat)
        table = next(
            (t for n, h0, t in classes if n == name and abs(h - h0) <= ALTITUDE_CLASS_TOLERANCE * h0), None
        )
        if table is None:
            recipe = getattr(sat, "built_from", None)
            # the profile's content, not its name: a profile file edited between two studies in
            # one process (a notebook) must not get the old table
            memo = (repr(load_profile(name)), sat.name, repr(recipe), sat.epoch, start, float(min_elevation_deg))
            table = _BUILT.get(memo) if recipe is not None else None
            if table is None:
                table = build_key_table(sat, name, start, min_elevation_deg)
                if recipe is not None:
                    _BUILT[memo] = table
                while len(_BUILT) > 32:
                    _BUILT.pop(next(iter(_BUILT)))
            classes.append((name, h, table))
        out.append(table)
    return out
