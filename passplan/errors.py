"""Typed errors whose messages teach: what was given, what was expected, and the fix.

The library raises these; the CLI prints ``str(err)`` on one line of stderr and exits 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "PassplanError",
    "InputError",
    "ConfigError",
    "ElementSetError",
    "StaleElementsError",
    "UnknownNameError",
    "FetchError",
    "suggest",
]


class PassplanError(ValueError):
    """Base class of every error passplan raises on purpose (bad input, bad configuration)."""


class InputError(PassplanError):
    """A value given on the command line or to a public function is out of range or malformed."""


class ConfigError(PassplanError):
    """A configuration file (stations, profiles, constellations, protocol) is invalid.

    The message names the file, the key (and the line for TOML syntax errors) and the fix.
    """


class ElementSetError(PassplanError):
    """An element set (TLE, OMM JSON/CSV/XML) is malformed or fails its checksum."""


class StaleElementsError(PassplanError):
    """An element set is too old for the analysis time and ``allow_stale`` was not given."""


class FetchError(PassplanError):
    """CelesTrak could not be reached, or its answer was not usable element data."""


class UnknownNameError(PassplanError):
    """A name (station, satellite, profile, key) is unknown; the message suggests the nearest."""

    def __init__(self, kind: str, name: str, choices: Iterable[str], where: str = "") -> None:
        choices = sorted(set(choices))
        hint = suggest(name, choices)
        loc = f" in {where}" if where else ""
        msg = f"unknown {kind} {name!r}{loc}"
        if hint:
            msg += f"; did you mean {', '.join(repr(h) for h in hint)}?"
        elif choices:
            shown = ", ".join(choices[:12]) + (" ..." if len(choices) > 12 else "")
            msg += f"; known: {shown}"
        super().__init__(msg)
        self.kind = kind
        self.name = name


def suggest(name: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """Return up to ``n`` of ``choices`` closest to ``name`` (case-insensitive)."""
    choices = list(choices)
    lower = {c.lower(): c for c in choices}
    hits = difflib.get_close_matches(name.lower(), list(lower), n=n, cutoff=0.5)
    return [lower[h] for h in hits]
