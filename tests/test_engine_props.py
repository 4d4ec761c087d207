"""Property tests of the pass engine's fast paths against independent references (hypothesis,
derandomized, no example database): the block-wide text of pass records (numbers from integer
digits, ``%.6g`` cells, ISO times from clock tables, names as tokens) against ``repr(round(v, d))``,
``"%.6g" % round(v, d)``, ``datetime.isoformat``/``strftime``, ``json.dumps`` and ``csv.writer`` on
the same records; the radix point sort against ``np.lexsort``; window assignment and first
extrema against a brute-force scan; the sortedness shortcut of the stream against a stable sort;
the pair bookkeeping against a dict of maxima; the batched Hermite interpolant and the one-gather
station frame against their unbatched formulas; and the nested hump samples against all 63 on
random (also highly eccentric) orbits, with depths a hair either side of each row's highest sample.

Each property runs a quick profile in the quick suite and a larger one behind the ``slow`` marker
(``--run-slow``)."""

from __future__ import annotations

import csv
import io
import json
import math
import struct
import warnings
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from passplan import geometry
from passplan.io import RecordWriter
from passplan.passes import passes_to_records
from passplan.passes.columns import (
    ColumnRecords,
    PassColumns,
    _compose,
    _decimal,
    _general6,
    _iso_text,
    _rounded,
    unix_us,
)
from passplan.passes.records import _slug
from passplan.passes.stream import _in_order, _Pairs
from passplan.passes.summary import _assign, _by_pass_and_time, _first_extreme
from passplan.times import iso_z

PROFILES = [pytest.param("quick"), pytest.param("slow", marks=pytest.mark.slow)]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_G6 = "%.6g".__mod__  # the CSV cell of a float (printf %g, as passplan.io writes it)
_SEP = np.frombuffer(b"\x01", np.uint8).reshape(1, 1)  # a separator byte no text holds


def _profile(profile: str, quick: int, slow: int) -> Any:
    return settings(max_examples=quick if profile == "quick" else slow, derandomize=True, database=None,
                    deadline=None, suppress_health_check=list(HealthCheck))


def _split(field: np.ndarray, n: int, encoding: str = "ascii") -> list[str]:
    return _compose([field, _SEP], n).decode(encoding).split("\x01")[:-1]


def _bits(values: list[float]) -> list[bytes]:
    return [struct.pack("<d", v) for v in values]


# ---- numbers -------------------------------------------------------------------------------

def _edge_floats(digits: int) -> st.SearchStrategy[float]:
    """Values where the text paths change hands: rounding ties, the decimal limit (1e15 scaled),
    the exponent switches of %.6g (1e-4, 1e6), carries at six digits, negative zero, subnormals."""
    scale = 10.0**digits
    k = st.integers(-(10**16), 10**16)
    ties = k.map(lambda i: (i + 0.5) / scale)
    near = st.sampled_from([1e15 / scale, 2.0**50 / scale, 1e-4, 5e-5, 1e6, 999999.5, 9.999995, 99999.95, 0.5 / scale,
                            1e16 / scale, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308])
    nudged = st.tuples(st.one_of(ties, near), st.integers(-3, 3), st.booleans()).map(
        lambda a: -_nudge(a[0], a[1]) if a[2] else _nudge(a[0], a[1])).filter(math.isfinite)
    return st.one_of(st.floats(allow_nan=False, allow_infinity=False), nudged, st.just(-0.0),
                     st.floats(-1e-3, 1e-3), st.integers(-(10**12), 10**12).map(lambda i: i / scale))


def _nudge(x: float, ulps: int) -> float:
    for _ in range(abs(ulps)):
        x = math.nextafter(x, math.inf if ulps > 0 else -math.inf)
    return x


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("digits", [2, 3, 4])
def test_numbers_are_pythons_round_repr_and_percent_g(profile: str, digits: int) -> None:
    """``_rounded`` is ``round(v, d)`` bit for bit; ``_decimal`` is ``repr(round(v, d))`` or, only
    where a value is beyond its plain decimal range, None; ``_general6`` is
    ``"%.6g" % round(v, d)`` for every finite value and empty for NaN and infinities."""

    @_profile(profile, 40, 3000)
    @given(st.lists(_edge_floats(digits), min_size=1, max_size=12),
           st.lists(st.sampled_from([math.nan, math.inf, -math.inf]), max_size=2))
    def check(xs: list[float], odd: list[float]) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no RuntimeWarning (the CLI would print it) for huge values
            numbers(xs, odd)

    def numbers(xs: list[float], odd: list[float]) -> None:
        x = np.array(xs)
        want = [round(v, digits) for v in xs]
        assert _bits(_rounded(x, digits).tolist()) == _bits(want)
        text = _decimal(x, digits)
        if text is None:
            assert max(abs(v) for v in want) * 10**digits >= 1e15 * (1 - 1e-15)
        else:
            assert _split(text, x.size) == [repr(v) for v in want]
        assert _split(_general6(x, digits), x.size) == [_G6(v) for v in want]
        if odd:
            y = np.array(xs + odd)
            assert _decimal(y, digits) is None
            assert _split(_general6(y, digits), y.size) == [_G6(v) for v in want] + [""] * len(odd)

    check()


# ---- times ---------------------------------------------------------------------------------

_US_MIN = unix_us(datetime(1000, 1, 1, tzinfo=UTC))  # four-digit years (strftime's %Y)
_US_MAX = unix_us(datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))
#: leap-second days end (UTC has no 23:59:60 in these stamps: the next microsecond is midnight)
_LEAP_EDGES = [unix_us(datetime(y, m, d, tzinfo=UTC)) for y, m, d in
               ((1972, 7, 1), (1973, 1, 1), (1990, 1, 1), (2016, 1, 1), (2017, 1, 1), (2100, 1, 1), (1970, 1, 1), (1969, 12, 31))]


def _stamps() -> st.SearchStrategy[int]:
    edge = st.tuples(st.sampled_from(_LEAP_EDGES), st.integers(-2_000_000, 2_000_000)).map(sum)
    return st.one_of(st.integers(_US_MIN, _US_MAX), edge, st.integers(-10**12, 10**12),
                     st.integers(unix_us(datetime(2100, 1, 1, tzinfo=UTC)), unix_us(datetime(2200, 1, 1, tzinfo=UTC))))


@pytest.mark.parametrize("profile", PROFILES)
def test_iso_text_is_isoformat_and_strftime(profile: str) -> None:
    """The clock-table times are ``iso_z`` (``isoformat``, milliseconds truncated) and the uid's
    ``strftime("%Y%m%dT%H%M%SZ")``, over the span-of-days and the distinct-days paths."""

    @_profile(profile, 40, 3000)
    @given(st.lists(_stamps(), min_size=1, max_size=10))
    def check(us: list[int]) -> None:
        arr = np.array(us, np.int64)
        when = [_EPOCH + timedelta(microseconds=u) for u in us]
        assert _split(_iso_text(arr), arr.size) == [iso_z(w) for w in when]
        assert _split(_iso_text(arr, basic=True), arr.size) == [w.strftime("%Y%m%dT%H%M%SZ") for w in when]

    check()


# ---- whole blocks of records ----------------------------------------------------------------

_NAME_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs",))
_names = st.one_of(st.text(_NAME_CHARS, max_size=8), st.sampled_from(['Mo Zi "QSS", 2', "a\nb", "a\r\nb", " lead", "é,ü", "\\", "", "x\x00y"]))
_labels = st.one_of(st.none(), st.sampled_from(["window", "darkness", "max_range+darkness"]), st.text(_NAME_CHARS, max_size=5))
_angles = st.one_of(st.floats(-400, 400), st.floats(allow_nan=False, allow_infinity=False), st.just(-0.0),
                    st.integers(-36000, 36000).map(lambda i: (i + 0.5) / 100))
_fractions = st.one_of(st.floats(0, 1), st.sampled_from([0.0, 1.0, 0.00005, 0.99995, 0.12345]))


@st.composite
def _columns(draw: Any) -> PassColumns:
    n_sat, n_st = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    epochs = st.one_of(st.none(), _stamps().map(lambda u: _EPOCH + timedelta(microseconds=u)))
    sats = [SimpleNamespace(name=draw(_names), norad_id=draw(st.one_of(st.none(), st.integers(0, 10**9))), epoch=draw(epochs))
            for _ in range(n_sat)]
    stations = [SimpleNamespace(id=draw(_names)) for _ in range(n_st)]
    n = draw(st.integers(1, 6))
    rows = st.lists
    aos = np.array(draw(rows(_stamps().filter(lambda u: u < _US_MAX - 2 * 10**14), min_size=n, max_size=n)), np.int64)
    span = st.one_of(st.integers(0, 10**10), st.integers(0, 10**14))
    los = aos + np.array(draw(rows(span, min_size=n, max_size=n)), np.int64)
    tca = aos + (los - aos) // 2
    rise = np.where(np.array(draw(rows(st.booleans(), min_size=n, max_size=n))), aos, aos - 1_000_000)
    set_ = np.where(np.array(draw(rows(st.booleans(), min_size=n, max_size=n))), los, los + 1_000)

    def floats(s: st.SearchStrategy[float]) -> np.ndarray:
        return np.array(draw(rows(s, min_size=n, max_size=n)), float)

    def flags() -> np.ndarray:
        return np.array(draw(rows(st.booleans(), min_size=n, max_size=n)), bool)

    return PassColumns(
        sats=sats, stations=stations,
        sat=np.array(draw(rows(st.integers(0, n_sat - 1), min_size=n, max_size=n)), np.int64),
        st=np.array(draw(rows(st.integers(0, n_st - 1), min_size=n, max_size=n)), np.int64),
        aos_us=aos, tca_us=tca, los_us=los, rise_us=rise, set_us=set_,
        max_el_deg=floats(_angles), aos_az_deg=floats(_angles), tca_az_deg=floats(_angles), los_az_deg=floats(_angles),
        min_range_km=floats(st.one_of(st.floats(0, 1e6), _angles)), sat_sunlit_fraction=floats(_fractions),
        station_dark=flags(), station_dark_fraction=floats(_fractions), partial=flags(),
        cut_start_by=draw(rows(_labels, min_size=n, max_size=n)), cut_end_by=draw(rows(_labels, min_size=n, max_size=n)),
        excluded_by=draw(rows(_labels, min_size=n, max_size=n)),
    )


def _reference_records(cols: PassColumns) -> list[dict[str, Any]]:
    """The records written out by hand from the columns' inputs (datetimes, ``round``, the slug)."""
    out = []
    for i in range(len(cols)):
        sat, station = cols.sats[int(cols.sat[i])], cols.stations[int(cols.st[i])]

        def when(name: str, i: int = i) -> datetime:
            return _EPOCH + timedelta(microseconds=int(getattr(cols, name)[i]))

        sat_part = str(sat.norad_id) if sat.norad_id is not None else _slug(sat.name)
        age = None if sat.epoch is None else round((when("aos_us") - sat.epoch).total_seconds() / 86400, 3)
        out.append({
            "uid": f"{sat_part}-{_slug(station.id)}-{when('aos_us').strftime('%Y%m%dT%H%M%SZ')}",
            "satellite": sat.name, "norad_id": sat.norad_id, "station": station.id,
            "aos_utc": iso_z(when("aos_us")), "tca_utc": iso_z(when("tca_us")), "los_utc": iso_z(when("los_us")),
            "duration_s": round((when("los_us") - when("aos_us")).total_seconds(), 3),
            "max_el_deg": round(float(cols.max_el_deg[i]), 3),
            "aos_az_deg": round(float(cols.aos_az_deg[i]), 2), "tca_az_deg": round(float(cols.tca_az_deg[i]), 2),
            "los_az_deg": round(float(cols.los_az_deg[i]), 2), "min_range_km": round(float(cols.min_range_km[i]), 3),
            "sat_sunlit_fraction": round(float(cols.sat_sunlit_fraction[i]), 4),
            "station_dark": bool(cols.station_dark[i]), "partial": bool(cols.partial[i]),
            "rise_utc": iso_z(when("rise_us")), "set_utc": iso_z(when("set_us")),
            "cut_start_by": cols.cut_start_by[i], "cut_end_by": cols.cut_end_by[i], "excluded_by": cols.excluded_by[i],
            "elements_epoch_utc": None if sat.epoch is None else iso_z(sat.epoch), "elements_age_days": age,
            "station_dark_fraction": round(float(cols.station_dark_fraction[i]), 4),
        })
    return out


def _reference_text(records: list[dict[str, Any]], fmt: str, cuts: list[int]) -> str:
    """``json.dumps`` (NaN as null) and ``csv.writer`` (``%.6g``, true/false, empty None)."""
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(list(records[0]))

        def cell(v: Any) -> str:
            if v is None or (type(v) is float and not math.isfinite(v)):
                return ""
            if type(v) is bool:
                return "true" if v else "false"
            return _G6(v) if type(v) is float else str(v)

        w.writerows([[cell(v) for v in r.values()] for r in records])
        return buf.getvalue()
    lines = [json.dumps({k: None if type(v) is float and not math.isfinite(v) else v for k, v in r.items()}) for r in records]
    if fmt == "ndjson":
        return "".join(line + "\n" for line in lines)
    return "[\n" + ",\n".join(lines) + "\n]\n"


@pytest.mark.parametrize("profile", PROFILES)
def test_block_text_is_json_dumps_and_csv_writer(profile: str) -> None:
    """A block of pass records written by :class:`RecordWriter` from its columns (the block-wide
    JSON and CSV text, in one write or split in several) is ``json.dumps``/``csv.writer`` of the
    records written out by hand: names with quotes, commas, newlines, unicode, NUL; catalogue
    numbers or none; epochs unknown, before 1970 or after 2100; NaN, huge and tie values."""

    @_profile(profile, 25, 1500)
    @given(_columns(), st.lists(st.integers(0, 6), max_size=2), st.integers(0, 5))
    def check(cols: PassColumns, cuts: list[int], nan_at: int) -> None:
        if nan_at < len(cols) and nan_at % 2:  # some blocks with a NaN (the encoder's business)
            cols.max_el_deg[nan_at] = math.nan
        want_records = _reference_records(cols)
        got_records = passes_to_records(cols.passes())
        assert json.dumps(got_records) == json.dumps(want_records)  # the object path, as a check of the reference
        n = len(cols)
        bounds = sorted({0, n, *[min(c, n) for c in cuts]})
        for fmt in ("json", "ndjson", "csv"):
            buf = io.StringIO()
            writer = RecordWriter(buf, fmt)
            for a, b in zip(bounds[:-1], bounds[1:], strict=True):
                writer.write(ColumnRecords(cols.rows(a, b)))
            writer.close()
            assert buf.getvalue() == _reference_text(want_records, fmt, bounds), fmt

    check()


# ---- summary: point sort, window assignment, extrema -----------------------------------------

@pytest.mark.parametrize("profile", PROFILES)
def test_point_sort_is_lexsort(profile: str) -> None:
    """The radix point sort is ``np.lexsort((t, pid))`` index for index: tied times (also 0.0
    against -0.0), infinities, NaN, pass ids negative or beyond 16 and 32 bits."""
    times = st.one_of(st.sampled_from([0.0, -0.0, 1.0, math.inf, -math.inf, 5e-324]), st.floats(allow_nan=False), st.integers(-3, 3).map(float))

    @_profile(profile, 60, 5000)
    @given(st.lists(st.tuples(st.one_of(st.integers(0, 4), st.integers(-(2**40), 2**40), st.sampled_from([65535, 65536, 2**32, 2**32 + 1])),
                              st.one_of(times, st.just(math.nan) if profile == "slow" else times)), max_size=40)
           | st.lists(st.tuples(st.integers(0, 3), st.sampled_from([0.0, -0.0, 1.0, 2.5])), min_size=17, max_size=200),  # ties past insertion sort
           st.booleans())
    def check(rows: list[tuple[int, float]], with_nan: bool) -> None:
        pid = np.array([r[0] for r in rows], np.int64)
        t = np.array([r[1] for r in rows], float)
        if with_nan and t.size:
            t[0] = math.nan
        assert np.array_equal(_by_pass_and_time(pid, t), np.lexsort((t, pid)))

    check()


@st.composite
def _windows_and_points(draw: Any) -> tuple[np.ndarray, ...]:
    n_pass = draw(st.integers(1, 4))
    w_pid, w0, w1 = [], [], []
    for p in sorted(draw(st.lists(st.integers(-5, 50), min_size=n_pass, max_size=n_pass, unique=True))):
        edges = sorted(draw(st.lists(st.integers(0, 40), min_size=0, max_size=6, unique=True)))
        for a, b in zip(edges[0::2], edges[1::2], strict=False):  # windows of a pass apart, in order
            w_pid.append(p)
            w0.append(a / 2)
            w1.append(b / 2)
    pts = draw(st.lists(st.tuples(st.one_of(st.sampled_from(w_pid or [0]), st.integers(-6, 51)),
                                  st.one_of(st.integers(-2, 42).map(lambda i: i / 2), st.floats(-1, 21))), max_size=30))
    return (np.array(w_pid, np.int64), np.array(w0), np.array(w1), np.array([p[0] for p in pts], np.int64),
            np.array([p[1] for p in pts], float))


@pytest.mark.parametrize("profile", PROFILES)
def test_window_assignment_and_first_extremes_are_a_scan(profile: str) -> None:
    """Each point goes to the last window of its pass starting at or before it (less the slack),
    if it ends at or after it (plus the slack), else -1: as a scan of every window says; and the
    first largest and smallest value of each group are the scan's."""

    @_profile(profile, 60, 5000)
    @given(_windows_and_points(), st.sampled_from([0.0, 0.5, 0.25]))
    @example((np.array([1, 1, 4]), np.array([0.0, 3.0, 1.0]), np.array([2.0, 5.0, 1.5]), np.array([1, 1, 1, 1, 1, 1, 4, 2, 4]),
              np.array([0.0, 2.0, 2.5, 3.0, 5.0, 5.5, 1.5, 1.0, 0.5])), 0.0)  # points on both ends of windows
    @example((np.array([1, 1, 4]), np.array([0.0, 3.0, 1.0]), np.array([2.0, 5.0, 1.5]), np.array([1, 1, 1, 1, 1, 1, 4, 2, 4]),
              np.array([-0.5, 2.5, 2.5, 2.75, 5.5, 5.75, 2.0, 1.0, 0.5])), 0.5)
    def check(case: tuple[np.ndarray, ...], slack: float) -> None:
        w_pid, w0, w1, pid, t = case
        want = np.full(pid.size, -1)
        for i in range(pid.size):
            hits = [k for k in range(w_pid.size) if w_pid[k] == pid[i] and w0[k] - slack <= t[i]]
            if hits and t[i] <= w1[hits[-1]] + slack:
                want[i] = hits[-1]
        assert np.array_equal(_assign(w_pid, w0, w1, pid, t, slack), want)

    check()

    @_profile(profile, 60, 5000)
    @given(st.lists(st.lists(st.one_of(st.sampled_from([0.0, -0.0, 1.0, -1.0]), st.floats(allow_nan=False)), min_size=1, max_size=6),
                    min_size=1, max_size=6))
    def extremes(groups: list[list[float]]) -> None:
        values = np.array([v for g in groups for v in g])
        k = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
        starts = np.cumsum([0] + [len(g) for g in groups[:-1]])
        off = starts.tolist()
        top = [off[i] + max(range(len(g)), key=lambda j, g=g: (g[j], -j)) for i, g in enumerate(groups)]
        low = [off[i] + min(range(len(g)), key=lambda j, g=g: (g[j], j)) for i, g in enumerate(groups)]
        assert _first_extreme(values, k, starts, True).tolist() == top
        assert _first_extreme(values, k, starts, False).tolist() == low

    extremes()


# ---- stream: sortedness, pair bookkeeping -----------------------------------------------------

@pytest.mark.parametrize("profile", PROFILES)
def test_in_order_is_a_stable_sort_leaving_rows_alone(profile: str) -> None:
    key = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(0, 2)), max_size=12)

    @_profile(profile, 80, 5000)
    @given(key, st.booleans())
    def check(rows: list[tuple[int, int, int]], sort: bool) -> None:
        if sort:
            rows = sorted(rows)
        k0, k1, k2 = (np.array([r[i] for r in rows], np.int64) for i in range(3))
        want = np.array_equal(np.lexsort((k2, k1, k0)), np.arange(len(rows)))
        assert _in_order(k0, k1, k2) == want

    check()


@pytest.mark.parametrize("profile", PROFILES)
def test_pair_bookkeeping_is_a_dict_of_latest_los(profile: str) -> None:
    """The pairs' last LOS in an array (blocks of one search) and then in a dict (a block from
    other lists) count the pairs seen and give the earliest of their latest LOS, as a dict of
    maxima by (satellite, station id) does."""
    sats = [SimpleNamespace(name=f"S{i}") for i in range(3)]
    stations = [SimpleNamespace(id=f"g{i}") for i in range(2)]
    other_sats = [sats[1], SimpleNamespace(name="T")]
    block = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1), st.integers(-10**12, 10**12)), min_size=1, max_size=6)

    def cols(sat_list: list[Any], rows: list[tuple[int, int, int]]) -> PassColumns:
        z = np.zeros(len(rows))
        zi = np.zeros(len(rows), np.int64)
        los = np.array([r[2] for r in rows], np.int64)
        return PassColumns(sat_list, stations, np.array([min(r[0], len(sat_list) - 1) for r in rows]), np.array([r[1] for r in rows]),
                           zi, zi, los, zi, zi, z, z, z, z, z, z, z.astype(bool), z, z.astype(bool),
                           [None] * len(rows), [None] * len(rows), [None] * len(rows))

    @_profile(profile, 40, 3000)
    @given(st.lists(st.tuples(st.booleans(), block), min_size=1, max_size=5))
    def check(blocks: list[tuple[bool, list[tuple[int, int, int]]]]) -> None:
        pairs = _Pairs()
        want: dict[tuple[int, str], int] = {}
        for other, rows in blocks:
            c = cols(other_sats if other else sats, rows)
            pairs.add(c)
            for s, g, los in zip(c.sat.tolist(), c.st.tolist(), c.los_us.tolist(), strict=True):
                key = (id(c.sats[s]), stations[g].id)
                want[key] = max(want.get(key, los), los)
            assert pairs.count() == len(want)
            assert pairs.earliest() == min(want.values())

    check()


# ---- geometry: interpolant, station frame, squared ranges ---------------------------------------

def _hermite_unbatched(g: geometry.StateGrid, sat: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The session's starting formula of StateGrid.state: one gather per component, in one batch."""
    h, nt = g.step_s, g.pos.shape[1]
    j = np.clip(np.floor(s / h).astype(np.int64) - g.i0, 0, nt - 2)
    u = np.clip(s / h - (j + g.i0), 0.0, 1.0)
    row = sat * nt + j
    flat = np.concatenate([g.pos, g.vel * h], axis=-1).reshape(-1, 6).T
    y0, y1 = flat[:, row], flat[:, row + 1]
    u2, u3 = u * u, u * u * u
    h01 = -2.0 * u3 + 3.0 * u2
    h00, h10, h11 = 1.0 - h01, u3 - 2.0 * u2 + u, u3 - u2
    pos = np.stack([((h00 * y0[k] + h01 * y1[k]) + h10 * y0[k + 3]) + h11 * y1[k + 3] for k in range(3)], -1)
    d00, d10, d11 = (6.0 * u2 - 6.0 * u) / h, (3.0 * u2 - 4.0 * u + 1.0) / h, (3.0 * u2 - 2.0 * u) / h
    vel = np.stack([((y0[k] - y1[k]) * d00 + d10 * y0[k + 3]) + d11 * y1[k + 3] for k in range(3)], -1)
    ok = g.ok.ravel()
    return pos, vel, ok[row] & ok[row + 1]


@pytest.mark.parametrize("profile", PROFILES)
def test_batched_state_is_the_unbatched_hermite_formula(profile: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``StateGrid.state`` (one gather of both ends, batches) equals the Hermite formula in one
    batch bit for bit, validity included: times on grid points, off either end (clamped), batches
    of 1..7 rows, a satellite index broadcast over times."""
    monkeypatch.setattr(geometry, "_STATE_CHUNK", 5)

    @_profile(profile, 40, 3000)
    @given(st.integers(1, 3), st.integers(2, 6), st.integers(-3, 3), st.sampled_from([30.0, 60.0, 109.0]), st.integers(0, 2**32),
           st.lists(st.tuples(st.integers(0, 2), st.one_of(st.floats(-500, 1500), st.integers(-5, 20))), min_size=1, max_size=13),
           st.booleans())
    def check(nsat: int, nt: int, i0: int, h: float, seed: int, rows: list[tuple[int, float]], one_sat: bool) -> None:
        r = np.random.default_rng(seed)
        pos, vel = r.normal(size=(nsat, nt, 3)) * 7000.0, r.normal(size=(nsat, nt, 3)) * 7.0
        g = geometry.StateGrid(pos, vel, r.random((nsat, nt)) < 0.8, i0, h)
        sat = np.array([min(a, nsat - 1) for a, _ in rows])
        s = np.array([float(b) * h if isinstance(b, int) else b for _, b in rows])
        if one_sat:
            sat = np.int64(sat[0])
        want = _hermite_unbatched(g, np.broadcast_to(sat, s.shape), s)
        got = g.state(sat, s)
        for a, b in zip(got, want, strict=True):
            assert a is not None and np.array_equal(a, b)
        p2, v2, ok2 = g.state(sat, s, velocity=False)
        assert v2 is None and np.array_equal(p2, want[0]) and np.array_equal(ok2, want[2])

    check()


@pytest.mark.parametrize("profile", PROFILES)
def test_station_frame_and_squared_ranges_are_the_plain_formulas(profile: str) -> None:
    """``Scene.enu`` (one gather of an 11-row table) and ``Scene.topocentric_grid`` (squared ranges
    in place) give the per-coefficient formulas' values bit for bit."""

    @_profile(profile, 30, 2000)
    @given(st.integers(1, 4), st.integers(0, 2**32), st.integers(1, 9))
    def check(nst: int, seed: int, n: int) -> None:
        r = np.random.default_rng(seed)
        lat, lon = r.uniform(-90, 90, nst), r.uniform(-180, 180, nst)
        fake = SimpleNamespace(sta_ecef=geometry.station_ecef_km(lat, lon, r.uniform(0, 4000, nst)), sta_enu=geometry.enu_matrices(lat, lon))
        sat = r.normal(size=(n, 3)) * 7000.0
        idx = r.integers(0, nst, n)
        e, nn, u = geometry.Scene.enu(fake, sat, idx)  # type: ignore[arg-type]
        m, s = fake.sta_enu[idx], fake.sta_ecef[idx]
        d = [sat[:, i] - s[:, i] for i in range(3)]
        assert np.array_equal(e, m[:, 0, 0] * d[0] + m[:, 0, 1] * d[1])
        assert np.array_equal(nn, m[:, 1, 0] * d[0] + m[:, 1, 1] * d[1] + m[:, 1, 2] * d[2])
        assert np.array_equal(u, m[:, 2, 0] * d[0] + m[:, 2, 1] * d[1] + m[:, 2, 2] * d[2])
        grid = sat.reshape(1, n, 3)
        for sine in (False, True):
            _, el = geometry.Scene.topocentric_grid(fake, grid, False, sine)  # type: ignore[arg-type]
            up_dir = fake.sta_enu[:, 2, :]
            up = grid @ up_dir.T - np.einsum("kj,kj->k", up_dir, fake.sta_ecef)
            r2 = np.einsum("...i,...i->...", grid, grid)[..., None]
            rng2 = r2 - 2.0 * (grid @ fake.sta_ecef.T) + np.einsum("kj,kj->k", fake.sta_ecef, fake.sta_ecef)
            want = up / np.sqrt(rng2)
            want = want if sine else np.degrees(np.arcsin(np.clip(want, -1.0, 1.0)))
            assert np.array_equal(el, want.transpose(0, 2, 1))

    check()


def test_zero_and_negative_zero_keep_their_sign_beside_none() -> None:
    """Found by the block property above: a column of floats and None (the ages, where some
    satellite has no epoch) whose values include both 0.0 and -0.0 was written with one token for
    both (the distinct values of a set, where -0.0 == 0.0), so a pass at its epoch read
    ``-0.0``. Each value keeps its own sign: ``json.dumps`` of the records."""
    from passplan.passes.columns import _json_tokens

    col = [-0.0, None, 0.0, 1.5, 0.0, -0.0]
    assert _json_tokens(col) == [json.dumps(v) for v in col]
    assert _json_tokens([0.0, -0.0, None]) == ["0.0", "-0.0", "null"]
    assert _json_tokens([math.nan, None]) is None and _json_tokens([1.0, True]) is None
    # the whole path: a NaN elsewhere sends the block to the per-line text (json_lines)
    epoch = _EPOCH + timedelta(microseconds=1)
    sats = [SimpleNamespace(name="a", norad_id=None, epoch=epoch), SimpleNamespace(name="b", norad_id=7, epoch=None)]
    aos = np.array([0, 0, 1], np.int64)  # ages -1e-6 s (-0.0 rounded), none, 0.0
    z = np.zeros(3)
    cols = PassColumns(sats, [SimpleNamespace(id="g")], np.array([0, 1, 0]), np.zeros(3, np.int64), aos, aos, aos, aos, aos,
                       np.array([math.nan, 1.0, 2.0]), z, z, z, z, z, z.astype(bool), z, z.astype(bool), [None] * 3, [None] * 3, [None] * 3)
    want = _reference_records(cols)
    assert [r["elements_age_days"] for r in want] == [-0.0, None, 0.0]
    for fmt in ("json", "ndjson", "csv"):
        buf = io.StringIO()
        writer = RecordWriter(buf, fmt)
        writer.write(ColumnRecords(cols))
        writer.close()
        assert buf.getvalue() == _reference_text(want, fmt, [0, 3]), fmt


# ---- nested hump samples ---------------------------------------------------------------------

_T0 = datetime(2026, 11, 23, tzinfo=UTC)


def _orbit(name: str, alt_p: float, alt_a: float, inc: float, raan: float, argp: float, ma: float) -> Any:
    """A satellite from mean elements (sgp4init, WGS-72, no drag), epoch at the block start."""
    from sgp4.api import WGS72, Satrec

    from passplan.satellite import Satellite

    a = 6378.135 + (alt_p + alt_a) / 2
    rec = Satrec()
    rec.sgp4init(WGS72, "i", 1, (_T0 - datetime(1949, 12, 31, tzinfo=UTC)).total_seconds() / 86400, 0.0, 0.0, 0.0,
                 (alt_a - alt_p) / (2 * a), math.radians(argp), math.radians(inc), math.radians(ma),
                 math.sqrt(398600.8 / a**3) * 60.0, math.radians(raan))
    return Satellite(name, None, rec, _T0, "test")


_orbits = st.tuples(
    st.one_of(st.tuples(st.floats(160, 1500), st.floats(0, 600)).map(lambda p: (p[0], p[0] + p[1])),  # LEO, near circular
              st.tuples(st.floats(160, 800), st.floats(20000, 200000)),  # GTO, Molniya, beyond: fast perigees
              st.tuples(st.floats(1500, 8000), st.floats(8000, 36000))),
    st.floats(0, 150), st.floats(0, 360), st.floats(0, 360), st.floats(0, 360))


@pytest.mark.parametrize("profile", PROFILES)
def test_nested_hump_samples_answer_as_all_63(profile: str) -> None:
    """On random orbits (near-circular LEO down to 160 km, highly eccentric ones whose speed
    changes fastest within a step), stations anywhere with floors up to 80 deg, with and without
    refraction, grid steps of 30 to 120 s: the nested samples (with the turn bound, and with the
    grid-point margins first) decide every row as all 63 samples do, at the -3 deg threshold and
    at depths a hair (1e-9 deg, 1e-3 deg) either side of each row's highest sample."""
    from passplan.passes import Constraints
    from passplan.passes.block import Block
    from passplan.stations import Station

    @_profile(profile, 10, 400)
    @given(st.lists(_orbits, min_size=1, max_size=3),
           st.lists(st.tuples(st.floats(-89, 89), st.floats(-180, 180), st.sampled_from([0.0, 10.0, 30.0, 60.0, 80.0])), min_size=1, max_size=3),
           st.sampled_from([30.0, 60.0, 120.0]), st.booleans())
    def check(orbits: list[Any], sites: list[tuple[float, float, float]], step: float, refraction: bool) -> None:
        sats = [_orbit(f"S{i}", p[0], p[1], inc, raan, argp, ma) for i, (p, inc, raan, argp, ma) in enumerate(orbits)]
        stations = [Station(id=f"g{i}", name=f"g{i}", lat_deg=la, lon_deg=lo, alt_m=100.0, min_elevation_deg=fl)
                    for i, (la, lo, fl) in enumerate(sites)]
        horizon = Constraints(refraction=refraction).build(stations)[0]
        n_steps = int(6 * 3600 / step)
        blk = Block(sats, stations, _T0, _T0 + timedelta(seconds=n_steps * step), 0, n_steps, step, horizon, [])
        nt = blk.grid.times.size
        s_, g_, c_ = (a.ravel() for a in np.meshgrid(np.arange(len(sats)), np.arange(len(stations)), np.arange(1, nt - 1), indexing="ij"))
        # the turn bound and the rows of grid_margins (a centre at or below zero, within reach of -3 deg)
        reach = 1.1 * step * np.linalg.norm(blk.grid.vel[s_, c_], axis=-1)
        turn = np.degrees(reach / np.maximum(np.linalg.norm(blk.grid.pos[s_, c_] - blk.scene.sta_ecef[g_], axis=-1) - reach, 1e-9))
        m_c = blk.horizon_margin(s_, g_, blk.grid.times[c_])
        pick = np.flatnonzero((m_c <= 0) & (m_c + turn > -3.0))
        tested.append(pick.size)
        if pick.size == 0:
            return
        s_, g_, c_, turn = s_[pick], g_[pick], c_[pick], turn[pick]
        u = np.arange(-31, 32) / 32.0
        t_all = (blk.grid.times[c_][:, None] + u[None, :] * step).ravel()
        top = blk.horizon_margin(np.repeat(s_, u.size), np.repeat(g_, u.size), t_all).reshape(-1, u.size).max(axis=1)
        ends = tuple(blk.horizon_margin(s_, g_, blk.grid.times[c_ + d]) for d in (-1, 0, 1))
        for depth in (np.full(top.size, -3.0), top - 1e-9, top + 1e-9, top - 1e-3, top + 1e-3):
            want = top > depth
            assert np.array_equal(blk._hump_clears(s_, g_, c_, None, depth), want)
            assert np.array_equal(blk._hump_clears(s_, g_, c_, turn, depth), want)
            assert np.array_equal(blk._hump_clears(s_, g_, c_, turn, depth, ends=ends), want)
        decided.append(int(np.count_nonzero(top > -3.0)))

    tested: list[int] = []
    decided: list[int] = []
    check()
    print(f"hump rows {sum(tested)} in {len(tested)} scenes, {sum(decided)} clearing -3 deg")
    assert sum(tested) > 20 and 0 < sum(decided) < sum(tested)  # the property met real rows, both answers


@pytest.mark.parametrize("profile", PROFILES)
def test_stream_releases_every_row_in_find_passes_order(profile: str) -> None:
    """``columns_in_order`` over blocks that keep the engine's promises (each pair's passes apart
    and in time order; ``complete_before`` at most the earliest AOS still to come) releases the
    rows sorted by (AOS, station id, satellite name), whatever the blocks, bounds and pair count:
    the released rows joined are the stable sort of all of them."""
    from passplan.passes.stream import columns_in_order

    sats = [SimpleNamespace(name=n) for n in ("b", "a", "c")]
    stations = [SimpleNamespace(id=i) for i in ("y", "x")]
    pair_passes = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(0, 2)), max_size=4)

    @_profile(profile, 40, 3000)
    @given(st.lists(pair_passes, min_size=6, max_size=6), st.integers(1, 4), st.lists(st.integers(0, 3), min_size=24, max_size=24),
           st.booleans(), st.integers(0, 2**32), st.sampled_from(["shuffled", "sorted", "by satellite"]))
    def check(passes: list[list[tuple[int, int, int]]], n_blocks: int, slack: list[int], with_bound: bool, seed: int, arrange: str) -> None:
        rows = []  # (aos, los, sat, st, block)
        for pair, seq in enumerate(passes):
            t, b = 0, 0
            for gap, dur, adv in seq:  # passes of a pair apart, each in the same or a later block
                aos = t + gap * 1_000_000
                rows.append((aos, aos + dur * 1_000_000, pair // 2, pair % 2, min(b + adv, n_blocks - 1)))
                t, b = aos + dur * 1_000_000 + 1, min(b + adv, n_blocks - 1)
        if not rows:
            return
        r = np.random.default_rng(seed)
        blocks = []
        for k in range(n_blocks):
            mine = [x for x in rows if x[4] == k]
            later = [x[0] for x in rows if x[4] > k]
            if arrange == "shuffled":
                mine = [mine[i] for i in r.permutation(len(mine))]
            else:  # as the engine sorts a block, or by satellite before station (not find_passes' order)
                mine.sort(key=lambda x: (x[0], stations[x[3]].id, sats[x[2]].name) if arrange == "sorted" else (x[0], sats[x[2]].name, stations[x[3]].id))
            bound = min(later, default=None)
            if bound is not None:
                bound -= slack[k] * 1_000_000
            aos = np.array([x[0] for x in mine], np.int64)
            z = np.zeros(len(mine))
            cols = PassColumns(sats, stations, np.array([x[2] for x in mine], np.int64), np.array([x[3] for x in mine], np.int64),
                               aos, aos, np.array([x[1] for x in mine], np.int64), aos, aos, z, z, z, z, z, z, z.astype(bool), z,
                               z.astype(bool), [None] * len(mine), [None] * len(mine), [None] * len(mine))
            block = SimpleNamespace(warnings=[], columns=cols)
            if with_bound:
                block.complete_before = None if k == n_blocks - 1 else (
                    _EPOCH + timedelta(microseconds=bound) if bound is not None else _EPOCH + timedelta(days=1))
            blocks.append(block)
        out = list(columns_in_order(blocks, None, n_pairs=6))
        got = [(int(a), c.stations[g].id, c.sats[s].name) for c in out for a, s, g in zip(c.aos_us, c.sat, c.st, strict=True)]
        assert got == sorted((x[0], stations[x[3]].id, sats[x[2]].name) for x in rows)

    check()


@pytest.mark.parametrize("profile", PROFILES)
def test_lattice_sample_values_are_the_rows_alone(profile: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The samples' Sun (one table per lattice time and station), rates, sunlit margins and
    constraint verdicts, computed in batches with the Sun preset, are bit for bit what one
    :class:`Look` over all the rows computes itself: random pieces (ends off the lattice, pieces
    shorter than a lattice step), one or several stations, every constraint at once."""
    from passplan.passes import Constraints
    from passplan.passes import pieces as pieces_mod
    from passplan.passes.block import Block
    from passplan.stations import Station

    monkeypatch.setattr(pieces_mod, "_BATCH_ROWS", 7)
    sats = [_orbit("L", 500.0, 520.0, 97.4, 10.0, 0.0, 0.0), _orbit("H", 400.0, 36000.0, 63.4, 200.0, 270.0, 30.0)]

    @_profile(profile, 6, 300)
    @given(st.lists(st.tuples(st.floats(-60, 80), st.floats(-180, 180)), min_size=1, max_size=3),
           st.lists(st.tuples(st.integers(0, 1), st.integers(0, 2), st.one_of(st.floats(0, 5000), st.floats(1000, 1100)), st.floats(0, 400)),
                    min_size=1, max_size=12),
           st.sampled_from([5.0, 30.0]))
    @example([(47.0, 15.5)], [(i % 2, 0, 1000.0 + 7.3 * i, 400.0) for i in range(10)], 5.0)  # overlapping pieces: tables
    def check(sites: list[tuple[float, float]], rows: list[tuple[int, int, float, float]], step: float) -> None:
        stations = [Station(id=f"g{i}", name=f"g{i}", lat_deg=la, lon_deg=lo, alt_m=0.0, min_elevation_deg=10.0, twilight="civil")
                    for i, (la, lo) in enumerate(sites)]
        horizon, cons = Constraints(darkness="station", eclipse=False, min_sun_sep_deg=20.0, min_moon_sep_deg=5.0,
                                    max_range_km=2500.0).build(stations)
        blk = Block(sats, stations, _T0, _T0 + timedelta(hours=2), 0, 120, 60.0, horizon, cons)
        pa = np.array([r[2] for r in rows])
        pb = pa + np.array([r[3] for r in rows])
        t, owner, k = pieces_mod._lattice_samples(pa, pb, step)
        sat = np.array([r[0] for r in rows])[owner]
        g = np.minimum(np.array([r[1] for r in rows]), len(stations) - 1)[owner]
        got, _ = pieces_mod._sample_values(blk, sat, g, t, k, step)
        on = k[k >= 0]
        tabled.append(on.size > 0 and (on.max() - on.min() + 1) * len(stations) < on.size)  # the Sun from tables
        lk = blk.look(sat, g, t)
        el_rate, rng_rate = lk.rates
        assert np.array_equal(got["el_rate"], el_rate) and np.array_equal(got["rng_rate"], rng_rate)
        assert np.array_equal(got["litm"], lk.sunlit_margin_km) and np.array_equal(got["sun_el"], lk.sun_el_deg)
        assert np.array_equal(got["ok"], np.array([c.margin(lk) > 0 for c in cons]).reshape(len(cons), t.size))

    tabled: list[bool] = []
    check()
    assert any(tabled) and not all(tabled)  # both ways of finding the Sun were checked
