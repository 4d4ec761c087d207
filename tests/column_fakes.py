"""Random pass columns for the text tests (tests/test_engine.py, tests/test_pieces_speed.py):
names that need escaping, catalogue numbers and none, unknown epochs, negative azimuths, labels."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import numpy as np


def random_columns(n: int, seed: int):  # type: ignore[no-untyped-def]
    from passplan.passes.columns import PassColumns, unix_us

    t0 = unix_us(datetime(2026, 11, 23, tzinfo=UTC))
    sats = [SimpleNamespace(name='Mo Zi "QSS", 2', norad_id=41731, epoch=datetime(2026, 11, 20, 1, 2, 3, tzinfo=UTC)),
            SimpleNamespace(name="Ångström-1\nb", norad_id=None, epoch=None),
            SimpleNamespace(name="tab\tsat", norad_id=7, epoch=datetime(2026, 11, 22, tzinfo=UTC))]
    stations = [SimpleNamespace(id="Graz"), SimpleNamespace(id="Télescope / 2")]
    rng = np.random.default_rng(seed)
    aos = t0 + rng.integers(0, 3 * 86_400_000_000, n)
    return PassColumns(
        sats=sats, stations=stations, sat=rng.integers(0, 3, n), st=rng.integers(0, 2, n),
        aos_us=aos, tca_us=aos + rng.integers(0, 10**8, n), los_us=aos + rng.integers(10**8, 10**9, n),
        rise_us=np.where(rng.random(n) < 0.5, aos, aos - 10**6), set_us=aos + 10**9,
        max_el_deg=rng.uniform(10, 90, n), aos_az_deg=rng.uniform(-1, 360, n), tca_az_deg=rng.uniform(0, 360, n),
        los_az_deg=np.where(rng.random(n) < 0.2, -0.0, rng.uniform(0, 360, n)), min_range_km=rng.uniform(400, 40000, n),
        sat_sunlit_fraction=rng.choice([0.0, 1.0, 0.123456], n), station_dark=rng.random(n) < 0.5,
        station_dark_fraction=rng.uniform(0, 1, n), partial=rng.random(n) < 0.3,
        cut_start_by=[rng.choice([None, "window", "darkness"]) for _ in range(n)],
        cut_end_by=[None] * n, excluded_by=[rng.choice([None, "max_range+darkness"]) for _ in range(n)],
    )
