"""Writing records: CSV, JSON, NDJSON and plain-text tables; atomic file writes.

The library never prints. These functions return strings (or write files atomically: a temporary
file in the same folder, then ``os.replace``), so a failed run leaves nothing half-written.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["atomic_write_text", "atomic_write_bytes", "to_csv", "to_json", "to_ndjson", "to_table", "FORMATS"]

FORMATS = ("table", "csv", "json", "ndjson")


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then rename)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the usual permissions
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "tolist") and getattr(value, "ndim", 0) > 0:  # numpy array
        return _jsonable(value.tolist())
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return _jsonable(value.item())
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist"):
        return _jsonable(value.tolist())
    return value


def to_json(records: Any, indent: int | None = 2) -> str:
    """JSON text; NaN and infinities become ``null``; numpy values become plain numbers."""
    return json.dumps(_jsonable(records), indent=indent, allow_nan=False) + "\n"


def to_ndjson(records: Sequence[Mapping[str, Any]]) -> str:
    """One JSON object per line."""
    return "".join(json.dumps(_jsonable(r), allow_nan=False) + "\n" for r in records)


def _cell(value: Any) -> str:
    value = _jsonable(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


def to_csv(records: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """CSV with a header row; columns default to the keys of the first record."""
    if columns is None:
        columns = list(records[0].keys()) if records else []
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for r in records:
        writer.writerow([_cell(r.get(c)) for c in columns])
    return buf.getvalue()


def to_table(rows: Sequence[Sequence[Any]], header: Sequence[str], align: str | None = None) -> str:
    """A plain monospace table. ``align`` has one of ``l``/``r`` per column (default: numbers right)."""
    text_rows = [[_cell(v) if not isinstance(v, str) else v for v in row] for row in rows]
    widths = [len(h) for h in header]
    for row in text_rows:
        for i, v in enumerate(row):
            widths[i] = max(widths[i], len(v))
    if align is None:
        align = "".join(
            "r" if rows and isinstance(rows[0][i], int | float) and not isinstance(rows[0][i], bool) else "l"
            for i in range(len(header))
        )

    def fmt(row: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if a == "r" else v.ljust(w) for v, w, a in zip(row, widths, align, strict=True)).rstrip()

    lines = [fmt(list(header)), "  ".join("-" * w for w in widths)]
    lines += [fmt(r) for r in text_rows]
    return "\n".join(lines) + "\n"
