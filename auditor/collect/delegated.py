"""Delegated access through GDAP (issue 14): one partner sign-in, then a token for each customer tenant.

A partner user signs in once (`auditor login`, device code or browser) to the partner's multi-tenant app.
azure-identity keeps the refresh token in its persistent token cache and the sign-in's `AuthenticationRecord`
(account, home tenant, client id; no secret) is saved to a file, so later runs, unattended ones too, get a
token for each customer tenant by tenant id without prompting, until the refresh token expires.

azure-identity 1.27 names used here (azure/identity/_internal/interactive.py, InteractiveCredential):
`cache_persistence_options=TokenCachePersistenceOptions(name=..., allow_unencrypted_storage=...)`
(azure/identity/_persistent_cache.py: libsecret on Linux, Keychain on macOS, DPAPI on Windows; a plain file
under ~/.IdentityService only with allow_unencrypted_storage), `authentication_record=`,
`disable_automatic_authentication=True` (a silent failure raises AuthenticationRequiredError instead of
prompting), `additionally_allowed_tenants=["*"]` and `get_token(*scopes, tenant_id=...)`;
`authenticate(scopes=...)` returns the AuthenticationRecord, whose `serialize()`/`deserialize()` give JSON.

Each customer tenant still gets its own credential object (`TenantBoundCredential`), which always asks for a
token of its own tenant and refuses a request naming another: a token issued for one tenant is never sent to
another. The token cache is azure-identity's own store, never a file of ours; where it and the record live,
and the check that keeps every output folder apart from both, is auditor.collect.secret_paths.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import threading
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from azure.core.credentials import AccessToken

from auditor.config import AuthConfig, Endpoints

APP_DIR = "csp-posture-auditor"
RECORD_FILE = "authentication-record.json"
PARTNER_CENTER_SCOPE = "https://api.partnercenter.microsoft.com/user_impersonation"
SIGN_IN_AGAIN = "sign in again: auditor login"


def default_record_path(environ: dict[str, str] | os._Environ[str] | None = None) -> Path:
    """Where the AuthenticationRecord is saved when the config names no path: $XDG_CONFIG_HOME (or
    ~/.config)/csp-posture-auditor/authentication-record.json."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / APP_DIR / RECORD_FILE


def record_path(auth: AuthConfig, environ: Any = None) -> Path:
    return auth.authentication_record or default_record_path(environ)


def login_tenant(auth: AuthConfig) -> str:
    return auth.login_tenant or "organizations"


def partner_credential(
    auth: AuthConfig,
    endpoints: Endpoints,
    trust: ssl.SSLContext,
    *,
    interactive: bool,
    prompt: Callable[[str, str, Any], None] | None = None,
    environ: Any = None,
) -> Any:
    """The partner user's synchronous azure-identity credential (DeviceCodeCredential, or
    InteractiveBrowserCredential for `sign_in = "browser"`), with the persistent token cache and, when one
    is saved, the AuthenticationRecord. `interactive=False` (collection runs) never prompts. Raises
    auditor.collect.credentials.CredentialError when the record file is missing or unreadable."""
    from azure.core.pipeline.transport import RequestsTransport
    from azure.identity import (
        AuthenticationRecord,
        DeviceCodeCredential,
        InteractiveBrowserCredential,
        TokenCachePersistenceOptions,
    )

    from auditor.collect.credentials import CredentialError
    from auditor.collect.trust import requests_session

    kwargs: dict[str, Any] = {
        "client_id": auth.client_id,
        "tenant_id": login_tenant(auth),
        "authority": endpoints.authority,
        "cache_persistence_options": TokenCachePersistenceOptions(
            name=auth.token_cache_name, allow_unencrypted_storage=auth.allow_unencrypted_token_cache
        ),
        "additionally_allowed_tenants": ["*"],
        "disable_automatic_authentication": not interactive,
        "transport": RequestsTransport(session=requests_session(trust), session_owner=True),
    }
    if urlsplit(endpoints.authority).hostname == "127.0.0.1":
        kwargs["disable_instance_discovery"] = True  # the local emulator has no instance-discovery metadata
    path = record_path(auth, environ)
    if not interactive:
        try:
            kwargs["authentication_record"] = AuthenticationRecord.deserialize(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CredentialError(f"no saved partner sign-in at {path}; {SIGN_IN_AGAIN}") from None
        except (OSError, ValueError, KeyError, TypeError):
            raise CredentialError(f"the saved partner sign-in at {path} cannot be read; {SIGN_IN_AGAIN}") from None
        # With a record, azure-identity takes the authority and client id from it (InteractiveCredential).
        record = kwargs["authentication_record"]
        wanted = urlsplit(endpoints.authority).netloc
        if record.authority.lower() != wanted.lower() or record.client_id != auth.client_id:
            raise CredentialError(
                f"the saved partner sign-in at {path} is for app {record.client_id} at {record.authority}, not "
                f"app {auth.client_id} at {wanted}; {SIGN_IN_AGAIN}"
            )
        del kwargs["authority"]
    try:
        if auth.sign_in == "browser":
            return InteractiveBrowserCredential(**kwargs)
        return DeviceCodeCredential(prompt_callback=prompt, **kwargs)
    except ValueError as exc:  # an unusable cache (no keyring, plain files not allowed)
        raise CredentialError(_cache_message(exc, auth)) from None


def _cache_message(exc: Exception, auth: AuthConfig) -> str:
    return (
        f"the token cache cannot be opened ({str(exc).splitlines()[0][:160]}); where no keyring exists set "
        "auth.allow_unencrypted_token_cache = true to keep it in a plain file readable only by you"
        if not auth.allow_unencrypted_token_cache
        else f"the token cache cannot be opened: {str(exc).splitlines()[0][:160]}"
    )


def sign_in(auth: AuthConfig, endpoints: Endpoints, trust: ssl.SSLContext, scope: str,
            prompt: Callable[[str, str, Any], None] | None = None, environ: Any = None) -> tuple[Any, Path]:
    """`auditor login`: one interactive sign-in; saves the AuthenticationRecord (mode 0600) and returns it
    with its path. Raises CredentialError (one line) when the sign-in fails."""
    from azure.core.exceptions import ClientAuthenticationError

    from auditor.collect.credentials import CredentialError

    credential = partner_credential(auth, endpoints, trust, interactive=True, prompt=prompt, environ=environ)
    try:
        record = credential.authenticate(scopes=[scope])
    except ClientAuthenticationError as exc:
        raise CredentialError(f"sign-in failed: {_first_line(exc)}") from None
    except ValueError as exc:
        raise CredentialError(_cache_message(exc, auth)) from None
    finally:
        credential.close()
    forget_shared_credentials()
    path = record_path(auth, environ)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(record.serialize())
    return record, path


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "message", "") or exc)
    return (text.strip().splitlines() or ["no detail"])[0][:300]


class TenantBoundCredential:
    """An async credential for one customer tenant over the partner's shared sign-in: every token it asks
    for names its own tenant, and a caller naming another tenant is refused (a token for one tenant is
    never sent to another). A silent failure becomes a one-line CredentialError saying to sign in again."""

    def __init__(self, partner: Any, tenant_id: str, lock: threading.Lock | None = None) -> None:
        self._partner = partner
        self.tenant_id = tenant_id
        self._lock = lock or threading.Lock()

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        from azure.core.exceptions import ClientAuthenticationError
        from azure.identity import AuthenticationRequiredError

        asked = kwargs.pop("tenant_id", None)
        # Raised as azure-core's ClientAuthenticationError, like azure-identity's own failures: the Graph and
        # ARM readers already turn that into the tenant's one-line reason.
        # The sign-in's refresh token sits in the non-CAE cache (azure-identity keeps CAE tokens in a second
        # cache, "<name>.cae"); asking for CAE would look only there and find no account.
        kwargs.pop("enable_cae", None)
        if asked and asked.lower() != self.tenant_id.lower():
            raise ClientAuthenticationError(
                message=f"refused: the credential of tenant {self.tenant_id} was asked for a token of {asked}"
            )
        try:
            return await asyncio.to_thread(self._locked_token, scopes, kwargs)
        except AuthenticationRequiredError:
            raise ClientAuthenticationError(
                message=f"the partner sign-in has expired or was never made; {SIGN_IN_AGAIN}"
            ) from None

    def _locked_token(self, scopes: tuple[str, ...], kwargs: dict[str, Any]) -> AccessToken:
        # One token request at a time per sign-in: MSAL's silent flow for several tenants at once on one
        # persistent cache lost the account now and then here (a tenant "never signed in"). A cache hit takes
        # microseconds; a refresh one round trip, once per tenant and scope per hour.
        with self._lock:
            return self._partner.get_token(*scopes, tenant_id=self.tenant_id, **kwargs)

    async def close(self) -> None:
        pass  # the partner credential is shared by every tenant of the process (see shared_partner_credential)


_SHARED: dict[tuple[object, ...], tuple[Any, threading.Lock]] = {}
_SHARED_LOCK = threading.Lock()


def shared_partner_credential(
    auth: AuthConfig, endpoints: Endpoints, trust: ssl.SSLContext, environ: Any = None
) -> tuple[Any, threading.Lock]:
    """One non-interactive partner credential per sign-in for the whole process: one in-memory view of the
    persistent cache. One per tenant would each load and rewrite the same cache file, and concurrent
    refreshes then read one another's half-written file (seen here: a tenant finding no account)."""
    key = (auth.client_id, login_tenant(auth), endpoints.authority, auth.token_cache_name,
           auth.allow_unencrypted_token_cache, auth.sign_in, str(record_path(auth, environ)), id(trust))
    with _SHARED_LOCK:
        found = _SHARED.get(key)
        if found is None:
            credential = partner_credential(auth, endpoints, trust, interactive=False, environ=environ)
            found = _SHARED[key] = (credential, threading.Lock())
        return found


def forget_shared_credentials() -> None:
    """Drop the process's partner credentials (after `auditor login`, so the next run reads the new record)."""
    with _SHARED_LOCK:
        for credential, _ in _SHARED.values():
            credential.close()
        _SHARED.clear()
