"""CZML of schedules and pass searches (issue 20, part 1), read back with czml3's models; the
satellites' positions checked against Skyfield's own SGP4 and Earth-fixed frame."""

from __future__ import annotations

import io
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from passplan import Constraints, resolve_satellites, select_stations
from passplan.cli import app
from passplan.errors import InputError

czml3 = pytest.importorskip("czml3")

T1 = datetime(2026, 12, 2, 12, tzinfo=UTC)
T0 = datetime(2016, 12, 19, 12, tzinfo=UTC)


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module")
def schedule() -> Any:
    from passplan.schedule.run import schedule_passes

    demo = resolve_satellites(["DEMO-SSO-2,DEMO-SSO-3"], T1).satellites
    return schedule_passes(demo, select_stations(["xinglong", "nanshan"]), T1, T1 + timedelta(hours=6),
                           Constraints(darkness="nautical"))


def _interval(packet: Any) -> str:
    return json.loads(packet.model_dump_json(exclude_none=True))["availability"]


def test_schedule_czml_holds_every_link_of_the_json_plan(schedule: Any, tmp_path: Path) -> None:
    from passplan.exports.czml import write_czml

    path = write_czml(schedule, tmp_path / "plan.czml")
    assert path == tmp_path / "plan.czml"
    doc = czml3.Document.load(path)  # czml3's reader validates every packet against its models
    links = json.loads(schedule.to_json())["links"]
    packets = [p for p in doc.packets if p.id.startswith("link/")]
    assert len(packets) == len(links) == 4
    for p, ln in zip(packets, links, strict=True):
        assert p.id == f"link/{ln['pass_uid']}@{ln['start_utc']}"
        assert _interval(p) == f"{ln['start_utc']}/{ln['end_utc']}"
        assert p.properties == ln  # the JSON record, field for field
        refs = json.loads(p.polyline.model_dump_json(exclude_none=True))["positions"]["references"]
        assert refs[1] == f"station/{ln['station']}#position"
        assert any(q.id == refs[0].split("#")[0] for q in doc.packets)
    ids = [p.id for p in doc.packets]
    assert ids[0] == "document" and len(set(ids)) == len(ids)
    assert {"station/xinglong", "station/nanshan", "satellite/DEMO-SSO-2", "satellite/DEMO-SSO-3"} <= set(ids)
    assert "viridis" in doc.packets[0].description


def test_cli_schedule_czml_is_the_library_text(schedule: Any, tmp_path: Path) -> None:
    from passplan.exports.czml import czml_text

    out = tmp_path / "s.czml"
    res = run("schedule", "--sats", "DEMO-SSO-2,DEMO-SSO-3", "--station", "xinglong", "--station", "nanshan",
              "--start", "2026-12-02T12:00Z", "--hours", "6", "--night", "nautical", "--format", "czml", "-o", str(out))
    assert res.exit_code == 0, res.output
    assert out.read_text() == czml_text(schedule) == czml_text(schedule)  # deterministic


def test_pass_search_czml_and_positions_against_skyfield() -> None:
    """Every usable pass is one line over AOS-LOS; the satellite's samples are the positions
    Skyfield's SGP4 and ITRS frame give at those instants (within 1 m: both rotate TEME by the
    Earth's angle without polar motion, Skyfield through its own chain of frames)."""
    from skyfield.api import EarthSatellite
    from skyfield.framelib import itrs

    from passplan.exports.czml import write_czml
    from passplan.query import search_passes
    from passplan.times import timescale

    sats = resolve_satellites(["micius"], T0).satellites
    q = search_passes(sats, select_stations(["xinglong", "graz"]), T0, T0 + timedelta(hours=12), key=True)
    buf = io.StringIO()
    assert write_czml(q, buf, step_s=120.0) is None
    doc = czml3.Document.model_validate_json(buf.getvalue())
    records = [r for r in json.loads(q.to_json()) if not r.get("excluded_by")]
    lines = [p for p in doc.packets if p.id.startswith("pass/")]
    assert [p.id for p in lines] == [f"pass/{r['uid']}" for r in records] and lines
    for p, r in zip(lines, records, strict=True):
        assert _interval(p) == f"{r['aos_utc']}/{r['los_utc']}"
        assert p.properties["secret_key_bits"] == r["secret_key_bits"]
    # the README's pass: 287 kbit over 417 s, about 690 bit/s: the 100-1000 bit/s colour
    first = json.loads(lines[0].polyline.model_dump_json(exclude_none=True))
    assert first["material"]["solidColor"]["color"]["rgba"] == [34, 168, 132, 255]
    stations = {p.id for p in doc.packets if p.id.startswith("station/")}
    assert stations == {"station/xinglong", "station/graz"}

    sat = next(p for p in doc.packets if p.id == "satellite/41731")
    pos = json.loads(sat.position.model_dump_json(exclude_none=True))
    assert pos["referenceFrame"] == "FIXED" and pos["epoch"] == "2016-12-19T12:00:00.000Z"
    samples = np.array(pos["cartesian"]).reshape(-1, 4)
    assert samples[0, 0] == 0.0 and samples[-1, 0] == 12 * 3600.0 and len(samples) == 361
    ts = timescale()
    picks = samples[::60]
    t = ts.from_datetimes([T0 + timedelta(seconds=float(s)) for s in picks[:, 0]])
    ref = EarthSatellite.from_satrec(sats[0].satrec, ts).at(t).frame_xyz(itrs).m.T
    err = np.linalg.norm(picks[:, 1:] - ref, axis=1)
    assert err.max() < 1.0, err  # measured 0.06 m


def test_coverage_cells_as_rectangles(schedule: Any) -> None:
    from passplan.coverage import CoverageConstraints, Grid, coverage
    from passplan.designed import walker_delta
    from passplan.exports.czml import czml_text

    fleet = walker_delta("W", T1, altitude_km=550.0, planes=2, per_plane=2, phasing=1, inclination_deg=53.0)
    cov = coverage(fleet, Grid(30.0), T1, 1.0, step_s=120.0, constraints=CoverageConstraints(min_elevation_deg=15.0))
    doc = czml3.Document.model_validate_json(czml_text(schedule, coverage=cov, metric="usable_min_per_day"))
    cells = [json.loads(p.model_dump_json(exclude_none=True)) for p in doc.packets if p.id.startswith("cell/")]
    records = cov.to_records()
    assert len(cells) == len(records) == 72
    for c, r in zip(cells, records, strict=True):
        w, s, e, n = c["rectangle"]["coordinates"]["wsenDegrees"]
        assert (w, s, e, n) == (r["lon_deg"] - 15, r["lat_deg"] - 15, r["lon_deg"] + 15, r["lat_deg"] + 15)
        assert c["properties"]["usable_min_per_day"] == r["usable_min_per_day"]
    best = max(range(72), key=lambda i: records[i]["usable_min_per_day"])
    assert cells[best]["rectangle"]["material"]["solidColor"]["color"]["rgba"][:3] == [253, 231, 37]
    with pytest.raises(InputError, match="metric 'nope'"):
        czml_text(schedule, coverage=cov, metric="nope")


def test_rate_colours_and_bad_step() -> None:
    from passplan.exports.czml import COLOURS, GREY, rate_colour

    assert rate_colour(None) == GREY and rate_colour(0.0) == COLOURS[0] and rate_colour(0.99) == COLOURS[0]
    assert rate_colour(1.0) == COLOURS[1] and rate_colour(999.0) == COLOURS[3] and rate_colour(1e6) == COLOURS[5]
    import matplotlib

    viridis = matplotlib.colormaps["viridis"]  # the colours are its samples at 0, 0.2, ... 1
    assert [tuple(round(255 * x) for x in viridis(k / 5)[:3]) for k in range(6)] == list(COLOURS)
    from passplan.exports.czml import czml_text

    with pytest.raises(InputError, match="step_s 0"):
        czml_text([], step_s=0)


def test_cli_passes_czml_to_stdout(tmp_path: Path) -> None:
    res = run("passes", "--sats", "DEMO-SSO-1", "--station", "xinglong", "--start", "2026-03-20T12:00Z",
              "--hours", "12", "--format", "czml")
    assert res.exit_code == 0, res.output
    doc = czml3.Document.model_validate_json(res.stdout)
    nd = run("passes", "--sats", "DEMO-SSO-1", "--station", "xinglong", "--start", "2026-03-20T12:00Z",
             "--hours", "12", "--format", "ndjson")
    uids = [json.loads(line)["uid"] for line in nd.stdout.splitlines()]
    assert [p.id for p in doc.packets if p.id.startswith("pass/")] == [f"pass/{u}" for u in uids] and uids


def test_without_czml3_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch, schedule: Any) -> None:
    from passplan.exports.czml import czml_text

    monkeypatch.setitem(sys.modules, "czml3", None)
    with pytest.raises(InputError, match=r"pip install 'passplan\[czml\]'"):
        czml_text(schedule)
    res = run("passes", "--sats", "DEMO-SSO-1", "--station", "xinglong", "--start", "2026-03-20T12:00Z",
              "--hours", "2", "--format", "czml")
    assert res.exit_code == 2 and "passplan[czml]" in res.stderr
