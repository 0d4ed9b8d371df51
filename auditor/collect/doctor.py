"""`auditor doctor`: can each tenant of a config be read, section group by section group, and what exactly is
missing where it cannot (issue 14, item 4).

Per tenant: one token (the sign-in), then one cheap GET per section group (`$top=1` where the API allows it)
and, per Azure subscription, one read per Azure role. Every answer is classified by the collector's own rules
(auditor.collect.answers.failure), so a gap reads exactly as it would in a snapshot: the permission to
consent (app-only), the GDAP role to add (delegated), the Azure role and the subscription. Read-only: GETs.
Tenants run concurrently (the config's `concurrency`), so 100 tenants take a few seconds, not minutes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx

from auditor.collect.answers import ACCESS, auth_reason, failure
from auditor.collect.permissions import AZURE_ROLES, DELEGATED_ONLY_ROLES, gdap_fix, permission_for
from auditor.collect.credentials import CredentialError, build_credential, close_credential
from auditor.collect.plan import ARM_SUBSCRIPTION_REQUESTS, ARM_SUBSCRIPTIONS, GRAPH_REQUESTS, SectionRequest
from auditor.collect.trust import trust_context
from auditor.config import AuditConfig
from auditor.snapshot import SectionStatus


class Readable(StrEnum):
    READABLE = "readable"
    FORBIDDEN = "forbidden"
    NOT_LICENSED = "not licensed"
    UNREACHABLE = "unreachable"


# Section groups, each probed by one section's request: one group per kind of access the tool needs.
GRAPH_GROUPS: dict[str, str] = {
    "directory": "organization",
    "role assignments": "role_assignments",
    "policies": "conditional_access_policies",
    "MFA registration": "user_registration_details",
    "sign-in activity": "service_provider_sign_ins",
    "PIM": "role_eligibility_schedules",
    "risky users": "risky_users",
    "Secure Score": "secure_scores",
}
AZURE_GROUPS: dict[str, str] = {"Defender for Cloud": "pricings", "cost": "budgets"}
GROUPS: tuple[str, ...] = (*GRAPH_GROUPS, "Azure subscriptions", *AZURE_GROUPS)
# Delegated (gdap) configs only: what an app-only run cannot read at all.
DELEGATED_GROUPS: tuple[str, ...] = ("Entra diagnostic settings", "Partner Center")


def groups_for(config: AuditConfig) -> tuple[str, ...]:
    return GROUPS + DELEGATED_GROUPS if config.auth.method == "gdap" else GROUPS


@dataclass
class Cell:
    state: Readable
    fix: str = ""  # the exact fix (the reason, in the collector's own words), empty when readable


@dataclass
class TenantDiagnosis:
    tenant_id: str
    name: str
    reached: bool
    cells: dict[str, Cell] = field(default_factory=dict)
    reason: str = ""  # why the tenant could not be reached at all

    def as_json(self) -> dict[str, Any]:
        return {"tenant": self.tenant_id, "name": self.name, "reached": self.reached, "reason": self.reason,
                "sections": {g: {"state": c.state.value, "fix": c.fix} for g, c in self.cells.items()}}


_STATES = {SectionStatus.FORBIDDEN: Readable.FORBIDDEN, SectionStatus.NOT_LICENSED: Readable.NOT_LICENSED}


def _probe_url(root: str, request: SectionRequest, parent: str = "") -> str:
    probe = request if request.api.value == "arm" or request.top is None else SectionRequest(
        **{**request.__dict__, "top": 1}
    )
    prefix = "" if request.api.value == "arm" else f"/{request.api.value}"
    return f"{root}{prefix}{probe.relative_url(parent)}"


async def _cell(client: httpx.AsyncClient, credential: Any, scope: str, url: str, section: str, *,
                arm: bool = False, subscription_id: str = "") -> tuple[Cell, Any]:
    try:
        token = (await credential.get_token(scope)).token
        reply = await client.get(url, headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as exc:
        return Cell(Readable.UNREACHABLE, f"no answer: {type(exc).__name__}"), None
    except Exception as exc:  # azure-identity's ClientAuthenticationError and friends
        return Cell(Readable.UNREACHABLE, auth_reason(exc)), None
    if reply.is_success:
        return Cell(Readable.READABLE), reply.json()
    outcome = failure(section, reply.status_code, reply.content, arm=arm, subscription_id=subscription_id)
    state = _STATES.get(outcome.status, Readable.UNREACHABLE)
    return Cell(state, f"{_fix(section, arm, subscription_id)}: {outcome.reason}" if state is Readable.FORBIDDEN
                else outcome.reason), None


def _fix(section: str, arm: bool, subscription_id: str) -> str:
    """The action that closes a forbidden gap, for the way in of this run."""
    delegated = ACCESS.get() == "gdap"
    if delegated and section in DELEGATED_ONLY_ROLES:  # Entra diagnostic settings: ARM, but an Entra role
        return gdap_fix(section)
    if arm:
        who = "the GDAP security group" if delegated else "the app's service principal"
        where = f" on subscription {subscription_id}" if subscription_id else " on each subscription"
        return f"assign the {AZURE_ROLES.get(section, 'Reader')} Azure role to {who}{where}"
    if delegated:
        return gdap_fix(section)
    return f"add the {permission_for(section)} application permission to the app and grant admin consent in this tenant"


def _unreached_fix(reason: str) -> str:
    if "AADSTS65001" in reason or "AADSTS7000229" in reason:
        return f"a customer administrator grants admin consent to the app (docs/setup.md, step 2): {reason}"
    if "AADSTS700016" in reason:
        return f"the app is not in this tenant: consent it there, or check the tenant id: {reason}"
    return reason


async def diagnose_tenant(config: AuditConfig, tenant_id: str, name: str, environ: Any = None,
                          timeout_s: float = 20.0) -> TenantDiagnosis:
    """One tenant's matrix row. Never raises for the tenant's own failures."""
    ACCESS.set("gdap" if config.auth.method == "gdap" else "app")
    trust = trust_context(environ, config.endpoints.ca_bundle)
    try:
        credential = build_credential(config.auth, config.endpoints, tenant_id, environ=environ, trust=trust)
    except CredentialError as exc:
        return TenantDiagnosis(tenant_id, name, False, reason=f"authentication failed: {exc}")
    graph_scope, arm_scope = f"{config.endpoints.graph}/.default", f"{config.endpoints.arm}/.default"
    try:
        try:
            await credential.get_token(graph_scope)
        except Exception as exc:
            return TenantDiagnosis(tenant_id, name, False, reason=_unreached_fix(auth_reason(exc)))
        row = TenantDiagnosis(tenant_id, name, True)
        async with httpx.AsyncClient(verify=trust, timeout=timeout_s) as client:
            probes = [
                _cell(client, credential, graph_scope, _probe_url(config.endpoints.graph, GRAPH_REQUESTS[s]), s)
                for s in GRAPH_GROUPS.values()
            ]
            subscriptions_probe = _cell(client, credential, arm_scope,
                                        _probe_url(config.endpoints.arm, ARM_SUBSCRIPTIONS), "subscriptions", arm=True)
            *graph_cells, (subscriptions_cell, listing) = await asyncio.gather(*probes, subscriptions_probe)
            row.cells.update({group: cell for group, (cell, _) in zip(GRAPH_GROUPS, graph_cells)})
            row.cells["Azure subscriptions"] = subscriptions_cell
            ids = [str(s.get("subscriptionId")) for s in (listing or {}).get("value", []) if s.get("subscriptionId")]
            for group, section in AZURE_GROUPS.items():
                request = ARM_SUBSCRIPTION_REQUESTS[section]
                cells = await asyncio.gather(*(
                    _cell(client, credential, arm_scope, _probe_url(config.endpoints.arm, request, sid), section,
                          arm=True, subscription_id=sid)
                    for sid in ids
                ))
                gaps = [cell for cell, _ in cells if cell.state is not Readable.READABLE]
                if not ids:
                    row.cells[group] = Cell(subscriptions_cell.state, subscriptions_cell.fix or "no subscription")
                elif gaps:  # one subscription's gap is the group's: the fix names each subscription
                    row.cells[group] = Cell(gaps[0].state, "; ".join(c.fix for c in gaps))
                else:
                    row.cells[group] = Cell(Readable.READABLE)
            if config.auth.method == "gdap":
                await _delegated_cells(row, config, client, credential, arm_scope)
        return row
    finally:
        await close_credential(credential)


async def _delegated_cells(row: TenantDiagnosis, config: AuditConfig, client: httpx.AsyncClient, credential: Any,
                           arm_scope: str) -> None:
    from auditor.collect.delegated import PARTNER_CENTER_SCOPE
    from auditor.collect.permissions import PARTNER_AGENT_ROLE
    from auditor.collect.plan import ENTRA_DIAGNOSTIC_SETTINGS

    row.cells["Entra diagnostic settings"], _ = await _cell(
        client, credential, arm_scope, f"{config.endpoints.arm}{ENTRA_DIAGNOSTIC_SETTINGS.relative_url()}",
        "entra_diagnostic_settings", arm=True)
    if config.partner is None or row.tenant_id.lower() != config.partner.id.lower():
        row.cells["Partner Center"] = Cell(Readable.READABLE, "read in the partner tenant only")
        return
    cell, _ = await _cell(client, credential, PARTNER_CENTER_SCOPE,
                          f"{config.endpoints.partner_center}/v1/customers?size=1", "partner_center_customers")
    if cell.state is Readable.FORBIDDEN or "401" in cell.fix:
        cell = Cell(Readable.FORBIDDEN, f"give the signed-in user the {PARTNER_AGENT_ROLE} role in Partner Center")
    row.cells["Partner Center"] = cell


async def diagnose(config: AuditConfig, environ: Any = None) -> list[TenantDiagnosis]:
    """Every tenant of the config (the partner first), `config.concurrency` at a time."""
    targets = ([(config.partner.id, config.partner.name)] if config.partner else []) + [
        (t.id, t.name) for t in config.tenants
    ]
    limit = asyncio.Semaphore(config.concurrency)

    async def bounded(tenant_id: str, name: str) -> TenantDiagnosis:
        async with limit:
            return await diagnose_tenant(config, tenant_id, name, environ)

    return list(await asyncio.gather(*(bounded(t, n) for t, n in targets)))
