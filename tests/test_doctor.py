"""`passplan doctor FILE...` (issue 17): every problem of input files at once, nothing run."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from passplan.cli import app

DATA = Path(__file__).resolve().parents[1] / "passplan" / "data"


def _run(*args: str):  # noqa: ANN202 - a click Result
    return CliRunner().invoke(app, ["doctor", *args])


def test_bundled_files_are_clean() -> None:
    files = [DATA / "stations.toml", DATA / "fleet" / "demo.toml", *sorted((DATA / "profiles").glob("*.toml")),
             *sorted((DATA / "protocols").glob("*.toml")), *sorted((DATA / "networks").glob("*.toml"))]
    r = _run(*map(str, files))
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == [f"{f}: ok" for f in files]


def test_every_problem_listed_with_exit_2(tmp_path: Path) -> None:
    st = tmp_path / "st.toml"
    st.write_text('[stations.a]\nlat_deg = 95\nlon_deg = 0\nalt_m = 0\nname = "x\\u001b[31m"\nlatitude = 1\n'
                  '[stations.A]\nlat_deg = 1\n')
    series = tmp_path / "s.csv"
    series.write_text("t_s,eta\n0,0.1\n1,1.5\n1,0.1\n2,abc\n")
    good = tmp_path / "p.toml"
    good.write_text("p_x = 0.5\n")
    r = _run(str(st), str(series), str(good))
    assert r.exit_code == 2
    lines = r.stdout.splitlines()
    want = [
        f"{st}: [stations.a] lat_deg = 95",
        f"{st}: [stations.a] name = 'x\\x1b[31m': expected text without control characters",
        f"{st}: [stations.a] unknown key 'latitude'; did you mean 'lat_deg'?",
        f"{st}: [stations.A] duplicate station id",
        f"{st}: [stations.A] lon_deg is missing",
        f"{st}: [stations.A] alt_m is missing",
        f"{series}:3: column eta = 1.5",
        f"{series}:4: column 't_s' is 1.0, not after the previous row",
        f"{series}:5: column 'eta' is 'abc'",
        f"{good}: ok",
    ]
    assert len(lines) == len(want), lines
    for line, start in zip(lines, want, strict=True):
        assert line.startswith(start), (line, start)
    assert "\x1b" not in r.output
    assert r.stderr.startswith("passplan: error: 9 problem(s) in 2 of 3 file(s)") and r.stderr.count("\n") == 1


def test_kind_option_and_json(tmp_path: Path) -> None:
    f = tmp_path / "thing.toml"
    f.write_text("p_x = 2\n")
    r = _run(str(f), "--kind", "protocol", "--format", "json")
    assert r.exit_code == 2
    (rec,) = json.loads(r.stdout)
    assert rec["file"] == str(f) and rec["key"] == "p_x" and "(0, 1)" in rec["message"]
    r = _run(str(f), "--kind", "stations")
    assert r.exit_code == 2 and "no [stations.<id>] tables" in r.stdout
    r = _run(str(f), "--kind", "bogus")
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_unreadable_inputs_are_one_line_each(tmp_path: Path) -> None:
    empty, binary, folder = tmp_path / "e.toml", tmp_path / "b.toml", tmp_path / "dir"
    empty.write_text("")
    binary.write_bytes(b"\x00\x01" * 40)
    folder.mkdir()
    r = _run(str(empty), str(binary), str(folder), str(tmp_path / "missing.toml"))
    assert r.exit_code == 2
    lines = r.stdout.splitlines()
    assert len(lines) == 4 and "empty" in lines[0] and "binary" in lines[1] and "folder" in lines[2]
    assert "file not found" in lines[3]
