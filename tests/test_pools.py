"""Key pools over time (passplan.schedule.pools): a hand-computed relay case with storage and
lifetime, the static max flow as the bound and its equality on the bundled china-integrated
network (an independent Edmonds-Karp), and networkx's max flows over prefixes (the min-plus
service bound of network calculus) on small random trees and meshes."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from passplan.errors import ConfigError, InputError, UnknownNameError
from passplan.schedule.network import NetLink, Network, end_to_end, load_network
from passplan.schedule.pools import AppDemand, Deposit, load_demands, pool_timeline

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


# A relay by hand: nodes A and B joined only through satellite S (stations sa at A, sb at B).
RELAY = Network("hand", {"A": "A", "B": "B"}, [], {"sa": "A", "sb": "B"})
DEPOSITS = [
    Deposit("sa", "S", at(100), 500.0),
    Deposit("sb", "S", at(200), 300.0),
    Deposit("sa", "S", at(600), 400.0),
    Deposit("sb", "S", at(700), 400.0),
]


def one(**kw: object) -> object:
    return pool_timeline(RELAY, [AppDemand("A", "B", 1.0)], T0, at(1000), DEPOSITS, **kw)[0]  # type: ignore[arg-type]


def test_hand_relay_no_limits() -> None:
    """1 bit/s from 0 to 1000 s. Key pairs from t=200 (A 500, B 300): 300 bits serve 200-500;
    dry until B's 400 at 700 (A then holds 200 + 400); 300 more serve 700-1000. Served 600 of
    1000; first key at 200; outages 0-200 and 500-700 (the 200-600 step is served 300 of 400,
    first, so it runs dry at 500 and the run continues through the unserved 600-700 step)."""
    tl = one()
    f = tl.figures[0]
    assert list(tl.times_s) == [0, 100, 200, 600, 700, 1000]
    assert tl.served_bits[0] == pytest.approx([0, 0, 300, 0, 300], abs=1e-6)
    assert f["served_bits"] == pytest.approx(600)
    assert f["fraction_served"] == pytest.approx(0.6)
    assert f["first_key_s"] == 200
    assert f["longest_outage_s"] == pytest.approx(200)
    assert f["outage_s"] == pytest.approx(400)
    # stores: A holds its pool with S (500 at 200, 200 at 600, 600 at 700, 300 at the end)
    assert tl.node_store_bits["A"] == pytest.approx([0, 0, 500, 200, 600, 300], abs=1e-6)
    assert tl.node_store_bits["B"] == pytest.approx([0, 0, 0, 0, 0, 100], abs=1e-6)
    # the pair's store: min of the two pools; it only has key left at the end
    assert tl.demand_store_bits[0] == pytest.approx([0, 0, 0, 0, 0, 100], abs=1e-6)
    assert f["lowest_store_bits"] == pytest.approx(0)
    # the store that avoids every outage from the first key (t=200) on: 500 bits wanted in
    # (200, 700], and the key arriving after 200 and before 700 (A's 400 at 600) pairs with
    # nothing, so 500 must be held at 200 (300 were)
    assert f["storage_to_avoid_outages_bits"] == pytest.approx(500)


def test_storage_figure_is_the_store_that_avoids_the_outages() -> None:
    """A and B each get 1000 bits at t=100 and 1 bit/s is wanted to 1000 s: the demand must
    hold 900 bits at 100; on board the satellite that is 1800 (two pools of 900): with an
    1800-bit store there is no outage after the first key, with 1790 there is one (5 s)."""
    deps = [Deposit("sa", "S", at(100), 1000.0), Deposit("sb", "S", at(100), 1000.0)]
    free, = pool_timeline(RELAY, [AppDemand("A", "B", 1.0)], T0, at(1000), deps)
    assert free.figures[0]["storage_to_avoid_outages_bits"] == pytest.approx(900)
    assert free.figures[0]["outage_s"] == pytest.approx(100)  # before the first key only
    enough, = pool_timeline(RELAY, [AppDemand("A", "B", 1.0)], T0, at(1000), deps, satellite_storage_bits=1800.0)
    assert enough.figures[0]["outage_s"] == pytest.approx(100)
    short, = pool_timeline(RELAY, [AppDemand("A", "B", 1.0)], T0, at(1000), deps, satellite_storage_bits=1790.0)
    assert short.figures[0]["outage_s"] == pytest.approx(105)
    assert short.figures[0]["lowest_store_bits"] == pytest.approx(0, abs=1e-6)


def test_hand_relay_storage_and_lifetime() -> None:
    # a 600-bit store on board: at 700 the pools hold 600 (A) + 400 (B); 400 bits must go, the
    # service is unchanged (300 can still be paired from 700 on)
    tl = one(satellite_storage_bits=600.0)
    assert tl.figures[0]["served_bits"] == pytest.approx(600)
    assert max(tl.node_store_bits["sat:S"]) <= 600 + 1e-6
    # a 450-s lifetime: A's 500 (t=100) expire at 550, so the 200-550 step serves 300 and A
    # holds nothing at 550 and 600; the grid gains the expiry times 550 and 650
    tl = one(lifetime_s=450.0)
    assert list(tl.times_s) == [0, 100, 200, 550, 600, 650, 700, 1000]
    assert tl.node_store_bits["A"] == pytest.approx([0, 0, 500, 0, 0, 400, 400, 100], abs=1e-6)
    assert tl.figures[0]["served_bits"] == pytest.approx(600)
    # a 250-s lifetime: A's first 500 (t=100) pair with B's 300 (t=200) until A's expire at
    # 350: 150 served; B's rest expire at 450; A's 400 (t=600, expiring at 850) pair with B's
    # 400 (t=700) from 700 to 850: 150 more
    tl = one(lifetime_s=250.0)
    assert tl.figures[0]["served_bits"] == pytest.approx(300)
    assert tl.figures[0]["longest_outage_s"] == pytest.approx(350)  # 350 to 700


def test_store_limit_at_a_ground_node_counts_every_pool() -> None:
    # A holds its pools with S and with the fibre to C: a 500-bit store at A takes 500 at 100,
    # and the fibre's key (1 bit/s) must be discarded while the pool with S is full
    net = Network("hand2", {"A": "A", "B": "B", "C": "C"}, [NetLink("A", "C", "fibre", 1.0)], {"sa": "A", "sb": "B"})
    tl = pool_timeline(net, [AppDemand("A", "B", 1.0)], T0, at(1000), DEPOSITS, storage_bits=500.0)[0]
    assert max(tl.node_store_bits["A"]) <= 500 + 1e-6
    assert tl.figures[0]["served_bits"] == pytest.approx(600)


def _chain(rng: np.random.Generator, mesh: bool) -> tuple[Network, list[Deposit], float]:
    """A small random network: ground nodes n0..n3 (fibre chain n1-n2-n3, plus n0-n2 and n1-n3
    in a mesh), stations s0 at n0 and s1 at n1, satellites X and Y; random deposits."""
    links = [NetLink("n1", "n2", "fibre", float(rng.uniform(0.2, 2))), NetLink("n2", "n3", "fibre", float(rng.uniform(0.2, 2)))]
    if mesh:
        links += [NetLink("n0", "n2", "fibre", float(rng.uniform(0.05, 0.5))), NetLink("n1", "n3", "fibre", float(rng.uniform(0.1, 1)))]
    net = Network("rand", {f"n{i}": f"n{i}" for i in range(4)}, links, {"s0": "n0", "s1": "n1"})
    sats = ["X"] if not mesh else ["X", "Y"]
    deps = [
        Deposit(str(rng.choice(["s0", "s1"])), str(rng.choice(sats)), at(float(rng.uniform(0, 1000))), float(rng.uniform(0, 800)))
        for _ in range(6)
    ]
    return net, deps, float(rng.uniform(0.5, 3))


def _nx_service_bound(net: Network, deps: list[Deposit], times: np.ndarray, rate: float, s: str, t: str) -> float:
    """max served by T for a demand of ``rate`` fed by supply F(u) (networkx max flow of every
    key deposited before u): min over grid times u of F(u) + rate (T - u) (the min-plus service
    curve; F jumps at the grid times, so its left limits are the candidates)."""
    horizon = float(times[-1])
    best = math.inf
    for u in times:
        g = nx.Graph()
        for ln in net.links:
            cap = ln.rate_bps * u
            if g.has_edge(ln.a, ln.b):
                g[ln.a][ln.b]["capacity"] += cap
            else:
                g.add_edge(ln.a, ln.b, capacity=cap)
        for d in deps:
            if (d.at - T0).total_seconds() < u - 1e-9:
                a, b = net.stations[d.station], f"sat:{d.satellite}"
                if g.has_edge(a, b):
                    g[a][b]["capacity"] += d.bits
                else:
                    g.add_edge(a, b, capacity=d.bits)
        f = nx.maximum_flow_value(g, s, t) if g.has_node(s) and g.has_node(t) else 0.0
        best = min(best, f + rate * (horizon - u))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_random_cases_against_networkx(seed: int) -> None:
    """On a tree (one path between the ends) the timeline serves exactly the min-plus service
    bound of networkx's prefix max flows; on a mesh never more; never more than the static max
    flow of the totals; with unlimited rate exactly that static max flow."""
    rng = np.random.default_rng(seed)
    mesh = seed % 2 == 1
    net, deps, rate = _chain(rng, mesh)
    tl = pool_timeline(net, [AppDemand("n0", "n3", rate)], T0, at(1000), deps)[0]
    served = tl.figures[0]["served_bits"]
    bound = _nx_service_bound(net, deps, tl.times_s, rate, "n0", "n3")
    totals: dict[tuple[str, str], float] = {}
    for d in deps:
        totals[(d.station, d.satellite)] = totals.get((d.station, d.satellite), 0.0) + d.bits
    static = end_to_end(net, "n0", "n3", 1000.0, totals).key_bits
    assert served <= static + 1e-6
    if mesh:
        assert served <= bound + 1e-6
    else:
        assert served == pytest.approx(bound, rel=1e-6, abs=1e-6)
    # a demand fast enough that the last step alone carries the whole max flow: equality
    last = float(tl.times_s[-1] - tl.times_s[-2])
    big = pool_timeline(net, [AppDemand("n0", "n3", 2 * static / last + 1.0)], T0, at(1000), deps)[0]
    assert big.figures[0]["served_bits"] == pytest.approx(static, rel=1e-6, abs=1e-6)


def test_china_integrated_timeline_equals_static_max_flow() -> None:
    """The bundled network, a day of satellite deposits at its two stations (fixed, from the
    demo fleet's pattern: SSO passes of 10^4-10^6 bits, MEO passes of ~10^8): with no storage
    limit and no lifetime, a demand nanshan:shanghai whose rate lets the last step carry the
    whole flow is served exactly the static max flow of the day's totals (network.end_to_end,
    Edmonds-Karp), and a slower demand never more."""
    net = load_network("china-integrated")
    rng = np.random.default_rng(19)
    deps = []
    for k in range(24):
        sat = "MEO" if k % 6 == 0 else f"SSO-{k % 5}"
        bits = float(rng.uniform(5e7, 2.5e8) if sat == "MEO" else rng.uniform(1e4, 6e5))
        deps.append(Deposit(str(rng.choice(["xinglong", "nanshan"])), sat, at(float(rng.uniform(0, 86000))), bits))
    totals: dict[tuple[str, str], float] = {}
    for d in deps:
        totals[(d.station, d.satellite)] = totals.get((d.station, d.satellite), 0.0) + d.bits
    static = end_to_end(net, "nanshan", "shanghai", 86400.0, totals).key_bits
    assert static > 1e7  # the satellites carry key, the fibre backbone does not limit it
    slow, = pool_timeline(net, [AppDemand("nanshan", "shanghai", 1024.0)], T0, at(86400), deps)
    last = float(slow.times_s[-1] - slow.times_s[-2])
    fast, = pool_timeline(net, [AppDemand("nanshan", "shanghai", 2 * static / last)], T0, at(86400), deps)
    assert fast.figures[0]["served_bits"] == pytest.approx(static, rel=1e-6)
    assert slow.figures[0]["served_bits"] <= static + 1e-6
    # a demand on the fibre alone gets its rate times the day where the backbone allows it
    fib, = pool_timeline(net, [AppDemand("beijing", "shanghai", 1e4)], T0, at(86400), deps)
    assert fib.figures[0]["fraction_served"] == pytest.approx(1.0)
    assert fib.figures[0]["longest_outage_s"] == 0.0


def test_china_integrated_forecast_day_equals_static_max_flow() -> None:
    """The same on the demo fleet's own scheduled links over 14 h (key_pools: pass search,
    forecasts, the network's plan): the replay of expected key with a demand that can take the
    whole flow in the last step serves exactly the reported static max flow."""
    from passplan.elements import resolve_satellites
    from passplan.schedule.pools import key_pools
    from passplan.stations import select_stations

    net = load_network("china-integrated")
    t0 = datetime(2026, 12, 2, 10, tzinfo=UTC)
    sats = resolve_satellites(["demo"], t0).satellites
    res = key_pools(net, [AppDemand("nanshan", "shanghai", 256.0)], sats, select_stations(sorted(net.stations)), t0,
                    t0 + timedelta(hours=14), weather_trials=0)
    bound = res.demands[0].static_max_flow_bits
    assert bound > 1e6 and res.deposits
    assert res.demands[0].expectation_replay["served_bits"] <= bound
    last = float(res.timeline.times_s[-1] - res.timeline.times_s[-2])
    fast, = pool_timeline(net, [AppDemand("nanshan", "shanghai", 2 * bound / last)], t0, t0 + timedelta(hours=14),
                          res.deposits, draws=np.array([res.expected_factors]))
    assert fast.figures[0]["served_bits"] == pytest.approx(bound, rel=1e-6)


def test_fair_objective_lifts_the_worst_demand() -> None:
    # two demands share one fibre of 1 bit/s: total serves either; fair gives both the same share
    net = Network("share", {"A": "A", "B": "B", "C": "C"}, [NetLink("A", "B", "fibre", 1.0), NetLink("B", "C", "fibre", 5.0)], {})
    dem = [AppDemand("A", "B", 1.0, "ab"), AppDemand("A", "C", 3.0, "ac")]
    fair, = pool_timeline(net, dem, T0, at(100), objective="fair")
    assert fair.fair_fraction == pytest.approx(0.25, rel=1e-6)  # 1 bit/s split 1:3
    assert [f["fraction_served"] for f in fair.figures] == pytest.approx([0.25, 0.25], rel=1e-5)
    total, = pool_timeline(net, dem, T0, at(100), objective="total")
    assert sum(f["served_bits"] for f in total.figures) == pytest.approx(100.0, rel=1e-5)


def test_draws_scale_deposits_and_repeat_patterns() -> None:
    draws = np.array([[1, 1, 1, 1], [0, 1, 1, 1], [1, 1, 1, 1]], float)
    tls = pool_timeline(RELAY, [AppDemand("A", "B", 1.0)], T0, at(1000), DEPOSITS, draws=draws)
    assert tls[0] is tls[2]  # one programme per distinct pattern
    again = pool_timeline(RELAY, [AppDemand("A", "B", 1.0)], T0, at(1000), DEPOSITS, draws=draws)
    assert all(np.array_equal(a.served_bits, b.served_bits) for a, b in zip(tls, again, strict=True))  # deterministic
    # A's first 500 cloudy: B's 300 pair with A's 400 from 600 (100 bits to 700), then B's 600
    # with A's 300 (300 bits to 1000)
    assert tls[1].figures[0]["served_bits"] == pytest.approx(400)


def test_demand_parsing_and_file(tmp_path: Path) -> None:
    d = AppDemand.parse("bank@beijing:shanghai=1024")
    assert (d.label, d.a, d.b, d.rate_bps) == ("bank", "beijing", "shanghai", 1024.0)
    assert AppDemand.parse("a:b=2").label == "a:b"
    assert AppDemand.from_refresh("a", "b", key_bits=256, refresh_s=60, users=100).rate_bps == pytest.approx(256 * 100 / 60)
    for bad in ("a:b", "a=3", "a:b=x", "a:b=-1", "@a:b=1", "a:b:c=1"):
        with pytest.raises(InputError, match="demand"):
            AppDemand.parse(bad)
    with pytest.raises(InputError, match="two different nodes"):
        AppDemand.parse("a:a=1")
    f = tmp_path / "d.toml"
    f.write_text('[[demands]]\nname = "bank"\na = "beijing"\nb = "shanghai"\nkey_bits = 256\nrefresh_s = 1\nusers = 4\n'
                 '[[demands]]\na = "xinglong"\nb = "hefei"\nrate_bps = 100\n')
    ds = load_demands(f)
    assert [(x.label, x.rate_bps) for x in ds] == [("bank", 1024.0), ("xinglong:hefei", 100.0)]
    f.write_text('[[demands]]\na = "x"\nb = "y"\nrate_bps = 1\nkey_bits = 256\n')
    with pytest.raises(ConfigError, match="rate_bps"):
        load_demands(f)
    f.write_text('[[demands]]\na = "x"\nb = "y"\nrate = 1\n')
    with pytest.raises(ConfigError, match="rate"):
        load_demands(f)


@pytest.mark.parametrize(
    ("kw", "err", "needle"),
    [
        ({"storage_bits": -1.0}, InputError, "storage_bits"),
        ({"satellite_storage_bits": math.inf}, InputError, "satellite_storage_bits"),
        ({"lifetime_s": 0.0}, InputError, "lifetime_s"),
        ({"objective": "max"}, UnknownNameError, "objective"),
        ({"storage_bits": {"Z": 1.0}}, UnknownNameError, "storage_bits"),
    ],
)
def test_bad_options(kw: dict[str, object], err: type[Exception], needle: str) -> None:
    with pytest.raises(err, match=needle):
        pool_timeline(RELAY, [AppDemand("A", "B", 1.0)], T0, at(10), **kw)  # type: ignore[arg-type]
    with pytest.raises(UnknownNameError, match="node"):
        pool_timeline(RELAY, [AppDemand("A", "Q", 1.0)], T0, at(10))
    with pytest.raises(InputError, match="end"):
        pool_timeline(RELAY, [AppDemand("A", "B", 1.0)], at(10), T0)


def test_cli_pools_json_csv_and_plot(tmp_path: Path) -> None:
    """The command on the bundled network and demand file over 14 h of the demo fleet: the JSON
    document's keys, the bound, the CSV rows, a PNG figure."""
    import json

    from typer.testing import CliRunner

    from passplan.cli import app
    from passplan.cli.pools import DEFAULT_POOL_DRAWS as CLI_DRAWS
    from passplan.schedule.pools import DEFAULT_POOL_DRAWS

    assert CLI_DRAWS == DEFAULT_POOL_DRAWS
    runner = CliRunner()
    demands = str(Path(__file__).parent.parent / "passplan" / "data" / "demands" / "china-integrated.toml")
    args = ["pools", "china-integrated", "--demands", demands, "--demand", "extra@xinglong:jinan=500", "--sats", "demo",
            "--start", "2026-12-02T10:00Z", "--hours", "14", "--weather-trials", "3"]
    png = tmp_path / "pools.png"
    r = runner.invoke(app, [*args, "--format", "json", "--plot", str(png)])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert {"network", "objective", "objective_text", "fair_fraction", "figures", "demands", "timeline", "steps"} <= set(doc)
    assert [d["name"] for d in doc["demands"]] == ["extra", "bank", "calls", "grid"]  # --demand first
    for d in doc["demands"]:
        assert d["expectation_replay"]["served_bits"] <= d["static_max_flow_bits"] + 1.0
        assert set(d["weather"]) == {*doc["figures"], "never_served_share"}
        for fig in doc["figures"]:
            w = d["weather"][fig]
            if w["p10"] is not None:
                assert w["p10"] <= w["p50"] <= w["p90"]
    assert len(doc["timeline"]) == doc["steps"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = runner.invoke(app, [*args[:-2], "--weather-trials", "0", "--format", "csv"])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0].startswith("demand,a,b,rate_bps,static_max_flow_bits,fraction_served")
    assert len(r.stdout.splitlines()) == 5


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--demand", "beijing:shanghai=0"], "--demand"),
        (["--demand", "beijing:nowhere=10"], "nowhere"),
        (["--demand", "beijing:shanghai=10", "--storage-bits", "-5"], "--storage-bits"),
        (["--demand", "beijing:shanghai=10", "--lifetime-s", "0"], "--lifetime-s"),
        (["--demand", "beijing:shanghai=10", "--weather-trials", "-1"], "--weather-trials"),
        ([], "give a demand"),
    ],
)
def test_cli_pools_bad_input(extra: list[str], needle: str) -> None:
    from typer.testing import CliRunner

    from passplan.cli import app

    r = CliRunner().invoke(app, ["pools", "china-integrated", "--sats", "demo", "--start", "2026-12-02T10:00Z", "--hours", "2",
                                 *extra])
    assert r.exit_code == 2
    assert needle in r.output
    assert "Traceback" not in r.output
