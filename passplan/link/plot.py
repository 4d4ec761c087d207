"""Plot a profile's loss by term against elevation, and its day versus night background.

matplotlib is imported here only, through its object API and the Agg canvas (no pyplot state, no
display, no network). The figure is returned as bytes (PNG, SVG or PDF); the caller writes it
(atomically).
"""

from __future__ import annotations

import io

import numpy as np

from .budget import LOSS_TERMS, link_budget
from .profiles import Profile, load_profile

__all__ = ["plot_link_png"]


def plot_link_png(
    profile: Profile | str,
    *,
    site_alt_m: float | None = None,
    sky: str | None = None,
    day_sun_elevation_deg: float = 45.0,
    day_sun_separation_deg: float = 90.0,
    min_elevation_deg: float = 5.0,
    dpi: int = 110,
    fmt: str = "png",
) -> bytes:
    """A figure (``fmt``: png, svg or pdf) of loss terms (dB) and total vs elevation, and background click probability per gate
    at night and in daylight (Sun at ``day_sun_elevation_deg``, ``day_sun_separation_deg`` from
    the line of sight)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    p = profile if isinstance(profile, Profile) else load_profile(profile)
    el = np.linspace(min_elevation_deg, 90.0, 120)
    night = link_budget(p, elevation_deg=el, site_alt_m=site_alt_m, sky=sky)
    day = link_budget(
        p,
        elevation_deg=el,
        site_alt_m=site_alt_m,
        sky=sky,
        sun_elevation_deg=day_sun_elevation_deg,
        sun_separation_deg=day_sun_separation_deg,
    )
    fig = Figure(figsize=(11, 4.6), dpi=dpi)
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(1, 2)
    for term in LOSS_TERMS:
        ax1.plot(el, getattr(night, term), label=term.removesuffix("_db"))
    ax1.plot(el, night.total_loss_db, "k-", lw=2, label="total")
    ax1.set_xlabel("elevation (deg)")
    ax1.set_ylabel("loss (dB)")
    ax1.set_title(f"{p.name}: loss by term ({p.direction}, {p.wavelength_m * 1e9:.1f} nm)")
    ax1.grid(alpha=0.3)
    ax1.legend(fontsize=7, ncol=2)
    ax2.semilogy(el, night.background_prob_per_gate, label=f"night ({night_sky(p, sky)})")
    ax2.semilogy(
        el,
        day.background_prob_per_gate,
        label=f"day (Sun {day_sun_elevation_deg:g} deg, {day_sun_separation_deg:g} deg away)",
    )
    ax2.semilogy(
        el,
        np.broadcast_to(night.dark_cps * p.detector.gate_s, el.shape),
        "k:",
        label="dark counts only",
    )
    ax2.set_xlabel("elevation (deg)")
    ax2.set_ylabel("noise click probability per gate")
    ax2.set_title("background: day vs night")
    ax2.grid(alpha=0.3, which="both")
    ax2.legend(fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt)
    return buf.getvalue()


def night_sky(p: Profile, sky: str | None) -> str:
    """The sky class in effect (argument or profile default)."""
    return sky or p.site.sky
