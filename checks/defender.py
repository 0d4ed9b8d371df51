"""Microsoft Defender for Cloud and Secure Score (area `defender`)."""

from __future__ import annotations

from auditor.registry import CheckContext, Outcome, check
from auditor.results import Status
from auditor.snapshot import Section, SectionStatus, SubscriptionSnapshot, TenantSnapshot
from checks.azure import Verdict, arm_items, evaluate_subscriptions, newest, properties
from checks.ca_coverage import judge_admin_coverage
from checks.conditional_access import (
    ADMIN_COVERAGE_SECTIONS,
    assess_policies,
    grant_requires_compliant_device,
)

PRICINGS_REF = "https://learn.microsoft.com/rest/api/defenderforcloud/pricings/list"
SECURE_SCORE_REF = "https://learn.microsoft.com/graph/api/security-list-securescores"
CUSTOMER_PRACTICES_REF = "https://learn.microsoft.com/partner-center/customers/customer-security-best-practices"

def _provider_unregistered(subscription: SubscriptionSnapshot, name: str, section: Section) -> Verdict | None:
    """An unregistered Microsoft.Security provider means Defender for Cloud was never turned on: a FAIL,
    not an unknown. Only the collector's classification decides it: ``not_found``, which it gives to a list's
    *first* answer of 404 or ARM's 409 MissingSubscriptionRegistration (auditor/collect/answers.py). An
    error section (a later page failing, a reason that merely mentions registration) and a forbidden read
    stay UNKNOWN: the reason text is never parsed for a verdict."""
    if section.status is SectionStatus.NOT_FOUND:
        return Verdict.failed(
            f"the Microsoft.Security resource provider is not registered ({section.reason or section.status.value})"
        )
    return None


def _tiers(subscription: SubscriptionSnapshot) -> dict[str, str]:
    """Plan name -> pricing tier, for one subscription's pricings."""
    return {
        str(item.get("name", "")): str(properties(item).get("pricingTier", ""))
        for item in arm_items(subscription, "pricings")
    }


@check(
    id="DEF-1",
    title="Microsoft Defender for Cloud is enabled on every Azure subscription",
    action="Turn on Microsoft Defender for Cloud for every subscription",
    fix=(
        "In the Azure portal open Microsoft Defender for Cloud > Environment settings and open each "
        "listed subscription once; this turns on the free foundational tier."
    ),
    effort="low",
    area="defender",
    severity="high",
    applies_to=["customer"],
    needs=["pricings"],
    references=[PRICINGS_REF, CUSTOMER_PRACTICES_REF],
    remediation="""
        In the Azure portal open Microsoft Defender for Cloud > Environment settings, select each
        subscription listed in the evidence and open it once (this registers the Microsoft.Security
        resource provider and turns on the free foundational CSPM tier).

        Partner: scripted, with GDAP access to the subscription:
        `az provider register --namespace Microsoft.Security --subscription <subscription id>`.
    """,
)
def defender_enabled(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Defender for Cloud is on for every subscription, at least in its free foundational tier.

    Without Defender for Cloud nobody sees security recommendations or alerts for the subscription, and
    a compromised subscription (crypto-mining, the classic CSP fraud) goes unnoticed.

    Decisions: Defender is "on" when the subscription's pricings list holds at least one plan, whatever
    its tier: the free tier counts, as the checklist says. An empty pricings list, or a pricings read that
    answered not found or ARM's `MissingSubscriptionRegistration` error (the Microsoft.Security provider is
    not registered), is a FAIL, not an UNKNOWN. A forbidden read is UNKNOWN.
    """

    def judge(subscription: SubscriptionSnapshot) -> Verdict:
        tiers = _tiers(subscription)
        if not tiers:
            return Verdict.failed("no Defender for Cloud pricing is configured (the pricings list is empty)")
        standard = sorted(name for name, tier in tiers.items() if tier == "Standard")
        if standard:
            return Verdict.passed(f"enabled; Standard plans: {', '.join(standard)}")
        return Verdict.passed("enabled on the free foundational tier only")

    return evaluate_subscriptions(
        snapshot,
        ["pricings"],
        judge,
        fails="do not have Defender for Cloud enabled",
        passes="have Defender for Cloud enabled",
        on_missing=_provider_unregistered,
    )


@check(
    id="DEF-2",
    title="Defender plans for servers, storage, Key Vault and Resource Manager are on",
    action="Turn on the Defender plans for servers, storage, Key Vault and Resource Manager",
    fix=(
        "In Microsoft Defender for Cloud > Environment settings > each listed subscription > Defender "
        "plans, switch the listed plans to On."
    ),
    effort="low",
    area="defender",
    severity="medium",
    applies_to=["customer"],
    needs=["pricings"],
    references=[PRICINGS_REF, "https://learn.microsoft.com/azure/defender-for-cloud/enable-enhanced-security"],
    remediation="""
        In the Azure portal open Microsoft Defender for Cloud > Environment settings > the subscription >
        Defender plans, and switch the plans named in the evidence to On (Standard): Servers, Storage,
        Key Vault and Resource Manager.

        Partner: scripted, per plan:
        `az security pricing create --name <plan> --tier Standard --subscription <subscription id>`.
    """,
)
def defender_plans_on(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """The Defender plans that catch the usual Azure attacks are on the paid (Standard) tier.

    Defender for Servers, Storage, Key Vault and Resource Manager raise the alerts that reveal a
    hijacked subscription: suspicious VM creation, malware uploads, secret exfiltration, unusual
    management operations. The free tier gives recommendations only, no threat detection.

    Decisions: a plan counts only when its `pricingTier` is exactly "Standard" (a free trial is Standard
    too, so it counts while it lasts). A required plan absent from the list is off. Plan names are compared
    case-insensitively. An unregistered Microsoft.Security provider is a FAIL (no plan can be on). The list
    of required plans comes from the configuration (`defender_required_plans`).
    """
    required = tuple(ctx.settings.defender_required_plans)

    def judge(subscription: SubscriptionSnapshot) -> Verdict:
        tiers = {name.lower(): tier for name, tier in _tiers(subscription).items()}
        off = [plan for plan in required if tiers.get(plan.lower()) != "Standard"]
        if off:
            return Verdict.failed(f"plans not on Standard: {', '.join(off)}")
        return Verdict.passed(f"all required plans on Standard ({', '.join(required)})")

    return evaluate_subscriptions(
        snapshot,
        ["pricings"],
        judge,
        fails="lack required Defender plans",
        passes="have every required Defender plan on",
        on_missing=_provider_unregistered,
    )


@check(
    id="DEF-3",
    title="Microsoft Secure Score is at least 60 % of its maximum",
    action="Raise Microsoft Secure Score above 60 % of its maximum",
    fix=(
        "In the Microsoft Defender portal open Exposure management > Secure Score and work through the "
        "recommended actions with the highest impact first."
    ),
    effort="high",
    area="defender",
    severity="medium",
    applies_to=["customer", "partner"],
    needs=["secure_scores"],
    references=[SECURE_SCORE_REF, "https://learn.microsoft.com/defender-xdr/microsoft-secure-score"],
    remediation="""
        Open the Microsoft Defender portal (security.microsoft.com) > Exposure management > Secure Score >
        Recommended actions, and work through the actions with the highest score impact first (MFA for
        admins and users, blocking legacy authentication, and the others this report lists).
    """,
)
def secure_score(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """The tenant's Microsoft Secure Score reaches the threshold (60 % of the maximum by default).

    Secure Score sums Microsoft's own security recommendations for the tenant; a low score means many
    well-known hardening steps are missing. The comparative averages put the figure in context.

    Decisions: the latest daily score is the item with the latest `createdDateTime`. Graph documents the
    list newest first, which is why the collector asks for `$top=1`; when a snapshot holds several scores
    they are still chosen by date, not position, and several scores of which one is undated are UNKNOWN.
    An empty list (a new tenant has no score yet) or a maximum of zero is UNKNOWN. The score is compared as
    currentScore / maxScore >= threshold (`secure_score_threshold`).
    """
    scores = [s for s in snapshot.data("secure_scores") or [] if isinstance(s, dict)]
    if not scores:
        return Outcome(Status.UNKNOWN, "Microsoft returned no Secure Score for the tenant yet.")
    latest, why = newest(scores, "createdDateTime")
    if latest is None:
        return Outcome(Status.UNKNOWN, f"The latest Secure Score cannot be chosen: {why}.")
    current = latest.get("currentScore")
    maximum = latest.get("maxScore")
    if not isinstance(current, (int, float)) or not isinstance(maximum, (int, float)) or maximum <= 0:
        return Outcome(
            Status.UNKNOWN, f"The Secure Score has no usable figures (current {current!r}, max {maximum!r})."
        )

    ratio = current / maximum
    threshold = ctx.settings.secure_score_threshold
    evidence = [
        {"basis": "This tenant", "score": current, "max_score": maximum, "percent": round(ratio * 100, 1),
         "date": latest.get("createdDateTime", "")}
    ]
    for average in latest.get("averageComparativeScores") or []:
        evidence.append({
            "basis": f"Average: {average.get('basis', '?')}",
            "score": average.get("averageScore"),
            "max_score": None,
            "percent": None,
            "date": latest.get("createdDateTime", ""),
        })
    figures = f"{current:g} of {maximum:g} ({ratio:.0%}; threshold {threshold:.0%})"
    if ratio >= threshold:
        return Outcome(Status.PASS, f"Secure Score is {figures}.", evidence)
    return Outcome(Status.FAIL, f"Secure Score is only {figures}.", evidence)


DEVICE_CA_REF = "https://learn.microsoft.com/entra/identity/conditional-access/policy-all-users-device-compliance"


@check(
    id="DEF-4",
    title="Administrators must use a managed device",
    action="Require a managed device for administrators",
    fix=(
        "Enrol administrators' devices in Intune, then create a Conditional Access policy that requires "
        "a compliant device for the admin roles."
    ),
    effort="high",
    area="defender",
    severity="medium",
    applies_to=["customer", "partner"],
    needs=["conditional_access_policies"],
    reads=ADMIN_COVERAGE_SECTIONS,
    references=[DEVICE_CA_REF, "https://learn.microsoft.com/security/privileged-access-workstations/privileged-access-devices"],
    remediation="""
        Enrol administrators' workstations in Intune (or join them to the domain with hybrid join), then
        create a Conditional Access policy: include the privileged directory roles (Global, Privileged Role,
        Security, Exchange, SharePoint, User, ... Administrator) or All users, All cloud apps, Grant =
        Require device to be marked as compliant (alone, or together with MFA using "Require all the
        selected controls"), and set it to On. Exclude at most your break-glass accounts.
    """,
)
def admins_use_managed_devices(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Privileged roles can only be used from a compliant (Intune-managed) or domain-joined device.

    An administrator's session on an unmanaged, possibly infected home PC can be hijacked (token theft,
    keyloggers) whatever MFA was used; requiring a managed device keeps admin work on hardened machines.

    Decisions: a policy that counts (enabled, all cloud apps, not narrowed, at most 2 break-glass
    exclusions) must cover every privileged role held, or all users, with `compliantDevice` mandatory:
    operator AND, the only control, or an OR of `compliantDevice` and `domainJoinedDevice` only (both are
    managed devices). An OR with `mfa` or anything else leaves the device optional and does not count.
    Security defaults do not require managed devices, so they are not considered. Roles held are counted as
    for MFA-2 (active, eligible where readable, groups expanded); an all-users policy PASSes even when role
    assignments are unreadable.
    """
    assessments = assess_policies(snapshot, ctx, grant_requires_compliant_device)
    return judge_admin_coverage(snapshot, assessments, "requires a compliant or domain-joined device")
