"""Tenants spread over worker processes, so a collection uses every core (issue 16).

One asyncio loop keeps one core busy: parsing answers, building snapshots and the HTTP stack itself are
Python work, and the GIL lets one thread do it at a time. ``collect_in_workers`` starts ``jobs`` processes,
each with its own event loop, its own pool of keep-alive connections shared by its tenants
(auditor/collect/connections.py) and, per tenant, its own credential and HTTP clients (tokens are per
tenant). Tenants are handed out one at a time from a queue as a worker has room, so a large tenant does not
hold up a share decided in advance; results (and, when asked, the snapshots) come back on another queue, and
the caller reports progress as each tenant ends.

Workers are forked where the platform allows (Linux): they start with every module the parent has imported
(msgraph-sdk and azure-identity cost ~0.6 s of CPU to import, about as much as collecting 20 tenants). They
end with their parent (auditor/workers.py: ``die_with_parent``); Ctrl-C, SIGTERM, a worker that dies or a
failure in one of them kills the others (``stopping_workers``), so no worker writes on after the run ended.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import queue
import signal
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from auditor.collect.options import CollectOptions
from auditor.config import AuditConfig

if TYPE_CHECKING:
    from auditor.collect.collector import Target, TenantRun

# The cyclic garbage collector's thresholds while collecting. A tenant's answers parse into ~10^4 containers
# each; at Python's default (700 allocations) the collector ran a full pass over every in-flight tenant's data
# 14 times per 200 tenants: a quarter of all CPU. That data holds no cycles (JSON trees, freed by reference
# counting); the few cycles (tasks, exceptions) wait a little longer. Measured: 40 -> 29 ms per tenant, +20 MB.
COLLECTION_GC_THRESHOLDS = (10_000, 10, 10)
POLL_S = 0.2  # how often the parent looks at its workers while it waits for a result


@contextmanager
def collection_gc() -> Iterator[None]:
    """Around a collection: the thresholds above, and what is alive at the start (modules, the config)
    frozen out of the collector's passes; both undone at the end (the process may go on with other work)."""
    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*COLLECTION_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()


@dataclass(frozen=True)
class _Share:
    """What a worker needs besides its queues (inherited when forked, pickled when spawned)."""

    config: AuditConfig
    out_dir: Path
    options: CollectOptions
    now: datetime | None
    keep_snapshots: bool
    concurrency: int


_tasks: Any = None  # the worker's end of the task queue: (index, Target), then None
_results: Any = None  # the worker's end of the result queue: (index, TenantRun, label)


def _start_worker(tasks: Any, results: Any) -> None:
    """The pool's initializer: die with the parent, leave Ctrl-C to it (it stops the workers), keep the queues."""
    from auditor.workers import die_with_parent

    global _tasks, _results
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.set_wakeup_fd(-1)  # a forked worker would otherwise wake the parent's event loop with its signals
    _tasks, _results = tasks, results


def _work(share: _Share) -> int:
    """One worker: collect tenants from the task queue until its end marker; return how many."""
    with collection_gc():
        return asyncio.run(_work_async(share))


async def _work_async(share: _Share) -> int:
    from auditor.collect.connections import shared_connections
    from auditor.collect.trust import trust_context

    # The worker's tenants share one keep-alive pool (auditor/collect/connections.py).
    trust = trust_context(share.options.environ, share.config.endpoints.ca_bundle, share.options.ca_bundle)
    async with shared_connections(trust, share.options.connections_per_host):
        return await _work_tenants(share)


async def _work_tenants(share: _Share) -> int:
    from auditor.collect.portfolio import collect_and_write

    room = asyncio.Semaphore(share.concurrency)
    running: set[asyncio.Task[None]] = set()
    failures: list[BaseException] = []
    done = 0

    async def one(index: int, target: Target) -> None:
        try:
            run, label = await collect_and_write(target, share.config, share.options, share.now, share.out_dir,
                                                 share.keep_snapshots)
            _results.put((index, run, label))
        except BaseException as exc:
            # An unexpected error in one tenant fails this worker, as it fails a run in one process. Kept here
            # and raised by the loop below: a task's own exception would be dropped with the task, and the
            # parent would wait for that tenant's result for ever.
            failures.append(exc)
            raise
        finally:
            room.release()

    while True:
        await room.acquire()  # a tenant is taken only when there is room for it: the others stay for idle workers
        if failures:  # a tenant failed while this worker waited for room or for its next tenant: take no more
            break
        item = await asyncio.to_thread(_tasks.get)
        if item is None:
            break
        task = asyncio.create_task(one(*item))
        running.add(task)
        task.add_done_callback(running.discard)
        done += 1
    if running:
        await asyncio.gather(*running, return_exceptions=True)
    if failures:
        raise failures[0]
    return done


def _context() -> multiprocessing.context.BaseContext:
    """fork where there is one (the workers start with the parent's imports), else spawn."""
    return multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")


def preload() -> None:
    """Import what each tenant's collection needs before forking, so workers do not each import it again."""
    import azure.identity.aio  # noqa: F401
    import msgraph_core  # noqa: F401

    import auditor.collect.connections  # noqa: F401  (aiohttp: every request goes through its pool)
    from kiota_authentication_azure import azure_identity_authentication_provider  # noqa: F401
    from kiota_http.middleware import options  # noqa: F401
    from msgraph import graph_request_adapter  # noqa: F401


def _check(futures: list[Future[int]]) -> None:
    """Re-raise a worker's failure (an error, or a process that died: BrokenProcessPool)."""
    for future in futures:
        if future.done() and future.exception() is not None:
            raise future.exception()  # type: ignore[misc]


async def collect_in_workers(
    targets: list[Target],
    config: AuditConfig,
    out_dir: Path,
    options: CollectOptions,
    *,
    jobs: int,
    concurrency: int,
    now: datetime | None,
    keep_snapshots: bool,
    on_done: Callable[[TenantRun, str], None],
) -> list[TenantRun]:
    """Collect ``targets`` in ``jobs`` processes, ``concurrency`` tenants at once in all (shared evenly);
    ``on_done(run, label)`` as each tenant ends. The runs in target order."""
    from auditor.workers import stopping_workers

    jobs = max(1, min(jobs, len(targets)))
    preload()
    context = _context()
    tasks, results = context.Queue(), context.Queue()
    tasks.cancel_join_thread()  # tasks left unread by killed workers must not hold this process at exit
    share = _Share(config, out_dir, options, now, keep_snapshots, max(1, -(-concurrency // jobs)))
    runs: list[TenantRun | None] = [None] * len(targets)
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_start_worker,
                               initargs=(tasks, results))
    try:
        with stopping_workers(pool):
            # The workers are forked here, before the task queue's feeder thread exists.
            futures = [pool.submit(_work, share) for _ in range(jobs)]
            for index, target in enumerate(targets):
                tasks.put((index, target))
            for _ in range(jobs):
                tasks.put(None)
            for _ in targets:
                while True:
                    try:
                        index, run, label = await asyncio.to_thread(results.get, True, POLL_S)
                        break
                    except queue.Empty:
                        _check(futures)
                runs[index] = run
                on_done(run, label)
            for future in futures:
                future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        tasks.close()
        results.close()
    return runs  # type: ignore[return-value]
