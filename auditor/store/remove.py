"""Taking a run out of the history: ``auditor history delete RUN``, and the first half of ``--replace``.

Both are one transaction that first locks the run's row, so a shard of the same run being recorded at the
same moment waits and then lands whole, either before (and is deleted with the run) or after (and starts
the run afresh). The tenants' names "as last seen" go back to those of their latest remaining run, and a
tenant no remaining run audited leaves the history."""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import Connection, Engine, delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from auditor.redact import scrub, url_secrets
from auditor.store.base import StoreError, first_line, redact, write_transaction
from auditor.store.branding import drop_logo_if_unused
from auditor.store.read import RUN_ORDER, RunSummary, get_run
from auditor.store.tables import check_results_table, run_parts_table, runs_table, tenant_results_table, tenants_table


def tenant_order(tenant_id: str) -> str:
    """The one order every writer touches tenants' rows in, so two transactions sharing tenants take their
    PostgreSQL row locks alike and cannot deadlock."""
    return tenant_id.lower()


def delete_run_rows(conn: Connection, run_id: str) -> list[str]:
    """Delete every part of a run, its tenant and check results (not the run's own row); the ids of the
    tenants it had results for. The caller holds the run row's lock."""
    parts, results, checks = run_parts_table, tenant_results_table, check_results_table
    tenant_ids = conn.execute(select(results.c.tenant_id).where(results.c.run_id == run_id)).scalars().all()
    conn.execute(delete(checks).where(checks.c.tenant_result_id.in_(select(results.c.id).where(results.c.run_id == run_id))))
    conn.execute(delete(results).where(results.c.run_id == run_id))
    conn.execute(delete(parts).where(parts.c.run_id == run_id))
    return list(tenant_ids)


def refresh_tenant(conn: Connection, tenant_id: str) -> None:
    """Set a tenant's row back to its latest remaining result, or delete it when no run audited it.
    The row is locked first; the look-up that follows is a statement of its own, so on PostgreSQL it sees
    a result another writer committed while this transaction waited for the lock."""
    tenants, results, runs = tenants_table, tenant_results_table, runs_table
    if conn.execute(select(tenants.c.id).where(tenants.c.id == tenant_id).with_for_update()).first() is None:
        return
    latest = conn.execute(
        select(results.c.display_name, results.c.default_domain, results.c.kind, results.c.domains, runs.c.finished_at)
        .join(runs, runs.c.id == results.c.run_id)
        .where(results.c.tenant_id == tenant_id)
        .order_by(*(column.desc() for column in RUN_ORDER))
        .limit(1)
    ).first()
    if latest is None:
        conn.execute(delete(tenants).where(tenants.c.id == tenant_id))
        return
    conn.execute(
        update(tenants)
        .where(tenants.c.id == tenant_id)
        .values(display_name=latest.display_name, default_domain=latest.default_domain, kind=latest.kind,
                domains=latest.domains, last_seen_at=latest.finished_at)
    )


def refresh_tenants(conn: Connection, tenant_ids: Iterable[str]) -> None:
    for tenant_id in sorted(set(tenant_ids), key=tenant_order):
        refresh_tenant(conn, tenant_id)


def delete_run(engine: Engine, run_ref: str) -> RunSummary:
    """Delete a run (by id or unique prefix, as ``get_run``) with all its parts in one transaction; the
    run as it was. Raises StoreError when there is no such run (or it was deleted meanwhile) or the
    database cannot be written."""
    run = get_run(engine, run_ref)
    runs = runs_table
    try:
        with write_transaction(engine) as conn:
            row = conn.execute(select(runs.c.id, runs.c.logo_sha256).where(runs.c.id == run.id).with_for_update()).first()
            if row is None:
                raise StoreError(f"run {run.id} is no longer in the history (deleted meanwhile?)")
            tenant_ids = delete_run_rows(conn, run.id)
            conn.execute(delete(runs).where(runs.c.id == run.id))
            drop_logo_if_unused(conn, row.logo_sha256)
            refresh_tenants(conn, tenant_ids)
    except SQLAlchemyError as exc:
        message = scrub(first_line(exc), url_secrets(engine.url.render_as_string(hide_password=False)))
        raise StoreError(f"cannot delete run {run.id} from {redact(engine.url)}: {message}") from None
    return run
