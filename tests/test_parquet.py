"""Parquet of pass searches (issue 20, part 3): a round trip through pyarrow gives the NDJSON
records; row groups bound the rows held."""

from __future__ import annotations

import json
import math
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from passplan import resolve_satellites, select_stations
from passplan.cli import app
from passplan.errors import InputError

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

T0 = datetime(2026, 3, 20, 12, tzinfo=UTC)
START = "2026-03-20T12:00Z"


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def read_back(path: Path) -> list[dict[str, Any]]:
    """The file's rows in the JSON's terms: timestamps as ISO ``Z`` strings to the millisecond
    (pyarrow reads them as aware datetimes)."""
    rows = pq.read_table(path).to_pylist()
    for r in rows:
        for k, v in r.items():
            if isinstance(v, datetime):
                r[k] = v.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return rows


def same(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert list(x) == list(y)
        for k in x:
            u, v = x[k], y[k]
            if isinstance(u, float) and isinstance(v, float) and math.isnan(u):
                assert math.isnan(v)
            else:
                assert u == v, (k, u, v)


def test_columns_are_the_records_keys() -> None:
    from passplan import find_passes, forecast_passes
    from passplan.exports.parquet import KEY_COLUMNS, PASS_COLUMNS

    sats = resolve_satellites(["micius"], datetime(2016, 12, 19, 12, tzinfo=UTC)).satellites
    found = find_passes(sats, select_stations(["xinglong"]), datetime(2016, 12, 19, 12, tzinfo=UTC),
                        datetime(2016, 12, 20, 0, tzinfo=UTC))
    rec = forecast_passes(found.passes)[0].to_dict()
    assert tuple(rec) == PASS_COLUMNS + KEY_COLUMNS


def test_cli_parquet_round_trip_equals_ndjson(tmp_path: Path) -> None:
    """Two days of three demo satellites over two stations, written as the search goes (a day a
    block): the rows read back are the NDJSON records, in order."""
    base = ["passes", "--sats", "DEMO-SSO-1,DEMO-SSO-2,DEMO-SSO-3", "--station", "xinglong", "--station", "graz",
            "--start", START, "--days", "2"]
    nd = run(*base, "--format", "ndjson")
    assert nd.exit_code == 0, nd.output
    records = [json.loads(line) for line in nd.stdout.splitlines()]
    assert len(records) > 20
    out = tmp_path / "week.parquet"
    res = run(*base, "--format", "parquet", "-o", str(out))
    assert res.exit_code == 0, res.output
    same(read_back(out), records)
    schema = pq.read_schema(out)
    assert str(schema.field("aos_utc").type) == "timestamp[ms, tz=UTC]" and schema.field("norad_id").type == pa.int64()


def test_key_forecasts_round_trip(tmp_path: Path) -> None:
    base = ["passes", "--sats", "micius", "--station", "xinglong", "--station", "graz", "--start",
            "2016-12-19T12:00Z", "--days", "1", "--key"]
    nd = run(*base, "--format", "ndjson")
    assert nd.exit_code == 0, nd.output
    out = tmp_path / "key.parquet"
    assert run(*base, "--format", "parquet", "-o", str(out)).exit_code == 0
    same(read_back(out), [json.loads(line) for line in nd.stdout.splitlines()])


def test_row_groups_bound_the_rows_held(tmp_path: Path) -> None:
    """A stream of blocks: every row group but the last has exactly ``row_group_rows`` rows, and
    the writer never holds more than a row group plus one block."""
    from passplan.designed import walker_delta
    from passplan.exports.parquet import ParquetStream, write_parquet
    from passplan.query import search_passes

    fleet = walker_delta("W", T0, altitude_km=550.0, planes=2, per_plane=2, phasing=1, inclination_deg=53.0)
    q = search_passes(fleet, select_stations(["xinglong", "graz"]), T0, T0 + timedelta(days=2))
    blocks = [list(b) for b in q.record_blocks(chunk=7)]
    n = sum(map(len, blocks))
    assert len(blocks) > 3 and n > 30
    out = tmp_path / "groups.parquet"
    with out.open("wb") as fh, ParquetStream(fh, row_group_rows=10) as stream:
        for b in blocks:
            stream.write(b)
    assert stream.rows == n and stream.most_rows_held < 10 + 7
    meta = pq.ParquetFile(out).metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert sizes[:-1] == [10] * (len(sizes) - 1) and sum(sizes) == n and sizes[-1] <= 10
    same(read_back(out), json.loads(q.to_json()))
    # the library call streams the query itself, with the same rows; on_batch sees its passes
    seen: list[Any] = []
    write_parquet(q, tmp_path / "lib.parquet", row_group_rows=10, on_batch=seen.extend)
    assert pq.read_table(tmp_path / "lib.parquet").equals(pq.read_table(out))
    assert [r.pass_.uid for r in seen] == [r["uid"] for r in read_back(out)]


def test_empty_search_keeps_the_columns(tmp_path: Path) -> None:
    from passplan.exports.parquet import PASS_COLUMNS, write_parquet
    from passplan.query import search_passes

    sats = resolve_satellites(["DEMO-SSO-1"], T0).satellites
    q = search_passes(sats, select_stations(["xinglong"]), T0, T0 + timedelta(minutes=5), min_max_el_deg=89.99)
    write_parquet(q, tmp_path / "none.parquet")
    t = pq.read_table(tmp_path / "none.parquet")
    assert t.num_rows == 0 and tuple(t.column_names) == PASS_COLUMNS


def test_parquet_needs_an_output_file_before_any_work(tmp_path: Path) -> None:
    res = run("passes", "--sats", "DEMO-SSO-1", "--station", "xinglong", "--start", START, "--hours", "2",
              "--format", "parquet")
    assert res.exit_code == 2
    assert res.stderr.strip().splitlines() == [
        "passplan: error: --format parquet writes a binary file; give --output FILE (e.g. -o passes.parquet)"
    ]
    res = run("passes", "--sats", "DEMO-SSO-1", "--station", "xinglong", "--start", START, "--hours", "2",
              "--format", "parquet", "-o", str(tmp_path / "missing" / "x.parquet"))
    assert res.exit_code == 2 and "--output" in res.stderr and not (tmp_path / "missing").exists()


def test_without_pyarrow_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from passplan.exports.parquet import write_parquet

    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(InputError, match=r"pip install 'passplan\[data\]'"):
        write_parquet([{"a": 1}], tmp_path / "x.parquet")
    assert not (tmp_path / "x.parquet").exists()


def test_a_column_of_mixed_types_is_one_error(tmp_path: Path) -> None:
    from passplan.exports.parquet import write_parquet

    with pytest.raises(InputError, match="column 'max_el_deg'"):
        write_parquet([{"max_el_deg": 1.0}, {"max_el_deg": "high"}], tmp_path / "x.parquet")
    assert list(tmp_path.iterdir()) == []


def test_tonight_parquet_equals_its_ndjson(tmp_path: Path) -> None:
    base = ["tonight", "xinglong", "--date", "2016-12-19", "--sats", "micius", "--allow-stale", "--key"]
    nd = run(*base, "--format", "ndjson")
    assert nd.exit_code == 0, nd.output
    out = tmp_path / "tonight.parquet"
    res = run(*base, "--format", "parquet", "-o", str(out))
    assert res.exit_code == 0, res.output
    rows = read_back(out)
    same(rows, [json.loads(line) for line in nd.stdout.splitlines()])
    assert len(rows) == 1 and round(rows[0]["secret_key_bits"]) == 287298
