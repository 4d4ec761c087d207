"""Shared CLI plumbing: error handling (one line on stderr, exit 2), output formats, messages.

Every command module (``cli_*.py``) exposes ``register(app)`` and wraps its body in
:func:`handle_errors`, so a :class:`~passplan.errors.PassplanError` (or an ``OSError`` reading a
file the user named) becomes one clear line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import typer

from ..errors import PassplanError
from ..io import atomic_write_text, to_csv, to_json, to_ndjson

__all__ = ["handle_errors", "fail", "info", "warn", "emit", "OutputFormat", "TableFormat"]

F = TypeVar("F", bound=Callable[..., Any])


class OutputFormat(StrEnum):
    """The shared ``--format`` choices for list-like outputs."""

    table = "table"
    csv = "csv"
    json = "json"
    ndjson = "ndjson"


class TableFormat(StrEnum):
    """``--format`` for single-object outputs."""

    table = "table"
    json = "json"


def fail(message: str) -> None:
    """Print ``passplan: error: <message>`` on stderr and exit with code 2."""
    typer.echo(f"passplan: error: {message}", err=True)
    raise typer.Exit(code=2)


def info(message: str) -> None:
    """A progress or information line on stderr."""
    typer.echo(message, err=True)


def warn(message: str) -> None:
    """A warning line on stderr."""
    typer.echo(f"passplan: warning: {message}", err=True)


def handle_errors(func: F) -> F:
    """Turn passplan's own errors (and unreadable user files) into exit code 2 with one line."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PassplanError as err:
            fail(str(err))
        except FileNotFoundError as err:
            fail(f"file not found: {err.filename}; check the path")
        except IsADirectoryError as err:
            fail(f"{err.filename} is a folder; give a file")
        except PermissionError as err:
            fail(f"cannot read or write {err.filename}: permission denied")
        except UnicodeDecodeError as err:
            fail(f"a file is not UTF-8 text ({err.reason}); give a text file")

    return wrapper  # type: ignore[return-value]


def emit(
    records: Sequence[Mapping[str, Any]],
    fmt: OutputFormat | str,
    table: Callable[[], str],
    output: Path | None = None,
) -> None:
    """Render ``records`` in ``fmt`` (``table`` uses the given renderer) to stdout or a file."""
    fmt = OutputFormat(fmt)
    if fmt is OutputFormat.json:
        text = to_json(list(records))
    elif fmt is OutputFormat.ndjson:
        text = to_ndjson(records)
    elif fmt is OutputFormat.csv:
        text = to_csv(records)
    else:
        text = table()
    if output is not None:
        atomic_write_text(output, text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
