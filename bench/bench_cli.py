"""The CLI as a whole: ``passplan passes ... --format json`` in a fresh process against a Skyfield
``find_events`` loop over the same satellite-station pairs; and a week as NDJSON to a file, with
the child's peak memory.

Scene (written to a temporary folder, so nothing is stale and nothing is downloaded):
N satellites in a Walker-delta 53 deg constellation at 550 km (a designed constellation TOML,
``--sats FILE``) x M stations at seeded random places between 60 S and 60 N, 10 deg minimum
elevation (a generated station TOML, ``--stations FILE``) x 1 day from 2026-11-23T00:00Z.

The CLI time is wall time of the whole ``passplan`` process: start-up, element building, the
search, the records and the JSON written to a file. The Skyfield loop (one
``EarthSatellite.find_events`` per pair, events alone; and the azimuth/elevation/range look-ups
at the events that a pass table needs, timed apart) runs here on a seeded random subset of
the pairs, and its time is scaled by (all pairs / subset pairs): the output says so. Wall time
and CPU time (the child's user + system time; this process's for the loop) are both reported:
on a machine shared with other work, CPU time is the fairer comparison.
The week run writes NDJSON to a file; its peak resident memory is the child's
``ru_maxrss`` (read by a small parent process that runs only that child).

Goals (issue 7): CLI at least 20x the find_events loop at 1,000 x 50 x 1 day; the week within
1.5 GB. ``--quick`` runs 200 x 20 (a minute or so).

Run: ``python bench/bench_cli.py [--quick] [--sats N] [--stations M] [--pairs K] [--week-days D]``
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

T0 = datetime(2026, 11, 23, tzinfo=UTC)
MIN_EL_DEG = 10.0

# Runs argv[2:] as its only child, stdout to the file argv[1]; prints the exit code, wall seconds,
# the child's CPU seconds (user + system) and its peak resident memory in KiB (Linux ru_maxrss).
_RUNNER = """
import resource, subprocess, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
t = time.perf_counter()
with open(out, "w") as fh:
    rc = subprocess.run(cmd, stdout=fh, stderr=subprocess.DEVNULL).returncode
wall = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(rc, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss)
"""


def _planes(n: int) -> int:
    """Planes for an n-satellite Walker pattern: the divisor of n nearest 1.26 sqrt(n) (40 for 1000)."""
    target = 1.26 * math.sqrt(n)
    return min((d for d in range(1, n + 1) if n % d == 0), key=lambda d: (abs(d - target), d))


def write_scene(folder: Path, n_sats: int, n_stations: int, seed: int) -> tuple[Path, Path]:
    """The constellation TOML and the station TOML of the scene."""
    planes = _planes(n_sats)
    fleet = folder / "fleet.toml"
    fleet.write_text(
        '[constellation]\nname = "bench"\n\n[[walker]]\nname = "BENCH"\naltitude_km = 550.0\n'
        f"inclination_deg = 53.0\nplanes = {planes}\nper_plane = {n_sats // planes}\nphasing = 1\n"
    )
    rng = random.Random(seed)
    stations = folder / "stations.toml"
    stations.write_text(
        "".join(
            f"[stations.st{i:03d}]\nlat_deg = {rng.uniform(-60.0, 60.0):.4f}\n"
            f"lon_deg = {rng.uniform(-180.0, 180.0):.4f}\nalt_m = {rng.uniform(0.0, 2000.0):.0f}\n"
            f'timezone = "UTC"\nmin_elevation_deg = {MIN_EL_DEG}\n\n'
            for i in range(n_stations)
        )
    )
    return fleet, stations


def run_cli(folder: Path, fleet: Path, stations: Path, days: float, fmt: str, out: Path) -> tuple[float, float, float]:
    """Run ``passplan passes`` as a child of a small runner; (wall s, CPU s, peak RSS in MiB)."""
    passplan = Path(sys.executable).with_name("passplan")
    entry = [str(passplan)] if passplan.exists() else [sys.executable, "-c", "from passplan.cli import main; main()"]
    cmd = [*entry, "passes", "--sats", str(fleet), "--stations", str(stations),
           "--start", T0.strftime("%Y-%m-%dT%H:%MZ"), "--days", f"{days:g}", "--format", fmt]
    res = subprocess.run([sys.executable, "-c", _RUNNER, str(out), *cmd], capture_output=True, text=True, check=True)
    rc, wall, cpu, rss_kib = res.stdout.split()
    if int(rc) != 0:
        raise SystemExit(f"passplan exited with {rc}: {' '.join(cmd)}")
    return float(wall), float(cpu), int(rss_kib) / 1024.0


def skyfield_loop(fleet: Path, stations: Path, hours: float, n_pairs: int, seed: int) -> dict[str, object]:
    """One find_events per pair on a seeded random subset of the pairs (events, then look-ups)."""
    import numpy as np
    from skyfield.api import EarthSatellite, wgs84

    from passplan.designed import load_constellation
    from passplan.stations import select_stations
    from passplan.times import timescale

    sats = load_constellation(fleet, T0)
    sts = select_stations((), [stations])
    pairs = [(i, j) for i in range(len(sats)) for j in range(len(sts))]
    subset = random.Random(seed).sample(pairs, min(n_pairs, len(pairs)))
    ts = timescale()
    tt0, tt1 = ts.from_datetime(T0), ts.from_datetime(T0 + timedelta(hours=hours))
    EarthSatellite.from_satrec(sats[0].satrec, ts).find_events(  # warm-up outside the timing
        wgs84.latlon(0.0, 0.0), tt0, tt0 + 0.05, altitude_degrees=MIN_EL_DEG
    )
    t_events = t_lookup = c_events = c_lookup = 0.0
    rises: dict[tuple[str, str], int] = {}
    for i, j in subset:
        t, c = time.perf_counter(), time.process_time()
        es = EarthSatellite.from_satrec(sats[i].satrec, ts)
        topos = wgs84.latlon(sts[j].lat_deg, sts[j].lon_deg, elevation_m=sts[j].alt_m)
        tev, ev = es.find_events(topos, tt0, tt1, altitude_degrees=MIN_EL_DEG)
        t_events += time.perf_counter() - t
        c_events += time.process_time() - c
        t, c = time.perf_counter(), time.process_time()
        if len(tev):
            (es - topos).at(tev).altaz()
        t_lookup += time.perf_counter() - t
        c_lookup += time.process_time() - c
        rises[(sats[i].name, sts[j].id)] = int(np.sum(ev == 0))
    scale = len(pairs) / len(subset)
    return {
        "pairs": len(pairs),
        "subset": len(subset),
        "scale": scale,
        "events_s": t_events * scale,
        "with_lookups_s": (t_events + t_lookup) * scale,
        "events_cpu_s": c_events * scale,
        "with_lookups_cpu_s": (c_events + c_lookup) * scale,
        "rises": rises,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="200 satellites x 20 stations, 40 sampled pairs")
    ap.add_argument("--sats", type=int, default=None, help="satellites (default 1000; quick 200)")
    ap.add_argument("--stations", type=int, default=None, help="stations (default 50; quick 20)")
    ap.add_argument("--days", type=float, default=1.0, help="window of the speed run (days)")
    ap.add_argument("--week-days", type=float, default=7.0, help="window of the memory run (days; 0 skips it)")
    ap.add_argument("--pairs", type=int, default=None, help="pairs timed with find_events (default 100; quick 40)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    n_sats = args.sats or (200 if args.quick else 1000)
    n_st = args.stations or (20 if args.quick else 50)
    n_pairs = args.pairs or (40 if args.quick else 100)

    with tempfile.TemporaryDirectory(prefix="passplan-bench-") as tmp:
        folder = Path(tmp)
        fleet, stations = write_scene(folder, n_sats, n_st, args.seed)
        print(f"scene: {n_sats} satellites (Walker 53 deg, 550 km) x {n_st} stations, min elevation "
              f"{MIN_EL_DEG:g} deg, from {T0:%Y-%m-%d}")

        out = folder / "passes.json"
        wall, cpu, rss = run_cli(folder, fleet, stations, args.days, "json", out)
        records = json.loads(out.read_text())
        print(f"CLI  passplan passes ... --days {args.days:g} --format json > file: {wall:.1f} s wall, "
              f"{cpu:.1f} s CPU, {len(records)} passes, {out.stat().st_size / 1e6:.0f} MB, peak {rss:.0f} MiB")

        sky = skyfield_loop(fleet, stations, args.days * 24.0, n_pairs, args.seed)
        print(f"Skyfield find_events loop: timed on {sky['subset']} random pairs (seed {args.seed}) of "
              f"{sky['pairs']}, scaled by {sky['scale']:.0f} to all pairs: {sky['events_s']:.0f} s wall "
              f"({sky['events_cpu_s']:.0f} s CPU) events alone, {sky['with_lookups_s']:.0f} s wall "
              f"({sky['with_lookups_cpu_s']:.0f} s CPU) with az/el/range look-ups at the events")
        ours: dict[tuple[str, str], int] = {}
        for r in records:
            if r["cut_start_by"] != "window":  # the pass rises inside the window
                key = (r["satellite"], r["station"])
                ours[key] = ours.get(key, 0) + 1
        rises = sky["rises"]
        assert isinstance(rises, dict)
        same = sum(ours.get(k, 0) == v for k, v in rises.items())
        print(f"  check on the sampled pairs: {sum(rises.values())} Skyfield rises, "
              f"{sum(ours.get(k, 0) for k in rises)} passplan passes rising in the window; equal counts on {same} "
              f"of {len(rises)} pairs")
        ratio = float(sky["events_s"]) / wall  # type: ignore[arg-type]
        ratio_cpu = float(sky["events_cpu_s"]) / cpu  # type: ignore[arg-type]
        print(f"CLI speed-up over the find_events loop, events alone: {ratio:.1f}x wall, {ratio_cpu:.1f}x CPU "
              f"time; with look-ups: {float(sky['with_lookups_s']) / wall:.1f}x wall, "  # type: ignore[arg-type]
              f"{float(sky['with_lookups_cpu_s']) / cpu:.1f}x CPU (goal at least 20x; CPU time is the fairer "  # type: ignore[arg-type]
              f"figure on a shared machine): {'met' if min(ratio, ratio_cpu) >= 20 else 'NOT met'}")
        del records

        if args.week_days > 0:
            out = folder / "week.ndjson"
            wall, cpu, rss = run_cli(folder, fleet, stations, args.week_days, "ndjson", out)
            with out.open("rb") as fh:
                lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
            print(f"CLI  --days {args.week_days:g} --format ndjson > file: {wall:.1f} s wall, {cpu:.1f} s CPU, {lines} passes, "
                  f"{out.stat().st_size / 1e6:.0f} MB; peak memory of the child {rss:.0f} MiB "
                  f"(goal within 1.5 GB = 1536 MiB): {'met' if rss <= 1536 else 'NOT met'}")


if __name__ == "__main__":
    main()
