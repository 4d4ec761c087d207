"""Reading element-set files: TLE/2LE/3LE text and OMM (CelesTrak JSON and CSV, CCSDS XML and KVN).

This module only splits and checks text; :mod:`passplan.elements` turns the records into
:class:`~passplan.elements.Satellite` objects.

Formats and sources:

* TLE: the two-line element format of NORAD/18 SDS, as documented by CelesTrak
  ("NORAD Two-Line Element Set Format", https://celestrak.org/NORAD/documentation/tle-fmt.php):
  69-character lines, line number in column 1, catalogue number in columns 3-7, a modulo-10
  checksum in column 69 (digits count their value, a minus sign counts 1). The checksum is checked
  with ``sgp4.io.verify_checksum`` because Skyfield does not check it.
* Alpha-5 catalogue numbers (Space Force, 2020): a letter (A-Z without I and O, A = 10) replaces
  the leading digit, so five characters reach 339999.
* OMM: CCSDS 502.0-B-3 "Orbit Data Messages" mean-element message, as served by CelesTrak's GP
  service (https://celestrak.org/NORAD/documentation/gp-data-formats.php) in JSON, CSV and XML;
  KVN is the CCSDS ``KEY = value`` text form.
"""

from __future__ import annotations

import calendar
import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sgp4.io import compute_checksum, verify_checksum

from .errors import ElementSetError

__all__ = [
    "TleRecord",
    "OmmRecord",
    "TLE_LINE_LENGTH",
    "ALPHA5_MAX",
    "alpha5_to_int",
    "int_to_alpha5",
    "check_tle_lines",
    "check_tle_fields",
    "tle_epoch",
    "parse_tle_text",
    "decode_element_bytes",
    "parse_omm_epoch",
    "parse_omm_json",
    "parse_omm_csv",
    "parse_omm_xml",
    "parse_omm_kvn",
    "detect_format",
    "parse_text",
]

TLE_LINE_LENGTH = 69
ALPHA5_MAX = 339999
_ALPHA5_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, no O: A=10 ... Z=33


@dataclass(frozen=True, slots=True)
class TleRecord:
    """One TLE as found in a file: optional name line, the two element lines, where they were."""

    name: str | None
    line1: str
    line2: str
    lineno: int  # 1-based line number of line 1 in the file


@dataclass(frozen=True, slots=True)
class OmmRecord:
    """One OMM as a flat mapping of CCSDS keywords to text or numbers, and where it was."""

    fields: dict[str, Any]
    where: str  # e.g. "record 2" or "line 3"


def alpha5_to_int(field: str) -> int:
    """Decode a TLE catalogue-number field (5 digits, or alpha-5 such as ``A0001`` = 100001)."""
    s = field.strip()
    if not s:
        raise ValueError("empty catalogue number")
    if s[0].isdigit():
        if not s.isdigit():
            raise ValueError(f"catalogue number {field!r} is not a number")
        return int(s)
    head = s[0].upper()
    if head not in _ALPHA5_LETTERS or not s[1:].isdigit() or len(s) != 5:
        raise ValueError(
            f"catalogue number {field!r} is neither five digits nor alpha-5 (a letter other than "
            "I or O followed by four digits)"
        )
    return (_ALPHA5_LETTERS.index(head) + 10) * 10000 + int(s[1:])


def int_to_alpha5(number: int) -> str:
    """Encode a catalogue number for a TLE (alpha-5 above 99999); refuse numbers above 339999."""
    if number < 0 or number > ALPHA5_MAX:
        raise ValueError(
            f"catalogue number {number} cannot be written in a TLE (alpha-5 stops at {ALPHA5_MAX}); "
            "use OMM (JSON, CSV or XML) for it"
        )
    if number < 100000:
        return f"{number:05d}"
    return _ALPHA5_LETTERS[number // 10000 - 10] + f"{number % 10000:04d}"


def check_tle_lines(line1: str, line2: str, where: str = "TLE", where2: str | None = None) -> int:
    """Check the two lines of a TLE and return the catalogue number.

    Checks, in order: line length (69), the line numbers ``1`` and ``2``, both checksums
    (``sgp4.io.verify_checksum``), and that both lines carry the same catalogue number. ``where``
    (and ``where2`` for line 2) name the place for the error message, e.g. ``"micius.tle:4"``.
    """
    where2 = where2 or where
    for text, num, loc in ((line1, "1", where), (line2, "2", where2)):
        if not text.startswith(num + " "):
            raise ElementSetError(
                f"{loc}: expected TLE line {num} (starting '{num} '), got {text[:20]!r}; "
                "check the file holds complete TLEs (optional name line, then line 1, then line 2)"
            )
        if len(text) != TLE_LINE_LENGTH:
            raise ElementSetError(
                f"{loc}: TLE line {num} has {len(text)} characters, a TLE line has "
                f"{TLE_LINE_LENGTH}; check it was not wrapped, truncated or re-spaced"
            )
        try:
            verify_checksum(text)
        except ValueError:
            want = compute_checksum(text)
            raise ElementSetError(
                f"{loc}: TLE line {num} fails its checksum (column 69 is {text[68]!r}, the "
                f"characters give {want}); the line is corrupted: fetch it again "
                "(`passplan elements update`) rather than editing the checksum"
            ) from None
    try:
        n1 = alpha5_to_int(line1[2:7])
        n2 = alpha5_to_int(line2[2:7])
    except ValueError as err:
        raise ElementSetError(f"{where}: {err}") from None
    if n1 != n2:
        raise ElementSetError(
            f"{where2}: line 2 is for catalogue number {n2} but line 1 is for {n1}; "
            "the lines of two different satellites are mixed up"
        )
    check_tle_fields(line1, line2, where, where2)
    return n1


# Line 2 fields with their columns (1-based, inclusive, as in CelesTrak's "NORAD Two-Line Element
# Set Format") and the range each may take: angles in degrees, mean motion in revolutions a day.
_LINE2_FIELDS = (
    ("inclination", 9, 16, 0.0, 180.0, "deg, in [0, 180]"),
    ("right ascension of the ascending node", 18, 25, 0.0, 360.0, "deg, in [0, 360]"),
    ("argument of perigee", 35, 42, 0.0, 360.0, "deg, in [0, 360]"),
    ("mean anomaly", 44, 51, 0.0, 360.0, "deg, in [0, 360]"),
    # above 17 rev/day the orbit (period under 85 min) would lie inside the Earth
    ("mean motion", 53, 63, 1e-8, 17.0, "rev/day, in (0, 17]"),
)


def _field(text: str, first: int, last: int, what: str, loc: str, num: str) -> float:
    raw = text[first - 1 : last]
    try:
        return float(raw)
    except ValueError:
        raise ElementSetError(
            f"{loc}: TLE line {num} columns {first}-{last} ({what}) hold {raw!r}, not a number; "
            "the line is corrupted or not a TLE"
        ) from None


def check_tle_fields(line1: str, line2: str, where: str = "TLE", where2: str | None = None) -> None:
    """Refuse element fields outside the ranges the TLE format allows (a checksum does not catch
    a wrong value written with its matching checksum): the epoch's year and day of year, the
    inclination (0-180 deg), RAAN, argument of perigee and mean anomaly (0-360 deg), the
    eccentricity digits and the mean motion (0-17 rev/day)."""
    where2 = where2 or where
    yy = line1[18:20]
    if not yy.isdigit():
        raise ElementSetError(f"{where}: TLE line 1 columns 19-20 (epoch year) hold {yy!r}; expected two digits")
    year = 1900 + int(yy) if int(yy) >= 57 else 2000 + int(yy)
    day = _field(line1, 21, 32, "epoch day of year", where, "1")
    days_in_year = 366 if calendar.isleap(year) else 365
    if not 1.0 <= day < days_in_year + 1.0:
        raise ElementSetError(
            f"{where}: TLE line 1 epoch day {day:g} is outside 1 to {days_in_year + 1} (exclusive) for "
            f"{year}; columns 21-32 hold the day of the year with its fraction"
        )
    for what, first, last, lo, hi, expected in _LINE2_FIELDS:
        value = _field(line2, first, last, what, where2, "2")
        if not lo <= value <= hi:
            raise ElementSetError(
                f"{where2}: TLE line 2 {what} is {value:g} (columns {first}-{last}); expected {expected}"
            )
    ecc = line2[26:33]
    if not ecc.strip().isdigit():
        raise ElementSetError(
            f"{where2}: TLE line 2 eccentricity (columns 27-33) is {ecc!r}; expected seven digits "
            "after an implied decimal point"
        )


def tle_epoch(line1: str) -> datetime:
    """Epoch of a TLE (columns 19-32: two-digit year, 57-99 = 19xx, and fractional day of year)."""
    yy = int(line1[18:20])
    year = 1900 + yy if yy >= 57 else 2000 + yy
    day = float(line1[20:32])
    epoch = datetime(year, 1, 1, tzinfo=UTC) + timedelta(days=day - 1.0)
    return epoch


_NAME_PREFIX = re.compile(r"^0 ")
_ELEMENT_LINE = re.compile(r"^[12] [ 0-9A-Z]{4}[0-9]")


def parse_tle_text(text: str, source: str = "<text>") -> list[TleRecord]:
    """Split TLE/2LE/3LE text into records, checking every line; errors name ``source:line``.

    Blank lines and lines starting with ``#`` are ignored. A name line (3LE; Space-Track's ``0 NAME``
    form too) is any other line directly followed by a line 1.
    """
    lines = text.splitlines()
    records: list[TleRecord] = []
    pending_name: tuple[str, int] | None = None
    i = 0
    while i < len(lines):
        raw = lines[i].rstrip()
        lineno = i + 1
        if not raw.strip() or raw.lstrip().startswith("#"):
            if pending_name is not None:
                raise ElementSetError(
                    f"{source}:{pending_name[1]}: name line {pending_name[0]!r} is not followed "
                    "by TLE line 1; remove it or add the element lines"
                )
            i += 1
            continue
        if _ELEMENT_LINE.match(raw) and raw[0] == "1":
            if i + 1 >= len(lines) or not _ELEMENT_LINE.match(lines[i + 1]) or lines[i + 1][0] != "2":
                raise ElementSetError(
                    f"{source}:{lineno}: TLE line 1 is not followed by its line 2; "
                    "the file is truncated or a line is missing"
                )
            line2 = lines[i + 1].rstrip()
            check_tle_lines(raw, line2, f"{source}:{lineno}", f"{source}:{lineno + 1}")
            name = pending_name[0] if pending_name else None
            records.append(TleRecord(name, raw, line2, lineno))
            pending_name = None
            i += 2
            continue
        if _ELEMENT_LINE.match(raw) and raw[0] == "2":
            raise ElementSetError(
                f"{source}:{lineno}: TLE line 2 without a line 1 before it; "
                "the file is truncated or a line is missing"
            )
        if pending_name is not None:
            raise ElementSetError(
                f"{source}:{pending_name[1]}: expected TLE line 1 after the name line "
                f"{pending_name[0]!r}, got {raw[:30]!r} on line {lineno}; a TLE line must start with "
                "'1 ' or '2 ' and have 69 characters"
            )
        name = _NAME_PREFIX.sub("", raw.strip()).strip()
        if len(name) > 60:
            raise ElementSetError(
                f"{source}:{lineno}: not a TLE name line or element line: {raw[:30]!r}...; "
                "a TLE line must start with '1 ' or '2 ' and have 69 characters"
            )
        pending_name = (name, lineno)
        i += 1
    if pending_name is not None:
        raise ElementSetError(
            f"{source}:{pending_name[1]}: name line {pending_name[0]!r} is not followed by TLE "
            "line 1; the file is truncated"
        )
    if not records:
        raise ElementSetError(f"{source}: no TLE records found; expected 2- or 3-line element sets")
    return records


def decode_element_bytes(data: bytes, source: str = "<bytes>") -> tuple[str, list[str]]:
    """The text of an element file and any notes about its decoding.

    UTF-8 (with or without a byte-order mark) is the rule. A TLE file whose *name* lines hold
    bytes that are not UTF-8 (an old Latin-1 catalogue, say) is still read: those lines are
    decoded as Latin-1 and a note names them. Element lines must be ASCII; a file with NUL bytes
    or that is not TLE text is refused, naming the file.
    """
    if b"\x00" in data[:65536]:
        raise ElementSetError(f"{source}: a binary file, not text; expected a TLE or OMM (JSON, CSV, XML) file")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    if not any(_ELEMENT_LINE.match(ln.decode("ascii", "replace")) for ln in lines):
        raise ElementSetError(f"{source}: not UTF-8 text; expected a TLE or OMM file saved as UTF-8")
    out, odd = [], []
    for n, raw in enumerate(lines, start=1):
        try:
            out.append(raw.decode("utf-8-sig" if n == 1 else "utf-8"))
            continue
        except UnicodeDecodeError:
            pass
        text = raw.decode("latin-1")
        if _ELEMENT_LINE.match(text) or text[:2] in ("1 ", "2 "):
            raise ElementSetError(
                f"{source}:{n}: TLE line {text[0]} holds bytes that are not text; the line is corrupted: "
                "fetch it again (`passplan elements update`)"
            )
        out.append(text)
        odd.append(n)
    first = out[odd[0] - 1].strip()
    more = f" and {len(odd) - 1} more" if len(odd) > 1 else ""
    note = (
        f"{source}:{odd[0]}{more}: name line {first!r} is not UTF-8; read as Latin-1 "
        "(save the file as UTF-8 to silence this)"
    )
    return "\n".join(out), [note]


# ---------------------------------------------------------------------------------------------
# OMM

_DOY = re.compile(r"^(\d{4})-(\d{3})T(.*)$")


def parse_omm_epoch(text: str, where: str = "OMM") -> datetime:
    """Parse an OMM ``EPOCH`` (UTC) with or without fractional seconds or a trailing ``Z``.

    Accepts calendar (``2023-11-19T19:32:54.927168``) and day-of-year (``2023-323T19:32:54``)
    forms, as CCSDS 502.0-B-3 allows. sgp4's own OMM reader insists on the fraction; this does not.
    """
    s = str(text).strip()
    if s.endswith(("Z", "z")):
        s = s[:-1]
    m = _DOY.match(s)
    try:
        if m:
            base = datetime(int(m.group(1)), 1, 1) + timedelta(days=int(m.group(2)) - 1)
            tod = datetime.fromisoformat("2000-01-01T" + m.group(3)) - datetime(2000, 1, 1)
            value = base + tod
        else:
            value = datetime.fromisoformat(s)
    except ValueError:
        raise ElementSetError(
            f"{where}: EPOCH {text!r} is not an ISO-8601 UTC time; expected e.g. "
            "2023-11-19T19:32:54.927168"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_omm_json(text: str, source: str = "<text>") -> list[OmmRecord]:
    """CelesTrak OMM JSON: a list of objects (or one object) with CCSDS keyword keys."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ElementSetError(
            f"{source}:{err.lineno}: invalid JSON ({err.msg}); expected CelesTrak OMM JSON "
            "(a list of objects with EPOCH, MEAN_MOTION, ...)"
        ) from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        raise ElementSetError(f"{source}: expected a non-empty JSON list of OMM objects")
    out = []
    for k, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise ElementSetError(
                f"{source}: JSON record {k} is {type(item).__name__} {json.dumps(item)[:40]}, not an object; "
                "expected CelesTrak OMM JSON (a list of objects with EPOCH, MEAN_MOTION, ...)"
            )
        out.append(OmmRecord(dict(item), f"record {k}"))
    return out


def parse_omm_csv(text: str, source: str = "<text>") -> list[OmmRecord]:
    """CelesTrak OMM CSV: a header of CCSDS keywords, then one row per element set (comma
    separated; another delimiter, or a row shorter or longer than the header, is named)."""
    header = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    if "," not in header:
        other = next((d for d in (";", "\t", "|") if d in header), None)
        if other is not None:
            shown = {"\t": "tabs"}.get(other, repr(other))
            raise ElementSetError(
                f"{source}:1: the header is separated by {shown}, not commas; OMM CSV (CelesTrak) "
                "uses commas and a decimal point: export it again with commas"
            )
    reader = csv.reader(io.StringIO(text))
    out = []
    try:
        names = [h.strip().lstrip("\ufeff") for h in next(reader, [])]
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(names):
                raise ElementSetError(
                    f"{source}:{line}: the row has {len(cells)} values but the header names "
                    f"{len(names)} columns; check that row (a missing or extra comma?)"
                )
            out.append(OmmRecord({k: v for k, v in zip(names, cells, strict=True) if k}, f"line {line}"))
    except csv.Error as err:
        raise ElementSetError(f"{source}:{reader.line_num}: not CSV ({err})") from None
    if not out:
        raise ElementSetError(f"{source}: no OMM rows found in CSV")
    return out


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_omm_xml(text: str, source: str = "<text>") -> list[OmmRecord]:
    """CCSDS OMM XML (``<ndm><omm>...`` as served by CelesTrak, or a bare ``<omm>``).

    Every leaf element below an ``omm`` element becomes one field (``OBJECT_NAME``, ``EPOCH``,
    ``MEAN_MOTION``, ``NORAD_CAT_ID`` ...); namespaces are ignored.
    """
    try:
        root = ET.fromstring(text)
    except ET.ParseError as err:
        line = err.position[0] if err.position else "?"
        raise ElementSetError(f"{source}:{line}: invalid XML ({err}); expected CCSDS OMM XML") from None
    omms = [el for el in root.iter() if _local(el.tag).lower() == "omm"]
    if not omms:
        raise ElementSetError(f"{source}: no <omm> element found; expected CCSDS OMM XML")
    out = []
    for k, omm in enumerate(omms, start=1):
        fields: dict[str, Any] = {}
        for el in omm.iter():
            if len(el) == 0 and el is not omm and el.text is not None and el.text.strip():
                fields.setdefault(_local(el.tag).upper(), el.text.strip())
        out.append(OmmRecord(fields, f"omm {k}"))
    return out


def parse_omm_kvn(text: str, source: str = "<text>") -> list[OmmRecord]:
    """CCSDS OMM KVN (``KEY = value`` lines); a new message starts at each ``CCSDS_OMM_VERS``."""
    out: list[OmmRecord] = []
    fields: dict[str, Any] = {}
    start = 1
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("COMMENT"):
            continue
        if "=" not in line:
            continue  # META_START, DATA_START ... block markers
        key, _, value = line.partition("=")
        key = key.strip().upper()
        value = re.sub(r"\s*\[.*\]\s*$", "", value.strip())  # drop a trailing [unit]
        if key == "CCSDS_OMM_VERS" and fields:
            out.append(OmmRecord(fields, f"line {start}"))
            fields, start = {}, lineno
        fields[key] = value
    if fields:
        out.append(OmmRecord(fields, f"line {start}"))
    if not out:
        raise ElementSetError(f"{source}: no OMM KVN keywords found")
    return out


_TLE_START = re.compile(r"^1 [ 0-9A-Z]{5}", re.MULTILINE)
_TOML_TABLE = re.compile(r'^\[\[?\s*[A-Za-z_"][\w."\- ]*\]\]?\s*(#.*)?$')


def detect_format(text: str, path: str | Path | None = None) -> str:
    """Guess the format of element-set text: ``tle``, ``omm-json``, ``omm-csv``, ``omm-xml``,
    ``omm-kvn`` or ``toml`` (constellation), from the content first and the suffix second."""
    suffix = Path(path).suffix.lower() if path is not None else ""
    if suffix == ".toml":
        return "toml"
    head = text.lstrip("\ufeff \t\r\n")
    if head.startswith(("[", "{")) and suffix != ".toml":
        if _TOML_TABLE.match(head.splitlines()[0]):
            return "toml"  # a TOML table header such as [constellation]
        return "omm-json"
    if head.startswith("<"):
        return "omm-xml"
    if "CCSDS_OMM_VERS" in head[:2000]:
        return "omm-kvn"
    first = head.splitlines()[0] if head else ""
    if "EPOCH" in first.upper() or "OBJECT_NAME" in first.upper():
        return "omm-csv"  # parse_omm_csv names a delimiter other than the comma
    if _TLE_START.search(text):
        return "tle"
    if suffix in (".json",):
        return "omm-json"
    if suffix in (".csv",):
        return "omm-csv"
    if suffix in (".xml",):
        return "omm-xml"
    if suffix in (".kvn",):
        return "omm-kvn"
    return "tle"


def parse_text(text: str, fmt: str, source: str) -> list[TleRecord] | list[OmmRecord]:
    """Dispatch to the parser for ``fmt`` (as returned by :func:`detect_format`)."""
    if fmt == "tle":
        return parse_tle_text(text, source)
    if fmt == "omm-json":
        return parse_omm_json(text, source)
    if fmt == "omm-csv":
        return parse_omm_csv(text, source)
    if fmt == "omm-xml":
        return parse_omm_xml(text, source)
    if fmt == "omm-kvn":
        return parse_omm_kvn(text, source)
    raise ElementSetError(f"{source}: unsupported element-set format {fmt!r}")
