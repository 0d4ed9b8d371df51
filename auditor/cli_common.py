"""What every CLI module shares: exit codes, the one-line error, the table/json format choice."""

from __future__ import annotations

from enum import StrEnum

import typer

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE, EXIT_FAIL_UNDER = 0, 1, 2, 3


class TableFormat(StrEnum):
    table = "table"
    json = "json"


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print one ``error:`` line on stderr and return the exit to raise (never a traceback)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)
