"""Stopping a worker pool never hangs (found by a new-user trial: Ctrl-C during rendering left `auditor run`
waiting for ever, about once in 20 tries). The executor's manager thread had died ("OSError: handle is
closed" in wait_result_broken_or_wakeup), so nothing released the feeder thread blocked writing a queued task,
larger than the pipe's buffer, to workers that had just been killed; the interpreter's exit joined it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent('''
    import time
    from concurrent.futures import ProcessPoolExecutor

    from auditor.workers import stopping_workers


    def busy(payload: bytes) -> int:
        time.sleep(60)
        return len(payload)


    if __name__ == "__main__":
        pool = ProcessPoolExecutor(max_workers=2)
        # Both workers busy, and 4 MB tasks queued behind them: the feeder thread blocks on the full pipe.
        futures = [pool.submit(busy, b"x" * 4_000_000) for _ in range(6)]
        time.sleep(2)
        # The manager thread dies as it did in the trial: its wake-up pipe is closed under it.
        pool._executor_manager_thread_wakeup._reader.close()
        pool._executor_manager_thread_wakeup.wakeup()
        time.sleep(1)
        try:
            with stopping_workers(pool):
                raise KeyboardInterrupt  # what Ctrl-C raises in the parent while it waits for documents
        except KeyboardInterrupt:
            print("stopped", flush=True)
''')


def test_stopping_a_pool_with_a_task_stuck_in_the_pipe_ends_promptly(tmp_path):
    script = tmp_path / "stop.py"
    script.write_text(SCRIPT)
    # Without the fix this process never ends: the timeout turns that hang into a failure.
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=90,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "stopped"
