"""The history store against real databases: SQLite always, PostgreSQL when CI provides one."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from sqlalchemy import text

from auditor import store
from auditor.results import Acceptance, Status
from auditor.store import SchemaTooNew, StoreError
from tests.test_store_backends import audit, check, db_url, quarter, tenant  # noqa: F401 (fixture)

CONTOSO = "11111111-1111-4111-8111-111111111111"
FABRIKAM = "22222222-2222-4222-8222-222222222222"
PARTNER = "33333333-3333-4333-8333-333333333333"


@pytest.fixture
def engine(db_url):
    engine = store.open_db(db_url)
    yield engine
    engine.dispose()


def test_a_run_reads_back_as_it_was_written(engine, tmp_path):
    accepted = check("ADM-2", "ACCEPTED", severity="critical", area="admins",
                     acceptance=Acceptance(reason="Vendor account", owner="CISO", expires=date(2027, 3, 31)))
    contoso = tenant(CONTOSO, "Contoso", {"MFA-1": "PASS", "MFA-2": "FAIL", "CON-1": "UNKNOWN"}, tags=["retail"])
    contoso.results.append(accepted)
    contoso.results[1].evidence = [{"userPrincipalName": "ann@contoso.com", "roles": ["Global Administrator"], "n": 3}]
    partner = tenant(PARTNER, "Partner Co", {"PAR-1": "PASS"}, kind="partner")
    written = audit("q1", [partner, contoso])
    snapshot = tmp_path / "contoso.json"
    snapshot.write_text('{"tenant": "contoso"}')

    assert store.record_run(engine, written, snapshots={CONTOSO: snapshot}) == "q1"

    loaded = store.load_run_results(engine, "q1")
    assert loaded.model_dump() == written.model_dump()
    refs = store.snapshot_refs(engine, "q1")
    assert refs[CONTOSO].path == str(snapshot.resolve())
    assert refs[CONTOSO].sha256 == hashlib.sha256(snapshot.read_bytes()).hexdigest()
    assert PARTNER not in refs


def test_runs_are_listed_oldest_first_with_scores(engine):
    store.record_run(engine, audit("q2", [tenant(CONTOSO, "Contoso", {"A": "PASS", "B": "FAIL"})], at=quarter(1)))
    store.record_run(engine, audit("q1", [tenant(CONTOSO, "Contoso", {"A": "FAIL", "B": "FAIL"}),
                                          tenant(FABRIKAM, "Fabrikam", {"A": "PASS"})], at=quarter(0)))
    runs = store.list_runs(engine)
    assert [r.id for r in runs] == ["q1", "q2"]
    assert (runs[0].tenants, runs[0].mean_score, runs[0].lowest_score) == (2, 50.0, 0.0)
    assert (runs[1].tenants, runs[1].mean_score) == (1, 50.0)
    assert [r.id for r in store.list_runs(engine, limit=1)] == ["q2"]
    assert store.latest_run_ids(engine) == ["q2", "q1"]

    fabrikam = store.list_runs(engine, tenant="fabrikam")  # by display name, without case
    assert [(r.id, r.tenant_score, r.tenant_grade) for r in fabrikam] == [("q1", 100.0, "A")]
    assert [r.id for r in store.list_runs(engine, tenant="contoso.onmicrosoft.com")] == ["q1", "q2"]
    with pytest.raises(StoreError, match="'nobody' matches no tenant in the history by id, domain or name"):
        store.list_runs(engine, tenant="nobody")


def test_a_run_is_found_by_a_unique_prefix(engine):
    store.record_run(engine, audit("2026-q1-aaaa", [tenant(CONTOSO, "Contoso", {"A": "PASS"})], at=quarter(0)))
    store.record_run(engine, audit("2026-q1-abbb", [tenant(CONTOSO, "Contoso", {"A": "PASS"})], at=quarter(1)))
    assert store.get_run(engine, "2026-q1-ab").id == "2026-q1-abbb"
    with pytest.raises(StoreError, match="matches 2 runs"):
        store.get_run(engine, "2026-q1-a")
    with pytest.raises(StoreError, match="no run 'zzz'"):
        store.get_run(engine, "zzz")
    with pytest.raises(StoreError, match="no run"):
        store.get_run(engine, "2026_q1%")  # LIKE wildcards are matched literally


def test_the_first_audit_says_so_and_the_second_shows_the_change(engine):
    store.record_run(engine, audit("q1", [tenant(CONTOSO, "Contoso", {"A": "PASS", "B": "FAIL", "C": "FAIL"})], at=quarter(0)))
    first = store.tenant_history(engine, "q1")[CONTOSO]
    assert first.first_audit
    assert [p.run_id for p in first.points] == ["q1"]

    store.record_run(engine, audit("q2", [tenant(CONTOSO, "Contoso", {"A": "FAIL", "B": "PASS", "C": "FAIL"})], at=quarter(1)))
    change = store.tenant_history(engine, "q2")[CONTOSO]
    assert not change.first_audit
    assert change.previous_run_id == "q1" and change.previous_at == quarter(0)
    assert (change.newly_failing, change.fixed, change.still_failing) == (["A"], ["B"], ["C"])
    assert change.score_change == 0.0
    assert [(p.run_id, p.score) for p in change.points] == [("q1", 33.3), ("q2", 33.3)]
    # Asking about the older run does not see the newer one.
    assert store.tenant_history(engine, "q1")[CONTOSO].first_audit


def test_history_compares_with_the_last_run_that_audited_the_tenant(engine):
    store.record_run(engine, audit("q1", [tenant(CONTOSO, "Contoso", {"A": "FAIL"}), tenant(FABRIKAM, "Fabrikam", {"A": "FAIL"})], at=quarter(0)))
    store.record_run(engine, audit("q2-retail", [tenant(FABRIKAM, "Fabrikam", {"A": "PASS"})], at=quarter(1)))
    store.record_run(engine, audit("q3", [tenant(CONTOSO, "Contoso", {"A": "PASS"}), tenant(FABRIKAM, "Fabrikam", {"A": "PASS"})], at=quarter(2)))
    changes = store.tenant_history(engine, "q3")
    assert changes[CONTOSO].previous_run_id == "q1"
    assert changes[CONTOSO].fixed == ["A"]
    assert [p.run_id for p in changes[CONTOSO].points] == ["q1", "q3"]
    assert changes[FABRIKAM].previous_run_id == "q2-retail"
    assert changes[FABRIKAM].fixed == [] and changes[FABRIKAM].score_change == 0.0
    assert [p.run_id for p in changes[FABRIKAM].points] == ["q1", "q2-retail", "q3"]


def test_diff_lists_newly_failing_fixed_still_failing_and_score_change(engine):
    store.record_run(engine, audit("q1", [
        tenant(CONTOSO, "Contoso", {"A": "PASS", "B": "FAIL", "C": "FAIL", "D": "FAIL"}),
        tenant(FABRIKAM, "Fabrikam", {"A": "PASS"}),
    ], at=quarter(0)))
    store.record_run(engine, audit("q2", [
        tenant(CONTOSO, "Contoso", {"A": "FAIL", "B": "PASS", "C": "FAIL", "D": "UNKNOWN"}),
        tenant(PARTNER, "Partner", {"A": "PASS"}, kind="partner"),
    ], at=quarter(1)))
    result = store.diff(engine, "q1", "q2")
    by_id = {e.tenant_id: e for e in result.tenants}
    contoso = by_id[CONTOSO].change
    # FAIL → UNKNOWN (D) is neither fixed nor failing: we cannot tell.
    assert (contoso.newly_failing, contoso.fixed, contoso.still_failing) == (["A"], ["B"], ["C"])
    assert contoso.score_change == round(100 / 3 - 25.0, 1)
    assert by_id[CONTOSO].changed
    assert not by_id[FABRIKAM].in_b and by_id[FABRIKAM].in_a
    assert by_id[PARTNER].change.first_audit and not by_id[PARTNER].in_a
    only = store.diff(engine, "q1", "q2", tenant=CONTOSO)
    assert [e.tenant_id for e in only.tenants] == [CONTOSO]


def test_shards_of_one_run_merge(engine):
    q = quarter(1)
    store.record_run(engine, audit("nightly", [tenant(CONTOSO, "Contoso", {"A": "PASS"})], at=q), shard="1/3", label="Nightly")
    store.record_run(engine, audit("nightly", [tenant(FABRIKAM, "Fabrikam", {"A": "FAIL"})], at=q), shard="3/3")
    merged = store.load_run_results(engine, "nightly")
    assert sorted(t.tenant_id for t in merged.tenants) == [CONTOSO, FABRIKAM]
    (run,) = store.list_runs(engine)
    assert run.shards == ["1/3", "3/3"] and run.missing_shards == ["2/3"]
    assert run.tenants == 2 and run.label == "Nightly"

    # A re-run of shard 3 replaces what shard 3 wrote, nothing else.
    store.record_run(engine, audit("nightly", [tenant(FABRIKAM, "Fabrikam", {"A": "PASS"}),
                                               tenant(PARTNER, "Partner", {"A": "PASS"})], at=q), shard="3/3")
    merged = store.load_run_results(engine, "nightly")
    assert sorted(t.tenant_id for t in merged.tenants) == [CONTOSO, FABRIKAM, PARTNER]
    assert next(t for t in merged.tenants if t.tenant_id == FABRIKAM).results[0].status is Status.PASS
    assert store.list_runs(engine)[0].shards == ["1/3", "3/3"]


def test_a_run_id_is_not_silently_reused(engine):
    store.record_run(engine, audit("q1", [tenant(CONTOSO, "Contoso", {"A": "PASS"})]))
    with pytest.raises(StoreError, match="already recorded"):
        store.record_run(engine, audit("q1", [tenant(FABRIKAM, "Fabrikam", {"A": "PASS"})]))
    store.record_run(engine, audit("s", [tenant(CONTOSO, "Contoso", {"A": "PASS"})]), shard="1/2")
    with pytest.raises(StoreError, match="2 shards"):
        store.record_run(engine, audit("s", [tenant(FABRIKAM, "Fabrikam", {"A": "PASS"})]), shard="2/3")
    with pytest.raises(StoreError, match="rule set"):
        store.record_run(engine, audit("s", [tenant(FABRIKAM, "Fabrikam", {"A": "PASS"})], ruleset="2027.1"), shard="2/2")
    # The refused writes left nothing behind.
    assert [t.tenant_id for t in store.load_run_results(engine, "q1").tenants] == [CONTOSO]
    assert [t.tenant_id for t in store.load_run_results(engine, "s").tenants] == [CONTOSO]


def test_a_tenant_in_two_shards_is_refused(engine):
    store.record_run(engine, audit("s", [tenant(CONTOSO, "Contoso", {"A": "PASS"})]), shard="1/2")
    with pytest.raises(StoreError, match="already recorded by another shard"):
        store.record_run(engine, audit("s", [tenant(CONTOSO, "Contoso", {"A": "FAIL"})]), shard="2/2")
    assert store.list_runs(engine)[0].shards == ["1/2"]


def test_a_new_database_gets_the_current_schema_and_reopening_is_harmless(db_url):
    engine = store.open_db(db_url)
    store.record_run(engine, audit("q1", [tenant(CONTOSO, "Contoso", {"A": "PASS"})]))
    engine.dispose()
    engine = store.open_db(db_url)
    with engine.connect() as conn:
        assert store.schema_version(conn) == store.SCHEMA_VERSION
        versions = conn.execute(text("SELECT version FROM schema_version ORDER BY version")).scalars().all()
    assert versions == list(range(1, store.SCHEMA_VERSION + 1))
    assert [r.id for r in store.list_runs(engine)] == ["q1"]
    engine.dispose()


def test_an_older_database_is_migrated_in_order(db_url):
    engine = store.create_db_engine(db_url)
    store.ensure_schema(engine)
    applied: list[int] = []

    def add_notes_column(conn):
        applied.append(2)
        conn.execute(text("ALTER TABLE runs ADD COLUMN notes TEXT"))

    assert store.ensure_schema(engine, [*store.MIGRATIONS, add_notes_column]) == store.SCHEMA_VERSION + 1
    assert store.ensure_schema(engine, [*store.MIGRATIONS, add_notes_column]) == store.SCHEMA_VERSION + 1
    assert applied == [2]  # applied once, not again on the next open
    with engine.connect() as conn:
        conn.execute(text("SELECT notes FROM runs"))
    engine.dispose()


def test_a_database_from_a_newer_tool_is_refused(db_url):
    engine = store.open_db(db_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO schema_version (version, applied_at, tool_version) VALUES (99, CURRENT_TIMESTAMP, '9.0')"))
    engine.dispose()
    with pytest.raises(SchemaTooNew, match=rf"schema version 99.*knows versions up to {store.SCHEMA_VERSION}; upgrade the tool"):
        store.open_db(db_url)


def test_a_failing_migration_leaves_the_database_as_it_was(db_url):
    engine = store.create_db_engine(db_url)

    def broken(conn):
        raise RuntimeError("migration bug")

    with pytest.raises(RuntimeError):
        store.ensure_schema(engine, [*store.MIGRATIONS, broken])
    with engine.connect() as conn:
        # DDL is transactional in both backends: version 1 was rolled back with the broken step.
        assert store.schema_version(conn) == 0
    engine.dispose()


def test_read_only_commands_do_not_create_a_sqlite_file(tmp_path):
    missing = tmp_path / "nowhere" / "history.sqlite"
    with pytest.raises(StoreError, match="no history database at"):
        store.open_db(f"sqlite:///{missing}", create=False)
    assert not missing.exists()


def test_an_unreachable_server_is_one_line_without_the_password():
    with pytest.raises(StoreError) as raised:
        store.open_db("postgresql://auditor:s3cret@127.0.0.1:1/history?connect_timeout=2")
    message = str(raised.value)
    assert "s3cret" not in message and "\n" not in message
    assert message.startswith("cannot open the history database postgresql://auditor:***@127.0.0.1:1/history")


# --- where the database is ---------------------------------------------------------------------------


def test_db_url_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("AUDITOR_DB", raising=False)
    assert store.resolve_db_url(None) == f"sqlite:///{tmp_path / 'xdg' / 'csp-posture-auditor' / 'history.sqlite'}"
    assert store.resolve_db_url(None, "sqlite:////srv/cfg.sqlite") == "sqlite:////srv/cfg.sqlite"
    monkeypatch.setenv("AUDITOR_DB", "postgresql://u@db.example/audit")
    assert store.resolve_db_url(None, "sqlite:////srv/cfg.sqlite") == "postgresql+psycopg://u@db.example/audit"
    assert store.resolve_db_url("sqlite:////srv/cli.sqlite") == "sqlite:////srv/cli.sqlite"


def test_default_location_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", "")  # empty counts as unset
    assert store.default_db_path() == tmp_path / ".local" / "share" / "csp-posture-auditor" / "history.sqlite"


def test_db_url_forms(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert store.normalize_db_url("audits/history.sqlite") == f"sqlite:///{tmp_path / 'audits' / 'history.sqlite'}"
    assert store.normalize_db_url("postgres://u:p@h:5433/d") == "postgresql+psycopg://u:p@h:5433/d"
    assert store.normalize_db_url("postgresql+psycopg://u@h/d") == "postgresql+psycopg://u@h/d"
    with pytest.raises(StoreError, match="unsupported database 'mysql'"):
        store.normalize_db_url("mysql://u@h/d")
    with pytest.raises(StoreError, match="empty"):
        store.normalize_db_url("  ")
    assert store.redact("postgresql+psycopg://u:secret@h/d") == "postgresql+psycopg://u:***@h/d"


def test_run_ids_from_labels_are_stable_and_distinct():
    assert store.run_id_from_label("2026 Q4") == store.run_id_from_label("2026 Q4")
    assert store.run_id_from_label("2026 Q4").startswith("2026-q4-")
    assert store.run_id_from_label("2026 Q4") != store.run_id_from_label("2026-q4")
    assert store.validate_run_id(store.run_id_from_label("ü" * 80))
    assert store.resolve_run_id(None, "nightly 2026-11-26") == (store.run_id_from_label("nightly 2026-11-26"), "nightly 2026-11-26")
    assert store.resolve_run_id("job-42", "Q4") == ("job-42", "Q4")
    random_id, label = store.resolve_run_id(None, None)
    assert label is None and store.validate_run_id(random_id)
    with pytest.raises(StoreError, match="run id 'a b'"):
        store.resolve_run_id("a b", None)


def test_reading_does_not_wait_for_a_writer(tmp_path, monkeypatch):
    # `auditor history` or `report --run` while a run is being recorded: WAL readers need no lock, and
    # opening a database already at the current schema must not queue for the write lock either.
    import sqlite3

    url = f"sqlite:///{tmp_path / 'history.sqlite'}"
    engine = store.open_db(url)
    store.record_run(engine, audit("q1", [tenant(CONTOSO, "Contoso", {"A": "PASS"})]))
    engine.dispose()
    writer = sqlite3.connect(tmp_path / "history.sqlite", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    monkeypatch.setattr(store.engine, "SQLITE_BUSY_TIMEOUT_S", 1)
    try:
        engine = store.open_db(url, create=False)
        assert [r.id for r in store.list_runs(engine)] == ["q1"]
        engine.dispose()
    finally:
        writer.rollback()
        writer.close()


def test_a_label_too_long_for_the_schema_is_refused_on_every_backend(engine):
    # PostgreSQL enforces the column's 200 characters (a traceback before), SQLite does not: one rule for both.
    with pytest.raises(StoreError, match="--run-label is longer than 200"):
        store.resolve_run_id(None, "L" * 201)
    with pytest.raises(StoreError, match="--run-label is longer than 200"):
        store.record_run(engine, audit("q1", [tenant(CONTOSO, "Contoso", {"A": "PASS"})]), label="L" * 201)
    assert store.list_runs(engine) == []
    store.record_run(engine, audit("q1", [tenant(CONTOSO, "Contoso", {"A": "PASS"})]), label="L" * 200)
    assert store.list_runs(engine)[0].label == "L" * 200


def test_a_database_driver_that_is_not_installed_is_one_line():
    with pytest.raises(StoreError, match="cannot open the history database postgresql\\+nosuchdriver://u:\\*\\*\\*@h/d"):
        store.open_db("postgresql+nosuchdriver://u:secret@h/d")
