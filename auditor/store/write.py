"""Recording runs: one transaction per run (or per shard of one), replacing a run with ``--replace``.

- **One transaction per run.** ``record_run`` writes a run (or one shard of it) in a single transaction at
  the end of the audit, so a process killed mid-way leaves no partial run.
- **Concurrent writers.** SQLite takes the write lock at the start of a write transaction (``BEGIN
  IMMEDIATE``), so two processes writing at once queue instead of failing; PostgreSQL serialises the few
  contended rows with ``ON CONFLICT`` and ``SELECT … FOR UPDATE``, and every writer touches tenants' rows
  in one order (``tenant_order``).
- **Shards merge.** All shards of one scheduled run write under one run id; each shard is a *part* of the
  run, and reading a run reads every part.
"""

from __future__ import annotations

import hashlib
import socket
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping

from sqlalchemy import Connection, Engine, Table, and_, delete, func, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from auditor.redact import scrub, url_secrets
from auditor.results import AuditResults, TenantResult
from auditor.safe_text import storable, storable_value
from auditor.store.base import StoreError, first_line, from_db, now, redact, to_db, write_transaction
from auditor.store.branding import RecordedBranding, drop_logo_if_unused, store_logo
from auditor.store.read import SnapshotRef, stored_scoring
from auditor.store.remove import delete_run_rows, refresh_tenant, tenant_order
from auditor.store.run_ids import new_run_id, validate_label, validate_run_id
from auditor.store.tables import CHECK_FIELDS, check_results_table, run_parts_table, runs_table, tenant_results_table, tenants_table

_CLAIM_ATTEMPTS = 3  # a run deleted while this part waited for its row is created afresh; never more than this


def snapshot_ref(path: Path) -> SnapshotRef:
    """The snapshot file behind a tenant result and its SHA-256, so an archived run names the exact
    evidence it was computed from."""
    try:
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        digest = None
    return SnapshotRef(str(Path(path).resolve()), digest)


def insert_for(conn: Connection, table: Table) -> Any:
    """The dialect's INSERT, which has ON CONFLICT (the generic one does not)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def record_run(
    engine: Engine,
    results: AuditResults,
    *,
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
    snapshots: Mapping[str, Path | SnapshotRef] | None = None,
    shard: str | None = None,
    label: str | None = None,
    host: str | None = None,
    branding: RecordedBranding | None = None,
    as_of: datetime | None = None,
    created_at: datetime | None = None,
    config_sha256: str | None = None,
    replace: bool = False,
) -> str:
    """Store one run (or one shard of it, ``shard="K/N"``) in a single transaction; returns the run id.

    Shards of one run share ``results.run_id``: the first creates the run, the others add their tenants.
    Recording a shard that is already recorded replaces it (a re-run of a failed machine's job). An
    unsharded run id that already exists is refused, so a fixed ``--run-id`` in a cron line cannot
    silently overwrite last quarter's audit, unless ``replace`` asks for exactly that: the old run (every
    part of it) goes in the same transaction the new one is written in.

    ``branding`` (auditor.store.branding.branding_record) is what ``auditor report --run`` re-renders
    with; ``as_of`` the ``--as-of`` time given (None: evaluated at the clock's time, which is
    ``results.generated_at``); ``created_at`` the wall-clock time the results were produced (default:
    now); ``config_sha256`` the SHA-256 of the config file. The first shard's values stay with the run.
    Raises StoreError (one line) for a refused or failed write; nothing is then recorded.
    """
    run_id = validate_run_id(results.run_id) if results.run_id else new_run_id()
    validate_label(label)
    shard_text, shard_count = _shard_parts(shard)
    if replace and shard_text:
        raise _REPLACE_WITH_SHARD
    started = to_db(started_at or results.generated_at)
    finished = to_db(finished_at or now())
    run_values = {
        "label": label,
        "started_at": started,
        "finished_at": finished,
        "generated_at": to_db(results.generated_at),
        "tool_name": results.tool.name,
        "tool_version": results.tool.version,
        "ruleset_version": results.tool.ruleset_version,
        "operator": storable(results.operator),
        "shard_count": shard_count,
        "scoring": results.scoring.model_dump(mode="json"),
        "as_of": to_db(as_of),
        "created_at": to_db(created_at or now()),
        "branding": branding.block() if branding is not None else None,
        "logo_sha256": branding.logo_sha256 if branding is not None and branding.logo is not None else None,
        "config_sha256": config_sha256,
    }
    refs = {tenant_id: (ref if isinstance(ref, SnapshotRef) else snapshot_ref(ref)) for tenant_id, ref in (snapshots or {}).items()}
    try:
        with write_transaction(engine) as conn:
            replaced = _claim_run(conn, results, run_id, run_values, shard_text, replace)
            # After the run's row, in the order `auditor history delete` locks them; only the logo the run
            # refers to (a later shard's is not the run's: the first shard's branding stays).
            run_logo = conn.execute(select(runs_table.c.logo_sha256).where(runs_table.c.id == run_id)).scalar()
            if branding is not None and run_logo is not None and run_logo == branding.logo_sha256:
                store_logo(conn, branding)
            part_id = _replace_part(conn, run_id, shard_text, host, started, finished, len(results.tenants))
            # Every tenant this transaction touches, in the one order every writer uses: the run's own, and
            # those only the replaced run had (their "last seen" goes back to their latest remaining run).
            mine = {tenant.tenant_id: tenant for tenant in results.tenants}
            for tenant_id in sorted(set(mine) | set(replaced), key=tenant_order):
                if tenant_id in mine:
                    _write_tenant(conn, run_id, part_id, mine[tenant_id], refs.get(tenant_id), finished)
                else:
                    refresh_tenant(conn, tenant_id)
    except IntegrityError as exc:
        raise StoreError(
            f"run {run_id}: a tenant is already recorded by another shard of this run ({first_line(exc)}); "
            "do all shards use the same --shard N?"
        ) from None
    except SQLAlchemyError as exc:
        message = scrub(first_line(exc), url_secrets(engine.url.render_as_string(hide_password=False)))
        raise StoreError(f"cannot record run {run_id} in {redact(engine.url)}: {message}") from None
    return run_id


def _already_recorded(run_id: str, label: str | None, started_at: datetime) -> StoreError:
    when = f"{started_at:%Y-%m-%d %H:%M} UTC"
    what = f" ({label!r}, {when})" if label else f" ({when})"
    return StoreError(f"run {run_id}{what} is already recorded: give --replace to replace it, or another "
                      "--run-label (or --run-id) to record a new audit")


def check_can_record(engine: Engine, run_id: str, shard: str | None = None, replace: bool = False) -> None:
    """Raise the StoreError ``record_run`` would raise for these options before a long collection starts
    (``auditor run``), so an audit is not collected only to be refused. ``record_run`` checks again under
    its lock: another process may record the same id meanwhile."""
    from auditor.store.read import find_run

    if replace and shard:
        raise _REPLACE_WITH_SHARD
    existing = find_run(engine, run_id)
    if existing is not None and not shard and not replace:
        raise _already_recorded(existing.id, existing.label, existing.started_at)


_REPLACE_WITH_SHARD = StoreError(
    "--replace replaces a whole run and cannot be given with --shard (a shard run again replaces its own part; "
    "to start a sharded run afresh, delete it first: auditor history delete RUN)"
)


def _shard_parts(shard: str | None) -> tuple[str, int | None]:
    if not shard:
        return "", None
    from auditor.selection import SelectionError, parse_shard

    try:
        parsed = parse_shard(shard)
    except SelectionError as exc:
        raise StoreError(str(exc)) from None
    return str(parsed), parsed.count


def _lock_run(conn: Connection, run_id: str, values: dict[str, Any]) -> Any:
    """Create the run's row unless it exists, and lock it (PostgreSQL; SQLite already holds the database
    write lock) so parts of one run are added one after the other. A run deleted while this transaction
    waited for its lock is created again."""
    runs = runs_table
    for _ in range(_CLAIM_ATTEMPTS):
        conn.execute(insert_for(conn, runs).values(id=run_id, **values).on_conflict_do_nothing(index_elements=[runs.c.id]))
        row = conn.execute(select(runs).where(runs.c.id == run_id).with_for_update()).first()
        if row is not None:
            return row
    raise StoreError(f"run {run_id} was deleted and recreated while this part was being recorded; record it again")


def _claim_run(
    conn: Connection, results: AuditResults, run_id: str, values: dict[str, Any], shard_text: str, replace: bool
) -> list[str]:
    """Create or join the run; with ``replace``, empty an existing run first. The ids of the tenants the
    replaced run had (empty otherwise)."""
    runs = runs_table
    row = _lock_run(conn, run_id, values)
    parts = conn.execute(select(run_parts_table.c.shard).where(run_parts_table.c.run_id == run_id)).scalars().all()
    if not parts:
        return []
    if replace:
        replaced = delete_run_rows(conn, run_id)
        conn.execute(update(runs).where(runs.c.id == run_id).values(**values))
        if row.logo_sha256 != values["logo_sha256"]:
            drop_logo_if_unused(conn, row.logo_sha256)
        return replaced
    if not shard_text:
        raise _already_recorded(run_id, row.label, from_db(row.started_at))
    if row.shard_count != values["shard_count"]:
        raise StoreError(
            f"run {run_id} was recorded with {row.shard_count or 'no'} shards; this part says --shard {shard_text}"
        )
    if row.ruleset_version != results.tool.ruleset_version:
        raise StoreError(
            f"run {run_id} was recorded with rule set {row.ruleset_version}; this shard runs "
            f"{results.tool.ruleset_version}: every shard of a run must run the same tool version"
        )
    if stored_scoring(row.scoring) != results.scoring:
        raise StoreError(
            f"run {run_id} was recorded with {stored_scoring(row.scoring).describe()}; this shard uses "
            f"{results.scoring.describe()}: every shard of a run must use the same [scoring] config"
        )
    # Later shards widen the run's time span; the label, operator and branding of the first one stay.
    conn.execute(
        update(runs)
        .where(runs.c.id == run_id)
        .values(
            started_at=_least(conn, runs.c.started_at, values["started_at"]),
            finished_at=_greatest(conn, runs.c.finished_at, values["finished_at"]),
            generated_at=_least(conn, runs.c.generated_at, values["generated_at"]),
            created_at=func.coalesce(_least(conn, runs.c.created_at, values["created_at"]), values["created_at"]),
            label=func.coalesce(runs.c.label, values["label"]),
        )
    )
    return []


def _least(conn: Connection, column: Any, value: Any) -> Any:
    # SQLite's two-argument min() is PostgreSQL's least(); neither is standard SQL.
    return func.min(column, value) if conn.dialect.name == "sqlite" else func.least(column, value)


def _greatest(conn: Connection, column: Any, value: Any) -> Any:
    return func.max(column, value) if conn.dialect.name == "sqlite" else func.greatest(column, value)


def _replace_part(
    conn: Connection,
    run_id: str,
    shard_text: str,
    host: str | None,
    started: datetime | None,
    finished: datetime | None,
    tenant_count: int,
) -> int:
    parts, tenant_results, checks = run_parts_table, tenant_results_table, check_results_table
    old_part = conn.execute(
        select(parts.c.id).where(and_(parts.c.run_id == run_id, parts.c.shard == shard_text))
    ).scalar()
    if old_part is not None:
        old_results = select(tenant_results.c.id).where(tenant_results.c.part_id == old_part)
        conn.execute(delete(checks).where(checks.c.tenant_result_id.in_(old_results)))
        conn.execute(delete(tenant_results).where(tenant_results.c.part_id == old_part))
        conn.execute(delete(parts).where(parts.c.id == old_part))
    inserted = conn.execute(
        parts.insert().values(
            run_id=run_id,
            shard=shard_text,
            host=host if host is not None else socket.gethostname(),
            started_at=started,
            finished_at=finished,
            recorded_at=to_db(now()),
            tenant_count=tenant_count,
        )
    )
    return int(inserted.inserted_primary_key[0])


def _write_tenant(
    conn: Connection,
    run_id: str,
    part_id: int,
    tenant: TenantResult,
    ref: SnapshotRef | None,
    seen_at: datetime | None,
) -> None:
    tenants = tenants_table
    # What PostgreSQL's text and JSON accept (no NUL, no lone surrogate), and SQLite alike: one hostile
    # name must not fail the transaction that holds every tenant of the run.
    dumped = storable_value(tenant.model_dump(mode="json"))
    names = {"display_name": dumped["display_name"], "default_domain": dumped["default_domain"], "kind": dumped["kind"]}
    latest = {**names, "domains": dumped["domains"]}
    conn.execute(
        insert_for(conn, tenants)
        .values(id=dumped["tenant_id"], last_seen_at=seen_at, **latest)
        .on_conflict_do_update(index_elements=[tenants.c.id], set_={**latest, "last_seen_at": seen_at})
    )
    inserted = conn.execute(
        tenant_results_table.insert().values(
            run_id=run_id,
            part_id=part_id,
            tenant_id=dumped["tenant_id"],
            tags=dumped["tags"],
            collected_at=to_db(tenant.collected_at),
            score=tenant.score,
            grade=tenant.grade,
            coverage=tenant.coverage,
            areas=dumped["areas"],
            domains=dumped["domains"],
            snapshot_path=storable(ref.path) if ref else None,
            snapshot_sha256=ref.sha256 if ref else None,
            **names,
        )
    )
    tenant_result_id = int(inserted.inserted_primary_key[0])
    rows = [
        {"tenant_result_id": tenant_result_id, "position": position, **{name: result[name] for name in CHECK_FIELDS}}
        for position, result in enumerate(dumped["results"])
    ]
    if rows:
        conn.execute(check_results_table.insert(), rows)
