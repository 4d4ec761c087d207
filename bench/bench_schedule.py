"""A week's network plan, timed in one run: 6 stations x the 8 demo satellites x 7 days with key
forecasts (passes, forecast and solve times), the MILP's status and gap, and its expected key over
each greedy baseline's.

Run: ``python bench/bench_schedule.py [--days D]``
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

from passplan import Constraints, select_stations
from passplan.elements import demo_fleet_path, load_file
from passplan.schedule.run import schedule_passes

STATIONS = ["xinglong", "nanshan", "delingha", "lijiang", "ngari", "jinan"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=7.0)
    args = ap.parse_args()
    t0 = datetime(2026, 12, 2, tzinfo=UTC)
    sats = load_file(demo_fleet_path(), t0)
    stations = select_stations(STATIONS)
    t = time.perf_counter()
    run = schedule_passes(
        sats, stations, t0, t0 + timedelta(days=args.days), Constraints(darkness="station"), handover=True
    )
    total = time.perf_counter() - t
    p = run.plan
    s = p.solver
    print(f"{len(sats)} satellites x {len(stations)} stations x {args.days:g} days: {len(run.forecasts)} passes, "
          f"{len(run.candidates)} candidates ({sum(c.handover for c in run.candidates)} hand-over sub-windows)")
    print(f"times: passes {run.seconds['passes']:.1f} s, forecasts and sub-windows {run.seconds['forecast']:.1f} s "
          f"({1000 * run.seconds['forecast'] / max(1, len(run.forecasts)):.0f} ms a pass), "
          f"solve (with and without hand-over) {run.seconds['solve']:.2f} s; total {total:.1f} s")
    print(f"MILP: {s.status}, objective {s.objective:.4g} bits, dual bound {s.dual_bound}, gap {s.gap}, "
          f"{s.nodes} nodes, {s.seconds:.3f} s, {s.blocks} block(s) (rolling horizon)")
    for b in p.baselines:
        ratio = s.objective / b.objective if b.objective > 0 else float("inf")
        print(f"  vs {b.method}: {b.objective:.4g} bits -> MILP / greedy = {ratio:.3f}")
    # the same candidates in one MILP over the whole week (no rolling horizon): its gap and bound
    from passplan.schedule import plan_schedule
    from passplan.schedule.run import resources_for

    t = time.perf_counter()
    whole = plan_schedule(run.candidates, resources_for(stations), rolling_days=args.days + 1, time_limit_s=120)
    w = whole.solver
    print(f"one MILP over the whole window: {w.status}, objective {w.objective:.4g}, dual bound {w.dual_bound:.4g}, "
          f"gap {w.gap}, {w.nodes} nodes, {time.perf_counter() - t:.2f} s; rolling / whole = {s.objective / w.objective:.5f}")
    print(f"hand-over gain: {run.handover_gain_bits}")


if __name__ == "__main__":
    main()
