"""Turning one HTTP answer into a section outcome: data, or an honest status with a reason.

403 names the permission to grant, a licence error names the licence, 404 is not_found, anything else is
an error. Reasons quote Microsoft's error code and a trimmed message; they never hold a header or a token.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from typing import Any, Mapping

from auditor import jsonfast
from auditor.collect.permissions import AZURE_ROLES, DELEGATED_ONLY_ROLES, gdap_fix, licence_for, permission_for

# "app" (application permissions, consented per tenant) or "gdap" (a partner user's delegated token): set by
# the collector for one tenant's reads, so a 403 names the fix that applies to the way in.
ACCESS: ContextVar[str] = ContextVar("auditor_access", default="app")
from auditor.snapshot import SectionStatus

RETRYABLE_STATUSES = frozenset({429, 503, 504})
# Graph answers a missing licence with 403 (Authentication_RequestFromNonPremiumTenantOrB2CTenant) or, for
# PIM's role eligibility, with 400 AadPremiumLicenseRequired.
_LICENCE_STATUSES = frozenset({400, 401, 403})
_LICENCE_MARKERS = ("nonpremium", "non-premium", "b2ctenant", "license", "licence", "premium sku")
_STATUS_WORDS = {429: "throttled", 503: "service unavailable", 504: "gateway timeout"}


@dataclass
class Fetched:
    """What became of one section (or one parent's part of a per-parent section)."""

    status: SectionStatus
    data: Any = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status is SectionStatus.OK

    @classmethod
    def good(cls, data: Any) -> "Fetched":
        return cls(SectionStatus.OK, data)

    @classmethod
    def error(cls, reason: str) -> "Fetched":
        return cls(SectionStatus.ERROR, None, reason)


class MalformedBody(ValueError):
    pass



# ARM's 409 error codes for a resource provider the subscription has not registered (Azure Resource Manager
# "Resolve errors for resource provider registration": MissingSubscriptionRegistration; some providers
# answer SubscriptionNotRegistered). Only these, on a list's first answer, mean "not registered".
_PROVIDER_NOT_REGISTERED_CODES = frozenset({"missingsubscriptionregistration", "subscriptionnotregistered"})

def parse_json(body: bytes | str) -> Any:
    try:
        return jsonfast.loads(body)  # json.loads's value and errors, through orjson (issue 16)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedBody(f"malformed response body (not JSON: {exc.__class__.__name__})") from None


def _error_parts(body: Any) -> tuple[str, str]:
    """Graph's and ARM's error envelope: {"error": {"code", "message"}}; azure-identity-style otherwise."""
    if isinstance(body, (bytes, str)):
        try:
            body = jsonfast.loads(body) if body else {}
        except (ValueError, UnicodeDecodeError):
            return "", ""
    if not isinstance(body, dict):
        return "", ""
    error = body.get("error")
    if isinstance(error, dict):
        code = str(error.get("code") or "")
        message = str(error.get("message") or "")
        inner = error.get("innerError") or error.get("innererror") or {}
        if isinstance(inner, dict) and inner.get("code") and not code:
            code = str(inner["code"])
        return code, message
    if isinstance(error, str):
        return error, str(body.get("error_description") or "")
    return "", ""


def _trim(message: str, limit: int = 160) -> str:
    one_line = " ".join(message.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def is_licence_error(code: str, message: str) -> bool:
    text = f"{code} {message}".lower()
    return any(marker in text for marker in _LICENCE_MARKERS)


def answer_detail(status: int, body: Any, *, arm: bool = False) -> str:
    """An error answer in Microsoft's own terms, without interpretation: "ARM 404 Code: message"."""
    code, message = _error_parts(body)
    detail = f"{'ARM' if arm else 'Graph'} {status}{' ' + code if code else ''}"
    return f"{detail}: {_trim(message)}" if message else detail


def failure(
    section: str, status: int, body: Any, *, arm: bool = False, subscription_id: str = ""
) -> Fetched:
    """A non-2xx answer as a section outcome."""
    code, message = _error_parts(body)
    detail = answer_detail(status, body, arm=arm)
    if status in _LICENCE_STATUSES and is_licence_error(code, message):
        return Fetched(SectionStatus.NOT_LICENSED, None, f"the tenant has no {licence_for(section)} licence ({detail})")
    if status == 403:
        if ACCESS.get() == "gdap" and section in DELEGATED_ONLY_ROLES:  # Entra diagnostic settings: an Entra role
            return Fetched(SectionStatus.FORBIDDEN, None, f"the partner's GDAP roles do not allow it: "
                           f"{gdap_fix(section)} ({detail})")
        if arm:
            where = f" on subscription {subscription_id}" if subscription_id else ""
            role = AZURE_ROLES.get(section, "Reader")
            if ACCESS.get() == "gdap":
                return Fetched(SectionStatus.FORBIDDEN, None,
                               f"the partner's GDAP security group lacks the {role} Azure role{where} ({detail})")
            return Fetched(SectionStatus.FORBIDDEN, None, f"the app lacks the {role} role{where} ({detail})")
        if ACCESS.get() == "gdap":
            return Fetched(SectionStatus.FORBIDDEN, None, f"the partner's GDAP roles do not allow it: "
                           f"{gdap_fix(section)} ({detail})")
        return Fetched(SectionStatus.FORBIDDEN, None, f"the app lacks the {permission_for(section)} permission ({detail})")
    if status == 404:
        return Fetched(SectionStatus.NOT_FOUND, None, f"not found ({detail})")
    if status == 409 and code.lower() in _PROVIDER_NOT_REGISTERED_CODES:
        return Fetched(SectionStatus.NOT_FOUND, None, f"the resource provider is not registered ({detail})")
    if status == 401:
        return Fetched.error(f"authentication rejected ({detail})")
    if status in RETRYABLE_STATUSES:
        return Fetched.error(f"{_STATUS_WORDS[status]} ({detail})")
    return Fetched.error(f"unexpected answer ({detail})")


def retry_after(headers: Mapping[str, Any] | None, default: float) -> float:
    """Seconds to wait before a retry: Retry-After as seconds or an HTTP date, else the default."""
    if not headers:
        return default
    value = None
    for key, item in headers.items():
        if str(key).lower() == "retry-after":
            value = str(item).strip()
            break
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def one_line(exc: BaseException, limit: int = 240) -> str:
    """An exception as one short line (azure-identity messages run to several paragraphs)."""
    text = str(exc).strip() or exc.__class__.__name__
    for line in text.splitlines():
        line = line.strip()
        if line:
            text = line
            break
    return text if len(text) <= limit else text[: limit - 1] + "…"


def auth_reason(exc: BaseException, service: str = "") -> str:
    """Why no token could be had, as a section reason: Entra ID's AADSTS code and message when the error
    carries one (azure-identity wraps it as `… error '(invalid_client) AADSTS…'`), else the first line."""
    from auditor.collect.network import os_level_reason

    found = re.search(r"AADSTS\d+[^\"\r\n]*", str(exc))
    if found:
        detail = _trim(found.group(0).rstrip("'"), 240)
    else:  # no answer from the sign-in service at all: the TLS or socket reason, when there is one
        cause = os_level_reason(exc)
        detail = f"the sign-in service could not be reached: {cause}" if cause else one_line(exc)
    return f"authentication failed{' for ' + service if service else ''}: {detail}"
