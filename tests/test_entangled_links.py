"""Entangled links in relays and networks (issue 19, part 1): key directly between two stations
from a satellite's entangled-pair source, no trusted satellite.

Authorities: the network's entangled edge against pooled_key of the same joint windows computed
here through the pair forecast alone (one code path: the network must not recompute it); the
weather draws against a brute-force Monte Carlo of the two stations' skies written out here
(bivariate normals per local night, thresholds from the clear-sky probabilities); max flows
against hand sums. Geometry: Delingha-Nanshan, Micius, eight nights of the 2020 campaign
(Yin et al., Nature 582, 501 (2020)), as tests/test_entangle.py does.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from statistics import NormalDist

import numpy as np
import pytest
from entangled_fakes import FakeForecast, FakeWindow  # noqa: E402  (tests/ is on sys.path: pytest rootdir)

from passplan.elements import resolve_satellites
from passplan.errors import InputError
from passplan.forecast.pair import forecast_pairs, pooled_key
from passplan.pairs import joint_windows
from passplan.passes import Constraints
from passplan.schedule.entangled import (
    EntangledLink,
    both_clear_probability,
    entangled_capacities,
    entangled_draws,
    pick_entangled,
)
from passplan.schedule.network import NetLink, Network, end_to_end, flow_value
from passplan.schedule.run import network_key, relay_key
from passplan.stations import select_stations

T0 = datetime(2020, 10, 19, tzinfo=UTC)
T1 = T0 + timedelta(days=8)
NIGHT = Constraints(darkness="station")
PAIR_NET = Network("pair", {"dl": "Delingha", "ns": "Nanshan"}, [], {"delingha": "dl", "nanshan": "ns"})


@pytest.fixture(scope="module")
def sats():
    return resolve_satellites(["micius"], datetime(2020, 10, 26, tzinfo=UTC), True).satellites


@pytest.fixture(scope="module")
def stations():
    return select_stations(["delingha", "nanshan"])


@pytest.fixture(scope="module")
def ref(sats, stations):
    """The pair forecast of the joint windows alone (no network, no relay)."""
    windows = joint_windows(sats, stations[0], stations[1], T0, T1, NIGHT).windows
    return windows, forecast_pairs(windows, "micius-entangled")


@pytest.fixture(scope="module")
def pair_net_key(sats, stations):
    """network_key over the two-node network whose only path is the entangled edge."""
    return network_key(PAIR_NET, "dl", "ns", sats, stations, T0, T1, NIGHT, entangled=["micius"], weather_trials=0)


def _latent_mc(p_a: float, p_b: float, rho: float, shape: tuple[int, ...], rng: np.random.Generator):
    """Both-clear indicator of two stations' skies: correlated standard normals below their
    clear-sky quantiles (the copula the library states), drawn here independently."""
    z1 = rng.standard_normal(shape)
    z2 = rho * z1 + math.sqrt(1 - rho * rho) * rng.standard_normal(shape)
    nd = NormalDist()
    return (z1 < nd.inv_cdf(p_a)) & (z2 < nd.inv_cdf(p_b))


def _rho(a, b) -> float:
    """exp(-d / 500 km) with d the haversine distance (radius 6371.0088 km, IUGG mean)."""
    p1, p2 = math.radians(a.lat_deg), math.radians(b.lat_deg)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b.lon_deg - a.lon_deg) / 2) ** 2
    return math.exp(-2 * 6371.0088 * math.asin(math.sqrt(h)) / 500.0)


def test_network_edge_is_the_pooled_key_of_the_joint_windows(stations, ref, pair_net_key):
    """A network whose only path is the entangled edge gives exactly that edge: the pooled key
    of the same windows times P(both clear); P(both clear) against a Monte Carlo."""
    windows, fs = ref
    res = pair_net_key
    pooled = pooled_key(fs).secret_key_bits
    assert len(windows) == 10 and pooled > 300  # eight nights pool into a positive key; one window alone gives none
    (e,) = res.entangled
    assert e["windows"] == len(windows) and e["key_bits"] == round(pooled, 1)
    assert e["sifted_bits"] == round(sum(f.sifted_bits for f in fs), 1)
    # the only path: the flow is the edge's expected key, and no satellite holds key
    assert res.satellite_pools == {} and [p for p, _ in res.paths] == [["dl", "ns"]]
    assert res.key_bits == pytest.approx(e["expected_key_bits"], abs=0.05)
    assert res.bottlenecks[0]["kind"] == "entangled" and res.bottlenecks[0]["satellites"] == [e["satellite"]]
    # P(both clear): every window lies in October, so the weighted mean is October's joint probability
    dl, ns = stations
    rng = np.random.default_rng(7)
    both = _latent_mc(dl.clear_sky_probability(10), ns.clear_sky_probability(10), _rho(dl, ns), (400_000,), rng)
    se = math.sqrt(both.mean() * (1 - both.mean()) / both.size)
    assert abs(e["p_both_clear"] - both.mean()) < 4 * se + 1e-4
    assert res.key_bits == pytest.approx(pooled * e["p_both_clear"], rel=1e-3)
    # independent skies would give p_a p_b: the correlation of nearby stations raises it
    assert e["p_both_clear"] > dl.clear_sky_probability(10) * ns.clear_sky_probability(10)


def test_entangled_edge_in_series_and_in_parallel(ref, stations):
    """Max flow with the entangled edge: in series with fibres it is the bottleneck, in parallel
    with a fibre the two add (hand sums)."""
    windows, fs = ref
    dl, ns = stations
    p = np.array([both_clear_probability(dl, ns, w.start) for w in windows])
    link = EntangledLink("QSS (MOZI)", ("delingha", "nanshan"), "micius-entangled", fs, pooled_key(fs), p)
    period = (T1 - T0).total_seconds()
    nodes = {"a": "A", "dl": "Delingha", "ns": "Nanshan", "b": "B"}
    series = Network("series", nodes, [NetLink("a", "dl", "fibre", 1.0), NetLink("ns", "b", "fibre", 1.0)],
                     {"delingha": "dl", "nanshan": "ns"})
    ecap = entangled_capacities(series, [link])
    assert ecap == {("delingha", "nanshan", "QSS (MOZI)"): pytest.approx(link.expected_key_bits)}
    res = end_to_end(series, "a", "b", period, None, ecap)
    assert res.key_bits == pytest.approx(link.expected_key_bits) and res.paths[0][0] == ["a", "dl", "ns", "b"]
    assert [b["kind"] for b in res.bottlenecks] == ["entangled"]
    parallel = Network("parallel", nodes, [NetLink("dl", "ns", "fibre", 1e-4)], {"delingha": "dl", "nanshan": "ns"})
    both = end_to_end(parallel, "dl", "ns", period, None, entangled_capacities(parallel, [link]))
    assert both.key_bits == pytest.approx(1e-4 * period + link.expected_key_bits)
    assert both.bottlenecks[0]["kind"] == "fibre" and both.bottlenecks[0]["entangled_bits"] == round(link.expected_key_bits, 1)
    # two stations on one node: key within a node is no edge
    one = Network("one", {"x": "X", "y": "Y"}, [NetLink("x", "y", "fibre", 1.0)], {"delingha": "x", "nanshan": "x"})
    assert entangled_capacities(one, [link]) and flow_value(one, "x", "y", period, None, entangled_capacities(one, [link])) == period


def test_weather_draws_against_a_brute_force_monte_carlo(ref, stations):
    """A small case (five windows over four nights, a brighter source so that subsets carry
    key): the draws' mean, share of no key and percentiles against a brute-force Monte Carlo of
    both stations' skies per local night, each draw pooling the windows where both are clear."""
    windows, _ = ref
    dl, ns = stations
    ws = windows[:5]
    fs = forecast_pairs(ws, "micius-entangled", pair_rate_hz=2.4e7)
    p = np.array([both_clear_probability(dl, ns, w.start) for w in ws])
    link = EntangledLink("QSS (MOZI)", ("delingha", "nanshan"), "micius-entangled", fs, pooled_key(fs), p)
    period = (T1 - T0).total_seconds()
    trials = 10_000
    lib = entangled_draws([], [link], {"delingha": dl, "nanshan": ns},
                          lambda _b, eb: flow_value(PAIR_NET, "dl", "ns", period, None,
                                                    entangled_capacities(PAIR_NET, [link], eb)),
                          trials=trials, seed=11, expectation_replay_bits=link.expected_key_bits)
    # brute force: one sky per station and local night (mean solar date of t - 12 h)
    nights = [(w.start + timedelta(hours=dl.lon_deg / 15 - 12)).date() for w in ws]
    assert nights == [(w.start + timedelta(hours=ns.lon_deg / 15 - 12)).date() for w in ws]
    distinct = sorted(set(nights))
    assert len(distinct) < len(ws)  # two windows share a night: their skies are one draw
    rng = np.random.default_rng(2024)
    clear_night = _latent_mc(dl.clear_sky_probability(10), ns.clear_sky_probability(10), _rho(dl, ns),
                             (trials, len(distinct)), rng)
    mask = clear_night[:, [distinct.index(n) for n in nights]]
    memo: dict[bytes, float] = {}
    brute = np.empty(trials)
    for k in range(trials):
        key = mask[k].tobytes()
        if key not in memo:
            memo[key] = pooled_key([f for f, c in zip(fs, mask[k], strict=True) if c]).secret_key_bits
        brute[k] = memo[key]
    assert len(memo) > 4 and brute.max() > 0 and (brute == 0).any()
    se = math.sqrt(lib.std_bits**2 / trials + brute.var(ddof=1) / trials)
    assert abs(lib.mean_bits - brute.mean()) < 4 * se
    pz = (brute == 0).mean()
    assert abs(lib.p_zero - pz) < 4 * math.sqrt(2 * pz * (1 - pz) / trials)
    assert lib.clear_sky_bound_bits == pytest.approx(pooled_key(fs).secret_key_bits)
    # the finite key is not linear in the block: forecast x P(both clear) is above the mean
    assert lib.expectation_replay_bits > lib.mean_bits


def test_relay_gives_the_entangled_key_beside_the_trusted_one(sats, stations, ref):
    """relay_key(entangled=True): the same satellites' entangled key between the pair (the
    same pooled key), beside an unchanged trusted-relay figure."""
    _, fs = ref
    pair = ("delingha", "nanshan")
    res = relay_key(sats, stations, pair, T0, T1, NIGHT, weather_trials=0, entangled=True)
    plain = relay_key(sats, stations, pair, T0, T1, NIGHT, weather_trials=0)
    doc = res.to_dict()
    ent = doc.pop("entangled")
    assert doc == plain.to_dict() and "entangled" not in plain.to_dict()
    assert ent["key_bits"] == round(pooled_key(fs).secret_key_bits, 1) and ent["profile"] == "micius-entangled"
    assert ent["links"][0]["windows"] == len(fs) and "weather" not in ent
    # no joint window: zero and a reason
    short = relay_key(sats, stations, pair, T0, T0 + timedelta(hours=6), NIGHT, weather_trials=0, entangled=True)
    assert short.entangled is not None and short.entangled["key_bits"] == 0 and "both" in short.entangled["reason"]


def test_refusals(sats, stations):
    with pytest.raises(InputError, match="^entangled satellite 'nope'"):
        pick_entangled(sats, ["nope"])
    assert pick_entangled(sats, ["41731"])[0] == list(sats)
    with pytest.raises(InputError, match="^entangled_profile 'micius'"):
        network_key(PAIR_NET, "dl", "ns", sats, stations, T0, T1, NIGHT, entangled=["micius"], entangled_profile="micius")
    with pytest.raises(InputError, match="no satellite stations"):
        network_key(Network("bare", {"x": "X", "y": "Y"}, [NetLink("x", "y", "fibre", 1.0)], {}), "x", "y", sats,
                    stations, T0, T1, NIGHT, entangled=["micius"])


# ---- cloud records with entangled links (issue 19, part 3) -------------------------------------




#: three windows, hours 1, 3 and 5 after H0, 300 s each: sifted bits and QBER (Micius-like: a few
#: thousand sifted bits a block, Yin 2020's 4.5 %)
H0 = datetime(2020, 10, 20, 12, tzinfo=UTC)
WINDOWS = [(1, 2000.0, 0.04), (3, 1500.0, 0.05), (5, 2500.0, 0.045)]
#: recorded cloud fractions at hours 0..6 (hourly samples: each window sits on one sample)
CLOUD = {"delingha": [0.0, 0.0, 0.0, 0.5, 0.0, 0.0, 0.0], "nanshan": [0.0, 0.2, 0.0, 0.0, 0.0, 1.0, 0.0]}


def _hand_link(stations):
    from passplan.forecast.resolve import resolve_link

    profile = resolve_link("micius-entangled").profile
    fs = [FakeForecast(FakeWindow(f"w{h}", "S0", H0 + timedelta(hours=h), H0 + timedelta(hours=h, seconds=300)), n, n * q,
                    profile) for h, n, q in WINDOWS]
    p = np.array([both_clear_probability(stations[0], stations[1], f.window.start) for f in fs])
    return EntangledLink("S0", ("delingha", "nanshan"), "micius-entangled", fs, pooled_key(fs), p)  # type: ignore[arg-type]


def _record(mode: str = "fraction", only: tuple[str, ...] = ("delingha", "nanshan")):
    from passplan.schedule.cloud_record import CloudRecord, StationClouds

    t = np.array([(H0 + timedelta(hours=h)).timestamp() for h in range(7)])
    return CloudRecord({st: StationClouds(t, np.array(CLOUD[st]), 3600.0) for st in only}, "hand.csv", mode)


def _hand_key(weights: list[float]) -> float:
    """The BBM92 key of the weighted sums, by hand (Yin 2020's f_ec 1.19 and eps 1e-10, the
    micius-entangled profile's)."""
    from passplan.keyrate.bbm92 import bbm92_key

    sifted = sum(w * n for w, (_, n, _) in zip(weights, WINDOWS, strict=True))
    errors = sum(w * n * q for w, (_, n, q) in zip(weights, WINDOWS, strict=True))
    return bbm92_key(sifted, errors / sifted, f_ec=1.19, eps=1e-10).secret_key_bits


def test_recorded_entangled_key_by_hand(stations):
    """Both stations recorded: each window keeps the product of the two stations' clear shares
    (fraction rule: 1 x 0.8, 0.5 x 1, 1 x 0 = 0.8, 0.5, 0), the kept sifted bits and errors
    pooled into one BBM92 block; the threshold rule (0.5) keeps windows 1 and 2 whole: the
    pooled key of exactly those; every weather draw is the record's (nothing left to draw)."""
    from passplan.schedule.entangled import record_shares, recorded_key_bits, recorded_weights

    link = _hand_link(stations)
    by_id = {s.id: s for s in stations}
    rec = _record()
    assert record_shares(link, rec).ravel().tolist() == pytest.approx([1.0, 0.8, 0.5, 1.0, 1.0, 0.0])
    assert recorded_weights(link, rec, by_id).tolist() == pytest.approx([0.8, 0.5, 0.0])
    want = _hand_key([0.8, 0.5, 0.0])
    assert want > 0 and recorded_key_bits(link, rec, by_id) == pytest.approx(want, rel=1e-12)
    assert link.key_of(np.ones(3)) == pytest.approx(link.key_bits, rel=1e-12)  # no cloud: the clear-sky block
    thr = _record("threshold")
    assert recorded_key_bits(link, thr, by_id) == pytest.approx(pooled_key(link.forecasts[:2]).secret_key_bits)
    draws = entangled_draws([], [link], by_id, lambda _b, eb: float(sum(eb)), trials=50, seed=1,
                            expectation_replay_bits=want, cloud_record=rec)
    assert draws.mean_bits == pytest.approx(want) and draws.std_bits == pytest.approx(0.0, abs=1e-9)


def test_recorded_entangled_key_with_one_station_drawn(stations):
    """Only Delingha recorded: Nanshan keeps its weather draws (its clear-sky probability in the
    replay); in each draw a window keeps Delingha's recorded share where Nanshan is clear, none
    where it is cloudy: a brute force over the draws' Nanshan patterns."""
    from passplan.schedule.entangled import recorded_weights
    from passplan.weather import clear_draws

    link = _hand_link(stations)
    dl, ns = stations
    by_id = {s.id: s for s in stations}
    rec = _record(only=("delingha",))
    p_ns = ns.clear_sky_probability(10)
    assert recorded_weights(link, rec, by_id).tolist() == pytest.approx([p_ns, 0.5 * p_ns, p_ns])
    draws = entangled_draws([], [link], by_id, lambda _b, eb: float(sum(eb)), trials=40, seed=2,
                            expectation_replay_bits=0.0, cloud_record=rec)
    ends = [(st, f.window.start) for f in link.forecasts for st in ("delingha", "nanshan")]
    clear = clear_draws(ends, by_id, trials=40, seed=2)  # the same seeded draws
    want = [_hand_key([a * float(c) for a, c in zip([1.0, 0.5, 1.0], row[1::2], strict=True)])
            if row[1::2].any() else 0.0 for row in clear]
    assert len(set(np.round(want, 6))) > 1  # the drawn station matters
    assert draws.mean_bits == pytest.approx(float(np.mean(want)), rel=1e-12)
    assert draws.std_bits == pytest.approx(float(np.std(want, ddof=1)), rel=1e-9)


def test_relay_and_network_take_a_record_with_entangled(stations, monkeypatch):
    """``relay_key`` and ``network_key`` with ``entangled`` and ``cloud_record`` (no longer
    refused): the entangled link's recorded key is the hand value, the network's edge carries
    it, and the documents list the windows' cloud at both stations (the joint windows are the
    hand case's: the geometry is replaced, not under test here)."""
    from types import SimpleNamespace

    import passplan.schedule.entangled as ent_mod
    from passplan.schedule.run import _relay_entangled

    link = _hand_link(stations)
    monkeypatch.setattr(ent_mod, "entangled_links", lambda *a, **k: [link])
    rec = _record()
    want = _hand_key([0.8, 0.5, 0.0])
    doc = _relay_entangled([], stations, ("delingha", "nanshan"), H0, H0 + timedelta(hours=6), None,
                           "micius-entangled", weather_trials=20, seed=0, demand_bits=None, record=rec)
    assert doc["recorded_key_bits"] == round(want, 1) == doc["links"][0]["recorded_key_bits"]
    assert "weather" not in doc  # both stations recorded: nothing to draw
    assert [(r["cloud_fraction_a"], r["cloud_fraction_b"]) for r in doc["cloud_record"]] == [
        (0.0, 0.2), (0.5, 0.0), (0.0, 1.0)]
    sat = SimpleNamespace(name="S0", aliases=(), norad_id=None)
    res = network_key(PAIR_NET, "dl", "ns", [sat], stations, H0, H0 + timedelta(hours=6), None,
                      entangled=["S0"], cloud_record=rec, weather_trials=20)
    assert res.key_bits == pytest.approx(want, abs=1e-6) and res.weather is None
    assert res.entangled is not None and res.entangled[0]["recorded_key_bits"] == round(want, 1)
    assert res.cloud_record is not None and len(res.cloud_record["entangled"]) == 3


@pytest.mark.parametrize(("extra", "says"), [
    (["--entangled-profile", "micius-entangled2"], "--entangled-profile applies with --entangled"),
    (["--entangled", "--entangled-profile", "micius"], "--entangled-profile 'micius'"),
])
def test_cli_relay_refusals(extra, says):
    from typer.testing import CliRunner

    from passplan.cli import app

    res = CliRunner().invoke(app, ["relay", "delingha", "nanshan", "--sats", "micius", "--start", "2020-10-19T00:00Z",
                                   "--days", "1", "--allow-stale", *extra])
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert res.exit_code == 2 and lines[-1].startswith("passplan: error: ") and says in lines[-1], res.stderr
    assert "Traceback" not in res.stderr


def test_cli_network_entangled_matches_the_library(tmp_path, pair_net_key):
    from typer.testing import CliRunner

    from passplan.cli import app

    toml = tmp_path / "pair.toml"
    toml.write_text('[network]\nname = "pair"\n[nodes.dl]\nname = "Delingha"\n[nodes.ns]\nname = "Nanshan"\n'
                    '[stations]\ndelingha = "dl"\nnanshan = "ns"\n')
    args = ["network", str(toml), "--from", "dl", "--to", "ns", "--sats", "micius", "--start", "2020-10-19T00:00Z",
            "--days", "8", "--night", "station", "--allow-stale", "--weather-trials", "0", "--entangled", "micius"]
    res = CliRunner().invoke(app, [*args, "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == json.loads(pair_net_key.to_json())  # the same network read from the file
    bad = CliRunner().invoke(app, [*args[:-1], "nope"])
    assert bad.exit_code == 2 and "--entangled satellite 'nope'" in bad.stderr


def test_cli_network_takes_a_record_with_entangled(tmp_path, stations, monkeypatch):
    """``network --entangled --cloud-record`` (refused before): the record read from its CSV, the
    entangled edge at the hand value (the joint windows are the hand case's)."""
    from typer.testing import CliRunner

    import passplan.schedule.entangled as ent_mod
    from passplan.cli import app

    link = _hand_link(stations)
    monkeypatch.setattr(ent_mod, "entangled_links", lambda *a, **k: [link])
    csv = tmp_path / "clouds.csv"
    csv.write_text("station,time,cloud_fraction\n" + "".join(
        f"{st},{(H0 + timedelta(hours=h)).strftime('%Y-%m-%dT%H:%MZ')},{c}\n"
        for st, cs in CLOUD.items() for h, c in enumerate(cs)))
    toml = tmp_path / "pair.toml"
    toml.write_text('[network]\nname = "pair"\n[nodes.dl]\nname = "Delingha"\n[nodes.ns]\nname = "Nanshan"\n'
                    '[stations]\ndelingha = "dl"\nnanshan = "ns"\n')
    args = ["network", str(toml), "--from", "dl", "--to", "ns", "--sats", "micius", "--start", "2020-10-20T12:00Z",
            "--hours", "6", "--allow-stale", "--weather-trials", "0", "--entangled", "micius", "--cloud-record", str(csv)]
    res = CliRunner().invoke(app, [*args, "--format", "json"])
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    want = _hand_key([0.8, 0.5, 0.0])
    assert doc["entangled"][0]["recorded_key_bits"] == round(want, 1)
    assert [r["cloud_fraction_b"] for r in doc["cloud_record"]["entangled"]] == [0.2, 0.0, 1.0]
