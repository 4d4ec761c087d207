"""Every JSON document the CLI prints is one library call a script can make: the command's
output equals the library's record of the same request (the use cases of passes, tonight, next,
track, schedule, relay, network, constellation and coverage are checked in their own files:
tests/test_query.py, tests/test_chain.py, tests/test_cli_network.py, tests/test_cli_fleet.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest
from typer.testing import CliRunner

from passplan.cli import app
from passplan.io import to_json

runner = CliRunner()
AT = datetime(2026, 12, 1, tzinfo=UTC)


def cli_json(*args: str):
    r = runner.invoke(app, [*args, "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def same(records) -> object:
    return json.loads(to_json(records))


def test_elements_list_and_show() -> None:
    from passplan.elements import (
        all_element_sets,
        element_set_details,
        element_set_record,
        element_sets,
        nearest_epoch,
    )

    assert cli_json("elements", "list", "--at", "2026-12-01T00:00Z") == same(
        [element_set_record(s, AT) for s in all_element_sets(AT, [])]
    )
    sets = element_sets("micius", AT, [])
    lib = [element_set_details(s, AT, sets) for s in nearest_epoch(sets, AT)]
    assert cli_json("elements", "show", "micius", "--at", "2026-12-01T00:00Z") == same(lib)
    assert lib[0]["tle"] and lib[0]["norad_id"] == 41731


def test_link_profile_list() -> None:
    from passplan.link.profiles import list_profiles, profile_catalogue

    lib = profile_catalogue()
    assert cli_json("link", "--list") == same(lib) and [r["profile"] for r in lib] == list_profiles()


def test_stations() -> None:
    from passplan.stations import get_station

    assert cli_json("stations", "show", "xinglong") == same(get_station("xinglong").to_dict())


def test_key_of_a_series(tmp_path) -> None:
    from passplan.forecast.series import series_key

    t = np.arange(-200, 201)
    eta = 4e-3 * (500 / np.sqrt(500**2 + (7.6 * t) ** 2)) ** 2
    path = tmp_path / "s.csv"
    path.write_text("t_s,eta,background_prob\n" + "".join(f"{a},{b:.6e},1e-7\n" for a, b in zip(t, eta, strict=True)))
    for args, kw in (([], {}), (["--decoys", "1", "--pulses-per-s", "5e8"], {"decoys": 1, "pulses_per_s": 5e8}),
                     (["--protocol", "micius", "--fixed-params"], {"protocol": "micius", "optimise": False})):
        assert cli_json("key", str(path), *args) == same(series_key(path, **kw).to_dict()), args
    with pytest.raises(Exception, match="decoys is 3; expected 1 or 2"):
        series_key(path, decoys=3)
    bad = runner.invoke(app, ["key", str(path), "--decoys", "3"])
    assert bad.exit_code == 2 and "--decoys is 3; expected 1 or 2" in bad.stderr


def test_link_geometry_is_checked_by_the_library_and_worded_by_the_cli() -> None:
    from passplan.errors import InputError
    from passplan.forecast.chain import link_report

    with pytest.raises(InputError, match=r"range_km 10 is shorter than any orbit allows at elevation_deg 45: .* "
                                         r"or leave range_km out"):
        link_report("micius", elevation_deg=45.0, range_km=10.0)
    with pytest.raises(InputError, match=r"^moon_illumination 2 is outside \[0, 1\]"):
        link_report("micius", elevation_deg=45.0, moon_illumination=2.0)
    r = runner.invoke(app, ["link", "--profile", "micius", "--elevation-deg", "45", "--range-km", "10"])
    assert r.exit_code == 2
    assert "--range-km 10 is shorter than any orbit allows at --elevation-deg 45" in r.stderr
    assert "or leave --range-km out" in r.stderr
    assert cli_json("link", "--profile", "micius", "--elevation-deg", "45") == same(link_report("micius", elevation_deg=45.0))
