"""What the emulator answers in place of data: Graph's and ARM's error envelopes per section status, and
the answers faults put in place of the real one (auditor/collect/faults.py). No I/O here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditor.collect.faults import Fault, FaultKind
from auditor.snapshot import SectionStatus


@dataclass
class Answer:
    status: int
    body: Any = None  # JSON-able object, or bytes sent as they are
    headers: dict[str, str] | None = None
    hold_s: float = 0.0  # TIMEOUT fault: wait this long before answering
    malformed: bool = False


def graph_error(status: int, code: str, message: str) -> Answer:
    return Answer(status, {"error": {"code": code, "message": message, "innerError": {"date": "2026-11-20T09:00:00"}}})


_STATUS_ERRORS = {
    SectionStatus.FORBIDDEN: (403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
    SectionStatus.NOT_LICENSED: (
        403,
        "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
        "Neither tenant is B2C or tenant doesn't have premium license",
    ),
    SectionStatus.NOT_FOUND: (404, "Request_ResourceNotFound", "Resource not found."),
    SectionStatus.ERROR: (500, "InternalServerError", "The service encountered an internal error."),
    SectionStatus.NOT_COLLECTED: (404, "Request_ResourceNotFound", "Resource not found."),
}
_ARM_STATUS_ERRORS = {
    SectionStatus.FORBIDDEN: (403, "AuthorizationFailed", "The client does not have authorization to perform action."),
    SectionStatus.NOT_LICENSED: (403, "AuthorizationFailed", "The subscription's offer does not include this feature."),
}
# Where Graph answers a section's status differently: PIM without Entra ID P2 is a 400, not a 403.
_SECTION_ERRORS = {
    ("role_eligibility_schedules", SectionStatus.NOT_LICENSED): (
        400,
        "AadPremiumLicenseRequired",
        "The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license.",
    ),
    # Wave 2 (issue 12): PIM's assignment schedule instances answer as its eligibility schedules do.
    ("role_assignment_schedule_instances", SectionStatus.NOT_LICENSED): (
        400,
        "AadPremiumLicenseRequired",
        "The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license.",
    ),
}
_RETRYABLE_FAULTS = {
    FaultKind.THROTTLE: (429, "TooManyRequests", "Too many requests."),
    FaultKind.UNAVAILABLE: (503, "ServiceUnavailable", "Service unavailable."),
    FaultKind.GATEWAY_TIMEOUT: (504, "GatewayTimeout", "Gateway timeout."),
}
_FAULT_STATUSES = {
    FaultKind.FORBIDDEN: SectionStatus.FORBIDDEN,
    FaultKind.NOT_LICENSED: SectionStatus.NOT_LICENSED,
    FaultKind.NOT_FOUND: SectionStatus.NOT_FOUND,
    FaultKind.FAIL_MID_PAGE: SectionStatus.ERROR,
}
ANSWERING_FAULTS = (FaultKind.LATENCY, FaultKind.TIMEOUT, FaultKind.LOOP_NEXT_LINK)


def error_for(status: SectionStatus, section: str, arm: bool) -> Answer:
    found = _ARM_STATUS_ERRORS.get(status) if arm else _SECTION_ERRORS.get((section, status))
    status_code, code, message = found or _STATUS_ERRORS[status]
    return graph_error(status_code, code, message)


def fault_answer(fault: Fault, section: str, arm: bool) -> Answer:
    """The answer a fault puts in place of the real one (not LATENCY or TIMEOUT, which only delay it)."""
    if fault.kind in _RETRYABLE_FAULTS:
        status_code, code, message = _RETRYABLE_FAULTS[fault.kind]
        return Answer(status_code, {"error": {"code": code, "message": message}}, {"Retry-After": f"{fault.retry_after:g}"})
    if fault.kind is FaultKind.MALFORMED:
        return Answer(200, b'{"value": [{"id": "truncated', malformed=True)
    return error_for(_FAULT_STATUSES[fault.kind], section, arm)
