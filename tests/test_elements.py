"""Element sets: TLE/OMM parsing and verification, nearest epoch, staleness, name resolution."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sgp4.io import compute_checksum

from passplan.elements import (
    Satellite,
    bundled_names,
    bundled_satellites,
    check_freshness,
    default_fleet,
    load_file,
    load_text,
    nearest_epoch,
    orbit_summary,
    resolve_satellites,
)
from passplan.errors import (
    ElementSetError,
    InputError,
    PassplanError,
    StaleElementsError,
    UnknownNameError,
)
from passplan.tle_formats import alpha5_to_int, int_to_alpha5

# The Micius element set of the 2016-12-19 Xinglong pass (shared/reference/README.md, section 1).
MICIUS_2016 = (
    "1 41731U 16051A   16354.56913372  .00000384  00000-0  18801-4 0  9991",
    "2 41731  97.3698 268.1064 0013349 175.8929 309.0190 15.23916091 19164",
)
PAIR_TLE = """QSS (MOZI)
1 41731U 16051A   23323.81452462  .00005966  00000+0  18728-3 0  9998
2 41731  97.3148 232.2901 0008748 257.1485 102.8781 15.33365941404418
LZWN (JINAN 1)
1 53300U 22087B   23323.83767558  .00010493  00000+0  34269-3 0  9995
2 53300  97.3528  36.8092 0012918  40.4181 319.8018 15.31858257 73290
"""
DATA = Path(__file__).resolve().parents[1] / "data" / "tle"
T_PAIR = datetime(2023, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_user_data(tmp_path_factory, monkeypatch):
    """Never read the developer's fetched element sets."""
    monkeypatch.setenv("PASSPLAN_DATA_DIR", str(tmp_path_factory.mktemp("userdata")))


def _pos(sat: Satellite, when: datetime) -> np.ndarray:
    jd = 2440587.5 + when.timestamp() / 86400.0
    e, r, _v = sat.satrec.sgp4(np.floor(jd - 0.5) + 0.5, jd - (np.floor(jd - 0.5) + 0.5))
    assert e == 0
    return np.array(r)


def _fix_checksum(line: str) -> str:
    return line[:68] + str(compute_checksum(line[:68]))


# ----------------------------------------------------------------------------- TLE


def test_micius_2016_set_epoch_and_orbit():
    sat = Satellite.from_tle(*MICIUS_2016, name="QSS (MOZI)")
    # day 354 of 2016 (a leap year) is 19 December; 0.56913372 d = 13:39:33.153
    assert sat.epoch == datetime(2016, 12, 19, 13, 39, 33, 153408, tzinfo=UTC)
    assert sat.norad_id == 41731
    o = orbit_summary(sat)
    assert o["inclination_deg"] == pytest.approx(97.3698)
    assert 480 < o["mean_altitude_km"] < 510  # Micius: about 500 km
    assert o["period_min"] == pytest.approx(1440 / 15.23916091, rel=2e-3)


def test_tle_matches_skyfield():
    """Positions agree with Skyfield's EarthSatellite (an independent wrapper of sgp4)."""
    from skyfield.api import EarthSatellite

    from passplan.times import timescale

    sat = Satellite.from_tle(*MICIUS_2016)
    ts = timescale()
    when = datetime(2016, 12, 19, 16, 52, 14, tzinfo=UTC)
    ref = EarthSatellite(*MICIUS_2016, ts=ts).at(ts.from_datetime(when)).position.km
    # Skyfield converts TEME to GCRS; compare the radius and the distance to the TEME vector.
    r = _pos(sat, when)
    assert np.linalg.norm(r) == pytest.approx(np.linalg.norm(ref), abs=1e-6)


def test_load_3le_2le_and_names(tmp_path):
    p = tmp_path / "pair.tle"
    p.write_text(PAIR_TLE)
    sats = load_file(p)
    assert [s.name for s in sats] == ["QSS (MOZI)", "LZWN (JINAN 1)"]
    two = tmp_path / "two.txt"
    two.write_text("\n".join(MICIUS_2016) + "\n")
    (sat,) = load_file(two)
    assert sat.name == "NORAD 41731" and sat.source == str(two)
    # Space-Track 3LE with a "0 " name prefix, CRLF line ends and blank lines
    three = tmp_path / "three.3le"
    three.write_bytes(("0 QSS (MOZI)\r\n" + "\r\n".join(MICIUS_2016) + "\r\n\r\n").encode())
    assert load_file(three)[0].name == "QSS (MOZI)"


@pytest.mark.parametrize(
    ("mutate", "lineno", "words"),
    [
        (lambda l1, l2: (l1[:30] + "9" + l1[31:], l2), 2, "checksum"),
        (lambda l1, l2: (l1, l2[:40] + "7" + l2[41:]), 3, "checksum"),
        (lambda l1, l2: (l1[:60], l2), 2, "69"),
        (lambda l1, l2: (l1, "3" + l2[1:]), 2, "line 2"),
        (lambda l1, l2: (l1, _fix_checksum(l2[:2] + "41732" + l2[7:])), 3, "41732"),
    ],
)
def test_bad_tle_names_file_and_line(tmp_path, mutate, lineno, words):
    l1, l2 = mutate(*MICIUS_2016)
    p = tmp_path / "bad.tle"
    p.write_text(f"QSS (MOZI)\n{l1}\n{l2}\n")
    with pytest.raises(ElementSetError) as err:
        load_file(p)
    msg = str(err.value)
    assert f"{p}:{lineno}" in msg and words in msg
    assert "\n" not in msg


def test_checksum_message_teaches(tmp_path):
    l1 = MICIUS_2016[0][:68] + "0"
    with pytest.raises(ElementSetError, match=r"fails its checksum.*fetch it again"):
        Satellite.from_tle(l1, MICIUS_2016[1])


@pytest.mark.parametrize(
    "text",
    [
        "QSS (MOZI)\n" + MICIUS_2016[0] + "\n",  # line 2 missing
        MICIUS_2016[1] + "\n",  # line 2 alone
        "QSS (MOZI)\nnot a tle line\n" + "\n".join(MICIUS_2016),
        "just a name\n",
        "",
    ],
)
def test_truncated_or_garbled_tle_files(tmp_path, text):
    p = tmp_path / "x.tle"
    p.write_text(text)
    with pytest.raises(ElementSetError, match=str(p)):
        load_file(p)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_file(tmp_path / "nope.tle")
    with pytest.raises(InputError, match="folder"):
        load_file(tmp_path)


@given(st.integers(min_value=0, max_value=339999))
def test_alpha5_roundtrip(n):
    assert alpha5_to_int(int_to_alpha5(n)) == n


def test_alpha5_known_values_and_limits():
    assert alpha5_to_int("A0000") == 100000
    assert alpha5_to_int("J0001") == 180001  # no I: J is 18
    assert alpha5_to_int("Z9999") == 339999
    with pytest.raises(ValueError, match="OMM"):
        int_to_alpha5(340000)
    with pytest.raises(ValueError):
        alpha5_to_int("I0001")


def test_alpha5_tle_loads():
    l1 = _fix_checksum(MICIUS_2016[0][:2] + "T0042" + MICIUS_2016[0][7:68])
    l2 = _fix_checksum(MICIUS_2016[1][:2] + "T0042" + MICIUS_2016[1][7:68])
    sat = Satellite.from_tle(l1, l2)
    assert sat.norad_id == 270042


# ----------------------------------------------------------------------------- OMM


def _pair_json() -> list[dict]:
    return json.loads((DATA / "qkd_pair_micius_jinan1_2023-11.omm.json").read_text())


def _omm_xml(records: list[dict]) -> str:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<ndm xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">']
    meta = ("OBJECT_NAME", "OBJECT_ID", "CENTER_NAME", "REF_FRAME", "TIME_SYSTEM", "MEAN_ELEMENT_THEORY")
    mean = ("EPOCH", "MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE",
            "ARG_OF_PERICENTER", "MEAN_ANOMALY")
    tle = ("EPHEMERIS_TYPE", "CLASSIFICATION_TYPE", "NORAD_CAT_ID", "ELEMENT_SET_NO",
           "REV_AT_EPOCH", "BSTAR", "MEAN_MOTION_DOT", "MEAN_MOTION_DDOT")

    def block(keys, r):
        return "".join(f"<{k}>{r[k]}</{k}>" for k in keys)

    for r in records:
        parts.append(
            '<omm id="CCSDS_OMM_VERS" version="2.0"><header><CREATION_DATE/><ORIGINATOR/></header>'
            f"<body><segment><metadata>{block(meta, r)}</metadata><data>"
            f"<meanElements>{block(mean, r)}</meanElements>"
            f"<tleParameters>{block(tle, r)}</tleParameters></data></segment></body></omm>"
        )
    parts.append("</ndm>\n")
    return "\n".join(parts)


def _omm_kvn(records: list[dict]) -> str:
    out = []
    for r in records:
        out.append("CCSDS_OMM_VERS = 2.0")
        out += [f"{k} = {v}" for k, v in r.items()]
    return "\n".join(out) + "\n"


def test_omm_json_csv_xml_kvn_agree_with_tle(tmp_path):
    """The same 2023-11-19 element sets as TLE, OMM JSON, CSV, XML and KVN give one orbit."""
    (tmp_path / "pair.tle").write_text(PAIR_TLE)
    (tmp_path / "pair.xml").write_text(_omm_xml(_pair_json()))
    (tmp_path / "pair.kvn").write_text(_omm_kvn(_pair_json()))
    ref = load_file(tmp_path / "pair.tle")
    for path in (
        DATA / "qkd_pair_micius_jinan1_2023-11.omm.json",
        DATA / "qkd_pair_micius_jinan1_2023-11.omm.csv",
        tmp_path / "pair.xml",
        tmp_path / "pair.kvn",
    ):
        sats = load_file(path)
        assert [s.norad_id for s in sats] == [41731, 53300]
        assert [s.name for s in sats] == ["QSS (MOZI)", "LZWN (JINAN 1)"]
        for a, b in zip(sats, ref, strict=True):
            assert abs((a.epoch - b.epoch).total_seconds()) < 1e-3
            for dt in (0.0, 0.5, 2.0):
                when = T_PAIR + timedelta(days=dt)
                assert np.linalg.norm(_pos(a, when) - _pos(b, when)) < 0.01  # km


def test_omm_epoch_without_fraction_and_big_catalogue_number():
    rec = dict(_pair_json()[0])
    rec["EPOCH"] = "2023-11-19T19:32:54"
    rec["NORAD_CAT_ID"] = 412345  # beyond alpha-5: only OMM can carry it
    sat = Satellite.from_omm(rec, source="test")
    assert sat.epoch == datetime(2023, 11, 19, 19, 32, 54, tzinfo=UTC)
    assert sat.norad_id == 412345
    rec["EPOCH"] = "2023-323T19:32:54.5Z"  # day-of-year form with Z
    assert Satellite.from_omm(rec).epoch == datetime(2023, 11, 19, 19, 32, 54, 500000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("EPOCH", "yesterday", "EPOCH"),
        ("MEAN_MOTION", "fast", "not a number"),
        ("ECCENTRICITY", 1.5, "ECCENTRICITY"),
        ("INCLINATION", 200, "INCLINATION"),
        ("MEAN_ELEMENT_THEORY", "SGP4-XP", "SGP4"),
        ("MEAN_MOTION", None, "missing"),
    ],
)
def test_bad_omm(key, value, words):
    rec = dict(_pair_json()[0])
    if value is None:
        del rec[key]
    else:
        rec[key] = value
    with pytest.raises(ElementSetError, match=words):
        Satellite.from_omm(rec, source="x.json")


def test_bad_omm_files_name_the_file(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text('[{"OBJECT_NAME": "X",\n "EPOCH": }]')
    with pytest.raises(ElementSetError, match=rf"{p}:2: invalid JSON"):
        load_file(p)
    p = tmp_path / "bad.xml"
    p.write_text("<ndm><omm><EPOCH>2023</omm></ndm>")
    with pytest.raises(ElementSetError, match="invalid XML"):
        load_file(p)
    recs = _pair_json()
    recs[1]["MEAN_MOTION"] = -1
    p = tmp_path / "neg.json"
    p.write_text(json.dumps(recs))
    with pytest.raises(ElementSetError, match=r"record 2.*MEAN_MOTION"):
        load_file(p)


# ----------------------------------------------------------------------------- epochs and age


def test_nearest_epoch_picks_per_satellite():
    sats = bundled_satellites("micius") + bundled_satellites("jinan-1")
    assert len(sats) == 9
    for when, want in [
        (datetime(2016, 12, 19, 16, 40, tzinfo=UTC), datetime(2016, 12, 19).date()),
        (datetime(2022, 1, 1, tzinfo=UTC), datetime(2022, 11, 2).date()),
        (datetime(2023, 11, 20, tzinfo=UTC), datetime(2023, 11, 19).date()),
        (datetime(2030, 1, 1, tzinfo=UTC), datetime(2025, 10, 3).date()),
    ]:
        picked = nearest_epoch(sats, when)
        assert [s.norad_id for s in picked] == [41731, 53300]
        assert picked[0].epoch.date() == want


def test_age_and_freshness_messages():
    sat = Satellite.from_tle(*MICIUS_2016, name="QSS (MOZI)")
    assert sat.age_days(sat.epoch + timedelta(days=2)) == pytest.approx(2.0)
    assert sat.age_days(sat.epoch - timedelta(days=1)) == pytest.approx(-1.0)
    assert check_freshness([sat], sat.epoch + timedelta(hours=3)) == []
    (w,) = check_freshness([sat], sat.epoch + timedelta(days=5))
    assert "5.0 days old" in w and "2016-12-19T13:39:33" in w
    with pytest.raises(StaleElementsError) as err:
        check_freshness([sat], sat.epoch + timedelta(days=31))
    msg = str(err.value)
    assert "31.0 days" in msg and "2016-12-19T13:39:33" in msg
    assert "allow_stale=True" in msg and "passplan elements update" in msg
    with pytest.raises(StaleElementsError, match="in the future"):
        check_freshness([sat], sat.epoch - timedelta(days=40))
    (w,) = check_freshness([sat], sat.epoch + timedelta(days=400), allow_stale=True)
    assert "400.0 days" in w


def test_naive_datetimes_refused():
    sat = Satellite.from_tle(*MICIUS_2016)
    naive = datetime(2016, 12, 19, 16, 40)
    for call in (
        lambda: sat.age_days(naive),
        lambda: nearest_epoch([sat], naive),
        lambda: check_freshness([sat], naive),
        lambda: resolve_satellites(["micius"], naive),
        lambda: default_fleet(naive),
    ):
        with pytest.raises(InputError, match="no time zone"):
            call()


# ----------------------------------------------------------------------------- names


def test_replay_micius_2016_pass():
    """An old element set is fine for replaying its own epoch: age counts from the analysis time."""
    sel = resolve_satellites(["micius"], datetime(2016, 12, 19, 16, 40, tzinfo=UTC))
    (sat,) = sel.satellites
    assert sat.name == "QSS (MOZI)" and sat.aliases[0] == "micius"
    assert sat.satrec.jdsatepoch + sat.satrec.jdsatepochF == pytest.approx(2457742.06913372, abs=1e-8)
    assert sel.warnings == []


@pytest.mark.parametrize("spec", ["micius", "MICIUS", "QSS (MOZI)", "41731", "mozi", "quess"])
def test_names_of_micius(spec):
    (sat,) = resolve_satellites([spec], T_PAIR).satellites
    assert sat.norad_id == 41731 and sat.epoch.date() == datetime(2023, 11, 19).date()


def test_groups_and_lists():
    at = datetime(2026, 3, 20, tzinfo=UTC)
    sel = resolve_satellites(["gps", "galileo,beidou"], at)
    assert len(sel.satellites) == 3 + 2 + 5
    assert all(s.norad_id for s in sel.satellites)
    sel = resolve_satellites(["iss", "25544", "iss"], at)
    assert len(sel.satellites) == 1 and sel.satellites[0].name == "ISS (ZARYA)"
    geo = resolve_satellites(["geo"], datetime(2026, 6, 1, tzinfo=UTC)).satellites
    assert any("BEIDOU-3 G" in s.name for s in geo)
    for s in geo:
        assert orbit_summary(s)["period_min"] == pytest.approx(1436.1, abs=2)


def test_jinan1_gets_its_canonical_name_in_old_sets():
    sel = resolve_satellites(["jinan-1"], datetime(2022, 11, 3, tzinfo=UTC))
    (sat,) = sel.satellites
    assert sat.name == "LZWN (JINAN 1)" and sat.epoch.date().isoformat() == "2022-11-02"


def test_unknown_name_suggests():
    with pytest.raises(UnknownNameError, match=r"unknown satellite 'micus'.*'micius'"):
        resolve_satellites(["micus"], T_PAIR)
    with pytest.raises(UnknownNameError, match="jinan-1"):
        resolve_satellites(["jinan"], T_PAIR)
    with pytest.raises(InputError, match="does not exist"):
        resolve_satellites(["missing/file.tle"], T_PAIR)


def test_stale_refused_unless_allowed():
    at = datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(StaleElementsError, match="allow_stale=True"):
        resolve_satellites(["micius"], at)
    sel = resolve_satellites(["micius"], at, allow_stale=True)
    assert sel.satellites[0].epoch.year == 2025 and "(allow_stale)" in sel.warnings[0]


def test_file_and_constellation_specs(tmp_path):
    p = tmp_path / "pair.tle"
    p.write_text(PAIR_TLE)
    sel = resolve_satellites([str(p)], T_PAIR)
    assert [s.source for s in sel.satellites] == [str(p)] * 2
    c = tmp_path / "one.toml"
    c.write_text('[[satellite]]\nname = "X-1"\naltitude_km = 600\ninclination_deg = 45\n')
    (sat,) = resolve_satellites([str(c)], T_PAIR).satellites
    assert sat.designed and sat.epoch == T_PAIR and sat.norad_id is None


def test_demo_names():
    at = datetime(2031, 5, 5, 12, tzinfo=UTC)
    sats = resolve_satellites(["demo"], at).satellites
    assert [s.name for s in sats] == [f"DEMO-SSO-{i}" for i in range(1, 7)] + [
        "DEMO-MEO-1",
        "DEMO-GEO-105E",
    ]
    assert all(s.designed and s.epoch == at and s.source == "bundled:demo" for s in sats)
    (geo,) = resolve_satellites(["demo-geo"], at).satellites
    assert geo.name == "DEMO-GEO-105E"
    (one,) = resolve_satellites(["demo-sso-3"], at).satellites
    assert one.name == "DEMO-SSO-3"


def test_default_fleet():
    at = datetime(2023, 11, 20, 12, tzinfo=UTC)
    sel = default_fleet(at)
    names = [s.name for s in sel.satellites]
    assert names[:2] == ["QSS (MOZI)", "LZWN (JINAN 1)"]
    assert "DEMO-GEO-105E" in names and len(names) == 2 + 8
    assert any(s.startswith("ISS (ZARYA) (25544)") and "days" in s for s in sel.skipped)
    late = default_fleet(datetime(2040, 1, 1, tzinfo=UTC))
    assert [s.name for s in late.satellites][0] == "DEMO-SSO-1"
    assert len(late.skipped) == len({s.key for s in bundled_satellites()})


def test_bundled_names():
    names = bundled_names()
    for n in ("micius", "jinan-1", "iss", "gps", "beidou", "galileo", "geo", "demo", "gnss"):
        assert n in names


def test_load_text_and_errors_are_passplan_errors():
    assert len(load_text(PAIR_TLE)) == 2
    with pytest.raises(PassplanError):
        load_text("1 garbage", "s")


# ----------------------------------------------------------------------------- bundled data


def test_bundled_data_small_verified_and_documented():
    from sgp4.io import verify_checksum

    from passplan.elements import bundled_tle_dir

    root = bundled_tle_dir()
    files = [p for p in root.iterdir() if p.suffix in (".tle", ".json", ".csv")]
    assert sum(p.stat().st_size for p in root.iterdir() if p.is_file()) < 200_000
    readme = (root / "README.md").read_text()
    for p in files:
        assert p.name in readme, f"{p.name} lacks provenance in data/tle/README.md"
        if p.suffix == ".tle":
            lines = p.read_text().splitlines()
            for line in lines:
                if line[:2] in ("1 ", "2 "):
                    verify_checksum(line)
    assert len(bundled_satellites()) == 30  # 6 + 3 + 2 (OMM) + 1 + 3 + 2 + 5 + 8


@given(st.lists(st.floats(min_value=-400.0, max_value=400.0), min_size=1, max_size=8),
       st.floats(min_value=-30.0, max_value=30.0))
def test_nearest_epoch_property(offsets, at_offset):
    base = Satellite.from_tle(*MICIUS_2016)
    from dataclasses import replace

    sats = [replace(base, epoch=base.epoch + timedelta(days=d)) for d in offsets]
    at = base.epoch + timedelta(days=at_offset)
    (best,) = nearest_epoch(sats, at)
    assert abs(best.age_days(at)) == pytest.approx(min(abs(s.age_days(at)) for s in sats))


# ----------------------------------------------------------------------------- hostile files (issue 12)

ISS_2026 = (DATA / "iss_2026-03.tle").read_text().splitlines()[:3]


@pytest.mark.parametrize(
    ("line", "cols", "text", "words"),
    [
        (2, (8, 16), "200.0000", "inclination is 200"),
        (2, (17, 25), "361.0000", "right ascension of the ascending node is 361"),
        (2, (52, 63), "25.00000000", "mean motion is 25"),
        (1, (20, 32), "399.50000000", "epoch day 399.5 is outside"),
        (1, (20, 32), "000.50000000", "epoch day 0.5 is outside"),
    ],
)
def test_tle_fields_out_of_range_refused_with_file_and_line(tmp_path, line, cols, text, words):
    """The fields take the ranges of CelesTrak's TLE format description; a valid checksum does
    not make a value legal."""
    lines = list(ISS_2026)
    a, b = cols
    lines[line] = _fix_checksum(lines[line][:a] + text + lines[line][b:])
    p = tmp_path / "bad.tle"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(ElementSetError, match=words) as err:
        load_file(p)
    assert f"bad.tle:{line + 1}" in str(err.value)


def test_leap_year_day_366_accepted():
    lines = list(ISS_2026)
    lines[1] = _fix_checksum(lines[1][:18] + "24366.50000000" + lines[1][32:])  # 2024 is a leap year
    (sat,) = load_text("\n".join(lines), "leap.tle")
    assert sat.epoch == datetime(2024, 12, 31, 12, tzinfo=UTC)


def test_latin1_name_line_read_with_a_warning(tmp_path):
    p = tmp_path / "latin1.tle"
    p.write_bytes("ISS ZÄRYA\n".encode("latin-1") + "\n".join(ISS_2026[1:]).encode() + b"\n")
    notes: list[str] = []
    (sat,) = load_file(p, warnings=notes)
    assert sat.name == "ISS ZÄRYA" and sat.norad_id == 25544
    (note,) = notes
    assert "latin1.tle:1" in note and "Latin-1" in note
    # element lines stay strict: a stray byte there is an error naming the line
    bad = tmp_path / "bad.tle"
    bad.write_bytes(b"ISS\n" + ISS_2026[1].encode()[:60] + b"\xe9" + ISS_2026[1].encode()[61:] + b"\n"
                    + ISS_2026[2].encode() + b"\n")
    with pytest.raises(ElementSetError, match="bad.tle:2"):
        load_file(bad)


def test_binary_file_named(tmp_path):
    p = tmp_path / "image.tle"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)))
    with pytest.raises(ElementSetError, match="image.tle: a binary file"):
        load_file(p)


def test_omm_json_list_of_numbers_is_called_json(tmp_path):
    p = tmp_path / "numbers.json"
    p.write_text("[1, 2, 3]\n")
    with pytest.raises(ElementSetError) as err:
        load_file(p)
    msg = str(err.value)
    assert "TOML" not in msg and "OMM JSON" in msg and "numbers.json" in msg


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("OBJECT_NAME;NORAD_CAT_ID;EPOCH\nX;1;2026-01-01T00:00:00\n", "separated by ';', not commas"),
        ("OBJECT_NAME\tNORAD_CAT_ID\tEPOCH\nX\t1\t2026-01-01T00:00:00\n", "separated by tabs"),
        ("OBJECT_NAME,NORAD_CAT_ID,EPOCH,MEAN_MOTION\nX,1,2026-01-01T00:00:00\n", "short.csv:2: the row has 3 values"),
    ],
)
def test_omm_csv_delimiter_and_short_rows_named(tmp_path, text, words):
    p = tmp_path / "short.csv"
    p.write_text(text)
    with pytest.raises(ElementSetError, match=words) as err:
        load_file(p)
    assert "EPOCH is missing" not in str(err.value)


def test_sats_folder_says_folder(tmp_path):
    (tmp_path / "a.tle").write_text("\n".join(ISS_2026) + "\n")
    with pytest.raises(InputError) as err:
        resolve_satellites([str(tmp_path)], datetime(2026, 3, 20, tzinfo=UTC))
    msg = str(err.value)
    assert "is a folder" in msg and "does not exist" not in msg and "a.tle" in msg


@pytest.mark.parametrize(
    ("group", "kind", "words"),
    [
        ("iss", "LEO", "about 1-3 km per day"),
        ("gps", "MEO", "MEO orbit"),
        ("geo", "GEO", "geosynchronous orbit"),
    ],
)
def test_stale_advice_fits_the_orbit(group, kind, words):
    from passplan.elements import orbit_class

    sat = bundled_satellites(group)[0]
    assert orbit_class(sat) == kind
    (w,) = check_freshness([sat], sat.epoch + timedelta(days=5))
    assert words in w
    if kind != "LEO":
        assert "LEO" not in w and "km per day" not in w
