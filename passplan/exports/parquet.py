"""Apache Parquet of passplan's record tables, written block by block with bounded memory.

:func:`write_parquet` takes what the library returns (a pass query, tonight's passes, a schedule
run, a coverage study, any document with ``to_records()``, or records) and writes one Parquet
file through pyarrow's ``ParquetWriter``: the columns and units of the JSON, NDJSON and CSV
records (same names, same order), one row per record. A pass query is written as it is searched:
each block of records becomes an Arrow table at once, and a row group is written whenever
``row_group_rows`` rows are waiting, so a week of 1,000 satellites x 50 stations needs the memory
of one row group, not of the week.

Types: the ``*_utc`` columns are ``timestamp[ms, tz=UTC]`` (the instants of the JSON's ISO
strings, to the millisecond those carry); known numeric columns are ``double`` (``norad_id``,
``draws`` and ``seed`` ``int64``), flags ``bool``, names ``string`` (dictionary-encoded by
pyarrow), a forecast's ``spread`` a ``struct`` of its JSON fields; JSON ``null`` is Parquet
null. Compression is zstd. The file is written atomically (:func:`passplan.io.atomic_open`).

pyarrow is optional (``pip install 'passplan[data]'``); it is imported on first use.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError
from .frames import DATA_EXTRA, TIME_SUFFIX, columns_of, query_of, records_of_items

__all__ = [
    "write_parquet",
    "ParquetStream",
    "arrow_schema",
    "records_table",
    "require_pyarrow",
    "ROW_GROUP_ROWS",
    "PASS_COLUMNS",
    "KEY_COLUMNS",
    "LINK_COLUMNS",
]

#: Rows per row group (and the most rows held before one is written): about 10 MB of Arrow
#: columns for pass records.
ROW_GROUP_ROWS = 65536

#: The columns of a pass record (:func:`passplan.passes.passes_to_records`, in its order).
PASS_COLUMNS = (
    "uid", "satellite", "norad_id", "station", "aos_utc", "tca_utc", "los_utc", "duration_s", "max_el_deg",
    "aos_az_deg", "tca_az_deg", "los_az_deg", "min_range_km", "sat_sunlit_fraction", "station_dark", "partial",
    "rise_utc", "set_utc", "cut_start_by", "cut_end_by", "excluded_by", "elements_epoch_utc", "elements_age_days",
    "station_dark_fraction",
)
#: The key forecast's columns (:meth:`passplan.forecast.PassForecast.key_fields`, in its order;
#: ``spread`` only with a spread).
KEY_COLUMNS = (
    "profile", "protocol", "secret_key_bits", "key_window_s", "key_qber_x", "key_sifted_bits", "key_qber",
    "key_analysis", "key_limiting", "min_loss_db", "max_loss_db", "mean_background_prob_per_gate",
)
#: The columns of a scheduled link (:func:`passplan.schedule.model.candidate_record`, the
#: ``links`` of a schedule's JSON, in its order): a schedule with no link still gets them.
LINK_COLUMNS = ("station", "satellite", "pass_uid", "start_utc", "end_utc", "key_bits", "expected_key_bits", "handover")
_TEXT = ("uid", "satellite", "station", "cut_start_by", "cut_end_by", "excluded_by", "profile", "protocol",
         "key_analysis", "key_limiting", "pass_uid")
_INTS = ("norad_id", "draws", "seed")
_FLAGS = ("station_dark", "partial", "handover")


def require_pyarrow() -> Any:
    """The pyarrow module, or an :class:`~passplan.errors.InputError` naming the extra."""
    try:
        import pyarrow as pa  # type: ignore[import-untyped]
        import pyarrow.parquet  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        raise InputError(f"Parquet needs pyarrow, which is not installed; install it with: {DATA_EXTRA}") from None
    return pa


def _known_type(pa: Any, name: str) -> Any | None:
    """The Arrow type of a column passplan writes, by its name (None: not known)."""
    if name.endswith(TIME_SUFFIX):
        return pa.timestamp("ms", tz="UTC")
    if name in _TEXT:
        return pa.string()
    if name in _INTS:
        return pa.int64()
    if name in _FLAGS:
        return pa.bool_()
    if name == "spread":
        return pa.struct([
            ("p10_bits", pa.float64()), ("p50_bits", pa.float64()), ("p90_bits", pa.float64()),
            ("mean_bits", pa.float64()), ("draws", pa.int64()), ("seed", pa.int64()), ("model", pa.string()),
            ("clear_sky_probability", pa.float64()),
        ])
    if name in PASS_COLUMNS or name in KEY_COLUMNS or name.endswith(
        ("_deg", "_s", "_km", "_bits", "_h", "_per_day", "_db", "_fraction", "_days")
    ):
        return pa.float64()
    return None


def arrow_schema(columns: Sequence[str], sample: Sequence[Mapping[str, Any]] = ()) -> Any:
    """The Arrow schema of records with ``columns``: each known column's type (see the module),
    any other column's type as pyarrow infers it from ``sample`` (text when all are null)."""
    pa = require_pyarrow()
    fields = []
    for c in columns:
        t = _known_type(pa, c)
        if t is None:
            t = pa.array([r.get(c) for r in sample]).type if sample else pa.null()
            if pa.types.is_null(t):
                t = pa.string()
        fields.append(pa.field(c, t))
    return pa.schema(fields)


def _value_columns(records: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]] | None:
    """The records' values column by column when they come straight from the pass engine's
    arrays (:class:`passplan.passes.columns.ColumnRecords`): no dict per record is built."""
    cols = getattr(records, "cols", None)
    make = getattr(cols, "_record_columns", None)
    if make is None or getattr(cols, "objects", None) is not None:
        return None
    keys, values = make()
    return dict(zip(keys, values, strict=True))


def records_table(records: Sequence[Mapping[str, Any]], schema: Any) -> Any:
    """An Arrow table of ``records`` in ``schema`` (ISO ``Z`` strings parsed into timestamps)."""
    pa = require_pyarrow()
    by_column = _value_columns(records)
    arrays = []
    for f in schema:
        if by_column is not None:
            values = by_column.get(f.name, [None] * len(records))
        else:
            values = [r.get(f.name) for r in records]
        try:
            if pa.types.is_timestamp(f.type):
                arr = pa.array(values, pa.string()).cast(f.type)
            else:
                arr = pa.array(values, f.type)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
            raise InputError(f"column {f.name!r} does not hold {f.type} values ({err}); give records of one type per column") from None
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, schema=schema)


class ParquetStream:
    """A Parquet file written block by block (a context manager around pyarrow's
    ``ParquetWriter`` on an atomically replaced file).

    :meth:`write` takes one block of records; the columns are ``columns``, else those of the
    first block (every key, in first-seen order); a later block with a column the file does not
    have is refused. Rows wait as Arrow tables until ``row_group_rows`` of them are there, then
    go out as one row group; :meth:`close` writes the rest (and the footer). ``row_groups``
    counts the row groups written, ``rows`` the rows."""

    def __init__(
        self, stream: Any, columns: Sequence[str] | None = None, *, row_group_rows: int = ROW_GROUP_ROWS,
        compression: str = "zstd",
    ) -> None:
        if isinstance(row_group_rows, bool) or not isinstance(row_group_rows, int) or row_group_rows < 1:
            raise InputError(f"row_group_rows {row_group_rows!r}: give a whole number of rows, at least 1")
        self.pa = require_pyarrow()
        self.stream = stream
        self.columns = list(columns) if columns is not None else None
        self.row_group_rows = row_group_rows
        self.compression = compression
        self.schema: Any = None
        self._writer: Any = None
        self._waiting: list[Any] = []
        self._waiting_rows = 0
        self.rows = 0
        self.row_groups = 0
        self.most_rows_held = 0

    def _open(self, block: Sequence[Mapping[str, Any]]) -> None:
        import pyarrow.parquet as pq

        cols = self.columns if self.columns is not None else columns_of(block)
        self.columns = list(cols)
        self.schema = arrow_schema(self.columns, block)
        self._writer = pq.ParquetWriter(self.stream, self.schema, compression=self.compression)

    def write(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Add one block of records."""
        if not len(records):
            return
        if self._writer is None:
            self._open(records)
        assert self.columns is not None
        extra = [k for k in columns_of(records) if k not in self.schema.names]
        if extra:
            raise InputError(
                f"records gained column(s) {', '.join(extra)} after the first block; give columns= with every column"
            )
        table = records_table(records, self.schema)
        self._waiting.append(table)
        self._waiting_rows += table.num_rows
        self.most_rows_held = max(self.most_rows_held, self._waiting_rows)
        if self._waiting_rows >= self.row_group_rows:
            self._flush(whole_groups_only=True)

    def _flush(self, whole_groups_only: bool) -> None:
        if not self._waiting_rows:
            return
        table = self.pa.concat_tables(self._waiting)
        n = table.num_rows
        take = (n // self.row_group_rows) * self.row_group_rows if whole_groups_only else n
        for lo in range(0, take, self.row_group_rows):
            part = table.slice(lo, min(self.row_group_rows, take - lo))
            self._writer.write_table(part, row_group_size=self.row_group_rows)
            self.row_groups += 1
            self.rows += part.num_rows
        rest = table.slice(take)
        self._waiting = [rest] if rest.num_rows else []
        self._waiting_rows = rest.num_rows

    def close(self) -> None:
        """Write the waiting rows and the footer (a file with no records gets the columns given,
        with no rows)."""
        if self._writer is None:
            import pyarrow.parquet as pq

            self.schema = arrow_schema(self.columns or [])
            self._writer = pq.ParquetWriter(self.stream, self.schema, compression=self.compression)
        self._flush(whole_groups_only=False)
        self._writer.close()

    def __enter__(self) -> ParquetStream:
        return self

    def __exit__(self, kind: Any, *rest: Any) -> None:
        if kind is None:
            self.close()
        elif self._writer is not None:
            self._writer.close()  # the file is discarded by the caller (atomic write)


def _blocks(
    items: Any, on_batch: Callable[[list[Any]], None] | None = None
) -> tuple[Iterator[Sequence[Mapping[str, Any]]], list[str] | None]:
    """The record blocks of ``items`` and the columns known before the first block."""
    query = query_of(items)
    if query is not None:
        cols = list(PASS_COLUMNS) + (list(KEY_COLUMNS) if query.key else [])
        return iter(query.record_blocks(on_batch=on_batch)), cols
    if callable(getattr(getattr(items, "plan", None), "to_records", None)):  # a schedule run: its links
        return iter([records_of_items(items)]), list(LINK_COLUMNS)
    if isinstance(items, Iterator):
        first = next(items, None)
        if first is not None and isinstance(first, Sequence) and not isinstance(first, Mapping):
            # an iterator of record blocks (passplan.query.PassQuery.record_blocks)
            def chain() -> Iterator[Sequence[Mapping[str, Any]]]:
                yield first
                yield from items

            return chain(), None
        items = [] if first is None else [first, *items]
    return iter([records_of_items(items)]), None


def _columns_for(known: list[str] | None, first: Sequence[Mapping[str, Any]]) -> list[str] | None:
    """The file's columns: the first block's keys in order, then the known columns it lacks (a
    key query whose first records are excluded passes still gets the key columns)."""
    if known is None:
        return None
    cols = columns_of(first)
    return cols + [c for c in known if c not in cols]


def write_parquet(
    items: Iterable[Any] | Any,
    path: str | os.PathLike[str],
    *,
    row_group_rows: int = ROW_GROUP_ROWS,
    columns: Sequence[str] | None = None,
    on_batch: Callable[[list[Any]], None] | None = None,
) -> Path:
    """Write ``items`` (see the module) to the Parquet file ``path``, atomically, block by block;
    returns the path. ``columns`` fixes the columns (default: the records' keys in order);
    ``on_batch`` sees each batch of a pass query's :class:`~passplan.query.PassRecord`."""
    from ..io import atomic_open, check_output_path

    check_output_path(path)
    require_pyarrow()
    blocks, known = _blocks(items, on_batch)
    first = next(blocks, None)
    cols = list(columns) if columns is not None else (_columns_for(known, first) if first is not None else known)
    with atomic_open(path, "wb") as fh, ParquetStream(fh, cols, row_group_rows=row_group_rows) as out:
        if first is not None:
            out.write(first)
        for block in blocks:
            out.write(block)
    return Path(path)
