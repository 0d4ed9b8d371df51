"""Scoring version 3 through the CLI and the history: the low-coverage tenant gets no grade and fails the
gate, config references that miss are one-line errors, a run without a config says so, and "Incomplete"
and the scoring rule round-trip through the history database, `auditor history` and `auditor diff`."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from auditor import store
from auditor.cli import app
from auditor.results import INCOMPLETE, AcceptedRisk, ScoringRule
from auditor.snapshot import TENANT_SECTIONS, dump_snapshot
from tests.builders import TENANT_ID, forbidden, make_snapshot
from tests.test_store_backends import audit, check, db_url, quarter, tenant  # noqa: F401 (fixture)

runner = CliRunner()
ORGANIZATION = [{"id": TENANT_ID, "securityComplianceNotificationMails": ["soc@test.example"],
                 "verifiedDomains": [{"name": "test.example", "isDefault": True}]}]


def write(tmp_path, snapshot, name="tenant.json"):
    path = tmp_path / name
    path.write_text(dump_snapshot(snapshot))
    return path


def only_organization_readable(tmp_path):
    sections = {name: forbidden("Policy.Read.All") for name in TENANT_SECTIONS if name != "organization"}
    return write(tmp_path, make_snapshot(organization=ORGANIZATION, **sections))


def test_a_tenant_only_its_organization_could_be_read_gets_no_grade_and_fails_the_gate(tmp_path):
    path = only_organization_readable(tmp_path)
    result = runner.invoke(app, ["evaluate", str(path), "--fail-under", "80"])
    assert result.exit_code == 3, result.output
    assert "Incomplete" in result.stdout and "Scoring version 3" in result.stdout
    assert "below --fail-under 80: Test Tenant Ltd (Incomplete: coverage" in result.stderr
    document = json.loads(runner.invoke(app, ["evaluate", str(path), "-f", "json"]).stdout)
    tenant = document["tenants"][0]
    assert tenant["score"] == 100.0 and tenant["grade"] == INCOMPLETE and tenant["coverage"] < 0.75
    assert document["scoring"] == {"version": 3, "accepted_risk": "counted", "min_coverage": 0.75}
    assert document["tool"]["ruleset_version"] == "3"
    rows = list(csv.DictReader(io.StringIO(runner.invoke(app, ["evaluate", str(path), "-f", "csv"]).stdout)))
    assert {row["tenant_grade"] for row in rows} == {INCOMPLETE}
    con1 = next(row for row in rows if row["check_id"] == "CON-1")
    assert (con1["tenant_score"], con1["status"], con1["status_label"]) == ("100.0", "PASS", "Pass")
    assert con1["area_title"] == "Security contacts and alerts" and "version 3" in con1["scoring_rule"]


def test_without_a_config_one_line_says_what_was_not_applied(tmp_path):
    path = only_organization_readable(tmp_path)
    result = runner.invoke(app, ["evaluate", str(path)])
    notes = [line for line in result.stderr.splitlines() if line.startswith("note:")]
    assert notes == ["note: no --config given: no break-glass accounts, risk acceptances or attestations were "
                     "applied, and the default scoring rule was used"]
    config = tmp_path / "tenants.toml"
    config.write_text("[scoring]\nmin_coverage = 0.75\n")
    assert "note:" not in runner.invoke(app, ["evaluate", str(path), "-c", str(config)]).stderr


def test_run_on_snapshots_without_a_config_says_so_too(tmp_path):
    folder = tmp_path / "snaps"
    folder.mkdir()
    only_organization_readable(folder)
    result = runner.invoke(app, ["run", "--snapshots", str(folder), "--out", str(tmp_path / "out"), "--no-history",
                                 "--fail-under", "80"])
    assert "note: no --config given" in result.stderr
    assert result.exit_code == 3 and "Test Tenant Ltd (Incomplete" in result.stderr


@pytest.mark.parametrize("key", ["risk_acceptances", "attestations"])
def test_an_entry_naming_an_unknown_tenant_is_a_one_line_config_error(tmp_path, key):
    path = write(tmp_path, make_snapshot(organization=ORGANIZATION))
    fields = ('reason = "r"\nowner = "o"\nexpires = 2027-01-01' if key == "risk_acceptances"
              else 'reviewer = "r"\nreviewed = 2026-11-01')
    config = tmp_path / "tenants.toml"
    config.write_text(f'# acceptances\n\n[[{key}]]\ncheck = "CON-1"\ntenant = "tset.example"\n{fields}\n')
    result = runner.invoke(app, ["evaluate", str(path), "-c", str(config)])
    assert result.exit_code == 1, result.output
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert result.stderr.startswith(f"error: {config}:3: {key}[0] (check CON-1): tenant 'tset.example' matches no tenant")
    assert "did you mean Test Tenant Ltd" in result.stderr


def test_a_verified_domain_names_the_tenant_in_an_acceptance(tmp_path):
    path = write(tmp_path, make_snapshot(organization=[{"id": TENANT_ID, "verifiedDomains": [{"name": "test.example"}]}]))
    config = tmp_path / "tenants.toml"
    config.write_text('[[risk_acceptances]]\ncheck = "CON-1"\ntenant = "TEST.example"\nreason = "r"\nowner = "o"\n'
                      'expires = 2099-01-01\n')
    document = json.loads(runner.invoke(app, ["evaluate", str(path), "-c", str(config), "-f", "json"]).stdout)
    con1 = next(r for r in document["tenants"][0]["results"] if r["check_id"] == "CON-1")
    assert con1["status"] == "ACCEPTED" and con1["acceptance"]["owner"] == "o"


# --- the history ---------------------------------------------------------------------------------------


def incomplete_tenant():
    # PASS (high, 6) and UNKNOWN (high 6 + critical 10): coverage 6 / 22 = 27.3 %
    result = tenant("c0000000-0000-4000-8000-000000000001", "Contoso", {"MFA-1": "PASS", "MFA-2": "UNKNOWN"})
    result.results.append(check("MFA-3", "UNKNOWN", severity="critical"))
    result.domains = ["contoso.example", "contoso.onmicrosoft.com"]
    from auditor.scoring import score_tenant

    score = score_tenant(result.results)
    result.score, result.grade, result.coverage, result.areas = score.score, score.grade, score.coverage, score.areas
    return result


def test_incomplete_and_the_scoring_rule_round_trip_through_the_history(db_url):
    engine = store.open_db(db_url)
    rule = ScoringRule(accepted_risk=AcceptedRisk.EXCLUDED, min_coverage=0.5)
    first = audit("q1", [tenant("c0000000-0000-4000-8000-000000000001", "Contoso", {"MFA-1": "PASS"})],
                  at=quarter(0), ruleset="3")
    store.record_run(engine, first.model_copy(update={"scoring": rule}))
    second = audit("q2", [incomplete_tenant()], at=quarter(1), ruleset="3")
    assert second.tenants[0].grade == INCOMPLETE
    store.record_run(engine, second)
    loaded = store.load_run_results(engine, "q2")
    assert loaded.tenants[0].grade == INCOMPLETE and loaded.tenants[0].areas["mfa"].grade == INCOMPLETE
    assert loaded.scoring == ScoringRule() and store.load_run_results(engine, "q1").scoring == rule
    assert loaded.tenants[0].domains == ["contoso.example", "contoso.onmicrosoft.com"]
    assert store.find_tenants(engine, "CONTOSO.example") == ["c0000000-0000-4000-8000-000000000001"]
    change = store.diff(engine, "q1", "q2").tenants[0]
    assert (change.grade_a, change.grade_b) == ("A", INCOMPLETE)
    engine.dispose()


def test_history_and_diff_show_incomplete_and_the_rule(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    url = f"sqlite:///{tmp_path / 'history.sqlite'}"
    engine = store.open_db(url)
    store.record_run(engine, audit("q1", [tenant("c0000000-0000-4000-8000-000000000001", "Contoso", {"MFA-1": "PASS"})],
                                   at=quarter(0)))  # a run of the old rule set: scored the old way
    store.record_run(engine, audit("q2", [incomplete_tenant()], at=quarter(1), ruleset="3"))
    engine.dispose()
    invoke = CliRunner(env={"COLUMNS": "200"}).invoke
    runs = json.loads(invoke(app, ["history", "--db", url, "--tenant", "contoso.example", "-f", "json"]).stdout)
    assert [(r["id"], r["tenant_grade"], r["scoring"]["version"]) for r in runs] == [("q1", "A", 2), ("q2", INCOMPLETE, 3)]
    overall = json.loads(invoke(app, ["history", "--db", url, "-f", "json"]).stdout)
    # The mean and lowest score are over graded tenants, like the portfolio's average.
    assert [(r["mean_score"], r["incomplete"]) for r in overall] == [(100.0, 0), (None, 1)]
    table = invoke(app, ["history", "--db", url]).output
    assert "scoring version 2" in table and "scoring version 3" in table  # the rule changed between runs
    diff = invoke(app, ["diff", "--db", url])
    assert diff.exit_code == 0 and f"A → {INCOMPLETE}" in diff.output
    entry = json.loads(invoke(app, ["diff", "--db", url, "-f", "json"]).stdout)["tenants"][0]
    assert (entry["grade_a"], entry["grade_b"], entry["score_change"]) == ("A", INCOMPLETE, 0.0)


def test_a_version_1_database_is_migrated_and_keeps_its_runs(db_url):
    engine = store.open_db(db_url)
    store.record_run(engine, audit("old", [tenant("c0000000-0000-4000-8000-000000000001", "Contoso", {"MFA-1": "PASS"})]))
    with engine.begin() as conn:  # back to the version-1 shape: without the columns version 2 adds
        for table, column in store.migrations._VERSION_2_COLUMNS:
            conn.execute(text(f'ALTER TABLE {table.name} DROP COLUMN "{column}"'))
        conn.execute(text("DELETE FROM schema_version WHERE version >= 2"))
    engine.dispose()
    engine = store.open_db(db_url)
    with engine.connect() as conn:
        assert store.schema_version(conn) == store.SCHEMA_VERSION
        assert "scoring" in {c["name"] for c in inspect(conn).get_columns("runs")}
    old = store.load_run_results(engine, "old")
    assert old.scoring.version == 2 and old.tenants[0].grade == "A"  # recorded before version 3
    store.record_run(engine, audit("new", [incomplete_tenant()], at=quarter(1), ruleset="3"))
    assert store.load_run_results(engine, "new").tenants[0].grade == INCOMPLETE
    engine.dispose()


def test_a_tenant_filter_naming_two_tenants_lists_both(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    url = f"sqlite:///{tmp_path / 'history.sqlite'}"
    engine = store.open_db(url)
    store.record_run(engine, audit("q1", [
        tenant("c0000000-0000-4000-8000-000000000001", "Contoso", {"MFA-1": "PASS"}),
        tenant("c0000000-0000-4000-8000-000000000002", "Contoso", {"MFA-1": "FAIL"}),
    ]))
    engine.dispose()
    result = CliRunner().invoke(app, ["history", "--db", url, "--tenant", "contoso"])
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert ("'contoso' names 2 tenants (Contoso (c0000000-0000-4000-8000-000000000001), "
            "Contoso (c0000000-0000-4000-8000-000000000002)); give the tenant id") in result.stderr
