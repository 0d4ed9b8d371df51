"""Faults the emulator can inject, per section (endpoint) and per tenant."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

ANY = "*"
TOKEN_ENDPOINT = "token"  # section name that targets the emulated login authority


class FaultKind(StrEnum):
    LATENCY = "latency"  # answer normally after delay_s
    THROTTLE = "throttle"  # 429 with Retry-After
    UNAVAILABLE = "unavailable"  # 503 with Retry-After
    GATEWAY_TIMEOUT = "gateway_timeout"  # 504 with Retry-After
    FORBIDDEN = "forbidden"  # 403 (on the token endpoint: consent missing)
    NOT_LICENSED = "not_licensed"  # 403 RequestFromNonPremiumTenantOrB2CTenant
    NOT_FOUND = "not_found"  # 404
    TIMEOUT = "timeout"  # hold the answer for delay_s (longer than the client waits)
    MALFORMED = "malformed"  # 200 with a body that is not JSON
    FAIL_MID_PAGE = "fail_mid_page"  # pages from `page` on answer 500


@dataclass
class Fault:
    kind: FaultKind
    section: str = ANY  # a snapshot section name, TOKEN_ENDPOINT, or ANY
    tenant: str = ANY  # a tenant id, or ANY
    times: int | None = None  # how many answers it spoils; None: all of them
    retry_after: float = 1.0
    delay_s: float = 30.0  # TIMEOUT hold, LATENCY delay
    page: int = 2  # FAIL_MID_PAGE: the first failing page (1-based)
    hits: int = 0

    def matches(self, section: str, tenant: str) -> bool:
        return (self.section == ANY or self.section == section) and (
            self.tenant == ANY or self.tenant.lower() == tenant.lower()
        )

    def take(self) -> bool:
        """Count one use; False once it has spoiled `times` answers."""
        if self.times is not None and self.hits >= self.times:
            return False
        self.hits += 1
        return True
