"""Connection-level failures are retried with bounded backoff and then become an honest section status;
Retry-After is honoured up to its ceiling, beyond it the section says why it gave up; one tenant's Graph
requests in flight stay within the bound. Backoff is made tiny here; no test asserts a duration."""

from __future__ import annotations

import copy
import socket
import threading
from dataclasses import replace
from pathlib import Path

from auditor.collect import CollectOptions, collect_all
from auditor.collect.emulator import Emulator, EmulatorThread
from auditor.collect.faults import Fault, FaultKind
from auditor.collect.hints import collection_hints
from auditor.config import Endpoints
from auditor.snapshot import SectionStatus, TenantSnapshot, load_snapshot
from tests.test_collect import FAST, NOW, collect, comparable, config_for
from tests.test_collect_data import CUSTOMER_A, GLOBAL_ADMIN, customer


def _statuses(emulator: Emulator, section: str) -> list[int]:
    return [r.status for r in emulator.requests if r.section == section]


async def test_a_reset_connection_is_retried_then_answers(tmp_path: Path) -> None:
    """Two resets of the $batch that carries `users`, one of an ARM list: all read in the end."""
    tenants = [customer()]
    faults = [Fault(FaultKind.CONNECTION_RESET, section="users", times=2),
              Fault(FaultKind.CONNECTION_RESET, section="pricings", times=1)]
    async with Emulator(tenants, faults=faults) as emulator:
        got = await collect(emulator, tenants, tmp_path)
        batches = [r.status for r in emulator.requests if r.section == "$batch"]
        pricings = _statuses(emulator, "pricings")
    assert [f.hits for f in faults] == [2, 1]
    assert batches[:3] == [0, 0, 200]  # 0: reset, no answer
    assert pricings == [0, 200]
    assert comparable(got[CUSTOMER_A]) == comparable(tenants[0])


async def test_a_connection_reset_every_time_becomes_an_error_naming_it(tmp_path: Path) -> None:
    tenants = [customer()]
    async with Emulator(tenants, faults=[Fault(FaultKind.CONNECTION_RESET, section="pricings")]) as emulator:
        got = (await collect(emulator, tenants, tmp_path))[CUSTOMER_A]
        attempts = _statuses(emulator, "pricings")
    assert attempts == [0] * (FAST.max_retries + 1)
    pricings = got.azure_subscriptions[0].sections["pricings"]
    assert pricings.status is SectionStatus.ERROR
    assert pricings.reason == f"connection reset by peer; gave up after {FAST.max_retries} retries"
    assert got.azure_subscriptions[0].sections["budgets"].ok  # only the failing list
    assert any("could not be reached (connection reset by peer)" in line for line in collection_hints([got]))


async def test_a_read_timeout_is_retried_then_answers(tmp_path: Path) -> None:
    tenants = [customer()]
    faults = [Fault(FaultKind.TIMEOUT, section="pricings", times=1, delay_s=3.0),
              Fault(FaultKind.TIMEOUT, section="authentication_methods", times=1, delay_s=3.0)]
    async with Emulator(tenants, faults=faults) as emulator:
        got = await collect(emulator, tenants, tmp_path)
    assert [f.hits for f in faults] == [1, 1]
    assert comparable(got[CUSTOMER_A]) == comparable(tenants[0])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_refused_connection_is_retried_until_the_service_answers(tmp_path: Path) -> None:
    """Nothing listens at first (connection refused); the service comes up while the collector backs off."""
    tenant = customer()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    config = config_for([tenant], Endpoints(graph=base, arm=base, authority=base))
    options = replace(FAST, max_retries=8, backoff_s=0.1, max_retry_wait_s=5.0, timeout_s=5.0)
    thread = EmulatorThread(Emulator([tenant]), port=port)
    starter = threading.Timer(0.3, thread.__enter__)
    starter.start()
    try:
        (path,) = collect_all(config, tmp_path, now=NOW, options=options)
    finally:
        starter.join()
        thread.__exit__()
    assert comparable(load_snapshot(path)) == comparable(tenant)


def test_a_refused_connection_every_time_becomes_an_error_naming_it(tmp_path: Path) -> None:
    tenant = customer()
    base = f"http://127.0.0.1:{_free_port()}"
    config = config_for([tenant], Endpoints(graph=base, arm=base, authority=base))
    (path,) = collect_all(config, tmp_path, now=NOW, options=FAST)
    snapshot = load_snapshot(path)
    expected = f"connection refused; gave up after {FAST.max_retries} retries"
    assert snapshot.sections["organization"].reason == expected
    assert snapshot.sections["subscriptions"].reason == expected


async def test_a_retry_after_beyond_the_ceiling_gives_up_saying_why(tmp_path: Path) -> None:
    tenants = [customer()]
    faults = [Fault(FaultKind.THROTTLE, section="users", retry_after=900),
              Fault(FaultKind.UNAVAILABLE, section="pricings", retry_after=900)]
    async with Emulator(tenants, faults=faults) as emulator:
        got = (await collect(emulator, tenants, tmp_path))[CUSTOMER_A]
        tries = (_statuses(emulator, "users"), _statuses(emulator, "pricings"))
    assert tries == ([429], [503])  # no retry that would only be throttled again
    words = f"the service asked to wait 900 s (Retry-After), longer than the {FAST.max_retry_wait_s:g} s this tool waits"
    users, pricings = got.sections["users"], got.azure_subscriptions[0].sections["pricings"]
    assert users.status is SectionStatus.ERROR and users.reason.startswith("throttled (Graph 429") and words in users.reason
    assert pricings.status is SectionStatus.ERROR and words in pricings.reason
    assert any("stayed throttled longer than this tool waits" in line for line in collection_hints([got]))


def _many_role_holders(count: int) -> TenantSnapshot:
    """Contoso with `count` more Global Administrators, each with authentication methods to read."""
    snapshot = customer(users=count + 10)
    users = snapshot.sections["users"].data
    assignments = snapshot.sections["role_assignments"].data
    methods = snapshot.sections["authentication_methods"].data
    sample = next(iter(methods.values()))
    for i, user in enumerate(users[10:10 + count]):
        principal = {"@odata.type": "#microsoft.graph.user", "id": user["id"], "displayName": user["displayName"],
                     "userPrincipalName": user["userPrincipalName"], "userType": "Member", "accountEnabled": True}
        assignments.append({"id": f"ra-extra-{i}", "principalId": user["id"], "roleDefinitionId": GLOBAL_ADMIN,
                            "directoryScopeId": "/", "principal": principal})
        methods[user["id"]] = copy.deepcopy(sample)
    return snapshot


async def test_one_tenants_graph_requests_in_flight_stay_within_the_bound(tmp_path: Path) -> None:
    """200 role holders: ten $batch requests of methods. At most `graph_concurrency` of them (or any Graph
    request of that tenant) are in flight at once; the same tenant with a looser bound goes above it, so
    the measurement can see a breach."""
    tenants = [_many_role_holders(200)]
    flights = {}
    for bound in (2, 10):
        options = replace(FAST, graph_concurrency=bound, timeout_s=10.0)
        async with Emulator(tenants, latency_ms=40) as emulator:
            got = await collect(emulator, tenants, tmp_path / str(bound), options)
            flights[bound] = emulator.max_in_flight[(CUSTOMER_A.lower(), "graph")]
            batches = [r for r in emulator.requests if r.section == "$batch"]
        assert comparable(got[CUSTOMER_A]) == comparable(tenants[0])
        assert len(batches) >= 11
    assert flights[2] == 2
    assert flights[10] > 2


def test_collect_options_bounds_are_the_documented_ones() -> None:
    """docs/setup.md states the bounds a partner plans with; they are the defaults the collector uses."""
    guide = (Path(__file__).resolve().parents[1] / "docs" / "setup.md").read_text(encoding="utf-8")
    options = CollectOptions()
    assert options.max_retry_wait_s > 60  # larger than the old cap
    assert f"honoured up to **{options.max_retry_wait_s:g} s**" in guide
    assert f"retried up to {options.max_retries} times" in guide
    assert f"At most {options.graph_concurrency} Microsoft Graph requests" in guide
    assert f"{options.subscription_concurrency} Azure Resource Manager requests" in guide
    assert f"more than {options.max_pages:,} pages" in guide
