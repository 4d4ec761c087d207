"""The ``passplan`` command line: a thin typer app over the library.

Each topic lives in its own ``cli/<topic>.py`` module with a ``register(app)`` function.
Data goes to stdout, messages and progress to stderr; bad input exits with code 2.
"""

from __future__ import annotations

import typer

from . import elements, fleet, key, link, network, passes, stations, track

app = typer.Typer(
    name="passplan",
    help="Plan satellite QKD passes and predict the secret key each pass yields.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _module in (passes, stations, elements, link, key, network, track, fleet):
    _module.register(app)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
