"""`passplan doctor` on GeoJSON region files (coverage --region) and coverage studies' JSON (report
--coverage): the checks their readers run, so the same errors (file, feature or cell, the fix),
every problem at once, the kind told from the content or given with --kind region / coverage."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from region_cases import BAD_REGIONS
from typer.testing import CliRunner

from passplan.cli import app
from passplan.errors import InputError
from passplan.schema import check_file

pytest.importorskip("shapely")

SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [60, 0], [60, 60], [0, 60], [0, 0]]]}
#: Bad region texts and what the loader says (tests/test_gis.py's cases, and a feature's bad position).
BAD = [
    *BAD_REGIONS,
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": ' + json.dumps(SQUARE)
     + '}, {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], ["a", 0], [1, 1], [0, 0]]]}}]}',
     "feature 2, ring 1, position 2: give [longitude, latitude] as two numbers"),
]


def doctor(*args: str) -> Any:
    return CliRunner().invoke(app, ["doctor", *args])


def test_doctor_says_what_coverage_says(tmp_path: Path) -> None:
    from passplan.coverage.region import load_region

    said = []
    for k, (text, says) in enumerate(BAD):
        f = tmp_path / f"r{k}.geojson"
        f.write_text(text)
        with pytest.raises(InputError) as err:
            load_region(f)
        problems = check_file(f)  # told from the .geojson name
        assert len(problems) == 1 and str(problems[0]) == str(err.value) and says in str(err.value)
        assert check_file(f, "region") == problems
        said.append(str(err.value))
    res = doctor(*(str(tmp_path / f"r{k}.geojson") for k in range(len(BAD))))
    assert res.exit_code == 2 and res.stdout.splitlines() == said
    assert res.stderr.strip() == (f"passplan: error: {len(BAD)} problem(s) in {len(BAD)} of {len(BAD)} file(s), "
                                  "listed above; fix them and run doctor again")


def test_every_features_problem_at_once(tmp_path: Path) -> None:
    """Three features, two of them bad: doctor lists both; the loader names the first and says
    how many more there are."""
    from passplan.coverage.region import load_region

    feats = [{"type": "Feature", "geometry": None},
             {"type": "Feature", "geometry": SQUARE},
             {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}}]
    f = tmp_path / "two.json"  # a .json name: told from the content
    f.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    got = [p.message for p in check_file(f)]
    assert got == ["feature 1 has no geometry; give it a Polygon or MultiPolygon",
                   "feature 3, ring 1: the ring is not closed; repeat its first position at its end"]
    with pytest.raises(InputError) as err:
        load_region(f)
    assert str(err.value) == f"{f}: {got[0]} (and 1 more problem(s): `passplan doctor {f}` lists them)"
    res = doctor(str(f), "--format", "json")
    assert res.exit_code == 2 and [r["message"] for r in json.loads(res.stdout)] == got


def test_a_valid_region_is_ok_whatever_its_name(tmp_path: Path) -> None:
    from passplan.coverage.region import load_region

    for name in ("r.geojson", "r.json", "r.txt"):
        f = tmp_path / name
        f.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": SQUARE}))
        assert check_file(f) == [] and load_region(f).geometry.area == 3600.0
        res = doctor(str(f))
        assert res.exit_code == 0 and res.stdout == f"{f}: ok\n"
    # a JSON file that is not GeoJSON is not taken for a region
    other = tmp_path / "other.json"
    other.write_text('{"type": "Circle"}')
    said = check_file(other)[0].message
    assert said.startswith("cannot tell the file kind from its content (JSON); give it (--kind stations|")
    assert "|region|" in said or said.endswith("|region)")
    assert check_file(other, "region")[0].message.startswith("the geometry is a Circle")


def test_without_shapely_the_problem_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "r.geojson"
    f.write_text(json.dumps(SQUARE))
    monkeypatch.setitem(sys.modules, "shapely", None)  # import now raises ImportError
    problems = check_file(f)
    assert len(problems) == 1 and "pip install 'passplan[geo]'" in problems[0].message


# ---------------------------------------------------------------------------------------------
# A coverage study's JSON (report --coverage)

CELL = {"lat_deg": -45.0, "lon_deg": -90.0, "usable_min_per_day": 12.5}
#: Bad coverage documents and what report --coverage's reader says.
BAD_COVERAGE = [
    ('{"summary": {}}', 'no "cells" list'),
    ('{"cells": []}', 'no "cells" list'),
    ('{"cells": [3]}', "cells[0] is not an object"),
    (json.dumps({"cells": [CELL, {**CELL, "lon_deg": "east"}]}), "cells[1].lon_deg is 'east', not a number"),
    (json.dumps({"cells": [CELL, {"lat_deg": 1, "lon_deg": 2}]}), "cells[1] has no 'usable_min_per_day'"),
    (json.dumps({"cells": [CELL, {**CELL, "usable_min_per_day": True}]}), "cells[1].usable_min_per_day is True"),
]


@pytest.mark.parametrize(("text", "says"), BAD_COVERAGE, ids=[str(k) for k in range(len(BAD_COVERAGE))])
def test_doctor_says_what_report_coverage_says(tmp_path: Path, text: str, says: str) -> None:
    from passplan.exports.html import read_coverage_grid

    f = tmp_path / "cov.json"
    f.write_text(text)
    with pytest.raises(InputError) as err:
        read_coverage_grid(f)
    problems = check_file(f, "coverage")
    assert [str(p) for p in problems] == [str(err.value)] and says in str(err.value)
    if "cells" in text:  # told from the content
        assert check_file(f) == problems


def test_a_coverage_studys_own_json_is_ok_and_every_bad_cell_is_listed(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from passplan import resolve_satellites
    from passplan.coverage import Grid, coverage

    t0 = datetime(2026, 3, 20, 12, tzinfo=UTC)
    study = coverage(resolve_satellites(["DEMO-SSO-1"], t0).satellites, Grid(90.0), t0, 0.25, step_s=60.0)
    f = tmp_path / "study.json"
    f.write_text(study.to_json())  # what `passplan coverage --format json` writes
    res = doctor(str(f))
    assert res.exit_code == 0 and res.stdout == f"{f}: ok\n"
    doc = json.loads(f.read_text())
    doc["cells"][1]["lat_deg"] = None
    doc["cells"][3] = "a cell"
    f.write_text(json.dumps(doc))
    res = doctor(str(f), "--format", "json")
    assert res.exit_code == 2
    assert [r["message"] for r in json.loads(res.stdout)] == [
        "cells[1].lat_deg is None, not a number; give the JSON that `passplan coverage --format json -o FILE` writes",
        "cells[3] is not an object; give the JSON that `passplan coverage --format json -o FILE` writes",
    ]
