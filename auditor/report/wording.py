"""Customer words: the one mechanism that keeps the tool's and the APIs' vocabulary off customer pages.

DESIGN.md "Reports" names two audiences. The customer's scorecard carries no API field names, no tool
configuration and no code; the partner's outputs (portfolio, results.xlsx, results.json) carry everything.
Two rules, applied in one place to every check-authored text a scorecard prints (summaries, remediation,
evidence headers and cells):

1. **Partner hints.** A paragraph of a check's remediation that starts with ``Partner:`` is meant for the
   partner who runs the audit (how to tell the tool about a break-glass account, a scripted alternative).
   ``split_remediation`` separates it; the scorecard leaves it out, the portfolio lists it for the tenants
   where the check fails, and results.xlsx / results.json keep the whole text.
2. **Plain words.** Code quotes lose their backticks, and an API identifier (a ``camelCase`` Graph field or
   value, a ``snake_case`` section or key) becomes words: from ``GLOSSARY`` when Microsoft's admin centers
   have a better name for it, else split into lower-case words ("riskState" → "risk state"). A token that
   is an address, a domain, a path or a dotted name (a UPN, ``contoso.com``, ``Policy.Read.All``,
   ``Microsoft.Security``) is tenant data or a Microsoft name and is never changed.
"""

from __future__ import annotations

import re
from functools import lru_cache

PARTNER_PREFIX = "Partner:"

# API words → what the Microsoft admin centers call them. Keys are exact tokens.
GLOSSARY: dict[str, str] = {
    "enabledForReportingButNotEnforced": "report-only",
    "exchangeActiveSync": "Exchange ActiveSync",
    "securityComplianceNotificationMails": "security notification email",
    "technicalNotificationMails": "technical contact email",
    "userPrincipalName": "user name",
    "complianceStatus": "compliance status",
    "noncomplaint": "not compliant",  # sic: the Partner Center API's own spelling
    "lastSuccessfulSignInDateTime": "last successful sign-in",
    "lastSignInDateTime": "last sign-in",
    "signInActivity": "sign-in activity",
    "isEnabled": "enabled",
    "mfaEnforcedForAdmins": "MFA enforced for admins",
    "mfaEnforcedForAdminsOfCustomers": "MFA enforced for admins of customers",
    "securityAlertsPromptlyResolved": "security alerts resolved promptly",
    "securityContactProvided": "security contact provided",
    "spendingBudgetSetForCustomerAzureSubscriptions": "spending budget set for customers' Azure subscriptions",
    "atRisk": "at risk",
    "confirmedCompromised": "confirmed compromised",
    "break_glass": "break-glass",
}
# Product names that look like identifiers but are words.
KEEP = frozenset({"iPhone", "iPad", "iOS", "macOS", "eDiscovery", "iCloud"})

_CAMEL = re.compile(r"\b[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+\b")
_SNAKE = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b")
_CODE = re.compile(r"`([^`]*)`")
_TOKEN = re.compile(r"\S+")


_DOTTED = re.compile(r"[A-Za-z0-9]\.[A-Za-z0-9]")


def is_address_like(token: str) -> bool:
    """A UPN, e-mail, URL, path, domain or dotted name (``Policy.Read.All``): kept exactly as written."""
    return ("@" in token or "#" in token or "/" in token or "\\" in token
            or _DOTTED.search(token) is not None)


def _words(identifier: str) -> str:
    if identifier in GLOSSARY:
        return GLOSSARY[identifier]
    if identifier in KEEP:
        return identifier
    if "_" in identifier:
        if identifier.isupper():  # a SKU or service plan id (EXCHANGE_S_STANDARD): Microsoft's own name
            return identifier
        return identifier.replace("_", " ").lower()
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", identifier).lower()


def _token(token: str) -> str:
    if is_address_like(token):
        return token
    token = _CAMEL.sub(lambda m: _words(m.group(0)), token)
    return _SNAKE.sub(lambda m: _words(m.group(0)), token)


@lru_cache(maxsize=8192)
def customer_text(text: str) -> str:
    """``text`` as a customer reads it: no backticks, no API identifiers (see the module docstring). Cost
    linear in the text; tenant data inside it is changed only where it is itself an API-style identifier.
    Remembered per process: the same check texts and evidence values come back in every scorecard."""
    if not text:
        return text
    text = _CODE.sub(lambda m: m.group(1), text).replace("`", "")
    return _TOKEN.sub(lambda m: _token(m.group(0)), text)


def split_remediation(text: str) -> tuple[str, list[str]]:
    """(what the customer's admin does, the partner-only hints): paragraphs starting with ``Partner:`` are
    hints for the partner, without the prefix; the rest is the customer's remediation."""
    customer: list[str] = []
    partner: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        stripped = paragraph.strip()
        if stripped.startswith(PARTNER_PREFIX):
            partner.append(" ".join(stripped[len(PARTNER_PREFIX):].split()))
        elif stripped:
            customer.append(paragraph)
    return "\n\n".join(customer), partner
