"""Shared figure plumbing: a figure on the Agg canvas, and bytes in PNG, SVG or PDF."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["FORMATS", "format_for_path", "new_figure", "figure_bytes"]

FORMATS = ("png", "svg", "pdf")


def format_for_path(path: str | Path) -> str:
    """The image format a file name asks for by its suffix, or a clear error."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise InputError(
            f"{path}: the suffix {('.' + suffix) if suffix else '(none)'} names no image format "
            f"passplan writes; use .png, .svg or .pdf"
        )
    return suffix


def new_figure(width_in: float, height_in: float, dpi: int = 110) -> Figure:
    """A figure on the Agg canvas (matplotlib imported here, on first use)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def figure_bytes(fig: Any, fmt: str = "png") -> bytes:
    """The figure rendered as ``fmt`` (png, svg or pdf), with fixed metadata so that the same
    figure gives the same bytes."""
    if fmt not in FORMATS:
        raise InputError(f"image format {fmt!r}: use one of {', '.join(FORMATS)}")
    meta: dict[str, Any] = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[fmt]
    from matplotlib import rc_context

    buf = io.BytesIO()
    with rc_context({"svg.hashsalt": "passplan"}):  # stable SVG element ids
        fig.savefig(buf, format=fmt, metadata=meta)
    return buf.getvalue()
