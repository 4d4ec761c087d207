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
# # A constellation trade study
#
# Where should the next quantum satellites fly? A low orbit gives short, close passes with little
# loss; a medium orbit gives hour-long windows from ten times farther away; a geostationary
# satellite never leaves the sky of the stations it sees, but sends from 36,000 km. This notebook
# compares three small designed fleets, built by `passplan.designed` (illustrations, not real
# spacecraft):
#
# - **LEO**: twelve satellites at 500 km in sun-synchronous orbits (three planes, node at 22:30
#   local time, like Micius and Jinan-1, so passes fall at night with the satellite in shadow);
# - **MEO**: six satellites at 10,000 km, 55 deg inclination (three planes);
# - **GEO**: three geostationary slots, at 60, 105 and 150 deg E.
#
# Coverage is computed over a global grid (`passplan.coverage.coverage`), and usable hours and key
# per day at three stations by the pass engine and the forecast chain
# (`passplan.coverage.compare.compare_fleets`). One day, a coarse grid and steps of a minute or
# two keep the notebook fast; the CLI (`passplan coverage`, and `passplan coverage --compare FLEET
# --station ID` for the station table; `passplan constellation` writes designed fleets as TOML)
# runs the same code over longer spans and finer grids.

# %%
from datetime import UTC, datetime, timedelta

import matplotlib.pyplot as plt
import numpy as np

from passplan import Constraints, select_stations
from passplan.coverage import CoverageConstraints, Grid, cap_fraction, coverage, footprint_half_angle_deg
from passplan.designed import geo_slot, walker_delta

t0 = datetime(2026, 3, 15, tzinfo=UTC)
fleets = {
    "LEO": walker_delta("LEO", t0, altitude_km=500.0, planes=3, per_plane=4, phasing=1,
                        sun_synchronous=True, ltan_h=22.5, raan_spread_deg=60.0),
    "MEO": walker_delta("MEO", t0, altitude_km=10000.0, planes=3, per_plane=2, phasing=1, inclination_deg=55.0),
    "GEO": [geo_slot(lon, t0, name=f"GEO-{lon:g}E") for lon in (60.0, 105.0, 150.0)],
}
for name, sats in fleets.items():
    print(f"{name}: {len(sats)} satellites ({', '.join(s.name for s in sats[:3])}{', ...' if len(sats) > 3 else ''})")

# %% [markdown]
# ## A check on the geometry first
#
# Averaged over time, one satellite in a circular orbit sees each point of a uniformly covered
# sphere for the fraction of the day equal to its footprint's share of the Earth's area. With a
# spherical Earth and a 10 deg elevation floor, the footprint's central half-angle at 500 km is
# about 14.06 deg (the project's reference notes give it, computed independently). The global,
# area-weighted access time of a single LEO satellite from the grid computation should match the
# cap fraction times a day.

# %%
grid = Grid(5.0)
half = float(footprint_half_angle_deg(500.0, 10.0))
expected_min = float(cap_fraction(half)) * 1440.0
one = coverage(fleets["LEO"][:1], grid, t0, 1.0, constraints=CoverageConstraints(min_elevation_deg=10.0), step_s=60.0)
got_min = one.area_weighted()["access_min_per_day"]
print(f"footprint half-angle {half:.2f} deg; cap fraction x 1440 min = {expected_min:.1f} min/day")
print(f"grid computation (one satellite, one day): {got_min:.1f} min/day ({100 * (got_min / expected_min - 1):+.1f} %)")

# %% [markdown]
# ## Coverage at night
#
# A quantum downlink of these designs works at night: the cell's Sun below -12 deg (nautical
# twilight), at least 15 deg elevation. The maps show the usable minutes per day in each 5 deg
# cell; the stripes of the LEO map are the ground tracks of one day.

# %%
from passplan.plot.maps import coastline

night_cells = CoverageConstraints(min_elevation_deg=15.0, darkness_deg=-12.0)
results = {name: coverage(sats, grid, t0, 1.0, constraints=night_cells, step_s=120.0) for name, sats in fleets.items()}
lat, lon = grid.lat_centres(), grid.lon_centres()
coast = coastline()
fig, axes = plt.subplots(1, 3, figsize=(16, 3.6), constrained_layout=True)
for ax, (name, res) in zip(axes, results.items(), strict=True):
    v = res.metrics["usable_min_per_day"].reshape(grid.n_lat, grid.n_lon)
    mesh = ax.pcolormesh(lon, lat, v, shading="nearest", cmap="viridis")
    for line in coast:
        ax.plot(line[:, 0], line[:, 1], color="w", lw=0.4)
    ax.set_title(f"{name}: usable min/day (night, 15 deg)")
    ax.set_aspect("equal")
    fig.colorbar(mesh, ax=ax, shrink=0.8)
for name, res in results.items():
    s = res.area_weighted()
    print(f"{name}: {s['passes_per_day']:5.1f} passes/day, access {s['access_min_per_day']:6.1f} min/day, "
          f"usable at night {s['usable_min_per_day']:6.1f} min/day, longest gap {s['max_gap_h']:5.1f} h (area-weighted means)")

# %% [markdown]
# A geostationary satellite never rises or sets, so it counts no passes: its access is one long
# window. The zonal means show where each design puts its time: the sun-synchronous LEO fleet
# crowds its tracks together at high latitudes (but near the equinox the poles get no nautical
# night at all), while the GEO slots serve a band about the equator, bounded by the latitude at
# which the geostationary arc sinks below 15 deg.

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
for name, res in results.items():
    ax.plot(lat, res.zonal("usable_min_per_day"), label=name)
ax.set_xlabel("latitude (deg)")
ax.set_ylabel("usable min/day (mean along the row)")
ax.legend()
fig.tight_layout()
for name, res in results.items():
    z = res.zonal("usable_min_per_day")
    served = lat[np.nan_to_num(z) > 0]
    print(f"{name}: usable time between {served.min():.1f} and {served.max():.1f} deg latitude (cell centres); "
          f"most at {lat[np.nanargmax(z)]:.1f} deg")

# %% [markdown]
# ## Usable hours and key per day at three stations
#
# Coverage says when a link is possible; the key says what it is worth. At Xinglong, Graz and
# Stellenbosch (the Micius and Jinan-1 relay ends), each fleet's passes over one day are found
# with the same night and elevation rules and forecast with a link profile: the Micius terminal
# for the LEO fleet, and the generic MEO and GEO terminals for the others. The MEO and GEO
# profiles are design assumptions, not flown missions, so their keys are as good as those
# assumptions.

# %%
from passplan.coverage.compare import compare_fleets

stations = select_stations(["xinglong", "graz", "stellenbosch"])
rules = Constraints(min_elevation_deg=15.0, darkness="nautical")
profile_of = {"LEO": "micius", "MEO": "meo-generic", "GEO": "geo-generic"}
rows = []
for name, sats in fleets.items():
    rows += compare_fleets({name: sats}, stations, t0, t0 + timedelta(days=1), rules, profile=profile_of[name])
for r in rows:
    print(f"{r['fleet']} {r['station']:<13} {r['passes']:3d} passes, mean {r['mean_pass_min']:6.1f} min, "
          f"usable {r['usable_h_per_day']:5.2f} h/day, key {r['key_bits_per_day'] / 1e6:9.2f} Mbit/day")

# %%
from IPython.display import Image, display

from passplan.plot.compare import plot_fleet_comparison

display(Image(plot_fleet_comparison(rows, title="one day from 2026-03-15, night, 15 deg")))

# %% [markdown]
# For scale: the GEOQKD study (Le Pera et al., Proc. SPIE 11852 (2021)) expects about 0.3 to 10
# kbit/s of trusted-mode key from geostationary orbit with 0.5 m space telescopes and a 2.5 m
# ground telescope. The mean key rate over the usable time of the GEO fleet here, at each station:

# %%
for r in rows:
    if r["fleet"] == "GEO" and r["usable_h_per_day"] > 0:
        print(f"{r['station']:<13} {r['key_bits_per_day'] / (r['usable_h_per_day'] * 3600) / 1e3:6.2f} kbit/s over "
              f"{r['usable_h_per_day']:.1f} h (published range 0.3 to 10 kbit/s)")
