"""The optical channel of a satellite QKD link: beam, pointing, atmosphere, turbulence, adaptive
optics, detectors and sky background, combined per sample by :func:`link_budget`.

SI units inside, dB at the edges. matplotlib is imported only by :mod:`passplan.link.plot`.
"""

from __future__ import annotations

from .budget import LOSS_TERMS, LinkSeries, link, link_budget, slew_rate_estimate_rad_s
from .profiles import Detector, Profile, Site, Terminal, list_profiles, load_profile, read_profile
from .slant import slant_range_m

__all__ = [
    "LOSS_TERMS",
    "LinkSeries",
    "link",
    "link_budget",
    "slew_rate_estimate_rad_s",
    "Profile",
    "Terminal",
    "Detector",
    "Site",
    "list_profiles",
    "load_profile",
    "read_profile",
    "slant_range_m",
]
