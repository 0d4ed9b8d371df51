"""`auditor doctor` against the emulator over HTTPS with the real ClientSecretCredential: a readable tenant,
one without consent (the token endpoint answers AADSTS65001) and one whose app lacks an Azure role."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.collect.emulator import Emulator, EmulatorThread
from auditor.collect.faults import TOKEN_ENDPOINT, Fault, FaultKind
from auditor.collect.trust import TRUST_VARIABLES
from tests.test_collect_data import CUSTOMER_A, CUSTOMER_B, customer

CUSTOMER_C = "0c3d9e55-7b1a-4f2e-9d4c-3b2a1f0e9d8c"
SECRET = "doctor-secret"


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable, _ in TRUST_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AUDITOR_CLIENT_SECRET", SECRET)


def _run(tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    tenants = [customer(CUSTOMER_A, "Contoso Inc"), customer(CUSTOMER_B, "Fabrikam", domain="fabrikam.com"),
               customer(CUSTOMER_C, "Tailspin", domain="tailspin.com")]
    sub_b = tenants[1].azure_subscriptions[0].subscription_id
    faults = [Fault(FaultKind.FORBIDDEN, TOKEN_ENDPOINT, CUSTOMER_C), Fault(FaultKind.FORBIDDEN, "pricings", CUSTOMER_B)]
    with EmulatorThread(Emulator(tenants, tls_authority=True, client_secret=SECRET, faults=faults)) as emulator:
        e = emulator.endpoints()
        config = tmp_path / "tenants.toml"
        config.write_text(
            "discover_customers = false\n"
            + "".join(f'[[tenants]]\nid = "{t.tenant.id}"\nname = "{t.tenant.display_name}"\n' for t in tenants)
            + '[auth]\nmethod = "client_secret"\nclient_id = "11111111-0000-4000-8000-000000000001"\n'
            f'[endpoints]\ngraph = "{e.graph}"\narm = "{e.arm}"\nauthority = "{e.authority}"\nca_bundle = "{emulator.ca_path}"\n',
            encoding="utf-8",
        )
        result = CliRunner().invoke(app, ["doctor", "--config", str(config), *args])
        assert not emulator.writes  # read-only
    return result, sub_b


def test_doctor_json_names_each_gap_and_its_fix(tmp_path: Path) -> None:
    result, sub_b = _run(tmp_path, "--format", "json")
    assert result.exit_code == 4, result.output  # Tailspin cannot be reached at all
    rows = {r["tenant"]: r for r in json.loads(result.output)}
    contoso = rows[CUSTOMER_A]
    assert contoso["reached"] and {c["state"] for c in contoso["sections"].values()} == {"readable"}
    tailspin = rows[CUSTOMER_C]
    assert not tailspin["reached"] and "AADSTS65001" in tailspin["reason"]
    assert "admin consent" in tailspin["reason"]
    defender = rows[CUSTOMER_B]["sections"]["Defender for Cloud"]
    assert defender["state"] == "forbidden"
    assert f"assign the Security Reader Azure role to the app's service principal on subscription {sub_b}" in defender["fix"]
    assert rows[CUSTOMER_B]["sections"]["cost"]["state"] == "readable"
    assert rows[CUSTOMER_B]["sections"]["policies"]["state"] == "readable"


def test_doctor_table_prints_the_matrix_and_the_fixes(tmp_path: Path) -> None:
    result, sub_b = _run(tmp_path)
    assert result.exit_code == 4
    assert "Contoso Inc" in result.output and "unreachable" in result.output
    assert "Security Reader" in result.output and sub_b in result.output.replace("\n", "")


def test_doctor_exits_zero_when_every_tenant_is_reached(tmp_path: Path) -> None:
    tenants = [customer(CUSTOMER_A, "Contoso Inc")]
    with EmulatorThread(Emulator(tenants, tls_authority=True, client_secret=SECRET)) as emulator:
        e = emulator.endpoints()
        config = tmp_path / "tenants.toml"
        config.write_text(
            f'discover_customers = false\n[[tenants]]\nid = "{CUSTOMER_A}"\n'
            '[auth]\nmethod = "client_secret"\nclient_id = "11111111-0000-4000-8000-000000000001"\n'
            f'[endpoints]\ngraph = "{e.graph}"\narm = "{e.arm}"\nauthority = "{e.authority}"\nca_bundle = "{emulator.ca_path}"\n',
            encoding="utf-8",
        )
        result = CliRunner().invoke(app, ["doctor", "--config", str(config)])
    assert result.exit_code == 0, result.output
