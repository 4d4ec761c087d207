"""A station's horizon mask in the CZML export: read back with czml3's models, the ``horizon/<id>``
polyline's vertices seen from the station (Skyfield's own WGS-84 station and topocentric frame)
lie at the drawing's slant range, at the mask's elevation for their azimuth; a station without a
mask gets no such packet."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from passplan import resolve_satellites, select_stations
from passplan.stations import HorizonMask

czml3 = pytest.importorskip("czml3")

T0 = datetime(2026, 3, 20, 12, tzinfo=UTC)
#: A mask with a step, a wrap through north and a point off the drawing's azimuth grid.
MASK = [[0, 5], [45, 12.5], [90, 30], [91, 8], [200.3, 20], [300, 3], [359, 6]]


def _czml(station: Any) -> Any:
    from passplan.exports.czml import write_czml
    from passplan.query import search_passes

    sats = resolve_satellites(["DEMO-SSO-1"], T0).satellites
    out = io.StringIO()
    write_czml(search_passes(sats, [station], T0, T0 + timedelta(hours=2)), out)
    return out.getvalue()


@pytest.fixture(scope="module")
def masked() -> Any:
    plain = select_stations(["xinglong"])[0]
    return dataclasses.replace(plain, horizon_mask=HorizonMask.from_points(MASK))


def test_the_mask_polyline_lies_at_the_mask_elevation(masked: Any) -> None:
    from skyfield.api import load, wgs84
    from skyfield.toposlib import ITRSPosition
    from skyfield.units import Distance

    from passplan.exports.czml import HORIZON_RANGE_KM, HORIZON_STEP_DEG

    text = _czml(masked)
    doc = czml3.Document.model_validate_json(text)  # what Document.load does: every packet validated
    packets = {p.id: p for p in doc.packets}
    assert "horizon/xinglong" in packets
    poly = json.loads(packets["horizon/xinglong"].polyline.model_dump_json(exclude_none=True))
    assert poly["arcType"] == "NONE"
    xyz = np.asarray(poly["positions"]["cartesian"], float).reshape(-1, 3)
    assert np.array_equal(xyz[0], xyz[-1])  # closed
    # every mask point is a vertex and no two vertices are more than the step apart
    assert len(xyz) - 1 >= 360 / HORIZON_STEP_DEG

    ts = load.timescale()
    t = ts.from_datetimes([T0] * len(xyz))  # one instant per vertex (Skyfield broadcasts over time)
    site = wgs84.latlon(masked.lat_deg, masked.lon_deg, elevation_m=masked.alt_m)
    seen = (ITRSPosition(Distance(m=xyz.T)) - site).at(t)
    alt, az, dist = seen.altaz()
    az_deg, alt_deg = az.degrees, alt.degrees
    np.testing.assert_allclose(dist.km, HORIZON_RANGE_KM, rtol=0, atol=1e-6)  # 1 mm rounding
    # the mask, linear in azimuth and periodic, evaluated independently here
    pts = np.array(MASK, float)
    want = np.interp(az_deg, pts[:, 0], pts[:, 1], period=360.0)
    # 1 mm at 50 km is 1.1e-6 deg; the mask's steepest side (22 deg per deg of azimuth) makes it 2.5e-5
    np.testing.assert_allclose(alt_deg, want, rtol=0, atol=5e-5)
    # each mask point is drawn (at its own azimuth) and the vertices go round once, in order
    for a, e in MASK:
        d = np.abs((az_deg - a + 180.0) % 360.0 - 180.0)
        k = int(np.argmin(d))
        assert d[k] < 1e-5 and abs(alt_deg[k] - e) < 1e-5
    steps = np.diff(np.unwrap(np.radians(az_deg)))
    assert np.all(steps > 0) and np.degrees(steps).max() <= HORIZON_STEP_DEG + 1e-5
    assert np.degrees(steps.sum()) == pytest.approx(360.0, abs=1e-6)


def test_a_station_without_a_mask_has_no_horizon_packet(masked: Any) -> None:
    plain = dataclasses.replace(masked, horizon_mask=None)
    text = _czml(plain)
    assert '"horizon/' not in text
    # the masked station's document, passes aside (the mask removes some), is the plain one plus
    # the horizon packet, the station's mask in its description and properties
    with_mask = [p for p in json.loads(_czml(masked)) if not p["id"].startswith("pass/")]
    plain_doc = [p for p in json.loads(text) if not p["id"].startswith("pass/")]
    extra = [p for p in with_mask if p["id"].startswith("horizon/")]
    assert len(extra) == 1 and len(with_mask) == len(plain_doc) + 1
    rest = [p for p in with_mask if not p["id"].startswith("horizon/")]
    for a, b in zip(rest, plain_doc, strict=True):
        if a["id"] == "station/xinglong":
            assert json.loads(a["properties"]["horizon_mask"]) == [[float(x), float(y)] for x, y in MASK]
            a = {**a, "description": b["description"], "properties": b["properties"]}
        assert a == b
