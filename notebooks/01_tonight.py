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
# # Tonight at a station
#
# An operator at the Xinglong station wants to know which satellites come over tonight, which of
# those passes can carry a quantum key, and why the others cannot. This notebook asks passplan
# exactly that, draws the passes on a sky chart and writes them to a calendar file.
#
# The night is fixed (15 March 2026) so the notebook gives the same answer every time it runs.
# The satellites are the bundled demo fleet (six Jinan-1-class microsatellites in a 500 km
# sun-synchronous orbit, designed by passplan with their epoch at the start of the window; see
# `passplan/data/fleet/demo.toml`) and the International Space Station, whose bundled element set
# is from March 2026.

# %%
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

import matplotlib.pyplot as plt
from IPython.display import Image, display

from passplan import Constraints, find_passes, get_station, resolve_satellites, sample_pass, tonight

station = get_station("xinglong")
noon = datetime(2026, 3, 15, 4, tzinfo=UTC)  # local noon at Xinglong (UTC+8)
night = tonight(station, noon)  # the station's own twilight setting
print(f"{station.id}: {station.lat_deg:.3f} N, {station.lon_deg:.3f} E, {station.alt_m:.0f} m")
print(f"dark ({night.setting}) from {night.start:%H:%M} to {night.end:%H:%M} UTC")

sel = resolve_satellites(["demo", "iss"], night.start)
leo = [s for s in sel.satellites if s.name.startswith("DEMO-SSO") or s.name.startswith("ISS")]
print(len(leo), "satellites:", ", ".join(s.name for s in leo))

# %% [markdown]
# ## The passes of the night
#
# With no constraint beyond the station's horizon, every rise and set in the dark window is a pass.

# %%
passes = find_passes(leo, [station], night.start, night.end)
for p in passes:
    print(
        f"{p.satellite:<12} AOS {p.aos:%H:%M:%S}  max el {p.max_el_deg:5.1f} deg  "
        f"min range {p.min_range_km:6.0f} km  sunlit {p.sat_sunlit_fraction:.2f}"
    )

# %% [markdown]
# ## Why some passes are excluded
#
# A quantum downlink needs more than a rise and a set. Micius ran its key exchange only at night,
# from about 15 deg elevation, up to 1200 km of slant range (Liao et al., *Nature* 549, 43
# (2017)), with the satellite in the Earth's shadow so that no sunlight scattered off the
# spacecraft reaches the receiver. Here the same rules are asked for over a whole day, and passes
# that fail every sample of some rule come back marked with `excluded_by`, the constraint(s) that
# removed them.

# %%
from collections import Counter
from datetime import timedelta

t1 = noon + timedelta(days=1)
horizon = find_passes(leo, [station], noon, t1)  # the station's own elevation floor only
rules = Constraints(min_elevation_deg=15.0, darkness="nautical", eclipse=True, max_range_km=1200.0)
day = find_passes(leo, [station], noon, t1, rules, include_excluded=True)
usable = [p for p in day if not p.excluded]
why = Counter(p.excluded_by for p in day if p.excluded)
print(f"{len(horizon)} passes in 24 h above the station's {station.min_elevation_deg:g} deg floor")
print(f"  never above 15 deg (no pass at all under the new floor): {len(horizon) - len(day)}")
for reason, n in why.most_common():
    print(f"  excluded by {reason}: {n}")
print(f"usable: {len(usable)} (rules beyond the floor: {', '.join(rules.active())})")

# %% [markdown]
# The elevation floor defines what a pass is, so a satellite that never climbs above 15 deg has no
# pass to exclude. The other rules mark passes: in daylight the station is not dark (and a
# sun-synchronous satellite crossing at midday is sunlit too, hence `darkness+eclipse`), and low
# passes whose nearest point is beyond 1200 km fail `max_range`. A usable pass may still be cut:
# `cut_start_by` and `cut_end_by` say which rule opened and closed its window; here the range
# limit, stricter than 15 deg for a 500 km orbit, bounds every one.

# %%
for p in usable:
    print(
        f"{p.satellite:<12} {p.aos:%H:%M:%S}-{p.los:%H:%M:%S} UTC  {p.duration_s:4.0f} s  "
        f"opened by {p.cut_start_by or 'rise'}, closed by {p.cut_end_by or 'set'}"
    )

# %% [markdown]
# ## Elevation through the day
#
# Each pass drawn as elevation against time, usable ones in colour and excluded ones in grey,
# with the 15 deg floor.

# %%
fig, ax = plt.subplots(figsize=(9, 3.5))
for p in day:
    g = sample_pass(p, 10.0)
    ax.plot(g.t, g.el_deg, color="0.75" if p.excluded else None, lw=1 if p.excluded else 2)
ax.axhline(15, color="k", ls=":", lw=1)
ax.axvspan(night.start, night.end, color="navy", alpha=0.08, label="station dark")
ax.set_ylabel("elevation (deg)")
ax.set_xlabel("UTC")
ax.legend(loc="upper right")
fig.autofmt_xdate()

# %% [markdown]
# ## The sky chart
#
# The sky chart shows the usable passes as seen from the station (north up, azimuth clockwise),
# coloured by the key rate the link budget and finite-key estimate give along each track
# (`passplan.track.track_pass`, with the station's receiver profile). The plot functions return
# image bytes, which the notebook displays.

# %%
from passplan.plot.sky import plot_sky
from passplan.track import track_pass

tracks = []
for p in usable:
    tr = track_pass(p, 5.0)
    tracks.append((f"{p.satellite} {p.aos:%H:%M}", tr.az_deg, tr.el_deg, tr.key_rate_bps))
    print(f"{p.satellite:<12} {p.aos:%H:%M} UTC: {tr.secret_key_bits / 1e3:8.1f} kbit forecast ({tr.profile})")
png = plot_sky(tracks, title="Xinglong, night of 15 March 2026", min_elevation_deg=15.0, mask=station.horizon_mask)
display(Image(png))

# %% [markdown]
# ## The calendar
#
# Each usable pass becomes an iCalendar event with a stable UID (satellite, station and AOS), so
# a calendar that imports the file again updates the events instead of doubling them. The
# `DTSTAMP` is fixed here so the file is the same on every run. The notebook writes into a
# temporary folder.

# %%
from passplan import passes_to_records
from passplan.exports.ics import events_from_records, to_ics
from passplan.io import atomic_write_text

text = to_ics(events_from_records(passes_to_records(usable)), creation_date=noon, name="Xinglong tonight")
with TemporaryDirectory() as tmp:
    path = Path(tmp) / "xinglong-tonight.ics"
    atomic_write_text(path, text)
    print(f"wrote {path.name}: {path.stat().st_size} bytes, {text.count('BEGIN:VEVENT')} events")
print("\n".join(text.splitlines()[:18]))

# %% [markdown]
# The same from the command line (where `demo` also brings the demo fleet's MEO and GEO
# satellites):
#
# ```
# passplan tonight xinglong --date 2026-03-15 --sats demo,iss --plot sky.png
# passplan passes --station xinglong --sats demo,iss --start 2026-03-15T04:00Z --hours 24 \
#     --min-el 15 --night nautical --eclipse --max-range-km 1200 --all
# passplan passes --station xinglong --sats demo,iss --start 2026-03-15T04:00Z --hours 24 \
#     --format ics --output tonight.ics
# ```
