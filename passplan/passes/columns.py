"""Passes as columns: one array per field, straight from the engine's arrays.

:class:`PassColumns` holds the windows of one search block (or any selection of them) without a
Python object per pass. :meth:`PassColumns.records` makes the machine-readable records in
vectorised steps (ISO strings from the microsecond arrays, rounding in numpy), byte for byte
what :func:`passplan.passes.passes_to_records` gives for :meth:`PassColumns.passes`, the
:class:`Pass` objects, which are built only when asked for.

Times are whole microseconds since 1970-01-01 UTC (``int64``): the engine rounds its seconds
to the microsecond exactly as the datetimes of a :class:`Pass` are.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from json import encoder as json_encoder
from typing import Any

import numpy as np

from .lazy_list import LazyList
from .records import Pass, _slug, passes_to_records

__all__ = ["PassColumns", "ColumnRecords", "unix_us", "round_like_python"]

_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def unix_us(when: datetime) -> int:
    """Whole microseconds since 1970-01-01 UTC of an aware datetime (exact)."""
    return (when - _UNIX_EPOCH) // _MICROSECOND


def lexsort3(low: np.ndarray, mid: np.ndarray, high: np.ndarray) -> np.ndarray:
    """``np.lexsort((low, mid, high))`` of integer keys: one stable sort of the three packed
    into one integer where they fit in 63 bits (``low`` and ``mid`` not negative; the packed
    keys compare as the triples do, so the same order), else lexsort itself."""
    if high.size < 2 or not all(np.issubdtype(x.dtype, np.integer) for x in (low, mid, high)):
        return np.lexsort((low, mid, high))
    rel = high - high.min()
    b_low, b_mid = int(low.max()).bit_length(), int(mid.max()).bit_length()
    if int(rel.max()).bit_length() + b_mid + b_low > 63 or min(int(low.min()), int(mid.min()), int(rel.min())) < 0:
        return np.lexsort((low, mid, high))
    key = (rel.astype(np.int64) << (b_mid + b_low)) | (mid.astype(np.int64) << b_low) | low.astype(np.int64)
    return np.argsort(key, kind="stable")


def _datetimes(us: np.ndarray) -> list[datetime]:
    """Aware UTC datetimes of microsecond stamps."""
    return [_UNIX_EPOCH + timedelta(microseconds=u) for u in us.tolist()]


@functools.cache
def _basic_clock() -> list[str]:
    """``HHMMSSZ`` of every second of a day."""
    return [f"{h:02d}{m:02d}{s:02d}Z" for h in range(24) for m in range(60) for s in range(60)]


def _iso(us: np.ndarray) -> list[str]:
    """``iso_z`` of microsecond stamps in one numpy step: ``YYYY-MM-DDTHH:MM:SS.mmmZ``
    (milliseconds truncated, as ``datetime.isoformat`` does)."""
    return np.datetime_as_string(np.asarray(us, np.int64).astype("datetime64[us]"), unit="ms", timezone="UTC").tolist()


def _iso_basic(us: np.ndarray) -> list[str]:
    """``YYYYMMDDTHHMMSSZ`` of microsecond stamps (seconds truncated): the few distinct dates
    from numpy, the clock from a table."""
    day, sec = np.divmod(np.asarray(us, np.int64) // 1_000_000, 86400)
    days, inv = np.unique(day, return_inverse=True)
    dates = [d.replace("-", "") + "T" for d in np.datetime_as_string(days.astype("datetime64[D]")).tolist()]
    clock = _basic_clock()
    return [dates[a] + clock[b] for a, b in zip(inv.ravel().tolist(), sec.tolist(), strict=True)]


def _iso_or_same(us: np.ndarray, same_as: np.ndarray, known: list[str]) -> list[str]:
    """:func:`_iso` of ``us``, reusing ``known`` (the strings of ``same_as``) where equal."""
    differ = np.flatnonzero(us != same_as)
    if differ.size == 0:
        return known
    out = list(known)
    for j, text in zip(differ.tolist(), _iso(us[differ]), strict=True):
        out[j] = text
    return out


def _rounded(x: np.ndarray, digits: int) -> np.ndarray:
    """:func:`round_like_python` as a float array."""
    x = np.asarray(x, float)
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = x * 10.0**digits
        out = np.round(scaled) / 10.0**digits
        frac = np.abs(scaled - np.floor(scaled) - 0.5)
    doubt = np.flatnonzero(~(frac > 1e-6) | ~np.isfinite(scaled) | (np.abs(scaled) > 2.0**50))
    if doubt.size:
        out[doubt] = [round(v, digits) for v in x[doubt].tolist()]
    return out


def round_like_python(x: np.ndarray, digits: int) -> list[float]:
    """``[round(v, digits) for v in x]`` (Python's correctly rounded ``round``), in numpy.

    ``np.round`` scales by ``10**digits`` before rounding, which can move a value lying within a
    rounding error of a half-way point to the other side; those few values (and non-finite
    ones) are rounded by Python itself, so every result equals Python's."""
    return _rounded(x, digits).tolist()


def _round_ages(ages: list[float | None]) -> list[Any]:
    """``round(age, 3)`` of each age, None kept."""
    known = [a is not None for a in ages]
    if all(known):
        return list(round_like_python(np.array(ages, float), 3))
    values = iter(round_like_python(np.array([a for a in ages if a is not None], float), 3))
    return [next(values) if k else None for k in known]


@dataclass(frozen=True, eq=False)
class _SatFacts:
    """What the records take from each satellite of a search (computed once per satellite
    list, not once per block of records: a search over 10^4 satellites writes hundreds)."""

    names: list[str]
    norad_ids: list[Any]
    epochs: list[datetime | None]
    known: np.ndarray  # epoch known
    epoch_us: np.ndarray  # microseconds since 1970 (0 where unknown)
    epoch_iso: list[str | None]
    uid_part: list[str]  # catalogue number, else the slugged name
    _json: list[Any] = field(default_factory=list)  # json_tables(), once made
    _csv: list[Any] = field(default_factory=list)  # csv_tables(), once made

    def json_tables(self) -> tuple[_Field, _Field, _Field, _Field] | None:
        """Per satellite, the JSON text of its name, catalogue number, uid part (escaped, no
        quotes) and elements epoch, as token tables (see :func:`_token_table`); None when a
        value is of a type the encoder alone should write."""
        if not self._json:
            names = [_JSON_STR(v) for v in self.names if type(v) is str]
            norads = [_JSON_CONST[None] if v is None else int.__repr__(v) for v in self.norad_ids if v is None or type(v) is int]
            if len(names) < len(self.names) or len(norads) < len(self.norad_ids):
                self._json.append(None)
            else:
                self._json.append((
                    _token_table(names),
                    _token_table(norads),
                    _token_table([_JSON_STR(u)[1:-1] for u in self.uid_part]),
                    _token_table(["null" if e is None else f'"{e}"' for e in self.epoch_iso]),
                ))
        return self._json[0]

    def csv_tables(self) -> tuple[_Field, _Field, _Field, _Field] | None:
        """Per satellite, the CSV cells (UTF-8) of its name, catalogue number, uid part and
        elements epoch; None when a value is of a type the general cell writer should take."""
        if not self._csv:
            ok = all(type(v) is str and "\0" not in v for v in self.names) and all(v is None or type(v) is int for v in self.norad_ids)
            uid_ok = ok and all(_csv_cell(u) == u for u in self.uid_part)
            self._csv.append((
                _token_table([_csv_cell(v) for v in self.names], "utf-8"),
                _token_table(["" if v is None else str(v) for v in self.norad_ids]),
                _token_table(self.uid_part, "utf-8"),
                _token_table(["" if e is None else e for e in self.epoch_iso]),
            ) if uid_ok else None)
        return self._csv[0]


#: per satellite list (by identity, with the list kept so its id is not reused): its facts
_FACTS: dict[int, tuple[Sequence[Any], int, _SatFacts]] = {}


def _sat_facts(sats: Sequence[Any]) -> _SatFacts:
    """The :class:`_SatFacts` of ``sats`` (cached for the few lists in use)."""
    hit = _FACTS.get(id(sats))
    if hit is not None and hit[0] is sats and hit[1] == len(sats):
        return hit[2]
    epochs = [getattr(s, "epoch", None) for s in sats]
    known = [e is not None for e in epochs]
    iso_known = iter(_iso(np.array([unix_us(e) for e in epochs if e is not None], np.int64)))
    facts = _SatFacts(
        names=[s.name for s in sats],
        norad_ids=[getattr(s, "norad_id", None) for s in sats],
        epochs=epochs,
        known=np.array(known, bool),
        epoch_us=np.array([unix_us(e) if e is not None else 0 for e in epochs], np.int64),
        epoch_iso=[next(iso_known) if k else None for k in known],
        uid_part=[str(int(s.norad_id)) if getattr(s, "norad_id", None) is not None else _slug(s.name) for s in sats],
    )
    if len(_FACTS) >= 8:
        _FACTS.clear()
    _FACTS[id(sats)] = (sats, len(sats), facts)
    return facts


_LIST_FIELDS = ("cut_start_by", "cut_end_by", "excluded_by")

_JSON_STR = json_encoder.encode_basestring_ascii  # the string escaping of passplan.io's encoder
_JSON_CONST = {None: "null", True: "true", False: "false"}


def _json_token(v: Any) -> str | None:
    """One value's JSON text as the C encoder writes it (None: leave it to the encoder)."""
    if v is None or type(v) is bool:
        return _JSON_CONST[v]
    if type(v) is float:
        return float.__repr__(v) if math.isfinite(v) else None
    if type(v) is int:
        return int.__repr__(v)
    if type(v) is str:
        return _JSON_STR(v)
    return None


def _json_tokens(col: list[Any]) -> list[str] | None:
    """The JSON text of each value of one record column, as the C encoder writes it, or
    ``None`` for a value it alone should handle (a NaN or infinity, a type not listed here).
    Each path maps a C function over the column (no Python step per value)."""
    kinds = set(map(type, col))
    if kinds == {float}:
        toks = list(map(float.__repr__, col))
        return None if "n" in "".join(toks) else toks  # nan, inf: the encoder's business
    if kinds == {str}:
        return list(map(_JSON_STR, col))
    if kinds == {int}:
        return list(map(int.__repr__, col))
    numeric = kinds & {bool, int, float}
    if len(numeric) > 1 or not kinds <= {bool, int, float, str, type(None)}:
        return None  # True == 1 == 1.0 would share one token below
    tokens: dict[Any, str] = {}
    for v in set(col):  # a few distinct values: None, names, flags
        tok = _json_token(v)
        if tok is None:
            return None
        tokens[v] = tok
    if float in kinds:  # 0.0 == -0.0 share a key above: each float its own text
        return [float.__repr__(v) if type(v) is float else tokens[v] for v in col]
    return list(map(tokens.__getitem__, col))


# ---- JSON text of whole columns at once --------------------------------------------------
# A block's text is laid out as one byte matrix, a row per record and fixed character columns
# per field (``uint8``, 0 where a shorter value leaves its columns unused); the text is the
# non-zero bytes in row-major order (one boolean index): no Python step per value. JSON text
# is ASCII without NUL (the encoder escapes control characters), so 0 never stands for text.

_Field = np.ndarray  # characters, (rows or 1, width) uint8, 0: no character
_DIGIT0, _MINUS, _DOT, _COLON, _Z = (ord(c) for c in "0-.:Z")
#: the largest scaled value (round(v, d) * 10**d) whose digits are exact in a float64 and whose
#: repr is plain decimal notation (Python switches to an exponent from 1e16)
_DECIMAL_MAX = 10**15


def _literal(text: str) -> _Field:
    """The same ASCII text in every row."""
    return np.frombuffer(text.encode("ascii"), np.uint8).reshape(1, -1)


def _token_table(tokens: Sequence[str], encoding: str = "ascii") -> _Field:
    """One row per token's bytes (NUL-padded to the longest; a token holds no NUL)."""
    enc = [t.encode(encoding) for t in tokens]
    width = max(1, max(map(len, enc), default=1))
    return np.frombuffer(b"".join(e.ljust(width, b"\0") for e in enc), np.uint8).reshape(len(enc), width)


@functools.cache
def _digit_table(width: int, strip: str) -> np.ndarray:
    """The ``width`` decimal digits of every integer below ``10**width`` (ASCII), with leading
    (``strip="lead"``) or trailing (``"trail"``) zeros as 0, one digit always kept."""
    v = np.arange(10**width, dtype=np.int64)[:, None]
    w = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    out = (v // w) % 10 + _DIGIT0
    if strip == "lead":
        out[:, :-1] *= v >= w[:-1]
    else:
        out[:, 1:] *= v % (w[1:] * 10) != 0  # a non-zero digit at or after this one
    return out.astype(np.uint8)


#: integer parts below 10**_INT_TABLE come from a table
_INT_TABLE = 5


def _decimal(x: np.ndarray, digits: int) -> _Field | None:
    """``repr(round(v, digits))`` of each value (Python's text, ``-0.0`` included), from the
    integer ``round(v, digits) * 10**digits``; None when a value is not finite or too large for
    that (its text is then the encoder's business).

    The rounded value is the float nearest a decimal of at most 15 significant digits, and two
    such decimals never share a float, so its shortest repr is that decimal: the integer part,
    a dot and the decimals less trailing zeros (one kept)."""
    r = _rounded(x, digits)
    scale = 10**digits
    with np.errstate(invalid="ignore", over="ignore"):  # huge values overflow: left to the encoder
        k = np.rint(np.abs(r) * scale)
    if not np.all(k < _DECIMAL_MAX):  # NaN, infinities and huge values fail this
        return None
    q, f = np.divmod(k.astype(np.int64), scale)
    n_int = len(str(int(q.max()))) if q.size else 1
    if n_int <= _INT_TABLE:
        int_d = _digit_table(_INT_TABLE, "lead")[q][:, _INT_TABLE - n_int :]
    else:
        iw = 10 ** np.arange(n_int - 1, -1, -1, dtype=np.int64)
        int_d = ((q[:, None] // iw) % 10 + _DIGIT0).astype(np.uint8)
        int_d[:, :-1] *= q[:, None] >= iw[:-1]  # no leading zeros (one digit kept)
    neg = np.signbit(r)
    sign = [np.where(neg, _MINUS, 0).astype(np.uint8)[:, None]] if neg.any() else []
    dot = np.full((r.size, 1), _DOT, np.uint8)
    return np.concatenate([*sign, int_d, dot, _digit_table(digits, "trail")[f]], axis=1)


@functools.cache
def _clock_table(basic: bool) -> np.ndarray:
    """``HH:MM:SS`` (``basic``: ``HHMMSSZ``) of every second of a day, ASCII."""
    sec = np.arange(86400)
    h, m, s = sec // 3600, sec // 60 % 60, sec % 60
    digits = np.stack([h // 10, h % 10, m // 10, m % 10, s // 10, s % 10], axis=1) + _DIGIT0
    if basic:
        return np.concatenate([digits, np.full((86400, 1), _Z)], axis=1).astype(np.uint8)
    colon = np.full((86400, 1), _COLON)
    return np.concatenate([digits[:, :2], colon, digits[:, 2:4], colon, digits[:, 4:]], axis=1).astype(np.uint8)


@functools.cache
def _millis_table() -> np.ndarray:
    """``.mmmZ`` of every millisecond of a second, ASCII."""
    return np.frombuffer("".join(f".{k:03d}Z" for k in range(1000)).encode("ascii"), np.uint8).reshape(1000, 5)


def _iso_text(us: np.ndarray, basic: bool = False) -> _Field:
    """``iso_z`` of microsecond stamps (``YYYY-MM-DDTHH:MM:SS.mmmZ``, milliseconds floored as
    ``datetime.isoformat`` does), or with ``basic`` the uid's ``YYYYMMDDTHHMMSSZ`` (seconds
    floored): the few distinct dates from numpy, the clock from tables."""
    day, us_of_day = np.divmod(np.asarray(us, np.int64), 86_400_000_000)
    first = int(day.min()) if day.size else 0
    if day.size and int(day.max()) - first < 4096:  # a span of days: a date per day of it
        days, inv = np.arange(first, int(day.max()) + 1), day - first
    else:
        days, inv = np.unique(day, return_inverse=True)
    dates = [(d.replace("-", "") if basic else d) + "T" for d in np.datetime_as_string(days.astype("datetime64[D]")).tolist()]
    sec, us_of_sec = np.divmod(us_of_day, 1_000_000)
    parts = [_token_table(dates)[inv.ravel()], _clock_table(basic)[sec]]
    if not basic:
        parts.append(_millis_table()[us_of_sec // 1000])
    return np.concatenate(parts, axis=1)


def _csv_cell(text: str) -> str:
    """One string cell as the ``csv`` module writes it in a row of several (quoted where it
    must be)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([text, ""])
    return buf.getvalue()[:-2]


_P10 = 10 ** np.arange(16, dtype=np.int64)
_G6 = "%.6g".__mod__


def _general6(x: np.ndarray, digits: int) -> _Field:
    """``"%.6g" % round(v, digits)`` of each value (the CSV writer's text), from the integer
    ``round(v, digits) * 10**digits`` (as :func:`_decimal`): its six leading digits, rounded,
    less trailing zeros, the point placed by the exponent. The rounded value lies within
    1.2e-16 (relative) of that decimal and at least 1e-15 from any other six-digit rounding
    point, so it rounds the same way; values on a rounding tie, in exponent notation (below
    1e-4, from 1e6) or too large are written by Python itself; NaN and infinities as nothing."""
    r = _rounded(x, digits)
    n = r.size
    with np.errstate(invalid="ignore", over="ignore"):  # huge values overflow: Python writes them
        kf = np.rint(np.abs(r) * 10**digits)
    easy = kf < _DECIMAL_MAX  # False for NaN and infinities
    k = np.where(easy, kf, 0.0).astype(np.int64)
    nd = np.searchsorted(_P10, k, side="right")  # digits of k (0 for 0)
    x10 = nd - 1 - digits  # decimal exponent of the value
    cut = np.maximum(nd - 6, 0)
    p = _P10[cut]
    q, rem = np.divmod(k, p)
    half = p // 2
    easy &= ~((cut > 0) & (rem == half))  # a tie: the float's own side decides
    q = np.where((cut > 0) & (rem > half), q + 1, q) * _P10[np.maximum(6 - nd, 0)]
    carry = q >= 10**6
    q, x10 = np.where(carry, q // 10, q), np.where(carry, x10 + 1, x10)
    zero = k == 0
    easy &= zero | ((x10 >= -4) & (x10 < 6))
    x10 = np.where(zero, 0, x10)
    q = np.where(zero, 0, q)
    j = np.arange(6)
    digit = (q[:, None] // _P10[5 - j]) % 10 + _DIGIT0
    keep = (j <= x10[:, None]) | (q[:, None] % _P10[6 - j] != 0)
    keep[:, 0] = True
    has_dot = (x10 < 0) | ((x10 < 5) & (q % _P10[np.clip(5 - x10, 0, 15)] != 0))
    chars = np.zeros((n, 18), np.int64)
    chars[:, 0] = np.where(np.signbit(r), _MINUS, 0)
    small = x10 < 0
    chars[:, 1] = np.where(small, _DIGIT0, 0)
    chars[:, 2] = np.where(small, _DOT, 0)
    for z in range(3):  # zeros after the point of a value below 0.1
        chars[:, 3 + z] = np.where(small & (z < -x10 - 1), _DIGIT0, 0)
    chars[:, 6::2] = np.where(keep, digit, 0)
    chars[:, 7::2] = np.where((x10[:, None] == j) & has_dot[:, None], _DOT, 0)
    out = chars.astype(np.uint8)
    hard = np.flatnonzero(~easy)
    if hard.size:  # Python's own text for these rows (none for NaN and infinities, as CSV cells)
        tokens = _token_table([_G6(v) if math.isfinite(v) else "" for v in r[hard].tolist()])
        width = max(out.shape[1], tokens.shape[1])
        out = np.pad(out, ((0, 0), (0, width - out.shape[1])))
        out[hard] = np.pad(tokens, ((0, 0), (0, width - tokens.shape[1])))
    return out


def _or_null(value: _Field, null: np.ndarray) -> _Field:
    """``value``, with ``null`` in the rows where ``null`` is set."""
    width = max(value.shape[1], 4)
    value = np.pad(value, ((0, 0), (0, width - value.shape[1])))
    return np.where(null[:, None], np.pad(_literal("null"), ((0, 0), (0, width - 4))), value)


def _characters(fields: Sequence[_Field], n: int) -> np.ndarray:
    """The rows' characters: each row's fields side by side, in order, less the unused (0)
    ones."""
    chars = np.concatenate([np.broadcast_to(c, (n, c.shape[1])) for c in fields], axis=1)
    return chars[chars != 0]


def _compose(fields: Sequence[_Field], n: int) -> bytes:
    """The rows' text as bytes (see :func:`_characters`)."""
    return _characters(fields, n).tobytes()


#: rows composed at once by :func:`_compose_text` (their characters stay in cache; assumed, measured)
_TEXT_ROWS = 4096


def _compose_text(fields: Sequence[_Field], n: int, encoding: str, cut: int = 0) -> str:
    """The rows' text less its last ``cut`` bytes (:func:`_compose_parts`, joined)."""
    return "".join(_compose_parts(fields, n, encoding, cut))


def _compose_parts(fields: Sequence[_Field], n: int, encoding: str, cut: int = 0) -> list[str]:
    """The rows' text less its last ``cut`` bytes, in parts: :func:`_characters` of every
    :data:`_TEXT_ROWS` rows, decoded straight from the characters. Neighbouring literals (the
    same text in every row) are joined first: fewer, wider columns to copy."""
    merged: list[_Field] = []
    for c in fields:
        if merged and c.shape[0] == 1 and merged[-1].shape[0] == 1:
            merged[-1] = np.concatenate([merged[-1], c], axis=1)
        else:
            merged.append(c)
    parts = []
    for a in range(0, n, _TEXT_ROWS):
        b = min(a + _TEXT_ROWS, n)
        chars = _characters([c if c.shape[0] == 1 else c[a:b] for c in merged], b - a)
        parts.append(str(chars.data[: chars.size - cut if b == n else chars.size], encoding))
    return parts


class _Times:
    """:func:`_iso_text` of a block's time columns, each made once: rise and set are mostly
    AOS and LOS, whose text they then share."""

    def __init__(self) -> None:
        self.made: list[tuple[np.ndarray, _Field]] = []

    def get(self, us: np.ndarray, like: np.ndarray | None = None) -> _Field:
        for column, text in self.made:
            if column is us or (column is like and np.array_equal(us, like)):
                return text
        text = _iso_text(us)
        self.made.append((us, text))
        return text

def _pick(values: list[Any], rows: list[int]) -> list[Any]:
    """``[values[i] for i in rows]`` (a label column of None alone, the common one, at once;
    otherwise one C call of ``itemgetter``)."""
    if values.count(None) == len(values):
        return [None] * len(rows)
    if len(rows) < 2:
        return [values[i] for i in rows]
    return list(operator.itemgetter(*rows)(values))


def _codes(values: list[Any], index: dict[Any, int]) -> np.ndarray:
    """Each value's index (a column of None alone at once)."""
    if values.count(None) == len(values):
        return np.full(len(values), index[None] if values else 0, np.int64)
    return np.array(list(map(index.__getitem__, values)), np.int64)

@dataclass(frozen=True, eq=False)
class PassColumns:
    """Windows of one search block as arrays (one row per window, in the block's order).

    ``sat``/``st`` index ``sats``/``stations``; times are microseconds since 1970 UTC;
    ``cut_start_by``/``cut_end_by`` already say ``"window"`` for a cut by the analysis window.
    ``objects`` holds the :class:`Pass` objects when the columns were made from them
    (:meth:`from_passes`); records are then made from those objects."""

    sats: Sequence[Any]
    stations: Sequence[Any]
    sat: np.ndarray
    st: np.ndarray
    aos_us: np.ndarray
    tca_us: np.ndarray
    los_us: np.ndarray
    rise_us: np.ndarray
    set_us: np.ndarray
    max_el_deg: np.ndarray
    aos_az_deg: np.ndarray
    tca_az_deg: np.ndarray
    los_az_deg: np.ndarray
    min_range_km: np.ndarray
    sat_sunlit_fraction: np.ndarray
    station_dark: np.ndarray
    station_dark_fraction: np.ndarray
    partial: np.ndarray
    cut_start_by: list[str | None]
    cut_end_by: list[str | None]
    excluded_by: list[str | None]
    objects: list[Pass] | None = None

    def __len__(self) -> int:
        return int(self.sat.size)

    # ---- names of the rows' satellite and station (sorting, pairs) -------------------------
    def sort_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """Integer codes of each row's satellite name and station id that sort as the strings
        do (equal strings share a code, so a stable sort keeps their rows' order)."""

        def dense(labels: list[str], idx: np.ndarray) -> np.ndarray:
            code = {name: k for k, name in enumerate(sorted(set(labels)))}
            return np.array([code[x] for x in labels], np.int64)[idx] if labels else np.zeros(0, np.int64)

        return (
            dense([getattr(s, "name", s) for s in self.sats], self.sat),
            dense([getattr(s, "id", s) for s in self.stations], self.st),
        )

    # ---- selection -------------------------------------------------------------------------
    def take(self, idx: np.ndarray) -> PassColumns:
        """The rows ``idx`` (in that order)."""
        idx = np.asarray(idx, int)
        rows = idx.tolist()
        values: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name in ("sats", "stations"):
                values[f.name] = v
            elif f.name == "objects":
                values[f.name] = None if v is None else [v[i] for i in rows]
            elif f.name in _LIST_FIELDS:
                values[f.name] = _pick(v, rows)
            else:
                values[f.name] = v[idx]
        return PassColumns(**values)

    def rows(self, start: int, stop: int) -> PassColumns:
        """The rows ``start:stop`` (numpy views: no copy)."""
        values: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            values[f.name] = v if f.name in ("sats", "stations") or v is None else v[start:stop]
        return PassColumns(**values)

    @staticmethod
    def concat(parts: Sequence[PassColumns]) -> PassColumns:
        """The rows of ``parts`` one after the other; parts must share ``sats`` and
        ``stations`` (one search), or all hold ``objects``."""
        if len(parts) == 1:
            return parts[0]
        first = parts[0]
        values: dict[str, Any] = {}
        with_objects = all(p.objects is not None for p in parts)
        if with_objects:  # indices are per part: re-index through concatenated lists
            sat_off = np.cumsum([0] + [len(p.sats) for p in parts[:-1]])
            st_off = np.cumsum([0] + [len(p.stations) for p in parts[:-1]])
            values["sats"] = [s for p in parts for s in p.sats]
            values["stations"] = [s for p in parts for s in p.stations]
            values["sat"] = np.concatenate([p.sat + o for p, o in zip(parts, sat_off, strict=True)])
            values["st"] = np.concatenate([p.st + o for p, o in zip(parts, st_off, strict=True)])
        for f in fields(first):
            if f.name in values:
                continue
            if f.name in ("sats", "stations"):
                values[f.name] = getattr(first, f.name)
            elif f.name == "objects":
                values[f.name] = [o for p in parts for o in p.objects] if with_objects else None  # type: ignore[union-attr]
            elif f.name in _LIST_FIELDS:
                values[f.name] = [x for p in parts for x in getattr(p, f.name)]
            else:
                values[f.name] = np.concatenate([getattr(p, f.name) for p in parts])
        return PassColumns(**values)

    @staticmethod
    def from_passes(passes: Sequence[Pass]) -> PassColumns:
        """Columns of existing :class:`Pass` objects (kept in ``objects``)."""
        ps = list(passes)

        def col(name: str, dtype: Any = float) -> np.ndarray:
            return np.array([getattr(p, name) for p in ps], dtype=dtype)

        def stamps(name: str) -> np.ndarray:
            return np.array([unix_us(getattr(p, name)) for p in ps], np.int64)

        sats = [p.sat_ref if p.sat_ref is not None else p.satellite for p in ps]
        return PassColumns(
            sats=sats, stations=[p.station for p in ps], sat=np.arange(len(ps)), st=np.arange(len(ps)),
            aos_us=stamps("aos"), tca_us=stamps("tca"), los_us=stamps("los"), rise_us=stamps("rise"),
            set_us=stamps("set"), max_el_deg=col("max_el_deg"), aos_az_deg=col("aos_az_deg"),
            tca_az_deg=col("tca_az_deg"), los_az_deg=col("los_az_deg"), min_range_km=col("min_range_km"),
            sat_sunlit_fraction=col("sat_sunlit_fraction"), station_dark=col("station_dark", bool),
            station_dark_fraction=col("station_dark_fraction"), partial=col("partial", bool),
            cut_start_by=[p.cut_start_by for p in ps], cut_end_by=[p.cut_end_by for p in ps],
            excluded_by=[p.excluded_by for p in ps], objects=ps,
        )

    # ---- per-satellite facts ---------------------------------------------------------------
    def _epochs(self) -> list[datetime | None]:
        return _sat_facts(self.sats).epochs

    def _ages(self) -> list[float | None]:
        """Elements age (days) at AOS of each row, from whole microseconds, as
        ``(aos - epoch).total_seconds() / 86400`` gives it."""
        facts = _sat_facts(self.sats)
        known, e_us = facts.known, facts.epoch_us
        if not known.any():
            return [None] * len(self)
        age = ((self.aos_us - e_us[self.sat]) / 1e6 / 86400.0).tolist()
        if known.all():
            return age
        return [a if k else None for a, k in zip(age, known[self.sat].tolist(), strict=True)]

    # ---- outputs ---------------------------------------------------------------------------
    def passes(self) -> list[Pass]:
        """The :class:`Pass` object of each row."""
        if self.objects is not None:
            return list(self.objects)
        n = len(self)
        if n == 0:
            return []
        same_rise = self.rise_us == self.aos_us
        same_set = self.set_us == self.los_us
        aos, tca, los = (_datetimes(getattr(self, k)) for k in ("aos_us", "tca_us", "los_us"))
        rise = list(aos)
        for j, d in zip(np.flatnonzero(~same_rise).tolist(), _datetimes(self.rise_us[~same_rise]), strict=True):
            rise[j] = d
        set_ = list(los)
        for j, d in zip(np.flatnonzero(~same_set).tolist(), _datetimes(self.set_us[~same_set]), strict=True):
            set_[j] = d
        facts = _sat_facts(self.sats)
        names, norads, epochs = facts.names, facts.norad_ids, facts.epochs
        sat_i, st_i = self.sat.tolist(), self.st.tolist()
        columns = zip(
            sat_i, st_i, aos, tca, los, self.max_el_deg.tolist(), self.aos_az_deg.tolist(), self.tca_az_deg.tolist(),
            self.los_az_deg.tolist(), self.min_range_km.tolist(), self.sat_sunlit_fraction.tolist(),
            self.station_dark.tolist(), self.station_dark_fraction.tolist(), self.partial.tolist(), rise, set_,
            self._ages(), self.cut_start_by, self.cut_end_by, self.excluded_by, strict=True,
        )
        sats, stations = self.sats, self.stations
        st_ids = [s.id for s in stations]
        # positional, in the dataclass's field order (checked against fields(Pass) below): a
        # quarter faster than keywords for the 10^4 to 10^5 passes of a search
        return [
            Pass(
                names[si], norads[si], st_ids[ti], a, tc, lo, mx, a0, at, a1, mr, lf, dk, pa, rs, se,
                epochs[si], age, cs, ce, ex, sats[si], stations[ti], df,
            )
            for si, ti, a, tc, lo, mx, a0, at, a1, mr, lf, dk, df, pa, rs, se, age, cs, ce, ex in columns
        ]

    def records(self) -> list[dict[str, Any]]:
        """The machine-readable records of the rows: exactly ``passes_to_records(self.passes())``
        (same keys, order, rounding and strings), made from the arrays."""
        if self.objects is not None:
            return passes_to_records(self.objects)
        if len(self) == 0:
            return []
        keys, columns = self._record_columns()
        return [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]

    def json_lines(self) -> list[str] | None:
        """Each record as the compact JSON text :func:`passplan.io.to_ndjson` writes for it
        (``", "`` and ``": "`` separators, ``float.__repr__`` numbers, ASCII-escaped strings),
        composed column by column without building the records; ``None`` when a value needs
        the encoder's own handling (a NaN, an unexpected type): write the records then."""
        if self.objects is not None:
            return None
        if len(self) == 0:
            return []
        keys, columns = self._record_columns()
        tokens = []
        for col in columns:
            tok = _json_tokens(col)
            if tok is None:
                return None
            tokens.append(tok)
        template = "{" + ", ".join(f"{_JSON_STR(k)}: %s" for k in keys) + "}"
        return list(map(template.__mod__, zip(*tokens, strict=True)))

    def json_text(self, sep: str) -> str | None:
        """The rows' JSON text (exactly :meth:`json_lines`, so the encoder's) joined by ``sep``,
        composed for whole columns at once (see :func:`_characters`): numbers from integer digits,
        times from integer clocks, names from per-satellite and per-station tokens. ``None``
        where that cannot promise the encoder's text (a NaN, a huge number, a value of an
        unexpected type): :meth:`json_lines` decides then."""
        parts = self.json_parts(sep)
        return None if parts is None else "".join(parts)

    def json_parts(self, sep: str) -> list[str] | None:
        """:meth:`json_text` in consecutive parts (what a writer writes one after the other,
        without joining them first)."""
        if self.objects is not None:
            return None
        n = len(self)
        if n == 0:
            return []
        facts = _sat_facts(self.sats)
        tables = facts.json_tables()
        if tables is None:
            return None
        sat_name, sat_norad, sat_uid, sat_epoch = tables
        st_ids: list[str] = [getattr(s, "id", None) for s in self.stations]  # type: ignore[misc]
        if not all(type(i) is str for i in st_ids):
            return None
        st_name = _token_table([_JSON_STR(i) for i in st_ids])
        st_uid = _token_table([_JSON_STR(_slug(i))[1:-1] for i in st_ids])
        decimals = {
            "duration_s": ((self.los_us - self.aos_us) / 1e6, 3),
            "max_el_deg": (self.max_el_deg, 3),
            "aos_az_deg": (self.aos_az_deg, 2),
            "tca_az_deg": (self.tca_az_deg, 2),
            "los_az_deg": (self.los_az_deg, 2),
            "min_range_km": (self.min_range_km, 3),
            "sat_sunlit_fraction": (self.sat_sunlit_fraction, 4),
            "station_dark_fraction": (self.station_dark_fraction, 4),
        }
        known = facts.known[self.sat]
        decimals["elements_age_days"] = (np.where(known, (self.aos_us - facts.epoch_us[self.sat]) / 1e6 / 86400.0, 0.0), 3)
        numbers: dict[str, _Field] = {}
        for key, (x, digits) in decimals.items():
            number = _decimal(x, digits)
            if number is None:
                return None
            numbers[key] = number
        flags = _token_table(["false", "true"])
        values = [getattr(self, name) for name in _LIST_FIELDS]
        distinct = set().union(*map(set, values))  # a few labels
        if not all(v is None or type(v) is str for v in distinct):
            return None
        labels = {v: i for i, v in enumerate(distinct)}
        codes = {name: _codes(col, labels) for name, col in zip(_LIST_FIELDS, values, strict=True)}
        label_table = _token_table([_JSON_CONST[None] if v is None else _JSON_STR(v) for v in labels])

        times = _Times()

        def quoted(value: _Field) -> list[_Field]:
            return [_literal('"'), value, _literal('"')]

        parts: dict[str, list[_Field]] = {
            "uid": [_literal('"'), sat_uid[self.sat], _literal("-"), st_uid[self.st], _literal("-"),
                    _iso_text(self.aos_us, basic=True), _literal('"')],
            "satellite": [sat_name[self.sat]],
            "norad_id": [sat_norad[self.sat]],
            "station": [st_name[self.st]],
            "aos_utc": quoted(times.get(self.aos_us)),
            "tca_utc": quoted(times.get(self.tca_us)),
            "los_utc": quoted(times.get(self.los_us)),
            **{k: [numbers[k]] for k in ("duration_s", "max_el_deg", "aos_az_deg", "tca_az_deg", "los_az_deg",
                                         "min_range_km", "sat_sunlit_fraction")},
            "station_dark": [flags[self.station_dark.astype(np.int64)]],
            "partial": [flags[self.partial.astype(np.int64)]],
            "rise_utc": quoted(times.get(self.rise_us, self.aos_us)),
            "set_utc": quoted(times.get(self.set_us, self.los_us)),
            **{name: [label_table[codes[name]]] for name in _LIST_FIELDS},
            "elements_epoch_utc": [sat_epoch[self.sat]],
            "elements_age_days": [_or_null(numbers["elements_age_days"], ~known)],
            "station_dark_fraction": [numbers["station_dark_fraction"]],
        }
        fields: list[_Field] = []
        lead = "{"
        for key, value in parts.items():
            fields.append(_literal(f"{lead}{_JSON_STR(key)}: "))
            fields.extend(value)
            lead = ", "
        fields.append(_literal("}" + sep))
        return _compose_parts(fields, n, "ascii", cut=len(sep))

    def csv_text(self, columns: Sequence[str]) -> str | None:
        """The rows as CSV lines of ``columns`` (each ending in a newline), exactly what
        :class:`passplan.io.RecordWriter` writes for :meth:`record_columns` (``%.6g``
        numbers, ``true``/``false``, empty for None, the ``csv`` module's quoting), composed
        for whole columns at once as :meth:`json_text` is; ``None`` for a column not among the
        records' keys or a value of an unexpected type."""
        if self.objects is not None:
            return None
        n = len(self)
        if n == 0:
            return ""
        facts = _sat_facts(self.sats)
        tables = facts.csv_tables()
        st_ids: list[str] = [getattr(s, "id", None) for s in self.stations]  # type: ignore[misc]
        values = [getattr(self, name) for name in _LIST_FIELDS]
        distinct = set().union(*map(set, values))
        if (tables is None or len(columns) < 2  # a row of one empty cell is written '""'
                or not all(type(i) is str and "\0" not in i for i in st_ids)
                or not all(v is None or (type(v) is str and "\0" not in v) for v in distinct)):
            return None
        sat_name, sat_norad, sat_uid, sat_epoch = tables
        st_uid = [_slug(i) for i in st_ids]
        if any(_csv_cell(u) != u for u in st_uid):
            return None  # a uid that the csv module would quote
        labels = {v: i for i, v in enumerate(distinct)}
        label_table = _token_table(["" if v is None else _csv_cell(v) for v in labels], "utf-8")
        flags = _token_table(["false", "true"])
        known = facts.known[self.sat]
        dash = _literal("-")

        def label(name: str) -> list[_Field]:
            return [label_table[_codes(getattr(self, name), labels)]]

        def number(x: np.ndarray, digits: int) -> list[_Field]:
            return [_general6(x, digits)]

        times = _Times()
        cells: dict[str, Callable[[], list[_Field]]] = {
            "uid": lambda: [sat_uid[self.sat], dash, _token_table(st_uid)[self.st], dash, _iso_text(self.aos_us, basic=True)],
            "satellite": lambda: [sat_name[self.sat]],
            "norad_id": lambda: [sat_norad[self.sat]],
            "station": lambda: [_token_table([_csv_cell(i) for i in st_ids], "utf-8")[self.st]],
            "aos_utc": lambda: [times.get(self.aos_us)],
            "tca_utc": lambda: [times.get(self.tca_us)],
            "los_utc": lambda: [times.get(self.los_us)],
            "duration_s": lambda: number((self.los_us - self.aos_us) / 1e6, 3),
            "max_el_deg": lambda: number(self.max_el_deg, 3),
            "aos_az_deg": lambda: number(self.aos_az_deg, 2),
            "tca_az_deg": lambda: number(self.tca_az_deg, 2),
            "los_az_deg": lambda: number(self.los_az_deg, 2),
            "min_range_km": lambda: number(self.min_range_km, 3),
            "sat_sunlit_fraction": lambda: number(self.sat_sunlit_fraction, 4),
            "station_dark": lambda: [flags[self.station_dark.astype(np.int64)]],
            "partial": lambda: [flags[self.partial.astype(np.int64)]],
            "rise_utc": lambda: [times.get(self.rise_us, self.aos_us)],
            "set_utc": lambda: [times.get(self.set_us, self.los_us)],
            "cut_start_by": lambda: label("cut_start_by"),
            "cut_end_by": lambda: label("cut_end_by"),
            "excluded_by": lambda: label("excluded_by"),
            "elements_epoch_utc": lambda: [sat_epoch[self.sat]],
            "elements_age_days": lambda: [np.where(known[:, None], _general6(np.where(known, (self.aos_us - facts.epoch_us[self.sat]) / 1e6 / 86400.0, 0.0), 3), 0)],
            "station_dark_fraction": lambda: number(self.station_dark_fraction, 4),
        }
        if any(c not in cells for c in columns):
            return None
        fields: list[_Field] = []
        for i, c in enumerate(columns):
            if i:
                fields.append(_literal(","))
            fields.extend(cells[c]())
        fields.append(_literal("\n"))
        return _compose_text(fields, n, "utf-8")

    def record_columns(self) -> dict[str, list[Any]] | None:
        """The records' values by key (one list per key, in :func:`passes_to_records`' key
        order), without building the records; ``None`` for columns made from objects."""
        if self.objects is not None:
            return None
        if len(self) == 0:
            return {}
        keys, columns = self._record_columns()
        return dict(zip(keys, columns, strict=True))

    def _record_columns(self) -> tuple[tuple[str, ...], list[list[Any]]]:
        """The record keys (in :func:`passes_to_records`' order) and one list of values per key."""
        aos, tca, los = (_iso(getattr(self, k)) for k in ("aos_us", "tca_us", "los_us"))
        rise = _iso_or_same(self.rise_us, self.aos_us, aos)  # rise and set are mostly AOS and LOS
        set_ = _iso_or_same(self.set_us, self.los_us, los)
        aos_basic = _iso_basic(self.aos_us)
        facts = _sat_facts(self.sats)
        epoch_iso, sat_part = facts.epoch_iso, facts.uid_part
        st_ids = [s.id for s in self.stations]
        st_slug = [_slug(i) for i in st_ids]
        sat_i, st_i = self.sat.tolist(), self.st.tolist()

        def per_sat(values: Sequence[Any]) -> list[Any]:
            return [values[i] for i in sat_i]

        uid = [f"{sat_part[si]}-{st_slug[ti]}-{ab}" for si, ti, ab in zip(sat_i, st_i, aos_basic, strict=True)]
        columns = {
            "uid": uid,
            "satellite": per_sat(facts.names),
            "norad_id": per_sat(facts.norad_ids),
            "station": [st_ids[i] for i in st_i],
            "aos_utc": aos,
            "tca_utc": tca,
            "los_utc": los,
            "duration_s": round_like_python((self.los_us - self.aos_us) / 1e6, 3),
            "max_el_deg": round_like_python(self.max_el_deg, 3),
            "aos_az_deg": round_like_python(self.aos_az_deg, 2),
            "tca_az_deg": round_like_python(self.tca_az_deg, 2),
            "los_az_deg": round_like_python(self.los_az_deg, 2),
            "min_range_km": round_like_python(self.min_range_km, 3),
            "sat_sunlit_fraction": round_like_python(self.sat_sunlit_fraction, 4),
            "station_dark": self.station_dark.tolist(),
            "partial": self.partial.tolist(),
            "rise_utc": rise,
            "set_utc": set_,
            "cut_start_by": list(self.cut_start_by),
            "cut_end_by": list(self.cut_end_by),
            "excluded_by": list(self.excluded_by),
            "elements_epoch_utc": per_sat(epoch_iso),
            "elements_age_days": _round_ages(self._ages()),
            "station_dark_fraction": round_like_python(self.station_dark_fraction, 4),
        }
        return tuple(columns), list(columns.values())


class ColumnRecords(LazyList[dict[str, Any]]):
    """The records of some columns, built on first access; writers that know :meth:`json_text`,
    :meth:`csv_text`, :meth:`json_lines` or :meth:`record_columns` (:class:`passplan.io.RecordWriter`) take the JSON text or the CSV
    values straight from the columns and never build the records."""

    def __init__(self, cols: PassColumns) -> None:
        super().__init__(len(cols), cols.records)
        self.cols = cols

    def json_lines(self) -> list[str] | None:
        """See :meth:`PassColumns.json_lines`."""
        return self.cols.json_lines()

    def json_text(self, sep: str) -> str | None:
        """See :meth:`PassColumns.json_text`."""
        return self.cols.json_text(sep)

    def json_parts(self, sep: str) -> list[str] | None:
        """See :meth:`PassColumns.json_parts`."""
        return self.cols.json_parts(sep)

    def record_columns(self) -> dict[str, list[Any]] | None:
        """See :meth:`PassColumns.record_columns` (what CSV writers take instead of records)."""
        return self.cols.record_columns()

    def csv_text(self, columns: Sequence[str]) -> str | None:
        """See :meth:`PassColumns.csv_text`."""
        return self.cols.csv_text(columns)

    def record_keys(self) -> list[str]:
        """The records' keys in order (what ``records[0].keys()`` gives, without the records)."""
        return list(RECORD_KEYS)


#: the keys of a pass record, in order (passes_to_records, PassColumns.records)
RECORD_KEYS = (
    "uid", "satellite", "norad_id", "station", "aos_utc", "tca_utc", "los_utc", "duration_s", "max_el_deg",
    "aos_az_deg", "tca_az_deg", "los_az_deg", "min_range_km", "sat_sunlit_fraction", "station_dark", "partial",
    "rise_utc", "set_utc", "cut_start_by", "cut_end_by", "excluded_by", "elements_epoch_utc", "elements_age_days",
    "station_dark_fraction",
)

# PassColumns.passes() builds Pass positionally: the field order it assumes
assert [f.name for f in fields(Pass)] == [
    "satellite", "norad_id", "station", "aos", "tca", "los", "max_el_deg", "aos_az_deg", "tca_az_deg",
    "los_az_deg", "min_range_km", "sat_sunlit_fraction", "station_dark", "partial", "rise", "set",
    "elements_epoch", "elements_age_days", "cut_start_by", "cut_end_by", "excluded_by", "sat_ref",
    "station_ref", "station_dark_fraction",
], "Pass fields changed: update PassColumns.passes()"
