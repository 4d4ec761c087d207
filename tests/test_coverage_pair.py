"""``coverage --pair-with``: the partner station held to the rules ``passes --pair`` applies to it
(issue 19, part 1): its horizon mask, its floor, darkness and Sun separation at its own end.

The authority is the pass engine: :func:`passplan.pairs.joint_windows` for the same satellite,
stations, constraints and window (root-found window edges). A coverage row at a station samples
every ``step_s`` and lets a sample stand for the ``step_s`` that follows it, so its joint minutes
may differ from the engine's by at most one step at each edge of each joint window.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from passplan.coverage import CoverageConstraints, Grid, coverage, coverage_at_stations
from passplan.elements import resolve_satellites
from passplan.errors import InputError
from passplan.pairs import joint_windows
from passplan.passes import Constraints
from passplan.stations import HorizonMask, select_stations

T0 = datetime(2020, 10, 26, tzinfo=UTC)  # the Delingha-Nanshan campaign of Yin et al. 2020
DAYS = 2.0
STEP_S = 10.0

# Nanshan sees the joint passes with Delingha towards the south-east (Delingha lies at azimuth
# ~120 deg, 1,120 km away); this wall hides 110-160 deg below 35 deg, part of those passes.
NANSHAN_WALL = [[0.0, 0.0], [100.0, 0.0], [110.0, 35.0], [160.0, 35.0], [170.0, 0.0]]
# a ridge at Delingha towards Nanshan (north-west), so both ends are masked at once
DELINGHA_RIDGE = [[0.0, 0.0], [280.0, 0.0], [290.0, 20.0], [320.0, 20.0], [330.0, 0.0]]


@pytest.fixture(scope="module")
def micius():
    return resolve_satellites(["micius"], T0, True).satellites


@pytest.fixture(scope="module")
def pair():
    dl, ns = select_stations(["delingha", "nanshan"])
    return dl, ns


def _masked(st, points):
    return dataclasses.replace(st, horizon_mask=HorizonMask.from_points(points))


def _joint_min_per_day(sats, a, b, constraints: Constraints) -> tuple[float, int]:
    found = joint_windows(sats, a, b, T0, T0 + timedelta(days=DAYS), constraints)
    return sum(w.duration_s for w in found) / 60.0 / DAYS, len(found)


@pytest.mark.parametrize(("case", "cov_kw", "row_floor", "engine"), [
    ("partner mask, at night", {"darkness": "nautical"}, None, Constraints(darkness="nautical")),
    ("both masked, Sun separation", {"min_sun_sep_deg": 70.0}, None, Constraints(min_sun_sep_deg=70.0)),
    ("partner mask, every floor at 15 deg", {}, 15.0, Constraints(min_elevation_deg=15.0)),
])
def test_masked_partner_matches_the_pass_engine(micius, pair, case, cov_kw, row_floor, engine):
    """A coverage row at Delingha paired with a masked Nanshan gives the joint minutes of
    ``joint_windows`` (``passes --pair delingha nanshan``) to the sampling step, and fewer than
    the same pair without the mask."""
    dl, ns = pair
    wall = _masked(ns, NANSHAN_WALL)
    here = _masked(dl, DELINGHA_RIDGE) if "both" in case else dl

    def row(partner) -> float:
        c = CoverageConstraints(pair_with=partner, **cov_kw)
        res = coverage_at_stations(micius, [here], T0, DAYS, step_s=STEP_S, constraints=c, min_elevation_deg=row_floor)
        return float(res.metrics["usable_min_per_day"][0])

    masked, free = row(wall), row(ns)
    want, n = _joint_min_per_day(micius, here, wall, engine)
    assert n >= 2, case  # joint windows in the two days
    assert abs(masked - want) <= 2 * n * STEP_S / 60.0 / DAYS + 1e-9, (case, masked, want)
    # the wall cuts part of the joint time (more than the sampling tolerance), not all of it
    assert 0.0 < masked < free - 2 * n * STEP_S / 60.0 / DAYS, (case, masked, free)


def test_partner_sun_separation_counts_at_the_partner(micius, pair):
    """With a Sun separation, a sample is joint only while the Sun is far enough from the line of
    sight at both ends, as the pass engine holds each station of a pair: the partner's own
    separation cuts time the cell alone would keep."""
    dl, ns = pair
    cov = coverage_at_stations(micius, [dl], T0, DAYS, step_s=STEP_S,
                               constraints=CoverageConstraints(min_sun_sep_deg=70.0, pair_with=ns))
    got = float(cov.metrics["usable_min_per_day"][0])
    want, n = _joint_min_per_day(micius, dl, ns, Constraints(min_sun_sep_deg=70.0))
    assert abs(got - want) <= 2 * n * STEP_S / 60.0 / DAYS + 1e-9, (got, want)
    # what the Sun separation at the cell alone leaves: the partner's end matters here
    cell_only = coverage_at_stations(micius, [dl], T0, DAYS, step_s=STEP_S,
                                     constraints=CoverageConstraints(min_sun_sep_deg=70.0))
    above_ns = coverage_at_stations(micius, [dl], T0, DAYS, step_s=STEP_S,
                                    constraints=CoverageConstraints(pair_with=ns))
    loose = min(float(cell_only.metrics["usable_min_per_day"][0]), float(above_ns.metrics["usable_min_per_day"][0]))
    assert got < loose - 2 * n * STEP_S / 60.0 / DAYS


def test_a_mask_under_the_floor_changes_nothing_and_a_high_wall_leaves_nothing(micius, pair):
    """Over a grid: a partner mask at or below its floor everywhere leaves every bitmap and
    metric exactly as without a mask; a wall above every pass leaves no joint time (while the
    cells' own access is untouched)."""
    _, ns = pair
    grid = Grid.over(5.0, (30, 45, 85, 105))

    def study(partner):
        return coverage(micius, grid, T0, 1.0, step_s=30.0,
                        constraints=CoverageConstraints(darkness="nautical", pair_with=partner))

    free = study(ns)
    low = study(_masked(ns, [[0.0, 10.0], [90.0, 4.0], [200.0, -1.0]]))
    high = study(_masked(ns, [[0.0, 89.0]]))
    assert free.metrics["usable_min_per_day"].max() > 0
    for k in free.metrics:
        np.testing.assert_array_equal(low.metrics[k], free.metrics[k], err_msg=k)
    np.testing.assert_array_equal(high.metrics["access_min_per_day"], free.metrics["access_min_per_day"])
    assert not high.metrics["usable_min_per_day"].any()


def test_pair_with_a_floor_needs_a_station(micius, pair):
    dl, _ = pair

    class Partner:  # a duck-typed station the floor cannot be set on
        id, lat_deg, lon_deg, alt_m, min_elevation_deg = "p", 43.5, 87.2, 0.0, 10.0

    with pytest.raises(InputError, match="pair_with"):
        coverage_at_stations(micius, [dl], T0, 0.1, constraints=CoverageConstraints(pair_with=Partner()),
                             min_elevation_deg=20.0)


def test_cli_min_el_is_the_floor_at_both_ends(micius, pair):
    """``coverage --pair-with S --min-el X`` holds the partner to X too, as ``passes --pair
    --min-el X`` does: the CLI's cells equal the library's with the partner's floor replaced, and
    a floor above the partner's own lowers the joint minutes (Nanshan's own floor is below 40)."""
    import json

    from typer.testing import CliRunner

    from passplan.cli import app

    dl, ns = pair
    assert ns.min_elevation_deg < 40.0
    args = ["coverage", "--sats", "micius", "--start", "2020-10-26T00:00Z", "--days", "1", "--grid-deg", "5",
            "--region", "30,45,85,105", "--allow-stale", "--pair-with", "nanshan", "--format", "json"]
    out = CliRunner().invoke(app, [*args, "--min-el", "40"])
    assert out.exit_code == 0, out.output
    cli_cells = [c["usable_min_per_day"] for c in json.loads(out.stdout)["cells"]]
    grid = Grid.over(5.0, "30,45,85,105")
    lib = coverage(micius, grid, T0, 1.0, constraints=CoverageConstraints(
        min_elevation_deg=40.0, pair_with=dataclasses.replace(ns, min_elevation_deg=40.0)))
    own = coverage(micius, grid, T0, 1.0, constraints=CoverageConstraints(min_elevation_deg=40.0, pair_with=ns))
    lib_cells = [c["usable_min_per_day"] for c in lib.to_document()["cells"]]
    own_cells = [c["usable_min_per_day"] for c in own.to_document()["cells"]]
    assert cli_cells == lib_cells
    assert sum(lib_cells) < sum(own_cells)


def test_cli_pair_with_a_station_from_a_file(micius, pair, tmp_path):
    """``coverage --pair-with ID --pair-stations FILE``: a partner that is not bundled (a portable
    station, here at Nanshan behind NANSHAN_WALL) is looked up in the file; the CLI's cells equal
    the library's with that station, and the wall lowers the joint minutes of some cell (so the
    file's station, not the bundled Nanshan, was used). Without --pair-with the file is refused."""
    import json

    from typer.testing import CliRunner

    from passplan.cli import app

    _, ns = pair
    wall = ", ".join(f"[{az}, {el}]" for az, el in NANSHAN_WALL)
    f = tmp_path / "portable.toml"
    f.write_text(f'[stations.ns-portable]\nlat_deg = {ns.lat_deg}\nlon_deg = {ns.lon_deg}\nalt_m = {ns.alt_m}\n'
                 f'timezone = "Asia/Urumqi"\nmin_elevation_deg = {ns.min_elevation_deg}\nhorizon_mask = [{wall}]\n')
    args = ["coverage", "--sats", "micius", "--start", "2020-10-26T00:00Z", "--days", "1", "--grid-deg", "5",
            "--region", "30,45,85,105", "--allow-stale", "--format", "json"]
    runner = CliRunner()
    out = runner.invoke(app, [*args, "--pair-with", "ns-portable", "--pair-stations", str(f)])
    assert out.exit_code == 0, out.output
    cli_cells = [c["usable_min_per_day"] for c in json.loads(out.stdout)["cells"]]
    portable = select_stations(["ns-portable"], [f])[0]
    assert portable.horizon_mask is not None
    grid = Grid.over(5.0, "30,45,85,105")
    lib = coverage(micius, grid, T0, 1.0, constraints=CoverageConstraints(pair_with=portable))
    bundled = coverage(micius, grid, T0, 1.0, constraints=CoverageConstraints(pair_with=ns))
    lib_cells = [c["usable_min_per_day"] for c in lib.to_document()["cells"]]
    open_cells = [c["usable_min_per_day"] for c in bundled.to_document()["cells"]]
    assert cli_cells == lib_cells
    assert all(a <= b for a, b in zip(lib_cells, open_cells, strict=True)) and lib_cells != open_cells
    alone = runner.invoke(app, [*args, "--pair-stations", str(f)])
    assert alone.exit_code == 2 and "--pair-with" in alone.output
    unknown = runner.invoke(app, [*args, "--pair-with", "nowhere", "--pair-stations", str(f)])
    assert unknown.exit_code == 2 and "nowhere" in unknown.output
