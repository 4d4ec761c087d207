"""``passplan link``: every bundled profile, JSON keys, the plot, the list, bad input (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from passplan.cli import app
from passplan.link import list_profiles

runner = CliRunner()
KEYS = {
    "total_loss_db",
    "geometric_db",
    "pointing_db",
    "atmosphere_db",
    "turbulence_db",
    "receiver_db",
    "detector_db",
    "transmittance",
    "background_cps",
    "dark_cps",
    "background_prob_per_gate",
    "r0_m",
}


@pytest.mark.parametrize("name", list_profiles())
def test_every_profile_json_and_table(name: str) -> None:
    res = runner.invoke(
        app, ["link", "--profile", name, "--elevation-deg", "35", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert KEYS <= set(out)
    assert out["total_loss_db"] > out["total_loss_db"] - out["detector_db"] > 0
    res = runner.invoke(app, ["link", "-p", name, "-e", "35"])
    assert res.exit_code == 0 and "total_loss_db" in res.stdout


def test_station_range_and_sun() -> None:
    res = runner.invoke(
        app,
        [
            "link",
            "-p",
            "micius",
            "--station",
            "xinglong",
            "-e",
            "47.8",
            "--range-km",
            "645",
            "--sun-elevation-deg",
            "30",
            "--sun-separation-deg",
            "100",
            "--sky",
            "dark",
            "-f",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["site_alt_m"] == 893.0 and out["range_km"] == pytest.approx(645.0)
    assert abs(out["total_loss_db"] - out["detector_db"] - 29.75) < 2.0
    assert out["background_cps"] > 1e3


def test_default_range_from_orbit() -> None:
    res = runner.invoke(app, ["link", "-p", "micius", "-e", "90", "-f", "json"])
    assert json.loads(res.stdout)["range_km"] == pytest.approx(500.0 - 0.893, abs=1e-6)


@pytest.mark.parametrize("name", ["micius", "micius-uplink", "daylight-1550"])
def test_plot_writes_png(tmp_path: Path, name: str) -> None:
    f = tmp_path / f"{name}.png"
    res = runner.invoke(app, ["link", "-p", name, "--plot", str(f)])
    assert res.exit_code == 0, res.output
    assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(f.parent.glob("*.part"))


def test_list() -> None:
    res = runner.invoke(app, ["link", "--list"])
    assert res.exit_code == 0 and "micius-uplink" in res.stdout


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (["-p", "micus", "-e", "30"], "did you mean 'micius'"),
        (["-p", "micius", "-e", "0"], r"--elevation-deg 0 is outside \(0, 90\]"),
        (["-p", "micius", "-e", "95"], r"outside \(0, 90\]"),
        (["-p", "micius", "-e", "-3"], r"outside \(0, 90\]"),
        (["-p", "micius"], "--elevation-deg is required"),
        (["-e", "30"], "--profile is required"),
        (["-p", "micius", "-e", "30", "--range-km", "-5"], "positive distance"),
        (["-p", "micius", "-e", "30", "--sky", "suburban"], "unknown sky class"),
        (["-p", "micius", "-e", "30", "--station", "xinlong"], "did you mean 'xinglong'"),
        (["-p", "micius", "-e", "30", "--sun-separation-deg", "200"], "sun-separation-deg"),
        (["-p", "/nonexistent/x.toml", "-e", "30"], "file not found"),
    ],
)
def test_bad_input_exit_2(args: list[str], pattern: str) -> None:
    res = runner.invoke(app, ["link", *args])
    assert res.exit_code == 2, res.output
    assert pattern in res.stderr or __import__("re").search(pattern, res.stderr), res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_bad_profile_file_exit_2(tmp_path: Path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(
        'direction = "downlink"\nwavelength_nm = 850\n[orbit]\naltitude_km = 500\n'
        "[transmitter]\naperture_diameter_m = -0.3\n[receiver]\naperture_diameter_m = 1\n"
        "filter_nm = 1\nfov_urad = 20\nfov_convention = 'full'\n"
        "[detector]\nefficiency = 0.5\ngate_ns = 1\n"
    )
    res = runner.invoke(app, ["link", "-p", str(f), "-e", "30"])
    assert res.exit_code == 2
    assert "bad.toml: [transmitter] aperture_diameter_m = -0.3" in res.stderr
