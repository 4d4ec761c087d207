"""The small library swaps of issue 20 part 6: TOML written by ``tomli-w`` and read back by the
standard library's ``tomllib`` (an independent parser), and a station's missing time zone found
offline by ``timezonefinder`` (the ``tz`` extra), said in a warning; without the package, UTC and
a warning naming the extra."""

from __future__ import annotations

import re
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from passplan.designed import (
    ConstellationDesign,
    constellation_from_toml,
    design_geo,
    design_walker,
    toml_text,
)
from passplan.errors import InputError, InputWarning
from passplan.stations import load_stations, select_stations

AT = datetime(2026, 12, 2, tzinfo=UTC)
HOSTILE = 'Fleet "A" \\ #1 ]] [[geo]]\nname = "injected"\t\u00e9\u00df\U0001f6f0'


def test_toml_text_round_trips_any_string() -> None:
    """Quotes, backslashes, a newline, a tab, TOML syntax inside a string and non-ASCII all read
    back exactly; tables keep their order, kinds interleaved (walker, geo, walker)."""
    w1 = {"name": HOSTILE, "altitude_km": 550.0, "planes": 2, "sun_synchronous": True, "ltan_h": "10:30"}
    g = {"name": 'G "1"\n', "longitude_deg": -20.5}
    w2 = {"name": "B\\", "altitude_km": 8000.0, "planes": 1}
    text = toml_text([("constellation", {"name": HOSTILE, "description": "d\r\n"}),
                      ("walker", [w1]), ("geo", [g]), ("walker", [w2])])
    assert tomllib.loads(text) == {"constellation": {"name": HOSTILE, "description": "d\r\n"},
                                   "walker": [w1, w2], "geo": [g]}
    assert text.index("[[geo]]") < text.rindex("[[walker]]")  # the given order, one [[kind]] element each


def test_constellation_toml_is_what_tomli_w_writes_and_loads_back() -> None:
    """A design whose name holds quotes, a backslash and TOML syntax loads back (passplan's own
    loader) as the same satellites under that name; a name with a newline is refused when the
    design is made (it would be printed in tables), with the reason."""
    name = 'Fleet "A" \\ #1 [[geo]]'
    design = design_walker(550.0, 53.0, 4, 2, 1, name=name)
    text = design.to_toml()
    assert tomllib.loads(text)["constellation"]["name"] == name
    sats = constellation_from_toml(text, AT, where="x")
    assert [s.name for s in sats] == [s.name for s in design.satellites(AT)] and len(sats) == 4
    assert all(s.name.startswith(name) for s in sats)
    geo = design_geo([100.0, -20.5])
    assert [t["name"] for t in tomllib.loads(geo.to_toml())["geo"]] == ["GEO-100E", "GEO-20.5W"]
    with pytest.raises(InputError, match="no newline"):
        ConstellationDesign("two\nlines", "d", (("walker", {"name": "x"}),))


def _station_file(tmp_path: Path, lat: float, lon: float, zone: str | None = None) -> Path:
    f = tmp_path / "st.toml"
    extra = f'timezone = "{zone}"\n' if zone else ""
    f.write_text(f"[stations.site]\nlat_deg = {lat}\nlon_deg = {lon}\nalt_m = 100\n{extra}")
    return f


@pytest.mark.parametrize(
    "lat, lon, zone",
    [(47.067, 15.493, "Europe/Vienna"), (-33.93, 18.86, "Africa/Johannesburg"), (40.0, 116.4, "Asia/Shanghai"),
     (61.2, -149.9, "America/Anchorage"), (40.4, 356.3, "Europe/Madrid"),  # 356.3 E is 3.7 W
     (0.0, -30.0, "Etc/GMT+2")],  # mid-Atlantic: the nautical zone of 30 W, UTC-2 (POSIX sign)
)
def test_missing_zone_is_inferred_and_said(tmp_path: Path, lat: float, lon: float, zone: str) -> None:
    with pytest.warns(InputWarning, match=re.escape(f"inferred '{zone}'")):
        st = load_stations([_station_file(tmp_path, lat, lon)])["site"]
    assert st.timezone == zone


def test_given_zone_is_kept_without_a_warning(tmp_path: Path, recwarn: pytest.WarningsRecorder) -> None:
    st = select_stations(["site"], [_station_file(tmp_path, 47.067, 15.493, "UTC")])[0]
    assert st.timezone == "UTC"
    assert not [w for w in recwarn if issubclass(w.category, InputWarning)]


def test_without_the_tz_extra_utc_and_the_extra_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import passplan.stations as stations

    stations._zone_finder.cache_clear()
    monkeypatch.setitem(sys.modules, "timezonefinder", None)  # import fails as when not installed
    try:
        with pytest.warns(InputWarning, match=r"UTC .*passplan\[tz\]"):
            st = load_stations([_station_file(tmp_path, 47.067, 15.493)])["site"]
        assert st.timezone == "UTC"
    finally:
        stations._zone_finder.cache_clear()
