"""Delegated access through GDAP (issue 14) end to end against the emulator, over HTTPS, with the real
azure-identity DeviceCodeCredential and MSAL: one sign-in (`auditor login`, the device code approved by the
emulator's simulated user), then unattended tokens for each customer tenant through the refresh-token grant.

The token cache is a test-only plain file (`allow_unencrypted_token_cache = true`) under a temporary HOME,
never the user's real cache; a marker refresh token is planted and every output is grepped for it."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.collect import CollectOptions, collect_all_async
from auditor.collect.emulator import Emulator, EmulatorThread
from auditor.collect.emulator_login import DelegatedLogin
from auditor.collect.trust import TRUST_VARIABLES
from auditor.snapshot import SectionStatus, load_snapshot
from tests.test_collect import NOW
from tests.test_collect_data import CUSTOMER_A, CUSTOMER_B, PARTNER, customer, partner

CUSTOMER_C = "0c3d9e55-7b1a-4f2e-9d4c-3b2a1f0e9d8c"
CLIENT_ID = "22222222-0000-4000-8000-00000000a11d"
MARKER = "rt-MARKER-do-not-leak-7f3a"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """azure-identity keeps a file cache under ~/.IdentityService: a temporary HOME keeps it (and the
    AuthenticationRecord under XDG_CONFIG_HOME) away from the user's real ones."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    for variable, _ in TRUST_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    return home


EXPORTING = {"id": "providers/Microsoft.Aadiam/diagnosticSettings/all", "type": "", "name": "all",
             "properties": {"workspaceId": "/subscriptions/x/resourceGroups/logs/providers/Microsoft.OperationalInsights/workspaces/w",
                            "storageAccountId": "", "eventHubAuthorizationRuleId": "",
                            "logs": [{"category": c, "enabled": True} for c in
                                     ("AuditLogs", "SignInLogs", "NonInteractiveUserSignInLogs")]}}
SIGN_INS_ONLY = {"id": "providers/Microsoft.Aadiam/diagnosticSettings/mysetting", "type": "", "name": "mysetting",
                 "properties": {"storageAccountId": "/subscriptions/df602c9c/resourceGroups/apptest/providers/Microsoft.Storage/storageAccounts/s1",
                                "workspaceId": "", "logs": [{"category": "SignInLogs", "enabled": True}]}}


def _pc_customer(cid: str, name: str) -> dict:
    return {"id": cid, "companyProfile": {"tenantId": cid, "domain": "domain", "companyName": name,
                                          "attributes": {"objectType": "CustomerCompanyProfile"}},
            "relationshipToPartner": "reseller", "attributes": {"objectType": "Customer"}}


def _tenants() -> list:
    from auditor.snapshot import Section

    northwind = partner([(CUSTOMER_A, "Contoso Inc"), (CUSTOMER_B, "Fabrikam"), (CUSTOMER_C, "Tailspin")])
    northwind.sections["partner_center_customers"] = Section.of(
        [_pc_customer(CUSTOMER_A, "Contoso Inc"), _pc_customer(CUSTOMER_B, "Fabrikam"), _pc_customer(CUSTOMER_C, "Tailspin")])
    northwind.sections["partner_center_usage_budgets"] = Section.of(
        {CUSTOMER_A: {"amount": 100, "attributes": {"objectType": "SpendingBudget"}},
         CUSTOMER_B: {"amount": None, "attributes": {"objectType": "SpendingBudget"}}, CUSTOMER_C: None})
    northwind.sections["partner_center_webhook_registration"] = Section.of(
        {"WebhookUrl": "https://hooks.northwind.example/pc", "WebhookEvents": ["azure-fraud-event-detected"]})
    northwind.sections["entra_diagnostic_settings"] = Section.of([EXPORTING])
    tenants = [northwind, customer(CUSTOMER_A, "Contoso Inc"), customer(CUSTOMER_B, "Fabrikam", domain="fabrikam.com"),
               customer(CUSTOMER_C, "Tailspin", domain="tailspin.com")]
    for snapshot, settings in zip(tenants[1:], ([EXPORTING], [SIGN_INS_ONLY], [])):
        snapshot.sections["entra_diagnostic_settings"] = Section.of(settings)
    return tenants


def _emulator(gdap_sections: dict[str, set[str]] | None = None) -> Emulator:
    return Emulator(_tenants(), tls_authority=True, delegated=DelegatedLogin(home_tenant=PARTNER),
                    gdap_sections=gdap_sections)


def _config(emulator: Emulator, tmp_path: Path) -> Path:
    endpoints = emulator.endpoints()
    path = tmp_path / "tenants.toml"
    path.write_text(
        f'[partner]\nid = "{PARTNER}"\nname = "Northwind"\n'
        + "".join(f'[[tenants]]\nid = "{t}"\n' for t in (CUSTOMER_A, CUSTOMER_B, CUSTOMER_C))
        + f'discover_customers = false\n'
        f'[auth]\nmethod = "gdap"\nclient_id = "{CLIENT_ID}"\nallow_unencrypted_token_cache = true\n'
        f'token_cache_name = "auditor-test-cache"\n'
        f'[endpoints]\ngraph = "{endpoints.graph}"\narm = "{endpoints.arm}"\nauthority = "{endpoints.authority}"\n'
        f'partner_center = "{endpoints.partner_center}"\nca_bundle = "{emulator.ca_path}"\n',
        encoding="utf-8",
    )
    # discover_customers belongs at the top level: move it above [partner]
    text = path.read_text().replace("discover_customers = false\n", "")
    path.write_text("discover_customers = false\n" + text)
    return path


def _login(config: Path) -> str:
    result = CliRunner().invoke(app, ["login", "--config", str(config)])
    assert result.exit_code == 0, result.output
    return result.output


def test_one_sign_in_then_a_token_per_customer_and_a_gdap_forbidden_section(tmp_path: Path, isolated_home: Path) -> None:
    # The partner's GDAP roles in Fabrikam do not reach the risky users (Security Reader would).
    allowed = set(_tenants()[2].sections) - {"risky_users"}
    with EmulatorThread(_emulator({CUSTOMER_B: allowed})) as emulator:
        config = _config(emulator, tmp_path)
        output = _login(config)
        assert "EMU-CODE" in output  # the device-code prompt reached the user
        assert "auditor@partner.example" in output
        record = isolated_home / ".config" / "csp-posture-auditor" / "authentication-record.json"
        assert json.loads(record.read_text())["username"] == "auditor@partner.example"
        assert (record.stat().st_mode & 0o777) == 0o600
        before = len(emulator.token_requests)

        out = tmp_path / "out"
        result = CliRunner().invoke(app, ["collect", "--config", str(config), "--out", str(out)])
        assert result.exit_code == 0, result.output
        # No prompt in the run: refresh-token grants only, at least one per customer tenant.
        granted = {r.tenant.lower() for r in emulator.token_requests[before:] if r.status == 200}
        assert {CUSTOMER_A, CUSTOMER_B, CUSTOMER_C} <= granted
        assert not emulator.delegated.device_codes  # the only device code was the login's
        for tenant_id, name in ((CUSTOMER_A, "Contoso Inc"), (CUSTOMER_B, "Fabrikam"), (CUSTOMER_C, "Tailspin")):
            snapshot = load_snapshot(out / f"{tenant_id}.json")
            # Each tenant was read with its own token: the emulator routes a token to the tenant it was issued for.
            assert snapshot.sections["organization"].data[0]["displayName"] == name
        fabrikam = load_snapshot(out / f"{CUSTOMER_B}.json").sections["risky_users"]
        assert fabrikam.status is SectionStatus.FORBIDDEN
        assert "Security Reader" in fabrikam.reason
        assert load_snapshot(out / f"{CUSTOMER_A}.json").sections["risky_users"].status is SectionStatus.OK


def test_a_token_of_one_tenant_is_refused_for_another_tenants_subscription(tmp_path: Path) -> None:
    """The emulator answers as ARM does (401 InvalidAuthenticationTokenTenant); the credential of one
    tenant refuses to ask for another tenant's token."""
    import asyncio

    from azure.core.exceptions import ClientAuthenticationError

    from auditor.collect.credentials import build_credential
    from auditor.config import load_config

    with EmulatorThread(_emulator()) as emulator:
        config_path = _config(emulator, tmp_path)
        _login(config_path)
        config = load_config(config_path)
        subscription_b = _tenants()[2].azure_subscriptions[0].subscription_id

        async def tokens() -> tuple[str, ClientAuthenticationError | None]:
            from auditor.collect.trust import trust_context

            trust = trust_context({}, config.endpoints.ca_bundle)
            credential = build_credential(config.auth, config.endpoints, CUSTOMER_A, environ={}, trust=trust)
            token = (await credential.get_token("https://management.azure.com/.default")).token
            refused = None
            try:
                await credential.get_token("https://management.azure.com/.default", tenant_id=CUSTOMER_B)
            except ClientAuthenticationError as exc:
                refused = exc
            await credential.close()
            return token, refused

        token_a, refused = asyncio.run(tokens())
        assert refused is not None and CUSTOMER_B in str(refused)
        answer = httpx.get(
            f"{emulator.base_url}/subscriptions/{subscription_b}/providers/Microsoft.Security/pricings?api-version=2024-01-01",
            headers={"Authorization": f"Bearer {token_a}"},
        )
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "InvalidAuthenticationTokenTenant"
        own = _tenants()[1].azure_subscriptions[0].subscription_id
        answer = httpx.get(
            f"{emulator.base_url}/subscriptions/{own}/providers/Microsoft.Security/pricings?api-version=2024-01-01",
            headers={"Authorization": f"Bearer {token_a}"},
        )
        assert answer.status_code == 200


def test_an_expired_sign_in_is_one_line_saying_to_sign_in_again(tmp_path: Path) -> None:
    with EmulatorThread(_emulator()) as emulator:
        config = _config(emulator, tmp_path)
        result = CliRunner().invoke(app, ["collect", "--config", str(config), "--out", str(tmp_path / "never")])
        assert "auditor login" in result.output and "Traceback" not in result.output
        _login(config)
        emulator.delegated.refused_refresh = True
        emulator.delegated.tokens.clear()
        from auditor.collect.delegated import forget_shared_credentials

        forget_shared_credentials()  # a new process: nothing in memory, only the persistent cache
        result = CliRunner().invoke(app, ["collect", "--config", str(config), "--out", str(tmp_path / "out2")])
        assert "sign in again: auditor login" in result.output, result.output
        assert "Traceback" not in result.output


def test_the_token_cache_never_reaches_an_output(tmp_path: Path, isolated_home: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    """A marker refresh token planted in the emulator's answers lands in the token cache and nowhere else:
    not in any file under --out, not in login's, run's or doctor's (table and JSON) output, not in any log
    record (every logger at DEBUG, MSAL's included)."""
    caplog.set_level(logging.DEBUG)
    with EmulatorThread(_emulator()) as emulator:
        config = _config(emulator, tmp_path)
        delegated = emulator.delegated
        original = delegated.grant

        def marked(form: dict[str, str], tenant: str, base: str, client_id: str):  # type: ignore[no-untyped-def]
            status, body = original(form, tenant, base, client_id)
            if status == 200:
                delegated.refresh_tokens.add(MARKER)
                body["refresh_token"] = MARKER
            return status, body

        delegated.grant = marked  # type: ignore[method-assign]
        login = _login(config)
        out = tmp_path / "out"
        result = CliRunner().invoke(app, ["run", "--config", str(config), "--out", str(out)])
        assert result.exit_code in (0, 2, 3), result.output
        # doctor reads every tenant with the same cache: neither its table nor its JSON carries a token.
        doctor_json = CliRunner().invoke(app, ["doctor", "--config", str(config), "--format", "json"])
        assert doctor_json.exit_code == 0, doctor_json.output
        assert json.loads(doctor_json.stdout)  # the rows were written, not an error
        doctor_table = CliRunner().invoke(app, ["doctor", "--config", str(config)])
        assert doctor_table.exit_code == 0, doctor_table.output
    cache_files = list((isolated_home / ".IdentityService").glob("*"))
    assert any(MARKER in p.read_text(errors="replace") for p in cache_files if p.is_file())  # the marker is real
    assert any(r.name.startswith("msal.") for r in caplog.records)  # MSAL's own records were captured
    for text in (login, result.output, doctor_json.output, doctor_table.output, caplog.text):
        assert MARKER not in text
    for path in out.rglob("*"):
        if path.is_file():
            assert MARKER.encode() not in path.read_bytes(), path
    assert not any(p.name.startswith("auditor-test-cache") for p in out.rglob("*"))


def test_permissions_gdap_prints_the_roles_per_check() -> None:
    result = CliRunner().invoke(app, ["permissions", "--gdap", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {(r["kind"], r["name"]): r for r in json.loads(result.output)}
    assert "MFA-5" in rows[("gdap", "Security Reader")]["checks"]  # Conditional Access policies
    assert "risky_users" in rows[("gdap", "Security Reader")]["sections"]
    # Verified roles (tests/test_gdap_roles.py): Global Reader only for other users' authentication methods.
    assert rows[("gdap", "Global Reader")]["sections"] == ["authentication_methods"]
    assert rows[("gdap", "Global Reader")]["checks"] == ["ADM-6"]
    assert rows[("gdap", "Reports Reader")]["sections"] == ["service_provider_sign_ins", "sign_in_activity",
                                                             "user_registration_details"]
    assert "azure_group_members" in rows[("gdap", "Directory Readers")]["sections"]  # was a Global Reader fallback
    assert rows[("gdap", "Admin agent (partner tenant)")]["partner_only"] is True
    assert {"CST-3", "PAR-7"} <= set(rows[("gdap", "Admin agent (partner tenant)")]["checks"])
    assert "LOG-1" in rows[("gdap", "Security Reader")]["checks"]
    assert "CST-1" in rows[("azure", "Cost Management Reader")]["checks"]
    assert not any(kind == "graph" for kind, _ in rows)  # no application permission in the delegated list
    table = CliRunner().invoke(app, ["permissions", "--gdap"])
    assert "GDAP relationship" in table.output and "GDAP security group" in table.output


def test_doctor_over_gdap_names_the_gdap_role_and_the_azure_role_of_the_group(tmp_path: Path) -> None:
    from auditor.collect.faults import Fault, FaultKind

    allowed = set(_tenants()[2].sections) - {"risky_users"}
    with EmulatorThread(_emulator({CUSTOMER_B: allowed})) as emulator:
        emulator.add_fault(Fault(FaultKind.FORBIDDEN, "budgets", CUSTOMER_C))
        config = _config(emulator, tmp_path)
        _login(config)
        result = CliRunner().invoke(app, ["doctor", "--config", str(config), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {r["tenant"]: r for r in json.loads(result.output)}
    risky = rows[CUSTOMER_B]["sections"]["risky users"]
    assert risky["state"] == "forbidden"
    assert risky["fix"].startswith("add the Security Reader role to the GDAP relationship")
    cost = rows[CUSTOMER_C]["sections"]["cost"]
    assert cost["state"] == "forbidden" and "Cost Management Reader Azure role to the GDAP security group" in cost["fix"]
    assert rows[CUSTOMER_A]["sections"]["risky users"]["state"] == "readable"
    assert rows[PARTNER]["sections"]["Partner Center"]["state"] == "readable"
    assert rows[CUSTOMER_A]["sections"]["Entra diagnostic settings"]["state"] == "readable"


def _results(config: Path, out: Path) -> dict[tuple[str, str], dict]:
    """Collect into `out`, then evaluate the snapshots (no report rendering: the checks are what is tested)."""
    result = CliRunner().invoke(app, ["collect", "--config", str(config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, ["evaluate", str(out), "--config", str(config), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    return {(t["tenant_id"], c["check_id"]): c for t in data["tenants"] for c in t["results"]}


def test_delegated_run_judges_cst3_par7_and_log1_while_app_only_leaves_them_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with EmulatorThread(_emulator()) as emulator:
        config = _config(emulator, tmp_path)
        _login(config)
        results = _results(config, tmp_path / "out")
        assert results[(PARTNER, "PAR-7")]["status"] == "PASS"
        assert results[(PARTNER, "CST-3")]["status"] == "FAIL" and "Fabrikam" in results[(PARTNER, "CST-3")]["summary"]
        assert results[(PARTNER, "LOG-1")]["status"] == "PASS"
        assert results[(CUSTOMER_A, "LOG-1")]["status"] == "PASS"
        assert results[(CUSTOMER_B, "LOG-1")]["status"] == "FAIL"
        assert results[(CUSTOMER_C, "LOG-1")]["status"] == "FAIL"
        # Partner Center was asked only with the partner's own token.
        pc = [r for r in emulator.requests if r.section.startswith("partner_center")]
        assert pc and {r.tenant.lower() for r in pc} == {PARTNER}

        # The same tenants app-only: LOG-1, CST-3 and PAR-7 UNKNOWN, with the reason.
        emulator.client_secret = "s3cret"
        monkeypatch.setenv("AUDITOR_CLIENT_SECRET", "s3cret")
        text = config.read_text().replace('method = "gdap"', 'method = "client_secret"')
        text = text.replace("allow_unencrypted_token_cache = true\n", "").replace('token_cache_name = "auditor-test-cache"\n', "")
        config.write_text(text)
        results = _results(config, tmp_path / "out-app-only")
        for key in ((CUSTOMER_A, "LOG-1"), (PARTNER, "CST-3"), (PARTNER, "PAR-7")):
            assert results[key]["status"] == "UNKNOWN", key
        assert "app-only" in results[(CUSTOMER_A, "LOG-1")]["summary"]


def test_out_is_never_the_token_cache_folder(tmp_path: Path, isolated_home: Path) -> None:
    (isolated_home / ".IdentityService").mkdir()
    result = CliRunner().invoke(app, ["collect", "--config", str(tmp_path / "missing.toml"),
                                      "--out", str(isolated_home / ".IdentityService" / "out")])
    assert result.exit_code == 1
    assert "token cache folder" in result.output or "missing.toml" in result.output
    config = tmp_path / "tenants.toml"
    config.write_text('discover_customers = false\n[[tenants]]\nid = "52eaad04-13a2-4a2f-9ce8-93a294fadf36"\n'
                      '[auth]\nmethod = "gdap"\nclient_id = "22222222-0000-4000-8000-00000000a11d"\n')
    refused = [
        (["collect", "--out", str(isolated_home / ".IdentityService")], "is the token cache folder"),
        (["collect", "--out", str(isolated_home / ".IdentityService" / "snapshots")], "inside the token cache folder"),
        (["collect", "--out", str(isolated_home)], "holds the token cache folder"),  # sharing it would share the cache
        (["collect", "--out", str(isolated_home / ".config")], "holds the sign-in record"),
        (["run", "--out", str(tmp_path / "out"), "--snapshots", str(isolated_home / ".config" / "csp-posture-auditor")],
         "--snapshots"),
        (["report", "results.json", "--out", str(isolated_home)], "holds the token cache folder"),
    ]
    for arguments, said in refused:
        result = CliRunner().invoke(app, [*arguments, "--config", str(config)])
        assert result.exit_code == 2, (arguments, result.output)
        assert said in result.output and len(result.output.strip().splitlines()) == 1, result.output
    assert not (isolated_home / ".IdentityService" / "snapshots").exists()  # refused before anything was written
