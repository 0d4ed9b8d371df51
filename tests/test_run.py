"""`auditor run` end to end: samples, live collection from the emulator, groups, branding errors, history."""

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor import store
from auditor.cli import app
from auditor.collect.emulator import Emulator, EmulatorThread
from auditor.evaluate import evaluate
from auditor.registry import Registry
from auditor.results import AuditResults
from auditor.samples import sample_snapshots_dir
from auditor.snapshot import load_snapshot

runner = CliRunner()
SAMPLES = sorted(sample_snapshots_dir().glob("*.json"))


@pytest.fixture(autouse=True)
def private_history(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDITOR_DB", str(tmp_path / "history.sqlite"))


def load_results(out: Path) -> AuditResults:
    return AuditResults.model_validate_json((out / "results.json").read_text())


def test_sample_run_writes_every_output(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", "--sample", "--out", str(out)])
    assert result.exit_code == 0, result.output
    results = load_results(out)
    snapshots = [load_snapshot(path) for path in SAMPLES]
    assert {t.tenant_id for t in results.tenants} == {s.tenant.id for s in snapshots}
    registry = Registry.from_entry_points()
    for tenant in results.tenants:
        expected = {spec.id for spec in registry if spec.applies(tenant.kind)}
        assert {r.check_id for r in tenant.results} == expected
    for name in ("results.csv", "results.xlsx", "portfolio.html", "portfolio.pdf"):
        assert (out / name).stat().st_size > 0, name
    assert len(list(out.glob("*/scorecard.pdf"))) == len(snapshots)
    assert len(list(out.glob("*/scorecard.html"))) == len(snapshots)
    # the sample is evaluated as of its collection, so the demo reads the same on any date
    assert results.generated_at == max(s.collected_at for s in snapshots)
    # The summary's count is the reports and data files; the demo's history is named beside it.
    written = sum(1 for p in out.rglob("*") if p.is_file() and p.name != "sample-history.sqlite")
    assert f"wrote {written} files to {out}/" in result.output
    assert "the demo's own history: sample-history.sqlite" in result.output

    # The demo keeps its own throwaway history under --out, never the real one ($AUDITOR_DB here).
    history = runner.invoke(app, ["history", "--db", str(out / "sample-history.sqlite"), "--format", "json"])
    assert history.exit_code == 0, history.output
    runs = json.loads(history.stdout)
    assert [r["id"] for r in runs] == [results.run_id]
    assert not (tmp_path / "history.sqlite").exists()  # $AUDITOR_DB (the private_history fixture) untouched


def test_sample_run_leaves_the_default_history_untouched(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.delenv("AUDITOR_DB", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(home))
    out = tmp_path / "out"
    for _ in range(2):  # twice: the throwaway history starts afresh, so the demo never shows a fake trend
        result = runner.invoke(app, ["run", "--sample", "--group", "tier:gold", "--out", str(out),
                                     "--run-label", "demo"])
        assert result.exit_code == 0, result.output
    assert not any(home.rglob("*.sqlite")), list(home.rglob("*"))
    runs = json.loads(runner.invoke(app, ["history", "--db", str(out / "sample-history.sqlite"),
                                          "--format", "json"]).stdout)
    assert len(runs) == 1


def test_live_run_against_the_emulator_matches_offline_evaluation(tmp_path, monkeypatch):
    chosen = [load_snapshot(p) for p in SAMPLES if p.stem in ("northwind-cloud-partners", "coho-winery", "fabrikam-legal")]
    partner = next(s for s in chosen if s.tenant.kind.value == "partner")
    customers = [s for s in chosen if s is not partner]
    monkeypatch.setenv("AUDITOR_STATIC_TOKEN", "tenant:{tenant}")
    out = tmp_path / "out"
    with EmulatorThread(Emulator(chosen)) as emulator:
        config = tmp_path / "tenants.toml"
        config.write_text(
            f'discover_customers = false\n[partner]\nid = "{partner.tenant.id}"\n'
            + "".join(f'[[tenants]]\nid = "{c.tenant.id}"\nname = "{c.tenant.display_name}"\n' for c in customers)
            + f'[auth]\nmethod = "static_token"\n[endpoints]\ngraph = "{emulator.base_url}"\n'
            f'arm = "{emulator.base_url}"\nauthority = "{emulator.base_url}"\n'
        )
        result = runner.invoke(app, ["run", "--config", str(config), "--out", str(out), "--as-of", "2026-11-21T09:00Z"])
        assert not emulator.writes
    assert result.exit_code == 0, result.output
    live = load_results(out)
    offline = evaluate(chosen, Registry.from_entry_points(), live.generated_at)
    statuses = lambda results: {(t.tenant_id, r.check_id): r.status for t in results.tenants for r in t.results}
    assert statuses(live) == statuses(offline)
    assert len(list((out / "snapshots").glob("*.json"))) == 3


def test_group_restricts_the_run(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", "--sample", "--group", "tier:gold", "--no-history", "--out", str(out)])
    assert result.exit_code == 0, result.output
    results = load_results(out)
    assert results.tenants and all("tier:gold" in t.tags for t in results.tenants)
    assert len(results.tenants) < len(SAMPLES)


def test_unknown_group_is_one_line_error(tmp_path):
    result = runner.invoke(app, ["run", "--sample", "--group", "tier:platinum", "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "tier:platinum" in result.stderr


def test_missing_logo_fails_before_anything_is_written(tmp_path):
    config = tmp_path / "tenants.toml"
    config.write_text('[branding]\npartner_name = "Acme"\nlogo = "nowhere/logo.png"\n')
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", "--snapshots", str(sample_snapshots_dir()), "--config", str(config),
                                 "--out", str(out)])
    assert result.exit_code == 1
    assert "logo" in result.stderr and result.stderr.count("\n") == 1
    assert not out.exists()


def test_run_needs_one_source(tmp_path):
    assert runner.invoke(app, ["run", "--out", str(tmp_path)]).exit_code == 2
    assert runner.invoke(app, ["run", "--sample", "--snapshots", str(tmp_path)]).exit_code == 2


def test_collect_record_keeps_the_audit_in_the_history(tmp_path, monkeypatch):
    chosen = [load_snapshot(p) for p in SAMPLES if p.stem == "fabrikam-legal"]
    monkeypatch.setenv("AUDITOR_STATIC_TOKEN", "tenant:{tenant}")
    db = tmp_path / "quarterly.sqlite"
    with EmulatorThread(Emulator(chosen)) as emulator:
        config = tmp_path / "tenants.toml"
        config.write_text(
            f'[[tenants]]\nid = "{chosen[0].tenant.id}"\n[auth]\nmethod = "static_token"\n[endpoints]\n'
            f'graph = "{emulator.base_url}"\narm = "{emulator.base_url}"\nauthority = "{emulator.base_url}"\n'
            '[branding]\npartner_name = "Litware Assurance"\n'
        )
        result = runner.invoke(app, ["collect", "--config", str(config), "--out", str(tmp_path / "s"), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "recorded run" in result.output
    history = runner.invoke(app, ["history", "--db", str(db), "--format", "json"])
    runs = json.loads(history.stdout)
    assert len(runs) == 1 and runs[0]["tenants"] == 1
    # Recorded with the config's hash and branding, so `report --run` renders it as `run` would have.
    assert runs[0]["config_sha256"] == hashlib.sha256(config.read_bytes()).hexdigest()
    engine = store.open_db(str(db))
    assert store.run_branding(engine, runs[0]["id"]).partner_name == "Litware Assurance"
    engine.dispose()


def test_two_runs_give_a_diff_a_trend_and_a_change_section(tmp_path):
    """The history issue's acceptance: one tenant's snapshot changes between two runs."""
    import shutil

    snapshots = tmp_path / "snapshots"
    snapshots.mkdir()
    for stem in ("fabrikam-legal", "coho-winery"):
        shutil.copy(sample_snapshots_dir() / f"{stem}.json", snapshots)
    common = ["--snapshots", str(snapshots), "--as-of", "2026-11-21T09:00Z"]
    first = runner.invoke(app, ["run", *common, "--run-label", "2026-Q3", "--out", str(tmp_path / "q3")])
    assert first.exit_code == 0, first.output

    # Fabrikam's security contact disappears before the next quarter.
    path = snapshots / "fabrikam-legal.json"
    document = json.loads(path.read_text())
    document["sections"]["organization"]["data"][0]["securityComplianceNotificationMails"] = []
    path.write_text(json.dumps(document))
    second = runner.invoke(app, ["run", *common, "--run-label", "2026-Q4", "--out", str(tmp_path / "q4")])
    assert second.exit_code == 0, second.output

    diff = runner.invoke(app, ["diff", "--format", "json"])
    assert diff.exit_code == 0, diff.output
    tenants = {t["tenant"]: t for t in json.loads(diff.stdout)["tenants"]}
    fabrikam = next(t for name, t in tenants.items() if name.startswith("Fabrikam"))
    assert fabrikam["newly_failing"] == ["CON-1"] and fabrikam["fixed"] == []
    assert all(not t["newly_failing"] and not t["fixed"] for name, t in tenants.items() if t is not fabrikam)

    scorecard = next((tmp_path / "q4").glob("fabrikam*/scorecard.html")).read_text()
    assert "Since the last audit" in scorecard and "first audit recorded" not in scorecard
    trend = scorecard[scorecard.index('id="since-last"'):]
    assert trend[: trend.index("</svg>")].count("<circle") == 2  # a two-point trend
    first_card = next((tmp_path / "q3").glob("fabrikam*/scorecard.html")).read_text()
    assert "first audit recorded" in first_card

    # the stored run renders again from the database, with the same change section
    report = runner.invoke(app, ["report", "--run", "2026-Q4", "--out", str(tmp_path / "again")])
    assert report.exit_code == 0, report.output
    again = next((tmp_path / "again").glob("fabrikam*/scorecard.html")).read_text()
    assert "Since the last audit" in again and "CON-1" in again


def test_unwritable_output_is_one_line_error(tmp_path):
    blocker = tmp_path / "out"
    blocker.write_text("a file where the output folder should be")
    result = runner.invoke(app, ["run", "--sample", "--no-history", "--out", str(blocker)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "cannot write" in result.stderr
    assert result.stderr.count("\n") == 1
