"""Progress on the terminal: a rich progress bar on a TTY, plain log lines otherwise (CI, redirects).

Both implement auditor.progress.Progress; the engine never imports rich.
"""

from __future__ import annotations

import sys
from typing import TextIO

from auditor.cli_common import console
from auditor.safe_text import terminal


class LogProgress:
    """One line per finished item, for logs."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._total = 0
        self._done = 0
        self._failed = 0
        self._description = ""

    def start(self, total: int, description: str) -> None:
        self._total, self._description = total, description  # called again when discovery fixes the total

    def advance(self, label: str = "", failed: bool = False) -> None:
        self._done += 1
        self._failed += int(failed)
        mark = " (with errors)" if failed else ""
        print(terminal(f"{self._description}: {self._done}/{self._total} {label}{mark}; errors so far: {self._failed}"),
              file=self._stream, flush=True)

    def finish(self) -> None:
        pass


class RichProgress:
    """Tenants done of total, the tenant just finished, errors so far."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("errors: {task.fields[errors]}", markup=False),
            TextColumn("{task.fields[current]}", markup=False),
            TimeElapsedColumn(),
            console=console(stderr=True),
            transient=False,
        )
        self._task = None
        self._errors = 0

    def start(self, total: int, description: str) -> None:
        if self._task is None:
            self._progress.start()
            self._task = self._progress.add_task(description, total=total, errors=0, current="")
        else:
            self._progress.update(self._task, total=total, description=description)

    def advance(self, label: str = "", failed: bool = False) -> None:
        self._errors += int(failed)
        if self._task is not None:
            self._progress.update(self._task, advance=1, errors=self._errors, current=terminal(label))

    def finish(self) -> None:
        if self._task is not None:
            self._progress.stop()


def terminal_progress(stream: TextIO | None = None):
    """A progress bar when stderr is a terminal, log lines otherwise."""
    stream = stream or sys.stderr
    return RichProgress() if stream.isatty() else LogProgress(stream)
