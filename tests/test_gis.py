"""GIS-ready coverage (issue 20, part 2): the CF NetCDF and GeoJSON files hold the JSON's metrics
cell for cell; a GeoJSON polygon region and ``--land-only`` keep the cells whose centre lies inside
and average over exactly those (checked against cells and weights chosen by hand here); the land
mask against geography (known land and sea points, Earth's land fraction); cell polygons against
RFC 7946 (counter-clockwise, split at the antimeridian, clamped at the poles).

Studies are tiny (10 and 30 deg grids, one satellite, one day at 60 s): a fraction of a second each.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from region_cases import BAD_REGIONS
from typer.testing import CliRunner

from passplan.cli import app
from passplan.coverage import Grid, coverage
from passplan.coverage.region import land, load_region
from passplan.elements import resolve_satellites
from passplan.errors import InputError
from passplan.exports.geojson import cell_geometries
from passplan.exports.gridded import write_netcdf
from passplan.units import R_EARTH_M

xr = pytest.importorskip("xarray")
shapely = pytest.importorskip("shapely")

T0 = "2026-03-20T12:00Z"
START = datetime(2026, 3, 20, 12, tzinfo=UTC)
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture(scope="module")
def sats():
    return resolve_satellites(["DEMO-SSO-1"], START, False).satellites


@pytest.fixture(scope="module")
def asia(sats):
    """The unrestricted study of the hand-checked box: 10 deg cells over 10..50 N, 70..120 E."""
    return coverage(sats, Grid(10.0, 10.0, 50.0, 70.0, 120.0), START, 1.0, step_s=60.0)


def _cell_values(res, centres):
    """Full-precision metrics of ``res`` at the given (lat, lon) cell centres."""
    index = {(round(a, 6), round(b, 6)): i for i, (a, b) in enumerate(zip(res.lat_deg, res.lon_deg, strict=True))}
    rows = [index[c] for c in centres]
    return {k: v[rows] for k, v in res.metrics.items()}


def _hand_mean(values, centres, step=10.0):
    """Area-weighted mean by hand: a cell between parallels a and b has area proportional to
    sin(b) - sin(a) on a sphere (equal longitude widths)."""
    w = np.array([math.sin(math.radians(lat + step / 2)) - math.sin(math.radians(lat - step / 2)) for lat, _ in centres])
    ok = np.isfinite(values)
    return float(np.sum(w[ok] * values[ok]) / np.sum(w[ok]))


# -- the hand-checked box -----------------------------------------------------------------------
# 20 cells, centres at lat 15, 25, 35, 45 and lon 75, 85, 95, 105, 115. By geography: every
# centre is on land except (15, 85) (Bay of Bengal, the Andhra coast is near 80 E), (15, 115)
# (South China Sea) and (15, 95) (Gulf of Martaban, within a degree of the coast): the
# polygon below leaves that last cell out with a notch, so no kept cell hangs on the coastline's
# generalisation. (15, 75) is Karnataka, about a degree inland of the Goa coast.
NOTCHED = [[70, 10], [90, 10], [90, 20], [100, 20], [100, 10], [120, 10], [120, 50], [70, 50], [70, 10]]
REGION_CELLS = [(lat, lon) for lat in (15.0, 25.0, 35.0, 45.0) for lon in (75.0, 85.0, 95.0, 105.0, 115.0)
                if (lat, lon) != (15.0, 95.0)]
LAND_CELLS = [c for c in REGION_CELLS if c not in {(15.0, 85.0), (15.0, 115.0)}]


def _notched_file(tmp_path: Path) -> Path:
    f = tmp_path / "notched.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "notched box"},
         "geometry": {"type": "Polygon", "coordinates": [NOTCHED]}}]}))
    return f


@pytest.mark.parametrize("land_only", [False, True])
def test_polygon_region_and_land_mean_over_exactly_the_kept_cells(tmp_path: Path, asia, land_only: bool) -> None:
    args = ["coverage", "--sats", "DEMO-SSO-1", "--grid-deg", "10", "--region", str(_notched_file(tmp_path)),
            "--start", T0, "--days", "1", "--step-s", "60", "--format", "json"]
    r = run(*args, *(["--land-only"] if land_only else []))
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    expected_cells = LAND_CELLS if land_only else REGION_CELLS
    assert [(c["lat_deg"], c["lon_deg"]) for c in doc["cells"]] == expected_cells
    assert doc["summary"]["kept_cells"] == len(expected_cells) and doc["summary"]["cells"] == 20
    values = _cell_values(asia, expected_cells)
    for name, mean in doc["summary"]["area_weighted"].items():
        assert mean == pytest.approx(_hand_mean(values[name], expected_cells), abs=1e-4), name
    # per-cell values are the unrestricted study's (the region only selects)
    for c in doc["cells"]:
        one = _cell_values(asia, [(c["lat_deg"], c["lon_deg"])])
        assert c["usable_min_per_day"] == round(float(one["usable_min_per_day"][0]), 4)


def test_land_only_on_a_box_region(asia) -> None:
    """--region as LAT0,LAT1,LON0,LON1 still works, with --land-only: 10..50 N x 100..120 E keeps
    all but the South China Sea cell (15, 115)."""
    r = run("coverage", "--sats", "DEMO-SSO-1", "--grid-deg", "10", "--region", "10,50,100,120", "--land-only",
            "--start", T0, "--days", "1", "--step-s", "60", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    kept = [(lat, lon) for lat in (15.0, 25.0, 35.0, 45.0) for lon in (105.0, 115.0) if (lat, lon) != (15.0, 115.0)]
    assert [(c["lat_deg"], c["lon_deg"]) for c in doc["cells"]] == kept
    values = _cell_values(asia, kept)
    aw = doc["summary"]["area_weighted"]
    assert aw["passes_per_day"] == pytest.approx(_hand_mean(values["passes_per_day"], kept), abs=1e-4)


def test_netcdf_and_geojson_round_trip_the_json(tmp_path: Path, sats) -> None:
    """A whole-Earth 30 deg study restricted to land: the NetCDF read back by xarray and the
    GeoJSON read back as JSON give the JSON output's metrics cell for cell."""
    res = coverage(sats, Grid(30.0), START, 1.0, step_s=60.0, land_only=True)
    records = json.loads(res.to_json())["cells"]
    assert 0 < len(records) < 72
    nc = tmp_path / "cov.nc"
    write_netcdf(res, nc)
    first = nc.read_bytes()
    write_netcdf(res, nc)
    assert nc.read_bytes() == first  # deterministic: no creation time in the file
    with xr.open_dataset(nc, engine="netcdf4") as ds:
        assert ds.attrs["Conventions"] == "CF-1.8"
        assert ds["lat"].attrs["units"] == "degrees_north" and ds["lat"].attrs["standard_name"] == "latitude"
        assert ds["lon"].attrs["units"] == "degrees_east" and ds["lon"].attrs["standard_name"] == "longitude"
        assert ds["usable_min_per_day"].attrs["units"] == "min day-1"
        assert ds.attrs["fleet"] == "DEMO-SSO-1" and ds.attrs["region"].startswith("land")
        assert ds.attrs["time_coverage_start"] == "2026-03-20T12:00:00+00:00"
        # the cells of a whole-Earth grid tile the sphere: 4 pi R^2
        assert float(ds["cell_area"].sum()) == pytest.approx(4 * math.pi * R_EARTH_M**2, rel=1e-12)
        assert int(ds["cell_kept"].sum()) == len(records)
        names = [k for k in records[0] if k not in ("lat_deg", "lon_deg")]
        assert set(names) <= set(ds.data_vars)
        for rec in records:
            cell = ds.sel(lat=rec["lat_deg"], lon=rec["lon_deg"])
            for k in names:
                v = float(cell[k])
                assert (None if math.isnan(v) else round(v, 4)) == rec[k], (rec, k)
        # the cells left out are NaN in every metric
        outside = ds["cell_kept"].values == 0
        assert np.all(np.isnan(ds["passes_per_day"].values[outside]))
        assert ds["passes_per_day"].attrs["area_weighted_mean"] == pytest.approx(
            res.summary()["area_weighted"]["passes_per_day"], abs=1e-4)
    gj = json.loads(res.to_geojson())
    assert gj["type"] == "FeatureCollection" and gj["summary"] == json.loads(res.to_json())["summary"]
    assert [f["properties"] for f in gj["features"]] == records
    for f in gj["features"]:
        poly = shapely.geometry.shape(f["geometry"])
        p = f["properties"]
        assert poly.contains(shapely.Point(p["lon_deg"], p["lat_deg"]))


def _signed_area(ring) -> float:
    """Shoelace area, positive for a counter-clockwise ring (lon = x, lat = y)."""
    a = np.asarray(ring, float)
    return 0.5 * float(np.sum(a[:-1, 0] * a[1:, 1] - a[1:, 0] * a[:-1, 1]))


def test_cell_polygons_rfc7946_poles_and_antimeridian() -> None:
    # a grid past 180 whose middle cell straddles it, and the polar cells of a 30 deg grid
    g = Grid(5.0, 80.0, 90.0, 167.5, 192.5)
    lat, lon = g.cells()
    geoms = cell_geometries(lat, lon, g.step_deg)
    for la, lo, geo in zip(lat, lon, geoms, strict=True):
        polys = geo["coordinates"] if geo["type"] == "MultiPolygon" else [geo["coordinates"]]
        area = 0.0
        for rings in polys:
            ring = rings[0]
            assert ring[0] == ring[-1] and _signed_area(ring) > 0  # closed, counter-clockwise
            assert all(-180.0 <= x <= 180.0 and -90.0 <= y <= 90.0 for x, y in ring)
            area += _signed_area(ring)
        assert area == pytest.approx(25.0)  # a 5 x 5 deg cell, in one piece or two
        ys = {y for rings in polys for _, y in rings[0]}
        assert ys == {la - 2.5, la + 2.5}
        straddles = abs(lo - 180.0) < 2.5
        assert (geo["type"] == "MultiPolygon") == straddles
        if straddles:  # split at the antimeridian: [177.5, 180] and [-180, -177.5]
            xs = sorted({x for rings in polys for x, _ in rings[0]})
            assert xs == [-180.0, -177.5, 177.5, 180.0]
    polar = cell_geometries(np.array([75.0, -75.0]), np.array([15.0, 15.0]), 30.0)
    assert max(y for _, y in polar[0]["coordinates"][0]) == 90.0
    assert min(y for _, y in polar[1]["coordinates"][0]) == -90.0


def test_land_mask_at_known_places() -> None:
    places = {  # (lat, lon): land?
        (48.85, 2.35): True,  # Paris
        (-1.29, 36.82): True,  # Nairobi
        (-15.8, -47.9): True,  # Brasilia
        (-23.7, 133.9): True,  # Alice Springs
        (72.0, -40.0): True,  # Greenland's ice sheet
        (-89.5, 0.0): True,  # near the South Pole (Antarctica closed through the pole)
        (66.0, -170.5): True,  # Chukotka east of the antimeridian
        (64.7, 177.5): True,  # Anadyr, west of it
        (0.0, -30.0): False,  # mid-Atlantic
        (0.0, -150.0): False,  # mid-Pacific
        (42.0, 50.8): False,  # the Caspian Sea (a ring inside Eurasia: water)
        (89.5, 0.0): False,  # the Arctic Ocean at the North Pole
        (-60.0, 0.0): False,  # Southern Ocean
        (35.0, 18.0): False,  # Ionian Sea
        (60.0, -85.0): False,  # Hudson Bay
        (43.0, 34.0): False,  # Black Sea
    }
    lat = np.array([p[0] for p in places])
    lon = np.array([p[1] for p in places])
    assert land().contains(lat, lon).tolist() == list(places.values())
    # the same places given with longitudes in [0, 360)
    assert land().contains(lat, lon % 360.0).tolist() == list(places.values())


def test_land_fraction_of_the_earth() -> None:
    """Earth's land is 148.94 million km2 of 510.07 (29.2 %, CIA World Factbook); the 1:110m
    coastline sampled at 2 deg cell centres and weighted by exact cell areas comes within 1 %."""
    g = Grid(2.0)
    lat, lon = g.cells()
    frac = float(np.sum(g.area_weights()[land().contains(lat, lon)]))
    assert frac == pytest.approx(148.94 / 510.07, abs=0.01)


def test_antimeridian_region_split_or_across_keeps_the_same_cells(tmp_path: Path) -> None:
    split = tmp_path / "split.geojson"
    split.write_text(json.dumps({"type": "MultiPolygon", "coordinates": [
        [[[170, -20], [180, -20], [180, -10], [170, -10], [170, -20]]],
        [[[-180, -20], [-170, -20], [-170, -10], [-180, -10], [-180, -20]]]]}))
    across = tmp_path / "across.geojson"
    across.write_text(json.dumps({"type": "Polygon", "coordinates": [
        [[170, -20], [190, -20], [190, -10], [170, -10], [170, -20]]]}))
    a, b = load_region(split), load_region(across)
    g = a.bounds_grid(5.0)
    assert (g.lat0, g.lat1, g.lon0, g.lon1) == (-20.0, -10.0, 170.0, 190.0)
    lat, lon = g.cells()
    assert a.contains(lat, lon).all() and b.contains(lat, lon).all()
    outside = np.array([-15.0, -15.0]), np.array([165.0, -165.0])
    assert not a.contains(*outside).any() and not b.contains(*outside).any()


@pytest.mark.parametrize("text, says", BAD_REGIONS)
def test_bad_region_files_are_named(tmp_path: Path, text: str, says: str) -> None:
    f = tmp_path / "r.geojson"
    f.write_text(text)
    with pytest.raises(InputError) as err:
        load_region(f)
    assert str(f) in str(err.value) and says in str(err.value)
    r = run("coverage", "--sats", "DEMO-SSO-1", "--grid-deg", "30", "--region", str(f), "--start", T0)
    assert r.exit_code == 2 and says in r.output and "Traceback" not in r.output


def test_netcdf_needs_an_output_file_and_region_must_keep_a_cell(tmp_path: Path) -> None:
    r = run("coverage", "--sats", "DEMO-SSO-1", "--grid-deg", "30", "--start", T0, "--format", "netcdf")
    assert r.exit_code == 2 and "--output FILE.nc" in r.output
    tiny = tmp_path / "tiny.geojson"  # a small square between cell centres of a 30 deg grid
    tiny.write_text(json.dumps({"type": "Polygon", "coordinates": [[[1, 1], [2, 1], [2, 2], [1, 2], [1, 1]]]}))
    r = run("coverage", "--sats", "DEMO-SSO-1", "--grid-deg", "30", "--start", T0, "--region", str(tiny))
    assert r.exit_code == 2 and "no cell centre" in r.output


@pytest.mark.parametrize("extra", [["--format", "geojson"], ["--land-only"]])
def test_compare_mode_refuses_the_grid_only_options(extra: list[str]) -> None:
    r = run("coverage", "--compare", "demo", "--station", "graz", "--start", T0, *extra)
    assert r.exit_code == 2 and "not --compare" in r.output


@pytest.mark.parametrize("module", ["shapely", "xarray", "netCDF4"])
def test_a_missing_geo_extra_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, module: str) -> None:
    import sys

    from passplan.coverage.region import require_shapely
    from passplan.exports.gridded import require_netcdf

    monkeypatch.setitem(sys.modules, module, None)  # import now raises ImportError
    check = require_shapely if module == "shapely" else require_netcdf
    with pytest.raises(InputError, match=r"pip install 'passplan\[geo\]'"):
        check()
    args = ["--land-only"] if module == "shapely" else ["--format", "netcdf", "-o", str(tmp_path / "c.nc")]
    r = run("coverage", "--sats", "DEMO-SSO-1", "--grid-deg", "30", "--start", T0, *args)
    assert r.exit_code == 2 and "passplan[geo]" in r.output and not (tmp_path / "c.nc").exists()


def test_netcdf_write_is_atomic(tmp_path: Path, sats, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that fails half-way leaves the earlier file whole and nothing beside it."""
    res = coverage(sats, Grid(30.0), START, 1.0, step_s=60.0)
    target = tmp_path / "c.nc"
    target.write_bytes(b"earlier")

    def broken(self, path, *args, **kwargs):
        Path(path).write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", broken)
    with pytest.raises(InputError, match="c.nc"):
        write_netcdf(res, target)
    assert target.read_bytes() == b"earlier" and sorted(p.name for p in tmp_path.iterdir()) == ["c.nc"]
