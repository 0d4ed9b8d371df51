"""Worker processes that end with their parent, and a parent that stops its workers when it is stopped.

``auditor run/report --jobs N`` renders in a ProcessPoolExecutor. Without care, SIGTERM or SIGKILL to the
main process left the workers running and writing report files into a folder the user believed abandoned.

- In each worker, ``die_with_parent`` (the pool's initializer) asks Linux to SIGKILL the worker the moment
  its parent exits (``prctl(PR_SET_PDEATHSIG)``, which acts even when the parent is SIGKILLed), and starts a
  watchdog thread that ends the worker once it is re-parented (the portable fallback, and the guard against
  the parent dying before the ``prctl`` call).
- In the parent, ``stopping_workers`` turns SIGTERM into ``SystemExit(143)`` for the duration of the pool
  and, on any exception (SIGTERM, Ctrl-C, a failed document), kills the workers instead of waiting for the
  documents they are rendering.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from concurrent.futures import Executor
from contextlib import contextmanager
from typing import Iterator

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCHDOG_INTERVAL_S = 0.2
EXIT_TERMINATED = 128 + signal.SIGTERM  # the shell's convention for a process ended by SIGTERM


def die_with_parent() -> None:
    """Make the calling (worker) process end when its parent process ends, and leave Ctrl-C to the parent
    (a terminal sends SIGINT to every process of the job: a worker interrupted in its start-up printed a
    traceback; the parent stops the workers itself); call it first in a worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl (an unusual libc): the watchdog below still acts
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)

    def watch() -> None:
        event = threading.Event()
        while not event.wait(WATCHDOG_INTERVAL_S):
            if os.getppid() != parent:
                os._exit(1)  # not sys.exit: nothing of the abandoned work may be flushed or written

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(EXIT_TERMINATED)


def handle_interrupts() -> None:
    """For the main process of a command, from its start: SIGTERM raises SystemExit(143) like Ctrl-C raises
    KeyboardInterrupt, so both end the command through the same ``interrupted:`` line
    (cli_common.interrupted_writing); and an exception Python must ignore (raised in a finalizer or a
    callback from C code) is one line naming its type, never the object's repr: that repr was a tenant's
    data (a 195 KB list of users) on the terminal. A Ctrl-C that lands there would be lost and the command
    would run to the end: it is raised again in the main thread instead."""
    import _thread

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminated)

    def unraisable(info: "sys.UnraisableHookArgs") -> None:
        if info.exc_type is not None and issubclass(info.exc_type, KeyboardInterrupt):
            # Raised again from another thread a moment later: raised here, it would be ignored again.
            threading.Timer(0.05, _thread.interrupt_main).start()
            return
        name = info.exc_type.__name__ if info.exc_type is not None else "an error"
        where = getattr(info.object, "__qualname__", None) or type(info.object).__name__
        sys.stderr.write(f"warning: {name} ignored in {where}\n")

    sys.unraisablehook = unraisable
    # A library that logs the interrupt it is passing on (SQLAlchemy's pool, closing a connection while
    # Ctrl-C lands: "Exception closing connection" and a traceback) prints nothing: our one line says it.
    import logging

    if logging.lastResort is not None:
        logging.lastResort.addFilter(_not_an_interrupt)


def _not_an_interrupt(record: "logging.LogRecord") -> bool:
    """False for a log record carrying KeyboardInterrupt or SystemExit (exc_info), True for the rest."""
    exc_type = record.exc_info[0] if record.exc_info else None
    return not (exc_type is not None and issubclass(exc_type, (KeyboardInterrupt, SystemExit)))


def kill_workers(pool: Executor) -> None:
    """SIGKILL the processes of a ProcessPoolExecutor (their documents are abandoned, never half-written:
    every report file is written atomically)."""
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        try:
            process.kill()
        except (OSError, ValueError):  # already gone, or already closed
            pass


def abandon_queued_tasks(pool: Executor) -> None:
    """After its workers are killed: tasks still queued for a ProcessPoolExecutor must not hold the parent.

    The executor's feeder thread writes each queued task into a pipe that only the workers read. A task larger
    than the pipe's buffer (a tenant's results, a few hundred KB) leaves that thread blocked in ``write``
    once the workers are gone, and the executor's shutdown, and the interpreter's exit, wait for it for ever
    (seen after Ctrl-C during rendering). Closing this process's end of the pipe makes the write fail
    instead (EPIPE: the killed workers' ends are closed by the kernel), and the queue is not joined at exit.
    """
    queue = getattr(pool, "_call_queue", None)
    if queue is None:
        return
    queue.cancel_join_thread()
    reader = getattr(queue, "_reader", None)
    if reader is not None:
        try:
            reader.close()
        except OSError:
            pass


@contextmanager
def stopping_workers(pool: Executor) -> Iterator[None]:
    """Around the use of ``pool``: SIGTERM raises SystemExit(143) in the parent (main thread only: Python
    delivers signals there), and any exception leaving the block kills the workers before it propagates."""
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminated) if in_main else None
    try:
        yield
    except BaseException:
        kill_workers(pool)
        abandon_queued_tasks(pool)
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
