"""``passplan constellation`` and ``passplan coverage``: Walker geometry against hand-computed
nodes and phasing, the coverage JSON contract, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from passplan.cli import app

runner = CliRunner()
AT = "2026-12-02T00:00Z"


def run(*args: str):
    return runner.invoke(app, list(args))


def show(path: Path) -> list[dict]:
    r = run("constellation", "show", str(path), "--at", AT, "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_walker_delta_nodes_and_phasing_by_hand(tmp_path: Path) -> None:
    """53:12/3/1: planes at RAAN 0, 120, 240 deg; in-plane spacing 90 deg; plane k shifted by
    k F 360 / T = 30 k deg (Walker 1984)."""
    f = tmp_path / "w.toml"
    assert run("constellation", "walker", "--altitude-km", "550", "--notation", "53:12/3/1", "--output", str(f)).exit_code == 0
    recs = show(f)
    assert len(recs) == 12
    raan0 = recs[0]["raan_deg"]
    for k in range(3):
        for j in range(4):
            r = recs[4 * k + j]
            assert (r["raan_deg"] - raan0) % 360 == pytest.approx(120.0 * k, abs=1e-6)
            assert (r["arg_latitude_deg"] - recs[0]["arg_latitude_deg"]) % 360 == pytest.approx((90.0 * j + 30.0 * k) % 360, abs=1e-6)
            assert r["inclination_deg"] == pytest.approx(53.0, abs=1e-9)
            assert r["altitude_km"] == pytest.approx(550.0, abs=1.0)
    # the footprint radius at 10 deg for 550 km: 14.97 deg of arc (reference README section 5)
    assert recs[0]["footprint_half_angle_deg"] == pytest.approx(14.97, abs=0.02)


def test_walker_star_sso_meo_and_geo(tmp_path: Path) -> None:
    star = tmp_path / "star.toml"
    assert run("constellation", "walker", "--altitude-km", "780", "--inclination-deg", "86.4", "--total", "6",
               "--planes", "3", "--phasing", "1", "--star", "--output", str(star)).exit_code == 0
    recs = show(star)
    nodes = sorted({round((r["raan_deg"] - recs[0]["raan_deg"]) % 360, 6) for r in recs})
    assert nodes == pytest.approx([0.0, 60.0, 120.0])  # star: planes over 180 deg
    sso = tmp_path / "sso.toml"
    assert run("constellation", "sso", "--altitude-km", "500", "--ltan", "22:30", "--planes", "2", "--per-plane", "3",
               "--output", str(sso)).exit_code == 0
    assert all(r["inclination_deg"] == pytest.approx(97.40, abs=0.02) for r in show(sso))  # J2 sun-synchronous
    meo = tmp_path / "meo.toml"
    assert run("constellation", "meo", "--altitude-km", "10000", "--inclination-deg", "55", "--per-plane", "3",
               "--output", str(meo)).exit_code == 0
    assert all(r["profile"] == "meo-generic" for r in show(meo))
    geo = tmp_path / "geo.toml"
    assert run("constellation", "geo", "--longitude-deg", "105", "--longitude-deg", "-30", "--output", str(geo)).exit_code == 0
    g = show(geo)
    assert [r["satellite"] for r in g] == ["GEO-105E", "GEO-30W"]
    assert g[0]["footprint_half_angle_deg"] == pytest.approx(71.4, abs=0.1)


@pytest.mark.parametrize(
    "args, needle",
    [
        (["walker", "--altitude-km", "550", "--notation", "53:12/5/1"], "do not divide"),
        (["walker", "--altitude-km", "550", "--notation", "53:12/3/3"], "phasing F = 3"),
        (["walker", "--altitude-km", "100", "--notation", "53:12/3/1"], "altitude"),
        (["walker", "--altitude-km", "60000", "--notation", "53:12/3/1"], "altitude"),
        (["walker", "--altitude-km", "550", "--inclination-deg", "200", "--total", "4", "--planes", "2"], "inclination"),
        (["walker", "--altitude-km", "550", "--notation", "53-12-3-1"], "i:T/P/F"),
        (["sso", "--altitude-km", "500", "--ltan", "25:00"], "HH:MM"),
        (["geo", "--longitude-deg", "500"], "longitude"),
    ],
)
def test_constellation_bad_input(args, needle) -> None:
    r = run("constellation", *args)
    assert r.exit_code == 2, r.output
    assert needle in r.output and "Traceback" not in r.output


def test_coverage_json_contract_and_map(tmp_path: Path) -> None:
    f = tmp_path / "w.toml"
    run("constellation", "walker", "--altitude-km", "550", "--notation", "53:6/2/1", "--output", str(f))
    png = tmp_path / "map.png"
    r = run("coverage", "--sats", str(f), "--grid-deg", "10", "--start", AT, "--days", "1", "--format", "json",
            "--plot", str(png))
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert set(doc) == {"cells", "summary"}
    assert len(doc["cells"]) == 18 * 36
    keys = {"lat_deg", "lon_deg", "passes_per_day", "access_min_per_day", "usable_min_per_day", "max_gap_h", "p95_gap_h"}
    assert keys <= set(doc["cells"][0])
    s = doc["summary"]
    assert {"cells", "grid_deg", "days", "area_weighted"} <= set(s)
    assert {"passes_per_day", "access_min_per_day", "usable_min_per_day", "max_gap_h", "p95_gap_h"} <= set(s["area_weighted"])
    assert png.read_bytes().startswith(b"\x89PNG")
    csv = run("coverage", "--sats", str(f), "--grid-deg", "30", "--start", AT, "--days", "0.5", "--format", "csv")
    assert csv.exit_code == 0 and csv.stdout.startswith("lat_deg,lon_deg,passes_per_day")


@pytest.mark.parametrize(
    "extra, needle",
    [
        (["--grid-deg", "7"], "does not divide"),
        (["--grid-deg", "0"], "a step in degrees in"),
        (["--days", "1e30"], "--sample-days"),
        (["--region", "0,95,0,10"], "outside [-90, 90]"),
        (["--grid-deg", "0.01"], "coarser --grid-deg"),
        (["--plot", "map.jpg"], "suffix"),
        (["--workers", "0"], "--workers"),
        (["--zonal-plot", "zonal.gif"], "suffix"),
        (["--profile", "no-such-profile"], "no-such-profile"),
        (["--plot", "map.png", "--plot-metric", "key_bits_per_day"], "needs --profile"),
    ],
)
def test_coverage_bad_input(extra, needle, tmp_path: Path) -> None:
    f = tmp_path / "w.toml"
    run("constellation", "walker", "--altitude-km", "550", "--notation", "53:2/1/0", "--output", str(f))
    r = run("coverage", "--sats", str(f), "--start", AT, "--days", "0.1", *extra)
    assert r.exit_code == 2, r.output
    assert needle in r.output and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1
    assert not (tmp_path / "zonal.gif").exists() and not Path("zonal.gif").exists()


def test_coverage_key_per_day_and_zonal_plot(tmp_path: Path) -> None:
    """--profile adds key_bits_per_day to every cell and its area-weighted mean to the summary;
    --zonal-plot draws the zonal means (PNG here, SVG by suffix)."""
    f = tmp_path / "w.toml"
    run("constellation", "walker", "--altitude-km", "550", "--notation", "53:6/2/1", "--output", str(f))
    png, svg = tmp_path / "zonal.png", tmp_path / "zonal.svg"
    r = run("coverage", "--sats", str(f), "--grid-deg", "30", "--start", AT, "--days", "1", "--format", "json",
            "--profile", "micius", "--zonal-plot", str(png))
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert all("key_bits_per_day" in c for c in doc["cells"])
    assert doc["summary"]["profile"] == "micius" and doc["summary"]["area_weighted"]["key_bits_per_day"] > 0
    assert png.read_bytes().startswith(b"\x89PNG")
    r = run("coverage", "--sats", str(f), "--grid-deg", "30", "--start", AT, "--days", "0.5", "--zonal-plot", str(svg),
            "--plot-metric", "passes_per_day")
    assert r.exit_code == 0, r.output
    assert svg.read_bytes().startswith(b"<?xml")


def test_union_intervals() -> None:
    from passplan.coverage.compare import union_intervals

    assert union_intervals([(5, 7), (0, 2), (1, 3), (7, 8)]) == [(0, 2 + 1), (5, 8)]
    assert union_intervals([]) == []


def test_fleet_comparison_geo_and_leo(tmp_path: Path) -> None:
    """A GEO slot at 105 E is usable all day from Xinglong (one window, no gap) and never from
    Graz (outside its 71 deg footprint); a LEO fleet's passes match the pass engine's count."""
    geo = tmp_path / "geo.toml"
    run("constellation", "geo", "--longitude-deg", "105", "--output", str(geo))
    leo = tmp_path / "leo.toml"
    run("constellation", "walker", "--altitude-km", "550", "--notation", "53:4/2/1", "--output", str(leo))
    png = tmp_path / "cmp.png"
    r = run("coverage", "--compare", str(geo), "--compare", str(leo), "--station", "xinglong", "--station", "graz",
            "--start", AT, "--days", "1", "--format", "json", "--plot", str(png))
    assert r.exit_code == 0, r.output
    rows = {(x["fleet"], x["station"]): x for x in json.loads(r.stdout)}
    g = rows[("geo", "xinglong")]
    assert g["usable_h_per_day"] == pytest.approx(24.0, abs=1e-3) and g["longest_gap_h"] == 0.0
    assert g["key_bits_per_day"] > 0
    assert rows[("geo", "graz")]["passes"] == 0 and rows[("geo", "graz")]["longest_gap_h"] is None
    from datetime import datetime, timedelta

    from passplan import find_passes, select_stations
    from passplan.designed import load_constellation

    t0 = datetime.fromisoformat("2026-12-02T00:00:00+00:00")
    sats = load_constellation(leo, t0)
    n = len(find_passes(sats, select_stations(["graz"]), t0, t0 + timedelta(days=1), None))
    assert rows[("leo", "graz")]["passes"] == n
    assert png.read_bytes().startswith(b"\x89PNG")
    bad = run("coverage", "--compare", str(geo), "--start", AT)
    assert bad.exit_code == 2 and "--station" in bad.output


def test_ground_tracks_render(tmp_path: Path) -> None:
    f = tmp_path / "sso.toml"
    run("constellation", "sso", "--altitude-km", "500", "--ltan", "22:30", "--planes", "1", "--per-plane", "2", "--output", str(f))
    png = tmp_path / "tracks.png"
    r = run("constellation", "show", str(f), "--at", AT, "--plot", str(png), "--min-el", "25")
    assert r.exit_code == 0, r.output
    assert png.read_bytes().startswith(b"\x89PNG")
    bad = run("constellation", "show", str(f), "--at", AT, "--plot", str(png), "--hours", "0")
    assert bad.exit_code == 2 and "--hours" in bad.output


def test_readme_images_are_made_by_the_commands_it_lists() -> None:
    """Every docs/images/ picture the README shows exists (a small PNG) and the README lists the
    passplan command that writes it (its --plot or --zonal-plot names that very path), with
    options the command accepts."""
    import re
    import shlex

    root = Path(__file__).resolve().parents[1]
    text = (root / "README.md").read_text()
    images = re.findall(r"!\[[^\]]*\]\((docs/images/[^)]+)\)", text)
    assert {"docs/images/coverage-key.png", "docs/images/fleets.png"} <= set(images)
    commands = [line[2:] for line in text.splitlines() if line.startswith("$ passplan ")]
    for image in images:
        data = (root / image).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) < 150_000, image
        made_by = [c for c in commands if re.search(rf"--(?:zonal-)?plot {re.escape(image)}(\s|$)", c)]
        assert len(made_by) == 1, (image, made_by)
        argv = shlex.split(made_by[0])[1:]
        helped = run(argv[0], "--help")
        options = {a for a in argv if a.startswith("--")}
        assert helped.exit_code == 0 and all(o in helped.output for o in options), (image, options)


def test_fleet_comparison_says_why_a_fleet_has_no_passes() -> None:
    """A fleet whose satellite SGP4 cannot propagate (the bundled 2025 Micius elements have
    decayed by late 2026) shows 0 passes and the reason on stderr, once."""
    res = runner.invoke(app, ["coverage", "--compare", "micius", "--compare", "demo", "--station", "xinglong",
                              "--start", "2026-11-23T00:00Z", "--days", "1", "--allow-stale"])
    assert res.exit_code == 0, res.stderr
    assert res.stderr.count("fleet micius: SGP4 cannot propagate") == 1


# ---- the library calls behind the commands ---------------------------------------------------


@pytest.mark.parametrize(
    "args, call",
    [
        (["walker", "--altitude-km", "550", "--notation", "53:24/3/1", "--star", "--name", 'My "fleet"', "--profile", "micius"],
         lambda d: d.design_walker(550, *d.parse_walker_notation("53:24/3/1"), star=True, name='My "fleet"', profile="micius")),
        (["sso", "--altitude-km", "500", "--ltan", "22:30", "--planes", "2", "--per-plane", "3", "--phasing", "1"],
         lambda d: d.design_sso(500, "22:30", 2, 3, 1)),
        (["meo", "--altitude-km", "10000", "--inclination-deg", "55", "--planes", "3", "--per-plane", "2"],
         lambda d: d.design_meo(10000, 55, 3, 2)),
        (["geo", "--longitude-deg", "100", "--longitude-deg", "-30", "--longitude-deg", "300"],
         lambda d: d.design_geo([100, -30, 300])),
    ],
)
def test_constellation_commands_write_the_library_design(args, call, tmp_path: Path) -> None:
    """Each ``constellation`` command writes the TOML of one design call, which loads back as the
    design's own satellites; the design is a document write_json takes."""
    from passplan import designed
    from passplan.designed import load_constellation
    from passplan.times import parse_time
    from passplan.writers import write_json

    design = call(designed)
    r = run("constellation", *args)
    assert r.exit_code == 0, r.output
    assert r.stdout == design.to_toml()
    f = tmp_path / "fleet.toml"
    f.write_text(r.stdout)
    at = parse_time(AT, "at")
    assert [s.name for s in load_constellation(f, at)] == [s.name for s in design.satellites(at)]
    doc = json.loads(write_json(design, tmp_path / "d.json").read_text())
    assert doc["name"] == design.name and [t["kind"] for t in doc["tables"]] == [k for k, _ in design.tables]


def test_design_errors_name_library_parameters() -> None:
    from passplan.designed import design_geo, design_sso, design_walker, parse_walker_notation
    from passplan.errors import InputError

    with pytest.raises(InputError, match=r"^altitude_km 50: give an altitude from 150 to 50000 km"):
        design_walker(50, 53, 24, 3, 1)
    with pytest.raises(InputError, match=r"^ltan '25:00'"):
        design_sso(500, "25:00")
    with pytest.raises(InputError, match=r"^longitude_deg 500:"):
        design_geo([500])
    with pytest.raises(InputError, match=r"^notation 'bad':"):
        parse_walker_notation("bad")
    r = run("constellation", "walker", "--altitude-km", "50", "--notation", "53:24/3/1")
    assert r.exit_code == 2 and "--altitude-km 50: give an altitude" in r.output


def test_coverage_study_is_a_document(tmp_path: Path) -> None:
    """The coverage command's JSON and CSV are the study's to_json and to_records; the grid,
    region and darkness parse in the library (CoverageConstraints takes the darkness vocabulary
    of Constraints)."""
    from passplan import resolve_satellites
    from passplan.coverage import CoverageConstraints, Grid, coverage
    from passplan.times import parse_time
    from passplan.writers import write_csv, write_json

    f = tmp_path / "w.toml"
    f.write_text(run("constellation", "walker", "--altitude-km", "550", "--notation", "53:6/3/1").stdout)
    t0 = parse_time(AT, "start")
    sats = resolve_satellites([str(f)], t0).satellites
    res = coverage(sats, Grid.over(15.0, "20,50,70,130"), t0, 0.5, constraints=CoverageConstraints(night="nautical"),
                   step_s=60.0)
    base = ["coverage", "--sats", str(f), "--grid-deg", "15", "--region", "20,50,70,130", "--start", AT, "--days", "0.5",
            "--step-s", "60", "--night", "nautical"]
    cli = run(*base, "--format", "json")
    assert cli.exit_code == 0, cli.output
    assert res.to_json() == cli.stdout == write_json(res, tmp_path / "c.json").read_text()
    assert write_csv(res, tmp_path / "c.csv").read_text() == run(*base, "--format", "csv").stdout
    assert res.constraints.darkness_deg == -12.0


def test_fleet_orbits_are_what_show_lists(tmp_path: Path) -> None:
    from passplan.coverage import fleet_orbits
    from passplan.designed import load_constellation
    from passplan.times import parse_time

    f = tmp_path / "w.toml"
    f.write_text(run("constellation", "walker", "--altitude-km", "550", "--notation", "53:6/3/1").stdout)
    assert fleet_orbits(load_constellation(f, parse_time(AT, "at")), 10.0) == show(f)
