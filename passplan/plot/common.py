"""Shared figure plumbing: a figure on the Agg canvas, and bytes in PNG, SVG or PDF."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["FORMATS", "format_for_path", "new_figure", "figure_bytes", "place_label", "overlapping_texts"]

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


def place_label(
    ax: Any,
    text: str,
    candidates: Sequence[tuple[tuple[float, float], tuple[float, float], str, str]],
    placed: list[Any],
    *,
    inside: Any = None,
    **style: Any,
) -> Any:
    """Annotate ``ax`` with ``text`` at the first candidate where it overprints nothing placed
    before: each candidate is ``(xy in data, offset in points, ha, va)``; the label's box as the
    renderer draws it (``Text.get_window_extent``, one pixel of margin) must not overlap any box
    in ``placed`` and must lie within ``inside`` (a display-space Bbox, e.g. the axes') when
    given. The kept label's box joins ``placed``; returns the annotation, or None when every
    candidate would overprint (the caller says what was left unlabelled). Lay the figure out
    (``tight_layout``) before placing: a later layout moves data against offsets."""
    renderer = ax.figure.canvas.get_renderer()
    for xy, offset, ha, va in candidates:
        label = ax.annotate(text, xy, xytext=offset, textcoords="offset points", ha=ha, va=va, **style)
        box = label.get_window_extent(renderer).padded(1.0)
        fits = inside is None or (
            box.x0 >= inside.x0 and box.x1 <= inside.x1 and box.y0 >= inside.y0 and box.y1 <= inside.y1
        )
        if fits and not any(box.overlaps(other) for other in placed):
            placed.append(box)
            return label
        label.remove()
    return None


def overlapping_texts(texts: Sequence[Any]) -> list[tuple[str, str]]:
    """Pairs of ``texts`` (matplotlib Text artists, drawn on one figure) whose rendered boxes
    overlap: what a reader would see overprinted. Empty texts are left out."""
    shown = [t for t in texts if t.get_visible() and t.get_text().strip()]
    if not shown:
        return []
    renderer = shown[0].figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in shown]
    return [
        (shown[i].get_text(), shown[j].get_text())
        for i in range(len(shown))
        for j in range(i + 1, len(shown))
        if boxes[i].overlaps(boxes[j])
    ]
