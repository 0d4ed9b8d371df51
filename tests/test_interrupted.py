"""Ctrl-C says what it left behind: `collect` and `run` interrupted mid-way exit 130 with one line saying the
folder is incomplete (each file there is whole), never silently and never with a traceback. `report` is
covered with its render workers in tests/test_render_workers.py; all share cli_common.interrupted_writing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditor.collect.emulator import Emulator, EmulatorThread
from tests.test_collect_data import CUSTOMER_A, CUSTOMER_B, customer

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process groups and SIGINT")
ROOT = Path(__file__).resolve().parents[1]


def _start(command: list[str], tmp_path: Path, **env: str) -> subprocess.Popen:
    """The CLI in its own process group, as a terminal's foreground job is (Ctrl-C reaches all of it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "auditor.cli", *command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        cwd=ROOT, start_new_session=True,
        env={**{k: v for k, v in os.environ.items() if k != "AUDITOR_DB"}, "XDG_DATA_HOME": str(tmp_path), **env})


def _ctrl_c_when(process: subprocess.Popen, ready, what: str) -> str:
    deadline = time.monotonic() + 240
    while not ready():
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, f"{what} never started"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)
    process.wait(timeout=60)
    stderr = process.stderr.read().decode()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    return stderr


def test_ctrl_c_during_collection_says_the_snapshots_are_incomplete(tmp_path):
    # 150 ms per request: collecting two tenants takes seconds, so Ctrl-C lands mid-way.
    with EmulatorThread(Emulator([customer(CUSTOMER_A), customer(CUSTOMER_B)], latency_ms=150)) as emulator:
        (tmp_path / "tenants.toml").write_text(
            f'[[tenants]]\nid = "{CUSTOMER_A}"\nname = "Contoso Inc"\n[[tenants]]\nid = "{CUSTOMER_B}"\nname = "Fabrikam"\n'
            f'[auth]\nmethod = "static_token"\n[endpoints]\ngraph = "{emulator.base_url}"\n'
            f'arm = "{emulator.base_url}"\nauthority = "{emulator.base_url}"\n')
        out = tmp_path / "snaps"
        process = _start(["collect", "--config", str(tmp_path / "tenants.toml"), "--out", str(out), "--jobs", "2"],
                         tmp_path, AUDITOR_STATIC_TOKEN="tenant:{tenant}")
        stderr = _ctrl_c_when(process, lambda: len(emulator.requests) >= 4, "the collection")
    assert f"interrupted: the snapshots in {out} are incomplete (each file there is whole); run the command " \
           "again to write them all" in stderr.splitlines()
    assert len(list(out.glob("*.json"))) < 2


def test_ctrl_c_while_run_renders_says_the_reports_are_incomplete(tmp_path):
    out = tmp_path / "out"
    process = _start(["run", "--sample", "--out", str(out), "--jobs", "2"], tmp_path)
    stderr = _ctrl_c_when(process, lambda: bool(list(out.glob("*/scorecard.*"))), "rendering")
    assert f"interrupted: the reports and data files in {out} are incomplete (each file there is whole); run " \
           "the command again to write them all" in stderr.splitlines()
    assert (out / "results.json").is_file() and not (out / "portfolio.pdf").exists()
