"""The optical channel of a satellite QKD link: beam, pointing, atmosphere, turbulence, adaptive
optics, detectors and sky background, combined per sample by :func:`link_budget`.

SI units inside, dB at the edges. matplotlib is imported only by :mod:`passplan.link.plot`; the
package loads its modules on first use, so the loss-term names (:mod:`.terms`) cost no scipy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_names
from .terms import LOSS_TERMS

if TYPE_CHECKING:  # the names below load on first use, so `import passplan.link.terms` stays light
    from .budget import LinkSeries, link_budget, slew_rate_estimate_rad_s
    from .profiles import (
        Detector,
        Profile,
        Site,
        Terminal,
        list_profiles,
        load_profile,
        read_profile,
    )
    from .slant import slant_range_m

_LAZY = {
    "LinkSeries": "budget",
    "link_budget": "budget",
    "slew_rate_estimate_rad_s": "budget",
    "Profile": "profiles",
    "Terminal": "profiles",
    "Detector": "profiles",
    "Site": "profiles",
    "list_profiles": "profiles",
    "load_profile": "profiles",
    "read_profile": "profiles",
    "slant_range_m": "slant",
}


__getattr__, __dir__ = lazy_names(__name__, globals(), _LAZY)


__all__ = [
    "LOSS_TERMS",
    "LinkSeries",
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
