"""Fleets side by side at chosen stations: passes, pass length, usable hours per day, key per day
and the longest wait between usable windows, from the pass engine and the forecast chain.

Usable time is the union of every satellite's usable windows at a station (two satellites in
view at once count once); the longest gap is the longest stretch between two usable windows
inside the study window; key per day is the sum of the passes' forecast finite-key bits (each satellite's own link
profile, else ``profile``, else the station's receiver: the forecast's one rule with ``profile``
as ``default_profile``, :func:`passplan.forecast.resolve.profile_name_for`, as the grid's key
table does) divided by the days.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ..errors import InputError, InputWarning
from ..passes import Constraints, Pass, find_passes
from ..stations import Station

__all__ = ["compare_fleets", "union_intervals"]


def union_intervals(intervals: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Merge overlapping ``(start, end)`` intervals (seconds) into disjoint ones, in order."""
    out: list[list[float]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def compare_fleets(
    fleets: Mapping[str, Sequence[Any]],
    stations: Sequence[Station],
    start: datetime,
    end: datetime,
    constraints: Constraints | None = None,
    *,
    key: bool = True,
    profile: str | None = None,
    protocol: str | None = None,
    tick: Callable[[int, int, str], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """One record per fleet and station (see the module docstring). The pass searches' warnings
    (a satellite SGP4 cannot propagate, say) go to ``on_warning``, once each; without it they
    are issued as :class:`passplan.errors.PropagationWarning`."""
    if not fleets:
        raise InputError("no fleets to compare; give fleets (at least one: a name mapped to its satellites)")
    days = (end - start).total_seconds() / 86400.0
    out = []
    for name, sats in fleets.items():
        if not sats:
            raise InputError(f"fleet {name} has no satellites")
        search = find_passes(sats, stations, start, end, constraints)
        for note in dict.fromkeys(search.warnings):
            if on_warning is not None:
                on_warning(f"fleet {name}: {note}")
        passes = [p for p in search if not p.excluded]
        keys: dict[int, float] = {}
        if key:
            keys = _keys(passes, profile, protocol)
            if tick:
                tick(len(passes), len(passes), f"forecasting {name}")
        for st in stations:
            mine = [p for p in passes if p.station == st.id]
            spans = union_intervals([(p.aos.timestamp(), p.los.timestamp()) for p in mine])
            usable_s = sum(b - a for a, b in spans)
            gaps = [spans[i + 1][0] - spans[i][1] for i in range(len(spans) - 1)]
            bits = [keys[id(p)] for p in mine if id(p) in keys]
            known = bool(bits) and not any(math.isnan(b) for b in bits)
            out.append(
                {
                    "fleet": name,
                    "station": st.id,
                    "satellites": len(sats),
                    "passes": len(mine),
                    "passes_per_day": round(len(mine) / days, 3),
                    "mean_pass_min": round(sum(p.duration_s for p in mine) / len(mine) / 60.0, 2) if mine else None,
                    "usable_h_per_day": round(usable_s / 3600.0 / days, 3),
                    # one window and no other: no wait between windows (0); none at all: no value
                    "longest_gap_h": round(max(gaps) / 3600.0, 3) if gaps else (0.0 if spans else None),
                    "key_bits_per_day": round(sum(bits) / days, 1) if key and known else None,
                }
            )
    return out


def _keys(passes: Sequence[Pass], profile: str | None, protocol: str | None) -> dict[int, float]:
    """Secret bits of each pass (keyed by ``id``), forecast in one batch (the satellite's own
    link profile, else ``profile``, else the station's receiver); NaN where no key can be
    forecast (no profile for the pass, a window shorter than one slot)."""
    from ..forecast import forecast_passes

    keys = {id(p): float("nan") for p in passes}
    usable = [p for p in passes if p.duration_s >= 1.0]
    with warnings.catch_warnings():  # a pass without a profile has no key: NaN says so here
        warnings.simplefilter("ignore", InputWarning)
        found = forecast_passes(usable, default_profile=profile, protocol=protocol) if usable else []
    for f in found:
        keys[id(f.pass_)] = float(f.key.secret_key_bits)
    return keys
