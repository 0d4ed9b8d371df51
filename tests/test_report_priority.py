"""The action plan's priority rule, the evidence row kinds it counts, and the customer-words mechanism that
keeps API names and tool configuration off customer pages (auditor/report/priority.py, evidence.py,
wording.py)."""

from __future__ import annotations

import re

import pytest

from auditor.registry import Effort, Registry
from auditor.report.evidence import RowKind, evidence_table, exposure, row_kind, short_list
from auditor.report.priority import CheckTexts, action_for, prioritised
from auditor.report.wording import customer_text, split_remediation
from auditor.results import Area, CheckResult, Severity, Status


def failing(check_id: str, area: Area, severity: Severity, rows: int = 0, **kw) -> CheckResult:
    evidence = [{"user": f"u{i}", "userPrincipalName": f"u{i}@contoso.com"} for i in range(rows)]
    return CheckResult(check_id=check_id, title=f"Title of {check_id}", area=area, severity=severity,
                       status=Status.FAIL, summary="s", evidence=evidence, **kw)


def order(results: list[CheckResult], texts: dict[str, CheckTexts] | None = None) -> list[str]:
    return [r.check_id for r in prioritised(results, texts or {})]


# --- The priority rule ----------------------------------------------------------------------------------


def test_severity_comes_first_whatever_the_exposure() -> None:
    results = [failing("CST-1", Area.COST, Severity.HIGH, rows=50), failing("ADM-3", Area.ADMINS, Severity.MEDIUM, rows=90),
               failing("MFA-2", Area.MFA, Severity.CRITICAL, rows=1), failing("PAR-5", Area.PARTNER, Severity.LOW, rows=99)]
    assert order(results) == ["MFA-2", "CST-1", "ADM-3", "PAR-5"]


def test_identity_gaps_come_before_hygiene_of_the_same_severity() -> None:
    results = [failing("CON-1", Area.CONTACTS, Severity.HIGH, rows=40), failing("DEF-1", Area.DEFENDER, Severity.HIGH, rows=30),
               failing("ADM-4", Area.ADMINS, Severity.HIGH, rows=1), failing("PAR-4", Area.PARTNER, Severity.HIGH, rows=2)]
    assert order(results) == ["PAR-4", "ADM-4", "CON-1", "DEF-1"]


def test_more_affected_objects_first_and_a_tenant_wide_gap_before_any_count() -> None:
    results = [failing("MFA-4", Area.MFA, Severity.HIGH, rows=3), failing("MFA-3", Area.MFA, Severity.HIGH, rows=12),
               failing("MFA-5", Area.MFA, Severity.HIGH, rows=1)]
    texts = {"MFA-5": CheckTexts(tenant_wide=True)}
    assert order(results, texts) == ["MFA-5", "MFA-3", "MFA-4"]


def test_effort_breaks_ties_low_before_high_then_the_check_id() -> None:
    results = [failing("DEF-4", Area.DEFENDER, Severity.MEDIUM, rows=2), failing("DEF-2", Area.DEFENDER, Severity.MEDIUM, rows=2),
               failing("CST-2", Area.COST, Severity.MEDIUM, rows=2), failing("CON-2", Area.CONTACTS, Severity.MEDIUM, rows=2)]
    texts = {"DEF-4": CheckTexts(effort=Effort.HIGH), "DEF-2": CheckTexts(effort=Effort.LOW),
             "CST-2": CheckTexts(effort=Effort.LOW)}
    assert order(results, texts) == ["CST-2", "DEF-2", "CON-2", "DEF-4"]


def test_exposure_counts_offending_rows_not_the_ones_that_meet_the_rule_or_are_advisory() -> None:
    rows = ([{"role": "Global Administrator", "status": "held, NOT covered"}] * 2
            + [{"role": "Helpdesk Administrator", "status": "held, covered"}]
            + [{"role": f"Role {i}", "status": "not held, not covered (advisory)"} for i in range(9)])
    assert exposure(rows) == 2
    # Rows with no verdict the report knows all count: they are what the check listed as failing.
    assert exposure([{"user": "a"}, {"user": "b"}, {"user": "c"}]) == 3


def test_the_built_in_checks_make_the_plan_in_the_documented_order() -> None:
    """With the real checks' texts: critical identity first, tenant-wide MFA before admin MFA."""
    from auditor.report.priority import check_texts

    texts = check_texts()
    results = [failing("CON-2", Area.CONTACTS, Severity.HIGH, rows=1), failing("MFA-2", Area.MFA, Severity.CRITICAL, rows=1),
               failing("MFA-1", Area.MFA, Severity.CRITICAL), failing("MFA-4", Area.MFA, Severity.HIGH, rows=7),
               failing("DEF-4", Area.DEFENDER, Severity.MEDIUM, rows=2), failing("CST-2", Area.COST, Severity.MEDIUM, rows=2)]
    assert order(results, texts) == ["MFA-1", "MFA-2", "MFA-4", "CON-2", "CST-2", "DEF-4"]


# --- Evidence rows ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("row", "kind"), [
    ({"role": "Global Administrator", "status": "held, NOT covered"}, RowKind.OFFENDING),
    ({"role": "Billing Administrator", "status": "not held, not covered (advisory)"}, RowKind.ADVISORY),
    ({"role": "Billing Administrator", "status": "not held, covered"}, RowKind.ADVISORY),
    ({"role": "Helpdesk Administrator", "status": "held, covered"}, RowKind.PASSING),
    ({"subscription": "Prod", "result": "FAIL", "detail": "no budget"}, RowKind.OFFENDING),
    ({"subscription": "Dev", "result": "PASS", "detail": "budget alerts a contact"}, RowKind.PASSING),
    ({"partner": "Litware", "verdict": "UNFAMILIAR: not the configured partner"}, RowKind.OFFENDING),
    ({"partner": "Northwind", "verdict": "configured partner"}, RowKind.PASSING),
    ({"user": "Maya", "registration": "not MFA-registered", "counted": "yes"}, RowKind.OFFENDING),
    ({"requirement": "mfaEnforcedForAdmins", "complianceStatus": "compliant"}, RowKind.PASSING),
    ({"policy": "CA001", "counts": "no: report-only"}, RowKind.OTHER),
])
def test_row_kinds(row: dict, kind: RowKind) -> None:
    assert row_kind(row) is kind


def test_offending_rows_first_and_advisory_rows_folded_into_one_sentence() -> None:
    rows = ([{"role": f"Role {i}", "holders": 0, "status": "not held, not covered (advisory)"} for i in range(3)]
            + [{"role": "Helpdesk Administrator", "holders": 1, "status": "held, covered"},
               {"role": "Global Administrator", "holders": 2, "status": "held, NOT covered"}])
    table = evidence_table(rows, "a")
    assert [row[0] for row in table.rows] == ["Global Administrator", "Helpdesk Administrator"]
    assert table.total == 2 and table.offending == 1
    assert table.advisory == "Advisory, nothing to act on now: 3 roles that nobody holds or uses (Role 0, Role 1, Role 2)."


def test_a_cell_listing_many_items_is_cut_with_a_count() -> None:
    assert short_list("A, B, C, D, E, F, G") == "A, B, C, D and 3 more"
    assert short_list("A, B, C, D, E") == "A, B, C, D, E"  # "and 1 more" would save nothing


# --- Customer words --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "shown"), [
    ("state enabledForReportingButNotEnforced", "state report-only"),
    ("Setting securityComplianceNotificationMails", "Setting security notification email"),
    ("riskState atRisk, riskDetail none", "risk state at risk, risk detail none"),
    ("section security_contacts is forbidden", "section security contacts is forbidden"),
    ("Run `az provider register` first", "Run az provider register first"),
    ("exchangeActiveSync, other", "Exchange ActiveSync, other"),
    # Addresses, domains, dotted Microsoft names and SKU ids are kept exactly.
    ("amara_x@contoso.com and nadia.kaur_litwareinc.net#EXT#@proseware.com", "amara_x@contoso.com and nadia.kaur_litwareinc.net#EXT#@proseware.com"),
    ("grant Policy.Read.All on Microsoft.Security", "grant Policy.Read.All on Microsoft.Security"),
    ("Exchange Online (Plan 1) (EXCHANGE_S_STANDARD)", "Exchange Online (Plan 1) (EXCHANGE_S_STANDARD)"),
    ("sync the iPhone and macOS devices", "sync the iPhone and macOS devices"),
])
def test_customer_text(raw: str, shown: str) -> None:
    assert customer_text(raw) == shown


def test_partner_paragraphs_are_split_from_what_the_customer_does() -> None:
    customer, partner = split_remediation("Do this in the admin center.\n\nPartner: declare it in tenants.toml\n  as break_glass.\n\nThen that.")
    assert customer == "Do this in the admin center.\n\nThen that."
    assert partner == ["declare it in tenants.toml as break_glass."]


FORBIDDEN_IN_CUSTOMER_TEXT = re.compile(r"`|\.toml\b|\bbreak_glass\b|\bknown_partners\b|\bauditor's\b|\bPATCH\b|\baz \w")


def test_every_built_in_check_speaks_customer_words_outside_its_partner_paragraphs() -> None:
    """The customer part of each remediation, action and fix holds no tool configuration and no code; the
    hints that used to sit there are partner paragraphs now."""
    hints = 0
    for spec in Registry.from_entry_points():
        customer, partner = split_remediation(spec.remediation)
        hints += len(partner)
        for text in (customer, spec.action, spec.fix):
            assert not FORBIDDEN_IN_CUSTOMER_TEXT.search(text), (spec.id, FORBIDDEN_IN_CUSTOMER_TEXT.search(text))
        assert spec.action and spec.fix, spec.id
    assert hints >= 7  # ADM-2, ADM-5, ADM-7, PAR-6, CON-1, DEF-1, DEF-2


def test_an_action_is_an_instruction_with_its_reason_and_fix_in_customer_words() -> None:
    result = failing("MFA-9", Area.MFA, Severity.HIGH, rows=2,
                     remediation="Open the Entra admin center and set `isEnabled`. Then wait.\n\nPartner: edit tenants.toml.")
    plain = action_for(result, None, "check-mfa-9")
    assert plain.action == "Title of MFA-9" and plain.fix == "Open the Entra admin center and set enabled. Then wait."
    assert plain.affected == 2
    written = action_for(result, CheckTexts(why="Attackers phish passwords. More text.", action="Require MFA",
                                            fix="Turn on security defaults."), "a")
    assert (written.action, written.reason, written.fix) == ("Require MFA", "Attackers phish passwords. More text.",
                                                             "Turn on security defaults.")
