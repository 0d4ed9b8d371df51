"""The issue's acceptance scenario with the real checks: two audits of the sample portfolio, one tenant's
snapshot changed in between; the diff names exactly the changed checks, and that tenant's history has a
two-point trend and a change section for its scorecard."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone

import pytest

from auditor import store
from auditor.config import load_config
from auditor.evaluate import evaluate
from auditor.registry import Registry
from auditor.results import Status
from auditor.samples import sample_config_path, sample_snapshots_dir
from auditor.snapshot import load_snapshots, snapshot_files
from tests.test_store_backends import db_url  # noqa: F401 (fixture)

# Both audits are evaluated at the same instant, so only the snapshot edit (not the clock, which moves
# e.g. expiry warnings) can change a result; the runs are told apart by when they started.
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
Q3, Q4 = datetime(2026, 8, 20, tzinfo=timezone.utc), datetime(2026, 11, 26, tzinfo=timezone.utc)


def _audit(folder, run_id: str):
    results = evaluate(load_snapshots([folder]), Registry.from_entry_points(), NOW, load_config(sample_config_path()), run_id=run_id)
    files = {load_snapshots([path])[0].tenant.id: path for path in snapshot_files([folder])}
    return results, files


def _clear_security_contacts(path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    for organization in document["sections"]["organization"]["data"]:
        organization["securityComplianceNotificationMails"] = []
        organization["technicalNotificationMails"] = []
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")


@pytest.fixture
def two_audits(db_url, tmp_path):
    q3_dir, q4_dir = tmp_path / "q3", tmp_path / "q4"
    shutil.copytree(sample_snapshots_dir(), q3_dir)
    shutil.copytree(sample_snapshots_dir(), q4_dir)
    engine = store.open_db(db_url)
    q3, q3_files = _audit(q3_dir, "2026-q3")
    store.record_run(engine, q3, started_at=Q3, snapshots=q3_files)

    # A customer whose security contact passes today loses it before the next audit.
    changed = next(
        t for t in q3.tenants
        if t.kind == "customer" and any(r.check_id == "CON-1" and r.status is Status.PASS for r in t.results)
    )
    _clear_security_contacts(next(p for p in snapshot_files([q4_dir]) if load_snapshots([p])[0].tenant.id == changed.tenant_id))
    q4, q4_files = _audit(q4_dir, "2026-q4")
    store.record_run(engine, q4, started_at=Q4, snapshots=q4_files)
    yield engine, changed.tenant_id, q3, q4
    engine.dispose()


def test_the_diff_names_exactly_the_changed_checks(two_audits):
    engine, changed, q3, q4 = two_audits
    (latest, previous) = store.latest_run_ids(engine)
    assert (previous, latest) == ("2026-q3", "2026-q4")
    result = store.diff(engine, previous, latest)
    assert len(result.tenants) == len(q4.tenants)
    for entry in result.tenants:
        if entry.tenant_id == changed:
            assert (entry.change.newly_failing, entry.change.fixed) == (["CON-1"], [])
            assert entry.change.score_change < 0
        else:
            assert (entry.change.newly_failing, entry.change.fixed, entry.change.score_change) in (
                ([], [], 0.0), ([], [], None))
    # The evidence trail: only the changed tenant's snapshot has a new hash.
    before, after = store.snapshot_refs(engine, previous), store.snapshot_refs(engine, latest)
    assert {tid for tid in after if after[tid].sha256 != before[tid].sha256} == {changed}


def test_the_changed_tenant_has_a_two_point_trend_and_a_change_section(two_audits):
    engine, changed, q3, q4 = two_audits
    history = store.tenant_history(engine, "2026-q4")
    change = history[changed]
    old_score = next(t.score for t in q3.tenants if t.tenant_id == changed)
    new_score = next(t.score for t in q4.tenants if t.tenant_id == changed)
    assert [(p.run_id, p.at, p.score) for p in change.points] == [("2026-q3", Q3, old_score), ("2026-q4", Q4, new_score)]
    assert not change.first_audit and change.previous_run_id == "2026-q3"
    assert change.newly_failing == ["CON-1"]
    assert all(len(c.points) == 2 and not c.first_audit for c in history.values())
    # The first audit says it is the first.
    assert all(c.first_audit for c in store.tenant_history(engine, "2026-q3").values())


def test_the_scorecard_view_shows_the_trend_and_the_change(two_audits):
    from auditor.report import scorecard_view

    engine, changed, _, _ = two_audits
    tenant = next(t for t in store.load_run_results(engine, "2026-q4").tenants if t.tenant_id == changed)
    view = scorecard_view(tenant, {}, store.tenant_history(engine, "2026-q4")[changed]).history
    assert not view.first_audit
    assert "<svg" in str(view.chart)
    assert [check_id for check_id, _title in view.new_failures] == ["CON-1"]
