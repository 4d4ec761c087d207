"""The library users' surface: one vocabulary with the CLI (Constraints names and aliases, the
README's table), public atomic writers importable from ``passplan``, warnings through the
``warnings`` module, and the one time rule."""

from __future__ import annotations

import csv
import dataclasses
import inspect
import io
import json
import pickle
import re
import threading
import warnings
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

import passplan
from passplan import Constraints, Satellite, find_passes, passes_to_records, select_stations
from passplan.errors import (
    InputError,
    PassplanWarning,
    PropagationWarning,
    StaleElementsWarning,
    emit_warnings,
    reported_by_caller,
)
from passplan.io import to_csv, to_json, to_ndjson
from passplan.passes import CONSTRAINT_ALIASES
from passplan.times import as_datetime, parse_time, require_aware

README = Path(__file__).resolve().parents[1] / "README.md"
MICIUS_2016 = (  # ../shared/reference/README.md section 1
    "1 41731U 16051A   16354.56913372  .00000384  00000-0  18801-4 0  9991",
    "2 41731  97.3698 268.1064 0013349 175.8929 309.0190 15.23916091 19164",
)
T0 = datetime(2016, 12, 19, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def found():
    sat = Satellite.from_tle(*MICIUS_2016, name="MICIUS")
    # a day at Xinglong and Graz: several passes, so the files have several rows
    return find_passes([sat], select_stations(["xinglong", "graz"]), T0, T0 + timedelta(hours=24), Constraints(min_elevation_deg=10.0))


# ---- one vocabulary --------------------------------------------------------------------------


def test_aliases_equal_their_names() -> None:
    assert Constraints(night="nautical") == Constraints(darkness="nautical")
    assert Constraints(night=-15.0) == Constraints(darkness=-15.0)
    assert Constraints(min_el_deg=20) == Constraints(min_elevation_deg=20.0)
    both = Constraints(min_el_deg=20.0, min_elevation_deg=20.0, night="civil", darkness="civil")
    assert both == Constraints(min_elevation_deg=20.0, darkness="civil")
    # the alias is a spelling, not a field: not in repr, fields, pickles or replace
    c = Constraints(night="astronomical")
    assert "night" not in repr(c) and {f.name for f in dataclasses.fields(c)}.isdisjoint(CONSTRAINT_ALIASES)
    assert pickle.loads(pickle.dumps(c)) == c
    assert dataclasses.replace(c, max_range_km=900.0) == Constraints(darkness="astronomical", max_range_km=900.0)
    assert {f.name for f in dataclasses.fields(Constraints)} >= set(CONSTRAINT_ALIASES.values())


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"night": "nautical", "darkness": "civil"}, ["darkness='civil'", "night='nautical'"]),
        ({"min_el_deg": 10.0, "min_elevation_deg": 15.0}, ["min_elevation_deg=15.0", "min_el_deg=10.0"]),
        ({"min_elevation_deg": "10"}, ["min_elevation_deg", "not a number"]),
        ({"max_range_km": True}, ["max_range_km", "not a number"]),
        ({"max_range_km": float("nan")}, ["max_range_km", "NaN"]),
        ({"min_sun_sep_deg": 200}, ["min_sun_sep_deg", "[0, 180]"]),
        ({"eclipse": "yes"}, ["eclipse", "True"]),
        ({"refraction": None}, ["refraction", "True or False"]),
    ],
)
def test_bad_constraints_are_one_clear_input_error(kwargs: dict, words: list[str]) -> None:
    with pytest.raises(InputError) as err:
        Constraints(**kwargs)
    msg = str(err.value)
    assert "\n" not in msg and all(w in msg for w in words), msg


def _vocabulary_rows() -> list[tuple[str, str, str]]:
    text = README.read_text()
    section = text[text.index("### One vocabulary"):]
    section = section[: section.index("\n#", 1)]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 3:
            rows.append((cells[0], cells[1], cells[2]))
    return rows


def test_readme_vocabulary_table_matches_cli_and_library() -> None:
    """Every option in the README's table is an option of a registered command (renamed ones as
    hidden aliases), every library name a public function's keyword or a Constraints field, every
    alias one Constraints accepts or a renamed keyword the function still takes."""
    import click
    import typer

    from passplan.cli import app
    from passplan.fetch import update

    rows = _vocabulary_rows()
    assert len(rows) >= 20
    options: set[str] = set()

    def walk(cmd: click.Command) -> None:
        for p in cmd.params:
            options.update(o for o in [*getattr(p, "opts", []), *getattr(p, "secondary_opts", [])] if o.startswith("--"))
        for sub in getattr(cmd, "commands", {}).values():
            walk(sub)

    walk(typer.main.get_command(app))
    fields = {f.name for f in dataclasses.fields(Constraints)}
    seen_aliases = set()
    for option, library, alias in rows:
        for opt in re.findall(r"--[a-z-]+", option + " " + alias):
            assert opt in options, (opt, "is no option of any command")
        func = re.match(r"`(\w+)\(", library)
        assert func, library
        if func.group(1) == "Constraints":
            params = fields
        else:
            target = update if func.group(1) == "update" else getattr(passplan, func.group(1))
            params = set(inspect.signature(target).parameters)
        for name in re.findall(r"(\w+)=", library):
            assert name in params, (func.group(1), name)
        for name in re.findall(r"`(\w+)=`", alias):
            if func.group(1) == "Constraints":
                assert name in CONSTRAINT_ALIASES and CONSTRAINT_ALIASES[name] in library, (name, library)
                seen_aliases.add(name)
            else:
                assert name in params, (func.group(1), name, "a renamed keyword the function still takes")
    assert seen_aliases == set(CONSTRAINT_ALIASES)


# ---- writers -------------------------------------------------------------------------------


def test_writers_are_public_and_write_what_the_cli_formats(found, tmp_path: Path) -> None:
    from passplan import write_csv, write_ics, write_json, write_ndjson
    from passplan.writers import write_csv as wc

    assert write_csv is wc and {"write_csv", "write_json", "write_ndjson", "write_ics"} <= set(passplan.__all__)
    assert len(found) >= 3
    records = passes_to_records(found)
    assert write_csv(found, tmp_path / "p.csv").read_text() == to_csv(records)
    assert write_json(found.passes, tmp_path / "p.json").read_text() == to_json(records)
    assert write_ndjson(records, tmp_path / "p.ndjson").read_text() == to_ndjson(records)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "p.csv").read_text())))
    assert [r["uid"] for r in rows] == [p.uid for p in found]
    assert json.loads((tmp_path / "p.json").read_text()) == records
    # columns= picks and orders the CSV columns
    write_csv(found, tmp_path / "few.csv", columns=["station", "max_el_deg"])
    assert (tmp_path / "few.csv").read_text().splitlines()[0] == "station,max_el_deg"

    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    first = write_ics(found, tmp_path / "a.ics", creation_date=stamp).read_bytes()
    again = write_ics(list(found), tmp_path / "b.ics", creation_date=stamp).read_bytes()
    assert first == again  # same inputs, same file
    from icalendar import Calendar

    events = Calendar.from_ical(first).walk("VEVENT")
    assert len(events) == len(found)
    assert all(e["DTSTAMP"].dt == stamp for e in events)
    assert sorted(e["DTSTART"].dt for e in events) == sorted(p.aos.replace(microsecond=0) for p in found)


def test_writers_take_forecasts_and_refuse_other_objects(found, tmp_path: Path) -> None:
    class Rec:
        def to_dict(self) -> dict:
            return {"a": 1, "b_km": 2.5}

    assert passplan.write_json([Rec(), Rec()], tmp_path / "r.json").read_text() == '[\n{"a": 1, "b_km": 2.5},\n{"a": 1, "b_km": 2.5}\n]\n'
    with pytest.raises(InputError, match="cannot write a int"):
        passplan.write_ndjson([1, 2], tmp_path / "n.ndjson")
    assert not (tmp_path / "n.ndjson").exists()


def test_writers_are_atomic_and_name_the_path(found, tmp_path: Path) -> None:
    target = tmp_path / "keep.json"
    target.write_text("old\n")
    with pytest.raises(InputError):
        passplan.write_json([*found.passes, object()], target)
    assert target.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["keep.json"]
    missing = tmp_path / "nope" / "x.csv"
    with pytest.raises(InputError, match=re.escape(str(missing))):
        passplan.write_csv(found, missing)
    assert not missing.parent.exists()
    with pytest.raises(InputError, match="creation_date"):
        passplan.write_ics(found, tmp_path / "x.ics", creation_date=datetime(2026, 1, 1))
    assert not (tmp_path / "x.ics").exists()


# ---- warnings --------------------------------------------------------------------------------


def _library_call() -> None:
    """Stands for a passplan function that reports its result's warnings (a caller outside
    passplan is this test module, so the warning names this file)."""
    emit_warnings(["elements of SAT are 12.0 days old", "another"], StaleElementsWarning)


def test_emit_warnings_reaches_the_warnings_module() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _library_call()
    assert [str(w.message) for w in caught] == ["elements of SAT are 12.0 days old", "another"]
    assert all(issubclass(w.category, PassplanWarning) and w.category is StaleElementsWarning for w in caught)
    assert all(w.filename == __file__ for w in caught)
    # a script can stop on them
    with warnings.catch_warnings():
        warnings.simplefilter("error", PassplanWarning)
        with pytest.raises(StaleElementsWarning):
            _library_call()


def test_reported_by_caller_keeps_the_cli_from_saying_it_twice() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with reported_by_caller():
            _library_call()
            with reported_by_caller():
                _library_call()
            _library_call()
        _library_call()  # outside again: heard
        # another thread does not inherit the silence of this one
        with reported_by_caller():
            t = threading.Thread(target=_library_call)
            t.start()
            t.join()
    assert len(caught) == 4


def test_find_passes_warns_a_library_user_once() -> None:
    from passplan.elements import bundled_tle_dir, load_file, nearest_epoch

    t0 = datetime(2026, 11, 23, tzinfo=UTC)  # the bundled Micius elements have decayed by then
    sats = nearest_epoch(load_file(bundled_tle_dir() / "micius_41731.tle"), t0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ps = find_passes(sats, select_stations(["xinglong"]), t0, t0 + timedelta(days=3))
    assert len(ps.warnings) == 1
    assert [str(w.message) for w in caught] == ps.warnings
    assert caught[0].category is PropagationWarning and caught[0].filename == __file__
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with reported_by_caller():
            find_passes(sats, select_stations(["xinglong"]), t0, t0 + timedelta(days=1))
    assert caught == []


# ---- the one time rule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-12-19T16:40:00Z", datetime(2016, 12, 19, 16, 40, tzinfo=UTC)),
        ("2016-12-19t16:40z", datetime(2016, 12, 19, 16, 40, tzinfo=UTC)),
        ("2016-12-20T00:40:00+08:00", datetime(2016, 12, 19, 16, 40, tzinfo=UTC)),
        ("2016-12-19", datetime(2016, 12, 19, tzinfo=UTC)),
    ],
)
def test_parse_time_accepts_zoned_text_and_bare_dates(text: str, expected: datetime) -> None:
    got = parse_time(text, "--start")
    assert got == expected and got.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2016-12-19T16:40:00", ["--at", "no time zone", "2016-12-19T16:40:00Z"]),
        ("yesterday", ["--at", "not an ISO-8601 time"]),
        ("9999-12-31T23:30:00-01:00", ["--at", "outside the years"]),
    ],
)
def test_parse_time_refuses_naive_or_bad_text(text: str, words: list[str]) -> None:
    with pytest.raises(InputError) as err:
        parse_time(text, "--at")
    assert all(w in str(err.value) for w in words), str(err.value)


def test_as_datetime_is_the_object_rule() -> None:
    cst = timezone(timedelta(hours=8))
    assert as_datetime(datetime(2016, 12, 20, 0, 40, tzinfo=cst)) == datetime(2016, 12, 19, 16, 40, tzinfo=UTC)
    assert require_aware is not as_datetime and require_aware(datetime(2016, 1, 1, tzinfo=cst)).tzinfo is UTC
    with pytest.raises(InputError, match="start 2016-12-19T16:40:00 has no time zone"):
        as_datetime(datetime(2016, 12, 19, 16, 40), "start")
    with pytest.raises(InputError, match="end: expected an aware datetime or an astropy Time, got str"):
        as_datetime("2016-12-19T16:40Z", "end")
    with pytest.raises(InputError, match="no time zone"):
        find_passes([], [], datetime(2016, 12, 19), T0)


@pytest.mark.parametrize("naive", ["2016-12-19T16:40", "2016-12-19 16:40:00"])
def test_cli_time_options_follow_the_one_rule(naive: str) -> None:
    """`elements show --at` and `passes --start` refuse the same naive text with the same words."""
    from passplan.cli import app

    runner = CliRunner()
    messages = []
    for args, option in (
        (["elements", "show", "micius", "--at", naive], "--at"),
        (["passes", "--station", "xinglong", "--start", naive, "--hours", "1"], "--start"),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        messages.append(result.output.strip().replace(option, "OPTION"))
    assert messages[0] == messages[1] and "no time zone" in messages[0]
