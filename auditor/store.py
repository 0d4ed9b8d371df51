"""The audit history: every run, tenant result and check result, in SQLite (default) or PostgreSQL.

SQLAlchemy Core, no ORM: the results document (auditor.results) is the model, the tables are its storage.

- **One transaction per run.** ``record_run`` writes a run (or one shard of it) in a single transaction at
  the end of the audit, so a process killed mid-way leaves no partial run.
- **Concurrent writers.** SQLite runs in WAL mode with a busy timeout and takes the write lock at the start
  of a write transaction (``BEGIN IMMEDIATE``), so two processes writing at once queue instead of failing;
  PostgreSQL serialises the few contended rows with ``ON CONFLICT`` and ``SELECT … FOR UPDATE``.
- **Shards merge.** All shards of one scheduled run write under one run id (``--run-id``, or derived from
  ``--run-label``); each shard is a *part* of the run, and reading a run reads every part.
- **Versioned schema.** A ``schema_version`` table records the migrations applied; the tool applies the
  missing ones and refuses a database written by a newer tool.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import uuid
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    case,
    create_engine,
    delete,
    event,
    func,
    inspect,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError

from auditor import TOOL_NAME, __version__
from auditor.redact import redact_url, scrub, url_secrets
from auditor.results import LETTER_GRADES, AuditResults, CheckResult, ScoringRule, TenantResult, ToolInfo, round_half_up
from auditor.safe_text import storable, storable_value
from auditor.trend import ScorePoint, TenantChange, compare

DB_ENV = "AUDITOR_DB"
APP_DIR_NAME = "csp-posture-auditor"
SQLITE_BUSY_TIMEOUT_S = 60  # how long a writer waits for another writer's transaction before giving up
_PG_MIGRATION_LOCK = 0x4155444954  # "AUDIT": the advisory lock serialising schema migrations

RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
LABEL_MAX = 200  # the runs.label column; PostgreSQL enforces it, SQLite would not


class StoreError(Exception):
    """A history database problem the user can act on; printed as one line."""


class SchemaTooNew(StoreError):
    """The database was written by a newer version of the tool."""


# --- where the database is ---------------------------------------------------------------------------


def default_db_path() -> Path:
    """``$XDG_DATA_HOME/csp-posture-auditor/history.sqlite``, ``~/.local/share/…`` when XDG_DATA_HOME is
    unset or empty (the XDG base directory rule)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / APP_DIR_NAME / "history.sqlite"


def normalize_db_url(value: str) -> str:
    """A SQLAlchemy URL from what a user types: a plain path is a SQLite file; ``postgresql://`` and
    ``postgres://`` use psycopg 3 (the driver we install; SQLAlchemy's default would be psycopg2)."""
    value = value.strip()
    if not value:
        raise StoreError("the database URL is empty")
    if "\x00" in value:
        raise StoreError("the database URL holds a NUL character")
    if "://" not in value:
        try:
            return f"sqlite:///{Path(value).expanduser().resolve()}"
        except (RuntimeError, OSError) as exc:  # "~nosuchuser/…": no such home directory
            raise StoreError(f"cannot use {value!r} as a SQLite file: {exc}") from None
    scheme, rest = value.split("://", 1)
    if scheme in ("postgresql", "postgres"):
        value = f"postgresql+psycopg://{rest}"
    if not scheme.startswith("sqlite") and rest.split("?", 1)[0].count("@") > 1:
        # An unescaped '@' (or '/') in the password: a parser would take part of the password for the host
        # and quote it in its error. Nothing of the URL is echoed here.
        raise StoreError(
            "the database URL has more than one '@' before its host: percent-encode the password's '@' as %40 "
            "and '/' as %2F, or better keep the password out of the URL (PGPASSWORD, ~/.pgpass, a service file)"
        )
    try:
        url = make_url(value)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise StoreError(f"not a database URL: {redact(value)!r}") from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(
            f"unsupported database {url.get_backend_name()!r}: use a SQLite file or postgresql://user@host/db"
        )
    return value


def resolve_db_url(cli_value: str | None, config_value: str | None = None) -> str:
    """The history database URL: ``--db`` wins, then $AUDITOR_DB, then ``database`` in tenants.toml, then
    the default SQLite file (see ``default_db_path``)."""
    for value in (cli_value, os.environ.get(DB_ENV), config_value):
        if value and value.strip():
            return normalize_db_url(value)
    return f"sqlite:///{default_db_path()}"


def redact(url: Any) -> str:
    """The URL (a string or a SQLAlchemy URL) without its password or secret query values, for messages."""
    if not isinstance(url, str):
        url = url.render_as_string(hide_password=False)
    return redact_url(url)


# --- run ids -----------------------------------------------------------------------------------------


def validate_run_id(run_id: str) -> str:
    if not RUN_ID_PATTERN.match(run_id):
        raise StoreError(
            f"run id {run_id!r}: use 1–64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit"
        )
    return run_id


def run_id_from_label(label: str) -> str:
    """A run id every shard derives alike from the same label: a readable slug plus a hash of the exact
    label, so "Q4 2026" and "q4-2026" stay distinct runs."""
    cleaned = label.strip()
    if not cleaned:
        raise StoreError("--run-label is empty")
    slug = re.sub(r"[^a-z0-9._]+", "-", cleaned.lower()).strip("-._")[:40].strip("-._") or "run"
    return f"{slug}-{hashlib.sha256(cleaned.encode('utf-8')).hexdigest()[:8]}"


def validate_label(label: str | None) -> str | None:
    if label is not None and len(label) > LABEL_MAX:
        raise StoreError(f"--run-label is longer than {LABEL_MAX} characters")
    return label


def resolve_run_id(run_id: str | None, run_label: str | None) -> tuple[str, str | None]:
    """(run id, label) for a new run: ``--run-id`` as given, else derived from ``--run-label``, else a
    random id (an unsharded run needs no coordination)."""
    label = validate_label(run_label.strip() if run_label and run_label.strip() else None)
    if run_id:
        return validate_run_id(run_id.strip()), label
    if label:
        return run_id_from_label(label), label
    return uuid.uuid4().hex[:12], None


# --- tables ------------------------------------------------------------------------------------------

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
    Index("ix_check_results_tenant_result", "tenant_result_id"),
)
# The columns holding a CheckResult's fields, under the same names (written and read back alike).
_CHECK_FIELDS = (
    "check_id", "title", "area", "severity", "status", "summary", "evidence", "remediation", "references", "acceptance",
    "attestation",
)


# --- schema versions ---------------------------------------------------------------------------------


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


def _migration_1(conn: Connection) -> None:
    # Version 1 is the tables above with the lengths of _V1_LENGTHS. When a later migration alters a
    # table, freeze the version-1 definitions here first, so a new database walks 1 → 2 → … like an old one.
    v1 = MetaData()
    for table in metadata.sorted_tables:
        if table is not schema_version_table:
            table.to_metadata(v1)
    for (table_name, column), length in _V1_LENGTHS.items():
        v1.tables[table_name].c[column].type = String(length)
    v1.create_all(conn)


# Columns added by version 2 (scoring version 3: the rule applied, attestations, verified domains).
_VERSION_2_COLUMNS = (
    (runs_table, "scoring"),
    (tenants_table, "domains"),
    (tenant_results_table, "domains"),
    (check_results_table, "attestation"),
)


def _migration_2(conn: Connection) -> None:
    """Scoring version 3: the scoring rule of each run, attestations, tenants' verified domains, and room
    for the grade "Incomplete". ALTER TABLE … ADD COLUMN is the same in SQLite and PostgreSQL; SQLite does
    not enforce VARCHAR lengths, PostgreSQL needs the grade column widened."""
    inspector = inspect(conn)
    quote = conn.dialect.identifier_preparer.quote
    for table, name in _VERSION_2_COLUMNS:
        if name in {column["name"] for column in inspector.get_columns(table.name)}:
            continue
        column_type = table.c[name].type.compile(dialect=conn.dialect)
        conn.execute(text(f"ALTER TABLE {quote(table.name)} ADD COLUMN {quote(name)} {column_type}"))
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


Migration = Callable[[Connection], None]
# MIGRATIONS[i] takes a database from version i to i + 1. Append, never edit a released one.
MIGRATIONS: list[Migration] = [_migration_1, _migration_2, _migration_3]
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
    write is read as it is, or refused when it needs a migration."""
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
        with _write(engine) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
            # Read again under the lock: another process may have migrated in the meantime.
            current = schema_version(conn)
            schema_version_table.create(conn, checkfirst=True)
            for version in range(current + 1, known + 1):
                migrations[version - 1](conn)
                conn.execute(
                    schema_version_table.insert().values(version=version, applied_at=_now(), tool_version=__version__)
                )
    if current > known:
        raise SchemaTooNew(
            f"the history database {redact(engine.url)} has schema version {current}, but this "
            f"{TOOL_NAME} {__version__} knows versions up to {known}; upgrade the tool, or use another --db"
        )
    return known


# --- engines -----------------------------------------------------------------------------------------


def _enable_wal(cursor: Any) -> None:
    """Switch the file to WAL once (the mode is stored in the file). Switching takes an exclusive lock,
    and SQLite answers "database is locked" at once, without its busy handler, when two new connections
    race to switch a new file; so retry for as long as the busy timeout would have waited."""
    import sqlite3
    import time

    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() in ("wal", "memory"):
                return
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _configure_sqlite(engine: Engine, read_only: bool = False) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's BEGIN below, not the sqlite3 module, start transactions (the documented
        # recipe), so a write transaction can take the write lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
        if not read_only:  # switching to WAL writes the file
            _enable_wal(cursor)
            cursor.execute("PRAGMA synchronous = NORMAL")  # safe with WAL: a crash loses no committed run
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A deferred transaction that reads and then writes can fail at once with "database is locked"
        # (SQLite cannot wait there without risking deadlock); IMMEDIATE waits for the lock instead.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("auditor_write") else "BEGIN")


def create_db_engine(url: str) -> Engine:
    url = normalize_db_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            # Evidence names people and admin accounts: a folder the tool creates is private to the user.
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        engine = create_engine(url)
        _configure_sqlite(engine)  # the busy timeout, WAL, and BEGIN IMMEDIATE for writes
        return engine
    return create_engine(url, pool_pre_ping=True)


def _read_only_sqlite_engine(path: Path) -> Engine:
    """An engine that only reads the SQLite file at ``path``, for a file or folder this process cannot
    write (a read-only mount, an archived history): ``mode=ro`` never writes; ``immutable=1`` when the
    folder cannot hold the WAL index either (SQLite could not otherwise open a WAL database there)."""
    from urllib.parse import quote

    options = "mode=ro"
    folder_writable = os.access(path.parent, os.W_OK)
    wal_files = all(Path(f"{path}{suffix}").exists() for suffix in ("-wal", "-shm"))
    if not folder_writable and not wal_files:
        options += "&immutable=1"
    engine = create_engine(f"sqlite:///file:{quote(str(path.resolve()))}?{options}&uri=true")
    _configure_sqlite(engine, read_only=True)
    return engine


def _is_read_only(path: Path) -> bool:
    return path.exists() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))


def sqlite_file(url: str) -> Path | None:
    parsed = make_url(normalize_db_url(url))
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).expanduser()


def open_db(url: str, create: bool = True) -> Engine:
    """An engine on the history database, its schema created or migrated. ``create=False`` (the
    read-only commands) refuses a SQLite file that does not exist instead of creating an empty one."""
    path = sqlite_file(url)
    if not create and path is not None and not path.exists():
        raise StoreError(f"no history database at {path}: record a run first (auditor run), or give --db")
    read_only = not create and path is not None and _is_read_only(path)
    engine: Engine | None = None
    try:
        engine = _read_only_sqlite_engine(path) if read_only else create_db_engine(url)
        ensure_schema(engine, read_only=read_only)
    # ImportError: a driver that is not installed (postgresql+psycopg2://); OSError: a folder we cannot create.
    except (StoreError, SQLAlchemyError, ImportError, OSError) as exc:
        if engine is not None:
            engine.dispose()
        if isinstance(exc, StoreError):
            raise
        message = scrub(_first_line(exc), url_secrets(url))  # a driver may quote a part of the URL
        raise StoreError(f"cannot open the history database {redact(url)}: {message}") from None
    return engine


def _first_line(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    return (str(original).strip().splitlines() or [type(original).__name__])[0]


@contextmanager
def _write(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        conn.execution_options(auditor_write=True)
        with conn.begin():
            yield conn


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _to_db(moment: datetime | None) -> datetime | None:
    """UTC: PostgreSQL stores the instant, SQLite (whose DateTime drops the zone) the UTC wall time, so
    its times compare correctly too; read back by ``_from_db``. Naive input is taken as UTC, like the
    rest of the tool."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _from_db(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


# --- writing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotRef:
    path: str
    sha256: str | None


def snapshot_ref(path: Path) -> SnapshotRef:
    """The snapshot file behind a tenant result and its SHA-256, so an archived run names the exact
    evidence it was computed from."""
    try:
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        digest = None
    return SnapshotRef(str(Path(path).resolve()), digest)


def _insert_for(conn: Connection, table: Table):
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
) -> str:
    """Store one run (or one shard of it, ``shard="K/N"``) in a single transaction; returns the run id.

    Shards of one run share ``results.run_id``: the first creates the run, the others add their tenants.
    Recording a shard that is already recorded replaces it (a re-run of a failed machine's job). An
    unsharded run id that already exists is refused, so a fixed ``--run-id`` in a cron line cannot
    silently overwrite last quarter's audit.
    """
    run_id = validate_run_id(results.run_id) if results.run_id else uuid.uuid4().hex[:12]
    validate_label(label)
    started = _to_db(started_at or results.generated_at)
    finished = _to_db(finished_at or _now())
    shard_text, shard_count = _shard_parts(shard)
    refs = {tenant_id: (ref if isinstance(ref, SnapshotRef) else snapshot_ref(ref)) for tenant_id, ref in (snapshots or {}).items()}
    try:
        with _write(engine) as conn:
            _claim_run(conn, results, run_id, started, finished, shard_text, shard_count, label)
            part_id = _replace_part(conn, run_id, shard_text, host, started, finished, len(results.tenants))
            # One fixed order (by tenant id) for every writer, so two runs sharing tenants take their row locks
            # in the same order on PostgreSQL and cannot deadlock.
            for tenant in sorted(results.tenants, key=lambda t: t.tenant_id.lower()):
                _write_tenant(conn, run_id, part_id, tenant, refs.get(tenant.tenant_id), finished)
    except IntegrityError as exc:
        raise StoreError(
            f"run {run_id}: a tenant is already recorded by another shard of this run ({_first_line(exc)}); "
            "do all shards use the same --shard N?"
        ) from None
    except SQLAlchemyError as exc:
        message = scrub(_first_line(exc), url_secrets(engine.url.render_as_string(hide_password=False)))
        raise StoreError(f"cannot record run {run_id} in {redact(engine.url)}: {message}") from None
    return run_id


def _shard_parts(shard: str | None) -> tuple[str, int | None]:
    if not shard:
        return "", None
    from auditor.selection import SelectionError, parse_shard

    try:
        parsed = parse_shard(shard)
    except SelectionError as exc:
        raise StoreError(str(exc)) from None
    return str(parsed), parsed.count


def _claim_run(
    conn: Connection,
    results: AuditResults,
    run_id: str,
    started: datetime | None,
    finished: datetime | None,
    shard_text: str,
    shard_count: int | None,
    label: str | None,
) -> None:
    runs = runs_table
    conn.execute(
        _insert_for(conn, runs)
        .values(
            id=run_id,
            label=label,
            started_at=started,
            finished_at=finished,
            generated_at=_to_db(results.generated_at),
            tool_name=results.tool.name,
            tool_version=results.tool.version,
            ruleset_version=results.tool.ruleset_version,
            operator=storable(results.operator),
            shard_count=shard_count,
            scoring=results.scoring.model_dump(mode="json"),
        )
        .on_conflict_do_nothing(index_elements=[runs.c.id])
    )
    # Lock the run row (PostgreSQL; SQLite already holds the database write lock) so shards of one run
    # add their parts one after the other.
    row = conn.execute(select(runs).where(runs.c.id == run_id).with_for_update()).one()
    parts = conn.execute(select(run_parts_table.c.shard).where(run_parts_table.c.run_id == run_id)).scalars().all()
    if parts:
        if not shard_text:
            raise StoreError(
                f"run {run_id} is already recorded; give a new --run-id (or none) for a new audit"
            )
        if row.shard_count != shard_count:
            raise StoreError(
                f"run {run_id} was recorded with {row.shard_count or 'no'} shards; this part says --shard {shard_text}"
            )
        if row.ruleset_version != results.tool.ruleset_version:
            raise StoreError(
                f"run {run_id} was recorded with rule set {row.ruleset_version}; this shard runs "
                f"{results.tool.ruleset_version}: every shard of a run must run the same tool version"
            )
        if _scoring(row.scoring) != results.scoring:
            raise StoreError(
                f"run {run_id} was recorded with {_scoring(row.scoring).describe()}; this shard uses "
                f"{results.scoring.describe()}: every shard of a run must use the same [scoring] config"
            )
        # Later shards widen the run's time span; the label and operator of the first one stay.
        generated = _to_db(results.generated_at)
        conn.execute(
            update(runs)
            .where(runs.c.id == run_id)
            .values(
                started_at=_least(conn, runs.c.started_at, started),
                finished_at=_greatest(conn, runs.c.finished_at, finished),
                generated_at=_least(conn, runs.c.generated_at, generated),
                label=func.coalesce(runs.c.label, label),
            )
        )


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
            recorded_at=_to_db(_now()),
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
        _insert_for(conn, tenants)
        .values(id=dumped["tenant_id"], last_seen_at=seen_at, **latest)
        .on_conflict_do_update(index_elements=[tenants.c.id], set_={**latest, "last_seen_at": seen_at})
    )
    inserted = conn.execute(
        tenant_results_table.insert().values(
            run_id=run_id,
            part_id=part_id,
            tenant_id=dumped["tenant_id"],
            tags=dumped["tags"],
            collected_at=_to_db(tenant.collected_at),
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
        {"tenant_result_id": tenant_result_id, "position": position, **{name: result[name] for name in _CHECK_FIELDS}}
        for position, result in enumerate(dumped["results"])
    ]
    if rows:
        conn.execute(check_results_table.insert(), rows)


# --- reading -----------------------------------------------------------------------------------------


def _reads(function: Callable[..., Any]) -> Callable[..., Any]:
    """A history database is an input like any file: a row changed outside the tool (a status this tool
    does not know, evidence that is not JSON, a missing table) is a StoreError, one line, not a traceback."""
    import functools

    from pydantic import ValidationError

    @functools.wraps(function)
    def wrapper(engine: Engine, *args: Any, **kwargs: Any) -> Any:
        try:
            return function(engine, *args, **kwargs)
        except StoreError:
            raise
        except (SQLAlchemyError, ValidationError, ValueError, TypeError, KeyError) as exc:
            detail = " ".join(_first_line(exc).split())[:200]
            raise StoreError(f"cannot read the history database {redact(engine.url)}: {detail} (was it changed "
                             "outside the tool?)") from None

    return wrapper


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
_RUN_ORDER = (runs_table.c.started_at, runs_table.c.id)


def _scoring(value: Any) -> ScoringRule:
    """The scoring rule stored with a run; runs recorded before scoring version 3 have none."""
    from auditor.results import LEGACY_SCORING

    return ScoringRule.model_validate(value) if value else LEGACY_SCORING


@_reads
def find_tenants(engine: Engine, query: str) -> list[str]:
    """Tenant ids matching an id, a display name, the default domain or any verified domain (without case),
    with the same rule as the config's tenant references (auditor.tenant_refs). Matched in Python: the
    domains are a JSON list, which SQLite and PostgreSQL query differently."""
    from auditor.tenant_refs import KnownTenant

    tenants = tenants_table
    with engine.connect() as conn:
        rows = conn.execute(
            select(tenants.c.id, tenants.c.display_name, tenants.c.default_domain, tenants.c.domains).order_by(tenants.c.id)
        ).all()
    known = [KnownTenant(row.id, row.display_name, (row.default_domain, *(row.domains or []))) for row in rows]
    return [tenant.id for tenant in known if tenant.matches(query)]


def _tenant_id(engine: Engine, tenant: str) -> str:
    found = find_tenants(engine, tenant)
    if not found:
        raise StoreError(f"no tenant {tenant!r} in the history (give a tenant id, display name or domain)")
    if len(found) > 1:
        with engine.connect() as conn:
            names = dict(conn.execute(select(tenants_table.c.id, tenants_table.c.display_name)
                                      .where(tenants_table.c.id.in_(found))).all())
        listed = ", ".join(f"{names.get(tenant_id) or '?'} ({tenant_id})" for tenant_id in found)
        raise StoreError(f"{tenant!r} names {len(found)} tenants ({listed}); give the tenant id")
    return found[0]


@_reads
def list_runs(
    engine: Engine, tenant: str | None = None, limit: int | None = None, run_id: str | None = None
) -> list[RunSummary]:
    """Runs oldest first (the last ``limit`` of them), with their portfolio scores; with ``tenant`` only
    the runs that audited it, with its score and grade."""
    runs, results, parts = runs_table, tenant_results_table, run_parts_table
    tenant_id = _tenant_id(engine, tenant) if tenant else None
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
    if tenant_id is not None:
        mine = results.alias("mine")
        query = query.add_columns(mine.c.score.label("t_score"), mine.c.grade.label("t_grade")).join(
            mine, and_(mine.c.run_id == runs.c.id, mine.c.tenant_id == tenant_id)
        )
    if run_id is not None:
        query = query.where(runs.c.id == run_id)
    query = query.order_by(*(column.desc() for column in _RUN_ORDER))
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
            started_at=_from_db(row.started_at),
            finished_at=_from_db(row.finished_at),
            generated_at=_from_db(row.generated_at),
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
            scoring=_scoring(row.scoring),
            tenant_score=getattr(row, "t_score", None),
            tenant_grade=getattr(row, "t_grade", None),
        )
        for row in rows
    ]
    return list(reversed(summaries))


def _shard_key(shard: str) -> tuple[int, str]:
    head = shard.split("/", 1)[0]
    return (int(head) if head.isdigit() else 0, shard)


@_reads
def get_run(engine: Engine, run_ref: str) -> RunSummary:
    """A run by its id or a unique prefix of it (like git's short hashes)."""
    runs = runs_table
    ref = run_ref.strip()
    with engine.connect() as conn:
        ids = conn.execute(select(runs.c.id).where(runs.c.id == ref)).scalars().all()
        if not ids:
            pattern = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            ids = conn.execute(select(runs.c.id).where(runs.c.id.like(pattern, escape="\\"))).scalars().all()
    if not ids:
        raise StoreError(f"no run {ref!r} in the history (see auditor history)")
    if len(ids) > 1:
        raise StoreError(f"{ref!r} matches {len(ids)} runs ({', '.join(sorted(ids)[:5])}…); give more of the id")
    return list_runs(engine, run_id=ids[0])[0]


@_reads
def latest_run_ids(engine: Engine, count: int = 2, tenant: str | None = None) -> list[str]:
    """The ids of the ``count`` most recent runs, newest first."""
    return [run.id for run in reversed(list_runs(engine, tenant=tenant, limit=count))]


_CHUNK = 500  # ids per IN (...) list, well under every backend's parameter limit


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _load_tenant_results(conn: Connection, tenant_rows: list[Any]) -> list[TenantResult]:
    checks = check_results_table
    by_tenant_result: dict[int, list[CheckResult]] = defaultdict(list)
    for chunk in _chunks([row.id for row in tenant_rows]):
        for row in conn.execute(
            select(checks).where(checks.c.tenant_result_id.in_(chunk)).order_by(checks.c.tenant_result_id, checks.c.position)
        ):
            by_tenant_result[row.tenant_result_id].append(
                CheckResult.model_validate({name: getattr(row, name) for name in _CHECK_FIELDS})
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
                "collected_at": _from_db(row.collected_at),
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


@_reads
def load_run_results(engine: Engine, run_id: str, tenant_ids: Iterable[str] | None = None) -> AuditResults:
    """The results document of a run, reassembled from every part (shard) recorded under its id."""
    return _load_run(engine, get_run(engine, run_id), tenant_ids)


def _load_run(engine: Engine, run: RunSummary, tenant_ids: Iterable[str] | None = None) -> AuditResults:
    results = tenant_results_table
    wanted = None if tenant_ids is None else {storable(t).lower() for t in tenant_ids}
    with engine.connect() as conn:
        rows = conn.execute(select(results).where(results.c.run_id == run.id)).all()
        if wanted is not None:
            rows = [row for row in rows if row.tenant_id.lower() in wanted]
        tenants = _load_tenant_results(conn, rows)
    return AuditResults(
        tool=ToolInfo(name=run.tool_name, version=run.tool_version, ruleset_version=run.ruleset_version),
        generated_at=run.generated_at,
        run_id=run.id,
        operator=run.operator,
        scoring=run.scoring,
        tenants=_sort_tenants(tenants),
    )


@_reads
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


@_reads
def tenant_history(engine: Engine, run_id: str, tenant_ids: Iterable[str] | None = None) -> dict[str, TenantChange]:
    """For every tenant of a run: its score over all runs up to this one (oldest first), and what changed
    since the most recent earlier run that audited it (which need not be the previous run overall: a
    tenant may sit out a group run). The reports render these."""
    run = get_run(engine, run_id)
    current = _load_run(engine, run, tenant_ids)
    mine, other, runs = tenant_results_table.alias("mine"), tenant_results_table.alias("other"), runs_table
    with engine.connect() as conn:
        rows = conn.execute(
            select(other.c.id, other.c.tenant_id, other.c.score, other.c.grade, runs.c.id.label("run_id"), runs.c.started_at)
            .join(mine, and_(mine.c.tenant_id == other.c.tenant_id, mine.c.run_id == run.id))
            .join(runs, runs.c.id == other.c.run_id)
            .where(
                or_(
                    runs.c.started_at < _to_db(run.started_at),
                    and_(runs.c.started_at == _to_db(run.started_at), runs.c.id <= run.id),
                )
            )
            .order_by(*_RUN_ORDER)
        ).all()
        points: dict[str, list[ScorePoint]] = defaultdict(list)
        previous_row: dict[str, Any] = {}
        for row in rows:
            points[row.tenant_id].append(ScorePoint(row.run_id, _from_db(row.started_at), row.score, row.grade))
            if row.run_id != run.id:
                previous_row[row.tenant_id] = row
        full_rows = []
        for chunk in _chunks([row.id for row in previous_row.values()]):
            full_rows.extend(conn.execute(select(tenant_results_table).where(tenant_results_table.c.id.in_(chunk))).all())
        previous = {tenant.tenant_id: tenant for tenant in _load_tenant_results(conn, full_rows)}
    changes: dict[str, TenantChange] = {}
    for tenant in current.tenants:
        before = previous_row.get(tenant.tenant_id)
        changes[tenant.tenant_id] = compare(
            previous.get(tenant.tenant_id),
            tenant,
            points=points.get(tenant.tenant_id, []),
            previous_run_id=before.run_id if before is not None else None,
            previous_at=_from_db(before.started_at) if before is not None else None,
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


@_reads
def diff(engine: Engine, run_a: str, run_b: str, tenant: str | None = None) -> RunDiff:
    """Per tenant, what changed from run A to run B: newly failing, fixed, still failing, score change.
    A tenant only in B is a first audit; one only in A is listed as no longer audited."""
    a, b = get_run(engine, run_a), get_run(engine, run_b)
    only = [_tenant_id(engine, tenant)] if tenant else None
    results_a = {t.tenant_id: t for t in _load_run(engine, a, only).tenants}
    results_b = _load_run(engine, b, only).tenants
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
