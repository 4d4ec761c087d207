"""pandas DataFrames of passplan's documents, with the JSON contract's column names and units.

:func:`to_dataframe` takes what the library returns, a pass query
(:class:`~passplan.query.PassQuery`, :class:`~passplan.query.TonightPasses`), pass records,
passes or key forecasts (one row per pass: the records ``passplan passes --key --format json``
writes), a schedule (:class:`~passplan.schedule.run.ScheduleRun`: one row per scheduled link),
a coverage study (:class:`~passplan.coverage.CoverageResult`: one row per cell) or any document
with ``to_records()``, and gives one row per record with the record's keys as columns, in the
record's order and units (``max_el_deg`` in degrees, ``secret_key_bits`` in bits...). The one
difference from the JSON text is the type of the times: the ``*_utc`` columns are timezone-aware
UTC timestamps (the same instants, to the millisecond the JSON strings carry) instead of ISO
strings. Missing values (JSON ``null``) are pandas' missing values: NaN in float columns,
``<NA>`` in integer (``Int64``) and boolean (``boolean``) columns, None in text columns. A
nested field (a pass's ``spread``) stays one column of dicts.

pandas is optional (``pip install 'passplan[data]'``); it is imported on first use.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..errors import InputError

__all__ = ["to_dataframe", "records_frame", "records_of_items", "query_of", "columns_of", "require_pandas", "TIME_SUFFIX", "DATA_EXTRA"]

#: Columns whose name ends so hold UTC instants (ISO strings in JSON, timestamps here).
TIME_SUFFIX = "_utc"
#: The extra that installs pandas and pyarrow.
DATA_EXTRA = "pip install 'passplan[data]'"


def require_pandas() -> Any:
    """The pandas module, or an :class:`~passplan.errors.InputError` naming the extra."""
    try:
        import pandas as pd  # type: ignore[import-untyped]
    except ImportError:
        raise InputError(f"DataFrames need pandas, which is not installed; install it with: {DATA_EXTRA}") from None
    return pd


def columns_of(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """The keys of ``records`` in first-seen order (a record may lack fields others have: an
    excluded pass has no key forecast)."""
    seen: dict[str, None] = {}
    for r in records:
        for k in r:
            if k not in seen:
                seen[k] = None
    return list(seen)


def _kinds(values: Sequence[Any]) -> set[type]:
    return {type(v) for v in values if v is not None}


def _column(pd: Any, name: str, values: list[Any]) -> Any:
    """One column as a pandas Series of the JSON values' type (see the module)."""
    kinds = _kinds(values)
    if name.endswith(TIME_SUFFIX) and kinds <= {str}:
        return pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601")
    if kinds == {bool}:
        return pd.Series(values, dtype="boolean" if None in values else bool)
    if kinds == {int}:
        return pd.Series(values, dtype="Int64" if None in values else "int64")
    if kinds and kinds <= {float, int}:
        return pd.Series([math.nan if v is None else float(v) for v in values], dtype="float64")
    return pd.Series(values, dtype=object)


def records_frame(records: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> Any:
    """A DataFrame of ``records`` (plain JSON-ready dicts): one row each, columns ``columns``
    (default: every key, in first-seen order), typed as the module says."""
    pd = require_pandas()
    cols = list(columns) if columns is not None else columns_of(records)
    data = {c: _column(pd, c, [r.get(c) for r in records]) for c in cols}
    return pd.DataFrame(data, columns=cols, index=pd.RangeIndex(len(records)))


def records_of_items(items: Any) -> list[dict[str, Any]]:
    """The machine-readable records of ``items``: a document's ``to_records()``, dicts as they
    are, passes through :func:`passplan.passes.passes_to_records` (one vectorised step),
    anything else (pass records, key forecasts, schedule links) through its ``to_dict()``."""
    if not isinstance(items, Mapping) and callable(getattr(items, "to_records", None)):
        return [dict(r) for r in items.to_records()]
    from ..passes import Pass, passes_to_records

    rows = list(items)
    if rows and all(type(x) is Pass for x in rows):
        return passes_to_records(rows)
    out: list[dict[str, Any]] = []
    for x in rows:
        if isinstance(x, Mapping):
            out.append(dict(x))
        elif callable(getattr(x, "to_dict", None)):
            out.append(x.to_dict())
        else:
            raise InputError(
                f"cannot make a record of a {type(x).__name__}; give passes, forecasts, schedule links or dicts"
            )
    return out


def _is_coverage(items: Any) -> bool:
    """A coverage study (:class:`~passplan.coverage.CoverageResult`): cell centres, a grid and
    metric arrays."""
    return all(hasattr(items, k) for k in ("grid", "lat_deg", "lon_deg", "metrics")) and isinstance(items.metrics, dict)


def _coverage_frame(result: Any) -> Any:
    """The cells of a coverage study from its arrays (vectorised): centres rounded to 1e-6 deg
    and metrics to 1e-4 as :meth:`~passplan.coverage.CoverageResult.to_records` rounds them,
    in its order (the metrics' own)."""
    import numpy as np

    pd = require_pandas()
    data: dict[str, Any] = {
        "lat_deg": np.round(np.asarray(result.lat_deg, float), 6),
        "lon_deg": np.round(np.asarray(result.lon_deg, float), 6),
    }
    for k, values in result.metrics.items():
        v = np.round(np.asarray(values, float), 4)
        data[k] = np.where(np.isfinite(v), v, np.nan)
    return pd.DataFrame(data)


def query_of(items: Any) -> Any | None:
    """The pass query behind ``items`` (a :class:`~passplan.query.PassQuery`, or the ``query``
    of :class:`~passplan.query.TonightPasses`), None for anything else."""
    if hasattr(items, "night") and hasattr(items, "query"):
        items = items.query
    return items if callable(getattr(items, "record_blocks", None)) else None


def to_dataframe(items: Any) -> Any:
    """A pandas DataFrame of ``items`` (see the module): a pass query (searched now, block by
    block), tonight's passes, a schedule run, a coverage study, a track, any document with
    ``to_records()``, or a sequence of passes, pass records, key forecasts, schedule links or
    dicts."""
    query = query_of(items)
    if query is not None:
        return records_frame([rec for block in query.record_blocks() for rec in block])
    if _is_coverage(items):
        return _coverage_frame(items)
    return records_frame(records_of_items(items))
