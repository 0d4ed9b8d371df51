"""CLI commands of the reports: `auditor report RESULTS.json --out DIR` renders the scorecards and the
portfolio from saved results, without re-evaluating anything. WeasyPrint is imported only when rendering."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import typer


class Paper(StrEnum):
    A4 = "A4"
    Letter = "Letter"


class _ConsoleProgress:
    """Adapts the engine's progress protocol to a rich progress bar on stderr."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=Console(stderr=True), transient=True,
        )
        self._task = None

    def start(self, total: int, description: str) -> None:
        self._bar.start()
        self._task = self._bar.add_task(description, total=total)

    def advance(self, label: str = "", failed: bool = False) -> None:
        if self._task is not None:
            self._bar.advance(self._task)

    def finish(self) -> None:
        self._bar.stop()


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""

    @app.command()
    def report(
        results_path: Annotated[Path, typer.Argument(metavar="RESULTS.json", help="A results.json written by `auditor run`.")],
        out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("out"),
        config_path: Annotated[
            Optional[Path], typer.Option("--config", "-c", help="tenants.toml; its [branding] styles the reports.")
        ] = None,
        paper: Annotated[Paper, typer.Option("--paper", help="A4 or Letter.", case_sensitive=False)] = Paper.A4,
        jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, max=64, help="Render in this many processes.")] = 1,
    ) -> None:
        """Render the scorecards (HTML and PDF) and the portfolio report from saved results."""
        import sys

        from auditor.cli import fail
        from auditor.config import ConfigError, load_config
        from auditor.render import BrandingError, RenderError, render_reports, validate_branding
        from auditor.results import ResultsError, load_results

        try:
            results = load_results(results_path)
        except ResultsError as exc:
            raise fail(str(exc))
        branding = None
        if config_path is not None:
            try:
                branding = load_config(config_path).branding
            except ConfigError as exc:
                raise fail(str(exc))
        try:
            if branding is not None:
                validate_branding(branding)  # before anything is rendered or written
            progress = _ConsoleProgress() if sys.stderr.isatty() else None
            written = render_reports(results, out, branding, paper=paper.value, jobs=jobs, progress=progress)
        except (BrandingError, RenderError) as exc:
            raise fail(str(exc))
        except OSError as exc:
            raise fail(f"{exc.filename or out}: cannot write: {exc.strerror or exc}")
        scorecards = sum(1 for path in written if path.name == "scorecard.pdf")
        typer.echo(f"wrote {scorecards} scorecard(s) and {'a portfolio' if any(p.name == 'portfolio.pdf' for p in written) else 'no portfolio'} to {out}")
        for path in written:
            if path.parent == out:
                typer.echo(f"wrote {path}")
