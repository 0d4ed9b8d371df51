"""The command line: formats, exit codes (0 ok, 1 bad input, 2 usage, 3 --fail-under), lazy imports."""

import csv
import io
import json
import subprocess
import sys

from typer.testing import CliRunner

from auditor.cli import app
from auditor.snapshot import dump_snapshot
from tests.builders import make_snapshot

runner = CliRunner()


def write_snapshot(tmp_path, name="contoso.json", **sections):
    path = tmp_path / name
    path.write_text(dump_snapshot(make_snapshot(**sections)))
    return path


def test_checks_list_json_has_the_contract_fields():
    result = runner.invoke(app, ["checks", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows, "no checks discovered through entry points"
    for row in rows:
        assert {"id", "title", "area", "severity", "applies_to"} <= set(row)
    assert "CON-1" in {row["id"] for row in rows}


def test_evaluate_json_and_csv(tmp_path):
    path = write_snapshot(tmp_path, organization=[{"id": "o", "securityComplianceNotificationMails": ["s@x.com"]}])
    result = runner.invoke(app, ["evaluate", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) >= {"tool", "generated_at", "tenants"}
    assert set(document["tool"]) >= {"name", "version", "ruleset_version"}
    tenant = document["tenants"][0]
    assert set(tenant) >= {"tenant_id", "display_name", "kind", "score", "grade", "coverage", "areas", "results"}
    con1 = next(r for r in tenant["results"] if r["check_id"] == "CON-1")
    assert con1["status"] == "PASS"
    assert set(con1) >= {"check_id", "title", "area", "severity", "status", "summary", "evidence", "remediation"}

    result = runner.invoke(app, ["evaluate", str(tmp_path), "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert any(row["check_id"] == "CON-1" and row["status"] == "PASS" for row in rows)


def test_bad_snapshot_exits_1_with_one_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    result = runner.invoke(app, ["evaluate", str(bad)])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "bad.json" in result.stderr
    assert "Traceback" not in result.output


def test_missing_path_exits_1(tmp_path):
    result = runner.invoke(app, ["evaluate", str(tmp_path / "nope.json")])
    assert result.exit_code == 1 and "no such file" in result.stderr


def test_usage_error_exits_2():
    assert runner.invoke(app, ["evaluate", "--format", "yaml", "x.json"]).exit_code == 2
    assert runner.invoke(app, ["run"]).exit_code == 2


def test_fail_under_exits_3(tmp_path):
    path = write_snapshot(tmp_path, organization=[{"id": "o", "technicalNotificationMails": ["t@x.com"]}])
    result = runner.invoke(app, ["evaluate", str(path), "--fail-under", "50"])
    assert result.exit_code == 3, result.output
    assert "below --fail-under" in result.stderr
    other = tmp_path / "other"
    other.mkdir()
    passing = write_snapshot(other, "passing.json",
                             organization=[{"id": "o", "securityComplianceNotificationMails": ["s@x.com"]}])
    # One check read out of many: Incomplete, which no bar lets through; without the floor, 100 passes 50.
    assert runner.invoke(app, ["evaluate", str(passing), "--fail-under", "50"]).exit_code == 3
    no_floor = tmp_path / "no-floor.toml"
    no_floor.write_text("[scoring]\nmin_coverage = 0\n")
    assert runner.invoke(app, ["evaluate", str(passing), "--fail-under", "50", "-c", str(no_floor)]).exit_code == 0


def test_bad_config_exits_1(tmp_path):
    config = tmp_path / "tenants.toml"
    config.write_text('[[risk_acceptances]]\ncheck = "NOPE-1"\nreason = "r"\nowner = "o"\nexpires = 2027-01-01\n')
    path = write_snapshot(tmp_path)
    result = runner.invoke(app, ["evaluate", str(path), "--config", str(config)])
    assert result.exit_code == 1 and "NOPE-1" in result.stderr


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from auditor.cli import app\n"
        "CliRunner().invoke(app, ['--help'])\n"
        "heavy = [m for m in ('weasyprint', 'pandas', 'msgraph', 'azure.identity', 'sqlalchemy') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert output == ""


def test_fail_under_names_tenants_without_a_score(tmp_path):
    from tests.builders import forbidden

    path = write_snapshot(tmp_path, organization=forbidden("Organization.Read.All"))
    result = runner.invoke(app, ["evaluate", str(path), "--fail-under", "50"])
    assert result.exit_code == 3  # a gate that cannot see a tenant does not pass it
    assert "nothing could be assessed" in result.stderr and "Test Tenant Ltd" in result.stderr


def test_help_starts_without_heavy_imports():
    """`auditor --help` imports what printing help needs, nothing more (start-up: bench/startup.py)."""
    code = ("import sys; sys.argv = ['auditor', '--help']\n"
            "from auditor.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('rich', 'pydantic', 'weasyprint', 'pandas', 'msgraph', 'sqlalchemy', 'httpx')"
            " if m in sys.modules]\n"
            "print('HEAVY', heavy, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in done.stderr, done.stderr


def test_jobs_defaults_to_the_cpu_count(monkeypatch):
    """`run` and `report` render on every core unless --jobs says otherwise (issue: a quarter in minutes)."""
    import os

    from auditor.cli_common import default_jobs

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 5})
    assert default_jobs() == 4
    for command in ("run", "report"):
        help_text = runner.invoke(app, [command, "--help"]).stdout
        assert "--jobs" in help_text and "the CPU count" in help_text


def test_formats_write_only_what_they_name(tmp_path):
    """`run --formats` and `report --formats` write exactly the outputs named (issue: formats on demand)."""
    from auditor.samples import sample_snapshots_dir

    folder = tmp_path / "snaps"
    folder.mkdir()
    for name in ("fabrikam-legal.json", "woodgrove-dental.json"):
        (folder / name).write_text((sample_snapshots_dir() / name).read_text())
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", "--snapshots", str(folder), "--no-history", "--out", str(out),
                                 "--formats", "json,html", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert "results.json" in names and "portfolio.html" in names
    assert not [n for n in names if n.endswith((".pdf", ".csv", ".xlsx"))], names
    again = tmp_path / "again"
    report = runner.invoke(app, ["report", str(out / "results.json"), "--out", str(again), "--formats", "pdf",
                                 "--jobs", "1"])
    assert report.exit_code == 0, report.output
    assert {p.suffix for p in again.rglob("*") if p.is_file()} == {".pdf"}
    # results.json carries no branding: without --config the default branding is said, not silent
    assert "no --config given: the reports carry the default branding" in report.stderr
    bad = runner.invoke(app, ["run", "--snapshots", str(folder), "--out", str(tmp_path / "x"), "--formats", "docx"])
    assert bad.exit_code == 2 and "choose among" in bad.stderr


def test_formats_naming_only_reports_write_no_data_file(tmp_path):
    """`run --formats html` (or pdf) writes reports only: no results.json, .csv or .xlsx appears unasked."""
    from auditor.samples import sample_snapshots_dir

    folder = tmp_path / "snaps"
    folder.mkdir()
    (folder / "woodgrove-dental.json").write_text((sample_snapshots_dir() / "woodgrove-dental.json").read_text())
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", "--snapshots", str(folder), "--no-history", "--out", str(out),
                                 "--formats", "html", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert {p.suffix for p in out.rglob("*") if p.is_file()} == {".html"}
