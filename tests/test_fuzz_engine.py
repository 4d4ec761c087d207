"""A differential fuzz of the pass engine (issue 17, item 2) and the regression tests of what it
found.

The fuzz draws random satellites, stations, windows and constraints with hypothesis and compares
:func:`passplan.passes.find_passes` with the brute-force reference of ``tests/bruteforce.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from passplan.cli import app
from passplan.designed import circular
from passplan.elements import Satellite
from passplan.passes import Constraints, find_passes, iter_passes
from passplan.stations import Station

MICIUS_2016 = (  # ../shared/reference/README.md section 1
    "1 41731U 16051A   16354.56913372  .00000384  00000-0  18801-4 0  9991",
    "2 41731  97.3698 268.1064 0013349 175.8929 309.0190 15.23916091 19164",
)


# ---- regressions found by the fuzz ----------------------------------------------------------


def test_constrained_search_with_no_pass_is_empty_not_a_crash() -> None:
    """A constrained search whose block ends no pass read summary tables that were never made
    (KeyError: 'ok'): every constrained window with no pass in its first day crashed."""
    t0 = datetime(2016, 12, 19, 16, tzinfo=UTC)
    sat = Satellite.from_tle(*MICIUS_2016, name="MICIUS")
    xinglong = Station(id="xinglong", lat_deg=40.3958, lon_deg=117.5775, alt_m=900.0)
    for c in (Constraints(darkness="nautical"), Constraints(eclipse=True, max_range_km=1500.0)):
        for inc in (False, True):
            assert list(find_passes([sat], [xinglong], t0, t0 + timedelta(minutes=6), c, include_excluded=inc)) == []
    # a first block without a pass, then one with: the search goes on to find it
    blocks = list(iter_passes([sat], [xinglong], t0, t0 + timedelta(hours=1), Constraints(darkness="nautical"), block_s=600.0))
    assert [len(b) for b in blocks][0] == 0 and sum(len(b) for b in blocks) == 1
    # a designed satellite, far from any pass
    d = circular("d", t0, altitude_km=500.0, inclination_deg=53.0)
    far = Station(id="far", lat_deg=-60.0, lon_deg=-150.0, alt_m=0.0)
    assert len(find_passes([d], [far], t0, t0 + timedelta(minutes=10), Constraints(min_sun_sep_deg=5.0))) == 0


def test_cli_passes_constrained_window_without_pass() -> None:
    """The issue's reproduction: a clean 'no passes', like the same window without --night."""
    args = ["passes", "--sats", "micius", "--station", "xinglong", "--start", "2016-12-19T16:00Z", "--hours", "0.1", "--allow-stale"]
    plain = CliRunner().invoke(app, args)
    night = CliRunner().invoke(app, [*args, "--night", "nautical"])
    assert night.exception is None or isinstance(night.exception, SystemExit), night.output
    assert night.exit_code == 0 and "Traceback" not in night.output
    assert night.output == plain.output
    assert "no passes" in night.output
