"""Engines on the history database: SQLite in WAL mode with a busy timeout and ``BEGIN IMMEDIATE`` for
writes, a read-only SQLite engine for a file this process cannot write, PostgreSQL through psycopg 3."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from auditor.redact import scrub, url_secrets
from auditor.store.base import StoreError, first_line, redact
from auditor.store.location import normalize_db_url, sqlite_file
from auditor.store.migrations import ensure_schema

SQLITE_BUSY_TIMEOUT_S = 60  # how long a writer waits for another writer's transaction before giving up


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
    """An engine for ``url`` (normalised as ``normalize_db_url`` does), without touching the schema."""
    url = normalize_db_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            # Evidence names people and admin accounts: a folder or file the tool creates is private to the
            # user, as every report and data file is (SQLite gives its -wal and -shm files the same mode).
            path = Path(parsed.database).expanduser()
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not path.exists():
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
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


def open_db(url: str, create: bool = True) -> Engine:
    """An engine on the history database, its schema created or migrated. ``create=False`` (the
    read-only commands) refuses a SQLite file that does not exist instead of creating an empty one.
    Raises StoreError (one line, no password) for a database that cannot be opened."""
    path = sqlite_file(url)
    if not create and path is not None and not path.exists():
        raise StoreError(f"no history database at {path}: record a run first (auditor run), or give --db")
    if not create and path is not None and path.is_file() and path.stat().st_size == 0:
        # SQLite would take an empty file for an empty database, and a reading command would write the
        # schema into a file it was only asked to read (a placeholder, a mistyped path, a truncated copy).
        raise StoreError(f"no history database at {path}: the file is empty; record a run first (auditor run), "
                         "or give --db")
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
        message = scrub(first_line(exc), url_secrets(url))  # a driver may quote a part of the URL
        raise StoreError(f"cannot open the history database {redact(url)}: {message}") from None
    return engine
