"""Public writers: passes, key forecasts or any passplan records to a file, atomically.

``write_csv``, ``write_json``, ``write_ndjson`` and ``write_ics`` take what the library returns
(a :class:`~passplan.passes.PassSearch`, a list of :class:`~passplan.passes.Pass` or
:class:`~passplan.forecast.PassForecast`, schedule links, plain record dicts, or a use case's
document: a schedule run, a relay or network result, a coverage study, a constellation design)
and write the same text the CLI's ``--format csv|json|ndjson|ics --output FILE`` writes, through
:mod:`passplan.io`: a temporary file beside the target renamed over it at the end, so a failed
write leaves the old file (or nothing), never half a file. Each returns the path written.

A replaced file keeps its permissions (and, where allowed, its owner); a symbolic link is
written through to its file; a read-only file is refused unless the write runs inside
:func:`passplan.io.replacing_read_only`; a missing folder, a folder, a device or a FIFO is
refused before anything is written (:func:`passplan.io.check_output_path`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import InputError
from .io import atomic_write_text, to_csv, to_json, to_ndjson
from .passes import Pass, passes_to_records
from .times import as_datetime

__all__ = ["as_records", "is_document", "write_csv", "write_json", "write_ndjson", "write_ics"]

PathLike = str | os.PathLike[str]


def is_document(items: Any) -> bool:
    """True for a use case's result (it has ``to_records()`` and ``to_json()``): a
    :class:`~passplan.schedule.run.ScheduleRun`, a relay or network result, a coverage study, a
    constellation design."""
    return (
        not isinstance(items, Mapping)
        and callable(getattr(items, "to_records", None))
        and callable(getattr(items, "to_json", None))
    )


def as_records(items: Iterable[Any]) -> list[Mapping[str, Any]]:
    """The machine-readable records of ``items``: a document's ``to_records()``, dicts as they
    are, passes through :func:`passplan.passes_to_records` (one vectorised step), anything else
    through its ``to_dict()`` (a key forecast gives its pass record plus the key fields, a
    schedule link its link record)."""
    if is_document(items):
        return list(items.to_records())  # type: ignore[attr-defined]
    items = list(items)
    if items and all(type(x) is Pass for x in items):
        return list(passes_to_records(items))
    out: list[Mapping[str, Any]] = []
    for x in items:
        if isinstance(x, Mapping):
            out.append(x)
        elif callable(getattr(x, "to_dict", None)):
            out.append(x.to_dict())
        else:
            raise InputError(
                f"cannot write a {type(x).__name__} as a record; give passes, forecasts, schedule links or dicts"
            )
    return out


def write_csv(items: Iterable[Any], path: PathLike, columns: Sequence[str] | None = None) -> Path:
    """CSV with a header row (columns: ``columns``, else the first record's keys), as
    :func:`passplan.io.to_csv` formats it."""
    return atomic_write_text(path, to_csv(as_records(items), columns))


def write_json(items: Iterable[Any], path: PathLike) -> Path:
    """A JSON list, one record per line (:func:`passplan.io.to_json`); a document writes its own
    ``to_json()`` (the object the CLI's ``--format json`` prints)."""
    if is_document(items):
        return atomic_write_text(path, items.to_json())  # type: ignore[attr-defined]
    return atomic_write_text(path, to_json(as_records(items)))


def write_ndjson(items: Iterable[Any], path: PathLike) -> Path:
    """One JSON record per line (:func:`passplan.io.to_ndjson`)."""
    return atomic_write_text(path, to_ndjson(as_records(items)))


def write_ics(
    items: Iterable[Any],
    path: PathLike,
    *,
    creation_date: datetime | Any | None = None,
    name: str | None = None,
    dtstamp: datetime | Any | None = None,
) -> Path:
    """An iCalendar file (RFC 5545), one event per pass or scheduled link, with UIDs stable
    across re-runs (:mod:`passplan.exports.ics`). ``creation_date`` (an aware datetime or an
    astropy Time; default now) is every event's DTSTAMP: give it for a file that is the same on
    every run (``dtstamp=``: its old name, deprecated). ``name`` is the calendar's name (default ``passplan``; a schedule run's own, ``passplan
    schedule``, as the CLI writes it). A schedule run writes its links from their datetimes."""
    from .errors import renamed_keyword
    from .exports.ics import events_from_records, to_ics

    given = renamed_keyword("creation_date", creation_date, "dtstamp", dtstamp)
    keyword = "dtstamp" if creation_date is None else "creation_date"  # the one the caller wrote
    stamp = None if given is None else as_datetime(given, keyword)
    if callable(getattr(items, "to_ics", None)):
        text = items.to_ics(stamp) if name is None else items.to_ics(stamp, name)  # type: ignore[attr-defined]
        return atomic_write_text(path, text)
    return atomic_write_text(path, to_ics(events_from_records(as_records(items)), stamp, name or "passplan"))
