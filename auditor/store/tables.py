"""The history's tables (SQLAlchemy Core) as the current schema version has them. The migrations
(auditor.store.migrations) take an older database to this shape."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from auditor.store.run_ids import LABEL_MAX

metadata = MetaData()

schema_version_table = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", DateTime(timezone=True), nullable=False),
    Column("tool_version", String(40), nullable=False),
)

runs_table = Table(
    "runs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("label", String(LABEL_MAX)),
    Column("started_at", DateTime(timezone=True), nullable=False),  # earliest part
    Column("finished_at", DateTime(timezone=True), nullable=False),  # latest part
    Column("generated_at", DateTime(timezone=True), nullable=False),  # evaluation time (the checks' "now")
    Column("tool_name", String(80), nullable=False),
    Column("tool_version", String(40), nullable=False),
    Column("ruleset_version", String(80), nullable=False),
    Column("operator", Text, nullable=False, default=""),
    Column("shard_count", Integer),  # N of K/N when the run was sharded, else NULL
    Column("scoring", JSON),  # the ScoringRule applied (version 2): NULL for runs scored before version 3
    # Version 4: what a re-render needs to give the same reports, and when the results were made.
    Column("as_of", DateTime(timezone=True)),  # the --as-of given; NULL when evaluated at the clock's time
    Column("created_at", DateTime(timezone=True)),  # wall-clock time the results were produced
    Column("branding", JSON),  # the [branding] block applied (see auditor.store.branding); NULL before version 4
    Column("logo_sha256", String(64)),  # the logo's bytes, kept in the logos table
    Column("config_sha256", String(64)),  # SHA-256 of the tenants.toml the run was given, when one was
)

# One row per record_run call: the whole run, or one shard of it.
run_parts_table = Table(
    "run_parts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), ForeignKey("runs.id"), nullable=False),
    Column("shard", String(32), nullable=False),  # "K/N", or "" for an unsharded run
    Column("host", String(255), nullable=False, default=""),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("tenant_count", Integer, nullable=False),
    UniqueConstraint("run_id", "shard", name="uq_run_parts_run_shard"),
)

# Tenant data (ids, names, domains) is whatever a tenant's admin or a snapshot file says: text columns, so
# PostgreSQL never refuses a whole run for one long name (schema version 2; version 1 had lengths).
tenants_table = Table(
    "tenants",
    metadata,
    Column("id", Text, primary_key=True),
    Column("display_name", Text, nullable=False),
    Column("default_domain", Text, nullable=False, default=""),
    Column("kind", Text, nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("domains", JSON),  # verified domains at the latest run (version 2), so --tenant can name one
)

tenant_results_table = Table(
    "tenant_results",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), ForeignKey("runs.id"), nullable=False),
    Column("part_id", Integer, ForeignKey("run_parts.id"), nullable=False),
    Column("tenant_id", Text, ForeignKey("tenants.id"), nullable=False),
    # As they were at this run (a tenant is renamed, re-tagged; history keeps what the report showed).
    Column("display_name", Text, nullable=False),
    Column("default_domain", Text, nullable=False, default=""),
    Column("kind", Text, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("collected_at", DateTime(timezone=True)),
    Column("score", Float),
    Column("grade", Text, nullable=False),  # a letter or "Incomplete" (8 characters in version 1)
    Column("coverage", Float, nullable=False),
    Column("areas", JSON, nullable=False),
    Column("snapshot_path", Text),
    Column("snapshot_sha256", String(64)),
    Column("domains", JSON),  # version 2
    UniqueConstraint("run_id", "tenant_id", name="uq_tenant_results_run_tenant"),
    Index("ix_tenant_results_tenant", "tenant_id"),
)

check_results_table = Table(
    "check_results",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_result_id", Integer, ForeignKey("tenant_results.id"), nullable=False),
    Column("position", Integer, nullable=False),  # the evaluation's order, kept for reports
    Column("check_id", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("area", String(32), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("summary", Text, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("remediation", Text, nullable=False),
    Column("references", JSON, nullable=False),
    Column("acceptance", JSON),
    Column("attestation", JSON),  # version 2
    Column("frameworks", JSON),  # version 4: the framework controls the check gave evidence for
    Index("ix_check_results_tenant_result", "tenant_result_id"),
)
# The columns holding a CheckResult's fields, under the same names (written and read back alike).
CHECK_FIELDS = (
    "check_id", "title", "area", "severity", "status", "summary", "evidence", "remediation", "references", "acceptance",
    "attestation", "frameworks",
)



# The logos of recorded runs, by the SHA-256 of their bytes (version 4): one row per distinct logo however
# many runs use it, so a stored run re-renders with its own logo after the file is replaced or removed.
logos_table = Table(
    "logos",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("data", LargeBinary, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)
