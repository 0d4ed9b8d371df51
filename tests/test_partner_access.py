"""PAR-5 (active GDAP relationships in use) and PAR-6 (every partner seen is a known one), from the
documented shapes: gdap_relationships.json, gdap_access_assignments.json, signins_beta_list_nextlink.json,
directory_object_partner_reference_stub.json."""

from __future__ import annotations

import copy
from datetime import timedelta

from auditor.evaluate import run_check
from auditor.registry import CheckContext, PartnerContext, Registry
from auditor.results import Status
from tests.builders import NOW, forbidden, make_snapshot, not_licensed

REGISTRY = Registry.from_modules("checks.partner_access")
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
OUR_PARTNER = "4f7a7bc2-28e2-46a3-b90e-5ade5bc90138"
OTHER_MSP = "99081087-73c4-48d1-a112-f60ff75114f7"
STRANGER = "ca6f6f2c-0c3e-4d1b-9d2e-4f5a6b7c8d9e"
CUSTOMER = "52eaad04-13a2-4a2f-9ce8-93a294fadf36"

CONFIGURED = CheckContext(now=NOW, partner=PartnerContext(
    tenant_id=OUR_PARTNER, name="Northwind Cloud Partners", known_partner_tenants=frozenset({OUR_PARTNER, OTHER_MSP}),
    partner_read=True))
NO_PARTNER = CheckContext(now=NOW)


def run(check_id, snapshot, ctx=CONFIGURED):
    return run_check(REGISTRY.get(check_id), snapshot, ctx)


# --- PAR-5 ---------------------------------------------------------------------------------------------

def relationship(rid: str, status: str = "active") -> dict:
    """gdap_relationships.json's shape ($select applied)."""
    return {"@odata.type": "#microsoft.graph.delegatedAdminRelationship", "id": rid,
            "displayName": f"Contoso admin relationship {rid[:4]}", "status": status,
            "customer": {"tenantId": CUSTOMER, "displayName": "Contoso Inc"},
            "accessDetails": {"unifiedRoles": [{"roleDefinitionId": DIRECTORY_READERS}]},
            "duration": "P730D", "autoExtendDuration": "P180D", "createdDateTime": "2026-02-10T11:24:42Z",
            "activatedDateTime": "2026-02-10T11:26:44Z", "endDateTime": "2028-02-10T11:24:42Z"}


def access_assignment(status: str = "active") -> dict:
    """gdap_access_assignments.json's shape."""
    return {"@odata.type": "#microsoft.graph.delegatedAdminAccessAssignment", "id": "c5ba7fa4-0f5a-4b3a-b1f5-8b8ec6c9f3c8",
            "status": status, "accessContainer": {"accessContainerId": "227a2f44-2682-4831-a021-f8d69a34bcba",
                                                  "accessContainerType": "securityGroup"},
            "accessDetails": {"unifiedRoles": [{"roleDefinitionId": DIRECTORY_READERS}]}}


def partner_tenant(relationships, assignments):
    return make_snapshot(kind="partner", delegated_admin_relationships=relationships,
                         delegated_admin_access_assignments=assignments)


def test_par5_passes_when_every_active_relationship_has_an_active_assignment():
    rels = [relationship("rel-a"), relationship("rel-b", "terminated")]
    assert run("PAR-5", partner_tenant(rels, {"rel-a": [access_assignment()]})).status is Status.PASS


def test_par5_fails_naming_unused_relationships_and_their_customer():
    rels = [relationship("rel-a"), relationship("rel-b"), relationship("rel-c", "expiring")]
    result = run("PAR-5", partner_tenant(rels, {"rel-a": [access_assignment()], "rel-b": [],
                                                "rel-c": [access_assignment("deleted")]}))
    assert result.status is Status.FAIL
    assert [r["relationship_id"] for r in result.evidence] == ["rel-b", "rel-c"]
    assert {r["customer"] for r in result.evidence} == {"Contoso Inc"}
    assert result.evidence[1]["assignments"] == "none active (1 in other states)"


def test_par5_unknown_when_assignments_were_not_read():
    rels = [relationship("rel-a")]
    assert run("PAR-5", partner_tenant(rels, forbidden("DelegatedAdminRelationship.Read.All"))).status is Status.UNKNOWN
    assert run("PAR-5", partner_tenant(rels, {})).status is Status.UNKNOWN


def test_par5_not_applicable_without_active_relationships():
    result = run("PAR-5", partner_tenant([relationship("rel-a", "terminated")], {}))
    assert result.status is Status.NOT_APPLICABLE


# --- PAR-6 ---------------------------------------------------------------------------------------------

ADMIN = {"@odata.type": "#microsoft.graph.user", "id": "ace08ec9-aa11-4ada-9145-addf0398233e",
         "displayName": "Joey Cruz", "userPrincipalName": "joeyc@contoso.com", "userType": "Member"}


def partner_reference(tenant: str, name: str = "Litware AdminAgents") -> dict:
    return {"@odata.type": "#microsoft.graph.directoryObjectPartnerReference", "id": f"{tenant[:8]}-3b87-42c4-873b-c442873bc442",
            "deletedDateTime": None, "description": name, "displayName": name, "externalPartnerTenantId": tenant,
            "objectType": "Group"}


def role(expanded: dict, role_id: str = GLOBAL_ADMIN) -> dict:
    return {"id": f"ra-{expanded['id'][:8]}-1", "principalId": expanded["id"], "roleDefinitionId": role_id,
            "directoryScopeId": "/", "principal": expanded}


def sign_in(home: str, days_ago: float = 2, access: str = "serviceProvider", kind: str = "interactiveUser") -> dict:
    """signins_beta_list_nextlink.json's sign-in, as a service provider's technician ($select applied)."""
    return {"id": "1691d37b-8579-43a7-966a-0f35583c1300",
            "createdDateTime": (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "userDisplayName": "Test contoso", "userPrincipalName": "testaccount1@contoso.com",
            "homeTenantId": home, "homeTenantName": "", "resourceTenantId": CUSTOMER, "appDisplayName": "Azure Portal",
            "crossTenantAccessType": access, "signInEventTypes": [kind]}


def customer(roles=(), sign_ins=()):
    return make_snapshot(role_assignments=[role(ADMIN), *roles], users=[ADMIN],
                         service_provider_sign_ins=sign_ins if not isinstance(sign_ins, tuple) else list(sign_ins))


def test_par6_passes_when_every_partner_is_configured_or_known():
    snapshot = customer([role(partner_reference(OUR_PARTNER, "Northwind AdminAgents"))],
                        [sign_in(OUR_PARTNER), sign_in(OTHER_MSP, kind="nonInteractiveUser")])
    result = run("PAR-6", snapshot)
    assert result.status is Status.PASS, result.summary
    verdicts = {r["partner_tenant_id"]: r["verdict"] for r in result.evidence}
    assert verdicts == {OUR_PARTNER: "configured partner", OTHER_MSP: "known partner (known_partners)"}


def test_par6_fails_naming_an_unfamiliar_partner_from_a_principal_or_a_sign_in():
    by_role = run("PAR-6", customer([role(partner_reference(STRANGER), DIRECTORY_READERS)], [sign_in(OUR_PARTNER)]))
    assert by_role.status is Status.FAIL and STRANGER in by_role.summary and "Litware AdminAgents" in by_role.summary
    by_sign_in = run("PAR-6", customer(sign_ins=[sign_in(STRANGER)]))
    assert by_sign_in.status is Status.FAIL and STRANGER in by_sign_in.summary


def test_par6_ignores_sign_ins_older_than_30_days_and_other_access_types():
    old = run("PAR-6", customer(sign_ins=[sign_in(STRANGER, days_ago=31), sign_in(STRANGER, access="b2bCollaboration")]))
    assert old.status is Status.PASS
    flags = run("PAR-6", customer(sign_ins=[sign_in(STRANGER, access="b2bCollaboration,serviceProvider")]))
    assert flags.status is Status.FAIL


def test_par6_manual_without_a_configured_partner():
    result = run("PAR-6", customer([role(partner_reference(STRANGER))], [sign_in(OUR_PARTNER)]), NO_PARTNER)
    assert result.status is Status.MANUAL
    assert {r["verdict"] for r in result.evidence} == {"to confirm with the customer"}


def test_par6_sign_ins_not_licensed_judged_on_principals_alone():
    snapshot = customer([role(partner_reference(OUR_PARTNER))], not_licensed("Microsoft Entra ID P1"))
    result = run("PAR-6", snapshot)
    assert result.status is Status.PASS
    assert any("Microsoft Entra ID P1" in r["seen_as"] for r in result.evidence)
    failing = run("PAR-6", customer([role(partner_reference(STRANGER))], not_licensed("Microsoft Entra ID P1")))
    assert failing.status is Status.FAIL


def test_par6_unknown_for_unreadable_sign_ins_unclassified_holders_or_roles():
    assert run("PAR-6", customer(sign_ins=forbidden("AuditLog.Read.All"))).status is Status.UNKNOWN
    untyped = {"id": "0b9a5f3c-7c2e-4f0e-9a51-0c6f6d1e2b44"}  # a principal Graph returned without its type
    result = run("PAR-6", customer([role(untyped)], []))
    assert result.status is Status.UNKNOWN and "1 role holder(s) of unknown type" in result.summary
    no_tenant = {**partner_reference(STRANGER), "externalPartnerTenantId": None}
    assert run("PAR-6", customer([role(no_tenant)], [])).status is Status.UNKNOWN
    roles_unread = make_snapshot(role_assignments=forbidden("RoleManagement.Read.Directory"), service_provider_sign_ins=[])
    assert run("PAR-6", roles_unread).status is Status.UNKNOWN


def test_par6_passes_with_no_partner_at_all():
    assert run("PAR-6", customer(sign_ins=[])).status is Status.PASS
    assert run("PAR-6", customer(sign_ins=[]), NO_PARTNER).status is Status.PASS


def test_par6_reads_the_documented_sign_in_shape_unchanged():
    documented = sign_in(OTHER_MSP)
    documented_copy = copy.deepcopy(documented)
    run("PAR-6", customer(sign_ins=[documented]))
    assert documented == documented_copy  # checks never modify the snapshot
