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
# # A network night and week
#
# With several satellites and several stations, a planner has to decide who links with whom and
# when: a station's telescope serves one satellite at a time and needs a few minutes to re-point,
# and a satellite can send to one station at a time. passplan turns every forecast pass into a
# candidate link worth its expected key (the forecast key times the station's clear-sky
# probability) and chooses links with a mixed-integer programme (HiGHS through
# `scipy.optimize.milp`), checked by an independent checker and reported beside two greedy
# baselines. The scheduling problem follows the literature on satellite QKD scheduling (Polnik et
# al., *EPJ Quantum Technology* 7, 3 (2020)).
#
# The satellites are the six sun-synchronous microsatellites of the bundled demo fleet
# (`passplan/data/fleet/demo.toml`, illustrations, not real spacecraft); the stations are bundled
# Micius and Jinan-1 sites. Dates are fixed so the notebook is reproducible.

# %%
from datetime import UTC, datetime, timedelta

import matplotlib.pyplot as plt
from IPython.display import Image, display

from passplan import Constraints, resolve_satellites, select_stations
from passplan.schedule import Demand, plan_schedule
from passplan.schedule.run import resources_for, schedule_passes

t0 = datetime(2026, 3, 15, 10, tzinfo=UTC)  # evening in China
sats = [s for s in resolve_satellites(["demo"], t0).satellites if s.name.startswith("DEMO-SSO")]
stations = select_stations(["xinglong", "nanshan", "delingha", "lijiang"])  # the Micius stations
night = Constraints(darkness="nautical")
for s in stations:
    print(f"{s.id:<10} receiver {s.receiver:<8} clear sky {s.clear_sky:.2f}  telescopes {s.telescopes}")

# %% [markdown]
# ## One night scheduled
#
# `schedule_passes` runs the chain: passes, key forecasts, candidates (with hand-over sub-windows
# where one satellite sees two stations at once), and the plan.

# %%
run = schedule_passes(sats, stations, t0, t0 + timedelta(hours=12), night)
plan = run.plan
print(f"{len(run.forecasts)} passes forecast, {len(run.candidates)} candidates, {len(plan.links)} links chosen")
for c in plan.links:
    print(f"  {c.start:%H:%M:%S}-{c.end:%H:%M:%S} UTC  {c.satellite:<11} -> {c.station:<9} "
          f"forecast {c.key_bits / 1e3:7.1f} kbit, expected {c.expected_key_bits / 1e3:7.1f} kbit"
          + ("  (hand-over)" if c.handover else ""))
print("expected key per station (kbit):", {k: round(v / 1e3, 1) for k, v in plan.per_station.items()})
print(f"solver {plan.solver.method}: {plan.solver.status}, objective {plan.solver.objective / 1e3:.1f} kbit")
if run.handover_gain_bits is not None:
    print(f"hand-over sub-windows gain {run.handover_gain_bits / 1e3:.1f} kbit over whole passes")

# %%
from passplan.plot.gantt import plot_schedule

display(Image(plot_schedule(plan, title="demo fleet over the four Micius stations in China, night of 15 March 2026")))

# %% [markdown]
# ## MILP against greedy
#
# The greedy baselines take candidates in order (of key, or of time) and keep each one that still
# fits. On a small night they often match the optimum; when passes conflict, taking the biggest
# link first can block two smaller ones that together give more. The MILP proves its answer
# optimal (or reports its gap). Here the two greedy baselines of the same plan, and a fair plan
# (the largest minimum of key over demand) beside the total-key one.

# %%
for b in plan.baselines:
    print(f"greedy {b.method:<18} objective {b.objective / 1e3:8.1f} kbit  ({100 * b.objective / plan.solver.objective:.1f} % of the MILP)")
demands = [Demand((s.id,), 1e6) for s in stations]
res = resources_for(stations)
fair = plan_schedule(run.candidates, res, demands, "fair")
greedy = plan_schedule(run.candidates, res, demands, "fair", solver="greedy")
for name, pl in [("MILP, fair", fair), ("greedy, fair", greedy)]:
    served = ", ".join(f"{d['demand']} {d['served_bits'] / 1e3:.0f}" for d in pl.demands)
    print(f"{name:<13} total {pl.expected_key_bits / 1e3:7.1f} kbit; served kbit: {served}")

# %% [markdown]
# ## Relay keys between distant cities
#
# A trusted-relay satellite shares one key with each of two stations it passes over, then
# announces their XOR, so the two stations share a key without ever seeing the satellite at the
# same time. Jinan-1 did this between Beijing and Stellenbosch, 12,900 km apart (Li et al.,
# *Nature* 640, 47 (2025)); Micius between Xinglong and Graz (Liao et al., *Phys. Rev. Lett.*
# 120, 030501 (2018)). Here the demo fleet relays between Beijing and Stellenbosch (portable
# stations with the `jinan-1` receiver) over one day: the links are scheduled for the pair, each link's expected key joins the satellite's
# pool when it ends, and each satellite relays as soon as both pools hold key.

# %%
from passplan import relay_key

start = datetime(2026, 3, 15, tzinfo=UTC)
# the links scheduled for the pair, each link's expected key into its satellite's pool, relayed
rel = relay_key(sats, select_stations(["beijing", "stellenbosch"]), ("beijing", "stellenbosch"),
                start, start + timedelta(days=1), night)
w = rel.weather  # the relay replayed under 2000 seeded, correlated clear/cloudy draws
print(f"relayed under weather draws: mean {w.mean_bits / 1e3:.1f} kbit (P10 {w.p10_bits / 1e3:.1f}, "
      f"P90 {w.p90_bits / 1e3:.1f}; clear-sky bound {w.clear_sky_bound_bits / 1e3:.1f}) via {', '.join(rel.satellites)}")
print(f"replay of expected deposits (an upper estimate): {rel.relayed_bits / 1e3:.1f} kbit")
print("pools (kbit):", {k: round(v / 1e3, 1) for k, v in rel.pool_bits.items()})
times = [t for t, _ in rel.timeline]
fig, ax = plt.subplots(figsize=(8, 3))
ax.step(times, [b / 1e3 for _, b in rel.timeline], where="post")
ax.set_ylabel("relayed key (kbit)")
ax.set_title("Beijing-Stellenbosch key through the demo fleet")
fig.autofmt_xdate()

# %% [markdown]
# ## The integrated network, end to end
#
# Chen et al. (*Nature* 589, 214 (2021)) joined four metropolitan fibre networks on a Beijing-
# Shanghai backbone of trusted relays to two satellite stations, Xinglong (fibre to Beijing) and
# Nanshan (reached only through satellites), 4,600 km end to end. The bundled
# `china-integrated.toml` keeps that topology with assumed fibre rates. The end-to-end key from
# Nanshan to Shanghai over a day is a maximum flow: fibre links carry their rate times the day,
# satellites carry what their scheduled links with each station built, and the minimum cut names
# the bottleneck.

# %%
from passplan import load_network, network_key

net = load_network("china-integrated")  # a bundled network by name, or a TOML path
print(net.name, "nodes:", ", ".join(net.nodes))
day0 = datetime(2026, 3, 15, tzinfo=UTC)
# ground links carry their rate times the day; satellites what their scheduled links built
flow = network_key(net, "nanshan", "shanghai", sats, select_stations(sorted(net.stations)), day0,
                   day0 + timedelta(days=1), night)
fw = flow.weather
print(f"nanshan -> shanghai over a day under weather draws: mean {fw.mean_bits / 1e3:.1f} kbit "
      f"(P10 {fw.p10_bits / 1e3:.1f}, P90 {fw.p90_bits / 1e3:.1f}); replay of expectations {flow.key_bits / 1e3:.1f} kbit")
for nodes, bits in flow.paths:
    print(f"  {' -> '.join(nodes)}: {bits / 1e3:.1f} kbit")
for bn in flow.bottlenecks:
    print(f"  bottleneck {bn['a']} - {bn['b']} ({bn['kind']}): {bn['capacity_bits'] / 1e3:.1f} kbit")

# %% [markdown]
# ## Weather
#
# The plan's expected key already counts each station's clear-sky probability (Xinglong's 63 %
# spectroscopic nights are from Zhang et al., *PASP* 2015; most others are assumed, as the
# station file says). Real nights are clear or cloudy for a whole station at once, and nearby
# stations share their clouds, so the key delivered spreads widely around that expectation.
# `simulate_weather` draws seeded cloudy nights with clouds correlated over distance, in the spirit
# of the multi-station diversity studies (Anipeddi et al., arXiv:2408.08657 (2024)).

# %%
from passplan.weather import simulate_weather

by_id = {s.id: s for s in stations}
links = [(c.station, c.start, c.key_bits) for c in plan.links]
spread = simulate_weather(links, by_id, trials=2000, seed=1)
w = spread.to_dict()
print(f"forecast (all clear) {sum(b for *_, b in links) / 1e3:.1f} kbit; expected {plan.expected_key_bits / 1e3:.1f} kbit")
print(f"delivered over {w['trials']} seeded nights: mean {w['mean_bits'] / 1e3:.1f} kbit, "
      f"5-95 % {w['p05_bits'] / 1e3:.1f} to {w['p95_bits'] / 1e3:.1f} kbit")
print(f"a night has at least one clear station with probability {w['p_any_clear']:.2f} "
      f"(best single station {w['p_best_single_clear']:.2f})")

# %% [markdown]
# From the command line: `passplan schedule --sats demo --station xinglong --station nanshan
# --station delingha --station lijiang --start 2026-03-15T10:00Z --hours 12 --night nautical
# --weather-trials 2000 --plot plan.png`, `passplan relay beijing stellenbosch --sats demo --days 1`,
# and `passplan network china-integrated --from nanshan --to shanghai --sats demo --days 1`.
