"""CLI commands of the delegated (GDAP) way in: `login` (one partner sign-in). Thin: the work lives in
auditor.collect.delegated."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from auditor.cli_common import fail
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


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.command("login")(login_command)
