"""The names of the link budget's loss terms, importable without numpy or scipy.

Each is a field of :class:`passplan.link.budget.LinkSeries` in dB (positive = loss); they multiply
into the channel transmittance ``eta`` in this order, and add up exactly to ``total_loss_db``.
"""

from __future__ import annotations

__all__ = ["LOSS_TERMS"]

#: The loss terms, in the order they multiply into ``eta``.
LOSS_TERMS: tuple[str, ...] = (
    "transmitter_db",
    "geometric_db",
    "pointing_db",
    "atmosphere_db",
    "turbulence_db",
    "receiver_db",
    "detector_db",
)
