"""The emulator's delegated sign-in (issue 14): what MSAL's public-client flows need from a login authority.

- `GET /{tenant}/v2.0/.well-known/openid-configuration`: the endpoints MSAL discovers;
- `POST /{tenant}/oauth2/v2.0/devicecode`: a device code the simulated user approves at once;
- the token endpoint's `urn:ietf:params:oauth:grant-type:device_code` and `refresh_token` grants: an access
  token for the tenant in the URL, a refresh token (the partner user's, good for every tenant) and, as
  Microsoft Entra ID answers public clients, `id_token` and `client_info` (MSAL builds its account from them).

Tokens handed out here are remembered as delegated (`DelegatedLogin.tokens`), so the emulator can answer a
delegated caller with what the partner's GDAP roles allow in each customer tenant.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass, field

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@dataclass
class DelegatedLogin:
    """The partner user the emulator signs in: home (partner) tenant, user principal name, object id."""

    home_tenant: str
    username: str = "auditor@partner.example"
    object_id: str = "7d5c2e1a-0000-4000-8000-00000000a0d1"
    refresh_tokens: set[str] = field(default_factory=set)
    tokens: set[str] = field(default_factory=set)  # delegated access tokens issued
    device_codes: set[str] = field(default_factory=set)
    refused_refresh: bool = False  # tests: the refresh token has expired (AADSTS700082)

    def openid_configuration(self, base: str, tenant: str) -> dict[str, object]:
        return {
            "issuer": f"{base}/{tenant}/v2.0",
            "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/devicecode",
            "tenant_region_scope": "EU",
        }

    def device_code(self, base: str) -> dict[str, object]:
        code = f"dc-{secrets.token_urlsafe(12)}"
        self.device_codes.add(code)
        return {
            "device_code": code,
            "user_code": "EMU-CODE",
            "verification_uri": f"{base}/devicelogin",
            "expires_in": 900,
            "interval": 1,
            "message": f"To sign in, use a web browser to open the page {base}/devicelogin and enter the code EMU-CODE to authenticate.",
        }

    def grant(self, form: dict[str, str], tenant: str, base: str, client_id: str) -> tuple[int, dict[str, object]]:
        """The token endpoint's answer to a delegated grant: (status, body)."""
        grant_type = form.get("grant_type", "")
        if grant_type == DEVICE_CODE_GRANT:
            if form.get("device_code") not in self.device_codes:
                return 400, {"error": "expired_token", "error_description": "AADSTS70019: Verification code expired."}
            self.device_codes.discard(form["device_code"])
        elif grant_type == "refresh_token":
            if self.refused_refresh or form.get("refresh_token") not in self.refresh_tokens:
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "AADSTS700082: The refresh token has expired due to inactivity.",
                    "error_codes": [700082],
                }
        else:
            return 400, {"error": "unsupported_grant_type", "error_description": f"grant_type {grant_type!r}"}
        access = f"emu-user-{secrets.token_urlsafe(18)}"
        refresh = f"rt-{secrets.token_urlsafe(24)}"
        self.tokens.add(access)
        self.refresh_tokens.add(refresh)
        now = int(time.time())
        id_token = ".".join((
            _b64({"alg": "none", "typ": "JWT"}),
            _b64({"iss": f"{base}/{tenant}/v2.0", "aud": client_id, "iat": now, "nbf": now, "exp": now + 3600,
                  "tid": tenant, "oid": self.object_id, "sub": self.object_id,
                  "preferred_username": self.username, "name": "Partner auditor"}),
            "",
        ))
        return 200, {
            "token_type": "Bearer",
            "scope": form.get("scope", ""),
            "expires_in": 3599,
            "ext_expires_in": 3599,
            "access_token": access,
            "refresh_token": refresh,
            "id_token": id_token,
            "client_info": _b64({"uid": self.object_id, "utid": self.home_tenant}),
        }
