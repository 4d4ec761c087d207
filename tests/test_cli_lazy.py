"""The console script builds only the module of the command it runs (passplan.cli.main): the map
from command to module must match the whole app, and a command built alone must be the same
command (its options, its help, its behaviour) as in the whole app."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from passplan.cli import _MODULES, COMMAND_MODULE, app, build_app


def _commands(built: typer.Typer) -> dict:
    return typer.main.get_command(built).commands  # type: ignore[attr-defined]


def test_every_command_maps_to_the_module_that_registers_it():
    whole = _commands(app)
    assert set(COMMAND_MODULE) == set(whole)
    assert set(COMMAND_MODULE.values()) == set(_MODULES)
    for module in _MODULES:
        alone = _commands(build_app([module]))
        assert set(alone) == {c for c, m in COMMAND_MODULE.items() if m == module}, module


@pytest.mark.parametrize("command", sorted(COMMAND_MODULE))
def test_a_command_built_alone_is_the_same_command(command):
    runner = CliRunner()
    alone = build_app([COMMAND_MODULE[command]])
    a = runner.invoke(alone, [command, "--help"], terminal_width=100)
    b = runner.invoke(app, [command, "--help"], terminal_width=100)
    assert a.exit_code == b.exit_code == 0
    assert a.output == b.output


def test_the_console_script_imports_only_the_command_it_runs():
    code = ("import sys\nsys.argv = ['passplan', 'link', '--profile', 'micius', '--elevation-deg', '45']\n"
            "from passplan.cli import main\ntry:\n    main()\nexcept SystemExit as e:\n    rc = e.code\n"
            "print(rc, sorted(m for m in sys.modules if m.startswith('passplan.cli.') and m.count('.') == 2))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    rc, mods = out.strip().splitlines()[-1].split(" ", 1)  # after the command's own table
    assert rc in ("0", "None"), out
    assert "passplan.cli.link" in mods
    for other in ("passplan.cli.doctor", "passplan.cli.network", "passplan.cli.fleet", "passplan.cli.passes"):
        assert other not in mods, out


@pytest.mark.parametrize("given", [None, "3"])
def test_the_console_script_runs_blas_on_one_thread_unless_told(given):
    """``main()`` sets each of BLAS_THREAD_VARIABLES to 1 before numpy loads, and keeps a value
    the caller set."""
    import os

    from passplan.cli import BLAS_THREAD_VARIABLES

    code = ("import os, sys\nsys.argv = ['passplan', 'link', '--profile', 'micius', '--elevation-deg', '45']\n"
            "from passplan.cli import main, BLAS_THREAD_VARIABLES\nassert 'numpy' not in sys.modules\ntry:\n"
            "    main()\nexcept SystemExit:\n    pass\n"
            "print(' '.join(os.environ[v] for v in BLAS_THREAD_VARIABLES))")
    env = {k: v for k, v in os.environ.items() if k not in BLAS_THREAD_VARIABLES}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    values = out.strip().splitlines()[-1].split()
    assert values == [given or "1", "1", "1"]
