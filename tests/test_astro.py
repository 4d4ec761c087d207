"""Astropy at the edge: Times and Quantities accepted (and converted, or refused with one
clear line), passes and forecasts as QTables with units, and never a download."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

u = pytest.importorskip("astropy.units")  # the `astro` extra, part of the `test` extra
from astropy.table import QTable  # noqa: E402
from astropy.time import Time  # noqa: E402
from astropy.utils import iers  # noqa: E402

import passplan  # noqa: E402
from passplan import Constraints, Satellite, find_passes, passes_to_records, select_stations  # noqa: E402
from passplan.astro import as_value, forecasts_table, passes_table, records_table  # noqa: E402
from passplan.errors import InputError  # noqa: E402
from passplan.times import as_datetime  # noqa: E402

MICIUS_2016 = (  # ../shared/reference/README.md section 1
    "1 41731U 16051A   16354.56913372  .00000384  00000-0  18801-4 0  9991",
    "2 41731  97.3698 268.1064 0013349 175.8929 309.0190 15.23916091 19164",
)
T0 = datetime(2016, 12, 19, 12, tzinfo=UTC)
T1 = T0 + timedelta(hours=24)


@pytest.fixture(scope="module")
def micius() -> Satellite:
    return Satellite.from_tle(*MICIUS_2016, name="MICIUS")


@pytest.fixture(scope="module")
def found(micius):
    return find_passes([micius], select_stations(["xinglong", "graz"]), T0, T1, Constraints(min_elevation_deg=10.0))


# ---- Time ------------------------------------------------------------------------------------


def test_time_accepted_gives_the_datetime_results(micius, found) -> None:
    stations = select_stations(["xinglong", "graz"])
    c = Constraints(min_elevation_deg=10.0)
    with_time = find_passes([micius], stations, Time(T0), Time("2016-12-20T12:00:00", scale="utc"), c)
    assert len(found) >= 3
    assert [p.to_dict() for p in with_time] == [p.to_dict() for p in found]
    # the same instant in another scale gives the same passes
    in_tt = Time(T0).tt
    assert in_tt.scale == "tt"
    assert [p.to_dict() for p in find_passes([micius], stations, in_tt, T1, c)] == [p.to_dict() for p in found]


@pytest.mark.parametrize(
    ("given", "utc"),
    [
        # TT - TAI = 32.184 s exactly; TAI - UTC = 36 s from 2015-07-01 and 37 s from 2017-01-01
        # (IERS Bulletin C 49 and 52)
        (Time("2016-12-19T12:01:08.184", scale="tt"), datetime(2016, 12, 19, 12, 0, 0, tzinfo=UTC)),
        (Time("2017-06-01T00:01:09.184", scale="tt"), datetime(2017, 6, 1, 0, 0, 0, tzinfo=UTC)),
        (Time("2017-06-01T00:00:37", scale="tai"), datetime(2017, 6, 1, 0, 0, 0, tzinfo=UTC)),
        (Time(1482148800.0, format="unix"), datetime(2016, 12, 19, 12, 0, 0, tzinfo=UTC)),
        (Time(57741.5, format="mjd", scale="utc"), datetime(2016, 12, 19, 12, 0, 0, tzinfo=UTC)),
    ],
)
def test_time_scales_convert_to_utc(given: Time, utc: datetime) -> None:
    got = as_datetime(given)
    assert got.tzinfo is UTC and abs((got - utc).total_seconds()) < 1e-5, got


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (Time(["2016-12-19T12:00:00", "2016-12-19T13:00:00"], scale="utc"), ["start", "shape (2,)", "t[0]"]),
        (Time("2016-12-31T23:59:60", scale="utc"), ["start", "leap second"]),
        (Time("2016-12-19T12:00:00", scale="local"), ["start", "(local)", "utc, tai or tt"]),
    ],
)
def test_times_that_cannot_be_one_utc_instant_are_refused(value: Time, words: list[str]) -> None:
    with pytest.raises(InputError) as err:
        find_passes([], [], value, T1)
    msg = str(err.value)
    assert "\n" not in msg and all(w in msg for w in words), msg


@pytest.fixture
def no_downloads(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """astropy's downloads recorded and failed, its IERS auto-download switched ON, and its
    once-per-process leap-second check reset: what a user's default configuration would do."""
    import astropy.time.core as time_core
    import astropy.utils.data as data

    calls: list[tuple] = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise OSError("passplan tests are offline")

    monkeypatch.setattr(data, "download_file", refuse)
    monkeypatch.setattr(iers.iers, "download_file", refuse)
    monkeypatch.setattr(iers.conf, "auto_download", True)
    monkeypatch.setattr(time_core, "_LEAP_SECONDS_CHECK", time_core._LeapSecondsCheck.NOT_STARTED)
    monkeypatch.setattr(iers.IERS_Auto, "iers_table", None)  # forget any table already opened
    return calls


def test_time_conversion_never_downloads(no_downloads: list[tuple]) -> None:
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tt = as_datetime(Time("2017-06-01T00:01:09.184", scale="tt"))  # runs the leap-second check
        # UT1 needs Earth-orientation data: the table bundled with astropy, no download
        ut1 = as_datetime(Time("2026-06-01T00:00:00", scale="ut1"))
        # past the table's measured values: its predictions, whatever their age
        predicted = as_datetime(Time("2027-03-01T00:00:00", scale="ut1"))
    assert tt == datetime(2017, 6, 1, tzinfo=UTC)
    # |UT1 - UTC| < 0.9 s: leap seconds keep it there (IERS)
    assert abs((ut1 - datetime(2026, 6, 1, tzinfo=UTC)).total_seconds()) < 0.9
    assert abs((predicted - datetime(2027, 3, 1, tzinfo=UTC)).total_seconds()) < 0.9
    assert no_downloads == []
    assert not [w for w in caught if "auto-update failed" in str(w.message)]
    # far beyond the bundled table: refused at once, still without the network
    with pytest.raises(InputError, match="beyond the Earth-orientation .IERS. table.*downloads nothing"):
        as_datetime(Time("2040-01-01T00:00:00", scale="ut1"), "start")
    assert no_downloads == []
    assert iers.conf.auto_download is True  # the caller's setting is left as it was


# ---- Quantities -------------------------------------------------------------------------------


def test_constraint_quantities_are_converted() -> None:
    c = Constraints(
        min_elevation_deg=30 * u.deg,
        min_sun_sep_deg=np.pi / 2 * u.rad,
        min_moon_sep_deg=20 * u.deg,
        max_range_km=1.2e6 * u.m,
        night=-12 * u.deg,
    )
    assert c == Constraints(min_elevation_deg=30.0, min_sun_sep_deg=90.0, min_moon_sep_deg=20.0, max_range_km=1200.0, darkness=-12.0)
    assert all(type(v) is float for v in (c.min_elevation_deg, c.min_sun_sep_deg, c.max_range_km, c.darkness))
    assert Constraints(min_el_deg=0.5 * u.deg) == Constraints(min_elevation_deg=0.5)
    assert as_value(1 * u.AU, "km", "x") == pytest.approx(149_597_870.7)  # IAU 2012 Resolution B2


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"min_elevation_deg": 30 * u.km}, ["min_elevation_deg", "wrong dimension", "length", "deg"]),
        ({"max_range_km": 10 * u.deg}, ["max_range_km", "wrong dimension", "angle", "km"]),
        ({"max_range_km": 1200 * u.one}, ["max_range_km", "wrong dimension", "dimensionless"]),
        ({"darkness": -12 * u.s}, ["darkness", "wrong dimension", "time"]),
        ({"min_sun_sep_deg": [10, 20] * u.deg}, ["min_sun_sep_deg", "shape (2,)"]),
        ({"min_elevation_deg": 95 * u.deg}, ["95.0 deg", "[-5, 90)"]),
    ],
)
def test_wrong_quantities_are_refused(kwargs: dict, words: list[str]) -> None:
    with pytest.raises(InputError) as err:
        Constraints(**kwargs)
    msg = str(err.value)
    assert "\n" not in msg and all(w in msg for w in words), msg


# ---- tables -----------------------------------------------------------------------------------


def test_pass_table_columns_units_and_values(found) -> None:
    table = found.to_table()
    records = passes_to_records(found)
    assert isinstance(table, QTable) and len(table) == len(found)
    assert table.colnames[:8] == ["uid", "satellite", "norad_id", "station", "aos", "tca", "los", "duration"]
    units = {"duration": u.s, "max_el": u.deg, "aos_az": u.deg, "tca_az": u.deg, "los_az": u.deg,
             "min_range": u.km, "elements_age": u.day}
    for name, unit in units.items():
        assert table[name].unit == unit, name
    for name in ("aos", "tca", "los", "rise", "set", "elements_epoch"):
        assert isinstance(table[name], Time) and table[name].scale == "utc", name
    from_records = passplan.passes_table(records)
    for i, (p, rec) in enumerate(zip(found, records, strict=True)):
        assert table["uid"][i] == rec["uid"] and table["norad_id"][i] == 41731
        # a Time column holds the pass's instant to the microsecond; from records, to their ms
        for name in ("aos", "tca", "los", "rise", "set", "elements_epoch"):
            assert table[name][i].to_datetime(timezone=UTC) == getattr(p, name), name
            assert from_records[name][i].isot + "Z" == rec[f"{name}_utc"], name
        assert table["max_el"][i].to_value(u.rad) == pytest.approx(np.radians(rec["max_el_deg"]))
        assert table["min_range"][i].to_value(u.m) == pytest.approx(rec["min_range_km"] * 1000.0)
        assert table["duration"][i] == rec["duration_s"] * u.s
        assert bool(table["station_dark"][i]) is rec["station_dark"]
    # the same table from a list of passes, a PassSearch or the records
    for other in (passes_table(list(found)), passes_table(found), from_records):
        assert other.colnames == table.colnames
        assert all(np.all(other[c] == table[c]) for c in ("uid", "max_el", "min_range"))
        assert np.all(np.abs((other["aos"] - table["aos"]).sec) < 1e-3)


def test_missing_values_are_masked_and_empty_is_empty() -> None:
    rec = {"uid": "x", "norad_id": None, "aos_utc": "2016-12-19T16:49:57.460Z", "elements_epoch_utc": None,
           "max_el_deg": 47.8, "elements_age_days": None, "excluded_by": None}
    other = {**rec, "norad_id": 41731, "elements_epoch_utc": "2016-12-19T13:39:32.225Z", "elements_age_days": 0.13,
             "excluded_by": "darkness"}
    t = records_table([rec, other])
    assert t["norad_id"].mask.tolist() == [True, False] and t["norad_id"][1] == 41731
    assert t["elements_epoch"].mask.tolist() == [True, False]
    assert np.isnan(t["elements_age"][0].value) and t["elements_age"][1] == 0.13 * u.day
    assert t["excluded_by"].mask.tolist() == [True, False] and t["excluded_by"][1] == "darkness"
    assert len(passes_table([])) == 0 and len(passplan.forecasts_table([])) == 0
    with pytest.raises(InputError, match="cannot tabulate a int"):
        passes_table([1])


def test_forecast_table_units(micius) -> None:
    ps = find_passes([micius], select_stations(["xinglong"]), T0, T0 + timedelta(hours=12), Constraints(max_range_km=1200 * u.km))
    assert len(ps) == 1
    forecasts = passplan.forecast_passes(ps)
    t = forecasts_table(forecasts)
    f = forecasts[0]
    assert t["secret_key"].unit == u.bit and t["secret_key"][0] == f.key.secret_key_bits * u.bit
    assert t["key_window"].unit == u.s and t["min_loss"].unit == u.dB and t["max_loss"].unit == u.dB
    assert t["min_loss"][0].value == pytest.approx(float(np.nanmin(f.link.total_loss_db)))
    assert t["profile"][0] == "micius" and t["uid"][0] == ps[0].uid and t["max_el"].unit == u.deg
    assert t["aos"][0].to_datetime(timezone=UTC) == ps[0].aos  # the forecast's pass, to the microsecond


def test_tables_switch_iers_downloads_off(no_downloads: list[tuple]) -> None:
    passes_table([{"aos_utc": "2016-12-19T16:49:57.460Z", "max_el_deg": 47.8}])
    assert iers.conf.auto_download is False and no_downloads == []


def test_a_missing_astropy_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "astropy.units", None)  # as if astropy were not installed
    with pytest.raises(InputError, match=r"pip install 'passplan\[astro\]'"):
        passes_table([{"max_el_deg": 1.0}])
