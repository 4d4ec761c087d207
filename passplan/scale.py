"""Run independent tasks in-process, on a local process pool, or on a Dask cluster, and hand
the results back in task order (so that a reduction over them is the same however they ran).

* in-process (the default): a plain loop;
* ``workers=N``: ``concurrent.futures.ProcessPoolExecutor`` with N processes (spawned, so no
  forked BLAS threads), at most ``2 N`` tasks in flight so memory stays bounded;
* ``scheduler=ADDRESS``: a ``dask.distributed`` cluster (``tcp://host:port``), or ``"local"`` for
  a ``LocalCluster`` on 127.0.0.1 started for the run (ephemeral ports, no dashboard). Dask is an
  optional extra (``pip install 'passplan[dask]'``). An unreachable scheduler fails within
  :data:`CONNECT_TIMEOUT_S`.

Tasks and results travel by pickle: keep them plain (arrays, records, picklable satellites).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from .errors import InputError

__all__ = ["run_tasks", "CONNECT_TIMEOUT_S", "dask_available"]

T = TypeVar("T")
R = TypeVar("R")
CONNECT_TIMEOUT_S = 5.0


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
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield from _in_order(lambda t: pool.submit(fn, t), tasks, 2 * workers, progress)


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


def _run_dask(
    fn: Callable[[T], R],
    tasks: Sequence[T],
    scheduler: str,
    workers: int | None,
    progress: Callable[[int, int], None] | None,
) -> Iterator[R]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError(
            "scheduler needs Dask: pip install 'passplan[dask]' (dask.distributed); or use workers=N"
        ) from None
    cluster = None
    try:
        if scheduler == "local":
            cluster = LocalCluster(
                host="127.0.0.1",
                scheduler_port=0,
                dashboard_address=None,
                n_workers=workers or 2,
                threads_per_worker=1,
                processes=True,
            )
            client = Client(cluster, timeout=f"{CONNECT_TIMEOUT_S}s")
        else:
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
    finally:
        if cluster is not None:
            cluster.close()
