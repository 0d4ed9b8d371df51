"""CLI commands for live collection (`collect`), least-privilege permissions (`permissions`) and the local
Graph/ARM emulator (`emulate`). Thin: the work lives in auditor.collect."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Optional

import typer

from auditor.safe_text import terminal
from auditor.cli_common import (
    EXIT_UNREADABLE,
    AllowUnreadableOption,
    CollectJobsOption,
    TableFormat,
    default_jobs,
    fail,
    interrupted_writing,
    load_registry,
    open_history,
    report_unreadable,
    require_writable_out,
)
from auditor.cli_common import record as record_in_history


def collect_command(
    config_path: Annotated[Path, typer.Option("--config", "-c", help="tenants.toml")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the snapshot files.")] = Path("snapshots"),
    concurrency: Annotated[
        Optional[int], typer.Option("--concurrency", min=1, max=256, help="Tenants collected at once (default: config).")
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="Seconds one HTTP request may take.")] = 60.0,
    record: Annotated[
        bool, typer.Option("--record", help="Also evaluate the snapshots and record the audit in the history.")
    ] = False,
    db: Annotated[
        Optional[str],
        typer.Option("--db", metavar="URL", help="History database for --record (implies it): a SQLAlchemy URL or a "
                     "SQLite path; default $AUDITOR_DB, else ~/.local/share/csp-posture-auditor/history.sqlite."),
    ] = None,
    allow_unreadable: AllowUnreadableOption = False,
    jobs: CollectJobsOption = None,
) -> None:
    """Collect one snapshot per tenant from Microsoft Graph and Azure Resource Manager (read-only)."""
    from auditor.cli_progress import terminal_progress
    from auditor.collect import CollectError, CollectOptions, collect_all
    from auditor.collect.hints import CollectionHints
    from auditor.config import ConfigError, load_config
    from auditor.snapshot import load_snapshot

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        raise fail(str(exc))
    # azure-identity logs every failed token request as a warning with the full response; the snapshot
    # already records the reason, once.
    logging.getLogger("azure").setLevel(logging.ERROR)
    # One event loop keeps one core busy: the tenants are spread over a process per core (issue 16).
    options = CollectOptions(timeout_s=timeout, concurrency=concurrency, jobs=jobs or default_jobs())
    require_writable_out(out, config.auth)  # before a long collection whose snapshots would have nowhere to go
    try:
        with interrupted_writing(out, "snapshots"):
            paths = collect_all(config, out, progress=terminal_progress(), options=options)
    except CollectError as exc:
        raise fail(str(exc))
    recording = record or db is not None
    collected = []  # kept only for --record, which evaluates them (1,000 tenants need not stay in memory)
    hints = CollectionHints()

    def each_snapshot():
        for path in paths:
            snapshot = load_snapshot(path)
            hints.add(snapshot)
            if recording:
                collected.append(snapshot)
            yield snapshot

    unreadable = report_unreadable(each_snapshot())
    typer.echo(f"wrote {len(paths)} snapshot(s) to {out}"
               + (f"; {unreadable} tenant(s) could not be read" if unreadable else ""))
    for line in hints.lines():
        typer.echo(terminal(line), err=True)
    if recording:
        _record_collection(config, config_path, collected, paths, db)
    if unreadable and not (allow_unreadable or config.allow_unreadable):
        raise typer.Exit(EXIT_UNREADABLE)


def _record_collection(config, config_path: Path, snapshots: list, paths: list[Path], db: str | None) -> None:
    """Evaluate what was collected and keep it in the history, so a collection alone is a recorded audit,
    with the config's branding (so `auditor report --run` renders it as `auditor run` would have)."""
    import hashlib
    from datetime import datetime, timezone

    from auditor import store
    from auditor.evaluate import evaluate

    started = datetime.now(timezone.utc).replace(microsecond=0)
    results = evaluate(snapshots, load_registry(), started, config)
    try:
        branding = store.branding_record(config.branding)
    except store.StoreError as exc:  # collect renders nothing, so its logo was never checked: keep the audit
        typer.echo(f"warning: {exc}; the run is recorded without its branding", err=True)
        branding = None
    engine = open_history(db, config.database)
    try:
        record_in_history(engine, results, started_at=started, snapshots={s.tenant.id: p for s, p in zip(snapshots, paths)},
                          branding=branding, config_sha256=hashlib.sha256(config_path.read_bytes()).hexdigest())
    finally:
        engine.dispose()
    typer.echo(f"recorded run {results.run_id} in the history")


def permissions_command(
    format: Annotated[TableFormat, typer.Option("--format", "-f", help="table or json")] = TableFormat.table,
    wave: Annotated[Optional[int], typer.Option("--wave", help="Only checks of this wave and earlier.")] = None,
    gdap: Annotated[bool, typer.Option("--gdap", help="Delegated access: the GDAP roles and the Azure roles of "
                                        "the GDAP security group, per check.")] = False,
) -> None:
    """Print the Graph application permissions and Azure roles the enabled checks need (least privilege);
    with --gdap, the GDAP roles instead."""
    from auditor.collect.permissions import gdap_requirements, requirements

    registry = load_registry()
    needs = {spec.id: spec.sections for spec in registry if wave is None or spec.wave <= wave}
    found = gdap_requirements(needs) if gdap else requirements(needs)
    if format is TableFormat.json:
        rows = [
            {"kind": r.kind, "name": r.name, "sections": list(r.sections), "checks": list(r.checks),
             "partner_only": r.partner_only}
            for r in found
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    from auditor.cli_common import console as shared_console
    from rich.table import Table

    if gdap:
        from auditor.collect.permissions import GDAP_ROLE_PURPOSE

        graph = Table(title="Microsoft Entra roles to include in each customer's GDAP relationship")
        azure = Table(title="Azure roles (assign to the GDAP security group on every customer subscription)")
    else:
        graph = Table(title="Microsoft Graph application permissions (admin consent in every tenant)")
        azure = Table(title="Azure roles (assign to the app's service principal on every subscription)")
    for table in (graph, azure):
        # The names are what an admin copies into the portal: never cut short, the check list wraps instead.
        table.add_column("Permission" if table is graph and not gdap else "Role", no_wrap=True)
        table.add_column("Tenants")
        table.add_column("Needed by")
    for r in found:
        target = graph if r.kind in ("graph", "gdap") else azure
        target.add_row(r.name, "partner only" if r.partner_only else "all", ", ".join(r.checks))
    console = shared_console(width=None)
    console.print(graph)
    console.print(azure)
    if gdap:
        roles = {r.name for r in found if r.kind == "gdap"}
        for role, purpose in GDAP_ROLE_PURPOSE.items():
            if role in roles:
                console.print(f"{role}: {purpose}")
        console.print("Partner Center reads (CST-3, PAR-7) need the signed-in user's Admin agent role in the partner tenant.")
    if any(r.kind == "azure" and r.name == "Reader" and len(r.checks) > 0 for r in found):
        console.print("Reader suffices for every Azure governance check (AZR-1 to AZR-5) and CST-4.")
    if not gdap:
        from auditor.collect.permissions import DELEGATED_ONLY_ROLES

        delegated = sorted(c for c, n in needs.items() if set(n) & set(DELEGATED_ONLY_ROLES))
        if delegated:
            console.print(f"{', '.join(delegated)} read only through a delegated sign-in: see auditor permissions --gdap.")
    console.print("Setup, step by step: docs/setup.md")


def emulate_command(
    snapshot_dir: Annotated[Path, typer.Argument(help="A folder of snapshot files (or one file) to serve.")],
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535, help="Port on 127.0.0.1 (0: any free).")] = 8400,
    latency_ms: Annotated[float, typer.Option("--latency-ms", min=0, help="Delay added to every answer.")] = 0.0,
) -> None:
    """Serve snapshots back as Microsoft Graph and ARM on 127.0.0.1 (for tests and demos)."""
    import asyncio

    from auditor.collect.emulator import Emulator, serve
    from auditor.snapshot import SnapshotError, load_snapshot

    try:
        if snapshot_dir.is_file():
            emulator = Emulator([load_snapshot(snapshot_dir)], latency_ms=latency_ms)
        elif snapshot_dir.is_dir():
            emulator = Emulator(folder=snapshot_dir, latency_ms=latency_ms)
        else:
            raise SnapshotError(f"{snapshot_dir}: no such file or folder")
    except SnapshotError as exc:
        raise fail(str(exc))

    def ready(running: Emulator) -> None:
        typer.echo(f"serving Graph, ARM and login on {running.base_url} (Ctrl-C stops)")
        typer.echo("point a config at it with:")
        typer.echo(f'[endpoints]\ngraph = "{running.base_url}"\narm = "{running.base_url}"\n'
                   f'authority = "{running.base_url}"\n[auth]\nmethod = "static_token"\n'
                   'token_env = "AUDITOR_STATIC_TOKEN"   # export AUDITOR_STATIC_TOKEN="tenant:{tenant}"')

    try:
        asyncio.run(serve(emulator, port, ready))
    except OSError as exc:
        raise fail(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}")
    except KeyboardInterrupt:
        pass


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.command("collect")(collect_command)
    app.command("permissions")(permissions_command)
    app.command("emulate")(emulate_command)
