"""Reading the history: runs and their scores, a run's results reassembled from every part, the tenants
the history knows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Iterator

from sqlalchemy import Connection, Engine, and_, case, func, select

from auditor.results import LETTER_GRADES, AuditResults, CheckResult, ScoringRule, TenantResult, ToolInfo, round_half_up
from auditor.safe_text import storable
from auditor.store.base import StoreError, from_db, reads
from auditor.store.tables import (
    CHECK_FIELDS,
    check_results_table,
    run_parts_table,
    runs_table,
    tenant_results_table,
    tenants_table,
)
from auditor.tenant_refs import KnownTenant, TenantRefError, merge_known, resolve, several


@dataclass(frozen=True)
class SnapshotRef:
    path: str
    sha256: str | None


@dataclass(frozen=True)
class RunSummary:
    id: str
    label: str | None
    started_at: datetime
    finished_at: datetime
    generated_at: datetime
    tool_name: str
    tool_version: str
    ruleset_version: str
    operator: str
    shard_count: int | None
    shards: list[str]  # the parts recorded: "K/N" each, or [""] for an unsharded run
    tenants: int
    mean_score: float | None
    lowest_score: float | None  # mean and lowest over the graded tenants
    incomplete: int = 0  # tenants without a letter grade
    scoring: ScoringRule = field(default_factory=ScoringRule)
    # Version 4 (None for runs recorded before): the --as-of given (None when evaluated at the clock's
    # time), the wall-clock time the results were produced, the config file's SHA-256.
    as_of: datetime | None = None
    created_at: datetime | None = None
    config_sha256: str | None = None
    # Filled when the listing is for one tenant.
    tenant_score: float | None = None
    tenant_grade: str | None = None

    @property
    def missing_shards(self) -> list[str]:
        if not self.shard_count:
            return []
        have = set(self.shards)
        return [f"{k}/{self.shard_count}" for k in range(1, self.shard_count + 1) if f"{k}/{self.shard_count}" not in have]


# Runs are ordered by when they started; the id breaks ties so the order is total and repeatable.
RUN_ORDER = (runs_table.c.started_at, runs_table.c.id)


def stored_scoring(value: Any) -> ScoringRule:
    """The scoring rule stored with a run; runs recorded before scoring version 3 have none."""
    from auditor.results import LEGACY_SCORING

    return ScoringRule.model_validate(value) if value else LEGACY_SCORING


def _current_tenants(conn: Connection) -> list[KnownTenant]:
    """Every tenant with its name and domains as last seen."""
    tenants = tenants_table
    rows = conn.execute(
        select(tenants.c.id, tenants.c.display_name, tenants.c.default_domain, tenants.c.domains).order_by(tenants.c.id)
    )
    return merge_known(KnownTenant(row.id, row.display_name, _domains(row)) for row in rows)


def _former_names(conn: Connection) -> list[KnownTenant]:
    """Every name and domains any recorded run gave a tenant (one entry each: a tenant renamed since has
    several)."""
    results = tenant_results_table
    rows = conn.execute(
        select(results.c.tenant_id, results.c.display_name, results.c.default_domain, results.c.domains)
        .order_by(results.c.tenant_id, results.c.id.desc())
    )
    return list(dict.fromkeys(KnownTenant(row.tenant_id, row.display_name, _domains(row)) for row in rows))


def _domains(row: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(d for d in (row.default_domain, *(row.domains or [])) if d))


@reads
def find_tenants(engine: Engine, query: str) -> list[str]:
    """Tenant ids a reference names, by the rule of the config's tenant references (auditor.tenant_refs):
    the tenant id, the display name, the default or any verified domain, without case. Names and domains
    as last seen come first; only when none matches are those of earlier runs searched (a tenant renamed
    or moved to a new domain is still found by its old one). Matched in Python: the domains are a JSON
    list, which SQLite and PostgreSQL query differently."""
    with engine.connect() as conn:
        found = [t.id for t in _current_tenants(conn) if t.matches(query)]
        if not found:
            found = [t.id for t in _former_names(conn) if t.matches(query)]
    return list(dict.fromkeys(found))


@reads
def tenant_id(engine: Engine, reference: str) -> str:
    """The one tenant id ``reference`` names in the history; StoreError naming the candidates (or the
    close names) when it names none or several, worded as for the config's references."""
    found = find_tenants(engine, reference)
    if len(found) == 1:
        return found[0]
    with engine.connect() as conn:
        current = _current_tenants(conn)
    try:
        if found:
            raise several(reference, [t for t in current if t.id in found])
        return resolve(reference, current, scope="in the history").id  # names none: suggests close names
    except TenantRefError as exc:
        raise StoreError(str(exc)) from None


@reads
def list_runs(
    engine: Engine, tenant: str | None = None, limit: int | None = None, run_id: str | None = None
) -> list[RunSummary]:
    """Runs oldest first (the last ``limit`` of them), with their portfolio scores; with ``tenant`` only
    the runs that audited it, with its score and grade."""
    runs, results, parts = runs_table, tenant_results_table, run_parts_table
    tenant_ref = tenant_id(engine, tenant) if tenant else None
    graded_score = case((results.c.grade.in_(LETTER_GRADES), results.c.score), else_=None)
    stats = select(
        results.c.run_id,
        func.count(results.c.id).label("tenants"),
        # Over the graded tenants, as the portfolio's average: an Incomplete tenant's score rests on too little.
        func.avg(graded_score).label("mean_score"),
        func.min(graded_score).label("lowest_score"),
        func.count(results.c.id).filter(results.c.grade.not_in(LETTER_GRADES)).label("incomplete"),
    ).group_by(results.c.run_id)
    if run_id is not None:
        stats = stats.where(results.c.run_id == run_id)
    stats = stats.subquery()
    query = select(runs, stats.c.tenants, stats.c.mean_score, stats.c.lowest_score, stats.c.incomplete).join_from(
        runs, stats, stats.c.run_id == runs.c.id, isouter=True
    )
    if tenant_ref is not None:
        mine = results.alias("mine")
        query = query.add_columns(mine.c.score.label("t_score"), mine.c.grade.label("t_grade")).join(
            mine, and_(mine.c.run_id == runs.c.id, mine.c.tenant_id == tenant_ref)
        )
    if run_id is not None:
        query = query.where(runs.c.id == run_id)
    query = query.order_by(*(column.desc() for column in RUN_ORDER))
    if limit:
        query = query.limit(limit)
    shard_query = select(parts.c.run_id, parts.c.shard)
    if run_id is not None:
        shard_query = shard_query.where(parts.c.run_id == run_id)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
        shard_rows = conn.execute(shard_query).all()
    shards: dict[str, list[str]] = defaultdict(list)
    for row in shard_rows:
        shards[row.run_id].append(row.shard)
    summaries = [
        RunSummary(
            id=row.id,
            label=row.label,
            started_at=from_db(row.started_at),
            finished_at=from_db(row.finished_at),
            generated_at=from_db(row.generated_at),
            tool_name=row.tool_name,
            tool_version=row.tool_version,
            ruleset_version=row.ruleset_version,
            operator=row.operator,
            shard_count=row.shard_count,
            shards=sorted(shards.get(row.id, []), key=_shard_key),
            tenants=row.tenants or 0,
            incomplete=row.incomplete or 0,
            mean_score=None if row.mean_score is None else round_half_up(float(row.mean_score)),
            lowest_score=None if row.lowest_score is None else float(row.lowest_score),
            scoring=stored_scoring(row.scoring),
            as_of=from_db(row.as_of),
            created_at=from_db(row.created_at),
            config_sha256=row.config_sha256,
            tenant_score=getattr(row, "t_score", None),
            tenant_grade=getattr(row, "t_grade", None),
        )
        for row in rows
    ]
    return list(reversed(summaries))


def _shard_key(shard: str) -> tuple[int, str]:
    head = shard.split("/", 1)[0]
    return (int(head) if head.isdigit() else 0, shard)


@reads
def get_run(engine: Engine, run_ref: str) -> RunSummary:
    """A run by its id, its label (``--run-label 2026-Q4``) or a unique prefix of its id (like git's short
    hashes), in that order. Raises StoreError for none, or a label or prefix naming several runs."""
    runs = runs_table
    ref = run_ref.strip()
    with engine.connect() as conn:
        ids = conn.execute(select(runs.c.id).where(runs.c.id == ref)).scalars().all()
        if not ids:
            ids = conn.execute(select(runs.c.id).where(runs.c.label == ref)).scalars().all()
            if len(ids) > 1:
                raise StoreError(f"the label {ref!r} names {len(ids)} runs ({', '.join(sorted(ids)[:5])}); give the run id")
        if not ids:
            pattern = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            ids = conn.execute(select(runs.c.id).where(runs.c.id.like(pattern, escape="\\"))).scalars().all()
    if not ids:
        raise StoreError(f"no run {ref!r} in the history (see auditor history)")
    if len(ids) > 1:
        raise StoreError(f"{ref!r} matches {len(ids)} runs ({', '.join(sorted(ids)[:5])}…); give more of the id")
    return list_runs(engine, run_id=ids[0])[0]


@reads
def find_run(engine: Engine, run_id: str) -> RunSummary | None:
    """The run with exactly this id, or None."""
    found = list_runs(engine, run_id=run_id)
    return found[0] if found else None


@reads
def latest_run_ids(engine: Engine, count: int = 2, tenant: str | None = None) -> list[str]:
    """The ids of the ``count`` most recent runs, newest first."""
    return [run.id for run in reversed(list_runs(engine, tenant=tenant, limit=count))]


_CHUNK = 500  # ids per IN (...) list, well under every backend's parameter limit


def chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def load_tenant_results(conn: Connection, tenant_rows: list[Any]) -> list[TenantResult]:
    checks = check_results_table
    by_tenant_result: dict[int, list[CheckResult]] = defaultdict(list)
    for chunk in chunks([row.id for row in tenant_rows]):
        for row in conn.execute(
            select(checks).where(checks.c.tenant_result_id.in_(chunk)).order_by(checks.c.tenant_result_id, checks.c.position)
        ):
            by_tenant_result[row.tenant_result_id].append(
                # frameworks is NULL for results recorded before schema version 4: read as none, like results.json.
                CheckResult.model_validate({name: value for name in CHECK_FIELDS
                                            if (value := getattr(row, name)) is not None or name != "frameworks"})
            )
    return [
        TenantResult.model_validate(
            {
                "tenant_id": row.tenant_id,
                "display_name": row.display_name,
                "default_domain": row.default_domain,
                "domains": row.domains or [],
                "kind": row.kind,
                "tags": row.tags,
                "collected_at": from_db(row.collected_at),
                "score": row.score,
                "grade": row.grade,
                "coverage": row.coverage,
                "areas": row.areas,
                "results": by_tenant_result[row.id],
            }
        )
        for row in tenant_rows
    ]


def _sort_tenants(tenants: list[TenantResult]) -> list[TenantResult]:
    # The order auditor.evaluate gives: the partner first, then customers by name.
    return sorted(tenants, key=lambda t: (t.kind != "partner", t.display_name.lower(), t.tenant_id))


@reads
def load_run_results(engine: Engine, run_id: str, tenant_ids: Iterable[str] | None = None) -> AuditResults:
    """The results document of a run, reassembled from every part (shard) recorded under its id."""
    return load_run(engine, get_run(engine, run_id), tenant_ids)


def load_run(engine: Engine, run: RunSummary, tenant_ids: Iterable[str] | None = None) -> AuditResults:
    results = tenant_results_table
    wanted = None if tenant_ids is None else {storable(t).lower() for t in tenant_ids}
    with engine.connect() as conn:
        rows = conn.execute(select(results).where(results.c.run_id == run.id)).all()
        if wanted is not None:
            rows = [row for row in rows if row.tenant_id.lower() in wanted]
        tenants = load_tenant_results(conn, rows)
    return AuditResults(
        tool=ToolInfo(name=run.tool_name, version=run.tool_version, ruleset_version=run.ruleset_version),
        generated_at=run.generated_at,
        run_id=run.id,
        operator=run.operator,
        scoring=run.scoring,
        tenants=_sort_tenants(tenants),
    )


@reads
def snapshot_refs(engine: Engine, run_id: str) -> dict[str, SnapshotRef]:
    """tenant id → the snapshot file and SHA-256 a run's result was computed from."""
    results = tenant_results_table
    with engine.connect() as conn:
        rows = conn.execute(
            select(results.c.tenant_id, results.c.snapshot_path, results.c.snapshot_sha256).where(
                results.c.run_id == get_run(engine, run_id).id
            )
        ).all()
    return {row.tenant_id: SnapshotRef(row.snapshot_path, row.snapshot_sha256) for row in rows if row.snapshot_path}
