"""``auditor notify`` and the notification step at the end of ``auditor run``.

After ``run`` has written every output and recorded the run, the digest goes to the config's ``[[notify]]``
channels. A channel that fails is a ``warning:`` line on stderr: the exit code stays what the audit made it
and nothing of the audit is lost. ``auditor notify`` sends (or, with ``--dry-run``, shows) the digest of a
recorded run; there a failed channel is the command's own failure (exit 1), so a pipeline sees it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Mapping, Optional

import typer

from auditor.cli_common import DbOption, fail, open_history
from auditor.safe_text import terminal

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from auditor.notify.digest import Digest
    from auditor.notify.dispatch import Outcome


def _say(outcomes: list["Outcome"]) -> int:
    """One stderr line per channel; the number that failed."""
    from auditor.notify.dispatch import Delivery

    failed = 0
    for outcome in outcomes:
        where = outcome.channel.describe()
        if outcome.delivery is Delivery.SENT:
            typer.echo(f"notify: sent to {where}", err=True)
        elif outcome.delivery is Delivery.UNCHANGED:
            typer.echo(f"notify: nothing new for {where}: nothing sent", err=True)
        else:
            failed += 1
            typer.echo(f"warning: notify: {where} failed: {outcome.detail}", err=True)
    return failed


def notify_after_run(
    config: Any,
    engine: "Engine | None",
    results: Any,
    snapshots: list[Any],
    changes: Mapping[str, Any] | None,
    label: str | None,
) -> None:
    """The last step of ``auditor run``: send the run's digest to the config's channels. Never raises and
    never exits: every problem is a ``warning:`` line (the audit is already written and recorded)."""
    channels = list(getattr(config, "notify", None) or [])
    if not channels:
        return
    if engine is None:
        typer.echo("warning: notify: no notification sent: what changed comes from the history, and this run "
                   "was not recorded (--no-history)", err=True)
        return
    try:
        from auditor.notify.dispatch import dispatch
        from auditor.notify.gather import build_digest, unreadable_of

        digest = build_digest(engine, results, unreadable_of(snapshots), changes, label)
        outcomes = dispatch(channels, digest)
    except Exception as exc:  # noqa: BLE001 - never lose the audit over a notification
        typer.echo(f"warning: notify: no notification sent: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                   err=True)
        return
    finally:
        engine.dispose()
    failed = _say(outcomes)
    if failed:
        typer.echo(f"warning: notify: {failed} of {len(outcomes)} channel(s) failed; the audit is complete and "
                   "recorded (resend with: auditor notify --run " + results.run_id + ")", err=True)


def _show(digest: "Digest", title: str) -> None:
    from auditor.notify.formats import to_text

    typer.echo(terminal(f"== {title}"))
    # Tenant names and alert titles are the tenants' own text: each line shown as text, never executed.
    typer.echo("\n".join(terminal(line) for line in to_text(digest).splitlines()))


def notify_command(
    run: Annotated[
        Optional[str], typer.Option("--run", metavar="RUN", help="The run (id or unique prefix); default: the latest.")
    ] = None,
    config_path: Annotated[
        Optional[Path], typer.Option("--config", "-c", help="tenants.toml holding the [[notify]] channels.")
    ] = None,
    db: DbOption = None,
    always: Annotated[bool, typer.Option("--always", help="Send even to channels with nothing new.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what each channel would receive; send nothing.")
    ] = False,
) -> None:
    """Send the digest of a recorded run (what changed since each tenant's previous audit) to the config's
    [[notify]] channels: Teams, email, JSON webhook."""
    from auditor.config import ConfigError, load_config
    from auditor.notify.dispatch import dispatch, share
    from auditor.notify.gather import digest_of_recorded_run
    from auditor.store import StoreError, latest_run_ids

    config = None
    if config_path is not None:
        try:
            config = load_config(config_path)
        except ConfigError as exc:
            raise fail(str(exc)) from None
    channels = list(config.notify) if config is not None else []
    if not channels and not dry_run:
        raise fail(f"{config_path or 'no --config given'}: no [[notify]] channel to send to "
                   "(--dry-run prints the digest without one)")
    engine = open_history(db, config.database if config else None, create=False)
    try:
        if run is None:
            latest = latest_run_ids(engine, 1)
            if not latest:
                raise fail("the history holds no run yet")
            run = latest[0]
        digest = digest_of_recorded_run(engine, run)
    except StoreError as exc:
        raise fail(str(exc)) from None
    finally:
        engine.dispose()
    if dry_run:
        if not channels:  # what a channel without filters would receive
            from auditor.notify.digest import for_channel

            _show(for_channel(digest), f"digest of run {digest.run_id} (no channel configured)")
        for channel in channels:
            part = share(channel, digest)
            quiet = not part.has_news and not (always or channel.always)
            _show(part, f"{channel.describe()}" + (": nothing new, nothing would be sent" if quiet else ""))
        return
    failed = _say(dispatch(channels, digest, always=always))
    if failed:
        raise fail(f"{failed} of {len(channels)} notification channel(s) failed")


def register(app: typer.Typer) -> None:
    """Add this module's command to the main app."""
    app.command("notify")(notify_command)
