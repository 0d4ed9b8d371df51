"""CLI commands of the reports (owned by the reports work)."""

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
