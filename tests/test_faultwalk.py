"""The fault walk (issue 17): every command, found from the typer app, against what option values
do not cover: every output path kind, standard streams, signals and the environment.

Output paths (in-process, per command and per output-file option, ``--output``, ``--plot``,
``--zonal-plot``): a missing folder, a folder, a FIFO, a device, a read-only file without
``--force``, a link to nothing, a name too long for the folder, the same file given to two
options. Each is refused with exit code 2 and one ``passplan: error:`` line naming the option,
BEFORE any work (the command's body is replaced by one that fails the test if entered), and
nothing is created, changed or left behind. Then real runs of cheap commands: an existing file
keeps its permission bits (0600 stays 0600) and owner on replace, ``--force`` replaces a
read-only file and keeps it read-only, a link is written through (the link stays a link), a
full disk is one line with the old file intact, and ``--force`` exists on every command that
writes a file.

Subprocesses (the things CliRunner cannot show): standard output on ``/dev/full``, closed
(``>&-``) or a pipe the reader closed (``| head -1``: exit 0, nothing on stderr); a closed
standard input; an ASCII-only standard output with non-ASCII data; SIGINT, SIGTERM and SIGHUP
during a long write (exit 130, 143, 129; no ``.NAME.XXXX.part`` file; the earlier file intact);
two runs writing the same file at once (both succeed, the file is one of the two whole outputs).

Environment and messages: ``PASSPLAN_DATA_DIR`` naming a file is refused; control characters in
a station name never reach the terminal raw (tables and error lines escape them; the data
formats keep them, escaped by JSON and quoted by CSV).

``WALK_CASES`` counts the cases; README.md states the number (tested).
"""

from __future__ import annotations

import errno
import io
import os
import re
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import typer.main
import typer.testing

import passplan
from passplan.cli import OUTPUT_FILE_OPTIONS, OUTPUT_FOLDER_OPTIONS, app
from passplan.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
from cli_cases import BASE, DATA, T0  # noqa: E402  (tests/ is on sys.path: pytest rootdir)

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _walk(cmd: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    subs = getattr(cmd, "commands", None)
    if subs:
        for name, sub in subs.items():
            yield from _walk(sub, (*path, name))
    else:
        yield " ".join(path), cmd


_GROUP = typer.main.get_command(app)
#: The app's click group, guarded as ``passplan`` guards it on its first run.
passplan.cli._prepare(_GROUP)
COMMANDS = dict(_walk(_GROUP))


def _outputs(cmd: Any) -> list[str]:
    return [o for p in cmd.params for o in getattr(p, "opts", ()) if o in OUTPUT_FILE_OPTIONS]


OUTPUTS = [(name, opt) for name, cmd in COMMANDS.items() for opt in _outputs(cmd)]
MULTI = [name for name, cmd in COMMANDS.items() if len(_outputs(cmd)) > 1]

FOLDER_OUTPUTS = [(name, o) for name, cmd in COMMANDS.items()
                  for p in cmd.params for o in getattr(p, "opts", ()) if o in OUTPUT_FOLDER_OPTIONS]
#: Options a folder option needs to act.
NEEDS = {"--series-dir": ["--key"]}
#: Output path kinds refused before any work: (kind, how to make it in a work folder).
REFUSED = ("missing-folder", "folder", "fifo", "device", "read-only", "dangling-link", "long-name")


@pytest.fixture()
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    rows = "".join(f"{i},1e-3,1e-6\n" for i in range(60))
    (tmp_path / "series.csv").write_text("t_s,eta,background_prob\n" + rows)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(typer.testing, "_get_command", lambda _app: _GROUP)
    return tmp_path


def _snapshot(root: Path) -> dict[str, tuple[int, int, int, str]]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            out[str(p.relative_to(root))] = (st.st_size, st.st_mtime_ns, st.st_mode,
                                             os.readlink(p) if p.is_symlink() else "")
    return out


def _base(cmd: str, workdir: Path) -> list[str]:
    return [*cmd.split(), *(a.format(series=workdir / "series.csv") for a in BASE[cmd])]


def _suffix(opt: str) -> str:
    return ".csv" if opt == "--output" else ".png"


def _make(kind: str, workdir: Path, opt: str) -> str:
    name = "out" + _suffix(opt)
    if kind == "missing-folder":
        return str(workdir / "missing" / name)
    if kind == "folder":
        (workdir / "afolder").mkdir()
        return str(workdir / "afolder")
    if kind == "fifo":
        os.mkfifo(workdir / name)
        return str(workdir / name)
    if kind == "device":
        return "/dev/full"
    if kind == "read-only":
        (workdir / name).write_text("old\n")
        (workdir / name).chmod(0o444)
        return str(workdir / name)
    if kind == "dangling-link":
        (workdir / name).symlink_to(workdir / "nowhere" / name)
        return str(workdir / name)
    if kind == "long-name":
        return str(workdir / ("x" * 300 + _suffix(opt)))
    raise AssertionError(kind)


def _never(**_: Any) -> None:
    raise AssertionError("the command's work started although an output was refused")


def _one_error(res: Any, shown: str) -> str:
    crash = res.exception is not None and not isinstance(res.exception, SystemExit)
    assert not crash, f"{shown}: {type(res.exception).__name__}: {res.exception}"
    assert "Traceback" not in res.stderr, shown
    assert res.exit_code == 2, f"{shown}: exit {res.exit_code}, stderr {res.stderr!r}"
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("passplan: error: "), f"{shown}: {res.stderr!r}"
    return lines[0]


def _invoke(args: list[str]) -> Any:
    return typer.testing.CliRunner().invoke(app, args)


# ---------------------------------------------------------------------------------------------
# Output paths, in-process


def test_every_command_is_walked() -> None:
    assert set(COMMANDS) == set(BASE), f"add a cheap valid invocation for {sorted(set(COMMANDS) ^ set(BASE))}"
    assert len(OUTPUTS) >= 25 and len(MULTI) >= 5  # the walk found every output option


def test_force_on_every_command_that_writes_a_file() -> None:
    for name, cmd in COMMANDS.items():
        has_force = any("--force" in getattr(p, "opts", ()) for p in cmd.params)
        assert has_force == bool(_outputs(cmd)), name


@pytest.mark.parametrize("kind", REFUSED)
@pytest.mark.parametrize(("cmd", "opt"), OUTPUTS, ids=[f"{c}{o}" for c, o in OUTPUTS])
def test_output_refused_before_any_work(cmd: str, opt: str, kind: str, workdir: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = _make(kind, workdir, opt)
    before = _snapshot(workdir)
    monkeypatch.setattr(COMMANDS[cmd].callback, "__wrapped__", _never)
    args = [*_base(cmd, workdir), opt, path]
    line = _one_error(_invoke(args), f"passplan {' '.join(args)}")
    assert opt in line, line  # names the option ...
    assert (path if kind != "long-name" else "x" * 40) in line, line  # ... and the path
    fix = {"missing-folder": "create it first", "folder": "give a file name", "fifo": "not a regular file",
           "device": "not a regular file", "read-only": "--force", "dangling-link": "does not exist",
           "long-name": "shorter name"}[kind]
    assert fix in line, line
    assert _snapshot(workdir) == before, "a refused run created or changed a file"


FOLDER_KINDS = ("a-file", "under-a-file", "read-only-disk")


@pytest.mark.parametrize("kind", FOLDER_KINDS)
@pytest.mark.parametrize(("cmd", "opt"), FOLDER_OUTPUTS, ids=[f"{c}{o}" for c, o in FOLDER_OUTPUTS])
def test_output_folder_refused_before_any_work(cmd: str, opt: str, kind: str, workdir: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    (workdir / "plain.txt").write_text("a file\n")
    path = {"a-file": "plain.txt", "under-a-file": "plain.txt/sub", "read-only-disk": "new/series"}[kind]
    if kind == "read-only-disk":
        real_statvfs = os.statvfs

        class ReadOnly:
            def __init__(self, st: Any) -> None:
                self.f_flag = st.f_flag | os.ST_RDONLY

        monkeypatch.setattr(os, "statvfs", lambda p: ReadOnly(real_statvfs(p)))
    before = _snapshot(workdir)
    monkeypatch.setattr(COMMANDS[cmd].callback, "__wrapped__", _never)
    args = [*_base(cmd, workdir), *NEEDS.get(opt, []), opt, path]
    line = _one_error(_invoke(args), f"passplan {' '.join(args)}")
    assert opt in line and path in line, line
    assert ("read-only file system" if kind == "read-only-disk" else "not a folder") in line, line
    assert _snapshot(workdir) == before


@pytest.mark.parametrize("cmd", MULTI)
def test_same_file_for_two_outputs_refused_before_any_work(cmd: str, workdir: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    opts = _outputs(COMMANDS[cmd])
    monkeypatch.setattr(COMMANDS[cmd].callback, "__wrapped__", _never)
    args = [*_base(cmd, workdir), opts[0], "same.png", opts[1], "./same.png"]
    line = _one_error(_invoke(args), f"passplan {' '.join(args)}")
    assert opts[0] in line and opts[1] in line and "same.png" in line, line
    assert not (workdir / "same.png").exists()


def test_output_file_and_folder_naming_one_path_refused(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(COMMANDS["passes"].callback, "__wrapped__", _never)
    args = [*_base("passes", workdir), "--key", "--series-dir", "res", "-o", "res"]
    line = _one_error(_invoke(args), " ".join(args))
    assert "--output" in line and "--series-dir" in line and "res" in line
    assert sorted(p.name for p in workdir.iterdir()) == ["series.csv"]


@pytest.mark.skipif(IS_ROOT, reason="root writes into a folder without write permission (os.access says so "
                    "honestly); the refusal is for ordinary users")
def test_output_in_a_read_only_folder_refused(workdir: Path) -> None:  # pragma: no cover - as root
    ro = workdir / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        line = _one_error(_invoke(["stations", "list", "-o", str(ro / "x.csv")]), "read-only folder")
        assert "not writable" in line
    finally:
        ro.chmod(0o755)


def test_output_on_a_read_only_disk_or_unwritable_folder_refused(workdir: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only file system (statvfs says so, root included) and a folder this user may not
    write (os.access as an ordinary user would get it): refused before any work, nothing written."""
    real_statvfs, real_access = os.statvfs, os.access

    class ReadOnly:
        def __init__(self, st: Any) -> None:
            self.f_flag = st.f_flag | os.ST_RDONLY

    monkeypatch.setattr(os, "statvfs", lambda p: ReadOnly(real_statvfs(p)))
    line = _one_error(_invoke(["stations", "list", "-o", "x.csv"]), "read-only disk")
    assert "read-only file system" in line and "x.csv" in line
    monkeypatch.setattr(os, "statvfs", real_statvfs)
    monkeypatch.setattr(os, "access", lambda p, mode, **k: False if Path(p).resolve() == workdir.resolve() else real_access(p, mode, **k))
    line = _one_error(_invoke(["stations", "list", "-o", "x.csv"]), "unwritable folder")
    assert "not writable" in line and "x.csv" in line
    assert not (workdir / "x.csv").exists()


#: Real runs of cheap commands that write a file.
CHEAP = [["stations", "list", "--format", "csv"], ["link", "--profile", "micius", "--elevation-deg", "45"],
         ["constellation", "geo", "--longitude-deg", "100"], ["key", "{series}", "--format", "json"]]


def _cheap(args: list[str], workdir: Path) -> list[str]:
    return [a.format(series=workdir / "series.csv") for a in args]


@pytest.mark.parametrize("args", CHEAP, ids=[" ".join(a[:2]) for a in CHEAP])
def test_replace_keeps_permissions_and_force_replaces_read_only(args: list[str], workdir: Path) -> None:
    out = workdir / "out.txt"
    out.write_text("old\n")
    out.chmod(0o600)
    res = _invoke([*_cheap(args, workdir), "-o", str(out)])
    assert res.exit_code == 0, res.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and out.read_text() != "old\n"
    new = out.read_text()
    out.chmod(0o444)
    line = _one_error(_invoke([*_cheap(args, workdir), "-o", str(out)]), "read-only")
    assert "read-only" in line and "--force" in line and out.read_text() == new
    out.chmod(0o644)
    out.write_text("")
    out.chmod(0o444)
    res = _invoke([*_cheap(args, workdir), "-o", str(out), "--force"])
    assert res.exit_code == 0, res.stderr
    assert out.read_text() == new and stat.S_IMODE(out.stat().st_mode) == 0o444
    assert [p.name for p in workdir.iterdir() if p.name.endswith(".part")] == []


@pytest.mark.skipif(not IS_ROOT, reason="only root may give a file to another owner")
def test_replace_keeps_owner_and_group(workdir: Path) -> None:
    out = workdir / "out.csv"
    out.write_text("old\n")
    os.chown(out, 1234, 5678)
    res = _invoke(["stations", "list", "--format", "csv", "-o", str(out)])
    assert res.exit_code == 0, res.stderr
    st = out.stat()
    assert (st.st_uid, st.st_gid) == (1234, 5678) and out.read_text().startswith("id,")


def test_link_is_written_through_and_kept(workdir: Path) -> None:
    (workdir / "real").mkdir()
    real = workdir / "real" / "stations.csv"
    real.write_text("old\n")
    link = workdir / "latest.csv"
    link.symlink_to(real)
    res = _invoke(["stations", "list", "--format", "csv", "-o", str(link)])
    assert res.exit_code == 0, res.stderr
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text().startswith("id,") and not list((workdir / "real").glob(".*.part"))


def test_full_disk_on_a_file_is_one_line_and_keeps_the_old_file(workdir: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    out = workdir / "out.csv"
    out.write_text("old\n")

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    line = _one_error(_invoke(["stations", "list", "-o", str(out)]), "ENOSPC")
    assert str(out) in line and "No space left on device" in line
    assert out.read_text() == "old\n" and sorted(p.name for p in workdir.iterdir()) == ["out.csv", "series.csv"]


#: the writers of the third stage (binary and whole-document formats), each through its own path
FORMAT_WRITES = {
    "parquet": ["passes", *BASE["passes"], "--format", "parquet"],
    "schedule-parquet": ["schedule", *BASE["schedule"], "--format", "parquet"],
    "next-parquet": ["next", *BASE["next"], "--format", "parquet"],
    "czml": ["passes", *BASE["passes"], "--format", "czml"],
    "netcdf": ["coverage", *BASE["coverage"], "--format", "netcdf"],
    "geojson": ["coverage", *BASE["coverage"], "--format", "geojson"],
    "html": ["report", "xinglong", "--sats", "DEMO-SSO-1", "--date", "2026-03-20", "--min-max-el", "90"],
}


@pytest.mark.parametrize("fmt", sorted(FORMAT_WRITES))
def test_full_disk_on_each_export_format_keeps_the_old_file(fmt: str, workdir: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip({"parquet": "pyarrow", "czml": "czml3", "netcdf": "netCDF4"}.get(fmt.split("-")[-1], "json"))
    out = workdir / f"out.{fmt}"
    out.write_text("old\n")
    before = sorted(p.name for p in workdir.iterdir())

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    res = _invoke([*FORMAT_WRITES[fmt], "-o", str(out), "--force"])
    if fmt == "html":  # report says which night it covers on stderr first, as tonight does
        night, _, rest = res.stderr.partition("\n")
        assert night.startswith("xinglong: dark"), res.stderr
        res = SimpleNamespace(exception=res.exception, stderr=rest, exit_code=res.exit_code)
    line = _one_error(res, "ENOSPC")
    assert str(out) in line and "No space left on device" in line
    assert out.read_text() == "old\n" and sorted(p.name for p in workdir.iterdir()) == before


def test_dash_is_stdout_and_never_a_file(workdir: Path) -> None:
    res = _invoke(["stations", "list", "--format", "csv", "-o", "-", "--force"])
    assert res.exit_code == 0 and res.stdout.startswith("id,")
    assert not (workdir / "-").exists()


def test_series_name_too_long_is_clean_and_leaves_no_folder(tmp_path: Path) -> None:
    """A station id of 300 characters gives a series file name no folder holds: one clear
    error, and the folder made for the series is removed again (it was empty)."""
    from passplan.query import write_channel_series

    class Forecast:  # what write_channel_series uses of a PassForecast
        def series_name(self) -> str:
            return "s" * 300 + "_SAT_20260320T120000Z.csv"

        def series_csv(self) -> str:
            return "t_s\n0\n"

    with pytest.raises(InputError, match="shorter name"):
        write_channel_series([Forecast()], tmp_path / "series")  # type: ignore[list-item]
    assert list(tmp_path.iterdir()) == []
    assert write_channel_series([], tmp_path / "series") == 0 and list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# Input files: every kind, hostile contents (in-process)

TLE_DIR = ROOT / "data" / "tle"
STATIONS_TOML = b"# a test station\n[stations.tst]\nlat_deg = 10.5\nlon_deg = 20\nalt_m = 100\nname = \"Test\"\n"
#: (kind, file suffix, the valid file's bytes, the invocation with {f} for the file).
INPUT_KINDS: list[tuple[str, str, bytes, list[str]]] = [
    ("stations", ".toml", STATIONS_TOML, ["stations", "list", "--stations", "{f}"]),
    ("elements-tle", ".tle", (TLE_DIR / "iss_2026-03.tle").read_bytes(), ["elements", "show", "{f}", "--at", T0]),
    ("elements-omm-json", ".json", (TLE_DIR / "qkd_pair_micius_jinan1_2023-11.omm.json").read_bytes(),
     ["elements", "show", "{f}", "--at", "2023-11-20T00:00Z"]),
    ("elements-omm-csv", ".csv", (TLE_DIR / "qkd_pair_micius_jinan1_2023-11.omm.csv").read_bytes(),
     ["elements", "show", "{f}", "--at", "2023-11-20T00:00Z"]),
    ("key-series", ".csv", b"t_s,eta,background_prob\n" + b"".join(b"%d,1e-3,1e-6\n" % i for i in range(60)),
     ["key", "{f}"]),
    ("profile", ".toml", (DATA / "profiles" / "micius.toml").read_bytes(), ["link", "--profile", "{f}", "--elevation-deg", "45"]),
    ("protocol", ".toml", (DATA / "protocols" / "micius.toml").read_bytes(), ["key", "{series}", "--protocol", "{f}"]),
    ("constellation", ".toml", (DATA / "fleet" / "demo.toml").read_bytes(), ["constellation", "show", "{f}", "--at", T0]),
    ("network", ".toml", (DATA / "networks" / "china-integrated.toml").read_bytes(),
     ["network", "{f}", "--from", "xinglong", "--to", "beijing", "--sats", "DEMO-SSO-1", "--start", T0, "--hours", "2"]),
    ("geojson-region", ".geojson", b'{"type": "Feature", "properties": {"name": "a region"},\n "geometry": {"type": '
     b'"Polygon", "coordinates": [[[0, 0], [60, 0], [60, 60], [0, 60], [0, 0]]]}}\n',
     ["coverage", "--sats", "DEMO-SSO-1", "--grid-deg", "30", "--start", T0, "--region", "{f}"]),
    # a coverage study's JSON (report --coverage); --min-max-el 90 keeps the night empty: cheap runs
    ("coverage-json", ".json",
     b'{"cells": [\n{"lat_deg": -45.0, "lon_deg": -90.0, "usable_min_per_day": 12.5},\n'
     b'{"lat_deg": -45.0, "lon_deg": 90.0, "usable_min_per_day": null},\n'
     b'{"lat_deg": 45.0, "lon_deg": -90.0, "usable_min_per_day": 30.0}\n],\n'
     b'"summary": {"cells": 4, "grid_deg": 90.0, "days": 1.0, "satellites": 1}}\n',
     ["report", "--coverage", "{f}", "xinglong", "--sats", "DEMO-SSO-1", "--date", "2026-03-20", "--min-max-el", "90"]),
    ("demands", ".toml", (DATA / "demands" / "china-integrated.toml").read_bytes(),
     ["pools", str(DATA / "networks" / "china-integrated.toml"), "--demands", "{f}", "--sats", "DEMO-SSO-1", "--start", T0,
      "--hours", "2", "--weather-trials", "0"]),
    ("cloud", ".csv", (DATA / "weather" / "synthetic-season.csv").read_bytes(),
     ["network", str(DATA / "networks" / "china-integrated.toml"), "--from", "xinglong", "--to", "nanshan",
      "--sats", "DEMO-SSO-1", "--start", "2026-12-02T14:00Z", "--hours", "2", "--weather-trials", "0",
      "--cloud-record", "{f}"]),
    # candidates computed elsewhere, and the requests their links serve (schedule --candidates)
    ("candidates", ".csv", (DATA / "schedule" / "candidates-example.csv").read_bytes(),
     ["schedule", "--candidates", "{f}", "--format", "csv"]),
    ("requests", ".toml", (DATA / "schedule" / "requests-example.toml").read_bytes(),
     ["schedule", "--candidates", str(DATA / "schedule" / "candidates-example.csv"), "--requests", "{f}",
      "--format", "csv"]),
]
#: Every option or argument of the app that reads a file, and the kind above that walks it
#: (a new file input must get a kind: tested against the app).
INPUT_OPTION_KIND = {"--stations": "stations", "--pair-stations": "stations", "--sats": "elements-tle", "satellite": "elements-tle",
                     "name": "elements-tle", "series": "key-series", "--profile": "profile",
                     "--protocol": "protocol", "file": "network/constellation", "--compare": "constellation",
                     "files": "stations/profile/protocol/key-series/constellation/network/cloud/demands/"
                              "candidates/requests",
                     "--region": "geojson-region",
                     "--coverage": "coverage-json",
                     "--demands": "demands",
                     "--cloud-record": "cloud",
                     "--candidates": "candidates",
                     "--requests": "requests"}
#: The kinds `passplan doctor` checks (every hostile variant of each: tests/test_faultwalk.py
#: test_doctor_on_hostile_files).
DOCTOR_KINDS = ("stations", "profile", "protocol", "key-series", "constellation", "network", "cloud", "demands",
                "candidates", "requests", "geojson-region", "coverage-json")
#: doctor's --kind for a walked kind of another name
DOCTOR_KIND_NAME = {"key-series": "series", "geojson-region": "region", "coverage-json": "coverage"}


def test_every_file_input_of_the_app_has_a_walked_kind() -> None:
    kinds = {k[0] for k in INPUT_KINDS}
    not_files = {"--creation-date", "--dtstamp", "--kind"}  # times and a choice whose help says "file"
    for name, cmd in COMMANDS.items():
        for p in cmd.params:
            label = next((o for o in getattr(p, "opts", ()) if o.startswith("--")), p.name)
            help_text = (getattr(p, "help", "") or "").lower()
            if getattr(p, "is_flag", False) or label in (*OUTPUT_FILE_OPTIONS, *OUTPUT_FOLDER_OPTIONS, *not_files):
                continue
            if p.bare_type() in ("Path", "list[Path]") or re.search(r"\b(file|toml)\b", help_text):
                assert label in INPUT_OPTION_KIND, f"{name} {label}: give this file input a kind in INPUT_KINDS"
                assert set(INPUT_OPTION_KIND[label].split("/")) <= kinds, label


_NUMBER = re.compile(rb"(=\s*|,)(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?=\s*(?:#|\n|,|\]))")


def _variant(kind: str, valid: bytes) -> bytes:
    if kind == "empty":
        return b""
    if kind == "binary":
        return bytes(range(256)) * 8
    if kind == "bom":
        return b"\xef\xbb\xbf" + valid
    if kind == "crlf":
        return valid.replace(b"\n", b"\r\n")
    if kind == "truncated":
        return valid[: len(valid) // 2]
    if kind in ("nan", "inf", "wrong-type"):
        word = {"nan": b"nan", "inf": b"inf", "wrong-type": b'"ten"'}[kind]
        return _NUMBER.sub(lambda m: m.group(1) + word, valid, count=3)
    if kind == "not-utf8":
        return valid.replace(b"a", b"\xe9", 3)
    raise AssertionError(kind)


#: Variants that keep a valid file valid: the result must be the plain file's, byte for byte.
SAME_AS_PLAIN = ("bom", "crlf")
VARIANTS = ("empty", "binary", "bom", "crlf", "truncated", "nan", "inf", "wrong-type", "not-utf8")
#: Cases that fail on files this walk's author does not own, each with the file that holds the
#: fix (strict: when the fix lands the mark must go).
INPUT_KNOWN: dict[tuple[str, str], str] = {
    # (kind, variant): why it still fails, as a strict expected failure (none left: the input
    # schemas of issue 17 fixed the byte-order marks, the unnamed files and length_km = inf)
}


def _input_cases() -> list[Any]:
    out = []
    for kind, suffix, valid, args in INPUT_KINDS:
        for variant in VARIANTS:
            reason = INPUT_KNOWN.get((kind, variant))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            out.append(pytest.param(kind, suffix, valid, args, variant, marks=marks, id=f"{kind}-{variant}"))
    return out


@pytest.mark.parametrize(("kind", "suffix", "valid", "args", "variant"), _input_cases())
def test_hostile_input_file(kind: str, suffix: str, valid: bytes, args: list[str], variant: str,
                            workdir: Path) -> None:
    """No traceback, ever: a clean result (exit 0) or one error line naming the file (exit 2);
    a byte-order mark or CRLF line ends give what the plain file gives."""
    f = workdir / f"input{suffix}"
    f.write_bytes(_variant(variant, valid))
    argv = [a.format(f=f, series=workdir / "series.csv") for a in args]
    before = _snapshot(workdir)
    res = _invoke(argv)
    shown = f"{kind} {variant}: passplan {' '.join(argv)}"
    crash = res.exception is not None and not isinstance(res.exception, SystemExit)
    assert not crash, f"{shown}: {type(res.exception).__name__}: {res.exception}"
    assert "Traceback" not in res.stderr, shown
    if variant in SAME_AS_PLAIN:
        f.write_bytes(valid)
        plain = _invoke(argv)
        assert (res.exit_code, res.stdout) == (plain.exit_code, plain.stdout.replace(str(f), str(f))), \
            f"{shown}: {res.stderr!r} (the plain file: exit {plain.exit_code})"
        return
    assert res.exit_code in (0, 2), f"{shown}: exit {res.exit_code}, {res.stderr!r}"
    if res.exit_code == 2:
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        assert lines[-1].startswith("passplan: error: ") and f.name in lines[-1], f"{shown}: {res.stderr!r}"
        assert not [ln for ln in lines[:-1] if "error" in ln.lower()], f"{shown}: {res.stderr!r}"
    assert _snapshot(workdir) == before, f"{shown}: changed a file"


@pytest.mark.parametrize(
    ("kind", "suffix", "valid", "variant"),
    [pytest.param(k, sfx, v, var, id=f"{k}-{var}") for k, sfx, v, _ in INPUT_KINDS if k in DOCTOR_KINDS for var in VARIANTS],
)
def test_doctor_on_hostile_files(kind: str, suffix: str, valid: bytes, variant: str, workdir: Path) -> None:
    """`passplan doctor` reads any input file without running anything: every hostile variant
    gives a clean verdict (exit 0) or its problems ending in one error line naming the file
    (exit 2), never a traceback; a byte-order mark or CRLF gives the plain file's verdict."""
    f = workdir / f"input{suffix}"
    f.write_bytes(_variant(variant, valid))
    as_kind = DOCTOR_KIND_NAME.get(kind, kind)  # doctor's name for the kind
    res = _invoke(["doctor", str(f), "--kind", as_kind])
    shown = f"doctor {kind} {variant}"
    assert not (res.exception is not None and not isinstance(res.exception, SystemExit)), f"{shown}: {res.exception!r}"
    assert "Traceback" not in res.stderr and res.exit_code in (0, 2), f"{shown}: {res.exit_code} {res.stderr!r}"
    if variant in SAME_AS_PLAIN:
        f.write_bytes(valid)
        assert res.exit_code == _invoke(["doctor", str(f), "--kind", as_kind]).exit_code == 0, f"{shown}: {res.output!r}"
    elif res.exit_code == 2:
        last = [ln for ln in res.stderr.splitlines() if ln.strip()][-1]
        assert last.startswith("passplan: error: "), f"{shown}: {res.stderr!r}"


@pytest.mark.parametrize(("kind", "suffix", "valid", "args"), INPUT_KINDS, ids=[k[0] for k in INPUT_KINDS])
def test_output_onto_an_input_file_refused(kind: str, suffix: str, valid: bytes, args: list[str], workdir: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """``stations list --stations st.toml -o st.toml`` replaced the stations with a table."""
    f = workdir / f"input{suffix}"
    f.write_bytes(valid)
    argv = [a.format(f=f, series=workdir / "series.csv") for a in args]
    name = " ".join(a for a in argv[:2] if not a.startswith(("-", "/")))
    monkeypatch.setattr(COMMANDS[name].callback, "__wrapped__", _never)
    line = _one_error(_invoke([*argv, "-o", f"./{f.name}"]), f"{kind} input as output")
    assert "is also the input" in line and f.name in line, line
    assert f.read_bytes() == valid


# ---------------------------------------------------------------------------------------------
# Environment and messages, in-process


@pytest.mark.parametrize("args", [BASE["passes"], ["--at", T0]], ids=["passes", "elements list"])
def test_data_dir_naming_a_file_is_refused(args: list[str], workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (workdir / "data.txt").write_text("not a folder\n")
    monkeypatch.setenv("PASSPLAN_DATA_DIR", str(workdir / "data.txt"))
    cmd = ["passes"] if args is BASE["passes"] else ["elements", "list"]
    line = _one_error(_invoke([*cmd, *args]), "PASSPLAN_DATA_DIR a file")
    assert "PASSPLAN_DATA_DIR" in line and "data.txt" in line and "folder" in line


@pytest.mark.skipif(IS_ROOT, reason="root reads a folder without read permission (no refusal to test)")
def test_unreadable_data_dir_is_one_line(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # pragma: no cover
    d = workdir / "data"
    d.mkdir()
    d.chmod(0)
    monkeypatch.setenv("PASSPLAN_DATA_DIR", str(d))
    try:
        _one_error(_invoke(["elements", "list", "--at", T0]), "unreadable data folder")
    finally:
        d.chmod(0o755)


ESC = "\x1b[31mRED\x1b[0m\r\x07"


def test_control_characters_never_reach_the_terminal(workdir: Path) -> None:
    toml = workdir / "st.toml"
    name = "\\u001b[31mRED\\u001b[0m\\r\\u0007"  # TOML escapes of ESC
    toml.write_text(f'[stations.evil]\nlat_deg = 10\nlon_deg = 20\nalt_m = 0\nname = "{name}"\n')
    # a station name holding control characters is refused by the stations schema, and the
    # refusal itself shows them escaped
    res = _invoke(["stations", "list", "--stations", str(toml)])
    line = _one_error(res, "control characters in a station name")
    assert "\x1b" not in res.stderr and "\r" not in res.stderr and "\x07" not in res.stderr
    assert "\\x1b[31mRED" in line and "holds control characters" in line
    res = _invoke(["stations", "show", "x\x1b[2Jy"])
    line = _one_error(res, "control characters in an error")
    assert "\x1b" not in res.stderr and "x\\x1b[2Jy" in line
    res = _invoke(["passes", "--bo\x1b[2Jgus"])  # a usage error (click's message)
    line = _one_error(res, "control characters in a usage error")
    assert "\x1b" not in res.stderr and "--bo\\x1b[2Jgus" in line


def test_coverage_past_the_ephemeris_is_refused_before_any_work(workdir: Path) -> None:
    """Issue 17: coverage crashed inside Skyfield past DE421's end where the other commands check."""
    for extra in (["--days", "1"], ["--sample-days", "4"]):
        args = ["coverage", "--sats", "DEMO-SSO-1", "--grid-deg", "30", "--start", "2053-10-01T00:00Z", *extra]
        if extra[0] == "--days":
            args[args.index("2053-10-01T00:00Z")] = "2080-01-01T00:00Z"
        line = _one_error(_invoke(args), " ".join(args))
        assert "ephemeris" in line and "choose dates inside it" in line


# ---------------------------------------------------------------------------------------------
# Standard output failing, in-process, for commands that write it in each way (emit, echo)


class _FailingStdout(io.BufferedIOBase):
    """A standard output whose writes fail with ``code`` (until ``fail`` is cleared)."""

    def __init__(self, code: int) -> None:
        self.code = code
        self.fail = True

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self.fail:
            raise OSError(self.code, os.strerror(self.code))
        return len(data)


STDOUT_COMMANDS = [["stations", "list"], ["stations", "show", "graz", "--format", "json"],
                   ["link", "--profile", "micius", "--elevation-deg", "45", "--format", "csv"],
                   ["elements", "list", "--at", T0, "--format", "ndjson"], ["constellation", "geo", "--longitude-deg", "100"],
                   ["key", "{series}"]]
STDOUT_FAILURES = {"ENOSPC": (errno.ENOSPC, 2), "EPIPE": (errno.EPIPE, 0), "EIO": (errno.EIO, 2),
                   "EBADF": (errno.EBADF, 2)}


@pytest.mark.parametrize("failure", list(STDOUT_FAILURES))
@pytest.mark.parametrize("args", STDOUT_COMMANDS, ids=[" ".join(a[:2]) for a in STDOUT_COMMANDS])
def test_standard_output_failing(args: list[str], failure: str, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk or an I/O error on standard output: one error line, exit 2; a pipe the
    reader closed: exit 0 and nothing on stderr; never a traceback."""
    code, want = STDOUT_FAILURES[failure]
    raw = _FailingStdout(code)
    err = io.StringIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="utf-8"))
    monkeypatch.setattr(sys, "stderr", err)
    argv = [a.format(series=workdir / "series.csv") for a in args]
    try:
        with pytest.raises(SystemExit) as done:
            _GROUP.main(argv, prog_name="passplan")
    finally:
        raw.fail = False
    assert done.value.code == want, err.getvalue()
    lines = err.getvalue().splitlines()
    errors = [ln for ln in lines if "error" in ln.lower() or "Traceback" in ln or "Exception" in ln]
    if want == 0:
        assert errors == [], lines
    else:
        assert errors == [lines[-1]] and lines[-1].startswith("passplan: error: cannot write standard output: "), lines
        assert ("free some space" in lines[-1]) == (failure == "ENOSPC"), lines
        assert "--output FILE" in lines[-1], lines


# ---------------------------------------------------------------------------------------------
# Standard streams, signals and concurrency: subprocesses


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHONIO")}
    env.update(extra)
    return env


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from passplan.cli import main; main()", *args]


def _run_shell(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60, env=_env(**env))


def _py() -> str:
    return f"{sys.executable} -c 'from passplan.cli import main; main()'"


def test_full_and_closed_standard_output_and_error() -> None:
    res = _run_shell(f"{_py()} stations list > /dev/full")
    assert res.returncode == 2 and res.stderr.count("\n") == 1, res.stderr
    assert res.stderr.startswith("passplan: error: cannot write standard output: No space left on device")
    res = _run_shell(f"{_py()} stations list >&-")
    assert res.returncode == 2 and res.stderr.count("\n") == 1, res.stderr
    assert "standard output" in res.stderr and "--output" in res.stderr
    res = _run_shell(f"{_py()} stations list --format csv -o out.csv >&- && rm out.csv")  # data to a file: fine
    assert res.returncode == 0, res.stderr
    for stderr in ("2>/dev/full", "2>&-"):  # an error with nowhere to say it: still exit 2
        res = _run_shell(f"{_py()} stations show nonesuch {stderr}")
        assert res.returncode == 2 and res.stdout == "", (stderr, res.returncode)


def test_closed_pipe_ends_quietly() -> None:
    """``passplan passes ... | head -1``: exit 0, nothing on stderr ("Exception ignored" neither)."""
    proc = subprocess.Popen(_cli("passes", "--sats", "demo", "--station", "xinglong", "--start", T0,
                                 "--days", "10", "--format", "ndjson"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0 and first.startswith(b"{"), err
    assert err == b""


def test_closed_stdin_and_ascii_stdout(tmp_path: Path) -> None:
    toml = tmp_path / "st.toml"
    toml.write_text('[stations.graz2]\nlat_deg = 47\nlon_deg = 15.5\nalt_m = 500\nname = "Lustbühel 47°"\n',
                    encoding="utf-8")
    res = _run_shell(f"{_py()} stations list --stations {toml} <&-")
    assert res.returncode == 0 and "Lustbühel 47°" in res.stdout, res.stderr
    for env in ({"PYTHONIOENCODING": "ascii"}, {"LANG": "C", "LC_ALL": "C", "PYTHONUTF8": "0"}):
        res = _run_shell(f"{_py()} stations show graz2 --stations {toml}", **env)
        assert res.returncode == 0 and "Traceback" not in res.stderr, (env, res.stderr)
        assert "Lustb" in res.stdout, env
    res = _run_shell(f"{_py()} stations show 'gr\u00e4z'", PYTHONIOENCODING="ascii")
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "Traceback" not in res.stderr, res.stderr


def _wait_for_part(folder: Path, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while not list(folder.glob(".*.part")):
        assert proc.poll() is None, "the run ended before it started writing"
        assert time.monotonic() < deadline, "no temporary file appeared"
        time.sleep(0.02)


@pytest.mark.parametrize(("sig", "code"), [("SIGINT", 130), ("SIGTERM", 143), ("SIGHUP", 129)])
def test_signal_during_a_long_write_leaves_the_old_file(sig: str, code: int, tmp_path: Path) -> None:
    out = tmp_path / "year.ndjson"
    out.write_text("the earlier file\n")
    proc = subprocess.Popen(_cli("passes", "--sats", "demo", "--station", "xinglong", "--start", T0,
                                 "--days", "365", "--format", "ndjson", "-o", str(out)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    _wait_for_part(tmp_path, proc)
    time.sleep(0.2)  # well inside the streamed write
    proc.send_signal(getattr(signal, sig))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert b"Traceback" not in err and err.decode().count("\n") == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["year.ndjson"]
    assert out.read_text() == "the earlier file\n"


def test_two_runs_writing_one_file_at_once(tmp_path: Path) -> None:
    out = tmp_path / "same.ndjson"
    args = [["--hours", "30"], ["--hours", "31"]]
    procs = [subprocess.Popen(_cli("passes", "--sats", "demo", "--station", "xinglong", "--start", T0, *a,
                                   "--format", "ndjson", "-o", str(out)),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env()) for a in args]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    whole = [typer.testing.CliRunner().invoke(app, ["passes", "--sats", "demo", "--station", "xinglong", "--start", T0,
                                                    *a, "--format", "ndjson"]).stdout.encode() for a in args]
    assert whole[0] != whole[1] and out.read_bytes() in whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.ndjson"]


# ---------------------------------------------------------------------------------------------
# The count README.md states

#: Every case this file runs (parametrised cases counted one by one).
WALK_CASES = (
    1 + len(OUTPUTS) * len(REFUSED) + len(FOLDER_OUTPUTS) * len(FOLDER_KINDS) + len(MULTI) + 1 + 1 + 1
    + len(CHEAP) + 1 + 1 + 1 + 1 + len(FORMAT_WRITES) + 1  # output paths
    + 1 + len(INPUT_KINDS) * len(VARIANTS) + len(DOCTOR_KINDS) * len(VARIANTS) + len(INPUT_KINDS)  # input files
    + 2 + 1 + 1 + 1  # environment and messages
    + len(STDOUT_COMMANDS) * len(STDOUT_FAILURES)  # standard output failing
    + 1 + 1 + 1 + 3 + 1  # streams, signals, concurrency
)


def test_readme_states_the_walk_count(request: pytest.FixtureRequest) -> None:
    mine = [i for i in request.session.items if getattr(i, "module", None) is sys.modules[__name__]]
    every = {n for n in globals() if n.startswith("test_")}
    if {i.originalname for i in mine if isinstance(i, pytest.Function)} == every and not request.config.option.keyword:
        # the whole file selected: the count is every case but this one and the census
        assert WALK_CASES == len(mine) - 2, "WALK_CASES has not kept up with the cases of this file"
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"`tests/test_faultwalk\.py` walks (\d+) cases", text)
    assert found, "README.md: say how many cases tests/test_faultwalk.py walks"
    assert int(found.group(1)) == WALK_CASES
