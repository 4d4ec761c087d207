"""Trusted relays in time and the integrated network's max flow, against hand-computed cases,
networkx's max flow and the GYS fibre vector."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from passplan.errors import ConfigError, InputError, UnknownNameError
from passplan.schedule.network import FibreModel, end_to_end, load_network, max_flow
from passplan.schedule.relay import Deposit, relay

T0 = datetime(2026, 12, 2, tzinfo=UTC)


def dep(station: str, sat: str, minutes: float, bits: float) -> Deposit:
    return Deposit(station, sat, T0 + timedelta(minutes=minutes), bits)


def test_relay_hand_case_and_demand_time() -> None:
    deps = [
        dep("A", "S", 0, 5e5),
        dep("B", "S", 100, 2e5),  # relays 2e5 (A keeps 3e5)
        dep("B", "S", 200, 4e5),  # relays 3e5 (B keeps 1e5)
        dep("A", "S", 300, 5e4),  # relays 5e4
        dep("C", "S", 50, 9e9),  # another station: ignored
    ]
    r = relay(deps, ("A", "B"), demand_bits=5e5)
    assert r.relayed_bits == pytest.approx(5.5e5)
    assert [b for _, b in r.timeline] == pytest.approx([2e5, 5e5, 5.5e5])
    assert r.demand_met == T0 + timedelta(minutes=200)
    assert r.pool_bits == {"A": 5.5e5, "B": 6e5}
    assert relay(deps, ("A", "B"), demand_bits=1e6).demand_met is None


def test_relay_never_exceeds_what_both_pools_held() -> None:
    rng = np.random.default_rng(4)
    deps = [
        dep(str(rng.choice(["A", "B"])), str(rng.choice(["S1", "S2"])), float(rng.uniform(0, 7 * 1440)), float(rng.integers(0, 1e6)))
        for _ in range(200)
    ]
    for (storage, life), rule in itertools.product(
        ((None, None), (8e5, None), (None, 2 * 86400.0), (5e5, 86400.0)), ("cap-first", "xor-first")
    ):
        r = relay(deps, ("A", "B"), storage_bits=storage, lifetime_s=life, storage_rule=rule)
        for e in r.events:
            assert e["bits"] <= min(e["pool_a"], e["pool_b"]) + 1e-6
        cum = [b for _, b in r.timeline]
        assert cum == sorted(cum)
        for s in r.satellites:
            a = sum(d.bits for d in deps if d.station == "A" and d.satellite == s)
            b = sum(d.bits for d in deps if d.station == "B" and d.satellite == s)
            assert r.per_satellite[s] <= min(a, b) + 1e-6
            if storage is None and life is None:  # nothing lost: all of the smaller pool relays
                assert r.per_satellite[s] == pytest.approx(min(a, b))
        if storage is not None or life is not None:
            assert r.discarded_bits > 0


def test_relay_lifetime_and_storage_hand_cases() -> None:
    deps = [dep("A", "S", 0, 1e5), dep("B", "S", 120, 1e5)]
    assert relay(deps, ("A", "B"), lifetime_s=3600).relayed_bits == 0  # A's key expired after 1 h
    assert relay(deps, ("A", "B"), lifetime_s=3 * 3600).relayed_bits == pytest.approx(1e5)
    big = [dep("A", "S", 0, 1e5), dep("A", "S", 10, 1e5), dep("B", "S", 20, 3e5)]
    capped = relay(big, ("A", "B"), storage_bits=1.5e5)
    # the store holds 1.5e5: A keeps 1.5e5 of 2e5, then B's 3e5 arrives and overflows the oldest
    assert capped.relayed_bits <= 1.5e5
    assert capped.discarded_bits > 0


def test_relay_storage_rule_tight_case() -> None:
    """The storage rule on the tight case of issue 18: a 160-bit store holds 160 bits for A when
    a 110-bit link with B ends. Cap first (the default): the store makes room for B's 110 bits
    by discarding 110 of A's oldest, then relays min(50, 110) = 50. XOR first: relays 110 at
    once and keeps A's other 50 (within the store)."""
    deps = [dep("A", "S", 0, 160.0), dep("B", "S", 10, 110.0)]
    cap = relay(deps, ("A", "B"), storage_bits=160.0)
    assert cap.relayed_bits == pytest.approx(50.0) and cap.discarded_bits == pytest.approx(110.0)
    assert cap.storage_rule == "cap-first" == relay(deps, ("A", "B"), storage_bits=160.0, storage_rule="cap-first").storage_rule
    xor = relay(deps, ("A", "B"), storage_bits=160.0, storage_rule="xor-first")
    assert xor.relayed_bits == pytest.approx(110.0) and xor.discarded_bits == 0.0
    assert xor.to_dict()["storage_rule"] == "xor-first" and cap.to_dict()["storage_rule"] == "cap-first"
    # the remainder is capped after the XOR: a later 60-bit link with B finds A's 50 bits
    later = [*deps, dep("B", "S", 20, 60.0)]
    assert relay(later, ("A", "B"), storage_bits=160.0, storage_rule="xor-first").relayed_bits == pytest.approx(160.0)
    assert relay(later, ("A", "B"), storage_bits=160.0).relayed_bits == pytest.approx(50.0)
    # XOR first still caps what is left: 400 bits for B against 160 held keep 160 of the 240 left
    big = [dep("A", "S", 0, 160.0), dep("B", "S", 10, 400.0)]
    r = relay(big, ("A", "B"), storage_bits=160.0, storage_rule="xor-first")
    assert r.relayed_bits == pytest.approx(160.0) and r.discarded_bits == pytest.approx(80.0)
    # without a store the two rules are one, and the document keeps its keys
    free = relay(deps, ("A", "B"), storage_rule="xor-first")
    assert free.relayed_bits == relay(deps, ("A", "B")).relayed_bits == pytest.approx(110.0)
    assert free.storage_rule is None and "storage_rule" not in free.to_dict()


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"pair": ("A", "B"), "storage_rule": "first-come"}, "storage_rule 'first-come'"),
        ({"pair": ("A", "A")}, "two different"),
        ({"pair": ("A", "Z")}, "no satellite links with both"),
        ({"pair": ("A", "B"), "storage_bits": 0}, "storage"),
        ({"pair": ("A", "B"), "lifetime_s": -1}, "lifetime"),
        ({"pair": ("A", "B"), "lifetime_s": float("inf")}, "lifetime inf s must be positive and finite"),
        ({"pair": ("A", "B"), "storage_bits": float("inf")}, "storage cap inf bits must be positive and finite"),
        ({"pair": ("A", "B"), "demand_bits": -5}, "demand"),
    ],
)
def test_relay_bad_input(kwargs, needle) -> None:
    deps = [dep("A", "S", 0, 1.0), dep("B", "S", 1, 1.0)]
    with pytest.raises(InputError, match=needle):
        relay(deps, **kwargs)


def test_max_flow_hand_case() -> None:
    """The graph of Cormen et al., Introduction to Algorithms, Fig. 26.1, taken undirected (key
    flows either way along a link): the directed value 23 rises to 24, the cut around t
    (20 + 4); every other cut is larger (around s: 29)."""
    cap = {("s", "v1"): 16, ("s", "v2"): 13, ("v1", "v3"): 12, ("v2", "v4"): 14,
           ("v3", "t"): 20, ("v4", "t"): 4, ("v2", "v1"): 4, ("v3", "v2"): 9, ("v4", "v3"): 7}
    value, flow, cut = max_flow(cap, "s", "t")
    assert value == pytest.approx(24.0)
    assert cut == {"s", "v1", "v2", "v3", "v4"}
    assert flow[("v3", "t")] == pytest.approx(20.0) and flow[("v4", "t")] == pytest.approx(4.0)


def test_max_flow_equals_networkx() -> None:
    nx = pytest.importorskip("networkx")
    rng = np.random.default_rng(9)
    for _ in range(10):
        n = 9
        cap = {}
        g = nx.Graph()
        for u in range(n):
            for v in range(u + 1, n):
                if rng.random() < 0.35:
                    c = float(rng.integers(1, 100))
                    cap[(f"n{u}", f"n{v}")] = c
                    g.add_edge(f"n{u}", f"n{v}", capacity=c)
        if not (g.has_node("n0") and g.has_node(f"n{n - 1}")):
            continue
        ours, _, _ = max_flow(cap, "n0", f"n{n - 1}")
        theirs = nx.maximum_flow_value(g, "n0", f"n{n - 1}")
        assert ours == pytest.approx(theirs)


def test_fibre_model_gys_vector() -> None:
    """GYS parameters, infinite decoys: 2.555e-3 per pulse at 0 km (Ma et al. 2005; reference
    README section 4), zero beyond the ~142 km cut-off."""
    m = FibreModel()
    assert m.rate_bps(0.0) / m.pulse_rate_hz == pytest.approx(2.555e-3, rel=2e-3)
    assert m.rate_bps(150.0) == 0.0
    assert m.rate_bps(50.0) > m.rate_bps(100.0) > 0


NET = """
[network]
name = "test"
[nodes.a]
[nodes.b]
[nodes.c]
[nodes.d]
[[links]]
a = "a"
b = "b"
rate_bps = 10.0
[[links]]
a = "b"
b = "c"
rate_bps = 4.0
[[links]]
a = "c"
b = "d"
kind = "free-space"
rate_bps = 100.0
[stations]
xinglong = "b"
nanshan = "d"
"""


def test_network_hand_case_with_satellite(tmp_path: Path) -> None:
    f = tmp_path / "net.toml"
    f.write_text(NET)
    net = load_network(f)
    # a -> d over 100 s: a-b 1000 bits, then b-c 400 (+ satellite b~d min(pools))
    ground = end_to_end(net, "a", "d", 100.0)
    assert ground.key_bits == pytest.approx(400.0)
    assert ground.bottlenecks == [{"a": "b", "b": "c", "kind": "fibre", "capacity_bits": 400.0}]
    pools = {("xinglong", "micius"): 300.0, ("nanshan", "micius"): 250.0, ("graz", "micius"): 1e6}
    both = end_to_end(net, "a", "d", 100.0, pools)
    assert both.key_bits == pytest.approx(650.0)  # 400 by fibre + min(300, 250) by the satellite
    assert sum(b for _, b in both.paths) == pytest.approx(650.0)
    assert ["a", "b", "sat:micius", "d"] in [p for p, _ in both.paths]


@pytest.mark.parametrize(
    "text, err, needle",
    [
        (NET.replace('b = "c"\nrate_bps = 4.0', 'b = "zz"\nrate_bps = 4.0'), UnknownNameError, "zz"),
        (NET.replace("rate_bps = 4.0", "rate_bps = -4.0"), ConfigError, "rate_bps"),
        (NET.replace("rate_bps = 4.0", "length_km = 0"), ConfigError, "length_km"),
        (NET + "\n[bogus]\n", UnknownNameError, "bogus"),
        ("[nodes]\n", ConfigError, "no \\[nodes"),
        ("[nodes.a\n", ConfigError, "invalid TOML"),
    ],
)
def test_network_bad_files(tmp_path: Path, text: str, err: type, needle: str) -> None:
    f = tmp_path / "net.toml"
    f.write_text(text)
    with pytest.raises(err, match=needle):
        load_network(f)


def test_network_disconnected_and_unknown_nodes(tmp_path: Path) -> None:
    f = tmp_path / "net.toml"
    f.write_text(NET + '\n[nodes.island]\n')
    net = load_network(f)
    with pytest.raises(InputError, match="no path of links"):
        end_to_end(net, "a", "island", 10.0)
    with pytest.raises(UnknownNameError):
        end_to_end(net, "a", "nowhere", 10.0)
    with pytest.raises(InputError, match="two different"):
        end_to_end(net, "a", "a", 10.0)


def test_bundled_integrated_network() -> None:
    """The Chen et al. 2021-style example: Nanshan reaches Shanghai only through satellites."""
    from importlib.resources import files

    net = load_network(Path(str(files("passplan") / "data" / "networks" / "china-integrated.toml")))
    assert {"nanshan", "xinglong", "beijing", "jinan", "hefei", "shanghai"} <= set(net.nodes)
    assert all(ln.source for ln in net.links)
    day = 86400.0
    with pytest.raises(InputError, match="no path"):
        end_to_end(net, "nanshan", "shanghai", day)
    r = end_to_end(net, "nanshan", "shanghai", day, {("xinglong", "micius"): 3e5, ("nanshan", "micius"): 2e5})
    assert r.key_bits == pytest.approx(2e5)
    assert r.bottlenecks[0]["kind"] == "satellite"
    fibre_only = end_to_end(net, "xinglong", "shanghai", day)
    assert fibre_only.key_bits == pytest.approx(min(ln.rate_bps for ln in net.links) * day)


def test_two_satellites_of_one_name_relay_apart() -> None:
    """Pools belong to a satellite by identity: two satellites of one name keep their pools apart
    (by name, A's key on one would have been XORed with B's key on the other) and are named
    ``NAME (NUMBER)`` in the result and in the network's satellite nodes."""
    from types import SimpleNamespace

    deps = [
        Deposit("A", "TWIN", T0 + timedelta(minutes=0), 5e5, "111"),
        Deposit("B", "TWIN", T0 + timedelta(minutes=10), 2e5, "222"),  # the other TWIN: nothing to relay
        Deposit("B", "TWIN", T0 + timedelta(minutes=20), 1e5, "111"),
        Deposit("A", "SOLO", T0 + timedelta(minutes=30), 3e4),
        Deposit("B", "SOLO", T0 + timedelta(minutes=40), 4e4),
    ]
    res = relay(deps, ("A", "B"))
    assert res.satellites == ["SOLO", "TWIN (111)"]
    assert res.per_satellite == {"SOLO": 3e4, "TWIN (111)": 1e5}
    assert res.relayed_bits == pytest.approx(1.3e5)
    assert [r["satellite"] for r in res.to_records()] == ["TWIN (111)", "SOLO"]
    by_name = relay([Deposit(d.station, d.satellite, d.at, d.bits) for d in deps], ("A", "B"))
    assert by_name.relayed_bits == pytest.approx(3e5 + 3e4)  # the old, wrong answer by name

    from passplan.schedule.network import pools_from_links

    links = [SimpleNamespace(station=d.station, satellite=d.satellite, satellite_id=d.satellite_id,
                             expected_key_bits=d.bits) for d in deps]
    assert pools_from_links(links) == {
        ("A", "TWIN (111)"): 5e5, ("B", "TWIN (222)"): 2e5, ("B", "TWIN (111)"): 1e5, ("A", "SOLO"): 3e4,
        ("B", "SOLO"): 4e4,
    }


def test_relay_cli_storage_rule() -> None:
    """``relay --storage-bits --storage-rule xor-first``: the JSON names the rule, the table
    the store and what it discarded; an unknown rule is refused (exit 2)."""
    from typer.testing import CliRunner

    from passplan.cli import app

    window = ["--sats", "demo", "--start", "2026-12-02T10:00Z", "--hours", "14", "--night", "station"]
    r = CliRunner().invoke(app, ["relay", "xinglong", "nanshan", *window, "--storage-bits", "2e7",
                                 "--storage-rule", "xor-first", "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["storage_rule"] == "xor-first" and doc["discarded_bits"] > 0
    assert doc["relayed_bits"] <= min(doc["pool_bits"].values()) + 1e-6
    bad = CliRunner().invoke(app, ["relay", "xinglong", "nanshan", *window, "--storage-rule", "later"])
    assert bad.exit_code == 2


# issue 17: wrong network inputs that main accepted (or crashed on), each refused by
# passplan.schema.NETWORK with the file, the table, the key and the fix
@pytest.mark.parametrize(
    "text, needle",
    [
        (NET + "[fibre_model]\nalpha_db_km = -0.2\n", r"\[fibre_model\]: alpha_db_km = -0.2: expected .*\(0, 1\] dB/km"),
        (NET + "[fibre_model]\nalpha_db_km = 20.0\n", r"alpha_db_km = 20.0"),  # dB per metre slip
        (NET + "[fibre_model]\neta_bob = 5\n", r"eta_bob = 5: expected a finite number in \(0, 1\]"),
        (NET.replace("rate_bps = 4.0", "length_km = inf"), r"#2: length_km = inf: expected a finite number"),
        (NET.replace("rate_bps = 4.0", "rate_bps = 4.0\nlength_km = 50"), r"#2: give only one of rate_bps, length_km"),
        (NET.replace("rate_bps = 4.0", "rate_bps = 1e308"), r"rate_bps = 1e\+308: expected .*1e\+09\] bit/s"),
        (NET.replace("rate_bps = 4.0", "rate_bps = nan"), r"rate_bps = nan"),
        (NET.replace("rate_bps = 4.0", 'rate_bps = "4"'), r"rate_bps = '4'"),
        (NET.replace('name = "test"', 'name = "test"\nsoruce = "x"'), r"\[network\]: unknown key 'soruce'; did you mean 'source'\?"),
        (NET.replace('[nodes.a]', '[nodes.a]\nlabel = "x"'), r"\[nodes.a\]: unknown key 'label'"),
        ('[nodes.a]\n[nodes.b]\nlinks = [1, 2]\n', r"\[nodes.b\]: unknown key 'links'"),
        ('links = [1, 2]\n[nodes.a]\n[nodes.b]\n', r"links must be an array of tables"),
        ('network = 3\n[nodes.a]\n', r"network must be a table"),
        ('stations = [1]\n[nodes.a]\n', r"stations must be a table"),
        ('[nodes."a\\u0007b"]\n[nodes.b]\n', r"node id 'a\\x07b': give plain text"),
        ("", r"the file is empty"),
        ("\x00\x01binary", r"a binary file"),
    ],
)
def test_network_wrong_inputs_refused(tmp_path: Path, text: str, needle: str) -> None:
    f = tmp_path / "net.toml"
    f.write_text(text)
    with pytest.raises(ConfigError, match=needle) as err:
        load_network(f)
    assert str(f) in str(err.value) and "\n" not in str(err.value)


def test_network_bom_and_crlf_accepted(tmp_path: Path) -> None:
    f = tmp_path / "net.toml"
    f.write_bytes(b"\xef\xbb\xbf" + NET.replace("\n", "\r\n").encode())
    net = load_network(f)
    assert [ln.rate_bps for ln in net.links] == [10.0, 4.0, 100.0]
    # the bundled network passes its own schema, and its fibre rates are unchanged by it
    from passplan.schedule.network import bundled_networks
    from passplan.schema import check_file

    for path in bundled_networks().values():
        assert check_file(path) == []


# ---- issue 18: weather as draws wherever a min or a flow is taken ----------------------------

from passplan.schedule.model import Candidate  # noqa: E402
from passplan.stations import Station  # noqa: E402


def _site(sid: str, lat: float, lon: float, p: float) -> Station:
    return Station(id=sid, lat_deg=lat, lon_deg=lon, alt_m=0.0, clear_sky=p)


def _link(uid: str, station: str, sat: str, hours: float, bits: float, p: float) -> Candidate:
    t = T0 + timedelta(hours=hours)
    return Candidate(uid, uid, station, sat, t, t + timedelta(minutes=5), bits, clear_sky=p)


def _my_skies(links, stations, trials: int, seed: int) -> np.ndarray:
    """An independent draw of who is clear: my own copula (scipy's normal quantile, numpy's
    multivariate normal), one latent value per station and local night, corr exp(-d / 500 km)."""
    from scipy.stats import norm

    from passplan.weather import great_circle_km, local_night

    ids = sorted({ln.station for ln in links})
    corr = np.array([[np.exp(-great_circle_km(stations[a].lat_deg, stations[a].lon_deg, stations[b].lat_deg,
                                                stations[b].lon_deg) / 500.0) for b in ids] for a in ids])
    nights = sorted({local_night(ln.start, stations[ln.station].lon_deg) for ln in links})
    rng = np.random.default_rng(seed + 12345)
    z = rng.multivariate_normal(np.zeros(len(ids)), corr, size=(trials, len(nights)))
    out = np.empty((trials, len(links)), bool)
    for k, ln in enumerate(links):
        n = nights.index(local_night(ln.start, stations[ln.station].lon_deg))
        q = stations[ln.station].clear_sky_probability(ln.start.month)
        out[:, k] = z[:, n, ids.index(ln.station)] < (np.inf if q >= 1 else norm.ppf(q))
    return out


def _my_relay(links, clear_row, pair) -> float:
    """Without a store or a lifetime every bit of the smaller pool of each satellite relays."""
    a, b = pair
    total = 0.0
    for sat in {ln.satellite_key for ln in links}:
        pa = sum(ln.key_bits for ln, c in zip(links, clear_row, strict=True) if c and ln.satellite_key == sat and ln.station == a)
        pb = sum(ln.key_bits for ln, c in zip(links, clear_row, strict=True) if c and ln.satellite_key == sat and ln.station == b)
        total += min(pa, pb)
    return total


def _agree(draws, mine: np.ndarray, k: float = 4.0) -> None:
    """Two independent Monte-Carlo means agree within k combined standard errors."""
    se = (draws.stderr_bits**2 + mine.var(ddof=1) / mine.size) ** 0.5
    assert abs(draws.mean_bits - mine.mean()) <= k * se + 1e-9, (draws.mean_bits, mine.mean(), se)


def test_key_draws_summary_names_each_figure() -> None:
    from passplan.weather import KeyDraws

    v = np.arange(11, dtype=float) * 10  # 0, 10, ..., 100
    d = KeyDraws.from_values(v, seed=3, correlation_km=500.0, clear_sky_bound_bits=100.0, expectation_replay_bits=70.0,
                             demand_bits=80.0)
    assert (d.mean_bits, d.p10_bits, d.p50_bits, d.p90_bits) == (50.0, 10.0, 50.0, 90.0)
    assert d.stderr_bits == pytest.approx(v.std(ddof=1) / 11**0.5) and d.p_zero == pytest.approx(1 / 11)
    assert d.p_demand_met == pytest.approx(3 / 11)
    doc = d.to_dict()
    assert list(doc) == ["trials", "seed", "correlation_km", "mean_bits", "stderr_bits", "std_bits", "p10_bits",
                         "p50_bits", "p90_bits", "clear_sky_bound_bits", "expectation_replay_bits", "p_zero",
                         "demand_bits", "p_demand_met"]
    plain = KeyDraws.from_values(v, seed=3, correlation_km=500.0, clear_sky_bound_bits=100.0, expectation_replay_bits=70.0)
    assert "demand_bits" not in plain.to_dict() and "p_demand_met" not in plain.to_dict()
    with pytest.raises(InputError, match="no weather draws"):
        KeyDraws.from_values([], seed=0, correlation_km=500.0, clear_sky_bound_bits=0, expectation_replay_bits=0)


def test_clear_draws_share_a_night_and_the_schedule_spread_skies() -> None:
    """Each link is clear with its station's probability; links of one station in one local
    night share the sky; the skies are simulate_weather's (same seed, same delivered key)."""
    from passplan.weather import clear_draws, simulate_weather

    st = {"a": _site("a", 40.0, 117.0, 0.6), "b": _site("b", 43.0, 87.0, 0.3)}
    links = [("a", T0 + timedelta(hours=14)), ("a", T0 + timedelta(hours=20)), ("b", T0 + timedelta(hours=16)),
             ("a", T0 + timedelta(days=1, hours=14))]
    c = clear_draws(links, st, trials=20_000, seed=9)
    assert c.shape == (20_000, 4) and c.dtype == bool
    assert (c[:, 0] == c[:, 1]).all()  # one evening and the following hours: one night
    assert not (c[:, 0] == c[:, 3]).all()  # the next night draws again
    for k, p in ((0, 0.6), (2, 0.3), (3, 0.6)):
        assert abs(c[:, k].mean() - p) < 4 * (p * (1 - p) / 20_000) ** 0.5
    bits = np.array([1.0, 2.0, 4.0, 8.0])
    spread = simulate_weather([(s, t, b) for (s, t), b in zip(links, bits, strict=True)], st, trials=500, seed=4)
    assert spread.mean_bits == pytest.approx((clear_draws(links, st, trials=500, seed=4) * bits).sum(axis=1).mean())
    assert clear_draws([], st, trials=5).shape == (5, 0)
    with pytest.raises(InputError, match="trials"):
        clear_draws(links, st, trials=0)


def test_relay_draws_mean_is_the_analytic_expectation() -> None:
    """One link at each end: the relayed key is min(a, b) when both skies are clear, so its mean
    is P(both clear) min(a, b), from scipy's bivariate normal (the copula); the replay of
    expectations, min(p_a a, p_b b), is the overestimate issue 18 measured (here 1.6x)."""
    from scipy.stats import multivariate_normal, norm

    from passplan.schedule.run import relay_draws
    from passplan.weather import great_circle_km

    st = {"a": _site("a", 40.0, 117.0, 0.6), "b": _site("b", 40.0, 122.0, 0.5)}
    links = [_link("l1", "a", "S", 13, 1e5, 0.6), _link("l2", "b", "S", 15, 2e5, 0.5)]
    rho = np.exp(-great_circle_km(40, 117, 40, 122) / 500.0)
    p_both = multivariate_normal([0, 0], [[1, rho], [rho, 1]]).cdf([norm.ppf(0.6), norm.ppf(0.5)])
    d = relay_draws(links, st, ("a", "b"), trials=40_000, seed=1)
    assert abs(d.mean_bits - p_both * 1e5) < 4 * d.stderr_bits
    assert d.expectation_replay_bits == pytest.approx(min(0.6 * 1e5, 0.5 * 2e5))
    assert d.expectation_replay_bits > 1.5 * d.mean_bits  # Jensen, on the smallest case (1.6x)
    assert d.clear_sky_bound_bits == pytest.approx(1e5)
    assert d.p10_bits == 0 and d.p90_bits == pytest.approx(1e5)
    assert d.p_zero == pytest.approx(1 - d.mean_bits / 1e5)


def test_relay_and_flow_draws_match_an_independent_monte_carlo() -> None:
    """Random relay and network cases: the library's draws against my own loop over my own
    skies (another copula draw, a sum of per-satellite minima, networkx's max flow)."""
    import networkx as nx

    from passplan.schedule.network import NetLink, Network
    from passplan.schedule.run import flow_draws, relay_draws

    rng = np.random.default_rng(11)
    st = {"a": _site("a", 40.0, 117.0, 0.63), "b": _site("b", 43.5, 87.2, 0.5), "c": _site("c", 47.1, 15.4, 0.4)}
    links = [
        _link(f"l{k}", str(rng.choice(["a", "b", "c"])), str(rng.choice(["S1", "S2"])), float(rng.uniform(0, 96)),
              float(rng.uniform(1e4, 1e6)), 0.5)
        for k in range(14)
    ]
    trials = 6000
    mine_skies = _my_skies(links, st, trials, 0)
    d = relay_draws(links, st, ("a", "b"), trials=trials, seed=0)
    mine = np.array([_my_relay(links, row, ("a", "b")) for row in mine_skies])
    _agree(d, mine)
    assert d.p10_bits <= d.p50_bits <= d.p90_bits <= d.clear_sky_bound_bits
    assert d.mean_bits <= d.expectation_replay_bits
    assert relay_draws(links, st, ("a", "b"), trials=trials, seed=0) == d  # seeded: the same draws

    net = Network("t", {"x": "x", "y": "y", "z": "z"}, [NetLink("x", "y", "fibre", 2.0)], {"a": "x", "b": "z", "c": "y"})
    period = 3600.0
    f = flow_draws(net, "x", "z", period, links, st, trials=trials, seed=2)

    def my_flow(row) -> float:
        g = nx.Graph()
        g.add_edge("x", "y", capacity=2.0 * period)
        for ln, c in zip(links, row, strict=True):
            node = net.stations[ln.station]
            sat = f"sat:{ln.satellite}"
            cap = (g.edges[node, sat]["capacity"] if g.has_edge(node, sat) else 0.0) + (ln.key_bits if c else 0.0)
            g.add_edge(node, sat, capacity=cap)
        return nx.maximum_flow_value(g, "x", "z") if "z" in g else 0.0

    mine_f = np.array([my_flow(row) for row in _my_skies(links, st, 3000, 5)])
    _agree(f, mine_f)
    assert f.p10_bits <= f.p50_bits <= f.p90_bits <= f.clear_sky_bound_bits
    assert f.mean_bits <= f.expectation_replay_bits  # a max flow is concave in its capacities


def test_default_draws_agree_between_cli_and_library() -> None:
    from passplan.cli.network import DEFAULT_DRAWS as CLI_DRAWS
    from passplan.weather import DEFAULT_DRAWS

    assert CLI_DRAWS == DEFAULT_DRAWS


def test_relay_draws_with_a_store_replay_each_sky_through_the_relay() -> None:
    """With a storage cap and a key lifetime (not concave: no analytic mean), each draw is the
    relay of that draw's clear links: my own loop over the same skies gives the same numbers."""
    from passplan.schedule.run import relay_draws
    from passplan.weather import clear_draws

    st = {"a": _site("a", 40.0, 117.0, 0.63), "b": _site("b", 43.5, 87.2, 0.5)}
    rng = np.random.default_rng(3)
    links = [_link(f"l{k}", "ab"[k % 2], "S", float(rng.uniform(0, 72)), float(rng.uniform(1e4, 3e5)), 0.5)
             for k in range(10)]
    opts = {"storage_bits": 2e5, "lifetime_s": 86400.0, "storage_rule": "xor-first"}
    d = relay_draws(links, st, ("a", "b"), trials=300, seed=8, demand_bits=1e5, **opts)
    skies = clear_draws([(ln.station, ln.start) for ln in links], st, trials=300, seed=8)
    mine = np.array([
        relay([Deposit(ln.station, ln.satellite, ln.end, ln.key_bits if c else 0.0) for ln, c in zip(links, row, strict=True)],
              ("a", "b"), **opts).relayed_bits
        for row in skies
    ])
    assert d.mean_bits == pytest.approx(mine.mean()) and d.p90_bits == pytest.approx(np.percentile(mine, 90))
    assert d.p_demand_met == pytest.approx((mine >= 1e5).mean())
    assert d.clear_sky_bound_bits == pytest.approx(
        relay([Deposit(ln.station, ln.satellite, ln.end, ln.key_bits) for ln in links], ("a", "b"), **opts).relayed_bits)
