"""Schema version 4 and managing runs, on SQLite and PostgreSQL: a run keeps its branding (logo bytes once
per logo), config hash, --as-of and creation time; a version-3 database is migrated; a run is replaced or
deleted whole, the tenants' "last seen" names follow, and logos no run uses go."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text

from auditor import store
from auditor.config import Branding
from auditor.store.tables import check_results_table, logos_table, run_parts_table, tenant_results_table, tenants_table
from tests.test_render import PNG_1X1
from tests.test_store_backends import audit, db_url, quarter, tenant  # noqa: F401 (fixture)

CONTOSO = "11111111-1111-4111-8111-111111111111"
FABRIKAM = "22222222-2222-4222-8222-222222222222"
AS_OF = datetime(2026, 9, 30, 23, 0, tzinfo=timezone.utc)
CREATED = datetime(2026, 10, 2, 8, 30, tzinfo=timezone.utc)
OTHER_PNG = PNG_1X1 + b"\x00"  # different bytes, so a different logo


@pytest.fixture
def engine(db_url):
    engine = store.open_db(db_url)
    yield engine
    engine.dispose()


def _branding(tmp_path: Path, name: str = "Litware", logo: bytes | None = PNG_1X1) -> store.RecordedBranding:
    path = None
    if logo is not None:
        path = tmp_path / f"logo-{len(logo)}.png"
        path.write_bytes(logo)
    return store.branding_record(Branding(partner_name=name, primary_color="#0b5c8e", footer_text="Confidential.",
                                          logo=path))


def _count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar()


def test_a_run_keeps_its_branding_as_of_creation_time_and_config_hash(engine, tmp_path):
    branding = _branding(tmp_path)
    store.record_run(engine, audit("q3", [tenant(CONTOSO, "Contoso", {"A": "PASS"})]), branding=branding,
                     as_of=AS_OF, created_at=CREATED, config_sha256="ab" * 32)
    store.record_run(engine, audit("q4", [tenant(CONTOSO, "Contoso", {"A": "PASS"})], at=quarter(1)), branding=branding)
    kept = store.run_branding(engine, "q3")
    assert kept == branding and kept.logo == PNG_1X1
    assert (kept.partner_name, kept.primary_color, kept.footer_text) == ("Litware", "#0b5c8e", "Confidential.")
    assert kept.logo_path == str((tmp_path / f"logo-{len(PNG_1X1)}.png").resolve())
    q3, q4 = store.list_runs(engine)
    assert (q3.as_of, q3.created_at, q3.config_sha256) == (AS_OF, CREATED, "ab" * 32)
    assert q4.as_of is None and q4.created_at is not None and q4.config_sha256 is None
    assert _count(engine, logos_table) == 1  # two runs, one logo


def test_default_branding_is_recorded_too(engine):
    store.record_run(engine, audit("q1", [tenant(CONTOSO, "Contoso", {"A": "PASS"})]), branding=store.branding_record(None))
    kept = store.run_branding(engine, "q1")
    assert kept == store.RecordedBranding(primary_color=Branding().primary_color, footer_text=Branding().footer_text)
    assert _count(engine, logos_table) == 0


def test_a_version_3_database_is_migrated_to_version_4(db_url, tmp_path):
    engine = store.open_db(db_url)
    store.record_run(engine, audit("old", [tenant(CONTOSO, "Contoso", {"A": "FAIL"})]))
    with engine.begin() as conn:  # back to the version-3 shape: without what version 4 adds
        for table, column in store.migrations._VERSION_4_COLUMNS:
            conn.execute(text(f'ALTER TABLE {table.name} DROP COLUMN "{column}"'))
        conn.execute(text("DROP TABLE logos"))
        conn.execute(text("DELETE FROM schema_version WHERE version >= 4"))
    engine.dispose()
    engine = store.open_db(db_url)
    try:
        with engine.connect() as conn:
            assert store.schema_version(conn) == store.SCHEMA_VERSION == 4
            assert {"as_of", "created_at", "branding", "logo_sha256", "config_sha256"} <= {
                c["name"] for c in inspect(conn).get_columns("runs")}
        assert store.run_branding(engine, "old") is None  # recorded before runs kept their branding
        assert store.load_run_results(engine, "old").tenants[0].results[0].status == "FAIL"
        store.record_run(engine, audit("new", [tenant(CONTOSO, "Contoso", {"A": "PASS"})], at=quarter(1)),
                         branding=_branding(tmp_path), as_of=AS_OF)
        assert store.run_branding(engine, "new").logo == PNG_1X1
        assert [(r.id, r.as_of) for r in store.list_runs(engine)] == [("old", None), ("new", AS_OF)]
    finally:
        engine.dispose()


def test_without_replace_a_recorded_run_is_refused_with_the_way_out(engine):
    store.record_run(engine, audit("q4", [tenant(CONTOSO, "Contoso", {"A": "PASS"})]), label="2026-Q4")
    with pytest.raises(store.StoreError) as refused:
        store.record_run(engine, audit("q4", [tenant(CONTOSO, "Contoso", {"A": "FAIL"})]))
    assert str(refused.value) == ("run q4 ('2026-Q4', 2026-01-15 09:00 UTC) is already recorded: give --replace to "
                                  "replace it, or another --run-label (or --run-id) to record a new audit")
    with pytest.raises(store.StoreError, match="is already recorded: give --replace"):
        store.check_can_record(engine, "q4")
    store.check_can_record(engine, "q4", replace=True)
    store.check_can_record(engine, "q4", shard="1/2")  # a shard joins (or is refused later for its N)
    store.check_can_record(engine, "q5")
    with pytest.raises(store.StoreError, match="cannot be given with --shard"):
        store.check_can_record(engine, "q5", shard="1/2", replace=True)


def test_replace_swaps_the_whole_run_in_one_transaction(engine, tmp_path):
    old = audit("q4", [tenant(CONTOSO, "Contoso", {"A": "FAIL", "B": "FAIL"}), tenant(FABRIKAM, "Fabrikam", {"A": "PASS"})])
    store.record_run(engine, old, label="first", shard="1/2", branding=_branding(tmp_path, logo=PNG_1X1))
    store.record_run(engine, audit("q4", [tenant("33333333-3333-4333-8333-333333333333", "Tailspin", {"A": "PASS"})]),
                     shard="2/2")
    new = audit("q4", [tenant(CONTOSO, "Contoso Renamed", {"A": "PASS", "B": "PASS"})], at=quarter(1))
    store.record_run(engine, new, label="second", replace=True, branding=_branding(tmp_path, logo=OTHER_PNG))
    (run,) = store.list_runs(engine)
    assert (run.id, run.label, run.shard_count, run.shards, run.tenants) == ("q4", "second", None, [""], 1)
    loaded = store.load_run_results(engine, "q4")
    assert [(t.display_name, [r.status for r in t.results]) for t in loaded.tenants] == [("Contoso Renamed", ["PASS", "PASS"])]
    # Tenants only the replaced run audited leave the history; the old logo no run uses goes.
    assert store.find_tenants(engine, "Fabrikam") == [] and store.find_tenants(engine, "Tailspin") == []
    assert store.run_branding(engine, "q4").logo == OTHER_PNG and _count(engine, logos_table) == 1
    assert _count(engine, check_results_table) == 2 and _count(engine, run_parts_table) == 1
    with pytest.raises(store.StoreError, match="cannot be given with --shard"):
        store.record_run(engine, new, shard="1/2", replace=True)


def test_replace_of_a_run_that_is_not_there_records_it(engine):
    store.record_run(engine, audit("q1", [tenant(CONTOSO, "Contoso", {"A": "PASS"})]), replace=True)
    assert [r.id for r in store.list_runs(engine)] == ["q1"]


def test_delete_takes_the_run_and_only_the_run(engine, tmp_path):
    shared = _branding(tmp_path)
    store.record_run(engine, audit("q3", [tenant(CONTOSO, "Contoso Ltd", {"A": "FAIL"}),
                                          tenant(FABRIKAM, "Fabrikam", {"A": "PASS"})], at=quarter(0)), branding=shared)
    store.record_run(engine, audit("q4", [tenant(CONTOSO, "Contoso Group", {"A": "PASS"})], at=quarter(1)),
                     branding=shared)
    store.record_run(engine, audit("q5", [tenant(CONTOSO, "Contoso Holdings", {"A": "PASS"})], at=quarter(2)),
                     branding=_branding(tmp_path, logo=OTHER_PNG))

    deleted = store.delete_run(engine, "q5")
    assert deleted.id == "q5" and [r.id for r in store.list_runs(engine)] == ["q3", "q4"]
    # Contoso's name "as last seen" goes back to its latest remaining run; q5's own logo goes, the shared one stays.
    with engine.connect() as conn:
        assert conn.execute(select(tenants_table.c.display_name).where(tenants_table.c.id == CONTOSO)).scalar() == "Contoso Group"
    assert _count(engine, logos_table) == 1 and store.run_branding(engine, "q4").logo == PNG_1X1

    store.delete_run(engine, "q3")
    assert store.find_tenants(engine, "Fabrikam") == []  # no remaining run audited it
    assert _count(engine, tenant_results_table) == 1 and _count(engine, logos_table) == 1
    assert store.tenant_history(engine, "q4")[CONTOSO].first_audit
    with pytest.raises(store.StoreError, match="no run 'q3' in the history"):
        store.delete_run(engine, "q3")
    store.delete_run(engine, "q4")
    assert store.list_runs(engine) == [] and _count(engine, logos_table) == 0 and _count(engine, tenants_table) == 0


def test_history_tenant_references_follow_the_config_rule(engine):
    # By id (any case), display name (without case), default domain, verified domain; a former name still
    # finds the tenant when no current one matches.
    contoso = tenant(CONTOSO, "Contoso Ltd", {"A": "PASS"})
    contoso.domains = ["contoso.com", "contoso.onmicrosoft.com"]
    store.record_run(engine, audit("q3", [contoso], at=quarter(0)))
    renamed = tenant(CONTOSO, "Contoso Group", {"A": "FAIL"})
    renamed.domains = ["contosogroup.com"]
    store.record_run(engine, audit("q4", [renamed, tenant(FABRIKAM, "Fabrikam", {"A": "PASS"})], at=quarter(1)))
    for reference in (CONTOSO.upper(), "contoso group", " CONTOSOGROUP.COM ", "contosogroup.onmicrosoft.com",
                      "Contoso Ltd", "contoso.com"):
        assert [r.id for r in store.list_runs(engine, tenant=reference)] == ["q3", "q4"], reference
    with pytest.raises(store.StoreError, match=r"'Contoso Grup' matches no tenant in the history by id, domain or "
                                               r"name \(did you mean Contoso Group"):
        store.list_runs(engine, tenant="Contoso Grup")


def test_a_run_is_found_by_id_label_or_prefix(engine):
    store.record_run(engine, audit(store.run_id_from_label("2026-Q4"), [tenant(CONTOSO, "Contoso", {"A": "PASS"})]),
                     label="2026-Q4")
    store.record_run(engine, audit("adhoc-1", [tenant(CONTOSO, "Contoso", {"A": "PASS"})], at=quarter(1)), label="again")
    store.record_run(engine, audit("adhoc-2", [tenant(CONTOSO, "Contoso", {"A": "PASS"})], at=quarter(2)), label="again")
    assert store.get_run(engine, "2026-Q4").id == store.run_id_from_label("2026-Q4")  # the label, any backend
    assert store.get_run(engine, "adhoc-2").label == "again"
    with pytest.raises(store.StoreError, match=r"the label 'again' names 2 runs \(adhoc-1, adhoc-2\); give the run id"):
        store.get_run(engine, "again")
    with pytest.raises(store.StoreError, match="'adhoc' matches 2 runs"):
        store.get_run(engine, "adhoc")


def test_framework_controls_of_check_results_are_kept(engine):
    from auditor.results import FrameworkRef

    mapped = tenant(CONTOSO, "Contoso", {"MFA-1": "PASS", "ADM-1": "FAIL"})
    mapped.results[0].frameworks = [FrameworkRef(framework="CIS M365", version="6.0.0", control="5.2.2.2",
                                                 title="Ensure multifactor authentication is enabled for all users")]
    store.record_run(engine, audit("q4", [mapped]))
    loaded = store.load_run_results(engine, "q4").tenants[0]
    assert [r.frameworks for r in loaded.results] == [mapped.results[0].frameworks, []]
    with engine.begin() as conn:  # a result recorded before schema version 4 has none
        conn.execute(text("UPDATE check_results SET frameworks = NULL"))
    assert [r.frameworks for r in store.load_run_results(engine, "q4").tenants[0].results] == [[], []]
