"""Text from tenants made safe to keep: the one place that knows what a store or a file cannot hold.

Tenant data is written by whoever administers the tenant (display names, domains, evidence values), and a
snapshot is a file anyone can edit. This module grows with every sink that has a rule of its own; each
function is pure and total (any str in, a str out, never an exception)."""

from __future__ import annotations

from typing import Any

_NUL = "\x00"


def storable(text: str) -> str:
    """``text`` as PostgreSQL's text type accepts it (and SQLite keeps it alike): NUL characters removed,
    lone surrogates (valid in a Python str and a JSON file, not in UTF-8) replaced by U+FFFD."""
    if _NUL in text:
        text = text.replace(_NUL, "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Through UTF-16: a high-low pair becomes its character, a lone half becomes U+FFFD.
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def storable_value(value: Any) -> Any:
    """``storable`` applied to every string in a JSON-shaped value (dict keys included)."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable(str(k)) if isinstance(k, str) else k: storable_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable_value(v) for v in value]
    return value
