"""Coverage metrics at named stations (issue 21, part 5): every per-cell metric of
:func:`~passplan.coverage.coverage` (passes, access, usable and dark minutes, gaps, key per day
unlimited and with N telescopes) reported at the stations themselves, one row each.

Each station is studied as a one-cell grid centred exactly on its latitude and longitude (the
cell's size plays no part: a cell is its centre), with the same chunks, constraints and key
tables as a grid study, and, as the pass engine does at that station
(:class:`passplan.passes.Constraints`), at the station's altitude (``alt_m``), under its horizon
mask, and above its own minimum elevation unless ``min_elevation_deg`` is given (then that
floor replaces every station's own, and the mask still applies, as ``passes --min-el``).
Against the pass engine at the same station (``passes`` / ``passes --key`` for the same fleet
and window): passes differ only by a pass already under way at the window's start (the grid
counts starts), minutes by at most one sampling step per pass at each end, and the key by the
key table's stated error (:mod:`passplan.coverage.keytable`)"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from ..errors import InputError
from .chunk import CoverageConstraints
from .grid import Grid
from .run import METRICS, CoverageResult, coverage

__all__ = ["coverage_at_stations", "StationCoverage", "station_grid"]

#: The size (deg) of the one-cell grid around a station (irrelevant to the results: a cell is
#: represented by its centre).
_CELL_DEG = 0.01


def station_grid(lat_deg: float, lon_deg: float) -> Grid:
    """A grid of one cell whose centre is (``lat_deg``, ``lon_deg``)."""
    if not -90.0 + _CELL_DEG <= lat_deg <= 90.0 - _CELL_DEG:
        raise InputError(f"station latitude {lat_deg} deg: coverage at a station needs |latitude| < {90 - _CELL_DEG:g} deg")
    lon = (lon_deg + 180.0) % 360.0 - 180.0
    if lon - _CELL_DEG / 2 < -180.0:
        lon += 360.0
    h = _CELL_DEG / 2
    return Grid(_CELL_DEG, lat_deg - h, lat_deg + h, lon - h, lon + h)


@dataclass
class StationCoverage:
    """Coverage metrics at stations: ``metrics[name][i]`` is station ``i``'s value."""

    station_ids: tuple[str, ...]
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    metrics: dict[str, np.ndarray]
    days: float
    step_s: float
    satellites: int
    profile: str | None = None
    studies: tuple[CoverageResult, ...] = ()

    def records(self) -> list[dict[str, Any]]:
        """One record per station: its id, position and every metric (None: no value)."""
        names = [k for k in METRICS if k in self.metrics] + [k for k in self.metrics if k not in METRICS]
        out = []
        for i, sid in enumerate(self.station_ids):
            row: dict[str, Any] = {"station": sid, "lat_deg": round(float(self.lat_deg[i]), 6),
                                   "lon_deg": round(float(self.lon_deg[i]), 6)}
            for k in names:
                v = round(float(self.metrics[k][i]), 4)
                row[k] = None if not math.isfinite(v) else v
            out.append(row)
        return out

    def to_records(self) -> list[dict[str, Any]]:
        return self.records()

    def summary(self) -> dict[str, Any]:
        return {"stations": len(self.station_ids), "days": self.days, "satellites": self.satellites,
                "step_s": self.step_s, **({"profile": self.profile} if self.profile else {})}

    def to_document(self) -> dict[str, Any]:
        """``stations`` (:meth:`records`) and ``summary``."""
        return {"stations": self.records(), "summary": self.summary()}

    def to_json(self) -> str:
        from ..io import to_json

        return to_json(self.to_document())


def coverage_at_stations(
    satellites: Sequence[Any], stations: Sequence[Any], start: datetime, days: float = 1.0, *,
    min_elevation_deg: float | None = None, **kw: Any
) -> StationCoverage:
    """Every coverage metric at each of ``stations`` (:class:`passplan.stations.Station`, in the
    order given), each at its altitude, under its horizon mask and above its own minimum
    elevation, or above ``min_elevation_deg`` for every station when given (the
    ``min_elevation_deg`` of ``constraints`` is not used: each station's floor replaces it; with
    ``constraints.pair_with``, the partner's floor too, as ``passes --pair --min-el``: each row
    is then the joint visibility of that station pair as the pass engine finds it);
    ``kw`` as for :func:`~passplan.coverage.coverage` (``sample_days``, ``constraints``,
    ``step_s``, ``profile``, ``telescopes``, ``workers``, ...; not ``grid``, ``region`` or
    ``land_only``)."""
    for k in ("grid", "region", "land_only"):
        if k in kw:
            raise InputError(f"{k} is for grid studies; coverage_at_stations takes stations")
    if not stations:
        raise InputError("no stations; give stations (e.g. select_stations(['xinglong']))")
    for st in stations:
        if not all(hasattr(st, a) for a in ("id", "lat_deg", "lon_deg", "alt_m", "min_elevation_deg", "horizon_mask")):
            raise InputError(f"stations holds {st!r}, not a station; give passplan.stations.Station objects")
    base = kw.pop("constraints", None) or CoverageConstraints()
    if min_elevation_deg is not None:  # checked as a study's floor is
        dataclasses.replace(base, min_elevation_deg=float(min_elevation_deg))

    partner = base.pair_with
    if partner is not None and min_elevation_deg is not None:  # every station's floor, the partner's too
        if not dataclasses.is_dataclass(partner) or isinstance(partner, type):
            raise InputError("constraints.pair_with with min_elevation_deg: give a passplan.stations.Station")
        partner = dataclasses.replace(partner, min_elevation_deg=float(min_elevation_deg))

    def at(st: Any) -> CoverageConstraints:
        floor = st.min_elevation_deg if min_elevation_deg is None else min_elevation_deg
        return dataclasses.replace(base, min_elevation_deg=float(floor), at_station=st, pair_with=partner)

    studies = tuple(coverage(satellites, station_grid(st.lat_deg, st.lon_deg), start, days, constraints=at(st), **kw)
                    for st in stations)
    first = studies[0]
    metrics = {k: np.array([s.metrics[k][0] for s in studies]) for k in first.metrics}
    return StationCoverage(
        tuple(st.id for st in stations), np.array([st.lat_deg for st in stations], float),
        np.array([st.lon_deg for st in stations], float), metrics, first.days, first.step_s, first.satellites,
        first.profile, studies,
    )
