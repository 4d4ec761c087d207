"""Differential fuzz of the forecast chain (issue 17, item 2): passes and pieces of any length
(under a second, a single slot, zero length, whole hours of a GEO window) through
forecast_passes, window_key/window_keys, track_passes and series_key, on the demo fleet's LEO
and GEO passes over two stations with two receivers (micius, jinan-1) and their protocols.

Never an exception; a piece or window without a whole key slot has a zero key whose
``limiting`` says so, and the other passes of the batch are untouched; every key is the
finite-key estimate of the same slots handed straight to :func:`passplan.keyrate.pass_key`
(equal for one window, to the optimiser's tolerance when batched). Which slots a window holds
is computed here from the slot edges, not with the chain's own mask.

Deterministic (``derandomize=True``): the quick suite runs 620 draws (120 batches of pieces,
300 sets of windows, 50 tracks, 150 series) in about 10 s; ``--run-slow`` runs the same
properties with 3,900.

Found and fixed: a pass piece shorter than one key slot (a pass cut by a constraint or by the
window's end to 0.5 s) aborted the whole forecast batch with "the window lasts 0.499 s, less
than one 1 s slot", so ``passes --key`` and ``schedule`` failed for every pass of the run; one
window without a whole slot aborted :func:`window_keys` for all the others; a window or pass of
a single slot counted the protocol's 1 s of pulses whatever its slot (a 16-s GEO slot, a
half-second ``step_s``), as the estimator reads the slot off the spacing of the slot times.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from passplan import find_passes, select_stations
from passplan.elements import demo_fleet_path, load_file
from passplan.errors import InputError
from passplan.forecast import forecast_passes, slot_seconds
from passplan.forecast.chain import channel_key, window_key, window_keys
from passplan.forecast.series import series_key
from passplan.keyrate import Protocol, pass_key
from passplan.keyrate.passkey import NO_SLOT
from passplan.keyrate.protocol import (
    BOUNDS,
    EC_METHODS,
    ERROR_MODELS,
    KEY_BASES,
    KEY_INTENSITIES,
    bundled_protocols,
)
from passplan.keyrate.series import ChannelSeries
from passplan.link import list_profiles
from passplan.track import track_passes

T0 = datetime(2026, 12, 2, tzinfo=UTC)
#: Relative agreement of a batched key with the same key alone: the batched optimiser's
#: tolerance (passplan.keyrate.batch: keys equal to 1e-6 relative).
BATCH_REL = 1e-6

_SETTINGS = dict(deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                        HealthCheck.data_too_large])
QUICK = dict(_SETTINGS)
SLOW = dict(_SETTINGS)


@pytest.fixture(scope="module")
def base():
    """One night of the demo fleet over Jinan (jinan-1 receiver, optimised jinan1 protocol) and
    Xinglong (micius receiver, micius2017 protocol with fixed source): 16 LEO passes and two
    8-hour GEO windows (16-s slots), with their forecasts."""
    fleet = load_file(demo_fleet_path(), T0)
    night = T0 + timedelta(hours=10)
    ps = [p for p in find_passes(fleet, select_stations(["jinan", "xinglong"]), night, night + timedelta(hours=8))
          if not p.excluded]
    fcs = forecast_passes(ps)
    assert len(fcs) == len(ps) >= 10
    assert {slot_seconds(p.duration_s) for p in ps} == {1.0, 16.0}
    return ps, fcs


def _piece(p, start_s: float, length_s: float):
    """The pass ``p`` cut to ``[AOS + start_s, AOS + start_s + length_s]`` (as a constraint or
    the window's end cuts it)."""
    aos = p.aos + timedelta(seconds=start_s)
    los = aos + timedelta(seconds=length_s)
    tca = min(max(p.tca, aos), los)
    return replace(p, aos=aos, los=los, tca=tca, partial=True, cut_start_by="window", cut_end_by="window")


def _whole_slots(span_s: float, step_s: float) -> int:
    return int(math.floor(span_s / step_s + 1e-9))


def _clean(a) -> np.ndarray:
    a = np.asarray(a, float)
    return np.where(np.isfinite(a), a, 0.0)


def _assert_key_sane(k) -> None:
    assert math.isfinite(k.secret_key_bits) and k.secret_key_bits >= 0
    assert (k.limiting is None) == (k.secret_key_bits > 0), k.limiting
    assert k.n_slots >= 0 and k.key_window_s >= 0


def _lengths():
    """Piece lengths: zero, under a second, about one slot, tens of seconds, up to the whole."""
    return st.one_of(
        st.just(0.0),
        st.floats(0.001, 0.999),
        st.floats(0.999, 1.001),
        st.floats(1.0, 40.0),
        st.floats(15.0, 17.0),  # about one 16-s GEO slot
        st.floats(0.0, 1.0).map(lambda f: -f),  # a fraction of the pass (negative: marks it)
    )


# ---- the regression ---------------------------------------------------------------------------

def test_a_piece_shorter_than_a_slot_gives_a_zero_key_and_keeps_the_batch(base) -> None:
    """Today's main: "the window lasts 0.499 s, less than one 1 s slot" for the whole batch."""
    ps, fcs = base
    k = next(i for i, f in enumerate(fcs) if f.key.secret_key_bits > 0 and f.pass_.duration_s < 3600)
    short = _piece(ps[k], 0.0, 0.499)
    out = forecast_passes([short, ps[k]])
    assert len(out) == 2
    assert out[0].key.secret_key_bits == 0 and out[0].key.n_slots == 0 and len(out[0].geometry.t_s) == 0
    assert out[0].key.limiting == "no whole key slot: the pass lasts 0.499 s, less than one 1 s slot"
    assert out[0].to_dict()["key_limiting"] == out[0].key.limiting  # the record a --key run prints
    assert out[0].to_dict()["mean_background_prob_per_gate"] is None
    assert out[1].key.secret_key_bits == pytest.approx(fcs[k].key.secret_key_bits, rel=BATCH_REL)
    assert forecast_passes([short])[0].key.secret_key_bits == 0  # alone too


def test_passes_key_over_a_window_ending_half_a_second_after_aos() -> None:
    """The issue's command: ``passes --key`` over a window ending 0.5 s after an AOS."""
    from typer.testing import CliRunner

    from passplan.cli import app

    args = ["passes", "--sats", "micius", "--station", "xinglong", "--start", "2016-12-19T16:40Z",
            "--end", "2016-12-19T16:48:44.236Z", "--allow-stale", "--key", "--format", "json"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    import json

    rec = json.loads(r.stdout)[0]
    assert rec["duration_s"] == pytest.approx(0.499, abs=1e-3) and rec["secret_key_bits"] == 0
    assert rec["key_limiting"].startswith("no whole key slot: the pass lasts 0.49")


def test_window_keys_keep_the_batch_when_one_window_has_no_slot(base) -> None:
    ps, fcs = base
    f = next(f for f in fcs if f.key.secret_key_bits > 0 and f.pass_.duration_s < 3600)
    a = f.pass_.aos
    wins = [(a, f.pass_.los), (a + timedelta(seconds=10.1), a + timedelta(seconds=10.9)), (a, a + timedelta(seconds=100))]
    got = window_keys(f, wins)
    assert got[1].secret_key_bits == 0 and got[1].n_slots == 0
    assert got[1].limiting.startswith(f"no whole key slot of {f.pass_.uid} lies between")
    for (s, e), k in zip([wins[0], wins[2]], [got[0], got[2]], strict=True):
        assert k.secret_key_bits == pytest.approx(window_key(f, s, e).secret_key_bits, rel=BATCH_REL)
    with pytest.raises(InputError, match="no whole key slot"):  # one window alone: an error
        window_key(f, *wins[1])
    with pytest.raises(InputError, match="not after its start"):
        window_keys(f, [(a + timedelta(seconds=5), a)])


def test_no_slot_channel_is_a_zero_key_with_its_reason(base) -> None:
    _, fcs = base
    f = fcs[0]
    for sel in ([], np.zeros(len(f.geometry.t_s), bool)):
        k = channel_key(f.link, f.geometry.t_s, f.protocol_params, sel)
        assert (k.secret_key_bits, k.limiting, k.n_slots, k.pulses) == (0.0, NO_SLOT, 0, 0.0)
        assert k.to_dict()["intensities"] == list(f.protocol_params.intensities)


def test_one_slot_counts_its_own_length(base) -> None:
    """Found by the fuzz: the key estimator reads the slot duration off the spacing of the slot
    times, which a single slot has not, so one 16-s GEO slot counted as 1 s of pulses (and one
    half-second slot as a whole second)."""
    ps, fcs = base
    geo = next(f for f in fcs if slot_seconds(f.pass_.duration_s) == 16.0)
    a = geo.pass_.aos + timedelta(seconds=160)
    for k in (window_key(geo, a, a + timedelta(seconds=16)), window_keys(geo, [(a, a + timedelta(seconds=16))])[0]):
        assert (k.n_slots, k.key_window_s) == (1, 16.0)
        assert k.pulses == 16.0 * geo.protocol_params.pulses_per_s
    leo = next(p for p in ps if p.duration_s < 3600)
    f = forecast_passes([_piece(leo, 100.0, 0.7)], step_s=0.5)[0]
    assert (f.key.n_slots, f.key.key_window_s) == (1, 0.5)
    assert f.key.pulses == 0.5 * f.protocol_params.pulses_per_s


# ---- the fuzz -------------------------------------------------------------------------------

def _pieces_property(base, data) -> None:
    ps, _ = base
    n = data.draw(st.integers(1, 3), label="pieces")
    # the keywords of a run: a link profile and protocol for every pass (else each station's
    # receiver and its protocol), a slot of the user's, every slot evaluated
    profile = data.draw(st.sampled_from([None, None, *list_profiles()]), label="profile")
    protocol = data.draw(st.sampled_from([None, None, *sorted(bundled_protocols())]), label="protocol")
    step_s = data.draw(st.sampled_from([None, None, 0.5, 1.0, 7.0, 60.0]), label="step_s")
    adaptive = data.draw(st.booleans(), label="adaptive")
    pieces = []
    for _ in range(n):
        p = ps[data.draw(st.integers(0, len(ps) - 1), label="pass")]
        dur = p.duration_s
        length = data.draw(_lengths(), label="length")
        length = -length * dur if length < 0 else min(length, dur)
        if step_s is not None or not adaptive:
            length = min(length, 900.0)  # a GEO window at half-second slots is a benchmark, not a draw
        start = data.draw(st.floats(0.0, 1.0), label="start") * (dur - length)
        pieces.append(_piece(p, start, length))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning (mean of nothing, ...) either
        out = forecast_passes(pieces, profile=profile, protocol=protocol, step_s=step_s, adaptive=adaptive)
    assert len(out) == len(pieces)
    for q, f in zip(pieces, out, strict=True):
        assert f.pass_ is q
        if profile is not None:
            assert f.profile == profile
        if protocol is not None:
            assert f.protocol == protocol
        span = (q.los - q.aos).total_seconds()
        step = slot_seconds(q.duration_s) if step_s is None else step_s
        n_slots = _whole_slots(span, step)
        t = np.asarray(f.geometry.t_s, float)
        assert np.allclose(t, (np.arange(n_slots) + 0.5) * step)
        assert len(f.link.eta) == n_slots
        k = f.key
        _assert_key_sane(k)
        if n_slots == 0:
            assert k.secret_key_bits == 0 and k.n_slots == 0
            assert k.limiting == f"no whole key slot: the pass lasts {span:.3f} s, less than one {step:g} s slot"
            continue
        assert k.n_slots <= n_slots
        assert k.key_window_s == pytest.approx(k.n_slots * step, rel=1e-9)  # every slot counts its own length
        # the reference: the same slots handed straight to the key estimator, one pass alone (the
        # slot duration given, which the estimator cannot read off a single slot's time)
        ref = pass_key(_clean(f.link.eta), _clean(f.link.background_prob_per_gate_per_detector), t,
                       replace(f.protocol_params, slot_s=step))
        assert k.secret_key_bits == pytest.approx(ref.secret_key_bits, rel=BATCH_REL, abs=1e-6)
        assert (k.limiting is None) == (ref.limiting is None)
        rec = f.to_dict()
        assert rec["secret_key_bits"] == k.secret_key_bits


@settings(max_examples=120, **QUICK)
@given(data=st.data())
def test_fuzz_pieces_through_forecast_passes(base, data) -> None:
    _pieces_property(base, data)


@pytest.mark.slow
@settings(max_examples=600, **SLOW)
@given(data=st.data())
def test_fuzz_pieces_through_forecast_passes_long(base, data) -> None:
    _pieces_property(base, data)


def _edges():
    """A window edge in seconds from AOS: before the pass, on a slot edge (to 1e-7 s), anywhere
    inside, after the pass."""
    return st.one_of(st.floats(-30.0, 0.0), st.integers(0, 500).map(float),
                     st.tuples(st.integers(0, 500), st.floats(-1e-7, 1e-7)).map(lambda v: v[0] + v[1]),
                     st.floats(0.0, 1.0).map(lambda f: -1.0 - f))  # -1 - f: a fraction of the pass


def _windows_property(base, data) -> None:
    _, fcs = base
    f = fcs[data.draw(st.integers(0, len(fcs) - 1), label="forecast")]
    dur = f.pass_.duration_s
    t = np.asarray(f.geometry.t_s, float)
    step = slot_seconds(dur)

    def edge(v: float) -> float:
        return (-v - 1.0) * dur if v < -1.0 else v

    wins, masks = [], []
    for _ in range(data.draw(st.integers(1, 3), label="windows")):
        lo = edge(data.draw(_edges(), label="lo"))
        length = data.draw(st.one_of(st.floats(1e-6, 0.999), st.floats(0.999, 2.5), st.floats(1.0, dur + 60.0),
                                     st.floats(15.0, 33.0)), label="length")
        hi = lo + length
        wins.append((f.pass_.aos + timedelta(seconds=lo), f.pass_.aos + timedelta(seconds=hi)))
        # slot k covers [k step, (k + 1) step] from AOS; in the window when wholly inside it
        # (datetimes carry microseconds: the edges as the chain sees them)
        lo_us = (wins[-1][0] - f.pass_.aos).total_seconds()
        hi_us = (wins[-1][1] - f.pass_.aos).total_seconds()
        k = np.arange(t.size)
        masks.append((k * step >= lo_us - 1e-6) & ((k + 1) * step <= hi_us + 1e-6))
    batch = window_keys(f, wins)
    assert len(batch) == len(wins)
    for (a, b), mask, kb in zip(wins, masks, batch, strict=True):
        _assert_key_sane(kb)
        if not mask.any():
            assert kb.secret_key_bits == 0 and kb.n_slots == 0
            assert kb.limiting == f"no whole key slot of {f.pass_.uid} lies between {a} and {b}"
            with pytest.raises(InputError, match="no whole key slot"):
                window_key(f, a, b)
            continue
        one = window_key(f, a, b)
        _assert_key_sane(one)
        pr = f.protocol_params if mask.sum() > 1 else replace(f.protocol_params, slot_s=step)
        ref = pass_key(_clean(f.link.eta)[mask], _clean(f.link.background_prob_per_gate_per_detector)[mask],
                       t[mask], pr)
        assert one.secret_key_bits == ref.secret_key_bits and one.limiting == ref.limiting
        assert one.n_slots == ref.n_slots <= int(mask.sum())
        assert one.key_window_s == pytest.approx(one.n_slots * step, rel=1e-9)
        assert kb.secret_key_bits == pytest.approx(one.secret_key_bits, rel=BATCH_REL, abs=1e-6)


@settings(max_examples=300, **QUICK)
@given(data=st.data())
def test_fuzz_windows_of_a_forecast(base, data) -> None:
    _windows_property(base, data)


@pytest.mark.slow
@settings(max_examples=1500, **SLOW)
@given(data=st.data())
def test_fuzz_windows_of_a_forecast_long(base, data) -> None:
    _windows_property(base, data)


def _track_property(base, data) -> None:
    ps, _ = base
    p = ps[data.draw(st.integers(0, len(ps) - 1), label="pass")]
    length = data.draw(_lengths(), label="length")
    length = -length * p.duration_s if length < 0 else min(length, p.duration_s)
    length = min(length, 900.0)  # a quarter of an hour of a GEO window at the step is plenty
    q = _piece(p, data.draw(st.floats(0.0, 1.0), label="start") * (p.duration_s - length), length)
    step = data.draw(st.sampled_from([0.1, 0.5, 1.0, 7.3, 60.0]), label="step")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tr = track_passes([q], step)[0]
    assert tr is not None
    span = (q.los - q.aos).total_seconds()
    n = len(tr.t)
    assert n >= 1 and len(tr.loss_db) == len(tr.key_rate_bps) == n
    # every step from AOS, plus LOS itself unless a step lands on it
    grid = math.ceil(span / step) if span > 0 else 0
    assert n == grid + (1 if grid == 0 or span - (grid - 1) * step > 1e-6 else 0)
    rates = np.asarray(tr.key_rate_bps, float)
    assert np.all(np.isfinite(rates)) and np.all(rates >= 0)
    fc = forecast_passes([q])[0]
    assert tr.secret_key_bits == fc.key.secret_key_bits


@settings(max_examples=50, **QUICK)
@given(data=st.data())
def test_fuzz_track_of_pieces(base, data) -> None:
    _track_property(base, data)


@pytest.mark.slow
@settings(max_examples=300, **SLOW)
@given(data=st.data())
def test_fuzz_track_of_pieces_long(base, data) -> None:
    _track_property(base, data)


_PROTOCOLS = [None, "micius2017", "jinan1", Protocol(), Protocol(optimise=False)]


def _series_property(data) -> None:
    n = data.draw(st.one_of(st.just(1), st.integers(2, 5), st.integers(6, 400)), label="slots")
    dt = data.draw(st.sampled_from([0.1, 1.0, 2.5, 16.0]), label="slot")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    shape = data.draw(st.sampled_from(["pass", "flat", "zeros", "ones", "random"]), label="shape")
    x = np.linspace(-1, 1, n)
    if shape == "pass":
        eta = 10 ** (-(rng.uniform(15, 45) + rng.uniform(0, 20) * x**2) / 10)
    elif shape == "flat":
        eta = np.full(n, 10 ** (-rng.uniform(0, 60) / 10))
    elif shape == "zeros":
        eta = np.zeros(n)
    elif shape == "ones":
        eta = np.ones(n)
    else:
        eta = rng.uniform(0, 1, n) * (rng.uniform(0, 1, n) < 0.7)
    bg_kind = data.draw(st.sampled_from(["none", "low", "day-night", "high"]), label="background")
    bg = {"none": None, "low": np.full(n, 1e-7), "day-night": np.where(x < rng.uniform(-1, 1), 3e-4, 2e-8),
          "high": rng.uniform(0, 0.5, n)}[bg_kind]
    t = rng.uniform(-1e5, 1e5) + np.arange(n) * dt
    pr = _PROTOCOLS[data.draw(st.integers(0, len(_PROTOCOLS) - 1), label="protocol")]
    if isinstance(pr, Protocol):  # every analysis choice of a protocol file
        pr = replace(pr, error_model=data.draw(st.sampled_from(ERROR_MODELS), label="error model"),
                     ec_method=data.draw(st.sampled_from(EC_METHODS), label="ec method"),
                     key_bases=data.draw(st.sampled_from(KEY_BASES), label="key bases"),
                     key_intensities=data.draw(st.sampled_from(KEY_INTENSITIES), label="key intensities"))
    kw = dict(bounds=data.draw(st.sampled_from([None, *BOUNDS]), label="bounds"),
              decoys=data.draw(st.sampled_from([None, 1, 2]), label="decoys"),
              optimise=data.draw(st.sampled_from([None, True, False]), label="optimise"),
              pulses_per_s=data.draw(st.sampled_from([None, 1e6, 1e9, 1e11]), label="pulses_per_s"))
    s = ChannelSeries(t_s=t, eta=eta, background_prob=bg, source="fuzz")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = series_key(s, pr, **kw)
    k = got.key
    _assert_key_sane(k)
    assert k.n_slots <= n
    ref = pass_key(eta, bg, t, got.protocol)  # the chain's last stage on the same channel
    assert k.secret_key_bits == ref.secret_key_bits and k.limiting == ref.limiting
    if shape == "zeros":
        assert k.secret_key_bits == 0


@settings(max_examples=150, **QUICK)
@given(data=st.data())
def test_fuzz_series_key_on_random_channels(data) -> None:
    _series_property(data)


@pytest.mark.slow
@settings(max_examples=1500, **SLOW)
@given(data=st.data())
def test_fuzz_series_key_on_random_channels_long(data) -> None:
    _series_property(data)
