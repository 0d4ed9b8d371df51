"""The digest of a recorded run, read from the history store.

What changed comes from auditor.store.tenant_history (the comparison the reports and `auditor diff` use:
each tenant against its own most recent earlier audit). Unreadable tenants come from the snapshots
(auditor.readable): after `auditor run` the snapshots in memory; for `auditor notify --run` the snapshot
files the history names, when they are still on disk (a note says so when they are not).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Iterable, Mapping

from auditor.notify.digest import Digest, tenant_news

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from auditor.results import AuditResults, TenantResult
    from auditor.snapshot import TenantSnapshot
    from auditor.trend import TenantChange


def unreadable_of(snapshots: Iterable["TenantSnapshot"]) -> dict[str, str]:
    """tenant id → why it could not be read at all (auditor.readable), for the tenants that could not."""
    from auditor.readable import unreadable_tenants

    return {tenant.tenant_id: tenant.reason for tenant in unreadable_tenants(snapshots)}


def unreadable_from_history(engine: "Engine", run_id: str) -> tuple[dict[str, str], list[str]]:
    """(tenant id → reason, notes) judged from the snapshot files a recorded run names. A file no longer on
    disk, or no longer readable, cannot be judged: the note says how many."""
    from pathlib import Path

    from auditor.readable import unreadable_reason
    from auditor.snapshot import SnapshotError, load_snapshot
    from auditor.store import snapshot_refs

    found: dict[str, str] = {}
    missing = 0
    for tenant_id, ref in snapshot_refs(engine, run_id).items():
        path = Path(ref.path)
        try:
            reason = unreadable_reason(load_snapshot(path))
        except (SnapshotError, OSError):
            missing += 1
            continue
        if reason is not None:
            found[tenant_id] = reason
    notes = [f"{missing} tenant snapshot(s) of run {run_id} are no longer readable on disk: whether those "
             "tenants could be read is not reported"] if missing else []
    return found, notes


def _previous_partner(engine: "Engine", results: "AuditResults", changes: Mapping[str, "TenantChange"]) -> dict[str, "TenantResult"]:
    """The partner tenant's result at its previous audit (for its new security alerts), keyed by tenant id."""
    from auditor.store import load_run_results

    previous: dict[str, TenantResult] = {}
    for tenant in results.tenants:
        change = changes.get(tenant.tenant_id)
        if tenant.kind != "partner" or change is None or change.previous_run_id is None:
            continue
        earlier = load_run_results(engine, change.previous_run_id, [tenant.tenant_id]).tenants
        if earlier:
            previous[tenant.tenant_id] = earlier[0]
    return previous


def build_digest(
    engine: "Engine",
    results: "AuditResults",
    unreadable: Mapping[str, str] | None = None,
    changes: Mapping[str, "TenantChange"] | None = None,
    label: str | None = None,
    notes: Iterable[str] = (),
) -> Digest:
    """The digest of ``results``, a run recorded in the history behind ``engine``. ``changes`` is
    auditor.store.tenant_history's answer when the caller already has it (``auditor run`` does), else it
    is read. Raises auditor.store.StoreError when the history cannot be read."""
    from auditor.store import tenant_history

    tenant_ids = [tenant.tenant_id for tenant in results.tenants]
    if changes is None:
        changes = tenant_history(engine, results.run_id, tenant_ids)
    previous = _previous_partner(engine, results, changes)
    today: date = results.generated_at.date()
    unreadable = unreadable or {}
    return Digest(
        run_id=results.run_id,
        generated_at=results.generated_at,
        label=label,
        tenants=tuple(
            tenant_news(tenant, changes.get(tenant.tenant_id), today, unreadable.get(tenant.tenant_id),
                        previous.get(tenant.tenant_id))
            for tenant in results.tenants
        ),
        notes=tuple(notes),
    )


def digest_of_recorded_run(engine: "Engine", run_ref: str) -> Digest:
    """The digest of a run in the history, by id or unique prefix (``auditor notify --run``): every tenant
    recorded under it, every shard included. Raises auditor.store.StoreError for an unknown run."""
    from auditor.store import get_run, load_run_results

    run = get_run(engine, run_ref)
    results = load_run_results(engine, run.id)
    unreadable, notes = unreadable_from_history(engine, run.id)
    return build_digest(engine, results, unreadable, label=run.label, notes=notes)
