"""Run independent tasks in-process, on a local process pool, or on a Dask cluster, and hand
the results back in task order (so that a reduction over them is the same however they ran).

* in-process (the default): a plain loop;
* ``workers=N``: ``concurrent.futures.ProcessPoolExecutor`` with N processes, at most ``2 N``
  tasks in flight so memory stays bounded (how they start: :func:`pool_context`);
* ``scheduler=ADDRESS``: a ``dask.distributed`` cluster (``tcp://host:port``), or ``"local"`` for
  a ``LocalCluster`` on 127.0.0.1 (ephemeral loopback ports, the scheduler's HTTP endpoint
  included; no dashboard pages). Dask is an optional extra
  (``pip install 'passplan[dask]'``). An unreachable scheduler fails within
  :data:`CONNECT_TIMEOUT_S`.

Pools and local clusters are started once per process and size and reused by later calls (a
notebook that runs ten studies pays the start-up once); :func:`close_pools` ends them (it also
runs at exit). A pool whose process died is dropped and the next call starts a new one.

Worker environment. Dask's nanny sets ``distributed.nanny.pre-spawn-environ`` in the *calling*
process's ``os.environ`` before it spawns a worker, and its default includes
``MALLOC_TRIM_THRESHOLD_=65536``: glibc then hands freed memory back to the kernel at every
64 KiB, and the large short-lived arrays of a numeric task fault their pages in again at every
allocation (about 34 % more CPU per coverage task measured here, issue 21); the setting then
leaks into the caller and into every process it spawns later. A local cluster here is started
with :data:`WORKER_ENVIRON` instead (one BLAS thread per worker, no trim threshold) and the
caller's ``os.environ`` is restored exactly once the workers are up. A remote cluster keeps its
own configuration.

Worker memory. A coverage task allocates and frees arrays of megabytes many times. glibc's
default serves blocks above a dynamic threshold (128 KiB rising to at most 32 MiB) with fresh
``mmap`` pages and gives the top of the heap back above twice that threshold, so every task
faults its pages in again (4,000 to 33,000 minor faults a band task here). Every pool and local
Dask worker therefore sets :data:`WORKER_MALLOC` with ``mallopt`` when it starts (a pool's
initializer, a Dask worker's preload: :func:`tune_worker_malloc`): blocks come from a heap grown
64 MiB at a time and kept, and the faults stop after a worker's first task. The settings are
made inside the workers only: neither the caller's allocator nor any environment changes.

Tasks and results travel by pickle: keep them plain (arrays, records, picklable satellites).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from .errors import InputError

__all__ = [
    "run_tasks", "CONNECT_TIMEOUT_S", "dask_available", "close_pools", "WORKER_ENVIRON", "WORKER_MALLOC",
    "tune_worker_malloc", "pool_context", "LOCAL_CLUSTER_CONFIG", "POOL_PRELOAD",
]

T = TypeVar("T")
R = TypeVar("R")
CONNECT_TIMEOUT_S = 5.0
#: The environment a local Dask worker is spawned with (on top of the caller's): one thread per
#: numeric library (tasks are single-threaded numpy; the workers are the parallelism), and no
#: ``MALLOC_TRIM_THRESHOLD_`` (glibc's default dynamic threshold). A fixed hash seed keeps
#: Dask's hashing consistent across workers, as its nanny would set.
WORKER_ENVIRON = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONHASHSEED": "6640"}

#: glibc ``mallopt`` settings of every pool and local Dask worker (see the module docstring;
#: glibc manual, "Malloc Tunable Parameters", and mallopt(3)): ``M_TOP_PAD`` 64 MiB (the heap
#: grows by that much at a time, so multi-megabyte arrays come from it rather than from ``mmap``),
#: ``M_TRIM_THRESHOLD`` 512 MiB (freed memory stays in the worker up to that much, i.e. up to the
#: peak of its tasks, bounded by CHUNK_BUDGET_BYTES in passplan.coverage.run) and
#: ``M_MMAP_THRESHOLD`` 32 MiB (glibc's largest value on 64-bit systems; setting any of the three
#: fixes the dynamic thresholds). Values: assumed, sized to the coverage tasks and checked by
#: bench/bench_coverage.py (fewer faults, less CPU per task, the same cells).
WORKER_MALLOC = {"M_TRIM_THRESHOLD": 512 * 2**20, "M_TOP_PAD": 64 * 2**20, "M_MMAP_THRESHOLD": 32 * 2**20}
_MALLOPT_PARAM = {"M_TRIM_THRESHOLD": -1, "M_TOP_PAD": -2, "M_MMAP_THRESHOLD": -3}  # glibc <malloc.h>
#: Whether this process's allocator was tuned (set in a worker by :func:`tune_worker_malloc`).
worker_malloc_tuned = False

#: Dask settings of a local cluster (the scheduler and nannies in the caller, the workers):
#: no statistical profiler in the workers (it samples the running task every 10 ms for dashboard
#: pages this cluster does not serve: 2 to 4 % of a worker's CPU here), the event loops' health
#: check every second instead of every 20 ms and the system monitor every 5 s instead of 0.5 s
#: (the idle CPU of the caller and two workers fell from 0.07 to 0.02 s per second here).
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
}

_LOCK = threading.Lock()
_POOLS: dict[int, Any] = {}  # workers -> ProcessPoolExecutor
_CLUSTERS: dict[int, tuple[Any, Any]] = {}  # workers -> (LocalCluster, Client)


def dask_available() -> bool:
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


def _check(workers: int | None, scheduler: str | None) -> None:
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise InputError(f"workers {workers!r}: give a whole number of processes >= 1")
    if workers is not None and scheduler is not None and scheduler != "local":
        raise InputError("give either workers (a local process pool) or scheduler (a Dask cluster), not both")


def parallelism(workers: int | None, scheduler: str | None) -> int:
    """How many tasks run at once: 1 in-process, ``workers`` for a pool or a local cluster (2
    by default), the worker count of a remote cluster (unknown before connecting: 16 assumed)."""
    if scheduler is None:
        return workers or 1
    if scheduler == "local":
        return workers or 2
    return 16


def run_tasks(
    fn: Callable[[T], R],
    tasks: Sequence[T],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[R]:
    """``fn(task)`` for every task, yielded in task order."""
    _check(workers, scheduler)
    total = len(tasks)
    if scheduler is not None:
        yield from _run_dask(fn, tasks, scheduler, workers, progress)
        return
    if workers is None:
        for k, t in enumerate(tasks):
            yield fn(t)
            if progress:
                progress(k + 1, total)
        return
    from concurrent.futures.process import BrokenProcessPool

    pool = _pool(workers)
    try:
        yield from _in_order(lambda t: pool.submit(fn, t), tasks, 2 * workers, progress)
    except BrokenProcessPool:
        with _LOCK:
            if _POOLS.get(workers) is pool:
                del _POOLS[workers]
        pool.shutdown(wait=False, cancel_futures=True)
        raise


def tune_worker_malloc() -> bool:
    """Set :data:`WORKER_MALLOC` in this process's allocator (glibc only; elsewhere nothing is
    changed). Called at the start of every pool and local Dask worker, never in the caller.
    True when every setting was taken."""
    global worker_malloc_tuned
    if not sys.platform.startswith("linux") or not _is_glibc():
        return False
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    ok = [libc.mallopt(_MALLOPT_PARAM[name], value) == 1 for name, value in WORKER_MALLOC.items()]
    worker_malloc_tuned = all(ok)
    return worker_malloc_tuned


def _is_glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")  # type: ignore[union-attr]
    except (ValueError, OSError, AttributeError):
        return False


def dask_setup(worker: Any) -> None:
    """Dask's preload hook (``distributed.worker.preload``): a local cluster's worker tunes its
    allocator as it starts (:func:`tune_worker_malloc`)."""
    tune_worker_malloc()


#: What the pool's forkserver (when used) imports once, so that its workers start with it loaded.
POOL_PRELOAD = ["passplan.coverage.reduce"]


def pool_context() -> Any:
    """How the processes of a pool start. ``fork`` on Linux when this process runs no thread
    but its main one: a worker is a copy of the caller, with passplan, numpy, the ephemeris and
    the timescale already loaded (and any propagation the caller has cached), so it starts in
    milliseconds instead of importing everything again (about 0.3 s of CPU per worker here);
    with no other thread there is no lock another thread could hold at the fork. Otherwise (a
    Dask client's threads, a notebook's, other platforms) ``forkserver`` where available, with
    :data:`POOL_PRELOAD` imported once in the server, else ``spawn``."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(list(POOL_PRELOAD))
        return ctx
    return multiprocessing.get_context("spawn")


def _pool(workers: int) -> Any:
    from concurrent.futures import ProcessPoolExecutor

    with _LOCK:
        pool = _POOLS.get(workers)
        if pool is None:
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=pool_context(), initializer=tune_worker_malloc)
            _POOLS[workers] = pool
        return pool


def close_pools() -> None:
    """End the process pools and local Dask clusters this process started (they are otherwise
    kept for the next call, and ended at exit)."""
    with _LOCK:
        pools = list(_POOLS.values())
        clusters = list(_CLUSTERS.values())
        _POOLS.clear()
        _CLUSTERS.clear()
    for p in pools:
        p.shutdown(wait=True, cancel_futures=True)
    for cluster, client in clusters:
        try:
            client.close()
        finally:
            cluster.close()


atexit.register(close_pools)


def _in_order(
    submit: Callable[[Any], Any], tasks: Iterable[Any], window: int, progress: Callable[[int, int], None] | None
) -> Iterator[Any]:
    tasks = list(tasks)
    pending: deque[Any] = deque()
    it = iter(tasks)
    done = 0
    for t in it:
        pending.append(submit(t))
        if len(pending) >= window:
            break
    while pending:
        fut = pending.popleft()
        yield fut.result()
        done += 1
        if progress:
            progress(done, len(tasks))
        nxt = next(it, None)
        if nxt is not None:
            pending.append(submit(nxt))


def _local_cluster(workers: int) -> Any:
    """The reused local cluster of ``workers`` processes and its client, started with
    :data:`WORKER_ENVIRON` and the caller's environment restored afterwards."""
    import dask
    from distributed import Client, LocalCluster

    with _LOCK:
        got = _CLUSTERS.get(workers)
        if got is not None and got[1].status == "running":
            return got[1]
        saved = dict(os.environ)
        try:
            with dask.config.set({"distributed.nanny.pre-spawn-environ": dict(WORKER_ENVIRON), **LOCAL_CLUSTER_CONFIG}):
                cluster = LocalCluster(
                    host="127.0.0.1",
                    scheduler_port=0,
                    # distributed always starts the scheduler's HTTP server (None still gave
                    # :8787 on every interface): an ephemeral loopback port, no dashboard pages
                    dashboard_address="127.0.0.1:0",
                    scheduler_kwargs={"dashboard": False},
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    preload=[__name__],  # dask_setup: each worker tunes its allocator as it starts
                )
        finally:
            _restore_environ(saved)
        client = Client(cluster, timeout=f"{CONNECT_TIMEOUT_S}s")
        _CLUSTERS[workers] = (cluster, client)
        return client


def _restore_environ(saved: dict[str, str]) -> None:
    for k in [k for k in os.environ if k not in saved]:
        del os.environ[k]
    for k, v in saved.items():
        if os.environ.get(k) != v:
            os.environ[k] = v


def _run_dask(
    fn: Callable[[T], R],
    tasks: Sequence[T],
    scheduler: str,
    workers: int | None,
    progress: Callable[[int, int], None] | None,
) -> Iterator[R]:
    try:
        from distributed import Client
    except ImportError:
        raise InputError(
            "scheduler needs Dask: pip install 'passplan[dask]' (dask.distributed); or use workers=N"
        ) from None
    if scheduler == "local":
        client = _local_cluster(workers or 2)
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        yield from _in_order(lambda t: client.submit(fn, t, pure=False), tasks, 2 * n_workers, progress)
        return
    try:
        client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
    except (OSError, TimeoutError) as err:
        raise InputError(
            f"cannot reach the Dask scheduler at {scheduler} within {CONNECT_TIMEOUT_S:g} s ({err}); "
            "check the address (tcp://host:port) or run locally with workers=N"
        ) from None
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        yield from _in_order(lambda t: client.submit(fn, t, pure=False), tasks, 2 * n_workers, progress)
    finally:
        client.close()
