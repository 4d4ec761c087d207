"""``passplan track``: the per-second pointing table against Skyfield's topocentric rates, the
OEM read back by the ``oem`` package, the plot, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from passplan.cli import app

runner = CliRunner()
BASE = ["track", "micius", "--station", "xinglong", "--allow-stale"]


@pytest.fixture(scope="module")
def doc() -> dict:
    r = runner.invoke(app, [*BASE, "--at", "2016-12-19T16:50Z", "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_track_json_matches_the_pass_and_skyfield_rates(doc) -> None:
    from skyfield.api import EarthSatellite, wgs84

    from passplan.elements import bundled_tle_dir, load_file, nearest_epoch
    from passplan.stations import get_station
    from passplan.times import timescale

    assert doc["pass"]["uid"] == "41731-xinglong-20161219T164843Z"
    s = doc["samples"]
    assert len(s) == pytest.approx(doc["pass"]["duration_s"], abs=2)
    assert max(x["el_deg"] for x in s) == pytest.approx(47.8, abs=0.05)
    assert min(x["range_km"] for x in s) == pytest.approx(645.3, abs=0.5)
    # range rate against Skyfield's topocentric range rate, sample by sample
    from datetime import datetime

    sat = nearest_epoch(load_file(bundled_tle_dir() / "micius_41731.tle"), datetime.fromisoformat("2016-12-19T16:50:00+00:00"))[0]
    st = get_station("xinglong")
    ts = timescale()
    es = EarthSatellite.from_satrec(sat.satrec, ts)
    topo = wgs84.latlon(st.lat_deg, st.lon_deg, st.alt_m)
    t = ts.from_datetimes([datetime.fromisoformat(x["t_utc"].replace("Z", "+00:00")) for x in s])
    _, _, dist, _, _, rate = (es - topo).at(t).frame_latlon_and_rates(topo)
    ours = np.array([x["range_rate_km_s"] for x in s])
    # the instantaneous rate (SGP4 velocity along the line of sight), ends included
    assert np.abs(ours - rate.km_per_s).max() < 2e-4
    assert np.abs(np.array([x["range_km"] for x in s]) - dist.km).max() < 0.01
    assert all(x["key_rate_bps"] >= 0 for x in s) and max(x["key_rate_bps"] for x in s) > 0


def test_track_csv_oem_and_plot(tmp_path: Path) -> None:
    pytest.importorskip("oem")
    from oem import OrbitEphemerisMessage

    csv = runner.invoke(app, [*BASE, "--pass", "41731-xinglong-20161219T164843Z", "--format", "csv", "--step-s", "5"])
    assert csv.exit_code == 0, csv.output
    assert csv.stdout.splitlines()[0].startswith("t_utc,az_deg,el_deg,range_km,range_rate_km_s,sun_sep_deg,loss_db,key_rate_bps")
    oem_file = tmp_path / "micius.oem"
    png = tmp_path / "track.png"
    r = runner.invoke(app, [*BASE, "--at", "2016-12-19T16:50Z", "--format", "oem", "--output", str(oem_file),
                            "--plot", str(png), "--creation-date", "2026-12-01T00:00Z"])
    assert r.exit_code == 0, r.output
    parsed = OrbitEphemerisMessage.open(oem_file)
    seg = parsed.segments[0]
    assert seg.metadata["OBJECT_ID"] == "2016-051A" and seg.metadata["REF_FRAME"] == "GCRF"
    assert len(list(parsed.states)) > 400
    assert png.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    "args, needle",
    [
        (["track", "demo", "--station", "xinglong", "--at", "2026-12-02T12:00Z"], "names 8 satellites"),
        ([*BASE, "--at", "2016-12-19T16:50Z", "--pass", "x"], "one of them"),
        ([*BASE], "one of them"),
        ([*BASE, "--pass", "not-a-uid"], "not a pass uid"),
        ([*BASE, "--at", "2016-12-19T16:50Z", "--step-s", "0"], "step"),
        ([*BASE, "--at", "2016-12-19T16:50Z", "--format", "oem", "--output", "/nonexistent/x.oem"], "does not exist"),
    ],
)
def test_track_bad_input(args, needle) -> None:
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    assert needle in r.output and "Traceback" not in r.output


def test_range_rate_does_not_depend_on_the_step() -> None:
    """A coarse --step-s samples the same instantaneous range rate (it once was a difference
    over the step: -2.05 instead of -2.43 km/s at 60 s)."""
    from datetime import datetime, timedelta

    from passplan.elements import bundled_tle_dir, load_file, nearest_epoch
    from passplan.passes import find_passes
    from passplan.stations import get_station
    from passplan.track import track_pass

    t0 = datetime.fromisoformat("2016-12-19T16:00:00+00:00")
    sats = nearest_epoch(load_file(bundled_tle_dir() / "micius_41731.tle"), t0)
    (p,) = [q for q in find_passes(sats, [get_station("xinglong")], t0, t0 + timedelta(hours=1)) if not q.excluded]
    fine, coarse = track_pass(p, 1.0), track_pass(p, 60.0)
    at = {x.timestamp(): r for x, r in zip(fine.t, fine.range_rate_km_s, strict=True)}
    shared = [(at[x.timestamp()], r) for x, r in zip(coarse.t, coarse.range_rate_km_s, strict=True) if x.timestamp() in at]
    assert len(shared) >= 4
    for a, r in shared:
        assert r == pytest.approx(a, abs=1e-9)
