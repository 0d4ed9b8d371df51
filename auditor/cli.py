"""The `auditor` command line. Thin: it parses options, calls the engine, and maps errors to exit codes.

Exit codes: 0 success, 1 bad input (a file, a config, a plugin), 2 usage error, 3 a tenant scored below
``--fail-under`` (or is incomplete or unscored), 4 a tenant could not be read at all (``collect`` and ``run``;
``--allow-unreadable`` gives 0). Heavy libraries (msgraph, weasyprint, pandas) are imported inside the commands that use
them, so ``auditor --help`` starts fast.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import typer

from auditor import RULESET_VERSION, __version__
from auditor.cli_common import (
    AsOfOption,
    TableFormat,
    as_of_time,
    fail,
    load_checked_config,
    load_registry,
)
from auditor.cli_results import evaluate_or_fail, note_without_config
from auditor.cli_results import exit_if_below as _exit_if_below
from auditor.cli_results import print_results_table as _print_results_table

app = typer.Typer(
    name="auditor",
    help="Security posture auditor for Microsoft CSP partners and their customer tenants.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help and usage errors: rich's help formatter costs ~80 ms of imports on every `--help`, and help
    # text is then shown exactly as written (no markup to escape).
    rich_markup_mode=None,
)
checks_app = typer.Typer(help="The checks this installation knows.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(checks_app, name="checks")


class ResultFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _console():
    from auditor.cli_common import console

    return console()


def version_callback(value: bool) -> None:
    if value:
        from auditor.results import ruleset_label

        typer.echo(f"auditor {__version__} ({ruleset_label(RULESET_VERSION)})")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=version_callback, is_eager=True, help="Show the version.")
    ] = None,
) -> None:
    """Audit CSP customer tenants against the CSP security best-practice checklist."""


@checks_app.command("list")
def checks_list(
    format: Annotated[TableFormat, typer.Option("--format", "-f", help="table or json")] = TableFormat.table,
) -> None:
    """List every check: id, title, area, severity, the tenants it applies to and the framework controls it
    gives evidence for."""
    registry = load_registry()
    rows = [
        {
            "id": spec.id,
            "title": spec.title,
            "area": spec.area.value,
            "severity": spec.severity.value,
            "applies_to": sorted(kind.value for kind in spec.applies_to),
            "needs": list(spec.needs),
            "wave": spec.wave,
            "references": list(spec.references),
            "frameworks": [control.as_dict() for control in spec.frameworks],
        }
        for spec in registry
    ]
    if format is TableFormat.json:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.table import Table

    table = Table(title=f"{len(rows)} checks (checklist version {RULESET_VERSION})")
    for column in ("ID", "Title", "Area", "Severity", "Applies to", "Frameworks"):
        table.add_column(column)
    for spec, row in zip(registry, rows):
        table.add_row(row["id"], row["title"], row["area"], row["severity"], ", ".join(row["applies_to"]),
                      "\n".join(control.label for control in spec.frameworks))
    _console().print(table)


@app.command()
def evaluate(
    paths: Annotated[list[Path], typer.Argument(help="Snapshot files or folders of snapshots.")],
    format: Annotated[ResultFormat, typer.Option("--format", "-f", help="table, json or csv")] = ResultFormat.table,
    config_path: Annotated[
        Optional[Path], typer.Option("--config", "-c", help="tenants.toml with thresholds and risk acceptances.")
    ] = None,
    fail_under: Annotated[
        Optional[float], typer.Option("--fail-under", help="Exit 3 when a tenant scores below this, or is incomplete or unscored.")
    ] = None,
    as_of: AsOfOption = None,
) -> None:
    """Evaluate snapshot files offline and print the results."""
    from auditor.outputs import results_csv, results_json
    from auditor.snapshot import SnapshotError, load_snapshots

    registry = load_registry()
    config = load_checked_config(config_path, registry)
    try:
        snapshots = load_snapshots(paths)
    except SnapshotError as exc:
        raise fail(str(exc))
    note_without_config(config)
    results = evaluate_or_fail(snapshots, registry, as_of_time(as_of), config)
    if format is ResultFormat.json:
        sys.stdout.write(results_json(results))
    elif format is ResultFormat.csv:
        sys.stdout.write(results_csv(results))
    else:
        _print_results_table(results)
    _exit_if_below(results, fail_under)


def _register_command_modules() -> None:
    # Each feature keeps its commands in its own module; they are cheap to import (no heavy libraries).
    from auditor import cli_collect, cli_gdap, cli_history, cli_notify, cli_reports, cli_run

    for module in (cli_run, cli_reports, cli_collect, cli_gdap, cli_history, cli_notify):
        module.register(app)


_register_command_modules()


def main() -> None:
    from auditor.workers import handle_interrupts

    handle_interrupts()
    app()


if __name__ == "__main__":
    main()
