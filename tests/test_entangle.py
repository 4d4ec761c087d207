"""Entanglement-based dual downlinks (issue 19, part 1): joint windows against a brute-force
Skyfield scan, the two-arm counting against a Monte-Carlo of a pair source, the BBM92 bound
against exact hypergeometric tails, and the forecast against Yin et al. 2020 / 2017.

References: Yin et al., Nature 582, 501 (2020) ("Yin 2020": Delingha-Nanshan, 1,120 km;
two-photon rate 2.2 Hz at SNR 15:1, sifted 1.1 Hz, QBER 4.5 %, 372 secret bits from 3,100 s at
failure probability 1e-10, f = 1.19; a positive key needs QBER below ~6.0 % at that size) and
Yin et al., Science 356, 1140 (2017) ("Yin 2017": Delingha-Lijiang, 1,203 km, summed downlinks
1,600-2,400 km, Bell S = 2.37 +- 0.09; QBER ~8.1 % per Yin 2020).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from passplan.elements import resolve_satellites
from passplan.errors import InputError
from passplan.forecast.pair import forecast_pairs, pooled_key
from passplan.keyrate.bbm92 import bbm92_key, phase_error_bound
from passplan.link.entangled import PairSource, pair_counts
from passplan.pairs import joint_windows
from passplan.passes import Constraints
from passplan.stations import select_stations

R_EARTH_KM = 6371.0088  # IUGG mean radius


def _dms(d: float, m: float, s: float) -> float:
    return d + m / 60 + s / 3600


def _great_circle_km(a, b) -> float:
    p1, p2 = math.radians(a.lat_deg), math.radians(b.lat_deg)
    dl = math.radians(b.lon_deg - a.lon_deg)
    c = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return R_EARTH_KM * math.acos(min(1.0, c))


def test_stations_as_the_papers_give_them():
    dl, ns, lj = select_stations(["delingha", "nanshan", "lijiang"])
    assert dl.lat_deg == pytest.approx(_dms(37, 22, 44.43), abs=1e-6)
    assert dl.lon_deg == pytest.approx(_dms(97, 43, 37.01), abs=1e-6)
    assert dl.alt_m == 3153.0
    assert ns.lat_deg == pytest.approx(_dms(43, 28, 31.66), abs=1e-6)
    assert ns.lon_deg == pytest.approx(_dms(87, 10, 36.07), abs=1e-6)
    assert ns.alt_m == 2028.0
    # the papers' separations: 1,120 km (Yin 2020) and 1,203 km (Yin 2017, Lijiang approximate)
    assert _great_circle_km(dl, ns) == pytest.approx(1120.0, rel=0.01)
    assert _great_circle_km(dl, lj) == pytest.approx(1203.0, rel=0.01)


# --- joint windows against a brute-force scan -------------------------------------------------

T2020 = datetime(2020, 10, 26, tzinfo=UTC)


@pytest.fixture(scope="module")
def micius2020():
    return resolve_satellites(["micius"], T2020, True).satellites


def _runs(ok: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) indices of the True runs."""
    d = np.diff(np.concatenate([[0], ok.astype(int), [0]]))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1, strict=True))


# The brute-force authority: both stations' elevation every second with Skyfield and the Sun
# below each station's nautical twilight (every minute, linear between), stored in
# tests/authorities/joint_windows_brute_force.json with the element set, stations and window (its
# README says how); the slow test below regenerates it, the fast one compares passplan with it.
JOINT_AUTHORITY = Path(__file__).resolve().parent / "authorities" / "joint_windows_brute_force.json"
_JOINT_SEED = {  # Delingha at its own 10 deg floor, Nanshan at 25 deg: each station's own constraints
    "t0": "2020-10-27T12:00:00Z", "hours": 32, "twilight_deg": -12.0,
    "stations": [{"id": "delingha", "floor_deg": 10.0}, {"id": "nanshan", "floor_deg": 25.0}],
}


def _joint_scan(doc: dict) -> list[list[float]]:
    """The joint runs of a scenario by brute force: ``[start_s, end_s, max_el_a, max_el_b]``
    (seconds from t0; the first and last whole second where everything holds)."""
    import importlib.resources

    from sgp4.api import Satrec
    from skyfield.api import EarthSatellite, load, load_file, wgs84

    ts = load.timescale(builtin=True)
    eph = load_file(str(importlib.resources.files("skyfield_data") / "data" / "de421.bsp"))
    sat = EarthSatellite.from_satrec(Satrec.twoline2rv(*doc["tle"]), ts)
    t0 = datetime.fromisoformat(doc["t0"].replace("Z", "+00:00"))
    span = int(doc["hours"] * 3600)
    sites = [wgs84.latlon(st["lat_deg"], st["lon_deg"], st["alt_m"]) for st in doc["stations"]]

    def at(sec: np.ndarray):
        return ts.utc(t0.year, t0.month, t0.day, t0.hour, t0.minute, t0.second + sec)

    def elevations(sec: np.ndarray) -> list[np.ndarray]:
        t = at(sec)
        return [(sat - site).at(t).altaz()[0].degrees for site in sites]

    coarse = np.arange(0, span + 1, 30)  # every 1-s scan is done where both see the satellite
    up = np.all([e > 0 for e in elevations(coarse)], axis=0)
    near = np.zeros(span + 1, bool)
    for i in np.flatnonzero(up):
        near[max(0, coarse[i] - 90) : coarse[i] + 91] = True
    sec = np.flatnonzero(near).astype(float)
    els = elevations(sec)
    minutes = np.arange(0, span + 61, 60, dtype=float)
    ok = np.ones(sec.size, bool)
    for st, site, el in zip(doc["stations"], sites, els, strict=True):
        sun = (eph["earth"] + site).at(at(minutes)).observe(eph["sun"]).apparent().altaz()[0].degrees
        ok &= (el >= st["floor_deg"]) & (np.interp(sec, minutes, sun) < doc["twilight_deg"])
    return [[float(sec[i]), float(sec[j]), round(float(els[0][i : j + 1].max()), 4), round(float(els[1][i : j + 1].max()), 4)]
            for i, j in _runs(ok)]


def _joint_seeded() -> dict:
    """The scenario with its element set and station coordinates (from the bundled data)."""
    tle = (Path(__file__).resolve().parents[1] / "data" / "tle" / "micius_41731.tle").read_text().splitlines()
    line1 = next(ln for ln in tle if ln.startswith("1 41731U 16051A   20300"))  # the set of 2020-10-26
    doc = dict(_JOINT_SEED, tle=[line1, tle[tle.index(line1) + 1]])
    stations = {st.id: st for st in select_stations([s["id"] for s in _JOINT_SEED["stations"]])}
    doc["stations"] = [dict(s, lat_deg=stations[s["id"]].lat_deg, lon_deg=stations[s["id"]].lon_deg,
                            alt_m=stations[s["id"]].alt_m) for s in _JOINT_SEED["stations"]]
    return doc


@pytest.mark.slow
def test_stored_joint_windows_match_a_fresh_scan():
    """Regenerate the authority (``--run-slow``): a fresh scan must equal the stored runs;
    ``PASSPLAN_REGENERATE=1`` rewrites the file instead."""
    import os

    doc = json.loads(JOINT_AUTHORITY.read_text()) if JOINT_AUTHORITY.exists() else _joint_seeded()
    runs = _joint_scan(doc)
    if os.environ.get("PASSPLAN_REGENERATE") == "1" or not JOINT_AUTHORITY.exists():
        import scipy
        import skyfield

        doc = {**doc, "runs": runs, "generated_with": {"skyfield": skyfield.__version__, "numpy": np.__version__,
                                                       "scipy": scipy.__version__}}
        JOINT_AUTHORITY.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    assert runs == doc["runs"]


def test_joint_windows_match_the_brute_force_authority():
    """passplan's joint windows equal the stored 1-s scan's runs to the scan's step, with each
    station's highest elevation inside the window to 0.05 deg."""
    from passplan.satellite import Satellite
    from passplan.stations import Station

    doc = json.loads(JOINT_AUTHORITY.read_text())
    t0 = datetime.fromisoformat(doc["t0"].replace("Z", "+00:00"))
    sat = Satellite.from_tle(*doc["tle"], name="micius")
    a, b = (Station(s["id"], s["lat_deg"], s["lon_deg"], s["alt_m"], min_elevation_deg=s["floor_deg"])
            for s in doc["stations"])
    found = joint_windows([sat], a, b, t0, t0 + timedelta(hours=doc["hours"]), Constraints(darkness=doc["twilight_deg"]))
    assert len(found) == len(doc["runs"]) >= 2
    for w, (i, j, el_a, el_b) in zip(found, doc["runs"], strict=True):
        assert abs((w.start - t0).total_seconds() - i) <= 1.0
        assert abs((w.end - t0).total_seconds() - j) <= 1.0
        assert w.max_el_deg_a == pytest.approx(el_a, abs=0.05)
        assert w.max_el_deg_b == pytest.approx(el_b, abs=0.05)
        rec = w.to_dict()
        assert rec["min_range_km_a"] <= rec["max_range_km_a"] and rec["min_link_km"] <= rec["max_link_km"]


def test_joint_windows_refuse_one_station_twice(micius2020):
    dl = select_stations(["delingha"])[0]
    with pytest.raises(InputError, match="two different stations"):
        joint_windows(micius2020, dl, dl, T2020, T2020 + timedelta(hours=1))


# --- the two-arm counting against a Monte-Carlo -----------------------------------------------

def test_pair_counts_against_a_monte_carlo_of_a_pair_source():
    """Pairs at Poisson times, each photon kept with its arm's transmittance, Poisson noise
    clicks, coincidences within +-window/2: true and accidental rates as the formulas say."""
    rng = np.random.default_rng(7)
    src = PairSource(pair_rate_hz=2e5, window_s=2e-7, intrinsic_qber=0.02)
    eta_a, eta_b, noise_a, noise_b, span = 0.05, 0.03, 4e3, 6e3, 20.0
    pairs = np.sort(rng.uniform(0, span, rng.poisson(src.pair_rate_hz * span)))
    keep_a, keep_b = rng.random(pairs.size) < eta_a, rng.random(pairs.size) < eta_b
    both = keep_a & keep_b
    clicks_a = np.sort(np.concatenate([pairs[keep_a], rng.uniform(0, span, rng.poisson(noise_a * span))]))
    clicks_b = np.sort(np.concatenate([pairs[keep_b], rng.uniform(0, span, rng.poisson(noise_b * span))]))
    lo = np.searchsorted(clicks_b, clicks_a - src.window_s / 2)
    hi = np.searchsorted(clicks_b, clicks_a + src.window_s / 2)
    coincidences = int((hi - lo).sum())
    c = pair_counts(src, eta_a, eta_b, noise_a, noise_b)
    assert c.true_cps == pytest.approx(both.sum() / span, rel=0.05)
    expected = float(c.coincidence_cps) * span
    assert abs(coincidences - expected) < 4 * math.sqrt(expected)
    assert float(c.accidental_cps) == pytest.approx(c.singles_a_cps * c.singles_b_cps * src.window_s)
    # matched-basis errors: intrinsic on true coincidences, one half on accidentals
    t, a = float(c.true_cps), float(c.accidental_cps)
    assert float(c.qber) == pytest.approx((0.02 * t + 0.5 * a) / (t + a))


# --- the BBM92 bound ---------------------------------------------------------------------------

@pytest.mark.parametrize("sampling", ["hypergeometric", "serfling"])
def test_phase_error_bound_holds_for_exact_hypergeometric_tails(sampling):
    """Random sampling without replacement, exactly: n pairs with E phase errors, n_t of them
    drawn as the test. For every E, the chance that the key set's error rate exceeds the bound
    given the test's observed rate is at most eps (scipy.stats.hypergeom, brute force over E)."""
    from scipy.stats import hypergeom

    n_t = n_k = 40
    n, eps = n_t + n_k, 1e-3
    total, k = (g.ravel() for g in np.meshgrid(np.arange(n + 1), np.arange(n_t + 1), indexing="ij"))
    p = hypergeom.pmf(k, n, total, n_t)  # zero where k is impossible for that total
    key_rate = np.clip((total - k) / n_k, 0.0, None)
    bound = phase_error_bound(n_t, k / n_t, n_k, eps, sampling)
    # a rate at or above 1/2 leaves no key whatever the bound says: the bound is capped there
    miss = np.minimum(key_rate, 0.5) > bound + 1e-12
    worst = max(float(p[(total == e) & miss].sum()) for e in range(n + 1))
    assert worst <= eps


def test_bbm92_against_yin_2020():
    """1.1 Hz sifted for 3,100 s at QBER 4.5 %, f 1.19, eps 1e-10: Yin 2020's 372 bits within a
    factor 1.5, and the QBER where the key vanishes at that size near its ~6.0 %."""
    k = bbm92_key(1.1 * 3100, 0.045, f_ec=1.19, eps=1e-10)
    assert 372 / 1.5 <= k.secret_key_bits <= 372 * 1.5
    threshold = next(e for e in np.arange(0.05, 0.08, 0.001) if bbm92_key(3410, e).secret_key_bits == 0)
    assert 0.055 <= threshold <= 0.065
    # the variance-free Serfling tail is far more conservative at this size
    assert bbm92_key(3410, 0.045, sampling="serfling").secret_key_bits < k.secret_key_bits / 5


def test_bbm92_refuses_nonsense():
    with pytest.raises(InputError, match="f_ec"):
        bbm92_key(1000, 0.05, f_ec=0.9)
    with pytest.raises(InputError, match="sampling"):
        phase_error_bound(10, 0.1, 10, 1e-3, "chernoff")
    assert bbm92_key(0, 0.0).secret_key_bits == 0.0


# --- the forecast against the papers ------------------------------------------------------------

def _campaign(sats, a: str, b: str, t0: datetime, days: int, profile: str = "micius-entangled"):
    sa, sb = select_stations([a, b])
    found = joint_windows(sats, sa, sb, t0, t0 + timedelta(days=days), Constraints(darkness="station"))
    fs = forecast_pairs(found.windows, profile)
    sec = sum(f.seconds for f in fs)
    true, acc = sum(f.true_coincidences for f in fs), sum(f.accidentals for f in fs)
    sifted, errors = sum(f.sifted_bits for f in fs), sum(f.errors for f in fs)
    return fs, {"rate": (true + acc) / sec, "snr": true / acc, "sifted": sifted / sec, "qber": errors / sifted}


@pytest.fixture(scope="module")
def yin2020(micius2020):
    return _campaign(micius2020, "delingha", "nanshan", datetime(2020, 10, 19, tzinfo=UTC), 14)


def test_forecast_reproduces_yin_2020(yin2020):
    """Two weeks of Delingha-Nanshan joint night windows (the calibration set of the
    micius-entangled profile: rate and SNR are fitted there, QBER derived, so these three agree
    by construction; the finite key is the check)."""
    fs, m = yin2020
    assert m["rate"] == pytest.approx(2.2, rel=0.30)
    assert m["sifted"] == pytest.approx(1.1, rel=0.30)
    assert m["snr"] == pytest.approx(15.0, rel=0.10)
    assert abs(m["qber"] - 0.045) <= 0.01
    key = bbm92_key(m["sifted"] * 3100, m["qber"], f_ec=1.19, eps=1e-10)
    assert 0.12 / 1.5 <= key.secret_key_bits / 3100 <= 0.12 * 1.5
    # one window is too small a block; the pooled campaign is not
    assert all(f.key.secret_key_bits == 0 for f in fs)
    assert pooled_key(fs).secret_key_bits > 0
    # 2020-10-26's window as the CLI shows it in the README
    first = next(f for f in fs if f.window.start.date() == T2020.date())
    assert first.to_dict()["slots"] == 319


def test_forecast_reproduces_yin_2017_qber(tmp_path):
    """Delingha-Lijiang in December 2016 with each link 3 dB worse than in 2020 (Yin 2020: the
    collection efficiency of each link gained 3 dB): QBER within 1 percentage point of ~8.1 %,
    and the Bell value of that error rate, 2 sqrt(2) (1 - 2 E), within 2 sigma of 2.37 +- 0.09.
    Neither figure was used in the calibration."""
    from passplan.link.profiles import bundled_profile_dir

    text = (bundled_profile_dir() / "micius-entangled.toml").read_text()
    assert "\noptics_efficiency = 0.32 " in text
    path = tmp_path / "micius-entangled-2017.toml"
    path.write_text(text.replace("\noptics_efficiency = 0.32 ", "\noptics_efficiency = 0.16 ").replace(
        'name = "micius-entangled"', 'name = "micius-entangled-2017"'))
    sats = resolve_satellites(["micius"], datetime(2016, 12, 19, tzinfo=UTC), True).satellites
    fs, m = _campaign(sats, "delingha", "lijiang", datetime(2016, 12, 12, tzinfo=UTC), 14, str(path))
    assert abs(m["qber"] - 0.081) <= 0.01
    assert abs(2 * math.sqrt(2) * (1 - 2 * m["qber"]) - 2.37) <= 2 * 0.09
    # Yin 2017's summed downlink lengths, 1,600 to 2,400 km, lie within the windows' range
    assert min(float(f.window.link_km.min()) for f in fs) <= 1600 and max(float(f.window.link_km.max()) for f in fs) >= 2400


def test_cli_pair_matches_the_library(micius2020, built_app):
    from typer.testing import CliRunner

    from passplan.cli import app

    args = ["passes", "--pair", "delingha", "nanshan", "--sats", "micius", "--start", "2020-10-26T00:00:00Z",
            "--days", "1", "--night", "station", "--allow-stale", "--format", "json"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    dl, ns = select_stations(["delingha", "nanshan"])
    lib = joint_windows(micius2020, dl, ns, T2020, T2020 + timedelta(days=1), Constraints(darkness="station"))
    assert doc == json.loads(json.dumps(lib.to_records()))
    keyed = CliRunner().invoke(app, [*args, "--key"])
    assert keyed.exit_code == 0
    recs = json.loads(keyed.stdout)
    assert [r["uid"] for r in recs] == [r["uid"] for r in doc] and all("qber" in r for r in recs)
    bad = CliRunner().invoke(app, [*args[:4], "--station", "xinglong", *args[4:]])
    assert bad.exit_code == 2 and "without --station" in bad.stderr


@pytest.mark.parametrize(("extra", "says"), [
    (["--pair", "delingha", "moon"], "unknown station 'moon'"),
    (["--pair", "delingha", "delingha"], "twice"),
    (["--pair", "delingha", "nanshan", "--format", "ics"], "--format ics does not go with --pair"),
    (["--pair", "delingha", "nanshan", "--sort", "max-el"], "--sort does not go with --pair"),
    (["--pair", "delingha", "nanshan", "--min-duration", "nan"], "--min-duration nan"),
    (["--pair", "delingha", "nanshan", "--key", "--profile", "micius"], "--profile micius-entangled"),
    (["--pair", "delingha", "nanshan", "--profile", "micius-entangled"], "--profile and --protocol go with --key"),
    (["--pair", "delingha", "nanshan", "-o", "{missing}"], "cannot write --output"),
    (["--pair", "delingha", "nanshan", "--tz", "Nowhere/Zone"], "unknown IANA time zone"),
])
def test_cli_pair_refusals(extra, says, tmp_path, built_app):
    """Bad --pair invocations: exit 2, one error line naming the option, nothing written."""
    from typer.testing import CliRunner

    from passplan.cli import app

    args = [a.replace("{missing}", str(tmp_path / "no" / "x.json")) for a in extra]
    res = CliRunner().invoke(app, ["passes", "--sats", "micius", "--start", "2020-10-26T00:00Z", "--hours", "6",
                                   "--allow-stale", *args])
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert res.exit_code == 2 and lines[-1].startswith("passplan: error: ") and says in lines[-1], res.stderr
    assert "Traceback" not in res.stderr and not list(tmp_path.iterdir())


def test_coverage_pair_with_equals_joint_windows_per_cell(micius2020):
    """``coverage`` with ``pair_with`` (the CLI's --pair-with): each cell's usable minutes per
    day equal the joint windows of the cell, taken as a station at its centre, with Nanshan
    (both at night), to the sampling step at each window edge."""
    from passplan.coverage import CoverageConstraints, Grid, coverage
    from passplan.stations import Station

    ns = select_stations(["nanshan"])[0]
    t0, days, step = T2020, 2.0, 10.0
    res = coverage(micius2020, Grid.over(2.0, (34, 40, 94, 100)), t0, days, step_s=step,
                   constraints=CoverageConstraints(min_elevation_deg=10.0, darkness="nautical", pair_with=ns))
    joint = res.metrics["usable_min_per_day"]
    assert np.all(joint <= res.metrics["access_min_per_day"]) and joint.max() > 0
    for k, (lat, lon) in list(enumerate(zip(res.lat_deg, res.lon_deg, strict=True)))[::2]:
        cell = Station(f"cell{k}", float(lat), float(lon), 0.0, min_elevation_deg=10.0)
        found = joint_windows(micius2020, cell, ns, t0, t0 + timedelta(days=days), Constraints(darkness="nautical"))
        minutes = sum(w.duration_s for w in found) / 60.0 / days
        assert abs(joint[k] - minutes) <= (2 * len(found) * step) / 60.0 / days + 1e-9, (lat, lon)
    with pytest.raises(InputError, match="pair_with"):
        coverage(micius2020, Grid.over(2.0, (34, 40, 94, 100)), t0, 1.0, profile="micius",
                 constraints=CoverageConstraints(pair_with=ns))
