"""Database URLs without their secrets, for every message the tool prints.

A URL a user types may carry a password in two places: the user-info part (``postgresql://u:PASS@host/db``,
where an unescaped ``@`` inside PASS is common) and the query (``?password=PASS``, ``sslpassword=…``).
``redact_url`` hides both without parsing the URL strictly, so it works on URLs a parser refuses; and
``scrub`` removes the same secrets from a driver's error text, which may quote parts of the URL."""

from __future__ import annotations

import re
from urllib.parse import unquote

_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<rest>.*)$", re.DOTALL)
_PARAM = re.compile(r"(?P<key>(?:^|[?&;])(?P<name>[^=&#?;]*)=)(?P<value>[^&#;]*)")
# Query parameters whose value is a secret (libpq: password, sslpassword; and the usual spellings), but not
# the ones naming a file that holds it (passfile, the recommended way).
_SECRET_NAME = re.compile(r"pass|pwd|secret|token", re.IGNORECASE)
MASK = "***"


def _secret_params(rest: str) -> list[re.Match[str]]:
    return [m for m in _PARAM.finditer(rest) if _SECRET_NAME.search(m["name"]) and not m["name"].lower().endswith("file")]


def _split(url: str) -> tuple[str, str | None, str | None, str]:
    """(scheme://, user, password or None, the rest after the user info). The user info ends at the last
    '@' of the URL: a password may hold '@', '/', '?' or ':' when the user did not percent-encode it."""
    match = _SCHEME.match(url)
    if match is None:
        return "", None, None, url
    scheme, rest = match["scheme"], match["rest"]
    at = rest.rfind("@")
    if at < 0:
        return scheme, None, None, rest
    userinfo, after = rest[:at], rest[at + 1 :]
    user, colon, password = userinfo.partition(":")
    return scheme, user, password if colon else None, after


def redact_url(url: str) -> str:
    """``url`` with its password and secret query values replaced by ``***``; a plain path is unchanged."""
    scheme, user, password, rest = _split(url)
    if not scheme:
        return url
    head = scheme
    if user is not None:
        head += f"{user}:{MASK}@" if password is not None else f"{user}@"
    for match in reversed(_secret_params(rest)):
        rest = rest[: match.start("value")] + MASK + rest[match.end("value") :]
    return head + rest


def url_secrets(url: str) -> list[str]:
    """The secrets written in ``url`` (the password, secret query values), raw and percent-decoded."""
    _, _, password, rest = _split(url)
    found = [password] if password else []
    found += [m["value"] for m in _secret_params(rest) if m["value"]]
    found += [unquote(value) for value in found if unquote(value) != value]
    return sorted(set(found), key=len, reverse=True)  # the longest first, so a part never hides the whole


def has_password(url: str) -> bool:
    return bool(url_secrets(url))


def scrub(text: str, secrets: list[str]) -> str:
    """``text`` with every occurrence of each secret replaced by ``***``."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text
