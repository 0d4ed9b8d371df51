"""Rules for the values a partner pastes into tenants.toml by hand, kept apart from the config's shape
(auditor.config) so each rule is one small function with its reason. Each raises ValueError with a
message that never repeats the offending value when that value may be a secret."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Iterable

from auditor.redact import has_password

# POSIX: letters, digits and '_', not starting with a digit. 128 characters is far beyond any real name
# and well below any secret that happens to fit the pattern.
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


def environment_variable_name(value: str, field: str) -> str:
    """``value`` when it looks like an environment variable *name*. A pasted secret (client secrets hold
    '~', '.', '-') would otherwise be carried as a "name" into error messages, snapshots and reports."""
    if value and not _ENV_NAME.match(value):
        raise ValueError(
            f"{field} must name an environment variable (letters, digits and '_', like AUDITOR_CLIENT_SECRET), "
            "not hold the secret itself; the value given is not repeated here"
        )
    return value


def tenant_id(value: str) -> str:
    """A Microsoft Entra tenant id: a GUID (``xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx``), returned in its
    canonical lower-case form. Anything else would fail at sign-in, tenant by tenant, mid-collection."""
    text = value.strip()
    try:
        parsed = uuid.UUID(text)
    except ValueError:
        parsed = None
    if parsed is None or len(text) != 36 or text.count("-") != 4:
        shown = value if len(value) <= 60 else value[:57] + "..."
        raise ValueError(
            f"tenant id {shown!r} is not a GUID like 72f988bf-86f1-41af-91ab-2d7cd011db47 (the Directory ID in "
            "Microsoft Entra admin center > Overview)"
        )
    return str(parsed)


def duplicate_tenant_ids(ids: Iterable[tuple[str, str]]) -> str | None:
    """The first tenant id listed twice among (where, id) pairs, as "id (where1 and where2)", or None."""
    seen: dict[str, str] = {}
    for where, value in ids:
        key = value.lower()
        if key in seen:
            return f"tenant {value} is listed twice ({seen[key]} and {where}); list each tenant once"
        seen[key] = where
    return None


def database_url_without_password(value: str) -> str:
    """A history database URL fit for a config file: no password in it (the file is shared, copied and
    committed). libpq reads the password from PGPASSWORD, ~/.pgpass (PGPASSFILE) or a service file."""
    if value and has_password(value):
        raise ValueError(
            "a database password must not be written in the config file: remove it from the URL and give it "
            "in PGPASSWORD, a ~/.pgpass file or a PostgreSQL service file (or the whole URL in AUDITOR_DB)"
        )
    return value


def usable_path(value: Path | None) -> Path | None:
    """A file path the operating system can take: no NUL character (which every file call refuses)."""
    if value is not None and "\x00" in str(value):
        raise ValueError("a file path must not hold a NUL character")
    return value
