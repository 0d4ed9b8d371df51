"""Stopping stops everything (issue 11, kind 6): with --jobs 2, SIGKILL or SIGTERM to the main process ends
the render workers too, and no report file is written afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditor.outputs import write_json
from tests.test_render_helpers import portfolio

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find the workers")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status  # a zombie has ended; only its exit status is left to collect


def _report_files(folder: Path) -> dict[str, int]:
    """Every finished report file (temporary files of an interrupted atomic write excluded), with its mtime."""
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")
            if p.is_file() and not p.name.startswith(".")}


def _start_render(tmp_path: Path, own_group: bool = False) -> tuple[subprocess.Popen, Path, list[int]]:
    write_json(portfolio(14), tmp_path)
    out = tmp_path / "reports"
    process = subprocess.Popen(
        [sys.executable, "-m", "auditor.cli", "report", str(tmp_path / "results.json"), "--out", str(out),
         "--jobs", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=Path(__file__).resolve().parents[1],
        env={**{k: v for k, v in os.environ.items() if k != "AUDITOR_DB"}, "XDG_DATA_HOME": str(tmp_path)},
        start_new_session=own_group,  # its own process group, as a terminal's foreground job has
    )
    deadline = time.monotonic() + 240
    # Mid-render: the first documents are written and the workers are busy with the others.
    while not list(out.glob("*/scorecard.pdf")):
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "no scorecard was written in time"
        time.sleep(0.05)
    workers = _children(process.pid)
    assert len(workers) >= 2
    return process, out, workers


def _assert_nothing_written_after_stop(process: subprocess.Popen, out: Path, workers: list[int]) -> None:
    process.wait(timeout=30)
    deadline = time.monotonic() + 5
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [w for w in workers if _alive(w)], "render workers outlived the main process"
    after_stop = _report_files(out)
    time.sleep(4)  # longer than one scorecard takes: a surviving worker would have written by now
    assert _report_files(out) == after_stop
    assert len([name for name in after_stop if name.endswith("scorecard.pdf")]) < 14  # it was stopped mid-way


def test_sigkill_to_the_main_process_ends_the_render_workers(tmp_path):
    process, out, workers = _start_render(tmp_path)
    process.send_signal(signal.SIGKILL)
    _assert_nothing_written_after_stop(process, out, workers)


def test_sigterm_to_the_main_process_stops_the_workers_and_exits_143(tmp_path):
    process, out, workers = _start_render(tmp_path)
    process.send_signal(signal.SIGTERM)
    _assert_nothing_written_after_stop(process, out, workers)
    assert process.returncode == 143
    _assert_said_incomplete(process.stderr.read(), out)


def _assert_said_incomplete(stderr: bytes, out: Path) -> None:
    """One line says the folder is incomplete; no traceback, from the main process or a worker."""
    assert b"Traceback" not in stderr and b"KeyboardInterrupt" not in stderr
    said = [line for line in stderr.decode().splitlines() if line.startswith("interrupted:")]
    assert said == [f"interrupted: the reports in {out} are incomplete (each file there is whole); run the "
                    "command again to write them all"]


def test_ctrl_c_stops_the_workers_says_the_folder_is_incomplete_and_exits_130(tmp_path):
    """Ctrl-C in a terminal sends SIGINT to the whole foreground process group: the workers get it too."""
    process, out, workers = _start_render(tmp_path, own_group=True)
    os.killpg(process.pid, signal.SIGINT)
    _assert_nothing_written_after_stop(process, out, workers)
    assert process.returncode == 130
    _assert_said_incomplete(process.stderr.read(), out)
