"""One self-contained HTML file of a station's night (``passplan report``): tonight's passes as a
table, the figures as inline SVG, the records as JSON in a ``<script type="application/json">``
block, and inline CSS. It references nothing outside itself (no CDN, no external font, no
script, no ``http(s)://`` anywhere in the text), so it opens offline and can be mailed or
archived as one file.

The writer takes what the library already made: the pass records (the JSON rows of
``passplan tonight --key --format json``), figures drawn by :mod:`passplan.plot` as SVG bytes,
and short summaries. Identical inputs give identical bytes (no time stamp is written; SVG ids
come from matplotlib's fixed hash salt and are prefixed per figure so two figures never share
an id)."""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError

__all__ = [
    "ReportFigure",
    "HtmlReport",
    "TABLE_COLUMNS",
    "inline_svg",
    "write_html",
    "CoverageGrid",
    "coverage_grid",
    "read_coverage_grid",
]

#: The table's columns: (record field, header). Every row carries each field's JSON value in
#: ``data-value`` (what a test or a script reads back), the cell text is for people.
TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("satellite", "satellite"),
    ("aos_utc", "AOS"),
    ("tca_utc", "TCA"),
    ("los_utc", "LOS"),
    ("duration_s", "duration (s)"),
    ("max_el_deg", "max el (deg)"),
    ("aos_az_deg", "az AOS"),
    ("tca_az_deg", "az TCA"),
    ("los_az_deg", "az LOS"),
    ("min_range_km", "min range (km)"),
    ("secret_key_bits", "key"),
    ("key_limiting", "limit"),
)

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       margin: 1.5em auto; max-width: 1200px; color: #1b1b1b; background: #ffffff; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; }
p.sub, p.note { color: #444; margin: 0.3em 0; }
table { border-collapse: collapse; font-size: 0.88em; margin-top: 0.5em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.55em; }
th { background: #e8eef5; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: #f6f8fa; }
figure { margin: 1em 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { color: #444; font-size: 0.9em; }
dl.summary { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dl.summary dt { font-weight: 600; }
dl.summary dd { margin: 0; }
""".strip()


@dataclass(frozen=True)
class ReportFigure:
    """One figure of the report: an id (letters, digits, '-'), a heading, a caption and the
    figure as SVG bytes (:func:`passplan.plot.common.figure_bytes` with ``fmt="svg"``)."""

    id: str
    heading: str
    caption: str
    svg: bytes

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", self.id):
            raise InputError(f"figure id {self.id!r}: use letters, digits and '-', starting with a letter")


@dataclass(frozen=True)
class HtmlReport:
    """A station's night as one HTML document.

    ``records``: the pass records in the table's order (plain JSON values, as
    :meth:`passplan.query.PassQuery.to_records` gives them); ``timezone``: the IANA zone the
    table shows times in; ``summary``: (label, text) pairs listed under the title;
    ``figures``: in the order shown; ``key_unit``: the key column's unit. :meth:`to_html` is
    the file's text."""

    title: str
    subtitle: str
    records: Sequence[Mapping[str, Any]]
    timezone: str = "UTC"
    summary: Sequence[tuple[str, str]] = ()
    figures: Sequence[ReportFigure] = ()
    notes: Sequence[str] = field(default_factory=tuple)
    #: the key column's unit: (name, bits per unit), e.g. ("Mbit", 1e6)
    key_unit: tuple[str, float] = ("kbit", 1e3)

    def to_html(self) -> str:
        """The document's text (UTF-8, one file, no outside reference)."""
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="generator" content="passplan report">',
            f"<title>{_esc(self.title)}</title>",
            f"<style>\n{_CSS}\n</style>",
            "</head>",
            "<body>",
            f"<h1>{_esc(self.title)}</h1>",
            f'<p class="sub">{_esc(self.subtitle)}</p>',
        ]
        if self.summary:
            parts.append('<dl class="summary">')
            parts += [f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in self.summary]
            parts.append("</dl>")
        parts.append('<h2 id="passes-heading">Tonight\'s passes</h2>')
        parts.append(self._table())
        parts += [f'<p class="note">{_esc(n)}</p>' for n in self.notes]
        for fig in self.figures:
            parts += [
                f'<h2 id="{fig.id}-heading">{_esc(fig.heading)}</h2>',
                f'<figure id="{fig.id}">',
                inline_svg(fig.svg, fig.id),
                f"<figcaption>{_esc(fig.caption)}</figcaption>",
                "</figure>",
            ]
        parts += [
            '<script type="application/json" id="passplan-records">',
            _script_json(self.records),
            "</script>",
            "</body>",
            "</html>",
            "",
        ]
        return "\n".join(parts)

    def _table(self) -> str:
        head = "".join(f'<th data-field="{f}">{_esc(_header(f, h, self.timezone, self.key_unit[0]))}</th>'
                       for f, h in TABLE_COLUMNS)
        rows = []
        for rec in self.records:
            cells = []
            for f, _ in TABLE_COLUMNS:
                v = rec.get(f)
                cls = ' class="num"' if isinstance(v, int | float) and not isinstance(v, bool) else ""
                value = html.escape(json.dumps(v, ensure_ascii=False, allow_nan=False), quote=True)
                cells.append(f'<td data-field="{f}" data-value="{value}"{cls}>{_esc(_cell(f, v, self.timezone, self.key_unit[1]))}</td>')
            rows.append(f'<tr data-uid="{_esc(str(rec.get("uid", "")))}">' + "".join(cells) + "</tr>")
        if not rows:
            rows.append(f'<tr class="empty"><td colspan="{len(TABLE_COLUMNS)}">no passes tonight</td></tr>')
        return (f'<table id="passes">\n<thead><tr>{head}</tr></thead>\n<tbody>\n' + "\n".join(rows)
                + "\n</tbody>\n</table>")


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _header(f: str, h: str, tz: str, unit: str) -> str:
    if f == "secret_key_bits":
        return f"key ({unit})"
    return f"{h} ({tz})" if f == "aos_utc" else h


def _cell(f: str, v: Any, tz: str, unit_bits: float) -> str:
    """The cell text people read (the exact value is in ``data-value``)."""
    from ..times import local_str, parse_time

    if v is None:
        return "-"
    if f.endswith("_utc"):
        text = local_str(parse_time(str(v)), tz)
        return text if f == "aos_utc" else text[11:19]
    if f == "secret_key_bits":
        return f"{float(v) / unit_bits:.3f}"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.1f}" if f in ("duration_s", "max_el_deg", "min_range_km") or f.endswith("_az_deg") else f"{v:g}"
    return str(v)


def _script_json(records: Sequence[Mapping[str, Any]]) -> str:
    """The records as JSON (the writer's own text, :func:`passplan.io.to_json`) made safe inside
    a ``<script>`` element: ``<``, ``>`` and ``&`` as JSON escapes (the same values)."""
    from ..io import to_json

    text = to_json(list(records))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_XML_HEAD = re.compile(r"\A\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_XMLNS = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')
_IDS = re.compile(r'\bid="([^"]+)"')


def inline_svg(svg: bytes, prefix: str) -> str:
    """matplotlib's SVG made fit to sit inside HTML: no XML declaration or DOCTYPE, no RDF
    metadata, no namespace attributes (the HTML parser puts ``<svg>`` in the SVG namespace
    itself; they are URIs, and the report holds none), and every id (with its ``#id`` and
    ``url(#id)`` references) prefixed with ``prefix`` so two figures never share one."""
    text = svg.decode("utf-8")
    text = _XML_HEAD.sub("", text, count=1)
    text = _METADATA.sub("", text)
    text = _XMLNS.sub("", text)
    ids = set(_IDS.findall(text))
    if ids:
        alternation = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
        text = re.sub(rf'\bid="({alternation})"', lambda m: f'id="{prefix}-{m.group(1)}"', text)
        text = re.sub(rf'#({alternation})(?=["\')])', lambda m: f"#{prefix}-{m.group(1)}", text)
    if re.search(r"https?://", text):
        raise InputError("the figure's SVG references an outside resource (http/https); passplan draws none")
    return text.strip()


def write_html(report: HtmlReport, path: str | os.PathLike[str]) -> Path:
    """Write ``report`` to ``path`` atomically (:func:`passplan.io.atomic_write_text`)."""
    from ..io import atomic_write_text

    return atomic_write_text(path, report.to_html())


# ---------------------------------------------------------------------------------------------
# The coverage map of a study's JSON (``passplan coverage --format json``)


@dataclass(frozen=True)
class CoverageGrid:
    """A coverage metric on its grid: cell-centre latitudes (nlat) and longitudes (nlon), the
    values (nlat, nlon; NaN where a cell has none or is not in the file) and the study's summary."""

    metric: str
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    values: np.ndarray
    summary: Mapping[str, Any]


def coverage_grid(doc: Any, metric: str | None = None, where: str = "coverage") -> CoverageGrid:
    """The cells of a coverage document (``{"cells": [{"lat_deg", "lon_deg", metric...}],
    "summary": {...}}``, what :meth:`passplan.coverage.CoverageResult.to_document` gives) as a
    grid of ``metric`` (default ``key_bits_per_day`` when the cells carry it, else
    ``usable_min_per_day``)."""
    from ..schema import coverage_problems

    metric, problems = coverage_problems(doc, metric, most=1)  # (the check `passplan doctor` runs)
    if problems:
        raise InputError(f"{where}: {problems[0]}")
    cells = doc["cells"]
    lat = [float(c["lat_deg"]) for c in cells]
    lon = [float(c["lon_deg"]) for c in cells]
    val = [np.nan if c[metric] is None else float(c[metric]) for c in cells]
    lats, i = np.unique(np.asarray(lat), return_inverse=True)
    lons, j = np.unique(np.asarray(lon), return_inverse=True)
    grid = np.full((lats.size, lons.size), np.nan)
    grid[i, j] = np.asarray(val)
    given = doc.get("summary")
    summary: dict[str, Any] = given if isinstance(given, dict) else {}
    return CoverageGrid(metric, lats, lons, grid, summary)


def read_coverage_grid(path: str | os.PathLike[str], metric: str | None = None) -> CoverageGrid:
    """:func:`coverage_grid` of the JSON file at ``path``."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{p}: no such file; give the JSON that `passplan coverage --format json -o FILE` writes") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{p}: cannot read it ({err}); give a coverage JSON file") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"{p}: not JSON (line {err.lineno}: {err.msg}); give a coverage JSON file") from None
    return coverage_grid(doc, metric, where=str(p))

