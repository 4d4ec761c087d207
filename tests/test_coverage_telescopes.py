"""Key per day for a station with N telescopes (issue 21, part 5): the weighted interval
schedule against brute force (every subset of runs), and the coverage metrics beside the
unlimited sum."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import numpy as np
import pytest

from passplan.coverage import CoverageConstraints, Grid, coverage
from passplan.coverage.chunk import ChunkTask, run_chunk
from passplan.coverage.keytable import key_tables_for
from passplan.coverage.telescopes import metric_name, scheduled_key
from passplan.designed import walker_delta
from passplan.errors import InputError

T0 = datetime(2026, 12, 2, tzinfo=UTC)


def brute(starts: list[int], lengths: list[int], bits: list[float], telescopes: int) -> float:
    """The best total over every subset of runs that never has more than ``telescopes`` runs
    at one sample (sample-by-sample occupancy count)."""
    best = 0.0
    n = len(starts)
    horizon = max(s + n_ for s, n_ in zip(starts, lengths, strict=True)) + 1
    for k in range(n + 1):
        for sub in itertools.combinations(range(n), k):
            load = np.zeros(horizon, int)
            for i in sub:
                load[starts[i] : starts[i] + lengths[i]] += 1
            if load.max(initial=0) <= telescopes:
                best = max(best, sum(bits[i] for i in sub))
    return best


def runs_array(cells, starts, lengths, bits) -> np.ndarray:
    return np.array([cells, starts, lengths, bits], float)


def test_hand_checked_cell() -> None:
    # four runs over one cell (samples, end exclusive): A 1-11 (5 kbit), B 8-16 (4 kbit), C 12-21
    # (3 kbit), D 16-19 (2.5 kbit). One telescope: A + C = 8 kbit beats A + D = 7.5 and B + D = 6.5
    # (C and D overlap, A and B overlap, B and C overlap). Two telescopes: no sample has more than
    # two runs (A-B at 8-10, B-C at 12-15, C-D at 16-18), so all four: 14.5 kbit.
    starts, lengths, bits = [1, 8, 12, 16], [10, 8, 9, 3], [5000.0, 4000.0, 3000.0, 2500.0]
    r = runs_array([0, 0, 0, 0], starts, lengths, bits)
    assert scheduled_key(r, 1, 1)[0] == 8000.0 == brute(starts, lengths, bits, 1)
    assert scheduled_key(r, 1, 2)[0] == 14500.0 == brute(starts, lengths, bits, 2)


@pytest.mark.parametrize("telescopes", [1, 2, 3])
def test_random_cells_equal_brute_force(telescopes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(21)
    cells, starts, lengths, bits, want = [], [], [], [], []
    for c in range(60):
        n = int(rng.integers(0, 9))
        s = rng.integers(1, 40, n).tolist()
        ln = rng.integers(1, 12, n).tolist()
        b = np.round(rng.uniform(0, 1e4, n), 3).tolist()
        cells += [c] * n
        starts += s
        lengths += ln
        bits += b
        want.append(brute(s, ln, b, telescopes) if n else 0.0)
    got = scheduled_key(runs_array(cells, starts, lengths, bits), 60, telescopes)
    assert np.allclose(got, want, rtol=1e-12, atol=1e-9)
    monkeypatch.setattr("passplan.coverage.telescopes._LP_RUNS", 10)  # many small LPs: the same optima
    assert np.allclose(scheduled_key(runs_array(cells, starts, lengths, bits), 60, telescopes), want, rtol=1e-12, atol=1e-9)


def test_one_telescope_on_a_real_cell_equals_brute_force() -> None:
    """A real cell (40 N, 117 E) under a 12-satellite fleet for a day: its usable runs and their
    key, as the chunk finds them, scheduled by brute force within each overlapping component."""
    sats = walker_delta("w", T0, altitude_km=550, planes=3, per_plane=4, phasing=1, inclination_deg=53)
    c = CoverageConstraints()
    tables = tuple(key_tables_for(sats, "micius", T0, c.min_elevation_deg))
    task = ChunkTask(satellites=tuple(sats), group=0, band=0, block=0, rows_lat_deg=np.array([40.0]), lon0_deg=116.0,
                     step_deg=2.0, n_lon=1, start=T0, n_samples=2880, step_s=30.0, constraints=c,
                     key_tables=tables, runs=True)
    r = run_chunk(task).runs
    assert r is not None and r.shape[1] >= 6
    order = np.argsort(r[1])
    s, ln, b = r[1][order].astype(int), r[2][order].astype(int), r[3][order]
    # components of overlapping runs, each brute-forced
    total, comp = 0.0, [0]
    reach = s[0] + ln[0]
    for i in range(1, s.size + 1):
        if i == s.size or s[i] >= reach:
            total += brute([int(s[j]) for j in comp], [int(ln[j]) for j in comp], [float(b[j]) for j in comp], 1)
            comp = [i]
        else:
            comp.append(i)
        if i < s.size:
            reach = max(reach, s[i] + ln[i]) if len(comp) > 1 else s[i] + ln[i]
    overlaps = int(np.sum(s[1:] < np.maximum.accumulate(s + ln)[:-1]))
    assert overlaps >= 1  # the cell has satellites in view together: the schedule has choices
    study = coverage(sats, Grid(2.0, 39.0, 41.0, 116.0, 118.0), T0, 1.0, constraints=c, profile="micius", telescopes=1)
    got = study.metrics["key_bits_per_day_1_telescope"][0]
    assert got == pytest.approx(total, rel=1e-12)
    assert got < study.metrics["key_bits_per_day"][0] == pytest.approx(float(b.sum()), rel=1e-12)


def test_telescope_metrics_sit_beside_the_unchanged_unlimited_sum() -> None:
    sats = walker_delta("w", T0, altitude_km=550, planes=3, per_plane=4, phasing=1, inclination_deg=53)
    grid = Grid(10.0, lat0=20.0, lat1=60.0, lon0=100.0, lon1=140.0)
    c = CoverageConstraints()
    plain = coverage(sats, grid, T0, 1.0, constraints=c, profile="micius")
    one = coverage(sats, grid, T0, 1.0, constraints=c, profile="micius", telescopes=1)
    two = coverage(sats, grid, T0, 1.0, constraints=c, profile="micius", telescopes=2, workers=2)
    many = coverage(sats, grid, T0, 1.0, constraints=c, profile="micius", telescopes=12)
    for k in plain.metrics:
        assert np.array_equal(plain.metrics[k], one.metrics[k], equal_nan=True), k
        assert np.array_equal(plain.metrics[k], two.metrics[k], equal_nan=True), k
    k1, k2 = one.metrics[metric_name(1)], two.metrics[metric_name(2)]
    unlimited = plain.metrics["key_bits_per_day"]
    assert metric_name(2) == "key_bits_per_day_2_telescopes"
    assert np.all(k1 <= k2 + 1e-6) and np.all(k2 <= unlimited + 1e-6) and np.any(k1 < unlimited)
    assert np.allclose(many.metrics[metric_name(12)], unlimited, rtol=1e-12)  # as many telescopes as satellites
    rec = one.to_records()[0]
    assert list(rec)[-2:] == ["key_bits_per_day", "key_bits_per_day_1_telescope"]
    assert "key_bits_per_day_1_telescope" in one.summary()["area_weighted"]
    with pytest.raises(InputError, match="^telescopes 0"):
        coverage(sats, grid, T0, 1.0, profile="micius", telescopes=0)
    with pytest.raises(InputError, match="give profile"):
        coverage(sats, grid, T0, 1.0, telescopes=1)
