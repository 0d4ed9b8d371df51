"""The Azure governance collection against the emulator: Azure Resource Graph answers for every subscription
in one query each (a read-only POST, never counted as a write), and the per-subscription reads take over
where it does not serve (refused, a management-group assignment, a subscription it cannot be shown to see);
either way the snapshot is the same. Also `auditor permissions` for the new sections."""

from __future__ import annotations

from pathlib import Path

from auditor.collect.emulator import RESOURCE_GRAPH_FAULT, Emulator
from auditor.collect.faults import Fault, FaultKind
from auditor.collect.permissions import requirements
from auditor.evaluate import evaluate_tenant
from auditor.registry import Registry
from auditor.snapshot import Section, SectionStatus
from tests.azure_fixtures import OWNER, role_assignment
from tests.test_collect import collect, comparable
from tests.test_collect_data import CUSTOMER_A, customer

ARG = "/providers/Microsoft.ResourceGraph/resources?"


def arg_posts(emulator: Emulator) -> list:
    return [r for r in emulator.http_requests(CUSTOMER_A) if r.method == "POST" and r.path.startswith(ARG)]


def gets(emulator: Emulator, fragment: str) -> list:
    return [r for r in emulator.http_requests(CUSTOMER_A) if r.method == "GET" and fragment in r.path]


async def test_resource_graph_answers_every_subscription_in_three_queries(tmp_path: Path) -> None:
    tenant = customer(users=8, subscriptions=3)
    async with Emulator([tenant], arm_page_size=2) as emulator:  # small pages: $skipToken is followed
        got = (await collect(emulator, [tenant], tmp_path))[CUSTOMER_A]
        assert not emulator.writes
        assert len({r.section for r in arg_posts(emulator)}) == 3
        assert not gets(emulator, "roleAssignments") and not gets(emulator, "activityLogAlerts")
        assert len(gets(emulator, "diagnosticSettings")) == 3  # one per subscription: not in Resource Graph
    assert comparable(got) == comparable(tenant)
    sub = got.azure_subscriptions[0]
    assert sub.sections["azure_role_assignments"].request.startswith("POST /providers/Microsoft.ResourceGraph/")
    assert got.sections["azure_group_members"].ok and got.sections["azure_group_members"].data


async def test_refused_resource_graph_falls_back_to_each_subscription(tmp_path: Path) -> None:
    tenant = customer(users=8, subscriptions=2)
    refused = Fault(FaultKind.FORBIDDEN, section=RESOURCE_GRAPH_FAULT)
    async with Emulator([tenant], faults=[refused]) as emulator:
        got = (await collect(emulator, [tenant], tmp_path))[CUSTOMER_A]
        assert len(gets(emulator, "roleAssignments")) == 2 and len(gets(emulator, "actionGroups")) == 2
        assert len(gets(emulator, "eventtypes/management/values")) == 2
        assert not emulator.writes
    # Creations come back as activity-log events (the fallback's own shape); everything else is identical.
    assert without_creations(comparable(got)) == without_creations(comparable(tenant))
    assert got.azure_subscriptions[0].sections["azure_role_assignments"].request.startswith("GET /subscriptions/")
    registry = Registry.from_entry_points()
    now = tenant.collected_at
    cst4 = [evaluate_tenant(s, registry, now).results for s in (got, tenant)]
    rows = [[(r.status, [(e["name"], e["type"], e["creator"]) for e in r.evidence]) for r in res if r.check_id == "CST-4"]
            for res in cst4]
    assert rows[0] == rows[1] and rows[0][0][1]


def without_creations(data: dict) -> dict:
    return {**data, "subscriptions": [(sid, name, {k: v for k, v in parts.items() if k != "resource_creations"})
                                      for sid, name, parts in data["subscriptions"]]}


async def test_management_group_assignment_and_unproven_subscription_are_read_per_subscription(tmp_path: Path) -> None:
    tenant = customer(users=8, subscriptions=2)
    first, second = tenant.azure_subscriptions
    inherited = role_assignment("7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b", "User", OWNER,
                                scope="/providers/Microsoft.Management/managementGroups/contoso-root", name="mg")
    first.sections["azure_role_assignments"].data.append(inherited)  # what atScope() lists for each subscription
    second.sections["azure_role_assignments"].data.append(inherited)
    second.sections["diagnostic_settings"] = Section.missing(SectionStatus.FORBIDDEN, "the app lacks the Reader role")
    async with Emulator([tenant]) as emulator:
        got = (await collect(emulator, [tenant], tmp_path))[CUSTOMER_A]
        assert len(gets(emulator, "roleAssignments")) == 2  # the inherited one: only atScope() names its subscriptions
        assert len(gets(emulator, "activityLogAlerts")) == 1  # the second subscription is not shown readable
    # (its creations come back as activity-log events, the fallback's own shape)
    assert without_creations(comparable(got)) == without_creations(comparable(tenant))


async def test_a_forbidden_subscription_stays_forbidden_not_empty(tmp_path: Path) -> None:
    tenant = customer(users=8, subscriptions=2)
    blocked = tenant.azure_subscriptions[1]
    for name in blocked.sections:
        blocked.sections[name] = Section.missing(SectionStatus.FORBIDDEN, "no role")
    async with Emulator([tenant]) as emulator:
        got = (await collect(emulator, [tenant], tmp_path))[CUSTOMER_A]
    sections = got.azure_subscriptions[1].sections
    assert {sections[n].status for n in ("azure_role_assignments", "activity_log_alerts", "resource_creations")} == {
        SectionStatus.FORBIDDEN}
    assert "Reader" in sections["activity_log_alerts"].reason


def test_permissions_name_reader_for_the_azure_governance_checks_only() -> None:
    registry = Registry.from_entry_points()
    found = {(r.kind, r.name): r for r in requirements({s.id: s.sections for s in registry})}
    reader = found[("azure", "Reader")]
    assert set(reader.checks) == {"AZR-1", "AZR-2", "AZR-3", "AZR-4", "AZR-5", "CST-4"}
    assert "CON-2" in found[("azure", "Security Reader")].checks
    assert "AZR-1" in found[("graph", "DelegatedAdminRelationship.Read.All")].checks


async def test_emulated_resource_graph_reads_only_the_tools_queries_and_is_no_write() -> None:
    import httpx

    from auditor.collect.resource_graph import QUERIES, RESOURCE_GRAPH_API_VERSION, RESOURCE_GRAPH_PATH

    tenant = customer(users=5, subscriptions=2)
    url = f"{RESOURCE_GRAPH_PATH}?api-version={RESOURCE_GRAPH_API_VERSION}"
    auth = {"Authorization": f"Bearer tenant:{CUSTOMER_A}"}
    async with Emulator([tenant]) as emulator, httpx.AsyncClient(base_url=emulator.base_url) as http:
        known = await http.post(url, headers=auth, json={"query": QUERIES["activity_log_alerts"],
                                                         "options": {"resultFormat": "objectArray"}})
        unknown = await http.post(url, headers=auth, json={"query": "resources | project id"})
        anonymous = await http.post(url, json={"query": QUERIES["activity_log_alerts"]})
        assert not emulator.writes
    rows = known.json()["data"]
    # an alert and an action group in each subscription, and the two subscriptions themselves
    assert known.status_code == 200 and len(rows) == 6
    assert sorted(r["type"] for r in rows).count("microsoft.resources/subscriptions") == 2
    assert {r["subscriptionId"] for r in rows} == {s.subscription_id for s in tenant.azure_subscriptions}
    assert unknown.status_code == 400 and anonymous.status_code == 401


# --- the subscription list from Resource Graph (issue 13's request budget) -------------------------------


async def test_resource_graph_names_the_subscriptions_and_arm_list_is_not_read(tmp_path: Path) -> None:
    tenant = customer(users=8, subscriptions=2)
    async with Emulator([tenant]) as emulator:
        got = (await collect(emulator, [tenant], tmp_path))[CUSTOMER_A]
        assert not [r for r in emulator.http_requests(CUSTOMER_A) if r.path.split("?")[0] == "/subscriptions"]
    assert comparable(got) == comparable(tenant)  # ARM's list shape, from Resource Graph's rows
    assert got.sections["subscriptions"].request.startswith("POST /providers/Microsoft.ResourceGraph/")
    assert "resourcecontainers" in got.sections["subscriptions"].request


async def test_refused_listing_query_falls_back_to_arm_list(tmp_path: Path) -> None:
    tenant = customer(users=8, subscriptions=2)
    refused = Fault(FaultKind.FORBIDDEN, section="activity_log_alerts", tenant=CUSTOMER_A)
    async with Emulator([tenant], faults=[refused]) as emulator:
        got = (await collect(emulator, [tenant], tmp_path))[CUSTOMER_A]
        assert len([r for r in emulator.http_requests(CUSTOMER_A) if r.path.split("?")[0] == "/subscriptions"]) == 1
    assert got.sections["subscriptions"].request.startswith("GET /subscriptions?")
    assert got.sections["subscriptions"].data == tenant.sections["subscriptions"].data
    # the fault takes the alerts' per-subscription reads too: forbidden, never an empty list
    assert all(s.sections["activity_log_alerts"].status is SectionStatus.FORBIDDEN for s in got.azure_subscriptions)


async def test_subscriptions_resource_graph_does_not_show_are_read_per_subscription(tmp_path: Path) -> None:
    """Resource Graph names none of the tenant's subscriptions (not indexed yet): ARM's list names them, and
    none of Resource Graph's (empty) answers stands for them: every governance section is read per
    subscription, so nothing reads as "no alerts" or "nothing created"."""
    tenant = customer(users=8, subscriptions=2)
    hidden = [s.subscription_id for s in tenant.azure_subscriptions]
    async with Emulator([tenant], hidden_from_resource_graph=hidden) as emulator:
        got = (await collect(emulator, [tenant], tmp_path))[CUSTOMER_A]
        assert len([r for r in emulator.http_requests(CUSTOMER_A) if r.path.split("?")[0] == "/subscriptions"]) == 1
        assert len(gets(emulator, "activityLogAlerts")) == 2 and len(gets(emulator, "roleAssignments")) == 2
        assert len(gets(emulator, "eventtypes/management/values")) == 2
    assert without_creations(comparable(got)) == without_creations(comparable(tenant))
    assert all(s.sections["resource_creations"].ok and s.sections["resource_creations"].data
               for s in got.azure_subscriptions)


async def test_a_subscription_resource_graph_does_not_show_adds_no_finding(tmp_path: Path) -> None:
    """The documented limit: Resource Graph names one subscription and not the other (which ARM would list):
    the other is left out of the audit, so it can make nothing FAIL; the named one is read as usual."""
    tenant = customer(users=8, subscriptions=2)
    shown, unseen = tenant.azure_subscriptions
    async with Emulator([tenant], hidden_from_resource_graph=[unseen.subscription_id]) as emulator:
        got = (await collect(emulator, [tenant], tmp_path))[CUSTOMER_A]
    assert [s.subscription_id for s in got.azure_subscriptions] == [shown.subscription_id]
    assert [s["subscriptionId"] for s in got.sections["subscriptions"].data] == [shown.subscription_id]


async def test_a_tenant_without_azure_confirms_with_arm_list(tmp_path: Path) -> None:
    tenant = customer(users=8, subscriptions=0)
    async with Emulator([tenant]) as emulator:
        got = (await collect(emulator, [tenant], tmp_path))[CUSTOMER_A]
        arm = [r for r in emulator.http_requests(CUSTOMER_A) if not r.path.startswith(("/v1.0", "/beta"))]
        assert len(arm) == 2  # the listing query (no subscription named), then ARM's list
    assert got.sections["subscriptions"].ok and got.sections["subscriptions"].data == []
    assert got.azure_subscriptions == []
