"""The real collector (msgraph-sdk + azure-identity over HTTP) against the local emulator: round trips,
request counts, failure semantics per fault and section kind, whole-tenant failures, discovery, CLI."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.collect import CollectOptions, collect_all, collect_all_async
from auditor.collect.answers import failure
from auditor.collect.credentials import CredentialError, build_credential
from auditor.collect.emulator import Emulator, EmulatorThread
from auditor.collect.faults import TOKEN_ENDPOINT, Fault, FaultKind
from auditor.collect.permissions import AZURE_ROLES, GRAPH_PERMISSIONS
from auditor.config import AuditConfig, AuthConfig, Endpoints, PartnerEntry, TenantEntry
from auditor.evaluate import evaluate_tenant
from auditor.registry import Registry
from auditor.results import Status
from auditor.samples import sample_snapshots_dir
from auditor.snapshot import SUBSCRIPTION_SECTIONS, SectionStatus, TenantKind, TenantSnapshot, load_snapshot
from tests.test_collect_data import CUSTOMER_A, CUSTOMER_B, PARTNER, customer, partner

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
TOKEN_ENV = {"AUDITOR_STATIC_TOKEN": "tenant:{tenant}", "AUDITOR_CLIENT_SECRET": "emulator-secret"}
FAST = CollectOptions(timeout_s=0.5, max_retries=2, backoff_s=0.01, max_retry_wait_s=0.2, environ=TOKEN_ENV)


def comparable(snapshot: TenantSnapshot) -> dict[str, Any]:
    """A snapshot without what legitimately differs between two collections of the same data (time, tool,
    how a section was asked for and the wording of a failure reason)."""
    tenant = snapshot.tenant.model_dump()
    if not snapshot.sections["organization"].ok:
        tenant.pop("default_domain")  # read from /organization: unknowable when that is not readable
    return {
        "tenant": tenant,
        "sections": {n: (s.status.value, s.data) for n, s in snapshot.sections.items()},
        "subscriptions": [
            (sub.subscription_id, sub.display_name, {n: (s.status.value, s.data) for n, s in sub.sections.items()})
            for sub in snapshot.azure_subscriptions
        ],
    }


def config_for(snapshots: list[TenantSnapshot], endpoints: Endpoints, method: str = "static_token") -> AuditConfig:
    partner_entry = None
    tenants = []
    for s in snapshots:
        if s.tenant.kind is TenantKind.PARTNER:
            partner_entry = PartnerEntry(id=s.tenant.id, name=s.tenant.display_name)
        else:
            tenants.append(TenantEntry(id=s.tenant.id, name=s.tenant.display_name, tags=s.tenant.tags))
    auth = AuthConfig(method=method, client_id="11111111-0000-4000-8000-000000000001" if method == "client_secret" else "")
    return AuditConfig(partner=partner_entry, tenants=tenants, discover_customers=False, auth=auth, endpoints=endpoints)


async def collect(emulator: Emulator, snapshots: list[TenantSnapshot], tmp_path: Path,
                  options: CollectOptions = FAST, method: str = "static_token") -> dict[str, TenantSnapshot]:
    config = config_for(snapshots, emulator.endpoints(), method)
    runs = await collect_all_async(config, tmp_path / "out", now=NOW, options=options)
    return {r.target.id: load_snapshot(tmp_path / "out" / f"{r.target.id}.json") for r in runs}


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.from_entry_points()


# -- round trips -----------------------------------------------------------------------------------------

async def test_round_trip_customer_and_partner(tmp_path: Path) -> None:
    tenants = [customer(), customer(CUSTOMER_B, "Fabrikam Ltd", users=5, subscriptions=2, domain="fabrikam.example"),
               partner([(CUSTOMER_A, "Contoso Inc"), (CUSTOMER_B, "Fabrikam Ltd")])]
    async with Emulator(tenants, page_size=100, max_page_size=7) as emulator:  # small pages: paging is followed
        got = await collect(emulator, tenants, tmp_path)
        assert not emulator.writes
    for original in tenants:
        assert comparable(got[original.tenant.id]) == comparable(original)
    assert got[CUSTOMER_A].sections["partner_security_alerts"].reason == "partner tenant only"
    assert got[CUSTOMER_A].collected_at == NOW


SAMPLE_FILES = sorted(sample_snapshots_dir().glob("*.json")) if sample_snapshots_dir().is_dir() else []


@pytest.mark.skipif(not SAMPLE_FILES, reason="sample_data/tenants/*.json not generated yet")
@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.stem)
async def test_round_trip_sample_tenant(path: Path, tmp_path: Path) -> None:
    original = load_snapshot(path)
    async with Emulator([original]) as emulator:
        got = await collect(emulator, [original], tmp_path)
        assert not emulator.writes
    assert comparable(got[original.tenant.id]) == comparable(original)


async def test_real_client_secret_credential_and_request_budget(tmp_path: Path) -> None:
    """azure-identity's ClientSecretCredential gets its tokens from the emulated (https) authority; a
    300-user customer with one subscription costs at most 14 HTTP requests, tokens included (issue 13's
    budget). This customer takes exactly 14: 2 tokens, 3 Graph $batch rounds (its role-holding group has a
    member who holds no role directly) and the beta sign-ins, 3 Azure Resource Graph queries (the first one
    lists the subscriptions too) and the subscription's 5 lists. Every request reads: GETs, Graph's $batch,
    and Azure Resource Graph's query POST."""
    tenant = customer(users=300, subscriptions=1)
    async with Emulator([tenant], client_secret="emulator-secret", tls_authority=True) as emulator:
        options = CollectOptions(environ=TOKEN_ENV, ca_bundle=str(emulator.ca_path))
        got = await collect(emulator, [tenant], tmp_path, options, method="client_secret")
        requests = len(emulator.http_requests(CUSTOMER_A)) + len(emulator.token_requests)
        assert {r.status for r in emulator.token_requests} == {200}
        assert all(r.method == "GET" or r.path.endswith("/$batch")
                   or r.path.startswith("/providers/Microsoft.ResourceGraph/resources?") for r in emulator.http_requests())
        assert not emulator.writes
    assert comparable(got[CUSTOMER_A]) == comparable(tenant)
    assert requests <= 14, [r.path for r in emulator.http_requests()]


# -- faults ----------------------------------------------------------------------------------------------

PERMISSION = {**GRAPH_PERMISSIONS, **AZURE_ROLES}
GRAPH_SECTIONS = ["users", "security_defaults", "authentication_methods", "partner_security_alerts"]
ARM_SECTIONS = ["subscriptions", "pricings"]
PAGED = ["users", "authentication_methods", "pricings"]


# Checks whose docstrings decide that a status is itself a finding: an unregistered Microsoft.Security
# provider (ARM answers pricings with not_found) means Defender was never turned on, a FAIL.
DECIDED = {("pricings", SectionStatus.NOT_FOUND): {"DEF-1", "DEF-2"}}


def _cases() -> list[tuple[str, FaultKind, SectionStatus]]:
    cases = []
    for section in GRAPH_SECTIONS + ARM_SECTIONS:
        for kind in (FaultKind.THROTTLE, FaultKind.UNAVAILABLE, FaultKind.GATEWAY_TIMEOUT, FaultKind.TIMEOUT,
                     FaultKind.MALFORMED):
            cases.append((section, kind, SectionStatus.ERROR))
        cases.append((section, FaultKind.FORBIDDEN, SectionStatus.FORBIDDEN))
        if section in GRAPH_SECTIONS:
            cases.append((section, FaultKind.NOT_LICENSED, SectionStatus.NOT_LICENSED))
        # a 404 for one parent means that parent is gone: the map leaves it out
        cases.append((section, FaultKind.NOT_FOUND,
                      SectionStatus.OK if section == "authentication_methods" else SectionStatus.NOT_FOUND))
        if section in PAGED:
            cases.append((section, FaultKind.FAIL_MID_PAGE, SectionStatus.ERROR))
    return cases


def _status(snapshot: TenantSnapshot, section: str) -> list[SectionStatus]:
    if section in SUBSCRIPTION_SECTIONS:
        return [sub.sections[section].status for sub in snapshot.azure_subscriptions]
    return [snapshot.sections[section].status]


def _results(snapshot: TenantSnapshot, registry: Registry) -> dict[str, tuple[Status, str]]:
    return {r.check_id: (r.status, r.summary) for r in evaluate_tenant(snapshot, registry, NOW).results}


@pytest.fixture(scope="module")
def baselines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, TenantSnapshot]:
    import asyncio

    tenants = _fault_tenants()

    async def run() -> dict[str, TenantSnapshot]:
        async with Emulator(tenants, max_page_size=2) as emulator:
            return await collect(emulator, tenants, tmp_path_factory.mktemp("baseline"))

    return asyncio.run(run())


def _fault_tenants() -> list[TenantSnapshot]:
    return [partner([(CUSTOMER_A, "Contoso Inc")]), customer(), customer(CUSTOMER_B, "Fabrikam Ltd", users=8,
                                                                          domain="fabrikam.example")]


@pytest.mark.parametrize("section,kind,expected", _cases(), ids=lambda v: str(getattr(v, "value", v)))
async def test_fault_gives_honest_status(section: str, kind: FaultKind, expected: SectionStatus, tmp_path: Path,
                                         baselines: dict[str, TenantSnapshot], registry: Registry) -> None:
    victim = PARTNER if section == "partner_security_alerts" else CUSTOMER_A
    tenants = _fault_tenants()
    fault = Fault(kind, section=section, tenant=victim, retry_after=0, delay_s=3.0)
    async with Emulator(tenants, faults=[fault], max_page_size=2) as emulator:
        got = await collect(emulator, tenants, tmp_path)
        assert not emulator.writes
    assert fault.hits > 0
    statuses = _status(got[victim], section)
    assert statuses and set(statuses) == {expected}, [got[victim].sections[section].reason if section in got[victim].sections else ""]
    if expected is SectionStatus.FORBIDDEN:
        assert PERMISSION[section] in (got[victim].sections.get(section) or got[victim].azure_subscriptions[0].sections[section]).reason
    if expected is SectionStatus.NOT_LICENSED:
        assert "licence" in got[victim].sections[section].reason
    # every other tenant is untouched: the same data and the same check results as without the fault
    for tenant_id, snapshot in got.items():
        if tenant_id != victim:
            assert comparable(snapshot) == comparable(baselines[tenant_id])
            assert _results(snapshot, registry) == _results(baselines[tenant_id], registry)
    # checks that need the section say UNKNOWN, never PASS or FAIL
    if expected is not SectionStatus.OK:
        results = _results(got[victim], registry)
        needing = [s for s in registry if s.applies(got[victim].tenant.kind)
                   and (section in s.needs or (section == "subscriptions" and set(s.needs) & set(SUBSCRIPTION_SECTIONS)))]
        for spec in needing:
            if spec.id in DECIDED.get((section, expected), set()):
                continue
            assert results[spec.id][0] is Status.UNKNOWN, (spec.id, results[spec.id])


async def test_transient_throttling_is_retried_honouring_retry_after(tmp_path: Path) -> None:
    tenants = [customer()]
    faults = [Fault(FaultKind.THROTTLE, section="users", times=2, retry_after=0.05),
              Fault(FaultKind.UNAVAILABLE, section="pricings", times=1, retry_after=0.05)]
    async with Emulator(tenants, faults=faults) as emulator:
        got = await collect(emulator, tenants, tmp_path)
        user_reads = [r for r in emulator.requests if r.section == "users"]
    assert [r.status for r in user_reads] == [429, 429, 200]
    assert comparable(got[CUSTOMER_A]) == comparable(tenants[0])


async def test_pim_licence_error_answered_400_is_not_licensed(tmp_path: Path) -> None:
    """Graph answers roleEligibilitySchedules without Entra ID P2 with 400 AadPremiumLicenseRequired."""
    tenants = [customer()]
    fault = Fault(FaultKind.NOT_LICENSED, section="role_eligibility_schedules")
    async with Emulator(tenants, faults=[fault]) as emulator:
        got = await collect(emulator, tenants, tmp_path)
        assert {r.status for r in emulator.requests if r.section == "role_eligibility_schedules"} == {400}
    section = got[CUSTOMER_A].sections["role_eligibility_schedules"]
    assert section.status is SectionStatus.NOT_LICENSED
    assert "Microsoft Entra ID P2" in section.reason
    # any other 400 is still an error
    bad_request = {"error": {"code": "BadRequest", "message": "Invalid filter clause"}}
    assert failure("role_eligibility_schedules", 400, json.dumps(bad_request)).status is SectionStatus.ERROR


async def test_sign_in_failure_keeps_entra_message_with_quotes(tmp_path: Path) -> None:
    """AADSTS messages quote names ("Tenant '…' not found."); the reason keeps the whole sentence."""
    tenants = [customer()]
    unknown = "0000dead-0000-4000-8000-000000000000"
    async with Emulator(tenants, client_secret="emulator-secret", tls_authority=True) as emulator:
        config = AuditConfig(tenants=[TenantEntry(id=unknown)], discover_customers=False, endpoints=emulator.endpoints(),
                             auth=AuthConfig(method="client_secret", client_id="11111111-0000-4000-8000-000000000001"))
        options = CollectOptions(environ=TOKEN_ENV, ca_bundle=str(emulator.ca_path))
        runs = await collect_all_async(config, tmp_path, now=NOW, options=options)
    reason = runs[0].snapshot.sections["users"].reason
    assert reason == f"authentication failed: AADSTS90002: Tenant '{unknown}' not found."


async def test_graph_token_failure_after_sign_in_fails_that_tenant_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A token refresh that fails mid-collection ends as that tenant's section errors, not as an exception
    that stops the whole portfolio. The tokens here expire within the refresh margin, so every request asks
    the credential again (a kept token is handed out only while it is not about to expire)."""
    from azure.core.credentials import AccessToken
    from azure.core.exceptions import ClientAuthenticationError

    from auditor.collect import collector

    class FailsAfterFirstToken:
        def __init__(self, tenant_id: str) -> None:
            self.tenant_id, self.tokens = tenant_id, 0

        async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
            self.tokens += 1
            if self.tenant_id == CUSTOMER_A and self.tokens > 1:
                raise ClientAuthenticationError("ClientSecretCredential.get_token failed: AADSTS50058: refresh failed")
            return AccessToken(f"tenant:{self.tenant_id}", int(time.time()) + 60)

    monkeypatch.setattr(collector, "build_credential", lambda auth, endpoints, tenant_id, **kw: FailsAfterFirstToken(tenant_id))
    tenants = [customer(), customer(CUSTOMER_B, "Fabrikam Ltd", users=8, domain="fabrikam.example")]
    async with Emulator(tenants) as emulator:
        got = await collect(emulator, tenants, tmp_path)
    users = got[CUSTOMER_A].sections["users"]
    assert users.status is SectionStatus.ERROR
    assert users.reason == "authentication failed for Microsoft Graph: AADSTS50058: refresh failed"
    assert comparable(got[CUSTOMER_B]) == comparable(tenants[1])


async def test_tenant_without_consent_fails_alone(tmp_path: Path, registry: Registry) -> None:
    tenants = [customer(), customer(CUSTOMER_B, "Fabrikam Ltd", users=8, domain="fabrikam.example")]
    fault = Fault(FaultKind.FORBIDDEN, section=TOKEN_ENDPOINT, tenant=CUSTOMER_A)
    async with Emulator(tenants, faults=[fault], client_secret="emulator-secret", tls_authority=True) as emulator:
        options = CollectOptions(environ=TOKEN_ENV, ca_bundle=str(emulator.ca_path))
        got = await collect(emulator, tenants, tmp_path, options, method="client_secret")
        assert emulator.http_requests(CUSTOMER_A) == []
    failed = got[CUSTOMER_A]
    reasons = {s.reason for s in failed.sections.values() if s.status is SectionStatus.ERROR}
    assert len(reasons) == 1 and reasons.pop().startswith("authentication failed: AADSTS65001")
    assert "emulator-secret" not in failed.model_dump_json()
    assert {r[0] for r in _results(failed, registry).values()} == {Status.UNKNOWN}
    assert comparable(got[CUSTOMER_B]) == comparable(tenants[1])


async def test_wrong_secret_is_reported_without_the_secret(tmp_path: Path) -> None:
    tenants = [customer()]
    async with Emulator(tenants, client_secret="the-right-one", tls_authority=True) as emulator:
        options = CollectOptions(environ={"AUDITOR_CLIENT_SECRET": "a-wrong-secret"}, ca_bundle=str(emulator.ca_path))
        got = await collect(emulator, tenants, tmp_path, options, method="client_secret")
    text = got[CUSTOMER_A].model_dump_json()
    assert "AADSTS7000215" in got[CUSTOMER_A].sections["users"].reason
    assert "a-wrong-secret" not in text and "the-right-one" not in text


async def test_missing_secret_variable_names_it(tmp_path: Path) -> None:
    tenants = [customer()]
    async with Emulator(tenants) as emulator:
        got = await collect(emulator, tenants, tmp_path, CollectOptions(environ={}), method="client_secret")
    assert "AUDITOR_CLIENT_SECRET is not set" in got[CUSTOMER_A].sections["users"].reason


def test_fixed_token_only_against_local_endpoints() -> None:
    with pytest.raises(CredentialError, match="127.0.0.1"):
        build_credential(AuthConfig(method="static_token"), Endpoints(), CUSTOMER_A, environ=TOKEN_ENV)
    local = Endpoints(graph="http://127.0.0.1:1", arm="http://127.0.0.1:1", authority="http://127.0.0.1:1")
    assert build_credential(AuthConfig(method="static_token"), local, CUSTOMER_A, environ=TOKEN_ENV) is not None
    # a host that merely starts with 127.0.0.1 is somebody else's server
    for field in ("graph", "arm", "authority"):
        remote = local.model_copy(update={field: "http://127.0.0.1.example.com"})
        with pytest.raises(CredentialError, match="127.0.0.1"):
            build_credential(AuthConfig(method="static_token"), remote, CUSTOMER_A, environ=TOKEN_ENV)


async def test_customers_discovered_from_active_gdap_relationships(tmp_path: Path) -> None:
    tenants = [partner([(CUSTOMER_A, "Contoso Inc"), (CUSTOMER_B, "Fabrikam Ltd")]), customer(),
               customer(CUSTOMER_B, "Fabrikam Ltd", users=4, domain="fabrikam.example")]
    async with Emulator(tenants) as emulator:
        config = AuditConfig(partner=PartnerEntry(id=PARTNER), discover_customers=True,
                             auth=AuthConfig(method="static_token"), endpoints=emulator.endpoints())
        runs = await collect_all_async(config, tmp_path, now=NOW, options=FAST)
    collected = {r.target.id: r.snapshot for r in runs}
    assert set(collected) == {PARTNER, CUSTOMER_A, CUSTOMER_B}  # the terminated relationship is not audited
    assert collected[CUSTOMER_B].tenant.display_name == "Fabrikam Ltd"
    assert comparable(collected[CUSTOMER_A]) == comparable(tenants[1])


def test_discovered_customers_are_returned_in_discovery_order(tmp_path: Path) -> None:
    """collect_all's paths follow the partner's relationships, not the order the tenants finished in."""
    tenants = [partner([(CUSTOMER_A, "Contoso Inc"), (CUSTOMER_B, "Fabrikam Ltd")]), customer(),
               customer(CUSTOMER_B, "Fabrikam Ltd", users=4, domain="fabrikam.example")]
    slow_first = Fault(FaultKind.LATENCY, section="users", tenant=CUSTOMER_A, delay_s=0.3)
    with EmulatorThread(Emulator(tenants, faults=[slow_first])) as emulator:
        config = AuditConfig(partner=PartnerEntry(id=PARTNER), discover_customers=True,
                             auth=AuthConfig(method="static_token"), endpoints=emulator.endpoints())
        paths = collect_all(config, tmp_path, now=NOW, options=FAST)
    assert [p.stem for p in paths] == [PARTNER, CUSTOMER_A, CUSTOMER_B]


# -- CLI -------------------------------------------------------------------------------------------------

def test_cli_collect_and_permissions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tenants = [customer(), customer(CUSTOMER_B, "Fabrikam Ltd", users=4, domain="fabrikam.example")]
    monkeypatch.setenv("AUDITOR_STATIC_TOKEN", "tenant:{tenant}")
    with EmulatorThread(Emulator(tenants)) as emulator:
        (tmp_path / "tenants.toml").write_text(
            f'[[tenants]]\nid = "{CUSTOMER_A}"\nname = "Contoso Inc"\n[[tenants]]\nid = "{CUSTOMER_B}"\n'
            f'[auth]\nmethod = "static_token"\n[endpoints]\ngraph = "{emulator.base_url}"\n'
            f'arm = "{emulator.base_url}"\nauthority = "{emulator.base_url}"\n'
        )
        result = CliRunner().invoke(app, ["collect", "--config", str(tmp_path / "tenants.toml"), "--out", str(tmp_path / "snaps")])
        assert not emulator.writes
    assert result.exit_code == 0, result.output
    assert "wrote 2 snapshot(s)" in result.output
    assert "2/2" in result.output  # plain progress lines when not a terminal
    assert comparable(load_snapshot(tmp_path / "snaps" / f"{CUSTOMER_B}.json"))["sections"]["users"] == (
        "ok", tenants[1].sections["users"].data)

    permissions = CliRunner().invoke(app, ["permissions", "--format", "json"])
    assert permissions.exit_code == 0
    names = {row["name"] for row in json.loads(permissions.output)}
    assert {"Organization.Read.All", "Security Reader", "Cost Management Reader"} <= names
    # the table is what an admin copies from: names are never cut short, whatever the terminal width
    table = CliRunner().invoke(app, ["permissions"], env={"COLUMNS": "80"})
    assert table.exit_code == 0
    for name in names:
        assert name in table.output, name


def test_setup_guide_config_example_is_a_valid_config() -> None:
    """docs/setup.md's tenants.toml, placeholders filled in, loads as written (a key after [auth] would
    belong to the auth table)."""
    import re

    from auditor.config import parse_config

    guide = (Path(__file__).resolve().parents[1] / "docs" / "setup.md").read_text(encoding="utf-8")
    app_only, delegated = re.findall(r"```toml\n(.*?)```", guide, re.DOTALL)  # the two ways in
    ids = iter(f"52eaad04-13a2-4a2f-9ce8-{n:012x}" for n in range(1, 100))  # one tenant per placeholder
    filled = re.sub(r"<[^>]+>", lambda _: next(ids), app_only)
    config = parse_config(filled, "docs/setup.md")
    assert config.concurrency == 8 and config.auth.method == "client_secret" and config.tenants
    config = parse_config(re.sub(r"<[^>]+>", lambda _: next(ids), delegated), "docs/setup.md")
    assert config.auth.method == "gdap" and config.auth.login_tenant == config.partner.id


def test_cli_collect_bad_config_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "tenants.toml").write_text('[auth]\nmethod = "client_secret"\nclient_id = "x"\nclient_secret = "oops"\n')
    result = CliRunner().invoke(app, ["collect", "--config", str(tmp_path / "tenants.toml")])
    assert result.exit_code == 1
    assert result.output.startswith("error: ") and "AUDITOR_CLIENT_SECRET" in result.output
    assert "oops" not in result.output


@pytest.mark.parametrize("method", ["client_secret", "certificate", "device_code", "default"])
def test_azure_identity_methods_refuse_a_plain_http_authority_in_one_line(method: str, tmp_path: Path) -> None:
    """azure-identity raises a ValueError for an http authority when its credential is built; each method
    that goes through it says so as a CredentialError instead (a fresh user's config with
    authority = "http://127.0.0.1:9" and client_secret got a traceback per tenant)."""
    certificate = tmp_path / "app.pem"
    certificate.write_text("not read: the authority is refused first")
    auth = AuthConfig(method=method, client_id="00000000-0000-4000-8000-0000000000aa",
                      certificate_path=certificate if method == "certificate" else None)
    local = Endpoints(graph="http://127.0.0.1:9", arm="http://127.0.0.1:9", authority="http://127.0.0.1:9")
    with pytest.raises(CredentialError, match=f"'{method}' needs an https:// authority"):
        build_credential(auth, local, CUSTOMER_A, environ={"AUDITOR_CLIENT_SECRET": "x"})
