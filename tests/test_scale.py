"""Parallel runs (issue 21, part 2): the worker environment, reused pools and clusters, and a
task plan that gives every worker balanced work without changing a cell."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime

import numpy as np
import pytest

import passplan.scale as scale
from passplan.coverage import CoverageConstraints, Grid, coverage
from passplan.coverage.run import TASKS_PER_WORKER, balanced_bands, plan_tasks, row_work
from passplan.designed import walker_delta
from passplan.scale import WORKER_ENVIRON, _local_cluster, _pool, run_tasks

T0 = datetime(2026, 12, 2, tzinfo=UTC)


def _env(_: object) -> dict[str, str]:
    return dict(os.environ)


def _tuned(_: object) -> bool:
    return scale.worker_malloc_tuned


def _profiling(_: object) -> bool:
    import dask

    return bool(dask.config.get("distributed.worker.profile.enabled"))


class _MallInfo2(ctypes.Structure):  # glibc >= 2.33, <malloc.h>
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost"
    )]


_CONTROL = """import ctypes, numpy as np
class M(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks".split()]
libc = ctypes.CDLL("libc.so.6"); libc.mallinfo2.restype = M
before = libc.mallinfo2().hblkhd; held = np.ones(2 * 2**20); print(libc.mallinfo2().hblkhd - before)
"""


def _mapped_for_16_mib(_: object) -> tuple[bool, int]:
    """Whether this process's allocator was tuned, and how many bytes glibc serves by ``mmap``
    (its own count, mallinfo2().hblkhd) more while a 16 MiB array is held than before: all of
    it in a fresh process with glibc's defaults (above the initial 128 KiB threshold), none from
    a heap grown by M_TOP_PAD below the fixed 32 MiB threshold."""
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _MallInfo2
    before = libc.mallinfo2().hblkhd
    held = np.ones(2 * 2**20)  # 16 MiB
    during = libc.mallinfo2().hblkhd
    del held
    return scale.worker_malloc_tuned, int(during) - int(before)


def test_local_dask_workers_get_no_trim_threshold_and_the_caller_keeps_its_environment() -> None:
    pytest.importorskip("distributed", reason="the dask extra is not installed")
    before = dict(os.environ)
    seen = list(run_tasks(_env, [0, 1, 2, 3], scheduler="local", workers=2))
    assert dict(os.environ) == before  # nothing leaked into the caller
    for env in seen:
        assert "MALLOC_TRIM_THRESHOLD_" not in env or env["MALLOC_TRIM_THRESHOLD_"] == before.get("MALLOC_TRIM_THRESHOLD_")
        for k, v in WORKER_ENVIRON.items():
            assert env[k] == v
    # a later process pool does not inherit Dask's setting either
    pooled = list(run_tasks(_env, [0, 1], workers=2))
    assert all(e.get("MALLOC_TRIM_THRESHOLD_") == before.get("MALLOC_TRIM_THRESHOLD_") for e in pooled)
    # every Dask worker tuned its allocator as it started (the caller did not)
    assert list(run_tasks(_tuned, [0, 1], scheduler="local", workers=2)) == [True, True] or not scale._is_glibc()
    assert not scale.worker_malloc_tuned
    # ... and runs without Dask's statistical profiler (no dashboard pages to feed)
    assert list(run_tasks(_profiling, [0, 1], scheduler="local", workers=2)) == [False, False]
    # the cluster and the pool are reused by the next call
    assert _local_cluster(2) is _local_cluster(2)
    assert _pool(2) is _pool(2)
    assert dict(os.environ) == before
    # every port the cluster opens is an ephemeral one on the loopback (no :8787 dashboard)
    sched = _local_cluster(2).cluster.scheduler
    http = sched.http_server
    socks = [sock.getsockname() for sock in http._sockets.values()]
    assert socks and all(host == "127.0.0.1" and port != 8787 for host, port, *_ in socks), socks


def test_balanced_bands_split_work_evenly_and_respect_the_memory_bound() -> None:
    work = np.array([1.0, 1, 1, 10, 10, 1, 1, 1, 10, 10, 1, 1])
    bands = balanced_bands(work, 4, max_rows=12)
    assert [b.start for b in bands] == sorted(b.start for b in bands) and bands[0].start == 0
    assert bands[-1].stop == work.size and all(a.stop == b.start for a, b in zip(bands, bands[1:], strict=False))
    sums = [work[b].sum() for b in bands]
    assert len(bands) == 4 and max(sums) <= 0.25 * work.sum() + work.max()  # within one row of a quarter
    assert all(b.stop - b.start <= 2 for b in balanced_bands(work, 2, max_rows=2))


def test_plan_gives_each_worker_four_balanced_tasks() -> None:
    sats = walker_delta("w", T0, altitude_km=550, planes=4, per_plane=6, inclination_deg=53)
    grid = Grid(2.0)
    c = CoverageConstraints()
    tasks, parts = plan_tasks(sats, grid, T0, [(0.0, 2880)], 30.0, c, 16, 90, workers=4)
    assert parts == 1 and len(tasks) >= TASKS_PER_WORKER * 4 and all(t.whole for t in tasks)
    work = row_work(sats, grid, T0, c, 2880)
    rows = grid.lat_centres()
    shares = [work[np.isin(rows, t.chunks[0].rows_lat_deg)].sum() / work.sum() for t in tasks]
    assert max(shares) < 1.6 / len(tasks)  # no band carries much more than its share
    # a grid of few rows: the satellite groups are split as well, into parts of whole groups
    few, parts = plan_tasks(sats, Grid(30.0, lat0=-60, lat1=60), T0, [(0.0, 2880)], 30.0, c, 4, 90, workers=2)
    assert parts == 2 and len(few) == 8 and not any(t.whole for t in few)  # 4 bands x 2 parts
    assert sorted(ct.group for t in few if t.band == 0 for ct in t.chunks) == list(range(6))


def test_split_groups_and_pools_give_the_in_process_cells() -> None:
    sats = walker_delta("w", T0, altitude_km=550, planes=2, per_plane=2, inclination_deg=53)
    grid = Grid(30.0, lat0=-60.0, lat1=60.0)  # 4 rows: 2 workers need the groups split too
    kw = {"constraints": CoverageConstraints(darkness_deg=-12.0), "group_size": 1, "profile": "micius"}
    ref = coverage(sats, grid, T0, 0.5, **kw)
    pool = coverage(sats, grid, T0, 0.5, workers=2, **kw)
    assert np.nansum(ref.metrics["key_bits_per_day"]) > 0
    for k in ref.metrics:
        assert np.array_equal(ref.metrics[k], pool.metrics[k], equal_nan=True), k


def test_band_work_estimate_holds_against_every_sample() -> None:
    """The bands of a 2-worker plan carry about equal shares of the footprint candidates counted
    at every 30 s sample of the day (the work run_chunk does), not only at the estimate's
    30-minute probes."""
    from passplan.coverage.chunk import ChunkTask, _propagated, footprint_candidates

    sats = walker_delta("w", T0, altitude_km=550, planes=4, per_plane=6, inclination_deg=53)
    grid, c = Grid(5.0), CoverageConstraints()
    tasks, _ = plan_tasks(sats, grid, T0, [(0.0, 2880)], 30.0, c, 16, 90, workers=2)
    pos, err, _sun = _propagated(tuple(sats), T0, 2880, 30.0)
    full = ChunkTask(satellites=(), group=0, band=0, block=0, rows_lat_deg=grid.lat_centres(), lon0_deg=grid.lon0,
                     step_deg=grid.step_deg, n_lon=grid.n_lon, start=T0, n_samples=2880, step_s=30.0, constraints=c)
    per_row = np.zeros(grid.n_lat)
    for k in range(len(sats)):
        ci, _ = footprint_candidates(full, pos[k], err[k] == 0, np.radians(c.min_elevation_deg))
        per_row += np.bincount(ci // grid.n_lon, minlength=grid.n_lat)
    per_row += 0.25 * grid.n_lon * 2881  # the fixed cost per cell and sample the plan assumes
    rows = grid.lat_centres()
    shares = [per_row[np.isin(rows, t.chunks[0].rows_lat_deg)].sum() / per_row.sum() for t in tasks]
    assert len(tasks) == 8 and max(shares) < 1.5 / 8 and min(shares) > 0.5 / 8, shares


@pytest.mark.skipif(not (sys.platform.startswith("linux") and scale._is_glibc()), reason="glibc's mallopt only")
def test_pool_workers_keep_their_heap_and_the_caller_keeps_its_allocator() -> None:
    before = dict(os.environ)
    seen = list(run_tasks(_mapped_for_16_mib, [0, 1, 2], workers=2))
    assert all(tuned and mapped == 0 for tuned, mapped in seen), seen  # the workers' heap serves it
    assert dict(os.environ) == before and not scale.worker_malloc_tuned
    if not any(k.startswith("MALLOC_") for k in os.environ):  # the control: a fresh process, glibc's defaults
        out = subprocess.run([sys.executable, "-c", _CONTROL], capture_output=True, text=True, check=True).stdout
        assert int(out) >= 16 * 2**20


def test_pools_fork_only_from_a_single_threaded_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    if sys.platform.startswith("linux"):
        monkeypatch.setattr(threading, "active_count", lambda: 1)
        assert scale.pool_context().get_start_method() == "fork"
    monkeypatch.setattr(threading, "active_count", lambda: 3)  # e.g. a Dask client's threads
    got = scale.pool_context().get_start_method()
    assert got == ("forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn")
