"""What `auditor evaluate` and `auditor run` print about the results: the console table, the scoring rule
applied, the note when no config was given, and the ``--fail-under`` gate (exit 3)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer

from auditor.cli_common import EXIT_FAIL_UNDER, console, fail
from auditor.safe_text import terminal

if TYPE_CHECKING:
    from auditor.results import AuditResults, TenantResult

NO_CONFIG_NOTE = (
    "note: no --config given: no break-glass accounts, risk acceptances or attestations were applied, "
    "and the default scoring rule was used"
)


def note_without_config(config: Any) -> None:
    """One line on stderr when a run evaluates without a config, so nobody takes the absence of their
    break-glass accounts, acceptances and attestations for a result."""
    if config is None:
        typer.echo(NO_CONFIG_NOTE, err=True)


def evaluate_or_fail(snapshots: list, registry: Any, now: datetime, config: Any, **kwargs: Any) -> "AuditResults":
    """auditor.evaluate.evaluate with a config problem found while binding it to the run's tenants (a
    reference matching no tenant, a review date in the future), or a snapshot file that can no longer be
    read when it is read again to be evaluated, as one ``error:`` line and exit 1."""
    from auditor.config import ConfigError
    from auditor.evaluate import evaluate
    from auditor.snapshot import SnapshotError

    try:
        return evaluate(snapshots, registry, now, config, **kwargs)
    except (ConfigError, SnapshotError) as exc:  # SnapshotError: a file changed between reading and evaluating
        raise fail(str(exc)) from None


def print_results_table(results: "AuditResults") -> None:
    """One row per tenant: score, grade ("Incomplete" below the coverage floor), coverage and counts, with
    the scoring rule under the table."""
    from rich.table import Table

    from auditor.results import Status, fmt_coverage, fmt_score

    table = Table(title=f"Audit {results.run_id} ({results.generated_at:%Y-%m-%d %H:%M} UTC)",
                  caption=results.scoring.describe().capitalize())
    for column in ("Tenant", "Kind", "Score", "Grade", "Coverage", "FAIL", "PASS", "UNKNOWN", "Other"):
        table.add_column(column, justify="left" if column in ("Tenant", "Kind") else "right")
    for tenant in results.tenants:
        counts = {status: 0 for status in Status}
        for result in tenant.results:
            counts[result.status] += 1
        other = sum(n for s, n in counts.items() if s not in (Status.FAIL, Status.PASS, Status.UNKNOWN))
        table.add_row(
            terminal(tenant.display_name),
            tenant.kind,
            fmt_score(tenant.score),
            tenant.grade,
            fmt_coverage(tenant.coverage),
            str(counts[Status.FAIL]),
            str(counts[Status.PASS]),
            str(counts[Status.UNKNOWN]),
            str(other),
        )
    console().print(table)


def below_bar(results: "AuditResults", fail_under: float) -> list[tuple["TenantResult", str]]:
    """The tenants a ``--fail-under`` gate stops on, each with why: scored below the bar, incomplete
    (coverage under the floor: a score resting on too little to pass anyone), or unscored."""
    from auditor.results import fmt_coverage, fmt_score

    floor = fmt_coverage(results.scoring.min_coverage)
    found = []
    for tenant in results.tenants:
        if tenant.score is None:
            found.append((tenant, "Incomplete, no score: nothing could be assessed"))
        elif tenant.incomplete:
            found.append((tenant, f"Incomplete: coverage {fmt_coverage(tenant.coverage)} is under {floor}"))
        elif tenant.score < fail_under:
            found.append((tenant, f"score {fmt_score(tenant.score)}"))
    return found


def exit_if_below(results: "AuditResults", fail_under: float | None) -> None:
    """Exit 3 naming every tenant below ``--fail-under``, incomplete or unscored: a gate that cannot see a
    tenant must not pass it."""
    if fail_under is None:
        return
    found = below_bar(results, fail_under)
    if found:
        names = "; ".join(f"{tenant.display_name} ({why})" for tenant, why in found)
        typer.echo(terminal(f"below --fail-under {fail_under:g}: {names}"), err=True)
        raise typer.Exit(EXIT_FAIL_UNDER)
