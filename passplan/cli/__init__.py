"""The ``passplan`` command line: a thin typer app over the library.

Each topic lives in its own ``cli/<topic>.py`` module with a ``register(app)`` function.
Data goes to stdout, messages and progress to stderr; bad input exits with code 2 after one
line on stderr, usage errors (an unknown option, a value that is not a number) included.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

try:  # typer >= 0.26 vendors Click
    from typer._click import exceptions as _click_errors
except ImportError:  # pragma: no cover - older typer on the installed Click
    from click import exceptions as _click_errors  # type: ignore[no-redef]

from . import doctor, elements, fleet, key, link, network, next_pass, passes, stations, track

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
    return " ".join(text.split())


class _OneLineErrors(TyperGroup):
    """The app's root group: usage errors (unknown option, bad number, missing argument) are one
    line on stderr, ``passplan: error: ...`` with the command's ``--help`` hint, exit code 2, like
    every other error (typer would draw a five-line box)."""

    _flags_quiet = False

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             windows_expand_args: bool = True, **extra: Any) -> Any:
        if not self._flags_quiet:
            _quiet_flags(self)
            self._flags_quiet = True
        extra["windows_expand_args"] = windows_expand_args
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _click_errors.NoArgsIsHelpError as err:
            text = err.format_message()
            if text.strip():
                typer.echo(text)
            sys.exit(2)
        except _click_errors.UsageError as err:
            hint = f" (see `{err.ctx.command_path} --help`)" if err.ctx is not None else ""
            typer.echo(f"passplan: error: {_one_line(err.format_message())}{hint}", err=True)
            sys.exit(2)
        except _click_errors.ClickException as err:
            typer.echo(f"passplan: error: {_one_line(err.format_message())}", err=True)
            sys.exit(err.exit_code)
        except typer.Abort:
            typer.echo("passplan: aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    name="passplan",
    cls=_OneLineErrors,
    help="Plan satellite QKD passes and predict the secret key each pass yields.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"passplan {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Plan satellite QKD passes and predict the secret key each pass yields."""
    _warning_lines()


def _warning_lines() -> None:
    """A library warning issued with :func:`warnings.warn` (not muted by the results' own
    reports, e.g. a station id clash) prints as one ``passplan: warning:`` line on stderr."""
    import warnings

    from ..errors import PassplanWarning

    shown = warnings.showwarning
    if getattr(shown, "_passplan", False):
        return

    def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, PassplanWarning):
            typer.echo(f"passplan: warning: {message}", err=True)
        else:
            shown(message, category, *args, **kwargs)

    show._passplan = True  # type: ignore[attr-defined]
    warnings.showwarning = show


for _module in (passes, next_pass, stations, elements, link, key, network, track, fleet, doctor):
    _module.register(app)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
