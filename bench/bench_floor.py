"""The pass engine against the floor any grid engine pays, in CPU time, in one run.

Two floors, both measured here in the same run:

- **The issue's floor** (the goal's yardstick): what issue 21 measured as "one ``SatrecArray``
  evaluation of 1,000 satellites on a 60 s grid plus every station's elevation in numpy" (2.8 s
  CPU on this machine when the issue was filed, the CLI then 6.5 s, 2.3x). Here written the
  obvious way: one ``SatrecArray`` call over both axes, the TEME to Earth-fixed rotation (GMST
  1982) over the whole array, then for each station the offset from the station, its east, north,
  up components by the station's rotation matrix and the elevation as ``arctan2(up,
  hypot(east, north))``.
- **The tuned floor** (stricter than the issue asked; this project's own): the same SGP4 call and
  rotation, with each elevation from the up-vector projection and the range by expansion
  (``|p|^2 - 2 p.s + |s|^2``), ``arcsin``, chunked over satellites so temporaries stay in cache:
  about a third of the issue's floor. Nothing else in either: no rise/set, no refinement, no
  record, no text.

Both floors run numpy's BLAS as the CLI does (one thread unless the caller's environment says
otherwise: ``passplan.cli.BLAS_THREAD_VARIABLES``), so the two sides compare like with like (one
thread saves the floors about 0.1 s of CPU, the CLI about 0.45 s).

Each floor is measured twice: its computation alone (CPU time inside the process), and as a
fresh process that pays what the CLI pays before its search (Python start-up, the imports,
building the same satellites from the same TOML). Ratios are taken against the second (both
sides then do the same job from the same files); all are printed.

Engine: the whole ``passplan passes`` CLI in a fresh child process (start-up, element building,
the search, the records, the text), NDJSON written to a temporary file; its CPU time is the
child's user + system time. Scene: bench_cli's (a Walker 53 deg constellation at 550 km from a
designed-constellation TOML x seeded random stations between 60 S and 60 N, 10 deg floor) x 1
day from 2026-11-23. The ratio engine / the issue's floor is the figure (goal: within 1.6x at
1,000 x 50); the ratio to the tuned floor is printed beside it.

Before timing, the package is byte-compiled (``compileall``) so that both sides import it as an
installed package does (with ``PYTHONDONTWRITEBYTECODE`` set, as on some machines, every run
would otherwise compile passplan's modules from source: about 0.1 s for the CLI).

``--big`` adds the mega-constellation case: 10,000 satellites (Starlink-sized) x 20 stations x
1 day through the same CLI, its wall time, CPU time and peak resident memory (goal: under a
minute and under 1 GB), plus the tuned floor of that scene.

``--compare DIR`` times the same CLI from another source tree in the same run (a git worktree
of main, say: ``git worktree add /tmp/main main``), with its output compared byte for byte.

Run: ``python bench/bench_floor.py [--sats N] [--stations M] [--days D] [--repeat K] [--big] [--compare DIR]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cli import _RUNNER, T0, run_cli, write_scene  # noqa: E402

FLOOR_STEP_S = 60.0
#: satellite x station x time values per chunk of the floor's elevations (memory, assumed)
_CHUNK = 4_000_000


def floor_cpu(fleet: Path, stations: Path, days: float, kind: str = "tuned") -> dict[str, float]:
    """CPU seconds of a floor (``kind``: "issue" or "tuned", see the module) for the scene;
    element building is not timed."""
    from sgp4.api import SatrecArray
    from skyfield.sgp4lib import theta_GMST1982

    from passplan.designed import load_constellation
    from passplan.geometry import enu_matrices, station_ecef_km
    from passplan.stations import select_stations
    from passplan.times import timescale

    sats = load_constellation(fleet, T0)
    sts = select_stations((), [stations])
    ts = timescale()
    n_t = int(round(days * 86400.0 / FLOOR_STEP_S)) + 1
    secs = np.arange(n_t) * FLOOR_STEP_S
    t = ts.from_datetime(T0)
    jd0, fr0 = float(t.whole), float(t.tai_fraction - t._leap_seconds() / 86400.0)
    fr = fr0 + secs / 86400.0
    jd = np.full(n_t, jd0)
    dut1 = float(ts.from_datetime(T0 + timedelta(days=days / 2)).dut1)
    lat = np.array([s.lat_deg for s in sts])
    lon = np.array([s.lon_deg for s in sts])
    alt = np.array([s.alt_m for s in sts])
    sta = station_ecef_km(lat, lon, alt)
    rot = enu_matrices(lat, lon)  # (nsta, 3, 3): rows east, north, up
    up = rot[:, 2, :]
    up_off = np.einsum("kj,kj->k", up, sta)
    sta2 = np.einsum("kj,kj->k", sta, sta)
    chunk = max(1, _CHUNK // (len(sts) * n_t))
    group = 1000  # satellites per SatrecArray call (memory; the C loop is the same)
    arrays = [SatrecArray([s.satrec for s in sats[a : a + group]]) for a in range(0, len(sats), group)]
    sgp4_s = 0.0
    visible = 0
    c0 = time.process_time()
    theta, _ = theta_GMST1982(jd, fr + dut1 / 86400.0)
    c, s = np.cos(theta), np.sin(theta)
    for arr in arrays:
        c1 = time.process_time()
        err, r, _ = arr.sgp4(jd, fr)
        sgp4_s += time.process_time() - c1
        x = c * r[..., 0] + s * r[..., 1]
        y = -s * r[..., 0] + c * r[..., 1]
        ecef = np.stack([x, y, r[..., 2]], axis=-1)  # (nsat, nt, 3)
        del r
        if kind == "issue":  # the obvious numpy: each station's offset, its ENU, arctan2
            for k in range(len(sts)):
                enu = (ecef - sta[k]) @ rot[k].T
                el = np.degrees(np.arctan2(enu[..., 2], np.hypot(enu[..., 0], enu[..., 1])))
                visible += int(np.count_nonzero(el > 10.0))
            continue
        for a in range(0, ecef.shape[0], chunk):
            p = ecef[a : a + chunk]
            u = p @ up.T - up_off
            rng = np.sqrt(np.einsum("...i,...i->...", p, p)[..., None] - 2.0 * (p @ sta.T) + sta2)
            el = np.degrees(np.arcsin(np.clip(u / rng, -1.0, 1.0)))
            visible += int(np.count_nonzero(el > 10.0))
    c2 = time.process_time()
    return {"sgp4_s": sgp4_s, "total_s": c2 - c0, "grid_points": float(n_t), "visible_samples": float(visible)}


def floor_child(fleet: Path, stations: Path, days: float, out: Path, kind: str = "tuned") -> tuple[float, dict[str, float]]:
    """A floor as a fresh process pays it (start-up, imports, the same element building as
    the CLI, then :func:`floor_cpu`): the child's CPU seconds, and its own figures."""
    import json
    import os
    import subprocess

    from passplan.cli import BLAS_THREAD_VARIABLES

    cmd = [sys.executable, __file__, "--child", str(fleet), str(stations), f"{days:g}", kind]
    # BLAS as the CLI runs it (one thread unless the caller set otherwise): like against like
    env = {**{name: "1" for name in BLAS_THREAD_VARIABLES}, **os.environ}
    res = subprocess.run([sys.executable, "-c", _RUNNER, str(out), *cmd], capture_output=True, text=True, check=True,
                         env=env)
    rc, _, cpu, _ = res.stdout.split()
    if int(rc) != 0:
        raise SystemExit(f"the floor child exited with {rc}")
    return float(cpu), json.loads(out.read_text())


def run_cli_from(src: Path, fleet: Path, stations: Path, days: float, out: Path) -> tuple[float, float, float]:
    """:func:`bench_cli.run_cli` with the package imported from the source tree ``src`` (for a
    before/after comparison inside one run): (wall s, CPU s, peak RSS in MiB)."""
    import os
    import subprocess

    cmd = [sys.executable, "-c", "from passplan.cli import main; main()", "passes", "--sats", str(fleet),
           "--stations", str(stations), "--start", T0.strftime("%Y-%m-%dT%H:%MZ"), "--days", f"{days:g}",
           "--format", "ndjson"]
    env = dict(os.environ, PYTHONPATH=str(Path(src).resolve()))
    # run from the output's folder: ``python -c`` puts the working directory first on sys.path,
    # so from a source tree's root it would import that tree, not ``src``
    res = subprocess.run([sys.executable, "-c", _RUNNER, str(out), *cmd], capture_output=True, text=True, check=True,
                         env=env, cwd=out.parent)
    rc, wall, cpu, rss_kib = res.stdout.split()
    if int(rc) != 0:
        raise SystemExit(f"passplan from {src} exited with {rc}")
    return float(wall), float(cpu), int(rss_kib) / 1024.0


def _byte_compile(package: Path) -> None:
    """Byte-compile a source tree's package (see the module: both sides then import it as an
    installed package does)."""
    import compileall

    if package.is_dir():
        compileall.compile_dir(str(package), quiet=1)


def main() -> None:
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        import json

        print(json.dumps(floor_cpu(Path(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4]), sys.argv[5])))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sats", type=int, default=1000)
    ap.add_argument("--stations", type=int, default=50)
    ap.add_argument("--days", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=1, help="runs of each side (the least CPU time counts)")
    ap.add_argument("--big", action="store_true", help="also the mega-constellation case (10,000 x 20 x 1 day)")
    ap.add_argument("--big-sats", type=int, default=10_000)
    ap.add_argument("--big-stations", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--compare", type=Path, default=None,
                    help="another source tree of passplan (e.g. a git worktree of main) whose CLI is timed in the same run")
    args = ap.parse_args()

    _byte_compile(Path(__file__).resolve().parent.parent / "passplan")
    if args.compare is not None:
        _byte_compile(args.compare / "passplan")
    with tempfile.TemporaryDirectory(prefix="passplan-floor-") as tmp:
        folder = Path(tmp)
        fleet, stations = write_scene(folder, args.sats, args.stations, args.seed)
        print(f"scene: {args.sats} satellites (Walker 53 deg, 550 km) x {args.stations} stations x "
              f"{args.days:g} day from {T0:%Y-%m-%d}, 10 deg floor")
        floors = [floor_child(fleet, stations, args.days, folder / "floor.json") for _ in range(args.repeat)]
        child, fl = min(floors, key=lambda f: f[0])
        issue = [floor_child(fleet, stations, args.days, folder / "floor.json", "issue") for _ in range(args.repeat)]
        child_i, fl_i = min(issue, key=lambda f: f[0])
        if fl_i["visible_samples"] != fl["visible_samples"]:
            raise SystemExit("the two floors disagree on the visible samples")
        print(f"the issue's floor: SatrecArray on a {FLOOR_STEP_S:g} s grid ({fl_i['grid_points']:.0f} points) + "
              f"every station's elevation in numpy (ENU, arctan2): {fl_i['total_s']:.2f} s CPU (SGP4 alone "
              f"{fl_i['sgp4_s']:.2f} s); as a fresh process with the CLI's imports and element building: {child_i:.2f} s CPU")
        print(f"the tuned floor (up projection, range by expansion, chunked): {fl['total_s']:.2f} s CPU "
              f"(SGP4 alone {fl['sgp4_s']:.2f} s); as a fresh process: {child:.2f} s CPU")
        out = folder / "passes.ndjson"
        runs = [run_cli(folder, fleet, stations, args.days, "ndjson", out) for _ in range(args.repeat)]
        wall, cpu, rss = min(runs, key=lambda r: r[1])
        with out.open("rb") as fh:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
        ratio = cpu / child_i
        print(f"CLI passplan passes --format ndjson > file: {cpu:.2f} s CPU ({wall:.1f} s wall), {lines} passes, "
              f"{out.stat().st_size / 1e6:.0f} MB, peak {rss:.0f} MiB")
        print(f"engine / the issue's floor, CPU time, both fresh processes: {ratio:.2f}x (goal within 1.6x): "
              f"{'met' if ratio <= 1.6 else 'NOT met'}; against its computation alone: {cpu / fl_i['total_s']:.2f}x")
        print(f"engine / the tuned floor, both fresh processes: {cpu / child:.2f}x; against its computation "
              f"alone: {cpu / fl['total_s']:.2f}x")
        if args.compare is not None:
            other = folder / "compare.ndjson"
            runs = [run_cli_from(args.compare, fleet, stations, args.days, other) for _ in range(args.repeat)]
            wall_c, cpu_c, rss_c = min(runs, key=lambda r: r[1])
            same = other.read_bytes() == out.read_bytes()
            print(f"the same CLI from {args.compare}: {cpu_c:.2f} s CPU ({wall_c:.1f} s wall), peak {rss_c:.0f} MiB: "
                  f"{cpu_c / child_i:.2f}x the issue's floor, {cpu_c / child:.2f}x the tuned one; this tree takes {cpu / cpu_c:.2f}x its CPU time; output "
                  f"{'byte-identical' if same else 'DIFFERENT'}")

        if args.big:
            fleet, stations = write_scene(folder, args.big_sats, args.big_stations, args.seed)
            print(f"\nbig scene: {args.big_sats} satellites x {args.big_stations} stations x 1 day")
            child, fl = floor_child(fleet, stations, 1.0, folder / "floor.json")
            out = folder / "big.ndjson"
            wall, cpu, rss = run_cli(folder, fleet, stations, 1.0, "ndjson", out)
            with out.open("rb") as fh:
                lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
            if args.compare is not None:
                other = folder / "big_compare.ndjson"
                wall_c, cpu_c, rss_c = run_cli_from(args.compare, fleet, stations, 1.0, other)
                print(f"the same CLI from {args.compare}: {wall_c:.1f} s wall, {cpu_c:.1f} s CPU, peak {rss_c:.0f} MiB; "
                      f"output {'byte-identical' if other.read_bytes() == out.read_bytes() else 'DIFFERENT'}")
            ok = wall < 60.0 and rss < 1024.0
            print(f"floor {child:.1f} s CPU as a process ({fl['total_s']:.1f} s computing); CLI {wall:.1f} s wall, "
                  f"{cpu:.1f} s CPU ({cpu / child:.2f}x the floor), {lines} passes, peak {rss:.0f} MiB "
                  f"(goal under 60 s and under 1024 MiB): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
