"""The schema's versions. A ``schema_version`` table records the migrations applied; the tool applies the
missing ones in one transaction and refuses a database written by a newer tool.

MIGRATIONS[i] takes a database from version i to i + 1. Append, never edit a released one.

1. the first tables;
2. scoring version 3: the scoring rule of each run, attestations, verified domains, the grade "Incomplete";
3. tenant text without a length limit (PostgreSQL; SQLite never enforced one);
4. what re-rendering a run needs: its branding (and logo bytes), the config's hash, its ``--as-of`` time,
   the wall-clock time its results were produced, and each check result's framework controls.
"""

from __future__ import annotations

from typing import Callable

from sqlalchemy import Column, Connection, Engine, MetaData, String, Table, func, inspect, select, text

from auditor import TOOL_NAME, __version__
from auditor.store.base import SchemaTooNew, StoreError, now, redact, write_transaction
from auditor.store.tables import (
    check_results_table,
    logos_table,
    metadata,
    runs_table,
    schema_version_table,
    tenant_results_table,
    tenants_table,
)

_PG_MIGRATION_LOCK = 0x4155444954  # "AUDIT": the advisory lock serialising schema migrations

# The columns version 2 turned into text, with their version-1 lengths (frozen here, so a new database
# still walks 1 → 2 like an old one).
_V1_LENGTHS: dict[tuple[str, str], int] = {
    ("runs", "operator"): 200,
    ("tenants", "id"): 64,
    ("tenants", "display_name"): 400,
    ("tenants", "default_domain"): 400,
    ("tenants", "kind"): 20,
    ("tenant_results", "tenant_id"): 64,
    ("tenant_results", "display_name"): 400,
    ("tenant_results", "default_domain"): 400,
    ("tenant_results", "kind"): 20,
    ("tenant_results", "grade"): 8,
    ("check_results", "check_id"): 64,
}

# Tables a later version creates: version 1 leaves them out.
_LATER_TABLES = {logos_table.name}


def _migration_1(conn: Connection) -> None:
    # Version 1 is the tables of auditor.store.tables with the lengths of _V1_LENGTHS, without the tables
    # added later. The columns later versions add are created here too (a copied table keeps them all);
    # each of those migrations therefore adds only the columns still missing (_add_columns).
    v1 = MetaData()
    for table in metadata.sorted_tables:
        if table is not schema_version_table and table.name not in _LATER_TABLES:
            table.to_metadata(v1)
    for (table_name, column), length in _V1_LENGTHS.items():
        v1.tables[table_name].c[column].type = String(length)
    v1.create_all(conn)


def _add_columns(conn: Connection, columns: tuple[tuple[Table, str], ...]) -> None:
    """ALTER TABLE … ADD COLUMN for each (table, column) the database does not have yet; the statement is
    the same in SQLite and PostgreSQL."""
    inspector = inspect(conn)
    quote = conn.dialect.identifier_preparer.quote
    for table, name in columns:
        if name in {column["name"] for column in inspector.get_columns(table.name)}:
            continue
        column: Column = table.c[name]
        column_type = column.type.compile(dialect=conn.dialect)
        conn.execute(text(f"ALTER TABLE {quote(table.name)} ADD COLUMN {quote(name)} {column_type}"))


# Columns added by version 2 (scoring version 3: the rule applied, attestations, verified domains).
_VERSION_2_COLUMNS = (
    (runs_table, "scoring"),
    (tenants_table, "domains"),
    (tenant_results_table, "domains"),
    (check_results_table, "attestation"),
)


def _migration_2(conn: Connection) -> None:
    """Scoring version 3: the scoring rule of each run, attestations, tenants' verified domains, and room
    for the grade "Incomplete". SQLite does not enforce VARCHAR lengths, PostgreSQL needs the grade column
    widened."""
    _add_columns(conn, _VERSION_2_COLUMNS)
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE tenant_results ALTER COLUMN grade TYPE VARCHAR(16)"))


def _migration_3(conn: Connection) -> None:
    # Tenant text without a length limit. SQLite never enforced VARCHAR lengths (its column affinity is
    # TEXT either way), so only PostgreSQL has anything to change; a foreign key between two columns
    # changed in one statement each stays valid (varchar and text are binary-compatible).
    if conn.dialect.name != "postgresql":
        return
    for table_name, column in _V1_LENGTHS:
        conn.execute(text(f'ALTER TABLE "{table_name}" ALTER COLUMN "{column}" TYPE TEXT'))


# Columns added by version 4 (all nullable: the runs recorded before have none of it).
_VERSION_4_COLUMNS = (
    (runs_table, "as_of"),
    (runs_table, "created_at"),
    (runs_table, "branding"),
    (runs_table, "logo_sha256"),
    (runs_table, "config_sha256"),
    (check_results_table, "frameworks"),
)


def _migration_4(conn: Connection) -> None:
    """Re-rendering a stored run as it was: the branding applied, its logo's bytes (the logos table), the
    config's hash, the ``--as-of`` time, the wall-clock time the results were produced, and the framework
    controls each check result gave evidence for (the scorecard's frameworks page)."""
    _add_columns(conn, _VERSION_4_COLUMNS)
    logos_table.create(conn, checkfirst=True)


Migration = Callable[[Connection], None]
MIGRATIONS: list[Migration] = [_migration_1, _migration_2, _migration_3, _migration_4]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: Connection) -> int:
    if not inspect(conn).has_table(schema_version_table.name):
        return 0
    return conn.execute(select(func.max(schema_version_table.c.version))).scalar() or 0


def ensure_schema(engine: Engine, migrations: list[Migration] | None = None, read_only: bool = False) -> int:
    """Apply the missing migrations in one transaction (DDL is transactional in both SQLite and
    PostgreSQL), under a lock so two processes opening a new database at once do not both create it.
    The version is read first without the lock, so opening an up-to-date database (every read-only
    command) never queues behind another process's write. ``read_only``: a database this process cannot
    write is read as it is, or refused when it needs a migration. Returns the version now in place;
    raises SchemaTooNew for a database of a newer tool, StoreError for a read-only one needing work."""
    migrations = MIGRATIONS if migrations is None else migrations
    known = len(migrations)
    with engine.connect() as conn:
        current = schema_version(conn)
    if read_only and current < known:
        raise StoreError(
            f"the history database {redact(engine.url)} is read-only and has schema version {current}; "
            f"this {TOOL_NAME} {__version__} needs version {known}: open it once where it can be written"
        )
    if current < known:
        with write_transaction(engine) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
            # Read again under the lock: another process may have migrated in the meantime.
            current = schema_version(conn)
            schema_version_table.create(conn, checkfirst=True)
            for version in range(current + 1, known + 1):
                migrations[version - 1](conn)
                conn.execute(
                    schema_version_table.insert().values(version=version, applied_at=now(), tool_version=__version__)
                )
    if current > known:
        raise SchemaTooNew(
            f"the history database {redact(engine.url)} has schema version {current}, but this "
            f"{TOOL_NAME} {__version__} knows versions up to {known}; upgrade the tool, or use another --db"
        )
    return known
