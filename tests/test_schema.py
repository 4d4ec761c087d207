"""One schema per input file kind (issue 17): the README table is the schema, the loaders refuse
what it refuses, every kind survives empty, binary, BOM, CRLF, NaN and duplicate-id files, and
the inputs main accepted wrongly (or refused wrongly) are fixed."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from passplan import schema
from passplan.errors import ConfigError, InputError, PassplanError

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "passplan" / "data"
AT = datetime(2026, 12, 2, tzinfo=UTC)


def test_readme_table_is_the_schema() -> None:
    table = schema.markdown_table()
    assert table in (ROOT / "README.md").read_text()
    # every key of every kind is a row, with its range
    rows = table.splitlines()[2:]
    assert len(rows) == sum(max(len(t.keys), 1) for s in schema.SCHEMAS.values() for t in s.tables)
    assert "| network: [fibre_model] | `alpha_db_km` | number | (0, 1] | dB/km |" in table
    assert "| network: [fibre_model] | `eta_bob` | number | (0, 1] |" in table


def test_ranges_are_stated_once() -> None:
    """The loaders read their ranges from the schema, not from copies."""
    from passplan.keyrate import protocol, series
    from passplan.link.profile_schema import _SPEC

    assert _SPEC["terminal"]["optics_efficiency"] == ("num", 0.0, 1.0, True)
    assert _SPEC["detector"]["count"][0] == "int"
    assert protocol.MAX_MEAN_PHOTON_NUMBER == schema.PROTOCOL.tables[0].key("intensities").hi == 10
    assert protocol.BOUNDS == schema.PROTOCOL.tables[0].key("bounds").choices
    assert series.REQUIRED == ("t_s", "eta")


@pytest.mark.parametrize(
    "key, good, bad",
    [
        (schema.NETWORK.table("[fibre_model]").key("alpha_db_km"), [0.2, 1.0], [0.0, -0.2, 1.5, math.inf, math.nan, True, "0.2"]),
        (schema.NETWORK.table("[fibre_model]").key("eta_bob"), [0.045, 1.0], [0.0, 5.0, -1.0]),
        (schema.NETWORK.table("[[links]]").key("rate_bps"), [1.0, 1e9], [0.0, -1.0, 1e308, math.inf]),
        (schema.STATIONS.tables[0].key("min_elevation_deg"), [-5.0, 89.9], [90.0, -6.0]),
        (schema.STATIONS.tables[0].key("clear_sky"), [0.5, [0.5] * 12], [1.5, [0.5] * 11, [], "x"]),
        (schema.STATIONS.tables[0].key("twilight"), ["civil", -12, "-9"], ["dusk", 20, None]),
        (schema.STATIONS.tables[0].key("horizon_mask"), [[[0, 5], [180, 10]]], [[[0, 95]], [[400, 5]], [[0, 5], [360, 6]], []]),
        (schema.STATIONS.tables[0].key("name"), ["Xinglong"], ["bad\nname", "esc\x1b[31m", 3]),
        (schema.STATIONS.tables[0].key("timezone"), ["Asia/Shanghai"], ["Mars/Olympus", 8]),
        (schema.PROTOCOL.tables[0].key("intensities"), [[0.8, 0.1, 0.0]], [[80, 0.1, 0.0], [0.8], [0.8, math.nan]]),
        (schema.CONSTELLATION.table("[[walker]]").key("planes"), [1, 24], [0, 2.5, True]),
        (schema.CONSTELLATION.table("[[satellite]]").key("ltan_h"), [22.5, "22:30"], ["25:00", 24, "noon"]),
    ],
)
def test_key_ranges(key: schema.Key, good: list, bad: list) -> None:
    for v in good:
        assert key.problem(v) is None, (key.name, v)
    for v in bad:
        assert key.problem(v) is not None, (key.name, v)
        msg = schema.key_problem(key, v)
        assert msg is not None and msg.startswith(f"{key.name} = ") and "expected" in msg


# ---------------------------------------------------------------------------------------------
# every kind: empty, binary, BOM, CRLF, NaN, duplicates

GOOD = {
    "stations": "[stations.lab]\nlat_deg = 40\nlon_deg = 117\nalt_m = 900\nname = \"Lab\"\n",
    "network": "[network]\nname = \"n\"\n[nodes.a]\n[nodes.b]\n[[links]]\na = \"a\"\nb = \"b\"\nlength_km = 50\n",
    "protocol": "pulses_per_s = 1e8\np_x = 0.8\n",
    "constellation": "[[walker]]\nname = \"W\"\naltitude_km = 550\ninclination_deg = 53\nplanes = 2\nper_plane = 2\n",
    "series": "t_s,eta\n0,1e-4\n1,2e-4\n2,1e-4\n",
    "profile": (DATA / "profiles" / "micius.toml").read_text(),
}
SUFFIX = {"series": ".csv"}


def _load(kind: str, path: Path) -> object:
    if kind == "stations":
        from passplan.stations import load_stations

        return load_stations([path])
    if kind == "network":
        from passplan.schedule.network import load_network

        return load_network(path)
    if kind == "protocol":
        from passplan.keyrate.protocol import Protocol

        return Protocol.from_toml(path)
    if kind == "constellation":
        from passplan.designed import load_constellation

        return load_constellation(path, AT)
    if kind == "series":
        from passplan.keyrate.series import read_series

        return read_series(path)
    from passplan.link.profiles import read_profile

    return read_profile(path)


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_every_kind_reads_bom_and_crlf_and_refuses_empty_and_binary(tmp_path: Path, kind: str) -> None:
    f = tmp_path / f"in{SUFFIX.get(kind, '.toml')}"
    f.write_bytes(b"\xef\xbb\xbf" + GOOD[kind].replace("\n", "\r\n").encode())
    _load(kind, f)  # a byte-order mark and CRLF line ends are fine
    assert schema.check_file(f) == [] and schema.check_file(f, kind) == []
    for content, words in [(b"", "empty"), (b"  \n\n", "empty"), (b"\x00\x01\x02\xff" * 50, "binary"),
                           (b"\xff\xfe\xfa" * 10, "UTF-8")]:
        f.write_bytes(content)
        with pytest.raises(PassplanError, match=words) as err:
            _load(kind, f)
        assert str(f) in str(err.value) and "\n" not in str(err.value)
        (problem,) = schema.check_file(f, kind)
        assert words in problem.message


@pytest.mark.parametrize(
    "kind, text, words",
    [
        ("stations", GOOD["stations"] + "[stations.LAB]\nlat_deg = 1\nlon_deg = 1\nalt_m = 1\n", "ids are case-insensitive"),
        ("stations", GOOD["stations"].replace("900", "nan"), "alt_m"),
        ("stations", GOOD["stations"].replace('"Lab"', '"Lab\\u001b[2J"'), "control characters"),
        ("stations", GOOD["stations"] + "telescopes = 1e6\n", "telescopes"),
        ("network", GOOD["network"].replace("50", "inf"), "length_km = inf"),
        ("protocol", "p_x = nan\n", "p_x"),
        ("protocol", "pulses_per_s = 1e300\n", "pulses_per_s"),
        ("constellation", GOOD["constellation"] + GOOD["constellation"], "used twice"),
        ("constellation", GOOD["constellation"].replace('"W"', '"W\\nX"'), "control characters"),
        ("constellation", GOOD["constellation"].replace("550", "nan"), "altitude"),
        ("constellation", '[[satellite]]\nname = "S"\naltitude_km = 550\ninclination_deg = 97\nbstar = 50\n', "bstar = 50"),
        ("series", "t_s,eta\n0,0.1\n1,inf\n", "'eta'"),
        ("series", "t_s,eta\n0,0.1\n0,0.2\n", "'t_s'"),
    ],
)
def test_wrong_values_refused_by_loader_and_doctor(tmp_path: Path, kind: str, text: str, words: str) -> None:
    f = tmp_path / f"in{SUFFIX.get(kind, '.toml')}"
    f.write_text(text)
    with pytest.raises(PassplanError, match=words) as err:
        _load(kind, f)
    assert str(f) in str(err.value)
    found = schema.check_file(f, kind)
    assert any(words.strip("'") in str(p) for p in found), found


def test_check_file_lists_every_problem_at_once(tmp_path: Path) -> None:
    f = tmp_path / "net.toml"
    f.write_text(
        '[network]\nnmae = "x"\n[nodes.a]\n[nodes.b]\n[[links]]\na = "a"\nb = "zz"\nrate_bps = 1e308\n'
        "length_km = 5\n[fibre_model]\nalpha_db_km = -0.2\neta_bob = 5\n[stations]\nxinglong = \"q\"\n"
    )
    found = [str(p) for p in schema.check_file(f)]
    assert len(found) == 7, found
    for words in ("unknown key 'nmae'; did you mean 'name'?", "alpha_db_km = -0.2", "eta_bob = 5",
                  "rate_bps = 1e+308", "give only one of rate_bps, length_km", "b = 'zz' is not a node",
                  "xinglong = 'q'"):
        assert any(words in line for line in found), (words, found)
    assert all(line.startswith(f"{f}: ") for line in found)


def test_detect_kind_and_unknown_kind(tmp_path: Path) -> None:
    for name, kind in [("stations.toml", "stations"), ("networks/china-integrated.toml", "network"),
                       ("profiles/micius.toml", "profile"), ("protocols/micius.toml", "protocol"),
                       ("fleet/demo.toml", "constellation")]:
        assert schema.check_file(DATA / name) == [], name
        assert schema.detect_kind(schema.parse_toml((DATA / name).read_text(), name)) == kind
    f = tmp_path / "odd.toml"
    f.write_text("colour = 3\n")
    (p,) = schema.check_file(f)
    assert "cannot tell the file kind" in p.message
    with pytest.raises(PassplanError, match="unknown file kind 'netwrok'; did you mean 'network'"):
        schema.check_file(f, "netwrok")


def test_problem_lines_never_carry_control_characters() -> None:
    p = schema.Problem("f.toml", "[stations.a\x1b[2Jb]", "name = 'x': bad\x07")
    assert schema.clean_text(str(p)) and "\\x1b[2J" in str(p)


# ---------------------------------------------------------------------------------------------
# key series: a byte-order mark accepted, milliseconds refused


def _pass(n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(float(n))
    return t, 1e-3 * np.sin(np.pi * (t + 0.5) / n) ** 2


def test_key_series_in_milliseconds_refused(tmp_path: Path) -> None:
    from passplan.keyrate.series import read_series

    t, eta = _pass()
    f = tmp_path / "ms.csv"
    f.write_text("t_s,eta\n" + "".join(f"{a * 1000:.0f},{b:.6g}\n" for a, b in zip(t, eta, strict=True)))
    with pytest.raises(InputError, match=r"ms.csv: column 't_s' spans 4.62 days.*milliseconds; give seconds"):
        read_series(f)
    # the same pass in seconds, a long GEO window (never sets) and a multi-pass window are fine
    f.write_text("t_s,eta\n" + "".join(f"{a:.0f},{b:.6g}\n" for a, b in zip(t, eta, strict=True)))
    assert read_series(f).eta.size == 400
    f.write_text("t_s,eta\n" + "".join(f"{k * 1000},{1e-4}\n" for k in range(400)))
    assert read_series(f).eta.size == 400
    two = np.concatenate([eta, eta])
    f.write_text("t_s,eta\n" + "".join(f"{k * 300},{b:.6g}\n" for k, b in enumerate(two)))
    assert read_series(f).eta.size == 800


def test_key_command_reads_a_series_with_a_bom(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from passplan.cli import app

    t, eta = _pass(120)
    body = "t_s,eta\r\n" + "".join(f"{a:.0f},{b:.6g}\r\n" for a, b in zip(t, eta, strict=True))
    plain, bom = tmp_path / "plain.csv", tmp_path / "bom.csv"
    plain.write_text(body)
    bom.write_bytes(b"\xef\xbb\xbf" + body.encode())
    runs = [CliRunner().invoke(app, ["key", str(p), "--format", "json"]) for p in (plain, bom)]
    assert [r.exit_code for r in runs] == [0, 0], runs[1].output
    assert runs[0].stdout == runs[1].stdout


# ---------------------------------------------------------------------------------------------
# constellation names, fleet names, the data folder


def test_constellation_name_with_a_newline_refused_at_design_time(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from passplan.cli import app
    from passplan.designed import design_geo, design_walker

    for bad in ("two\nlines", "tab\there", "esc\x1b", " "):
        with pytest.raises(InputError, match="plain text"):
            design_walker(550, 53, 6, 3, name=bad)
    with pytest.raises(InputError, match="plain text"):
        design_geo([105.0], name="GEO\n")
    out = tmp_path / "w.toml"
    r = CliRunner().invoke(app, ["constellation", "walker", "--altitude-km", "550", "--notation", "53:6/3/1",
                                 "--name", "a\nb", "--output", str(out)])
    assert r.exit_code == 2 and "plain text" in r.output and not out.exists()
    assert design_walker(550, 53, 6, 3, name="Fine-1").satellites(AT)


def test_bare_fleet_names_are_not_shadowed_by_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from passplan.elements import resolve_satellites

    monkeypatch.chdir(tmp_path)
    (tmp_path / "demo").mkdir()
    (tmp_path / "iss").write_text("not an element set\n")
    names = [s.name for s in resolve_satellites(["demo"], AT).satellites]
    assert len(names) == 8 and "DEMO-GEO-105E" in names
    assert [s.norad_id for s in resolve_satellites(["iss"], AT, allow_stale=True).satellites] == [25544]
    with pytest.raises(InputError, match="is a folder"):
        resolve_satellites(["./demo"], AT)  # the explicit path is the folder


def test_data_dir_naming_a_file_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from passplan.elements import resolve_satellites, user_data_dir

    f = tmp_path / "tle.txt"
    f.write_text("x\n")
    monkeypatch.setenv("PASSPLAN_DATA_DIR", str(f))
    with pytest.raises(InputError, match=r"PASSPLAN_DATA_DIR=.*tle.txt names a file, not a folder"):
        user_data_dir()
    with pytest.raises(InputError, match="PASSPLAN_DATA_DIR"):
        resolve_satellites(["micius"], AT, allow_stale=True)
    monkeypatch.setenv("PASSPLAN_DATA_DIR", str(tmp_path / "new"))  # a folder to be made is fine
    assert user_data_dir() == tmp_path / "new"


def test_config_error_is_one_line_with_more_counted(tmp_path: Path) -> None:
    f = tmp_path / "net.toml"
    f.write_text('[network]\nnmae = 1\nsorce = 2\n[nodes.a]\n')
    from passplan.schedule.network import load_network

    with pytest.raises(ConfigError, match=r"unknown key 'nmae'.*\(and 1 more: `passplan doctor FILE` lists them\)"):
        load_network(f)


def test_profile_choices_are_the_link_models() -> None:
    from passplan.link.ao import AO_MODES
    from passplan.link.atmosphere import VISIBILITY_CLASSES_KM
    from passplan.link.background import SKY_CLASSES
    from passplan.link.beam import DIVERGENCE_CONVENTIONS
    from passplan.link.profiles import COUPLINGS, DIRECTIONS, FOV_CONVENTIONS

    term = schema.PROFILE.table("[receiver]")
    site = schema.PROFILE.table("[site]")
    assert term.key("correction").choices == tuple(AO_MODES)
    assert term.key("coupling").choices == COUPLINGS and term.key("fov_convention").choices == FOV_CONVENTIONS
    assert set(term.key("divergence_convention").choices) == set(DIVERGENCE_CONVENTIONS)
    assert set(site.key("sky").choices) == set(SKY_CLASSES)
    assert set(site.key("visibility").choices) == set(VISIBILITY_CLASSES_KM)
    assert schema.PROFILE.tables[0].key("direction").choices == DIRECTIONS


def test_protocol_defaults_used_by_the_doctor_are_the_protocols() -> None:
    from passplan.keyrate.protocol import Protocol

    two, one = Protocol(), Protocol.from_mapping({"decoys": 1})
    assert (list(two.intensities), list(two.probabilities)) == ([0.8, 0.1, 0.0], [0.5, 0.25, 0.25])
    assert (list(one.intensities), list(one.probabilities)) == ([0.5, 0.1], [0.7, 0.3])


@pytest.mark.parametrize(
    "kind, text, words",
    [
        ("protocol", "intensities = [0.1, 0.8, 0.0]\n", "signal > decoy + vacuum"),
        ("protocol", "decoys = 1\nintensities = [0.8, 0.1, 0.0]\n", "2 mean photon numbers"),
        ("protocol", "probabilities = [0.5, 0.3, 0.3]\n", "summing to 1"),
        ("profile", GOOD["profile"].replace("fov_convention", "#fov_convention"), "fov_urad needs fov_convention"),
        ("profile", GOOD["profile"].replace('direction = "downlink"', 'direction = "downlnk"'), "did you mean 'downlink'"),
        ("profile", GOOD["profile"].replace("intrinsic_qber = 0.011", "intrinsic_qber = 0.7"), "[source] intrinsic_qber = 0.7"),
        ("stations", GOOD["stations"] + 'receiver = "micius-2O21"\n', "unknown link profile 'micius-2O21'"),
        ("constellation", GOOD["constellation"].replace("planes = 2", "planes = 2\nphasing = 2"), "phasing F = 2"),
        ("constellation", GOOD["constellation"] + 'profile = "geo-generc"\n', "did you mean 'geo-generic'"),
        ("constellation", '[[satellite]]\nname = "S"\naltitude_km = 550\n', "inclination_deg is missing"),
        ("constellation", '[[satellite]]\nname = "S"\nperigee_altitude_km = 900\napogee_altitude_km = 500\n'
                          "inclination_deg = 63.4\n", "is above apogee_altitude_km"),
    ],
)
def test_doctor_rules_match_the_loaders(tmp_path: Path, kind: str, text: str, words: str) -> None:
    """The cross-key rules the loaders apply are listed by the doctor too, before any loading."""
    f = tmp_path / f"in{SUFFIX.get(kind, '.toml')}"
    f.write_text(text)
    with pytest.raises(PassplanError):
        _load(kind, f)
    found = schema.check_file(f, kind)
    assert any(words in str(p) for p in found), found


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_truncated_files_give_clean_errors(tmp_path: Path, kind: str) -> None:
    """Every prefix of a valid file (a copy cut short) loads or gives a passplan error, never a
    crash; the doctor never raises."""
    f = tmp_path / f"in{SUFFIX.get(kind, '.toml')}"
    text = GOOD[kind]
    for cut in sorted({*range(0, len(text), max(1, len(text) // 25)), len(text) - 1}):
        f.write_text(text[:cut])
        try:
            _load(kind, f)
        except PassplanError as err:
            assert "\n" not in str(err)
        for p in schema.check_file(f):
            assert isinstance(p, schema.Problem)


def test_huge_input_files_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from passplan.keyrate import series

    limit = (DATA / "stations.toml").stat().st_size + 100  # the bundled file still reads
    monkeypatch.setattr(schema, "MAX_FILE_BYTES", limit)
    monkeypatch.setattr(series, "MAX_FILE_BYTES", limit)
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * limit + "\n" + GOOD["stations"])
    from passplan.stations import load_stations

    with pytest.raises(ConfigError, match=r"big.toml: \d+ MB is far larger than any station TOML file"):
        load_stations([big])
    csv = tmp_path / "big.csv"
    csv.write_text(GOOD["series"] + "# " + "x" * limit + "\n")
    with pytest.raises(InputError, match="big.csv: .* far larger than a key series"):
        series.read_series(csv)
