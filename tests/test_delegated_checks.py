"""CST-3, PAR-7 and LOG-1 (issue 14) from the documented shapes in shared/graph-examples:
partnercenter_customers_list.json, partnercenter_usage_budget.json, partnercenter_webhook_registration.json
(PascalCase keys) and arm_aadiam_diagnostic_settings_2017-04-01-preview.json (empty-string workspaceId)."""

from __future__ import annotations

import copy

from auditor.collect.delegated_sections import APP_ONLY_DIAGNOSTICS, app_only_sections
from auditor.evaluate import run_check
from auditor.registry import CheckContext, Registry
from auditor.results import Status
from auditor.snapshot import Section, SectionStatus
from tests.builders import NOW, make_snapshot

REGISTRY = Registry.from_modules("checks.delegated_access")
CTX = CheckContext(now=NOW)
A, B = "b44bb1fb-c595-45b0-9e09-d657365580bf", "45c44870-ef77-4fdd-b6fe-3dacb075cff2"


def run(check_id, snapshot):
    return run_check(REGISTRY.get(check_id), snapshot, CTX)


def customer(cid: str, name: str) -> dict:
    return {"id": cid, "companyProfile": {"tenantId": cid, "domain": f"{name.lower()}.example", "companyName": name,
                                          "attributes": {"objectType": "CustomerCompanyProfile"}},
            "relationshipToPartner": "reseller", "attributes": {"objectType": "Customer"}}


def budget(amount) -> dict:  # partnercenter_usage_budget.json
    return {"amount": amount, "usageSpendingBudget": amount, "attributes": {"objectType": "SpendingBudget"},
            "links": {"self": {"uri": "/v1/customers/x/usagebudget", "method": "GET", "headers": []}}}


def partner(budgets, customers=None, **extra):
    customers = customers if customers is not None else [customer(A, "Contoso"), customer(B, "Fabrikam")]
    return make_snapshot("partner", partner_center_customers=customers, partner_center_usage_budgets=budgets, **extra)


# --- CST-3 ---------------------------------------------------------------------------------------------

def test_cst3_passes_when_every_azure_customer_has_a_budget() -> None:
    outcome = run("CST-3", partner({A: budget(100), B: None}))  # B: 404, no Azure plan
    assert outcome.status is Status.PASS
    assert {r["customer"]: r["judged"] for r in outcome.evidence} == {"Contoso": "set", "Fabrikam": "no Azure plan"}


def test_cst3_fails_naming_the_customer_without_a_budget() -> None:
    for missing in (budget(0), budget(None), {"attributes": {"objectType": "SpendingBudget"}}):
        outcome = run("CST-3", partner({A: budget(100), B: missing}))
        assert outcome.status is Status.FAIL and "Fabrikam" in outcome.summary


def test_cst3_is_not_applicable_without_azure_customers() -> None:
    assert run("CST-3", partner({A: None, B: None})).status is Status.NOT_APPLICABLE


def test_cst3_is_unknown_when_partner_center_was_not_read() -> None:
    snapshot = make_snapshot("partner", **app_only_sections())
    outcome = run("CST-3", snapshot)
    assert outcome.status is Status.UNKNOWN and "delegated sign-in" in outcome.summary


# --- PAR-7 ---------------------------------------------------------------------------------------------

def test_par7_passes_with_the_fraud_event_in_the_webhook() -> None:
    registration = {"WebhookUrl": "https://hooks.example/pc", "WebhookEvents": ["subscription-updated", "Azure-Fraud-Event-Detected"]}
    outcome = run("PAR-7", make_snapshot("partner", partner_center_webhook_registration=registration))
    assert outcome.status is Status.PASS


def test_par7_is_manual_when_the_webhook_lacks_the_event_or_none_is_registered() -> None:
    documented = {"WebhookUrl": "{{YourCallbackUrl}}", "WebhookEvents": ["subscription-updated", "test-created"]}
    for registration in (documented, {}):
        outcome = run("PAR-7", make_snapshot("partner", partner_center_webhook_registration=registration))
        assert outcome.status is Status.MANUAL and "e-mail" in outcome.summary


def test_par7_is_unknown_when_partner_center_refused() -> None:
    refused = Section.missing(SectionStatus.FORBIDDEN, "the signed-in user lacks the Admin agent role", "test")
    outcome = run("PAR-7", make_snapshot("partner", partner_center_webhook_registration=refused))
    assert outcome.status is Status.UNKNOWN and "Admin agent" in outcome.summary


# --- LOG-1 ---------------------------------------------------------------------------------------------

DOCUMENTED = {  # arm_aadiam_diagnostic_settings_2017-04-01-preview.json's one setting
    "id": "providers/Microsoft.Aadiam/diagnosticSettings/mysetting", "type": "", "name": "mysetting",
    "properties": {"storageAccountId": "/subscriptions/df602c9c/resourceGroups/apptest/providers/Microsoft.Storage/storageAccounts/appteststorage1",
                   "workspaceId": "", "eventHubAuthorizationRuleId": "",
                   "logs": [{"category": "SignInLogs", "enabled": True, "retentionPolicy": {"enabled": False, "days": 0}}]},
}


def with_logs(*categories: str, enabled: bool = True) -> dict:
    setting = copy.deepcopy(DOCUMENTED)
    setting["properties"]["logs"] = [{"category": c, "enabled": enabled} for c in categories]
    return setting


def test_log1_passes_when_the_settings_together_send_every_log() -> None:
    audit = with_logs("AuditLogs")
    audit["name"] = "audit"
    outcome = run("LOG-1", make_snapshot(entra_diagnostic_settings=[audit, with_logs("signinlogs", "NonInteractiveUserSignInLogs")]))
    assert outcome.status is Status.PASS


def test_log1_fails_on_the_documented_setting_which_sends_sign_ins_only() -> None:
    outcome = run("LOG-1", make_snapshot(entra_diagnostic_settings=[DOCUMENTED]))
    assert outcome.status is Status.FAIL and "AuditLogs" in outcome.summary


def test_log1_fails_without_a_destination_or_with_disabled_logs_or_none() -> None:
    no_destination = with_logs("AuditLogs", "SignInLogs", "NonInteractiveUserSignInLogs")
    no_destination["properties"]["storageAccountId"] = ""
    disabled = with_logs("AuditLogs", "SignInLogs", "NonInteractiveUserSignInLogs", enabled=False)
    for settings in ([no_destination], [disabled], []):
        assert run("LOG-1", make_snapshot(entra_diagnostic_settings=settings)).status is Status.FAIL


def test_log1_is_unknown_in_an_app_only_run_with_the_reason() -> None:
    outcome = run("LOG-1", make_snapshot(**app_only_sections()))
    assert outcome.status is Status.UNKNOWN
    assert "refuses app-only tokens" in outcome.summary or APP_ONLY_DIAGNOSTICS[:40] in str(outcome.evidence)
