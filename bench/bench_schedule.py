"""Schedules at forecast speed (issue 21) and a week's network plan, timed in one run.

1. ``schedule`` against ``passplan passes --key`` on the same inputs: a 24-satellite Walker fleet
   (53:24/6/1, 550 km; a designed constellation TOML) over the ten bundled stations for 3 days,
   each CLI in a fresh process (wall time and the child's CPU time; best of ``--repeat`` runs).
   Goal: schedule at most 1.5x passes --key.
2. The old path against the new on the same forecasts: candidates (sub-window keys), the plan
   and the hand-over gain. The old path is the schedule package at ``--baseline`` (default: the
   commit this work branched from), read from git into a temporary folder and imported beside
   the new one, so both run in this process on the same forecasts. The plans are compared:
   objective (identical to float rounding), links (identical where the optimum is unique: two
   different link sets of equal objective, both accepted by the checker, show it is not), the
   sub-window keys (relative difference) and the hand-over gain (the new one from one LP when
   its optimum is integral, as here).
3. Peak memory at 60,000 candidates: a synthetic day of 750 satellites x 80 requests over 10
   stations (random starts, 60-600 s links, seeded), planned in a child process whose peak
   resident memory (``ru_maxrss``) is read by this one. Goal: under 1 GB (the dense capacity
   mask alone took n^2 bytes per resource; its size is printed beside).
4. ``--week``: the earlier benchmark, 6 stations x the 8 demo satellites x 7 days with key
   forecasts (passes, forecast and solve times), the MILP's status and gap, and its expected key
   over each greedy baseline's.

Run: ``python bench/bench_schedule.py [--repeat N] [--baseline REF] [--skip-cli] [--skip-old]
[--skip-memory] [--week] [--days D]``
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import numpy as np

REPO = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 12, 2, tzinfo=UTC)
DAYS = 3.0
BASELINE = "a1b6ab1"  # main before issue 21's schedule work
STATIONS = ["xinglong", "nanshan", "delingha", "lijiang", "ngari", "jinan"]

FLEET = (
    '[constellation]\nname = "bench"\n\n[[walker]]\nname = "W"\naltitude_km = 550.0\ninclination_deg = 53.0\n'
    "planes = 6\nper_plane = 4\nphasing = 1\n"
)

# Runs argv[2:] as its only child, stdout to the file argv[1] (stderr beside it, .err); prints the exit code, wall seconds,
# the child's CPU seconds (user + system) and its peak resident memory in KiB (Linux ru_maxrss).
_RUNNER = """
import resource, subprocess, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
t = time.perf_counter()
with open(out, "w") as fh:
    rc = subprocess.run(cmd, stdout=fh, stderr=open(out + ".err", "w")).returncode
wall = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(rc, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss)
"""


def run_cli(args: list[str], out: Path) -> tuple[float, float, float]:
    """Wall s, CPU s and peak MB of one ``passplan`` process."""
    exe = Path(sys.executable).with_name("passplan")
    entry = [str(exe)] if exe.exists() else [sys.executable, "-c", "from passplan.cli import main; main()"]
    cmd = [sys.executable, "-c", _RUNNER, str(out), *entry, *args]
    got = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()
    if got[0] != "0":
        err = Path(f"{out}.err").read_text().strip().splitlines()
        raise SystemExit(f"passplan {' '.join(args)} failed (exit {got[0]}): {err[-1] if err else ''}")
    return float(got[1]), float(got[2]), float(got[3]) / 1024.0


def cli_ratio(folder: Path, repeat: int) -> None:
    fleet = folder / "fleet.toml"
    fleet.write_text(FLEET)
    common = ["--sats", str(fleet), "--start", T0.strftime("%Y-%m-%dT%H:%MZ"), "--days", f"{DAYS:g}", "--format", "json"]
    best: dict[str, tuple[float, float, float]] = {}
    for _ in range(repeat):
        for name, args in (("passes --key", ["passes", *common, "--key"]), ("schedule", ["schedule", *common])):
            got = run_cli(args, folder / f"{name.split()[0]}.json")
            best[name] = min(best.get(name, got), got)
    n_pass = len(json.loads((folder / "passes.json").read_text()))
    doc = json.loads((folder / "schedule.json").read_text())
    print(f"1. CLI, 24-satellite Walker 53:24/6/1 at 550 km x 10 bundled stations x {DAYS:g} days "
          f"(best of {repeat}): {n_pass} passes; schedule: {len(doc['links'])} links of "
          f"{len(doc['links']) + len(doc['unscheduled'])} candidates")
    for name, (wall, cpu, mb) in best.items():
        print(f"   {name:13s} wall {wall:6.2f} s, CPU {cpu:6.2f} s, peak {mb:5.0f} MB")
    pw, pc, _ = best["passes --key"]
    sw, sc, _ = best["schedule"]
    print(f"   schedule / passes --key: wall {sw / pw:.2f}x, CPU {sc / pc:.2f}x (goal <= 1.5x)")


def load_baseline(ref: str, folder: Path) -> ModuleType:
    """The schedule package at git ``ref``, imported as ``passplan._schedule_baseline`` (its
    relative imports of the rest of passplan resolve to the current package)."""
    pkg = folder / "_schedule_baseline"
    pkg.mkdir()
    names = subprocess.run(["git", "-C", str(REPO), "ls-tree", "--name-only", ref, "passplan/schedule/"],
                           capture_output=True, text=True, check=True).stdout.split()
    for path in names:
        text = subprocess.run(["git", "-C", str(REPO), "show", f"{ref}:{path}"], capture_output=True, text=True,
                              check=True).stdout
        (pkg / Path(path).name).write_text(text)
    name = "passplan._schedule_baseline"
    spec = importlib.util.spec_from_file_location(name, pkg / "__init__.py", submodule_search_locations=[str(pkg)])
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    for sub in ("candidates", "run", "solve", "check"):
        importlib.import_module(f"{name}.{sub}")
    return mod


def old_vs_new(folder: Path, ref: str) -> None:
    from passplan.elements import resolve_satellites
    from passplan.forecast import forecast_passes
    from passplan.passes import Constraints, iter_passes
    from passplan.schedule import check
    from passplan.schedule.candidates import candidates_from_forecasts
    from passplan.schedule.run import resources_for
    from passplan.schedule.solve import plan_schedule, whole_pass_key
    from passplan.stations import select_stations

    base = load_baseline(ref, folder)
    fleet = folder / "fleet.toml"
    fleet.write_text(FLEET)
    sats = resolve_satellites([str(fleet)], T0).satellites
    stations = select_stations(())
    t = time.perf_counter()
    passes = [p for b in iter_passes(sats, stations, T0, T0 + timedelta(days=DAYS), Constraints()) for p in b.passes]
    forecasts = forecast_passes([p for p in passes if not p.excluded])
    t_fc = time.perf_counter() - t
    by_id = {s.id: s for s in stations}

    timing: dict[str, dict[str, float]] = {"old": {}, "new": {}}
    t = time.perf_counter()
    old_c = base.candidates.candidates_from_forecasts(forecasts, stations=by_id, handover=True)
    timing["old"]["candidates"] = time.perf_counter() - t
    t = time.perf_counter()
    new_c = candidates_from_forecasts(forecasts, stations=by_id, handover=True)
    timing["new"]["candidates"] = time.perf_counter() - t

    old_res, new_res = base.run.resources_for(stations), resources_for(stations)
    t = time.perf_counter()
    old_plan = base.solve.plan_schedule(old_c, old_res)
    timing["old"]["plan"] = time.perf_counter() - t
    t = time.perf_counter()
    old_whole = base.solve.plan_schedule([c for c in old_c if not c.handover], old_res)
    old_gain = old_plan.expected_key_bits - old_whole.expected_key_bits
    timing["old"]["hand-over gain"] = time.perf_counter() - t
    t = time.perf_counter()
    new_plan = plan_schedule(new_c, new_res)
    timing["new"]["plan"] = time.perf_counter() - t
    t = time.perf_counter()
    new_gain = new_plan.expected_key_bits - whole_pass_key(new_c, new_res)
    timing["new"]["hand-over gain"] = time.perf_counter() - t

    n_sub = sum(c.handover for c in new_c)
    print(f"2. old path ({ref}) vs new on the same {len(forecasts)} forecasts ({t_fc:.1f} s to search and forecast): "
          f"{len(new_c)} candidates, {n_sub} hand-over sub-windows")
    for stage in ("candidates", "plan", "hand-over gain"):
        o, n = timing["old"][stage], timing["new"][stage]
        print(f"   {stage:15s} old {o:6.2f} s, new {n:6.2f} s: {o / max(n, 1e-9):5.1f}x")
    o, n = sum(timing["old"].values()), sum(timing["new"].values())
    print(f"   {'all':15s} old {o:6.2f} s, new {n:6.2f} s: {o / n:5.1f}x")
    ok = {c.uid: c.key_bits for c in old_c}
    assert [c.uid for c in old_c] == [c.uid for c in new_c], "the same candidates in the same order"
    rel = np.array([abs(c.key_bits - ok[c.uid]) / max(ok[c.uid], 1.0) for c in new_c])
    print(f"   sub-window keys: largest difference {rel.max():.1e} of the key (goal <= 1e-9)")
    so, sn = old_plan.solver, new_plan.solver
    print(f"   objective: old {so.objective!r} ({so.status}), new {sn.objective!r} ({sn.status}): relative "
          f"difference {abs(sn.objective - so.objective) / so.objective:.1e}")
    lo = {c.uid for c in old_plan.links}
    ln = {c.uid for c in new_plan.links}
    check(new_plan.links, new_res)
    same_value = new_plan.expected_key_bits == old_plan.expected_key_bits or abs(
        new_plan.expected_key_bits - old_plan.expected_key_bits) <= 1e-12 * old_plan.expected_key_bits
    unique = "identical" if lo == ln else (
        f"{len(lo ^ ln)} of {len(lo | ln)} differ, both plans accepted by the checker with equal key: the optimum is "
        "not unique" if same_value else f"{len(lo ^ ln)} differ")
    print(f"   links: old {len(lo)}, new {len(ln)}: {unique}")
    print(f"   hand-over gain: old {old_gain:.1f} bits (whole-pass plan solved again), new {new_gain:.1f} bits "
          f"(one LP, its optimum integral)")


# a child that plans N synthetic candidates and prints seconds, candidates, rows and peak MB
_MEMORY_CHILD = """
import resource, sys, time
from datetime import UTC, datetime, timedelta
import numpy as np
from passplan.schedule import Candidate, Resources, plan_schedule
from passplan.schedule.problem import Problem
n_sats, per_sat, n_st, seed = (int(a) for a in sys.argv[1:5])
rng = np.random.default_rng(seed)
t0 = datetime(2026, 12, 2, tzinfo=UTC)
n = n_sats * per_sat
start = rng.uniform(0, 86400 - 600, n)
dur = rng.uniform(60, 600, n)
st = rng.integers(0, n_st, n)
key = rng.uniform(1e3, 1e6, n)
cands = [Candidate(f"r{j:05d}", f"r{j:05d}", f"g{st[j]:02d}", f"s{j // per_sat:03d}", t0 + timedelta(seconds=float(start[j])),
                   t0 + timedelta(seconds=float(start[j] + dur[j])), float(key[j])) for j in range(n)]
res = Resources(default_setup_s=120.0, default_repoint_s=60.0)
dense = sum(np.count_nonzero(st == k) ** 2 for k in range(n_st)) + sum(per_sat ** 2 for _ in range(n_sats))
t = time.perf_counter()
plan = plan_schedule(cands, res, time_limit_s=120)
rows = Problem(cands, res).capacity_matrix()[0]
print(time.perf_counter() - t, n, rows.shape[0], rows.nnz, len(plan.links), plan.solver.status,
      dense, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)
"""


def memory(n_sats: int = 750, per_sat: int = 80, n_st: int = 10, seed: int = 21) -> None:
    # through a small launcher: on Linux a forked child starts with its parent's peak resident
    # memory (ru_maxrss survives fork and exec), and this process may hold the old path's plans
    launcher = "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)"
    got = subprocess.run([sys.executable, "-c", launcher, sys.executable, "-c", _MEMORY_CHILD, str(n_sats),
                          str(per_sat), str(n_st), str(seed)], capture_output=True, text=True, check=True).stdout.split()
    secs, n, rows, nnz, links, status, dense, mb = got
    print(f"3. {int(n):,} synthetic candidates ({n_sats} satellites x {per_sat} requests over {n_st} stations, one "
          f"day): planned in {float(secs):.1f} s ({status}, {links} links); {int(rows):,} capacity rows, "
          f"{int(nnz):,} nonzeros; peak resident memory {float(mb):.0f} MB (goal < 1024 MB); the dense n x n "
          f"masks of the old rows: {int(dense) / 1e9:.2f} GB per boolean temporary (one byte per pair of a "
          f"resource's candidates; three such temporaries per resource)")


def week(days: float) -> None:
    from passplan import Constraints, select_stations
    from passplan.elements import demo_fleet_path, load_file
    from passplan.schedule import plan_schedule
    from passplan.schedule.run import resources_for, schedule_passes

    t0 = T0
    sats = load_file(demo_fleet_path(), t0)
    stations = select_stations(STATIONS)
    t = time.perf_counter()
    run = schedule_passes(sats, stations, t0, t0 + timedelta(days=days), Constraints(darkness="station"), handover=True)
    total = time.perf_counter() - t
    p = run.plan
    s = p.solver
    print(f"4. {len(sats)} satellites x {len(stations)} stations x {days:g} days: {len(run.forecasts)} passes, "
          f"{len(run.candidates)} candidates ({sum(c.handover for c in run.candidates)} hand-over sub-windows)")
    print(f"   times: passes {run.seconds['passes']:.1f} s, forecasts and sub-windows {run.seconds['forecast']:.1f} s "
          f"({1000 * run.seconds['forecast'] / max(1, len(run.forecasts)):.0f} ms a pass), "
          f"solve (and the hand-over gain's LP) {run.seconds['solve']:.2f} s; total {total:.1f} s")
    print(f"   MILP: {s.status}, objective {s.objective:.4g} bits, dual bound {s.dual_bound}, gap {s.gap}, "
          f"{s.nodes} nodes, {s.seconds:.3f} s, {s.blocks} block(s) (rolling horizon)")
    for b in p.baselines:
        ratio = s.objective / b.objective if b.objective > 0 else float("inf")
        print(f"     vs {b.method}: {b.objective:.4g} bits -> MILP / greedy = {ratio:.3f}")
    t = time.perf_counter()
    whole = plan_schedule(run.candidates, resources_for(stations), rolling_days=days + 1, time_limit_s=120)
    w = whole.solver
    print(f"   one MILP over the whole window: {w.status}, objective {w.objective:.4g}, dual bound {w.dual_bound:.4g}, "
          f"gap {w.gap}, {w.nodes} nodes, {time.perf_counter() - t:.2f} s; rolling / whole = {s.objective / w.objective:.5f}")
    print(f"   hand-over gain: {run.handover_gain_bits}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2, help="CLI runs of each command (the best is reported)")
    ap.add_argument("--baseline", default=BASELINE, help="git ref of the old schedule package")
    ap.add_argument("--skip-cli", action="store_true")
    ap.add_argument("--skip-old", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--week", action="store_true", help="also the 6-station demo week (section 4)")
    ap.add_argument("--days", type=float, default=7.0, help="days of the week run")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if not args.skip_cli:
            cli_ratio(folder, args.repeat)
        if not args.skip_old:
            old_vs_new(folder, args.baseline)
        if not args.skip_memory:
            memory()
        if args.week:
            week(args.days)


if __name__ == "__main__":
    main()
