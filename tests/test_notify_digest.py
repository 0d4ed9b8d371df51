"""The digest of a run from a real SQLite history: what changed since each tenant's previous audit, the
channel filters, and the renderings (text, HTML, Adaptive Card against its schema, JSON)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from importlib import resources

import pytest
from jsonschema import Draft6Validator

from auditor import store
from auditor.notify import formats
from auditor.notify.digest import Digest, for_channel, grade_dropped, new_partner_alerts
from auditor.notify.gather import build_digest, digest_of_recorded_run
from auditor.results import Acceptance, Attestation, Severity
from auditor.scoring import score_tenant
from tests.test_store_backends import audit, check, quarter, tenant

CONTOSO, FABRIKAM, PARTNER = ("c0000000-0000-4000-8000-000000000001", "f0000000-0000-4000-8000-000000000002",
                              "p0000000-0000-4000-8000-000000000003")


def rescore(result):
    score = score_tenant(result.results)
    return result.model_copy(update={"score": score.score, "grade": score.grade, "coverage": score.coverage,
                                     "areas": score.areas})


def with_checks(result, *checks):
    return rescore(result.model_copy(update={"results": list(checks)}))


def alert_row(alert_id: str, name: str, state: str = "overdue", severity: str = "high") -> dict:
    return {"alert": name, "alert_id": alert_id, "type": "cryptoMining", "severity": severity,
            "customer_tenant_id": CONTOSO, "subscription_id": "sub-1", "raised": "2026-04-10T08:00:00+00:00",
            "hours_open": 30.0, "state": state}


def partner(alerts: list[dict]):
    base = tenant(PARTNER, "Northwind Partners", {}, kind="partner")
    status = "FAIL" if any(a["state"] == "overdue" for a in alerts) else "PASS"
    return with_checks(base, check("CON-3", status, severity="critical", area="contacts", evidence=alerts),
                       check("PAR-1", "PASS", severity="high", area="partner"))


@pytest.fixture
def engine(tmp_path):
    engine = store.open_db(f"sqlite:///{tmp_path / 'history.sqlite'}")
    yield engine
    engine.dispose()


def record(engine, run_id, tenants, n):
    results = audit(run_id, tenants, at=quarter(n))
    store.record_run(engine, results, label=f"2026-Q{n + 1}")
    return results


def two_runs(engine, second_contoso=None, second_partner=None):
    first = [
        tenant(CONTOSO, "Contoso", {"MFA-1": "PASS", "MFA-2": "PASS", "ADM-1": "FAIL", "CON-1": "PASS"}),
        tenant(FABRIKAM, "Fabrikam", {"MFA-1": "PASS"}, tags=["tier:gold"]),
        partner([alert_row("a-1", "Crypto mining")]),
    ]
    record(engine, "q1", first, 0)
    second = [
        second_contoso or tenant(CONTOSO, "Contoso", {"MFA-1": "FAIL", "MFA-2": "PASS", "ADM-1": "FAIL", "CON-1": "FAIL"}),
        tenant(FABRIKAM, "Fabrikam", {"MFA-1": "PASS"}, tags=["tier:gold"]),
        second_partner or partner([alert_row("a-1", "Crypto mining"), alert_row("a-2", "Usage anomaly")]),
    ]
    return record(engine, "q2", second, 1)


def test_grades_dropped_and_newly_failing_come_from_the_history(engine):
    results = two_runs(engine)
    digest = build_digest(engine, results, label="2026-Q2")
    contoso = next(t for t in digest.tenants if t.tenant_id == CONTOSO)
    assert [ref.check_id for ref in contoso.newly_failing] == ["CON-1", "MFA-1"]  # both high: by id
    assert contoso.previous_run_id == "q1"
    assert contoso.grade_before != contoso.grade_now and contoso.grade_dropped
    # the same comparison `auditor diff` makes
    entry = next(e for e in store.diff(engine, "q1", "q2").tenants if e.tenant_id == CONTOSO)
    assert [ref.check_id for ref in contoso.newly_failing] == entry.change.newly_failing
    assert contoso.score_change == entry.change.score_change
    fabrikam = next(t for t in digest.tenants if t.tenant_id == FABRIKAM)
    assert not fabrikam.has_news


def test_newly_failing_lists_critical_and_high_first(engine):
    contoso = with_checks(tenant(CONTOSO, "Contoso", {}),
                          check("MFA-1", "PASS"), check("MFA-2", "FAIL", severity="low"),
                          check("ADM-1", "FAIL"), check("PAR-1", "FAIL", severity="critical"),
                          check("CON-1", "FAIL", severity="medium"))
    results = two_runs(engine, second_contoso=contoso)
    text = formats.to_text(build_digest(engine, results))
    block = text[text.index("Newly failing"):]
    assert block.index("PAR-1") < block.index("CON-1") < block.index("MFA-2")
    assert "[critical] Contoso: PAR-1" in block and "ADM-1" not in block  # ADM-1 was failing already


def test_only_new_partner_alerts_are_news_and_test_alerts_never(engine):
    second = partner([alert_row("a-1", "Crypto mining"), alert_row("a-2", "Usage anomaly"),
                      alert_row("a-3", "Drill", state="test alert (ignored)")])
    results = two_runs(engine, second_partner=second)
    news = next(t for t in build_digest(engine, results).tenants if t.tenant_id == PARTNER)
    assert [alert.alert_id for alert in news.new_alerts] == ["a-2"]
    # with no previous audit every active alert is new
    assert [a.alert_id for a in new_partner_alerts(second, None)] == ["a-1", "a-2"]


def test_nothing_changed_is_no_news(engine):
    same = [tenant(CONTOSO, "Contoso", {"MFA-1": "PASS", "ADM-1": "FAIL"}), partner([alert_row("a-1", "Crypto")])]
    record(engine, "q1", same, 0)
    results = record(engine, "q2", same, 1)
    digest = build_digest(engine, results)
    assert not digest.has_news and digest.news == []
    assert formats.title(digest).endswith("no change since the previous audit")


def test_first_audit_reports_no_change_but_unreadable_tenants(engine):
    results = record(engine, "q1", [tenant(CONTOSO, "Contoso", {"MFA-1": "FAIL"})], 0)
    digest = build_digest(engine, results, unreadable={CONTOSO: "authentication failed (AADSTS7000215)"})
    (contoso,) = digest.tenants
    assert contoso.previous_run_id is None and contoso.newly_failing == () and not contoso.grade_dropped
    assert contoso.has_news and "authentication failed" in formats.to_text(digest)


def test_expiring_acceptances_and_attestations_within_the_window(engine):
    today = quarter(1).date()
    accepted = check("CST-2", "ACCEPTED", severity="medium", area="cost",
                     acceptance=Acceptance(reason="FinOps tool", owner="cfo@contoso.example", expires=today + timedelta(days=10)))
    later = check("CST-1", "ACCEPTED", severity="high", area="cost",
                  acceptance=Acceptance(reason="r", owner="o", expires=today + timedelta(days=45)))
    expired = check("DEF-1", "FAIL", severity="high", area="defender",
                    acceptance=Acceptance(reason="r", owner="o", expires=today - timedelta(days=1), expired=True))
    attested = check("ADM-6", "PASS", severity="medium", area="admins",
                     attestation=Attestation(reviewer="Priya", reviewed=today - timedelta(days=80),
                                             valid_until=today + timedelta(days=9)))
    contoso = with_checks(tenant(CONTOSO, "Contoso", {}), check("MFA-1", "PASS"), check("ADM-1", "FAIL"),
                          check("CON-1", "PASS"), check("MFA-2", "PASS"), accepted, later, expired, attested)
    results = two_runs(engine, second_contoso=contoso)
    digest = build_digest(engine, results)
    news = next(t for t in digest.tenants if t.tenant_id == CONTOSO)
    assert [(e.check.check_id, e.kind, e.days_left) for e in news.expiring] == [
        ("ADM-6", "attestation", 9), ("CST-2", "risk acceptance", 10), ("CST-1", "risk acceptance", 45)]
    narrowed = for_channel(digest)  # 30 days by default
    assert [e.check.check_id for e in next(t for t in narrowed.tenants if t.tenant_id == CONTOSO).expiring] == ["ADM-6", "CST-2"]
    high_only = for_channel(digest, min_severity=Severity.HIGH, expiry_days=60)
    assert [e.check.check_id for e in next(t for t in high_only.tenants if t.tenant_id == CONTOSO).expiring] == ["CST-1"]


def test_channel_filters_by_tenant_reference_tag_and_severity(engine):
    digest = build_digest(engine, two_runs(engine))
    by_domain = for_channel(digest, tenants=["CONTOSO.onmicrosoft.com"])
    assert [t.tenant_id for t in by_domain.tenants] == [CONTOSO]
    by_tag = for_channel(digest, tags=["TIER:GOLD"])
    assert [t.tenant_id for t in by_tag.tenants] == [FABRIKAM] and not by_tag.has_news
    critical = for_channel(digest, min_severity=Severity.CRITICAL)
    contoso = next(t for t in critical.tenants if t.tenant_id == CONTOSO)
    assert contoso.newly_failing == () and contoso.grade_dropped  # a dropped grade is always news
    assert next(t for t in critical.tenants if t.tenant_id == PARTNER).new_alerts == ()  # a "high" alert


def test_grade_dropped_rule():
    assert grade_dropped("B", "D") and grade_dropped("A", "Incomplete")
    assert not grade_dropped("D", "B") and not grade_dropped("Incomplete", "F") and not grade_dropped(None, "F")


def test_notify_run_reads_a_recorded_run_with_its_snapshots_gone(engine):
    two_runs(engine)
    digest = digest_of_recorded_run(engine, "q2")
    assert digest.label == "2026-Q2" and {t.tenant_id for t in digest.news} == {CONTOSO, PARTNER}
    assert digest.notes == ()  # these runs name no snapshot file at all


# --- renderings ----------------------------------------------------------------------------------------

HOSTILE = "Evil [click](https://evil.example) **bold** <b>x</b> {{app_body}} <at>all</at>\u202e\x07"


def hostile_digest(engine) -> Digest:
    contoso = tenant(CONTOSO, HOSTILE, {"MFA-1": "FAIL", "MFA-2": "PASS", "ADM-1": "FAIL", "CON-1": "FAIL"})
    return build_digest(engine, two_runs(engine, second_contoso=contoso), label="2026-Q2")


def card_schema(version: str) -> dict:
    path = resources.files("adaptive_cards") / "schemas" / f"schema-{version}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_adaptive_card_is_valid_for_its_schema_version(engine):
    card = formats.adaptive_card(hostile_digest(engine))
    assert card["version"] == formats.CARD_VERSION == "1.4"
    errors = sorted(Draft6Validator(card_schema(card["version"])).iter_errors(card), key=str)
    assert errors == [], errors[0].message if errors else ""
    # the schema does catch a broken card (the check can fail)
    broken = {**card, "body": [{"type": "TextBlock"}]}
    assert list(Draft6Validator(card_schema("1.4")).iter_errors(broken))
    message = formats.workflows_message(card)
    assert message["type"] == "message" and message["attachments"][0]["contentType"] == formats.CARD_CONTENT_TYPE


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_tenant_text_in_the_card_is_never_markdown(engine):
    card = formats.adaptive_card(hostile_digest(engine))
    nodes = list(_walk(card))
    # No TextBlock (which reads Markdown) carries data; every tenant name sits in a TextRun, cleaned.
    assert all(node.get("type") != "TextBlock" for node in nodes)
    runs = [node["text"] for node in nodes if node.get("type") == "TextRun"]
    named = [text for text in runs if "Evil" in text]
    assert named and all("\u202e" not in text and "\x07" not in text for text in named)


def test_html_escapes_tenant_text(engine):
    html = formats.to_html(hostile_digest(engine))
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "<at>" not in html


def test_a_long_digest_is_cut_to_fit_a_teams_message(engine):
    many = [tenant(f"t{i:04d}-0000-4000-8000-000000000000", f"Tenant {i} " + "x" * 100, {"MFA-1": "PASS"})
            for i in range(120)]
    record(engine, "q1", many, 0)
    worse = [tenant(t.tenant_id, t.display_name, {"MFA-1": "FAIL"}) for t in many]
    digest = build_digest(engine, record(engine, "q2", worse, 1))
    card = formats.adaptive_card(digest)
    assert len(json.dumps(card).encode()) <= formats.CARD_MAX_BYTES
    assert "more (see the portfolio report)" in json.dumps(card)
    assert len(formats.to_json(digest)["tenants"]) == 120  # the webhook gets everything


def test_json_digest_shape(engine):
    data = formats.to_json(build_digest(engine, two_runs(engine), label="2026-Q2"))
    assert data["schema"] == formats.DIGEST_SCHEMA and data["label"] == "2026-Q2"
    contoso = next(t for t in data["tenants"] if t["tenant_id"] == CONTOSO)
    assert [c["check_id"] for c in contoso["newly_failing"]] == ["CON-1", "MFA-1"] and contoso["grade_dropped"]
    assert date.fromisoformat(data["evaluated_at"][:10]) == quarter(1).date()
