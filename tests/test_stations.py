"""Stations: bundled file, user files merged over it, horizon masks and validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from passplan.errors import ConfigError, UnknownNameError
from passplan.stations import HorizonMask, get_station, load_stations, select_stations

REFERENCE_SITES = {  # ../shared/reference/README.md section 2
    "xinglong": (40.39586667, 117.5774583, 893),
    "nanshan": (43.47546111, 87.17668611, 2028),  # altitude: Yin et al., Nature 582, 501 (2020) (the reference says 2080)
    "delingha": (37.37900833, 97.72694722, 3153),
    "lijiang": (26.695, 100.030, 3193),
    "ngari": (32.326, 80.027, 5100),
    "graz": (47.067, 15.493, 493),
    "jinan": (36.67, 117.12, 50),
    "hefei": (31.82, 117.22, 30),
    "beijing": (40.00, 116.30, 50),
    "stellenbosch": (-33.93, 18.86, 120),
}


def test_bundled_sites_match_the_reference() -> None:
    st = load_stations()
    assert set(REFERENCE_SITES) <= set(st)
    for sid, (lat, lon, alt) in REFERENCE_SITES.items():
        assert (st[sid].lat_deg, st[sid].lon_deg, st[sid].alt_m) == (lat, lon, alt)
        assert st[sid].receiver and st[sid].timezone


def test_mask_interpolates_periodically_through_north() -> None:
    mask = HorizonMask.from_points([[350, 20], [10, 10], [180, 0]])
    # halfway between 350 (20 deg) and 10 (10 deg) through north
    assert mask.elevation_deg(0.0) == pytest.approx(15.0)
    assert mask.elevation_deg(360.0) == pytest.approx(15.0)
    assert mask.elevation_deg(95.0) == pytest.approx(5.0)
    # between 180 (0) and 350 (20): linear over 170 deg
    assert mask.elevation_deg(265.0) == pytest.approx(10.0)
    assert np.allclose(mask.elevation_deg([-10.0, 350.0]), 20.0)


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "mine.toml"
    p.write_text(text)
    return p


def test_user_file_merges_over_bundled_and_selects_its_own(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        """
[stations.xinglong]
min_elevation_deg = 20.0
horizon_mask = [[0, 5], [90, 30], [180, 5], [270, 5]]

[stations.mobile1]
lat_deg = 30.0
lon_deg = 110.0
alt_m = 400.0
kind = "portable"
""",
    )
    st = load_stations([p])
    assert st["xinglong"].min_elevation_deg == 20.0
    assert st["xinglong"].lat_deg == pytest.approx(40.39586667)
    assert st["xinglong"].min_elevation_at([90.0])[0] == 30.0
    assert st["mobile1"].kind == "portable"
    chosen = select_stations((), [p])
    assert [s.id for s in chosen] == ["xinglong", "mobile1"]


def test_select_stations_takes_one_id_string_or_refuses_clearly(tmp_path) -> None:
    """A single id string is one station (it once iterated the string: "unknown station 'x'")."""
    from passplan.errors import InputError, UnknownNameError

    (one,) = select_stations("xinglong")
    assert one.id == "xinglong"
    assert [s.id for s in select_stations(" Graz ")] == ["graz"]
    assert [s.id for s in select_stations(["xinglong", "graz"])] == ["xinglong", "graz"]
    with pytest.raises(UnknownNameError, match="'xinglongg'"):
        select_stations("xinglongg")
    with pytest.raises(InputError, match="ids holds 7, not a station id"):
        select_stations([7])  # type: ignore[list-item]
    p = tmp_path / "one.toml"
    p.write_text("[stations.lab]\nlat_deg = 40\nlon_deg = 117\nalt_m = 900\n")
    assert [s.id for s in select_stations((), str(p))] == ["lab"]  # one file as a string
    assert [s.id for s in select_stations("lab", p)] == ["lab"]  # one file as a path


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[stations.bad]\nlat_deg = 95\nlon_deg = 0\nalt_m = 0\n", "lat_deg 95"),
        ("[stations.bad]\nlat_deg = 10\nlon_deg = 0\n", "missing required key"),
        ("[stations.bad]\nlat_deg = 10\nlon_deg = 0\nalt_m = 0\nlatitude = 3\n", "did you mean"),
        ("[stations.bad]\nlat_deg = 10\nlon_deg = 0\nalt_m = 0\ntimezone = 'Mars/Olympus'\n", "time zone"),
        ("[stations.bad]\nlat_deg = 10\nlon_deg = 0\nalt_m = 0\nhorizon_mask = [[0, 95]]\n", "horizon_mask"),
        ("[stations.bad]\nlat_deg = 10\nlon_deg = = 0\n", "line 3"),
    ],
)
def test_bad_station_files_name_file_and_key(tmp_path: Path, text: str, match: str) -> None:
    p = _write(tmp_path, text)
    with pytest.raises((ConfigError, UnknownNameError), match=match) as err:
        load_stations([p])
    assert str(p) in str(err.value)


def test_unknown_station_suggests_nearest() -> None:
    with pytest.raises(UnknownNameError, match="xinglong"):
        get_station("xinlong")


def test_stations_list_csv_keeps_full_precision(tmp_path: Path) -> None:
    import csv

    from typer.testing import CliRunner

    from passplan.cli import app

    f = tmp_path / "mine.toml"
    f.write_text("[stations.precise]\nlat_deg = 40.395866671234\nlon_deg = -117.577458312345\nalt_m = 893.25\n")
    out = tmp_path / "stations.csv"
    res = CliRunner().invoke(app, ["stations", "list", "--stations", str(f), "--format", "csv", "--output", str(out)])
    assert res.exit_code == 0, res.output
    rows = {r["id"]: r for r in csv.DictReader(out.read_text().splitlines())}
    assert float(rows["precise"]["lat_deg"]) == 40.395866671234
    assert float(rows["precise"]["lon_deg"]) == -117.577458312345
    assert float(rows["precise"]["alt_m"]) == 893.25
    assert float(rows["xinglong"]["lat_deg"]) == load_stations()["xinglong"].lat_deg


def test_binary_station_file_names_the_file(tmp_path: Path) -> None:
    f = tmp_path / "stations.bin"
    f.write_bytes(bytes(range(128, 256)) * 3)
    with pytest.raises(ConfigError, match="stations.bin: not UTF-8 text"):
        load_stations([f])


# issue 17: one station resolution for every command and library function


def test_one_resolution_user_files_over_bundled_whatever_the_case(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from passplan.cli import app
    from passplan.errors import InputWarning

    p = _write(tmp_path, "[stations.XINGLONG]\nlat_deg = 10\nlon_deg = 20\nalt_m = 30\n")
    with pytest.warns(InputWarning, match=r"\[stations.XINGLONG\] is the bundled station 'xinglong'"):
        shown = get_station("xinglong", [p])
    with pytest.warns(InputWarning):
        (planned,) = select_stations("xinglong", [p])
    with pytest.warns(InputWarning):
        listed = load_stations([p])
    assert shown == planned == listed["XINGLONG"]
    assert (shown.lat_deg, shown.lon_deg, shown.alt_m) == (10.0, 20.0, 30.0)
    assert shown.receiver == "micius"  # merged over the bundled station's keys, as for an exact id
    assert "xinglong" not in listed and list(listed).index("XINGLONG") == 0  # one station, same place
    with pytest.warns(InputWarning):
        assert select_stations((), [p]) == [shown]
    runner = CliRunner()
    show = runner.invoke(app, ["stations", "show", "xinglong", "--stations", str(p), "--format", "json"])
    assert show.exit_code == 0 and '"lat_deg": 10.0' in show.stdout
    assert show.stderr.count("passplan: warning: ") == 1 and "case-insensitive" in show.stderr
    # an exact id overrides silently, as documented
    exact = _write(tmp_path, "[stations.xinglong]\nmin_elevation_deg = 20\n")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert get_station("XingLong", [exact]).min_elevation_deg == 20.0


def test_ids_differing_only_in_case_in_one_file_refused(tmp_path: Path) -> None:
    p = _write(tmp_path, "[stations.lab]\nlat_deg = 1\nlon_deg = 1\nalt_m = 1\n"
                         "[stations.LAB]\nlat_deg = 2\nlon_deg = 2\nalt_m = 2\n")
    with pytest.raises(ConfigError, match=r"mine.toml: \[stations.LAB\] and \[stations.lab\] are one station"):
        load_stations([p])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('name = "evil\\u001b[2J"\n', "control characters"),
        ('name = "two\\nlines"\n', "control characters"),
        ("telescopes = 5000\n", r"telescopes = 5000; give a whole number in \[1, 1000\]"),
        ("setup_s = 1e9\n", r"setup_s = 1000000000.0; give the seconds between two links"),
        ("clear_sky = nan\n", "clear_sky"),
        ("clear_sky_source = [1]\n", "clear_sky_source"),
    ],
)
def test_station_values_main_accepted_are_refused(tmp_path: Path, text: str, match: str) -> None:
    p = _write(tmp_path, "[stations.lab]\nlat_deg = 1\nlon_deg = 1\nalt_m = 1\n" + text)
    with pytest.raises(ConfigError, match=match) as err:
        load_stations([p])
    assert str(p) in str(err.value) and "\n" not in str(err.value)


def test_station_file_with_bom_and_crlf(tmp_path: Path) -> None:
    p = tmp_path / "bom.toml"
    p.write_bytes(b"\xef\xbb\xbf[stations.lab]\r\nlat_deg = 1\r\nlon_deg = 2\r\nalt_m = 3\r\n")
    assert load_stations([p])["lab"].lon_deg == 2.0
    p.write_bytes(b"")
    with pytest.raises(ConfigError, match="bom.toml: the file is empty"):
        load_stations([p])
