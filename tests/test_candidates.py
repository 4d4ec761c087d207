"""Schedule candidates from the real forecast chain: whole passes and hand-over sub-windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from passplan import Constraints, find_passes, select_stations
from passplan.designed import walker_delta
from passplan.forecast import forecast_passes
from passplan.schedule import Resources, plan_schedule, violations
from passplan.schedule.candidates import candidates_from_forecasts, handover_cuts

T0 = datetime(2026, 12, 2, 10, tzinfo=UTC)


@pytest.fixture(scope="module")
def forecasts():
    """One night of two Jinan-1-class satellites over Beijing and Jinan (370 km apart, so the
    satellites see both at once), with the jinan-1 terminal."""
    sats = walker_delta("J", T0, altitude_km=500, planes=1, per_plane=2, sun_synchronous=True, ltan_h=22.5)
    sts = select_stations(["beijing", "jinan"])
    passes = find_passes(sats, sts, T0, T0 + timedelta(hours=14), Constraints(darkness="nautical"))
    assert len(passes) >= 4
    return forecast_passes(list(passes), profile="jinan-1"), {s.id: s for s in sts}


def test_handover_cuts_lie_inside_overlaps(forecasts) -> None:
    fs, _ = forecasts
    passes = [f.pass_ for f in fs]
    cuts = handover_cuts(passes, 60.0)
    assert cuts, "the two stations share passes of one satellite"
    by_uid = {p.uid: p for p in passes}
    for uid, points in cuts.items():
        p = by_uid[uid]
        others = [q for q in passes if q.satellite == p.satellite and q.station != p.station]
        for c in points:
            assert p.aos < c < p.los
            ms = timedelta(milliseconds=1)  # cuts are named to the millisecond
            assert any(q.aos - ms <= c <= q.los + ms for q in others)


def test_subwindows_never_beat_their_pass_and_handover_never_loses(forecasts) -> None:
    fs, stations = forecasts
    cands = candidates_from_forecasts(fs, stations=stations, grid_s=60.0)
    whole = {c.pass_uid: c for c in cands if not c.handover}
    subs = [c for c in cands if c.handover]
    assert subs
    for c in subs:
        assert c.key_bits <= whole[c.pass_uid].key_bits
        assert whole[c.pass_uid].start <= c.start < c.end <= whole[c.pass_uid].end
    assert any(0 < c.key_bits < whole[c.pass_uid].key_bits for c in subs)  # a shorter block yields less
    assert all(c.clear_sky == stations[c.station].clear_sky for c in cands)
    res = Resources(setup_s={s: st.setup_s for s, st in stations.items()})
    with_h = plan_schedule(cands, res)
    without = plan_schedule([c for c in cands if not c.handover], res)
    assert with_h.solver.objective >= without.solver.objective * (1 - 1e-9)
    assert violations(with_h.links, res) == []


def test_min_key_marks_candidates(forecasts) -> None:
    fs, stations = forecasts
    top = max(f.key.secret_key_bits for f in fs)
    cands = candidates_from_forecasts(fs, stations=stations, min_key_bits=top * 2, handover=False)
    assert all(c.reason and "below minimum key" in c.reason for c in cands if c.key_bits > 0)
    plan = plan_schedule(cands)
    assert plan.links == [] and all("minimum key" in r or "no key" in r for _, r in plan.unscheduled)


def test_candidates_carry_the_satellite_identity(forecasts) -> None:
    """Candidates name the satellite and carry its identity (catalogue number, '' for a designed
    satellite) for the schedule's resources."""
    from dataclasses import replace

    fs, stations = forecasts
    cands = candidates_from_forecasts(fs, stations=stations)
    assert all(c.satellite_id == "" and c.satellite_key == (c.satellite, "") for c in cands)
    numbered = [replace(f, pass_=replace(f.pass_, norad_id=40000 + k)) for k, f in enumerate(fs)]
    got = candidates_from_forecasts(numbered, stations=stations, handover=False)
    assert [c.satellite_id for c in got] == [str(f.pass_.norad_id) for f in numbered]
