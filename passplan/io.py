"""Writing records: CSV, JSON, NDJSON and plain-text tables; atomic file writes.

The library never prints. These functions return strings, or write to a text stream block by
block (:class:`RecordWriter`), or write files atomically (:func:`atomic_open`: a temporary file
in the same folder, renamed over the target at the end), so a failed run leaves nothing
half-written.

Records are plain dicts of ``str``, ``int``, ``float``, ``bool``, ``None`` and lists, made once
where the records are built. JSON goes through the standard library's C encoder
(``json.dumps`` without ``indent``): one record per line, inside a list for ``json``. NaN and
infinities become ``null``, and numpy values become plain numbers, only on the rare record that
holds them (the encoder refuses such a record and that one record alone is converted).
"""

from __future__ import annotations

import contextlib
import csv
import errno
import json
import math
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any, TypeVar

from .errors import InputError

__all__ = [
    "atomic_open",
    "check_output_folder",
    "check_output_path",
    "replacing_read_only",
    "atomic_write_text",
    "atomic_write_bytes",
    "RecordWriter",
    "to_csv",
    "to_json",
    "to_ndjson",
    "to_table",
]


#: How a refusal of a read-only file names the way round it (the CLI says ``--force`` instead).
FORCE_HINT = "give force=True (or write inside passplan.io.replacing_read_only())"

#: Whether :func:`atomic_open` may replace a read-only file (see :func:`replacing_read_only`).
_REPLACE_READ_ONLY: ContextVar[bool] = ContextVar("passplan_replace_read_only", default=False)

#: Write errors that say the disk (not the program) failed: reported as one clear line.
_DISK_ERRNOS = frozenset(
    getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EFBIG", "EIO", "EROFS", "ENAMETOOLONG")
    if hasattr(errno, name)
)


@contextlib.contextmanager
def replacing_read_only(allow: bool = True) -> Iterator[None]:
    """Inside the block, :func:`atomic_open` (and every writer built on it) replaces a read-only
    file when ``allow`` (its permissions are kept) instead of refusing it; the CLI's ``--force``."""
    token = _REPLACE_READ_ONLY.set(allow)
    try:
        yield
    finally:
        _REPLACE_READ_ONLY.reset(token)


def _write_error(target: Path, err: OSError) -> InputError:
    reason = err.strerror or str(err)
    fix = {
        errno.ENOSPC: "free some space or write elsewhere",
        errno.EROFS: "write elsewhere",
        errno.ENAMETOOLONG: "give a shorter name",
    }.get(err.errno or 0, "check the disk or write elsewhere")
    return InputError(f"cannot write {target}: {reason}; {fix}")


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike[str], mode: str = "w", *, force: bool | None = None
) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` for writing (``"w"`` text as UTF-8, or ``"wb"``);
    on a clean exit it is flushed, synced and renamed over ``path``; on any error (an exception,
    ``KeyboardInterrupt``, ``SystemExit``) it is removed, so ``path`` is either the old file or
    the whole new one.

    The path is checked first (:func:`check_output_path`): a symbolic link is written through
    to the file it names; a read-only file is refused unless ``force`` (default: inside
    :func:`replacing_read_only`). A replaced file keeps its permission bits and, where the
    system allows, its owner and group; a new one gets the usual ``0666`` less the umask. A
    full disk or a read-only file system is an :class:`InputError` naming ``path``."""
    import tempfile  # here, not at the top: `passplan --help` has no use for it

    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open mode must be 'w' or 'wb', got {mode!r}")
    target = Path(path)
    real = check_output_path(target, force=force)
    try:
        old: os.stat_result | None = os.stat(real)
    except FileNotFoundError:
        old = None
    # a short prefix: the temporary name must fit the folder's name limit as the target does
    prefix = f".{real.name[:64]}."
    try:
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".part", dir=real.parent)
    except OSError as err:
        raise InputError(f"cannot write {target}: {err.strerror or err}") from None
    try:
        if old is None:
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(fd, 0o666 & ~umask)  # mkstemp creates 0600; give the usual permissions
        else:
            os.fchmod(fd, stat.S_IMODE(old.st_mode))  # a replaced file keeps its permissions
            if (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
                with contextlib.suppress(OSError):  # only root may give a file away
                    os.fchown(fd, old.st_uid, old.st_gid)
        opened: IO[Any] = (
            os.fdopen(fd, mode, encoding="utf-8", newline="") if mode == "w" else os.fdopen(fd, mode)
        )
        try:
            with opened as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, real)
        except OSError as err:  # the write's own failure (no other file named), not the caller's
            if err.errno in _DISK_ERRNOS and err.filename in (None, tmp):
                raise _write_error(target, err) from None
            raise
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _name_max(folder: Path) -> int:
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError):
        return 255


def check_output_path(target: str | os.PathLike[str], *, force: bool | None = None) -> Path:
    """Check an output path before any work and return the file to write: ``target`` itself,
    or the file a symbolic link names (written through, the link kept).

    Refused, each with an :class:`InputError` naming the path given and the fix: an empty path
    or a folder; a missing folder (never created); a device, FIFO or socket (``-`` for standard
    output is the caller's business); a link to a missing file; a name longer than the folder
    allows; a folder that is not writable or on a read-only file system; and a read-only file
    (no write permission for its owner, or none for this process) unless ``force`` (default:
    inside :func:`replacing_read_only`)."""
    target = Path(target)
    if str(target) in ("", "."):
        raise InputError("the output path is empty (or '.'), the current folder; give a file name")
    try:
        return _check_output_path(target, force)
    except OSError as err:  # a name too long for the system, a loop of links ...
        raise InputError(f"cannot write {target}: {err.strerror or err}; give another path") from None


def _name_too_long(target: Path, name: str, folder: Path) -> InputError | None:
    limit = _name_max(folder)
    size = len(os.fsencode(name))
    if size <= limit:
        return None
    return InputError(
        f"cannot write {target}: the file name is {size} bytes, longer than the {limit} its folder "
        "allows; give a shorter name"
    )


def _check_output_path(target: Path, force: bool | None) -> Path:
    if target.parent.is_dir() and (err := _name_too_long(target, target.name, target.parent)):
        raise err
    real = target
    if target.is_symlink():
        real = Path(os.path.realpath(target))
        if not real.exists():
            raise InputError(
                f"{target} is a symbolic link to {os.readlink(target)}, which does not exist; "
                "create it or give the file itself"
            )
    parent = real.parent
    if not parent.is_dir():
        raise InputError(f"cannot write {target}: the folder {parent} does not exist; create it first")
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise InputError(f"{target} is a folder; give a file name")
    if st is not None and not stat.S_ISREG(st.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "a device"
        raise InputError(f"{target} is {kind}, not a regular file; give a file name (or - for standard output)")
    if err := _name_too_long(target, real.name, parent):
        raise err
    with contextlib.suppress(OSError, AttributeError):
        if os.statvfs(parent).f_flag & os.ST_RDONLY:
            raise InputError(f"cannot write {target}: the folder {parent} is on a read-only file system; write elsewhere")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"cannot write {target}: the folder {parent} is not writable (permission denied); write elsewhere")
    if st is not None and (not st.st_mode & stat.S_IWUSR or not os.access(real, os.W_OK)):
        allowed = _REPLACE_READ_ONLY.get() if force is None else force
        if not allowed:
            raise InputError(
                f"{target} is read-only (mode {stat.S_IMODE(st.st_mode):04o}); to replace it (its permissions "
                f"are kept) {FORCE_HINT}, or give another name"
            )
    return real


def check_output_folder(folder: str | os.PathLike[str]) -> Path:
    """Check, before any work, a folder that files will be written into (created if new, with
    its parents): refused if it names something other than a folder, or if the folder, or the
    nearest existing one above a new folder, is not writable or on a read-only file system."""
    folder = Path(folder)
    if str(folder) == "":
        raise InputError("the folder path is empty; give a folder (it is created if new)")
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is a file, not a folder; give a folder (it is created if new)")
    base = folder
    while not base.exists():
        if base.is_symlink():
            raise InputError(f"{folder}: {base} is a symbolic link to nothing; give a folder")
        if base.parent == base:
            break
        base = base.parent
    if not base.is_dir():
        raise InputError(f"{folder}: {base} is a file, not a folder; give a folder (it is created if new)")
    with contextlib.suppress(OSError, AttributeError):
        if os.statvfs(base).f_flag & os.ST_RDONLY:
            raise InputError(f"cannot write into {folder}: {base} is on a read-only file system; write elsewhere")
    if not os.access(base, os.W_OK | os.X_OK):
        raise InputError(f"cannot write into {folder}: the folder {base} is not writable (permission denied); write elsewhere")
    return folder


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then rename)."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


# ---------------------------------------------------------------------------------------------
# JSON


def _plain(value: Any) -> Any:
    """``value`` with numpy values as plain Python and non-finite floats as ``None`` (the slow
    path, for a record the C encoder refused)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):  # numpy array or scalar
        return _plain(value.tolist())
    return value


def _numpy_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _make_encoder() -> Callable[[Any], str]:
    """The standard library's C encoder, made once and reused for every record (what
    ``json.dumps`` builds on each call); ``JSONEncoder.encode`` where the C speed-ups are absent."""
    from json import encoder

    make: Any = getattr(encoder, "c_make_encoder", None)  # the C speed-up (not in the type stubs)
    if make is None:  # pragma: no cover - CPython always has it
        return json.JSONEncoder(allow_nan=False, default=_numpy_default).encode
    c_encode = make(
        None, _numpy_default, encoder.encode_basestring_ascii, None, ": ", ", ", False, False, False
    )

    def encode(value: Any) -> str:
        return "".join(c_encode(value, 0))

    return encode


_ENCODE = _make_encoder()


def _dumps(value: Any) -> str:
    """Compact JSON of ``value`` through the C encoder; ``_plain`` only if it holds a NaN."""
    try:
        return _ENCODE(value)
    except ValueError:  # NaN or infinity somewhere in this value
        return _ENCODE(_plain(value))


def to_json(records: Any) -> str:
    """JSON text: a list of records as ``[``, one record per line, ``]``; any other value on one
    line. NaN and infinities become ``null``; numpy values become plain numbers."""
    if isinstance(records, list | tuple):
        if not records:
            return "[]\n"
        return "[\n" + ",\n".join(map(_dumps, records)) + "\n]\n"
    return _dumps(records) + "\n"


def to_ndjson(records: Iterable[Mapping[str, Any]]) -> str:
    """One JSON object per line."""
    return "".join(_dumps(r) + "\n" for r in records)


# ---------------------------------------------------------------------------------------------
# CSV


def _cell(value: Any) -> str:
    """One CSV or table cell for a value of any type (the general path)."""
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


_G6 = "%.6g".__mod__


def _float_cells(col: list[Any]) -> list[str]:
    if None not in col and all(map(math.isfinite, col)):
        return list(map(_G6, col))
    return ["" if v is None or not math.isfinite(v) else _G6(v) for v in col]


def _str_cells(col: list[Any]) -> list[str]:
    return ["" if v is None else v for v in col]


def _int_cells(col: list[Any]) -> list[str]:
    return ["" if v is None else str(v) for v in col]


def _bool_cells(col: list[Any]) -> list[str]:
    return ["" if v is None else ("true" if v else "false") for v in col]


_NONE = type(None)
_COLUMN_CELLS = {
    frozenset({float}): _float_cells,
    frozenset({float, _NONE}): _float_cells,
    frozenset({str}): _str_cells,
    frozenset({str, _NONE}): _str_cells,
    frozenset({int}): _int_cells,
    frozenset({int, _NONE}): _int_cells,
    frozenset({bool}): _bool_cells,
    frozenset({bool, _NONE}): _bool_cells,
    frozenset({_NONE}): _str_cells,
}


def _column_cells(col: list[Any]) -> list[str]:
    """The cells of one column: one formatter for the whole column by its value types (exact
    types: ``bool`` is not taken for ``int``), the general :func:`_cell` only for mixed ones."""
    cells = _COLUMN_CELLS.get(frozenset(map(type, col)))
    return cells(col) if cells is not None else [_cell(v) for v in col]


def _csv_rows(records: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> Iterable[Sequence[str]]:
    # records that hold their values by column (passplan.passes.columns.ColumnRecords) skip
    # building dicts; the values, and so the cells, are the records' own (tested)
    compose = getattr(records, "record_columns", None)
    by_key = compose() if compose is not None else None
    if by_key is not None and all(c in by_key for c in columns):
        cols = [_column_cells(by_key[c]) for c in columns]
    else:
        cols = [_column_cells([r.get(c) for r in records]) for c in columns]
    return zip(*cols, strict=True) if cols else ([] for _ in records)


def to_csv(records: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """CSV with a header row; columns default to the keys of the first record. Floats have six
    significant digits, booleans are ``true``/``false``, missing values and NaN are empty."""
    import io

    if columns is None:
        columns = list(records[0].keys()) if records else []
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(_csv_rows(records, columns))
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# Streams


class RecordWriter:
    """Write records to a text stream in ``csv``, ``json`` or ``ndjson``, block by block.

    The text is the same however the records are split into blocks: ``write(a); write(b)``
    gives what ``to_json(a + b)`` (or ``to_csv``, ``to_ndjson``) gives. CSV columns are the keys
    of the first record written. Call :meth:`close` once at the end (it writes the JSON ``]``,
    or the whole text of an empty output).
    """

    def __init__(self, stream: IO[str], fmt: str, columns: Sequence[str] | None = None) -> None:
        if fmt not in ("csv", "json", "ndjson"):
            raise ValueError(f"RecordWriter format must be csv, json or ndjson, got {fmt!r}")
        self.stream = stream
        self.fmt = fmt
        self.columns = list(columns) if columns is not None else None
        self.count = 0
        self._csv = csv.writer(stream, lineterminator="\n") if fmt == "csv" else None

    def write(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Write one block of records."""
        if not records:
            return
        if self.fmt in ("ndjson", "json"):
            # records that can give their own JSON text (passplan.passes.columns.ColumnRecords)
            # skip building dicts; the text is the encoder's, byte for byte (tested)
            sep = "\n" if self.fmt == "ndjson" else ",\n"
            lead = "" if self.fmt == "ndjson" else "[\n" if self.count == 0 else ",\n"
            # the block's text at once, in consecutive parts (or whole), written in turn
            in_parts = getattr(records, "json_parts", None)
            whole = getattr(records, "json_text", None)
            parts: list[str] | None = None
            if in_parts is not None:
                parts = in_parts(sep)
            elif whole is not None:
                text = whole(sep)
                parts = None if text is None else [text]
            if parts is None:
                compose = getattr(records, "json_lines", None)
                lines = compose() if compose is not None else None
                if lines is None:
                    lines = list(map(_dumps, records))
                parts = [sep.join(lines)]
            self.stream.write(lead)
            for part in parts:
                self.stream.write(part)
            if self.fmt == "ndjson":
                self.stream.write(sep)
        else:
            assert self._csv is not None
            if self.count == 0:
                if self.columns is None:
                    keys = getattr(records, "record_keys", None)  # known without building a record
                    self.columns = list(keys()) if keys is not None else list(records[0].keys())
                self._csv.writerow(self.columns)
            # records that can give their own CSV text (ColumnRecords): the csv module's, byte
            # for byte (tested)
            whole = getattr(records, "csv_text", None)
            text = whole(self.columns) if whole is not None and self.columns else None
            if text is None:
                self._csv.writerows(_csv_rows(records, self.columns or []))
            else:
                self.stream.write(text)
        self.count += len(records)

    def close(self) -> None:
        """Finish the output (the stream itself stays open)."""
        if self.fmt == "json":
            self.stream.write("[]\n" if self.count == 0 else "\n]\n")
        elif self.fmt == "csv" and self.count == 0:
            assert self._csv is not None
            self._csv.writerow(self.columns or [])
        self.stream.flush()


# ---------------------------------------------------------------------------------------------
# Tables


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


# ---------------------------------------------------------------------------------------------
# Input files read once per version

_T = TypeVar("_T")


def read_once(path: Path, cache: dict[tuple[str, int, int], _T], build: Callable[[Path], _T], limit: int = 64) -> _T:
    """``build(path)``, remembered in ``cache`` by the file's resolved path, ``st_mtime_ns`` and
    ``st_size``: a run reads each file once, and an edited file is read again. A file that cannot
    be stat-ed is built every time (``build`` reports the problem); the cache keeps the newest
    ``limit`` entries."""
    try:
        st = path.stat()
        memo: tuple[str, int, int] | None = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    except OSError:
        memo = None
    if memo is not None and memo in cache:
        return cache[memo]
    value = build(path)
    if memo is not None:
        cache[memo] = value
        while len(cache) > limit:
            cache.pop(next(iter(cache)))
    return value
