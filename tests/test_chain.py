"""One chain from geometry to key (issue 16): for every bundled link profile, `track`, the pass
forecast (the `--key` path), a schedule sub-window covering the whole pass, the coverage key
table's cuts and the README's library example give the same loss and key at the same instants;
profiles are resolved by one rule and read once per run; only passplan.forecast calls the link
budget (import-linter contract, shown to bite)."""

from __future__ import annotations

import copy
import tomllib
import warnings
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from passplan import Constraints, find_passes, resolve_satellites, select_stations
from passplan.errors import InputError, InputWarning, PassplanError
from passplan.forecast import (
    PROFILE_PROTOCOLS,
    MissingProfileError,
    channel_key,
    check_links,
    forecast_pass,
    forecast_passes,
    link_at,
    profile_name_for,
    resolve_link,
    run_chain,
    slots_key,
    window_key,
    window_keys,
)
from passplan.link import link_budget, list_profiles
from passplan.passes.sampling import sample_scene
from passplan.stations import Station

ROOT = Path(__file__).resolve().parents[1]
LOSS_DB = 0.01  # the tolerances
KEY_REL = 1e-3


@pytest.fixture(scope="module")
def micius_pass():
    """Micius over Xinglong, 2016-12-19 16:48Z (the README's pass; `--key` prints 223,929 bits)."""
    t0 = datetime(2016, 12, 19, 12, tzinfo=UTC)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sats = resolve_satellites(["micius"], t0, True).satellites
    found = find_passes(sats, select_stations(["xinglong"]), t0, t0 + timedelta(hours=12),
                        Constraints(darkness="nautical"))
    p = found.passes[0]
    assert f"{p.aos:%H:%M:%S}" == "16:48:43"
    return p


def _finite(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, float)[np.isfinite(a)]


@pytest.mark.parametrize("name", list_profiles())
def test_every_path_gives_the_same_loss_and_key(micius_pass, name) -> None:
    from passplan.coverage.keytable import _cut_bits
    from passplan.track import track_pass

    p = micius_pass
    fc = forecast_passes([p], profile=name)[0]  # the --key path
    assert fc.profile == name and fc.resolved.profile.name == name
    loss = np.asarray(fc.link.total_loss_db, float)
    bits = fc.key.secret_key_bits

    # the README's library example: the chain called by hand on the forecast's sampler
    readme = run_chain(sample_scene([p], 1.0, slots=True), [resolve_link(name, station=p.station_ref)])[0]
    assert np.allclose(readme.link.total_loss_db, loss, rtol=0, atol=LOSS_DB, equal_nan=True)
    assert readme.key.secret_key_bits == pytest.approx(bits, rel=KEY_REL, abs=1.0)

    # track at 0.5 s: its odd steps are the forecast's slot centres (AOS + 0.5 s, 1.5 s, ...)
    tr = track_pass(p, 0.5, profile=name)
    at_slots = tr.loss_db[1 : 2 * loss.size : 2]
    assert np.allclose(np.asarray(tr.el_deg)[1 : 2 * loss.size : 2], fc.geometry.el_deg, atol=1e-9)
    both = np.isfinite(at_slots) & np.isfinite(loss)
    assert both.sum() == loss.size - np.isnan(loss).sum()
    assert np.max(np.abs(at_slots[both] - loss[both])) < LOSS_DB
    assert tr.secret_key_bits == bits and tr.profile == name
    for term, values in tr.loss_terms_db.items():  # every term, not only the total
        ours = np.asarray(getattr(fc.link, term), float)
        ok = np.isfinite(ours) & np.isfinite(values[1 : 2 * loss.size : 2])
        assert np.max(np.abs(values[1 : 2 * loss.size : 2][ok] - ours[ok]), initial=0.0) < LOSS_DB, term

    # a schedule sub-window covering the whole pass, alone and batched
    whole = window_key(fc, p.aos, p.los)
    assert whole.secret_key_bits == pytest.approx(bits, rel=KEY_REL, abs=1.0)
    assert window_keys(fc, [(p.aos, p.los)])[0].secret_key_bits == pytest.approx(bits, rel=KEY_REL, abs=1.0)

    # the coverage key table's cuts: its whole-pass node is the forecast's key, its cuts are the
    # chain's key stage on the same channel (with the source the whole pass chose)
    centre = (p.tca - p.aos).total_seconds()
    cuts = _cut_bits(fc, centre, (0.5, 1.0))
    assert cuts[1] == bits
    t = fc.geometry.t_s
    sel = (t >= centre - 0.25 * p.duration_s) & (t < centre + 0.25 * p.duration_s)
    fixed = replace(fc.protocol_params, optimise=False, p_x=fc.key.p_x, intensities=fc.key.intensities,
                    probabilities=fc.key.probabilities)
    by_hand = channel_key(readme.link, readme.geometry.t_s, fixed, sel).secret_key_bits
    assert cuts[0] == pytest.approx(by_hand, rel=KEY_REL, abs=1.0)


def test_window_key_is_the_whole_slots_inside(micius_pass) -> None:
    p = micius_pass
    fc = forecast_pass(p)
    start, end = p.aos + timedelta(seconds=100.2), p.aos + timedelta(seconds=250.9)
    k = window_key(fc, start, end)
    # micius keeps every slot (no optimised window); times are slot centres, as pass_key gives them
    assert (k.n_slots, k.window_start_s, k.window_end_s) == (149, 101.5, 250.5)
    mask = (fc.geometry.t_s - 0.5 >= 100.2 - 1e-6) & (fc.geometry.t_s + 0.5 <= 250.9 + 1e-6)
    assert mask.sum() == 149  # slots [101, 102] ... [249, 250]
    assert k.secret_key_bits == slots_key(fc, mask).secret_key_bits
    b = window_keys(fc, [(start, end), (p.aos, p.aos + timedelta(seconds=200))])
    assert b[0].secret_key_bits == pytest.approx(k.secret_key_bits, rel=1e-6)
    assert 0 < b[0].secret_key_bits < fc.key.secret_key_bits
    with pytest.raises(InputError, match="no whole key slot"):
        window_key(fc, p.aos + timedelta(seconds=10.1), p.aos + timedelta(seconds=10.9))


def test_link_at_is_the_budget_of_one_geometry() -> None:
    kw = dict(elevation_deg=45.0, sun_elevation_deg=-20.0, sun_separation_deg=60.0, site_alt_m=900.0)
    a, b = link_at("micius", **kw).record(()), link_budget("micius", **kw).record(())
    assert a.keys() == b.keys()
    for k in a:
        same = a[k] == b[k] or (isinstance(a[k], float) and np.isnan(a[k]) and np.isnan(b[k]))
        assert same, k


def test_one_precedence_profile_then_satellite_then_default_then_station() -> None:
    own = Station(id="own", lat_deg=40.0, lon_deg=117.0, alt_m=900.0, receiver="jinan-1")
    bare = Station(id="bare", lat_deg=40.0, lon_deg=117.0, alt_m=900.0)

    class Sat:
        profile = "micius-2021"

    assert resolve_link("daylight-1550", None, Sat(), own).profile_name == "daylight-1550"
    r = resolve_link(None, None, Sat(), own)
    assert (r.profile_name, r.source, r.protocol_name) == ("micius-2021", "satellite", PROFILE_PROTOCOLS["micius-2021"])
    r = resolve_link(None, None, None, own)
    assert (r.profile_name, r.source, r.protocol_name) == ("jinan-1", "station", "jinan1")
    # default_profile (coverage's --profile) fills in for satellites naming none, before receivers
    r = resolve_link(None, None, Sat(), own, default_profile="daylight-1550")
    assert (r.profile_name, r.source) == ("micius-2021", "satellite")
    r = resolve_link(None, None, None, own, default_profile="daylight-1550")
    assert (r.profile_name, r.source) == ("daylight-1550", "default")
    assert resolve_link("micius", None, None, own, default_profile="daylight-1550").profile_name == "micius"
    assert profile_name_for(None, None, bare) == (None, "")
    assert resolve_link("geo-generic").protocol_name == "default"
    # the protocol is the profile's hardware unless named: its source rate and intrinsic QBER
    r = resolve_link("jinan-1")
    src = r.profile.source
    assert r.protocol.pulses_per_s == float(src["rep_rate_hz"]) and r.protocol.extraneous_click_prob == 0.0
    assert resolve_link("jinan-1", "micius").protocol.pulses_per_s != float(src["rep_rate_hz"])
    # resolved once: the same records for the same files
    assert resolve_link("jinan-1").protocol is r.protocol and resolve_link("jinan-1").profile is r.profile
    with pytest.raises(InputError, match=r"station 'bare' names no receiver profile; give profile=") as err:
        resolve_link(None, None, None, bare)
    assert "--profile" not in str(err.value)


def test_check_links_before_any_work() -> None:
    own = Station(id="own", lat_deg=40.0, lon_deg=117.0, alt_m=900.0, receiver="jinan-1")
    bare = Station(id="bare", lat_deg=40.0, lon_deg=117.0, alt_m=900.0)
    bad = Station(id="bad", lat_deg=40.0, lon_deg=117.0, alt_m=900.0, receiver="no-such-profile")

    class Sat:
        profile = "micius"

    check_links([own])
    check_links([bare], profile="micius")
    check_links([bare], [Sat()])  # every satellite names its profile: stations need none
    check_links([bare], default_profile="micius")  # every satellite gets one
    with pytest.raises(MissingProfileError, match="station 'bare' names no receiver profile; give profile=") as err:
        check_links([own, bare])
    assert err.value.station_id == "bare" and isinstance(err.value, InputError)
    with pytest.raises(InputError, match="station 'bare'"):
        check_links([bare], [Sat(), object()])
    with pytest.raises(PassplanError, match="no-such-profile"):
        check_links([bad])
    with pytest.raises(PassplanError, match="no-such-profile"):
        check_links([own], profile="no-such-profile")
    with pytest.raises(PassplanError, match="no-such-protocol"):
        check_links([own], protocol="no-such-protocol")


def test_a_station_without_receiver_does_not_abort_the_batch(micius_pass) -> None:
    p = micius_pass
    bare = replace(p.station_ref, id="bare", receiver=None)
    q = replace(p, station="bare", station_ref=bare)
    with pytest.warns(InputWarning, match="no key forecast for 1 pass over bare"):
        got = forecast_passes([q, p])
    assert [f.pass_ for f in got] == [p]
    assert got[0].key.secret_key_bits == pytest.approx(forecast_pass(p).key.secret_key_bits, rel=1e-9)
    with pytest.raises(InputError, match="give profile="):
        forecast_pass(q)
    assert forecast_passes([q], profile="micius")[0].profile == "micius"
    assert forecast_passes([q, p], default_profile="jinan-1")[0].resolved.source == "default"


def test_profile_and_protocol_files_are_read_once_and_again_when_edited(tmp_path, monkeypatch) -> None:
    from passplan.keyrate import protocol as proto_mod
    from passplan.link import profiles
    from passplan.link.profiles import bundled_profile_dir, load_profile

    reads: list[str] = []
    real = profiles._read_text
    monkeypatch.setattr(profiles, "_read_text", lambda path: reads.append(str(path)) or real(path))
    f = tmp_path / "mine.toml"
    text = (bundled_profile_dir() / "micius.toml").read_text()
    f.write_text(text)
    a = load_profile(f)
    assert load_profile(str(f)) is a and len(reads) == 1
    f.write_text(text.replace("efficiency = 0.5", "efficiency = 0.45", 1) if "efficiency = 0.5" in text
                 else text + "\n# edited\n")
    b = load_profile(f)
    assert b is not a and len(reads) == 2

    preads: list[str] = []
    preal = proto_mod._read_text
    monkeypatch.setattr(proto_mod, "_read_text", lambda path: preads.append(str(path)) or preal(path))
    g = tmp_path / "p.toml"
    g.write_text("pulses_per_s = 1e8\n")
    assert proto_mod.load_protocol(g) is proto_mod.load_protocol(g) and len(preads) == 1
    g.write_text("pulses_per_s = 2e8\n")
    assert proto_mod.load_protocol(g).pulses_per_s == 2e8 and len(preads) == 2


def test_tonight_key_plot_reads_each_profile_once(tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from passplan.cli import app
    from passplan.link import profiles

    reads: list[str] = []
    real = profiles._read_text
    monkeypatch.setattr(profiles, "_read_text", lambda path: reads.append(Path(path).name) or real(path))
    monkeypatch.setattr(profiles, "_READ", {})
    r = CliRunner().invoke(app, ["tonight", "xinglong", "--date", "2016-12-19", "--key", "--plot",
                                 str(tmp_path / "night.png"), "--allow-stale"])
    assert r.exit_code == 0, r.output
    assert reads.count("micius.toml") == 1
    assert len(reads) == len(set(reads))  # every profile file (the demo satellites' own too) once


def test_track_document_is_what_the_cli_prints(micius_pass, tmp_path) -> None:
    from typer.testing import CliRunner

    from passplan.cli import app
    from passplan.track import find_pass_by_uid, track_pass

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sats = resolve_satellites(["micius"], micius_pass.aos, True).satellites
    p = find_pass_by_uid(micius_pass.uid, sats, select_stations(["xinglong"]))  # as the CLI finds it
    tr = track_pass(p, 5.0)
    assert tr.records() == tr.to_records()
    out = tmp_path / "t.json"
    r = CliRunner().invoke(app, ["track", "micius", "--station", "xinglong", "--pass", micius_pass.uid,
                                 "--allow-stale", "--step-s", "5", "--format", "json", "--output", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_text() == tr.to_json()
    doc = tr.to_document()
    assert doc["samples"][0]["t_utc"].startswith("2016-12-19T16:48:43.736")
    assert doc["secret_key_bits"] == tr.secret_key_bits and doc["step_s"] == 5.0
    with pytest.raises(InputError, match="step_s 0"):
        track_pass(micius_pass, 0.0)
    from passplan.track import PassNotFoundError

    wrong = micius_pass.uid[:-2] + "9Z"
    with pytest.raises(PassNotFoundError, match="check satellites and stations") as err:
        find_pass_by_uid(wrong, sats, select_stations(["xinglong"]))
    assert err.value.uid == wrong and "--" not in str(err.value)


def test_only_forecast_imports_the_link_budget_and_the_contract_bites() -> None:
    """The import-linter contract `one-chain` holds on the package, and breaks as soon as any
    other module imports the budget module or the passplan.link namespace re-exporting it."""
    grimp = pytest.importorskip("grimp")
    from importlinter.contracts.protected import ProtectedContract

    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (opts,) = [c for c in conf["contracts"] if c.get("id") == "one-chain"]
    options = {k: v for k, v in opts.items() if k not in ("id", "name", "type")}
    options = {k: ([str(x) for x in v] if isinstance(v, list) else str(v).lower()) for k, v in options.items()}
    contract = ProtectedContract(name=opts["name"], session_options={"root_packages": ["passplan"]},
                                 contract_options=options)
    graph = grimp.build_graph("passplan", include_external_packages=False)
    assert contract.check(graph, verbose=False).kept
    for target in ("passplan.link", "passplan.link.budget"):
        g = copy.deepcopy(graph)
        g.add_import(importer="passplan.schedule.candidates", imported=target, line_number=1,
                     line_contents="from ..link import link_budget")
        assert not contract.check(g, verbose=False).kept, target
    g = copy.deepcopy(graph)  # the light submodules stay open to everyone
    g.add_import(importer="passplan.schedule.candidates", imported="passplan.link.profiles", line_number=1,
                 line_contents="from ..link.profiles import load_profile")
    assert contract.check(g, verbose=False).kept


def test_track_passes_in_one_batch_equal_each_alone(micius_pass) -> None:
    from passplan.track import track_pass, track_passes

    p = micius_pass
    bare = replace(p.station_ref, id="bare", receiver=None)
    q = replace(p, station="bare", station_ref=bare)
    fc = forecast_pass(p, profile="jinan-1")
    with pytest.warns(InputWarning, match="over bare"):
        both = track_passes([q, p], [2.0, 3.0])
    assert both[0] is None and both[1] is not None
    alone = track_pass(p, 3.0)
    assert both[1].step_s == 3.0 and np.allclose(both[1].loss_db, alone.loss_db, atol=1e-9, equal_nan=True)
    assert np.allclose(both[1].range_rate_km_s, alone.range_rate_km_s, atol=1e-9)
    assert both[1].to_records() == alone.to_records()
    # a forecast already made is reused (its profile, protocol and key)
    (mine,) = track_passes([p], 3.0, forecasts=[fc])
    assert mine is not None and mine.profile == "jinan-1" and mine.secret_key_bits == fc.key.secret_key_bits
    with pytest.raises(InputError, match="step_s 61"):
        track_passes([p], 61.0)


def test_link_report_is_the_link_command_record() -> None:
    import json

    from typer.testing import CliRunner

    from passplan.cli import app
    from passplan.forecast import LINK_REPORT_KEYS, link_report
    from passplan.stations import get_station

    st = get_station("xinglong")
    rec = link_report("daylight-1550", elevation_deg=30.0, station=st, sun_elevation_deg=20.0)
    assert tuple(rec) == LINK_REPORT_KEYS and rec["station"] == "xinglong" and rec["site_alt_m"] == st.alt_m
    plain = link_budget("daylight-1550", elevation_deg=30.0, site_alt_m=st.alt_m, sun_elevation_deg=20.0,
                        sun_separation_deg=90.0)
    assert rec["total_loss_db"] == float(plain.total_loss_db) and rec["range_km"] == float(plain.range_m) / 1e3
    r = CliRunner().invoke(app, ["link", "-p", "daylight-1550", "-e", "30", "--sun-elevation-deg", "20",
                                 "--station", "xinglong", "--format", "json"])
    assert r.exit_code == 0, r.output
    shown = json.loads(r.stdout)
    assert shown["total_loss_db"] == pytest.approx(rec["total_loss_db"], rel=1e-12)
    assert list(shown) == list(LINK_REPORT_KEYS)
