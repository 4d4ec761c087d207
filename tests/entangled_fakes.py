"""Stand-ins for a joint window and its pair forecast: the fields the pooled BBM92 key reads
(:func:`passplan.forecast.pair.pooled_key`), for tests that build windows by hand
(tests/test_entangled_links.py, tests/test_schedule_entangled.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class FakeWindow:
    uid: str
    satellite: str
    start: datetime
    end: datetime
    norad_id: int | None = None


@dataclass(frozen=True)
class FakeForecast:
    """What the pooled key reads of a window's forecast: its sifted bits, errors and profile."""

    window: FakeWindow
    sifted_bits: float
    errors: float
    profile: Any

    @property
    def seconds(self) -> float:
        return (self.window.end - self.window.start).total_seconds()
