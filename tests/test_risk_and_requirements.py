"""CON-4 (Partner Center security requirements) and CON-5 (risk-based Conditional Access, no high-risk user
left), from the documented shapes: partner_security_requirements_beta.json, ca_policy_get.json and
risky_users_beta_example.json."""

from __future__ import annotations

import copy
import zlib

from auditor.evaluate import run_check
from auditor.registry import CheckContext, CheckSettings, Registry
from auditor.results import Status
from tests.builders import NOW, forbidden, make_snapshot, not_licensed

REGISTRY = Registry.from_modules("checks.partner_requirements", "checks.identity_risk")
CTX = CheckContext(now=NOW)


def run(check_id, snapshot, ctx=CTX):
    return run_check(REGISTRY.get(check_id), snapshot, ctx)


# --- CON-4 ---------------------------------------------------------------------------------------------

DOCUMENTED_REQUIREMENT = {  # partner_security_requirements_beta.json
    "@odata.type": "#microsoft.graph.partner.security.securityRequirement",
    "id": "adc3e54c-8dde-f1cb-b92e-ffb989948282", "requirementType": "securityContactProvided",
    "complianceStatus": "compliant", "actionUrl": "https://aka.ms/partner-center-security-contact",
    "helpUrl": "https://aka.ms/partner-center-security-dashboard-security-contact", "score": 20, "maxScore": 20,
    "state": "active", "updatedDateTime": "2023-09-26T04:04:01.4261872Z",
}


def requirement(requirement_type: str, status: str = "compliant", state: str = "active") -> dict:
    return {**copy.deepcopy(DOCUMENTED_REQUIREMENT), "requirementType": requirement_type,
            "complianceStatus": status, "state": state, "score": 20 if status == "compliant" else 0}


def partner(requirements):
    return make_snapshot(kind="partner", partner_security_requirements=requirements)


def test_con4_passes_on_the_documented_compliant_requirement():
    result = run("CON-4", partner([copy.deepcopy(DOCUMENTED_REQUIREMENT)]))
    assert result.status is Status.PASS
    assert result.evidence[0]["score"] == "20/20"


def test_con4_fails_on_noncomplaint_as_microsoft_spells_it():
    result = run("CON-4", partner([copy.deepcopy(DOCUMENTED_REQUIREMENT),
                                   requirement("mfaEnforcedForAdmins", "noncomplaint")]))
    assert result.status is Status.FAIL and "mfaEnforcedForAdmins" in result.summary
    assert result.evidence[0]["requirement"] == "mfaEnforcedForAdmins"  # failing requirements first
    assert run("CON-4", partner([requirement("securityAlertsPromptlyResolved", "noncompliant")])).status is Status.FAIL


def test_con4_preview_requirements_are_listed_not_judged():
    result = run("CON-4", partner([copy.deepcopy(DOCUMENTED_REQUIREMENT),
                                   requirement("spendingBudgetSetForCustomerAzureSubscriptions", "noncomplaint", "preview")]))
    assert result.status is Status.PASS
    assert any("not judged" in r["state"] for r in result.evidence)


def test_con4_unknown_for_unstated_compliance_empty_answer_or_unreadable():
    assert run("CON-4", partner([requirement("mfaEnforcedForAdmins", "unknownFutureValue")])).status is Status.UNKNOWN
    assert run("CON-4", partner([])).status is Status.UNKNOWN
    assert run("CON-4", partner(forbidden("PartnerSecurity.Read.All"))).status is Status.UNKNOWN


# --- CON-5 ---------------------------------------------------------------------------------------------

BREAK_GLASS = "0b9a5f3c-7c2e-4f0e-9a51-0c6f6d1e2b44"


def policy(name: str, *, user_risk=(), sign_in_risk=(), controls=("mfa",), operator="OR", state="enabled",
           exclude_groups=()) -> dict:
    """ca_policy_get.json's shape: conditions with risk levels, all cloud apps, all users."""
    return {
        "id": f"{zlib.crc32(name.encode()):08x}-6b0e-4c4d-8d2a-1c7b4c8d7e9f", "displayName": name, "state": state,
        "conditions": {
            "signInRiskLevels": list(sign_in_risk), "userRiskLevels": list(user_risk), "clientAppTypes": ["all"],
            "applications": {"includeApplications": ["All"], "excludeApplications": []},
            "users": {"includeUsers": ["All"], "excludeUsers": [BREAK_GLASS], "includeGroups": [],
                      "excludeGroups": list(exclude_groups), "includeRoles": [], "excludeRoles": []},
        },
        "grantControls": {"operator": operator, "builtInControls": list(controls), "customAuthenticationFactors": [],
                          "termsOfUse": []},
    }


USER_RISK = policy("Require password change for high-risk users", user_risk=["high"], controls=("mfa", "passwordChange"),
                   operator="AND")
SIGN_IN_RISK = policy("Require MFA for risky sign-ins", sign_in_risk=["high", "medium"])
# risky_users_beta_example.json, as a live account (the documented item is a deleted one)
RISKY = {"id": "c2b6c2b9-dddc-acd0-2b39-d519d803dbc3", "riskLastUpdatedDateTime": "2016-01-29T20:03:57.7872426Z",
         "isDeleted": False, "riskDetail": "adminConfirmedSigninCompromised", "riskLevel": "high",
         "riskState": "atRisk", "userDisplayName": "Alex Wilbur", "userPrincipalName": "alexw@contoso.com"}


def tenant(policies, risky=(), **sections):
    return make_snapshot(conditional_access_policies=list(policies),
                         risky_users=list(risky) if isinstance(risky, tuple) or isinstance(risky, list) else risky,
                         **sections)


def test_con5_passes_with_both_template_policies_and_no_risky_user():
    result = run("CON-5", tenant([USER_RISK, SIGN_IN_RISK]))
    assert result.status is Status.PASS, result.summary


def test_con5_fails_without_risk_policies_and_names_the_missing_one():
    result = run("CON-5", tenant([USER_RISK]))
    assert result.status is Status.FAIL and "sign-in-risk" in result.summary
    assert run("CON-5", tenant([])).status is Status.FAIL


def test_con5_fails_on_an_unremediated_high_risk_user():
    result = run("CON-5", tenant([USER_RISK, SIGN_IN_RISK], [RISKY]))
    assert result.status is Status.FAIL and "alexw@contoso.com" in result.summary
    confirmed = {**RISKY, "riskState": "confirmedCompromised"}
    assert run("CON-5", tenant([USER_RISK, SIGN_IN_RISK], [confirmed])).status is Status.FAIL


def test_con5_documented_deleted_risky_user_is_listed_not_judged():
    deleted = {**RISKY, "isDeleted": True}  # the documented example is a deleted account
    remediated = {**RISKY, "riskState": "remediated", "riskLevel": "high"}
    result = run("CON-5", tenant([USER_RISK, SIGN_IN_RISK], [deleted, remediated]))
    assert result.status is Status.PASS
    assert any("deleted account" in r["finding"] for r in result.evidence)


def test_con5_policies_that_do_not_count():
    optional_password_change = policy("Password change or MFA", user_risk=["high"], controls=("mfa", "passwordChange"))
    report_only = {**SIGN_IN_RISK, "state": "enabledForReportingButNotEnforced"}
    medium_only = policy("Medium sign-in risk", sign_in_risk=["medium"])
    group_excluded = policy("Risky sign-ins", sign_in_risk=["high"], exclude_groups=["9d7e3c2b-5a4f-4e6d-8c7b-1a2b3c4d5e6f"])
    both_risks = policy("Both risks", user_risk=["high"], sign_in_risk=["high"], controls=("block",))
    for policies in ([optional_password_change, SIGN_IN_RISK], [USER_RISK, report_only], [USER_RISK, medium_only],
                     [USER_RISK, group_excluded], [both_risks]):
        result = run("CON-5", tenant(policies))
        assert result.status is Status.FAIL, [p["displayName"] for p in policies]
    blocks = [policy("Block high user risk", user_risk=["high"], controls=("block",)),
              policy("Block high sign-in risk", sign_in_risk=["high"], controls=("block",))]
    assert run("CON-5", tenant(blocks)).status is Status.PASS


def test_con5_break_glass_exclusion_must_be_declared_when_the_config_declares_some():
    declared_other = CheckContext(now=NOW, settings=CheckSettings(break_glass_accounts=("someone-else",)))
    assert run("CON-5", tenant([USER_RISK, SIGN_IN_RISK]), declared_other).status is Status.FAIL
    declared = CheckContext(now=NOW, settings=CheckSettings(break_glass_accounts=(BREAK_GLASS,)))
    assert run("CON-5", tenant([USER_RISK, SIGN_IN_RISK]), declared).status is Status.PASS


def test_con5_not_applicable_without_p2():
    result = run("CON-5", tenant([], not_licensed("Microsoft Entra ID P2")))
    assert result.status is Status.NOT_APPLICABLE and "Microsoft Entra ID P2" in result.summary
    pim = tenant([], forbidden("IdentityRiskyUser.Read.All"), role_eligibility_schedules=not_licensed("Microsoft Entra ID P2"))
    assert run("CON-5", pim).status is Status.NOT_APPLICABLE


def test_con5_unknown_when_risky_users_unreadable_or_policies_unreadable():
    result = run("CON-5", tenant([USER_RISK, SIGN_IN_RISK], forbidden("IdentityRiskyUser.Read.All")))
    assert result.status is Status.UNKNOWN and "IdentityRiskyUser.Read.All" in result.summary
    unreadable = make_snapshot(conditional_access_policies=forbidden(), risky_users=[])
    assert run("CON-5", unreadable).status is Status.UNKNOWN
