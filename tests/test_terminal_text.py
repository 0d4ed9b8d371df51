"""Tenant strings on the terminal are shown as text (issue 11, kind 1): rich markup is never interpreted,
control and bidirectional characters never reach the terminal live. Run through `evaluate`, `run` and
`diff` on a real pseudo-terminal, where rich behaves as it does for a person."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.safe_text import terminal
from auditor.samples import sample_snapshots_dir
from auditor.snapshot import dump_snapshot, load_snapshot

HOSTILE = "Contoso [/bold] \x1b]0;pwned\x07 \x1b[31mred\x1b[0m [link=https://evil.example]x[/link] \u202etxt.exe\rX"
LIVE = ("\x1b]0;pwned", "\x1b[31m", "\x1b]8;", "\u202e", "\rX")


def hostile_snapshots(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    source = load_snapshot(sample_snapshots_dir() / "fabrikam-legal.json")
    hostile = source.model_copy(update={"tenant": source.tenant.model_copy(update={"display_name": HOSTILE})})
    (folder / "hostile.json").write_text(dump_snapshot(hostile))
    return folder


def on_pty(*args: str, env: dict[str, str]) -> tuple[int, str]:
    """Run `auditor ARGS` with stdout and stderr on a pseudo-terminal; (exit code, everything printed)."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "auditor.cli", *args], stdin=subprocess.DEVNULL,
                               stdout=follower, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            process.kill()
            break
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    return process.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture()
def env(tmp_path):
    return {**os.environ, "AUDITOR_DB": str(tmp_path / "history.sqlite"), "COLUMNS": "200", "TERM": "xterm"}


def assert_shown_as_text(code: int, output: str) -> None:
    assert code == 0, output[-2000:]
    assert "Traceback" not in output and "MarkupError" not in output
    for live in LIVE:
        assert live not in output, f"{live!r} reached the terminal live"
    assert "[/bold]" in output or "Audits of" in output  # bracket text shown, not eaten as markup


def test_evaluate_on_a_terminal(tmp_path, env):
    folder = hostile_snapshots(tmp_path / "snaps")
    assert_shown_as_text(*on_pty("evaluate", str(folder), env=env))


def test_run_and_diff_on_a_terminal(tmp_path, env):
    folder = hostile_snapshots(tmp_path / "snaps")
    for label in ("2026-Q3", "2026-Q4"):
        code, output = on_pty("run", "--snapshots", str(folder), "--out", str(tmp_path / label), "--run-label",
                              label, env=env)
        assert_shown_as_text(code, output)
    assert_shown_as_text(*on_pty("diff", "--all", env=env))
    tenant_id = load_snapshot(folder / "hostile.json").tenant.id
    assert_shown_as_text(*on_pty("history", "--tenant", tenant_id, env=env))


def test_log_progress_and_error_lines_are_one_line_of_text(tmp_path, capsys):
    from auditor.cli_common import fail
    from auditor.cli_progress import LogProgress

    progress = LogProgress()
    progress.start(1, "Evaluating")
    progress.advance(HOSTILE)
    fail(f"tenant {HOSTILE} is bad")
    err = capsys.readouterr().err
    assert err.count("\n") == 2
    for live in LIVE:
        assert live not in err


@pytest.mark.parametrize("raw, shown", [
    ("a\x1b[31mb", "a\\x1b[31mb"),
    ("line\nbreak\r", "line\\x0abreak\\x0d"),
    ("nul\x00bel\x07del\x7fc1\x9b", "nul\\x00bel\\x07del\\x7fc1\\x9b"),
    ("\u202eabc\u2066", "\\u202eabc\\u2066"),
    ("Contoso [/bold] ünïcödé 日本", "Contoso [/bold] ünïcödé 日本"),
])
def test_terminal_text(raw, shown):
    assert terminal(raw) == shown
