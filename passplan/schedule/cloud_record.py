"""Weather as it happened: a per-station cloud record replayed pass by pass (issue 19, part 3).

A cloud record is a time series per station, read from a CSV file (or, with xarray, a NetCDF
file) by :func:`load_cloud_record`::

    # synthetic example (comment lines start with #)
    station,time,cloud_fraction
    beijing,2026-12-01T00:00Z,0.25
    beijing,2026-12-01T01:00Z,1

``cloud_fraction`` is the cloud cover, 0 (clear) to 1 (overcast), as ERA5's total cloud cover
(``tcc``, also accepted as the column name); a station log may give ``clear`` instead (1, 0,
true, false, yes, no). Times are ISO-8601 with a zone (``Z``), in any order; one station's
times must be distinct.

Pass by pass: the record's value at a time is that of the nearest sample (ERA5 ``tcc`` is an
instantaneous hourly field), and a pass's cloud fraction is that step function's mean over the
pass (its value at the start for a zero-length window). Two rules turn it into key
(``mode``, documented choice, both offered):

* ``"fraction"`` (the default): a pass keeps the clear share of its key, ``key x (1 - cloud)``.
  The cloud fraction read as the chance that the narrow beam's line of sight is clear, this
  is the pass's expected key (finite-size effects of a shortened block are not modelled).
* ``"threshold"``: all or nothing; the pass gives its whole key when its cloud fraction is at
  most ``threshold`` (:data:`DEFAULT_CLOUD_THRESHOLD`, assumed) and none above it. With a
  record of clear flags the two rules agree.

Coverage, never silently clear: a time is covered when a sample of the station lies within
``tolerance_s`` of it (default: the station's median sample spacing, so an hourly record holds
each value up to an hour either side and bridges one missing hour, not three). A pass at a
recorded station that is not covered from start to end is an error naming the station, the
pass, the record's span and the fix. Stations without a record keep the seeded, correlated
weather draws (:func:`passplan.weather.clear_draws`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError, InputError

if TYPE_CHECKING:
    from ..schema import Problem

__all__ = [
    "CLOUD_MODES",
    "DEFAULT_CLOUD_THRESHOLD",
    "CloudRecord",
    "StationClouds",
    "load_cloud_record",
    "bundled_cloud_records",
    "as_cloud_record",
    "check_cloud_text",
    "check_cloud_options",
]

#: How a pass's cloud fraction becomes key (see the module docstring).
CLOUD_MODES = ("fraction", "threshold")
#: Cloud fraction at or below which a pass counts as clear in ``"threshold"`` mode (assumed:
#: half the sky; no published optical-link criterion for ERA5 ``tcc`` was found).
DEFAULT_CLOUD_THRESHOLD = 0.5


def check_cloud_options(mode: str = "fraction", threshold: float = DEFAULT_CLOUD_THRESHOLD,
                        tolerance_s: float | None = None) -> None:
    """Refuse an unknown ``cloud_mode`` or an out-of-range ``cloud_threshold`` / tolerance."""
    if mode not in CLOUD_MODES:
        raise InputError(f"cloud_mode {mode!r}: choose one of {', '.join(CLOUD_MODES)}")
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0.0 <= threshold < 1.0:
        raise InputError(f"cloud_threshold {threshold!r}: give a cloud fraction from 0 up to (not including) 1")
    if tolerance_s is not None and not 0 < tolerance_s < math.inf:
        raise InputError(f"cloud record tolerance {tolerance_s!r} s: give a positive number of seconds")


@dataclass(frozen=True)
class StationClouds:
    """One station's samples: POSIX seconds (increasing) and cloud fractions (0 to 1)."""

    times_s: np.ndarray
    cloud: np.ndarray
    tolerance_s: float

    @property
    def start(self) -> datetime:
        return datetime.fromtimestamp(float(self.times_s[0]), UTC)

    @property
    def end(self) -> datetime:
        return datetime.fromtimestamp(float(self.times_s[-1]), UTC)

    def covered(self, t: np.ndarray) -> np.ndarray:
        """Whether a sample lies within the tolerance of each time ``t`` (POSIX s)."""
        ts = self.times_s
        i = np.clip(np.searchsorted(ts, t), 1, max(len(ts) - 1, 1))
        if len(ts) == 1:
            return np.asarray(np.abs(t - ts[0]) <= self.tolerance_s)
        d = np.minimum(np.abs(t - ts[i - 1]), np.abs(ts[i] - t))
        return np.asarray(d <= self.tolerance_s * (1 + 1e-12))

    def windows_covered(self, s: np.ndarray, e: np.ndarray) -> np.ndarray:
        """Whether each window ``[s, e]`` is covered throughout: both ends covered and no gap's
        uncovered middle (a gap wider than twice the tolerance) inside it."""
        ok = self.covered(s) & self.covered(e)
        gaps = np.diff(self.times_s)
        mid = (self.times_s[:-1] + gaps / 2.0)[gaps > 2 * self.tolerance_s * (1 + 1e-12)]
        inside = np.searchsorted(mid, e, side="right") - np.searchsorted(mid, s, side="left")
        return np.asarray(ok & (inside == 0))

    def mean_cloud(self, s: np.ndarray, e: np.ndarray) -> np.ndarray:
        """Mean over each window of the nearest-sample step function (exact: its integral is
        piecewise linear between the midpoints of the samples); the value at ``s`` where
        ``e == s``."""
        c = self.cloud
        if len(c) == 1:
            return np.full(np.shape(s), float(c[0]))
        t0 = self.times_s[0]  # times from the first sample: small numbers keep the integral exact
        ts, s, e = self.times_s - t0, np.asarray(s) - t0, np.asarray(e) - t0
        edges = (ts[:-1] + ts[1:]) / 2.0  # the step function changes value at these midpoints
        pad = 2.0 * self.tolerance_s + 1.0  # beyond the covered span
        knots = np.concatenate(([ts[0] - pad], edges, [ts[-1] + pad]))
        integral = np.concatenate(([0.0], np.cumsum(c * np.diff(knots))))

        def at(x: np.ndarray) -> np.ndarray:
            return np.interp(x, knots, integral)

        width = e - s
        nearest = c[np.clip(np.searchsorted(edges, s, side="right"), 0, len(c) - 1)]
        safe = np.where(width > 0, width, 1.0)
        return np.clip(np.where(width > 0, (at(e) - at(s)) / safe, nearest), 0.0, 1.0)


@dataclass(frozen=True)
class CloudRecord:
    """Cloud fractions per station (ids lower-case) and the rule that turns them into key."""

    stations: dict[str, StationClouds]
    source: str = ""
    mode: str = "fraction"
    threshold: float = DEFAULT_CLOUD_THRESHOLD
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        check_cloud_options(self.mode, self.threshold)

    def has(self, station: str) -> bool:
        return station.lower() in self.stations

    def span(self, station: str) -> tuple[datetime, datetime]:
        """First and last sample time of ``station``."""
        rec = self.stations[station.lower()]
        return rec.start, rec.end

    def cloud_fractions(self, windows: Sequence[tuple[str, datetime, datetime]], what: str = "pass") -> np.ndarray:
        """The mean cloud fraction of each ``(station, start, end)`` window (NaN at stations
        without a record). A window at a recorded station that the record does not cover
        throughout is an :class:`~passplan.errors.InputError` naming it and the fix."""
        out = np.full(len(windows), np.nan)
        by_station: dict[str, list[int]] = {}
        for k, (st, _, _) in enumerate(windows):
            if st.lower() in self.stations:
                by_station.setdefault(st.lower(), []).append(k)
        for st, idx in sorted(by_station.items()):
            rec = self.stations[st]
            s = np.array([windows[k][1].timestamp() for k in idx])
            e = np.array([windows[k][2].timestamp() for k in idx])
            ok = rec.windows_covered(s, e)
            if not ok.all():
                from ..times import iso_z

                bad = [idx[j] for j in np.flatnonzero(~ok)]
                k = bad[0]
                raise InputError(
                    f"cloud record {self.source or '(in memory)'}: station {windows[k][0]} has samples from "
                    f"{iso_z(rec.start)} to {iso_z(rec.end)} (each holding {rec.tolerance_s:g} s either side), but "
                    f"the {what} {iso_z(windows[k][1])} to {iso_z(windows[k][2])} is not covered throughout"
                    + (f" ({len(bad) - 1} more like it)" if len(bad) > 1 else "")
                    + "; extend or fill the record, or narrow the window (start/end) to its span"
                )
            out[idx] = rec.mean_cloud(s, e)
        return out

    def clear_factors(self, cloud: np.ndarray) -> np.ndarray:
        """The share of a pass's key kept under ``cloud`` (NaN stays NaN: no record)."""
        c = np.asarray(cloud, dtype=float)
        if self.mode == "fraction":
            return 1.0 - c
        return np.where(np.isnan(c), np.nan, (c <= self.threshold + 1e-12).astype(float))

    def describe(self) -> dict[str, Any]:
        """The record's summary for a result document: file, rule, stations and their spans."""
        from ..times import iso_z

        out: dict[str, Any] = {"file": self.source, "mode": self.mode}
        if self.mode == "threshold":
            out["threshold"] = self.threshold
        out["stations"] = {
            st: {"start_utc": iso_z(r.start), "end_utc": iso_z(r.end), "samples": int(len(r.times_s))}
            for st, r in sorted(self.stations.items())
        }
        return out


def check_cloud_text(text: str, file: str) -> list[Problem]:
    """Every problem of a cloud record CSV (``passplan doctor``): header, cells, duplicates."""
    from ..schema import parse_cloud_csv

    return parse_cloud_csv(text, file)[1]


def _station_clouds(samples: list[tuple[float, float]], tolerance_s: float | None) -> StationClouds:
    arr = np.array(sorted(samples), dtype=float)
    ts, c = arr[:, 0], arr[:, 1]
    tol = tolerance_s if tolerance_s is not None else (float(np.median(np.diff(ts))) if len(ts) > 1 else 3600.0)
    return StationClouds(ts, c, tol)


def _load_netcdf(p: Path) -> dict[str, list[tuple[float, float]]]:
    """Samples from a NetCDF file through xarray (optional): variable ``cloud_fraction`` or
    ``tcc``, time coordinate ``time`` or ``valid_time``, stations along a ``station``
    coordinate or, for one station, named by the global attribute ``station`` (else the file
    name); size-one latitude/longitude dimensions (an ERA5 point) are dropped."""
    try:
        import xarray as xr
    except ImportError:  # pragma: no cover - xarray is in the test extra
        raise ConfigError(f"{p}: reading NetCDF needs xarray (pip install xarray netCDF4); or convert it to CSV") from None
    try:
        ds = xr.open_dataset(p)
    except Exception as err:  # noqa: BLE001 - any reader failure is one line naming the file
        raise ConfigError(f"{p}: not a readable NetCDF file ({type(err).__name__}); check the path") from None
    with ds:
        name = next((v for v in ("cloud_fraction", "tcc") if v in ds.variables), None)
        if name is None:
            raise ConfigError(f"{p}: no variable cloud_fraction or tcc; export ERA5 total cloud cover (tcc)")
        tname = next((v for v in ("time", "valid_time") if v in ds.coords), None)
        if tname is None:
            raise ConfigError(f"{p}: no time coordinate (time or valid_time)")
        da = ds[name]
        da = da.squeeze([d for d in da.dims if d not in (tname, "station") and da.sizes[d] == 1])
        extra = [d for d in da.dims if d not in (tname, "station")]
        if extra:
            raise ConfigError(f"{p}: {name} has dimensions {', '.join(map(str, extra))} beyond time and station; "
                              "export one grid point per station")
        times = np.asarray(ds[tname].values).astype("datetime64[ns]").astype(np.int64) / 1e9
        vals = np.asarray(da.transpose(tname, ...).values, dtype=float)
        if "station" in da.dims:
            ids = [str(s) for s in np.asarray(ds["station"].values)]
        else:
            ids = [str(ds.attrs.get("station", p.stem))]
            vals = vals.reshape(-1, 1)
    out: dict[str, list[tuple[float, float]]] = {}
    for j, st in enumerate(ids):
        v = vals[:, j]
        bad = ~(np.isfinite(v) & (v >= 0) & (v <= 1))
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise ConfigError(f"{p}: {name} of station {st} is {v[k]!r} at time index {k}; give fractions 0 to 1")
        out[st.lower()] = list(zip(times.tolist(), v.tolist(), strict=True))
    return out


def bundled_cloud_records() -> dict[str, Path]:
    """The bundled cloud records by name (``synthetic-season``: synthetic, not observations)."""
    from importlib.resources import files

    folder = Path(str(files("passplan") / "data" / "weather"))
    return {q.stem: q for q in sorted(folder.glob("*.csv"))}


def load_cloud_record(
    path: str | os.PathLike[str],
    *,
    mode: str = "fraction",
    threshold: float = DEFAULT_CLOUD_THRESHOLD,
    tolerance_s: float | None = None,
) -> CloudRecord:
    """Read a cloud record (CSV, or NetCDF ``.nc`` through xarray; a bundled record by name when
    no such file exists: :func:`bundled_cloud_records`) for :func:`relay_key` and
    :func:`network_key` (``cloud_record``). ``mode`` and ``threshold`` say how a pass's cloud
    fraction becomes key (see the module docstring); ``tolerance_s`` how far a sample holds
    (default: each station's median sample spacing). Errors name the file, the line and the
    column, with the fix."""
    from ..schema import parse_cloud_csv, read_text

    check_cloud_options(mode, threshold, tolerance_s)
    p = Path(path)
    name = str(p)  # the file as the result documents name it: the path, or a bundled record's name
    if not p.exists() and str(path) in bundled_cloud_records():
        p, name = bundled_cloud_records()[str(path)], str(path)
    if p.suffix.lower() in (".nc", ".nc4", ".netcdf"):
        if not p.is_file():
            raise ConfigError(f"file not found: {p}; check the path (a cloud record file)")
        samples = _load_netcdf(p)
    else:
        text = read_text(p, "cloud record CSV")
        rows, problems = parse_cloud_csv(text, str(p))
        if problems:
            more = len(problems) - 1
            tail = f" (and {more} more problem(s): `passplan doctor {p}` lists them)" if more else ""
            raise ConfigError(f"{problems[0]}{tail}")
        samples = {st: [(t, c) for t, c, _ in r] for st, r in rows.items()}
    if not samples:
        raise ConfigError(f"{p}: no samples; a cloud record needs station,time,cloud_fraction rows")
    return CloudRecord({st: _station_clouds(s, tolerance_s) for st, s in samples.items()}, name, mode, threshold)


def as_cloud_record(
    record: CloudRecord | str | os.PathLike[str] | None,
    mode: str | None = None,
    threshold: float | None = None,
) -> CloudRecord | None:
    """A :class:`CloudRecord` from a record or a file path (None stays None); ``mode`` and
    ``threshold``, when given, replace the record's rule (checked first, before any reading)."""
    from dataclasses import replace

    check_cloud_options(mode or "fraction", DEFAULT_CLOUD_THRESHOLD if threshold is None else threshold)
    if record is None:
        return None
    if not isinstance(record, CloudRecord):
        return load_cloud_record(record, mode=mode or "fraction",
                                 threshold=DEFAULT_CLOUD_THRESHOLD if threshold is None else threshold)
    changes: dict[str, Any] = {}
    if mode is not None:
        changes["mode"] = mode
    if threshold is not None:
        changes["threshold"] = threshold
    return replace(record, **changes) if changes else record
