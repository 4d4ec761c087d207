"""Library errors name library parameters (``time_limit_s``, ``days``); the CLI says its options
(``--time-limit-s``, ``--days``). :func:`as_flags` maps one to the other around a library call."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

from ..errors import InputError

__all__ = ["as_flags", "OPTION_FOR"]

#: The CLI option for each library parameter a library error may name (one table for every
#: command: the two vocabularies side by side).
OPTION_FOR: dict[str, str] = {
    # pass queries (passplan.query)
    "min_duration_s": "--min-duration",
    "min_max_el_deg": "--min-max-el",
    "within_days": "--within-days",
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
