"""CLI commands of the reports: `auditor report RESULTS.json --out DIR` renders the scorecards and the
portfolio from saved results, without re-evaluating anything. WeasyPrint is imported only when rendering."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer

from auditor.cli_common import (
    EXIT_USAGE,
    REPORT_MEDIA,
    DbOption,
    GroupOption,
    JobsOption,
    Paper,
    default_jobs,
    fail,
    formats_option,
    interrupted_writing,
    open_history,
    parse_formats,
    refuse_secret_overlap,
)
from auditor.safe_text import terminal


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""

    @app.command()
    def report(
        results_path: Annotated[
            Optional[Path],
            typer.Argument(metavar="[RESULTS.json]", help="A results.json written by `auditor run` (or use --run)."),
        ] = None,
        out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("out"),
        config_path: Annotated[
            Optional[Path],
            typer.Option("--config", "-c", help="tenants.toml; its [branding] styles the reports (a stored --run "
                         "keeps the branding it was recorded with unless the config has a [branding])."),
        ] = None,
        db: DbOption = None,
        run_id: Annotated[
            Optional[str],
            typer.Option("--run", metavar="ID", help="Render a run from the history database (all its shards merged)."),
        ] = None,
        group: GroupOption = None,
        paper: Annotated[Paper, typer.Option("--paper", help="A4 or Letter.", case_sensitive=False)] = Paper.A4,
        jobs: JobsOption = None,
        formats: Annotated[Optional[str], formats_option(REPORT_MEDIA)] = None,
    ) -> None:
        """Render the scorecards (HTML and PDF) and the portfolio report from saved results or a stored run,
        with each tenant's trend from the history database."""
        from auditor.cli_progress import terminal_progress
        from auditor.config import ConfigError, load_config
        from auditor.report import BrandingError, RenderError, render_reports, validate_branding
        from auditor.results import ResultsError, load_results
        from auditor.selection import SelectionError, select_results

        if (results_path is None) == (run_id is None):
            raise fail("give either RESULTS.json or --run ID (with --db)", EXIT_USAGE)
        media = parse_formats(formats, REPORT_MEDIA)
        config = None
        if config_path is not None:
            try:
                config = load_config(config_path)
            except ConfigError as exc:
                raise fail(str(exc))
        refuse_secret_overlap(out, config.auth if config is not None else None)
        # A stored run is rendered with the branding it was recorded with, unless the config has a [branding].
        overrides = config is not None and "branding" in config.model_fields_set
        branding = config.branding if config is not None and (overrides or results_path is not None) else None
        try:
            if branding is not None:
                validate_branding(branding)  # before anything is read, rendered or written
            with tempfile.TemporaryDirectory(prefix="auditor-branding-") as logo_folder:
                if results_path is not None:
                    results = load_results(results_path)
                    history = _stored_history(db, config, results.run_id, required=db is not None)
                else:
                    results, history, recorded = _stored_run(db, config, run_id)
                    if branding is None:
                        branding = _recorded_branding(recorded, results.run_id, Path(logo_folder))
                        validate_branding(branding)
                results = select_results(results, group)
                with interrupted_writing(out, "reports"):
                    written = render_reports(results, out, branding, paper=paper.value, history=history,
                                             jobs=jobs or default_jobs(), progress=terminal_progress(), media=media)
        except (BrandingError, RenderError, ResultsError, SelectionError) as exc:
            raise fail(str(exc))
        except OSError as exc:
            raise fail(f"{exc.filename or out}: cannot write: {exc.strerror or exc}")
        scorecards = len({path.parent for path in written if path.stem == "scorecard"})
        portfolio = "a portfolio" if any(p.stem == "portfolio" for p in written) else "no portfolio"
        typer.echo(f"wrote {scorecards} scorecard(s) and {portfolio} to {out}")
        if results_path is not None and config is None:
            # results.json carries no branding: say so, rather than let a partner's name and logo vanish unseen.
            typer.echo("note: no --config given: the reports carry the default branding (the partner's name, "
                       "logo and colour come from the config's [branding])", err=True)


def _stored_run(db: str | None, config, run_id: str):
    """A run's merged results, its tenants' history and its recorded branding, from the database."""
    from auditor import store

    engine = open_history(db, config.database if config else None, create=False)
    try:
        results = store.load_run_results(engine, run_id)
        return results, store.tenant_history(engine, results.run_id), store.run_branding(engine, results.run_id)
    except store.StoreError as exc:
        raise fail(str(exc))
    finally:
        engine.dispose()


def _recorded_branding(recorded, run_id: str, logo_folder: Path):
    """The branding run ``run_id`` was recorded with, its logo written into ``logo_folder``; what it could
    not restore as it was is said on stderr, one line each."""
    from auditor import store

    try:
        branding, notes = store.branding_for_render(recorded, run_id, logo_folder)
    except store.StoreError as exc:
        raise fail(str(exc)) from None
    for line in notes:  # a path and name from the database: shown as text
        typer.echo(terminal(line), err=True)
    return branding


def _stored_history(db: str | None, config, run_id: str, required: bool):
    """The trend of a saved results file's run, when the history database knows that run. Without --db a
    missing database or run simply means no trend: the reports then say it is the first recorded audit."""
    from auditor import store

    engine = None
    try:
        engine = store.open_db(store.resolve_db_url(db, config.database if config else None), create=False)
        return store.tenant_history(engine, run_id)
    except store.StoreError as exc:
        if required:
            raise fail(str(exc))
        return None
    finally:
        if engine is not None:
            engine.dispose()
