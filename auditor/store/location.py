"""Where the history database is: ``--db``, $AUDITOR_DB, the config's ``database``, or the default file;
and what a user may type as its URL."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from auditor.store.base import StoreError, redact

DB_ENV = "AUDITOR_DB"
APP_DIR_NAME = "csp-posture-auditor"


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


def sqlite_file(url: str) -> Path | None:
    """The SQLite file a URL names; None for PostgreSQL and in-memory databases."""
    parsed = make_url(normalize_db_url(url))
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).expanduser()
