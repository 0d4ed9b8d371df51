"""Atomic writes give files the mode a plain open() would (the new-user trial found every report 0600:
tempfile.mkstemp's mode, kept by the rename), so reports in a shared folder can be read by its readers."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from auditor.fsutil import atomic_write_bytes


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_an_atomic_write_gets_the_mode_open_would_give(tmp_path):
    written = atomic_write_bytes(tmp_path / "report.pdf", b"%PDF")
    with open(tmp_path / "plain.pdf", "wb") as stream:
        stream.write(b"%PDF")
    assert stat.S_IMODE(written.stat().st_mode) == stat.S_IMODE((tmp_path / "plain.pdf").stat().st_mode)
    assert stat.S_IMODE(written.stat().st_mode) == 0o666 & ~_umask()


def test_run_writes_reports_readable_by_the_group_and_others_under_umask_022(tmp_path):
    script = ("import os, sys; os.umask(0o022); sys.argv = ['auditor', 'run', '--sample', '--out', sys.argv[1], "
              "'--formats', 'json,csv,html', '--jobs', '1']; from auditor.cli import main; main()")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "out")], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1],
                          env={**{k: v for k, v in os.environ.items() if k != "AUDITOR_DB"}, "XDG_DATA_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    files = [p for p in (tmp_path / "out").rglob("*") if p.is_file() and p.suffix in (".json", ".csv", ".html")]
    assert len(files) > 5
    assert {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o644}
