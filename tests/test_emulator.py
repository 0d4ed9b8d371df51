"""The emulator on its own, through plain HTTP: Graph query options, paging, $batch, read-only."""

from __future__ import annotations

import httpx

from auditor.collect.emulator import Emulator
from auditor.collect.faults import Fault, FaultKind
from tests.test_collect_data import CUSTOMER_A, customer

AUTH = {"Authorization": f"Bearer tenant:{CUSTOMER_A}"}


async def test_select_top_and_absolute_next_links() -> None:
    tenant = customer(users=5)
    async with Emulator([tenant]) as emulator, httpx.AsyncClient(headers=AUTH) as http:
        url = f"{emulator.base_url}/v1.0/users?$select=id,displayName&$top=2"
        seen = []
        while url:
            body = (await http.get(url)).json()
            seen += body["value"]
            url = body.get("@odata.nextLink")
            assert url is None or url.startswith(emulator.base_url + "/v1.0/users?")
    assert [u["id"] for u in seen] == [u["id"] for u in tenant.sections["users"].data]
    assert all(set(u) == {"id", "displayName"} for u in seen)


async def test_filter_entity_and_arm() -> None:
    tenant = customer(users=5)
    wanted = tenant.sections["users"].data[3]["userPrincipalName"]
    async with Emulator([tenant]) as emulator, httpx.AsyncClient(headers=AUTH, base_url=emulator.base_url) as http:
        found = (await http.get("/v1.0/users", params={"$filter": f"userPrincipalName eq '{wanted}'"})).json()["value"]
        entity = (await http.get("/v1.0/policies/identitySecurityDefaultsEnforcementPolicy")).json()
        subs = (await http.get("/subscriptions?api-version=2022-12-01")).json()
        unknown = await http.get("/subscriptions/nope/providers/Microsoft.Security/pricings?api-version=2024-01-01")
    assert [u["userPrincipalName"] for u in found] == [wanted]
    assert entity["isEnabled"] is False and "value" not in entity
    assert subs["value"][0]["subscriptionId"] == tenant.azure_subscriptions[0].subscription_id
    assert unknown.status_code == 404


async def test_batch_and_in_batch_throttling() -> None:
    tenant = customer(users=5)
    fault = Fault(FaultKind.THROTTLE, section="organization", retry_after=7)
    async with Emulator([tenant], faults=[fault]) as emulator, httpx.AsyncClient(headers=AUTH) as http:
        response = await http.post(f"{emulator.base_url}/v1.0/$batch", json={"requests": [
            {"id": "a", "method": "GET", "url": "/users?$select=id"},
            {"id": "b", "method": "GET", "url": "/organization"},
        ]})
        answers = {r["id"]: r for r in response.json()["responses"]}
        assert len(emulator.http_requests()) == 1
    assert answers["a"]["status"] == 200 and len(answers["a"]["body"]["value"]) == 5
    assert answers["b"]["status"] == 429 and answers["b"]["headers"]["Retry-After"] == "7"


async def test_writes_get_405_and_are_recorded() -> None:
    async with Emulator([customer(users=5)]) as emulator, httpx.AsyncClient(headers=AUTH) as http:
        patch = await http.patch(f"{emulator.base_url}/v1.0/organization/x", json={"displayName": "pwned"})
        delete = await http.delete(f"{emulator.base_url}/subscriptions/x?api-version=2022-12-01")
        batch = await http.post(f"{emulator.base_url}/v1.0/$batch", json={"requests": [
            {"id": "1", "method": "POST", "url": "/users", "body": {}, "headers": {"Content-Type": "application/json"}}]})
        writes = [(w.method, w.path) for w in emulator.writes]
    assert patch.status_code == 405 and delete.status_code == 405
    assert batch.json()["responses"][0]["status"] == 405
    assert writes == [("PATCH", "/v1.0/organization/x"), ("DELETE", "/subscriptions/x?api-version=2022-12-01"),
                      ("POST", "/users")]


async def test_unknown_token_is_401_and_issued_tokens_route_by_tenant() -> None:
    async with Emulator([customer(users=5)]) as emulator, httpx.AsyncClient() as http:
        denied = await http.get(f"{emulator.base_url}/v1.0/users", headers={"Authorization": "Bearer nonsense"})
        token = (await http.post(f"{emulator.base_url}/{CUSTOMER_A}/oauth2/v2.0/token",
                                 data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y",
                                       "scope": "https://graph.microsoft.com/.default"})).json()["access_token"]
        allowed = await http.get(f"{emulator.base_url}/v1.0/users", headers={"Authorization": f"Bearer {token}"})
    assert denied.status_code == 401 and allowed.status_code == 200
