"""DataFrames of the documents (issue 20, part 3): the columns and values of the JSON records."""

from __future__ import annotations

import json
import math
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from passplan import Constraints, resolve_satellites, select_stations
from passplan.errors import InputError

pd = pytest.importorskip("pandas")

T0 = datetime(2016, 12, 19, 12, tzinfo=UTC)
T1 = datetime(2026, 12, 2, 12, tzinfo=UTC)


def _iso(value: Any) -> Any:
    """A frame cell back in the JSON's terms: timestamps as ISO ``Z`` strings (ms), missing values
    as None."""
    if isinstance(value, pd.Timestamp):
        return value.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def assert_frame_is(frame: Any, records: list[dict[str, Any]]) -> None:
    """Every JSON record is one row: the same columns, in order, and the same values."""
    assert len(frame) == len(records)
    keys = list(dict.fromkeys(k for r in records for k in r))
    assert list(frame.columns) == keys
    rows = frame.to_dict("records")
    for rec, row in zip(records, rows, strict=True):
        for k in keys:
            want, got = rec.get(k), _iso(row[k])
            if isinstance(want, float) and isinstance(got, float):
                assert got == want or (math.isnan(want) and math.isnan(got)), (k, want, got)
            else:
                assert got == want, (k, want, got)


@pytest.fixture(scope="module")
def micius() -> list[Any]:
    return resolve_satellites(["micius"], T0).satellites


def test_pass_query_frame_equals_its_json(micius: list[Any]) -> None:
    from passplan.query import search_passes

    q = search_passes(micius, select_stations(["xinglong", "graz"]), T0, T0 + timedelta(days=1), key=True)
    records = json.loads(q.to_json())
    frame = q.to_dataframe()
    assert_frame_is(frame, records)
    assert str(frame["aos_utc"].dtype).startswith("datetime64") and str(frame["aos_utc"].dt.tz) == "UTC"
    assert frame["secret_key_bits"].dtype == "float64" and frame["station_dark"].dtype == bool
    # the README's pass: its key in bits, its elevation in degrees, as the JSON has them
    first = frame.iloc[0]
    assert first["uid"] == "41731-xinglong-20161219T164843Z"
    assert round(first["secret_key_bits"]) == 287298 and first["max_el_deg"] == 47.829


def test_excluded_passes_have_missing_key_fields(micius: list[Any]) -> None:
    from passplan.exports.frames import to_dataframe
    from passplan.query import search_passes

    q = search_passes(micius, select_stations(["xinglong"]), T0, T0 + timedelta(days=1),
                      Constraints(darkness="nautical"), include_excluded=True, key=True)
    records = json.loads(q.to_json())
    assert any(r.get("excluded_by") for r in records) and any("secret_key_bits" in r for r in records)
    frame = to_dataframe(q)
    assert_frame_is(frame, records)
    excluded = frame[frame["excluded_by"].notna()]
    assert excluded["secret_key_bits"].isna().all()


def test_forecasts_and_pass_lists(micius: list[Any]) -> None:
    from passplan import find_passes, forecast_passes
    from passplan.exports.frames import to_dataframe
    from passplan.io import to_json
    from passplan.passes import passes_to_records

    found = find_passes(micius, select_stations(["xinglong"]), T0, T0 + timedelta(hours=12))
    forecasts = forecast_passes(found.passes)
    assert_frame_is(to_dataframe(forecasts), json.loads(to_json([f.to_dict() for f in forecasts])))
    assert_frame_is(to_dataframe(found.passes), json.loads(to_json(passes_to_records(found.passes))))


def test_schedule_frame_equals_its_links() -> None:
    from passplan.schedule.run import schedule_passes

    demo = resolve_satellites(["DEMO-SSO-2,DEMO-SSO-3"], T1).satellites
    run = schedule_passes(demo, select_stations(["xinglong", "nanshan"]), T1, T1 + timedelta(hours=6),
                          Constraints(darkness="nautical"))
    links = json.loads(run.to_json())["links"]
    assert len(links) == 4
    frame = run.to_dataframe()
    assert_frame_is(frame, links)
    assert frame["handover"].dtype == bool and frame["expected_key_bits"].sum() == pytest.approx(
        sum(x["expected_key_bits"] for x in links))


def test_coverage_frame_equals_its_cells() -> None:
    from passplan.coverage import CoverageConstraints, Grid, coverage
    from passplan.designed import walker_delta

    fleet = walker_delta("W", T1, altitude_km=550.0, planes=2, per_plane=2, phasing=1, inclination_deg=53.0)
    cov = coverage(fleet, Grid(30.0), T1, 1.0, step_s=120.0, constraints=CoverageConstraints(min_elevation_deg=15.0))
    cells = json.loads(cov.to_json())["cells"]
    assert any(c["usable_min_per_day"] > 0 for c in cells)
    frame = cov.to_dataframe()
    assert_frame_is(frame, cells)
    assert list(frame.columns[:2]) == ["lat_deg", "lon_deg"] and len(frame) == 72


def test_records_frame_types() -> None:
    from passplan.exports.frames import records_frame

    f = records_frame([{"norad_id": 1, "ok": True, "x": 1.5, "t_utc": "2026-01-01T00:00:00.250Z"},
                       {"norad_id": None, "ok": None, "x": None, "t_utc": None}])
    assert str(f["norad_id"].dtype) == "Int64" and str(f["ok"].dtype) == "boolean"
    assert f["x"].dtype == "float64" and math.isnan(f["x"][1])
    assert f["t_utc"][0] == pd.Timestamp("2026-01-01T00:00:00.250Z") and f["t_utc"].isna()[1]


def test_without_pandas_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from passplan.exports.frames import records_frame

    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(InputError, match=r"pip install 'passplan\[data\]'"):
        records_frame([{"a": 1}])
