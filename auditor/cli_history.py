"""CLI commands for the audit history: ``auditor history`` (list runs), ``auditor history delete RUN``
and ``auditor diff``. The options and helpers other commands share to reach the history (``--db``,
``record``) are in auditor.cli_common."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Optional

import click
import typer

from auditor.cli_common import EXIT_USAGE, DbOption, TableFormat, fail, open_history
from auditor.safe_text import terminal

if TYPE_CHECKING:
    from auditor.store import RunDiff, RunSummary

# --- formatting --------------------------------------------------------------------------------------


def _score(value: float | None) -> str:
    from auditor.results import fmt_score

    return fmt_score(value)


def _delta(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:+.1f}" if value else "±0"


def _when(run: "RunSummary") -> str:
    return f"{run.started_at:%Y-%m-%d %H:%M}"


def _run_json(run: "RunSummary") -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": run.id,
        "label": run.label,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat(),
        # The checks' "now"; as_of_given: set by --as-of (or the sample's collection time), not the clock.
        "as_of": run.generated_at.isoformat(),
        "as_of_given": run.as_of is not None,
        "created_at": run.created_at.isoformat() if run.created_at else None,  # wall clock; None before schema 4
        "config_sha256": run.config_sha256,
        "tool_version": run.tool_version,
        "ruleset_version": run.ruleset_version,
        "operator": run.operator,
        "tenants": run.tenants,
        "mean_score": run.mean_score,
        "lowest_score": run.lowest_score,
        "incomplete": run.incomplete,
        "scoring": {**run.scoring.model_dump(mode="json"), "description": run.scoring.describe()},
        "shards": [s for s in run.shards if s],
        "missing_shards": run.missing_shards,
    }
    if run.tenant_grade is not None:
        data["tenant_score"] = run.tenant_score
        data["tenant_grade"] = run.tenant_grade
    return data


def _shards_cell(run: "RunSummary") -> str:
    if not run.shard_count:
        return ""
    recorded = len([s for s in run.shards if s])
    text = f"{recorded}/{run.shard_count}"
    return text if not run.missing_shards else f"{text} (missing {', '.join(run.missing_shards)})"


def _console():
    from auditor.cli_common import console

    return console(width=None)


def _print_history(runs: list["RunSummary"], tenant: str | None) -> None:
    from rich import box
    from rich.table import Table

    if tenant:
        table = Table(title=terminal(f"Audits of {tenant}"), box=box.SIMPLE_HEAD)
        for column in ("Run", "Label", "Started (UTC)", "Score", "Grade", "Change"):
            table.add_column(column, justify="right" if column in ("Score", "Change") else "left")
        previous: float | None = None
        for run in runs:
            change = (
                run.tenant_score - previous if run.tenant_score is not None and previous is not None else None
            )
            table.add_row(run.id, run.label or "", _when(run), _score(run.tenant_score), run.tenant_grade or "",
                          _delta(None if change is None else round(change, 1)))
            previous = run.tenant_score
    else:
        # The rule-set column only matters when it changed between runs (scores are then less comparable).
        rulesets = len({(run.ruleset_version, run.scoring) for run in runs}) > 1
        table = Table(title=f"{len(runs)} recorded run{'s' if len(runs) != 1 else ''}", box=box.SIMPLE_HEAD)
        table.add_column("Run", no_wrap=True)
        table.add_column("Label", overflow="fold")
        table.add_column("Started (UTC)", no_wrap=True)
        for column in ("Tenants", "Mean", "Lowest", "Incomplete"):
            table.add_column(column, justify="right")
        table.add_column("Shards", overflow="fold")
        if rulesets:
            table.add_column("Rule set", overflow="fold")
        for run in runs:
            row = [run.id, run.label or "", _when(run), str(run.tenants), _score(run.mean_score),
                   _score(run.lowest_score), str(run.incomplete), _shards_cell(run)]
            ruleset = f"{run.ruleset_version}; {run.scoring.describe()}"
            table.add_row(*row, *([ruleset] if rulesets else []))
    _console().print(table)


def _diff_json(result: "RunDiff") -> dict[str, Any]:
    return {
        "run_a": _run_json(result.run_a),
        "run_b": _run_json(result.run_b),
        "tenants": [
            {
                "tenant_id": entry.tenant_id,
                "tenant": entry.display_name,
                "in_a": entry.in_a,
                "in_b": entry.in_b,
                "grade_a": entry.grade_a,
                "grade_b": entry.grade_b,
                "newly_failing": entry.change.newly_failing,
                "fixed": entry.change.fixed,
                "still_failing": entry.change.still_failing,
                "score_change": entry.change.score_change,
            }
            for entry in result.tenants
        ],
    }


def _print_diff(result: "RunDiff", show_all: bool) -> None:
    from rich import box
    from rich.table import Table

    a, b = result.run_a, result.run_b
    entries = [e for e in result.tenants if show_all or e.changed or e.change.still_failing]
    table = Table(title=f"{a.id} ({_when(a)}) → {b.id} ({_when(b)})", box=box.SIMPLE_HEAD)
    for column in ("Tenant", "Grade", "Score change", "Newly failing", "Fixed", "Still failing"):
        table.add_column(column, justify="right" if column == "Score change" else "left")
    for entry in entries:
        change = entry.change
        if not entry.in_b:
            table.add_row(terminal(entry.display_name), entry.grade_a or "", "–", "(not audited in the later run)", "", "")
            continue
        if not entry.in_a:
            table.add_row(terminal(entry.display_name), entry.grade_b or "", "–", "(first audit)", "", "")
            continue
        grade = entry.grade_b if entry.grade_a == entry.grade_b else f"{entry.grade_a} → {entry.grade_b}"
        table.add_row(
            terminal(entry.display_name),
            grade or "",
            _delta(change.score_change),
            ", ".join(change.newly_failing),
            ", ".join(change.fixed),
            ", ".join(change.still_failing),
        )
    console = _console()
    console.print(table)
    unchanged = len(result.tenants) - len(entries)
    if unchanged:
        console.print(f"{unchanged} tenant{'s' if unchanged != 1 else ''} with no failing check and no change (--all lists them).")


# --- commands ----------------------------------------------------------------------------------------


def history(
    ctx: typer.Context,
    tenant: Annotated[
        Optional[str], typer.Option("--tenant", "-t", help="Only runs auditing this tenant (id, display name, or default or verified domain).")
    ] = None,
    db: DbOption = None,
    limit: Annotated[Optional[int], typer.Option("--limit", "-n", min=1, help="Only the latest N runs.")] = None,
    format: Annotated[TableFormat, typer.Option("--format", "-f", help="table or json")] = TableFormat.table,
) -> None:
    """List recorded runs, oldest first, with their scores (`auditor history delete RUN` deletes one)."""
    from auditor.store import StoreError, list_runs

    if ctx.invoked_subcommand is not None:
        if tenant is not None or db is not None or limit is not None or format is not TableFormat.table:
            raise fail(f"the options of `auditor history` list runs; give them after `{ctx.invoked_subcommand}`",
                       EXIT_USAGE)
        return

    engine = open_history(db, create=False)
    try:
        runs = list_runs(engine, tenant=tenant, limit=limit)
    except StoreError as exc:
        raise fail(str(exc)) from None
    finally:
        engine.dispose()
    if format is TableFormat.json:
        typer.echo(json.dumps([_run_json(run) for run in runs], indent=2))
        return
    if not runs:
        typer.echo("No runs recorded yet.")
        return
    _print_history(runs, tenant)


def diff_command(
    runs: Annotated[
        Optional[list[str]], typer.Argument(metavar="[RUN_A RUN_B]", help="Two run ids (or unique prefixes); default: the two latest.")
    ] = None,
    db: DbOption = None,
    tenant: Annotated[Optional[str], typer.Option("--tenant", "-t", help="Only this tenant (id, display name, or default or verified domain).")] = None,
    show_all: Annotated[bool, typer.Option("--all", help="Also list tenants with nothing failing and no change.")] = False,
    format: Annotated[TableFormat, typer.Option("--format", "-f", help="table or json")] = TableFormat.table,
) -> None:
    """Per tenant, the checks newly failing, fixed and still failing between two runs, and the score change."""
    from auditor.store import StoreError, diff, latest_run_ids

    runs = runs or []
    if len(runs) not in (0, 2):
        raise fail("give two runs (RUN_A RUN_B), or none to compare the two latest")
    engine = open_history(db, create=False)
    try:
        if not runs:
            latest = latest_run_ids(engine, 2, tenant=tenant)
            if len(latest) < 2:
                raise fail(f"the history holds {len(latest)} run{'s' if len(latest) != 1 else ''}; a diff needs two")
            runs = [latest[1], latest[0]]
        result = diff(engine, runs[0], runs[1], tenant=tenant)
    except StoreError as exc:
        raise fail(str(exc)) from None
    finally:
        engine.dispose()
    if format is TableFormat.json:
        typer.echo(json.dumps(_diff_json(result), indent=2))
        return
    _print_diff(result, show_all)


def _describe(run: "RunSummary") -> str:
    label = f" ({run.label})" if run.label else ""
    shards = f", {_shards_cell(run)} shards" if run.shard_count else ""
    return (f"run {run.id}{label}, started {_when(run)} UTC, {run.tenants} tenant{'s' if run.tenants != 1 else ''}"
            f"{shards}")


def delete_command(
    run: Annotated[str, typer.Argument(metavar="RUN", help="The run id (or a unique prefix of it).")],
    db: DbOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking.")] = False,
) -> None:
    """Delete a recorded run with every shard, tenant and check result of it, in one transaction."""
    from auditor.store import StoreError, delete_run, get_run

    engine = open_history(db, create=False)
    try:
        found = get_run(engine, run)
        if not yes:
            try:
                confirmed = typer.confirm(terminal(f"Delete {_describe(found)} from the history?"), default=False, err=True)
            except (click.exceptions.Abort, typer.Abort, EOFError):  # no answer (stdin closed)
                raise fail(f"run {found.id} not deleted: no answer to the question (give --yes to delete "
                           "without asking)") from None
            if not confirmed:
                raise fail(f"run {found.id} not deleted")
        deleted = delete_run(engine, found.id)
    except StoreError as exc:
        raise fail(str(exc)) from None
    finally:
        engine.dispose()
    typer.echo(terminal(f"deleted {_describe(deleted)}"))


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app: ``history`` (a group: listing is its own action,
    ``delete`` its subcommand) and ``diff``."""
    history_app = typer.Typer(rich_markup_mode=None)
    history_app.callback(invoke_without_command=True)(history)
    history_app.command("delete")(delete_command)
    app.add_typer(history_app, name="history")
    app.command("diff")(diff_command)
