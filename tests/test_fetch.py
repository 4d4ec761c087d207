"""``passplan.fetch``: CelesTrak GP queries against a local HTTP server on 127.0.0.1 (no network)."""

from __future__ import annotations

import json
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import passplan
from passplan import errors, fetch
from passplan.elements import default_fleet, resolve_satellites
from passplan.errors import InputError
from passplan.fetch import FetchError, gp_url, update

DATA = Path(__file__).resolve().parents[1] / "data" / "tle"
FRESH_EPOCH = "2026-11-20T00:00:00"  # no fractional seconds on purpose (sgp4's reader refuses it)
AT = datetime(2026, 11, 21, tzinfo=UTC)


def gp_records() -> list[dict]:
    recs = json.loads((DATA / "qkd_pair_micius_jinan1_2023-11.omm.json").read_text())
    for r in recs:
        r["EPOCH"] = FRESH_EPOCH
    return recs


class FakeCelesTrak(BaseHTTPRequestHandler):
    """Answers like CelesTrak's gp.php for a few queries."""

    requests: list[str] = []
    agents: list[str | None] = []

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def _send(self, code: int, body: str, ctype: str = "application/json") -> None:
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        self.requests.append(self.path)
        self.agents.append(self.headers.get("User-Agent"))
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        if url.path != "/NORAD/elements/gp.php":
            return self._send(404, "not found", "text/plain")
        if q.get("FORMAT") != "json":
            return self._send(200, "wrong format", "text/plain")
        micius, jinan = gp_records()
        answers = {
            ("CATNR", "41731"): json.dumps([micius]),
            ("CATNR", "53300"): json.dumps([micius]),  # wrong object
            ("NAME", "MOZI"): json.dumps([micius]),
            ("GROUP", "qkd"): json.dumps([micius, jinan], indent=2),
            ("GROUP", "broken"): "<html>Service unavailable</html>",
            ("GROUP", "bad"): json.dumps([dict(micius, ECCENTRICITY=3.0)]),
            ("GROUP", "empty"): "[]",
        }
        for key in ("CATNR", "NAME", "GROUP"):
            if key in q:
                body = answers.get((key, q[key]), "No GP data found")
                ctype = "application/json" if body.startswith("[") else "text/plain"
                return self._send(200, body, ctype)
        return self._send(200, "Invalid query", "text/plain")


@pytest.fixture()
def celestrak() -> Iterator[str]:
    """A local GP server for one test; it stops itself afterwards."""
    FakeCelesTrak.requests = []
    FakeCelesTrak.agents = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeCelesTrak)
    server.timeout = 5
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture()
def datadir(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "userdata"
    monkeypatch.setenv("PASSPLAN_DATA_DIR", str(d))
    return d


def test_gp_url():
    assert gp_url("https://celestrak.org", "CATNR", 25544) == (
        "https://celestrak.org/NORAD/elements/gp.php?CATNR=25544&FORMAT=json"
    )
    assert gp_url("http://h:1/x/gp.php", "NAME", "QSS (MOZI)").startswith(
        "http://h:1/x/gp.php?NAME=QSS+%28MOZI%29&FORMAT=json"
    )
    with pytest.raises(InputError, match="http"):
        gp_url("file:///etc", "CATNR", 1)


def test_update_saves_and_resolves(celestrak, datadir):
    got = update([41731], ["MOZI"], ["qkd"], url_base=celestrak, timeout=5)
    assert [g.path.name for g in got] == ["catnr-41731.json", "name-mozi.json", "group-qkd.json"]
    assert all(g.path.parent == datadir for g in got)
    assert [len(g.satellites) for g in got] == [1, 1, 2]
    assert FakeCelesTrak.requests[0] == "/NORAD/elements/gp.php?CATNR=41731&FORMAT=json"
    saved = json.loads((datadir / "group-qkd.json").read_text())
    assert [r["NORAD_CAT_ID"] for r in saved] == [41731, 53300]
    # the fetched set is the freshest for AT: it wins over the bundled 2025 one
    (sat,) = resolve_satellites(["micius"], AT).satellites
    assert sat.epoch == datetime(2026, 11, 20, tzinfo=UTC)
    assert Path(sat.source).parent == datadir and sat.name == "QSS (MOZI)"
    # usable by catalogue number and by the fetched file's name too
    assert resolve_satellites(["41731"], AT).satellites[0].source == sat.source
    assert len(resolve_satellites(["group-qkd"], AT).satellites) == 2
    # replaying 2016 still uses the bundled 2016 set
    old = resolve_satellites(["micius"], datetime(2016, 12, 19, 16, tzinfo=UTC)).satellites[0]
    assert old.source == "bundled:micius"
    # and tonight's default fleet now includes Micius and Jinan-1
    names = [s.name for s in default_fleet(AT).satellites]
    assert names[:2] == ["QSS (MOZI)", "LZWN (JINAN 1)"]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"norad_ids": [99999]}, "no GP data for CATNR=99999"),
        ({"norad_ids": [53300]}, "other catalogue numbers"),
        ({"groups": ["broken"]}, "expected OMM JSON"),
        ({"groups": ["bad"]}, "ECCENTRICITY"),
        ({"groups": ["empty"]}, "no GP data for GROUP=empty"),
        ({"names": ["nosuch"]}, "no GP data for NAME=nosuch"),
    ],
)
def test_bad_answers_write_nothing(celestrak, datadir, kwargs, words):
    kwargs = {"norad_ids": [41731], **kwargs} if "norad_ids" not in kwargs else kwargs
    with pytest.raises(FetchError, match=words):
        update(url_base=celestrak, timeout=5, **kwargs)
    assert not datadir.exists() or not any(datadir.iterdir())


def test_http_errors(celestrak, tmp_path):
    with pytest.raises(FetchError, match="HTTP 404"):
        update([41731], url_base=celestrak + "/wrong.php", output_dir=tmp_path, timeout=5)
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(FetchError, match="cannot reach"):
        update([41731], url_base=f"http://127.0.0.1:{port}", output_dir=tmp_path, timeout=2)


def test_fetch_error_lives_in_errors():
    assert FetchError is errors.FetchError is fetch.FetchError
    assert issubclass(FetchError, errors.PassplanError) and "FetchError" in errors.__all__


def test_requests_name_passplan_and_its_version(celestrak, tmp_path):
    update([41731], url_base=celestrak, output_dir=tmp_path, timeout=5)
    assert FakeCelesTrak.agents == [f"passplan/{passplan.__version__}"]


def test_nothing_asked(tmp_path):
    with pytest.raises(InputError, match="nothing to fetch"):
        update(output_dir=tmp_path)
    with pytest.raises(InputError, match="catalogue number"):
        update([-3], output_dir=tmp_path)


def test_broken_user_file_is_skipped_with_a_warning(datadir):
    datadir.mkdir()
    (datadir / "junk.json").write_text("{not json")
    sel = resolve_satellites(["micius"], datetime(2023, 11, 20, tzinfo=UTC))
    assert sel.satellites[0].norad_id == 41731
    assert any("junk.json" in w for w in sel.warnings)
