"""Collection behind a TLS-inspecting proxy: the emulator served over HTTPS with a certificate from a
throwaway CA made here, trusted only through SSL_CERT_FILE (or REQUESTS_CA_BUNDLE, or the config's
[endpoints] ca_bundle). Tokens, Graph and ARM share that one trust; without it, the certificate reason
reaches the snapshot and the run summary."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

from auditor.cli import app
from auditor.collect import CollectError, CollectOptions, collect_all_async
from auditor.collect.emulator import Emulator, EmulatorThread
from auditor.collect.hints import collection_hints
from auditor.collect.trust import TRUST_VARIABLES, requests_session, trust_context
from auditor.config import load_config
from auditor.snapshot import SectionStatus, load_snapshot
from tests.test_collect import NOW, comparable, config_for
from tests.test_collect_data import CUSTOMER_A, customer
from tests.tls_ca import ThrowawayCA, make_ca

SECRET = "emulator-secret"
CLIENT_ID = "11111111-0000-4000-8000-000000000001"
CERT_REASON = "TLS certificate verify failed: self-signed certificate in certificate chain"


@pytest.fixture(autouse=True)
def no_ambient_trust(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the machine sets, these tests decide what is trusted."""
    for variable, _ in TRUST_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def ca(tmp_path: Path) -> ThrowawayCA:
    return make_ca(tmp_path / "pki")


def _https_emulator(ca: ThrowawayCA, tenants: list) -> Emulator:
    return Emulator(tenants, tls_all=True, certificate=(ca.chain_file, ca.key_file), client_secret=SECRET,
                    max_page_size=7)  # small pages: every list is paged over TLS too


def _fast(**kwargs: object) -> CollectOptions:
    return CollectOptions(timeout_s=5, max_retries=1, backoff_s=0.01, max_retry_wait_s=0.2, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"])
async def test_https_collection_trusts_the_proxy_ca_from_the_environment(
    variable: str, ca: ThrowawayCA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real azure-identity ClientSecretCredential, Graph and ARM all over https, the CA named only by
    the process environment (os.environ: nothing passed in by hand)."""
    monkeypatch.setenv(variable, str(ca.ca_file))
    monkeypatch.setenv("AUDITOR_CLIENT_SECRET", SECRET)
    tenant = customer()
    async with _https_emulator(ca, [tenant]) as emulator:
        assert emulator.endpoints().graph.startswith("https://")
        config = config_for([tenant], emulator.endpoints(), method="client_secret")
        runs = await collect_all_async(config, tmp_path / "out", now=NOW, options=_fast())
        assert {r.status for r in emulator.token_requests} == {200}
        assert emulator.http_requests(CUSTOMER_A)
    assert comparable(runs[0].snapshot) == comparable(tenant)


async def test_https_collection_trusts_the_config_ca_bundle(ca: ThrowawayCA, tmp_path: Path) -> None:
    """[endpoints] ca_bundle, relative to the config file, is trusted by every client."""
    tenant = customer()
    async with _https_emulator(ca, [tenant]) as emulator:
        endpoints = emulator.endpoints()
        config_file = tmp_path / "pki" / "tenants.toml"  # beside the CA file: a relative path
        config_file.write_text(
            f'[[tenants]]\nid = "{CUSTOMER_A}"\nname = "Contoso Inc"\n'
            f'[auth]\nmethod = "client_secret"\nclient_id = "{CLIENT_ID}"\n'
            f'[endpoints]\ngraph = "{endpoints.graph}"\narm = "{endpoints.arm}"\n'
            f'authority = "{endpoints.authority}"\nca_bundle = "{ca.ca_file.name}"\n'
        )
        config = load_config(config_file)
        assert config.endpoints.ca_bundle == ca.ca_file.resolve()
        options = _fast(environ={"AUDITOR_CLIENT_SECRET": SECRET})
        runs = await collect_all_async(config, tmp_path / "out", now=NOW, options=options)
        assert {r.status for r in emulator.token_requests} == {200}
    assert comparable(runs[0].snapshot) == comparable(tenant)


async def test_untrusted_proxy_certificate_reason_reaches_every_section(ca: ThrowawayCA, tmp_path: Path) -> None:
    """Without the CA, no read pretends: each Graph and ARM section keeps OpenSSL's reason, and the
    failure is said once in the summary hints. (A static test token: no sign-in, so the reads themselves
    meet the certificate, as they did when only the token client trusted the proxy.)"""
    tenant = customer()
    async with _https_emulator(ca, [tenant]) as emulator:
        config = config_for([tenant], emulator.endpoints())
        runs = await collect_all_async(config, tmp_path, now=NOW, options=_fast(environ={"AUDITOR_STATIC_TOKEN": "tenant:{tenant}"}))
        assert emulator.http_requests() == []  # nothing got through
    snapshot = runs[0].snapshot
    failed = [s for s in snapshot.sections.values() if s.status is SectionStatus.ERROR]
    assert failed and {s.reason for s in failed} == {CERT_REASON}
    assert snapshot.sections["subscriptions"].reason == CERT_REASON
    (hint,) = collection_hints([snapshot])
    assert hint.startswith("hint: 1 tenant(s) failed TLS certificate verification")
    assert "SSL_CERT_FILE" in hint and "ca_bundle" in hint and CERT_REASON in hint


def test_cli_collect_says_what_to_do_about_an_untrusted_proxy(ca: ThrowawayCA, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """`auditor collect` with the real sign-in: the token request meets the proxy certificate first; the
    snapshot keeps the reason and the run ends with one line saying what to do."""
    monkeypatch.setenv("AUDITOR_CLIENT_SECRET", SECRET)
    tenant = customer()
    with EmulatorThread(_https_emulator(ca, [tenant])) as emulator:
        endpoints = emulator.endpoints()
        (tmp_path / "tenants.toml").write_text(
            f'[[tenants]]\nid = "{CUSTOMER_A}"\n[auth]\nmethod = "client_secret"\nclient_id = "{CLIENT_ID}"\n'
            f'[endpoints]\ngraph = "{endpoints.graph}"\narm = "{endpoints.arm}"\nauthority = "{endpoints.authority}"\n'
        )
        result = CliRunner().invoke(app, ["collect", "--config", str(tmp_path / "tenants.toml"), "--out", str(tmp_path / "snaps")])
    assert result.exit_code == 4, result.output  # the tenant could not be read at all
    users = load_snapshot(tmp_path / "snaps" / f"{CUSTOMER_A}.json").sections["users"]
    assert users.status is SectionStatus.ERROR
    assert users.reason == f"authentication failed: the sign-in service could not be reached: {CERT_REASON}"
    hints = [line for line in result.output.splitlines() if line.startswith("hint: ")]
    assert len(hints) == 1 and "failed TLS certificate verification" in hints[0] and "SSL_CERT_FILE" in hints[0]


@pytest.mark.parametrize("content,words", [(None, "which is not a file"), (b"not a certificate\n", "which holds no usable CA certificate")])
async def test_unusable_ca_file_stops_the_run_naming_its_source(content: bytes | None, words: str, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "corp-root.pem"
    if content is not None:
        path.write_bytes(content)
    monkeypatch.setenv("SSL_CERT_FILE", str(path))
    config = config_for([customer()], Emulator().endpoints())
    with pytest.raises(CollectError, match=f"^SSL_CERT_FILE names {path}, {words}"):
        await collect_all_async(config, tmp_path / "out", now=NOW, options=_fast(environ=None))


def test_device_code_transport_verifies_with_the_shared_trust(ca: ThrowawayCA) -> None:
    """The synchronous credential's requests session (device code) trusts what the run trusts, and only
    that: an answer (401, no token) through the trust, a certificate error without it."""
    with EmulatorThread(_https_emulator(ca, [customer()])) as emulator:
        url = f"{emulator.base_url}/v1.0/organization"
        trusted = requests_session(trust_context({}, ca.ca_file)).get(url, timeout=10)
        assert trusted.status_code == 401
        with pytest.raises(requests.exceptions.SSLError, match="certificate verify failed"):
            requests_session(trust_context({})).get(url, timeout=10)


def test_trust_adds_to_the_public_roots(ca: ThrowawayCA) -> None:
    """The proxy CA is added to certifi's roots, never in place of them."""
    plain = trust_context({})
    extended = trust_context({"SSL_CERT_FILE": str(ca.ca_file)})
    assert isinstance(extended, ssl.SSLContext)
    assert len(extended.get_ca_certs()) == len(plain.get_ca_certs()) + 1
    assert trust_context({"SSL_CERT_FILE": str(ca.ca_file)}) is extended  # built once, shared


def test_cli_run_summary_carries_the_hint(ca: ThrowawayCA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`auditor run` collecting live ends with the same one-line hint (here the reads themselves meet the
    proxy certificate: a static test token, no sign-in)."""
    monkeypatch.setenv("AUDITOR_STATIC_TOKEN", "tenant:{tenant}")
    with EmulatorThread(_https_emulator(ca, [customer()])) as emulator:
        endpoints = emulator.endpoints()
        (tmp_path / "tenants.toml").write_text(
            f'[[tenants]]\nid = "{CUSTOMER_A}"\n[auth]\nmethod = "static_token"\n'
            f'[endpoints]\ngraph = "{endpoints.graph}"\narm = "{endpoints.arm}"\nauthority = "{endpoints.authority}"\n'
        )
        result = CliRunner().invoke(app, ["run", "--config", str(tmp_path / "tenants.toml"), "--out", str(tmp_path / "out"),
                                          "--no-history", "--allow-unreadable"])
        assert emulator.http_requests() == []
    assert result.exit_code == 0, result.output
    hints = [line for line in result.output.splitlines() if line.startswith("hint: ")]
    assert len(hints) == 1 and CERT_REASON in hints[0] and "SSL_CERT_FILE" in hints[0]
