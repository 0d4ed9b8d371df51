"""The history never loses a run to one tenant (issue 11, kind 5), on both backends: hostile tenant text is
stored as PostgreSQL accepts it, an old (version 1) database is migrated to text columns, a read-only
history can still be read, and `run` refuses an unwritable --out before it records anything."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from auditor import store
from auditor.cli import app
from tests.test_store_backends import audit, db_url, tenant  # noqa: F401  (db_url is a fixture)

ROOT = Path(__file__).resolve().parents[1]
LONG = "Contoso " + "x" * 492  # 500 characters: version 1 had 400
HOSTILE_NAMES = {
    "long-name": LONG,
    "nul-name": "Fabri\x00kam",
    "surrogate": "Tail\ud800spin",
    "x" * 300: "A tenant whose id is not a GUID",
}


def hostile_run(run_id: str = "hostile-1"):
    tenants = [tenant(tid, name, {"MFA-1": "FAIL", "MFA-2": "PASS"}) for tid, name in HOSTILE_NAMES.items()]
    tenants[1].results[0].evidence = [{"userPrincipalName": "ann\x00@fabrikam.com", "note\x00": "a\x00b"}]
    tenants[1].results[0].summary = "1 user \x00 without MFA"
    tenants[1].default_domain = "fabri\x00kam.example"
    valid = tenant("00000000-0000-4000-8000-000000000001", "Valid Tenant", {"MFA-1": "PASS"})
    return audit(run_id, [*tenants, valid])


def test_hostile_tenant_text_is_recorded_for_every_tenant(db_url):
    engine = store.open_db(db_url)
    try:
        store.record_run(engine, hostile_run())
        loaded = {t.tenant_id: t for t in store.load_run_results(engine, "hostile-1").tenants}
        assert len(loaded) == 5
        assert loaded["long-name"].display_name == LONG
        assert loaded["nul-name"].display_name == "Fabrikam"
        assert loaded["nul-name"].default_domain == "fabrikam.example"
        assert loaded["nul-name"].results[0].evidence == [{"userPrincipalName": "ann@fabrikam.com", "note": "ab"}]
        assert loaded["nul-name"].results[0].summary == "1 user  without MFA"
        assert loaded["surrogate"].display_name == "Tail\ufffdspin"
        assert loaded["x" * 300].display_name == "A tenant whose id is not a GUID"
        # And it is found again by its (long) name.
        assert [run.id for run in store.list_runs(engine, tenant=LONG)] == ["hostile-1"]
    finally:
        engine.dispose()


def test_a_version_1_database_is_migrated_to_text_columns(db_url):
    engine = store.create_db_engine(db_url)
    try:
        assert store.ensure_schema(engine, store.MIGRATIONS[:1]) == 1
        if engine.dialect.name == "postgresql":
            # What version 1 did: the 500-character name failed the whole run.
            with pytest.raises(store.StoreError):
                store.record_run(engine, hostile_run("before-migration"))
        assert store.ensure_schema(engine) == store.SCHEMA_VERSION == 4
        store.record_run(engine, hostile_run())
        assert len(store.load_run_results(engine, "hostile-1").tenants) == 5
    finally:
        engine.dispose()


# --- a read-only history --------------------------------------------------------------------------------


def _read_only_command(folder: Path, command: list[str]) -> list[str]:
    """``command`` run with ``folder`` read-only: a read-only bind mount in a private mount namespace when
    root (root ignores file modes), file modes otherwise."""
    if os.geteuid() == 0:
        if shutil.which("unshare") is None or subprocess.run(["unshare", "-m", "true"]).returncode != 0:
            pytest.skip("root without mount namespaces cannot make a read-only folder")
        return ["unshare", "-m", "sh", "-c", 'mount --bind -o ro "$0" "$0" && exec "$@"', str(folder), *command]
    for path in folder.iterdir():
        path.chmod(0o444)
    folder.chmod(0o555)
    return command


def _files(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


@pytest.fixture
def read_only_history(tmp_path):
    folder = tmp_path / "archive"
    folder.mkdir()
    path = folder / "history.sqlite"
    engine = store.open_db(str(path))
    store.record_run(engine, audit("q3", [tenant("t-1", "Contoso", {"MFA-1": "FAIL"})]), started_at=datetime(2025, 1, 1, tzinfo=timezone.utc))
    store.record_run(engine, audit("q4", [tenant("t-1", "Contoso", {"MFA-1": "PASS"})]))
    engine.dispose()
    yield folder, path
    folder.chmod(0o755)
    for p in folder.iterdir():
        p.chmod(0o644)


@pytest.mark.parametrize("args", [["history"], ["diff", "q3", "q4"], ["report", "--run", "q4", "--out", "{out}"]])
def test_a_read_only_history_can_be_read(read_only_history, tmp_path, args):
    folder, path = read_only_history
    before = _files(folder)
    args = [a.replace("{out}", str(tmp_path / "reports")) for a in args]
    command = _read_only_command(folder, [sys.executable, "-m", "auditor.cli", *args, "--db", str(path)])
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT,
                          env={k: v for k, v in os.environ.items() if k != "AUDITOR_DB"})
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    if args[0] == "history":
        assert "q3" in done.stdout and "q4" in done.stdout
    elif args[0] == "diff":
        assert "MFA-1" in done.stdout
    else:
        assert (tmp_path / "reports" / "contoso" / "scorecard.pdf").is_file()
    os.sync()
    assert _files(folder) == before  # nothing written: no WAL, no shared-memory file, the same bytes


def test_run_refuses_an_unwritable_out_before_recording(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    db = tmp_path / "history.sqlite"
    result = CliRunner().invoke(app, ["run", "--sample", "--out", str(blocker / "out"), "--db", str(db),
                                      "--run-label", "2026-Q4"])
    assert result.exit_code == 1
    assert "cannot write there" in result.output and str(blocker) in result.output
    assert "Traceback" not in result.output
    engine = store.open_db(str(db))
    try:
        assert store.list_runs(engine) == []  # nothing recorded: a rerun with the same label is not refused
    finally:
        engine.dispose()


# --- a history changed outside the tool -------------------------------------------------------------------


@pytest.mark.parametrize("args, tamper", [
    *[(args, tamper) for args in (["diff", "q3", "q4"], ["report", "--run", "q4", "--out", "{out}"]) for tamper in (
        "UPDATE check_results SET status = 'BOGUS'",
        "UPDATE check_results SET evidence = 'not json {'",
        "UPDATE tenant_results SET areas = '[1, 2]'",
        "DROP TABLE check_results",
    )],
    (["history"], "DROP TABLE run_parts"),
    (["history", "--tenant", "Contoso"], "DROP TABLE tenants"),
])
def test_a_tampered_history_is_one_error_line(read_only_history, tmp_path, args, tamper):
    import sqlite3

    folder, path = read_only_history
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute(tamper)
    args = [a.replace("{out}", str(tmp_path / "reports")) for a in args]
    result = CliRunner().invoke(app, [*args, "--db", str(path)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_collect_refuses_an_unwritable_out_before_collecting(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    config = tmp_path / "tenants.toml"
    # Nothing is contacted: the check comes before the first request (the endpoints would refuse anyway).
    config.write_text('[[tenants]]\nid = "52eaad04-13a2-4a2f-9ce8-93a294fadf36"\n[auth]\nmethod = "static_token"\n'
                      '[endpoints]\ngraph = "http://127.0.0.1:9"\narm = "http://127.0.0.1:9"\n'
                      'authority = "http://127.0.0.1:9"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["collect", "--config", str(config), "--out", str(blocker / "snapshots")])
    assert result.exit_code == 1 and "cannot write there" in result.stderr and "Traceback" not in result.output
