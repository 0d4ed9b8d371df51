"""Comparing runs: each tenant's score over time and what changed since its last audit (the reports'
trend), and the per-tenant difference between two runs (``auditor diff``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import Engine, and_, or_, select

from auditor.store.base import from_db, reads, to_db
from auditor.store.read import RUN_ORDER, RunSummary, chunks, get_run, load_run, load_tenant_results, tenant_id
from auditor.store.tables import runs_table, tenant_results_table
from auditor.trend import ScorePoint, TenantChange, compare


@reads
def tenant_history(engine: Engine, run_id: str, tenant_ids: Iterable[str] | None = None) -> dict[str, TenantChange]:
    """For every tenant of a run: its score over all runs up to this one (oldest first), and what changed
    since the most recent earlier run that audited it (which need not be the previous run overall: a
    tenant may sit out a group run). The reports render these."""
    run = get_run(engine, run_id)
    current = load_run(engine, run, tenant_ids)
    mine, other, runs = tenant_results_table.alias("mine"), tenant_results_table.alias("other"), runs_table
    with engine.connect() as conn:
        rows = conn.execute(
            select(other.c.id, other.c.tenant_id, other.c.score, other.c.grade, runs.c.id.label("run_id"), runs.c.started_at)
            .join(mine, and_(mine.c.tenant_id == other.c.tenant_id, mine.c.run_id == run.id))
            .join(runs, runs.c.id == other.c.run_id)
            .where(
                or_(
                    runs.c.started_at < to_db(run.started_at),
                    and_(runs.c.started_at == to_db(run.started_at), runs.c.id <= run.id),
                )
            )
            .order_by(*RUN_ORDER)
        ).all()
        points: dict[str, list[ScorePoint]] = defaultdict(list)
        previous_row: dict[str, Any] = {}
        for row in rows:
            points[row.tenant_id].append(ScorePoint(row.run_id, from_db(row.started_at), row.score, row.grade))
            if row.run_id != run.id:
                previous_row[row.tenant_id] = row
        full_rows = []
        for chunk in chunks([row.id for row in previous_row.values()]):
            full_rows.extend(conn.execute(select(tenant_results_table).where(tenant_results_table.c.id.in_(chunk))).all())
        previous = {tenant.tenant_id: tenant for tenant in load_tenant_results(conn, full_rows)}
    changes: dict[str, TenantChange] = {}
    for tenant in current.tenants:
        before = previous_row.get(tenant.tenant_id)
        changes[tenant.tenant_id] = compare(
            previous.get(tenant.tenant_id),
            tenant,
            points=points.get(tenant.tenant_id, []),
            previous_run_id=before.run_id if before is not None else None,
            previous_at=from_db(before.started_at) if before is not None else None,
        )
    return changes


@dataclass(frozen=True)
class TenantDiff:
    tenant_id: str
    display_name: str
    change: TenantChange
    in_a: bool = True
    in_b: bool = True
    # The tenant's grade in each run ("Incomplete" below the coverage floor); None where not audited.
    grade_a: str | None = None
    grade_b: str | None = None

    @property
    def changed(self) -> bool:
        c = self.change
        return (bool(c.newly_failing or c.fixed) or (c.score_change not in (None, 0)) or not (self.in_a and self.in_b)
                or self.grade_a != self.grade_b)


@dataclass(frozen=True)
class RunDiff:
    run_a: RunSummary
    run_b: RunSummary
    tenants: list[TenantDiff] = field(default_factory=list)


@reads
def diff(engine: Engine, run_a: str, run_b: str, tenant: str | None = None) -> RunDiff:
    """Per tenant, what changed from run A to run B: newly failing, fixed, still failing, score change.
    A tenant only in B is a first audit; one only in A is listed as no longer audited."""
    a, b = get_run(engine, run_a), get_run(engine, run_b)
    only = [tenant_id(engine, tenant)] if tenant else None
    results_a = {t.tenant_id: t for t in load_run(engine, a, only).tenants}
    results_b = load_run(engine, b, only).tenants
    entries: list[TenantDiff] = []
    for current in results_b:
        before = results_a.pop(current.tenant_id, None)
        change = compare(before, current, previous_run_id=a.id if before else None, previous_at=a.started_at if before else None)
        entries.append(TenantDiff(current.tenant_id, current.display_name, change, in_a=before is not None,
                                  grade_a=before.grade if before else None, grade_b=current.grade))
    for gone in results_a.values():
        entries.append(TenantDiff(gone.tenant_id, gone.display_name, TenantChange(tenant_id=gone.tenant_id), in_b=False,
                                  grade_a=gone.grade))
    entries.sort(key=lambda e: (e.display_name.lower(), e.tenant_id))
    return RunDiff(a, b, entries)
