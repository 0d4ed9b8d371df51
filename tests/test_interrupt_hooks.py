"""The command process's interrupt handling (auditor.workers.handle_interrupts, installed by cli.main) and
the workers' (die_with_parent), found by the new-user trial: a Ctrl-C that landed in a finalizer was
ignored (the run went on to exit 0) and Python printed the object it was ignored in, a tenant's data; a
worker interrupted while starting printed a traceback."""

from __future__ import annotations

import signal
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor

from auditor.workers import die_with_parent

PRELUDE = "from auditor.workers import handle_interrupts; handle_interrupts()\n"


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PRELUDE + code], capture_output=True, text=True, timeout=60)


def test_an_exception_ignored_in_a_finalizer_is_one_line_without_the_objects_data():
    done = _python(
        "class Users(list):\n"
        "    def __del__(self):\n"
        "        raise ValueError('boom')\n"
        "users = Users(['ann@contoso.com'] * 3)\n"
        "del users\n"
        "print('went on')\n")
    assert done.returncode == 0 and done.stdout == "went on\n"
    assert done.stderr == "warning: ValueError ignored in Users.__del__\n"  # not the list, not a traceback


def test_a_ctrl_c_that_lands_in_a_finalizer_still_stops_the_command():
    done = _python(
        "import time\n"
        "class Users(list):\n"
        "    def __del__(self):\n"
        "        raise KeyboardInterrupt\n"
        "users = Users(['ann@contoso.com'] * 3)\n"
        "try:\n"
        "    del users\n"
        "    for _ in range(100):\n"
        "        time.sleep(0.05)\n"
        "    print('ran to the end')\n"
        "except KeyboardInterrupt:\n"
        "    print('stopped')\n")
    assert done.stdout == "stopped\n" and "ann@contoso.com" not in done.stderr


def test_sigterm_raises_system_exit_143_in_the_command_process():
    done = _python(
        "import os, signal\n"
        "try:\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    import time; time.sleep(5)\n"
        "except SystemExit as exc:\n"
        "    print('exit', exc.code)\n")
    assert done.stdout == "exit 143\n"


def _sigint_handler() -> str:
    return "ignored" if signal.getsignal(signal.SIGINT) is signal.SIG_IGN else "handled"


def test_workers_leave_ctrl_c_to_their_parent():
    with ProcessPoolExecutor(max_workers=1, initializer=die_with_parent) as pool:
        assert pool.submit(_sigint_handler).result(timeout=60) == "ignored"
    assert _sigint_handler() == "handled"  # the parent keeps Python's own handler


def test_a_library_logging_the_interrupt_it_passes_on_prints_nothing():
    """SQLAlchemy's pool logs "Exception closing connection" with the KeyboardInterrupt's traceback, then
    raises it again: the command's own `interrupted:` line is the one to show."""
    done = _python(
        "import logging\n"
        "log = logging.getLogger('sqlalchemy.pool.impl.QueuePool')\n"
        "try:\n"
        "    raise KeyboardInterrupt\n"
        "except KeyboardInterrupt:\n"
        "    log.error('Exception closing connection', exc_info=True)\n"
        "try:\n"
        "    raise ValueError('disk full')\n"
        "except ValueError:\n"
        "    log.error('Exception closing connection', exc_info=True)\n")
    assert done.returncode == 0
    assert done.stderr.count("Exception closing connection") == 1 and "ValueError: disk full" in done.stderr
    assert "KeyboardInterrupt" not in done.stderr
