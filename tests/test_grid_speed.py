"""The engine's faster geometry primitives give the values of the plain numpy they replace, bit
for bit (the pass outputs' byte identity rests on it): the authorities are numpy's own
``np.interp``, fancy indexing and the formulas as first written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from passplan.geometry import Scene, _lerp, _lerp_is_interp


@pytest.mark.parametrize("table_s", [None, (1000.0, 20000.0)])
def test_table_interpolation_is_np_interp_bit_for_bit(table_s: tuple[float, float] | None) -> None:
    """The Sun/Moon/UT1 tables' one-lookup interpolation equals np.interp bit for bit (nodes,
    either side of them, outside, NaN, any shape), and the engine's one-off check says so
    exactly when it does (where np.interp's loop fuses its multiply-add, both say no and the
    Scene keeps np.interp); the Scene's values are np.interp's either way."""
    t0 = datetime(2026, 11, 23, 5, 17, 3, 250000, tzinfo=UTC)
    sc = Scene([], [], t0, t0 + timedelta(days=1.3), table_s=table_s)
    tt = sc._tab_t
    r = np.random.default_rng(3)
    s = np.concatenate(
        [
            r.uniform(tt[0] - 5000.0, tt[-1] + 5000.0, 20000),  # inside and outside the table
            tt,  # the nodes themselves, and the floats either side of each
            np.nextafter(tt, np.inf),
            np.nextafter(tt, -np.inf),
            np.arange(0.0, 90000.0, 0.97),  # centiseconds-ish, where the division rounds
            [np.nan, -np.inf, np.inf],
        ]
    )
    same = []
    for tab, slope in ((sc._tab_sun, sc._slope_sun), (sc._tab_moon, sc._slope_moon)):
        want = np.stack([np.interp(s, tt, tab[:, i]) for i in range(3)], -1)
        got = _lerp(tt, s, tab, slope)
        assert got.shape == want.shape and got.dtype == want.dtype
        same.append(np.array_equal(got.view(np.int64), want.view(np.int64)))
    want1 = np.interp(s, tt, sc._tab_dut1)
    same.append(np.array_equal(_lerp(tt, s, sc._tab_dut1, sc._slope_dut1).view(np.int64), want1.view(np.int64)))
    assert all(same) == _lerp_is_interp()
    assert np.array_equal(sc.sun_ecef(s), np.stack([np.interp(s, tt, sc._tab_sun[:, i]) for i in range(3)], -1), equal_nan=True)
    grid = s[:600].reshape(2, 300)  # any shape, as the rotation's (1, nt) times
    assert sc.sun_ecef(grid).shape == (2, 300, 3)
    assert np.array_equal(sc.moon_ecef(grid), np.stack([np.interp(grid, tt, sc._tab_moon[:, i]) for i in range(3)], -1))


def test_degrees_constant_is_np_degrees_bit_for_bit() -> None:
    from passplan.geometry import _DEG

    r = np.random.default_rng(5)
    x = np.concatenate([r.normal(size=100000) * 3.0, r.uniform(-np.pi, np.pi, 100000), [0.0, -0.0, np.inf, -np.inf, 5e-324, 1e300]])
    assert np.array_equal((x * _DEG).view(np.int64), np.degrees(x).view(np.int64))


def test_elevation_range_in_place_is_the_plain_formula() -> None:
    """``Scene.elevation_range`` (in the buffers of its east/north/up) against the formula as
    first written, on rows and on a single position."""
    from passplan.stations import Station

    t0 = datetime(2026, 11, 23, tzinfo=UTC)
    stations = [Station(id=f"s{k}", lat_deg=la, lon_deg=lo, alt_m=al) for k, (la, lo, al) in enumerate([(47.07, 15.49, 400.0), (-33.9, 18.4, 10.0), (0.0, 0.0, 0.0)])]
    sc = Scene([], stations, t0, t0 + timedelta(hours=1))
    r = np.random.default_rng(2)
    pos = r.normal(size=(5000, 3)) * 7000.0
    st = r.integers(0, 3, 5000)
    for p, s in ((pos, st), (pos, 1), (pos[7], 2)):
        e, n, u = sc.enu(p, s)
        rng = np.sqrt(e * e + n * n + u * u)
        el = np.degrees(np.arcsin(np.clip(u / rng, -1.0, 1.0)))
        got_el, got_rng = sc.elevation_range(p, s)
        assert np.array_equal(got_el, el) and np.array_equal(got_rng, rng)
        az, el2, rng2 = sc.topocentric(p, s)
        assert np.array_equal(az, np.degrees(np.arctan2(e, n)) % 360.0) and np.array_equal(el2, el)


@pytest.mark.parametrize("by_component", [True, False])
def test_rates_and_sunlit_margin_in_place_are_the_plain_formulas(by_component: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """``Look.rates`` and ``Scene.sunlit_margin_km`` (their dot products by component where
    dot3_rows is einsum's sum, else by einsum: geometry.dot3) against the formulas as first written
    (fancy-indexed stations, fresh temporaries), on rows, on one station for all rows and on a
    single row."""
    from passplan import geometry
    from passplan.passes.constraints import Look
    from passplan.stations import Station

    if not by_component:  # as on a platform whose einsum sums otherwise
        monkeypatch.setattr(geometry, "dot3_is_einsum", lambda: False)  # geometry.dot3 serves both

    t0 = datetime(2026, 11, 23, tzinfo=UTC)
    stations = [Station(id=f"s{k}", lat_deg=la, lon_deg=lo, alt_m=al) for k, (la, lo, al) in enumerate([(47.07, 15.49, 400.0), (-33.9, 18.4, 10.0), (0.0, 0.0, 0.0)])]
    sc = Scene([], stations, t0, t0 + timedelta(hours=1))
    r = np.random.default_rng(4)
    n = 4000
    pos, vel = r.normal(size=(n, 3)) * 7000.0, r.normal(size=(n, 3)) * 7.0
    sun = r.normal(size=(n, 3)) * 1.5e8
    for st_ in (r.integers(0, 3, n), np.asarray(1), r.integers(0, 3, 1)):
        rows = slice(None) if st_.ndim and st_.size == n else slice(0, max(1, st_.size) if st_.ndim else n)
        p, v = pos[rows], vel[rows]
        lk = Look(sc, p, v, np.ones(len(p), bool), st_, np.zeros(len(p)))
        d = p - sc.sta_ecef[st_]
        up = sc.sta_enu[:, 2, :][st_]
        rng = np.sqrt(d[..., 0] * d[..., 0] + d[..., 1] * d[..., 1] + d[..., 2] * d[..., 2])
        dv = np.einsum("...i,...i->...", d, v)
        ud = np.einsum("...i,...i->...", up, d)
        uv = np.einsum("...i,...i->...", up, v)
        got = lk.rates
        assert np.array_equal(got[0], uv / rng - ud * dv / rng**3) and np.array_equal(got[1], dv / rng)
    for sat_, sun_ in ((pos, sun), (pos, sun[0]), (pos[0], sun[0])):
        u = sun_ / np.linalg.norm(sun_, axis=-1)[..., None]
        along = np.einsum("...i,...i->...", sat_, u)
        margin = np.linalg.norm(sat_ - along[..., None] * u, axis=-1) - 6378.137
        want = np.where(along >= 0.0, np.abs(margin) + 1.0, margin)
        assert np.array_equal(Scene.sunlit_margin_km(sat_, sun_), want)


def test_grid_margin_pieces_change_no_value_and_no_progress_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sine path's pieces of a chunk (cache-sized) give the brackets, hidden humps and
    up-states of whole chunks, and the same progress lines; the flattened comparisons give those
    of ``np.nonzero`` on the (satellite, station, time) views."""
    from passplan.designed import walker_delta
    from passplan.passes import Constraints
    from passplan.passes import block as block_mod
    from passplan.stations import Station

    t0 = datetime(2026, 11, 23, tzinfo=UTC)
    sats = walker_delta("T", t0, altitude_km=550.0, planes=4, per_plane=5, phasing=1, inclination_deg=53.0)
    rng = np.random.default_rng(8)
    stations = [
        Station(id=f"s{i}", lat_deg=float(rng.uniform(-55, 55)), lon_deg=float(rng.uniform(-180, 180)), alt_m=100.0,
                min_elevation_deg=float(rng.choice([0.0, 10.0, 30.0])))
        for i in range(5)
    ]
    horizon = Constraints().build(stations)[0]
    blk = block_mod.Block(sats, stations, t0, t0 + timedelta(hours=4), 0, 150, 60.0, horizon, [])
    nt = blk.err.shape[1]
    runs = []
    for whole, piece in ((10**9, 10**9), (8 * 5 * nt, 3 * 5 * nt), (1, 1)):
        monkeypatch.setattr(block_mod, "_CHUNK_VALUES", whole)
        monkeypatch.setattr(block_mod, "_SINE_CHUNK_VALUES", piece)
        lines: list[str] = []
        runs.append((blk.grid_margins(lines.append), lines))
    (ref, _), (got, lines), (single, _) = runs
    for a, b, c in zip(ref, got, single, strict=True):
        assert np.array_equal(a, b) and np.array_equal(a, c)
    assert lines == [f"margins of satellites {a + 1}-{min(a + 8, 20)} of 20 on {nt} grid points" for a in range(0, 20, 8)]
    # the brackets: np.nonzero of the sign changes on the owned intervals, from the grid itself
    f = blk.scene.topocentric_grid(blk.grid.pos, False, sine=True)[1] - np.sin(np.radians(horizon.floor_deg))[None, :, None]
    f[np.broadcast_to(~blk.grid.ok[:, None, :], f.shape)] = -3.0
    up = f > 0
    s_, t_, j_ = np.nonzero(up[:, :, 1 : nt - 2] != up[:, :, 2 : nt - 1])
    assert np.array_equal(ref[0], np.stack([s_, t_, j_ + 1])) and ref[0].shape[1] > 0
    assert np.array_equal(ref[3], up[:, :, 1])


def _illinois_as_first_written(func, a, b, tol):  # type: ignore[no-untyped-def]
    """roots.crossings' regula falsi rounds (no certificate) as first written: every bracket end
    gathered where it is used."""
    a, b = np.asarray(a, float).copy(), np.asarray(b, float).copy()
    rows = np.arange(a.size)
    fa, fb = func(rows, a), func(rows, b)
    rising = ~(fa > 0)
    x = 0.5 * (a + b)
    live = rows
    for _ in range(10):
        denom = fb[live] - fa[live]
        safe = np.where(denom != 0, denom, 1.0)
        xn = np.where(denom != 0, b[live] - fb[live] * (b[live] - a[live]) / safe, 0.5 * (a[live] + b[live]))
        xn = np.clip(xn, np.minimum(a[live], b[live]), np.maximum(a[live], b[live]))
        moved = np.abs(xn - x[live]) >= 0.1 * tol
        x[live] = xn
        live = live[moved]
        if live.size == 0:
            break
        fx = func(live, x[live])
        flip = (fx > 0) != (fb[live] > 0)
        a[live] = np.where(flip, b[live], a[live])
        fa[live] = np.where(flip, fb[live], 0.5 * fa[live])
        b[live], fb[live] = x[live], fx
    return x, rising


def test_regula_falsi_rounds_are_those_first_written() -> None:
    from passplan.passes.roots import crossings

    r = np.random.default_rng(9)
    n = 3000
    w, ph, k = r.uniform(0.001, 0.05, n), r.uniform(0, 2 * np.pi, n), r.uniform(-0.9, 0.9, n)

    def f(rows: np.ndarray, t: np.ndarray) -> np.ndarray:
        return np.sin(w[rows] * t + ph[rows]) - k[rows] + np.where(rows % 7 == 0, 0.0, 1e-3 * (t - 50.0) ** 2 * (rows % 3 == 0))

    a, b = np.zeros(n), np.full(n, 100.0)
    rows = np.arange(n)
    keep = (f(rows, a) > 0) != (f(rows, b) > 0)
    a, b = a[keep], b[keep]
    sel = np.flatnonzero(keep)

    def g(rr: np.ndarray, t: np.ndarray) -> np.ndarray:
        return f(sel[rr], t)

    want = _illinois_as_first_written(g, a, b, 0.01)
    got = crossings(g, a, b, 0.01, certify=False)
    assert sel.size > 1000 and np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


def test_station_major_products_are_the_time_major_ones_bit_for_bit() -> None:
    """``Scene.topocentric_grid`` takes its products station-major from BLAS (no transposing
    copy, where its one-off check finds that BLAS gives the time-major values) and folds the
    factor -2 into the station matrix: each value must be what the time-major product (times
    -2) gave, here over 1..64 stations and 4..195 times; then the whole grid against the formula
    as first written (time-major, transposed, floor subtracted)."""
    from passplan.designed import walker_delta
    from passplan.stations import Station

    t0 = datetime(2026, 11, 23, tzinfo=UTC)
    sats = walker_delta("T", t0, altitude_km=550.0, planes=3, per_plane=4, phasing=1, inclination_deg=53.0)
    r = np.random.default_rng(6)
    stations = [Station(id=f"s{i}", lat_deg=float(r.uniform(-60, 60)), lon_deg=float(r.uniform(-180, 180)), alt_m=float(r.uniform(0, 3000)))
                for i in range(64)]
    sc = Scene([s.satrec for s in sats], stations, t0, t0 + timedelta(hours=4))
    pos, _ = sc.sat_ecef_grid(np.arange(195) * 73.0)
    from passplan.geometry import _station_major, _station_major_is_time_major

    same = []
    for nst in (1, 2, 5, 11, 30, 64):
        s_, u_ = sc.sta_ecef[:nst], sc.sta_enu[:nst, 2, :]
        for nt in (4, 17, 195):
            p = np.ascontiguousarray(pos[:, :nt])
            for m in (s_, u_):
                same.append(np.array_equal(np.matmul(m, p.transpose(0, 2, 1)), (p @ m.T).transpose(0, 2, 1)))
                assert np.array_equal(_station_major(m, p), (p @ m.T).transpose(0, 2, 1))
            assert np.array_equal(_station_major(-2.0 * s_, p), ((p @ s_.T) * -2.0).transpose(0, 2, 1))
    assert all(same) or not _station_major_is_time_major()  # (where it is not, the engine transposes)
    # the whole grid, sine and degrees, with and without an offset
    up_dir = sc.sta_enu[:, 2, :]
    up = pos @ up_dir.T - np.einsum("kj,kj->k", up_dir, sc.sta_ecef)
    rng2 = (pos @ sc.sta_ecef.T) * -2.0 + np.einsum("...i,...i->...", pos, pos)[..., None] + np.einsum("kj,kj->k", sc.sta_ecef, sc.sta_ecef)
    sine = up / np.sqrt(rng2)
    offset = np.sin(np.radians(r.uniform(0, 30, 64)))
    want_sine = np.ascontiguousarray(sine.transpose(0, 2, 1))
    assert np.array_equal(sc.topocentric_grid(pos, False, sine=True)[1], want_sine)
    assert np.array_equal(sc.topocentric_grid(pos, False, sine=True, offset=offset)[1], want_sine - offset[None, :, None])
    az, el = sc.topocentric_grid(pos, True)
    assert az is not None and np.array_equal(el, np.degrees(np.arcsin(np.clip(want_sine, -1.0, 1.0))))
    e = pos @ sc.sta_enu[:, 0, :].T - np.einsum("kj,kj->k", sc.sta_enu[:, 0, :], sc.sta_ecef)
    n = pos @ sc.sta_enu[:, 1, :].T - np.einsum("kj,kj->k", sc.sta_enu[:, 1, :], sc.sta_ecef)
    assert np.array_equal(az, np.ascontiguousarray((np.degrees(np.arctan2(e, n)) % 360.0).transpose(0, 2, 1)))


def test_dot3_rows_is_einsum_of_contiguous_rows_bit_for_bit() -> None:
    """The engine's row dot products by component equal ``np.einsum`` on C-contiguous (n, 3)
    rows, bit for bit: random values, signed zeros, infinities and NaNs, subnormals, exact
    cancellations, 1..20000 rows; and the engine's one-off check says so exactly when they do
    (on a platform whose einsum sums otherwise, both say no and the engine keeps einsum)."""
    from passplan.geometry import dot3_is_einsum, dot3_rows

    r = np.random.default_rng(0)
    specials = np.array([0.0, -0.0, 1.0, -1.0, 5e-324, -5e-324, 1e308, -1e308, np.inf, -np.inf, 1e-300, 3.0])
    same: list[bool] = []
    for n in (1, 2, 3, 8, 17, 20000):
        cases = [
            (r.normal(size=(n, 3)) * 7000.0, r.normal(size=(n, 3)) * 7.0),
            (r.choice(specials, size=(n, 3)), r.choice(specials, size=(n, 3))),
            (np.round(r.normal(size=(n, 3)) * 4.0), np.round(r.normal(size=(n, 3)) * 4.0)),
        ]
        for a, b in cases:
            with np.errstate(all="ignore"):
                want = np.einsum("...i,...i->...", a, b)
                got = dot3_rows(a[:, 0], a[:, 1], a[:, 2], b[:, 0], b[:, 1], b[:, 2])
            same.append(np.array_equal(got.view(np.int64), want.view(np.int64)))
    assert all(same) == dot3_is_einsum()
