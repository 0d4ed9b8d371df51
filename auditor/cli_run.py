"""`auditor run`: collect (or read snapshots), evaluate, score, record in the history, write the results
and render the reports, in that order."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from auditor.cli_common import (
    DATA_FORMATS,
    REPORT_MEDIA,
    formats_option,
    parse_formats,
    RunJobsOption,
    default_jobs,
    EXIT_UNREADABLE,
    EXIT_USAGE,
    AllowUnreadableOption,
    AsOfOption,
    DbOption,
    GroupOption,
    Paper,
    RunIdOption,
    RunLabelOption,
    ShardOption,
    as_of_time,
    fail,
    interrupted_writing,
    load_checked_config,
    load_registry,
    now,
    open_history,
    parse_shard_option,
    record,
    report_unreadable,
    require_writable_out,
    run_identity,
)
from auditor.cli_results import evaluate_or_fail, note_without_config
from auditor.cli_results import exit_if_below as _exit_if_below
from auditor.cli_results import print_results_table as _print_results_table
from auditor.safe_text import terminal


def _progress():
    from auditor.cli_progress import terminal_progress

    return terminal_progress()


def _collect(config, out: Path, started: datetime, shard, group, jobs: int) -> list[Path]:
    """Collect the tenants this run audits into out/snapshots: the listed customers in the shard and group,
    and the partner when the shard holds it and no group is asked for (groups are customer tags). Returns
    the files written, so stale snapshots of an earlier run in the same folder are never evaluated."""
    from auditor.collect import CollectError, CollectOptions, collect_all
    from auditor.selection import SelectionError, select

    try:
        listed = select(config.tenants, group, shard, config) if config.tenants else []
    except SelectionError as exc:
        raise fail(str(exc)) from None
    partner = config.partner
    if partner is not None and (group is not None or (shard is not None and not shard.contains(partner.id))):
        partner = None
    if config.tenants and not listed and partner is None:
        typer.echo("no configured tenant falls in this shard: nothing to collect", err=True)
        return []
    # azure-identity logs every failed token request with the full response; the snapshot records it once.
    logging.getLogger("azure").setLevel(logging.ERROR)
    # Listed tenants narrowed to nothing must not fall back to discovering every customer.
    update = {"partner": partner}
    if config.tenants:
        update.update(tenants=listed, discover_customers=False)
    try:
        return collect_all(config.model_copy(update=update), out / "snapshots", progress=_progress(), now=started,
                           options=CollectOptions(jobs=jobs))
    except CollectError as exc:
        raise fail(str(exc)) from None


def _partner_context(config, out: Path, started: datetime, shard, group):
    """The partner's context for a shard or group that does not audit the partner: its few context sections,
    read live into out/partner-context/ (never scored), so every shard judges customers alike."""
    if config is None or config.partner is None or (shard is None and group is None):
        return None
    from auditor.collect.context import collect_partner_context
    from auditor.snapshot import SnapshotError, load_snapshot

    try:
        path = collect_partner_context(config, out, now=started)
        return load_snapshot(path) if path is not None else None
    except SnapshotError as exc:
        raise fail(str(exc)) from None


def run(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("out"),
    sample: Annotated[bool, typer.Option("--sample", help="Audit the bundled sample tenants.")] = False,
    config_path: Annotated[
        Optional[Path], typer.Option("--config", "-c", help="tenants.toml (tenants, auth, branding, acceptances).")
    ] = None,
    snapshots_dir: Annotated[
        Optional[Path],
        typer.Option("--snapshots", help="Evaluate this folder of snapshots instead of collecting live."),
    ] = None,
    db: DbOption = None,
    no_history: Annotated[bool, typer.Option("--no-history", help="Do not record this run in the history.")] = False,
    group: GroupOption = None,
    shard: ShardOption = None,
    run_id: RunIdOption = None,
    run_label: RunLabelOption = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace the run already recorded under this --run-label or --run-id "
                           "(the whole run, in one transaction; not with --shard).")
    ] = False,
    paper: Annotated[Paper, typer.Option("--paper", help="A4 or Letter.", case_sensitive=False)] = Paper.A4,
    jobs: RunJobsOption = None,
    as_of: AsOfOption = None,
    fail_under: Annotated[
        Optional[float], typer.Option("--fail-under", help="Exit 3 when a tenant scores below this, or is incomplete or unscored.")
    ] = None,
    allow_unreadable: AllowUnreadableOption = False,
    formats: Annotated[Optional[str], formats_option(DATA_FORMATS + REPORT_MEDIA)] = None,
) -> None:
    """Audit tenants end to end: collect (or read snapshots), evaluate, score, record in the history, and
    write results.json/.csv/.xlsx, a scorecard per tenant and the portfolio to --out."""
    from auditor.outputs import write_results
    from auditor.report import BrandingError, RenderError, render_reports, validate_branding
    from auditor.samples import sample_config_path, sample_snapshots_dir
    from auditor.selection import Selected, SelectionError, load_selected
    from auditor.snapshot import SnapshotError

    if sum((sample, snapshots_dir is not None)) > 1 or not (sample or snapshots_dir or config_path):
        raise fail("give one source: --sample, --snapshots DIR, or --config tenants.toml (live collection)", EXIT_USAGE)
    chosen = parse_formats(formats, DATA_FORMATS + REPORT_MEDIA)  # a bad list fails before any work
    registry = load_registry()
    config_source = config_path or (sample_config_path() if sample else None)
    config = load_checked_config(config_source, registry)
    branding = config.branding if config else None
    if branding is not None:
        try:
            validate_branding(branding)  # before any collection or rendering starts
        except BrandingError as exc:
            raise fail(str(exc)) from None
    shard_spec = parse_shard_option(shard)
    identity, label = run_identity(run_id, run_label)
    # Before anything is recorded: a rerun under the same label would be refused.
    require_writable_out(out, config.auth if config else None, snapshots_dir)
    demo_history = None
    if sample and db is None and not no_history:
        db = demo_history = _sample_history(out)
    # Opened (and its schema checked) before a long collection, so a bad --db fails first.
    history = None if no_history else open_history(db, config.database if config else None)
    if history is not None:  # a label already recorded is refused now, not after a long collection
        _check_can_record(history, identity, shard_spec, replace)
    started = now()

    if sample:
        sources = [sample_snapshots_dir()]
    elif snapshots_dir is not None:
        sources = [snapshots_dir]
    else:
        with interrupted_writing(out, "snapshots"):
            sources = _collect(config, out, started, shard_spec, group, jobs or default_jobs())
    try:
        # A shard may hold no tenant; it is still recorded, so the history shows that shard as done.
        selected = load_selected(sources, group, shard_spec, config) if sources else Selected([], {})
    except (SnapshotError, SelectionError) as exc:
        raise fail(str(exc)) from None
    partner_snapshot = selected.partner
    if not sample and snapshots_dir is None and partner_snapshot is None:
        partner_snapshot = _partner_context(config, out, started, shard_spec, group)
    if not sample and snapshots_dir is None:  # collected live: one line per shared failure cause
        from auditor.collect.hints import collection_hints

        for line in collection_hints(selected.snapshots):
            typer.echo(terminal(line), err=True)
    # The demo is evaluated as of its collection, so it reads the same whatever the date.
    default_time = max((s.collected_at for s in selected.snapshots), default=None) if sample else None
    evaluated_at = as_of_time(as_of, default_time)
    note_without_config(config)
    results = evaluate_or_fail(selected.snapshots, registry, evaluated_at, config, run_id=identity,
                               operator=_operator(), partner_snapshot=partner_snapshot, whole=selected.whole)

    # Recorded before rendering: the reports read each tenant's trend back from the history.
    recording = dict(
        started_at=started, snapshots=selected.files, shard=str(shard_spec) if shard_spec else None, label=label,
        as_of=evaluated_at if as_of is not None or default_time is not None else None, created_at=now(),
        config_sha256=_file_sha256(config_source), replace=replace,
    )
    changes = None if history is None else _record_run(history, results, branding, recording)
    try:
        with interrupted_writing(out, "reports and data files"):
            written = write_results(results, out, [f for f in chosen if f in DATA_FORMATS])
            written += render_reports(results, out, branding, paper=paper.value, history=changes,
                                      jobs=jobs or default_jobs(), media=tuple(f for f in chosen if f in REPORT_MEDIA),
                                      progress=_progress())
    except (BrandingError, RenderError) as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"{exc.filename or out}: cannot write: {exc.strerror or exc}")
    _print_results_table(results)
    kinds = [f"results.{f}" for f in chosen if f in DATA_FORMATS]
    scorecards = len({p.parent for p in written if p.stem == "scorecard"})
    if scorecards:
        kinds.append(f"{scorecards} scorecard(s)")
    if any(p.stem == "portfolio" for p in written):
        kinds.append("the portfolio")
    # The demo's throwaway history is written under --out too: named, so the count matches the folder.
    kept = f"; the demo's own history: {Path(demo_history).name}" if demo_history else ""
    typer.echo(f"run {results.run_id}: wrote {len(written)} file{'' if len(written) == 1 else 's'} to {out}/ "
               f"({', '.join(kinds)}){kept}")
    unreadable = report_unreadable(selected.snapshots)
    # issue 15: notifications last, once everything is written and recorded; a failure is a warning only.
    from auditor.cli_notify import notify_after_run

    notify_after_run(config, history, results, selected.snapshots, changes, label)
    gate_unreadable = unreadable and not (allow_unreadable or (config is not None and config.allow_unreadable))
    try:
        _exit_if_below(results, fail_under)
    except typer.Exit:
        # A tenant that could not be read outranks a low score: the audit itself is incomplete.
        if not gate_unreadable:
            raise
    if gate_unreadable:
        raise typer.Exit(EXIT_UNREADABLE)


def _sample_history(out: Path) -> str:
    """A fresh throwaway history for the demo, under --out: `run --sample` never writes to the partner's real
    history ($AUDITOR_DB, the config's or the default database); only an explicit --db is honoured."""
    path = out / "sample-history.sqlite"
    try:
        out.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise fail(f"{exc.filename or out}: cannot write: {exc.strerror or exc}")
    return str(path)


def _check_can_record(engine, run_id: str, shard, replace: bool) -> None:
    from auditor import store

    try:
        store.check_can_record(engine, run_id, str(shard) if shard else None, replace)
    except store.StoreError as exc:
        engine.dispose()
        raise fail(str(exc)) from None


def _file_sha256(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:  # read moments ago; a file gone since only loses its hash
        return None


def _record_run(engine, results, branding, recording: dict):
    """Record the run in the history with the branding its reports are rendered with (so `auditor report
    --run` renders them alike later); each tenant's trend and changes for the reports. ``recording``: the
    keyword arguments of auditor.store.record_run."""
    from auditor import store

    try:
        record(engine, results, branding=store.branding_record(branding), **recording)
        return store.tenant_history(engine, results.run_id, [t.tenant_id for t in results.tenants])
    except store.StoreError as exc:
        raise fail(str(exc)) from None
    finally:
        engine.dispose()


def _operator() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return ""


def register(app: typer.Typer) -> None:
    """Add this module's command to the main app."""
    app.command("run")(run)
