"""The sections only a delegated (GDAP) sign-in can read (issue 14): Entra ID's diagnostic settings (ARM,
tenant level, LOG-1) in every tenant, and Partner Center's customers, usage budgets and webhook registration
(CST-3, PAR-7) in the partner tenant. App-only runs record each as `not_collected` with the reason."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

from auditor.collect.answers import Fetched
from auditor.collect.arm import ArmReader
from auditor.collect.partner_center import PartnerCenterReader, request_line
from auditor.collect.plan import ENTRA_DIAGNOSTIC_SETTINGS
from auditor.config import AuditConfig
from auditor.snapshot import DELEGATED_SECTIONS, Section, SectionStatus, TenantKind

APP_ONLY_DIAGNOSTICS = ("Microsoft's API for Entra ID diagnostic settings refuses app-only tokens; it is read "
                        "with a partner user's delegated sign-in ([auth] method = \"gdap\")")
APP_ONLY_PARTNER_CENTER = ("Partner Center's customers, usage budgets and webhooks are read with a partner user's "
                           "delegated sign-in ([auth] method = \"gdap\"), not with app-only access")
PARTNER_TENANT_ONLY = "Partner Center is read in the partner tenant only"


def _section(fetched: Fetched, request: str) -> Section:
    return Section(status=fetched.status, reason=fetched.reason, request=request,
                   data=fetched.data if fetched.ok else None)


def _not_collected(reason: str) -> dict[str, Section]:
    return {name: Section.missing(SectionStatus.NOT_COLLECTED, reason, _request(name)) for name in DELEGATED_SECTIONS}


def _request(name: str) -> str:
    return ENTRA_DIAGNOSTIC_SETTINGS.request_line() if name == "entra_diagnostic_settings" else request_line(name)


def app_only_sections() -> dict[str, Section]:
    """The delegated-only sections as an app-only run records them: not_collected, with the reason."""
    sections = _not_collected(APP_ONLY_PARTNER_CENTER)
    sections["entra_diagnostic_settings"] = Section.missing(
        SectionStatus.NOT_COLLECTED, APP_ONLY_DIAGNOSTICS, ENTRA_DIAGNOSTIC_SETTINGS.request_line())
    return sections


async def collect_delegated_sections(
    config: AuditConfig, kind: TenantKind, credential: Any, arm: ArmReader, trust: ssl.SSLContext, timeout_s: float
) -> tuple[dict[str, Section], int]:
    """The delegated-only sections of one tenant and the number of Partner Center requests sent."""
    if config.auth.method != "gdap":
        return app_only_sections(), 0
    sections = _not_collected(PARTNER_TENANT_ONLY)
    diagnostics = await arm.list("entra_diagnostic_settings", ENTRA_DIAGNOSTIC_SETTINGS.relative_url())
    sections["entra_diagnostic_settings"] = _section(diagnostics, ENTRA_DIAGNOSTIC_SETTINGS.request_line())
    if kind is not TenantKind.PARTNER:
        return sections, 0
    reader = PartnerCenterReader(credential, config.endpoints.partner_center, timeout_s, trust)
    try:
        customers, webhook = await asyncio.gather(reader.customers(), reader.webhook_registration())
        sections["partner_center_customers"] = _section(customers, request_line("partner_center_customers"))
        if webhook.status is SectionStatus.NOT_FOUND:  # no registration at all: an answer, not a gap
            webhook = Fetched.good({})
        sections["partner_center_webhook_registration"] = _section(
            webhook, request_line("partner_center_webhook_registration"))
        sections["partner_center_usage_budgets"] = await _budgets(reader, customers)
        return sections, reader.requests_sent
    finally:
        await reader.close()


async def _budgets(reader: PartnerCenterReader, customers: Fetched) -> Section:
    """{customer id: SpendingBudget, or None when Partner Center has none for it (404: no Azure plan)}."""
    request = request_line("partner_center_usage_budgets", "{id}")
    if not customers.ok:
        return Section.missing(SectionStatus.NOT_COLLECTED, f"needs partner_center_customers, which is "
                               f"{customers.status.value} ({customers.reason})", request)
    ids = [str(c.get("id")) for c in customers.data if c.get("id")]
    limit = asyncio.Semaphore(8)

    async def one(customer_id: str) -> Fetched:
        async with limit:
            return await reader.usage_budget(customer_id)

    answers = await asyncio.gather(*(one(i) for i in ids))
    budgets: dict[str, Any] = {}
    for customer_id, fetched in zip(ids, answers):
        if fetched.status is SectionStatus.NOT_FOUND:
            budgets[customer_id] = None
        elif fetched.ok:
            budgets[customer_id] = fetched.data
        else:  # one customer's refusal or error: the section says so, the check is UNKNOWN
            return Section.missing(fetched.status, f"customer {customer_id}: {fetched.reason}", request)
    return Section.of(budgets, request)
