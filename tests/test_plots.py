"""Every figure renders offline in each format its suffix names; bad suffixes are refused."""

from __future__ import annotations

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
