"""Small snapshots built in tests. Sections not given are `not_collected`, so a check under test sees only
the data the test names; a section given as plain data is `ok`, a `Section` is used as it is."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from auditor.snapshot import (
    SCHEMA_VERSION,
    SUBSCRIPTION_SECTIONS,
    TENANT_SECTIONS,
    Section,
    SectionStatus,
    SubscriptionSnapshot,
    Tenant,
    TenantKind,
    TenantSnapshot,
)

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
TENANT_ID = "4b7e6d2a-1c3f-4e5a-9b8c-7d6e5f4a3b2c"


def as_section(value: Any) -> Section:
    if isinstance(value, Section):
        return value
    return Section.of(value, request="test")


def forbidden(permission: str = "Policy.Read.All") -> Section:
    return Section.missing(SectionStatus.FORBIDDEN, f"the app lacks the {permission} permission", "test")


def not_licensed(licence: str = "Microsoft Entra ID P1") -> Section:
    return Section.missing(SectionStatus.NOT_LICENSED, f"the tenant has no {licence} licence", "test")


def not_collected() -> Section:
    return Section.missing(SectionStatus.NOT_COLLECTED, "not collected in this test")


def subscription(subscription_id: str, name: str = "", **sections: Any) -> SubscriptionSnapshot:
    full = {key: not_collected() for key in SUBSCRIPTION_SECTIONS}
    full.update({key: as_section(value) for key, value in sections.items()})
    return SubscriptionSnapshot(subscription_id=subscription_id, display_name=name or subscription_id, sections=full)


def make_snapshot(
    kind: str = "customer",
    tenant_id: str = TENANT_ID,
    name: str = "Test Tenant Ltd",
    subscriptions: list[SubscriptionSnapshot] | Section | None = None,
    **sections: Any,
) -> TenantSnapshot:
    full = {key: not_collected() for key in TENANT_SECTIONS}
    full.update({key: as_section(value) for key, value in sections.items()})
    if isinstance(subscriptions, Section):  # the subscription list itself unreadable
        full["subscriptions"], subscriptions = subscriptions, []
    elif subscriptions is not None and "subscriptions" not in sections:
        full["subscriptions"] = as_section([
            {
                "id": f"/subscriptions/{s.subscription_id}",
                "subscriptionId": s.subscription_id,
                "tenantId": tenant_id,
                "displayName": s.display_name,
                "state": "Enabled",
            }
            for s in subscriptions
        ])
    return TenantSnapshot(
        schema_version=SCHEMA_VERSION,
        tenant=Tenant(id=tenant_id, display_name=name, default_domain="test.onmicrosoft.com", kind=TenantKind(kind)),
        collected_at=NOW,
        tool_version="test",
        sections=full,
        azure_subscriptions=subscriptions or [],
    )
