"""One schema per input file kind: every key's type and physical range, stated once.

The loaders (:mod:`passplan.stations`, :mod:`passplan.schedule.network`,
:mod:`passplan.link.profiles`, :mod:`passplan.keyrate.protocol`,
:mod:`passplan.keyrate.series`, :mod:`passplan.designed`) validate with these schemas, their
error messages quote the ranges stated here, ``passplan doctor`` lists every problem of a file at
once (:func:`check_file`), and the README's table of input keys is generated from them
(:func:`markdown_table`; ``tests/test_schema.py`` checks that the README holds that table).

Kinds: ``stations`` (``[stations.<id>]`` tables; the weather inputs ``clear_sky`` and
``clear_sky_source`` live there), ``network``, ``profile``, ``protocol``, ``series`` (a key
series CSV), ``constellation`` and ``cloud`` (a cloud record CSV, :func:`parse_cloud_csv`);
``passplan doctor`` also checks ``region`` files (a GeoJSON polygon, :func:`region_polygons`, the
reader of :func:`passplan.coverage.region.load_region`) and ``coverage`` files (a coverage study's
JSON, :func:`coverage_problems`, the check of :func:`passplan.exports.html.coverage_grid`), which
have no key table.

Ranges marked "assumed" below are sanity bounds, not physics: they refuse unit slips (a fibre
loss in dB per metre, a time column in milliseconds, a rate whose sums overflow) while leaving
every real system inside.
"""

from __future__ import annotations

import difflib
import math
import os
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any, TypeGuard

from .errors import ConfigError

__all__ = [
    "Key",
    "Table",
    "Schema",
    "Problem",
    "SCHEMAS",
    "KINDS",
    "check_file",
    "check_data",
    "validate",
    "check_keys",
    "read_text",
    "detect_kind",
    "markdown_table",
    "clean_text",
    "printable",
    "decoy_problems",
    "source_problems",
    "gate_problem",
    "region_polygons",
    "coverage_problems",
    "require_shapely",
    "GEOJSON_TYPES",
]

#: Largest input file read (bytes): the largest legitimate input, a key series of 31 days at
#: one-second slots, is about 60 MB; anything larger is a wrong file (assumed bound).
MAX_FILE_BYTES = 256 * 1024 * 1024

#: Largest mean photon number per pulse of a weak-coherent decoy BB84 source (protocol
#: ``intensities`` and a profile's ``[source] intensities``): signals are below about 1 (Micius
#: 0.8); past 10 is a unit slip (photons per second or per slot). Assumed bound.
SOURCE_MAX_MEAN_PHOTON_NUMBER = 10.0


# ---------------------------------------------------------------------------------------------
# Keys and tables


@dataclass(frozen=True)
class Key:
    """One key of an input file: its type, physical range, unit, meaning and the fix for a bad
    value.

    ``type`` is one of ``number``, ``integer``, ``text``, ``bool``, ``choice`` (one of
    ``choices``), ``numbers`` (a list of numbers, each in the range; ``lengths`` lists the
    allowed lengths), ``number|choice`` (a number in range or one of ``choices``),
    ``number|numbers`` (one number or a list of ``lengths``), ``pairs`` (``[[a, b], ...]``:
    ``a`` in the range, ``b`` in ``range2``), ``texts`` (a list of text), ``time`` (a local time
    of day: hours, ``"HH:MM"`` or a TOML time), ``table`` (a free-form table) or ``zone`` (an
    IANA time zone name)."""

    name: str
    type: str = "number"
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    unit: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    lengths: tuple[int, ...] = ()
    range2: tuple[float, float, bool] | None = None  # (lo, hi, hi_open) of a pair's second value
    meaning: str = ""
    fix: str = ""

    def range_text(self) -> str:
        """The range in interval notation (``(0, 1]``, ``>= 0``, ``finite``)."""
        lo, hi = self.lo, self.hi
        if lo is None and hi is None:
            return "finite" if self.type in ("number", "numbers", "number|numbers") else ""
        if hi is None:
            return f"{'>' if self.lo_open else '>='} {lo:g}"
        if lo is None:
            return f"{'<' if self.hi_open else '<='} {hi:g}"
        return f"{'(' if self.lo_open else '['}{lo:g}, {hi:g}{')' if self.hi_open else ']'}"

    def type_text(self) -> str:
        """The type as the README table shows it."""
        if self.type == "choice":
            return " \\| ".join(f'"{c}"' for c in self.choices)
        if self.type == "number|choice":
            return "number or " + " \\| ".join(f'"{c}"' for c in self.choices)
        if self.type == "number|numbers":
            return "number or " + " or ".join(str(n) for n in self.lengths if n > 1) + " numbers"
        if self.type == "numbers" and self.lengths:
            return "list of " + " or ".join(str(n) for n in self.lengths) + " numbers"
        if self.type == "pairs":
            return "[[number, number], ...]"
        if self.type == "texts":
            return "list of text"
        if self.type == "zone":
            return "IANA time zone"
        if self.type == "time":
            return 'hours or "HH:MM"'
        return self.type

    def _in_range(self, v: float) -> bool:
        if not math.isfinite(v):
            return False
        if self.lo is not None and (v < self.lo or (self.lo_open and v == self.lo)):
            return False
        return not (self.hi is not None and (v > self.hi or (self.hi_open and v == self.hi)))

    def expected(self) -> str:
        """What a valid value is, in words (used in every message about this key)."""
        rng = self.range_text()
        unit = f" {self.unit}" if self.unit else ""
        within = "" if rng in ("", "finite") else (f" in {rng}" if rng[0] in "[(" else f" {rng}") + unit
        if self.type == "integer":
            base = "a whole number" + within
        elif self.type == "number":
            base = "a finite number" + within
        elif self.type == "choice":
            base = "one of " + ", ".join(repr(c) for c in self.choices)
        elif self.type == "number|choice":
            base = f"a number in {rng}{unit} or one of " + ", ".join(repr(c) for c in self.choices)
        elif self.type == "numbers":
            n = " or ".join(str(k) for k in self.lengths)
            base = f"a list of {n + ' ' if n else ''}finite numbers" + within
        elif self.type == "number|numbers":
            base = f"one number in {rng}{unit} or a list of " + " or ".join(str(k) for k in self.lengths if k > 1)
        elif self.type == "pairs":
            assert self.range2 is not None
            lo2, hi2, open2 = self.range2
            base = f"a list of pairs [[a, b], ...] with a in {rng} and b in [{lo2:g}, {hi2:g}{')' if open2 else ']'}"
        elif self.type == "bool":
            base = "true or false"
        elif self.type == "texts":
            base = "a list of text"
        elif self.type == "time":
            base = 'a local time of day: hours in [0, 24) or "HH:MM"'
        elif self.type == "zone":
            base = "an IANA time zone name, e.g. 'Asia/Shanghai' or 'UTC'"
        elif self.type == "table":
            base = "a table"
        else:
            base = "text without control characters"
        return base + (f" ({self.fix})" if self.fix else "")

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not valid for this key, or None if it is."""
        t = self.type
        if t in ("number", "integer"):
            if not _is_number(value):
                return "not a number"
            if t == "integer" and not float(value).is_integer():
                return "not a whole number"
            return None if self._in_range(float(value)) else "out of range"
        if t == "bool":
            return None if isinstance(value, bool) else "not true or false"
        if t == "text":
            if not isinstance(value, str):
                return "not text"
            return None if clean_text(value) else "holds control characters (a newline, a tab, an escape)"
        if t == "choice":
            if not isinstance(value, str) or value not in self.choices:
                return "not one of the choices"
            return None
        if t == "number|choice":
            if isinstance(value, str):
                v = value.strip().lower()
                if v in self.choices:
                    return None
                try:
                    value = float(v)
                except ValueError:
                    return "not one of the choices"
            if not _is_number(value):
                return "not a number"
            return None if self._in_range(float(value)) else "out of range"
        if t in ("numbers", "number|numbers"):
            if t == "number|numbers" and _is_number(value):
                return None if 1 in self.lengths and self._in_range(float(value)) else "out of range"
            if not isinstance(value, list | tuple) or not all(_is_number(x) for x in value):
                return "not a list of numbers"
            if self.lengths and len(value) not in self.lengths:
                return f"{len(value)} values"
            if not value:
                return "empty"
            return None if all(self._in_range(float(x)) for x in value) else "out of range"
        if t == "pairs":
            assert self.range2 is not None
            if not isinstance(value, list) or not value or not all(
                isinstance(p, list) and len(p) == 2 and all(_is_number(x) for x in p) for p in value
            ):
                return "not a list of pairs"
            lo2, hi2, open2 = self.range2
            for a, b in value:
                if not self._in_range(float(a)) or not (
                    math.isfinite(b) and lo2 <= b and (b < hi2 if open2 else b <= hi2)
                ):
                    return "out of range"
            if len({float(a) % 360.0 for a, _ in value}) != len(value):
                return "two pairs share one first value"
            return None
        if t == "texts":
            if not isinstance(value, list) or not all(isinstance(x, str) and clean_text(x) for x in value):
                return "not a list of text"
            return None
        if t == "time":
            return None if _hours(value) is not None else "not a time of day"
        if t == "zone":
            if not isinstance(value, str):
                return "not text"
            from .times import zone

            try:
                zone(value)
            except ValueError:
                return "unknown time zone"
            return None
        if t == "table":
            return None if isinstance(value, dict) else "not a table"
        raise AssertionError(f"unknown key type {t!r}")  # pragma: no cover - schema typo


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _hours(value: Any) -> float | None:
    if isinstance(value, time):
        h = value.hour + value.minute / 60 + value.second / 3600
    elif isinstance(value, str):
        try:
            hh, mm = value.strip().split(":")[:2]
            h = int(hh) + int(mm) / 60
        except ValueError:
            return None
    elif _is_number(value):
        h = float(value)
    else:
        return None
    return h if 0.0 <= h < 24.0 else None


def clean_text(text: str) -> bool:
    """True when ``text`` holds no control characters (names are printed to terminals and
    written into TOML and CSV files)."""
    return not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in text)


@dataclass(frozen=True)
class Table:
    """One table of a file kind: its keys, the keys of which exactly one is required
    (``one_of``), the keys that exclude each other (``exclusive``), and whether other keys are
    allowed (``open``)."""

    name: str
    keys: tuple[Key, ...]
    one_of: tuple[tuple[str, ...], ...] = ()
    exclusive: tuple[tuple[str, ...], ...] = ()
    open: bool = False
    meaning: str = ""

    def key(self, name: str) -> Key:
        for k in self.keys:
            if k.name == name:
                return k
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.keys)


@dataclass(frozen=True)
class Schema:
    """The tables of one input file kind."""

    kind: str
    title: str
    tables: tuple[Table, ...]

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)


@dataclass(frozen=True)
class Problem:
    """One problem of an input file: where (file, table, key, line), the value, what is wrong
    and the fix."""

    file: str
    where: str
    message: str
    key: str = ""
    line: int | None = None

    def __str__(self) -> str:
        loc = self.file + (f":{self.line}" if self.line else "")
        return printable(f"{loc}: {self.where + ' ' if self.where else ''}{self.message}")


def printable(text: str) -> str:
    """``text`` with every control character written as an escape (``\\n``), so a name read
    from a file never moves the cursor or rings the terminal."""
    if clean_text(text):
        return text
    return "".join(c if clean_text(c) else c.encode("unicode_escape").decode("ascii") for c in text)


# ---------------------------------------------------------------------------------------------
# The schemas. Each range cites its source or says "assumed".

def _n(name: str, lo: float | None = None, hi: float | None = None, unit: str = "", meaning: str = "",
       *, lo_open: bool = False, hi_open: bool = False, required: bool = False, fix: str = "",
       type: str = "number") -> Key:
    return Key(name, type, lo, hi, lo_open, hi_open, unit, required, meaning=meaning, fix=fix)


def _t(name: str, meaning: str = "", required: bool = False) -> Key:
    return Key(name, "text", required=required, meaning=meaning)


def _c(name: str, choices: Sequence[str], meaning: str = "", required: bool = False) -> Key:
    return Key(name, "choice", choices=tuple(choices), required=required, meaning=meaning)


TWILIGHTS = ("civil", "nautical", "astronomical", "any")

STATIONS = Schema("stations", "Station file (`--stations FILE`), one `[stations.<id>]` table per station", (
    Table("[stations.<id>]", (
        _t("name", "display name"),
        _n("lat_deg", -90, 90, "deg", "geodetic latitude, north positive", required=True,
           fix="use decimal degrees, north positive"),
        _n("lon_deg", -180, 360, "deg", "longitude, east positive", required=True,
           fix="use decimal degrees, east positive"),
        _n("alt_m", -500, 9000, "m", "height above the WGS-84 ellipsoid (Dead Sea shore to above "
           "Everest)", required=True, fix="give metres above the ellipsoid"),
        Key("timezone", "zone", meaning="IANA zone of the station's local times (default: the zone at lat_deg, lon_deg, found offline with the tz extra and said in a warning; else UTC)"),
        _n("min_elevation_deg", -5, 90, "deg", "elevation floor (default 10)", hi_open=True),
        Key("horizon_mask", "pairs", 0, 360, unit="deg", range2=(-10.0, 90.0, True),
            meaning="[[az_deg, el_deg], ...], interpolated periodically in azimuth",
            fix="azimuths from north through east, elevations in degrees"),
        Key("twilight", "number|choice", -90, 10, unit="deg", choices=TWILIGHTS,
            meaning="darkness setting, or the Sun elevation in degrees (default nautical)"),
        _t("receiver", "link profile name or file (`passplan link --list`)"),
        _c("kind", ("fixed", "portable"), "station kind (default fixed)"),
        _n("telescopes", 1, 1000, "", "links at once (default 1; at most 1000 assumed)",
           type="integer"),
        _n("setup_s", 0, 86400, "s", "seconds between two links on one telescope (default 120; "
           "at most a day assumed)"),
        Key("clear_sky", "number|numbers", 0, 1, lengths=(1, 12),
            meaning="probability that a pass finds a clear sky: annual, or twelve monthly values "
            "(January first)"),
        _t("clear_sky_source", "where the clear-sky numbers come from"),
    )),
))

NETWORK = Schema("network", "Network file (`passplan network --network FILE`)", (
    Table("[network]", (_t("name", "network name"), _t("source", "where the topology comes from"))),
    Table("[nodes.<id>]", (_t("name", "display name of the trusted node"),)),
    Table("[[links]]", (
        _t("a", "first node id", required=True),
        _t("b", "second node id", required=True),
        _c("kind", ("fibre", "free-space"), "link kind (default fibre)"),
        # 1e9 bit/s: ten times the fastest QKD key rate reported (110 Mbit/s, Li et al., Nature
        # Photonics 17, 416 (2023)); assumed bound, which also keeps every sum of rates finite
        _n("rate_bps", 0, 1e9, "bit/s", "secret key rate of the link (at most 1e9 assumed: ten "
           "times the fastest QKD link reported)", lo_open=True,
           fix="give the key rate in bit/s, or length_km for a fibre"),
        # 20,000 km: half the Earth's circumference, longer than any fibre route between two
        # trusted nodes (assumed bound)
        _n("length_km", 0, 20000, "km", "fibre length, rated by [fibre_model]", lo_open=True,
           fix="give the fibre length in km"),
        _t("source", "where the rate or length comes from"),
        _c("protocol", ("decoy-bb84", "twin-field"), "how length_km is rated: decoy BB84 ([fibre_model], "
           "default) or SNS twin-field ([twinfield_model])"),
    ), one_of=(("rate_bps", "length_km"),), exclusive=(("rate_bps", "protocol"),)),
    Table("[stations]", (), open=True,
          meaning="satellite ground station id = node id it joins (text values)"),
    Table("[fibre_model]", (
        _n("eta_bob", 0, 1, "", "Bob's detection efficiency (GYS 0.045)", lo_open=True),
        _n("y0", 0, 1, "", "dark-count yield per pulse (GYS 1.7e-6)", hi_open=True),
        _n("e_d", 0, 0.5, "", "misalignment error probability (GYS 0.033)", hi_open=True),
        _n("f_ec", 1, 10, "", "error-correction inefficiency (1.22; above 10 assumed impossible)"),
        # 1 dB/km: above the loss of any telecom fibre at 1310-1550 nm (SMF-28: 0.2-0.35 dB/km)
        _n("alpha_db_km", 0, 1, "dB/km", "fibre loss (0.2 at 1550 nm; at most about 1 dB/km)",
           lo_open=True, fix="a telecom fibre loses 0.15-0.4 dB/km"),
        _n("pulse_rate_hz", 0, 1e11, "Hz", "source clock (1 GHz assumed; at most 100 GHz assumed)",
           lo_open=True),
    )),
    Table("[twinfield_model]", (
        _n("eta_det", 0, 1, "", "detector efficiency at the middle station (GYS 0.045)", lo_open=True),
        _n("p_d", 0, 0.5, "", "dark-count probability per detector and pulse (GYS 8.5e-7)", hi_open=True),
        _n("e_d", 0, 0.5, "", "phase-reference misalignment error (0.033 assumed)", hi_open=True),
        _n("f_ec", 1, 10, "", "error-correction inefficiency (1.22; above 10 assumed impossible)"),
        _n("alpha_db_km", 0, 1, "dB/km", "fibre loss (0.2 at 1550 nm; at most about 1 dB/km)",
           lo_open=True, fix="a telecom fibre loses 0.15-0.4 dB/km"),
        _n("pulse_rate_hz", 0, 1e11, "Hz", "pulse-pair clock (1 GHz assumed; at most 100 GHz assumed)",
           lo_open=True),
    )),
))

# The profile ranges (the keys of passplan.link.profiles, read through passplan.link.profile_schema)
_TERMINAL = (
    _n("aperture_diameter_m", 0, 100, "m", "aperture diameter", lo_open=True),
    _n("obscuration_ratio", 0, 1, "", "central obscuration, ratio of diameters", hi_open=True),
    _n("optics_efficiency", 0, 1, "", "optical transmittance of the terminal", lo_open=True),
    _n("divergence_urad", 0, 1e5, "urad", "beam divergence (with divergence_convention)", lo_open=True),
    _c("divergence_convention", ("half_1e2", "full_1e2", "fwhm_full", "fwhm_half"), "how divergence_urad is measured"),
    _n("truncation_ratio", 0, 100, "", "Klein-Degnan truncation ratio", lo_open=True),
    _n("pointing_jitter_urad", 0, 1e5, "urad", "rms pointing jitter per axis"),
    _n("pointing_bias_urad", 0, 1e5, "urad", "pointing bias"),
    _n("tip_tilt_residual", 0, 1, "", "beam wander left by tip-tilt pre-compensation"),
    _n("wavefront_error_nm", 0, 1e4, "nm", "rms wavefront error"),
    _n("tracking_beacon_nm", 200, 20000, "nm", "fine-tracking wavelength", lo_open=True),
    _c("coupling", ("multimode", "smf"), "fibre coupling of the receiver (default multimode)"),
    _n("fov_urad", 0, 1e6, "urad", "field of view (with fov_convention)", lo_open=True),
    _c("fov_convention", ("full", "half"), "full angle or half-angle of the field stop"),
    _n("filter_nm", 0, 1e4, "nm", "spectral filter width", lo_open=True),
    _c("correction", ("none", "tip-tilt", "ao"), "wavefront correction (default none)"),
    _n("tip_tilt_bandwidth_hz", 0, 1e7, "Hz", "tip-tilt closed-loop bandwidth", lo_open=True),
    _n("ao_bandwidth_hz", 0, 1e7, "Hz", "adaptive-optics bandwidth", lo_open=True),
    _n("actuators_across", 0, 1e4, "", "deformable-mirror actuators across the pupil", lo_open=True),
    _n("corrected_modes", 1, 1e6, "", "Zernike modes corrected", type="integer"),
)

PROFILE = Schema("profile", "Link profile (`--profile FILE`, `passplan link --list`)", (
    Table("(top level)", (
        _t("name", "profile name"),
        _t("description", "one line"),
        _c("direction", ("downlink", "uplink"), "link direction", required=True),
        _n("wavelength_nm", 200, 20000, "nm", "signal wavelength (optical)", lo_open=True, required=True),
    )),
    Table("[orbit]", (
        _n("altitude_km", 0, 400_000, "km", "orbit altitude", lo_open=True, required=True),
        _n("inclination_deg", 0, 180, "deg", "orbit inclination"),
    )),
    Table("[site]", (
        _t("station", "station id"),
        _n("alt_m", -500, 9000, "m", "site altitude"),
        _c("sky", ("dark", "rural", "urban"), "sky background class"),
        _n("visibility_km", 0, 1000, "km", "horizontal visibility", lo_open=True),
        _c("visibility", ("exceptional", "clear", "light-haze", "haze"), "visibility class"),
        _n("clear_sky_probability", 0, 1, "", "probability of a clear sky"),
        _n("turbidity", 1.7, 10, "", "Linke turbidity"),
        _n("ground_albedo", 0, 1, "", "ground albedo"),
    ), exclusive=(("visibility", "visibility_km"),)),
    Table("[turbulence]", (
        _n("wind_rms_m_s", 0, 200, "m/s", "rms high-altitude wind (Hufnagel-Valley)"),
        _n("ground_cn2", 0, 1e-10, "m^-2/3", "ground-layer Cn2"),
        _n("ground_scale_m", 0, 10000, "m", "ground-layer scale height", lo_open=True),
        _n("ground_wind_m_s", 0, 100, "m/s", "ground wind"),
        _n("day_ground_cn2", 0, 1e-10, "m^-2/3", "daytime ground-layer Cn2"),
    )),
    Table("[transmitter]", _TERMINAL, meaning="aperture_diameter_m required"),
    Table("[receiver]", _TERMINAL, meaning="aperture_diameter_m and filter_nm required"),
    Table("[detector]", (
        _n("efficiency", 0, 1, "", "detection efficiency", lo_open=True, required=True),
        _n("dark_cps", 0, 1e9, "1/s", "dark counts per detector"),
        _n("count", 1, 1e3, "", "detectors", type="integer"),
        _n("dead_time_ns", 0, 1e9, "ns", "dead time"),
        _n("gate_ns", 0, 1e9, "ns", "detection gate (coincidence window; at most the pulse period 1/rep_rate_hz)", lo_open=True,
           required=True),
    )),
    Table("[source]", (), open=True, meaning="numbers for the key estimator (rep_rate_hz, "
          "intensities, probabilities, intrinsic_qber, linewidth_nm, protocol) and notes"),
))

PROTOCOL = Schema("protocol", "Protocol file (`--protocol FILE`), flat keys", (
    Table("(top level)", (
        _n("pulses_per_s", 0, 1e11, "1/s", "source pulse rate (at most 100 GHz assumed)", lo_open=True,
           fix="a positive pulse rate (pulses per second)"),
        _n("p_x", 0, 1, "", "key-basis probability", lo_open=True, hi_open=True,
           fix="a key-basis probability strictly between 0 and 1"),
        Key("intensities", "numbers", 0, SOURCE_MAX_MEAN_PHOTON_NUMBER, lengths=(2, 3), meaning="mean photon numbers per "
            "pulse, signal > decoy (> vacuum); weak coherent pulses are below about 1"),
        Key("probabilities", "numbers", 0, 1, True, True, lengths=(2, 3),
            meaning="sending probabilities, one per intensity, summing to 1"),
        _n("afterpulse_prob", 0, 1, "", "afterpulse probability", hi_open=True),
        _n("extraneous_click_prob", 0, 1, "", "dark plus stray clicks per detector and gate", hi_open=True),
        _n("intrinsic_qber", 0, 0.5, "", "error rate of the optics", hi_open=True),
        _n("eps_sec", 0, 1, "", "secrecy parameter", lo_open=True, hi_open=True, fix="e.g. 1e-9"),
        _n("eps_cor", 0, 1, "", "correctness parameter", lo_open=True, hi_open=True, fix="e.g. 1e-15"),
        _n("f_ec", 1, 10, "", "error-correction inefficiency (above 10 assumed a slip)",
           fix="an error-correction inefficiency, typically 1.1 to 1.2"),
        _c("bounds", ("chernoff", "chernoff-tight", "hoeffding", "asymptotic"), "finite-size bounds"),
        _n("decoys", 1, 2, "", "1 (Rusca 2018) or 2 (Lim 2014)", type="integer"),
        Key("optimise", "bool", meaning="optimise p_x and the intensities per pass"),
        _c("error_model", ("resolved", "averaged"), "per-slot error model"),
        _c("ec_method", ("f_ec", "tomamichel"), "error-correction leakage model"),
        _c("key_bases", ("x", "both"), "which sifted bases give key (x: passplan's own estimator; both: as Micius 2017 counted it)"),
        _c("key_intensities", ("all", "signal"), "which intensities' sifted bits give key (signal: decoys only bound)"),
        _n("p_x_max", 0, 1, "", "largest key-basis probability the optimiser tries", lo_open=True,
           hi_open=True, fix="0.99 keeps the test basis alive"),
        _n("slot_s", 0, None, "s", "slot duration (a key series' own spacing replaces it)", lo_open=True,
           fix="a positive slot duration in seconds"),
    )),
))

SERIES = Schema("series", "Key series CSV (`passplan key SERIES.csv`), columns by header", (
    Table("columns", (
        _n("t_s", None, None, "s", "slot time in seconds, increasing; one pass or window",
           required=True, fix="seconds, not milliseconds"),
        _n("eta", 0, 1, "", "channel transmittance (a ratio, not dB)", required=True),
        _n("background_prob", 0, 1, "", "background click probability per slot", hi_open=True),
    ), open=True, meaning="other columns are ignored"),
))

CLOUD = Schema("cloud", "Cloud record CSV (`relay`/`network --cloud-record FILE`), columns by header", (
    Table("columns", (
        _t("station", "station id of the sample", required=True),
        Key("time", "text", required=True, meaning="ISO-8601 time with a zone (Z), e.g. 2026-12-01T00:00Z"),
        _n("cloud_fraction", 0, 1, "", "cloud cover, 0 clear to 1 overcast (ERA5 tcc; the column may be "
           "named tcc)", fix="a fraction, not a percentage"),
        _c("clear", ("1", "0", "true", "false", "yes", "no"), "clear flag of a station log, instead of "
           "cloud_fraction"),
    ), one_of=(("cloud_fraction", "clear"),), meaning="one row per station and time, any order"),
))

_DESIGN_COMMON = (
    Key("name", "text", required=True, meaning="satellite or fleet name (no control characters)"),
    _t("profile", "link profile of the satellites' terminal"),
    _n("inclination_deg", 0, 180, "deg", "orbit inclination"),
)
_NODE = (
    _n("raan_deg", -360, 360, "deg", "right ascension of the ascending node"),
    Key("ltan_h", "time", meaning="local time of the ascending node"),
    _n("node_longitude_deg", -360, 360, "deg", "longitude of the ascending node"),
)
# 50,000 km: beyond GEO (35,786 km) and below the Moon's sphere of influence: the designed
# orbits passplan propagates (assumed bound)
_ALT = _n("altitude_km", 0, 50_000, "km", "circular orbit altitude", lo_open=True)

CONSTELLATION = Schema("constellation", "Constellation file (`--sats FILE.toml`, `passplan constellation`)", (
    Table("[constellation]", (
        Key("name", "text", meaning="fleet name (no control characters)"),
        Key("description", "text", meaning="one line"),
    )),
    Table("[[satellite]]", (
        *_DESIGN_COMMON,
        Key("aliases", "texts", meaning="other names"),
        _ALT,
        _n("semi_major_axis_km", 6378.137, 6378.137 + 50_000, "km", "semi-major axis", lo_open=True),
        _n("perigee_altitude_km", 0, 50_000, "km", "perigee altitude", lo_open=True),
        _n("apogee_altitude_km", 0, 400_000, "km", "apogee altitude", lo_open=True),
        _n("eccentricity", 0, 1, "", "eccentricity", hi_open=True),
        Key("sun_synchronous", "bool", meaning="inclination from the altitude (J2)"),
        *_NODE,
        _n("arg_perigee_deg", -360, 360, "deg", "argument of perigee"),
        _n("mean_anomaly_deg", -360, 360, "deg", "mean anomaly at epoch"),
        _n("arg_latitude_deg", -360, 360, "deg", "argument of latitude at epoch (circular)"),
        _n("bstar", -1, 1, "1/earth radii", "SGP4 drag term"),
        Key("station_keeping", "bool", meaning="deep-space orbits (MEO, HEO): hold the designed orbit all "
            "study (default true; false: SDP4's free drift)"),
    ), exclusive=(("raan_deg", "ltan_h", "node_longitude_deg"), ("inclination_deg", "sun_synchronous"))),
    Table("[[walker]]", (
        *_DESIGN_COMMON,
        _n("altitude_km", 0, 50_000, "km", "circular orbit altitude", lo_open=True, required=True),
        Key("sun_synchronous", "bool", meaning="inclination from the altitude (J2)"),
        _n("planes", 1, 10_000, "", "orbit planes", type="integer", required=True),
        _n("per_plane", 1, 10_000, "", "satellites per plane", type="integer", required=True),
        _n("phasing", 0, 10_000, "", "Walker phasing F (< planes)", type="integer"),
        *_NODE,
        _n("raan_spread_deg", 0, 360, "deg", "node spread of the planes", lo_open=True),
        _n("arg_latitude_deg", -360, 360, "deg", "argument of latitude of the first satellite"),
        Key("station_keeping", "bool", meaning="deep-space orbits (MEO): hold the designed orbits all study "
            "(default true; false: SDP4's free drift)"),
    ), exclusive=(("raan_deg", "ltan_h", "node_longitude_deg"), ("inclination_deg", "sun_synchronous"))),
    Table("[[geo]]", (
        Key("name", "text", meaning="satellite name (no control characters)"),
        Key("aliases", "texts", meaning="other names"),
        _n("longitude_deg", -180, 360, "deg", "sub-satellite longitude, east positive", required=True),
        _n("inclination_deg", 0, 180, "deg", "orbit inclination"),
        Key("station_keeping", "bool", meaning="hold the slot all study (default true; false: SDP4's free drift)"),
        _t("profile", "link profile of the satellite's terminal"),
    )),
))

def source_problems(src: Mapping[str, Any], filter_nm: float | None = None) -> list[str]:
    """The problems of a link profile's free-form ``[source]`` table: impossible numbers for the
    key estimator (each message starts with ``[source] KEY = VALUE``)."""
    out: list[str] = []

    def bad(key: str, expected: str) -> None:
        out.append(f"[source] {key} = {src[key]!r}: expected {expected}")

    def number(key: str) -> float | None:
        if key not in src:
            return None
        v = src[key]
        if not _is_number(v) or not math.isfinite(v):
            bad(key, "a finite number")
            return None
        return float(v)

    rate = number("rep_rate_hz")
    if rate is not None and not rate > 0:
        bad("rep_rate_hz", "a positive pulse rate in Hz")
    qber = number("intrinsic_qber")
    if qber is not None and not 0.0 <= qber < 0.5:
        bad("intrinsic_qber", "an error rate in [0, 0.5), e.g. 0.011")
    lists_ok = True
    for key in ("intensities", "probabilities"):
        if key in src:
            v = src[key]
            if not isinstance(v, list) or not v or any(not _is_number(x) or not math.isfinite(x) for x in v):
                bad(key, "a list of finite numbers")
                lists_ok = False
    if lists_ok and "intensities" in src:
        if any(x < 0 or x > SOURCE_MAX_MEAN_PHOTON_NUMBER for x in src["intensities"]):
            bad("intensities", f"mean photon numbers per pulse in [0, {SOURCE_MAX_MEAN_PHOTON_NUMBER:g}] "
                "(decoy BB84 signals are below about 1, e.g. [0.8, 0.1, 0.0])")
    if lists_ok and "probabilities" in src:
        p = [float(x) for x in src["probabilities"]]
        if any(not 0.0 < x < 1.0 for x in p) or abs(sum(p) - 1.0) > 1e-9:
            bad("probabilities", "sending probabilities in (0, 1) summing to 1")
        elif "intensities" in src and len(p) != len(src["intensities"]):
            bad("probabilities", f"one probability per intensity ({len(src['intensities'])})")
    width = number("linewidth_nm")
    if width is not None:
        if not width > 0:
            bad("linewidth_nm", "the source's spectral width in nm, > 0")
        elif filter_nm is not None and _is_number(filter_nm) and filter_nm < width:
            out.append(
                f"[receiver] filter_nm = {filter_nm:g} is narrower than the source's linewidth_nm = "
                f"{width:g}: the filter would cut the signal itself; widen the filter or check the linewidth"
            )
    return out


def gate_problem(gate_ns: Any, rep_rate_hz: Any) -> str | None:
    """Why a detector's coincidence window ``gate_ns`` does not fit the source's pulse period
    (``1 / rep_rate_hz``), else None. A window longer than the period opens on two pulses: every
    count of the neighbouring pulse's slot is accepted too (Liao et al., Nature 549, 43 (2017)
    pair their 2 ns window with a 10 ns period; a 1 GHz clock under a 2 ns window is issue 18's
    inconsistent micius-2021). Only checked when both are numbers (the ranges are checked apart)."""
    if not (_is_number(gate_ns) and _is_number(rep_rate_hz)) or not (gate_ns > 0 and rep_rate_hz > 0):
        return None
    if not (math.isfinite(gate_ns) and math.isfinite(rep_rate_hz)):
        return None
    period_ns = 1e9 / float(rep_rate_hz)
    if float(gate_ns) <= period_ns * (1.0 + 1e-9):
        return None
    return (f"[detector] gate_ns = {gate_ns:g} is longer than the pulse period {period_ns:.4g} ns of "
            f"[source] rep_rate_hz = {rep_rate_hz:g}: the coincidence window would accept the next "
            f"pulse's counts; shorten gate_ns to at most {period_ns:.4g} ns or lower rep_rate_hz to "
            f"at most {1e9 / float(gate_ns):.4g} Hz")


def decoy_problems(decoys: int, intensities: Sequence[float],
                   probabilities: Sequence[float]) -> list[tuple[str, Any, str]]:
    """``(key, value, expected)`` for each broken decoy-state rule of a protocol: with
    ``decoys`` = 2 three intensities (signal, decoy, vacuum) with ``mu1 > mu2 + mu3`` and
    ``mu2 > mu3 >= 0`` (Lim et al., PRA 89, 022307 (2014)); with 1 two, ``mu1 > mu2 > 0``
    (Rusca et al., APL 112, 171104 (2018)); as many probabilities in (0, 1), summing to 1."""
    out: list[tuple[str, Any, str]] = []
    n = decoys + 1
    mu, p = [float(v) for v in intensities], [float(v) for v in probabilities]
    hi = SOURCE_MAX_MEAN_PHOTON_NUMBER
    if len(mu) != n:
        want = "(signal, decoy, vacuum)" if n == 3 else "(signal, decoy)"
        out.append(("intensities", mu, f"{n} mean photon numbers {want} for decoys={decoys}"))
    if len(p) != n:
        out.append(("probabilities", p, f"{n} sending probabilities, one per intensity"))
    if out:
        return out
    if any(not math.isfinite(v) or v < 0 for v in mu):
        out.append(("intensities", mu, "finite mean photon numbers >= 0"))
    elif any(v > hi for v in mu):
        out.append(("intensities", mu,
                    f"mean photon numbers per pulse of at most {hi:g} (weak coherent pulses: decoy BB84 "
                    "signals are below about 1, e.g. [0.8, 0.1, 0.0]); a value like 80 is photons per slot "
                    "or per second, not per pulse"))
    if any(not math.isfinite(v) or v <= 0 or v >= 1 for v in p):
        out.append(("probabilities", p, "probabilities strictly between 0 and 1"))
    elif abs(sum(p) - 1.0) > 1e-9:
        out.append(("probabilities", p, f"values summing to 1 (they sum to {sum(p):.12g})"))
    if not out:
        if n == 3:
            if not (mu[1] > mu[2] >= 0.0 and mu[0] > mu[1] + mu[2]):
                out.append(("intensities", mu, "signal > decoy + vacuum and decoy > vacuum >= 0 "
                            "(Lim et al. 2014), e.g. [0.8, 0.1, 0.0]"))
        elif not mu[0] > mu[1] > 0.0:
            out.append(("intensities", mu, "signal > decoy > 0 (Rusca et al. 2018), e.g. [0.5, 0.1]"))
    return out


def _profile_rules(data: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Rules of a link profile across keys (the loader, :mod:`passplan.link.profiles`, makes
    the same checks with its own messages; the physics floor of the divergence is checked when
    the profile is loaded)."""
    for sec in ("transmitter", "receiver"):
        t = data.get(sec)
        if not isinstance(t, dict):
            continue
        loc = f"[{sec}]"
        for key, conv in (("divergence_urad", "divergence_convention"), ("fov_urad", "fov_convention")):
            if key in t and conv not in t:
                yield loc, f"{key} needs {conv}"
            if conv in t and key not in t:
                yield loc, f"{conv} is given without {key}"
        if sec == "receiver" and t.get("coupling", "multimode") == "multimode" and "fov_urad" not in t:
            yield loc, ("fov_urad is missing: a multimode receiver needs its field of view (fov_urad and "
                        "fov_convention)")
        if t.get("correction") == "ao" and "actuators_across" not in t and "corrected_modes" not in t:
            yield loc, "correction = 'ao' needs actuators_across or corrected_modes"
    src = data.get("source", {})
    if isinstance(src, dict):
        rx = data.get("receiver")
        filter_nm = rx.get("filter_nm") if isinstance(rx, dict) else None
        for msg in source_problems(src, filter_nm if _is_number(filter_nm) else None):
            yield "", msg
        det = data.get("detector")
        why = gate_problem(det.get("gate_ns") if isinstance(det, dict) else None, src.get("rep_rate_hz"))
        if why:
            yield "", why


def _orbit_rules(kind: str, t: Mapping[str, Any]) -> Iterator[str]:
    """Rules of a constellation table across keys (the loader, :mod:`passplan.designed`, makes
    the same checks with its own messages)."""
    if kind in ("satellite", "walker") and "inclination_deg" not in t and t.get("sun_synchronous") is not True:
        yield "inclination_deg is missing (or set sun_synchronous = true)"
    if kind == "satellite":
        pa = [k for k in ("perigee_altitude_km", "apogee_altitude_km") if k in t]
        if pa and len(pa) == 1:
            yield "give both perigee_altitude_km and apogee_altitude_km"
        shapes = [k for k in ("altitude_km", "semi_major_axis_km") if k in t] + (["perigee/apogee"] if pa else [])
        if len(shapes) > 1:
            yield f"give only one of {', '.join(shapes)} to size the orbit"
        if not shapes:
            yield "altitude_km is missing (or semi_major_axis_km, or perigee_altitude_km and apogee_altitude_km)"
        hp, ha = t.get("perigee_altitude_km"), t.get("apogee_altitude_km")
        if _is_number(hp) and _is_number(ha) and ha < hp:
            yield f"perigee_altitude_km = {hp:g} is above apogee_altitude_km = {ha:g}"
        if pa and "eccentricity" in t:
            yield "give perigee/apogee altitudes or an eccentricity, not both"
        if "arg_latitude_deg" in t and ("mean_anomaly_deg" in t or "arg_perigee_deg" in t):
            yield "arg_latitude_deg (circular orbits) excludes mean_anomaly_deg and arg_perigee_deg"
    if kind == "walker":
        planes, phasing = t.get("planes"), t.get("phasing", 0)
        if _is_number(planes) and _is_number(phasing) and planes >= 1 and phasing >= planes:
            yield f"phasing F = {phasing} must be in 0 .. planes - 1 = {planes - 1}"
    why = _profile_named(t.get("profile"))
    if why:
        yield f"profile: {why}"


def bundled_profile_names() -> list[str]:
    """Names of the bundled link profiles (the files in ``passplan/data/profiles``)."""
    from importlib.resources import files

    folder = files("passplan") / "data" / "profiles"
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def _profile_named(name: Any) -> str | None:
    """Why ``name`` names no link profile (bundled name or existing file), else None."""
    if not isinstance(name, str) or name in bundled_profile_names() or Path(name).is_file():
        return None
    hint = difflib.get_close_matches(name, bundled_profile_names(), n=1, cutoff=0.5)
    tip = f"did you mean {hint[0]!r}?" if hint else "see `passplan link --list`"
    return f"unknown link profile {name!r}; {tip}"


# Application key demands of `passplan pools` (passplan.schedule.pools.load_demands)
DEMANDS = Schema("demands", "Demand file (`passplan pools --demands FILE`), `[[demands]]` tables", (
    Table("[[demands]]", (
        _t("name", "label of the demand (default A:B)"),
        _t("a", "first node id", required=True),
        _t("b", "second node id", required=True),
        # 1e9 bit/s: the network links' own bound (ten times the fastest QKD link reported)
        _n("rate_bps", 0, 1e9, "bit/s", "end-to-end key wanted at every moment (at most 1e9 assumed, "
           "as a link's rate)", lo_open=True, fix="give the key rate in bit/s, or key_bits with refresh_s"),
        # 1e6 bits: far above any session key (AES-256 takes 256; a one-time pad is given as a rate)
        _n("key_bits", 0, 1e6, "bit", "bits of one session key, e.g. 256 for AES-256 (at most 1e6 assumed)",
           lo_open=True),
        _n("refresh_s", 0, 1e7, "s", "seconds between two keys of one session (at most about 4 months "
           "assumed)", lo_open=True),
        _n("users", 1, 1e9, "", "sessions at once (default 1; at most 1e9 assumed)", type="integer"),
        _t("source", "where the demand comes from"),
    ), one_of=(("rate_bps", "key_bits"),), exclusive=(("rate_bps", "refresh_s"), ("rate_bps", "users"))),
))

# Candidate links computed elsewhere and the requests they serve (`passplan schedule --candidates
# FILE --requests FILE`; passplan.schedule.candidates_file, passplan.schedule.requests)
CANDIDATES = Schema("candidates", "Candidates file (`schedule --candidates FILE`), CSV columns by header or "
                    "JSON objects", (
    Table("columns", (
        _t("station", "the ground station (network node)", required=True),
        _t("satellite", "the satellite", required=True),
        Key("start", "text", required=True, meaning="link start, ISO-8601 time with a zone (Z)"),
        Key("end", "text", required=True, meaning="link end, not before start (equal: a zero-length window, "
            "listed unscheduled with its reason)"),
        _n("key_bits", 0, None, "bit", "the link's key: a given value, not an expectation", required=True),
        _n("priority", 0, None, "", "weight of the link's key in the objective (default 1)", lo_open=True),
        _t("id", "the link's unique name (default satellite@station/start)"),
    ), meaning="one row per possible link"),
))

REQUESTS = Schema("requests", "Request file (`schedule --requests FILE`), `[[requests]]` tables (or JSON)", (
    Table("[[requests]]", (
        _t("id", "the request's unique name", required=True),
        _t("station", "the station that must take part"),
        _t("node", "another name for station"),
        _t("satellite", "the satellite that must take part (name or catalogue number)"),
        _n("priority", 0, None, "", "weight of the request (default 1); the plan maximises the sum of "
           "priority x value served", lo_open=True),
        _n("value", 0, None, "", "what serving it is worth, any unit (default 1)", lo_open=True),
        _c("kind", ("key", "optical"), "key: needs a link with key > 0 (default); optical: any link"),
        Key("after", "texts", meaning="ids of requests whose links must end before this one's link starts"),
    ), one_of=(("station", "node"),)),
))

SCHEMAS: dict[str, Schema] = {
    s.kind: s for s in (STATIONS, NETWORK, PROFILE, PROTOCOL, SERIES, CONSTELLATION, CLOUD, DEMANDS, CANDIDATES,
                        REQUESTS)
}
#: The kinds ``passplan doctor`` checks: every schema's, GeoJSON regions and coverage studies'
#: JSON (no key table).
KINDS = (*SCHEMAS, "region", "coverage")
#: The kinds of :func:`check_data` (parsed documents of key tables).
_DATA_KINDS = [k for k in SCHEMAS if k not in ("series", "cloud", "candidates")]


# ---------------------------------------------------------------------------------------------
# Checking tables

def _value_text(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def key_problem(key: Key, value: Any) -> str | None:
    """The message for a bad ``value`` of ``key`` (``key = value: expected ...``), or None."""
    if key.problem(value) is None:
        return None
    msg = f"{key.name} = {_value_text(value)}: expected {key.expected()}"
    if key.type == "choice" and isinstance(value, str):
        hint = difflib.get_close_matches(value, key.choices, n=1, cutoff=0.5)
        if hint:
            msg += f"; did you mean {hint[0]!r}?"
    return msg


def unknown_key(name: str, known: Sequence[str]) -> str:
    """The message for an unknown key, with the closest valid name."""
    hint = difflib.get_close_matches(name, list(known), n=1, cutoff=0.5)
    tip = f"did you mean {hint[0]!r}?" if hint else f"known keys: {', '.join(sorted(known))}"
    return f"unknown key {name!r}; {tip}"


def check_table(table: Table, data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(key, message)`` for every problem of one table: unknown keys (with the closest valid
    name), missing required keys, bad values, keys that exclude each other."""
    out: list[tuple[str, str]] = []
    known = table.names
    for name, value in data.items():
        if name not in known:
            if not table.open:
                out.append((name, unknown_key(name, known)))
            continue
        msg = key_problem(table.key(name), value)
        if msg:
            out.append((name, msg))
    for k in table.keys:
        if k.required and k.name not in data:
            out.append((k.name, f"{k.name} is missing; give {k.expected()}"))
    for group in table.one_of:
        given = [g for g in group if g in data]
        if len(given) != 1:
            verb = "give one of" if not given else "give only one of"
            out.append((group[0], f"{verb} {', '.join(group)}" + (f" (found {', '.join(given)})" if given else "")))
    for group in table.exclusive:
        given = [g for g in group if g in data]
        if len(given) > 1:
            out.append((given[1], f"give only one of {', '.join(given)}"))
    return out


def check_keys(table: Table, data: Mapping[str, Any], where: str) -> None:
    """Raise :class:`~passplan.errors.ConfigError` ``where: message`` for the first problem of
    one table (the loaders call this; :func:`check_file` lists every problem)."""
    problems = check_table(table, data)
    if problems:
        more = len(problems) - 1
        tail = f" (and {more} more: `passplan doctor FILE` lists them)" if more else ""
        raise ConfigError(f"{where}: {problems[0][1]}{tail}")


def _tables_of(kind: str, data: Mapping[str, Any]) -> Iterator[tuple[str, Table | None, Any]]:
    """``(location, table, data)`` of every table of a parsed file; ``table`` None with a
    message as data for a structural problem."""
    schema = SCHEMAS[kind]
    if kind == "stations":
        for key in data:
            if key != "stations":
                yield "", None, f"unexpected top-level key {key!r}; a station file holds only [stations.<id>] tables"
        tables = data.get("stations")
        if not isinstance(tables, dict) or not tables:
            yield "", None, "no [stations.<id>] tables found; e.g. [stations.mysite] with lat_deg, lon_deg, alt_m"
            return
        seen: dict[str, str] = {}
        for sid, t in tables.items():
            loc = f"[stations.{sid}]"
            if not sid or not all(c.isalnum() or c in "-_" for c in sid):
                yield loc, None, "station ids use letters, digits, '-' and '_' only"
            if sid.lower() in seen:
                yield loc, None, (f"duplicate station id: {sid!r} and {seen[sid.lower()]!r} differ only "
                                  "in case (ids are case-insensitive); keep one")
            seen[sid.lower()] = sid
            if not isinstance(t, dict):
                yield loc, None, f"stations.{sid} must be a table ([stations.{sid}])"
            else:
                yield loc, schema.tables[0], t
                why = _profile_named(t.get("receiver"))
                if why:
                    yield loc, None, f"receiver: {why}"
    elif kind == "network":
        tops = ("network", "nodes", "links", "stations", "fibre_model", "twinfield_model")
        for key in data:
            if key not in tops:
                yield "", None, unknown_key(key, tops).replace("unknown key", "unknown table")
        for name in ("network", "fibre_model", "twinfield_model"):
            if name in data:
                t = data[name]
                if isinstance(t, dict):
                    yield f"[{name}]", schema.table(f"[{name}]"), t
                else:
                    yield "", None, f"{name} must be a table ([{name}])"
        nodes = data.get("nodes")
        if not isinstance(nodes, dict) or not nodes:
            yield "", None, "no [nodes.<id>] tables; a network needs trusted nodes"
            nodes = {}
        for nid, t in nodes.items():
            if not nid.strip() or not clean_text(nid):
                yield f"[nodes.{printable(nid)}]", None, "a node id needs plain text (no control characters)"
            if isinstance(t, dict):
                yield f"[nodes.{nid}]", schema.table("[nodes.<id>]"), t
            else:
                yield "", None, f"nodes.{nid} must be a table ([nodes.{nid}])"
        links = data.get("links", [])
        if not isinstance(links, list) or not all(isinstance(x, dict) for x in links):
            yield "", None, "links must be an array of tables ([[links]] with a, b and rate_bps or length_km)"
            links = []
        for i, ln in enumerate(links, start=1):
            loc = f"[[links]] #{i}"
            yield loc, schema.table("[[links]]"), ln
            for end in ("a", "b"):
                if isinstance(ln.get(end), str) and ln[end] not in nodes:
                    hint = difflib.get_close_matches(ln[end], list(nodes), n=1, cutoff=0.5)
                    tip = f"; did you mean {hint[0]!r}?" if hint else ""
                    yield loc, None, f"{end} = {ln[end]!r} is not a node of [nodes]{tip}"
            if ln.get("a") is not None and ln.get("a") == ln.get("b"):
                yield loc, None, f"a link joins two different nodes ({ln['a']} twice)"
            if "length_km" in ln and ln.get("kind", "fibre") != "fibre" and "rate_bps" not in ln:
                yield loc, None, "a free-space link needs rate_bps (the fibre model needs kind = 'fibre')"
            if "protocol" in ln and ln.get("kind", "fibre") != "fibre":
                yield loc, None, "protocol rates a fibre by its length_km; a free-space link leaves it out"
        st = data.get("stations", {})
        if not isinstance(st, dict):
            yield "", None, "stations must be a table ([stations]: station id = node id)"
            st = {}
        for sid, nid in st.items():
            if not isinstance(nid, str) or nid not in nodes:
                yield "[stations]", None, f"{sid} = {_value_text(nid)}: expected the id of a node in [nodes]"
    elif kind == "profile":
        top = schema.table("(top level)")
        sections = [t.name.strip("[]") for t in schema.tables[1:]]
        flat = {k: v for k, v in data.items() if k not in sections}
        yield "", top, flat
        for t in schema.tables[1:]:
            name = t.name.strip("[]")
            if name not in data:
                if name in ("orbit", "transmitter", "receiver", "detector"):
                    yield "", None, f"the [{name}] table is missing; it is required"
                continue
            if not isinstance(data[name], dict):
                yield "", None, f"[{name}] must be a table"
                continue
            yield t.name, t, data[name]
            need = {"transmitter": ("aperture_diameter_m",), "receiver": ("aperture_diameter_m", "filter_nm")}
            for key in need.get(name, ()):
                if key not in data[name]:
                    yield t.name, None, f"{key} is missing; it is required"
        for loc, msg in _profile_rules(data):
            yield loc, None, msg
    elif kind == "protocol":
        for key, value in data.items():
            if isinstance(value, dict):
                yield "", None, f"key {key!r} must be a value, not a table; the file is flat"
        flat = {k: v for k, v in data.items() if not isinstance(v, dict)}
        yield "", schema.tables[0], flat
        table = schema.tables[0]
        decoys = flat.get("decoys", 2)
        mu, p = flat.get("intensities"), flat.get("probabilities")
        if decoys in (1, 2) and not isinstance(decoys, bool) and (mu is not None or p is not None) and all(
            x is None or table.key(k).problem(x) in (None, f"{len(x)} values")
            for k, x in (("intensities", mu), ("probabilities", p))
        ):
            # the defaults of passplan.keyrate.protocol.Protocol fill what is not given
            mu = mu if mu is not None else ([0.5, 0.1] if decoys == 1 else [0.8, 0.1, 0.0])
            p = p if p is not None else ([0.7, 0.3] if decoys == 1 else [0.5, 0.25, 0.25])
            for key, value, expected in decoy_problems(int(decoys), mu, p):
                yield "", None, f"{key} = {value!r}: expected {expected}"
    elif kind == "constellation":
        tables = ("constellation", "satellite", "walker", "geo")
        for key in data:
            if key not in tables:
                yield "", None, unknown_key(key, tables).replace("unknown key", "unknown table")
        if "constellation" in data:
            if isinstance(data["constellation"], dict):
                yield "[constellation]", schema.table("[constellation]"), data["constellation"]
            else:
                yield "", None, "constellation must be a table ([constellation])"
        count = 0
        names: dict[str, str] = {}
        for name in ("satellite", "walker", "geo"):
            rows = data.get(name, [])
            if isinstance(rows, dict):
                rows = [rows]
            if not isinstance(rows, list) or not all(isinstance(t, dict) for t in rows):
                yield "", None, f"{name} must be an array of tables ([[{name}]])"
                continue
            for i, t in enumerate(rows, start=1):
                count += 1
                loc = f"[[{name}]] #{i}"
                yield loc, schema.table(f"[[{name}]]"), t
                for msg in _orbit_rules(name, t):
                    yield loc, None, msg
                nm = t.get("name")
                if isinstance(nm, str):
                    if nm.lower() in names:
                        yield loc, None, f"name {nm!r} is used twice (also {names[nm.lower()]}); names must be unique"
                    names[nm.lower()] = loc
        if not count:
            yield "", None, "no satellites defined; add [[satellite]], [[walker]] or [[geo]] tables"
    elif kind == "demands":
        for key in data:
            if key != "demands":
                yield "", None, unknown_key(key, ("demands",)).replace("unknown key", "unknown table")
        rows = data.get("demands")
        if not isinstance(rows, list) or not rows or not all(isinstance(t, dict) for t in rows):
            yield "", None, "no [[demands]] tables; e.g. [[demands]] with a, b and rate_bps"
            return
        for i, t in enumerate(rows, start=1):
            loc = f"[[demands]] #{i}"
            yield loc, schema.tables[0], t
            if "key_bits" in t and "refresh_s" not in t:
                yield loc, None, "key_bits needs refresh_s (seconds between two keys of one session)"
            if "key_bits" not in t and ("refresh_s" in t or "users" in t) and "rate_bps" not in t:
                yield loc, None, "refresh_s and users need key_bits"
            if isinstance(t.get("a"), str) and t.get("a") == t.get("b"):
                yield loc, None, f"a demand joins two different nodes ({t['a']} twice)"
    elif kind == "requests":
        for key in data:
            if key != "requests":
                yield "", None, unknown_key(key, ("requests",)).replace("unknown key", "unknown table")
        rows = data.get("requests")
        if not isinstance(rows, list) or not rows or not all(isinstance(t, dict) for t in rows):
            yield "", None, "no [[requests]] tables; e.g. [[requests]] with id and station"
            return
        ids = [t.get("id") for t in rows]
        for i, t in enumerate(rows, start=1):
            loc = f"[[requests]] #{i}"
            yield loc, schema.tables[0], t
            if ids.count(t.get("id")) > 1:
                yield loc, None, f"id {t.get('id')!r} is given to more than one request; give each its own"
            after = t.get("after", [])
            for a in after if isinstance(after, list) else ():
                if a not in ids:
                    yield loc, None, f"after names {a!r}, which is not a request id"
    else:  # pragma: no cover - series is checked by rows
        raise ValueError(kind)


def check_data(kind: str, data: Mapping[str, Any], file: str = "") -> list[Problem]:
    """Every problem of a parsed TOML document of ``kind`` (see :data:`KINDS`)."""
    if kind not in _DATA_KINDS:
        from .errors import UnknownNameError

        raise UnknownNameError("file kind", kind, _DATA_KINDS)
    out: list[Problem] = []
    for loc, table, tdata in _tables_of(kind, data):
        if table is None:
            out.append(Problem(file, loc, str(tdata)))
            continue
        for key, msg in check_table(table, tdata):
            out.append(Problem(file, loc, msg, key=key))
    return out


def validate(kind: str, data: Mapping[str, Any], file: str) -> None:
    """Raise :class:`~passplan.errors.ConfigError` naming the first problem of a parsed
    document (and how many more there are: ``passplan doctor FILE`` lists them all)."""
    problems = check_data(kind, data, file)
    if problems:
        more = len(problems) - 1
        tail = f" (and {more} more problem(s): `passplan doctor {file}` lists them)" if more else ""
        raise ConfigError(f"{problems[0]}{tail}")


# ---------------------------------------------------------------------------------------------
# Files

def read_text(path: str | os.PathLike[str], what: str) -> str:
    """The UTF-8 text of an input file (a byte-order mark is dropped, CRLF is fine), refusing a
    missing file, a folder, an empty file, a binary file and a file past
    :data:`MAX_FILE_BYTES`, each with one line naming the file and the fix."""
    p = Path(path)
    if p.is_dir():
        raise ConfigError(f"{p} is a folder; give a {what} file")
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ConfigError(f"{p}: {size / 1e6:.0f} MB is far larger than any {what} file; check the path")
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"file not found: {p}; check the path (a {what} file)") from None
    except PermissionError:
        raise ConfigError(f"cannot read {p}: permission denied") from None
    except OSError as err:
        raise ConfigError(f"cannot read {p}: {err.strerror or err}") from None
    if b"\x00" in raw:
        raise ConfigError(f"{p}: a binary file (it holds NUL bytes), not a {what} file; check the path")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ConfigError(f"{p}: not UTF-8 text (byte {err.start}); save the {what} file as UTF-8") from None
    if not text.strip():
        raise ConfigError(f"{p}: the file is empty; a {what} file needs content")
    return text


def parse_toml(text: str, file: str) -> dict[str, Any]:
    """Parse TOML, an error naming the file and the line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{file}: invalid TOML: {err}; fix the syntax on that line") from None


def detect_kind(data: Mapping[str, Any]) -> str | None:
    """The kind of a parsed TOML document from its tables and keys, or None."""
    keys = set(data)
    if "demands" in keys:
        return "demands"
    if "requests" in keys:
        return "requests"
    if "stations" in keys and not keys & {"nodes", "links"}:
        return "stations"
    if keys & {"nodes", "links", "fibre_model", "twinfield_model"} or "network" in keys:
        return "network"
    if keys & {"satellite", "walker", "geo", "constellation"}:
        return "constellation"
    if keys & {"direction", "wavelength_nm", "transmitter", "receiver", "detector", "orbit"}:
        return "profile"
    if keys & set(PROTOCOL.tables[0].names):
        return "protocol"
    return None


def check_series_text(text: str, file: str) -> list[Problem]:
    """Every problem of a key series CSV (header, cells, order) except the sampling checks of
    :func:`passplan.keyrate.series.read_series`."""
    import csv

    table = SERIES.tables[0]
    out: list[Problem] = []
    rows = [(n, line) for n, line in enumerate(text.splitlines(), start=1)
            if line.strip() and not line.lstrip().startswith("#")]
    if not rows:
        return [Problem(file, "", "no header and no data; expected columns t_s,eta[,background_prob]")]
    try:
        header = [h.strip() for h in next(csv.reader([rows[0][1]]))]
    except csv.Error as err:
        return [Problem(file, "", f"not a CSV header ({err})", line=rows[0][0])]
    for k in table.keys:
        if k.required and k.name not in header:
            out.append(Problem(file, "", f"missing column {k.name!r}; the header must name t_s,eta[,background_prob]",
                               line=rows[0][0]))
    if out:
        return out
    cols = {k.name: header.index(k.name) for k in table.keys if k.name in header}
    prev = -math.inf
    for lineno, line in rows[1:]:
        try:
            cells = next(csv.reader([line]))
        except csv.Error as err:
            out.append(Problem(file, "", f"not a CSV row ({err})", line=lineno))
            continue
        for name, i in cols.items():
            cell = cells[i].strip() if i < len(cells) else ""
            try:
                v = float(cell)
            except ValueError:
                out.append(Problem(file, f"column {name!r}", f"is {cell[:40]!r}; give a number", key=name, line=lineno))
                continue
            msg = key_problem(table.key(name), v)
            if msg:
                out.append(Problem(file, "column", msg, key=name, line=lineno))
            if name == "t_s" and math.isfinite(v):
                if v <= prev:
                    out.append(Problem(file, "column 't_s'", f"is {v!r}, not after the previous row; sort the "
                                       "series by time", key=name, line=lineno))
                prev = v
        if len(out) >= 100:
            out.append(Problem(file, "", "more than 100 problems; the rest are not listed"))
            break
    if len(rows) < 2:
        out.append(Problem(file, "", "header but no data rows"))
    return out


_CLOUD_COLUMNS = ("cloud_fraction", "tcc", "clear")
_CLEAR_WORDS = {"1": 1.0, "true": 1.0, "yes": 1.0, "0": 0.0, "false": 0.0, "no": 0.0}
_MAX_CLOUD_PROBLEMS = 100


def _cloud_value(column: str, cell: str) -> tuple[float | None, str | None]:
    """The cloud fraction of one cell, or the message for a bad one."""
    text = cell.strip()
    if column == "clear":
        v = _CLEAR_WORDS.get(text.lower())
        if v is None:
            return None, f"is {text[:40]!r}; give 1 or 0 (true/false, yes/no) for clear or cloudy"
        return 1.0 - v, None
    try:
        x = float(text)
    except ValueError:
        return None, f"is {text[:40]!r}; give a cloud fraction from 0 to 1"
    if not (math.isfinite(x) and 0.0 <= x <= 1.0):
        hint = " (a percentage? divide by 100)" if math.isfinite(x) and 1.0 < x <= 100.0 else ""
        return None, f"is {text[:40]!r}; give a cloud fraction from 0 to 1{hint}"
    return x, None


def parse_cloud_csv(text: str, file: str) -> tuple[dict[str, list[tuple[float, float, int]]], list[Problem]]:
    """A cloud record CSV (:mod:`passplan.schedule.cloud_record`): its rows by station id
    (lower-case) as ``(POSIX s, cloud fraction, line)``, and every problem (file, line, column,
    the fix)."""
    import csv

    from .errors import InputError
    from .times import parse_time

    problems: list[Problem] = []
    rows = [(n, line) for n, line in enumerate(text.splitlines(), start=1)
            if line.strip() and not line.lstrip().startswith("#")]
    if not rows:
        return {}, [Problem(file, "", "no header and no data; expected columns station,time,cloud_fraction (or clear)")]
    try:
        header = [h.strip().lower() for h in next(csv.reader([rows[0][1]]))]
    except csv.Error as err:
        return {}, [Problem(file, "", f"not a CSV header ({err})", line=rows[0][0])]
    missing = [c for c in ("station", "time") if c not in header]
    values = [c for c in _CLOUD_COLUMNS if c in header]
    if missing or len(values) != 1:
        need = f"missing column {missing[0]!r}" if missing else (
            "no cloud column" if not values else f"give one cloud column, not {', '.join(values)}")
        return {}, [Problem(file, "", f"{need}; the header must name station,time,cloud_fraction (or tcc, or clear)",
                            line=rows[0][0])]
    col = values[0]
    i_st, i_t, i_c = header.index("station"), header.index("time"), header.index(col)
    out: dict[str, list[tuple[float, float, int]]] = {}
    seen: dict[tuple[str, float], int] = {}
    for lineno, line in rows[1:]:
        try:
            cells = next(csv.reader([line]))
        except csv.Error as err:
            problems.append(Problem(file, "", f"not a CSV row ({err})", line=lineno))
            continue
        if len(cells) <= max(i_st, i_t, i_c):
            problems.append(Problem(file, "", f"{len(cells)} cells; the header names {len(header)}", line=lineno))
            continue
        st = cells[i_st].strip()
        if not st or not all(ch.isalnum() or ch in "-_" for ch in st):
            problems.append(Problem(file, "column 'station'", f"is {st[:40]!r}; give a station id (letters, digits, "
                                    "'-' and '_')", key="station", line=lineno))
            continue
        try:
            t = parse_time(cells[i_t].strip(), "time").timestamp()
        except InputError as err:
            problems.append(Problem(file, "column", str(err), key="time", line=lineno))
            continue
        c, msg = _cloud_value(col, cells[i_c])
        if msg is not None or c is None:
            problems.append(Problem(file, f"column {col!r}", msg or "", key=col, line=lineno))
            continue
        key = (st.lower(), t)
        if key in seen:
            problems.append(Problem(file, "column 'time'", f"{cells[i_t].strip()!r} repeats line {seen[key]} for "
                                    f"station {st}; keep one sample per station and time", key="time", line=lineno))
            continue
        seen[key] = lineno
        out.setdefault(st.lower(), []).append((t, c, lineno))
        if len(problems) >= _MAX_CLOUD_PROBLEMS:
            problems.append(Problem(file, "", f"more than {_MAX_CLOUD_PROBLEMS} problems; the rest are not listed"))
            break
    if len(rows) < 2:
        problems.append(Problem(file, "", "header but no data rows"))
    return out, problems


# ---------------------------------------------------------------------------------------------
# Candidates files (passplan.schedule.candidates_file builds the candidates from these rows)

_CANDIDATE_COLUMNS = tuple(k.name for k in CANDIDATES.tables[0].keys)
_CANDIDATE_REQUIRED = tuple(k.name for k in CANDIDATES.tables[0].keys if k.required)
_MAX_CANDIDATE_PROBLEMS = 100


def _candidate_cell(name: str, cell: str) -> tuple[Any, str | None]:
    """A cell's value, or the problem with it."""
    from .errors import InputError
    from .times import parse_time

    cell = cell.strip()
    if name in ("station", "satellite"):
        return (cell, None) if cell else (None, f"empty {name}; give its name")
    if name == "id":
        return (cell or None), None
    if name in ("start", "end"):
        try:
            return parse_time(cell, name), None
        except InputError as err:
            return None, str(err)
    if name in ("key_bits", "priority"):
        if name == "priority" and not cell:
            return None, None
        try:
            v = float(cell)
        except ValueError:
            return None, f"{name} {cell!r} is not a number"
        if name == "key_bits" and not (math.isfinite(v) and v >= 0):
            return None, f"key_bits {cell}: give a finite number of bits >= 0"
        if name == "priority" and not (math.isfinite(v) and v > 0):
            return None, f"priority {cell}: give a finite number > 0"
        return v, None
    raise ValueError(name)  # pragma: no cover - every column is handled above


def _candidate_rows_csv(text: str, file: str, problems: list[Problem]) -> list[tuple[str, dict[str, Any]]]:
    import csv

    lines = [(n, ln) for n, ln in enumerate(text.splitlines(), start=1) if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        problems.append(Problem(file, "", "no header; the first line names the columns: " + ",".join(_CANDIDATE_COLUMNS)))
        return []
    head_no, head = lines[0]
    header = [h.strip().lower().replace(" ", "_") for h in next(csv.reader([head]))]
    for k, h in enumerate(header, start=1):
        if h not in _CANDIDATE_COLUMNS:
            problems.append(Problem(file, f"column {k}:", f"{h!r} is not a candidates column "
                                          f"(columns: {', '.join(_CANDIDATE_COLUMNS)}); rename it", key=h, line=head_no))
    missing = [c for c in _CANDIDATE_REQUIRED if c not in header]
    if missing:
        problems.append(Problem(file, "", f"no {', '.join(missing)} column; the header needs "
                                      + ",".join(_CANDIDATE_REQUIRED), line=head_no))
    if problems:
        return []
    if len(set(header)) != len(header):
        problems.append(Problem(file, "", "a column is named twice; name each once", line=head_no))
        return []
    out: list[tuple[str, dict[str, Any]]] = []
    for n, ln in lines[1:]:
        cells = next(csv.reader([ln]))
        if len(cells) != len(header):
            problems.append(Problem(file, "", f"{len(cells)} cells for {len(header)} columns; give one "
                                          "cell per column", line=n))
            continue
        row: dict[str, Any] = {}
        ok = True
        col = 1
        for h, cell in zip(header, cells, strict=True):
            v, why = _candidate_cell(h, cell)
            if why:
                problems.append(Problem(file, f"column {col} ({h}):", why, key=h, line=n))
                ok = False
            row[h] = v
            col += len(cell) + 1
        if ok:
            out.append((str(n), row))
        if len(problems) >= _MAX_CANDIDATE_PROBLEMS:
            break
    return out


_JSON_WS = " \t\n\r"


def _json_places(text: str) -> dict[int, dict[str, int]]:
    """Where each candidate of a valid JSON candidates text is: for candidate ``k`` (1-based),
    ``""`` is the offset of its value (object or not), ``key`` the offset of that key's value and
    ``"key:" + key`` the offset of the key itself (the last of a key given twice, as
    :func:`json.loads` keeps). Walks the text with :meth:`json.JSONDecoder.raw_decode`."""
    import json

    dec = json.JSONDecoder()

    def ws(i: int) -> int:
        while i < len(text) and text[i] in _JSON_WS:
            i += 1
        return i

    def members(i: int) -> tuple[dict[str, int], int]:  # text[i] == "{"
        out: dict[str, int] = {}
        i = ws(i + 1)
        while text[i] != "}":
            key_at = i
            key, i = dec.raw_decode(text, i)
            i = ws(ws(i) + 1)  # past ":"
            out[key], out["key:" + key] = i, key_at
            _, i = dec.raw_decode(text, i)
            i = ws(i)
            if text[i] == ",":
                i = ws(i + 1)
        return out, i + 1

    places: dict[int, dict[str, int]] = {}
    i = ws(0)
    if text[i] == "{":
        top, _ = members(i)
        if "candidates" not in top:
            return places
        i = top["candidates"]
    if text[i] != "[":
        return places
    i, k = ws(i + 1), 1
    while text[i] != "]":
        at = {"": i}
        if text[i] == "{":
            got, i = members(i)
            at.update(got)
        else:
            _, i = dec.raw_decode(text, i)
        places[k] = at
        k += 1
        i = ws(i)
        if text[i] == ",":
            i = ws(i + 1)
    return places


def _line_col(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of ``offset`` in ``text`` (as :class:`json.JSONDecodeError`)."""
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def _json_where(text: str, places: dict[int, dict[str, int]], k: int, key: str = "",
                at: str | None = None) -> tuple[str, int | None]:
    """The ``where`` (column, key, candidate number) and line of candidate ``k``'s ``at`` place
    (a key's value, ``"key:" + key``, or ``""`` the candidate itself)."""
    spot = places.get(k, {})
    offset = spot.get(key if at is None else at, spot.get(""))
    if offset is None:
        return f"candidate #{k}", None
    line, col = _line_col(text, offset)
    return f"column {col}{f' ({key})' if key else ''}: candidate #{k}", line


def _candidate_rows_json(text: str, file: str, problems: list[Problem]) -> list[tuple[str, dict[str, Any]]]:
    """The rows of a JSON candidates text, each with its candidate number (``where`` ``k``); each
    problem names the line and column of the offending value (a missing key: the candidate's
    object), the candidate's number and the key."""
    import json

    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        problems.append(Problem(file, f"column {err.colno}:", f"invalid JSON: {err.msg}; fix the syntax there",
                                      line=err.lineno))
        return []
    rows = data.get("candidates") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        problems.append(Problem(file, "", 'give a list of candidates (or {"candidates": [...]})'))
        return []
    places = _json_places(text)

    def problem(k: int, message: str, key: str = "", at: str | None = None) -> None:
        where, line = _json_where(text, places, k, key, at)
        problems.append(Problem(file, where, message, key=key, line=line))

    out: list[tuple[str, dict[str, Any]]] = []
    for k, t in enumerate(rows, start=1):
        if not isinstance(t, dict):
            problem(k, "not an object; give station, satellite, start, end, key_bits")
            continue
        row: dict[str, Any] = {}
        ok = True
        for key in t:
            if key not in _CANDIDATE_COLUMNS:
                problem(k, f"unknown key {key!r} (keys: {', '.join(_CANDIDATE_COLUMNS)})", key, "key:" + key)
                ok = False
        for name in _CANDIDATE_COLUMNS:
            if name not in t:
                if name in _CANDIDATE_REQUIRED:
                    problem(k, f"no {name}; each candidate needs " + ", ".join(_CANDIDATE_REQUIRED), name, "")
                    ok = False
                continue
            value = t[name]
            if isinstance(value, bool) or value is None or isinstance(value, list | dict):
                problem(k, f"{name} {value!r}: give a " + ("number" if name in ("key_bits", "priority") else "text"),
                        name)
                ok = False
                continue
            v, why = _candidate_cell(name, str(value))
            if why:
                problem(k, why, name)
                ok = False
            row[name] = v
        if ok:
            out.append((str(k), row))
        if len(problems) >= _MAX_CANDIDATE_PROBLEMS:
            break
    return out


def parse_candidates_text(text: str, file: str) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The rows of a candidates file (JSON when its text starts with ``[`` or ``{``, else CSV with
    a header; :data:`CANDIDATES`), each with its ``id`` (given, or ``satellite@station/start``),
    and every problem: a cell (file:line and column; JSON: the line and column of the value, the
    candidate's number and the key), a missing column, an end before its start, an id given
    twice. A row with a problem is left out."""
    from .times import iso_z

    problems: list[Problem] = []
    is_json = text.lstrip()[:1] in ("[", "{")
    rows = (_candidate_rows_json if is_json else _candidate_rows_csv)(text, file, problems)
    places = _json_places(text) if is_json and rows else {}
    out: list[dict[str, Any]] = []
    seen: dict[str, str] = {}

    def place(where: str, key: str) -> tuple[str, int | None]:
        if not is_json:
            return "", int(where)
        k = int(where)
        return _json_where(text, places, k, key, key if key in places.get(k, {}) else "")

    for where, row in rows:
        start, end = row["start"], row["end"]
        uid = row.get("id") or f"{row['satellite']}@{row['station']}/{iso_z(start)}"
        loc, line = place(where, "id")
        if uid in seen:
            problems.append(Problem(file, loc, f"id {uid} is also at {seen[uid]}; give each candidate its "
                                    "own id (an id column)", key="id", line=line))
            continue
        seen[uid] = f"candidate #{where} (line {line})" if is_json else f"line {where}"
        if end < start:
            loc, line = place(where, "end")
            problems.append(Problem(file, loc, f"end {iso_z(end)} is before start {iso_z(start)}; swap them",
                                    key="end", line=line))
            continue
        out.append(dict(row, id=uid))
    return out, problems


# ---------------------------------------------------------------------------------------------
# GeoJSON regions (coverage --region FILE)

#: The GeoJSON object types (RFC 7946 section 1.4) that tell a region file from its content.
GEOJSON_TYPES = ("FeatureCollection", "Feature", "Polygon", "MultiPolygon", "Point", "MultiPoint", "LineString",
                 "MultiLineString", "GeometryCollection")


def require_shapely() -> Any:
    """The shapely module, or an :class:`~passplan.errors.InputError` naming the extra that
    installs it."""
    try:
        import shapely  # type: ignore[import-untyped]  # (no stubs; the geo extra)
    except ImportError:
        from .errors import InputError

        raise InputError(
            "regions from GeoJSON files and the land mask need shapely: pip install 'passplan[geo]'"
        ) from None
    return shapely


class _RegionProblem(Exception):
    """One problem of a GeoJSON region (its message names the feature, polygon, ring, position)."""


def region_polygons(text: str, file: str) -> tuple[list[Any], list[Problem]]:
    """The polygons (shapely ``Polygon``) of a GeoJSON region text and every problem, each naming
    the feature (``feature K`` of a FeatureCollection), the polygon, ring and position and the
    fix: a Polygon or MultiPolygon geometry, a Feature holding one, or a FeatureCollection of them;
    coordinates ``[longitude, latitude]`` in degrees (RFC 7946). A feature with a problem is left
    out (the others are still checked); the polygons are checked for validity (no self-crossing)
    and area only when the structure has no problem. Needs shapely (:func:`require_shapely`)."""
    import json

    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        return [], [Problem(file, "", f"not JSON (line {err.lineno}, column {err.colno}: {err.msg}); "
                            "give a GeoJSON file")]
    rings: list[tuple[list[Any], list[Any]]] = []
    problems: list[Problem] = []
    try:
        if not isinstance(doc, dict) or "type" not in doc:
            raise _RegionProblem('not a GeoJSON object (no "type"); give a Polygon, MultiPolygon, Feature or '
                                 "FeatureCollection")
        if doc["type"] == "FeatureCollection":
            feats = doc.get("features")
            if not isinstance(feats, list):
                raise _RegionProblem('the FeatureCollection has no "features" list')
            for k, f in enumerate(feats):
                try:
                    rings += _region_feature(f, f"feature {k + 1}")
                except _RegionProblem as err:
                    problems.append(Problem(file, "", str(err)))
        elif doc["type"] == "Feature":
            rings = _region_feature(doc, "the feature")
        else:
            rings = _region_geometry(doc, "the geometry")
    except _RegionProblem as err:
        problems.append(Problem(file, "", str(err)))
    if problems:
        return [], problems
    shapely = require_shapely()
    polys = [shapely.Polygon(shell, holes) for shell, holes in rings]
    if not polys:
        return [], [Problem(file, "", "the file holds no polygon; give a GeoJSON Polygon or MultiPolygon")]
    for k, poly in enumerate(polys):
        if not poly.is_valid:
            why = shapely.is_valid_reason(poly)
            problems.append(Problem(file, "", f"polygon {k + 1} is not a valid polygon ({why}); fix its rings "
                                    "(no self-crossing)"))
        elif poly.area <= 0:
            problems.append(Problem(file, "", f"polygon {k + 1} has no area; give at least three distinct corners"))
    return ([], problems) if problems else (polys, [])


def _region_feature(f: Any, where: str) -> list[tuple[list[Any], list[Any]]]:
    if not isinstance(f, dict) or f.get("type") != "Feature":
        raise _RegionProblem(f"{where} is not a GeoJSON Feature")
    g = f.get("geometry")
    if g is None:
        raise _RegionProblem(f"{where} has no geometry; give it a Polygon or MultiPolygon")
    return _region_geometry(g, where)


def _region_geometry(g: Any, where: str) -> list[tuple[list[Any], list[Any]]]:
    kind = g.get("type") if isinstance(g, dict) else None
    coords = g.get("coordinates") if isinstance(g, dict) else None
    if kind == "Polygon":
        return [_region_polygon(coords, where)]
    if kind == "MultiPolygon":
        if not isinstance(coords, list) or not coords:
            raise _RegionProblem(f"{where}: a MultiPolygon needs a non-empty list of polygons")
        return [_region_polygon(c, f"{where}, polygon {k + 1}") for k, c in enumerate(coords)]
    raise _RegionProblem(
        f"{where} is a {kind or 'non-geometry'}; a region must be a Polygon or MultiPolygon "
        "(areas, not points or lines)"
    )


def _region_polygon(rings: Any, where: str) -> tuple[list[Any], list[Any]]:
    if not isinstance(rings, list) or not rings:
        raise _RegionProblem(f"{where}: a Polygon needs a list of linear rings")
    checked = [_region_ring(r, f"{where}, ring {k + 1}") for k, r in enumerate(rings)]
    return checked[0], checked[1:]


def _region_ring(ring: Any, where: str) -> list[tuple[float, float]]:
    if not isinstance(ring, list) or len(ring) < 4:
        raise _RegionProblem(f"{where}: a linear ring needs at least 4 positions (the first repeated last)")
    out: list[tuple[float, float]] = []
    for k, pos in enumerate(ring):
        if not (isinstance(pos, list) and len(pos) >= 2 and all(_finite_number(v) for v in pos[:2])):
            raise _RegionProblem(f"{where}, position {k + 1}: give [longitude, latitude] as two numbers")
        lon, lat = float(pos[0]), float(pos[1])
        if not -90.0 <= lat <= 90.0:
            raise _RegionProblem(
                f"{where}, position {k + 1}: latitude {lat:g} is outside [-90, 90] "
                "(GeoJSON positions are [longitude, latitude])"
            )
        if not -180.0 <= lon <= 360.0:
            raise _RegionProblem(f"{where}, position {k + 1}: longitude {lon:g} is outside [-180, 180]")
        out.append((lon, lat))
    if out[0] != out[-1]:
        raise _RegionProblem(f"{where}: the ring is not closed; repeat its first position at its end")
    return out


def _finite_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


# ---------------------------------------------------------------------------------------------
# A coverage study's JSON (report --coverage FILE)

#: The fix of every coverage JSON problem.
COVERAGE_FIX = "give the JSON that `passplan coverage --format json -o FILE` writes"


def coverage_problems(doc: Any, metric: str | None = None, most: int = _MAX_CANDIDATE_PROBLEMS) -> tuple[str, list[str]]:
    """The metric a coverage document (``{"cells": [{"lat_deg", "lon_deg", metric...}],
    "summary": {...}}``) is read for (``metric``, default ``key_bits_per_day`` when the first
    cell carries it, else ``usable_min_per_day``) and its problems (at most ``most``), each a
    message naming the cell (``cells[k]``), the key and the fix: a cell that is not an object,
    a centre that is not a finite number, the metric missing, a metric value neither a number
    nor null."""
    if not isinstance(doc, dict) or not isinstance(doc.get("cells"), list) or not doc["cells"]:
        return metric or "usable_min_per_day", [f'no "cells" list; {COVERAGE_FIX}']
    cells = doc["cells"]
    first = cells[0] if isinstance(cells[0], dict) else {}
    if metric is None:
        metric = "key_bits_per_day" if first.get("key_bits_per_day") is not None else "usable_min_per_day"
    out: list[str] = []
    for k, c in enumerate(cells):
        if len(out) >= most:
            break
        if not isinstance(c, dict):
            out.append(f"cells[{k}] is not an object; {COVERAGE_FIX}")
            continue
        bad = next((key for key in ("lat_deg", "lon_deg") if not _finite_number(c.get(key))), None)
        if bad is not None:
            out.append(f"cells[{k}].{bad} is {c.get(bad)!r}, not a number; {COVERAGE_FIX}")
        elif metric not in c:
            names = sorted(n for n in first if n not in ("lat_deg", "lon_deg"))
            out.append(f"cells[{k}] has no {metric!r}; the cells hold {', '.join(names) or 'no metric'}")
        elif c[metric] is not None and (not isinstance(c[metric], int | float) or isinstance(c[metric], bool)):
            out.append(f"cells[{k}].{metric} is {c[metric]!r}, not a number or null; {COVERAGE_FIX}")
    return metric, out


def _looks_like_region(text: str, file: str) -> bool:
    """A GeoJSON file: named ``.geojson``, or a JSON object whose ``type`` is a GeoJSON type."""
    import json

    if file.lower().endswith(".geojson"):
        return True
    if text.lstrip()[:1] != "{":
        return False
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        return False
    return isinstance(doc, dict) and doc.get("type") in GEOJSON_TYPES


def _looks_like_candidates(first: str) -> bool:
    """A candidates CSV header (station, satellite, start, end among its columns) or a JSON
    candidates list."""
    cols = {c.strip().lower() for c in first.split(",")}
    return {"station", "satellite", "start", "end"} <= cols or first.lstrip().startswith('{"candidates"')


def check_file(path: str | os.PathLike[str], kind: str | None = None) -> list[Problem]:
    """Every problem of an input file, without running anything: a stations file, a network, a
    link profile, a protocol, a key series CSV, a constellation, a GeoJSON region or a coverage
    study's JSON... (``kind``, else detected from the content: a CSV with a ``t_s`` column is a
    series, a GeoJSON object a region, a JSON object with ``cells`` a coverage study, a TOML file
    by its tables). An empty list means the file passes every schema check."""
    import json

    file = os.fspath(path)
    if kind is not None and kind not in KINDS:
        from .errors import UnknownNameError

        raise UnknownNameError("file kind", kind, KINDS)
    try:
        text = read_text(path, "GeoJSON region" if kind == "region" else kind or "input")
    except ConfigError as err:
        return [Problem(file, "", str(err).removeprefix(f"{file}: "))]
    if kind == "region" or (kind is None and _looks_like_region(text, file)):
        from .errors import InputError

        try:
            return region_polygons(text, file)[1]
        except InputError as err:  # shapely missing: the extra named
            return [Problem(file, "", str(err))]
    head = text.lstrip().split("\n", 1)[0]
    first = next((ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), "")
    if kind == "cloud" or (kind is None and first.replace(" ", "").lower().startswith("station,time,")):
        return parse_cloud_csv(text, file)[1]
    if kind == "candidates" or (kind is None and _looks_like_candidates(first)):
        return parse_candidates_text(text, file)[1]
    if kind is None and text.lstrip()[:1] in ("{", "["):  # JSON: requests or a coverage study, else say so
        try:
            doc = json.loads(text)
        except json.JSONDecodeError:
            doc = None
        if isinstance(doc, dict) and "requests" in doc:
            kind = "requests"
        elif isinstance(doc, dict) and "cells" in doc:
            kind = "coverage"
        elif doc is not None:
            return [Problem(file, "", "cannot tell the file kind from its content (JSON); give it (--kind "
                            + "|".join(KINDS) + ")")]
    if kind == "coverage":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as err:
            return [Problem(file, "", f"not JSON (line {err.lineno}: {err.msg}); give a coverage JSON file")]
        return [Problem(file, "", m) for m in coverage_problems(doc)[1]]
    if kind == "requests" and text.lstrip()[:1] == "{":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            return [Problem(file, f"column {err.colno}:", f"invalid JSON: {err.msg}; fix the syntax there",
                            line=err.lineno)]
        return check_data("requests", data if isinstance(data, dict) else {"requests": data}, file)
    if kind == "series" or (kind is None and "t_s" in head and "eta" in head and "=" not in head):
        return check_series_text(text, file)
    try:
        data = parse_toml(text, file)
    except ConfigError as err:
        return [Problem(file, "", str(err).removeprefix(f"{file}: "))]
    found = kind or detect_kind(data)
    if found is None:
        return [Problem(file, "", "cannot tell the file kind from its content; give it (--kind "
                        + "|".join(KINDS) + ")")]
    return check_data(found, data, file)


# ---------------------------------------------------------------------------------------------
# The README table

def markdown_table() -> str:
    """The README's table of every input key: file kind and table, key, type, range, unit,
    meaning (generated from the schemas; ``tests/test_schema.py`` checks the README holds it)."""
    lines = ["| file: table | key | type | range | unit | meaning |", "|---|---|---|---|---|---|"]
    for schema in SCHEMAS.values():
        for table in schema.tables:
            where = f"{schema.kind}: {table.name}"
            if not table.keys:
                lines.append(f"| {where} | (any) | | | | {table.meaning} |")
            for k in table.keys:
                req = " (required)" if k.required else ""
                rng = k.range_text()
                if k.type == "pairs" and k.range2 is not None:
                    lo2, hi2, open2 = k.range2
                    rng = f"{rng} x [{lo2:g}, {hi2:g}{')' if open2 else ']'}"
                lines.append(
                    f"| {where} | `{k.name}`{req} | {k.type_text()} | {rng} | {k.unit} | {k.meaning} |"
                )
    return "\n".join(lines) + "\n"
