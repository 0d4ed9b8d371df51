"""Security contacts and alerts (area `contacts`)."""

from __future__ import annotations

from auditor.registry import CheckContext, Outcome, check
from auditor.results import Status
from auditor.snapshot import TenantSnapshot

ORGANIZATION_REF = "https://learn.microsoft.com/graph/api/resources/organization"


@check(
    id="CON-1",
    title="A security contact is set on the tenant",
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
        Organization profile > Release preferences / Security & privacy contact, or with Microsoft Graph
        PATCH /organization/{id} with "securityComplianceNotificationMails": ["security@yourdomain"].
        Also fill "Technical contact" in Microsoft Entra admin center > Identity > Overview > Properties.
    """,
)
def security_contact_set(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Security notifications from Microsoft reach a named mailbox.

    Microsoft sends security and compliance notices (breach notifications, suspicious activity on the
    tenant) to `securityComplianceNotificationMails`. When it is empty, nobody at the customer is told.

    Decision: technical notification mails alone do not count, because Microsoft uses them for service
    notices, not security incidents; the check FAILs and says that they are set. An organization list
    that is empty (the API answered but returned no organization) is UNKNOWN.
    """
    organizations = snapshot.data("organization")
    if not organizations:
        return Outcome(Status.UNKNOWN, "The organization endpoint returned no organization object.")
    org = organizations[0]
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
