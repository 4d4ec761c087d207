"""Offline maps: the bundled coastline against the Natural Earth reference, small circles against
spherical trigonometry, and every map rendering without network."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from passplan.plot.maps import (
    coastline,
    plot_grid_map,
    plot_ground_tracks,
    plot_zonal,
    small_circle,
    split_at_dateline,
)


def test_bundled_coastline_matches_reference(shared_reference) -> None:
    ref = json.loads((shared_reference / "coastline" / "ne_110m_coastline.geojson").read_text())
    lines = coastline()
    assert len(lines) == len(ref["features"]) == 134
    assert sum(len(x) for x in lines) == 5128
    for ours, feat in zip(lines, ref["features"], strict=True):
        theirs = np.asarray(feat["geometry"]["coordinates"], float)
        assert np.abs(ours - theirs).max() <= 0.005 + 1e-9  # rounded to 0.01 deg


def test_small_circle_is_at_the_radius() -> None:
    lat, lon = small_circle(40.0, 117.0, 14.06)
    c = np.sin(np.radians(40.0)) * np.sin(np.radians(lat)) + np.cos(np.radians(40.0)) * np.cos(
        np.radians(lat)
    ) * np.cos(np.radians(lon - 117.0))
    assert np.degrees(np.arccos(np.clip(c, -1, 1))) == pytest.approx(np.full(lat.size, 14.06), abs=1e-9)


def test_split_at_dateline() -> None:
    parts = split_at_dateline(np.array([170.0, 179.0, -179.0, -170.0]), np.array([0.0, 1.0, 2.0, 3.0]))
    assert [p[0].tolist() for p in parts] == [[170.0, 179.0], [-179.0, -170.0]]


@pytest.mark.parametrize("fmt, magic", [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_maps_render(fmt: str, magic: bytes) -> None:
    lat = np.arange(-89.0, 90.0, 2.0)
    lon = np.arange(-179.0, 180.0, 2.0)
    v = np.cos(np.radians(lat))[:, None] * np.ones(lon.size)[None, :]
    a = plot_grid_map(lat, lon, v, title="test", label="min/day", fmt=fmt, stations=[("xinglong", 40.4, 117.6)])
    assert a.startswith(magic) and len(a) > 3000
    if fmt != "png":
        return
    t = np.linspace(0, 2 * math.pi, 200)
    b = plot_ground_tracks(
        [("sat", 50 * np.sin(t), np.degrees(t) * 3 % 360 - 180)], [("sat", 40.0, 179.0, 14.06)], title="tracks", fmt=fmt
    )
    c = plot_zonal(lat, {"a": np.cos(np.radians(lat))}, title="zonal", label="min/day", fmt=fmt)
    for data in (b, c):
        assert data.startswith(magic) and len(data) > 3000
