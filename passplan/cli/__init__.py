"""The ``passplan`` command line: a thin typer app over the library.

Each topic lives in its own ``cli/<topic>.py`` module with a ``register(app)`` function.
Data goes to stdout, messages and progress to stderr; bad input exits with code 2 after one
line on stderr, usage errors (an unknown option, a value that is not a number) included.

The root group also guards every command, whatever its module (:func:`_guard`): the files it
writes are checked before any work (and ``--force`` joins every command that writes a file);
standard output that is a closed pipe ends quietly, a full one is one error line; SIGTERM and
SIGHUP stop a run like Ctrl-C does, through the same clean-up (no temporary file is left).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

try:  # typer >= 0.26 vendors Click
    from typer._click import exceptions as _click_errors
except ImportError:  # pragma: no cover - older typer on the installed Click
    from click import exceptions as _click_errors  # type: ignore[no-redef]

from .common import say

__all__ = ["app", "main"]


def _quiet_flags(group: Any, ctx: typer.Context | None = None) -> None:
    """Give every flag (``--key``, ``--eclipse/--no-eclipse``, ``--help``) of ``group`` and its
    sub-commands an empty metavar, so ``--help`` shows no ``<bool>`` beside options that take
    no value."""
    ctx = ctx or typer.Context(group, info_name=group.name)
    help_opt = group.get_help_option(ctx)
    for param in [*group.params, *([help_opt] if help_opt is not None else [])]:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    for name, sub in getattr(group, "commands", {}).items():
        _quiet_flags(sub, typer.Context(sub, info_name=name, parent=ctx))


def _one_line(text: str) -> str:
    from .common import printable

    return printable(" ".join(text.split()))


#: Options that name a file a command writes (checked before any work, never two alike).
OUTPUT_FILE_OPTIONS = ("--output", "--plot", "--zonal-plot")
#: Options that name a folder a command writes files into (created if new; checked before any work).
OUTPUT_FOLDER_OPTIONS = ("--series-dir", "--output-dir", "--out")


def _force_option() -> Any:
    """The ``--force`` flag, built by typer itself (from a throwaway one-option app) so it is
    the same kind of option as every other."""

    helper = typer.Typer()

    @helper.command()
    def _f(
        force: Annotated[
            bool,
            typer.Option("--force", help="Replace an output file even if it is read-only (its permissions are kept)."),
        ] = False,
    ) -> None:
        """unused"""

    param = typer.main.get_command(helper).params[0]
    param.metavar = ""
    return param


def _output_params(cmd: Any, options: Sequence[str] = OUTPUT_FILE_OPTIONS) -> list[tuple[str, str]]:
    """(parameter name, option) of each of ``cmd``'s options among ``options``."""
    out = []
    for p in cmd.params:
        opt = next((o for o in getattr(p, "opts", ()) if o in options), None)
        if opt is not None and p.name:
            out.append((p.name, opt))
    return out


def check_outputs(given: Sequence[tuple[str, Path | None]], force: bool = False) -> None:
    """Refuse, before any work, an output that cannot be written (:func:`passplan.io.check_output_path`:
    a missing folder, a folder, a device or FIFO, a read-only file without ``--force`` ...; for
    the folder options, :func:`passplan.io.check_output_folder`) and two options naming the
    same path (``-o X --plot X``). ``given``: (option, path) pairs."""
    from ..errors import InputError
    from ..io import FORCE_HINT, check_output_folder, check_output_path
    from .flags import as_flags

    seen: dict[str, str] = {}
    for opt, path in given:
        if path is None or (str(path) == "-" and opt not in OUTPUT_FOLDER_OPTIONS):
            continue
        try:
            with as_flags({FORCE_HINT: "give --force"}):
                real = check_output_folder(path) if opt in OUTPUT_FOLDER_OPTIONS else check_output_path(path, force=force)
        except InputError as err:
            text = str(err)
            if text.startswith(f"cannot write {path}"):
                text = f"cannot write {opt} {text[len('cannot write '):]}"
            elif text.startswith(str(path)):
                text = f"{opt} {text}"
            else:
                text = f"{opt}: {text}"
            raise InputError(text) from None
        key = os.path.normcase(os.path.abspath(real))
        if key in seen:
            raise InputError(
                f"{seen[key]} and {opt} both name {path}; give each its own path (one would overwrite the other)"
            )
        seen[key] = opt


def check_not_inputs(outputs: Sequence[tuple[str, Path | None]], inputs: dict[str, Any]) -> None:
    """Refuse an output file that is also one of the run's input files (``stations list
    --stations st.toml -o st.toml`` would replace the stations with a table). ``inputs``: the
    other options' values by option (paths, names, lists of them); only existing files count."""
    from ..errors import InputError

    named: dict[str, str] = {}
    for opt, value in inputs.items():
        for v in value if isinstance(value, list | tuple) else [value]:
            if isinstance(v, str | Path) and str(v) not in ("", "-"):
                with contextlib.suppress(OSError, ValueError):
                    if os.path.isfile(v):
                        named.setdefault(os.path.realpath(v), opt)
    for opt, path in outputs:
        if path is None or str(path) == "-":
            continue
        source = None
        with contextlib.suppress(OSError, ValueError):
            source = named.get(os.path.realpath(path))
        if source is not None:
            raise InputError(f"{opt} {path} is also the input {source}; writing would replace it, give another name")


def _guard(cmd: Any) -> None:
    """Wrap a leaf command's callback: outputs checked first (and ``--force`` added where the
    command writes a file), the run inside :func:`passplan.io.replacing_read_only` when forced,
    and standard output failures (a closed pipe, a full disk) turned into a quiet end or one line."""
    from .common import fail

    outputs = _output_params(cmd)
    forced = bool(outputs) and not any(p.name == "force" for p in cmd.params)
    if forced:
        cmd.params.append(_force_option())
    inner = cmd.callback
    if inner is None or getattr(inner, "_passplan_guarded", False):
        return
    by_name = dict(outputs + _output_params(cmd, OUTPUT_FOLDER_OPTIONS))
    flags = {p.name: (p.opts[0] if p.opts and p.opts[0].startswith("-") else p.name.upper())
             for p in cmd.params if p.name}

    @functools.wraps(inner)
    def guarded(**kwargs: Any) -> Any:
        from ..errors import PassplanError
        from ..io import replacing_read_only

        force = bool(kwargs.pop("force", False)) if forced else False
        try:
            check_outputs([(by_name[n], kwargs.get(n)) for n in by_name], force)
            check_not_inputs([(by_name[n], kwargs.get(n)) for n in by_name if by_name[n] in OUTPUT_FILE_OPTIONS],
                             {flags[n]: v for n, v in kwargs.items() if n not in by_name and n in flags})
        except PassplanError as err:
            fail(str(err))
        try:
            with replacing_read_only(force):
                return guarded.__wrapped__(**kwargs)
        except OSError as err:
            if err.filename is not None or err.errno not in _STDOUT_ERRNOS:
                raise
            if err.errno == errno.EPIPE:  # `passplan ... | head -1`: the reader has what it wanted
                _silence_stdout()
                raise typer.Exit(0) from None
            _silence_stdout()
            fix = {errno.EBADF: "give --output FILE", errno.EIO: "check the device or give --output FILE"}.get(
                err.errno or 0, "free some space or give --output FILE"
            )
            fail(f"cannot write standard output: {err.strerror or err}; {fix}")

    guarded._passplan_guarded = True  # type: ignore[attr-defined]
    cmd.callback = guarded


_STDOUT_ERRNOS = frozenset({errno.EPIPE, errno.ENOSPC, errno.EIO, errno.EBADF, errno.EFBIG,
                            getattr(errno, "EDQUOT", errno.ENOSPC)})


def _silence_stdout() -> None:
    """After a failed write to standard output, point it at the null device so that the flush at
    exit neither fails again nor prints "Exception ignored"."""
    with contextlib.suppress(Exception):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _final_flush(code: Any) -> Any:
    """Flush standard output inside the run (not at interpreter exit, where a failure is an
    "Exception ignored" message): a closed pipe ends quietly, a full disk is one error line."""
    try:
        sys.stdout.flush()
    except OSError as err:
        _silence_stdout()
        if err.errno == errno.EPIPE:
            return code
        say(f"passplan: error: cannot write standard output: {err.strerror or err}; give --output FILE")
        return 2
    return code


def _prepare(group: Any) -> None:
    """Guard every leaf command of ``group`` (:func:`_guard`)."""
    for sub in getattr(group, "commands", {}).values():
        if getattr(sub, "commands", None):
            _prepare(sub)
        else:
            _guard(sub)


class _ClosedStdout:
    """Standard output when the process was started with it closed (``>&-``): writing data to it
    is an error that names the fix, instead of a crash on ``None``."""

    encoding = "utf-8"
    errors = "strict"

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError(errno.EBADF, "standard output is closed")


def _safe_streams() -> None:
    """Standard output and error that never raise UnicodeEncodeError (``PYTHONIOENCODING=ascii``
    or a C locale without UTF-8: what cannot be encoded is escaped, ``\\u00b0``), and a closed
    standard output that says so."""
    for fd in (0, 1, 2):  # a closed descriptor would be reused by the next file opened (an output!)
        try:
            os.fstat(fd)
        except OSError:
            with contextlib.suppress(OSError):
                null = os.open(os.devnull, os.O_RDWR)
                if null != fd:
                    os.dup2(null, fd)
                    os.close(null)
    if sys.stdout is None:
        sys.stdout = _ClosedStdout()
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        encoding = str(getattr(stream, "encoding", "") or "").lower().replace("-", "").replace("_", "")
        if reconfigure is not None and encoding not in ("utf8", "utf8sig"):
            with contextlib.suppress(Exception):
                reconfigure(errors="backslashreplace")


class _Stopped(SystemExit):
    """SIGTERM or SIGHUP: leave through every ``finally`` and ``except BaseException`` clean-up
    (as Ctrl-C does), then exit 128 + the signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum


def _stop(signum: int, _frame: Any) -> None:
    for name in ("SIGTERM", "SIGHUP"):  # a second signal must not cut the clean-up short
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    raise _Stopped(signum)


@contextlib.contextmanager
def _signals_stop() -> Iterator[None]:
    """SIGTERM and SIGHUP raise :class:`_Stopped` during the run (main thread only; the former
    handlers come back after)."""
    wanted = [s for s in ("SIGTERM", "SIGHUP") if hasattr(signal, s)]
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old: dict[int, Any] = {}
    for name in wanted:
        num = getattr(signal, name)
        old[num] = signal.signal(num, _stop)
    try:
        yield
    finally:
        for num, handler in old.items():
            signal.signal(num, handler)


class _OneLineErrors(TyperGroup):
    """The app's root group: usage errors (unknown option, bad number, missing argument) are one
    line on stderr, ``passplan: error: ...`` with the command's ``--help`` hint, exit code 2, like
    every other error (typer would draw a five-line box)."""

    _flags_quiet = False

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             windows_expand_args: bool = True, **extra: Any) -> Any:
        if not self._flags_quiet:
            _prepare(self)
            _quiet_flags(self)
            self._flags_quiet = True
        extra["windows_expand_args"] = windows_expand_args
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        _safe_streams()
        try:
            with _signals_stop():
                code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
                if code == 130:  # Ctrl-C (typer's code for KeyboardInterrupt)
                    say("passplan: interrupted; nothing half-written was left")
                code = _final_flush(code)
        except _Stopped as err:
            name = signal.Signals(err.signum).name
            say(f"passplan: stopped by {name}; nothing half-written was left")
            sys.exit(128 + err.signum)
        except _click_errors.NoArgsIsHelpError as err:
            text = err.format_message()
            if text.strip():
                typer.echo(text)
            sys.exit(2)
        except _click_errors.UsageError as err:
            hint = f" (see `{err.ctx.command_path} --help`)" if err.ctx is not None else ""
            say(f"passplan: error: {_one_line(err.format_message())}{hint}")
            sys.exit(2)
        except _click_errors.ClickException as err:
            say(f"passplan: error: {_one_line(err.format_message())}")
            sys.exit(err.exit_code)
        except typer.Abort:
            say("passplan: aborted")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


#: The command modules in the order their commands are listed (each has ``register(app)``).
_MODULES = ("passes", "next_pass", "stations", "elements", "link", "key", "network", "pools", "track", "fleet",
            "doctor", "report")
#: The module that registers each top-level command (tests/test_cli_lazy.py checks it against the
#: whole app): a run of one command imports and builds only that module's commands.
COMMAND_MODULE = {"passes": "passes", "tonight": "passes", "next": "next_pass", "stations": "stations",
                  "elements": "elements", "link": "link", "key": "key", "schedule": "network", "relay": "network",
                  "network": "network", "pools": "pools", "track": "track", "constellation": "fleet",
                  "coverage": "fleet", "doctor": "doctor", "report": "report"}


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"passplan {__version__}")
        raise typer.Exit()


def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Plan satellite QKD passes and predict the secret key each pass yields."""


def build_app(modules: Sequence[str] = _MODULES) -> typer.Typer:
    """The typer app with the commands of ``modules`` (default: every command). The root group,
    its options and every command's behaviour are the same whichever modules are built."""
    import importlib

    built = typer.Typer(
        name="passplan",
        cls=_OneLineErrors,
        help="Plan satellite QKD passes and predict the secret key each pass yields.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    built.callback()(_root)
    for name in modules:
        importlib.import_module(f"{__name__}.{name}").register(built)
    return built


def __getattr__(name: str) -> Any:
    """``app``: the whole app, built on first use (the console script builds only what it runs)."""
    if name == "app":
        whole = build_app()
        globals()["app"] = whole
        return whole
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: numpy's BLAS runs on one thread in the CLI unless the caller sets these variables: the
#: engine's matrix products have an inner dimension of 3, where BLAS threads add only their
#: synchronisation (bench/bench_floor.py scene: about 0.45 s of 4 s CPU, the same wall time and
#: the same bytes). Set before numpy is first imported (BLAS reads them when it loads).
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")


def main() -> None:
    """Console-script entry point: a run of one command builds that command's module only (its
    imports and options; about 0.1 s less start-up); anything else (``--help``, ``--version``, a
    misspelt command) the whole app. BLAS on one thread unless set (:data:`BLAS_THREAD_VARIABLES`)."""
    if "numpy" not in sys.modules:
        for name in BLAS_THREAD_VARIABLES:
            os.environ.setdefault(name, "1")
    first = sys.argv[1] if len(sys.argv) > 1 else None
    module = COMMAND_MODULE.get(first) if first is not None else None
    if module is not None and "app" not in globals():
        build_app([module])()
        return
    __getattr__("app")()


if __name__ == "__main__":
    main()
