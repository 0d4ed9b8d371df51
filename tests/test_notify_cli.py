"""`auditor run` notifies after everything is written and recorded; `auditor notify --run` resends a stored
run. Real CLI, real history, real local receivers; a channel that is down never changes the exit code."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.samples import sample_snapshots_dir
from tests.notify_servers import free_port, http_receiver
from tests.test_notify_send import SECRET, WORKFLOW, ca, workflows_url  # noqa: F401 (fixture)

runner = CliRunner()


@pytest.fixture
def audit(tmp_path, monkeypatch):
    """Two sample tenants (the partner and Fabrikam) as snapshots, and a private history."""
    monkeypatch.setenv("AUDITOR_DB", str(tmp_path / "history.sqlite"))
    snapshots = tmp_path / "snapshots"
    snapshots.mkdir()
    for stem in ("fabrikam-legal", "northwind-cloud-partners"):
        shutil.copy(sample_snapshots_dir() / f"{stem}.json", snapshots)
    return snapshots


def write_config(tmp_path, *tables: str):
    path = tmp_path / "tenants.toml"
    path.write_text("\n".join(tables))
    return path


def webhook(url: str, **extra: str) -> str:
    lines = "".join(f"{key} = {value}\n" for key, value in extra.items())
    return f'[[notify]]\nchannel = "webhook"\ntarget = "{url}"\n{lines}'


TEAMS = '[[notify]]\nchannel = "teams"\ntarget_env = "AUDITOR_TEAMS_URL"\n'


def run(snapshots, config, out, *extra):
    return runner.invoke(app, ["run", "--snapshots", str(snapshots), "--config", str(config), "--out", str(out),
                               "--as-of", "2026-11-21T09:00Z", *extra])


def lose_security_contact(snapshots):
    path = snapshots / "fabrikam-legal.json"
    document = json.loads(path.read_text())
    document["sections"]["organization"]["data"][0]["securityComplianceNotificationMails"] = []
    path.write_text(json.dumps(document))


def test_run_notifies_what_changed_and_notify_resends_it(tmp_path, audit, ca, monkeypatch):  # noqa: F811
    monkeypatch.setenv("AUDITOR_TEAMS_URL", "")
    with http_receiver() as hook, http_receiver(ca) as teams:
        monkeypatch.setenv("AUDITOR_TEAMS_URL", workflows_url(teams.base_url))
        config = write_config(tmp_path, webhook(f"{hook.base_url}/audit"), TEAMS)
        first = run(audit, config, tmp_path / "q3", "--run-label", "2026-Q3")
        assert first.exit_code == 0, first.output
        # The first audit: nothing changed, but the partner's active security alert was never reported.
        assert len(hook.requests) == 1
        digest = hook.requests[0].json()["digest"]
        assert [t["kind"] for t in digest["tenants"]] == ["partner"] and digest["tenants"][0]["new_partner_alerts"]

        lose_security_contact(audit)
        second = run(audit, config, tmp_path / "q4", "--run-label", "2026-Q4")
        assert second.exit_code == 0, second.output
        assert "notify: sent to webhook to" in second.output and "notify: sent to teams (URL from $AUDITOR_TEAMS_URL)" in second.output
        body = hook.requests[-1].json()
        fabrikam = next(t for t in body["digest"]["tenants"] if t["tenant"].startswith("Fabrikam"))
        assert [c["check_id"] for c in fabrikam["newly_failing"]] == ["CON-1"]
        assert not any(t["new_partner_alerts"] for t in body["digest"]["tenants"])  # the same alert: not new
        assert body["digest"]["label"] == "2026-Q4"
        card = teams.requests[-1].json()["attachments"][0]["content"]
        assert "CON-1" in json.dumps(card)

        again = runner.invoke(app, ["notify", "--run", "2026-Q4", "--config", str(config)])
        assert again.exit_code == 0, again.output
        assert hook.requests[-1].json()["digest"] == body["digest"]

        dry = runner.invoke(app, ["notify", "--config", str(config), "--dry-run"])
        assert dry.exit_code == 0 and "Newly failing checks (1)" in dry.output
    assert SECRET not in first.output + second.output + again.output + dry.output


def test_a_channel_that_is_down_never_changes_the_exit_code_nor_loses_the_audit(tmp_path, audit):
    down = write_config(tmp_path, webhook(f"http://127.0.0.1:{free_port()}/audit", always="true"))
    result = run(audit, down, tmp_path / "out", "--fail-under", "99")
    assert result.exit_code == 3, result.output  # what --fail-under makes it, notification or not
    assert "warning: notify: webhook to http://127.0.0.1:" in result.output and "failed" in result.output
    assert "the audit is complete and recorded" in result.output
    assert (tmp_path / "out" / "results.json").exists() and (tmp_path / "out" / "portfolio.pdf").exists()
    history = runner.invoke(app, ["history", "--format", "json"])
    assert len(json.loads(history.stdout)) == 1
    # the standalone command does fail, so a pipeline that only resends sees it
    resend = runner.invoke(app, ["notify", "--config", str(down)])
    assert resend.exit_code == 1 and "error: 1 of 1 notification channel(s) failed" in resend.output


def test_run_without_history_says_why_nothing_is_sent(tmp_path, audit):
    with http_receiver() as hook:
        config = write_config(tmp_path, webhook(f"{hook.base_url}/audit", always="true"))
        result = run(audit, config, tmp_path / "out", "--no-history")
    assert result.exit_code == 0, result.output
    assert "no notification sent" in result.output and "--no-history" in result.output
    assert hook.requests == []


def test_missing_secret_environment_is_a_warning(tmp_path, audit, monkeypatch):
    monkeypatch.delenv("AUDITOR_TEAMS_URL", raising=False)
    config = write_config(tmp_path, TEAMS.replace('"\n', '"\nalways = true\n', 1))
    result = run(audit, config, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "environment variable AUDITOR_TEAMS_URL (the URL) is not set" in result.output


def test_notify_needs_a_channel_or_a_dry_run(tmp_path, audit):
    config = write_config(tmp_path, "")
    result = runner.invoke(app, ["notify", "--config", str(config)])
    assert result.exit_code == 1 and "no [[notify]] channel" in result.output
    empty = runner.invoke(app, ["notify", "--dry-run"])
    assert empty.exit_code == 1 and "error:" in empty.output  # no history yet: one line, no traceback
