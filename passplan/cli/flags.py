"""Library errors name library parameters (``time_limit_s``, ``days``); the CLI says its options
(``--time-limit-s``, ``--days``). :func:`as_flags` maps one to the other around a library call."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

from ..errors import InputError

__all__ = ["as_flags"]


@contextlib.contextmanager
def as_flags(names: Mapping[str, str], phrases: Mapping[str, str] | None = None) -> Iterator[None]:
    """Inside the block, an :class:`InputError` whose message starts with a library parameter
    (a key of ``names`` followed by a space) is raised again with the CLI's words (its value)
    instead: ``as_flags({"days": "--days"})`` turns ``days 0: give ...`` into ``--days 0: give
    ...``. A key may be a phrase (``"source and target"``). ``phrases`` are replaced wherever
    they occur in the message (advice that names other parameters)."""
    try:
        yield
    except InputError as err:
        text = str(err)
        new = text
        for name, flag in names.items():
            if new.startswith(name + " "):
                new = flag + new[len(name):]
                break
        for phrase, words in (phrases or {}).items():
            new = new.replace(phrase, words)
        if new == text:
            raise
        raise InputError(new) from None
