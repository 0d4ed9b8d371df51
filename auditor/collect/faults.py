"""Faults the emulator can inject, per section (endpoint), per tenant and from a given page of a list on.

A CONNECTION_RESET fault on a $batch matches when any request inside it is of the fault's section.
"""

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
    LOOP_NEXT_LINK = "loop_next_link"  # pages from `page` on carry a nextLink back to page 2 (a paging loop)
    CONNECTION_RESET = "connection_reset"  # the TCP connection is reset (RST) instead of any answer


@dataclass
class Fault:
    kind: FaultKind
    section: str = ANY  # a snapshot section name, TOKEN_ENDPOINT, or ANY
    tenant: str = ANY  # a tenant id, or ANY
    times: int | None = None  # how many answers it spoils; None: all of them
    retry_after: float = 1.0
    delay_s: float = 30.0  # TIMEOUT hold, LATENCY delay
    # The first page (1-based) of a list the fault spoils; None: every page, except FAIL_MID_PAGE and
    # LOOP_NEXT_LINK, which start at page 2. So NOT_FOUND with page=2 is "the second page answers 404".
    page: int | None = None
    hits: int = 0

    @property
    def first_page(self) -> int:
        if self.page is not None:
            return self.page
        return 2 if self.kind in (FaultKind.FAIL_MID_PAGE, FaultKind.LOOP_NEXT_LINK) else 1

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
