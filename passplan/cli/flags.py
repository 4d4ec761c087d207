"""Library errors name library parameters (``time_limit_s``, ``days``); the CLI says its options
(``--time-limit-s``, ``--days``). :func:`as_flags` maps one to the other around a library call."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Annotated, TypeVar

import typer

from ..errors import InputError

T = TypeVar("T")

#: Advice inside library messages, in the CLI's words.
FETCH_PHRASES = {"give norad_ids, names or groups": "give --norad N, --name TEXT or --group NAME"}
SATS_PHRASES = {"give satellites": "give --sats"}
LINK_PHRASES = {"at elevation_deg": "at --elevation-deg", "or leave range_km out": "or leave --range-km out"}

__all__ = ["FETCH_PHRASES", "SATS_PHRASES", "LINK_PHRASES", "as_flags", "OPTION_FOR", "renamed_option", "creation_date", "CreationDateOpt", "DtstampOpt"]

#: The CLI option for each library parameter a library error may name (one table for every
#: command: the two vocabularies side by side).
OPTION_FOR: dict[str, str] = {
    # pass queries (passplan.query)
    "min_duration_s": "--min-duration",
    "min_max_el_deg": "--min-max-el",
    "within_days": "--within-days",
    # element sets (passplan.fetch.update)
    "norad_ids": "--norad",
    "names": "--name",
    "groups": "--group",
    "output_dir": "--output-dir",
    "url_base": "--url-base",
    # the key of a series (passplan.forecast.series.series_key)
    "pulses_per_s": "--pulses-per-s",
    "decoys": "--decoys",
    # one link geometry (passplan.forecast.chain.check_link_geometry, link_report)
    "elevation_deg": "--elevation-deg",
    "range_km": "--range-km",
    "sun_elevation_deg": "--sun-elevation-deg",
    "sun_separation_deg": "--sun-separation-deg",
    "moon_elevation_deg": "--moon-elevation-deg",
    "moon_separation_deg": "--moon-separation-deg",
    "moon_illumination": "--moon-illumination",
    "visibility_km": "--visibility-km",
    # schedules (passplan.schedule.run)
    "time_limit_s": "--time-limit-s",
    "min_key_bits": "--min-key-bits",
    "weather_trials": "--weather-trials",
    "setup_s": "--setup-s",
    "rolling_days": "--rolling-days",
    "demand": "--demand",
    "source and target": "--from and --to",
    # constellation design (passplan.designed)
    "altitude_km": "--altitude-km",
    "inclination_deg": "--inclination-deg",
    "ltan": "--ltan",
    "raan_spread_deg": "--raan-spread-deg",
    "longitude_deg": "--longitude-deg",
    # coverage (passplan.coverage)
    "step_deg": "--grid-deg",
    "days": "--days",
    "sample_days": "--sample-days",
    "min_elevation_deg": "--min-el",
    "min_sun_sep_deg": "--min-sun-sep",
    "workers": "--workers",
}


@contextlib.contextmanager
def as_flags(phrases: Mapping[str, str] | None = None, names: Mapping[str, str] = OPTION_FOR) -> Iterator[None]:
    """Inside the block, an :class:`InputError` whose message starts with a library parameter
    (a key of ``names``, default :data:`OPTION_FOR`, followed by a space or ``=``) is raised
    again with the CLI's words (its value) instead: ``days 0: give ...`` becomes ``--days 0: give
    ...``. A key may be a phrase (``"source and target"``). ``phrases`` are replaced wherever
    they occur in the message (advice that names other parameters)."""
    try:
        yield
    except InputError as err:
        text = str(err)
        new = text
        for name, flag in names.items():
            if new.startswith(name + " ") or new.startswith(name + "="):
                new = flag + new[len(name):]
                break
        for phrase, words in (phrases or {}).items():
            new = new.replace(phrase, words)
        if new == text:
            raise
        raise InputError(new) from None


def renamed_option(new: str, new_value: T | None, old: str, old_value: T | None) -> T | None:
    """The value of an option renamed from ``old`` to ``new`` (the old spelling is a hidden
    alias for one release): ``new_value``, or ``old_value`` with a warning on stderr when only the
    old spelling was given; both given and different is an error."""
    if old_value is None:
        return new_value
    if new_value is not None and new_value != old_value:
        raise InputError(f"{old} and {new} disagree; give {new} alone")
    from .common import warn

    warn(f"{old} is renamed {new} (the old name goes in the next release)")
    return old_value


#: The creation time a file records (DTSTAMP of calendar events, CREATION_DATE of an OEM).
CreationDateOpt = Annotated[
    str | None,
    typer.Option(
        "--creation-date",
        help="The file's creation time (ISO time with zone; default now), for reproducible files: "
        "every event's DTSTAMP with --format ics, the CREATION_DATE with --format oem.",
    ),
]
#: ``--creation-date``'s old name on the calendar commands (hidden, deprecated).
DtstampOpt = Annotated[str | None, typer.Option("--dtstamp", hidden=True, help="Renamed --creation-date.")]


def creation_date(value: str | None, dtstamp: str | None = None) -> datetime | None:
    """``--creation-date`` (or its old name ``--dtstamp``) as an aware datetime, or None."""
    from ..times import parse_time

    text = renamed_option("--creation-date", value, "--dtstamp", dtstamp)
    return parse_time(text, "--creation-date") if text else None

