"""Run independent tasks in-process, on a local process pool, or on a Dask cluster, and hand
the results back in task order (so that a reduction over them is the same however they ran).

* in-process (the default): a plain loop;
* ``workers=N``: ``concurrent.futures.ProcessPoolExecutor`` with N processes (spawned, so no
  forked BLAS threads), at most ``2 N`` tasks in flight so memory stays bounded;
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

Tasks and results travel by pickle: keep them plain (arrays, records, picklable satellites).
"""

from __future__ import annotations

import atexit
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from .errors import InputError

__all__ = ["run_tasks", "CONNECT_TIMEOUT_S", "dask_available", "close_pools", "WORKER_ENVIRON"]

T = TypeVar("T")
R = TypeVar("R")
CONNECT_TIMEOUT_S = 5.0
#: The environment a local Dask worker is spawned with (on top of the caller's): one thread per
#: numeric library (tasks are single-threaded numpy; the workers are the parallelism), and no
#: ``MALLOC_TRIM_THRESHOLD_`` (glibc's default dynamic threshold). A fixed hash seed keeps
#: Dask's hashing consistent across workers, as its nanny would set.
WORKER_ENVIRON = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONHASHSEED": "6640"}

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


def _pool(workers: int) -> Any:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with _LOCK:
        pool = _POOLS.get(workers)
        if pool is None:
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
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
            with dask.config.set({"distributed.nanny.pre-spawn-environ": dict(WORKER_ENVIRON)}):
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
