"""One azure-identity credential per tenant, built from the config's [auth] table.

Each tenant gets its own credential object, so no token and no token cache is ever shared between
tenants. Secrets come from environment variables only; error messages name the variable, never its value.
Token requests trust what Graph and ARM trust: the run's one TLS context (auditor/collect/trust.py), handed
to azure-identity as its transport (azure-identity credentials accept azure-core's `transport` keyword:
https://learn.microsoft.com/python/api/azure-identity/azure.identity.aio.clientsecretcredential; azure-core's
`AioHttpTransport(session=..., session_owner=False)` uses the given aiohttp session and leaves it open). In a
collection that session is the run's connection pool (auditor/collect/connections.py), shared with Graph and
ARM: no TLS handshake with the authority per tenant.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import time
from typing import Any, Mapping
from urllib.parse import urlsplit

from azure.core.credentials import AccessToken

from auditor.config import AuthConfig, Endpoints

SINGLE_TENANT_METHODS = ("azure_cli", "device_code", "default")
# One partner sign-in serves every tenant, through one in-memory view of its persistent token cache per
# process (auditor/collect/delegated.py: shared_partner_credential). Worker processes would each refresh
# through the same cache file at once, which loses the account now and then: these collect in one process.
ONE_PROCESS_METHODS = ("gdap",)


class CredentialError(Exception):
    """The credential cannot be built (a missing variable, an unusable method); one line, no secret."""


class FixedTokenCredential:
    """A credential that always answers the same bearer token. For tests against the local emulator only:
    `build_credential` refuses it unless every endpoint is on 127.0.0.1."""

    def __init__(self, token: str, lifetime_s: int = 3600) -> None:
        self._token = token
        self._lifetime_s = lifetime_s

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + self._lifetime_s)

    async def close(self) -> None:
        pass

    async def __aenter__(self) -> "FixedTokenCredential":
        return self

    async def __aexit__(self, *args: object) -> None:
        pass


class ThreadedCredential:
    """Adapts a synchronous credential (device code has no async variant) without blocking the loop."""

    def __init__(self, credential: Any) -> None:
        self._credential = credential

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return await asyncio.to_thread(self._credential.get_token, *scopes, **kwargs)

    async def close(self) -> None:
        close = getattr(self._credential, "close", None)
        if close is not None:
            close()


class ReusedTokens:
    """One tenant's credential, its tokens kept and handed out again until five minutes before they expire.

    msgraph-sdk's authentication provider asks the credential for a token before every request
    (kiota_authentication_azure, `get_authorization_token`); azure-identity answers each from MSAL's token
    cache, a lookup that cost about as much CPU as the HTTP request itself (issue 16: ~10 a tenant). The
    same rule as azure-identity's refresh: a token within 300 s of expiry is asked for again. A request
    carrying claims (a Continuous Access Evaluation challenge) always goes to the credential: it needs a
    new token, not a kept one."""

    REFRESH_MARGIN_S = 300

    def __init__(self, credential: Any) -> None:
        self.credential = credential
        self._kept: dict[tuple[tuple[str, ...], bool], AccessToken] = {}

    async def get_token(self, *scopes: str, claims: str | None = None, enable_cae: bool = False,
                        **kwargs: Any) -> AccessToken:
        if claims or kwargs:
            return await self.credential.get_token(*scopes, claims=claims, enable_cae=enable_cae, **kwargs)
        key = (scopes, enable_cae)
        token = self._kept.get(key)
        if token is None or token.expires_on - self.REFRESH_MARGIN_S < time.time():
            # Asked as the caller asked: enable_cae only when set (ARM asks without it, as before).
            token = await self.credential.get_token(*scopes, **({"enable_cae": True} if enable_cae else {}))
            self._kept[key] = token
        return token


def _https_authority(method: str, endpoints: Endpoints) -> None:
    """Raise CredentialError unless the authority is https: azure-identity's credentials (client_secret,
    certificate, device_code, default) refuse a plain-http authority with a ValueError when they are built,
    which reached users as a traceback per tenant; said here in one line, before each of them is built."""
    if urlsplit(endpoints.authority).scheme != "https":
        raise CredentialError(
            f"auth.method '{method}' needs an https:// authority (azure-identity refuses plain http); "
            "http://127.0.0.1 serves only 'static_token' against the local emulator"
        )


def _is_local(url: str) -> bool:
    """The URL's host is 127.0.0.1 itself (a prefix test would pass http://127.0.0.1.example.com)."""
    return urlsplit(url).hostname == "127.0.0.1"


def _secret(environ: Mapping[str, str], variable: str, what: str) -> str:
    value = environ.get(variable, "")
    if not value:
        raise CredentialError(f"environment variable {variable} is not set ({what})")
    return value


def build_credential(
    auth: AuthConfig,
    endpoints: Endpoints,
    tenant_id: str,
    *,
    environ: Mapping[str, str] | None = None,
    trust: ssl.SSLContext | None = None,
    session: Any = None,
) -> Any:
    """An async token credential for one tenant, its token requests verified with `trust` (default: the
    trust of `environ`, see auditor.collect.trust.trust_context). `session`: an aiohttp session (the run's
    connection pool, auditor/collect/connections.py, built with the same trust) the token requests go
    through; it stays open when the credential closes. None: the credential opens a session of its own.
    Raises CredentialError (one line, no secret) when the method cannot be used as configured. Call from a
    running event loop: the credential's aiohttp session belongs to it."""
    env = os.environ if environ is None else environ
    if trust is None:
        from auditor.collect.trust import trust_context

        trust = trust_context(env, endpoints.ca_bundle)
    method = auth.method
    common: dict[str, Any] = {"authority": endpoints.authority}
    if _is_local(endpoints.authority):
        # A local authority has no instance-discovery metadata; the emulator serves only the token endpoint.
        common["disable_instance_discovery"] = True

    def transport() -> Any:
        # azure-core would otherwise build a TLS context per token request from `connection_verify` (a path),
        # or trust OpenSSL's defaults alone; this session verifies with the run's context and, as azure-core's
        # own session does, honours HTTPS_PROXY (trust_env). The aiohttp session is made when the transport
        # opens (azure-core's AioHttpTransport.open), inside the event loop: building a credential needs no
        # running loop, and one that fails to build (a wrong certificate password) leaves no session open.
        import aiohttp
        from azure.core.pipeline.transport import AioHttpTransport

        if session is not None:  # the run's pool: no TLS handshake with the authority per tenant
            from auditor.collect.connections import token_transport

            return token_transport(session)

        class TrustedAioHttpTransport(AioHttpTransport):
            async def open(self) -> None:
                if not self.session and not self._has_been_opened:
                    self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=trust), trust_env=True)
                await super().open()

        return TrustedAioHttpTransport(session_owner=True)

    if method == "client_secret":
        from azure.identity.aio import ClientSecretCredential

        secret = _secret(env, auth.client_secret_env, f"the client secret of app {auth.client_id}")
        _https_authority(method, endpoints)
        return ClientSecretCredential(tenant_id, auth.client_id, secret, **common, transport=transport())
    if method == "certificate":
        from azure.identity.aio import CertificateCredential

        password = _secret(env, auth.certificate_password_env, "the certificate password") if auth.certificate_password_env else None
        if auth.certificate_path is None or not auth.certificate_path.is_file():
            raise CredentialError(f"certificate file {auth.certificate_path} does not exist")
        _https_authority(method, endpoints)
        try:
            return CertificateCredential(
                tenant_id, auth.client_id, certificate_path=str(auth.certificate_path), password=password, **common,
                transport=transport(),
            )
        except (ValueError, TypeError, OSError):  # cryptography's "Invalid password or PKCS12 data", a bad PEM
            raise CredentialError(
                f"certificate file {auth.certificate_path} cannot be loaded: a wrong password "
                f"({auth.certificate_password_env or 'no certificate_password_env given'}), or not a PEM or "
                "PKCS12 certificate holding its private key"
            ) from None
    if method == "azure_cli":
        from azure.identity.aio import AzureCliCredential

        # The az CLI makes its own token requests in its own process; it reads REQUESTS_CA_BUNDLE itself.
        return AzureCliCredential(tenant_id=tenant_id)
    if method == "device_code":
        from azure.core.pipeline.transport import RequestsTransport
        from azure.identity import DeviceCodeCredential

        from auditor.collect.trust import requests_session

        _https_authority(method, endpoints)
        extra = {"client_id": auth.client_id} if auth.client_id else {}
        sync_transport = RequestsTransport(session=requests_session(trust), session_owner=True)
        return ThreadedCredential(
            DeviceCodeCredential(tenant_id=tenant_id, **extra, **common, transport=sync_transport)
        )
    if method == "gdap":
        from auditor.collect.delegated import TenantBoundCredential, shared_partner_credential

        # One credential object per tenant, bound to it, over the partner's one sign-in.
        partner, lock = shared_partner_credential(auth, endpoints, trust, env)
        return TenantBoundCredential(partner, tenant_id, lock)
    if method == "default":
        from azure.identity.aio import DefaultAzureCredential

        _https_authority(method, endpoints)
        return DefaultAzureCredential(authority=endpoints.authority, transport=transport())
    if method == "static_token":
        if not all(_is_local(url) for url in (endpoints.graph, endpoints.arm, endpoints.authority)):
            raise CredentialError(
                "auth.method 'static_token' is for tests against the local emulator: every endpoint "
                "(graph, arm, authority) must be on 127.0.0.1"
            )
        token = _secret(env, auth.token_env, "the static test token")
        return FixedTokenCredential(token.replace("{tenant}", tenant_id))
    raise CredentialError(f"unknown auth.method {method!r}")


async def close_credential(credential: Any) -> None:
    close = getattr(credential, "close", None)
    if close is None:
        return
    result = close()
    if asyncio.iscoroutine(result):
        await result
