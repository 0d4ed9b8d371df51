"""A list is read whole or not at all: faults a real service produces on a later page (a 404, a 500, a
nextLink that loops back), each collected from the emulator and then evaluated by the real checks, whose
verdict must be UNKNOWN, never a confident PASS or FAIL from a shorter list."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from auditor.collect import CollectOptions
from auditor.collect.emulator import Emulator
from auditor.collect.faults import Fault, FaultKind
from auditor.evaluate import evaluate_tenant
from auditor.registry import Registry
from auditor.results import Status
from auditor.snapshot import SUBSCRIPTION_SECTIONS, SectionStatus, TenantSnapshot
from tests.test_collect import FAST, NOW, collect
from tests.test_collect_data import CUSTOMER_A, customer

GROUP_ID = "9d7e3c2b-5a4f-4e6d-8c7b-1a2b3c4d5e6f"  # the role-assignable group of tests.test_collect_data
GUEST = {"@odata.type": "#microsoft.graph.user", "id": "0000aaaa-1111-4222-8333-000000000999",
         "displayName": "Mallory (guest)", "userPrincipalName": "mallory_fabrikam.example#EXT#@contoso.com",
         "userType": "Guest"}


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.from_entry_points()


def guest_in_role_group() -> TenantSnapshot:
    """Contoso, whose role-assignable group (eligible Security Administrator) has three members; the third,
    on page 2 when pages hold two, is a guest."""
    snapshot = customer()
    members = snapshot.sections["group_members"].data[GROUP_ID]
    members.append({**members[0], "id": "00000004-1111-4222-8333-000000000004", "displayName": "User 4",
                    "userPrincipalName": "user4@contoso.com"})
    members.append(copy.deepcopy(GUEST))
    return snapshot


def verdicts(snapshot: TenantSnapshot, registry: Registry) -> dict[str, Status]:
    return {r.check_id: r.status for r in evaluate_tenant(snapshot, registry, NOW).results}


def needing(registry: Registry, section: str) -> list[str]:
    return [s.id for s in registry if section in s.needs and s.applies(customer().tenant.kind)]


def reasons(snapshot: TenantSnapshot, section: str) -> list[str]:
    if section in SUBSCRIPTION_SECTIONS:
        return [sub.sections[section].reason for sub in snapshot.azure_subscriptions]
    return [snapshot.sections[section].reason]


def statuses(snapshot: TenantSnapshot, section: str) -> set[SectionStatus]:
    if section in SUBSCRIPTION_SECTIONS:
        return {sub.sections[section].status for sub in snapshot.azure_subscriptions}
    return {snapshot.sections[section].status}


# (section, fault, words in the reason, checks that must be UNKNOWN)
CASES = [
    pytest.param("pricings", Fault(FaultKind.NOT_FOUND, section="pricings", page=2), "page 2 failed: ARM 404",
                 ["DEF-1", "DEF-2"], id="arm-pricings-404-on-page-2"),
    pytest.param("pricings", Fault(FaultKind.LOOP_NEXT_LINK, section="pricings", page=2), "paging loop",
                 ["DEF-1", "DEF-2"], id="arm-pricings-looping-nextlink"),
    pytest.param("group_members", Fault(FaultKind.NOT_FOUND, section="group_members", page=2),
                 "page 2 failed: Graph 404", ["ADM-4"], id="graph-group-members-404-on-page-2"),
    pytest.param("group_members", Fault(FaultKind.LOOP_NEXT_LINK, section="group_members", page=2), "paging loop",
                 ["ADM-4"], id="graph-group-members-looping-nextlink"),
    pytest.param("users", Fault(FaultKind.LOOP_NEXT_LINK, section="users", page=3), "paging loop", None,
                 id="graph-users-nextlink-back-to-page-2"),
    pytest.param("role_assignments", Fault(FaultKind.NOT_FOUND, section="role_assignments", page=2),
                 "page 2 failed: Graph 404", None, id="graph-role-assignments-404-on-page-2"),
]


@pytest.mark.parametrize("section,fault,words,unknown", CASES)
async def test_a_list_failing_after_its_first_page_is_unknown(section: str, fault: Fault, words: str,
                                                              unknown: list[str] | None, tmp_path: Path,
                                                              registry: Registry) -> None:
    tenants = [guest_in_role_group()]
    checks = unknown or needing(registry, section)
    async with Emulator(tenants, max_page_size=2) as emulator:  # every list here spans several pages
        baseline = (await collect(emulator, tenants, tmp_path / "baseline"))[CUSTOMER_A]
        emulator.add_fault(fault)
        got = (await collect(emulator, tenants, tmp_path / "faulty"))[CUSTOMER_A]
    assert fault.hits > 0
    before = verdicts(baseline, registry)
    assert any(before[c] in (Status.PASS, Status.FAIL) for c in checks), before  # the test can fail
    assert statuses(got, section) == {SectionStatus.ERROR}
    assert all(words in reason and "not read whole" in reason for reason in reasons(got, section)), reasons(got, section)
    after = verdicts(got, registry)
    assert {c: after[c] for c in checks} == {c: Status.UNKNOWN for c in checks}


@pytest.mark.parametrize("kind", [FaultKind.NOT_FOUND, FaultKind.FAIL_MID_PAGE, FaultKind.LOOP_NEXT_LINK])
async def test_a_parent_whose_list_fails_after_page_1_fails_the_per_parent_section(kind: FaultKind,
                                                                                   tmp_path: Path) -> None:
    """The collector's half of the ADM-4 case: the group's members are an error naming the page and the
    group, never a map without the guest."""
    tenants = [guest_in_role_group()]
    async with Emulator(tenants, faults=[Fault(kind, section="group_members", page=2)], max_page_size=2) as emulator:
        got = (await collect(emulator, tenants, tmp_path))[CUSTOMER_A]
    members = got.sections["group_members"]
    assert members.status is SectionStatus.ERROR and members.data is None
    assert "not read whole" in members.reason and members.reason.endswith(f"(for {GROUP_ID})")


async def test_the_guest_fault_would_have_turned_adm4_from_fail_to_pass(tmp_path: Path, registry: Registry) -> None:
    """The report's case, spelled out: without the fault ADM-4 finds the guest (FAIL); with the second page
    of the group's members answering 404 it must not say PASS."""
    tenants = [guest_in_role_group()]
    async with Emulator(tenants, max_page_size=2) as emulator:
        baseline = (await collect(emulator, tenants, tmp_path / "a"))[CUSTOMER_A]
        emulator.add_fault(Fault(FaultKind.NOT_FOUND, section="group_members", page=2))
        got = (await collect(emulator, tenants, tmp_path / "b"))[CUSTOMER_A]
    assert verdicts(baseline, registry)["ADM-4"] is Status.FAIL
    assert verdicts(got, registry)["ADM-4"] is Status.UNKNOWN


async def test_only_the_first_answer_may_say_the_provider_is_not_registered(tmp_path: Path, registry: Registry) -> None:
    """A 404 on the first request of the pricings list is ARM's answer about the list (DEF-1 decides on
    it); the same 404 on page 2 is not."""
    tenants = [customer()]
    async with Emulator(tenants, faults=[Fault(FaultKind.NOT_FOUND, section="pricings", page=1)],
                        max_page_size=2) as emulator:
        got = (await collect(emulator, tenants, tmp_path))[CUSTOMER_A]
    assert statuses(got, "pricings") == {SectionStatus.NOT_FOUND}
    assert verdicts(got, registry)["DEF-1"] is Status.FAIL


async def test_a_list_that_never_ends_stops_at_the_page_cap(tmp_path: Path, registry: Registry) -> None:
    tenants = [customer()]
    options = CollectOptions(**{**FAST.__dict__, "max_pages": 3})
    async with Emulator(tenants, max_page_size=2) as emulator:  # 30 users: 15 pages
        got = (await collect(emulator, tenants, tmp_path, options))[CUSTOMER_A]
        user_pages = [r for r in emulator.requests if r.section == "users"]
    assert len(user_pages) == 3
    assert got.sections["users"].status is SectionStatus.ERROR
    assert got.sections["users"].reason == "the list did not end after 3 pages; stopped, it was not read whole"
    after = verdicts(got, registry)
    assert {after[c] for c in needing(registry, "users")} == {Status.UNKNOWN}


async def test_a_per_parent_404_on_the_first_page_still_means_the_parent_is_gone(tmp_path: Path) -> None:
    """A user deleted between the role read and the methods read answers 404 at once: left out, the rest
    of the map is read (the page-2 rule does not turn every deletion into an error)."""
    tenants = [customer()]
    admin = tenants[0].sections["role_assignments"].data[0]["principalId"]
    fault = Fault(FaultKind.NOT_FOUND, section="authentication_methods", page=1, times=1)
    async with Emulator(tenants, max_page_size=2) as emulator:
        emulator.add_fault(fault)
        got = (await collect(emulator, tenants, tmp_path))[CUSTOMER_A]
    methods = got.sections["authentication_methods"]
    assert fault.hits == 1 and methods.ok
    assert len(methods.data) == len(tenants[0].sections["authentication_methods"].data) - 1
    assert admin in tenants[0].sections["authentication_methods"].data


# -- an item chosen by the field that defines it, never by its place in a list --------------------------

async def test_tenant_name_and_domain_come_from_the_tenants_own_organization_object(tmp_path: Path) -> None:
    """Were /organization ever to answer more than one object, the tenant's own (id = tenant id) names it,
    and the default domain is the one flagged isDefault, wherever they stand in their lists."""
    from auditor.collect import collect_all_async
    from auditor.config import AuditConfig, AuthConfig, TenantEntry

    snapshot = customer()
    own = snapshot.sections["organization"].data[0]
    own["verifiedDomains"].insert(0, {"name": "contoso.onmicrosoft.com", "isDefault": False, "isInitial": True,
                                      "type": "Managed", "capabilities": "Email"})
    stranger = {**copy.deepcopy(own), "id": "ffffffff-0000-4000-8000-000000000000", "displayName": "Somebody Else",
                "verifiedDomains": [{"name": "else.example", "isDefault": True, "isInitial": False, "type": "Managed",
                                     "capabilities": "Email"}]}
    snapshot.sections["organization"].data.insert(0, stranger)
    async with Emulator([snapshot]) as emulator:
        config = AuditConfig(tenants=[TenantEntry(id=CUSTOMER_A)], discover_customers=False,
                             auth=AuthConfig(method="static_token"), endpoints=emulator.endpoints())
        (run,) = await collect_all_async(config, tmp_path, now=NOW, options=FAST)
    assert run.snapshot.tenant.display_name == "Contoso Inc"
    assert run.snapshot.tenant.default_domain == "contoso.com"
