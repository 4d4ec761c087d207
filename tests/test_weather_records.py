"""Weather from records (issue 19, part 3): a cloud record replays a season pass by pass.

The authorities are hand computations on a synthetic three-night season (each number below is
worked out in the comments), a brute-force replay of the weather draws trial by trial, and the
CSV written from the same samples as a NetCDF file (xarray)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from passplan.cli import app
from passplan.errors import ConfigError, InputError
from passplan.schedule.cloud_record import load_cloud_record
from passplan.schedule.draws import deposits_of, flow_draws, recorded_bits, relay_draws
from passplan.schedule.model import Candidate
from passplan.schedule.network import NetLink, Network, end_to_end, pools_from_links
from passplan.schedule.relay import relay
from passplan.stations import Station
from passplan.weather import clear_draws

DATA = Path(__file__).resolve().parents[1] / "passplan" / "data"
D0 = datetime(2026, 12, 1, tzinfo=UTC)


def _t(day: int, hour: int, minute: int = 0) -> datetime:
    return D0 + timedelta(days=day, hours=hour, minutes=minute)


def _link(station: str, day: int, hour: int, bits: float, minute: int = 20, length_min: int = 20) -> Candidate:
    start = _t(day, hour, minute)
    return Candidate(f"{station}-{day}-{hour}", f"{station}-{day}-{hour}", station, "SAT-1", start,
                     start + timedelta(minutes=length_min), bits, clear_sky=0.5)


# Three nights. Samples (hourly, 20:00 to 23:00 each night; cloud fraction):
#   night 0: a 20:00 0.25, 21:00 0.25 ... ; b 0.0
#   night 1: a 1.0;  b 0.5
#   night 2: a 0.0;  b 0.9
# Links (20 minutes from hh:20, so within one sample's half-hour: the mean is that sample's):
#   night 0: a 21:20 1000 bits, b 22:20 800 bits
#   night 1: a 21:20 1000 bits, b 22:20 600 bits
#   night 2: a 21:20  500 bits, b 22:20 400 bits
CLOUD = {"a": (0.25, 1.0, 0.0), "b": (0.0, 0.5, 0.9)}


def _season_csv(path: Path, stations: tuple[str, ...] = ("a", "b"), skip: set[tuple[str, int, int]] = frozenset()) -> Path:
    lines = ["# synthetic test season", "station,time,cloud_fraction"]
    for st in stations:
        for day in range(3):
            for hour in range(20, 24):
                if (st, day, hour) not in skip:
                    lines.append(f"{st},{_t(day, hour):%Y-%m-%dT%H:%MZ},{CLOUD[st][day]}")
    path.write_text("\n".join(lines) + "\n")
    return path


LINKS = [
    _link("a", 0, 21, 1000), _link("b", 0, 22, 800),
    _link("a", 1, 21, 1000), _link("b", 1, 22, 600),
    _link("a", 2, 21, 500), _link("b", 2, 22, 400),
]
STATIONS = {
    "a": Station("a", 40.0, 117.0, 900.0, "A", clear_sky=0.5),
    "b": Station("b", 43.5, 87.2, 2000.0, "B", clear_sky=0.5),
}


def test_relay_replays_a_season_fraction_rule(tmp_path: Path) -> None:
    """Clear share of key: a keeps 750, 0, 500; b keeps 800, 300, 40. Relayed in time:
    night 0 min(750, 800) = 750 (b holds 50); night 1 a adds 0, b adds 300 (b holds 350);
    night 2 a adds 500: min(500, 350) = 350 (a holds 150), then b adds 40: 40 more.
    Total 750 + 350 + 40 = 1140."""
    rec = load_cloud_record(_season_csv(tmp_path / "season.csv"))
    bits = recorded_bits(LINKS, rec)
    assert bits.tolist() == pytest.approx([750, 800, 0, 300, 500, 40])
    res = relay(deposits_of(LINKS, bits), ("a", "b"))
    assert res.relayed_bits == pytest.approx(1140.0)
    # both stations recorded: every weather draw is the record, no spread
    draws = relay_draws(LINKS, STATIONS, ("a", "b"), trials=50, seed=3, cloud_record=rec)
    assert draws.mean_bits == pytest.approx(1140.0) and draws.std_bits == 0.0
    assert draws.clear_sky_bound_bits == pytest.approx(relay(deposits_of(LINKS, [ln.key_bits for ln in LINKS]), ("a", "b")).relayed_bits)


def test_relay_replays_a_season_threshold_rule(tmp_path: Path) -> None:
    """All or nothing at cloud <= 0.5: a gives 1000, 0, 500; b gives 800, 600, 0. Night 0:
    800 relayed (a holds 200); night 1: b adds 600, min(200, 600) = 200 (b holds 400);
    night 2: a adds 500, min(500, 400) = 400. Total 800 + 200 + 400 = 1400."""
    rec = load_cloud_record(_season_csv(tmp_path / "season.csv"), mode="threshold", threshold=0.5)
    bits = recorded_bits(LINKS, rec)
    assert bits.tolist() == pytest.approx([1000, 800, 0, 600, 500, 0])
    assert relay(deposits_of(LINKS, bits), ("a", "b")).relayed_bits == pytest.approx(1400.0)


def test_network_replays_a_season(tmp_path: Path) -> None:
    """Nodes joined only through SAT-1: the flow is the smaller whole-season pool,
    a 750 + 0 + 500 = 1250, b 800 + 300 + 40 = 1140, so 1140; with a 0.1 bit/s fibre beside
    it over the three days (259,200 s): 1140 + 25,920 = 27,060."""
    rec = load_cloud_record(_season_csv(tmp_path / "season.csv"))
    sat_only = Network("t", {"na": "A", "nb": "B"}, [], {"a": "na", "b": "nb"})
    pools = pools_from_links(LINKS, recorded_bits(LINKS, rec))
    assert end_to_end(sat_only, "na", "nb", 259_200.0, pools).key_bits == pytest.approx(1140.0)
    fibre = Network("t", {"na": "A", "nb": "B"}, [NetLink("na", "nb", "fibre", 0.1)], {"a": "na", "b": "nb"})
    assert end_to_end(fibre, "na", "nb", 259_200.0, pools).key_bits == pytest.approx(27_060.0)
    draws = flow_draws(sat_only, "na", "nb", 259_200.0, LINKS, STATIONS, trials=20, cloud_record=rec)
    assert draws.mean_bits == pytest.approx(1140.0) and draws.std_bits == 0.0


def test_stations_without_a_record_keep_their_draws(tmp_path: Path) -> None:
    """A record of a alone: b's links are drawn as without a record (same seed, same skies);
    brute force: each trial relayed with a's recorded key and b's clear-sky key where clear."""
    rec = load_cloud_record(_season_csv(tmp_path / "a.csv", stations=("a",)))
    trials, seed = 64, 11
    clear = clear_draws([(ln.station, ln.start) for ln in LINKS], STATIONS, trials=trials, seed=seed)
    a_bits = np.array([1000 * 0.75, 0, 0, 0, 500, 0])
    expected = []
    for k in range(trials):
        bits = [a_bits[i] if ln.station == "a" else ln.key_bits * clear[k, i] for i, ln in enumerate(LINKS)]
        expected.append(relay(deposits_of(LINKS, bits), ("a", "b")).relayed_bits)
    draws = relay_draws(LINKS, STATIONS, ("a", "b"), trials=trials, seed=seed, cloud_record=rec)
    assert draws.mean_bits == pytest.approx(float(np.mean(expected)))
    assert draws.p90_bits == pytest.approx(float(np.percentile(expected, 90)))
    # the replay of expectations: a's recorded key, b's expected key (key x 0.5)
    replay = relay(deposits_of(LINKS, [750, 400, 0, 300, 500, 200]), ("a", "b")).relayed_bits
    assert draws.expectation_replay_bits == pytest.approx(replay)


def test_pass_mean_crosses_samples(tmp_path: Path) -> None:
    """A link from 00:20 to 00:40 between samples 00:00 (0.2) and 01:00 (0.6): the nearest
    sample changes at 00:30, so the mean is (10 min x 0.2 + 10 min x 0.6) / 20 min = 0.4."""
    f = tmp_path / "x.csv"
    f.write_text("station,time,cloud_fraction\nx,2026-12-01T00:00Z,0.2\nx,2026-12-01T01:00Z,0.6\n")
    rec = load_cloud_record(f)
    c = rec.cloud_fractions([("x", _t(0, 0, 20), _t(0, 0, 40)), ("X", _t(0, 0, 50), _t(0, 0, 50))])
    assert c.tolist() == pytest.approx([0.4, 0.6])  # ids are case-insensitive; zero length: the nearest


def test_never_silently_clear(tmp_path: Path) -> None:
    """Outside the span, or inside a gap wider than twice the spacing: an error naming the
    station and the fix; a single missing hour is bridged."""
    rec = load_cloud_record(_season_csv(tmp_path / "season.csv"))
    late = [_link("a", 4, 21, 100)]
    with pytest.raises(InputError, match=r"station a .* not covered throughout.*narrow the window"):
        recorded_bits(late, rec)
    one_gap = load_cloud_record(_season_csv(tmp_path / "g1.csv", skip={("a", 0, 21)}))
    assert recorded_bits(LINKS[:1], one_gap)[0] == pytest.approx(750.0)  # 20:00 and 22:00 cover 21:20-21:40
    # night 0 with only 20:00 and 23:00 at a: spacing 1 h, gap 3 h, its middle 21:00-22:00 uncovered
    wide = load_cloud_record(_season_csv(tmp_path / "g2.csv", skip={("a", 0, 21), ("a", 0, 22)}))
    with pytest.raises(InputError, match="not covered"):
        recorded_bits(LINKS[:1], wide)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("station,time,cloud_fraction\na,2026-12-01T00:00Z,45\n", r":2: column 'cloud_fraction' is '45'.*percentage"),
        ("station,time,cloud_fraction\na,2026-12-01T00:00,0.5\n", r":2: column time .*no time zone; append Z"),
        ("station,time,clear\na,2026-12-01T00:00Z,maybe\n", r":2: column 'clear' is 'maybe'; give 1 or 0"),
        ("station,time\na,2026-12-01T00:00Z\n", r":1: no cloud column"),
        ("station,time,cloud_fraction\na,2026-12-01T00:00Z,0.1\nA,2026-12-01T00:00Z,0.2\n", r":3: .*repeats line 2"),
    ],
)
def test_loader_errors_name_file_line_and_fix(tmp_path: Path, body: str, match: str) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(body)
    with pytest.raises(ConfigError, match=match):
        load_cloud_record(f)


def test_clear_flags_and_doctor(tmp_path: Path) -> None:
    from passplan.schema import check_file

    f = tmp_path / "log.csv"
    f.write_text("station,time,clear\na,2026-12-01T00:00Z,yes\na,2026-12-01T01:00Z,0\n")
    rec = load_cloud_record(f)
    assert rec.stations["a"].cloud.tolist() == [0.0, 1.0]
    assert check_file(f) == []
    bad = tmp_path / "bad.csv"
    bad.write_text("station,time,cloud_fraction\na,2026-12-01T00:00Z,2\na,2026-12-01T01:00Z,-1\n")
    problems = check_file(bad)
    assert [p.line for p in problems] == [2, 3] and all(p.key == "cloud_fraction" for p in problems)
    assert check_file(DATA / "weather" / "synthetic-season.csv") == []


def test_netcdf_matches_csv(tmp_path: Path) -> None:
    """An ERA5-shaped point file (tcc over valid_time, one latitude, one longitude) reads as the
    CSV of the same samples."""
    xr = pytest.importorskip("xarray")
    pytest.importorskip("netCDF4")
    times = np.array([np.datetime64("2026-12-01T00:00") + np.timedelta64(h, "h") for h in range(4)])
    tcc = np.array([0.1, 0.5, 0.9, 0.3]).reshape(4, 1, 1)
    ds = xr.Dataset({"tcc": (("valid_time", "latitude", "longitude"), tcc)},
                    coords={"valid_time": times, "latitude": [40.4], "longitude": [117.6]}, attrs={"station": "xinglong"})
    nc = tmp_path / "era5.nc"
    ds.to_netcdf(nc)
    csv = tmp_path / "era5.csv"
    csv.write_text("station,time,tcc\n" + "".join(f"xinglong,2026-12-01T{h:02d}:00Z,{v}\n" for h, v in enumerate(tcc.ravel())))
    a, b = load_cloud_record(nc), load_cloud_record(csv)
    assert a.stations.keys() == b.stations.keys() == {"xinglong"}
    np.testing.assert_allclose(a.stations["xinglong"].times_s, b.stations["xinglong"].times_s)
    np.testing.assert_allclose(a.stations["xinglong"].cloud, b.stations["xinglong"].cloud)


def test_cli_relay_takes_a_record() -> None:
    """The shipped synthetic season over xinglong and nanshan: both recorded, so nothing is
    drawn (no ``weather``) and the document lists each link's cloud and the key it kept, whose
    pools are the relay's; a window past the record is one error line naming the options."""
    runner = CliRunner()
    base = ["relay", "xinglong", "nanshan", "--sats", "DEMO-SSO-1", "--start", "2026-12-02T00:00Z", "--days", "1",
            "--cloud-record", str(DATA / "weather" / "synthetic-season.csv")]
    res = runner.invoke(app, [*base, "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert "weather" not in doc
    links = doc["cloud_record"]["links"]
    assert links and all(0 <= ln["cloud_fraction"] <= 1 for ln in links)
    assert sum(ln["key_bits"] for ln in links) == pytest.approx(sum(doc["pool_bits"].values()), abs=0.1 * len(links))
    by_name = runner.invoke(app, [*base[:-1], "synthetic-season", "--format", "json"])
    assert json.loads(by_name.stdout)["cloud_record"]["file"] == "synthetic-season"
    assert json.loads(by_name.stdout)["relayed_bits"] == doc["relayed_bits"]
    late = runner.invoke(app, [*base[:6], "2026-12-20T00:00Z", *base[7:]])
    assert late.exit_code == 2 and "not covered throughout" in late.stderr and "--start" in late.stderr
    bad = runner.invoke(app, [*base, "--cloud-mode", "threshold", "--cloud-threshold", "1"])
    assert bad.exit_code == 2 and bad.stderr.strip().startswith("passplan: error: --cloud-threshold 1")
    idle = runner.invoke(app, [*base[:-2], "--cloud-mode", "threshold"])
    assert idle.exit_code == 2 and "give --cloud-record FILE" in idle.stderr
