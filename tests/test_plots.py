"""Every figure renders offline in each format its suffix names; bad suffixes are refused."""

from __future__ import annotations

import math

import pytest

from passplan.errors import InputError
from passplan.plot import format_for_path


def test_format_for_path() -> None:
    assert format_for_path("a/b.PNG") == "png"
    assert format_for_path("x.svg") == "svg" and format_for_path("x.pdf") == "pdf"
    for bad in ("plot.jpg", "plot", "plot.png.txt"):
        with pytest.raises(InputError, match="suffix"):
            format_for_path(bad)


@pytest.mark.parametrize("fmt, magic", [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_schedule_gantt_renders(fmt: str, magic: bytes) -> None:
    from test_schedule import RES, random_instance

    from passplan.plot.gantt import plot_schedule
    from passplan.schedule import plan_schedule

    plan = plan_schedule(random_instance(3, 20, span_s=20000.0), RES)
    data = plot_schedule(plan, fmt)
    assert data.startswith(magic) and len(data) > 5000
    assert plot_schedule(plan, fmt) == data  # same plan, same bytes


# ---------------------------------------------------------------------------------------------
# What the figures draw (issue 20 part 5): read back from the artists, not from the image size


def _rows_with_a_station_never_seen() -> list[dict]:
    """compare_fleets rows as it writes them (tests/test_cli_fleet.py checks the record itself):
    a GEO slot at 105 E seen all day from Xinglong (one window, gap 0) and never from Graz."""
    return [
        {"fleet": "leo", "station": "xinglong", "satellites": 4, "passes": 9, "passes_per_day": 9.0,
         "mean_pass_min": 6.1, "usable_h_per_day": 0.9, "longest_gap_h": 7.5, "key_bits_per_day": 3.0e5},
        {"fleet": "leo", "station": "graz", "satellites": 4, "passes": 8, "passes_per_day": 8.0,
         "mean_pass_min": 6.0, "usable_h_per_day": 0.8, "longest_gap_h": 9.25, "key_bits_per_day": 2.5e5},
        {"fleet": "geo", "station": "xinglong", "satellites": 1, "passes": 1, "passes_per_day": 1.0,
         "mean_pass_min": 1440.0, "usable_h_per_day": 24.0, "longest_gap_h": 0.0, "key_bits_per_day": 1.5e8},
        {"fleet": "geo", "station": "graz", "satellites": 1, "passes": 0, "passes_per_day": 0.0,
         "mean_pass_min": None, "usable_h_per_day": 0.0, "longest_gap_h": None, "key_bits_per_day": None},
    ]


def test_fleet_comparison_draws_never_visible_as_the_whole_window_on_linear_axes() -> None:
    from passplan.plot.compare import NEVER_VISIBLE, fleet_comparison_figure

    rows = _rows_with_a_station_never_seen()
    fig = fleet_comparison_figure(rows, "1 day", window_h=24.0)
    usable, key, gap = fig.axes[:3]
    for ax in (usable, key, gap):
        assert ax.get_yscale() == "linear" and ax.get_ylim()[0] == 0.0
    assert "Mbit/day" in key.get_ylabel()
    # bars in drawing order: fleet by fleet (leo, geo), station by station (xinglong, graz)
    heights = {ax: [p.get_height() for p in ax.patches] for ax in (usable, key, gap)}
    assert heights[key][:3] == pytest.approx([0.3, 0.25, 150.0])  # Mbit/day, linear: 1.5e8 bits is 150
    assert heights[gap][:3] == pytest.approx([7.5, 9.25, 0.0])  # the GEO seen all day: no gap at Xinglong
    never_gap = gap.patches[3]
    assert never_gap.get_height() == pytest.approx(24.0) and never_gap.get_hatch() == "//"  # not a 0 h gap
    assert never_gap.get_gid() == NEVER_VISIBLE and usable.patches[3].get_height() == 0.0
    for ax in (usable, key, gap):
        marks = [t for t in ax.texts if t.get_text() == NEVER_VISIBLE]
        assert len(marks) == 1 and marks[0].xy[0] == pytest.approx(never_gap.get_x() + never_gap.get_width() / 2)
    # without the window's length the gap bar is left out (never drawn as 0) and the mark stays
    bare = fleet_comparison_figure(rows, "1 day").axes[2]
    assert math.isnan(bare.patches[3].get_height()) and any(t.get_text() == NEVER_VISIBLE for t in bare.texts)


def _crowded_plan() -> object:
    """A plan whose links crowd two stations: 14 short links 5 min apart, then one 8 h later
    (the axis spans 9 h: key labels centred on each bar would overprint)."""
    from datetime import timedelta

    from test_schedule import T0, cand

    from passplan.schedule import Resources, plan_schedule

    cands = [cand(f"c{k}", "st0" if k % 3 else "st1", f"sat{k % 4}", 300.0 * k, 300.0 * k + 200.0,
                  1.234e6 if k % 2 else 98.7e3) for k in range(14)]
    cands.append(cand("late", "st1", "sat0", 32000.0, 32400.0, 5.0e5))
    assert all(c.start - T0 >= timedelta(0) for c in cands)
    return plan_schedule(cands, Resources(default_setup_s=10.0, default_repoint_s=10.0))


def test_gantt_labels_do_not_overprint() -> None:
    from passplan.plot.common import overlapping_texts
    from passplan.plot.gantt import schedule_figure

    plan = _crowded_plan()
    assert len(plan.links) >= 10
    fig = schedule_figure(plan)
    ax = fig.axes[0]
    fig.canvas.draw()
    labels = [t for t in ax.texts]
    shown = len(labels)
    left_off = int(ax.get_title().split("(")[-1].split()[0]) if "left off" in ax.get_title() else 0
    assert shown + left_off == len(plan.links) and shown >= 8
    assert overlapping_texts(labels) == []
    inside = ax.get_window_extent()
    renderer = fig.canvas.get_renderer()
    for t in labels:  # every label within the axes it labels
        b = t.get_window_extent(renderer)
        assert inside.x0 <= b.x0 and b.x1 <= inside.x1 and inside.y0 <= b.y0 and b.y1 <= inside.y1
    # the old centred placement would have overprinted: the test can fail
    from matplotlib.dates import date2num

    ghosts = [ax.annotate(t.get_text(), ((date2num(c.start) + date2num(c.end)) / 2, 0.0), ha="center", fontsize=6)
              for t, c in zip(labels, plan.links, strict=False)]
    assert overlapping_texts(ghosts) != []


def test_sky_chart_labels_do_not_overprint() -> None:
    """Twelve passes crossing near the zenith (labels at each track's highest point would all
    sit on one spot): every label placed clear of the others and of the tick labels."""
    import numpy as np

    from passplan.plot.common import overlapping_texts
    from passplan.plot.sky import sky_figure

    tracks = []
    for k in range(12):
        az0 = 30.0 * k
        el = np.concatenate([np.linspace(10, 84, 40), np.linspace(84, 10, 40)])
        az = np.concatenate([np.full(40, az0), np.full(40, az0 + 180.0)]) % 360
        tracks.append((f"DEMO-SSO-{k} 21:{10 + k:02d}", az, el, np.linspace(1e3, 5e4, 80)))
    fig = sky_figure(tracks, title="crowded", min_elevation_deg=10.0)
    ax = fig.axes[0]
    labels = list(ax.texts)
    unlabelled = [t for t in fig.texts if t.get_text().startswith("not labelled")]
    listed = unlabelled[0].get_text().count("DEMO-SSO") if unlabelled else 0
    assert len(labels) + listed == len(tracks) and len(labels) >= 8
    fixed = [*ax.get_xticklabels(), *ax.get_yticklabels(), ax.title]
    assert overlapping_texts(labels + [t for t in fixed if t.get_text()]) == []
    # each label sits on its own track (at one of its samples)
    for t in labels:
        name = t.get_text()
        _, az, el, _ = next(x for x in tracks if x[0] == name)
        theta, r = t.xy
        assert np.min(np.hypot(np.radians(az) - theta, (90 - el) - r)) < 1e-9


def test_pass_keys_figure_is_linear_and_says_why_a_key_is_zero() -> None:
    from passplan.plot.keys import pass_keys_figure

    fig = pass_keys_figure(["A 21:00", "B 22:00", "C 23:00"], [2.5e5, 0.0, None], reasons=[None, "qber", None])
    ax = fig.axes[0]
    assert ax.get_xscale() == "linear"
    assert [p.get_width() for p in ax.patches] == pytest.approx([250.0, 0.0, 0.0])
    assert [t.get_text() for t in ax.texts] == ["250", "0 (qber)", "no forecast"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A 21:00", "B 22:00", "C 23:00"]
