# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Anatomy of a link
#
# A satellite QKD downlink loses most of its photons before they reach a detector. passplan's
# link budget (`passplan.link.link_budget`) splits that loss into named terms that multiply into
# the channel transmittance `eta`: the transmitter's optics, the geometric spread of the beam
# (diffraction and divergence over the slant range), pointing error, atmospheric extinction,
# turbulence (beam wander, scintillation, or the coupling loss into a fibre), the receiver's
# optics and the detectors. This notebook takes four bundled terminals apart:
#
# - `micius`: the Micius downlink to the 1.0 m Xinglong telescope (Liao et al., *Nature* 549,
#   43 (2017));
# - `jinan-1`: the Jinan-1 microsatellite to a 0.28 m portable station (Li et al., *Nature* 640,
#   47 (2025); many of its numbers are design assumptions, stated in the profile);
# - `daylight-1550`: a 1550 nm terminal coupling into single-mode fibre behind adaptive optics,
#   after the daylight free-space demonstrations (Liao et al., *Nature Photonics* 11, 509 (2017);
#   Avesani et al., *npj Quantum Information* 7, 93 (2021)); its numbers are assumed;
# - `geo-generic`: a geostationary terminal (assumed numbers, in the range of the GEOQKD study,
#   Le Pera et al., Proc. SPIE 11852 (2021)).
#
# Every number below is computed from the bundled profiles when the notebook runs.

# %%
import dataclasses

import matplotlib.pyplot as plt
import numpy as np

from passplan.link import LOSS_TERMS, link_budget, load_profile

names = ["micius", "jinan-1", "daylight-1550", "geo-generic"]
profiles = {n: load_profile(n) for n in names}
for n, p in profiles.items():
    print(f"{n:<14} {p.wavelength_m * 1e9:6.1f} nm  orbit {p.orbit_alt_m / 1e3:8.0f} km  {p.description}")

# %% [markdown]
# ## Loss terms against elevation
#
# The elevation sets the slant range (from the profile's orbit altitude) and the air mass. For the
# three low-orbit terminals, the geometric term grows by about 10 dB from the zenith to 10 deg;
# atmosphere and turbulence grow too, most at low elevation. For GEO the range hardly changes with
# elevation, so the geometric loss is almost flat and large.

# %%
el = np.linspace(10, 90, 81)
fig, axes = plt.subplots(1, 4, figsize=(15, 3.8), sharey=True)
for ax, (n, p) in zip(axes, profiles.items(), strict=True):
    s = link_budget(p, elevation_deg=el)
    bottom = np.zeros_like(el)
    for term in LOSS_TERMS:
        v = getattr(s, term)
        ax.fill_between(el, bottom, bottom + v, label=term.removesuffix("_db"), alpha=0.85)
        bottom = bottom + v
    ax.plot(el, s.total_loss_db, "k", lw=1)
    ax.set_title(n)
    ax.set_xlabel("elevation (deg)")
axes[0].set_ylabel("loss (dB), stacked")
axes[-1].legend(fontsize=7, loc="upper right")
fig.tight_layout()

# %%
for n, p in profiles.items():
    s = link_budget(p, elevation_deg=np.array([20.0, 90.0]))
    terms = ", ".join(f"{t.removesuffix('_db')} {getattr(s, t)[0]:.1f}" for t in LOSS_TERMS)
    print(f"{n:<14} total {s.total_loss_db[1]:.1f} dB at zenith, {s.total_loss_db[0]:.1f} dB at 20 deg (at 20 deg: {terms})")

# %% [markdown]
# ## Micius against its published channel
#
# Liao et al. (2017) report the downlink channel loss (detectors excluded) against range: 29.75 dB
# at 645 km, about 31 dB at 800 km, 34.4 dB at 1000 km and 40.3 dB at 1200 km (figures as
# digitised in the project's reference notes). The bundled `micius` profile, evaluated at those
# ranges:

# %%
published = {645.0: 29.75, 800.0: 31.0, 1000.0: 34.4, 1200.0: 40.3}
mic = profiles["micius"]
el_grid = np.linspace(5, 90, 8501)
grid = link_budget(mic, elevation_deg=el_grid)
rng_km = np.array(list(published))
el_at = np.interp(rng_km, grid.range_m[::-1] / 1e3, el_grid[::-1])  # range falls as elevation rises
s = link_budget(mic, elevation_deg=el_at, range_m=rng_km * 1e3)
model = s.total_loss_db - s.detector_db
for r, e, m in zip(rng_km, el_at, model, strict=True):
    print(f"{r:6.0f} km (el {e:4.1f} deg): model {m:5.1f} dB, published {published[r]:5.2f} dB, difference {m - published[r]:+.1f} dB")

# %% [markdown]
# ## Night against day
#
# The other half of the budget is noise. Sky radiance in daylight is some five to six orders of
# magnitude above a dark night sky (reference notes, section 3), and every photon of it inside the
# field of view, the filter band and the detection gate is a click that carries no key. Below, the
# background click probability per detector and gate at night and with the Sun 40 deg up, 60 deg
# from the line of sight, beside the signal click probability of a 0.5-photon pulse.

# %%
fig, ax = plt.subplots(figsize=(8, 4))
for n in ["micius", "jinan-1", "daylight-1550"]:
    p = profiles[n]
    night = link_budget(p, elevation_deg=el)
    day = link_budget(p, elevation_deg=el, sun_elevation_deg=40.0, sun_separation_deg=60.0)
    (line,) = ax.semilogy(el, day.background_prob_per_gate_per_detector, label=f"{n} day")
    ax.semilogy(el, night.background_prob_per_gate_per_detector, ls="--", color=line.get_color(), label=f"{n} night")
    ax.semilogy(el, 0.5 * night.eta, ls=":", color=line.get_color(), lw=1)
ax.set_xlabel("elevation (deg)")
ax.set_ylabel("click probability per gate")
ax.set_title("background (solid: day, dashed: night) and signal (dotted)")
ax.legend(fontsize=7, ncol=2)
fig.tight_layout()

# %% [markdown]
# The multimode 850 nm receivers of `micius` and `jinan-1` see daylight background that comes
# close to their signal; the single-mode 1550 nm receiver, with a 0.1 nm filter and a short gate,
# keeps the background orders of magnitude below its signal. To see it in key, the
# same pass (the highest pass of a 500 km demo satellite over Xinglong on the evening of 15 March
# 2026) is run through
# each profile twice: with the real night sky, and with the Sun put 40 deg up.

# %%
from datetime import UTC, datetime

from passplan import find_passes, forecast_pass, get_station, resolve_satellites
from passplan.keyrate import pass_key

xinglong = get_station("xinglong")
t0 = datetime(2026, 3, 15, 11, tzinfo=UTC)  # evening at Xinglong
sats = resolve_satellites(["demo"], t0).satellites
p = max(find_passes([s for s in sats if s.name.startswith("DEMO-SSO")], [xinglong], t0, t0.replace(hour=17)),
        key=lambda q: q.max_el_deg)
print(f"{p.satellite} over {p.station}: max el {p.max_el_deg:.1f} deg, {p.duration_s:.0f} s")


def day_key(f, profile):
    """The forecast's pass again with the Sun 40 deg up, 60 deg from the line of sight."""
    g = f.geometry
    day = link_budget(
        profile, elevation_deg=np.clip(g.el_deg, 1e-6, 90), range_m=g.range_km * 1e3,
        sun_elevation_deg=40.0, sun_separation_deg=60.0, site_alt_m=g.station_alt_m,
    )
    return pass_key(np.nan_to_num(day.eta), np.nan_to_num(day.background_prob_per_gate_per_detector), g.t_s, f.protocol_params)


for n in ["micius", "jinan-1", "daylight-1550"]:
    f = forecast_pass(p, profile=n)
    k_day = day_key(f, profiles[n])
    print(
        f"{n:<14} night {f.key.secret_key_bits / 1e3:9.1f} kbit   day {k_day.secret_key_bits / 1e3:9.1f} kbit"
        f"   ({k_day.limiting or 'positive'})"
    )

# %% [markdown]
# ## What adaptive optics buys
#
# A single-mode fibre accepts only the part of the received field that matches its mode; turbulence
# scatters the rest. Tip-tilt correction removes the image motion, adaptive optics also the higher
# orders, so the coupling efficiency rises towards the Strehl ratio of the corrected wavefront.
# Below, the `daylight-1550` receiver with its correction switched to none, tip-tilt and AO.

# %%
base = profiles["daylight-1550"]
f = forecast_pass(p, profile="daylight-1550")
fig, ax = plt.subplots(figsize=(7, 3.5))
for corr in ["none", "tip-tilt", "ao"]:
    q = dataclasses.replace(base, receiver=dataclasses.replace(base.receiver, correction=corr))
    s = link_budget(q, elevation_deg=el)
    ax.plot(el, s.turbulence_db, label=corr)
    k = day_key(f, q)
    i20, i60 = np.searchsorted(el, [20, 60])
    print(
        f"{corr:<9} coupling loss {s.turbulence_db[i20]:5.1f} dB at 20 deg, {s.turbulence_db[i60]:4.1f} dB at 60 deg;"
        f" daylight key of the pass {k.secret_key_bits / 1e3:8.1f} kbit"
    )
ax.set_xlabel("elevation (deg)")
ax.set_ylabel("turbulence / coupling loss (dB)")
ax.legend()
fig.tight_layout()

# %% [markdown]
# The same numbers from the command line: `passplan link --profile daylight-1550 --elevation-deg 30
# --sun-elevation-deg 40 --sun-separation-deg 60`, and `--plot link.png` for loss against
# elevation with day and night background.
