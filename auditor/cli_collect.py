"""CLI commands for live collection, permissions and the emulator."""

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
