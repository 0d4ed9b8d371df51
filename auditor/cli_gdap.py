"""CLI commands of the delegated (GDAP) way in: `login` (one partner sign-in). Thin: the work lives in
auditor.collect.delegated."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from auditor.cli_common import EXIT_UNREADABLE, TableFormat, fail
from auditor.safe_text import terminal


def login_command(
    config_path: Annotated[Path, typer.Option("--config", "-c", help="tenants.toml with [auth] method = \"gdap\"")],
) -> None:
    """Sign in once as a partner user (device code, or browser with sign_in = "browser"); later runs get a
    token for each customer tenant from the persistent token cache without prompting."""
    from auditor.collect.credentials import CredentialError
    from auditor.collect.delegated import sign_in
    from auditor.collect.trust import TrustError, trust_context
    from auditor.config import ConfigError, load_config

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        raise fail(str(exc))
    if config.auth.method != "gdap":
        raise fail(f"{config_path}: auditor login is for [auth] method = \"gdap\" (this config uses {config.auth.method!r})")
    logging.getLogger("azure").setLevel(logging.ERROR)  # azure-identity would log whole token responses

    def prompt(verification_uri: str, user_code: str, expires_on: Any) -> None:
        typer.echo(f"To sign in, open {terminal(verification_uri)} and enter the code {terminal(user_code)}")

    try:
        trust = trust_context(None, config.endpoints.ca_bundle)
        record, path = sign_in(config.auth, config.endpoints, trust, f"{config.endpoints.graph}/.default", prompt)
    except (CredentialError, TrustError) as exc:
        raise fail(str(exc))
    typer.echo(f"signed in as {terminal(record.username)} (tenant {record.tenant_id}); sign-in record saved to {path}")


def doctor_command(
    config_path: Annotated[Path, typer.Option("--config", "-c", help="tenants.toml")],
    format: Annotated[TableFormat, typer.Option("--format", "-f", help="table or json")] = TableFormat.table,
) -> None:
    """Check each tenant's sign-in and one cheap read per section group; print tenant x section (readable,
    forbidden, not licensed, unreachable) with the exact fix for each gap. Exit 4 when a tenant cannot be
    reached at all. Read-only: it grants, assigns and creates nothing."""
    import asyncio
    import json

    from auditor.collect.doctor import Readable, diagnose, groups_for
    from auditor.collect.trust import TrustError
    from auditor.config import ConfigError, load_config

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        raise fail(str(exc))
    logging.getLogger("azure").setLevel(logging.ERROR)
    try:
        rows = asyncio.run(diagnose(config))
    except TrustError as exc:
        raise fail(str(exc))
    groups = groups_for(config)
    if format is TableFormat.json:
        typer.echo(json.dumps([r.as_json() for r in rows], indent=2))
    else:
        from rich.table import Table

        from auditor.cli_common import console as shared_console

        table = Table(title="Can each tenant be read?")
        table.add_column("Tenant", no_wrap=True)
        for group in groups:
            table.add_column(group)
        for row in rows:
            label = terminal(row.name or row.tenant_id)
            if not row.reached:
                table.add_row(label, *([Readable.UNREACHABLE.value] * len(groups)))
                continue
            table.add_row(label, *(row.cells[g].state.value if g in row.cells else "" for g in groups))
        console = shared_console(width=None)
        console.print(table)
        for row in rows:
            label = f"{terminal(row.name or row.tenant_id)} ({row.tenant_id})"
            if not row.reached:
                console.print(f"{label}: unreachable: {terminal(row.reason)}")
            for group, cell in row.cells.items():
                if cell.state is not Readable.READABLE:
                    console.print(f"{label} / {group}: {cell.state.value}: {terminal(cell.fix)}")
    if any(not row.reached for row in rows):
        raise typer.Exit(EXIT_UNREADABLE)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.command("login")(login_command)
    app.command("doctor")(doctor_command)
