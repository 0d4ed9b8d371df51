"""Whether an account name names a person: the word lists and tokenising ADM-2 (shared admin accounts) uses."""

from __future__ import annotations

import re
from typing import Iterable

from auditor.snapshot import TenantSnapshot

# Words that name a function, team or placeholder rather than a person. Compound spellings are listed
# because a name is split on separators and digits, not inside words ("itsupport" stays whole).
GENERIC_NAME_WORDS = frozenset({
    "admin", "admins", "administrator", "administrators", "adm", "sysadmin", "superadmin", "globaladmin",
    "tenantadmin", "itadmin", "o365admin", "m365admin", "msadmin", "cloudadmin", "domainadmin",
    "it", "itsupport", "support", "helpdesk", "servicedesk", "desk", "office", "info", "shared", "service",
    "services", "svc", "test", "testing", "tester", "temp", "tmp", "root", "user", "account", "accounts",
    "team", "group", "global", "tenant", "mailbox", "operations", "ops", "security", "backup", "default",
    "noreply", "no", "reply", "master", "owner", "microsoft", "office365", "o365", "m365", "azure", "cloud",
    "breakglass", "emergency", "access", "partner", "csp", "msp", "company", "the", "of", "and",
})


def _tokens(text: str) -> list[str]:
    """Words between separators, a listed compound kept whole ("o365admin"), others split into letters and
    digits: "it.support" -> it, support; "admin2" -> admin, 2."""
    tokens = []
    for chunk in re.split(r"[^a-z0-9]+", text.lower()):
        if chunk in GENERIC_NAME_WORDS:
            tokens.append(chunk)
        elif chunk:
            tokens += re.findall(r"[a-z]+|[0-9]+", chunk)
    return tokens


def upn_local_part(upn: str) -> str:
    """The name part of a UPN; for a B2B guest ('jane_fabrikam.com#EXT#@...') the local part of the
    original address ('jane')."""
    lowered = upn.lower()
    if "#ext#" in lowered:
        return upn[: lowered.index("#ext#")].rsplit("_", 1)[0]
    return upn.split("@")[0]


def generic_name(text: str, organisation_words: Iterable[str] = ()) -> bool:
    """True when every word of the name is generic, a number or the organisation's own name ("admin",
    "IT Support", "admin2", "Contoso Admin"), so "Itzel Ortiz" or a personal admin account such as
    "jane.doe.admin" is not flagged."""
    neutral = GENERIC_NAME_WORDS | set(organisation_words)
    tokens = _tokens(text)
    return bool(tokens) and any(not t.isdigit() for t in tokens) and all(t in neutral or t.isdigit() for t in tokens)


def organisation_words(snapshot: TenantSnapshot) -> set[str]:
    words = set(_tokens(snapshot.tenant.display_name))
    if snapshot.tenant.default_domain:
        words.add(snapshot.tenant.default_domain.split(".")[0].lower())
    return words - {"ltd", "inc", "llc", "gmbh", "co"}
