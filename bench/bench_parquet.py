"""A big pass campaign as Parquet against NDJSON: file size and write time, as ratios.

Scene (issue 20; the week of bench/bench_cli.py): a Walker-delta 53 deg constellation at 550 km
(1,000 satellites by default) x 50 seeded random stations (min elevation 10 deg) x 7 days, from
2026-11-23. ``passplan passes --format ndjson -o FILE`` and ``--format parquet -o FILE`` run
as child processes of a small runner that reports wall time, CPU time and peak resident memory;
both stream the search block by block, so the difference between the two is the writing. The
script prints the sizes, the times, the peak memory and the ratios Parquet / NDJSON, and checks
that the Parquet file holds as many rows as the NDJSON file has lines.

Run: ``python bench/bench_parquet.py [--sats N] [--stations M] [--days D]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cli import T0, write_scene  # noqa: E402  (the same scene as the CLI benchmark)

_RUNNER = r"""
import resource, subprocess, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
t, c0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
rc = subprocess.run(cmd + ["--output", out]).returncode
wall = time.perf_counter() - t
c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
print(rc, wall, (c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime), c1.ru_maxrss)
"""


def run(fleet: Path, stations: Path, days: float, fmt: str, out: Path) -> tuple[float, float, float]:
    """``passplan passes ... --format FMT --output OUT`` in a child; (wall s, CPU s, peak MiB)."""
    passplan = Path(sys.executable).with_name("passplan")
    entry = [str(passplan)] if passplan.exists() else [sys.executable, "-c", "from passplan.cli import main; main()"]
    cmd = [*entry, "passes", "--sats", str(fleet), "--stations", str(stations),
           "--start", T0.strftime("%Y-%m-%dT%H:%MZ"), "--days", f"{days:g}", "--format", fmt]
    res = subprocess.run([sys.executable, "-c", _RUNNER, str(out), *cmd], capture_output=True, text=True, check=True)
    rc, wall, cpu, rss_kib = res.stdout.split()
    if int(rc) != 0:
        raise SystemExit(f"passplan exited with {rc}: {' '.join(cmd)}\n{res.stderr}")
    return float(wall), float(cpu), int(rss_kib) / 1024.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sats", type=int, default=1000)
    ap.add_argument("--stations", type=int, default=50)
    ap.add_argument("--days", type=float, default=7.0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory(prefix="passplan-bench-") as tmp:
        folder = Path(tmp)
        fleet, stations = write_scene(folder, args.sats, args.stations, args.seed)
        print(f"scene: {args.sats} satellites (Walker 53 deg, 550 km) x {args.stations} stations x {args.days:g} days "
              f"from {T0:%Y-%m-%d}")
        nd, pa = folder / "week.ndjson", folder / "week.parquet"
        nd_wall, nd_cpu, nd_rss = run(fleet, stations, args.days, "ndjson", nd)
        with nd.open("rb") as fh:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
        nd_mib = nd.stat().st_size / 2**20
        print(f"NDJSON : {lines} passes, {nd_mib:.1f} MiB, {nd_wall:.1f} s wall, {nd_cpu:.1f} s CPU, peak {nd_rss:.0f} MiB")
        nd.unlink()
        pa_wall, pa_cpu, pa_rss = run(fleet, stations, args.days, "parquet", pa)
        meta = pq.ParquetFile(pa).metadata
        pa_mib = pa.stat().st_size / 2**20
        print(f"Parquet: {meta.num_rows} rows in {meta.num_row_groups} row groups, {pa_mib:.1f} MiB, {pa_wall:.1f} s wall, "
              f"{pa_cpu:.1f} s CPU, peak {pa_rss:.0f} MiB")
        assert meta.num_rows == lines, (meta.num_rows, lines)
        print(f"Parquet / NDJSON: size {pa_mib / nd_mib:.3f} ({nd_mib / pa_mib:.1f}x smaller), wall time "
              f"{pa_wall / nd_wall:.2f}, CPU time {pa_cpu / nd_cpu:.2f}, peak memory {pa_rss / nd_rss:.2f}")


if __name__ == "__main__":
    main()
