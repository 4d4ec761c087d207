"""The ``passplan`` command line: a thin typer app over the library.

Each topic lives in its own ``cli_<topic>.py`` module with a ``register(app)`` function.
Data goes to stdout, messages and progress to stderr; bad input exits with code 2.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="passplan",
    help="Plan satellite QKD passes and predict the secret key each pass yields.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_MODULES = ("cli_passes", "cli_stations", "cli_elements", "cli_link", "cli_key")

for _name in _MODULES:
    try:
        _mod = importlib.import_module(f"passplan.{_name}")
    except ModuleNotFoundError as _err:  # a topic not built yet in this checkout
        if _err.name != f"passplan.{_name}":
            raise
        continue
    _mod.register(app)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
