"""Realistic audit results for the report tests and the render benchmark, built directly from the results
models (scores from the real scoring rule), so the reports can be tested without snapshots or checks.

Also holds the hostile strings the escaping tests plant in tenant data."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

from auditor import RULESET_VERSION, TOOL_NAME, __version__
from auditor.results import Acceptance, Area, AuditResults, CheckResult, Severity, Status, TenantResult, ToolInfo
from auditor.scoring import score_tenant

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
LEARN = "https://learn.microsoft.com"

# id, title, area, severity, applies to (C customer, P partner)
CATALOGUE: list[tuple[str, str, Area, Severity, str]] = [
    ("MFA-1", "MFA is required for all users", Area.MFA, Severity.CRITICAL, "CP"),
    ("MFA-2", "MFA is required for every administrator", Area.MFA, Severity.CRITICAL, "CP"),
    ("MFA-3", "Administrators use phishing-resistant MFA", Area.MFA, Severity.HIGH, "CP"),
    ("MFA-4", "Users are registered for MFA", Area.MFA, Severity.HIGH, "CP"),
    ("MFA-5", "Legacy authentication is blocked", Area.MFA, Severity.HIGH, "CP"),
    ("ADM-1", "Between two and four Global Administrators", Area.ADMINS, Severity.HIGH, "CP"),
    ("ADM-2", "No shared administrator accounts", Area.ADMINS, Severity.HIGH, "CP"),
    ("ADM-3", "Admin accounts are not used for email", Area.ADMINS, Severity.MEDIUM, "CP"),
    ("ADM-4", "No guest user holds a privileged role", Area.ADMINS, Severity.HIGH, "CP"),
    ("ADM-6", "Recovery methods of privileged users reviewed", Area.ADMINS, Severity.MEDIUM, "CP"),
    ("PAR-1", "No legacy DAP access by a partner", Area.PARTNER, Severity.CRITICAL, "C"),
    ("PAR-2", "No GDAP relationship grants Global Administrator", Area.PARTNER, Severity.HIGH, "P"),
    ("PAR-3", "GDAP relationships do not lapse unnoticed", Area.PARTNER, Severity.MEDIUM, "P"),
    ("PAR-4", "DAP to GDAP migration is complete", Area.PARTNER, Severity.HIGH, "P"),
    ("CON-1", "A security contact is set on the tenant", Area.CONTACTS, Severity.HIGH, "CP"),
    ("CON-2", "Defender for Cloud alerts reach a contact", Area.CONTACTS, Severity.HIGH, "C"),
    ("CON-3", "No partner security alert is left unhandled", Area.CONTACTS, Severity.CRITICAL, "P"),
    ("CST-1", "Every subscription has a budget alert", Area.COST, Severity.HIGH, "C"),
    ("CST-2", "Every subscription has a cost anomaly alert", Area.COST, Severity.MEDIUM, "C"),
    ("DEF-1", "Defender for Cloud is enabled on every subscription", Area.DEFENDER, Severity.HIGH, "C"),
    ("DEF-2", "Defender plans cover servers, storage, Key Vault and ARM", Area.DEFENDER, Severity.MEDIUM, "C"),
    ("DEF-3", "Secure Score is at least 60 % of its maximum", Area.DEFENDER, Severity.MEDIUM, "CP"),
    ("DEF-4", "Administrators must use a managed device", Area.DEFENDER, Severity.MEDIUM, "CP"),
]

REMEDIATION = (
    "Open the Microsoft Entra admin center and go to Protection > Conditional Access.\n"
    "1. Create a policy from the template \u201cRequire multifactor authentication for all users\u201d.\n"
    "2. Exclude only your two break-glass accounts, then set the policy to On.\n"
    "3. Check the sign-in logs for a week for users\n   who cannot complete MFA."
)

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src="http://127.0.0.1:{port}/x">',
    "url(file:///etc/passwd)",
]


def _evidence(check_id: str, status: Status, rng: random.Random, names: list[str]) -> list[dict]:
    if check_id == "MFA-4" and status is Status.FAIL:
        count = rng.choice([3, 12, 37])
        return [
            {"userPrincipalName": f"{n.lower().replace(' ', '.')}{i}@contoso.example", "displayName": f"{n} {i}",
             "isAdmin": i % 9 == 0, "methodsRegistered": [] if i % 2 else ["email"]}
            for i, n in zip(range(count), (names * 50)[:count])
        ]
    if check_id.startswith("MFA") or check_id == "DEF-4":
        return [{"policy": "Require MFA for all users", "state": "enabled" if status is Status.PASS else "enabledForReportingButNotEnforced",
                 "excludedUsers": ["breakglass1@contoso.example"], "grant": "mfa"}]
    if check_id.startswith("ADM"):
        return [{"userPrincipalName": f"{n.split()[0].lower()}@contoso.example", "role": "Global Administrator",
                 "assignment": rng.choice(["active", "eligible"])} for n in names[: rng.randint(1, 4)]]
    if check_id in ("CST-1", "CST-2", "DEF-1", "DEF-2", "CON-2"):
        return [{"subscription": f"Production {i}", "subscriptionId": f"0000000{i}-aaaa-bbbb-cccc-000000000000",
                 "finding": "no budget" if status is Status.FAIL else "budget 1,000 USD, 80 % alert"} for i in range(1, 3)]
    if check_id == "CON-1":
        return [{"setting": "securityComplianceNotificationMails", "value": "security@contoso.example"}]
    return []


def make_tenant(
    name: str,
    *,
    kind: str = "customer",
    tenant_id: str | None = None,
    posture: float = 0.6,
    unknown_rate: float = 0.1,
    seed: int = 1,
    user_names: list[str] | None = None,
    policy_name: str | None = None,
    accept: bool = True,
) -> TenantResult:
    """A tenant whose checks pass with probability ``posture``; a few are UNKNOWN with the engine's wording."""
    rng = random.Random(seed)
    names = user_names or ["Adele Vance", "Alex Wilber", "Diego Siciliani", "Grady Archie", "Isaiah Langer", "Lynne Robbins"]
    results: list[CheckResult] = []
    letter = "P" if kind == "partner" else "C"
    for check_id, title, area, severity, applies in CATALOGUE:
        if letter not in applies:
            continue
        roll = rng.random()
        if check_id == "ADM-6":
            status = Status.MANUAL
        elif roll < unknown_rate:
            status = Status.UNKNOWN
        elif check_id in ("CST-1", "CST-2", "DEF-1", "DEF-2", "CON-2") and rng.random() < 0.1:
            status = Status.NOT_APPLICABLE
        else:
            status = Status.PASS if rng.random() < posture else Status.FAIL
        evidence = _evidence(check_id, status, rng, names)
        if policy_name and check_id.startswith("MFA") and evidence and "policy" in evidence[0]:
            evidence[0]["policy"] = policy_name
        summary = {
            Status.PASS: f"{title}: verified.",
            Status.FAIL: f"{title}: not met; {len(evidence) or 'no'} object(s) listed in the evidence.",
            Status.MANUAL: "Review the recovery email and phone of each privileged user.",
            Status.NOT_APPLICABLE: "The tenant has no Azure subscriptions.",
        }.get(status, "")
        if status is Status.UNKNOWN:
            evidence = []
            summary = rng.choice([
                "Not evaluated: section conditional_access_policies is forbidden (the app lacks the Policy.Read.All permission).",
                "Not evaluated: section user_registration_details is not_licensed (the tenant has no Microsoft Entra ID P1 licence).",
                "Not evaluated: section subscriptions is error (ARM answered 503 Service Unavailable).",
            ])
        acceptance = None
        if accept and status is Status.FAIL and check_id == "ADM-3":
            status = Status.ACCEPTED
            acceptance = Acceptance(reason="The owner's mailbox is needed for vendor notices until the migration in Q1.",
                                    owner="Jane Doe (IT manager)", expires=date(2027, 3, 31))
        results.append(CheckResult(
            check_id=check_id, title=title, area=area, severity=severity, status=status, summary=summary,
            evidence=evidence, remediation=REMEDIATION,
            references=[f"{LEARN}/partner-center/security/partner-security-best-practices",
                        f"{LEARN}/entra/identity/conditional-access/policy-all-users-mfa-strength"],
            acceptance=acceptance,
        ))
    score = score_tenant(results)
    return TenantResult(
        tenant_id=tenant_id or f"{rng.getrandbits(32):08x}-1c3f-4e5a-9b8c-{rng.getrandbits(48):012x}",
        display_name=name,
        default_domain=f"{''.join(c for c in name.lower() if c.isalnum())[:20] or 'tenant'}.onmicrosoft.com",
        kind=kind,
        collected_at=NOW - timedelta(minutes=20),
        score=score.score,
        grade=score.grade,
        coverage=score.coverage,
        areas=score.areas,
        results=results,
    )


def make_results(tenants: list[TenantResult], run_id: str = "a1b2c3d4e5f6") -> AuditResults:
    return AuditResults(
        tool=ToolInfo(name=TOOL_NAME, version=__version__, ruleset_version=RULESET_VERSION),
        generated_at=NOW,
        run_id=run_id,
        operator="auditor@fabrikam-partner.example",
        tenants=tenants,
    )


CUSTOMER_NAMES = [
    "Contoso Ltd", "Northwind Traders", "Tailspin Toys", "Wide World Importers", "Adventure Works Cycles",
    "Fourth Coffee", "Litware Inc", "Proseware", "Woodgrove Bank", "Alpine Ski House", "Blue Yonder Airlines",
    "Coho Winery", "Graphic Design Institute", "Humongous Insurance", "Lucerne Publishing", "Margie's Travel",
    "Trey Research", "VanArsdel Ltd", "Wingtip Toys", "Relecloud",
]


def portfolio(count: int, seed: int = 7) -> AuditResults:
    """A partner and ``count - 1`` customers of mixed posture."""
    rng = random.Random(seed)
    tenants = [make_tenant("Fabrikam Partner Services", kind="partner", posture=0.7, seed=seed)]
    for index in range(count - 1):
        base = CUSTOMER_NAMES[index % len(CUSTOMER_NAMES)]
        name = base if index < len(CUSTOMER_NAMES) else f"{base} {index // len(CUSTOMER_NAMES) + 1}"
        tenants.append(make_tenant(name, posture=rng.choice([0.35, 0.6, 0.8, 0.95]), seed=seed * 1000 + index))
    return make_results(tenants)


def test_builders_score_with_the_real_rule() -> None:
    good = make_tenant("Good Co", posture=1.0, unknown_rate=0.0, seed=3)
    poor = make_tenant("Poor Co", posture=0.1, unknown_rate=0.0, seed=3)
    assert good.score is not None and poor.score is not None and good.score > poor.score
