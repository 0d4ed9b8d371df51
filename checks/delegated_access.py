"""Checks that need a partner user's delegated sign-in (issue 14; CHECKLIST.md "Rules version 3" >
"Delegated access and Partner Center"): CST-3 and PAR-7 from Partner Center's REST API, LOG-1 from Entra ID's
diagnostic settings (ARM `microsoft.aadiam`). App-only runs record these sections as `not_collected` with
the reason, and the engine makes the checks UNKNOWN."""

from __future__ import annotations

from typing import Any

from auditor.registry import CheckContext, Outcome, check
from auditor.results import Evidence, Status
from auditor.snapshot import TenantSnapshot
from checks.azure import ci_get, ci_properties

BUDGET_REF = "https://learn.microsoft.com/partner-center/developer/get-a-customer-s-usage-spending-budget"
FRAUD_REF = "https://learn.microsoft.com/partner-center/security/azure-fraud-detection-and-notification"
WEBHOOK_REF = "https://learn.microsoft.com/partner-center/developer/partner-center-webhooks"
ENTRA_LOGS_REF = "https://learn.microsoft.com/entra/identity/monitoring-health/howto-configure-diagnostic-settings"

FRAUD_EVENT = "azure-fraud-event-detected"
# Entra ID log categories LOG-1 wants exported (Microsoft Entra "Log categories": AuditLogs, SignInLogs,
# NonInteractiveUserSignInLogs), compared case-insensitively.
REQUIRED_LOGS = ("AuditLogs", "SignInLogs", "NonInteractiveUserSignInLogs")
_DESTINATIONS = ("workspaceId", "storageAccountId", "eventHubAuthorizationRuleId")


def _customer_name(customer: dict[str, Any]) -> str:
    profile = customer.get("companyProfile") if isinstance(customer.get("companyProfile"), dict) else {}
    return str(profile.get("companyName") or profile.get("domain") or customer.get("id") or "?")


@check(
    id="CST-3",
    action="Set an Azure spending budget for every customer",
    fix="In Partner Center, open each customer with Azure > Azure spending and set a monthly budget.",
    effort="low",
    title="Every Azure customer has a Partner Center spending budget",
    area="cost",
    severity="medium",
    applies_to=["partner"],
    needs=["partner_center_customers", "partner_center_usage_budgets"],
    wave=3,
    references=[BUDGET_REF, FRAUD_REF],
    remediation="""
        In Partner Center open Customers > the customer > Azure spending (or Service management > Azure
        spending budget), set a monthly spending budget a little above normal usage, and save. Partner
        Center then e-mails when 80 % and 100 % of it are reached.
    """,
)
def customer_spending_budgets(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Every customer with Azure usage has a Partner Center spending budget, so runaway spend (fraud, a
    stolen credential) is noticed by the partner, who is billed for it.

    Decisions: a customer has Azure when Partner Center answers its usage budget (a 404, recorded as null,
    means it has no Azure plan: listed, not judged). A budget counts when `amount` (or
    `usageSpendingBudget`) is a number above 0. No customer with Azure: NOT_APPLICABLE."""
    customers = {str(c.get("id")): c for c in snapshot.data("partner_center_customers") or [] if c.get("id")}
    budgets = snapshot.data("partner_center_usage_budgets") or {}
    rows: list[Evidence] = []
    failing = []
    for customer_id, budget in sorted(budgets.items()):
        name = _customer_name(customers.get(customer_id, {"id": customer_id}))
        if budget is None:
            rows.append({"customer": name, "customer id": customer_id, "budget": "", "judged": "no Azure plan"})
            continue
        amount = budget.get("amount", budget.get("usageSpendingBudget")) if isinstance(budget, dict) else None
        ok = isinstance(amount, (int, float)) and not isinstance(amount, bool) and amount > 0
        rows.append({"customer": name, "customer id": customer_id, "budget": "" if amount is None else str(amount),
                     "judged": "set" if ok else "missing"})
        if not ok:
            failing.append(name)
    judged = [r for r in rows if r["judged"] != "no Azure plan"]
    if not judged:
        return Outcome(Status.NOT_APPLICABLE, "No customer has an Azure usage budget in Partner Center (no Azure plan).", rows)
    if failing:
        return Outcome(Status.FAIL, f"{len(failing)} of {len(judged)} Azure customer(s) have no spending budget: "
                       + ", ".join(failing[:10]) + ("…" if len(failing) > 10 else ""), rows)
    return Outcome(Status.PASS, f"All {len(judged)} Azure customer(s) have a spending budget.", rows)


@check(
    id="PAR-7",
    action="Receive Azure fraud alerts from Partner Center",
    fix=(
        "Register a Partner Center webhook for the azure-fraud-event-detected event, or confirm that "
        "fraud alert e-mails reach a monitored mailbox."
    ),
    effort="low",
    title="The partner receives Azure fraud and security alerts",
    area="partner",
    severity="high",
    applies_to=["partner"],
    needs=["partner_center_webhook_registration"],
    wave=3,
    references=[FRAUD_REF, WEBHOOK_REF],
    remediation="""
        Register a Partner Center webhook that includes the azure-fraud-event-detected event (Partner Center
        API POST /webhooks/v1/registration with your callback URL), and check in Partner Center > Settings >
        Notifications that Azure fraud e-mail alerts go to a monitored mailbox.
    """,
)
def fraud_alerts_received(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Microsoft's Azure fraud detections (crypto-mining and other anomalies) reach the partner.

    Decisions: PASS when the webhook registration's `WebhookEvents` (PascalCase, as Partner Center answers;
    matched case-insensitively) includes azure-fraud-event-detected. Otherwise MANUAL, not FAIL: the
    alerts may still go by e-mail, and Partner Center's e-mail preferences cannot be read through its API,
    so a person must confirm them."""
    registration = snapshot.data("partner_center_webhook_registration") or {}
    events = ci_get(registration, "WebhookEvents") or []
    events = [str(e) for e in events] if isinstance(events, list) else []
    url = str(ci_get(registration, "WebhookUrl") or "")
    rows: list[Evidence] = [{"webhook url": url or "(no registration)", "events": ", ".join(events)}]
    if any(e.lower() == FRAUD_EVENT for e in events):
        return Outcome(Status.PASS, f"The Partner Center webhook receives {FRAUD_EVENT}.", rows)
    where = "no Partner Center webhook is registered" if not registration else f"the webhook does not include {FRAUD_EVENT}"
    return Outcome(Status.MANUAL, f"{where.capitalize()}; Azure fraud e-mail preferences cannot be read through "
                   "the Partner Center API: confirm they reach a monitored mailbox.", rows)


def _exported(setting: dict[str, Any]) -> tuple[set[str], list[str]]:
    props = ci_properties(setting)
    destinations = [name for name in _DESTINATIONS if ci_get(props, name)]  # "" (Microsoft's example) is none
    categories = {str(ci_get(log, "category") or "").lower() for log in ci_get(props, "logs") or []
                  if isinstance(log, dict) and ci_get(log, "enabled") is True}
    if any(str(ci_get(log, "categoryGroup") or "").lower() == "alllogs" and ci_get(log, "enabled") is True
           for log in ci_get(props, "logs") or [] if isinstance(log, dict)):
        categories.update(c.lower() for c in REQUIRED_LOGS)
    return categories - {""}, destinations


@check(
    id="LOG-1",
    action="Keep your Microsoft Entra sign-in and audit logs",
    fix=(
        "In the Microsoft Entra admin center, open Monitoring > Diagnostic settings and send the audit, "
        "sign-in and non-interactive sign-in logs to a Log Analytics workspace, a storage account or an "
        "event hub."
    ),
    effort="medium",
    tenant_wide=True,
    title="Entra ID audit and sign-in logs are kept beyond the built-in retention",
    area="azure",  # with AZR-5, its subscription-level sibling: "Azure governance and monitoring"
    severity="medium",
    applies_to=["customer", "partner"],
    needs=["entra_diagnostic_settings"],
    wave=3,
    references=[ENTRA_LOGS_REF],
    remediation="""
        In the Microsoft Entra admin center open Identity > Monitoring & health > Diagnostic settings > Add
        diagnostic setting, tick AuditLogs, SignInLogs and NonInteractiveUserSignInLogs, and send them to a
        Log Analytics workspace, a storage account or an event hub.
    """,
)
def entra_logs_exported(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Entra ID keeps audit and sign-in logs for 7 to 30 days; an intrusion found later needs a copy.

    Decisions: a diagnostic setting counts when it has a destination (`workspaceId`, `storageAccountId` or
    `eventHubAuthorizationRuleId` non-empty: Microsoft's own example carries `"workspaceId": ""`) and sends
    enabled logs. The categories of all such settings are taken together (rules version 3: combined
    effect); AuditLogs, SignInLogs and NonInteractiveUserSignInLogs must all be sent (`allLogs` sends all).
    The API refuses app-only tokens: an app-only run leaves this UNKNOWN, with that reason."""
    settings = snapshot.data("entra_diagnostic_settings") or []
    sent: set[str] = set()
    rows: list[Evidence] = []
    for setting in settings:
        categories, destinations = _exported(setting)
        counted = bool(destinations and categories)
        if counted:
            sent |= categories
        rows.append({"setting": str(ci_get(setting, "name") or "?"), "destinations": ", ".join(destinations),
                     "logs": ", ".join(sorted(categories)), "counted": "yes" if counted else "no"})
    if not settings:
        return Outcome(Status.FAIL, "No Entra ID diagnostic setting: audit and sign-in logs are kept only for the "
                       "built-in retention.", rows)
    missing = [name for name in REQUIRED_LOGS if name.lower() not in sent]
    if missing:
        return Outcome(Status.FAIL, f"No diagnostic setting sends {', '.join(missing)} to a workspace, storage "
                       "account or event hub.", rows)
    return Outcome(Status.PASS, "Audit, sign-in and non-interactive sign-in logs are exported.", rows)
