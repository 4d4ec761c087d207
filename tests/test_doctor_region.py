"""`passplan doctor` on GeoJSON region files (coverage --region): the reader coverage uses, so the
same errors (file, feature, the fix), every feature's problem at once, the kind told from the
content or given with --kind region."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from passplan.cli import app
from passplan.errors import InputError
from passplan.schema import check_file

pytest.importorskip("shapely")

SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [60, 0], [60, 60], [0, 60], [0, 0]]]}
#: Bad region texts and what the loader says (tests/test_gis.py's cases, and a feature's bad position).
BAD = [
    ("{not json", "not JSON (line 1"),
    ('{"type": "Point", "coordinates": [1, 2]}', "is a Point; a region must be a Polygon or MultiPolygon"),
    ('{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}', "ring 1: the ring is not closed"),
    ('{"type": "Polygon", "coordinates": [[[10, 100], [11, 100], [11, 101], [10, 100]]]}', "latitude 100 is outside"),
    ('{"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}', "is not a valid polygon"),
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": null}]}', "feature 1 has no geometry"),
    ('{"type": "FeatureCollection", "features": []}', "holds no polygon"),
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": ' + json.dumps(SQUARE)
     + '}, {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], ["a", 0], [1, 1], [0, 0]]]}}]}',
     "feature 2, ring 1, position 2: give [longitude, latitude] as two numbers"),
]


def doctor(*args: str) -> Any:
    return CliRunner().invoke(app, ["doctor", *args])


@pytest.mark.parametrize(("text", "says"), BAD, ids=[str(k) for k in range(len(BAD))])
def test_doctor_says_what_coverage_says(tmp_path: Path, text: str, says: str) -> None:
    from passplan.coverage.region import load_region

    f = tmp_path / "r.geojson"
    f.write_text(text)
    with pytest.raises(InputError) as err:
        load_region(f)
    problems = check_file(f)  # told from the .geojson name
    assert len(problems) == 1 and str(problems[0]) == str(err.value) and says in str(err.value)
    assert check_file(f, "region") == problems
    res = doctor(str(f))
    assert res.exit_code == 2 and res.stdout == str(err.value) + "\n"
    assert res.stderr.strip() == "passplan: error: 1 problem(s) in 1 of 1 file(s), listed above; fix them and run doctor again"


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
    assert said.endswith("|region)")
    assert check_file(other, "region")[0].message.startswith("the geometry is a Circle")


def test_without_shapely_the_problem_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "r.geojson"
    f.write_text(json.dumps(SQUARE))
    monkeypatch.setitem(sys.modules, "shapely", None)  # import now raises ImportError
    problems = check_file(f)
    assert len(problems) == 1 and "pip install 'passplan[geo]'" in problems[0].message
