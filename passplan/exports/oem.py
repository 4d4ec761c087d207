"""CCSDS Orbit Ephemeris Message, version 2.0, in KVN (CCSDS 502.0-B-3, sections 5.2 and 7).

The header carries ``CCSDS_OEM_VERS``, ``CREATION_DATE`` and ``ORIGINATOR``; one metadata block
(``META_START`` ... ``META_STOP``) names the object, ``CENTER_NAME = EARTH``, the reference frame,
``TIME_SYSTEM = UTC`` and the span; data lines are ``epoch x y z vx vy vz`` in km and km/s.
States come from SGP4 through Skyfield in its GCRS, written as ``REF_FRAME = GCRF`` (Skyfield's
GCRS is the geocentric ICRS-aligned frame that CCSDS calls GCRF).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np

from ..errors import InputError

__all__ = ["oem_text", "gcrf_states"]


def _epoch(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def gcrf_states(satrec: object, times: Sequence[datetime]) -> tuple[np.ndarray, np.ndarray]:
    """Positions (n, 3) km and velocities (n, 3) km/s in GCRS at ``times`` (Skyfield, builtin
    timescale: no download)."""
    from skyfield.api import EarthSatellite

    from ..times import timescale

    ts = timescale()
    sat = EarthSatellite.from_satrec(satrec, ts)
    t = ts.from_datetimes(list(times))
    at = sat.at(t)
    return np.asarray(at.position.km).T, np.asarray(at.velocity.km_per_s).T


def oem_text(
    object_name: str,
    object_id: str,
    epochs: Sequence[datetime],
    positions_km: np.ndarray,
    velocities_km_s: np.ndarray,
    *,
    ref_frame: str = "GCRF",
    originator: str = "passplan",
    creation_date: datetime | None = None,
    comments: Sequence[str] = (),
    creation: datetime | None = None,
) -> str:
    """The KVN text of one OEM segment; ``creation_date`` (default now) is its CREATION_DATE
    (``creation=``: the old name, deprecated)."""
    from ..errors import renamed_keyword

    creation_date = renamed_keyword("creation_date", creation_date, "creation", creation)
    n = len(epochs)
    pos = np.asarray(positions_km, float)
    vel = np.asarray(velocities_km_s, float)
    if n < 2 or pos.shape != (n, 3) or vel.shape != (n, 3):
        raise InputError(f"an OEM needs at least two states with positions and velocities (got {n})")
    if not (np.isfinite(pos).all() and np.isfinite(vel).all()):
        raise InputError(f"{object_name}: SGP4 gave no state for part of the span (decayed or far from epoch)")
    created = (creation_date or datetime.now(UTC)).astimezone(UTC)
    lines = [
        "CCSDS_OEM_VERS = 2.0",
        *[f"COMMENT {c}" for c in comments],
        f"CREATION_DATE = {_epoch(created)}",
        f"ORIGINATOR = {originator}",
        "",
        "META_START",
        f"OBJECT_NAME = {object_name}",
        f"OBJECT_ID = {object_id}",
        "CENTER_NAME = EARTH",
        f"REF_FRAME = {ref_frame}",
        "TIME_SYSTEM = UTC",
        f"START_TIME = {_epoch(epochs[0])}",
        f"STOP_TIME = {_epoch(epochs[-1])}",
        "META_STOP",
        "",
    ]
    for t, p, v in zip(epochs, pos, vel, strict=True):
        lines.append(
            f"{_epoch(t)} {p[0]:.6f} {p[1]:.6f} {p[2]:.6f} {v[0]:.9f} {v[1]:.9f} {v[2]:.9f}"
        )
    return "\n".join(lines) + "\n"
