"""The roles a delegated (GDAP) run asks for, as verified against Microsoft's documentation (issue 14; the
sources are named next to GDAP_ROLES in auditor/collect/permissions.py), and the fixes a refusal names."""

from __future__ import annotations

import json

import pytest

from auditor.collect.answers import ACCESS, failure
from auditor.collect.permissions import (
    AZURE_ROLES,
    DELEGATED_ONLY_ROLES,
    GDAP_ROLE_PURPOSE,
    GDAP_ROLES,
    PARTNER_AGENT_ROLE,
    gdap_fix,
    gdap_role_for,
)
from auditor.collect.plan import (
    ARM_SUBSCRIPTION_REQUESTS,
    ARM_SUBSCRIPTIONS,
    ENTRA_DIAGNOSTIC_SETTINGS,
    GRAPH_REQUESTS,
    PARTNER_CENTER_PATHS,
    PARTNER_ONLY_SECTIONS,
)
from auditor.snapshot import SUBSCRIPTION_SECTIONS, TENANT_SECTIONS
from auditor.snapshot import SectionStatus

# Section -> role, one request at a time against Microsoft's pages (customer-tenant reads through the GDAP
# relationship). Changing a row means the documentation was read again.
VERIFIED = {
    "organization": "Directory Readers",
    "users": "Directory Readers",
    "group_members": "Directory Readers",
    "azure_group_members": "Directory Readers",
    "role_assignments": "Directory Readers",
    "security_defaults": "Security Reader",
    "conditional_access_policies": "Security Reader",
    "authentication_strength_policies": "Security Reader",
    "role_eligibility_schedules": "Security Reader",
    "role_assignment_schedule_instances": "Security Reader",
    "secure_scores": "Security Reader",
    "risky_users": "Security Reader",
    "user_registration_details": "Reports Reader",
    "sign_in_activity": "Reports Reader",
    "service_provider_sign_ins": "Reports Reader",
    "authentication_methods": "Global Reader",
}
DENIED = json.dumps({"error": {"code": "Authorization_RequestDenied",
                               "message": "Insufficient privileges to complete the operation."}}).encode()


def test_the_gdap_roles_are_the_verified_ones() -> None:
    assert GDAP_ROLES == VERIFIED
    assert DELEGATED_ONLY_ROLES["entra_diagnostic_settings"] == "Security Reader"
    assert {DELEGATED_ONLY_ROLES[s] for s in PARTNER_CENTER_PATHS} == {PARTNER_AGENT_ROLE}
    # Every role the table names says what it adds.
    assert set(GDAP_ROLES.values()) <= set(GDAP_ROLE_PURPOSE)


def test_every_section_the_collector_can_produce_has_an_explicit_role() -> None:
    """No section relies on gdap_role_for's last-resort fallback: each Graph section is a GDAP relationship
    role or a partner-tenant read, each ARM section an Azure role, each delegated-only section its own."""
    graph = set(GRAPH_REQUESTS)
    arm = {ARM_SUBSCRIPTIONS.section, *ARM_SUBSCRIPTION_REQUESTS}
    delegated = {ENTRA_DIAGNOSTIC_SETTINGS.section, *PARTNER_CENTER_PATHS}
    # The collector's plan and the snapshot format agree on what exists.
    assert graph | arm | delegated == set(TENANT_SECTIONS) | set(SUBSCRIPTION_SECTIONS)

    customer_graph = graph - set(PARTNER_ONLY_SECTIONS)
    assert customer_graph == set(GDAP_ROLES), "a customer-tenant Graph section without a GDAP role (or a stale one)"
    assert not set(GDAP_ROLES) & set(PARTNER_ONLY_SECTIONS)  # partner-tenant reads are never a GDAP role
    for section in PARTNER_ONLY_SECTIONS:
        assert gdap_role_for(section) == PARTNER_AGENT_ROLE
    assert arm <= set(AZURE_ROLES)
    assert delegated <= set(DELEGATED_ONLY_ROLES)
    for section in customer_graph | delegated:
        assert gdap_role_for(section) == (GDAP_ROLES.get(section) or DELEGATED_ONLY_ROLES[section])


@pytest.fixture
def gdap_access():
    token = ACCESS.set("gdap")
    yield
    ACCESS.reset(token)


@pytest.mark.usefixtures("gdap_access")
def test_a_refusal_names_the_verified_fix() -> None:
    groups = failure("azure_group_members", 403, DENIED)
    assert groups.status is SectionStatus.FORBIDDEN
    assert "add the Directory Readers role to the GDAP relationship" in groups.reason  # no Global Reader fallback
    assert "add the Reports Reader role" in failure("user_registration_details", 403, DENIED).reason
    # A partner-tenant read is the signed-in user's own role there, not a GDAP relationship.
    relationships = failure("delegated_admin_relationships", 403, DENIED).reason
    assert "Admin agent role in Partner Center" in relationships and "GDAP relationship" not in relationships
    # Entra diagnostic settings are ARM but need an Entra role in the relationship, not an Azure role.
    diagnostics = failure("entra_diagnostic_settings", 403, DENIED, arm=True).reason
    assert "add the Security Reader role to the GDAP relationship" in diagnostics
    assert "Azure role" not in diagnostics
    # Subscription reads stay Azure roles of the GDAP security group.
    assert "lacks the Cost Management Reader Azure role" in failure("budgets", 403, DENIED, arm=True).reason


def test_gdap_fix_wording() -> None:
    assert gdap_fix("authentication_methods") == "add the Global Reader role to the GDAP relationship"
    assert gdap_fix("contracts") == "give the signed-in user the Admin agent role in Partner Center (partner tenant)"
