"""`auditor history` and `auditor diff` through the real CLI, on a real SQLite history."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from auditor import store
from auditor.cli import app
from tests.test_store_backends import audit, db_url, quarter, tenant  # noqa: F401 (fixture)

CONTOSO, FABRIKAM = "c0000000-0000-4000-8000-000000000001", "f0000000-0000-4000-8000-000000000002"


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.delenv("AUDITOR_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))  # never touch the real default file
    url = f"sqlite:///{tmp_path / 'history.sqlite'}"
    engine = store.open_db(url)
    store.record_run(engine, audit("q1", [
        tenant(CONTOSO, "Contoso", {"MFA-1": "PASS", "MFA-2": "FAIL", "ADM-1": "FAIL"}),
        tenant(FABRIKAM, "Fabrikam", {"MFA-1": "PASS"}),
    ], at=quarter(0)), label="2026-Q1")
    store.record_run(engine, audit("q2", [
        tenant(CONTOSO, "Contoso", {"MFA-1": "FAIL", "MFA-2": "PASS", "ADM-1": "FAIL"}),
        tenant(FABRIKAM, "Fabrikam", {"MFA-1": "PASS"}),
    ], at=quarter(1)))
    engine.dispose()
    return url


def invoke(*args, env=None):
    result = CliRunner(env={"COLUMNS": "200", **(env or {})}).invoke(app, list(args))
    return result


def test_history_lists_runs_with_scores(db):
    result = invoke("history", "--db", db)
    assert result.exit_code == 0, result.output
    assert "q1" in result.output and "q2" in result.output and "2026-Q1" in result.output
    runs = json.loads(invoke("history", "--db", db, "--format", "json").stdout)
    assert [(r["id"], r["tenants"], r["mean_score"]) for r in runs] == [("q1", 2, 66.7), ("q2", 2, 66.7)]


def test_history_of_one_tenant(db):
    runs = json.loads(invoke("history", "--db", db, "--tenant", "contoso", "-f", "json").stdout)
    assert [(r["id"], r["tenant_score"], r["tenant_grade"]) for r in runs] == [("q1", 33.3, "F"), ("q2", 33.3, "F")]
    table = invoke("history", "--db", db, "--tenant", "Contoso")
    assert table.exit_code == 0 and "±0" in table.output


def test_the_database_comes_from_the_environment(db):
    result = invoke("history", "-f", "json", env={"AUDITOR_DB": db})
    assert [r["id"] for r in json.loads(result.stdout)] == ["q1", "q2"]


def test_diff_defaults_to_the_two_latest_runs(db):
    result = invoke("diff", "--db", db, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["run_a"]["id"], data["run_b"]["id"]) == ("q1", "q2")
    contoso = next(t for t in data["tenants"] if t["tenant_id"] == CONTOSO)
    assert (contoso["newly_failing"], contoso["fixed"], contoso["still_failing"]) == (["MFA-1"], ["MFA-2"], ["ADM-1"])
    table = invoke("diff", "q1", "q2", "--db", db)
    assert table.exit_code == 0
    assert "MFA-1" in table.output and "MFA-2" in table.output
    assert "Fabrikam" not in table.output and "1 tenant with no failing check" in table.output
    assert "Fabrikam" in invoke("diff", "q1", "q2", "--db", db, "--all").output


@pytest.mark.parametrize("args, message", [
    (["diff", "q1"], "give two runs (RUN_A RUN_B), or none"),
    (["diff", "q1", "nope"], "no run 'nope'"),
    (["history", "--tenant", "Nobody"], "'Nobody' matches no tenant in the history"),
])
def test_bad_input_is_one_error_line(db, args, message):
    result = invoke(*args, "--db", db)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]


def test_diff_needs_two_runs(tmp_path):
    url = f"sqlite:///{tmp_path / 'one.sqlite'}"
    engine = store.open_db(url)
    store.record_run(engine, audit("only", [tenant(CONTOSO, "Contoso", {"A": "PASS"})]))
    engine.dispose()
    result = invoke("diff", "--db", url)
    assert result.exit_code == 1 and result.stderr.strip() == "error: the history holds 1 run; a diff needs two"


def test_an_empty_file_is_not_turned_into_a_database_by_reading(tmp_path):
    empty = tmp_path / "placeholder.sqlite"
    empty.write_bytes(b"")
    for command in (["history"], ["diff"], ["report", "--run", "latest", "--out", str(tmp_path / "out")]):
        result = invoke(*command, "--db", str(empty))
        assert result.exit_code == 1, (command, result.output)
        assert result.stderr.strip() == f"error: no history database at {empty}: the file is empty; record a run first " \
                                        "(auditor run), or give --db"
    assert empty.stat().st_size == 0  # still empty: nothing was written


def test_a_missing_database_is_not_created_by_reading(tmp_path):
    missing = tmp_path / "none.sqlite"
    result = invoke("history", "--db", str(missing))
    assert result.exit_code == 1 and "no history database at" in result.stderr
    assert not missing.exists()


def test_a_newer_database_is_refused_clearly(db):
    from sqlalchemy import create_engine, text

    engine = create_engine(db)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO schema_version VALUES (7, CURRENT_TIMESTAMP, '9.9')"))
    engine.dispose()
    result = invoke("history", "--db", db)
    assert result.exit_code == 1
    assert "has schema version 7" in result.stderr and "upgrade the tool" in result.stderr


def test_history_and_diff_on_each_backend(db_url):  # noqa: F811 (the fixture)
    engine = store.open_db(db_url)
    store.record_run(engine, audit("a", [tenant(CONTOSO, "Contoso", {"X": "PASS"})], at=quarter(0)))
    store.record_run(engine, audit("b", [tenant(CONTOSO, "Contoso", {"X": "FAIL"})], at=quarter(1)))
    engine.dispose()
    assert [r["id"] for r in json.loads(invoke("history", "--db", db_url, "-f", "json").stdout)] == ["a", "b"]
    data = json.loads(invoke("diff", "--db", db_url, "-f", "json").stdout)
    assert data["tenants"][0]["newly_failing"] == ["X"]


def test_the_default_database_folder_is_private(tmp_path, monkeypatch):
    monkeypatch.delenv("AUDITOR_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    engine = store.open_db(store.resolve_db_url(None))
    engine.dispose()
    folder = tmp_path / "xdg" / "csp-posture-auditor"
    assert (folder / "history.sqlite").exists()
    assert folder.stat().st_mode & 0o077 == 0


def test_every_command_line_in_the_history_guide_uses_real_options():
    # docs/history.md shows run, report, history and diff in prose, sh, cron and YAML; an option
    # renamed in the CLI must not live on in the guide.
    import re
    from pathlib import Path

    import typer

    commands = typer.main.get_command(app).commands
    lines = (Path(__file__).resolve().parent.parent / "docs" / "history.md").read_text(encoding="utf-8").splitlines()
    used: list[tuple[str, str]] = []
    for number, line in enumerate(lines):
        for match in re.finditer(r"\bauditor (run|collect|report|history|diff)\b([^`#]*?)(?=`|#|\bauditor\b|$)", line):
            name, rest = match.groups()
            for continuation in lines[number + 1 :]:  # a YAML command goes on over lines starting with an option
                if not continuation.strip().startswith("--"):
                    break
                rest += " " + continuation
            used += [(name, option) for option in re.findall(r"(?<![\w-])--[a-z][a-z-]*", rest)]
    assert {name for name, _ in used} == {"run", "report", "history", "diff"}
    unknown = [(name, option) for name, option in used if option not in {o for p in commands[name].params for o in p.opts}]
    assert unknown == []
