"""Leap seconds inside a search: UTC (every time of the engine) skips them while UT1 runs on, so
Earth-fixed positions step by a second of the Earth's rotation there. The engine's Hermite
interpolant must not bridge that step: inside a grid interval holding a leap second the state
comes from SGP4 (``Block.look``). The authority is the brute-force reference of
tests/bruteforce.py (SGP4 at every time, no interpolant), through the engine fuzz's own
comparison; the draw below is the one the fuzz's long profile found (a MEO satellite leaving
Earth's shadow 42 s before the leap second of 2016-12-31: the interpolant put the shadow edge
0.12 s late)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from test_fuzz_engine import Draw, compare

from passplan.elements import Satellite
from passplan.geometry import Scene
from passplan.passes import Constraints
from passplan.passes.block import Block
from passplan.passes.constraints import Horizon
from passplan.satellite import Sgp4Init
from passplan.stations import Station

EPOCH = datetime(2016, 12, 31, 23, 54, tzinfo=UTC)
T1 = datetime(2016, 12, 31, 23, 59, 19, tzinfo=UTC)
STATION = Station(id="st0", lat_deg=0.0, lon_deg=0.0, alt_m=0.0, timezone="UTC", min_elevation_deg=10.0,
                  twilight="civil")


def _sat(name: str, **kw: float | bool) -> Satellite:
    return Satellite.from_sgp4init(name, Sgp4Init(EPOCH, **kw), "designed")  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def sats() -> list[Satellite]:
    return [
        _sat("S0-leo", ecco=0.0, argpo_rad=0.0, inclo_rad=0.0, mo_rad=0.0, no_kozai_rad_min=0.07111000594003467,
             nodeo_rad=0.0),
        _sat("S1-heo", ecco=0.625, argpo_rad=4.363323129985824, inclo_rad=1.106538745764405, mo_rad=0.0,
             no_kozai_rad_min=0.00875107067767264, nodeo_rad=0.0, hold_orbit=True),
        _sat("S2-meo", ecco=0.0, argpo_rad=0.0, inclo_rad=0.8203047484373349, mo_rad=2.5132741228718345,
             no_kozai_rad_min=0.02197323170046243, nodeo_rad=5.777039824101231, hold_orbit=True),
    ]


def test_the_fuzz_draw_across_the_2016_leap_second_matches_the_reference(sats):
    d = Draw(sats, [STATION], EPOCH, T1, Constraints(horizon_mask=True, min_sun_sep_deg=0.0), False,
             ["leo", "heo", "meo"], None)
    assert compare(d) == []


@pytest.mark.parametrize(("t0", "expected"), [
    (datetime(2016, 12, 31, 23, 54, tzinfo=UTC), [360.0]),  # 2017-01-01T00:00:00Z
    (datetime(2015, 6, 30, 12, 0, tzinfo=UTC), [43200.0]),  # 2015-07-01T00:00:00Z
    (datetime(2026, 12, 7, 0, 0, tzinfo=UTC), []),
])
def test_scene_finds_the_leap_seconds_of_its_span(sats, t0, expected):
    from datetime import timedelta

    sc = Scene([sats[0].satrec], [STATION], t0, t0 + timedelta(hours=13))
    assert sc.leap_instants().tolist() == expected


def test_the_interpolant_is_never_used_across_a_leap_second(sats):
    """Inside the grid interval holding the leap second the block's states are SGP4's (bit for
    bit); elsewhere the interpolant's (the block of a leap-free span has no such interval)."""
    step = 90.0
    blk = Block(sats, [STATION], EPOCH, T1, 0, 4, step, Horizon(np.array([10.0]), [None], False), [])
    assert blk._leap_lo.tolist() == [270.0] and blk._leap_hi.tolist() == [360.0]
    t = np.array([100.0, 271.0, 318.2, 359.999, 400.0])
    sat = np.full(t.size, 2)
    lk = blk.look(sat, np.zeros(t.size, int), t)
    exact = blk.look(sat, np.zeros(t.size, int), t, exact=True)
    inside = (t > 270.0) & (t < 360.0)
    assert np.array_equal(lk.pos[inside], exact.pos[inside]) and np.array_equal(lk.vel[inside], exact.vel[inside])
    interp, vel, _ = blk.grid.state(sat, t)
    assert np.array_equal(lk.pos[~inside], interp[~inside])
    # what the interpolant alone would have given just before the step: about a km off
    assert np.linalg.norm(interp[3] - exact.pos[3]) > 0.5
    quiet = Block(sats, [STATION], datetime(2026, 12, 7, tzinfo=UTC), datetime(2026, 12, 7, 1, tzinfo=UTC), 0, 40, step,
                  Horizon(np.array([10.0]), [None], False), [])
    assert quiet._leap_lo.size == 0
