"""CLI commands for audit history and diffs."""

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
