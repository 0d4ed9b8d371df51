"""What every part of the store shares: its errors, times as the databases keep them, the write
transaction, and the guard that turns a damaged database into one line."""

from __future__ import annotations

import functools
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from auditor.redact import redact_url


class StoreError(Exception):
    """A history database problem the user can act on; printed as one line."""


class SchemaTooNew(StoreError):
    """The database was written by a newer version of the tool."""


def redact(url: Any) -> str:
    """The URL (a string or a SQLAlchemy URL) without its password or secret query values, for messages."""
    if not isinstance(url, str):
        url = url.render_as_string(hide_password=False)
    return redact_url(url)


def first_line(exc: BaseException) -> str:
    """The first line of a driver's message (the DBAPI error under SQLAlchemy's wrapper)."""
    original = getattr(exc, "orig", None) or exc
    return (str(original).strip().splitlines() or [type(original).__name__])[0]


def now() -> datetime:
    return datetime.now(timezone.utc)


def to_db(moment: datetime | None) -> datetime | None:
    """UTC: PostgreSQL stores the instant, SQLite (whose DateTime drops the zone) the UTC wall time, so
    its times compare correctly too; read back by ``from_db``. Naive input is taken as UTC, like the
    rest of the tool."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def from_db(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One write transaction. On SQLite it begins with ``BEGIN IMMEDIATE`` (see auditor.store.engine), so
    the write lock is taken up front and a second writer queues instead of failing half-way."""
    with engine.connect() as conn:
        conn.execution_options(auditor_write=True)
        with conn.begin():
            yield conn


F = TypeVar("F", bound=Callable[..., Any])


def reads(function: F) -> F:
    """A history database is an input like any file: a row changed outside the tool (a status this tool
    does not know, evidence that is not JSON, a missing table) is a StoreError, one line, not a traceback."""
    from pydantic import ValidationError

    @functools.wraps(function)
    def wrapper(engine: Engine, *args: Any, **kwargs: Any) -> Any:
        try:
            return function(engine, *args, **kwargs)
        except StoreError:
            raise
        except (SQLAlchemyError, ValidationError, ValueError, TypeError, KeyError) as exc:
            detail = " ".join(first_line(exc).split())[:200]
            raise StoreError(f"cannot read the history database {redact(engine.url)}: {detail} (was it changed "
                             "outside the tool?)") from None

    return wrapper  # type: ignore[return-value]
