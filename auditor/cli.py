"""The `auditor` command line. Thin: it parses options, calls the engine, and maps errors to exit codes.

Exit codes: 0 success, 1 bad input (a file, a config, a plugin), 2 usage error, 3 a tenant scored below
``--fail-under`` (or is incomplete or unscored), 4 a tenant could not be read at all (``collect`` and ``run``;
``--allow-unreadable`` gives 0). Heavy libraries (msgraph, weasyprint, pandas) are imported inside the commands that use
them, so ``auditor --help`` starts fast.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import typer

from auditor import RULESET_VERSION, __version__
from auditor.cli_common import (
    EXIT_UNREADABLE,
    EXIT_USAGE,
    AllowUnreadableOption,
    TableFormat,
    fail,
    report_unreadable,
    require_writable_out,
)
from auditor.cli_history import (
    DbOption,
    GroupOption,
    RunIdOption,
    RunLabelOption,
    ShardOption,
    open_history,
    parse_shard_option,
    record,
    run_identity,
)
from auditor.cli_reports import Paper
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
    from rich.console import Console

    # Piped output (CI logs, files) gets room for tenant names instead of rich's 80-column default.
    return Console(stderr=False, highlight=False, width=None if sys.stdout.isatty() else 120)


def load_registry():
    from auditor.registry import Registry, RegistryError

    try:
        return Registry.from_entry_points()
    except RegistryError as exc:
        raise fail(str(exc))


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _as_of(value: str | None, default: datetime | None = None) -> datetime:
    """The evaluation time: --as-of, else the given default, else now. Checks never read the clock."""
    if value is None:
        return default or _now()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"--as-of {value!r} is not an ISO date or date-time (e.g. 2026-11-21 or 2026-11-21T09:00Z)", EXIT_USAGE)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


AsOfOption = Annotated[
    Optional[str],
    typer.Option("--as-of", help="Evaluate as of this date-time (ISO 8601) instead of now; "
                 "the sample portfolio defaults to its collection time."),
]


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
    """List every check: id, title, area, severity and the tenants it applies to."""
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
        }
        for spec in registry
    ]
    if format is TableFormat.json:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.table import Table

    table = Table(title=f"{len(rows)} checks (checklist version {RULESET_VERSION})")
    for column in ("ID", "Title", "Area", "Severity", "Applies to"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["id"], row["title"], row["area"], row["severity"], ", ".join(row["applies_to"]))
    _console().print(table)


def _load_config(path: Path | None, registry):
    """The config at ``path`` (None when no path), with its risk acceptances checked against the registry."""
    from auditor.config import ConfigError, load_config, validate_acceptances

    if path is None:
        return None
    try:
        config = load_config(path)
        validate_acceptances(config, set(registry.ids()), str(path))
    except ConfigError as exc:
        raise fail(str(exc))
    return config


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
    config = _load_config(config_path, registry)
    try:
        snapshots = load_snapshots(paths)
    except SnapshotError as exc:
        raise fail(str(exc))
    note_without_config(config)
    results = evaluate_or_fail(snapshots, registry, _as_of(as_of), config)
    if format is ResultFormat.json:
        sys.stdout.write(results_json(results))
    elif format is ResultFormat.csv:
        sys.stdout.write(results_csv(results))
    else:
        _print_results_table(results)
    _exit_if_below(results, fail_under)


def _progress():
    from auditor.cli_progress import terminal_progress

    return terminal_progress()


def _collect(config, out: Path, started: datetime, shard, group) -> list[Path]:
    """Collect the tenants this run audits into out/snapshots: the listed customers in the shard and group,
    and the partner when the shard holds it and no group is asked for (groups are customer tags). Returns
    the files written, so stale snapshots of an earlier run in the same folder are never evaluated."""
    from auditor.collect import CollectError, collect_all
    from auditor.selection import SelectionError, select

    try:
        listed = select(config.tenants, group, shard, config) if config.tenants else []
    except SelectionError as exc:
        raise fail(str(exc))
    partner = config.partner
    if partner is not None and (group is not None or (shard is not None and not shard.contains(partner.id))):
        partner = None
    if config.tenants and not listed and partner is None:
        typer.echo("no configured tenant falls in this shard: nothing to collect", err=True)
        return []
    # azure-identity logs every failed token request with the full response; the snapshot records it once.
    logging.getLogger("azure").setLevel(logging.ERROR)
    # Listed tenants narrowed to nothing must not fall back to discovering every customer.
    update = {"partner": partner}
    if config.tenants:
        update.update(tenants=listed, discover_customers=False)
    try:
        return collect_all(config.model_copy(update=update), out / "snapshots", progress=_progress(), now=started)
    except CollectError as exc:
        raise fail(str(exc))


@app.command()
def run(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("out"),
    sample: Annotated[bool, typer.Option("--sample", help="Audit the bundled sample tenants.")] = False,
    config_path: Annotated[
        Optional[Path], typer.Option("--config", "-c", help="tenants.toml (tenants, auth, branding, acceptances).")
    ] = None,
    snapshots_dir: Annotated[
        Optional[Path],
        typer.Option("--snapshots", help="Evaluate this folder of snapshots instead of collecting live."),
    ] = None,
    db: DbOption = None,
    no_history: Annotated[bool, typer.Option("--no-history", help="Do not record this run in the history.")] = False,
    group: GroupOption = None,
    shard: ShardOption = None,
    run_id: RunIdOption = None,
    run_label: RunLabelOption = None,
    paper: Annotated[Paper, typer.Option("--paper", help="A4 or Letter.", case_sensitive=False)] = Paper.A4,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, max=64, help="Reports rendered in parallel.")] = 1,
    as_of: AsOfOption = None,
    fail_under: Annotated[
        Optional[float], typer.Option("--fail-under", help="Exit 3 when a tenant scores below this, or is incomplete or unscored.")
    ] = None,
    allow_unreadable: AllowUnreadableOption = False,
) -> None:
    """Audit tenants end to end: collect (or read snapshots), evaluate, score, record in the history, and
    write results.json/.csv/.xlsx, a scorecard per tenant and the portfolio to --out."""
    from auditor.outputs import write_results
    from auditor.report import BrandingError, RenderError, render_reports, validate_branding
    from auditor.samples import sample_config_path, sample_snapshots_dir
    from auditor.selection import Selected, SelectionError, load_selected
    from auditor.snapshot import SnapshotError

    if sum((sample, snapshots_dir is not None)) > 1 or not (sample or snapshots_dir or config_path):
        raise fail("give one source: --sample, --snapshots DIR, or --config tenants.toml (live collection)", EXIT_USAGE)
    registry = load_registry()
    config_source = config_path or (sample_config_path() if sample else None)
    config = _load_config(config_source, registry)
    branding = config.branding if config else None
    if branding is not None:
        try:
            validate_branding(branding)  # before any collection or rendering starts
        except BrandingError as exc:
            raise fail(str(exc))
    shard_spec = parse_shard_option(shard)
    identity, label = run_identity(run_id, run_label)
    require_writable_out(out)  # before anything is recorded: a rerun under the same label would be refused
    if sample and db is None and not no_history:
        db = _sample_history(out)
    # Opened (and its schema checked) before a long collection, so a bad --db fails first.
    history = None if no_history else open_history(db, config.database if config else None)
    started = _now()

    if sample:
        sources = [sample_snapshots_dir()]
    elif snapshots_dir is not None:
        sources = [snapshots_dir]
    else:
        sources = _collect(config, out, started, shard_spec, group)
    try:
        # A shard may hold no tenant; it is still recorded, so the history shows that shard as done.
        selected = load_selected(sources, group, shard_spec, config) if sources else Selected([], {})
    except (SnapshotError, SelectionError) as exc:
        raise fail(str(exc))
    if not sample and snapshots_dir is None:  # collected live: one line per shared failure cause
        from auditor.collect.hints import collection_hints

        for line in collection_hints(selected.snapshots):
            typer.echo(line, err=True)
    # The demo is evaluated as of its collection, so it reads the same whatever the date.
    default_time = max((s.collected_at for s in selected.snapshots), default=None) if sample else None
    evaluated_at = _as_of(as_of, default_time)
    note_without_config(config)
    results = evaluate_or_fail(selected.snapshots, registry, evaluated_at, config, run_id=identity,
                               operator=_operator())

    # Recorded before rendering: the reports read each tenant's trend back from the history.
    changes = None if history is None else _record_run(
        history, results, started, selected.files, str(shard_spec) if shard_spec else None, label
    )
    try:
        written = write_results(results, out)
        written += render_reports(results, out, branding, paper=paper.value, history=changes, jobs=jobs,
                                  progress=_progress())
    except (BrandingError, RenderError) as exc:
        raise fail(str(exc))
    except OSError as exc:
        raise fail(f"{exc.filename or out}: cannot write: {exc.strerror or exc}")
    _print_results_table(results)
    typer.echo(f"run {results.run_id}: wrote {len(written)} files to {out}/ "
               f"(results.json, results.csv, results.xlsx, portfolio and scorecards)")
    unreadable = report_unreadable(selected.snapshots)
    # issue 15: notifications last, once everything is written and recorded; a failure is a warning only.
    from auditor.cli_notify import notify_after_run

    notify_after_run(config, history, results, selected.snapshots, changes, label)
    gate_unreadable = unreadable and not (allow_unreadable or (config is not None and config.allow_unreadable))
    try:
        _exit_if_below(results, fail_under)
    except typer.Exit:
        # A tenant that could not be read outranks a low score: the audit itself is incomplete.
        if not gate_unreadable:
            raise
    if gate_unreadable:
        raise typer.Exit(EXIT_UNREADABLE)


def _sample_history(out: Path) -> str:
    """A fresh throwaway history for the demo, under --out: `run --sample` never writes to the partner's real
    history ($AUDITOR_DB, the config's or the default database); only an explicit --db is honoured."""
    path = out / "sample-history.sqlite"
    try:
        out.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise fail(f"{exc.filename or out}: cannot write: {exc.strerror or exc}")
    return str(path)


def _record_run(engine, results, started: datetime, files, shard: str | None, label: str | None):
    """Record the run in the history; each tenant's trend and changes for the reports."""
    from auditor import store

    try:
        record(engine, results, started_at=started, snapshots=files, shard=shard, label=label)
        return store.tenant_history(engine, results.run_id, [t.tenant_id for t in results.tenants])
    except store.StoreError as exc:
        raise fail(str(exc))
    finally:
        engine.dispose()


def _operator() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return ""


def _register_command_modules() -> None:
    # Each feature keeps its commands in its own module; they are cheap to import (no heavy libraries).
    from auditor import cli_collect, cli_history, cli_notify, cli_reports

    for module in (cli_reports, cli_collect, cli_history, cli_notify):
        module.register(app)


_register_command_modules()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
