"""Security contacts and alerts (area `contacts`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from auditor.registry import CheckContext, Outcome, check
from auditor.results import Evidence, Status
from auditor.snapshot import SubscriptionSnapshot, TenantSnapshot
from checks.azure import Verdict, arm_items, evaluate_subscriptions, first_working, parse_time, properties

ORGANIZATION_REF = "https://learn.microsoft.com/graph/api/resources/organization"


def tenant_organization(organizations: list[dict[str, Any]], tenant_id: str) -> dict[str, Any] | None:
    """The organization object of the tenant: the one whose `id` is the tenant id (compared case-
    insensitively), else the only object of the list; None when several objects exist and none matches."""
    matching = [o for o in organizations if str(o.get("id") or "").lower() == tenant_id.lower()]
    if matching:
        return matching[0]
    return organizations[0] if len(organizations) == 1 else None


@check(
    id="CON-1",
    title="A security contact is set on the tenant",
    action="Set a security contact for the tenant",
    fix=(
        "In the Microsoft 365 admin center open Settings > Org settings > Organization profile and enter "
        "a monitored security mailbox as the security contact."
    ),
    effort="low",
    area="contacts",
    severity="high",
    applies_to=["customer", "partner"],
    needs=["organization"],
    references=[
        "https://learn.microsoft.com/partner-center/customers/customer-security-best-practices",
        ORGANIZATION_REF,
    ],
    remediation="""
        Set a monitored security mailbox (a shared mailbox or distribution list, not one person) as the
        tenant's security contact: in the Microsoft 365 admin center open Settings > Org settings >
        Organization profile > Release preferences / Security & privacy contact. Also fill "Technical contact"
        in Microsoft Entra admin center > Identity > Overview > Properties.

        Partner: scripted, with Microsoft Graph: PATCH /organization/{id} with
        "securityComplianceNotificationMails": ["security@yourdomain"].
    """,
)
def security_contact_set(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Security notifications from Microsoft reach a named mailbox.

    Microsoft sends security and compliance notices (breach notifications, suspicious activity on the
    tenant) to `securityComplianceNotificationMails`. When it is empty, nobody at the customer is told.

    Decisions: technical notification mails alone do not count, because Microsoft uses them for service
    notices, not security incidents; the check FAILs and says that they are set. The tenant's organization
    is the object whose `id` is the tenant id, never "the first" of the list (the list holds one object in
    practice, which is then used whatever its id). An organization list that is empty (the API answered but
    returned no organization), or holds several objects none of which is the tenant, is UNKNOWN.
    """
    organizations = [o for o in snapshot.data("organization") or [] if isinstance(o, dict)]
    if not organizations:
        return Outcome(Status.UNKNOWN, "The organization endpoint returned no organization object.")
    org = tenant_organization(organizations, snapshot.tenant.id)
    if org is None:
        return Outcome(Status.UNKNOWN, f"The organization endpoint returned {len(organizations)} objects and none "
                                       f"has the tenant's id {snapshot.tenant.id}.")
    security_mails = [m for m in org.get("securityComplianceNotificationMails") or [] if m and m.strip()]
    technical_mails = [m for m in org.get("technicalNotificationMails") or [] if m and m.strip()]
    if security_mails:
        return Outcome(
            Status.PASS,
            f"Security notifications go to {', '.join(security_mails)}.",
            [{"setting": "securityComplianceNotificationMails", "value": mail} for mail in security_mails],
        )
    if technical_mails:
        return Outcome(
            Status.FAIL,
            "No security contact is set; only technical notification mails "
            f"({', '.join(technical_mails)}), which do not receive security notices.",
            [{"setting": "technicalNotificationMails", "value": mail} for mail in technical_mails],
        )
    return Outcome(
        Status.FAIL,
        "No security contact and no technical contact is set on the tenant.",
        [{"setting": "securityComplianceNotificationMails", "value": "(empty)"}],
    )


# --- CON-2 -----------------------------------------------------------------------------------------------

SECURITY_CONTACTS_REF = "https://learn.microsoft.com/rest/api/defenderforcloud/security-contacts/list"
ALERT_SEVERITIES = frozenset({"low", "medium", "high"})


def _emails(props: dict[str, Any]) -> list[str]:
    """`emails` is one string, semicolon-separated ("john@contoso.com;Jane@contoso.com")."""
    raw = props.get("emails") or ""
    parts = raw if isinstance(raw, list) else str(raw).replace(",", ";").split(";")
    return [p.strip() for p in parts if p and str(p).strip()]


def _severity_ok(value: Any, *, required: bool) -> bool:
    if value is None:
        return not required
    return str(value).lower() in ALERT_SEVERITIES


def contact_problems(props: dict[str, Any]) -> list[str]:
    """What keeps one security contact from notifying anyone; empty when it works. Reads both API
    versions' shapes (see CON-2's docstring)."""
    problems = []
    if not _emails(props):
        problems.append("no email address")
    if "notificationsSources" in props or "isEnabled" in props:  # 2023-12-01-preview and later
        if props.get("isEnabled") is not True:
            problems.append("notifications disabled (isEnabled is not true)")
        alert_sources = [
            s for s in props.get("notificationsSources") or []
            if isinstance(s, dict) and s.get("sourceType") == "Alert"
        ]
        if not alert_sources:
            problems.append("no notification source of type Alert")
        elif not any(_severity_ok(s.get("minimalSeverity"), required=True) for s in alert_sources):
            values = ", ".join(repr(s.get("minimalSeverity")) for s in alert_sources)
            problems.append(f"alert source has an unknown minimal severity ({values})")
    elif "alertNotifications" in props:  # 2020-01-01-preview
        alerts = props.get("alertNotifications") or {}
        if str(alerts.get("state", "")).lower() != "on":
            problems.append(f"alert notifications are {alerts.get('state') or 'not set'}")
        elif not _severity_ok(alerts.get("minimalSeverity"), required=False):
            problems.append(f"alert notifications have an unknown minimal severity ({alerts.get('minimalSeverity')!r})")
    else:
        problems.append("no alert notification settings")
    by_role = props.get("notificationsByRole") or {}
    roles = [str(r).lower() for r in by_role.get("roles") or []]
    if str(by_role.get("state", "")).lower() != "on" or "owner" not in roles:
        problems.append("subscription owners are not notified")
    return problems


def _contact_problem(contact: dict[str, Any]) -> str | None:
    problems = contact_problems(properties(contact))
    return f"contact {contact.get('name', '?')}: {'; '.join(problems)}" if problems else None


def _contact_notifies(contact: dict[str, Any]) -> str:
    return f"contact {contact.get('name', '?')} notifies {', '.join(_emails(properties(contact)))} and owners"


@check(
    id="CON-2",
    title="Every Azure subscription has a Defender for Cloud security contact that receives alerts",
    action="Send Defender for Cloud alerts to a security mailbox",
    fix=(
        "In Microsoft Defender for Cloud > Environment settings > each listed subscription > Email "
        "notifications, add a monitored mailbox and notify on alerts of Medium severity or higher."
    ),
    effort="low",
    area="contacts",
    severity="high",
    applies_to=["customer"],
    needs=["security_contacts"],
    references=[
        SECURITY_CONTACTS_REF,
        "https://learn.microsoft.com/azure/defender-for-cloud/configure-email-notifications",
    ],
    remediation="""
        In the Azure portal open Microsoft Defender for Cloud > Environment settings > the subscription >
        Email notifications. Enter a monitored security mailbox under "Additional email addresses",
        tick "Notify about alerts with the following severity (or higher)" with Medium or Low, and under
        "Email recipients by role" select Owner. Save. Repeat for every subscription in the evidence.
    """,
)
def subscription_security_contact(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Defender for Cloud alerts on each subscription reach a mailbox and the subscription owners.

    When Defender detects a compromised VM, crypto-mining or a suspicious deployment, its email to the
    security contact is often the only signal the customer gets. Without a contact, alerts sit unread.

    Decisions: a subscription passes when at least one of its security contacts has an email address,
    notifies its Owners (`notificationsByRole.state` On with Owner among the roles) and has alert
    notifications on. Alert notifications read from either API version: 2023-12-01-preview needs
    `isEnabled` true and a `notificationsSources` entry of type Alert; 2020-01-01-preview needs
    `alertNotifications.state` On. A minimal severity other than Low, Medium or High is treated as not
    notifying (2020-01-01-preview may omit it: Azure then applies its default). An empty contact list FAILs.
    """

    def judge(subscription: SubscriptionSnapshot) -> Verdict:
        return first_working(
            arm_items(subscription, "security_contacts"),
            _contact_problem,
            none="no security contact is configured",
            works=_contact_notifies,
            separator=" | ",  # one contact's problems are already joined by "; "
        )

    return evaluate_subscriptions(
        snapshot,
        ["security_contacts"],
        judge,
        fails="have no security contact that receives alerts",
        passes="have a security contact that receives alerts",
    )


# --- CON-3 -----------------------------------------------------------------------------------------------

PARTNER_ALERTS_REF = (
    "https://learn.microsoft.com/graph/api/partner-security-partnersecurityalert-list-securityalerts"
    "?view=graph-rest-beta"
)


def _is_test(alert: dict[str, Any]) -> bool:
    """`isTest` is documented as a Boolean but the service answers the string "false"; read both."""
    value = alert.get("isTest")
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return value is True


@check(
    id="CON-3",
    title="No partner security alert stays unhandled for more than 24 hours",
    action="Handle open partner security alerts now",
    fix=(
        "In Partner Center > Security center > Security alerts, investigate each listed alert, stop "
        "suspicious resources, then mark it resolved."
    ),
    effort="medium",
    area="contacts",
    severity="critical",
    applies_to=["partner"],
    needs=["partner_security_alerts"],
    references=[
        PARTNER_ALERTS_REF,
        "https://learn.microsoft.com/partner-center/security/security-alerts",
        "https://learn.microsoft.com/partner-center/security/partner-security-best-practices",
    ],
    remediation="""
        Open Partner Center > Security center > Security alerts (or Graph beta
        /security/partner/securityAlerts), and for each alert in the evidence investigate the affected
        customer subscription now: stop suspicious resources, rotate credentials, contact the customer.
        Then move the alert to "investigating" and, once handled, "resolved" with a reason. Make sure
        the alert e-mails reach an on-call mailbox so new alerts are picked up within hours.
    """,
)
def partner_alerts_handled(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Partner Center security alerts (crypto-mining, usage anomalies, fraud) are picked up quickly.

    These alerts flag customer Azure subscriptions that are probably compromised; every hour unhandled
    costs money the partner is liable for and leaves the attacker in place. Microsoft expects partners to
    act within 24 hours.

    Decisions: an alert counts as unhandled only while its status is "active" (one moved to
    investigating or resolved is being handled). Its age runs from `firstObservedDateTime`, or
    `detectedDateTime` when that is missing; older than `partner_alert_grace_hours` (24 by default,
    strictly more) FAILs. Test alerts (`isTest` true, as a Boolean or the string "true") are not a threat
    and never fail the check; they are listed in the evidence, marked as tests. An active alert whose time
    cannot be read is UNKNOWN unless another alert FAILs.
    """
    grace = timedelta(hours=ctx.settings.partner_alert_grace_hours)
    rows: list[Evidence] = []
    overdue = within_grace = undated = tests = 0
    for alert in snapshot.data("partner_security_alerts") or []:
        if str(alert.get("status", "")).lower() != "active":
            continue
        raised = parse_time(alert.get("firstObservedDateTime")) or parse_time(alert.get("detectedDateTime"))
        is_test = _is_test(alert)
        if is_test:
            state, tests = "test alert (ignored)", tests + 1
        elif raised is None:
            state, undated = "no readable time", undated + 1
        elif ctx.now - raised > grace:
            state, overdue = "overdue", overdue + 1
        else:
            state, within_grace = "within grace period", within_grace + 1
        rows.append({
            "alert": alert.get("displayName", ""),
            "alert_id": alert.get("id", ""),
            "type": alert.get("alertType", ""),
            "severity": alert.get("severity", ""),
            "customer_tenant_id": alert.get("customerTenantId", ""),
            "subscription_id": alert.get("subscriptionId", ""),
            "raised": raised.isoformat() if raised else "",
            "hours_open": round((ctx.now - raised).total_seconds() / 3600, 1) if raised else None,
            "state": state,
        })
    order = {"overdue": 0, "no readable time": 1, "within grace period": 2, "test alert (ignored)": 3}
    rows.sort(key=lambda r: (order[r["state"]], r["raised"]))
    hours = ctx.settings.partner_alert_grace_hours
    if overdue:
        return Outcome(
            Status.FAIL, f"{overdue} partner security alert(s) are still active after more than {hours} hours.", rows
        )
    if undated:
        return Outcome(Status.UNKNOWN, f"{undated} active partner security alert(s) have no readable raise time.", rows)
    summary = f"No partner security alert is active for more than {hours} hours"
    extras = []
    if within_grace:
        extras.append(f"{within_grace} active alert(s) are still within the grace period")
    if tests:
        extras.append(f"{tests} active test alert(s) were ignored")
    return Outcome(Status.PASS, summary + (f" ({'; '.join(extras)})." if extras else "."), rows)
