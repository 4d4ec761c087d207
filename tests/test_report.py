"""``passplan report STATION`` (issue 20 part 4): one self-contained HTML file, rendered by a
real browser.

The authority for the table is ``passplan tonight STATION --key --format json`` (the same rows,
value for value, read back from the DOM headless Chromium builds from the file); the browser's
screenshot must show something (not a blank page); the file must reference nothing outside
itself. Chromium is the Debian package (``/usr/bin/chromium``); without it the browser tests skip
with the reason, unless ``PASSPLAN_REQUIRE_CHROMIUM=1`` (CI sets it: .ci/run installs chromium),
where they fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from passplan.cli import app
from passplan.exports.html import TABLE_COLUMNS, HtmlReport, ReportFigure, coverage_grid, inline_svg

CASE = ["graz", "--date", "2026-12-02", "--sats", "DEMO-SSO-1,DEMO-SSO-3,DEMO-SSO-5"]
ROOT = Path(__file__).resolve().parents[1]
#: Chromium's flags: no GPU, no network of its own (no QUIC, background fetches, component or
#: sync updates), no first-run pages, a fresh profile per run.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if found is None:
        if os.environ.get("PASSPLAN_REQUIRE_CHROMIUM") == "1":
            pytest.fail("PASSPLAN_REQUIRE_CHROMIUM=1 but chromium is not installed (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium); CI installs it")
    return found


def _browse(html: Path, work: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    profile = work / f"profile-{len(list(work.glob('profile-*')))}"
    return subprocess.run(
        [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, html.resolve().as_uri()],
        capture_output=True, timeout=180, check=True,
    )


def _coverage_doc() -> dict[str, Any]:
    """A coverage JSON as ``passplan coverage --format json`` writes it: 2 x 3 cells of 30 deg,
    one cell without a value and one left out of the file."""
    cells = []
    for i, lat in enumerate((15.0, 45.0)):
        for j, lon in enumerate((-15.0, 15.0, 45.0)):
            if (i, j) == (1, 2):
                continue  # not in the file: no value on the map
            usable = None if (i, j) == (0, 0) else 10.0 * i + j + 1.0
            cells.append({"lat_deg": lat, "lon_deg": lon, "passes_per_day": 3.0, "usable_min_per_day": usable})
    return {"cells": cells, "summary": {"cells": 6, "grid_deg": 30.0, "days": 1.0, "satellites": 1}}


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]], Path]:
    """The report of CASE (with a coverage map) and the JSON rows of ``tonight --key`` for it."""
    work = tmp_path_factory.mktemp("report")
    with pytest.MonkeyPatch.context() as mp:  # the per-test data folder, for this module's runs
        mp.setenv("PASSPLAN_DATA_DIR", str(work / "data"))
        mp.setenv("XDG_DATA_HOME", str(work / "xdg"))
        cov = work / "coverage.json"
        cov.write_text(json.dumps(_coverage_doc()))
        out = work / "report.html"
        runner = CliRunner()
        r = runner.invoke(app, ["report", *CASE, "--coverage", str(cov), "-o", str(out)])
        assert r.exit_code == 0, r.output
        j = runner.invoke(app, ["tonight", *CASE, "--key", "--format", "json"])
        assert j.exit_code == 0, j.output
    records = json.loads(j.stdout)
    assert len(records) >= 3 and all(rec["secret_key_bits"] is not None for rec in records)
    return out, records, work


class _Dom(HTMLParser):
    """The table rows (field -> JSON value and cell text), the JSON script's text, every id and
    every src/href attribute of a document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[dict[str, tuple[Any, str]]] = []
        self.uids: list[str] = []
        self.script = ""
        self.ids: list[str] = []
        self.links: list[str] = []
        self.svgs = 0
        self._cell: tuple[str, Any] | None = None
        self._text = ""
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        self.links += [str(v) for k, v in attrs if k in ("src", "href", "xlink:href") and v is not None]
        if tag == "svg":
            self.svgs += 1
        if tag == "tr" and "data-uid" in a:
            self.rows.append({})
            self.uids.append(str(a["data-uid"]))
        if tag == "td" and "data-field" in a:
            self._cell, self._text = (str(a["data-field"]), json.loads(str(a["data-value"]))), ""
        if tag == "script" and a.get("type") == "application/json":
            self._in_script = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.rows[-1][self._cell[0]] = (self._cell[1], self._text)
            self._cell = None
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._text += data
        if self._in_script:
            self.script += data


def _parse(text: str) -> _Dom:
    dom = _Dom()
    dom.feed(text)
    dom.close()
    return dom


def _same_rows(dom: _Dom, records: list[dict[str, Any]]) -> None:
    assert len(dom.rows) == len(records)
    assert dom.uids == [rec["uid"] for rec in records]
    for row, rec in zip(dom.rows, records, strict=True):
        assert {f: v for f, (v, _) in row.items()} == {f: rec.get(f) for f, _ in TABLE_COLUMNS}
        assert row["satellite"][1] == rec["satellite"]
        assert float(row["max_el_deg"][1]) == pytest.approx(rec["max_el_deg"], abs=0.05)


def test_report_is_self_contained_and_holds_tonights_rows(made: tuple[Path, list[dict[str, Any]], Path]) -> None:
    path, records, _ = made
    text = path.read_text(encoding="utf-8")
    assert re.search(r"https?://", text) is None  # no resource, no namespace URI: nothing outside
    dom = _parse(text)
    # links are to the file's own ids, or the map's cells embedded as a PNG data URI
    inside = [x for x in dom.links if x.startswith("#") or x.startswith("data:image/png;base64,")]
    assert inside == dom.links and any(x.startswith("data:") for x in dom.links)
    assert "<link" not in text and "<img" not in text and "@import" not in text and "url(http" not in text
    assert len(dom.ids) == len(set(dom.ids))  # four inline SVGs, no id shared
    assert dom.svgs == 4  # sky chart, key per pass, plan, coverage map
    assert json.loads(dom.script) == records  # the embedded data: tonight's JSON, value for value
    _same_rows(dom, records)


def test_report_renders_in_headless_chromium(made: tuple[Path, list[dict[str, Any]], Path]) -> None:
    path, records, work = made
    shot = work / "report.png"
    _browse(path, work, f"--screenshot={shot}", "--window-size=1280,2000")
    from matplotlib.image import imread

    img = imread(str(shot))[..., :3]
    assert img.shape[:2] == (2000, 1280)
    ink = (img < 0.9).any(axis=2)
    assert 0.05 < ink.mean() < 0.9, f"non-white share {ink.mean():.3f}: a blank or black page"
    assert img.std() > 0.1
    # the DOM as the browser built it: the same rows, value for value, and the figures parsed as SVG
    dom = _parse(_browse(path, work, "--dump-dom").stdout.decode("utf-8"))
    _same_rows(dom, records)
    assert dom.svgs == 4 and json.loads(dom.script) == records


def test_report_writer_escapes_and_prefixes(tmp_path: Path) -> None:
    """A hostile satellite name stays data (escaped in the table, JSON-escaped in the script);
    two figures with the same SVG keep distinct ids; the bytes repeat."""
    from passplan.plot.common import figure_bytes, new_figure

    fig = new_figure(2, 2)
    fig.add_subplot(1, 1, 1).plot([0, 1], [1, 0])
    svg = figure_bytes(fig, "svg")
    assert b"http://www.w3.org" in svg  # matplotlib writes namespaces; the inline form drops them
    one = inline_svg(svg, "a")
    assert one.startswith("<svg") and "http" not in one and 'id="a-' in one
    bad = {"uid": "x", "satellite": "</script><b>&\"'", "aos_utc": "2026-12-02T20:00:00.000Z", "secret_key_bits": 12.5}
    doc = HtmlReport("t <1>", "s", [bad], figures=[ReportFigure("f1", "h", "c", svg), ReportFigure("f2", "h", "c", svg)])
    text = doc.to_html()
    assert text == doc.to_html()
    assert text.count("</script>") == 1 and "<b>" not in text
    dom = _parse(text)
    assert json.loads(dom.script) == [bad] and dom.rows[0]["satellite"] == (bad["satellite"], bad["satellite"])
    assert len(dom.ids) == len(set(dom.ids)) and dom.svgs == 2


def test_coverage_grid_places_each_cell() -> None:
    import numpy as np

    g = coverage_grid(_coverage_doc())
    assert g.metric == "usable_min_per_day"
    assert g.lat_deg.tolist() == [15.0, 45.0] and g.lon_deg.tolist() == [-15.0, 15.0, 45.0]
    want = np.array([[np.nan, 2.0, 3.0], [11.0, 12.0, np.nan]])
    assert np.array_equal(np.isnan(g.values), np.isnan(want)) and np.allclose(g.values[~np.isnan(want)], want[~np.isnan(want)])


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--coverage", "{missing}"], "no such file"),
        (["--coverage", "{notjson}"], "not JSON"),
        (["--coverage", "{cov}", "--coverage-metric", "key_per_year"], "usable_min_per_day"),
        (["--coverage-metric", "usable_min_per_day"], "--coverage-metric goes with --coverage"),
    ],
)
def test_report_refuses_bad_input_before_work(tmp_path: Path, extra: list[str], words: str) -> None:
    cov = tmp_path / "cov.json"
    cov.write_text(json.dumps(_coverage_doc()))
    (tmp_path / "bad.json").write_text("{cells: [")
    names = {"{missing}": str(tmp_path / "nope.json"), "{notjson}": str(tmp_path / "bad.json"), "{cov}": str(cov)}
    out = tmp_path / "r.html"
    r = CliRunner().invoke(app, ["report", *CASE, *[names.get(x, x) for x in extra], "-o", str(out)])
    assert r.exit_code == 2 and words in r.output
    assert [line for line in r.output.splitlines() if line.startswith("passplan: error:")] == [r.output.strip().splitlines()[-1]]
    assert not out.exists()


def test_build_report_is_the_command_in_one_library_call(
    made: tuple[Path, list[dict[str, Any]], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The library builds the whole report (passplan.report.build_report): the same bytes as the
    command's file, its messages through the callbacks, and a station without a receiver refused
    before any search (MissingProfileError, the library's own error)."""
    import dataclasses
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from passplan.elements import Selection
    from passplan.exports.html import write_html
    from passplan.forecast import MissingProfileError
    from passplan.report import build_report
    from passplan.stations import get_station

    path, _records, work = made
    monkeypatch.setenv("PASSPLAN_DATA_DIR", str(work / "data"))
    monkeypatch.setenv("XDG_DATA_HOME", str(work / "xdg"))
    st = get_station("graz")
    at = datetime(2026, 12, 2, 12, tzinfo=ZoneInfo(st.timezone))  # --date 2026-12-02: local noon
    sats = CASE[-1].split(",")
    infos: list[str] = []
    picked: list[Selection] = []
    doc = build_report(st, at, sats, coverage=coverage_grid(_coverage_doc()), on_info=infos.append,
                       on_selection=picked.append)
    out = write_html(doc, work / "library.html")
    assert out.read_bytes() == path.read_bytes()
    assert infos[0].startswith("graz: dark") and len(picked) == 1  # the night first, then the forecast
    assert [s.name for s in picked[0].satellites] == sats
    bare = dataclasses.replace(st, receiver=None)
    with pytest.raises(MissingProfileError):
        build_report(bare, at, sats, on_info=infos.append, on_selection=picked.append)
    assert len(picked) == 1  # refused before the search
