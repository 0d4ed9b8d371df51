"""What every CLI module shares: exit codes, the one-line error, the table/json format choice."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from auditor.safe_text import terminal

import typer

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE, EXIT_FAIL_UNDER, EXIT_UNREADABLE = 0, 1, 2, 3, 4


class TableFormat(StrEnum):
    table = "table"
    json = "json"


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


def require_writable_out(out) -> None:
    """Exit 1 with one line unless files can be written in the folder ``out`` (created when missing)."""
    from pathlib import Path

    from auditor.collect.delegated import token_cache_folder
    from auditor.fsutil import check_writable_dir

    cache = token_cache_folder().resolve()
    target = Path(out).resolve()
    if target == cache or cache in target.parents:  # outputs are shared; the token cache never is
        raise fail(f"{out}: is inside the token cache folder {cache}; choose another output folder")
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
