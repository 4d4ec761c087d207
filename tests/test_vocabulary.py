"""One vocabulary: each concept has one name in the library and one in the CLI, the two mapped in
one table (passplan/cli/flags.py OPTION_FOR); renamed spellings keep working for one release
with a deprecation warning, and an old and a new spelling that disagree are refused."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

import click
import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from passplan import select_stations, tonight, write_ics
from passplan.cli import app
from passplan.cli.flags import OPTION_FOR
from passplan.errors import InputError, PassplanDeprecationWarning
from passplan.exports.oem import oem_text
from passplan.fetch import update

runner = CliRunner()
STAMP = datetime(2026, 11, 1, tzinfo=UTC)
PASSES = ["passes", "--sats", "micius", "--station", "xinglong", "--start", "2016-12-19T16:00Z", "--hours", "2",
          "--allow-stale", "--format", "ics"]


def _options() -> set[str]:
    """Every option name of every registered command (hidden ones included)."""
    found: set[str] = set()

    def walk(cmd: click.Command) -> None:
        for p in cmd.params:
            found.update(o for o in getattr(p, "opts", []) if o.startswith("--"))
        for sub in getattr(cmd, "commands", {}).values():
            walk(sub)

    walk(typer.main.get_command(app))
    return found


def test_every_library_name_maps_to_an_existing_option() -> None:
    missing = {lib: opt for lib, opt in OPTION_FOR.items() for o in opt.split(" and ") if o not in _options()}
    assert not missing, f"OPTION_FOR names options no command has: {missing}"


def test_creation_date_is_the_name_and_dtstamp_a_warned_alias() -> None:
    new = runner.invoke(app, [*PASSES, "--creation-date", "2026-11-01T00:00Z"])
    old = runner.invoke(app, [*PASSES, "--dtstamp", "2026-11-01T00:00Z"])
    assert new.exit_code == old.exit_code == 0, old.output
    assert new.stdout == old.stdout and "DTSTAMP:20261101T000000Z" in new.stdout
    assert "--dtstamp is renamed --creation-date" in old.stderr and "renamed" not in new.stderr
    both = runner.invoke(app, [*PASSES, "--creation-date", "2026-11-01T00:00Z", "--dtstamp", "2026-11-02T00:00Z"])
    assert both.exit_code == 2 and "--dtstamp and --creation-date disagree" in both.stderr
    assert "--dtstamp" not in runner.invoke(app, ["passes", "--help"]).stdout  # hidden


def test_write_ics_dtstamp_keyword_is_deprecated(tmp_path) -> None:
    from passplan import find_passes, resolve_satellites

    t0 = datetime(2016, 12, 19, 16, tzinfo=UTC)
    sats = resolve_satellites(["micius"], t0, allow_stale=True).satellites
    found = find_passes(sats, select_stations("xinglong"), t0, t0.replace(hour=18))
    new = write_ics(found, tmp_path / "a.ics", creation_date=STAMP).read_bytes()
    with pytest.warns(PassplanDeprecationWarning, match="dtstamp= is renamed creation_date="):
        old = write_ics(found, tmp_path / "b.ics", dtstamp=STAMP).read_bytes()
    assert new == old
    with pytest.raises(InputError, match="disagree"):
        write_ics(found, tmp_path / "c.ics", creation_date=STAMP, dtstamp=datetime(2026, 1, 1, tzinfo=UTC))


def test_tonight_takes_darkness_and_setting_is_deprecated() -> None:
    st = select_stations("xinglong")[0]
    at = datetime(2016, 12, 19, 4, tzinfo=UTC)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        night = tonight(st, at, darkness="nautical")
    assert night == tonight(st, at, "nautical")
    with pytest.warns(PassplanDeprecationWarning, match="setting= is renamed darkness="):
        assert tonight(st, at, setting="nautical") == night


def test_oem_creation_keyword_is_deprecated() -> None:
    t = [datetime(2026, 1, 1, 0, 0, s, tzinfo=UTC) for s in (0, 1)]
    pos, vel = np.ones((2, 3)) * 7000.0, np.ones((2, 3))
    new = oem_text("X", "2026-001A", t, pos, vel, creation_date=STAMP)
    with pytest.warns(PassplanDeprecationWarning):
        assert oem_text("X", "2026-001A", t, pos, vel, creation=STAMP) == new
    assert "CREATION_DATE = 2026-11-01T00:00:00" in new


def test_fetch_output_dir_is_the_name_everywhere(tmp_path) -> None:
    with pytest.warns(PassplanDeprecationWarning, match="out_dir= is renamed output_dir="), \
            pytest.raises(InputError, match="nothing to fetch; give norad_ids, names or groups"):
        update(out_dir=tmp_path)
    r = runner.invoke(app, ["elements", "update", "--out", str(tmp_path)])
    assert r.exit_code == 2
    assert "--out is renamed --output-dir" in r.stderr
    assert "nothing to fetch; give --norad N, --name TEXT or --group NAME" in r.stderr
    assert "--output-dir" in runner.invoke(app, ["elements", "update", "--help"]).stdout
