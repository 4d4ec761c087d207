"""Astropy at the edge: quantities in, tables with units out, never a download.

Observatory scripts hold values as ``astropy.units.Quantity`` and times as
``astropy.time.Time``. passplan's cores work in plain floats with the unit in the name
(``min_elevation_deg``, ``max_range_km``); this module is the seam:

- :func:`as_value` turns a number or a Quantity into a plain float in the unit a name carries
  (``30 * u.deg`` or ``0.5236 * u.rad`` -> ``30.0`` for a ``_deg`` argument; a wrong dimension
  is an :class:`~passplan.errors.InputError`). Times go through :func:`passplan.times.as_datetime`.
- :func:`passes_table`, :func:`forecasts_table` and :func:`records_table` give passes, key
  forecasts or any passplan records as an ``astropy.table.QTable``: each ``*_utc`` field a
  ``Time`` column (UTC) named without the suffix, each unit-suffixed number a Quantity column
  named without its suffix (``max_el_deg`` -> ``max_el`` in deg, ``duration_s`` -> ``duration``
  in s, ``secret_key_bits`` -> ``secret_key`` in bit, ``min_loss_db`` -> ``min_loss`` in dB),
  everything else as it is (missing values masked).

astropy is an optional dependency (``pip install passplan[astro]``), imported only inside these
functions: importing this module, or passplan, or running any CLI command loads none of it.
When passplan itself imports astropy it switches IERS auto-download off
(``astropy.utils.iers.conf.auto_download = False``): passplan never touches the network, and a
UTC table needs no Earth-orientation data anyway.
"""

from __future__ import annotations

import numbers
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .errors import InputError

if TYPE_CHECKING:
    from astropy.table import QTable  # type: ignore[import-untyped]

__all__ = ["as_value", "passes_table", "forecasts_table", "records_table", "UNIT_SUFFIXES"]

#: Field-name suffix -> astropy unit of the records' numbers (the house's names carry units).
UNIT_SUFFIXES: dict[str, str] = {
    "_deg": "deg",
    "_rad": "rad",
    "_km": "km",
    "_m": "m",
    "_s": "s",
    "_days": "day",
    "_hz": "Hz",
    "_nm": "nm",
    "_w": "W",
    "_db": "dB",
    "_bits": "bit",
}
_TIME_SUFFIX = "_utc"
_MISSING = object()


def as_value(value: Any, unit: str, what: str) -> float:
    """``value`` as a plain float in ``unit`` (an astropy unit name such as ``"deg"``, ``"km"``).

    A number is taken as already in ``unit``; an ``astropy.units.Quantity`` is converted
    (``1 * u.rad`` for ``"deg"`` gives 57.29...). A Quantity of another dimension, a Quantity
    array, a bool or anything not a number is refused with an :class:`InputError` naming
    ``what``. astropy is not imported: a Quantity can only arrive if the caller imported it.
    """
    units = sys.modules.get("astropy.units")
    if units is not None and isinstance(value, units.Quantity):
        if value.ndim != 0:
            raise InputError(f"{what}: got a Quantity array of shape {value.shape}; give one value")
        try:
            return float(value.to_value(unit))
        except units.UnitsError:
            raise InputError(
                f"{what} {value} has the wrong dimension ({value.unit.physical_type}); "
                f"give a number in {unit} or a Quantity convertible to {unit}, e.g. 30 * u.{unit}"
            ) from None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(
            f"{what} {value!r} is not a number; give a number in {unit} or an astropy Quantity"
        )
    return float(value)


def _astropy() -> Any:
    """Import astropy's table, time and units (a clear InputError if astropy is missing), with
    IERS auto-download switched off."""
    try:
        import astropy.units as u  # type: ignore[import-untyped]
        from astropy.utils import iers  # type: ignore[import-untyped]
    except ImportError:
        raise InputError(
            "astropy is not installed; install it with: pip install 'passplan[astro]'"
        ) from None
    iers.conf.auto_download = False  # passplan never downloads (see the module docstring)
    return u


def _record(item: Any) -> Mapping[str, Any]:
    if isinstance(item, Mapping):
        return item
    to_dict = getattr(item, "to_dict", None)
    if to_dict is None:
        raise InputError(
            f"cannot tabulate a {type(item).__name__}; give passes, forecasts or their records (dicts)"
        )
    return to_dict()


def _exact_times(items: list[Any], stem: str) -> list[datetime | None] | None:
    """The datetimes behind a ``<stem>_utc`` field, to the microsecond, when every item is an
    object holding them (a Pass, or a forecast's ``pass_``); ``None`` for plain records, whose
    ISO strings hold milliseconds."""
    out = []
    for item in items:
        source = getattr(item, "pass_", item)
        value = getattr(source, stem, _MISSING)
        if isinstance(item, Mapping) or not (value is None or isinstance(value, datetime)):
            return None
        out.append(value)
    return out


def _split(name: str) -> tuple[str, str | None]:
    """The column name and unit of a record field (``max_el_deg`` -> ``("max_el", "deg")``)."""
    for suffix, unit in UNIT_SUFFIXES.items():
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], unit
    return name, None


def _time_column(values: list[Any], exact: list[datetime | None] | None) -> Any:
    """``*_utc`` strings (``2016-12-19T16:48:43.123Z``), or the ``exact`` datetimes behind
    them, as a UTC Time column (``None`` masked)."""
    import numpy as np
    from astropy.time import Time  # type: ignore[import-untyped]

    if exact is not None:
        text = ["NaT" if v is None else v.astimezone(UTC).replace(tzinfo=None).isoformat() for v in exact]
    else:
        text = ["NaT" if v is None else str(v).rstrip("Zz") for v in values]
    stamps = np.array(text, dtype="datetime64[us]")
    t = Time(stamps, format="datetime64", scale="utc")
    t.format = "isot"
    t.precision = 3
    return t


def _plain_column(values: list[Any]) -> Any:
    """A column of str, int, bool or float values; ``None`` masked."""
    from astropy.table import Column, MaskedColumn

    missing = [v is None for v in values]
    if not any(missing):
        return Column(values)
    present = [v for v in values if v is not None]
    if not present:
        return MaskedColumn([""] * len(values), mask=[True] * len(values))
    fill = type(present[0])()
    return MaskedColumn([fill if m else v for v, m in zip(values, missing, strict=True)], mask=missing)


def records_table(records: Iterable[Any]) -> QTable:
    """Records (dicts, or objects with ``to_dict()``) as a QTable with units; columns in the
    records' key order (the first record's), named and typed as the module docstring says. Time
    columns of passes and forecasts keep the microseconds of their datetimes (records' strings
    hold milliseconds). An empty input gives an empty table."""
    import numpy as np
    from astropy.table import QTable

    u = _astropy()
    items = list(records)
    rows = [_record(r) for r in items]
    table = QTable()
    if not rows:
        return table
    names = list(rows[0].keys())
    for key in names:
        values = [r.get(key) for r in rows]
        if key.endswith(_TIME_SUFFIX) and len(key) > len(_TIME_SUFFIX):
            stem = key[: -len(_TIME_SUFFIX)]
            table[stem] = _time_column(values, _exact_times(items, stem))
            continue
        name, unit = _split(key)
        numeric = all(v is None or (isinstance(v, numbers.Real) and not isinstance(v, bool)) for v in values)
        if unit is not None and numeric and any(v is not None for v in values):
            data = np.array([np.nan if v is None else float(v) for v in values])
            table[name if name not in table.colnames else key] = u.Quantity(data, u.Unit(unit))
        else:
            table[key] = _plain_column(values)
    return table


def passes_table(passes: Iterable[Any]) -> QTable:
    """Passes (:class:`passplan.Pass`, a :class:`passplan.PassSearch`, or their records from
    :func:`passplan.passes_to_records`) as a QTable: ``aos``/``tca``/``los``/``rise``/``set``
    and ``elements_epoch`` as UTC Times, ``duration`` in s, ``max_el`` and the azimuths in deg,
    ``min_range`` in km, ``elements_age`` in days, the rest as in the records."""
    return records_table(passes)


def forecasts_table(forecasts: Sequence[Any]) -> QTable:
    """Key forecasts (:class:`passplan.PassForecast`, or their ``to_dict()`` records) as a
    QTable: the pass columns of :func:`passes_table` plus ``secret_key`` in bit, ``key_window``
    in s, ``min_loss``/``max_loss`` in dB, the profile, protocol, QBER and limiting reason."""
    return records_table(forecasts)
