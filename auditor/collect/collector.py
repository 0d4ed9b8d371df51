"""Collect one tenant into a snapshot: Graph and ARM (every tenant of a config: auditor/collect/portfolio.py).

Per tenant: one credential, one Graph reader, one ARM reader, closed at the end. Graph is read in rounds of
JSON $batch requests (the tenant-wide lists first, then what depends on them: members of role-holding
groups, the authentication methods and sign-in activity of role holders, GDAP access assignments); ARM lists
the subscriptions, then reads each subscription's lists concurrently, and asks Azure Resource Graph for what it
answers for all subscriptions at once (auditor/collect/resource_graph.py). A tenant that cannot authenticate still gets a
snapshot, with every section in error and the reason, so its checks show UNKNOWN and the rest of the
portfolio goes on.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Collection, Hashable

import aiohttp

from auditor import __version__
from auditor.collect.answers import ACCESS, Fetched, auth_reason
from auditor.collect.arm import ArmReader
from auditor.collect.connections import tenant_connections
from auditor.collect.delegated_sections import collect_delegated_sections
from auditor.collect.credentials import CredentialError, ReusedTokens, build_credential, close_credential
from auditor.collect.graph import GraphCall, GraphReader
from auditor.collect.options import CollectOptions
from auditor.collect.trust import TrustError, trust_context
from auditor.collect.plan import (
    ARM_SUBSCRIPTION_REQUESTS,
    ARM_SUBSCRIPTIONS,
    AZURE_PER_PARENT_SECTIONS,
    GRAPH_REQUESTS,
    PARTNER_ONLY_SECTIONS,
    PER_PARENT_SECTIONS,
)
from auditor.collect.subscriptions import collect_arm
from auditor.config import AuditConfig
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
from checks.privileged import PRIVILEGED_ROLES  # the checklist's privileged roles (signInActivity is read for their holders)

PARTNER_ONLY_REASON = "partner tenant only"
# Read once per privileged user (active, eligible, or through a role-assignable group), in the same $batch
# rounds: their authentication methods (ADM-6) and their signInActivity (ADM-5, wave 2).
PER_USER_SECTIONS = ("authentication_methods", "sign_in_activity")
_GROUP_TYPE = "#microsoft.graph.group"
_USER_TYPE = "#microsoft.graph.user"


class CollectError(Exception):
    """The run cannot start (nothing to audit, an auth method that cannot serve several tenants)."""


@dataclass(frozen=True)
class Target:
    id: str
    name: str = ""
    kind: TenantKind = TenantKind.CUSTOMER
    tags: tuple[str, ...] = ()
    # Read only these tenant sections (the partner's context for a shard that does not audit the partner);
    # the rest, Azure included, is not_collected with CONTEXT_ONLY_REASON. None: everything.
    only: frozenset[str] | None = None


CONTEXT_ONLY_REASON = "not read: this snapshot holds only the partner context of a shard"


@dataclass
class TenantRun:
    """Counters one tenant's collection leaves behind (for progress and the benchmark)."""

    target: Target
    snapshot: TenantSnapshot | None  # None once written, when the caller asked not to keep snapshots
    requests: int = 0
    failed_whole: bool = False
    errors: list[str] = field(default_factory=list)


def snapshot_filename(tenant_id: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", tenant_id).strip(".-") or "tenant"
    return f"{slug}.json"


def _section(fetched: Fetched, request: str) -> Section:
    return Section(status=fetched.status, reason=fetched.reason, request=request, data=fetched.data if fetched.ok else None)


def _request_line(name: str) -> str:
    request = GRAPH_REQUESTS.get(name) or ARM_SUBSCRIPTION_REQUESTS.get(name)
    if request is not None:
        return request.request_line()
    return ARM_SUBSCRIPTIONS.request_line() if name == "subscriptions" else ""


def failed_snapshot(target: Target, reason: str, now: datetime) -> TenantSnapshot:
    """The snapshot of a tenant that could not be read at all: every section an error naming why."""
    sections = {}
    for name in TENANT_SECTIONS:
        if name in PARTNER_ONLY_SECTIONS and target.kind is not TenantKind.PARTNER:
            sections[name] = Section.missing(SectionStatus.NOT_COLLECTED, PARTNER_ONLY_REASON, _request_line(name))
        else:
            sections[name] = Section.missing(SectionStatus.ERROR, reason, _request_line(name))
    return TenantSnapshot(
        schema_version=SCHEMA_VERSION,
        tenant=Tenant(id=target.id, display_name=target.name or target.id, kind=target.kind, tags=list(target.tags)),
        collected_at=now,
        tool_version=__version__,
        sections=sections,
    )


def _principals(fetched: Fetched | None, roles: Collection[str] | None = None) -> list[dict[str, Any]]:
    """The expanded principals of role assignment rows (of the given role template ids only, when given)."""
    if fetched is None or not fetched.ok:
        return []
    return [item.get("principal") or {} for item in fetched.data if isinstance(item, dict)
            and (roles is None or str(item.get("roleDefinitionId") or "").lower() in roles)]


def _ids_of_type(principals: list[dict[str, Any]], odata_type: str) -> list[str]:
    return list(dict.fromkeys(p["id"] for p in principals if p.get("@odata.type") == odata_type and p.get("id")))


def _merge_map(name: str, parents: list[str], results: dict[Hashable, Fetched], request: str) -> Section:
    """A per-parent section from its parts. A parent whose first request answers 404 (deleted between the
    two reads) is left out; any other failure, including a 404 on a later page of that parent's list
    (auditor/collect/policy.py), fails the whole section, never a partial map presented as complete."""
    data: dict[str, Any] = {}
    for parent in parents:
        part = results[(name, parent)]
        if part.ok:
            data[parent] = part.data
        elif part.status is not SectionStatus.NOT_FOUND:
            return Section.missing(part.status, f"{part.reason} (for {parent})", request)
    return Section.of(data, request)


def _dependent(parent_name: str, parent: Fetched | None, request: str) -> Section:
    """A section read per object of another section that could not be read was not looked at: it says
    so (not_collected) and names the parent's status and reason, which is what to fix."""
    if parent is None:
        return Section.missing(SectionStatus.NOT_COLLECTED, f"needs {parent_name}, which was not collected", request)
    reason = f"needs {parent_name}, which is {parent.status.value} ({parent.reason})"
    return Section.missing(SectionStatus.NOT_COLLECTED, reason, request)


async def _collect_graph(
    reader: GraphReader, target: Target, azure_groups: "asyncio.Future[tuple[list[str], str]] | None" = None
) -> dict[str, Section]:
    """``azure_groups`` resolves (from the ARM side) to the groups holding roles on the tenant's
    subscriptions and, when those are unknown, why: they are expanded in round two with the others."""
    partner = target.kind is TenantKind.PARTNER
    sections: dict[str, Section] = {}
    first: list[GraphCall] = []
    for name, request in GRAPH_REQUESTS.items():
        if name in PER_PARENT_SECTIONS or name in AZURE_PER_PARENT_SECTIONS:
            continue
        if target.only is not None and name not in target.only:
            sections[name] = Section.missing(SectionStatus.NOT_COLLECTED, CONTEXT_ONLY_REASON, request.request_line())
            continue
        if request.partner_only and not partner:
            sections[name] = Section.missing(SectionStatus.NOT_COLLECTED, PARTNER_ONLY_REASON, request.request_line())
            continue
        first.append(GraphCall(key=name, section=name, api=request.api, url=request.relative_url()))
    results = await reader.fetch(first)
    for call in first:
        sections[call.section] = _section(results[call.key], GRAPH_REQUESTS[call.section].request_line())

    # Round two: what the first round's answers point at.
    assignments, eligibility = results.get("role_assignments"), results.get("role_eligibility_schedules")
    holders = _principals(assignments) + _principals(eligibility)
    groups = _ids_of_type(holders, _GROUP_TYPE)
    users = _ids_of_type(holders, _USER_TYPE)
    # signInActivity only for holders of the checklist's privileged roles (ADM-5), not of reader roles.
    privileged = _principals(assignments, PRIVILEGED_ROLES) + _principals(eligibility, PRIVILEGED_ROLES)
    privileged_groups = set(_ids_of_type(privileged, _GROUP_TYPE))
    wanted = {"authentication_methods": users, "sign_in_activity": _ids_of_type(privileged, _USER_TYPE)}
    gdap = results.get("delegated_admin_relationships")  # None for a customer tenant
    relationships = [r["id"] for r in gdap.data if r.get("id")] if gdap is not None and gdap.ok else []

    second: list[GraphCall] = []
    roles_known = assignments is not None and assignments.ok
    if roles_known:
        for group in groups:
            second.append(_parent_call("group_members", group))
        second.extend(_parent_call(name, user) for name in PER_USER_SECTIONS for user in wanted[name])
    for relationship in relationships:
        second.append(_parent_call("delegated_admin_access_assignments", relationship))
    # Groups holding Azure roles (AZR-2) join this round: the ARM side names them by now, or shortly.
    azure, azure_why = (await azure_groups) if azure_groups is not None else ([], "Azure was not read")
    second.extend(_parent_call("azure_group_members", group) for group in azure)
    results2 = await reader.fetch(second) if second else {}
    request = _request_line("azure_group_members")
    sections["azure_group_members"] = (
        Section.missing(SectionStatus.NOT_COLLECTED, azure_why, request) if azure_why
        else _merge_map("azure_group_members", azure, results2, request)
    )

    if roles_known:
        sections["group_members"] = _merge_map("group_members", groups, results2, _request_line("group_members"))
        # Round three: members of role-holding groups hold the roles too; read their methods as well.
        if sections["group_members"].ok:
            by_group = sections["group_members"].data.items()  # type: ignore[union-attr]
            extra: dict[str, list[str]] = {}
            for name in PER_USER_SECTIONS:
                members = [m for g, ms in by_group if name != "sign_in_activity" or g in privileged_groups for m in ms]
                extra[name] = [u for u in _ids_of_type(members, _USER_TYPE) if u not in wanted[name]]
            calls = [_parent_call(name, u) for name in PER_USER_SECTIONS for u in extra[name]]
            if calls:
                results2.update(await reader.fetch(calls))
                wanted = {name: wanted[name] + extra[name] for name in PER_USER_SECTIONS}
        for name in PER_USER_SECTIONS:
            sections[name] = _merge_map(name, wanted[name], results2, _request_line(name))
    else:
        for name in ("group_members", *PER_USER_SECTIONS):
            sections[name] = _dependent("role_assignments", assignments, _request_line(name))
    name = "delegated_admin_access_assignments"
    request = _request_line(name)
    if gdap is None:
        sections[name] = Section.missing(SectionStatus.NOT_COLLECTED, PARTNER_ONLY_REASON, request)
    elif gdap.ok:
        sections[name] = _merge_map(name, relationships, results2, request)
    else:
        sections[name] = _dependent("delegated_admin_relationships", gdap, request)
    return sections


def _parent_call(section: str, parent: str) -> GraphCall:
    request = GRAPH_REQUESTS[section]
    return GraphCall(key=(section, parent), section=section, api=request.api, url=request.relative_url(parent))


async def _no_azure(request: str) -> tuple[Section, list[SubscriptionSnapshot]]:
    return Section.missing(SectionStatus.NOT_COLLECTED, CONTEXT_ONLY_REASON, request), []


def _organization(organization: Section, tenant_id: str) -> dict[str, Any]:
    """The tenant's own organization object, chosen by its `id` (the tenant id), not by position. Graph's
    "List organization" documents one object in the collection (learn.microsoft.com/graph/api/
    organization-list); a lone object with another id is still taken, more than one never by position."""
    if not organization.ok or not organization.data:
        return {}
    objects = [o for o in organization.data if isinstance(o, dict)]  # type: ignore[union-attr]
    for candidate in objects:
        if str(candidate.get("id", "")).lower() == tenant_id.lower():
            return candidate
    return objects[0] if len(objects) == 1 else {}


def _default_domain(organization: dict[str, Any]) -> str:
    """The verified domain flagged `isDefault` (by that field, whatever the list order)."""
    for domain in organization.get("verifiedDomains") or []:
        if isinstance(domain, dict) and domain.get("isDefault"):
            return str(domain.get("name") or "")
    return ""


async def collect_tenant(
    target: Target, config: AuditConfig, options: CollectOptions, now: datetime | None = None
) -> TenantRun:
    """Read one tenant. Never raises for the tenant's own failures: they end up in the snapshot."""
    started = now or datetime.now(timezone.utc).replace(microsecond=0)
    ACCESS.set("gdap" if config.auth.method == "gdap" else "app")  # this task's context only
    try:
        # One TLS context for the whole run (cached by its sources): tokens, Graph and ARM trust the same CAs.
        trust = trust_context(options.environ, config.endpoints.ca_bundle, options.ca_bundle)
    except TrustError as exc:
        return TenantRun(target, failed_snapshot(target, f"TLS trust: {exc}", started), failed_whole=True)
    # Tokens, Graph and ARM through one pool: the run's shared one, or the tenant's own when read alone.
    async with tenant_connections(trust, options.connections_per_host) as session:
        return await _collect(target, config, options, started, trust, session)


async def _collect(
    target: Target, config: AuditConfig, options: CollectOptions, started: datetime, trust: ssl.SSLContext,
    session: aiohttp.ClientSession,
) -> TenantRun:
    try:
        credential = build_credential(config.auth, config.endpoints, target.id, environ=options.environ, trust=trust,
                                      session=session)
    except CredentialError as exc:
        return TenantRun(target, failed_snapshot(target, f"authentication failed: {exc}", started), failed_whole=True)
    graph = arm = None
    tokens = ReusedTokens(credential)  # Graph's SDK asks for a token per request: kept ones are handed out
    try:
        # One token first: a tenant without consent or with a bad secret fails here, once, with
        # azure-identity's own reason, rather than as a wall of per-section errors.
        try:
            # enable_cae=True as the Graph SDK's token provider asks: the token lands in the cache entry the
            # Graph reader reads, so its first concurrent requests ($batch and beta) fetch no second token.
            await tokens.get_token(f"{config.endpoints.graph}/.default", enable_cae=True)
        except Exception as exc:  # azure-identity raises ClientAuthenticationError and friends
            return TenantRun(target, failed_snapshot(target, auth_reason(exc), started), failed_whole=True)
        graph = GraphReader(tokens, config.endpoints.graph, options, session)
        arm = ArmReader(tokens, config.endpoints.arm, options, session)
        azure_groups: asyncio.Future[tuple[list[str], str]] = asyncio.get_running_loop().create_future()
        if target.only is not None:  # the partner's context only: no Azure
            azure_groups.set_result(([], CONTEXT_ONLY_REASON))
            arm_read = _no_azure(ARM_SUBSCRIPTIONS.request_line())
        else:
            arm_read = collect_arm(arm, options, started, azure_groups)
        graph_sections, (subscriptions_section, subscriptions) = await asyncio.gather(
            _collect_graph(graph, target, azure_groups), arm_read
        )
        delegated, partner_center_requests = await collect_delegated_sections(
            config, target.kind, credential, arm, trust, options.timeout_s)  # issue 14
        sections = {**graph_sections, "subscriptions": subscriptions_section, **delegated}
        sections = {name: sections[name] for name in TENANT_SECTIONS}
        organization = _organization(sections["organization"], target.id)
        org_name = str(organization.get("displayName") or "")
        snapshot = TenantSnapshot(
            schema_version=SCHEMA_VERSION,
            tenant=Tenant(
                id=target.id,
                display_name=target.name or org_name or target.id,
                default_domain=_default_domain(organization),
                kind=target.kind,
                tags=list(target.tags),
            ),
            collected_at=started,
            tool_version=__version__,
            sections=sections,
            azure_subscriptions=subscriptions,
        )
        errors = [f"{n}: {s.reason}" for n, s in sections.items() if s.status is SectionStatus.ERROR]
        for sub in subscriptions:
            errors += [f"{sub.subscription_id}/{n}: {s.reason}" for n, s in sub.sections.items() if s.status is SectionStatus.ERROR]
        return TenantRun(target, snapshot, requests=graph.requests_sent + arm.requests_sent + partner_center_requests,
                         errors=errors)
    finally:
        for reader in (graph, arm):
            if reader is not None:
                await reader.close()
        await close_credential(credential)
