from dataclasses import replace
from datetime import timedelta

from auditor.evaluate import evaluate_tenant, run_check
from auditor.registry import CheckContext, CheckSettings, Registry
from auditor.results import Status
from auditor.snapshot import TenantKind
from tests.builders import NOW, forbidden, make_snapshot

REGISTRY = Registry.from_modules("checks.partner")
CTX = CheckContext(now=NOW)

GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
HELPDESK_ADMIN = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
USER_ADMIN = "fe930be7-5e62-47db-91af-98c3a49a38b1"
DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
PARTNER_TENANT = "189e00e4-00e4-189e-e400-9e18e4009e18"
CONTOSO = "52eaad04-13a2-4a2f-9ce8-93a294fadf36"
FABRIKAM = "4b827261-d21f-4aa9-b7db-7fa1f56fb163"


def run(check_id, snapshot, ctx=CTX):
    return run_check(REGISTRY.get(check_id), snapshot, ctx)


def iso(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f0Z")  # Graph writes 7 fractional digits


# --- PAR-1 (customer tenant) ---

def assignment(role: str, principal: dict, index: int = 1) -> dict:
    """GET /roleManagement/directory/roleAssignments?$expand=principal, one item ($select applied)."""
    return {
        "id": f"lAPpYvVpN0KRkAEhdxReEMmO4KwRqtpKkUWt3wOYIz4-{index}",
        "principalId": principal["id"],
        "directoryScopeId": "/",
        "roleDefinitionId": role,
        "principal": principal,
    }


USER = {
    "@odata.type": "#microsoft.graph.user",
    "id": "ace08ec9-aa11-4ada-9145-addf0398233e",
    "accountEnabled": True,
    "displayName": "Joey Cruz",
    "mail": "joeyc@contoso.com",
    "userType": "Member",
}


def partner_reference(name="Northwind IT Services", tenant=PARTNER_TENANT, object_id="42c43b87-3b87-42c4-873b-c442873bc442"):
    return {
        "@odata.type": "#microsoft.graph.directoryObjectPartnerReference",
        "id": object_id,
        "deletedDateTime": None,
        "description": f"{name} AdminAgents",
        "displayName": name,
        "externalPartnerTenantId": tenant,
        "objectType": "Company",
    }


def test_par1_pass_when_only_users_hold_global_admin_and_partner_holds_other_roles():
    snapshot = make_snapshot(role_assignments=[
        assignment(GLOBAL_ADMIN, USER, 1),
        assignment(HELPDESK_ADMIN, partner_reference(), 2),
    ])
    assert run("PAR-1", snapshot).status is Status.PASS


def test_par1_fail_names_each_partner_tenant():
    other = partner_reference(
        "Old Reseller Ltd", "8f70baf1-1f6e-46a2-a1ff-238dac1ebfb7", "9a1b2c3d-0000-4000-8000-000000000001"
    )
    snapshot = make_snapshot(role_assignments=[
        assignment(GLOBAL_ADMIN, USER, 1),
        assignment(GLOBAL_ADMIN, partner_reference(), 2),
        assignment(GLOBAL_ADMIN, other, 3),
    ])
    result = run("PAR-1", snapshot)
    assert result.status is Status.FAIL
    assert {row["partner_tenant_id"] for row in result.evidence} == {PARTNER_TENANT, "8f70baf1-1f6e-46a2-a1ff-238dac1ebfb7"}
    assert "Northwind IT Services" in result.summary and "Old Reseller Ltd" in result.summary


def test_par1_fail_for_partner_principal_without_odata_type():
    # The same classifier as the admin checks: a principal carrying externalPartnerTenantId is a partner,
    # with or without @odata.type.
    untyped = {k: v for k, v in partner_reference().items() if k != "@odata.type"}
    snapshot = make_snapshot(role_assignments=[assignment(GLOBAL_ADMIN, USER, 1), assignment(GLOBAL_ADMIN, untyped, 2)])
    result = run("PAR-1", snapshot)
    assert result.status is Status.FAIL
    assert result.evidence == [{
        "partner": "Northwind IT Services", "partner_tenant_id": PARTNER_TENANT,
        "principal_id": "42c43b87-3b87-42c4-873b-c442873bc442", "role": "Global Administrator",
        "assignment_id": "lAPpYvVpN0KRkAEhdxReEMmO4KwRqtpKkUWt3wOYIz4-2",
    }]


def test_par1_unknown_for_a_null_principal_naming_its_id():
    null = {"id": "lAPpYvVpN0KRkAEhdxReEMmO4KwRqtpKkUWt3wOYIz4-9", "principalId": "77d4c5f2-0000-4000-8000-0000000000aa",
            "directoryScopeId": "/", "roleDefinitionId": GLOBAL_ADMIN, "principal": None}
    result = run("PAR-1", make_snapshot(role_assignments=[assignment(GLOBAL_ADMIN, USER, 1), null]))
    assert result.status is Status.UNKNOWN
    assert "77d4c5f2-0000-4000-8000-0000000000aa" in result.summary
    assert result.evidence[0]["principal_id"] == "77d4c5f2-0000-4000-8000-0000000000aa"


def test_par1_null_principal_of_a_known_user_is_not_a_partner():
    null = {"id": "a-9", "principalId": USER["id"], "directoryScopeId": "/", "roleDefinitionId": GLOBAL_ADMIN,
            "principal": None}
    snapshot = make_snapshot(role_assignments=[null], users=[{**USER, "userPrincipalName": "joeyc@contoso.com"}])
    assert run("PAR-1", snapshot).status is Status.PASS


def test_par1_partner_fails_even_beside_an_unclassified_holder():
    null = {"id": "a-9", "principalId": "77d4c5f2-0000-4000-8000-0000000000aa", "directoryScopeId": "/",
            "roleDefinitionId": GLOBAL_ADMIN, "principal": None}
    snapshot = make_snapshot(role_assignments=[assignment(GLOBAL_ADMIN, partner_reference(), 2), null])
    assert run("PAR-1", snapshot).status is Status.FAIL


def test_par1_unknown_when_role_assignments_forbidden():
    result = run("PAR-1", make_snapshot(role_assignments=forbidden("RoleManagement.Read.Directory")))
    assert result.status is Status.UNKNOWN
    assert "RoleManagement.Read.Directory" in result.summary


def test_par1_unknown_when_role_answer_is_empty():
    # Every tenant has a Global Administrator: an empty answer is incomplete, not proof that no partner holds it.
    result = run("PAR-1", make_snapshot(role_assignments=[]))
    assert result.status is Status.UNKNOWN
    assert "empty" in result.summary


def test_par1_applies_to_customers_only():
    spec = REGISTRY.get("PAR-1")
    assert spec.applies(TenantKind.CUSTOMER) and not spec.applies(TenantKind.PARTNER)


# --- GDAP fixtures (partner tenant) ---

def relationship(rel_id: str, customer_id: str = CONTOSO, customer_name: str = "Contoso Inc", roles=(DIRECTORY_READERS,),
                 status="active", ends=NOW + timedelta(days=400), auto_extend="P180D", name=None) -> dict:
    """GET /tenantRelationships/delegatedAdminRelationships, one item ($select applied)."""
    return {
        "id": rel_id,
        "displayName": name or f"{customer_name} admin relationship",
        "status": status,
        "customer": {"tenantId": customer_id, "displayName": customer_name},
        "accessDetails": {"unifiedRoles": [{"roleDefinitionId": role} for role in roles]},
        "duration": "P730D",
        "autoExtendDuration": auto_extend,
        "createdDateTime": "2025-02-10T11:24:42.3148266Z",
        "activatedDateTime": "2025-02-10T11:26:44.9941884Z",
        "endDateTime": iso(ends) if ends is not None else None,
    }


def access_assignment(roles=(DIRECTORY_READERS,), status="active", index=1) -> dict:
    """GET .../delegatedAdminRelationships/{id}/accessAssignments, one item ($select applied)."""
    return {
        "id": f"84c586df-0943-416e-b95f-7289cb8d3bd{index}",
        "status": status,
        "accessContainer": {
            "accessContainerId": "227a2f44-2682-4831-a021-f8d69a34bcba",
            "accessContainerType": "securityGroup",
        },
        "accessDetails": {"unifiedRoles": [{"roleDefinitionId": role} for role in roles]},
    }


REL_A = "5d027261-d21f-4aa9-b7db-7fa1f56fb163-8777b240-c6f0-4469-9e98-a3205431b836"
REL_B = "1041ef52-a99b-4245-a3be-cbd3fa7c5ed1-8777b240-c6f0-4469-9e98-a3205431b836"


def partner(**sections):
    return make_snapshot(kind="partner", name="Northwind IT Services", tenant_id=PARTNER_TENANT, **sections)


# --- PAR-2 ---

def test_par2_pass_ignores_terminated_relationship_with_global_admin():
    snapshot = partner(
        delegated_admin_relationships=[
            relationship(REL_A, roles=(DIRECTORY_READERS, USER_ADMIN)),
            relationship(REL_B, FABRIKAM, "Fabrikam", roles=(GLOBAL_ADMIN,), status="terminated"),
        ],
        delegated_admin_access_assignments={REL_A: [access_assignment((DIRECTORY_READERS, USER_ADMIN))]},
    )
    assert run("PAR-2", snapshot).status is Status.PASS


def test_par2_fail_when_relationship_roles_include_global_admin():
    snapshot = partner(
        delegated_admin_relationships=[relationship(REL_A, roles=(GLOBAL_ADMIN, USER_ADMIN))],
        delegated_admin_access_assignments={REL_A: []},
    )
    result = run("PAR-2", snapshot)
    assert result.status is Status.FAIL
    assert result.evidence[0]["customer_tenant_id"] == CONTOSO
    assert result.evidence[0]["granted_by"] == "relationship roles"


def test_par2_fail_when_an_active_assignment_grants_global_admin():
    snapshot = partner(
        delegated_admin_relationships=[relationship(REL_A)],
        delegated_admin_access_assignments={REL_A: [access_assignment((DIRECTORY_READERS, GLOBAL_ADMIN), index=2)]},
    )
    result = run("PAR-2", snapshot)
    assert result.status is Status.FAIL
    assert "access assignment" in result.evidence[0]["granted_by"]


def test_par2_deleted_assignment_is_ignored():
    snapshot = partner(
        delegated_admin_relationships=[relationship(REL_A)],
        delegated_admin_access_assignments={REL_A: [access_assignment((GLOBAL_ADMIN,), status="deleted")]},
    )
    assert run("PAR-2", snapshot).status is Status.PASS


def test_par2_assignments_unreadable_still_fails_on_relationship_roles():
    snapshot = partner(
        delegated_admin_relationships=[relationship(REL_A, roles=(GLOBAL_ADMIN,))],
        delegated_admin_access_assignments=forbidden("DelegatedAdminRelationship.Read.All"),
    )
    assert run("PAR-2", snapshot).status is Status.FAIL


def test_par2_assignments_unreadable_is_unknown_when_relationships_are_clean():
    snapshot = partner(
        delegated_admin_relationships=[relationship(REL_A)],
        delegated_admin_access_assignments=forbidden("DelegatedAdminRelationship.Read.All"),
    )
    result = run("PAR-2", snapshot)
    assert result.status is Status.UNKNOWN
    assert "DelegatedAdminRelationship.Read.All" in result.summary


def test_par2_missing_map_entry_for_live_relationship_is_unknown():
    snapshot = partner(
        delegated_admin_relationships=[relationship(REL_A), relationship(REL_B, FABRIKAM, "Fabrikam")],
        delegated_admin_access_assignments={REL_A: [access_assignment()]},
    )
    result = run("PAR-2", snapshot)
    assert result.status is Status.UNKNOWN
    assert "Fabrikam" in result.summary


def test_par2_unknown_when_relationships_forbidden():
    result = run("PAR-2", partner(delegated_admin_relationships=forbidden("DelegatedAdminRelationship.Read.All")))
    assert result.status is Status.UNKNOWN


# --- PAR-3 ---

def test_par3_relationship_ending_in_31_days_passes():
    snapshot = partner(delegated_admin_relationships=[relationship(REL_A, ends=NOW + timedelta(days=31), auto_extend="PT0S")])
    assert run("PAR-3", snapshot).status is Status.PASS


def test_par3_relationship_ending_in_10_days_with_auto_extend_passes():
    snapshot = partner(delegated_admin_relationships=[relationship(REL_A, ends=NOW + timedelta(days=10), auto_extend="P180D")])
    assert run("PAR-3", snapshot).status is Status.PASS


def test_par3_fail_ending_soon_without_auto_extend():
    snapshot = partner(delegated_admin_relationships=[
        relationship(REL_A, ends=NOW + timedelta(days=10), auto_extend="PT0S"),
        relationship(REL_B, FABRIKAM, "Fabrikam", ends=NOW + timedelta(days=400), auto_extend="PT0S"),
    ])
    result = run("PAR-3", snapshot)
    assert result.status is Status.FAIL
    assert [row["relationship_id"] for row in result.evidence] == [REL_A]
    assert result.evidence[0]["days_left"] == 10


def test_par3_p0d_and_missing_auto_extend_mean_no_auto_extend():
    for value in ("P0D", None):
        snapshot = partner(delegated_admin_relationships=[relationship(REL_A, ends=NOW + timedelta(days=5), auto_extend=value)])
        assert run("PAR-3", snapshot).status is Status.FAIL


def test_par3_expiring_relationship_is_judged_like_an_active_one():
    snapshot = partner(delegated_admin_relationships=[
        relationship(REL_A, status="expiring", ends=NOW + timedelta(days=10), auto_extend="PT0S"),
    ])
    result = run("PAR-3", snapshot)
    assert result.status is Status.FAIL
    assert [row["relationship_id"] for row in result.evidence] == [REL_A]


def test_par3_activating_relationship_is_ignored():
    snapshot = partner(delegated_admin_relationships=[relationship(REL_A, status="activating", ends=None, auto_extend="PT0S")])
    assert run("PAR-3", snapshot).status is Status.PASS


def test_par3_terminated_relationship_is_ignored():
    snapshot = partner(delegated_admin_relationships=[
        relationship(REL_A, status="terminated", ends=NOW + timedelta(days=2), auto_extend="PT0S"),
    ])
    assert run("PAR-3", snapshot).status is Status.PASS


def test_par3_window_is_configurable():
    snapshot = partner(delegated_admin_relationships=[relationship(REL_A, ends=NOW + timedelta(days=45), auto_extend="PT0S")])
    assert run("PAR-3", snapshot).status is Status.PASS
    wide = CheckContext(now=NOW, settings=replace(CheckSettings(), gdap_expiry_warning_days=60))
    assert run("PAR-3", snapshot, wide).status is Status.FAIL


def test_par3_unknown_when_end_date_missing_or_forbidden():
    snapshot = partner(delegated_admin_relationships=[relationship(REL_A, ends=None, auto_extend="PT0S")])
    assert run("PAR-3", snapshot).status is Status.UNKNOWN
    assert run("PAR-3", partner(delegated_admin_relationships=forbidden())).status is Status.UNKNOWN


# --- PAR-4 ---

def contract(customer_id: str, name: str, domain: str) -> dict:
    """GET /contracts, one item."""
    return {
        "id": f"contract-{customer_id[:8]}",
        "contractType": "ResellerPartner",
        "customerId": customer_id,
        "defaultDomainName": domain,
        "displayName": name,
    }


CONTRACTS = [
    contract(CONTOSO, "Contoso Inc", "contoso.onmicrosoft.com"),
    contract(FABRIKAM, "Fabrikam", "fabrikam.onmicrosoft.com"),
]


def test_par4_pass_every_customer_has_active_relationship():
    snapshot = partner(contracts=CONTRACTS, delegated_admin_relationships=[
        relationship(REL_A, CONTOSO.upper()), relationship(REL_B, FABRIKAM, "Fabrikam"),
    ])
    assert run("PAR-4", snapshot).status is Status.PASS


def test_par4_fail_names_customers_with_only_pending_or_terminated_relationships():
    snapshot = partner(contracts=CONTRACTS, delegated_admin_relationships=[
        relationship(REL_A, CONTOSO, status="terminated"),
        relationship(REL_B, FABRIKAM, "Fabrikam"),
        relationship("rel-pending", CONTOSO, status="approvalPending"),
    ])
    result = run("PAR-4", snapshot)
    assert result.status is Status.FAIL
    assert [row["customer_tenant_id"] for row in result.evidence] == [CONTOSO]


def test_par4_unknown_when_contracts_forbidden():
    result = run("PAR-4", partner(contracts=forbidden("Directory.Read.All"), delegated_admin_relationships=[]))
    assert result.status is Status.UNKNOWN
    assert "contracts" in result.summary


def test_par4_not_applicable_without_contracts():
    assert run("PAR-4", partner(contracts=[], delegated_admin_relationships=[])).status is Status.NOT_APPLICABLE


def test_partner_checks_run_only_on_their_tenant_kind():
    customer = make_snapshot(role_assignments=[assignment(GLOBAL_ADMIN, USER)])
    partner_tenant = partner(role_assignments=[assignment(GLOBAL_ADMIN, USER)])
    customer_ids = {r.check_id for r in evaluate_tenant(customer, REGISTRY, NOW).results}
    partner_ids = {r.check_id for r in evaluate_tenant(partner_tenant, REGISTRY, NOW).results}
    assert customer_ids == {"PAR-1"}
    assert partner_ids == {"PAR-2", "PAR-3", "PAR-4"}
