"""``passplan key``: secret key of one pass from a transmittance series."""

from __future__ import annotations

import dataclasses
import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InputError
from ..io import to_table
from ..keyrate.protocol import BOUNDS
from .common import FormatOpt, OutputFormat, OutputOpt, emit, handle_errors, info, warn

__all__ = ["register", "MAX_PULSES_PER_S"]

#: The finite-key deviations ``--bounds`` offers: every entry of the protocol's ``BOUNDS``.
BoundsChoice = StrEnum("BoundsChoice", {b.replace("-", "_"): b for b in BOUNDS})  # type: ignore[misc]

#: Highest ``--pulses-per-s`` accepted (assumed: ten times the fastest QKD sources reported, a few
#: GHz, e.g. 2.5 GHz in Gruenenfelder et al., Nature Photonics 17, 422 (2023)).
MAX_PULSES_PER_S = 1e11


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
        from ..keyrate import load_protocol, pass_key, read_series

        pr = load_protocol(protocol)
        changes: dict[str, Any] = {}
        if pulses_per_s is not None:
            if not (math.isfinite(pulses_per_s) and 0 < pulses_per_s <= MAX_PULSES_PER_S):
                raise InputError(
                    f"--pulses-per-s {pulses_per_s:g} is outside (0, {MAX_PULSES_PER_S:g}]; give the source's "
                    "pulse rate per second (1e8 for a 100 MHz source)"
                )
            changes["pulses_per_s"] = pulses_per_s
        if bounds is not None:
            changes["bounds"] = bounds.value
        if decoys is not None:
            if decoys not in (1, 2):
                raise InputError(f"--decoys is {decoys}; expected 1 or 2")
            changes["decoys"] = decoys
            if decoys != pr.decoys:
                if decoys == 1:
                    changes["intensities"] = pr.intensities[:2]
                    changes["probabilities"] = (pr.probabilities[0], 1.0 - pr.probabilities[0])
                else:
                    changes["intensities"] = (*pr.intensities, 0.0)
                    p1 = pr.probabilities[0]
                    changes["probabilities"] = (p1, 0.75 * (1 - p1), 0.25 * (1 - p1))
        if fixed_params:
            changes["optimise"] = False
        if changes:
            pr = dataclasses.replace(pr, **changes)
        s = read_series(series)
        for note in s.warnings:
            warn(note)
        if s.background_prob is not None and pr.extraneous_click_prob > 0:
            # the series' background_prob already holds every click without signal (dark counts
            # and stray light, as --series-dir writes it): the protocol's would count them twice
            info(
                f"note: {series} gives background_prob per slot (dark counts and stray light); the "
                f"protocol's extraneous_click_prob ({pr.extraneous_click_prob:g}) is not added"
            )
            pr = dataclasses.replace(pr, extraneous_click_prob=0.0)
        rec = pass_key(s.eta, s.background_prob, s.t_s, pr).to_dict()
        emit(rec, fmt, lambda: _table(rec), output)
