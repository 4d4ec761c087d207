"""Figures (matplotlib only, through the object API and non-interactive canvases: no pyplot
state, no display, no network). Each function returns the image as bytes in the format asked for
(``png``, ``svg`` or ``pdf``); the caller writes it atomically. Importing this package does not
import matplotlib; each module does when it draws."""

from __future__ import annotations

from .common import FORMATS, format_for_path

__all__ = ["FORMATS", "format_for_path"]
