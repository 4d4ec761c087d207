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
    # the 2017 curve (29.75 dB at 645 km) was measured at night; with the Sun up the daytime
    # turbulence profile adds several dB (about 7 here), never removes any
    assert 29.75 < out["total_loss_db"] - out["detector_db"] < 29.75 + 10.0
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
        (["-p", "micius", "-e", "30", "--range-km", "-5"], r"--range-km -5 is outside \(0, 500000\]"),
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


# ---------------------------------------------------------------------------------------------
# Outputs, plot formats and suspicious geometry (issue 12)


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "json"])
def test_link_formats_and_output(tmp_path: Path, fmt: str) -> None:
    ref = json.loads(runner.invoke(app, ["link", "-p", "micius", "-e", "45", "--format", "json"]).stdout)
    out = tmp_path / f"link.{fmt}"
    res = runner.invoke(app, ["link", "-p", "micius", "-e", "45", "--format", fmt, "--output", str(out)])
    assert res.exit_code == 0, res.output
    assert res.stdout == ""
    text = out.read_text()
    if fmt == "csv":
        import csv

        (row,) = list(csv.DictReader(text.splitlines()))
        assert float(row["total_loss_db"]) == pytest.approx(ref["total_loss_db"], rel=1e-5)
        assert list(row) == list(ref)
    else:
        recs = json.loads(text) if fmt == "json" else [json.loads(x) for x in text.splitlines()]
        assert (recs if isinstance(recs, list) else [recs]) == [ref]


def test_link_list_csv() -> None:
    res = runner.invoke(app, ["link", "--list", "--format", "csv"])
    assert res.exit_code == 0
    assert res.stdout.splitlines()[0].startswith("profile,direction,wavelength_nm")
    assert len(res.stdout.splitlines()) == len(list_profiles()) + 1


@pytest.mark.parametrize("suffix", [".gif", ".jpg", ""])
def test_plot_suffix_refused_before_any_work(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"loss{suffix}"
    res = runner.invoke(app, ["link", "-p", "no-such-profile", "--plot", str(target)])
    assert res.exit_code == 2
    assert "names no image format" in res.stderr  # the suffix, not the unknown profile
    assert not target.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", [".svg", ".pdf"])
def test_plot_svg_pdf_written(tmp_path: Path, suffix: str) -> None:
    """The suffix names the format: the file holds that format."""
    target = tmp_path / f"loss{suffix}"
    res = runner.invoke(app, ["link", "-p", "micius", "--plot", str(target)])
    assert res.exit_code == 0, res.stderr
    head = target.read_bytes()[:2000]
    assert (b"<svg" in head) if suffix == ".svg" else head.startswith(b"%PDF")


def test_range_inconsistent_with_elevation_refused() -> None:
    """At 45 deg a satellite at 150 km (the lowest orbit) is 209 km away (spherical Earth, law of
    cosines: sqrt((R+h)^2 - R^2 cos^2 e) - R sin e with R = 6371 km + 893 m)."""
    import math

    r = 6371.0 + 0.893
    expected = math.sqrt((6371.0 + 150.0) ** 2 - (r * math.cos(math.radians(45))) ** 2) - r * math.sin(math.radians(45))
    assert expected == pytest.approx(208.6, abs=0.1)
    res = runner.invoke(app, ["link", "-p", "micius", "-e", "45", "--range-km", "1"])
    assert res.exit_code == 2 and "209 km" in res.stderr and "150 km" in res.stderr
    assert runner.invoke(app, ["link", "-p", "micius", "-e", "45", "--range-km", "210"]).exit_code == 0
    # at the zenith the lowest orbit is 150 km minus the site's altitude away
    assert runner.invoke(app, ["link", "-p", "micius", "-e", "90", "--range-km", "148"]).exit_code == 2
    assert runner.invoke(app, ["link", "-p", "micius", "-e", "90", "--range-km", "1e9"]).exit_code == 2


def test_sun_in_the_line_of_sight_warned() -> None:
    res = runner.invoke(app, ["link", "-p", "micius", "-e", "45", "--sun-elevation-deg", "45",
                              "--sun-separation-deg", "0", "--format", "json"])
    assert res.exit_code == 0
    assert "passplan: warning:" in res.stderr and "on the Sun" in res.stderr
    res = runner.invoke(app, ["link", "-p", "micius", "-e", "45", "--format", "json"])
    assert "warning" not in res.stderr
