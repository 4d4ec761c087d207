"""The key window with a background that changes through the pass (a GEO or MEO link from day
into night): the optimiser must find the dark part, not fit its parameters to daylight."""

from __future__ import annotations

import numpy as np
import pytest

from passplan.keyrate import Protocol, pass_key


def test_day_then_night_window_is_the_night() -> None:
    n = 2000
    eta = np.full(n, 2.3e-5)  # a flat GEO-like channel (46 dB)
    bg = np.where(np.arange(n) < 800, 5e-4, 1e-8)  # daylight, then a dark sky
    key = pass_key(eta, bg, np.arange(n) * 24.0, Protocol(pulses_per_s=1e9, extraneous_click_prob=0.0))
    assert key.secret_key_bits > 0 and key.limiting is None
    assert key.window_start_s >= 800 * 24.0 - 24.0
    night_only = pass_key(eta[800:], bg[800:], np.arange(n - 800) * 24.0,
                          Protocol(pulses_per_s=1e9, extraneous_click_prob=0.0))
    assert key.secret_key_bits >= 0.999 * night_only.secret_key_bits


def test_background_blind_case_unchanged() -> None:
    """A constant background keeps the transmittance-ordered window search (LEO night pass)."""
    t = np.arange(-200, 201)
    eta = 1e-3 * np.exp(-((t / 60.0) ** 2))  # 30 dB at the centre, 78 dB at the ends
    a = pass_key(eta, np.full(t.size, 1e-7), t.astype(float), Protocol())
    assert a.secret_key_bits > 0 and a.window_start_s > -200 and a.window_end_s < 201


def test_coarse_to_fine_scan_matches_the_whole_scan(monkeypatch) -> None:
    """Past SCAN_ALL slots the window search scans coarse to fine; the key it finds equals the
    whole scan's (every hull, every edge position) to 1e-6, on a LEO-like pass, a long flat
    window and a day-then-night window."""
    from passplan.keyrate import windows

    t = np.arange(-300, 301)
    cases = [
        (1e-3 * np.exp(-((t / 90.0) ** 2)), np.full(t.size, 1e-7), 1.0),
        (np.full(1500, 2.3e-5) * (1 + 0.2 * np.sin(np.arange(1500) / 200)), np.full(1500, 1e-8), 4.0),
        (np.full(1800, 2.3e-5), np.where(np.arange(1800) < 700, 5e-4, 1e-8), 24.0),
    ]
    pr = Protocol(pulses_per_s=1e9, extraneous_click_prob=0.0)
    fast = [pass_key(e, b, np.arange(e.size) * dt, pr) for e, b, dt in cases]
    monkeypatch.setattr(windows, "SCAN_ALL", 10**9)
    whole = [pass_key(e, b, np.arange(e.size) * dt, pr) for e, b, dt in cases]
    for a, b in zip(fast, whole, strict=True):
        assert b.secret_key_bits > 0
        assert a.secret_key_bits == pytest.approx(b.secret_key_bits, rel=1e-6)
