"""``passplan doctor FILE...``: every problem of input files at once, without running anything."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..schema import KINDS, check_file
from .common import fail, handle_errors

__all__ = ["register"]

KindChoice = StrEnum("KindChoice", {k: k for k in KINDS})  # type: ignore[misc]


class DoctorFormat(StrEnum):
    text = "text"
    json = "json"


def register(app: typer.Typer) -> None:
    """Add the ``doctor`` command to ``app``."""

    @app.command("doctor")
    @handle_errors
    def doctor_command(
        files: Annotated[
            list[Path],
            typer.Argument(metavar="FILE...", help="Station, network, profile, protocol, constellation TOML, key series CSV, GeoJSON region or coverage JSON files."),
        ],
        kind: Annotated[
            KindChoice | None,
            typer.Option("--kind", help="The files' kind (default: told from each file's content)."),
        ] = None,
        fmt: Annotated[DoctorFormat, typer.Option("--format", help="Output format.")] = DoctorFormat.text,
    ) -> None:
        """Check input files against their schema (types, physical ranges, unknown keys with the
        closest valid name, duplicates) and list every problem at once; exit code 2 if any."""
        from ..io import to_json

        found = {str(f): check_file(f, None if kind is None else str(kind)) for f in files}
        problems = [p for ps in found.values() for p in ps]
        if fmt is DoctorFormat.json:
            typer.echo(to_json([
                {"file": p.file, "line": p.line, "where": p.where, "key": p.key, "message": p.message}
                for p in problems
            ]))
        else:
            for name, ps in found.items():
                if not ps:
                    typer.echo(f"{name}: ok")
                for p in ps:
                    typer.echo(str(p))
        if problems:
            bad = sum(1 for ps in found.values() if ps)
            fail(f"{len(problems)} problem(s) in {bad} of {len(found)} file(s), listed above; fix them and run doctor again")
