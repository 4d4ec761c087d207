"""Typed errors whose messages teach: what was given, what was expected, and the fix.

The library raises these; the CLI prints ``str(err)`` on one line of stderr and exits 2.

Warnings (input that is legal but suspicious, element sets getting old, a satellite SGP4 cannot
propagate) reach library users through the standard :mod:`warnings` module, as a
:class:`PassplanWarning` subclass, attributed to the first caller outside passplan, so a script
sees them without printing a list (and can silence or raise them with ``warnings.filterwarnings``).
The CLI, which prints the warnings of a result itself, runs its commands inside
:func:`reported_by_caller` so that nothing is said twice.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import sys
import warnings
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any

__all__ = [
    "PassplanError",
    "InputError",
    "ConfigError",
    "ElementSetError",
    "StaleElementsError",
    "UnknownNameError",
    "FetchError",
    "PassplanWarning",
    "InputWarning",
    "StaleElementsWarning",
    "PropagationWarning",
    "PassplanDeprecationWarning",
    "renamed_keyword",
    "emit_warnings",
    "reported_by_caller",
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


# ---------------------------------------------------------------------------------------------
# Warnings


class PassplanWarning(UserWarning):
    """Base class of every warning passplan issues (``warnings.filterwarnings("error",
    category=PassplanWarning)`` turns them all into exceptions)."""


class InputWarning(PassplanWarning):
    """An input is legal but suspicious (the message says why and what to check)."""


class StaleElementsWarning(PassplanWarning):
    """An element set is old at the analysis time (its predictions degrade; fetch newer ones)."""


class PropagationWarning(PassplanWarning):
    """SGP4 cannot propagate a satellite (decayed, or elements far from their epoch): it has no
    passes from the time named on."""


class PassplanDeprecationWarning(PassplanWarning, DeprecationWarning):
    """A keyword or option was renamed; the old spelling still works for one release."""


def renamed_keyword(new: str, new_value: Any, old: str, old_value: Any) -> Any:
    """The value of a keyword renamed from ``old`` to ``new``: ``new_value``, or ``old_value``
    (with a :class:`PassplanDeprecationWarning`, attributed to the caller outside passplan) when
    only the old spelling was given; both given and different is an :class:`InputError`."""
    if old_value is None:
        return new_value
    if new_value is not None and new_value != old_value:
        raise InputError(f"{old}= and {new}= disagree ({old_value!r} and {new_value!r}); give {new}= alone")
    warnings.warn(
        f"{old}= is renamed {new}= (the old name goes in the next release)",
        PassplanDeprecationWarning,
        stacklevel=_first_outside_frame_level(),
    )
    return old_value


#: True while the caller prints the warnings of the results itself (the CLI); see
#: :func:`reported_by_caller`.
_REPORTED_BY_CALLER: ContextVar[bool] = ContextVar("passplan_reported_by_caller", default=False)
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _first_outside_frame_level() -> int:
    """The ``stacklevel`` of ``warnings.warn`` called from :func:`emit_warnings` that names the
    first frame outside the passplan package (the user's line that called the public function)."""
    frame = sys._getframe(2)  # the caller of emit_warnings
    level = 2
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def emit_warnings(messages: Iterable[str], category: type[PassplanWarning] = PassplanWarning) -> None:
    """Issue each message with :func:`warnings.warn` as ``category``, attributed to the first
    caller outside passplan, unless the caller reports them itself (:func:`reported_by_caller`).

    A result that carries a ``warnings`` list (a pass search, a satellite selection) calls this
    with the same lines, so a library user sees them without printing the list."""
    if _REPORTED_BY_CALLER.get():
        return
    messages = list(messages)
    if not messages:
        return
    level = _first_outside_frame_level()
    for message in messages:
        warnings.warn(message, category, stacklevel=level)


@contextlib.contextmanager
def reported_by_caller() -> Iterator[None]:
    """Inside this block :func:`emit_warnings` is silent: the caller (the CLI) prints the
    ``warnings`` of the results itself, so the user does not read them twice. Thread- and
    task-local (a :class:`contextvars.ContextVar`); nesting is fine."""
    token = _REPORTED_BY_CALLER.set(True)
    try:
        yield
    finally:
        _REPORTED_BY_CALLER.reset(token)
