"""The pass search's shortcuts give what the long way gives, value for value: the grouped
scattered SGP4 against one ``sgp4_array`` call per point, the batched interpolant against one
batch, the one-gather station frame against the station matrices, and the nested hump samples
against all 63 of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from passplan import geometry
from passplan.designed import walker_delta
from passplan.geometry import Scene
from passplan.passes import Constraints
from passplan.passes.block import Block
from passplan.passes.constraints import FAILED_MARGIN_DEG
from passplan.stations import Station

T0 = datetime(2026, 11, 23, tzinfo=UTC)


@pytest.fixture(scope="module")
def scene_parts() -> tuple[list, list[Station]]:
    sats = walker_delta("T", T0, altitude_km=550.0, planes=4, per_plane=6, phasing=1, inclination_deg=53.0)
    rng = np.random.default_rng(5)
    stations = [
        Station(id=f"s{i}", name=f"s{i}", lat_deg=float(rng.uniform(-55, 55)), lon_deg=float(rng.uniform(-180, 180)),
                alt_m=float(rng.uniform(0, 2000)), min_elevation_deg=float(rng.choice([0.0, 10.0, 30.0])))
        for i in range(6)
    ]
    return sats, stations


def test_scattered_sgp4_equals_one_call_per_point(scene_parts: tuple[list, list[Station]]) -> None:
    sats, stations = scene_parts
    scene = Scene([s.satrec for s in sats], stations, T0, T0 + timedelta(hours=6))
    rng = np.random.default_rng(1)
    idx = rng.integers(0, len(sats), 400)
    t = rng.uniform(0, 6 * 3600.0, 400)
    r, v, err = scene._sgp4_scattered(idx, t)
    jd, fr = scene._jd(t)
    for k in range(t.size):
        e1, r1, v1 = sats[idx[k]].satrec.sgp4_array(jd[k : k + 1], fr[k : k + 1])
        assert err[k] == e1[0] and np.array_equal(r[k], r1[0]) and np.array_equal(v[k], v1[0])
    r0, v0, e0 = scene._sgp4_scattered(np.zeros(0, int), np.zeros(0))
    assert r0.shape == (0, 3) and v0.shape == (0, 3) and e0.size == 0


def test_interpolant_batches_and_station_gather_change_no_value(
    scene_parts: tuple[list, list[Station]], monkeypatch: pytest.MonkeyPatch
) -> None:
    sats, stations = scene_parts
    blk = Block(sats, stations, T0, T0 + timedelta(hours=6), 0, 100, 60.0, Constraints().build(stations)[0], [])
    rng = np.random.default_rng(2)
    n = 5000
    sat, st, t = rng.integers(0, len(sats), n), rng.integers(0, len(stations), n), rng.uniform(0, 6000.0, n)
    whole = blk.grid.state(sat, t)
    monkeypatch.setattr(geometry, "_STATE_CHUNK", 777)
    parts = blk.grid.state(sat, t)
    for a, b in zip(whole, parts, strict=True):
        assert a is not None and b is not None and np.array_equal(a, b)
    # the cubic Hermite formula written out (Burden and Faires, section 3.4), one row at a time
    g, h = blk.grid, blk.step_s
    for k in range(0, n, 250):
        j = int(np.floor(t[k] / h)) - g.i0
        u = t[k] / h - (j + g.i0)
        p0, p1 = g.pos[sat[k], j], g.pos[sat[k], j + 1]
        m0, m1 = g.vel[sat[k], j] * h, g.vel[sat[k], j + 1] * h
        want = (2 * u**3 - 3 * u**2 + 1) * p0 + (-2 * u**3 + 3 * u**2) * p1 + (u**3 - 2 * u**2 + u) * m0 + (u**3 - u**2) * m1
        np.testing.assert_allclose(whole[0][k], want, rtol=0, atol=1e-9)
    # east, north, up from the station matrices
    e, nn, up = blk.scene.enu(whole[0], st)
    d = whole[0] - blk.scene.sta_ecef[st]
    want_enu = np.einsum("kij,kj->ki", blk.scene.sta_enu[st], d)
    np.testing.assert_allclose(np.stack([e, nn, up], -1), want_enu, rtol=0, atol=1e-9)


@pytest.mark.parametrize("refraction", [False, True])
def test_nested_hump_samples_decide_as_all_samples(scene_parts: tuple[list, list[Station]], refraction: bool) -> None:
    sats, stations = scene_parts
    horizon = Constraints(refraction=refraction).build(stations)[0]
    blk = Block(sats, stations, T0, T0 + timedelta(hours=6), 0, 200, 60.0, horizon, [])
    rng = np.random.default_rng(3)
    n = 20000
    sat, st = rng.integers(0, len(sats), n), rng.integers(0, len(stations), n)
    c = rng.integers(1, blk.grid.times.size - 1, n)
    # the turn bound of grid_margins at each centre
    reach = 1.1 * blk.step_s * np.linalg.norm(blk.grid.vel[sat, c], axis=-1)
    rng_ = np.linalg.norm(blk.grid.pos[sat, c] - blk.scene.sta_ecef[st], axis=-1)
    turn = np.degrees(reach / np.maximum(rng_ - reach, 1e-9))
    m_c = blk.horizon_margin(sat, st, blk.grid.times[c])
    pick = np.flatnonzero((m_c <= 0) & (m_c + turn > -3.0))  # the rows grid_margins hands over
    assert pick.size > 300
    got = blk._hump_clears(sat[pick], st[pick], c[pick], turn[pick])
    u = np.arange(-31, 32) / 32.0
    t_all = (blk.grid.times[c[pick]][:, None] + u[None, :] * blk.step_s).ravel()
    m_all = blk.horizon_margin(np.repeat(sat[pick], u.size), np.repeat(st[pick], u.size), t_all).reshape(pick.size, u.size)
    want = m_all.max(axis=1) > -3.0
    assert np.array_equal(got, want)
    assert 0 < want.sum() < want.size  # both answers occur
    assert np.array_equal(blk._hump_clears(sat[pick], st[pick], c[pick], None), want)
    # the hard cases: a depth just under or just over each row's highest sample, so the
    # coarse samples alone would often answer wrongly
    top = m_all.max(axis=1)
    depth = top + np.where(np.arange(pick.size) % 2 == 0, -1e-3, 1e-3)
    tight = blk._hump_clears(sat[pick], st[pick], c[pick], turn[pick], depth)
    assert np.array_equal(tight, np.arange(pick.size) % 2 == 0)
    # the margins at the grid points either side first (as grid_margins knows them)
    g = blk.grid.times
    ends = tuple(blk.horizon_margin(sat[pick], st[pick], g[c[pick] + d]) for d in (-1, 0, 1))
    for dep in (-3.0, depth):
        got_e = blk._hump_clears(sat[pick], st[pick], c[pick], turn[pick], dep, ends=ends)
        assert np.array_equal(got_e, m_all.max(axis=1) > dep)
    # the coarse samples alone miss some of them: the bound between samples does work
    even = np.arange(pick.size) % 2 == 0
    coarse = m_all[:, [0, 7, 15, 23, 31, 39, 47, 55, 62]].max(axis=1)
    assert np.count_nonzero(coarse[even] <= depth[even]) > 10
    assert FAILED_MARGIN_DEG < -90.0


def test_componentwise_lengths_equal_linalg_norm() -> None:
    """The sunlit margin's lengths, summed componentwise, are np.linalg.norm's, bit for bit (the
    shadow edges and sunlit fractions of every output rest on them)."""
    rng = np.random.default_rng(4)
    sat = rng.normal(size=(20000, 3)) * 7000.0
    sun = rng.normal(size=(20000, 3)) * 1.5e8
    u = sun / np.linalg.norm(sun, axis=-1, keepdims=True)
    along = np.einsum("...i,...i->...", sat, u)
    margin = np.linalg.norm(sat - along[..., None] * u, axis=-1) - geometry.WGS84_A_KM
    want = np.where(along >= 0.0, np.abs(margin) + 1.0, margin)
    assert np.array_equal(Scene.sunlit_margin_km(sat, sun), want)


def test_sunlit_margin_from_the_sun_direction_is_the_scenes() -> None:
    """The samples' and points' sunlit margins, from the Sun's direction taken out of a table
    (geometry.sun_direction, geometry.sunlit_margin_along, as the pass pieces use them), are
    Scene.sunlit_margin_km's bit for bit, in any batch and from gathered rows (random states, a
    Sun table gathered as the lattice gathers it)."""
    from passplan.geometry import sun_direction as _unit
    from passplan.geometry import sunlit_margin_along as _sunlit_margin

    rng = np.random.default_rng(5)
    sat = rng.normal(size=(20000, 3)) * 7000.0
    tab = rng.normal(size=(40, 3)) * 1.5e8
    at = rng.integers(0, 40, 20000)
    want = Scene.sunlit_margin_km(sat, tab[at])
    assert np.array_equal(_sunlit_margin(sat, _unit(tab).take(at, axis=0)), want)
    for a, b in ((0, 7), (7, 20000), (123, 4567)):
        assert np.array_equal(_sunlit_margin(sat[a:b], _unit(tab).take(at[a:b], axis=0)), want[a:b])


def test_sun_from_lattice_tables_equals_row_by_row(scene_parts: tuple[list, list[Station]]) -> None:
    from passplan.geometry import sun_direction
    from passplan.passes.pieces import _lattice_samples, _SunRows

    sats, stations = scene_parts
    blk = Block(sats, stations, T0, T0 + timedelta(hours=6), 0, 200, 60.0, Constraints().build(stations)[0], [])
    rng = np.random.default_rng(6)
    pa = np.sort(rng.uniform(0, 11000.0, 400))
    pb = pa + rng.uniform(1.0, 900.0, pa.size)
    t, owner, k = _lattice_samples(pa, pb, 30.0)
    st = rng.integers(0, len(stations), pa.size)[owner]
    assert np.any(k < 0) and np.any(k >= 0)
    want_sun = blk.scene.sun_ecef(t)
    want_el = blk.scene.body_elevation_deg(want_sun, st)
    s0, s1, s2 = want_sun[:, 0], want_sun[:, 1], want_sun[:, 2]
    want_unit = want_sun / np.sqrt(s0 * s0 + s1 * s1 + s2 * s2)[:, None]  # as Scene.sunlit_margin_km forms it
    for rows in (slice(None), slice(0, 50)):  # the tables, and (few samples) row by row
        rows_sun = _SunRows(blk, st[rows], t[rows], k[rows], 30.0)
        sun, el = rows_sun.sun(0, t[rows].size), rows_sun.el
        assert np.array_equal(sun, want_sun[rows]) and np.array_equal(el, want_el[rows])
        n = t[rows].size
        for a, b in ((0, n), (3, n // 2), (n // 2, n)):  # any batch of rows
            assert np.array_equal(rows_sun.sun(a, b), want_sun[rows][a:b])
            assert np.array_equal(rows_sun.unit(a, b), want_unit[rows][a:b])
        ends = np.flatnonzero(k[rows] < 0)
        assert np.array_equal(rows_sun.ends, ends) and np.array_equal(rows_sun.end_sun, want_sun[rows][ends])
        assert np.array_equal(sun_direction(want_sun), want_unit)
    lk = blk.look(np.zeros(3, int), st[:3], t[:3])
    with pytest.raises(AttributeError):
        lk.preset(el_deg=np.zeros(3))
