"""The README runs: its python blocks execute and print what it shows, every registered command
and subcommand is in it and has --help text, and every `$ passplan ...` line of its console
blocks runs in-process (typer's CliRunner, in a temporary folder) with exit code 0 and still
prints the output shown under it.

The README's slow commands (schedule, relay, network, pools, coverage, windows over 30 days, figures;
about a minute and a half together) run in ``test_readme_slow_commands_run``, marked ``notebooks``: skipped in the
quick suite, run by CI's ``python -m pytest -q -m notebooks --run-notebooks``. The quick part
stays within a few seconds."""

from __future__ import annotations

import json
import re
import shlex
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import typer.main
from typer.testing import CliRunner

from passplan.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

#: first words (or phrases) of README commands that take more than a few seconds
SLOW = ("schedule", "relay", "network", "pools", "coverage", "report")
#: options whose value is a path the command writes (rewritten to stay inside the test folder)
WRITES = ("-o", "--output", "--plot", "--zonal-plot", "--series-dir")


@pytest.fixture(autouse=True)
def _app_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """typer builds the click command from ``app`` on every ``CliRunner.invoke`` (a third of a
    second here); the README runs dozens of commands, so build it once per session."""
    import typer.testing

    if not _BUILT:
        _BUILT.append(typer.main.get_command(app))
    build = typer.testing._get_command
    monkeypatch.setattr(typer.testing, "_get_command", lambda a: _BUILT[0] if a is app else build(a))


_BUILT: list = []


def _blocks(*langs: str) -> list[tuple[str, list[str]]]:
    """Fenced blocks of the README whose info string is one of ``langs``, in order."""
    blocks: list[tuple[str, list[str]]] = []
    current: list[str] = []
    inside: str | None = None
    for line in README.read_text().splitlines():
        if line.startswith("```"):
            if inside is None:
                inside, current = line[3:].strip(), []
            else:
                if inside in langs:
                    blocks.append((inside, current))
                inside = None
        elif inside is not None:
            current.append(line)
    return blocks


def _examples() -> list[tuple[str, list[str]]]:
    """Each ``$ passplan ...`` line of the console blocks with the output lines shown under it."""
    out: list[tuple[str, list[str]]] = []
    for _, lines in _blocks("console"):
        for line in lines:
            if line.startswith("$ "):
                out.append((line[2:], []))
            elif out:
                out[-1][1].append(line)
    return out


def _is_slow(cmd: str) -> bool:
    argv = shlex.split(cmd)[1:]
    long_window = "--days" in argv and float(argv[argv.index("--days") + 1]) > 30
    return argv[0] in SLOW or long_window or "--plot" in argv  # a figure: matplotlib's import


def _registered() -> list[str]:
    """Every command and subcommand of the app, as 'name' or 'group sub'."""
    root = typer.main.get_command(app)
    names = []
    for name, cmd in getattr(root, "commands", {}).items():  # a click group (typer's subclass)
        names.append(name)
        names += [f"{name} {sub}" for sub in getattr(cmd, "commands", {})]
    return names


def _check_shown(cmd: str, shown: list[str], output: str) -> None:
    """The shown lines (minus ``...`` trims and blank lines) appear in the output, in order."""
    got = [line.rstrip() for line in output.splitlines()]
    at = 0
    for want in (w.rstrip() for w in shown):
        if not want or want.startswith("..."):
            continue
        if want.endswith("..."):  # a line trimmed at its end (a path that varies)
            hits = [i for i in range(at, len(got)) if got[i].startswith(want[:-3])]
        else:
            hits = [i for i in range(at, len(got)) if got[i] == want]
        assert hits, f"README shows for `{cmd}`:\n{want}\nbut the command printed:\n{output}"
        at = hits[0] + 1


class _FakeCelesTrak(BaseHTTPRequestHandler):
    """Answers GP queries by catalogue number from the bundled OMM JSON (loopback only)."""

    records = json.loads((ROOT / "data" / "tle" / "qkd_pair_micius_jinan1_2023-11.omm.json").read_text())

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        q = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
        body = json.dumps([r for r in self.records if str(r["NORAD_CAT_ID"]) == q.get("CATNR")]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def celestrak() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeCelesTrak)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _run(cmd: str, shown: list[str], folder: Path, celestrak_url: str) -> float:
    """Run one README command inside ``folder`` and check exit code and shown output."""
    import time

    argv = shlex.split(cmd)
    assert argv[0] == "passplan", cmd
    argv = argv[1:]
    for i, a in enumerate(argv[:-1]):
        if a in WRITES:
            target = Path(argv[i + 1])
            assert not target.is_absolute() and ".." not in target.parts, (cmd, "write inside the folder")
            (folder / target).parent.mkdir(parents=True, exist_ok=True)
    if argv[:2] == ["elements", "update"]:  # the one network command: a local stand-in for CelesTrak
        argv += ["--url-base", celestrak_url]
    t = time.perf_counter()
    result = CliRunner().invoke(app, argv)
    took = time.perf_counter() - t
    assert result.exit_code == 0, (cmd, result.output, result.exception)
    _check_shown(cmd, shown, result.output)
    return took


def test_every_registered_command_is_in_the_readme_with_help() -> None:
    text = README.read_text()
    commands = {shlex.split(cmd)[1] for cmd, _ in _examples()}
    runner = CliRunner()
    names = _registered()
    assert {"next", "constellation walker", "stations show", "elements update", "track"} <= set(names)
    for name in names:
        assert re.search(rf"`(passplan )?{re.escape(name)}\b", text) or f"passplan {name}" in text, (
            f"`passplan {name}` is registered but the README does not mention it"
        )
        assert name.split()[0] in commands, f"no README example runs `passplan {name.split()[0]}`"
        result = runner.invoke(app, [*name.split(), "--help"])
        assert result.exit_code == 0, (name, result.output)
        usage = f"Usage: passplan {name}"
        body = result.output.split("Options")[0].replace(usage, "")
        assert usage in " ".join(result.output.split()) and re.search(r"[a-z]{3,}", body), (
            f"`passplan {name} --help` has no help text"
        )
    # each subcommand of a group is shown run, too
    run_subs = {" ".join(shlex.split(cmd)[1:3]) for cmd, _ in _examples()}
    for name in names:
        if " " in name:
            assert name in run_subs, f"no README example runs `passplan {name}`"


def test_readme_python_blocks_run_and_print_what_they_show(capsys) -> None:
    """The python blocks run in order as one script; a ``text`` block right after one holds
    (part of) what it prints."""
    blocks = _blocks("python", "text")
    assert sum(1 for lang, _ in blocks if lang == "python") >= 5
    namespace: dict = {"__name__": "readme"}
    pending: str | None = None
    for lang, lines in blocks:
        if lang == "python":
            capsys.readouterr()
            exec(compile("\n".join(lines) + "\n", str(README), "exec"), namespace)
            pending = capsys.readouterr().out
        elif pending is not None:
            _check_shown("python block", lines, pending)
            pending = None


def test_readme_quick_commands_run(tmp_path, monkeypatch, celestrak) -> None:
    """Every quick `$ passplan` line runs in a temporary folder and prints what the README shows."""
    monkeypatch.chdir(tmp_path)
    examples = [(c, s) for c, s in _examples() if not _is_slow(c)]
    assert len(examples) >= 20
    timings = {cmd: _run(cmd, shown, tmp_path, celestrak) for cmd, shown in examples}
    assert sum(timings.values()) < 60, sorted(timings.items(), key=lambda kv: -kv[1])[:5]


@pytest.mark.notebooks
def test_readme_slow_commands_run(tmp_path, monkeypatch, celestrak) -> None:
    """The README's slow commands (schedule, relay, network, pools, coverage, windows over 30 days,
    figures):
    marked ``notebooks``, so the quick suite skips them and CI runs them with
    ``python -m pytest -q -m notebooks --run-notebooks``. The quick commands whose files they
    read (the constellation TOMLs) run first."""
    monkeypatch.chdir(tmp_path)
    examples = _examples()
    slow = [(c, s) for c, s in examples if _is_slow(c)]
    assert slow
    needed = {tok for c, _ in slow for tok in shlex.split(c)}
    for cmd, shown in examples:
        argv = shlex.split(cmd)
        writes = {argv[i + 1] for i, a in enumerate(argv[:-1]) if a in WRITES}
        if not _is_slow(cmd) and writes & needed:
            _run(cmd, shown, tmp_path, celestrak)
    for cmd, shown in slow:
        _run(cmd, shown, tmp_path, celestrak)
    for image in ("micius.png", "gantt.png", "docs/images/fleets.png", "docs/images/zonal.png"):
        assert (tmp_path / image).read_bytes().startswith(b"\x89PNG"), image
    assert sum(1 for _ in (tmp_path / "year.ndjson").open()) > 100


def test_quick_start_main_job_runs_on_bundled_data() -> None:
    """The Quick start's first command is `passplan tonight xinglong` (tonight varies, so a
    fixed date here), on the bundled demo fleet."""
    first = _blocks("bash")[0][1][0]
    assert first.endswith("pip install -e . && passplan tonight xinglong")
    assert _blocks("bash")[1][1][0].endswith("pip install -e '.[test]' && python -m pytest -q")
    result = CliRunner().invoke(app, ["tonight", "xinglong", "--date", "2026-11-23", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "DEMO-SSO" in result.stdout


def test_package_import_does_not_load_matplotlib() -> None:
    import subprocess

    code = "import passplan, passplan.cli, sys; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
