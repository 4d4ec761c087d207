"""``passplan key``: secret key of one pass from a transmittance series."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ..io import to_table
from ..keyrate.protocol import BOUNDS
from .common import FormatOpt, OutputFormat, OutputOpt, emit, handle_errors, info, warn
from .flags import as_flags

__all__ = ["register"]

#: The finite-key deviations ``--bounds`` offers: every entry of the protocol's ``BOUNDS``.
BoundsChoice = StrEnum("BoundsChoice", {b.replace("-", "_"): b for b in BOUNDS})  # type: ignore[misc]



def _table(rec: dict[str, Any]) -> str:
    def fmt(v: object) -> str:
        if isinstance(v, float):
            return f"{v:.6g}"
        if isinstance(v, list):
            return ", ".join(f"{x:.4g}" for x in v)
        return "-" if v is None else str(v)

    rows = [[k, fmt(v)] for k, v in rec.items()]
    return to_table(rows, ["quantity", "value"], align="ll")


def register(app: typer.Typer) -> None:
    """Add the ``key`` command to ``app``."""

    @app.command("key")
    @handle_errors
    def key_command(
        series: Annotated[Path, typer.Argument(metavar="SERIES", help="SERIES.csv with columns t_s,eta[,background_prob] (as --series-dir writes it); background_prob, when given, holds every click without signal, so the protocol's extraneous_click_prob is not added")],
        protocol: Annotated[
            str | None,
            typer.Option("--protocol", help="protocol TOML file, or a bundled name (micius, micius2021, jinan1); default: built-in defaults"),
        ] = None,
        pulses_per_s: Annotated[float | None, typer.Option("--pulses-per-s", help="source pulse rate (1/s)")] = None,
        bounds: Annotated[BoundsChoice | None, typer.Option("--bounds", help="finite-key deviations")] = None,
        decoys: Annotated[int | None, typer.Option("--decoys", help="1 (Rusca 2018) or 2 (Lim 2014)")] = None,
        fixed_params: Annotated[
            bool, typer.Option("--fixed-params", help="use the protocol's parameters and every slot (no optimisation)")
        ] = False,
        fmt: FormatOpt = OutputFormat.table,
        output: OutputOpt = None,
    ) -> None:
        """Finite-key secret key of one pass (decoy-state BB84; Lim 2014 / Rusca 2018)."""
        from ..forecast.series import series_key

        with as_flags():
            found = series_key(
                series, protocol, pulses_per_s=pulses_per_s, bounds=None if bounds is None else bounds.value,
                decoys=decoys, optimise=False if fixed_params else None,
            )
        for note in found.warnings:
            warn(note)
        for note in found.notes:
            info(note)
        rec = found.to_dict()
        emit(rec, fmt, lambda: _table(rec), output)
