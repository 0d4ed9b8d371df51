"""What every CLI module shares: exit codes, the one-line error, the table/json format choice, the
plugin registry, and the options and helpers that reach the history database and select tenants
(``--db``, ``--group``, ``--shard``, ``--run-id``, ``--run-label``). The command modules import from here,
never from each other, so none of them imports another in a circle."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Iterator, Optional

from auditor.safe_text import terminal

import typer

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from auditor.config import AuditConfig, AuthConfig
    from auditor.registry import Registry
    from auditor.selection import Shard

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE, EXIT_FAIL_UNDER, EXIT_UNREADABLE = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130  # the shell's convention for Ctrl-C: 128 + SIGINT


class TableFormat(StrEnum):
    table = "table"
    json = "json"


class Paper(StrEnum):
    A4 = "A4"
    Letter = "Letter"


def report_unreadable(snapshots) -> int:
    """Name on stderr each tenant among ``snapshots`` that could not be read at all, with why; the count.

    Shared by ``collect`` and ``run`` so both judge "could not be read" alike (auditor.readable)."""
    from auditor.readable import unreadable_tenants

    found = unreadable_tenants(snapshots)
    for tenant in found:
        typer.echo(terminal(f"tenant {tenant.display_name} ({tenant.tenant_id}) could not be read: {tenant.reason}"),
                   err=True)
    if found:
        typer.echo(f"{len(found)} tenant(s) could not be read: exit {EXIT_UNREADABLE} "
                   "(--allow-unreadable, or allow_unreadable = true in the config, exits 0)", err=True)
    return len(found)


AllowUnreadableOption = Annotated[
    bool,
    typer.Option("--allow-unreadable", help=f"Exit 0 even when a tenant could not be read at all "
                 f"(default: exit {EXIT_UNREADABLE})."),
]


def refuse_secret_overlap(folder: Path, auth: "AuthConfig | None", option: str = "--out") -> None:
    """Exit 2 with one line when ``folder`` and the token cache folder, or the sign-in record of a ``gdap``
    ``auth``, overlap (either inside the other): outputs are shared, the token cache never is. The one
    check of auditor.collect.secret_paths, for every command that writes or reads an output folder."""
    from auditor.collect.secret_paths import SecretPathError, check_output_folder

    try:
        check_output_folder(folder, auth, option=option)
    except SecretPathError as exc:
        raise fail(str(exc), EXIT_USAGE) from None


def require_writable_out(out: Path, auth: "AuthConfig | None" = None, snapshots: Path | None = None) -> None:
    """Exit 2 when ``out`` or the ``--snapshots`` folder read overlaps the token cache or sign-in record
    (refuse_secret_overlap); exit 1 with one line unless files can be written in ``out`` (created when
    missing)."""
    from auditor.fsutil import check_writable_dir

    refuse_secret_overlap(out, auth)
    if snapshots is not None:
        refuse_secret_overlap(snapshots, auth, "--snapshots")
    try:
        check_writable_dir(out)
    except OSError as exc:
        raise fail(f"{exc.filename or out}: cannot write there: {exc.strerror or exc}") from None


def console(stderr: bool = False, width: int | None = None):
    """The one rich Console every command prints tables with. Rich markup, emoji codes and highlighting are
    off: tenant names such as ``Contoso [/bold]`` or ``[link=…]`` are text, never markup (a stray closing
    tag would otherwise crash the command after its work was done). Cells holding tenant data still go
    through auditor.safe_text.terminal for control characters. Piped output (CI logs, files) gets room
    for tenant names instead of rich's 80-column default."""
    import sys

    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    if width is None and not stream.isatty():
        width = 120
    return Console(stderr=stderr, markup=False, emoji=False, highlight=False, width=width)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print one ``error:`` line on stderr and return the exit to raise (never a traceback). The message
    may quote tenant data or file content: it is shown as text, on one line (auditor.safe_text.terminal)."""
    typer.echo(f"error: {terminal(message)}", err=True)
    return typer.Exit(code)


@contextmanager
def interrupted_writing(out: Path, files: str) -> Iterator[None]:
    """Around the part of a command that writes ``files`` (e.g. "snapshots", "reports and data files") into
    ``out``: Ctrl-C (exit 130) or SIGTERM (exit 143, raised as SystemExit by auditor.workers) ends the command
    with one line saying the folder is incomplete, instead of silence. Every file is written atomically, so
    what is there is whole; what is missing is simply not there yet."""
    from auditor.workers import EXIT_TERMINATED

    try:
        yield
        return
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    except SystemExit as exc:
        if exc.code != EXIT_TERMINATED:
            raise
        code = EXIT_TERMINATED
    typer.echo(f"interrupted: the {files} in {terminal(str(out))} are incomplete (each file there is whole); "
               "run the command again to write them all", err=True)
    raise typer.Exit(code)


def load_registry() -> "Registry":
    """Every check this installation knows (built in and plugins); a broken plugin is one line, exit 1."""
    from auditor.registry import Registry, RegistryError

    try:
        return Registry.from_entry_points()
    except RegistryError as exc:
        raise fail(str(exc)) from None


def load_checked_config(path: Path | None, registry: "Registry") -> "AuditConfig | None":
    """The config at ``path`` (None when no path), with its risk acceptances checked against the registry."""
    from auditor.config import ConfigError, load_config, validate_acceptances

    if path is None:
        return None
    try:
        config = load_config(path)
        validate_acceptances(config, set(registry.ids()), str(path))
    except ConfigError as exc:
        raise fail(str(exc)) from None
    return config


def now() -> datetime:
    """The clock, in whole seconds (UTC)."""
    return datetime.now(timezone.utc).replace(microsecond=0)


def as_of_time(value: str | None, default: datetime | None = None) -> datetime:
    """The evaluation time: --as-of, else the given default, else now. Checks never read the clock."""
    if value is None:
        return default or now()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"--as-of {value!r} is not an ISO date or date-time (e.g. 2026-11-21 or 2026-11-21T09:00Z)",
                   EXIT_USAGE) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


AsOfOption = Annotated[
    Optional[str],
    typer.Option("--as-of", help="Evaluate as of this date-time (ISO 8601) instead of now; "
                 "the sample portfolio defaults to its collection time."),
]


# --- the history database and the tenants a run covers -----------------------------------------------


DbOption = Annotated[
    Optional[str],
    typer.Option(
        "--db",
        metavar="URL",
        help="History database: a SQLAlchemy URL (postgresql://user@host/db) or a SQLite file path. "
        "Default: $AUDITOR_DB, else ~/.local/share/csp-posture-auditor/history.sqlite.",
    ),
]
GroupOption = Annotated[
    Optional[str], typer.Option("--group", metavar="TAG", help="Only the tenants carrying this tag.")
]
ShardOption = Annotated[
    Optional[str],
    typer.Option("--shard", metavar="K/N", help="Audit shard K of N (1-based), chosen by a hash of the tenant id."),
]
RunIdOption = Annotated[
    Optional[str],
    typer.Option("--run-id", metavar="ID", help="The run id; every shard of one run must give the same one."),
]
RunLabelOption = Annotated[
    Optional[str],
    typer.Option(
        "--run-label", metavar="LABEL", help="A label for the run (e.g. 2026-Q4); without --run-id the id is derived from it."
    ),
]


def open_history(db: str | None, config_db: str | None = None, create: bool = True) -> "Engine":
    """The history database engine for ``--db`` (precedence: --db, $AUDITOR_DB, the config's
    ``database``, the default file), schema migrated; a problem is one ``error:`` line and exit 1."""
    from auditor.store import StoreError, open_db, resolve_db_url

    try:
        return open_db(resolve_db_url(db, config_db), create=create)
    except StoreError as exc:
        raise fail(str(exc)) from None


def parse_shard_option(value: str | None) -> "Shard | None":
    from auditor.selection import SelectionError, parse_shard

    if value is None:
        return None
    try:
        return parse_shard(value)
    except SelectionError as exc:
        raise fail(str(exc)) from None


def run_identity(run_id: str | None, run_label: str | None) -> tuple[str, str | None]:
    """(run id, label) from ``--run-id`` / ``--run-label``; pass the id to ``auditor.evaluate.evaluate``."""
    from auditor.store import StoreError, resolve_run_id

    try:
        return resolve_run_id(run_id, run_label)
    except StoreError as exc:
        raise fail(str(exc)) from None


def record(engine: "Engine", results: Any, **kwargs: Any) -> str:
    """``auditor.store.record_run`` with errors as one line; keyword arguments as record_run's."""
    from auditor.store import StoreError, record_run

    try:
        return record_run(engine, results, **kwargs)
    except StoreError as exc:
        raise fail(str(exc)) from None


def default_jobs() -> int:
    """Worker processes by default (rendering, collection): every core this process may use (``--jobs``
    overrides)."""
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def _jobs_option(help: str) -> Any:
    """A ``--jobs/-j`` option (1 to 64, the CPU count when not given) with the command's own help text."""
    return Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, max=64, show_default="the CPU count",
                                                 help=help)]


JobsOption = _jobs_option("Reports rendered in parallel processes.")
RunJobsOption = _jobs_option("Worker processes for collecting tenants and for rendering reports.")
CollectJobsOption = _jobs_option("Worker processes the tenants are spread over (each collects --concurrency/N "
                                 "at once).")


REPORT_MEDIA = ("html", "pdf")
DATA_FORMATS = ("json", "csv", "xlsx")


def parse_formats(value: str | None, allowed: tuple[str, ...]) -> tuple[str, ...]:
    """``--formats html,pdf,json`` as a tuple in a fixed order; None gives every allowed format. An unknown
    or empty list is a usage error (exit 2) naming the choices."""
    if value is None:
        return allowed
    asked = [part.strip().lower() for part in value.split(",") if part.strip()]
    unknown = [part for part in asked if part not in allowed]
    if unknown or not asked:
        raise fail(f"--formats {value!r}: choose among {', '.join(allowed)} (comma-separated)", EXIT_USAGE)
    return tuple(name for name in allowed if name in asked)


def formats_option(allowed: tuple[str, ...]):
    """The ``--formats`` option for a command writing ``allowed``."""
    return typer.Option("--formats", metavar="LIST", help=f"Only these outputs, comma-separated: {', '.join(allowed)} "
                        "(default: all).")
