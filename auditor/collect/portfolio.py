"""Every tenant of a config collected into snapshot files: the partner first when its relationships name the
customers (discovery), then the customers, a bounded number at once, in this process or spread over worker
processes (auditor/collect/pool.py). The runs come back in target order, whatever order they finished in.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

from auditor.collect.collector import CollectError, Target, TenantRun, collect_tenant, snapshot_filename
from auditor.collect.connections import shared_connections
from auditor.collect.credentials import ONE_PROCESS_METHODS, SINGLE_TENANT_METHODS
from auditor.collect.options import CollectOptions
from auditor.collect.trust import TrustError, trust_context
from auditor.config import AuditConfig
from auditor.progress import NoProgress, Progress
from auditor.snapshot import TenantKind, TenantSnapshot, write_snapshot


def _targets(config: AuditConfig) -> tuple[Target | None, list[Target]]:
    partner = None
    if config.partner is not None:
        partner = Target(config.partner.id, config.partner.name, TenantKind.PARTNER)
    customers = [Target(t.id, t.name, TenantKind.CUSTOMER, tuple(t.tags)) for t in config.tenants]
    return partner, customers


def discovered_customers(partner_snapshot: TenantSnapshot) -> list[Target]:
    """Customers from the partner's active GDAP relationships (one per customer tenant)."""
    relationships = partner_snapshot.section("delegated_admin_relationships")
    if not relationships.ok:
        return []
    found: dict[str, Target] = {}
    for relationship in relationships.data or []:
        customer = relationship.get("customer") or {}
        tenant_id = customer.get("tenantId")
        if relationship.get("status") == "active" and tenant_id and tenant_id.lower() not in found:
            found[tenant_id.lower()] = Target(tenant_id, customer.get("displayName") or "", TenantKind.CUSTOMER)
    return list(found.values())


async def collect_and_write(
    target: Target, config: AuditConfig, options: CollectOptions, now: datetime | None, out_dir: Path, keep: bool
) -> tuple[TenantRun, str]:
    """Collect one tenant and write its snapshot file; the run (without its snapshot unless ``keep``: 1,000
    tenants of snapshots would otherwise stay in memory) and the tenant's label for progress."""
    run = await collect_tenant(target, config, options, now)
    assert run.snapshot is not None
    # Serialising a 300-user tenant is ~2 ms of CPU: done in a thread, off this loop's other tenants.
    await asyncio.to_thread(write_snapshot, out_dir / snapshot_filename(target.id), run.snapshot)
    label = run.snapshot.tenant.display_name
    if not keep:
        run.snapshot = None
    return run, label


async def collect_all_async(
    config: AuditConfig,
    out_dir: Path,
    *,
    progress: Progress | None = None,
    now: datetime | None = None,
    options: CollectOptions | None = None,
    keep_snapshots: bool = True,
) -> list[TenantRun]:
    """Collect every tenant of the config; the runs in target order (the partner first, then customers in
    config or discovery order), whatever order they finished in."""
    options = options or CollectOptions()
    progress = progress or NoProgress()
    partner, customers = _targets(config)
    if partner is None and not customers:
        raise CollectError("the config lists no tenants: add [partner] and/or [[tenants]]")
    discover = not customers and config.discover_customers and partner is not None
    if config.auth.method in SINGLE_TENANT_METHODS and (len(customers) + (partner is not None) > 1 or discover):
        raise CollectError(
            f"auth.method {config.auth.method!r} signs in to a single tenant; list one tenant, or use "
            "client_secret or certificate (a multi-tenant app consented in each customer)"
        )
    try:
        trust = trust_context(options.environ, config.endpoints.ca_bundle, options.ca_bundle)  # built once, shared
    except TrustError as exc:
        raise CollectError(str(exc)) from None
    concurrency = options.concurrency or config.concurrency
    limit = asyncio.Semaphore(concurrency)

    def done(run: TenantRun, label: str) -> None:
        progress.advance(label, failed=run.failed_whole or bool(run.errors))

    async def one(target: Target, keep: bool = keep_snapshots) -> TenantRun:
        async with limit:
            run, label = await collect_and_write(target, config, options, now, out_dir, keep)
            done(run, label)
            return run

    async def spread(targets: list[Target]) -> list[TenantRun]:
        jobs = 1 if config.auth.method in ONE_PROCESS_METHODS else min(options.jobs, len(targets))
        if jobs > 1:  # each worker process tunes its own garbage collector and opens its own pool
            from auditor.collect.pool import collect_in_workers

            return await collect_in_workers(targets, config, out_dir, options, jobs=jobs,
                                            concurrency=concurrency, now=now, keep_snapshots=keep_snapshots,
                                            on_done=done)
        from auditor.collect.pool import collection_gc

        with collection_gc():
            return list(await asyncio.gather(*(one(t) for t in targets)))

    async def pooled(work: Any) -> Any:
        async with shared_connections(trust, options.connections_per_host):  # one pool for this process's tenants
            return await work

    progress.start(len(customers) + (partner is not None), "Collecting tenants")
    try:
        if partner is not None and discover:
            partner_run = await pooled(one(partner, keep=True))  # its relationships name the customers
            customers = discovered_customers(partner_run.snapshot)  # type: ignore[arg-type]
            # The total is known only now; a second start() updates it (the partner stays counted).
            progress.start(1 + len(customers), "Collecting tenants")
            return [partner_run, *await pooled(spread(customers))]
        return await pooled(spread(([partner] if partner else []) + customers))
    finally:
        progress.finish()


def collect_all(
    config: AuditConfig,
    out_dir: Path,
    *,
    progress: Progress | None = None,
    now: datetime | None = None,
    options: CollectOptions | None = None,
) -> list[Path]:
    """Collect every tenant of the config into out_dir/<tenant id>.json; return the paths written (the
    partner first, then customers in config or discovery order)."""
    runs = asyncio.run(
        collect_all_async(config, out_dir, progress=progress, now=now, options=options, keep_snapshots=False)
    )
    return [out_dir / snapshot_filename(r.target.id) for r in runs]
