"""The byte-identical speed-ups of the pass engine's bookkeeping and text against their plain
authorities: ``np.lexsort``, the JSON encoder and the ``csv`` module row by row (whatever the
text's row chunks), and one search cut into many blocks against the same search in one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from column_fakes import random_columns


@pytest.mark.parametrize("rows", [1, 7, 40, 4096])
def test_text_composed_in_row_chunks_is_the_encoders(rows: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """JSON and CSV text composed every ``rows`` rows (one row, chunks ending mid-way, exactly
    the rows, all at once) equals the encoder's and the csv module's text of the records."""
    from passplan.io import _dumps, to_csv
    from passplan.passes import columns

    monkeypatch.setattr(columns, "_TEXT_ROWS", rows)
    cols = random_columns(40, 3)
    records = cols.records()
    want = [_dumps(r) for r in records]
    assert cols.json_text("\n") == "\n".join(want)
    assert cols.json_text(",\n") == ",\n".join(want)
    keys = list(records[0])
    assert cols.csv_text(keys) == to_csv(records, keys).split("\n", 1)[1]
    # the writer writes the parts one after the other: the encoder's whole text
    import io

    from passplan.io import RecordWriter, to_json, to_ndjson
    from passplan.passes.columns import ColumnRecords

    for fmt, whole in (("ndjson", to_ndjson), ("json", to_json)):
        buf = io.StringIO()
        writer = RecordWriter(buf, fmt)
        writer.write(ColumnRecords(cols.rows(0, 25)))
        writer.write(ColumnRecords(cols.rows(25, 40)))
        writer.close()
        assert buf.getvalue() == whole(records)


def test_lexsort3_is_lexsort() -> None:
    """The packed stable sort orders rows as ``np.lexsort`` does: ties on every key kept in row
    order, and keys too wide to pack left to lexsort itself."""
    from passplan.passes.columns import lexsort3 as _lexsort3

    rng = np.random.default_rng(8)
    for high_span in (5, 10**10, 2**61):
        low = rng.integers(0, 4, 3000)
        mid = rng.integers(0, 3, 3000)
        high = 1_700_000_000_000_000 + rng.integers(0, high_span, 3000)
        assert np.array_equal(_lexsort3(low, mid, high), np.lexsort((low, mid, high)))
    one = np.array([3])
    assert np.array_equal(_lexsort3(one, one, one), [0])


def test_many_blocks_stitch_to_one_search() -> None:
    """The open passes and their (rise, set) carried from block to block in arrays: a day of a
    LEO and a GEO over three stations searched in blocks of 20 minutes (passes open across many
    block edges, at the start and at the end) gives the records of one search in a single block."""
    from passplan.elements import resolve_satellites
    from passplan.passes import Constraints, iter_passes
    from passplan.passes.columns import PassColumns
    from passplan.stations import select_stations

    t0 = datetime(2026, 12, 2, 3, 17, tzinfo=UTC)
    sats = resolve_satellites(["demo"], t0, True).satellites
    stations = select_stations(["graz", "xinglong", "stellenbosch"])
    t1 = t0 + timedelta(hours=9)

    def records(block_s: float) -> list[dict]:  # type: ignore[type-arg]
        parts = [p.columns for p in iter_passes(sats, stations, t0, t1, Constraints(), block_s=block_s)]
        cols = PassColumns.concat([c for c in parts if len(c)])
        return sorted(cols.records(), key=lambda r: (r["aos_utc"], r["station"], r["satellite"]))

    one = records(86400.0)
    assert len(one) > 10 and any(r["partial"] for r in one)
    assert records(1200.0) == one


@pytest.mark.parametrize("batch", [5, 1 << 15])
def test_points_in_satellite_batches_are_the_rows_alone(batch: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The points' SGP4 values, computed in batches taken in satellite order with the Sun of
    the pass ends handed over, are bit for bit what one :class:`Look` over all the rows computes
    itself (refraction on, so the reported elevation is not the geometric one)."""
    from passplan.designed import walker_delta
    from passplan.passes import Constraints
    from passplan.passes import pieces as pieces_mod
    from passplan.passes.block import Block
    from passplan.stations import Station

    monkeypatch.setattr(pieces_mod, "_BATCH_ROWS", batch)
    t0 = datetime(2026, 11, 23, tzinfo=UTC)
    sats = walker_delta("T", t0, altitude_km=550.0, planes=2, per_plane=3, phasing=1, inclination_deg=53.0)
    stations = [Station(id=f"s{i}", name=f"s{i}", lat_deg=la, lon_deg=lo, alt_m=100.0 * i, min_elevation_deg=10.0)
                for i, (la, lo) in enumerate([(47.0, 15.5), (-33.9, 18.9), (40.4, 117.6)])]
    horizon, cons = Constraints(refraction=True).build(stations)
    blk = Block(sats, stations, t0, t0 + timedelta(hours=3), 0, 100, 60.0, horizon, cons)
    rng = np.random.default_rng(9)
    n, n_ends = 37, 15
    sat, st, t = rng.integers(0, len(sats), n), rng.integers(0, len(stations), n), rng.uniform(0.0, 5900.0, n)
    lk = blk.look(sat, st, t, exact=True, velocity=False)
    sun = blk.scene.sun_ecef(t)
    s0, s1, s2 = sun[:, 0], sun[:, 1], sun[:, 2]
    unit = sun / np.sqrt(s0 * s0 + s1 * s1 + s2 * s2)[:, None]
    got = pieces_mod._points(blk, sat, st, t, unit[:n_ends].copy(), lk.sun_el_deg[:n_ends].copy())
    assert np.array_equal(got["el"], np.where(lk.ok, horizon.elevation(lk.el_deg), -180.0))
    assert not np.array_equal(got["el"], lk.el_deg)
    for key, want in (("az", lk.az_deg), ("rng", lk.range_km), ("litm", lk.sunlit_margin_km), ("sun_el", lk.sun_el_deg)):
        assert np.array_equal(got[key], want), key


def test_lexsort3_falls_back_where_it_cannot_pack() -> None:
    """Negative low keys, float keys and a span of the high key past int64 go to lexsort."""
    from passplan.passes.columns import lexsort3

    rng = np.random.default_rng(11)
    low, mid = rng.integers(-3, 3, 500), rng.integers(0, 3, 500)
    high = rng.integers(0, 4, 500)
    assert np.array_equal(lexsort3(low, mid, high), np.lexsort((low, mid, high)))
    assert np.array_equal(lexsort3(mid, mid, high + 0.5), np.lexsort((mid, mid, high + 0.5)))
    wide = np.where(rng.random(500) < 0.5, -(2**62), 2**62)
    assert np.array_equal(lexsort3(mid, mid, wide), np.lexsort((mid, mid, wide)))
