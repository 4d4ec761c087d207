"""Start-up time: ``passplan --help`` against importing what any passplan command needs.

The reference is ``python -c "import numpy, skyfield.api, typer"`` (the floor a pass search
cannot go below), timed in the same run, interleaved with the command, each a fresh process.
Goal: ``passplan --help`` within 2x of it. Also times ``passplan stations list`` and reports
which heavy packages each command loaded.

Run: ``python bench/bench_startup.py [--repeats N]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HEAVY = ("numpy", "skyfield", "sgp4", "scipy", "matplotlib", "rich")


def _command(args: list[str]) -> list[str]:
    """The installed ``passplan`` console script (beside this interpreter), else the same entry
    point through ``-c``."""
    script = Path(sys.executable).with_name("passplan")
    if script.exists() or shutil.which("passplan"):
        return [str(script if script.exists() else shutil.which("passplan")), *args]
    return [sys.executable, "-c", "from passplan.cli import main; main()", *args]


def _time(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def _heavy_loaded(args: list[str]) -> list[str]:
    code = (
        "import json, sys\nsys.argv = ['passplan', *sys.argv[1:]]\nfrom passplan.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"sys.stderr.write('\\n@@' + json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return json.loads(out.stderr.rsplit("\n@@", 1)[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7, help="runs of each command (median reported)")
    args = ap.parse_args()

    cases = {
        "import numpy, skyfield.api, typer": [sys.executable, "-c", "import numpy, skyfield.api, typer"],
        "passplan --help": _command(["--help"]),
        "passplan stations list": _command(["stations", "list"]),
    }
    for cmd in cases.values():  # warm the file cache and the bytecode caches
        _time(cmd)
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(args.repeats):
        for name, cmd in cases.items():  # interleaved, so machine load hits every case alike
            times[name].append(_time(cmd))
    med = {k: statistics.median(v) for k, v in times.items()}
    base = med["import numpy, skyfield.api, typer"]
    print(f"start-up, median of {args.repeats} runs each (fresh processes, interleaved):")
    for name, m in med.items():
        spread = f"{min(times[name]):.3f}-{max(times[name]):.3f}"
        print(f"  {name:36s} {m:6.3f} s  (range {spread} s)  {m / base:4.2f}x the import floor")
    for name, argv in (("passplan --help", ["--help"]), ("passplan stations list", ["stations", "list"])):
        print(f"  heavy packages loaded by {name}: {', '.join(_heavy_loaded(argv)) or 'none'}")
    ratio = med["passplan --help"] / base
    print(f"passplan --help is {ratio:.2f}x `import numpy, skyfield.api, typer` (goal: at most 2x): "
          f"{'met' if ratio <= 2.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
