"""Docs that run: the README's library example executes, every command it shows has --help,
and the Quick start's main command works on bundled data."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from typer.testing import CliRunner

from passplan.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(lang: str) -> list[str]:
    """Fenced blocks of the README whose info string is ``lang`` ("" for plain fences)."""
    blocks, current, inside = [], [], None
    for line in README.read_text().splitlines():
        if line.startswith("```"):
            if inside is None:
                inside, current = line[3:].strip(), []
            else:
                if inside == lang:
                    blocks.append("\n".join(current) + "\n")
                inside = None
        elif inside is not None:
            current.append(line)
    return blocks


def test_readme_python_example_runs(capsys) -> None:
    code = _blocks("python")
    assert code, "README has a python example"
    for block in code:
        exec(compile(block, str(README), "exec"), {})
    out = capsys.readouterr().out
    assert "'station': 'xinglong'" in out and "QSS (MOZI)" in out


def test_every_readme_command_has_help() -> None:
    runner = CliRunner()
    commands = set()
    for block in _blocks("") + _blocks("bash"):
        for line in block.splitlines():
            m = re.search(r"passplan ((?:\w+)(?: (?:list|show|update))?)", line)
            if m:
                commands.add(m.group(1))
    assert {"tonight", "passes", "link", "key", "stations list", "elements update"} <= commands
    for cmd in sorted(commands):
        result = runner.invoke(app, [*cmd.split(), "--help"])
        assert result.exit_code == 0, (cmd, result.output)


def test_quick_start_main_job_runs_on_bundled_data() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["tonight", "xinglong", "--date", "2026-11-23", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "DEMO-SSO" in result.stdout


def test_package_import_does_not_load_matplotlib() -> None:
    import subprocess

    code = "import passplan, passplan.cli, sys; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
