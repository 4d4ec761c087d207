"""Atomic writes and the shared output formats."""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from passplan.io import atomic_write_text, to_csv, to_json, to_ndjson, to_table


def test_atomic_write_replaces_whole_file_with_usual_permissions(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.json"
    target.parent.mkdir()
    atomic_write_text(target, "first")
    atomic_write_text(target, "second")
    assert target.read_text() == "second"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert [p.name for p in target.parent.iterdir()] == ["out.json"]


def test_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")

    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_formats_handle_numpy_and_non_finite() -> None:
    recs = [{"a": np.float64(1.5), "b": math.nan, "c": np.array([1, 2]), "d": True}]
    assert json.loads(to_json(recs)) == [{"a": 1.5, "b": None, "c": [1, 2], "d": True}]
    assert json.loads(to_ndjson(recs).strip()) == {"a": 1.5, "b": None, "c": [1, 2], "d": True}
    assert to_csv(recs).splitlines() == ["a,b,c,d", "1.5,,\"[1, 2]\",true"]
    table = to_table([["x", 1.0]], ["name", "value"])
    assert table.splitlines()[0].startswith("name")


RECORDS = [
    {"name": "a", "n": 1, "x": 1.23456789, "ok": True, "note": None, "mixed": 1},
    {"name": "b,c", "n": None, "x": math.inf, "ok": False, "note": "q\"uote", "mixed": "one"},
    {"name": "d", "n": 3, "x": None, "ok": None, "note": None, "mixed": 2.5},
    {"name": "e", "n": 4, "x": -0.000123456, "ok": True, "note": "line", "mixed": [1, 2]},
]


def test_json_is_one_record_per_line_and_compact() -> None:
    text = to_json(RECORDS)
    lines = text.splitlines()
    assert lines[0] == "[" and lines[-1] == "]" and len(lines) == len(RECORDS) + 2
    assert json.loads(text)[1]["x"] is None  # infinity -> null
    assert lines[1] == json.dumps(RECORDS[0]) + ","  # the standard library's compact separators
    assert to_json([]) == "[]\n"
    assert to_json({"a": 1}) == '{"a": 1}\n'
    with pytest.raises(TypeError, match="not JSON serialisable"):
        to_json([{"a": object()}])


def test_csv_columns_format_like_cells() -> None:
    rows = to_csv(RECORDS).splitlines()
    assert rows[0] == "name,n,x,ok,note,mixed"
    assert rows[1] == "a,1,1.23457,true,,1"
    assert rows[2] == '"b,c",,,false,"q""uote",one'
    assert rows[3] == "d,3,,,,2.5"
    assert rows[4] == 'e,4,-0.000123456,true,line,"[1, 2]"'
    assert to_csv([{"b": False, "i": np.int64(7)}]).splitlines()[1] == "false,7"  # bool not taken for int
    assert to_csv(RECORDS, columns=["x", "absent"]).splitlines()[1:3] == ["1.23457,", ","]
    assert to_csv([]) == "\n"


@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson"])
def test_record_writer_blocks_equal_the_whole(fmt: str) -> None:
    import io

    from passplan.io import RecordWriter

    whole = {"csv": to_csv, "json": to_json, "ndjson": to_ndjson}[fmt]
    for split in ([RECORDS], [[], RECORDS[:1], [], RECORDS[1:3], RECORDS[3:]], [[r] for r in RECORDS], [], [[]]):
        buf = io.StringIO()
        w = RecordWriter(buf, fmt)
        for block in split:
            w.write(block)
        w.close()
        expected = whole([r for block in split for r in block])
        assert buf.getvalue() == expected, (fmt, [len(b) for b in split])


def test_atomic_open_streams_and_leaves_nothing_on_error(tmp_path: Path) -> None:
    from passplan.io import atomic_open

    target = tmp_path / "out.txt"
    with atomic_open(target) as fh:
        fh.write("part one\n")
        assert not target.exists() and len(list(tmp_path.iterdir())) == 1  # only the temporary file
        fh.write("part two\n")
    assert target.read_text() == "part one\npart two\n"
    with pytest.raises(RuntimeError), atomic_open(target) as fh:
        fh.write("never\n")
        raise RuntimeError("stop")
    assert target.read_text() == "part one\npart two\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_output_paths_that_are_not_regular_files_are_refused(tmp_path: Path) -> None:
    """Issue 12: no folder is created, and a FIFO, a folder or a symlink is never replaced;
    each error names the path given (never the hidden temporary file). Issue 17: a link is
    written through to its file (the link stays a link); a link to nothing is refused."""
    from passplan.errors import InputError

    with pytest.raises(InputError, match="folder .* does not exist"):
        atomic_write_text(tmp_path / "missing" / "out.json", "x")
    assert not (tmp_path / "missing").exists()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="pipe is a FIFO"):
        atomic_write_text(fifo, "x")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    (tmp_path / "real.json").write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "real.json")
    atomic_write_text(link, "x")
    assert link.is_symlink() and (tmp_path / "real.json").read_text() == "x"
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "nowhere.json")
    with pytest.raises(InputError, match="symbolic link .* does not exist"):
        atomic_write_text(dangling, "x")
    assert dangling.is_symlink() and not (tmp_path / "nowhere.json").exists()
    with pytest.raises(InputError, match="is a folder"):
        atomic_write_text(tmp_path, "x")
    if os.path.exists("/dev/null"):
        with pytest.raises(InputError, match="a device"):
            atomic_write_text(Path("/dev/null"), "x")
    assert not list(tmp_path.glob(".*.part"))


@pytest.mark.parametrize(
    "args",
    [
        ["stations", "list", "--format", "csv"],
        ["link", "--profile", "micius", "--elevation-deg", "45", "--format", "ndjson"],
        ["link", "--list", "--format", "json"],
    ],
)
def test_dash_output_is_stdout_for_every_data_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    """``--output -`` writes to standard output (no file named ``-``), with the same text as no
    ``--output``; the commands that gained --output in issue 12 included."""
    from typer.testing import CliRunner

    from passplan.cli import app

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    plain = runner.invoke(app, args)
    dash = runner.invoke(app, [*args, "--output", "-"])
    assert plain.exit_code == dash.exit_code == 0, dash.output
    assert dash.stdout == plain.stdout and dash.stdout.strip()
    assert list(tmp_path.iterdir()) == []


def test_replace_keeps_permissions_and_refuses_read_only_unless_forced(tmp_path: Path) -> None:
    """Issue 17: a 0600 file stays 0600 when replaced; a read-only file is refused (naming the
    way round it) unless ``force`` or inside ``replacing_read_only()``, and stays read-only."""
    from passplan.errors import InputError
    from passplan.io import atomic_open, check_output_path, replacing_read_only
    from passplan.writers import write_csv

    target = tmp_path / "secret.csv"
    target.write_text("old")
    target.chmod(0o600)
    atomic_write_text(target, "new")
    assert target.read_text() == "new" and stat.S_IMODE(target.stat().st_mode) == 0o600
    target.chmod(0o444)
    with pytest.raises(InputError, match=r"read-only \(mode 0444\).*force=True.*replacing_read_only"):
        write_csv([{"a": 1}], target)
    assert target.read_text() == "new"
    with replacing_read_only():
        write_csv([{"a": 1}], target)
    assert target.read_text() == "a\n1\n" and stat.S_IMODE(target.stat().st_mode) == 0o444
    with atomic_open(target, "w", force=True) as fh:
        fh.write("forced")
    assert target.read_text() == "forced"
    with replacing_read_only(), pytest.raises(InputError, match="read-only"):
        check_output_path(target, force=False)  # an explicit False wins
    assert [p.name for p in tmp_path.iterdir()] == ["secret.csv"]


def test_disk_errors_name_the_file_and_keep_the_old_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from passplan.errors import InputError

    target = tmp_path / "out.csv"
    target.write_text("old")
    for code, words in ((errno.ENOSPC, "No space left"), (errno.EROFS, "Read-only file system")):
        def fail(_fd: int, code: int = code) -> None:
            raise OSError(code, os.strerror(code))

        monkeypatch.setattr(os, "fsync", fail)
        with pytest.raises(InputError, match=f"cannot write {target}: {words}"):
            atomic_write_text(target, "new")
        assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.csv"]
    monkeypatch.undo()
    with pytest.raises(InputError, match="shorter name"):
        atomic_write_text(tmp_path / ("n" * 300), "x")


def test_read_once_reads_a_file_once_per_version(tmp_path) -> None:
    """Profiles and protocols are read through passplan.io.read_once: the same object until the
    file changes (its size or modification time), then the new content."""
    import os

    from passplan.io import read_once

    f = tmp_path / "p.toml"
    f.write_text("a = 1\n")
    cache: dict = {}
    calls: list[str] = []

    def build(p):
        calls.append(p.read_text())
        return object()

    first = read_once(f, cache, build)
    assert read_once(f, cache, build) is first and len(calls) == 1
    f.write_text("a = 22\n")
    os.utime(f, ns=(1, 1))
    assert read_once(f, cache, build) is not first and calls[-1] == "a = 22\n"
    for k in range(5):
        g = tmp_path / f"g{k}.toml"
        g.write_text("x\n")
        read_once(g, cache, build, limit=3)
    assert len(cache) == 3
    calls.clear()
    read_once(tmp_path / "missing.toml", cache, lambda p: calls.append("built"))
    read_once(tmp_path / "missing.toml", cache, lambda p: calls.append("built"))
    assert calls == ["built", "built"]  # nothing to remember a missing file by
