"""Parquet of ``schedule`` (its links) and ``next`` (its one pass record), written by the writer of
``passes --format parquet`` (passplan.exports.parquet.write_parquet): read back with pyarrow, the
rows are the JSON's values under the JSON's keys; stdout is refused before any work."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from passplan.cli import app

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

T0 = "2026-03-20T12:00Z"
DATA = Path(__file__).resolve().parents[1] / "passplan" / "data" / "schedule"
SCHEDULE = ["schedule", "--sats", "DEMO-SSO-1", "--station", "xinglong", "--start", T0, "--hours", "2"]
NEXT = ["next", "DEMO-SSO-1", "--station", "xinglong", "--start", T0, "--within-days", "1"]


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def as_json_values(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """pyarrow's rows in the JSON's terms: an aware timestamp as the ISO ``Z`` string to the
    millisecond (how the JSON writes a ``*_utc`` instant)."""
    out = []
    for r in rows:
        out.append({k: (v.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z" if isinstance(v, datetime) else v)
                    for k, v in r.items()})
    return out


def equal_rows(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert list(g) == list(w)  # the JSON keys, in the JSON's order
        for k in w:
            assert g[k] == w[k], (k, g[k], w[k])


def test_schedule_links_parquet_equals_the_json_links(tmp_path: Path) -> None:
    js = run(*SCHEDULE, "--format", "json")
    assert js.exit_code == 0, js.output
    links = json.loads(js.stdout)["links"]
    assert links, "the base window must schedule a link"
    out = tmp_path / "schedule.parquet"
    res = run(*SCHEDULE, "--format", "parquet", "-o", str(out))
    assert res.exit_code == 0, res.output
    equal_rows(as_json_values(pq.read_table(out).to_pylist()), links)
    schema = pq.read_schema(out)
    assert str(schema.field("start_utc").type) == "timestamp[ms, tz=UTC]"
    assert schema.field("handover").type == pa.bool_() and schema.field("key_bits").type == pa.float64()


def test_candidates_schedule_parquet_keeps_the_request_column(tmp_path: Path) -> None:
    base = ["schedule", "--candidates", str(DATA / "candidates-example.csv"), "--requests",
            str(DATA / "requests-example.toml")]
    js = run(*base, "--format", "json")
    assert js.exit_code == 0, js.output
    links = json.loads(js.stdout)["links"]
    out = tmp_path / "c.parquet"
    assert run(*base, "--format", "parquet", "-o", str(out)).exit_code == 0
    rows = as_json_values(pq.read_table(out).to_pylist())
    equal_rows(rows, links)
    assert any(r["request"] for r in rows)
    # LINK_COLUMNS (the columns of a schedule with no link) name the JSON's link keys, in order
    from passplan.exports.parquet import LINK_COLUMNS

    assert list(links[0])[: len(LINK_COLUMNS)] == list(LINK_COLUMNS)


def test_an_empty_schedule_still_has_the_link_columns(tmp_path: Path) -> None:
    from passplan.exports.parquet import LINK_COLUMNS

    # the first pass of DEMO-SSO-1 over xinglong rises at 13:42 UTC: an hour from 12:00 holds none
    empty = ["schedule", "--sats", "DEMO-SSO-1", "--station", "xinglong", "--start", T0, "--hours", "1"]
    out = tmp_path / "none.parquet"
    res = run(*empty, "--format", "parquet", "-o", str(out))
    assert res.exit_code == 0, res.output
    table = pq.read_table(out)
    assert table.num_rows == 0 and tuple(table.column_names) == LINK_COLUMNS
    assert str(table.schema.field("end_utc").type) == "timestamp[ms, tz=UTC]"


def test_next_parquet_is_its_json_object_as_one_row(tmp_path: Path) -> None:
    js = run(*NEXT, "--format", "json")
    assert js.exit_code == 0, js.output
    out = tmp_path / "next.parquet"
    res = run(*NEXT, "--format", "parquet", "-o", str(out))
    assert res.exit_code == 0, res.output
    equal_rows(as_json_values(pq.read_table(out).to_pylist()), [json.loads(js.stdout)])


@pytest.mark.parametrize(("args", "example"), [
    (SCHEDULE, "schedule.parquet"),
    (["schedule", "--candidates", str(DATA / "candidates-example.csv")], "schedule.parquet"),
    (NEXT, "next.parquet"),
])
@pytest.mark.parametrize("output", [None, "-"])
def test_parquet_refuses_stdout_before_any_work(args: list[str], example: str, output: str | None,
                                                 monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import passplan.cli.next_pass as next_pass

    def no_work(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("the search ran before the output was checked")

    monkeypatch.setattr(next_pass, "next_pass", no_work)
    monkeypatch.setattr("passplan.schedule.run.schedule_passes", no_work)
    monkeypatch.setattr("passplan.schedule.candidates_file.load_candidates", no_work)
    monkeypatch.chdir(tmp_path)
    res = run(*args, "--format", "parquet", *(["-o", output] if output else []))
    assert res.exit_code == 2, res.output
    assert res.stderr.strip() == (
        f"passplan: error: --format parquet writes a binary file; give --output FILE (e.g. -o {example})"
    )
    assert list(tmp_path.iterdir()) == []
