"""Shared CLI plumbing: the option bundles, the one output path (:func:`emit`), errors (one line
on stderr, exit 2) and messages.

Every command module (``cli/<topic>.py``) exposes ``register(app)``, wraps its body in
:func:`handle_errors` (so a :class:`~passplan.errors.PassplanError`, or an ``OSError`` on a file
the user named, becomes one clear line on stderr and exit code 2, never a traceback), takes its
options from the ``Annotated`` aliases here and writes its data through :func:`emit`.

Nothing here imports numpy, Skyfield, scipy or matplotlib: ``passplan --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import functools
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from ..errors import InputError, PassplanError, PassplanWarning, reported_by_caller
from ..io import FORCE_HINT, RecordWriter, atomic_open, to_json

if TYPE_CHECKING:
    from ..elements import Selection

__all__ = [
    "handle_errors",
    "fail",
    "printable",
    "info",
    "warn",
    "emit",
    "report_selection",
    "progress_bar",
    "plot_format",
    "write_plot",
    "check_parquet",
    "OutputFormat",
    "TableFormat",
    "SatsOpt",
    "StationsFileOpt",
    "StationFilesOpt",
    "StationOpt",
    "StartOpt",
    "EndOpt",
    "HoursOpt",
    "DaysOpt",
    "MinElOpt",
    "EclipseOpt",
    "SunSepOpt",
    "MoonSepOpt",
    "MaxRangeOpt",
    "RefrOpt",
    "AllOpt",
    "StaleOpt",
    "VerboseOpt",
    "FormatOpt",
    "OneFormatOpt",
    "OutputOpt",
]

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


# ---------------------------------------------------------------------------------------------
# Option bundles (typer ``Annotated`` aliases; every command takes its options from here)

# satellites
SatsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--sats",
        help="Satellites: a bundled name (micius, jinan-1, iss, gps, galileo, beidou, geo, demo, "
        "DEMO-SSO-1...), an element file (TLE/3LE, OMM JSON/CSV/XML) or a constellation TOML. "
        "Repeatable; comma-separated lists work too.",
    ),
]
StaleOpt = Annotated[bool, typer.Option("--allow-stale", help="Use element sets older than 30 days at the analysis time.")]

# stations
StationsFileOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--stations",
        help="A station TOML merged over the bundled stations; alone, selects every station in it. Repeatable.",
    ),
]
StationFilesOpt = Annotated[
    list[Path] | None,
    typer.Option("--stations", help="A station TOML merged over the bundled stations (repeatable)."),
]
StationOpt = Annotated[list[str] | None, typer.Option("--station", help="Station id to use (repeatable).")]

# window
StartOpt = Annotated[str | None, typer.Option("--start", help="Window start, ISO-8601 with zone (e.g. 2016-12-19T12:00Z) or 'now'.")]
EndOpt = Annotated[str | None, typer.Option("--end", help="Window end, ISO-8601 with zone.")]
HoursOpt = Annotated[float | None, typer.Option("--hours", help="Window length in hours (instead of --end).")]
DaysOpt = Annotated[float | None, typer.Option("--days", help="Window length in days (instead of --end).")]

# constraints
MinElOpt = Annotated[float | None, typer.Option("--min-el", help="Minimum elevation (deg), overriding each station's own.")]
EclipseOpt = Annotated[
    bool | None,
    typer.Option("--eclipse/--no-eclipse", help="Require the satellite in Earth shadow (--eclipse) or sunlit (--no-eclipse)."),
]
SunSepOpt = Annotated[float | None, typer.Option("--min-sun-sep", help="Minimum angle between line of sight and the Sun (deg).")]
MoonSepOpt = Annotated[float | None, typer.Option("--min-moon-sep", help="Minimum angle between line of sight and the Moon, when up (deg).")]
MaxRangeOpt = Annotated[float | None, typer.Option("--max-range-km", help="Maximum slant range (km).")]
RefrOpt = Annotated[bool, typer.Option("--refraction", help="Use refracted (apparent) elevations; geometric by default.")]
AllOpt = Annotated[bool, typer.Option("--all", help="Also list the passes excluded by a constraint, with the reason.")]

# output and messages
FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="Output format.")]
OneFormatOpt = Annotated[TableFormat, typer.Option("--format", help="Output format.")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file (atomically) instead of stdout.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Say more on stderr (e.g. every satellite skipped as stale).")]


# ---------------------------------------------------------------------------------------------
# Messages and errors


_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]}
_CONTROL_BUT_LINES = {c: e for c, e in _CONTROL.items() if c not in (0x09, 0x0A)}


def printable(text: str, lines: bool = False) -> str:
    """``text`` with control characters (escape sequences, carriage returns, bells: from a
    station name, a file name or a file's content) shown as ``\\x1b`` escapes, so none reaches
    the terminal raw; with ``lines``, tabs and newlines are kept."""
    if text.isprintable():
        return text
    return text.translate(_CONTROL_BUT_LINES if lines else _CONTROL)


def say(line: str) -> None:
    """One line on stderr; a standard error that is full or closed loses it quietly (the exit
    code still tells the outcome)."""
    with contextlib.suppress(OSError, ValueError):
        typer.echo(line, err=True)


def fail(message: str) -> None:
    """Print ``passplan: error: <message>`` on stderr (one line: control characters escaped)
    and exit with code 2."""
    say(f"passplan: error: {printable(message)}")
    raise typer.Exit(code=2)


def info(message: str) -> None:
    """A progress or information line on stderr (control characters but newlines escaped)."""
    say(printable(message, lines=True))


def warn(message: str) -> None:
    """A warning line on stderr (a library warning's advice in the CLI's words, control characters
    escaped)."""
    from .words import in_cli_words

    say(f"passplan: warning: {printable(in_cli_words(message))}")


def _warning_line(shown: Callable[..., None]) -> Callable[..., None]:
    """A ``warnings.showwarning`` that prints a :class:`passplan.errors.PassplanWarning` as one
    ``passplan: warning:`` line and leaves every other warning to ``shown``."""

    def show(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, PassplanWarning):
            warn(str(message))
        else:
            shown(message, category, *args, **kwargs)

    return show


def handle_errors(func: F) -> F:
    """Turn passplan's own errors (and unreadable user files) into exit code 2 with one line."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            # the CLI prints the results' warnings itself; any other passplan warning (a
            # station id clash, a renamed keyword) is one warning line, for this command only
            with reported_by_caller(), warnings.catch_warnings():
                warnings.showwarning = _warning_line(warnings.showwarning)
                return func(*args, **kwargs)
        except PassplanError as err:
            from .words import in_cli_words

            fail(in_cli_words(str(err)).replace(FORCE_HINT, "give --force"))
        except FileNotFoundError as err:
            fail(f"file not found: {err.filename}; check the path")
        except IsADirectoryError as err:
            if str(err.filename) in ("", "."):
                fail("an empty path (or '.') names the current folder; give a file")
            fail(f"{err.filename} is a folder; give a file")
        except PermissionError as err:
            fail(f"cannot read or write {err.filename}: permission denied")
        except UnicodeDecodeError as err:
            fail(f"a file is not UTF-8 text ({err.reason}); give a text file")
        except OSError as err:
            if err.filename is None:
                raise  # standard output (the root group's business) or not a file at all
            fail(f"cannot read or write {err.filename}: {err.strerror or err}")

    return wrapper  # type: ignore[return-value]


_AGE = re.compile(r": elements (\d+(?:\.\d+)?) days (?:old|in the future)")


def report_selection(sel: Selection, verbose: bool = False) -> None:
    """The satellite selection's messages on stderr: its warnings, and the satellites skipped
    as stale in one summary line (how many, their age range, the fix), or one line each with
    ``verbose``."""
    if sel.skipped:
        if verbose:
            warn(f"skipped {len(sel.skipped)} satellite(s) with stale elements:")
            for line in sel.skipped:
                info(f"  {line}")
        else:
            ages = [float(m.group(1)) for m in map(_AGE.search, sel.skipped) if m]
            span = ""
            if ages:
                lo, hi = min(ages), max(ages)
                span = f" ({lo:.0f} days old)" if round(lo) == round(hi) else f" ({lo:.0f} to {hi:.0f} days old)"
            warn(
                f"skipped {len(sel.skipped)} bundled satellite(s) with stale elements{span}; "
                "`passplan elements update` fetches current ones, --sats NAME --allow-stale "
                "replays old ones (--verbose lists them)"
            )
    for w in sel.warnings:
        warn(w)


def _silent(done: int, total: int, what: str = "") -> None:
    return None


@contextlib.contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int, str], None]]:
    """A progress bar on stderr (rich) for long runs, silent when stderr is not a terminal.
    Yields ``update(done, total, what)``."""
    if not sys.stderr.isatty():
        yield _silent
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=Console(stderr=True), transient=True,
    ) as prog:
        task = prog.add_task(description, total=None)

        def update(done: int, total: int, what: str = "") -> None:
            prog.update(task, completed=done, total=total, description=f"{description}: {what}" if what else description)

        yield update


def plot_format(path: Path | None) -> str | None:
    """The image format ``--plot PATH`` names by its suffix (png, svg, pdf), checked before any
    work; None without ``--plot``."""
    if path is None:
        return None
    from ..plot import format_for_path

    try:
        return format_for_path(path)
    except InputError as err:
        raise InputError(f"--plot {err}") from None


def write_plot(path: Path, render: Callable[[str], bytes], note: str = "") -> None:
    """Render the figure in the format ``path`` names and write it atomically."""
    from ..io import atomic_write_bytes

    fmt = plot_format(path)
    assert fmt is not None
    atomic_write_bytes(path, render(fmt))
    info(f"wrote {path}{note}")


def write_text(text: str, output: Path | None, say_wrote: bool = False) -> None:
    """A whole text output (ICS, CZML, HTML, OEM...): to stdout with no ``--output`` or ``-``,
    else written atomically (and, with ``say_wrote``, said on stderr)."""
    if output is None or str(output) == "-":
        typer.echo(text, nl=False)
        return
    from ..io import atomic_write_text

    atomic_write_text(output, text)
    if say_wrote:
        info(f"wrote {output}")


def check_parquet(output: Path | None, example: str) -> None:
    """Refuse, before any work, ``--format parquet`` without ``--output FILE`` (a binary file never
    goes to stdout) and a missing pyarrow (the error names the extra); ``example`` names a file."""
    if output is None or str(output) == "-":
        raise InputError(f"--format parquet writes a binary file; give --output FILE (e.g. -o {example})")
    from ..exports.parquet import require_pyarrow

    require_pyarrow()


# ---------------------------------------------------------------------------------------------
# The one output path


@contextlib.contextmanager
def _destination(output: Path | None) -> Iterator[IO[str]]:
    """stdout (no ``--output``, or ``-``), or a temporary file beside ``output`` renamed over it
    only when all went well."""
    if output is None or str(output) == "-":
        yield sys.stdout
        sys.stdout.flush()
    else:
        with atomic_open(output, "w") as fh:
            yield fh


Records = Mapping[str, Any] | Sequence[Mapping[str, Any]] | Iterator[Sequence[Mapping[str, Any]]]


def emit(
    records: Records,
    fmt: OutputFormat | TableFormat | str,
    table: Callable[[], str],
    output: Path | None = None,
) -> None:
    """Write a command's data to stdout, or atomically to ``output``, in ``fmt``.

    ``records`` is one object (a mapping: one JSON object), a sequence of records, or an
    iterator of blocks of records, written as each block comes (a long pass search streams).
    ``table`` renders the ``table`` format; it is called after the blocks are consumed, so a
    block iterator may collect what the table needs as it goes. CSV, JSON and NDJSON of any
    split into blocks equal those of the whole (see :class:`passplan.io.RecordWriter`).
    """
    fmt = OutputFormat(str(fmt))
    blocks: Iterable[Sequence[Mapping[str, Any]]]
    if isinstance(records, Mapping):
        if fmt is OutputFormat.json:
            with _destination(output) as out:
                out.write(to_json(records))
            return
        blocks = [[records]]
    elif isinstance(records, Iterator):
        blocks = records
    else:
        blocks = [records]
    with _destination(output) as out:
        if fmt is OutputFormat.table:
            for _ in blocks:  # let a block iterator run (and collect) to the end
                pass
            out.write(printable(table(), lines=True))  # no raw control character from a name
            return
        writer = RecordWriter(out, fmt.value)
        for block in blocks:
            writer.write(block)
        writer.close()
