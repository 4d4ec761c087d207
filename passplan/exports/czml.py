"""Cesium CZML of pass searches and schedules (and, optionally, coverage cells), built with czml3.

:func:`write_czml` takes a pass query (:class:`~passplan.query.PassQuery`,
:class:`~passplan.query.TonightPasses`), pass records, passes or key forecasts, or a schedule run
(:class:`~passplan.schedule.run.ScheduleRun`), and writes one CZML document (a JSON list of
packets, CZML 1.0) that Cesium loads:

- ``document``: the name, the clock over the window, and in its description the legend of the
  key-rate colours.
- ``satellite/<id>`` (``id``: the catalogue number, else the name made id-safe): the satellite's
  Earth-fixed position sampled every ``step_s`` seconds over the window, from the pass engine's
  own propagation (:class:`passplan.geometry.Scene`: SGP4 in TEME rotated to Earth-fixed axes by
  the GMST 1982 angle, the positions the passes were found with), ``referenceFrame`` FIXED, in
  metres, Lagrange interpolation of degree 5, with a point, a label and a trailing path.
- ``station/<id>``: the station's WGS-84 position (cartographic degrees, metres), a point, a
  label, and a description table with its minimum elevation and horizon mask.
- ``horizon/<id>`` (only for a station with a horizon mask): the mask drawn as a closed polyline
  around the station, its vertex at azimuth ``az`` the point at :data:`HORIZON_RANGE_KM` slant
  range along the direction (``az``, ``mask(az)``) from the station, in the pass engine's
  topocentric frame (east-north-up of the WGS-84 geodetic normal,
  :func:`passplan.geometry.enu_matrices`): vertices at every mask point and every
  :data:`HORIZON_STEP_DEG` of azimuth between (the mask is linear in azimuth), Earth-fixed
  Cartesian metres to the millimetre, straight segments (``arcType`` NONE). The range only sets the drawing's size:
  the mask is a direction.
- ``pass/<uid>`` (a pass search) or ``link/<pass uid>@<start>`` (a schedule): a straight line
  from the satellite to the station, shown over the pass's (link's) availability interval only,
  coloured by its key rate; ``properties`` carry the record the JSON output writes for it
  (nested fields as JSON text).
- ``cell/<n>`` (with ``coverage=``): each cell of a coverage study as a rectangle coloured by one
  metric, with the cell's record in ``properties`` and its legend in the document description.

Key rate colours: a pass's mean secret-key rate (``secret_key_bits / key_window_s``), a link's
(``key_bits`` over its duration), in decades of bit/s coloured with six samples of matplotlib's
viridis map (van der Walt and Smith, 2015); grey without a key forecast. Coverage cells use the
same six colours over six equal bins between the metric's smallest and largest value.

czml3 is optional (``pip install 'passplan[czml]'``); it is imported on first use. The text is
deterministic: the same inputs give the same bytes.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import numpy as np

from ..errors import InputError
from ..times import iso_z

__all__ = [
    "write_czml",
    "require_czml3",
    "czml_document",
    "czml_text",
    "CzmlScene",
    "scene_of",
    "rate_colour",
    "RATE_BINS_BPS",
    "COLOURS",
    "CZML_EXTRA",
    "DEFAULT_STEP_S",
    "HORIZON_RANGE_KM",
    "HORIZON_STEP_DEG",
    "horizon_points_m",
]

CZML_EXTRA = "pip install 'passplan[czml]'"
#: Seconds between the satellites' position samples (Lagrange degree 5 between them: a LEO
#: orbit turns about 4 deg a minute, far inside what the interpolation follows).
DEFAULT_STEP_S = 60.0
#: Slant range (km) at which a station's horizon mask is drawn (assumed: a display size, large
#: enough to see at a regional zoom, small beside a LEO's 500 km and more; the elevation of each
#: vertex seen from the station is the mask's at any range).
HORIZON_RANGE_KM = 50.0
#: Largest azimuth step (deg) between two vertices of a drawn horizon mask.
HORIZON_STEP_DEG = 2.0
#: Lower edges of the key-rate bins (bit/s): below 1, 1-10, 10-100, 100-1k, 1k-10k, 10k and up.
RATE_BINS_BPS = (0.0, 1.0, 10.0, 100.0, 1e3, 1e4)
#: Six samples of matplotlib's viridis map (0, 0.2, ... 1), RGB 0-255.
COLOURS = ((68, 1, 84), (65, 68, 135), (42, 120, 142), (34, 168, 132), (122, 209, 81), (253, 231, 37))
#: Passes without a key forecast.
GREY = (160, 160, 160)
_ID_SAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


def require_czml3() -> Any:
    """The czml3 module, or an :class:`~passplan.errors.InputError` naming the extra."""
    try:
        import czml3
    except ImportError:
        raise InputError(f"CZML needs czml3, which is not installed; install it with: {CZML_EXTRA}") from None
    return czml3


def _safe(text: str) -> str:
    """An id part without ``#`` or ``/`` (CZML references are ``id#property``)."""
    return _ID_SAFE.sub("-", str(text)).strip("-") or "x"


def _sat_id(norad_id: Any, name: str) -> str:
    return f"satellite/{int(norad_id)}" if norad_id is not None else f"satellite/{_safe(name)}"


def rate_colour(rate_bps: float | None) -> tuple[int, int, int]:
    """The colour of a key rate (bit/s): its decade bin's viridis sample, grey for None."""
    if rate_bps is None or not math.isfinite(rate_bps):
        return GREY
    k = int(np.searchsorted(np.asarray(RATE_BINS_BPS), rate_bps, side="right")) - 1
    return COLOURS[max(0, min(k, len(COLOURS) - 1))]


def _rate_legend() -> str:
    edges = [*RATE_BINS_BPS, math.inf]
    rows = []
    for k, c in enumerate(COLOURS):
        lo, hi = edges[k], edges[k + 1]
        span = f"{lo:g} bit/s and more" if math.isinf(hi) else f"{lo:g} to {hi:g} bit/s"
        rows.append(f'<tr><td style="background:rgb{c};width:2em"></td><td>{span}</td></tr>')
    rows.append(f'<tr><td style="background:rgb{GREY};width:2em"></td><td>no key forecast</td></tr>')
    return (
        "<p>Lines: satellite to station while a pass (or scheduled link) lasts, coloured by its mean "
        "secret-key rate (bit/s, viridis).</p><table>" + "".join(rows) + "</table>"
    )


@dataclass(frozen=True, eq=False)
class CzmlScene:
    """What a CZML document shows: the satellites (passplan satellites), stations, the window,
    and the lines (one mapping each: ``id``, ``satellite_id``, ``station``, ``start``, ``end``,
    ``rate_bps`` and ``record``, the JSON record)."""

    satellites: Sequence[Any]
    stations: Sequence[Any]
    start: datetime
    end: datetime
    lines: Sequence[Mapping[str, Any]]
    name: str


def _pass_rows(rows: Sequence[Any]) -> tuple[list[Any], list[dict[str, Any]]]:
    """The passes of ``rows`` (pass records, key forecasts or passes) and their JSON records."""
    passes, records = [], []
    for r in rows:
        p = getattr(r, "pass_", r)  # a PassRecord or a PassForecast carries its pass
        passes.append(p)
        records.append(r.to_dict())
    return passes, records


def _pass_lines(passes: Sequence[Any], records: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], list[Any], list[Any]]:
    """The lines of usable passes (with their JSON records), their satellites and stations."""
    lines: list[dict[str, Any]] = []
    sats: dict[str, Any] = {}  # by packet id: one packet per satellite
    stations: dict[str, Any] = {}
    for p, rec in zip(passes, records, strict=True):
        if p.excluded:
            continue
        if p.sat_ref is None or p.station_ref is None:
            raise InputError(f"pass {rec['uid']} has no satellite or station attached; give passes a search returned")
        sats.setdefault(_sat_id(p.norad_id, p.satellite), p.sat_ref)
        stations.setdefault(p.station_ref.id, p.station_ref)
        key, window = rec.get("secret_key_bits"), rec.get("key_window_s")
        rate = None if key is None else (key / window if window else 0.0)
        lines.append({
            "id": f"pass/{rec['uid']}", "satellite_id": _sat_id(p.norad_id, p.satellite), "station": p.station,
            "start": rec["aos_utc"], "end": rec["los_utc"], "rate_bps": rate, "record": dict(rec),
            "title": f"{p.satellite} over {p.station}",
        })
    return lines, list(sats.values()), list(stations.values())


def _link_lines(run: Any) -> tuple[list[dict[str, Any]], list[Any], list[Any], datetime, datetime]:
    """The lines of a schedule run's links, their satellites and stations, and the window the
    run's passes span."""
    by_name: dict[str, Any] = {}
    for f in run.forecasts:
        by_name.setdefault(f.pass_.satellite, f.pass_.sat_ref)
    lines: list[dict[str, Any]] = []
    sats: dict[str, Any] = {}
    stations: dict[str, Any] = {}
    for c in run.plan.links:
        rec = c.to_dict()  # the link's JSON record
        sat = by_name.get(c.satellite)
        st = run.stations.get(c.station)
        if sat is None or st is None:
            raise InputError(f"link {c.uid}: its satellite or station is not in the run; give the schedule run itself")
        sats.setdefault(_sat_id(sat.norad_id, sat.name), sat)
        stations.setdefault(st.id, st)
        duration = (c.end - c.start).total_seconds()
        lines.append({
            "id": f"link/{rec['pass_uid']}@{rec['start_utc']}", "satellite_id": _sat_id(sat.norad_id, sat.name),
            "station": c.station, "start": rec["start_utc"], "end": rec["end_utc"],
            "rate_bps": c.key_bits / duration if duration > 0 else 0.0, "record": rec,
            "title": f"{c.satellite} to {c.station}" + (" (hand-over)" if c.handover else ""),
        })
    passes = [f.pass_ for f in run.forecasts]
    if passes:
        t0, t1 = min(p.aos for p in passes), max(p.los for p in passes)
    elif run.plan.links:
        t0, t1 = min(c.start for c in run.plan.links), max(c.end for c in run.plan.links)
    else:
        raise InputError("the schedule has no passes to show; give a window with passes")
    return lines, list(sats.values()), list(stations.values()), t0, t1


def scene_of(
    items: Any, *, start: datetime | None = None, end: datetime | None = None, name: str | None = None,
    on_batch: Callable[[list[Any]], None] | None = None,
) -> CzmlScene:
    """The :class:`CzmlScene` of ``items`` (see the module); ``start`` and ``end`` override the
    window (a query's own, a schedule's passes' span, or the passes' span). ``on_batch`` sees
    each batch of a pass query's :class:`~passplan.query.PassRecord` as it is searched."""
    from .frames import query_of

    title = name
    query = query_of(items)
    if query is not None:
        if hasattr(items, "night"):  # tonight's passes
            title = title or f"passplan tonight: {', '.join(s.id for s in query.stations)}"
        batches: list[Any] = []

        def seen(batch: list[Any]) -> None:
            batches.extend(batch)
            if on_batch is not None:
                on_batch(batch)

        records = [rec for block in query.record_blocks(on_batch=seen) for rec in block]
        lines, sats, _ = _pass_lines([r.pass_ for r in batches], records)
        stations = list(query.stations)  # every station searched, passes or not
        t0, t1 = query.start, query.end
        title = title or "passplan passes"
    elif callable(getattr(items, "to_document", None)) and hasattr(items, "plan"):
        lines, sats, stations, t0, t1 = _link_lines(items)
        title = title or "passplan schedule"
    else:
        rows = list(items)
        if not rows:
            raise InputError("no passes to show; give passes, a pass query or a schedule run")
        passes, records = _pass_rows(rows)
        lines, sats, stations = _pass_lines(passes, records)
        t0, t1 = min(p.aos for p in passes), max(p.los for p in passes)
        title = title or "passplan passes"
    t0 = start if start is not None else t0
    t1 = end if end is not None else t1
    if not t1 > t0:
        raise InputError("end is not after start; give a later end")
    return CzmlScene(sats, stations, t0, t1, lines, title)


def _sample_positions(sats: Sequence[Any], stations: Sequence[Any], t0: datetime, t1: datetime, step_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seconds after ``t0``, Earth-fixed positions (nsat, nt, 3) in metres and SGP4 error codes,
    from the pass engine's scene."""
    from ..geometry import Scene

    span = (t1 - t0).total_seconds()
    s = np.arange(0.0, span, step_s)
    s = np.append(s, span)
    scene = Scene([x.satrec for x in sats], list(stations), t0, t1)
    pos_km, err = scene.sat_ecef_grid(s)
    return s, pos_km * 1000.0, err


def horizon_points_m(station: Any, range_km: float = HORIZON_RANGE_KM) -> tuple[np.ndarray, np.ndarray]:
    """The drawn horizon mask of ``station`` (see the module): the vertices' azimuths (deg, the
    first repeated last to close the line) and Earth-fixed Cartesian positions (metres, shape
    (n, 3)); the station must have a mask."""
    from ..geometry import enu_matrices, station_ecef_km

    mask = station.horizon_mask
    grid = np.arange(0.0, 360.0, HORIZON_STEP_DEG)
    az = np.unique(np.concatenate([grid, np.asarray(mask.az_deg, float)]))
    az = np.append(az, az[0])
    el = np.radians(mask.elevation_deg(az))
    a = np.radians(az)
    local = np.column_stack([np.cos(el) * np.sin(a), np.cos(el) * np.cos(a), np.sin(el)])  # east, north, up
    lat, lon, alt = (np.array([float(v)]) for v in (station.lat_deg, station.lon_deg, station.alt_m))
    rows = enu_matrices(lat, lon)[0]  # rows east, north, up in Earth-fixed axes
    origin = station_ecef_km(lat, lon, alt)[0]
    return az, (origin + range_km * local @ rows) * 1000.0


def _horizon_packet(cz: Any, st: Any) -> Any:
    """The ``horizon/<id>`` packet of a station with a horizon mask (see the module)."""
    _, xyz = horizon_points_m(st)
    return cz.Packet(
        id=f"horizon/{_safe(st.id)}", name=f"{st.id} horizon mask",
        description=_description_table([
            ("station", st.id), ("horizon mask [az, el] (deg)", st.horizon_mask.to_list()),
            ("drawn at slant range (km)", f"{HORIZON_RANGE_KM:g} (assumed, for display)"),
        ]),
        polyline=cz.Polyline(
            positions=cz.PositionList(cartesian=np.round(xyz, 3).ravel().tolist()), arcType="NONE", width=2,
            material=cz.PolylineMaterial(solidColor=cz.SolidColorMaterial(color=cz.Color(rgba=[255, 200, 0, 200]))),
        ),
    )


def _description_table(rows: Sequence[tuple[str, Any]]) -> str:
    import html

    return "<table>" + "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows
    ) + "</table>"


def _plain_properties(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record as CZML custom properties: plain values, nested ones as JSON text."""
    out: dict[str, Any] = {}
    for k, v in record.items():
        out[k] = json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v
    return out


def _cell_packets(cz: Any, coverage: Any, metric: str | None) -> tuple[list[Any], str]:
    """One rectangle per coverage cell coloured by ``metric`` and the legend."""
    import html

    metrics = coverage.metrics
    name = metric or ("key_bits_per_day" if "key_bits_per_day" in metrics else "usable_min_per_day")
    if name not in metrics:
        raise InputError(f"metric {name!r} is not in the coverage study; give one of {', '.join(metrics)}")
    records = coverage.to_records()
    v = np.asarray(metrics[name], float)
    finite = v[np.isfinite(v)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    width = (hi - lo) / len(COLOURS) if hi > lo else 1.0
    half = coverage.grid.step_deg / 2.0
    packets = []
    for i, rec in enumerate(records):
        x = rec.get(name)
        if x is None:
            rgba = [*GREY, 60]
        else:
            k = min(int((float(x) - lo) / width), len(COLOURS) - 1) if hi > lo else len(COLOURS) - 1
            rgba = [*COLOURS[max(k, 0)], 150]
        lat, lon = rec["lat_deg"], rec["lon_deg"]
        packets.append(cz.Packet(
            id=f"cell/{i}", name=f"cell {lat:g}, {lon:g}",
            description=_description_table(list(rec.items())),
            rectangle=cz.Rectangle(
                coordinates={"wsenDegrees": [lon - half, max(lat - half, -90.0), lon + half, min(lat + half, 90.0)]},
                material=cz.Material(solidColor=cz.SolidColorMaterial(color=cz.Color(rgba=rgba))),
            ),
            properties=_plain_properties(rec),
        ))
    rows = []
    for k, c in enumerate(COLOURS):
        a, b = lo + k * width, lo + (k + 1) * width
        rows.append(f'<tr><td style="background:rgb{c};width:2em"></td><td>{a:.4g} to {b:.4g}</td></tr>')
    legend = f"<p>Cells: {html.escape(name)} (coverage study, {coverage.days:g} day{'' if coverage.days == 1 else 's'}).</p><table>" + "".join(rows) + "</table>"
    return packets, legend


def czml_document(
    items: Any,
    *,
    step_s: float = DEFAULT_STEP_S,
    coverage: Any | None = None,
    metric: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    name: str | None = None,
    on_batch: Callable[[list[Any]], None] | None = None,
) -> Any:
    """The czml3 ``Document`` of ``items`` (see the module): satellites sampled every ``step_s``
    seconds, stations, the pass or link lines, and with ``coverage`` (a
    :class:`~passplan.coverage.CoverageResult`) its cells coloured by ``metric`` (default the
    key per day, else the usable minutes per day)."""
    cz = require_czml3()
    if not (isinstance(step_s, int | float) and math.isfinite(step_s) and 1.0 <= step_s <= 3600.0):
        raise InputError(f"step_s {step_s!r}: give a sampling step from 1 to 3600 s, e.g. 60")
    sc = scene_of(items, start=start, end=end, name=name, on_batch=on_batch)
    t0, t1 = sc.start, sc.end
    interval = f"{iso_z(t0)}/{iso_z(t1)}"
    packets: list[Any] = []
    legend = _rate_legend()
    cells: list[Any] = []
    if coverage is not None:
        cells, cell_legend = _cell_packets(cz, coverage, metric)
        legend += cell_legend
    packets.append(cz.Packet(
        id="document", name=sc.name, version="1.0", description=legend,
        clock=cz.Clock(interval=interval, currentTime=iso_z(t0), multiplier=60, range="LOOP_STOP",
                       step="SYSTEM_CLOCK_MULTIPLIER"),
    ))
    if sc.satellites:
        s, pos, err = _sample_positions(sc.satellites, sc.stations, t0, t1, step_s)
        for k, sat in enumerate(sc.satellites):
            ok = err[k] == 0
            if not ok.any():
                continue
            samples = np.column_stack([np.round(s[ok], 3), np.round(pos[k][ok], 1)]).ravel().tolist()
            if int(ok.sum()) == 1:  # one sample: a constant position
                samples = samples[1:]
            period_s = 2.0 * math.pi / sat.satrec.no_kozai * 60.0 if getattr(sat.satrec, "no_kozai", 0) else 5400.0
            packets.append(cz.Packet(
                id=_sat_id(sat.norad_id, sat.name), name=sat.name, availability=interval,
                description=_description_table([
                    ("catalogue number", sat.norad_id if sat.norad_id is not None else "none (designed)"),
                    ("element-set epoch", iso_z(sat.epoch)), ("source", sat.source),
                    ("positions", f"SGP4 (passplan's pass engine), Earth-fixed, every {step_s:g} s"),
                ]),
                position=cz.Position(
                    epoch=iso_z(t0), referenceFrame="FIXED", interpolationAlgorithm="LAGRANGE",
                    interpolationDegree=5, cartesian=samples,
                ),
                point=cz.Point(pixelSize=6, color=cz.Color(rgba=[255, 255, 255, 255])),
                label=cz.Label(text=sat.name, font="11pt sans-serif", pixelOffset={"cartesian2": [8, -8]},
                               horizontalOrigin="LEFT", fillColor=cz.Color(rgba=[255, 255, 255, 255])),
                path=cz.Path(leadTime=0, trailTime=round(min(period_s, 86400.0), 1), width=1, resolution=step_s,
                             material=cz.PolylineMaterial(solidColor=cz.SolidColorMaterial(color=cz.Color(rgba=[255, 255, 255, 90])))),
            ))
    for st in sc.stations:
        mask = st.horizon_mask.to_list() if st.horizon_mask is not None else None
        packets.append(cz.Packet(
            id=f"station/{_safe(st.id)}", name=st.name if getattr(st, "name", None) else st.id,
            description=_description_table([
                ("station", st.id), ("latitude (deg)", st.lat_deg), ("longitude (deg)", st.lon_deg),
                ("altitude (m)", st.alt_m), ("minimum elevation (deg)", st.min_elevation_deg),
                ("horizon mask [az, el] (deg)", mask if mask else "none"),
            ]),
            position=cz.Position(cartographicDegrees=[st.lon_deg, st.lat_deg, st.alt_m]),
            point=cz.Point(pixelSize=9, color=cz.Color(rgba=[255, 200, 0, 255])),
            label=cz.Label(text=st.id, font="12pt sans-serif", pixelOffset={"cartesian2": [10, 0]},
                           horizontalOrigin="LEFT", fillColor=cz.Color(rgba=[255, 200, 0, 255])),
            properties={"horizon_mask": json.dumps(mask), "min_elevation_deg": st.min_elevation_deg},
        ))
        if st.horizon_mask is not None:
            packets.append(_horizon_packet(cz, st))
    for ln in sc.lines:
        rgba = [*rate_colour(ln["rate_bps"]), 255]
        rate = ln["rate_bps"]
        packets.append(cz.Packet(
            id=ln["id"], name=ln["title"], availability=f"{ln['start']}/{ln['end']}",
            description=_description_table(
                [("mean key rate (bit/s)", "no forecast" if rate is None else f"{rate:.4g}"),
                 *ln["record"].items()]
            ),
            polyline=cz.Polyline(
                positions=cz.PositionList(references=[f"{ln['satellite_id']}#position", f"station/{_safe(ln['station'])}#position"]),
                arcType="NONE", width=3,
                material=cz.PolylineMaterial(solidColor=cz.SolidColorMaterial(color=cz.Color(rgba=rgba))),
            ),
            properties=_plain_properties(ln["record"]),
        ))
    packets.extend(cells)
    return cz.Document(packets=packets)


def czml_text(items: Any, **options: Any) -> str:
    """The CZML text of ``items`` (:func:`czml_document`'s options), compact JSON ending in a
    newline."""
    return czml_document(items, **options).model_dump_json(exclude_none=True) + "\n"


def write_czml(
    items: Any,
    path_or_stream: str | os.PathLike[str] | IO[str],
    *,
    step_s: float = DEFAULT_STEP_S,
    coverage: Any | None = None,
    metric: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    name: str | None = None,
    on_batch: Callable[[list[Any]], None] | None = None,
) -> Path | None:
    """Write the CZML of ``items`` (see the module) to a file, atomically (returns its path), or
    to an open text stream (returns None). The path is checked before any work."""
    from ..io import atomic_write_text, check_output_path

    if not isinstance(path_or_stream, str | os.PathLike):
        path_or_stream.write(czml_text(
            items, step_s=step_s, coverage=coverage, metric=metric, start=start, end=end, name=name, on_batch=on_batch
        ))
        return None
    check_output_path(path_or_stream)
    text = czml_text(
        items, step_s=step_s, coverage=coverage, metric=metric, start=start, end=end, name=name, on_batch=on_batch
    )
    return atomic_write_text(path_or_stream, text)
