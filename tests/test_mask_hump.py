"""A pass hidden between two grid points next to a mask corner: the satellite sets behind a mask
edge (azimuth 142 deg) at 220 s, then, as its azimuth slides down the mask's slope (0 deg at 141
deg to -5.125 at 127 deg), its elevation stays 0.025 deg over the mask from 284.7 to 323.9 s while
both grid points of that interval (270 and 360 s) are below. The corner's kink in the margin hides
the hump from the samples' local-maximum test, so the intervals beside a corner's interval are
searched on the interpolant too (``Block._mask_brackets``). The authority is the brute-force
reference of tests/bruteforce.py through the engine fuzz's own comparison; the draw is the one the
fuzz's long profile found (hypothesis 6.170.29), and a longer window shows the whole pass."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from bruteforce import Reference
from test_fuzz_engine import Draw, compare

from passplan.elements import Satellite
from passplan.passes import Constraints, find_passes
from passplan.satellite import Sgp4Init
from passplan.stations import HorizonMask, Station

EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
LON = -100.71473079150157


@pytest.fixture(scope="module")
def scene() -> tuple[list[Satellite], list[Station]]:
    sat = Satellite.from_sgp4init("S0-leo", Sgp4Init(EPOCH, ecco=0.0, argpo_rad=0.0, inclo_rad=0.0, mo_rad=0.0,
                                                     no_kozai_rad_min=0.06650005706484541, nodeo_rad=0.0), "designed")
    mask = HorizonMask.from_points([[0.0, 0.0], [127.0, -5.125], [141.0, 0.0], [141.5, 0.0], [142.0, 0.0]])
    stations = [Station(id=f"st{i}", lat_deg=0.0, lon_deg=LON, alt_m=0.0, timezone="UTC", min_elevation_deg=10.0,
                        twilight="civil") for i in (0, 1)]
    stations.append(Station(id="st2", lat_deg=17.625, lon_deg=LON, alt_m=0.0, timezone="UTC", min_elevation_deg=-5.0,
                            twilight="civil", horizon_mask=mask))
    return [sat], stations


def test_the_fuzz_draw_matches_the_reference(scene):
    sats, stations = scene
    d = Draw(sats, stations, EPOCH, EPOCH + timedelta(seconds=285), Constraints(horizon_mask=True), False, ["leo"], None)
    assert compare(d) == []


def test_the_whole_hidden_pass_is_found(scene):
    sats, stations = scene
    t1 = EPOCH + timedelta(seconds=600)
    ref = [(r.rise, r.set) for r in Reference(sats, stations, EPOCH, t1, Constraints(horizon_mask=True)).passes() if r.st == 2]
    got = [((p.rise - EPOCH).total_seconds(), (p.set - EPOCH).total_seconds())
           for p in find_passes(sats, stations, EPOCH, t1, Constraints(horizon_mask=True)) if p.station == "st2"]
    assert len(ref) == len(got) == 2
    for (r0, r1), (g0, g1) in zip(ref, got, strict=True):
        assert abs(r0 - g0) < 0.05 and abs(r1 - g1) < 0.05
    assert 39.0 < got[1][1] - got[1][0] < 40.0
